//! Silent monitoring, whisper and barge-in over the wire (issue 21): a supervisor joins an
//! agent's call, changes mode and leaves; the telephony connector, every supervisor and the
//! agent hear each `monitoring`; the call's end takes the supervisor with it; a reconnecting
//! connector finds who is on which call in its snapshot; and the audit log has every attempt.

use serde_json::{Value, json};

use crate::net::{self, Client, Via};
use crate::supervisor::{agent_on_a_call, audit_records};

/// The next `count` `monitoring` events a client gets, as (supervisor, mode, ended).
async fn monitorings(client: &mut Client, count: usize) -> Vec<(String, Value, Value)> {
    let mut seen = Vec::new();
    for _ in 0..count {
        let m = client.expect("monitoring").await;
        assert_eq!(
            (&m["agent"], &m["call"]),
            (&json!("a1"), &json!("m-1")),
            "{m}"
        );
        seen.push((
            m["supervisor"].as_str().unwrap().to_owned(),
            m["mode"].clone(),
            m.get("ended").cloned().unwrap_or(Value::Null),
        ));
    }
    seen
}

#[tokio::test]
async fn a_supervisor_listens_whispers_and_barges_everyone_concerned_hears_it_and_it_is_audited() {
    let dir = net::fresh_dir("monitoring");
    let path = dir.join("audit.jsonl");
    let server =
        net::start_with_server_keys(&format!("audit_log = {:?}", path.display().to_string()), "")
            .await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe", "queues": []})).await;
    let (mut agent, mut pbx) = agent_on_a_call(&server, "m-1").await;

    // Refused: nobody on a2's call (a2 is logged out), a mode that does not exist, leaving a
    // call it is not on.
    assert_eq!(
        boss.refused(json!({"type": "monitor", "agent": "a2", "mode": "listen"}))
            .await,
        "agent_not_on_call"
    );
    assert_eq!(
        boss.refused(json!({"type": "monitor", "agent": "a1", "mode": "spy"}))
            .await,
        "bad_message"
    );
    assert_eq!(
        boss.refused(json!({"type": "end_monitor", "agent": "a1"}))
            .await,
        "not_monitoring"
    );
    assert_eq!(
        agent
            .refused(json!({"type": "monitor", "agent": "a1", "mode": "listen"}))
            .await,
        "forbidden"
    );

    for mode in ["listen", "whisper", "barge"] {
        boss.ok(json!({"type": "monitor", "agent": "a1", "mode": mode}))
            .await;
    }
    // A connector that signs in now finds the supervisor on the call in its snapshot.
    let (mut late, _) = Client::login(&server, Via::Ws, "pbx").await;
    let seen = late
        .expect_where("monitoring", |m| m["agent"] == "a1")
        .await;
    assert_eq!(
        (&seen["call"], &seen["mode"]),
        (&json!("m-1"), &json!("barge"))
    );
    boss.ok(json!({"type": "end_monitor", "agent": "a1"})).await;
    boss.ok(json!({"type": "monitor", "agent": "a1", "mode": "listen"}))
        .await;
    // The call ends: the supervisor leaves with it.
    pbx.ok(json!({"type": "call_ended", "call": "m-1"})).await;
    for client in [&mut pbx, &mut agent, &mut boss] {
        let boss = "boss".to_owned();
        assert_eq!(
            monitorings(client, 6).await,
            [
                (boss.clone(), json!("listen"), Value::Null),
                (boss.clone(), json!("whisper"), Value::Null),
                (boss.clone(), json!("barge"), Value::Null),
                (boss.clone(), Value::Null, json!("ended")),
                (boss.clone(), json!("listen"), Value::Null),
                (boss, Value::Null, json!("call_left")),
            ]
        );
    }
    assert_eq!(
        boss.refused(json!({"type": "end_monitor", "agent": "a1"}))
            .await,
        "agent_not_on_call"
    );

    let records: Vec<(String, String, Value, String)> = audit_records(&path)
        .into_iter()
        .filter(|r| r["action"].as_str().unwrap().contains("monitor"))
        .map(|r| {
            (
                r["action"].as_str().unwrap().to_owned(),
                r["target"].as_str().unwrap().to_owned(),
                r["detail"].clone(),
                r["result"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let record = |action: &str, target: &str, detail: Value, result: &str| {
        (
            action.to_owned(),
            target.to_owned(),
            detail,
            result.to_owned(),
        )
    };
    assert_eq!(
        records,
        [
            record(
                "monitor",
                "a2",
                json!({"mode": "listen"}),
                "agent_not_on_call"
            ),
            record("monitor", "a1", json!({}), "bad_message"),
            record("end_monitor", "a1", json!({}), "not_monitoring"),
            record("monitor", "a1", json!({"mode": "listen"}), "forbidden"),
            record("monitor", "a1", json!({"mode": "listen"}), "ok"),
            record("monitor", "a1", json!({"mode": "whisper"}), "ok"),
            record("monitor", "a1", json!({"mode": "barge"}), "ok"),
            record("end_monitor", "a1", json!({}), "ok"),
            record("monitor", "a1", json!({"mode": "listen"}), "ok"),
            record("end_monitor", "a1", json!({}), "agent_not_on_call"),
        ]
    );
    server.shutdown().await;
}
