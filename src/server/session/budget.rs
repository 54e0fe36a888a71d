//! What a signed-in client may send: a token bucket per session and one per principal, with a
//! budget by role. People (agents, supervisors, wallboards) get `commands_per_sec` with a burst
//! of `command_burst`; telephony, a PBX connector that reports every call and pipelines, gets
//! `telephony_commands_per_sec` and `telephony_command_burst`. A principal's sessions together
//! get [`PRINCIPAL_SESSIONS`] times a session's budget, so a second tab or a standby connector
//! works at full rate while one credential cannot multiply its budget by opening sessions.
//!
//! A message over budget is refused with `rate_limited` (it changes nothing) and counts as a
//! refused message, so a client that keeps flooding is closed with 1008. One refused because
//! its principal's other sessions spent the principal's budget takes nothing from its own
//! session's: that session has its burst again as soon as the principal's bucket refills.

use dashmap::DashMap;
use tokio::time::Instant;

use crate::config::Limits;
use crate::protocol::{Identity, Role};

/// How many sessions of one principal may send at their full rate at once.
pub const PRINCIPAL_SESSIONS: u32 = 4;

/// A rate and the burst allowed above it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub per_sec: f64,
    pub burst: f64,
}

impl Budget {
    /// A session's budget for `role`.
    pub fn of(limits: &Limits, role: Role) -> Budget {
        let (per_sec, burst) = match role {
            // A connector speaks for every call or conversation of its tenant.
            Role::Telephony | Role::Messaging => (
                limits.telephony_commands_per_sec,
                limits.telephony_command_burst,
            ),
            Role::Agent | Role::Supervisor | Role::Wallboard => {
                (limits.commands_per_sec, limits.command_burst)
            }
        };
        Budget {
            per_sec: f64::from(per_sec),
            burst: f64::from(burst),
        }
    }

    /// What all of a principal's sessions may send together.
    pub fn for_principal(self) -> Budget {
        let sessions = f64::from(PRINCIPAL_SESSIONS);
        Budget {
            per_sec: self.per_sec * sessions,
            burst: self.burst * sessions,
        }
    }
}

/// A token bucket: full at first, one token a message, refilled at the budget's rate up to its
/// burst. Time comes in as `now`, so the tests choose it.
#[derive(Debug, Clone)]
pub struct Bucket {
    budget: Budget,
    tokens: f64,
    refilled_at: Instant,
}

impl Bucket {
    pub fn full(budget: Budget, now: Instant) -> Bucket {
        Bucket {
            budget,
            tokens: budget.burst,
            refilled_at: now,
        }
    }

    /// Takes a token for one message; false when there is none (the message is over budget).
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.refilled_at);
        self.refilled_at = now;
        self.tokens =
            (self.tokens + elapsed.as_secs_f64() * self.budget.per_sec).min(self.budget.burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Puts back the token `take` took for a message the principal's bucket then refused: the
    /// message was not sent within this connection's budget, so it costs the connection nothing.
    pub fn give_back(&mut self) {
        self.tokens = (self.tokens + 1.0).min(self.budget.burst);
    }
}

/// Every principal's bucket, shared by its sessions. Only principals that signed in have one,
/// so the map is as large as the configured principals at most.
#[derive(Default)]
pub struct PrincipalBuckets {
    buckets: DashMap<(String, String), Bucket>,
}

impl PrincipalBuckets {
    /// Takes a token from `identity`'s bucket (made full, from `budget`, at its first message).
    pub fn take(&self, identity: &Identity, budget: Budget, now: Instant) -> bool {
        let key = (identity.tenant.clone(), identity.user.clone());
        self.buckets
            .entry(key)
            .or_insert_with(|| Bucket::full(budget.for_principal(), now))
            .take(now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const AGENT: Budget = Budget {
        per_sec: 20.0,
        burst: 200.0,
    };

    #[test]
    fn a_burst_passes_and_the_rest_waits_for_the_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::full(AGENT, start);
        assert!((0..200).all(|_| bucket.take(start)), "the burst passes");
        assert!(!bucket.take(start), "the 201st at once is over budget");
        // 100 ms later, two more (20 a second).
        let later = start + Duration::from_millis(100);
        assert!(bucket.take(later));
        assert!(bucket.take(later));
        assert!(!bucket.take(later));
    }

    #[test]
    fn an_idle_bucket_refills_to_its_burst_and_no_further() {
        let start = Instant::now();
        let mut bucket = Bucket::full(AGENT, start);
        assert!((0..200).all(|_| bucket.take(start)));
        let much_later = start + Duration::from_secs(3600);
        assert!((0..200).all(|_| bucket.take(much_later)));
        assert!(!bucket.take(much_later), "an hour idle is still one burst");
    }

    #[test]
    fn a_token_given_back_is_there_for_the_next_message_up_to_the_burst() {
        let start = Instant::now();
        let mut bucket = Bucket::full(AGENT, start);
        assert!((0..200).all(|_| bucket.take(start)));
        bucket.give_back();
        assert!(bucket.take(start), "the token given back");
        assert!(!bucket.take(start));
        let mut full = Bucket::full(AGENT, start);
        full.give_back();
        assert!((0..200).all(|_| full.take(start)));
        assert!(
            !full.take(start),
            "a full bucket holds no more than its burst"
        );
    }

    #[test]
    fn a_principal_shares_one_bucket_of_four_sessions() {
        let start = Instant::now();
        let buckets = PrincipalBuckets::default();
        let identity = Identity {
            user: "a1".into(),
            tenant: "acme".into(),
            acting: crate::protocol::Acting::Wallboard,
        };
        let other = Identity {
            user: "a2".into(),
            ..identity.clone()
        };
        assert!((0..800).all(|_| buckets.take(&identity, AGENT, start)));
        assert!(!buckets.take(&identity, AGENT, start));
        assert!(
            buckets.take(&other, AGENT, start),
            "another principal's is its own"
        );
    }
}
