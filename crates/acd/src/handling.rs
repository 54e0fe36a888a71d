//! A call's time at an agent: the offer's outcome (answer, reject, ring-no-answer, the caller
//! hanging up), hold and resume, hang-up, transfer, and the end of the call.

use super::Acd;
use super::agent::{AgentStatus, Handling};
use super::call::{CallSlot, CallState};
use super::consult::{ConsultEnd, OnTheCall};
use super::error::AcdError;
use super::event::{CallLeftReason, Event, OfferEndReason, TransferTarget};
use super::ids::{AgentId, CallId};
use super::stats::millis_between;

impl Acd {
    /// The slot of a call an agent holds: it exists, since the agent holds it, so the one
    /// look-up of the command cannot fail.
    fn agents_call(&self, id: &CallId) -> CallSlot {
        self.calls
            .slot_of(id)
            .expect("an agent's call is in the ACD")
    }

    /// The ring timeout of an offer passed: the call goes back to its queue, the agent counts a
    /// ring-no-answer.
    pub(crate) fn ring_no_answer(&mut self, slot: CallSlot) {
        let Some(CallState::Ringing { agent, .. }) = self.calls.get(slot).map(|c| &c.state) else {
            return;
        };
        let agent = *agent;
        self.agents[agent].ring_no_answer_streak += 1;
        if self.calls[slot].conversation.is_some() {
            self.conversation_offer_failed(slot, agent, OfferEndReason::RingNoAnswer);
        } else {
            self.offer_failed(slot, agent, OfferEndReason::RingNoAnswer);
        }
    }

    pub(crate) fn reject(&mut self, agent_id: &AgentId, id: &CallId) -> Result<(), AcdError> {
        let (agent, slot, consulted) = self.ringing_agent(agent_id, id)?;
        if consulted {
            self.end_consult(slot, ConsultEnd::Rejected);
            return Ok(());
        }
        self.agents[agent].ring_no_answer_streak = 0;
        self.offer_failed(slot, agent, OfferEndReason::Rejected);
        Ok(())
    }

    /// The index of `agent_id` and the call's slot if the call, or a consultation on it
    /// (`true`), rings there.
    fn ringing_agent(
        &self,
        agent_id: &AgentId,
        id: &CallId,
    ) -> Result<(usize, CallSlot, bool), AcdError> {
        let agent = self.agent_index(agent_id)?;
        match &self.agents[agent].status() {
            AgentStatus::Ringing { call } if call == id => Ok((agent, self.agents_call(id), false)),
            AgentStatus::Consulted {
                call,
                ringing: true,
            } if call == id => Ok((agent, self.agents_call(id), true)),
            _ => {
                self.call_ref(id)?;
                Err(AcdError::NotOffered {
                    agent: agent_id.clone(),
                    call: id.clone(),
                })
            }
        }
    }

    /// An offer ended unanswered: the call or conversation waits in its queue again where it
    /// was (an offer made directly by a transfer enters its queue afresh), and goes to whoever
    /// may take it.
    pub(crate) fn back_to_queue(&mut self, slot: CallSlot, direct: bool) {
        let call = self.calls.get_mut(slot).expect("call exists");
        let (id, queue) = (call.id.clone(), call.queue);
        if direct {
            return self.enter_queue(slot, queue);
        }
        self.queues[queue].ringing -= 1;
        let key = call.wait_key(slot);
        call.state = CallState::Waiting { timer: None };
        self.queues[queue].add_waiting(call.min_skill, key, call.entered_queue_at);
        self.dirty.mark(queue);
        let queue = self.queues[queue].config.id.clone();
        self.events.push_back(if call.conversation.is_some() {
            Event::ConversationQueued {
                conversation: id,
                queue,
            }
        } else {
            Event::CallQueued {
                call: id,
                queue,
                since: call.entered_queue_at,
            }
        });
        self.settle_waiting(slot);
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
        self.back_to_queue(slot, direct);
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
        match self.ringing_agent(agent_id, id)? {
            (_, slot, true) => self.consult_answered(slot),
            (agent, slot, false) => self.connect(slot, agent),
        }
        Ok(())
    }

    /// The PBX reports the call answered at the agent's device. Answering an already connected
    /// call again is harmless, unless a consultation on it rings: then the consulted agent's
    /// phone answered it.
    pub(crate) fn call_answered(&mut self, id: &CallId) -> Result<(), AcdError> {
        let slot = self.voice_slot(id)?;
        match self.calls[slot].state {
            CallState::Ringing { agent, .. } => {
                self.connect(slot, agent);
                Ok(())
            }
            CallState::Connected { .. } if self.consult_rings(slot) => {
                self.consult_answered(slot);
                Ok(())
            }
            CallState::Connected { .. } | CallState::WrapUp { .. } => Ok(()),
            CallState::Waiting { .. } => Err(AcdError::NotRinging(id.clone())),
        }
    }

    /// The PBX reports that the offered call could not ring at the agent's device: the offer
    /// ends now as a ring-no-answer (the agent's streak counts it, and the pause after
    /// `max_ring_no_answer` applies), and the call goes back to its queue.
    pub(crate) fn ring_failed(&mut self, id: &CallId) -> Result<(), AcdError> {
        let slot = self.voice_slot(id)?;
        match self.calls[slot].state {
            CallState::Ringing { .. } => {
                self.ring_no_answer(slot);
                Ok(())
            }
            CallState::Connected { .. } if self.consult_rings(slot) => {
                self.end_consult(slot, ConsultEnd::RingNoAnswer);
                Ok(())
            }
            _ => Err(AcdError::NotRinging(id.clone())),
        }
    }

    fn connect(&mut self, slot: CallSlot, agent: usize) {
        let CallState::Ringing { direct, .. } = self.calls[slot].state else {
            unreachable!("the call rings")
        };
        self.count_answer(slot, agent, direct);
        self.agents[agent].ring_no_answer_streak = 0;
        self.connect_to(slot, agent);
    }

    /// The call is the agent's from now: connected to it with a fresh handling record (its
    /// handle time starts now), told as `CallConnected`, and the agent on the call. After an
    /// answer, and after a consultation hands the caller over.
    pub(crate) fn connect_to(&mut self, slot: CallSlot, agent: usize) {
        let now = self.now;
        let call = self.calls.get_mut(slot).expect("call exists");
        call.state = CallState::Connected { agent };
        let (id, queue) = (call.id.clone(), call.queue);
        let caller = call.data.caller.clone();
        let membership = self.agents[agent].membership_of(queue);
        let a = &mut self.agents[agent];
        a.handling = Some(Handling {
            queue,
            membership,
            connected_at: now,
            hold_ms: 0,
            held_since: None,
            talk_ms: 0,
            wrap_up_from: None,
            disposition: None,
            notes: String::new(),
            caller,
        });
        self.dirty.mark(queue);
        self.events.push_back(Event::CallConnected {
            call: id.clone(),
            agent: a.id.clone(),
            queue: self.queues[queue].config.id.clone(),
        });
        self.set_status(
            agent,
            AgentStatus::OnCall {
                call: id,
                on_hold: false,
            },
        );
    }

    pub(crate) fn hold(
        &mut self,
        agent_id: &AgentId,
        id: &CallId,
        hold: bool,
    ) -> Result<(), AcdError> {
        let (agent, slot, on_hold) = self.call_agent_of(agent_id, id)?;
        if self.calls[slot].consult.is_some() {
            return Err(AcdError::ConsultInProgress(id.clone()));
        }
        match (hold, on_hold) {
            (true, true) => return Err(AcdError::AlreadyOnHold(id.clone())),
            (false, false) => return Err(AcdError::NotOnHold(id.clone())),
            _ => {}
        }
        self.set_held(agent, id, hold);
        Ok(())
    }

    /// Puts the caller of the agent's call on hold, or takes it off hold (the hold's time goes
    /// into the handling), tells of it and sets the agent's status to say so.
    pub(crate) fn set_held(&mut self, agent: usize, id: &CallId, hold: bool) {
        let now = self.now;
        let a = &mut self.agents[agent];
        let handling = a.handling.as_mut().expect("on call");
        let (call, agent_id) = (id.clone(), a.id.clone());
        if hold {
            handling.held_since = Some(now);
            self.events.push_back(Event::CallHeld {
                call,
                agent: agent_id,
            });
        } else {
            let since = handling.held_since.take().expect("on hold");
            handling.hold_ms += millis_between(since, now);
            self.events.push_back(Event::CallResumed {
                call,
                agent: agent_id,
            });
        }
        self.set_status(
            agent,
            AgentStatus::OnCall {
                call: id.clone(),
                on_hold: hold,
            },
        );
    }

    /// The agent hangs up. The call's own agent ends the call; with a consultation answered,
    /// it hands the caller to the consulted agent instead (as PBXs complete an attended
    /// transfer when the transferring party hangs up), and with one still ringing the
    /// consultation ends with the call. A consulted agent leaves the consultation.
    pub(crate) fn hangup(&mut self, agent_id: &AgentId, id: &CallId) -> Result<(), AcdError> {
        let (agent, slot) = match self.on_the_call(agent_id, id)? {
            OnTheCall::Consulted(slot) => {
                self.end_consult(slot, ConsultEnd::Left);
                return Ok(());
            }
            OnTheCall::Own { agent, slot, .. } => (agent, slot),
        };
        if self.calls[slot].consult.is_some() && !self.consult_rings(slot) {
            return self.consult_step(agent_id, id, super::consult::ConsultStep::Transfer);
        }
        self.complete(slot, agent);
        Ok(())
    }

    /// A connected call ended: it leaves the ACD and its agent wraps up. A consultation on it
    /// ends with it.
    fn complete(&mut self, slot: CallSlot, agent: usize) {
        self.end_consult(slot, ConsultEnd::CallEnded);
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
        let slot = self.voice_slot(id)?;
        match self.calls[slot].state {
            CallState::Waiting { .. } => self.abandon_waiting(slot),
            CallState::Ringing { agent, direct, .. } => {
                self.abandon_ringing(slot, agent, direct);
                self.finish_work(agent);
            }
            CallState::Connected { agent } => self.complete(slot, agent),
            CallState::WrapUp { .. } => unreachable!("a call leaves at hang-up"),
        }
        Ok(())
    }

    pub(crate) fn transfer(
        &mut self,
        agent_id: &AgentId,
        id: &CallId,
        target: TransferTarget,
    ) -> Result<(), AcdError> {
        let (agent, slot, _) = self.call_agent_of(agent_id, id)?;
        if self.calls[slot].consult.is_some() {
            return Err(AcdError::ConsultInProgress(id.clone()));
        }
        enum To {
            Queue(usize),
            Agent(usize),
        }
        let to = match &target {
            TransferTarget::Queue(queue) => To::Queue(self.lane(queue, None)?),
            TransferTarget::Agent(other) => {
                let other_index = self.agent_index(other)?;
                if other_index == agent {
                    return Err(AcdError::TransferToSelf(other.clone()));
                }
                if !self.may_offer(other_index, None) {
                    return Err(AcdError::AgentNotAvailable {
                        agent: other.clone(),
                        state: self.agents[other_index].status().kind(),
                    });
                }
                To::Agent(other_index)
            }
        };
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
}
