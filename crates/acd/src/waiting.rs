//! A call's time in a queue: arrival (or refusal), waiting, escalation, overflow, time-out, and
//! a supervisor's changes to a waiting call.

use std::sync::Arc;

use jiff::{SignedDuration, Timestamp};

use super::call::{Call, CallData, CallSlot, CallState};
use super::error::AcdError;
use super::event::{CallLeftReason, Event, OfferEndReason, OverflowReason};
use super::figures::Sample;
use super::ids::{CallId, QueueId};
use super::timers::Timer;
use super::{ARRIVAL_AHEAD, ARRIVAL_MAX_PRIOR, Acd};

impl Acd {
    pub(crate) fn call_arrived(
        &mut self,
        id: CallId,
        queue: &QueueId,
        priority: u8,
        data: CallData,
        arrived_at: Option<Timestamp>,
    ) -> Result<(), AcdError> {
        let queue_index = self.lane(queue, None)?;
        if self.calls.contains_key(&id) {
            return Err(AcdError::DuplicateCall(id));
        }
        let arrived_at = self.arrival(&id, arrived_at)?;
        if self.refused_when_full(queue_index, &id, false) {
            return Ok(());
        }
        self.admit(id, queue_index, priority, data, None, arrived_at);
        Ok(())
    }

    /// When a call arriving now with `arrived_at` began to wait: now when it names no time or
    /// one within [`ARRIVAL_AHEAD`] after now; refused when later than that or more than
    /// [`ARRIVAL_MAX_PRIOR`] before now.
    fn arrival(&self, id: &CallId, arrived_at: Option<Timestamp>) -> Result<Timestamp, AcdError> {
        let now = self.now;
        let Some(at) = arrived_at else {
            return Ok(now);
        };
        let ahead = at.duration_since(now);
        let prior = now.duration_since(at);
        if ahead > SignedDuration::try_from(ARRIVAL_AHEAD).expect("fits")
            || prior > SignedDuration::try_from(ARRIVAL_MAX_PRIOR).expect("fits")
        {
            return Err(AcdError::BadArrival {
                call: id.clone(),
                arrived_at: at,
                now,
                ahead_secs: ARRIVAL_AHEAD.as_secs(),
                max_prior_hours: ARRIVAL_MAX_PRIOR.as_secs() / 3600,
            });
        }
        Ok(at.min(now))
    }

    /// Whether a queue at its maximum length refuses the call (or conversation) `id` arriving
    /// now, or a tenant holding `max_conversations` the conversation: if so, the refusal is
    /// counted and it leaves at once.
    pub(crate) fn refused_when_full(
        &mut self,
        queue: usize,
        id: &CallId,
        conversation: bool,
    ) -> bool {
        let q = &self.queues[queue];
        let full = q
            .config
            .max_queue_length
            .is_some_and(|max| q.waiting_count() >= max as usize)
            || (conversation && self.calls.conversations() >= self.routing.max_conversations);
        if full {
            self.stats.record(self.now, queue, Sample::Refused);
            self.dirty.mark(queue);
            self.push_left(id.clone(), conversation, queue, CallLeftReason::Refused);
        }
        full
    }

    /// What a caller or customer leaving unanswered now counts as in its queue.
    pub(crate) fn abandoned_sample(&self, slot: CallSlot) -> Sample {
        let call = &self.calls[slot];
        let wait = self
            .now
            .duration_since(call.entered_queue_at)
            .unsigned_abs();
        let sl = &self.queues[call.queue].config.service_level;
        Sample::Abandoned {
            wait_ms: wait.as_millis() as u64,
            within_threshold: wait <= sl.threshold,
            short: sl.short_abandon.is_some_and(|short| wait < short),
        }
    }

    /// A call, or a conversation when `conversation` is given, enters the ACD in a queue: it is
    /// numbered in arrival order, waits there and is routed.
    pub(crate) fn admit(
        &mut self,
        id: CallId,
        queue: usize,
        priority: u8,
        data: CallData,
        conversation: Option<Box<super::conversation::Conversation>>,
        arrived_at: Timestamp,
    ) {
        let seq = self.next_call_seq;
        self.next_call_seq += 1;
        let call = Call {
            id,
            data: Arc::new(data),
            priority,
            arrived_at,
            seq,
            queue,
            entered_queue_at: arrived_at,
            min_skill: 1,
            next_step: 0,
            state: CallState::Waiting { timer: None },
            conversation,
            consult: None,
        };
        let slot = self.calls.insert(call);
        self.enter_queue_since(slot, queue, arrived_at);
    }

    /// The caller or customer of a call or conversation ringing at `agent` left: the offer ends
    /// and it leaves the ACD, abandoned (or completed, offered straight by a transfer: it was
    /// answered in its queue before).
    pub(crate) fn abandon_ringing(&mut self, slot: CallSlot, agent: usize, direct: bool) {
        let abandoned = self.abandoned_sample(slot);
        let call = self.calls.remove(slot).expect("call exists");
        let conversation = call.conversation.is_some();
        let agent = self.agents[agent].id.clone();
        self.events.push_back(if conversation {
            Event::ConversationOfferEnded {
                conversation: call.id.clone(),
                agent,
                reason: OfferEndReason::CustomerLeft,
            }
        } else {
            Event::OfferEnded {
                call: call.id.clone(),
                agent,
                reason: OfferEndReason::CallerHungUp,
            }
        });
        let reason = if direct {
            CallLeftReason::Completed
        } else {
            self.queues[call.queue].ringing -= 1;
            self.stats.record(self.now, call.queue, abandoned);
            CallLeftReason::Abandoned
        };
        self.dirty.mark(call.queue);
        self.push_left(call.id, conversation, call.queue, reason);
    }

    /// Tells that a call or conversation left the ACD from `queue`.
    pub(crate) fn push_left(
        &mut self,
        id: CallId,
        conversation: bool,
        queue: usize,
        reason: CallLeftReason,
    ) {
        let queue = self.queues[queue].config.id.clone();
        self.events.push_back(if conversation {
            Event::ConversationLeft {
                conversation: id,
                queue,
                reason,
            }
        } else {
            Event::CallLeft {
                call: id,
                queue,
                reason,
            }
        });
    }

    /// The caller or customer of a waiting call or conversation left: it leaves the ACD,
    /// abandoned.
    pub(crate) fn abandon_waiting(&mut self, slot: CallSlot) {
        let abandoned = self.abandoned_sample(slot);
        self.unqueue(slot);
        let call = self.calls.remove(slot).expect("call exists");
        self.stats.record(self.now, call.queue, abandoned);
        let conversation = call.conversation.is_some();
        self.push_left(call.id, conversation, call.queue, CallLeftReason::Abandoned);
    }

    /// Puts a call into a queue as a new leg: offered there, waiting, routed.
    pub(crate) fn enter_queue(&mut self, slot: CallSlot, queue: usize) {
        self.enter_queue_since(slot, queue, self.now);
    }

    /// Puts a call into a queue as a new leg that began waiting at `since` (now, or before it
    /// for a call that waited before it reached the ACD): its wait, escalation steps and maximum
    /// wait run from then, and any already due apply at once.
    fn enter_queue_since(&mut self, slot: CallSlot, queue: usize, since: Timestamp) {
        let id = &self.calls[slot].id.clone();
        let now = self.now;
        let min_skill = self.queues[queue].config.min_skill;
        let call = self.calls.get_mut(slot).expect("call exists");
        call.queue = queue;
        call.entered_queue_at = since;
        call.min_skill = min_skill;
        call.next_step = 0;
        call.state = CallState::Waiting { timer: None };
        let key = call.wait_key(slot);
        self.queues[queue].add_waiting(min_skill, key, since);
        self.stats.record(now, queue, Sample::Offered);
        self.dirty.mark(queue);
        let queue = self.queues[queue].config.id.clone();
        self.events
            .push_back(if self.calls[slot].conversation.is_some() {
                Event::ConversationQueued {
                    conversation: id.clone(),
                    queue,
                }
            } else {
                Event::CallQueued {
                    call: id.clone(),
                    queue,
                    since,
                }
            });
        self.settle_waiting(slot);
    }

    /// Takes a waiting call out of its queue's indexes and cancels its wait timer.
    pub(crate) fn unqueue(&mut self, slot: CallSlot) {
        let call = self.calls.get_mut(slot).expect("call exists");
        if let CallState::Waiting { timer } = &mut call.state {
            *timer = None;
            let key = call.wait_key(slot);
            self.queues[call.queue].remove_waiting(call.min_skill, &key, call.entered_queue_at);
            self.dirty.mark(call.queue);
        }
    }

    /// Applies every escalation step and maximum wait that is due for a waiting call, schedules
    /// the next one, and offers the call if an agent may take it.
    pub(crate) fn settle_waiting(&mut self, slot: CallSlot) {
        let now = self.now;
        let call = &self.calls[slot];
        let queue = &self.queues[call.queue];
        let waited = now.duration_since(call.entered_queue_at).unsigned_abs();
        let mut next_step = call.next_step;
        let mut min_skill = call.min_skill;
        let mut overflow = None;
        while let Some(step) = queue
            .config
            .escalation
            .get(next_step)
            .filter(|s| s.after <= waited)
        {
            match &step.action {
                // Only ever lower: a call re-settled under new steps after a reload keeps the
                // level it reached (in one configuration the steps only go down).
                super::config::Escalation::Widen { min_skill: level } => {
                    min_skill = min_skill.min(*level)
                }
                super::config::Escalation::Overflow { .. } => {
                    overflow = Some((
                        queue.escalation_overflow[next_step],
                        OverflowReason::Escalation,
                    ));
                }
            }
            next_step += 1;
            if overflow.is_some() {
                break;
            }
        }
        if overflow.is_none()
            && queue
                .config
                .max_wait
                .as_ref()
                .is_some_and(|max| max.after <= waited)
        {
            overflow = Some((queue.max_wait_overflow, OverflowReason::MaxWait));
        }
        if min_skill != call.min_skill || next_step != call.next_step {
            let (key, entered, old_skill, queue_index) = (
                call.wait_key(slot),
                call.entered_queue_at,
                call.min_skill,
                call.queue,
            );
            let queue = &mut self.queues[queue_index];
            queue.remove_waiting(old_skill, &key, entered);
            queue.add_waiting(min_skill, key, entered);
            let call = self.calls.get_mut(slot).expect("call exists");
            call.min_skill = min_skill;
            call.next_step = next_step;
        }
        match overflow {
            Some((Some(to), reason)) => return self.overflow(slot, to, reason),
            Some((None, _)) => return self.time_out(slot),
            None => {}
        }
        let call = &self.calls[slot];
        let queue = &self.queues[call.queue];
        let step_at = queue.config.escalation.get(call.next_step).map(|s| s.after);
        let max_at = queue.config.max_wait.as_ref().map(|m| m.after);
        let next = match (step_at, max_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let timer = next.map(|after| {
            self.timers
                .set(call.entered_queue_at + after, Timer::WaitStep(slot))
        });
        let call = self.calls.get_mut(slot).expect("call exists");
        if let CallState::Waiting { timer: slot } = &mut call.state {
            *slot = timer;
        }
        self.route_call(slot);
    }

    /// Moves a waiting call to another queue; the caller keeps their place by arrival time.
    pub(crate) fn overflow(&mut self, slot: CallSlot, to: usize, reason: OverflowReason) {
        let id = &self.calls[slot].id.clone();
        self.unqueue(slot);
        let from = self.calls[slot].queue;
        self.stats.record(self.now, from, Sample::Overflowed);
        let (from, to_id) = (
            self.queues[from].config.id.clone(),
            self.queues[to].config.id.clone(),
        );
        self.events
            .push_back(if self.calls[slot].conversation.is_some() {
                Event::ConversationOverflowed {
                    conversation: id.clone(),
                    from,
                    to: to_id,
                    reason,
                }
            } else {
                Event::CallOverflowed {
                    call: id.clone(),
                    from,
                    to: to_id,
                    reason,
                }
            });
        self.enter_queue(slot, to);
    }

    fn time_out(&mut self, slot: CallSlot) {
        self.unqueue(slot);
        let call = self.calls.remove(slot).expect("call exists");
        self.stats.record(self.now, call.queue, Sample::TimedOut);
        let conversation = call.conversation.is_some();
        self.push_left(call.id, conversation, call.queue, CallLeftReason::TimedOut);
    }

    pub(crate) fn set_call_priority(&mut self, id: &CallId, priority: u8) -> Result<(), AcdError> {
        let slot = self.call_slot(id)?;
        let call = &self.calls[slot];
        if !matches!(call.state, CallState::Waiting { .. }) {
            return Err(AcdError::NotWaiting(id.clone()));
        }
        let (queue, skill, entered, old_key) = (
            call.queue,
            call.min_skill,
            call.entered_queue_at,
            call.wait_key(slot),
        );
        let call = self.calls.get_mut(slot).expect("call exists");
        call.priority = priority;
        let new_key = call.wait_key(slot);
        self.queues[queue].remove_waiting(skill, &old_key, entered);
        self.queues[queue].add_waiting(skill, new_key, entered);
        self.dirty.mark(queue);
        self.events
            .push_back(if self.calls[slot].conversation.is_some() {
                Event::ConversationPriorityChanged {
                    conversation: id.clone(),
                    priority,
                }
            } else {
                Event::CallPriorityChanged {
                    call: id.clone(),
                    priority,
                }
            });
        Ok(())
    }

    pub(crate) fn move_call(&mut self, id: &CallId, queue: &QueueId) -> Result<(), AcdError> {
        if self.lanes_of_queue(queue).is_empty() {
            return Err(AcdError::UnknownQueue(queue.clone()));
        }
        let slot = self.call_slot(id)?;
        let call = &self.calls[slot];
        if !matches!(call.state, CallState::Waiting { .. }) {
            return Err(AcdError::NotWaiting(id.clone()));
        }
        let to = self.lane(queue, call.conversation.as_ref().map(|c| c.channel))?;
        if self.calls[slot].queue == to {
            return Ok(());
        }
        self.overflow(slot, to, OverflowReason::Moved);
        Ok(())
    }
}
