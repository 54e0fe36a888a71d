//! What a session reads from and writes to, whatever carries it: the seam between the session
//! layer and the transports in `net`. A WebSocket and an HTTP link (SSE or long-poll) both
//! implement [`Socket`]; the session task is generic over it and never learns which rung it is
//! on. A rung changes only how messages are framed, how liveness is proved and how a close is
//! told.

use std::future::Future;

use crate::server::rung::Rung;

/// What the session reads from its connection.
#[derive(Debug)]
pub enum Incoming {
    Text(String),
    /// A binary WebSocket frame, or a POSTed body that is not UTF-8.
    Binary,
    /// The answer to the server's WebSocket ping.
    Pong,
    /// The client closed the connection.
    Close,
    /// A message over `max_message_bytes`.
    TooBig,
    /// A long-poll link not polled for too long: its client is gone.
    Dead,
}

/// The connection is gone: a write or read failed. What failed is for the debug log only.
#[derive(Debug, thiserror::Error)]
#[error("the connection is gone: {0}")]
pub struct Gone(pub String);

/// A session's connection. Every method is cancel-safe as the session uses it: a write raced
/// by a deadline that wins leaves the connection to be closed.
pub trait Socket: Send {
    /// The rung of the fallback ladder this connection is on.
    fn rung(&self) -> Rung;

    /// An HTTP link's id, which `hello` tells its client; `None` on a WebSocket.
    fn link_id(&self) -> Option<String> {
        None
    }

    /// An SSE link's `Last-Event-ID`: it stands for a `resume`'s `last_seq` left out.
    fn last_event_id(&self) -> Option<u64> {
        None
    }

    /// The next thing the client sent; `None` when the connection is gone.
    fn recv(&mut self) -> impl Future<Output = Option<Result<Incoming, Gone>>> + Send;

    /// Hands one message to the connection, unflushed; `seq` when it is an event.
    fn feed(
        &mut self,
        text: String,
        seq: Option<u64>,
    ) -> impl Future<Output = Result<(), Gone>> + Send;

    fn flush(&mut self) -> impl Future<Output = Result<(), Gone>> + Send;

    /// Sends a ping; true when the rung has pings and a pong is now awaited. (SSE proves
    /// nothing back; a long-poll link proves itself by polling, see [`Incoming::Dead`].)
    fn ping(&mut self) -> impl Future<Output = Result<bool, Gone>> + Send;

    /// Tells the client the session closes, with `code`, as the rung says it (a close frame,
    /// SSE's `event: close`, a long-poll's `closed`).
    fn close(&mut self, code: u16, reason: &str) -> impl Future<Output = Result<(), Gone>> + Send;
}
