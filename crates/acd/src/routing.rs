//! Matching waiting calls with available agents.
//!
//! Invariant: between two commands no waiting call could go to an available agent. Whenever a call
//! starts waiting (or may go to more agents after an escalation step) it is matched against the
//! available agents; whenever an agent becomes available it is matched against the waiting calls.
//! Each match is a few ordered-index look-ups, O(log n), whatever the number of agents.

use jiff::Timestamp;

use super::Acd;
use super::agent::AgentStatus;
use super::call::CallSlot;
use super::call::CallState;
use super::event::Event;
use super::stats::millis_between;
use super::timers::Timer;

impl Acd {
    /// Offers a waiting call to the agent its queue's strategy picks, if any may take it.
    pub(crate) fn route_call(&mut self, slot: CallSlot) {
        let call = &self.calls[slot];
        if !matches!(call.state, CallState::Waiting { .. }) {
            return;
        }
        if let Some(agent) = self.queues[call.queue].best_agent(call.min_skill) {
            self.offer(slot, agent, false);
        }
    }

    /// Offers an agent that just became available the best call of its queues: higher caller
    /// priority first, then the longest wait multiplied by the queue's weight. With no call
    /// waiting the agent joins its queues' available indexes.
    pub(crate) fn route_agent(&mut self, agent: usize) {
        let now = self.now;
        // Higher is better: caller priority, weighted wait, then earlier arrival.
        type Score = (u8, u128, std::cmp::Reverse<u64>);
        let mut best: Option<(Score, CallSlot)> = None;
        for m in &self.agents[agent].memberships {
            let queue = &self.queues[m.queue];
            if let Some((priority, arrived_at, seq, id)) = queue.best_call_for(m.skill) {
                let weighted_wait =
                    millis_between(*arrived_at, now) as u128 * queue.config.priority_weight as u128;
                let score = (priority.0, weighted_wait, std::cmp::Reverse(*seq));
                if best
                    .as_ref()
                    .is_none_or(|(best_score, _)| score > *best_score)
                {
                    best = Some((score, *id));
                }
            }
        }
        match best.map(|(_, slot)| slot) {
            Some(slot) => self.offer(slot, agent, false),
            None => self.index_agent(agent),
        }
    }

    /// Rings the call at the agent. `direct` for an agent-to-agent transfer.
    pub(crate) fn offer(&mut self, slot: CallSlot, agent: usize, direct: bool) {
        let id = &self.calls[slot].id.clone();
        self.unqueue(slot);
        let now = self.now;
        let call = self.calls.get_mut(slot).expect("call exists");
        let queue = call.queue;
        let deadline: Timestamp = now + self.queues[queue].config.ring_timeout;
        let timer = self.timers.set(deadline, Timer::RingTimeout(slot));
        call.state = CallState::Ringing {
            agent,
            timer,
            direct,
            deadline,
        };
        if !direct {
            self.queues[queue].ringing += 1;
            if let Some(m) = self.agents[agent].membership_of(queue) {
                self.queues[queue].last_offered_position =
                    Some(self.agents[agent].memberships[m].position);
            }
        }
        self.dirty.mark(queue);
        let call = &self.calls[slot];
        self.events.push_back(Event::CallOffered {
            call: id.clone(),
            agent: self.agents[agent].id.clone(),
            queue: self.queues[queue].config.id.clone(),
            ring_deadline: deadline,
            priority: call.priority,
            data: call.data.clone(),
        });
        self.set_status(agent, AgentStatus::Ringing { call: id.clone() });
    }

    /// Adds an available agent to the available index of each of its queues.
    pub(crate) fn index_agent(&mut self, agent: usize) {
        let a = &mut self.agents[agent];
        for m in &mut a.memberships {
            let queue = &mut self.queues[m.queue];
            let key = queue.available_key(a.since, m.position, m.answered_today, m.talk_ms_today);
            queue.add_available(m.skill, (key, agent));
            m.indexed = Some(key);
        }
    }

    pub(crate) fn unindex_agent(&mut self, agent: usize) {
        for m in &mut self.agents[agent].memberships {
            if let Some(key) = m.indexed.take() {
                self.queues[m.queue].remove_available(m.skill, &(key, agent));
            }
        }
    }
}
