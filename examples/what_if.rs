//! How long a supervisor's `what_if` takes to compute (`acdhub::staffing`): a typical queue, a
//! large one, and the largest inputs the protocol allows, under Erlang C and Erlang A. The
//! engine computes them on a blocking thread, one at a time, so this is how long one can keep
//! the next waiting.
//!
//! ```sh
//! cargo run --release --example what_if
//! ```

use std::time::{Duration, Instant};

use acdhub::acd::config::{QueueConfig, ServiceLevelConfig};
use acdhub::staffing::{self, Hypothesis, Queue, Window};

fn main() {
    let cases: &[(&str, f64, f64, Option<f64>, u64)] = &[
        // name, calls per hour, AHT, mean patience, threshold
        ("typical: 240/h, 180 s, 20 s", 240.0, 180.0, None, 20),
        (
            "typical, callers hang up (120 s)",
            240.0,
            180.0,
            Some(120.0),
            20,
        ),
        (
            "large: 6,000/h, 300 s, patience 300 s",
            6_000.0,
            300.0,
            Some(300.0),
            20,
        ),
        ("large, 120 s threshold", 6_000.0, 300.0, Some(300.0), 120),
        (
            "largest rate and patience, 20 s",
            100_000.0,
            180.0,
            Some(3_600.0),
            20,
        ),
        (
            "largest everything, 20 s",
            100_000.0,
            7_200.0,
            Some(3_600.0),
            20,
        ),
        (
            "largest rate and patience, 60 s",
            100_000.0,
            180.0,
            Some(3_600.0),
            60,
        ),
    ];
    for &(name, rate, aht, patience, threshold) in cases {
        let queue = Queue {
            id: "q".into(),
            window: Window::empty(jiff::Timestamp::UNIX_EPOCH, 900.0),
            agents_working: 10,
            service_level: ServiceLevelConfig {
                threshold: Duration::from_secs(threshold),
                ..QueueConfig::new("q").service_level
            },
        };
        let hypothesis = Hypothesis {
            agents: None,
            calls_per_hour: Some(rate),
            aht_secs: Some(aht),
            patience_secs: patience,
        };
        let started = clock();
        let answer = staffing::answer(queue, jiff::Timestamp::UNIX_EPOCH, hypothesis);
        let took = started.elapsed();
        println!(
            "{name:<40} {:>9.1} ms  needed {:?} ({})",
            took.as_secs_f64() * 1000.0,
            answer.agents_needed,
            answer.model.unwrap_or("-"),
        );
    }
}

/// The clock this tool measures with.
#[allow(clippy::disallowed_methods)]
fn clock() -> Instant {
    Instant::now()
}
