//! `acdhub-load broadcast`: the plain WebSocket fan-out the acdhub figures are compared with.
//! `--protocol plain` connects N clients to the node peer (tools/load/node-peer/peer.mjs, the
//! `ws` 8 library; no sign-in, no subprotocol) and counts what they receive; each message
//! carries the peer's send time (`{"t":<ms since the epoch>,...}`), which gives its latency.
//! `--protocol acdhub` is the same measurement on acdhub: the `wallboards` mode, the PBX at
//! `--rate`, so the server's `stats_updates_per_sec` (up to 50) is what caps it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use clap::{Args, ValueEnum};
use serde_json::json;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::{self, Endings, Socket, Target};
use crate::clock;
use crate::histogram::Histogram;
use crate::report::Report;
use crate::usage::{Usage, Window, raise_open_files, round3};
use crate::wallboards::{self, WallboardsArgs};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Protocol {
    /// Any WebSocket server that sends `{"t":<send time, ms>,...}` messages (the node peer).
    Plain,
    /// acdhub: wallboards subscribed to statistics (see the `wallboards` mode).
    Acdhub,
}

#[derive(Debug, Args)]
pub struct BroadcastArgs {
    /// The peer's URL (ws://127.0.0.1:PORT/), or acdhub's with --protocol acdhub.
    #[arg(long)]
    url: String,
    #[arg(long)]
    subscribers: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds after every client is connected before the measured ones.
    #[arg(long, default_value_t = 3)]
    warmup: u64,
    /// The process serving the URL (the node peer prints its pid).
    #[arg(long)]
    server_pid: u32,
    #[arg(long, value_enum, default_value = "plain")]
    protocol: Protocol,
    /// Connections opened at once.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// acdhub only: calls a second the PBX makes arrive.
    #[arg(long, default_value_t = 1000)]
    rate: u32,
    /// acdhub only: the password of `wall` and `pbx`.
    #[arg(long, default_value = "secret")]
    password: String,
}

pub async fn run(args: BroadcastArgs) -> Result<(), String> {
    if args.protocol == Protocol::Acdhub {
        let wallboards = WallboardsArgs {
            url: vec![args.url],
            pbx_url: None,
            subscribers: args.subscribers,
            rate: args.rate,
            wait_ms: 2000,
            seconds: args.seconds,
            warmup: args.warmup,
            queues: None,
            no_tenant_total: false,
            user: "wall".to_owned(),
            password: args.password,
            batch: args.batch,
            // The Node peer sends no heartbeats; acdhub's wallboards answer its own.
            no_seen: false,
            server_pid: vec![args.server_pid],
        };
        return wallboards::run(wallboards, "broadcast-acdhub").await;
    }
    let n = args.subscribers;
    if n == 0 || args.batch == 0 {
        return Err("--subscribers and --batch must be at least 1".to_owned());
    }
    let target = Target::parse(&args.url)?;
    let mut report = Report::new(
        "broadcast-plain",
        json!({
            "url": args.url, "subscribers": n, "seconds": args.seconds, "warmup_s": args.warmup,
            "batch": args.batch,
        }),
    );
    raise_open_files(n as u64 + 64);
    let pid = args.server_pid;
    let baseline = Usage::of(pid)?;
    let counts = Arc::new(Counts::default());
    let stop = CancellationToken::new();
    let started = clock::monotonic();
    let mut held = JoinSet::new();
    connect_all(&target, n, args.batch, &counts, &stop, &mut held).await?;
    let connect_s = started.elapsed().as_secs_f64();
    let connected = Usage::of(pid)?;
    eprintln!(
        "{n} clients connected in {connect_s:.1} s; peer RSS {} kB",
        connected.rss_kb
    );

    let spent = Window::after_warmup(&[pid], args.warmup, args.seconds, &counts.measuring).await?;
    stop.cancel();

    let deliveries = counts.deliveries.load(Ordering::Relaxed);
    let bytes = counts.bytes.load(Ordering::Relaxed);
    report.fan_out(deliveries, n, &spent, baseline, connected);
    report.figure("mean_bytes", (deliveries > 0).then(|| bytes / deliveries));
    report.figure("latency_from_send_time", counts.latency.summary_ms());
    report.figure("connect_s", round3(connect_s));
    report.figure("connections_ended_early", counts.endings.json());
    report.print();
    Ok(())
}

#[derive(Default)]
struct Counts {
    measuring: AtomicBool,
    deliveries: AtomicU64,
    bytes: AtomicU64,
    latency: Histogram,
    endings: Endings,
}

/// Connects `n` clients, `batch` at a time, each read by a task of `held` until `stop`.
async fn connect_all(
    target: &Arc<Target>,
    n: usize,
    batch: usize,
    counts: &Arc<Counts>,
    stop: &CancellationToken,
    held: &mut JoinSet<()>,
) -> Result<(), String> {
    let open = |_| {
        let target = target.clone();
        async move { Ok((target.open(None).await?, ())) }
    };
    let (counts, stop) = (counts.clone(), stop.clone());
    let read = move |socket| read_messages(socket, counts.clone(), stop.clone());
    client::open_in_batches(n, batch, held, open, read).await?;
    Ok(())
}

async fn read_messages(socket: Socket, counts: Arc<Counts>, stop: CancellationToken) {
    client::read_until(socket, stop, &counts.endings, "client", |text| {
        if !counts.measuring.load(Ordering::Relaxed) {
            return None;
        }
        counts.deliveries.fetch_add(1, Ordering::Relaxed);
        counts.bytes.fetch_add(text.len() as u64, Ordering::Relaxed);
        if let Some(sent_ms) = send_time_ms(text) {
            let now_ms = clock::since_epoch().as_secs_f64() * 1000.0;
            counts
                .latency
                .record(((now_ms - sent_ms).max(0.0) * 1e6) as u64);
        }
        None
    })
    .await;
}

/// The peer's send time from a message that starts `{"t":1700000000123.456,`.
fn send_time_ms(text: &str) -> Option<f64> {
    let rest = text.strip_prefix("{\"t\":")?;
    rest[..rest.find(',')?].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_peers_send_time() {
        assert_eq!(
            send_time_ms(r#"{"t":1700000000123.5,"n":1,"pad":"xx"}"#),
            Some(1700000000123.5)
        );
        assert_eq!(send_time_ms(r#"{"type":"hello"}"#), None);
    }
}
