//! One engine task per tenant: the only owner and writer of that tenant's ACD core.
//!
//! Sessions send it requests over a bounded channel; it reads the clock, applies each command,
//! runs the core's deadlines when they fall due, plays the simulator if the tenant has one, and
//! routes every event to the sessions that should hear it. Nothing else touches the core, so
//! there is no lock around it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::acd::{
    Acd, AcdError, AgentId, AgentStatus, CallData, CallId, Command, PendingState, QueueId,
    ReasonCode, RequestedState, TransferTarget,
};
use crate::config::{OnDisconnect, Role};
use crate::protocol::ProtocolError;
use crate::protocol::inbound::{ClientMessage, PendingName, StateName, TransferTo};
use crate::protocol::outbound::{AuthResult, Named, Reply, time};
use crate::sim::Simulator;

use super::audit::{Action, Actor, AuditLog};
use super::auth::{Identity, Token};
use super::clock::Clock;
use super::fanout::{
    Audience, Cause, Subscription, agent_snapshot, telephony_snapshot, watcher_snapshot,
};
use super::metrics::{Metrics, TenantMetrics};
use super::outbox::SessionHandle;

/// Requests waiting for an engine; a session that finds the channel full waits its turn.
pub const CHANNEL_CAPACITY: usize = 4096;

/// What a session asks of its tenant's engine.
pub enum Request {
    /// The session authenticated: send the `auth` ack (and, for a new session, its first
    /// snapshot), then its events.
    Attach(Attach),
    /// The session ended.
    Detach { session: u64 },
    /// The session's connection dropped; it waits to be resumed.
    Unlinked { session: u64 },
    /// A command the session's role may send (the session checked).
    Command {
        handle: Arc<SessionHandle>,
        epoch: u64,
        identity: Arc<Identity>,
        id: String,
        message: ClientMessage,
    },
    /// A scrape: the tenant's figures as of now.
    Metrics {
        reply: oneshot::Sender<TenantMetrics>,
    },
    /// The clock was moved: look at it again.
    Wake,
}

pub struct Engine {
    tenant: String,
    acd: Acd,
    simulator: Option<Simulator>,
    audience: Audience,
    clock: Arc<Clock>,
    metrics: Arc<Metrics>,
    /// The shortest time between two statistics flushes.
    stats_interval: Duration,
    /// Where supervisors' actions are recorded.
    audit: AuditLog,
    /// The sessions a connection carries now. An agent none of whose sessions is among them
    /// has lost its connections: after the grace period `on_disconnect` applies.
    linked: HashSet<u64>,
    /// Agents without a connection, and when their grace period ends.
    grace: HashMap<AgentId, Timestamp>,
    disconnect_grace: Duration,
    on_disconnect: OnDisconnect,
}

/// What an engine needs besides its tenant's core.
pub struct Surroundings {
    pub clock: Arc<Clock>,
    pub metrics: Arc<Metrics>,
    pub stats_updates_per_sec: u32,
    pub audit: AuditLog,
    pub disconnect_grace: Duration,
    pub on_disconnect: OnDisconnect,
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
    pub token: Token,
    /// The session's id, which its client resumes it with.
    pub session: String,
    pub resumed: bool,
}

/// Why a command did not reach the core, or what the core said.
enum Refusal {
    Protocol(ProtocolError),
    Acd(AcdError),
}

impl Engine {
    pub fn new(
        tenant: String,
        acd: Acd,
        simulator: Option<Simulator>,
        surroundings: Surroundings,
    ) -> Engine {
        let audience = Audience::new(&acd, surroundings.metrics.clone());
        Engine {
            tenant,
            acd,
            simulator,
            audience,
            clock: surroundings.clock,
            metrics: surroundings.metrics,
            stats_interval: Duration::from_secs(1) / surroundings.stats_updates_per_sec.max(1),
            audit: surroundings.audit,
            linked: HashSet::new(),
            grace: HashMap::new(),
            disconnect_grace: surroundings.disconnect_grace,
            on_disconnect: surroundings.on_disconnect,
        }
    }

    /// Runs until `stop` is cancelled or every sender is gone.
    pub async fn run(mut self, mut requests: mpsc::Receiver<Request>, stop: CancellationToken) {
        tracing::debug!(tenant = %self.tenant, "engine started");
        // Statistics go out at most once per interval: when something changed, at the end of
        // the interval that started with the last flush.
        let mut last_flush: Option<Instant> = None;
        let mut flush_at: Option<Instant> = None;
        loop {
            let now = self.clock.now();
            self.catch_up(now);
            if flush_at.is_none() && self.audience.stats_stale() {
                let now = Instant::now();
                flush_at =
                    Some(last_flush.map_or(now, |last| (last + self.stats_interval).max(now)));
            }
            let mut next = self.acd.poll_timeout();
            if let Some(at) = self.simulator.as_ref().and_then(Simulator::next_action_at) {
                next = next.min(at);
            }
            if let Some(&at) = self.grace.values().min() {
                next = next.min(at);
            }
            tokio::select! {
                biased;
                () = stop.cancelled() => break,
                () = sleep_until_option(flush_at) => {
                    self.catch_up(self.clock.now());
                    self.audience.flush_stats(&self.acd);
                    last_flush = Some(Instant::now());
                    flush_at = None;
                }
                request = requests.recv() => match request {
                    Some(request) => self.request(request),
                    None => break,
                },
                () = tokio::time::sleep(self.clock.until(next)) => {}
            }
        }
        tracing::debug!(tenant = %self.tenant, "engine stopped");
    }

    /// Lets the core's deadlines, the grace periods and the simulator's actions up to `now`
    /// happen.
    fn catch_up(&mut self, now: jiff::Timestamp) {
        self.acd.handle_timeout(now);
        self.drain(now);
        self.end_grace(now);
        let due = match self.simulator.as_mut() {
            Some(simulator) => simulator.actions_due(now),
            None => return,
        };
        for command in due {
            // A simulated action the core refuses (the caller hung up as the agent answered)
            // is simply dropped: the simulator learns what happened from the events.
            let _ = self.acd.handle(command, now);
            self.drain(now);
        }
    }

    /// Hands every pending event of the core to the simulator and the sessions.
    fn drain(&mut self, now: jiff::Timestamp) {
        while let Some(event) = self.acd.poll_event() {
            if let Some(simulator) = self.simulator.as_mut() {
                simulator.observe(&event, now);
            }
            self.audience.publish(&self.acd, &event);
        }
        self.audience.end_step(&self.acd);
    }

    /// Agents whose grace period is over and who still have no connection: not ready with
    /// reason `disconnected`, or logged out (an agent with a call gets it as its pending state).
    fn end_grace(&mut self, now: Timestamp) {
        let due: Vec<AgentId> = self
            .grace
            .iter()
            .filter(|(_, at)| **at <= now)
            .map(|(agent, _)| agent.clone())
            .collect();
        for agent in due {
            self.grace.remove(&agent);
            if self.is_linked(&agent) {
                continue;
            }
            let state = match self.on_disconnect {
                OnDisconnect::NotReady => RequestedState::NotReady {
                    reason: ReasonCode::new(ReasonCode::DISCONNECTED),
                },
                OnDisconnect::Logout => RequestedState::LoggedOut,
            };
            // An agent logged out meanwhile is refused: nothing to do.
            if self
                .acd
                .handle(set_state(agent.clone(), state), now)
                .is_ok()
            {
                tracing::info!(tenant = %self.tenant, %agent, "agent's connection gone past the grace period");
            }
            self.drain(now);
        }
    }

    /// Whether a connection carries one of the agent's sessions.
    fn is_linked(&self, agent: &AgentId) -> bool {
        self.audience
            .sessions_of(agent)
            .any(|session| self.linked.contains(&session))
    }

    /// The session lost its connection (or is ending): if it was its agent's last, the grace
    /// period starts.
    fn unlinked(&mut self, session: u64) {
        self.linked.remove(&session);
        let Some(agent) = self.audience.agent_of(session).cloned() else {
            return;
        };
        let logged_in = self
            .acd
            .agent(&agent)
            .is_some_and(|a| a.status != AgentStatus::LoggedOut);
        if logged_in && !self.is_linked(&agent) && !self.grace.contains_key(&agent) {
            let ends = self.clock.now() + self.disconnect_grace;
            self.grace.insert(agent, ends);
        }
    }

    fn request(&mut self, request: Request) {
        match request {
            Request::Attach(attach) => self.attach(attach),
            Request::Detach { session } => {
                self.unlinked(session);
                self.audience.detach(session);
            }
            Request::Unlinked { session } => self.unlinked(session),
            Request::Metrics { reply } => {
                self.catch_up(self.clock.now());
                let _ = reply.send(self.metrics());
            }
            Request::Wake => {}
            Request::Command {
                handle,
                epoch,
                identity,
                id,
                message,
            } => {
                let now = self.clock.now();
                self.catch_up(now);
                let audited = match identity.role {
                    Role::Supervisor => Action::of(&message),
                    _ => None,
                };
                let reply = match self.command(&handle, &identity, message, now) {
                    Ok(()) => Reply::Ack { id, result: None },
                    Err(refusal) => {
                        let (code, message) = match refusal {
                            Refusal::Protocol(error) => (error.code(), error.to_string()),
                            Refusal::Acd(error) => (error.code(), error.to_string()),
                        };
                        self.metrics.refused(identity.role.name(), code);
                        Reply::Error {
                            id: Some(id),
                            code,
                            message,
                        }
                    }
                };
                if let Some(action) = audited {
                    let result = match &reply {
                        Reply::Error { code, .. } => code,
                        _ => "ok",
                    };
                    let actor = Actor {
                        tenant: &identity.tenant,
                        user: &identity.user,
                        role: identity.role,
                    };
                    // Before the reply: an acknowledged action is already on record.
                    self.audit.record(now, &actor, &action, result);
                }
                handle.send_answer(epoch, reply.to_json());
            }
        }
    }

    fn attach(&mut self, attach: Attach) {
        let Attach {
            handle,
            epoch,
            identity,
            id,
            token,
            session,
            resumed,
        } = attach;
        self.linked.insert(handle.id);
        if let Some(agent) = &identity.agent {
            self.grace.remove(agent);
        }
        if !resumed {
            self.snapshot_and_listen(&handle, &identity);
        }
        let named = |id: &str, name: &str| Named {
            id: id.to_owned(),
            name: name.to_owned(),
        };
        let queues = self
            .acd
            .queue_ids()
            .filter_map(|q| self.acd.queue_config(q))
            .map(|q| named(q.id.as_str(), &q.name))
            .collect();
        let result = AuthResult {
            user: identity.user.clone(),
            role: identity.role.name(),
            tenant: self.tenant.clone(),
            agent: identity.agent.as_ref().map(|a| a.to_string()),
            token: token.value,
            token_expires_at: time(token.expires_at),
            session,
            resumed,
            queues,
            agents: self
                .acd
                .agents()
                .map(|a| named(a.id.as_str(), &a.name))
                .collect(),
            not_ready_reasons: self
                .acd
                .not_ready_reasons()
                .iter()
                .map(|r| named(r.code.as_str(), &r.label))
                .collect(),
        };
        let result = serde_json::to_value(result).expect("the auth result serializes");
        let reply = Reply::Ack {
            id,
            result: Some(result),
        };
        handle.send_answer(epoch, reply.to_json());
        tracing::debug!(tenant = %self.tenant, sessions = self.audience.sessions(), "session attached");
    }

    /// A new session's snapshot, and its place in the audience from now on.
    fn snapshot_and_listen(&mut self, handle: &Arc<SessionHandle>, identity: &Identity) {
        match identity.role {
            Role::Agent => {
                let agent = identity
                    .agent
                    .clone()
                    .expect("agent principals name their agent");
                agent_snapshot(&self.acd, &agent, handle);
                self.audience.attach_agent(&self.acd, agent, handle.clone());
            }
            Role::Wallboard | Role::Supervisor => {
                self.audience.attach_watcher(identity.role, handle.clone())
            }
            Role::Telephony => {
                telephony_snapshot(&self.acd, handle);
                self.audience.attach_telephony(handle.clone())
            }
        }
    }

    fn command(
        &mut self,
        handle: &SessionHandle,
        identity: &Identity,
        message: ClientMessage,
        now: jiff::Timestamp,
    ) -> Result<(), Refusal> {
        let me = || {
            identity
                .agent
                .clone()
                .expect("agent principals name their agent")
        };
        let call = |id: String| CallId::from(id);
        if let ClientMessage::NotReady { reason }
        | ClientMessage::ForceState {
            reason: Some(reason),
            ..
        }
        | ClientMessage::SetPending {
            reason: Some(reason),
            ..
        } = &message
        {
            // `login`, `no_answer` and `disconnected` are facts the ACD records, not choices.
            if ReasonCode::SYSTEM.contains(&reason.as_str()) {
                let reason = ReasonCode::from(reason.as_str());
                return Err(Refusal::Acd(AcdError::UnknownReason(reason)));
            }
        }
        let cause = match identity.role {
            Role::Supervisor => cause_of(&message, &identity.user),
            _ => None,
        };
        let command = match message {
            ClientMessage::Subscribe {
                queues,
                tenant_total,
            } => return self.subscribe(handle, identity, queues, tenant_total),
            ClientMessage::Login => Command::Login { agent: me() },
            ClientMessage::Ready => set_state(me(), RequestedState::Ready),
            ClientMessage::NotReady { reason } => set_state(
                me(),
                RequestedState::NotReady {
                    reason: ReasonCode::from(reason),
                },
            ),
            ClientMessage::Logout => set_state(me(), RequestedState::LoggedOut),
            ClientMessage::ClearPending { agent } => Command::ClearPending {
                // The session let an agent name only itself, and a supervisor not leave it out.
                agent: match (agent, &identity.agent) {
                    (Some(named), _) => AgentId::from(named),
                    (None, Some(own)) => own.clone(),
                    (None, None) => {
                        let error =
                            ProtocolError::BadMessage("clear_pending: name the `agent`".into());
                        return Err(Refusal::Protocol(error));
                    }
                },
            },
            ClientMessage::Accept { call: c } => Command::Accept {
                agent: me(),
                call: call(c),
            },
            ClientMessage::Reject { call: c } => Command::Reject {
                agent: me(),
                call: call(c),
            },
            ClientMessage::Hold { call: c } => Command::Hold {
                agent: me(),
                call: call(c),
            },
            ClientMessage::Resume { call: c } => Command::Resume {
                agent: me(),
                call: call(c),
            },
            ClientMessage::Hangup { call: c } => Command::Hangup {
                agent: me(),
                call: call(c),
            },
            ClientMessage::Transfer { call: c, to } => Command::Transfer {
                agent: me(),
                call: call(c),
                target: match to {
                    TransferTo::Queue(queue) => TransferTarget::Queue(QueueId::from(queue)),
                    TransferTo::Agent(agent) => TransferTarget::Agent(AgentId::from(agent)),
                },
            },
            ClientMessage::EndWrapUp => Command::EndWrapUp { agent: me() },
            ClientMessage::ExtendWrapUp { secs } => Command::ExtendWrapUp {
                agent: me(),
                by: std::time::Duration::from_secs(secs),
            },
            ClientMessage::ForceState {
                agent,
                state,
                reason,
            } => set_state(
                AgentId::from(agent),
                match (state, reason) {
                    (StateName::Ready, _) => RequestedState::Ready,
                    (StateName::LoggedOut, _) => RequestedState::LoggedOut,
                    (StateName::NotReady, reason) => RequestedState::NotReady {
                        reason: ReasonCode::from(reason.unwrap_or_default()),
                    },
                },
            ),
            ClientMessage::SetPending {
                agent,
                state,
                reason,
            } => Command::SetPending {
                agent: AgentId::from(agent),
                pending: match state {
                    PendingName::LoggedOut => PendingState::LoggedOut,
                    PendingName::NotReady => PendingState::NotReady {
                        reason: ReasonCode::from(reason.unwrap_or_default()),
                    },
                },
            },
            ClientMessage::SetCallPriority { call: c, priority } => Command::SetCallPriority {
                call: call(c),
                priority,
            },
            ClientMessage::MoveCall { call: c, queue } => Command::MoveCall {
                call: call(c),
                queue: QueueId::from(queue),
            },
            ClientMessage::CallArrived {
                call: c,
                queue,
                priority,
                caller,
                dialled,
                data,
            } => Command::CallArrived {
                call: call(c),
                queue: QueueId::from(queue),
                priority,
                data: CallData {
                    caller,
                    dialled,
                    attached: data,
                },
            },
            ClientMessage::CallAnswered { call: c } => Command::CallAnswered { call: call(c) },
            ClientMessage::CallEnded { call: c } | ClientMessage::CallerHungUp { call: c } => {
                Command::CallEnded { call: call(c) }
            }
            // The session answers these itself; they never reach an engine.
            ClientMessage::Auth(..) => {
                return Err(Refusal::Protocol(ProtocolError::AlreadyAuthenticated));
            }
            ClientMessage::Ping => return Ok(()),
        };
        self.acd.handle(command, now).map_err(Refusal::Acd)?;
        if let Some(cause) = cause {
            self.audience.caused_by(cause);
        }
        self.drain(now);
        Ok(())
    }

    fn subscribe(
        &mut self,
        handle: &SessionHandle,
        identity: &Identity,
        queues: Option<Vec<String>>,
        tenant_total: bool,
    ) -> Result<(), Refusal> {
        let queues: HashSet<QueueId> = match queues {
            None => self.acd.queue_ids().cloned().collect(),
            Some(names) => {
                let mut set = HashSet::with_capacity(names.len());
                for name in names {
                    let queue = QueueId::from(name);
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
        let Some(generation) = self.audience.subscribe(handle.id, subscription.clone()) else {
            return Err(Refusal::Protocol(ProtocolError::Unavailable));
        };
        watcher_snapshot(
            &self.acd,
            identity.role,
            &subscription,
            self.audience.tenant_variant(),
            handle,
            generation,
        );
        Ok(())
    }

    /// The tenant's figures now, for a scrape.
    fn metrics(&self) -> TenantMetrics {
        let queues = self
            .acd
            .queue_ids()
            .filter_map(|id| {
                let stats = self.acd.queue_stats(id)?;
                let histograms = self.acd.queue_histograms(id)?.clone();
                Some((stats, histograms))
            })
            .collect();
        let agents = self.acd.tenant_stats().stats.agents;
        let reasons = self.acd.not_ready_reasons().iter().map(|r| r.code.as_str());
        let not_ready_by_reason = reasons
            .chain(ReasonCode::SYSTEM)
            .map(|reason| {
                let count = agents
                    .not_ready_by_reason
                    .get(&ReasonCode::from(reason))
                    .copied()
                    .unwrap_or(0);
                (reason.to_owned(), count)
            })
            .collect();
        TenantMetrics {
            tenant: self.tenant.clone(),
            at: self.acd.now(),
            queues,
            agents,
            not_ready_by_reason,
        }
    }
}

async fn sleep_until_option(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// What a supervisor's message acts on, so the events it causes there carry `by`.
fn cause_of(message: &ClientMessage, user: &str) -> Option<Cause> {
    let (agent, call) = match message {
        ClientMessage::ForceState { agent, .. }
        | ClientMessage::SetPending { agent, .. }
        | ClientMessage::ClearPending { agent: Some(agent) } => {
            (Some(AgentId::from(agent.as_str())), None)
        }
        ClientMessage::SetCallPriority { call, .. } | ClientMessage::MoveCall { call, .. } => {
            (None, Some(CallId::from(call.as_str())))
        }
        _ => return None,
    };
    Some(Cause {
        user: user.to_owned(),
        agent,
        call,
    })
}

fn set_state(agent: AgentId, state: RequestedState) -> Command {
    Command::SetState { agent, state }
}
