//! Agents: their status, the state they asked for while busy, and the transitions they drive.

use std::fmt;
use std::time::Duration;

use jiff::Timestamp;

use super::Acd;
use super::call::CallState;
use super::config::MAX_NOTES_CHARS;
use super::day::{AgentDay, KeptId, RecentCall};
use super::error::AcdError;
use super::event::{Event, Holds, OfferEndReason};
use super::figures::Sample;
use super::ids::{AgentId, CallId, DispositionCode, QueueId, ReasonCode};
use super::monitor::Monitor;
use super::stats::{Places, millis_between};
use super::timers::{Timer, TimerKey};

/// What an agent is doing, without the details.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum AgentStatusKind {
    LoggedOut,
    NotReady,
    Ready,
    /// Reserved for one call: the offer rings.
    Ringing,
    OnCall,
    WrapUp,
}

// `AgentStatusKind::ALL` is in declaration order.
const _: () = {
    let mut i = 0;
    while i < AgentStatusKind::ALL.len() {
        assert!(AgentStatusKind::ALL[i] as usize == i);
        i += 1;
    }
};

impl AgentStatusKind {
    /// Every kind, in declaration order: `kind as usize` is a kind's place here (checked above),
    /// which per-state arrays index by.
    pub const ALL: [AgentStatusKind; 6] = [
        AgentStatusKind::LoggedOut,
        AgentStatusKind::NotReady,
        AgentStatusKind::Ready,
        AgentStatusKind::Ringing,
        AgentStatusKind::OnCall,
        AgentStatusKind::WrapUp,
    ];

    /// The name used on the wire, in metrics and in logs.
    pub fn name(self) -> &'static str {
        match self {
            AgentStatusKind::LoggedOut => "logged_out",
            AgentStatusKind::NotReady => "not_ready",
            AgentStatusKind::Ready => "ready",
            AgentStatusKind::Ringing => "ringing",
            AgentStatusKind::OnCall => "on_call",
            AgentStatusKind::WrapUp => "wrap_up",
        }
    }
}

impl fmt::Display for AgentStatusKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an agent is doing, with what it is doing it with.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AgentStatus {
    LoggedOut,
    NotReady {
        reason: ReasonCode,
    },
    /// Ready for calls. A ready agent may still be held back from offers for the reject delay.
    Ready,
    Ringing {
        call: CallId,
    },
    OnCall {
        call: CallId,
        on_hold: bool,
    },
    /// Asked to consult on another agent's call ([`crate::consult`]): the consultation rings
    /// here (`ringing`), or the two agents talk, or all three in a conference. Busy with the
    /// call without handling it; on the wire it is `ringing` or `on_call` with the call's id.
    Consulted {
        call: CallId,
        ringing: bool,
    },
    /// After-call work until `deadline`, which the agent can end early or extend.
    WrapUp {
        call: CallId,
        deadline: Timestamp,
    },
}

impl AgentStatus {
    pub fn kind(&self) -> AgentStatusKind {
        match self {
            AgentStatus::LoggedOut => AgentStatusKind::LoggedOut,
            AgentStatus::NotReady { .. } => AgentStatusKind::NotReady,
            AgentStatus::Ready => AgentStatusKind::Ready,
            AgentStatus::Ringing { .. } => AgentStatusKind::Ringing,
            AgentStatus::OnCall { .. } => AgentStatusKind::OnCall,
            AgentStatus::Consulted { ringing: true, .. } => AgentStatusKind::Ringing,
            AgentStatus::Consulted { ringing: false, .. } => AgentStatusKind::OnCall,
            AgentStatus::WrapUp { .. } => AgentStatusKind::WrapUp,
        }
    }

    pub fn reason(&self) -> Option<&ReasonCode> {
        match self {
            AgentStatus::NotReady { reason } => Some(reason),
            _ => None,
        }
    }

    /// True while the agent works on a call: ringing, talking or wrapping up. A state asked for
    /// then becomes the pending next state.
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            AgentStatus::Ringing { .. }
                | AgentStatus::OnCall { .. }
                | AgentStatus::Consulted { .. }
                | AgentStatus::WrapUp { .. }
        )
    }
}

/// The agent's phone as the PBX last reported it. Only `Available` takes calls; chats and other
/// conversations do not need it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum DeviceState {
    /// Registered and idle.
    Available,
    /// Busy with a call the ACD did not offer (a private or outbound call).
    InUse,
    /// Not registered: the phone is off, unplugged or its softphone closed.
    Unregistered,
}

impl DeviceState {
    pub const ALL: [DeviceState; 3] = [
        DeviceState::Available,
        DeviceState::InUse,
        DeviceState::Unregistered,
    ];

    /// The name used on the wire, in metrics and in logs.
    pub fn name(self) -> &'static str {
        match self {
            DeviceState::Available => "available",
            DeviceState::InUse => "in_use",
            DeviceState::Unregistered => "unregistered",
        }
    }
}

/// A state an agent or supervisor asks for.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RequestedState {
    Ready,
    NotReady { reason: ReasonCode },
    LoggedOut,
}

/// The state an agent goes to when its current call and wrap-up end, instead of ready.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum PendingState {
    NotReady { reason: ReasonCode },
    LoggedOut,
}

/// A read-only view of an agent for the server, supervisors and tests.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentView {
    pub id: AgentId,
    pub name: String,
    pub status: AgentStatus,
    /// When the agent entered its status; displays tick from this.
    pub since: Timestamp,
    pub pending: Option<PendingState>,
    /// The queues the agent serves with its skill level in each.
    pub skills: Vec<(QueueId, u8)>,
    /// Ring-no-answers in a row since the last answered call.
    pub ring_no_answer_streak: u32,
    /// Set while the agent is ready but held back from offers after a reject or ring-no-answer.
    pub blocked_until: Option<Timestamp>,
    /// The agent's phone as the PBX last reported it; `None` until it reports one.
    pub device: Option<DeviceState>,
    /// On a call: its time on hold so far.
    pub holds: Option<Holds>,
    /// On a call: the supervisors on it.
    pub monitors: Vec<Monitor>,
}

/// The agent's membership of one queue, with the per-queue counts some strategies route by.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Membership {
    pub queue: usize,
    pub skill: u8,
    /// The agent's place in the queue's member list, for round-robin.
    pub position: u32,
    pub answered_today: u64,
    pub talk_ms_today: u64,
    /// The key under which the agent sits in the queue's available index, while it does.
    pub indexed: Option<(u64, u64)>,
}

/// The handling of one call by one agent, from answer to the end of wrap-up, for handle time.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct Handling {
    pub queue: usize,
    pub membership: Option<usize>,
    pub connected_at: Timestamp,
    pub hold_ms: u64,
    pub held_since: Option<Timestamp>,
    /// Set when talk ends: the talk time and when wrap-up began.
    pub talk_ms: u64,
    pub wrap_up_from: Option<Timestamp>,
    /// The agent's disposition code and notes for the call, as last given.
    #[serde(default)]
    pub disposition: Option<DispositionCode>,
    #[serde(default)]
    pub notes: String,
    /// The caller's number, for the agent's list of its last calls.
    #[serde(default)]
    pub caller: Option<String>,
}

#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Agent {
    pub id: AgentId,
    pub name: String,
    /// Private to this module: [`Acd::set_status`] is the only writer, so the routing indexes,
    /// the agent counts and the event stream never miss a change. Read it with `status()`.
    status: AgentStatus,
    pub since: Timestamp,
    pub pending: Option<PendingState>,
    pub memberships: Vec<Membership>,
    pub ring_no_answer_streak: u32,
    pub blocked_until: Option<(Timestamp, TimerKey)>,
    pub wrap_up_timer: Option<TimerKey>,
    pub handling: Option<Handling>,
    /// Per messaging channel (in the tenant's order): the conversations the agent holds, offered,
    /// open or in wrap-up.
    #[serde(default)]
    pub conversations: Vec<u8>,
    /// Per messaging channel: how many it may hold at once.
    #[serde(default)]
    pub capacity: Vec<u8>,
    /// Per messaging channel: when the agent last took or freed a place, for longest-idle
    /// routing of conversations.
    #[serde(default)]
    pub channel_since: Vec<Timestamp>,
    /// Per messaging channel: the places the statistics count for the agent (see
    /// [`Acd::count_places`]); empty until the first count.
    #[serde(default)]
    pub counted_places: Vec<Places>,
    /// The agent's phone as the PBX last reported it; `None` (taken as available) until it
    /// reports one.
    #[serde(default)]
    pub device: Option<DeviceState>,
    /// What the agent did today ([`AgentDay`]). Boxed: read and written once a call, while
    /// the fields routing reads on every offer stay close together.
    #[serde(default)]
    pub day: Box<AgentDay>,
    /// Time in each state today, by [`AgentStatusKind::ALL`]'s order, up to `since` (or
    /// today's start, if later): the open piece is added when the state or reason changes
    /// ([`Acd::set_status`]) and when read ([`Agent::day_state_ms`]). Here, not in `day`, so a
    /// change of state touches no further cache line.
    #[serde(default)]
    pub day_state_ms: [u32; 6],
    /// Supervisors on the agent's call now ([`Monitor`]); empty when it is on none.
    #[serde(default)]
    pub monitors: Vec<Monitor>,
}

impl Agent {
    /// The agent's time in its state since `since`, or since today's start if later.
    fn open_piece_ms(&self, today_start: Timestamp, now: Timestamp) -> u32 {
        u32::try_from(millis_between(self.since.max(today_start), now)).unwrap_or(u32::MAX)
    }

    /// Time in each state today up to `now`, by [`AgentStatusKind::ALL`]'s order.
    pub fn day_state_ms(&self, today_start: Timestamp, now: Timestamp) -> [u64; 6] {
        let mut state_ms = self.day_state_ms.map(u64::from);
        state_ms[self.status.kind() as usize] += u64::from(self.open_piece_ms(today_start, now));
        state_ms
    }

    /// The time on hold of the call `status` says the agent is on; `None` when not on a call.
    pub fn holds(&self, status: &AgentStatus) -> Option<Holds> {
        match (status, &self.handling) {
            (AgentStatus::OnCall { .. }, Some(handling)) => Some(Holds {
                held_since: handling.held_since,
                held_ms: handling.hold_ms,
            }),
            _ => None,
        }
    }

    /// An agent as the ACD starts it: logged out since `now`.
    pub fn logged_out(
        id: AgentId,
        name: String,
        memberships: Vec<Membership>,
        capacity: Vec<u8>,
        now: Timestamp,
    ) -> Agent {
        Agent {
            conversations: vec![0; capacity.len()],
            channel_since: vec![now; capacity.len()],
            counted_places: Vec::new(),
            capacity,
            id,
            name,
            status: AgentStatus::LoggedOut,
            since: now,
            pending: None,
            memberships,
            ring_no_answer_streak: 0,
            blocked_until: None,
            wrap_up_timer: None,
            handling: None,
            device: None,
            day: Box::default(),
            day_state_ms: [0; 6],
            monitors: Vec::new(),
        }
    }

    pub fn status(&self) -> &AgentStatus {
        &self.status
    }

    pub fn membership_of(&self, queue: usize) -> Option<usize> {
        self.memberships.iter().position(|m| m.queue == queue)
    }

    /// How many conversations the agent holds, of every channel.
    pub fn conversation_count(&self) -> u32 {
        self.conversations.iter().map(|&n| n as u32).sum()
    }
}

impl Acd {
    /// Whether the agent may be offered work of `channel` (`None` for voice) now. A call needs a
    /// ready agent whose phone is available (or not reported); a conversation needs a free place
    /// for its channel and an agent who is ready, or busy with a call with nothing pending when
    /// calls let conversations through ([`config::RoutingConfig::voice_exclusive`]). Either way the agent must not be held back,
    /// and must hold nothing of another channel that is exclusive.
    ///
    /// [`config::RoutingConfig::voice_exclusive`]: super::config::RoutingConfig::voice_exclusive
    pub(crate) fn may_offer(&self, index: usize, channel: Option<usize>) -> bool {
        let a = &self.agents[index];
        if a.blocked_until.is_some() || !self.channel_open(index, channel) {
            return false;
        }
        match channel {
            None => a.device.is_none_or(|d| d == DeviceState::Available),
            Some(c) => a.conversations[c] < a.capacity[c],
        }
    }

    /// Whether the agent's state and the cross-channel rules let it take new work of `channel`
    /// (`None` for calls), whatever it holds of it: no exclusive channel it holds work of stands
    /// in the way, and for a call it is ready; for a conversation it is ready, or (with
    /// `voice_exclusive` off) busy with a call with nothing pending. What [`Acd::may_offer`]
    /// asks before capacity and hold-back, and what counts an agent's places as staffed
    /// ([`Acd::count_places`]).
    pub(crate) fn channel_open(&self, index: usize, channel: Option<usize>) -> bool {
        let a = &self.agents[index];
        let others_let_it_through =
            self.channels.iter().enumerate().all(|(c, other)| {
                Some(c) == channel || a.conversations[c] == 0 || !other.exclusive
            });
        if !others_let_it_through {
            return false;
        }
        match (&a.status, channel) {
            (AgentStatus::Ready, _) => true,
            (status, Some(_)) if status.is_busy() => {
                a.pending.is_none() && !self.routing.voice_exclusive
            }
            _ => false,
        }
    }

    pub(crate) fn agent_index(&self, id: &AgentId) -> Result<usize, AcdError> {
        self.agent_by_id
            .get(id)
            .copied()
            .ok_or_else(|| AcdError::UnknownAgent(id.clone()))
    }

    fn check_reason(&self, reason: &ReasonCode) -> Result<(), AcdError> {
        if self.reasons.contains(reason) {
            Ok(())
        } else {
            Err(AcdError::UnknownReason(reason.clone()))
        }
    }

    pub(crate) fn login(&mut self, agent: &AgentId) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        if self.agents[index].status != AgentStatus::LoggedOut {
            return Err(AcdError::AlreadyLoggedIn(agent.clone()));
        }
        self.set_status(
            index,
            AgentStatus::NotReady {
                reason: ReasonCode::new(ReasonCode::LOGIN),
            },
        );
        Ok(())
    }

    /// Ready, not ready or log out. While the agent is busy with a call, a not-ready or logout
    /// request becomes the pending next state, and ready clears a pending state.
    pub(crate) fn set_state(
        &mut self,
        agent: &AgentId,
        requested: RequestedState,
    ) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        if let RequestedState::NotReady { reason } = &requested {
            self.check_reason(reason)?;
        }
        let current = &self.agents[index];
        if current.status == AgentStatus::LoggedOut {
            return Err(AcdError::NotLoggedIn(agent.clone()));
        }
        self.check_logout(index, &requested)?;
        if requested == RequestedState::LoggedOut {
            self.decline_offers(index);
        }
        let current = &self.agents[index];
        if current.status.is_busy() {
            let pending = match requested {
                RequestedState::Ready => None,
                RequestedState::NotReady { reason } => Some(PendingState::NotReady { reason }),
                RequestedState::LoggedOut => Some(PendingState::LoggedOut),
            };
            self.set_pending(index, pending);
            self.refresh_agent(index);
            return Ok(());
        }
        let status = match requested {
            RequestedState::Ready => AgentStatus::Ready,
            RequestedState::NotReady { reason } => AgentStatus::NotReady { reason },
            RequestedState::LoggedOut => AgentStatus::LoggedOut,
        };
        if status != current.status {
            self.set_status(index, status);
        }
        Ok(())
    }

    /// An agent holding conversations cannot log out, now or after its call: it sets not ready,
    /// closes them, then logs out. Offers still ringing do not hold it back: logging out
    /// declines them ([`Acd::decline_offers`]).
    fn check_logout(&self, index: usize, requested: &RequestedState) -> Result<(), AcdError> {
        if *requested != RequestedState::LoggedOut {
            return Ok(());
        }
        let count = self.open_conversations(index);
        if count > 0 {
            return Err(AcdError::HoldsConversations {
                agent: self.agents[index].id.clone(),
                count,
            });
        }
        Ok(())
    }

    /// The agent logs out (now or after its call) with conversation offers ringing: each is
    /// declined, as if the agent had rejected it, and looks for another agent. The agent is not
    /// routed again here: the caller logs it out or sets the pending logout, then refreshes it,
    /// so no declined offer comes back to it.
    fn decline_offers(&mut self, index: usize) {
        let offers = self
            .held_by(index)
            .into_iter()
            .filter(|slot| matches!(self.calls[*slot].state, CallState::Ringing { .. }));
        for slot in offers.collect::<Vec<_>>() {
            self.offer_ended_without(slot, index, OfferEndReason::Rejected);
        }
    }

    /// After too many ring-no-answers in a row: not ready with reason `no_answer` (after its
    /// call, for an agent busy with one).
    pub(crate) fn pause_for_no_answer(&mut self, index: usize) {
        let reason = ReasonCode::new(ReasonCode::NO_ANSWER);
        if self.agents[index].status.is_busy() {
            if self.agents[index].pending.is_none() {
                self.set_pending(index, Some(PendingState::NotReady { reason }));
            }
        } else if self.agents[index].status == AgentStatus::Ready {
            self.set_status(index, AgentStatus::NotReady { reason });
        }
    }

    /// Sets the pending next state of a busy agent directly (a supervisor's "after this call").
    /// Unlike [`Acd::set_state`] it never changes the current state: an agent with no call is
    /// refused, so the supervisor forces its state instead.
    pub(crate) fn set_pending_state(
        &mut self,
        agent: &AgentId,
        pending: PendingState,
    ) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        match &pending {
            PendingState::NotReady { reason } => self.check_reason(reason)?,
            PendingState::LoggedOut => self.check_logout(index, &RequestedState::LoggedOut)?,
        }
        let status = &self.agents[index].status;
        if *status == AgentStatus::LoggedOut {
            return Err(AcdError::NotLoggedIn(agent.clone()));
        }
        if !status.is_busy() {
            return Err(AcdError::AgentNotBusy {
                agent: agent.clone(),
                state: status.kind(),
            });
        }
        if pending == PendingState::LoggedOut {
            self.decline_offers(index);
        }
        self.set_pending(index, Some(pending));
        self.refresh_agent(index);
        Ok(())
    }

    pub(crate) fn clear_pending(&mut self, agent: &AgentId) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        if self.agents[index].pending.is_none() {
            return Err(AcdError::NoPendingState(agent.clone()));
        }
        self.set_pending(index, None);
        self.refresh_agent(index);
        Ok(())
    }

    fn set_pending(&mut self, index: usize, pending: Option<PendingState>) {
        let agent = &mut self.agents[index];
        if agent.pending != pending {
            agent.pending = pending.clone();
            self.events.push_back(Event::PendingStateChanged {
                agent: agent.id.clone(),
                pending,
            });
        }
    }

    /// The one place an agent's status changes: keeps the routing indexes, the agent counts and
    /// the event stream in step, then offers the agent a call if it became available.
    pub(crate) fn set_status(&mut self, index: usize, status: AgentStatus) {
        let now = self.now;
        let today_start = self.stats.today_start();
        let agent = &mut self.agents[index];
        let previous = std::mem::replace(&mut agent.status, status.clone());
        // Time in state runs on through hold and resume: only a new state or reason restarts it.
        if previous.kind() != status.kind() || previous.reason() != status.reason() {
            let piece = agent.open_piece_ms(today_start, now);
            let slot = &mut agent.day_state_ms[previous.kind() as usize];
            *slot = slot.saturating_add(piece);
            agent.since = now;
        }
        if status == AgentStatus::LoggedOut {
            agent.ring_no_answer_streak = 0;
        }
        let queues = agent.memberships.iter().map(|m| m.queue);
        self.stats.agent_moved(
            now,
            queues,
            (previous.kind(), previous.reason()),
            (status.kind(), status.reason()),
        );
        for m in &self.agents[index].memberships {
            self.dirty.mark(m.queue);
        }
        self.unindex_agent(index);
        let agent = &self.agents[index];
        self.events.push_back(Event::AgentStatusChanged {
            agent: agent.id.clone(),
            holds: agent.holds(&status),
            status,
            previous: previous.kind(),
            since: agent.since,
            device: agent.device,
        });
        self.refresh_agent(index);
    }

    /// The PBX reports the agent's phone: an agent whose phone is not available is offered no
    /// calls (conversations still), and is offered them again, at once, when it is. The agent's
    /// state does not change; its sessions and supervisors hear the phone's in an
    /// `AgentStatusChanged` whose `previous` is the state it is in. The same state again changes
    /// nothing.
    pub(crate) fn set_device(
        &mut self,
        agent: &AgentId,
        device: DeviceState,
    ) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        let a = &mut self.agents[index];
        if a.device == Some(device) {
            return Ok(());
        }
        a.device = Some(device);
        self.events.push_back(Event::AgentStatusChanged {
            agent: a.id.clone(),
            status: a.status.clone(),
            previous: a.status.kind(),
            since: a.since,
            device: a.device,
            holds: a.holds(&a.status),
        });
        self.refresh_agent(index);
        Ok(())
    }

    /// Holds a ready agent back from offers for the reject delay.
    pub(crate) fn block_agent(&mut self, index: usize) {
        let delay = self.routing.reject_delay;
        if delay.is_zero() {
            return;
        }
        let until = self.now + delay;
        let key = self.timers.set(until, Timer::Unblock(index));
        let agent = &mut self.agents[index];
        agent.blocked_until = Some((until, key));
    }

    pub(crate) fn unblock_agent(&mut self, index: usize) {
        self.agents[index].blocked_until = None;
        self.refresh_agent(index);
    }

    /// The call and its wrap-up are over: go to the pending state, or ready.
    pub(crate) fn finish_work(&mut self, index: usize) {
        let status = match self.agents[index].pending.clone() {
            Some(PendingState::NotReady { reason }) => AgentStatus::NotReady { reason },
            Some(PendingState::LoggedOut) => AgentStatus::LoggedOut,
            None => AgentStatus::Ready,
        };
        self.set_pending(index, None);
        self.set_status(index, status);
    }

    /// Talk is over (hang-up or transfer): start the queue's wrap-up, or finish at once.
    pub(crate) fn start_wrap_up(&mut self, index: usize, call: CallId) {
        self.monitors_leave(index);
        let now = self.now;
        let agent = &mut self.agents[index];
        let handling = agent
            .handling
            .as_mut()
            .expect("an agent on a call has a handling record");
        if let Some(held_since) = handling.held_since.take() {
            handling.hold_ms += millis_between(held_since, now);
        }
        handling.talk_ms =
            millis_between(handling.connected_at, now).saturating_sub(handling.hold_ms);
        handling.wrap_up_from = Some(now);
        let wrap_up = self.queues[handling.queue].config.wrap_up;
        if wrap_up.is_zero() {
            self.end_handling(index);
            self.finish_work(index);
        } else {
            let deadline = now + wrap_up;
            self.agents[index].wrap_up_timer =
                Some(self.timers.set(deadline, Timer::WrapUpEnd(index)));
            self.set_status(index, AgentStatus::WrapUp { call, deadline });
        }
    }

    /// Counts the finished handling (talk + hold + wrap-up) and its disposition in the call's
    /// queue, and tells of it ([`Event::CallHandled`]).
    fn end_handling(&mut self, index: usize) {
        let now = self.now;
        let agent = &mut self.agents[index];
        let Some(handling) = agent.handling.take() else {
            return;
        };
        let wrap_up_ms = handling
            .wrap_up_from
            .map_or(0, |from| millis_between(from, now));
        if let Some(m) = handling.membership {
            agent.memberships[m].talk_ms_today += handling.talk_ms;
        }
        let call = match &agent.status {
            AgentStatus::OnCall { call, .. } | AgentStatus::WrapUp { call, .. } => call.clone(),
            _ => unreachable!("a handling ends on a call or in its wrap-up"),
        };
        let sample = Sample::Handled {
            talk_ms: handling.talk_ms,
            hold_ms: handling.hold_ms,
            wrap_up_ms,
        };
        self.stats.record(now, handling.queue, sample);
        self.stats
            .count_disposition(handling.queue, handling.disposition.as_ref());
        self.dirty.mark(handling.queue);
        let queue = self.queues[handling.queue].config.id.clone();
        let agent = &mut self.agents[index];
        let notes = (!handling.notes.is_empty()).then(|| handling.notes.into_boxed_str());
        let id = agent.id.clone();
        agent.day.handled(RecentCall {
            call: KeptId::from(&call),
            queue,
            caller: handling.caller,
            connected_at: handling.connected_at,
            talk_ms: handling.talk_ms,
            hold_ms: handling.hold_ms,
            wrap_up_ms,
            disposition: handling.disposition.clone(),
        });
        self.events.push_back(Event::CallHandled {
            agent: id,
            call,
            connected_at: handling.connected_at,
            disposition: handling.disposition,
            notes,
        });
    }

    pub(crate) fn end_wrap_up(&mut self, agent: &AgentId) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        let status = &self.agents[index].status;
        if !matches!(status, AgentStatus::WrapUp { .. }) {
            return Err(AcdError::NotInWrapUp {
                agent: agent.clone(),
                state: status.kind(),
            });
        }
        if let Some(handling) = &self.agents[index].handling {
            let queue = &self.queues[handling.queue].config;
            if queue.disposition_required && handling.disposition.is_none() {
                return Err(AcdError::DispositionRequired {
                    queue: queue.id.clone(),
                });
            }
        }
        self.wrap_up_over(index);
        Ok(())
    }

    /// The agent's disposition and notes for the call it is on or wrapping up: checked against
    /// the codes of the queue it answered the call in.
    pub(crate) fn set_disposition(
        &mut self,
        agent: &AgentId,
        call: &CallId,
        disposition: Option<DispositionCode>,
        notes: String,
    ) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        let a = &self.agents[index];
        let handling = match (&a.status, &a.handling) {
            (
                AgentStatus::OnCall { call: on, .. } | AgentStatus::WrapUp { call: on, .. },
                Some(handling),
            ) if on == call => handling,
            _ => {
                self.call_ref(call)?;
                return Err(AcdError::NotHandling {
                    agent: agent.clone(),
                    call: call.clone(),
                });
            }
        };
        let queue = &self.queues[handling.queue].config;
        if let Some(code) = &disposition
            && !queue.dispositions.iter().any(|d| &d.code == code)
        {
            return Err(AcdError::UnknownDisposition {
                queue: queue.id.clone(),
                code: code.clone(),
            });
        }
        if notes.chars().count() > MAX_NOTES_CHARS {
            return Err(AcdError::NotesTooLong {
                max_chars: MAX_NOTES_CHARS,
            });
        }
        let handling = self.agents[index]
            .handling
            .as_mut()
            .expect("looked up above");
        handling.disposition = disposition;
        handling.notes = notes;
        Ok(())
    }

    pub(crate) fn wrap_up_over(&mut self, index: usize) {
        self.agents[index].wrap_up_timer = None;
        self.end_handling(index);
        self.finish_work(index);
    }

    pub(crate) fn extend_wrap_up(&mut self, agent: &AgentId, by: Duration) -> Result<(), AcdError> {
        let index = self.agent_index(agent)?;
        let max = self.routing.max_wrap_up_extension;
        let AgentStatus::WrapUp { call, deadline } = self.agents[index].status.clone() else {
            let state = self.agents[index].status.kind();
            return Err(AcdError::NotInWrapUp {
                agent: agent.clone(),
                state,
            });
        };
        if by < Duration::from_secs(1) || by > max {
            return Err(AcdError::BadExtension {
                max_secs: max.as_secs(),
            });
        }
        let deadline = deadline + by;
        self.agents[index].wrap_up_timer = Some(self.timers.set(deadline, Timer::WrapUpEnd(index)));
        // Still wrap-up, with a later deadline: the agent's time in state runs on.
        self.set_status(index, AgentStatus::WrapUp { call, deadline });
        Ok(())
    }

    pub(crate) fn agent_view(&self, index: usize) -> AgentView {
        let agent = &self.agents[index];
        AgentView {
            id: agent.id.clone(),
            name: agent.name.clone(),
            status: agent.status.clone(),
            since: agent.since,
            pending: agent.pending.clone(),
            // One per queue: the same skill is a membership of each of its lanes.
            skills: agent
                .memberships
                .iter()
                .filter(|m| self.lanes_of_queue(&self.queues[m.queue].config.id)[0] == m.queue)
                .map(|m| (self.queues[m.queue].config.id.clone(), m.skill))
                .collect(),
            ring_no_answer_streak: agent.ring_no_answer_streak,
            blocked_until: agent.blocked_until.map(|(until, _)| until),
            device: agent.device,
            holds: agent.holds(&agent.status),
            monitors: agent.monitors.clone(),
        }
    }
}
