//! The record of a call in progress: what the fold has learnt of it so far, and the finished
//! record it becomes.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::{CallRecord, Outcome};
use crate::acd::{AgentId, CallId, CallLeftReason, DispositionCode, QueueId};

/// An agent connected to the call now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Connection {
    pub(super) agent: AgentId,
    pub(super) since: Timestamp,
    pub(super) held_since: Option<Timestamp>,
    pub(super) hold_ms: u64,
}

/// The record of a call in progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Partial {
    pub(super) call: CallId,
    pub(super) queues: Vec<QueueId>,
    pub(super) agents: Vec<AgentId>,
    pub(super) answered_by: Option<AgentId>,
    pub(super) priority: Option<u8>,
    pub(super) caller: Option<String>,
    pub(super) dialled: Option<String>,
    pub(super) arrived_at: Timestamp,
    pub(super) first_offered_at: Option<Timestamp>,
    pub(super) answered_at: Option<Timestamp>,
    /// When and why the call left the ACD.
    pub(super) left: Option<(Timestamp, CallLeftReason)>,
    pub(super) wrap_up_ended_at: Option<Timestamp>,
    /// When the call entered its current queue: what the queue measures its wait from.
    pub(super) leg_started_at: Timestamp,
    /// The current queue leg is still waiting (not yet answered in it).
    pub(super) leg_open: bool,
    /// The next `CallQueued` starts a new leg (after an overflow or a transfer). One after a
    /// failed offer puts the call back where it was, with its wait running on.
    pub(super) new_leg_next: bool,
    pub(super) last_queue_wait_ms: u64,
    pub(super) connection: Option<Connection>,
    pub(super) talk_ms: u64,
    pub(super) hold_ms: u64,
    pub(super) holds: u32,
    pub(super) wrap_up_ms: u64,
    /// Agents in `after_call` for this record: it finishes when none is left.
    pub(super) after_call_agents: u32,
    pub(super) offers: u32,
    pub(super) ring_no_answers: u32,
    pub(super) rejections: u32,
    pub(super) transfer_targets: Vec<String>,
    pub(super) overflows: u32,
    /// The disposition and notes of the agent connected last of those who gave any
    /// ([`CallRecord::disposition`]), and when that agent was connected.
    #[serde(default)]
    pub(super) disposition: Option<DispositionCode>,
    #[serde(default)]
    pub(super) notes: Option<String>,
    #[serde(default)]
    pub(super) disposed_by_connected_at: Option<Timestamp>,
}

pub(super) fn millis_between(from: Timestamp, to: Timestamp) -> u64 {
    (to.as_millisecond() - from.as_millisecond()).max(0) as u64
}

impl Partial {
    pub(super) fn new(call: CallId, now: Timestamp) -> Partial {
        Partial {
            call,
            queues: Vec::new(),
            agents: Vec::new(),
            answered_by: None,
            priority: None,
            caller: None,
            dialled: None,
            arrived_at: now,
            first_offered_at: None,
            answered_at: None,
            left: None,
            wrap_up_ended_at: None,
            leg_started_at: now,
            leg_open: true,
            new_leg_next: false,
            last_queue_wait_ms: 0,
            connection: None,
            talk_ms: 0,
            hold_ms: 0,
            holds: 0,
            wrap_up_ms: 0,
            after_call_agents: 0,
            offers: 0,
            ring_no_answers: 0,
            rejections: 0,
            transfer_targets: Vec::new(),
            overflows: 0,
            disposition: None,
            notes: None,
            disposed_by_connected_at: None,
        }
    }

    pub(super) fn enter(&mut self, queue: &QueueId) {
        if self.queues.last() != Some(queue) {
            self.queues.push(queue.clone());
        }
    }

    /// The call stops waiting in its leg (answered or gone): the leg's wait is what it waited.
    pub(super) fn close_leg(&mut self, now: Timestamp) {
        if self.leg_open {
            self.leg_open = false;
            self.last_queue_wait_ms = millis_between(self.leg_started_at, now);
        }
    }

    /// Talk with the connected agent is over: returns the agent, whose after-call work begins.
    pub(super) fn disconnect(&mut self, now: Timestamp) -> Option<AgentId> {
        let mut connection = self.connection.take()?;
        if let Some(held_since) = connection.held_since.take() {
            connection.hold_ms += millis_between(held_since, now);
        }
        self.hold_ms += connection.hold_ms;
        self.talk_ms += millis_between(connection.since, now).saturating_sub(connection.hold_ms);
        Some(connection.agent)
    }

    /// An agent's handling ended with this disposition and notes: they are the record's if the
    /// agent gave any and was connected after the agent whose ones the record has (the agent a
    /// call was transferred to speaks for how it ended, whichever wrap-up ends last).
    pub(super) fn disposed(
        &mut self,
        connected_at: Timestamp,
        disposition: &Option<DispositionCode>,
        notes: Option<&str>,
    ) {
        let gave = disposition.is_some() || notes.is_some();
        if gave && self.disposed_by_connected_at <= Some(connected_at) {
            self.disposition = disposition.clone();
            self.notes = notes.map(str::to_owned);
            self.disposed_by_connected_at = Some(connected_at);
        }
    }

    pub(super) fn finish(self, seq: u64) -> CallRecord {
        let (ended_at, reason) = self.left.expect("only a call that left finishes");
        let first_queue = self.queues.first().cloned().expect("a call has a queue");
        let last_queue = self.queues.last().cloned().expect("a call has a queue");
        CallRecord {
            seq,
            call: self.call,
            outcome: Outcome::of(reason),
            first_queue,
            last_queue,
            queues: self.queues,
            agents: self.agents,
            answered_by: self.answered_by,
            priority: self.priority,
            caller: self.caller,
            dialled: self.dialled,
            arrived_at: self.arrived_at,
            first_offered_at: self.first_offered_at,
            answered_at: self.answered_at,
            ended_at,
            wrap_up_ended_at: self.wrap_up_ended_at,
            wait_ms: millis_between(self.arrived_at, self.answered_at.unwrap_or(ended_at)),
            last_queue_wait_ms: self.last_queue_wait_ms,
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            holds: self.holds,
            wrap_up_ms: self.wrap_up_ms,
            offers: self.offers,
            ring_no_answers: self.ring_no_answers,
            rejections: self.rejections,
            transfers: self.transfer_targets.len() as u32,
            transfer_targets: self.transfer_targets,
            overflows: self.overflows,
            disposition: self.disposition,
            notes: self.notes,
        }
    }
}
