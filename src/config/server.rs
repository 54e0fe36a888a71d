//! The server's sections: `[server]` (listeners, TLS, browser origins), `[limits]` and
//! `[[principals]]` (who may connect, with which role, in which tenant).

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Deserialize;

use crate::acd::AgentId;
use crate::protocol::Acting;
pub use crate::protocol::Role;

use super::locate::FieldPath;
use super::raw::{Count, Id, Port, Seconds};
use super::{Problem, TenantConfig, problem, secs};

/// Where a listener binds, or that it is switched off. Written `"0.0.0.0:443"`, `"8443"` (every
/// IPv4 interface) or `"off"`, in the file and on the command line alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenAddr {
    Off,
    At(SocketAddr),
}

impl FromStr for ListenAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<ListenAddr, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(ListenAddr::Off);
        }
        if let Ok(port) = text.parse::<u16>() {
            return Ok(ListenAddr::At(SocketAddr::from((
                Ipv4Addr::UNSPECIFIED,
                port,
            ))));
        }
        text.parse::<SocketAddr>().map(ListenAddr::At).map_err(|_| {
            format!("`{text}` is not an address: write host:port (0.0.0.0:443), a port, or off")
        })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Off => f.write_str("off"),
            ListenAddr::At(addr) => write!(f, "{addr}"),
        }
    }
}

impl<'de> Deserialize<'de> for ListenAddr {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// `[server]`: how clients reach the server.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerConfig {
    /// Plain WebSocket (ws://) and HTTP. Port 80 by default: the port every proxy lets out.
    pub ws: ListenAddr,
    /// WebSocket over TLS (wss://) and HTTPS. Port 443 by default: where deep-inspecting
    /// firewalls that kill WebSocket on port 80 still let it through.
    pub wss: ListenAddr,
    /// The certificate chain and private key for wss, as PEM files. `None` runs on the
    /// development certificate in `certs/`, which only a machine that trusts its CA accepts; the
    /// log warns about it.
    pub tls: Option<TlsFiles>,
    /// Browser pages from these origins (exactly, such as `https://acd.example.com`) may open a
    /// session. A page served by acdhub itself (its origin is the request's own host) always may;
    /// a client that sends no Origin is not a browser and is let through to authenticate.
    pub allowed_origins: Vec<String>,
    /// The host names browsers reach acdhub by (`acd.example.com`). When set, a page's origin
    /// is the server's own only if its host is one of them: a DNS-rebinding page, whose
    /// `Host` and `Origin` both name the attacker's domain, is refused. Empty: any `Host` the
    /// request names counts as the server's own (the risk is in docs/configuration.md).
    pub public_hosts: Vec<String>,
    /// A file to append the audit log to, one JSON line per supervisor action (who, what, on
    /// whom, when, with what result). `None` keeps the records in the server's log only. The
    /// file is opened at start; one that cannot be opened stops the start.
    pub audit_log: Option<PathBuf>,
    /// Not a file key: set from `ACDHUB_WEB_DIR` for work on the pages, which are then read
    /// from this folder at every request instead of from the binary.
    pub web_dir: Option<PathBuf>,
    /// Not a file key: the server runs the built-in demo, so the landing page lists its logins.
    pub demo: bool,
    /// The ports browsers reach the ws and wss listeners on, when a proxy in front of acdhub
    /// publishes others (`None`: the listener's own port; `Some(0)`: that rung is not offered).
    /// `/rt/endpoints` builds the fallback ladder from them, and an Origin on one of them is
    /// the server's own.
    pub public_ws_port: Option<u16>,
    pub public_wss_port: Option<u16>,
    /// A comment this long opens every SSE stream, for old intermediaries that hold the first
    /// kilobytes of a response; 0, the default, sends none.
    pub sse_padding_bytes: u32,
    /// How long an agent whose last connection dropped keeps its state before `on_disconnect`
    /// applies: a network blip or a reload must not take an agent out of service.
    pub disconnect_grace: Duration,
    /// What happens to an agent whose connection stays gone for the grace period.
    pub on_disconnect: OnDisconnect,
    /// After SIGTERM, how long the server goes on serving with `/readyz` answering 503, so a
    /// load balancer takes it out of rotation before its listeners close (Kubernetes' preStop
    /// delay, nginx's graceful stop). Zero stops at once.
    pub drain: Duration,
}

/// What the ACD does with an agent whose connections have been gone for the grace period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDisconnect {
    /// Not ready with reason `disconnected`: no more offers; a supervisor sees why.
    NotReady,
    /// Logged out.
    Logout,
}

impl<'de> Deserialize<'de> for OnDisconnect {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match String::deserialize(deserializer)?.as_str() {
            "not_ready" => Ok(OnDisconnect::NotReady),
            "logout" => Ok(OnDisconnect::Logout),
            other => Err(serde::de::Error::custom(format!(
                "unknown action `{other}`; expected not_ready or logout"
            ))),
        }
    }
}

impl Default for ServerConfig {
    fn default() -> ServerConfig {
        ServerConfig {
            ws: ListenAddr::At(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 80))),
            wss: ListenAddr::At(SocketAddr::from((Ipv4Addr::UNSPECIFIED, 443))),
            tls: None,
            allowed_origins: Vec::new(),
            public_hosts: Vec::new(),
            audit_log: None,
            web_dir: None,
            demo: false,
            public_ws_port: None,
            public_wss_port: None,
            sse_padding_bytes: 0,
            disconnect_grace: Duration::from_secs(60),
            on_disconnect: OnDisconnect::NotReady,
            drain: Duration::from_secs(5),
        }
    }
}

/// `[metrics]`: where Prometheus scrapes `/metrics`.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsConfig {
    /// 127.0.0.1:9464 by default: a Prometheus on the same host can scrape, the public ports
    /// do not serve metrics, and nothing outside the host sees them unless configured.
    pub listen: ListenAddr,
}

impl Default for MetricsConfig {
    fn default() -> MetricsConfig {
        MetricsConfig {
            listen: ListenAddr::At(SocketAddr::from((Ipv4Addr::LOCALHOST, 9464))),
        }
    }
}

/// The production certificate: paths as written in the file (relative to the working directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub certificate: PathBuf,
    pub private_key: PathBuf,
}

/// `[limits]`: what one client may cost the server, and how long the server waits for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Clients at most (WebSockets and HTTP links), over both listeners; a further WebSocket
    /// waits for a slot, a further link is refused with 503 `server_full`.
    pub max_connections: u32,
    /// The largest message a client may send; a larger one closes the connection with 1009.
    pub max_message_bytes: u32,
    /// A client that has not authenticated by then is closed with 4001.
    pub auth_timeout: Duration,
    /// How often the server pings an idle connection, so that proxies see traffic and a dead
    /// peer is found.
    pub ping_interval: Duration,
    /// A connection whose pong is this late is closed as dead.
    pub pong_timeout: Duration,
    /// Messages waiting to be written to one client. A client that lets more pile up is too
    /// slow to keep up and is closed with 4008.
    pub outbound_queue: u32,
    /// `outbound_queue` for telephony: one connection carries every call of a tenant, several
    /// messages a call, so a burst of calls must not cut the PBX off (issue 16).
    pub telephony_outbound_queue: u32,
    /// Refused messages (malformed, unknown, forbidden) a client may send per minute before it
    /// is closed with 1008.
    pub bad_messages_per_minute: u32,
    /// Wrong passwords one connection may try before it is closed with 4003.
    pub auth_attempts: u32,
    /// Failed password sign-ins one client address (an IPv6 /64) may make a minute, in a burst
    /// of as many; past it, `auth` with a password is refused with `auth_throttled` before
    /// the password is hashed, so guessers never take the checks real users need.
    pub auth_failures_per_address: u32,
    /// Failed password sign-ins at one user a minute, from anywhere, in a burst of as many:
    /// what a guesser with many addresses gets at one account.
    pub auth_failures_per_user: u32,
    /// How long shutdown waits for connections to close before it stops anyway.
    pub shutdown_grace: Duration,
    /// Statistics updates a wallboard or supervisor subscription gets per second at most.
    /// Changes in between are coalesced: the next update carries the latest figures.
    pub stats_updates_per_sec: u32,
    /// How often an SSE stream gets a comment line, besides the heartbeat message.
    pub sse_keepalive: Duration,
    /// How long a long-poll request waits for a message before it answers empty.
    pub poll_wait: Duration,
    /// Events a session keeps to replay when a client resumes it.
    pub replay_events: u32,
    /// The most bytes of events a session keeps to replay, whatever their number.
    pub replay_bytes: u32,
    /// How long a session whose connection dropped waits to be resumed, and the oldest event
    /// it replays.
    pub resume: Duration,
    /// The most a request's body may take to arrive; a slower one is answered 408 and its
    /// connection closed (nginx's `client_body_timeout`).
    pub body_timeout: Duration,
    /// The most a response may wait for the client to read it before its connection is
    /// closed (nginx's `send_timeout`).
    pub send_timeout: Duration,
    /// Requests one kept-alive HTTP connection may carry; the last is answered with
    /// `Connection: close` (nginx's `keepalive_requests`).
    pub keepalive_requests: u32,
    /// Sessions one principal may have, attached or parked: a new one ends the principal's
    /// session parked longest ago, and is refused (`too_many_sessions`) when all are attached.
    /// One token cannot fill the server with sessions.
    pub max_sessions_per_principal: u32,
    /// Sessions parked for a resume at most, over all principals: parking one more ends the
    /// one parked longest ago (its client resyncs).
    pub max_parked_sessions: u32,
    /// Clients (WebSockets and links) one address (an IPv6 client: its /64) may have that have
    /// not signed in yet; one more is answered 503 `too_many_unauthenticated`. One address
    /// cannot hold every client slot with connections that never sign in.
    pub unauthenticated_per_address: u32,
    /// Messages a second an agent's, supervisor's or wallboard's session may send, after its
    /// burst; more are refused with `rate_limited`. A principal's sessions together get four
    /// times this.
    pub commands_per_sec: u32,
    /// Messages such a session may send at once above its rate.
    pub command_burst: u32,
    /// Like `commands_per_sec`, for telephony: a PBX connector reports every call.
    pub telephony_commands_per_sec: u32,
    /// Like `command_burst`, for telephony, which pipelines.
    pub telephony_command_burst: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 50_000,
            max_message_bytes: 64 * 1024,
            auth_timeout: Duration::from_secs(10),
            ping_interval: Duration::from_secs(25),
            pong_timeout: Duration::from_secs(20),
            outbound_queue: 1024,
            telephony_outbound_queue: 65_536,
            bad_messages_per_minute: 30,
            auth_attempts: 3,
            auth_failures_per_address: 30,
            auth_failures_per_user: 6,
            shutdown_grace: Duration::from_secs(10),
            stats_updates_per_sec: 4,
            sse_keepalive: Duration::from_secs(15),
            poll_wait: Duration::from_secs(25),
            replay_events: 1024,
            replay_bytes: 64 * 1024,
            resume: Duration::from_secs(120),
            body_timeout: Duration::from_secs(10),
            send_timeout: Duration::from_secs(30),
            keepalive_requests: 1000,
            max_sessions_per_principal: 32,
            max_parked_sessions: 20_000,
            unauthenticated_per_address: 2_000,
            commands_per_sec: 20,
            command_burst: 200,
            telephony_commands_per_sec: 10_000,
            telephony_command_burst: 20_000,
        }
    }
}

/// Someone who may log in: a person or a machine, bound to one tenant and one role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The login name.
    pub user: String,
    /// An argon2 hash in PHC form (`$argon2id$v=19$...`), made with `acdhub hash-password`.
    /// The password itself is never stored.
    pub password_hash: String,
    /// The principal's role, with the agent an `agent` principal acts as (the tenant's agent
    /// id).
    pub acting: Acting,
    pub tenant: String,
}

impl Principal {
    pub fn role(&self) -> Role {
        self.acting.role()
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    ws: Option<ListenAddr>,
    wss: Option<ListenAddr>,
    tls_certificate: Option<PathBuf>,
    tls_private_key: Option<PathBuf>,
    #[serde(default)]
    allowed_origins: Vec<String>,
    #[serde(default)]
    public_hosts: Vec<String>,
    audit_log: Option<PathBuf>,
    public_ws_port: Option<Port>,
    public_wss_port: Option<Port>,
    sse_padding_bytes: Option<Count>,
    disconnect_grace_secs: Option<Seconds>,
    on_disconnect: Option<OnDisconnect>,
    drain_secs: Option<Seconds>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimits {
    max_connections: Option<Count>,
    max_message_bytes: Option<Count>,
    auth_timeout_secs: Option<Seconds>,
    ping_interval_secs: Option<Seconds>,
    pong_timeout_secs: Option<Seconds>,
    outbound_queue: Option<Count>,
    telephony_outbound_queue: Option<Count>,
    bad_messages_per_minute: Option<Count>,
    auth_attempts: Option<Count>,
    auth_failures_per_address: Option<Count>,
    auth_failures_per_user: Option<Count>,
    shutdown_grace_secs: Option<Seconds>,
    stats_updates_per_sec: Option<Count>,
    sse_keepalive_secs: Option<Seconds>,
    poll_wait_secs: Option<Seconds>,
    replay_events: Option<Count>,
    replay_bytes: Option<Count>,
    resume_secs: Option<Seconds>,
    body_timeout_secs: Option<Seconds>,
    send_timeout_secs: Option<Seconds>,
    keepalive_requests: Option<Count>,
    max_sessions_per_principal: Option<Count>,
    max_parked_sessions: Option<Count>,
    unauthenticated_per_address: Option<Count>,
    commands_per_sec: Option<Count>,
    command_burst: Option<Count>,
    telephony_commands_per_sec: Option<Count>,
    telephony_command_burst: Option<Count>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawMetrics {
    listen: Option<ListenAddr>,
}

pub(super) fn build_metrics(raw: RawMetrics) -> MetricsConfig {
    MetricsConfig {
        listen: raw.listen.unwrap_or(MetricsConfig::default().listen),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrincipal {
    user: Id,
    password_hash: String,
    role: RoleName,
    tenant: String,
    agent: Option<String>,
}

#[derive(Debug)]
struct RoleName(Role);

impl<'de> Deserialize<'de> for RoleName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Role::ALL
            .into_iter()
            .find(|role| role.name() == text)
            .map(RoleName)
            .ok_or_else(|| {
                serde::de::Error::custom(format!(
                    "unknown role `{text}`; expected agent, wallboard, supervisor or telephony"
                ))
            })
    }
}

pub(super) fn build_server(at: &FieldPath, raw: RawServer) -> Result<ServerConfig, Problem> {
    let defaults = ServerConfig::default();
    let tls = match (raw.tls_certificate, raw.tls_private_key) {
        (Some(certificate), Some(private_key)) => Some(TlsFiles {
            certificate,
            private_key,
        }),
        (None, None) => None,
        (Some(_), None) => {
            return Err(problem(
                at.key("tls_private_key"),
                "tls_certificate is set, so the private key's file is needed too",
            ));
        }
        (None, Some(_)) => {
            return Err(problem(
                at.key("tls_certificate"),
                "tls_private_key is set, so the certificate's file is needed too",
            ));
        }
    };
    for (index, origin) in raw.allowed_origins.iter().enumerate() {
        if let Err(why) = check_origin(origin) {
            return Err(problem(at.key("allowed_origins").index(index), why));
        }
    }
    for (index, host) in raw.public_hosts.iter().enumerate() {
        if host.is_empty() || host.contains(['/', ':', ' ']) {
            return Err(problem(
                at.key("public_hosts").index(index),
                format!(
                    "`{host}` is not a host name: write it as browsers reach acdhub, such as acd.example.com, without scheme or port"
                ),
            ));
        }
    }
    if let Some(path) = &raw.audit_log {
        if path.as_os_str().is_empty() {
            return Err(problem(
                at.key("audit_log"),
                "names no file; leave the key out to keep the audit records in the log only",
            ));
        }
        if path.as_os_str().to_string_lossy().ends_with('/') {
            return Err(problem(
                at.key("audit_log"),
                "names a directory; name the file to append to, such as /var/log/acdhub/audit.jsonl",
            ));
        }
    }
    Ok(ServerConfig {
        ws: raw.ws.unwrap_or(defaults.ws),
        wss: raw.wss.unwrap_or(defaults.wss),
        tls,
        allowed_origins: raw.allowed_origins,
        public_hosts: raw.public_hosts,
        audit_log: raw.audit_log,
        public_ws_port: raw.public_ws_port.map(|p| p.0),
        public_wss_port: raw.public_wss_port.map(|p| p.0),
        sse_padding_bytes: match raw.sse_padding_bytes {
            Some(Count(n)) if n > 65536 => {
                return Err(problem(
                    at.key("sse_padding_bytes"),
                    "must be at most 65536: 2 KiB is what old intermediaries need",
                ));
            }
            Some(Count(n)) => n,
            None => defaults.sse_padding_bytes,
        },
        disconnect_grace: raw
            .disconnect_grace_secs
            .map_or(defaults.disconnect_grace, |s| secs(s.0)),
        on_disconnect: raw.on_disconnect.unwrap_or(defaults.on_disconnect),
        drain: match raw.drain_secs {
            Some(Seconds(n)) if n > 600 => {
                return Err(problem(
                    at.key("drain_secs"),
                    "must be at most 600: a load balancer notices a 503 within seconds",
                ));
            }
            Some(Seconds(n)) => secs(n),
            None => defaults.drain,
        },
        ..defaults
    })
}

/// An origin is what a browser sends: scheme, host and an optional port, nothing after.
fn check_origin(origin: &str) -> Result<(), String> {
    let rest = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("`{origin}` is not an origin: it starts with https:// or http://")
        })?;
    if rest.is_empty() || rest.contains('/') || origin.ends_with(':') {
        return Err(format!(
            "`{origin}` is not an origin: write scheme://host[:port] with no path, as browsers send it"
        ));
    }
    Ok(())
}

pub(super) fn build_limits(at: &FieldPath, raw: RawLimits) -> Result<Limits, Problem> {
    let d = Limits::default();
    let positive = |value: Option<Count>, key: &str, default: u32| match value {
        Some(Count(0)) => Err(problem(at.key(key), "must be at least 1")),
        Some(Count(n)) => Ok(n),
        None => Ok(default),
    };
    let positive_secs = |value: Option<Seconds>, key: &str, default: Duration| match value {
        Some(Seconds(0)) => Err(problem(at.key(key), "must be at least 1 second")),
        Some(Seconds(n)) => Ok(secs(n)),
        None => Ok(default),
    };
    let limits = Limits {
        max_connections: positive(raw.max_connections, "max_connections", d.max_connections)?,
        max_message_bytes: positive(
            raw.max_message_bytes,
            "max_message_bytes",
            d.max_message_bytes,
        )?,
        auth_timeout: positive_secs(raw.auth_timeout_secs, "auth_timeout_secs", d.auth_timeout)?,
        ping_interval: positive_secs(
            raw.ping_interval_secs,
            "ping_interval_secs",
            d.ping_interval,
        )?,
        pong_timeout: positive_secs(raw.pong_timeout_secs, "pong_timeout_secs", d.pong_timeout)?,
        outbound_queue: positive(raw.outbound_queue, "outbound_queue", d.outbound_queue)?,
        telephony_outbound_queue: positive(
            raw.telephony_outbound_queue,
            "telephony_outbound_queue",
            d.telephony_outbound_queue,
        )?,
        bad_messages_per_minute: positive(
            raw.bad_messages_per_minute,
            "bad_messages_per_minute",
            d.bad_messages_per_minute,
        )?,
        auth_attempts: positive(raw.auth_attempts, "auth_attempts", d.auth_attempts)?,
        auth_failures_per_address: positive(
            raw.auth_failures_per_address,
            "auth_failures_per_address",
            d.auth_failures_per_address,
        )?,
        auth_failures_per_user: positive(
            raw.auth_failures_per_user,
            "auth_failures_per_user",
            d.auth_failures_per_user,
        )?,
        shutdown_grace: raw
            .shutdown_grace_secs
            .map_or(d.shutdown_grace, |s| secs(s.0)),
        stats_updates_per_sec: positive(
            raw.stats_updates_per_sec,
            "stats_updates_per_sec",
            d.stats_updates_per_sec,
        )?,
        sse_keepalive: positive_secs(
            raw.sse_keepalive_secs,
            "sse_keepalive_secs",
            d.sse_keepalive,
        )?,
        poll_wait: positive_secs(raw.poll_wait_secs, "poll_wait_secs", d.poll_wait)?,
        replay_events: positive(raw.replay_events, "replay_events", d.replay_events)?,
        replay_bytes: positive(raw.replay_bytes, "replay_bytes", d.replay_bytes)?,
        resume: positive_secs(raw.resume_secs, "resume_secs", d.resume)?,
        body_timeout: positive_secs(raw.body_timeout_secs, "body_timeout_secs", d.body_timeout)?,
        send_timeout: positive_secs(raw.send_timeout_secs, "send_timeout_secs", d.send_timeout)?,
        keepalive_requests: positive(
            raw.keepalive_requests,
            "keepalive_requests",
            d.keepalive_requests,
        )?,
        max_sessions_per_principal: positive(
            raw.max_sessions_per_principal,
            "max_sessions_per_principal",
            d.max_sessions_per_principal,
        )?,
        max_parked_sessions: positive(
            raw.max_parked_sessions,
            "max_parked_sessions",
            d.max_parked_sessions,
        )?,
        unauthenticated_per_address: positive(
            raw.unauthenticated_per_address,
            "unauthenticated_per_address",
            d.unauthenticated_per_address,
        )?,
        commands_per_sec: positive(raw.commands_per_sec, "commands_per_sec", d.commands_per_sec)?,
        command_burst: positive(raw.command_burst, "command_burst", d.command_burst)?,
        telephony_commands_per_sec: positive(
            raw.telephony_commands_per_sec,
            "telephony_commands_per_sec",
            d.telephony_commands_per_sec,
        )?,
        telephony_command_burst: positive(
            raw.telephony_command_burst,
            "telephony_command_burst",
            d.telephony_command_burst,
        )?,
    };
    if limits.poll_wait > Duration::from_secs(55) {
        return Err(problem(
            at.key("poll_wait_secs"),
            "must be at most 55: proxies close requests that wait a minute",
        ));
    }
    if limits.stats_updates_per_sec > 50 {
        return Err(problem(
            at.key("stats_updates_per_sec"),
            "must be at most 50: no display needs more, and each update costs every subscriber",
        ));
    }
    if limits.max_message_bytes < 1024 {
        return Err(problem(
            at.key("max_message_bytes"),
            "must be at least 1024: a call's attached data needs room",
        ));
    }
    Ok(limits)
}

pub(super) fn build_principals(
    at: &FieldPath,
    raw: Vec<RawPrincipal>,
    tenants: &[TenantConfig],
) -> Result<Vec<Principal>, Problem> {
    let mut principals: Vec<Principal> = Vec::with_capacity(raw.len());
    for (index, raw) in raw.into_iter().enumerate() {
        let at = at.index(index);
        if principals.iter().any(|p| p.user == raw.user.0) {
            return Err(problem(
                at.key("user"),
                "a principal with this user exists already",
            ));
        }
        if !raw.password_hash.starts_with("$argon2") {
            return Err(problem(
                at.key("password_hash"),
                "must be an argon2 hash ($argon2id$...); make one with `acdhub hash-password`",
            ));
        }
        let Some(tenant) = tenants.iter().find(|t| t.id == raw.tenant) else {
            return Err(problem(at.key("tenant"), "names no configured tenant"));
        };
        let acting = match (raw.role.0, raw.agent) {
            (Role::Agent, agent) => {
                let agent = agent.unwrap_or_else(|| raw.user.0.clone());
                if !tenant.acd.agents.iter().any(|a| a.id.as_str() == agent) {
                    return Err(problem(
                        at.key("agent"),
                        format!("no agent `{agent}` in tenant `{}`", tenant.id),
                    ));
                }
                Acting::Agent(AgentId::from(agent))
            }
            (_, Some(_)) => {
                return Err(problem(
                    at.key("agent"),
                    "only a principal with role agent acts as an agent",
                ));
            }
            (Role::Wallboard, None) => Acting::Wallboard,
            (Role::Supervisor, None) => Acting::Supervisor,
            (Role::Telephony, None) => Acting::Telephony,
            (Role::Messaging, None) => Acting::Messaging,
        };
        principals.push(Principal {
            user: raw.user.0,
            password_hash: raw.password_hash,
            acting,
            tenant: raw.tenant,
        });
    }
    Ok(principals)
}
