//! The HTTP side of both listeners: the WebSocket upgrade at `/ws`, `/healthz` and `/readyz` for
//! load balancers and orchestrators, and the browser pages ([`pages`]).

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
use super::pages::{self, PagesConfig};
use super::registry::Transport;
use super::session;

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
    if let Err(origin) = check_origin(&shared, connection.transport, &headers) {
        tracing::info!(remote = %connection.remote, %origin, "refused a browser from an origin not allowed");
        let body = json!({
            "code": "origin_not_allowed",
            "message": format!("pages from {origin} may not connect; add it to [server] allowed_origins"),
        });
        return (StatusCode::FORBIDDEN, Json(body)).into_response();
    }
    let max_message = shared.limits.max_message_bytes as usize;
    let tracker = shared.sessions.clone();
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
                session::serve(socket, shared, connection.transport, connection.remote).await;
            })
        })
}

/// A browser sends the page's origin; it must be allowed, or be the server's own (a page this
/// server served). A request without Origin is not from a browser and goes on to authenticate.
fn check_origin(shared: &Shared, transport: Transport, headers: &HeaderMap) -> Result<(), String> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let origin = origin.to_str().unwrap_or("(not text)");
    if shared
        .allowed_origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    let own = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .map(|host| format!("{}://{host}", transport.page_scheme()));
    match own {
        Some(own) if own.eq_ignore_ascii_case(origin) => Ok(()),
        _ => Err(origin.to_owned()),
    }
}
