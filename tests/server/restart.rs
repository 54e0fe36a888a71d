//! A restart of an embedded server on the same data directory: the day goes on where it was,
//! tokens still sign in, and a PBX connector reconciles its calls from its snapshot
//! (protocol.md, "What survives a restart" and "Reconciling after a restart").

use serde_json::{Value, json};

use acdhub::server::Server;

use crate::conversations::chat_open_at_c1;
use crate::net::{self, Client, Via};

fn storage(dir: &std::path::Path) -> String {
    format!("[storage]\ndir = {:?}\n", dir)
}

/// A supervisor's view of every call: its `call_state` snapshot, by call id.
async fn calls_seen_by_supervisor(server: &acdhub::server::Server) -> Vec<Value> {
    let (mut boss, _) = Client::login(server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let mut calls = Vec::new();
    for id in ["pbx-1", "pbx-2", "pbx-3"] {
        calls.push(boss.expect_where("call_state", |m| m["call"] == id).await);
    }
    calls
}

async fn support_today(server: &acdhub::server::Server) -> Value {
    let (mut wall, _) = Client::login(server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"]}))
        .await;
    wall.expect_where("queue_stats", |m| m["queue"] == "support")
        .await["today"]
        .clone()
}

/// Agent a1 signs in, logs in, gets ready and takes call pbx-1 from the PBX: a1's client and
/// token, and the PBX's client.
async fn a1_on_call_pbx_1(server: &Server) -> (Client, String, Client) {
    let (mut agent, result) = Client::login(server, Via::Ws, "a1").await;
    let token = result["token"].as_str().unwrap().to_owned();
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "pbx-1", "queue": "support"}))
        .await;
    agent.expect_where("offer", |m| m["call"] == "pbx-1").await;
    agent.ok(json!({"type": "accept", "call": "pbx-1"})).await;
    agent.expect_state("a1", "on_call").await;
    (agent, token, pbx)
}

#[tokio::test]
async fn a_restart_keeps_agents_calls_and_figures_and_the_pbx_reconciles_from_its_snapshot() {
    let data = tempfile::tempdir().unwrap();
    // One configuration for every start: a token is bound to its user's password hash, and
    // `config_text` salts a new hash each time it is called.
    let text = net::config_text(&storage(data.path()));
    let first = net::start_text(&text).await;
    let (_agent, token, mut pbx) = a1_on_call_pbx_1(&first).await;
    // Nobody is free: these two wait (a2 is logged out).
    pbx.ok(json!({"type": "call_arrived", "call": "pbx-2", "queue": "sales"}))
        .await;
    pbx.ok(json!({"type": "call_arrived", "call": "pbx-3", "queue": "support"}))
        .await;
    let before = calls_seen_by_supervisor(&first).await;
    let today_before = support_today(&first).await;
    assert_eq!(today_before["offered"], 2);
    assert_eq!(today_before["answered"], 1);
    first.shutdown().await;

    let second = net::start_text(&text).await;
    // The agent's stored token signs in to the new process, and its snapshot is the call.
    let mut agent = Client::connect(&second, Via::Ws).await;
    let reply = agent.request(json!({"type": "auth", "token": token})).await;
    assert_eq!(
        reply["type"], "ack",
        "the token outlives the restart: {reply}"
    );
    let state = agent.expect("agent_state").await;
    assert_eq!(state["state"], "on_call", "{state}");
    assert_eq!(state["call"], "pbx-1");
    agent
        .expect_where("call_connected", |m| m["call"] == "pbx-1")
        .await;

    // Every call as it was: the same queue, arrival and place.
    let after = calls_seen_by_supervisor(&second).await;
    for (was, is) in before.iter().zip(&after) {
        for field in [
            "call",
            "queue",
            "status",
            "agent",
            "arrived_at",
            "entered_queue_at",
        ] {
            assert_eq!(
                was[field], is[field],
                "{field} of {was} after the restart: {is}"
            );
        }
    }
    // Every count and wait is exact; occupancy goes on with the clock.
    let mut today_after = support_today(&second).await;
    let mut today_before = today_before;
    for today in [&mut today_after, &mut today_before] {
        today.as_object_mut().unwrap().remove("occupancy_percent");
    }
    assert_eq!(today_after, today_before, "today's figures are exact");

    // The PBX's snapshot lists every call acdhub holds, waiting ones included; the caller of
    // pbx-2 hung up while acdhub was down, so the connector ends it.
    let (mut pbx, _) = Client::login(&second, Via::Ws, "pbx").await;
    let connected = pbx.expect("call_connected").await;
    assert_eq!(connected["call"], "pbx-1");
    let mut waiting = Vec::new();
    for _ in 0..2 {
        let call = pbx.expect("call_state").await;
        assert_eq!(call["status"], "waiting", "{call}");
        waiting.push(call["call"].as_str().unwrap().to_owned());
    }
    waiting.sort();
    assert_eq!(waiting, ["pbx-2", "pbx-3"]);
    pbx.ok(json!({"type": "call_ended", "call": "pbx-2"})).await;
    let left = pbx
        .expect_where("call_left", |m| m["call"] == "pbx-2")
        .await;
    assert_eq!(left["reason"], "abandoned");
    second.shutdown().await;

    // Once more: what the PBX did after the first restart is kept too.
    let third = net::start_text(&text).await;
    let (mut pbx, _) = Client::login(&third, Via::Ws, "pbx").await;
    pbx.expect("call_connected").await;
    let still = pbx.expect("call_state").await;
    assert_eq!(still["call"], "pbx-3");
    third.shutdown().await;
}

#[tokio::test]
async fn a_second_server_on_the_same_data_directory_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let first = net::start(&storage(data.path())).await;
    let text = net::config_text(&storage(data.path()));
    let file = acdhub::config::parse(&text, "test.toml").unwrap();
    let error = match acdhub::server::Server::start(file).await {
        Ok(_) => panic!("a second server started on a data directory in use"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("another acdhub"), "{error}");
    assert!(error.contains("acme"), "names the tenant: {error}");
    first.shutdown().await;
}

#[tokio::test]
async fn a_file_edited_while_the_server_was_down_is_applied_to_the_journaled_day_or_refused() {
    let data = tempfile::tempdir().unwrap();
    let text = net::config_text(&storage(data.path()));
    let first = net::start_text(&text).await;
    let (mut pbx, _) = Client::login(&first, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "pbx-1", "queue": "sales"}))
        .await;
    first.shutdown().await;

    // A queue added and a ring timeout changed while the server was down: applied at start,
    // and the waiting call is still there.
    let billing = "\n[[tenants.queues]]\nid = \"billing\"\nring_timeout_secs = 2\n";
    let edited = text
        .replacen(
            "[[tenants.agents]]",
            &format!("{billing}\n[[tenants.agents]]"),
            1,
        )
        .replacen("ring_timeout_secs = 2\nwrap_up_secs = 60\n\n[[tenants.queues]]\nid = \"sales\"\nring_timeout_secs = 2", "ring_timeout_secs = 2\nwrap_up_secs = 60\n\n[[tenants.queues]]\nid = \"sales\"\nring_timeout_secs = 9", 1);
    assert_ne!(edited, text);
    let second = net::start_text(&edited).await;
    let (mut pbx, result) = Client::login(&second, Via::Ws, "pbx").await;
    let queues: Vec<&str> = result["queues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap())
        .collect();
    assert_eq!(queues, ["support", "sales", "billing"]);
    assert_eq!(pbx.expect("call_state").await["call"], "pbx-1");
    // The new ring timeout: a2 is offered the waiting call with 9 s to answer.
    let (mut a2, _) = Client::login(&second, Via::Ws, "a2").await;
    a2.ok(json!({"type": "login"})).await;
    a2.ok(json!({"type": "ready"})).await;
    let offer = a2.expect_where("offer", |m| m["call"] == "pbx-1").await;
    let deadline: jiff::Timestamp = offer["ring_deadline"].as_str().unwrap().parse().unwrap();
    assert!(
        deadline >= second.now() + std::time::Duration::from_secs(7),
        "{offer}"
    );
    second.shutdown().await;

    // A queue removed while it was down cannot be applied to the day: the start is refused,
    // naming the tenant and the queue, and the journal is left as it was.
    let removed = edited.replacen(billing, "\n", 1).replacen(
        "[[tenants.queues]]\nid = \"sales\"",
        "[[tenants.queues]]\nid = \"sold\"",
        1,
    );
    let removed = removed
        .replace("sales = 2", "sold = 2")
        .replace("sales = 4", "sold = 4");
    let file = acdhub::config::parse(&removed, "test.toml").unwrap();
    let error = match acdhub::server::Server::start_at(file, net::START.parse().unwrap()).await {
        Ok(_) => panic!("a start that drops a journaled queue went ahead"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains("tenant `acme`"), "{error}");
    assert!(error.contains("sales"), "names the queue: {error}");
    let third = net::start_text(&edited).await;
    let (mut pbx, _) = Client::login(&third, Via::Ws, "pbx").await;
    pbx.expect("offer").await;
    third.shutdown().await;
}

#[tokio::test]
async fn an_agent_on_a_call_across_a_restart_hears_the_call_end() {
    let data = tempfile::tempdir().unwrap();
    let text = net::config_text(&storage(data.path()));
    let first = net::start_text(&text).await;
    let (_agent, token, _pbx) = a1_on_call_pbx_1(&first).await;
    first.shutdown().await;

    let second = net::start_text(&text).await;
    let mut agent = Client::connect(&second, Via::Ws).await;
    let reply = agent.request(json!({"type": "auth", "token": token})).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    agent
        .expect_where("call_connected", |m| m["call"] == "pbx-1")
        .await;
    // The caller hangs up: the agent hears its call end, as it would had nothing restarted.
    let (mut pbx, _) = Client::login(&second, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "caller_hung_up", "call": "pbx-1"}))
        .await;
    let left = agent
        .expect_where("call_left", |m| m["call"] == "pbx-1")
        .await;
    assert_eq!(left["reason"], "completed", "{left}");
    agent.expect_state("a1", "wrap_up").await;
    second.shutdown().await;
}

#[tokio::test]
async fn a_conversation_and_its_transcript_survive_a_restart_and_go_on() {
    let data = tempfile::tempdir().unwrap();
    let text = net::config_text(&net::with_chat(&storage(data.path())));
    let first = net::start_text(&text).await;
    let (mut agent, token, mut widget) = chat_open_at_c1(&first, "chat-7").await;
    widget
        .ok(json!({"type": "customer_message", "conversation": "chat-7", "text": "Are you there?"}))
        .await;
    agent
        .ok(json!({"type": "send_message", "conversation": "chat-7", "text": "Yes"}))
        .await;
    first.shutdown().await;

    let second = net::start_text(&text).await;
    let mut agent = Client::connect(&second, Via::Ws).await;
    let reply = agent.request(json!({"type": "auth", "token": token})).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    // The snapshot has the conversation, open at the agent, with every message once.
    let state = agent
        .expect_where("conversation_state", |m| m["conversation"] == "chat-7")
        .await;
    assert_eq!(state["status"], "open", "{state}");
    let transcript: Vec<(&str, &str)> = state["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        transcript,
        [
            ("customer", "Hi"),
            ("customer", "Are you there?"),
            ("agent", "Yes")
        ]
    );
    // The messaging connector reconciles from its snapshot, and the conversation goes on.
    let (mut widget, _) = Client::login(&second, Via::Ws, "widget").await;
    let known = widget
        .expect_where("conversation_state", |m| m["conversation"] == "chat-7")
        .await;
    assert_eq!(
        known["transcript"].as_array().map(Vec::len),
        Some(3),
        "the connector gets the agents' messages it may not have delivered: {known}"
    );
    widget
        .ok(json!({"type": "customer_message", "conversation": "chat-7", "text": "Good"}))
        .await;
    assert_eq!(agent.expect("message").await["number"], 3);
    second.shutdown().await;
}
