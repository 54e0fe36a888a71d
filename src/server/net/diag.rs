//! The probes of the `/diagnostics` page (protocol.md, Diagnostics): streams of timestamped
//! ticks over WebSocket and SSE, and a long-poll that answers after a wait. The page measures
//! from the browser what passes between it and the server, and how late; the probes need no
//! account and touch no session, so they hold no client slot: at most [`MAX_PROBES`] run at
//! once, and one more is answered 503 `probes_busy`.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use futures_util::stream;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;

use crate::protocol::outbound::time;

use super::origin::AllowedOrigin;
use super::rungs::{event_stream, refused};
use super::ws::{Message, Stream, WsConn, WsUpgrade};
use super::{MAX_PROBES, Net, Peer};

pub fn routes() -> Router<Arc<Net>> {
    Router::new()
        .route("/diag/ws", get(ws))
        .route("/diag/sse", get(sse))
        .route("/diag/poll", post(poll))
}

/// What a tick stream is asked for.
#[derive(Deserialize)]
struct TicksQuery {
    ticks: Option<u32>,
    interval_ms: Option<u64>,
    idle_secs: Option<u64>,
}

/// A checked tick plan: `ticks` ticks `interval` apart, or one tick, `idle` of silence and a
/// last one.
struct Plan {
    ticks: u32,
    interval: Duration,
    idle: Option<Duration>,
}

impl TicksQuery {
    /// The plan, or what is wrong with the query.
    fn plan(&self) -> Result<Plan, &'static str> {
        let ticks = self.ticks.unwrap_or(20);
        let interval_ms = self.interval_ms.unwrap_or(250);
        if !(1..=100).contains(&ticks) {
            return Err("ticks must be 1 to 100");
        }
        if !(50..=2000).contains(&interval_ms) {
            return Err("interval_ms must be 50 to 2000");
        }
        let idle = match self.idle_secs {
            None => None,
            Some(secs @ 1..=300) => Some(Duration::from_secs(secs)),
            Some(_) => return Err("idle_secs must be 1 to 300"),
        };
        Ok(Plan {
            ticks: if idle.is_some() { 2 } else { ticks },
            interval: Duration::from_millis(interval_ms),
            idle,
        })
    }
}

impl Plan {
    /// How long to wait before tick `n` (from 1).
    fn wait_before(&self, n: u32) -> Duration {
        match (n, self.idle) {
            (1, _) => Duration::ZERO,
            (_, Some(idle)) => idle,
            (_, None) => self.interval,
        }
    }
}

/// A probe's place under [`MAX_PROBES`], if one is free.
fn probe_slot(net: &Net) -> Option<OwnedSemaphorePermit> {
    net.probes.clone().try_acquire_owned().ok()
}

/// 503 `probes_busy`.
fn busy(net: &Net) -> Response {
    refused(
        net,
        StatusCode::SERVICE_UNAVAILABLE,
        "probes_busy",
        format!("{MAX_PROBES} diagnostics probes run already: try again later"),
    )
}

fn bad(message: &str) -> Response {
    let body = json!({ "code": "bad_request", "message": message });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

fn tick(net: &Net, n: u32, plan: &Plan) -> String {
    json!({
        "type": "tick",
        "n": n,
        "time": time(net.sessions.clock().now()),
        "interval_ms": plan.interval.as_millis() as u64,
    })
    .to_string()
}

/// `GET /diag/ws`: ticks over a WebSocket, then a normal close.
async fn ws(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    Query(query): Query<TicksQuery>,
    upgrade: WsUpgrade,
    _origin: AllowedOrigin,
) -> Response {
    let plan = match query.plan() {
        Ok(plan) => plan,
        Err(problem) => return bad(problem),
    };
    let Some(probe) = probe_slot(&net) else {
        return busy(&net);
    };
    let tracker = net.sessions.tasks().clone();
    upgrade.on_upgrade(None, move |stream| {
        tracker.track_future(async move {
            let _slots = (peer.permit, probe);
            ws_ticks(WsConn::new(stream, 1024), net, plan).await;
        })
    })
}

async fn ws_ticks(mut socket: WsConn<Stream>, net: Arc<Net>, plan: Plan) {
    for n in 1..=plan.ticks {
        // Reads what the browser sends (its close, its pongs) while it waits.
        let wait = tokio::time::sleep(plan.wait_before(n));
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                () = net.sessions.shutdown().cancelled() => return,
                message = socket.recv() => match message {
                    Some(Ok(Message::Close(_))) => {
                        let _ = socket.flush().await;
                        return;
                    }
                    None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                },
            }
        }
        let text = tick(&net, n, &plan);
        if socket.feed_text(&text).is_err() || socket.flush().await.is_err() {
            return;
        }
    }
    let done = socket.close(crate::protocol::close::NORMAL, "probe done");
    let _ = tokio::time::timeout(Duration::from_secs(2), done).await;
}

/// `GET /diag/sse`: ticks over an event stream, then `event: close`. No keepalive comments: an
/// idle probe must be idle.
async fn sse(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    Query(query): Query<TicksQuery>,
    _origin: AllowedOrigin,
) -> Response {
    let plan = match query.plan() {
        Ok(plan) => plan,
        Err(problem) => return bad(problem),
    };
    let Some(probe) = probe_slot(&net) else {
        return busy(&net);
    };
    let permit = (peer.permit, probe);
    let body = stream::unfold(
        (1u32, net, plan, permit),
        |(n, net, plan, permit)| async move {
            if n > plan.ticks + 1 {
                return None;
            }
            let chunk = if n > plan.ticks {
                Bytes::from_static(
                    b"event: close\ndata: {\"code\":1000,\"reason\":\"probe done\"}\n\n",
                )
            } else {
                tokio::select! {
                    () = tokio::time::sleep(plan.wait_before(n)) => {}
                    () = net.sessions.shutdown().cancelled() => return None,
                }
                Bytes::from(format!("data: {}\n\n", tick(&net, n, &plan)))
            };
            Some((
                Ok::<_, std::convert::Infallible>(chunk),
                (n + 1, net, plan, permit),
            ))
        },
    );
    event_stream(Body::from_stream(body))
}

#[derive(Deserialize)]
struct PollQuery {
    wait_ms: Option<u64>,
}

/// `POST /diag/poll`: answers one tick after `wait_ms`, as a long-poll does.
async fn poll(
    State(net): State<Arc<Net>>,
    Query(query): Query<PollQuery>,
    _origin: AllowedOrigin,
) -> Response {
    let wait_ms = query.wait_ms.unwrap_or(2000);
    if wait_ms > 30_000 {
        return bad("wait_ms must be 0 to 30000");
    }
    let Some(_probe) = probe_slot(&net) else {
        return busy(&net);
    };
    let started = tokio::time::Instant::now();
    let waited_ms = tokio::select! {
        () = tokio::time::sleep(Duration::from_millis(wait_ms)) => wait_ms,
        // The server stops: answer now, with the wait it was.
        () = net.sessions.shutdown().cancelled() => started.elapsed().as_millis() as u64,
    };
    let body = json!({
        "type": "tick",
        "n": 1,
        "time": time(net.sessions.clock().now()),
        "waited_ms": waited_ms,
    });
    let mut response = Json(body).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
