//! The HTTP rungs and what surrounds them, over raw loopback HTTP: a session over SSE and over
//! long-poll, what bad requests get, the Origin rule on every rung, `/rt/endpoints`, the
//! diagnostics probes and the server's side of them (`GET /sessions`).

use crate::net;
use std::time::Duration;

use serde_json::{Value, json};

use crate::net::http::{Poll, Sse, SseItem, request};
use crate::net::{Client, PATIENCE, Via};

fn body(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("JSON expected: {text:?}: {e}"))
}

#[tokio::test]
async fn an_agent_works_over_sse_with_event_ids_and_over_long_poll() {
    let server = net::start("").await;
    let addr = net::addr(&server, Via::Ws);

    let mut sse = Sse::open(addr).await;
    assert_eq!(
        sse.head.header("cache-control"),
        Some("no-cache, no-transform")
    );
    assert_eq!(sse.head.header("x-accel-buffering"), Some("no"));
    assert_eq!(
        sse.head.header("content-encoding"),
        None,
        "never compressed"
    );
    sse.send(&json!({"id": "1", "type": "auth", "user": "a1", "password": net::PASSWORD}))
        .await;
    // The snapshot's events carry their seq as the SSE id; the ack carries none.
    let mut ids = Vec::new();
    loop {
        match sse.next_item().await.1 {
            SseItem::Message { id, message } => {
                if message["type"] == "ack" {
                    assert_eq!(id, None, "a reply has no id: {message}");
                    assert_eq!(message["result"]["resumed"], false);
                    break;
                }
                assert_eq!(id, message["seq"].as_u64(), "{message}");
                ids.push(id.unwrap());
            }
            SseItem::Comment(_) | SseItem::Retry => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(ids, (1..=ids.len() as u64).collect::<Vec<_>>());
    sse.send(&json!({"id": "2", "type": "login"})).await;
    let state = sse.next_message().await;
    assert_eq!(state["state"], "not_ready", "{state}");

    let mut poll = Poll::open(addr).await;
    let hello = poll.next_message().await;
    assert_eq!(hello["type"], "hello");
    poll.send(&json!({"id": "1", "type": "auth", "user": "a2", "password": net::PASSWORD}))
        .await;
    let first = poll.next_message().await;
    assert_eq!(first["seq"], 1, "{first}");
    // Asking again for what was answered: the same messages (a lost answer is not lost).
    let again_from = poll.next - 1;
    let (head, text) = request(
        addr,
        "POST",
        &format!("/rt/poll?next={again_from}"),
        &[("X-Acdhub-Link", &poll.link)],
        None,
        PATIENCE,
    )
    .await;
    assert_eq!(head.status, 200);
    let answer = body(&text);
    assert!(
        answer["messages"].as_array().is_some_and(|m| !m.is_empty()),
        "the last message again: {answer}"
    );
}

#[tokio::test]
async fn bad_requests_on_the_http_rungs_get_a_stable_code_and_change_nothing() {
    let server = net::start("[limits]\nmax_message_bytes = 1024\n").await;
    let addr = net::addr(&server, Via::Ws);
    let refused = |head: &net::http::Head, text: &str, status: u16, code: &str| {
        assert_eq!(head.status, status, "{text}");
        assert_eq!(body(text)["code"], code, "{text}");
    };
    // No link, or one that does not exist.
    let (head, text) = request(addr, "POST", "/rt/send", &[], Some("{}"), PATIENCE).await;
    refused(&head, &text, 400, "bad_request");
    let unknown = [("X-Acdhub-Link", "no-such-link")];
    let (head, text) = request(addr, "POST", "/rt/send", &unknown, Some("{}"), PATIENCE).await;
    refused(&head, &text, 404, "unknown_link");
    let (head, text) = request(addr, "POST", "/rt/poll?next=1", &unknown, None, PATIENCE).await;
    refused(&head, &text, 404, "unknown_link");

    let mut poll = Poll::open(addr).await;
    let id = poll.link.clone();
    let link = [("X-Acdhub-Link", id.as_str())];
    // A poll without `next`, or ahead of what was written.
    let (head, text) = request(addr, "POST", "/rt/poll", &link, None, PATIENCE).await;
    refused(&head, &text, 400, "bad_request");
    let (head, text) = request(addr, "POST", "/rt/poll?next=99", &link, None, PATIENCE).await;
    refused(&head, &text, 400, "bad_request");
    // A message that is not JSON is answered down the link, like on a WebSocket.
    let (head, _) = request(addr, "POST", "/rt/send", &link, Some("not json"), PATIENCE).await;
    assert_eq!(head.status, 202);
    poll.next_message().await; // hello
    let error = poll.next_message().await;
    assert_eq!(error["code"], "malformed_json", "{error}");
    // The link still works.
    poll.send(&json!({"id": "1", "type": "auth", "user": "wall", "password": net::PASSWORD}))
        .await;
    let ack = poll.next_message().await;
    assert_eq!(ack["type"], "ack", "{ack}");

    // An SSE link is not polled.
    let sse = Sse::open(addr).await;
    let sse_link = [("X-Acdhub-Link", sse.link.as_str())];
    let (head, text) = request(addr, "POST", "/rt/poll?next=1", &sse_link, None, PATIENCE).await;
    refused(&head, &text, 400, "bad_request");

    // Too big: 413, and the link closes with 1009, as a WebSocket would.
    let big = format!(
        "{{\"id\":\"2\",\"type\":\"ping\",\"x\":\"{}\"}}",
        "x".repeat(2048)
    );
    let (head, text) = request(addr, "POST", "/rt/send", &link, Some(&big), PATIENCE).await;
    refused(&head, &text, 413, "message_too_big");
    loop {
        let answer = poll.poll().await;
        if !answer.closed.is_null() {
            assert_eq!(answer.closed["code"], 1009, "{:?}", answer.closed);
            break;
        }
    }
}

#[tokio::test]
async fn every_rung_refuses_a_page_of_a_foreign_origin_and_admits_the_servers_own() {
    let server = net::start("").await;
    let ws = net::addr(&server, Via::Ws);
    let wss_port = server.wss_addr().unwrap().port();
    let evil = [("Origin", "https://evil.example")];
    for (method, path) in [
        ("GET", "/rt/sse"),
        ("POST", "/rt/poll"),
        ("POST", "/rt/send"),
        ("GET", "/diag/sse"),
        ("POST", "/diag/poll?wait_ms=0"),
    ] {
        let (head, text) = request(ws, method, path, &evil, Some("{}"), PATIENCE).await;
        assert_eq!(head.status, 403, "{method} {path}: {text}");
        assert_eq!(body(&text)["code"], "origin_not_allowed");
    }
    // A page from the other listener of the same host is the server's own.
    let own = format!("https://127.0.0.1:{wss_port}");
    let (head, _) = request(ws, "POST", "/rt/poll", &[("Origin", &own)], None, PATIENCE).await;
    assert_eq!(head.status, 200);
    let other_port = format!("http://127.0.0.1:{}", wss_port.wrapping_add(1).max(1));
    let (head, _) = request(
        ws,
        "POST",
        "/rt/poll",
        &[("Origin", &other_port)],
        None,
        PATIENCE,
    )
    .await;
    assert_eq!(
        head.status, 403,
        "another port of the host is not the server's"
    );
    // The WebSocket upgrade follows the same rule.
    assert!(net::open(&server, Via::Ws, Some(&own)).await.is_ok());
    assert!(
        net::open(&server, Via::Ws, Some("https://evil.example"))
            .await
            .is_err()
    );
}

#[tokio::test]
async fn endpoints_name_the_rungs_as_browsers_reach_them() {
    let server = net::start("").await;
    let ws = server.ws_addr().unwrap().port();
    let wss = server.wss_addr().unwrap().port();
    let (head, text) = request(
        net::addr(&server, Via::Ws),
        "GET",
        "/rt/endpoints",
        &[],
        None,
        PATIENCE,
    )
    .await;
    assert_eq!(head.header("cache-control"), Some("no-store"));
    let endpoints = body(&text);
    // The request's host, with each listener's port.
    assert_eq!(endpoints["ws"], format!("ws://127.0.0.1:{ws}/ws"));
    assert_eq!(endpoints["wss"], format!("wss://127.0.0.1:{wss}/ws"));
    assert_eq!(endpoints["sse"], "/rt/sse");
    assert_eq!(endpoints["poll"], "/rt/poll");
    assert_eq!(endpoints["send"], "/rt/send");
    assert_eq!(endpoints["heartbeat_secs"], 25);
    assert_eq!(
        endpoints["nodes"],
        serde_json::json!([]),
        "not a node of a cluster"
    );
    assert_eq!(
        endpoints["certificate"], "development",
        "no [server] tls_certificate: the built-in one"
    );

    // Behind a proxy that publishes 443 for wss and offers no plain WebSocket.
    let proxied =
        net::start_with_server_keys("public_wss_port = 443\npublic_ws_port = 0\n", "").await;
    let (_, text) = request(
        net::addr(&proxied, Via::Ws),
        "GET",
        "/rt/endpoints",
        &[],
        None,
        PATIENCE,
    )
    .await;
    let endpoints = body(&text);
    assert_eq!(endpoints["wss"], "wss://127.0.0.1/ws", "443 is https's own");
    assert_eq!(endpoints["ws"], Value::Null);
}

#[tokio::test]
async fn the_probes_tick_and_the_server_lists_its_sessions() {
    let server = net::start("").await;
    let addr = net::addr(&server, Via::Ws);
    let (head, text) = request(
        addr,
        "GET",
        "/diag/sse?ticks=3&interval_ms=50",
        &[],
        None,
        PATIENCE,
    )
    .await;
    assert_eq!(head.status, 200);
    let ticks: Vec<Value> = text
        .lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(body)
        .collect();
    assert_eq!(ticks.len(), 4, "three ticks and the close: {text}");
    assert_eq!(ticks[2]["n"], 3);
    assert_eq!(ticks[3]["code"], 1000);
    let (_, text) = request(addr, "POST", "/diag/poll?wait_ms=10", &[], None, PATIENCE).await;
    assert_eq!(body(&text)["waited_ms"], 10);
    for bad in [
        "/diag/sse?ticks=0",
        "/diag/sse?interval_ms=5",
        "/diag/sse?idle_secs=301",
    ] {
        let (head, _) = request(addr, "GET", bad, &[], None, PATIENCE).await;
        assert_eq!(head.status, 400, "{bad}");
    }

    // One session on a WebSocket, one waiting to be resumed.
    let (_agent, _) = Client::login(&server, Via::Wss, "a1").await;
    let (gone, _) = Client::login(&server, Via::Ws, "a2").await;
    drop(gone);
    let metrics = server.metrics_addr().unwrap();
    let parked = async {
        loop {
            let (_, text) = request(metrics, "GET", "/sessions", &[], None, PATIENCE).await;
            let listing = body(&text);
            let sessions = listing["sessions"].as_array().unwrap().clone();
            let a2 = sessions.iter().find(|s| s["user"] == "a2").cloned();
            if a2.as_ref().is_some_and(|s| s["connected"] == false) {
                return sessions;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let sessions = tokio::time::timeout(PATIENCE, parked).await.unwrap();
    let a1 = sessions.iter().find(|s| s["user"] == "a1").unwrap();
    assert_eq!(a1["rung"], "wss", "{a1}");
    assert_eq!(a1["connected"], true);
    assert_eq!(a1["connections"], 1);
    assert_eq!(a1["resync"], false);
    let a2 = sessions.iter().find(|s| s["user"] == "a2").unwrap();
    assert_eq!(a2["rung"], Value::Null, "{a2}");
    assert!(a2.get("token").is_none() && !a2.to_string().contains("session\":\""));
}

#[tokio::test]
async fn an_sse_link_opened_with_last_event_id_resumes_after_it_and_can_be_padded() {
    let server = net::start_with_server_keys("sse_padding_bytes = 2048\n", "").await;
    let addr = net::addr(&server, Via::Ws);
    let (mut agent, result) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    let token = result["token"].as_str().unwrap();
    let id = result["session"].as_str().unwrap();
    let received = agent.last_seq;
    drop(agent);

    // The browser's own reconnection: it sends the last id it saw, here one before the last.
    let last = (received - 1).to_string();
    let mut sse = Sse::connect(addr, &[("Last-Event-ID", &last)]).await;
    match sse.next_item().await.1 {
        // A comment of blanks (the reader trims them): what old intermediaries wait for.
        SseItem::Comment(padding) => assert!(padding.trim().is_empty(), "{padding:?}"),
        other => panic!("the padding comes first: {other:?}"),
    }
    let hello = sse.next_message().await;
    sse.link = hello["link"].as_str().unwrap().to_owned();
    // `resume` without `last_seq`: the link's Last-Event-ID stands for it.
    sse.send(&json!({"id": "1", "type": "auth", "token": token, "resume": {"session": id}}))
        .await;
    let replayed = sse.next_message().await;
    assert_eq!(replayed["seq"].as_u64(), Some(received), "{replayed}");
    let ack = sse.next_message().await;
    assert_eq!(ack["result"]["resumed"], true, "{ack}");

    // Without Last-Event-ID, a resume must say where it left off.
    let mut plain = Sse::open(addr).await;
    plain
        .send(&json!({"id": "1", "type": "auth", "token": token, "resume": {"session": id}}))
        .await;
    let refused = plain.next_message().await;
    assert_eq!(refused["code"], "bad_message", "{refused}");
}
