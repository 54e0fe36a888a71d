//! Journaled command throughput: the routing load of `benches/routing.rs` with every command
//! also journaled as the server journals it, side by side with the same load unjournaled.
//!
//! As the engine does (src/server/tenant/engine.rs and durable.rs; `Load::step_journaled`), a
//! group of commands is encoded as `acdhub::server::Record`s with `serde_json`, appended to a
//! real [`Journal`] as one `append_batch` (one fdatasync with `Fsync::Always`), and only then
//! applied to the core, one by one, each command's events drained. Groups of 64, 512 (the
//! engine's `GROUP_SIZE`) and 1,024 commands, the journal in a temp directory under the target
//! directory (on the disk a server would use, not a tmpfs). What the engine adds around this is left out: the hop to a
//! blocking thread for each append, the sessions and the fan-out. One iteration is the whole
//! groups covering 10,000 commands. Run: `cargo bench --bench durable`; BENCHMARKS.md has the
//! figures.

#[path = "support/load.rs"]
mod load;

use std::time::Duration;

use acdhub::journal::{Fsync, Journal, JournalOptions};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use load::Load;

const AGENTS: usize = 10_000;
const COMMANDS: usize = 10_000;

fn durable(c: &mut Criterion) {
    let mut group = c.benchmark_group("durable");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    let name = format!("{AGENTS}_agents");

    // The same load with the journal off: the routing figure, in the same run.
    let mut load = Load::new(AGENTS);
    group.throughput(Throughput::Elements(COMMANDS as u64));
    group.bench_function(format!("{name}/journal_off"), |b| {
        b.iter_batched(
            || (),
            |()| {
                for _ in 0..COMMANDS {
                    load.step();
                }
            },
            BatchSize::PerIteration,
        )
    });
    load.acd
        .check_invariants()
        .expect("the load leaves the model consistent");

    for fsync in [Fsync::Always, Fsync::Never] {
        for group_size in [64usize, 512, 1024] {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .expect("a temp directory under the target directory");
            let options = JournalOptions {
                fsync,
                ..JournalOptions::default()
            };
            let (mut journal, _) = Journal::open(dir.path(), options).expect("a new journal opens");
            let mut load = Load::new(AGENTS);
            let groups = COMMANDS.div_ceil(group_size);
            group.throughput(Throughput::Elements((groups * group_size) as u64));
            group.bench_function(format!("{name}/{fsync:?}/group_{group_size}"), |b| {
                b.iter_batched(
                    || (),
                    |()| {
                        for _ in 0..groups {
                            load.step_journaled(&mut journal, group_size);
                        }
                    },
                    BatchSize::PerIteration,
                )
            });
            load.acd
                .check_invariants()
                .expect("the load leaves the model consistent");
        }
    }
    group.finish();
}

criterion_group!(benches, durable);
criterion_main!(benches);
