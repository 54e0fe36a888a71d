//! Calls: what they carry, where they are, and the transitions the caller, the PBX and the agent
//! drive.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;

use super::Acd;
use super::agent::AgentStatus;
use super::error::AcdError;
use super::ids::{AgentId, CallId, QueueId};
use super::queue::WaitKey;
use super::timers::TimerKey;
use rustc_hash::FxHashMap as HashMap;

/// What the PBX tells the agent about a call: shown with the offer.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CallData {
    /// The caller's number (CLI/ANI), if known.
    pub caller: Option<String>,
    /// The number the caller dialled (DNIS).
    pub dialled: Option<String>,
    /// Free key/values from the IVR or CRM: customer id, language, menu choices.
    pub attached: BTreeMap<String, String>,
}

/// Where a call is, for views.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
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
    /// A connected call's consultation with another agent, while one goes on.
    pub consult: Option<super::consult::ConsultView>,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// A conversation the agent or the customer closed, in the agent's wrap-up of it: it still
    /// takes one of the agent's places for its channel. (A call leaves at hang-up and its
    /// wrap-up is the agent's status instead.)
    WrapUp {
        agent: usize,
        deadline: Timestamp,
        timer: TimerKey,
    },
}

/// A work item in the ACD: a call, or a conversation when `conversation` is set. Both wait,
/// escalate, overflow and are offered through the same queue indexes.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
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
    /// What only a conversation has: its channel and transcript.
    #[serde(default)]
    pub conversation: Option<Box<super::conversation::Conversation>>,
    /// A connected call's consultation with another agent, while one goes on.
    #[serde(default)]
    pub consult: Option<Box<super::consult::Consult>>,
}

impl Call {
    /// The agent the call or conversation is offered to, open at or wrapped up by.
    pub fn agent(&self) -> Option<usize> {
        match self.state {
            CallState::Waiting { .. } => None,
            CallState::Ringing { agent, .. }
            | CallState::Connected { agent }
            | CallState::WrapUp { agent, .. } => Some(agent),
        }
    }

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

    /// The slot of a call named in a voice command, which a conversation's id does not name.
    pub(crate) fn voice_slot(&self, call: &CallId) -> Result<CallSlot, AcdError> {
        let slot = self.call_slot(call)?;
        if self.calls[slot].conversation.is_some() {
            return Err(AcdError::NotACall(call.clone()));
        }
        Ok(slot)
    }

    pub(crate) fn call_ref(&self, call: &CallId) -> Result<&Call, AcdError> {
        Ok(&self.calls[self.voice_slot(call)?])
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
            CallState::Connected { agent } | CallState::WrapUp { agent, .. } => {
                let on_hold = matches!(
                    self.agents[*agent].status(),
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
            consult: call
                .consult
                .as_deref()
                .map(|consult| super::consult::ConsultView {
                    agent: self.agents[call.agent().expect("a consulting call is connected")]
                        .id
                        .clone(),
                    with: self.agents[consult.agent].id.clone(),
                    status: consult.phase.into(),
                }),
        }
    }
}

/// Where a call lives in [`Calls`]. A command names its call by id; the id is looked up once and
/// everything inside the core (timers, queue indexes) refers to the call by slot.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub(crate) struct CallSlot(u32);

/// The calls in the ACD: a slab of slots, reused once a call leaves, and the index by id.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "SlabFields")]
pub(crate) struct Calls {
    slots: Vec<Option<Call>>,
    free: Vec<CallSlot>,
    by_id: HashMap<CallId, CallSlot>,
    /// How many of them are conversations: counted on insert and remove, and from the slots
    /// when read from a snapshot (which does not hold it).
    #[serde(skip)]
    conversations: u32,
}

/// What a snapshot holds of [`Calls`].
#[derive(serde::Deserialize)]
struct SlabFields {
    slots: Vec<Option<Call>>,
    free: Vec<CallSlot>,
    by_id: HashMap<CallId, CallSlot>,
}

impl From<SlabFields> for Calls {
    fn from(fields: SlabFields) -> Calls {
        let conversations = fields
            .slots
            .iter()
            .flatten()
            .filter(|call| call.conversation.is_some())
            .count() as u32;
        Calls {
            slots: fields.slots,
            free: fields.free,
            by_id: fields.by_id,
            conversations,
        }
    }
}

impl Calls {
    pub fn insert(&mut self, call: Call) -> CallSlot {
        let id = call.id.clone();
        self.conversations += call.conversation.is_some() as u32;
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

    /// Of them, conversations.
    pub fn conversations(&self) -> u32 {
        self.conversations
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
        self.conversations -= call.conversation.is_some() as u32;
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
