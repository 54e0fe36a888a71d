//! A morning in one contact center through the real server: transfers, pending states, an
//! extended wrap-up, rejects and ring-no-answers, a supervisor moving and prioritising a waiting
//! call, callers who hang up, a message on the wallboards. Every message the server sends is checked against its schema on
//! arrival, and by the end every kind of message has been sent at least once.

use crate::net;
use std::collections::BTreeSet;

use serde_json::json;

use crate::net::{Client, Via};

#[tokio::test]
async fn every_kind_of_server_message_occurs_in_a_morning_and_matches_its_schema() {
    // Heartbeats every second, so the morning has some.
    let server = net::start(&net::with_chat(
        "[tenants.telephony]\nconsult = true\n\n[limits]\nping_interval_secs = 1\n",
    ))
    .await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let (mut wall, _) = Client::login(&server, Via::Wss, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["sales"]}))
        .await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let (mut a1, _) = Client::login(&server, Via::Ws, "a1").await;
    let (mut a2, _) = Client::login(&server, Via::Wss, "a2").await;
    for agent in [&mut a1, &mut a2] {
        agent.ok(json!({"type": "login"})).await;
        agent.ok(json!({"type": "ready"})).await;
    }

    // A support call: only a1 serves support.
    pbx.ok(json!({"type": "call_arrived", "call": "m-1", "queue": "support", "caller": "+49301", "data": {"account": "7"}}))
        .await;
    a1.expect("offer").await;
    a1.ok(json!({"type": "accept", "call": "m-1"})).await;
    // Lunch after this call, then second thoughts.
    a1.ok(json!({"type": "not_ready", "reason": "lunch"})).await;
    let pending = a1
        .expect_where("pending_state", |m| !m["pending"].is_null())
        .await;
    assert_eq!(pending["pending"]["reason"], "lunch");
    a1.ok(json!({"type": "clear_pending"})).await;
    a1.expect_where("pending_state", |m| m["pending"].is_null())
        .await;
    boss.expect_where("pending_state", |m| {
        m["agent"] == "a1" && m["pending"].is_null()
    })
    .await;
    // The supervisor tells the floor; the wallboard shows it.
    boss.ok(json!({"type": "set_ticker", "text": "Team meeting 14:00"}))
        .await;
    assert_eq!(wall.expect("ticker").await["by"], "boss");
    // The supervisor listens in for a moment.
    boss.ok(json!({"type": "monitor", "agent": "a1", "mode": "listen"}))
        .await;
    boss.ok(json!({"type": "end_monitor", "agent": "a1"})).await;
    // A word with a2 first, who answers; then back to the caller.
    a1.ok(json!({"type": "consult", "call": "m-1", "agent": "a2"}))
        .await;
    a2.expect_where("consultation", |m| m["status"] == "ringing")
        .await;
    a2.ok(json!({"type": "accept", "call": "m-1"})).await;
    a1.ok(json!({"type": "cancel_consult", "call": "m-1"}))
        .await;
    a1.expect_where("consultation", |m| m["reason"] == "cancelled")
        .await;
    a2.expect_state("a2", "ready").await;
    // Hold, then hand the caller to a2 directly.
    a1.ok(json!({"type": "hold", "call": "m-1"})).await;
    a1.ok(json!({"type": "resume", "call": "m-1"})).await;
    a1.ok(json!({"type": "transfer", "call": "m-1", "agent": "a2"}))
        .await;
    let transferred = a1.expect("call_transferred").await;
    assert_eq!(transferred["to_agent"], "a2");
    assert_eq!(pbx.expect("call_transferred").await["to_agent"], "a2");
    a2.expect_where("offer", |m| m["call"] == "m-1").await;
    a2.ok(json!({"type": "accept", "call": "m-1"})).await;
    a1.expect_state("a1", "wrap_up").await;
    a1.ok(json!({"type": "extend_wrap_up", "secs": 30})).await;
    assert_eq!(
        a1.refused(json!({"type": "extend_wrap_up", "secs": 100000}))
            .await,
        "bad_extension"
    );
    a1.ok(json!({"type": "end_wrap_up"})).await;
    a1.expect_state("a1", "ready").await;

    // A sales call while a2 talks goes to a1, who rejects it, then lets it ring out.
    pbx.ok(json!({"type": "call_arrived", "call": "m-2", "queue": "sales"}))
        .await;
    a1.expect_where("offer", |m| m["call"] == "m-2").await;
    a1.ok(json!({"type": "reject", "call": "m-2"})).await;
    a1.expect_where("offer", |m| m["call"] == "m-2").await;
    let missed = a1
        .expect_where("offer_cancelled", |m| m["reason"] == "ring_no_answer")
        .await;
    assert_eq!(missed["call"], "m-2");
    let state = a1.expect_state("a1", "not_ready").await;
    assert_eq!(state["reason"], "no_answer");

    // The supervisor raises the waiting call's priority and moves it; the caller gives up.
    boss.ok(json!({"type": "set_call_priority", "call": "m-2", "priority": 5}))
        .await;
    boss.ok(json!({"type": "move_call", "call": "m-2", "queue": "support"}))
        .await;
    let moved = boss
        .expect_where("call_state", |m| {
            m["call"] == "m-2" && m["queue"] == "support"
        })
        .await;
    assert_eq!(
        (moved["status"].as_str(), moved["priority"].as_u64()),
        (Some("waiting"), Some(5))
    );
    pbx.ok(json!({"type": "caller_hung_up", "call": "m-2"}))
        .await;
    assert_eq!(
        boss.expect_where("call_left", |m| m["call"] == "m-2").await["reason"],
        "abandoned"
    );
    // The transferred caller finishes with a2.
    a2.ok(json!({"type": "hangup", "call": "m-1"})).await;
    assert_eq!(a2.expect("call_left").await["reason"], "completed");
    let sales = wall
        .expect_where("queue_stats", |m| m["today"]["overflowed"] == 1)
        .await;
    assert_eq!(sales["today"]["offered"], 1, "{sales}");
    assert_eq!(a1.refused(json!({"type": "fly"})).await, "unknown_type");

    // And a chat: offered, declined, taken, written in, handed on, closed and wrapped up.
    let (mut c1, _) = Client::login(&server, Via::Ws, "c1").await;
    let (mut c2, _) = Client::login(&server, Via::Wss, "c2").await;
    for agent in [&mut c1, &mut c2] {
        agent.ok(json!({"type": "login"})).await;
    }
    c1.ok(json!({"type": "ready"})).await;
    let (mut chat, _) = Client::login(&server, Via::Ws, "widget").await;
    chat.ok(json!({"type": "conversation_arrived", "conversation": "k-1", "queue": "chat", "customer": "Dana", "messages": ["Hello"]}))
        .await;
    c1.expect("conversation_offer").await;
    c1.ok(json!({"type": "reject_conversation", "conversation": "k-1"}))
        .await;
    c1.expect("conversation_offer_cancelled").await;
    c1.expect("conversation_offer").await;
    c1.ok(json!({"type": "accept_conversation", "conversation": "k-1"}))
        .await;
    chat.ok(json!({"type": "customer_message", "conversation": "k-1", "text": "Anyone?"}))
        .await;
    c1.expect("message").await;
    c1.ok(json!({"type": "send_message", "conversation": "k-1", "text": "Yes"}))
        .await;
    chat.expect("message").await;
    // A second connector session starts with where every conversation is.
    let (mut again, _) = Client::login(&server, Via::Wss, "widget").await;
    again.expect("conversation_state").await;
    c2.ok(json!({"type": "ready"})).await;
    c1.ok(json!({"type": "transfer_conversation", "conversation": "k-1", "agent": "c2"}))
        .await;
    c1.expect("conversation_transferred").await;
    c2.expect("conversation_offer").await;
    c2.ok(json!({"type": "accept_conversation", "conversation": "k-1"}))
        .await;
    c2.expect("conversation_accepted").await;
    c2.ok(json!({"type": "close_conversation", "conversation": "k-1"}))
        .await;
    c2.expect("conversation_closed").await;
    c2.ok(json!({"type": "end_conversation_wrap_up", "conversation": "k-1"}))
        .await;
    c2.expect("conversation_left").await;

    let mut seen = BTreeSet::new();
    for client in [&boss, &wall, &pbx, &a1, &a2, &c1, &c2, &chat, &again] {
        seen.extend(client.seen.iter().cloned());
    }
    let server_types = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/protocol/schemas/server"
    ))
    .unwrap()
    .map(|entry| {
        let name = entry.unwrap().file_name().into_string().unwrap();
        name.trim_end_matches(".json").to_owned()
    })
    .collect::<BTreeSet<_>>();
    assert_eq!(server_types.len(), 28);
    let missing: Vec<_> = server_types.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "never sent in this morning: {missing:?}"
    );
    server.shutdown().await;
}
