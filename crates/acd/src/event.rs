//! What the core tells the outside world. The server turns these into messages for agents,
//! wallboards, supervisors and the telephony connector.

use std::sync::Arc;

use jiff::Timestamp;

use super::agent::{AgentStatus, AgentStatusKind, DeviceState, PendingState};
use super::call::CallData;
use super::consult::{ConsultEnd, ConsultStatus};
use super::conversation::{Author, Message};
use super::ids::{AgentId, CallId, ChannelId, ConversationId, DispositionCode, QueueId};
use super::monitor::{MonitorEnd, MonitorMode};

/// Where an agent sends a call it transfers.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TransferTarget {
    /// Into a queue, as a new call of that queue.
    Queue(QueueId),
    /// Straight to an available agent; if it does not answer, the call waits in its last queue.
    Agent(AgentId),
}

/// Why an offer stopped ringing without being answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OfferEndReason {
    Rejected,
    RingNoAnswer,
    CallerHungUp,
    /// A conversation's customer left while it was offered.
    CustomerLeft,
}

impl OfferEndReason {
    pub fn name(self) -> &'static str {
        match self {
            OfferEndReason::Rejected => "rejected",
            OfferEndReason::RingNoAnswer => "ring_no_answer",
            OfferEndReason::CallerHungUp => "caller_hung_up",
            OfferEndReason::CustomerLeft => "customer_left",
        }
    }
}

/// Why a call moved to another queue unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OverflowReason {
    MaxWait,
    Escalation,
    /// A supervisor moved it.
    Moved,
}

impl OverflowReason {
    pub fn name(self) -> &'static str {
        match self {
            OverflowReason::MaxWait => "max_wait",
            OverflowReason::Escalation => "escalation",
            OverflowReason::Moved => "moved",
        }
    }
}

/// Why a call left the ACD.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum CallLeftReason {
    /// Talked and ended.
    Completed,
    /// The caller hung up before being answered.
    Abandoned,
    /// The queue's maximum wait passed with nowhere to overflow to.
    TimedOut,
    /// The queue was full.
    Refused,
}

impl CallLeftReason {
    pub fn name(self) -> &'static str {
        match self {
            CallLeftReason::Completed => "completed",
            CallLeftReason::Abandoned => "abandoned",
            CallLeftReason::TimedOut => "timed_out",
            CallLeftReason::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Event {
    /// An agent's status changed (or, in wrap-up, its deadline moved; or its phone's state).
    AgentStatusChanged {
        agent: AgentId,
        status: AgentStatus,
        previous: AgentStatusKind,
        since: Timestamp,
        /// The agent's phone as the PBX last reported it; `None` until it reports one.
        #[serde(default)]
        device: Option<DeviceState>,
        /// On a call: its time on hold so far ([`Holds`]); `None` otherwise.
        #[serde(default)]
        holds: Option<Holds>,
    },
    /// The state an agent goes to after its call was set, or cleared (`None`), including when it
    /// was applied.
    PendingStateChanged {
        agent: AgentId,
        pending: Option<PendingState>,
    },
    /// The call waits in a queue: it arrived, came back after an offer, overflowed or was
    /// transferred there.
    CallQueued {
        call: CallId,
        queue: QueueId,
        /// When the call began waiting in this queue: now, but for a call that arrived having
        /// waited already (`arrived_at`), or one back in the queue after an offer (its wait there
        /// goes on).
        #[serde(default = "Timestamp::default")]
        since: Timestamp,
    },
    /// Ring the agent: the telephony side rings its device, the WebAgent shows the offer.
    CallOffered {
        call: CallId,
        agent: AgentId,
        queue: QueueId,
        ring_deadline: Timestamp,
        priority: u8,
        data: Arc<CallData>,
    },
    /// Stop ringing the agent.
    OfferEnded {
        call: CallId,
        agent: AgentId,
        reason: OfferEndReason,
    },
    CallConnected {
        call: CallId,
        agent: AgentId,
        queue: QueueId,
    },
    /// A supervisor joined an agent's call, changed how it is on it (`mode`), or left it
    /// (`mode` `None`, and why in `ended`).
    MonitorChanged {
        agent: AgentId,
        call: CallId,
        supervisor: String,
        mode: Option<MonitorMode>,
        ended: Option<MonitorEnd>,
    },
    /// A consultation on `agent`'s call with the agent `with` began or moved on (`status`), or
    /// ended (`status` `None`, and why in `ended`).
    ConsultChanged {
        call: CallId,
        agent: AgentId,
        with: AgentId,
        /// The call's queue.
        queue: QueueId,
        status: Option<ConsultStatus>,
        ended: Option<ConsultEnd>,
    },
    /// A supervisor set the wallboards' message (`text`) or cleared it (`None`), at `at`.
    TickerChanged {
        text: Option<String>,
        by: String,
        at: Timestamp,
    },
    /// A supervisor made a display (a kiosk wallboard with a token of its own).
    DisplayCreated {
        name: String,
        by: String,
    },
    /// A supervisor revoked a display: its sessions end.
    DisplayRevoked {
        name: String,
        by: String,
    },
    /// An agent's work on a call is over (its wrap-up ended, or talk did where the queue has
    /// none), with the disposition and notes it gave: what the call's record keeps of it (the
    /// agent's day keeps the rest, [`crate::AgentDay`]). Small: every event of every call moves
    /// through the queue of events.
    CallHandled {
        agent: AgentId,
        call: CallId,
        /// When the agent was connected: of the agents who handled a transferred call, the
        /// last connected speaks for it.
        connected_at: Timestamp,
        disposition: Option<DispositionCode>,
        /// `None` when the agent wrote none.
        notes: Option<Box<str>>,
    },
    CallHeld {
        call: CallId,
        agent: AgentId,
    },
    CallResumed {
        call: CallId,
        agent: AgentId,
    },
    CallTransferred {
        call: CallId,
        from: AgentId,
        to: TransferTarget,
    },
    CallOverflowed {
        call: CallId,
        from: QueueId,
        to: QueueId,
        reason: OverflowReason,
    },
    CallPriorityChanged {
        call: CallId,
        priority: u8,
    },
    /// The call is gone from the ACD.
    CallLeft {
        call: CallId,
        queue: QueueId,
        reason: CallLeftReason,
    },
    /// A customer started a conversation in a queue: what it arrived with. No client hears
    /// this (an agent learns it from the offer); it is for the conversation's record, which
    /// needs it even when the conversation is never offered. `ConversationQueued` follows, or,
    /// when the queue is full, `ConversationLeft` with `Refused`.
    ConversationArrived {
        conversation: ConversationId,
        queue: QueueId,
        channel: ChannelId,
        priority: u8,
        data: Arc<CallData>,
        /// What the customer wrote before it reached the ACD: the transcript's first messages.
        transcript: Arc<[Message]>,
    },
    /// A conversation waits in a queue: it arrived, came back after an offer, overflowed or was
    /// transferred there.
    ConversationQueued {
        conversation: ConversationId,
        queue: QueueId,
    },
    /// Offer the conversation to the agent, with everything written so far.
    ConversationOffered {
        conversation: ConversationId,
        agent: AgentId,
        queue: QueueId,
        channel: ChannelId,
        offer_deadline: Timestamp,
        priority: u8,
        data: Arc<CallData>,
        transcript: Arc<[Message]>,
    },
    ConversationOfferEnded {
        conversation: ConversationId,
        agent: AgentId,
        reason: OfferEndReason,
    },
    ConversationAccepted {
        conversation: ConversationId,
        agent: AgentId,
        queue: QueueId,
    },
    /// A message was added to the conversation's transcript; `number` is its place there,
    /// from 0. `agent` is the agent the conversation is offered to or open at, if any: the one
    /// who must see it.
    MessageAdded {
        conversation: ConversationId,
        agent: Option<AgentId>,
        number: u32,
        message: Message,
    },
    ConversationTransferred {
        conversation: ConversationId,
        from: AgentId,
        to: TransferTarget,
    },
    ConversationOverflowed {
        conversation: ConversationId,
        from: QueueId,
        to: QueueId,
        reason: OverflowReason,
    },
    ConversationPriorityChanged {
        conversation: ConversationId,
        priority: u8,
    },
    /// The conversation is over for the customer (`by` says who ended it); the agent's wrap-up
    /// of it runs until `wrap_up_deadline`, or is already over when that is `None`.
    ConversationClosed {
        conversation: ConversationId,
        agent: AgentId,
        by: Author,
        wrap_up_deadline: Option<Timestamp>,
    },
    /// The conversation is gone from the ACD, its agent's place for it free again.
    ConversationLeft {
        conversation: ConversationId,
        queue: QueueId,
        reason: CallLeftReason,
    },
    /// The queue's waiting calls, agent counts or statistics changed. Emitted once per queue
    /// after the other events of a step, however many changes there were.
    QueueChanged {
        queue: QueueId,
        /// Which of the queue's lanes: its entry for one channel.
        lane: crate::Lane,
    },
}

/// A connected call's time on hold, as the agent's status carries it: when the hold going on
/// began, and the finished holds' total, so a display can run a hold timer and pause the talk
/// time exactly, also after a reload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Holds {
    /// When the caller was put on hold; `None` while not on hold.
    pub held_since: Option<Timestamp>,
    /// The call's finished holds, in total.
    pub held_ms: u64,
}
