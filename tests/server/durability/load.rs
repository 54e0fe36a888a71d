//! The load the durability tests put on the real binary: agents that sign in, log in, go
//! ready, accept what is offered, hang up and end their wrap-up (now and then not ready for a
//! break, sometimes asked for during a call), and a PBX connector that reports calls and hangs
//! some of the waiting ones up. Each client sends one command at a time and records its reply;
//! each runs until the server is killed under it, and then says what it saw and what it had in
//! flight.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::SocketAddr;

use serde_json::{Value, json};

use super::model::{AgentCommand, Change, Seen};
use crate::net::{Client, PASSWORD, Via};

/// The agents of the durability tests' contact center.
pub const AGENTS: [&str; 6] = ["d1", "d2", "d3", "d4", "d5", "d6"];
pub const QUEUES: [&str; 2] = ["support", "sales"];

/// SplitMix64: the choices the clients make, reproducible from a seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True one time in `n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// How a command was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Ack,
    Error(String),
}

impl Reply {
    fn of(message: &Value) -> Reply {
        match message["type"].as_str() {
            Some("ack") => Reply::Ack,
            _ => Reply::Error(message["code"].as_str().expect("an error code").to_owned()),
        }
    }
}

/// Signs `user` in: with its token once it has one (tokens outlive restarts), else with the
/// password (and keeps the token). Returns the client and the snapshot events that came before
/// the `ack`.
pub async fn sign_in(
    address: SocketAddr,
    user: &str,
    tokens: &mut HashMap<String, String>,
) -> (Client, Vec<Value>) {
    let mut client = Client::connect_at(address, Via::Ws).await;
    let auth = match tokens.get(user) {
        Some(token) => json!({"type": "auth", "token": token}),
        None => json!({"type": "auth", "user": user, "password": PASSWORD}),
    };
    let reply = client.request(auth).await;
    assert_eq!(reply["type"], "ack", "{user} signs in: {reply}");
    let token = reply["result"]["token"].as_str().expect("a token");
    tokens.insert(user.to_owned(), token.to_owned());
    let snapshot = std::mem::take(&mut client.backlog);
    (client, snapshot)
}

/// What an agent's session saw and did until the server went away under it.
#[derive(Debug)]
pub struct AgentRun {
    pub agent: String,
    /// The agent's state as the session last saw it.
    pub last: Seen,
    /// The command sent whose reply never came.
    pub in_flight: Option<AgentCommand>,
    /// Every command that got a reply, in order.
    pub replies: Vec<(AgentCommand, Reply)>,
    /// Calls the session saw offered to the agent, saw the offer of end, saw end after the
    /// agent was connected to them.
    offered: HashSet<String>,
    cancelled: HashSet<String>,
    ended: HashSet<String>,
}

impl AgentRun {
    fn observe(&mut self, message: &Value) {
        self.last.observe(message);
        let call = message["call"].as_str().map(str::to_owned);
        match (message["type"].as_str(), message["state"].as_str(), call) {
            (Some("offer"), _, Some(call)) | (Some("agent_state"), Some("ringing"), Some(call)) => {
                self.offered.insert(call);
            }
            (Some("offer_cancelled"), _, Some(call)) => {
                self.cancelled.insert(call);
            }
            (Some("call_left"), _, Some(call))
            | (Some("agent_state"), Some("wrap_up"), Some(call)) => {
                self.ended.insert(call);
            }
            _ => {}
        }
    }
}

/// Drives one agent from `seen` (its snapshot) until the connection is gone.
pub async fn drive_agent(mut client: Client, agent: String, seen: Seen, mut rng: Rng) -> AgentRun {
    let mut run = AgentRun {
        agent,
        last: seen,
        in_flight: None,
        replies: Vec::new(),
        offered: HashSet::new(),
        cancelled: HashSet::new(),
        ended: HashSet::new(),
    };
    loop {
        let call = run.last.call.clone();
        let command = match run.last.state.as_str() {
            "logged_out" => Some(AgentCommand::Login),
            "not_ready" => Some(AgentCommand::Ready),
            "ready" if rng.one_in(20) => Some(AgentCommand::NotReady("break".into())),
            "ready" => None,
            "ringing" => Some(AgentCommand::Accept(call.expect("the ringing call"))),
            "on_call" if run.last.pending.is_none() && rng.one_in(5) => {
                Some(AgentCommand::NotReady("break".into()))
            }
            "on_call" => Some(AgentCommand::Hangup(call.expect("the connected call"))),
            "wrap_up" => Some(AgentCommand::EndWrapUp),
            other => panic!("agent {} in state {other}", run.agent),
        };
        let Some(command) = command else {
            // Ready: wait for an offer.
            match client.next_or_gone().await {
                Some(message) => run.observe(&message),
                None => return run,
            }
            continue;
        };
        let Some(id) = client.send(command.to_json()).await else {
            return run;
        };
        loop {
            let Some(message) = client.next_or_gone().await else {
                run.in_flight = Some(command);
                return run;
            };
            if matches!(message["type"].as_str(), Some("ack" | "error")) {
                assert_eq!(message["id"], id.as_str(), "one command at a time");
                run.replies.push((command, Reply::of(&message)));
                break;
            }
            run.observe(&message);
        }
    }
}

/// A command the PBX connector sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TelephonyCommand {
    Arrive { call: String, queue: String },
    End(String),
}

impl TelephonyCommand {
    fn to_json(&self) -> Value {
        match self {
            TelephonyCommand::Arrive { call, queue } => {
                json!({"type": "call_arrived", "call": call, "queue": queue, "caller": "+4930555000"})
            }
            TelephonyCommand::End(call) => json!({"type": "call_ended", "call": call}),
        }
    }
}

/// What the PBX connector saw and did until the server went away under it.
#[derive(Debug, Default)]
pub struct TelephonyRun {
    pub in_flight: Option<TelephonyCommand>,
    pub replies: Vec<(TelephonyCommand, Reply)>,
    /// Calls waiting in a queue, as far as the connector knows.
    waiting: BTreeSet<String>,
    /// Connected calls and their agents.
    connected: BTreeMap<String, String>,
    /// Offers made, offers that ended unanswered, connected calls that ended: (call, agent).
    offers: Vec<(String, String)>,
    cancels: Vec<(String, String)>,
    completed: Vec<(String, String)>,
}

impl TelephonyRun {
    /// Starts from the connector's snapshot: every call the ACD holds.
    pub fn from_snapshot(snapshot: &[Value]) -> TelephonyRun {
        let mut run = TelephonyRun::default();
        for message in snapshot {
            let call = message["call"].as_str().unwrap_or_default().to_owned();
            match message["type"].as_str() {
                Some("call_state") if message["status"] == "waiting" => {
                    run.waiting.insert(call);
                }
                Some("call_connected") => {
                    let agent = message["agent"].as_str().expect("an agent").to_owned();
                    run.connected.insert(call, agent);
                }
                _ => {}
            }
        }
        run
    }

    /// Every call the snapshot listed.
    /// Calls waiting in a queue, as far as the connector knows.
    pub fn waiting(&self) -> &BTreeSet<String> {
        &self.waiting
    }

    pub fn calls(snapshot: &[Value]) -> BTreeSet<String> {
        snapshot
            .iter()
            .filter_map(|message| message["call"].as_str().map(str::to_owned))
            .collect()
    }

    fn observe(&mut self, message: &Value) {
        let field = |name: &str| message[name].as_str().map(str::to_owned);
        let (Some(call), agent) = (field("call"), field("agent")) else {
            return;
        };
        match (message["type"].as_str(), agent) {
            (Some("offer"), Some(agent)) => {
                self.waiting.remove(&call);
                self.offers.push((call, agent));
            }
            (Some("offer_cancelled"), Some(agent)) => {
                if message["reason"] != "caller_hung_up" {
                    self.waiting.insert(call.clone());
                }
                self.cancels.push((call, agent));
            }
            (Some("call_connected"), Some(agent)) => {
                self.connected.insert(call, agent);
            }
            (Some("call_left"), _) => {
                self.waiting.remove(&call);
                if let Some(agent) = self.connected.remove(&call) {
                    self.completed.push((call, agent));
                }
            }
            _ => {}
        }
    }

    /// What may have happened to `agent` without its session hearing of it: the changes this
    /// connector saw and the agent's session did not, and those a command in flight may have
    /// made.
    pub fn unseen_by(&self, agent: &AgentRun) -> Vec<Change> {
        let mut changes = Vec::new();
        if let Some(command) = &agent.in_flight {
            changes.push(Change::Own(command.clone()));
        }
        let of = |list: &[(String, String)], seen: &HashSet<String>| -> Vec<String> {
            list.iter()
                .filter(|(call, to)| *to == agent.agent && !seen.contains(call))
                .map(|(call, _)| call.clone())
                .collect()
        };
        changes.extend(
            of(&self.offers, &agent.offered)
                .into_iter()
                .map(Change::Offer),
        );
        changes.extend(
            of(&self.cancels, &agent.cancelled)
                .into_iter()
                .map(Change::Cancel),
        );
        changes.extend(
            of(&self.completed, &agent.ended)
                .into_iter()
                .map(Change::End),
        );
        match &self.in_flight {
            Some(TelephonyCommand::Arrive { call, .. }) => {
                changes.push(Change::Offer(call.clone()))
            }
            Some(TelephonyCommand::End(call)) => {
                changes.push(Change::Cancel(call.clone()));
                changes.push(Change::End(call.clone()));
            }
            None => {}
        }
        let mut unique = HashSet::new();
        changes.retain(|change| unique.insert(change.clone()));
        changes
    }
}

/// Drives the PBX connector until the connection is gone: a new call (ids `{prefix}-1`,
/// `{prefix}-2`, ...) while few wait, else as often the hang-up of a waiting one.
pub async fn drive_telephony(
    mut client: Client,
    mut run: TelephonyRun,
    prefix: String,
    mut rng: Rng,
) -> TelephonyRun {
    let mut next = 0;
    loop {
        let command = if run.waiting.len() < 3 || rng.one_in(2) {
            next += 1;
            let call = format!("{prefix}-{next}");
            run.waiting.insert(call.clone());
            let queue = QUEUES[rng.below(QUEUES.len() as u64) as usize].to_owned();
            TelephonyCommand::Arrive { call, queue }
        } else {
            let waiting: Vec<&String> = run.waiting.iter().collect();
            TelephonyCommand::End(waiting[rng.below(waiting.len() as u64) as usize].clone())
        };
        let Some(id) = client.send(command.to_json()).await else {
            return run;
        };
        loop {
            let Some(message) = client.next_or_gone().await else {
                run.in_flight = Some(command);
                return run;
            };
            if matches!(message["type"].as_str(), Some("ack" | "error")) {
                assert_eq!(message["id"], id.as_str(), "one command at a time");
                let reply = Reply::of(&message);
                let gone = match &command {
                    TelephonyCommand::Arrive { call, .. } => (reply != Reply::Ack).then_some(call),
                    TelephonyCommand::End(call) => Some(call),
                };
                if let Some(call) = gone {
                    run.waiting.remove(call);
                }
                run.replies.push((command, reply));
                break;
            }
            run.observe(&message);
        }
    }
}
