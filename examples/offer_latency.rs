//! What the journal costs a caller: the time from telephony's `call_arrived` to the agent's
//! `offer`, with the journal off and on, in one run; and how long a start with a journal to
//! recover takes until the server answers.
//!
//! ```sh
//! cargo build --release --bin acdhub --example offer_latency
//! # from the repository root; every file goes under target/offer_latency
//! target/release/examples/offer_latency
//! ```
//!
//! **Offer latency.** The real server starts in this process (`Server::start`) once per mode,
//! from a configuration made here: one tenant, `--agents` agents in `--queues` queues (each in
//! three, skill 3), a login per agent (one argon2 hash for all, from `hash_password`) and one
//! telephony login; ws on 127.0.0.1:0, no wss, no metrics. Modes: `off` (`[storage] journal =
//! false`), `on` (a data directory under target/, `fsync = "always"`, the default), `nosync`
//! (`fsync = "never"`). Every agent connects over WebSocket, signs in with its password, logs in
//! and goes ready; then a telephony connection sends `call_arrived` at `--rate` calls a second
//! (round robin over the queues), first `--warmup` seconds unmeasured, then `--seconds`
//! measured. Agents accept each offer at once, hang up `--talk-ms` after `call_connected`, and
//! end wrap-up as soon as it starts, so the calls never wait for an agent: the time measured
//! is the server's (session, engine, journal, fan-out), not the queue's. A call's latency is from
//! just before its `call_arrived` is written to the socket to the moment its agent's task reads
//! the `offer`; clients and server share this process and its runtime. With the journal on, a
//! `call_arrived` waits for its group's fdatasync (and for the one under way when it came).
//! After the `on` mode the tool reads that run's journal and prints the sizes of the groups the
//! engine journaled (a group's records share their instant).
//!
//! **Start with a journal.** A data directory for the same configuration whose tenant journal
//! holds the day's first snapshot (the empty core) and `--startup-records` records after it
//! (the routing load of `benches/support/load.rs`: every agent logged in and busy, a fifth as
//! many calls waiting, a command every millisecond up to now), as a server that crashed just
//! before its next snapshot leaves it. The `acdhub` binary (`--acdhub`) starts on a copy of it;
//! the figure is the time from spawning the process to the first answer to `GET /healthz` (the
//! listeners accept only once every tenant is recovered), against the same with an empty data
//! directory. Each twice.

#[path = "../benches/support/load.rs"]
mod load;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use acdhub::acd::Acd;
use acdhub::config;
use acdhub::journal::{Fsync, Journal, JournalOptions};
use acdhub::records::Records;
use acdhub::server::{Entry, Record, Recovered, Server, hash_password, write_snapshot_for_tools};
use clap::{Parser, ValueEnum};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_util::sync::CancellationToken;

const PASSWORD: &str = "secret";
const TENANT: &str = "bench";
/// How long a connection may take to open and sign in (argon2 runs four at a time).
const PATIENCE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    /// `[storage] journal = false`.
    Off,
    /// A data directory, `fsync = "always"` (the default).
    On,
    /// A data directory, `fsync = "never"`.
    Nosync,
}

#[derive(Debug, Parser)]
#[command(
    name = "offer_latency",
    about = "call_arrived -> offer latency with the journal off and on"
)]
struct Args {
    #[arg(long, default_value_t = 1000)]
    agents: usize,
    #[arg(long, default_value_t = 20)]
    queues: usize,
    /// Calls a second.
    #[arg(long, default_value_t = 200)]
    rate: u32,
    /// Seconds measured.
    #[arg(long, default_value_t = 30)]
    seconds: u32,
    /// Seconds of calls before the measured ones.
    #[arg(long, default_value_t = 5)]
    warmup: u32,
    /// How long an agent talks before it hangs up.
    #[arg(long, default_value_t = 1000)]
    talk_ms: u64,
    /// The modes to run, in order, each on a freshly started server.
    #[arg(long, value_delimiter = ',', default_value = "off,on")]
    modes: Vec<Mode>,
    /// Scratch files (the data directories): on the disk a server would use, not a tmpfs.
    #[arg(long, default_value = "target/offer_latency")]
    dir: PathBuf,
    /// Journal records for the start measurement (0: skip it).
    #[arg(long, default_value_t = 100_000)]
    startup_records: usize,
    /// The server binary for the start measurement.
    #[arg(long, default_value = "target/release/acdhub")]
    acdhub: PathBuf,
    /// The port the started binary listens on.
    #[arg(long, default_value_t = 28090)]
    startup_port: u16,
}

fn main() {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(failure) = runtime.block_on(run(args)) {
        eprintln!("offer_latency: {failure}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(&args.dir);
    std::fs::create_dir_all(&args.dir).map_err(|e| format!("{}: {e}", args.dir.display()))?;
    let needed = 2 * args.agents as u64 + 200;
    let limit = open_files_limit();
    println!("open files: {limit:?} allowed, about {needed} needed (both ends in this process)");
    if limit.is_some_and(|limit| limit < needed) {
        return Err(format!("raise `ulimit -n` to at least {needed}"));
    }
    let hash = hash_password(PASSWORD);
    let mut results = Vec::new();
    for &mode in &args.modes {
        let figures = latency_run(&args, mode, &hash).await?;
        results.push((mode, figures));
    }
    if !results.is_empty() {
        println!(
            "\n{} agents, {} queues, {} calls/s, {} s measured after {} s of warm-up, talk {} ms",
            args.agents, args.queues, args.rate, args.seconds, args.warmup, args.talk_ms
        );
        println!("| journal | calls measured | p50 | p90 | p99 | max |");
        println!("|---|---:|---:|---:|---:|---:|");
        for (mode, figures) in &results {
            println!("| {mode:?} | {} |", figures.row());
        }
    }
    if args.startup_records > 0 {
        startup(&args, &hash).await?;
    }
    Ok(())
}

/// The configuration both measurements use; `storage` is the `[storage]` section.
fn config_text(args: &Args, hash: &str, storage: &str) -> String {
    let mut text = format!(
        "[server]\nws = \"127.0.0.1:0\"\nwss = \"off\"\n\n[metrics]\nlisten = \"off\"\n\n\
         [limits]\nmax_connections = {clients}\nunauthenticated_per_address = {clients}\n\
         telephony_commands_per_sec = 1000000\ntelephony_command_burst = 1000000\n\n\
         {storage}\n\n\
         [[tenants]]\nid = \"{TENANT}\"\ntime_zone = \"Europe/Berlin\"\n",
        // Every client from one address, and a PBX far past the budget of a real one (at
        // thousands of calls a second): raised, so they measure routing, not the limits.
        clients = 2 * args.agents + 100
    );
    for q in 0..args.queues {
        text.push_str(&format!(
            "\n[[tenants.queues]]\nid = \"q{q}\"\nring_timeout_secs = 20\nwrap_up_secs = 60\n"
        ));
    }
    for a in 0..args.agents {
        // Three different queues (7 and 13 apart), skill 3 in each.
        let skills: Vec<String> = [0, 7, 13]
            .iter()
            .map(|offset| format!("q{} = 3", (a + offset) % args.queues))
            .collect();
        text.push_str(&format!(
            "\n[[tenants.agents]]\nid = \"a{a}\"\nskills = {{ {} }}\n",
            skills.join(", ")
        ));
    }
    let mut principal = |user: &str, role: &str| {
        text.push_str(&format!(
            "\n[[principals]]\nuser = \"{user}\"\nrole = \"{role}\"\ntenant = \"{TENANT}\"\n\
             password_hash = \"{hash}\"\n"
        ))
    };
    for a in 0..args.agents {
        principal(&format!("a{a}"), "agent");
    }
    principal("pbx", "telephony");
    text
}

/// One latency measurement on a freshly started server.
async fn latency_run(args: &Args, mode: Mode, hash: &str) -> Result<Figures, String> {
    let data = args.dir.join(format!("data-{mode:?}"));
    let storage = match mode {
        Mode::Off => "[storage]\njournal = false".to_owned(),
        Mode::On => format!(
            "[storage]\ndir = \"{}\"\nfsync = \"always\"",
            data.display()
        ),
        Mode::Nosync => format!("[storage]\ndir = \"{}\"\nfsync = \"never\"", data.display()),
    };
    let text = config_text(args, hash, &storage);
    let file = config::parse(&text, "offer_latency.toml").map_err(|e| e.to_string())?;
    let server = Server::start(file).await.map_err(|e| e.to_string())?;
    let addr = server.ws_addr().expect("a ws listener");
    println!(
        "\nmode {mode:?}: server on {addr}; signing in {} agents",
        args.agents
    );

    let warmup_calls = (args.rate * args.warmup) as usize;
    let total_calls = warmup_calls + (args.rate * args.seconds) as usize;
    let shared = Arc::new(Shared {
        base: now(),
        sent_ns: (0..total_calls).map(|_| AtomicU64::new(0)).collect(),
        warmup_calls,
        latencies_ns: Mutex::new(Vec::with_capacity(total_calls)),
        offers: AtomicUsize::new(0),
        refusals: AtomicUsize::new(0),
        talk: Duration::from_millis(args.talk_ms),
    });
    let stop = CancellationToken::new();
    let started = now();
    let mut agents = JoinSet::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<Result<(), String>>(args.agents);
    for a in 0..args.agents {
        let (shared, stop, ready) = (shared.clone(), stop.clone(), ready_tx.clone());
        agents.spawn(async move {
            let user = format!("a{a}");
            match agent_sign_in(addr, &user).await {
                Ok(socket) => {
                    let _ = ready.send(Ok(())).await;
                    agent_loop(socket, shared, stop).await
                }
                Err(why) => {
                    let _ = ready.send(Err(format!("{user}: {why}"))).await;
                }
            }
        });
    }
    drop(ready_tx);
    for _ in 0..args.agents {
        match ready_rx.recv().await {
            Some(Ok(())) => {}
            Some(Err(why)) => return Err(why),
            None => return Err("an agent task ended".into()),
        }
    }
    println!(
        "  {} agents ready in {:.1} s; {} calls at {}/s",
        args.agents,
        started.elapsed().as_secs_f64(),
        total_calls,
        args.rate
    );

    let (pbx, _) = sign_in(addr, "pbx").await?;
    let (mut pbx_out, mut pbx_in) = pbx.split();
    let pbx_reader = {
        let shared = shared.clone();
        let stop = stop.clone();
        async move {
            let mut left = 0usize;
            loop {
                let frame = tokio::select! {
                    () = stop.cancelled() => break,
                    frame = pbx_in.next() => frame,
                };
                let Some(Ok(Message::Text(text))) = frame else {
                    if matches!(frame, None | Some(Err(_))) {
                        break;
                    }
                    continue;
                };
                let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
                match message["type"].as_str() {
                    Some("error") => refused(&shared, "pbx", &message),
                    Some("call_left") => left += 1,
                    _ => {}
                }
            }
            left
        }
    };
    let pbx_writer = async {
        let mut tick = tokio::time::interval(Duration::from_secs(1) / args.rate);
        for n in 0..total_calls {
            tick.tick().await;
            let message = json!({
                "id": n.to_string(), "type": "call_arrived", "call": format!("c{n}"),
                "queue": format!("q{}", n % args.queues),
            })
            .to_string();
            shared.sent_ns[n].store(shared.elapsed_ns(), Ordering::Release);
            pbx_out
                .send(Message::Text(message.into()))
                .await
                .map_err(|e| format!("pbx: {e}"))?;
        }
        // The last calls end.
        tokio::time::sleep(Duration::from_millis(args.talk_ms + 2000)).await;
        stop.cancel();
        Ok::<_, String>(())
    };
    let (left, written) = tokio::join!(pbx_reader, pbx_writer);
    written?;
    let _ = pbx_out.close().await;
    agents.join_all().await;
    let figures = Figures::of(&shared, total_calls, left);
    server.shutdown().await;
    println!("  {}", figures.summary());
    if mode != Mode::Off {
        groups(&data, warmup_calls)?;
    }
    Ok(figures)
}

/// What the clients of one run share.
struct Shared {
    base: Instant,
    /// When each call's `call_arrived` went out, in ns after `base` (0: not yet, or offered).
    sent_ns: Vec<AtomicU64>,
    warmup_calls: usize,
    latencies_ns: Mutex<Vec<u64>>,
    offers: AtomicUsize,
    refusals: AtomicUsize,
    talk: Duration,
}

impl Shared {
    fn elapsed_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    /// An agent read the offer of `call`: its first offer is a sample.
    fn offered(&self, call: &str) {
        let received = self.elapsed_ns();
        self.offers.fetch_add(1, Ordering::Relaxed);
        let Some(n) = call.strip_prefix('c').and_then(|n| n.parse::<usize>().ok()) else {
            return;
        };
        let sent = self.sent_ns[n].swap(0, Ordering::AcqRel);
        if sent != 0 && n >= self.warmup_calls {
            self.latencies_ns
                .lock()
                .expect("not poisoned")
                .push(received - sent);
        }
    }
}

fn refused(shared: &Shared, who: &str, message: &Value) {
    if shared.refusals.fetch_add(1, Ordering::Relaxed) < 10 {
        eprintln!("  {who} refused: {message}");
    }
}

type Socket = WebSocketStream<TcpStream>;

/// Opens /ws with the protocol's subprotocol and reads `hello`.
async fn connect(addr: SocketAddr) -> Result<Socket, String> {
    let mut request = format!("ws://{addr}/ws")
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("acdhub.v1"),
    );
    let tcp = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    tcp.set_nodelay(true).map_err(|e| e.to_string())?;
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096);
    let (mut socket, _) = tokio_tungstenite::client_async_with_config(request, tcp, Some(config))
        .await
        .map_err(|e| format!("upgrade: {e}"))?;
    let hello = next_message(&mut socket).await?;
    if hello["type"] != "hello" {
        return Err(format!("expected hello, got {hello}"));
    }
    Ok(socket)
}

/// Connects and signs in with the password; returns the socket and the `auth` ack.
async fn sign_in(addr: SocketAddr, user: &str) -> Result<(Socket, Value), String> {
    let mut socket = connect(addr).await?;
    let reply = request(
        &mut socket,
        json!({"id": "auth", "type": "auth", "user": user, "password": PASSWORD}),
    )
    .await?;
    Ok((socket, reply))
}

/// An agent connected, signed in, logged in and ready.
async fn agent_sign_in(addr: SocketAddr, user: &str) -> Result<Socket, String> {
    let work = async {
        let (mut socket, _) = sign_in(addr, user).await?;
        request(&mut socket, json!({"id": "login", "type": "login"})).await?;
        request(&mut socket, json!({"id": "ready", "type": "ready"})).await?;
        Ok(socket)
    };
    tokio::time::timeout(PATIENCE, work)
        .await
        .map_err(|_| "no answer in time".to_owned())?
}

/// Sends a message and reads until its `ack` (events before it are passed over).
async fn request(socket: &mut Socket, message: Value) -> Result<Value, String> {
    let id = message["id"].clone();
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .map_err(|e| e.to_string())?;
    loop {
        let reply = next_message(socket).await?;
        match reply["type"].as_str() {
            Some("ack") if reply["id"] == id => return Ok(reply),
            Some("error") if reply["id"] == id => return Err(format!("refused: {reply}")),
            _ => {}
        }
    }
}

async fn next_message(socket: &mut Socket) -> Result<Value, String> {
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(text.as_str()).map_err(|e| e.to_string());
            }
            Some(Ok(Message::Close(frame))) => return Err(format!("closed: {frame:?}")),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.to_string()),
            None => return Err("connection ended".into()),
        }
    }
}

/// An agent at work: accepts every offer, hangs up after the talk time, ends wrap-up at once.
async fn agent_loop(mut socket: Socket, shared: Arc<Shared>, stop: CancellationToken) {
    let mut hang_up: Option<(tokio::time::Instant, String)> = None;
    let mut next_id = 0u64;
    loop {
        let due = hang_up.as_ref().map(|(at, _)| *at);
        let frame = tokio::select! {
            () = stop.cancelled() => break,
            () = sleep_until(due) => {
                let (_, call) = hang_up.take().expect("due");
                next_id += 1;
                let message = json!({"id": next_id.to_string(), "type": "hangup", "call": call});
                if socket.send(Message::Text(message.to_string().into())).await.is_err() {
                    break;
                }
                continue;
            }
            frame = socket.next() => frame,
        };
        let text = match frame {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => continue,
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        let reply = match message["type"].as_str() {
            Some("offer") => {
                let call = message["call"].as_str().unwrap_or_default();
                shared.offered(call);
                Some(json!({"type": "accept", "call": call}))
            }
            Some("call_connected") => {
                let call = message["call"].as_str().unwrap_or_default().to_owned();
                hang_up = Some((tokio::time::Instant::now() + shared.talk, call));
                None
            }
            Some("agent_state") if message["state"] == "wrap_up" => {
                Some(json!({"type": "end_wrap_up"}))
            }
            Some("error") => {
                refused(&shared, "agent", &message);
                None
            }
            _ => None,
        };
        if let Some(mut reply) = reply {
            next_id += 1;
            reply["id"] = json!(next_id.to_string());
            if socket
                .send(Message::Text(reply.to_string().into()))
                .await
                .is_err()
            {
                break;
            }
        }
    }
    let _ = socket.close(None).await;
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// The latencies of one run.
struct Figures {
    sorted_ns: Vec<u64>,
    calls: usize,
    offers: usize,
    left: usize,
    refusals: usize,
}

impl Figures {
    fn of(shared: &Shared, calls: usize, left: usize) -> Figures {
        let mut sorted_ns = std::mem::take(&mut *shared.latencies_ns.lock().expect("not poisoned"));
        sorted_ns.sort_unstable();
        Figures {
            sorted_ns,
            calls,
            offers: shared.offers.load(Ordering::Relaxed),
            left,
            refusals: shared.refusals.load(Ordering::Relaxed),
        }
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.sorted_ns.is_empty() {
            return f64::NAN;
        }
        let rank = ((p / 100.0) * self.sorted_ns.len() as f64).ceil() as usize;
        self.sorted_ns[rank.clamp(1, self.sorted_ns.len()) - 1] as f64 / 1e6
    }

    fn row(&self) -> String {
        format!(
            "{} | {:.2} ms | {:.2} ms | {:.2} ms | {:.2} ms",
            self.sorted_ns.len(),
            self.percentile(50.0),
            self.percentile(90.0),
            self.percentile(99.0),
            self.percentile(100.0),
        )
    }

    fn summary(&self) -> String {
        format!(
            "{} calls sent, {} offers read, {} calls left (telephony), {} refusals; measured: {}",
            self.calls,
            self.offers,
            self.left,
            self.refusals,
            self.row()
        )
    }
}

/// The sizes of the groups the engine journaled in a run, from the measured calls on: records
/// of one group share their instant.
fn groups(data: &Path, warmup_calls: usize) -> Result<(), String> {
    let dir = data.join("tenants").join(TENANT).join("journal");
    let records = Journal::read_from(&dir, 0).map_err(|e| e.to_string())?;
    let first_measured = format!("c{warmup_calls}");
    let mut sizes: Vec<usize> = Vec::new();
    let mut last_at = None;
    let mut measuring = false;
    for (_, bytes) in &records {
        let record: Record = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        if let Entry::Command(acdhub::acd::Command::CallArrived { call, .. }) = &record.entry
            && call.as_str() == first_measured
        {
            measuring = true;
        }
        if !measuring {
            continue;
        }
        if last_at == Some(record.at) {
            *sizes.last_mut().expect("a group") += 1;
        } else {
            sizes.push(1);
            last_at = Some(record.at);
        }
    }
    let count = sizes.len();
    let total: usize = sizes.iter().sum();
    sizes.sort_unstable();
    let at = |p: f64| sizes[((p / 100.0 * count as f64).ceil() as usize).clamp(1, count) - 1];
    if count > 0 {
        println!(
            "  journal groups from the first measured call on: {count} groups of {total} records, \
             {:.2} records a group on average; group size p50 {}, p90 {}, p99 {}, max {}",
            total as f64 / count as f64,
            at(50.0),
            at(90.0),
            at(99.0),
            at(100.0),
        );
    }
    Ok(())
}

/// Time from spawning `acdhub` to its first answer to `GET /healthz`, with an empty data
/// directory and with a journal of `--startup-records` records to recover.
async fn startup(args: &Args, hash: &str) -> Result<(), String> {
    let acdhub = std::fs::canonicalize(&args.acdhub).map_err(|e| {
        format!(
            "{}: {e} (build it: cargo build --release)",
            args.acdhub.display()
        )
    })?;
    let config_path = args.dir.join("startup.toml");
    let text = config_text(args, hash, "");
    std::fs::write(&config_path, &text).map_err(|e| e.to_string())?;
    let file = config::parse(&text, "startup.toml").map_err(|e| e.to_string())?;
    let template = args.dir.join("startup-journal");
    let (records, bytes) = write_day(
        &template.join("tenants").join(TENANT).join("journal"),
        file.tenants[0].acd.clone(),
        args.startup_records,
    )?;
    println!(
        "\nstart of `acdhub` to its first answer on /healthz ({} agents; the journal: the first \
         snapshot and {records} records, {:.1} MB)",
        args.agents,
        bytes as f64 / 1e6,
    );
    println!("| data directory | run | until /healthz answers | replayed (server's log) |");
    println!("|---|---:|---:|---|");
    for (label, with_journal) in [("empty (first start)", false), ("journal to recover", true)] {
        for run in 1..=2 {
            let data = args.dir.join(format!("startup-data-{run}-{with_journal}"));
            let _ = std::fs::remove_dir_all(&data);
            std::fs::create_dir_all(&data).map_err(|e| e.to_string())?;
            if with_journal {
                copy_dir(&template, &data)?;
            }
            let log = args.dir.join(format!("startup-{run}-{with_journal}.log"));
            let took =
                time_to_health(&acdhub, &config_path, &data, &log, args.startup_port).await?;
            let log_text = std::fs::read_to_string(&log).unwrap_or_default();
            let replayed = log_text
                .lines()
                .find(|line| line.contains("recovered from its journal"))
                .and_then(|line| line.split("replayed=").nth(1))
                .and_then(|rest| rest.split_whitespace().next())
                .unwrap_or("-")
                .to_owned();
            println!(
                "| {label} | {run} | {:.3} s | {replayed} |",
                took.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// A journal directory for `config` as a server that crashed just before its next snapshot
/// leaves it: the first snapshot, then `records` commands of the routing load, one every
/// millisecond up to now, in groups of 512. Returns the records and the bytes written.
fn write_day(
    dir: &Path,
    config: acdhub::acd::Config,
    records: usize,
) -> Result<(usize, usize), String> {
    let pace = Duration::from_millis(1);
    let start = wall_now() - pace * records as u32;
    let mut load = load::Load::unstarted_with(config.clone(), start);
    load.pace = pace;
    let options = JournalOptions {
        fsync: Fsync::Never,
        ..JournalOptions::default()
    };
    let (mut journal, _) = Journal::open(dir, options).map_err(|e| e.to_string())?;
    let first = Recovered {
        acd: Acd::new(config.clone(), start).map_err(|e| e.to_string())?,
        config,
        simulator: None,
        records: Records::default(),
        replayed: 0,
    };
    write_snapshot_for_tools(&mut journal, &first).map_err(|e| e.to_string())?;
    let mut written = 0;
    let mut bytes = 0;
    while written < records {
        let size = 512.min(records - written);
        bytes += load.step_journaled(&mut journal, size);
        written += size;
    }
    Ok((written, bytes))
}

/// Spawns the server and waits for its first answer to `GET /healthz`.
async fn time_to_health(
    acdhub: &Path,
    config: &Path,
    data: &Path,
    log: &Path,
    port: u16,
) -> Result<Duration, String> {
    let log_file = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let started = now();
    let mut child = std::process::Command::new(acdhub)
        .arg("--config")
        .arg(config)
        .arg("--data")
        .arg(data)
        .args([
            "--ws",
            &addr.to_string(),
            "--wss",
            "off",
            "--metrics",
            "off",
        ])
        .env("RUST_LOG", "info")
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("{}: {e}", acdhub.display()))?;
    let answered = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Err(format!(
                "acdhub exited with {status}; see {}",
                log.display()
            ));
        }
        if healthz(addr).await {
            break Ok(started.elapsed());
        }
        if started.elapsed() > Duration::from_secs(120) {
            break Err("acdhub did not answer in 120 s".into());
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    // Our own child: stopped as a crash would stop it (the next run starts on a fresh copy).
    let _ = child.kill();
    let _ = child.wait();
    answered
}

/// Whether `GET /healthz` gets a 200 now. A connection accepted by the kernel before the
/// server's accept loop runs waits for its answer; one refused (not bound yet) is `false`.
async fn healthz(addr: SocketAddr) -> bool {
    let Ok(mut tcp) = TcpStream::connect(addr).await else {
        return false;
    };
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if tcp.write_all(request.as_bytes()).await.is_err() {
        return false;
    }
    let mut answer = Vec::new();
    let _ = tcp.read_to_end(&mut answer).await;
    answer.starts_with(b"HTTP/1.1 200")
}

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| e.to_string())?;
    for entry in std::fs::read_dir(from).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.file_type().map_err(|e| e.to_string())?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The soft limit on open files, from /proc/self/limits.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// The clock this tool measures with.
#[allow(clippy::disallowed_methods)]
fn now() -> Instant {
    Instant::now()
}

/// The wall clock, for the instants of a journaled day that ends now.
#[allow(clippy::disallowed_methods)]
fn wall_now() -> jiff::Timestamp {
    jiff::Timestamp::now()
}
