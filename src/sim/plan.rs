//! What a simulation plays: the callers of each queue and the virtual agents.
//!
//! Plain data with no defaults hidden in the simulator, so that a `[simulation]` section of the
//! configuration file can be turned into a [`SimulatorPlan`] field by field, and so that a test
//! states every assumption it makes.

use std::collections::HashSet;
use std::time::Duration;

use crate::acd::{AgentId, ChannelId, Config, DispositionCode, QueueId};
use crate::config::{CallRate, Patience, SimulatorConfig};

use super::SimError;

/// Callers and virtual agents for one tenant's ACD.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorPlan {
    /// The traffic offered to each queue; a queue not listed gets no simulated calls.
    pub traffic: Vec<QueueTraffic>,
    /// The agents the simulator plays; agents not listed are left to real people.
    pub agents: Vec<VirtualAgent>,
}

/// The calls offered to one queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueTraffic {
    pub queue: QueueId,
    /// The mean arrival rate; arrivals are Poisson (exponential gaps), as Erlang C assumes.
    pub calls_per_hour: f64,
    /// How long an agent talks on a call of this queue before hanging up.
    pub talk_time: TalkTime,
    /// Caller patience: with `Some`, each caller hangs up if not answered by then, after an
    /// exponential time with its mean (the Erlang A model) or after exactly the mean. `None`:
    /// callers wait forever, as Erlang C assumes.
    pub patience: Option<Patience>,
    /// The lane: `None` for calls; a messaging channel for chats (customers who write and wait
    /// for replies, [`super::chats`]), which `calls_per_hour` then counts. A queue of several
    /// channels has a traffic source per lane.
    pub channel: Option<ChannelId>,
    /// The queue's disposition codes: a virtual agent gives one of them to each call it hangs
    /// up (the first most often). Empty: it gives none.
    pub dispositions: Vec<DispositionCode>,
}

/// The distribution of talk times. With no wrap-up the talk time is the whole handle time, the
/// AHT of the Erlang formulas.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum TalkTime {
    /// Exponential with this mean: the M/M/N assumption behind Erlang C.
    Exponential { mean: Duration },
    /// Every call lasts exactly this long: for scripted demos and for seeing how much Erlang C's
    /// exponential assumption matters.
    Constant(Duration),
}

impl TalkTime {
    /// The mean talk time.
    pub fn mean(&self) -> Duration {
        match *self {
            TalkTime::Exponential { mean } => mean,
            TalkTime::Constant(duration) => duration,
        }
    }
}

/// An agent the simulator plays: logs in at the start, goes ready, answers every offer.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualAgent {
    pub agent: AgentId,
    /// How long an offer rings before the agent accepts it. Zero for the Erlang comparison (the
    /// model has no ringing); a few seconds makes a demo wallboard look alive. Counts into the
    /// caller's wait, as a real ring does.
    pub answer_delay: Duration,
    pub wrap_up: WrapUpHabit,
}

/// What the agent does in wrap-up (after-call work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum WrapUpHabit {
    /// Lets the queue's wrap-up run to its deadline.
    #[default]
    RunToDeadline,
    /// Ends wrap-up this long after it started, if that is before the deadline.
    EndAfter(Duration),
}

impl SimulatorPlan {
    /// Checks what the simulator relies on: finite, non-negative rates, talk times and patience
    /// that are not zero (an exponential with mean 0 is no distribution), each lane of a queue
    /// and each agent listed once.
    pub fn validate(&self) -> Result<(), SimError> {
        let mut queues = HashSet::new();
        for traffic in &self.traffic {
            if !queues.insert((&traffic.queue, &traffic.channel)) {
                return Err(SimError::DuplicateQueue(traffic.queue.clone()));
            }
            if !(traffic.calls_per_hour.is_finite() && traffic.calls_per_hour >= 0.0) {
                return Err(SimError::BadRate {
                    queue: traffic.queue.clone(),
                    calls_per_hour: traffic.calls_per_hour,
                });
            }
            if let TalkTime::Exponential { mean } = traffic.talk_time
                && mean.is_zero()
            {
                return Err(SimError::ZeroMean {
                    queue: traffic.queue.clone(),
                    what: "talk time",
                });
            }
            if traffic.patience.is_some_and(|p| p.mean.is_zero()) {
                return Err(SimError::ZeroMean {
                    queue: traffic.queue.clone(),
                    what: "patience",
                });
            }
        }
        let mut agents = HashSet::new();
        for agent in &self.agents {
            if !agents.insert(&agent.agent) {
                return Err(SimError::DuplicateAgent(agent.agent.clone()));
            }
        }
        Ok(())
    }

    /// Checks the plan against the ACD's configuration, so that a mistake fails at start rather
    /// than as a stream of refused commands: every queue and agent must exist, and each virtual
    /// agent must answer before the ring timeout of every queue it serves (an agent that lets
    /// calls ring out is paused by the ACD and would stay paused).
    pub fn check_against(&self, config: &Config) -> Result<(), SimError> {
        for traffic in &self.traffic {
            if !config.queues.iter().any(|q| q.id == traffic.queue) {
                return Err(SimError::UnknownQueue(traffic.queue.clone()));
            }
        }
        for agent in &self.agents {
            let Some(configured) = config.agents.iter().find(|a| a.id == agent.agent) else {
                return Err(SimError::UnknownAgent(agent.agent.clone()));
            };
            for (queue, _) in &configured.skills {
                let ring_timeout = config
                    .queues
                    .iter()
                    .find(|q| &q.id == queue)
                    .map(|q| q.ring_timeout);
                if ring_timeout.is_some_and(|timeout| agent.answer_delay >= timeout) {
                    return Err(SimError::AnswersTooLate {
                        agent: agent.agent.clone(),
                        queue: queue.clone(),
                    });
                }
            }
        }
        Ok(())
    }
}

impl SimulatorPlan {
    /// The plan a configuration file's `[simulator]` section describes for its tenant: Poisson
    /// callers at the configured rates with exponential talk times of mean `aht`, who wait as
    /// long as their patience lets them, or as it takes without one (and, in a conversation
    /// queue, chat customers, [`super::chats`]), and the listed virtual agents, who answer after
    /// `answer_delay` and let wrap-up run to its deadline.
    pub fn from_config(simulator: &SimulatorConfig, acd: &Config) -> SimulatorPlan {
        // One source per lane: a total is shared among the lanes, a queue's own rate is each of
        // its lanes'.
        let lanes: Vec<QueueId> = acd.queues.iter().map(|q| q.id.clone()).collect();
        let rates = simulator.calls_per_hour.per_queue(&lanes);
        let by_lane: Vec<(QueueId, Option<ChannelId>, f64)> = match &simulator.calls_per_hour {
            CallRate::Total(_) => rates
                .into_iter()
                .zip(&acd.queues)
                .map(|((queue, rate), lane)| (queue, lane.channel.clone(), rate))
                .collect(),
            CallRate::PerQueue(_) => rates
                .into_iter()
                .flat_map(|(queue, rate)| {
                    acd.queues
                        .iter()
                        .filter(move |lane| lane.id == queue)
                        .map(move |lane| (lane.id.clone(), lane.channel.clone(), rate))
                })
                .collect(),
        };
        SimulatorPlan {
            traffic: by_lane
                .into_iter()
                .map(|(queue, channel, calls_per_hour)| QueueTraffic {
                    dispositions: acd
                        .queues
                        .iter()
                        .find(|lane| lane.id == queue && lane.channel == channel)
                        .map(|lane| lane.dispositions.iter().map(|d| d.code.clone()).collect())
                        .unwrap_or_default(),
                    // Callers; chat customers' patience is the chat simulation's own.
                    patience: simulator.patience.filter(|_| channel.is_none()),
                    channel,
                    queue,
                    calls_per_hour,
                    talk_time: TalkTime::Exponential {
                        mean: simulator.aht,
                    },
                })
                .collect(),
            agents: simulator
                .virtual_agents
                .iter()
                .map(|agent| VirtualAgent {
                    agent: agent.clone(),
                    answer_delay: simulator.answer_delay,
                    wrap_up: WrapUpHabit::RunToDeadline,
                })
                .collect(),
        }
    }
}
