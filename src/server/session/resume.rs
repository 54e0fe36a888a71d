//! Sessions that outlive their connection: every authenticated session by its secret, and the
//! sessions whose connection dropped, parked for a while to be resumed (their recent events are
//! in their [`Replay`] buffers).
//!
//! A session is attached to one connection (a WebSocket, or an SSE or long-poll link) at a time.
//! When the connection drops, the session task *parks* what makes the session (its outbound
//! queue, its `seq`, its replay buffer, its engine) in the session's [`Slot`], and the engine
//! keeps queueing its events. A new connection that authenticates as the same user and names the
//! session in `resume` takes the parked session over and replays the events the client missed.
//! A session not resumed within `resume_secs` is ended, as a closed connection was before.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::protocol::Identity;
use crate::server::outbox::{Outgoing, SessionHandle, SessionNumber, SessionSecret};
use crate::server::rung::Rung;
use crate::server::tenant::Request;

use super::replay::Replay;

/// What a session is while no connection carries it.
pub struct Parked {
    pub handle: Arc<SessionHandle>,
    pub outgoing: mpsc::Receiver<Outgoing>,
    /// The `seq` of the last event written.
    pub seq: u64,
    pub replay: Replay,
    pub snapshot_written: u64,
    pub engine: mpsc::Sender<Request>,
    /// Tells this parking from a later one, so a reaper ends only the parking it was made for.
    park: u64,
}

impl Parked {
    pub fn new(
        handle: Arc<SessionHandle>,
        outgoing: mpsc::Receiver<Outgoing>,
        seq: u64,
        replay: Replay,
        snapshot_written: u64,
        engine: mpsc::Sender<Request>,
    ) -> Parked {
        Parked {
            handle,
            outgoing,
            seq,
            replay,
            snapshot_written,
            engine,
            park: 0,
        }
    }
}

enum State {
    /// A connection carries the session; notifying `takeover` asks it to park the session now.
    Attached {
        takeover: Arc<Notify>,
    },
    Parked(Box<Parked>),
    Ended,
}

/// One authenticated session, by its secret: whose it is, where it is, and what the server's
/// diagnostics tell about it.
pub struct Slot {
    /// The session's number, which logs and diagnostics show; the secret clients resume with is
    /// never shown.
    pub number: SessionNumber,
    pub identity: Arc<Identity>,
    pub started_at: Timestamp,
    state: Mutex<State>,
    parks: AtomicU64,
    pub stats: SlotStats,
}

/// A session's history, for `GET /sessions`.
#[derive(Default)]
pub struct SlotStats {
    rung: Mutex<Option<(Rung, SocketAddr)>>,
    /// Connections that have carried the session.
    pub connections: AtomicU32,
    pub resumes: AtomicU32,
    /// Connections closed because their client stopped answering (4002).
    pub heartbeat_misses: AtomicU32,
    /// The session began as a resync: its client asked to resume one that could not be.
    pub resync: AtomicBool,
    pub last_seq: AtomicU64,
}

impl SlotStats {
    pub fn connected(&self, rung: Rung, remote: SocketAddr) {
        *self.rung.lock().unwrap_or_else(|e| e.into_inner()) = Some((rung, remote));
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    fn disconnected(&self) {
        *self.rung.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }

    pub fn rung(&self) -> Option<(Rung, SocketAddr)> {
        *self.rung.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Slot {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn is_attached(&self) -> bool {
        matches!(*self.state(), State::Attached { .. })
    }
}

/// Why a session could not be resumed: the client gets a new session (a resync).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotResumed {
    /// No such session, or it has ended.
    Unknown,
    /// The session is another user's.
    NotYours,
    /// The connection carrying it did not let go in time.
    Busy,
    /// It no longer holds every event after the client's last (or its queue overflowed).
    EventsLost,
}

/// Every authenticated session, attached to a connection or parked, by its secret.
#[derive(Default)]
pub struct Resumable {
    slots: DashMap<SessionSecret, Arc<Slot>>,
}

impl Resumable {
    /// Registers a new session attached to the connection whose takeover signal is `takeover`.
    pub fn insert(
        &self,
        secret: SessionSecret,
        number: SessionNumber,
        identity: Arc<Identity>,
        started_at: Timestamp,
        takeover: Arc<Notify>,
    ) -> Arc<Slot> {
        let slot = Arc::new(Slot {
            number,
            identity,
            started_at,
            state: Mutex::new(State::Attached { takeover }),
            parks: AtomicU64::new(0),
            stats: SlotStats::default(),
        });
        self.slots.insert(secret, slot.clone());
        slot
    }

    /// Takes the session `secret` for a connection of `identity`. A session still attached to
    /// another connection is asked to park, and taken once it has (within `patience`).
    pub async fn take(
        &self,
        secret: &SessionSecret,
        identity: &Identity,
        takeover: Arc<Notify>,
        patience: Duration,
    ) -> Result<(Arc<Slot>, Box<Parked>), NotResumed> {
        let give_up = tokio::time::Instant::now() + patience;
        loop {
            let slot = self
                .slots
                .get(secret)
                .map(|s| s.clone())
                .ok_or(NotResumed::Unknown)?;
            if slot.identity.user != identity.user || slot.identity.tenant != identity.tenant {
                return Err(NotResumed::NotYours);
            }
            {
                let mut state = slot.state();
                match &*state {
                    State::Parked(_) => {
                        let State::Parked(parked) = std::mem::replace(
                            &mut *state,
                            State::Attached {
                                takeover: takeover.clone(),
                            },
                        ) else {
                            unreachable!("matched just above")
                        };
                        drop(state);
                        return Ok((slot, parked));
                    }
                    State::Attached { takeover: other } => other.notify_one(),
                    State::Ended => return Err(NotResumed::Unknown),
                }
            }
            if tokio::time::Instant::now() >= give_up {
                return Err(NotResumed::Busy);
            }
            // The other connection's task parks the session at its next turn: a rare event,
            // so a short poll is simpler than a notification both ways.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Parks the session of `slot` until a client resumes it, or `keep` passes (or its queue
    /// overflows, or the server stops), when the session ends and its engine forgets it.
    pub fn park(
        self: &Arc<Self>,
        secret: SessionSecret,
        slot: Arc<Slot>,
        mut parked: Parked,
        keep: Duration,
        shutdown: CancellationToken,
    ) {
        let park = slot.parks.fetch_add(1, Ordering::Relaxed) + 1;
        parked.park = park;
        slot.stats.disconnected();
        slot.stats.last_seq.store(parked.seq, Ordering::Relaxed);
        let handle = parked.handle.clone();
        *slot.state() = State::Parked(Box::new(parked));
        let resumable = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(keep) => {}
                () = handle.closing() => {}
                () = shutdown.cancelled() => {}
            }
            let reaped = {
                let mut state = slot.state();
                match &*state {
                    State::Parked(parked) if parked.park == park => {
                        match std::mem::replace(&mut *state, State::Ended) {
                            State::Parked(parked) => Some(parked),
                            _ => unreachable!("matched just above"),
                        }
                    }
                    _ => None,
                }
            };
            if let Some(parked) = reaped {
                tracing::debug!(session = %slot.number, "not resumed in time: session ended");
                resumable.end(&secret, &slot, &parked.engine).await;
            }
        });
    }

    /// Ends the session for good: it cannot be resumed any more, and its engine forgets it.
    pub async fn end(&self, secret: &SessionSecret, slot: &Slot, engine: &mpsc::Sender<Request>) {
        *slot.state() = State::Ended;
        slot.stats.disconnected();
        self.slots.remove(secret);
        let detach = Request::Detach {
            session: slot.number,
        };
        let _ = engine.send(detach).await;
    }

    /// Every session, for `GET /sessions`.
    pub fn slots(&self) -> Vec<Arc<Slot>> {
        self.slots.iter().map(|s| s.value().clone()).collect()
    }
}
