//! Who hears what: the sessions attached to one tenant's engine, and the routing of the core's
//! events to them as protocol messages.
//!
//! Each event is serialized once and the payload shared by every session it goes to. Agents hear
//! about themselves and their calls, telephony about every call, supervisors about everything and
//! wallboards about the queues they subscribed to.
//!
//! Statistics are not sent per event. A change marks its queue (and the tenant's totals) stale;
//! the engine calls [`Audience::flush_stats`] at most `stats_updates_per_sec` times a second,
//! which reads each stale queue once and posts it to the latest-wins slot of every subscriber
//! ([`SessionHandle::post_stats`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use jiff::Timestamp;

use crate::acd::config::ServiceLevelVariant;
use crate::acd::{
    Acd, AgentId, AgentStatus, CallId, CallStatus, CallView, Event, OverflowReason, QueueId,
};
use crate::config::Role;
use crate::protocol::outbound::{
    self, AgentState, CallState, CallerDetails, Offer, Pending, QueueStatistics, TenantStatistics,
};

use super::metrics::Metrics;
use super::outbox::{SessionHandle, StatsSlot};

/// A wallboard's or supervisor's subscription.
struct Watcher {
    handle: Arc<SessionHandle>,
    role: Role,
    /// `None` until the session subscribes; then the queues whose statistics it gets.
    queues: Option<HashSet<QueueId>>,
    /// Whether it gets the tenant's totals.
    tenant_total: bool,
}

impl Watcher {
    fn watches(&self, queue: &QueueId) -> bool {
        self.queues.as_ref().is_some_and(|q| q.contains(queue))
    }

    fn wants_totals(&self) -> bool {
        self.queues.is_some() && self.tenant_total
    }
}

/// What a subscription asks for.
#[derive(Clone)]
pub struct Subscription {
    pub queues: HashSet<QueueId>,
    pub tenant_total: bool,
}

/// The sessions of one tenant, by what they listen to.
pub struct Audience {
    /// Agent sessions by the agent they act as (an agent may have several: two tabs, a phone).
    agents: HashMap<AgentId, Vec<Arc<SessionHandle>>>,
    agent_of_session: HashMap<u64, AgentId>,
    watchers: HashMap<u64, Watcher>,
    telephony: HashMap<u64, Arc<SessionHandle>>,
    /// The agent each ringing or connected call is at, so that its events reach that agent.
    call_agent: HashMap<CallId, AgentId>,
    /// The agents with a skill in each queue, who get its waiting count.
    queue_agents: HashMap<QueueId, Vec<AgentId>>,
    /// The last waiting count and oldest wait sent for each queue, so agents hear only changes.
    last_waiting: HashMap<QueueId, (u32, Option<Timestamp>)>,
    /// Calls whose place changed in the current step: supervisors get one `call_state` each,
    /// saying where the call came from and why if it changed queue in the step.
    touched_calls: BTreeMap<CallId, Option<QueueChange>>,
    /// Who caused the current step, when a supervisor did: cleared at its end.
    cause: Option<Cause>,
    /// Queue positions in configuration order, which is the order statistics are written in.
    queue_index: HashMap<QueueId, usize>,
    /// Queues whose statistics changed since the last flush and have a subscriber.
    stale_queues: BTreeSet<usize>,
    /// The tenant's totals changed since the last flush and have a subscriber.
    stale_totals: bool,
    /// How many subscriptions watch each queue (by position), and the tenant's totals: a
    /// change is checked against these in O(1), however many wallboards there are.
    queue_watchers: Vec<u32>,
    totals_watchers: u32,
    /// The formula of the tenant's total service level: the queues' own if they share one.
    tenant_variant: ServiceLevelVariant,
    metrics: Arc<Metrics>,
}

/// A supervisor's action behind the step the engine is about to drain. The events it causes
/// for its target carry `by`, so the agent (and every supervisor) can tell it was not the
/// agent's own doing.
#[derive(Debug, Clone)]
pub struct Cause {
    /// The supervisor's user name.
    pub user: String,
    /// The agent acted on: its `agent_state` and `pending_state` of the step carry `by`, until
    /// the ACD offers it a call (that offer, and the ringing after it, are the ACD's doing).
    pub agent: Option<AgentId>,
    /// The call acted on: its `call_state` of the step carries `by`.
    pub call: Option<CallId>,
}

/// A call's change of queue within one step: the queue it was in before the step, and why it
/// moved (the last reason, if it moved twice).
type QueueChange = (QueueId, OverflowReason);

impl Audience {
    pub fn new(acd: &Acd, metrics: Arc<Metrics>) -> Audience {
        let mut queue_agents: HashMap<QueueId, Vec<AgentId>> = HashMap::new();
        for agent in acd.agents() {
            for (queue, _) in &agent.skills {
                queue_agents
                    .entry(queue.clone())
                    .or_default()
                    .push(agent.id.clone());
            }
        }
        let mut variants = acd
            .queue_ids()
            .filter_map(|q| acd.queue_config(q))
            .map(|q| q.service_level.variant);
        let first = variants.next().unwrap_or(ServiceLevelVariant::Answered);
        let tenant_variant = if variants.all(|v| v == first) {
            first
        } else {
            ServiceLevelVariant::Answered
        };
        Audience {
            queue_agents,
            queue_index: acd
                .queue_ids()
                .enumerate()
                .map(|(i, q)| (q.clone(), i))
                .collect(),
            tenant_variant,
            metrics,
            agents: HashMap::new(),
            agent_of_session: HashMap::new(),
            watchers: HashMap::new(),
            telephony: HashMap::new(),
            call_agent: HashMap::new(),
            last_waiting: HashMap::new(),
            touched_calls: BTreeMap::new(),
            cause: None,
            stale_queues: BTreeSet::new(),
            stale_totals: false,
            queue_watchers: vec![0; acd.queue_ids().count()],
            totals_watchers: 0,
        }
    }

    /// An agent's session, whose snapshot (just sent) told it its queues' waiting counts as they
    /// are now: every listener of those queues is up to date, so only a change is sent next.
    pub fn attach_agent(&mut self, acd: &Acd, agent: AgentId, handle: Arc<SessionHandle>) {
        for queue in self
            .queue_agents
            .iter()
            .filter(|(_, agents)| agents.contains(&agent))
        {
            if let Some(waiting) = acd.queue_waiting(queue.0) {
                self.last_waiting.insert(queue.0.clone(), waiting);
            }
        }
        self.agent_of_session.insert(handle.id, agent.clone());
        self.agents.entry(agent).or_default().push(handle);
    }

    pub fn attach_watcher(&mut self, role: Role, handle: Arc<SessionHandle>) {
        let watcher = Watcher {
            handle,
            role,
            queues: None,
            tenant_total: false,
        };
        self.watchers.insert(watcher.handle.id, watcher);
    }

    pub fn attach_telephony(&mut self, handle: Arc<SessionHandle>) {
        self.telephony.insert(handle.id, handle);
    }

    /// Sets a watcher's subscription and returns the generation its snapshot must carry
    /// (`None` if the session is not a watcher). Statistics posted for the old subscription and
    /// not written yet are forgotten.
    pub fn subscribe(&mut self, session: u64, subscription: Subscription) -> Option<u64> {
        let mut watcher = self.watchers.remove(&session)?;
        self.count_watcher(&watcher, false);
        watcher.queues = Some(subscription.queues);
        watcher.tenant_total = subscription.tenant_total;
        self.count_watcher(&watcher, true);
        let generation = watcher.handle.new_subscription();
        self.watchers.insert(session, watcher);
        Some(generation)
    }

    /// Adds a watcher's subscription to the counts of who watches what, or takes it out.
    fn count_watcher(&mut self, watcher: &Watcher, add: bool) {
        let change = |count: &mut u32| {
            if add {
                *count += 1;
            } else {
                *count -= 1;
            }
        };
        for queue in watcher.queues.iter().flatten() {
            if let Some(&index) = self.queue_index.get(queue) {
                change(&mut self.queue_watchers[index]);
            }
        }
        if watcher.wants_totals() {
            change(&mut self.totals_watchers);
        }
    }

    pub fn detach(&mut self, session: u64) {
        if let Some(agent) = self.agent_of_session.remove(&session) {
            if let Some(handles) = self.agents.get_mut(&agent) {
                handles.retain(|h| h.id != session);
                if handles.is_empty() {
                    self.agents.remove(&agent);
                }
            }
        }
        if let Some(watcher) = self.watchers.remove(&session) {
            self.count_watcher(&watcher, false);
        }
        self.telephony.remove(&session);
    }

    /// The agent a session acts as, if it is an agent's.
    pub fn agent_of(&self, session: u64) -> Option<&AgentId> {
        self.agent_of_session.get(&session)
    }

    /// The sessions of an agent.
    pub fn sessions_of(&self, agent: &AgentId) -> impl Iterator<Item = u64> + '_ {
        self.agents.get(agent).into_iter().flatten().map(|h| h.id)
    }

    pub fn tenant_variant(&self) -> ServiceLevelVariant {
        self.tenant_variant
    }

    /// Says who caused the step drained next ([`Audience::end_step`] forgets it).
    pub fn caused_by(&mut self, cause: Cause) {
        self.cause = Some(cause);
    }

    /// The supervisor behind the current step, if it acted on `agent`.
    fn agent_cause(&self, agent: &AgentId) -> Option<String> {
        self.cause
            .as_ref()
            .filter(|c| c.agent.as_ref() == Some(agent))
            .map(|c| c.user.clone())
    }

    fn touch(&mut self, call: &CallId) {
        self.touched_calls.entry(call.clone()).or_default();
    }

    pub fn sessions(&self) -> usize {
        self.agent_of_session.len() + self.watchers.len() + self.telephony.len()
    }

    fn to_agent(&self, agent: &AgentId, payload: &Arc<str>) {
        for handle in self.agents.get(agent).into_iter().flatten() {
            handle.send_event(payload);
        }
    }

    fn to_telephony(&self, payload: &Arc<str>) {
        for handle in self.telephony.values() {
            handle.send_event(payload);
        }
    }

    /// An event of a call at an agent: to that agent's sessions and to telephony; supervisors
    /// get the call's new state at the end of the step.
    fn call_event(&mut self, call: &CallId, agent: &AgentId, message: outbound::Event) {
        let payload = message.payload();
        self.to_agent(agent, &payload);
        self.to_telephony(&payload);
        self.touch(call);
    }

    fn to_supervisors(&self, payload: &Arc<str>) {
        for watcher in self.watchers.values() {
            if watcher.role == Role::Supervisor && watcher.queues.is_some() {
                watcher.handle.send_event(payload);
            }
        }
    }

    /// Routes one event of the core. Call states for supervisors wait for [`Audience::end_step`].
    pub fn publish(&mut self, acd: &Acd, event: &Event) {
        match event {
            Event::AgentStatusChanged {
                agent,
                status,
                previous,
                since,
            } => {
                let mut state =
                    AgentState::new(agent.as_str(), status, *since, Some(previous.name()));
                state.by = self.agent_cause(agent);
                let payload = outbound::Event::AgentState(state).payload();
                self.to_agent(agent, &payload);
                self.to_supervisors(&payload);
                // The tenant's agent counts changed, also for an agent in no queue.
                self.totals_changed();
                if let AgentStatus::Ringing { call } | AgentStatus::OnCall { call, .. } = status {
                    self.call_agent.insert(call.clone(), agent.clone());
                }
            }
            Event::PendingStateChanged { agent, pending } => {
                let payload = outbound::Event::PendingState {
                    agent: agent.to_string(),
                    pending: pending.as_ref().map(Pending::from),
                    by: self.agent_cause(agent),
                }
                .payload();
                self.to_agent(agent, &payload);
                self.to_supervisors(&payload);
            }
            Event::CallOffered {
                call,
                agent,
                queue,
                ring_deadline,
                priority,
                data,
            } => {
                self.call_agent.insert(call.clone(), agent.clone());
                if let Some(cause) = self
                    .cause
                    .as_mut()
                    .filter(|c| c.agent.as_ref() == Some(agent))
                {
                    cause.agent = None;
                }
                let offer = Offer::new(
                    call.as_str(),
                    agent.as_str(),
                    queue.as_str(),
                    *priority,
                    data,
                    *ring_deadline,
                );
                self.call_event(call, agent, outbound::Event::Offer(offer));
            }
            Event::OfferEnded {
                call,
                agent,
                reason,
            } => {
                self.forget_call_at(call, agent);
                let message = outbound::Event::OfferCancelled {
                    call: call.to_string(),
                    agent: agent.to_string(),
                    reason: reason.name(),
                };
                self.call_event(call, agent, message);
            }
            Event::CallConnected { call, agent, queue } => {
                self.call_agent.insert(call.clone(), agent.clone());
                let message = outbound::Event::CallConnected {
                    call: call.to_string(),
                    agent: agent.to_string(),
                    queue: queue.to_string(),
                    caller: None,
                };
                self.call_event(call, agent, message);
            }
            Event::CallHeld { call, agent } | Event::CallResumed { call, agent } => {
                let (call_text, agent_text) = (call.to_string(), agent.to_string());
                let message = if matches!(event, Event::CallHeld { .. }) {
                    outbound::Event::CallHeld {
                        call: call_text,
                        agent: agent_text,
                    }
                } else {
                    outbound::Event::CallResumed {
                        call: call_text,
                        agent: agent_text,
                    }
                };
                self.call_event(call, agent, message);
            }
            Event::CallTransferred { call, from, to } => {
                self.forget_call_at(call, from);
                let (to_queue, to_agent) = outbound::transfer_target(to);
                let message = outbound::Event::CallTransferred {
                    call: call.to_string(),
                    agent: from.to_string(),
                    to_queue,
                    to_agent,
                };
                self.call_event(call, from, message);
            }
            Event::CallQueued { call, .. } | Event::CallPriorityChanged { call, .. } => {
                self.touch(call);
            }
            Event::CallOverflowed {
                call, from, reason, ..
            } => {
                let change = self.touched_calls.entry(call.clone()).or_default();
                let before = change
                    .take()
                    .map_or_else(|| from.clone(), |(first, _)| first);
                *change = Some((before, *reason));
            }
            Event::CallLeft {
                call,
                queue,
                reason,
            } => {
                let payload = outbound::Event::CallLeft {
                    call: call.to_string(),
                    queue: queue.to_string(),
                    reason: reason.name(),
                }
                .payload();
                if let Some(agent) = self.call_agent.remove(call) {
                    self.to_agent(&agent, &payload);
                }
                self.to_telephony(&payload);
                self.to_supervisors(&payload);
                self.touched_calls.remove(call);
            }
            Event::QueueChanged { queue } => self.queue_changed(acd, queue),
        }
    }

    fn forget_call_at(&mut self, call: &CallId, agent: &AgentId) {
        if self.call_agent.get(call) == Some(agent) {
            self.call_agent.remove(call);
        }
    }

    fn queue_changed(&mut self, acd: &Acd, queue: &QueueId) {
        let agents_listen = self
            .queue_agents
            .get(queue)
            .is_some_and(|agents| agents.iter().any(|a| self.agents.contains_key(a)));
        if let Some(&index) = self.queue_index.get(queue) {
            if self.queue_watchers[index] > 0 {
                self.stale_queues.insert(index);
            }
        }
        self.totals_changed();
        if !agents_listen {
            // Nobody to tell: forget what was last sent so the next listener hears the next
            // change.
            self.last_waiting.remove(queue);
            return;
        }
        let Some(waiting) = acd.queue_waiting(queue) else {
            return;
        };
        if self.last_waiting.get(queue) != Some(&waiting) {
            self.last_waiting.insert(queue.clone(), waiting);
            let payload = queue_waiting(queue, waiting).payload();
            for agent in self.queue_agents.get(queue).into_iter().flatten() {
                self.to_agent(agent, &payload);
            }
        }
    }

    fn totals_changed(&mut self) {
        if self.totals_watchers > 0 {
            self.stale_totals = true;
        }
    }

    /// Whether statistics wait for [`Audience::flush_stats`].
    pub fn stats_stale(&self) -> bool {
        !self.stale_queues.is_empty() || self.stale_totals
    }

    /// Reads every stale queue (and the totals) once and posts the result to each subscriber's
    /// latest-wins slot.
    pub fn flush_stats(&mut self, acd: &Acd) {
        let at = acd.now();
        let queue_ids: Vec<&QueueId> = acd.queue_ids().collect();
        for index in std::mem::take(&mut self.stale_queues) {
            let queue = queue_ids[index];
            let mut payload = None;
            for watcher in self.watchers.values().filter(|w| w.watches(queue)) {
                let Some(payload) = payload
                    .get_or_insert_with(|| acd.queue_stats(queue).map(|s| queue_stats(&s, at)))
                else {
                    break;
                };
                let replaced = watcher
                    .handle
                    .post_stats(StatsSlot::Queue(index), payload.clone());
                self.metrics.dropped(watcher.role, replaced as u64);
            }
        }
        if std::mem::take(&mut self.stale_totals) {
            let mut payload = None;
            for watcher in self.watchers.values().filter(|w| w.wants_totals()) {
                let payload =
                    payload.get_or_insert_with(|| tenant_stats(acd, self.tenant_variant, at));
                let replaced = watcher
                    .handle
                    .post_stats(StatsSlot::Tenant, payload.clone());
                self.metrics.dropped(watcher.role, replaced as u64);
            }
        }
    }

    /// After every step of the core: one `call_state` per call that moved, to supervisors.
    pub fn end_step(&mut self, acd: &Acd) {
        let cause = self.cause.take();
        if self.touched_calls.is_empty() {
            return;
        }
        let touched = std::mem::take(&mut self.touched_calls);
        let supervised = self
            .watchers
            .values()
            .any(|w| w.role == Role::Supervisor && w.queues.is_some());
        if !supervised {
            return;
        }
        let by = cause.and_then(|c| Some((c.call?, c.user)));
        for (call, change) in touched {
            if let Some(view) = acd.call(&call) {
                let mut state = CallState::from(&view);
                if let Some((from, reason)) = &change {
                    state = state.changed_queue(from, *reason);
                }
                state.by = by
                    .as_ref()
                    .filter(|(acted_on, _)| *acted_on == call)
                    .map(|(_, user)| user.clone());
                let payload = outbound::Event::CallState(state).payload();
                self.to_supervisors(&payload);
            }
        }
    }
}

pub fn queue_waiting(
    queue: &QueueId,
    (waiting, oldest): (u32, Option<Timestamp>),
) -> outbound::Event {
    outbound::Event::QueueWaiting {
        queue: queue.to_string(),
        waiting,
        oldest_waiting_since: oldest.map(outbound::time),
    }
}

/// What a session learns of its own agent when it attaches: its state, its pending state, the
/// waiting counts of its queues, and the call it rings with or talks on.
pub fn agent_snapshot(acd: &Acd, agent: &AgentId, handle: &SessionHandle) {
    let Some(view) = acd.agent(agent) else {
        return;
    };
    let mut events = vec![outbound::Event::AgentState(AgentState::snapshot(&view)).payload()];
    let pending = outbound::Event::PendingState {
        agent: agent.to_string(),
        pending: view.pending.as_ref().map(Pending::from),
        by: None,
    };
    events.push(pending.payload());
    for (queue, _) in &view.skills {
        if let Some(waiting) = acd.queue_waiting(queue) {
            events.push(queue_waiting(queue, waiting).payload());
        }
    }
    let call = match &view.status {
        AgentStatus::Ringing { call } | AgentStatus::OnCall { call, .. } => acd.call(call),
        _ => None,
    };
    if let Some(message) = call.as_ref().and_then(call_at_agent) {
        events.push(message.payload());
    }
    handle.send_events(events);
}

/// A call ringing at or connected to an agent, as the event that put it there: `offer` or
/// `call_connected`. `None` for a waiting call.
fn call_at_agent(call: &CallView) -> Option<outbound::Event> {
    match &call.status {
        CallStatus::Waiting { .. } => None,
        CallStatus::Ringing {
            agent,
            ring_deadline,
            ..
        } => Some(outbound::Event::Offer(Offer::new(
            call.id.as_str(),
            agent.as_str(),
            call.queue.as_str(),
            call.priority,
            &call.data,
            *ring_deadline,
        ))),
        CallStatus::Connected { agent, .. } => Some(outbound::Event::CallConnected {
            call: call.id.to_string(),
            agent: agent.to_string(),
            queue: call.queue.to_string(),
            caller: Some(CallerDetails::from(&*call.data)),
        }),
    }
}

/// What a telephony session gets when it attaches: every call the PBX must be ringing or
/// bridging now, so a connector that reconnects can put its lines right.
pub fn telephony_snapshot(acd: &Acd, handle: &SessionHandle) {
    let mut events = Vec::new();
    for call in acd.calls() {
        if let Some(message) = call_at_agent(&call) {
            events.push(message.payload());
        }
        if let CallStatus::Connected {
            agent,
            on_hold: true,
        } = &call.status
        {
            let held = outbound::Event::CallHeld {
                call: call.id.to_string(),
                agent: agent.to_string(),
            };
            events.push(held.payload());
        }
    }
    handle.send_events(events);
}

fn queue_stats(stats: &crate::acd::QueueStats, at: Timestamp) -> Arc<str> {
    outbound::Event::QueueStats(Box::new(QueueStatistics::new(stats, at))).payload()
}

fn tenant_stats(acd: &Acd, variant: ServiceLevelVariant, at: Timestamp) -> Arc<str> {
    let totals = TenantStatistics::new(&acd.tenant_stats(), variant, at);
    outbound::Event::TenantStats(Box::new(totals)).payload()
}

/// What a watcher gets when it subscribes: statistics of its queues and the tenant's totals and,
/// for a supervisor, every agent and every call of the tenant.
pub fn watcher_snapshot(
    acd: &Acd,
    role: Role,
    subscription: &Subscription,
    tenant_variant: ServiceLevelVariant,
    handle: &SessionHandle,
    generation: u64,
) {
    let mut events = Vec::new();
    if role == Role::Supervisor {
        for view in acd.agents() {
            let mut state = AgentState::snapshot(&view);
            state.queues = Some(
                acd.queue_ids()
                    .filter(|queue| view.skills.iter().any(|(skill, _)| skill == *queue))
                    .map(QueueId::to_string)
                    .collect(),
            );
            events.push(outbound::Event::AgentState(state).payload());
            let pending = outbound::Event::PendingState {
                agent: view.id.to_string(),
                pending: view.pending.as_ref().map(Pending::from),
                by: None,
            };
            events.push(pending.payload());
        }
        for call in acd.calls() {
            events.push(outbound::Event::CallState(CallState::from(&call)).payload());
        }
    }
    let at = acd.now();
    for queue in acd.queue_ids() {
        if subscription.queues.contains(queue) {
            if let Some(stats) = acd.queue_stats(queue) {
                events.push(queue_stats(&stats, at));
            }
        }
    }
    if subscription.tenant_total {
        events.push(tenant_stats(acd, tenant_variant, at));
    }
    handle.send_snapshot(generation, events);
}
