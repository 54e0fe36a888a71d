//! A queue serving calls and chats over the wire: the sign-in lists it once per lane, an agent
//! hears each lane's waiting count apart, a wallboard gets one `queue_stats` per lane, a
//! conversation naming a channel the queue does not serve is refused with `wrong_channel`, and
//! `/metrics` has every queue series once per lane. Every server message is checked against its
//! schema by the clients.

use serde_json::{Value, json};

use crate::net::{self, Client, Via};

/// [`net::with_chat`]'s contact center with `support` serving calls and chats.
fn config() -> String {
    let text = net::config_text(&net::with_chat(""));
    let two = text.replacen(
        "id = \"support\"\n",
        "id = \"support\"\nchannels = [\"voice\", \"chat\"]\n",
        1,
    );
    assert_ne!(two, text, "the support queue is in the test configuration");
    two
}

/// The `(queue, channel)` of each lane a message lists.
fn lanes(queues: &Value) -> Vec<(String, String)> {
    queues
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            let id = q["id"].as_str().or(q["queue"].as_str()).unwrap();
            (id.to_owned(), q["channel"].as_str().unwrap().to_owned())
        })
        .collect()
}

fn lane(queue: &str, channel: &str) -> (String, String) {
    (queue.to_owned(), channel.to_owned())
}

#[tokio::test]
async fn a_queue_of_two_channels_is_two_lanes_on_the_wire_and_in_metrics() {
    let server = net::start_text(&config()).await;
    let (mut agent, result) = Client::login(&server, Via::Ws, "c1").await;
    assert_eq!(
        lanes(&result["queues"]),
        [
            lane("support", "voice"),
            lane("support", "chat"),
            lane("sales", "voice"),
            lane("chat", "chat"),
        ]
    );
    // The snapshot: one waiting count per lane of each queue the agent serves.
    let mut waiting = Vec::new();
    for _ in 0..3 {
        let count = agent.expect("queue_waiting").await;
        waiting.push(lane(
            count["queue"].as_str().unwrap(),
            count["channel"].as_str().unwrap(),
        ));
    }
    waiting.sort();
    assert_eq!(
        waiting,
        [
            lane("chat", "chat"),
            lane("support", "chat"),
            lane("support", "voice"),
        ]
    );
    let (mut wall, _) = Client::login(&server, Via::Wss, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"], "tenant_total": false}))
        .await;
    let mut tiles = Vec::new();
    for _ in 0..2 {
        let stats = wall.expect("queue_stats").await;
        tiles.push(lane(
            stats["queue"].as_str().unwrap(),
            stats["channel"].as_str().unwrap(),
        ));
        assert_eq!(stats["name"], "support");
    }
    assert_eq!(tiles, [lane("support", "voice"), lane("support", "chat")]);

    // A call and a chat into the one queue: each lane counts its own. Nobody is logged in, so
    // both wait.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "call-1", "queue": "support"}))
        .await;
    let (mut widget, _) = Client::login(&server, Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-1", "queue": "support", "channel": "chat", "messages": ["Hi"]}))
        .await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-2", "queue": "support"}))
        .await;
    let (mut voice, mut chat) = (Value::Null, Value::Null);
    while voice["waiting"] != 1 || chat["waiting"] != 2 {
        let count = agent.expect("queue_waiting").await;
        match (count["queue"].as_str(), count["channel"].as_str()) {
            (Some("support"), Some("voice")) => voice = count,
            (Some("support"), Some("chat")) => chat = count,
            _ => panic!("no other queue changed: {count}"),
        }
    }
    assert!(voice["oldest_waiting_since"].is_string(), "{voice}");
    assert!(chat["oldest_waiting_since"].is_string(), "{chat}");
    // The lanes' updates come in either order: the latest of each until both show the work.
    let (mut voice_tile, mut chat_tile) = (Value::Null, Value::Null);
    while voice_tile["waiting"] != 1 || chat_tile["waiting"] != 2 {
        let stats = wall.expect("queue_stats").await;
        match stats["channel"].as_str() {
            Some("voice") => voice_tile = stats,
            Some("chat") => chat_tile = stats,
            _ => panic!("a lane of support that is neither: {stats}"),
        }
    }
    assert_eq!(chat_tile["today"]["offered"], 2, "{chat_tile}");
    assert_eq!(voice_tile["today"]["offered"], 1, "{voice_tile}");
    assert!(voice_tile["conversations"].is_null(), "{voice_tile}");
    assert!(chat_tile["conversations"].is_object(), "{chat_tile}");

    // A channel the queue does not serve: refused, nothing changes, the connection stays.
    for (queue, channel) in [("support", "sms"), ("support", "voice"), ("sales", "chat")] {
        let code = widget
            .refused(json!({"type": "conversation_arrived", "conversation": "chat-9", "queue": queue, "channel": channel}))
            .await;
        assert_eq!(code, "wrong_channel", "{queue} {channel}");
    }
    let code = pbx
        .refused(json!({"type": "call_arrived", "call": "call-9", "queue": "chat"}))
        .await;
    assert_eq!(code, "wrong_channel");
    let code = widget
        .refused(json!({"type": "conversation_arrived", "conversation": "chat-9", "queue": "support", "channel": "Not An Id"}))
        .await;
    assert_eq!(code, "bad_message");
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-9", "queue": "chat"}))
        .await;

    // The agent takes the queue's call and its chats: a call to the voice lane, chats to the
    // chat lane beside it (not exclusive).
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let offer = agent.expect("offer").await;
    assert_eq!(offer["queue"], "support", "{offer}");

    // `/metrics`: every queue series once per lane, told apart by `channel`.
    let scrape = net::http_get(server.metrics_addr().unwrap(), "/metrics")
        .await
        .1;
    for channel in ["voice", "chat"] {
        let line = format!(
            "acdhub_queue_calls_offered_total{{tenant=\"acme\",queue=\"support\",channel=\"{channel}\"}}"
        );
        assert!(scrape.contains(&line), "{line} in\n{scrape}");
    }
    let mut seen = std::collections::HashSet::new();
    for line in scrape.lines().filter(|l| l.starts_with("acdhub_queue_")) {
        let series = line.rsplit_once(' ').unwrap().0;
        assert!(seen.insert(series.to_owned()), "{series} twice");
        assert!(series.contains("channel=\""), "{series} names no lane");
    }
}

/// A reload that gives `support` a chat lane: a wallboard subscribed to `support` gets the new
/// lane's figures at once, an agent of `support` its waiting count, and chats go to it; one
/// that takes the lane away again is refused and everything goes on.
#[tokio::test]
async fn a_reload_adds_a_lane_that_subscribers_and_agents_of_the_queue_hear_at_once() {
    let one = net::config_text(&net::with_chat(""));
    let server = net::start_text(&one).await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"], "tenant_total": false}))
        .await;
    assert_eq!(wall.expect("queue_stats").await["channel"], "voice");
    let (mut agent, _) = Client::login(&server, Via::Ws, "c1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.backlog.clear();

    let parse = |text: &str| acdhub::config::parse(text, "test.toml").unwrap();
    let report = server.reload(parse(&config())).await;
    assert!(report.applied(), "{report:?}");
    let (mut widget, _) = Client::login(&server, Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-1", "queue": "support"}))
        .await;
    let tile = wall
        .expect_where("queue_stats", |m| {
            m["channel"] == "chat" && m["waiting"] == 1
        })
        .await;
    assert_eq!(tile["queue"], "support", "{tile}");
    // The new lane's count, 0 as the reload makes it, then 1.
    let count = agent
        .expect_where("queue_waiting", |m| {
            m["queue"] == "support" && m["channel"] == "chat" && m["waiting"] == 1
        })
        .await;
    assert!(count["oldest_waiting_since"].is_string(), "{count}");

    let report = server.reload(parse(&one)).await;
    assert!(!report.applied(), "removing a lane is refused: {report:?}");
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-2", "queue": "support"}))
        .await;
    let tile = wall
        .expect_where("queue_stats", |m| {
            m["channel"] == "chat" && m["waiting"] == 2
        })
        .await;
    assert_eq!(tile["today"]["offered"], 2, "{tile}");
}
