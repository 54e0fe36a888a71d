//! How long a start takes to recover a tenant's day from its journal, and how large a snapshot
//! is: the routing load of `benches/support/load.rs` (every agent busy, N/5 calls waiting) run
//! for a day of COMMANDS commands, from the empty core on, journaled as the server journals it.
//!
//! ```sh
//! cargo build --release --example recovery_time
//! # AGENTS COMMANDS [HOURS [DIR]]: run from the repository root; the commands are spread
//! # evenly over HOURS (default 10: 36 ms apart for a million); DIR defaults to
//! # target/recovery_time
//! target/release/examples/recovery_time 1000 1000000
//! target/release/examples/recovery_time 10000 1000000 4
//! ```
//!
//! The day is spread out because a snapshot holds the rolling window's samples (two per call
//! of the last 15 minutes): at the load's own pace of 100 µs a command (2,500 calls a second)
//! the window would hold every call of the run and the snapshot would be made of them. It
//! cannot be spread too far either: an agent acts about once every 1.3 × AGENTS commands and
//! must end its wrap-up within the load's 600 s, so 10,000 agents need HOURS of about 5 or
//! less (the tool stops with "the load only sends valid commands" otherwise).
//!
//! It writes two journal directories holding the same records, in groups of 512 (the most the
//! engine takes as one group), each group encoded as `acdhub::server::Record`s and appended
//! before it is applied:
//!
//! - `snapshots/`: as a server with the default `snapshot_records` (100,000) writes it: the
//!   day's first snapshot (the empty core), then one after every 100,000 records (groups are
//!   cut there), so the newest covers all but the last 100,000 records: the longest tail a
//!   server leaves with that setting, give or take a group. Each snapshot is the state
//!   `recover_journal` rebuilds from the directory at that point, written with
//!   `write_snapshot_for_tools`: the core is deterministic, so that is the state the engine had,
//!   call records in progress included (which the load does not keep). The journal compacts as
//!   the server's does.
//! - `tail/`: only the day's first snapshot, then every record as tail.
//!
//! Then it times `acdhub::server::recover_journal` on each, twice, and `Journal::open` alone
//! (the part that reads the files and checks every CRC), checks that the recovered core is the
//! one the load ran, and prints the sizes. The files were just written, so they are read from the page cache: a
//! start after a power loss reads them from the disk first.

#[path = "../benches/support/load.rs"]
mod load;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use acdhub::acd::Acd;
use acdhub::journal::{Fsync, Journal, JournalOptions};
use acdhub::records::Records;
use acdhub::server::{Recovered, recover_journal, write_snapshot_for_tools};

/// The engine's largest group of requests (`GROUP_SIZE` in src/server/tenant/engine.rs).
const GROUP: usize = 512;
/// `[storage] snapshot_records`' default.
const SNAPSHOT_RECORDS: usize = 100_000;

/// A day journaled, and what it left.
struct Day {
    /// The load as it ended: the core the recovered ones must equal.
    load: load::Load,
    record_bytes: usize,
    /// The first snapshot's size, and the newest one's position and size.
    first_snapshot: usize,
    newest_snapshot: (u64, usize),
}

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: recovery_time AGENTS COMMANDS [HOURS [DIR]]";
    let agents: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let commands: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let hours: f64 = args.next().map_or(10.0, |a| a.parse().expect(usage));
    let root = PathBuf::from(args.next().unwrap_or_else(|| "target/recovery_time".into()));
    let _ = std::fs::remove_dir_all(&root);
    let pace = Duration::from_secs_f64(hours * 3600.0 / commands as f64);

    // The load is deterministic: both directories get the same records.
    let with_snapshots = root.join("snapshots");
    let started = now();
    let day = journal_day(&with_snapshots, agents, commands, pace, true);
    let wrote_in = started.elapsed();
    let tail_only = root.join("tail");
    journal_day(&tail_only, agents, commands, pace, false);
    let (covers, snapshot_bytes) = day.newest_snapshot;
    println!(
        "{agents} agents, {commands} commands over {hours} h ({pace:?} apart) journaled and \
         applied in {:.1} s (with the snapshots); {:.0} bytes per record on average; {} calls \
         waiting",
        wrote_in.as_secs_f64(),
        day.record_bytes as f64 / commands as f64,
        day.load.acd.tenant_stats().waiting,
    );
    println!(
        "snapshot of the empty core: {} bytes; newest snapshot: {snapshot_bytes} bytes, \
         covering {covers} of {commands} records",
        day.first_snapshot,
    );
    for (name, dir) in [("snapshots", &with_snapshots), ("tail", &tail_only)] {
        println!(
            "{name}/: {:.1} MB on disk",
            dir_bytes(dir) as f64 / 1_000_000.0
        );
        for run in 1..=2 {
            let started = now();
            let mut recovered = recover_journal(dir)
                .expect("the journal recovers")
                .expect("the journal has a day");
            let took = started.elapsed();
            recovered.records.calls.take_finished();
            recovered.records.conversations.take_finished();
            check_same(&day.load.acd, &recovered.acd);
            if run == 1 {
                println!(
                    "  the recovered state in JSON: core {} bytes, call records in progress {} \
                     bytes, configuration {} bytes",
                    json_bytes(&recovered.acd),
                    json_bytes(&recovered.records.calls),
                    json_bytes(&recovered.config),
                );
            }
            println!(
                "  recover_journal, run {run}: {:.3} s ({} records replayed after the snapshot)",
                took.as_secs_f64(),
                recovered.replayed,
            );
        }
        // The part of it that is reading the files and checking every record's CRC.
        let started = now();
        let (_journal, found) = Journal::open(dir, options()).expect("the journal opens");
        let read = started.elapsed();
        println!(
            "  of which Journal::open (read the snapshot and {} records, check their CRCs): {:.3} s",
            found.tail.len(),
            read.as_secs_f64(),
        );
    }
}

/// Journals a day of the load from the empty core on: the first snapshot, then `commands`
/// records in groups of 512, and `with_snapshots` one every 100,000 records.
fn journal_day(
    dir: &Path,
    agents: usize,
    commands: usize,
    pace: Duration,
    with_snapshots: bool,
) -> Day {
    let mut load = load::Load::unstarted(agents);
    load.pace = pace;
    let first = Recovered {
        acd: Acd::new(load::config(agents), load.acd.now()).expect("the load's core"),
        config: load::config(agents),
        simulator: None,
        records: Records::default(),
        replayed: 0,
    };
    let (mut journal, _) = Journal::open(dir, options()).expect("a new journal");
    let first_snapshot =
        write_snapshot_for_tools(&mut journal, &first).expect("the first snapshot");
    let mut newest_snapshot = (0, first_snapshot);
    let mut written = 0;
    let mut record_bytes = 0;
    while written < commands {
        let next_snapshot = (written / SNAPSHOT_RECORDS + 1) * SNAPSHOT_RECORDS;
        let size = GROUP.min(commands - written).min(next_snapshot - written);
        record_bytes += load.step_journaled(&mut journal, size);
        written += size;
        // As the engine, after the group: a snapshot once 100,000 records went by (unless it
        // would leave no tail at all).
        if with_snapshots && written == next_snapshot && written < commands {
            let bytes;
            (journal, bytes) = snapshot_now(dir, journal);
            newest_snapshot = (written as u64, bytes);
        }
    }
    Day {
        load,
        record_bytes,
        first_snapshot,
        newest_snapshot,
    }
}

fn options() -> JournalOptions {
    JournalOptions {
        // Writing speed only: recovery reads the same files either way.
        fsync: Fsync::Never,
        ..JournalOptions::default()
    }
}

/// Writes the snapshot a server would write now: the journal's day as a start recovers it.
/// Returns the journal, open again, and the snapshot's size.
fn snapshot_now(dir: &Path, journal: Journal) -> (Journal, usize) {
    // The directory's lock is the journal's: released for the recovery, taken again to write.
    drop(journal);
    let mut recovered = recover_journal(dir)
        .expect("the journal recovers")
        .expect("the journal has a day");
    // The engine writes finished records to their files before it takes a snapshot.
    recovered.records.calls.take_finished();
    recovered.records.conversations.take_finished();
    let (mut journal, _) = Journal::open(dir, options()).expect("the journal reopens");
    let bytes = write_snapshot_for_tools(&mut journal, &recovered).expect("the snapshot");
    (journal, bytes)
}

/// The recovered core is the one the load ran: every agent, every call, the figures.
fn check_same(live: &Acd, recovered: &Acd) {
    live.check_invariants()
        .expect("the live core is consistent");
    recovered
        .check_invariants()
        .expect("the recovered core is consistent");
    assert_eq!(live.now(), recovered.now(), "the same instant");
    assert_eq!(
        live.tenant_stats(),
        recovered.tenant_stats(),
        "the same figures"
    );
    assert!(
        live.agents().eq(recovered.agents()),
        "every agent in the same state"
    );
    assert!(live.calls() == recovered.calls(), "the same calls");
}

fn json_bytes(value: &impl serde::Serialize) -> usize {
    serde_json::to_vec(value).expect("serializes").len()
}

fn dir_bytes(dir: &Path) -> u64 {
    std::fs::read_dir(dir)
        .expect("the journal directory")
        .map(|entry| entry.expect("an entry").metadata().expect("its size").len())
        .sum()
}

/// The clock this tool measures with.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}
