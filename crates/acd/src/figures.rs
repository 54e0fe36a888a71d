//! What the statistics count, and the figures a wallboard shows derived from it.
//!
//! Every field is an exact integer: a count, or a sum of milliseconds. Service level, ASA, AHT,
//! abandonment rate and occupancy are computed from them when read, never stored, so they always
//! agree with the raw numbers (no running averages).

use super::config::ServiceLevelVariant;

/// Exact sums and counts for one window. Durations are in milliseconds; agent time is in
/// agent-milliseconds (two agents idle for one second add 2,000).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Figures {
    /// Calls that entered the queue (an overflowed or transferred call counts in each queue it
    /// enters; a tenant's figures are the sum of its queues').
    pub offered: u64,
    pub answered: u64,
    pub answered_within_threshold: u64,
    /// Callers who hung up while waiting or ringing, after the short-abandon threshold.
    pub abandoned: u64,
    pub abandoned_within_threshold: u64,
    /// Callers who hung up before the short-abandon threshold: counted in `offered` too, and
    /// nowhere else (not abandoned, not in the service level, out of both sides of the
    /// abandonment rate).
    pub short_abandoned: u64,
    /// Calls that left the queue unanswered for another queue (maximum wait, escalation or a
    /// supervisor's move).
    pub overflowed: u64,
    /// Calls that reached the maximum wait with nowhere to overflow to.
    pub timed_out: u64,
    /// Calls turned away because the queue was full; they are not offered.
    pub refused: u64,
    /// Total wait of answered calls, for the average speed of answer.
    pub answer_wait_ms: u64,
    /// Total wait of abandoned calls (not short abandons).
    pub abandon_wait_ms: u64,
    /// Calls whose handling (talk, hold and wrap-up of one agent) ended in the window.
    pub handled: u64,
    pub talk_ms: u64,
    pub hold_ms: u64,
    pub wrap_up_ms: u64,
    /// Agent time spent ready and idle.
    pub ready_idle_ms: u64,
    /// Agent time spent on calls and in wrap-up.
    pub handling_ms: u64,
    /// Conversations whose agent wrote its first reply in the window: the reply came
    /// `first_response_ms` in total after the customers started them.
    #[serde(default)]
    pub first_responses: u64,
    #[serde(default)]
    pub first_responses_within_threshold: u64,
    #[serde(default)]
    pub first_response_ms: u64,
    /// Place time of the queue's channel (one place for one millisecond adds 1): places its
    /// agents staffed (their capacity while ready or busy, what they hold while not ready), places
    /// taken (conversations offered, open or in wrap-up), and agent time holding at least one.
    #[serde(default)]
    pub places_ms: u64,
    #[serde(default)]
    pub places_taken_ms: u64,
    #[serde(default)]
    pub holding_ms: u64,
}

fn ratio(numerator: u64, denominator: u64) -> Option<f64> {
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

impl Figures {
    /// The service level as a fraction from 0 to 1 under the given formula; `None` before the
    /// first call that counts.
    pub fn service_level(&self, variant: ServiceLevelVariant) -> Option<f64> {
        match variant {
            ServiceLevelVariant::Answered => ratio(self.answered_within_threshold, self.answered),
            ServiceLevelVariant::Offered => ratio(
                self.answered_within_threshold + self.abandoned_within_threshold,
                self.answered + self.abandoned,
            ),
            ServiceLevelVariant::ShortAbandonExcluded => ratio(
                self.answered_within_threshold,
                self.answered + self.abandoned - self.abandoned_within_threshold,
            ),
        }
    }

    /// Average speed of answer in seconds: total wait of answered calls / answered calls.
    pub fn average_speed_of_answer(&self) -> Option<f64> {
        ratio(self.answer_wait_ms, self.answered).map(|ms| ms / 1000.0)
    }

    /// Average handle time in seconds: (talk + hold + wrap-up) / handled calls.
    pub fn average_handle_time(&self) -> Option<f64> {
        ratio(self.talk_ms + self.hold_ms + self.wrap_up_ms, self.handled).map(|ms| ms / 1000.0)
    }

    /// Abandoned / offered, short abandons left out of both, at most 1. A call counts in the
    /// window in which each of its events happened, so in a window a call may be abandoned
    /// that was offered before it (hence the saturating subtraction): on a short rolling window
    /// under heavy abandonment the raw ratio can pass 1, and a rate above 100 % means nothing.
    pub fn abandonment_rate(&self) -> Option<f64> {
        ratio(
            self.abandoned,
            self.offered.saturating_sub(self.short_abandoned),
        )
        .map(|rate| rate.min(1.0))
    }

    /// Handling time / (handling time + ready idle time).
    pub fn occupancy(&self) -> Option<f64> {
        ratio(self.handling_ms, self.handling_ms + self.ready_idle_ms)
    }

    /// First replies within the first-response threshold / first replies.
    pub fn first_response_service_level(&self) -> Option<f64> {
        ratio(self.first_responses_within_threshold, self.first_responses)
    }

    /// Average first response time in seconds: from the customer's start of the conversation
    /// to its agent's first reply.
    pub fn average_first_response(&self) -> Option<f64> {
        ratio(self.first_response_ms, self.first_responses).map(|ms| ms / 1000.0)
    }

    /// Conversations an agent held at once, on average over the time it held any: places taken
    /// / time holding.
    pub fn concurrency(&self) -> Option<f64> {
        ratio(self.places_taken_ms, self.holding_ms)
    }

    /// Occupancy by capacity used: places taken / places staffed.
    pub fn capacity_occupancy(&self) -> Option<f64> {
        ratio(self.places_taken_ms, self.places_ms)
    }

    pub(crate) fn apply(&mut self, sample: &Sample, add: bool) {
        let f = |field: &mut u64, value: u64| {
            if add {
                *field += value;
            } else {
                *field -= value;
            }
        };
        match *sample {
            Sample::Offered => f(&mut self.offered, 1),
            Sample::Refused => f(&mut self.refused, 1),
            Sample::Overflowed => f(&mut self.overflowed, 1),
            Sample::TimedOut => f(&mut self.timed_out, 1),
            Sample::Answered {
                wait_ms,
                within_threshold,
            } => {
                f(&mut self.answered, 1);
                f(&mut self.answered_within_threshold, within_threshold as u64);
                f(&mut self.answer_wait_ms, wait_ms);
            }
            Sample::Abandoned {
                wait_ms,
                within_threshold,
                short,
            } => {
                if short {
                    f(&mut self.short_abandoned, 1);
                } else {
                    f(&mut self.abandoned, 1);
                    f(
                        &mut self.abandoned_within_threshold,
                        within_threshold as u64,
                    );
                    f(&mut self.abandon_wait_ms, wait_ms);
                }
            }
            Sample::Handled {
                talk_ms,
                hold_ms,
                wrap_up_ms,
            } => {
                f(&mut self.handled, 1);
                f(&mut self.talk_ms, talk_ms);
                f(&mut self.hold_ms, hold_ms);
                f(&mut self.wrap_up_ms, wrap_up_ms);
            }
            Sample::FirstResponse {
                wait_ms,
                within_threshold,
            } => {
                f(&mut self.first_responses, 1);
                f(
                    &mut self.first_responses_within_threshold,
                    within_threshold as u64,
                );
                f(&mut self.first_response_ms, wait_ms);
            }
        }
    }

    /// The figures counted since `earlier`, a copy of these taken before. Figures only grow, so
    /// a field that decreased is a bug: it panics rather than report nonsense.
    pub fn minus(&self, earlier: &Figures) -> Figures {
        self.zip(earlier, |later, earlier| {
            later
                .checked_sub(earlier)
                .expect("cumulative figures never decrease")
        })
    }

    /// Both together: the figures of two queues as one (a channel's total, say).
    pub fn plus(&self, other: &Figures) -> Figures {
        self.zip(other, |a, b| a + b)
    }

    /// Every field of these and `other` combined by `f`.
    fn zip(&self, other: &Figures, f: impl Fn(u64, u64) -> u64) -> Figures {
        let (a, b) = (self, other);
        Figures {
            offered: f(a.offered, b.offered),
            answered: f(a.answered, b.answered),
            answered_within_threshold: f(a.answered_within_threshold, b.answered_within_threshold),
            abandoned: f(a.abandoned, b.abandoned),
            abandoned_within_threshold: f(
                a.abandoned_within_threshold,
                b.abandoned_within_threshold,
            ),
            short_abandoned: f(a.short_abandoned, b.short_abandoned),
            overflowed: f(a.overflowed, b.overflowed),
            timed_out: f(a.timed_out, b.timed_out),
            refused: f(a.refused, b.refused),
            answer_wait_ms: f(a.answer_wait_ms, b.answer_wait_ms),
            abandon_wait_ms: f(a.abandon_wait_ms, b.abandon_wait_ms),
            handled: f(a.handled, b.handled),
            talk_ms: f(a.talk_ms, b.talk_ms),
            hold_ms: f(a.hold_ms, b.hold_ms),
            wrap_up_ms: f(a.wrap_up_ms, b.wrap_up_ms),
            ready_idle_ms: f(a.ready_idle_ms, b.ready_idle_ms),
            handling_ms: f(a.handling_ms, b.handling_ms),
            first_responses: f(a.first_responses, b.first_responses),
            first_responses_within_threshold: f(
                a.first_responses_within_threshold,
                b.first_responses_within_threshold,
            ),
            first_response_ms: f(a.first_response_ms, b.first_response_ms),
            places_ms: f(a.places_ms, b.places_ms),
            places_taken_ms: f(a.places_taken_ms, b.places_taken_ms),
            holding_ms: f(a.holding_ms, b.holding_ms),
        }
    }
}

/// One thing that happened to a call, as the statistics see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) enum Sample {
    Offered,
    Refused,
    Overflowed,
    TimedOut,
    Answered {
        wait_ms: u64,
        within_threshold: bool,
    },
    Abandoned {
        wait_ms: u64,
        within_threshold: bool,
        short: bool,
    },
    Handled {
        talk_ms: u64,
        hold_ms: u64,
        wrap_up_ms: u64,
    },
    /// A conversation's agent wrote its first reply `wait_ms` after the conversation began.
    FirstResponse {
        wait_ms: u64,
        within_threshold: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_with_more_abandons_than_offers_says_100_percent() {
        // Two calls offered before the window began were abandoned in it, with one new offer.
        let figures = Figures {
            offered: 1,
            abandoned: 2,
            ..Figures::default()
        };
        assert_eq!(figures.abandonment_rate(), Some(1.0));
        let usual = Figures {
            offered: 8,
            abandoned: 2,
            short_abandoned: 4,
            ..Figures::default()
        };
        assert_eq!(usual.abandonment_rate(), Some(0.5));
    }
}
