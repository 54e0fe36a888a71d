//! An agent's own day: the calls it handled since local midnight, its time in each state and its
//! last calls, for the agent's page ("my day"). Kept in the core, so that a restart (snapshot and
//! journal) and a reload of the page find the same day.

use std::collections::VecDeque;

use jiff::Timestamp;

use super::agent::AgentStatusKind;
use super::ids::{CallId, DispositionCode, QueueId};
use super::stats::millis_between;

/// How many of its last calls an agent's day keeps.
pub const RECENT_CALLS: usize = 8;

/// One handled call, as the agent's list of its last calls shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecentCall {
    pub call: CallId,
    /// The queue the agent answered it in.
    pub queue: QueueId,
    pub caller: Option<String>,
    pub connected_at: Timestamp,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    pub disposition: Option<DispositionCode>,
}

/// What an agent did today. State time is integrated piecewise: added up to `counted_to` at
/// each change of state, the open piece at read time.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentDay {
    /// Calls whose handling (talk, hold, wrap-up) ended today.
    pub handled: u64,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    /// Time in each state today, by [`AgentStatusKind::ALL`]'s order, up to `counted_to`.
    pub state_ms: [u64; 6],
    pub counted_to: Option<Timestamp>,
    /// The last calls handled, the newest first, at most [`RECENT_CALLS`]; they stay across
    /// midnight (the agent's last calls are its last calls).
    pub recent: VecDeque<RecentCall>,
}

fn slot(kind: AgentStatusKind) -> usize {
    AgentStatusKind::ALL
        .iter()
        .position(|k| *k == kind)
        .expect("every kind is listed")
}

impl AgentDay {
    /// The agent leaves state `kind` at `now`: its time there since the last count is today's.
    pub(crate) fn leave(&mut self, kind: AgentStatusKind, now: Timestamp) {
        if let Some(from) = self.counted_to {
            self.state_ms[slot(kind)] += millis_between(from, now);
        }
        self.counted_to = Some(now);
    }

    /// A call's handling ended.
    pub(crate) fn handled(&mut self, call: RecentCall) {
        self.handled += 1;
        self.talk_ms += call.talk_ms;
        self.hold_ms += call.hold_ms;
        self.wrap_up_ms += call.wrap_up_ms;
        self.recent.push_front(call);
        self.recent.truncate(RECENT_CALLS);
    }

    /// A new day begins at `midnight`: the counts start again, the last calls stay.
    pub(crate) fn new_day(&mut self, midnight: Timestamp) {
        let recent = std::mem::take(&mut self.recent);
        *self = AgentDay {
            counted_to: Some(midnight),
            recent,
            ..AgentDay::default()
        };
    }

    /// Time in each state today up to `now`, the agent being in `kind` now.
    pub fn state_ms_at(&self, kind: AgentStatusKind, now: Timestamp) -> [u64; 6] {
        let mut state_ms = self.state_ms;
        if let Some(from) = self.counted_to {
            state_ms[slot(kind)] += millis_between(from, now);
        }
        state_ms
    }
}

/// An agent's day as read at an instant ([`crate::Acd::agent_day`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentDayView<'a> {
    /// When today began (local midnight in the tenant's zone).
    pub today_start: Timestamp,
    /// Time in each state today up to the read, by [`AgentStatusKind::ALL`]'s order.
    pub state_ms: [u64; 6],
    /// The agent's day as the core holds it, borrowed: a page of 500 agents' figures copies
    /// none of their last calls.
    pub day: &'a AgentDay,
}

impl AgentDayView<'_> {
    /// Time in a state today.
    pub fn in_state(&self, kind: AgentStatusKind) -> u64 {
        self.state_ms[slot(kind)]
    }

    /// Handling time (on a call, in wrap-up) over handling and ready time, as the queues'
    /// occupancy counts it; `None` before the agent was ready or busy today.
    pub fn occupancy(&self) -> Option<f64> {
        let handling =
            self.in_state(AgentStatusKind::OnCall) + self.in_state(AgentStatusKind::WrapUp);
        let idle = self.in_state(AgentStatusKind::Ready);
        (handling + idle > 0).then(|| handling as f64 / (handling + idle) as f64)
    }

    /// Average handle time (talk + hold + wrap-up per handled call), in milliseconds.
    pub fn aht_ms(&self) -> Option<f64> {
        let day = &self.day;
        (day.handled > 0)
            .then(|| (day.talk_ms + day.hold_ms + day.wrap_up_ms) as f64 / day.handled as f64)
    }
}
