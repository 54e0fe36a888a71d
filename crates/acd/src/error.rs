//! Why the ACD refused a command. A refused command changes nothing.

use super::agent::AgentStatusKind;
use super::ids::{AgentId, CallId, DispositionCode, QueueId, ReasonCode};
use super::ticker::TickerFault;

/// A command the ACD refused. Each variant names what the operator or client needs to fix it; the
/// state of the ACD is exactly as it was before the command.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
pub enum AcdError {
    #[error("unknown agent `{0}`")]
    UnknownAgent(AgentId),
    #[error("unknown queue `{0}`")]
    UnknownQueue(QueueId),
    #[error("unknown call `{0}`")]
    UnknownCall(CallId),
    #[error("unknown not-ready reason `{0}`")]
    UnknownReason(ReasonCode),
    #[error("call `{0}` already exists")]
    DuplicateCall(CallId),
    #[error("agent `{0}` is already logged in")]
    AlreadyLoggedIn(AgentId),
    #[error("agent `{0}` is not logged in")]
    NotLoggedIn(AgentId),
    #[error("agent `{agent}` has no offer of call `{call}`")]
    NotOffered { agent: AgentId, call: CallId },
    #[error("agent `{agent}` is not on call `{call}`")]
    NotOnCall { agent: AgentId, call: CallId },
    #[error("call `{0}` is already on hold")]
    AlreadyOnHold(CallId),
    #[error("call `{0}` is not on hold")]
    NotOnHold(CallId),
    #[error("agent `{agent}` is {state}, not in wrap-up")]
    NotInWrapUp {
        agent: AgentId,
        state: AgentStatusKind,
    },
    #[error("agent `{agent}` cannot take a call now: {state}")]
    AgentNotAvailable {
        agent: AgentId,
        state: AgentStatusKind,
    },
    #[error("agent `{0}` cannot transfer a call to itself")]
    TransferToSelf(AgentId),
    #[error("call `{0}` is not ringing at an agent")]
    NotRinging(CallId),
    #[error("call `{0}` is not waiting in a queue")]
    NotWaiting(CallId),
    #[error(
        "agent `{agent}` is {state}: only an agent ringing, on a call or in wrap-up can have a \
         pending state"
    )]
    AgentNotBusy {
        agent: AgentId,
        state: AgentStatusKind,
    },
    #[error("agent `{0}` has no pending state to clear")]
    NoPendingState(AgentId),
    #[error("the wrap-up extension must be between 1 second and {max_secs} seconds")]
    BadExtension { max_secs: u64 },
    #[error(
        "call `{call}` arrived at {arrived_at}: an arrival may be at most {ahead_secs} s after \
         the ACD's clock ({now}) and at most {max_prior_hours} h before it"
    )]
    BadArrival {
        call: CallId,
        arrived_at: jiff::Timestamp,
        now: jiff::Timestamp,
        ahead_secs: u64,
        max_prior_hours: u64,
    },
    #[error("`{0}` is a conversation, not a call")]
    NotACall(CallId),
    #[error("`{0}` is a call, not a conversation")]
    NotAConversation(CallId),
    #[error("queue `{queue}` routes {routes}, not {wanted}")]
    WrongChannel {
        queue: QueueId,
        routes: String,
        wanted: String,
    },
    #[error("agent `{agent}` is not in conversation `{conversation}`")]
    NotInConversation {
        agent: AgentId,
        conversation: CallId,
    },
    #[error("conversation `{0}` is closed")]
    ConversationClosed(CallId),
    #[error("conversation `{0}` is not closed: close it before its wrap-up can end")]
    ConversationOpen(CallId),
    #[error("a message may hold at most {max_chars} characters")]
    MessageTooLong { max_chars: usize },
    #[error("a message must hold some text")]
    EmptyMessage,
    #[error(
        "conversation `{conversation}` is full: a transcript holds at most {max} messages and \
         {max_bytes} bytes of text"
    )]
    TranscriptFull {
        conversation: CallId,
        max: usize,
        max_bytes: usize,
    },
    #[error("agent `{agent}` holds {count} open conversation(s): close them before logging out")]
    HoldsConversations { agent: AgentId, count: u32 },
    #[error("agent `{agent}` is neither on call `{call}` nor wrapping it up")]
    NotHandling { agent: AgentId, call: CallId },
    #[error("queue `{queue}` has no disposition `{code}`")]
    UnknownDisposition {
        queue: QueueId,
        code: DispositionCode,
    },
    #[error("notes may hold at most {max_chars} characters")]
    NotesTooLong { max_chars: usize },
    #[error("queue `{queue}` needs a disposition for the call before its wrap-up can end")]
    DispositionRequired { queue: QueueId },
    #[error("agent `{agent}` is {state}, not on a call")]
    AgentNotOnCall {
        agent: AgentId,
        state: AgentStatusKind,
    },
    #[error("you are not on agent `{agent}`'s call")]
    NotMonitoring { agent: AgentId },
    #[error("at most {max} supervisors may be on one call")]
    TooManyMonitors { max: usize },
    #[error(
        "the tenant's telephony connector does not carry out `{feature}` (its configuration's [tenants.telephony])"
    )]
    NotSupported { feature: &'static str },
    #[error(
        "call `{0}` has a consultation going on: complete, conference or cancel it first (a consulted agent may only answer, reject or hang up)"
    )]
    ConsultInProgress(CallId),
    #[error("call `{0}` has no consultation going on")]
    NotConsulting(CallId),
    #[error("the consultation on call `{0}` has not been answered yet")]
    ConsultNotAnswered(CallId),
    #[error("{0}")]
    BadTicker(TickerFault),
    #[error(
        "a display's name is 1 to {max_chars} ASCII letters, digits, `-`, `_` or `.`, as a user \
         name"
    )]
    BadDisplayName { max_chars: usize },
    #[error("the name `{0}` is taken: by a display, or by a user who signs in with it")]
    DuplicateDisplay(String),
    #[error("a tenant has at most {max} displays: revoke one first")]
    TooManyDisplays { max: usize },
    #[error("there is no display named `{0}`")]
    UnknownDisplay(String),
}

impl AcdError {
    /// A stable, machine-readable code for the wire and for logs.
    pub fn code(&self) -> &'static str {
        match self {
            AcdError::UnknownAgent(_) => "unknown_agent",
            AcdError::UnknownQueue(_) => "unknown_queue",
            AcdError::UnknownCall(_) => "unknown_call",
            AcdError::UnknownReason(_) => "unknown_reason",
            AcdError::DuplicateCall(_) => "duplicate_call",
            AcdError::AlreadyLoggedIn(_) => "already_logged_in",
            AcdError::NotLoggedIn(_) => "not_logged_in",
            AcdError::NotOffered { .. } => "not_offered",
            AcdError::NotOnCall { .. } => "not_on_call",
            AcdError::AlreadyOnHold(_) => "already_on_hold",
            AcdError::NotOnHold(_) => "not_on_hold",
            AcdError::NotInWrapUp { .. } => "not_in_wrap_up",
            AcdError::AgentNotAvailable { .. } => "agent_not_available",
            AcdError::TransferToSelf(_) => "transfer_to_self",
            AcdError::NotRinging(_) => "not_ringing",
            AcdError::NotWaiting(_) => "not_waiting",
            AcdError::AgentNotBusy { .. } => "agent_not_busy",
            AcdError::NoPendingState(_) => "no_pending_state",
            AcdError::BadExtension { .. } => "bad_extension",
            AcdError::BadArrival { .. } => "bad_arrival",
            AcdError::NotACall(_) => "not_a_call",
            AcdError::NotAConversation(_) => "not_a_conversation",
            AcdError::WrongChannel { .. } => "wrong_channel",
            AcdError::NotInConversation { .. } => "not_in_conversation",
            AcdError::ConversationClosed(_) => "conversation_closed",
            AcdError::ConversationOpen(_) => "conversation_open",
            AcdError::MessageTooLong { .. } => "message_too_long",
            AcdError::EmptyMessage => "empty_message",
            AcdError::TranscriptFull { .. } => "transcript_full",
            AcdError::HoldsConversations { .. } => "holds_conversations",
            AcdError::NotHandling { .. } => "not_handling",
            AcdError::UnknownDisposition { .. } => "unknown_disposition",
            AcdError::NotesTooLong { .. } => "notes_too_long",
            AcdError::DispositionRequired { .. } => "disposition_required",
            AcdError::AgentNotOnCall { .. } => "agent_not_on_call",
            AcdError::NotMonitoring { .. } => "not_monitoring",
            AcdError::TooManyMonitors { .. } => "too_many_monitors",
            AcdError::NotSupported { .. } => "not_supported",
            AcdError::ConsultInProgress(_) => "consult_in_progress",
            AcdError::NotConsulting(_) => "not_consulting",
            AcdError::ConsultNotAnswered(_) => "consult_not_answered",
            AcdError::BadTicker(_) => "bad_ticker",
            AcdError::BadDisplayName { .. } => "bad_display_name",
            AcdError::DuplicateDisplay(_) => "duplicate_display",
            AcdError::TooManyDisplays { .. } => "too_many_displays",
            AcdError::UnknownDisplay(_) => "unknown_display",
        }
    }
}
