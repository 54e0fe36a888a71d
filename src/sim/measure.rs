//! Results of a simulation: the core's own statistics, plus what only the simulator can count.
//!
//! The figures come from the core's lifetime window, so a simulation checks the very numbers a
//! wallboard would show. A [`Snapshot`] is read at one instant; the difference of two is a
//! [`Period`], which is how a warm-up is discarded and a run is cut into batches.

use jiff::Timestamp;

use crate::acd::{Acd, Figures, QueueId};

use super::simulator::Simulator;

/// One queue's or the tenant's results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    /// The core's exact sums (lifetime window, or the difference of two readings of it).
    pub figures: Figures,
    /// Answered calls that had to wait at all, which the core does not count.
    pub waits: WaitTally,
}

impl Measurement {
    /// Measured probability of waiting: answered after waiting / answered.
    pub fn probability_of_waiting(&self) -> Option<f64> {
        self.waits.probability_of_waiting()
    }

    /// This measurement minus an earlier one of the same scope.
    pub fn since(&self, earlier: &Measurement) -> Measurement {
        Measurement {
            figures: self.figures.minus(&earlier.figures),
            waits: self.waits.since(&earlier.waits),
        }
    }
}

/// What the simulator itself counts, because the core does not: how many answered calls had to
/// wait at all. Erlang C's headline figure is exactly this probability.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WaitTally {
    /// Calls connected to an agent, as the simulator saw `CallConnected` (should equal the
    /// core's `answered`).
    pub answered: u64,
    /// Of those, calls whose first offer came later than their arrival: they found every agent
    /// busy. With an answer delay, ringing alone does not count as waiting.
    pub answered_after_waiting: u64,
}

impl WaitTally {
    /// Measured probability of waiting: answered after waiting / answered.
    pub fn probability_of_waiting(&self) -> Option<f64> {
        (self.answered > 0).then(|| self.answered_after_waiting as f64 / self.answered as f64)
    }

    /// The tally of a period: this one minus an earlier one.
    pub fn since(&self, earlier: &WaitTally) -> WaitTally {
        WaitTally {
            answered: self.answered - earlier.answered,
            answered_after_waiting: self.answered_after_waiting - earlier.answered_after_waiting,
        }
    }

    pub(crate) fn add(&mut self, other: &WaitTally) {
        self.answered += other.answered;
        self.answered_after_waiting += other.answered_after_waiting;
    }
}

/// Cumulative results at one instant: per queue and for the tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub at: Timestamp,
    /// In the ACD's queue order.
    /// By lane: the queue and the channel.
    pub queues: Vec<((QueueId, String), Measurement)>,
    pub total: Measurement,
}

impl Snapshot {
    /// Reads the core's lifetime figures and the simulator's tallies as of [`Acd::now`].
    pub fn take(acd: &Acd, simulator: &Simulator) -> Snapshot {
        let queues = acd
            .lanes()
            .map(|lane| acd.lane_stats(lane))
            .map(|stats| {
                let waits = simulator.wait_tally(&stats.id);
                let lane = (stats.id.clone(), stats.channel_name().to_owned());
                let measurement = Measurement {
                    figures: stats.stats.lifetime,
                    waits,
                };
                (lane, measurement)
            })
            .collect();
        Snapshot {
            at: acd.now(),
            queues,
            total: Measurement {
                figures: acd.tenant_stats().stats.lifetime,
                waits: simulator.total_wait_tally(),
            },
        }
    }

    /// The results of the period from `earlier` to this snapshot.
    pub fn since(&self, earlier: &Snapshot) -> Period {
        Period {
            from: earlier.at,
            to: self.at,
            queues: self
                .queues
                .iter()
                .map(|(id, m)| {
                    let before = earlier
                        .queues
                        .iter()
                        .find(|(other, _)| other == id)
                        .map(|(_, m)| m);
                    let m = match before {
                        Some(before) => m.since(before),
                        None => m.clone(),
                    };
                    (id.clone(), m)
                })
                .collect(),
            total: self.total.since(&earlier.total),
        }
    }
}

/// Results over a stretch of simulated time.
#[derive(Debug, Clone, PartialEq)]
pub struct Period {
    pub from: Timestamp,
    pub to: Timestamp,
    /// By lane: the queue and the channel.
    pub queues: Vec<((QueueId, String), Measurement)>,
    pub total: Measurement,
}

impl Period {
    /// One queue's results over the period: its first lane's (a queue of several channels has
    /// one result per channel).
    pub fn queue(&self, queue: &QueueId) -> Option<&Measurement> {
        self.queues
            .iter()
            .find(|((id, _), _)| id == queue)
            .map(|(_, m)| m)
    }
}

/// A measured figure with its standard error, so that a comparison with theory can say whether a
/// difference is noise.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    /// The figure over the whole period.
    pub value: f64,
    /// Batch means: the sample standard deviation of the figure over the batches, divided by the
    /// square root of their number, and widened for what correlation is left between
    /// consecutive batches (see [`Estimate::from_batches`]).
    pub standard_error: f64,
    /// The 95 % confidence interval, `low_95` to `high_95`: Student's t for the batches' degrees
    /// of freedom times the standard error, either side of the value or on its log scale
    /// ([`Scale`]).
    pub low_95: f64,
    pub high_95: f64,
    /// The lag-1 autocorrelation measured between consecutive batch values (0 when negative).
    pub autocorrelation: f64,
    pub batches: usize,
}

/// The scale on which a figure's 95 % interval is symmetric.
///
/// A waiting time near full load is ruled by rare long busy spells: a run that met fewer than
/// its share has both a low ASA and a narrow spread over its batches, one that met more has
/// both high. The error grows with the value (at 94 % occupancy, over 1,000 runs of 240 hours,
/// the standard error grew about as the square of the ASA, their logarithms correlated 0.74)
/// and the value is skewed to the right, so an interval even on both sides misses low far more
/// often than 2.5 % (58 runs in 1,000, against 3 high). On the log scale the interval reaches
/// further up than down, as the errors do: 43 misses low and 6 high, 95.1 % covered. The
/// fractions show no such link (correlations from -0.2 to 0.1) and keep the even interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scale {
    /// value ± t se: for fractions.
    Linear,
    /// value ×/÷ exp(t se / value): for times, whose error grows with them.
    Log,
}

impl Estimate {
    /// The estimate of `value` given the same figure in each batch; `None` with fewer than two.
    ///
    /// Batch means assume the batches independent. Near full load a busy spell can outlast a
    /// batch, so consecutive batch values stay correlated, and the plain standard error is too
    /// small (at 94 % occupancy the spread of ASA over seeds was about 1.5 times it). The lag-1
    /// autocorrelation r of the batch values is measured, and the variance of their mean is
    /// widened as for a first-order autoregressive series, by (1 + r) / (1 - r) (r capped at
    /// 0.9); the interval then uses Student's t for k - 1 degrees of freedom, on `scale`.
    pub fn from_batches(
        value: f64,
        batch_values: impl Iterator<Item = f64>,
        scale: Scale,
    ) -> Option<Estimate> {
        let values: Vec<f64> = batch_values.collect();
        let k = values.len();
        if k < 2 {
            return None;
        }
        let mean = values.iter().sum::<f64>() / k as f64;
        let squares = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
        let variance = squares / (k - 1) as f64;
        let covariance: f64 = values
            .windows(2)
            .map(|pair| (pair[0] - mean) * (pair[1] - mean))
            .sum();
        let autocorrelation = if squares > 0.0 && k > 2 {
            (covariance / squares).clamp(0.0, 0.9)
        } else {
            0.0
        };
        let widening = (1.0 + autocorrelation) / (1.0 - autocorrelation);
        let standard_error = (variance / k as f64 * widening).sqrt();
        let half_width = student_t_975(k - 1) * standard_error;
        let (low_95, high_95) = match scale {
            // The delta method: the log's standard error is the relative one.
            Scale::Log if value > 0.0 => {
                let factor = (half_width / value).exp();
                (value / factor, value * factor)
            }
            // Nothing waited at all: no log scale, and no spread either.
            Scale::Log | Scale::Linear => (value - half_width, value + half_width),
        };
        Some(Estimate {
            value,
            standard_error,
            low_95,
            high_95,
            autocorrelation,
            batches: k,
        })
    }

    /// Whether the 95 % interval holds `x`.
    pub fn covers(&self, x: f64) -> bool {
        (self.low_95..=self.high_95).contains(&x)
    }
}

/// Student's t quantile 0.975 for `df` degrees of freedom: the table to 30, then
/// 1.96 + 2.4 / df, within 0.002 of the exact value from there on.
fn student_t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::INFINITY,
        1..=30 => TABLE[df - 1],
        _ => 1.96 + 2.4 / df as f64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_error_is_the_spread_of_batch_means() {
        // Batches 1, 3, 2, 4 (no positive lag-1 correlation): sample variance 5/3, standard
        // error sqrt(5/3 / 4), and t(3) = 3.182 for the 95 % interval.
        let e =
            Estimate::from_batches(2.5, [1.0, 3.0, 2.0, 4.0].into_iter(), Scale::Linear).unwrap();
        assert_eq!(e.autocorrelation, 0.0);
        assert!((e.standard_error - (5.0f64 / 12.0).sqrt()).abs() < 1e-12);
        assert!((e.high_95 - (2.5 + 3.182 * e.standard_error)).abs() < 1e-12);
        assert!((e.low_95 - (2.5 - 3.182 * e.standard_error)).abs() < 1e-12);
        assert_eq!(e.batches, 4);
        assert!(Estimate::from_batches(1.0, [1.0].into_iter(), Scale::Linear).is_none());
    }

    #[test]
    fn correlated_batches_widen_the_standard_error() {
        // A slow drift: each batch close to the one before. Lag-1 sum of products over the
        // sum of squares, then (1 + r) / (1 - r) on the variance of the mean.
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let e = Estimate::from_batches(3.5, values.into_iter(), Scale::Linear).unwrap();
        let squares: f64 = values.iter().map(|v| (v - 3.5f64).powi(2)).sum();
        let products: f64 = values.windows(2).map(|p| (p[0] - 3.5) * (p[1] - 3.5)).sum();
        let r = products / squares;
        assert!((e.autocorrelation - r).abs() < 1e-12 && r > 0.4, "{r}");
        let plain = (squares / 5.0 / 6.0f64).sqrt();
        assert!((e.standard_error - plain * ((1.0 + r) / (1.0 - r)).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_log_scale_interval_reaches_further_up_than_down() {
        // The same batches on the log scale: the same standard error, an interval from value / f
        // to value x f with f = exp(t se / value), so it holds a value high above that the even
        // one leaves out, and not the lowest the even one takes.
        let batches = [30.0, 80.0, 35.0, 40.0, 45.0, 50.0];
        let even = Estimate::from_batches(46.0, batches.into_iter(), Scale::Linear).unwrap();
        let log = Estimate::from_batches(46.0, batches.into_iter(), Scale::Log).unwrap();
        assert_eq!(log.standard_error, even.standard_error);
        let factor = ((even.high_95 - 46.0) / 46.0).exp();
        assert!((log.high_95 - 46.0 * factor).abs() < 1e-9);
        assert!((log.low_95 - 46.0 / factor).abs() < 1e-9);
        let above = even.high_95 + 1.0;
        let below = even.low_95 + 0.5;
        assert!(log.covers(above) && !even.covers(above));
        assert!(!log.covers(below) && even.covers(below));
        // Nothing waited: no log to take, no spread.
        let zero = Estimate::from_batches(0.0, [0.0; 4].into_iter(), Scale::Log).unwrap();
        assert_eq!((zero.low_95, zero.high_95), (0.0, 0.0));
    }
}
