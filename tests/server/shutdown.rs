//! Graceful shutdown: every client, authenticated or not, is closed with 1012 (service restart),
//! in process and when the real binary gets SIGTERM. Its log, at the most verbose level, holds
//! no password and no token. A tenant's engine that fails (a bug) closes every client with 1011
//! and ends the process with a failure status, for its service manager to restart it.

use crate::net;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};

use serde_json::json;

use crate::binary::Acdhub;
use crate::net::{Client, Via};

#[tokio::test]
async fn shutdown_closes_every_client_with_1012() {
    let server = net::start("").await;
    let mut anonymous = Client::connect(&server, Via::Ws).await;
    let (mut agent, _) = Client::login(&server, Via::Wss, "a1").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    assert_eq!(server.connections().len(), 3);
    let stopping = tokio::spawn(server.shutdown());
    for client in [&mut anonymous, &mut agent, &mut wall] {
        assert_eq!(client.expect_close().await, 1012);
    }
    stopping.await.unwrap();
}

/// The address the binary logged for `transport`.
fn listening(line: &str, transport: &str) -> Option<SocketAddr> {
    let at = line.find(&format!("listening for {transport} on "))?;
    let rest = &line[at + "listening for  on ".len() + transport.len()..];
    rest.split_whitespace().next()?.parse().ok()
}

#[tokio::test]
async fn sigterm_closes_every_client_with_1012_and_the_process_exits_cleanly() {
    let dir = std::env::temp_dir().join(format!("acdhub-shutdown-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acdhub.toml");
    std::fs::write(&file, net::config_text("")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .arg("--config")
        .arg(&file)
        .arg("--data")
        .arg(dir.join("data"))
        .env("RUST_LOG", "trace")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The log is read on a thread from the start, so a verbose server never blocks on a full
    // pipe; the addresses come over a channel, the whole log when the process ends.
    let stderr = child.stderr.take().unwrap();
    let (addresses, listening_on) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut log = String::new();
        for line in BufReader::new(stderr).lines() {
            let line = line.unwrap();
            for transport in ["ws", "wss"] {
                if let Some(addr) = listening(&line, transport) {
                    let _ = addresses.send((transport, addr));
                }
            }
            log.push_str(&line);
            log.push('\n');
        }
        log
    });
    let (mut ws, mut wss) = (None, None);
    while ws.is_none() || wss.is_none() {
        let (transport, addr) = listening_on
            .recv_timeout(net::PATIENCE)
            .expect("the server says where it listens");
        if transport == "ws" {
            ws = Some(addr);
        } else {
            wss = Some(addr);
        }
    }
    let (mut agent, result) = Client::login_at(ws.unwrap(), Via::Ws, "a1").await;
    let token = result["token"].as_str().unwrap().to_owned();
    let (mut wall, _) = Client::login_at(wss.unwrap(), Via::Wss, "wall").await;
    let mut by_token = Client::connect_at(ws.unwrap(), Via::Ws).await;
    by_token.ok(json!({"type": "auth", "token": token})).await;
    let mut anonymous = Client::connect_at(ws.unwrap(), Via::Ws).await;

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    for client in [&mut agent, &mut wall, &mut anonymous, &mut by_token] {
        assert_eq!(client.expect_close().await, 1012);
    }
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    let rest = reader.join().unwrap();
    assert!(rest.contains("stopped"), "{rest}");
    // Even at the most verbose level, no password or token reaches the log.
    assert!(rest.contains("authenticated"), "the log is verbose: {rest}");
    assert!(!rest.contains(net::PASSWORD), "a password in the log");
    assert!(!rest.contains(&token), "a token in the log");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A bug that makes a tenant's engine panic does not leave a server that answers but can no
/// longer serve the tenant: every session is closed with 1011 ("the server failed"), the process
/// exits with a failure status (the unit's Restart=on-failure starts it again), the log says
/// which tenant and why, and the restarted server has every call its journal has.
#[tokio::test]
async fn a_tenant_engine_that_panics_closes_every_session_with_1011_and_a_restart_recovers() {
    let dir = net::fresh_dir("engine-panic");
    let config = dir.join("acdhub.toml");
    std::fs::write(&config, net::config_text("")).unwrap();
    let acdhub = Acdhub::start_with_env(&config, &[("ACDHUB_TEST_ENGINE_PANIC", "boom")]).await;
    let (mut a1, _) = Client::login_at(acdhub.ws, Via::Ws, "a1").await;
    let (mut wall, _) = Client::login_at(acdhub.wss, Via::Wss, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    let (mut pbx, _) = Client::login_at(acdhub.ws, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "kept", "queue": "sales"}))
        .await;
    pbx.send(json!({"type": "call_arrived", "call": "boom", "queue": "sales"}))
        .await
        .unwrap();
    for client in [&mut pbx, &mut a1, &mut wall] {
        assert_eq!(client.expect_close().await, 1011);
    }
    let (status, log) = acdhub.exited().await;
    assert!(!status.success(), "a failure status: {status}\n{log}");
    assert!(
        log.contains("the tenant's engine failed") && log.contains("ACDHUB_TEST_ENGINE_PANIC"),
        "the log says which engine and why:\n{log}"
    );
    assert!(log.contains("closing every session with 1011"), "{log}");

    let acdhub = Acdhub::start(&config).await;
    let (mut pbx, _) = Client::login_at(acdhub.ws, Via::Ws, "pbx").await;
    let kept = pbx
        .expect_where("call_state", |m| m["call"] == "kept")
        .await;
    assert_eq!(kept["status"], "waiting", "{kept}");
    assert!(
        !pbx.backlog.iter().any(|m| m["call"] == "boom"),
        "the call that failed was never journaled: {:?}",
        pbx.backlog
    );
    drop(acdhub);
    let _ = std::fs::remove_dir_all(&dir);
}
