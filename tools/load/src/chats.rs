//! `acdhub-load chats`: message latency, customer to agent, over WebSocket or SSE. N agents
//! sign in, log in and go ready (`--transport ws`: one WebSocket each; `sse`: one SSE link each,
//! its stream a `GET /rt/sse` and its commands `POST /rt/send`, as protocol.md says); one
//! messaging connection (`widget`, always a WebSocket) opens `--chats-per-agent` conversations
//! per agent in the agents' chat queues (the configuration of `acdhub-load config --chats`),
//! every agent accepts what it is offered, and then the connector writes a customer message in
//! each conversation every `--message-every-secs`, spread evenly. A message's latency runs from
//! just before its `customer_message` is written to the moment the agent's task reads the
//! `message` event (from its WebSocket, or from its SSE stream); the text carries the instant
//! it was sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken as Stop;

use crate::agents::{SignInArgs, open_agent, read_tokens, write_tokens};
use crate::client::{self, Credentials, Endings, Socket, Target};
use crate::clock;
use crate::histogram::Histogram;
use crate::report::Report;
use crate::sse;
use crate::usage::{Usage, Window, raise_open_files};

#[derive(Debug, Args)]
pub struct ChatsArgs {
    /// The server's WebSocket URL. With `--transport sse` the agents reach the HTTP rungs on
    /// the same host and port (http for ws://, https for wss://); the connector stays on it.
    #[arg(long)]
    url: String,
    /// How the agents are connected: `ws`, one WebSocket each; `sse`, one SSE link each.
    #[arg(long, value_enum, default_value_t = Transport::Ws)]
    transport: Transport,
    #[command(flatten)]
    sign_in: SignInArgs,
    /// Conversations each agent holds (at most the channel's capacity, 3 in `config --chats`).
    #[arg(long, default_value_t = 3)]
    chats_per_agent: usize,
    /// Seconds between two customer messages of one conversation.
    #[arg(long, default_value_t = 10)]
    message_every_secs: u64,
    /// Seconds measured.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Seconds of messages before the measured ones.
    #[arg(long, default_value_t = 5)]
    warmup: u64,
    #[arg(long, required = true)]
    server_pid: Vec<u32>,
}

/// The agents' rung (protocol.md, "Transports and URLs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Transport {
    Ws,
    Sse,
}

impl Transport {
    fn name(self) -> &'static str {
        match self {
            Transport::Ws => "ws",
            Transport::Sse => "sse",
        }
    }
}

/// An agent's connection.
enum Agent {
    Ws(Socket),
    Sse(sse::Link),
}

/// What the agents and the connector of one run share.
struct Shared {
    base: Instant,
    latency: Histogram,
    /// Messages sent while measuring is set carry `m` in their text, the others `w`.
    measuring: AtomicBool,
    offers: AtomicUsize,
    accepted: AtomicUsize,
    received: AtomicUsize,
    refusals: AtomicUsize,
    heartbeats: AtomicUsize,
    endings: Endings,
    sse: sse::Counts,
}

impl Shared {
    fn elapsed_ns(&self) -> u64 {
        self.base.elapsed().as_nanos() as u64
    }

    /// An agent read a `message`: if the customer wrote it while measuring, a sample.
    fn received(&self, message: &Value) {
        if message["from"] != "customer" {
            return;
        }
        self.received.fetch_add(1, Ordering::Relaxed);
        let now = self.elapsed_ns();
        let text = message["text"].as_str().unwrap_or_default();
        if let Some(sent) = text.strip_prefix('m').and_then(|ns| ns.parse::<u64>().ok()) {
            self.latency.record(now.saturating_sub(sent));
        }
    }
}

pub async fn run(args: ChatsArgs) -> Result<(), String> {
    let agents = args.sign_in.agents;
    if agents == 0 || args.chats_per_agent == 0 || args.message_every_secs == 0 {
        return Err(
            "--agents, --chats-per-agent and --message-every-secs must be at least 1".into(),
        );
    }
    let target = Target::parse(&args.url)?;
    let conversations = agents * args.chats_per_agent;
    let rate = conversations as f64 / args.message_every_secs as f64;
    let mut report = Report::new(
        "chats",
        json!({
            "url": args.url, "transport": args.transport.name(),
            "server_pid": args.server_pid, "agents": agents,
            "chats_per_agent": args.chats_per_agent, "message_every_secs": args.message_every_secs,
            "messages_per_sec": rate, "seconds": args.seconds, "warmup_s": args.warmup,
        }),
    );
    // Over SSE an agent has two connections: its stream, and the one its commands are POSTed on.
    let per_agent = match args.transport {
        Transport::Ws => 1,
        Transport::Sse => 2,
    };
    raise_open_files(agents as u64 * per_agent + 64);
    let pid = &args.server_pid[..];
    let mut tokens = read_tokens(args.sign_in.token_cache.as_ref());
    let shared = Arc::new(Shared {
        base: clock::monotonic(),
        latency: Histogram::default(),
        measuring: AtomicBool::new(false),
        offers: AtomicUsize::new(0),
        accepted: AtomicUsize::new(0),
        received: AtomicUsize::new(0),
        refusals: AtomicUsize::new(0),
        heartbeats: AtomicUsize::new(0),
        endings: Endings::default(),
        sse: sse::Counts::default(),
    });
    let stop = Stop::default();

    let endpoints = match args.transport {
        Transport::Ws => None,
        Transport::Sse => Some(Arc::new(sse::Endpoints::fetch(&target).await?)),
    };
    let mut held = JoinSet::new();
    let open = |index: usize| {
        let password = &args.sign_in.password;
        let ws = endpoints
            .is_none()
            .then(|| open_agent(index, password, &tokens, target.clone()));
        let sse = endpoints.as_ref().map(|endpoints| {
            sse::open_agent(index, password, &tokens, target.clone(), endpoints.clone())
        });
        async move {
            match (ws, sse) {
                (Some(ws), _) => ws.await.map(|(socket, token)| (Agent::Ws(socket), token)),
                (None, Some(sse)) => sse.await.map(|(link, token)| (Agent::Sse(link), token)),
                (None, None) => unreachable!("one transport"),
            }
        }
    };
    let work = {
        let (shared, stop) = (shared.clone(), stop.clone());
        move |socket| agent_loop(socket, shared.clone(), stop.clone())
    };
    let signed_in =
        client::open_in_batches(agents, args.sign_in.batch, &mut held, open, work).await?;
    tokens.extend(signed_in);
    write_tokens(args.sign_in.token_cache.as_ref(), &tokens)?;
    let signed_in_rss = Usage::of_all(pid)?.rss_kb;

    // The connector opens every conversation, each in the chat queue of the agent it is for.
    let mut widget = target.open_acdhub().await?;
    let password = Credentials::Password {
        user: "widget".to_owned(),
        password: args.sign_in.password.clone(),
    };
    let result = client::sign_in(&mut widget, &password).await?;
    let queues = result["queues"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|q| q["id"].as_str())
        .filter(|id| id.starts_with("chat"))
        .count();
    if queues == 0 {
        return Err("the tenant has no chat queues: make its configuration with --chats".into());
    }
    let prefix = format!("k{}-", clock::since_epoch().as_millis());
    let arrivals: Vec<Value> = (0..conversations)
        .map(|n| {
            // Agent j is in chat queue j % queues (`config --chats`).
            let queue = format!("chat{}", (n / args.chats_per_agent) % queues);
            json!({"id": format!("a{n}"), "type": "conversation_arrived",
                   "conversation": format!("{prefix}{n}"), "queue": queue})
        })
        .collect();
    // In groups: each arrival brings the connector an offer and an acceptance besides its ack,
    // which a connection that only writes would leave unread past its outbound queue (4008).
    for group in arrivals.chunks(200) {
        let refused = client::send_all_and_wait(&mut widget, group).await?;
        if refused > 0 {
            return Err(format!("{refused} conversation_arrived refused"));
        }
    }
    let deadline = clock::monotonic() + Duration::from_secs(60);
    while shared.accepted.load(Ordering::Acquire) < conversations {
        if clock::monotonic() > deadline {
            return Err(format!(
                "{} of {conversations} conversations accepted in a minute",
                shared.accepted.load(Ordering::Acquire)
            ));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    eprintln!("{agents} agents hold {conversations} conversations; {rate:.0} messages/s");

    // The connector's replies and events are read and passed over meanwhile.
    let (mut widget_out, widget_in) = widget.split();
    let reader = tokio::spawn(async move {
        let mut widget_in = widget_in;
        while let Some(Ok(_)) = widget_in.next().await {}
    });
    let gap = Duration::from_secs_f64(1.0 / rate);
    let start = tokio::time::Instant::now();
    let warmup_end = start + Duration::from_secs(args.warmup);
    let end = warmup_end + Duration::from_secs(args.seconds);
    let mut window = None;
    let (mut sent, mut measured_sent) = (0usize, 0usize);
    let mut next = start;
    while next < end {
        tokio::time::sleep_until(next).await;
        if window.is_none() && next >= warmup_end {
            window = Some(Window::start(pid)?);
            shared.measuring.store(true, Ordering::Release);
        }
        let mark = if shared.measuring.load(Ordering::Acquire) {
            'm'
        } else {
            'w'
        };
        let message = json!({
            "id": "m", "type": "customer_message",
            "conversation": format!("{prefix}{}", sent % conversations),
            "text": format!("{mark}{}", shared.elapsed_ns()),
        });
        futures_util::SinkExt::send(
            &mut widget_out,
            tokio_tungstenite::tungstenite::Message::Text(message.to_string().into()),
        )
        .await
        .map_err(|e| format!("the connector's write failed: {e}"))?;
        sent += 1;
        measured_sent += (mark == 'm') as usize;
        next += gap;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    shared.measuring.store(false, Ordering::Release);
    let spent = window.ok_or("no measured window")?.finish()?;
    let end_rss = Usage::of_all(pid)?.rss_kb;
    // The customers leave: every conversation closes (the chat queues have no wrap-up), so the
    // agents hold nothing when the next run starts.
    let mut widget = target.open_acdhub().await?;
    client::sign_in(&mut widget, &password).await?;
    let leaving: Vec<Value> = (0..conversations)
        .map(|n| json!({"id": format!("l{n}"), "type": "customer_left", "conversation": format!("{prefix}{n}")}))
        .collect();
    for group in leaving.chunks(200) {
        client::send_all_and_wait(&mut widget, group).await?;
    }
    stop.cancel();
    reader.abort();

    report.figure("conversations", conversations);
    report.figure("messages_sent", sent);
    report.figure("messages_sent_measured", measured_sent);
    report.figure("messages_received", shared.received.load(Ordering::Relaxed));
    report.figure("latency", shared.latency.summary_ms());
    report.figure(
        "measured_messages_not_received",
        measured_sent as i64 - shared.latency.count() as i64,
    );
    report.figure("offers_read", shared.offers.load(Ordering::Relaxed));
    report.figure("refusals", shared.refusals.load(Ordering::Relaxed));
    report.figure("heartbeats_read", shared.heartbeats.load(Ordering::Relaxed));
    if args.transport == Transport::Sse {
        report.figure("sse", shared.sse.json());
    }
    report.figure("connections_ended_early", shared.endings.json());
    report.figure("server_rss_signed_in_kb", signed_in_rss);
    report.figure("server_rss_end_kb", end_rss);
    report.figure(
        "server_cpu_s_per_1000_messages",
        spent.server_cpu_per(measured_sent as u64, 1000.0),
    );
    report.figure("window", spent.json());
    report.print();
    Ok(())
}

/// An agent at work: accepts every conversation offered, reads every message.
async fn agent_loop(agent: Agent, shared: Arc<Shared>, stop: Stop) {
    let on_text = |text: &str| {
        let message: Value = serde_json::from_str(text).ok()?;
        match message["type"].as_str()? {
            "conversation_offer" => {
                shared.offers.fetch_add(1, Ordering::Relaxed);
                Some(json!({"id": "x", "type": "accept_conversation",
                            "conversation": message["conversation"]}))
            }
            "conversation_accepted" => {
                shared.accepted.fetch_add(1, Ordering::Release);
                None
            }
            "message" => {
                shared.received(&message);
                None
            }
            "heartbeat" => {
                shared.heartbeats.fetch_add(1, Ordering::Relaxed);
                None
            }
            "error" => {
                shared.refusals.fetch_add(1, Ordering::Relaxed);
                None
            }
            _ => None,
        }
    };
    let endings = &shared.endings;
    match agent {
        Agent::Ws(socket) => client::read_until(socket, stop, endings, "agent", on_text).await,
        Agent::Sse(link) => {
            sse::read_until(link, stop, endings, &shared.sse, "agent", on_text).await;
        }
    }
}
