//! The HTTP side of both listeners: the WebSocket upgrade at `/ws`, the HTTP rungs ([`rt`]),
//! `/healthz` and `/readyz` for load balancers and orchestrators, the browser pages
//! ([`pages`]) and the diagnostics page's probes ([`diag`]).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;

use crate::protocol::SUBPROTOCOL;

use super::Shared;
use super::link::Socket;
use super::pages::{self, PagesConfig};
use super::registry::{Rung, Transport};
use super::{diag, rt, session};

/// tungstenite's read and write buffers per connection. Its defaults (128 KiB each) cost about
/// 140 KB per idle connection; protocol messages are small and writes are coalesced, so 4 KiB
/// serves them (BENCHMARKS.md has the measurement).
pub const READ_BUFFER_SIZE: usize = 4 * 1024;
pub const WRITE_BUFFER_SIZE: usize = 4 * 1024;
/// The most a connection's write buffer may hold while the client does not read.
pub const MAX_WRITE_BUFFER_SIZE: usize = 1024 * 1024;

/// What a request knows of the connection it came on; the listener puts it in the request's
/// extensions.
#[derive(Clone)]
pub struct Connection {
    pub transport: Transport,
    pub remote: SocketAddr,
    /// The connection's slot under `max_connections`, held for as long as its session lives.
    pub permit: Arc<OwnedSemaphorePermit>,
}

pub fn router(shared: Arc<Shared>, pages: PagesConfig) -> Router {
    Router::new()
        .route("/ws", get(upgrade))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(rt::routes())
        .merge(diag::routes())
        .with_state(shared)
        .merge(pages::router(pages))
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(shared): State<Arc<Shared>>) -> Response {
    if shared.shutdown.is_cancelled() {
        let body = json!({ "status": "shutting_down" });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let stopped: Vec<&String> = shared
        .engines
        .iter()
        .filter(|(_, engine)| engine.is_closed())
        .map(|(tenant, _)| tenant)
        .collect();
    if !stopped.is_empty() {
        let body = json!({ "status": "engine_stopped", "tenants": stopped });
        return (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response();
    }
    let body = json!({
        "status": "ready",
        "sessions": shared.registry.len(),
        "tenants": shared.engines.len(),
    });
    Json(body).into_response()
}

async fn upgrade(
    State(shared): State<Arc<Shared>>,
    axum::Extension(connection): axum::Extension<Connection>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if let Some(refused) = check_origin(&shared, &connection, &headers) {
        return refused;
    }
    let max_message = shared.limits.max_message_bytes as usize;
    let tracker = shared.session_tasks.clone();
    upgrade
        .protocols([SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER_SIZE)
        .write_buffer_size(WRITE_BUFFER_SIZE)
        .max_write_buffer_size(MAX_WRITE_BUFFER_SIZE)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            tracker.track_future(async move {
                let _permit = connection.permit;
                let rung = Rung::websocket(connection.transport);
                let socket = Socket::Ws {
                    socket: Box::new(socket),
                    rung,
                };
                session::serve(socket, shared, connection.remote, None).await;
            })
        })
}

/// A browser sends the page's origin; it must be allowed, or be one of the server's own (a page
/// this server served, over either listener or through a proxy). A request without Origin is
/// not from a browser and goes on to authenticate. Returns the 403 to answer with, if refused.
pub fn check_origin(
    shared: &Shared,
    connection: &Connection,
    headers: &HeaderMap,
) -> Option<Response> {
    let origin = headers.get(header::ORIGIN)?;
    let origin = origin.to_str().unwrap_or("(not text)");
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    if shared
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
        || is_own_origin(origin, host, &shared.ports.own)
    {
        return None;
    }
    tracing::info!(remote = %connection.remote, %origin, "refused a browser from an origin not allowed");
    let body = json!({
        "code": "origin_not_allowed",
        "message": format!("pages from {origin} may not connect; add it to [server] allowed_origins"),
    });
    Some((StatusCode::FORBIDDEN, Json(body)).into_response())
}

/// Whether a page of `origin` is the server's own: its host is the request's `Host`, and its
/// port is the `Host`'s, one of the server's own ports, or (a proxy that passes `Host` without
/// a port) its scheme's default.
fn is_own_origin(origin: &str, host: Option<&str>, own_ports: &[u16]) -> bool {
    let Some(host) = host else {
        return false;
    };
    let (scheme_port, authority) = if let Some(rest) = origin.strip_prefix("https://") {
        (443, rest)
    } else if let Some(rest) = origin.strip_prefix("http://") {
        (80, rest)
    } else {
        return false;
    };
    let (origin_host, origin_port) = split_authority(authority);
    let (host_name, host_port) = split_authority(host);
    if !origin_host.eq_ignore_ascii_case(host_name) {
        return false;
    }
    let origin_port = origin_port.unwrap_or(scheme_port);
    match host_port {
        Some(port) if port == origin_port => true,
        None if origin_port == scheme_port => true,
        _ => own_ports.contains(&origin_port),
    }
}

/// `host[:port]`, with IPv6 hosts in brackets.
pub(super) fn split_authority(authority: &str) -> (&str, Option<u16>) {
    let port_at = match authority.rfind(']') {
        Some(bracket) => authority[bracket..].find(':').map(|i| bracket + i),
        None => authority.rfind(':'),
    };
    match port_at {
        Some(at) => match authority[at + 1..].parse() {
            Ok(port) => (&authority[..at], Some(port)),
            Err(_) => (authority, None),
        },
        None => (authority, None),
    }
}

#[cfg(test)]
mod tests {
    use super::is_own_origin;

    #[test]
    fn own_origins_are_the_hosts_own_ports_only() {
        let own = [8080, 8443];
        // A page from this listener, or the other one.
        assert!(is_own_origin(
            "http://acd.example:8080",
            Some("acd.example:8080"),
            &own
        ));
        assert!(is_own_origin(
            "http://acd.example:8080",
            Some("acd.example:8443"),
            &own
        ));
        // A TLS-terminating proxy on 443 that passes Host without a port.
        assert!(is_own_origin(
            "https://acd.example",
            Some("acd.example"),
            &own
        ));
        assert!(is_own_origin("http://[::1]:8080", Some("[::1]:8443"), &own));
        // Another site, or another port of the same host that is not the server's.
        assert!(!is_own_origin(
            "https://evil.example",
            Some("acd.example"),
            &own
        ));
        assert!(!is_own_origin(
            "http://acd.example:3000",
            Some("acd.example:8080"),
            &own
        ));
        assert!(!is_own_origin("null", Some("acd.example:8080"), &own));
        assert!(!is_own_origin("http://acd.example:8080", None, &own));
    }
}
