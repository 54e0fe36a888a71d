//! The server's one reading of the wall clock. The core is told the time; engines ask here.
//!
//! The wall clock is read once, when the server starts; after that time advances by the
//! monotonic clock. A step of the system clock (NTP correcting a big offset, a VM resumed or
//! migrated) then neither stalls every ring timeout and wrap-up by the size of a backwards step
//! nor fires them all at once after a forward one. NTP's gradual slewing still reaches both.
//!
//! A server embedded in a test may start its clock at a chosen instant and move it forward
//! ([`crate::server::Server::start_at`], [`crate::server::Server::advance_clock`]), so that a
//! midnight or a daylight-saving change can be crossed without waiting for one.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use jiff::Timestamp;

#[derive(Debug)]
pub struct Clock {
    // The one place the server reads the clock (clippy.toml): `system`, `starting_at`, `now`.
    wall: Timestamp,
    monotonic: Instant,
    /// Milliseconds the clock was moved forward by.
    skipped_ms: AtomicI64,
}

impl Clock {
    /// A clock that reads the wall clock now.
    #[allow(clippy::disallowed_methods)]
    pub fn system() -> Clock {
        Clock::starting_at(Timestamp::now())
    }

    /// A clock that reads `start` now and runs on from there.
    #[allow(clippy::disallowed_methods)]
    pub fn starting_at(start: Timestamp) -> Clock {
        Clock {
            wall: start,
            monotonic: Instant::now(),
            skipped_ms: AtomicI64::new(0),
        }
    }

    /// Now, as the core's instants are measured.
    #[allow(clippy::disallowed_methods)]
    pub fn now(&self) -> Timestamp {
        let elapsed = Instant::now().duration_since(self.monotonic);
        let skipped = jiff::SignedDuration::from_millis(self.skipped_ms.load(Ordering::Acquire));
        self.wall
            .checked_add(elapsed)
            .and_then(|t| t.checked_add(skipped))
            .unwrap_or(self.wall)
    }

    /// How long until `at`, for a timer; zero if it has passed.
    pub fn until(&self, at: Timestamp) -> Duration {
        let now = self.now();
        if at <= now {
            return Duration::ZERO;
        }
        Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
    }

    /// Moves the clock forward by `by`: everything due in between happens, in order, as soon
    /// as the engines look at the clock again.
    pub fn skip(&self, by: Duration) {
        self.skipped_ms
            .fetch_add(by.as_millis() as i64, Ordering::AcqRel);
    }
}

/// A timer that exists only while a deadline is set, boxed: a task that waits on it holds a
/// pointer rather than a whole timer, and nothing at all while nothing is due (an idle
/// connection that has signed in and owes no pong).
#[derive(Default)]
pub struct Timer(Option<std::pin::Pin<Box<tokio::time::Sleep>>>);

impl Timer {
    /// Sets the deadline (`None`: none), reusing the timer already there.
    pub fn set(&mut self, deadline: Option<tokio::time::Instant>) {
        match (deadline, &mut self.0) {
            (None, timer) => *timer = None,
            (Some(at), Some(sleep)) => {
                if sleep.deadline() != at {
                    sleep.as_mut().reset(at);
                }
            }
            (Some(at), timer) => *timer = Some(Box::pin(tokio::time::sleep_until(at))),
        }
    }

    /// Resolves at the deadline; never without one.
    pub async fn expired(&mut self) {
        match &mut self.0 {
            Some(sleep) => sleep.await,
            None => std::future::pending().await,
        }
    }
}

/// Sleeps until `deadline`, or for ever when there is none: a `select!` arm for a deadline
/// that may not be set (a flush not due, a long-poll link being polled). A session's loop,
/// which an idle connection's task holds, uses [`Timer`] instead.
pub async fn sleep_until_option(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
