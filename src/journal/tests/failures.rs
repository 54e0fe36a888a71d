//! What a full disk, a second server, or an oversized record does to the journal.

use super::active::Faults;
use super::*;

#[test]
fn a_second_open_of_the_same_directory_is_refused_until_the_first_closes() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (journal, _) = open(dir.path(), options(256));
    match Journal::open(dir.path(), options(256)) {
        Err(error @ JournalError::Locked { .. }) => {
            assert!(
                error
                    .to_string()
                    .contains("another acdhub uses this data directory")
            )
        }
        other => panic!("expected Locked, got {other:?}"),
    }
    drop(journal);
    assert!(Journal::open(dir.path(), options(256)).is_ok());
}

#[test]
fn a_batch_that_fails_midway_is_cut_off_and_the_journal_appends_again() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(1 << 20));
    journal
        .append_batch(&[command(1), command(2)])
        .expect("the batch appends");
    let segment = journal.active.path().to_path_buf();
    let whole = file_len(&segment);

    journal.active.faults.write_fails_after = Some(frame() as usize + 5);
    let error = journal
        .append_batch(&[command(3), command(4), command(5)])
        .expect_err("the disk is full");
    assert!(matches!(error, JournalError::NoSpace { .. }), "{error:?}");
    assert!(error.is_storage_unavailable());
    assert_eq!(file_len(&segment), whole, "the partial batch is cut off");
    assert_eq!(journal.next_position(), 3);

    journal.active.faults = Faults::default();
    assert_eq!(journal.append_batch(&[command(3)]).ok(), Some(3));
    drop(journal);
    let (_journal, recovered) = open(dir.path(), options(1 << 20));
    assert_eq!(
        recovered.tail,
        positioned(1, &[command(1), command(2), command(3)])
    );
    assert!(
        recovered.warnings.is_empty(),
        "nothing was left to cut: {:?}",
        recovered.warnings
    );
}

#[test]
fn a_failed_cut_refuses_appends_and_snapshots_until_a_retry_cuts_the_batch_off() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(1 << 20));
    journal
        .append_batch(&[command(1), command(2)])
        .expect("the batch appends");
    let segment = journal.active.path().to_path_buf();
    let whole = file_len(&segment);

    // Two whole frames of the failed batch reach the file and cannot be cut off.
    journal.active.faults = Faults {
        write_fails_after: Some(2 * frame() as usize),
        cut_fails: true,
    };
    let error = journal
        .append_batch(&[command(3), command(4), command(5)])
        .expect_err("the disk is full");
    assert!(matches!(error, JournalError::NoSpace { .. }), "{error:?}");
    assert_eq!(file_len(&segment), whole + 2 * frame());
    journal.active.faults.write_fails_after = None;
    let refused = journal
        .append_batch(&[command(3)])
        .expect_err("appends are refused");
    assert!(
        matches!(refused, JournalError::NeedsRecovery { at, .. } if at == whole),
        "{refused:?}"
    );
    assert!(refused.is_storage_unavailable());
    assert!(matches!(
        journal.write_snapshot(2, b"state after 2"),
        Err(JournalError::NeedsRecovery { .. })
    ));

    journal.active.faults.cut_fails = false;
    let retried = b"retried".to_vec();
    assert_eq!(
        journal.append_batch(std::slice::from_ref(&retried)).ok(),
        Some(3)
    );
    assert_eq!(file_len(&segment), whole + 8 + retried.len() as u64);
    drop(journal);
    let (_journal, recovered) = open(dir.path(), options(1 << 20));
    assert_eq!(
        recovered.tail,
        positioned(1, &[command(1), command(2), retried])
    );
}

#[test]
fn a_record_over_the_limit_is_refused_and_nothing_of_its_batch_is_written() {
    let dir = tempfile::tempdir().expect("a temp directory");
    let (mut journal, _) = open(dir.path(), options(1 << 20));
    let segment = journal.active.path().to_path_buf();
    let huge = vec![7u8; MAX_RECORD_BYTES + 1];
    assert!(matches!(
        journal.append_batch(&[command(1), huge]),
        Err(JournalError::TooLarge { len, max: MAX_RECORD_BYTES }) if len == MAX_RECORD_BYTES + 1
    ));
    assert_eq!(file_len(&segment), HEADER_LEN);
    assert_eq!(journal.next_position(), 1);
    assert_eq!(journal.append_batch(&[command(1)]).ok(), Some(1));
}
