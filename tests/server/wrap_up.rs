//! Dispositions and notes, the agent's own day and the queues beside the transfer targets, over
//! the wire (issue 21): refusals with their codes, a required disposition holding the wrap-up
//! open, what was given surviving a restart, and the call's record, the queue's counts, `my_day`
//! and `list_queues` agreeing with what happened. Every message is schema-checked by the client.

use serde_json::{Value, json};

use acdhub::server::hash_password;

use crate::net::{self, Client, PASSWORD, Via};
use crate::records::lines_once;

/// The test tenant plus `desk`, a queue that requires a disposition, which only a3 serves.
fn config(data: &std::path::Path) -> String {
    let hash = hash_password(PASSWORD);
    net::config_text(&format!(
        r#"
[storage]
dir = {data:?}

[[tenants.queues]]
id = "desk"
name = "Service Desk"
wrap_up_secs = 300
dispositions = [{{ code = "resolved", label = "Resolved" }}, {{ code = "callback", label = "Callback arranged" }}]
disposition_required = true

[[tenants.agents]]
id = "a3"
name = "Dana Desk"
skills = {{ desk = 1 }}

[[principals]]
user = "a3"
role = "agent"
tenant = "acme"
password_hash = "{hash}"
"#
    ))
}

async fn take(a3: &mut Client, pbx: &mut Client, call: &str) {
    pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "desk", "caller": "+4930555"}))
        .await;
    a3.expect_where("offer", |m| m["call"] == call).await;
    a3.ok(json!({"type": "accept", "call": call})).await;
    a3.expect_state("a3", "on_call").await;
}

#[tokio::test]
async fn a_required_disposition_holds_the_wrap_up_survives_a_restart_and_reaches_record_counts_and_day()
 {
    let data = tempfile::tempdir().unwrap();
    let text = config(data.path());
    let server = net::start_text(&text).await;
    let (mut a3, signed_in) = Client::login(&server, Via::Ws, "a3").await;
    let desk = signed_in["queues"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == "desk")
        .unwrap()
        .clone();
    assert_eq!(desk["disposition_required"], true);
    assert_eq!(
        desk["dispositions"][1],
        json!({"id": "callback", "name": "Callback arranged"})
    );
    let token = signed_in["token"].as_str().unwrap().to_owned();
    a3.ok(json!({"type": "login"})).await;
    a3.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;

    // The first call: given on the call, with notes.
    take(&mut a3, &mut pbx, "d-1").await;
    let bad = [
        (
            json!({"call": "d-1", "disposition": "sold"}),
            "unknown_disposition",
        ),
        (
            json!({"call": "d-1", "notes": "x".repeat(2001)}),
            "notes_too_long",
        ),
        (
            json!({"call": "nowhere", "disposition": "resolved"}),
            "unknown_call",
        ),
        (
            json!({"call": "d-1", "disposition": "Not An Id!"}),
            "bad_message",
        ),
        (json!({"call": "d-1", "disposition": null}), "bad_message"),
    ];
    for (fields, code) in bad {
        let mut command = fields.clone();
        command["type"] = json!("set_disposition");
        assert_eq!(a3.refused(command).await, code, "{fields}");
    }
    a3.ok(json!({"type": "set_disposition", "call": "d-1", "disposition": "resolved", "notes": "Reset the router, \"works\" now"}))
        .await;
    a3.ok(json!({"type": "hangup", "call": "d-1"})).await;
    a3.expect_state("a3", "wrap_up").await;
    a3.ok(json!({"type": "end_wrap_up"})).await;
    a3.expect_state("a3", "ready").await;

    // The second: none given, the wrap-up cannot end; then a code, and a restart in wrap-up.
    take(&mut a3, &mut pbx, "d-2").await;
    a3.ok(json!({"type": "hangup", "call": "d-2"})).await;
    a3.expect_state("a3", "wrap_up").await;
    assert_eq!(
        a3.refused(json!({"type": "end_wrap_up"})).await,
        "disposition_required"
    );
    a3.ok(json!({"type": "set_disposition", "call": "d-2", "disposition": "callback"}))
        .await;
    drop(a3);
    drop(pbx);
    server.shutdown().await;

    let server = net::start_text(&text).await;
    let mut a3 = Client::connect(&server, Via::Ws).await;
    let reply = a3.request(json!({"type": "auth", "token": token})).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    a3.expect_state("a3", "wrap_up").await;
    a3.ok(json!({"type": "end_wrap_up"})).await;
    a3.expect_state("a3", "ready").await;

    // The records: code and notes of each call.
    let records = lines_once(&record_file(data.path()).await, 2).await;
    let of = |call: &str| records.iter().find(|r| r["call"] == call).unwrap().clone();
    assert_eq!(
        (&of("d-1")["disposition"], &of("d-1")["notes"]),
        (
            &json!("resolved"),
            &json!("Reset the router, \"works\" now")
        )
    );
    assert_eq!(
        (&of("d-2")["disposition"], &of("d-2")["notes"]),
        (&json!("callback"), &Value::Null)
    );

    // The queue's counts, the agent's day, and the queues now.
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe", "queues": ["desk"]}))
        .await;
    let stats = boss
        .expect_where("queue_stats", |m| m["queue"] == "desk")
        .await;
    assert_eq!(
        stats["dispositions"],
        json!({"today": {"callback": 1, "resolved": 1}, "none_today": 0})
    );
    let day = a3.request(json!({"type": "my_day"})).await["result"].clone();
    assert_eq!(day["handled"], 2, "{day}");
    let recent: Vec<(&str, &str)> = day["recent"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["call"].as_str().unwrap(),
                c["disposition"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(recent, [("d-2", "callback"), ("d-1", "resolved")]);
    assert_eq!(day["recent"][0]["caller"], "+4930555");
    // (The time in each state is exact in tests/core/agent_day.rs: this server's steps come
    // milliseconds apart.)
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "s-1", "queue": "sales"}))
        .await;
    let queues = boss.request(json!({"type": "list_queues"})).await["result"]["queues"].clone();
    let lane = |id: &str| {
        queues
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (&lane("sales")["waiting"], &lane("sales")["agents_ready"]),
        (&json!(1), &json!(0))
    );
    assert!(lane("sales")["oldest_waiting_since"].is_string());
    assert_eq!(
        (&lane("desk")["waiting"], &lane("desk")["agents_ready"]),
        (&json!(0), &json!(1))
    );
    // A telephony connector may not ask either.
    assert_eq!(
        pbx.refused(json!({"type": "list_queues"})).await,
        "forbidden"
    );
    assert_eq!(pbx.refused(json!({"type": "my_day"})).await, "forbidden");
    assert_eq!(boss.refused(json!({"type": "my_day"})).await, "forbidden");
    server.shutdown().await;
}

/// The day's call records file of tenant acme (one day: the test runs in one), once there.
async fn record_file(data: &std::path::Path) -> std::path::PathBuf {
    let dir = data.join("records/acme");
    let deadline = tokio::time::Instant::now() + net::PATIENCE;
    loop {
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries.filter_map(Result::ok).map(|e| e.path()).find(|p| {
                p.extension().is_some_and(|x| x == "jsonl")
                    && !p
                        .file_name()
                        .unwrap()
                        .to_string_lossy()
                        .starts_with("conversations-")
            })
        });
        if let Some(path) = found {
            return path;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no records in {}",
            dir.display()
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
