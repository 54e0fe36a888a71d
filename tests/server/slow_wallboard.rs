//! A wallboard that stops reading, against the real binary under load: its statistics wait in
//! latest-wins slots, so the server's memory stays flat, the wallboard stays connected, and
//! everyone else goes on as before. The server's memory and drop counts come from its own
//! `/metrics`.

use crate::{net, schema};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::net::{Client, PASSWORD, PATIENCE, Via};
use acdhub::server::hash_password;

const QUEUES: usize = 30;

fn config() -> String {
    let hash = hash_password(PASSWORD);
    let mut text = format!(
        r#"
[server]
ws = "127.0.0.1:0"
wss = "off"

[metrics]
listen = "127.0.0.1:0"

[limits]
stats_updates_per_sec = 50
ping_interval_secs = 600
pong_timeout_secs = 600

[[tenants]]
id = "acme"
time_zone = "UTC"
# The rolling window holds every call of its span; at this test's thousands of calls a second a
# 15-minute window would grow by megabytes and hide what is measured here.
routing = {{ rolling_window_secs = 1 }}

# The agent's queue gets no load: an agent that does not read its own events is closed as too
# slow (4008), which is right for agents and not what this test is about.
[[tenants.queues]]
id = "calm"

[[tenants.agents]]
id = "a1"
skills = {{ calm = 1 }}

[[principals]]
user = "a1"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "wall"
role = "wallboard"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "pbx"
role = "telephony"
tenant = "acme"
password_hash = "{hash}"
"#
    );
    for q in 0..QUEUES {
        text.push_str(&format!("\n[[tenants.queues]]\nid = \"q{q}\"\n"));
    }
    text
}

/// The real server, and where it listens.
struct Process {
    child: Child,
    ws: SocketAddr,
    metrics: SocketAddr,
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            eprintln!("the server had exited: {status}");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn() -> Process {
    let dir = std::env::temp_dir().join(format!("acdhub-slow-wall-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acdhub.toml");
    std::fs::write(&file, config()).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .arg("--config")
        .arg(&file)
        .arg("--data")
        .arg(dir.join("data"))
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (found, addresses) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            if line.contains("panicked") || line.contains("ERROR") || line.contains("WARN") {
                eprintln!("server: {line}");
            }
            for marker in ["listening for ws on ", "metrics on http://"] {
                if let Some(at) = line.find(marker) {
                    let rest = &line[at + marker.len()..];
                    let addr: String = rest
                        .chars()
                        .take_while(|c| !c.is_whitespace() && *c != '/')
                        .collect();
                    let _ = found.send((marker, addr.parse::<SocketAddr>().unwrap()));
                }
            }
        }
    });
    let (mut ws, mut metrics) = (None, None);
    while ws.is_none() || metrics.is_none() {
        let (marker, addr) = addresses
            .recv_timeout(PATIENCE)
            .expect("the server says where it listens");
        if marker.starts_with("listening") {
            ws = Some(addr);
        } else {
            metrics = Some(addr);
        }
    }
    Process {
        child,
        ws: ws.unwrap(),
        metrics: metrics.unwrap(),
    }
}

/// One scrape of `/metrics`.
async fn scrape(metrics: SocketAddr) -> String {
    let (status, body) = net::http_get(metrics, "/metrics").await;
    assert_eq!(status, 200);
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wallboard_that_stops_reading_keeps_memory_flat_and_holds_nobody_back() {
    let server = spawn();

    // The stalled wallboard: authenticates, subscribes, and never reads again.
    let mut stalled = net::small_window_connect(server.ws).await;
    for command in [
        json!({"id": "1", "type": "auth", "user": "wall", "password": PASSWORD}),
        json!({"id": "2", "type": "subscribe"}),
    ] {
        stalled
            .send(Message::Text(command.to_string().into()))
            .await
            .unwrap();
    }

    // A wallboard that reads everything, counting bytes and checking seq.
    let (mut healthy, _) = Client::login_at(server.ws, Via::Ws, "wall").await;
    healthy.ok(json!({"type": "subscribe"})).await;
    let received = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let reader = {
        let received = received.clone();
        let stop = stop.clone();
        let mut socket = healthy;
        tokio::spawn(async move {
            let mut last_seq = socket
                .backlog
                .last()
                .map_or(0, |m| m["seq"].as_u64().unwrap());
            let mut updates = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let frame = tokio::time::timeout(PATIENCE, socket.socket_mut().next()).await;
                let Ok(Some(Ok(Message::Text(text)))) = frame else {
                    panic!("the healthy wallboard keeps receiving: {frame:?}");
                };
                received.fetch_add(text.len() as u64, Ordering::Relaxed);
                let message: Value = serde_json::from_str(&text).unwrap();
                if let Some(seq) = message["seq"].as_u64() {
                    assert_eq!(seq, last_seq + 1, "no gaps for the healthy wallboard");
                    last_seq = seq;
                }
                updates += 1;
                if updates % 100 == 1 {
                    schema::check_server_message(&text);
                }
            }
            updates
        })
    };

    // Load: calls arrive in every queue and hang up, about two thousand a second: each queue
    // changes far more often than its statistics may be sent.
    let pbx = net::open_at(server.ws, Via::Ws, None).await.unwrap();
    let (mut pbx_out, mut pbx_in) = pbx.split();
    pbx_out
        .send(Message::Text(
            json!({"id": "auth", "type": "auth", "user": "pbx", "password": PASSWORD})
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = pbx_in.next().await {} });
    let load = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut call = 0u64;
            while !stop.load(Ordering::Relaxed) {
                call += 1;
                if call.is_multiple_of(10) {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
                let queue = format!("q{}", call as usize % QUEUES);
                let id = format!("load-{call}");
                for command in [
                    json!({"id": format!("a{call}"), "type": "call_arrived", "call": id, "queue": queue}),
                    json!({"id": format!("e{call}"), "type": "caller_hung_up", "call": id}),
                ] {
                    pbx_out
                        .send(Message::Text(command.to_string().into()))
                        .await
                        .unwrap();
                }
            }
            call
        })
    };

    // The agent logs in now: checking a password costs its blocking thread about 19 MiB for
    // good (BENCHMARKS.md), which is not what this test measures.
    let (mut agent, _) = Client::login_at(server.ws, Via::Ws, "a1").await;

    // Wait until the server replaces superseded updates: the stalled wallboard's (the label does
    // not tell the two wallboards apart, but the healthy one reads as fast as it can).
    let replaced_series = "acdhub_stats_updates_replaced_total{role=\"wallboard\"}";
    let rss_series = "process_resident_memory_bytes";
    let deadline = tokio::time::Instant::now() + PATIENCE * 3;
    let first = loop {
        let scrape = scrape(server.metrics).await;
        if net::sample(&scrape, replaced_series) > 0.0 {
            break scrape;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the stalled wallboard never fell behind"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let rss_before = net::sample(&first, rss_series);
    let received_before = received.load(Ordering::Relaxed);

    // An agent works normally meanwhile.
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    agent.expect_state("a1", "ready").await;

    // Go on until the healthy wallboard has been sent 24 MB more: what a backlog for the
    // stalled one would have grown by.
    const VOLUME: u64 = 24 * 1024 * 1024;
    let deadline = tokio::time::Instant::now() + PATIENCE * 6;
    while received.load(Ordering::Relaxed) - received_before < VOLUME {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the healthy wallboard received only {} bytes",
            received.load(Ordering::Relaxed) - received_before
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    agent.ok(json!({"type": "logout"})).await;
    let last = scrape(server.metrics).await;
    let rss_after = net::sample(&last, rss_series);
    let grown = rss_after - rss_before;
    assert!(
        grown < 8.0 * 1024.0 * 1024.0,
        "the server grew by {grown} bytes while {VOLUME} bytes of statistics were held back"
    );
    assert!(net::sample(&last, replaced_series) > net::sample(&first, replaced_series));
    assert_eq!(
        net::sample(
            &last,
            "acdhub_connections{role=\"wallboard\",transport=\"ws\"}"
        ),
        2.0,
        "the stalled wallboard is still connected"
    );
    assert_eq!(
        net::sample(
            &last,
            "acdhub_slow_client_disconnects_total{role=\"wallboard\"}"
        ),
        0.0
    );
    stop.store(true, Ordering::Relaxed);
    let calls = load.await.unwrap();
    let updates = reader.await.unwrap();
    drain.abort();
    println!(
        "{calls} calls; healthy wallboard: {updates} messages; server RSS {rss_before} -> {rss_after}"
    );
    drop(stalled);
}
