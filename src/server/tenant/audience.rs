//! Who hears what: the sessions attached to one tenant's engine, and the routing of the core's
//! events to them as protocol messages.
//!
//! Each event is serialized once and the payload shared by every session it goes to. Agents hear
//! about themselves and their calls, telephony about every call, supervisors about everything and
//! wallboards about the queues they subscribed to and the message ticker.
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
    Acd, AgentId, AgentStatus, Author, CallId, CallStatus, ConsultStatus, ConversationId,
    ConversationStatus, DeviceState, Event, Lane, MonitorEnd, MonitorMode, OverflowReason, QueueId,
};
use crate::protocol::messaging;
use crate::protocol::outbound::{
    self, AgentState, CallState, CallerDetails, Consultation, Offer, Pending,
};
use crate::protocol::{Role, close};
use crate::server::ops::counters::Counters;
use crate::server::outbox::{CloseReason, SessionHandle, SessionNumber, StatsSlot};

use super::snapshot::{queue_stats, queue_waiting, tenant_stats};
use super::streams::{Listener, Registered, Streams};

/// How a display's sessions end when it is revoked.
pub const DISPLAY_REVOKED: CloseReason = CloseReason {
    code: close::DISPLAY_REVOKED,
    reason: "display revoked",
};

/// A wallboard's or supervisor's subscription.
struct Watcher {
    handle: Arc<SessionHandle>,
    role: Role,
    /// The display a kiosk wallboard signed in as: its revocation ends the session.
    display: Option<String>,
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
    agent_of_session: HashMap<SessionNumber, AgentId>,
    watchers: HashMap<SessionNumber, Watcher>,
    telephony: HashMap<SessionNumber, Arc<SessionHandle>>,
    messaging: HashMap<SessionNumber, Arc<SessionHandle>>,
    /// The agent each ringing or connected call is at, so that its events reach that agent.
    call_agent: HashMap<CallId, AgentId>,
    /// The agent each conversation is offered to, open at or wrapped up by, so that its
    /// `conversation_left` reaches that agent.
    conversation_agent: HashMap<ConversationId, AgentId>,
    /// The agents with a skill in each queue, who get its waiting count.
    queue_agents: HashMap<QueueId, Vec<AgentId>>,
    /// The last waiting count and oldest wait sent for each lane, so agents hear only changes.
    last_waiting: HashMap<Lane, (u32, Option<Timestamp>)>,
    /// Calls whose place changed in the current step: supervisors get one `call_state` each,
    /// saying where the call came from and why if it changed queue in the step.
    touched_calls: BTreeMap<CallId, Option<QueueChange>>,
    /// Conversations whose place changed in the current step: supervisors get one
    /// `conversation_state` each.
    touched_conversations: BTreeSet<ConversationId>,
    /// Who caused the current step, when a supervisor did: cleared at its end.
    cause: Option<Cause>,
    /// Each queue's lanes (its entries for each channel it serves).
    queue_lanes: HashMap<QueueId, Vec<Lane>>,
    /// Lanes whose statistics changed since the last flush and have a subscriber.
    stale_queues: BTreeSet<Lane>,
    /// The tenant's totals changed since the last flush and have a subscriber.
    stale_totals: bool,
    /// On a node of a cluster, what each agent and the telephony role are sent, whether a
    /// session of theirs is here or not, for sessions resumed here from another node.
    streams: Option<Streams>,
    /// How many subscriptions watch each lane (by [`Lane::index`]: a subscription to a queue
    /// watches each of its lanes), and the tenant's totals: a change is checked against these
    /// in O(1), however many wallboards there are.
    queue_watchers: Vec<u32>,
    totals_watchers: u32,
    /// The formula of the tenant's total service level: the queues' own if they share one.
    tenant_variant: ServiceLevelVariant,
    counters: Arc<Counters>,
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

/// Sends an event to an agent's sessions here, and keeps it in its stream (a node of a
/// cluster).
fn deliver_to_agent(
    sessions: &HashMap<AgentId, Vec<Arc<SessionHandle>>>,
    streams: &mut Option<Streams>,
    agent: &AgentId,
    payload: &Arc<str>,
) {
    for handle in sessions.get(agent).into_iter().flatten() {
        handle.send_event(payload);
    }
    if let Some(streams) = streams {
        streams.push(&Listener::Agent(agent.clone()), payload);
    }
}

/// The agent each call rings at or is connected to: a core recovered from a journal or a
/// snapshot has calls in progress whose events reached an audience that is gone.
fn call_agents(acd: &Acd) -> HashMap<CallId, AgentId> {
    acd.calls()
        .into_iter()
        .filter_map(|call| match call.status {
            CallStatus::Ringing { agent, .. } | CallStatus::Connected { agent, .. } => {
                Some((call.id, agent))
            }
            CallStatus::Waiting { .. } => None,
        })
        .collect()
}

/// A conversation event of the core as the payload every session it goes to shares.
fn wire_payload(event: &Event) -> Arc<str> {
    messaging::wire_event(event)
        .expect("a conversation event has a wire event")
        .payload()
}

/// The agent each conversation is offered to, open at or wrapped up by, as [`call_agents`].
fn conversation_agents(acd: &Acd) -> HashMap<ConversationId, AgentId> {
    acd.conversations()
        .into_iter()
        .filter_map(|view| match view.status {
            ConversationStatus::Offered { agent, .. }
            | ConversationStatus::Open { agent }
            | ConversationStatus::WrapUp { agent, .. } => Some((view.id, agent)),
            ConversationStatus::Waiting { .. } => None,
        })
        .collect()
}

/// The agents with a skill in each queue.
fn queue_agents(acd: &Acd) -> HashMap<QueueId, Vec<AgentId>> {
    let mut queue_agents: HashMap<QueueId, Vec<AgentId>> = HashMap::new();
    for agent in acd.agents() {
        for (queue, _) in &agent.skills {
            queue_agents
                .entry(queue.clone())
                .or_default()
                .push(agent.id.clone());
        }
    }
    queue_agents
}

/// Each queue's lanes.
fn queue_lanes(acd: &Acd) -> HashMap<QueueId, Vec<Lane>> {
    acd.queue_ids()
        .map(|queue| (queue.clone(), acd.lanes_of(queue).collect()))
        .collect()
}

/// The formula of the tenant's total service level: the queues' own if they share one.
fn tenant_variant(acd: &Acd) -> ServiceLevelVariant {
    let mut variants = acd
        .queue_ids()
        .filter_map(|q| acd.queue_config(q))
        .map(|q| q.service_level.variant);
    let first = variants.next().unwrap_or(ServiceLevelVariant::Answered);
    if variants.all(|v| v == first) {
        first
    } else {
        ServiceLevelVariant::Answered
    }
}

/// A call's change of queue within one step: the queue it was in before the step, and why it
/// moved (the last reason, if it moved twice).
type QueueChange = (QueueId, OverflowReason);

impl Audience {
    pub fn new(acd: &Acd, counters: Arc<Counters>) -> Audience {
        Audience {
            queue_agents: queue_agents(acd),
            tenant_variant: tenant_variant(acd),
            counters,
            agents: HashMap::new(),
            agent_of_session: HashMap::new(),
            watchers: HashMap::new(),
            telephony: HashMap::new(),
            messaging: HashMap::new(),
            call_agent: call_agents(acd),
            conversation_agent: conversation_agents(acd),
            last_waiting: HashMap::new(),
            streams: None,
            touched_calls: BTreeMap::new(),
            touched_conversations: BTreeSet::new(),
            cause: None,
            stale_queues: BTreeSet::new(),
            stale_totals: false,
            queue_watchers: vec![0; acd.lanes().count()],
            queue_lanes: queue_lanes(acd),
            totals_watchers: 0,
        }
    }

    /// Keeps every agent's and the telephony role's events in `streams` from now on (a node of
    /// a cluster). Then what each is sent no longer depends on who is on this node: every
    /// queue's waiting count is followed whether an agent of it listens here or not, from the
    /// counts as they are now.
    pub fn keep_streams(&mut self, acd: &Acd, streams: Streams) {
        self.streams = Some(streams);
        self.follow_every_queue(acd);
    }

    /// What this node keeps of each listener's events, on a node of a cluster.
    pub fn streams(&self) -> Option<&Streams> {
        self.streams.as_ref()
    }

    /// What `session`, made at any node, was sent after its event `last_seq`, if this node
    /// kept every one of them (a node of a cluster): [`Streams::after`], with the queues whose
    /// waiting counts its agent hears.
    pub fn resume_events(&self, session: &Registered, last_seq: u64) -> Option<Vec<Arc<str>>> {
        let queues: Vec<QueueId> = match &session.listener {
            Listener::Agent(agent) => self.queues_of(agent).cloned().collect(),
            Listener::Telephony | Listener::Messaging => Vec::new(),
        };
        self.streams.as_ref()?.after(session, last_seq, &queues)
    }

    /// The queues whose waiting counts `agent` hears: those it has a skill in.
    fn queues_of<'a>(&'a self, agent: &'a AgentId) -> impl Iterator<Item = &'a QueueId> + 'a {
        self.queue_agents
            .iter()
            .filter(move |(_, agents)| agents.contains(agent))
            .map(|(queue, _)| queue)
    }

    /// The log time of the events routed from now on.
    pub fn set_time(&mut self, now: Timestamp) {
        if let Some(streams) = &mut self.streams {
            streams.set_now(now);
        }
    }

    fn follow_every_queue(&mut self, acd: &Acd) {
        for lane in acd.lanes() {
            self.last_waiting
                .entry(lane)
                .or_insert_with(|| acd.lane_waiting(lane));
        }
    }

    /// The core was reconfigured: new queues and lanes (after the existing ones) and new
    /// skills. Lane positions do not change, so subscriptions stay as they are: a new lane of
    /// a watched queue is watched at once, a new queue by the subscriptions made after it
    /// exists.
    pub fn reconfigured(&mut self, acd: &Acd) {
        self.queue_agents = queue_agents(acd);
        self.queue_lanes = queue_lanes(acd);
        self.queue_watchers = vec![0; acd.lanes().count()];
        let watchers = std::mem::take(&mut self.watchers);
        for watcher in watchers.values() {
            self.count_watcher(watcher, true);
        }
        self.watchers = watchers;
        self.tenant_variant = tenant_variant(acd);
        if let Some(streams) = &mut self.streams {
            streams.skills_changed();
            self.follow_every_queue(acd);
        }
    }

    /// An agent's session, whose snapshot (just sent) told it its queues' waiting counts as they
    /// are now: every listener of those queues is up to date, so only a change is sent next.
    pub fn attach_agent(&mut self, acd: &Acd, agent: AgentId, handle: Arc<SessionHandle>) {
        // With streams every count is followed already, and the next change is the same on
        // every node whoever attached where.
        if self.streams.is_none() {
            let waiting: Vec<(Lane, (u32, Option<Timestamp>))> = self
                .queues_of(&agent)
                .flat_map(|queue| acd.lanes_of(queue))
                .map(|lane| (lane, acd.lane_waiting(lane)))
                .collect();
            self.last_waiting.extend(waiting);
        }
        self.agent_of_session.insert(handle.number, agent.clone());
        self.agents.entry(agent).or_default().push(handle);
    }

    pub fn attach_watcher(
        &mut self,
        role: Role,
        handle: Arc<SessionHandle>,
        display: Option<String>,
    ) {
        let watcher = Watcher {
            handle,
            role,
            display,
            queues: None,
            tenant_total: false,
        };
        self.watchers.insert(watcher.handle.number, watcher);
    }

    pub fn attach_telephony(&mut self, handle: Arc<SessionHandle>) {
        self.telephony.insert(handle.number, handle);
    }

    pub fn attach_messaging(&mut self, handle: Arc<SessionHandle>) {
        self.messaging.insert(handle.number, handle);
    }

    /// Sets a watcher's subscription and returns the generation its snapshot must carry
    /// (`None` if the session is not a watcher). Statistics posted for the old subscription and
    /// not written yet are forgotten.
    pub fn subscribe(&mut self, session: SessionNumber, subscription: Subscription) -> Option<u64> {
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
            for lane in self.queue_lanes.get(queue).into_iter().flatten() {
                change(&mut self.queue_watchers[lane.index()]);
            }
        }
        if watcher.wants_totals() {
            change(&mut self.totals_watchers);
        }
    }

    pub fn detach(&mut self, session: SessionNumber) {
        if let Some(agent) = self.agent_of_session.remove(&session)
            && let Some(handles) = self.agents.get_mut(&agent)
        {
            handles.retain(|h| h.number != session);
            if handles.is_empty() {
                self.agents.remove(&agent);
            }
        }
        if let Some(watcher) = self.watchers.remove(&session) {
            self.count_watcher(&watcher, false);
        }
        self.telephony.remove(&session);
        self.messaging.remove(&session);
    }

    /// The agent a session acts as, if it is an agent's.
    pub fn agent_of(&self, session: SessionNumber) -> Option<&AgentId> {
        self.agent_of_session.get(&session)
    }

    /// The sessions of an agent.
    pub fn sessions_of(&self, agent: &AgentId) -> impl Iterator<Item = SessionNumber> + '_ {
        self.agents
            .get(agent)
            .into_iter()
            .flatten()
            .map(|h| h.number)
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
        self.agent_of_session.len()
            + self.watchers.len()
            + self.telephony.len()
            + self.messaging.len()
    }

    fn send_to_agent(&mut self, agent: &AgentId, payload: &Arc<str>) {
        deliver_to_agent(&self.agents, &mut self.streams, agent, payload);
    }

    fn send_to_telephony(&mut self, payload: &Arc<str>) {
        for handle in self.telephony.values() {
            handle.send_event(payload);
        }
        if let Some(streams) = &mut self.streams {
            streams.push(&Listener::Telephony, payload);
        }
    }

    fn send_to_messaging(&mut self, payload: &Arc<str>) {
        for handle in self.messaging.values() {
            handle.send_event(payload);
        }
        if let Some(streams) = &mut self.streams {
            streams.push(&Listener::Messaging, payload);
        }
    }

    /// An event of a conversation at an agent: to that agent's sessions and to the messaging
    /// connector.
    fn conversation_event(&mut self, agent: &AgentId, event: &Event) {
        let payload = wire_payload(event);
        self.send_to_agent(agent, &payload);
        self.send_to_messaging(&payload);
    }

    /// An event of a call at an agent: to that agent's sessions and to telephony; supervisors
    /// get the call's new state at the end of the step.
    fn call_event(&mut self, call: &CallId, agent: &AgentId, message: outbound::Event) {
        let payload = message.payload();
        self.send_to_agent(agent, &payload);
        self.send_to_telephony(&payload);
        self.touch(call);
    }

    /// To every subscribed watcher whose role `to` takes.
    fn to_subscribed(&self, payload: &Arc<str>, to: impl Fn(Role) -> bool) {
        for watcher in self.watchers.values() {
            if watcher.queues.is_some() && to(watcher.role) {
                watcher.handle.send_event(payload);
            }
        }
    }

    fn to_supervisors(&self, payload: &Arc<str>) {
        self.to_subscribed(payload, |role| role == Role::Supervisor);
    }

    /// To every subscribed wallboard and supervisor: what the whole floor is shown.
    fn to_watchers(&self, payload: &Arc<str>) {
        self.to_subscribed(payload, |_| true);
    }

    /// Routes one event of the core. Call states for supervisors wait for [`Audience::end_step`].
    pub fn publish(&mut self, acd: &Acd, event: &Event) {
        match event {
            Event::AgentStatusChanged {
                agent,
                status,
                previous,
                since,
                device,
                holds,
            } => {
                let mut state =
                    AgentState::new(agent.as_str(), status, *since, Some(previous.name()));
                state.device = device.map(DeviceState::name);
                state.set_holds(*holds);
                state.by = self.agent_cause(agent);
                let payload = outbound::Event::AgentState(state).payload();
                self.send_to_agent(agent, &payload);
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
                self.send_to_agent(agent, &payload);
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
                    self.send_to_agent(&agent, &payload);
                }
                self.send_to_telephony(&payload);
                self.to_supervisors(&payload);
                self.touched_calls.remove(call);
            }
            Event::QueueChanged { queue, lane } => self.queue_changed(acd, queue, *lane),
            // What the agent's day and the call's record keep; the queue's figures changed
            // with it (its `QueueChanged` follows).
            Event::CallHandled { .. } => {}
            Event::MonitorChanged {
                agent,
                call,
                supervisor,
                mode,
                ended,
            } => {
                let message = outbound::Event::Monitoring {
                    agent: agent.to_string(),
                    call: call.to_string(),
                    supervisor: supervisor.clone(),
                    mode: mode.map(MonitorMode::name),
                    ended: ended.map(MonitorEnd::name),
                };
                // The PBX bridges the supervisor's phone; the agent is told who is on its
                // call; every supervisor sees it.
                let payload = message.payload();
                self.send_to_agent(agent, &payload);
                self.send_to_telephony(&payload);
                self.to_supervisors(&payload);
            }
            Event::ConsultChanged {
                call,
                agent,
                with,
                queue,
                status,
                ended,
            } => {
                // The consulted agent learns whose caller it is asked about as it rings.
                let caller = matches!(status, Some(ConsultStatus::Ringing { .. }))
                    .then(|| acd.call(call))
                    .flatten()
                    .map(|view| CallerDetails::from(&*view.data));
                let message = outbound::Event::Consultation(Consultation::new(
                    (call.as_str(), agent.as_str(), with.as_str(), queue.as_str()),
                    *status,
                    *ended,
                    caller,
                ));
                // Both agents' pages, the PBX that places and bridges the consultation, and
                // every supervisor.
                let payload = message.payload();
                self.send_to_agent(agent, &payload);
                self.send_to_agent(with, &payload);
                self.send_to_telephony(&payload);
                self.to_supervisors(&payload);
            }
            // The wallboards show it; the supervisors' consoles show what the floor sees.
            // A session that subscribes later finds it in its snapshot.
            Event::TickerChanged { text, by, at } => {
                let message = outbound::Event::Ticker {
                    text: text.clone(),
                    by: by.clone(),
                    at: outbound::time(*at),
                };
                self.to_watchers(&message.payload());
            }
            // Nobody is told of a new display: a console reads them with `list_displays`.
            Event::DisplayCreated { .. } => {}
            // Its sessions end at once, on every node (each applies the revocation), with a
            // close that says why; their token signs in no more.
            Event::DisplayRevoked { name, .. } => {
                for watcher in self.watchers.values() {
                    if watcher.display.as_deref() == Some(name.as_str()) {
                        watcher.handle.close(DISPLAY_REVOKED);
                    }
                }
            }
            Event::ConversationOffered {
                conversation,
                agent,
                ..
            } => {
                self.conversation_agent
                    .insert(conversation.clone(), agent.clone());
                if let Some(cause) = self
                    .cause
                    .as_mut()
                    .filter(|c| c.agent.as_ref() == Some(agent))
                {
                    cause.agent = None;
                }
                self.conversation_event(agent, event);
                self.touched_conversations.insert(conversation.clone());
            }
            Event::ConversationOfferEnded {
                conversation,
                agent,
                ..
            }
            | Event::ConversationTransferred {
                conversation,
                from: agent,
                ..
            } => {
                self.forget_conversation_at(conversation, agent);
                self.conversation_event(agent, event);
                self.touched_conversations.insert(conversation.clone());
            }
            Event::ConversationAccepted {
                conversation,
                agent,
                ..
            }
            | Event::ConversationClosed {
                conversation,
                agent,
                ..
            } => {
                self.conversation_event(agent, event);
                self.touched_conversations.insert(conversation.clone());
            }
            Event::MessageAdded { agent, message, .. } => {
                let payload = wire_payload(event);
                if let Some(agent) = agent {
                    self.send_to_agent(agent, &payload);
                }
                // The connector delivers what agents write; the customer's own it has.
                if matches!(message.from, Author::Agent(_)) {
                    self.send_to_messaging(&payload);
                }
            }
            Event::ConversationLeft { conversation, .. } => {
                let payload = wire_payload(event);
                if let Some(agent) = self.conversation_agent.remove(conversation) {
                    self.send_to_agent(&agent, &payload);
                }
                self.send_to_messaging(&payload);
                self.to_supervisors(&payload);
                self.touched_conversations.remove(conversation);
            }
            // For the records only: the connector reported it, and its `ConversationQueued`
            // (or its refusal's `ConversationLeft`) follows.
            Event::ConversationArrived { .. } => {}
            // Where a waiting conversation is: the connector and the agents need not know, the
            // supervisors get its state at the end of the step.
            Event::ConversationQueued { conversation, .. }
            | Event::ConversationOverflowed { conversation, .. }
            | Event::ConversationPriorityChanged { conversation, .. } => {
                self.touched_conversations.insert(conversation.clone());
            }
        }
    }

    fn forget_conversation_at(&mut self, conversation: &ConversationId, agent: &AgentId) {
        if self.conversation_agent.get(conversation) == Some(agent) {
            self.conversation_agent.remove(conversation);
        }
    }

    fn forget_call_at(&mut self, call: &CallId, agent: &AgentId) {
        if self.call_agent.get(call) == Some(agent) {
            self.call_agent.remove(call);
        }
    }

    fn queue_changed(&mut self, acd: &Acd, queue: &QueueId, lane: Lane) {
        let agents_listen = self.streams.is_some()
            || self
                .queue_agents
                .get(queue)
                .is_some_and(|agents| agents.iter().any(|a| self.agents.contains_key(a)));
        if self
            .queue_watchers
            .get(lane.index())
            .is_some_and(|&watchers| watchers > 0)
        {
            self.stale_queues.insert(lane);
        }
        self.totals_changed();
        if !agents_listen {
            // Nobody to tell: forget what was last sent so the next listener hears the next
            // change.
            self.last_waiting.remove(&lane);
            return;
        }
        let waiting = acd.lane_waiting(lane);
        if self.last_waiting.get(&lane) != Some(&waiting) {
            self.last_waiting.insert(lane, waiting);
            let payload = queue_waiting(acd.lane_config(lane), waiting).payload();
            let agents = self.queue_agents.get(queue).map_or(&[][..], Vec::as_slice);
            for agent in agents {
                for handle in self.agents.get(agent).into_iter().flatten() {
                    handle.send_event(&payload);
                }
            }
            // Counted for each agent, kept once for all of them.
            if let Some(streams) = &mut self.streams {
                streams.push_queue(queue, agents, &payload);
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
        for lane in std::mem::take(&mut self.stale_queues) {
            let queue = &acd.lane_config(lane).id;
            let mut payload = None;
            for watcher in self.watchers.values().filter(|w| w.watches(queue)) {
                let payload = payload.get_or_insert_with(|| queue_stats(&acd.lane_stats(lane), at));
                let replaced = watcher
                    .handle
                    .post_stats(StatsSlot::Queue(lane.index()), payload.clone());
                self.counters.dropped(watcher.role, replaced as u64);
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
                self.counters.dropped(watcher.role, replaced as u64);
            }
        }
    }

    /// After every step of the core: one `call_state` per call that moved, and one
    /// `conversation_state` per conversation, to supervisors.
    pub fn end_step(&mut self, acd: &Acd) {
        let cause = self.cause.take();
        let calls = std::mem::take(&mut self.touched_calls);
        let conversations = std::mem::take(&mut self.touched_conversations);
        if calls.is_empty() && conversations.is_empty() {
            return;
        }
        let supervised = self
            .watchers
            .values()
            .any(|w| w.role == Role::Supervisor && w.queues.is_some());
        if !supervised {
            return;
        }
        let by = cause.and_then(|c| Some((c.call?, c.user)));
        for (call, change) in calls {
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
        for conversation in conversations {
            if let Some(view) = acd.conversation_by_id(&conversation) {
                let state = messaging::ConversationState::new(&view, false);
                let payload = outbound::Event::ConversationState(Box::new(state)).payload();
                self.to_supervisors(&payload);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;
    use crate::acd::{CallData, Command, RequestedState};
    use crate::server::outbox::{Outbox, Outgoing};

    /// The demo tenant's core, its audience, and a clock at its start.
    fn demo() -> (Acd, Audience, Timestamp) {
        let config = crate::demo::demo().tenants.remove(0).acd;
        let start = Timestamp::from_second(1_736_150_400).unwrap();
        let acd = Acd::new(config, start).unwrap();
        let audience = Audience::new(&acd, Arc::new(Counters::new()));
        (acd, audience, start)
    }

    fn session(number: u64) -> (Arc<SessionHandle>, Outbox) {
        SessionHandle::new(SessionNumber(number), 64)
    }

    /// Applies a command and hands its events to the audience, as the engine does.
    fn apply(acd: &mut Acd, audience: &mut Audience, command: Command, now: Timestamp) {
        acd.handle(command, now).unwrap();
        while let Some(event) = acd.poll_event() {
            audience.publish(acd, &event);
        }
        audience.end_step(acd);
    }

    /// The `type`s of the events waiting in a session's queue, in order.
    fn received(queue: &mut Outbox) -> Vec<String> {
        let mut types = Vec::new();
        while let Some(item) = queue.try_recv() {
            let payloads = match item {
                Outgoing::Event(payload) => vec![payload],
                Outgoing::Events(payloads)
                | Outgoing::Snapshot {
                    events: payloads, ..
                } => payloads,
                Outgoing::Reply { .. } | Outgoing::Answer { .. } => continue,
            };
            for payload in payloads {
                let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
                types.push(value["type"].as_str().unwrap().to_owned());
            }
        }
        types
    }

    /// Applies a command and hands its events to every audience, as replicas do.
    fn apply_everywhere(acd: &mut Acd, audiences: &mut [&mut Audience], command: Command) {
        let now = acd.now();
        acd.handle(command, now).unwrap();
        while let Some(event) = acd.poll_event() {
            for audience in audiences.iter_mut() {
                audience.publish(acd, &event);
            }
        }
        for audience in audiences.iter_mut() {
            audience.end_step(acd);
        }
    }

    fn streams(acd: &Acd, counts: BTreeMap<Listener, u64>) -> Streams {
        Streams::new(counts, std::time::Duration::from_secs(120), acd.now())
    }

    #[test]
    fn with_streams_what_each_listener_is_sent_does_not_depend_on_who_is_attached_where() {
        let (mut acd, mut here, _) = demo();
        here.keep_streams(&acd, streams(&acd, BTreeMap::new()));
        let mut there = Audience::new(&acd, Arc::new(Counters::new()));
        there.keep_streams(&acd, streams(&acd, BTreeMap::new()));
        let (agent1, agent2) = (AgentId::from("agent1"), AgentId::from("agent2"));
        let call = |id: &str| Command::CallArrived {
            arrived_at: None,
            call: id.into(),
            queue: QueueId::from("support"),
            priority: 0,
            data: CallData::default(),
        };
        for agent in [&agent1, &agent2] {
            let login = Command::Login {
                agent: agent.clone(),
            };
            apply_everywhere(&mut acd, &mut [&mut here, &mut there], login);
        }
        let ready = Command::SetState {
            agent: agent1.clone(),
            state: RequestedState::Ready,
        };
        apply_everywhere(&mut acd, &mut [&mut here, &mut there], ready);
        apply_everywhere(&mut acd, &mut [&mut here, &mut there], call("c1"));
        // Sessions attach here only, one of them between two changes of a queue's waiting
        // count; the other node has none.
        let (first, _first_queue) = session(1);
        here.attach_agent(&acd, agent1.clone(), first);
        apply_everywhere(&mut acd, &mut [&mut here, &mut there], call("c2"));
        let (second, _second_queue) = session(2);
        here.attach_agent(&acd, agent2.clone(), second);
        let (pbx, _pbx_queue) = session(3);
        here.attach_telephony(pbx);
        apply_everywhere(&mut acd, &mut [&mut here, &mut there], call("c3"));
        // A node that starts now, from a snapshot: the counts as they are, nothing kept.
        let counts = there.streams().unwrap().counts();
        let mut later = Audience::new(&acd, Arc::new(Counters::new()));
        later.keep_streams(&acd, streams(&acd, counts));
        let accept = Command::Accept {
            agent: agent1.clone(),
            call: "c1".into(),
        };
        let hung_up = Command::CallEnded { call: "c2".into() };
        for command in [accept, hung_up, call("c4")] {
            apply_everywhere(&mut acd, &mut [&mut here, &mut there, &mut later], command);
        }
        let counts = here.streams().unwrap().counts();
        assert!(counts[&Listener::Agent(agent1.clone())] >= 5, "{counts:?}");
        assert!(counts[&Listener::Agent(agent2.clone())] >= 3, "{counts:?}");
        assert!(counts[&Listener::Telephony] >= 2, "{counts:?}");
        assert_eq!(there.streams().unwrap().counts(), counts);
        assert_eq!(later.streams().unwrap().counts(), counts);
        // And the same events: what a session resumed at either node is sent.
        let session = crate::server::tenant::streams::Registered {
            user: "agent1".into(),
            listener: Listener::Agent(agent1.clone()),
            snapshot: 0,
            count: 0,
        };
        let last = counts[&Listener::Agent(agent1)];
        let recent = |audience: &Audience| audience.resume_events(&session, last - 3);
        assert_eq!(recent(&here), recent(&there));
        assert_eq!(recent(&here), recent(&later));
        assert_eq!(recent(&here).map(|events| events.len()), Some(3));
    }

    #[test]
    fn an_agent_hears_itself_and_its_calls_and_supervisors_hear_everything() {
        let (mut acd, mut audience, now) = demo();
        let agent1 = AgentId::from("agent1");
        let (own, mut own_queue) = session(1);
        let (other, mut other_queue) = session(2);
        let (supervisor, mut supervisor_queue) = session(3);
        let (wallboard, mut wallboard_queue) = session(4);
        let (pbx, mut pbx_queue) = session(5);
        audience.attach_agent(&acd, agent1.clone(), own);
        audience.attach_agent(&acd, AgentId::from("agent2"), other);
        audience.attach_watcher(Role::Supervisor, supervisor, None);
        audience.attach_watcher(Role::Wallboard, wallboard, None);
        audience.attach_telephony(pbx);
        let everything = Subscription {
            queues: acd.queue_ids().cloned().collect(),
            tenant_total: true,
        };
        audience.subscribe(SessionNumber(3), everything.clone());
        audience.subscribe(SessionNumber(4), everything);

        let login = Command::Login {
            agent: agent1.clone(),
        };
        apply(&mut acd, &mut audience, login, now);
        assert_eq!(received(&mut own_queue), ["agent_state"]);
        assert!(received(&mut other_queue).is_empty());
        assert_eq!(received(&mut supervisor_queue), ["agent_state"]);
        assert!(
            received(&mut wallboard_queue).is_empty(),
            "wallboards get statistics only"
        );
        assert!(received(&mut pbx_queue).is_empty());

        let ready = Command::SetState {
            agent: agent1.clone(),
            state: RequestedState::Ready,
        };
        apply(&mut acd, &mut audience, ready, now);
        received(&mut own_queue);
        received(&mut supervisor_queue);
        let arrived = Command::CallArrived {
            arrived_at: None,
            call: "c1".into(),
            queue: QueueId::from("support"),
            priority: 0,
            data: CallData::default(),
        };
        apply(&mut acd, &mut audience, arrived, now);
        let own_events = received(&mut own_queue);
        assert!(own_events.contains(&"offer".to_owned()), "{own_events:?}");
        assert!(
            !received(&mut pbx_queue).is_empty(),
            "the PBX rings the agent's device"
        );
        assert!(
            received(&mut other_queue)
                .iter()
                .all(|t| t == "queue_waiting"),
            "agent2 hears at most its queues' waiting counts"
        );
        let supervisor_events = received(&mut supervisor_queue);
        assert!(
            supervisor_events.contains(&"call_state".to_owned()),
            "{supervisor_events:?}"
        );

        // Statistics go to the watchers' latest-wins slots, not their queues.
        assert!(audience.stats_stale());
        audience.flush_stats(&acd);
        assert!(!audience.stats_stale());
        // Only what changed: agent1's queues (support, general) and the totals; not sales, vip.
        for watcher in audience.watchers.values() {
            let stats = watcher.handle.take_stats(u64::MAX);
            assert_eq!(stats.len(), 3, "{stats:?}");
            assert!(stats[0].contains(r#""queue":"support""#), "{}", stats[0]);
            assert!(stats[1].contains(r#""queue":"general""#), "{}", stats[1]);
            assert!(
                stats[2].contains(r#""type":"tenant_stats""#),
                "{}",
                stats[2]
            );
        }
    }

    #[test]
    fn a_wallboard_gets_the_queues_it_watches_and_only_those() {
        let (mut acd, mut audience, now) = demo();
        let (sales_board, _queue) = session(1);
        audience.attach_watcher(Role::Wallboard, sales_board.clone(), None);
        let sales = Subscription {
            queues: HashSet::from([QueueId::from("sales")]),
            tenant_total: false,
        };
        let generation = audience.subscribe(SessionNumber(1), sales).unwrap();
        let login = Command::Login {
            agent: AgentId::from("agent1"),
        };
        // agent1 serves support and general: nothing for a sales board.
        apply(&mut acd, &mut audience, login, now);
        assert!(!audience.stats_stale());
        let login = Command::Login {
            agent: AgentId::from("agent2"),
        };
        apply(&mut acd, &mut audience, login, now);
        assert!(audience.stats_stale());
        audience.flush_stats(&acd);
        let stats = sales_board.take_stats(generation);
        assert_eq!(stats.len(), 1);
        assert!(stats[0].contains(r#""queue":"sales""#), "{}", stats[0]);

        // Gone: a change of the queue costs nothing more.
        audience.detach(SessionNumber(1));
        let logout = Command::SetState {
            agent: AgentId::from("agent2"),
            state: RequestedState::LoggedOut,
        };
        apply(&mut acd, &mut audience, logout, now);
        assert!(!audience.stats_stale());
        assert_eq!(audience.sessions(), 0);
    }
}
