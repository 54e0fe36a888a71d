//! A session's replay buffer: the events it wrote lately, kept for a client that resumes.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

/// A session's recent events, numbered, for a client that resumes: at most `max` of them, none
/// older than `max_age`. Payloads are the shared ones every session got, so an entry costs a
/// pointer and two numbers.
#[derive(Debug)]
pub struct Replay {
    entries: VecDeque<(u64, Arc<str>, Instant)>,
    max: usize,
    max_age: Duration,
}

impl Replay {
    pub fn new(max: usize, max_age: Duration) -> Replay {
        Replay {
            entries: VecDeque::new(),
            max,
            max_age,
        }
    }

    pub fn push(&mut self, seq: u64, payload: Arc<str>, now: Instant) {
        if self.entries.len() == self.max {
            self.entries.pop_front();
        }
        self.entries.push_back((seq, payload, now));
        self.forget_old(now);
    }

    fn forget_old(&mut self, now: Instant) {
        while let Some((_, _, at)) = self.entries.front() {
            if now.duration_since(*at) <= self.max_age {
                break;
            }
            self.entries.pop_front();
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
        let mut replay = Replay::new(8, Duration::from_secs(120));
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
        let mut replay = Replay::new(3, Duration::from_secs(120));
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
        let mut replay = Replay::new(8, Duration::from_secs(120));
        replay.push(1, payload(1), start);
        replay.push(2, payload(2), start + Duration::from_secs(100));
        let later = start + Duration::from_secs(121);
        // Event 1 aged out: only a client that saw it can still resume.
        assert_eq!(replay.after(0, 2, later), None);
        assert_eq!(seqs(&replay.after(1, 2, later).unwrap()), [2]);
    }
}
