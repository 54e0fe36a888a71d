//! A session's outbound queue and its handle, through which engines and the session itself
//! send to one client.
//!
//! The queue is bounded. Whoever finds it full closes the session as too slow (4008) rather than
//! wait for it or drop a message silently: an agent that misses an offer is worse off than one
//! that reconnects. (Latest-wins coalescing for wallboard statistics comes with the wallboard
//! feed.)

use std::sync::{Arc, OnceLock};

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::protocol::close;

/// One thing to write to the client.
#[derive(Debug)]
pub enum Outgoing {
    /// An event without its `seq`: the session numbers it as it writes.
    Event(Arc<str>),
    /// A snapshot: many events in one slot of the queue, so that a supervisor's view of a
    /// large tenant never counts as a client falling behind.
    Events(Vec<Arc<str>>),
    /// A reply or greeting, written as is.
    Reply(String),
    /// An engine's reply to a command the session forwarded: written as is, and one command
    /// fewer in flight.
    Answer(String),
}

/// Why and how a session is being closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CloseReason {
    pub code: u16,
    pub reason: &'static str,
}

/// The sending side of one session. Cheap to share (`Arc`); every method is non-blocking.
#[derive(Debug)]
pub struct SessionHandle {
    pub id: u64,
    queue: mpsc::Sender<Outgoing>,
    closing: CancellationToken,
    close_reason: OnceLock<CloseReason>,
}

impl SessionHandle {
    /// A handle and the receiving end of its queue, which only the session task reads.
    pub fn new(id: u64, capacity: usize) -> (Arc<SessionHandle>, mpsc::Receiver<Outgoing>) {
        let (queue, receiver) = mpsc::channel(capacity);
        let handle = SessionHandle {
            id,
            queue,
            closing: CancellationToken::new(),
            close_reason: OnceLock::new(),
        };
        (Arc::new(handle), receiver)
    }

    pub fn send_event(&self, payload: &Arc<str>) {
        self.push(Outgoing::Event(payload.clone()));
    }

    pub fn send_events(&self, payloads: Vec<Arc<str>>) {
        if !payloads.is_empty() {
            self.push(Outgoing::Events(payloads));
        }
    }

    pub fn send_reply(&self, text: String) {
        self.push(Outgoing::Reply(text));
    }

    /// The reply to a command the session forwarded to an engine.
    pub fn send_answer(&self, text: String) {
        self.push(Outgoing::Answer(text));
    }

    fn push(&self, item: Outgoing) {
        match self.queue.try_send(item) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => self.close(CloseReason {
                code: close::SLOW_CONSUMER,
                reason: "too slow: outbound queue full",
            }),
            // The session is gone; whatever it was sent no longer has a reader.
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }

    /// Asks the session to close with `reason`. The first reason given wins.
    pub fn close(&self, reason: CloseReason) {
        let _ = self.close_reason.set(reason);
        self.closing.cancel();
    }

    /// Resolves when someone asked the session to close.
    pub async fn closing(&self) {
        self.closing.cancelled().await;
    }

    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason.get().copied()
    }
}
