//! Consultation (warm) transfer and conference. The agent on a call asks another agent first:
//! the caller waits on hold while the consultation rings at the other agent and the two talk;
//! then the agent hands the caller over (the transfer completes), brings all three together (a
//! conference, which the agent can leave to hand the caller over), or goes back to the caller
//! (the consultation ends). The ACD decides and records who is on the call and how; the
//! telephony connector places the consultation call and bridges the lines. A tenant offers
//! either only where its connector can carry it out ([`TelephonyFeatures`]).
//!
//! The consulted agent is busy with the call ([`AgentStatus::Consulted`]) but does not handle
//! it: it has no handling record, gives no disposition and wraps nothing up, until a completed
//! transfer makes the call its own. Whenever a consultation ends and the call stays with the
//! agent, the caller is back with that agent, off hold.
//!
//! [`TelephonyFeatures`]: super::config::TelephonyFeatures

use jiff::Timestamp;

use super::Acd;
use super::agent::AgentStatus;
use super::call::CallSlot;
use super::error::AcdError;
use super::event::{Event, TransferTarget};
use super::ids::{AgentId, CallId};
use super::timers::{Timer, TimerKey};

/// A consultation going on for a connected call: kept with the call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Consult {
    /// The consulted agent.
    pub agent: usize,
    pub phase: ConsultPhase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum ConsultPhase {
    /// It rings at the consulted agent until `deadline` (the call's queue's ring timeout).
    Ringing {
        timer: TimerKey,
        deadline: Timestamp,
    },
    /// The two agents talk; the caller is on hold.
    Talking,
    /// All three talk.
    Conference,
}

/// How far a consultation is, as views and events tell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConsultStatus {
    Ringing { ring_deadline: Timestamp },
    Talking,
    Conference,
}

impl ConsultStatus {
    /// The name used on the wire.
    pub fn name(self) -> &'static str {
        match self {
            ConsultStatus::Ringing { .. } => "ringing",
            ConsultStatus::Talking => "talking",
            ConsultStatus::Conference => "conference",
        }
    }
}

impl From<ConsultPhase> for ConsultStatus {
    fn from(phase: ConsultPhase) -> ConsultStatus {
        match phase {
            ConsultPhase::Ringing { deadline, .. } => ConsultStatus::Ringing {
                ring_deadline: deadline,
            },
            ConsultPhase::Talking => ConsultStatus::Talking,
            ConsultPhase::Conference => ConsultStatus::Conference,
        }
    }
}

/// Why a consultation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConsultEnd {
    /// The consulting agent went back to the caller.
    Cancelled,
    /// The consulted agent rejected it while it rang.
    Rejected,
    /// Nobody answered it by its ring deadline, or the consulted agent's phone could not ring.
    RingNoAnswer,
    /// The consulted agent hung up.
    Left,
    /// The transfer completed: the call is the consulted agent's now.
    Transferred,
    /// The call ended: the caller hung up, or the consulting agent hung up before the
    /// consulted one answered.
    CallEnded,
}

impl ConsultEnd {
    pub fn name(self) -> &'static str {
        match self {
            ConsultEnd::Cancelled => "cancelled",
            ConsultEnd::Rejected => "rejected",
            ConsultEnd::RingNoAnswer => "ring_no_answer",
            ConsultEnd::Left => "left",
            ConsultEnd::Transferred => "transferred",
            ConsultEnd::CallEnded => "call_ended",
        }
    }
}

/// A call's consultation, for views: who consults whom, and how far it is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsultView {
    /// The consulting agent: the call's own.
    pub agent: AgentId,
    /// The consulted agent.
    pub with: AgentId,
    pub status: ConsultStatus,
}

/// How an agent is on a call ([`Acd::on_the_call`]).
pub(crate) enum OnTheCall {
    /// The call's own agent; the caller on hold or not.
    Own {
        agent: usize,
        slot: CallSlot,
        on_hold: bool,
    },
    /// Consulted on the call, and answered.
    Consulted(CallSlot),
}

/// What an agent may ask of its call's consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ConsultStep {
    /// Hand the caller to the consulted agent (also leaving a conference).
    Transfer,
    /// Bring the caller in: all three talk.
    Conference,
    /// Go back to the caller; the consulted agent leaves.
    Cancel,
}

impl Acd {
    /// The call's agent asks `other` to consult: the caller goes on hold and the consultation
    /// rings at `other`, who must be ready as for a transfer straight to it.
    pub(crate) fn consult(
        &mut self,
        agent_id: &AgentId,
        id: &CallId,
        other: &AgentId,
    ) -> Result<(), AcdError> {
        if !self.telephony.consult {
            return Err(AcdError::NotSupported { feature: "consult" });
        }
        let (agent, slot, on_hold) = self.call_agent_of(agent_id, id)?;
        if self.calls[slot].consult.is_some() {
            return Err(AcdError::ConsultInProgress(id.clone()));
        }
        let other_index = self.agent_index(other)?;
        if other_index == agent {
            return Err(AcdError::TransferToSelf(other.clone()));
        }
        if !self.may_offer(other_index, None)
            || self.agents[other_index].status() != &AgentStatus::Ready
        {
            return Err(AcdError::AgentNotAvailable {
                agent: other.clone(),
                state: self.agents[other_index].status().kind(),
            });
        }
        if !on_hold {
            self.set_held(agent, id, true);
        }
        let deadline = self.now + self.queues[self.calls[slot].queue].config.ring_timeout;
        let timer = self.timers.set(deadline, Timer::ConsultRingTimeout(slot));
        let phase = ConsultPhase::Ringing { timer, deadline };
        self.calls.get_mut(slot).expect("call exists").consult = Some(Box::new(Consult {
            agent: other_index,
            phase,
        }));
        self.consult_changed(slot, agent, other_index, Ok(phase));
        self.set_status(
            other_index,
            AgentStatus::Consulted {
                call: id.clone(),
                ringing: true,
            },
        );
        Ok(())
    }

    /// The consulted agent answered (in the browser, or the PBX saw its phone answer).
    pub(crate) fn consult_answered(&mut self, slot: CallSlot) {
        let agent = self.calls[slot]
            .agent()
            .expect("a connected call has an agent");
        let other = self.move_consult(slot, agent, ConsultPhase::Talking);
        let call = self.calls[slot].id.clone();
        self.set_status(
            other,
            AgentStatus::Consulted {
                call,
                ringing: false,
            },
        );
    }

    /// A step the call's agent takes: complete the transfer, make it a conference, or cancel.
    pub(crate) fn consult_step(
        &mut self,
        agent_id: &AgentId,
        id: &CallId,
        step: ConsultStep,
    ) -> Result<(), AcdError> {
        let (agent, slot, _) = self.call_agent_of(agent_id, id)?;
        let Some(consult) = self.calls[slot].consult.as_deref() else {
            return Err(AcdError::NotConsulting(id.clone()));
        };
        let answered = !matches!(consult.phase, ConsultPhase::Ringing { .. });
        match step {
            ConsultStep::Cancel => self.end_consult(slot, ConsultEnd::Cancelled),
            ConsultStep::Transfer if !answered => {
                return Err(AcdError::ConsultNotAnswered(id.clone()));
            }
            ConsultStep::Transfer => self.consult_transfer(slot, agent),
            ConsultStep::Conference => {
                if !self.telephony.conference {
                    return Err(AcdError::NotSupported {
                        feature: "conference",
                    });
                }
                if !answered {
                    return Err(AcdError::ConsultNotAnswered(id.clone()));
                }
                if consult.phase == ConsultPhase::Conference {
                    return Ok(());
                }
                self.caller_back(agent, id);
                self.move_consult(slot, agent, ConsultPhase::Conference);
            }
        }
        Ok(())
    }

    /// The consulted agent takes the caller: the call is its own from now, with its own
    /// handling ([`Acd::connect_to`]); the consulting agent wraps up as after any transfer.
    fn consult_transfer(&mut self, slot: CallSlot, agent: usize) {
        let consult = *self
            .calls
            .get_mut(slot)
            .expect("call exists")
            .consult
            .take()
            .expect("consulting");
        let other = consult.agent;
        let id = self.calls[slot].id.clone();
        self.consult_changed(slot, agent, other, Err(ConsultEnd::Transferred));
        self.events.push_back(Event::CallTransferred {
            call: id.clone(),
            from: self.agents[agent].id.clone(),
            to: TransferTarget::Agent(self.agents[other].id.clone()),
        });
        self.connect_to(slot, other);
        self.start_wrap_up(agent, id);
    }

    /// Ends the call's consultation and the call stays with its agent: the consulted agent is
    /// free again (or goes to its pending state), and, unless the call itself ended, the caller
    /// is back with the agent, off hold.
    pub(crate) fn end_consult(&mut self, slot: CallSlot, end: ConsultEnd) {
        let Some(consult) = self
            .calls
            .get_mut(slot)
            .expect("call exists")
            .consult
            .take()
        else {
            return;
        };
        let agent = self.calls[slot]
            .agent()
            .expect("a connected call has an agent");
        let other = consult.agent;
        self.consult_changed(slot, agent, other, Err(end));
        self.monitors_leave(other);
        self.finish_work(other);
        if end != ConsultEnd::CallEnded {
            let id = self.calls[slot].id.clone();
            self.caller_back(agent, &id);
        }
    }

    /// Takes the caller off hold, if on hold, for the call's own agent.
    fn caller_back(&mut self, agent: usize, id: &CallId) {
        let held = (self.agents[agent].handling.as_ref()).is_some_and(|h| h.held_since.is_some());
        if held {
            self.set_held(agent, id, false);
        }
    }

    /// Moves the call's consultation on to `phase` and tells of it; returns the consulted agent.
    fn move_consult(&mut self, slot: CallSlot, agent: usize, phase: ConsultPhase) -> usize {
        let consult = self
            .calls
            .get_mut(slot)
            .expect("call exists")
            .consult
            .as_mut();
        let consult = consult.expect("the call has a consultation");
        consult.phase = phase;
        let other = consult.agent;
        self.consult_changed(slot, agent, other, Ok(phase));
        other
    }

    /// Tells of the consultation's new phase (`Ok`) or its end (`Err`).
    fn consult_changed(
        &mut self,
        slot: CallSlot,
        agent: usize,
        other: usize,
        phase: Result<ConsultPhase, ConsultEnd>,
    ) {
        let call = &self.calls[slot];
        let (status, ended) = match phase {
            Ok(phase) => (Some(ConsultStatus::from(phase)), None),
            Err(end) => (None, Some(end)),
        };
        self.events.push_back(Event::ConsultChanged {
            call: call.id.clone(),
            agent: self.agents[agent].id.clone(),
            with: self.agents[other].id.clone(),
            queue: self.queues[call.queue].config.id.clone(),
            status,
            ended,
        });
    }

    /// How `agent_id` is on call `id`: as its own agent, or consulted on it and answered. A
    /// consultation still ringing there is `consult_in_progress` (it is answered or rejected,
    /// not hung up); not on the call at all, `not_on_call`.
    pub(crate) fn on_the_call(
        &self,
        agent_id: &AgentId,
        id: &CallId,
    ) -> Result<OnTheCall, AcdError> {
        let agent = self.agent_index(agent_id)?;
        let slot = || {
            self.calls
                .slot_of(id)
                .expect("an agent's call is in the ACD")
        };
        match self.agents[agent].status() {
            AgentStatus::OnCall { call, on_hold } if call == id => Ok(OnTheCall::Own {
                agent,
                slot: slot(),
                on_hold: *on_hold,
            }),
            AgentStatus::Consulted {
                call,
                ringing: false,
            } if call == id => Ok(OnTheCall::Consulted(slot())),
            AgentStatus::Consulted { call, .. } if call == id => {
                Err(AcdError::ConsultInProgress(id.clone()))
            }
            _ => {
                self.call_ref(id)?;
                Err(AcdError::NotOnCall {
                    agent: agent_id.clone(),
                    call: id.clone(),
                })
            }
        }
    }

    /// The index of `agent_id` and the call's slot if the agent is the call's own (connected
    /// to it, not consulted on it), and whether the caller is on hold. A consulted agent gets
    /// `consult_in_progress`: what it may do is answer, reject or hang up.
    pub(crate) fn call_agent_of(
        &self,
        agent_id: &AgentId,
        id: &CallId,
    ) -> Result<(usize, CallSlot, bool), AcdError> {
        match self.on_the_call(agent_id, id)? {
            OnTheCall::Own {
                agent,
                slot,
                on_hold,
            } => Ok((agent, slot, on_hold)),
            OnTheCall::Consulted(_) => Err(AcdError::ConsultInProgress(id.clone())),
        }
    }

    /// Whether a consultation on the call rings.
    pub(crate) fn consult_rings(&self, slot: CallSlot) -> bool {
        matches!(
            self.calls[slot].consult.as_deref(),
            Some(Consult {
                phase: ConsultPhase::Ringing { .. },
                ..
            })
        )
    }
}
