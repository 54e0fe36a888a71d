//! Queueing theory against the real core when callers hang up: one queue, N agents, Poisson
//! arrivals, exponential talk times, no wrap-up, answered at once, and each caller's patience
//! exponential with a mean: the M/M/N+M queue Erlang A describes (`acdhub::erlang::ErlangA`).
//! What the core counts (the answered calls that waited, the abandonment rate, the ASA, the
//! service level, the occupancy) must agree with it, also with fewer agents than Erlangs, where
//! only the callers who leave keep the queue finite.
//!
//! The tolerance is `erlang_c.rs`'s (`assert_agree`): 4 standard errors from 20 batch means, plus a floor for
//! what is not noise (the core's whole milliseconds). Impatient callers shorten the busy spells,
//! so batches of 10 simulated hours are many relaxation times long; 200 hours, about 144,000
//! calls in each of the two large cases and 18,000 in the small one. Written with the z-scores printed for three seeds a case (54 in all): the
//! largest was 2.4.

use std::time::Duration;

use acdhub::acd::config::ServiceLevelVariant;
use acdhub::config::Patience;
use acdhub::erlang::ErlangA;
use acdhub::sim::{ErlangScenario, Measurement, Model};

use crate::erlang_c::{assert_agree, simulate_scenario};

const HOUR: u64 = 3600;

struct Figure {
    name: &'static str,
    measure: fn(&Measurement) -> Option<f64>,
    predict: fn(&ErlangA) -> f64,
    floor: f64,
}

const FIGURES: [Figure; 6] = [
    // Of the answered calls, those that waited at all.
    Figure {
        name: "P(wait | answered)",
        measure: |m| m.probability_of_waiting(),
        predict: ErlangA::probability_answered_call_waited,
        floor: 0.001,
    },
    Figure {
        name: "abandoned",
        measure: |m| m.figures.abandonment_rate(),
        predict: |a| a.probability_of_abandoning,
        floor: 0.001,
    },
    Figure {
        name: "ASA",
        measure: |m| m.figures.average_speed_of_answer(),
        predict: |a| a.average_speed_of_answer,
        floor: 0.01,
    },
    Figure {
        name: "service level",
        measure: |m| m.figures.service_level(ServiceLevelVariant::Answered),
        predict: |a| a.service_level(ServiceLevelVariant::Answered),
        floor: 0.001,
    },
    Figure {
        name: "service level (offered)",
        measure: |m| m.figures.service_level(ServiceLevelVariant::Offered),
        predict: |a| a.service_level(ServiceLevelVariant::Offered),
        floor: 0.001,
    },
    Figure {
        name: "occupancy",
        measure: |m| m.figures.occupancy(),
        predict: |a| a.occupancy,
        floor: 0.001,
    },
];

fn check_erlang_a(agents: u32, calls_per_hour: f64, patience_secs: u64, seed: u64) {
    let scenario = ErlangScenario {
        agents,
        calls_per_hour,
        patience: Some(Patience::exponential(Duration::from_secs(patience_secs))),
        ..ErlangScenario::worked_example()
    };
    let Ok(Model::A(model)) = scenario.model() else {
        panic!("Erlang A for {scenario:?}");
    };
    let run = simulate_scenario(
        &scenario,
        seed,
        Duration::from_secs(2 * HOUR),
        Duration::from_secs(10 * HOUR),
    );
    let whole = &run.whole.total.figures;
    assert!(whole.abandoned > 1_000, "callers did hang up: {whole:?}");

    assert_agree(
        &format!("N = {agents}, patience {patience_secs} s, seed {seed}"),
        "Erlang A",
        &run,
        FIGURES.iter().map(|f| {
            let predicted = (f.predict)(&model);
            (f.name, f.measure, predicted, f.floor)
        }),
    );
}

/// A = 48 Erlangs on 50 agents, patience 2 minutes: about 5 % hang up.
#[test]
fn fifty_agents_and_two_minutes_patience_match_erlang_a() {
    check_erlang_a(50, 720.0, 120, 3031);
}

/// Fewer agents than Erlangs (A = 48 on 40): no Erlang C at all; with a minute's patience about
/// 19 % hang up and the rest are served at 97 % occupancy.
#[test]
fn fewer_agents_than_erlangs_match_erlang_a() {
    check_erlang_a(40, 720.0, 60, 3032);
}

/// A small queue: 6 Erlangs on 7 agents, callers who give up after half a minute on average.
#[test]
fn a_small_impatient_queue_matches_erlang_a() {
    check_erlang_a(7, 90.0, 30, 3033);
}
