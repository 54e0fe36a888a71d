//! `verify`: a read-only check of a whole journal directory, for operators and tools. It may run
//! while the server writes the journal (it takes no lock and changes nothing).

use std::fmt;
use std::path::{Path, PathBuf};

use super::segment::TornTail;
use super::{JournalError, Position, directory, log, snapshot};

/// What `verify` found in a journal that is not damaged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    pub segments: usize,
    pub records: u64,
    /// The oldest record still on disk (compaction removes older ones); `None` if none.
    pub first_position: Option<Position>,
    pub last_position: Option<Position>,
    /// Every snapshot file, oldest first, each read whole and checked.
    pub snapshots: Vec<SnapshotCheck>,
    /// A torn tail at the end of the newest segment: what the next open will cut off (or a
    /// batch the running server is writing right now).
    pub torn_tail: Option<TornTail>,
}

/// One snapshot file as `verify` found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotCheck {
    pub path: PathBuf,
    pub covers: Position,
    /// Why the snapshot is unusable (recovery skips it), or `None` if it is valid.
    pub problem: Option<String>,
}

impl fmt::Display for VerifyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} segments, {} records", self.segments, self.records)?;
        if let (Some(first), Some(last)) = (self.first_position, self.last_position) {
            write!(f, " (positions {first} to {last})")?;
        }
        let valid = self
            .snapshots
            .iter()
            .filter(|s| s.problem.is_none())
            .count();
        writeln!(f, ", {valid} valid snapshots")?;
        for check in &self.snapshots {
            if let Some(problem) = &check.problem {
                writeln!(f, "invalid snapshot: {}: {problem}", check.path.display())?;
            }
        }
        if let Some(torn) = &self.torn_tail {
            writeln!(f, "{torn}")?;
        }
        Ok(())
    }
}

/// Reads every segment and snapshot in `dir` and checks every checksum, never writing. A torn
/// tail is reported; damage anywhere else, or a chain that cannot be replayed from the newest
/// valid snapshot, is an `Err` naming the file and byte offset.
pub fn verify(dir: &Path) -> Result<VerifyReport, JournalError> {
    let listing = directory::list(dir)?;
    let mut snapshots = Vec::new();
    for (covers, path) in &listing.snapshots {
        snapshots.push(SnapshotCheck {
            path: path.clone(),
            covers: *covers,
            problem: snapshot::read(path, *covers)?.err(),
        });
    }
    let newest_valid = snapshots
        .iter()
        .rev()
        .find(|check| check.problem.is_none())
        .map(|check| (check.path.as_path(), check.covers));

    if listing.segments.is_empty() {
        if let Some(check) = snapshots.last() {
            return Err(JournalError::damaged(
                &check.path,
                0,
                "the directory has snapshots but no segment files: the journal was removed",
            ));
        }
        return Ok(VerifyReport {
            segments: 0,
            records: 0,
            first_position: None,
            last_position: None,
            snapshots,
            torn_tail: None,
        });
    }
    let scanned = log::scan(dir, &listing.segments, 0, &mut |_, _| {})?;
    log::check_replayable(&scanned, &listing.segments[0].1, newest_valid)?;
    let any = scanned.records > 0;
    Ok(VerifyReport {
        segments: scanned.segments,
        records: scanned.records,
        first_position: any.then_some(scanned.oldest),
        last_position: any.then_some(scanned.next - 1),
        snapshots,
        torn_tail: scanned.last.torn,
    })
}
