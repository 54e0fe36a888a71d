//! Sessions survive connections cut mid-stream. A small TCP proxy between the clients and the
//! server cuts connections abruptly (both directions dropped at once, after a random number of
//! bytes from the server, so usually in the middle of a frame, or after a random time), while
//! agents take calls that telephony reports at a steady rate. Each agent reconnects, resumes its
//! session, and must end up having received every event of it exactly once and in order; no
//! call may be lost. A session also moves between rungs: WebSocket, SSE, long-poll and back,
//! with a cut before each move.

use crate::net;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, sleep_until};
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::net::http::{Poll, Sse, resume_auth};
use crate::net::{Client, PATIENCE, Socket, Via};
use crate::schema::check_server_message;
use acdhub::server::hash_password;

/// A xorshift generator: the test needs varied cut points and handling times, not good
/// randomness.
struct Random(u64);

impl Random {
    fn seeded() -> Random {
        Random(getrandom::u64().expect("a random seed") | 1)
    }

    /// An independent generator for another task.
    fn fork(&mut self) -> Random {
        Random(self.next() | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number from `low` up to, not including, `high`.
    fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next() % (high - low)
    }

    fn millis(&mut self, low: u64, high: u64) -> Duration {
        Duration::from_millis(self.between(low, high))
    }
}

/// What the proxy does to the connections through it.
#[derive(Debug, Clone, Copy, Default)]
struct Cutting {
    /// Cut every connection at a random point: after a random number of bytes from the server
    /// or a random time, whichever comes first.
    at_random: bool,
    /// Bumped to cut every connection open at that moment.
    generation: u64,
}

/// A TCP proxy that cuts connections: both sockets closed at once, half of the time with a
/// reset (what a crashed middlebox or a vanished NAT mapping looks like), half with a plain
/// close, and never with a WebSocket close frame or the end of an HTTP response.
struct CuttingProxy {
    addr: SocketAddr,
    control: watch::Sender<Cutting>,
    cuts: Arc<AtomicUsize>,
    accepter: JoinHandle<()>,
}

impl Drop for CuttingProxy {
    fn drop(&mut self) {
        self.accepter.abort();
    }
}

impl CuttingProxy {
    async fn start(upstream: SocketAddr, mut random: Random) -> CuttingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (control, _) = watch::channel(Cutting::default());
        let cuts = Arc::new(AtomicUsize::new(0));
        let accepter = tokio::spawn({
            let control = control.clone();
            let cuts = cuts.clone();
            async move {
                loop {
                    let Ok((client, _)) = listener.accept().await else {
                        continue;
                    };
                    tokio::spawn(relay(
                        client,
                        upstream,
                        control.subscribe(),
                        random.fork(),
                        cuts.clone(),
                    ));
                }
            }
        });
        CuttingProxy {
            addr,
            control,
            cuts,
            accepter,
        }
    }

    fn cut_at_random(&self, on: bool) {
        self.control.send_modify(|cutting| cutting.at_random = on);
    }

    /// Cuts every connection open now.
    fn cut_all(&self) {
        self.control.send_modify(|cutting| cutting.generation += 1);
    }

    fn cuts(&self) -> usize {
        self.cuts.load(Ordering::Relaxed)
    }
}

/// Carries one connection both ways until either side closes it or the proxy cuts it.
async fn relay(
    mut client: TcpStream,
    upstream: SocketAddr,
    mut control: watch::Receiver<Cutting>,
    mut random: Random,
    cuts: Arc<AtomicUsize>,
) {
    let Ok(mut server) = TcpStream::connect(upstream).await else {
        return;
    };
    let generation = control.borrow_and_update().generation;
    let mut to_server = [0u8; 4096];
    let mut to_client = [0u8; 4096];
    // Once random cutting is on: when to cut, and after how many more bytes from the server.
    let mut cut_at: Option<(Instant, usize)> = None;
    {
        let (mut client_read, mut client_write) = client.split();
        let (mut server_read, mut server_write) = server.split();
        loop {
            let cutting = *control.borrow_and_update();
            if cutting.generation != generation {
                break;
            }
            if cutting.at_random && cut_at.is_none() {
                let lifetime = random.millis(100, 1500);
                let bytes = random.between(1, 6000) as usize;
                cut_at = Some((Instant::now() + lifetime, bytes));
            }
            let deadline = cut_at.map(|(instant, _)| instant);
            tokio::select! {
                read = client_read.read(&mut to_server) => match read {
                    Ok(n) if n > 0 => {
                        if server_write.write_all(&to_server[..n]).await.is_err() {
                            return;
                        }
                    }
                    _ => return,
                },
                read = server_read.read(&mut to_client) => match read {
                    Ok(n) if n > 0 => {
                        let passed = cut_at.map_or(n, |(_, bytes)| n.min(bytes));
                        if client_write.write_all(&to_client[..passed]).await.is_err() {
                            return;
                        }
                        if let Some((instant, bytes)) = cut_at {
                            if bytes == passed {
                                break;
                            }
                            cut_at = Some((instant, bytes - passed));
                        }
                    }
                    _ => return,
                },
                _ = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => break,
                changed = control.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
    cuts.fetch_add(1, Ordering::Relaxed);
    if random.next().is_multiple_of(2) {
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
}

/// The next message on a WebSocket, schema-checked; `None` when the connection broke. Pings
/// are answered by tungstenite as it reads. A close frame from the server is a failure here:
/// nothing in these tests gives it a reason to close.
async fn read_ws(socket: &mut Socket) -> Option<Value> {
    loop {
        match tokio::time::timeout(PATIENCE, socket.next()).await {
            Err(_) => panic!("nothing from the server within {PATIENCE:?}"),
            Ok(None | Some(Err(_))) => return None,
            Ok(Some(Ok(Message::Text(text)))) => return Some(check_server_message(text.as_str())),
            Ok(Some(Ok(Message::Close(frame)))) => {
                panic!("the server closed a connection: {frame:?}")
            }
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// Opens a WebSocket to `addr` and reads its greeting; `None` if it was cut on the way.
async fn open_ws(addr: SocketAddr) -> Option<Socket> {
    let mut socket = net::open_at(addr, Via::Ws, None).await.ok()?;
    let hello = read_ws(&mut socket).await?;
    assert_eq!(hello["type"], "hello");
    Some(socket)
}

/// The events of one session as its client received them, over however many connections.
#[derive(Default)]
struct Received {
    token: String,
    session: String,
    events: Vec<Value>,
}

impl Received {
    fn last_seq(&self) -> u64 {
        self.events.len() as u64
    }

    /// Takes an event, which must be the session's next: seqs run 1, 2, 3... across all
    /// connections, so none is missing and none came twice.
    fn event(&mut self, event: Value) {
        assert_eq!(
            event["seq"].as_u64(),
            Some(self.last_seq() + 1),
            "the session's events arrive once each, in order: {event}"
        );
        self.events.push(event);
    }

    /// Takes the ack of a fresh `auth`: the session to resume later.
    fn started(&mut self, ack: &Value) {
        let result = &ack["result"];
        assert_eq!(result["resumed"], false, "{ack}");
        self.token = result["token"].as_str().expect("a token").to_owned();
        self.session = result["session"].as_str().expect("a session").to_owned();
    }

    fn resume(&self, id: &str) -> Value {
        resume_auth(id, &self.token, &self.session, self.last_seq())
    }
}

// ---------------------------------------------------------------------------------------------
// Calls flowing while connections are cut.

/// The agents of the load test: `r1`..`r4`, all in `support`.
const AGENTS: usize = 4;

/// Calls telephony reports, one every `CALL_INTERVAL`.
const CALLS: usize = 60;
const CALL_INTERVAL: Duration = Duration::from_millis(250);

/// Cuts every agent must have lived through before the cutting stops.
const MIN_CUTS: u32 = 4;

/// The whole test, generously: it takes about 20 s on an idle machine.
const LOAD_TEST_LIMIT: Duration = Duration::from_secs(240);

/// The load test's agents and their logins, added to the test tenant, and pings every 5 s, so
/// that an agent with nothing to do still hears from the server within `PATIENCE`.
fn load_config() -> String {
    let hash = hash_password(net::PASSWORD);
    let mut text = String::from("[limits]\nping_interval_secs = 5\n");
    for n in 1..=AGENTS {
        text.push_str(&format!(
            "\n[[tenants.agents]]\nid = \"r{n}\"\nskills = {{ support = 3 }}\n\n\
             [[principals]]\nuser = \"r{n}\"\nrole = \"agent\"\ntenant = \"acme\"\n\
             password_hash = \"{hash}\"\n"
        ));
    }
    text
}

/// Why an agent's connection ended.
enum Ended {
    Cut,
    Stopped,
}

/// An agent that takes every call offered to it: accepts, talks a little, hangs up, ends its
/// wrap-up a little later, and goes ready whenever it finds itself not ready. It acts on its
/// state as its events tell it, so after a resume it carries on where its session is.
struct Agent {
    user: String,
    random: Random,
    received: Received,
    /// The agent's last `agent_state`.
    state: Value,
    /// Whether the command for the current state was sent on this connection.
    asked: bool,
    /// When to hang up or end the wrap-up, in the current state.
    due: Option<Instant>,
    /// Commands sent on this connection and not yet answered.
    in_flight: usize,
    next_id: u64,
    connections: u32,
    resumes: u32,
    /// Events received on a resumed connection before its `ack`: what the cuts made it miss.
    replayed: usize,
    /// What the test watches while the agent runs.
    progress: Arc<Progress>,
}

/// How far an agent has come, for the test to watch while it runs.
#[derive(Default)]
struct Progress {
    /// Set when the agent is first ready: its session exists and may be resumed.
    ready: AtomicBool,
    connections: AtomicU32,
}

/// Replies an agent takes in its stride: an offer that rang out as it was accepted, and the
/// like (protocol.md: "Races are normal").
const RACES: [&str; 3] = ["not_offered", "not_on_call", "not_in_wrap_up"];

impl Agent {
    fn new(user: String, random: Random, progress: Arc<Progress>) -> Agent {
        Agent {
            user,
            random,
            received: Received::default(),
            state: Value::Null,
            asked: false,
            due: None,
            in_flight: 0,
            next_id: 0,
            connections: 0,
            resumes: 0,
            replayed: 0,
            progress,
        }
    }

    /// Connects again whenever the connection is cut, until `stop` finds it idle.
    async fn run(mut self, proxy: SocketAddr, stop: CancellationToken) -> Agent {
        loop {
            if let Some(socket) = open_ws(proxy).await {
                self.connections += 1;
                self.progress.connections.fetch_add(1, Ordering::Relaxed);
                if let Ended::Stopped = self.connection(socket, &stop).await {
                    return self;
                }
            }
            // A client reconnects after a pause.
            sleep(self.random.millis(0, 200)).await;
        }
    }

    fn id(&mut self) -> String {
        self.next_id += 1;
        format!("{}-{}", self.user, self.next_id)
    }

    async fn send(&mut self, socket: &mut Socket, message: Value) -> Result<(), ()> {
        self.in_flight += 1;
        let text = message.to_string();
        socket
            .send(Message::Text(text.into()))
            .await
            .map_err(|_| ())
    }

    /// One connection: authenticate (resuming after the first), then work.
    async fn connection(&mut self, mut socket: Socket, stop: &CancellationToken) -> Ended {
        self.asked = false;
        self.due = None;
        self.in_flight = 0;
        let auth_id = self.id();
        let resuming = !self.received.session.is_empty();
        let auth = if resuming {
            self.received.resume(&auth_id)
        } else {
            assert_eq!(
                self.connections, 1,
                "{}: only the first connection authenticates afresh",
                self.user
            );
            json!({"id": auth_id, "type": "auth", "user": self.user, "password": net::PASSWORD})
        };
        if self.send(&mut socket, auth).await.is_err() {
            return Ended::Cut;
        }
        let mut authenticated = false;
        let mut before_ack = 0;
        loop {
            let idle = authenticated && self.in_flight == 0 && self.state["state"] == "ready";
            let due = self.due;
            tokio::select! {
                message = read_ws(&mut socket) => {
                    let Some(message) = message else {
                        return Ended::Cut;
                    };
                    match message["type"].as_str() {
                        Some("heartbeat") => continue,
                        Some("ack") | Some("error") => {
                            self.in_flight = self.in_flight.saturating_sub(1);
                            if message["id"] == auth_id.as_str() {
                                assert_eq!(message["type"], "ack", "{}: {message}", self.user);
                                if resuming {
                                    assert_eq!(
                                        message["result"]["resumed"], true,
                                        "{} resumes its session: {message}",
                                        self.user
                                    );
                                    self.resumes += 1;
                                    self.replayed += before_ack;
                                } else {
                                    self.received.started(&message);
                                }
                                authenticated = true;
                            } else if message["type"] == "error" {
                                let code = message["code"].as_str().unwrap_or_default();
                                assert!(RACES.contains(&code), "{}: {message}", self.user);
                            }
                        }
                        _ => {
                            if !authenticated {
                                before_ack += 1;
                            }
                            self.event(message);
                        }
                    }
                    if authenticated && self.act(&mut socket).await.is_err() {
                        return Ended::Cut;
                    }
                }
                _ = sleep_until(due.unwrap_or_else(Instant::now)), if authenticated && due.is_some() => {
                    self.due = None;
                    self.asked = true;
                    let id = self.id();
                    let command = if self.state["state"] == "on_call" {
                        json!({"id": id, "type": "hangup", "call": self.state["call"]})
                    } else {
                        json!({"id": id, "type": "end_wrap_up"})
                    };
                    if self.send(&mut socket, command).await.is_err() {
                        return Ended::Cut;
                    }
                }
                _ = stop.cancelled(), if idle => return Ended::Stopped,
            }
        }
    }

    fn event(&mut self, event: Value) {
        if event["type"] == "agent_state" {
            assert_eq!(event["agent"], self.user.as_str());
            self.state = event.clone();
            self.asked = false;
            self.due = None;
            if event["state"] == "ready" {
                self.progress.ready.store(true, Ordering::Relaxed);
            }
        }
        self.received.event(event);
    }

    /// Does what the current state calls for, once per state.
    async fn act(&mut self, socket: &mut Socket) -> Result<(), ()> {
        if self.asked || self.due.is_some() {
            return Ok(());
        }
        let mut command = match self.state["state"].as_str() {
            Some("logged_out") => json!({"type": "login"}),
            Some("not_ready") => json!({"type": "ready"}),
            Some("ringing") => json!({"type": "accept", "call": self.state["call"]}),
            Some("on_call") => {
                self.due = Some(Instant::now() + self.random.millis(50, 500));
                return Ok(());
            }
            Some("wrap_up") => {
                self.due = Some(Instant::now() + self.random.millis(20, 300));
                return Ok(());
            }
            _ => return Ok(()),
        };
        command["id"] = json!(self.id());
        self.asked = true;
        self.send(socket, command).await
    }
}

/// Fails the test with an agent's own failure, if one has failed: agents end only when stopped.
async fn no_agent_failed(agents: &mut [JoinHandle<Agent>]) {
    for agent in agents {
        if agent.is_finished() {
            match agent.await {
                Err(error) => std::panic::resume_unwind(error.into_panic()),
                Ok(agent) => panic!("{} stopped before it was told to", agent.user),
            }
        }
    }
}

/// What telephony saw of each call: the number of `call_connected` and the `call_left` reasons.
#[derive(Default, Debug)]
struct CallSeen {
    connected: usize,
    left: Vec<String>,
}

fn note_call(calls: &mut BTreeMap<String, CallSeen>, message: &Value) {
    let Some(call) = message["call"].as_str() else {
        return;
    };
    match message["type"].as_str() {
        Some("call_connected") => calls.entry(call.to_owned()).or_default().connected += 1,
        Some("call_left") => calls
            .entry(call.to_owned())
            .or_default()
            .left
            .push(message["reason"].as_str().unwrap().to_owned()),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agents_whose_connections_are_cut_under_call_load_miss_no_event_and_lose_no_call() {
    tokio::time::timeout(LOAD_TEST_LIMIT, calls_under_cuts())
        .await
        .expect("the load test finishes");
}

async fn calls_under_cuts() {
    let started = Instant::now();
    let server = net::start(&load_config()).await;
    let mut random = Random::seeded();
    let proxy = CuttingProxy::start(server.ws_addr().unwrap(), random.fork()).await;
    let stop = CancellationToken::new();
    let progress: Vec<Arc<Progress>> = (0..AGENTS).map(|_| Arc::default()).collect();
    let mut agents: Vec<JoinHandle<Agent>> = progress
        .iter()
        .enumerate()
        .map(|(n, progress)| {
            let agent = Agent::new(format!("r{}", n + 1), random.fork(), progress.clone());
            tokio::spawn(agent.run(proxy.addr, stop.clone()))
        })
        .collect();
    // Cutting starts once every agent has a session to resume.
    let deadline = Instant::now() + PATIENCE;
    while !progress.iter().all(|p| p.ready.load(Ordering::Relaxed)) {
        assert!(Instant::now() < deadline, "the agents log in and go ready");
        sleep(Duration::from_millis(20)).await;
    }
    proxy.cut_at_random(true);

    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let mut calls = BTreeMap::new();
    for n in 1..=CALLS {
        let call = format!("load-{n}");
        pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "support"}))
            .await;
        calls.insert(call, CallSeen::default());
        sleep(CALL_INTERVAL).await;
        no_agent_failed(&mut agents).await;
    }
    // Each agent lives through a few cuts, however slowly the machine runs.
    while progress
        .iter()
        .any(|p| p.connections.load(Ordering::Relaxed) <= MIN_CUTS)
    {
        sleep(Duration::from_millis(100)).await;
        no_agent_failed(&mut agents).await;
    }
    proxy.cut_at_random(false);

    // Every call ends up answered and completed, once.
    for message in std::mem::take(&mut pbx.backlog) {
        note_call(&mut calls, &message);
    }
    let mut last_news = Instant::now();
    while calls.values().any(|seen| seen.left.is_empty()) {
        match tokio::time::timeout(Duration::from_secs(1), pbx.next()).await {
            Ok(message) => {
                note_call(&mut calls, &message);
                last_news = Instant::now();
            }
            Err(_) => {
                no_agent_failed(&mut agents).await;
                let open: Vec<_> = calls.iter().filter(|(_, s)| s.left.is_empty()).collect();
                assert!(
                    last_news.elapsed() < PATIENCE,
                    "nothing happened to these calls for {PATIENCE:?}: {open:?}"
                );
            }
        }
    }
    stop.cancel();
    let mut agents_done = Vec::new();
    for agent in agents {
        let agent = tokio::time::timeout(PATIENCE, agent)
            .await
            .expect("every agent comes to rest, ready, once the calls are over");
        agents_done.push(agent.expect("the agent's task"));
    }
    assert_eq!(calls.len(), CALLS, "telephony heard of no other call");
    for (call, seen) in &calls {
        assert_eq!(seen.connected, 1, "{call} was answered once: {seen:?}");
        assert_eq!(
            seen.left,
            ["completed"],
            "{call} was completed once: {seen:?}"
        );
    }

    // Each agent got every event of its session once, in order (checked as they came), and
    // heard of every call it took: its connection and its end.
    let mut answered: BTreeMap<String, String> = BTreeMap::new();
    let mut replayed = 0;
    for agent in &agents_done {
        assert!(
            agent.resumes >= 1 && agent.connections > MIN_CUTS,
            "{} was cut and resumed: {} connections, {} resumes",
            agent.user,
            agent.connections,
            agent.resumes
        );
        replayed += agent.replayed;
        let mut left = Vec::new();
        for event in &agent.received.events {
            match event["type"].as_str() {
                Some("call_connected") => {
                    let call = event["call"].as_str().unwrap().to_owned();
                    if let Some(other) = answered.insert(call.clone(), agent.user.clone()) {
                        panic!("{call} connected to {other} and {}", agent.user);
                    }
                }
                Some("call_left") => left.push(event["call"].as_str().unwrap().to_owned()),
                _ => {}
            }
        }
        let mut taken: Vec<String> = answered
            .iter()
            .filter(|(_, user)| **user == agent.user)
            .map(|(call, _)| call.clone())
            .collect();
        taken.sort();
        left.sort();
        assert_eq!(left, taken, "{} heard each of its calls end", agent.user);
    }
    assert_eq!(
        answered.len(),
        CALLS,
        "the agents' events account for every call"
    );
    assert!(
        replayed > 0,
        "the cuts made the agents miss events, which their resumes replayed"
    );

    // The last event each agent has is its state now: nothing after it went missing.
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe", "queues": ["support"]}))
        .await;
    for agent in &agents_done {
        let now = boss
            .expect_where("agent_state", |m| m["agent"] == agent.user.as_str())
            .await;
        assert_eq!(now["state"], agent.state["state"], "{}", agent.user);
        assert_eq!(now["since"], agent.state["since"], "{}", agent.user);
    }
    // The server's own account of each session agrees: one session per agent all along (every
    // reconnection resumed it), and its last seq is the agent's last event.
    let (status, body) = net::http_get(server.metrics_addr().unwrap(), "/sessions").await;
    assert_eq!(status, 200, "{body}");
    let sessions: Value = serde_json::from_str(&body).unwrap();
    for agent in &agents_done {
        let theirs: Vec<&Value> = sessions["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s["user"] == agent.user.as_str())
            .collect();
        assert_eq!(theirs.len(), 1, "{}: {theirs:?}", agent.user);
        let session = theirs[0];
        assert_eq!(session["resync"], false, "{session}");
        assert_eq!(
            session["last_seq"],
            agent.received.last_seq(),
            "{}: {session}",
            agent.user
        );
        assert!(
            session["resumes"].as_u64().unwrap() >= u64::from(agent.resumes),
            "{}: {session}",
            agent.user
        );
    }
    let stats = boss.expect("queue_stats").await;
    assert_eq!(stats["today"]["offered"], CALLS, "{stats}");
    assert_eq!(stats["today"]["answered"], CALLS, "{stats}");
    assert_eq!(stats["today"]["abandoned"], 0, "{stats}");
    assert_eq!(stats["waiting"], 0, "{stats}");

    let events: usize = agents_done.iter().map(|a| a.received.events.len()).sum();
    let connections: u32 = agents_done.iter().map(|a| a.connections).sum();
    let resumes: u32 = agents_done.iter().map(|a| a.resumes).sum();
    println!(
        "{CALLS} calls, {AGENTS} agents: {} cuts, {connections} connections, {resumes} \
         resumes, {events} events of which {replayed} replayed, in {:?}",
        proxy.cuts(),
        started.elapsed()
    );
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// One session across the rungs.

/// A connection on any rung, as the session sees it.
enum Link {
    WebSocket(Socket),
    Sse(Sse),
    LongPoll(Poll),
}

impl Link {
    async fn websocket(addr: SocketAddr) -> Link {
        Link::WebSocket(open_ws(addr).await.expect("a connection"))
    }

    async fn send(&mut self, message: &Value) {
        match self {
            Link::WebSocket(socket) => socket
                .send(Message::Text(message.to_string().into()))
                .await
                .expect("the connection is open"),
            Link::Sse(sse) => sse.send(message).await,
            Link::LongPoll(poll) => poll.send(message).await,
        }
    }

    /// The next message that is not a heartbeat.
    async fn next(&mut self) -> Value {
        loop {
            let message = match self {
                Link::WebSocket(socket) => read_ws(socket).await.expect("the connection is open"),
                Link::Sse(sse) => sse.next_message().await,
                Link::LongPoll(poll) => poll.next_message().await,
            };
            if message["type"] != "heartbeat" {
                return message;
            }
        }
    }
}

/// One session moving between links.
struct Moving {
    received: Received,
    next_id: u64,
}

impl Moving {
    fn id(&mut self) -> String {
        self.next_id += 1;
        self.next_id.to_string()
    }

    /// Sends `command` and reads up to its reply, which must be an ack.
    async fn ok(&mut self, link: &mut Link, mut command: Value) -> Value {
        let id = self.id();
        command["id"] = json!(id);
        link.send(&command).await;
        loop {
            let message = link.next().await;
            if message.get("seq").is_some() {
                self.received.event(message);
                continue;
            }
            assert_eq!(message["id"], id.as_str(), "{command} -> {message}");
            assert_eq!(message["type"], "ack", "{command} -> {message}");
            return message;
        }
    }

    /// Where the events received so far end, for `event_since`.
    fn mark(&self) -> usize {
        self.received.events.len()
    }

    /// The first event from `mark` on that `wanted` picks, reading more events if needed (an
    /// event a command causes may have come before the command's ack).
    async fn event_since(
        &mut self,
        link: &mut Link,
        mark: usize,
        wanted: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(event) = self.received.events[mark..].iter().find(|e| wanted(e)) {
            return event.clone();
        }
        loop {
            let message = link.next().await;
            assert!(message.get("seq").is_some(), "an event: {message}");
            self.received.event(message.clone());
            if wanted(&message) {
                return message;
            }
        }
    }

    /// Resumes on `link`; returns the events replayed before the ack.
    async fn resume(&mut self, link: &mut Link) -> Vec<Value> {
        let from = self.received.events.len();
        let id = self.id();
        let auth = self.received.resume(&id);
        let ack = self.ok(link, auth).await;
        assert_eq!(ack["result"]["resumed"], true, "{ack}");
        assert_eq!(ack["result"]["session"], self.received.session.as_str());
        self.received.events[from..].to_vec()
    }
}

fn has(events: &[Value], kind: &str, call: &str) -> bool {
    events
        .iter()
        .any(|event| event["type"] == kind && event["call"] == call)
}

#[tokio::test]
async fn a_session_moves_from_websocket_to_sse_to_long_poll_and_back_across_cuts() {
    let server = net::start("").await;
    let proxy = CuttingProxy::start(server.ws_addr().unwrap(), Random::seeded()).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let mut session = Moving {
        received: Received::default(),
        next_id: 0,
    };

    // WebSocket: log in, and see a call arrive.
    let mut link = Link::websocket(proxy.addr).await;
    let auth = json!({"type": "auth", "user": "a1", "password": net::PASSWORD});
    let ack = session.ok(&mut link, auth).await;
    session.received.started(&ack);
    session.ok(&mut link, json!({"type": "login"})).await;
    let mark = session.mark();
    pbx.ok(json!({"type": "call_arrived", "call": "m-1", "queue": "support"}))
        .await;
    session
        .event_since(&mut link, mark, |e| {
            e["type"] == "queue_waiting" && e["queue"] == "support" && e["waiting"] == 1
        })
        .await;

    // Cut; a second call arrives while the agent is away; resume on SSE.
    proxy.cut_all();
    drop(link);
    pbx.ok(json!({"type": "call_arrived", "call": "m-2", "queue": "sales"}))
        .await;
    let mut link = Link::Sse(Sse::open(proxy.addr).await);
    let replayed = session.resume(&mut link).await;
    assert!(
        replayed
            .iter()
            .any(|e| e["type"] == "queue_waiting" && e["queue"] == "sales" && e["waiting"] == 1),
        "the event missed while away is replayed: {replayed:?}"
    );
    let mark = session.mark();
    session.ok(&mut link, json!({"type": "ready"})).await;
    let offer = session
        .event_since(&mut link, mark, |e| e["type"] == "offer")
        .await;
    let first = offer["call"].as_str().unwrap().to_owned();
    session
        .ok(&mut link, json!({"type": "accept", "call": first}))
        .await;

    // Cut; the caller hangs up while the agent is away; resume on long-poll.
    proxy.cut_all();
    drop(link);
    pbx.ok(json!({"type": "call_ended", "call": first})).await;
    let mut poll = Poll::open(proxy.addr).await;
    assert_eq!(poll.next_message().await["type"], "hello");
    let mut link = Link::LongPoll(poll);
    let replayed = session.resume(&mut link).await;
    assert!(
        has(&replayed, "call_left", &first),
        "the call's end is replayed: {replayed:?}"
    );
    let mark = session.mark();
    session.ok(&mut link, json!({"type": "end_wrap_up"})).await;
    let offer = session
        .event_since(&mut link, mark, |e| e["type"] == "offer")
        .await;
    let second = offer["call"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    session
        .ok(&mut link, json!({"type": "accept", "call": second}))
        .await;

    // The agent stops polling (its network went); the other call ends meanwhile; resume on a
    // WebSocket again. The long-poll link was still attached: it is closed with 4009.
    let Link::LongPoll(stale) = link else {
        unreachable!()
    };
    pbx.ok(json!({"type": "call_ended", "call": second})).await;
    let mut link = Link::websocket(proxy.addr).await;
    let replayed = session.resume(&mut link).await;
    assert!(
        has(&replayed, "call_left", &second),
        "the second call's end is replayed: {replayed:?}"
    );
    let mut stale = stale;
    let closed = loop {
        let answer = stale.poll().await;
        if !answer.closed.is_null() {
            break answer.closed;
        }
    };
    assert_eq!(
        closed["code"], 4009,
        "the link the session left is closed: {closed}"
    );
    let mark = session.mark();
    session.ok(&mut link, json!({"type": "end_wrap_up"})).await;
    session
        .event_since(&mut link, mark, |e| {
            e["type"] == "agent_state" && e["state"] == "ready"
        })
        .await;

    // Every event once, in order (checked as each came), the whole story of both calls in it.
    let events = &session.received.events;
    for call in [&first, &second] {
        for kind in ["offer", "call_connected", "call_left"] {
            let count = events
                .iter()
                .filter(|e| e["type"] == kind && e["call"] == call.as_str())
                .count();
            assert_eq!(count, 1, "one {kind} of {call}");
        }
    }
    // The server counts the same story: one session, four connections, three resumes.
    let (status, body) = net::http_get(server.metrics_addr().unwrap(), "/sessions").await;
    assert_eq!(status, 200, "{body}");
    let sessions: Value = serde_json::from_str(&body).unwrap();
    let a1: Vec<&Value> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["user"] == "a1")
        .collect();
    assert_eq!(a1.len(), 1, "{a1:?}");
    assert_eq!(a1[0]["connections"], 4, "{}", a1[0]);
    assert_eq!(a1[0]["resumes"], 3, "{}", a1[0]);
    assert_eq!(a1[0]["resync"], false, "{}", a1[0]);
    assert_eq!(a1[0]["last_seq"], events.len(), "{}", a1[0]);
    assert_eq!(a1[0]["rung"], "ws", "{}", a1[0]);
    println!(
        "one session over 4 links, {} cuts: {} events",
        proxy.cuts(),
        events.len()
    );
    server.shutdown().await;
}
