//! The journal against a real directory: round trips, damage, snapshots, torn tails, and the
//! failures a full disk causes.

mod failures;
mod snapshots;
mod torn;

use std::path::{Path, PathBuf};

use super::segment::HEADER_LEN;
use super::*;

/// Small segments, so a few dozen records span several; no fsync, so tests stay fast.
fn options(segment_bytes: u64) -> JournalOptions {
    JournalOptions {
        fsync: Fsync::Never,
        segment_bytes,
    }
}

fn open(dir: &Path, options: JournalOptions) -> (Journal, Recovered) {
    Journal::open(dir, options).expect("the journal opens")
}

/// The n-th test command; all are the same length, so frame offsets are easy to compute.
fn command(n: u64) -> Vec<u8> {
    format!("agent {n:06} ready at {n:012}").into_bytes()
}

/// Bytes of one framed `command`.
fn frame() -> u64 {
    8 + command(1).len() as u64
}

/// `records` numbered from `first`, as recovery and `read_from` return them.
fn positioned(first: Position, records: &[Vec<u8>]) -> Vec<(Position, Vec<u8>)> {
    (first..).zip(records.iter().cloned()).collect()
}

/// The segment files in `dir`, oldest first.
fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the journal directory lists")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
        .collect();
    files.sort();
    files
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).expect("the file exists").len()
}

fn flip_byte(path: &Path, offset: u64) {
    let mut bytes = std::fs::read(path).expect("the file reads");
    bytes[offset as usize] ^= 0x5a;
    std::fs::write(path, bytes).expect("the file writes");
}

/// The file and offset of a `Damaged` error; anything else fails the test.
fn damage<T: std::fmt::Debug>(result: Result<T, JournalError>) -> (PathBuf, u64, String) {
    match result {
        Err(JournalError::Damaged {
            file,
            offset,
            detail,
        }) => (file, offset, detail),
        other => panic!("expected Damaged, got {other:?}"),
    }
}

/// Appends commands 1..=count in batches of `batch`, then closes the journal.
fn write_commands(dir: &Path, options: JournalOptions, count: u64, batch: usize) {
    let (mut journal, _) = open(dir, options);
    let all: Vec<Vec<u8>> = (1..=count).map(command).collect();
    for chunk in all.chunks(batch) {
        journal.append_batch(chunk).expect("the batch appends");
    }
}

#[test]
fn records_round_trip_over_several_segments_and_positions_continue_after_reopen() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let synced = JournalOptions {
        fsync: Fsync::Always,
        segment_bytes: 256,
    };
    let (mut journal, recovered) = open(dir.path(), synced.clone());
    assert!(recovered.snapshot.is_none() && recovered.tail.is_empty());
    assert!(recovered.warnings.is_empty(), "{:?}", recovered.warnings);
    assert_eq!(journal.next_position(), 1);
    let all: Vec<Vec<u8>> = (1..=40).map(command).collect();
    let lasts: Vec<Position> = all
        .chunks(3)
        .map(|batch| journal.append_batch(batch).expect("the batch appends"))
        .collect();
    assert_eq!(lasts.first(), Some(&3));
    assert_eq!(lasts.last(), Some(&40));
    assert_eq!(journal.next_position(), 41);
    drop(journal);

    let segments = segment_files(dir.path());
    assert!(segments.len() >= 4, "{segments:?}");
    assert!(segments[0].ends_with("00000000000000000001.log"));
    let (mut journal, recovered) = open(dir.path(), synced.clone());
    assert_eq!(recovered.tail, positioned(1, &all));
    assert!(recovered.warnings.is_empty(), "{:?}", recovered.warnings);
    assert_eq!(journal.next_position(), 41);
    assert_eq!(journal.append_batch(&[command(41)]).ok(), Some(41));
    drop(journal);

    let (_journal, recovered) = open(dir.path(), synced);
    assert_eq!(recovered.tail.len(), 41);
    assert_eq!(recovered.tail.last(), Some(&(41, command(41))));
    let from_disk = Journal::read_from(dir.path(), 38).expect("read_from reads");
    assert_eq!(
        from_disk,
        positioned(39, &[command(39), command(40), command(41)])
    );
    let report = verify(dir.path()).expect("the journal verifies");
    assert_eq!(report.records, 41);
    assert_eq!(
        (report.first_position, report.last_position),
        (Some(1), Some(41))
    );
    assert_eq!(report.segments, segment_files(dir.path()).len());
    assert_eq!(report.torn_tail, None);
}

#[test]
fn a_byte_flipped_in_an_older_segment_is_damage_naming_the_file_and_offset() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(256), 40, 4);
    let segments = segment_files(dir.path());
    let second_record = HEADER_LEN + frame();
    flip_byte(&segments[1], second_record + 8 + 3);

    let (file, offset, detail) = damage(Journal::open(dir.path(), options(256)));
    assert_eq!(
        (file.as_path(), offset),
        (segments[1].as_path(), second_record)
    );
    assert!(detail.contains("checksum"), "{detail}");
    let (file, offset, _) = damage(verify(dir.path()));
    assert_eq!(
        (file.as_path(), offset),
        (segments[1].as_path(), second_record)
    );
    let (file, _, _) = damage(Journal::read_from(dir.path(), 0));
    assert_eq!(file, segments[1]);
}

#[test]
fn a_bad_record_with_data_after_it_in_the_newest_segment_is_damage_not_a_torn_tail() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(1 << 20), 10, 10);
    let segment = &segment_files(dir.path())[0];
    let fifth_record = HEADER_LEN + 4 * frame();
    flip_byte(segment, fifth_record + 8);
    let before = file_len(segment);

    let (file, offset, detail) = damage(Journal::open(dir.path(), options(1 << 20)));
    assert_eq!((&file, offset), (segment, fifth_record));
    assert!(detail.contains("follow"), "{detail}");
    assert_eq!(
        file_len(segment),
        before,
        "a damaged journal is left as found"
    );
    assert_eq!(damage(verify(dir.path())).1, fifth_record);
}

#[test]
fn a_missing_segment_between_two_others_is_damage() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(256), 40, 1);
    let segments = segment_files(dir.path());
    std::fs::remove_file(&segments[1]).expect("the segment is removed");

    let (file, offset, detail) = damage(Journal::open(dir.path(), options(256)));
    assert_eq!((&file, offset), (&segments[2], 0));
    assert!(detail.contains("missing"), "{detail}");
    assert_eq!(damage(verify(dir.path())).0, segments[2]);
}

#[test]
fn a_file_that_is_not_a_segment_is_refused_with_its_name() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let stranger = dir.path().join("00000000000000000001.log");
    std::fs::write(&stranger, b"GET / HTTP/1.1\r\nHost: not a journal\r\n\r\n")
        .expect("the file writes");
    match Journal::open(dir.path(), options(256)) {
        Err(JournalError::NotAJournal { path, .. }) => assert_eq!(path, stranger),
        other => panic!("expected NotAJournal, got {other:?}"),
    }

    let mut newer = segment::header(1);
    newer[8] = 2;
    std::fs::write(&stranger, newer).expect("the file writes");
    match Journal::open(dir.path(), options(256)) {
        Err(JournalError::UnsupportedVersion { path, version, .. }) => {
            assert_eq!((path, version), (stranger, 2))
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
}
