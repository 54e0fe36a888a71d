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
use super::figures::Sample;
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

    /// Re-reads what the agent may be offered now, after anything that may have changed it
    /// (its status, its pending state, a place taken or freed, the end of a hold-back): offers it
    /// the best waiting work it may take, again while it may take more (a second chat), then
    /// leaves it in the available index of each queue whose work it may still be offered.
    pub(crate) fn refresh_agent(&mut self, agent: usize) {
        self.count_places(agent);
        self.unindex_agent(agent);
        while let Some(slot) = self.best_work_for(agent) {
            // An offer refreshes the agent itself (a call through its status, a conversation
            // through its places), so it may come back indexed.
            self.offer(slot, agent, false);
            self.unindex_agent(agent);
        }
        self.index_agent(agent);
    }

    /// The best waiting work of the agent's queues that it may be offered now: higher priority
    /// first, then the longest wait multiplied by the queue's weight, then earlier arrival.
    fn best_work_for(&self, agent: usize) -> Option<CallSlot> {
        let now = self.now;
        // Higher is better: caller priority, weighted wait, then earlier arrival.
        type Score = (u8, u128, std::cmp::Reverse<u64>);
        let mut best: Option<(Score, CallSlot)> = None;
        for m in &self.agents[agent].memberships {
            let queue = &self.queues[m.queue];
            if !self.may_offer(agent, queue.channel) {
                continue;
            }
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
        best.map(|(_, slot)| slot)
    }

    /// Rings the call at the agent, or offers it the conversation. `direct` for an
    /// agent-to-agent transfer.
    pub(crate) fn offer(&mut self, slot: CallSlot, agent: usize, direct: bool) {
        self.unqueue(slot);
        if self.calls[slot].conversation.is_some() {
            return self.offer_conversation(slot, agent, direct);
        }
        let id = &self.calls[slot].id.clone();
        let deadline = self.ring_at(slot, agent, direct);
        let call = &self.calls[slot];
        let queue = call.queue;
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

    /// Puts a call or conversation in its offer to `agent` until the queue's ring timeout, and
    /// counts it ringing in its queue unless it was transferred to the agent directly. Returns
    /// the offer's deadline.
    pub(crate) fn ring_at(&mut self, slot: CallSlot, agent: usize, direct: bool) -> Timestamp {
        let queue = self.calls[slot].queue;
        let deadline: Timestamp = self.now + self.queues[queue].config.ring_timeout;
        let timer = self.timers.set(deadline, Timer::RingTimeout(slot));
        self.calls.get_mut(slot).expect("call exists").state = CallState::Ringing {
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
        deadline
    }

    /// An offer was taken: unless it came directly from another agent, its wait is counted in
    /// its queue (and the agent's answered calls there), and it no longer rings there.
    pub(crate) fn count_answer(&mut self, slot: CallSlot, agent: usize, direct: bool) {
        if direct {
            return;
        }
        let now = self.now;
        let call = &self.calls[slot];
        let queue = call.queue;
        self.queues[queue].ringing -= 1;
        let wait = now.duration_since(call.entered_queue_at).unsigned_abs();
        let threshold = self.queues[queue].config.service_level.threshold;
        let sample = Sample::Answered {
            wait_ms: wait.as_millis() as u64,
            within_threshold: wait <= threshold,
        };
        self.stats.record(now, queue, sample);
        if let Some(m) = self.agents[agent].membership_of(queue) {
            self.agents[agent].memberships[m].answered_today += 1;
        }
    }

    /// Adds the agent to the available index of each of its queues whose work it may be
    /// offered now. In a queue of conversations, agents holding fewer of its channel come first.
    pub(crate) fn index_agent(&mut self, agent: usize) {
        for m in 0..self.agents[agent].memberships.len() {
            let queue = self.agents[agent].memberships[m].queue;
            let channel = self.queues[queue].channel;
            if !self.may_offer(agent, channel) {
                continue;
            }
            let a = &mut self.agents[agent];
            // Idle for a channel: since the agent's status last changed (it became ready, say)
            // or it last took or freed a place of the channel, whichever came later.
            let (since, load) = match channel {
                None => (a.since, 0),
                Some(c) => (a.since.max(a.channel_since[c]), a.conversations[c]),
            };
            let m = &mut a.memberships[m];
            let queue = &mut self.queues[queue];
            let key =
                queue.available_key(since, load, m.position, m.answered_today, m.talk_ms_today);
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
