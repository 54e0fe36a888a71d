//! The chain of segments: positions run on from one segment to the next without a gap, and a
//! snapshot is only usable if the chain still holds every record after it.

use std::path::{Path, PathBuf};

use super::segment::{self, Ending, SegmentScan};
use super::{JournalError, Position};

/// What a scan of the whole chain found.
#[derive(Debug)]
pub(crate) struct LogScan {
    /// The first position of the oldest segment on disk (compaction removes older ones).
    pub oldest: Position,
    /// The position the next record gets.
    pub next: Position,
    /// Segments read (skipped ones not counted).
    pub segments: usize,
    /// Whole records in the segments read.
    pub records: u64,
    /// The newest segment's scan: where appends continue, and its torn tail if any.
    pub last: SegmentScan,
}

/// Scans `segments` (oldest first, not empty) in order, checking that each starts where the
/// one before it ended, and calls `on_record` with every whole record. Segments whose records
/// are all at or before `skip_through` are not read at all (for `read_from`); pass 0 to read
/// everything.
pub(crate) fn scan(
    dir: &Path,
    segments: &[(Position, PathBuf)],
    skip_through: Position,
    on_record: &mut dyn FnMut(Position, &[u8]),
) -> Result<LogScan, JournalError> {
    let oldest = segments.first().map_or(1, |(first, _)| *first);
    let mut expected: Option<Position> = None;
    let mut scanned = 0;
    let mut records = 0;
    for (index, (first, path)) in segments.iter().enumerate() {
        let newer = segments.get(index + 1);
        if let Some((next_first, _)) = newer
            && *next_first <= skip_through.saturating_add(1)
        {
            continue;
        }
        if let Some(expected) = expected
            && *first != expected
        {
            return Err(JournalError::damaged(
                path,
                0,
                format!(
                    "this segment starts at position {first} but the one before it ends at {}: {}",
                    expected - 1,
                    if *first > expected {
                        "records are missing"
                    } else {
                        "segments overlap"
                    }
                ),
            ));
        }
        let ending = if newer.is_some() {
            Ending::Sealed
        } else {
            Ending::Last
        };
        let found = segment::scan(path, *first, ending, on_record)?;
        scanned += 1;
        records += found.records;
        expected = Some(first + found.records);
        if newer.is_none() {
            return Ok(LogScan {
                oldest,
                next: first + found.records,
                segments: scanned,
                records,
                last: found,
            });
        }
    }
    Err(JournalError::damaged(
        dir,
        0,
        "the directory holds no segment files",
    ))
}

/// Checks that replay can start from the snapshot covering `covers` (0: no snapshot, replay
/// from the first record): the chain must hold every record after it, and must not end before
/// it (a snapshot is written only after the records it covers are synced).
pub(crate) fn check_replayable(
    log: &LogScan,
    oldest_segment: &Path,
    snapshot: Option<(&Path, Position)>,
) -> Result<(), JournalError> {
    let covers = snapshot.map_or(0, |(_, covers)| covers);
    if log.oldest > covers + 1 {
        let from = match snapshot {
            Some((path, covers)) => format!(
                "replay from snapshot {} (covering {covers})",
                path.display()
            ),
            None => "replay with no valid snapshot".to_owned(),
        };
        return Err(JournalError::damaged(
            oldest_segment,
            0,
            format!(
                "{from} needs the records from position {} on, but the oldest segment starts at {}: segments are missing",
                covers + 1,
                log.oldest
            ),
        ));
    }
    if let Some((path, covers)) = snapshot
        && covers >= log.next
    {
        return Err(JournalError::damaged(
            path,
            0,
            format!(
                "the snapshot covers position {covers} but the journal ends at {}: records it includes were lost",
                log.next - 1
            ),
        ));
    }
    Ok(())
}
