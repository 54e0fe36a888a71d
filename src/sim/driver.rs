//! The fast driver: runs the core and the simulator together in simulated time, as fast as the
//! CPU allows.
//!
//! A discrete-event loop: jump to the earlier of the simulator's next action and the core's next
//! timeout, apply it at that instant, and let the simulator see every event it caused before
//! anything else happens. It uses only the public step API of both sides, the same API a
//! real-time driver uses with the wall clock instead.

use std::time::Duration;

use jiff::Timestamp;

use crate::acd::{Acd, AcdError, Event, QueueId};

use super::measure::{Estimate, Measurement, Period, Scale, Snapshot};
use super::simulator::Simulator;

/// What a run asked of the core: throughput figures, and the commands the core refused.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunSummary {
    /// Commands handed to [`Acd::handle`].
    pub commands: u64,
    /// Calls of [`Acd::handle_timeout`] for the core's own deadlines.
    pub timeouts: u64,
    /// Events drained from the core.
    pub events: u64,
    /// Commands the core refused. The simulator drops actions that no longer fit, so in a run
    /// with no abandonment this stays 0; anything else is a simulator or core bug.
    pub refused: u64,
    /// The first refusal, to start the investigation from.
    pub first_refusal: Option<AcdError>,
}

impl RunSummary {
    fn absorb(&mut self, other: RunSummary) {
        self.commands += other.commands;
        self.timeouts += other.timeouts;
        self.events += other.events;
        self.refused += other.refused;
        if self.first_refusal.is_none() {
            self.first_refusal = other.first_refusal;
        }
    }
}

/// Runs everything due up to and including `until`, then brings the core to `until` so that its
/// statistics read at that instant. Call it again with a later `until` to go on.
pub fn run(acd: &mut Acd, simulator: &mut Simulator, until: Timestamp) -> RunSummary {
    run_observed(acd, simulator, until, |_, _| {})
}

/// [`run`], also handing every event and its instant to `observe` (the server's call detail
/// records of a demo's warm-up).
pub fn run_observed(
    acd: &mut Acd,
    simulator: &mut Simulator,
    until: Timestamp,
    mut observe: impl FnMut(&Event, Timestamp),
) -> RunSummary {
    let mut summary = RunSummary::default();
    loop {
        let core_at = acd.poll_timeout();
        let simulator_at = simulator.next_action_at();
        // At a tie the core's deadlines go first, as `Acd::handle` would run them anyway.
        if let Some(at) = simulator_at.filter(|&at| at <= until && at < core_at) {
            for command in simulator.actions_due(at) {
                summary.commands += 1;
                if let Err(error) = acd.handle(command, at) {
                    summary.refused += 1;
                    summary.first_refusal.get_or_insert(error);
                }
                drain(acd, simulator, at, &mut summary, &mut observe);
            }
        } else if core_at <= until {
            acd.handle_timeout(core_at);
            summary.timeouts += 1;
            drain(acd, simulator, core_at, &mut summary, &mut observe);
        } else {
            break;
        }
    }
    acd.handle_timeout(until);
    drain(acd, simulator, until, &mut summary, &mut observe);
    summary
}

fn drain(
    acd: &mut Acd,
    simulator: &mut Simulator,
    now: Timestamp,
    summary: &mut RunSummary,
    observe: &mut impl FnMut(&Event, Timestamp),
) {
    while let Some(event) = acd.poll_event() {
        summary.events += 1;
        simulator.observe(&event, now);
        observe(&event, now);
    }
}

/// A run cut into a warm-up and equal batches, for figures with an honest error bar.
///
/// The warm-up is discarded by difference: the core's lifetime figures (and the simulator's wait
/// tally) are read when it ends and subtracted from later readings. Consecutive calls in a queue
/// are strongly correlated (one long call delays everyone behind it), so the error of a figure is
/// estimated by batch means: the spread of the figure over batches long enough to be nearly
/// independent, divided by the square root of their number.
#[derive(Debug, Clone)]
pub struct BatchedRun {
    /// Everything after the warm-up.
    pub whole: Period,
    /// The same time cut into consecutive batches.
    pub batches: Vec<Period>,
    pub summary: RunSummary,
}

impl BatchedRun {
    /// Runs to `warm_up_end`, then `batches` batches of `batch_length` each.
    pub fn run(
        acd: &mut Acd,
        simulator: &mut Simulator,
        warm_up_end: Timestamp,
        batch_length: Duration,
        batches: usize,
    ) -> BatchedRun {
        let mut summary = run(acd, simulator, warm_up_end);
        let first = Snapshot::take(acd, simulator);
        let mut previous = first.clone();
        let mut periods = Vec::with_capacity(batches);
        for _ in 0..batches {
            summary.absorb(run(acd, simulator, previous.at + batch_length));
            let next = Snapshot::take(acd, simulator);
            periods.push(next.since(&previous));
            previous = next;
        }
        BatchedRun {
            whole: previous.since(&first),
            batches: periods,
            summary,
        }
    }

    /// A tenant-wide figure over the whole run with its batch-means standard error, and its 95 %
    /// interval on `scale`.
    pub fn estimate(
        &self,
        scale: Scale,
        figure: impl Fn(&Measurement) -> Option<f64>,
    ) -> Option<Estimate> {
        Estimate::from_batches(
            figure(&self.whole.total)?,
            self.batches.iter().filter_map(|b| figure(&b.total)),
            scale,
        )
    }

    /// The same for one queue.
    pub fn estimate_queue(
        &self,
        queue: &QueueId,
        scale: Scale,
        figure: impl Fn(&Measurement) -> Option<f64>,
    ) -> Option<Estimate> {
        Estimate::from_batches(
            figure(self.whole.queue(queue)?)?,
            self.batches
                .iter()
                .filter_map(|b| b.queue(queue).and_then(&figure)),
            scale,
        )
    }
}
