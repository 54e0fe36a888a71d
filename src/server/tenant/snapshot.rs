//! What a session is told when it attaches or subscribes: the part of the tenant it will hear
//! about from then on, as events, so that its view is whole before the first change arrives.

use std::sync::Arc;

use jiff::Timestamp;

use crate::acd::config::{QueueConfig, ServiceLevelVariant};
use crate::acd::{Acd, AgentId, AgentStatus, AgentView, CallStatus, CallView, QueueId};
use crate::protocol::Role;
use crate::protocol::messaging::ConversationState;
use crate::protocol::outbound::{
    self, AgentState, CallState, CallerDetails, Consultation, Offer, Pending, QueueStatistics,
    TenantStatistics,
};
use crate::server::outbox::SessionHandle;

use super::audience::Subscription;

/// `queue_waiting` for a lane of a queue: its id and its channel.
pub fn queue_waiting(
    lane: &QueueConfig,
    (waiting, oldest): (u32, Option<Timestamp>),
) -> outbound::Event {
    outbound::Event::QueueWaiting {
        queue: lane.id.to_string(),
        channel: lane.channel_name().to_owned(),
        waiting,
        oldest_waiting_since: oldest.map(outbound::time),
    }
}

/// What a session learns of its own agent when it attaches: its state, its pending state, the
/// waiting counts of its queues, the call it rings with or talks on, and the conversations it
/// holds with their transcripts. Returns how many
/// events it sent.
pub fn agent_snapshot(acd: &Acd, agent: &AgentId, handle: &SessionHandle) -> u64 {
    let Some(view) = acd.agent(agent) else {
        return 0;
    };
    let mut events = vec![outbound::Event::AgentState(AgentState::snapshot(&view)).payload()];
    let pending = outbound::Event::PendingState {
        agent: agent.to_string(),
        pending: view.pending.as_ref().map(Pending::from),
        by: None,
    };
    events.push(pending.payload());
    for (queue, _) in &view.skills {
        for lane in acd.lanes_of(queue) {
            events.push(queue_waiting(acd.lane_config(lane), acd.lane_waiting(lane)).payload());
        }
    }
    let call = match &view.status {
        AgentStatus::Ringing { call }
        | AgentStatus::OnCall { call, .. }
        | AgentStatus::Consulted { call, .. } => acd.call(call),
        _ => None,
    };
    // A consulted agent hears of the call through its consultation only: it is not the
    // call's agent.
    let consulted = matches!(view.status, AgentStatus::Consulted { .. });
    if let Some(message) = call.as_ref().filter(|_| !consulted).and_then(call_at_agent) {
        events.push(message.payload());
    }
    events.extend(call.as_ref().and_then(consultation));
    events.extend(monitors(&view));
    for conversation in acd.conversations_of(agent) {
        let state = ConversationState::new(&conversation, true);
        events.push(outbound::Event::ConversationState(Box::new(state)).payload());
    }
    let sent = events.len() as u64;
    handle.send_events(events);
    sent
}

/// A call's consultation going on, as the `consultation` event that tells where it is now,
/// with the caller's details.
fn consultation(call: &CallView) -> Option<Arc<str>> {
    let consult = call.consult.as_ref()?;
    let message = Consultation::new(
        (
            call.id.as_str(),
            consult.agent.as_str(),
            consult.with.as_str(),
            call.queue.as_str(),
        ),
        Some(consult.status),
        None,
        Some(CallerDetails::from(&*call.data)),
    );
    Some(outbound::Event::Consultation(message).payload())
}

/// The supervisors on an agent's call now, as the `monitoring` events that put them there.
fn monitors(view: &AgentView) -> impl Iterator<Item = Arc<str>> + '_ {
    let call = match &view.status {
        AgentStatus::OnCall { call, .. } => Some(call),
        _ => None,
    };
    call.into_iter().flat_map(move |call| {
        view.monitors.iter().map(move |monitor| {
            outbound::Event::Monitoring {
                agent: view.id.to_string(),
                call: call.to_string(),
                supervisor: monitor.supervisor.clone(),
                mode: Some(monitor.mode.name()),
                ended: None,
            }
            .payload()
        })
    })
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
pub fn telephony_snapshot(acd: &Acd, handle: &SessionHandle) -> u64 {
    let mut events = Vec::new();
    for call in acd.calls() {
        if matches!(call.status, CallStatus::Waiting { .. }) {
            // So that a connector reconciles every call acdhub holds, waiting ones too (after a
            // restart of either side): what it no longer has, it ends with `call_ended`.
            events.push(outbound::Event::CallState(CallState::from(&call)).payload());
            continue;
        }
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
        if let CallStatus::Connected { agent, .. } = &call.status
            && let Some(view) = acd.agent(agent)
        {
            events.extend(monitors(&view));
        }
        events.extend(consultation(&call));
    }
    let sent = events.len() as u64;
    handle.send_events(events);
    sent
}

/// What a messaging session gets when it attaches: where every conversation of the tenant is,
/// with its transcript, so a connector that reconnects (or resyncs) puts its side right and
/// delivers, by number, the agents' messages it had not delivered yet.
pub fn messaging_snapshot(acd: &Acd, handle: &SessionHandle) -> u64 {
    let events: Vec<Arc<str>> = acd
        .conversations()
        .iter()
        .map(|view| {
            let state = ConversationState::new(view, true);
            outbound::Event::ConversationState(Box::new(state)).payload()
        })
        .collect();
    let sent = events.len() as u64;
    handle.send_events(events);
    sent
}

pub(super) fn queue_stats(stats: &crate::acd::QueueStats, at: Timestamp) -> Arc<str> {
    outbound::Event::QueueStats(Box::new(QueueStatistics::new(stats, at))).payload()
}

pub(super) fn tenant_stats(acd: &Acd, variant: ServiceLevelVariant, at: Timestamp) -> Arc<str> {
    let totals = TenantStatistics::new(&acd.tenant_stats(), variant, at);
    outbound::Event::TenantStats(Box::new(totals)).payload()
}

/// What a watcher gets when it subscribes: the wallboards' message if one is shown, statistics
/// of its queues and the tenant's totals and, for a supervisor, every agent, call and
/// conversation of the tenant.
pub fn watcher_snapshot(
    acd: &Acd,
    role: Role,
    subscription: &Subscription,
    tenant_variant: ServiceLevelVariant,
    handle: &SessionHandle,
    generation: u64,
) {
    let mut events = Vec::new();
    if let Some(ticker) = acd.ticker() {
        let shown = outbound::Event::Ticker {
            text: Some(ticker.text.clone()),
            by: ticker.by.clone(),
            at: outbound::time(ticker.at),
        };
        events.push(shown.payload());
    }
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
            events.extend(monitors(&view));
        }
        for call in acd.calls() {
            events.push(outbound::Event::CallState(CallState::from(&call)).payload());
            events.extend(consultation(&call));
        }
        for conversation in acd.conversations() {
            let state = ConversationState::new(&conversation, false);
            events.push(outbound::Event::ConversationState(Box::new(state)).payload());
        }
    }
    let at = acd.now();
    for lane in acd.lanes() {
        if subscription.queues.contains(&acd.lane_config(lane).id) {
            events.push(queue_stats(&acd.lane_stats(lane), at));
        }
    }
    if subscription.tenant_total {
        events.push(tenant_stats(acd, tenant_variant, at));
    }
    handle.send_snapshot(generation, events);
}
