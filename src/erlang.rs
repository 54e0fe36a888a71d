//! Erlang C, and Erlang A for callers who hang up ([`ErlangA`]): what queueing theory predicts
//! for a queue of N agents.
//!
//! Workforce planners staff contact centers with these formulas, and the simulator's results are
//! checked against them: if the ACD routed calls wrongly or counted waits wrongly, measured
//! figures would drift from the prediction. The model is M/M/N: Poisson arrivals, exponential
//! handle times, N identical agents, first come first served, nobody abandons.
//!
//! Formulas (see ACD-REFERENCE.md), with traffic A = arrival rate x AHT in Erlangs:
//!
//! - Erlang B by the stable recursion B_0 = 1, B_k = A B_{k-1} / (k + A B_{k-1}).
//! - Probability of waiting C = N B_N / (N - A (1 - B_N)).
//! - ASA = C x AHT / (N - A).
//! - Service level SL(T) = 1 - C exp(-(N - A) T / AHT).
//! - Occupancy = A / N.
//!
//! Everything but Erlang B needs A < N: with as much traffic as agents or more, the queue grows
//! without bound and there is no steady state to predict, so those functions return
//! [`ErlangError::Overloaded`].
//!
//! Times are in seconds as `f64`: these are continuous formulas, not clock readings.

use crate::acd::config::ServiceLevelVariant;

/// Why a prediction cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum ErlangError {
    /// A >= N: the queue has no steady state, every caller eventually waits forever.
    #[error(
        "{traffic} Erlangs of traffic need more than {agents} agents: the queue would grow without bound"
    )]
    Overloaded { traffic: f64, agents: u32 },
    /// An input that is negative, not finite, or zero where it divides.
    #[error("{what} must be a finite number greater than 0, not {value}")]
    NotPositive { what: &'static str, value: f64 },
    /// A service-level target outside (0, 1): 0 needs no agents, 1 is never reached.
    #[error("the service-level target must be a fraction strictly between 0 and 1, not {0}")]
    BadTarget(f64),
}

fn positive(what: &'static str, value: f64) -> Result<f64, ErlangError> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(ErlangError::NotPositive { what, value })
    }
}

/// A service-level threshold: finite, 0 or more seconds.
fn threshold(secs: f64) -> Result<f64, ErlangError> {
    if secs.is_finite() && secs >= 0.0 {
        Ok(secs)
    } else {
        Err(ErlangError::NotPositive {
            what: "the service-level threshold",
            value: secs,
        })
    }
}

fn non_negative_traffic(traffic: f64) -> Result<f64, ErlangError> {
    if traffic.is_finite() && traffic >= 0.0 {
        Ok(traffic)
    } else {
        Err(ErlangError::NotPositive {
            what: "the traffic",
            value: traffic,
        })
    }
}

fn stable(traffic: f64, agents: u32) -> Result<f64, ErlangError> {
    let traffic = non_negative_traffic(traffic)?;
    if traffic < agents as f64 {
        Ok(traffic)
    } else {
        Err(ErlangError::Overloaded { traffic, agents })
    }
}

/// The offered traffic in Erlangs: how many agents would be busy on average if no call ever
/// waited. The first number a planner computes. `calls_per_hour` and the average handle time
/// must be finite and not negative.
pub fn traffic(calls_per_hour: f64, average_handle_time_secs: f64) -> f64 {
    calls_per_hour / 3600.0 * average_handle_time_secs
}

/// Erlang B: the probability that all `agents` are busy in a system where callers who find no
/// free agent are lost (no queue). Defined for any traffic; Erlang C is built from it. The
/// recursion never forms a factorial or a power, so it is exact in floating point for thousands
/// of agents.
pub fn erlang_b(traffic: f64, agents: u32) -> Result<f64, ErlangError> {
    let traffic = non_negative_traffic(traffic)?;
    let mut blocking = 1.0;
    for k in 1..=agents {
        blocking = traffic * blocking / (k as f64 + traffic * blocking);
    }
    Ok(blocking)
}

/// Erlang C: the probability that a caller has to wait at all (finds every agent busy).
pub fn probability_of_waiting(traffic: f64, agents: u32) -> Result<f64, ErlangError> {
    let traffic = stable(traffic, agents)?;
    let blocking = erlang_b(traffic, agents)?;
    let n = agents as f64;
    Ok(n * blocking / (n - traffic * (1.0 - blocking)))
}

/// The average speed of answer in seconds: the mean wait over all answered calls, including the
/// ones answered at once.
pub fn average_speed_of_answer(
    traffic: f64,
    agents: u32,
    average_handle_time_secs: f64,
) -> Result<f64, ErlangError> {
    let aht = positive("the average handle time", average_handle_time_secs)?;
    let waiting = probability_of_waiting(traffic, agents)?;
    Ok(waiting * aht / (agents as f64 - traffic))
}

/// The service level: the fraction of calls answered within `threshold_secs` (the
/// `answered` variant, which is the one Erlang C predicts when nobody abandons).
pub fn service_level(
    traffic: f64,
    agents: u32,
    average_handle_time_secs: f64,
    threshold_secs: f64,
) -> Result<f64, ErlangError> {
    let aht = positive("the average handle time", average_handle_time_secs)?;
    threshold(threshold_secs)?;
    let waiting = probability_of_waiting(traffic, agents)?;
    Ok(1.0 - waiting * (-(agents as f64 - traffic) * threshold_secs / aht).exp())
}

/// Occupancy: the fraction of logged-in time agents spend handling calls, A / N.
pub fn occupancy(traffic: f64, agents: u32) -> Result<f64, ErlangError> {
    let traffic = stable(traffic, agents)?;
    Ok(traffic / agents as f64)
}

/// The fewest agents that reach a service-level target (a fraction, e.g. 0.8 for "80 % in
/// 20 s"): the staffing question the formulas exist to answer.
pub fn agents_for_service_level(
    traffic: f64,
    average_handle_time_secs: f64,
    threshold_secs: f64,
    target: f64,
) -> Result<u32, ErlangError> {
    let traffic = non_negative_traffic(traffic)?;
    positive("the average handle time", average_handle_time_secs)?;
    if !(target > 0.0 && target < 1.0) {
        return Err(ErlangError::BadTarget(target));
    }
    // The service level rises with every agent past A and reaches 1 in floating point, so the
    // search ends; the first candidate is the smallest stable N.
    let mut agents = traffic.floor() as u32 + 1;
    loop {
        if service_level(traffic, agents, average_handle_time_secs, threshold_secs)? >= target {
            return Ok(agents);
        }
        agents += 1;
    }
}

/// Every Erlang C figure for one staffing, as reports and the simulator compare them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prediction {
    /// A, in Erlangs.
    pub traffic: f64,
    pub agents: u32,
    /// The AHT in seconds the prediction assumes, to compare with the measured one.
    pub average_handle_time: f64,
    pub probability_of_waiting: f64,
    /// Seconds.
    pub average_speed_of_answer: f64,
    /// The threshold T in seconds the service level is for.
    pub threshold_secs: f64,
    /// Fraction of calls answered within T.
    pub service_level: f64,
    pub occupancy: f64,
}

impl Prediction {
    /// Predicts a queue offered `calls_per_hour` with the given average handle time, staffed with
    /// `agents`.
    pub fn new(
        calls_per_hour: f64,
        average_handle_time_secs: f64,
        agents: u32,
        threshold_secs: f64,
    ) -> Result<Prediction, ErlangError> {
        positive("the average handle time", average_handle_time_secs)?;
        let traffic = traffic(calls_per_hour, average_handle_time_secs);
        Ok(Prediction {
            traffic,
            agents,
            average_handle_time: average_handle_time_secs,
            probability_of_waiting: probability_of_waiting(traffic, agents)?,
            average_speed_of_answer: average_speed_of_answer(
                traffic,
                agents,
                average_handle_time_secs,
            )?,
            threshold_secs,
            service_level: service_level(
                traffic,
                agents,
                average_handle_time_secs,
                threshold_secs,
            )?,
            occupancy: occupancy(traffic, agents)?,
        })
    }
}

/// Erlang A (Palm's model, M/M/N+M): Erlang C's queue with callers who hang up. Each waiting
/// caller has an exponential patience with mean `patience_secs` and leaves unanswered when it
/// runs out; so the queue is stable at any traffic, fewer agents than Erlangs included.
///
/// Computed from the birth-death chain of the number of callers in the system (births at the
/// arrival rate λ; deaths at min(n, N)/AHT for service plus (n - N)⁺/patience for abandonment),
/// as Garnett, Mandelbaum and Reiman (2002) set it out, by summing its steady state π over the
/// states that carry any probability (in log space, so thousands of agents do not overflow):
///
/// - P(wait) = Σ_{n ≥ N} π_n (an arrival sees the steady state: PASTA).
/// - A caller who finds j callers waiting ahead moves up at rate N/AHT + i/patience when i are
///   ahead, and leaves at its own rate 1/patience: it is answered with probability
///   P_j = Π_{i=0..j} (Nμ + iθ) / (Nμ + (i+1)θ), after stages of mean 1 / (Nμ + (i+1)θ).
///   P(abandon) = Σ_j π_{N+j} (1 - P_j); ASA, the mean wait of the answered calls (those answered
///   at once included, as the ACD counts it), follows from the same stages.
/// - The calls answered, and those abandoned, within T use the same chain run for T seconds by
///   uniformization, an exact series for a finite chain; the service level under each of the
///   ACD's formulas follows from them ([`ErlangA::service_level`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErlangA {
    /// A, in Erlangs.
    pub traffic: f64,
    pub agents: u32,
    pub average_handle_time: f64,
    /// The mean patience in seconds.
    pub patience: f64,
    /// The threshold T in seconds the service levels are for.
    pub threshold_secs: f64,
    /// The probability that a caller finds every agent busy.
    pub probability_of_waiting: f64,
    /// The probability that a caller hangs up before an answer: the abandonment rate.
    pub probability_of_abandoning: f64,
    /// The mean wait, in seconds, of the answered calls.
    pub average_speed_of_answer: f64,
    /// The mean wait, in seconds, of every caller, answered or not.
    pub average_wait: f64,
    /// Of the calls offered, the fraction answered within T.
    pub answered_within_threshold: f64,
    /// Of the calls offered, the fraction that hung up within T.
    pub abandoned_within_threshold: f64,
    /// The fraction of logged-in time agents spend on calls: the answered traffic over N.
    pub occupancy: f64,
}

/// States whose probability is below this, relative to the most likely, are left out.
const NEGLIGIBLE_LOG: f64 = -46.0; // about 1e-20
/// The same, as a ratio.
const NEGLIGIBLE: f64 = 1.0e-20;

/// The most states Erlang A sums: a patience so long against so much traffic that the queue
/// needs more is refused (it is Erlang C's overload in all but name).
const MAX_STATES: usize = 5_000_000;

impl ErlangA {
    pub fn new(
        calls_per_hour: f64,
        average_handle_time_secs: f64,
        patience_secs: f64,
        agents: u32,
        threshold_secs: f64,
    ) -> Result<ErlangA, ErlangError> {
        let aht = positive("the average handle time", average_handle_time_secs)?;
        let patience = positive("the mean patience", patience_secs)?;
        let lambda = positive("the arrival rate", calls_per_hour)? / 3600.0;
        threshold(threshold_secs)?;
        positive("the number of agents", agents as f64)?;
        let (mu, theta, n) = (1.0 / aht, 1.0 / patience, agents as usize);
        let pi = steady_state(lambda, mu, theta, n).ok_or(ErlangError::Overloaded {
            traffic: lambda * aht,
            agents,
        })?;
        let served_rate = agents as f64 * mu;
        // Callers who find j waiting ahead: answered with P_j, after the stages' mean time.
        let waiting = &pi[n.min(pi.len())..];
        let (mut answered_later, mut wait_of_answered, mut wait_of_all) = (0.0, 0.0, 0.0);
        // With j ahead: P_j, the stages' mean time S_j, and the mean time waited answered or
        // not, T_j = 1 / r_j + q_j T_{j-1} (the stage, then the next one if reached).
        let (mut p_j, mut stages, mut waited) = (1.0, 0.0, 0.0);
        for (j, &p) in waiting.iter().enumerate() {
            let rate = served_rate + (j as f64 + 1.0) * theta;
            let on = (served_rate + j as f64 * theta) / rate;
            p_j *= on;
            stages += 1.0 / rate;
            waited = 1.0 / rate + on * waited;
            answered_later += p * p_j;
            wait_of_answered += p * p_j * stages;
            wait_of_all += p * waited;
        }
        let probability_of_waiting: f64 = waiting.iter().sum();
        let answered = (1.0 - probability_of_waiting) + answered_later;
        let (answered_by_t, abandoned_by_t) =
            absorbed_by(waiting, served_rate, theta, threshold_secs);
        let answered_within = (1.0 - probability_of_waiting) + answered_by_t;
        Ok(ErlangA {
            traffic: lambda * aht,
            agents,
            average_handle_time: aht,
            patience,
            threshold_secs,
            probability_of_waiting,
            probability_of_abandoning: 1.0 - answered,
            average_speed_of_answer: wait_of_answered / answered,
            average_wait: wait_of_all,
            answered_within_threshold: answered_within,
            abandoned_within_threshold: abandoned_by_t,
            occupancy: lambda * answered * aht / agents as f64,
        })
    }
}

impl ErlangA {
    /// Of the answered calls, the fraction that waited at all: every caller who waits is
    /// answered later or hangs up, so (P(wait) - P(abandon)) / P(answered).
    pub fn probability_answered_call_waited(&self) -> f64 {
        (self.probability_of_waiting - self.probability_of_abandoning)
            / (1.0 - self.probability_of_abandoning)
    }

    /// The service level under one of the ACD's formulas (`[tenants.queues] service_level`),
    /// as the queue's figures compute it from the same counts.
    pub fn service_level(&self, variant: ServiceLevelVariant) -> f64 {
        let answered = 1.0 - self.probability_of_abandoning;
        match variant {
            ServiceLevelVariant::Answered => self.answered_within_threshold / answered,
            ServiceLevelVariant::Offered => {
                self.answered_within_threshold + self.abandoned_within_threshold
            }
            ServiceLevelVariant::ShortAbandonExcluded => {
                self.answered_within_threshold / (1.0 - self.abandoned_within_threshold)
            }
        }
    }
}

/// The steady state π_0.. of the Erlang A chain, normalized, up to the last state that carries
/// any probability; `None` when that takes more than [`MAX_STATES`].
fn steady_state(lambda: f64, mu: f64, theta: f64, agents: usize) -> Option<Vec<f64>> {
    let mut logs = vec![0.0f64];
    let (mut log, mut peak) = (0.0f64, 0.0f64);
    for state in 1.. {
        let death = state.min(agents) as f64 * mu + state.saturating_sub(agents) as f64 * theta;
        log += lambda.ln() - death.ln();
        peak = peak.max(log);
        logs.push(log);
        // Past the agents and past the mode, the terms only fall: stop once negligible.
        if state > agents && lambda < death && log - peak < NEGLIGIBLE_LOG {
            break;
        }
        if state >= MAX_STATES {
            return None;
        }
    }
    let mut pi: Vec<f64> = logs.iter().map(|l| (l - peak).exp()).collect();
    let total: f64 = pi.iter().sum();
    pi.iter_mut().for_each(|p| *p /= total);
    Some(pi)
}

/// Of callers who find `waiting[j]` (a probability) with j ahead, the mass answered and the
/// mass that hung up within `t` seconds: the chain of stages run for `t` by uniformization.
fn absorbed_by(waiting: &[f64], served_rate: f64, theta: f64, t: f64) -> (f64, f64) {
    if waiting.is_empty() || t == 0.0 {
        return (0.0, 0.0);
    }
    let top = waiting.len();
    let uniform = served_rate + top as f64 * theta;
    let lt = uniform * t;
    // Poisson(lt) weights, from the first to past the right tail.
    let steps = (lt + 12.0 * lt.sqrt() + 40.0).ceil() as usize;
    // Mass below this share of the largest is left out, as the steady state leaves out its
    // states: what remains is a band of positions (around the mode, for a queue longer than
    // its agents can serve), and each step moves mass down one place at most, so step k only
    // visits the band and k places below it. The same sums, in a fraction of the time when
    // the queue is long (BENCHMARKS.md, "What-if").
    let largest = waiting.iter().copied().fold(0.0, f64::max);
    let mut mass: Vec<f64> = waiting
        .iter()
        .map(|&m| if m < largest * NEGLIGIBLE { 0.0 } else { m })
        .collect();
    let band_top = mass.iter().rposition(|&m| m > 0.0).unwrap_or(0);
    let mut band_bottom = mass.iter().position(|&m| m > 0.0).unwrap_or(0);
    // The next step's mass: two buffers swapped, not one allocated a step.
    let mut next = vec![0.0; top];
    let (mut answered, mut abandoned) = (0.0, 0.0);
    let (mut answered_by, mut abandoned_by) = (0.0, 0.0);
    let mut log_weight = -lt;
    let mut remaining = 1.0;
    for k in 0..=steps {
        if k > 0 {
            log_weight += lt.ln() - (k as f64).ln();
            let reached = band_bottom.saturating_sub(1);
            next[reached..=band_top].fill(0.0);
            for (i, &m) in mass.iter().enumerate().take(band_top + 1).skip(band_bottom) {
                if m == 0.0 {
                    continue;
                }
                let on = served_rate + i as f64 * theta;
                let leave = theta;
                if i == 0 {
                    answered += m * on / uniform;
                } else {
                    next[i - 1] += m * on / uniform;
                }
                abandoned += m * leave / uniform;
                next[i] += m * (1.0 - (on + leave) / uniform);
            }
            std::mem::swap(&mut mass, &mut next);
            band_bottom = reached;
        }
        // P(absorbed by t) = Σ_k Poisson(k) x (absorbed after k uniformized steps).
        let weight = log_weight.exp();
        answered_by += weight * answered;
        abandoned_by += weight * abandoned;
        remaining -= weight;
        if remaining < 1e-15 && k as f64 > lt {
            break;
        }
    }
    (answered_by, abandoned_by)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of ACD-REFERENCE.md: 360 calls per 30 minutes, AHT 240 s, T = 15 s.
    const CALLS_PER_HOUR: f64 = 720.0;
    const AHT: f64 = 240.0;
    const THRESHOLD: f64 = 15.0;

    fn round(value: f64, decimals: i32) -> f64 {
        let scale = 10f64.powi(decimals);
        (value * scale).round() / scale
    }

    #[test]
    fn worked_example_with_55_agents() {
        let p = Prediction::new(CALLS_PER_HOUR, AHT, 55, THRESHOLD).unwrap();
        assert_eq!(p.traffic, 48.0);
        assert_eq!(round(p.probability_of_waiting, 4), 0.2387);
        assert_eq!(round(p.average_speed_of_answer, 2), 8.18);
        assert_eq!(round(p.service_level * 100.0, 1), 84.6);
        assert_eq!(round(p.occupancy * 100.0, 2), 87.27);
    }

    #[test]
    fn worked_example_with_54_agents() {
        let sl = service_level(48.0, 54, AHT, THRESHOLD).unwrap();
        assert_eq!(round(sl * 100.0, 1), 79.3);
    }

    #[test]
    fn erlang_b_matches_the_closed_form_for_small_cases() {
        // B(A, 1) = A / (1 + A); B(A, 2) = (A^2 / 2) / (1 + A + A^2 / 2).
        let a: f64 = 1.5;
        assert!((erlang_b(a, 1).unwrap() - a / (1.0 + a)).abs() < 1e-15);
        let two = (a * a / 2.0) / (1.0 + a + a * a / 2.0);
        assert!((erlang_b(a, 2).unwrap() - two).abs() < 1e-15);
        assert_eq!(erlang_b(a, 0).unwrap(), 1.0);
    }

    #[test]
    fn one_agent_is_the_m_m_1_queue() {
        // M/M/1: P(wait) = rho, ASA = rho / (1 - rho) x AHT.
        let rho = 0.75;
        assert!((probability_of_waiting(rho, 1).unwrap() - rho).abs() < 1e-12);
        let asa = average_speed_of_answer(rho, 1, 100.0).unwrap();
        assert!((asa - 300.0).abs() < 1e-9);
    }

    #[test]
    fn large_contact_centers_stay_finite() {
        let c = probability_of_waiting(4_900.0, 5_000).unwrap();
        assert!(c.is_finite() && (0.0..1.0).contains(&c), "{c}");
    }

    #[test]
    fn overload_is_an_error_not_a_number() {
        let overloaded = ErlangError::Overloaded {
            traffic: 48.0,
            agents: 48,
        };
        assert_eq!(probability_of_waiting(48.0, 48), Err(overloaded));
        assert_eq!(average_speed_of_answer(48.0, 48, AHT), Err(overloaded));
        assert_eq!(service_level(48.0, 48, AHT, THRESHOLD), Err(overloaded));
        assert_eq!(occupancy(48.0, 48), Err(overloaded));
        assert!(matches!(
            Prediction::new(CALLS_PER_HOUR, AHT, 40, THRESHOLD),
            Err(ErlangError::Overloaded { .. })
        ));
        assert!(matches!(
            probability_of_waiting(f64::NAN, 5),
            Err(ErlangError::NotPositive { .. })
        ));
    }

    #[test]
    fn staffing_finds_the_smallest_team_reaching_the_target() {
        // 54 agents reach 79.3 % in 15 s, 55 reach 84.6 %.
        assert_eq!(
            agents_for_service_level(48.0, AHT, THRESHOLD, 0.80).unwrap(),
            55
        );
        assert_eq!(
            agents_for_service_level(48.0, AHT, THRESHOLD, 0.79).unwrap(),
            54
        );
        // Any target needs at least A + 1 agents, even a tiny one.
        assert_eq!(
            agents_for_service_level(48.0, AHT, THRESHOLD, 0.01).unwrap(),
            49
        );
        assert_eq!(
            agents_for_service_level(48.0, AHT, THRESHOLD, 1.0),
            Err(ErlangError::BadTarget(1.0))
        );
    }

    /// P(X >= n) and E[(X - n)+] for X Poisson with mean `mean`, summed term by term: the
    /// infinite-server queue's figures, computed without the Erlang A chain.
    fn poisson_tail(mean: f64, n: u32) -> (f64, f64) {
        let (mut term, mut below, mut excess) = ((-mean).exp(), 0.0, 0.0);
        for k in 0..2000u32 {
            if k < n {
                below += term;
            } else {
                excess += (k - n) as f64 * term;
            }
            term *= mean / (k + 1) as f64;
        }
        (1.0 - below, excess)
    }

    /// With a mean patience equal to the handle time, every caller leaves at the same rate
    /// whether served or waiting: the number in the system is Poisson(A), as in a queue with
    /// as many agents as callers. So P(wait) = P(X >= N) and P(abandon) = E[(X - N)+] / A, also
    /// with fewer agents than Erlangs.
    #[test]
    fn erlang_a_with_patience_equal_to_the_handle_time_is_the_infinite_server_queue() {
        for (calls_per_hour, agents) in [(720.0, 55), (720.0, 48), (720.0, 40), (90.0, 3)] {
            let a = ErlangA::new(calls_per_hour, AHT, AHT, agents, THRESHOLD).unwrap();
            let (waits, excess) = poisson_tail(a.traffic, agents);
            let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
            assert!(close(a.probability_of_waiting, waits), "{a:?} {waits}");
            assert!(
                close(a.probability_of_abandoning, excess / a.traffic),
                "{a:?} {excess}"
            );
            // Answered calls are served at N x occupancy / AHT.
            let served = a.traffic * (1.0 - a.probability_of_abandoning) / agents as f64;
            assert!(close(a.occupancy, served));
        }
    }

    /// With patience far longer than any wait, Erlang A is Erlang C: the worked example.
    #[test]
    fn erlang_a_with_endless_patience_is_erlang_c() {
        let a = ErlangA::new(CALLS_PER_HOUR, AHT, 1e9, 55, THRESHOLD).unwrap();
        let c = Prediction::new(CALLS_PER_HOUR, AHT, 55, THRESHOLD).unwrap();
        let close = |x: f64, y: f64, tolerance: f64| (x - y).abs() < tolerance;
        assert!(
            close(a.probability_of_waiting, c.probability_of_waiting, 1e-6),
            "{a:?}"
        );
        assert!(
            close(a.average_speed_of_answer, c.average_speed_of_answer, 1e-4),
            "{a:?}"
        );
        assert!(
            close(a.answered_within_threshold, c.service_level, 1e-6),
            "{a:?}"
        );
        assert!(
            close(
                a.service_level(ServiceLevelVariant::Answered),
                c.service_level,
                1e-6
            ),
            "{a:?}"
        );
        assert!(a.probability_of_abandoning < 1e-6, "{a:?}");
    }

    /// The figures computed from the callers' stages agree with those the steady state gives by
    /// Little's law: abandonments are θ times the callers waiting, the mean wait is the queue's
    /// length over λ.
    #[test]
    fn erlang_a_agrees_with_littles_law() {
        for (calls_per_hour, agents, patience) in [
            (720.0, 55, 120.0),
            (720.0, 44, 60.0),
            (3600.0, 250, 300.0),
            (30.0, 1, 20.0),
        ] {
            let a = ErlangA::new(calls_per_hour, AHT, patience, agents, THRESHOLD).unwrap();
            let lambda = calls_per_hour / 3600.0;
            let pi = steady_state(lambda, 1.0 / AHT, 1.0 / patience, agents as usize).unwrap();
            let queue: f64 = pi
                .iter()
                .enumerate()
                .map(|(n, p)| n.saturating_sub(agents as usize) as f64 * p)
                .sum();
            let rel = |x: f64, y: f64| ((x - y) / y).abs() < 1e-9;
            assert!(
                rel(a.probability_of_abandoning, queue / patience / lambda),
                "{a:?}"
            );
            assert!(rel(a.average_wait, queue / lambda), "{a:?}");
            // Conservation: the agents cannot answer more than N / AHT.
            assert!(a.occupancy <= 1.0, "{a:?}");
            assert!(a.probability_of_abandoning >= 1.0 - agents as f64 / a.traffic - 1e-12);
        }
    }

    /// Fewer agents than Erlangs: no Erlang C, but Erlang A is stable because callers leave, and
    /// at least the excess traffic abandons.
    #[test]
    fn erlang_a_is_stable_with_fewer_agents_than_erlangs() {
        assert!(Prediction::new(CALLS_PER_HOUR, AHT, 40, THRESHOLD).is_err());
        let a = ErlangA::new(CALLS_PER_HOUR, AHT, 60.0, 40, THRESHOLD).unwrap();
        assert!(a.probability_of_abandoning > 1.0 - 40.0 / 48.0, "{a:?}");
        assert!(
            a.probability_of_waiting > 0.5 && a.occupancy > 0.95,
            "{a:?}"
        );
        assert!(
            a.average_speed_of_answer > 0.0 && a.average_wait > 0.0,
            "{a:?}"
        );
    }

    /// The service levels at their limits and for one stage, where the answer is closed.
    #[test]
    fn erlang_a_service_level_at_its_limits() {
        let at = |threshold: f64| ErlangA::new(CALLS_PER_HOUR, AHT, 90.0, 50, threshold).unwrap();
        let zero = at(0.0);
        assert!(
            (zero.answered_within_threshold - (1.0 - zero.probability_of_waiting)).abs() < 1e-12
        );
        assert_eq!(zero.abandoned_within_threshold, 0.0);
        let long = at(1e5);
        assert!(
            (long.answered_within_threshold - (1.0 - long.probability_of_abandoning)).abs() < 1e-9,
            "{long:?}"
        );
        for variant in ServiceLevelVariant::ALL {
            let sl = long.service_level(variant);
            assert!((sl - 1.0).abs() < 1e-9, "{variant:?}: {sl}");
        }
        assert!((long.abandoned_within_threshold - long.probability_of_abandoning).abs() < 1e-9);
        let mut last = 0.0;
        for t in [0.0, 5.0, 10.0, 20.0, 40.0, 80.0] {
            let sl = at(t).answered_within_threshold;
            assert!(sl >= last, "rises with T: {sl} after {last}");
            last = sl;
        }
        // One caller with nobody ahead: answered by t with μ/(μ+θ) (1 - e^-(μ+θ)t).
        let (mu, theta, t) = (1.0 / 240.0, 1.0 / 90.0, 30.0);
        let (answered, abandoned) = absorbed_by(&[1.0], mu, theta, t);
        let done = 1.0 - (-(mu + theta) * t).exp();
        assert!(
            (answered - mu / (mu + theta) * done).abs() < 1e-12,
            "{answered}"
        );
        assert!(
            (abandoned - theta / (mu + theta) * done).abs() < 1e-12,
            "{abandoned}"
        );
    }

    #[test]
    fn erlang_a_refuses_what_it_cannot_compute() {
        assert!(ErlangA::new(720.0, 240.0, 0.0, 10, 20.0).is_err());
        assert!(ErlangA::new(720.0, 240.0, f64::NAN, 10, 20.0).is_err());
        assert!(ErlangA::new(720.0, 240.0, 60.0, 0, 20.0).is_err());
        assert!(ErlangA::new(720.0, 240.0, 60.0, 10, -1.0).is_err());
    }

    /// A second, independent computation of the same model: the steady state by Gauss-Seidel
    /// sweeps over the balance equations (not the product form), and the service level by
    /// integrating the waiting callers' stages over time with Runge-Kutta (not uniformization).
    /// Returns P(wait), P(abandon) (θ E[(n - N)+] / λ) and the offered service level.
    fn reference(calls_per_hour: f64, aht: f64, patience: f64, agents: usize, t: f64) -> [f64; 3] {
        let (lambda, mu, theta) = (calls_per_hour / 3600.0, 1.0 / aht, 1.0 / patience);
        let top = agents + 600;
        let death = |k: usize| k.min(agents) as f64 * mu + k.saturating_sub(agents) as f64 * theta;
        let mut pi = vec![1.0 / top as f64; top + 1];
        for _ in 0..100_000 {
            let mut change: f64 = 0.0;
            for k in 0..=top {
                let inflow = if k > 0 { lambda * pi[k - 1] } else { 0.0 }
                    + if k < top {
                        death(k + 1) * pi[k + 1]
                    } else {
                        0.0
                    };
                let out = if k < top { lambda } else { 0.0 } + death(k);
                change = change.max((inflow / out - pi[k]).abs());
                pi[k] = inflow / out;
            }
            let total: f64 = pi.iter().sum();
            pi.iter_mut().for_each(|p| *p /= total);
            if change < 1e-16 {
                break;
            }
        }
        let waits: f64 = pi[agents..].iter().sum();
        let queue: f64 = (agents..=top).map(|k| (k - agents) as f64 * pi[k]).sum();
        // Waiting callers' stages: mass with j ahead moves to j - 1 (or is answered from 0) at
        // Nμ + jθ and hangs up at θ.
        let served = agents as f64 * mu;
        let mut mass: Vec<f64> = pi[agents..].to_vec();
        let mut answered = 0.0;
        let derivative = |m: &[f64]| -> (Vec<f64>, f64) {
            let mut d = vec![0.0; m.len()];
            let mut into_answered = 0.0;
            for (j, &x) in m.iter().enumerate() {
                let on = served + j as f64 * theta;
                d[j] -= x * (on + theta);
                if j == 0 {
                    into_answered += x * on;
                } else {
                    d[j - 1] += x * on;
                }
            }
            (d, into_answered)
        };
        let steps = 3_000;
        let h = t / steps as f64;
        for _ in 0..steps {
            let add = |m: &[f64], d: &[f64], f: f64| -> Vec<f64> {
                m.iter().zip(d).map(|(x, y)| x + f * y).collect()
            };
            let (k1, a1) = derivative(&mass);
            let (k2, a2) = derivative(&add(&mass, &k1, h / 2.0));
            let (k3, a3) = derivative(&add(&mass, &k2, h / 2.0));
            let (k4, a4) = derivative(&add(&mass, &k3, h));
            for j in 0..mass.len() {
                mass[j] += h / 6.0 * (k1[j] + 2.0 * k2[j] + 2.0 * k3[j] + k4[j]);
            }
            answered += h / 6.0 * (a1 + 2.0 * a2 + 2.0 * a3 + a4);
        }
        [waits, theta * queue / lambda, 1.0 - waits + answered]
    }

    #[test]
    fn erlang_a_agrees_with_a_second_independent_computation() {
        for (calls_per_hour, aht, patience, agents, t) in [
            (720.0, 240.0, 120.0, 52, 20.0),
            (720.0, 240.0, 60.0, 44, 15.0),
            (100.0, 300.0, 45.0, 6, 30.0),
            (1800.0, 180.0, 400.0, 88, 20.0),
        ] {
            let a = ErlangA::new(calls_per_hour, aht, patience, agents as u32, t).unwrap();
            let [waits, abandons, sl] = reference(calls_per_hour, aht, patience, agents, t);
            let close = |x: f64, y: f64| (x - y).abs() < 1e-7;
            assert!(close(a.probability_of_waiting, waits), "{a:?}: {waits}");
            assert!(
                close(a.probability_of_abandoning, abandons),
                "{a:?}: {abandons}"
            );
            assert!(close(a.answered_within_threshold, sl), "{a:?}: {sl}");
        }
    }
}
