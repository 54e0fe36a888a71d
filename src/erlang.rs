//! Erlang C: what queueing theory predicts for a queue of N agents.
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
    if !(threshold_secs.is_finite() && threshold_secs >= 0.0) {
        return Err(ErlangError::NotPositive {
            what: "the service-level threshold",
            value: threshold_secs,
        });
    }
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
}
