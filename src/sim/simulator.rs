//! The simulator proper: callers and virtual agents as a step-wise state machine.
//!
//! Like the core it performs no I/O and reads no clock. It says when it next wants to act
//! ([`Simulator::next_action_at`]), hands out the commands due by an instant
//! ([`Simulator::actions_due`]) and learns what the core did from its events
//! ([`Simulator::observe`]). Whoever owns the [`Acd`](crate::acd::Acd) connects the two: the fast
//! driver in [`super::driver`] in simulated time, the server in real time through a channel.
//!
//! The simulator mirrors the core's state only from events, never from the commands it sent, so a
//! command the core refused (a caller hanging up just as the agent accepts) leaves no ghost state
//! behind; a planned action that no longer fits (accepting an offer that already ended) is
//! dropped when it falls due.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use jiff::Timestamp;

use crate::acd::{
    AgentId, AgentStatus, CallData, CallId, Command, ConsultStatus, DispositionCode, Event,
    QueueId, RequestedState,
};
use crate::config::PatienceDistribution;

use super::SimError;
use super::measure::WaitTally;
use super::plan::{SimulatorPlan, TalkTime, WrapUpHabit};
use super::rng::Rng;

/// Something the simulator will do at a planned instant.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum Action {
    /// A caller of this traffic source dials in.
    Arrival {
        source: usize,
    },
    LogIn {
        agent: usize,
    },
    /// Accept the call's `offer`-th offer (counting from 1), if it still rings.
    Answer {
        agent: usize,
        call: CallId,
        offer: u32,
    },
    HangUp {
        agent: usize,
        call: CallId,
    },
    /// Answer the consultation on the call, if it still rings at this agent.
    AnswerConsult {
        agent: usize,
        call: CallId,
    },
    EndWrapUp {
        agent: usize,
        call: CallId,
    },
    /// The caller runs out of patience.
    Abandon {
        call: CallId,
    },
    // Conversations ([`super::chats`]).
    /// Accept the conversation's `offer`-th offer, if it is still offered.
    ChatAnswer {
        agent: usize,
        conversation: CallId,
        offer: u32,
    },
    AgentReplies {
        agent: usize,
        conversation: CallId,
    },
    CustomerWrites {
        conversation: CallId,
    },
    /// The customer leaves; `unless_open`: only if no agent took the conversation (patience).
    CustomerLeaves {
        conversation: CallId,
        unless_open: bool,
    },
    AgentCloses {
        agent: usize,
        conversation: CallId,
    },
    ChatWrapUpEnd {
        agent: usize,
        conversation: CallId,
    },
}

/// A queue's callers (or chat customers): where they go and the random streams they are drawn
/// from.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct CallerSource {
    pub queue: QueueId,
    /// Its arrivals are chats ([`super::chats`]).
    #[serde(default)]
    pub conversations: bool,
    /// Their channel, where the queue serves several (absent from a snapshot of a simulator
    /// from before: its queues served one channel each).
    #[serde(default)]
    pub channel: Option<crate::acd::ChannelId>,
    /// Mean gap between arrivals in seconds; `None` when the rate is 0.
    mean_gap_secs: Option<f64>,
    talk_time: TalkTime,
    /// The callers' mean patience; `None`: they never hang up.
    patience: Option<Duration>,
    /// How each caller's patience spreads around that mean (absent from a snapshot of a
    /// simulator from before there was a choice: exponential, as then).
    #[serde(default)]
    patience_distribution: PatienceDistribution,
    arrivals: Rng,
    pub talk_times: Rng,
    pub patiences: Rng,
    /// Who calls: number, customer id and language, for a believable WebAgent display.
    pub callers: Rng,
    /// The number callers of this source dialled.
    dialled: String,
    /// The queue's disposition codes, for the virtual agents to give.
    #[serde(default)]
    dispositions: Vec<DispositionCode>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum CallPlace {
    Waiting,
    /// `offer` counts the offers of this call, so that an answer planned for an earlier offer
    /// never accepts a later one.
    Ringing {
        agent: usize,
        offer: u32,
    },
    Connected {
        agent: usize,
    },
}

/// A call the simulator placed, as far as the core's events have told.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct SimulatedCall {
    /// When the core first queued the call (not when the simulator planned it: a real-time
    /// driver may deliver the arrival a little late).
    queued_at: Option<Timestamp>,
    talk_time: Duration,
    place: CallPlace,
    offers: u32,
    /// Set by the first offer: whether the caller found every agent busy.
    waited: Option<bool>,
    /// What the virtual agent who hangs up gives the call.
    #[serde(default)]
    disposition: Option<DispositionCode>,
    /// Connected once already: a call handed on (a transfer, a consultation) counts as answered
    /// once, as the ACD counts it.
    #[serde(default)]
    answered: bool,
}

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct AgentPlayer {
    pub id: AgentId,
    pub answer_delay: Duration,
    pub wrap_up: WrapUpHabit,
    /// The call the agent is wrapping up, while it is.
    wrapping_up: Option<CallId>,
}

/// Seeded callers and virtual agents. See the module documentation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Simulator {
    /// Planned actions by instant, then by the order they were planned: equal instants keep
    /// their order, so runs repeat exactly.
    #[serde(with = "agenda_entries")]
    agenda: BTreeMap<(Timestamp, u64), Action>,
    next_sequence: u64,
    pub(super) sources: Vec<CallerSource>,
    pub(super) agents: Vec<AgentPlayer>,
    pub(super) agent_index: HashMap<AgentId, usize>,
    calls: HashMap<CallId, SimulatedCall>,
    calls_placed: u64,
    /// Chat customers' conversations, as the core's events told them.
    #[serde(default)]
    pub(super) chats: HashMap<CallId, super::chats::SimulatedChat>,
    #[serde(default)]
    pub(super) chats_placed: u64,
    tallies: Vec<(QueueId, WaitTally)>,
    tally_index: HashMap<QueueId, usize>,
    /// Consultations ringing at a virtual agent, by call: that agent answers them.
    #[serde(default)]
    consults: HashMap<CallId, usize>,
}

/// Separate random streams per traffic source: arrivals, talk times, patience.
const STREAMS_PER_SOURCE: u64 = 3;

/// Where the caller-detail streams start, one per traffic source.
const CALLER_STREAMS: u64 = 1 << 32;

/// Languages simulated callers speak, as an IVR would attach them.
const LANGUAGES: [&str; 4] = ["de", "de", "en", "tr"];

fn after(at: Timestamp, secs: f64) -> Timestamp {
    at + Duration::from_secs_f64(secs)
}

impl Simulator {
    /// A simulator whose agents log in at `start` and whose first callers arrive after it. The
    /// same seed and plan give the same calls, talk times and decisions, to the nanosecond.
    pub fn new(seed: u64, plan: SimulatorPlan, start: Timestamp) -> Result<Simulator, SimError> {
        plan.validate()?;
        let mut simulator = Simulator {
            agenda: BTreeMap::new(),
            next_sequence: 0,
            sources: Vec::new(),
            agents: Vec::new(),
            agent_index: HashMap::new(),
            calls: HashMap::new(),
            calls_placed: 0,
            chats: HashMap::new(),
            chats_placed: 0,
            tallies: Vec::new(),
            tally_index: HashMap::new(),
            consults: HashMap::new(),
        };
        for (index, agent) in plan.agents.into_iter().enumerate() {
            simulator.agent_index.insert(agent.agent.clone(), index);
            simulator.agents.push(AgentPlayer {
                id: agent.agent,
                answer_delay: agent.answer_delay,
                wrap_up: agent.wrap_up,
                wrapping_up: None,
            });
            simulator.plan(start, Action::LogIn { agent: index });
        }
        for (index, traffic) in plan.traffic.into_iter().enumerate() {
            let stream = index as u64 * STREAMS_PER_SOURCE;
            simulator.tally_for(&traffic.queue);
            simulator.sources.push(CallerSource {
                queue: traffic.queue,
                conversations: traffic.channel.is_some(),
                channel: traffic.channel,
                mean_gap_secs: (traffic.calls_per_hour > 0.0)
                    .then(|| 3600.0 / traffic.calls_per_hour),
                talk_time: traffic.talk_time,
                patience: traffic.patience.map(|p| p.mean),
                patience_distribution: traffic
                    .patience
                    .map_or_else(PatienceDistribution::default, |p| p.distribution),
                arrivals: Rng::stream(seed, stream),
                talk_times: Rng::stream(seed, stream + 1),
                patiences: Rng::stream(seed, stream + 2),
                // Far from the other streams, so adding callers changed no earlier run.
                callers: Rng::stream(seed, CALLER_STREAMS + index as u64),
                dialled: format!("+49 800 555 {:04}", 100 + index),
                dispositions: traffic.dispositions,
            });
            simulator.plan_arrival(index, start);
        }
        Ok(simulator)
    }

    /// When the simulator next wants to act; `None` if it never will (no traffic, all done).
    pub fn next_action_at(&self) -> Option<Timestamp> {
        self.agenda.first_key_value().map(|((at, _), _)| *at)
    }

    /// The commands for every action planned up to `now`, in time order, each to be handled by
    /// the core at `now` (or at its own instant, for a driver that steps exactly). Actions that
    /// no longer fit what the core reported are dropped. Arrivals plan the next arrival.
    pub fn actions_due(&mut self, now: Timestamp) -> Vec<Command> {
        let mut commands = Vec::new();
        while let Some(entry) = self.agenda.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let ((at, _), action) = entry.remove_entry();
            self.act(at, action, &mut commands);
        }
        commands
    }

    /// Learns from one of the core's events, `now` being when it happened. Events about agents
    /// and calls the simulator does not play are ignored, so real agents and a real PBX can share
    /// the ACD with it.
    pub fn observe(&mut self, event: &Event, now: Timestamp) {
        if self.observe_chat(event, now) {
            return;
        }
        match event {
            Event::CallQueued { call, .. } => {
                if let Some(c) = self.calls.get_mut(call) {
                    c.place = CallPlace::Waiting;
                    c.queued_at.get_or_insert(now);
                }
            }
            Event::CallOffered { call, agent, .. } => {
                let Some(c) = self.calls.get_mut(call) else {
                    return;
                };
                let queued_at = *c.queued_at.get_or_insert(now);
                c.waited.get_or_insert(now > queued_at);
                let Some(&index) = self.agent_index.get(agent) else {
                    return;
                };
                c.offers += 1;
                let offer = c.offers;
                c.place = CallPlace::Ringing {
                    agent: index,
                    offer,
                };
                let answer_at = now + self.agents[index].answer_delay;
                self.plan(
                    answer_at,
                    Action::Answer {
                        agent: index,
                        call: call.clone(),
                        offer,
                    },
                );
            }
            Event::CallConnected { call, agent, queue } => {
                let Some(c) = self.calls.get_mut(call) else {
                    return;
                };
                let waited = c.waited.unwrap_or(false);
                let talk_time = c.talk_time;
                let index = self.agent_index.get(agent).copied();
                let answered_before = std::mem::replace(&mut c.answered, true);
                if let Some(index) = index {
                    c.place = CallPlace::Connected { agent: index };
                }
                if !answered_before {
                    let tally = self.tally_for(queue);
                    tally.answered += 1;
                    tally.answered_after_waiting += waited as u64;
                }
                if let Some(index) = index {
                    self.plan(
                        now + talk_time,
                        Action::HangUp {
                            agent: index,
                            call: call.clone(),
                        },
                    );
                }
            }
            Event::CallLeft { call, .. } => {
                self.calls.remove(call);
            }
            // A real agent consults a virtual one: it answers as it answers offers.
            Event::ConsultChanged {
                call, with, status, ..
            } => match (status, self.agent_index.get(with).copied()) {
                (Some(ConsultStatus::Ringing { .. }), Some(index)) => {
                    self.consults.insert(call.clone(), index);
                    let at = now + self.agents[index].answer_delay;
                    let call = call.clone();
                    self.plan(at, Action::AnswerConsult { agent: index, call });
                }
                _ => {
                    self.consults.remove(call);
                }
            },
            Event::AgentStatusChanged {
                agent,
                status,
                previous,
                ..
            } => {
                let Some(&index) = self.agent_index.get(agent) else {
                    return;
                };
                let player = &mut self.agents[index];
                match status {
                    AgentStatus::WrapUp { call, deadline } => {
                        player.wrapping_up = Some(call.clone());
                        let started = *previous != crate::acd::AgentStatusKind::WrapUp;
                        if let (true, WrapUpHabit::EndAfter(after)) = (started, player.wrap_up)
                            && now + after < *deadline
                        {
                            let action = Action::EndWrapUp {
                                agent: index,
                                call: call.clone(),
                            };
                            self.plan(now + after, action);
                        }
                    }
                    _ => player.wrapping_up = None,
                }
            }
            _ => {}
        }
    }

    /// What the simulator counted for a queue (zeros for a queue it never saw a call answered in).
    pub fn wait_tally(&self, queue: &QueueId) -> WaitTally {
        self.tally_index
            .get(queue)
            .map_or_else(WaitTally::default, |&i| self.tallies[i].1)
    }

    /// The tally summed over every queue.
    pub fn total_wait_tally(&self) -> WaitTally {
        let mut total = WaitTally::default();
        for (_, tally) in &self.tallies {
            total.add(tally);
        }
        total
    }

    /// How many calls the simulator has placed so far.
    pub fn calls_placed(&self) -> u64 {
        self.calls_placed
    }

    /// Calls placed and not yet gone from the ACD.
    pub fn calls_in_progress(&self) -> usize {
        self.calls.len()
    }

    /// Whether the simulator plays this agent (a virtual agent, never a person's session).
    pub fn plays(&self, agent: &AgentId) -> bool {
        self.agent_index.contains_key(agent)
    }

    /// Goes on at `now` after the server was down since the instant of its last action:
    /// callers who would have dialled in meanwhile never reached the ACD, so each source's next
    /// arrival is drawn afresh from `now`; answers, hang-ups and wrap-up ends planned for the
    /// gap happen at once, as a PBX's would when its link came back.
    pub fn resume_at(&mut self, now: Timestamp) {
        let missed: Vec<(Timestamp, u64)> = self
            .agenda
            .iter()
            .filter(|((at, _), action)| *at < now && matches!(action, Action::Arrival { .. }))
            .map(|(key, _)| *key)
            .collect();
        for key in missed {
            if let Some(Action::Arrival { source }) = self.agenda.remove(&key) {
                self.plan_arrival(source, now);
            }
        }
    }

    fn tally_for(&mut self, queue: &QueueId) -> &mut WaitTally {
        let index = *self.tally_index.entry(queue.clone()).or_insert_with(|| {
            self.tallies.push((queue.clone(), WaitTally::default()));
            self.tallies.len() - 1
        });
        &mut self.tallies[index].1
    }

    pub(super) fn plan(&mut self, at: Timestamp, action: Action) {
        self.agenda.insert((at, self.next_sequence), action);
        self.next_sequence += 1;
    }

    fn plan_arrival(&mut self, source: usize, from: Timestamp) {
        let source_ref = &mut self.sources[source];
        if let Some(mean_gap) = source_ref.mean_gap_secs {
            let at = after(from, source_ref.arrivals.exponential(mean_gap));
            self.plan(at, Action::Arrival { source });
        }
    }

    fn act(&mut self, at: Timestamp, action: Action, commands: &mut Vec<Command>) {
        match action {
            Action::Arrival { source } => {
                self.plan_arrival(source, at);
                if self.sources[source].conversations {
                    self.place_chat(source, at, commands);
                } else {
                    self.place_call(source, at, commands);
                }
            }
            Action::LogIn { agent } => {
                let agent = self.agents[agent].id.clone();
                commands.push(Command::Login {
                    agent: agent.clone(),
                });
                commands.push(Command::SetState {
                    agent,
                    state: RequestedState::Ready,
                });
            }
            Action::Answer { agent, call, offer } => {
                if self.place_of(&call) == Some(CallPlace::Ringing { agent, offer }) {
                    let agent = self.agents[agent].id.clone();
                    commands.push(Command::Accept { agent, call });
                }
            }
            Action::HangUp { agent, call } => {
                if self.place_of(&call) == Some(CallPlace::Connected { agent }) {
                    let agent = self.agents[agent].id.clone();
                    let disposition = self.calls.get(&call).and_then(|c| c.disposition.clone());
                    if disposition.is_some() {
                        commands.push(Command::SetDisposition {
                            agent: agent.clone(),
                            call: call.clone(),
                            disposition,
                            notes: String::new(),
                        });
                    }
                    commands.push(Command::Hangup { agent, call });
                }
            }
            Action::AnswerConsult { agent, call } => {
                if self.consults.get(&call) == Some(&agent) {
                    let agent = self.agents[agent].id.clone();
                    commands.push(Command::Accept { agent, call });
                }
            }
            Action::EndWrapUp { agent, call } => {
                let player = &self.agents[agent];
                if player.wrapping_up.as_ref() == Some(&call) {
                    commands.push(Command::EndWrapUp {
                        agent: player.id.clone(),
                    });
                }
            }
            Action::Abandon { call } => {
                if matches!(
                    self.place_of(&call),
                    Some(CallPlace::Waiting | CallPlace::Ringing { .. })
                ) {
                    commands.push(Command::CallEnded { call });
                }
            }
            chat => self.act_chat(chat, commands),
        }
    }

    fn place_of(&self, call: &CallId) -> Option<CallPlace> {
        self.calls.get(call).map(|c| c.place)
    }

    fn place_call(&mut self, source: usize, at: Timestamp, commands: &mut Vec<Command>) {
        let source_ref = &mut self.sources[source];
        let talk_time = match source_ref.talk_time {
            TalkTime::Exponential { mean } => {
                Duration::from_secs_f64(source_ref.talk_times.exponential(mean.as_secs_f64()))
            }
            TalkTime::Constant(duration) => duration,
        };
        // Fixed patience draws nothing. Arrivals and talk times have streams of their own, so a
        // fixed and an exponential run of one seed meet the same callers with the same calls.
        let patience = source_ref
            .patience
            .map(|mean| match source_ref.patience_distribution {
                PatienceDistribution::Exponential => {
                    Duration::from_secs_f64(source_ref.patiences.exponential(mean.as_secs_f64()))
                }
                PatienceDistribution::Fixed => mean,
            });
        let queue = source_ref.queue.clone();
        let draw = source_ref.callers.next_u64();
        let data = CallData {
            caller: Some(format!("+49 30 {:07}", draw % 10_000_000)),
            dialled: Some(source_ref.dialled.clone()),
            attached: [
                (
                    "customer".to_owned(),
                    format!("C-{:05}", (draw >> 24) % 100_000),
                ),
                (
                    "language".to_owned(),
                    LANGUAGES[((draw >> 48) % LANGUAGES.len() as u64) as usize].to_owned(),
                ),
            ]
            .into(),
        };
        // From bits of the same draw, so that no stream draws more than before: the first code
        // for about 60 % of calls, the others evenly.
        let codes = &source_ref.dispositions;
        let pick = ((draw >> 32) & 0xff) as usize;
        let disposition = match codes.len() {
            0 => None,
            1 => Some(codes[0].clone()),
            _ if pick < 154 => Some(codes[0].clone()),
            n => Some(codes[1 + pick % (n - 1)].clone()),
        };
        self.calls_placed += 1;
        let call = CallId::new(format!("sim-{}", self.calls_placed));
        self.calls.insert(
            call.clone(),
            SimulatedCall {
                queued_at: None,
                talk_time,
                place: CallPlace::Waiting,
                offers: 0,
                waited: None,
                disposition,
                answered: false,
            },
        );
        if let Some(patience) = patience {
            self.plan(at + patience, Action::Abandon { call: call.clone() });
        }
        commands.push(Command::CallArrived {
            arrived_at: None,
            call,
            queue,
            priority: 0,
            data,
        });
    }
}

/// The agenda in a snapshot: its entries as a list, since JSON keys must be strings.
mod agenda_entries {
    use std::collections::BTreeMap;

    use jiff::Timestamp;
    use serde::{Deserialize, Deserializer, Serializer};

    use super::Action;

    type Agenda = BTreeMap<(Timestamp, u64), Action>;

    pub fn serialize<S: Serializer>(agenda: &Agenda, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(agenda.iter())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Agenda, D::Error> {
        let entries = Vec::<((Timestamp, u64), Action)>::deserialize(deserializer)?;
        Ok(entries.into_iter().collect())
    }
}
