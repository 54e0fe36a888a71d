//! Calls: what they carry, where they are, and the transitions the caller, the PBX and the agent
//! drive.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::Acd;
use super::agent::{AgentStatus, Handling};
use super::error::AcdError;
use super::event::{CallLeftReason, Event, OfferEndReason, OverflowReason, TransferTarget};
use super::ids::{AgentId, CallId, QueueId};
use super::queue::WaitKey;
use super::stats::{Sample, millis_between};
use super::timers::{Timer, TimerKey};
use rustc_hash::FxHashMap as HashMap;

/// What the PBX tells the agent about a call: shown with the offer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallData {
    /// The caller's number (CLI/ANI), if known.
    pub caller: Option<String>,
    /// The number the caller dialled (DNIS).
    pub dialled: Option<String>,
    /// Free key/values from the IVR or CRM: customer id, language, menu choices.
    pub attached: BTreeMap<String, String>,
}

/// Where a call is, for views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStatus {
    /// Waiting in its queue; `min_skill` is the lowest skill level it may go to now.
    Waiting {
        min_skill: u8,
    },
    /// Offered to an agent. `direct` when an agent transferred it to this agent.
    Ringing {
        agent: AgentId,
        direct: bool,
        ring_deadline: Timestamp,
    },
    Connected {
        agent: AgentId,
        on_hold: bool,
    },
}

/// A read-only view of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    pub id: CallId,
    /// The queue the call is in, or whose call it was when it was answered.
    pub queue: QueueId,
    pub priority: u8,
    pub data: Arc<CallData>,
    /// When the call first reached the ACD.
    pub arrived_at: Timestamp,
    /// When the call entered its current queue: its wait is measured from here.
    pub entered_queue_at: Timestamp,
    pub status: CallStatus,
}

#[derive(Debug, Clone)]
pub(crate) enum CallState {
    Waiting {
        timer: Option<TimerKey>,
    },
    Ringing {
        agent: usize,
        timer: TimerKey,
        direct: bool,
        deadline: Timestamp,
    },
    Connected {
        agent: usize,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub id: CallId,
    pub data: Arc<CallData>,
    pub priority: u8,
    pub arrived_at: Timestamp,
    /// Arrival order, the last tie-breaker everywhere.
    pub seq: u64,
    pub queue: usize,
    pub entered_queue_at: Timestamp,
    /// The lowest skill level the call may go to, lowered by escalation.
    pub min_skill: u8,
    /// The next escalation step of the current queue.
    pub next_step: usize,
    pub state: CallState,
}

impl Call {
    pub fn wait_key(&self, slot: CallSlot) -> WaitKey {
        (Reverse(self.priority), self.arrived_at, self.seq, slot)
    }
}

impl Acd {
    /// The slot of a call named in a command.
    pub(crate) fn call_slot(&self, call: &CallId) -> Result<CallSlot, AcdError> {
        self.calls
            .slot_of(call)
            .ok_or_else(|| AcdError::UnknownCall(call.clone()))
    }

    fn call_ref(&self, call: &CallId) -> Result<&Call, AcdError> {
        Ok(&self.calls[self.call_slot(call)?])
    }

    pub(crate) fn call_arrived(
        &mut self,
        id: CallId,
        queue: &QueueId,
        priority: u8,
        data: CallData,
    ) -> Result<(), AcdError> {
        let queue_index = self.queue_index(queue)?;
        if self.calls.contains_key(&id) {
            return Err(AcdError::DuplicateCall(id));
        }
        let now = self.now;
        let q = &self.queues[queue_index];
        if q.config
            .max_queue_length
            .is_some_and(|max| q.waiting_count() >= max as usize)
        {
            self.stats.record(now, queue_index, Sample::Refused);
            self.dirty.mark(queue_index);
            self.events.push_back(Event::CallLeft {
                call: id,
                queue: queue.clone(),
                reason: CallLeftReason::Refused,
            });
            return Ok(());
        }
        let seq = self.next_call_seq;
        self.next_call_seq += 1;
        let call = Call {
            id: id.clone(),
            data: Arc::new(data),
            priority,
            arrived_at: now,
            seq,
            queue: queue_index,
            entered_queue_at: now,
            min_skill: 1,
            next_step: 0,
            state: CallState::Waiting { timer: None },
        };
        let slot = self.calls.insert(call);
        self.enter_queue(slot, queue_index);
        Ok(())
    }

    /// Puts a call into a queue as a new leg: offered there, waiting, routed.
    pub(crate) fn enter_queue(&mut self, slot: CallSlot, queue: usize) {
        let id = &self.calls[slot].id.clone();
        let now = self.now;
        let min_skill = self.queues[queue].config.min_skill;
        let call = self.calls.get_mut(slot).expect("call exists");
        call.queue = queue;
        call.entered_queue_at = now;
        call.min_skill = min_skill;
        call.next_step = 0;
        call.state = CallState::Waiting { timer: None };
        let key = call.wait_key(slot);
        self.queues[queue].add_waiting(min_skill, key, now);
        self.stats.record(now, queue, Sample::Offered);
        self.dirty.mark(queue);
        self.events.push_back(Event::CallQueued {
            call: id.clone(),
            queue: self.queues[queue].config.id.clone(),
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
                super::config::Escalation::Widen { min_skill: level } => min_skill = *level,
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
        self.events.push_back(Event::CallOverflowed {
            call: id.clone(),
            from: self.queues[from].config.id.clone(),
            to: self.queues[to].config.id.clone(),
            reason,
        });
        self.enter_queue(slot, to);
    }

    fn time_out(&mut self, slot: CallSlot) {
        self.unqueue(slot);
        let call = self.calls.remove(slot).expect("call exists");
        self.stats.record(self.now, call.queue, Sample::TimedOut);
        let queue = self.queues[call.queue].config.id.clone();
        self.events.push_back(Event::CallLeft {
            call: call.id,
            queue,
            reason: CallLeftReason::TimedOut,
        });
    }

    /// The ring timeout of an offer passed: the call goes back to its queue, the agent counts a
    /// ring-no-answer.
    pub(crate) fn ring_no_answer(&mut self, slot: CallSlot) {
        let Some(CallState::Ringing { agent, .. }) = self.calls.get(slot).map(|c| &c.state) else {
            return;
        };
        let agent = *agent;
        self.agents[agent].ring_no_answer_streak += 1;
        self.offer_failed(slot, agent, OfferEndReason::RingNoAnswer);
    }

    pub(crate) fn reject(&mut self, agent_id: &AgentId, id: &CallId) -> Result<(), AcdError> {
        let agent = self.ringing_agent(agent_id, id)?;
        let slot = self.calls.slot_of(id).expect("the agent rings with it");
        self.agents[agent].ring_no_answer_streak = 0;
        self.offer_failed(slot, agent, OfferEndReason::Rejected);
        Ok(())
    }

    /// The index of `agent_id` if the call rings there.
    fn ringing_agent(&self, agent_id: &AgentId, id: &CallId) -> Result<usize, AcdError> {
        let agent = self.agent_index(agent_id)?;
        match &self.agents[agent].status {
            // The agent holds the call, so it exists: one look-up saved on every answer.
            AgentStatus::Ringing { call } if call == id => Ok(agent),
            _ => {
                self.call_ref(id)?;
                Err(AcdError::NotOffered {
                    agent: agent_id.clone(),
                    call: id.clone(),
                })
            }
        }
    }

    fn offer_failed(&mut self, slot: CallSlot, agent: usize, reason: OfferEndReason) {
        let id = &self.calls[slot].id.clone();
        let call = self.calls.get_mut(slot).expect("call exists");
        let CallState::Ringing { direct, .. } = call.state else {
            unreachable!("the call rings")
        };
        self.events.push_back(Event::OfferEnded {
            call: id.clone(),
            agent: self.agents[agent].id.clone(),
            reason,
        });
        let queue = call.queue;
        if direct {
            self.enter_queue(slot, queue);
        } else {
            self.queues[queue].ringing -= 1;
            let key = call.wait_key(slot);
            call.state = CallState::Waiting { timer: None };
            self.queues[queue].add_waiting(call.min_skill, key, call.entered_queue_at);
            self.dirty.mark(queue);
            self.events.push_back(Event::CallQueued {
                call: id.clone(),
                queue: self.queues[queue].config.id.clone(),
            });
            self.settle_waiting(slot);
        }
        let limit = self.routing.max_ring_no_answer;
        let a = &self.agents[agent];
        if a.pending.is_some() {
            self.finish_work(agent);
        } else if reason == OfferEndReason::RingNoAnswer
            && limit > 0
            && a.ring_no_answer_streak >= limit
        {
            // Paused: coming back starts a fresh count.
            self.agents[agent].ring_no_answer_streak = 0;
            let reason = super::ids::ReasonCode::new(super::ids::ReasonCode::NO_ANSWER);
            self.set_status(agent, AgentStatus::NotReady { reason });
        } else {
            self.block_agent(agent);
            self.set_status(agent, AgentStatus::Ready);
        }
    }

    /// The agent took the offer (from the WebAgent, or the PBX saw the device answer).
    pub(crate) fn accept(&mut self, agent_id: &AgentId, id: &CallId) -> Result<(), AcdError> {
        let agent = self.ringing_agent(agent_id, id)?;
        let slot = self.calls.slot_of(id).expect("the agent rings with it");
        self.connect(slot, agent);
        Ok(())
    }

    /// The PBX reports the call answered at the agent's device. Answering an already connected
    /// call again is harmless.
    pub(crate) fn call_answered(&mut self, id: &CallId) -> Result<(), AcdError> {
        let slot = self.call_slot(id)?;
        match self.calls[slot].state {
            CallState::Ringing { agent, .. } => {
                self.connect(slot, agent);
                Ok(())
            }
            CallState::Connected { .. } => Ok(()),
            CallState::Waiting { .. } => Err(AcdError::NotRinging(id.clone())),
        }
    }

    fn connect(&mut self, slot: CallSlot, agent: usize) {
        let id = &self.calls[slot].id.clone();
        let now = self.now;
        let call = self.calls.get_mut(slot).expect("call exists");
        let CallState::Ringing { direct, .. } = call.state else {
            unreachable!("the call rings")
        };
        call.state = CallState::Connected { agent };
        let queue = call.queue;
        let membership = self.agents[agent].membership_of(queue);
        if !direct {
            self.queues[queue].ringing -= 1;
            let wait = now.duration_since(call.entered_queue_at).unsigned_abs();
            let threshold = self.queues[queue].config.service_level.threshold;
            let sample = Sample::Answered {
                wait_ms: wait.as_millis() as u64,
                within_threshold: wait <= threshold,
            };
            self.stats.record(now, queue, sample);
            if let Some(m) = membership {
                self.agents[agent].memberships[m].answered_today += 1;
            }
        }
        let a = &mut self.agents[agent];
        a.ring_no_answer_streak = 0;
        a.handling = Some(Handling {
            queue,
            membership,
            connected_at: now,
            hold_ms: 0,
            held_since: None,
            talk_ms: 0,
            wrap_up_from: None,
        });
        self.dirty.mark(queue);
        let queue_id = self.queues[queue].config.id.clone();
        self.events.push_back(Event::CallConnected {
            call: id.clone(),
            agent: a.id.clone(),
            queue: queue_id,
        });
        self.set_status(
            agent,
            AgentStatus::OnCall {
                call: id.clone(),
                on_hold: false,
            },
        );
    }

    /// The index of `agent_id` if it is on this call, and whether the call is on hold.
    fn connected_agent(&self, agent_id: &AgentId, id: &CallId) -> Result<(usize, bool), AcdError> {
        let agent = self.agent_index(agent_id)?;
        match &self.agents[agent].status {
            // The agent holds the call, so it exists: one look-up saved on every answer.
            AgentStatus::OnCall { call, on_hold } if call == id => Ok((agent, *on_hold)),
            _ => {
                self.call_ref(id)?;
                Err(AcdError::NotOnCall {
                    agent: agent_id.clone(),
                    call: id.clone(),
                })
            }
        }
    }

    pub(crate) fn hold(
        &mut self,
        agent_id: &AgentId,
        id: &CallId,
        hold: bool,
    ) -> Result<(), AcdError> {
        let (agent, on_hold) = self.connected_agent(agent_id, id)?;
        match (hold, on_hold) {
            (true, true) => return Err(AcdError::AlreadyOnHold(id.clone())),
            (false, false) => return Err(AcdError::NotOnHold(id.clone())),
            _ => {}
        }
        let now = self.now;
        let handling = self.agents[agent].handling.as_mut().expect("on call");
        if hold {
            handling.held_since = Some(now);
            self.events.push_back(Event::CallHeld {
                call: id.clone(),
                agent: agent_id.clone(),
            });
        } else {
            let since = handling.held_since.take().expect("on hold");
            handling.hold_ms += millis_between(since, now);
            self.events.push_back(Event::CallResumed {
                call: id.clone(),
                agent: agent_id.clone(),
            });
        }
        self.set_status(
            agent,
            AgentStatus::OnCall {
                call: id.clone(),
                on_hold: hold,
            },
        );
        Ok(())
    }

    pub(crate) fn hangup(&mut self, agent_id: &AgentId, id: &CallId) -> Result<(), AcdError> {
        let (agent, _) = self.connected_agent(agent_id, id)?;
        let slot = self.calls.slot_of(id).expect("the agent is on it");
        self.complete(slot, agent);
        Ok(())
    }

    /// A connected call ended: it leaves the ACD and its agent wraps up.
    fn complete(&mut self, slot: CallSlot, agent: usize) {
        let id = &self.calls[slot].id.clone();
        let call = self.calls.remove(slot).expect("call exists");
        let queue = self.queues[call.queue].config.id.clone();
        self.events.push_back(Event::CallLeft {
            call: id.clone(),
            queue,
            reason: CallLeftReason::Completed,
        });
        self.start_wrap_up(agent, id.clone());
    }

    /// The PBX reports the call gone: the caller hung up while waiting or ringing (abandoned), or
    /// a connected call ended on the phone.
    pub(crate) fn call_ended(&mut self, id: &CallId) -> Result<(), AcdError> {
        let now = self.now;
        let slot = self.call_slot(id)?;
        let call = &self.calls[slot];
        let queue = call.queue;
        let wait = now.duration_since(call.entered_queue_at).unsigned_abs();
        let sl = &self.queues[queue].config.service_level;
        let abandoned = Sample::Abandoned {
            wait_ms: wait.as_millis() as u64,
            within_threshold: wait <= sl.threshold,
            short: sl.short_abandon.is_some_and(|short| wait < short),
        };
        let queue_id = self.queues[queue].config.id.clone();
        match call.state {
            CallState::Waiting { .. } => {
                self.unqueue(slot);
                self.calls.remove(slot);
                self.stats.record(now, queue, abandoned);
                self.events.push_back(Event::CallLeft {
                    call: id.clone(),
                    queue: queue_id,
                    reason: CallLeftReason::Abandoned,
                });
            }
            CallState::Ringing {
                agent,
                timer: _,
                direct,
                ..
            } => {
                self.calls.remove(slot);
                let agent_id = self.agents[agent].id.clone();
                self.events.push_back(Event::OfferEnded {
                    call: id.clone(),
                    agent: agent_id,
                    reason: OfferEndReason::CallerHungUp,
                });
                let reason = if direct {
                    CallLeftReason::Completed
                } else {
                    self.queues[queue].ringing -= 1;
                    self.stats.record(now, queue, abandoned);
                    CallLeftReason::Abandoned
                };
                self.dirty.mark(queue);
                self.events.push_back(Event::CallLeft {
                    call: id.clone(),
                    queue: queue_id,
                    reason,
                });
                self.finish_work(agent);
            }
            CallState::Connected { agent } => self.complete(slot, agent),
        }
        Ok(())
    }

    pub(crate) fn transfer(
        &mut self,
        agent_id: &AgentId,
        id: &CallId,
        target: TransferTarget,
    ) -> Result<(), AcdError> {
        let (agent, _) = self.connected_agent(agent_id, id)?;
        enum To {
            Queue(usize),
            Agent(usize),
        }
        let to = match &target {
            TransferTarget::Queue(queue) => To::Queue(self.queue_index(queue)?),
            TransferTarget::Agent(other) => {
                let other_index = self.agent_index(other)?;
                if other_index == agent {
                    return Err(AcdError::TransferToSelf(other.clone()));
                }
                let other_agent = &self.agents[other_index];
                if !other_agent.is_available() {
                    return Err(AcdError::AgentNotAvailable {
                        agent: other.clone(),
                        state: other_agent.status.kind(),
                    });
                }
                To::Agent(other_index)
            }
        };
        let slot = self.calls.slot_of(id).expect("the agent is on it");
        self.events.push_back(Event::CallTransferred {
            call: id.clone(),
            from: agent_id.clone(),
            to: target,
        });
        // The call moves before the agent wraps up, and the agent is held back for the reject
        // delay, so it cannot come straight back to it even with no wrap-up.
        match to {
            To::Queue(queue) => {
                self.enter_queue(slot, queue);
                self.block_agent(agent);
            }
            To::Agent(other) => self.offer(slot, other, true),
        }
        self.start_wrap_up(agent, id.clone());
        Ok(())
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
        self.events.push_back(Event::CallPriorityChanged {
            call: id.clone(),
            priority,
        });
        Ok(())
    }

    pub(crate) fn move_call(&mut self, id: &CallId, queue: &QueueId) -> Result<(), AcdError> {
        let to = self.queue_index(queue)?;
        let slot = self.call_slot(id)?;
        let call = &self.calls[slot];
        if !matches!(call.state, CallState::Waiting { .. }) {
            return Err(AcdError::NotWaiting(id.clone()));
        }
        if call.queue == to {
            return Ok(());
        }
        self.overflow(slot, to, OverflowReason::Moved);
        Ok(())
    }

    pub(crate) fn call_view(&self, call: &Call) -> CallView {
        let status = match &call.state {
            CallState::Waiting { .. } => CallStatus::Waiting {
                min_skill: call.min_skill,
            },
            CallState::Ringing {
                agent,
                direct,
                deadline,
                ..
            } => CallStatus::Ringing {
                agent: self.agents[*agent].id.clone(),
                direct: *direct,
                ring_deadline: *deadline,
            },
            CallState::Connected { agent } => {
                let on_hold = matches!(
                    self.agents[*agent].status,
                    AgentStatus::OnCall { on_hold: true, .. }
                );
                CallStatus::Connected {
                    agent: self.agents[*agent].id.clone(),
                    on_hold,
                }
            }
        };
        CallView {
            id: call.id.clone(),
            queue: self.queues[call.queue].config.id.clone(),
            priority: call.priority,
            data: call.data.clone(),
            arrived_at: call.arrived_at,
            entered_queue_at: call.entered_queue_at,
            status,
        }
    }
}

/// Where a call lives in [`Calls`]. A command names its call by id; the id is looked up once and
/// everything inside the core (timers, queue indexes) refers to the call by slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct CallSlot(u32);

/// The calls in the ACD: a slab of slots, reused once a call leaves, and the index by id.
#[derive(Debug, Default)]
pub(crate) struct Calls {
    slots: Vec<Option<Call>>,
    free: Vec<CallSlot>,
    by_id: HashMap<CallId, CallSlot>,
}

impl Calls {
    pub fn insert(&mut self, call: Call) -> CallSlot {
        let id = call.id.clone();
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot.0 as usize] = Some(call);
                slot
            }
            None => {
                self.slots.push(Some(call));
                CallSlot(self.slots.len() as u32 - 1)
            }
        };
        self.by_id.insert(id, slot);
        slot
    }

    pub fn slot_of(&self, id: &CallId) -> Option<CallSlot> {
        self.by_id.get(id).copied()
    }

    /// Calls in the ACD.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn contains_key(&self, id: &CallId) -> bool {
        self.by_id.contains_key(id)
    }

    pub fn get(&self, slot: CallSlot) -> Option<&Call> {
        self.slots.get(slot.0 as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, slot: CallSlot) -> Option<&mut Call> {
        self.slots.get_mut(slot.0 as usize).and_then(Option::as_mut)
    }

    pub fn remove(&mut self, slot: CallSlot) -> Option<Call> {
        let call = self.slots.get_mut(slot.0 as usize)?.take()?;
        self.by_id.remove(&call.id);
        self.free.push(slot);
        Some(call)
    }

    pub fn values(&self) -> impl Iterator<Item = &Call> {
        self.slots.iter().filter_map(Option::as_ref)
    }

    pub fn iter(&self) -> impl Iterator<Item = (CallSlot, &Call)> {
        (self.slots.iter().enumerate())
            .filter_map(|(i, c)| c.as_ref().map(|c| (CallSlot(i as u32), c)))
    }
}

impl std::ops::Index<CallSlot> for Calls {
    type Output = Call;

    fn index(&self, slot: CallSlot) -> &Call {
        self.get(slot).expect("a slot in use")
    }
}
