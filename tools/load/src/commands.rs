//! `acdhub-load commands`: command throughput of one tenant. N agents sign in (spread over the
//! `--url`s round robin), log in and go ready; then each sends `not_ready` (reason `break`)
//! and `ready` in turn, the next as soon as the server answers the last (`--in-flight` K keeps
//! K unanswered per agent), for `--warmup` then `--seconds` seconds. Every command is a state
//! change the tenant's engine applies (and, with a journal or a cluster, writes before it
//! answers), so the answers per second are what one tenant takes. A command's latency runs from
//! just before it is written to the moment its agent's task reads the answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken as Stop;

use crate::agents::{SignInArgs, open_agent, read_tokens, write_tokens};
use crate::client::{self, Endings, Socket, Target};
use crate::clock;
use crate::histogram::Histogram;
use crate::report::Report;
use crate::usage::{Usage, Window, raise_open_files, round3};

#[derive(Debug, Args)]
pub struct CommandsArgs {
    /// The server's WebSocket URL. Given more than once (the nodes of a cluster), agent `aI`
    /// connects to URL I modulo their number.
    #[arg(long, required = true)]
    url: Vec<String>,
    #[command(flatten)]
    sign_in: SignInArgs,
    /// Commands each agent keeps unanswered at once.
    #[arg(long, default_value_t = 1)]
    in_flight: usize,
    /// Seconds measured.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds of commands before the measured ones.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    /// The server's process; given more than once (a cluster's nodes, its NATS servers), CPU
    /// and RSS are summed and each process's CPU is reported apart too.
    #[arg(long, required = true)]
    server_pid: Vec<u32>,
}

/// What the agents of one run count, in the measured window only (by when an answer is read).
struct Counts {
    base: Instant,
    measuring: AtomicBool,
    answered: AtomicU64,
    refused: AtomicU64,
    sent: AtomicU64,
    latency: Histogram,
    first_refusals: std::sync::Mutex<Vec<String>>,
    endings: Endings,
}

pub async fn run(args: CommandsArgs) -> Result<(), String> {
    let sign_in = &args.sign_in;
    if sign_in.agents == 0 || args.in_flight == 0 || sign_in.batch == 0 {
        return Err("--agents, --in-flight and --batch must be at least 1".to_owned());
    }
    let targets = Target::parse_all(&args.url)?;
    let mut report = Report::new(
        "commands",
        json!({
            "url": args.url, "server_pid": args.server_pid, "agents": sign_in.agents,
            "in_flight": args.in_flight, "seconds": args.seconds, "warmup_s": args.warmup,
            "batch": sign_in.batch,
        }),
    );
    raise_open_files(sign_in.agents as u64 + 64);
    let pids = &args.server_pid[..];
    let mut tokens = read_tokens(sign_in.token_cache.as_ref());
    let counts = Arc::new(Counts {
        base: clock::monotonic(),
        measuring: AtomicBool::new(false),
        answered: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        sent: AtomicU64::new(0),
        latency: Histogram::default(),
        first_refusals: std::sync::Mutex::new(Vec::new()),
        endings: Endings::default(),
    });
    let stop = Stop::default();
    let go = Stop::default();

    let started = clock::monotonic();
    let mut held = JoinSet::new();
    let open = |index: usize| {
        let target = targets[index % targets.len()].clone();
        open_agent(index, &sign_in.password, &tokens, target)
    };
    let work = {
        let (counts, stop, go, in_flight) =
            (counts.clone(), stop.clone(), go.clone(), args.in_flight);
        move |socket| command_loop(socket, counts.clone(), stop.clone(), go.clone(), in_flight)
    };
    let signed_in =
        client::open_in_batches(sign_in.agents, sign_in.batch, &mut held, open, work).await?;
    let sign_in_s = started.elapsed().as_secs_f64();
    tokens.extend(signed_in);
    write_tokens(sign_in.token_cache.as_ref(), &tokens)?;
    let ready = Usage::of_all(pids)?;
    eprintln!(
        "{} agents ready in {sign_in_s:.1} s; {} commands in flight each",
        sign_in.agents, args.in_flight
    );

    go.cancel();
    tokio::time::sleep(Duration::from_secs(args.warmup)).await;
    let window = Window::start(pids)?;
    let sent_before = counts.sent.load(Ordering::Relaxed);
    counts.measuring.store(true, Ordering::Release);
    tokio::time::sleep(Duration::from_secs(args.seconds)).await;
    counts.measuring.store(false, Ordering::Release);
    let spent = window.finish()?;
    let sent = counts.sent.load(Ordering::Relaxed) - sent_before;
    stop.cancel();
    while held.join_next().await.is_some() {}

    let answered = counts.answered.load(Ordering::Relaxed);
    let refused = counts.refused.load(Ordering::Relaxed);
    report.figure("commands_sent_in_window", sent);
    report.figure("commands_acknowledged", answered);
    report.figure("commands_refused", refused);
    report.figure(
        "acknowledged_per_s",
        round3(answered as f64 / spent.seconds),
    );
    report.figure("latency", counts.latency.summary_ms());
    report.figure(
        "first_refusals",
        json!(*counts.first_refusals.lock().expect("not poisoned")),
    );
    report.figure("connections_ended_early", counts.endings.json());
    report.figure("sign_in_s", round3(sign_in_s));
    report.figure("server_rss_ready_kb", ready.rss_kb);
    report.figure(
        "server_cpu_s_per_1000_commands",
        spent.server_cpu_per(answered, 1000.0),
    );
    report.figure("window", spent.json());
    report.print();
    Ok(())
}

/// One agent: once `go`, sends `not_ready` and `ready` in turn, keeping `in_flight`
/// unanswered, until `stop`; answers heartbeats with `seen` as acdhub.js does.
async fn command_loop(
    mut socket: Socket,
    counts: Arc<Counts>,
    stop: Stop,
    go: Stop,
    in_flight: usize,
) {
    tokio::select! {
        () = stop.cancelled() => return,
        () = go.cancelled() => {}
    }
    let mut next = 0u64;
    let mut waiting: HashMap<String, u64> = HashMap::new();
    let (mut last_seq, mut told) = (0u64, 0u64);
    loop {
        while waiting.len() < in_flight {
            next += 1;
            let id = next.to_string();
            let message = if next % 2 == 1 {
                json!({"id": id, "type": "not_ready", "reason": "break"})
            } else {
                json!({"id": id, "type": "ready"})
            };
            let at = counts.base.elapsed().as_nanos() as u64;
            if client::send(&mut socket, &message).await.is_err() {
                counts.endings.note("agent", "write failed");
                return;
            }
            counts.sent.fetch_add(1, Ordering::Relaxed);
            waiting.insert(id, at);
        }
        let frame = tokio::select! {
            () = stop.cancelled() => break,
            frame = socket.next() => frame,
        };
        counts.endings.note_frame("agent", &frame);
        let Some(Ok(message)) = frame else { return };
        let Message::Text(text) = message else {
            if message.is_close() {
                return;
            }
            continue;
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        if let Some(seq) = message["seq"].as_u64() {
            last_seq = seq;
        }
        match message["type"].as_str() {
            Some("heartbeat") if last_seq > told => {
                told = last_seq;
                let seen = json!({"id": format!("seen{told}"), "type": "seen", "seq": told});
                if client::send(&mut socket, &seen).await.is_err() {
                    counts.endings.note("agent", "write failed");
                    return;
                }
            }
            Some(kind @ ("ack" | "error")) => {
                let id = message["id"].as_str().unwrap_or_default();
                let Some(at) = waiting.remove(id) else {
                    continue;
                };
                if !counts.measuring.load(Ordering::Acquire) {
                    continue;
                }
                if kind == "ack" {
                    counts.answered.fetch_add(1, Ordering::Relaxed);
                    let now = counts.base.elapsed().as_nanos() as u64;
                    counts.latency.record(now.saturating_sub(at));
                } else if counts.refused.fetch_add(1, Ordering::Relaxed) < 10 {
                    let mut first = counts.first_refusals.lock().expect("not poisoned");
                    first.push(format!("{} {}", message["code"], message["message"]));
                }
            }
            _ => {}
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.close(None)).await;
}
