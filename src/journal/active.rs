//! The active segment: the one open file appends go to, which cuts a failed batch back off so
//! the log stays whole.

use std::fs::{File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::segment::{self, HEADER_LEN};
use super::{JournalError, Position, directory};

/// The newest segment, open for appending.
#[derive(Debug)]
pub(crate) struct ActiveSegment {
    path: PathBuf,
    file: File,
    first: Position,
    /// Bytes of header and whole records: where the next batch starts, and where a failed
    /// batch is cut back to.
    len: u64,
    /// A failed batch could not be cut off: the file may be longer than `len`, and nothing
    /// more may be written until a cut succeeds.
    cut_pending: bool,
    /// Failures to inject, so tests can drive the cut-back paths a full disk takes.
    #[cfg(test)]
    pub(crate) faults: Faults,
}

/// Failures the tests inject into the active segment's writes.
#[cfg(test)]
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Write this many bytes of the next batches, then fail as a full disk does.
    pub write_fails_after: Option<usize>,
    /// Cutting a failed batch off fails too.
    pub cut_fails: bool,
}

impl ActiveSegment {
    /// Creates (or recreates, if a crash cut its header short) the segment whose first record
    /// will be `first`, with its header synced and its directory entry durable.
    pub(crate) fn create(dir: &Path, first: Position) -> Result<ActiveSegment, JournalError> {
        let path = dir.join(segment::file_name(first));
        let created = (|| {
            let mut file = OpenOptions::new()
                .create(true)
                .truncate(true)
                .read(true)
                .write(true)
                .open(&path)?;
            file.write_all(&segment::header(first))?;
            file.sync_data()?;
            Ok(file)
        })();
        let file = match created {
            Ok(file) => file,
            Err(e) => {
                // Best effort: a segment with a partial header is recreated on the next open.
                let _ = std::fs::remove_file(&path);
                return Err(JournalError::io(&path, "create a segment", e));
            }
        };
        directory::sync(dir)?;
        Ok(ActiveSegment {
            path,
            file,
            first,
            len: HEADER_LEN,
            cut_pending: false,
            #[cfg(test)]
            faults: Faults::default(),
        })
    }

    /// Opens the existing newest segment, cutting off whatever follows its whole records
    /// (a torn tail the scan found at `whole_len`).
    pub(crate) fn open(
        path: &Path,
        first: Position,
        whole_len: u64,
    ) -> Result<ActiveSegment, JournalError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| JournalError::io(path, "open the segment for appending", e))?;
        let on_disk = file
            .metadata()
            .map_err(|e| JournalError::io(path, "read the segment's size", e))?
            .len();
        if on_disk != whole_len {
            file.set_len(whole_len)
                .and_then(|()| file.sync_data())
                .map_err(|e| JournalError::io(path, "cut off the torn tail", e))?;
        }
        Ok(ActiveSegment {
            path: path.to_path_buf(),
            file,
            first,
            len: whole_len,
            cut_pending: false,
            #[cfg(test)]
            faults: Faults::default(),
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn first(&self) -> Position {
        self.first
    }

    /// Bytes of header and whole records.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Whether the segment holds at least one record (an empty one is never rolled over).
    pub(crate) fn has_records(&self) -> bool {
        self.len > HEADER_LEN
    }

    /// Writes one batch of frames and, if `sync`, one fdatasync for all of them. On failure the
    /// file is cut back to where the batch started, so the segment ends in whole records and a
    /// later call can append again; if even that cut fails, appends are refused
    /// ([`JournalError::NeedsRecovery`]) until [`ActiveSegment::ensure_whole`] manages it.
    ///
    /// The error returned is the write's (or the sync's), such as `NoSpace`.
    pub(crate) fn append(&mut self, frames: &[u8], sync: bool) -> Result<(), JournalError> {
        self.ensure_whole()?;
        let start = self.len;
        let written = self
            .write_at(start, frames)
            .map_err(|e| JournalError::io(&self.path, "append to the segment", e))
            .and_then(|()| if sync { self.sync() } else { Ok(()) });
        match written {
            Ok(()) => {
                self.len = start + frames.len() as u64;
                Ok(())
            }
            Err(error) => {
                // After a failed fdatasync the kernel may have dropped the dirty pages, so
                // the batch is cut off whether the write or the sync failed.
                if self.cut(start).is_err() {
                    self.cut_pending = true;
                }
                Err(error)
            }
        }
    }

    /// Cuts off a failed batch that could not be cut off before; until that succeeds, refuses
    /// with [`JournalError::NeedsRecovery`].
    pub(crate) fn ensure_whole(&mut self) -> Result<(), JournalError> {
        if !self.cut_pending {
            return Ok(());
        }
        self.cut(self.len)
            .map_err(|source| JournalError::NeedsRecovery {
                path: self.path.clone(),
                at: self.len,
                source,
            })?;
        self.cut_pending = false;
        Ok(())
    }

    /// fdatasync: everything appended so far survives a power loss.
    pub(crate) fn sync(&mut self) -> Result<(), JournalError> {
        self.file
            .sync_data()
            .map_err(|e| JournalError::io(&self.path, "sync the segment", e))
    }

    fn write_at(&mut self, offset: u64, bytes: &[u8]) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(offset))?;
        #[cfg(test)]
        if let Some(limit) = self.faults.write_fails_after {
            self.file.write_all(&bytes[..limit.min(bytes.len())])?;
            return Err(io::Error::from(io::ErrorKind::StorageFull));
        }
        self.file.write_all(bytes)
    }

    fn cut(&mut self, len: u64) -> io::Result<()> {
        #[cfg(test)]
        if self.faults.cut_fails {
            return Err(io::Error::other("injected: the cut fails"));
        }
        self.file.set_len(len)
    }
}
