//! The network layer: bytes to messages and back. It knows listeners, TLS, HTTP, the rungs of
//! the fallback ladder, the pages and the diagnostics probes, and hands each client's
//! connection to the session layer as a [`Socket`](crate::server::session::Socket). It knows
//! no engine.
//!
//! - `listener`: the accept loops (a descriptor slot before each accept, each listener with its
//!   own share of the open-file limit; TLS, header, send timeouts; accept errors backed off;
//!   bind errors turned into advice). `tls`: certificates, behind a resolver a
//!   reload swaps; `expiry`: a certificate's notAfter, for the metrics.
//! - `origin`: the Origin rule, as an extractor every rung and probe takes.
//! - `ws`: the WebSocket itself: the upgrade, the connection, RFC 6455 framing.
//! - `websocket`: `/ws` and the session's socket over a WebSocket. `echo`: `/test/echo`, for
//!   the conformance suite only.
//! - `rungs` and `link`: the HTTP rungs (`/rt/sse`, `/rt/poll`, `/rt/send`, `/rt/endpoints`) and
//!   the link each carries, the session's socket over HTTP.
//! - `health`: `/healthz` and `/readyz`. `pages`: the browser pages. `diag`: the probes of the
//!   `/diagnostics` page.

mod diag;
mod echo;
mod expiry;
mod health;
mod link;
mod listener;
mod origin;
mod pages;
mod rungs;
mod tls;
mod websocket;
mod ws;

use std::net::SocketAddr;
use std::sync::Arc;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use tokio_util::sync::CancellationToken;

use axum::Router;
use axum::routing::get;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::server::ops::counters::Counters;
use crate::server::rung::Transport;
use crate::server::session::Sessions;

pub use link::Links;
pub use listener::{Accept, BindError, Descriptors, HttpLimits, Listening, accept_loop, bind};
pub use pages::{Ladder, PagesConfig};
pub use tls::{
    Certificate, CertificateResolver, TlsError, is_development, load, not_after, server_config,
};

/// What the network layer shares between its handlers.
pub struct Net {
    /// The session layer, which every client connection is handed to.
    pub sessions: Arc<Sessions>,
    /// The open SSE and long-poll links, by id.
    pub links: Links,
    /// What `/rt/endpoints` and the Origin rule know of the server's own ports.
    pub ports: Ports,
    /// Origins besides the server's own whose pages may connect.
    pub allowed_origins: Vec<String>,
    /// `[server] public_hosts`: when set, the only hosts the server's own pages come from.
    pub public_hosts: Vec<String>,
    /// A comment this long opens every SSE stream (0: none).
    pub sse_padding_bytes: u32,
    /// The client slots, `max_connections` of them: a WebSocket or an HTTP link holds one for
    /// as long as its session task runs. A connection that is not (yet) a client holds none.
    pub clients: Arc<Semaphore>,
    /// The diagnostics probes running at once, at most [`MAX_PROBES`].
    pub probes: Arc<Semaphore>,
    pub counters: Arc<Counters>,
    /// Cancelled when a stop begins: `/readyz` answers 503 while everything is still served.
    pub draining: CancellationToken,
    /// What the wss listener serves (a reload swaps it); `None` without wss.
    pub certificate: Option<Arc<CertificateResolver>>,
}

/// Diagnostics probes (`/diag/ws`, `/diag/sse`, `/diag/poll`) running at once over the whole
/// server; one more is answered 503 `probes_busy`. They need no password, so they get few.
pub const MAX_PROBES: usize = 16;

/// Links (SSE or long-poll) one HTTP connection may have open at once; one more is answered
/// 503 `too_many_links`. A page has one at a time; a browser shares a connection between tabs.
pub const LINKS_PER_CONNECTION: usize = 4;

/// The server's ports as browsers reach them.
pub struct Ports {
    /// Where the ws and wss rungs are offered (`None`: not offered).
    pub ws: Option<u16>,
    pub wss: Option<u16>,
    /// Every port that is the server's own: its listeners' and the public ones. A page from
    /// the request's host on one of them is one of the server's own pages.
    pub own: Vec<u16>,
    /// On a cluster, every node's WebSocket URL (`[cluster] node_urls`): where a page goes
    /// when its own node does not answer.
    pub nodes: Vec<String>,
}

/// The client at the other end of a request's TCP connection. The listener puts it in every
/// request's extensions.
#[derive(Clone)]
pub struct Peer {
    pub transport: Transport,
    pub remote: SocketAddr,
    /// The connection's file descriptor slot (not a client slot: see [`Net::clients`]), held
    /// for as long as the connection is open, also after an upgrade.
    pub permit: Arc<OwnedSemaphorePermit>,
    /// The links this connection opened that are still open.
    pub links: Arc<AtomicUsize>,
    /// Set once the connection carries a client's stream (a WebSocket, an SSE link): from then
    /// on its session's patience with slow readers governs, not `send_timeout_secs`.
    pub client_writes: Arc<AtomicBool>,
}

impl Peer {
    /// The connection now carries a client's stream (see [`Peer::client_writes`]).
    pub fn carries_a_client(&self) {
        self.client_writes.store(true, Ordering::Relaxed);
    }
}

/// Every route of the ws and wss listeners, and `/test/echo` when the process's environment
/// asks for it (tests only).
pub fn router(net: Arc<Net>, pages: PagesConfig) -> Router {
    let mut router = Router::new();
    if std::env::var_os(echo::ENV).is_some() {
        tracing::warn!(
            "{}: /test/echo echoes any WebSocket, for tests only",
            echo::ENV
        );
        router = router.route("/test/echo", get(echo::upgrade));
    }
    router
        .route("/ws", get(websocket::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(rungs::routes())
        .merge(diag::routes())
        .with_state(net)
        .merge(pages::router(pages))
}
