//! WebSocket protocol violations, written by hand on a bare socket after a real upgrade: the
//! server fails the connection the way RFC 6455 §7.1.7 asks, with a close frame whose code
//! names the fault (1002 protocol error, 1007 invalid UTF-8) before the TCP connection ends,
//! while a signed-in client on the same server goes on being answered.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant;

use crate::net::{self, Client, PATIENCE, Via};

/// The most a signed-in client's `ping` may take while the violations go on (a shared machine
/// of 2 cores; on a quiet one it takes well under a millisecond).
const ROUND_TRIP_BOUND: Duration = Duration::from_secs(1);

/// The masking key of every client frame here (any key will do; not zero, so the server has
/// to unmask).
const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// One frame as a client writes it: FIN, the reserved bits `rsv` (ORed into the first byte:
/// 0x40 is RSV1, 0x20 RSV2, 0x10 RSV3), opcode, masked unless `masked` is false.
fn frame(fin: bool, rsv: u8, opcode: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut bytes = vec![(u8::from(fin) << 7) | rsv | opcode];
    let mask_bit = if masked { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => bytes.push(mask_bit | n as u8),
        n @ 126..=0xffff => {
            bytes.push(mask_bit | 126);
            bytes.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            bytes.push(mask_bit | 127);
            bytes.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if masked {
        bytes.extend_from_slice(&MASK);
        bytes.extend(payload.iter().zip(MASK.iter().cycle()).map(|(b, m)| b ^ m));
    } else {
        bytes.extend_from_slice(payload);
    }
    bytes
}

fn masked(fin: bool, opcode: u8, payload: &[u8]) -> Vec<u8> {
    frame(fin, 0, opcode, payload, true)
}

/// A bare socket on `/ws`, upgraded by hand, its greeting read.
async fn upgraded(addr: std::net::SocketAddr) -> TcpStream {
    let mut tcp = net::upgrade_by_hand(addr).await;
    let (opcode, hello) = read_frame(&mut tcp).await.expect("the greeting");
    assert_eq!(opcode, 0x1, "the greeting is text");
    assert!(String::from_utf8_lossy(&hello).contains("hello"));
    tcp
}

/// Reads one server frame (servers never mask): opcode and payload; `None` once the server
/// ended the connection.
async fn read_frame(tcp: &mut TcpStream) -> Option<(u8, Vec<u8>)> {
    let mut head = [0u8; 2];
    tcp.read_exact(&mut head).await.ok()?;
    let len = match head[1] & 0x7f {
        126 => tcp.read_u16().await.ok()? as usize,
        127 => tcp.read_u64().await.ok()? as usize,
        n => n as usize,
    };
    let mut payload = vec![0u8; len];
    tcp.read_exact(&mut payload).await.ok()?;
    Some((head[0] & 0x0f, payload))
}

/// What the server answers `frames` with: the close code it sends, once it has also ended the
/// TCP connection; `Err` says what it did instead.
async fn close_code_for(addr: std::net::SocketAddr, frames: &[u8]) -> Result<u16, String> {
    let mut tcp = upgraded(addr).await;
    tcp.write_all(frames).await.unwrap();
    let code = tokio::time::timeout(PATIENCE, async {
        loop {
            match read_frame(&mut tcp).await {
                Some((0x8, payload)) if payload.len() >= 2 => {
                    break Ok(u16::from_be_bytes([payload[0], payload[1]]));
                }
                Some((0x8, payload)) => {
                    break Err(format!("a close frame without a code: {payload:?}"));
                }
                // Pongs, heartbeats: not what is looked for.
                Some(_) => {}
                None => break Err("the connection ended without a close frame".to_owned()),
            }
        }
    })
    .await
    .map_err(|_| "no answer in time".to_owned())??;
    let ended = tokio::time::timeout(PATIENCE, async {
        let mut rest = [0u8; 64];
        while tcp.read(&mut rest).await.is_ok_and(|n| n > 0) {}
    })
    .await;
    match ended {
        Ok(()) => Ok(code),
        Err(_) => Err(format!("closed with {code} but the connection stayed open")),
    }
}

#[tokio::test]
async fn each_protocol_violation_gets_a_close_frame_with_its_code_before_the_connection_ends() {
    let server = net::start("").await;
    let addr = server.ws_addr().unwrap();
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;

    let text_start = masked(false, 0x1, b"{\"type\":");
    let violations: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "a ping of 126 bytes (control frames carry at most 125)",
            masked(true, 0x9, &[b'x'; 126]),
            1002,
        ),
        ("a fragmented ping", masked(false, 0x9, b"part"), 1002),
        (
            "a close frame of one byte",
            masked(true, 0x8, &[0x03]),
            1002,
        ),
        (
            "a text frame with RSV1 set (no extension was negotiated)",
            frame(true, 0x40, 0x1, b"{}", true),
            1002,
        ),
        (
            "a text frame with RSV3 set",
            frame(true, 0x10, 0x1, b"{}", true),
            1002,
        ),
        ("the reserved data opcode 3", masked(true, 0x3, b"x"), 1002),
        (
            "the reserved control opcode 11",
            masked(true, 0xb, b""),
            1002,
        ),
        (
            "an unmasked client frame",
            frame(true, 0, 0x1, br#"{"type":"ping","id":"1"}"#, false),
            1002,
        ),
        (
            "a continuation with nothing to continue",
            masked(true, 0x0, b"orphan"),
            1002,
        ),
        (
            "a new text frame inside a fragmented message",
            [text_start.clone(), masked(true, 0x1, b"{}")].concat(),
            1002,
        ),
        (
            "a text message that is not UTF-8",
            masked(true, 0x1, &[b'{', 0xc3, 0x28, b'}']),
            1007,
        ),
        (
            "a fragmented text message whose whole is not UTF-8",
            [text_start, masked(true, 0x0, &[0xed, 0xa0, 0x80])].concat(),
            1007,
        ),
    ];

    let mut wrong = Vec::new();
    for (violation, frames, expected) in violations {
        match close_code_for(addr, &frames).await {
            Ok(code) if code == expected => {}
            Ok(code) => wrong.push(format!("{violation}: closed with {code}, not {expected}")),
            Err(what) => wrong.push(format!("{violation}: {what} (expected {expected})")),
        }

        let sent = Instant::now();
        agent.ok(json!({"type": "ping"})).await;
        let round_trip = sent.elapsed();
        assert!(
            round_trip < ROUND_TRIP_BOUND,
            "a signed-in client's ping took {round_trip:?} after {violation}"
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// `/test/echo` exists only where the process's environment asks for it
/// (`ACDHUB_TEST_ECHO_ENDPOINT`, which only the Autobahn run sets): a server started without it
/// answers the echo's upgrade 404.
#[tokio::test]
async fn the_test_echo_endpoint_is_not_routed_without_its_environment_variable() {
    assert!(
        std::env::var_os("ACDHUB_TEST_ECHO_ENDPOINT").is_none(),
        "this test process must not set it"
    );
    let server = net::start("").await;
    let addr = server.ws_addr().unwrap();
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "GET /test/echo HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut head = [0u8; 12];
    tcp.read_exact(&mut head).await.unwrap();
    assert_eq!(&head, b"HTTP/1.1 404", "{}", String::from_utf8_lossy(&head));
    server.shutdown().await;
}

/// A request to `/ws` that is not a WebSocket upgrade is answered with its status and the
/// reason in words, changes nothing, and the next real upgrade is served.
#[tokio::test]
async fn a_request_that_is_not_an_upgrade_gets_its_status_and_reason() {
    let server = net::start("").await;
    let addr = server.ws_addr().unwrap();
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let cases = [
        (
            "POST",
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n",
            405,
            "",
        ),
        (
            "GET",
            "",
            400,
            "Connection header did not include 'upgrade'",
        ),
        (
            "GET",
            "Connection: Upgrade\r\n",
            400,
            "`Upgrade` header did not include 'websocket'",
        ),
        (
            "GET",
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n",
            400,
            "`Sec-WebSocket-Version` header did not include '13'",
        ),
        (
            "GET",
            "Upgrade: websocket\r\nConnection: close, Upgrade\r\nSec-WebSocket-Version: 13\r\n",
            400,
            "`Sec-WebSocket-Key` header missing",
        ),
    ];
    for (method, headers, status, reason) in cases {
        // The key goes with every request but the one that lacks it.
        let key = if reason.contains("Key") { "" } else { key };
        let (answered, body) =
            net::http_request(addr, method, "/ws", &format!("{headers}{key}")).await;
        assert_eq!(answered, status, "{method} with {headers:?}: {body}");
        assert_eq!(body, reason, "{method} with {headers:?}");
    }
    // The server still upgrades and serves.
    let (mut client, _) = Client::login(&server, Via::Ws, "a1").await;
    client.ok(json!({"type": "ping"})).await;
    server.shutdown().await;
}
