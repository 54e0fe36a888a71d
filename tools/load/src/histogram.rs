//! A latency histogram with fixed log-linear buckets, in the manner of HdrHistogram with two
//! significant digits: its memory is the same (30 KiB) however many samples a run records, and
//! many tasks record into it at once without a lock. The hdrhistogram crate would do the same;
//! this is sixty lines and adds nothing to Cargo.lock.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

/// Values below this (in the unit recorded, nanoseconds here) each have their own bucket.
const LINEAR: u64 = 128;
/// Each power of two above `LINEAR` is split in 2^6 = 64 buckets: a bucket is at most 1/64
/// (1.6 %) of its values wide, which bounds the error of every percentile.
const SUB_BITS: u32 = 6;
const SUB_BUCKETS: u64 = 1 << SUB_BITS;
const BUCKETS: usize = (LINEAR + (64 - 7) * SUB_BUCKETS) as usize;

/// Counts of values (nanoseconds) by bucket, with the exact count, sum, minimum and maximum.
pub struct Histogram {
    counts: Box<[AtomicU64]>,
    count: AtomicU64,
    sum: AtomicU64,
    min: AtomicU64,
    max: AtomicU64,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0),
            min: AtomicU64::new(u64::MAX),
            max: AtomicU64::new(0),
        }
    }
}

/// The bucket a value falls in.
fn bucket(value: u64) -> usize {
    if value < LINEAR {
        return value as usize;
    }
    let exponent = u64::from(63 - value.leading_zeros());
    let sub = (value >> (exponent - u64::from(SUB_BITS))) & (SUB_BUCKETS - 1);
    (LINEAR + (exponent - 7) * SUB_BUCKETS + sub) as usize
}

/// The largest value that falls in a bucket.
fn highest(index: usize) -> u64 {
    let index = index as u64;
    if index < LINEAR {
        return index;
    }
    let exponent = (index - LINEAR) / SUB_BUCKETS + 7;
    let sub = (index - LINEAR) % SUB_BUCKETS;
    let shift = exponent - u64::from(SUB_BITS);
    ((SUB_BUCKETS + sub) << shift) + ((1u64 << shift) - 1)
}

impl Histogram {
    pub fn record(&self, value: u64) {
        self.counts[bucket(value)].fetch_add(1, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum.fetch_add(value, Ordering::Relaxed);
        self.min.fetch_min(value, Ordering::Relaxed);
        self.max.fetch_max(value, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The value at or below which `percent` of the samples lie (never under-reported: the top
    /// of its bucket, or the maximum if that is lower); `None` without samples.
    pub fn percentile(&self, percent: f64) -> Option<u64> {
        let count = self.count();
        if count == 0 {
            return None;
        }
        let max = self.max.load(Ordering::Relaxed);
        let rank = ((percent / 100.0 * count as f64).ceil() as u64).clamp(1, count);
        let mut seen = 0;
        for (index, bucket) in self.counts.iter().enumerate() {
            seen += bucket.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(highest(index).min(max));
            }
        }
        Some(max)
    }

    /// p50, p90, p99, p99.9, max, min and mean in milliseconds, and the count, as JSON.
    pub fn summary_ms(&self) -> Value {
        let ms = |ns: Option<u64>| ns.map(|ns| (ns as f64 / 1e6 * 1000.0).round() / 1000.0);
        let count = self.count();
        let mean = (count > 0).then(|| self.sum.load(Ordering::Relaxed) / count);
        json!({
            "count": count,
            "p50_ms": ms(self.percentile(50.0)),
            "p90_ms": ms(self.percentile(90.0)),
            "p99_ms": ms(self.percentile(99.0)),
            "p99_9_ms": ms(self.percentile(99.9)),
            "max_ms": ms((count > 0).then(|| self.max.load(Ordering::Relaxed))),
            "min_ms": ms((count > 0).then(|| self.min.load(Ordering::Relaxed))),
            "mean_ms": ms(mean),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_values_are_exact() {
        let histogram = Histogram::default();
        for value in 1..=100 {
            histogram.record(value);
        }
        assert_eq!(histogram.percentile(50.0), Some(50));
        assert_eq!(histogram.percentile(99.0), Some(99));
        assert_eq!(histogram.percentile(100.0), Some(100));
    }

    #[test]
    fn percentiles_of_large_values_are_within_a_bucket() {
        let histogram = Histogram::default();
        // One to ten thousand microseconds, in nanoseconds.
        for micros in 1..=10_000u64 {
            histogram.record(micros * 1000);
        }
        for (percent, exact) in [
            (50.0, 5_000_000.0),
            (90.0, 9_000_000.0),
            (99.0, 9_900_000.0),
        ] {
            let got = histogram.percentile(percent).unwrap() as f64;
            assert!(got >= exact, "p{percent}: {got} under {exact}");
            assert!(
                got <= exact * (1.0 + 1.0 / 64.0),
                "p{percent}: {got} over {exact}"
            );
        }
        assert_eq!(histogram.percentile(100.0), Some(10_000_000));
        assert_eq!(histogram.count(), 10_000);
    }

    #[test]
    fn every_value_is_in_the_bucket_whose_range_holds_it() {
        for value in [0, 127, 128, 129, 1000, 65_535, 1 << 40, u64::MAX] {
            let index = bucket(value);
            assert!(highest(index) >= value, "{value}");
            assert!(index == 0 || highest(index - 1) < value, "{value}");
        }
        assert_eq!(bucket(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn an_empty_histogram_has_no_percentiles() {
        let histogram = Histogram::default();
        assert_eq!(histogram.percentile(50.0), None);
        assert_eq!(histogram.summary_ms()["p99_ms"], Value::Null);
    }
}
