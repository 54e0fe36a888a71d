//! `/test/echo`, for conformance tests only (the Autobahn testsuite in tests/tools): a
//! WebSocket that sends back every message it receives, without the protocol, sign-in or
//! Origin rule, with limits big enough for the suite's 16 MiB messages. The router offers it
//! only when the process's environment sets [`ENV`] (never in production: the server warns
//! at start when it does). Its reads fail the connection as `/ws`'s do, so the suite tests
//! the same code.

use axum::response::Response;

use crate::protocol::close;

use super::ws::frame::Opcode;
use super::ws::{Message, ReadError, Stream, Violation, WsConn, WsUpgrade};

/// The environment variable that turns the endpoint on (any value).
pub const ENV: &str = "ACDHUB_TEST_ECHO_ENDPOINT";

/// The largest message the echo takes: the suite's largest (16 MiB) and room.
const MAX_MESSAGE: usize = 20 * 1024 * 1024;

/// `GET /test/echo`.
pub async fn upgrade(upgrade: WsUpgrade) -> Response {
    upgrade.on_upgrade(None, echo)
}

async fn echo(stream: Stream) {
    let mut socket = WsConn::new(stream, MAX_MESSAGE);
    while let Some(received) = socket.recv().await {
        let sent = match received {
            Ok(Message::Text(text)) => socket.feed_text(&text),
            Ok(Message::Binary(data)) => socket.feed(Opcode::Binary, &data),
            Ok(Message::Pong) => continue,
            // The answer is queued: send it.
            Ok(Message::Close(_)) => {
                let _ = socket.flush().await;
                return;
            }
            Err(ReadError::Violation(Violation::TooBig)) => {
                let _ = socket
                    .close(close::MESSAGE_TOO_BIG, "message too big")
                    .await;
                return;
            }
            Err(ReadError::Violation(violation)) => return socket.fail(violation).await,
            Err(ReadError::Io(_)) => return,
        };
        if sent.is_err() || socket.flush().await.is_err() {
            return;
        }
    }
}
