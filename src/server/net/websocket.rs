//! The WebSocket rung: `/ws` on either listener (wss and ws), upgraded with the protocol's
//! subprotocol, and [`WsSocket`], the session's [`Socket`] over our WebSocket connection
//! ([`super::ws`]).

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use crate::protocol::SUBPROTOCOL;
use crate::server::rung::Rung;
use crate::server::session::{self, Gone, Incoming, Socket};

use super::origin::AllowedOrigin;
use super::rungs::{CLIENT_SLOT_WAIT, server_full, shutting_down, too_many_unauthenticated};
use super::ws::{Message, ReadError, Stream, Violation, WsConn, WsUpgrade};
use super::{Net, Peer};

/// `GET /ws`: a WebSocket for one session, from an allowed origin.
pub async fn upgrade(
    State(net): State<Arc<Net>>,
    axum::Extension(peer): axum::Extension<Peer>,
    upgrade: WsUpgrade,
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
    upgrade.on_upgrade(Some(SUBPROTOCOL), move |stream| {
        let socket = WsSocket {
            socket: Box::new(WsConn::new(stream, max_message)),
            rung: Rung::websocket(peer.transport),
        };
        let slots = (peer.permit, client);
        tracker.track_future(session::serve(
            socket,
            sessions,
            peer.remote,
            sign_in,
            slots,
        ))
    })
}

/// A session's WebSocket, boxed: the futures that carry it (the upgrade's, the session's)
/// each keep their own copy of what they were handed, so a pointer is what they should copy.
pub struct WsSocket {
    socket: Box<WsConn<Stream>>,
    rung: Rung,
}

fn gone(error: std::io::Error) -> Gone {
    Gone(error.to_string())
}

/// A read error: a message over the size limit is the client's `TooBig`; a frame RFC 6455
/// forbids or a text that is not UTF-8 fails the connection with the close frame that names it
/// ([`WsConn::fail`]); anything else means the connection is gone.
async fn read_failed(socket: &mut WsConn<Stream>, error: ReadError) -> Result<Incoming, Gone> {
    match error {
        ReadError::Violation(Violation::TooBig) => Ok(Incoming::TooBig),
        ReadError::Violation(violation) => {
            socket.fail(violation).await;
            Err(Gone(violation.to_string()))
        }
        ReadError::Io(error) => Err(gone(error)),
    }
}

impl Socket for WsSocket {
    fn rung(&self) -> Rung {
        self.rung
    }

    async fn recv(&mut self) -> Option<Result<Incoming, Gone>> {
        Some(match self.socket.recv().await? {
            // Boxed: rare, and its close frame's write would otherwise be part of what every
            // idle connection's future holds.
            Err(error) => Box::pin(read_failed(&mut self.socket, error)).await,
            Ok(Message::Text(text)) => Ok(Incoming::Text(text)),
            Ok(Message::Binary(_)) => Ok(Incoming::Binary),
            Ok(Message::Pong) => Ok(Incoming::Pong),
            Ok(Message::Close(_)) => Ok(Incoming::Close),
        })
    }

    async fn feed(&mut self, text: String, _seq: Option<u64>) -> Result<(), Gone> {
        self.socket.feed_text(&text).map_err(gone)?;
        if self.socket.batch_full() {
            // Boxed: a batch this large is rare, and the write's future would otherwise be part
            // of every write's, and so of what every idle connection's task holds.
            Box::pin(self.socket.write_out()).await.map_err(gone)?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Gone> {
        self.socket.flush().await.map_err(gone)
    }

    async fn ping(&mut self) -> Result<bool, Gone> {
        self.socket.ping().await.map_err(gone)?;
        Ok(true)
    }

    async fn close(&mut self, code: u16, reason: &str) -> Result<(), Gone> {
        // Queued at once, behind what the socket holds unwritten: a client that stopped
        // reading and reads again while the server still waits gets its backlog, then the
        // close frame; then the closing handshake.
        self.socket.close(code, reason).await.map_err(gone)
    }
}
