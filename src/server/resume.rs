//! Sessions that outlive their connection: each authenticated session's recent events, kept to
//! replay, and the sessions whose connection dropped, kept for a while to be resumed.
//!
//! A session is attached to one connection (a WebSocket, or an SSE or long-poll link) at a time.
//! When the connection drops, the session task *parks* what makes the session (its outbound
//! queue, its `seq`, its replay buffer, its engine) in the session's [`Slot`], and the engine
//! keeps queueing its events. A new connection that authenticates as the same user and names the
//! session in `resume` takes the parked session over and replays the events the client missed.
//! A session not resumed within `resume_secs` is ended, as a closed connection was before.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::auth::Identity;
use super::engine::Request;
use super::outbox::{Outgoing, SessionHandle};
use super::registry::Rung;

/// A session's recent events, numbered, for a client that resumes: at most `max` of them, none
/// older than `max_age`. Payloads are the shared ones every session got, so an entry costs a
/// pointer and two numbers.
#[derive(Debug)]
pub struct Replay {
    entries: VecDeque<(u64, Arc<str>, Instant)>,
    max: usize,
    max_age: Duration,
}

impl Replay {
    pub fn new(max: usize, max_age: Duration) -> Replay {
        Replay {
            entries: VecDeque::new(),
            max,
            max_age,
        }
    }

    pub fn push(&mut self, seq: u64, payload: Arc<str>, now: Instant) {
        if self.entries.len() == self.max {
            self.entries.pop_front();
        }
        self.entries.push_back((seq, payload, now));
        self.forget_old(now);
    }

    fn forget_old(&mut self, now: Instant) {
        while let Some((_, _, at)) = self.entries.front() {
            if now.duration_since(*at) <= self.max_age {
                break;
            }
            self.entries.pop_front();
        }
    }

    /// The events after `last_seq`, if every one of them is still here (`seq` is the session's
    /// last event); `None` if some are gone, or `last_seq` is ahead of the session.
    pub fn after(&mut self, last_seq: u64, seq: u64, now: Instant) -> Option<Vec<(u64, Arc<str>)>> {
        self.forget_old(now);
        if last_seq > seq {
            return None;
        }
        if last_seq == seq {
            return Some(Vec::new());
        }
        let first = self.entries.front()?.0;
        if first > last_seq + 1 {
            return None;
        }
        Some(
            self.entries
                .iter()
                .filter(|(s, _, _)| *s > last_seq)
                .map(|(s, payload, _)| (*s, payload.clone()))
                .collect(),
        )
    }
}

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

/// One authenticated session, by its id: whose it is, where it is, and what the server's
/// diagnostics tell about it.
pub struct Slot {
    /// The session's number (its outbound handle's id), which logs and diagnostics show; the
    /// id clients resume with is a secret and is never shown.
    pub number: u64,
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
    pub links: AtomicU32,
    pub resumes: AtomicU32,
    /// Connections closed because their client stopped answering (4002).
    pub heartbeat_misses: AtomicU32,
    /// The session began as a resync: its client asked to resume one that could not be.
    pub resync: AtomicBool,
    pub last_seq: AtomicU64,
}

impl SlotStats {
    pub fn linked(&self, rung: Rung, remote: SocketAddr) {
        *self.rung.lock().unwrap_or_else(|e| e.into_inner()) = Some((rung, remote));
        self.links.fetch_add(1, Ordering::Relaxed);
    }

    fn unlinked(&self) {
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

/// Every authenticated session, by its secret id.
#[derive(Default)]
pub struct Sessions {
    slots: DashMap<String, Arc<Slot>>,
}

impl Sessions {
    /// Registers a new session attached to the connection whose takeover signal is `takeover`.
    pub fn insert(
        &self,
        id: String,
        number: u64,
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
        self.slots.insert(id, slot.clone());
        slot
    }

    /// Takes the session `id` for a connection of `identity`. A session still attached to
    /// another connection is asked to park, and taken once it has (within `patience`).
    pub async fn take(
        &self,
        id: &str,
        identity: &Identity,
        takeover: Arc<Notify>,
        patience: Duration,
    ) -> Result<(Arc<Slot>, Box<Parked>), NotResumed> {
        let give_up = tokio::time::Instant::now() + patience;
        loop {
            let slot = self
                .slots
                .get(id)
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
        id: String,
        slot: Arc<Slot>,
        mut parked: Parked,
        keep: Duration,
        shutdown: CancellationToken,
    ) {
        let park = slot.parks.fetch_add(1, Ordering::Relaxed) + 1;
        parked.park = park;
        slot.stats.unlinked();
        slot.stats.last_seq.store(parked.seq, Ordering::Relaxed);
        let handle = parked.handle.clone();
        *slot.state() = State::Parked(Box::new(parked));
        let sessions = self.clone();
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
                tracing::debug!(session = slot.number, "not resumed in time: session ended");
                sessions.end(&id, &slot, &parked.engine).await;
            }
        });
    }

    /// Ends the session for good: it cannot be resumed any more, and its engine forgets it.
    pub async fn end(&self, id: &str, slot: &Slot, engine: &mpsc::Sender<Request>) {
        *slot.state() = State::Ended;
        slot.stats.unlinked();
        self.slots.remove(id);
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
