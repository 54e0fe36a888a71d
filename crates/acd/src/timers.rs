//! The deadlines the core is waiting for, earliest first.
//!
//! A binary heap with lazy cancellation: whoever owns a timer (a ringing call, a waiting call,
//! an agent in wrap-up or held back) keeps its [`TimerKey`], and forgets or replaces it when the
//! timer no longer matters. An entry whose owner no longer holds its key is stale; the core
//! skips it when it comes due and purges stale entries from the top after every step, so the
//! earliest deadline reported is always a live one. Setting a timer is nearly O(1) here, because
//! a new deadline is almost always the latest, and cancelling costs nothing. Stale entries
//! deeper down are dropped in one pass when they outnumber the live ones (see
//! `Acd::purge_stale_timers`), so the heap stays proportional to the calls and agents.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use jiff::Timestamp;

use super::call::CallSlot;

/// What to do when a deadline passes.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub(crate) enum Timer {
    /// The offer of this call has rung for the queue's ring timeout.
    RingTimeout(CallSlot),
    /// The waiting call reached its next escalation step or its queue's maximum wait.
    WaitStep(CallSlot),
    /// The agent's wrap-up deadline.
    WrapUpEnd(usize),
    /// The agent's reject delay is over: it may get offers again.
    Unblock(usize),
    /// The wrap-up of this closed conversation is over.
    ConversationWrapUpEnd(CallSlot),
    /// The consultation on this connected call has rung for the queue's ring timeout.
    ConsultRingTimeout(CallSlot),
}

/// A timer's identity: its deadline and a sequence number unique among all timers ever set.
pub(crate) type TimerKey = (Timestamp, u64);

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(crate) struct Timers {
    heap: BinaryHeap<Reverse<(TimerKey, Timer)>>,
    next_seq: u64,
}

impl Timers {
    pub fn set(&mut self, at: Timestamp, timer: Timer) -> TimerKey {
        let key = (at, self.next_seq);
        self.next_seq += 1;
        self.heap.push(Reverse((key, timer)));
        key
    }

    /// The earliest entry, live or stale.
    pub fn peek(&self) -> Option<(TimerKey, Timer)> {
        self.heap.peek().map(|Reverse(entry)| *entry)
    }

    pub fn pop(&mut self) -> Option<(TimerKey, Timer)> {
        self.heap.pop().map(|Reverse(entry)| entry)
    }

    /// Entries held, stale ones included.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Keeps only the entries `live` accepts: the heap's stale entries are dropped in O(n).
    pub fn retain(&mut self, mut live: impl FnMut(TimerKey, Timer) -> bool) {
        self.heap.retain(|Reverse((key, timer))| live(*key, *timer));
    }
}
