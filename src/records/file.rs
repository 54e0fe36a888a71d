//! Finished records as JSON lines, one file per tenant, kind and local day:
//! `<data_dir>/records/<tenant>/<YYYY-MM-DD>.jsonl` for calls, the day being the local date of
//! the call's `ended_at` in the tenant's time zone, and
//! `<data_dir>/records/<tenant>/conversations-<YYYY-MM-DD>.jsonl` for conversations, likewise.
//! Each kind is numbered apart; a reader of one kind never sees the other's files.
//!
//! These files are derived: the journal of commands is the durable state, and replaying it
//! produces every record again. So a write is flushed to the operating system but not synced to
//! the disk; what a crash loses, recovery writes again. What it must not do is write a record
//! twice, or leave half a line: on open, a torn last line is cut off and the highest `seq`
//! already written is read back, and [`RecordFile::append`] skips every record at or below it.
//!
//! Conversation records hold transcripts, and are deleted once past their retention
//! ([`RecordFile::delete_past`], deciding by [`Retention`]).
//!
//! One writer per tenant (its engine); readers may follow a file with `tail -F` at any time.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::{Deserialize, Serialize};

use super::retention::Retention;
use super::{CallRecord, ConversationRecord};

/// The folder under the data directory that holds every tenant's records.
pub const RECORDS_DIR: &str = "records";

/// The longest line `open` will read back: a call record is well under a kilobyte; a
/// conversation record is at most 128 KiB of transcript text (768 KiB were every byte a
/// control character JSON writes as six), 1,000 messages of some 200 bytes besides (up to
/// 1 MiB with 128-character agent ids escaped likewise) and attached data (under 64 KiB, 384
/// KiB escaped): about 2.2 MiB at the very worst, so 4 MiB leaves room.
const MAX_LINE: usize = 4 << 20;

/// Which records a file holds. Each kind is numbered apart and has files of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Call detail records: `<YYYY-MM-DD>.jsonl`, the name they had before conversations had
    /// records, so that their readers go on unchanged.
    Calls,
    /// Conversation records, with their transcripts: `conversations-<YYYY-MM-DD>.jsonl`.
    Conversations,
}

impl Kind {
    /// What its files' names start with, before the day.
    fn prefix(self) -> &'static str {
        match self {
            Kind::Calls => "",
            Kind::Conversations => "conversations-",
        }
    }

    /// What one record of the kind is called, for messages.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Calls => "call record",
            Kind::Conversations => "conversation record",
        }
    }

    /// The name of the file of `day`.
    pub fn file_name(self, day: Date) -> String {
        format!("{}{}.jsonl", self.prefix(), day.strftime("%Y-%m-%d"))
    }

    /// The day a file of this kind holds, from its name; `None` for any other file.
    pub fn day_of(self, name: &str) -> Option<Date> {
        let stem = name.strip_prefix(self.prefix())?.strip_suffix(".jsonl")?;
        Date::from_str(stem)
            .ok()
            .filter(|day| self.file_name(*day) == name)
    }
}

/// What a record file needs of a record: its kind, its number, and the instant whose local day
/// names its file.
pub trait DayRecord: Serialize {
    const KIND: Kind;
    fn seq(&self) -> u64;
    fn ended_at(&self) -> Timestamp;
}

impl DayRecord for CallRecord {
    const KIND: Kind = Kind::Calls;
    fn seq(&self) -> u64 {
        self.seq
    }
    fn ended_at(&self) -> Timestamp {
        self.ended_at
    }
}

impl DayRecord for ConversationRecord {
    const KIND: Kind = Kind::Conversations;
    fn seq(&self) -> u64 {
        self.seq
    }
    fn ended_at(&self) -> Timestamp {
        self.ended_at
    }
}

/// A tenant's folder of record files. The tenant id becomes a folder name, so it must be one
/// plain path component.
pub fn tenant_dir(data_dir: &Path, tenant: &str) -> io::Result<PathBuf> {
    let plain = !tenant.is_empty()
        && tenant != "."
        && tenant != ".."
        && !tenant.contains(['/', '\\', '\0']);
    if !plain {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("`{tenant}` is not a tenant id that can name a folder"),
        ));
    }
    Ok(data_dir.join(RECORDS_DIR).join(tenant))
}

/// The file of a tenant's calls that ended on `day` (local).
pub fn day_path(data_dir: &Path, tenant: &str, day: Date) -> io::Result<PathBuf> {
    kind_day_path(Kind::Calls, data_dir, tenant, day)
}

/// The file of a tenant's records of `kind` that ended on `day` (local).
pub fn kind_day_path(kind: Kind, data_dir: &Path, tenant: &str, day: Date) -> io::Result<PathBuf> {
    Ok(tenant_dir(data_dir, tenant)?.join(kind.file_name(day)))
}

/// What [`RecordFile::delete_past`] did.
#[derive(Debug, Default)]
pub struct Deleted {
    /// The files deleted, oldest first.
    pub files: Vec<PathBuf>,
    /// The files past retention that could not be deleted, and why: tried again at the next
    /// sweep.
    pub failed: Vec<(PathBuf, io::Error)>,
}

/// A tenant's record files of one kind (calls unless said), open for appending.
#[derive(Debug)]
pub struct RecordFile<R = CallRecord> {
    dir: PathBuf,
    time_zone: TimeZone,
    /// The highest `seq` in the files: records at or below it are already there.
    last_seq: u64,
    /// The file last written to, kept open: consecutive records mostly end on the same day.
    current: Option<(Date, File)>,
    records: PhantomData<fn(&R)>,
}

impl<R: DayRecord> RecordFile<R> {
    /// Opens (creating it if needed) the folder of `tenant`'s records under `data_dir`, cuts a
    /// torn last line off any file, and reads back the last `seq` written.
    ///
    /// Every day file's last line is read, not just the newest file's: a record finishes when
    /// its wrap-up ends, so one that ended before midnight can be written after one that ended
    /// after it, into the older file.
    pub fn open(data_dir: &Path, tenant: &str, time_zone: TimeZone) -> io::Result<RecordFile<R>> {
        let dir = tenant_dir(data_dir, tenant)?;
        std::fs::create_dir_all(&dir)?;
        let mut last_seq = 0;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let is_day_file = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(|name| R::KIND.day_of(name))
                .is_some();
            if is_day_file {
                last_seq = last_seq.max(repair_and_read_last_seq(&path, R::KIND)?);
            }
        }
        Ok(RecordFile {
            dir,
            time_zone,
            last_seq,
            current: None,
            records: PhantomData,
        })
    }

    /// Syncs the file last written to the disk: before a snapshot stops the journal from
    /// holding what made its records, they must be on disk themselves.
    pub fn sync(&mut self) -> io::Result<()> {
        match &self.current {
            Some((_, file)) => file.sync_data(),
            None => Ok(()),
        }
    }

    /// Appends the records not yet written (`seq` above [`RecordFile::last_seq`]), in order,
    /// each as one JSON line in the file of its day, and flushes. On an error, what was written
    /// of the failed write is cut off again, so the files hold only whole lines.
    pub fn append(&mut self, records: &[R]) -> io::Result<()> {
        // Consecutive records of one day go out in one write.
        let mut lines = String::new();
        let mut lines_day = None;
        let mut last = self.last_seq;
        for record in records {
            if record.seq() <= last {
                continue;
            }
            let day = record.ended_at().to_zoned(self.time_zone.clone()).date();
            if let Some(open_day) = lines_day.filter(|open_day| *open_day != day) {
                self.write(open_day, &lines, last)?;
                lines.clear();
            }
            lines_day = Some(day);
            lines.push_str(&serde_json::to_string(record).map_err(io::Error::other)?);
            lines.push('\n');
            last = record.seq();
        }
        match lines_day {
            Some(day) => self.write(day, &lines, last),
            None => Ok(()),
        }
    }

    /// The highest `seq` in the files.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    /// The file of a day, as `append` names it.
    pub fn path(&self, day: Date) -> PathBuf {
        self.dir.join(R::KIND.file_name(day))
    }

    /// The days that have a file, in order.
    pub fn days(&self) -> io::Result<Vec<Date>> {
        let mut days = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let name = entry?.file_name();
            if let Some(day) = name.to_str().and_then(|name| R::KIND.day_of(name)) {
                days.push(day);
            }
        }
        days.sort();
        Ok(days)
    }

    /// Deletes the files of the days past `retention` on `today` (the tenant's local date).
    /// A file that cannot be deleted is reported and left for the next sweep; only a folder
    /// that cannot be listed is an error.
    pub fn delete_past(&mut self, retention: Retention, today: Date) -> io::Result<Deleted> {
        let mut deleted = Deleted::default();
        for day in retention.past(today, self.days()?) {
            if self.current.as_ref().is_some_and(|(open, _)| *open == day) {
                self.current = None;
            }
            let path = self.path(day);
            match std::fs::remove_file(&path) {
                Ok(()) => deleted.files.push(path),
                // Gone meanwhile (an operator's hand): nothing left to delete.
                Err(error) if error.kind() == io::ErrorKind::NotFound => {}
                Err(error) => deleted.failed.push((path, error)),
            }
        }
        Ok(deleted)
    }

    /// Writes whole lines to a day's file; `seq` is the last record among them.
    fn write(&mut self, day: Date, lines: &str, seq: u64) -> io::Result<()> {
        if self.current.as_ref().is_none_or(|(open, _)| *open != day) {
            self.current = None;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.path(day))?;
            self.current = Some((day, file));
        }
        let (_, file) = self.current.as_mut().expect("opened above");
        let before = file.metadata()?.len();
        let written = file.write_all(lines.as_bytes()).and_then(|()| file.flush());
        if let Err(error) = written {
            // Best effort: a failed write may have left part of a line. If this fails too,
            // the next open cuts it.
            let _ = file.set_len(before);
            self.current = None;
            return Err(error);
        }
        self.last_seq = seq;
        Ok(())
    }
}

/// Cuts a torn last line (no final newline) off the file and returns the `seq` of its last
/// whole line, or 0 if it has none.
fn repair_and_read_last_seq(path: &Path, kind: Kind) -> io::Result<u64> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    let len = file.metadata()?.len();
    let (line, whole_len) = last_whole_line(&mut file, len)
        .map_err(|error| io::Error::new(error.kind(), format!("{}: {error}", path.display())))?;
    if whole_len < len {
        file.set_len(whole_len)?;
    }
    let Some(line) = line else {
        return Ok(0);
    };
    #[derive(Deserialize)]
    struct Seq {
        seq: u64,
    }
    let seq: Seq = serde_json::from_slice(&line).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "{}: the last line is not a {}: {error}",
                path.display(),
                kind.noun()
            ),
        )
    })?;
    Ok(seq.seq)
}

/// The last line that ends with a newline (without it), and the length of the file up to and
/// including that newline. Reads backwards from the end, so a long file costs one read.
fn last_whole_line(file: &mut File, len: u64) -> io::Result<(Option<Vec<u8>>, u64)> {
    const CHUNK: u64 = 4096;
    // The file's bytes from `start` to its end.
    let mut tail: Vec<u8> = Vec::new();
    let mut start = len;
    loop {
        let newline = tail.iter().rposition(|b| *b == b'\n');
        if let Some(end) = newline {
            let line_start = tail[..end].iter().rposition(|b| *b == b'\n');
            match line_start {
                Some(before) => {
                    return Ok((Some(tail[before + 1..end].to_vec()), start + end as u64 + 1));
                }
                None if start == 0 => return Ok((Some(tail[..end].to_vec()), end as u64 + 1)),
                None => {}
            }
        } else if start == 0 {
            return Ok((None, 0));
        }
        if tail.len() > MAX_LINE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the last line is longer than any record",
            ));
        }
        let read_from = start.saturating_sub(CHUNK);
        let mut chunk = vec![0; (start - read_from) as usize];
        file.seek(SeekFrom::Start(read_from))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        start = read_from;
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::records::Outcome;

    fn berlin() -> TimeZone {
        TimeZone::get("Europe/Berlin").unwrap()
    }

    /// An abandoned call `seq` that ended at `ended_at`.
    fn record(seq: u64, ended_at: &str) -> CallRecord {
        let ended_at: Timestamp = ended_at.parse().unwrap();
        CallRecord {
            seq,
            call: format!("c{seq}").into(),
            outcome: Outcome::Abandoned,
            first_queue: "support".into(),
            last_queue: "support".into(),
            queues: vec!["support".into()],
            agents: Vec::new(),
            answered_by: None,
            priority: None,
            caller: None,
            dialled: None,
            arrived_at: ended_at,
            first_offered_at: None,
            answered_at: None,
            ended_at,
            wrap_up_ended_at: None,
            wait_ms: 0,
            last_queue_wait_ms: 0,
            talk_ms: 0,
            hold_ms: 0,
            holds: 0,
            wrap_up_ms: 0,
            offers: 0,
            ring_no_answers: 0,
            rejections: 0,
            transfers: 0,
            transfer_targets: Vec::new(),
            overflows: 0,
            disposition: None,
            notes: None,
        }
    }

    fn seqs(path: &Path) -> Vec<u64> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str::<CallRecord>(line).unwrap().seq)
            .collect()
    }

    fn day(text: &str) -> Date {
        text.parse().unwrap()
    }

    #[test]
    fn records_go_to_the_file_of_their_local_day_as_json_lines() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 0);
        file.append(&[
            record(1, "2026-03-10T22:59:59Z"), // 23:59:59 in Berlin
            record(2, "2026-03-10T23:00:00Z"), // midnight in Berlin: the next day
            record(3, "2026-03-11T08:00:00Z"),
        ])
        .unwrap();
        assert_eq!(file.last_seq(), 3);
        let tenant = data.path().join("records/acme");
        assert_eq!(seqs(&tenant.join("2026-03-10.jsonl")), [1]);
        assert_eq!(seqs(&tenant.join("2026-03-11.jsonl")), [2, 3]);
        assert_eq!(
            file.path(day("2026-03-11")),
            day_path(data.path(), "acme", day("2026-03-11")).unwrap()
        );
        let text = std::fs::read_to_string(tenant.join("2026-03-10.jsonl")).unwrap();
        assert!(text.starts_with("{\"seq\":1,\"call\":\"c1\",\"outcome\":\"abandoned\""));
        assert!(
            text.contains("\"ended_at\":\"2026-03-10T22:59:59Z\""),
            "{text}"
        );
    }

    #[test]
    fn records_produced_again_after_a_restart_are_not_written_twice() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        file.append(&[
            record(1, "2026-03-10T09:00:00Z"),
            record(2, "2026-03-10T09:01:00Z"),
        ])
        .unwrap();
        drop(file);
        // Recovery replays the journal's tail: records 1 and 2 come again, then new ones.
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 2);
        file.append(&[
            record(1, "2026-03-10T09:00:00Z"),
            record(2, "2026-03-10T09:01:00Z"),
        ])
        .unwrap();
        file.append(&[
            record(2, "2026-03-10T09:01:00Z"),
            record(3, "2026-03-10T09:02:00Z"),
        ])
        .unwrap();
        let path = data.path().join("records/acme/2026-03-10.jsonl");
        assert_eq!(seqs(&path), [1, 2, 3]);
        assert_eq!(file.last_seq(), 3);
    }

    #[test]
    fn a_torn_last_line_is_cut_off_and_its_record_written_again() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        file.append(&[
            record(1, "2026-03-10T09:00:00Z"),
            record(2, "2026-03-10T09:01:00Z"),
        ])
        .unwrap();
        drop(file);
        let path = data.path().join("records/acme/2026-03-10.jsonl");
        let whole = std::fs::read_to_string(&path).unwrap();
        // A crash in the middle of writing record 3.
        let third = serde_json::to_string(&record(3, "2026-03-10T09:02:00Z")).unwrap();
        std::fs::write(&path, format!("{whole}{}", &third[..40])).unwrap();
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 2);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
        file.append(&[record(3, "2026-03-10T09:02:00Z")]).unwrap();
        assert_eq!(seqs(&path), [1, 2, 3]);
    }

    #[test]
    fn a_file_holding_only_a_torn_line_is_emptied() {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().join("records/acme");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("2026-03-10.jsonl"), "{\"seq\":1,\"ca").unwrap();
        std::fs::write(dir.join("notes.txt"), "not a record file").unwrap();
        let file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 0);
        assert_eq!(std::fs::read(dir.join("2026-03-10.jsonl")).unwrap(), b"");
    }

    #[test]
    fn the_last_seq_is_found_in_an_older_day_written_last() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        // Record 2 ended before midnight but finished after record 1, which ended after it:
        // its wrap-up ran past midnight.
        file.append(&[
            record(1, "2026-03-10T23:00:05Z"),
            record(2, "2026-03-10T22:59:50Z"),
        ])
        .unwrap();
        drop(file);
        let file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 2);
    }

    #[test]
    fn a_long_file_is_read_back_from_its_end() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        let records: Vec<CallRecord> = (1..=200)
            .map(|seq| record(seq, "2026-03-10T09:00:00Z"))
            .collect();
        file.append(&records).unwrap();
        drop(file);
        let file = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 200);
    }

    #[test]
    fn a_last_line_that_is_not_a_record_is_refused_with_its_path() {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().join("records/acme");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("2026-03-10.jsonl"), "hello\n").unwrap();
        let error = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("2026-03-10.jsonl"), "{error}");
    }

    #[test]
    fn a_tenant_id_must_be_one_plain_folder_name() {
        let data = tempfile::tempdir().unwrap();
        for tenant in ["", ".", "..", "a/b", "..\\x"] {
            let error = RecordFile::<CallRecord>::open(data.path(), tenant, berlin()).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{tenant}");
        }
    }

    /// A refused conversation `seq` that ended at `ended_at`.
    fn conversation(seq: u64, ended_at: &str) -> ConversationRecord {
        let ended_at: Timestamp = ended_at.parse().unwrap();
        ConversationRecord {
            seq,
            conversation: format!("k{seq}").into(),
            channel: Some("chat".into()),
            outcome: crate::records::ConversationOutcome::Refused,
            first_queue: "chat".into(),
            last_queue: "chat".into(),
            queues: vec!["chat".into()],
            agents: Vec::new(),
            accepted_by: None,
            priority: 0,
            customer: None,
            data: Default::default(),
            arrived_at: ended_at,
            first_offered_at: None,
            accepted_at: None,
            first_response_at: None,
            ended_at,
            wrap_up_ended_at: None,
            wait_ms: 0,
            last_queue_wait_ms: 0,
            first_response_ms: None,
            open_ms: 0,
            wrap_up_ms: 0,
            offers: 0,
            rejections: 0,
            ring_no_answers: 0,
            transfers: 0,
            transfer_targets: Vec::new(),
            overflows: 0,
            customer_messages: 0,
            agent_messages: 0,
            transcript: Vec::new(),
        }
    }

    #[test]
    fn conversation_records_have_files_and_numbers_of_their_own_beside_the_calls() {
        let data = tempfile::tempdir().unwrap();
        let mut calls = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        calls
            .append(&[
                record(1, "2026-03-10T09:00:00Z"),
                record(2, "2026-03-10T09:01:00Z"),
            ])
            .unwrap();
        let mut conversations =
            RecordFile::<ConversationRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(
            conversations.last_seq(),
            0,
            "the calls' numbers are not theirs"
        );
        conversations
            .append(&[conversation(1, "2026-03-10T09:02:00Z")])
            .unwrap();
        let tenant = data.path().join("records/acme");
        assert_eq!(seqs(&tenant.join("2026-03-10.jsonl")), [1, 2]);
        let text = std::fs::read_to_string(tenant.join("conversations-2026-03-10.jsonl")).unwrap();
        assert!(
            text.starts_with("{\"seq\":1,\"conversation\":\"k1\",\"channel\":\"chat\""),
            "{text}"
        );
        assert_eq!(
            conversations.path(day("2026-03-10")),
            kind_day_path(Kind::Conversations, data.path(), "acme", day("2026-03-10")).unwrap()
        );
        drop((calls, conversations));
        // Each reads back its own last number, and the other's file is not one of its days.
        let calls = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        let conversations =
            RecordFile::<ConversationRecord>::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!((calls.last_seq(), conversations.last_seq()), (2, 1));
        assert_eq!(calls.days().unwrap(), [day("2026-03-10")]);
        assert_eq!(conversations.days().unwrap(), [day("2026-03-10")]);
    }

    #[test]
    fn file_names_belong_to_one_kind_only() {
        let march = day("2026-03-10");
        assert_eq!(Kind::Calls.day_of("2026-03-10.jsonl"), Some(march));
        assert_eq!(Kind::Calls.day_of("conversations-2026-03-10.jsonl"), None);
        assert_eq!(
            Kind::Conversations.day_of("conversations-2026-03-10.jsonl"),
            Some(march)
        );
        assert_eq!(Kind::Conversations.day_of("2026-03-10.jsonl"), None);
        assert_eq!(
            Kind::Conversations.day_of("conversations-2026-3-10.jsonl"),
            None
        );
        assert_eq!(
            Kind::Conversations.day_of("conversations-2026-03-10.json"),
            None
        );
    }

    #[test]
    fn conversation_records_past_retention_are_deleted_and_nothing_else() {
        let data = tempfile::tempdir().unwrap();
        let mut calls = RecordFile::<CallRecord>::open(data.path(), "acme", berlin()).unwrap();
        calls.append(&[record(1, "2026-01-05T09:00:00Z")]).unwrap();
        let mut conversations =
            RecordFile::<ConversationRecord>::open(data.path(), "acme", berlin()).unwrap();
        conversations
            .append(&[
                conversation(1, "2026-01-05T09:00:00Z"),
                conversation(2, "2026-02-08T09:00:00Z"),
                conversation(3, "2026-02-09T09:00:00Z"),
                conversation(4, "2026-03-10T09:00:00Z"),
            ])
            .unwrap();
        let tenant = data.path().join("records/acme");
        std::fs::write(tenant.join("notes.txt"), "an operator's").unwrap();
        let thirty = Retention::days(30).unwrap();
        // On 10 March, 30 days back is 8 February: that day is kept.
        let deleted = conversations
            .delete_past(thirty, day("2026-03-10"))
            .unwrap();
        assert!(deleted.failed.is_empty());
        assert_eq!(
            deleted.files,
            [tenant.join("conversations-2026-01-05.jsonl")]
        );
        let deleted = conversations
            .delete_past(thirty, day("2026-03-11"))
            .unwrap();
        assert_eq!(
            deleted.files,
            [tenant.join("conversations-2026-02-08.jsonl")]
        );
        assert_eq!(
            conversations.days().unwrap(),
            [day("2026-02-09"), day("2026-03-10")]
        );
        // The calls' file of the same day, and other files, stay.
        assert!(tenant.join("2026-01-05.jsonl").exists());
        assert!(tenant.join("notes.txt").exists());
        // The file written last is deleted too once past retention, and a later record of its
        // day (a late wrap-up) makes it anew.
        let deleted = conversations
            .delete_past(thirty, day("2026-05-01"))
            .unwrap();
        assert_eq!(deleted.files.len(), 2);
        conversations
            .append(&[conversation(5, "2026-03-10T10:00:00Z")])
            .unwrap();
        let path = tenant.join("conversations-2026-03-10.jsonl");
        let seqs: Vec<u64> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| {
                serde_json::from_str::<ConversationRecord>(line)
                    .unwrap()
                    .seq
            })
            .collect();
        assert_eq!(seqs, [5]);
    }
}
