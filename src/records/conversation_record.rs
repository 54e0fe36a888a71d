//! One finished conversation (chat, SMS, ...) as BI, workforce-management and quality tools read
//! it: the counterpart of a call's [`super::CallRecord`], with the transcript.
//!
//! Durations are whole milliseconds (`*_ms`) between the core's instants, measured the way the
//! core's own figures measure a conversation (its open time is the talk time of its queue's
//! handled work), so a day's sums match the wallboard's.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::acd::{AgentId, ChannelId, ConversationId, QueueId};

/// How the conversation ended for the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationOutcome {
    /// An agent closed it (`close_conversation`): the core's `completed`, closed by the agent.
    ClosedByAgent,
    /// The customer left after an agent had accepted it: closed by the customer while open
    /// (the core's `completed`), or gone while offered to the agent it was transferred to.
    CustomerLeft,
    /// The customer left while it waited or was offered, unanswered in its current queue (the
    /// core's `abandoned`).
    Abandoned,
    /// The last queue's maximum wait passed with nowhere to overflow to.
    TimedOut,
    /// The queue was full when it arrived: it never waited.
    Refused,
}

/// Who wrote a message of the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Writer {
    Customer,
    Agent,
}

/// One message of a conversation's transcript, as the protocol's transcript items are written
/// (`number`, `from`, `agent` when an agent wrote it, `at`, `text`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TranscriptMessage {
    /// Its place in the transcript, from 0: the number agents and the connector saw.
    pub number: u32,
    pub from: Writer,
    /// The agent who wrote it; absent for the customer's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentId>,
    /// When the ACD took it in.
    pub at: Timestamp,
    pub text: Arc<str>,
}

/// Everything about one conversation, written once when it has left the ACD (after its
/// wrap-up). docs/records.md defines each field for the people who read the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConversationRecord {
    /// 1, 2, 3... per tenant in the order conversation records finish, apart from the call
    /// records' numbers: lets a reader (and the file after a crash) tell one it has from a new
    /// one.
    pub seq: u64,
    /// The messaging side's id for the conversation.
    pub conversation: ConversationId,
    /// The messaging channel (`chat`, `sms`, ...). `None` only for a conversation that was in
    /// the ACD before its tenant kept conversation records (an upgrade) and never offered after.
    pub channel: Option<ChannelId>,
    pub outcome: ConversationOutcome,
    /// The queue it arrived at (for a refused one, the one that refused it).
    pub first_queue: QueueId,
    /// The queue it was in when it was accepted last, or when it left.
    pub last_queue: QueueId,
    /// Every queue it waited in, in order (one it went back to after a failed offer is not
    /// repeated; one it came back to later, by overflow or transfer, is).
    pub queues: Vec<QueueId>,
    /// Every agent it was offered to, in the order of their first offer, each once.
    pub agents: Vec<AgentId>,
    /// The first agent who accepted it: the answer its queue counts. Agents it was transferred
    /// to afterwards are in `agents`.
    pub accepted_by: Option<AgentId>,
    /// The customer's priority when last seen.
    pub priority: u8,
    /// Who the customer is, as the messaging connector named them (a name, a number, an
    /// address).
    pub customer: Option<String>,
    /// The connector's free key/values (customer id, language, the page they wrote from).
    pub data: BTreeMap<String, String>,
    /// When it reached the ACD.
    pub arrived_at: Timestamp,
    pub first_offered_at: Option<Timestamp>,
    /// When an agent first accepted it.
    pub accepted_at: Option<Timestamp>,
    /// When an agent first wrote in it: the customer's first answer.
    pub first_response_at: Option<Timestamp>,
    /// When it ended for the customer: closed (by the agent or the customer), or left the ACD
    /// unanswered. The record's file is the tenant's local day of this instant.
    pub ended_at: Timestamp,
    /// When the agent's wrap-up of it ended; `None` without one.
    pub wrap_up_ended_at: Option<Timestamp>,
    /// The customer's wait before the first accept: `accepted_at - arrived_at`, or
    /// `ended_at - arrived_at` if never accepted. Time in every queue counts.
    pub wait_ms: u64,
    /// The wait in the last queue it entered, from entering it to its accept there or to
    /// leaving: the wait that queue's service level, ASA and abandon figures use.
    pub last_queue_wait_ms: u64,
    /// `first_response_at - arrived_at`: how long the customer waited for a first word.
    pub first_response_ms: Option<u64>,
    /// Time open at an agent (accepted, not yet closed or transferred), summed over every agent
    /// who had it: the core counts it as the talk time of its handled conversations.
    pub open_ms: u64,
    /// The agent's wrap-up after closing it, from the close to its end.
    pub wrap_up_ms: u64,
    /// Offers made, accepted or not.
    pub offers: u32,
    /// Offers the agent rejected.
    pub rejections: u32,
    /// Offers not accepted before their deadline.
    pub ring_no_answers: u32,
    /// How many times an agent transferred it.
    pub transfers: u32,
    /// Where each transfer went, in order: `queue:<id>` or `agent:<id>`.
    pub transfer_targets: Vec<String>,
    /// How many times it moved to another queue unanswered (maximum wait, escalation, or a
    /// supervisor's move).
    pub overflows: u32,
    /// Messages the customer wrote, those before it reached the ACD included.
    pub customer_messages: u32,
    /// Messages agents wrote.
    pub agent_messages: u32,
    /// Every message, in order.
    pub transcript: Vec<TranscriptMessage>,
}
