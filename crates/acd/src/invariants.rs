//! The rules that hold between any two commands, checked by the property tests.

use super::Acd;
use super::agent::AgentStatus;
use super::call::CallState;
use super::consult::ConsultPhase;
use super::stats::Places;

impl Acd {
    /// The lanes of each queue are its entries, one per channel, with its name, and an agent
    /// with a skill in a queue is a member of every lane of it at that level.
    fn check_lanes(&self) -> Result<(), String> {
        if self.lanes != super::lanes_of(self.queues.iter().map(|q| &q.config)) {
            return Err("the lanes do not match the queues".to_owned());
        }
        for lanes in self.lanes.values() {
            let first = &self.queues[lanes[0]];
            for (position, &lane) in lanes.iter().enumerate().skip(1) {
                let queue = &self.queues[lane];
                if queue.config.name != first.config.name {
                    return Err(format!("the lanes of {} differ in name", first.config.id));
                }
                if lanes[..position]
                    .iter()
                    .any(|&l| self.queues[l].channel == queue.channel)
                {
                    return Err(format!("{} has two lanes of one channel", first.config.id));
                }
            }
            for agent in &self.agents {
                let skills: Vec<Option<u8>> = lanes
                    .iter()
                    .map(|&lane| {
                        agent
                            .membership_of(lane)
                            .map(|m| agent.memberships[m].skill)
                    })
                    .collect();
                if skills.iter().any(|skill| *skill != skills[0]) {
                    return Err(format!(
                        "agent {} is not a member of every lane of {} alike",
                        agent.id, first.config.id
                    ));
                }
            }
        }
        Ok(())
    }

    /// Checks every invariant of the model and returns the first one broken. Costs a full scan:
    /// for tests and debugging, not for the hot path.
    #[doc(hidden)]
    pub fn check_invariants(&self) -> Result<(), String> {
        let conversations = self.calls.values().filter(|c| c.conversation.is_some());
        if conversations.count() as u32 != self.calls.conversations() {
            return Err(format!(
                "the calls count {} conversations, wrongly",
                self.calls.conversations()
            ));
        }
        self.check_lanes()?;
        self.check_ticker()?;
        self.check_displays()?;
        let mut waiting = vec![0usize; self.queues.len()];
        let mut ringing = vec![0u32; self.queues.len()];
        let mut held = vec![vec![0u8; self.channels.len()]; self.agents.len()];
        for (slot, call) in self.calls.iter() {
            let channel = call.conversation.as_ref().map(|c| c.channel);
            if self.queues[call.queue].channel != channel {
                return Err(format!(
                    "{} is in queue {} of another channel",
                    call.id, self.queues[call.queue].config.id
                ));
            }
            if let Some(conversation) = &call.conversation {
                if let Some(agent) = call.agent() {
                    held[agent][conversation.channel] += 1;
                }
                if matches!(call.state, CallState::WrapUp { .. })
                    != conversation.closed_at.is_some()
                {
                    return Err(format!("conversation {} is closed only halfway", call.id));
                }
                if let CallState::Ringing { direct: false, .. } = call.state {
                    ringing[call.queue] += 1;
                }
                if let CallState::Waiting { .. } = call.state {
                    waiting[call.queue] += 1;
                    if !self.queues[call.queue].is_waiting(call.min_skill, &call.wait_key(slot)) {
                        return Err(format!("waiting {} is not in its queue's index", call.id));
                    }
                    if let Some(agent) = self.queues[call.queue].best_agent(call.min_skill) {
                        return Err(format!(
                            "conversation {} waits while agent {} may take it",
                            call.id, self.agents[agent].id
                        ));
                    }
                }
                continue;
            }
            match &call.state {
                CallState::Waiting { .. } => {
                    waiting[call.queue] += 1;
                    if !self.queues[call.queue].is_waiting(call.min_skill, &call.wait_key(slot)) {
                        return Err(format!(
                            "waiting call {} is not in its queue's index",
                            call.id
                        ));
                    }
                    if let Some(agent) = self.queues[call.queue].best_agent(call.min_skill) {
                        return Err(format!(
                            "call {} waits while agent {} is available",
                            call.id, self.agents[agent].id
                        ));
                    }
                }
                CallState::Ringing { agent, direct, .. } => {
                    if !direct {
                        ringing[call.queue] += 1;
                    }
                    if *self.agents[*agent].status()
                        != (AgentStatus::Ringing {
                            call: call.id.clone(),
                        })
                    {
                        return Err(format!(
                            "call {} rings at {} which is not ringing with it",
                            call.id, self.agents[*agent].id
                        ));
                    }
                }
                CallState::WrapUp { .. } => {
                    return Err(format!("call {} is in a conversation's wrap-up", call.id));
                }
                CallState::Connected { agent } => {
                    let AgentStatus::OnCall { call: c, on_hold } = self.agents[*agent].status()
                    else {
                        return Err(format!(
                            "call {} is connected to {} which is not on it",
                            call.id, self.agents[*agent].id
                        ));
                    };
                    if *c != call.id {
                        return Err(format!(
                            "call {} is connected to {} which is on {c}",
                            call.id, self.agents[*agent].id
                        ));
                    }
                    // A consultation: the other agent is consulted on this call, ringing while
                    // it rings, and the caller is on hold until it is a conference.
                    if let Some(consult) = &call.consult {
                        let ringing = matches!(consult.phase, ConsultPhase::Ringing { .. });
                        let expected = AgentStatus::Consulted {
                            call: call.id.clone(),
                            ringing,
                        };
                        if consult.agent == *agent
                            || *self.agents[consult.agent].status() != expected
                            || *on_hold == (consult.phase == ConsultPhase::Conference)
                        {
                            return Err(format!(
                                "call {} consults {} who is {:?}, on hold {on_hold}, in {:?}",
                                call.id,
                                self.agents[consult.agent].id,
                                self.agents[consult.agent].status(),
                                consult.phase
                            ));
                        }
                    }
                }
            }
        }
        for (index, agent) in self.agents.iter().enumerate() {
            let holds = match &agent.status() {
                AgentStatus::Ringing { call } => Some((call, true)),
                AgentStatus::OnCall { call, .. } => Some((call, false)),
                _ => None,
            };
            if let Some((id, offer)) = holds {
                let Some(call) = self.calls.slot_of(id).and_then(|slot| self.calls.get(slot))
                else {
                    return Err(format!(
                        "agent {} holds call {id} which does not exist",
                        agent.id
                    ));
                };
                let held_here = match call.state {
                    CallState::Ringing { agent: a, .. } => offer && a == index,
                    CallState::Connected { agent: a } => !offer && a == index,
                    CallState::Waiting { .. } | CallState::WrapUp { .. } => false,
                };
                if !held_here {
                    return Err(format!(
                        "agent {} holds call {id} which is elsewhere",
                        agent.id
                    ));
                }
            }
            for m in &agent.memberships {
                let available = self.may_offer(index, self.queues[m.queue].channel);
                let indexed = m
                    .indexed
                    .is_some_and(|key| self.queues[m.queue].is_available(m.skill, &(key, index)));
                if indexed != available || m.indexed.is_some() != available {
                    return Err(format!(
                        "agent {} available={available} but indexed={indexed} in queue {}",
                        agent.id, self.queues[m.queue].config.id
                    ));
                }
            }
            for (c, channel) in self.channels.iter().enumerate() {
                if agent.conversations[c] != held[index][c] {
                    return Err(format!(
                        "agent {} counts {} conversations of {}, holds {}",
                        agent.id, agent.conversations[c], channel.id, held[index][c]
                    ));
                }
            }
            if agent.conversation_count() > 0 && *agent.status() == AgentStatus::LoggedOut {
                return Err(format!(
                    "agent {} logged out holding conversations",
                    agent.id
                ));
            }
            if let AgentStatus::Consulted { call, .. } = agent.status() {
                let consulted_here = (self.calls.slot_of(call))
                    .and_then(|slot| self.calls[slot].consult.as_ref())
                    .is_some_and(|consult| consult.agent == index);
                if !consulted_here {
                    return Err(format!(
                        "agent {} is consulted on {call}, which does not consult it",
                        agent.id
                    ));
                }
            }
            // The call's own agent handles it; a consulted agent does not.
            if matches!(
                agent.status(),
                AgentStatus::OnCall { .. } | AgentStatus::WrapUp { .. }
            ) != agent.handling.is_some()
            {
                return Err(format!(
                    "agent {} is {} with handling={}",
                    agent.id,
                    agent.status().kind(),
                    agent.handling.is_some()
                ));
            }
            // Supervisors are on a call only while the agent is on it, each once, at most four.
            let supervisors: std::collections::BTreeSet<&str> = agent
                .monitors
                .iter()
                .map(|m| m.supervisor.as_str())
                .collect();
            if !agent.monitors.is_empty()
                && (!matches!(
                    agent.status(),
                    AgentStatus::OnCall { .. } | AgentStatus::Consulted { ringing: false, .. }
                ) || supervisors.len() != agent.monitors.len()
                    || agent.monitors.len() > super::MAX_MONITORS)
            {
                return Err(format!(
                    "agent {} is {} with supervisors {:?}",
                    agent.id,
                    agent.status().kind(),
                    agent.monitors
                ));
            }
        }
        for (index, queue) in self.queues.iter().enumerate() {
            if queue.waiting_count() != waiting[index] || queue.index_sizes().0 != waiting[index] {
                return Err(format!(
                    "queue {} counts {} waiting, {} are",
                    queue.config.id,
                    queue.waiting_count(),
                    waiting[index]
                ));
            }
            if queue.ringing != ringing[index] {
                return Err(format!(
                    "queue {} counts {} ringing, {} are",
                    queue.config.id, queue.ringing, ringing[index]
                ));
            }
            let f = &self.stats.queue(index, self.now).lifetime;
            let outcomes =
                f.answered + f.abandoned + f.short_abandoned + f.overflowed + f.timed_out;
            if f.offered != outcomes + waiting[index] as u64 + ringing[index] as u64 {
                return Err(format!(
                    "queue {}: offered {} != answered {} + abandoned {} + short {} + overflowed {} + timed out {} + waiting {} + ringing {}",
                    queue.config.id,
                    f.offered,
                    f.answered,
                    f.abandoned,
                    f.short_abandoned,
                    f.overflowed,
                    f.timed_out,
                    waiting[index],
                    ringing[index]
                ));
            }
            let counted = &self.stats.queue(index, self.now).agents;
            let members = self
                .agents
                .iter()
                .filter(|a| a.membership_of(index).is_some());
            let logged_in = members
                .filter(|a| *a.status() != AgentStatus::LoggedOut)
                .count() as u32;
            if counted.logged_in != logged_in {
                return Err(format!(
                    "queue {} counts {} agents logged in, {logged_in} are",
                    queue.config.id, counted.logged_in
                ));
            }
            // Places: the statistics count every member's places of the queue's channel as
            // they are now (each agent's count of a channel was checked against what it holds
            // above).
            let mut places = Places::default();
            if let Some(c) = queue.channel {
                for (a, agent) in self.agents.iter().enumerate() {
                    if agent.membership_of(index).is_some() {
                        places.add(self.places_of(a, c), true);
                    }
                }
            }
            let counted = self.stats.queue(index, self.now).places;
            if counted != places {
                return Err(format!(
                    "queue {} counts places {counted:?}, they are {places:?}",
                    queue.config.id
                ));
            }
        }
        Ok(())
    }
}
