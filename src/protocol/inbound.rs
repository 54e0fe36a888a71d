//! What clients send, and the parser that checks it.
//!
//! Parsing goes in steps so that each kind of mistake gets its own code and, where it can be
//! read, the command's `id` comes back with the error: first the frame must be a JSON object
//! (`malformed_json`), then it must carry a string `id` and a string `type` (`bad_message`), the
//! type must exist (`unknown_type`), and its fields must be exactly the documented ones, each of
//! its type (`bad_message`, naming the field).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{MAX_ID_LEN, ProtocolError, Role};
use crate::acd::MonitorMode;

mod messaging;

/// The longest call id a client may name. Calls come from a PBX, whose ids (Asterisk's
/// `1700000000.123`, UUIDs) fit easily.
pub const MAX_NAME_LEN: usize = 128;

/// The longest queue, agent, reason or user id: the configuration's own limit.
pub const MAX_IDENT_LEN: usize = 64;

/// Limits on free text from clients, so that no field can take the whole message budget.
pub const MAX_SECRET_LEN: usize = 1024;
/// Attached data: at most this many entries...
pub const MAX_DATA_ENTRIES: usize = 50;
/// ...each key at most this long...
pub const MAX_DATA_KEY_LEN: usize = 64;
/// ...and each value (and a caller or dialled number) at most this long.
pub const MAX_DATA_VALUE_LEN: usize = 1024;

/// One parsed client message: its `id`, to be echoed in the reply, and what it asks.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    pub id: String,
    pub message: ClientMessage,
}

/// Every message a client may send. Which role may send which is [`ClientMessage::allowed_for`].
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// The first message of every session; with `resume`, it continues a session whose
    /// connection dropped.
    Auth(Credentials, Option<Resume>),
    /// Any role: answered with an `ack`, so a browser can see its link is alive.
    Ping,
    /// Any role: the client has every event up to `seq`, so the session need not keep them for
    /// a resume.
    Seen {
        seq: u64,
    },

    // The agent role, acting on its own agent.
    Login,
    Ready,
    NotReady {
        reason: String,
    },
    Logout,
    /// An agent clears its own pending state (`agent` left out or naming itself); a supervisor
    /// names the agent.
    ClearPending {
        agent: Option<String>,
    },
    Accept {
        call: String,
    },
    Reject {
        call: String,
    },
    Hold {
        call: String,
    },
    Resume {
        call: String,
    },
    Transfer {
        call: String,
        to: TransferTo,
    },
    Hangup {
        call: String,
    },
    /// Ask another agent to consult on the call (a warm transfer's first step).
    Consult {
        call: String,
        agent: String,
    },
    /// Hand the caller to the consulted agent.
    CompleteTransfer {
        call: String,
    },
    /// Bring the caller into the consultation: a conference of three.
    Conference {
        call: String,
    },
    /// End the consultation and go back to the caller.
    CancelConsult {
        call: String,
    },
    EndWrapUp,
    ExtendWrapUp {
        secs: u64,
    },
    /// The agent's own day: its calls handled today, its time in each state, its last calls.
    MyDay,
    /// A supervisor joins an agent's call (or changes how it is on it): `listen`, `whisper`,
    /// `barge`.
    Monitor {
        agent: String,
        mode: MonitorMode,
    },
    /// A supervisor leaves an agent's call.
    EndMonitor {
        agent: String,
    },
    /// Every lane of the tenant's queues with its waiting work and agents now: where a call
    /// may be transferred, and how busy each place is.
    ListQueues,
    /// The agent's disposition code (`None`: none) and notes for the call it is on or
    /// wrapping up, replacing what it gave before.
    SetDisposition {
        call: String,
        disposition: Option<String>,
        notes: String,
    },

    // Agents and supervisors.
    /// A page of the tenant's agents, in the tenant's order: those after `after`, at most
    /// `limit`, only those with a skill in `queue` if it is given.
    ListAgents {
        queue: Option<String>,
        after: Option<String>,
        limit: u32,
    },
    /// A page of the tenant's agents with each one's day so far (a supervisor's per-agent
    /// figures): those after `after`, at most `limit`.
    AgentsToday {
        after: Option<String>,
        limit: u32,
    },

    // Wallboards and supervisors.
    /// Start (or replace) the session's subscription: `None` means every queue of the tenant.
    Subscribe {
        queues: Option<Vec<String>>,
        /// Also the tenant's totals (`tenant_stats`); true unless the client says otherwise.
        tenant_total: bool,
    },

    // Supervisors.
    ForceState {
        agent: String,
        state: StateName,
        reason: Option<String>,
    },
    /// What a busy agent does after its call, set without touching its current state.
    SetPending {
        agent: String,
        state: PendingName,
        /// Present exactly when `state` is not ready.
        reason: Option<String>,
    },
    SetCallPriority {
        call: String,
        priority: u8,
    },
    MoveCall {
        call: String,
        queue: String,
    },
    /// A new display (a kiosk wallboard with a token of its own) named `name`: the ack carries
    /// its token, once.
    CreateDisplay {
        name: String,
    },
    /// The tenant's displays: read, never journaled.
    ListDisplays,
    /// Revoke display `name`: its token signs in no more and its sessions end.
    RevokeDisplay {
        name: String,
    },
    /// The message on every wallboard of the tenant; an empty (or all-blank) `text` clears it.
    /// Only read as a string here: its bounds are the core's to refuse (`bad_ticker`), so a
    /// journal replay refuses the same.
    SetTicker {
        text: String,
    },
    /// The staffing what-if for a queue's calls: each `None` is taken from the queue as it is.
    WhatIf {
        queue: String,
        hypothesis: crate::staffing::Hypothesis,
    },

    // Telephony.
    CallArrived {
        call: String,
        queue: String,
        priority: u8,
        caller: Option<String>,
        dialled: Option<String>,
        data: BTreeMap<String, String>,
        /// When the caller began waiting, where that was before the message.
        arrived_at: Option<jiff::Timestamp>,
    },
    CallAnswered {
        call: String,
    },
    /// The offered call could not ring at the agent's device.
    RingFailed {
        call: String,
        reason: RingFailure,
    },
    CallEnded {
        call: String,
    },
    /// The agent's phone as the PBX sees it.
    DeviceState {
        agent: String,
        device: crate::acd::DeviceState,
    },
    CallerHungUp {
        call: String,
    },

    // Messaging: the connector's side of a conversation.
    ConversationArrived {
        conversation: String,
        queue: String,
        /// The channel, needed where the queue serves several messaging channels.
        channel: Option<String>,
        priority: u8,
        /// Who writes: a name, a number, a handle.
        customer: Option<String>,
        data: BTreeMap<String, String>,
        /// What the customer wrote before the conversation reached the ACD, oldest first.
        messages: Vec<String>,
    },
    CustomerMessage {
        conversation: String,
        text: String,
    },
    CustomerLeft {
        conversation: String,
    },

    // The agent's side of its conversations.
    AcceptConversation {
        conversation: String,
    },
    RejectConversation {
        conversation: String,
    },
    SendMessage {
        conversation: String,
        text: String,
    },
    TransferConversation {
        conversation: String,
        to: TransferTo,
    },
    CloseConversation {
        conversation: String,
    },
    EndConversationWrapUp {
        conversation: String,
    },
}

/// How a session proves who it is.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    Password {
        user: String,
        password: String,
    },
    /// A session token from an earlier `auth` reply.
    Token(String),
    /// A display's token (a kiosk wallboard's), from a supervisor's `create_display`.
    Display(String),
}

// Never print a secret, not even in a debug log.
impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { user, .. } => {
                write!(f, "Password {{ user: {user:?}, password: <hidden> }}")
            }
            Credentials::Token(_) => f.write_str("Token(<hidden>)"),
            Credentials::Display(_) => f.write_str("Display(<hidden>)"),
        }
    }
}

/// The session an `auth` asks to continue, and the last event its client received. The
/// session id is a secret, like a token: it is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Resume {
    pub session: String,
    /// `None` on an SSE link: the `Last-Event-ID` the link was opened with stands for it.
    pub last_seq: Option<u64>,
}

impl std::fmt::Debug for Resume {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Resume {{ session: <hidden>, last_seq: {:?} }}",
            self.last_seq
        )
    }
}

/// The longest session id `resume` may name.
pub const MAX_SESSION_ID_LEN: usize = 128;

/// The most agents one `list_agents` answers with, and how many it answers with unless told.
pub const MAX_LIST_LIMIT: u32 = 500;
pub const DEFAULT_LIST_LIMIT: u32 = 100;

/// Where a transfer goes: a queue, or an agent directly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferTo {
    Queue(String),
    Agent(String),
}

/// A state a supervisor can force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StateName {
    Ready,
    NotReady,
    LoggedOut,
}

impl StateName {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            StateName::Ready => "ready",
            StateName::NotReady => "not_ready",
            StateName::LoggedOut => "logged_out",
        }
    }
}

/// A state a supervisor can make an agent's next, after its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingName {
    NotReady,
    LoggedOut,
}

impl PendingName {
    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            PendingName::NotReady => "not_ready",
            PendingName::LoggedOut => "logged_out",
        }
    }
}

/// The roles a message is for, by its `type`. Every type of the protocol is listed once.
const TYPES: &[(&str, &[&str])] = &[
    (
        "auth",
        &["agent", "wallboard", "supervisor", "telephony", "messaging"],
    ),
    (
        "ping",
        &["agent", "wallboard", "supervisor", "telephony", "messaging"],
    ),
    (
        "seen",
        &["agent", "wallboard", "supervisor", "telephony", "messaging"],
    ),
    ("login", &["agent"]),
    ("ready", &["agent"]),
    ("not_ready", &["agent"]),
    ("logout", &["agent"]),
    ("clear_pending", &["agent", "supervisor"]),
    ("accept", &["agent"]),
    ("reject", &["agent"]),
    ("hold", &["agent"]),
    ("resume", &["agent"]),
    ("transfer", &["agent"]),
    ("hangup", &["agent"]),
    ("consult", &["agent"]),
    ("complete_transfer", &["agent"]),
    ("conference", &["agent"]),
    ("cancel_consult", &["agent"]),
    ("end_wrap_up", &["agent"]),
    ("extend_wrap_up", &["agent"]),
    ("set_disposition", &["agent"]),
    ("my_day", &["agent"]),
    ("list_queues", &["agent", "supervisor"]),
    ("monitor", &["supervisor"]),
    ("agents_today", &["supervisor"]),
    ("end_monitor", &["supervisor"]),
    ("list_agents", &["agent", "supervisor"]),
    ("subscribe", &["wallboard", "supervisor"]),
    ("force_state", &["supervisor"]),
    ("set_pending", &["supervisor"]),
    ("set_call_priority", &["supervisor"]),
    ("move_call", &["supervisor"]),
    ("what_if", &["supervisor", "wallboard"]),
    ("set_ticker", &["supervisor"]),
    ("create_display", &["supervisor"]),
    ("list_displays", &["supervisor"]),
    ("revoke_display", &["supervisor"]),
    ("call_arrived", &["telephony"]),
    ("call_answered", &["telephony"]),
    ("ring_failed", &["telephony"]),
    ("call_ended", &["telephony"]),
    ("device_state", &["telephony"]),
    ("caller_hung_up", &["telephony"]),
    ("conversation_arrived", &["messaging"]),
    ("customer_message", &["messaging"]),
    ("customer_left", &["messaging"]),
    ("accept_conversation", &["agent"]),
    ("reject_conversation", &["agent"]),
    ("send_message", &["agent"]),
    ("transfer_conversation", &["agent"]),
    ("close_conversation", &["agent"]),
    ("end_conversation_wrap_up", &["agent"]),
];

impl ClientMessage {
    /// Every message type of the protocol, with the roles that may send it.
    pub fn types() -> &'static [(&'static str, &'static [&'static str])] {
        TYPES
    }

    /// The message's `type` on the wire.
    pub fn type_name(&self) -> &'static str {
        match self {
            ClientMessage::Auth(..) => "auth",
            ClientMessage::Ping => "ping",
            ClientMessage::Seen { .. } => "seen",
            ClientMessage::Login => "login",
            ClientMessage::Ready => "ready",
            ClientMessage::NotReady { .. } => "not_ready",
            ClientMessage::Logout => "logout",
            ClientMessage::ClearPending { .. } => "clear_pending",
            ClientMessage::Accept { .. } => "accept",
            ClientMessage::Reject { .. } => "reject",
            ClientMessage::Hold { .. } => "hold",
            ClientMessage::Resume { .. } => "resume",
            ClientMessage::Transfer { .. } => "transfer",
            ClientMessage::Hangup { .. } => "hangup",
            ClientMessage::Consult { .. } => "consult",
            ClientMessage::CompleteTransfer { .. } => "complete_transfer",
            ClientMessage::Conference { .. } => "conference",
            ClientMessage::CancelConsult { .. } => "cancel_consult",
            ClientMessage::EndWrapUp => "end_wrap_up",
            ClientMessage::ExtendWrapUp { .. } => "extend_wrap_up",
            ClientMessage::SetDisposition { .. } => "set_disposition",
            ClientMessage::MyDay => "my_day",
            ClientMessage::ListQueues => "list_queues",
            ClientMessage::Monitor { .. } => "monitor",
            ClientMessage::EndMonitor { .. } => "end_monitor",
            ClientMessage::ListAgents { .. } => "list_agents",
            ClientMessage::AgentsToday { .. } => "agents_today",
            ClientMessage::Subscribe { .. } => "subscribe",
            ClientMessage::ForceState { .. } => "force_state",
            ClientMessage::SetPending { .. } => "set_pending",
            ClientMessage::SetCallPriority { .. } => "set_call_priority",
            ClientMessage::MoveCall { .. } => "move_call",
            ClientMessage::WhatIf { .. } => "what_if",
            ClientMessage::SetTicker { .. } => "set_ticker",
            ClientMessage::CreateDisplay { .. } => "create_display",
            ClientMessage::ListDisplays => "list_displays",
            ClientMessage::RevokeDisplay { .. } => "revoke_display",
            ClientMessage::CallArrived { .. } => "call_arrived",
            ClientMessage::CallAnswered { .. } => "call_answered",
            ClientMessage::RingFailed { .. } => "ring_failed",
            ClientMessage::DeviceState { .. } => "device_state",
            ClientMessage::CallEnded { .. } => "call_ended",
            ClientMessage::CallerHungUp { .. } => "caller_hung_up",
            ClientMessage::ConversationArrived { .. } => "conversation_arrived",
            ClientMessage::CustomerMessage { .. } => "customer_message",
            ClientMessage::CustomerLeft { .. } => "customer_left",
            ClientMessage::AcceptConversation { .. } => "accept_conversation",
            ClientMessage::RejectConversation { .. } => "reject_conversation",
            ClientMessage::SendMessage { .. } => "send_message",
            ClientMessage::TransferConversation { .. } => "transfer_conversation",
            ClientMessage::CloseConversation { .. } => "close_conversation",
            ClientMessage::EndConversationWrapUp { .. } => "end_conversation_wrap_up",
        }
    }

    /// Whether a session of `role` may send this message.
    pub fn allowed_for(&self, role: Role) -> bool {
        ClientMessage::type_allowed_for(self.type_name(), role)
    }

    /// Whether a session of `role` may send a message of type `name` (the roles table).
    pub fn type_allowed_for(name: &str, role: Role) -> bool {
        TYPES
            .iter()
            .any(|(t, roles)| *t == name && roles.contains(&role.name()))
    }
}

/// Parses one text frame. On failure, returns the command's `id` when it could be read, so the
/// error reply can carry it.
pub fn parse(text: &str) -> Result<Envelope, (Option<String>, ProtocolError)> {
    let mut object = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(object)) => object,
        Ok(other) => {
            let what = match other {
                Value::Array(_) => "an array",
                Value::String(_) => "a string",
                Value::Number(_) => "a number",
                Value::Bool(_) => "a boolean",
                _ => "null",
            };
            return Err((
                None,
                ProtocolError::MalformedJson(format!("expected an object, found {what}")),
            ));
        }
        Err(error) => return Err((None, ProtocolError::MalformedJson(error.to_string()))),
    };
    let id = match object.remove("id") {
        Some(Value::String(id)) if !id.is_empty() && id.chars().count() <= MAX_ID_LEN => id,
        Some(Value::String(_)) => {
            return Err((
                None,
                bad(format!("`id` must be 1 to {MAX_ID_LEN} characters")),
            ));
        }
        Some(_) => return Err((None, bad("`id` must be a string"))),
        None => {
            return Err((
                None,
                bad("missing field `id`: every command carries one, echoed in its reply"),
            ));
        }
    };
    let kind = match object.remove("type") {
        Some(Value::String(kind)) => kind,
        Some(_) => return Err((Some(id), bad("`type` must be a string"))),
        None => return Err((Some(id), bad("missing field `type`"))),
    };
    match message(&kind, object) {
        Ok(message) => Ok(Envelope { id, message }),
        Err(error) => Err((Some(id), error)),
    }
}

fn bad(text: impl Into<String>) -> ProtocolError {
    ProtocolError::BadMessage(text.into())
}

/// Reads the fields of one message type (`id` and `type` already taken out).
/// Why the PBX could not ring the agent's device (`ring_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RingFailure {
    /// The device is busy (on a call of its own).
    Busy,
    /// The device is not registered or cannot be reached.
    Unregistered,
    /// The device refused the call (do not disturb, a decline on the phone).
    Rejected,
}

impl RingFailure {
    pub fn name(self) -> &'static str {
        match self {
            RingFailure::Busy => "busy",
            RingFailure::Unregistered => "unregistered",
            RingFailure::Rejected => "rejected",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeviceFields {
    agent: String,
    device: crate::acd::DeviceState,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RingFailedFields {
    call: String,
    reason: RingFailure,
}

/// A message's fields as `T`, or a `bad_message` that names the field at fault: a missing or
/// unknown field by its name (serde says it), a mistyped or `null` value by its path.
fn fields<T: DeserializeOwned>(kind: &str, object: Map<String, Value>) -> Result<T, ProtocolError> {
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|error| {
        let path = error.path().to_string();
        let problem = error
            .into_inner()
            .to_string()
            .replace(" at line 0 column 0", "");
        if path == "." {
            bad(format!("{kind}: {problem}"))
        } else {
            bad(format!("{kind}: `{path}`: {problem}"))
        }
    })
}

/// An id from the tenant's configuration (queue, agent, reason, user): the configuration's own
/// alphabet, so a typo is a `bad_message` naming the field, not an unknown thing.
fn ident(kind: &str, field: &str, value: String) -> Result<String, ProtocolError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if value.is_empty() || value.len() > MAX_IDENT_LEN || !value.chars().all(allowed) {
        return Err(bad(format!(
            "{kind}: `{field}` must be 1 to {MAX_IDENT_LEN} ASCII letters, digits, `-`, `_` or `.`"
        )));
    }
    Ok(value)
}

/// An instant a client sends: RFC 3339 with seconds, optional fractions and an offset
/// (`common.json`'s `timestamp_in`), nothing else jiff would also read.
fn instant(kind: &str, field: &str, value: &str) -> Result<jiff::Timestamp, ProtocolError> {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| b[range].iter().all(u8::is_ascii_digit);
    let shaped = b.len() >= 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && {
            let rest = &value[19..];
            let (fraction, offset) = match rest.strip_prefix('.') {
                Some(r) => {
                    let n = r.bytes().take_while(u8::is_ascii_digit).count();
                    ((1..=9).contains(&n), &r[n..])
                }
                None => (true, rest),
            };
            let o = offset.as_bytes();
            fraction
                && (offset == "Z"
                    || (o.len() == 6
                        && matches!(o[0], b'+' | b'-')
                        && o[1..3].iter().all(u8::is_ascii_digit)
                        && o[3] == b':'
                        && o[4..6].iter().all(u8::is_ascii_digit)))
        };
    let parsed = shaped
        .then(|| value.parse::<jiff::Timestamp>().ok())
        .flatten();
    parsed.ok_or_else(|| {
        bad(format!(
            "{kind}: `{field}` must be an RFC 3339 instant with an offset, such as \
             2023-11-14T22:13:20.250Z"
        ))
    })
}

/// A page's `limit`: 1 to [`MAX_LIST_LIMIT`], [`DEFAULT_LIST_LIMIT`] when left out.
fn page_limit(kind: &str, limit: Option<u32>) -> Result<u32, ProtocolError> {
    let limit = limit.unwrap_or(DEFAULT_LIST_LIMIT);
    if !(1..=MAX_LIST_LIMIT).contains(&limit) {
        return Err(bad(format!(
            "{kind}: `limit` must be 1 to {MAX_LIST_LIMIT}"
        )));
    }
    Ok(limit)
}

/// A call id: any text the PBX uses, within a length.
fn name(kind: &str, field: &str, value: String) -> Result<String, ProtocolError> {
    if value.is_empty() || value.chars().count() > MAX_NAME_LEN {
        return Err(bad(format!(
            "{kind}: `{field}` must be 1 to {MAX_NAME_LEN} characters"
        )));
    }
    Ok(value)
}

/// For optional fields: left out is `None`, but `null` is refused like any other wrong type,
/// as the schemas say ("leave optional fields out").
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallField {
    call: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AuthFields {
    #[serde(default, deserialize_with = "present")]
    user: Option<String>,
    #[serde(default, deserialize_with = "present")]
    password: Option<String>,
    #[serde(default, deserialize_with = "present")]
    token: Option<String>,
    #[serde(default, deserialize_with = "present")]
    display: Option<String>,
    #[serde(default, deserialize_with = "present")]
    resume: Option<ResumeFields>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResumeFields {
    session: String,
    #[serde(default, deserialize_with = "present")]
    last_seq: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NotReadyFields {
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferFields {
    call: String,
    #[serde(default, deserialize_with = "present")]
    queue: Option<String>,
    #[serde(default, deserialize_with = "present")]
    agent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsultFields {
    call: String,
    agent: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtendFields {
    secs: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MonitorFields {
    agent: String,
    mode: MonitorMode,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisplayFields {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TickerFields {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentField {
    agent: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DispositionFields {
    call: String,
    #[serde(default, deserialize_with = "present")]
    disposition: Option<String>,
    #[serde(default, deserialize_with = "present")]
    notes: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeenFields {
    seq: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListAgentsFields {
    #[serde(default, deserialize_with = "present")]
    queue: Option<String>,
    #[serde(default, deserialize_with = "present")]
    after: Option<String>,
    #[serde(default, deserialize_with = "present")]
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageFields {
    #[serde(default, deserialize_with = "present")]
    after: Option<String>,
    #[serde(default, deserialize_with = "present")]
    limit: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WhatIfFields {
    queue: String,
    #[serde(default, deserialize_with = "present")]
    agents: Option<u32>,
    #[serde(default, deserialize_with = "present")]
    calls_per_hour: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    aht_secs: Option<f64>,
    #[serde(default, deserialize_with = "present")]
    patience_secs: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubscribeFields {
    #[serde(default, deserialize_with = "present")]
    queues: Option<Vec<String>>,
    #[serde(default, deserialize_with = "present")]
    tenant_total: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForceStateFields {
    agent: String,
    state: StateName,
    #[serde(default, deserialize_with = "present")]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearPendingFields {
    #[serde(default, deserialize_with = "present")]
    agent: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SetPendingFields {
    agent: String,
    state: PendingName,
    #[serde(default, deserialize_with = "present")]
    reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PriorityFields {
    call: String,
    priority: u8,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoveFields {
    call: String,
    queue: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrivedFields {
    call: String,
    queue: String,
    #[serde(default)]
    priority: u8,
    #[serde(default, deserialize_with = "present")]
    caller: Option<String>,
    #[serde(default, deserialize_with = "present")]
    dialled: Option<String>,
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "present")]
    arrived_at: Option<String>,
}

fn message(kind: &str, object: Map<String, Value>) -> Result<ClientMessage, ProtocolError> {
    let call = |object| -> Result<String, ProtocolError> {
        let f: CallField = fields(kind, object)?;
        name(kind, "call", f.call)
    };
    let none = |object| fields::<NoFields>(kind, object).map(|_| ());
    Ok(match kind {
        "auth" => {
            let f: AuthFields = fields(kind, object)?;
            let secret = |field: &str, value: &String| {
                if value.chars().count() > MAX_SECRET_LEN {
                    Err(bad(format!(
                        "auth: `{field}` must be at most {MAX_SECRET_LEN} characters"
                    )))
                } else {
                    Ok(())
                }
            };
            let resume = match f.resume {
                None => None,
                Some(ResumeFields { session, last_seq }) => {
                    if session.is_empty() || session.len() > MAX_SESSION_ID_LEN {
                        return Err(bad(format!(
                            "auth: `resume.session` must be 1 to {MAX_SESSION_ID_LEN} characters"
                        )));
                    }
                    Some(Resume { session, last_seq })
                }
            };
            let credentials = match (f.user, f.password, f.token, f.display) {
                (Some(user), Some(password), None, None) => {
                    secret("password", &password)?;
                    Credentials::Password {
                        user: ident(kind, "user", user)?,
                        password,
                    }
                }
                (None, None, Some(token), None) => {
                    secret("token", &token)?;
                    if token.is_empty() {
                        return Err(bad("auth: `token` is empty"));
                    }
                    Credentials::Token(token)
                }
                (None, None, None, Some(display)) => {
                    secret("display", &display)?;
                    if display.is_empty() {
                        return Err(bad("auth: `display` is empty"));
                    }
                    Credentials::Display(display)
                }
                _ => {
                    return Err(bad(
                        "auth: give either `user` and `password`, or `token`, or `display`, and \
                         nothing else",
                    ));
                }
            };
            ClientMessage::Auth(credentials, resume)
        }
        "ping" => none(object).map(|_| ClientMessage::Ping)?,
        "seen" => {
            let f: SeenFields = fields(kind, object)?;
            ClientMessage::Seen { seq: f.seq }
        }
        "login" => none(object).map(|_| ClientMessage::Login)?,
        "ready" => none(object).map(|_| ClientMessage::Ready)?,
        "not_ready" => {
            let f: NotReadyFields = fields(kind, object)?;
            ClientMessage::NotReady {
                reason: ident(kind, "reason", f.reason)?,
            }
        }
        "logout" => none(object).map(|_| ClientMessage::Logout)?,
        "clear_pending" => {
            let f: ClearPendingFields = fields(kind, object)?;
            ClientMessage::ClearPending {
                agent: f.agent.map(|a| ident(kind, "agent", a)).transpose()?,
            }
        }
        "accept" => ClientMessage::Accept {
            call: call(object)?,
        },
        "reject" => ClientMessage::Reject {
            call: call(object)?,
        },
        "hold" => ClientMessage::Hold {
            call: call(object)?,
        },
        "resume" => ClientMessage::Resume {
            call: call(object)?,
        },
        "hangup" => ClientMessage::Hangup {
            call: call(object)?,
        },
        "consult" => {
            let f: ConsultFields = fields(kind, object)?;
            ClientMessage::Consult {
                call: name(kind, "call", f.call)?,
                agent: ident(kind, "agent", f.agent)?,
            }
        }
        "complete_transfer" => ClientMessage::CompleteTransfer {
            call: call(object)?,
        },
        "conference" => ClientMessage::Conference {
            call: call(object)?,
        },
        "cancel_consult" => ClientMessage::CancelConsult {
            call: call(object)?,
        },
        "transfer" => {
            let f: TransferFields = fields(kind, object)?;
            let to = match (f.queue, f.agent) {
                (Some(queue), None) => TransferTo::Queue(ident(kind, "queue", queue)?),
                (None, Some(agent)) => TransferTo::Agent(ident(kind, "agent", agent)?),
                _ => return Err(bad("transfer: give exactly one of `queue` and `agent`")),
            };
            ClientMessage::Transfer {
                call: name(kind, "call", f.call)?,
                to,
            }
        }
        "end_wrap_up" => none(object).map(|_| ClientMessage::EndWrapUp)?,
        "extend_wrap_up" => {
            let f: ExtendFields = fields(kind, object)?;
            ClientMessage::ExtendWrapUp { secs: f.secs }
        }
        "my_day" => none(object).map(|_| ClientMessage::MyDay)?,
        "list_queues" => none(object).map(|_| ClientMessage::ListQueues)?,
        "agents_today" => {
            let f: PageFields = fields(kind, object)?;
            ClientMessage::AgentsToday {
                after: f.after.map(|a| ident(kind, "after", a)).transpose()?,
                limit: page_limit(kind, f.limit)?,
            }
        }
        "monitor" => {
            let f: MonitorFields = fields(kind, object)?;
            ClientMessage::Monitor {
                agent: ident(kind, "agent", f.agent)?,
                mode: f.mode,
            }
        }
        // A display's name is only read as a string here: its rules are the core's to refuse
        // (`bad_display_name`), like a ticker's.
        "create_display" => {
            let f: DisplayFields = fields(kind, object)?;
            ClientMessage::CreateDisplay { name: f.name }
        }
        "list_displays" => none(object).map(|_| ClientMessage::ListDisplays)?,
        "revoke_display" => {
            let f: DisplayFields = fields(kind, object)?;
            ClientMessage::RevokeDisplay { name: f.name }
        }
        "set_ticker" => {
            let f: TickerFields = fields(kind, object)?;
            ClientMessage::SetTicker { text: f.text }
        }
        "end_monitor" => {
            let f: AgentField = fields(kind, object)?;
            ClientMessage::EndMonitor {
                agent: ident(kind, "agent", f.agent)?,
            }
        }
        "set_disposition" => {
            let f: DispositionFields = fields(kind, object)?;
            ClientMessage::SetDisposition {
                call: name(kind, "call", f.call)?,
                disposition: f
                    .disposition
                    .map(|d| ident(kind, "disposition", d))
                    .transpose()?,
                notes: f.notes.unwrap_or_default(),
            }
        }
        "list_agents" => {
            let f: ListAgentsFields = fields(kind, object)?;
            ClientMessage::ListAgents {
                queue: f.queue.map(|q| ident(kind, "queue", q)).transpose()?,
                after: f.after.map(|a| ident(kind, "after", a)).transpose()?,
                limit: page_limit(kind, f.limit)?,
            }
        }
        "subscribe" => {
            let f: SubscribeFields = fields(kind, object)?;
            let queues = match f.queues {
                Some(queues) => Some(
                    queues
                        .into_iter()
                        .map(|q| ident(kind, "queues[]", q))
                        .collect::<Result<Vec<_>, _>>()?,
                ),
                None => None,
            };
            ClientMessage::Subscribe {
                queues,
                tenant_total: f.tenant_total.unwrap_or(true),
            }
        }
        "force_state" => {
            let f: ForceStateFields = fields(kind, object)?;
            let reason = match (f.state, f.reason) {
                (StateName::NotReady, Some(reason)) => Some(name(kind, "reason", reason)?),
                (StateName::NotReady, None) => {
                    return Err(bad("force_state: state not_ready needs a `reason`"));
                }
                (_, Some(_)) => {
                    return Err(bad("force_state: only state not_ready takes a `reason`"));
                }
                (_, None) => None,
            };
            ClientMessage::ForceState {
                agent: ident(kind, "agent", f.agent)?,
                state: f.state,
                reason,
            }
        }
        "set_pending" => {
            let f: SetPendingFields = fields(kind, object)?;
            let reason = match (f.state, f.reason) {
                (PendingName::NotReady, Some(reason)) => Some(ident(kind, "reason", reason)?),
                (PendingName::NotReady, None) => {
                    return Err(bad("set_pending: state not_ready needs a `reason`"));
                }
                (PendingName::LoggedOut, Some(_)) => {
                    return Err(bad("set_pending: state logged_out takes no `reason`"));
                }
                (PendingName::LoggedOut, None) => None,
            };
            ClientMessage::SetPending {
                agent: ident(kind, "agent", f.agent)?,
                state: f.state,
                reason,
            }
        }
        "set_call_priority" => {
            let f: PriorityFields = fields(kind, object)?;
            ClientMessage::SetCallPriority {
                call: name(kind, "call", f.call)?,
                priority: f.priority,
            }
        }
        "move_call" => {
            let f: MoveFields = fields(kind, object)?;
            ClientMessage::MoveCall {
                call: name(kind, "call", f.call)?,
                queue: ident(kind, "queue", f.queue)?,
            }
        }
        "what_if" => {
            let f: WhatIfFields = fields(kind, object)?;
            let within = |field: &str, value: Option<f64>, max: f64, unit: &str| match value {
                Some(v) if !(v > 0.0 && v <= max) => Err(bad(format!(
                    "what_if: `{field}` must be more than 0 and at most {max} {unit}"
                ))),
                _ => Ok(value),
            };
            use crate::staffing::{
                MAX_AGENTS, MAX_AHT_SECS, MAX_CALLS_PER_HOUR, MAX_PATIENCE_SECS,
            };
            if f.agents.is_some_and(|agents| agents > MAX_AGENTS) {
                return Err(bad(format!("what_if: `agents` must be 0 to {MAX_AGENTS}")));
            }
            let hypothesis = crate::staffing::Hypothesis {
                agents: f.agents,
                calls_per_hour: within(
                    "calls_per_hour",
                    f.calls_per_hour,
                    MAX_CALLS_PER_HOUR,
                    "calls per hour",
                )?,
                aht_secs: within("aht_secs", f.aht_secs, MAX_AHT_SECS, "seconds")?,
                patience_secs: within(
                    "patience_secs",
                    f.patience_secs,
                    MAX_PATIENCE_SECS,
                    "seconds",
                )?,
            };
            ClientMessage::WhatIf {
                queue: ident(kind, "queue", f.queue)?,
                hypothesis,
            }
        }
        "call_arrived" => {
            let f: ArrivedFields = fields(kind, object)?;
            let long = |value: &Option<String>| {
                value
                    .as_ref()
                    .is_some_and(|v| v.chars().count() > MAX_DATA_VALUE_LEN)
            };
            if long(&f.caller) || long(&f.dialled) {
                return Err(bad(format!(
                    "call_arrived: `caller` and `dialled` must be at most {MAX_DATA_VALUE_LEN} characters"
                )));
            }
            attached_data(kind, &f.data)?;
            ClientMessage::CallArrived {
                call: name(kind, "call", f.call)?,
                queue: ident(kind, "queue", f.queue)?,
                priority: f.priority,
                caller: f.caller,
                dialled: f.dialled,
                data: f.data,
                arrived_at: f
                    .arrived_at
                    .map(|at| instant(kind, "arrived_at", &at))
                    .transpose()?,
            }
        }
        "call_answered" => ClientMessage::CallAnswered {
            call: call(object)?,
        },
        "device_state" => {
            let f: DeviceFields = fields(kind, object)?;
            ClientMessage::DeviceState {
                agent: ident(kind, "agent", f.agent)?,
                device: f.device,
            }
        }
        "ring_failed" => {
            let f: RingFailedFields = fields(kind, object)?;
            ClientMessage::RingFailed {
                call: name(kind, "call", f.call)?,
                reason: f.reason,
            }
        }
        "call_ended" => ClientMessage::CallEnded {
            call: call(object)?,
        },
        "caller_hung_up" => ClientMessage::CallerHungUp {
            call: call(object)?,
        },
        other => match messaging::message(other, object) {
            Some(message) => message?,
            None => return Err(ProtocolError::UnknownType(other.to_owned())),
        },
    })
}

/// Attached data within its bounds: entries, key and value lengths.
fn attached_data(kind: &str, data: &BTreeMap<String, String>) -> Result<(), ProtocolError> {
    if data.len() > MAX_DATA_ENTRIES
        || data.iter().any(|(k, v)| {
            k.is_empty()
                || k.chars().count() > MAX_DATA_KEY_LEN
                || v.chars().count() > MAX_DATA_VALUE_LEN
        })
    {
        return Err(bad(format!(
            "{kind}: `data` holds at most {MAX_DATA_ENTRIES} entries, keys of 1 to \
             {MAX_DATA_KEY_LEN} characters, values of at most {MAX_DATA_VALUE_LEN}"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> (Option<String>, &'static str) {
        let (id, error) = parse(text).unwrap_err();
        (id, error.code())
    }

    #[test]
    fn each_kind_of_mistake_has_its_code_and_keeps_the_id_when_it_can() {
        assert_eq!(code("{nope"), (None, "malformed_json"));
        assert_eq!(code("[1]"), (None, "malformed_json"));
        assert_eq!(code(r#"{"type":"ready"}"#), (None, "bad_message"));
        assert_eq!(code(r#"{"id":7,"type":"ready"}"#), (None, "bad_message"));
        let id = Some("a".to_owned());
        assert_eq!(code(r#"{"id":"a"}"#), (id.clone(), "bad_message"));
        assert_eq!(
            code(r#"{"id":"a","type":"fly"}"#),
            (id.clone(), "unknown_type")
        );
        assert_eq!(
            code(r#"{"id":"a","type":"accept"}"#),
            (id.clone(), "bad_message")
        );
        assert_eq!(
            code(r#"{"id":"a","type":"accept","call":5}"#),
            (id.clone(), "bad_message")
        );
        assert_eq!(
            code(r#"{"id":"a","type":"ready","x":1}"#),
            (id.clone(), "bad_message")
        );
        assert_eq!(
            code(r#"{"id":"a","type":"transfer","call":"c","queue":"q","agent":"b"}"#),
            (id, "bad_message")
        );
    }

    #[test]
    fn null_is_not_leaving_a_field_out() {
        for text in [
            r#"{"id":"1","type":"subscribe","queues":null}"#,
            r#"{"id":"1","type":"force_state","agent":"a","state":"ready","reason":null}"#,
            r#"{"id":"1","type":"transfer","call":"c","queue":"q","agent":null}"#,
            r#"{"id":"1","type":"auth","user":"u","password":"p","token":null}"#,
            r#"{"id":"1","type":"call_arrived","call":"c","queue":"q","caller":null}"#,
            r#"{"id":"1","type":"clear_pending","agent":null}"#,
            r#"{"id":"1","type":"set_pending","agent":"a","state":"logged_out","reason":null}"#,
        ] {
            assert_eq!(code(text).1, "bad_message", "{text}");
        }
        assert!(parse(r#"{"id":"1","type":"subscribe"}"#).is_ok());
    }

    #[test]
    fn configured_ids_keep_the_configuration_alphabet_and_call_ids_are_free_text() {
        let reason = r#"{"id":"1","type":"not_ready","reason":"has space"}"#;
        assert_eq!(code(reason).1, "bad_message");
        let queue = format!(
            r#"{{"id":"1","type":"move_call","call":"c","queue":"{}"}}"#,
            "q".repeat(65)
        );
        assert_eq!(code(&queue).1, "bad_message");
        assert!(parse(r#"{"id":"1","type":"accept","call":"1700000000.42 / trunk A"}"#).is_ok());
        assert_eq!(
            code(r#"{"id":"1","type":"auth","token":""}"#).1,
            "bad_message"
        );
    }

    #[test]
    fn a_missing_field_is_named() {
        let (_, error) = parse(r#"{"id":"a","type":"accept"}"#).unwrap_err();
        assert_eq!(error.to_string(), "accept: missing field `call`");
    }

    /// protocol.md: "a missing, mistyped or unknown field is refused with `bad_message`, whose
    /// `message` names the field": a mistyped or `null` value too, by its path.
    #[test]
    fn a_mistyped_or_null_value_is_named_by_its_field() {
        for (text, named) in [
            (r#"{"id":"1","type":"not_ready","reason":5}"#, "`reason`"),
            (r#"{"id":"1","type":"accept","call":null}"#, "`call`"),
            (r#"{"id":"1","type":"subscribe","queues":null}"#, "`queues`"),
            (
                r#"{"id":"1","type":"subscribe","queues":["a",7]}"#,
                "`queues[1]`",
            ),
            (
                r#"{"id":"1","type":"call_arrived","call":"c","queue":"q","data":{"k":1}}"#,
                "`data.k`",
            ),
            (
                r#"{"id":"1","type":"conversation_arrived","conversation":"k","queue":"q","customer":null}"#,
                "`customer`",
            ),
            (r#"{"id":"1","type":"ready","x":1}"#, "`x`"),
        ] {
            let (_, error) = parse(text).unwrap_err();
            assert_eq!(error.code(), "bad_message", "{text}");
            assert!(error.to_string().contains(named), "{text}: {error}");
        }
        let (_, error) = parse(r#"{"id":"1","type":"not_ready","reason":5}"#).unwrap_err();
        assert_eq!(
            error.to_string(),
            "not_ready: `reason`: invalid type: integer `5`, expected a string"
        );
    }

    #[test]
    fn arrived_at_takes_an_rfc_3339_instant_with_an_offset_and_nothing_else() {
        let at = |value: &str| {
            let text = format!(
                r#"{{"id":"1","type":"call_arrived","call":"c","queue":"q","arrived_at":"{value}"}}"#
            );
            parse(&text).map(|p| match p.message {
                ClientMessage::CallArrived { arrived_at, .. } => arrived_at.unwrap().to_string(),
                other => panic!("{other:?}"),
            })
        };
        for (value, utc) in [
            ("2023-11-14T22:13:20Z", "2023-11-14T22:13:20Z"),
            ("2023-11-14T22:13:20.250Z", "2023-11-14T22:13:20.25Z"),
            (
                "2023-11-14T23:13:20.123456789+01:00",
                "2023-11-14T22:13:20.123456789Z",
            ),
            ("2023-11-14T20:13:20-02:00", "2023-11-14T22:13:20Z"),
        ] {
            assert_eq!(at(value).unwrap(), utc, "{value}");
        }
        for value in [
            "2023-11-14T22:13:20",
            "2023-11-14 22:13:20Z",
            "2023-11-14t22:13:20z",
            "2023-11-14T22:13Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20.1234567890Z",
            "2023-11-14T22:13:20+0100",
            "2023-13-14T22:13:20Z",
            "2023-11-14T22:13:20Z[Europe/Berlin]",
            "1700000000",
            "",
        ] {
            let (_, error) = at(value).unwrap_err();
            assert_eq!(error.code(), "bad_message", "{value}");
            assert!(
                error.to_string().contains("`arrived_at`"),
                "{value}: {error}"
            );
        }
        let (_, error) =
            parse(r#"{"id":"1","type":"call_arrived","call":"c","queue":"q","arrived_at":null}"#)
                .unwrap_err();
        assert!(error.to_string().contains("`arrived_at`"), "{error}");
    }

    #[test]
    fn every_type_is_parsed_and_allowed_for_its_roles_only() {
        let accept = parse(r#"{"id":"1","type":"accept","call":"c1"}"#).unwrap();
        assert_eq!(accept.message, ClientMessage::Accept { call: "c1".into() });
        assert!(accept.message.allowed_for(Role::Agent));
        assert!(!accept.message.allowed_for(Role::Wallboard));
        for (kind, _) in TYPES {
            let error = parse(&format!(r#"{{"id":"1","type":"{kind}"}}"#));
            if let Err((_, error)) = error {
                assert_ne!(error.code(), "unknown_type", "{kind}");
            }
        }
    }

    #[test]
    fn set_pending_takes_a_reason_exactly_for_not_ready_and_never_ready() {
        let lunch =
            r#"{"id":"1","type":"set_pending","agent":"a2","state":"not_ready","reason":"lunch"}"#;
        assert_eq!(
            parse(lunch).unwrap().message,
            ClientMessage::SetPending {
                agent: "a2".into(),
                state: PendingName::NotReady,
                reason: Some("lunch".into()),
            }
        );
        let out = r#"{"id":"1","type":"set_pending","agent":"a2","state":"logged_out"}"#;
        assert!(parse(out).unwrap().message.allowed_for(Role::Supervisor));
        assert!(!parse(out).unwrap().message.allowed_for(Role::Agent));
        for text in [
            r#"{"id":"1","type":"set_pending","agent":"a2","state":"not_ready"}"#,
            r#"{"id":"1","type":"set_pending","agent":"a2","state":"logged_out","reason":"lunch"}"#,
            r#"{"id":"1","type":"set_pending","agent":"a2","state":"ready"}"#,
            r#"{"id":"1","type":"set_pending","agent":"a 2","state":"logged_out"}"#,
            r#"{"id":"1","type":"set_pending","state":"logged_out"}"#,
        ] {
            assert_eq!(code(text), (Some("1".into()), "bad_message"), "{text}");
        }
    }

    #[test]
    fn clear_pending_names_an_agent_or_none() {
        let own = parse(r#"{"id":"1","type":"clear_pending"}"#).unwrap();
        assert_eq!(own.message, ClientMessage::ClearPending { agent: None });
        let named = parse(r#"{"id":"1","type":"clear_pending","agent":"a2"}"#).unwrap();
        assert_eq!(
            named.message,
            ClientMessage::ClearPending {
                agent: Some("a2".into())
            }
        );
        for role in [Role::Agent, Role::Supervisor] {
            assert!(named.message.allowed_for(role));
        }
        assert!(!named.message.allowed_for(Role::Wallboard));
    }

    #[test]
    fn free_text_has_limits() {
        let data: serde_json::Map<String, Value> = (0..=MAX_DATA_ENTRIES)
            .map(|i| (format!("k{i}"), Value::from("v")))
            .collect();
        let many = serde_json::json!({"id": "1", "type": "call_arrived", "call": "c", "queue": "q", "data": data});
        assert_eq!(code(&many.to_string()).1, "bad_message");
        let long = "9".repeat(MAX_DATA_VALUE_LEN + 1);
        let caller = serde_json::json!({"id": "1", "type": "call_arrived", "call": "c", "queue": "q", "caller": long});
        assert_eq!(code(&caller.to_string()).1, "bad_message");
        let password = "p".repeat(MAX_SECRET_LEN + 1);
        let auth =
            serde_json::json!({"id": "1", "type": "auth", "user": "u", "password": password});
        assert_eq!(code(&auth.to_string()).1, "bad_message");
    }

    #[test]
    fn credentials_never_show_in_debug_output() {
        let auth = parse(r#"{"id":"1","type":"auth","user":"u","password":"hunter2"}"#).unwrap();
        assert!(!format!("{auth:?}").contains("hunter2"));
    }
}
