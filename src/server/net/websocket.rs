//! The WebSocket rung: `/ws` on either listener (wss and ws), upgraded with the protocol's
//! subprotocol and tungstenite's buffers and limits, and [`WsSocket`], the session's
//! [`Socket`] over it.

use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use futures_util::{Sink, SinkExt};
use tokio_tungstenite::tungstenite;

use crate::protocol::{SUBPROTOCOL, close};
use crate::server::rung::Rung;
use crate::server::session::{self, Gone, Incoming, Socket};

use super::origin::AllowedOrigin;
use super::rungs::{CLIENT_SLOT_WAIT, server_full, shutting_down, too_many_unauthenticated};
use super::{MAX_WRITE_BUFFER_SIZE, Net, Peer, READ_BUFFER_SIZE, WRITE_BUFFER_SIZE};

/// `GET /ws`: a WebSocket for one session, from an allowed origin.
pub async fn upgrade(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    upgrade: WebSocketUpgrade,
    _origin: AllowedOrigin,
) -> Response {
    // One address may have so many clients that have not signed in.
    let Some(sign_in) = net.sessions.sign_in_slot(peer.remote.ip()) else {
        return too_many_unauthenticated(&net);
    };
    // A client slot, waited for: past `max_connections` a client waits as it would in the
    // kernel's backlog, for as long as a handshake may take.
    let client = tokio::select! {
        // A stop under way answers `unavailable` even if a slot is free at the same moment.
        biased;
        () = net.sessions.shutdown().cancelled() => return shutting_down(),
        slot = tokio::time::timeout(CLIENT_SLOT_WAIT, net.clients.clone().acquire_owned()) => slot,
    };
    let Ok(Ok(client)) = client else {
        return server_full(&net);
    };
    peer.carries_a_client();
    let max_message = net.sessions.limits().max_message_bytes as usize;
    let tracker = net.sessions.tasks().clone();
    let sessions = net.sessions.clone();
    upgrade
        .protocols([SUBPROTOCOL])
        .read_buffer_size(READ_BUFFER_SIZE)
        .write_buffer_size(WRITE_BUFFER_SIZE)
        .max_write_buffer_size(MAX_WRITE_BUFFER_SIZE)
        .max_message_size(max_message)
        .max_frame_size(max_message)
        .on_upgrade(move |socket| {
            let socket = WsSocket {
                socket: Box::new(socket),
                rung: Rung::websocket(peer.transport),
            };
            tracker.track_future(async move {
                let _slots = (peer.permit, client);
                session::serve(socket, sessions, peer.remote, sign_in).await;
            })
        })
}

/// A session's WebSocket, boxed: the futures that carry it (the upgrade's, the session's)
/// each keep their own copy of what they were handed, so a pointer is what they should copy.
pub struct WsSocket {
    socket: Box<WebSocket>,
    rung: Rung,
}

fn gone(error: axum::Error) -> Gone {
    Gone(error.to_string())
}

/// How long a client that broke the protocol is given to take the close frame that says so,
/// before its connection is dropped anyway.
const VIOLATION_CLOSE_PATIENCE: Duration = Duration::from_secs(1);

/// A read error: tungstenite's refusal of a message or frame over the size limit is the
/// client's `TooBig`; a frame RFC 6455 forbids or a text that is not UTF-8 fails the
/// connection with the close frame that names it (see [`fail`]); anything else means the
/// connection is gone.
async fn read_failed(socket: &mut WebSocket, error: axum::Error) -> Result<Incoming, Gone> {
    let inner = error.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Ok(Incoming::TooBig),
        Some(error) => {
            fail(socket, error).await;
            Err(Gone(error.to_string()))
        }
        None => Err(Gone(inner.to_string())),
    }
}

/// The close code RFC 6455 gives `error` when it is the client's breach of the protocol: 1007
/// for a text that is not UTF-8, 1002 for a frame the RFC forbids. `None` when the connection
/// is gone or the fault is not the client's.
fn violation_code(error: &tungstenite::Error) -> Option<u16> {
    use tungstenite::error::ProtocolError;
    match error {
        tungstenite::Error::Utf8(_) => Some(close::INVALID_PAYLOAD),
        tungstenite::Error::Protocol(
            ProtocolError::ResetWithoutClosingHandshake
            | ProtocolError::SendAfterClosing
            | ProtocolError::ReceivedAfterClosing,
        ) => None,
        tungstenite::Error::Protocol(_) => Some(close::PROTOCOL_ERROR),
        _ => None,
    }
}

/// Fails the connection as RFC 6455 7.1.7 asks, if `error` is the client's breach of the
/// protocol: a close frame with its code and tungstenite's words for it, written within
/// [`VIOLATION_CLOSE_PATIENCE`]; the caller then drops the connection without waiting for the
/// client's answer. Best effort: a client that does not read loses only the frame.
pub(super) async fn fail(socket: &mut WebSocket, error: &tungstenite::Error) {
    let Some(code) = violation_code(error) else {
        return;
    };
    let mut reason = match error {
        tungstenite::Error::Protocol(violation) => violation.to_string(),
        other => other.to_string(),
    };
    // A close frame's reason is at most 123 bytes.
    while reason.len() > 123 {
        reason.pop();
    }
    let frame = CloseFrame {
        code,
        reason: reason.into(),
    };
    let close = socket.send(Message::Close(Some(frame)));
    if tokio::time::timeout(VIOLATION_CLOSE_PATIENCE, close)
        .await
        .is_err()
    {
        tracing::debug!(
            code,
            "the close frame of a protocol violation was not taken in time"
        );
    }
}

impl Socket for WsSocket {
    fn rung(&self) -> Rung {
        self.rung
    }

    async fn recv(&mut self) -> Option<Result<Incoming, Gone>> {
        loop {
            return match self.socket.recv().await? {
                // Boxed: rare, and its close frame's write would otherwise be part of what
                // every idle connection's future holds.
                Err(error) => Some(Box::pin(read_failed(&mut self.socket, error)).await),
                Ok(Message::Text(text)) => Some(Ok(Incoming::Text(text.as_str().to_owned()))),
                Ok(Message::Binary(_)) => Some(Ok(Incoming::Binary)),
                Ok(Message::Pong(_)) => Some(Ok(Incoming::Pong)),
                // tungstenite answers pings by itself.
                Ok(Message::Ping(_)) => continue,
                Ok(Message::Close(_)) => Some(Ok(Incoming::Close)),
            };
        }
    }

    async fn feed(&mut self, text: String, _seq: Option<u64>) -> Result<(), Gone> {
        self.socket
            .feed(Message::Text(text.into()))
            .await
            .map_err(gone)
    }

    async fn flush(&mut self) -> Result<(), Gone> {
        self.socket.flush().await.map_err(gone)
    }

    async fn ping(&mut self) -> Result<bool, Gone> {
        self.socket
            .send(Message::Ping(Default::default()))
            .await
            .map_err(gone)?;
        Ok(true)
    }

    async fn close(&mut self, code: u16, reason: &str) -> Result<(), Gone> {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        // Queued at once, behind what the socket holds unwritten, without waiting for that to
        // drain first as `send` would (`poll_ready`): a client that stopped reading and reads
        // again while the server still waits gets its backlog, then the close frame.
        // tokio-tungstenite takes a message without `poll_ready` (it only buffers it).
        Pin::new(&mut self.socket)
            .start_send(Message::Close(Some(frame)))
            .map_err(gone)?;
        self.socket.flush().await.map_err(gone)?;
        // The closing handshake: what the client still sends is read and dropped until its
        // close frame, so the connection does not end with unread data, which makes the kernel
        // reset it and the client lose the close frame.
        while let Some(Ok(message)) = self.socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tungstenite::error::ProtocolError;

    #[test]
    fn a_breach_of_the_protocol_is_named_by_its_close_code_and_a_lost_connection_is_not() {
        let code = |error| violation_code(&error);
        assert_eq!(code(tungstenite::Error::Utf8("bad".into())), Some(1007));
        for violation in [
            ProtocolError::ControlFrameTooBig,
            ProtocolError::FragmentedControlFrame,
            ProtocolError::NonZeroReservedBits,
            ProtocolError::UnmaskedFrameFromClient,
            ProtocolError::UnexpectedContinueFrame,
            ProtocolError::InvalidCloseSequence,
            ProtocolError::UnknownControlFrameType(11),
        ] {
            assert_eq!(code(tungstenite::Error::Protocol(violation)), Some(1002));
        }
        for gone in [
            tungstenite::Error::Protocol(ProtocolError::ResetWithoutClosingHandshake),
            tungstenite::Error::ConnectionClosed,
            tungstenite::Error::Io(std::io::ErrorKind::ConnectionReset.into()),
        ] {
            assert_eq!(code(gone), None);
        }
    }
}
