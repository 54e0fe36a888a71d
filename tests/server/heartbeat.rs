//! The server pings every connection and closes one whose peer never answers. The client here
//! is a bare socket that completes the WebSocket handshake and then only reads, so it never
//! sends a pong.

use crate::net;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Reads one server frame (servers never mask): opcode and payload.
async fn frame(tcp: &mut TcpStream) -> (u8, Vec<u8>) {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.unwrap();
    let opcode = head[0] & 0x0f;
    let len = match head[1] & 0x7f {
        126 => {
            let mut n = [0u8; 2];
            tcp.read_exact(&mut n).await.unwrap();
            u16::from_be_bytes(n) as usize
        }
        127 => {
            let mut n = [0u8; 8];
            tcp.read_exact(&mut n).await.unwrap();
            u64::from_be_bytes(n) as usize
        }
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).await.unwrap();
    (opcode, payload)
}

#[tokio::test]
async fn a_peer_that_never_answers_pings_is_closed_with_4002() {
    let server = net::start(
        "[limits]\nping_interval_secs = 1\npong_timeout_secs = 1\nauth_timeout_secs = 60\n",
    )
    .await;
    let addr = server.ws_addr().unwrap();
    let mut tcp = net::upgrade_by_hand(addr).await;

    let (mut pings, mut texts) = (0, Vec::new());
    let code = tokio::time::timeout(net::PATIENCE, async {
        loop {
            match frame(&mut tcp).await {
                (0x1, payload) => {
                    let message: serde_json::Value = serde_json::from_slice(&payload).unwrap();
                    texts.push(message["type"].as_str().unwrap().to_owned());
                }
                (0x9, _) => pings += 1,
                (0x8, payload) => return u16::from_be_bytes([payload[0], payload[1]]),
                (opcode, _) => panic!("unexpected opcode {opcode}"),
            }
        }
    })
    .await
    .expect("the server closes the silent connection");
    assert_eq!(code, 4002);
    assert_eq!(
        pings, 1,
        "one ping, then the close when its pong is overdue"
    );
    // The greeting, then only heartbeats (one with each ping tick).
    assert_eq!(texts[0], "hello");
    assert!(
        texts.len() > 1 && texts[1..].iter().all(|t| t == "heartbeat"),
        "{texts:?}"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_connected_across_many_of_them() {
    let server = net::start("[limits]\nping_interval_secs = 1\npong_timeout_secs = 2\n").await;
    let (mut agent, _) = net::Client::login(&server, net::Via::Ws, "a1").await;
    // Reading answers each ping (tungstenite replies by itself), and a ping comes with each
    // heartbeat: five of them outlast the pong timeout, which would have closed a client that
    // did not answer. The session is still there and answers.
    agent.expect_heartbeats(5).await;
    agent.ok(serde_json::json!({"type": "ping"})).await;
    assert_eq!(server.connections().len(), 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_client_that_stops_reading_is_dropped_and_the_rest_go_on() {
    // The PBX below sends as fast as it is answered, about 9,000 calls a second for several
    // seconds until the kernel's buffers are full: right at telephony's default command budget,
    // which is not what this test is about.
    let server = net::start(
        "[limits]\npong_timeout_secs = 1\nping_interval_secs = 60\noutbound_queue = 16\n\
         telephony_commands_per_sec = 1000000\ntelephony_command_burst = 1000000\n",
    )
    .await;
    // A receive buffer of 64 KiB, fixed: what the supervisor's socket can hold does not depend
    // on the kernel's autotuning.
    let address = server.ws_addr().expect("ws listener");
    let (mut boss, _) =
        net::Client::login_with(address, net::Via::Ws, "boss", Some(64 * 1024)).await;
    boss.ok(serde_json::json!({"type": "subscribe"})).await;
    // From here on the supervisor reads nothing. Each call below sends it a call state (about
    // 300 bytes) and the queue's statistics, until the socket's buffers are full.
    let (mut pbx, _) = net::Client::login(&server, net::Via::Ws, "pbx").await;
    assert_eq!(server.connections().len(), 2);
    // The server closes it as too slow once its outbound queue is full, then gives it
    // SLOW_CLOSE_PATIENCE (5 s) to read its close frame before the connection is gone: on a fast
    // machine the calls below take less than that, so past them the test waits.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut sent = 0;
    while server.connections().len() == 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the silent supervisor was never dropped ({sent} calls sent)"
        );
        if sent >= 100_000 {
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        }
        let first = sent + 1;
        for _ in 0..200 {
            sent += 1;
            let call = serde_json::json!({"id": format!("k{sent}"), "type": "call_arrived", "call": format!("k-{sent}"), "queue": "support"});
            pbx.send_text(call.to_string()).await;
        }
        for id in first..=sent {
            assert_eq!(pbx.reply_to(&format!("k{id}")).await["type"], "ack");
        }
    }
    // The telephony session pipelined 200 commands at a time, far more than its outbound queue
    // holds: the server read ahead only as far as it could answer, and did not count it slow.
    // Nor was it held back by the stalled supervisor.
    pbx.ok(serde_json::json!({"type": "ping"})).await;
    assert_eq!(server.connections().len(), 1);
    server.shutdown().await;
}
