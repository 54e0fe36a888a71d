//! A session's replay buffer: the events it wrote lately, kept for a client that resumes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

/// A session's recent events, numbered, for a client that resumes: at most `max` of them and
/// `max_bytes` of payload, none older than `max_age`. Payloads are the shared ones every session
/// got, so an entry costs a pointer and two numbers beside a payload it may share; the byte
/// bound counts each payload whole all the same, so what a session can hold is bounded whatever
/// the others hold.
#[derive(Debug)]
pub struct Replay {
    entries: VecDeque<(u64, Arc<str>, Instant)>,
    /// The bytes of the payloads in `entries`.
    bytes: usize,
    max: usize,
    max_bytes: usize,
    max_age: Duration,
}

impl Replay {
    pub fn new(max: usize, max_bytes: usize, max_age: Duration) -> Replay {
        Replay {
            entries: VecDeque::new(),
            bytes: 0,
            max,
            max_bytes,
            max_age,
        }
    }

    /// Keeps an event; the oldest go while there are more than `max` or more than `max_bytes`
    /// (an event larger than `max_bytes` is not kept: a client that missed it resyncs). Those
    /// past `max_age` go at [`Replay::forget_old`], which each write pass runs before it pushes
    /// (with the same `now`), and at [`Replay::after`].
    pub fn push(&mut self, seq: u64, payload: Arc<str>, now: Instant) {
        self.bytes += payload.len();
        self.entries.push_back((seq, payload, now));
        while self.entries.len() > self.max || self.bytes > self.max_bytes {
            self.pop();
        }
    }

    fn pop(&mut self) {
        if let Some((_, payload, _)) = self.entries.pop_front() {
            self.bytes -= payload.len();
        }
    }

    /// Forgets the events older than `max_age`, and gives back memory a burst left unused.
    pub fn forget_old(&mut self, now: Instant) {
        while let Some((_, _, at)) = self.entries.front() {
            if now.duration_since(*at) <= self.max_age {
                break;
            }
            self.pop();
        }
        let (len, capacity) = (self.entries.len(), self.entries.capacity());
        if capacity > 64 && len < capacity / 4 {
            self.entries.shrink_to(len * 2);
        }
    }

    /// Forgets the events up to `seq`: the client has them (`seen`), and a resume from before
    /// them would be a resync anyway.
    pub fn forget_through(&mut self, seq: u64) {
        while let Some((first, _, _)) = self.entries.front() {
            if *first > seq {
                break;
            }
            self.pop();
        }
    }

    /// The events after `last_seq`, if every one of them is still here (`seq` is the session's
    /// last event); `None` if some are gone, or `last_seq` is ahead of the session.
    pub fn after(&mut self, last_seq: u64, seq: u64, now: Instant) -> Option<Vec<(u64, Arc<str>)>> {
        self.forget_old(now);
        if last_seq > seq {
            return None;
        }
        if last_seq == seq {
            return Some(Vec::new());
        }
        let first = self.entries.front()?.0;
        if first > last_seq + 1 {
            return None;
        }
        Some(
            self.entries
                .iter()
                .filter(|(s, _, _)| *s > last_seq)
                .map(|(s, payload, _)| (*s, payload.clone()))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(seq: u64) -> Arc<str> {
        Arc::from(format!("event {seq}"))
    }

    fn seqs(events: &[(u64, Arc<str>)]) -> Vec<u64> {
        events.iter().map(|(seq, _)| *seq).collect()
    }

    #[test]
    fn gives_exactly_the_events_after_the_clients_last() {
        let now = Instant::now();
        let mut replay = Replay::new(8, 1 << 20, Duration::from_secs(120));
        for seq in 1..=5 {
            replay.push(seq, payload(seq), now);
        }
        let missed = replay.after(2, 5, now).unwrap();
        assert_eq!(seqs(&missed), [3, 4, 5]);
        assert_eq!(&*missed[0].1, "event 3");
        // Nothing missed, and a client from the future.
        assert_eq!(replay.after(5, 5, now), Some(Vec::new()));
        assert_eq!(replay.after(6, 5, now), None);
    }

    #[test]
    fn a_gap_the_buffer_no_longer_covers_is_no_replay() {
        let now = Instant::now();
        let mut replay = Replay::new(3, 1 << 20, Duration::from_secs(120));
        for seq in 1..=5 {
            replay.push(seq, payload(seq), now);
        }
        // Holds 3, 4, 5: a client that saw 2 can resume, one that saw 1 cannot.
        assert_eq!(seqs(&replay.after(2, 5, now).unwrap()), [3, 4, 5]);
        assert_eq!(replay.after(1, 5, now), None);
    }

    #[test]
    fn events_older_than_the_resume_window_are_forgotten() {
        let start = Instant::now();
        let mut replay = Replay::new(8, 1 << 20, Duration::from_secs(120));
        replay.push(1, payload(1), start);
        replay.push(2, payload(2), start + Duration::from_secs(100));
        let later = start + Duration::from_secs(121);
        // Event 1 aged out: only a client that saw it can still resume.
        assert_eq!(replay.after(0, 2, later), None);
        assert_eq!(seqs(&replay.after(1, 2, later).unwrap()), [2]);
    }

    /// Bytes bound what is kept as well as the count: a client that missed more than
    /// `max_bytes` resyncs, and an idle session's old events go at its next pass.
    #[test]
    fn bytes_bound_what_is_kept_and_old_events_go_without_a_push() {
        let start = Instant::now();
        let mut replay = Replay::new(1024, 20, Duration::from_secs(120));
        for seq in 1..=5 {
            replay.push(seq, payload(seq), start); // 7 bytes each
        }
        assert_eq!(replay.bytes, 14, "two fit in 20 bytes");
        assert_eq!(seqs(&replay.after(3, 5, start).unwrap()), [4, 5]);
        assert_eq!(replay.after(2, 5, start), None, "event 3 is gone");
        replay.push(6, Arc::from("x".repeat(21)), start);
        assert_eq!(replay.bytes, 0, "an event over the bound is not kept");
        assert_eq!(replay.after(5, 6, start), None);

        let mut replay = Replay::new(1024, 1 << 20, Duration::from_secs(120));
        for seq in 1..=200 {
            replay.push(seq, payload(seq), start);
        }
        replay.forget_old(start + Duration::from_secs(121));
        assert_eq!(replay.bytes, 0);
        assert!(
            replay.entries.capacity() <= 64,
            "the burst's memory is given back"
        );
    }

    /// `seen` forgets what the client has: a resume from there or later still gets the rest,
    /// one from before it is a resync, and a session whose client has everything resumes with
    /// nothing to replay.
    #[test]
    fn what_the_client_has_seen_is_forgotten_and_a_resume_after_it_still_works() {
        let now = Instant::now();
        let mut replay = Replay::new(1024, 1 << 20, Duration::from_secs(120));
        for seq in 1..=5 {
            replay.push(seq, payload(seq), now);
        }
        replay.forget_through(3);
        assert_eq!(replay.entries.len(), 2);
        assert_eq!(replay.bytes, 14);
        assert_eq!(seqs(&replay.after(3, 5, now).unwrap()), [4, 5]);
        assert_eq!(seqs(&replay.after(4, 5, now).unwrap()), [5]);
        assert_eq!(replay.after(2, 5, now), None, "event 3 is gone: a resync");
        replay.forget_through(1);
        assert_eq!(
            replay.entries.len(),
            2,
            "an older seen forgets nothing more"
        );
        replay.forget_through(5);
        assert_eq!(replay.bytes, 0);
        assert_eq!(replay.after(5, 5, now), Some(Vec::new()));
        assert_eq!(replay.after(4, 5, now), None);
    }
}
