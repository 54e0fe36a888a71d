//! Where a tenant's finished records go: its call records' and its conversation records' files
//! in the data directory, and the sweep that deletes conversation records (which hold the
//! transcripts) once past their retention, at start and after every local midnight.
//!
//! The folds themselves ([`Records`]) are the engine's state, in its snapshots; these files are
//! derived from them, so a failed write keeps the records in the fold for the next try, and a
//! failed sweep is tried again at the next one.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::records::file::{DayRecord, RecordFile};
use crate::records::retention::Retention;
use crate::records::{CallRecord, ConversationRecord, Finished, Records};

/// A tenant's record files. Without a data directory there are none, and finished records
/// are dropped: nobody reads them.
#[derive(Debug)]
pub struct RecordFiles {
    tenant: String,
    calls: Option<RecordFile<CallRecord>>,
    conversations: Option<RecordFile<ConversationRecord>>,
    time_zone: TimeZone,
    /// How long conversation records are kept; `None`: for ever.
    retention: Option<Retention>,
    /// When the next sweep is due (the next local midnight after the last one); `None`
    /// before the first.
    next_sweep: Option<Timestamp>,
}

impl RecordFiles {
    /// No files: finished records are dropped.
    pub fn none(tenant: &str) -> RecordFiles {
        RecordFiles {
            tenant: tenant.to_owned(),
            calls: None,
            conversations: None,
            time_zone: TimeZone::UTC,
            retention: None,
            next_sweep: None,
        }
    }

    /// The files of `tenant` under `data_dir`. A file that cannot be opened costs its records
    /// (the journal still has what made them), not the start: it is logged and left out.
    pub fn open(
        data_dir: &std::path::Path,
        tenant: &str,
        time_zone: TimeZone,
        retention: Option<Retention>,
    ) -> RecordFiles {
        let calls = RecordFile::open(data_dir, tenant, time_zone.clone())
            .inspect_err(|error| {
                tracing::warn!(%tenant, "call detail records will not be written: {error}");
            })
            .ok();
        let conversations = RecordFile::open(data_dir, tenant, time_zone.clone())
            .inspect_err(|error| {
                tracing::warn!(%tenant, "conversation records will not be written: {error}");
            })
            .ok();
        RecordFiles {
            tenant: tenant.to_owned(),
            calls,
            conversations,
            time_zone,
            retention,
            next_sweep: None,
        }
    }

    /// The folds to start a fresh day with: numbered on from the records the files have.
    pub fn fresh_records(&self) -> Records {
        Records::after(
            self.calls.as_ref().map_or(0, RecordFile::last_seq),
            self.conversations.as_ref().map_or(0, RecordFile::last_seq),
        )
    }

    /// Writes the records the folds finished. They are derived from journaled commands only,
    /// and a replay after a crash makes them again with the same `seq`: the files skip those
    /// they have. What cannot be written stays in the fold (and its snapshots) for the next
    /// try.
    pub fn write(&mut self, records: &mut Records) -> std::io::Result<()> {
        let calls = write_kind(&self.tenant, self.calls.as_mut(), records.calls.finished());
        let conversations = write_kind(
            &self.tenant,
            self.conversations.as_mut(),
            records.conversations.finished(),
        );
        calls.and(conversations)
    }

    /// Syncs what was written to the disk, before a snapshot stops the journal from holding
    /// what made it.
    pub fn sync(&mut self) -> std::io::Result<()> {
        if let Some(file) = self.calls.as_mut() {
            file.sync()?;
        }
        if let Some(file) = self.conversations.as_mut() {
            file.sync()?;
        }
        Ok(())
    }

    /// Deletes the conversation records past retention, if a sweep is due at `now`: the first
    /// call (the start), then once after each local midnight. Each file deleted is logged.
    pub fn sweep_if_due(&mut self, now: Timestamp) {
        let (Some(retention), Some(file)) = (self.retention, self.conversations.as_mut()) else {
            return;
        };
        if self.next_sweep.is_some_and(|due| now < due) {
            return;
        }
        let today = now.to_zoned(self.time_zone.clone()).date();
        self.next_sweep = today
            .tomorrow()
            .and_then(|tomorrow| tomorrow.to_zoned(self.time_zone.clone()))
            .map(|midnight| midnight.timestamp())
            .ok();
        let tenant = &self.tenant;
        let days = retention.in_days();
        match file.delete_past(retention, today) {
            Ok(deleted) => {
                for path in &deleted.files {
                    tracing::info!(%tenant, retention_days = days, file = %path.display(), "conversation records past their retention deleted");
                }
                for (path, error) in &deleted.failed {
                    tracing::warn!(%tenant, retention_days = days, file = %path.display(), "conversation records past their retention not deleted (tried again after midnight or at the next start): {error}");
                }
            }
            Err(error) => {
                tracing::warn!(%tenant, "conversation records past their retention not swept (tried again after midnight or at the next start): {error}");
            }
        }
    }
}

/// Appends one kind's finished records to its file; without a file they are dropped.
fn write_kind<R: DayRecord>(
    tenant: &str,
    file: Option<&mut RecordFile<R>>,
    records: &mut Finished<R>,
) -> std::io::Result<()> {
    let finished = records.take();
    let Some(file) = file else {
        return Ok(());
    };
    if finished.is_empty() {
        return Ok(());
    }
    if let Err(error) = file.append(&finished) {
        records.give_back(finished);
        let kind = R::KIND.noun();
        tracing::warn!(%tenant, "{kind}s not written yet: {error}");
        return Err(error);
    }
    Ok(())
}
