//! Call detail records (CDRs) and conversation records: every finished call and every finished
//! conversation (with its transcript), for BI, workforce management and quality review.
//!
//! - [`CallRecords`] (this file) is a pure fold over the core's events: no I/O, no clock. It
//!   derives serde so it travels in a tenant's snapshot beside its core, and replaying the
//!   journal gives the same records with the same `seq`s.
//! - `partial.rs`: what the fold knows of a call in progress, and the record it becomes.
//! - [`CallRecord`] (`record.rs`) is one finished call.
//! - [`ConversationRecords`] (`conversation.rs`) is the same kind of fold for conversations,
//!   numbered apart; [`ConversationRecord`] (`conversation_record.rs`) one finished
//!   conversation.
//! - [`retention`]: which days of conversation records are past their retention (pure).
//! - [`csv`]: a record as a row of comma-separated values (pure).
//! - [`file`]: appends records as JSON lines to one file per tenant, kind and local day,
//!   skipping those it already has, and deletes conversation records past retention;
//!   [`export`] reads a day back as CSV or JSON lines. These two are the only parts that touch
//!   the file system.
//!
//! docs/records.md is the reference for the people who read the files.

mod conversation;
mod conversation_record;
pub mod csv;
pub mod export;
pub mod file;
mod partial;
mod record;
pub mod retention;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::acd::{
    AgentId, AgentStatus, AgentStatusKind, CallId, Event, OfferEndReason, TransferTarget,
};

pub use conversation::ConversationRecords;
pub use conversation_record::{ConversationOutcome, ConversationRecord, TranscriptMessage, Writer};
use partial::{Connection, Partial, millis_between};
pub use record::{CallRecord, Outcome};

/// A tenant's two folds, fed the same events: the records of its calls and of its
/// conversations. They travel in its snapshots as two fields (`records`, `conversation_records`),
/// so a snapshot from before conversations had records still reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    pub calls: CallRecords,
    pub conversations: ConversationRecords,
}

impl Records {
    /// Folds one event of the core into both.
    pub fn observe(&mut self, event: &Event, now: Timestamp) {
        self.calls.observe(event, now);
        self.conversations.observe(event, now);
    }

    /// Folds whose first records get the `seq`s after these: a tenant that starts its day
    /// afresh beside record files that go on.
    pub fn after(calls: u64, conversations: u64) -> Records {
        Records {
            calls: CallRecords::after(calls),
            conversations: ConversationRecords::after(conversations),
        }
    }
}

/// The records of one tenant's calls, built from its core's events.
///
/// A call's record is finished when the call has left the ACD and every agent who worked on it
/// has finished its wrap-up for it (or went on without one). Memory holds only the calls in
/// progress: a record's working state is dropped when it finishes, and finished records wait
/// only until [`CallRecords::take_finished`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecords {
    /// Calls in the ACD, to the key of their record. A call id may come back once the call has
    /// left (the telephony side reuses it), so records are keyed by a number of their own.
    in_acd: BTreeMap<CallId, u64>,
    /// Agents whose work on a call that was theirs is not over: its wrap-up is awaited or runs.
    after_call: BTreeMap<AgentId, AfterCall>,
    /// Records in progress by key.
    open: BTreeMap<u64, Partial>,
    next_key: u64,
    /// Finished, not yet written (a snapshot keeps its fields `last_seq` and `finished` at
    /// this level, as it always did).
    #[serde(flatten)]
    finished: Finished<CallRecord>,
}

/// The records a fold finished and the writer has not taken yet, numbered 1, 2, 3... per
/// kind in the order they finish: `seq` lets a reader (and the record file after a crash) tell
/// a record it already has from a new one. One for calls, one for conversations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finished<R> {
    /// The `seq` of the last finished record: 0 before the first.
    last_seq: u64,
    /// Finished, not yet taken.
    finished: Vec<R>,
}

impl<R> Default for Finished<R> {
    fn default() -> Self {
        Finished::after(0)
    }
}

impl<R> Finished<R> {
    /// Numbering on from `last_seq`: the first record finished gets `last_seq + 1`.
    pub fn after(last_seq: u64) -> Finished<R> {
        Finished {
            last_seq,
            finished: Vec::new(),
        }
    }

    /// Finishes the record `make` builds with the next `seq`.
    fn push(&mut self, make: impl FnOnce(u64) -> R) {
        self.last_seq += 1;
        self.finished.push(make(self.last_seq));
    }

    /// The records finished since the last call, in `seq` order. The caller writes them out
    /// after each step, before the next snapshot; until then they are part of the state.
    pub fn take(&mut self) -> Vec<R> {
        std::mem::take(&mut self.finished)
    }

    /// Puts back finished records that could not be written, to be taken again (and to travel
    /// in the next snapshot meanwhile).
    pub fn give_back(&mut self, mut records: Vec<R>) {
        records.append(&mut self.finished);
        self.finished = records;
    }

    /// The `seq` of the last record finished (0 before the first).
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }
}

/// An agent's work on a call after it left the agent (hung up or transferred).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct AfterCall {
    key: u64,
    /// When its wrap-up began; `None` until the agent's status says whether there is one.
    wrap_up_since: Option<Timestamp>,
}

impl CallRecords {
    /// Folds one event of the core in. `now` is the instant the core was given for the step
    /// that emitted it (`handle` or `handle_timeout`); wrap-up times come from the events' own
    /// `since`, so they are exact even when a late tick runs several deadlines at once.
    pub fn observe(&mut self, event: &Event, now: Timestamp) {
        match event {
            Event::CallQueued { call, queue, since } => {
                // A call that waited before it reached the ACD (`arrived_at`) arrived then.
                let call = self.call(call, *since);
                if call.new_leg_next {
                    call.new_leg_next = false;
                    call.leg_started_at = *since;
                    call.leg_open = true;
                }
                call.enter(queue);
            }
            Event::CallOffered {
                call,
                agent,
                priority,
                data,
                ..
            } => {
                let call = self.call(call, now);
                call.offers += 1;
                call.first_offered_at.get_or_insert(now);
                if !call.agents.contains(agent) {
                    call.agents.push(agent.clone());
                }
                call.priority = Some(*priority);
                call.caller = data.caller.clone();
                call.dialled = data.dialled.clone();
            }
            Event::OfferEnded { call, reason, .. } => {
                let call = self.call(call, now);
                match reason {
                    OfferEndReason::RingNoAnswer => call.ring_no_answers += 1,
                    OfferEndReason::Rejected => call.rejections += 1,
                    // The call leaves: its CallLeft follows.
                    OfferEndReason::CallerHungUp | OfferEndReason::CustomerLeft => {}
                }
            }
            Event::CallConnected { call, agent, .. } => {
                let call = self.call(call, now);
                if call.answered_at.is_none() {
                    call.answered_at = Some(now);
                    call.answered_by = Some(agent.clone());
                }
                // An agent who took the call over from a consultation was not offered it.
                if !call.agents.contains(agent) {
                    call.agents.push(agent.clone());
                }
                call.close_leg(now);
                // Answered where it was transferred to: no new leg after all.
                call.new_leg_next = false;
                call.connection = Some(Connection {
                    agent: agent.clone(),
                    since: now,
                    held_since: None,
                    hold_ms: 0,
                });
            }
            Event::CallHeld { call, .. } => {
                let call = self.call(call, now);
                call.holds += 1;
                if let Some(connection) = &mut call.connection {
                    connection.held_since = Some(now);
                }
            }
            Event::CallResumed { call, .. } => {
                let call = self.call(call, now);
                if let Some(connection) = &mut call.connection
                    && let Some(held_since) = connection.held_since.take()
                {
                    connection.hold_ms += millis_between(held_since, now);
                }
            }
            Event::CallTransferred { call, to, .. } => {
                let key = self.key(call, now);
                let call = self.open.get_mut(&key).expect("an open record");
                call.transfer_targets.push(match to {
                    TransferTarget::Queue(queue) => format!("queue:{queue}"),
                    TransferTarget::Agent(agent) => format!("agent:{agent}"),
                });
                call.new_leg_next = true;
                if let Some(agent) = call.disconnect(now) {
                    self.await_after_call(agent, key);
                }
            }
            Event::CallOverflowed { call, .. } => {
                let call = self.call(call, now);
                call.overflows += 1;
                call.new_leg_next = true;
            }
            Event::CallPriorityChanged { call, priority } => {
                self.call(call, now).priority = Some(*priority);
            }
            Event::CallLeft {
                call,
                queue,
                reason,
            } => {
                // A refused call was never queued: its record starts and ends here.
                let key = self.key(call, now);
                self.in_acd.remove(call);
                let call = self.open.get_mut(&key).expect("an open record");
                call.enter(queue);
                call.close_leg(now);
                call.left = Some((now, *reason));
                if let Some(agent) = call.disconnect(now) {
                    self.await_after_call(agent, key);
                }
                self.finish_if_done(key);
            }
            Event::AgentStatusChanged {
                agent,
                status,
                previous,
                since,
                device: _,
                holds: _,
            } => self.agent_moved(agent, status, *previous, *since),
            Event::CallHandled {
                agent,
                call,
                connected_at,
                disposition,
                notes,
            } => {
                // The agent's work on the call it left: its after-call entry names the record.
                let Some(after_call) = self.after_call.get(agent) else {
                    return;
                };
                if let Some(record) = self.open.get_mut(&after_call.key)
                    && &record.call == call
                {
                    record.disposed(*connected_at, disposition, notes.as_deref());
                }
            }
            // Supervisors on a call are in the audit log, not in the call's record; a
            // consultation is in it when it hands the call over (`CallTransferred`); the
            // wallboards' message is no call's.
            Event::PendingStateChanged { .. }
            | Event::QueueChanged { .. }
            | Event::MonitorChanged { .. }
            | Event::ConsultChanged { .. }
            | Event::TickerChanged { .. }
            | Event::DisplayCreated { .. }
            | Event::DisplayRevoked { .. } => {}
            // Conversations have records of their own: `ConversationRecords`.
            Event::ConversationArrived { .. }
            | Event::ConversationQueued { .. }
            | Event::ConversationOffered { .. }
            | Event::ConversationOfferEnded { .. }
            | Event::ConversationAccepted { .. }
            | Event::MessageAdded { .. }
            | Event::ConversationTransferred { .. }
            | Event::ConversationOverflowed { .. }
            | Event::ConversationPriorityChanged { .. }
            | Event::ConversationClosed { .. }
            | Event::ConversationLeft { .. } => {}
        }
    }

    /// The records finished and not yet taken ([`Finished::take`]).
    pub fn finished(&mut self) -> &mut Finished<CallRecord> {
        &mut self.finished
    }

    /// The records finished since the last call ([`Finished::take`]).
    pub fn take_finished(&mut self) -> Vec<CallRecord> {
        self.finished.take()
    }

    /// A fold whose first record gets `seq` `last_seq + 1`: a tenant that starts its day
    /// afresh (its journal moved aside) beside record files that go on.
    pub fn after(last_seq: u64) -> CallRecords {
        CallRecords {
            finished: Finished::after(last_seq),
            ..CallRecords::default()
        }
    }

    /// How many records are in progress: calls in the ACD, and calls gone whose wrap-up runs.
    pub fn in_progress(&self) -> usize {
        self.open.len()
    }

    /// The key of the record of a call in the ACD; a call not seen before (it arrived before
    /// this fold started) gets a record from now.
    fn key(&mut self, call: &CallId, now: Timestamp) -> u64 {
        if let Some(key) = self.in_acd.get(call) {
            return *key;
        }
        let key = self.next_key;
        self.next_key += 1;
        self.in_acd.insert(call.clone(), key);
        self.open.insert(key, Partial::new(call.clone(), now));
        key
    }

    fn call(&mut self, call: &CallId, now: Timestamp) -> &mut Partial {
        let key = self.key(call, now);
        self.open.get_mut(&key).expect("an open record")
    }

    /// The agent is done talking on the record's call: its next status says whether it wraps
    /// up for it.
    fn await_after_call(&mut self, agent: AgentId, key: u64) {
        let previous = self.after_call.insert(
            agent,
            AfterCall {
                key,
                wrap_up_since: None,
            },
        );
        // An agent works on one call at a time: any earlier after-call work is over.
        if let Some(previous) = previous {
            self.after_call_ended(previous, None);
        }
        if let Some(call) = self.open.get_mut(&key) {
            call.after_call_agents += 1;
        }
    }

    fn agent_moved(
        &mut self,
        agent: &AgentId,
        status: &AgentStatus,
        previous: AgentStatusKind,
        since: Timestamp,
    ) {
        let Some(after_call) = self.after_call.get_mut(agent) else {
            return;
        };
        match status {
            // An extension moves the deadline only.
            AgentStatus::WrapUp { .. } if previous == AgentStatusKind::WrapUp => {}
            AgentStatus::WrapUp { .. } => after_call.wrap_up_since = Some(since),
            _ => {
                let after_call = self.after_call.remove(agent).expect("looked up above");
                self.after_call_ended(after_call, Some(since));
            }
        }
    }

    fn after_call_ended(&mut self, after_call: AfterCall, at: Option<Timestamp>) {
        let Some(call) = self.open.get_mut(&after_call.key) else {
            return;
        };
        call.after_call_agents -= 1;
        if let (Some(from), Some(to)) = (after_call.wrap_up_since, at) {
            call.wrap_up_ms += millis_between(from, to);
            call.wrap_up_ended_at = call.wrap_up_ended_at.max(Some(to));
        }
        self.finish_if_done(after_call.key);
    }

    fn finish_if_done(&mut self, key: u64) {
        let done = self
            .open
            .get(&key)
            .is_some_and(|call| call.left.is_some() && call.after_call_agents == 0);
        if done {
            let call = self.open.remove(&key).expect("looked up above");
            self.finished.push(|seq| call.finish(seq));
        }
    }
}
