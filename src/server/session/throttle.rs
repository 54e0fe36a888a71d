//! How many password sign-ins a client address and a user may fail, and how often a flood of
//! failures is written to the log. Pure: time comes in as `now`, so the tests run a minute in
//! microseconds.
//!
//! Each address (an IPv6 client by its /64, the block one subscriber gets) and each user has a
//! bucket of `per_minute` attempts, refilled evenly over the minute (a token bucket kept as
//! the instant it is full again, GCRA-style). A password attempt takes one from both before its
//! hash is checked and gives it back if the password was right, so only failures (and checks
//! in flight) count: a user who mistypes twice notices nothing, a guesser gets its burst and
//! then one guess per refill, refused without a hash computed. An attempt over a bucket while
//! attempts of that bucket are still being checked is not refused but waits for them
//! ([`NotYet::Pending`]): right ones give their attempts back, so a site behind one address
//! signing in 40 agents at once, or a PBX opening 8 connections as one user, is not throttled;
//! a guesser's attempts fail and the ones waiting are refused. A user's bucket is shared by
//! every address, so a guesser with many addresses gets no more at one account; the price is
//! that such a guesser keeps the user's own password sign-ins throttled too (a token the user
//! already holds still signs in).

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::Duration;

use tokio::time::Instant;

/// Buckets kept at most per kind. A bucket that has refilled is dropped when the map is full;
/// when none has, an attempt from a new address or at a new user is refused like one over its
/// limit (an attacker with that many addresses is throttled as a whole).
const MAX_BUCKETS: usize = 65_536;

/// The attempts of every key of one kind.
struct Buckets<K> {
    /// When each key's bucket is full again; a key whose instant has passed is as good as
    /// absent.
    full_at: HashMap<K, Instant>,
}

impl<K: Hash + Eq> Buckets<K> {
    fn new() -> Buckets<K> {
        Buckets {
            full_at: HashMap::new(),
        }
    }

    /// How long until `key` may try again, or `None` if it may now.
    fn wait(&mut self, key: &K, now: Instant, per_minute: u32) -> Option<Duration> {
        let interval = interval(per_minute);
        let full_at = match self.full_at.get(key) {
            Some(full_at) => (*full_at).max(now),
            None => {
                if self.full_at.len() >= MAX_BUCKETS {
                    self.full_at.retain(|_, full_at| *full_at > now);
                }
                if self.full_at.len() >= MAX_BUCKETS {
                    return Some(interval);
                }
                now
            }
        };
        let after_this = full_at + interval;
        let burst = interval * per_minute;
        (after_this > now + burst).then(|| after_this - (now + burst))
    }

    /// Takes one attempt from `key`'s bucket (which [`Self::wait`] said had one).
    fn take(&mut self, key: K, now: Instant, per_minute: u32) {
        let full_at = self.full_at.entry(key).or_insert(now);
        *full_at = (*full_at).max(now) + interval(per_minute);
    }

    /// Gives back an attempt that succeeded.
    fn give_back(&mut self, key: &K, now: Instant, per_minute: u32) {
        if let Some(full_at) = self.full_at.get_mut(key) {
            *full_at = full_at
                .checked_sub(interval(per_minute))
                .map_or(now, |earlier| earlier.max(now));
        }
    }
}

/// The time one attempt takes to come back.
fn interval(per_minute: u32) -> Duration {
    Duration::from_secs(60) / per_minute.max(1)
}

/// What a client's address counts as: itself, or for IPv6 its /64.
pub(super) fn address_key(address: IpAddr) -> IpAddr {
    match address.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

/// The limits of one attempt.
#[derive(Debug, Clone, Copy)]
pub struct PerMinute {
    pub address: u32,
    pub user: u32,
}

/// Why a password attempt is not admitted now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotYet {
    /// Over its limit, with attempts of every full bucket still being checked: wait for one to
    /// settle ([`Throttle::settled`]) and ask again. The duration is what a refusal would say.
    Pending(Duration),
    /// Over its limit, and nothing in flight can give an attempt back: refuse, with how long
    /// until one would be admitted.
    Throttled(Duration),
}

/// Password attempts by address and by user.
pub struct Throttle {
    addresses: Buckets<IpAddr>,
    users: Buckets<String>,
    /// Attempts admitted and not yet settled, per address and per user (no entry: none). At
    /// most one per connection signing in.
    checking_addresses: HashMap<IpAddr, u32>,
    checking_users: HashMap<String, u32>,
}

impl Throttle {
    pub fn new() -> Throttle {
        Throttle {
            addresses: Buckets::new(),
            users: Buckets::new(),
            checking_addresses: HashMap::new(),
            checking_users: HashMap::new(),
        }
    }

    /// Admits a password attempt from `address` at `user`, taking one from both buckets and
    /// counting it in flight until [`Self::settled`]; or says why not (taking nothing).
    pub fn admit(
        &mut self,
        address: IpAddr,
        user: &str,
        now: Instant,
        limits: PerMinute,
    ) -> Result<(), NotYet> {
        let address = address_key(address);
        let user = user.to_owned();
        let address_wait = self.addresses.wait(&address, now, limits.address);
        let user_wait = self.users.wait(&user, now, limits.user);
        if let Some(wait) = address_wait.max(user_wait) {
            // Only a bucket with attempts in flight can get one back before it refills.
            let hopeless = (address_wait.is_some()
                && !self.checking_addresses.contains_key(&address))
                || (user_wait.is_some() && !self.checking_users.contains_key(&user));
            return Err(if hopeless {
                NotYet::Throttled(wait)
            } else {
                NotYet::Pending(wait)
            });
        }
        self.addresses.take(address, now, limits.address);
        *self.checking_addresses.entry(address).or_default() += 1;
        self.users.take(user.clone(), now, limits.user);
        *self.checking_users.entry(user).or_default() += 1;
        Ok(())
    }

    /// An admitted attempt is over: `right`, it does not count; otherwise (a wrong password, or
    /// a client that left before the answer) it stays taken.
    pub fn settled(
        &mut self,
        address: IpAddr,
        user: &str,
        right: bool,
        now: Instant,
        limits: PerMinute,
    ) {
        let address = address_key(address);
        let user = user.to_owned();
        uncount(&mut self.checking_addresses, &address);
        uncount(&mut self.checking_users, &user);
        if right {
            self.addresses.give_back(&address, now, limits.address);
            self.users.give_back(&user, now, limits.user);
        }
    }
}

/// One fewer in flight for `key`; no entry once none are.
fn uncount<K: Hash + Eq>(checking: &mut HashMap<K, u32>, key: &K) {
    if let Some(count) = checking.get_mut(key) {
        *count -= 1;
        if *count == 0 {
            checking.remove(key);
        }
    }
}

/// How often a flood of one kind of failure reaches the log.
pub const SUMMARY_INTERVAL: Duration = Duration::from_secs(10);

/// One line at most per [`SUMMARY_INTERVAL`] for failures that come in floods (tokens,
/// throttled attempts): the first after a quiet spell is logged at once, the ones after it are
/// counted, and the next line says how many there were.
#[derive(Default)]
pub struct Summary {
    last_line: Option<Instant>,
    unlogged: u64,
}

impl Summary {
    /// Counts one failure; `Some(n)` when it is time for a line, `n` the failures it covers
    /// (this one included).
    pub fn record(&mut self, now: Instant) -> Option<u64> {
        self.unlogged += 1;
        let due = self
            .last_line
            .is_none_or(|last| now.duration_since(last) >= SUMMARY_INTERVAL);
        if !due {
            return None;
        }
        self.last_line = Some(now);
        Some(std::mem::take(&mut self.unlogged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: PerMinute = PerMinute {
        address: 30,
        user: 6,
    };

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn a_user_who_mistypes_twice_notices_nothing_and_a_guesser_waits_after_its_burst() {
        let mut throttle = Throttle::new();
        let now = Instant::now();
        let home = ip("192.0.2.1");
        for _ in 0..2 {
            assert_eq!(throttle.admit(home, "ann", now, LIMITS), Ok(()));
            throttle.settled(home, "ann", false, now, LIMITS);
        }
        assert_eq!(throttle.admit(home, "ann", now, LIMITS), Ok(()));
        throttle.settled(home, "ann", true, now, LIMITS);

        // A guesser at bob: six failures, then one every ten seconds.
        let evil = ip("198.51.100.7");
        for _ in 0..6 {
            assert_eq!(throttle.admit(evil, "bob", now, LIMITS), Ok(()));
            throttle.settled(evil, "bob", false, now, LIMITS);
        }
        let wait = throttle.admit(evil, "bob", now, LIMITS).unwrap_err();
        assert_eq!(wait, NotYet::Throttled(Duration::from_secs(10)));
        // Bob's bucket is bob's from anywhere; ann from the guesser's address is still fine.
        assert!(throttle.admit(home, "bob", now, LIMITS).is_err());
        assert_eq!(throttle.admit(evil, "ann", now, LIMITS), Ok(()));
        let later = now + Duration::from_secs(10);
        assert_eq!(throttle.admit(evil, "bob", later, LIMITS), Ok(()));
        assert!(throttle.admit(evil, "bob", later, LIMITS).is_err());
    }

    #[test]
    fn attempts_over_the_limit_wait_for_those_in_flight_and_right_ones_make_room() {
        let mut throttle = Throttle::new();
        let now = Instant::now();
        let site = ip("192.0.2.50");
        // A PBX opening eight connections as one user at once: six are checked, two wait.
        for _ in 0..6 {
            assert_eq!(throttle.admit(site, "pbx", now, LIMITS), Ok(()));
        }
        let pending = throttle.admit(site, "pbx", now, LIMITS);
        assert_eq!(pending, Err(NotYet::Pending(Duration::from_secs(10))));
        throttle.settled(site, "pbx", true, now, LIMITS);
        throttle.settled(site, "pbx", true, now, LIMITS);
        for _ in 0..2 {
            assert_eq!(throttle.admit(site, "pbx", now, LIMITS), Ok(()));
        }
        for _ in 0..6 {
            throttle.settled(site, "pbx", true, now, LIMITS);
        }
        assert!(throttle.checking_users.is_empty() && throttle.checking_addresses.is_empty());

        // A guesser's six in flight fail: the one waiting on them is then refused.
        let evil = ip("198.51.100.7");
        for _ in 0..6 {
            assert_eq!(throttle.admit(evil, "bob", now, LIMITS), Ok(()));
        }
        assert!(matches!(
            throttle.admit(evil, "bob", now, LIMITS),
            Err(NotYet::Pending(_))
        ));
        for _ in 0..6 {
            throttle.settled(evil, "bob", false, now, LIMITS);
        }
        assert!(matches!(
            throttle.admit(evil, "bob", now, LIMITS),
            Err(NotYet::Throttled(_))
        ));
        // Over a bucket with nothing in flight is refused even when the other has some.
        assert_eq!(
            throttle.admit(site, "bob", now, LIMITS),
            Err(NotYet::Throttled(Duration::from_secs(10)))
        );
    }

    #[test]
    fn an_address_is_limited_whoever_it_tries_and_ipv6_counts_by_its_64() {
        let mut throttle = Throttle::new();
        let now = Instant::now();
        for n in 0..30 {
            let from = ip(&format!("2001:db8:1:2::{n:x}"));
            assert_eq!(throttle.admit(from, &format!("u{n}"), now, LIMITS), Ok(()));
        }
        let wait = throttle
            .admit(ip("2001:db8:1:2:ffff::1"), "fresh", now, LIMITS)
            .unwrap_err();
        assert_eq!(wait, NotYet::Pending(Duration::from_secs(2)));
        for n in 0..30 {
            let from = ip(&format!("2001:db8:1:2::{n:x}"));
            throttle.settled(from, &format!("u{n}"), false, now, LIMITS);
        }
        let wait = throttle
            .admit(ip("2001:db8:1:2:ffff::1"), "fresh", now, LIMITS)
            .unwrap_err();
        assert_eq!(wait, NotYet::Throttled(Duration::from_secs(2)));
        assert_eq!(
            throttle.admit(ip("2001:db8:1:3::1"), "fresh", now, LIMITS),
            Ok(())
        );
        // IPv4 mapped into IPv6 is the IPv4 address.
        let v4 = ip("203.0.113.9");
        for _ in 0..30 {
            throttle
                .admit(
                    v4,
                    "x",
                    now,
                    PerMinute {
                        address: 30,
                        user: 1000,
                    },
                )
                .unwrap();
        }
        assert!(
            throttle
                .admit(ip("::ffff:203.0.113.9"), "y", now, LIMITS)
                .is_err()
        );
    }

    #[test]
    fn a_flood_is_one_line_per_interval_with_its_count() {
        let mut summary = Summary::default();
        let start = Instant::now();
        assert_eq!(summary.record(start), Some(1));
        for n in 1..1000 {
            let at = start + Duration::from_millis(n * 5);
            assert_eq!(summary.record(at), None);
        }
        assert_eq!(summary.record(start + SUMMARY_INTERVAL), Some(1000));
        assert_eq!(summary.record(start + SUMMARY_INTERVAL * 3), Some(1));
    }
}
