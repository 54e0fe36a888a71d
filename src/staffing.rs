//! The staffing what-if: Erlang C, or Erlang A when callers are seen to hang up, for one queue,
//! fed by what its rolling window counted (issue 20). A supervisor asks "how many agents does
//! this queue need for its service-level target, and what do the agents working it now get?",
//! and "what if two more go ready, or the calls double?" (`what_if` in protocol.md).
//!
//! Everything here is a pure function of the window's exact counts and the hypothesis, so a
//! client can recompute every figure from the `window` the answer carries:
//!
//! - arrival rate λ = (offered − short abandoned) / the counted span of the window: short
//!   abandons are left out, as the abandonment rate leaves them out;
//! - average handle time = (talk + hold + wrap-up) / handled calls;
//! - mean patience = (wait of answered calls + wait of abandoned calls) / abandoned calls: the
//!   maximum-likelihood estimate for exponential patience, every wait being time at risk of
//!   hanging up (waits of calls still waiting, overflowed or timed out are not counted, which
//!   makes it a little short). No abandon in the window: Erlang C (nobody seen to hang up);
//! - agents = the queue's agents logged in and not in not ready (ready, ringing, on a call, in
//!   wrap-up). An agent of several queues counts in each, as on the wallboard; Erlang treats
//!   them as this queue's alone.
//!
//! Computing Erlang A takes up to a few hundred milliseconds at the largest inputs allowed
//! (BENCHMARKS.md, "What-if"), so the engine hands it to a blocking thread, one at a time.

use jiff::Timestamp;
use serde::Serialize;

use crate::acd::QueueStats;
use crate::acd::config::{ServiceLevelConfig, ServiceLevelVariant};
use crate::erlang::{self, ErlangA, ErlangError};
use crate::protocol::outbound::round;

/// The most agents a what-if may suppose, and the most the search for the agents needed tries.
pub const MAX_AGENTS: u32 = 5_000;
/// The largest arrival rate a what-if may suppose, in calls per hour (a queue of 5,000 agents
/// on three-minute calls takes about 100,000).
pub const MAX_CALLS_PER_HOUR: f64 = 100_000.0;
/// The longest average handle time a what-if may suppose: two hours.
pub const MAX_AHT_SECS: f64 = 7_200.0;
/// The longest mean patience a what-if may suppose: one hour.
pub const MAX_PATIENCE_SECS: f64 = 3_600.0;

/// What a `what_if` supposes instead of what the window counted: each `None` is taken from the
/// queue as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hypothesis {
    pub agents: Option<u32>,
    pub calls_per_hour: Option<f64>,
    pub aht_secs: Option<f64>,
    pub patience_secs: Option<f64>,
}

/// What the queue's rolling window counted, the evidence of the what-if: exact counts, and
/// durations in seconds to the millisecond. Read back from an answer, it gives the same answer
/// again (the protocol's example is checked so).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct Window {
    /// Where the counted window starts: the rolling window's start, or when counting began if
    /// the server has counted for less than that.
    #[serde(serialize_with = "wire_time")]
    pub start: Timestamp,
    /// How long the counted window is.
    pub secs: f64,
    pub offered: u64,
    pub short_abandoned: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub answer_wait_secs: f64,
    pub abandon_wait_secs: f64,
    pub handled: u64,
    /// Talk, hold and wrap-up of the handled calls.
    pub handle_secs: f64,
}

impl Window {
    /// A window of `secs` from `start` that counted nothing.
    pub fn empty(start: Timestamp, secs: f64) -> Window {
        Window {
            start,
            secs,
            offered: 0,
            short_abandoned: 0,
            answered: 0,
            abandoned: 0,
            answer_wait_secs: 0.0,
            abandon_wait_secs: 0.0,
            handled: 0,
            handle_secs: 0.0,
        }
    }

    /// The window of `stats`, counted from `start` for `span`.
    pub fn of(stats: &QueueStats, start: Timestamp, span: std::time::Duration) -> Window {
        let f = &stats.stats.rolling.figures;
        let secs = |ms: u64| ms as f64 / 1000.0;
        Window {
            start,
            secs: span.as_millis() as f64 / 1000.0,
            offered: f.offered,
            short_abandoned: f.short_abandoned,
            answered: f.answered,
            abandoned: f.abandoned,
            answer_wait_secs: secs(f.answer_wait_ms),
            abandon_wait_secs: secs(f.abandon_wait_ms),
            handled: f.handled,
            handle_secs: secs(f.talk_ms + f.hold_ms + f.wrap_up_ms),
        }
    }

    /// Calls per hour, short abandons left out; `None` before the first.
    pub fn calls_per_hour(&self) -> Option<f64> {
        let arrived = self.offered.saturating_sub(self.short_abandoned);
        (arrived > 0 && self.secs > 0.0).then(|| arrived as f64 / self.secs * 3600.0)
    }

    /// The average handle time in seconds; `None` before the first handled call.
    pub fn aht_secs(&self) -> Option<f64> {
        (self.handled > 0 && self.handle_secs > 0.0).then(|| self.handle_secs / self.handled as f64)
    }

    /// The mean patience in seconds, estimated from the abandons and the time callers waited;
    /// `None` when nobody hung up (or nobody waited).
    pub fn patience_secs(&self) -> Option<f64> {
        let waited = self.answer_wait_secs + self.abandon_wait_secs;
        (self.abandoned > 0 && waited > 0.0).then(|| waited / self.abandoned as f64)
    }
}

/// The queue's service-level target, as configured.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    pub threshold_secs: u64,
    pub target_percent: f64,
    pub variant: &'static str,
}

/// The figures used: the window's, or the hypothesis's where it gave one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Inputs {
    pub calls_per_hour: Option<f64>,
    pub aht_secs: Option<f64>,
    /// `None`: Erlang C, nobody hangs up.
    pub patience_secs: Option<f64>,
    pub agents: u32,
}

/// What the model expects of the queue with `inputs.agents`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Expected {
    /// Under the queue's service-level formula.
    pub service_level_percent: f64,
    pub asa_secs: f64,
    /// Callers who find every agent busy.
    pub wait_percent: f64,
    /// Callers who hang up before an answer: `None` under Erlang C.
    pub abandon_percent: Option<f64>,
    pub occupancy_percent: f64,
}

/// Why a what-if has no prediction, or no expected figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Unavailable {
    /// No call arrived in the window and the what-if gave no rate.
    NoCalls,
    /// No call was handled in the window and the what-if gave no handle time.
    NoHandledCalls,
    /// No agent works the queue (and the what-if supposed none).
    NoAgents,
    /// Erlang C with as many Erlangs as agents or more: the queue grows without bound.
    Overloaded,
}

/// The answer to a `what_if`, the `result` of its `ack`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Staffing {
    pub queue: String,
    /// The instant the window was read.
    #[serde(serialize_with = "wire_time")]
    pub at: Timestamp,
    pub window: Window,
    /// The queue's agents logged in and not in not ready, now.
    pub agents_working: u32,
    pub service_level: Target,
    pub inputs: Inputs,
    /// `erlang_a` when a patience is known (observed abandons or supposed), else `erlang_c`;
    /// `None` without a rate and a handle time.
    pub model: Option<&'static str>,
    pub traffic_erlangs: Option<f64>,
    /// The fewest agents that reach the target; `None` without a model, for a target of 100 %
    /// (never reached) or when more than [`MAX_AGENTS`] would be needed.
    pub agents_needed: Option<u32>,
    pub expected: Option<Expected>,
    pub unavailable: Option<Unavailable>,
}

/// Answers a what-if for the queue of `stats`, whose window counted from `start` for `span`.
pub fn what_if(
    stats: &QueueStats,
    start: Timestamp,
    span: std::time::Duration,
    now: Timestamp,
    hypothesis: Hypothesis,
) -> Staffing {
    let counts = &stats.stats.agents;
    let queue = Queue {
        id: stats.id.to_string(),
        window: Window::of(stats, start, span),
        agents_working: counts.logged_in.saturating_sub(counts.not_ready),
        service_level: stats.service_level.clone(),
    };
    answer(queue, now, hypothesis)
}

/// A queue as the what-if sees it.
#[derive(Debug, Clone)]
pub struct Queue {
    pub id: String,
    pub window: Window,
    /// Its agents logged in and not in not ready.
    pub agents_working: u32,
    pub service_level: ServiceLevelConfig,
}

/// Answers a what-if for `queue` at `now`.
pub fn answer(queue: Queue, now: Timestamp, hypothesis: Hypothesis) -> Staffing {
    let Queue {
        id,
        window,
        agents_working,
        service_level: config,
    } = queue;
    // The window's figures are held to the limits a hypothesis has: what the computation
    // costs is bounded whatever the window counted (a minute's burst is not an hour's rate).
    let capped = |value: Option<f64>, max: f64| value.map(|v| v.min(max));
    let inputs = Inputs {
        calls_per_hour: hypothesis
            .calls_per_hour
            .or(capped(window.calls_per_hour(), MAX_CALLS_PER_HOUR)),
        aht_secs: hypothesis
            .aht_secs
            .or(capped(window.aht_secs(), MAX_AHT_SECS)),
        patience_secs: hypothesis
            .patience_secs
            .or(capped(window.patience_secs(), MAX_PATIENCE_SECS)),
        agents: hypothesis.agents.unwrap_or(agents_working.min(MAX_AGENTS)),
    };
    let mut answer = Staffing {
        queue: id,
        at: now,
        window,
        agents_working,
        service_level: Target {
            threshold_secs: config.threshold.as_secs(),
            target_percent: config.target_percent,
            variant: config.variant.name(),
        },
        inputs,
        model: None,
        traffic_erlangs: None,
        agents_needed: None,
        expected: None,
        unavailable: None,
    };
    let (Some(rate), Some(aht)) = (inputs.calls_per_hour, inputs.aht_secs) else {
        answer.unavailable = Some(match inputs.calls_per_hour {
            None => Unavailable::NoCalls,
            Some(_) => Unavailable::NoHandledCalls,
        });
        return answer;
    };
    let model = Model {
        calls_per_hour: rate,
        aht,
        patience: inputs.patience_secs,
        threshold: config.threshold.as_secs_f64(),
        variant: config.variant,
    };
    answer.model = Some(match model.patience {
        Some(_) => "erlang_a",
        None => "erlang_c",
    });
    answer.traffic_erlangs = Some(round(erlang::traffic(rate, aht)));
    answer.agents_needed = model.fewest_agents(config.target_percent / 100.0);
    match model.expect(inputs.agents) {
        Ok(expected) => answer.expected = Some(expected),
        Err(why) => answer.unavailable = Some(why),
    }
    answer
}

/// One queue's traffic under Erlang C or A.
struct Model {
    calls_per_hour: f64,
    aht: f64,
    patience: Option<f64>,
    threshold: f64,
    variant: ServiceLevelVariant,
}

impl Model {
    /// The expected figures with `agents`.
    fn expect(&self, agents: u32) -> Result<Expected, Unavailable> {
        if agents == 0 {
            return Err(Unavailable::NoAgents);
        }
        let overloaded = |error: ErlangError| match error {
            ErlangError::Overloaded { .. } => Unavailable::Overloaded,
            // The inputs are checked positive and finite before they get here.
            other => unreachable!("a what-if's inputs are in range: {other}"),
        };
        let percent = |fraction: f64| round(fraction * 100.0);
        match self.patience {
            None => {
                let p =
                    erlang::Prediction::new(self.calls_per_hour, self.aht, agents, self.threshold)
                        .map_err(overloaded)?;
                Ok(Expected {
                    // Nobody abandons: every formula of the service level is the same.
                    service_level_percent: percent(p.service_level),
                    asa_secs: round(p.average_speed_of_answer),
                    wait_percent: percent(p.probability_of_waiting),
                    abandon_percent: None,
                    occupancy_percent: percent(p.occupancy),
                })
            }
            Some(patience) => {
                let a = self.erlang_a(patience, agents).map_err(overloaded)?;
                Ok(Expected {
                    service_level_percent: percent(a.service_level(self.variant)),
                    asa_secs: round(a.average_speed_of_answer),
                    wait_percent: percent(a.probability_of_waiting),
                    abandon_percent: Some(percent(a.probability_of_abandoning)),
                    occupancy_percent: percent(a.occupancy),
                })
            }
        }
    }

    fn erlang_a(&self, patience: f64, agents: u32) -> Result<ErlangA, ErlangError> {
        ErlangA::new(
            self.calls_per_hour,
            self.aht,
            patience,
            agents,
            self.threshold,
        )
    }

    /// Whether `agents` reach `target` (a fraction).
    fn meets(&self, agents: u32, target: f64) -> bool {
        match self.patience {
            None => erlang::service_level(
                erlang::traffic(self.calls_per_hour, self.aht),
                agents,
                self.aht,
                self.threshold,
            )
            .is_ok_and(|level| level >= target),
            Some(patience) => self
                .erlang_a(patience, agents)
                .is_ok_and(|a| a.service_level(self.variant) >= target),
        }
    }

    /// The fewest agents that reach `target`, up to [`MAX_AGENTS`]: doubling until enough, then
    /// bisecting between the last too few and the first enough (the service level rises with
    /// every agent), so a few dozen evaluations at most.
    fn fewest_agents(&self, target: f64) -> Option<u32> {
        if !(target > 0.0 && target < 1.0) {
            return None;
        }
        let (mut too_few, mut enough) = (0, 1);
        while !self.meets(enough, target) {
            if enough == MAX_AGENTS {
                return None;
            }
            too_few = enough;
            enough = (enough * 2).min(MAX_AGENTS);
        }
        while enough - too_few > 1 {
            let middle = too_few + (enough - too_few) / 2;
            if self.meets(middle, target) {
                enough = middle;
            } else {
                too_few = middle;
            }
        }
        Some(enough)
    }
}

/// A timestamp as every one on the wire: UTC, milliseconds.
fn wire_time<S: serde::Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&crate::protocol::outbound::time(*at))
}

#[cfg(test)]
mod tests {

    use super::*;

    /// A window of 15 minutes: 60 calls offered (2 short abandons), 50 answered after 600 s of
    /// waiting in all, 8 abandoned after 240 s, 48 handled in 8,640 s: 232 calls an hour of
    /// 180 s, 11.6 Erlangs.
    fn window() -> Window {
        Window {
            start: Timestamp::UNIX_EPOCH,
            secs: 900.0,
            offered: 60,
            short_abandoned: 2,
            answered: 50,
            abandoned: 8,
            answer_wait_secs: 600.0,
            abandon_wait_secs: 240.0,
            handled: 48,
            handle_secs: 8_640.0,
        }
    }

    fn queue(window: Window, agents_working: u32, target_percent: f64) -> Queue {
        Queue {
            id: "support".into(),
            window,
            agents_working,
            service_level: ServiceLevelConfig {
                target_percent,
                ..crate::acd::config::QueueConfig::new("support").service_level
            },
        }
    }

    fn ask(queue: Queue, hypothesis: Hypothesis) -> Staffing {
        answer(queue, Timestamp::UNIX_EPOCH, hypothesis)
    }

    #[test]
    fn the_inputs_come_from_the_window_s_counts() {
        let w = window();
        // 58 calls that were not short abandons in 900 s; 8,640 s over 48; 840 s of waiting
        // over 8 abandons.
        assert_eq!(w.calls_per_hour(), Some(58.0 / 900.0 * 3600.0));
        assert_eq!(w.aht_secs(), Some(180.0));
        assert_eq!(w.patience_secs(), Some(105.0));
        let nobody_left = Window {
            abandoned: 0,
            abandon_wait_secs: 0.0,
            ..window()
        };
        assert_eq!(nobody_left.patience_secs(), None);
        let empty = Window {
            offered: 0,
            short_abandoned: 0,
            handled: 0,
            handle_secs: 0.0,
            ..nobody_left
        };
        assert_eq!((empty.calls_per_hour(), empty.aht_secs()), (None, None));
    }

    /// Nobody hung up: Erlang C, with the same figures as `erlang`'s own functions.
    #[test]
    fn without_abandons_it_is_erlang_c() {
        let w = Window {
            abandoned: 0,
            abandon_wait_secs: 0.0,
            ..window()
        };
        let rate = w.calls_per_hour().unwrap();
        let answer = ask(queue(w, 14, 80.0), Hypothesis::default());
        assert_eq!(answer.model, Some("erlang_c"));
        let traffic = erlang::traffic(rate, 180.0);
        assert_eq!(answer.traffic_erlangs, Some(round(traffic)));
        assert_eq!(
            answer.agents_needed,
            Some(erlang::agents_for_service_level(traffic, 180.0, 20.0, 0.8).unwrap())
        );
        let p = erlang::Prediction::new(rate, 180.0, 14, 20.0).unwrap();
        let expected = answer.expected.unwrap();
        assert_eq!(
            expected.service_level_percent,
            round(p.service_level * 100.0)
        );
        assert_eq!(expected.asa_secs, round(p.average_speed_of_answer));
        assert_eq!(expected.abandon_percent, None);
        assert_eq!(answer.unavailable, None);
    }

    /// With abandons: Erlang A at the estimated patience, and the agents needed are the fewest
    /// that reach the target (one fewer does not), checked against `ErlangA` directly.
    #[test]
    fn with_abandons_it_is_erlang_a_and_the_agents_needed_are_the_fewest() {
        for target in [50.0, 80.0, 95.0] {
            let answer = ask(queue(window(), 4, target), Hypothesis::default());
            assert_eq!(answer.model, Some("erlang_a"));
            let rate = window().calls_per_hour().unwrap();
            let level = |n| {
                ErlangA::new(rate, 180.0, 105.0, n, 20.0)
                    .unwrap()
                    .service_level(ServiceLevelVariant::Answered)
            };
            let needed = answer.agents_needed.unwrap();
            assert!(level(needed) >= target / 100.0, "{needed} reach {target} %");
            if needed > 1 {
                assert!(level(needed - 1) < target / 100.0, "{} do not", needed - 1);
            }
            let a = ErlangA::new(rate, 180.0, 105.0, 4, 20.0).unwrap();
            let expected = answer.expected.unwrap();
            assert_eq!(
                expected.abandon_percent,
                Some(round(a.probability_of_abandoning * 100.0))
            );
            assert_eq!(
                expected.wait_percent,
                round(a.probability_of_waiting * 100.0)
            );
        }
    }

    /// What a what-if supposes replaces the window's figure, and only that one.
    #[test]
    fn a_hypothesis_replaces_only_what_it_names() {
        let supposed = Hypothesis {
            agents: Some(9),
            calls_per_hour: Some(300.0),
            ..Hypothesis::default()
        };
        let answer = ask(queue(window(), 4, 80.0), supposed);
        assert_eq!(
            answer.inputs,
            Inputs {
                calls_per_hour: Some(300.0),
                aht_secs: Some(180.0),
                patience_secs: Some(105.0),
                agents: 9
            }
        );
        assert_eq!(answer.agents_working, 4);
        assert_eq!(answer.traffic_erlangs, Some(15.0));
        // A patience supposed where nobody hung up turns Erlang C into A.
        let w = Window {
            abandoned: 0,
            abandon_wait_secs: 0.0,
            ..window()
        };
        let patient = Hypothesis {
            patience_secs: Some(60.0),
            ..Hypothesis::default()
        };
        assert_eq!(ask(queue(w, 4, 80.0), patient).model, Some("erlang_a"));
    }

    /// Fewer agents than Erlangs: under Erlang C the queue has no steady state (overloaded,
    /// but the agents needed are still told); under Erlang A it is stable because callers
    /// leave, and most of them do.
    #[test]
    fn fewer_agents_than_erlangs_is_overloaded_for_c_and_stable_for_a() {
        let w = Window {
            abandoned: 0,
            abandon_wait_secs: 0.0,
            ..window()
        };
        let busy = Hypothesis {
            calls_per_hour: Some(400.0), // 20 Erlangs
            agents: Some(15),
            ..Hypothesis::default()
        };
        let c = ask(queue(w.clone(), 4, 80.0), busy);
        assert_eq!(
            (c.expected, c.unavailable),
            (None, Some(Unavailable::Overloaded))
        );
        assert!(c.agents_needed.unwrap() > 20);
        let a = ask(
            queue(w, 4, 80.0),
            Hypothesis {
                patience_secs: Some(60.0),
                ..busy
            },
        );
        let expected = a.expected.unwrap();
        assert!(expected.abandon_percent.unwrap() > 20.0, "{expected:?}");
        assert!(expected.occupancy_percent > 90.0, "{expected:?}");
    }

    #[test]
    fn what_it_cannot_answer_it_says_why() {
        let empty = Window::empty(Timestamp::UNIX_EPOCH, 900.0);
        let none = ask(queue(empty.clone(), 3, 80.0), Hypothesis::default());
        assert_eq!(none.unavailable, Some(Unavailable::NoCalls));
        assert_eq!(
            (none.model, none.agents_needed, none.expected),
            (None, None, None)
        );
        let rate = Hypothesis {
            calls_per_hour: Some(100.0),
            ..Hypothesis::default()
        };
        let no_aht = ask(queue(empty, 3, 80.0), rate);
        assert_eq!(no_aht.unavailable, Some(Unavailable::NoHandledCalls));
        // Nobody working: the agents needed, but nothing expected of nobody.
        let nobody = ask(queue(window(), 0, 80.0), Hypothesis::default());
        assert_eq!(nobody.unavailable, Some(Unavailable::NoAgents));
        assert!(nobody.agents_needed.is_some() && nobody.expected.is_none());
        // A target of 100 % is never reached.
        assert_eq!(
            ask(queue(window(), 3, 100.0), Hypothesis::default()).agents_needed,
            None
        );
    }
}
