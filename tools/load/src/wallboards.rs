//! `acdhub-load wallboards`: statistics fan-out. N wallboard connections (one login, a token
//! after the first sign-in) subscribe to the tenant's statistics, and a PBX connection makes
//! calls arrive at a fixed rate round robin over the queues and ends each after a wait, so
//! every queue's figures change many times per update interval and every update carries every
//! subscribed queue. Each `queue_stats` or `tenant_stats` a wallboard reads is a delivery; its
//! latency runs from the message's `at` (the server's clock when it built the update, to the
//! millisecond) to the moment the wallboard's task reads it, on this machine's clock.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::client::{self, Credentials, Endings, Socket, Target};
use crate::clock;
use crate::histogram::Histogram;
use crate::report::Report;
use crate::usage::{Usage, Window, raise_open_files, round3};

#[derive(Debug, Clone, Args)]
pub struct WallboardsArgs {
    /// The server's WebSocket URL. Given more than once (the nodes of a cluster), the
    /// wallboards are spread over them round robin.
    #[arg(long, required = true)]
    pub url: Vec<String>,
    /// Where the PBX connects (default: the first --url).
    #[arg(long)]
    pub pbx_url: Option<String>,
    /// Wallboard connections.
    #[arg(long)]
    pub subscribers: usize,
    /// Calls a second the PBX makes arrive (each queue's figures change on every arrival and
    /// every end).
    #[arg(long, default_value_t = 40)]
    pub rate: u32,
    /// How long each call waits before the PBX ends it (it is abandoned: no agent takes it).
    #[arg(long, default_value_t = 2000)]
    pub wait_ms: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// Seconds of calls before the measured ones.
    #[arg(long, default_value_t = 3)]
    pub warmup: u64,
    /// Subscribe to the first K queues only (default: every queue).
    #[arg(long, value_name = "K")]
    pub queues: Option<usize>,
    /// Subscribe without the tenant's totals (`tenant_stats`).
    #[arg(long)]
    pub no_tenant_total: bool,
    #[arg(long, default_value = "wall")]
    pub user: String,
    #[arg(long, default_value = "secret")]
    pub password: String,
    /// Connections opened at once.
    #[arg(long, default_value_t = 200)]
    pub batch: usize,
    /// The wallboards never send `seen`. By default each, like acdhub.js, sends `seen` with the
    /// last event it has at each heartbeat after events, so that its session keeps only the
    /// events since for a resume; this measures clients that do not.
    #[arg(long)]
    pub no_seen: bool,
    /// The server's process; given more than once (a cluster's nodes, its NATS servers), CPU
    /// and RSS are summed and each process's CPU is reported apart too.
    #[arg(long, required = true)]
    pub server_pid: Vec<u32>,
}

/// What the wallboards of one run count, during the measured window only.
#[derive(Default)]
struct Counts {
    measuring: AtomicBool,
    deliveries: AtomicU64,
    queue_stats: AtomicU64,
    queue_stats_bytes: AtomicU64,
    latency: Histogram,
    endings: Endings,
    refusals: AtomicU64,
    /// Whether wallboards send `seen` at heartbeats.
    seen: bool,
}

pub async fn run(args: WallboardsArgs, mode: &'static str) -> Result<(), String> {
    let n = args.subscribers;
    if n == 0 || args.rate == 0 || args.batch == 0 {
        return Err("--subscribers, --rate and --batch must be at least 1".to_owned());
    }
    let targets = Target::parse_all(&args.url)?;
    let pbx_target = match &args.pbx_url {
        Some(url) => Target::parse(url)?,
        None => targets[0].clone(),
    };
    let mut report = Report::new(
        mode,
        json!({
            "url": args.url, "pbx_url": pbx_target.url(), "server_pid": args.server_pid,
            "subscribers": n, "rate": args.rate, "wait_ms": args.wait_ms,
            "seconds": args.seconds, "warmup_s": args.warmup, "queues": args.queues,
            "tenant_total": !args.no_tenant_total, "batch": args.batch, "seen": !args.no_seen,
        }),
    );
    raise_open_files(n as u64 + 64);
    let pid = &args.server_pid[..];
    let baseline = Usage::of_all(pid)?;

    let mut pbx = pbx_target.open_acdhub().await?;
    let password = |user: &str| Credentials::Password {
        user: user.to_owned(),
        password: args.password.clone(),
    };
    let result = client::sign_in(&mut pbx, &password("pbx")).await?;
    let queues: Vec<String> = result["queues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|queue| queue["id"].as_str().map(str::to_owned))
        .collect();
    if queues.is_empty() {
        return Err("the tenant has no queues".to_owned());
    }
    let mut subscribe = json!({"id": "subscribe", "type": "subscribe"});
    if let Some(k) = args.queues {
        subscribe["queues"] = json!(queues.iter().take(k).collect::<Vec<_>>());
    }
    if args.no_tenant_total {
        subscribe["tenant_total"] = json!(false);
    }

    let counts = Arc::new(Counts {
        seen: !args.no_seen,
        ..Counts::default()
    });
    let stop = CancellationToken::new();
    let started = clock::monotonic();
    let mut held = JoinSet::new();
    subscribe_all(&args, &targets, &subscribe, &counts, &stop, &mut held).await?;
    let subscribe_s = started.elapsed().as_secs_f64();
    let subscribed = Usage::of_all(pid)?;
    eprintln!(
        "{n} wallboards subscribed in {subscribe_s:.1} s; server RSS {} kB",
        subscribed.rss_kb
    );

    let driver = tokio::spawn(drive_calls(
        pbx,
        queues,
        args.rate,
        args.wait_ms,
        stop.clone(),
        counts.clone(),
    ));
    let spent = Window::after_warmup(pid, args.warmup, args.seconds, &counts.measuring).await?;
    stop.cancel();
    let calls = driver.await.map_err(|e| e.to_string())??;

    let deliveries = counts.deliveries.load(Ordering::Relaxed);
    let queue_stats = counts.queue_stats.load(Ordering::Relaxed);
    let bytes = counts.queue_stats_bytes.load(Ordering::Relaxed);
    report.fan_out(deliveries, n, &spent, baseline, subscribed);
    report.figure(
        "queue_stats_mean_bytes",
        (queue_stats > 0).then(|| bytes / queue_stats),
    );
    report.figure("latency_from_at", counts.latency.summary_ms());
    report.figure("subscribe_s", round3(subscribe_s));
    report.figure("calls_made", calls);
    report.figure("refusals", counts.refusals.load(Ordering::Relaxed));
    report.figure("connections_ended_early", counts.endings.json());
    report.print();
    Ok(())
}

/// Opens, signs in and subscribes every wallboard (the first with the password, the rest with
/// its token), each then read by a task of `held` until `stop`.
async fn subscribe_all(
    args: &WallboardsArgs,
    targets: &[Arc<Target>],
    subscribe: &Value,
    counts: &Arc<Counts>,
    stop: &CancellationToken,
    held: &mut JoinSet<()>,
) -> Result<(), String> {
    let mut first = targets[0].open_acdhub().await?;
    let password = Credentials::Password {
        user: args.user.clone(),
        password: args.password.clone(),
    };
    let result = client::sign_in(&mut first, &password).await?;
    client::request(&mut first, subscribe.clone()).await?;
    held.spawn(read_statistics(first, counts.clone(), stop.clone()));
    let token = Credentials::Token(client::token_of(&result)?);
    // The first wallboard is on the first URL; wallboard i on URL i modulo their number.
    let open = |index: usize| {
        let target = targets[(index + 1) % targets.len()].clone();
        let (token, subscribe) = (token.clone(), subscribe.clone());
        async move {
            let mut socket = target.open_acdhub().await?;
            client::sign_in(&mut socket, &token).await?;
            client::request(&mut socket, subscribe).await?;
            Ok((socket, ()))
        }
    };
    let (counts, stop) = (counts.clone(), stop.clone());
    let read = move |socket| read_statistics(socket, counts.clone(), stop.clone());
    client::open_in_batches(args.subscribers - 1, args.batch, held, open, read).await?;
    Ok(())
}

/// One wallboard reading until `stop`: counts statistics and their latency while measuring.
async fn read_statistics(socket: Socket, counts: Arc<Counts>, stop: CancellationToken) {
    // The last event's seq read here (events come in order), and the last one told with `seen`.
    let (mut last_seq, mut told) = (0u64, 0u64);
    client::read_until(socket, stop, &counts.endings, "wallboard", |text| {
        if let Some(seq) = seq_of(text) {
            last_seq = seq;
        } else if counts.seen && last_seq > told && text.starts_with(r#"{"type":"heartbeat""#) {
            told = last_seq;
            return Some(json!({"id": format!("seen{told}"), "type": "seen", "seq": told}));
        }
        if !counts.measuring.load(Ordering::Relaxed) {
            return None;
        }
        let (kind, at) = statistics(text)?;
        counts.deliveries.fetch_add(1, Ordering::Relaxed);
        if kind == Kind::Queue {
            counts.queue_stats.fetch_add(1, Ordering::Relaxed);
            counts
                .queue_stats_bytes
                .fetch_add(text.len() as u64, Ordering::Relaxed);
        }
        if let Some(at) = clock::parse_instant_ns(at) {
            let now = clock::since_epoch().as_nanos() as u64;
            counts.latency.record(now.saturating_sub(at));
        }
        None
    })
    .await;
}

/// An event's `seq`, from the start of a message the server wrote (`{"seq":12,...`), without
/// parsing the rest.
fn seq_of(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(r#"{"seq":"#)?;
    rest[..rest.find(',')?].parse().ok()
}

#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Queue,
    Tenant,
}

/// Whether a message is `queue_stats` or `tenant_stats`, and its `at`, without parsing the
/// whole message: at tens of thousands of deliveries a second the client's CPU is the limit.
fn statistics(text: &str) -> Option<(Kind, &str)> {
    let head = &text[..text.len().min(64)];
    let kind = if head.contains("\"type\":\"queue_stats\"") {
        Kind::Queue
    } else if head.contains("\"type\":\"tenant_stats\"") {
        Kind::Tenant
    } else {
        return None;
    };
    let start = text.find("\"at\":\"")? + 6;
    let end = start + text[start..].find('"')?;
    Some((kind, &text[start..end]))
}

/// The PBX: a call arrives every 1/rate s round robin over the queues and is ended `wait_ms`
/// later; at `stop` every call still waiting is ended. Returns the calls made.
async fn drive_calls(
    mut pbx: Socket,
    queues: Vec<String>,
    rate: u32,
    wait_ms: u64,
    stop: CancellationToken,
    counts: Arc<Counts>,
) -> Result<u64, String> {
    let prefix = format!("w{}-", clock::since_epoch().as_millis());
    let wait = Duration::from_millis(wait_ms);
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut waiting: VecDeque<(tokio::time::Instant, u64)> = VecDeque::new();
    let mut made = 0u64;
    let mut id = 0u64;
    let mut message = |kind: &str, call: u64, queue: Option<&str>| {
        id += 1;
        let mut message =
            json!({"id": id.to_string(), "type": kind, "call": format!("{prefix}{call}")});
        if let Some(queue) = queue {
            message["queue"] = json!(queue);
        }
        Message::Text(message.to_string().into())
    };
    loop {
        let due = waiting.front().map(|(at, _)| *at);
        tokio::select! {
            () = stop.cancelled() => break,
            _ = tick.tick() => {
                let queue = &queues[(made % queues.len() as u64) as usize];
                pbx.send(message("call_arrived", made, Some(queue))).await.map_err(|e| format!("pbx: {e}"))?;
                waiting.push_back((tokio::time::Instant::now() + wait, made));
                made += 1;
            }
            () = clock::sleep_until(due) => {
                let (_, call) = waiting.pop_front().expect("due");
                pbx.send(message("call_ended", call, None)).await.map_err(|e| format!("pbx: {e}"))?;
            }
            frame = pbx.next() => {
                counts.endings.note_frame("pbx", &frame);
                match frame {
                    Some(Ok(Message::Text(text))) if text.as_str().contains("\"type\":\"error\"") => {
                        counts.refusals.fetch_add(1, Ordering::Relaxed);
                    }
                    Some(Ok(message)) if !message.is_close() => {}
                    _ => return Err(format!("the server ended the PBX's connection after {made} calls")),
                }
            }
        }
    }
    let ends: Vec<Value> = waiting
        .into_iter()
        .map(|(_, call)| json!({"id": format!("end{call}"), "type": "call_ended", "call": format!("{prefix}{call}")}))
        .collect();
    client::send_all_and_wait(&mut pbx, &ends).await?;
    let _ = tokio::time::timeout(Duration::from_secs(5), pbx.close(None)).await;
    Ok(made)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_kind_and_instant_of_statistics() {
        let queue =
            r#"{"seq":12,"type":"queue_stats","at":"2023-11-14T22:14:30.750Z","queue":"q0"}"#;
        assert_eq!(
            statistics(queue),
            Some((Kind::Queue, "2023-11-14T22:14:30.750Z"))
        );
        let tenant =
            r#"{"seq":13,"type":"tenant_stats","at":"2023-11-14T22:14:30.750Z","waiting":3}"#;
        assert_eq!(
            statistics(tenant),
            Some((Kind::Tenant, "2023-11-14T22:14:30.750Z"))
        );
        assert_eq!(
            statistics(r#"{"type":"heartbeat","time":"2023-11-14T22:13:30.001Z"}"#),
            None
        );
    }

    #[test]
    fn reads_an_events_seq_from_its_start() {
        assert_eq!(
            seq_of(r#"{"seq":12,"type":"queue_stats","at":"x"}"#),
            Some(12)
        );
        assert_eq!(seq_of(r#"{"type":"heartbeat","time":"x"}"#), None);
        assert_eq!(seq_of(r#"{"type":"ack","id":"seen12"}"#), None);
    }
}
