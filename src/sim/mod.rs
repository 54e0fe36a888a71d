//! A seeded, deterministic simulator of callers and agents, driving the ACD core.
//!
//! It exists to show that the core routes and counts correctly (its figures must agree with
//! Erlang C, see [`crate::erlang`]), to load-test it, and to make a demo contact center look
//! alive.
//!
//! - [`plan`]: what to simulate ([`SimulatorPlan`]): traffic per queue, virtual agents.
//! - [`simulator`]: the [`Simulator`], a sans-I/O state machine like the core: it says when it
//!   next acts, hands out the commands due, and learns from the core's events. It never owns the
//!   [`Acd`](crate::acd::Acd), so a real-time driver can keep the core in its engine task and
//!   feed it the simulator's commands through a channel. [`chats`]: its chat customers, and how
//!   its virtual agents handle their conversations.
//! - [`driver`]: [`run`], the fast driver in simulated time built on that API, and
//!   [`BatchedRun`] for a warm-up plus batches.
//! - [`measure`]: results from the core's lifetime statistics plus the simulator's own tally of
//!   calls that waited; warm-ups are discarded by subtracting a [`Snapshot`].
//! - [`rng`]: the simulator's own xoshiro256** generator, so a seed means the same run on every
//!   machine and with every dependency version.
//! - [`play`]: `acdhub simulate`'s two runs, a configured day or one queue against Erlang C.
//! - [`report`]: what those print: the per-queue table, the Erlang C comparison, the run's speed.
//! - [`scenario`]: the Erlang C setting ([`ErlangScenario`]) used by `acdhub simulate` and the
//!   tests.

pub mod chats;
pub mod driver;
pub mod measure;
pub mod plan;
pub mod play;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod simulator;

pub use driver::{BatchedRun, RunSummary, run, run_observed};
pub use measure::{Estimate, Measurement, Period, Scale, Snapshot, WaitTally};
pub use plan::{QueueTraffic, SimulatorPlan, TalkTime, VirtualAgent, WrapUpHabit};
pub use scenario::{ErlangScenario, Model};
pub use simulator::Simulator;

use crate::acd::{AgentId, QueueId};

/// A plan the simulator cannot play.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SimError {
    #[error(
        "queue `{queue}`: the call rate must be a finite number of calls per hour, at least 0, not {calls_per_hour}"
    )]
    BadRate { queue: QueueId, calls_per_hour: f64 },
    #[error("queue `{queue}`: the mean {what} must be more than 0 seconds")]
    ZeroMean { queue: QueueId, what: &'static str },
    #[error("queue `{0}` has the traffic of one channel listed twice")]
    DuplicateQueue(QueueId),
    #[error("agent `{0}` is listed twice")]
    DuplicateAgent(AgentId),
    #[error("queue `{0}` is not in the ACD's configuration")]
    UnknownQueue(QueueId),
    #[error("agent `{0}` is not in the ACD's configuration")]
    UnknownAgent(AgentId),
    #[error("agent `{agent}` would answer after the ring timeout of queue `{queue}`")]
    AnswersTooLate { agent: AgentId, queue: QueueId },
}

#[cfg(test)]
mod tests;
