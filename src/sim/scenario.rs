//! The Erlang C setting (and, with impatient callers, Erlang A's) as a ready-made ACD
//! configuration and simulator plan, shared by `acdhub simulate` and the queueing-theory tests
//! so that both check the same thing.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::acd::config::{AgentConfig, QueueConfig, RoutingConfig};
use crate::acd::{AgentId, Config, QueueId};
use crate::config::{Patience, PatienceDistribution};
use crate::erlang::{ErlangA, ErlangError, Prediction};

use super::plan::{QueueTraffic, SimulatorPlan, TalkTime, VirtualAgent, WrapUpHabit};

/// One queue and N identical agents who answer at once and have no wrap-up; Poisson callers who
/// never hang up, or (with `patience`) hang up after an exponential or a fixed patience;
/// exponential talk times. The M/M/N queue Erlang C describes (M/M/N+M, Erlang A's, with
/// exponential patience), played through the real ACD core.
#[derive(Debug, Clone, PartialEq)]
pub struct ErlangScenario {
    pub agents: u32,
    pub calls_per_hour: f64,
    /// The mean talk time, which is the AHT since there is no wrap-up.
    pub average_handle_time: Duration,
    /// The service-level threshold T.
    pub threshold: Duration,
    /// The callers' patience; `None`: they never hang up.
    pub patience: Option<Patience>,
}

/// What queueing theory predicts for a scenario: Erlang C, or Erlang A with impatient callers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Model {
    C(Prediction),
    A(ErlangA),
}

impl Model {
    pub fn name(&self) -> &'static str {
        match self {
            Model::C(_) => "Erlang C",
            Model::A(_) => "Erlang A",
        }
    }

    pub fn traffic(&self) -> f64 {
        match self {
            Model::C(p) => p.traffic,
            Model::A(a) => a.traffic,
        }
    }
}

impl ErlangScenario {
    /// The queue's id.
    pub const QUEUE: &'static str = "support";

    /// When simulated time starts: a Monday at midnight UTC, so "today" in the statistics is
    /// a whole day. Any instant would do; a fixed one keeps runs identical.
    pub const START: Timestamp = Timestamp::constant(1_736_121_600, 0); // 2025-01-06T00:00:00Z

    /// The worked example of ACD-REFERENCE.md: 360 calls per 30 minutes, AHT 240 s, 55 agents,
    /// T = 15 s.
    pub fn worked_example() -> ErlangScenario {
        ErlangScenario {
            agents: 55,
            calls_per_hour: 720.0,
            average_handle_time: Duration::from_secs(240),
            threshold: Duration::from_secs(15),
            patience: None,
        }
    }

    /// [`Self::QUEUE`] as an id, for commands and statistics look-ups.
    pub fn queue_id() -> QueueId {
        QueueId::new(Self::QUEUE)
    }

    /// Agent ids `agent-001`, `agent-002`...
    pub fn agent_ids(&self) -> Vec<AgentId> {
        (1..=self.agents)
            .map(|n| AgentId::new(format!("agent-{n:03}")))
            .collect()
    }

    /// The ACD configuration: longest-idle routing (any work-conserving strategy gives the same
    /// waits when agents are identical), no wrap-up, no maximum wait, no queue limit.
    pub fn config(&self) -> Config {
        let mut queue = QueueConfig::new(Self::QUEUE);
        queue.name = "Support".into();
        queue.service_level.threshold = self.threshold;
        // Every abandon counts, as in the model: none is set aside as a short one.
        queue.service_level.short_abandon = None;
        queue.wrap_up = Duration::ZERO;
        Config {
            name: "simulate".into(),
            time_zone: TimeZone::UTC,
            queues: vec![queue],
            agents: self
                .agent_ids()
                .into_iter()
                .map(|id| AgentConfig {
                    name: id.to_string(),
                    id,
                    skills: vec![(Self::queue_id(), 1)],
                    capacity: Vec::new(),
                })
                .collect(),
            not_ready_reasons: Vec::new(),
            routing: RoutingConfig::default(),
            alerts: Default::default(),
            telephony: Default::default(),
            data_labels: Vec::new(),
            channels: Vec::new(),
        }
    }

    /// The simulator's plan: answer delay 0 (the model has no ringing), the callers' patience.
    pub fn plan(&self) -> SimulatorPlan {
        SimulatorPlan {
            traffic: vec![QueueTraffic {
                channel: None,
                queue: Self::queue_id(),
                calls_per_hour: self.calls_per_hour,
                talk_time: TalkTime::Exponential {
                    mean: self.average_handle_time,
                },
                patience: self.patience,
                dispositions: Vec::new(),
            }],
            agents: self
                .agent_ids()
                .into_iter()
                .map(|agent| VirtualAgent {
                    agent,
                    answer_delay: Duration::ZERO,
                    wrap_up: WrapUpHabit::RunToDeadline,
                })
                .collect(),
        }
    }

    /// What queueing theory says about this scenario: Erlang A with patience (of the same mean),
    /// else Erlang C. Only a prediction where [`Self::model_predicts`].
    pub fn model(&self) -> Result<Model, ErlangError> {
        match self.patience {
            Some(patience) => ErlangA::new(
                self.calls_per_hour,
                self.average_handle_time.as_secs_f64(),
                patience.mean.as_secs_f64(),
                self.agents,
                self.threshold.as_secs_f64(),
            )
            .map(Model::A),
            None => self.prediction().map(Model::C),
        }
    }

    /// Whether [`Self::model`] describes this queue, so that the measurement should agree with
    /// it. Erlang A assumes exponential patience; with a fixed patience it is a reference of the
    /// same mean, and the difference from it is what the assumption is worth, not an error.
    pub fn model_predicts(&self) -> bool {
        self.patience
            .is_none_or(|p| p.distribution == PatienceDistribution::Exponential)
    }

    /// What Erlang C predicts for this scenario.
    pub fn prediction(&self) -> Result<Prediction, ErlangError> {
        Prediction::new(
            self.calls_per_hour,
            self.average_handle_time.as_secs_f64(),
            self.agents,
            self.threshold.as_secs_f64(),
        )
    }
}
