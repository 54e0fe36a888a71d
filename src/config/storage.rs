//! The `[storage]` section: where each tenant's journal and snapshots live, and how hard the
//! server works to keep them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::locate::FieldPath;
use super::raw::{Count, Seconds};
use super::{Problem, problem};

/// How the journal reaches the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FsyncPolicy {
    /// Every group of commands is synced (fdatasync) before any of its effects leave the
    /// server: nothing acknowledged is lost, not even to a power cut.
    Always,
    /// Commands are written to the operating system only: a crash of acdhub loses nothing, a
    /// power cut or kernel panic may lose the last second or so.
    Never,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq)]
pub struct StorageConfig {
    /// Whether tenants' days are journaled at all. Off, everything lives in memory and a
    /// restart starts every tenant empty.
    pub journal: bool,
    /// The data directory. `None` in the file means the default, which the `acdhub` command
    /// resolves ([`default_data_dir`]); a server embedded in a program with `None` keeps its
    /// state in memory.
    pub dir: Option<PathBuf>,
    pub fsync: FsyncPolicy,
    /// A snapshot is written at least this often while commands come in (and at shutdown).
    pub snapshot_interval: Duration,
    /// ... and after this many journal records, so that start-up never replays more.
    pub snapshot_records: u64,
    /// How many days conversation records (which hold the transcripts) are kept after the day
    /// they ended on; `None`: for ever. Never 0.
    pub transcript_retention_days: Option<u32>,
}

impl Default for StorageConfig {
    fn default() -> StorageConfig {
        StorageConfig {
            journal: true,
            dir: None,
            fsync: FsyncPolicy::Always,
            snapshot_interval: Duration::from_secs(300),
            snapshot_records: 100_000,
            transcript_retention_days: None,
        }
    }
}

impl StorageConfig {
    /// Where the journal is kept, if anywhere.
    pub fn journal_dir(&self) -> Option<&Path> {
        self.dir.as_deref().filter(|_| self.journal)
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawStorage {
    journal: Option<bool>,
    dir: Option<PathBuf>,
    fsync: Option<FsyncPolicy>,
    snapshot_interval_secs: Option<Seconds>,
    snapshot_records: Option<Count>,
    transcript_retention_days: Option<Count>,
}

pub(super) fn build_storage(at: &FieldPath, raw: RawStorage) -> Result<StorageConfig, Problem> {
    let defaults = StorageConfig::default();
    if raw
        .dir
        .as_ref()
        .is_some_and(|dir| dir.as_os_str().is_empty())
    {
        return Err(problem(
            at.key("dir"),
            "an empty path; leave the key out for the default data directory",
        ));
    }
    let snapshot_interval = raw
        .snapshot_interval_secs
        .map_or(defaults.snapshot_interval, |s| Duration::from_secs(s.0));
    if snapshot_interval.is_zero() {
        return Err(problem(
            at.key("snapshot_interval_secs"),
            "must be at least 1 second",
        ));
    }
    let snapshot_records = raw
        .snapshot_records
        .map_or(defaults.snapshot_records, |n| u64::from(n.0));
    if snapshot_records < 1_000 {
        return Err(problem(
            at.key("snapshot_records"),
            "must be at least 1000 (a snapshot per handful of commands would cost more than it saves)",
        ));
    }
    let transcript_retention_days = raw.transcript_retention_days.map(|days| days.0);
    if transcript_retention_days == Some(0) {
        return Err(problem(
            at.key("transcript_retention_days"),
            "must be at least 1 day; leave the key out to keep conversation records for ever",
        ));
    }
    Ok(StorageConfig {
        journal: raw.journal.unwrap_or(defaults.journal),
        dir: raw.dir,
        fsync: raw.fsync.unwrap_or(defaults.fsync),
        snapshot_interval,
        snapshot_records,
        transcript_retention_days,
    })
}

/// The data directory when `[storage] dir` is not set: systemd's `$STATE_DIRECTORY` (a unit
/// with `StateDirectory=acdhub`), else `$XDG_STATE_HOME/acdhub`, else
/// `~/.local/state/acdhub`: the same place on every start, writable without root.
pub fn default_data_dir() -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(dir) = var("STATE_DIRECTORY") {
        // systemd may list several, separated by colons; the first is ours.
        let first = dir
            .to_string_lossy()
            .split(':')
            .next()
            .unwrap_or("")
            .to_owned();
        return Some(PathBuf::from(first));
    }
    if let Some(state) = var("XDG_STATE_HOME") {
        return Some(PathBuf::from(state).join("acdhub"));
    }
    var("HOME").map(|home| PathBuf::from(home).join(".local/state/acdhub"))
}
