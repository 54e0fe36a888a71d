//! A queue at run time: its waiting calls and its available agents, each kept in ordered indexes
//! so that a routing decision costs O(log n) and never scans all agents or all calls.

use std::cmp::Reverse;
use std::collections::BTreeSet;

use jiff::Timestamp;

use super::call::CallSlot;
use super::config::{MAX_SKILL, QueueConfig, Strategy};

/// The order of waiting calls: higher priority first, then the earliest arrival (kept across
/// overflows so a caller keeps their place), then arrival order.
pub(crate) type WaitKey = (Reverse<u8>, Timestamp, u64, CallSlot);

/// The order of available agents under the queue's strategy (smaller first), then agent index.
pub(crate) type AvailableKey = ((u64, u64), usize);

const LEVELS: usize = MAX_SKILL as usize;

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Queue {
    pub config: QueueConfig,
    /// Waiting calls by the lowest skill level they may go to (index level - 1).
    waiting: [BTreeSet<WaitKey>; LEVELS],
    /// Waiting calls by when they entered this queue, for "oldest waiting since".
    waiting_since: BTreeSet<(Timestamp, u64)>,
    /// Available agents by their skill level in this queue (index level - 1).
    available: [BTreeSet<AvailableKey>; LEVELS],
    /// Calls of this queue ringing at an agent.
    pub ringing: u32,
    /// Round-robin: the member position last offered a call.
    pub last_offered_position: Option<u32>,
    /// The messaging channel whose conversations the queue routes (an index into the tenant's
    /// channels), or `None` for calls.
    #[serde(default)]
    pub channel: Option<usize>,
    /// Escalation targets and the overflow target, resolved to queue indexes.
    pub max_wait_overflow: Option<usize>,
    pub escalation_overflow: Vec<Option<usize>>,
}

impl Queue {
    pub fn new(
        config: QueueConfig,
        channel: Option<usize>,
        max_wait_overflow: Option<usize>,
        escalation_overflow: Vec<Option<usize>>,
    ) -> Queue {
        Queue {
            channel,
            config,
            waiting: Default::default(),
            waiting_since: BTreeSet::new(),
            available: Default::default(),
            ringing: 0,
            last_offered_position: None,
            max_wait_overflow,
            escalation_overflow,
        }
    }

    pub fn waiting_count(&self) -> usize {
        self.waiting_since.len()
    }

    pub fn oldest_waiting_since(&self) -> Option<Timestamp> {
        self.waiting_since.first().map(|(since, _)| *since)
    }

    pub fn add_waiting(&mut self, level: u8, key: WaitKey, entered: Timestamp) {
        self.waiting_since.insert((entered, key.2));
        self.waiting[level as usize - 1].insert(key);
    }

    pub fn remove_waiting(&mut self, level: u8, key: &WaitKey, entered: Timestamp) {
        self.waiting_since.remove(&(entered, key.2));
        self.waiting[level as usize - 1].remove(key);
    }

    /// The first call an agent of skill `skill` may take: the best head among the levels up to
    /// its skill.
    pub fn best_call_for(&self, skill: u8) -> Option<&WaitKey> {
        self.waiting[..skill as usize]
            .iter()
            .filter_map(|level| level.first())
            .min()
    }

    /// The key an agent is ordered by in this queue's available index. `load` is how many of
    /// the queue's channel's conversations the agent holds (0 for voice): except in round-robin,
    /// which goes round the members whatever they hold, the least loaded come first.
    pub fn available_key(
        &self,
        since: Timestamp,
        load: u8,
        position: u32,
        answered_today: u64,
        talk_ms_today: u64,
    ) -> (u64, u64) {
        let since = since.as_millisecond().max(0) as u64;
        let (first, second) = match self.config.strategy {
            Strategy::LongestIdle | Strategy::SkillsBased => (since, 0),
            Strategy::RoundRobin => return (position as u64, 0),
            Strategy::FewestCalls => (answered_today, since),
            Strategy::LeastTalkTime => (talk_ms_today, since),
        };
        // 48 bits hold a millisecond instant until the year 10889 and any day's counts.
        const LOW: u64 = (1 << 48) - 1;
        (((load as u64) << 48) | first.min(LOW), second)
    }

    pub fn add_available(&mut self, skill: u8, key: AvailableKey) {
        self.available[skill as usize - 1].insert(key);
    }

    pub fn remove_available(&mut self, skill: u8, key: &AvailableKey) {
        self.available[skill as usize - 1].remove(key);
    }

    /// The agent the strategy picks among those available with at least `min_skill`.
    pub fn best_agent(&self, min_skill: u8) -> Option<usize> {
        let levels = &self.available[min_skill as usize - 1..];
        match self.config.strategy {
            Strategy::SkillsBased => levels
                .iter()
                .rev()
                .find_map(|level| level.first())
                .map(|k| k.1),
            Strategy::RoundRobin => {
                let after = self.last_offered_position.map_or(0, |p| p as u64 + 1);
                let next = levels
                    .iter()
                    .filter_map(|level| level.range(((after, 0), 0)..).next())
                    .min();
                next.or_else(|| levels.iter().filter_map(|level| level.first()).min())
                    .map(|k| k.1)
            }
            Strategy::LongestIdle | Strategy::FewestCalls | Strategy::LeastTalkTime => levels
                .iter()
                .filter_map(|level| level.first())
                .min()
                .map(|k| k.1),
        }
    }
}

impl Queue {
    /// For invariant checks: is the call in the waiting index at this level?
    pub fn is_waiting(&self, level: u8, key: &WaitKey) -> bool {
        self.waiting[level as usize - 1].contains(key)
    }

    /// For invariant checks: is the agent in the available index at this level?
    pub fn is_available(&self, skill: u8, key: &AvailableKey) -> bool {
        self.available[skill as usize - 1].contains(key)
    }

    /// For invariant checks: how many entries each index holds.
    pub fn index_sizes(&self) -> (usize, usize) {
        (
            self.waiting.iter().map(|l| l.len()).sum(),
            self.available.iter().map(|l| l.len()).sum(),
        )
    }
}
