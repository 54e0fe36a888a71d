//! The server, in layers a newcomer can see in the tree. Each layer uses only the ones below
//! it (and the leaves), never one above (`tests/tidy.rs` checks every `use`):
//!
//! ```text
//! ops      the metrics listener: /metrics, /sessions            (+ leaves: counters, audit)
//! net      bytes <-> messages: listeners, TLS, /ws, the HTTP rungs, pages, diagnostics, health
//! session  one client's session: sign-in, writing with seq, replay and resume, connections
//! tenant   one engine task per tenant that owns its core, the fan-out, snapshots, figures
//! acd      the core (its own crate); commands reach it through crate::protocol's translation
//! ```
//!
//! Leaves that every layer may use: `clock` (the one place the server reads the wall clock),
//! `outbox` (a session's bounded outbound queue), `rung` (listeners and ladder rungs), and
//! `ops::counters` and `ops::audit`. Sessions and engines talk only through bounded channels: a
//! session sends [`tenant::Request`]s, an engine answers by pushing into the session's
//! outbound queue. This module wires the layers together and owns their lifetimes; `reload`,
//! wiring too, carries a reloaded configuration to each layer (SIGHUP).

mod clock;
mod net;
mod ops;
mod outbox;
mod reload;
mod rung;
mod session;
mod tenant;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::acd::Acd;
use crate::cluster::{Cluster, ClusterOptions, LogError};
use crate::config::{
    ClusterConfig, FileConfig, ListenAddr, SimulatorConfig, StorageConfig, TenantConfig, TlsFiles,
};
use crate::records::Records;
use crate::records::retention::Retention;
use crate::sim::{SimError, Simulator, SimulatorPlan};

pub use clock::Clock;
pub use net::{BindError, TlsError};
pub use ops::audit::AuditError;
pub use ops::counters::count_dropped_log_lines;
pub use reload::{CertificateReload, ReloadReport};
pub use rung::{Rung, Transport};
pub use session::{ConnectionInfo, ConnectionNumber, Connections, hash_password};

use net::{Net, Ports};
use ops::audit::AuditLog;
use ops::counters::Counters;
use session::{Authenticator, Resumable, SessionParts, Sessions};
use tenant::{Durable, Engine, EngineSetup, Replicated, Settings, Tenants};
pub use tenant::{Entry, Record, RecoverError, Recovered, write_snapshot_for_tools};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Bind(#[from] BindError),
    #[error("TLS: {0}")]
    Tls(#[from] TlsError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("tenant `{tenant}`: {problem}")]
    Tenant { tenant: String, problem: String },
    #[error("simulator: {0}")]
    Simulator(#[from] SimError),
    #[error("both listeners are off ([server] ws and wss): there would be nothing to connect to")]
    NoListener,
    #[error(
        "tenant `{tenant}`: cannot recover its journal: {source}. Nothing was changed on disk; \
         `acdhub journal verify DIR` shows what is wrong, and docs/operations.md says how to go on"
    )]
    Journal {
        tenant: String,
        #[source]
        source: RecoverError,
    },
    #[error("data directory {dir}: {source}")]
    DataDir {
        dir: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cluster: {0}")]
    Cluster(String),
    #[error(
        "tenant `{tenant}`: the configuration cannot be applied to the journaled day: {problem}. \
         Nothing was changed; put it back in the file, or start the tenant afresh \
         (docs/operations.md, \"Changing what a running day cannot take\")"
    )]
    Reconfigure { tenant: String, problem: String },
}

/// A running server.
pub struct Server {
    sessions: Arc<Sessions>,
    tenants: Arc<Tenants>,
    clock: Arc<Clock>,
    counters: Arc<Counters>,
    /// The configuration running now, which a reload compares a new file with. The lock is
    /// held for a whole reload, so two never interleave.
    running: tokio::sync::Mutex<FileConfig>,
    /// The certificate new wss connections get, which a reload swaps (`None`: no wss).
    certificate: Option<Arc<net::CertificateResolver>>,
    ws: Option<SocketAddr>,
    wss: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
    listeners: TaskTracker,
    engines: Vec<JoinHandle<()>>,
    engines_stop: CancellationToken,
    /// Cancelled when a tenant's engine panicked (a bug): the server can no longer serve that
    /// tenant, and stops with every session closed with 1011 for its
    /// service manager to start it again from the journal ([`Server::failed`]).
    failed: CancellationToken,
    /// Cancelled when [`Server::drain`] begins: `/readyz` answers 503 from then on.
    draining: CancellationToken,
}

impl Server {
    /// Binds the listeners, starts one engine per tenant (the simulator's tenant plays its
    /// simulator in real time) and starts accepting. Returns once everything is up.
    pub async fn start(config: FileConfig) -> Result<Server, StartError> {
        Server::start_with_clock(config, Clock::system()).await
    }

    /// Starts with the server's clock reading `start` now: for tests that cross a midnight or
    /// a daylight-saving change (with [`Server::advance_clock`]) without waiting for one.
    pub async fn start_at(config: FileConfig, start: Timestamp) -> Result<Server, StartError> {
        Server::start_with_clock(config, Clock::starting_at(start)).await
    }

    async fn start_with_clock(config: FileConfig, clock: Clock) -> Result<Server, StartError> {
        let running = tokio::sync::Mutex::new(config.clone());
        let FileConfig {
            server,
            limits,
            metrics: metrics_config,
            tenants,
            principals,
            simulator,
            storage,
            cluster: cluster_config,
        } = config;
        if server.ws == ListenAddr::Off && server.wss == ListenAddr::Off {
            return Err(StartError::NoListener);
        }
        let counters = Arc::new(Counters::new());
        let certificate = match server.wss {
            ListenAddr::Off => None,
            ListenAddr::At(_) => {
                if server.tls.is_none() {
                    tracing::warn!(
                        "wss runs on the development certificate (certs/localhost.pem), which only \
                         machines trusting certs/dev-ca.pem accept; set [server] tls_certificate and \
                         tls_private_key for production"
                    );
                }
                let key = net::load(certificate_of(server.tls.as_ref()))?;
                if let Some(not_after) = net::not_after(&key) {
                    counters.certificate_not_after(not_after);
                }
                Some(Arc::new(net::CertificateResolver::new(key)))
            }
        };
        let tls = match &certificate {
            Some(resolver) => Some(TlsAcceptor::from(net::server_config(resolver.clone())?)),
            None => None,
        };
        let mut bound = Vec::new();
        for (transport, addr) in [(Transport::Ws, server.ws), (Transport::Wss, server.wss)] {
            if let ListenAddr::At(addr) = addr {
                let listening = net::Listening::of(transport);
                bound.push((transport, net::bind(listening, addr).await?));
            }
        }
        let metrics_listener = match metrics_config.listen {
            ListenAddr::Off => None,
            ListenAddr::At(addr) => Some(net::bind(net::Listening::METRICS, addr).await?),
        };

        // Beside the journal unless configured elsewhere: the audit log survives as the day does.
        let audit_path = server
            .audit_log
            .clone()
            .or_else(|| storage.journal_dir().map(|dir| dir.join("audit.jsonl")));
        if let Some(dir) = storage.journal_dir() {
            create_private_dir(dir).map_err(|source| StartError::DataDir {
                dir: dir.display().to_string(),
                source,
            })?;
            tracing::info!(dir = %dir.display(), "data directory: every tenant's journal, the token key, the audit log");
        } else {
            tracing::warn!(
                "no data directory ([storage]): the day lives in memory only and a restart starts every tenant empty"
            );
        }
        let audit = AuditLog::open(audit_path.as_deref())?;
        let mut token_key = match storage.journal_dir() {
            Some(dir) => {
                session::TokenKey::load_or_create(dir).map_err(|source| StartError::DataDir {
                    dir: dir.display().to_string(),
                    source,
                })?
            }
            None => session::TokenKey::ephemeral(),
        };
        let cluster = match &cluster_config {
            Some(config) => Some(join_cluster(config, &mut token_key).await?),
            None => None,
        };
        let clock = Arc::new(clock);
        let engines_stop = CancellationToken::new();
        let failed = CancellationToken::new();
        let setup = || EngineSetup {
            clock: clock.clone(),
            counters: counters.clone(),
            stats_updates_per_sec: limits.stats_updates_per_sec,
            audit: audit.clone(),
            disconnect_grace: server.disconnect_grace,
            on_disconnect: server.on_disconnect,
            resume: limits.resume,
        };
        let mut senders = Tenants::default();
        let mut engines = Vec::new();
        // Every tenant starts at the same instant, as one server.
        let now = clock.now();
        for tenant in tenants {
            let simulated = simulator.as_ref().filter(|sim| sim.tenant == tenant.id);
            let engine = match &cluster {
                Some(joined) => {
                    start_replicated_engine(joined, &tenant, simulated, now, setup(), &storage)
                        .await?
                }
                None => start_engine(&tenant, simulated, now, setup(), &storage).await?,
            };
            let (sender, receiver) = mpsc::channel(tenant::CHANNEL_CAPACITY);
            let run = tokio::spawn(engine.run(receiver, engines_stop.clone()));
            engines.push(tokio::spawn(watch_engine(
                tenant.id.clone(),
                run,
                engines_stop.clone(),
                failed.clone(),
            )));
            senders.insert(tenant.id, sender);
        }

        let mut addrs = Vec::new();
        for (transport, tcp) in &bound {
            let addr = tcp.local_addr().map_err(|source| BindError::Other {
                listener: transport.name(),
                addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                source,
            })?;
            addrs.push((*transport, addr));
        }
        let listening_on = |wanted: Transport| {
            addrs
                .iter()
                .find(|(transport, _)| *transport == wanted)
                .map(|(_, addr)| addr.port())
        };
        let public = |configured: Option<u16>, own: Option<u16>| match configured {
            Some(0) => None,
            Some(port) => Some(port),
            None => own,
        };
        let ports = Ports {
            ws: public(server.public_ws_port, listening_on(Transport::Ws)),
            wss: public(server.public_wss_port, listening_on(Transport::Wss)),
            own: addrs
                .iter()
                .map(|(_, addr)| addr.port())
                .chain(server.public_ws_port)
                .chain(server.public_wss_port)
                .filter(|port| *port != 0)
                .collect(),
            nodes: cluster_config
                .as_ref()
                .map(|cluster| cluster.node_urls.clone())
                .unwrap_or_default(),
        };
        let tenants = Arc::new(senders);
        let connections = Arc::new(Connections::default());
        let resumable = Arc::new(Resumable::default());
        let shutdown = CancellationToken::new();
        let draining = CancellationToken::new();
        let sessions = Arc::new(Sessions::new(SessionParts {
            connections: connections.clone(),
            auth: Authenticator::new(&principals, token_key),
            tenants: tenants.clone(),
            limits: limits.clone(),
            audit,
            shutdown: shutdown.clone(),
            failed: failed.clone(),
            resumable: resumable.clone(),
            counters: counters.clone(),
            clock: clock.clone(),
        }));
        if let Some(joined) = &cluster {
            tokio::spawn(learn_revocations(
                joined.cluster.clone(),
                sessions.clone(),
                engines_stop.clone(),
            ));
        }
        let pages = net::PagesConfig {
            dir: server.web_dir,
            demo: server.demo,
            ladder: net::Ladder {
                ws: ports.ws,
                wss: ports.wss,
                nodes: ports.nodes.clone().into(),
            },
        };
        let net = Arc::new(Net {
            sessions: sessions.clone(),
            links: net::Links::default(),
            ports,
            allowed_origins: server.allowed_origins,
            public_hosts: server.public_hosts,
            sse_padding_bytes: server.sse_padding_bytes,
            clients: Arc::new(Semaphore::new(limits.max_connections as usize)),
            probes: Arc::new(Semaphore::new(net::MAX_PROBES)),
            counters: counters.clone(),
            draining: draining.clone(),
            certificate: certificate.clone(),
        });
        let app = net::router(net, pages);
        // Each listener has its own share of the file descriptors, so that one listener's
        // connections never leave another unable to accept.
        let descriptors = net::Descriptors::from_process();
        if descriptors.connections < limits.max_connections as usize {
            tracing::warn!(
                open_file_limit = descriptors.limit,
                connections = descriptors.connections,
                max_connections = limits.max_connections,
                "the open-file limit leaves room for fewer connections than max_connections: \
                 raise it (ulimit -n, LimitNOFILE= in systemd)"
            );
        }
        let http_limits = net::HttpLimits {
            send_timeout: limits.send_timeout,
            keepalive_requests: limits.keepalive_requests,
        };
        let slots = Arc::new(Semaphore::new(descriptors.connections));
        let listeners = TaskTracker::new();
        let (mut ws, mut wss) = (None, None);
        for ((transport, tcp), (_, addr)) in bound.into_iter().zip(addrs) {
            match transport {
                Transport::Ws => ws = Some(addr),
                Transport::Wss => wss = Some(addr),
            }
            tracing::info!("listening for {} on {addr}", transport.name());
            listeners.spawn(net::accept_loop(net::Accept {
                listener: tcp,
                name: transport.name(),
                transport,
                tls: match transport {
                    Transport::Ws => None,
                    Transport::Wss => tls.clone(),
                },
                app: app.clone(),
                connections: slots.clone(),
                limits: http_limits,
                counters: counters.clone(),
                shutdown: shutdown.clone(),
                tracker: listeners.clone(),
            }));
        }
        let metrics = match metrics_listener {
            Some(tcp) => {
                let addr = tcp.local_addr().map_err(|source| BindError::Other {
                    listener: "metrics",
                    addr: SocketAddr::from(([0, 0, 0, 0], 0)),
                    source,
                })?;
                tracing::info!("serving Prometheus metrics on http://{addr}/metrics");
                let admin = ops::admin::Admin {
                    tenants: tenants.clone(),
                    resumable,
                    connections: connections.clone(),
                    counters: counters.clone(),
                    clock: clock.clone(),
                };
                listeners.spawn(net::accept_loop(net::Accept {
                    listener: tcp,
                    name: net::Listening::METRICS.name,
                    // Plain HTTP; the admin routes read no transport.
                    transport: Transport::Ws,
                    tls: None,
                    app: ops::admin::router(Arc::new(admin)),
                    connections: Arc::new(Semaphore::new(descriptors.metrics)),
                    limits: http_limits,
                    counters: counters.clone(),
                    shutdown: shutdown.clone(),
                    tracker: listeners.clone(),
                }));
                Some(addr)
            }
            None => None,
        };
        Ok(Server {
            sessions,
            tenants,
            clock,
            counters,
            running,
            certificate,
            ws,
            wss,
            metrics,
            listeners,
            engines,
            engines_stop,
            failed,
            draining,
        })
    }

    /// Where the ws listener is bound (useful with port 0).
    pub fn ws_addr(&self) -> Option<SocketAddr> {
        self.ws
    }

    pub fn wss_addr(&self) -> Option<SocketAddr> {
        self.wss
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics
    }

    /// Moves the server's clock forward by `by` and lets every engine catch up: what falls due
    /// in between (ring timeouts, wrap-ups, the end of a statistics window) happens in order.
    /// For tests; a server in production follows the system's monotonic clock only.
    pub async fn advance_clock(&self, by: Duration) {
        self.clock.skip(by);
        self.tenants.wake().await;
    }

    /// The server's time now.
    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// Every open connection.
    pub fn connections(&self) -> &Connections {
        self.sessions.connections()
    }

    /// The first step of a stop under a load balancer: `/readyz` answers 503 from now on while
    /// everything else is served as before (new connections too: a balancer that has not yet
    /// seen the 503 still sends some), for `[server] drain_secs`. Returns when that time is over;
    /// [`Server::shutdown`] then closes the listeners.
    pub async fn drain(&self) {
        let drain = self.running.lock().await.server.drain;
        if drain.is_zero() {
            return;
        }
        self.draining.cancel();
        tracing::info!(
            drain_secs = drain.as_secs(),
            "draining: /readyz answers 503; still serving until the listeners close"
        );
        tokio::time::sleep(drain).await;
    }

    /// Returns when a tenant's engine has failed: it panicked, which only a bug does. The tenant's commands can no longer be served; the binary then shuts down
    /// ([`Server::shutdown`] closes every session with 1011, "the server failed") and exits with
    /// a failure status, for its service manager to start it again from the journal.
    pub async fn failed(&self) {
        self.failed.cancelled().await
    }

    /// Stops gracefully: no new connections, every client closed with 1012 (service restart),
    /// or 1011 (the server failed) after [`Server::failed`], then the engines. Waits at most the configured grace period for clients to go, and says
    /// so in the log if it runs over.
    pub async fn shutdown(self) {
        let grace = self.sessions.limits().shutdown_grace;
        let open = self.sessions.connections().len();
        tracing::info!(
            connections = open,
            "shutting down: closing every session with {}",
            self.sessions.stopping().code
        );
        self.sessions.shutdown().cancel();
        self.listeners.close();
        self.sessions.tasks().close();
        let drained = async {
            self.sessions.tasks().wait().await;
            self.listeners.wait().await;
        };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(
                still_open = self.sessions.connections().len(),
                grace_secs = grace.as_secs(),
                "shutdown grace period over; stopping with connections still open"
            );
        }
        self.engines_stop.cancel();
        for engine in self.engines {
            let _ = engine.await;
        }
        tracing::info!("stopped");
    }
}

/// Waits for a tenant's engine to end, and cancels `failed` if it panicked (a bug). An engine
/// that returns by itself does so on purpose (on a cluster, a log record this version cannot
/// read stops the tenant at this node rather than skip it): the node goes on for the other
/// tenants, and `/readyz` names the stopped one.
async fn watch_engine(
    tenant: String,
    run: JoinHandle<()>,
    stop: CancellationToken,
    failed: CancellationToken,
) {
    match run.await {
        Ok(()) if stop.is_cancelled() => {}
        Ok(()) => tracing::error!(%tenant, "the tenant's engine stopped; /readyz says so"),
        Err(error) => {
            tracing::error!(%tenant, %error, "the tenant's engine failed");
            failed.cancel();
        }
    }
}

/// A tenant's day as its journal directory holds it, read the way a start recovers it (the
/// newest valid snapshot, then every record after it), for tools and tests. It takes the
/// journal's lock, so it fails while a server uses the directory, and cuts off a torn last
/// record as a start would.
pub fn recover_journal(dir: &std::path::Path) -> Result<Option<Recovered>, RecoverError> {
    let storage = StorageConfig::default();
    let (_journal, recovered) = Durable::open(dir.to_path_buf(), &storage, "-")?;
    Ok(recovered)
}

/// Checks a configuration as [`Server::start`] would, without binding a port or starting an
/// engine (`acdhub check-config`): the listeners are not both off, the audit log could be
/// opened (it is not created), the TLS files are read and make a TLS configuration, and every
/// tenant's core and simulator are built.
pub fn check_config(config: &FileConfig) -> Result<(), StartError> {
    let server = &config.server;
    if server.ws == ListenAddr::Off && server.wss == ListenAddr::Off {
        return Err(StartError::NoListener);
    }
    AuditLog::check(server.audit_log.as_deref())?;
    if let ListenAddr::At(_) = server.wss {
        let key = net::load(certificate_of(server.tls.as_ref()))?;
        net::server_config(Arc::new(net::CertificateResolver::new(key)))?;
    }
    let now = Clock::system().now();
    for tenant in &config.tenants {
        let simulated = config
            .simulator
            .as_ref()
            .filter(|sim| sim.tenant == tenant.id);
        build_core(tenant, simulated, now)?;
    }
    Ok(())
}

/// The certificate wss serves: the configured files, or the development certificate.
fn certificate_of(tls: Option<&TlsFiles>) -> net::Certificate<'_> {
    match tls {
        Some(files) => net::Certificate::Files(files),
        None => net::Certificate::Development,
    }
}

/// A tenant's core, starting at `start`, and its simulator if it has one.
fn build_core(
    tenant: &TenantConfig,
    simulated: Option<&SimulatorConfig>,
    start: Timestamp,
) -> Result<(Acd, Option<Simulator>), StartError> {
    let acd = Acd::new(tenant.acd.clone(), start).map_err(|e| StartError::Tenant {
        tenant: tenant.id.clone(),
        problem: e.to_string(),
    })?;
    let simulator = simulated
        .map(|sim| new_simulator(tenant, sim, start))
        .transpose()?;
    Ok((acd, simulator))
}

/// One tenant's engine: its day as the journal kept it, or, at its first start, a core made from
/// the tenant's configuration. The simulator's tenant starts with its warm-up already played
/// (the last hour of a demo), so calls flow at once.
async fn start_engine(
    tenant: &TenantConfig,
    simulated: Option<&SimulatorConfig>,
    now: Timestamp,
    setup: EngineSetup,
    storage: &StorageConfig,
) -> Result<Engine, StartError> {
    let (durable, recovered) = match storage.journal_dir() {
        Some(data_dir) => {
            let dir = tenant::tenant_dir(data_dir, &tenant.id);
            let (durable, recovered) =
                Durable::open(dir, storage, &tenant.id).map_err(|source| StartError::Journal {
                    tenant: tenant.id.clone(),
                    source,
                })?;
            (Some(durable), recovered)
        }
        None => (None, None),
    };
    let Some(recovered) = recovered else {
        // A fresh day beside the record files of an earlier one (its journal moved aside) goes
        // on after their last `seq`, rather than being taken for records they already have.
        let files = record_files(storage, tenant);
        let records = files.fresh_records();
        let (acd, simulator, records) = fresh_tenant(tenant, simulated, now, records)?;
        let mut engine = Engine::new(
            tenant.id.clone(),
            acd,
            tenant.acd.clone(),
            simulator,
            durable,
            setup,
        );
        engine.keep_records(records, files);
        // The day's first snapshot: the journal's records start from it, so a tenant whose
        // data directory cannot take it does not start.
        engine
            .snapshot_now()
            .await
            .map_err(|problem| StartError::Tenant {
                tenant: tenant.id.clone(),
                problem: format!("cannot write the first snapshot of its journal: {problem}"),
            })?;
        return Ok(engine);
    };
    let tenant::Recovered {
        acd,
        config,
        simulator,
        records,
        replayed,
    } = recovered;
    let simulator = match (simulated, simulator) {
        // The journal's simulator goes on where it was; a changed [simulator] section takes
        // effect on a fresh start (docs/operations.md).
        (Some(_), Some(mut simulator)) => {
            simulator.resume_at(now);
            Some(simulator)
        }
        (Some(sim), None) => Some(new_simulator(tenant, sim, now)?),
        (None, _) => None,
    };
    let agents = acd
        .agents()
        .filter(|a| a.status.kind() != crate::acd::AgentStatusKind::LoggedOut)
        .count();
    let calls = acd.calls().len();
    let mut engine = Engine::new(tenant.id.clone(), acd, config, simulator, durable, setup);
    engine.keep_records(records, record_files(storage, tenant));
    engine
        .reconfigure_to(&tenant.acd, now)
        .await
        .map_err(|error| match error {
            tenant::ReconfigureError::Refused(problem) => StartError::Reconfigure {
                tenant: tenant.id.clone(),
                problem,
            },
            storage @ tenant::ReconfigureError::Storage(_) => StartError::Tenant {
                tenant: tenant.id.clone(),
                problem: format!("cannot apply the configuration file to its day: {storage}"),
            },
        })?;
    // What the start itself changed (the simulator going on from now, the configuration) is
    // in a snapshot before anything else happens, so a crash soon after replays from here.
    if let Err(problem) = engine.snapshot_now().await {
        tracing::warn!(tenant = %tenant.id, "no snapshot after recovery ({problem}); a crash before the next one replays from the older one");
    }
    engine.start_grace_for_everyone();
    tracing::info!(
        tenant = %tenant.id,
        replayed,
        agents_logged_in = agents,
        calls,
        "tenant recovered from its journal"
    );
    Ok(engine)
}

/// How long a start waits for the NATS cluster to have a leader for a tenant's log.
const CLUSTER_READY: Duration = Duration::from_secs(30);

/// This node in the cluster: the connection, its settings, and the name of this incarnation.
struct Joined {
    cluster: Arc<Cluster>,
    config: ClusterConfig,
    me: String,
}

/// Connects to the NATS cluster and takes the cluster's token key, so that a token from any
/// node is good at every node.
async fn join_cluster(
    config: &ClusterConfig,
    token_key: &mut session::TokenKey,
) -> Result<Joined, StartError> {
    let cluster = Cluster::connect(ClusterOptions {
        urls: config.nats.clone(),
        node: config.node.clone(),
        replicas: config.replicas,
        request_timeout: config.request_timeout,
    })
    .await
    .map_err(|error| StartError::Cluster(error.to_string()))?;
    let secret = cluster
        .shared_secret("token", CLUSTER_READY)
        .await
        .map_err(|error| StartError::Cluster(format!("the cluster's token key: {error}")))?;
    token_key.share(&secret);
    let cluster = Arc::new(cluster);
    let publisher = cluster.clone();
    token_key.on_revoke(move |user, generation| {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let cluster = publisher.clone();
        let user = user.to_owned();
        runtime.spawn(tell_revocation(cluster, user, generation));
    });
    let mut boot = [0u8; 4];
    getrandom::fill(&mut boot).expect("the operating system's random source works");
    let me = format!("{}.{:08x}", config.node, u32::from_le_bytes(boot));
    tracing::info!(node = %me, nats = %config.nats.join(","), replicas = config.replicas, "joined the cluster: every tenant's log is on NATS JetStream");
    Ok(Joined {
        cluster,
        config: config.clone(),
        me,
    })
}

/// How long a node keeps trying to tell the cluster of a revocation it made.
const REVOCATION_PATIENCE: Duration = Duration::from_secs(600);

/// Tells every other node that `user`'s tokens before `generation` are revoked, trying again
/// while the cluster cannot take it (the revocation holds on this node meanwhile).
async fn tell_revocation(cluster: Arc<Cluster>, user: String, generation: u64) {
    let deadline = tokio::time::Instant::now() + REVOCATION_PATIENCE;
    loop {
        match cluster.publish_revocation(&user, generation).await {
            Ok(()) => return,
            Err(error) if tokio::time::Instant::now() >= deadline => {
                tracing::error!(%user, "the cluster was not told of a revocation (other nodes still take the user's tokens): {error}");
                return;
            }
            Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
        }
    }
}

/// Learns every revocation another node makes, for as long as the server runs.
async fn learn_revocations(
    cluster: Arc<Cluster>,
    sessions: Arc<Sessions>,
    stop: CancellationToken,
) {
    use futures_util::StreamExt as _;
    loop {
        match cluster.revocations().await {
            Ok(revocations) => {
                let mut revocations = std::pin::pin!(revocations);
                loop {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        next = revocations.next() => match next {
                            Some((user, generation)) => sessions.learn_revocation(&user, generation),
                            None => break,
                        },
                    }
                }
            }
            Err(error) => tracing::debug!("revocations cannot be read now: {error}"),
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
        }
    }
}

/// One tenant's engine on the cluster: its replica made from the newest snapshot in the
/// cluster and the log's records after it, or, for a tenant the cluster has no record of,
/// from the log's first record (whichever node wrote it), so that every node starts the day
/// at the same instant.
async fn start_replicated_engine(
    joined: &Joined,
    tenant: &TenantConfig,
    simulated: Option<&SimulatorConfig>,
    now: Timestamp,
    setup: EngineSetup,
    storage: &StorageConfig,
) -> Result<Engine, StartError> {
    let fail = |what: &str, problem: String| StartError::Tenant {
        tenant: tenant.id.clone(),
        problem: format!("{what}: {problem}"),
    };
    let on_log = |error: LogError| fail("its log on the cluster", error.to_string());
    let log = joined
        .cluster
        .tenant_log(&tenant.id, CLUSTER_READY)
        .await
        .map_err(on_log)?;
    let log = Arc::new(log);
    let settings = Settings {
        alive: tenant::alive(
            joined.config.node_timeout,
            setup.disconnect_grace,
            setup.on_disconnect,
        ),
        alive_interval: joined.config.alive_interval(),
        snapshot_interval: storage.snapshot_interval,
        snapshot_records: storage.snapshot_records,
        unknown_patience: joined.config.request_timeout * 5,
    };
    let snapshot = log
        .read_snapshot()
        .await
        .map_err(|e| fail("its snapshot on the cluster", e.to_string()))?;
    let me = joined.me.clone();
    let (mut engine, tail) = match snapshot {
        Some((covers, bytes)) => {
            let snapshot = tenant::ReplicaSnapshot::decode(&bytes)
                .map_err(|e| fail(&format!("its snapshot covering record {covers}"), e))?;
            let tenant::State {
                acd,
                config,
                simulator,
                records,
                conversation_records,
            } = snapshot.state;
            let records = Records {
                calls: records,
                conversations: conversation_records,
            };
            let simulator = match (simulated, simulator) {
                (Some(_), Some(simulator)) => Some(simulator),
                (Some(sim), None) => Some(new_simulator(tenant, sim, snapshot.time)?),
                (None, _) => None,
            };
            let mut engine = Engine::new(tenant.id.clone(), acd, config, simulator, None, setup);
            engine.keep_records(records, record_files(storage, tenant));
            let replica = Replicated::new(
                log.clone(),
                me,
                snapshot.time,
                snapshot.presence,
                snapshot.mark,
                snapshot.registry,
                covers,
                settings,
            );
            engine.replicate(replica, snapshot.counts);
            let tail = log.tail(covers + 1).await.map_err(on_log)?;
            (engine, tail)
        }
        None => {
            let last = log.last_seq().await.map_err(on_log)?;
            if last == 0 {
                let genesis = tenant::LogRecord {
                    from: me.clone(),
                    n: 0,
                    at: now,
                    entries: vec![tenant::LogEntry::Genesis {
                        config: tenant.acd.clone(),
                    }],
                };
                log.append("genesis", bytes::Bytes::from(genesis.encode()))
                    .await
                    .map_err(|e| fail("the first record of its log", e.to_string()))?;
            }
            let mut tail = log.tail(1).await.map_err(on_log)?;
            let (seq, first) = tail.next().await.map_err(on_log)?;
            let (start, genesis) = match serde_json::from_slice::<tenant::LogRecord>(&first) {
                Ok(tenant::LogRecord { at, entries, .. }) => match entries.into_iter().next() {
                    Some(tenant::LogEntry::Genesis { config }) => (at, config),
                    _ => {
                        return Err(fail(
                            "its log on the cluster",
                            format!("record {seq} does not start a day, and there is no snapshot"),
                        ));
                    }
                },
                Err(error) => {
                    return Err(fail(
                        "its log on the cluster",
                        format!("record {seq} cannot be read: {error}"),
                    ));
                }
            };
            // The day starts on the configuration the log's first record names, on every node;
            // a node whose file differs appends its own below, as a reload would.
            let first_day = TenantConfig {
                acd: genesis.clone(),
                ..tenant.clone()
            };
            // The records' numbers are replicated state: every node counts from 0.
            let (acd, simulator, records) =
                fresh_tenant(&first_day, simulated, start, Records::default())?;
            let mut engine = Engine::new(tenant.id.clone(), acd, genesis, simulator, None, setup);
            engine.keep_records(records, record_files(storage, tenant));
            let replica = Replicated::new(
                log.clone(),
                me,
                start,
                tenant::Presence::default(),
                tenant::Mark { seq, at: start },
                tenant::Registry::default(),
                seq,
                settings,
            );
            engine.replicate(replica, Default::default());
            (engine, tail)
        }
    };
    let last = log.last_seq().await.map_err(on_log)?;
    engine
        .catch_up_with_log(tail, last)
        .await
        .map_err(|e| fail("reading its log on the cluster", e.to_string()))?;
    engine
        .reconfigure_through_log(&tenant.acd)
        .map_err(|problem| StartError::Reconfigure {
            tenant: tenant.id.clone(),
            problem,
        })?;
    tracing::info!(tenant = %tenant.id, applied = last, "tenant replica caught up with its log");
    Ok(engine)
}

/// The data directory, made readable by the server's user only if it does not exist yet (it
/// holds callers' numbers and the token key).
fn create_private_dir(dir: &std::path::Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    if dir.exists() && !dir.is_dir() {
        return Err(std::io::Error::other("not a directory"));
    }
    builder.create(dir)
}

/// Where a tenant's call and conversation records go: beside its journal, conversation
/// records kept for `[storage] transcript_retention_days`. A file that cannot be opened costs
/// its records (the journal still has what made them), not the start.
fn record_files(storage: &StorageConfig, tenant: &TenantConfig) -> tenant::RecordFiles {
    let Some(data_dir) = storage.journal_dir() else {
        return tenant::RecordFiles::none(&tenant.id);
    };
    let retention = storage.transcript_retention_days.and_then(Retention::days);
    tenant::RecordFiles::open(
        data_dir,
        &tenant.id,
        tenant.acd.time_zone.clone(),
        retention,
    )
}

/// A tenant's core at its first start, with the simulator's warm-up played, and the records of
/// the warm-up's calls and conversations.
fn fresh_tenant(
    tenant: &TenantConfig,
    simulated: Option<&SimulatorConfig>,
    now: Timestamp,
    mut records: Records,
) -> Result<(Acd, Option<Simulator>, Records), StartError> {
    let start = simulated.map_or(now, |sim| now - sim.warm_up);
    let (mut acd, simulator) = build_core(tenant, simulated, start)?;
    let simulator = match (simulated, simulator) {
        (Some(sim), Some(mut simulator)) => {
            let played = crate::sim::run_observed(&mut acd, &mut simulator, now, |event, at| {
                records.observe(event, at)
            });
            tracing::info!(
                tenant = %tenant.id,
                virtual_agents = sim.virtual_agents.len(),
                warm_up_secs = sim.warm_up.as_secs(),
                calls_played = simulator.calls_placed(),
                commands = played.commands,
                "simulator plays callers and virtual agents"
            );
            Some(simulator)
        }
        _ => None,
    };
    Ok((acd, simulator, records))
}

/// The tenant's simulator, starting at `start`.
fn new_simulator(
    tenant: &TenantConfig,
    sim: &SimulatorConfig,
    start: Timestamp,
) -> Result<Simulator, StartError> {
    let plan = SimulatorPlan::from_config(sim, &tenant.acd);
    plan.check_against(&tenant.acd)?;
    Ok(Simulator::new(sim.seed, plan, start)?)
}
