//! The call samples still inside the rolling window, kept small.
//!
//! The rolling window is exact: every sample of the last 15 minutes is kept until it leaves. At
//! 200 calls a second that is 180,000 calls of three samples each, so the size of an entry is
//! most of what the window costs. A `(Timestamp, usize, Sample)` took 56 bytes whatever the
//! sample; here each shape of sample has a queue of its own, with the instant as nanoseconds and
//! the queue as a `u32`: 16 bytes for a count (offered, refused, overflowed, timed out), 24 for
//! a wait (answered, abandoned) and 40 for a handled call, 80 for the three of a call instead of
//! 168 (BENCHMARKS.md, "An hour at 200 calls/s").
//!
//! Samples leave in the order they came within each queue; across the queues the order does not
//! matter, since taking a sample out of the figures is a subtraction. A snapshot writes them as
//! one list of `(Timestamp, usize, Sample)`, oldest first, as the `VecDeque` of those tuples was
//! written before: the journal's format is unchanged.

use std::collections::VecDeque;

use jiff::Timestamp;

use super::figures::Sample;

/// Nanoseconds since the epoch, in `i64`: exact from 1677 to 2262. An instant outside that
/// range counts as its end (a sample kept after 2262-04-11 leaves at the first `pop_left` from
/// then on); the server's clock and the simulator's are far inside it.
fn nanos(at: Timestamp) -> i64 {
    let second = at.as_second();
    second
        .checked_mul(NANOS_PER_SECOND)
        .and_then(|ns| ns.checked_add(at.subsec_nanosecond().into()))
        .unwrap_or(if second < 0 { i64::MIN } else { i64::MAX })
}

fn timestamp(ns: i64) -> Timestamp {
    let nanosecond = (ns % NANOS_PER_SECOND) as i32;
    Timestamp::new(ns / NANOS_PER_SECOND, nanosecond).expect("an i64 of nanoseconds is in range")
}

const NANOS_PER_SECOND: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CountKind {
    Offered,
    Refused,
    Overflowed,
    TimedOut,
}

/// 16 bytes.
#[derive(Debug, Clone, Copy)]
struct Count {
    leaves_ns: i64,
    queue: u32,
    kind: CountKind,
}

/// What a wait was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WaitKind {
    Answered,
    Abandoned {
        short: bool,
    },
    /// A conversation's first reply.
    FirstResponse,
}

/// 24 bytes.
#[derive(Debug, Clone, Copy)]
struct Wait {
    leaves_ns: i64,
    wait_ms: u64,
    queue: u32,
    kind: WaitKind,
    within_threshold: bool,
}

/// 40 bytes.
#[derive(Debug, Clone, Copy)]
struct Handled {
    leaves_ns: i64,
    talk_ms: u64,
    hold_ms: u64,
    wrap_up_ms: u64,
    queue: u32,
}

/// One entry of any shape, as the statistics see it.
trait Entry: Copy {
    fn leaves_ns(&self) -> i64;
    fn queue(&self) -> usize;
    fn sample(&self) -> Sample;
}

impl Entry for Count {
    fn leaves_ns(&self) -> i64 {
        self.leaves_ns
    }
    fn queue(&self) -> usize {
        self.queue as usize
    }
    fn sample(&self) -> Sample {
        match self.kind {
            CountKind::Offered => Sample::Offered,
            CountKind::Refused => Sample::Refused,
            CountKind::Overflowed => Sample::Overflowed,
            CountKind::TimedOut => Sample::TimedOut,
        }
    }
}

impl Entry for Wait {
    fn leaves_ns(&self) -> i64 {
        self.leaves_ns
    }
    fn queue(&self) -> usize {
        self.queue as usize
    }
    fn sample(&self) -> Sample {
        let (wait_ms, within_threshold) = (self.wait_ms, self.within_threshold);
        match self.kind {
            WaitKind::Answered => Sample::Answered {
                wait_ms,
                within_threshold,
            },
            WaitKind::Abandoned { short } => Sample::Abandoned {
                wait_ms,
                within_threshold,
                short,
            },
            WaitKind::FirstResponse => Sample::FirstResponse {
                wait_ms,
                within_threshold,
            },
        }
    }
}

impl Entry for Handled {
    fn leaves_ns(&self) -> i64 {
        self.leaves_ns
    }
    fn queue(&self) -> usize {
        self.queue as usize
    }
    fn sample(&self) -> Sample {
        Sample::Handled {
            talk_ms: self.talk_ms,
            hold_ms: self.hold_ms,
            wrap_up_ms: self.wrap_up_ms,
        }
    }
}

/// Takes the entries that left by `at_ns` off the front, oldest first.
fn pop_left<E: Entry>(entries: &mut VecDeque<E>, at_ns: i64, left: &mut impl FnMut(usize, Sample)) {
    while let Some(entry) = entries.front().copied() {
        if entry.leaves_ns() > at_ns {
            break;
        }
        entries.pop_front();
        left(entry.queue(), entry.sample());
    }
}

/// The samples of the rolling window: when each leaves it, and its queue. A snapshot lists them
/// (`Listed`) as the one deque of tuples they were kept in before: read through `From`, written
/// by [`RollingSamples::serialize_listed`].
#[derive(Debug, Default, serde::Deserialize)]
#[serde(from = "Listed")]
pub(crate) struct RollingSamples {
    counts: VecDeque<Count>,
    waits: VecDeque<Wait>,
    handled: VecDeque<Handled>,
    /// When the first of them leaves. Samples come in the order they leave, so this is the front
    /// of one of the three, and only a push into an empty window or a sample leaving moves it.
    next_leaving: Option<Timestamp>,
}

impl RollingSamples {
    /// Keeps `sample` of `queue` until `leaves`, which is no earlier than any kept before.
    pub fn push(&mut self, leaves: Timestamp, queue: usize, sample: Sample) {
        let leaves_ns = nanos(leaves);
        if self.next_leaving.is_none() {
            self.next_leaving = Some(timestamp(leaves_ns));
        }
        let queue = u32::try_from(queue).expect("fewer than 2^32 queues");
        let count = |kind| Count {
            leaves_ns,
            queue,
            kind,
        };
        let wait = |wait_ms, kind, within_threshold| Wait {
            leaves_ns,
            wait_ms,
            queue,
            kind,
            within_threshold,
        };
        match sample {
            Sample::Offered => self.counts.push_back(count(CountKind::Offered)),
            Sample::Refused => self.counts.push_back(count(CountKind::Refused)),
            Sample::Overflowed => self.counts.push_back(count(CountKind::Overflowed)),
            Sample::TimedOut => self.counts.push_back(count(CountKind::TimedOut)),
            Sample::Answered {
                wait_ms,
                within_threshold,
            } => self
                .waits
                .push_back(wait(wait_ms, WaitKind::Answered, within_threshold)),
            Sample::Abandoned {
                wait_ms,
                within_threshold,
                short,
            } => self.waits.push_back(wait(
                wait_ms,
                WaitKind::Abandoned { short },
                within_threshold,
            )),
            Sample::FirstResponse {
                wait_ms,
                within_threshold,
            } => self
                .waits
                .push_back(wait(wait_ms, WaitKind::FirstResponse, within_threshold)),
            Sample::Handled {
                talk_ms,
                hold_ms,
                wrap_up_ms,
            } => self.handled.push_back(Handled {
                leaves_ns,
                talk_ms,
                hold_ms,
                wrap_up_ms,
                queue,
            }),
        }
    }

    /// When the next sample leaves, if any is kept.
    pub fn next_leaving(&self) -> Option<Timestamp> {
        self.next_leaving
    }

    /// Takes out every sample that leaves by `at`, calling `left` with each and its queue.
    pub fn pop_left(&mut self, at: Timestamp, mut left: impl FnMut(usize, Sample)) {
        if self.next_leaving.is_none_or(|next| next > at) {
            return;
        }
        let at_ns = nanos(at);
        pop_left(&mut self.counts, at_ns, &mut left);
        pop_left(&mut self.waits, at_ns, &mut left);
        pop_left(&mut self.handled, at_ns, &mut left);
        let fronts = [
            self.counts.front().map(Entry::leaves_ns),
            self.waits.front().map(Entry::leaves_ns),
            self.handled.front().map(Entry::leaves_ns),
        ];
        self.next_leaving = fronts.into_iter().flatten().min().map(timestamp);
    }

    /// Every sample, oldest first (at one instant: counts, then waits, then handled calls).
    fn listed(&self) -> impl Iterator<Item = (Timestamp, usize, Sample)> + '_ {
        fn parts<E: Entry>(entry: &E) -> (i64, usize, Sample) {
            (entry.leaves_ns(), entry.queue(), entry.sample())
        }
        let mut counts = self.counts.iter().map(parts).peekable();
        let mut waits = self.waits.iter().map(parts).peekable();
        let mut handled = self.handled.iter().map(parts).peekable();
        std::iter::from_fn(move || {
            let (c, w) = (counts.peek().map(|e| e.0), waits.peek().map(|e| e.0));
            let h = handled.peek().map(|e| e.0);
            let oldest = [c, w, h].into_iter().flatten().min()?;
            let next = if c == Some(oldest) {
                counts.next()
            } else if w == Some(oldest) {
                waits.next()
            } else {
                handled.next()
            };
            next.map(|(ns, queue, sample)| (timestamp(ns), queue, sample))
        })
    }

    /// Writes the samples as a snapshot has always listed them (`Listed`), straight from the
    /// three deques: a snapshot makes no copy of the window. Each entry is written by derive.
    pub fn serialize_listed<S: serde::Serializer>(
        samples: &RollingSamples,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(samples.listed())
    }
}

/// What a snapshot holds: every sample, oldest first, as `(leaves, queue, sample)`.
type Listed = Vec<(Timestamp, usize, Sample)>;

impl From<Listed> for RollingSamples {
    fn from(listed: Listed) -> RollingSamples {
        let mut samples = RollingSamples::default();
        for (leaves, queue, sample) in listed {
            samples.push(leaves, queue, sample);
        }
        samples
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp::from_millisecond(1_796_000_000_000 + ms).unwrap()
    }

    /// A call's three samples and the odd ones, at instants with nanoseconds, oldest first.
    fn samples() -> Vec<(Timestamp, usize, Sample)> {
        let handled = Sample::Handled {
            talk_ms: 180_000,
            hold_ms: u64::MAX,
            wrap_up_ms: 5,
        };
        let answered = Sample::Answered {
            wait_ms: 12,
            within_threshold: true,
        };
        let abandoned = |short| Sample::Abandoned {
            wait_ms: 40_000,
            within_threshold: false,
            short,
        };
        let sub_ms = |t: Timestamp| t + jiff::SignedDuration::from_nanos(123_456);
        vec![
            (at(0), 3, Sample::Offered),
            (sub_ms(at(0)), 3, answered),
            (at(1), 0, Sample::Refused),
            (at(1), 7, abandoned(true)),
            (at(1), 7, handled),
            (at(2), 1, abandoned(false)),
            (at(5), 2, Sample::Overflowed),
            (at(9), 2, Sample::TimedOut),
        ]
    }

    #[test]
    fn an_instant_goes_to_nanoseconds_and_back_unchanged() {
        for at in [
            at(0) + jiff::SignedDuration::from_nanos(123_456_789),
            Timestamp::UNIX_EPOCH,
            Timestamp::UNIX_EPOCH - jiff::SignedDuration::from_nanos(1_500_000_001),
        ] {
            assert_eq!(timestamp(nanos(at)), at);
        }
        assert_eq!(nanos(Timestamp::MAX), i64::MAX);
    }

    #[test]
    fn an_entry_takes_16_24_or_40_bytes() {
        assert_eq!(size_of::<Count>(), 16);
        assert_eq!(size_of::<Wait>(), 24);
        assert_eq!(size_of::<Handled>(), 40);
        // What each sample took before, whatever its shape.
        assert_eq!(size_of::<(Timestamp, usize, Sample)>(), 56);
    }

    #[test]
    fn samples_leave_at_their_instant_each_once_and_unchanged() {
        let mut rolling = RollingSamples::default();
        for (leaves, queue, sample) in samples() {
            rolling.push(leaves, queue, sample);
        }
        assert_eq!(rolling.next_leaving(), Some(at(0)));
        let mut left = Vec::new();
        rolling.pop_left(at(1), |queue, sample| left.push((queue, sample)));
        let expected: Vec<_> = samples()
            .into_iter()
            .filter(|(leaves, _, _)| *leaves <= at(1))
            .map(|(_, queue, sample)| (queue, sample))
            .collect();
        left.sort_by_key(|(queue, sample)| (*queue, format!("{sample:?}")));
        let mut expected_sorted = expected.clone();
        expected_sorted.sort_by_key(|(queue, sample)| (*queue, format!("{sample:?}")));
        assert_eq!(left, expected_sorted);
        assert_eq!(rolling.listed().count(), samples().len() - expected.len());
        assert_eq!(rolling.next_leaving(), Some(at(2)));
        rolling.pop_left(at(9), |_, _| {});
        assert_eq!(
            (rolling.listed().count(), rolling.next_leaving()),
            (0, None)
        );
    }

    #[test]
    fn a_snapshot_lists_the_samples_as_they_were_listed_and_reads_them_back() {
        let rolling = RollingSamples::from(samples());
        let listed: Listed = rolling.listed().collect();
        assert_eq!(listed, samples());
        let read = RollingSamples::from(listed);
        assert!(read.listed().eq(rolling.listed()));
        assert_eq!(read.next_leaving(), rolling.next_leaving());
    }
}
