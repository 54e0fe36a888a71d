//! A new configuration for a running core: what an operator's reload changes while calls go on.
//!
//! What may change, and from when:
//!
//! - A queue's parameters (name, strategy, service level, maximum wait, maximum length, ring
//!   timeout, wrap-up, weight, minimum skill, escalation) apply to offers, wrap-ups and arrivals
//!   from now on. An offer already ringing keeps its ring deadline and an agent already in
//!   wrap-up keeps its wrap-up deadline. A call already waiting keeps the skill level it has
//!   reached (a new `min_skill` is for calls that arrive from now on); if the queue's escalation
//!   or maximum wait changed, the new steps apply to it from its wait so far: steps already due
//!   run at once (a widening step only ever lowers its level), the next is scheduled. Available
//!   agents are re-ordered under a new strategy. A new service-level threshold counts calls from
//!   now on (today's window mixes both), and the wait histograms get a bucket at it.
//! - New queues and new agents are added after the existing ones; a new agent is logged out.
//! - An existing agent may get skills in more queues (appended to its round-robin order) and
//!   other skill levels; a logged-in agent counts in a new queue's figures at once, and an
//!   available one may be offered a waiting call at once.
//! - Not-ready reasons are replaced. An agent not ready with a reason that was removed keeps
//!   it until its state changes (and a pending state keeps it too); nobody can pick it again.
//! - The reject delay, the ring-no-answer limit and the longest wrap-up extension apply from now
//!   on.
//! - Messaging channels may be added; a channel's name, capacity and exclusivity, an agent's
//!   capacity and `voice_exclusive` apply to offers from now on. An agent holding more
//!   conversations than a lowered capacity keeps them and is offered no more until it holds
//!   fewer.
//!
//! What may not: removing a queue, an agent or a channel (a changed id is a removal and an
//! addition), a queue routing another channel, an agent losing a skill, another time zone,
//! another rolling window. These are refused, and a
//! refused configuration changes nothing, not even the event queue.

use jiff::Timestamp;

use super::Acd;
use super::agent::{Agent, AgentStatus, Membership};
use super::call::CallState;
use super::config::{Config, ConfigError, Escalation, QueueConfig};
use super::ids::{ChannelId, QueueId, ReasonCode};
use super::queue::Queue;
use super::stats::Places;

impl Acd {
    /// Runs on `config` from `now` on, after everything due by then. See the module
    /// documentation for what may change; on error nothing changed.
    pub fn reconfigure(&mut self, config: Config, now: Timestamp) -> Result<(), ConfigError> {
        self.check(&config)?;
        self.advance(now);

        // Agents free for work leave the available indexes while queues and skills change
        // under them, and are routed again at the end under the new rules.
        let available: Vec<usize> = (0..self.agents.len())
            .filter(|&agent| {
                self.agents[agent]
                    .memberships
                    .iter()
                    .any(|m| m.indexed.is_some())
            })
            .collect();
        for &agent in &available {
            self.unindex_agent(agent);
        }

        for channel in &config.channels {
            match self.channels.iter_mut().find(|c| c.id == channel.id) {
                Some(running) => running.exclusive = channel.exclusive,
                None => {
                    self.channels.push(super::conversation::Channel {
                        id: channel.id.clone(),
                        exclusive: channel.exclusive,
                    });
                    for agent in &mut self.agents {
                        agent.conversations.push(0);
                        agent.channel_since.push(self.now);
                    }
                }
            }
        }

        // New lanes (of new queues, or new channels of a queue) go after the existing ones, in
        // the order the configuration lists them.
        let lane_of: Vec<usize> = {
            let mut next = self.queues.len();
            config
                .queues
                .iter()
                .map(|queue| {
                    let channel = self.channel_index(queue.channel.as_ref());
                    self.lane(&queue.id, channel).unwrap_or_else(|_| {
                        next += 1;
                        next - 1
                    })
                })
                .collect()
        };
        for (queue, &lane) in config.queues.iter().zip(&lane_of) {
            if lane >= self.queues.len() {
                self.lanes.entry(queue.id.clone()).or_default().push(lane);
            }
        }
        // Every lane of the new configuration, by queue and channel: overflow targets may be
        // lanes that are still to be added.
        let lane_by_key: LaneByKey = config
            .queues
            .iter()
            .zip(&lane_of)
            .map(|(queue, &lane)| ((&queue.id, queue.channel.as_ref()), lane))
            .collect();
        let mut resettle = Vec::new();
        for (queue, &index) in config.queues.iter().zip(&lane_of) {
            let (max_wait, escalation) = overflow_targets(queue, &lane_by_key);
            if index == self.queues.len() {
                let channel = self.channel_index(queue.channel.as_ref());
                self.queues
                    .push(Queue::new(queue.clone(), channel, max_wait, escalation));
                self.stats
                    .add_queue(queue.service_level.threshold, self.now);
                self.dirty.flags.push(false);
                self.dirty.mark(index);
                continue;
            }
            let running = &mut self.queues[index];
            if running.config == *queue {
                continue;
            }
            let old = std::mem::replace(&mut running.config, queue.clone());
            running.max_wait_overflow = max_wait;
            running.escalation_overflow = escalation;
            if old.service_level.threshold != queue.service_level.threshold {
                self.stats
                    .threshold_changed(index, queue.service_level.threshold);
            }
            if old.escalation != queue.escalation || old.max_wait != queue.max_wait {
                resettle.push(index);
            }
            self.dirty.mark(index);
        }

        for agent in &config.agents {
            match self.agent_by_id.get(&agent.id).copied() {
                Some(index) => {
                    self.agents[index].name = agent.name.clone();
                    for (queue, skill) in &agent.skills {
                        for lane in self.lanes[queue].clone() {
                            self.set_skill(index, lane, *skill);
                        }
                    }
                }
                None => {
                    let index = self.agents.len();
                    self.agents.push(Agent::logged_out(
                        agent.id.clone(),
                        agent.name.clone(),
                        Vec::new(),
                        Vec::new(),
                        self.now,
                    ));
                    self.agent_by_id.insert(agent.id.clone(), index);
                    for (queue, skill) in &agent.skills {
                        for lane in self.lanes[queue].clone() {
                            self.set_skill(index, lane, *skill);
                        }
                    }
                }
            }
        }

        for agent in &config.agents {
            let index = self.agent_by_id[&agent.id];
            // In the running order of the channels (a reload appends new ones), whatever order
            // the file lists them in.
            let order: Vec<_> = self.channels.iter().map(|c| c.id.clone()).collect();
            self.agents[index].capacity = super::capacities(&order, &config.channels, agent);
            let channels = self.channels.len();
            let a = &mut self.agents[index];
            a.conversations.resize(channels, 0);
            a.channel_since.resize(channels, self.now);
        }

        self.reasons = config
            .not_ready_reasons
            .iter()
            .map(|r| r.code.clone())
            .chain(ReasonCode::SYSTEM.map(ReasonCode::new))
            .collect();
        self.reason_list = config.not_ready_reasons;
        self.name = config.name;
        self.alerts = config.alerts;
        self.telephony = config.telephony;
        self.data_labels = config.data_labels;
        self.routing = config.routing;

        // Waiting calls of queues whose escalation or maximum wait changed, in arrival order:
        // the new steps apply from each call's wait so far. No agent is available meanwhile, so
        // none of them is offered yet; the agents' routing below does that.
        let mut waiting: Vec<(u64, _)> = self
            .calls
            .iter()
            .filter(|(_, call)| {
                matches!(call.state, CallState::Waiting { .. }) && resettle.contains(&call.queue)
            })
            .map(|(slot, call)| (call.seq, slot))
            .collect();
        waiting.sort_unstable();
        for (_, slot) in waiting {
            let still_waiting = self.calls.get_mut(slot).filter(|call| {
                matches!(call.state, CallState::Waiting { .. }) && resettle.contains(&call.queue)
            });
            if let Some(call) = still_waiting {
                call.next_step = 0;
                self.settle_waiting(slot);
            }
        }

        // Every logged-in agent, not only those free before: a higher capacity, a channel no
        // longer exclusive or `voice_exclusive` off can make a busy agent free for a
        // conversation.
        for agent in 0..self.agents.len() {
            if *self.agents[agent].status() != AgentStatus::LoggedOut {
                self.refresh_agent(agent);
            }
        }
        self.purge_stale_timers();
        Ok(())
    }

    /// Whether [`Acd::reconfigure`] would take `config`, without changing anything: what a
    /// journal checks before it records a reconfiguration.
    pub fn check(&self, config: &Config) -> Result<(), ConfigError> {
        config.validate()?;
        self.check_reconfigure(config)
    }

    /// Refuses what cannot change while the core runs. Reads only.
    fn check_reconfigure(&self, config: &Config) -> Result<(), ConfigError> {
        let refuse = |what: &str, problem: String| ConfigError {
            what: what.to_owned(),
            problem,
        };
        if config.time_zone != *self.stats.time_zone() {
            return Err(refuse(
                "time_zone",
                "cannot change while the ACD runs: today's windows are counted in the old one"
                    .to_owned(),
            ));
        }
        if config.routing.rolling_window != self.routing.rolling_window {
            return Err(refuse(
                "routing.rolling_window",
                "cannot change while the ACD runs: the window's samples are kept for the old one"
                    .to_owned(),
            ));
        }
        for channel in &self.channels {
            if !config.channels.iter().any(|c| c.id == channel.id) {
                return Err(refuse(
                    "channels",
                    format!(
                        "channel `{}` was removed; a running ACD cannot remove a channel",
                        channel.id
                    ),
                ));
            }
        }
        for queue in &self.queues {
            let Some(at) = config.queues.iter().position(|q| q.id == queue.config.id) else {
                return Err(refuse(
                    "queues",
                    format!(
                        "queue `{}` was removed; a running ACD cannot remove a queue",
                        queue.config.id
                    ),
                ));
            };
            if !config
                .queues
                .iter()
                .any(|q| q.id == queue.config.id && q.channel == queue.config.channel)
            {
                return Err(refuse(
                    &format!("queues[{at}].channel"),
                    format!(
                        "queue `{}` cannot stop routing {} while the ACD runs (it may route \
                         more channels)",
                        queue.config.id,
                        queue.config.channel_name()
                    ),
                ));
            }
        }
        for agent in &self.agents {
            let Some((at, configured)) = config
                .agents
                .iter()
                .enumerate()
                .find(|(_, a)| a.id == agent.id)
            else {
                return Err(refuse(
                    "agents",
                    format!(
                        "agent `{}` was removed; a running ACD cannot remove an agent",
                        agent.id
                    ),
                ));
            };
            for membership in &agent.memberships {
                let queue = &self.queues[membership.queue].config.id;
                if !configured.skills.iter().any(|(q, _)| q == queue) {
                    return Err(refuse(
                        &format!("agents[{at}].skills"),
                        format!(
                            "agent `{}` lost its skill in queue `{queue}`; a running ACD cannot \
                             take a skill away",
                            agent.id
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Every lane of a configuration by its queue and channel.
pub(crate) type LaneByKey<'a> =
    std::collections::HashMap<(&'a QueueId, Option<&'a ChannelId>), usize>;

/// Where a lane's maximum wait and escalation steps send work, as lane indexes: the target's
/// lane of the same channel, from every lane of the configuration by queue and channel (at
/// start, and at a reload, where targets may be lanes still to be added).
pub(crate) fn overflow_targets(
    queue: &QueueConfig,
    lanes: &LaneByKey,
) -> (Option<usize>, Vec<Option<usize>>) {
    let lane = |to: &QueueId| lanes[&(to, queue.channel.as_ref())];
    let max_wait = queue
        .max_wait
        .as_ref()
        .and_then(|m| m.overflow_to.as_ref())
        .map(lane);
    let escalation = queue
        .escalation
        .iter()
        .map(|step| match &step.action {
            Escalation::Overflow { to } => Some(lane(to)),
            Escalation::Widen { .. } => None,
        })
        .collect();
    (max_wait, escalation)
}

impl Acd {
    /// Gives an agent (not in any available index) a skill level in a queue: a new membership
    /// goes last in the queue's round-robin order, and a logged-in agent counts in the queue's
    /// figures from now on.
    fn set_skill(&mut self, agent: usize, queue: usize, skill: u8) {
        if let Some(m) = self.agents[agent].membership_of(queue) {
            self.agents[agent].memberships[m].skill = skill;
            return;
        }
        let position = self
            .agents
            .iter()
            .flat_map(|a| &a.memberships)
            .filter(|m| m.queue == queue)
            .map(|m| m.position + 1)
            .max()
            .unwrap_or(0);
        self.agents[agent].memberships.push(Membership {
            queue,
            skill,
            position,
            answered_today: 0,
            talk_ms_today: 0,
            indexed: None,
        });
        let status = self.agents[agent].status();
        if *status != AgentStatus::LoggedOut {
            let state = (status.kind(), status.reason());
            self.stats.agent_joined(self.now, queue, state);
        }
        // Its places counted so far are in its other queues; this one counts them from now.
        let counted = self.queues[queue]
            .channel
            .and_then(|c| self.agents[agent].counted_places.get(c).copied());
        if let Some(places) = counted {
            self.stats
                .places_moved(self.now, [queue].into_iter(), Places::default(), places);
        }
        self.dirty.mark(queue);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use jiff::tz::TimeZone;

    use super::*;
    use crate::config::{
        AgentConfig, EscalationStep, MaxWait, ReasonConfig, RoutingConfig, Strategy,
    };
    use crate::event::{CallLeftReason, Event};
    use crate::{AgentId, CallData, CallId, CallStatus, Command, QueueId, RequestedState};

    fn start() -> Timestamp {
        "2026-03-10T09:00:00+01:00".parse().unwrap()
    }

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    /// Queue `support` (ring 30 s), agents `ann` and `bob` in it, reasons `break` and `lunch`.
    fn config() -> Config {
        Config {
            name: "acme".into(),
            time_zone: TimeZone::get("Europe/Berlin").unwrap(),
            queues: vec![QueueConfig::new("support")],
            agents: ["ann", "bob"]
                .map(|id| AgentConfig {
                    id: AgentId::from(id),
                    name: id.to_owned(),
                    skills: vec![(QueueId::from("support"), 3)],
                    capacity: Vec::new(),
                })
                .into(),
            not_ready_reasons: ["break", "lunch"]
                .map(|code| ReasonConfig {
                    code: ReasonCode::new(code),
                    label: code.to_owned(),
                })
                .into(),
            routing: RoutingConfig::default(),
            alerts: Default::default(),
            data_labels: Vec::new(),
            telephony: Default::default(),
            channels: Vec::new(),
        }
    }

    /// Applies a command at `at`, checks the invariants, and returns the events it caused.
    fn run(acd: &mut Acd, command: Command, at: Timestamp) -> Vec<Event> {
        acd.handle(command, at)
            .unwrap_or_else(|e| panic!("refused: {e}"));
        checked_events(acd)
    }

    fn checked_events(acd: &mut Acd) -> Vec<Event> {
        acd.check_invariants().unwrap();
        std::iter::from_fn(|| acd.poll_event()).collect()
    }

    fn login_ready(acd: &mut Acd, agent: &str, at: Timestamp) {
        let agent = AgentId::from(agent);
        run(
            acd,
            Command::Login {
                agent: agent.clone(),
            },
            at,
        );
        let ready = RequestedState::Ready;
        run(
            acd,
            Command::SetState {
                agent,
                state: ready,
            },
            at,
        );
    }

    fn arrive(acd: &mut Acd, call: &str, queue: &str, at: Timestamp) -> Vec<Event> {
        let command = Command::CallArrived {
            arrived_at: None,
            call: CallId::from(call),
            queue: QueueId::from(queue),
            priority: 0,
            data: CallData::default(),
        };
        run(acd, command, at)
    }

    fn reconfigure(acd: &mut Acd, config: Config, at: Timestamp) -> Vec<Event> {
        acd.reconfigure(config, at)
            .unwrap_or_else(|e| panic!("refused: {e}"));
        checked_events(acd)
    }

    fn ring_deadline(acd: &Acd, call: &str) -> Timestamp {
        match acd.call(&CallId::from(call)).unwrap().status {
            CallStatus::Ringing { ring_deadline, .. } => ring_deadline,
            other => panic!("{call} is {other:?}"),
        }
    }

    fn offered_to(events: &[Event]) -> Vec<(String, String)> {
        events
            .iter()
            .filter_map(|event| match event {
                Event::CallOffered { call, agent, .. } => {
                    Some((call.to_string(), agent.to_string()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_new_ring_timeout_applies_to_the_next_offer_and_a_running_ring_keeps_its_deadline() {
        let t0 = start();
        let mut acd = Acd::new(config(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        arrive(&mut acd, "c1", "support", t0);
        assert_eq!(ring_deadline(&acd, "c1"), t0 + secs(30));

        let mut faster = config();
        faster.queues[0].ring_timeout = secs(10);
        let t1 = t0 + secs(5);
        reconfigure(&mut acd, faster, t1);
        assert_eq!(ring_deadline(&acd, "c1"), t0 + secs(30), "the ring runs on");

        login_ready(&mut acd, "bob", t1);
        arrive(&mut acd, "c2", "support", t1);
        assert_eq!(ring_deadline(&acd, "c2"), t1 + secs(10), "the next offer");
    }

    #[test]
    fn a_new_queue_and_a_new_agent_can_take_calls_and_a_new_agent_starts_logged_out() {
        let t0 = start();
        let mut acd = Acd::new(config(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        let mut more = config();
        more.queues.push(QueueConfig::new("billing"));
        more.agents.push(AgentConfig {
            id: AgentId::from("cat"),
            name: "Cat".to_owned(),
            skills: vec![(QueueId::from("billing"), 2)],
            capacity: Vec::new(),
        });
        let t1 = t0 + secs(60);
        let events = reconfigure(&mut acd, more, t1);
        assert!(
            events.iter().any(|event| matches!(
                event,
                Event::QueueChanged { queue, .. } if queue.as_str() == "billing"
            )),
            "{events:?}"
        );
        let ids: Vec<&str> = acd.queue_ids().map(QueueId::as_str).collect();
        assert_eq!(ids, ["support", "billing"]);
        let cat = acd.agent(&AgentId::from("cat")).unwrap();
        assert_eq!(cat.status, AgentStatus::LoggedOut);
        assert_eq!(cat.skills, [(QueueId::from("billing"), 2)]);

        let waiting = arrive(&mut acd, "c1", "billing", t1);
        assert!(offered_to(&waiting).is_empty(), "nobody serves billing yet");
        login_ready(&mut acd, "cat", t1 + secs(1));
        assert_eq!(ring_deadline(&acd, "c1"), t1 + secs(31));
        let stats = acd.queue_stats(&QueueId::from("billing")).unwrap();
        assert_eq!(stats.stats.lifetime.offered, 1);
        assert_eq!(stats.stats.agents.ringing, 1);
    }

    #[test]
    fn an_available_agent_given_a_new_skill_is_offered_a_waiting_call_at_once() {
        let t0 = start();
        let mut two = config();
        two.queues.push(QueueConfig::new("sales"));
        let mut acd = Acd::new(two.clone(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        run(
            &mut acd,
            Command::Login {
                agent: AgentId::from("bob"),
            },
            t0,
        );
        arrive(&mut acd, "c1", "sales", t0);

        two.agents[0].skills.push((QueueId::from("sales"), 2));
        two.agents[1].skills.push((QueueId::from("sales"), 4));
        let events = reconfigure(&mut acd, two, t0 + secs(20));
        assert_eq!(offered_to(&events), [("c1".to_owned(), "ann".to_owned())]);
        let sales = acd.queue_stats(&QueueId::from("sales")).unwrap();
        assert_eq!(sales.stats.agents.logged_in, 2, "ann and bob (not ready)");
        assert_eq!(sales.stats.agents.not_ready, 1);
        assert_eq!(sales.stats.agents.ringing, 1);
    }

    #[test]
    fn a_higher_skill_level_lets_an_agent_take_a_call_it_could_not() {
        let t0 = start();
        let mut strict = config();
        strict.queues[0].min_skill = 4;
        let mut acd = Acd::new(strict.clone(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        assert!(offered_to(&arrive(&mut acd, "c1", "support", t0)).is_empty());
        strict.agents[0].skills[0].1 = 5;
        let events = reconfigure(&mut acd, strict, t0 + secs(1));
        assert_eq!(offered_to(&events), [("c1".to_owned(), "ann".to_owned())]);
    }

    #[test]
    fn what_a_running_acd_cannot_change_is_refused_and_changes_nothing() {
        let t0 = start();
        let mut two = config();
        two.queues.push(QueueConfig::new("sales"));
        let mut acd = Acd::new(two.clone(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        arrive(&mut acd, "c1", "support", t0);
        let before = format!("{acd:?}");

        let mut no_sales = two.clone();
        no_sales.queues.pop();
        let mut renamed = two.clone();
        renamed.agents[1].id = AgentId::from("robert");
        let mut unskilled = two.clone();
        unskilled.agents[0].skills.clear();
        let mut elsewhere = two.clone();
        elsewhere.time_zone = TimeZone::get("America/New_York").unwrap();
        let mut longer = two.clone();
        longer.routing.rolling_window = secs(3600);
        let mut invalid = two.clone();
        invalid.queues[0].ring_timeout = Duration::ZERO;
        for (config, what, problem) in [
            (no_sales, "queues", "queue `sales` was removed"),
            (renamed, "agents", "agent `bob` was removed"),
            (
                unskilled,
                "agents[0].skills",
                "lost its skill in queue `support`",
            ),
            (elsewhere, "time_zone", "cannot change"),
            (longer, "routing.rolling_window", "cannot change"),
            (invalid, "queues[0].ring_timeout", "more than 0"),
        ] {
            let error = acd.reconfigure(config, t0 + secs(90)).unwrap_err();
            assert_eq!(error.what, what, "{error}");
            assert!(error.problem.contains(problem), "{error}");
            assert_eq!(format!("{acd:?}"), before, "{what}: nothing changed");
        }
    }

    #[test]
    fn reasons_are_replaced_and_an_agent_keeps_a_removed_one_until_it_changes() {
        let t0 = start();
        let mut acd = Acd::new(config(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        let lunch = ReasonCode::new("lunch");
        let not_ready = |reason: &ReasonCode| Command::SetState {
            agent: AgentId::from("ann"),
            state: RequestedState::NotReady {
                reason: reason.clone(),
            },
        };
        run(&mut acd, not_ready(&lunch), t0);

        let mut other = config();
        other.not_ready_reasons = vec![ReasonConfig {
            code: ReasonCode::new("training"),
            label: "Training".to_owned(),
        }];
        let t1 = t0 + secs(10);
        reconfigure(&mut acd, other, t1);
        let ann = acd.agent(&AgentId::from("ann")).unwrap();
        assert_eq!(
            ann.status,
            AgentStatus::NotReady {
                reason: lunch.clone()
            }
        );
        let codes: Vec<&str> = acd
            .not_ready_reasons()
            .iter()
            .map(|r| r.code.as_str())
            .collect();
        assert_eq!(codes, ["training"]);
        let refused = acd.handle(not_ready(&ReasonCode::new("break")), t1);
        assert_eq!(refused.unwrap_err().code(), "unknown_reason");
        run(&mut acd, not_ready(&ReasonCode::new("training")), t1);
        let no_answer = not_ready(&ReasonCode::new(ReasonCode::NO_ANSWER));
        run(&mut acd, no_answer, t1);
    }

    #[test]
    fn a_new_strategy_reorders_the_available_agents() {
        let t0 = start();
        let mut acd = Acd::new(config(), t0).unwrap();
        // Bob has been ready longest; ann comes first in the queue's member order.
        login_ready(&mut acd, "bob", t0);
        login_ready(&mut acd, "ann", t0 + secs(30));
        let mut round_robin = config();
        round_robin.queues[0].strategy = Strategy::RoundRobin;
        reconfigure(&mut acd, round_robin, t0 + secs(40));
        let events = arrive(&mut acd, "c1", "support", t0 + secs(41));
        assert_eq!(offered_to(&events), [("c1".to_owned(), "ann".to_owned())]);
    }

    #[test]
    fn a_shorter_maximum_wait_applies_to_calls_already_waiting() {
        let t0 = start();
        let mut two = config();
        two.queues.push(QueueConfig::new("sales"));
        let mut acd = Acd::new(two.clone(), t0).unwrap();
        arrive(&mut acd, "c1", "support", t0);
        arrive(&mut acd, "c2", "support", t0 + secs(50));

        two.queues[0].max_wait = Some(MaxWait {
            after: secs(30),
            overflow_to: None,
        });
        two.queues[0].escalation = vec![EscalationStep {
            after: secs(20),
            action: Escalation::Overflow {
                to: QueueId::from("sales"),
            },
        }];
        let t1 = t0 + secs(60);
        let events = reconfigure(&mut acd, two, t1);
        // c1 has waited 60 s: the overflow step (20 s) is due and moves it. c2 has waited 10 s:
        // it overflows when it has waited 20 s.
        assert!(events.iter().any(|e| matches!(
            e,
            Event::CallOverflowed { call, .. } if call.as_str() == "c1"
        )));
        assert_eq!(
            acd.call(&CallId::from("c1")).unwrap().queue.as_str(),
            "sales"
        );
        assert_eq!(acd.poll_timeout(), t0 + secs(70));
        acd.handle_timeout(t0 + secs(70));
        let events = checked_events(&mut acd);
        assert!(events.iter().any(|e| matches!(
            e,
            Event::CallOverflowed { call, .. } if call.as_str() == "c2"
        )));
        assert!(!events.iter().any(|e| matches!(
            e,
            Event::CallLeft {
                reason: CallLeftReason::TimedOut,
                ..
            }
        )));
    }

    #[test]
    fn a_new_threshold_gets_a_bucket_and_counts_answers_from_now_on() {
        let t0 = start();
        let mut acd = Acd::new(config(), t0).unwrap();
        let mut tighter = config();
        tighter.queues[0].service_level.threshold = secs(12);
        reconfigure(&mut acd, tighter, t0);
        let support = QueueId::from("support");
        let bounds: Vec<f64> = acd
            .queue_histograms(&support)
            .unwrap()
            .answer_wait
            .buckets()
            .map(|(bound, _)| bound)
            .collect();
        assert!(
            bounds.contains(&12.0) && bounds.contains(&20.0),
            "{bounds:?}"
        );

        arrive(&mut acd, "c1", "support", t0);
        login_ready(&mut acd, "ann", t0 + secs(15));
        let answered = Command::CallAnswered {
            call: CallId::from("c1"),
        };
        run(&mut acd, answered, t0 + secs(16));
        let figures = acd.queue_stats(&support).unwrap().stats.lifetime;
        assert_eq!(figures.answered, 1);
        assert_eq!(figures.answered_within_threshold, 0, "15 s is over 12 s");
    }

    #[test]
    fn the_same_configuration_again_changes_nothing_but_time() {
        let t0 = start();
        let mut acd = Acd::new(config(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        arrive(&mut acd, "c1", "support", t0);
        login_ready(&mut acd, "bob", t0);
        let before = format!("{acd:?}");
        let events = reconfigure(&mut acd, config(), t0);
        assert!(events.is_empty(), "{events:?}");
        assert_eq!(format!("{acd:?}"), before);
    }

    /// `config` with channels chat (one at once) and sms, queue `chats` of chat, and ann in it.
    fn with_chat() -> Config {
        let mut config = config();
        config.channels = vec![
            crate::config::ChannelConfig {
                capacity: 1,
                ..crate::config::ChannelConfig::new("chat")
            },
            crate::config::ChannelConfig {
                capacity: 5,
                ..crate::config::ChannelConfig::new("sms")
            },
        ];
        let mut chats = QueueConfig::new("chats");
        chats.channel = Some("chat".into());
        config.queues.push(chats);
        config.agents[0].skills.push((QueueId::from("chats"), 1));
        config
    }

    fn chat(conversation: &str) -> Command {
        Command::ConversationArrived {
            conversation: CallId::from(conversation),
            queue: QueueId::from("chats"),
            channel: None,
            priority: 0,
            data: CallData::default(),
            messages: Vec::new(),
        }
    }

    #[test]
    fn a_higher_capacity_offers_a_waiting_conversation_to_an_agent_at_its_old_one() {
        let t0 = start();
        let mut acd = Acd::new(with_chat(), t0).unwrap();
        login_ready(&mut acd, "ann", t0);
        run(&mut acd, chat("k1"), t0);
        let events = run(&mut acd, chat("k2"), t0);
        assert!(
            !events
                .iter()
                .any(|e| matches!(e, Event::ConversationOffered { .. })),
            "ann holds her one: k2 waits"
        );
        let mut more = with_chat();
        more.channels[0].capacity = 2;
        let events = reconfigure(&mut acd, more, t0 + secs(1));
        assert!(
            events.iter().any(|e| matches!(
                e,
                Event::ConversationOffered { conversation, .. } if conversation.as_str() == "k2"
            )),
            "{events:?}"
        );
    }

    #[test]
    fn channels_listed_in_another_order_keep_each_agents_capacity_for_each() {
        let t0 = start();
        let mut acd = Acd::new(with_chat(), t0).unwrap();
        let mut reordered = with_chat();
        reordered.channels.reverse();
        reconfigure(&mut acd, reordered, t0 + secs(1));
        let places = acd.agent_places(&AgentId::from("ann")).unwrap();
        let capacity = |channel: &str| {
            places
                .iter()
                .find(|(id, _, _)| id.as_str() == channel)
                .unwrap()
                .2
        };
        assert_eq!((capacity("chat"), capacity("sms")), (1, 5));
    }
}
