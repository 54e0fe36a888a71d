//! A snapshot file: a tenant's state as of one position, written atomically and checked whole
//! on reading.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::{JournalError, Position, Snapshot, directory};

/// The first bytes of every snapshot, so a stray file is recognized.
const MAGIC: &[u8; 8] = b"ACDHSNAP";
/// The snapshot format this build writes and reads.
const VERSION: u32 = 1;
/// magic (8) + version (4) + covers (8) + state length (8) + CRC-32 (4).
const HEADER_LEN: usize = 32;

/// `snapshot-<covers, 20 digits>.snap`: zero-padded so names sort like positions.
pub(crate) fn file_name(covers: Position) -> String {
    format!("snapshot-{covers:020}.snap")
}

/// The position a snapshot's name says it covers, or `None` if the name is not a snapshot's.
pub(crate) fn parse_name(name: &str) -> Option<Position> {
    let digits = name.strip_prefix("snapshot-")?.strip_suffix(".snap")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A temp file `write` makes before its rename; one still there was cut short by a crash.
pub(crate) fn is_temporary(name: &str) -> bool {
    name.strip_suffix(".tmp").and_then(parse_name).is_some()
}

/// The checksum covers the position and the length too, so a snapshot copied under another
/// name, or cut short, fails it.
fn checksum(covers: Position, state: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&covers.to_le_bytes());
    hasher.update(&(state.len() as u64).to_le_bytes());
    hasher.update(state);
    hasher.finalize()
}

/// Writes the snapshot so that, after any crash, the final name holds either nothing or the
/// whole snapshot: temp file, fsync, rename, fsync the directory. Returns the final path.
pub(crate) fn write(dir: &Path, covers: Position, state: &[u8]) -> Result<PathBuf, JournalError> {
    let path = dir.join(file_name(covers));
    let temporary = dir.join(format!("{}.tmp", file_name(covers)));
    let written = (|| {
        let mut file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&temporary)?;
        let mut header = Vec::with_capacity(HEADER_LEN);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_le_bytes());
        header.extend_from_slice(&covers.to_le_bytes());
        header.extend_from_slice(&(state.len() as u64).to_le_bytes());
        header.extend_from_slice(&checksum(covers, state).to_le_bytes());
        file.write_all(&header)?;
        file.write_all(state)?;
        file.sync_all()
    })();
    if let Err(e) = written {
        // Best effort: a leftover temp file is removed on the next open anyway.
        let _ = std::fs::remove_file(&temporary);
        return Err(JournalError::io(&temporary, "write the snapshot", e));
    }
    if let Err(e) = std::fs::rename(&temporary, &path) {
        let _ = std::fs::remove_file(&temporary);
        return Err(JournalError::io(&path, "rename the snapshot into place", e));
    }
    directory::sync(dir)?;
    Ok(path)
}

/// Reads and checks a snapshot. `Ok(Err(why))` means the file is there but not a valid
/// snapshot (cut short, failing its checksum, a stranger's file): the caller skips it with a
/// warning. `Err` is an I/O error reading it.
pub(crate) fn read(
    path: &Path,
    covers: Position,
) -> Result<Result<Snapshot, String>, JournalError> {
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| JournalError::io(path, "read the snapshot", e))?;
    Ok(decode(&bytes, covers))
}

fn decode(bytes: &[u8], covers: Position) -> Result<Snapshot, String> {
    if bytes.len() < HEADER_LEN {
        return Err(format!("{} bytes, shorter than its header", bytes.len()));
    }
    let (header, state) = bytes.split_at(HEADER_LEN);
    if header[..8] != MAGIC[..] {
        return Err("its first bytes are not a snapshot's magic".into());
    }
    let number = |range: std::ops::Range<usize>| {
        let mut le = [0u8; 8];
        le[..range.len()].copy_from_slice(&header[range]);
        u64::from_le_bytes(le)
    };
    let version = number(8..12);
    if version != u64::from(VERSION) {
        return Err(format!(
            "format version {version}, this build reads {VERSION}"
        ));
    }
    let stated_covers = number(12..20);
    if stated_covers != covers {
        return Err(format!(
            "it says it covers position {stated_covers}, its name says {covers}"
        ));
    }
    let len = number(20..28);
    if len != state.len() as u64 {
        return Err(format!(
            "it says its state is {len} bytes, the file holds {}",
            state.len()
        ));
    }
    if number(28..32) != u64::from(checksum(covers, state)) {
        return Err("it fails its checksum".into());
    }
    Ok(Snapshot {
        covers,
        state: state.to_vec(),
    })
}
