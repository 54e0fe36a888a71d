//! The WebSocket rung: `/ws` on either listener (wss and ws), upgraded with the protocol's
//! subprotocol and tungstenite's buffers and limits, and [`WsSocket`], the session's
//! [`Socket`] over it.

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use axum::extract::{State, WebSocketUpgrade};
use axum::response::Response;
use futures_util::SinkExt;
use tokio_tungstenite::tungstenite;

use crate::protocol::SUBPROTOCOL;
use crate::server::rung::Rung;
use crate::server::session::{self, Gone, Incoming, Socket};

use super::origin::AllowedOrigin;
use super::{MAX_WRITE_BUFFER_SIZE, Net, Peer, READ_BUFFER_SIZE, WRITE_BUFFER_SIZE};

/// `GET /ws`: a WebSocket for one session, from an allowed origin.
pub async fn upgrade(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    upgrade: WebSocketUpgrade,
    _origin: AllowedOrigin,
) -> Response {
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
            tracker.track_future(async move {
                let _permit = peer.permit;
                let socket = WsSocket {
                    socket,
                    rung: Rung::websocket(peer.transport),
                };
                session::serve(socket, sessions, peer.remote).await;
            })
        })
}

/// A session's WebSocket.
pub struct WsSocket {
    socket: WebSocket,
    rung: Rung,
}

fn gone(error: axum::Error) -> Gone {
    Gone(error.to_string())
}

/// A read error: tungstenite's refusal of a message or frame over the size limit is the
/// client's `TooBig`; anything else means the connection is gone.
fn read_failed(error: axum::Error) -> Result<Incoming, Gone> {
    let inner = error.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Ok(Incoming::TooBig),
        _ => Err(Gone(inner.to_string())),
    }
}

impl Socket for WsSocket {
    fn rung(&self) -> Rung {
        self.rung
    }

    async fn recv(&mut self) -> Option<Result<Incoming, Gone>> {
        loop {
            return match self.socket.recv().await? {
                Err(error) => Some(read_failed(error)),
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
        self.socket
            .send(Message::Close(Some(frame)))
            .await
            .map_err(gone)
    }
}
