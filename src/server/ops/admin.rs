//! The administrator's endpoints, on the metrics listener (local by default): `GET /metrics`
//! (the server's counters and every tenant's figures) and `GET /sessions` (the server's side of
//! connection diagnostics).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use prometheus::TextEncoder;

use crate::protocol::outbound::time;
use crate::server::clock::Clock;
use crate::server::session::{Connections, Resumable};
use crate::server::tenant::Tenants;

use super::counters::Counters;

use super::scrape::acd_families;

/// What the administrator's endpoints read: the server's parts, read-only.
pub struct Admin {
    pub tenants: Arc<Tenants>,
    pub resumable: Arc<Resumable>,
    pub connections: Arc<Connections>,
    pub counters: Arc<Counters>,
    pub clock: Arc<Clock>,
}

/// `GET /metrics` and `GET /sessions` (the server's side of connection diagnostics), which the
/// metrics listener serves with its own small share of connections (`net::accept_loop`).
pub fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/metrics", get(scrape))
        .route("/sessions", get(list_sessions))
        .with_state(admin)
}

/// `GET /sessions`: every session, the rung its connection is on (none while it waits to be
/// resumed), and how its connections have fared. For the administrator: it names users and
/// their addresses, so it is served on the metrics listener, which is local by default.
async fn list_sessions(State(admin): State<Arc<Admin>>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let mut slots = admin.resumable.slots();
    slots.sort_by_key(|slot| slot.number);
    let listed: Vec<serde_json::Value> = slots
        .iter()
        .map(|slot| {
            let stats = &slot.stats;
            let (rung, remote) = match stats.rung() {
                Some((rung, remote)) => (Some(rung.name()), Some(remote.to_string())),
                None => (None, None),
            };
            serde_json::json!({
                "session": slot.number.0,
                "tenant": slot.identity.tenant,
                "user": slot.identity.user,
                "role": slot.identity.role().name(),
                "started_at": time(slot.started_at),
                "connected": slot.is_attached(),
                "rung": rung,
                "remote": remote,
                "connections": stats.connections.load(Relaxed),
                "resumes": stats.resumes.load(Relaxed),
                "resync": stats.resync.load(Relaxed),
                "heartbeat_misses": stats.heartbeat_misses.load(Relaxed),
                "last_seq": stats.last_seq.load(Relaxed),
            })
        })
        .collect();
    let body = serde_json::json!({
        "at": time(admin.clock.now()),
        "connections": admin.connections.len(),
        "sessions": listed,
    });
    axum::Json(body).into_response()
}

/// How long a scrape waits for a busy engine before it answers without that tenant.
const ENGINE_PATIENCE: Duration = Duration::from_secs(5);

async fn scrape(State(admin): State<Arc<Admin>>) -> Response {
    // Every engine is asked at once, under one deadline well inside Prometheus's default
    // 10 s scrape timeout: a busy tenant costs the scrape its own series, not everyone's.
    let tenants = admin.tenants.figures(ENGINE_PATIENCE).await;
    let mut families = admin.counters.gather();
    families.extend(acd_families(&tenants));
    families.sort_by(|a, b| a.name().cmp(b.name()));
    match TextEncoder::new().encode_to_string(&families) {
        Ok(text) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response(),
        Err(error) => {
            tracing::error!(%error, "metrics did not encode");
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    }
}
