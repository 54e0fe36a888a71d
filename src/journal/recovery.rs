//! Recovery at open: the newest valid snapshot, every record after it, the torn tail cut off,
//! and the newest segment opened for appending.

use std::path::{Path, PathBuf};

use super::active::ActiveSegment;
use super::{JournalError, Position, Recovered, directory, log, snapshot};

/// Everything `Journal::open` needs to go on from where the last process stopped.
#[derive(Debug)]
pub(crate) struct Recovery {
    pub recovered: Recovered,
    pub active: ActiveSegment,
    /// Segments before the active one, oldest first: (first position, path).
    pub sealed: Vec<(Position, PathBuf)>,
    pub next: Position,
    /// Snapshots not found invalid, oldest first: (covers, path).
    pub snapshots: Vec<(Position, PathBuf)>,
    /// Snapshots found invalid, left for compaction to remove.
    pub invalid_snapshots: Vec<PathBuf>,
}

/// Recovers the journal in `dir` (which exists and is locked). Every check runs before
/// anything is changed on disk, so a `Damaged` journal is left exactly as it was found.
pub(crate) fn recover(dir: &Path) -> Result<Recovery, JournalError> {
    let listing = directory::list(dir)?;
    let mut warnings = Vec::new();

    // The newest valid snapshot; older ones are not read (they may be large) and are assumed
    // good until a fallback needs them.
    let mut chosen = None;
    let mut invalid_snapshots = Vec::new();
    for (covers, path) in listing.snapshots.iter().rev() {
        match snapshot::read(path, *covers)? {
            Ok(found) => {
                chosen = Some((path.clone(), found));
                break;
            }
            Err(why) => {
                warnings.push(format!(
                    "invalid snapshot skipped: {}: {why}",
                    path.display()
                ));
                invalid_snapshots.push(path.clone());
            }
        }
    }
    let snapshots = listing
        .snapshots
        .iter()
        .filter(|(_, path)| !invalid_snapshots.contains(path))
        .cloned()
        .collect();
    let covers = chosen.as_ref().map_or(0, |(_, found)| found.covers);

    let Some(((last_first, last_path), sealed)) = listing.segments.split_last() else {
        if let Some((_, path)) = listing.snapshots.last() {
            return Err(JournalError::damaged(
                path,
                0,
                "the directory has snapshots but no segment files: the journal was removed",
            ));
        }
        remove_temporaries(dir, &listing.temporaries, &mut warnings)?;
        return Ok(Recovery {
            recovered: Recovered {
                snapshot: None,
                tail: Vec::new(),
                warnings,
            },
            active: ActiveSegment::create(dir, 1)?,
            sealed: Vec::new(),
            next: 1,
            snapshots,
            invalid_snapshots,
        });
    };

    let mut tail = Vec::new();
    let scanned = log::scan(dir, &listing.segments, 0, &mut |position, record| {
        if position > covers {
            tail.push((position, record.to_vec()));
        }
    })?;
    log::check_replayable(
        &scanned,
        &listing.segments[0].1,
        chosen
            .as_ref()
            .map(|(path, found)| (path.as_path(), found.covers)),
    )?;

    // The checks passed: now repair what a crash leaves behind.
    remove_temporaries(dir, &listing.temporaries, &mut warnings)?;
    if let Some(torn) = &scanned.last.torn {
        warnings.push(torn.to_string());
    }
    let active = if scanned.last.header_torn {
        ActiveSegment::create(dir, *last_first)?
    } else {
        ActiveSegment::open(last_path, *last_first, scanned.last.valid_end)?
    };
    Ok(Recovery {
        recovered: Recovered {
            snapshot: chosen.map(|(_, found)| found),
            tail,
            warnings,
        },
        active,
        sealed: sealed.to_vec(),
        next: scanned.next,
        snapshots,
        invalid_snapshots,
    })
}

/// Removes snapshot temp files a crash left mid-write: the snapshot they were to become was
/// never renamed into place, so nothing refers to them.
fn remove_temporaries(
    dir: &Path,
    temporaries: &[PathBuf],
    warnings: &mut Vec<String>,
) -> Result<(), JournalError> {
    for path in temporaries {
        std::fs::remove_file(path)
            .map_err(|e| JournalError::io(path, "remove a leftover snapshot temp file", e))?;
        warnings.push(format!(
            "removed a snapshot temp file a crash left mid-write: {}",
            path.display()
        ));
    }
    if !temporaries.is_empty() {
        directory::sync(dir)?;
    }
    Ok(())
}
