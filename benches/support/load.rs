//! The load model shared by `benches/routing.rs` (criterion, wall time) and
//! `examples/routing_load.rs` (a fixed amount of work, for cachegrind or perf): a contact center
//! of N agents in N/50 queues under a load that keeps every agent busy and calls waiting.
//!
//! Each agent serves three queues with a skill level from 1 to 5; the queues use every strategy
//! and widen after 20 s. One cycle of a call is four commands (arrive, accept, hang up, end
//! wrap-up), and the events each command produces are drained as a server would.

use std::collections::VecDeque;
use std::time::Duration;

use acdhub::acd::config::{
    AgentConfig, Escalation, EscalationStep, QueueConfig, RoutingConfig, Strategy,
};
use acdhub::acd::{
    Acd, AgentId, AgentStatus, CallData, CallId, Command, Config, Event, QueueId, RequestedState,
};
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
                }
            })
            .collect(),
        not_ready_reasons: Vec::new(),
        routing: RoutingConfig::default(),
    }
}

/// The contact center under load, and the agents' next actions.
pub struct Load {
    pub acd: Acd,
    now: Timestamp,
    rng: Rng,
    queues: Vec<QueueId>,
    next_call: u64,
    actions: VecDeque<Command>,
    backlog: usize,
    arrivals_owed: usize,
    free_ids: Vec<CallId>,
}

impl Load {
    pub fn new(agents: usize) -> Load {
        let config = config(agents);
        let queues = config.queues.iter().map(|q| q.id.clone()).collect();
        let now: Timestamp = "2026-11-23T08:00:00Z".parse().unwrap();
        let mut acd = Acd::new(config, now).unwrap();
        for a in 0..agents {
            let agent = AgentId::new(format!("a{a}"));
            acd.handle(
                Command::Login {
                    agent: agent.clone(),
                },
                now,
            )
            .unwrap();
            acd.handle(
                Command::SetState {
                    agent,
                    state: RequestedState::Ready,
                },
                now,
            )
            .unwrap();
        }
        let mut load = Load {
            acd,
            now,
            rng: Rng::stream(42, 0),
            queues,
            next_call: 0,
            actions: VecDeque::new(),
            backlog: agents / 5,
            arrivals_owed: 0,
            free_ids: Vec::new(),
        };
        load.drain();
        // Fill every agent and build the backlog.
        for _ in 0..agents + load.backlog {
            load.arrive();
        }
        load
    }

    fn arrive(&mut self) {
        let queue = self.queues[below(&mut self.rng, self.queues.len() as u64) as usize].clone();
        // Ids of ended calls are reused, so the measurement is routing, not string formatting.
        let call = self.free_ids.pop().unwrap_or_else(|| {
            self.next_call += 1;
            CallId::new(format!("c{}", self.next_call))
        });
        let priority = (below(&mut self.rng, 10) == 0) as u8;
        self.command(Command::CallArrived {
            call,
            queue,
            priority,
            data: CallData::default(),
        });
    }

    fn command(&mut self, command: Command) {
        self.now += Duration::from_micros(100);
        self.acd
            .handle(command, self.now)
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
                _ => {}
            }
        }
    }

    /// Exactly one command: a new call for each call that ended, else the next agent action.
    pub fn step(&mut self) {
        if self.arrivals_owed > 0 {
            self.arrivals_owed -= 1;
            return self.arrive();
        }
        match self.actions.pop_front() {
            Some(command) => {
                self.arrivals_owed += matches!(command, Command::EndWrapUp { .. }) as usize;
                self.command(command)
            }
            None => self.arrive(),
        }
    }
}
