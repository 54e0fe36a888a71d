//! `/test/echo`, for conformance tests only (the Autobahn testsuite in tests/tools): a
//! WebSocket that sends back every message it receives, without the protocol, sign-in or
//! Origin rule, with limits big enough for the suite's 16 MiB messages. The router offers it
//! only when the process's environment sets [`ENV`] (never in production: the server warns
//! at start when it does). Its reads fail the connection as `/ws`'s do, so the suite tests
//! the same code.

use axum::extract::WebSocketUpgrade;
use axum::extract::ws::{Message, WebSocket};
use axum::response::Response;
use tokio_tungstenite::tungstenite;

use super::websocket::fail;

/// The environment variable that turns the endpoint on (any value).
pub const ENV: &str = "ACDHUB_TEST_ECHO_ENDPOINT";

/// The largest message and frame the echo takes: the suite's largest (16 MiB) and room.
const MAX_MESSAGE: usize = 20 * 1024 * 1024;

/// `GET /test/echo`.
pub async fn upgrade(upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .max_write_buffer_size(2 * MAX_MESSAGE)
        .on_upgrade(echo)
}

async fn echo(mut socket: WebSocket) {
    while let Some(received) = socket.recv().await {
        let reply = match received {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => message,
            // tungstenite answers pings and closes by itself.
            Ok(_) => continue,
            Err(error) => {
                let error = error.into_inner();
                if let Some(error) = error.downcast_ref::<tungstenite::Error>() {
                    fail(&mut socket, error).await;
                }
                return;
            }
        };
        if socket.send(reply).await.is_err() {
            return;
        }
    }
}
