//! Consultation (warm) transfer and conference over the wire (issue 21): an agent consults
//! another, the two talk, bring the caller in and hand the call over; both agents, the
//! telephony connector and the supervisors hear each `consultation`; a session that signs in
//! meanwhile finds it in its snapshot; and a tenant whose connector does not carry them out
//! refuses them and says so at sign-in.

use serde_json::{Value, json};

use crate::net::{self, Client, Via};
use crate::supervisor::agent_on_a_call;

/// A tenant whose connector does consultations and conferences, with `desk`, a queue that rings
/// for two minutes (the tests' default queues ring for 2 s, less than a loaded machine may take
/// between two steps) and d1 its agent, d2 an agent of sales to consult (so desk's calls go to
/// d1), and their logins.
fn consulting() -> String {
    let hash = acdhub::server::hash_password(net::PASSWORD);
    let login = |user: &str| {
        format!(
            "\n[[principals]]\nuser = \"{user}\"\nrole = \"agent\"\ntenant = \"acme\"\npassword_hash = \"{hash}\"\n"
        )
    };
    format!(
        "\n[tenants.telephony]\nconsult = true\nconference = true\n\n[[tenants.queues]]\nid = \"desk\"\nring_timeout_secs = 120\nwrap_up_secs = 60\n\n[[tenants.agents]]\nid = \"d1\"\nskills = {{ desk = 1 }}\n\n[[tenants.agents]]\nid = \"d2\"\nskills = {{ sales = 1 }}\n{}{}",
        login("d1"),
        login("d2")
    )
}

/// d1 on call `w-1` of `desk`, with the caller's number and the IVR's data; d1's client and the
/// PBX's.
async fn on_a_desk_call(server: &acdhub::server::Server) -> (Client, Client) {
    let (mut d1, _) = Client::login(server, Via::Ws, "d1").await;
    d1.ok(json!({"type": "login"})).await;
    d1.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(server, Via::Ws, "pbx").await;
    let call = json!({"type": "call_arrived", "call": "w-1", "queue": "desk", "caller": "+4930555123", "data": {"account": "C-7"}});
    pbx.ok(call).await;
    d1.expect("offer").await;
    d1.ok(json!({"type": "accept", "call": "w-1"})).await;
    d1.expect_state("d1", "on_call").await;
    (d1, pbx)
}

/// The next `consultation` a client gets about call `w-1` of d1 with d2, as (status, reason).
async fn consultation(client: &mut Client) -> (String, Value) {
    let m = client.expect("consultation").await;
    assert_eq!(
        (&m["call"], &m["agent"], &m["with"], &m["queue"]),
        (&json!("w-1"), &json!("d1"), &json!("d2"), &json!("desk")),
        "{m}"
    );
    let status = m["status"].as_str().unwrap().to_owned();
    (status, m.get("reason").cloned().unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_consultation_rings_talks_becomes_a_conference_and_hands_the_caller_over() {
    let server = net::start(&consulting()).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe", "queues": []})).await;
    let (mut d2, auth) = Client::login(&server, Via::Ws, "d2").await;
    assert_eq!(
        auth["telephony"],
        json!({"consult": true, "conference": true})
    );
    d2.ok(json!({"type": "login"})).await;
    d2.ok(json!({"type": "ready"})).await;
    let (mut d1, mut pbx) = on_a_desk_call(&server).await;

    assert_eq!(
        d1.refused(json!({"type": "complete_transfer", "call": "w-1"}))
            .await,
        "not_consulting"
    );
    d1.ok(json!({"type": "consult", "call": "w-1", "agent": "d2"}))
        .await;
    // The consulted agent is told whose call it is asked about, and rings.
    let ringing = d2.expect("consultation").await;
    assert_eq!(ringing["status"], "ringing");
    assert_eq!(
        (&ringing["caller"], &ringing["data"]),
        (&json!("+4930555123"), &json!({"account": "C-7"})),
        "{ringing}"
    );
    assert!(ringing["ring_deadline"].is_string(), "{ringing}");
    let state = d2.expect_state("d2", "ringing").await;
    assert_eq!(state["call"], "w-1");
    // The caller waits on hold meanwhile; nobody may hold or transfer it now.
    assert_eq!(d1.expect("call_held").await["call"], "w-1");
    for command in [
        json!({"type": "resume", "call": "w-1"}),
        json!({"type": "transfer", "call": "w-1", "queue": "desk"}),
    ] {
        assert_eq!(d1.refused(command).await, "consult_in_progress");
    }
    assert_eq!(
        d2.refused(json!({"type": "hold", "call": "w-1"})).await,
        "consult_in_progress"
    );
    assert_eq!(
        d1.refused(json!({"type": "conference", "call": "w-1"}))
            .await,
        "consult_not_answered"
    );

    // A second session of the consulted agent finds the consultation, with the caller, and
    // no offer: every message of its snapshot, up to the consultation, is looked at.
    let (mut again, _) = Client::login(&server, Via::Ws, "d2").await;
    let mut snapshot = std::mem::take(&mut again.backlog).into_iter();
    let mut before = Vec::new();
    let seen = loop {
        let message = match snapshot.next() {
            Some(message) => message,
            None => again.next().await,
        };
        if message["type"] == "consultation" {
            break message;
        }
        before.push(message);
    };
    assert_eq!(
        (&seen["status"], &seen["with"], &seen["caller"]),
        (&json!("ringing"), &json!("d2"), &json!("+4930555123"))
    );
    let kinds: Vec<&Value> = before.iter().map(|m| &m["type"]).collect();
    assert!(kinds.contains(&&json!("agent_state")), "{kinds:?}");
    assert!(!kinds.contains(&&json!("offer")), "no offer: {kinds:?}");

    d2.ok(json!({"type": "accept", "call": "w-1"})).await;
    d1.ok(json!({"type": "conference", "call": "w-1"})).await;
    assert_eq!(d1.expect("call_resumed").await["call"], "w-1");
    // A connector that signs in now finds the conference in its snapshot.
    let (mut late, _) = Client::login(&server, Via::Ws, "pbx").await;
    let seen = late.expect("consultation").await;
    assert_eq!(seen["status"], "conference");
    d1.ok(json!({"type": "complete_transfer", "call": "w-1"}))
        .await;
    let all = [
        ("ringing".to_owned(), Value::Null),
        ("talking".to_owned(), Value::Null),
        ("conference".to_owned(), Value::Null),
        ("ended".to_owned(), json!("transferred")),
    ];
    // d2 read its ringing one above.
    for (client, from) in [(&mut d1, 0), (&mut d2, 1), (&mut pbx, 0), (&mut boss, 0)] {
        let mut seen = Vec::new();
        for _ in from..all.len() {
            seen.push(consultation(client).await);
        }
        assert_eq!(seen, all[from..]);
    }
    // The call is d2's: telephony hears the transfer and the new connection.
    let transferred = pbx.expect("call_transferred").await;
    assert_eq!(
        (&transferred["agent"], &transferred["to_agent"]),
        (&json!("d1"), &json!("d2"))
    );
    let connected = pbx
        .expect_where("call_connected", |m| m["agent"] == "d2")
        .await;
    assert_eq!(connected["call"], "w-1");
    d1.expect_state("d1", "wrap_up").await;
    d2.ok(json!({"type": "hangup", "call": "w-1"})).await;
    assert_eq!(pbx.expect("call_left").await["reason"], "completed");
    d2.expect_state("d2", "wrap_up").await;
}

#[tokio::test]
async fn a_consultation_cancelled_or_rejected_gives_the_caller_back_and_a_tenant_without_it_refuses()
 {
    let server = net::start(&consulting()).await;
    let (mut d2, _) = Client::login(&server, Via::Ws, "d2").await;
    d2.ok(json!({"type": "login"})).await;
    d2.ok(json!({"type": "ready"})).await;
    let (mut d1, mut pbx) = on_a_desk_call(&server).await;
    d1.ok(json!({"type": "consult", "call": "w-1", "agent": "d2"}))
        .await;
    d2.ok(json!({"type": "reject", "call": "w-1"})).await;
    d1.ok(json!({"type": "consult", "call": "w-1", "agent": "d2"}))
        .await;
    // The PBX reports the consulted phone answered.
    pbx.ok(json!({"type": "call_answered", "call": "w-1"}))
        .await;
    d1.ok(json!({"type": "cancel_consult", "call": "w-1"}))
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
    // Each end gave the caller back off hold, and d2 is ready again with no wrap-up.
    for _ in 0..2 {
        assert_eq!(d1.expect("call_resumed").await["call"], "w-1");
    }
    d2.expect_where("agent_state", |m| {
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
