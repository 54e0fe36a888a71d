//! What can go wrong with a journal, each case naming the file (and, for damage, the byte) an
//! operator has to look at.

use std::io;
use std::path::{Path, PathBuf};

use super::Position;

/// Why a journal operation failed.
///
/// The server tells two families apart: [`JournalError::is_storage_unavailable`] (the disk is
/// full or read-only: the data is fine, retry later) and everything else (a bug, a wrong
/// directory, or damage an operator has to look at with `verify`).
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// An I/O error that is neither a full nor a read-only disk.
    #[error("{}: cannot {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        /// What the journal was doing, such as "append to the segment".
        action: &'static str,
        #[source]
        source: io::Error,
    },
    /// The disk (or the user's quota) is full: ENOSPC or EDQUOT. Nothing is damaged; appends
    /// work again once space is freed.
    #[error("{}: no space left on the device (or quota exceeded) to {action}", path.display())]
    NoSpace {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    /// The file system is read-only or the file may not be written: EROFS or EACCES/EPERM.
    #[error("{}: read-only or not writable, cannot {action}: {source}", path.display())]
    ReadOnly {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: io::Error,
    },
    /// Another process (or another `Journal` in this one) holds `<dir>/lock`.
    #[error("{}: another acdhub uses this data directory (its lock file is held)", dir.display())]
    Locked { dir: PathBuf },
    /// A file is damaged somewhere a crash cannot explain (not a torn tail): a bad record with
    /// more data after it, a bad record in a sealed segment, a gap in positions, or records a
    /// snapshot needs that are gone. Never skipped silently: replaying around it would give a
    /// different state.
    #[error("{}: damaged at byte {offset}: {detail}", file.display())]
    Damaged {
        file: PathBuf,
        /// Where the bad record (or header) starts.
        offset: u64,
        detail: String,
    },
    /// A record larger than [`super::MAX_RECORD_BYTES`]: refused before anything is written.
    #[error("a journal record of {len} bytes is larger than the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    /// A file named like a segment or snapshot does not start with the journal's magic bytes.
    #[error("{}: not an acdhub journal file ({detail})", path.display())]
    NotAJournal { path: PathBuf, detail: String },
    /// A journal file written by a newer (or unknown) format version.
    #[error("{}: journal format version {version} is not supported (this build reads version {supported})", path.display())]
    UnsupportedVersion {
        path: PathBuf,
        version: u32,
        supported: u32,
    },
    /// A failed batch could not be cut off the segment (the truncation failed too), so the
    /// segment may end in a partial batch. Appends are refused until the truncation succeeds:
    /// each later `append_batch` retries it first, and reopening the journal cuts the tail too.
    #[error("{}: a failed append could not be cut off at byte {at}; appends are refused until that succeeds: {source}", path.display())]
    NeedsRecovery {
        path: PathBuf,
        at: u64,
        #[source]
        source: io::Error,
    },
    /// `write_snapshot` was asked to cover records that were never appended.
    #[error("a snapshot cannot cover position {covers}: the journal's last record is {last}")]
    SnapshotBeyondLog { covers: Position, last: Position },
    /// `read_from` was asked for records that compaction already removed.
    #[error("{}: records after {after} are not all on disk any more: the oldest segment starts at position {oldest}", dir.display())]
    Compacted {
        dir: PathBuf,
        after: Position,
        oldest: Position,
    },
}

impl JournalError {
    /// True when the storage, not the data, is the problem (disk full, read-only, or a failed
    /// batch not yet cut off): the journal is intact and the same call can succeed later, so
    /// the server should refuse new commands with "retry later" rather than stop the tenant.
    pub fn is_storage_unavailable(&self) -> bool {
        matches!(
            self,
            JournalError::NoSpace { .. }
                | JournalError::ReadOnly { .. }
                | JournalError::NeedsRecovery { .. }
        )
    }

    /// Wraps an I/O error, sorting out the full and read-only disks the server reports apart.
    pub(crate) fn io(path: &Path, action: &'static str, source: io::Error) -> JournalError {
        let path = path.to_path_buf();
        match source.kind() {
            io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded => JournalError::NoSpace {
                path,
                action,
                source,
            },
            io::ErrorKind::ReadOnlyFilesystem | io::ErrorKind::PermissionDenied => {
                JournalError::ReadOnly {
                    path,
                    action,
                    source,
                }
            }
            _ => JournalError::Io {
                path,
                action,
                source,
            },
        }
    }

    pub(crate) fn damaged(file: &Path, offset: u64, detail: impl Into<String>) -> JournalError {
        JournalError::Damaged {
            file: file.to_path_buf(),
            offset,
            detail: detail.into(),
        }
    }
}
