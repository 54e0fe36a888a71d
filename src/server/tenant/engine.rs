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

use crate::acd::{self, Acd, AcdError, AgentId, AgentStatus, QueueId, ReasonCode, RequestedState};
use crate::config::OnDisconnect;
use crate::protocol::outbound::{AuthResult, Named, Reply, time};
use crate::protocol::{Acting, Command, Identity, ProtocolError, Refusal, Role};
use crate::server::clock::{Clock, sleep_until_option};
use crate::server::ops::audit::{Action, Actor, AuditLog};
use crate::server::ops::counters::Counters;
use crate::server::outbox::{SessionHandle, SessionNumber, SessionSecret};
use crate::sim::Simulator;

use super::audience::{Audience, Cause, Subscription};
use super::figures::TenantFigures;
use super::snapshot::{agent_snapshot, telephony_snapshot, watcher_snapshot};

/// Requests waiting for an engine; a session that finds the channel full waits its turn.
pub const CHANNEL_CAPACITY: usize = 4096;

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
        simulator: Option<Simulator>,
        setup: EngineSetup,
    ) -> Engine {
        let audience = Audience::new(&acd, setup.counters.clone());
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
            on_disconnect: setup.on_disconnect,
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
            if self.is_carried(&agent) {
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
        let logged_in = self
            .acd
            .agent(&agent)
            .is_some_and(|a| a.status != AgentStatus::LoggedOut);
        if logged_in && !self.is_carried(&agent) && !self.grace.contains_key(&agent) {
            let ends = self.clock.now() + self.disconnect_grace;
            self.grace.insert(agent, ends);
        }
    }

    fn request(&mut self, request: Request) {
        match request {
            Request::Attach(attach) => self.attach(attach),
            Request::Detach { session } => {
                self.disconnected(session);
                self.audience.detach(session);
            }
            Request::Disconnected { session } => self.disconnected(session),
            Request::Figures { reply } => {
                self.catch_up(self.clock.now());
                let _ = reply.send(TenantFigures::of(&self.tenant, &self.acd));
            }
            Request::Wake => {}
            Request::Reconfigure { config, reply } => {
                // journal: Reconfigure
                let _ = reply.send(self.reconfigure(config));
            }
            Request::Command {
                handle,
                epoch,
                identity,
                id,
                command,
                audited,
            } => {
                let now = self.clock.now();
                self.catch_up(now);
                let reply = match self.command(&handle, &identity, command, now) {
                    Ok(()) => Reply::Ack { id, result: None },
                    Err(refusal) => {
                        let code = refusal.code();
                        self.counters.refused(identity.role().name(), code);
                        Reply::Error {
                            id: Some(id),
                            code,
                            message: refusal.to_string(),
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
                        role: identity.role(),
                    };
                    // Before the reply: an acknowledged action is already on record.
                    self.audit.record(now, &actor, &action, result);
                }
                handle.send_answer(epoch, reply.to_json());
            }
        }
    }

    /// Runs the core on a reloaded configuration, and tells the audience about new queues and
    /// skills; what the change causes (offers, overflows) goes out as any step's events.
    fn reconfigure(&mut self, config: acd::Config) -> Result<(), String> {
        let now = self.clock.now();
        self.catch_up(now);
        self.acd
            .reconfigure(config, now)
            .map_err(|error| error.to_string())?;
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
        self.carried.insert(handle.number);
        if let Some(agent) = identity.acting.agent() {
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
            role: identity.role().name(),
            tenant: self.tenant.clone(),
            agent: identity.acting.agent().map(|a| a.to_string()),
            token,
            token_expires_at: time(token_expires_at),
            session: secret.0,
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
        match &identity.acting {
            Acting::Agent(agent) => {
                agent_snapshot(&self.acd, agent, handle);
                self.audience
                    .attach_agent(&self.acd, agent.clone(), handle.clone());
            }
            Acting::Wallboard | Acting::Supervisor => self
                .audience
                .attach_watcher(identity.role(), handle.clone()),
            Acting::Telephony => {
                telephony_snapshot(&self.acd, handle);
                self.audience.attach_telephony(handle.clone())
            }
        }
    }

    fn command(
        &mut self,
        handle: &SessionHandle,
        identity: &Identity,
        command: Command,
        now: jiff::Timestamp,
    ) -> Result<(), Refusal> {
        let command = match command {
            Command::Acd(command) => command,
            Command::Subscribe {
                queues,
                tenant_total,
            } => return self.subscribe(handle, identity, queues, tenant_total),
            // The session answers pings itself; one that got here needs nothing.
            Command::Ping => return Ok(()),
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
        Ok(())
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

fn set_state(agent: AgentId, state: RequestedState) -> acd::Command {
    acd::Command::SetState { agent, state }
}
