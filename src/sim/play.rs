//! `acdhub simulate`, as the library runs it: a configured contact center's day, or one queue
//! measured against Erlang C. The command line parses its arguments into a [`Simulation`] and
//! prints the report this returns.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::acd::Acd;
use crate::config::{FileConfig, Patience, PatienceDistribution};

use super::report::{erlang_table, queue_table, write_run};
use super::{BatchedRun, ErlangScenario, SimError, Simulator, SimulatorPlan, run};

/// What to simulate.
#[derive(Debug, Clone)]
pub enum Simulation {
    /// A configuration's `[simulator]` section, from 08:00 local time on a fixed Monday, so the
    /// same seed prints the same table on every machine. `origin` names the file in the report.
    Configured {
        file: Box<FileConfig>,
        origin: String,
        hours: f64,
        /// Overrides the configuration's seed.
        seed: Option<u64>,
    },
    /// One queue of `agents` with Poisson arrivals and exponential handle times, measured for
    /// `hours` after `warmup_hours`, beside Erlang C's prediction.
    OneQueue {
        scenario: OneQueue,
        hours: f64,
        warmup_hours: f64,
        seed: u64,
    },
}

/// The size of the one queue, in the units people give it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OneQueue {
    pub agents: u32,
    pub calls_per_hour: f64,
    pub aht_secs: f64,
    pub threshold_secs: f64,
    /// The callers' mean patience in seconds; `None`: they never hang up.
    pub patience_secs: Option<f64>,
    /// How the patience spreads around that mean (nothing without it).
    pub patience_distribution: PatienceDistribution,
}

impl OneQueue {
    /// The worked example of ACD-REFERENCE.md: 55 agents, 720 calls an hour, 240 s, T = 15 s.
    pub fn worked_example() -> OneQueue {
        let example = ErlangScenario::worked_example();
        OneQueue {
            agents: example.agents,
            calls_per_hour: example.calls_per_hour,
            aht_secs: example.average_handle_time.as_secs_f64(),
            threshold_secs: example.threshold.as_secs_f64(),
            patience_secs: None,
            patience_distribution: PatienceDistribution::Exponential,
        }
    }
}

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum PlayError {
    #[error("{0}")]
    BadValue(String),
    #[error("{origin} has no [simulator] section")]
    NoSimulator { origin: String },
    #[error("{origin}: the simulator's tenant `{tenant}` is not configured")]
    UnknownTenant { origin: String, tenant: String },
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error("the ACD refused the configuration: {0}")]
    Core(String),
    #[error(transparent)]
    Time(#[from] jiff::Error),
}

/// The measured period is cut into this many batches for the error bars: enough to measure
/// the correlation left between consecutive ones.
const BATCHES: usize = 20;

impl Simulation {
    /// Runs the simulation and returns its report. `wall_clock` is read twice, around the run,
    /// to say how fast it went: the only clock this reads, given by the caller.
    pub fn play(self, wall_clock: fn() -> Instant) -> Result<String, PlayError> {
        let hours = match &self {
            Simulation::Configured { hours, .. } | Simulation::OneQueue { hours, .. } => *hours,
        };
        if hours <= 0.0 {
            return Err(PlayError::BadValue(format!(
                "--hours must be more than 0, not {hours}"
            )));
        }
        match self {
            Simulation::Configured {
                file,
                origin,
                hours,
                seed,
            } => configured(*file, &origin, hours, seed, wall_clock),
            Simulation::OneQueue {
                scenario,
                hours,
                warmup_hours,
                seed,
            } => one_queue(scenario, hours, warmup_hours, seed, wall_clock),
        }
    }
}

fn timed<T>(wall_clock: fn() -> Instant, work: impl FnOnce() -> T) -> (T, Duration) {
    let started = wall_clock();
    let result = work();
    (result, wall_clock().duration_since(started))
}

fn seconds(what: &str, value: f64) -> Result<Duration, PlayError> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| PlayError::BadValue(format!("{what} must be 0 or more, not {value}")))
}

fn configured(
    file: FileConfig,
    origin: &str,
    hours: f64,
    seed: Option<u64>,
    wall_clock: fn() -> Instant,
) -> Result<String, PlayError> {
    let mut out = String::new();
    let simulator = file.simulator.ok_or_else(|| PlayError::NoSimulator {
        origin: origin.to_owned(),
    })?;
    let tenant = file
        .tenants
        .into_iter()
        .find(|t| t.id == simulator.tenant)
        .ok_or_else(|| PlayError::UnknownTenant {
            origin: origin.to_owned(),
            tenant: simulator.tenant.clone(),
        })?;
    let plan = SimulatorPlan::from_config(&simulator, &tenant.acd);
    plan.check_against(&tenant.acd)?;
    let seed = seed.unwrap_or(simulator.seed);
    let start = jiff::civil::date(2026, 1, 5)
        .at(8, 0, 0, 0)
        .to_zoned(tenant.acd.time_zone.clone())?;
    let end = start.timestamp() + seconds("--hours", hours * 3600.0)?;
    let mut acd =
        Acd::new(tenant.acd, start.timestamp()).map_err(|e| PlayError::Core(e.to_string()))?;
    let mut sim = Simulator::new(seed, plan, start.timestamp())?;

    let (summary, wall) = timed(wall_clock, || run(&mut acd, &mut sim, end));

    let _ = writeln!(
        out,
        "acdhub simulate: tenant `{}` from {origin}, {hours} h from {}, seed {seed}\n",
        tenant.id,
        start.strftime("%A %Y-%m-%d %H:%M %Z")
    );
    out.push_str(&queue_table(&acd));
    out.push('\n');
    let _ = write_run(&mut out, hours, wall, &summary);
    Ok(out)
}

fn one_queue(
    queue: OneQueue,
    hours: f64,
    warmup_hours: f64,
    seed: u64,
    wall_clock: fn() -> Instant,
) -> Result<String, PlayError> {
    let mut out = String::new();
    let OneQueue {
        agents,
        calls_per_hour,
        aht_secs,
        threshold_secs,
        patience_secs,
        patience_distribution,
    } = queue;
    let patience = patience_secs
        .map(|p| seconds("--patience", p))
        .transpose()?
        .filter(|p| !p.is_zero())
        .map(|mean| Patience {
            mean,
            distribution: patience_distribution,
        });
    if patience_secs.is_some() && patience.is_none() {
        return Err(PlayError::BadValue(
            "--patience must be more than 0 seconds".into(),
        ));
    }
    let scenario = ErlangScenario {
        agents,
        calls_per_hour,
        average_handle_time: seconds("--aht", aht_secs)?,
        threshold: seconds("--threshold", threshold_secs)?,
        patience,
    };
    let warm_up = seconds("--warmup-hours", warmup_hours * 3600.0)?;
    let batch_length = seconds("--hours", hours * 3600.0 / BATCHES as f64)?;
    let config = scenario.config();
    let plan = scenario.plan();
    plan.check_against(&config)?;
    let start = ErlangScenario::START;
    let mut acd = Acd::new(config, start).map_err(|e| PlayError::Core(e.to_string()))?;
    let mut simulator = Simulator::new(seed, plan, start)?;

    let (run, wall) = timed(wall_clock, || {
        BatchedRun::run(
            &mut acd,
            &mut simulator,
            start + warm_up,
            batch_length,
            BATCHES,
        )
    });

    let model = scenario.model();
    let patience = match (patience_secs, patience_distribution) {
        (None, _) => "callers never hang up".to_owned(),
        (Some(p), PatienceDistribution::Exponential) => {
            format!("mean patience {p} s (exponential)")
        }
        (Some(p), PatienceDistribution::Fixed) => format!("patience {p} s (fixed)"),
    };
    let _ = writeln!(
        out,
        "acdhub simulate: 1 queue, {agents} agents, {calls_per_hour} calls/h, AHT {aht_secs} s, T = {threshold_secs} s, {patience}, seed {seed}"
    );
    let _ = writeln!(
        out,
        "measured {hours} h after a {warmup_hours} h warm-up; ± and -/+ are 95 % confidence \
         intervals from {BATCHES} batch means, widened for their correlation; a time's (-/+) is \
         even on a log scale, as its error grows with it"
    );
    let _ = match &model {
        Ok(m) => writeln!(out, "traffic A = {:.2} Erlangs", m.traffic()),
        Err(e) => writeln!(out, "no prediction: {e}"),
    };
    let predicts = scenario.model_predicts();
    if let (false, Ok(_), Some(p)) = (predicts, &model, patience_secs) {
        let _ = writeln!(
            out,
            "Erlang A assumes exponential patience: its column is a reference of the same mean, \
             not a prediction for callers who all wait {p} s"
        );
    }
    // A busy spell of an M/M/N queue relaxes in about AHT / (sqrt(N) - sqrt(A))^2: batches much
    // shorter than that leave the interval too narrow (chiefly the ASA's), widening or not.
    let traffic = calls_per_hour / 3600.0 * aht_secs;
    if patience_secs.is_none() && (agents as f64) > traffic {
        let relaxation = aht_secs / ((agents as f64).sqrt() - traffic.sqrt()).powi(2);
        let batch = hours * 3600.0 / BATCHES as f64;
        if batch < 5.0 * relaxation {
            let _ = writeln!(
                out,
                "note: batches of {:.0} min are shorter than 5 times this queue's relaxation time \
                 ({:.0} min): the intervals may be too narrow, the ASA's most; run --hours {:.0} \
                 or more",
                batch / 60.0,
                relaxation / 60.0,
                (5.0 * relaxation * BATCHES as f64 / 3600.0).ceil()
            );
        }
    }
    let _ = writeln!(out);
    let _ = erlang_table(
        &mut out,
        &run,
        model.ok().as_ref(),
        predicts,
        threshold_secs,
    );

    let total = &run.whole.total.figures;
    let expected = calls_per_hour * hours;
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "calls offered {} (Poisson expectation {expected:.0} ± {:.0}), answered {}, \
         in progress at the end {}",
        total.offered,
        expected.sqrt(),
        total.answered,
        simulator.calls_in_progress()
    );
    let _ = write_run(&mut out, warmup_hours + hours, wall, &run.summary);
    Ok(out)
}
