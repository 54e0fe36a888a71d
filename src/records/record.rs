//! One finished call as BI and workforce-management tools read it: a call detail record (CDR).
//!
//! Durations are whole milliseconds (`*_ms`), measured between the core's instants the way the
//! core's own statistics measure them (`Figures` keeps `talk_ms`, `wrap_up_ms` and waits in
//! milliseconds): exact integers, so a day's sums in a spreadsheet match the wallboard's.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::acd::{AgentId, CallId, CallLeftReason, DispositionCode, QueueId};

/// How the call left the ACD, one for each of the core's `CallLeftReason`s.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Talked and ended (`completed`): an agent answered, and the call ended at an agent or
    /// while ringing at the agent it was transferred to.
    Answered,
    /// The caller hung up while waiting or ringing, before anyone answered in this leg. Whether
    /// it was a short abandon depends on the queue's `short_abandon` threshold, which the event
    /// does not carry: compare `last_queue_wait_ms` with it.
    Abandoned,
    /// The last queue's maximum wait passed with nowhere to overflow to.
    TimedOut,
    /// The queue was full when the call arrived: it never waited.
    Refused,
}

impl Outcome {
    pub fn of(reason: CallLeftReason) -> Outcome {
        match reason {
            CallLeftReason::Completed => Outcome::Answered,
            CallLeftReason::Abandoned => Outcome::Abandoned,
            CallLeftReason::TimedOut => Outcome::TimedOut,
            CallLeftReason::Refused => Outcome::Refused,
        }
    }
}

/// Everything about one call, written once when the call and its after-call work are over.
/// docs/records.md defines each field for the people who read the files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallRecord {
    /// 1, 2, 3... per tenant in the order records finish: lets a reader (and the record file
    /// after a crash) tell a record it already has from a new one.
    pub seq: u64,
    /// The telephony side's id for the call.
    pub call: CallId,
    pub outcome: Outcome,
    /// The queue the call arrived at (for a refused call, the one that refused it).
    pub first_queue: QueueId,
    /// The queue the call was in when it was answered last or left.
    pub last_queue: QueueId,
    /// Every queue the call waited in, in order (a queue it went back to after a failed offer
    /// is not repeated; one it came back to later, by overflow or transfer, is).
    pub queues: Vec<QueueId>,
    /// Every agent the call was offered to, in the order of their first offer, each once.
    pub agents: Vec<AgentId>,
    /// The first agent who answered: the one whose answer the queue counts and whose wait is
    /// the caller's speed of answer. Agents it was transferred to are in `agents`.
    pub answered_by: Option<AgentId>,
    /// The caller's priority when last seen: learnt from an offer or a supervisor's change,
    /// so unknown (`None`) for a call that left before either.
    pub priority: Option<u8>,
    /// The caller's number (CLI/ANI), known once the call was offered.
    pub caller: Option<String>,
    /// The number the caller dialled (DNIS), known once the call was offered.
    pub dialled: Option<String>,
    /// When the call reached the ACD.
    pub arrived_at: Timestamp,
    pub first_offered_at: Option<Timestamp>,
    /// When an agent first answered.
    pub answered_at: Option<Timestamp>,
    /// When the call left the ACD: hung up, abandoned, timed out or refused.
    pub ended_at: Timestamp,
    /// When the last wrap-up for this call ended; `None` if no agent wrapped up.
    pub wrap_up_ended_at: Option<Timestamp>,
    /// The caller's wait before the first answer: `answered_at - arrived_at`, or
    /// `ended_at - arrived_at` if never answered. Time in every queue counts.
    pub wait_ms: u64,
    /// The wait in the last queue the call entered, from entering it to its answer there or
    /// to leaving: the wait the core's service level, ASA and (short) abandon figures of that
    /// queue use.
    pub last_queue_wait_ms: u64,
    /// Connected time minus hold, summed over every agent who had the call.
    pub talk_ms: u64,
    /// Time on hold, summed over every agent who had the call.
    pub hold_ms: u64,
    /// How many times the call was put on hold.
    pub holds: u32,
    /// After-call work for this call, summed over every agent who wrapped up for it (the one
    /// who transferred it and the one who hung up, say).
    pub wrap_up_ms: u64,
    /// Offers made (rings), answered or not.
    pub offers: u32,
    /// Offers that rang out.
    pub ring_no_answers: u32,
    /// Offers the agent rejected.
    pub rejections: u32,
    /// How many times an agent transferred the call.
    pub transfers: u32,
    /// Where each transfer went, in order: `queue:<id>` or `agent:<id>`.
    pub transfer_targets: Vec<String>,
    /// How many times the call overflowed to another queue unanswered (maximum wait,
    /// escalation, or a supervisor's move).
    pub overflows: u32,
    /// The disposition code the agent connected to the call last gave it, of the agents who
    /// gave a code or notes (after a transfer: the agent it was transferred to, unless that
    /// one gave nothing); `None` when that agent gave no code.
    #[serde(default)]
    pub disposition: Option<DispositionCode>,
    /// That agent's notes on the call; `None` when it wrote none.
    #[serde(default)]
    pub notes: Option<String>,
}
