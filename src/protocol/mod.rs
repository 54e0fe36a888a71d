//! The wire protocol, version 1: JSON text frames over WebSocket (subprotocol `acdhub.v1`).
//!
//! `protocol/protocol.md` is the contract and `protocol/schemas/` its machine-readable form; this
//! module is the server's side of it. The core's types are never serialized directly: inbound
//! messages are parsed here into [`inbound::ClientMessage`] and turned into core commands here too
//! ([`command`]), and everything the server says is built as an [`outbound`] message from the core's
//! events and views.
//!
//! - `inbound`: what clients send, and the parser that turns a bad frame into a precise
//!   [`ProtocolError`] with a stable code.
//! - `command`: what an authenticated message asks for, as the core's `Command`, refused here
//!   when the sender's role may not send it.
//! - `identity`: roles, and who a session acts as.
//! - `outbound`: what the server sends: the greeting, replies, and events (each with its
//!   session's `seq`); `messaging`: the payloads of its conversation events.

pub mod command;
pub mod identity;
pub mod inbound;
pub mod messaging;
pub mod outbound;

pub use command::{Command, Refusal};
pub use identity::{Acting, Identity, Role};

/// The WebSocket subprotocol and the protocol's name in `hello`.
pub const SUBPROTOCOL: &str = "acdhub.v1";

/// The longest `id` a client may give a command: long enough for a UUID with a prefix.
pub const MAX_ID_LEN: usize = 64;

/// Why a message was refused before it reached the ACD. Codes are stable; the text is for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    /// The frame is not JSON (or not a JSON object).
    #[error("the message is not a JSON object: {0}")]
    MalformedJson(String),
    /// The frame is a JSON object, but a field is missing, mistyped or unknown.
    #[error("{0}")]
    BadMessage(String),
    /// `type` names no message of protocol v1.
    #[error("unknown message type `{0}`")]
    UnknownType(String),
    /// A binary frame: the protocol is JSON text only.
    #[error("binary frames are not part of the protocol; send JSON text frames")]
    BinaryFrame,
    /// Anything but `auth` before the session authenticated.
    #[error("authenticate first: the first message must be `auth`")]
    NotAuthenticated,
    /// `auth` on a session that already authenticated.
    #[error("this session is already authenticated")]
    AlreadyAuthenticated,
    /// Unknown user, wrong password, or an expired or unknown token. Deliberately vague.
    #[error("authentication failed: unknown user, wrong password or invalid token")]
    AuthFailed,
    /// Too many failed password sign-ins from the client's address or at the user lately: the
    /// password was not checked. Nothing about the user is revealed (an unknown user is
    /// throttled alike).
    #[error("too many failed sign-ins; try again in {retry_after_secs} s (a token still signs in)")]
    AuthThrottled { retry_after_secs: u64 },
    /// The message is not one this session's role may send.
    #[error("a {role} session cannot send `{message}`")]
    Forbidden { role: &'static str, message: String },
    /// An agent session named another agent (`clear_pending` with someone else's id): agents act
    /// on their own agent only. The same code as a message the role may not send.
    #[error("an agent session acts on its own agent only, not on `{agent}`")]
    NotOwnAgent { agent: String },
    /// The tenant's engine is not taking commands: the server is shutting down, or the engine
    /// failed (the log says which).
    #[error("the tenant's engine is not taking commands; reconnect in a moment")]
    Unavailable,
    /// The tenant's journal cannot be written (disk full or read-only): a command that would
    /// change anything is refused rather than applied without being durable.
    #[error("the server cannot write its journal ({0}); nothing was changed, try again later")]
    StorageUnavailable(String),
    /// In a cluster: the NATS cluster did not confirm that it stored the command's record (it
    /// lost its quorum as the record was sent), and the server stopped waiting. The command
    /// may still be applied, once, when the cluster has its quorum back, or not at all.
    #[error(
        "the cluster did not confirm it stored the command ({0}): it may still be applied, \
         once, or not at all; the events will say which. Look before sending it again"
    )]
    OutcomeUnknown(String),
    /// A supervisor action whose audit record could not be made sure of (the audit log's disk
    /// is full or failing): refused rather than done without its record.
    #[error("the server cannot write its audit log ({0}); nothing was changed, try again later")]
    AuditUnavailable(String),
    /// The session (or its principal's sessions together) sent more than its role's budget:
    /// nothing was done. Refused messages count towards the close with 1008.
    #[error("too many messages: over this role's budget of {per_sec} a second; nothing was done")]
    RateLimited { per_sec: u32 },
    /// A new session for a principal that has `max_sessions_per_principal`, all attached.
    #[error("this user already has {max} sessions open; close one (none is waiting to be resumed)")]
    TooManySessions { max: u32 },
    /// A display token (`auth`'s `display`) that names no display: never made, or revoked. Also
    /// what a display's open session is told when it is revoked, before its close.
    #[error(
        "this display was revoked (or its token is unknown): ask a supervisor for a new display link"
    )]
    DisplayRevoked,
}

impl ProtocolError {
    /// The stable, machine-readable code sent in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            ProtocolError::MalformedJson(_) => "malformed_json",
            ProtocolError::BadMessage(_) => "bad_message",
            ProtocolError::UnknownType(_) => "unknown_type",
            ProtocolError::BinaryFrame => "binary_frame",
            ProtocolError::NotAuthenticated => "not_authenticated",
            ProtocolError::AlreadyAuthenticated => "already_authenticated",
            ProtocolError::AuthFailed => "auth_failed",
            ProtocolError::AuthThrottled { .. } => "auth_throttled",
            ProtocolError::Forbidden { .. } | ProtocolError::NotOwnAgent { .. } => "forbidden",
            ProtocolError::Unavailable => "unavailable",
            ProtocolError::StorageUnavailable(_) => "storage_unavailable",
            ProtocolError::OutcomeUnknown(_) => "outcome_unknown",
            ProtocolError::AuditUnavailable(_) => "audit_unavailable",
            ProtocolError::RateLimited { .. } => "rate_limited",
            ProtocolError::TooManySessions { .. } => "too_many_sessions",
            ProtocolError::DisplayRevoked => "display_revoked",
        }
    }
}

/// WebSocket close codes the server uses (protocol.md, "Close codes").
pub mod close {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// A WebSocket frame the RFC forbids (RFC 6455's 1002): the client's WebSocket is broken.
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8 (RFC 6455's 1007).
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Too many refused messages: the client is broken or abusive.
    pub const POLICY_VIOLATION: u16 = 1008;
    /// A message above the size limit.
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The server failed; reconnect.
    pub const INTERNAL_ERROR: u16 = 1011;
    /// The server is shutting down or restarting; reconnect shortly.
    pub const SERVICE_RESTART: u16 = 1012;
    /// No `auth` within the time allowed.
    pub const AUTH_TIMEOUT: u16 = 4001;
    /// No pong to the server's ping in time: the connection is dead.
    pub const HEARTBEAT_TIMEOUT: u16 = 4002;
    /// Too many failed authentication attempts on one connection.
    pub const AUTH_FAILED: u16 = 4003;
    /// The client did not read its messages fast enough.
    pub const SLOW_CONSUMER: u16 = 4008;
    /// Another connection resumed the session: this one has nothing left to carry.
    pub const TAKEN_OVER: u16 = 4009;
    /// The display the session signed in as was revoked: its token signs in no more.
    pub const DISPLAY_REVOKED: u16 = 4010;
}
