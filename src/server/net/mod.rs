//! The network layer: bytes to messages and back. It knows listeners, TLS, HTTP, the rungs of
//! the fallback ladder, the pages and the diagnostics probes, and hands each client's
//! connection to the session layer as a [`Socket`](crate::server::session::Socket). It knows
//! no engine.
//!
//! - `listener`: the accept loops (a connection slot before each accept, TLS and header
//!   timeouts, bind errors turned into advice). `tls`: certificates, behind a resolver a
//!   reload swaps; `expiry`: a certificate's notAfter, for the metrics.
//! - `origin`: the Origin rule, as an extractor every rung and probe takes.
//! - `websocket`: `/ws` and the session's socket over a WebSocket.
//! - `rungs` and `link`: the HTTP rungs (`/rt/sse`, `/rt/poll`, `/rt/send`, `/rt/endpoints`) and
//!   the link each carries, the session's socket over HTTP.
//! - `health`: `/healthz` and `/readyz`. `pages`: the browser pages. `diag`: the probes of the
//!   `/diagnostics` page.

mod diag;
mod expiry;
mod health;
mod link;
mod listener;
mod origin;
mod pages;
mod rungs;
mod tls;
mod websocket;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::get;
use tokio::sync::OwnedSemaphorePermit;

use crate::server::rung::Transport;
use crate::server::session::Sessions;

pub use link::Links;
pub use listener::{Accept, BindError, Listening, accept_loop, bind};
pub use pages::{Ladder, PagesConfig};
pub use tls::{Certificate, CertificateResolver, TlsError, load, not_after, server_config};

/// tungstenite's read and write buffers per connection. Its defaults (128 KiB each) cost about
/// 140 KB per idle connection; protocol messages are small and writes are coalesced, so 4 KiB
/// serves them (BENCHMARKS.md has the measurement).
pub const READ_BUFFER_SIZE: usize = 4 * 1024;
pub const WRITE_BUFFER_SIZE: usize = 4 * 1024;
/// The most a connection's write buffer may hold while the client does not read.
pub const MAX_WRITE_BUFFER_SIZE: usize = 1024 * 1024;

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
    /// A comment this long opens every SSE stream (0: none).
    pub sse_padding_bytes: u32,
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

/// The client at the other end of a request's TCP connection. The listener puts it in every
/// request's extensions.
#[derive(Clone)]
pub struct Peer {
    pub transport: Transport,
    pub remote: SocketAddr,
    /// The connection's slot under `max_connections`, held for as long as its session lives.
    pub permit: Arc<OwnedSemaphorePermit>,
}

/// Every route of the ws and wss listeners.
pub fn router(net: Arc<Net>, pages: PagesConfig) -> Router {
    Router::new()
        .route("/ws", get(websocket::upgrade))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .merge(rungs::routes())
        .merge(diag::routes())
        .with_state(net)
        .merge(pages::router(pages))
}
