//! acdhub behind a real nginx (Debian's), configured as sites usually are: response buffering
//! on, a 10-second read timeout, which closes any connection that carries nothing for that
//! long, and nginx's default HTTP/1.0 to the upstream except for the WebSocket location (see
//! `nginx.rs`: this is what makes a buffering nginx hold an event stream). The server's
//! heartbeats (every 4 s here) keep a WebSocket and an SSE session up through a minute without
//! calls; SSE events get through the buffering proxy at once because the server's
//! `X-Accel-Buffering: no` turns buffering off for the stream. The control shows the test would
//! notice otherwise: an nginx told to ignore that header holds the SSE stream back, while
//! long-poll, whose answers are complete responses, still gets every event through.

use crate::net;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::net::http::{Poll, Sse, SseItem};
use crate::net::{Client, Via};
use crate::nginx::Nginx;

/// Heartbeats and SSE keepalives every 4 s, well under nginx's 10 s.
const LIMITS: &str = "[limits]\nping_interval_secs = 4\nsse_keepalive_secs = 4\n";

/// The proxy settings under test, as a site in front of an application server has them.
const BUFFERING_PROXY: &str = "proxy_buffering on;\nproxy_read_timeout 10s;";

/// How long the sessions stay without calls: six of nginx's read timeouts.
const QUIET: Duration = Duration::from_secs(60);

/// The longest an event may take from the command that causes it to the client, through the
/// proxy. An event that the proxy buffers takes many seconds instead.
const PROMPT: Duration = Duration::from_secs(1);

/// How long the control waits to be sure the buffering proxy holds the stream back.
const HELD: Duration = Duration::from_secs(3);

/// The events seen on one link, checked for order: each event's seq is the next one.
#[derive(Default)]
struct Seqs {
    last: u64,
}

impl Seqs {
    fn check(&mut self, message: &Value) {
        if let Some(seq) = message.get("seq") {
            assert_eq!(
                seq.as_u64(),
                Some(self.last + 1),
                "events arrive in seq order without gaps: {message}"
            );
            self.last += 1;
        }
    }
}

/// Sends `command` (with `id`) on the SSE link and reads up to its reply, which must be an ack;
/// returns when the command was sent, the events before the reply, each with when it arrived,
/// and the reply.
async fn sse_command(
    sse: &mut Sse,
    seqs: &mut Seqs,
    id: &str,
    mut command: Value,
) -> (Instant, Vec<(Instant, Value)>, Value) {
    command["id"] = json!(id);
    let sent = Instant::now();
    sse.send(&command).await;
    let mut events = Vec::new();
    loop {
        let (at, message) = sse.next_message_at().await;
        seqs.check(&message);
        match message["type"].as_str() {
            Some("ack" | "error") => {
                assert_eq!(message["id"], id, "a reply to another command: {message}");
                assert_eq!(message["type"], "ack", "{command} -> {message}");
                return (sent, events, message);
            }
            Some("heartbeat") => {}
            _ => events.push((at, message)),
        }
    }
}

/// An agent on a long-poll link: every event it received, in order, and the longest any event
/// took from the command that caused it.
struct PollAgent {
    poll: Poll,
    seqs: Seqs,
    received: Vec<Value>,
    slowest: Duration,
}

impl PollAgent {
    /// The next message that is not a heartbeat; events are recorded.
    async fn next(&mut self) -> Value {
        loop {
            let message = self.poll.next_message().await;
            self.seqs.check(&message);
            if message["type"] == "heartbeat" {
                continue;
            }
            if message.get("seq").is_some() {
                self.received.push(message.clone());
            }
            return message;
        }
    }

    /// Sends `command` with `id`, reads up to its reply and asserts it is an ack.
    async fn command(&mut self, id: &str, mut command: Value) -> Value {
        command["id"] = json!(id);
        let sent = Instant::now();
        self.poll.send(&command).await;
        loop {
            let message = self.next().await;
            if message.get("seq").is_some() {
                self.slowest = self.slowest.max(sent.elapsed());
                continue;
            }
            assert_eq!(message["id"], id, "a reply to another command: {message}");
            assert_eq!(message["type"], "ack", "{command} -> {message}");
            return message;
        }
    }
}

/// How long after `sent` the first `agent_state` of `agent` into `state` arrived.
fn state_change(events: &[(Instant, Value)], agent: &str, state: &str, sent: Instant) -> Duration {
    let (at, _) = events
        .iter()
        .find(|(_, m)| m["type"] == "agent_state" && m["agent"] == agent && m["state"] == state)
        .unwrap_or_else(|| panic!("no agent_state {agent} {state} among {events:?}"));
    at.duration_since(sent)
}

/// An authenticated agent over WebSocket through the proxy: reads for the quiet minute (which
/// answers the server's pings) and sees nothing but heartbeats, then logs in. It is of the
/// second tenant, so that nothing the SSE agent does concerns it.
async fn websocket_agent_through_a_quiet_minute(proxy: std::net::SocketAddr) {
    let (mut agent, result) = Client::login_at(proxy, Via::Ws, "g1").await;
    assert_eq!(result["agent"], "g1");
    // `next` passes over heartbeats (counting them), and panics on a close or a broken
    // connection: all it may do in the quiet minute is time out.
    let quiet = tokio::time::timeout(QUIET, agent.next()).await;
    if let Ok(message) = quiet {
        panic!("nothing but heartbeats while no call moves: {message}");
    }
    let heartbeats = agent.heartbeats();
    assert!(
        heartbeats >= 5,
        "heartbeats every 4 s kept the WebSocket busy: {heartbeats} in {QUIET:?}"
    );
    // The session is still up, and it works.
    let sent = Instant::now();
    agent.ok(json!({"type": "login"})).await;
    let state = agent.expect_state("g1", "not_ready").await;
    assert_eq!(state["reason"], "login");
    println!(
        "websocket: {heartbeats} heartbeats in {QUIET:?}; login answered in {:?}",
        sent.elapsed()
    );
}

/// An authenticated agent over SSE through the proxy: its events arrive promptly, the link
/// carries only heartbeats and keepalives for the quiet minute, then it still works.
async fn sse_agent_through_a_quiet_minute(proxy: std::net::SocketAddr) {
    let mut sse = Sse::open(proxy).await;
    let mut seqs = Seqs::default();
    let auth = json!({"type": "auth", "user": "a2", "password": net::PASSWORD});
    let (_, snapshot, ack) = sse_command(&mut sse, &mut seqs, "1", auth).await;
    assert_eq!(ack["result"]["agent"], "a2");
    assert_eq!(ack["result"]["resumed"], false);
    assert_eq!(snapshot[0].1["type"], "agent_state", "the snapshot first");

    let (sent, events, _) = sse_command(&mut sse, &mut seqs, "2", json!({"type": "login"})).await;
    let login_delay = state_change(&events, "a2", "not_ready", sent);
    assert!(
        login_delay < PROMPT,
        "an SSE event came through the buffering proxy in {login_delay:?}"
    );

    let quiet_until = Instant::now() + QUIET;
    let (mut heartbeats, mut keepalives) = (0, 0);
    while let Some((_, item)) = sse.next_item_by(quiet_until).await {
        match item {
            SseItem::Message { message, .. } if message["type"] == "heartbeat" => heartbeats += 1,
            SseItem::Comment(_) => keepalives += 1,
            other => panic!("nothing but heartbeats and keepalives while no call moves: {other:?}"),
        }
    }
    assert!(
        heartbeats >= 5 && keepalives >= 5,
        "the SSE stream was kept busy: {heartbeats} heartbeats, {keepalives} keepalives in {QUIET:?}"
    );

    let (sent, events, _) = sse_command(&mut sse, &mut seqs, "3", json!({"type": "ready"})).await;
    let ready_delay = state_change(&events, "a2", "ready", sent);
    assert!(
        ready_delay < PROMPT,
        "after the quiet minute an SSE event came through in {ready_delay:?}"
    );
    println!(
        "sse: events {login_delay:?} and {ready_delay:?} after their commands; \
         {heartbeats} heartbeats and {keepalives} keepalives in {QUIET:?}"
    );
}

#[tokio::test]
async fn websocket_and_sse_sessions_outlast_a_quiet_minute_behind_a_buffering_nginx() {
    let server = net::start(&format!("{LIMITS}{}", net::second_tenant())).await;
    let upstream = server.ws_addr().unwrap();

    // Straight from the server, the stream says what the proxy must not do with it.
    let direct = Sse::connect(upstream, &[]).await;
    assert_eq!(direct.head.header("x-accel-buffering"), Some("no"));
    assert_eq!(
        direct.head.header("cache-control"),
        Some("no-cache, no-transform")
    );
    drop(direct);

    let nginx = Nginx::reverse_proxy("quiet-minute", upstream, BUFFERING_PROXY);
    let started = Instant::now();
    tokio::join!(
        websocket_agent_through_a_quiet_minute(nginx.addr()),
        sse_agent_through_a_quiet_minute(nginx.addr()),
    );
    let log = nginx.error_log();
    assert!(
        !log.contains("timed out"),
        "nginx timed nothing out:\n{log}"
    );
    println!("both sessions, concurrently: {:?}", started.elapsed());
    server.shutdown().await;
}

#[tokio::test]
async fn an_nginx_that_ignores_x_accel_buffering_holds_sse_while_long_poll_gets_through() {
    // The server ends a link that never authenticates after 8 s: what the proxy held back of it
    // then arrives all at once.
    let auth_timeout = Duration::from_secs(8);
    let limits = format!("{LIMITS}auth_timeout_secs = {}\n", auth_timeout.as_secs());
    let server = net::start(&limits).await;
    let nginx = Nginx::reverse_proxy(
        "ignores-x-accel",
        server.ws_addr().unwrap(),
        &format!("{BUFFERING_PROXY}\nproxy_ignore_headers X-Accel-Buffering;"),
    );

    let opened = Instant::now();
    // The proxy may hold back even the response's head: it waits for body to send with it.
    let mut sse = Sse::connect(nginx.addr(), &[]).await;
    let (first_at, first) = sse.next_item().await;
    assert!(
        first_at.duration_since(opened) >= HELD,
        "the buffering proxy passed {first:?} on after {:?}: the test cannot tell buffering \
         from none",
        first_at.duration_since(opened)
    );
    // When the server closes the link, nginx flushes what it held: the greeting and the close,
    // sent a whole auth timeout apart, come together.
    let (hello_at, hello) = match first {
        SseItem::Message { message, .. } => (first_at, message),
        _ => sse.next_message_at().await,
    };
    assert_eq!(hello["type"], "hello");
    let (close_at, code) = loop {
        match sse.next_item().await {
            (at, SseItem::Close { code, .. }) => break (at, code),
            (_, SseItem::Ended(why)) => panic!("the stream ended without a close: {why}"),
            _ => {}
        }
    };
    assert_eq!(code, 4001, "the link never authenticated");
    assert!(
        close_at.duration_since(hello_at) < auth_timeout / 4,
        "the greeting was held until the close: it came {:?} after opening, {:?} before the close",
        hello_at.duration_since(opened),
        close_at.duration_since(hello_at)
    );

    // Long-poll through the same proxy: a whole call, every event, each promptly.
    let mut pbx = Client::login(&server, Via::Ws, "pbx").await.0;
    let mut poll = Poll::open(nginx.addr()).await;
    assert_eq!(poll.next_message().await["type"], "hello");
    let mut agent = PollAgent {
        poll,
        seqs: Seqs::default(),
        received: Vec::new(),
        slowest: Duration::ZERO,
    };
    let auth = json!({"type": "auth", "user": "a1", "password": net::PASSWORD});
    let ack = agent.command("1", auth).await;
    assert_eq!(ack["result"]["agent"], "a1");
    // The snapshot took as long as checking the password: only commands' events are timed.
    agent.slowest = Duration::ZERO;
    agent.command("2", json!({"type": "login"})).await;
    agent.command("3", json!({"type": "ready"})).await;
    pbx.ok(json!({"type": "call_arrived", "call": "held-1", "queue": "support"}))
        .await;
    // The offer comes on its own, without a command.
    let offer = loop {
        let message = agent.next().await;
        if message["type"] == "offer" {
            break message;
        }
    };
    assert_eq!(offer["call"], "held-1");
    agent
        .command("4", json!({"type": "accept", "call": "held-1"}))
        .await;
    agent
        .command("5", json!({"type": "hangup", "call": "held-1"}))
        .await;
    agent.command("6", json!({"type": "end_wrap_up"})).await;
    let PollAgent {
        seqs,
        received,
        slowest,
        ..
    } = agent;
    assert!(
        slowest < PROMPT,
        "long-poll events came through the buffering proxy within {slowest:?}"
    );

    let kinds: Vec<&str> = received
        .iter()
        .filter(|m| m["type"] != "queue_waiting" && m["type"] != "pending_state")
        .map(|m| {
            if m["type"] == "agent_state" {
                m["state"].as_str().unwrap()
            } else {
                m["type"].as_str().unwrap()
            }
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "logged_out",
            "not_ready",
            "ready",
            "offer",
            "ringing",
            "call_connected",
            "on_call",
            "call_left",
            "wrap_up",
            "ready"
        ],
        "every event of the call, in order"
    );
    assert_eq!(
        seqs.last,
        received.len() as u64,
        "each event once, numbered from 1"
    );
    println!(
        "control: SSE held {:?} until the close; long-poll: {} events, slowest {slowest:?}",
        hello_at.duration_since(opened),
        received.len()
    );
    server.shutdown().await;
}
