//! One engine task per tenant: the only owner and writer of that tenant's ACD core.
//!
//! Sessions send it requests over a bounded channel; it reads the clock, applies each command,
//! runs the core's deadlines when they fall due, plays the simulator if the tenant has one, and
//! routes every event to the sessions that should hear it. Nothing else touches the core, so
//! there is no lock around it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod replicated;

pub use replicated::{Mark, ReplicaSnapshot, Replicated, Settings};

use super::durable::{Durable, Entry, Record, StateRef};
use crate::acd::{
    self, Acd, AcdError, AgentId, AgentStatus, AgentStatusKind, QueueId, ReasonCode, RequestedState,
};
use crate::config::OnDisconnect;
use crate::protocol::outbound::{
    AgentPage, AgentToday, AgentsTodayPage, Alerts, AuthResult, ListedAgent, ListedQueue, MyDay,
    Named, NamedQueue, QueueList, QueueThresholds, Reply, Telephony, time,
};
use crate::protocol::{Acting, Command, Identity, ProtocolError, Refusal, Role};
use crate::records::Records;
use crate::server::clock::{Clock, sleep_until_option};
use crate::server::ops::audit::{Action, Actor, Admitted, AuditLog, AuditUnavailable};
use crate::server::ops::counters::Counters;
use crate::server::outbox::{SessionHandle, SessionNumber, SessionSecret};
use crate::sim::Simulator;
use crate::staffing::{self, Hypothesis};

use super::audience::{Audience, Cause, DISPLAY_REVOKED, Subscription};
use super::figures::TenantFigures;
use super::records::RecordFiles;
use super::snapshot::{agent_snapshot, messaging_snapshot, telephony_snapshot, watcher_snapshot};
use super::streams::{Listener, Streams};

/// Whether a request may go ahead as far as the audit log goes, with the room its record has.
type Admission = Result<Option<Admitted>, AuditUnavailable>;

/// Requests waiting for an engine; a session that finds the channel full waits its turn.
pub const CHANNEL_CAPACITY: usize = 4096;

/// Why a tenant's core was not put on a new configuration; either way nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ReconfigureError {
    /// The core cannot take it (a queue removed, a skill taken away...).
    #[error("{0}")]
    Refused(String),
    /// The journal cannot be written (a full or read-only disk).
    #[error("the journal cannot be written ({0}); nothing was changed")]
    Storage(String),
}

/// The most requests an engine takes as one group: their commands share one journal sync.
pub(super) const GROUP_SIZE: usize = 512;

/// What a session asks of its tenant's engine.
pub enum Request {
    /// The session authenticated: send the `auth` ack (and, for a new session, its first
    /// snapshot), then its events.
    Attach(Attach),
    /// The session ended.
    Detach { session: SessionNumber },
    /// The session's connection dropped; it waits to be resumed.
    Disconnected { session: SessionNumber },
    /// A command the session's role may send (the session translated and checked it).
    Command {
        handle: Arc<SessionHandle>,
        epoch: u64,
        identity: Arc<Identity>,
        /// The message's `id`, for the reply.
        id: String,
        command: Command,
        /// A supervisor's action, to be put in the audit log with its result.
        audited: Option<Action>,
        /// The `result` of the ack when the command is done and gives none of its own: what
        /// the session made for it (a new display's token, which the core never sees).
        answer: Option<serde_json::Value>,
        /// Called, before the ack, when the command logged its agent out (`Command::logs_out`)
        /// and the agent is logged out now (not when it was refused, or only made a busy
        /// agent's pending state): the session layer revokes the agent's tokens.
        on_logged_out: Option<Box<dyn FnOnce() + Send + Sync>>,
    },
    /// A display's sign-in: the name of the display whose token hashes to `token_hash`, or
    /// `None` when there is none (never made, or revoked).
    Display {
        token_hash: String,
        reply: oneshot::Sender<Option<String>>,
    },
    /// A scrape: the tenant's figures as of now.
    Figures {
        reply: oneshot::Sender<TenantFigures>,
    },
    /// The clock was moved: look at it again.
    Wake,
    /// A reload: the tenant's core runs on `config` from now on (queue parameters, new queues
    /// and agents, reasons; see `Acd::reconfigure`), or refuses it and stays as it was.
    Reconfigure {
        config: acd::Config,
        reply: oneshot::Sender<Result<(), String>>,
    },
    /// A client resumes a session this node does not have: on a node of a cluster, one made at
    /// another node. Answered `true` if this node attached `handle` as that session, with the
    /// events after `last_seq` queued (an `Attach` with `resumed` follows for the ack).
    Adopt(Adopt),
}

/// What [`Request::Adopt`] asks.
pub struct Adopt {
    pub handle: Arc<SessionHandle>,
    pub identity: Arc<Identity>,
    pub secret: SessionSecret,
    pub last_seq: u64,
    pub reply: oneshot::Sender<bool>,
}

pub struct Engine {
    tenant: String,
    acd: Acd,
    simulator: Option<Simulator>,
    audience: Audience,
    clock: Arc<Clock>,
    counters: Arc<Counters>,
    /// The shortest time between two statistics flushes.
    stats_interval: Duration,
    /// Where supervisors' actions are recorded.
    audit: AuditLog,
    /// The sessions a connection carries now. An agent none of whose sessions is among them
    /// has lost its connections: after the grace period `on_disconnect` applies.
    carried: HashSet<SessionNumber>,
    /// Agents without a connection, and when their grace period ends.
    grace: HashMap<AgentId, Timestamp>,
    disconnect_grace: Duration,
    on_disconnect: OnDisconnect,
    /// How long a session's events are kept for a resume.
    resume_window: Duration,
    /// The tenant's journal; `None` when the server keeps its state in memory only.
    durable: Option<Durable>,
    /// The configuration the core runs on now, for the snapshots.
    config: acd::Config,
    /// The records of the calls and conversations in progress, folded from the core's events.
    records: Records,
    /// Where finished records go (files only with a data directory).
    record_files: RecordFiles,
    /// While the journal cannot be written: when to try the simulator's actions again (the
    /// commands of sessions try at once, each group).
    journal_retry: Option<Timestamp>,
    /// With `[cluster]`: the tenant's replica of its log, which orders every command, instead
    /// of the journal.
    replica: Option<Box<Replicated>>,
    /// For tests of the server's failure path only: `ACDHUB_TEST_ENGINE_PANIC` names a call
    /// whose `call_arrived` makes the engine panic, before it is journaled, as a bug would.
    panic_on_call: Option<String>,
}

/// What an engine is given besides its tenant's core: the server's clock, counters and audit
/// log, and the settings that are the same for every tenant.
pub struct EngineSetup {
    pub clock: Arc<Clock>,
    pub counters: Arc<Counters>,
    pub stats_updates_per_sec: u32,
    pub audit: AuditLog,
    pub disconnect_grace: Duration,
    pub on_disconnect: OnDisconnect,
    /// How long a session's events are kept for a resume (`[limits] resume_secs`): on a node
    /// of a cluster, every agent's, for sessions resumed here from another node.
    pub resume: Duration,
}

/// A session that authenticated. A `resumed` session is attached already: it is carried by a
/// connection again, and gets the ack alone.
pub struct Attach {
    pub handle: Arc<SessionHandle>,
    /// The connection of the session that sent `auth`, whose reply the ack is.
    pub epoch: u64,
    pub identity: Arc<Identity>,
    /// The `auth` message's id.
    pub id: String,
    /// The session token the client authenticates with next time, and when it expires.
    pub token: String,
    pub token_expires_at: Timestamp,
    /// The secret the client resumes the session with.
    pub secret: SessionSecret,
    pub resumed: bool,
}

impl Engine {
    pub fn new(
        tenant: String,
        acd: Acd,
        config: acd::Config,
        simulator: Option<Simulator>,
        durable: Option<Durable>,
        setup: EngineSetup,
    ) -> Engine {
        let audience = Audience::new(&acd, setup.counters.clone());
        if durable.is_some() {
            setup.counters.journal_opened(&tenant);
        }
        let record_files = RecordFiles::none(&tenant);
        let panic_on_call = std::env::var("ACDHUB_TEST_ENGINE_PANIC").ok();
        if let Some(call) = &panic_on_call {
            tracing::warn!(
                %tenant,
                "ACDHUB_TEST_ENGINE_PANIC: a call_arrived of `{call}` makes this engine panic, for tests only"
            );
        }
        Engine {
            tenant,
            acd,
            simulator,
            audience,
            clock: setup.clock,
            counters: setup.counters,
            stats_interval: Duration::from_secs(1) / setup.stats_updates_per_sec.max(1),
            audit: setup.audit,
            carried: HashSet::new(),
            grace: HashMap::new(),
            disconnect_grace: setup.disconnect_grace,
            resume_window: setup.resume,
            on_disconnect: setup.on_disconnect,
            durable,
            config,
            records: Records::default(),
            record_files,
            journal_retry: None,
            replica: None,
            panic_on_call,
        }
    }

    /// Runs on the cluster's log from now on, as `replica` says, and keeps every listener's
    /// events from `counts` on (the replica's snapshot's).
    pub fn replicate(&mut self, replica: Replicated, counts: BTreeMap<Listener, u64>) {
        let streams = Streams::new(counts, self.resume_window, replica.time());
        self.audience.keep_streams(&self.acd, streams);
        self.replica = Some(Box::new(replica));
    }

    /// Folds call and conversation records from `records` on (a recovered tenant's), and
    /// writes finished ones to `files`; conversation records past their retention are deleted
    /// now and after every local midnight.
    pub fn keep_records(&mut self, records: Records, files: RecordFiles) {
        self.records = records;
        self.record_files = files;
        let _ = self.write_records();
    }

    /// Writes the finished call and conversation records (the files skip those they have, so
    /// a replay after a crash writes each once), and sweeps conversation records past their
    /// retention when a local midnight has passed since the last sweep.
    fn write_records(&mut self) -> std::io::Result<()> {
        let written = self.record_files.write(&mut self.records);
        self.record_files.sweep_if_due(self.clock.now());
        written
    }

    /// After a restart no agent has a connection: each logged-in agent gets the grace period
    /// from now, as after a dropped connection (the simulator's agents have no connection to
    /// lose).
    pub fn start_grace_for_everyone(&mut self) {
        let ends = self.clock.now() + self.disconnect_grace;
        let people: Vec<AgentId> = self
            .acd
            .agents()
            .filter(|agent| agent.status != AgentStatus::LoggedOut)
            .map(|agent| agent.id)
            .filter(|agent| {
                !self
                    .simulator
                    .as_ref()
                    .is_some_and(|simulator| simulator.plays(agent))
            })
            .collect();
        for agent in people {
            self.grace.insert(agent, ends);
        }
    }

    /// The core's state as the journal's records made it, for a snapshot. Written on the
    /// engine's schedule and when it stops.
    async fn snapshot(&mut self) -> Result<(), String> {
        // What the snapshot stops the journal from holding must be on disk first: the records
        // written so far (a record not written travels in the snapshot).
        if self.write_records().is_ok()
            && let Err(error) = self.record_files.sync()
        {
            return Err(format!("records not synced: {error}"));
        }
        if let Some(durable) = self.durable.as_mut() {
            let state = StateRef {
                acd: &self.acd,
                config: &self.config,
                simulator: self.simulator.as_ref(),
                records: &self.records.calls,
                conversation_records: &self.records.conversations,
            };
            let written = durable.snapshot(state).await;
            self.counters.snapshot(&self.tenant, written.is_ok());
            return written.map_err(|error| error.to_string());
        }
        Ok(())
    }

    /// Writes a snapshot now (the day's first, at a tenant's first start).
    pub async fn snapshot_now(&mut self) -> Result<(), String> {
        self.snapshot().await
    }

    /// Puts the core on `config` if it runs on another one (the file was edited while the
    /// server was down, or reloaded): journaled, then applied, as any command.
    pub async fn reconfigure_to(
        &mut self,
        config: &acd::Config,
        now: Timestamp,
    ) -> Result<(), ReconfigureError> {
        if *config == self.config {
            return Ok(());
        }
        self.reconfigure(config.clone(), now).await
    }

    async fn snapshot_if_due(&mut self) {
        if self.durable.as_ref().is_some_and(Durable::snapshot_due) {
            // A failure is logged; the journal still has every record.
            let _ = self.snapshot().await;
        }
    }

    /// Journals commands about to be applied at `now`, and waits until they are durable.
    /// `Err` (the disk is full or read-only): none of them may be applied.
    async fn journal(&mut self, now: Timestamp, commands: &[acd::Command]) -> Result<(), String> {
        let Some(durable) = self.durable.as_mut() else {
            return Ok(());
        };
        if commands.is_empty() {
            return Ok(());
        }
        let records: Vec<Record> = commands
            .iter()
            .map(|command| Record {
                at: now,
                entry: Entry::Command(command.clone()),
            })
            .collect();
        let written = durable.append(&records).await;
        self.journal_retry = written.is_err().then(|| now + Duration::from_secs(1));
        self.counters
            .journaled(&self.tenant, records.len(), written.is_ok());
        written
    }

    /// Runs until `stop` is cancelled or every sender is gone.
    pub async fn run(mut self, mut requests: mpsc::Receiver<Request>, stop: CancellationToken) {
        if self.replica.is_some() {
            return self.run_replicated(requests, stop).await;
        }
        tracing::debug!(tenant = %self.tenant, "engine started");
        // Statistics go out at most once per interval: when something changed, at the end of
        // the interval that started with the last flush.
        let mut last_flush: Option<Instant> = None;
        let mut flush_at: Option<Instant> = None;
        loop {
            let now = self.clock.now();
            self.catch_up(now).await;
            if flush_at.is_none() && self.audience.stats_stale() {
                let now = Instant::now();
                flush_at =
                    Some(last_flush.map_or(now, |last| (last + self.stats_interval).max(now)));
            }
            let mut next = self.acd.poll_timeout();
            if let Some(at) = self.simulator.as_ref().and_then(Simulator::next_action_at) {
                next = next.min(at.max(self.journal_retry.unwrap_or(at)));
            }
            if let Some(&at) = self.grace.values().min() {
                next = next.min(at);
            }
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                () = sleep_until_option(flush_at) => {
                    self.catch_up(self.clock.now()).await;
                    self.audience.flush_stats(&self.acd);
                    last_flush = Some(Instant::now());
                    flush_at = None;
                }
                request = requests.recv() => match request {
                    Some(request) => {
                        let mut group = vec![request];
                        while group.len() < GROUP_SIZE {
                            match requests.try_recv() {
                                Ok(request) => group.push(request),
                                Err(_) => break,
                            }
                        }
                        self.requests(group).await;
                    }
                    None => break,
                },
                () = tokio::time::sleep(self.clock.until(next)) => {}
            }
            let _ = self.write_records();
            self.snapshot_if_due().await;
        }
        let _ = self.snapshot().await;
        tracing::debug!(tenant = %self.tenant, "engine stopped");
    }

    /// Lets the core's deadlines, the grace periods and the simulator's actions up to `now`
    /// happen.
    async fn catch_up(&mut self, now: jiff::Timestamp) {
        // Each deadline at its own instant, so that whoever learns from the events (the
        // simulator, the call detail records) sees when it happened, live and on replay alike.
        while self.acd.poll_timeout() <= now {
            let deadline = self.acd.poll_timeout();
            self.acd.handle_timeout(deadline);
            self.drain(deadline);
        }
        self.acd.handle_timeout(now);
        self.drain(now);
        let grace_over = self.grace_over(now);
        let mut commands: Vec<acd::Command> = grace_over
            .iter()
            .map(|(_, command)| command.clone())
            .collect();
        // The simulator as it was before drawing, to go back to if the draw cannot be
        // journaled: its actions then happen when the disk takes them.
        let mut undrawn = None;
        let retrying = self.journal_retry.is_some_and(|at| now < at);
        if let Some(simulator) = self.simulator.as_mut()
            && !retrying
            && simulator.next_action_at().is_some_and(|at| at <= now)
        {
            undrawn = Some(simulator.clone());
            commands.extend(simulator.actions_due(now));
        }
        if commands.is_empty() {
            return;
        }
        if self.journal(now, &commands).await.is_err() {
            // Not durable, so not applied: the agents' grace ends again a little later, and
            // the simulator is back where it was before it drew its actions.
            let retry = now + Duration::from_secs(1);
            for (agent, _) in grace_over {
                self.grace.insert(agent, retry);
            }
            if let Some(simulator) = undrawn {
                self.simulator = Some(simulator);
            }
            return;
        }
        let people = grace_over.len();
        for (index, command) in commands.into_iter().enumerate() {
            // A simulated action the core refuses (the caller hung up as the agent answered)
            // is simply dropped: the simulator learns what happened from the events. So is an
            // agent's end of grace when it logged out meanwhile. A logout tried again that
            // changes nothing yet (the agent still has a conversation open) is not logged.
            let person = (index < people).then(|| &grace_over[index].0);
            let before = person
                .and_then(|agent| self.acd.agent(agent))
                .map(|a| (a.status, a.pending));
            let accepted = self.acd.handle(command, now).is_ok();
            if let Some(agent) = person
                && accepted
                && self.acd.agent(agent).map(|a| (a.status, a.pending)) != before
            {
                tracing::info!(tenant = %self.tenant, %agent, "agent's connection gone past the grace period");
            }
            self.drain(now);
        }
    }

    /// Hands every pending event of the core to the simulator and the sessions.
    fn drain(&mut self, now: jiff::Timestamp) {
        self.audience.set_time(now);
        while let Some(event) = self.acd.poll_event() {
            if let Some(simulator) = self.simulator.as_mut() {
                simulator.observe(&event, now);
            }
            self.records.observe(&event, now);
            self.audience.publish(&self.acd, &event);
        }
        self.audience.end_step(&self.acd);
    }

    /// Agents whose grace period is over and who still have no connection, each with the
    /// command that ends it: not ready with reason `disconnected`, or logged out (an agent with
    /// a call gets it as its pending state).
    fn grace_over(&mut self, now: Timestamp) -> Vec<(AgentId, acd::Command)> {
        let due: Vec<AgentId> = self
            .grace
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(agent, _)| agent.clone())
            .collect();
        let mut over = Vec::with_capacity(due.len());
        for agent in due {
            self.grace.remove(&agent);
            if self.is_carried(&agent) {
                continue;
            }
            let logout = self.on_disconnect == OnDisconnect::Logout;
            let (state, again) = disconnected_state(&self.acd, &agent, logout);
            if again {
                self.grace.insert(agent.clone(), now + LOGOUT_RETRY);
            }
            // A try that would change nothing (still not ready for it) is not journaled.
            let already = self
                .acd
                .agent(&agent)
                .is_some_and(|a| match (&a.status, &state) {
                    (
                        AgentStatus::NotReady { reason },
                        RequestedState::NotReady { reason: wanted },
                    ) => reason == wanted,
                    _ => false,
                });
            if !already {
                over.push((agent.clone(), set_state(agent, state)));
            }
        }
        over
    }

    /// Whether a connection carries one of the agent's sessions.
    fn is_carried(&self, agent: &AgentId) -> bool {
        self.audience
            .sessions_of(agent)
            .any(|session| self.carried.contains(&session))
    }

    /// The session lost its connection (or is ending): if it was its agent's last, the grace
    /// period starts.
    fn disconnected(&mut self, session: SessionNumber) {
        self.carried.remove(&session);
        let Some(agent) = self.audience.agent_of(session).cloned() else {
            return;
        };
        if self.replica.is_some() {
            // Grace periods are the log's: it hears that this node carries the agent no more.
            if !self.is_carried(&agent) {
                self.presence_changed(agent, false);
            }
            return;
        }
        let logged_in = self
            .acd
            .agent(&agent)
            .is_some_and(|a| a.status != AgentStatus::LoggedOut);
        if logged_in && !self.is_carried(&agent) && !self.grace.contains_key(&agent) {
            let ends = self.clock.now() + self.disconnect_grace;
            self.grace.insert(agent, ends);
        }
    }

    /// A group of requests, in order. Write-ahead: the group's commands are journaled, and
    /// durable, before any of them is applied, so they share one sync to disk.
    async fn requests(&mut self, mut group: Vec<Request>) {
        let now = self.clock.now();
        // A reconfiguration is journaled on its own, between the commands before and after it.
        if let Some(at) = group
            .iter()
            .position(|request| matches!(request, Request::Reconfigure { .. }))
        {
            let mut rest = group.split_off(at);
            let Request::Reconfigure { config, reply } = rest.remove(0) else {
                unreachable!("found above")
            };
            Box::pin(self.requests(group)).await;
            let done = self.reconfigure(config, self.clock.now()).await;
            let _ = reply.send(done.map_err(|error| error.to_string()));
            if !rest.is_empty() {
                Box::pin(self.requests(rest)).await;
            }
            return;
        }
        self.catch_up(now).await;
        // A supervisor action goes ahead only with room for its audit record made sure of;
        // one refused is neither journaled nor applied.
        let admitted: Vec<Admission> = group.iter().map(|r| self.admit(r, now)).collect();
        let commands: Vec<acd::Command> = group
            .iter()
            .zip(&admitted)
            .filter_map(|(request, admission)| match (request, admission) {
                (
                    Request::Command {
                        command: Command::Acd(command),
                        ..
                    },
                    Ok(_),
                ) => Some(command.clone()),
                _ => None,
            })
            .collect();
        if let Some(call) = &self.panic_on_call {
            let arrives = |command: &acd::Command| matches!(command, acd::Command::CallArrived { call: c, .. } if c.as_str() == call);
            assert!(
                !commands.iter().any(arrives),
                "ACDHUB_TEST_ENGINE_PANIC: call `{call}` arrived"
            );
        }
        let journaled = self.journal(now, &commands).await;
        for (request, admission) in group.into_iter().zip(admitted) {
            let refusal = match &admission {
                Err(unavailable) => Some(ProtocolError::AuditUnavailable(unavailable.to_string())),
                Ok(_) => journaled
                    .as_ref()
                    .err()
                    .map(|why| ProtocolError::StorageUnavailable(why.clone())),
            };
            self.request(request, now, refusal, admission.ok().flatten());
        }
    }

    /// Room in the audit log for a supervisor action's record (`Ok(None)`: nothing to audit).
    fn admit(&self, request: &Request, now: Timestamp) -> Admission {
        let Request::Command {
            identity,
            audited: Some(action),
            ..
        } = request
        else {
            return Ok(None);
        };
        let actor = Actor {
            tenant: &identity.tenant,
            user: &identity.user,
            role: identity.role(),
        };
        let admitted = self.audit.admit(now, &actor, action);
        self.counters.audit_writable(admitted.is_ok());
        if admitted.is_err() {
            self.counters.audit_refused();
        }
        admitted.map(Some)
    }

    /// One request at `now`; `refusal` says why, if its command was not journaled (it is
    /// refused: the journal or the audit log could not be written). `admitted` is the room
    /// its audit record has.
    fn request(
        &mut self,
        request: Request,
        now: Timestamp,
        refusal: Option<ProtocolError>,
        admitted: Option<Admitted>,
    ) {
        match request {
            Request::Attach(attach) => self.attach(attach),
            Request::Detach { session } => {
                self.disconnected(session);
                self.audience.detach(session);
            }
            Request::Disconnected { session } => self.disconnected(session),
            Request::Figures { reply } => {
                let _ = reply.send(TenantFigures::of(&self.tenant, &self.acd));
            }
            Request::Display { token_hash, reply } => {
                let display = self.acd.display_with_hash(&token_hash);
                let _ = reply.send(display.map(|d| d.name.clone()));
            }
            Request::Wake => {}
            Request::Adopt(adopt) => self.adopt(adopt),
            Request::Reconfigure { .. } => {
                unreachable!("requests() takes a reconfiguration on its own")
            }
            Request::Command {
                handle,
                epoch,
                identity,
                id,
                command,
                audited,
                answer,
                on_logged_out,
            } => {
                if let Command::WhatIf { queue, hypothesis } = command {
                    match self.what_if(&queue, hypothesis) {
                        Ok(job) => job.answer_later(handle, epoch, id),
                        Err(refusal) => {
                            let error = self.refused(&identity, id, &refusal);
                            handle.send_answer(epoch, error.to_json());
                        }
                    }
                    return;
                }
                let logs_out = command.logs_out().cloned();
                let result = match (&command, refusal) {
                    (Command::Acd(_), Some(refusal))
                    | (_, Some(refusal @ ProtocolError::AuditUnavailable(_))) => {
                        Err(Refusal::Protocol(refusal))
                    }
                    _ => self.command(&handle, &identity, command, now),
                };
                let logged_out = logs_out.is_some_and(|agent| {
                    self.acd
                        .agent(&agent)
                        .is_some_and(|a| a.status.kind() == AgentStatusKind::LoggedOut)
                });
                if result.is_ok()
                    && logged_out
                    && let Some(revoke) = on_logged_out
                {
                    revoke();
                }
                let reply = match result {
                    Ok(result) => Reply::Ack {
                        id,
                        result: result.or(answer),
                    },
                    Err(refusal) => self.refused(&identity, id, &refusal),
                };
                if let Some(action) = audited {
                    let result = match &reply {
                        Reply::Error { code, .. } => code,
                        _ => "ok",
                    };
                    let actor = Actor {
                        tenant: &identity.tenant,
                        user: &identity.user,
                        role: identity.role(),
                    };
                    // Before the reply: an acknowledged action is already on record. One
                    // refused without room for its record is on record too: `audit_unavailable`
                    // in the server's log only (the file could not take it), another refusal
                    // (a cluster's log without quorum) in the file if it can.
                    match admitted {
                        Some(admitted) => {
                            self.audit
                                .record_admitted(admitted, now, &actor, &action, result);
                        }
                        None if result == "audit_unavailable" => {
                            self.audit.record_in_log_only(now, &actor, &action, result)
                        }
                        None => self.audit.record(now, &actor, &action, result),
                    }
                }
                handle.send_answer(epoch, reply.to_json());
            }
        }
    }

    /// Runs the core on a reloaded configuration, and tells the audience about new queues and
    /// skills; what the change causes (offers, overflows) goes out as any step's events.
    /// Puts the core on a new configuration: checked first (a refusal changes nothing and
    /// is not journaled), then journaled, then applied.
    async fn reconfigure(
        &mut self,
        config: acd::Config,
        now: Timestamp,
    ) -> Result<(), ReconfigureError> {
        self.catch_up(now).await;
        self.acd
            .check(&config)
            .map_err(|error| ReconfigureError::Refused(error.to_string()))?;
        if let Some(durable) = self.durable.as_mut() {
            let record = Record {
                at: now,
                entry: Entry::Reconfigure(config.clone()),
            };
            let written = durable.append(&[record]).await;
            self.counters.journaled(&self.tenant, 1, written.is_ok());
            written.map_err(ReconfigureError::Storage)?;
        }
        self.acd
            .reconfigure(config.clone(), now)
            .map_err(|error| ReconfigureError::Refused(error.to_string()))?;
        self.config = config;
        self.audience.reconfigured(&self.acd);
        self.drain(now);
        Ok(())
    }

    fn attach(&mut self, attach: Attach) {
        let Attach {
            handle,
            epoch,
            identity,
            id,
            token,
            token_expires_at,
            secret,
            resumed,
        } = attach;
        let was_carried = identity.acting.agent().map(|agent| self.is_carried(agent));
        self.carried.insert(handle.number);
        if let Some(agent) = identity.acting.agent() {
            self.grace.remove(agent);
        }
        if !resumed {
            let snapshot = self.snapshot_and_listen(&handle, &identity);
            self.register(&secret, &identity, snapshot);
        }
        if self.replica.is_some()
            && was_carried == Some(false)
            && let Some(agent) = identity.acting.agent()
        {
            self.presence_changed(agent.clone(), true);
        }
        let named = |id: &str, name: &str| Named {
            id: id.to_owned(),
            name: name.to_owned(),
        };
        let queues = self
            .acd
            .lanes()
            .map(|lane| self.acd.lane_config(lane))
            .map(|q| NamedQueue {
                id: q.id.to_string(),
                name: q.name.clone(),
                channel: q.channel_name().to_owned(),
                dispositions: q
                    .dispositions
                    .iter()
                    .map(|d| named(d.code.as_str(), &d.label))
                    .collect(),
                disposition_required: q.disposition_required,
                thresholds: QueueThresholds {
                    waiting: q.thresholds.waiting,
                    oldest_wait_secs: q.thresholds.oldest_wait_secs,
                    abandonment_percent: q.thresholds.abandonment_percent,
                },
            })
            .collect();
        let result = AuthResult {
            user: identity.user.clone(),
            role: identity.role().name(),
            tenant: self.tenant.clone(),
            // A core restored from a snapshot older than names has none until a reload.
            tenant_name: match self.acd.name() {
                "" => self.tenant.clone(),
                name => name.to_owned(),
            },
            agent: identity.acting.agent().map(|a| a.to_string()),
            token,
            token_expires_at: time(token_expires_at),
            session: secret.0,
            resumed,
            queues,
            // Only an agent is named, to itself: the roster comes in pages (`list_agents`), so
            // no sign-in writes one message the size of the tenant (300 KB at 10,000 agents),
            // whose size tungstenite's write buffer would keep.
            agents: match &identity.acting {
                Acting::Agent(me) => self
                    .acd
                    .agent(me)
                    .map(|a| named(a.id.as_str(), &a.name))
                    .into_iter()
                    .collect(),
                Acting::Supervisor
                | Acting::Wallboard
                | Acting::Display(_)
                | Acting::Telephony
                | Acting::Messaging => Vec::new(),
            },
            not_ready_reasons: self
                .acd
                .not_ready_reasons()
                .iter()
                .map(|r| named(r.code.as_str(), &r.label))
                .collect(),
            alerts: {
                let alerts = self.acd.alerts();
                Alerts {
                    not_ready_secs: alerts.not_ready_secs,
                    wrap_up_secs: alerts.wrap_up_secs,
                    hold_secs: alerts.hold_secs,
                }
            },
            data_labels: self
                .acd
                .data_labels()
                .iter()
                .map(|(key, label)| named(key, label))
                .collect(),
            telephony: {
                let features = self.acd.telephony();
                Telephony {
                    consult: features.consult,
                    conference: features.conference,
                }
            },
        };
        let result = serde_json::to_value(result).expect("the auth result serializes");
        let reply = Reply::Ack {
            id,
            result: Some(result),
        };
        handle.send_answer(epoch, reply.to_json());
        tracing::debug!(tenant = %self.tenant, sessions = self.audience.sessions(), "session attached");
    }

    /// A new session's snapshot, and its place in the audience from now on. Returns how many
    /// events the snapshot has.
    fn snapshot_and_listen(&mut self, handle: &Arc<SessionHandle>, identity: &Identity) -> u64 {
        match &identity.acting {
            Acting::Agent(agent) => {
                let events = agent_snapshot(&self.acd, agent, handle);
                self.audience
                    .attach_agent(&self.acd, agent.clone(), handle.clone());
                events
            }
            Acting::Wallboard | Acting::Supervisor => {
                self.audience
                    .attach_watcher(identity.role(), handle.clone(), None);
                0
            }
            // Revoked between its sign-in's look-up and this: it ends at once, as it would have.
            Acting::Display(name) if self.acd.displays().iter().all(|d| &d.name != name) => {
                handle.close(DISPLAY_REVOKED);
                0
            }
            Acting::Display(name) => {
                self.audience
                    .attach_watcher(identity.role(), handle.clone(), Some(name.clone()));
                0
            }
            Acting::Telephony => {
                let events = telephony_snapshot(&self.acd, handle);
                self.audience.attach_telephony(handle.clone());
                events
            }
            Acting::Messaging => {
                let events = messaging_snapshot(&self.acd, handle);
                self.audience.attach_messaging(handle.clone());
                events
            }
        }
    }

    fn command(
        &mut self,
        handle: &SessionHandle,
        identity: &Identity,
        command: Command,
        now: jiff::Timestamp,
    ) -> Result<Option<serde_json::Value>, Refusal> {
        let command = match command {
            Command::Acd(command) => command,
            Command::Subscribe {
                queues,
                tenant_total,
            } => {
                return self
                    .subscribe(handle, identity, queues, tenant_total)
                    .map(|()| None);
            }
            Command::ListDisplays => {
                let list = crate::protocol::outbound::DisplayList {
                    displays: self
                        .acd
                        .displays()
                        .iter()
                        .map(crate::protocol::outbound::ListedDisplay::from)
                        .collect(),
                };
                let list = serde_json::to_value(list).expect("a list of displays serializes");
                return Ok(Some(list));
            }
            // The session draws the token and sends the core's command instead (`display.rs`).
            Command::CreateDisplay { .. } => {
                return Err(Refusal::Protocol(ProtocolError::BadMessage(
                    "create_display: its token is drawn before the engine".into(),
                )));
            }
            Command::ListAgents {
                queue,
                after,
                limit,
            } => {
                let page = self.list_agents(queue.as_ref(), after.as_ref(), limit)?;
                let page = serde_json::to_value(page).expect("a page of agents serializes");
                return Ok(Some(page));
            }
            Command::ListQueues => {
                let queues = QueueList {
                    queues: self
                        .acd
                        .lanes()
                        .map(|lane| {
                            let stats = self.acd.lane_stats(lane);
                            ListedQueue {
                                id: stats.id.to_string(),
                                name: stats.name.clone(),
                                channel: stats.channel_name().to_owned(),
                                waiting: stats.waiting,
                                oldest_waiting_since: stats.oldest_waiting_since.map(time),
                                agents_ready: stats.stats.agents.ready,
                                agents_logged_in: stats.stats.agents.logged_in,
                            }
                        })
                        .collect(),
                };
                let queues = serde_json::to_value(queues).expect("a list of queues serializes");
                return Ok(Some(queues));
            }
            Command::AgentsToday { after, limit } => {
                if let Some(after) = &after
                    && self.acd.agent(after).is_none()
                {
                    return Err(Refusal::Acd(AcdError::UnknownAgent(after.clone())));
                }
                let mut ids = self.acd.agents().map(|agent| agent.id);
                if let Some(after) = &after {
                    ids.by_ref().find(|id| id == after);
                }
                let agents: Vec<AgentToday> = ids
                    .by_ref()
                    .take(limit)
                    .filter_map(|id| {
                        let day = self.acd.agent_day(&id)?;
                        Some(AgentToday::new(id.as_str(), &day))
                    })
                    .collect();
                let next = ids.next().and(agents.last().map(|a| a.agent.clone()));
                let page = AgentsTodayPage { agents, next };
                return Ok(Some(serde_json::to_value(page).expect("a page serializes")));
            }
            Command::MyDay { agent } => {
                let day = self
                    .acd
                    .agent_day(&agent)
                    .ok_or(Refusal::Acd(AcdError::UnknownAgent(agent)))?;
                let day = serde_json::to_value(MyDay::new(&day)).expect("a day serializes");
                return Ok(Some(day));
            }
            Command::WhatIf { .. } => unreachable!("request() answers a what-if itself"),
            // The session answers these itself; one that got here needs nothing.
            Command::Ping | Command::Seen { .. } => return Ok(None),
        };
        let cause = match identity.role() {
            Role::Supervisor => cause_of(&command, &identity.user),
            _ => None,
        };
        self.acd.handle(command, now)?;
        if let Some(cause) = cause {
            self.audience.caused_by(cause);
        }
        self.drain(now);
        Ok(None)
    }

    /// The `error` answering `identity`'s command `id`, refused for `refusal`, counted by role
    /// and code.
    fn refused(&self, identity: &Identity, id: String, refusal: &Refusal) -> Reply {
        self.counters
            .refused(identity.role().name(), refusal.code());
        Reply::refused(Some(id), refusal)
    }

    /// A what-if for the calls of `queue` (its voice lane): the window is read here, as of the
    /// core's time; the Erlang figures are computed later, off this thread.
    fn what_if(&self, queue: &QueueId, hypothesis: Hypothesis) -> Result<WhatIfJob, Refusal> {
        let mut lanes = self.acd.lanes_of(queue).peekable();
        if lanes.peek().is_none() {
            return Err(Refusal::Acd(AcdError::UnknownQueue(queue.clone())));
        }
        let Some(voice) =
            lanes.find(|lane| self.acd.lane_config(*lane).channel_name() == acd::config::VOICE)
        else {
            let routes: Vec<&str> = self
                .acd
                .lanes_of(queue)
                .map(|lane| self.acd.lane_config(lane).channel_name())
                .collect();
            return Err(Refusal::Acd(AcdError::WrongChannel {
                queue: queue.clone(),
                routes: routes.join(", "),
                wanted: acd::config::VOICE.to_owned(),
            }));
        };
        let (start, span) = self.acd.rolling_counted();
        Ok(WhatIfJob {
            stats: self.acd.lane_stats(voice),
            start,
            span,
            now: self.acd.now(),
            hypothesis,
        })
    }

    /// A page of `list_agents`: the agents after `after` in the tenant's order (with a skill in
    /// `queue`, if given), at most `limit`, and where the next page starts.
    fn list_agents(
        &self,
        queue: Option<&QueueId>,
        after: Option<&AgentId>,
        limit: usize,
    ) -> Result<AgentPage, Refusal> {
        if let Some(queue) = queue
            && self.acd.queue_config(queue).is_none()
        {
            return Err(Refusal::Acd(AcdError::UnknownQueue(queue.clone())));
        }
        if let Some(after) = after
            && self.acd.agent(after).is_none()
        {
            return Err(Refusal::Acd(AcdError::UnknownAgent(after.clone())));
        }
        let mut agents = self.acd.agents();
        if let Some(after) = after {
            agents.by_ref().find(|agent| &agent.id == after);
        }
        let mut listed = agents
            .filter(|agent| queue.is_none_or(|queue| agent.skills.iter().any(|(q, _)| q == queue)));
        let page: Vec<ListedAgent> = listed
            .by_ref()
            .take(limit)
            .map(|agent| ListedAgent {
                id: agent.id.to_string(),
                name: agent.name.clone(),
                state: agent.status.kind().name(),
            })
            .collect();
        let next = match listed.next() {
            Some(_) => page.last().map(|agent| agent.id.clone()),
            None => None,
        };
        Ok(AgentPage { agents: page, next })
    }

    fn subscribe(
        &mut self,
        handle: &SessionHandle,
        identity: &Identity,
        queues: Option<Vec<QueueId>>,
        tenant_total: bool,
    ) -> Result<(), Refusal> {
        let queues: HashSet<QueueId> = match queues {
            None => self.acd.queue_ids().cloned().collect(),
            Some(named) => {
                let mut set = HashSet::with_capacity(named.len());
                for queue in named {
                    if self.acd.queue_config(&queue).is_none() {
                        return Err(Refusal::Acd(AcdError::UnknownQueue(queue)));
                    }
                    set.insert(queue);
                }
                set
            }
        };
        let subscription = Subscription {
            queues,
            tenant_total,
        };
        // The old subscription's unwritten statistics are forgotten, and the new one's wait
        // until its snapshot has been written: nothing older than the snapshot comes after it,
        // nothing newer before it.
        let Some(generation) = self.audience.subscribe(handle.number, subscription.clone()) else {
            return Err(Refusal::Protocol(ProtocolError::Unavailable));
        };
        watcher_snapshot(
            &self.acd,
            identity.role(),
            &subscription,
            self.audience.tenant_variant(),
            handle,
            generation,
        );
        Ok(())
    }
}

/// What a supervisor's command acts on, so the events it causes there carry `by`.
fn cause_of(command: &acd::Command, user: &str) -> Option<Cause> {
    let (agent, call) = match command {
        acd::Command::SetState { agent, .. }
        | acd::Command::SetPending { agent, .. }
        | acd::Command::ClearPending { agent } => (Some(agent.clone()), None),
        acd::Command::SetCallPriority { call, .. } | acd::Command::MoveCall { call, .. } => {
            (None, Some(call.clone()))
        }
        _ => return None,
    };
    Some(Cause {
        user: user.to_owned(),
        agent,
        call,
    })
}

/// How long after a grace period that could not log an agent out (it had a conversation open)
/// the logout is tried again, while the agent still has no connection.
pub(super) const LOGOUT_RETRY: Duration = Duration::from_secs(30);

/// What an agent whose connections are gone past the grace period goes to: logged out when the
/// server logs such agents out, unless it has a conversation open or in its wrap-up (which an
/// agent cannot log out from: they wait for it; offers still ringing the logout declines), and
/// otherwise not ready with reason `disconnected`, so nothing new is offered to it either way.
/// The second value says the logout is to be tried again ([`LOGOUT_RETRY`]): once the agent's
/// conversations are over, it goes.
pub(super) fn disconnected_state(
    acd: &Acd,
    agent: &AgentId,
    logout: bool,
) -> (RequestedState, bool) {
    if logout && !acd.holds_open_conversation(agent) {
        (RequestedState::LoggedOut, false)
    } else {
        let reason = ReasonCode::new(ReasonCode::DISCONNECTED);
        (RequestedState::NotReady { reason }, logout)
    }
}

fn set_state(agent: AgentId, state: RequestedState) -> acd::Command {
    acd::Command::SetState { agent, state }
}

/// A what-if whose window has been read: the rest is arithmetic, which can take a few hundred
/// milliseconds at the largest inputs (`acdhub::staffing`), too long for the engine's thread.
struct WhatIfJob {
    stats: acd::QueueStats,
    start: Timestamp,
    span: Duration,
    now: Timestamp,
    hypothesis: Hypothesis,
}

/// One what-if computes at a time, on a blocking thread: a supervisor asking for many makes
/// the others wait, never the routing. How many can wait is bounded by the sessions' commands
/// in flight.
static WHAT_IF_TURN: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl WhatIfJob {
    /// Computes the answer on a blocking thread and sends it as the `ack`'s `result`.
    fn answer_later(self, handle: Arc<SessionHandle>, epoch: u64, id: String) {
        tokio::task::spawn_blocking(move || {
            let _turn = WHAT_IF_TURN
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // A bug in the arithmetic must not leave the command unanswered (its session
            // waits for every reply it is owed): it is answered `unavailable`, and logged.
            let answered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                staffing::what_if(
                    &self.stats,
                    self.start,
                    self.span,
                    self.now,
                    self.hypothesis,
                )
            }));
            let reply = match answered {
                Ok(answer) => Reply::Ack {
                    id,
                    result: Some(
                        serde_json::to_value(answer).expect("a what-if's answer serializes"),
                    ),
                },
                Err(_) => {
                    tracing::error!(queue = %self.stats.id, hypothesis = ?self.hypothesis, "a what-if failed");
                    Reply::refused(Some(id), &ProtocolError::Unavailable.into())
                }
            };
            handle.send_answer(epoch, reply.to_json());
        });
    }
}
