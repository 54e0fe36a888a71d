//! The server's one reading of the wall clock. The core is told the time; engines ask here.
//!
//! The wall clock is read once, at the first call; after that time advances by the monotonic
//! clock. A step of the system clock (NTP correcting a big offset, a VM resumed or migrated)
//! then neither stalls every ring timeout and wrap-up by the size of a backwards step nor fires
//! them all at once after a forward one. NTP's gradual slewing still reaches both clocks.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use jiff::Timestamp;

static ANCHOR: OnceLock<(Timestamp, Instant)> = OnceLock::new();

/// Now, as the core's instants are measured.
#[allow(clippy::disallowed_methods)] // The one place the server reads the clock (clippy.toml).
pub fn now() -> Timestamp {
    let (wall, monotonic) = *ANCHOR.get_or_init(|| (Timestamp::now(), Instant::now()));
    let elapsed = Instant::now().duration_since(monotonic);
    wall.checked_add(elapsed).unwrap_or(wall)
}

/// How long until `at`, for a timer; zero if it has passed.
pub fn until(at: Timestamp) -> Duration {
    let now = now();
    if at <= now {
        return Duration::ZERO;
    }
    Duration::try_from(at.duration_since(now)).unwrap_or(Duration::ZERO)
}
