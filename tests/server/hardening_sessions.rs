//! Abuse from signed-in clients (issue 15): one token signed in and dropped in a loop, a flood of
//! commands, a PBX that pipelines, and the close frame of a client dropped as too slow. Each
//! attack checks that a well-behaved client's round trip stays under [`ROUND_TRIP_BOUND`] while
//! it runs. SECURITY.md, "Signed-in clients and sessions", has the figures.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::binary::Acdhub;
use crate::net::{self, Client, PASSWORD, PATIENCE, Via, sample};

/// The longest round trip (a `ping` and its `ack`) a well-behaved client on the same tenant may
/// see during an attack. Generous: the machine running the tests is shared (2 cores).
const ROUND_TRIP_BOUND: Duration = Duration::from_millis(500);

/// `[limits] max_sessions_per_principal`'s default.
const MAX_SESSIONS_PER_PRINCIPAL: usize = 32;

/// Round trips of a well-behaved client during an attack.
#[derive(Debug)]
struct RoundTrips {
    /// Printed with the figures (SECURITY.md), not asserted.
    #[allow(dead_code)]
    median: Duration,
    longest: Duration,
    count: usize,
}

/// Signs in with `token` and pings every 20 ms until `stop` says so, on a thread and runtime of
/// its own, so that the attack's own clients in the test do not delay it.
fn measure_round_trips(
    address: std::net::SocketAddr,
    token: String,
    mut stop: watch::Receiver<bool>,
) -> std::thread::JoinHandle<RoundTrips> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let mut client = Client::connect_at(address, Via::Ws).await;
            client.ok(json!({"type": "auth", "token": token})).await;
            let mut times = Vec::new();
            while !*stop.borrow_and_update() {
                let sent = Instant::now();
                client.ok(json!({"type": "ping"})).await;
                times.push(sent.elapsed());
                tokio::select! {
                    _ = stop.changed() => {}
                    () = tokio::time::sleep(Duration::from_millis(20)) => {}
                }
            }
            times.sort();
            RoundTrips {
                median: times.get(times.len() / 2).copied().unwrap_or_default(),
                longest: times.last().copied().unwrap_or_default(),
                count: times.len(),
            }
        })
    })
}

/// Opens a WebSocket and signs in with `auth`; returns the socket once the `ack` came.
async fn signed_in(address: std::net::SocketAddr, auth: &Value) -> net::Socket {
    let mut socket = net::open_at(address, Via::Ws, None).await.unwrap();
    socket
        .send(Message::Text(auth.to_string().into()))
        .await
        .unwrap();
    loop {
        let frame = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("the server answers auth in time");
        let Some(Ok(Message::Text(text))) = frame else {
            panic!("auth was not answered: {frame:?}");
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap();
        if message["id"] == auth["id"] {
            assert_eq!(message["type"], "ack", "{message}");
            return socket;
        }
    }
}

/// The real binary on the test contact center, and a token for each of `users`, signed in with
/// their password first (what checking a password costs in memory comes before any baseline).
async fn binary_with_tokens(test: &str, users: [&str; 2]) -> (Acdhub, [String; 2]) {
    let dir = net::fresh_dir(&format!("hardening-sessions-{test}"));
    let config = dir.join("acdhub.toml");
    std::fs::write(&config, net::config_text("")).unwrap();
    let acdhub = Acdhub::start(&config).await;
    let mut tokens = Vec::new();
    for user in users {
        let (_, result) = Client::login_at(acdhub.ws, Via::Ws, user).await;
        tokens.push(result["token"].as_str().unwrap().to_owned());
    }
    (acdhub, tokens.try_into().unwrap())
}

/// The sessions `GET /sessions` lists for `user`, and how many of them are parked.
async fn sessions_of(metrics: std::net::SocketAddr, user: &str) -> (usize, usize) {
    let (status, body) = net::http_get(metrics, "/sessions").await;
    assert_eq!(status, 200, "{body}");
    let listed: Value = serde_json::from_str(&body).unwrap();
    let mine: Vec<&Value> = listed["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["user"] == user)
        .collect();
    let parked = mine.iter().filter(|s| s["connected"] == false).count();
    (mine.len(), parked)
}

#[tokio::test]
async fn a_token_signed_in_and_dropped_in_a_loop_keeps_a_bounded_number_of_sessions() {
    let (acdhub, [token, agent_token]) = binary_with_tokens("loop", ["wall", "a1"]).await;
    let rss = |scrape: &str| sample(scrape, "process_resident_memory_bytes");
    let baseline = rss(&acdhub.scrape().await);

    let (stop, stopped) = watch::channel(false);
    let round_trips = measure_round_trips(acdhub.ws, agent_token, stopped);
    // Eight loops, each signing in with the wallboard's token and dropping the connection at
    // once, for three seconds.
    let attack_for = Duration::from_secs(3);
    let mut loops = Vec::new();
    for worker in 0..8 {
        let (address, token) = (acdhub.ws, token.clone());
        loops.push(tokio::spawn(async move {
            let until = Instant::now() + attack_for;
            let mut signed_in_count = 0u32;
            while Instant::now() < until {
                let auth = json!({"id": format!("w{worker}-{signed_in_count}"), "type": "auth", "token": token});
                drop(signed_in(address, &auth).await);
                signed_in_count += 1;
            }
            signed_in_count
        }));
    }
    let mut sign_ins = 0;
    for one in loops {
        sign_ins += one.await.unwrap();
    }
    stop.send(true).unwrap();
    let round_trips = round_trips.join().unwrap();
    let max = MAX_SESSIONS_PER_PRINCIPAL;
    assert!(
        sign_ins > 4 * max as u32,
        "the attack signed in {sign_ins} times, too few to test the cap"
    );

    // Every dropped connection is parked by now, or its session ended.
    let deadline = Instant::now() + PATIENCE;
    let (sessions, parked) = loop {
        let (sessions, parked) = sessions_of(acdhub.metrics, "wall").await;
        if sessions == parked || Instant::now() > deadline {
            break (sessions, parked);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let after = rss(&acdhub.scrape().await);
    eprintln!(
        "{sign_ins} sign-ins in {attack_for:?}: {sessions} sessions of `wall` ({parked} parked); \
         RSS {:.1} MB before, {:.1} MB after; an agent's round trips {round_trips:?}",
        baseline / 1e6,
        after / 1e6
    );
    assert!(
        sessions <= max,
        "one token keeps at most {max} sessions, not {sessions}"
    );
    let scrape = acdhub.scrape().await;
    let evicted = sample(
        &scrape,
        "acdhub_sessions_evicted_total{reason=\"principal_cap\"}",
    );
    assert!(
        evicted >= f64::from(sign_ins) - max as f64,
        "each sign-in over the cap ended a parked session: {evicted}"
    );
    assert!(
        round_trips.count > 0 && round_trips.longest < ROUND_TRIP_BOUND,
        "an agent's round trip stayed under {ROUND_TRIP_BOUND:?} during the attack: {round_trips:?}"
    );
    assert!(
        after < baseline * 1.2 + 4e6,
        "RSS comes back near its baseline: {baseline} before, {after} after"
    );
    acdhub.stop();
}

#[tokio::test]
async fn a_principal_with_every_session_attached_is_refused_one_more() {
    let server = net::start("[limits]\nmax_sessions_per_principal = 2\n").await;
    let address = net::addr(&server, Via::Ws);
    let (first, _) = Client::login(&server, Via::Ws, "wall").await;
    let (_second, _) = Client::login(&server, Via::Ws, "wall").await;
    let mut third = Client::connect(&server, Via::Ws).await;
    let reply = third
        .request(json!({"type": "auth", "user": "wall", "password": PASSWORD}))
        .await;
    assert_eq!(reply["code"], "too_many_sessions", "{reply}");
    assert_eq!(third.expect_close().await, 1008);
    // Another principal is not affected.
    let (_boss, _) = Client::login(&server, Via::Ws, "boss").await;
    // One of the two drops: its session is parked, and the next sign-in ends it instead.
    drop(first);
    let deadline = Instant::now() + PATIENCE;
    while server.connections().len() > 2 {
        assert!(Instant::now() < deadline, "the dropped connection closes");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let auth = json!({"id": "again", "type": "auth", "user": "wall", "password": PASSWORD});
    drop(signed_in(address, &auth).await);
    server.shutdown().await;
}

/// What one connection of a flooder saw.
#[derive(Debug, Default)]
struct Flood {
    sent: u64,
    acks: u64,
    limited: u64,
    close: Option<u16>,
}

/// Signs in with `token` and sends pings as fast as the socket takes them until the server
/// closes the connection (or for `at_most`), reading what comes back.
async fn flood_once(address: std::net::SocketAddr, token: &str, at_most: Duration) -> Flood {
    let auth = json!({"id": "in", "type": "auth", "token": token});
    let (mut write, mut read) = signed_in(address, &auth).await.split();
    let sent = Arc::new(AtomicU64::new(0));
    let counted = sent.clone();
    let writer = tokio::spawn(async move {
        let until = Instant::now() + at_most;
        while Instant::now() < until {
            let n = counted.load(Relaxed);
            let ping = json!({"id": format!("p{n}"), "type": "ping"}).to_string();
            if write.feed(Message::Text(ping.into())).await.is_err() {
                break;
            }
            counted.store(n + 1, Relaxed);
            if n % 64 == 63 && write.flush().await.is_err() {
                break;
            }
        }
    });
    let mut flood = Flood::default();
    let until = Instant::now() + at_most + PATIENCE;
    while let Ok(Some(frame)) = tokio::time::timeout_at(until, read.next()).await {
        match frame {
            Ok(Message::Text(text)) => {
                let message: Value = serde_json::from_str(text.as_str()).unwrap();
                match (message["type"].as_str(), message["code"].as_str()) {
                    (Some("ack"), _) => flood.acks += 1,
                    (Some("error"), Some("rate_limited")) => flood.limited += 1,
                    _ => {}
                }
            }
            Ok(Message::Close(frame)) => {
                flood.close = frame.map(|f| u16::from(f.code));
                break;
            }
            Ok(_) => {}
            Err(error) => panic!("the connection failed before a close frame: {error}"),
        }
    }
    writer.abort();
    flood.sent = sent.load(Relaxed);
    flood
}

#[tokio::test]
async fn a_flooding_agent_is_rate_limited_then_closed_while_its_tenant_stays_quick() {
    let (acdhub, [token, colleague]) = binary_with_tokens("flood", ["a1", "a2"]).await;
    let (stop, stopped) = watch::channel(false);
    let round_trips = measure_round_trips(acdhub.ws, colleague, stopped);

    // The flooder pings as fast as it can, is closed, signs in again with its token and goes
    // on, for three seconds.
    let started = Instant::now();
    let mut floods = Vec::new();
    while started.elapsed() < Duration::from_secs(3) {
        let flood = flood_once(acdhub.ws, &token, Duration::from_secs(3)).await;
        let closed = flood.close == Some(1008);
        floods.push(flood);
        if !closed {
            break;
        }
    }
    stop.send(true).unwrap();
    let round_trips = round_trips.join().unwrap();
    let sent: u64 = floods.iter().map(|f| f.sent).sum();
    let acks: u64 = floods.iter().map(|f| f.acks).sum();
    eprintln!(
        "flooder: {} connections in {:?}, {sent} pings sent, {acks} acked; first connection \
         {:?}; the colleague's round trips {round_trips:?}",
        floods.len(),
        started.elapsed(),
        floods[0],
    );
    assert!(
        floods.iter().all(|f| f.close == Some(1008)),
        "a flooder is closed with 1008 each time: {floods:?}"
    );
    let first = &floods[0];
    assert!(
        first.limited > 0,
        "over budget, pings are refused with rate_limited"
    );
    assert!(
        (200..=260).contains(&first.acks),
        "the burst (200) and what the rate (20 a second) refills meanwhile is acked: {first:?}"
    );
    // The principal's budget (four connections' worth) holds across reconnections.
    assert!(
        acks <= 800 + 80 * (started.elapsed().as_secs() + 1) + 20 * floods.len() as u64,
        "a flooder that signs in again gets no fresh budget: {acks} acked"
    );
    assert!(
        round_trips.count > 0 && round_trips.longest < ROUND_TRIP_BOUND,
        "the colleague's round trip stayed under {ROUND_TRIP_BOUND:?}: {round_trips:?}"
    );
    acdhub.stop();
}

/// A connection refused because its login's other connections spent the login's budget (four
/// tabs, say) keeps its own tokens: once the login's bucket refills, it has its whole burst.
#[tokio::test]
async fn a_connection_refused_for_its_logins_budget_keeps_its_own() {
    // A connection: 1 a second, 4 at once; the login: 4 a second, 16 at once.
    let server = net::start("[limits]\ncommands_per_sec = 1\ncommand_burst = 4\n").await;
    let mut tabs = Vec::new();
    for _ in 0..4 {
        let (mut tab, _) = Client::login(&server, Via::Ws, "a1").await;
        for _ in 0..4 {
            tab.ok(json!({"type": "ping"})).await;
        }
        tabs.push(tab);
    }
    // The four tabs spent the login's 16: a fifth connection, its own 4 untouched, is refused.
    let (mut late, _) = Client::login(&server, Via::Ws, "a1").await;
    let mut refused = 0;
    for _ in 0..4 {
        let reply = late.request(json!({"type": "ping"})).await;
        if reply["type"] == "error" {
            assert_eq!(reply["code"], "rate_limited", "{reply}");
            refused += 1;
        }
    }
    assert!(refused >= 1, "the login's budget is spent");
    // 3 s later the login has refilled 12; the late connection, whose refused pings cost it
    // nothing, has its burst of 4 again (had they cost it, it would have 3 at most).
    tokio::time::sleep(Duration::from_secs(3)).await;
    for _ in 0..4 {
        late.ok(json!({"type": "ping"})).await;
    }
}

#[tokio::test]
async fn a_pbx_pipelining_a_burst_of_calls_is_not_refused() {
    let server = net::start("").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    // 500 calls arrive at once, each command written without waiting for the one before.
    let mut ids = Vec::new();
    for n in 0..500 {
        let call =
            json!({"type": "call_arrived", "call": format!("burst-{n}"), "queue": "support"});
        ids.push(pbx.send(call).await.unwrap());
    }
    for id in ids {
        let reply = pbx.reply_to(&id).await;
        assert_eq!(reply["type"], "ack", "{reply}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_dropped_as_too_slow_gets_the_close_frame_when_it_reads_again() {
    let server = net::start(
        "[limits]\noutbound_queue = 16\npong_timeout_secs = 60\nping_interval_secs = 60\n",
    )
    .await;
    let address = net::addr(&server, Via::Ws);
    let metrics = server.metrics_addr().unwrap();
    // A supervisor with a 4 KiB receive window, subscribed to everything; then it stops reading.
    let mut boss = net::small_window_connect(address).await;
    for message in [
        json!({"id": "in", "type": "auth", "user": "boss", "password": PASSWORD}),
        json!({"id": "sub", "type": "subscribe"}),
    ] {
        boss.send(Message::Text(message.to_string().into()))
            .await
            .unwrap();
    }
    loop {
        let frame = tokio::time::timeout(PATIENCE, boss.next()).await.unwrap();
        let Some(Ok(Message::Text(text))) = frame else {
            panic!("{frame:?}");
        };
        if serde_json::from_str::<Value>(text.as_str()).unwrap()["id"] == "sub" {
            break;
        }
    }
    // Calls arrive until the supervisor's queue overflows and the server drops it.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let slow = "acdhub_slow_client_disconnects_total{role=\"supervisor\"}";
    let mut calls = 0;
    loop {
        let (_, scrape) = net::http_get(metrics, "/metrics").await;
        if sample(&scrape, slow) >= 1.0 {
            break;
        }
        assert!(
            calls < 5_000,
            "the supervisor was never dropped as too slow"
        );
        for _ in 0..20 {
            calls += 1;
            let call =
                json!({"type": "call_arrived", "call": format!("c-{calls}"), "queue": "support"});
            pbx.ok(call).await;
        }
    }
    // Its page still sends (a command, its own keepalive) while its reader stays stalled for
    // three seconds more (a frozen tab); then it reads again: what it had not read, then the
    // close frame with 4008.
    let ping = json!({"id": "still-here", "type": "ping"}).to_string();
    boss.send(Message::Text(ping.into())).await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut messages = 0;
    let code = loop {
        let frame = tokio::time::timeout(PATIENCE, boss.next())
            .await
            .expect("the server sends or closes in time");
        match frame {
            Some(Ok(Message::Text(_))) => messages += 1,
            Some(Ok(Message::Close(frame))) => break frame.map(|f| u16::from(f.code)),
            Some(Ok(_)) => {}
            Some(Err(error)) => panic!("no close frame after {messages} messages: {error}"),
            None => panic!("the connection ended without a close frame after {messages} messages"),
        }
    };
    eprintln!("{calls} calls; the slow supervisor read {messages} messages, then {code:?}");
    assert_eq!(code, Some(4008));
    server.shutdown().await;
}
