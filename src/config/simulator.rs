//! The `[simulator]` section: simulated callers and virtual agents for one tenant.

use std::collections::HashSet;
use std::time::Duration;

use crate::acd::{AgentId, QueueId};

use super::locate::FieldPath;
use super::raw::{RawCallRate, RawSimulator};
use super::{Problem, TenantConfig, problem, secs};

/// Simulated traffic for one tenant: callers arriving at random and virtual agents who answer,
/// talk and wrap up, so a demo or a load test shows live activity without a telephone system.
/// Plain data; the simulator in [`crate::sim`] decides how to play it.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatorConfig {
    /// The tenant the simulator drives (the first tenant unless the file says otherwise).
    pub tenant: String,
    /// Seeds the random arrivals and handle times, so a run can be repeated exactly.
    pub seed: u64,
    /// How many calls arrive per hour.
    pub calls_per_hour: CallRate,
    /// Average handle time: the mean talk time of a simulated call (wrap-up comes from the
    /// queue's `wrap_up_secs`).
    pub aht: Duration,
    /// How long a virtual agent lets an offer ring before answering it.
    pub answer_delay: Duration,
    /// The agents the simulator logs in and plays; every other agent is left for people.
    pub virtual_agents: Vec<AgentId>,
    /// When the server starts, this much simulated traffic is played at once, as if the server
    /// had been running that long: wallboards open on figures, and the virtual agents have
    /// taken calls already (so a person who logs in is not the last in line). Zero for none.
    pub warm_up: Duration,
    /// How long a simulated caller waits unanswered before hanging up. `None`: callers never
    /// hang up. Chat customers have their own.
    pub patience: Option<Patience>,
}

/// Simulated callers' patience: how long each waits unanswered before hanging up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Patience {
    /// The mean over callers (with `Fixed`, every caller's).
    pub mean: Duration,
    pub distribution: PatienceDistribution,
}

impl Patience {
    /// Exponential patience of this mean: Erlang A's callers.
    pub const fn exponential(mean: Duration) -> Patience {
        Patience {
            mean,
            distribution: PatienceDistribution::Exponential,
        }
    }

    /// Every caller hangs up after exactly `mean`.
    pub const fn fixed(mean: Duration) -> Patience {
        Patience {
            mean,
            distribution: PatienceDistribution::Fixed,
        }
    }
}

/// How the callers' patience spreads around its mean. Real callers are neither: exponential is
/// what Erlang A can predict; fixed shows how much that assumption matters (with the same mean
/// nobody leaves early, so more callers stay in the queue, and longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatienceDistribution {
    /// Each caller's patience drawn from an exponential with the mean: the M/M/N+M queue.
    #[default]
    Exponential,
    /// Every caller waits exactly the mean.
    Fixed,
}

impl PatienceDistribution {
    pub const ALL: [PatienceDistribution; 2] = [
        PatienceDistribution::Exponential,
        PatienceDistribution::Fixed,
    ];

    /// The name in `[simulator] patience_distribution` and `--patience-distribution`.
    pub fn name(self) -> &'static str {
        match self {
            PatienceDistribution::Exponential => "exponential",
            PatienceDistribution::Fixed => "fixed",
        }
    }

    pub fn from_name(name: &str) -> Option<PatienceDistribution> {
        PatienceDistribution::ALL
            .into_iter()
            .find(|d| d.name() == name)
    }
}

/// The simulated arrival rate, in calls per hour.
#[derive(Debug, Clone, PartialEq)]
pub enum CallRate {
    /// One rate for the whole tenant, shared evenly by its queues.
    Total(f64),
    /// A rate for each listed queue; queues not listed get no simulated calls.
    PerQueue(Vec<(QueueId, f64)>),
}

impl CallRate {
    /// The rate of each queue: a total is shared evenly among `queues`, per-queue rates are
    /// returned as written.
    pub fn per_queue(&self, queues: &[QueueId]) -> Vec<(QueueId, f64)> {
        match self {
            CallRate::Total(total) if !queues.is_empty() => {
                let share = total / queues.len() as f64;
                queues.iter().map(|q| (q.clone(), share)).collect()
            }
            CallRate::Total(_) => Vec::new(),
            CallRate::PerQueue(rates) => rates.clone(),
        }
    }
}

/// Checks the section against the tenant it drives: every queue and agent it names must exist.
pub(super) fn build(
    at: &FieldPath,
    raw: RawSimulator,
    tenants: &[TenantConfig],
) -> Result<SimulatorConfig, Problem> {
    let tenant = match &raw.tenant {
        Some(id) => tenants
            .iter()
            .find(|t| &t.id == id)
            .ok_or_else(|| problem(at.key("tenant"), "names no configured tenant"))?,
        None => tenants
            .first()
            .ok_or_else(|| problem(at.key("tenant"), "there is no tenant to simulate"))?,
    };
    let queues: HashSet<&str> = tenant.acd.queues.iter().map(|q| q.id.as_str()).collect();
    let calls_per_hour = match raw.calls_per_hour {
        RawCallRate::Total(rate) => CallRate::Total(rate.0),
        RawCallRate::PerQueue(rates) => {
            let mut per_queue = Vec::with_capacity(rates.len());
            for (queue, rate) in rates {
                if !queues.contains(queue.as_str()) {
                    return Err(problem(
                        at.key("calls_per_hour").key(queue),
                        "names no configured queue",
                    ));
                }
                per_queue.push((QueueId::from(queue), rate.0));
            }
            CallRate::PerQueue(per_queue)
        }
    };
    let agents: HashSet<&str> = tenant.acd.agents.iter().map(|a| a.id.as_str()).collect();
    let mut virtual_agents: Vec<AgentId> = Vec::with_capacity(raw.virtual_agents.len());
    for (index, agent) in raw.virtual_agents.into_iter().enumerate() {
        let field = at.key("virtual_agents").index(index);
        if !agents.contains(agent.as_str()) {
            return Err(problem(field, "names no configured agent"));
        }
        if virtual_agents.iter().any(|a| a.as_str() == agent) {
            return Err(problem(field, "agent listed twice"));
        }
        virtual_agents.push(AgentId::from(agent));
    }
    let distribution = raw.patience_distribution.map(|d| d.0);
    let patience = match (raw.patience_secs, distribution) {
        (Some(s), _) if s.0 == 0 => {
            return Err(problem(
                at.key("patience_secs"),
                "must be more than 0 seconds (leave it out for callers who never hang up)",
            ));
        }
        (Some(s), distribution) => Some(Patience {
            mean: secs(s.0),
            distribution: distribution.unwrap_or_default(),
        }),
        // A distribution of no patience: most likely patience_secs was forgotten, and callers
        // who never hang up are not what the file asks for.
        (None, Some(_)) => {
            return Err(problem(
                at.key("patience_distribution"),
                "needs patience_secs, the mean it spreads around (without it callers never hang up)",
            ));
        }
        (None, None) => None,
    };
    Ok(SimulatorConfig {
        tenant: tenant.id.clone(),
        seed: raw.seed.map_or(DEFAULT_SEED, |s| s.0),
        calls_per_hour,
        aht: raw.aht_secs.map_or(DEFAULT_AHT, |s| secs(s.0)),
        answer_delay: raw
            .answer_delay_secs
            .map_or(DEFAULT_ANSWER_DELAY, |s| secs(s.0)),
        virtual_agents,
        warm_up: raw.warm_up_secs.map_or(Duration::ZERO, |s| secs(s.0)),
        patience,
    })
}

/// The simulator's seed when the file gives none.
pub const DEFAULT_SEED: u64 = 1;
/// The simulated average handle time when the file gives none: three minutes, a typical
/// inbound service call.
pub const DEFAULT_AHT: Duration = Duration::from_secs(180);
/// How long a virtual agent takes to answer when the file does not say.
pub const DEFAULT_ANSWER_DELAY: Duration = Duration::from_secs(2);
