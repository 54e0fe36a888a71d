//! `acdhub-load idle`: the server's resident memory per idle connection, as
//! examples/idle_connections.rs measures it in-tree, against any running server. The first
//! connection signs in with the password and every other with its token; they stay open and
//! read (so the server's pings are answered) until the figures are taken. `--processes K`
//! spreads the connections over K child processes of this binary, for counts past one
//! process's descriptor limit.

use std::io::{BufRead, BufReader, Write as _};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::client::{self, Credentials, Endings, Socket, Target};
use crate::clock;
use crate::report::Report;
use crate::usage::{Usage, Window, raise_open_files, round3};

/// Where a worker process finds the token (not on its command line, which `ps` shows).
const TOKEN_VARIABLE: &str = "ACDHUB_LOAD_TOKEN";

#[derive(Debug, Args)]
pub struct IdleArgs {
    /// The server's WebSocket URL: ws://127.0.0.1:28080/ws or wss://127.0.0.1:28443/ws.
    #[arg(long)]
    url: String,
    /// Connections to open and hold.
    #[arg(long, default_value_t = 10_000)]
    connections: usize,
    #[arg(long, default_value = "wall")]
    user: String,
    #[arg(long, default_value = "secret")]
    password: String,
    /// Connections opened at once.
    #[arg(long, default_value_t = 200)]
    batch: usize,
    /// Seconds to wait, all connections open, before the first measurement.
    #[arg(long, default_value_t = 5)]
    settle: u64,
    /// Measure again this many seconds later (past the server's 25 s ping, say).
    #[arg(long)]
    hold: Option<u64>,
    /// The server's process id (/proc/PID).
    #[arg(long)]
    server_pid: u32,
    /// Child processes of this binary to spread the connections over.
    #[arg(long, default_value_t = 1)]
    processes: usize,
}

/// A child process's share (internal: run by `idle --processes`).
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[arg(long)]
    url: String,
    #[arg(long)]
    connections: usize,
    #[arg(long, default_value_t = 200)]
    batch: usize,
}

pub async fn run(args: IdleArgs) -> Result<(), String> {
    let n = args.connections;
    if n == 0 || args.batch == 0 || args.processes == 0 {
        return Err("--connections, --batch and --processes must be at least 1".to_owned());
    }
    let target = Target::parse(&args.url)?;
    let mut report = Report::new(
        "idle",
        json!({
            "url": args.url, "connections": n, "user": args.user, "batch": args.batch,
            "settle_s": args.settle, "hold_s": args.hold, "processes": args.processes,
        }),
    );
    let in_process = if args.processes == 1 { n } else { 1 };
    raise_open_files(in_process as u64 + 64);
    let pid = args.server_pid;
    let baseline = Usage::of(pid)?;
    let window = Window::start(&[pid])?;
    let endings = Arc::new(Endings::default());
    let stop = CancellationToken::new();

    // The first connection: with the password, for the token of all the others.
    let mut first = target
        .open_acdhub()
        .await
        .map_err(|e| format!("connection 1: {e}"))?;
    let password = Credentials::Password {
        user: args.user.clone(),
        password: args.password.clone(),
    };
    let result = client::sign_in(&mut first, &password)
        .await
        .map_err(|e| format!("connection 1: {e}"))?;
    let token = client::token_of(&result)?;
    let mut held = JoinSet::new();
    held.spawn(idle(first, stop.clone(), endings.clone()));
    let after_first = Usage::of(pid)?;
    eprintln!(
        "baseline {} kB, after the first sign-in {} kB",
        baseline.rss_kb, after_first.rss_kb
    );

    let started = clock::monotonic();
    let mut workers = Vec::new();
    if args.processes == 1 {
        let credentials = Credentials::Token(token);
        hold_many(
            &target,
            &credentials,
            n - 1,
            args.batch,
            &stop,
            &endings,
            &mut held,
        )
        .await?;
    } else {
        workers = start_workers(&args, &token)?;
    }
    let open_s = started.elapsed().as_secs_f64();
    eprintln!("{n} connections open in {open_s:.1} s");
    let opening = window.finish()?;

    tokio::time::sleep(Duration::from_secs(args.settle)).await;
    let mut readings = vec![(args.settle, Usage::of(pid)?)];
    if let Some(hold) = args.hold {
        tokio::time::sleep(Duration::from_secs(hold)).await;
        readings.push((args.settle + hold, Usage::of(pid)?));
    }
    let own = Usage::own();
    let per = |from: u64, to: u64, count: usize| round3((to as f64 - from as f64) / count as f64);
    let measurements: Vec<Value> = readings
        .iter()
        .map(|(idle_s, loaded)| {
            json!({
                "idle_s": idle_s,
                "server_rss_kb": loaded.rss_kb,
                "kib_per_connection": per(baseline.rss_kb, loaded.rss_kb, n),
                "kib_per_connection_after_first": per(after_first.rss_kb, loaded.rss_kb, n - 1),
            })
        })
        .collect();
    let last = readings.last().expect("one reading").1;

    stop.cancel();
    let workers_figures = stop_workers(workers)?;
    let closing = async { while held.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(30), closing).await;

    let mut own_cpu_s = opening.own_cpu_s;
    let mut client_rss_kb = own.rss_kb;
    for worker in &workers_figures {
        own_cpu_s += worker["own_cpu_s"].as_f64().unwrap_or(0.0);
        client_rss_kb += worker["own_rss_kb"].as_u64().unwrap_or(0);
        for (how, count) in worker["endings"].as_object().into_iter().flatten() {
            for _ in 0..count.as_u64().unwrap_or(0) {
                endings.note("worker", how);
            }
        }
    }
    report.figure(
        "transport",
        if args.url.starts_with("wss") {
            "wss"
        } else {
            "ws"
        },
    );
    report.figure("server_rss_baseline_kb", baseline.rss_kb);
    report.figure("server_rss_after_first_kb", after_first.rss_kb);
    report.figure("server_rss_loaded_kb", last.rss_kb);
    report.figure("kib_per_connection", per(baseline.rss_kb, last.rss_kb, n));
    report.figure("measurements", measurements);
    report.figure("open_s", round3(open_s));
    report.figure("server_cpu_s_opening", round3(opening.server_cpu_s));
    report.figure("client_cpu_s_opening", round3(own_cpu_s));
    report.figure("client_rss_kb", client_rss_kb);
    report.figure("connections_ended_early", endings.json());
    report.print();
    Ok(())
}

/// Opens `count` connections signed in with `credentials`, each held by a task in `held`
/// (reading, so the server's pings are answered) until `stop`.
async fn hold_many(
    target: &Arc<Target>,
    credentials: &Credentials,
    count: usize,
    batch: usize,
    stop: &CancellationToken,
    endings: &Arc<Endings>,
    held: &mut JoinSet<()>,
) -> Result<(), String> {
    let open = |_| {
        let (target, credentials) = (target.clone(), credentials.clone());
        async move {
            let mut socket = target.open_acdhub().await?;
            client::sign_in(&mut socket, &credentials).await?;
            Ok((socket, ()))
        }
    };
    let (stop, endings) = (stop.clone(), endings.clone());
    let hold = move |socket| idle(socket, stop.clone(), endings.clone());
    client::open_in_batches(count, batch, held, open, hold).await?;
    Ok(())
}

async fn idle(socket: Socket, stop: CancellationToken, endings: Arc<Endings>) {
    client::read_until(socket, stop, &endings, "idle", |_| None).await;
}

/// A worker: its child process, and the pipe it reports on.
struct Worker {
    child: Child,
    lines: BufReader<ChildStdout>,
}

/// Starts the child processes, each with its share, and waits until every one has its
/// connections open.
fn start_workers(args: &IdleArgs, token: &str) -> Result<Vec<Worker>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let rest = args.connections - 1;
    let mut workers = Vec::new();
    for index in 0..args.processes {
        let share = rest / args.processes + usize::from(index < rest % args.processes);
        let mut child = Command::new(&exe)
            .args(["idle-worker", "--url", &args.url])
            .args([
                "--connections",
                &share.to_string(),
                "--batch",
                &args.batch.to_string(),
            ])
            .env(TOKEN_VARIABLE, token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", exe.display()))?;
        let lines = BufReader::new(child.stdout.take().expect("piped"));
        workers.push(Worker { child, lines });
    }
    for (index, worker) in workers.iter_mut().enumerate() {
        let mut line = String::new();
        worker
            .lines
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        if !line.starts_with("opened") {
            return Err(format!("worker {index}: {}", line.trim()));
        }
        eprintln!("  worker {index}: {}", line.trim());
    }
    Ok(workers)
}

/// Tells every worker to close its connections (its standard input ends) and returns what
/// each reported.
fn stop_workers(workers: Vec<Worker>) -> Result<Vec<Value>, String> {
    let mut figures = Vec::new();
    for mut worker in workers {
        drop(worker.child.stdin.take());
        let mut line = String::new();
        worker
            .lines
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let _ = worker.child.wait();
        figures
            .push(serde_json::from_str(&line).map_err(|e| format!("worker said {line:?}: {e}"))?);
    }
    Ok(figures)
}

/// The child's side: opens its share, says `opened N`, holds them until its standard input
/// ends, then reports its own CPU, memory and the connections that ended early.
pub async fn worker(args: WorkerArgs) -> Result<(), String> {
    let token =
        std::env::var(TOKEN_VARIABLE).map_err(|_| format!("{TOKEN_VARIABLE} is not set"))?;
    raise_open_files(args.connections as u64 + 64);
    let target = Target::parse(&args.url)?;
    let endings = Arc::new(Endings::default());
    let stop = CancellationToken::new();
    let mut held = JoinSet::new();
    let credentials = Credentials::Token(token);
    let opened = hold_many(
        &target,
        &credentials,
        args.connections,
        args.batch,
        &stop,
        &endings,
        &mut held,
    )
    .await;
    let mut stdout = std::io::stdout();
    match opened {
        Ok(()) => writeln!(stdout, "opened {}", args.connections),
        Err(failure) => writeln!(stdout, "failed: {failure}"),
    }
    .and_then(|()| stdout.flush())
    .map_err(|e| e.to_string())?;
    let own_rss_kb = Usage::own().rss_kb;
    tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
    stop.cancel();
    let closing = async { while held.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(30), closing).await;
    let own = Usage::own();
    println!(
        "{}",
        json!({
            "own_cpu_s": round3(own.cpu_ticks as f64 / rustix::param::clock_ticks_per_second() as f64),
            "own_rss_kb": own_rss_kb,
            "endings": endings.json(),
        })
    );
    Ok(())
}
