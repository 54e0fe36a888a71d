//! A segment file: its name, its header, the frame around each record, and the scan that reads
//! it back and decides where a torn tail starts.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};

use super::{JournalError, MAX_RECORD_BYTES, Position};

/// The first bytes of every segment, so a stray file is refused with a clear error.
const MAGIC: &[u8; 8] = b"ACDHJLOG";
/// The segment format this build writes and reads.
pub(crate) const VERSION: u32 = 1;
/// magic (8) + version (4) + first position (8) + CRC-32 of those 20 bytes (4).
pub(crate) const HEADER_LEN: u64 = 24;
/// len (4) + CRC-32 (4) before each payload.
pub(crate) const FRAME_HEADER_LEN: u64 = 8;

/// `<first position, 20 digits>.log`: zero-padded so names sort like positions.
pub(crate) fn file_name(first: Position) -> String {
    format!("{first:020}.log")
}

/// The first position a segment's name announces, or `None` if the name is not a segment's.
pub(crate) fn parse_name(name: &str) -> Option<Position> {
    let digits = name.strip_suffix(".log")?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// The header of the segment whose first record is `first`.
pub(crate) fn header(first: Position) -> [u8; HEADER_LEN as usize] {
    let mut header = [0u8; HEADER_LEN as usize];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&VERSION.to_le_bytes());
    header[12..20].copy_from_slice(&first.to_le_bytes());
    let crc = crc32fast::hash(&header[..20]);
    header[20..].copy_from_slice(&crc.to_le_bytes());
    header
}

/// The checksum of one record. It covers the position and the length as well as the payload,
/// so a record that turns up at the wrong place (a stale file, a mis-named segment, a
/// corrupted length that happens to frame other bytes) fails it too. The position is never
/// stored: the reader knows it from the segment's first position and the count so far.
fn checksum(position: Position, payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&position.to_le_bytes());
    hasher.update(&(payload.len() as u32).to_le_bytes());
    hasher.update(payload);
    hasher.finalize()
}

/// Appends the frame of the record at `position` to `out`. The caller has checked the size.
pub(crate) fn encode_frame(position: Position, payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(&checksum(position, payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// Whether a segment may end in a torn tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ending {
    /// A segment with a newer one after it. It was synced before the newer one was created,
    /// so any bad byte in it is damage.
    Sealed,
    /// The newest segment, the one appends go to: a crash may have left a partial last batch.
    Last,
}

/// Where the last segment stops being whole: the part from here to the end of the file is a
/// record cut short by a crash (or zeros), cut off on open and reported as a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    pub file: PathBuf,
    /// Byte offset of the first incomplete record (0 if even the header is incomplete).
    pub offset: u64,
    /// Bytes from `offset` to the end of the file: what gets cut off.
    pub bytes: u64,
    /// What is wrong with it, for the warning.
    pub detail: String,
}

impl std::fmt::Display for TornTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "torn record cut off: {} at byte {} ({} bytes: {}; power loss mid-write?)",
            self.file.display(),
            self.offset,
            self.bytes,
            self.detail
        )
    }
}

/// What a scan found in one segment.
#[derive(Debug)]
pub(crate) struct SegmentScan {
    /// Whole records in the segment.
    pub records: u64,
    /// Bytes of header and whole records: where the next record goes.
    pub valid_end: u64,
    /// The torn tail after `valid_end`, if any (only ever in the last segment).
    pub torn: Option<TornTail>,
    /// The header itself is incomplete (a crash while the segment was being created): the
    /// file holds no records and needs its header written again.
    pub header_torn: bool,
}

/// Reads a segment from start to end, checking every checksum and calling `on_record` with
/// each whole record in order.
///
/// The torn-tail rule: in the `Last` segment, the first bad frame starts a torn tail if it could
/// be what a crash leaves of a batch being written, namely its length is at most the record
/// limit and either it runs past the end of the file, or nothing but zero bytes follow the end
/// it claims (that includes a checksum failure on a frame reaching exactly the end, and a tail
/// of zeros from a file system that grew the file before writing its data). Anything else is
/// [`JournalError::Damaged`]: a bad frame with data after it, any bad frame in a `Sealed`
/// segment, a length over the limit.
pub(crate) fn scan(
    path: &Path,
    first: Position,
    ending: Ending,
    on_record: &mut dyn FnMut(Position, &[u8]),
) -> Result<SegmentScan, JournalError> {
    let read_error = |e| JournalError::io(path, "read the segment", e);
    let file = File::open(path).map_err(|e| JournalError::io(path, "open the segment", e))?;
    let file_len = file.metadata().map_err(read_error)?.len();
    let mut reader = BufReader::with_capacity(256 * 1024, file);
    let torn = |offset: u64, detail: String| TornTail {
        file: path.to_path_buf(),
        offset,
        bytes: file_len - offset,
        detail,
    };

    let mut head = vec![0u8; file_len.min(HEADER_LEN) as usize];
    reader.read_exact(&mut head).map_err(read_error)?;
    let expected = header(first);
    if head.len() < HEADER_LEN as usize || head[..8] != MAGIC[..] {
        if ending == Ending::Last {
            // A crash while the segment was being created leaves a prefix of its header, or
            // zeros where the file system grew the file but never wrote it.
            let prefix = head.len() < HEADER_LEN as usize && expected.starts_with(&head);
            let zeros = head.iter().all(|&b| b == 0)
                && rest_is_zero(&mut reader, head.len() as u64, file_len).map_err(read_error)?;
            if prefix || zeros {
                return Ok(SegmentScan {
                    records: 0,
                    valid_end: 0,
                    torn: Some(torn(
                        0,
                        format!("the header is incomplete ({file_len} bytes)"),
                    )),
                    header_torn: true,
                });
            }
        }
        if head.len() < HEADER_LEN as usize {
            return Err(JournalError::damaged(
                path,
                0,
                "the segment header is cut short",
            ));
        }
        return Err(JournalError::NotAJournal {
            path: path.to_path_buf(),
            detail: "its first bytes are not a journal segment's magic".into(),
        });
    }
    let version = u32::from_le_bytes([head[8], head[9], head[10], head[11]]);
    if version != VERSION {
        return Err(JournalError::UnsupportedVersion {
            path: path.to_path_buf(),
            version,
            supported: VERSION,
        });
    }
    if crc32fast::hash(&head[..20]).to_le_bytes() != head[20..] {
        return Err(JournalError::damaged(
            path,
            0,
            "the segment header fails its checksum",
        ));
    }
    if head[12..20] != expected[12..20] {
        let stated = u64::from_le_bytes(head[12..20].try_into().unwrap_or_default());
        return Err(JournalError::damaged(
            path,
            0,
            format!("the header says the first position is {stated}, the file name says {first}"),
        ));
    }

    let mut offset = HEADER_LEN;
    let mut position = first;
    let mut payload = Vec::new();
    loop {
        let whole = |position: Position| SegmentScan {
            records: position - first,
            valid_end: offset,
            torn: None,
            header_torn: false,
        };
        if offset == file_len {
            return Ok(whole(position));
        }
        let remaining = file_len - offset;
        if remaining < FRAME_HEADER_LEN {
            let detail = format!("{remaining} bytes, less than a record's frame header");
            return match ending {
                Ending::Last => Ok(SegmentScan {
                    torn: Some(torn(offset, detail)),
                    ..whole(position)
                }),
                Ending::Sealed => Err(sealed_damage(path, offset, position, &detail)),
            };
        }
        let mut frame = [0u8; FRAME_HEADER_LEN as usize];
        reader.read_exact(&mut frame).map_err(read_error)?;
        let len = u32::from_le_bytes([frame[0], frame[1], frame[2], frame[3]]) as u64;
        let crc = u32::from_le_bytes([frame[4], frame[5], frame[6], frame[7]]);
        if len > MAX_RECORD_BYTES as u64 {
            let detail = format!(
                "record at position {position} claims {len} bytes, over the limit of {MAX_RECORD_BYTES}"
            );
            return Err(JournalError::damaged(path, offset, detail));
        }
        let end = offset + FRAME_HEADER_LEN + len;
        if end > file_len {
            let detail = format!(
                "record at position {position} claims {len} bytes but the file ends {} bytes into it",
                file_len - offset - FRAME_HEADER_LEN
            );
            return match ending {
                Ending::Last => Ok(SegmentScan {
                    torn: Some(torn(offset, detail)),
                    ..whole(position)
                }),
                Ending::Sealed => Err(sealed_damage(path, offset, position, &detail)),
            };
        }
        payload.resize(len as usize, 0);
        reader.read_exact(&mut payload).map_err(read_error)?;
        if checksum(position, &payload) != crc {
            let detail = format!("record at position {position} fails its checksum");
            if ending == Ending::Last
                && rest_is_zero(&mut reader, end, file_len).map_err(read_error)?
            {
                return Ok(SegmentScan {
                    torn: Some(torn(offset, detail)),
                    ..whole(position)
                });
            }
            return Err(match ending {
                Ending::Last => JournalError::damaged(
                    path,
                    offset,
                    format!(
                        "{detail}, and {} more bytes of data follow it",
                        file_len - end
                    ),
                ),
                Ending::Sealed => sealed_damage(path, offset, position, &detail),
            });
        }
        on_record(position, &payload);
        position += 1;
        offset = end;
    }
}

fn sealed_damage(path: &Path, offset: u64, position: Position, detail: &str) -> JournalError {
    JournalError::damaged(
        path,
        offset,
        format!("{detail} (position {position}), in a segment a newer one follows"),
    )
}

/// Whether the bytes from `from` (where `reader` stands) to `file_len` are all zero.
fn rest_is_zero(reader: &mut impl Read, from: u64, file_len: u64) -> io::Result<bool> {
    let mut left = file_len - from;
    let mut chunk = [0u8; 8192];
    while left > 0 {
        let n = left.min(chunk.len() as u64) as usize;
        reader.read_exact(&mut chunk[..n])?;
        if chunk[..n].iter().any(|&b| b != 0) {
            return Ok(false);
        }
        left -= n as u64;
    }
    Ok(true)
}
