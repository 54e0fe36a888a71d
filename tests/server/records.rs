//! Conversation records from a real server: conversations through the messaging connector and
//! an agent end up, one JSON line each with their transcripts, in the tenant's day file beside
//! the call records; `acdhub export --records conversations` turns the day into CSV and JSON
//! lines; and files past `[storage] transcript_retention_days` are deleted at start and after
//! midnight, call records never.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

use crate::conversations::chat_open_at_c1;
use crate::net::{self, Client, PATIENCE, Via};

/// A file's JSON lines once it has `count` of them (the engine writes records as they finish).
pub(crate) async fn lines_once(path: &Path, count: usize) -> Vec<Value> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let lines: Vec<Value> = std::fs::read_to_string(path)
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a whole JSON line"))
            .collect();
        if lines.len() >= count {
            return lines;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} has {} lines, not {count}",
            path.display(),
            lines.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until_gone(path: &Path) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while path.exists() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} is still there",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One old record line of a kind, numbered `seq`.
fn old_line(field: &str, id: &str, seq: u64) -> String {
    format!("{{\"seq\":{seq},\"{field}\":\"{id}\"}}\n")
}

fn export(data: &Path, extra: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .args([
            "export",
            "--data",
            data.to_str().unwrap(),
            "--tenant",
            "acme",
        ])
        .args(["--day", "2026-03-10"])
        .args(extra)
        .output()
        .expect("the binary runs")
}

#[tokio::test]
async fn conversations_are_recorded_with_transcripts_exported_and_deleted_past_retention() {
    let data = tempfile::tempdir().unwrap();
    let records: PathBuf = data.path().join("records/acme");
    std::fs::create_dir_all(&records).unwrap();
    // What earlier days left: conversations of 1 January (past 30 days on 10 March) and of
    // 1 March (not), and calls of 1 January, which no retention touches.
    let january = records.join("conversations-2026-01-01.jsonl");
    let march = records.join("conversations-2026-03-01.jsonl");
    let january_calls = records.join("2026-01-01.jsonl");
    std::fs::write(&january, old_line("conversation", "old-1", 6)).unwrap();
    std::fs::write(&march, old_line("conversation", "old-2", 7)).unwrap();
    std::fs::write(&january_calls, old_line("call", "c-old", 3)).unwrap();

    let storage = format!(
        "[storage]\ndir = {:?}\ntranscript_retention_days = 30\n",
        data.path()
    );
    let server = net::start(&net::with_chat(&storage)).await;
    // The start swept what was past retention, and only that.
    until_gone(&january).await;
    assert!(march.exists() && january_calls.exists());

    let (mut agent, _) = Client::login(&server, Via::Ws, "c1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut widget, _) = Client::login(&server, Via::Ws, "widget").await;
    widget
        .ok(json!({
            "type": "conversation_arrived", "conversation": "k-1", "queue": "chat",
            "customer": "Dana Weber", "data": {"account": "C-10293"},
            "messages": ["Hello, my parcel has not arrived"],
        }))
        .await;
    agent.expect("conversation_offer").await;
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "k-1"}))
        .await;
    widget
        .ok(json!({"type": "customer_message", "conversation": "k-1", "text": "It was due Monday"}))
        .await;
    agent
        .ok(json!({"type": "send_message", "conversation": "k-1", "text": "Let me check, \"Dana\"."}))
        .await;
    agent
        .ok(json!({"type": "close_conversation", "conversation": "k-1"}))
        .await;
    agent
        .ok(json!({"type": "end_conversation_wrap_up", "conversation": "k-1"}))
        .await;
    // A second customer leaves while it is offered: abandoned.
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k-2", "queue": "chat", "messages": ["Hi?"]}))
        .await;
    agent
        .expect_where("conversation_offer", |m| m["conversation"] == "k-2")
        .await;
    widget
        .ok(json!({"type": "customer_left", "conversation": "k-2"}))
        .await;

    let today = records.join("conversations-2026-03-10.jsonl");
    let lines = lines_once(&today, 2).await;
    assert_eq!(lines.len(), 2, "{lines:#?}");
    let first = &lines[0];
    assert_eq!(first["seq"], 8, "numbered on after the files' last record");
    assert_eq!(first["conversation"], "k-1");
    assert_eq!(first["channel"], "chat");
    assert_eq!(first["outcome"], "closed_by_agent");
    assert_eq!(first["queues"], json!(["chat"]));
    assert_eq!(first["agents"], json!(["c1"]));
    assert_eq!(first["accepted_by"], "c1");
    assert_eq!(first["customer"], "Dana Weber");
    assert_eq!(first["data"], json!({"account": "C-10293"}));
    assert_eq!(
        (&first["customer_messages"], &first["agent_messages"]),
        (&json!(2), &json!(1))
    );
    assert!(first["first_response_ms"].as_u64().is_some(), "{first}");
    assert!(first["wrap_up_ended_at"].is_string(), "{first}");
    let transcript: Vec<(&str, &str)> = first["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["from"].as_str().unwrap(), m["text"].as_str().unwrap()))
        .collect();
    assert_eq!(
        transcript,
        [
            ("customer", "Hello, my parcel has not arrived"),
            ("customer", "It was due Monday"),
            ("agent", "Let me check, \"Dana\"."),
        ]
    );
    assert_eq!(first["transcript"][2]["agent"], "c1");
    let second = &lines[1];
    assert_eq!(
        (&second["seq"], &second["outcome"]),
        (&json!(9), &json!("abandoned"))
    );
    assert_eq!(second["offers"], 1);
    assert_eq!(second["transcript"][0]["text"], "Hi?");
    // Call records are not among them.
    assert!(!records.join("2026-03-10.jsonl").exists());

    // The day as a spreadsheet: a row per conversation, no transcript; and as JSON lines,
    // transcripts and all.
    let output = export(data.path(), &["--records", "conversations"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<&str> = csv.split_inclusive("\r\n").collect();
    assert_eq!(rows.len(), 3, "{csv}");
    assert!(
        rows[0].starts_with("seq,conversation,channel,outcome,"),
        "{csv}"
    );
    assert!(rows[1].starts_with("8,k-1,chat,closed_by_agent,chat,chat,chat,c1,c1,0,Dana Weber,"));
    assert!(rows[2].starts_with("9,k-2,chat,abandoned,"), "{csv}");
    assert!(!csv.contains("parcel"), "no transcript in the CSV: {csv}");
    let output = export(
        data.path(),
        &["--records", "conversations", "--format", "jsonl"],
    );
    assert!(output.status.success());
    assert_eq!(
        String::from_utf8(output.stdout).unwrap(),
        std::fs::read_to_string(&today).unwrap()
    );

    // 31 days on, past midnight: 1 and 10 March are past retention, and go.
    server.advance_clock(Duration::from_secs(31 * 86_400)).await;
    until_gone(&today).await;
    until_gone(&march).await;
    assert!(january_calls.exists(), "call records have no retention");
    server.shutdown().await;
}

#[tokio::test]
async fn a_conversation_open_across_a_restart_is_recorded_once_with_its_whole_transcript() {
    let data = tempfile::tempdir().unwrap();
    let text = net::config_text(&net::with_chat(&format!(
        "[storage]\ndir = {:?}\n",
        data.path()
    )));
    let first = net::start_text(&text).await;
    let (mut agent, token, _widget) = chat_open_at_c1(&first, "k-7").await;
    agent
        .ok(json!({"type": "send_message", "conversation": "k-7", "text": "Hello"}))
        .await;
    let arrived = first.now();
    first.shutdown().await;

    // The record in progress came back with the day (in the snapshot), and finishes here.
    let second = net::start_text(&text).await;
    let mut agent = Client::connect(&second, Via::Ws).await;
    let reply = agent.request(json!({"type": "auth", "token": token})).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    let (mut widget, _) = Client::login(&second, Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "customer_message", "conversation": "k-7", "text": "Thanks"}))
        .await;
    agent
        .ok(json!({"type": "close_conversation", "conversation": "k-7"}))
        .await;
    agent
        .ok(json!({"type": "end_conversation_wrap_up", "conversation": "k-7"}))
        .await;
    let path = data
        .path()
        .join("records/acme/conversations-2026-03-10.jsonl");
    let lines = lines_once(&path, 1).await;
    second.shutdown().await;
    let lines_after = lines_once(&path, 1).await;
    assert_eq!(lines_after.len(), 1, "written once: {lines_after:#?}");
    let record = &lines[0];
    assert_eq!(record["seq"], 1);
    assert_eq!(record["outcome"], "closed_by_agent");
    let arrived_at: jiff::Timestamp = record["arrived_at"].as_str().unwrap().parse().unwrap();
    assert!(arrived_at <= arrived, "from before the restart: {record}");
    let texts: Vec<&str> = record["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Hi", "Hello", "Thanks"]);
}
