//! Finished call records as JSON lines, one file per tenant and local day:
//! `<data_dir>/records/<tenant>/<YYYY-MM-DD>.jsonl`, the day being the local date of the call's
//! `ended_at` in the tenant's time zone.
//!
//! These files are derived: the journal of commands is the durable state, and replaying it
//! produces every record again. So a write is flushed to the operating system but not synced to
//! the disk; what a crash loses, recovery writes again. What it must not do is write a record
//! twice, or leave half a line: on open, a torn last line is cut off and the highest `seq`
//! already written is read back, and [`RecordFile::append`] skips every record at or below it.
//!
//! One writer per tenant (its engine); readers may follow a file with `tail -F` at any time.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use serde::Deserialize;

use super::CallRecord;

/// The folder under the data directory that holds every tenant's records.
pub const RECORDS_DIR: &str = "records";

/// The longest line `open` will read back; a record is well under a kilobyte.
const MAX_LINE: usize = 1 << 20;

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
    Ok(tenant_dir(data_dir, tenant)?.join(file_name(day)))
}

fn file_name(day: Date) -> String {
    format!("{}.jsonl", day.strftime("%Y-%m-%d"))
}

/// The day a file holds, from its name; `None` for any other file.
fn day_of(name: &str) -> Option<Date> {
    let stem = name.strip_suffix(".jsonl")?;
    Date::from_str(stem)
        .ok()
        .filter(|day| file_name(*day) == name)
}

/// A tenant's record files, open for appending.
#[derive(Debug)]
pub struct RecordFile {
    dir: PathBuf,
    time_zone: TimeZone,
    /// The highest `seq` in the files: records at or below it are already there.
    last_seq: u64,
    /// The file last written to, kept open: consecutive records mostly end on the same day.
    current: Option<(Date, File)>,
}

impl RecordFile {
    /// Opens (creating it if needed) the folder of `tenant`'s records under `data_dir`, cuts a
    /// torn last line off any file, and reads back the last `seq` written.
    ///
    /// Every day file's last line is read, not just the newest file's: a record finishes when
    /// its wrap-up ends, so one that ended before midnight can be written after one that ended
    /// after it, into the older file.
    pub fn open(data_dir: &Path, tenant: &str, time_zone: TimeZone) -> io::Result<RecordFile> {
        let dir = tenant_dir(data_dir, tenant)?;
        std::fs::create_dir_all(&dir)?;
        let mut last_seq = 0;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let is_day_file = path
                .file_name()
                .and_then(|name| name.to_str())
                .and_then(day_of)
                .is_some();
            if is_day_file {
                last_seq = last_seq.max(repair_and_read_last_seq(&path)?);
            }
        }
        Ok(RecordFile {
            dir,
            time_zone,
            last_seq,
            current: None,
        })
    }

    /// Appends the records not yet written (`seq` above [`RecordFile::last_seq`]), in order,
    /// each as one JSON line in the file of its day, and flushes. On an error, what was written
    /// of the failed write is cut off again, so the files hold only whole lines.
    /// Syncs the file last written to the disk: before a snapshot stops the journal from
    /// holding what made its records, they must be on disk themselves.
    pub fn sync(&mut self) -> io::Result<()> {
        match &self.current {
            Some((_, file)) => file.sync_data(),
            None => Ok(()),
        }
    }

    pub fn append(&mut self, records: &[CallRecord]) -> io::Result<()> {
        // Consecutive records of one day go out in one write.
        let mut lines = String::new();
        let mut lines_day = None;
        let mut last = self.last_seq;
        for record in records {
            if record.seq <= last {
                continue;
            }
            let day = record.ended_at.to_zoned(self.time_zone.clone()).date();
            if let Some(open_day) = lines_day.filter(|open_day| *open_day != day) {
                self.write(open_day, &lines, last)?;
                lines.clear();
            }
            lines_day = Some(day);
            lines.push_str(&serde_json::to_string(record).map_err(io::Error::other)?);
            lines.push('\n');
            last = record.seq;
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
        self.dir.join(file_name(day))
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
fn repair_and_read_last_seq(path: &Path) -> io::Result<u64> {
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
                "{}: the last line is not a call record: {error}",
                path.display()
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
                "the last line is longer than any call record",
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
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
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
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
        file.append(&[
            record(1, "2026-03-10T09:00:00Z"),
            record(2, "2026-03-10T09:01:00Z"),
        ])
        .unwrap();
        drop(file);
        // Recovery replays the journal's tail: records 1 and 2 come again, then new ones.
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
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
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
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
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
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
        let file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 0);
        assert_eq!(std::fs::read(dir.join("2026-03-10.jsonl")).unwrap(), b"");
    }

    #[test]
    fn the_last_seq_is_found_in_an_older_day_written_last() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
        // Record 2 ended before midnight but finished after record 1, which ended after it:
        // its wrap-up ran past midnight.
        file.append(&[
            record(1, "2026-03-10T23:00:05Z"),
            record(2, "2026-03-10T22:59:50Z"),
        ])
        .unwrap();
        drop(file);
        let file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 2);
    }

    #[test]
    fn a_long_file_is_read_back_from_its_end() {
        let data = tempfile::tempdir().unwrap();
        let mut file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
        let records: Vec<CallRecord> = (1..=200)
            .map(|seq| record(seq, "2026-03-10T09:00:00Z"))
            .collect();
        file.append(&records).unwrap();
        drop(file);
        let file = RecordFile::open(data.path(), "acme", berlin()).unwrap();
        assert_eq!(file.last_seq(), 200);
    }

    #[test]
    fn a_last_line_that_is_not_a_record_is_refused_with_its_path() {
        let data = tempfile::tempdir().unwrap();
        let dir = data.path().join("records/acme");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("2026-03-10.jsonl"), "hello\n").unwrap();
        let error = RecordFile::open(data.path(), "acme", berlin()).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(error.to_string().contains("2026-03-10.jsonl"), "{error}");
    }

    #[test]
    fn a_tenant_id_must_be_one_plain_folder_name() {
        let data = tempfile::tempdir().unwrap();
        for tenant in ["", ".", "..", "a/b", "..\\x"] {
            let error = RecordFile::open(data.path(), tenant, berlin()).unwrap_err();
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{tenant}");
        }
    }
}
