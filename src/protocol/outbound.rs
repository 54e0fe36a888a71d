//! What the server sends: the greeting, a reply to each command, and events.
//!
//! Events are serialized once, without `seq`, and shared by every session they go to; each
//! session puts its own `seq` in front as it writes ([`with_seq`]). Replies (`ack`, `error`) and
//! the greeting (`hello`) carry no `seq`: they are answers, not part of the event stream.
//!
//! Instants go out as RFC 3339 UTC timestamps with milliseconds, so displays can tick locally
//! ("waiting since", "in this state since") without being pushed every second.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;

use super::messaging::{ConversationOffer, ConversationState, TranscriptItem};
use crate::acd::config::ServiceLevelVariant;
use crate::acd::{
    AgentDayView, AgentStatus, AgentStatusKind, AgentView, CallData, CallStatus, CallView,
    DeviceState, Figures, OverflowReason, PendingState, QueueId, QueueStats, TenantStats,
    TransferTarget, WindowFigures,
};

/// An instant on the wire.
pub fn time(at: Timestamp) -> String {
    format!("{at:.3}")
}

/// A reply or greeting: not numbered.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Reply {
    /// The server's first message on every connection.
    Hello {
        protocol: &'static str,
        server: String,
        /// Send `auth` within this many seconds.
        auth_timeout_secs: u64,
        /// How often the `heartbeat` message comes.
        heartbeat_secs: u64,
        /// On an HTTP rung (SSE, long-poll): the link's id, for the `X-Acdhub-Link` header of
        /// its requests.
        #[serde(skip_serializing_if = "Option::is_none")]
        link: Option<String>,
        /// The server's clock as it greets: a client compares it with its own to tick "in this
        /// state for 2:14" from the server's instants even when the two clocks disagree.
        time: String,
    },
    /// Every `heartbeat_secs`: shows a browser, which cannot see WebSocket pings, that its link
    /// is alive. Not an event: no `seq`, never replayed.
    Heartbeat { time: String },
    Ack {
        id: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        result: Option<serde_json::Value>,
    },
    Error {
        /// The refused command's id; `null` when the message was too broken to have one.
        id: Option<String>,
        code: &'static str,
        message: String,
    },
}

impl Reply {
    /// The `error` answering a command refused for `refusal`: its stable code and its words.
    pub fn refused(id: Option<String>, refusal: &super::Refusal) -> Reply {
        Reply::Error {
            id,
            code: refusal.code(),
            message: refusal.to_string(),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("replies always serialize")
    }
}

/// The `result` of a successful `auth`: who the session is and what its tenant offers.
#[derive(Debug, Clone, Serialize)]
pub struct AuthResult {
    pub user: String,
    pub role: &'static str,
    pub tenant: String,
    /// The tenant's name as people read it (`[[tenants]] name`; its id if the file gives none):
    /// a wallboard's title.
    pub tenant_name: String,
    /// The agent an agent session acts as.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    /// Authenticates a later connection of the same principal (`auth` with `token`) without
    /// the password, until `token_expires_at`.
    pub token: String,
    pub token_expires_at: String,
    /// The session's id, for a later `auth` with `resume`: a secret, like the token.
    pub session: String,
    /// True when this `auth` continued the session its `resume` named.
    pub resumed: bool,
    /// The tenant's queues, each with what it routes, so a page offers a call only the queues of
    /// calls as transfer targets, and a conversation only those of its channel.
    pub queues: Vec<NamedQueue>,
    /// The agents the role needs named: an agent only itself; a supervisor, a wallboard and
    /// telephony none. The tenant's agents come in pages from `list_agents` (an agent's
    /// transfer targets, a supervisor's roster): at 10,000 agents the full list is 300 KB, too
    /// much for one message on every sign-in.
    pub agents: Vec<Named>,
    pub not_ready_reasons: Vec<Named>,
    /// When a supervisor's console highlights an agent: too long in a state (`null`: never).
    pub alerts: Alerts,
    /// What pages call the keys of a call's attached data, `[{id, name}]` in the configured
    /// order; a key not listed shows as itself.
    pub data_labels: Vec<Named>,
    /// What the tenant's telephony connector carries out beyond blind transfer: a WebAgent
    /// shows consultation and conference controls only where they are true.
    pub telephony: Telephony,
}

/// [`AuthResult::telephony`].
#[derive(Debug, Clone, Serialize)]
pub struct Telephony {
    pub consult: bool,
    pub conference: bool,
}

/// [`AuthResult::alerts`], in seconds.
#[derive(Debug, Clone, Serialize)]
pub struct Alerts {
    pub not_ready_secs: Option<u32>,
    pub wrap_up_secs: Option<u32>,
    pub hold_secs: Option<u32>,
}

/// The `result` of `list_agents`: a page of the tenant's agents.
#[derive(Debug, Clone, Serialize)]
pub struct AgentPage {
    pub agents: Vec<ListedAgent>,
    /// The last agent listed, for the next page's `after`; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// The `result` of `list_displays`: the tenant's displays, oldest first.
#[derive(Debug, Clone, Serialize)]
pub struct DisplayList {
    pub displays: Vec<ListedDisplay>,
}

/// A display as a console lists it: never its token, which only `create_display` shows, once.
#[derive(Debug, Clone, Serialize)]
pub struct ListedDisplay {
    pub name: String,
    /// The supervisor who made it.
    pub created_by: String,
    pub created_at: String,
}

impl From<&crate::acd::Display> for ListedDisplay {
    fn from(display: &crate::acd::Display) -> ListedDisplay {
        ListedDisplay {
            name: display.name.clone(),
            created_by: display.created_by.clone(),
            created_at: time(display.created_at),
        }
    }
}

/// The `result` of `create_display`: the new display's name and its token, the only time the
/// token is shown (the server keeps a hash of it).
#[derive(Debug, Clone, Serialize)]
pub struct CreatedDisplay {
    pub name: String,
    pub token: String,
}

/// The `result` of `list_queues`: every lane of the tenant's queues, now.
#[derive(Debug, Clone, Serialize)]
pub struct QueueList {
    pub queues: Vec<ListedQueue>,
}

/// One lane of a [`QueueList`]: its waiting work and its agents now.
#[derive(Debug, Clone, Serialize)]
pub struct ListedQueue {
    pub id: String,
    pub name: String,
    pub channel: String,
    pub waiting: u32,
    pub oldest_waiting_since: Option<String>,
    /// Agents of the queue ready now (an agent in several queues counts in each).
    pub agents_ready: u32,
    pub agents_logged_in: u32,
}

/// The `result` of `my_day`: the agent's own day.
#[derive(Debug, Clone, Serialize)]
pub struct MyDay {
    /// When today began: local midnight in the tenant's time zone.
    pub start: String,
    /// Calls whose handling (talk, hold, wrap-up) ended today.
    pub handled: u64,
    pub talk_secs: f64,
    pub hold_secs: f64,
    pub wrap_up_secs: f64,
    /// (talk + hold + wrap-up) / handled; `null` before the first.
    pub aht_secs: Option<f64>,
    /// Time in each state today, up to now, in seconds.
    pub time_in_state: BTreeMap<&'static str, f64>,
    /// Handling time over handling and ready time today; `null` before any.
    pub occupancy_percent: Option<f64>,
    /// The last calls handled, the newest first.
    pub recent: Vec<RecentCallEntry>,
}

/// The `result` of `agents_today`: a page of agents with their day so far.
#[derive(Debug, Clone, Serialize)]
pub struct AgentsTodayPage {
    pub agents: Vec<AgentToday>,
    /// The last agent listed, for the next page's `after`; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// One agent's figures today: as [`MyDay`], without its last calls.
#[derive(Debug, Clone, Serialize)]
pub struct AgentToday {
    pub agent: String,
    pub handled: u64,
    pub aht_secs: Option<f64>,
    pub time_in_state: BTreeMap<&'static str, f64>,
    pub occupancy_percent: Option<f64>,
}

impl AgentToday {
    pub fn new(agent: &str, view: &AgentDayView) -> AgentToday {
        AgentToday {
            agent: agent.to_owned(),
            handled: view.day.handled,
            aht_secs: aht_secs(view),
            time_in_state: time_in_state(view),
            occupancy_percent: percent(view.occupancy()),
        }
    }
}

/// A day's AHT in seconds, `my_day`'s and `agents_today`'s.
fn aht_secs(view: &AgentDayView) -> Option<f64> {
    view.aht_ms().map(|ms| round(ms / 1000.0))
}

/// A day's time in each state but logged out, in seconds, `my_day`'s and `agents_today`'s.
fn time_in_state(view: &AgentDayView) -> BTreeMap<&'static str, f64> {
    AgentStatusKind::ALL
        .into_iter()
        .filter(|kind| *kind != AgentStatusKind::LoggedOut)
        .map(|kind| (kind.name(), secs(view.in_state(kind))))
        .collect()
}

/// One of [`MyDay`]'s last calls.
#[derive(Debug, Clone, Serialize)]
pub struct RecentCallEntry {
    pub call: String,
    pub queue: String,
    pub caller: Option<String>,
    pub connected_at: String,
    pub talk_secs: f64,
    pub hold_secs: f64,
    pub wrap_up_secs: f64,
    pub disposition: Option<String>,
}

fn secs(ms: u64) -> f64 {
    round(ms as f64 / 1000.0)
}

impl MyDay {
    pub fn new(view: &AgentDayView) -> MyDay {
        let day = &view.day;
        MyDay {
            start: time(view.today_start),
            handled: day.handled,
            talk_secs: secs(day.talk_ms),
            hold_secs: secs(day.hold_ms),
            wrap_up_secs: secs(day.wrap_up_ms),
            aht_secs: aht_secs(view),
            time_in_state: time_in_state(view),
            occupancy_percent: percent(view.occupancy()),
            recent: day
                .recent
                .iter()
                .map(|call| RecentCallEntry {
                    call: call.call.to_string(),
                    queue: call.queue.to_string(),
                    caller: call.caller.clone(),
                    connected_at: time(call.connected_at),
                    talk_secs: secs(call.talk_ms),
                    hold_secs: secs(call.hold_ms),
                    wrap_up_secs: secs(call.wrap_up_ms),
                    disposition: call.disposition.as_ref().map(|d| d.to_string()),
                })
                .collect(),
        }
    }
}

/// One agent of a [`AgentPage`]: who, and what it is doing now.
#[derive(Debug, Clone, Serialize)]
pub struct ListedAgent {
    pub id: String,
    pub name: String,
    pub state: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Named {
    pub id: String,
    pub name: String,
}

/// A queue of the AuthResult: its id, its name and what it routes (`voice`, or a messaging
/// channel).
#[derive(Debug, Clone, Serialize)]
pub struct NamedQueue {
    pub id: String,
    pub name: String,
    pub channel: String,
    /// The codes an agent may give the queue's calls in wrap-up, in the configured order.
    pub dispositions: Vec<Named>,
    /// An agent cannot end a wrap-up of the queue's call before giving one.
    pub disposition_required: bool,
    /// Where displays colour the queue's figures: `[warning, alarm]` each, `null` for none.
    pub thresholds: QueueThresholds,
}

/// [`NamedQueue::thresholds`].
#[derive(Debug, Clone, Serialize)]
pub struct QueueThresholds {
    pub waiting: Option<[u32; 2]>,
    pub oldest_wait_secs: Option<[u32; 2]>,
    pub abandonment_percent: Option<[f64; 2]>,
}

/// An event, before its session numbers it.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// An agent's state: on every change, and as the first thing a session learns of an agent.
    AgentState(AgentState),
    /// The state an agent goes to after its call, or `null` when there is none (any more).
    PendingState {
        agent: String,
        pending: Option<Pending>,
        /// The supervisor (user) who set or cleared it; absent when the agent or the ACD did.
        #[serde(skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// Ring: to the agent (show the offer) and to telephony (ring the agent's device).
    Offer(Offer),
    /// Stop ringing.
    OfferCancelled {
        call: String,
        agent: String,
        /// `rejected`, `ring_no_answer` or `caller_hung_up`.
        reason: &'static str,
    },
    CallConnected {
        call: String,
        agent: String,
        queue: String,
        /// In a snapshot only: who is calling, so a WebAgent reloaded during a call shows the
        /// caller and the attached data again (the live event follows the offer, which had them).
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        caller: Option<CallerDetails>,
    },
    CallHeld {
        call: String,
        agent: String,
    },
    /// A supervisor on an agent's call: joined or changed how (`mode`), or left (`mode`
    /// `null`, and why in `ended`).
    Monitoring {
        agent: String,
        call: String,
        supervisor: String,
        mode: Option<&'static str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        ended: Option<&'static str>,
    },
    /// A consultation on `agent`'s call with the agent `with`: ringing there, the two talking,
    /// a conference of all three, or ended (and why in `reason`).
    Consultation(Consultation),
    CallResumed {
        call: String,
        agent: String,
    },
    CallTransferred {
        call: String,
        agent: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_queue: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_agent: Option<String>,
    },
    /// The call is gone from the ACD.
    CallLeft {
        call: String,
        queue: String,
        /// `completed`, `abandoned`, `timed_out` or `refused`.
        reason: &'static str,
    },
    /// Where a call is now (supervisors).
    CallState(CallState),
    /// How many calls wait in one of the agent's queues.
    QueueWaiting {
        queue: String,
        /// Which of the queue's lanes: `voice`, or a messaging channel.
        channel: String,
        waiting: u32,
        oldest_waiting_since: Option<String>,
    },
    /// A queue's live figures and statistics (wallboards, supervisors).
    QueueStats(Box<QueueStatistics>),
    /// The tenant's totals over every queue (wallboards, supervisors).
    TenantStats(Box<TenantStatistics>),
    /// Offer a conversation: to the agent (with its transcript) and to the messaging connector.
    ConversationOffer(Box<ConversationOffer>),
    /// The offer ended unanswered.
    ConversationOfferCancelled {
        conversation: String,
        agent: String,
        /// `rejected`, `ring_no_answer` or `customer_left`.
        reason: &'static str,
    },
    ConversationAccepted {
        conversation: String,
        agent: String,
        queue: String,
    },
    /// A message of a conversation: the customer's (to its agent) or an agent's (to its agent's
    /// sessions and to the messaging connector, which delivers it).
    Message {
        conversation: String,
        #[serde(flatten)]
        message: TranscriptItem,
    },
    ConversationTransferred {
        conversation: String,
        agent: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_queue: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        to_agent: Option<String>,
    },
    /// Over for the customer; its agent wraps it up until `wrap_up_deadline` (`None`: done).
    ConversationClosed {
        conversation: String,
        agent: String,
        /// `customer` or `agent`.
        by: &'static str,
        wrap_up_deadline: Option<String>,
    },
    /// The conversation is gone from the ACD; its agent's place for it is free.
    ConversationLeft {
        conversation: String,
        queue: String,
        /// `completed`, `abandoned`, `timed_out` or `refused`.
        reason: &'static str,
    },
    /// Where a conversation is, in a snapshot.
    ConversationState(Box<ConversationState>),
    /// The message on the tenant's wallboards (wallboards, supervisors): set or replaced, or
    /// cleared (`text` `null`); `by` the supervisor who did it, `at` when. In a snapshot, the
    /// message shown now, with who set it and when.
    Ticker {
        text: Option<String>,
        by: String,
        at: String,
    },
}

impl Event {
    /// The event as JSON without `seq`, to be shared by every session it goes to.
    pub fn payload(&self) -> Arc<str> {
        Arc::from(serde_json::to_string(self).expect("events always serialize"))
    }
}

/// Puts a session's `seq` in front of a shared event payload: `{"seq":7,"type":...}`.
pub fn with_seq(seq: u64, payload: &str) -> String {
    debug_assert!(payload.starts_with('{'));
    // Exactly as long as it will be: a `String` whose capacity is its length becomes the
    // WebSocket message's bytes without another allocation (`bytes::Bytes` from a `Vec` with
    // spare capacity allocates a shared header besides).
    let digits = seq.checked_ilog10().unwrap_or(0) as usize + 1;
    let mut text = String::with_capacity(r#"{"seq":,"#.len() + digits + payload.len() - 1);
    let _ = write!(text, "{{\"seq\":{seq},");
    text.push_str(&payload[1..]);
    debug_assert_eq!(text.len(), text.capacity());
    text
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentState {
    pub agent: String,
    /// `logged_out`, `not_ready`, `ready`, `ringing`, `on_call` or `wrap_up`.
    pub state: &'static str,
    pub since: String,
    /// The state before this change; absent in a snapshot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous: Option<&'static str>,
    /// Not ready: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Ringing, on call, wrap-up: which call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub call: Option<String>,
    /// On call: whether the caller is on hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_hold: Option<bool>,
    /// On hold: when the caller was put on hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_since: Option<String>,
    /// On call: the call's finished holds, in seconds (to the millisecond).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub held_secs: Option<f64>,
    /// Wrap-up: when it ends by itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up_deadline: Option<String>,
    /// The supervisor (user) whose action made this change, so the WebAgent can say "set by
    /// your supervisor"; absent when the agent or the ACD made it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// In a supervisor's snapshot only: the agent's queues, in the tenant's queue order, so a
    /// console can group agents by queue without a lookup of its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queues: Option<Vec<String>>,
    /// The agent's phone as the PBX last reported it (`available`, `in_use`, `unregistered`);
    /// absent until the telephony connector reports one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<&'static str>,
}

impl AgentState {
    pub fn new(
        agent: &str,
        status: &AgentStatus,
        since: Timestamp,
        previous: Option<&'static str>,
    ) -> AgentState {
        let mut state = AgentState {
            agent: agent.to_owned(),
            state: status.kind().name(),
            since: time(since),
            previous,
            reason: None,
            call: None,
            on_hold: None,
            held_since: None,
            held_secs: None,
            wrap_up_deadline: None,
            by: None,
            queues: None,
            device: None,
        };
        match status {
            AgentStatus::LoggedOut | AgentStatus::Ready => {}
            AgentStatus::NotReady { reason } => state.reason = Some(reason.to_string()),
            AgentStatus::Ringing { call } => state.call = Some(call.to_string()),
            AgentStatus::OnCall { call, on_hold } => {
                state.call = Some(call.to_string());
                state.on_hold = Some(*on_hold);
            }
            // Consulted on another agent's call: ringing, or on it (never holding its caller).
            AgentStatus::Consulted { call, ringing } => {
                state.call = Some(call.to_string());
                state.on_hold = (!ringing).then_some(false);
                state.held_secs = (!ringing).then_some(0.0);
            }
            AgentStatus::WrapUp { call, deadline } => {
                state.call = Some(call.to_string());
                state.wrap_up_deadline = Some(time(*deadline));
            }
        }
        state
    }

    /// The agent as it is now, for a snapshot.
    pub fn snapshot(view: &AgentView) -> AgentState {
        let mut state = AgentState::new(view.id.as_str(), &view.status, view.since, None);
        state.device = view.device.map(DeviceState::name);
        state.set_holds(view.holds);
        state
    }

    /// A call's time on hold, when the agent is on one.
    pub fn set_holds(&mut self, holds: Option<crate::acd::Holds>) {
        if let Some(holds) = holds {
            self.held_since = holds.held_since.map(time);
            self.held_secs = Some(holds.held_ms as f64 / 1000.0);
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Pending {
    /// `not_ready` or `logged_out`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl From<&PendingState> for Pending {
    fn from(pending: &PendingState) -> Pending {
        match pending {
            PendingState::NotReady { reason } => Pending {
                state: "not_ready",
                reason: Some(reason.to_string()),
            },
            PendingState::LoggedOut => Pending {
                state: "logged_out",
                reason: None,
            },
        }
    }
}

/// A consultation's state: see [`Event::Consultation`].
#[derive(Debug, Clone, Serialize)]
pub struct Consultation {
    pub call: String,
    /// The consulting agent: the call's own.
    pub agent: String,
    /// The consulted agent.
    pub with: String,
    /// The call's queue.
    pub queue: String,
    /// `ringing`, `talking`, `conference` or `ended`.
    pub status: &'static str,
    /// While it rings: when it stops ringing unanswered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ring_deadline: Option<String>,
    /// When it ended: why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// While it rings, and in snapshots: who is calling, so the consulted agent sees the call.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub caller: Option<CallerDetails>,
}

impl Consultation {
    /// The consultation of `status` (`None`: ended, for `ended`), with the caller's details
    /// where they are given.
    pub fn new(
        (call, agent, with, queue): (&str, &str, &str, &str),
        status: Option<crate::acd::ConsultStatus>,
        ended: Option<crate::acd::ConsultEnd>,
        caller: Option<CallerDetails>,
    ) -> Consultation {
        let ring_deadline = match status {
            Some(crate::acd::ConsultStatus::Ringing { ring_deadline }) => Some(time(ring_deadline)),
            _ => None,
        };
        Consultation {
            call: call.to_owned(),
            agent: agent.to_owned(),
            with: with.to_owned(),
            queue: queue.to_owned(),
            status: status.map_or("ended", crate::acd::ConsultStatus::name),
            ring_deadline,
            reason: ended.map(crate::acd::ConsultEnd::name),
            caller,
        }
    }
}

/// Who is calling, as the offer told it.
#[derive(Debug, Clone, Serialize)]
pub struct CallerDetails {
    pub caller: Option<String>,
    pub dialled: Option<String>,
    pub data: BTreeMap<String, String>,
}

impl From<&CallData> for CallerDetails {
    fn from(data: &CallData) -> CallerDetails {
        CallerDetails {
            caller: data.caller.clone(),
            dialled: data.dialled.clone(),
            data: data.attached.clone(),
        }
    }
}

/// A call ringing at an agent.
#[derive(Debug, Clone, Serialize)]
pub struct Offer {
    pub call: String,
    pub agent: String,
    pub queue: String,
    pub priority: u8,
    pub caller: Option<String>,
    pub dialled: Option<String>,
    /// Attached data from the PBX or IVR (account number, language, ...).
    pub data: BTreeMap<String, String>,
    /// When the offer stops ringing unanswered (ring-no-answer).
    pub ring_deadline: String,
}

impl Offer {
    pub fn new(
        call: &str,
        agent: &str,
        queue: &str,
        priority: u8,
        data: &CallData,
        ring_deadline: Timestamp,
    ) -> Offer {
        Offer {
            call: call.to_owned(),
            agent: agent.to_owned(),
            queue: queue.to_owned(),
            priority,
            caller: data.caller.clone(),
            dialled: data.dialled.clone(),
            data: data.attached.clone(),
            ring_deadline: time(ring_deadline),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct CallState {
    pub call: String,
    pub queue: String,
    /// `waiting`, `ringing` or `connected`.
    pub status: &'static str,
    pub priority: u8,
    pub caller: Option<String>,
    pub dialled: Option<String>,
    pub arrived_at: String,
    /// When the call entered its current queue: its wait runs from here.
    pub entered_queue_at: String,
    /// Ringing or connected: at which agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub on_hold: Option<bool>,
    /// Why the call changed queue in this step (`max_wait`, `escalation` or `moved`); present
    /// only then, with `from_queue`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The queue the call was in before it changed queue in this step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_queue: Option<String>,
    /// The supervisor (user) whose action made this change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

impl CallState {
    /// Marks the call as having changed queue in this step, from `from` for `reason`.
    pub fn changed_queue(mut self, from: &QueueId, reason: OverflowReason) -> CallState {
        self.from_queue = Some(from.to_string());
        self.reason = Some(reason.name());
        self
    }
}

impl From<&CallView> for CallState {
    fn from(view: &CallView) -> CallState {
        let (status, agent, on_hold) = match &view.status {
            CallStatus::Waiting { .. } => ("waiting", None, None),
            CallStatus::Ringing { agent, .. } => ("ringing", Some(agent.to_string()), None),
            CallStatus::Connected { agent, on_hold } => {
                ("connected", Some(agent.to_string()), Some(*on_hold))
            }
        };
        CallState {
            call: view.id.to_string(),
            queue: view.queue.to_string(),
            status,
            priority: view.priority,
            caller: view.data.caller.clone(),
            dialled: view.data.dialled.clone(),
            arrived_at: time(view.arrived_at),
            entered_queue_at: time(view.entered_queue_at),
            agent,
            on_hold,
            reason: None,
            from_queue: None,
            by: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueStatistics {
    /// The instant these figures describe (the server's clock): a display that knows it can
    /// tick "oldest waiting" correctly even when its own clock is off.
    pub at: String,
    pub queue: String,
    pub name: String,
    /// What the queue routes: `voice`, or the messaging channel of its conversations (its
    /// "calls" are then conversations, "answered" taken by an agent).
    pub channel: String,
    pub waiting: u32,
    /// Calls of the queue ringing at an agent.
    pub ringing: u32,
    pub oldest_waiting_since: Option<String>,
    pub service_level: ServiceLevel,
    pub agents: AgentCounts,
    pub today: Window,
    /// The current 15-minute interval.
    pub interval: Window,
    /// The last `rolling_window_secs` (15 minutes by default).
    pub rolling: Window,
    /// A queue of conversations: the figures only conversations have; `null` for calls.
    pub conversations: Option<ConversationStatistics>,
    /// Calls handled today by the disposition their agent gave.
    pub dispositions: DispositionCounts,
}

/// A queue's calls handled today by disposition: each agent's handling of a call counts once
/// (a transferred call twice), when its wrap-up ends.
#[derive(Debug, Clone, Serialize)]
pub struct DispositionCounts {
    /// Disposition code to count; codes no longer configured keep their count until midnight.
    pub today: BTreeMap<String, u64>,
    /// Handled today without a disposition.
    pub none_today: u64,
}

/// What only a queue of conversations has: its agents' places now, and per window first
/// response, concurrency and occupancy by capacity used.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationStatistics {
    /// Places its agents staff in the channel now: their capacity while they may take new
    /// conversations of it, only what they hold while they may not.
    pub places: u32,
    /// Conversations its agents hold now: offered, open or in wrap-up.
    pub places_taken: u32,
    /// Agents holding at least one now.
    pub agents_holding: u32,
    /// A first reply within this time after the conversation began counts in
    /// `first_response_service_level_percent`.
    pub first_response_threshold_secs: u64,
    pub today: ConversationWindow,
    pub interval: ConversationWindow,
    pub rolling: ConversationWindow,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConversationWindow {
    /// Conversations whose first agent reply came in the window, and those within the
    /// first-response threshold.
    pub first_responses: u64,
    pub first_responses_within_threshold: u64,
    pub first_response_service_level_percent: Option<f64>,
    /// Average time from the start of a conversation to its first agent reply.
    pub average_first_response_secs: Option<f64>,
    /// Conversations held at once per agent, over the time the agent held any.
    pub concurrency: Option<f64>,
    /// Places taken / places staffed, over the window.
    pub capacity_occupancy_percent: Option<f64>,
}

impl ConversationWindow {
    fn new(f: &Figures) -> ConversationWindow {
        ConversationWindow {
            first_responses: f.first_responses,
            first_responses_within_threshold: f.first_responses_within_threshold,
            first_response_service_level_percent: percent(f.first_response_service_level()),
            average_first_response_secs: f.average_first_response().map(round),
            concurrency: f.concurrency().map(round),
            capacity_occupancy_percent: percent(f.capacity_occupancy()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceLevel {
    pub threshold_secs: u64,
    pub target_percent: f64,
    /// Which formula `service_level_percent` uses: `answered`, `offered` or
    /// `short_abandon_excluded`.
    pub variant: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct AgentCounts {
    pub logged_in: u32,
    pub ready: u32,
    pub ringing: u32,
    pub on_call: u32,
    pub wrap_up: u32,
    pub not_ready: u32,
    pub not_ready_by_reason: BTreeMap<String, u32>,
}

/// One statistics window: exact counts, and the figures derived from them (`null` until there
/// is something to divide by).
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub start: String,
    pub offered: u64,
    pub answered: u64,
    pub answered_within_threshold: u64,
    pub abandoned: u64,
    pub short_abandoned: u64,
    pub overflowed: u64,
    pub timed_out: u64,
    pub refused: u64,
    pub service_level_percent: Option<f64>,
    pub asa_secs: Option<f64>,
    pub aht_secs: Option<f64>,
    pub abandonment_rate_percent: Option<f64>,
    pub occupancy_percent: Option<f64>,
}

fn percent(fraction: Option<f64>) -> Option<f64> {
    fraction.map(|f| round(f * 100.0))
}

/// Two decimals: enough for a display, and no `66.66666666666667` on the wire.
pub(crate) fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// The tenant's totals: call figures summed over its queues, each agent counted once.
#[derive(Debug, Clone, Serialize)]
pub struct TenantStatistics {
    pub at: String,
    pub waiting: u32,
    pub ringing: u32,
    pub oldest_waiting_since: Option<String>,
    /// The formula `service_level_percent` uses: the queues' own if they all use one,
    /// `answered` otherwise. Each call counts as within the threshold of the queue it was in.
    pub service_level_variant: &'static str,
    pub agents: AgentCounts,
    pub today: Window,
    pub interval: Window,
    pub rolling: Window,
}

impl TenantStatistics {
    pub fn new(t: &TenantStats, variant: ServiceLevelVariant, at: Timestamp) -> TenantStatistics {
        TenantStatistics {
            at: time(at),
            waiting: t.waiting,
            ringing: t.ringing,
            oldest_waiting_since: t.oldest_waiting_since.map(time),
            service_level_variant: variant.name(),
            agents: AgentCounts::from(&t.stats.agents),
            today: Window::new(&t.stats.today, variant),
            interval: Window::new(&t.stats.interval, variant),
            rolling: Window::new(&t.stats.rolling, variant),
        }
    }
}

impl From<&crate::acd::AgentCounts> for AgentCounts {
    fn from(agents: &crate::acd::AgentCounts) -> AgentCounts {
        AgentCounts {
            logged_in: agents.logged_in,
            ready: agents.ready,
            ringing: agents.ringing,
            on_call: agents.on_call,
            wrap_up: agents.wrap_up,
            not_ready: agents.not_ready,
            not_ready_by_reason: agents
                .not_ready_by_reason
                .iter()
                .map(|(reason, n)| (reason.to_string(), *n))
                .collect(),
        }
    }
}

impl Window {
    fn new(window: &WindowFigures, variant: ServiceLevelVariant) -> Window {
        let f: &Figures = &window.figures;
        Window {
            start: time(window.start),
            offered: f.offered,
            answered: f.answered,
            answered_within_threshold: f.answered_within_threshold,
            abandoned: f.abandoned,
            short_abandoned: f.short_abandoned,
            overflowed: f.overflowed,
            timed_out: f.timed_out,
            refused: f.refused,
            service_level_percent: percent(f.service_level(variant)),
            asa_secs: f.average_speed_of_answer().map(round),
            aht_secs: f.average_handle_time().map(round),
            abandonment_rate_percent: percent(f.abandonment_rate()),
            occupancy_percent: percent(f.occupancy()),
        }
    }
}

impl QueueStatistics {
    /// A queue's statistics as they were `at`.
    pub fn new(q: &QueueStats, at: Timestamp) -> QueueStatistics {
        let variant = q.service_level.variant;
        QueueStatistics {
            at: time(at),
            queue: q.id.to_string(),
            name: q.name.clone(),
            channel: q.channel_name().to_owned(),
            waiting: q.waiting,
            ringing: q.ringing,
            oldest_waiting_since: q.oldest_waiting_since.map(time),
            service_level: ServiceLevel {
                threshold_secs: q.service_level.threshold.as_secs(),
                target_percent: q.service_level.target_percent,
                variant: variant.name(),
            },
            agents: AgentCounts::from(&q.stats.agents),
            today: Window::new(&q.stats.today, variant),
            interval: Window::new(&q.stats.interval, variant),
            rolling: Window::new(&q.stats.rolling, variant),
            conversations: q.channel.is_some().then(|| ConversationStatistics {
                places: q.stats.places.staffed,
                places_taken: q.stats.places.taken,
                agents_holding: q.stats.places.holding,
                first_response_threshold_secs: q.service_level.first_response_threshold().as_secs(),
                today: ConversationWindow::new(&q.stats.today.figures),
                interval: ConversationWindow::new(&q.stats.interval.figures),
                rolling: ConversationWindow::new(&q.stats.rolling.figures),
            }),
            dispositions: DispositionCounts {
                today: q
                    .stats
                    .dispositions
                    .today
                    .iter()
                    .map(|(code, n)| (code.to_string(), *n))
                    .collect(),
                none_today: q.stats.dispositions.today_none,
            },
        }
    }
}

pub fn transfer_target(to: &TransferTarget) -> (Option<String>, Option<String>) {
    match to {
        TransferTarget::Queue(queue) => (Some(queue.to_string()), None),
        TransferTarget::Agent(agent) => (None, Some(agent.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_goes_first_and_the_rest_is_untouched() {
        let event = Event::CallHeld {
            call: "c1".into(),
            agent: "a1".into(),
        };
        let text = with_seq(42, &event.payload());
        assert_eq!(
            text,
            r#"{"seq":42,"type":"call_held","call":"c1","agent":"a1"}"#
        );
    }

    /// The text is allocated at its exact length, whatever the number of digits.
    #[test]
    fn a_numbered_event_is_allocated_at_its_exact_length() {
        for seq in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let text = with_seq(seq, r#"{"type":"x"}"#);
            assert_eq!(text, format!(r#"{{"seq":{seq},"type":"x"}}"#));
            assert_eq!(text.len(), text.capacity(), "seq {seq}");
        }
    }
}
