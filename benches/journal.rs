//! Journal append throughput: records per second with ~60-byte records (the size of a
//! command) in batches of 1, 64 and 1,024, with one fdatasync per batch (`Fsync::Always`)
//! and with none (`Fsync::Never`).
//!
//! The journal lives in a temp directory under the target directory, on the disk a server
//! would use (not /tmp, which may be a tmpfs that makes fdatasync free).
//! Run: `cargo bench --bench journal`.

use std::time::Duration;

use acdhub::journal::{Fsync, Journal, JournalOptions};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

/// A typical command: `{"at":1700000000123,"agent":"agent-0042","do":"ready"}` and change.
const RECORD: &[u8; 60] =
    b"{\"at\":1700000000123,\"agent\":\"agent-0042\",\"do\":\"ready\",\"q\":7}";

fn append(c: &mut Criterion) {
    let mut group = c.benchmark_group("journal_append");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(4));
    for fsync in [Fsync::Always, Fsync::Never] {
        for batch in [1usize, 64, 1024] {
            let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))
                .expect("a temp directory under the target directory");
            let options = JournalOptions {
                fsync,
                ..JournalOptions::default()
            };
            let (mut journal, _) = Journal::open(dir.path(), options).expect("a new journal opens");
            let records = vec![RECORD.to_vec(); batch];
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_function(BenchmarkId::new(format!("{fsync:?}"), batch), |b| {
                b.iter(|| journal.append_batch(&records).expect("the append succeeds"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, append);
criterion_main!(benches);
