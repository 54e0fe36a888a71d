//! The wallboards' message ticker over the wire: a supervisor sets it, every wallboard and
//! supervisor that subscribed hears `ticker` and an agent nothing; other roles are refused; a
//! bad message changes nothing; a wallboard that subscribes later finds it in its snapshot; it
//! survives a restart; and the audit log has every attempt. Every message is schema-checked by
//! the client.

use serde_json::{Value, json};

use acdhub::server::hash_password;

use crate::net::{self, Client, PASSWORD, Via};
use crate::supervisor::audit_records;

const BILLING: &str = "Billing system down, tell callers we call back";

/// The test tenant with its journal in `data` and its audit log at `audit`, and a second
/// supervisor, `sue`.
async fn start(data: &std::path::Path, audit: &std::path::Path) -> acdhub::server::Server {
    let hash = hash_password(PASSWORD);
    net::start_with_server_keys(
        &format!("audit_log = {:?}", audit.display().to_string()),
        &format!(
            "
[storage]
dir = {:?}

[[principals]]
user = \"sue\"
role = \"supervisor\"
tenant = \"acme\"
password_hash = \"{hash}\"
",
            data.display().to_string()
        ),
    )
    .await
}

/// Signs `user` in and subscribes to every queue; returns the client with its snapshot in its
/// backlog.
async fn watcher(server: &acdhub::server::Server, via: Via, user: &str) -> Client {
    let (mut client, _) = Client::login(server, via, user).await;
    client.ok(json!({"type": "subscribe"})).await;
    client
}

/// The `ticker` in a client's backlog now: what came with its subscription's snapshot.
fn in_snapshot(client: &Client) -> Option<&Value> {
    client.backlog.iter().find(|m| m["type"] == "ticker")
}

#[tokio::test]
async fn a_supervisor_sets_the_ticker_for_every_wallboard_and_it_survives_a_restart() {
    let dir = net::fresh_dir("ticker");
    let (data, audit) = (dir.join("data"), dir.join("audit.jsonl"));
    let server = start(&data, &audit).await;
    let mut boss = watcher(&server, Via::Ws, "boss").await;
    let mut sue = watcher(&server, Via::Wss, "sue").await;
    let mut wall = watcher(&server, Via::Wss, "wall").await;
    assert_eq!(in_snapshot(&wall), None, "no message yet");
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;

    // Only a supervisor may; a bad message is refused and changes nothing.
    let set = |text: &str| json!({"type": "set_ticker", "text": text});
    assert_eq!(agent.refused(set("Free cake")).await, "forbidden");
    assert_eq!(wall.refused(set("Free cake")).await, "forbidden");
    assert_eq!(boss.refused(set(&"x".repeat(281))).await, "bad_ticker");
    assert_eq!(
        boss.refused(set("Billing down\nCall back")).await,
        "bad_ticker"
    );
    assert_eq!(boss.refused(set("Billing\tdown")).await, "bad_ticker");
    assert_eq!(
        boss.refused(json!({"type": "set_ticker"})).await,
        "bad_message"
    );
    let reply = boss.request(set(&"y".repeat(281))).await;
    assert!(
        reply["message"]
            .as_str()
            .unwrap()
            .contains("280 characters"),
        "the refusal says which rule: {reply}"
    );

    // Set: every supervisor and wallboard hears it, with who and when.
    boss.ok(set(&format!("  {BILLING} "))).await;
    let mut shown = Vec::new();
    for client in [&mut wall, &mut sue, &mut boss] {
        let ticker = client.expect("ticker").await;
        assert_eq!(
            (&ticker["text"], &ticker["by"]),
            (&json!(BILLING), &json!("boss"))
        );
        shown.push(ticker["at"].clone());
    }
    assert!(shown.iter().all(|at| *at == shown[0]), "{shown:?}");
    // The agent hears nothing of it: a read answered by its engine comes after anything the
    // engine sent it before.
    agent.ok(json!({"type": "my_day"})).await;
    assert!(!agent.seen.contains("ticker"), "an agent is not told");

    // A wallboard that subscribes later has it in its snapshot, before the subscription's ack.
    let late = watcher(&server, Via::Ws, "wall").await;
    let snapshot = in_snapshot(&late).expect("the message in the snapshot");
    assert_eq!(
        (&snapshot["text"], &snapshot["by"], &snapshot["at"]),
        (&json!(BILLING), &json!("boss"), &shown[0])
    );
    drop(late);

    // Cleared by another supervisor: text null, by sue.
    sue.ok(set("   ")).await;
    for client in [&mut wall, &mut boss, &mut sue] {
        let cleared = client.expect("ticker").await;
        assert_eq!(
            (&cleared["text"], &cleared["by"]),
            (&Value::Null, &json!("sue"))
        );
    }
    let empty = watcher(&server, Via::Ws, "wall").await;
    assert_eq!(
        in_snapshot(&empty),
        None,
        "cleared: no message in a snapshot"
    );
    drop(empty);

    // Set again, then a restart: the journal gives it back, with who and when.
    boss.ok(set("Team meeting 14:00")).await;
    let before = wall.expect("ticker").await;
    for client in [boss, sue, wall, agent] {
        drop(client);
    }
    server.shutdown().await;
    let server = start(&data, &audit).await;
    let wall = watcher(&server, Via::Ws, "wall").await;
    let after = in_snapshot(&wall).expect("the message after a restart");
    assert_eq!(
        (&after["text"], &after["by"], &after["at"]),
        (&json!("Team meeting 14:00"), &json!("boss"), &before["at"])
    );
    drop(wall);
    server.shutdown().await;

    // The audit log: every attempt, with the text asked for and how it ended.
    let records: Vec<(String, String, String, Value, String)> = audit_records(&audit)
        .into_iter()
        .filter(|r| r["action"] == "set_ticker")
        .map(|r| {
            let text = |field: &str| r[field].as_str().unwrap().to_owned();
            (
                text("user"),
                text("role"),
                text("target"),
                r["detail"]["text"].clone(),
                text("result"),
            )
        })
        .collect();
    let record = |user: &str, role: &str, text: Value, result: &str| {
        (
            user.to_owned(),
            role.to_owned(),
            String::new(),
            text,
            result.to_owned(),
        )
    };
    assert_eq!(
        records,
        [
            record("a1", "agent", json!("Free cake"), "forbidden"),
            record("wall", "wallboard", json!("Free cake"), "forbidden"),
            record("boss", "supervisor", json!("x".repeat(280)), "bad_ticker"),
            record(
                "boss",
                "supervisor",
                json!("Billing down\nCall back"),
                "bad_ticker"
            ),
            record("boss", "supervisor", json!("Billing\tdown"), "bad_ticker"),
            record("boss", "supervisor", Value::Null, "bad_message"),
            record("boss", "supervisor", json!("y".repeat(280)), "bad_ticker"),
            record("boss", "supervisor", json!(format!("  {BILLING} ")), "ok"),
            record("sue", "supervisor", json!("   "), "ok"),
            record("boss", "supervisor", json!("Team meeting 14:00"), "ok"),
        ]
    );
}
