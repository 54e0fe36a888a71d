//! Queueing theory against the real core: one queue, N agents, Poisson arrivals, exponential
//! talk times, no wrap-up, no abandonment, answered at once. That is the M/M/N queue, so the
//! probability of waiting, the ASA, the service level and the occupancy the core reports must
//! agree with Erlang C. A routing bug (an agent left idle while a call waits, calls served out of
//! order in a way that changes waits) or a counting bug (a wait measured from the wrong instant,
//! agent time lost) moves them away from it.
//!
//! # The tolerance, and where it comes from
//!
//! A measured figure differs from its expectation by noise whose size depends on the run length
//! and on how strongly consecutive calls are correlated (a long call delays everyone behind it;
//! near full load a busy spell lasts hours). The test estimates that noise from the run itself by
//! batch means: after the warm-up, the run is cut into k = 20 batches, each many times longer
//! than the queue's relaxation time (about AHT / (sqrt(N) - sqrt(A))^2: 17 minutes for N = 55,
//! 1.5 hours for N = 51), so that batch figures are nearly independent. The standard error of the
//! whole-run figure is then s / sqrt(k), s being the spread of the batch figures; the run length
//! enters through s (four times as many calls per batch halve it).
//!
//! - N = 55: batches of 30 simulated hours, 600 hours, about 432,000 calls.
//! - N = 51: batches of 60 hours, 1,200 hours, about 864,000 calls. Near full load the ASA is
//!   ruled by rare long busy spells; with 30-hour batches its z-score reached 5.3 in one seed of
//!   30, with 60-hour batches it stays in line with the other figures.
//!
//! Both are far over the 10^5 calls the reference asks for.
//!
//! A figure passes when |measured - predicted| < 4 standard errors + floor. With the standard
//! error estimated from 20 batches (19 degrees of freedom), noise alone exceeds 4 standard errors
//! with probability about 0.001 per figure. With exactly these settings, 250 seeds for N = 55 and
//! 60 seeds for N = 51 were run while writing the test: the z-scores had a standard deviation of
//! 0.9 to 1.25 and the largest was 3.6; averaged over seeds the errors were within 1.3 standard
//! errors of zero, so no bias shows at this precision. The floor (0.001 for fractions, 0.01 s for
//! times) only absorbs what is not noise and is far below it: the core stores waits in whole
//! milliseconds (ASA low by under 1 ms) and the warm-up leaves an initial-transient bias of order
//! exp(-warm-up / relaxation time), below 10^-3.
//!
//! The tolerance is tight enough to matter: the test also checks that the same measurements of
//! P(wait), service level and occupancy would reject the prediction for one agent more or one
//! agent fewer (the ASA is too noisy near full load for that at this run length).
//!
//! In the dev profile (debug) the N = 55 run takes about 8 s and the N = 51 run about 17 s on one
//! core; the test harness runs them in parallel.

use std::time::Duration;

use acdhub::acd::Acd;
use acdhub::acd::config::ServiceLevelVariant;
use acdhub::erlang::Prediction;
use acdhub::sim::{BatchedRun, ErlangScenario, Estimate, Measurement, Scale, Simulator};

const BATCHES: usize = 20;
const HOUR: u64 = 3600;
const SIGMAS: f64 = 4.0;
const FRACTION_FLOOR: f64 = 0.001;
const SECONDS_FLOOR: f64 = 0.01;

fn scenario(agents: u32) -> ErlangScenario {
    ErlangScenario {
        agents,
        ..ErlangScenario::worked_example()
    }
}

fn simulate(agents: u32, seed: u64, warm_up: Duration, batch: Duration) -> BatchedRun {
    simulate_scenario(&scenario(agents), seed, warm_up, batch)
}

/// Plays `scenario` against the real core with `seed`: `warm_up`, then BATCHES batches of
/// `batch`; no call may be refused. Erlang A's checks play theirs the same way.
pub(crate) fn simulate_scenario(
    scenario: &ErlangScenario,
    seed: u64,
    warm_up: Duration,
    batch: Duration,
) -> BatchedRun {
    let config = scenario.config();
    let plan = scenario.plan();
    plan.check_against(&config).unwrap();
    let start = ErlangScenario::START;
    let mut acd = Acd::new(config, start).unwrap();
    let mut simulator = Simulator::new(seed, plan, start).unwrap();
    let run = BatchedRun::run(&mut acd, &mut simulator, start + warm_up, batch, BATCHES);
    assert_eq!(run.summary.refused, 0, "{:?}", run.summary.first_refusal);
    run
}

struct Figure {
    name: &'static str,
    measure: fn(&Measurement) -> Option<f64>,
    predict: fn(&Prediction) -> f64,
    floor: f64,
    /// The scale of its 95 % interval, as `acdhub simulate` prints it: log for times.
    scale: Scale,
    /// Whether the run is long enough for this figure to tell N agents from N +- 1. The ASA is
    /// not: its batch values are dominated by rare long busy spells, and its standard error is
    /// several times larger relative to the gap between neighbouring staffings.
    separates_staffing: bool,
}

const FIGURES: [Figure; 5] = [
    Figure {
        name: "P(wait)",
        measure: |m| m.probability_of_waiting(),
        predict: |p| p.probability_of_waiting,
        floor: FRACTION_FLOOR,
        scale: Scale::Linear,
        separates_staffing: true,
    },
    Figure {
        name: "ASA",
        measure: |m| m.figures.average_speed_of_answer(),
        predict: |p| p.average_speed_of_answer,
        floor: SECONDS_FLOOR,
        scale: Scale::Log,
        separates_staffing: false,
    },
    Figure {
        name: "service level",
        measure: |m| m.figures.service_level(ServiceLevelVariant::Answered),
        predict: |p| p.service_level,
        floor: FRACTION_FLOOR,
        scale: Scale::Linear,
        separates_staffing: true,
    },
    Figure {
        name: "occupancy",
        measure: |m| m.figures.occupancy(),
        predict: |p| p.occupancy,
        floor: FRACTION_FLOOR,
        scale: Scale::Linear,
        separates_staffing: true,
    },
    // Not an Erlang C result, but the model's input: checks the talk-time sampling and the
    // core's handle-time sums.
    Figure {
        name: "AHT",
        measure: |m| m.figures.average_handle_time(),
        predict: |p| p.average_handle_time,
        floor: SECONDS_FLOOR,
        scale: Scale::Log,
        separates_staffing: false,
    },
];

fn agrees(estimate: &Estimate, predicted: f64, floor: f64) -> bool {
    (estimate.value - predicted).abs() < SIGMAS * estimate.standard_error + floor
}

/// Prints each measured figure (name, measurement, the model's value, floor) of `run` beside
/// the model's value with its z-score, and fails with every one that disagrees ([`agrees`]).
/// `erlang_a.rs` checks with it too.
pub(crate) fn assert_agree(
    context: &str,
    model: &str,
    run: &BatchedRun,
    figures: impl IntoIterator<Item = (&'static str, fn(&Measurement) -> Option<f64>, f64, f64)>,
) {
    let mut failures = Vec::new();
    for (name, measure, predicted, floor) in figures {
        // The standard error is the same whichever scale the interval is on.
        let estimate = run.estimate(Scale::Linear, measure).unwrap();
        let z = (estimate.value - predicted) / estimate.standard_error;
        let (value, error) = (estimate.value, estimate.standard_error);
        eprintln!(
            "{context}: {name:<24} measured {value:.4} ± {error:.4}, {model} {predicted:.4}, z = {z:+.2}"
        );
        if !agrees(&estimate, predicted, floor) {
            failures.push(format!(
                "{name}: measured {value:.4} ± {error:.4}, {model} {predicted:.4} ({z:+.1} standard errors)"
            ));
        }
    }
    assert!(failures.is_empty(), "{context}: {failures:#?}");
}

/// Runs N agents for the worked example's traffic (A = 48) and checks every figure.
fn check_erlang_c(agents: u32, seed: u64, warm_up_hours: u64, batch_hours: u64) {
    let batch = Duration::from_secs(batch_hours * HOUR);
    let run = simulate(
        agents,
        seed,
        Duration::from_secs(warm_up_hours * HOUR),
        batch,
    );
    let whole = &run.whole.total;
    let prediction = scenario(agents).prediction().unwrap();

    assert!(whole.figures.answered >= 100_000, "{:?}", whole.figures);
    // The simulator saw exactly the answers the core counted.
    assert_eq!(whole.waits.answered, whole.figures.answered);
    // Poisson arrivals: offered calls within 4 standard deviations of rate x time.
    let expected = scenario(agents).calls_per_hour * (BATCHES as f64 * batch_hours as f64);
    let offered = whole.figures.offered as f64;
    assert!(
        (offered - expected).abs() < SIGMAS * expected.sqrt(),
        "offered {offered}, expected {expected}"
    );

    assert_agree(
        &format!("N = {agents}"),
        "Erlang C",
        &run,
        FIGURES.iter().map(|f| {
            let predicted = (f.predict)(&prediction);
            (f.name, f.measure, predicted, f.floor)
        }),
    );

    // The same tolerance would notice one agent too many or too few.
    for neighbour in [agents - 1, agents + 1] {
        let other = scenario(neighbour).prediction().unwrap();
        for figure in FIGURES.iter().filter(|f| f.separates_staffing) {
            let estimate = run.estimate(figure.scale, figure.measure).unwrap();
            assert!(
                !agrees(&estimate, (figure.predict)(&other), figure.floor),
                "N = {agents}: {} cannot tell {agents} agents from {neighbour}",
                figure.name
            );
        }
    }
}

/// The worked example: A = 48 Erlangs on 55 agents, 87 % occupancy, P(wait) 0.239, SL 84.6 %.
#[test]
fn fifty_five_agents_match_erlang_c() {
    check_erlang_c(55, 2024, 2, 30);
}

/// The same traffic on 51 agents: 94 % occupancy, most callers wait (P(wait) 0.571), ASA 46 s.
/// Near full load small mistakes in routing or counting are magnified.
#[test]
fn fifty_one_agents_match_erlang_c() {
    check_erlang_c(51, 2025, 10, 60);
}

/// A seed is a complete description of a run: the same seed gives identical figures, tallies and
/// core activity; another seed gives different calls.
#[test]
fn the_same_seed_gives_the_same_run() {
    let warm_up = Duration::from_secs(HOUR);
    let batch = Duration::from_secs(HOUR);
    let first = simulate(55, 99, warm_up, batch);
    let second = simulate(55, 99, warm_up, batch);
    assert_eq!(first.whole, second.whole);
    assert_eq!(first.batches, second.batches);
    assert_eq!(first.summary, second.summary);
    assert!(first.summary.commands > 10_000);

    let other = simulate(55, 100, warm_up, batch);
    assert_ne!(first.whole.total, other.whole.total);
}

/// The 95 % interval `acdhub simulate` prints, where it is hardest to get right: 94 % occupancy
/// (N = 51, a relaxation time of about 1.5 hours). Over 40 seeds of 20 batches of 12 hours (8
/// relaxation times: simulate prints no note that its batches are short) after a 10-hour warm-up,
/// each figure's interval covers Erlang C's value in at least 36 (90 %), as a 95 % interval
/// should: P(wait) 37, ASA 38, service level 38, occupancy 40 when this was written.
///
/// The ASA took two changes. With batches of 6 hours and an interval even on both sides it
/// covered 34 of 40, and 908 of 1,000 seeds, every miss below Erlang C. Not a bias (the mean of
/// the 1,000 was 0.65 of its standard error from Erlang C), nor intervals too narrow on average
/// (the spread over seeds was 0.92 times their standard error), but skew (0.95 over the seeds):
/// a run that met fewer long busy spells than its share has a low ASA and a narrow interval
/// together (the standard error grew about as the square of the ASA). Twice the run lowers the
/// skew to 0.65 (939 of 1,000 covered, 36 of 40), and the interval on the log scale
/// (`acdhub::sim::Scale`) allows for the error's growth with the value: 951 of 1,000, 38 of 40.
/// In the dev profile this test runs about a minute.
#[test]
fn the_95_percent_interval_covers_erlang_c_as_often_as_it_claims() {
    let prediction = scenario(51).prediction().unwrap();
    let mut covered = [0usize; 4];
    const RUNS: u64 = 40;
    for seed in 0..RUNS {
        let run = simulate(
            51,
            7_000 + seed,
            Duration::from_secs(10 * HOUR),
            Duration::from_secs(12 * HOUR),
        );
        for (i, figure) in FIGURES.iter().take(4).enumerate() {
            let estimate = run.estimate(figure.scale, figure.measure).unwrap();
            covered[i] += estimate.covers((figure.predict)(&prediction)) as usize;
        }
    }
    for (i, figure) in FIGURES.iter().take(4).enumerate() {
        eprintln!("{:<13} covered {} of {RUNS}", figure.name, covered[i]);
    }
    for (i, figure) in FIGURES.iter().take(4).enumerate() {
        assert!(
            covered[i] >= 36,
            "{}: the 95 % interval covered Erlang C in {} of {RUNS} runs",
            figure.name,
            covered[i]
        );
    }
}
