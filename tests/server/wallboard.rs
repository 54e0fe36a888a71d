//! The wallboard feed through the wire: a snapshot, then updates coalesced to the configured
//! rate and carrying the latest figures; the tenant's totals; windows that roll over at local
//! midnight and across daylight-saving changes, crossed by moving the server's clock.

use crate::{net, schema};
use std::time::Duration;

use jiff::Timestamp;
use serde_json::{Value, json};

use crate::net::{Client, Via};

fn at(message: &Value) -> Timestamp {
    message["at"].as_str().unwrap().parse().unwrap()
}

async fn start_at(extra: &str, start: &str) -> acdhub::server::Server {
    let text = net::config_text(extra);
    let file = acdhub::config::parse(&text, "test.toml").unwrap();
    let start: Timestamp = start.parse().unwrap();
    acdhub::server::Server::start_at(file, start).await.unwrap()
}

#[tokio::test]
async fn updates_are_coalesced_to_the_configured_rate_and_carry_the_latest_figures() {
    // Heartbeats every second mark the time when nothing else may come.
    let server = net::start("[limits]\nstats_updates_per_sec = 2\nping_interval_secs = 1\n").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    // The snapshot: each queue in configuration order, then the tenant's totals.
    let kinds: Vec<(&str, &str)> = wall
        .backlog
        .iter()
        .map(|m| {
            (
                m["type"].as_str().unwrap(),
                m["queue"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("queue_stats", "support"),
            ("queue_stats", "sales"),
            ("tenant_stats", "")
        ]
    );
    wall.backlog.clear();

    // Thirty calls as fast as the PBX can send them.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    for i in 0..30 {
        pbx.ok(json!({"type": "call_arrived", "call": format!("c{i}"), "queue": "support"}))
            .await;
    }

    // Updates until the last call shows: far fewer than thirty, at least half a second apart.
    let mut updates = Vec::new();
    let totals = loop {
        let message = wall.next().await;
        match message["type"].as_str() {
            Some("queue_stats") => {
                assert_eq!(message["queue"], "support", "sales did not change");
                updates.push(message);
            }
            Some("tenant_stats") if message["waiting"] == 30 => break message,
            Some("tenant_stats") => {}
            _ => panic!("only statistics: {message}"),
        }
    };
    let last = updates.last().expect("at least one update");
    assert_eq!(last["waiting"], 30, "the latest figures, not a backlog");
    assert_eq!(last["today"]["offered"], 30);
    assert_eq!(totals["today"]["offered"], 30);
    assert!(updates.len() < 30, "coalesced: {} updates", updates.len());
    for pair in updates.windows(2) {
        let gap = at(&pair[1]).duration_since(at(&pair[0]));
        assert!(
            gap >= jiff::SignedDuration::from_millis(495),
            "two updates within {gap:?} at 2 per second"
        );
    }

    // Nothing changes, so nothing is sent: two heartbeats come, at least a second (two flushes)
    // apart, and nothing else.
    wall.expect_heartbeats(2).await;
    server.shutdown().await;
}

#[tokio::test]
async fn a_wallboard_can_watch_some_queues_without_the_totals_and_change_its_mind() {
    let server = net::start("").await;
    let (mut wall, _) = Client::login(&server, Via::Wss, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["sales"], "tenant_total": false}))
        .await;
    assert_eq!(wall.backlog.len(), 1);
    assert_eq!(wall.backlog[0]["queue"], "sales");
    wall.backlog.clear();
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "s1", "queue": "support"}))
        .await;
    pbx.ok(json!({"type": "call_arrived", "call": "s2", "queue": "sales"}))
        .await;
    let update = wall.next_event_is("queue_stats").await;
    assert_eq!(update["queue"], "sales", "support is not watched");
    assert_eq!(update["waiting"], 1);

    // Bad input changes nothing: the old subscription stays.
    assert_eq!(
        wall.refused(json!({"type": "subscribe", "queues": ["nope"]}))
            .await,
        "unknown_queue"
    );
    assert_eq!(
        wall.refused(json!({"type": "subscribe", "tenant_total": "yes"}))
            .await,
        "bad_message"
    );
    wall.ok(json!({"type": "subscribe", "queues": []})).await;
    // The snapshot comes before the ack: the totals alone.
    assert_eq!(wall.backlog.len(), 1, "{:?}", wall.backlog);
    let totals = wall.backlog.remove(0);
    assert_eq!(totals["type"], "tenant_stats");
    assert_eq!(totals["waiting"], 2, "the totals count both queues");
    assert_eq!(totals["today"]["offered"], 2);
    assert_eq!(totals["service_level_variant"], "answered");

    // A second wallboard watching sales goes away; the server still tells the first one
    // (now watching sales again) about sales.
    let (mut other, _) = Client::login(&server, Via::Ws, "wall").await;
    other
        .ok(json!({"type": "subscribe", "queues": ["sales"]}))
        .await;
    wall.ok(json!({"type": "subscribe", "queues": ["sales"], "tenant_total": false}))
        .await;
    wall.backlog.clear();
    drop(other);
    let deadline = tokio::time::Instant::now() + net::PATIENCE;
    while wallboards(&server) > 1 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the server sees the other one go"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    pbx.ok(json!({"type": "call_arrived", "call": "s3", "queue": "sales"}))
        .await;
    let update = wall.next_event_is("queue_stats").await;
    assert_eq!(update["queue"], "sales");
    assert_eq!(update["waiting"], 2);
    server.shutdown().await;
}

/// Waits for statistics of `kind` (and `queue`) describing an instant at or after `after`.
async fn stats_after(
    client: &mut Client,
    kind: &str,
    queue: Option<&str>,
    after: Timestamp,
) -> Value {
    client
        .expect_where(kind, |m| {
            queue.is_none_or(|q| m["queue"] == q) && at(m) >= after
        })
        .await
}

#[tokio::test]
async fn today_starts_again_at_local_midnight_and_the_update_comes_by_itself() {
    // 23:59 in Berlin (UTC+1 in November).
    let server = start_at("", "2026-11-23T22:59:00Z").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    let before = wall.backlog[0].clone();
    assert_eq!(before["today"]["start"], "2026-11-22T23:00:00.000Z");
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "late", "queue": "support"}))
        .await;
    let counted = wall
        .expect_where("queue_stats", |m| m["today"]["offered"] == 1)
        .await;
    assert!(at(&counted) < "2026-11-23T23:00:00Z".parse().unwrap());

    server.advance_clock(Duration::from_secs(61)).await;
    let midnight: Timestamp = "2026-11-23T23:00:00Z".parse().unwrap();
    let after = stats_after(&mut wall, "queue_stats", Some("support"), midnight).await;
    assert_eq!(after["today"]["start"], "2026-11-23T23:00:00.000Z");
    assert_eq!(after["interval"]["start"], "2026-11-23T23:00:00.000Z");
    assert_eq!(after["today"]["offered"], 0, "a new day");
    assert_eq!(after["interval"]["offered"], 0);
    assert_eq!(
        after["rolling"]["offered"], 1,
        "the last 15 minutes still hold it"
    );
    assert_eq!(after["waiting"], 1, "the caller still waits");
    let totals = stats_after(&mut wall, "tenant_stats", None, midnight).await;
    assert_eq!(totals["today"]["offered"], 0);
    assert_eq!(totals["today"]["start"], "2026-11-23T23:00:00.000Z");
    server.shutdown().await;
}

#[tokio::test]
async fn intervals_follow_local_time_across_both_daylight_saving_changes() {
    // Spring: at 02:00 CET (01:00 UTC) on 29 March 2026 Berlin moves to 03:00 CEST.
    let server = start_at("", "2026-03-29T00:59:00Z").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"], "tenant_total": false}))
        .await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "spring", "queue": "support"}))
        .await;
    let counted = wall
        .expect_where("queue_stats", |m| m["interval"]["offered"] == 1)
        .await;
    // 01:45 CET, a day that began at midnight CET.
    assert_eq!(counted["interval"]["start"], "2026-03-29T00:45:00.000Z");
    assert_eq!(counted["today"]["start"], "2026-03-28T23:00:00.000Z");
    server.advance_clock(Duration::from_secs(61)).await;
    let change: Timestamp = "2026-03-29T01:00:00Z".parse().unwrap();
    let after = stats_after(&mut wall, "queue_stats", Some("support"), change).await;
    assert_eq!(
        after["interval"]["start"], "2026-03-29T01:00:00.000Z",
        "03:00 CEST: the interval after 01:45 CET"
    );
    assert_eq!(after["interval"]["offered"], 0);
    assert_eq!(after["today"]["offered"], 1, "the same day");
    assert_eq!(after["today"]["start"], "2026-03-28T23:00:00.000Z");
    server.shutdown().await;

    // Autumn: at 03:00 CEST (01:00 UTC) on 25 October 2026 Berlin goes back to 02:00 CET; the
    // day has 25 hours and its 02:xx quarter hours come twice.
    let server = start_at("", "2026-10-25T00:59:00Z").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"], "tenant_total": false}))
        .await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "autumn", "queue": "support"}))
        .await;
    let counted = wall
        .expect_where("queue_stats", |m| m["interval"]["offered"] == 1)
        .await;
    assert_eq!(counted["interval"]["start"], "2026-10-25T00:45:00.000Z");
    assert_eq!(counted["today"]["start"], "2026-10-24T22:00:00.000Z");
    server.advance_clock(Duration::from_secs(61)).await;
    let change: Timestamp = "2026-10-25T01:00:00Z".parse().unwrap();
    let after = stats_after(&mut wall, "queue_stats", Some("support"), change).await;
    assert_eq!(
        after["interval"]["start"], "2026-10-25T01:00:00.000Z",
        "02:00 CET, the second 02:00 of the day"
    );
    assert_eq!(after["interval"]["offered"], 0);
    assert_eq!(after["today"]["offered"], 1);
    assert_eq!(after["today"]["start"], "2026-10-24T22:00:00.000Z");

    // That day ends at midnight CET, 25 hours after it began.
    server.advance_clock(Duration::from_secs(22 * 3600)).await;
    let midnight: Timestamp = "2026-10-25T23:00:00Z".parse().unwrap();
    let next_day = stats_after(&mut wall, "queue_stats", Some("support"), midnight).await;
    assert_eq!(next_day["today"]["start"], "2026-10-25T23:00:00.000Z");
    assert_eq!(next_day["today"]["offered"], 0);
    server.shutdown().await;
}

/// Authenticates as the wallboard and subscribes to everything, without reading the answers.
async fn subscribe_blind(socket: &mut tokio_tungstenite::WebSocketStream<tokio::net::TcpStream>) {
    use futures_util::SinkExt;
    for command in [
        json!({"id": "1", "type": "auth", "user": "wall", "password": net::PASSWORD}),
        json!({"id": "2", "type": "subscribe"}),
    ] {
        let text = command.to_string().into();
        socket
            .send(tokio_tungstenite::tungstenite::Message::Text(text))
            .await
            .unwrap();
    }
}

/// How many wallboard connections the server has open.
fn wallboards(server: &acdhub::server::Server) -> usize {
    server
        .connections()
        .connections()
        .iter()
        .filter(|s| {
            s.principal
                .as_ref()
                .is_some_and(|(_, role, _)| role.name() == "wallboard")
        })
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_wallboard_stays_connected_and_a_dead_one_is_closed() {
    use futures_util::StreamExt;
    use tokio_tungstenite::tungstenite::Message;

    let server = net::start(
        "[limits]\nstats_updates_per_sec = 50\nping_interval_secs = 1\npong_timeout_secs = 2\n",
    )
    .await;
    let addr = net::addr(&server, Via::Ws);
    // One wallboard never reads again: it cannot answer pings either.
    let mut dead = net::small_window_connect(addr).await;
    subscribe_blind(&mut dead).await;
    // One reads everything, but slower than the statistics come (a TV on poor Wi-Fi).
    let mut slow = net::small_window_connect(addr).await;
    subscribe_blind(&mut slow).await;

    // Calls arrive and hang up in both queues without pause.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let load = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut call = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                call += 1;
                let queue = if call.is_multiple_of(2) {
                    "support"
                } else {
                    "sales"
                };
                let id = format!("load-{call}");
                pbx.ok(json!({"type": "call_arrived", "call": id, "queue": queue}))
                    .await;
                pbx.ok(json!({"type": "caller_hung_up", "call": id})).await;
            }
        })
    };

    // The slow wallboard reads a message every 10 ms until the dead one is gone, and a while
    // longer; the server must neither close it nor make it wait for a backlog.
    let mut messages = 0u64;
    let mut both_subscribed = false;
    let mut after_dead_gone = None;
    let deadline = tokio::time::Instant::now() + net::PATIENCE * 2;
    loop {
        let frame = tokio::time::timeout(net::PATIENCE, slow.next()).await;
        match frame {
            Ok(Some(Ok(Message::Text(text)))) => {
                schema::check_server_message(text.as_str());
                messages += 1;
            }
            Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
            other => panic!("the slow wallboard keeps its connection: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        // Both authenticate first (the registry knows a session's role from then on).
        let open = wallboards(&server);
        both_subscribed |= open == 2;
        if both_subscribed && after_dead_gone.is_none() && open == 1 {
            after_dead_gone = Some(messages);
        }
        if after_dead_gone.is_some_and(|at| messages >= at + 300) {
            assert_eq!(wallboards(&server), 1, "the slow one is still there");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dead wallboard was never closed ({} wallboards, {messages} messages)",
            wallboards(&server)
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    load.await.unwrap();
    drop(dead);
    server.shutdown().await;
}
