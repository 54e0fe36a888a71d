//! The ACD core: one tenant's queues, agents and calls as a deterministic state machine.
//!
//! It performs no I/O, reads no clock and draws no random numbers. Like quinn-proto, it is driven
//! from outside:
//!
//! - [`Acd::handle`] applies a [`Command`] at a given wall-clock instant and returns whether it was
//!   accepted. A refused command changes nothing.
//! - [`Acd::handle_timeout`] tells it the time has moved on: ring timeouts, wrap-up deadlines,
//!   escalation steps and window boundaries up to that instant take effect, each at its own
//!   deadline, so statistics do not depend on how often the driver ticks.
//! - [`Acd::poll_event`] hands out what happened, in order.
//! - [`Acd::poll_timeout`] says when it next needs `handle_timeout`.
//!
//! Time never goes backwards inside: an instant earlier than one already seen is taken as the
//! latest seen.

mod agent;
mod call;
pub mod config;
mod consult;
mod conversation;
mod day;
mod display;
mod error;
mod event;
mod figures;
mod handling;
mod histogram;
mod ids;
mod invariants;
mod monitor;
mod queue;
mod reconfigure;
mod rolling;
mod routing;
mod stats;
mod ticker;
mod timers;
mod waiting;

use std::collections::VecDeque;
use std::time::Duration;

use jiff::Timestamp;
// Fx: fast for short ids, and deterministic (no random seed), as everything in the core is.
use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

pub use agent::{
    AgentStatus, AgentStatusKind, AgentView, DeviceState, PendingState, RequestedState,
};
pub use call::{CallData, CallStatus, CallView};
pub use config::Config;
pub use consult::{ConsultEnd, ConsultStatus, ConsultStep, ConsultView};
pub use conversation::{
    Author, ConversationStatus, ConversationView, MAX_MESSAGE_CHARS, MAX_TRANSCRIPT_BYTES,
    MAX_TRANSCRIPT_MESSAGES, Message,
};
pub use day::{AgentDay, AgentDayView, KeptId, RECENT_CALLS, RecentCall};
pub use display::{Display, MAX_DISPLAY_NAME_CHARS, MAX_DISPLAYS};
pub use error::AcdError;
pub use event::{CallLeftReason, Event, Holds, OfferEndReason, OverflowReason, TransferTarget};
pub use figures::Figures;
pub use histogram::{Histogram, QueueHistograms};
pub use ids::{AgentId, CallId, ChannelId, ConversationId, DispositionCode, QueueId, ReasonCode};
pub use monitor::{MAX_MONITORS, Monitor, MonitorEnd, MonitorMode};
pub use stats::{AgentCounts, Dispositions, Places, ScopeStats, WindowFigures};
pub use ticker::{MAX_TICKER_CHARS, Ticker, TickerFault};

use agent::{Agent, Membership};
use call::{Call, Calls};
use config::{AgentConfig, ChannelConfig, ConfigError, ReasonConfig, RoutingConfig};
use conversation::Channel;
use queue::Queue;
use stats::Stats;
use timers::{Timer, TimerKey, Timers};

/// How far after the ACD's clock a call's `arrived_at` may be and still be taken (as now): a
/// PBX's clock a little ahead of the server's.
pub const ARRIVAL_AHEAD: Duration = Duration::from_secs(5);
/// How far before the ACD's clock a call's `arrived_at` may be.
pub const ARRIVAL_MAX_PRIOR: Duration = Duration::from_secs(24 * 3600);

/// Something an agent, a supervisor or the telephony side asks of the ACD.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Command {
    Login {
        agent: AgentId,
    },
    /// Ready, not ready with a reason, or log out; while busy with a call it sets the pending
    /// next state instead (ready clears it).
    SetState {
        agent: AgentId,
        state: RequestedState,
    },
    /// A supervisor sets what a busy agent does after its call (refused for an agent who is
    /// not ringing, on a call or in wrap-up: there is no "after" to wait for).
    SetPending {
        agent: AgentId,
        pending: PendingState,
    },
    /// Drops the agent's pending state, whoever asks: the agent itself or a supervisor.
    ClearPending {
        agent: AgentId,
    },
    Accept {
        agent: AgentId,
        call: CallId,
    },
    Reject {
        agent: AgentId,
        call: CallId,
    },
    Hold {
        agent: AgentId,
        call: CallId,
    },
    Resume {
        agent: AgentId,
        call: CallId,
    },
    Transfer {
        agent: AgentId,
        call: CallId,
        target: TransferTarget,
    },
    Hangup {
        agent: AgentId,
        call: CallId,
    },
    EndWrapUp {
        agent: AgentId,
    },
    ExtendWrapUp {
        agent: AgentId,
        by: Duration,
    },
    /// The agent's disposition code and notes for the call it is on or wrapping up, replacing
    /// what it gave before: kept with the call's handling, counted in its queue when the
    /// handling ends.
    SetDisposition {
        agent: AgentId,
        call: CallId,
        disposition: Option<DispositionCode>,
        notes: String,
    },
    /// The agent on a call asks another agent to consult (a warm transfer's first step): the
    /// caller goes on hold, the consultation rings at `to`.
    Consult {
        agent: AgentId,
        call: CallId,
        to: AgentId,
    },
    /// The consulting agent completes the transfer, makes it a conference, or cancels it.
    ConsultStep {
        agent: AgentId,
        call: CallId,
        step: ConsultStep,
    },
    /// A supervisor joins the agent's call (silent monitoring, whisper, barge-in) or changes
    /// how it is on it; `None` leaves it.
    Monitor {
        agent: AgentId,
        supervisor: String,
        mode: Option<MonitorMode>,
    },
    /// A supervisor sets the message every wallboard of the tenant shows (`text`, trimmed, at
    /// most [`MAX_TICKER_CHARS`] characters, one line), or clears it (an empty `text`). `by`
    /// is the supervisor's user name, shown with it.
    SetTicker {
        text: String,
        by: String,
    },
    /// A supervisor (`by`) makes a display: a kiosk wallboard named `name` (1 to
    /// [`MAX_DISPLAY_NAME_CHARS`] of a user name's characters, unique in the tenant; at most
    /// [`MAX_DISPLAYS`]) that signs in with a token whose hash is `token_hash`. The server draws
    /// the token and keeps only this hash.
    CreateDisplay {
        name: String,
        token_hash: String,
        by: String,
    },
    /// A supervisor (`by`) revokes display `name`: its token signs in no more, and its sessions
    /// end.
    RevokeDisplay {
        name: String,
        by: String,
    },
    /// Telephony: a call reached a queue.
    CallArrived {
        call: CallId,
        queue: QueueId,
        priority: u8,
        data: CallData,
        /// When the caller began waiting for an agent, where that was before now (the call
        /// queued in the PBX while acdhub could not be reached): the call takes its place by it,
        /// and its wait counts from it. Within [`ARRIVAL_AHEAD`] after now it is taken as now;
        /// later than that, or more than [`ARRIVAL_MAX_PRIOR`] before now, it is refused.
        #[serde(default)]
        arrived_at: Option<Timestamp>,
    },
    /// Telephony: the agent's device answered the offered call.
    CallAnswered {
        call: CallId,
    },
    /// Telephony: the offered call could not ring at the agent's device (busy, unregistered,
    /// rejected by the device): the offer ends at once as a ring-no-answer would at its
    /// timeout, instead of ringing the whole timeout out.
    RingFailed {
        call: CallId,
    },
    /// Telephony: the agent's phone as the PBX sees it. Only an available (or never reported)
    /// phone is offered calls.
    SetDevice {
        agent: AgentId,
        device: DeviceState,
    },
    /// Telephony: the call is gone (the caller hung up, or a connected call ended).
    CallEnded {
        call: CallId,
    },
    /// Supervisor: a waiting call's priority.
    SetCallPriority {
        call: CallId,
        priority: u8,
    },
    /// Supervisor: move a waiting call or conversation to another queue of its channel.
    MoveCall {
        call: CallId,
        queue: QueueId,
    },
    /// Messaging: a customer started a conversation in a queue of a messaging channel, with
    /// the messages they wrote before it reached the ACD.
    ConversationArrived {
        conversation: ConversationId,
        queue: QueueId,
        /// The channel, where the queue serves several messaging channels; `None` names the
        /// queue's only one.
        #[serde(default)]
        channel: Option<ChannelId>,
        priority: u8,
        data: CallData,
        messages: Vec<String>,
    },
    /// Messaging: the customer wrote.
    CustomerWrote {
        conversation: ConversationId,
        text: String,
    },
    /// Messaging: the customer left (closed the chat window, ended the thread).
    CustomerLeft {
        conversation: ConversationId,
    },
    AcceptConversation {
        agent: AgentId,
        conversation: ConversationId,
    },
    RejectConversation {
        agent: AgentId,
        conversation: ConversationId,
    },
    /// The agent writes to the customer.
    AgentWrote {
        agent: AgentId,
        conversation: ConversationId,
        text: String,
    },
    TransferConversation {
        agent: AgentId,
        conversation: ConversationId,
        target: TransferTarget,
    },
    /// The agent ends the conversation for the customer; its wrap-up of it starts.
    CloseConversation {
        agent: AgentId,
        conversation: ConversationId,
    },
    EndConversationWrapUp {
        agent: AgentId,
        conversation: ConversationId,
    },
}

/// A queue's live figures and statistics.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueStats {
    pub id: QueueId,
    pub name: String,
    /// The messaging channel whose conversations the queue routes; `None` for calls.
    #[serde(default)]
    pub channel: Option<ChannelId>,
    pub waiting: u32,
    /// Calls of this queue ringing at an agent.
    pub ringing: u32,
    /// When the longest-waiting call entered the queue; displays tick from it.
    pub oldest_waiting_since: Option<Timestamp>,
    pub service_level: config::ServiceLevelConfig,
    pub stats: ScopeStats,
}

impl QueueStats {
    /// What the queue routes, by name: its messaging channel's id, or [`config::VOICE`].
    pub fn channel_name(&self) -> &str {
        self.channel
            .as_ref()
            .map_or(config::VOICE, ChannelId::as_str)
    }
}

/// The tenant's live totals: call figures summed over queues, agents counted once.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TenantStats {
    pub waiting: u32,
    pub ringing: u32,
    pub oldest_waiting_since: Option<Timestamp>,
    pub stats: ScopeStats,
}

/// Queues whose figures changed since the last `QueueChanged` events, each listed once.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct Dirty {
    flags: Vec<bool>,
    list: Vec<usize>,
}

impl Dirty {
    fn mark(&mut self, queue: usize) {
        if !self.flags[queue] {
            self.flags[queue] = true;
            self.list.push(queue);
        }
    }
}

/// One tenant's ACD. See the module documentation.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Acd {
    now: Timestamp,
    /// The tenant's name as people read it ([`Config::name`]).
    #[serde(default)]
    name: String,
    /// When the console highlights an agent ([`Config::alerts`]).
    #[serde(default)]
    alerts: config::AgentAlerts,
    /// What the pages call attached data's keys ([`Config::data_labels`]).
    #[serde(default)]
    data_labels: Vec<(String, String)>,
    /// What the telephony connector carries out beyond blind transfer ([`Config::telephony`]).
    #[serde(default)]
    telephony: config::TelephonyFeatures,
    routing: RoutingConfig,
    reasons: HashSet<ReasonCode>,
    reason_list: Vec<ReasonConfig>,
    /// The lanes: a queue's entry for one channel, in configuration order (lanes added by a
    /// reload after them). Indexes are stable: nothing is ever removed.
    queues: Vec<Queue>,
    /// Each queue's lanes, derived from `queues`. Absent from a snapshot written before
    /// queues had lanes: [`Acd::restored`] builds it then.
    #[serde(default)]
    lanes: HashMap<QueueId, Vec<usize>>,
    agents: Vec<Agent>,
    agent_by_id: HashMap<AgentId, usize>,
    /// The messaging channels, in configuration order (channels added by a reload after them).
    #[serde(default)]
    channels: Vec<Channel>,
    /// Calls and conversations.
    calls: Calls,
    next_call_seq: u64,
    timers: Timers,
    stats: Stats,
    events: VecDeque<Event>,
    dirty: Dirty,
    /// The message on the tenant's wallboards. Absent from a snapshot written before there
    /// were tickers: none then.
    #[serde(default)]
    ticker: Option<Ticker>,
    /// The tenant's kiosk displays. Absent from a snapshot written before there were displays:
    /// none then.
    #[serde(default)]
    displays: Vec<display::Display>,
}

impl Acd {
    /// A tenant's ACD with every agent logged out and no calls, its statistics starting at `now`.
    pub fn new(config: Config, now: Timestamp) -> Result<Acd, ConfigError> {
        config.validate()?;
        let lanes = lanes_of(config.queues.iter());
        let channel_index = |id: Option<&ChannelId>| {
            id.map(|id| {
                config
                    .channels
                    .iter()
                    .position(|c| &c.id == id)
                    .expect("validated")
            })
        };
        let lane_by_key: reconfigure::LaneByKey = config
            .queues
            .iter()
            .enumerate()
            .map(|(lane, queue)| ((&queue.id, queue.channel.as_ref()), lane))
            .collect();
        let mut next_position = vec![0u32; config.queues.len()];
        let channel_order: Vec<ChannelId> = config.channels.iter().map(|c| c.id.clone()).collect();
        let agents = config
            .agents
            .iter()
            .map(|a| {
                let memberships = a
                    .skills
                    .iter()
                    .flat_map(|(queue, skill)| lanes[queue].iter().map(move |&lane| (lane, skill)))
                    .map(|(queue, skill)| {
                        next_position[queue] += 1;
                        Membership {
                            queue,
                            skill: *skill,
                            position: next_position[queue] - 1,
                            answered_today: 0,
                            talk_ms_today: 0,
                            indexed: None,
                        }
                    })
                    .collect();
                Agent::logged_out(
                    a.id.clone(),
                    a.name.clone(),
                    memberships,
                    capacities(&channel_order, &config.channels, a),
                    now,
                )
            })
            .collect();
        let queues = config
            .queues
            .iter()
            .map(|q| {
                let (max_wait, escalation) = reconfigure::overflow_targets(q, &lane_by_key);
                Queue::new(
                    q.clone(),
                    channel_index(q.channel.as_ref()),
                    max_wait,
                    escalation,
                )
            })
            .collect();
        let mut reasons: HashSet<ReasonCode> = config
            .not_ready_reasons
            .iter()
            .map(|r| r.code.clone())
            .collect();
        reasons.extend(ReasonCode::SYSTEM.map(ReasonCode::new));
        Ok(Acd {
            now,
            name: config.name.clone(),
            alerts: config.alerts,
            data_labels: config.data_labels.clone(),
            telephony: config.telephony,
            stats: Stats::new(
                config.queues.iter().map(|q| q.service_level.threshold),
                config.time_zone.clone(),
                config.routing.rolling_window,
                now,
            ),
            dirty: Dirty {
                flags: vec![false; config.queues.len()],
                list: Vec::new(),
            },
            routing: config.routing,
            reasons,
            reason_list: config.not_ready_reasons,
            queues,
            lanes,
            agents,
            agent_by_id: config
                .agents
                .iter()
                .enumerate()
                .map(|(i, a)| (a.id.clone(), i))
                .collect(),
            channels: config
                .channels
                .iter()
                .map(|c| Channel {
                    id: c.id.clone(),
                    exclusive: c.exclusive,
                })
                .collect(),
            calls: Calls::default(),
            next_call_seq: 0,
            timers: Timers::default(),
            events: VecDeque::new(),
            ticker: None,
            displays: Vec::new(),
        })
    }

    /// Applies a command at `now`, after everything due by then. On error nothing changed.
    pub fn handle(&mut self, command: Command, now: Timestamp) -> Result<(), AcdError> {
        self.advance(now);
        let result = match command {
            Command::Login { agent } => self.login(&agent),
            Command::SetState { agent, state } => self.set_state(&agent, state),
            Command::SetPending { agent, pending } => self.set_pending_state(&agent, pending),
            Command::ClearPending { agent } => self.clear_pending(&agent),
            Command::Accept { agent, call } => self.accept(&agent, &call),
            Command::Reject { agent, call } => self.reject(&agent, &call),
            Command::Hold { agent, call } => self.hold(&agent, &call, true),
            Command::Resume { agent, call } => self.hold(&agent, &call, false),
            Command::Transfer {
                agent,
                call,
                target,
            } => self.transfer(&agent, &call, target),
            Command::Hangup { agent, call } => self.hangup(&agent, &call),
            Command::Consult { agent, call, to } => self.consult(&agent, &call, &to),
            Command::ConsultStep { agent, call, step } => self.consult_step(&agent, &call, step),
            Command::EndWrapUp { agent } => self.end_wrap_up(&agent),
            Command::ExtendWrapUp { agent, by } => self.extend_wrap_up(&agent, by),
            Command::SetDisposition {
                agent,
                call,
                disposition,
                notes,
            } => self.set_disposition(&agent, &call, disposition, notes),
            Command::CallArrived {
                call,
                queue,
                priority,
                data,
                arrived_at,
            } => self.call_arrived(call, &queue, priority, data, arrived_at),
            Command::CallAnswered { call } => self.call_answered(&call),
            Command::RingFailed { call } => self.ring_failed(&call),
            Command::CallEnded { call } => self.call_ended(&call),
            Command::SetDevice { agent, device } => self.set_device(&agent, device),
            Command::Monitor {
                agent,
                supervisor,
                mode,
            } => self.monitor(&agent, &supervisor, mode),
            Command::SetTicker { text, by } => self.set_ticker(&text, &by),
            Command::CreateDisplay {
                name,
                token_hash,
                by,
            } => self.create_display(&name, &token_hash, &by),
            Command::RevokeDisplay { name, by } => self.revoke_display(&name, &by),
            Command::SetCallPriority { call, priority } => self.set_call_priority(&call, priority),
            Command::MoveCall { call, queue } => self.move_call(&call, &queue),
            Command::ConversationArrived {
                conversation,
                queue,
                channel,
                priority,
                data,
                messages,
            } => self.conversation_arrived(
                conversation,
                (&queue, channel.as_ref()),
                priority,
                data,
                messages,
            ),
            Command::CustomerWrote { conversation, text } => {
                self.customer_wrote(&conversation, text)
            }
            Command::CustomerLeft { conversation } => self.customer_left(&conversation),
            Command::AcceptConversation {
                agent,
                conversation,
            } => self.accept_conversation(&agent, &conversation),
            Command::RejectConversation {
                agent,
                conversation,
            } => self.reject_conversation(&agent, &conversation),
            Command::AgentWrote {
                agent,
                conversation,
                text,
            } => self.agent_wrote(&agent, &conversation, text),
            Command::TransferConversation {
                agent,
                conversation,
                target,
            } => self.transfer_conversation(&agent, &conversation, target),
            Command::CloseConversation {
                agent,
                conversation,
            } => self.close_conversation(&agent, &conversation),
            Command::EndConversationWrapUp {
                agent,
                conversation,
            } => self.end_conversation_wrap_up(&agent, &conversation),
        };
        // Time passing (and the command, if it succeeded) may have cancelled timers. The purge
        // drops only entries no owner holds, so a refused command still changes nothing.
        self.purge_stale_timers();
        result
    }

    /// Lets time pass up to `now`.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        self.advance(now);
        self.purge_stale_timers();
    }

    /// The next thing that happened, oldest first; `QueueChanged` events come after the rest.
    pub fn poll_event(&mut self) -> Option<Event> {
        if let Some(event) = self.events.pop_front() {
            return Some(event);
        }
        let queue = self.dirty.list.pop()?;
        self.dirty.flags[queue] = false;
        Some(Event::QueueChanged {
            queue: self.queues[queue].config.id.clone(),
            lane: Lane(queue),
        })
    }

    /// When the core next needs [`Acd::handle_timeout`].
    pub fn poll_timeout(&self) -> Timestamp {
        let stats = self.stats.next_deadline();
        self.timers
            .peek()
            .map_or(stats, |((at, _), _)| at.min(stats))
    }

    /// The latest instant the core has been told about.
    pub fn now(&self) -> Timestamp {
        self.now
    }

    /// Runs every deadline up to `now`, each at its own instant, in time order.
    fn advance(&mut self, now: Timestamp) {
        let now = now.max(self.now);
        loop {
            let boundary = self.stats.next_deadline();
            match self.timers.peek() {
                Some(((at, _), _)) if at <= now && at < boundary => {
                    let (key, timer) = self.timers.pop().expect("peeked");
                    if self.timer_is_live(key, timer) {
                        self.now = at.max(self.now);
                        self.fire(timer);
                    }
                }
                _ if boundary <= now => {
                    self.now = boundary.max(self.now);
                    self.roll_over(boundary);
                }
                _ => break,
            }
        }
        self.now = now;
    }

    /// Drops cancelled timers from the top, so [`Acd::poll_timeout`] names a live deadline, and
    /// rebuilds the heap when stale entries dominate it. A call owns at most one live timer and an
    /// agent two, so past twice that bound most entries are stale; a rebuild follows at least
    /// that many new timers, which keeps its cost O(1) per timer.
    fn purge_stale_timers(&mut self) {
        let live_bound = self.calls.len() + 2 * self.agents.len();
        if self.timers.len() > 2 * live_bound + 1024 {
            let mut timers = std::mem::take(&mut self.timers);
            timers.retain(|key, timer| self.timer_is_live(key, timer));
            self.timers = timers;
        }
        while let Some((key, timer)) = self.timers.peek() {
            if self.timer_is_live(key, timer) {
                break;
            }
            self.timers.pop();
        }
    }

    /// A timer is live while its owner still holds its key.
    fn timer_is_live(&self, key: TimerKey, timer: Timer) -> bool {
        match timer {
            Timer::RingTimeout(slot) => {
                matches!(self.calls.get(slot).map(|c| &c.state), Some(call::CallState::Ringing { timer, .. }) if *timer == key)
            }
            Timer::WaitStep(slot) => {
                matches!(self.calls.get(slot).map(|c| &c.state), Some(call::CallState::Waiting { timer: Some(timer) }) if *timer == key)
            }
            Timer::WrapUpEnd(agent) => self.agents[agent].wrap_up_timer == Some(key),
            Timer::ConversationWrapUpEnd(slot) => {
                matches!(self.calls.get(slot).map(|c| &c.state), Some(call::CallState::WrapUp { timer, .. }) if *timer == key)
            }
            Timer::Unblock(agent) => self.agents[agent].blocked_until.map(|(_, k)| k) == Some(key),
            Timer::ConsultRingTimeout(slot) => self.calls.get(slot).is_some_and(|c| {
                matches!(c.consult.as_deref(), Some(consult::Consult { phase: consult::ConsultPhase::Ringing { timer, .. }, .. }) if *timer == key)
            }),
        }
    }

    fn fire(&mut self, timer: Timer) {
        match timer {
            Timer::RingTimeout(slot) => self.ring_no_answer(slot),
            Timer::WaitStep(slot) => {
                if let Some(c) = self.calls.get_mut(slot) {
                    if let call::CallState::Waiting { timer } = &mut c.state {
                        *timer = None;
                        self.settle_waiting(slot);
                    }
                }
            }
            Timer::WrapUpEnd(agent) => {
                self.agents[agent].wrap_up_timer = None;
                self.wrap_up_over(agent);
            }
            Timer::Unblock(agent) => self.unblock_agent(agent),
            Timer::ConversationWrapUpEnd(slot) => self.conversation_wrap_up_over(slot),
            Timer::ConsultRingTimeout(slot) => {
                self.end_consult(slot, consult::ConsultEnd::RingNoAnswer)
            }
        }
    }

    fn roll_over(&mut self, at: Timestamp) {
        if self.stats.is_new_day(at) {
            // The daily counts fewest-calls and least-talk-time route by start again, and each
            // agent's own day.
            for agent in 0..self.agents.len() {
                self.agents[agent].day.new_day();
                self.agents[agent].day_state_ms = [0; 6];
                for m in &mut self.agents[agent].memberships {
                    m.answered_today = 0;
                    m.talk_ms_today = 0;
                }
                if self.agents[agent]
                    .memberships
                    .iter()
                    .any(|m| m.indexed.is_some())
                {
                    self.unindex_agent(agent);
                    self.index_agent(agent);
                }
            }
        }
        let dirty = &mut self.dirty;
        self.stats.advance(at, |queue| dirty.mark(queue));
    }

    /// The index of a configured channel; `None` for voice.
    pub(crate) fn channel_index(&self, id: Option<&ChannelId>) -> Option<usize> {
        id.map(|id| {
            self.channels
                .iter()
                .position(|c| &c.id == id)
                .expect("a validated channel")
        })
    }

    /// The lane of queue `id` that routes `channel` (`None`: calls): unknown queue, or
    /// `wrong_channel` for a queue that does not serve the channel.
    pub(crate) fn lane(&self, id: &QueueId, channel: Option<usize>) -> Result<usize, AcdError> {
        let lanes = self
            .lanes
            .get(id)
            .ok_or_else(|| AcdError::UnknownQueue(id.clone()))?;
        lanes
            .iter()
            .copied()
            .find(|&lane| self.queues[lane].channel == channel)
            .ok_or_else(|| self.wrong_channel(id, channel))
    }

    /// The lanes of a queue (empty for an unknown one), in configuration order.
    pub(crate) fn lanes_of_queue(&self, id: &QueueId) -> &[usize] {
        self.lanes.get(id).map_or(&[], Vec::as_slice)
    }

    pub fn agent(&self, id: &AgentId) -> Option<AgentView> {
        self.agent_by_id
            .get(id)
            .map(|&index| self.agent_view(index))
    }

    /// The agent's own day up to now: since local midnight (`today_start`), its time in each
    /// state counted to now.
    pub fn agent_day(&self, id: &AgentId) -> Option<AgentDayView<'_>> {
        let agent = &self.agents[*self.agent_by_id.get(id)?];
        Some(AgentDayView {
            today_start: self.stats.today_start(),
            state_ms: agent.day_state_ms(self.stats.today_start(), self.now),
            day: &agent.day,
        })
    }

    /// Every agent, in configuration order.
    pub fn agents(&self) -> impl Iterator<Item = AgentView> + '_ {
        (0..self.agents.len()).map(|index| self.agent_view(index))
    }

    /// A call by id (a conversation's id names no call).
    pub fn call(&self, id: &CallId) -> Option<CallView> {
        let slot = self.calls.slot_of(id)?;
        let call = &self.calls[slot];
        call.conversation.is_none().then(|| self.call_view(call))
    }

    /// Every call in the ACD, in arrival order.
    pub fn calls(&self) -> Vec<CallView> {
        let mut calls: Vec<&Call> = self
            .calls
            .values()
            .filter(|c| c.conversation.is_none())
            .collect();
        calls.sort_by_key(|c| c.seq);
        calls.into_iter().map(|call| self.call_view(call)).collect()
    }

    /// The queue ids, in configuration order (a queue of several lanes once, where its first
    /// lane is).
    pub fn queue_ids(&self) -> impl Iterator<Item = &QueueId> {
        (0..self.queues.len())
            .filter(|&lane| self.lanes_of_queue(&self.queues[lane].config.id)[0] == lane)
            .map(|lane| &self.queues[lane].config.id)
    }

    /// Every lane (a queue's entry for one channel), in configuration order.
    pub fn lanes(&self) -> impl Iterator<Item = Lane> + use<> {
        (0..self.queues.len()).map(Lane)
    }

    /// The lanes of a queue, in configuration order: none for an unknown queue, one for a
    /// queue of one channel.
    pub fn lanes_of(&self, id: &QueueId) -> impl Iterator<Item = Lane> + '_ {
        self.lanes_of_queue(id).iter().copied().map(Lane)
    }

    /// The tenant's name as people read it: a wallboard's title.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What the telephony connector carries out beyond blind transfer ([`Config::telephony`]).
    pub fn telephony(&self) -> config::TelephonyFeatures {
        self.telephony
    }

    /// What the pages call attached data's keys ([`Config::data_labels`]).
    pub fn data_labels(&self) -> &[(String, String)] {
        &self.data_labels
    }

    /// When the supervisor's console highlights an agent ([`Config::alerts`]).
    pub fn alerts(&self) -> config::AgentAlerts {
        self.alerts
    }

    /// The configured not-ready reasons (the system reasons are not listed).
    pub fn not_ready_reasons(&self) -> &[ReasonConfig] {
        &self.reason_list
    }

    /// A queue's configuration (its name, its service level, ...): its first lane's.
    pub fn queue_config(&self, id: &QueueId) -> Option<&config::QueueConfig> {
        let lane = *self.lanes_of_queue(id).first()?;
        Some(&self.queues[lane].config)
    }

    /// A lane's configuration: its queue's, with the lane's channel.
    pub fn lane_config(&self, lane: Lane) -> &config::QueueConfig {
        &self.queues[lane.0].config
    }

    /// How much work waits in a lane, and since when the oldest has waited: what an agent's
    /// display shows, without reading the statistics windows.
    pub fn lane_waiting(&self, lane: Lane) -> (u32, Option<Timestamp>) {
        let queue = &self.queues[lane.0];
        (queue.waiting_count() as u32, queue.oldest_waiting_since())
    }

    /// A lane's statistics as of [`Acd::now`].
    pub fn lane_stats(&self, lane: Lane) -> QueueStats {
        let index = lane.0;
        let queue = &self.queues[index];
        QueueStats {
            id: queue.config.id.clone(),
            name: queue.config.name.clone(),
            channel: queue.config.channel.clone(),
            waiting: queue.waiting_count() as u32,
            ringing: queue.ringing,
            oldest_waiting_since: queue.oldest_waiting_since(),
            service_level: queue.config.service_level.clone(),
            stats: self.stats.queue(index, self.now),
        }
    }

    /// A queue's statistics, for a queue of one lane: `None` for an unknown queue or one that
    /// serves several channels (whose lanes [`Acd::lane_stats`] reads one by one).
    pub fn queue_stats(&self, id: &QueueId) -> Option<QueueStats> {
        self.only_lane(id).map(|lane| self.lane_stats(lane))
    }

    /// A queue's histograms, for a queue of one lane (as [`Acd::queue_stats`]).
    pub fn queue_histograms(&self, id: &QueueId) -> Option<&QueueHistograms> {
        self.only_lane(id).map(|lane| self.lane_histograms(lane))
    }

    fn only_lane(&self, id: &QueueId) -> Option<Lane> {
        match self.lanes_of_queue(id) {
            [lane] => Some(Lane(*lane)),
            _ => None,
        }
    }

    /// A lane's distributions of waiting and handle times since the core started.
    pub fn lane_histograms(&self, lane: Lane) -> &QueueHistograms {
        self.stats.histograms(lane.0)
    }

    /// The part of the rolling window counted as of [`Acd::now`]: where it starts and how long
    /// it is, shorter than `rolling_window` for a core that started less than that ago.
    pub fn rolling_counted(&self) -> (Timestamp, Duration) {
        self.stats.rolling_counted(self.now)
    }

    /// The tenant's totals as of [`Acd::now`].
    pub fn tenant_stats(&self) -> TenantStats {
        TenantStats {
            waiting: self.queues.iter().map(|q| q.waiting_count() as u32).sum(),
            ringing: self.queues.iter().map(|q| q.ringing).sum(),
            oldest_waiting_since: self
                .queues
                .iter()
                .filter_map(|q| q.oldest_waiting_since())
                .min(),
            stats: self.stats.tenant(self.now),
        }
    }

    /// How many timer entries the core holds, cancelled ones not yet purged included; for
    /// diagnostics.
    pub fn pending_timers(&self) -> usize {
        self.timers.len()
    }
}

/// A lane of a queue: its entry for one channel. A queue of one channel has one lane; a queue
/// serving calls and chat has two, each with its own waiting work, agents and figures.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct Lane(usize);

impl Lane {
    /// The lane's position among all lanes, from 0 in configuration order: an index for
    /// per-lane tables.
    pub fn index(self) -> usize {
        self.0
    }
}

/// Each queue's lanes, in the order of `queues`.
fn lanes_of<'a>(
    queues: impl Iterator<Item = &'a config::QueueConfig>,
) -> HashMap<QueueId, Vec<usize>> {
    let mut lanes: HashMap<QueueId, Vec<usize>> = HashMap::default();
    for (lane, queue) in queues.enumerate() {
        lanes.entry(queue.id.clone()).or_default().push(lane);
    }
    lanes
}

/// An agent's capacity for each channel of `order` (the core's order of its channels): its own
/// where it names one, the channel's in `channels` otherwise.
fn capacities(order: &[ChannelId], channels: &[ChannelConfig], agent: &AgentConfig) -> Vec<u8> {
    order
        .iter()
        .map(|id| {
            let channel = channels
                .iter()
                .find(|c| c.id == *id)
                .expect("a configured channel");
            agent
                .capacity
                .iter()
                .find(|(named, _)| named == id)
                .map_or(channel.capacity, |(_, capacity)| *capacity)
        })
        .collect()
}
