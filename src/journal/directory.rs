//! A tenant's journal directory: which of its files are segments, snapshots and leftovers, its
//! lock, and the directory fsync that makes creates, renames and removals durable.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::{Path, PathBuf};

use super::{JournalError, Position, segment, snapshot};

/// The journal files in a directory, each list sorted by position. Files with other names
/// (the lock, anything an operator put there) are left alone.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// (first position, path), oldest first.
    pub segments: Vec<(Position, PathBuf)>,
    /// (covered position, path), oldest first.
    pub snapshots: Vec<(Position, PathBuf)>,
    /// Snapshot temp files a crash left behind mid-write.
    pub temporaries: Vec<PathBuf>,
}

/// Lists the journal files in `dir`.
pub(crate) fn list(dir: &Path) -> Result<Listing, JournalError> {
    let read_error = |e| JournalError::io(dir, "list the journal directory", e);
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if let Some(first) = segment::parse_name(&name) {
            listing.segments.push((first, entry.path()));
        } else if let Some(covers) = snapshot::parse_name(&name) {
            listing.snapshots.push((covers, entry.path()));
        } else if snapshot::is_temporary(&name) {
            listing.temporaries.push(entry.path());
        }
    }
    listing.segments.sort();
    listing.snapshots.sort();
    Ok(listing)
}

/// Makes the directory's entries durable: a created, renamed or removed file is only certain
/// to survive a power loss once its directory has been synced.
pub(crate) fn sync(dir: &Path) -> Result<(), JournalError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| JournalError::io(dir, "sync the journal directory", e))
}

/// Takes the exclusive lock on `<dir>/lock`, held for as long as the returned file is open.
/// Two writers on one journal would interleave their positions; the lock makes the second
/// one fail at open instead.
pub(crate) fn lock(dir: &Path) -> Result<File, JournalError> {
    let path = dir.join("lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| JournalError::io(&path, "open the lock file", e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(JournalError::Locked {
            dir: dir.to_path_buf(),
        }),
        Err(TryLockError::Error(e)) => Err(JournalError::io(&path, "lock the journal", e)),
    }
}
