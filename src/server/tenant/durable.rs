//! A tenant's day on disk: every command the engine applies, journaled before it is applied,
//! and snapshots of the state the commands made, so that a restart picks the day up where it
//! was.
//!
//! The core is deterministic, so its state is a function of the commands and their instants:
//! the journal is the durable state and a snapshot is only a shortcut through it (the core's own
//! state, written by serde's derive). Recovery is the newest valid snapshot, then every record
//! after it replayed at its own instant, then the deadlines that passed while the server was
//! down, each at its own instant (the engine's first `handle_timeout`).
//!
//! Write-ahead: the engine appends a group of records and waits for them to be durable before
//! it applies any of them, so every effect that leaves the server (an ack, an event, a
//! statistic) follows from journaled commands only. A group shares one fdatasync (group
//! commit). When the journal cannot be written (a full or read-only disk) the group is not
//! applied: its commands are refused with `storage_unavailable`, and the next group tries again.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::acd::{self, Acd};
use crate::config::{FsyncPolicy, StorageConfig};
use crate::journal::{Fsync, Journal, JournalError, JournalOptions, Position};
use crate::records::{CallRecords, ConversationRecords, Records};
use crate::sim::Simulator;

/// How long after a failed snapshot the next is tried.
const SNAPSHOT_RETRY: Duration = Duration::from_secs(30);

/// One journal record: something the engine applied to the core, at its instant.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Record {
    pub at: Timestamp,
    pub entry: Entry,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// A command, from a session, the simulator or an agent's grace period; replayed whether
    /// the core accepted it or not (a refused command changes nothing, on replay too).
    Command(acd::Command),
    /// The tenant's configuration changed (a reload, or a start with an edited file).
    Reconfigure(acd::Config),
}

/// A snapshot: what the journal's records made of the tenant, and nothing else. Sessions,
/// connections and grace periods are not in it: after a restart every client reconnects.
#[derive(Serialize)]
pub struct StateRef<'a> {
    pub acd: &'a Acd,
    pub config: &'a acd::Config,
    pub simulator: Option<&'a Simulator>,
    /// The call detail records of calls not finished yet.
    pub records: &'a CallRecords,
    /// The records of conversations not finished yet.
    pub conversation_records: &'a ConversationRecords,
}

impl StateRef<'_> {
    /// The snapshot's bytes: what [`Durable::open`] reads back as `State`.
    fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("the tenant's state serializes")
    }
}

/// Writes `bytes` as the snapshot covering every record the journal holds; returns that
/// position.
fn write_snapshot_now(journal: &mut Journal, bytes: &[u8]) -> Result<Position, JournalError> {
    let covers = journal.next_position() - 1;
    journal.write_snapshot(covers, bytes)?;
    Ok(covers)
}

#[derive(Deserialize)]
pub struct State {
    /// Brought up to this version's incremental counts as it is read ([`Acd::restored`]), on
    /// one server and on a cluster's nodes alike.
    #[serde(deserialize_with = "restored")]
    pub acd: Acd,
    pub config: acd::Config,
    pub simulator: Option<Simulator>,
    pub records: CallRecords,
    /// Absent from a snapshot written before conversations had records.
    #[serde(default)]
    pub conversation_records: ConversationRecords,
}

fn restored<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Acd, D::Error> {
    let mut acd = Acd::deserialize(deserializer)?;
    acd.restored();
    Ok(acd)
}

/// Why a tenant's journal could not be recovered: the server does not start on a wrong day.
#[derive(Debug, thiserror::Error)]
pub enum RecoverError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "{dir}: snapshot covering record {covers} cannot be read: {problem} (written by a \
         version of acdhub whose state differs from this one's?)"
    )]
    Snapshot {
        dir: String,
        covers: Position,
        problem: String,
    },
    #[error("{dir}: record {position} cannot be read: {problem}")]
    Record {
        dir: String,
        position: Position,
        problem: String,
    },
    #[error("{dir}: the journal has records but no snapshot to start them from")]
    NoStart { dir: String },
    #[error("{dir}: replaying record {position}: {problem}")]
    Replay {
        dir: String,
        position: Position,
        problem: String,
    },
}

/// A tenant's state as the journal left it.
pub struct Recovered {
    pub acd: Acd,
    pub config: acd::Config,
    pub simulator: Option<Simulator>,
    /// Finished records are taken by the engine, which writes those its files lack.
    pub records: Records,
    /// Records replayed after the snapshot.
    pub replayed: usize,
}

/// The journal of one tenant, as the engine uses it.
pub struct Durable {
    /// Taken while a blocking task writes with it.
    journal: Option<Journal>,
    dir: PathBuf,
    snapshot_interval: Duration,
    snapshot_records: u64,
    records_since_snapshot: u64,
    last_snapshot: Instant,
    /// After a failed snapshot, the next is not tried before this.
    snapshot_retry: Option<Instant>,
    /// Why the journal cannot be written now, while it cannot.
    unavailable: Option<String>,
}

/// Where a tenant's journal lives in the data directory.
pub fn tenant_dir(data_dir: &Path, tenant: &str) -> PathBuf {
    data_dir.join("tenants").join(tenant).join("journal")
}

impl Durable {
    /// Opens the tenant's journal and recovers what it holds: `None` for a tenant with no
    /// journal yet (its first start).
    pub fn open(
        dir: PathBuf,
        storage: &StorageConfig,
        tenant: &str,
    ) -> Result<(Durable, Option<Recovered>), RecoverError> {
        let options = JournalOptions {
            fsync: match storage.fsync {
                FsyncPolicy::Always => Fsync::Always,
                FsyncPolicy::Never => Fsync::Never,
            },
            ..JournalOptions::default()
        };
        let (journal, found) = Journal::open(&dir, options)?;
        for warning in &found.warnings {
            tracing::warn!(%tenant, "journal: {warning}");
        }
        let shown = dir.display().to_string();
        let recovered = match found.snapshot {
            None if found.tail.is_empty() => None,
            None => return Err(RecoverError::NoStart { dir: shown }),
            Some(snapshot) => {
                let state: State = serde_json::from_slice(&snapshot.state).map_err(|e| {
                    RecoverError::Snapshot {
                        dir: shown.clone(),
                        covers: snapshot.covers,
                        problem: e.to_string(),
                    }
                })?;
                let mut recovered = Recovered {
                    acd: state.acd,
                    config: state.config,
                    simulator: state.simulator,
                    records: Records {
                        calls: state.records,
                        conversations: state.conversation_records,
                    },
                    replayed: 0,
                };
                for (position, bytes) in &found.tail {
                    let record: Record =
                        serde_json::from_slice(bytes).map_err(|e| RecoverError::Record {
                            dir: shown.clone(),
                            position: *position,
                            problem: e.to_string(),
                        })?;
                    replay(&mut recovered, record).map_err(|problem| RecoverError::Replay {
                        dir: shown.clone(),
                        position: *position,
                        problem,
                    })?;
                }
                recovered.replayed = found.tail.len();
                Some(recovered)
            }
        };
        let durable = Durable {
            journal: Some(journal),
            dir,
            snapshot_interval: storage.snapshot_interval,
            snapshot_records: storage.snapshot_records,
            records_since_snapshot: recovered.as_ref().map_or(0, |r| r.replayed as u64),
            last_snapshot: Instant::now(),
            snapshot_retry: None,
            unavailable: None,
        };
        Ok((durable, recovered))
    }

    /// Appends a group of records and waits until they are durable (one fdatasync for the
    /// group). On `Err` none of them may be applied.
    pub async fn append(&mut self, records: &[Record]) -> Result<(), String> {
        if records.is_empty() {
            return Ok(());
        }
        let encoded: Vec<Vec<u8>> = records
            .iter()
            .map(|record| serde_json::to_vec(record).expect("a record serializes"))
            .collect();
        let count = encoded.len() as u64;
        let result = self
            .with_journal(move |journal| journal.append_batch(&encoded).map(|_| ()))
            .await;
        match result {
            Ok(()) => {
                self.records_since_snapshot += count;
                if let Some(was) = self.unavailable.take() {
                    tracing::warn!(dir = %self.dir.display(), "journal writable again (it was not: {was}); taking commands");
                }
                Ok(())
            }
            Err(error) => {
                let why = error.to_string();
                if self.unavailable.is_none() {
                    tracing::error!(dir = %self.dir.display(), "journal cannot be written, refusing commands until it can: {why}");
                }
                self.unavailable = Some(why.clone());
                Err(why)
            }
        }
    }

    /// Whether enough records or time went by to write a snapshot.
    pub fn snapshot_due(&self) -> bool {
        if self.snapshot_retry.is_some_and(|at| Instant::now() < at) {
            return false;
        }
        self.records_since_snapshot >= self.snapshot_records
            || (self.records_since_snapshot > 0
                && self.last_snapshot.elapsed() >= self.snapshot_interval)
    }

    /// Writes a snapshot of the state the journal's records made so far. A failure is logged
    /// and changes nothing: the journal still holds every record.
    pub async fn snapshot(&mut self, state: StateRef<'_>) -> Result<(), JournalError> {
        let bytes = state.encode();
        let size = bytes.len();
        let result = self
            .with_journal(move |journal| write_snapshot_now(journal, &bytes))
            .await;
        self.last_snapshot = Instant::now();
        match result {
            Ok(covers) => {
                self.records_since_snapshot = 0;
                self.snapshot_retry = None;
                tracing::debug!(dir = %self.dir.display(), covers, bytes = size, "snapshot written");
                Ok(())
            }
            Err(error) => {
                self.snapshot_retry = Some(Instant::now() + SNAPSHOT_RETRY);
                tracing::warn!(dir = %self.dir.display(), "snapshot not written (the journal still has every record; tried again in {}s): {error}", SNAPSHOT_RETRY.as_secs());
                Err(error)
            }
        }
    }

    /// Runs `work` with the journal on the blocking pool: a sync to disk must not stall the
    /// runtime's workers.
    async fn with_journal<T: Send + 'static>(
        &mut self,
        work: impl FnOnce(&mut Journal) -> Result<T, JournalError> + Send + 'static,
    ) -> Result<T, JournalError> {
        let mut journal = self
            .journal
            .take()
            .expect("one journal operation at a time");
        let (journal, result) = tokio::task::spawn_blocking(move || {
            let result = work(&mut journal);
            (journal, result)
        })
        .await
        .expect("a journal operation does not panic");
        self.journal = Some(journal);
        result
    }
}

/// For tools and benchmarks, never called by the server: writes `state` as the snapshot a
/// server would write after the journal's last record (the same format as the engine's), so a
/// journal directory can be built without a running server, e.g. from a day replayed with
/// [`crate::server::recover_journal`] (take its finished records first: the engine has
/// taken them before it writes a snapshot). Returns the snapshot's size in bytes.
pub fn write_snapshot_for_tools(
    journal: &mut Journal,
    state: &Recovered,
) -> Result<usize, JournalError> {
    let bytes = StateRef {
        acd: &state.acd,
        config: &state.config,
        simulator: state.simulator.as_ref(),
        records: &state.records.calls,
        conversation_records: &state.records.conversations,
    }
    .encode();
    write_snapshot_now(journal, &bytes)?;
    Ok(bytes.len())
}

/// Applies one record to a recovering tenant as the engine applied it: the deadlines up to its
/// instant first, then the record; the simulator learns from the events and drops the actions
/// the journal already holds.
fn replay(state: &mut Recovered, record: Record) -> Result<(), String> {
    let at = record.at;
    // Each deadline at its own instant, as the engine runs them.
    while state.acd.poll_timeout() <= at {
        let deadline = state.acd.poll_timeout();
        state.acd.handle_timeout(deadline);
        observe(state, deadline);
    }
    state.acd.handle_timeout(at);
    observe(state, at);
    if let Some(simulator) = state.simulator.as_mut() {
        // Its commands of this instant are in the journal; drawing them again keeps its random
        // streams and its agenda where they were.
        let _ = simulator.actions_due(at);
    }
    match record.entry {
        Entry::Command(command) => {
            let _ = state.acd.handle(command, at);
        }
        Entry::Reconfigure(config) => {
            state
                .acd
                .reconfigure(config.clone(), at)
                .map_err(|e| e.to_string())?;
            state.config = config;
        }
    }
    observe(state, at);
    Ok(())
}

fn observe(state: &mut Recovered, at: Timestamp) {
    while let Some(event) = state.acd.poll_event() {
        if let Some(simulator) = state.simulator.as_mut() {
            simulator.observe(&event, at);
        }
        state.records.observe(&event, at);
    }
}
