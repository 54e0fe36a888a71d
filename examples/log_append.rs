//! How fast a tenant's log on a NATS JetStream cluster (`acdhub::cluster`, issue 17) takes
//! records the size of the engine's groups: GROUP commands (`acdhub::server::Record`s of a
//! ready, a not-ready, an accept and a hang-up, about 100 bytes each) encoded as one record,
//! appended one after another (each waits for its acknowledgement), then from INFLIGHT tasks at
//! once. Prints records/s, commands/s and the acknowledgement's latency.
//!
//! ```sh
//! cargo build --release --example log_append
//! # URLS: the cluster's servers, comma-separated; RECORDS per run (default 2000); the
//! # tenant's stream is made with REPLICAS (default 3) and deleted at the end.
//! target/release/examples/log_append nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use acdhub::acd::{self, AgentId, CallId, ReasonCode, RequestedState};
use acdhub::cluster::{Cluster, ClusterOptions, TenantLog, stream_name};
use acdhub::server::{Entry, Record};
use bytes::Bytes;

const GROUPS: [usize; 4] = [1, 16, 128, 512];
const INFLIGHT: usize = 16;

fn command(n: usize) -> acd::Command {
    let agent = AgentId::from(format!("a{}", n % 10_000).as_str());
    match n % 4 {
        0 => acd::Command::SetState {
            agent,
            state: RequestedState::Ready,
        },
        1 => acd::Command::SetState {
            agent,
            state: RequestedState::NotReady {
                reason: ReasonCode::from("break"),
            },
        },
        2 => acd::Command::Accept {
            agent,
            call: CallId::from(format!("pbx-1700000000.{n}").as_str()),
        },
        _ => acd::Command::Hangup {
            agent,
            call: CallId::from(format!("pbx-1700000000.{n}").as_str()),
        },
    }
}

/// GROUP commands as one record's bytes: a JSON array of the engine's journal records.
fn group(size: usize, first: usize) -> Bytes {
    let at = wall_clock();
    let records: Vec<Record> = (first..first + size)
        .map(|n| Record {
            at,
            entry: Entry::Command(command(n)),
        })
        .collect();
    Bytes::from(serde_json::to_vec(&records).expect("records serialize"))
}

/// The clock this tool measures with.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// The instant the records carry, as the engine's would.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Appends `records` records of `size` commands from `tasks` tasks at once; prints the figures.
async fn run(log: Arc<TenantLog>, size: usize, records: usize, tasks: usize, label: &str) {
    let payloads: Arc<Vec<Bytes>> = Arc::new((0..records).map(|r| group(size, r * size)).collect());
    let bytes = payloads[0].len();
    let started = now();
    let mut handles = Vec::new();
    for task in 0..tasks {
        let (log, payloads, label) = (log.clone(), payloads.clone(), label.to_owned());
        handles.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for r in (task..payloads.len()).step_by(tasks) {
                let sent = now();
                log.append(&format!("{label}-{size}-{r}"), payloads[r].clone())
                    .await
                    .expect("the log takes the record");
                latencies.push(sent.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for handle in handles {
        latencies.extend(handle.await.expect("the task ends"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    println!(
        "| {label} | {size} | {bytes} | {:.0} | {:.0} | {:.2} | {:.2} |",
        records as f64 / elapsed,
        (records * size) as f64 / elapsed,
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
    );
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let urls: Vec<String> = args
        .next()
        .expect("URLS: the NATS servers, comma-separated")
        .split(',')
        .map(str::to_owned)
        .collect();
    let records: usize = args.next().map_or(2000, |a| a.parse().expect("RECORDS"));
    let replicas: usize = args.next().map_or(3, |a| a.parse().expect("REPLICAS"));
    let cluster = Cluster::connect(ClusterOptions {
        urls: urls.clone(),
        node: "log_append".to_owned(),
        replicas,
        request_timeout: Duration::from_secs(5),
    })
    .await
    .expect("a NATS server answers");
    let tenant = format!("bench{}", std::process::id());
    let log = Arc::new(
        cluster
            .tenant_log(&tenant, Duration::from_secs(10))
            .await
            .expect("the tenant's stream"),
    );
    println!(
        "| appends | commands a record | bytes a record | records/s | commands/s | ack p50 ms | ack p99 ms |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for size in GROUPS {
        let count = (records / size.max(1)).clamp(200, records);
        run(log.clone(), size, count, 1, "one at a time").await;
        run(log.clone(), size, count, INFLIGHT, "16 at once").await;
    }
    let client = async_nats::connect(urls.as_slice())
        .await
        .expect("a server");
    let _ = async_nats::jetstream::new(client)
        .delete_stream(stream_name(&tenant))
        .await;
}
