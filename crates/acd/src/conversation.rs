//! Conversations: chats, SMS, messenger and email threads routed beside calls.
//!
//! A conversation is a work item like a call (it waits, escalates and overflows through the same
//! queue indexes, in a queue of its channel) with three differences:
//!
//! - An agent holds several at once, up to its capacity for the channel, and each one it holds
//!   (offered, open, or closed and in wrap-up) takes a place. The agent's status stays what its
//!   voice work and its ready or not-ready choice make it; what it may be offered is
//!   [`Acd::may_offer`].
//! - It carries its transcript, so an agent it is offered or transferred to sees everything
//!   written so far, and a restarted or replicated core has it from the journal.
//! - Its wrap-up is its own: closing one chat starts that chat's wrap-up, and the agent's other
//!   chats go on.

use std::sync::Arc;

use jiff::Timestamp;

use super::Acd;
use super::call::{Call, CallData, CallSlot, CallState};
use super::config::VOICE;
use super::error::AcdError;
use super::event::{CallLeftReason, Event, OfferEndReason, TransferTarget};
use super::figures::Sample;
use super::ids::{AgentId, ChannelId, ConversationId, QueueId};
use super::stats::{Places, millis_between};
use super::timers::Timer;

/// The longest message, in characters (Unicode scalar values), as WhatsApp's limit is 4,096.
pub const MAX_MESSAGE_CHARS: usize = 4096;

/// The most messages one conversation's transcript holds; a message past it is refused.
pub const MAX_TRANSCRIPT_MESSAGES: usize = 1000;

/// The most bytes of text one transcript holds, so that an offer carrying it stays a
/// reasonable message; a message past it is refused.
pub const MAX_TRANSCRIPT_BYTES: usize = 128 * 1024;

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Author {
    Customer,
    Agent(AgentId),
}

/// One message of a transcript.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Message {
    pub from: Author,
    /// When the ACD took it in.
    pub at: Timestamp,
    pub text: Arc<str>,
}

/// What only a conversation carries, beside what every work item has.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Conversation {
    /// Index into the tenant's channels.
    pub channel: usize,
    pub transcript: Vec<Message>,
    /// The bytes of text in `transcript`, for [`MAX_TRANSCRIPT_BYTES`].
    #[serde(default)]
    pub text_bytes: usize,
    /// When the agent it is open at accepted it, for handle time.
    pub accepted_at: Option<Timestamp>,
    /// When the customer or the agent closed it, for handle time and wrap-up.
    pub closed_at: Option<Timestamp>,
    /// When an agent first replied, for first response time.
    #[serde(default)]
    pub first_response_at: Option<Timestamp>,
}

/// Where a conversation is, for views.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConversationStatus {
    Waiting {
        min_skill: u8,
    },
    Offered {
        agent: AgentId,
        direct: bool,
        offer_deadline: Timestamp,
    },
    Open {
        agent: AgentId,
    },
    /// Closed, in its agent's wrap-up until `deadline`.
    WrapUp {
        agent: AgentId,
        deadline: Timestamp,
    },
}

/// A read-only view of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConversationView {
    pub id: ConversationId,
    pub channel: ChannelId,
    pub queue: QueueId,
    pub priority: u8,
    pub data: Arc<CallData>,
    pub arrived_at: Timestamp,
    pub entered_queue_at: Timestamp,
    pub status: ConversationStatus,
    pub transcript: Vec<Message>,
}

/// A tenant's messaging channel at run time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Channel {
    pub id: ChannelId,
    pub exclusive: bool,
}

impl Acd {
    /// The slot of a conversation named in a command.
    fn conversation_slot(&self, id: &ConversationId) -> Result<CallSlot, AcdError> {
        let slot = self.call_slot(id)?;
        if self.calls[slot].conversation.is_none() {
            return Err(AcdError::NotAConversation(id.clone()));
        }
        Ok(slot)
    }

    fn conversation(&self, slot: CallSlot) -> &Conversation {
        self.calls[slot]
            .conversation
            .as_deref()
            .expect("a conversation's slot")
    }

    fn conversation_mut(&mut self, slot: CallSlot) -> &mut Conversation {
        self.calls
            .get_mut(slot)
            .and_then(|c| c.conversation.as_deref_mut())
            .expect("a conversation's slot")
    }

    /// The messaging connector: a customer started a conversation in a queue of its channel,
    /// with what they wrote before it reached the ACD.
    pub(crate) fn conversation_arrived(
        &mut self,
        id: ConversationId,
        (queue, channel): (&QueueId, Option<&ChannelId>),
        priority: u8,
        data: CallData,
        messages: Vec<String>,
    ) -> Result<(), AcdError> {
        let queue_index = self.conversation_lane(queue, channel)?;
        let channel = self.queues[queue_index]
            .channel
            .expect("a conversation lane");
        if self.calls.contains_key(&id) {
            return Err(AcdError::DuplicateCall(id));
        }
        for text in &messages {
            check_text(text)?;
        }
        let text_bytes = messages.iter().map(String::len).sum();
        if messages.len() > MAX_TRANSCRIPT_MESSAGES || text_bytes > MAX_TRANSCRIPT_BYTES {
            return Err(transcript_full(id));
        }
        let now = self.now;
        let transcript: Vec<Message> = messages
            .into_iter()
            .map(|text| Message {
                from: Author::Customer,
                at: now,
                text: text.into(),
            })
            .collect();
        self.events.push_back(Event::ConversationArrived {
            conversation: id.clone(),
            queue: queue.clone(),
            channel: self.channels[channel].id.clone(),
            priority,
            data: Arc::new(data.clone()),
            transcript: transcript.as_slice().into(),
        });
        if self.refused_when_full(queue_index, &id, true) {
            return Ok(());
        }
        let conversation = Conversation {
            channel,
            transcript,
            text_bytes,
            accepted_at: None,
            closed_at: None,
            first_response_at: None,
        };
        self.admit(
            id,
            queue_index,
            priority,
            data,
            Some(Box::new(conversation)),
            self.now,
        );
        Ok(())
    }

    /// Offers a conversation to an agent: it takes one of the agent's places for the channel.
    /// `direct` for an agent-to-agent transfer.
    pub(crate) fn offer_conversation(&mut self, slot: CallSlot, agent: usize, direct: bool) {
        let queue = self.calls[slot].queue;
        let channel = self.conversation(slot).channel;
        let deadline = self.ring_at(slot, agent, direct);
        self.take_place(agent, channel);
        let item = &self.calls[slot];
        let conversation = self.conversation(slot);
        self.events.push_back(Event::ConversationOffered {
            conversation: item.id.clone(),
            agent: self.agents[agent].id.clone(),
            queue: self.queues[queue].config.id.clone(),
            channel: self.channels[channel].id.clone(),
            offer_deadline: deadline,
            priority: item.priority,
            data: item.data.clone(),
            transcript: conversation.transcript.as_slice().into(),
        });
        self.refresh_agent(agent);
    }

    /// The agent holds one more conversation of `channel`.
    fn take_place(&mut self, agent: usize, channel: usize) {
        let a = &mut self.agents[agent];
        a.conversations[channel] += 1;
        a.channel_since[channel] = self.now;
    }

    /// The agent holds one conversation of `channel` fewer: it may be offered another.
    fn free_place(&mut self, agent: usize, channel: usize) {
        let a = &mut self.agents[agent];
        a.conversations[channel] -= 1;
        a.channel_since[channel] = self.now;
        self.mark_agent_queues(agent);
        self.refresh_agent(agent);
    }

    /// Brings the statistics' count of the agent's places up to date, in each channel, in those
    /// of its queues that route the channel. [`Acd::refresh_agent`] calls it, so every change of
    /// status or places is counted before the agent is routed again.
    pub(crate) fn count_places(&mut self, agent: usize) {
        let channels = self.channels.len();
        if channels == 0 {
            return;
        }
        self.agents[agent]
            .counted_places
            .resize(channels, Places::default());
        for channel in 0..channels {
            let places = self.places_of(agent, channel);
            let a = &self.agents[agent];
            let counted = a.counted_places[channel];
            if places == counted {
                continue;
            }
            let queues = a
                .memberships
                .iter()
                .map(|m| m.queue)
                .filter(|&q| self.queues[q].channel == Some(channel));
            self.stats.places_moved(self.now, queues, counted, places);
            self.agents[agent].counted_places[channel] = places;
        }
    }

    /// The agent's places in `channel` as they are now: its capacity staffed while it may take
    /// new work of the channel (or what it holds, if more), else only what it holds.
    pub(crate) fn places_of(&self, agent: usize, channel: usize) -> Places {
        let a = &self.agents[agent];
        let taken = a.conversations[channel] as u32;
        let staffed = if self.channel_open(agent, Some(channel)) {
            (a.capacity[channel] as u32).max(taken)
        } else {
            taken
        };
        Places {
            staffed,
            taken,
            holding: (taken > 0) as u32,
        }
    }

    /// Brings a core read from a snapshot up to what this version keeps as it goes, for a
    /// snapshot written by an older one (for a newer one's it changes nothing): every agent's
    /// places are counted (they default to none), and a conversation an agent had answered
    /// before first responses were kept gets its first reply's instant (without counting it
    /// again). Deterministic, so every replica restores alike.
    pub fn restored(&mut self) {
        if self.lanes.is_empty() {
            self.lanes = super::lanes_of(self.queues.iter().map(|q| &q.config));
        }
        for agent in 0..self.agents.len() {
            self.count_places(agent);
        }
        for slot in self.calls.iter().map(|(slot, _)| slot).collect::<Vec<_>>() {
            let Some(conversation) = self
                .calls
                .get_mut(slot)
                .and_then(|c| c.conversation.as_deref_mut())
            else {
                continue;
            };
            if conversation.first_response_at.is_none() {
                conversation.first_response_at = conversation
                    .transcript
                    .iter()
                    .find(|m| matches!(m.from, Author::Agent(_)))
                    .map(|m| m.at);
            }
        }
    }

    fn mark_agent_queues(&mut self, agent: usize) {
        for m in &self.agents[agent].memberships {
            self.dirty.mark(m.queue);
        }
    }

    /// The offer of a conversation went unanswered or was refused: it waits again (or, offered
    /// directly, enters its queue afresh), and the agent is held back or paused as for a call.
    pub(crate) fn conversation_offer_failed(
        &mut self,
        slot: CallSlot,
        agent: usize,
        reason: OfferEndReason,
    ) {
        self.offer_ended_without(slot, agent, reason);
        self.refresh_agent(agent);
    }

    /// [`Acd::conversation_offer_failed`] but for routing the agent again: the caller does,
    /// once the agent is closed to new work (a logout declining its offers), so that a
    /// declined conversation never comes straight back to it (with no reject delay to hold the
    /// agent back).
    pub(crate) fn offer_ended_without(
        &mut self,
        slot: CallSlot,
        agent: usize,
        reason: OfferEndReason,
    ) {
        let item = &self.calls[slot];
        let CallState::Ringing { direct, .. } = item.state else {
            unreachable!("the conversation is offered")
        };
        let (id, channel) = (item.id.clone(), self.conversation(slot).channel);
        self.events.push_back(Event::ConversationOfferEnded {
            conversation: id,
            agent: self.agents[agent].id.clone(),
            reason,
        });
        let limit = self.routing.max_ring_no_answer;
        let a = &mut self.agents[agent];
        a.conversations[channel] -= 1;
        a.channel_since[channel] = self.now;
        if reason == OfferEndReason::RingNoAnswer && limit > 0 && a.ring_no_answer_streak >= limit {
            a.ring_no_answer_streak = 0;
            self.pause_for_no_answer(agent);
        } else {
            self.block_agent(agent);
        }
        // Out of the indexes while the conversation looks for an agent: it goes to another
        // one if any may take it, not straight back.
        self.unindex_agent(agent);
        self.back_to_queue(slot, direct);
        self.mark_agent_queues(agent);
    }

    pub(crate) fn accept_conversation(
        &mut self,
        agent_id: &AgentId,
        id: &ConversationId,
    ) -> Result<(), AcdError> {
        let (agent, slot) = self.holding(agent_id, id)?;
        let CallState::Ringing { direct, .. } = self.calls[slot].state else {
            return Err(AcdError::NotOffered {
                agent: agent_id.clone(),
                call: id.clone(),
            });
        };
        let now = self.now;
        let item = self.calls.get_mut(slot).expect("conversation exists");
        item.state = CallState::Connected { agent };
        let queue = item.queue;
        self.count_answer(slot, agent, direct);
        self.agents[agent].ring_no_answer_streak = 0;
        self.conversation_mut(slot).accepted_at = Some(now);
        self.dirty.mark(queue);
        self.events.push_back(Event::ConversationAccepted {
            conversation: id.clone(),
            agent: agent_id.clone(),
            queue: self.queues[queue].config.id.clone(),
        });
        // Its answered count changed: a fewest-calls queue orders it anew.
        self.refresh_agent(agent);
        Ok(())
    }

    pub(crate) fn reject_conversation(
        &mut self,
        agent_id: &AgentId,
        id: &ConversationId,
    ) -> Result<(), AcdError> {
        let (agent, slot) = self.holding(agent_id, id)?;
        if !matches!(self.calls[slot].state, CallState::Ringing { .. }) {
            return Err(AcdError::NotOffered {
                agent: agent_id.clone(),
                call: id.clone(),
            });
        }
        self.agents[agent].ring_no_answer_streak = 0;
        self.conversation_offer_failed(slot, agent, OfferEndReason::Rejected);
        Ok(())
    }

    /// The agent's index and the conversation's slot, if the conversation is offered to, open
    /// at or wrapped up by this agent.
    fn holding(
        &self,
        agent_id: &AgentId,
        id: &ConversationId,
    ) -> Result<(usize, CallSlot), AcdError> {
        let agent = self.agent_index(agent_id)?;
        let slot = self.conversation_slot(id)?;
        if self.calls[slot].agent() != Some(agent) {
            return Err(AcdError::NotInConversation {
                agent: agent_id.clone(),
                conversation: id.clone(),
            });
        }
        Ok((agent, slot))
    }

    /// The messaging connector: the customer wrote. Whoever the conversation is offered to or
    /// open at sees it at once; a waiting conversation keeps it for the agent it goes to.
    pub(crate) fn customer_wrote(
        &mut self,
        id: &ConversationId,
        text: String,
    ) -> Result<(), AcdError> {
        let slot = self.conversation_slot(id)?;
        if matches!(self.calls[slot].state, CallState::WrapUp { .. }) {
            return Err(AcdError::ConversationClosed(id.clone()));
        }
        self.add_message(slot, Author::Customer, text)
    }

    /// The agent wrote in a conversation open at it.
    pub(crate) fn agent_wrote(
        &mut self,
        agent_id: &AgentId,
        id: &ConversationId,
        text: String,
    ) -> Result<(), AcdError> {
        let (_, slot) = self.open_at(agent_id, id)?;
        self.add_message(slot, Author::Agent(agent_id.clone()), text)?;
        if self.conversation(slot).first_response_at.is_none() {
            self.first_response(slot);
        }
        Ok(())
    }

    /// The first reply of any agent: the queue the conversation is in counts the time since
    /// the customer began it, against the queue's first-response threshold.
    fn first_response(&mut self, slot: CallSlot) {
        let now = self.now;
        self.conversation_mut(slot).first_response_at = Some(now);
        let item = &self.calls[slot];
        let queue = item.queue;
        let wait = now.duration_since(item.arrived_at).unsigned_abs();
        let threshold = self.queues[queue]
            .config
            .service_level
            .first_response_threshold();
        let sample = Sample::FirstResponse {
            wait_ms: wait.as_millis() as u64,
            within_threshold: wait <= threshold,
        };
        self.stats.record(now, queue, sample);
        self.dirty.mark(queue);
    }

    fn add_message(&mut self, slot: CallSlot, from: Author, text: String) -> Result<(), AcdError> {
        check_text(&text)?;
        let id = self.calls[slot].id.clone();
        let conversation = self.conversation(slot);
        let number = conversation.transcript.len();
        if number >= MAX_TRANSCRIPT_MESSAGES
            || conversation.text_bytes + text.len() > MAX_TRANSCRIPT_BYTES
        {
            return Err(transcript_full(id));
        }
        let bytes = text.len();
        let message = Message {
            from,
            at: self.now,
            text: text.into(),
        };
        let conversation = self.conversation_mut(slot);
        conversation.text_bytes += bytes;
        conversation.transcript.push(message.clone());
        let agent = self.calls[slot].agent().map(|a| self.agents[a].id.clone());
        self.events.push_back(Event::MessageAdded {
            conversation: id,
            agent,
            number: number as u32,
            message,
        });
        Ok(())
    }

    /// The agent's index and the conversation's slot if the conversation is open at the agent.
    fn open_at(
        &self,
        agent_id: &AgentId,
        id: &ConversationId,
    ) -> Result<(usize, CallSlot), AcdError> {
        let (agent, slot) = self.holding(agent_id, id)?;
        match self.calls[slot].state {
            CallState::Connected { .. } => Ok((agent, slot)),
            CallState::WrapUp { .. } => Err(AcdError::ConversationClosed(id.clone())),
            _ => Err(AcdError::NotInConversation {
                agent: agent_id.clone(),
                conversation: id.clone(),
            }),
        }
    }

    /// The agent ends the conversation for the customer and starts its wrap-up of it.
    pub(crate) fn close_conversation(
        &mut self,
        agent_id: &AgentId,
        id: &ConversationId,
    ) -> Result<(), AcdError> {
        let (agent, slot) = self.open_at(agent_id, id)?;
        self.close(slot, agent, Author::Agent(agent_id.clone()));
        Ok(())
    }

    /// The conversation is over for the customer: its agent wraps it up for the queue's wrap-up
    /// time, or at once with none.
    fn close(&mut self, slot: CallSlot, agent: usize, by: Author) {
        let now = self.now;
        self.conversation_mut(slot).closed_at = Some(now);
        let item = &self.calls[slot];
        let wrap_up = self.queues[item.queue].config.wrap_up;
        let id = item.id.clone();
        let deadline = (!wrap_up.is_zero()).then(|| now + wrap_up);
        self.events.push_back(Event::ConversationClosed {
            conversation: id,
            agent: self.agents[agent].id.clone(),
            by,
            wrap_up_deadline: deadline,
        });
        match deadline {
            None => self.conversation_done(slot, agent),
            Some(deadline) => {
                let timer = self
                    .timers
                    .set(deadline, Timer::ConversationWrapUpEnd(slot));
                self.calls.get_mut(slot).expect("conversation exists").state = CallState::WrapUp {
                    agent,
                    deadline,
                    timer,
                };
            }
        }
    }

    /// The agent ends its wrap-up of a closed conversation early.
    pub(crate) fn end_conversation_wrap_up(
        &mut self,
        agent_id: &AgentId,
        id: &ConversationId,
    ) -> Result<(), AcdError> {
        let (agent, slot) = self.holding(agent_id, id)?;
        if !matches!(self.calls[slot].state, CallState::WrapUp { .. }) {
            return Err(AcdError::ConversationOpen(id.clone()));
        }
        self.conversation_done(slot, agent);
        Ok(())
    }

    /// The wrap-up of a closed conversation ran out.
    pub(crate) fn conversation_wrap_up_over(&mut self, slot: CallSlot) {
        if let Some(CallState::WrapUp { agent, .. }) = self.calls.get(slot).map(|c| &c.state) {
            let agent = *agent;
            self.conversation_done(slot, agent);
        }
    }

    /// The agent is done with the conversation: it leaves the ACD, its handling is counted in
    /// its queue, and the agent's place for it is free.
    fn conversation_done(&mut self, slot: CallSlot, agent: usize) {
        let now = self.now;
        let item = self.calls.remove(slot).expect("conversation exists");
        let conversation = item.conversation.expect("a conversation");
        let accepted_at = conversation.accepted_at.unwrap_or(now);
        let closed_at = conversation.closed_at.unwrap_or(now);
        let talk_ms = millis_between(accepted_at, closed_at);
        let sample = Sample::Handled {
            talk_ms,
            hold_ms: 0,
            wrap_up_ms: millis_between(closed_at, now),
        };
        self.stats.record(now, item.queue, sample);
        if let Some(m) = self.agents[agent].membership_of(item.queue) {
            self.agents[agent].memberships[m].talk_ms_today += talk_ms;
        }
        self.dirty.mark(item.queue);
        self.events.push_back(Event::ConversationLeft {
            conversation: item.id,
            queue: self.queues[item.queue].config.id.clone(),
            reason: CallLeftReason::Completed,
        });
        self.free_place(agent, conversation.channel);
    }

    /// The messaging connector: the customer left. A waiting or offered conversation is
    /// abandoned; an open one is closed and its agent wraps it up; leaving a closed one again
    /// changes nothing.
    pub(crate) fn customer_left(&mut self, id: &ConversationId) -> Result<(), AcdError> {
        let slot = self.conversation_slot(id)?;
        match self.calls[slot].state {
            CallState::Waiting { .. } => self.abandon_waiting(slot),
            CallState::Ringing { agent, direct, .. } => {
                let channel = self.conversation(slot).channel;
                self.abandon_ringing(slot, agent, direct);
                self.free_place(agent, channel);
            }
            CallState::Connected { agent } => self.close(slot, agent, Author::Customer),
            CallState::WrapUp { .. } => {}
        }
        Ok(())
    }

    /// The agent hands an open conversation, transcript and all, to a queue of its channel or
    /// to an agent who may take it now. The agent's place for it is free at once: a transfer
    /// has no wrap-up. The agent is held back for the reject delay so the conversation does not
    /// come straight back.
    pub(crate) fn transfer_conversation(
        &mut self,
        agent_id: &AgentId,
        id: &ConversationId,
        target: TransferTarget,
    ) -> Result<(), AcdError> {
        let (agent, slot) = self.open_at(agent_id, id)?;
        let channel = self.conversation(slot).channel;
        enum To {
            Queue(usize),
            Agent(usize),
        }
        let to = match &target {
            TransferTarget::Queue(queue) => To::Queue(self.lane(queue, Some(channel))?),
            TransferTarget::Agent(other) => {
                let other_index = self.agent_index(other)?;
                if other_index == agent {
                    return Err(AcdError::TransferToSelf(other.clone()));
                }
                if !self.may_offer(other_index, Some(channel)) {
                    return Err(AcdError::AgentNotAvailable {
                        agent: other.clone(),
                        state: self.agents[other_index].status().kind(),
                    });
                }
                To::Agent(other_index)
            }
        };
        let now = self.now;
        let item = &self.calls[slot];
        let accepted_at = self.conversation(slot).accepted_at.unwrap_or(now);
        let talk_ms = millis_between(accepted_at, now);
        let sample = Sample::Handled {
            talk_ms,
            hold_ms: 0,
            wrap_up_ms: 0,
        };
        self.stats.record(now, item.queue, sample);
        self.dirty.mark(item.queue);
        self.conversation_mut(slot).accepted_at = None;
        self.events.push_back(Event::ConversationTransferred {
            conversation: id.clone(),
            from: agent_id.clone(),
            to: target,
        });
        let a = &mut self.agents[agent];
        a.conversations[channel] -= 1;
        a.channel_since[channel] = now;
        if let Some(m) = a.membership_of(self.calls[slot].queue) {
            a.memberships[m].talk_ms_today += talk_ms;
        }
        // Held back, and out of the indexes meanwhile, so that the conversation does not come
        // straight back: neither from the queue it goes to, nor when the agent it goes to lets
        // it go again (a call's sender is in wrap-up then).
        self.block_agent(agent);
        self.unindex_agent(agent);
        match to {
            To::Queue(queue) => self.enter_queue(slot, queue),
            To::Agent(other) => self.offer_conversation(slot, other, true),
        }
        self.mark_agent_queues(agent);
        self.refresh_agent(agent);
        Ok(())
    }

    /// The lane of `queue` a conversation of `channel` arrives in; with no channel named, the
    /// queue's only messaging lane.
    fn conversation_lane(
        &self,
        queue: &QueueId,
        channel: Option<&ChannelId>,
    ) -> Result<usize, AcdError> {
        let lanes = self.lanes_of_queue(queue);
        if lanes.is_empty() {
            return Err(AcdError::UnknownQueue(queue.clone()));
        }
        let wrong = |wanted: String| AcdError::WrongChannel {
            queue: queue.clone(),
            routes: self.lane_names(queue),
            wanted,
        };
        if let Some(id) = channel {
            // `voice`, or not a channel of the tenant: no conversation lane routes it.
            let index = self.channels.iter().position(|c| &c.id == id);
            return index.map_or_else(|| Err(wrong(id.to_string())), |i| self.lane(queue, Some(i)));
        }
        let mut messaging = lanes
            .iter()
            .copied()
            .filter(|&lane| self.queues[lane].channel.is_some());
        match (messaging.next(), messaging.next()) {
            (Some(lane), None) => Ok(lane),
            (None, _) => Err(wrong("a conversation".into())),
            (Some(_), Some(_)) => Err(wrong("a conversation of no named channel".into())),
        }
    }

    /// What a queue routes, by channel name: `voice and chat`.
    fn lane_names(&self, queue: &QueueId) -> String {
        let names: Vec<&str> = self
            .lanes_of_queue(queue)
            .iter()
            .map(|&lane| self.queues[lane].config.channel_name())
            .collect();
        names.join(" and ")
    }

    /// Queue `queue` has no lane of channel `wanted` (`None`: calls).
    pub(crate) fn wrong_channel(&self, queue: &QueueId, wanted: Option<usize>) -> AcdError {
        let name = |channel: Option<usize>| {
            channel.map_or_else(|| VOICE.to_owned(), |c| self.channels[c].id.to_string())
        };
        AcdError::WrongChannel {
            queue: queue.clone(),
            routes: self.lane_names(queue),
            wanted: name(wanted),
        }
    }

    pub(crate) fn conversation_view(&self, item: &Call) -> ConversationView {
        let conversation = item.conversation.as_deref().expect("a conversation");
        let agent = |index: usize| self.agents[index].id.clone();
        let status = match item.state {
            CallState::Waiting { .. } => ConversationStatus::Waiting {
                min_skill: item.min_skill,
            },
            CallState::Ringing {
                agent: a,
                direct,
                deadline,
                ..
            } => ConversationStatus::Offered {
                agent: agent(a),
                direct,
                offer_deadline: deadline,
            },
            CallState::Connected { agent: a } => ConversationStatus::Open { agent: agent(a) },
            CallState::WrapUp {
                agent: a, deadline, ..
            } => ConversationStatus::WrapUp {
                agent: agent(a),
                deadline,
            },
        };
        ConversationView {
            id: item.id.clone(),
            channel: self.channels[conversation.channel].id.clone(),
            queue: self.queues[item.queue].config.id.clone(),
            priority: item.priority,
            data: item.data.clone(),
            arrived_at: item.arrived_at,
            entered_queue_at: item.entered_queue_at,
            status,
            transcript: conversation.transcript.clone(),
        }
    }

    /// A conversation by id.
    pub fn conversation_by_id(&self, id: &ConversationId) -> Option<ConversationView> {
        let slot = self.calls.slot_of(id)?;
        let item = &self.calls[slot];
        item.conversation.as_ref()?;
        Some(self.conversation_view(item))
    }

    /// Every conversation in the ACD, in arrival order.
    pub fn conversations(&self) -> Vec<ConversationView> {
        let mut items: Vec<&Call> = self
            .calls
            .values()
            .filter(|c| c.conversation.is_some())
            .collect();
        items.sort_by_key(|c| c.seq);
        items
            .into_iter()
            .map(|item| self.conversation_view(item))
            .collect()
    }

    /// The conversations an agent holds (offered, open or in its wrap-up), in arrival order.
    pub fn conversations_of(&self, id: &AgentId) -> Vec<ConversationView> {
        let Some(&agent) = self.agent_by_id.get(id) else {
            return Vec::new();
        };
        self.held_by(agent)
            .into_iter()
            .map(|slot| self.conversation_view(&self.calls[slot]))
            .collect()
    }

    /// Whether the agent has a conversation open or in its wrap-up (offers still ringing do not
    /// count): what keeps it from logging out.
    pub fn holds_open_conversation(&self, id: &AgentId) -> bool {
        self.agent_by_id
            .get(id)
            .is_some_and(|&agent| self.open_conversations(agent) > 0)
    }

    /// How many conversations the agent has open or in its wrap-up.
    pub(crate) fn open_conversations(&self, agent: usize) -> u32 {
        let offered =
            |slot: &CallSlot| matches!(self.calls[*slot].state, CallState::Ringing { .. });
        self.held_by(agent)
            .iter()
            .filter(|slot| !offered(slot))
            .count() as u32
    }

    /// The slots of the conversations the agent holds (offered, open or in its wrap-up), in
    /// arrival order. A scan of the calls, for what is rare (a view, a logout); none for an
    /// agent that holds nothing.
    pub(crate) fn held_by(&self, agent: usize) -> Vec<CallSlot> {
        if self.agents[agent].conversation_count() == 0 {
            return Vec::new();
        }
        let mut held: Vec<(u64, CallSlot)> = self
            .calls
            .iter()
            .filter(|(_, c)| c.conversation.is_some() && c.agent() == Some(agent))
            .map(|(slot, c)| (c.seq, slot))
            .collect();
        held.sort_unstable();
        held.into_iter().map(|(_, slot)| slot).collect()
    }

    /// How many conversations of each channel an agent holds, and how many it may hold, in
    /// the order of the tenant's channels.
    pub fn agent_places(&self, id: &AgentId) -> Option<Vec<(ChannelId, u8, u8)>> {
        let agent = &self.agents[*self.agent_by_id.get(id)?];
        Some(
            self.channels
                .iter()
                .enumerate()
                .map(|(c, channel)| {
                    (
                        channel.id.clone(),
                        agent.conversations[c],
                        agent.capacity[c],
                    )
                })
                .collect(),
        )
    }
}

fn transcript_full(conversation: ConversationId) -> AcdError {
    AcdError::TranscriptFull {
        conversation,
        max: MAX_TRANSCRIPT_MESSAGES,
        max_bytes: MAX_TRANSCRIPT_BYTES,
    }
}

/// Refuses a message with no text or more than [`MAX_MESSAGE_CHARS`].
fn check_text(text: &str) -> Result<(), AcdError> {
    if text.trim().is_empty() {
        return Err(AcdError::EmptyMessage);
    }
    if text.chars().count() > MAX_MESSAGE_CHARS {
        return Err(AcdError::MessageTooLong {
            max_chars: MAX_MESSAGE_CHARS,
        });
    }
    Ok(())
}
