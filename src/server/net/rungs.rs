//! The HTTP rungs of the fallback ladder, for networks where WebSocket does not pass
//! (protocol.md, The fallback ladder): Server-Sent Events (`GET /rt/sse`) and long-polling
//! (`POST /rt/poll`) down, `POST /rt/send` up, and `GET /rt/endpoints`, where a page learns
//! which rungs this server offers.
//!
//! Each SSE stream or long-poll link runs the same session task as a WebSocket
//! ([`session::serve`]) over an [`HttpSocket`](super::link::HttpSocket); these handlers only
//! carry its traffic.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::{get, post};
use futures_util::{StreamExt, stream};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, mpsc};
use tokio::time::MissedTickBehavior;

use crate::server::session::{self, Incoming, SignInSlot, random_token};

use super::link::{HttpLink, LinkKind, PollAnswer, PollRefused};
use super::origin::{AllowedOrigin, split_authority};
use super::{LINKS_PER_CONNECTION, Net, Peer};

/// The header that names an HTTP link in its requests. Never a URL: URLs end up in logs.
pub const LINK_HEADER: &str = "x-acdhub-link";

/// What an SSE client is told to wait before it reconnects by itself.
const SSE_RETRY_MS: u64 = 3000;

/// How long opening a long-poll link waits for its greeting.
const GREETING_WAIT: Duration = Duration::from_secs(5);

pub fn routes() -> Router<Arc<Net>> {
    Router::new()
        .route("/rt/endpoints", get(endpoints))
        .route("/rt/sse", get(sse))
        .route("/rt/poll", post(poll))
        .route("/rt/send", post(send))
}

/// How long a WebSocket upgrade waits for a client slot before it is answered 503
/// `server_full`.
pub const CLIENT_SLOT_WAIT: Duration = Duration::from_secs(10);

/// 503 `server_full`: every one of `max_connections` client slots is taken.
pub fn server_full(net: &Net) -> Response {
    refused(
        net,
        StatusCode::SERVICE_UNAVAILABLE,
        "server_full",
        "every client slot (max_connections) is taken: try again later",
    )
}

/// 503 `too_many_unauthenticated`: the client's address has `unauthenticated_per_address`
/// clients that have not signed in yet.
pub fn too_many_unauthenticated(net: &Net) -> Response {
    refused(
        net,
        StatusCode::SERVICE_UNAVAILABLE,
        "too_many_unauthenticated",
        "too many connections from this address have not signed in \
         (unauthenticated_per_address): sign in on the ones open, or try again in a moment",
    )
}

pub fn shutting_down() -> Response {
    refusal(
        StatusCode::SERVICE_UNAVAILABLE,
        "unavailable",
        "the server is shutting down",
    )
}

/// A refusal before any session, counted in `acdhub_http_refused_total`.
pub fn refused(net: &Net, status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    net.counters.http_refused(code);
    refusal(status, code, message)
}

/// An HTTP-level refusal: a status and a JSON body with a stable `code`.
fn refusal(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let body = json!({ "code": code, "message": message.into() });
    let mut response = (status, Json(body)).into_response();
    no_store(&mut response);
    response
}

fn no_store(response: &mut Response) {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// Where this server's rungs are, as a page on the request's host reaches them.
async fn endpoints(State(net): State<Arc<Net>>, headers: HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or("localhost", |h| split_authority(h).0);
    let url = |scheme: &str, port: u16, default: u16| {
        if port == default {
            format!("{scheme}://{host}/ws")
        } else {
            format!("{scheme}://{host}:{port}/ws")
        }
    };
    let body = json!({
        "wss": net.ports.wss.map(|port| url("wss", port, 443)),
        "ws": net.ports.ws.map(|port| url("ws", port, 80)),
        "sse": "/rt/sse",
        "poll": "/rt/poll",
        "send": "/rt/send",
        "heartbeat_secs": net.sessions.limits().ping_interval.as_secs(),
        "nodes": net.ports.nodes,
        "certificate": net.certificate.as_ref().map(|resolver| {
            if super::is_development(&resolver.current()) {
                "development"
            } else {
                "configured"
            }
        }),
    });
    let mut response = Json(body).into_response();
    no_store(&mut response);
    response
}

/// A new link's slots: one of the connection's [`LINKS_PER_CONNECTION`], a client slot and a
/// place among its address's clients not signed in, or the refusal. The first two are given
/// back when the link's session ends, the last when it signs in.
struct LinkSlots {
    _client: OwnedSemaphorePermit,
    links: Arc<AtomicUsize>,
    sign_in: Option<SignInSlot>,
}

impl Drop for LinkSlots {
    fn drop(&mut self) {
        self.links.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Why a link could not be opened.
enum NoLink {
    ShuttingDown,
    TooManyLinks,
    Full,
    Unsigned,
}

impl NoLink {
    fn answer(self, net: &Net) -> Response {
        match self {
            NoLink::ShuttingDown => shutting_down(),
            NoLink::TooManyLinks => refused(
                net,
                StatusCode::SERVICE_UNAVAILABLE,
                "too_many_links",
                format!("one connection may have {LINKS_PER_CONNECTION} links open at once"),
            ),
            NoLink::Full => server_full(net),
            NoLink::Unsigned => too_many_unauthenticated(net),
        }
    }
}

fn link_slots(net: &Net, peer: &Peer) -> Result<LinkSlots, NoLink> {
    if net.sessions.shutdown().is_cancelled() {
        return Err(NoLink::ShuttingDown);
    }
    let Some(sign_in) = net.sessions.sign_in_slot(peer.remote.ip()) else {
        return Err(NoLink::Unsigned);
    };
    let open = peer.links.fetch_add(1, Ordering::Relaxed);
    let links = peer.links.clone();
    if open >= LINKS_PER_CONNECTION {
        links.fetch_sub(1, Ordering::Relaxed);
        return Err(NoLink::TooManyLinks);
    }
    match net.clients.clone().try_acquire_owned() {
        Ok(client) => Ok(LinkSlots {
            _client: client,
            links,
            sign_in: Some(sign_in),
        }),
        Err(_) => {
            links.fetch_sub(1, Ordering::Relaxed);
            Err(NoLink::Full)
        }
    }
}

/// Opens a link for the session task and starts it. `sse` carries an SSE link's stream.
fn open_link(
    net: &Arc<Net>,
    peer: Peer,
    mut slots: LinkSlots,
    kind: LinkKind,
    sse: Option<mpsc::Sender<Bytes>>,
    last_event_id: Option<u64>,
) -> Arc<HttpLink> {
    let limits = &net.sessions.limits();
    let (link, socket) = HttpLink::open(
        random_token(),
        kind,
        sse,
        last_event_id,
        limits.outbound_queue as usize,
        limits.poll_wait + limits.pong_timeout,
    );
    net.links.insert(link.clone());
    let task = {
        let net = net.clone();
        let link = link.clone();
        async move {
            // The link is a client like a WebSocket: it holds a client slot while its session
            // runs (an unauthenticated one ends after auth_timeout_secs). Its requests' HTTP
            // connections hold their own descriptor slots, for as long as they are open.
            let sign_in = slots.sign_in.take().expect("a new link's place to sign in");
            session::serve(socket, net.sessions.clone(), peer.remote, sign_in, ()).await;
            drop(slots);
            forget_link(&net, &link).await;
        }
    };
    tokio::spawn(net.sessions.tasks().track_future(task));
    link
}

/// Takes a closed link out of the table: an SSE link at once (its stream is over); a long-poll
/// link once its client has had a poll's time to collect the last messages and the close.
async fn forget_link(net: &Net, link: &HttpLink) {
    if link.kind == LinkKind::Poll {
        let limits = &net.sessions.limits();
        let linger = limits.poll_wait + limits.pong_timeout;
        tokio::select! {
            () = tokio::time::sleep(linger) => {}
            () = net.sessions.shutdown().cancelled() => {}
        }
    }
    net.links.remove(&link.id);
}

#[derive(Deserialize)]
struct SseQuery {
    last_event_id: Option<String>,
}

/// `GET /rt/sse`: a new SSE link. The stream is the session's messages as `data:` lines (an
/// event with its `seq` as `id:`), a comment every `sse_keepalive_secs`, and an `event: close`
/// at the end.
async fn sse(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    Query(query): Query<SseQuery>,
    headers: HeaderMap,
    _origin: AllowedOrigin,
) -> Response {
    let slots = match link_slots(&net, &peer) {
        Ok(slots) => slots,
        Err(no) => return no.answer(&net),
    };
    peer.carries_a_client();
    let last_event_id = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(query.last_event_id)
        .and_then(|id| id.trim().parse().ok());
    // A few batches in flight: a client that stops reading holds the session's writes, and
    // the session closes it as too slow.
    let (sender, receiver) = mpsc::channel::<Bytes>(8);
    open_link(
        &net,
        peer,
        slots,
        LinkKind::Sse,
        Some(sender),
        last_event_id,
    );
    let mut opening = String::new();
    if net.sse_padding_bytes > 0 {
        opening.push(':');
        opening.push_str(&" ".repeat(net.sse_padding_bytes as usize));
        opening.push('\n');
    }
    opening.push_str(&format!("retry: {SSE_RETRY_MS}\n\n"));
    let period = net.sessions.limits().sse_keepalive;
    let mut keepalive = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    keepalive.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let state = (Some(Bytes::from(opening)), receiver, keepalive);
    let body = stream::unfold(state, |(opening, mut receiver, mut keepalive)| async move {
        if let Some(opening) = opening {
            return Some((
                Ok::<_, std::convert::Infallible>(opening),
                (None, receiver, keepalive),
            ));
        }
        let chunk = tokio::select! {
            chunk = receiver.recv() => chunk?,
            _ = keepalive.tick() => Bytes::from_static(b": keepalive\n\n"),
        };
        Some((Ok(chunk), (None, receiver, keepalive)))
    });
    event_stream(Body::from_stream(body))
}

/// An SSE response: `text/event-stream`, never cached or transformed (so never compressed by a
/// proxy), and nginx told to pass each event on at once instead of buffering the response.
pub fn event_stream(body: Body) -> Response {
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache, no-transform"),
    );
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

#[derive(Deserialize)]
struct PollQuery {
    next: Option<u64>,
}

/// `POST /rt/poll`: without a link, opens one and answers with its greeting; with one, waits
/// for its messages from `next` on.
async fn poll(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    Query(query): Query<PollQuery>,
    headers: HeaderMap,
    _origin: AllowedOrigin,
) -> Response {
    let (link, answer) = match headers.get(LINK_HEADER) {
        None => {
            let slots = match link_slots(&net, &peer) {
                Ok(slots) => slots,
                Err(no) => return no.answer(&net),
            };
            let link = open_link(&net, peer, slots, LinkKind::Poll, None, None);
            let answer = link.poll(1, GREETING_WAIT).await;
            (link, answer)
        }
        Some(id) => {
            let Some(link) = id.to_str().ok().and_then(|id| net.links.get(id)) else {
                return unknown_link();
            };
            if link.kind != LinkKind::Poll {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "this link is an SSE link: its messages come on its stream",
                );
            }
            let Some(next) = query.next else {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "bad_request",
                    "name the first message wanted: POST /rt/poll?next=N",
                );
            };
            let answer = link.poll(next, net.sessions.limits().poll_wait).await;
            (link, answer)
        }
    };
    match answer {
        Ok(answer) => poll_response(&link.id, answer),
        Err(PollRefused::Ahead { next, written }) => refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            format!("next={next}, but the link has written only up to {written}"),
        ),
    }
}

/// The answer to a poll, built around the messages' own JSON texts.
fn poll_response(link: &str, answer: PollAnswer) -> Response {
    let closed = match answer.closed {
        Some((code, reason)) => json!({ "code": code, "reason": reason }).to_string(),
        None => "null".to_owned(),
    };
    let body = format!(
        "{{\"link\":{},\"next\":{},\"messages\":[{}],\"closed\":{closed}}}",
        serde_json::Value::from(link),
        answer.next,
        answer.messages.join(","),
    );
    let mut response = Response::new(Body::from(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    no_store(&mut response);
    response
}

fn unknown_link() -> Response {
    refusal(
        StatusCode::NOT_FOUND,
        "unknown_link",
        "no such link, or it has closed: open a new one and resume the session",
    )
}

/// `POST /rt/send`: one client message for the link's session; its reply comes down the link.
async fn send(
    State(net): State<Arc<Net>>,
    headers: HeaderMap,
    _origin: AllowedOrigin,
    body: Body,
) -> Response {
    let limits = net.sessions.limits();
    let max_message_bytes = limits.max_message_bytes;
    // Read before anything else, within body_timeout_secs: a body sent at a trickle holds its
    // connection no longer than that.
    let read = read_body(body, max_message_bytes as usize);
    let body = match tokio::time::timeout(limits.body_timeout, read).await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            return refusal(
                StatusCode::BAD_REQUEST,
                "bad_request",
                "the request's body broke off",
            );
        }
        Err(_) => {
            let mut response = refused(
                &net,
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request's body did not arrive within body_timeout_secs",
            );
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
            return response;
        }
    };
    let Some(id) = headers.get(LINK_HEADER) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "name the link in the X-Acdhub-Link header",
        );
    };
    let Some(link) = id.to_str().ok().and_then(|id| net.links.get(id)) else {
        return unknown_link();
    };
    if link.is_closed() {
        return unknown_link();
    }
    let Some(body) = body else {
        link.send(Incoming::TooBig).await;
        return refusal(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_big",
            format!(
                "a message may be {max_message_bytes} bytes at most; the link closes with 1009"
            ),
        );
    };
    let incoming = match String::from_utf8(body.to_vec()) {
        Ok(text) => Incoming::Text(text),
        Err(_) => Incoming::Binary,
    };
    if !link.send(incoming).await {
        return unknown_link();
    }
    let mut response = (StatusCode::ACCEPTED, Json(json!({ "accepted": true }))).into_response();
    no_store(&mut response);
    response
}

/// A request's body if it is at most `max` bytes; `None` (the rest unread) if it is longer.
async fn read_body(body: Body, max: usize) -> Result<Option<Bytes>, axum::Error> {
    let mut stream = body.into_data_stream();
    let mut bytes = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(Bytes::from(bytes)))
}
