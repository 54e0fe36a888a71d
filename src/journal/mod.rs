//! The durable journal: each tenant's commands on local disk before their effects leave the
//! server (write-ahead), periodic snapshots, and recovery as the newest valid snapshot plus the
//! records after it. This module is only the storage: records and snapshots are opaque bytes.
//!
//! # On disk
//!
//! One directory per tenant (the caller chooses it):
//!
//! - `lock`: held with an exclusive `flock` while a [`Journal`] is open, so a second server
//!   on the same directory fails at open ([`JournalError::Locked`]).
//! - `<first position, 20 digits>.log`: a segment. A 24-byte header (magic `ACDHJLOG`, format
//!   version `u32` LE, the first position `u64` LE, a CRC-32 of those 20 bytes), then one frame
//!   per record: `len: u32 LE`, `crc: u32 LE`, `len` payload bytes. The CRC-32 (IEEE, the
//!   `crc32fast` crate) covers the record's position (`u64` LE), its `len` and its payload. The
//!   position is not stored: it is the segment's first position plus the record's index, so a
//!   record read at a position other than the one it was written at fails its checksum. A new
//!   segment starts once the active one reaches [`JournalOptions::segment_bytes`].
//! - `snapshot-<covers, 20 digits>.snap`: a 32-byte header (magic `ACDHSNAP`, version, the
//!   position covered, the state's length, a CRC-32 of position, length and state), then the
//!   state. Written as `….snap.tmp`, fsynced, renamed, and the directory fsynced; a `.tmp` found
//!   at open was cut short by a crash and is removed.
//!
//! Positions start at 1 and are never reused: they run on across segments, restarts and
//! compaction.
//!
//! # Durability
//!
//! With [`Fsync::Always`] every [`Journal::append_batch`] ends with one fdatasync for the whole
//! batch (group commit), so a batch the call returned `Ok` for survives a power loss. With
//! [`Fsync::Never`] it survives a crash of the process, not of the machine. Either way the old
//! segment is synced before a new one is created, and the active segment is synced before a
//! snapshot is written, so a sealed segment is always whole and a snapshot never covers a
//! record that is not durable. A batch that fails (a full disk) is cut back off the segment
//! before `append_batch` returns, so the log ends in whole records and the next append works
//! once space is freed.
//!
//! # The torn-tail rule
//!
//! A crash mid-append can leave the newest segment ending in part of a batch. At open, the
//! first bad frame of the newest segment starts a *torn tail*, cut off with a warning naming the
//! file and byte offset, if it could be what such a crash leaves: its length is within the
//! record limit and it either runs past the end of the file, or is followed by nothing but zero
//! bytes (which covers a checksum failure on a frame reaching exactly the end, and the zeros a
//! file system leaves when it grew the file but had not written the data when power went).
//! A header cut short (or all zeros) in the newest segment means a crash while it was created:
//! it is written again. Everything else is [`JournalError::Damaged`], never skipped: a bad
//! frame with non-zero data after it, any bad frame in an older segment, a gap between
//! segments, records a snapshot needs that are gone. The limits of the rule, both decided on
//! purpose: a length corrupted so that its frame seems to run past the end of the newest
//! segment looks exactly like a torn write, so it is cut off (with the warning) and the records
//! after it are lost; and a power loss that leaves non-zero garbage in an unsynced batch with
//! more of the batch after it is reported as `Damaged` rather than guessed at. `verify` names
//! the byte; truncating the file there is the manual repair.
//!
//! # Why a segment log and not an embedded database
//!
//! A journal needs three operations: append in order, sync in groups, and replay from a
//! position. It needs no index, no random reads, no updates and no transactions beyond "this
//! batch is whole". An append-only segment log does exactly that with sequential writes and
//! one fdatasync per batch, in about 1,500 lines with their documentation (and 700 of tests),
//! and its format fits in the paragraphs above, so an operator can reason about a damaged
//! file. An embedded store (redb, fjall, SQLite) would bring its own write-ahead log
//! underneath ours, its own compaction and its own recovery rules, and we would still need our
//! own framing to replay in order. The same shape (segments named by their first offset, a
//! checksum per record, truncation of a torn tail) is Kafka's and most databases' WAL.

mod active;
mod directory;
mod error;
mod log;
mod recovery;
mod segment;
mod snapshot;
mod verify;

#[cfg(test)]
mod tests;

use std::fs::File;
use std::path::{Path, PathBuf};

use active::ActiveSegment;
pub use error::JournalError;
pub use segment::TornTail;
pub use verify::{SnapshotCheck, VerifyReport, verify};

/// A record's sequence number in a tenant's journal: the first record ever appended is 1,
/// and numbers continue across segments and restarts, so a snapshot can say which records it
/// includes.
pub type Position = u64;

/// The largest record `append_batch` accepts. A command is a few hundred bytes; a bigger
/// record is a bug, and the limit lets recovery tell a corrupted length from a real one.
pub const MAX_RECORD_BYTES: usize = 16 * 1024 * 1024;

/// How many snapshots compaction keeps: the newest, and one to fall back on if the newest
/// turns out to be damaged.
const KEEP_SNAPSHOTS: usize = 2;

/// When an append is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fsync {
    /// Every `append_batch` ends with one fdatasync: the batch survives a power loss.
    Always,
    /// Written to the OS only: survives a crash of the process, not a power loss. For tests,
    /// demos, and machines whose storage is itself replicated.
    Never,
}

/// How a journal writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalOptions {
    pub fsync: Fsync,
    /// Start a new segment once the active one reaches this many bytes. Smaller segments let
    /// compaction free space sooner; each one costs a file and a directory sync.
    pub segment_bytes: u64,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            fsync: Fsync::Always,
            segment_bytes: 64 * 1024 * 1024,
        }
    }
}

/// What `open` found: the state to start from and the commands to replay on top of it.
#[derive(Debug)]
pub struct Recovered {
    /// The newest valid snapshot, if any.
    pub snapshot: Option<Snapshot>,
    /// Every record after the snapshot's position (after 0 without one), in order.
    pub tail: Vec<(Position, Vec<u8>)>,
    /// What recovery repaired or skipped, each naming a file: a torn tail cut off, an invalid
    /// snapshot skipped, a leftover temp file removed. For the server's log.
    pub warnings: Vec<String>,
}

/// A tenant's state as of a position, so recovery need not replay from the first record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The last record the state includes.
    pub covers: Position,
    pub state: Vec<u8>,
}

/// A tenant's journal, open for appending. Holds the directory's lock until dropped.
#[derive(Debug)]
pub struct Journal {
    dir: PathBuf,
    options: JournalOptions,
    active: ActiveSegment,
    /// Segments before the active one, oldest first: (first position, path).
    sealed: Vec<(Position, PathBuf)>,
    next: Position,
    /// Snapshots not known to be invalid, oldest first: (covers, path).
    snapshots: Vec<(Position, PathBuf)>,
    /// Snapshots recovery found invalid (and warned about), removed by the next compaction.
    invalid_snapshots: Vec<PathBuf>,
    /// The frames of the batch being appended, kept to reuse the allocation.
    frames: Vec<u8>,
    /// Declared last so the lock is released after the segment is closed.
    _lock: File,
}

impl Journal {
    /// Opens the journal in `dir` (creating the directory if needed), takes its lock, and
    /// recovers: the newest valid snapshot and every record after it, with a torn tail cut off.
    pub fn open(dir: &Path, options: JournalOptions) -> Result<(Journal, Recovered), JournalError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| JournalError::io(dir, "create the journal directory", e))?;
        let lock = directory::lock(dir)?;
        let recovery = recovery::recover(dir)?;
        let journal = Journal {
            dir: dir.to_path_buf(),
            options,
            active: recovery.active,
            sealed: recovery.sealed,
            next: recovery.next,
            snapshots: recovery.snapshots,
            invalid_snapshots: recovery.invalid_snapshots,
            frames: Vec::new(),
            _lock: lock,
        };
        Ok((journal, recovery.recovered))
    }

    /// Appends `records` as one group: writes them all, then (with [`Fsync::Always`]) one
    /// fdatasync. Returns the position of the last one (of the last record before, for an
    /// empty batch).
    ///
    /// On any error the segment is cut back to where the batch started, so the log stays whole
    /// and a later call can append; the batch is then not durable and the caller must not apply
    /// it. If the cut fails too, appends return [`JournalError::NeedsRecovery`] until a later
    /// call manages the cut (each one tries). Like any write-ahead log, a batch that failed
    /// after it was fully written may still be found after a crash before the cut, as may a
    /// batch whose sync succeeded just before the process died without replying.
    pub fn append_batch(&mut self, records: &[Vec<u8>]) -> Result<Position, JournalError> {
        if let Some(record) = records.iter().find(|r| r.len() > MAX_RECORD_BYTES) {
            return Err(JournalError::TooLarge {
                len: record.len(),
                max: MAX_RECORD_BYTES,
            });
        }
        if records.is_empty() {
            return Ok(self.next - 1);
        }
        self.active.ensure_whole()?;
        self.roll_if_full()?;
        self.frames.clear();
        for (position, record) in (self.next..).zip(records) {
            segment::encode_frame(position, record, &mut self.frames);
        }
        self.active
            .append(&self.frames, self.options.fsync == Fsync::Always)?;
        self.next += records.len() as u64;
        Ok(self.next - 1)
    }

    /// The position the next record will get.
    pub fn next_position(&self) -> Position {
        self.next
    }

    /// Writes a snapshot of the state after record `covers`, atomically (temp file, fsync,
    /// rename, fsync the directory), after syncing the segment so the records it covers are
    /// durable. Then compacts: keeps the newest two snapshots and removes the segments whose
    /// records the older of them covers, so either can still be replayed from.
    ///
    /// An error from the compaction leaves the snapshot written; the next call tries again.
    pub fn write_snapshot(&mut self, covers: Position, state: &[u8]) -> Result<(), JournalError> {
        if covers >= self.next {
            return Err(JournalError::SnapshotBeyondLog {
                covers,
                last: self.next - 1,
            });
        }
        self.active.ensure_whole()?;
        self.active.sync()?;
        let path = snapshot::write(&self.dir, covers, state)?;
        // The rename may have replaced a snapshot recovery found invalid: that name is good now.
        self.invalid_snapshots.retain(|invalid| *invalid != path);
        self.snapshots.retain(|(kept, _)| *kept != covers);
        self.snapshots.push((covers, path));
        self.snapshots.sort();
        // The snapshot is written; old files that could not be removed are tried again at the
        // next snapshot, and cost only disk space meanwhile.
        if let Err(error) = self.compact() {
            tracing::warn!(dir = %self.dir.display(), "old journal files not removed (tried again at the next snapshot): {error}");
        }
        Ok(())
    }

    /// Every record after `after`, in order, read from disk without taking the lock (for
    /// tools: export, verify, replaying a day). A torn tail at the end is left out: it is
    /// either a batch being written right now or one the next open cuts off. Records that
    /// compaction removed are [`JournalError::Compacted`], not silently missing.
    pub fn read_from(
        dir: &Path,
        after: Position,
    ) -> Result<Vec<(Position, Vec<u8>)>, JournalError> {
        let listing = directory::list(dir)?;
        let Some((oldest, _)) = listing.segments.first() else {
            return Ok(Vec::new());
        };
        if after.saturating_add(1) < *oldest {
            return Err(JournalError::Compacted {
                dir: dir.to_path_buf(),
                after,
                oldest: *oldest,
            });
        }
        let mut records = Vec::new();
        log::scan(dir, &listing.segments, after, &mut |position, record| {
            if position > after {
                records.push((position, record.to_vec()));
            }
        })?;
        Ok(records)
    }

    /// Starts a new segment once the active one is full, syncing the old one first so a
    /// sealed segment is always whole on disk.
    fn roll_if_full(&mut self) -> Result<(), JournalError> {
        if self.active.len() < self.options.segment_bytes || !self.active.has_records() {
            return Ok(());
        }
        self.active.sync()?;
        let newer = ActiveSegment::create(&self.dir, self.next)?;
        let sealed = std::mem::replace(&mut self.active, newer);
        self.sealed
            .push((sealed.first(), sealed.path().to_path_buf()));
        Ok(())
    }

    /// Removes the snapshots compaction does not keep (and those found invalid), then every
    /// sealed segment whose records the oldest kept snapshot covers. The active segment is
    /// never removed. Lists shrink only as files are really gone, so a failure is retried.
    fn compact(&mut self) -> Result<(), JournalError> {
        let surplus = self.snapshots.len().saturating_sub(KEEP_SNAPSHOTS);
        let dropped: Vec<PathBuf> = self.snapshots[..surplus]
            .iter()
            .map(|(_, path)| path.clone())
            .chain(self.invalid_snapshots.iter().cloned())
            .collect();
        for path in &dropped {
            remove(path, "remove an old snapshot")?;
            self.snapshots.retain(|(_, kept)| kept != path);
            self.invalid_snapshots.retain(|kept| kept != path);
        }
        let Some(&(oldest_kept, _)) = self.snapshots.first() else {
            return directory::sync(&self.dir);
        };
        // A sealed segment is covered when the segment after it starts at or before the
        // position after the oldest kept snapshot.
        while let Some((_, path)) = self.sealed.first() {
            let after_it = self.sealed.get(1).map_or(self.active.first(), |(f, _)| *f);
            if after_it > oldest_kept + 1 {
                break;
            }
            remove(path, "remove a compacted segment")?;
            self.sealed.remove(0);
        }
        directory::sync(&self.dir)
    }
}

/// Removes a file; one already gone counts as removed.
fn remove(path: &Path, action: &'static str) -> Result<(), JournalError> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(JournalError::io(path, action, e))
        }
        _ => Ok(()),
    }
}
