//! The records of a tenant's conversations, folded from its core's events beside (and apart
//! from) [`super::CallRecords`]: pure, no I/O, no clock, serde by derive so it travels in the
//! tenant's snapshot, and a replay of the journal gives the same records with the same `seq`s.
//!
//! A conversation's record finishes when the conversation leaves the ACD: after its agent's
//! wrap-up of it, or at once when it leaves unanswered. Unlike a call, no agent's work on it
//! outlasts it (a transfer has no wrap-up, a close's wrap-up is the conversation's own), so the
//! fold keeps one entry per conversation in the ACD and drops it when the record finishes.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::Finished;
use super::conversation_record::{
    ConversationOutcome, ConversationRecord, TranscriptMessage, Writer,
};
use super::partial::millis_between;
use crate::acd::{
    AgentId, Author, CallData, CallLeftReason, ChannelId, ConversationId, Event, Message,
    OfferEndReason, QueueId, TransferTarget,
};

/// The records of one tenant's conversations, built from its core's events.
///
/// Memory holds the conversations in the ACD (each with its transcript so far, which the core
/// bounds) and the finished records until [`ConversationRecords::take_finished`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRecords {
    /// Conversations in the ACD. An id the messaging side reuses after the conversation left
    /// starts a new record: the old one finished when it left.
    open: BTreeMap<ConversationId, Open>,
    /// Finished, not yet written (`last_seq` and `finished` at this level in a snapshot).
    #[serde(flatten)]
    finished: Finished<ConversationRecord>,
}

/// What the fold knows of a conversation in the ACD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Open {
    channel: Option<ChannelId>,
    queues: Vec<QueueId>,
    agents: Vec<AgentId>,
    accepted_by: Option<AgentId>,
    priority: u8,
    customer: Option<String>,
    data: BTreeMap<String, String>,
    arrived_at: Timestamp,
    first_offered_at: Option<Timestamp>,
    accepted_at: Option<Timestamp>,
    first_response_at: Option<Timestamp>,
    /// When it was closed, by whom, and whether its agent wraps it up.
    closed: Option<Closed>,
    /// When it entered its current queue: what the queue measures its wait from.
    leg_started_at: Timestamp,
    /// The current queue leg is still waiting (not yet accepted in it).
    leg_open: bool,
    /// The next `ConversationQueued` starts a new leg (after an overflow or a transfer); one
    /// after a failed offer puts it back where it was, its wait running on.
    new_leg_next: bool,
    last_queue_wait_ms: u64,
    /// Since when it is open at an agent, while it is.
    open_since: Option<Timestamp>,
    open_ms: u64,
    offers: u32,
    rejections: u32,
    ring_no_answers: u32,
    transfer_targets: Vec<String>,
    overflows: u32,
    /// Every message with its number in the core's transcript.
    transcript: Vec<(u32, Message)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Closed {
    at: Timestamp,
    by: Writer,
    wrap_up: bool,
}

impl ConversationRecords {
    /// Folds one event of the core in. `now` is the instant the core was given for the step
    /// that emitted it; every event but a conversation's is ignored.
    pub fn observe(&mut self, event: &Event, now: Timestamp) {
        match event {
            Event::ConversationArrived {
                conversation,
                channel,
                priority,
                data,
                transcript,
                ..
            } => {
                let mut open = Open::new(now);
                open.channel = Some(channel.clone());
                open.priority = *priority;
                open.learn(data);
                open.transcript = numbered(transcript);
                self.open.insert(conversation.clone(), open);
            }
            Event::ConversationQueued {
                conversation,
                queue,
            } => {
                let open = self.open(conversation, now);
                if open.new_leg_next {
                    open.new_leg_next = false;
                    open.leg_started_at = now;
                    open.leg_open = true;
                }
                open.enter(queue);
            }
            Event::ConversationOffered {
                conversation,
                agent,
                channel,
                priority,
                data,
                transcript,
                ..
            } => {
                let open = self.open(conversation, now);
                open.offers += 1;
                open.first_offered_at.get_or_insert(now);
                if !open.agents.contains(agent) {
                    open.agents.push(agent.clone());
                }
                open.channel = Some(channel.clone());
                open.priority = *priority;
                open.learn(data);
                // Everything written so far: fills in what a fold that started late missed.
                if transcript.len() > open.transcript.len() {
                    open.transcript = numbered(transcript);
                }
            }
            Event::ConversationOfferEnded {
                conversation,
                reason,
                ..
            } => {
                let open = self.open(conversation, now);
                match reason {
                    OfferEndReason::Rejected => open.rejections += 1,
                    OfferEndReason::RingNoAnswer => open.ring_no_answers += 1,
                    // It leaves: its ConversationLeft follows.
                    OfferEndReason::CustomerLeft | OfferEndReason::CallerHungUp => {}
                }
            }
            Event::ConversationAccepted {
                conversation,
                agent,
                ..
            } => {
                let open = self.open(conversation, now);
                if open.accepted_at.is_none() {
                    open.accepted_at = Some(now);
                    open.accepted_by = Some(agent.clone());
                }
                open.close_leg(now);
                // Accepted where it was transferred to: no new leg after all.
                open.new_leg_next = false;
                open.open_since = Some(now);
            }
            Event::MessageAdded {
                conversation,
                number,
                message,
                ..
            } => {
                let open = self.open(conversation, now);
                let known = open.transcript.last().map(|(last, _)| *last);
                if known.is_none_or(|last| *number > last) {
                    if matches!(message.from, Author::Agent(_)) {
                        open.first_response_at.get_or_insert(message.at);
                    }
                    open.transcript.push((*number, message.clone()));
                }
            }
            Event::ConversationTransferred {
                conversation, to, ..
            } => {
                let open = self.open(conversation, now);
                open.transfer_targets.push(match to {
                    TransferTarget::Queue(queue) => format!("queue:{queue}"),
                    TransferTarget::Agent(agent) => format!("agent:{agent}"),
                });
                open.new_leg_next = true;
                open.stop_open(now);
            }
            Event::ConversationOverflowed { conversation, .. } => {
                let open = self.open(conversation, now);
                open.overflows += 1;
                open.new_leg_next = true;
            }
            Event::ConversationPriorityChanged {
                conversation,
                priority,
            } => self.open(conversation, now).priority = *priority,
            Event::ConversationClosed {
                conversation,
                by,
                wrap_up_deadline,
                ..
            } => {
                let open = self.open(conversation, now);
                open.stop_open(now);
                open.closed = Some(Closed {
                    at: now,
                    by: match by {
                        Author::Customer => Writer::Customer,
                        Author::Agent(_) => Writer::Agent,
                    },
                    wrap_up: wrap_up_deadline.is_some(),
                });
            }
            Event::ConversationLeft {
                conversation,
                queue,
                reason,
            } => {
                // A refused conversation was never queued: its record ends here.
                self.open(conversation, now);
                let mut open = self.open.remove(conversation).expect("opened above");
                open.enter(queue);
                open.close_leg(now);
                open.stop_open(now);
                self.finished
                    .push(|seq| open.finish(seq, conversation.clone(), *reason, now));
            }
            Event::AgentStatusChanged { .. }
            | Event::PendingStateChanged { .. }
            | Event::CallQueued { .. }
            | Event::CallOffered { .. }
            | Event::OfferEnded { .. }
            | Event::CallConnected { .. }
            | Event::CallHandled { .. }
            | Event::MonitorChanged { .. }
            | Event::ConsultChanged { .. }
            | Event::TickerChanged { .. }
            | Event::DisplayCreated { .. }
            | Event::DisplayRevoked { .. }
            | Event::CallHeld { .. }
            | Event::CallResumed { .. }
            | Event::CallTransferred { .. }
            | Event::CallOverflowed { .. }
            | Event::CallPriorityChanged { .. }
            | Event::CallLeft { .. }
            | Event::QueueChanged { .. } => {}
        }
    }

    /// The records finished and not yet taken ([`Finished::take`]).
    pub fn finished(&mut self) -> &mut Finished<ConversationRecord> {
        &mut self.finished
    }

    /// The records finished since the last call ([`Finished::take`]).
    pub fn take_finished(&mut self) -> Vec<ConversationRecord> {
        self.finished.take()
    }

    /// A fold whose first record gets `seq` `last_seq + 1`: a tenant that starts its day
    /// afresh beside record files that go on.
    pub fn after(last_seq: u64) -> ConversationRecords {
        ConversationRecords {
            finished: Finished::after(last_seq),
            ..ConversationRecords::default()
        }
    }

    /// How many records are in progress: the conversations in the ACD.
    pub fn in_progress(&self) -> usize {
        self.open.len()
    }

    /// The conversation's entry; one not seen arriving (it was in the ACD before this fold
    /// started) gets a record from now.
    fn open(&mut self, conversation: &ConversationId, now: Timestamp) -> &mut Open {
        self.open
            .entry(conversation.clone())
            .or_insert_with(|| Open::new(now))
    }
}

/// A transcript as the core hands it over, each message with its number.
fn numbered(transcript: &Arc<[Message]>) -> Vec<(u32, Message)> {
    (0..)
        .zip(transcript.iter())
        .map(|(number, message)| (number, message.clone()))
        .collect()
}

impl Open {
    fn new(now: Timestamp) -> Open {
        Open {
            channel: None,
            queues: Vec::new(),
            agents: Vec::new(),
            accepted_by: None,
            priority: 0,
            customer: None,
            data: BTreeMap::new(),
            arrived_at: now,
            first_offered_at: None,
            accepted_at: None,
            first_response_at: None,
            closed: None,
            leg_started_at: now,
            leg_open: true,
            new_leg_next: false,
            last_queue_wait_ms: 0,
            open_since: None,
            open_ms: 0,
            offers: 0,
            rejections: 0,
            ring_no_answers: 0,
            transfer_targets: Vec::new(),
            overflows: 0,
            transcript: Vec::new(),
        }
    }

    /// Who the customer is and what the connector attached.
    fn learn(&mut self, data: &CallData) {
        self.customer.clone_from(&data.caller);
        self.data.clone_from(&data.attached);
    }

    fn enter(&mut self, queue: &QueueId) {
        if self.queues.last() != Some(queue) {
            self.queues.push(queue.clone());
        }
    }

    /// It stops waiting in its leg (accepted or gone): the leg's wait is what it waited.
    fn close_leg(&mut self, now: Timestamp) {
        if self.leg_open {
            self.leg_open = false;
            self.last_queue_wait_ms = millis_between(self.leg_started_at, now);
        }
    }

    /// It is no longer open at its agent (transferred, closed or gone).
    fn stop_open(&mut self, now: Timestamp) {
        if let Some(since) = self.open_since.take() {
            self.open_ms += millis_between(since, now);
        }
    }

    /// The record of a conversation that left the ACD at `now` for `reason`.
    fn finish(
        self,
        seq: u64,
        conversation: ConversationId,
        reason: CallLeftReason,
        now: Timestamp,
    ) -> ConversationRecord {
        let outcome = match reason {
            CallLeftReason::Completed => match self.closed {
                Some(Closed {
                    by: Writer::Agent, ..
                }) => ConversationOutcome::ClosedByAgent,
                // Closed by the customer, or gone while offered to the agent it was
                // transferred to (accepted before, so not abandoned).
                _ => ConversationOutcome::CustomerLeft,
            },
            CallLeftReason::Abandoned => ConversationOutcome::Abandoned,
            CallLeftReason::TimedOut => ConversationOutcome::TimedOut,
            CallLeftReason::Refused => ConversationOutcome::Refused,
        };
        let ended_at = self.closed.map_or(now, |closed| closed.at);
        let wrap_up = self.closed.filter(|closed| closed.wrap_up);
        let first_queue = self.queues.first().cloned().expect("it was in a queue");
        let last_queue = self.queues.last().cloned().expect("it was in a queue");
        let (mut customer_messages, mut agent_messages) = (0, 0);
        let transcript = self
            .transcript
            .into_iter()
            .map(|(number, message)| {
                let (from, agent) = match message.from {
                    Author::Customer => {
                        customer_messages += 1;
                        (Writer::Customer, None)
                    }
                    Author::Agent(agent) => {
                        agent_messages += 1;
                        (Writer::Agent, Some(agent))
                    }
                };
                TranscriptMessage {
                    number,
                    from,
                    agent,
                    at: message.at,
                    text: message.text,
                }
            })
            .collect();
        ConversationRecord {
            seq,
            conversation,
            channel: self.channel,
            outcome,
            first_queue,
            last_queue,
            queues: self.queues,
            agents: self.agents,
            accepted_by: self.accepted_by,
            priority: self.priority,
            customer: self.customer,
            data: self.data,
            arrived_at: self.arrived_at,
            first_offered_at: self.first_offered_at,
            accepted_at: self.accepted_at,
            first_response_at: self.first_response_at,
            ended_at,
            wrap_up_ended_at: wrap_up.map(|_| now),
            wait_ms: millis_between(self.arrived_at, self.accepted_at.unwrap_or(ended_at)),
            last_queue_wait_ms: self.last_queue_wait_ms,
            first_response_ms: self
                .first_response_at
                .map(|at| millis_between(self.arrived_at, at)),
            open_ms: self.open_ms,
            wrap_up_ms: wrap_up.map_or(0, |closed| millis_between(closed.at, now)),
            offers: self.offers,
            rejections: self.rejections,
            ring_no_answers: self.ring_no_answers,
            transfers: self.transfer_targets.len() as u32,
            transfer_targets: self.transfer_targets,
            overflows: self.overflows,
            customer_messages,
            agent_messages,
            transcript,
        }
    }
}
