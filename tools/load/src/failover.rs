//! `acdhub-load failover`: how long a cluster node's clients take to be live on another node
//! after it dies. N agents sign in at the first `--url` (node A), log in and go ready; the tool
//! then kills node A itself (SIGKILL to `--kill-pid`, so that the instant of death is known to
//! the tool's clock) and each agent, when its connection drops, connects to another `--url`
//! (agent I to the (I mod (K-1))+1-th of the K URLs, then the ones after it in turn) and signs
//! in again with the token it had. An agent is live when that `auth` is acknowledged; the
//! sample is the time from just before the kill to that acknowledgement. The tool then sends
//! `ready` and times its answer too (a command through the new node and the tenant's log).
//! One run is one kill; `tools/load/failover.sh` repeats it, restarting the node in between.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::StreamExt;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken as Stop;

use crate::agents::{SignInArgs, open_agent, read_tokens, write_tokens};
use crate::client::{self, Credentials, Endings, Socket, Target};
use crate::clock;
use crate::histogram::Histogram;
use crate::report::Report;
use crate::usage::{raise_open_files, round3};

#[derive(Debug, Args)]
pub struct FailoverArgs {
    /// The nodes' WebSocket URLs, at least two: the agents start on the first (the node
    /// killed) and move to the others.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// The process of the first URL's node: the tool kills it with SIGKILL.
    #[arg(long)]
    kill_pid: u32,
    #[command(flatten)]
    sign_in: SignInArgs,
    /// Seconds between the last agent ready and the kill.
    #[arg(long, default_value_t = 2)]
    settle_secs: u64,
    /// How long an agent keeps trying the other nodes before the run calls it a failure.
    #[arg(long, default_value_t = 60)]
    patience_secs: u64,
    /// Pause between two connection attempts of one agent (all nodes tried once between).
    #[arg(long, default_value_t = 50)]
    retry_ms: u64,
}

/// What one agent's move took, ns after the kill (`live` and `ready` absent if it never got
/// there).
struct Moved {
    dropped: Option<u64>,
    live: Option<u64>,
    ready: Option<u64>,
    attempts: u32,
    failure: Option<String>,
}

struct Shared {
    /// The instant just before the kill, ns after `base` (0 before it).
    killed_at: AtomicU64,
    base: Instant,
    endings: Endings,
}

impl Shared {
    fn since_kill(&self) -> u64 {
        let now = self.base.elapsed().as_nanos() as u64;
        now.saturating_sub(self.killed_at.load(Ordering::Acquire))
    }
}

pub async fn run(args: FailoverArgs) -> Result<(), String> {
    let sign_in = &args.sign_in;
    if args.url.len() < 2 || sign_in.agents == 0 || sign_in.batch == 0 {
        return Err("give at least two --url, and --agents and --batch of at least 1".to_owned());
    }
    let targets = Target::parse_all(&args.url)?;
    let mut report = Report::new(
        "failover",
        json!({
            "url": args.url, "kill_pid": args.kill_pid, "agents": sign_in.agents,
            "settle_s": args.settle_secs, "retry_ms": args.retry_ms,
        }),
    );
    raise_open_files(sign_in.agents as u64 * 2 + 64);
    let mut tokens = read_tokens(sign_in.token_cache.as_ref());
    let shared = Arc::new(Shared {
        killed_at: AtomicU64::new(0),
        base: clock::monotonic(),
        endings: Endings::default(),
    });
    let armed = Stop::default();
    let (moved_tx, mut moved_rx) = mpsc::unbounded_channel::<Moved>();

    let started = clock::monotonic();
    let mut held = JoinSet::new();
    let open = |index: usize| {
        let signed_in = open_agent(index, &sign_in.password, &tokens, targets[0].clone());
        async move {
            let (socket, (user, token)) = signed_in.await?;
            Ok(((index, socket, token.clone()), (user, token)))
        }
    };
    let work = {
        let (targets, shared, armed) = (targets.clone(), shared.clone(), armed.clone());
        let patience = Duration::from_secs(args.patience_secs);
        let retry = Duration::from_millis(args.retry_ms);
        move |(index, socket, token): (usize, Socket, String)| {
            let (targets, shared, armed, moved) = (
                targets.clone(),
                shared.clone(),
                armed.clone(),
                moved_tx.clone(),
            );
            async move {
                let others: Vec<Arc<Target>> = (0..targets.len() - 1)
                    .map(|k| targets[1 + (index + k) % (targets.len() - 1)].clone())
                    .collect();
                let result =
                    move_agent(socket, token, &others, &shared, &armed, patience, retry).await;
                let _ = moved.send(result);
            }
        }
    };
    let signed_in =
        client::open_in_batches(sign_in.agents, sign_in.batch, &mut held, open, work).await?;
    let sign_in_s = started.elapsed().as_secs_f64();
    tokens.extend(signed_in);
    write_tokens(sign_in.token_cache.as_ref(), &tokens)?;
    eprintln!(
        "{} agents ready at {} in {sign_in_s:.1} s; killing pid {} in {} s",
        sign_in.agents, args.url[0], args.kill_pid, args.settle_secs
    );
    armed.cancel();
    tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;

    let pid = rustix::process::Pid::from_raw(args.kill_pid as i32)
        .ok_or_else(|| format!("{}: not a pid", args.kill_pid))?;
    shared.killed_at.store(
        shared.base.elapsed().as_nanos().max(1) as u64,
        Ordering::Release,
    );
    rustix::process::kill_process(pid, rustix::process::Signal::KILL)
        .map_err(|e| format!("kill -9 {}: {e}", args.kill_pid))?;

    let mut results = Vec::with_capacity(sign_in.agents);
    while results.len() < sign_in.agents {
        match moved_rx.recv().await {
            Some(moved) => results.push(moved),
            None => break,
        }
    }
    let (dropped, live, ready) = (
        Histogram::default(),
        Histogram::default(),
        Histogram::default(),
    );
    let mut failures = Vec::new();
    let mut attempts = 0u64;
    let mut samples: Vec<f64> = Vec::with_capacity(results.len());
    for moved in &results {
        attempts += u64::from(moved.attempts);
        if let Some(ns) = moved.dropped {
            dropped.record(ns);
        }
        if let Some(ns) = moved.live {
            live.record(ns);
            samples.push(round3(ns as f64 / 1e6));
        }
        if let Some(ns) = moved.ready {
            ready.record(ns);
        }
        if let Some(failure) = &moved.failure
            && failures.len() < 10
        {
            failures.push(failure.clone());
        }
    }
    samples.sort_by(f64::total_cmp);
    report.figure("agents_live_again", live.count());
    report.figure("live_after_kill", live.summary_ms());
    report.figure("drop_seen_after_kill", dropped.summary_ms());
    report.figure("ready_answered_after_kill", ready.summary_ms());
    report.figure("connection_attempts", attempts);
    report.figure("failures", json!(failures));
    report.figure("connections_ended_early", shared.endings.json());
    report.figure("sign_in_s", round3(sign_in_s));
    report.figure("live_after_kill_samples_ms", json!(samples));
    report.print();
    Ok(())
}

/// One agent: waits until its connection drops (after `armed`), then signs in with its token
/// at the first of `others` that takes it, and sends `ready`.
async fn move_agent(
    mut socket: Socket,
    token: String,
    others: &[Arc<Target>],
    shared: &Shared,
    armed: &Stop,
    patience: Duration,
    retry: Duration,
) -> Moved {
    let mut moved = Moved {
        dropped: None,
        live: None,
        ready: None,
        attempts: 0,
        failure: None,
    };
    // Held until the connection ends: heartbeats and events are passed over (an agent that is
    // ready and gets no calls is sent nothing it must answer).
    loop {
        let frame = socket.next().await;
        match frame {
            Some(Ok(Message::Close(_)) | Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    if !armed.is_cancelled() || shared.killed_at.load(Ordering::Acquire) == 0 {
        shared.endings.note("agent", "dropped before the kill");
    }
    moved.dropped = Some(shared.since_kill());
    drop(socket);
    let token = Credentials::Token(token);
    let deadline = clock::monotonic() + patience;
    let mut socket = 'found: loop {
        for target in others {
            moved.attempts += 1;
            let attempt = async {
                let mut socket = target.open_acdhub().await?;
                client::sign_in(&mut socket, &token).await?;
                Ok::<Socket, String>(socket)
            };
            match tokio::time::timeout(patience, attempt).await {
                Ok(Ok(socket)) => break 'found socket,
                Ok(Err(why)) => moved.failure = Some(format!("{}: {why}", target.url())),
                Err(_) => moved.failure = Some(format!("{}: no answer in time", target.url())),
            }
        }
        if clock::monotonic() >= deadline {
            return moved;
        }
        tokio::time::sleep(retry).await;
    };
    moved.live = Some(shared.since_kill());
    moved.failure = None;
    // A refusal is an answer too (the replica's state decides it), but it is reported.
    match client::request(&mut socket, json!({"id": "ready", "type": "ready"})).await {
        Ok(_) => moved.ready = Some(shared.since_kill()),
        Err(why) if why.contains(" refused: ") => {
            moved.ready = Some(shared.since_kill());
            moved.failure = Some(format!("ready after the move: {why}"));
        }
        Err(why) => moved.failure = Some(format!("ready after the move: {why}")),
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.close(None)).await;
    moved
}
