//! acdhub behind a real nginx (Debian's), configured as sites usually are: response buffering
//! on, a read timeout, which closes any connection that carries nothing for that long, and
//! nginx's default HTTP/1.0 to the upstream except for the WebSocket location (see
//! `nginx.rs`: this is what makes a buffering nginx hold an event stream). The timeout here
//! is 2 s and the server's heartbeats come every second (the shortest `ping_interval_secs`
//! allows), so a quiet spell of several timeouts takes seconds, not minutes: the heartbeats keep
//! a WebSocket and an SSE session up through it, and the tests wait for that many heartbeats
//! rather than for a fixed time. SSE events get through the buffering proxy at once because the
//! server's `X-Accel-Buffering: no` turns buffering off for the stream.
//!
//! Two controls show the tests would notice otherwise: without heartbeats, the same nginx cuts
//! both links after its read timeout; and an nginx told to ignore `X-Accel-Buffering` holds the
//! SSE stream back, while long-poll, whose answers are complete responses, still gets every
//! event through.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::net::http::{Poll, Sse, SseItem};
use crate::net::{self, Client, Via};
use crate::nginx::Nginx;

/// nginx's `proxy_read_timeout`: a connection on which the server sends nothing for this long
/// is cut.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Heartbeats and SSE keepalives every second, well under the read timeout.
const LIMITS: &str = "[limits]\nping_interval_secs = 1\nsse_keepalive_secs = 1\n";

/// No heartbeat or keepalive within any test: for the control.
const SILENT_LIMITS: &str = "[limits]\nping_interval_secs = 300\nsse_keepalive_secs = 300\n";

/// The proxy settings under test, as a site in front of an application server has them.
fn buffering_proxy() -> String {
    format!(
        "proxy_buffering on;\nproxy_read_timeout {}s;",
        READ_TIMEOUT.as_secs()
    )
}

/// How many heartbeats (and, on SSE, keepalives) a quiet spell lasts: at one a second, more
/// than two of nginx's read timeouts.
const QUIET_HEARTBEATS: usize = 6;

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

/// An authenticated agent over WebSocket through the proxy: through a quiet spell it reads
/// nothing but heartbeats (which answers the server's pings), then logs in. It is of the second
/// tenant, so that nothing the SSE agent does concerns it.
async fn websocket_agent_through_a_quiet_spell(proxy: SocketAddr) {
    let (mut agent, result) = Client::login_at(proxy, Via::Ws, "g1").await;
    assert_eq!(result["agent"], "g1");
    let quiet = Instant::now();
    // Panics on anything but a heartbeat, a close or a broken connection included.
    agent.expect_heartbeats(QUIET_HEARTBEATS).await;
    let quiet = quiet.elapsed();
    assert!(
        quiet >= READ_TIMEOUT * 2,
        "{QUIET_HEARTBEATS} heartbeats came within {quiet:?}: not a quiet spell of two read \
         timeouts"
    );
    // The session is still up, and it works.
    let sent = Instant::now();
    agent.ok(json!({"type": "login"})).await;
    let state = agent.expect_state("g1", "not_ready").await;
    assert_eq!(state["reason"], "login");
    println!(
        "websocket: {QUIET_HEARTBEATS} heartbeats in {quiet:?}; login answered in {:?}",
        sent.elapsed()
    );
}

/// An authenticated agent over SSE through the proxy, and its link's `seq` check.
async fn sse_agent(proxy: SocketAddr) -> (Sse, Seqs) {
    let mut sse = Sse::open(proxy).await;
    let mut seqs = Seqs::default();
    let auth = json!({"type": "auth", "user": "a2", "password": net::PASSWORD});
    let (_, snapshot, ack) = sse_command(&mut sse, &mut seqs, "1", auth).await;
    assert_eq!(ack["result"]["agent"], "a2");
    assert_eq!(ack["result"]["resumed"], false);
    assert_eq!(snapshot[0].1["type"], "agent_state", "the snapshot first");
    (sse, seqs)
}

/// An authenticated agent over SSE through the proxy: its events arrive promptly, the link
/// carries only heartbeats and keepalives through a quiet spell, then it still works.
async fn sse_agent_through_a_quiet_spell(proxy: SocketAddr) {
    let (mut sse, mut seqs) = sse_agent(proxy).await;
    let (sent, events, _) = sse_command(&mut sse, &mut seqs, "2", json!({"type": "login"})).await;
    let login_delay = state_change(&events, "a2", "not_ready", sent);
    assert!(
        login_delay < PROMPT,
        "an SSE event came through the buffering proxy in {login_delay:?}"
    );

    let quiet = Instant::now();
    let (mut heartbeats, mut keepalives) = (0, 0);
    while heartbeats < QUIET_HEARTBEATS || keepalives < QUIET_HEARTBEATS {
        match sse.next_item().await.1 {
            SseItem::Message { message, .. } if message["type"] == "heartbeat" => heartbeats += 1,
            SseItem::Comment(_) => keepalives += 1,
            other => panic!(
                "nothing but heartbeats and keepalives while no call moves, and no cut: {other:?}"
            ),
        }
    }
    let quiet = quiet.elapsed();
    assert!(
        quiet >= READ_TIMEOUT * 2,
        "{heartbeats} heartbeats and {keepalives} keepalives came within {quiet:?}: not a quiet \
         spell of two read timeouts"
    );

    let (sent, events, _) = sse_command(&mut sse, &mut seqs, "3", json!({"type": "ready"})).await;
    let ready_delay = state_change(&events, "a2", "ready", sent);
    assert!(
        ready_delay < PROMPT,
        "after the quiet spell an SSE event came through in {ready_delay:?}"
    );
    println!(
        "sse: events {login_delay:?} and {ready_delay:?} after their commands; \
         {heartbeats} heartbeats and {keepalives} keepalives in {quiet:?}"
    );
}

#[tokio::test]
async fn websocket_and_sse_sessions_outlast_several_read_timeouts_behind_a_buffering_nginx() {
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

    let nginx = Nginx::reverse_proxy("quiet", upstream, &buffering_proxy());
    let started = Instant::now();
    tokio::join!(
        websocket_agent_through_a_quiet_spell(nginx.addr()),
        sse_agent_through_a_quiet_spell(nginx.addr()),
    );
    let log = nginx.error_log();
    assert!(
        !log.contains("timed out"),
        "nginx timed nothing out:\n{log}"
    );
    println!("both sessions, concurrently: {:?}", started.elapsed());
    server.shutdown().await;
}

/// An authenticated agent over WebSocket through the proxy, on a server that sends nothing
/// while nothing happens: how long after its last message the connection is cut. The proxy
/// cuts it, so there is no close frame.
async fn websocket_cut(proxy: SocketAddr) -> Duration {
    let (mut agent, _) = Client::login_at(proxy, Via::Ws, "a1").await;
    let quiet = Instant::now();
    let cut = tokio::time::timeout(net::PATIENCE, async {
        loop {
            match agent.socket_mut().next().await {
                Some(Ok(Message::Text(text))) => {
                    panic!("the server sent {text} while nothing happened")
                }
                Some(Ok(Message::Close(frame))) => panic!("the server closed the link: {frame:?}"),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            }
        }
    });
    cut.await
        .expect("nginx cuts a WebSocket on which nothing comes for its read timeout");
    quiet.elapsed()
}

/// Like `websocket_cut`, for an agent on SSE.
async fn sse_cut(proxy: SocketAddr) -> Duration {
    let (mut sse, _) = sse_agent(proxy).await;
    let quiet = Instant::now();
    match sse.next_item().await.1 {
        SseItem::Ended(_) => quiet.elapsed(),
        other => panic!("the stream carries nothing until nginx cuts it: {other:?}"),
    }
}

#[tokio::test]
async fn without_heartbeats_the_same_nginx_cuts_both_links_after_its_read_timeout() {
    let server = net::start(SILENT_LIMITS).await;
    let nginx = Nginx::reverse_proxy("silent", server.ws_addr().unwrap(), &buffering_proxy());
    let (websocket, sse) = tokio::join!(websocket_cut(nginx.addr()), sse_cut(nginx.addr()));
    let log = nginx.error_log();
    for (link, quiet) in [("websocket", websocket), ("sse", sse)] {
        assert!(
            quiet >= READ_TIMEOUT / 2,
            "the {link} link was cut after {quiet:?}, not by the read timeout:\n{log}"
        );
    }
    assert_eq!(
        log.matches("upstream timed out").count(),
        2,
        "nginx timed out both links:\n{log}"
    );
    println!("without heartbeats: websocket cut after {websocket:?}, sse after {sse:?}");
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
        &format!(
            "{}\nproxy_ignore_headers X-Accel-Buffering;",
            buffering_proxy()
        ),
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
