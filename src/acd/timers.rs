//! The deadlines the core is waiting for, in time order, each cancellable in O(log n).

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::ids::CallId;

/// What to do when a deadline passes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Timer {
    /// The offer of this call has rung for the queue's ring timeout.
    RingTimeout(CallId),
    /// The waiting call reached its next escalation step or its queue's maximum wait.
    WaitStep(CallId),
    /// The agent's wrap-up deadline.
    WrapUpEnd(usize),
    /// The agent's reject delay is over: it may get offers again.
    Unblock(usize),
}

/// The handle for cancelling a timer: its deadline and a tie-breaking sequence number.
pub(crate) type TimerKey = (Timestamp, u64);

#[derive(Debug, Default)]
pub(crate) struct Timers {
    pending: BTreeMap<TimerKey, Timer>,
    next_seq: u64,
}

impl Timers {
    pub fn set(&mut self, at: Timestamp, timer: Timer) -> TimerKey {
        let key = (at, self.next_seq);
        self.next_seq += 1;
        self.pending.insert(key, timer);
        key
    }

    pub fn cancel(&mut self, key: Option<TimerKey>) {
        if let Some(key) = key {
            self.pending.remove(&key);
        }
    }

    pub fn next_deadline(&self) -> Option<Timestamp> {
        self.pending.first_key_value().map(|(key, _)| key.0)
    }

    /// Removes and returns the earliest timer due at or before `now`.
    pub fn pop_due(&mut self, now: Timestamp) -> Option<(Timestamp, Timer)> {
        let entry = self.pending.first_entry()?;
        if entry.key().0 > now {
            return None;
        }
        let (key, timer) = entry.remove_entry();
        Some((key.0, timer))
    }

    pub fn len(&self) -> usize {
        self.pending.len()
    }
}
