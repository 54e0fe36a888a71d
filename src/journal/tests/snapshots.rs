//! Snapshots: recovery starts from the newest valid one, falls back on damage, and compaction
//! never removes what a kept snapshot needs.

use super::*;

fn snapshot_path(dir: &Path, covers: Position) -> PathBuf {
    dir.join(snapshot::file_name(covers))
}

#[test]
fn reopen_starts_from_the_newest_snapshot_with_the_records_after_it() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(256));
    let all: Vec<Vec<u8>> = (1..=35).map(command).collect();
    journal.append_batch(&all[..20]).expect("the batch appends");
    journal
        .write_snapshot(12, b"state after 12")
        .expect("the snapshot writes");
    journal
        .write_snapshot(20, b"state after 20")
        .expect("the snapshot writes");
    journal.append_batch(&all[20..]).expect("the batch appends");
    drop(journal);

    let (journal, recovered) = open(dir.path(), options(256));
    let snapshot = recovered.snapshot.expect("a snapshot is recovered");
    assert_eq!(
        (snapshot.covers, snapshot.state.as_slice()),
        (20, &b"state after 20"[..])
    );
    assert_eq!(recovered.tail, positioned(21, &all[20..]));
    assert!(recovered.warnings.is_empty(), "{:?}", recovered.warnings);
    assert_eq!(journal.next_position(), 36);
}

#[test]
fn a_corrupted_newest_snapshot_falls_back_to_the_older_one_with_a_warning() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(256));
    let all: Vec<Vec<u8>> = (1..=30).map(command).collect();
    journal.append_batch(&all).expect("the batch appends");
    journal
        .write_snapshot(10, b"state after 10")
        .expect("the snapshot writes");
    journal
        .write_snapshot(20, b"state after 20")
        .expect("the snapshot writes");
    drop(journal);
    let newest = snapshot_path(dir.path(), 20);
    flip_byte(&newest, file_len(&newest) - 3);

    let (journal, recovered) = open(dir.path(), options(256));
    drop(journal);
    let snapshot = recovered.snapshot.expect("the older snapshot is recovered");
    assert_eq!(
        (snapshot.covers, snapshot.state.as_slice()),
        (10, &b"state after 10"[..])
    );
    assert_eq!(recovered.tail, positioned(11, &all[10..]));
    let name = newest.display().to_string();
    assert!(
        recovered
            .warnings
            .iter()
            .any(|w| w.contains(&name) && w.contains("checksum")),
        "{:?}",
        recovered.warnings
    );
    let report = verify(dir.path()).expect("the journal verifies");
    let problems: Vec<Position> = report
        .snapshots
        .iter()
        .filter(|check| check.problem.is_some())
        .map(|check| check.covers)
        .collect();
    assert_eq!(problems, [20]);

    // Writing the same position again replaces the bad file, and compaction keeps the new one.
    let (mut journal, _) = open(dir.path(), options(256));
    journal
        .write_snapshot(20, b"state after 20, again")
        .expect("the snapshot writes");
    drop(journal);
    let (_journal, recovered) = open(dir.path(), options(256));
    let snapshot = recovered
        .snapshot
        .expect("the rewritten snapshot is recovered");
    assert_eq!(snapshot.state, b"state after 20, again");
}

#[test]
fn compaction_removes_covered_segments_but_keeps_those_the_older_snapshot_needs() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(256));
    let all: Vec<Vec<u8>> = (1..=60).map(command).collect();
    for batch in all.chunks(2) {
        journal.append_batch(batch).expect("the batch appends");
    }
    let before = segment_files(dir.path()).len();
    journal
        .write_snapshot(30, b"state after 30")
        .expect("the snapshot writes");
    journal
        .write_snapshot(50, b"state after 50")
        .expect("the snapshot writes");

    // Kept: 30 and 50. Every segment left is needed to replay from 30, and the oldest one
    // holds record 31.
    let firsts: Vec<Position> = segment_files(dir.path())
        .iter()
        .map(|path| segment::parse_name(&path.file_name().unwrap_or_default().to_string_lossy()))
        .map(|first| first.expect("a segment name"))
        .collect();
    assert!(firsts.len() < before, "{firsts:?}");
    assert!(
        firsts[0] <= 31 && firsts.get(1).is_some_and(|&second| second > 31),
        "{firsts:?}"
    );
    assert!(matches!(
        Journal::read_from(dir.path(), 0),
        Err(JournalError::Compacted { oldest, .. }) if oldest == firsts[0]
    ));

    journal
        .write_snapshot(60, b"state after 60")
        .expect("the snapshot writes");
    assert!(!snapshot_path(dir.path(), 30).exists());
    assert!(snapshot_path(dir.path(), 50).exists());
    drop(journal);
    let newest = snapshot_path(dir.path(), 60);
    flip_byte(&newest, 40);

    // The newest is damaged: the older kept one still has every record after it.
    let (_journal, recovered) = open(dir.path(), options(256));
    assert_eq!(recovered.snapshot.map(|s| s.covers), Some(50));
    assert_eq!(recovered.tail, positioned(51, &all[50..]));
}

#[test]
fn a_snapshot_whose_records_are_gone_is_damage_not_a_silent_gap() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(256));
    let all: Vec<Vec<u8>> = (1..=60).map(command).collect();
    for batch in all.chunks(2) {
        journal.append_batch(batch).expect("the batch appends");
    }
    journal
        .write_snapshot(30, b"state after 30")
        .expect("the snapshot writes");
    journal
        .write_snapshot(50, b"state after 50")
        .expect("the snapshot writes");
    drop(journal);
    let oldest_segment = &segment_files(dir.path())[0];
    flip_byte(&snapshot_path(dir.path(), 30), 40);
    flip_byte(&snapshot_path(dir.path(), 50), 40);

    let (file, _, detail) = damage(Journal::open(dir.path(), options(256)));
    assert_eq!(&file, oldest_segment);
    assert!(
        detail.contains("no valid snapshot") && detail.contains("missing"),
        "{detail}"
    );
}

#[test]
fn a_snapshot_temp_file_left_by_a_crash_is_removed_on_open() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(256), 5, 5);
    let temporary = dir.path().join("snapshot-00000000000000000005.snap.tmp");
    std::fs::write(&temporary, b"half a sna").expect("the file writes");

    let (_journal, recovered) = open(dir.path(), options(256));
    assert!(!temporary.exists());
    assert!(recovered.snapshot.is_none());
    assert_eq!(recovered.tail.len(), 5);
    assert!(recovered.warnings.iter().any(|w| w.contains("snap.tmp")));
}

#[test]
fn a_snapshot_cannot_cover_records_never_appended() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(256));
    journal
        .append_batch(&[command(1)])
        .expect("the batch appends");
    assert!(matches!(
        journal.write_snapshot(2, b"too far"),
        Err(JournalError::SnapshotBeyondLog { covers: 2, last: 1 })
    ));
    assert!(!snapshot_path(dir.path(), 2).exists());
}
