//! A core and a record fold of its events, driven like the engine drives them: every deadline
//! at its own instant, each event observed with the instant of its step. After every step the
//! fold is replaced by its own JSON round trip, as recovery from a snapshot would. The call
//! records' tests (`records.rs`) and the conversation records' (`conversation_records.rs`)
//! each drive their own fold with it.

use acdhub::acd::{Acd, Command, Event};
use acdhub::records::{CallRecord, CallRecords, ConversationRecord, ConversationRecords};
use jiff::Timestamp;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::support;

/// What a record fold offers the harness.
pub trait Fold: Default + PartialEq + std::fmt::Debug + Serialize + DeserializeOwned {
    type Record;
    fn observe(&mut self, event: &Event, now: Timestamp);
    fn take_finished(&mut self) -> Vec<Self::Record>;
}

impl Fold for CallRecords {
    type Record = CallRecord;
    fn observe(&mut self, event: &Event, now: Timestamp) {
        CallRecords::observe(self, event, now);
    }
    fn take_finished(&mut self) -> Vec<CallRecord> {
        CallRecords::take_finished(self)
    }
}

impl Fold for ConversationRecords {
    type Record = ConversationRecord;
    fn observe(&mut self, event: &Event, now: Timestamp) {
        ConversationRecords::observe(self, event, now);
    }
    fn take_finished(&mut self) -> Vec<ConversationRecord> {
        ConversationRecords::take_finished(self)
    }
}

pub struct Day<F: Fold> {
    pub acd: Acd,
    pub records: F,
    pub start: Timestamp,
    /// Every record taken, in the order taken.
    pub finished: Vec<F::Record>,
}

impl<F: Fold> Day<F> {
    pub fn new(setup: &str) -> Day<F> {
        let (acd, start) = support::acd(setup);
        Day {
            acd,
            records: F::default(),
            start,
            finished: Vec::new(),
        }
    }

    /// An offset from the start (`85s`, `1m25s`).
    pub fn instant(&self, offset: &str) -> Timestamp {
        let ms = support::parse_duration(offset).unwrap();
        Timestamp::from_millisecond(self.start.as_millisecond() + ms).unwrap()
    }

    pub fn when(&self, offset: &str) -> Option<Timestamp> {
        Some(self.instant(offset))
    }

    /// Lets time pass to `offset`, then runs the commands (script syntax, `;`-separated).
    #[track_caller]
    pub fn at(&mut self, offset: &str, commands: &str) {
        let now = self.instant(offset);
        let commands = commands
            .split(';')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| support::parse_command_at(c, Some(now)).unwrap())
            .collect();
        self.run(offset, commands);
    }

    /// Lets time pass to `offset`, then runs `commands`.
    #[track_caller]
    pub fn run(&mut self, offset: &str, commands: Vec<Command>) {
        let now = self.instant(offset);
        while self.acd.poll_timeout() <= now {
            let deadline = self.acd.poll_timeout();
            self.acd.handle_timeout(deadline);
            self.observe(deadline);
        }
        self.acd.handle_timeout(now);
        self.observe(now);
        for command in commands {
            if let Err(error) = self.acd.handle(command.clone(), now) {
                panic!("at {offset}: {command:?} refused: {error}");
            }
            self.observe(now);
        }
    }

    fn observe(&mut self, now: Timestamp) {
        while let Some(event) = self.acd.poll_event() {
            self.records.observe(&event, now);
        }
        self.finished.extend(self.records.take_finished());
        let json = serde_json::to_string(&self.records).unwrap();
        let restored: F = serde_json::from_str(&json).unwrap();
        assert_eq!(restored, self.records, "the fold survives its snapshot");
        self.records = restored;
    }
}
