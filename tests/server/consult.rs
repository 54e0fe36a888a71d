//! Consultation (warm) transfer and conference over the wire (issue 21): an agent consults
//! another, the two talk, bring the caller in and hand the call over; both agents, the
//! telephony connector and the supervisors hear each `consultation`; a session that signs in
//! meanwhile finds it in its snapshot; and a tenant whose connector does not carry them out
//! refuses them and says so at sign-in.

use serde_json::{Value, json};

use crate::net::{self, Client, Via};
use crate::supervisor::agent_on_a_call;

const CONSULTING: &str = "\n[tenants.telephony]\nconsult = true\nconference = true\n";

/// The next `consultation` a client gets about call `w-1` of a1 with a2, as (status, reason).
async fn consultation(client: &mut Client) -> (String, Value) {
    let m = client.expect("consultation").await;
    assert_eq!(
        (&m["call"], &m["agent"], &m["with"], &m["queue"]),
        (&json!("w-1"), &json!("a1"), &json!("a2"), &json!("support")),
        "{m}"
    );
    let status = m["status"].as_str().unwrap().to_owned();
    (status, m.get("reason").cloned().unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_consultation_rings_talks_becomes_a_conference_and_hands_the_caller_over() {
    let server = net::start(CONSULTING).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe", "queues": []})).await;
    let (mut a2, auth) = Client::login(&server, Via::Ws, "a2").await;
    assert_eq!(
        auth["telephony"],
        json!({"consult": true, "conference": true})
    );
    a2.ok(json!({"type": "login"})).await;
    a2.ok(json!({"type": "ready"})).await;
    let (mut a1, mut pbx) = agent_on_a_call(&server, "w-1").await;

    assert_eq!(
        a1.refused(json!({"type": "complete_transfer", "call": "w-1"}))
            .await,
        "not_consulting"
    );
    a1.ok(json!({"type": "consult", "call": "w-1", "agent": "a2"}))
        .await;
    // The consulted agent is told whose call it is asked about, and rings.
    let ringing = a2.expect("consultation").await;
    assert_eq!(ringing["status"], "ringing");
    assert_eq!(ringing["caller"], Value::Null, "{ringing}");
    assert!(ringing["ring_deadline"].is_string(), "{ringing}");
    let state = a2.expect_state("a2", "ringing").await;
    assert_eq!(state["call"], "w-1");
    // The caller waits on hold meanwhile; nobody may hold or transfer it now.
    assert_eq!(a1.expect("call_held").await["call"], "w-1");
    for command in [
        json!({"type": "resume", "call": "w-1"}),
        json!({"type": "transfer", "call": "w-1", "queue": "sales"}),
    ] {
        assert_eq!(a1.refused(command).await, "consult_in_progress");
    }
    assert_eq!(
        a2.refused(json!({"type": "hold", "call": "w-1"})).await,
        "consult_in_progress"
    );
    assert_eq!(
        a1.refused(json!({"type": "conference", "call": "w-1"}))
            .await,
        "consult_not_answered"
    );

    // A second session of the consulted agent finds the consultation, not an offer.
    let (mut again, _) = Client::login(&server, Via::Ws, "a2").await;
    let seen = again.expect("consultation").await;
    assert_eq!(
        (&seen["status"], &seen["with"]),
        (&json!("ringing"), &json!("a2"))
    );
    // The snapshot came before the consultation: whatever else it held waits in the backlog.
    assert!(
        again.backlog.iter().all(|m| m["type"] != "offer"),
        "no offer in a consulted agent's snapshot: {:?}",
        again.backlog
    );

    a2.ok(json!({"type": "accept", "call": "w-1"})).await;
    a1.ok(json!({"type": "conference", "call": "w-1"})).await;
    assert_eq!(a1.expect("call_resumed").await["call"], "w-1");
    // A connector that signs in now finds the conference in its snapshot.
    let (mut late, _) = Client::login(&server, Via::Ws, "pbx").await;
    let seen = late.expect("consultation").await;
    assert_eq!(seen["status"], "conference");
    a1.ok(json!({"type": "complete_transfer", "call": "w-1"}))
        .await;
    let all = [
        ("ringing".to_owned(), Value::Null),
        ("talking".to_owned(), Value::Null),
        ("conference".to_owned(), Value::Null),
        ("ended".to_owned(), json!("transferred")),
    ];
    // a2 read its ringing one above.
    for (client, from) in [(&mut a1, 0), (&mut a2, 1), (&mut pbx, 0), (&mut boss, 0)] {
        let mut seen = Vec::new();
        for _ in from..all.len() {
            seen.push(consultation(client).await);
        }
        assert_eq!(seen, all[from..]);
    }
    // The call is a2's: telephony hears the transfer and the new connection.
    let transferred = pbx.expect("call_transferred").await;
    assert_eq!(
        (&transferred["agent"], &transferred["to_agent"]),
        (&json!("a1"), &json!("a2"))
    );
    let connected = pbx
        .expect_where("call_connected", |m| m["agent"] == "a2")
        .await;
    assert_eq!(connected["call"], "w-1");
    a1.expect_state("a1", "wrap_up").await;
    a2.ok(json!({"type": "hangup", "call": "w-1"})).await;
    assert_eq!(pbx.expect("call_left").await["reason"], "completed");
    a2.expect_state("a2", "wrap_up").await;
}

#[tokio::test]
async fn a_consultation_cancelled_or_rejected_gives_the_caller_back_and_a_tenant_without_it_refuses()
 {
    let server = net::start(CONSULTING).await;
    let (mut a2, _) = Client::login(&server, Via::Ws, "a2").await;
    a2.ok(json!({"type": "login"})).await;
    a2.ok(json!({"type": "ready"})).await;
    let (mut a1, mut pbx) = agent_on_a_call(&server, "w-1").await;
    a1.ok(json!({"type": "consult", "call": "w-1", "agent": "a2"}))
        .await;
    a2.ok(json!({"type": "reject", "call": "w-1"})).await;
    a1.ok(json!({"type": "consult", "call": "w-1", "agent": "a2"}))
        .await;
    // The PBX reports the consulted phone answered.
    pbx.ok(json!({"type": "call_answered", "call": "w-1"}))
        .await;
    a1.ok(json!({"type": "cancel_consult", "call": "w-1"}))
        .await;
    let mut seen = Vec::new();
    for _ in 0..5 {
        seen.push(consultation(&mut pbx).await);
    }
    assert_eq!(
        seen,
        [
            ("ringing".to_owned(), Value::Null),
            ("ended".to_owned(), json!("rejected")),
            ("ringing".to_owned(), Value::Null),
            ("talking".to_owned(), Value::Null),
            ("ended".to_owned(), json!("cancelled")),
        ]
    );
    // Each end gave the caller back off hold, and a2 is ready again with no wrap-up.
    for _ in 0..2 {
        assert_eq!(a1.expect("call_resumed").await["call"], "w-1");
    }
    a2.expect_where("agent_state", |m| {
        m["state"] == "ready" && m["previous"] == "on_call"
    })
    .await;

    // Without [tenants.telephony] a consultation is refused and the pages are told.
    let plain = net::start("").await;
    let (mut b1, _) = agent_on_a_call(&plain, "p-1").await;
    let (_, auth) = Client::login(&plain, Via::Ws, "a2").await;
    assert_eq!(
        auth["telephony"],
        json!({"consult": false, "conference": false})
    );
    assert_eq!(
        b1.refused(json!({"type": "consult", "call": "p-1", "agent": "a2"}))
            .await,
        "not_supported"
    );
}
