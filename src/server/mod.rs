//! The server: listeners, sessions and one engine per tenant.
//!
//! Dependencies point one way: `listener` (TCP, TLS, HTTP) -> `http` (routes, Origin) ->
//! `session` (one client) -> `engine` (one tenant's core) -> [`crate::acd`]. Sessions and engines
//! talk only through bounded channels: a session sends [`engine::Request`]s, an engine answers by
//! pushing into the session's outbound queue ([`outbox`]).
//!
//! - `audit`: the record of every supervisor action.
//! - `auth`: principals, password hashes and session tokens.
//! - `clock`: the one place the server reads the wall clock.
//! - `fanout`: which session hears which event; statistics coalesced per subscription.
//! - `metrics`: Prometheus `/metrics` on its own listener.
//! - `pages`: the browser pages and their scripts, built into the binary.
//! - `diag`: the probes of the `/diagnostics` page.
//! - `link`: the connection under a session: WebSocket, or an SSE or long-poll link.
//! - `registry`: every open connection, for counts.
//! - `resume`: sessions that outlive their connection, and their replay buffers.
//! - `rt`: the HTTP rungs (`/rt/sse`, `/rt/poll`, `/rt/send`) and `/rt/endpoints`.
//! - `tls`: certificates.

mod audit;
mod auth;
mod clock;
mod diag;
mod engine;
mod fanout;
mod http;
mod link;
mod listener;
mod metrics;
mod outbox;
mod pages;
mod registry;
mod resume;
mod rt;
mod session;
mod tls;

use std::collections::HashMap;
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
use crate::config::{FileConfig, Limits, ListenAddr};
use crate::sim::{SimError, Simulator, SimulatorPlan};

pub use audit::AuditError;
pub use auth::hash_password;
pub use clock::Clock;
pub use listener::BindError;
pub use registry::{Registry, Rung, SessionInfo, Transport};
pub use tls::TlsError;

/// What every session shares.
pub struct Shared {
    registry: Registry,
    auth: auth::Authenticator,
    /// Each tenant's engine, by tenant id.
    engines: HashMap<String, mpsc::Sender<engine::Request>>,
    limits: Limits,
    allowed_origins: Vec<String>,
    /// Where supervisors' actions are recorded; sessions record those refused by role.
    audit: audit::AuditLog,
    /// Cancelled when the server shuts down: listeners stop, sessions close with 1012.
    shutdown: CancellationToken,
    /// Every connection's task, so shutdown can wait for them.
    session_tasks: TaskTracker,
    /// Every authenticated session, attached or waiting to be resumed.
    sessions: Arc<resume::Sessions>,
    /// The open SSE and long-poll links.
    links: link::Links,
    /// What `/rt/endpoints` and the Origin check need to know of the server's own ports.
    ports: Ports,
    /// A comment this long opens every SSE stream (0: none).
    sse_padding_bytes: u32,
    metrics: Arc<metrics::Metrics>,
    clock: Arc<Clock>,
}

/// The server's ports as browsers reach them.
pub struct Ports {
    /// Where the ws and wss rungs are offered (`None`: not offered).
    pub ws: Option<u16>,
    pub wss: Option<u16>,
    /// Every port that is the server's own: its listeners' and the public ones. A page from
    /// the request's host on one of them is one of the server's own pages.
    pub own: Vec<u16>,
}

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
}

/// A running server.
pub struct Server {
    shared: Arc<Shared>,
    ws: Option<SocketAddr>,
    wss: Option<SocketAddr>,
    metrics: Option<SocketAddr>,
    listeners: TaskTracker,
    engines: Vec<JoinHandle<()>>,
    engines_stop: CancellationToken,
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
        let FileConfig {
            server,
            limits,
            metrics: metrics_config,
            tenants,
            principals,
            simulator,
        } = config;
        if server.ws == ListenAddr::Off && server.wss == ListenAddr::Off {
            return Err(StartError::NoListener);
        }
        let audit = audit::AuditLog::open(server.audit_log.as_deref())?;
        let tls = match server.wss {
            ListenAddr::Off => None,
            ListenAddr::At(_) => {
                let certificate = match &server.tls {
                    Some(files) => tls::Certificate::Files(files),
                    None => {
                        tracing::warn!(
                            "wss runs on the development certificate (certs/localhost.pem), which only \
                             machines trusting certs/dev-ca.pem accept; set [server] tls_certificate and \
                             tls_private_key for production"
                        );
                        tls::Certificate::Development
                    }
                };
                Some(TlsAcceptor::from(tls::server_config(certificate)?))
            }
        };
        let mut bound = Vec::new();
        for (transport, addr) in [(Transport::Ws, server.ws), (Transport::Wss, server.wss)] {
            if let ListenAddr::At(addr) = addr {
                let listening = listener::Listening::of(transport);
                bound.push((transport, listener::bind(listening, addr).await?));
            }
        }
        let metrics_listener = match metrics_config.listen {
            ListenAddr::Off => None,
            ListenAddr::At(addr) => Some(listener::bind(listener::Listening::METRICS, addr).await?),
        };

        let clock = Arc::new(clock);
        let metrics = Arc::new(metrics::Metrics::new());
        let now = clock.now();
        let engines_stop = CancellationToken::new();
        let mut senders = HashMap::new();
        let mut engines = Vec::new();
        for tenant in tenants {
            let simulated = simulator.as_ref().filter(|sim| sim.tenant == tenant.id);
            let start = simulated.map_or(now, |sim| now - sim.warm_up);
            let mut acd = Acd::new(tenant.acd.clone(), start).map_err(|e| StartError::Tenant {
                tenant: tenant.id.clone(),
                problem: e.to_string(),
            })?;
            let simulator = match simulated {
                Some(sim) => {
                    let plan = SimulatorPlan::from_config(sim, &tenant.acd);
                    plan.check_against(&tenant.acd)?;
                    let mut simulator = Simulator::new(sim.seed, plan, start)?;
                    let played = crate::sim::run(&mut acd, &mut simulator, now);
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
                None => None,
            };
            let (sender, receiver) = mpsc::channel(engine::CHANNEL_CAPACITY);
            let surroundings = engine::Surroundings {
                clock: clock.clone(),
                metrics: metrics.clone(),
                stats_updates_per_sec: limits.stats_updates_per_sec,
                audit: audit.clone(),
                disconnect_grace: server.disconnect_grace,
                on_disconnect: server.on_disconnect,
            };
            let engine = engine::Engine::new(tenant.id.clone(), acd, simulator, surroundings);
            engines.push(tokio::spawn(engine.run(receiver, engines_stop.clone())));
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
        };
        let shared = Arc::new(Shared {
            registry: Registry::default(),
            auth: auth::Authenticator::new(&principals),
            engines: senders,
            limits: limits.clone(),
            allowed_origins: server.allowed_origins,
            audit,
            shutdown: CancellationToken::new(),
            session_tasks: TaskTracker::new(),
            sessions: Arc::new(resume::Sessions::default()),
            links: link::Links::default(),
            ports,
            sse_padding_bytes: server.sse_padding_bytes,
            metrics,
            clock,
        });
        let pages = pages::PagesConfig {
            dir: server.web_dir,
            demo: server.demo,
            ladder: pages::Ladder {
                ws: shared.ports.ws,
                wss: shared.ports.wss,
            },
        };
        let app = http::router(shared.clone(), pages);
        let connections = Arc::new(Semaphore::new(limits.max_connections as usize));
        let listeners = TaskTracker::new();
        let (mut ws, mut wss) = (None, None);
        for ((transport, tcp), (_, addr)) in bound.into_iter().zip(addrs) {
            match transport {
                Transport::Ws => ws = Some(addr),
                Transport::Wss => wss = Some(addr),
            }
            tracing::info!("listening for {} on {addr}", transport.name());
            listeners.spawn(listener::accept_loop(listener::Accept {
                listener: tcp,
                transport,
                tls: match transport {
                    Transport::Ws => None,
                    Transport::Wss => tls.clone(),
                },
                app: app.clone(),
                connections: connections.clone(),
                shutdown: shared.shutdown.clone(),
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
                listeners.spawn(metrics::serve(tcp, shared.clone()));
                Some(addr)
            }
            None => None,
        };
        Ok(Server {
            shared,
            ws,
            wss,
            metrics,
            listeners,
            engines,
            engines_stop,
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
        self.shared.clock.skip(by);
        for engine in self.shared.engines.values() {
            let _ = engine.send(engine::Request::Wake).await;
        }
    }

    /// The server's time now.
    pub fn now(&self) -> Timestamp {
        self.shared.clock.now()
    }

    pub fn registry(&self) -> &Registry {
        &self.shared.registry
    }

    /// Stops gracefully: no new connections, every client closed with 1012 (service restart),
    /// then the engines. Waits at most the configured grace period for clients to go, and says
    /// so in the log if it runs over.
    pub async fn shutdown(self) {
        let grace = self.shared.limits.shutdown_grace;
        let open = self.shared.registry.len();
        tracing::info!(
            sessions = open,
            "shutting down: closing every session with 1012"
        );
        self.shared.shutdown.cancel();
        self.listeners.close();
        self.shared.session_tasks.close();
        let drained = async {
            self.shared.session_tasks.wait().await;
            self.listeners.wait().await;
        };
        if tokio::time::timeout(grace, drained).await.is_err() {
            tracing::warn!(
                still_open = self.shared.registry.len(),
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
