//! Torn tails: what a crash mid-append leaves at the end of the newest segment is cut off with
//! a warning; the same bytes anywhere else are damage.

use proptest::prelude::*;
use proptest::sample::Index;

use super::*;

/// The error's file, for the errors that name one.
fn file_of(error: &JournalError) -> Option<&Path> {
    match error {
        JournalError::Damaged { file, .. } => Some(file),
        JournalError::NotAJournal { path, .. } | JournalError::UnsupportedVersion { path, .. } => {
            Some(path)
        }
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn cutting_the_newest_segment_anywhere_recovers_exactly_the_records_before_the_cut(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 1..40),
        segment_bytes in 64u64..600,
        batch in 1usize..5,
        cut in any::<Index>(),
    ) {
        let dir = tempfile::tempdir().expect("a temp directory");
        let (mut journal, _) = open(dir.path(), options(segment_bytes));
        for chunk in records.chunks(batch) {
            journal.append_batch(chunk).expect("the batch appends");
        }
        drop(journal);
        let newest = segment_files(dir.path()).pop().expect("a segment");
        let first = segment::parse_name(&newest.file_name().unwrap_or_default().to_string_lossy())
            .expect("a segment name");
        // Where each whole frame of the newest segment ends (the header's end first).
        let mut boundaries = vec![HEADER_LEN];
        for record in &records[(first - 1) as usize..] {
            boundaries.push(boundaries[boundaries.len() - 1] + 8 + record.len() as u64);
        }
        prop_assert_eq!(file_len(&newest), *boundaries.last().unwrap_or(&0));
        let cut_at = cut.index(file_len(&newest) as usize + 1) as u64;
        std::fs::OpenOptions::new()
            .write(true)
            .open(&newest)
            .and_then(|f| f.set_len(cut_at))
            .expect("the segment is cut");

        let whole_frames = boundaries.iter().filter(|&&end| end <= cut_at).count().saturating_sub(1);
        let kept = (first - 1) as usize + whole_frames;
        let (mut journal, recovered) = open(dir.path(), options(segment_bytes));
        prop_assert_eq!(&recovered.tail, &positioned(1, &records[..kept]));
        prop_assert_eq!(journal.next_position(), kept as u64 + 1);
        if boundaries.contains(&cut_at) {
            prop_assert!(recovered.warnings.is_empty(), "{:?}", recovered.warnings);
        } else {
            let torn_at = if cut_at < HEADER_LEN { 0 } else { boundaries[whole_frames] };
            let expected = format!("{} at byte {torn_at} ", newest.display());
            prop_assert!(
                recovered.warnings.len() == 1 && recovered.warnings[0].contains(&expected),
                "expected {:?} in {:?}", expected, recovered.warnings
            );
        }

        let after = [b"after the cut".to_vec(), Vec::new()];
        prop_assert_eq!(journal.append_batch(&after).ok(), Some(kept as u64 + 2));
        drop(journal);
        let (_journal, recovered) = open(dir.path(), options(segment_bytes));
        let mut expected = records[..kept].to_vec();
        expected.extend(after);
        prop_assert_eq!(&recovered.tail, &positioned(1, &expected));
        prop_assert!(recovered.warnings.is_empty(), "{:?}", recovered.warnings);
    }

    #[test]
    fn any_byte_damaged_in_an_older_segment_is_refused_naming_that_segment(
        records in prop::collection::vec(prop::collection::vec(any::<u8>(), 20..60), 12..30),
        byte in any::<Index>(),
        mask in 1u8..=255,
    ) {
        let dir = tempfile::tempdir().expect("a temp directory");
        let (mut journal, _) = open(dir.path(), options(128));
        for record in &records {
            journal.append_batch(std::slice::from_ref(record)).expect("the record appends");
        }
        drop(journal);
        let segments = segment_files(dir.path());
        prop_assert!(segments.len() >= 3);
        let mut bytes = std::fs::read(&segments[0]).expect("the segment reads");
        let at = byte.index(bytes.len());
        bytes[at] ^= mask;
        std::fs::write(&segments[0], bytes).expect("the segment writes");

        let opened = Journal::open(dir.path(), options(128)).map(|_| ());
        let error = opened.expect_err("damage in an older segment is refused");
        prop_assert_eq!(file_of(&error), Some(segments[0].as_path()), "{}", error);
        let error = verify(dir.path()).expect_err("verify finds the damage too");
        prop_assert_eq!(file_of(&error), Some(segments[0].as_path()), "{}", error);
    }
}

#[test]
fn a_zero_filled_tail_counts_as_torn_and_is_cut_off() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(1 << 20), 10, 3);
    let segment = &segment_files(dir.path())[0];
    let whole = file_len(segment);
    let mut bytes = std::fs::read(segment).expect("the segment reads");
    bytes.extend([0u8; 4096]);
    std::fs::write(segment, bytes).expect("the segment writes");

    let report = verify(dir.path()).expect("a torn tail is not damage");
    let torn = report.torn_tail.expect("verify reports the torn tail");
    assert_eq!(
        (&torn.file, torn.offset, torn.bytes),
        (segment, whole, 4096)
    );

    let (_journal, recovered) = open(dir.path(), options(1 << 20));
    assert_eq!(recovered.tail.len(), 10);
    let expected = format!("{} at byte {whole} ", segment.display());
    assert!(
        recovered.warnings[0].contains(&expected),
        "{:?}",
        recovered.warnings
    );
    assert_eq!(file_len(segment), whole);
}

#[test]
fn a_newest_segment_whose_creation_a_crash_cut_short_is_written_again() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(256), 30, 3);
    let newest = segment_files(dir.path()).pop().expect("a segment");
    let first = Journal::read_from(dir.path(), 0)
        .expect("read_from reads")
        .len() as u64
        + 1;
    let first_in_newest = first - (file_len(&newest) - HEADER_LEN) / frame();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&newest)
        .and_then(|f| f.set_len(10))
        .expect("the segment is cut");

    let (mut journal, recovered) = open(dir.path(), options(256));
    assert_eq!(recovered.tail.len() as u64, first_in_newest - 1);
    assert!(
        recovered.warnings[0].contains("header is incomplete"),
        "{:?}",
        recovered.warnings
    );
    assert_eq!(journal.next_position(), first_in_newest);
    journal
        .append_batch(&[command(99)])
        .expect("the record appends");
    drop(journal);
    let (_journal, recovered) = open(dir.path(), options(256));
    assert_eq!(recovered.tail.last(), Some(&(first_in_newest, command(99))));
}

#[test]
fn a_checksum_failure_in_the_very_last_record_is_a_torn_tail() {
    let dir = tempfile::tempdir().expect("a temp directory");
    write_commands(dir.path(), options(1 << 20), 10, 10);
    let segment = &segment_files(dir.path())[0];
    let last_record = HEADER_LEN + 9 * frame();
    flip_byte(segment, file_len(segment) - 1);

    let (mut journal, recovered) = open(dir.path(), options(1 << 20));
    assert_eq!(
        recovered.tail,
        positioned(1, &(1..=9).map(command).collect::<Vec<_>>())
    );
    let expected = format!("{} at byte {last_record} ", segment.display());
    assert!(
        recovered.warnings[0].contains(&expected),
        "{:?}",
        recovered.warnings
    );
    assert_eq!(journal.append_batch(&[command(10)]).ok(), Some(10));
}
