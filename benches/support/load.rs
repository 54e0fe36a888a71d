//! The load model shared by `benches/routing.rs` and `benches/durable.rs` (criterion, wall
//! time), `examples/routing_load.rs` (a fixed amount of work, for cachegrind or perf), and the
//! journals that `examples/recovery_time.rs` and `examples/offer_latency.rs` recover: a contact
//! center of N agents in N/50 queues under a load that keeps every agent busy and calls waiting.
//!
//! Each agent serves three queues with a skill level from 1 to 5; the queues use every strategy
//! and widen after 20 s. One cycle of a call is four commands (arrive, accept, hang up, end
//! wrap-up), and the events each command produces are drained as a server would.
//!
//! [`mixed_config`] is the same contact center with a chat channel beside: N/50 chat queues,
//! each agent in one of them holding up to three chats (while on a call too), and every other
//! arrival a chat. One cycle of a chat is five commands (arrive, accept, the customer writes,
//! the agent answers, the agent closes).

// Each bench and example that includes this file uses a part of it.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::time::Duration;

use acdhub::acd::config::{
    AgentConfig, Escalation, EscalationStep, QueueConfig, RoutingConfig, Strategy,
};
use acdhub::acd::{
    Acd, AgentId, AgentStatus, CallData, CallId, Command, Config, Event, QueueId, RequestedState,
};
use acdhub::journal::Journal;
use acdhub::server::{Entry, Record};
use acdhub::sim::rng::Rng;
use jiff::{Timestamp, tz::TimeZone};

/// A number below `n` from the simulator's seeded generator, so every run routes the same calls.
fn below(rng: &mut Rng, n: u64) -> u64 {
    rng.next_u64() % n
}

pub fn config(agents: usize) -> Config {
    let queues = agents / 50;
    let mut rng = Rng::stream(7, 0);
    Config {
        name: "load".into(),
        time_zone: TimeZone::get("Europe/Berlin").unwrap(),
        queues: (0..queues)
            .map(|q| {
                let mut queue = QueueConfig::new(format!("q{q}"));
                queue.strategy = Strategy::ALL[q % Strategy::ALL.len()];
                queue.min_skill = 3;
                queue.wrap_up = Duration::from_secs(600);
                // The load answers every offer in turn; at 100,000 agents that takes a while.
                queue.ring_timeout = Duration::from_secs(600);
                queue.escalation = vec![EscalationStep {
                    after: Duration::from_secs(20),
                    action: Escalation::Widen { min_skill: 1 },
                }];
                queue
            })
            .collect(),
        agents: (0..agents)
            .map(|a| {
                let mut skills = Vec::new();
                while skills.len() < 3 {
                    let queue = QueueId::new(format!("q{}", below(&mut rng, queues as u64)));
                    if !skills.iter().any(|(q, _)| *q == queue) {
                        skills.push((queue, 1 + below(&mut rng, 5) as u8));
                    }
                }
                AgentConfig {
                    id: AgentId::new(format!("a{a}")),
                    name: format!("Agent {a}"),
                    skills,
                    capacity: Vec::new(),
                }
            })
            .collect(),
        not_ready_reasons: Vec::new(),
        routing: RoutingConfig::default(),
        alerts: Default::default(),
        telephony: Default::default(),
        data_labels: Vec::new(),
        channels: Vec::new(),
    }
}

/// [`config`] with a chat channel (three at once, not exclusive, offered during calls too): as
/// many chat queues as voice queues, each agent with a skill in one.
pub fn mixed_config(agents: usize) -> Config {
    let mut config = config(agents);
    let voice_queues = config.queues.len();
    config.routing.voice_exclusive = false;
    config
        .channels
        .push(acdhub::acd::config::ChannelConfig::new("chat"));
    for q in 0..voice_queues {
        let mut queue = QueueConfig::new(format!("chat{q}"));
        queue.strategy = Strategy::ALL[q % Strategy::ALL.len()];
        queue.channel = Some("chat".into());
        queue.ring_timeout = Duration::from_secs(600);
        config.queues.push(queue);
    }
    for (a, agent) in config.agents.iter_mut().enumerate() {
        agent
            .skills
            .push((QueueId::new(format!("chat{}", a % voice_queues)), 3));
    }
    config
}

/// [`config`] with the chats in the voice queues themselves: each queue also serves the chat
/// channel (three at once, not exclusive), a lane of its own beside its calls', so every agent
/// serves the chat lanes of its three queues; every other arrival a chat.
pub fn lanes_config(agents: usize) -> Config {
    let mut config = config(agents);
    config.routing.voice_exclusive = false;
    config
        .channels
        .push(acdhub::acd::config::ChannelConfig::new("chat"));
    let chat_lanes: Vec<QueueConfig> = config
        .queues
        .iter()
        .map(|voice| QueueConfig {
            channel: Some("chat".into()),
            wrap_up: Duration::ZERO,
            ..voice.clone()
        })
        .collect();
    config.queues.extend(chat_lanes);
    config
}

/// The contact center under load, and the agents' next actions.
pub struct Load {
    pub acd: Acd,
    /// The time between two commands: 100 µs, unless a tool spreads a day out.
    pub pace: Duration,
    now: Timestamp,
    rng: Rng,
    /// Where arrivals go: each lane, and whether its work is chats.
    queues: Vec<(QueueId, bool)>,
    next_call: u64,
    /// The first commands of the day: every agent logs in and goes ready.
    setup: VecDeque<Command>,
    /// Calls still to arrive after the setup: one per agent, and the backlog.
    setup_arrivals: usize,
    actions: VecDeque<Command>,
    arrivals_owed: usize,
}

impl Load {
    /// The contact center under load: every agent busy and N/5 calls waiting.
    pub fn new(agents: usize) -> Load {
        Load::new_with(config(agents))
    }

    /// Another contact center under the same load (started).
    pub fn new_with(config: Config) -> Load {
        let mut load = Load::unstarted_with(config, "2026-11-23T08:00:00Z".parse().unwrap());
        while load.starting() {
            load.step();
        }
        load
    }

    /// The contact center at 08:00 with every agent logged out: its first commands log every
    /// agent in, make it ready, and fill every agent and the backlog with calls (for a journal
    /// that holds the whole day, from an empty core on).
    pub fn unstarted(agents: usize) -> Load {
        Load::unstarted_with(config(agents), "2026-11-23T08:00:00Z".parse().unwrap())
    }

    /// The same load on another contact center (every agent in at least one queue), starting at
    /// `start`.
    pub fn unstarted_with(config: Config, start: Timestamp) -> Load {
        let agents = config.agents.len();
        let queues = config
            .queues
            .iter()
            .map(|q| (q.id.clone(), q.channel.is_some()))
            .collect();
        let now = start;
        let acd = Acd::new(config, now).unwrap();
        let mut setup = VecDeque::with_capacity(2 * agents);
        for agent in acd.agents().map(|agent| agent.id) {
            setup.push_back(Command::Login {
                agent: agent.clone(),
            });
            setup.push_back(Command::SetState {
                agent,
                state: RequestedState::Ready,
            });
        }
        let backlog = agents / 5;
        Load {
            acd,
            pace: Duration::from_micros(100),
            now,
            rng: Rng::stream(42, 0),
            queues,
            next_call: 0,
            setup,
            setup_arrivals: agents + backlog,
            actions: VecDeque::new(),
            arrivals_owed: 0,
        }
    }

    /// Whether the setup's commands are still coming.
    pub fn starting(&self) -> bool {
        !self.setup.is_empty() || self.setup_arrivals > 0
    }

    fn arrival(&mut self) -> Command {
        let (queue, chat) =
            self.queues[below(&mut self.rng, self.queues.len() as u64) as usize].clone();
        if chat {
            self.next_call += 1;
            let conversation = CallId::new(format!("c{}", self.next_call));
            return Command::ConversationArrived {
                conversation,
                queue,
                channel: None,
                priority: 0,
                data: CallData::default(),
                messages: vec!["Hello".to_owned()],
            };
        }
        // Every call a fresh id, as a PBX's are.
        self.next_call += 1;
        let call = CallId::new(format!("c{}", self.next_call));
        let priority = (below(&mut self.rng, 10) == 0) as u8;
        Command::CallArrived {
            arrived_at: None,
            call,
            queue,
            priority,
            data: CallData::default(),
        }
    }

    /// The next command and its instant (`pace` after the one before), not applied yet: a new
    /// call for each call that ended, else the next agent action. Commands taken ahead of
    /// [`Load::apply`] (a group journaled before any of it is applied) stay valid when applied
    /// in order; taking more than there are agent actions waiting (about one per agent) only
    /// adds arrivals to the mix.
    pub fn next_command(&mut self) -> (Timestamp, Command) {
        self.now += self.pace;
        let command = if let Some(command) = self.setup.pop_front() {
            command
        } else if self.setup_arrivals > 0 {
            self.setup_arrivals -= 1;
            self.arrival()
        } else if self.arrivals_owed > 0 {
            self.arrivals_owed -= 1;
            self.arrival()
        } else {
            match self.actions.pop_front() {
                Some(command) => {
                    self.arrivals_owed += matches!(command, Command::EndWrapUp { .. }) as usize;
                    command
                }
                None => self.arrival(),
            }
        };
        (self.now, command)
    }

    /// Applies a command from [`Load::next_command`] at its instant and reacts to its events.
    pub fn apply(&mut self, at: Timestamp, command: Command) {
        self.acd
            .handle(command, at)
            .expect("the load only sends valid commands");
        self.drain();
    }

    /// Reacts to events as agents would: accept offers, hang up connected calls, end wrap-up.
    fn drain(&mut self) {
        while let Some(event) = self.acd.poll_event() {
            match event {
                Event::CallOffered { call, agent, .. } => {
                    self.actions.push_back(Command::Accept { agent, call })
                }
                Event::CallConnected { call, agent, .. } => {
                    self.actions.push_back(Command::Hangup { agent, call })
                }
                Event::AgentStatusChanged {
                    agent,
                    status: AgentStatus::WrapUp { .. },
                    ..
                } => self.actions.push_back(Command::EndWrapUp { agent }),
                Event::ConversationOffered {
                    conversation,
                    agent,
                    ..
                } => self.actions.push_back(Command::AcceptConversation {
                    agent,
                    conversation,
                }),
                Event::ConversationAccepted { conversation, .. } => {
                    self.actions.push_back(Command::CustomerWrote {
                        conversation,
                        text: "Are you there?".to_owned(),
                    })
                }
                Event::MessageAdded {
                    conversation,
                    agent: Some(agent),
                    message,
                    ..
                } => self.actions.push_back(match message.from {
                    acdhub::acd::Author::Customer => Command::AgentWrote {
                        agent,
                        conversation,
                        text: "Yes, how can I help?".to_owned(),
                    },
                    acdhub::acd::Author::Agent(_) => Command::CloseConversation {
                        agent,
                        conversation,
                    },
                }),
                // The chat queues have no wrap-up: the conversation leaves as it closes.
                Event::ConversationLeft { .. } => self.arrivals_owed += 1,
                _ => {}
            }
        }
    }

    /// Exactly one command, applied.
    pub fn step(&mut self) {
        let (at, command) = self.next_command();
        self.apply(at, command);
    }

    /// The next `size` commands as the server's engine takes a group of them (write-ahead):
    /// each encoded as the journal record it writes (`serde_json` of a `Record`), the group
    /// appended as one batch (one fdatasync with `Fsync::Always`), and only then each applied.
    /// Returns the bytes of the records.
    pub fn step_journaled(&mut self, journal: &mut Journal, size: usize) -> usize {
        let group: Vec<(Timestamp, Command)> = (0..size).map(|_| self.next_command()).collect();
        let encoded: Vec<Vec<u8>> = group
            .iter()
            .map(|(at, command)| {
                let record = Record {
                    at: *at,
                    entry: Entry::Command(command.clone()),
                };
                serde_json::to_vec(&record).expect("a record serializes")
            })
            .collect();
        journal
            .append_batch(&encoded)
            .expect("the journal takes the group");
        for (at, command) in group {
            self.apply(at, command);
        }
        encoded.iter().map(Vec::len).sum()
    }
}
