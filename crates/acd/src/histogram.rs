//! Distributions of waiting and handle times per queue, counted at fixed bucket bounds, for
//! Prometheus histograms.
//!
//! Counts are exact and cumulative since the core started (a Prometheus histogram never resets).
//! The waiting-time histograms have a bound exactly at the queue's service-level threshold, so
//! that `bucket{le="T"} / count` is the service level: a wait counts as within the threshold when
//! it is at most T, as it does in [`super::figures::Figures`].

use std::time::Duration;

use super::figures::Sample;

/// Bucket bounds for waiting times, in seconds; the queue's threshold is added to them.
pub const WAIT_BOUNDS_SECS: [u64; 13] = [5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1200];
/// Bucket bounds for handle times (talk, hold and wrap-up of one call), in seconds.
pub const HANDLE_BOUNDS_SECS: [u64; 13] = [
    30, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 3600,
];

/// Counts of durations at or under each bound, and beyond the last.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Histogram {
    bounds_ms: Vec<u64>,
    /// `counts[i]` durations fell in bucket `i` alone (not cumulative); the last is above every
    /// bound.
    counts: Vec<u64>,
    sum_ms: u64,
}

impl Histogram {
    /// A histogram with these bounds (sorted and deduplicated here).
    pub fn new(bounds_ms: impl IntoIterator<Item = u64>) -> Histogram {
        let mut bounds_ms: Vec<u64> = bounds_ms.into_iter().collect();
        bounds_ms.sort_unstable();
        bounds_ms.dedup();
        Histogram {
            counts: vec![0; bounds_ms.len() + 1],
            bounds_ms,
            sum_ms: 0,
        }
    }

    pub fn observe(&mut self, ms: u64) {
        let bucket = self.bounds_ms.partition_point(|&bound| bound < ms);
        self.counts[bucket] += 1;
        self.sum_ms += ms;
    }

    /// Each bound in seconds with the number of durations at or under it (cumulative), in
    /// ascending order; the `+Inf` bucket is [`Histogram::count`].
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.bounds_ms
            .iter()
            .zip(self.counts.iter().scan(0, |total, n| {
                *total += n;
                Some(*total)
            }))
            .map(|(&bound, cumulative)| (bound as f64 / 1000.0, cumulative))
    }

    /// Adds a bound while counting goes on (a queue's threshold changed at run time). What was
    /// counted before between the two neighbouring bounds stays above the new one: its bucket
    /// counts from now on, so `increase()` over a window after the change is exact, and the
    /// cumulative count at the new bound never claims a wait it did not see.
    pub(crate) fn add_bound(&mut self, bound_ms: u64) {
        let at = self.bounds_ms.partition_point(|&bound| bound < bound_ms);
        if self.bounds_ms.get(at) == Some(&bound_ms) {
            return;
        }
        self.bounds_ms.insert(at, bound_ms);
        self.counts.insert(at, 0);
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    pub fn sum_secs(&self) -> f64 {
        self.sum_ms as f64 / 1000.0
    }
}

/// A queue's distributions.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct QueueHistograms {
    /// Waiting time of answered calls.
    pub answer_wait: Histogram,
    /// Waiting time of abandoned calls; short abandons count nowhere, as in the figures.
    pub abandon_wait: Histogram,
    /// Talk, hold and wrap-up of each handled call.
    pub handle: Histogram,
}

impl QueueHistograms {
    pub fn new(service_level_threshold: Duration) -> QueueHistograms {
        let wait_bounds = || {
            WAIT_BOUNDS_SECS
                .iter()
                .map(|secs| secs * 1000)
                .chain([service_level_threshold.as_millis() as u64])
        };
        QueueHistograms {
            answer_wait: Histogram::new(wait_bounds()),
            abandon_wait: Histogram::new(wait_bounds()),
            handle: Histogram::new(HANDLE_BOUNDS_SECS.iter().map(|secs| secs * 1000)),
        }
    }

    /// The service-level threshold changed: both wait histograms get a bucket at the new one
    /// (the old one's stays, so every series Prometheus has keeps going).
    pub(crate) fn add_threshold(&mut self, threshold: Duration) {
        let bound_ms = threshold.as_millis() as u64;
        self.answer_wait.add_bound(bound_ms);
        self.abandon_wait.add_bound(bound_ms);
    }

    pub(crate) fn record(&mut self, sample: &Sample) {
        match *sample {
            Sample::Answered { wait_ms, .. } => self.answer_wait.observe(wait_ms),
            Sample::Abandoned {
                wait_ms,
                short: false,
                ..
            } => self.abandon_wait.observe(wait_ms),
            Sample::Handled {
                talk_ms,
                hold_ms,
                wrap_up_ms,
            } => self.handle.observe(talk_ms + hold_ms + wrap_up_ms),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wait_exactly_at_the_threshold_is_in_its_bucket_and_one_millisecond_more_is_not() {
        let mut histograms = QueueHistograms::new(Duration::from_secs(25));
        for wait_ms in [25_000, 25_001, 0, 2_000_000] {
            histograms.record(&Sample::Answered {
                wait_ms,
                within_threshold: wait_ms <= 25_000,
            });
        }
        let buckets: Vec<(f64, u64)> = histograms.answer_wait.buckets().collect();
        assert!(buckets.contains(&(25.0, 2)), "{buckets:?}");
        assert!(buckets.contains(&(30.0, 3)), "{buckets:?}");
        assert_eq!(buckets.last(), Some(&(1200.0, 3)));
        assert_eq!(histograms.answer_wait.count(), 4);
        assert_eq!(histograms.answer_wait.sum_secs(), 2_050.001);
    }

    #[test]
    fn a_threshold_that_is_already_a_bound_is_not_doubled() {
        let histograms = QueueHistograms::new(Duration::from_secs(20));
        let bounds: Vec<f64> = histograms.abandon_wait.buckets().map(|(b, _)| b).collect();
        assert_eq!(bounds.len(), WAIT_BOUNDS_SECS.len());
    }

    #[test]
    fn a_threshold_added_later_counts_from_then_and_keeps_the_buckets_cumulative() {
        let mut histograms = QueueHistograms::new(Duration::from_secs(20));
        let answered = |wait_ms| Sample::Answered {
            wait_ms,
            within_threshold: false,
        };
        // Before the change: one wait in (20, 30], one in (5, 10].
        histograms.record(&answered(25_000));
        histograms.record(&answered(8_000));
        histograms.add_threshold(Duration::from_secs(25));
        histograms.add_threshold(Duration::from_secs(25));
        histograms.record(&answered(24_000));
        let buckets: Vec<(f64, u64)> = histograms.answer_wait.buckets().collect();
        assert_eq!(buckets.len(), WAIT_BOUNDS_SECS.len() + 1, "{buckets:?}");
        // The earlier 25 s wait is counted above the new bound; the later 24 s one at it.
        assert!(buckets.contains(&(20.0, 1)), "{buckets:?}");
        assert!(buckets.contains(&(25.0, 2)), "{buckets:?}");
        assert!(buckets.contains(&(30.0, 3)), "{buckets:?}");
        assert!(
            buckets
                .windows(2)
                .all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1)
        );
        assert_eq!(histograms.answer_wait.count(), 3);
        let abandon: Vec<f64> = histograms.abandon_wait.buckets().map(|(b, _)| b).collect();
        assert!(abandon.contains(&25.0), "{abandon:?}");
    }

    #[test]
    fn short_abandons_and_other_samples_are_not_waits() {
        let mut histograms = QueueHistograms::new(Duration::from_secs(20));
        histograms.record(&Sample::Abandoned {
            wait_ms: 1_000,
            within_threshold: true,
            short: true,
        });
        histograms.record(&Sample::Offered);
        histograms.record(&Sample::Handled {
            talk_ms: 100_000,
            hold_ms: 10_000,
            wrap_up_ms: 20_000,
        });
        assert_eq!(histograms.abandon_wait.count(), 0);
        assert_eq!(histograms.handle.count(), 1);
        assert_eq!(histograms.handle.sum_secs(), 130.0);
    }
}
