//! Routing throughput of the ACD core: commands per second on one core.
//!
//! The load (see `support/load.rs`) at 1,000, 10,000 and 100,000 agents shows whether a routing
//! decision's cost grows with the number of agents; the mixed variants route chats beside the
//! calls. Run: `cargo bench --bench routing`.

#[path = "support/load.rs"]
mod load;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use load::Load;

const BATCH: u64 = 10_000;

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing");
    group.throughput(Throughput::Elements(BATCH));
    group.sample_size(20);
    let mut measure = |name: String, mut load: Load| {
        group.bench_function(name, |b| {
            b.iter_batched(
                || (),
                |()| {
                    for _ in 0..BATCH {
                        load.step();
                    }
                },
                BatchSize::PerIteration,
            )
        });
        load.acd
            .check_invariants()
            .expect("the load leaves the model consistent");
    };
    for agents in [1_000, 10_000, 100_000] {
        let name = format!("{agents}_agents_{}_queues", agents / 50);
        measure(name, Load::new(agents));
    }
    // The same contact center with a chat queue beside each voice queue, every other arrival a
    // chat and each agent holding up to three: against the voice-only figure above.
    for agents in [1_000, 10_000] {
        let name = format!("{agents}_agents_mixed_voice_and_chat");
        measure(name, Load::new_with(load::mixed_config(agents)));
    }
    // The chats in the voice queues themselves, a chat lane beside each queue's calls.
    for agents in [1_000, 10_000] {
        let name = format!("{agents}_agents_lanes_voice_and_chat");
        measure(name, Load::new_with(load::lanes_config(agents)));
    }
    group.finish();
}

criterion_group!(benches, routing);
criterion_main!(benches);
