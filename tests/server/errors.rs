//! Every way a client can get it wrong, each with its documented code: the reply carries the
//! command's id, nothing changes, and the connection stays up unless the client abuses it.

use crate::net;
use serde_json::json;
use tokio_tungstenite::tungstenite;

use crate::net::{Client, Via};

#[tokio::test]
async fn a_wrong_password_is_refused_and_the_third_closes_with_4003() {
    let server = net::start("").await;
    let mut client = Client::connect(&server, Via::Ws).await;
    for attempt in 1..=3 {
        client
            .send_text(json!({"id": format!("a{attempt}"), "type": "auth", "user": "a1", "password": "wrong"}).to_string())
            .await;
        if attempt < 3 {
            let reply = client.reply_to(&format!("a{attempt}")).await;
            assert_eq!(reply["code"], "auth_failed");
        }
    }
    let reply = client.reply_to("a3").await;
    assert_eq!(reply["code"], "auth_failed");
    assert_eq!(client.expect_close().await, 4003);

    let mut unknown = Client::connect(&server, Via::Ws).await;
    let code = unknown
        .refused(json!({"type": "auth", "user": "nobody", "password": "secret"}))
        .await;
    assert_eq!(
        code, "auth_failed",
        "an unknown user looks like a wrong password"
    );
    let code = unknown
        .refused(json!({"type": "auth", "token": "not-a-token"}))
        .await;
    assert_eq!(code, "auth_failed");
    server.shutdown().await;
}

#[tokio::test]
async fn a_token_from_one_login_authenticates_the_next_connection() {
    let server = net::start("").await;
    let (_first, result) = Client::login(&server, Via::Ws, "a1").await;
    let token = result["token"].as_str().unwrap().to_owned();
    let mut second = Client::connect(&server, Via::Wss).await;
    let reply = second
        .request(json!({"type": "auth", "token": token}))
        .await;
    assert_eq!(reply["type"], "ack");
    assert_eq!(reply["result"]["agent"], "a1");
    server.shutdown().await;
}

#[tokio::test]
async fn commands_outside_the_role_are_forbidden_and_change_nothing() {
    let server = net::start("").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    assert_eq!(wall.refused(json!({"type": "login"})).await, "forbidden");
    assert_eq!(
        wall.refused(json!({"type": "force_state", "agent": "a1", "state": "ready"}))
            .await,
        "forbidden"
    );
    assert_eq!(
        wall.refused(json!({"type": "call_arrived", "call": "x", "queue": "support"}))
            .await,
        "forbidden"
    );
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    assert_eq!(
        agent
            .refused(json!({"type": "force_state", "agent": "a2", "state": "logged_out"}))
            .await,
        "forbidden"
    );
    assert_eq!(
        agent.refused(json!({"type": "subscribe"})).await,
        "forbidden"
    );
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    assert_eq!(
        pbx.refused(json!({"type": "accept", "call": "x"})).await,
        "forbidden"
    );

    // Nothing changed: a supervisor sees every agent still logged out, no call anywhere.
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    for agent in ["a1", "a2"] {
        let state = boss
            .expect_where("agent_state", |m| m["agent"] == agent)
            .await;
        assert_eq!(state["state"], "logged_out");
    }
    assert!(boss.backlog.iter().all(|m| m["type"] != "call_state"));
    // And the refused sessions are still up.
    wall.ok(json!({"type": "ping"})).await;
    agent.ok(json!({"type": "ping"})).await;
    pbx.ok(json!({"type": "ping"})).await;
    server.shutdown().await;
}

#[tokio::test]
async fn malformed_unknown_and_incomplete_messages_get_their_codes_and_the_session_stays() {
    let server = net::start("").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.send_text("{not json".into()).await;
    let reply = agent.next().await;
    assert_eq!(reply["code"], "malformed_json");
    assert_eq!(reply["id"], serde_json::Value::Null, "no id could be read");

    let reply = agent.request(json!({"type": "fly"})).await;
    assert_eq!(reply["code"], "unknown_type");
    assert_eq!(
        reply["id"], "c2",
        "the id comes back whenever it could be read"
    );

    let reply = agent.request(json!({"type": "accept"})).await;
    assert_eq!(reply["code"], "bad_message");
    assert!(
        reply["message"].as_str().unwrap().contains("call"),
        "{reply}"
    );
    let reply = agent.request(json!({"type": "accept", "call": 7})).await;
    assert_eq!(reply["code"], "bad_message");
    let reply = agent
        .request(json!({"type": "ready", "colour": "red"}))
        .await;
    assert_eq!(reply["code"], "bad_message");
    agent.send_text(json!({"type": "ready"}).to_string()).await;
    assert_eq!(
        agent.next().await["code"],
        "bad_message",
        "a command without id"
    );

    // An illegal transition: refused with the core's code, and the agent is unchanged.
    let code = agent.refused(json!({"type": "hold", "call": "nope"})).await;
    assert_eq!(code, "unknown_call");
    agent.ok(json!({"type": "login"})).await;
    let code = agent
        .refused(json!({"type": "not_ready", "reason": "nap"}))
        .await;
    assert_eq!(code, "unknown_reason");
    let code = agent.refused(json!({"type": "end_wrap_up"})).await;
    assert_eq!(code, "not_in_wrap_up");
    agent.ok(json!({"type": "ready"})).await;
    agent.expect_state("a1", "ready").await;
    assert!(
        agent.backlog.iter().all(|m| m["type"] != "agent_state"
            || m["state"] == "not_ready"
            || m["state"] == "logged_out"),
        "refused commands changed nothing: {:?}",
        agent.backlog
    );
    server.shutdown().await;
}

#[tokio::test]
async fn binary_frames_and_commands_before_auth_are_refused() {
    let server = net::start("").await;
    let mut client = Client::connect(&server, Via::Ws).await;
    let reply = client.request(json!({"type": "ready"})).await;
    assert_eq!(reply["code"], "not_authenticated");
    let socket = client.socket_mut();
    use futures_util::SinkExt;
    socket
        .send(tungstenite::Message::Binary(vec![1, 2, 3].into()))
        .await
        .unwrap();
    assert_eq!(client.next().await["code"], "binary_frame");
    client
        .ok(json!({"type": "auth", "user": "a1", "password": net::PASSWORD}))
        .await;
    server.shutdown().await;
}

#[tokio::test]
async fn too_many_refused_messages_close_with_1008() {
    let server = net::start("[limits]\nbad_messages_per_minute = 5\n").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    for _ in 0..5 {
        assert_eq!(agent.refused(json!({"type": "fly"})).await, "unknown_type");
    }
    agent.send_text("{}".into()).await;
    assert_eq!(agent.expect_close().await, 1008);
    server.shutdown().await;
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    let server = net::start("").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    let big = "x".repeat(64 * 1024 + 1);
    agent
        .send_text(json!({"id": "1", "type": "ping", "pad": big}).to_string())
        .await;
    assert_eq!(agent.expect_close().await, 1009);
    // A message just under the limit is an ordinary (refused) message.
    let (mut other, _) = Client::login(&server, Via::Ws, "a2").await;
    let pad = "x".repeat(60 * 1024);
    let reply = other.request(json!({"type": "ping", "pad": pad})).await;
    assert_eq!(reply["code"], "bad_message");
    server.shutdown().await;
}

#[tokio::test]
async fn no_auth_in_time_closes_with_4001() {
    let server = net::start("[limits]\nauth_timeout_secs = 1\n").await;
    let mut client = Client::connect(&server, Via::Ws).await;
    assert_eq!(client.expect_close().await, 4001);
    server.shutdown().await;
}

#[tokio::test]
async fn browsers_from_origins_not_allowed_are_refused_with_403() {
    let extra = "";
    let text = net::config_text(extra).replace(
        "wss = \"127.0.0.1:0\"",
        "wss = \"127.0.0.1:0\"\nallowed_origins = [\"https://acd.example.com\"]",
    );
    let file = acdhub::config::parse(&text, "test.toml").unwrap();
    let server = acdhub::server::Server::start(file).await.unwrap();

    let refused = net::open(&server, Via::Ws, Some("https://evil.example.net")).await;
    match refused {
        Err(tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403);
            let body: serde_json::Value =
                serde_json::from_slice(response.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["code"], "origin_not_allowed");
        }
        Err(other) => panic!("expected a 403, got {other}"),
        Ok(_) => panic!("expected a 403, the upgrade succeeded"),
    }
    // Listed origins, and the server's own origin (a page it served), may connect.
    assert!(
        net::open(&server, Via::Ws, Some("https://acd.example.com"))
            .await
            .is_ok()
    );
    let own = format!("http://{}", net::addr(&server, Via::Ws));
    assert!(net::open(&server, Via::Ws, Some(&own)).await.is_ok());
    let own_tls = format!("https://localhost:{}", net::addr(&server, Via::Wss).port());
    assert!(net::open(&server, Via::Wss, Some(&own_tls)).await.is_ok());
    // A page of the same host on a port that is not the server's is not its own.
    let ports = [
        server.ws_addr().unwrap().port(),
        server.wss_addr().unwrap().port(),
    ];
    let other = (1024..u16::MAX).find(|p| !ports.contains(p)).unwrap();
    let other_port = format!("https://localhost:{other}");
    assert!(
        net::open(&server, Via::Wss, Some(&other_port))
            .await
            .is_err()
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_without_origin_still_has_to_authenticate() {
    let server = net::start("").await;
    let mut client = Client::connect(&server, Via::Wss).await;
    assert_eq!(
        client.refused(json!({"type": "subscribe"})).await,
        "not_authenticated"
    );
    server.shutdown().await;
}
