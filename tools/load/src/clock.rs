//! The clocks this tool reads. The workspace's clippy.toml bans clock reads (they belong to the
//! server's engine); a measuring tool must read them, and does so only here.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// For intervals measured within this process (offer latency, windows).
#[allow(clippy::disallowed_methods)]
pub fn monotonic() -> Instant {
    Instant::now()
}

/// Time since the Unix epoch, for latencies against a timestamp another process wrote (the
/// server's `at`, the node peer's send time): both read the same machine's clock.
#[allow(clippy::disallowed_methods)]
pub fn since_epoch() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

/// Sleeps until `at`, or for ever without one (a `select!` branch with nothing due).
pub async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The date of a run, RFC 3339 in UTC to the second, for the report.
pub fn date() -> String {
    let seconds = since_epoch().as_secs() as i64;
    jiff::Timestamp::from_second(seconds)
        .map(|at| at.to_string())
        .unwrap_or_default()
}

/// An RFC 3339 instant as the server writes it (`2023-11-14T22:13:05.001Z`), in nanoseconds
/// since the epoch.
pub fn parse_instant_ns(text: &str) -> Option<u64> {
    let at: jiff::Timestamp = text.parse().ok()?;
    u64::try_from(at.as_nanosecond()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_servers_instants() {
        assert_eq!(
            parse_instant_ns("2023-11-14T22:13:05.001Z"),
            Some(1_699_999_985_001_000_000)
        );
        assert_eq!(parse_instant_ns("not a time"), None);
    }
}
