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
//!
//! What sessions may cost is bounded twice: a principal has at most `max_sessions_per_principal`
//! sessions (a new one ends the principal's session parked longest ago, and is refused only
//! when every one is attached), and at most `max_parked_sessions` are parked in all (parking one
//! more ends the one parked longest ago). Either way the client whose session ended resyncs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dashmap::DashMap;
use jiff::Timestamp;
use tokio::sync::{Notify, mpsc};
use tokio_util::sync::CancellationToken;

use crate::protocol::Identity;
use crate::protocol::close;
use crate::server::outbox::{CloseReason, Outbox, SessionHandle, SessionNumber, SessionSecret};
use crate::server::rung::Rung;
use crate::server::tenant::Request;

use super::replay::Replay;

/// What a session is while no connection carries it.
pub struct Parked {
    pub handle: Arc<SessionHandle>,
    pub outgoing: Outbox,
    /// The `seq` of the last event written.
    pub seq: u64,
    pub replay: Replay,
    pub snapshot_written: u64,
    pub engine: mpsc::Sender<Request>,
    /// Tells this parking from every other (a reaper ends only the parking it was made for),
    /// and orders the parked sessions, oldest first.
    park: u64,
}

impl Parked {
    pub fn new(
        handle: Arc<SessionHandle>,
        outgoing: Outbox,
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

/// A new session was refused: every session its principal may have is attached to a
/// connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooManySessions;

/// Why a session was ended before its time to be resumed was up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evicted {
    /// Its principal signed in once more than `max_sessions_per_principal`.
    PrincipalCap,
    /// One more session was parked than `max_parked_sessions`.
    ParkedCap,
}

impl Evicted {
    pub fn name(self) -> &'static str {
        match self {
            Evicted::PrincipalCap => "principal_cap",
            Evicted::ParkedCap => "parked_cap",
        }
    }
}

/// Every authenticated session, attached to a connection or parked, by its secret.
#[derive(Default)]
pub struct Resumable {
    slots: DashMap<SessionSecret, Arc<Slot>>,
    /// Who has which sessions and which are parked. Taken before a slot's state whenever both
    /// are, and held while a state changes, so the index and the states agree.
    index: Mutex<Index>,
}

/// The sessions by principal and the parked ones by age, for the caps: each found in
/// logarithmic time, however many sessions one login has (a sign-in at its cap looked through
/// all of the principal's sessions, which made 19,000 sign-ins of one login take 50 s).
#[derive(Default)]
struct Index {
    /// Each principal's (tenant, user) sessions that have not ended.
    by_principal: HashMap<(String, String), PrincipalSessions>,
    /// Every parked session by its parking (`Parked::park`): the first parked longest ago.
    parked: BTreeMap<u64, SessionSecret>,
    next_park: u64,
}

/// One principal's sessions.
#[derive(Default)]
struct PrincipalSessions {
    secrets: HashSet<SessionSecret>,
    /// The parkings (`Parked::park`) of those parked, the first parked longest ago.
    parked: BTreeSet<u64>,
}

impl Index {
    fn add_parked(&mut self, slot: &Slot, park: u64, secret: SessionSecret) {
        self.parked.insert(park, secret);
        if let Some(sessions) = self.by_principal.get_mut(&principal(&slot.identity)) {
            sessions.parked.insert(park);
        }
    }

    fn remove_parked(&mut self, slot: &Slot, park: u64) {
        self.parked.remove(&park);
        if let Some(sessions) = self.by_principal.get_mut(&principal(&slot.identity)) {
            sessions.parked.remove(&park);
        }
    }
}

fn principal(identity: &Identity) -> (String, String) {
    (identity.tenant.clone(), identity.user.clone())
}

impl Resumable {
    /// Registers a new session attached to the connection whose takeover signal is `takeover`.
    /// A principal at `max_per_principal` sessions loses the one it parked longest ago (which
    /// ends: the answer says so); with none parked, the new session is refused.
    pub fn insert(
        &self,
        secret: SessionSecret,
        number: SessionNumber,
        identity: Arc<Identity>,
        started_at: Timestamp,
        takeover: Arc<Notify>,
        max_per_principal: usize,
    ) -> Result<(Arc<Slot>, bool), TooManySessions> {
        let key = principal(&identity);
        let slot = Arc::new(Slot {
            number,
            identity,
            started_at,
            state: Mutex::new(State::Attached { takeover }),
            stats: SlotStats::default(),
        });
        let mut index = self.index();
        let sessions = index.by_principal.get(&key);
        let evicted = sessions.map_or(0, |s| s.secrets.len()) >= max_per_principal;
        if evicted {
            let oldest_parked = sessions
                .and_then(|s| s.parked.first())
                .and_then(|park| index.parked.get(park))
                .cloned();
            let Some(oldest) = oldest_parked else {
                return Err(TooManySessions);
            };
            self.evict(&mut index, &oldest);
        }
        index
            .by_principal
            .entry(key)
            .or_default()
            .secrets
            .insert(secret.clone());
        self.slots.insert(secret, slot.clone());
        Ok((slot, evicted))
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Ends the parked session `secret` now, with the index held: it leaves the index and the
    /// slots at once, its reaper wakes to find nothing to do, and its engine forgets it.
    fn evict(&self, index: &mut Index, secret: &SessionSecret) {
        let Some((_, slot)) = self.slots.remove(secret) else {
            return;
        };
        let old = std::mem::replace(&mut *slot.state(), State::Ended);
        slot.stats.disconnected();
        if let State::Parked(parked) = old {
            index.remove_parked(&slot, parked.park);
            parked.handle.close(EVICTED);
            detach_later(parked.engine, slot.number);
        }
        forget(index, secret, &slot);
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
            let mut index = self.index();
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
                        index.remove_parked(&slot, parked.park);
                        return Ok((slot, parked));
                    }
                    State::Attached { takeover: other } => other.notify_one(),
                    State::Ended => return Err(NotResumed::Unknown),
                }
            }
            drop(index);
            if tokio::time::Instant::now() >= give_up {
                return Err(NotResumed::Busy);
            }
            // The other connection's task parks the session at its next turn: a rare event,
            // so a short poll is simpler than a notification both ways.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Parks the session of `slot` until a client resumes it, or `keep` passes (or its queue
    /// overflows, or the server stops), when the session ends and its engine forgets it. With
    /// `max_parked` sessions parked already, the one parked longest ago ends now: returns true
    /// then.
    pub fn park(
        self: &Arc<Self>,
        secret: SessionSecret,
        slot: Arc<Slot>,
        mut parked: Parked,
        keep: Duration,
        max_parked: usize,
        shutdown: CancellationToken,
    ) -> bool {
        let mut index = self.index();
        let park = index.next_park;
        index.next_park += 1;
        parked.park = park;
        slot.stats.disconnected();
        slot.stats.last_seq.store(parked.seq, Ordering::Relaxed);
        let handle = parked.handle.clone();
        *slot.state() = State::Parked(Box::new(parked));
        index.add_parked(&slot, park, secret.clone());
        let mut evicted = false;
        while index.parked.len() > max_parked {
            let Some((_, oldest)) = index.parked.pop_first() else {
                break;
            };
            self.evict(&mut index, &oldest);
            evicted = true;
        }
        drop(index);
        let resumable = self.clone();
        tokio::spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(keep) => {}
                () = handle.closing() => {}
                () = shutdown.cancelled() => {}
            }
            let reaped = {
                let mut index = resumable.index();
                let mut state = slot.state();
                match &*state {
                    State::Parked(parked) if parked.park == park => {
                        let State::Parked(parked) = std::mem::replace(&mut *state, State::Ended)
                        else {
                            unreachable!("matched just above")
                        };
                        index.remove_parked(&slot, park);
                        Some(parked)
                    }
                    _ => None,
                }
            };
            if let Some(parked) = reaped {
                tracing::debug!(session = %slot.number, "not resumed in time: session ended");
                resumable.end(&secret, &slot, &parked.engine).await;
            }
        });
        evicted
    }

    /// Ends the session for good: it cannot be resumed any more, and its engine forgets it.
    pub async fn end(&self, secret: &SessionSecret, slot: &Slot, engine: &mpsc::Sender<Request>) {
        {
            let mut index = self.index();
            let old = std::mem::replace(&mut *slot.state(), State::Ended);
            if let State::Parked(parked) = old {
                index.remove_parked(slot, parked.park);
            }
            slot.stats.disconnected();
            forget(&mut index, secret, slot);
            self.slots.remove(secret);
        }
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

/// The close reason of a parked session ended by a cap (no connection hears it: it wakes the
/// session's reaper).
const EVICTED: CloseReason = CloseReason {
    code: close::SLOW_CONSUMER,
    reason: "ended to make room for newer sessions",
};

/// Takes `secret` out of its principal's sessions.
fn forget(index: &mut Index, secret: &SessionSecret, slot: &Slot) {
    let key = principal(&slot.identity);
    if let Some(sessions) = index.by_principal.get_mut(&key) {
        sessions.secrets.remove(secret);
        if sessions.secrets.is_empty() {
            index.by_principal.remove(&key);
        }
    }
}

/// Tells an engine to forget a session, from code that cannot wait for its channel.
fn detach_later(engine: mpsc::Sender<Request>, session: SessionNumber) {
    tokio::spawn(async move {
        let _ = engine.send(Request::Detach { session }).await;
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Acting;

    fn identity(user: &str) -> Arc<Identity> {
        Arc::new(Identity {
            user: user.into(),
            tenant: "acme".into(),
            acting: Acting::Wallboard,
        })
    }

    /// Registers a new session `n` of `user`, attached, with at most `cap` per principal.
    fn sign_in(
        resumable: &Resumable,
        n: u64,
        user: &str,
        cap: usize,
    ) -> Result<(Arc<Slot>, bool), TooManySessions> {
        let secret = SessionSecret(format!("secret-{n}"));
        let takeover = Arc::new(Notify::new());
        let started_at = Timestamp::UNIX_EPOCH;
        resumable.insert(
            secret,
            SessionNumber(n),
            identity(user),
            started_at,
            takeover,
            cap,
        )
    }

    /// Parks session `n`; returns whether that ended another, and the engine's receiving end.
    fn park(
        resumable: &Arc<Resumable>,
        n: u64,
        slot: Arc<Slot>,
        max_parked: usize,
    ) -> (bool, mpsc::Receiver<Request>) {
        let (handle, outgoing) = SessionHandle::new(SessionNumber(n), 4);
        let (engine, requests) = mpsc::channel(4);
        let replay = Replay::new(4, 1 << 16, Duration::from_secs(60));
        let parked = Parked::new(handle, outgoing, 0, replay, 0, engine);
        let secret = SessionSecret(format!("secret-{n}"));
        let keep = Duration::from_secs(60);
        let shutdown = CancellationToken::new();
        let evicted = resumable.park(secret, slot, parked, keep, max_parked, shutdown);
        (evicted, requests)
    }

    fn numbers(resumable: &Resumable) -> Vec<u64> {
        let mut numbers: Vec<u64> = resumable.slots().iter().map(|s| s.number.0).collect();
        numbers.sort();
        numbers
    }

    async fn detached(requests: &mut mpsc::Receiver<Request>, n: u64) {
        let request = tokio::time::timeout(Duration::from_secs(5), requests.recv()).await;
        assert!(
            matches!(request, Ok(Some(Request::Detach { session })) if session.0 == n),
            "the engine forgets session {n}"
        );
    }

    #[tokio::test]
    async fn a_principal_at_its_cap_loses_its_session_parked_longest_ago_or_is_refused() {
        let resumable = Arc::new(Resumable::default());
        let (one, _) = sign_in(&resumable, 1, "wall", 2).unwrap();
        let (two, _) = sign_in(&resumable, 2, "wall", 2).unwrap();
        assert_eq!(
            sign_in(&resumable, 3, "wall", 2).err(),
            Some(TooManySessions),
            "both attached: refused"
        );
        assert!(
            sign_in(&resumable, 3, "boss", 2).is_ok(),
            "another login is not"
        );
        let (_, mut first_engine) = park(&resumable, 1, one, 100);
        let (_, mut second_engine) = park(&resumable, 2, two, 100);
        let (_, evicted) = sign_in(&resumable, 4, "wall", 2).unwrap();
        assert!(evicted);
        detached(&mut first_engine, 1).await;
        assert_eq!(numbers(&resumable), [2, 3, 4]);
        let (_, evicted) = sign_in(&resumable, 5, "wall", 2).unwrap();
        assert!(evicted);
        detached(&mut second_engine, 2).await;
        assert_eq!(numbers(&resumable), [3, 4, 5]);
    }

    #[tokio::test]
    async fn parking_over_the_cap_ends_the_session_parked_longest_ago() {
        let resumable = Arc::new(Resumable::default());
        let mut engines = Vec::new();
        for (n, user) in [(1, "a1"), (2, "a2"), (3, "wall")] {
            let (slot, _) = sign_in(&resumable, n, user, 10).unwrap();
            let (evicted, engine) = park(&resumable, n, slot, 2);
            assert_eq!(evicted, n == 3, "only the third parking is over the cap");
            engines.push(engine);
        }
        detached(&mut engines[0], 1).await;
        assert_eq!(numbers(&resumable), [2, 3]);
        // A resume takes a parked session out of the count.
        let taken = resumable
            .take(
                &SessionSecret("secret-2".into()),
                &identity("a2"),
                Arc::new(Notify::new()),
                Duration::from_secs(1),
            )
            .await;
        assert!(taken.is_ok());
        let (slot, _) = sign_in(&resumable, 4, "boss", 10).unwrap();
        let (evicted, _) = park(&resumable, 4, slot, 2);
        assert!(!evicted, "two parked again, none ended");
        assert_eq!(numbers(&resumable), [2, 3, 4]);
    }
}
