//! A fixed amount of routing work, for measurements that criterion's wall time cannot give on a
//! shared machine: instructions and cache misses per command under cachegrind, or CPU time.
//!
//! ```sh
//! cargo build --release --example routing_load
//! # AGENTS COMMANDS [setup-only]: run once with and once without `setup-only`, subtract.
//! valgrind --tool=cachegrind --cache-sim=yes target/release/examples/routing_load 10000 1000000
//! # AGENTS COMMANDS journal GROUP: every command also journaled as the server's engine does
//! # (groups of GROUP, `Fsync::Never`: cachegrind sees no system call's work anyway), in
//! # target/routing_load_journal; run from the repository root.
//! valgrind --tool=cachegrind target/release/examples/routing_load 10000 1000000 journal 512
//! ```

#[path = "../benches/support/load.rs"]
mod load;

use acdhub::journal::{Fsync, Journal, JournalOptions};

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: routing_load AGENTS COMMANDS [setup-only | journal GROUP]";
    let agents: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let commands: u64 = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let mut load = load::Load::new(agents);
    match args.next().as_deref() {
        Some("setup-only") => return,
        Some("journal") => {
            let group: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
            let dir = std::path::Path::new("target/routing_load_journal");
            let _ = std::fs::remove_dir_all(dir);
            let options = JournalOptions {
                fsync: Fsync::Never,
                ..JournalOptions::default()
            };
            let (mut journal, _) = Journal::open(dir, options).expect("a new journal");
            let mut done = 0;
            while done < commands {
                let size = group.min((commands - done) as usize);
                load.step_journaled(&mut journal, size);
                done += size as u64;
            }
        }
        _ => {
            for _ in 0..commands {
                load.step();
            }
        }
    }
    let answered = load.acd.tenant_stats().stats.lifetime.answered;
    println!("{agents} agents, {commands} commands, {answered} calls answered");
}
