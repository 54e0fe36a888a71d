//! An agent's own day: the calls it handled since local midnight, its time in each state and its
//! last calls, for the agent's page ("my day"). Kept in the core, so that a restart (snapshot and
//! journal) and a reload of the page find the same day.

use std::collections::VecDeque;

use jiff::Timestamp;

use super::agent::AgentStatusKind;
use super::ids::{CallId, DispositionCode, QueueId};

/// How many of its last calls an agent's day keeps.
pub const RECENT_CALLS: usize = 8;

/// How long a call id an agent's last calls keep inline ([`KeptId`]): a UUID's 36 fit.
const INLINE_ID: usize = 38;

/// A handled call's id as the agent's last calls keep it: inline when short, so a call
/// falling off the list frees nothing and touches no memory but its own slot (the slot the new
/// call is written to); a longer id shares the call's. Kept as the id's text in a snapshot.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "CallId", into = "CallId")]
pub struct KeptId(Kept);

#[derive(Clone, PartialEq, Eq)]
enum Kept {
    Inline { len: u8, bytes: [u8; INLINE_ID] },
    Shared(CallId),
}

impl KeptId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Kept::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).expect("copied from a str")
            }
            Kept::Shared(id) => id.as_str(),
        }
    }
}

impl From<CallId> for KeptId {
    fn from(id: CallId) -> KeptId {
        KeptId::from(&id)
    }
}

impl From<&CallId> for KeptId {
    fn from(id: &CallId) -> KeptId {
        let text = id.as_str().as_bytes();
        if text.len() > INLINE_ID {
            return KeptId(Kept::Shared(id.clone()));
        }
        let mut bytes = [0; INLINE_ID];
        bytes[..text.len()].copy_from_slice(text);
        KeptId(Kept::Inline {
            len: text.len() as u8,
            bytes,
        })
    }
}

impl From<KeptId> for CallId {
    fn from(id: KeptId) -> CallId {
        match id.0 {
            Kept::Shared(id) => id,
            Kept::Inline { .. } => CallId::new(id.as_str()),
        }
    }
}

impl std::fmt::Display for KeptId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for KeptId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

/// One handled call, as the agent's list of its last calls shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecentCall {
    pub call: KeptId,
    /// The queue the agent answered it in.
    pub queue: QueueId,
    pub caller: Option<String>,
    pub connected_at: Timestamp,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    pub disposition: Option<DispositionCode>,
}

/// What an agent did today, besides its time in each state (which the agent keeps beside its
/// status: [`crate::agent`]'s `day_state_ms`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentDay {
    /// Calls whose handling (talk, hold, wrap-up) ended today.
    pub handled: u64,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    /// The last calls handled, the newest first, at most [`RECENT_CALLS`]; they stay across
    /// midnight (the agent's last calls are its last calls).
    pub recent: VecDeque<RecentCall>,
}

impl AgentDay {
    /// A call's handling ended.
    pub(crate) fn handled(&mut self, call: RecentCall) {
        self.handled += 1;
        self.talk_ms += call.talk_ms;
        self.hold_ms += call.hold_ms;
        self.wrap_up_ms += call.wrap_up_ms;
        // The oldest goes first: in a full list its slot is the one the new call takes.
        if self.recent.len() >= RECENT_CALLS {
            self.recent.truncate(RECENT_CALLS - 1);
        }
        self.recent.push_front(call);
    }

    /// A new day begins: the counts start again, the last calls stay.
    pub(crate) fn new_day(&mut self) {
        let recent = std::mem::take(&mut self.recent);
        *self = AgentDay {
            recent,
            ..AgentDay::default()
        };
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
        self.state_ms[kind as usize]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_id_is_inline_up_to_a_uuid_and_shared_beyond_and_its_text_either_way() {
        let uuid = CallId::new("0b5c3c8e-7f1a-4e2b-9a51-3d1f2c4b6a70");
        let long = CallId::new("x".repeat(INLINE_ID + 1));
        for id in [
            CallId::new(""),
            CallId::new("c1"),
            uuid.clone(),
            long.clone(),
        ] {
            let kept = KeptId::from(&id);
            assert_eq!(kept.as_str(), id.as_str());
            assert_eq!(kept.to_string(), id.as_str());
            assert_eq!(CallId::from(kept), id);
        }
        assert!(matches!(KeptId::from(&uuid).0, Kept::Inline { .. }));
        assert!(matches!(KeptId::from(&long).0, Kept::Shared(_)));
    }

    #[test]
    fn the_last_calls_are_the_newest_first_and_at_most_recent_calls() {
        let mut day = AgentDay::default();
        let call = |n: usize| RecentCall {
            call: KeptId::from(&CallId::new(format!("c{n}"))),
            queue: QueueId::new("q"),
            caller: None,
            connected_at: Timestamp::UNIX_EPOCH,
            talk_ms: n as u64,
            hold_ms: 0,
            wrap_up_ms: 0,
            disposition: None,
        };
        for n in 1..=RECENT_CALLS + 3 {
            day.handled(call(n));
        }
        let kept: Vec<String> = day.recent.iter().map(|c| c.call.to_string()).collect();
        let newest: Vec<String> = (4..=RECENT_CALLS + 3)
            .rev()
            .map(|n| format!("c{n}"))
            .collect();
        assert_eq!(kept, newest);
        assert_eq!(day.handled, (RECENT_CALLS + 3) as u64);
        assert_eq!(day.talk_ms, (1..=RECENT_CALLS as u64 + 3).sum::<u64>());
    }
}
