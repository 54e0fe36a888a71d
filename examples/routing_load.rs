//! A fixed amount of routing work, for measurements that criterion's wall time cannot give on a
//! shared machine: instructions and cache misses per command under cachegrind, or CPU time.
//!
//! ```sh
//! cargo build --release --example routing_load
//! # AGENTS COMMANDS [setup-only]: run once with and once without `setup-only`, subtract.
//! valgrind --tool=cachegrind --cache-sim=yes target/release/examples/routing_load 10000 1000000
//! ```

#[path = "../benches/support/load.rs"]
mod load;

fn main() {
    let mut args = std::env::args().skip(1);
    let usage = "usage: routing_load AGENTS COMMANDS [setup-only]";
    let agents: usize = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let commands: u64 = args.next().and_then(|a| a.parse().ok()).expect(usage);
    let mut load = load::Load::new(agents);
    if args.next().as_deref() == Some("setup-only") {
        return;
    }
    for _ in 0..commands {
        load.step();
    }
    let answered = load.acd.tenant_stats().stats.lifetime.answered;
    println!("{agents} agents, {commands} commands, {answered} calls answered");
}
