//! `acdhub-load agents`: offer latency over the network. N agents sign in, log in and go
//! ready; one PBX connection sends `call_arrived` at a fixed rate round robin over the queues;
//! every agent accepts its offer at once, hangs up after the talk time and ends its wrap-up at
//! once (the loop of examples/offer_latency.rs), so no call waits for an agent and the time
//! measured is the server's. A call's latency runs from just before its `call_arrived` is
//! written to the moment its agent's task reads the `offer`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::Args;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken as Stop;

use crate::client::{self, Credentials, Endings, Socket, Target};
use crate::clock;
use crate::histogram::Histogram;
use crate::report::Report;
use crate::usage::{Usage, Window, raise_open_files, round3};

/// Which agents sign in and how: what every mode that drives agents (`agents`, `commands`,
/// `failover`) asks alike.
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// Agents a0 .. a(N-1), as `acdhub-load config --agents N` made them.
    #[arg(long)]
    pub agents: usize,
    #[arg(long, default_value = "secret")]
    pub password: String,
    /// Agents signing in at once (argon2 runs four at a time on the server).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// A file of tokens (JSON, user to token) read before and written after sign-in, so that a
    /// later run against the same server (or its data directory) skips the password checks.
    #[arg(long, value_name = "FILE")]
    pub token_cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AgentsArgs {
    /// The server's WebSocket URL. Given more than once (the nodes of a cluster), agent `aI`
    /// connects to URL I modulo their number.
    #[arg(long, required = true)]
    url: Vec<String>,
    /// Where the PBX connects (default: the first --url).
    #[arg(long)]
    pbx_url: Option<String>,
    #[command(flatten)]
    sign_in: SignInArgs,
    /// Calls a second.
    #[arg(long)]
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
    /// Besides taking calls, each agent sends a command every this many seconds (staggered
    /// over the agents): `list_agents` with `limit` 1, a read the tenant's engine answers, as
    /// the floor's other commands are. 0: none.
    #[arg(long, default_value_t = 0)]
    command_every_secs: u64,
    /// Seconds to wait once every agent is ready, before the first call: the server gives back
    /// what the sign-ins' password checks took in the seconds after them, so the RSS read at the
    /// end of the wait (`server_rss_settled_kb`) is the one to measure memory under calls from.
    #[arg(long, default_value_t = 0)]
    settle_secs: u64,
    /// The agents never send `seen`. By default each agent, like acdhub.js, sends `seen` with
    /// the last event it has at each heartbeat after events, so that its session keeps only the
    /// events since for a resume; this measures a client that does not.
    #[arg(long)]
    no_seen: bool,
    /// The server's process; given more than once (a cluster's nodes, its NATS servers), CPU
    /// and RSS are summed and each process's CPU is reported apart too.
    #[arg(long, required = true)]
    server_pid: Vec<u32>,
}

pub async fn run(args: AgentsArgs) -> Result<(), String> {
    if args.sign_in.agents == 0 || args.rate == 0 || args.sign_in.batch == 0 {
        return Err("--agents, --rate and --batch must be at least 1".to_owned());
    }
    let targets = Target::parse_all(&args.url)?;
    let target = match &args.pbx_url {
        Some(url) => Target::parse(url)?,
        None => targets[0].clone(),
    };
    let mut report = Report::new(
        "agents",
        json!({
            "url": args.url, "pbx_url": target.url(), "server_pid": args.server_pid,
            "agents": args.sign_in.agents, "rate": args.rate, "seconds": args.seconds,
            "warmup_s": args.warmup, "talk_ms": args.talk_ms, "batch": args.sign_in.batch,
            "seen": !args.no_seen,
        }),
    );
    raise_open_files(args.sign_in.agents as u64 + 64);
    let pid = &args.server_pid[..];
    let server_start = Usage::of_all(pid)?;
    let mut tokens = read_tokens(args.sign_in.token_cache.as_ref());
    let warmup_calls = (args.rate * args.warmup) as usize;
    let total_calls = warmup_calls + (args.rate * args.seconds) as usize;
    let shared = Arc::new(Shared {
        base: clock::monotonic(),
        prefix: format!("c{}-", clock::since_epoch().as_millis()),
        sent_ns: (0..total_calls).map(|_| AtomicU64::new(0)).collect(),
        left: (0..total_calls).map(|_| AtomicBool::new(false)).collect(),
        left_count: AtomicUsize::new(0),
        warmup_calls,
        latency: Histogram::default(),
        offers: AtomicUsize::new(0),
        refusals: AtomicUsize::new(0),
        first_refusals: std::sync::Mutex::new(Vec::new()),
        endings: Endings::default(),
        talk: Duration::from_millis(args.talk_ms),
        command_every: (args.command_every_secs > 0)
            .then(|| Duration::from_secs(args.command_every_secs)),
        commands: AtomicUsize::new(0),
        commands_answered: AtomicUsize::new(0),
        seen: !args.no_seen,
    });
    let stop = Stop::default();

    let started = clock::monotonic();
    let mut held = JoinSet::new();
    let signed_in = sign_in_agents(&args, &targets, &shared, &stop, &tokens, &mut held).await?;
    let sign_in_s = started.elapsed().as_secs_f64();
    tokens.extend(signed_in);
    let server_signed_in = Usage::of_all(pid)?;
    eprintln!(
        "{} agents ready in {sign_in_s:.1} s; server RSS {} kB; {total_calls} calls at {}/s",
        args.sign_in.agents, server_signed_in.rss_kb, args.rate
    );
    let server_settled = if args.settle_secs > 0 {
        tokio::time::sleep(Duration::from_secs(args.settle_secs)).await;
        let settled = Usage::of_all(pid)?;
        eprintln!(
            "server RSS {} kB {} s later, before the first call",
            settled.rss_kb, args.settle_secs
        );
        settled
    } else {
        server_signed_in
    };

    let mut pbx = target.open_acdhub().await?;
    let pbx_credentials = match tokens.get("pbx") {
        Some(token) => Credentials::Token(token.clone()),
        None => Credentials::Password {
            user: "pbx".to_owned(),
            password: args.sign_in.password.clone(),
        },
    };
    let result = match client::sign_in(&mut pbx, &pbx_credentials).await {
        Ok(result) => result,
        Err(_) => {
            pbx = target.open_acdhub().await?;
            let password = Credentials::Password {
                user: "pbx".to_owned(),
                password: args.sign_in.password.clone(),
            };
            client::sign_in(&mut pbx, &password).await?
        }
    };
    tokens.insert("pbx".to_owned(), client::token_of(&result)?);
    write_tokens(args.sign_in.token_cache.as_ref(), &tokens)?;
    let queues: Vec<String> = queue_ids(&result);
    if queues.is_empty() {
        return Err("the tenant has no queues".to_owned());
    }

    let (pbx_out, pbx_in) = pbx.split();
    let reader = tokio::spawn(pbx_reader(pbx_in, shared.clone(), stop.clone()));
    let driven = drive_calls(&args, &shared, &queues, pbx_out).await?;
    let sent = driven.sent;
    // Every call sent offered and gone, or the run's patience spent.
    let deadline = clock::monotonic() + shared.talk + Duration::from_secs(10);
    while driven.failure.is_none()
        && shared.left_count.load(Ordering::Acquire) < sent
        && clock::monotonic() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let spent = driven.window.finish()?;
    let server_end = Usage::of_all(pid)?;
    // The run is over: what the PBX hears from here on (its own close echoed) is not a finding.
    stop.cancel();
    let pbx_in = reader.await.map_err(|e| e.to_string())?;
    let pbx = match (&driven.failure, pbx_in.reunite(driven.pbx)) {
        (None, Ok(pbx)) => pbx,
        // The server closed the PBX (a finding, in `connections_ended_early`): a new
        // connection ends the calls it left behind.
        _ => {
            let mut pbx = target.open_acdhub().await?;
            let token = Credentials::Token(tokens["pbx"].clone());
            client::sign_in(&mut pbx, &token).await?;
            pbx
        }
    };
    let stray = end_stray_calls(&shared, sent, pbx).await?;

    let measured = sent.saturating_sub(warmup_calls);
    report.figure("pbx_failure", driven.failure);
    report.figure("calls_sent", sent);
    report.figure("calls_measured", measured);
    report.figure("offers_read", shared.offers.load(Ordering::Relaxed));
    report.figure("calls_left", shared.left_count.load(Ordering::Relaxed));
    report.figure("calls_ended_by_the_pbx_at_the_end", stray);
    report.figure("latency", shared.latency.summary_ms());
    report.figure(
        "measured_calls_without_an_offer",
        measured as u64 - shared.latency.count(),
    );
    report.figure("refusals", shared.refusals.load(Ordering::Relaxed));
    report.figure(
        "periodic_commands_sent",
        shared.commands.load(Ordering::Relaxed),
    );
    report.figure(
        "periodic_commands_answered",
        shared.commands_answered.load(Ordering::Relaxed),
    );
    report.figure(
        "first_refusals",
        json!(*shared.first_refusals.lock().expect("not poisoned")),
    );
    report.figure("connections_ended_early", shared.endings.json());
    report.figure("sign_in_s", round3(sign_in_s));
    report.figure("server_rss_start_kb", server_start.rss_kb);
    report.figure("server_rss_signed_in_kb", server_signed_in.rss_kb);
    report.figure("server_rss_settled_kb", server_settled.rss_kb);
    report.figure("server_rss_end_kb", server_end.rss_kb);
    report.figure(
        "server_cpu_s_per_1000_calls",
        spent.server_cpu_per(measured as u64, 1000.0),
    );
    report.figure("window", spent.json());
    report.print();
    Ok(())
}

/// What the agents and the PBX of one run share.
struct Shared {
    base: Instant,
    /// This run's call ids are `{prefix}{n}`: a call left over from another run is not one of
    /// them.
    prefix: String,
    /// When each call's `call_arrived` went out, ns after `base` (0: not yet, or offered).
    sent_ns: Vec<AtomicU64>,
    /// Whether each call has left the ACD (telephony's `call_left`).
    left: Vec<AtomicBool>,
    left_count: AtomicUsize,
    warmup_calls: usize,
    latency: Histogram,
    offers: AtomicUsize,
    refusals: AtomicUsize,
    first_refusals: std::sync::Mutex<Vec<String>>,
    endings: Endings,
    talk: Duration,
    /// How often each agent sends its periodic command, if at all.
    command_every: Option<Duration>,
    /// Periodic commands sent, and answered with an `ack`.
    commands: AtomicUsize,
    commands_answered: AtomicUsize,
    /// Whether agents send `seen` at heartbeats.
    seen: bool,
}

impl Shared {
    fn elapsed_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    /// An agent read the offer of `call`: its first offer of a measured call is a sample.
    fn offered(&self, call: &str) {
        let received = self.elapsed_ns();
        self.offers.fetch_add(1, Ordering::Relaxed);
        let Some(n) = self.call_number(call) else {
            return;
        };
        let sent = self.sent_ns[n].swap(0, Ordering::AcqRel);
        if sent != 0 && n >= self.warmup_calls {
            self.latency.record(received.saturating_sub(sent));
        }
    }

    /// `{prefix}17` -> 17, for a call of this run.
    fn call_number(&self, call: &str) -> Option<usize> {
        let n: usize = call.strip_prefix(&self.prefix)?.parse().ok()?;
        (n < self.sent_ns.len()).then_some(n)
    }

    fn call_id(&self, n: usize) -> String {
        format!("{}{n}", self.prefix)
    }

    fn refused(&self, who: &str, message: &Value) {
        if self.refusals.fetch_add(1, Ordering::Relaxed) < 10 {
            let mut first = self.first_refusals.lock().expect("not poisoned");
            first.push(format!("{who}: {} {}", message["code"], message["message"]));
        }
    }
}

fn queue_ids(auth_result: &Value) -> Vec<String> {
    auth_result["queues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|queue| queue["id"].as_str().map(str::to_owned))
        .collect()
}

/// Signs every agent in (`batch` at a time), logs it in and makes it ready, then leaves it to
/// `agent_loop` in a task of `held`. Returns each agent's user and token.
async fn sign_in_agents(
    args: &AgentsArgs,
    targets: &[Arc<Target>],
    shared: &Arc<Shared>,
    stop: &Stop,
    tokens: &HashMap<String, String>,
    held: &mut JoinSet<()>,
) -> Result<Vec<(String, String)>, String> {
    let open = |index: usize| {
        let target = targets[index % targets.len()].clone();
        open_agent(index, &args.sign_in.password, tokens, target)
    };
    let (shared, stop) = (shared.clone(), stop.clone());
    let work = move |socket| agent_loop(socket, shared.clone(), stop.clone());
    client::open_in_batches(args.sign_in.agents, args.sign_in.batch, held, open, work).await
}

/// One agent connected, signed in (with its cached token if that still works, else its
/// password), logged in and ready; returns the socket and its token. An agent still logged
/// in from an earlier run (its grace period) is fine: `already_logged_in` is passed over.
/// Signs agent `a{index}` in at `target`, with its token from `tokens` if it has one (else, or
/// if the token is refused, its password): the socket, and the user with its token now.
pub(crate) fn open_agent(
    index: usize,
    password: &str,
    tokens: &HashMap<String, String>,
    target: Arc<Target>,
) -> impl std::future::Future<Output = Result<(Socket, (String, String)), String>> + use<> {
    let user = format!("a{index}");
    let password = Credentials::Password {
        user: user.clone(),
        password: password.to_owned(),
    };
    let token = tokens.get(&user).cloned().map(Credentials::Token);
    async move {
        let (socket, token) = agent_sign_in(&target, token, &password)
            .await
            .map_err(|why| format!("{user}: {why}"))?;
        Ok((socket, (user, token)))
    }
}

pub(crate) async fn agent_sign_in(
    target: &Target,
    token: Option<Credentials>,
    password: &Credentials,
) -> Result<(Socket, String), String> {
    let mut signed_in = None;
    if let Some(token) = token {
        let mut socket = target.open_acdhub().await?;
        if let Ok(result) = client::sign_in(&mut socket, &token).await {
            signed_in = Some((socket, client::token_of(&result)?));
        }
    }
    let (mut socket, token) = match signed_in {
        Some(signed_in) => signed_in,
        None => {
            let mut socket = target.open_acdhub().await?;
            let result = client::sign_in(&mut socket, password).await?;
            (socket, client::token_of(&result)?)
        }
    };
    match client::request(&mut socket, json!({"id": "login", "type": "login"})).await {
        Ok(_) => {}
        Err(why) if why.starts_with("already_logged_in") => {}
        Err(why) => return Err(why),
    }
    client::request(&mut socket, json!({"id": "ready", "type": "ready"})).await?;
    Ok((socket, token))
}

/// An agent at work: accepts every offer, hangs up after the talk time, ends wrap-up at once.
async fn agent_loop(mut socket: Socket, shared: Arc<Shared>, stop: Stop) {
    let mut hang_up: Option<(tokio::time::Instant, String)> = None;
    let mut next_id = 0u64;
    // The last event's seq read here (events come in order), and the last one told with `seen`.
    let (mut last_seq, mut told) = (0u64, 0u64);
    // The periodic command's first time, spread over one period by the agents' order.
    static STARTED: AtomicUsize = AtomicUsize::new(0);
    let mut next_command = shared.command_every.map(|every| {
        let place = (STARTED.fetch_add(1, Ordering::Relaxed) % 1000) as u32;
        tokio::time::Instant::now() + every * place / 1000
    });
    loop {
        let due = hang_up.as_ref().map(|(at, _)| *at);
        let frame = tokio::select! {
            () = stop.cancelled() => break,
            () = clock::sleep_until(next_command) => {
                let every = shared.command_every.expect("a command is due only with a period");
                next_command = next_command.map(|at| at + every);
                let message = json!({"id": "periodic", "type": "list_agents", "limit": 1});
                if client::send(&mut socket, &message).await.is_err() {
                    shared.endings.note("agent", "write failed");
                    return;
                }
                shared.commands.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            () = clock::sleep_until(due) => {
                let (_, call) = hang_up.take().expect("due");
                next_id += 1;
                let message = json!({"id": next_id.to_string(), "type": "hangup", "call": call});
                if client::send(&mut socket, &message).await.is_err() {
                    shared.endings.note("agent", "write failed");
                    return;
                }
                continue;
            }
            frame = socket.next() => frame,
        };
        shared.endings.note_frame("agent", &frame);
        let Some(Ok(Message::Text(text))) = frame else {
            if matches!(frame, Some(Ok(ref message)) if !message.is_close()) {
                continue;
            }
            return;
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        if let Some(seq) = message["seq"].as_u64() {
            last_seq = seq;
        }
        let reply = match message["type"].as_str() {
            Some("heartbeat") if shared.seen && last_seq > told => {
                told = last_seq;
                Some(json!({"type": "seen", "seq": last_seq}))
            }
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
                shared.refused("agent", &message);
                None
            }
            Some("ack") if message["id"] == "periodic" => {
                shared.commands_answered.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => None,
        };
        if let Some(mut reply) = reply {
            next_id += 1;
            reply["id"] = json!(next_id.to_string());
            if client::send(&mut socket, &reply).await.is_err() {
                shared.endings.note("agent", "write failed");
                return;
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(5), socket.close(None)).await;
}

type Writer = futures_util::stream::SplitSink<Socket, Message>;
type Reader = futures_util::stream::SplitStream<Socket>;

/// Reads what telephony hears: counts the calls that leave, notes refusals and how the
/// connection ended (a 4008 here is the server closing a PBX that could not keep up).
async fn pbx_reader(mut pbx: Reader, shared: Arc<Shared>, stop: Stop) -> Reader {
    loop {
        let frame = tokio::select! {
            () = stop.cancelled() => return pbx,
            frame = pbx.next() => frame,
        };
        shared.endings.note_frame("pbx", &frame);
        let Some(Ok(message)) = frame else { return pbx };
        let Message::Text(text) = message else {
            if message.is_close() {
                return pbx;
            }
            continue;
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap_or_default();
        match message["type"].as_str() {
            Some("error") => shared.refused("pbx", &message),
            Some("call_left") => {
                let call = message["call"].as_str().unwrap_or_default();
                if let Some(n) = shared.call_number(call)
                    && !shared.left[n].swap(true, Ordering::AcqRel)
                {
                    shared.left_count.fetch_add(1, Ordering::AcqRel);
                }
            }
            _ => {}
        }
    }
}

/// What the PBX's sending did.
struct Driven {
    /// Opened with the first measured call (or when sending ended, if before).
    window: Window,
    pbx: Writer,
    /// Calls sent.
    sent: usize,
    /// Why sending stopped early: the server closed the connection, typically.
    failure: Option<String>,
}

/// Sends the calls at the rate until all are sent or the connection fails.
async fn drive_calls(
    args: &AgentsArgs,
    shared: &Shared,
    queues: &[String],
    mut pbx: Writer,
) -> Result<Driven, String> {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / args.rate);
    let mut window = None;
    let mut failure = None;
    let mut sent = 0;
    while sent < shared.sent_ns.len() {
        tick.tick().await;
        if sent == shared.warmup_calls {
            window = Some(Window::start(&args.server_pid)?);
        }
        let message = json!({
            "id": sent.to_string(), "type": "call_arrived", "call": shared.call_id(sent),
            "queue": queues[sent % queues.len()],
        })
        .to_string();
        shared.sent_ns[sent].store(shared.elapsed_ns().max(1), Ordering::Release);
        if let Err(error) = pbx.send(Message::Text(message.into())).await {
            failure = Some(format!("pbx: {error} after {sent} calls"));
            break;
        }
        sent += 1;
    }
    let window = match window {
        Some(window) => window,
        None => Window::start(&args.server_pid)?,
    };
    Ok(Driven {
        window,
        pbx,
        sent,
        failure,
    })
}

/// Ends every call that has not left (an agent that did not answer, a run cut short) and
/// waits for the server to take each, so the server is left clean for the next run. Returns
/// how many.
async fn end_stray_calls(shared: &Shared, sent: usize, mut pbx: Socket) -> Result<usize, String> {
    let commands: Vec<Value> = (0..sent)
        .filter(|&n| !shared.left[n].load(Ordering::Acquire))
        .map(|n| json!({"id": format!("end{n}"), "type": "call_ended", "call": shared.call_id(n)}))
        .collect();
    client::send_all_and_wait(&mut pbx, &commands).await?;
    let _ = tokio::time::timeout(Duration::from_secs(5), pbx.close(None)).await;
    Ok(commands.len())
}

pub(crate) fn read_tokens(path: Option<&PathBuf>) -> HashMap<String, String> {
    path.and_then(|path| std::fs::read_to_string(path).ok())
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default()
}

pub(crate) fn write_tokens(
    path: Option<&PathBuf>,
    tokens: &HashMap<String, String>,
) -> Result<(), String> {
    let Some(path) = path else { return Ok(()) };
    std::fs::write(path, json!(tokens).to_string()).map_err(|e| format!("{}: {e}", path.display()))
}
