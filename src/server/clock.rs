//! The server's one reading of the wall clock. The core is told the time; engines ask here.

use jiff::Timestamp;

/// Now, as the core's instants are measured.
#[allow(clippy::disallowed_methods)] // The one place the server reads the clock (clippy.toml).
pub fn now() -> Timestamp {
    Timestamp::now()
}

/// How long until `at`, for a timer; zero if it has passed.
pub fn until(at: Timestamp) -> std::time::Duration {
    let now = now();
    if at <= now {
        return std::time::Duration::ZERO;
    }
    std::time::Duration::try_from(at.duration_since(now)).unwrap_or(std::time::Duration::ZERO)
}
