//! The engine on a replicated log (`[cluster]`): commands go to the tenant's log and are
//! applied, here as on every node, when the log gives them back. See `tenant/replica.rs` for
//! what the records say and why time and presence are in the log.
//!
//! The engine's other half, `run`, applies a group after journaling it in the data directory;
//! this one appends the group to the log and applies whatever the log gives, in its order, its
//! own groups among the others'. What is applied, and how its events reach the sessions, is the
//! same code: [`Engine::request`], [`Engine::drain`], the audience.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::{
    Admission, Adopt, Engine, GROUP_SIZE, LOGOUT_RETRY, Request, cause_of, disconnected_state,
    set_state,
};
use crate::acd;
use crate::cluster::{LogError, Tail, TenantLog};
use crate::protocol::{Acting, Command, Identity, ProtocolError};
use crate::server::clock::sleep_until_option;
use crate::server::ops::audit::Admitted;
use crate::server::outbox::SessionSecret;
use crate::server::tenant::durable::{State, StateRef};
use crate::server::tenant::replica::{LogEntry, LogRecord, Presence};
use crate::server::tenant::streams::{Listener, Registered, Registry, Streams, session_key};

/// How long after a tick was appended the same tick is appended again if time has not reached
/// it (the append was lost).
const TICK_AGAIN: Duration = Duration::from_secs(1);

/// How long after a failed append of a group the next is tried.
const APPEND_RETRY: Duration = Duration::from_millis(250);

/// A tenant's replica of its log, and what the node has appended and not yet seen applied.
pub struct Replicated {
    log: Arc<TenantLog>,
    /// This incarnation of the node: its name and a number of this process's own.
    me: String,
    /// The group being filled, to be appended as record `next_n` once the one before is in.
    filling: Vec<LogEntry>,
    next_n: u64,
    in_flight: Option<InFlight>,
    /// Answers to appends: of the one group on its way, and of `Alive` records.
    appended_tx: mpsc::Sender<(u64, Result<(), LogError>)>,
    appended: mpsc::Receiver<(u64, Result<(), LogError>)>,
    /// The log's records, in order, from the reader task.
    records: Option<mpsc::Receiver<Stored>>,
    /// The replica's time: the instant the last record applied at.
    time: Timestamp,
    presence: Presence,
    /// The sessions made at every node, for a resume at this one.
    registry: Registry,
    /// Requests in the order they came: each is served once those before it are.
    parked: VecDeque<Parked>,
    /// The commands appended and waiting for their record, by group and place in it.
    waiting: HashMap<(u64, usize), Waiting>,
    /// The place of the last record applied.
    applied: u64,
    ticked: Option<(Timestamp, Instant)>,
    next_alive: Instant,
    settings: Settings,
    /// Since the incarnation was last found gone in the log (a frozen process woken up): it
    /// has said it is alive again and which agents it carries, and waits for that to apply.
    rejoining: bool,
    /// A record of the log could not be read: the tenant stops on this node.
    broken: bool,
    /// How many `Alive` records this incarnation sent (their ids count them).
    alive_sent: u64,
    /// The log has had this incarnation's `Alive`: from then on, not being alive in the log
    /// means it was taken for gone.
    known: bool,
    /// Why the cluster cannot take records, since an append failed and until one succeeds:
    /// meanwhile commands are refused at once; the node's `Alive` records are the probes.
    unavailable: Option<String>,
    /// Where the tenant's last snapshot was due, by the log: the same on every replica.
    mark: Mark,
    /// This node appended the record a snapshot was due at: it writes it, then removes the
    /// records up to the mark before (the snapshot before covers them).
    snapshot_due: Option<u64>,
    /// The task writing this node's last snapshot.
    snapshot_writing: Option<tokio::task::JoinHandle<()>>,
}

/// Where in the log a snapshot was last due: the record's place and instant. A snapshot is due
/// at the first record `snapshot_records` past the mark, or `snapshot_interval` of log time past
/// it, and the node that appended that record writes it, so one node writes each.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct Mark {
    pub seq: u64,
    pub at: Timestamp,
}

/// What a node says of itself in the log, and how often it writes a snapshot.
#[derive(Clone)]
pub struct Settings {
    pub alive: LogEntry,
    pub alive_interval: Duration,
    pub snapshot_interval: Duration,
    pub snapshot_records: u64,
    /// How long a group the cluster does not take is tried again (a leader being elected)
    /// before its commands are refused: with `outcome_unknown` if an attempt went unanswered,
    /// else with `storage_unavailable`.
    pub unknown_patience: Duration,
}

/// A command appended and waiting for its record: the request, and the room its audit record
/// has.
type Waiting = (Request, Option<Admitted>);

struct InFlight {
    n: u64,
    bytes: Bytes,
    first_sent: Instant,
    /// An attempt went unanswered: the record may be in the log.
    unknown: bool,
    /// The node's presence and sessions' entries, which go into the next group if this one is
    /// not stored.
    presence: Vec<LogEntry>,
}

enum Parked {
    /// Appended as entry `.1` of group `.0`: served when that record applies.
    Waiting(u64, usize),
    /// Served when every request before it is.
    Ready(Box<Request>, Option<ProtocolError>),
}

/// A replica's snapshot: the tenant's state as the records up to `covers` made it.
#[derive(Serialize)]
struct SnapshotRef<'a> {
    time: Timestamp,
    presence: &'a Presence,
    mark: Mark,
    registry: &'a Registry,
    counts: BTreeMap<Listener, u64>,
    state: StateRef<'a>,
}

#[derive(Deserialize)]
pub struct ReplicaSnapshot {
    pub time: Timestamp,
    pub presence: Presence,
    pub mark: Mark,
    /// The sessions made at every node, and how many events each listener was sent.
    #[serde(default)]
    pub registry: Registry,
    #[serde(default)]
    pub counts: BTreeMap<Listener, u64>,
    pub state: State,
}

impl ReplicaSnapshot {
    pub fn decode(bytes: &[u8]) -> Result<ReplicaSnapshot, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }
}

impl Replicated {
    /// The instant the last record applied at.
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// Moves what waits for group `group`'s entries from place `from` on to `to(place)`: its
    /// key in `waiting` and its place among the parked requests.
    fn rekey(&mut self, group: u64, from: usize, to: impl Fn(usize) -> (u64, usize)) {
        let keys: Vec<(u64, usize)> = self
            .waiting
            .keys()
            .filter(|(g, i)| *g == group && *i >= from)
            .copied()
            .collect();
        let moved: Vec<((u64, usize), Waiting)> = keys
            .into_iter()
            .filter_map(|key| self.waiting.remove(&key).map(|w| (to(key.1), w)))
            .collect();
        self.waiting.extend(moved);
        for parked in &mut self.parked {
            if let Parked::Waiting(g, i) = parked
                && *g == group
                && *i >= from
            {
                (*g, *i) = to(*i);
            }
        }
    }

    /// A replica whose state is as of `time`, `presence`, `mark` and `registry` after applying
    /// the records up to `applied`.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        log: Arc<TenantLog>,
        me: String,
        time: Timestamp,
        presence: Presence,
        mark: Mark,
        registry: Registry,
        applied: u64,
        settings: Settings,
    ) -> Replicated {
        let (appended_tx, appended) = mpsc::channel(8);
        Replicated {
            log,
            me,
            filling: Vec::new(),
            next_n: 1,
            in_flight: None,
            appended_tx,
            appended,
            records: None,
            time,
            presence,
            registry,
            parked: VecDeque::new(),
            waiting: HashMap::new(),
            applied,
            ticked: None,
            next_alive: Instant::now(),
            settings,
            rejoining: false,
            alive_sent: 0,
            broken: false,
            known: false,
            unavailable: None,
            mark,
            snapshot_due: None,
            snapshot_writing: None,
        }
    }
}

/// A record of the log as the reader hands it over: its place, its bytes, and when the log
/// stored it.
type Stored = (u64, Bytes, Timestamp);

/// Reads the log from the tail's place on and hands each record to the engine; waits and reads
/// again while the cluster is unavailable.
pub fn spawn_reader(mut tail: Tail, tenant: String) -> mpsc::Receiver<Stored> {
    let (sender, receiver) = mpsc::channel(1024);
    tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                () = sender.closed() => return,
                next = tail.next_stored() => next,
            };
            match next {
                Ok(record) => {
                    if sender.send(record).await.is_err() {
                        return;
                    }
                }
                Err(error @ LogError::Unavailable { .. }) => {
                    tracing::warn!(%tenant, "the log cannot be read now: {error}");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                Err(error) => {
                    tracing::error!(%tenant, "the log cannot be read any further: {error}. This node fell further behind than the cluster keeps records for; the tenant stops here (/readyz says so): restart the node, and it starts from the newest snapshot");
                    return;
                }
            }
        }
    });
    receiver
}

impl Engine {
    fn replica(&mut self) -> &mut Replicated {
        self.replica.as_deref_mut().expect("a replicated engine")
    }

    /// Reads the records from the tail until the one at `last` is applied (a start), then
    /// keeps reading in the background.
    pub async fn catch_up_with_log(&mut self, mut tail: Tail, last: u64) -> Result<(), LogError> {
        while self.replica().applied < last {
            let (seq, bytes, stored) = tail.next_stored().await?;
            self.apply_record(seq, &bytes, stored);
            if self.replica().broken {
                return Err(LogError::Refused(format!(
                    "record {seq} cannot be read (written by a newer version of acdhub?)"
                )));
            }
        }
        let tenant = self.tenant.clone();
        self.replica().records = Some(spawn_reader(tail, tenant));
        Ok(())
    }

    /// The replicated engine's loop: requests in, records from the log applied, ticks and
    /// `Alive` out.
    pub(super) async fn run_replicated(
        mut self,
        mut requests: mpsc::Receiver<Request>,
        stop: CancellationToken,
    ) {
        tracing::debug!(tenant = %self.tenant, "engine started on the cluster's log");
        let mut records = self.replica().records.take().expect("caught up first");
        let mut last_flush: Option<Instant> = None;
        let mut flush_at: Option<Instant> = None;
        loop {
            self.say_alive_if_due();
            self.tick_if_due();
            self.append_next();
            if flush_at.is_none() && self.audience.stats_stale() {
                let now = Instant::now();
                flush_at =
                    Some(last_flush.map_or(now, |last| (last + self.stats_interval).max(now)));
            }
            let rep = self.replica();
            let mut wake = rep.next_alive;
            if let Some(due) = self.due_at() {
                let ticked = self.replica().ticked;
                let at = match ticked {
                    Some((tick, when)) if tick == due => when + TICK_AGAIN,
                    _ => Instant::now() + self.clock.until(due),
                };
                wake = wake.min(at);
            }
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                record = records.recv() => match record {
                    Some((seq, bytes, stored)) => {
                        self.apply_record(seq, &bytes, stored);
                        while !self.replica().broken
                            && let Ok((seq, bytes, stored)) = records.try_recv()
                        {
                            self.apply_record(seq, &bytes, stored);
                        }
                        if self.replica().broken {
                            break;
                        }
                        self.snapshot_replica_if_due();
                    }
                    None => break,
                },
                appended = self.replica().appended.recv() => {
                    if let Some((n, result)) = appended {
                        self.appended(n, result);
                    }
                }
                () = sleep_until_option(flush_at) => {
                    self.audience.flush_stats(&self.acd);
                    last_flush = Some(Instant::now());
                    flush_at = None;
                }
                request = requests.recv() => match request {
                    Some(request) => {
                        self.take(request);
                        while let Ok(request) = requests.try_recv() {
                            self.take(request);
                        }
                        self.serve_parked();
                    }
                    None => break,
                },
                () = tokio::time::sleep_until(wake) => {}
            }
            let _ = self.write_records();
        }
        self.leave().await;
        tracing::debug!(tenant = %self.tenant, "engine stopped");
    }

    /// A clean stop: the log hears that this incarnation is gone (its agents' grace periods
    /// start now, not after `node_timeout`).
    async fn leave(&mut self) {
        let rep = self.replica();
        let record = LogRecord {
            from: rep.me.clone(),
            n: 0,
            at: self.clock.now().max(self.replica().time),
            entries: vec![LogEntry::Gone],
        };
        let id = format!("{}-gone", self.replica().me);
        let log = self.replica().log.clone();
        let said = tokio::time::timeout(
            Duration::from_secs(2),
            log.append(&id, Bytes::from(record.encode())),
        )
        .await;
        if !matches!(said, Ok(Ok(_))) {
            tracing::warn!(tenant = %self.tenant, "could not tell the cluster this node stops; its agents' grace periods start after node_timeout");
        }
        // No snapshot: the log has every record, and the node whose turn it is writes the next.
    }

    /// The next instant the replica's state has something due: a deadline of the core, a
    /// simulator's action, a node's expiry or a grace period's end.
    fn due_at(&self) -> Option<Timestamp> {
        let rep = self.replica.as_deref().expect("a replicated engine");
        let mut due = self.acd.poll_timeout();
        if let Some(at) = self.simulator.as_ref().and_then(|s| s.next_action_at()) {
            due = due.min(at);
        }
        if let Some(at) = rep.presence.next_due() {
            due = due.min(at);
        }
        (due < Timestamp::MAX).then_some(due)
    }

    /// Appends a tick once the clock reaches the next due instant; every node does, under the
    /// same id (naming that instant), so the log holds one.
    fn tick_if_due(&mut self) {
        let Some(due) = self.due_at() else { return };
        let now = self.clock.now();
        if now < due || due <= self.replica().time {
            return;
        }
        let rep = self.replica();
        if rep
            .ticked
            .is_some_and(|(tick, when)| tick == due && when.elapsed() < TICK_AGAIN)
        {
            return;
        }
        rep.ticked = Some((due, Instant::now()));
        let record = LogRecord {
            from: rep.me.clone(),
            n: 0,
            // Now, not the due instant: every record's instant is when it was appended, so a
            // gap between two records is a time nothing could be appended (`bridge_gap`).
            at: now,
            entries: vec![LogEntry::Tick],
        };
        let id = format!("tick-{}", due.as_nanosecond());
        self.append_in_background(id, record.encode(), Duration::ZERO, None);
    }

    fn say_alive_if_due(&mut self) {
        let rep = self.replica();
        if Instant::now() < rep.next_alive {
            return;
        }
        rep.next_alive = Instant::now() + rep.settings.alive_interval;
        // A record of its own, not in a group: a group the cluster holds up (an election, no
        // quorum) must not hold up the node's word that it is alive, or another node's records
        // taken meanwhile would have it taken for gone. Its answer, like a group's, says
        // whether the cluster takes records again.
        rep.alive_sent += 1;
        let record = LogRecord {
            from: rep.me.clone(),
            n: 0,
            at: self.clock.now().max(self.replica().time),
            entries: vec![self.replica().settings.alive.clone()],
        };
        let rep = self.replica();
        let id = format!("{}-alive-{}", rep.me, rep.alive_sent);
        self.append_in_background(id, record.encode(), Duration::ZERO, Some(0));
    }

    /// Appends the group being filled, if no other is on its way.
    fn append_next(&mut self) {
        let now = self.clock.now();
        let rep = self.replica();
        if rep.in_flight.is_some() || rep.filling.is_empty() {
            return;
        }
        let n = rep.next_n;
        rep.next_n += 1;
        // At most GROUP_SIZE entries a record (a record must stay under the servers' payload
        // limit): the rest go in the next group, and what waits for them moves with them.
        let rest = if rep.filling.len() > GROUP_SIZE {
            rep.filling.split_off(GROUP_SIZE)
        } else {
            Vec::new()
        };
        rep.rekey(n, GROUP_SIZE, |index| (n + 1, index - GROUP_SIZE));
        let entries = std::mem::replace(&mut rep.filling, rest);
        let presence = entries
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    LogEntry::Present { .. } | LogEntry::Absent { .. } | LogEntry::Session { .. }
                )
            })
            .cloned()
            .collect();
        let record = LogRecord {
            from: rep.me.clone(),
            n,
            at: now.max(rep.time),
            entries,
        };
        let bytes = Bytes::from(record.encode());
        rep.in_flight = Some(InFlight {
            n,
            bytes: bytes.clone(),
            first_sent: Instant::now(),
            unknown: false,
            presence,
        });
        self.send_append(n, bytes, Duration::ZERO);
    }

    /// Appends group `n` (again, with the same id and bytes, after a failure).
    fn send_append(&mut self, n: u64, bytes: Bytes, after: Duration) {
        let id = format!("{}-{n}", self.replica().me);
        self.append_in_background(id, bytes, after, Some(n));
    }

    /// Appends `record` under `id` after `after`, in a task of its own: the engine never waits
    /// for the cluster. Its answer comes back to `appended` as group `report` (0: an `Alive`),
    /// or, for a tick (`None`), a failure is only logged: the next tick is as good.
    fn append_in_background(
        &mut self,
        id: String,
        record: impl Into<Bytes>,
        after: Duration,
        report: Option<u64>,
    ) {
        let rep = self.replica();
        let (log, done) = (rep.log.clone(), rep.appended_tx.clone());
        let record = record.into();
        let tenant = self.tenant.clone();
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            let result = log.append(&id, record).await.map(|_| ());
            match (report, result) {
                (Some(n), result) => {
                    let _ = done.send((n, result)).await;
                }
                (None, Err(error)) => tracing::debug!(%tenant, "a tick was not appended: {error}"),
                (None, Ok(())) => {}
            }
        });
    }

    /// The log answered the append of group `n`.
    fn appended(&mut self, n: u64, result: Result<(), LogError>) {
        let tenant = self.tenant.clone();
        let rep = self.replica();
        if n == 0 {
            // An `Alive` of its own: taken, the cluster takes records again.
            if result.is_ok()
                && let Some(was) = rep.unavailable.take()
            {
                tracing::warn!(%tenant, "the cluster takes records again (it did not: {was}); taking commands");
            }
            return;
        }
        let Some(in_flight) = rep.in_flight.as_mut().filter(|f| f.n == n) else {
            return;
        };
        let error = match result {
            Ok(()) => {
                rep.in_flight = None;
                if let Some(was) = rep.unavailable.take() {
                    tracing::warn!(%tenant, "the cluster takes records again (it did not: {was}); taking commands");
                }
                return;
            }
            Err(error) => error,
        };
        if let LogError::Unavailable {
            outcome_unknown: true,
            ..
        } = error
        {
            in_flight.unknown = true;
        }
        // A leader being elected takes seconds: the group is tried again meanwhile (one that
        // went unanswered may be in the log; the same append again stores it at most once).
        let passes = matches!(error, LogError::Unavailable { .. });
        if passes && in_flight.first_sent.elapsed() < rep.settings.unknown_patience {
            tracing::debug!(%tenant, "an append failed, trying it again: {error}");
            let bytes = in_flight.bytes.clone();
            self.send_append(n, bytes, APPEND_RETRY);
            return;
        }
        if rep.unavailable.is_none() {
            tracing::error!(%tenant, "the cluster cannot take records, refusing commands until it can: {error}");
        }
        rep.unavailable = Some(error.to_string());
        let in_flight = rep.in_flight.take().expect("found above");
        // The node's presence goes again, first in the next group (twice in the log is
        // harmless); what waits in that group moves along by as many places.
        let mut presence = in_flight.presence;
        let moved = presence.len();
        let next = rep.next_n;
        rep.rekey(next, 0, |index| (next, index + moved));
        presence.append(&mut rep.filling);
        rep.filling = presence;
        let why = error.to_string();
        let refusal = if in_flight.unknown {
            ProtocolError::OutcomeUnknown(why)
        } else {
            ProtocolError::StorageUnavailable(why)
        };
        let keys: Vec<(u64, usize)> = rep
            .waiting
            .keys()
            .filter(|(g, _)| *g == n)
            .copied()
            .collect();
        let mut answered: Vec<(usize, Request, Option<Admitted>)> = keys
            .into_iter()
            .filter_map(|key| rep.waiting.remove(&key).map(|(r, a)| (key.1, r, a)))
            .collect();
        answered.sort_by_key(|(index, _, _)| *index);
        let now = rep.time;
        self.counters.journaled(&self.tenant, answered.len(), false);
        for (_, request, admitted) in answered {
            if let Request::Reconfigure { reply, .. } = request {
                let _ = reply.send(Err(refusal.to_string()));
                continue;
            }
            self.request(request, now, Some(refusal.clone()), admitted);
        }
        self.serve_parked();
    }

    /// A request from a session: a command that changes the tenant goes into the next group;
    /// anything else waits for the requests before it.
    fn take(&mut self, request: Request) {
        match request {
            // Answered at once: the figures are the replica's as of now, and a session resumed
            // from another node is on a new connection, with nothing sent before it.
            Request::Figures { .. } | Request::Wake | Request::Adopt(_) => {
                let now = self.replica().time;
                self.request(request, now, None, None);
            }
            Request::Reconfigure { config, reply } => {
                // Nothing to change: the core runs on it, and no other change is on its way
                // (a reload back to the file before one still queued must follow it).
                let queued = self
                    .replica()
                    .waiting
                    .values()
                    .any(|(request, _)| matches!(request, Request::Reconfigure { .. }));
                // Refused by the core, or nothing to change: answered without the log.
                let checked = self.acd.check(&config).map_err(|error| error.to_string());
                if checked.is_err() || (config == self.config && !queued) {
                    let _ = reply.send(checked);
                    return;
                }
                let rep = self.replica();
                let key = (rep.next_n, rep.filling.len());
                rep.filling.push(LogEntry::Reconfigure(config.clone()));
                rep.waiting
                    .insert(key, (Request::Reconfigure { config, reply }, None));
                rep.parked.push_back(Parked::Waiting(key.0, key.1));
            }
            Request::Command {
                command: Command::Acd(_),
                ..
            } if self.replica().unavailable.is_some() => {
                let why = self.replica().unavailable.clone().unwrap_or_default();
                let refusal = ProtocolError::StorageUnavailable(why);
                self.replica()
                    .parked
                    .push_back(Parked::Ready(Box::new(request), Some(refusal)));
            }
            Request::Command {
                command: Command::Acd(_),
                ..
            } => {
                let admission: Admission = self.admit(&request, self.clock.now());
                let Request::Command {
                    command: Command::Acd(command),
                    identity,
                    ..
                } = &request
                else {
                    unreachable!("matched above")
                };
                match admission {
                    Err(unavailable) => {
                        let refusal = ProtocolError::AuditUnavailable(unavailable.to_string());
                        self.replica()
                            .parked
                            .push_back(Parked::Ready(Box::new(request), Some(refusal)));
                    }
                    Ok(admitted) => {
                        let by = (identity.role() == crate::protocol::Role::Supervisor)
                            .then(|| identity.user.clone());
                        let entry = LogEntry::Command {
                            command: command.clone(),
                            by,
                        };
                        let rep = self.replica();
                        let key = (rep.next_n, rep.filling.len());
                        rep.filling.push(entry);
                        rep.waiting.insert(key, (request, admitted));
                        rep.parked.push_back(Parked::Waiting(key.0, key.1));
                    }
                }
            }
            request => self
                .replica()
                .parked
                .push_back(Parked::Ready(Box::new(request), None)),
        }
    }

    /// Serves the parked requests from the front while their turn has come.
    fn serve_parked(&mut self) {
        loop {
            let rep = self.replica();
            let now = rep.time;
            match rep.parked.front() {
                Some(Parked::Waiting(n, i)) if rep.waiting.contains_key(&(*n, *i)) => return,
                Some(Parked::Waiting(..)) => {
                    rep.parked.pop_front();
                }
                Some(Parked::Ready(..)) => {
                    let Some(Parked::Ready(request, refusal)) = rep.parked.pop_front() else {
                        unreachable!("looked at above")
                    };
                    self.request(*request, now, refusal, None);
                }
                None => return,
            }
        }
    }

    /// Applies one record of the log, at the latest of its instant, the instant the log stored
    /// it, and the replica's time. (A record can be stored long after it was made: one sent as
    /// the cluster lost its quorum is stored when a leader takes it. It takes effect then, and
    /// the time it waited is a gap in the log, not time the nodes were silent in.)
    pub(super) fn apply_record(&mut self, seq: u64, bytes: &[u8], stored: Timestamp) {
        let record: LogRecord = match serde_json::from_slice(bytes) {
            Ok(record) => record,
            Err(error) => {
                // Skipping it would leave this replica apart from those that read it: the tenant
                // stops here instead (/readyz says so), and its clients move to other nodes.
                tracing::error!(tenant = %self.tenant, seq, "a record of the log cannot be read (written by a newer version of acdhub?): {error}; the tenant stops on this node: upgrade it");
                self.replica().broken = true;
                return;
            }
        };
        tracing::trace!(tenant = %self.tenant, seq, from = %record.from, n = record.n, at = %record.at, entries = ?record.entries.iter().map(LogEntry::kind).collect::<Vec<_>>(), "applying");
        let rep = self.replica();
        let at = record.at.max(stored).max(rep.time);
        let last = rep.time;
        rep.presence.bridge_gap(last, at);
        self.advance(at);
        let mine = record.from == self.replica().me;
        for (index, entry) in record.entries.into_iter().enumerate() {
            let waiting = if mine && record.n > 0 {
                self.replica().waiting.remove(&(record.n, index))
            } else {
                None
            };
            match (entry, waiting) {
                (LogEntry::Command { .. }, Some((request, admitted))) => {
                    self.counters.journaled(&self.tenant, 1, true);
                    self.request(request, at, None, admitted);
                }
                (LogEntry::Command { command, by }, None) => {
                    self.apply_command(command, by.as_deref(), at);
                }
                (LogEntry::Reconfigure(config), waiting) => {
                    let result = self.apply_reconfigure(config, at);
                    if let Some((Request::Reconfigure { reply, .. }, _)) = waiting {
                        let _ = reply.send(result);
                    }
                }
                (LogEntry::Session { key, session }, _) => {
                    self.replica().registry.insert(key, session);
                }
                (entry, _) => {
                    let from = record.from.clone();
                    let rep = self.replica.as_deref_mut().expect("a replicated engine");
                    rep.presence.apply(&from, at, &entry, &self.acd);
                    if from == rep.me && matches!(entry, LogEntry::Alive { .. }) {
                        rep.rejoining = false;
                        rep.known = true;
                    }
                }
            }
            // A read a session sent between two of its commands is answered between them.
            self.serve_parked();
        }
        let rep = self.replica();
        rep.applied = seq;
        let since = Duration::from_millis(
            u64::try_from(at.as_millisecond() - rep.mark.at.as_millisecond()).unwrap_or(0),
        );
        if seq - rep.mark.seq >= rep.settings.snapshot_records
            || (seq > rep.mark.seq && since >= rep.settings.snapshot_interval)
        {
            let previous = rep.mark.seq;
            rep.mark = Mark { seq, at };
            if mine {
                rep.snapshot_due = Some(previous);
            }
        }
        self.rejoin_if_gone();
        self.serve_parked();
    }

    /// A command from another node (or one of this node's whose session was answered
    /// already), applied as the session's command was applied where it came from.
    fn apply_command(&mut self, command: acd::Command, by: Option<&str>, at: Timestamp) {
        let cause = by.and_then(|user| cause_of(&command, user));
        if self.acd.handle(command, at).is_ok()
            && let Some(cause) = cause
        {
            self.audience.caused_by(cause);
        }
        self.drain(at);
    }

    fn apply_reconfigure(&mut self, config: acd::Config, at: Timestamp) -> Result<(), String> {
        if config == self.config {
            return Ok(());
        }
        self.acd
            .reconfigure(config.clone(), at)
            .map_err(|error| error.to_string())?;
        self.config = config;
        self.audience.reconfigured(&self.acd);
        self.drain(at);
        Ok(())
    }

    /// Moves the replica's time to `to`: everything due before it happens at its own instant,
    /// in the same order on every replica.
    fn advance(&mut self, to: Timestamp) {
        while let Some(due) = self.due_at().filter(|due| *due <= to) {
            self.acd.handle_timeout(due);
            self.drain(due);
            let actions = match self.simulator.as_mut() {
                Some(simulator) if simulator.next_action_at().is_some_and(|at| at <= due) => {
                    simulator.actions_due(due)
                }
                _ => Vec::new(),
            };
            for action in actions {
                // Refused (the caller hung up as the agent answered): the simulator learns
                // what happened from the events.
                let _ = self.acd.handle(action, due);
                self.drain(due);
            }
            let rep = self.replica.as_deref_mut().expect("a replicated engine");
            let over = rep.presence.due(due, &self.acd);
            for (agent, logout) in over {
                let (state, again) = disconnected_state(&self.acd, &agent, logout);
                if again {
                    let rep = self.replica.as_deref_mut().expect("a replicated engine");
                    rep.presence
                        .try_logout_again(agent.clone(), due + LOGOUT_RETRY);
                }
                // A logout tried again that changes nothing yet (a conversation is still open)
                // is not logged.
                let before = self.acd.agent(&agent).map(|a| (a.status, a.pending));
                if self
                    .acd
                    .handle(set_state(agent.clone(), state), due)
                    .is_ok()
                    && self.acd.agent(&agent).map(|a| (a.status, a.pending)) != before
                {
                    tracing::info!(tenant = %self.tenant, %agent, "agent without a connection on any node past the grace period");
                }
                self.drain(due);
            }
            self.replica().time = due;
        }
        self.acd.handle_timeout(to);
        self.drain(to);
        self.replica().time = to;
    }

    /// This incarnation was taken for gone (it was frozen past `node_timeout`): it says it is
    /// alive again and which agents it carries.
    fn rejoin_if_gone(&mut self) {
        let rep = self.replica.as_deref().expect("a replicated engine");
        if rep.rejoining || !rep.known || rep.presence.knows(&rep.me) {
            return;
        }
        let carried: Vec<acd::AgentId> = self
            .carried
            .iter()
            .filter_map(|session| self.audience.agent_of(*session).cloned())
            .collect();
        let rep = self.replica();
        rep.rejoining = true;
        tracing::warn!(me = %rep.me, "this node was taken for gone by the cluster (frozen?); saying it is back");
        rep.filling.push(rep.settings.alive.clone());
        for agent in carried {
            rep.filling.push(LogEntry::Present { agent });
        }
    }

    /// A start on a configuration file that differs from the replica's: the change goes into
    /// the log, for every node. `Err` if the core cannot take it (nothing is appended).
    pub fn reconfigure_through_log(&mut self, config: &acd::Config) -> Result<(), String> {
        if *config == self.config {
            return Ok(());
        }
        self.acd.check(config).map_err(|error| error.to_string())?;
        self.replica()
            .filling
            .push(LogEntry::Reconfigure(config.clone()));
        Ok(())
    }

    /// The node's connections changed for `agent`: the log hears it.
    pub(super) fn presence_changed(&mut self, agent: acd::AgentId, carried: bool) {
        let entry = if carried {
            LogEntry::Present { agent }
        } else {
            LogEntry::Absent { agent }
        };
        let rep = self.replica();
        // The incarnation says it is alive in the same record, so the log never holds a
        // presence of an incarnation it does not know (one whose `Gone` came first, or whose
        // first `Alive` comes later): such a node would never expire.
        if !rep
            .filling
            .iter()
            .any(|e| matches!(e, LogEntry::Alive { .. }))
        {
            let alive = rep.settings.alive.clone();
            rep.filling.push(alive);
        }
        rep.filling.push(entry);
    }

    /// A session made here, of an agent or the telephony role, whose snapshot of `snapshot`
    /// events was just queued: the log hears of it, so that another node can resume it.
    pub(super) fn register(&mut self, secret: &SessionSecret, identity: &Identity, snapshot: u64) {
        let Some(listener) = Listener::of(&identity.acting) else {
            return;
        };
        let Some(streams) = self.audience.streams() else {
            return;
        };
        let session = Registered {
            user: identity.user.clone(),
            count: streams.count(&listener),
            listener,
            snapshot,
        };
        let key = session_key(secret);
        if let Some(rep) = self.replica.as_deref_mut() {
            rep.filling.push(LogEntry::Session { key, session });
        }
    }

    /// A client resumes a session this node does not have. If the log knows it (another node
    /// made it, for the same user) and this node kept every event it was sent after `last_seq`,
    /// the handle becomes that session here: the events after `last_seq` are queued, numbered
    /// on from it, and the session hears its listener's events from now on. Else nothing
    /// changes, and the client gets a new session.
    pub(super) fn adopt(&mut self, adopt: Adopt) {
        let Adopt {
            handle,
            identity,
            secret,
            last_seq,
            reply,
        } = adopt;
        let found = self.replica.as_deref().and_then(|rep| {
            let session = rep.registry.get(&session_key(&secret))?;
            let listener = Listener::of(&identity.acting)?;
            if session.user != identity.user || session.listener != listener {
                return None;
            }
            self.audience.resume_events(session, last_seq)
        });
        let Some(missed) = found else {
            let _ = reply.send(false);
            return;
        };
        handle.send_events(missed);
        match &identity.acting {
            Acting::Agent(agent) => {
                self.audience
                    .attach_agent(&self.acd, agent.clone(), handle.clone());
            }
            _ => self.audience.attach_telephony(handle.clone()),
        }
        if reply.send(true).is_err() {
            // The session is gone (its connection closed meanwhile): nobody carries the handle.
            self.audience.detach(handle.number);
        }
    }

    /// Writes the snapshot this node is to write, if one is due, then removes the records the
    /// snapshot before it covers: a reader as far behind as that starts from the newest. The
    /// state is taken now; the writing goes on in a task of its own, so the engine never waits
    /// for the cluster (one without a quorum would hold it for as long). One at a time: a
    /// snapshot due while the one before is still being written is left to the next.
    fn snapshot_replica_if_due(&mut self) {
        let Some(previous) = self.replica().snapshot_due.take() else {
            return;
        };
        if self
            .replica()
            .snapshot_writing
            .as_ref()
            .is_some_and(|task| !task.is_finished())
        {
            tracing::warn!(tenant = %self.tenant, "a snapshot is due while the one before is still being written; it waits for the next");
            return;
        }
        let _ = self.write_records();
        let rep = self.replica.as_deref().expect("a replicated engine");
        let covers = rep.applied;
        let counts = self
            .audience
            .streams()
            .map(Streams::counts)
            .unwrap_or_default();
        let bytes = serde_json::to_vec(&SnapshotRef {
            time: rep.time,
            presence: &rep.presence,
            mark: rep.mark,
            registry: &rep.registry,
            counts,
            state: StateRef {
                acd: &self.acd,
                config: &self.config,
                simulator: self.simulator.as_ref(),
                records: &self.records.calls,
                conversation_records: &self.records.conversations,
            },
        })
        .expect("the tenant's state serializes");
        let log = rep.log.clone();
        let tenant = self.tenant.clone();
        let counters = self.counters.clone();
        let task = tokio::spawn(async move {
            // Nothing is written if the cluster's newest snapshot covers as many already.
            let written = log.write_snapshot(covers, &bytes).await;
            match written {
                Ok(false) => return,
                Ok(true) => counters.snapshot(&tenant, true),
                Err(error) => {
                    counters.snapshot(&tenant, false);
                    tracing::warn!(%tenant, "snapshot not written to the cluster: {error}");
                    return;
                }
            }
            if previous == 0 {
                return;
            }
            match log.forget_through(previous).await {
                Ok(removed) => {
                    tracing::debug!(%tenant, through = previous, removed, "log records a snapshot covers removed")
                }
                Err(error) => {
                    tracing::warn!(%tenant, "log records up to {previous} not removed: {error}")
                }
            }
        });
        self.replica().snapshot_writing = Some(task);
    }
}
