//! The whole call flow through the wire, over ws and over wss: an agent logs in and goes ready,
//! telephony reports a call, the agent takes it, holds, resumes, hangs up and wraps up, while a
//! wallboard watches each count change.

use crate::net;
use serde_json::{Value, json};

use crate::net::{Client, Via};

/// The support queue's statistics as the wallboard's next update shows them.
async fn next_stats(wall: &mut Client, what: impl Fn(&Value) -> bool) -> Value {
    wall.expect_where("queue_stats", |m| m["queue"] == "support" && what(m))
        .await
}

async fn whole_call_flow(via: Via) {
    let server = net::start("").await;
    let (mut wall, _) = Client::login(&server, via, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"]}))
        .await;
    let snapshot = wall.expect("queue_stats").await;
    assert_eq!(snapshot["queue"], "support");
    assert_eq!(snapshot["waiting"], 0);
    assert_eq!(snapshot["service_level"]["threshold_secs"], 20);

    let (mut agent, result) = Client::login(&server, via, "a1").await;
    assert_eq!(result["role"], "agent");
    assert_eq!(result["agent"], "a1");
    assert_eq!(result["tenant"], "acme");
    assert_eq!(
        result["tenant_name"], "acme",
        "the test file names none: its id"
    );
    let first = agent.expect("agent_state").await;
    assert_eq!(first["state"], "logged_out", "the snapshot comes first");
    agent.ok(json!({"type": "login"})).await;
    let state = agent.expect_state("a1", "not_ready").await;
    assert_eq!(state["reason"], "login");

    let (mut pbx, _) = Client::login(&server, via, "pbx").await;
    pbx.ok(json!({
        "type": "call_arrived", "call": "pbx-1", "queue": "support",
        "caller": "+49301234567", "dialled": "0800100200", "data": {"account": "42"}
    }))
    .await;
    let waiting = next_stats(&mut wall, |m| m["waiting"] == 1).await;
    assert_eq!(waiting["today"]["offered"], 1);
    assert!(waiting["oldest_waiting_since"].is_string());
    let queue = agent
        .expect_where("queue_waiting", |m| {
            m["queue"] == "support" && m["waiting"] == 1
        })
        .await;
    assert!(queue["oldest_waiting_since"].is_string());

    agent.ok(json!({"type": "ready"})).await;
    let offer = agent.expect("offer").await;
    assert_eq!(offer["call"], "pbx-1");
    assert_eq!(offer["caller"], "+49301234567");
    assert_eq!(offer["dialled"], "0800100200");
    assert_eq!(offer["data"]["account"], "42");
    agent.expect_state("a1", "ringing").await;
    let ring = pbx.expect("offer").await;
    assert_eq!(
        ring["agent"], "a1",
        "telephony is told to ring the agent's device"
    );
    let ringing = next_stats(&mut wall, |m| m["waiting"] == 0).await;
    assert_eq!(ringing["ringing"], 1, "{ringing}");
    assert_eq!(ringing["agents"]["ringing"], 1);

    agent.ok(json!({"type": "accept", "call": "pbx-1"})).await;
    let connected = agent.expect("call_connected").await;
    assert!(
        connected.get("caller").is_none(),
        "the live event follows the offer and does not repeat the caller"
    );
    let on_call = agent.expect_state("a1", "on_call").await;
    assert_eq!(on_call["call"], "pbx-1");
    assert_eq!(on_call["on_hold"], false);
    assert_eq!(pbx.expect("call_connected").await["agent"], "a1");
    let answered = next_stats(&mut wall, |m| m["today"]["answered"] == 1).await;
    assert_eq!(answered["agents"]["on_call"], 1);
    assert_eq!(answered["today"]["service_level_percent"], 100.0);

    agent.ok(json!({"type": "hold", "call": "pbx-1"})).await;
    agent.expect("call_held").await;
    let held = agent.expect_state("a1", "on_call").await;
    assert_eq!(held["on_hold"], true);
    // The hold's instant, for a timer that survives a reload; no hold finished yet.
    assert!(held["held_since"].is_string(), "{held}");
    assert_eq!(held["held_secs"], 0.0, "{held}");
    pbx.expect("call_held").await;
    // A WebAgent reloaded mid-call learns who is on the line again, and that it is on hold.
    let (mut agent_again, _) = Client::login(&server, via, "a1").await;
    let connected = agent_again.expect("call_connected").await;
    assert_eq!(connected["caller"], "+49301234567");
    assert_eq!(connected["dialled"], "0800100200");
    assert_eq!(connected["data"]["account"], "42");
    assert_eq!(
        agent_again.expect_state("a1", "on_call").await["on_hold"],
        true
    );
    // A connector that reconnects now learns the line it must keep bridged, and on hold.
    let (mut pbx_again, _) = Client::login(&server, via, "pbx").await;
    let connected = pbx_again.expect("call_connected").await;
    assert_eq!(
        (connected["call"].as_str(), connected["seq"].as_u64()),
        (Some("pbx-1"), Some(1))
    );
    assert_eq!(pbx_again.expect("call_held").await["seq"], 2);
    agent.ok(json!({"type": "resume", "call": "pbx-1"})).await;
    agent.expect("call_resumed").await;
    let resumed = agent
        .expect_where("agent_state", |m| m["on_hold"] == false)
        .await;
    assert!(resumed.get("held_since").is_none(), "{resumed}");
    assert!(resumed["held_secs"].as_f64().unwrap() > 0.0, "{resumed}");
    pbx.expect("call_resumed").await;

    agent.ok(json!({"type": "hangup", "call": "pbx-1"})).await;
    let left = agent.expect("call_left").await;
    assert_eq!(left["reason"], "completed");
    let wrap_up = agent.expect_state("a1", "wrap_up").await;
    assert!(wrap_up["wrap_up_deadline"].is_string());
    assert_eq!(pbx.expect("call_left").await["reason"], "completed");
    let wrapping = next_stats(&mut wall, |m| m["agents"]["wrap_up"] == 1).await;
    assert_eq!(wrapping["agents"]["on_call"], 0);

    agent.ok(json!({"type": "end_wrap_up"})).await;
    agent.expect_state("a1", "ready").await;
    let ready = next_stats(&mut wall, |m| m["agents"]["ready"] == 1).await;
    assert_eq!(ready["today"]["answered"], 1);
    assert_eq!(ready["today"]["offered"], 1);
    assert_eq!(ready["today"]["abandoned"], 0);
    server.shutdown().await;
}

#[tokio::test]
async fn the_whole_call_flow_over_ws() {
    whole_call_flow(Via::Ws).await;
}

#[tokio::test]
async fn the_whole_call_flow_over_wss() {
    whole_call_flow(Via::Wss).await;
}

#[tokio::test]
async fn an_agent_hears_a_queues_waiting_count_only_when_it_changes() {
    let server = net::start("").await;
    let (mut a1, _) = Client::login(&server, Via::Ws, "a1").await;
    let snapshot_end = a1.last_seq;
    // Another agent of the same queue comes and logs in: nothing changed in the queue.
    let (mut a2, _) = Client::login(&server, Via::Ws, "a2").await;
    a2.ok(json!({"type": "login"})).await;
    // The first thing a1 hears next is a real change: a caller waiting in sales.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "w1", "queue": "sales"}))
        .await;
    a1.backlog.clear();
    let next = a1.next().await;
    assert_eq!(next["seq"].as_u64(), Some(snapshot_end + 1));
    assert_eq!(next["type"], "queue_waiting", "{next}");
    assert_eq!(
        next["waiting"], 1,
        "not a repeat of the snapshot's 0: {next}"
    );
}

/// The PBX reports that it could not ring the agent's device: the offer ends at once, not at
/// its deadline, as a ring-no-answer the agent and the PBX both hear, and the call goes to the
/// next agent. A reason that is not one of the three, or a ring report from another role, is
/// refused and changes nothing.
#[tokio::test]
async fn a_ring_the_pbx_could_not_make_ends_the_offer_at_once() {
    let server = net::start("").await;
    let (mut a1, _) = Client::login(&server, Via::Ws, "a1").await;
    a1.ok(json!({"type": "login"})).await;
    a1.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "pbx-7", "queue": "sales"}))
        .await;
    let offer = a1.expect("offer").await;
    assert_eq!(offer["call"], "pbx-7");
    pbx.expect("offer").await;

    let code = pbx
        .refused(json!({"type": "ring_failed", "call": "pbx-7", "reason": "on_fire"}))
        .await;
    assert_eq!(code, "bad_message");
    let code = a1
        .refused(json!({"type": "ring_failed", "call": "pbx-7", "reason": "busy"}))
        .await;
    assert_eq!(code, "forbidden");

    pbx.ok(json!({"type": "ring_failed", "call": "pbx-7", "reason": "busy"}))
        .await;
    for client in [&mut a1, &mut pbx] {
        let cancelled = client.expect("offer_cancelled").await;
        assert_eq!(cancelled["call"], "pbx-7", "{cancelled}");
        assert_eq!(cancelled["reason"], "ring_no_answer", "{cancelled}");
    }
    // The offer ended on the report, before its deadline, by the server's own clock.
    let ready = a1.expect_state("a1", "ready").await;
    let instant = |v: &Value| v.as_str().unwrap().parse::<jiff::Timestamp>().unwrap();
    assert!(
        instant(&ready["since"]) < instant(&offer["ring_deadline"]),
        "{ready} {offer}"
    );
    let code = pbx
        .refused(json!({"type": "ring_failed", "call": "pbx-7", "reason": "busy"}))
        .await;
    assert_eq!(code, "not_ringing");
    // a2 serves sales too: the call goes to it.
    let (mut a2, _) = Client::login(&server, Via::Ws, "a2").await;
    a2.ok(json!({"type": "login"})).await;
    a2.ok(json!({"type": "ready"})).await;
    assert_eq!(a2.expect("offer").await["call"], "pbx-7");
}

/// A call that waited in the PBX before it reached acdhub (`arrived_at`) goes ahead of a call
/// that arrived after it began to wait, and the time shows in its `call_state`. A time too far
/// ahead of the server's clock or too long ago is `bad_arrival`, a time that is not an RFC 3339
/// instant `bad_message`; either changes nothing.
#[tokio::test]
async fn a_call_that_waited_in_the_pbx_keeps_its_place_by_arrived_at() {
    let server = net::start("").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let start: jiff::Timestamp = net::START.parse().unwrap();
    let before = |secs: i64| {
        jiff::Timestamp::from_second(start.as_second() - secs)
            .unwrap()
            .to_string()
    };
    pbx.ok(json!({"type": "call_arrived", "call": "late", "queue": "sales"}))
        .await;
    pbx.ok(json!({"type": "call_arrived", "call": "early", "queue": "sales", "arrived_at": before(30)}))
        .await;
    for (arrived_at, code) in [
        (before(25 * 3600), "bad_arrival"),
        (before(-3600), "bad_arrival"),
        ("yesterday".to_owned(), "bad_message"),
        ("2026-03-10 10:07:00Z".to_owned(), "bad_message"),
    ] {
        let refused = pbx
            .refused(json!({"type": "call_arrived", "call": "x", "queue": "sales", "arrived_at": arrived_at}))
            .await;
        assert_eq!(refused, code, "{arrived_at}");
    }
    // x never arrived: the same id is free.
    pbx.ok(json!({"type": "call_ended", "call": "late"})).await;
    pbx.ok(json!({"type": "call_arrived", "call": "late", "queue": "sales"}))
        .await;

    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let early = boss
        .expect_where("call_state", |m| m["call"] == "early")
        .await;
    assert_eq!(early["arrived_at"], before(30).replace('Z', ".000Z"));
    assert_eq!(early["entered_queue_at"], early["arrived_at"], "{early}");

    let (mut a1, _) = Client::login(&server, Via::Ws, "a1").await;
    a1.ok(json!({"type": "login"})).await;
    a1.ok(json!({"type": "ready"})).await;
    assert_eq!(a1.expect("offer").await["call"], "early");
}

/// The PBX reports an agent's phone: in use or unregistered, the ready agent is offered no
/// calls, and the agent and supervisors see why in `agent_state`'s `device`; available again,
/// it is offered the waiting call at once. Only the telephony role may report phones.
#[tokio::test]
async fn a_phone_the_pbx_reports_in_use_takes_no_calls_until_it_is_available() {
    let server = net::start("").await;
    let (mut a1, _) = Client::login(&server, Via::Ws, "a1").await;
    a1.ok(json!({"type": "login"})).await;
    a1.ok(json!({"type": "ready"})).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;

    let code = a1
        .refused(json!({"type": "device_state", "agent": "a1", "device": "available"}))
        .await;
    assert_eq!(code, "forbidden");
    for (command, code) in [
        (
            json!({"type": "device_state", "agent": "zed", "device": "in_use"}),
            "unknown_agent",
        ),
        (
            json!({"type": "device_state", "agent": "a1", "device": "off"}),
            "bad_message",
        ),
        (
            json!({"type": "device_state", "agent": "a1"}),
            "bad_message",
        ),
    ] {
        assert_eq!(pbx.refused(command.clone()).await, code, "{command}");
    }

    pbx.ok(json!({"type": "device_state", "agent": "a1", "device": "in_use"}))
        .await;
    for client in [&mut a1, &mut boss] {
        let state = client
            .expect_where("agent_state", |m| {
                m["agent"] == "a1" && m["device"] == "in_use"
            })
            .await;
        assert_eq!(state["state"], "ready", "{state}");
        assert_eq!(state["previous"], "ready", "{state}");
    }
    pbx.ok(json!({"type": "call_arrived", "call": "p1", "queue": "sales"}))
        .await;
    // The call waits: a1's next event after its phone's (the snapshot's are behind it) is the
    // queue's waiting count, not an offer.
    a1.backlog.clear();
    let waiting = a1.next_event_is("queue_waiting").await;
    assert_eq!(
        (&waiting["queue"], &waiting["waiting"]),
        (&json!("sales"), &json!(1))
    );

    pbx.ok(json!({"type": "device_state", "agent": "a1", "device": "available"}))
        .await;
    let state = a1
        .expect_where("agent_state", |m| m["device"] == "available")
        .await;
    assert_eq!(
        (&state["state"], &state["previous"]),
        (&json!("ready"), &json!("ready"))
    );
    assert_eq!(a1.expect("offer").await["call"], "p1");
    let ringing = a1.expect_state("a1", "ringing").await;
    assert_eq!(ringing["device"], "available", "{ringing}");

    // A supervisor who subscribes now sees the phone in the snapshot.
    let (mut boss2, _) = Client::login(&server, Via::Ws, "boss").await;
    boss2.ok(json!({"type": "subscribe"})).await;
    let snapshot = boss2
        .expect_where("agent_state", |m| m["agent"] == "a1")
        .await;
    assert_eq!(snapshot["device"], "available", "{snapshot}");
    let other = boss2
        .expect_where("agent_state", |m| m["agent"] == "a2")
        .await;
    assert!(other.get("device").is_none(), "never reported: {other}");
}
