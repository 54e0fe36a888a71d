//! The protocol contract (`protocol/`) against the code that speaks it.
//!
//! A client developer reads `protocol/protocol.md`, validates against `protocol/schemas/` and
//! copies from `protocol/examples/`. These tests fail when any of the three drifts from what
//! `src/protocol` parses and serializes: a field renamed in code, an example that the server would
//! refuse, an error code nobody documented.

use crate::schema;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

use acdhub::acd::config::ServiceLevelVariant;
use acdhub::acd::{
    Acd, AcdError, AgentId, AgentStatus, AgentStatusKind, CallData, CallId, CallLeftReason,
    CallStatus, CallView, ConsultEnd, ConsultStatus, DeviceState, DispositionCode, MonitorEnd,
    MonitorMode, OfferEndReason, OverflowReason, PendingState, QueueId, ReasonCode, TickerFault,
    TransferTarget,
};
use acdhub::config::Limits;
use acdhub::protocol::inbound::{self, ClientMessage};
use acdhub::protocol::messaging::{self, ConversationState};
use acdhub::protocol::outbound::{
    self, AgentState, AuthResult, CallState, CallerDetails, Consultation, Event, Named, Offer,
    Pending, QueueStatistics, Reply, TenantStatistics,
};
use acdhub::protocol::{MAX_ID_LEN, ProtocolError, SUBPROTOCOL, close};
use acdhub::staffing;

use crate::schema::{check_client_message, check_server_message, schemas};

const CALL: &str = "pbx-1700000000.42";
/// A display's token as `create_display` draws it: tenant `demo`, 32 random bytes.
const DISPLAY_TOKEN: &str =
    "d1.64656d6f.8f3a1c0e9b2d4c7e6f10a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7";
const CALL2: &str = "pbx-1700000000.57";

// ----------------------------------------------------------------------------------------------
// What the code says exists. The matches are exhaustive on purpose: a new variant of a type that
// reaches the wire does not compile here until the contract says what it is.

/// The `type` of every event the server can send.
fn event_type(event: &Event) -> &'static str {
    match event {
        Event::AgentState(_) => "agent_state",
        Event::PendingState { .. } => "pending_state",
        Event::Offer(_) => "offer",
        Event::OfferCancelled { .. } => "offer_cancelled",
        Event::CallConnected { .. } => "call_connected",
        Event::CallHeld { .. } => "call_held",
        Event::Monitoring { .. } => "monitoring",
        Event::Consultation(_) => "consultation",
        Event::CallResumed { .. } => "call_resumed",
        Event::CallTransferred { .. } => "call_transferred",
        Event::CallLeft { .. } => "call_left",
        Event::CallState(_) => "call_state",
        Event::QueueWaiting { .. } => "queue_waiting",
        Event::QueueStats(_) => "queue_stats",
        Event::TenantStats(_) => "tenant_stats",
        Event::ConversationOffer(_) => "conversation_offer",
        Event::ConversationOfferCancelled { .. } => "conversation_offer_cancelled",
        Event::ConversationAccepted { .. } => "conversation_accepted",
        Event::Message { .. } => "message",
        Event::ConversationTransferred { .. } => "conversation_transferred",
        Event::ConversationClosed { .. } => "conversation_closed",
        Event::ConversationLeft { .. } => "conversation_left",
        Event::ConversationState(_) => "conversation_state",
        Event::Ticker { .. } => "ticker",
    }
}

/// The `type` of every unnumbered message.
fn reply_type(reply: &Reply) -> &'static str {
    match reply {
        Reply::Hello { .. } => "hello",
        Reply::Heartbeat { .. } => "heartbeat",
        Reply::Ack { .. } => "ack",
        Reply::Error { .. } => "error",
    }
}

/// One of each protocol error.
fn protocol_errors() -> Vec<ProtocolError> {
    let all = vec![
        ProtocolError::MalformedJson("expected value at line 1 column 1".into()),
        ProtocolError::BadMessage("accept: missing field `call`".into()),
        ProtocolError::UnknownType("fly".into()),
        ProtocolError::BinaryFrame,
        ProtocolError::NotAuthenticated,
        ProtocolError::AlreadyAuthenticated,
        ProtocolError::AuthFailed,
        ProtocolError::AuthThrottled {
            retry_after_secs: 10,
        },
        ProtocolError::Forbidden {
            role: "wallboard",
            message: "accept".into(),
        },
        ProtocolError::NotOwnAgent {
            agent: "agent2".into(),
        },
        ProtocolError::Unavailable,
        ProtocolError::StorageUnavailable("No space left on device (os error 28)".into()),
        ProtocolError::OutcomeUnknown(
            "the NATS cluster is unavailable: timed out: didn't receive ack in time".into(),
        ),
        ProtocolError::AuditUnavailable("No space left on device (os error 28)".into()),
        ProtocolError::RateLimited { per_sec: 20 },
        ProtocolError::TooManySessions { max: 32 },
        ProtocolError::DisplayRevoked,
    ];
    for error in &all {
        match error {
            ProtocolError::MalformedJson(_)
            | ProtocolError::BadMessage(_)
            | ProtocolError::UnknownType(_)
            | ProtocolError::BinaryFrame
            | ProtocolError::NotAuthenticated
            | ProtocolError::AlreadyAuthenticated
            | ProtocolError::AuthFailed
            | ProtocolError::AuthThrottled { .. }
            | ProtocolError::Forbidden { .. }
            | ProtocolError::NotOwnAgent { .. }
            | ProtocolError::Unavailable
            | ProtocolError::StorageUnavailable(_)
            | ProtocolError::OutcomeUnknown(_)
            | ProtocolError::AuditUnavailable(_)
            | ProtocolError::RateLimited { .. }
            | ProtocolError::TooManySessions { .. }
            | ProtocolError::DisplayRevoked => {}
        }
    }
    all
}

/// One of each refusal of the ACD core.
fn acd_errors() -> Vec<AcdError> {
    let agent = || AgentId::new("agent1");
    let call = || CallId::new(CALL);
    let all = vec![
        AcdError::UnknownAgent(AgentId::new("agent99")),
        AcdError::UnknownQueue(QueueId::new("billing")),
        AcdError::UnknownCall(call()),
        AcdError::UnknownReason(ReasonCode::new("nap")),
        AcdError::DuplicateCall(call()),
        AcdError::AlreadyLoggedIn(agent()),
        AcdError::NotLoggedIn(agent()),
        AcdError::NotOffered {
            agent: agent(),
            call: call(),
        },
        AcdError::NotOnCall {
            agent: agent(),
            call: call(),
        },
        AcdError::AlreadyOnHold(call()),
        AcdError::NotOnHold(call()),
        AcdError::NotInWrapUp {
            agent: agent(),
            state: AgentStatusKind::Ready,
        },
        AcdError::AgentNotAvailable {
            agent: AgentId::new("agent2"),
            state: AgentStatusKind::OnCall,
        },
        AcdError::TransferToSelf(agent()),
        AcdError::NotRinging(call()),
        AcdError::NotWaiting(call()),
        AcdError::AgentNotBusy {
            agent: agent(),
            state: AgentStatusKind::Ready,
        },
        AcdError::NoPendingState(agent()),
        AcdError::BadExtension { max_secs: 300 },
        AcdError::NotACall(call()),
        AcdError::NotAConversation(call()),
        AcdError::WrongChannel {
            queue: QueueId::new("chats"),
            routes: "chat".into(),
            wanted: "voice".into(),
        },
        AcdError::NotInConversation {
            agent: agent(),
            conversation: call(),
        },
        AcdError::ConversationClosed(call()),
        AcdError::ConversationOpen(call()),
        AcdError::BadArrival {
            call: call(),
            arrived_at: Timestamp::from_second(1_700_000_000).unwrap(),
            now: Timestamp::from_second(1_700_100_000).unwrap(),
            ahead_secs: 5,
            max_prior_hours: 24,
        },
        AcdError::MessageTooLong { max_chars: 4096 },
        AcdError::EmptyMessage,
        AcdError::TranscriptFull {
            conversation: call(),
            max: 1000,
            max_bytes: 131072,
        },
        AcdError::HoldsConversations {
            agent: agent(),
            count: 2,
        },
        AcdError::NotHandling {
            agent: agent(),
            call: call(),
        },
        AcdError::UnknownDisposition {
            queue: QueueId::new("support"),
            code: DispositionCode::new("sold"),
        },
        AcdError::NotesTooLong { max_chars: 2000 },
        AcdError::DispositionRequired {
            queue: QueueId::new("support"),
        },
        AcdError::AgentNotOnCall {
            agent: agent(),
            state: AgentStatusKind::WrapUp,
        },
        AcdError::NotMonitoring { agent: agent() },
        AcdError::TooManyMonitors { max: 4 },
        AcdError::NotSupported {
            feature: "conference",
        },
        AcdError::ConsultInProgress(call()),
        AcdError::NotConsulting(call()),
        AcdError::ConsultNotAnswered(call()),
        AcdError::BadTicker(TickerFault::TooLong { max_chars: 280 }),
        AcdError::BadTicker(TickerFault::ControlCharacter),
        AcdError::BadDisplayName { max_chars: 64 },
        AcdError::DuplicateDisplay("lobby-tv".into()),
        AcdError::TooManyDisplays { max: 100 },
        AcdError::UnknownDisplay("lobby-tv".into()),
    ];
    for error in &all {
        match error {
            AcdError::UnknownAgent(_)
            | AcdError::UnknownQueue(_)
            | AcdError::UnknownCall(_)
            | AcdError::UnknownReason(_)
            | AcdError::DuplicateCall(_)
            | AcdError::AlreadyLoggedIn(_)
            | AcdError::NotLoggedIn(_)
            | AcdError::NotOffered { .. }
            | AcdError::NotOnCall { .. }
            | AcdError::AlreadyOnHold(_)
            | AcdError::NotOnHold(_)
            | AcdError::NotInWrapUp { .. }
            | AcdError::AgentNotAvailable { .. }
            | AcdError::TransferToSelf(_)
            | AcdError::NotRinging(_)
            | AcdError::NotWaiting(_)
            | AcdError::AgentNotBusy { .. }
            | AcdError::NoPendingState(_)
            | AcdError::BadExtension { .. }
            | AcdError::BadArrival { .. }
            | AcdError::NotACall(_)
            | AcdError::NotAConversation(_)
            | AcdError::WrongChannel { .. }
            | AcdError::NotInConversation { .. }
            | AcdError::ConversationClosed(_)
            | AcdError::ConversationOpen(_)
            | AcdError::MessageTooLong { .. }
            | AcdError::EmptyMessage
            | AcdError::TranscriptFull { .. }
            | AcdError::HoldsConversations { .. }
            | AcdError::NotHandling { .. }
            | AcdError::UnknownDisposition { .. }
            | AcdError::NotesTooLong { .. }
            | AcdError::DispositionRequired { .. }
            | AcdError::AgentNotOnCall { .. }
            | AcdError::NotMonitoring { .. }
            | AcdError::TooManyMonitors { .. }
            | AcdError::NotSupported { .. }
            | AcdError::ConsultInProgress(_)
            | AcdError::NotConsulting(_)
            | AcdError::ConsultNotAnswered(_)
            | AcdError::BadTicker(_)
            | AcdError::BadDisplayName { .. }
            | AcdError::DuplicateDisplay(_)
            | AcdError::TooManyDisplays { .. }
            | AcdError::UnknownDisplay(_) => {}
        }
    }
    all
}

/// Every error code a client can receive in `error.code`.
fn error_codes() -> BTreeSet<&'static str> {
    let protocol = protocol_errors()
        .iter()
        .map(ProtocolError::code)
        .collect::<Vec<_>>();
    let core = acd_errors().iter().map(AcdError::code).collect::<Vec<_>>();
    protocol.into_iter().chain(core).collect()
}

/// Every agent state name on the wire.
fn state_names() -> BTreeSet<&'static str> {
    use AgentStatusKind::*;
    let all = [LoggedOut, NotReady, Ready, Ringing, OnCall, WrapUp];
    for kind in all {
        match kind {
            LoggedOut | NotReady | Ready | Ringing | OnCall | WrapUp => {}
        }
    }
    all.into_iter().map(AgentStatusKind::name).collect()
}

/// Why an offer of a call ends: `offer_cancelled`'s reasons. (`customer_left` ends only the
/// offer of a conversation.)
fn offer_end_reasons() -> BTreeSet<&'static str> {
    use OfferEndReason::*;
    let all = [Rejected, RingNoAnswer, CallerHungUp];
    for reason in [Rejected, RingNoAnswer, CallerHungUp, CustomerLeft] {
        match reason {
            Rejected | RingNoAnswer | CallerHungUp => {}
            CustomerLeft => {}
        }
    }
    all.into_iter().map(OfferEndReason::name).collect()
}

fn overflow_reasons() -> BTreeSet<&'static str> {
    use OverflowReason::*;
    let all = [MaxWait, Escalation, Moved];
    for reason in all {
        match reason {
            MaxWait | Escalation | Moved => {}
        }
    }
    all.into_iter().map(OverflowReason::name).collect()
}

fn call_left_reasons() -> BTreeSet<&'static str> {
    use CallLeftReason::*;
    let all = [Completed, Abandoned, TimedOut, Refused];
    for reason in all {
        match reason {
            Completed | Abandoned | TimedOut | Refused => {}
        }
    }
    all.into_iter().map(CallLeftReason::name).collect()
}

/// Every close code the server uses, by its constant's name.
fn close_codes() -> [(&'static str, u16); 13] {
    [
        ("NORMAL", close::NORMAL),
        ("PROTOCOL_ERROR", close::PROTOCOL_ERROR),
        ("INVALID_PAYLOAD", close::INVALID_PAYLOAD),
        ("POLICY_VIOLATION", close::POLICY_VIOLATION),
        ("MESSAGE_TOO_BIG", close::MESSAGE_TOO_BIG),
        ("INTERNAL_ERROR", close::INTERNAL_ERROR),
        ("SERVICE_RESTART", close::SERVICE_RESTART),
        ("AUTH_TIMEOUT", close::AUTH_TIMEOUT),
        ("HEARTBEAT_TIMEOUT", close::HEARTBEAT_TIMEOUT),
        ("AUTH_FAILED", close::AUTH_FAILED),
        ("SLOW_CONSUMER", close::SLOW_CONSUMER),
        ("TAKEN_OVER", close::TAKEN_OVER),
        ("DISPLAY_REVOKED", close::DISPLAY_REVOKED),
    ]
}

fn client_types() -> BTreeSet<&'static str> {
    ClientMessage::types()
        .iter()
        .map(|(kind, _)| *kind)
        .collect()
}

// ----------------------------------------------------------------------------------------------
// Messages as the server builds them.

fn at(text: &str) -> Timestamp {
    text.parse().unwrap()
}

fn call_data() -> CallData {
    CallData {
        caller: Some("+4930123456".into()),
        dialled: Some("800100".into()),
        attached: BTreeMap::from([
            ("account".to_owned(), "C-10293".to_owned()),
            ("language".to_owned(), "de".to_owned()),
        ]),
    }
}

fn named(pairs: &[(&str, &str)]) -> Vec<Named> {
    pairs
        .iter()
        .map(|(id, name)| Named {
            id: (*id).to_owned(),
            name: (*name).to_owned(),
        })
        .collect()
}

fn auth_result(role: &'static str, user: &str, agent: Option<&str>) -> AuthResult {
    AuthResult {
        user: user.to_owned(),
        role,
        tenant: "demo".into(),
        tenant_name: "Demo Contact Center".into(),
        agent: agent.map(str::to_owned),
        token: "3f6c1e0a9b2d4c8e7f10a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7".into(),
        token_expires_at: outbound::time(at("2023-11-15T10:13:20Z")),
        session: "9d2a4b7c1e3f5a6b8c0d2e4f6a8b0c1d".into(),
        resumed: false,
        queues: [
            ("support", "Customer Support", "voice"),
            ("sales", "Sales", "voice"),
            ("chat", "Web Chat", "chat"),
        ]
        .map(|(id, name, channel)| outbound::NamedQueue {
            id: id.into(),
            name: name.into(),
            channel: channel.into(),
            dispositions: if id == "support" {
                named(&[("resolved", "Resolved"), ("callback", "Callback arranged")])
            } else {
                Vec::new()
            },
            disposition_required: id == "support",
            thresholds: outbound::QueueThresholds {
                waiting: (id == "support").then_some([5, 10]),
                oldest_wait_secs: (id == "support").then_some([60, 180]),
                abandonment_percent: (id == "support").then_some([5.0, 10.0]),
            },
        })
        .into(),
        agents: named(&[("agent1", "Alex Becker"), ("agent2", "Bianca Schulz")]),
        not_ready_reasons: named(&[("break", "Break"), ("lunch", "Lunch")]),
        alerts: outbound::Alerts {
            not_ready_secs: Some(900),
            wrap_up_secs: Some(120),
            hold_secs: None,
        },
        data_labels: named(&[("customer", "Customer no."), ("language", "Language")]),
        telephony: outbound::Telephony {
            consult: true,
            conference: true,
        },
    }
}

/// `hello`, `ack` and `error` as the server writes them, in each of their forms.
fn replies() -> Vec<Reply> {
    let mut replies = vec![
        Reply::Hello {
            protocol: SUBPROTOCOL,
            server: format!("acdhub/{}", env!("CARGO_PKG_VERSION")),
            auth_timeout_secs: Limits::default().auth_timeout.as_secs(),
            heartbeat_secs: Limits::default().ping_interval.as_secs(),
            link: None,
            time: "2023-11-14T22:13:05.001Z".into(),
        },
        Reply::Hello {
            protocol: SUBPROTOCOL,
            server: format!("acdhub/{}", env!("CARGO_PKG_VERSION")),
            auth_timeout_secs: Limits::default().auth_timeout.as_secs(),
            heartbeat_secs: Limits::default().ping_interval.as_secs(),
            link: Some("5f0e9c2b7a1d4e6f8a0b2c4d6e8f0a1b3c5d7e9f1a2b4c6d8e0f1a3b5c7d9e1f".into()),
            time: "2023-11-14T22:13:05.001Z".into(),
        },
        Reply::Heartbeat {
            time: "2023-11-14T22:13:30.001Z".into(),
        },
        Reply::Ack {
            id: "2".into(),
            result: None,
        },
    ];
    for (role, user, agent) in [
        ("agent", "agent1", Some("agent1")),
        ("wallboard", "wallboard", None),
        ("supervisor", "supervisor", None),
        ("telephony", "pbx", None),
    ] {
        replies.push(Reply::Ack {
            id: "1".into(),
            result: Some(serde_json::to_value(auth_result(role, user, agent)).unwrap()),
        });
    }
    // A display's sign-in: a wallboard named by its display, its token the display's, which
    // does not expire.
    let mut display = auth_result("wallboard", "lobby-tv", None);
    display.token = DISPLAY_TOKEN.into();
    display.token_expires_at = outbound::time(Timestamp::MAX);
    replies.push(Reply::Ack {
        id: "1".into(),
        result: Some(serde_json::to_value(display).unwrap()),
    });
    // `create_display` and `list_displays`, with displays and without.
    let created = outbound::CreatedDisplay {
        name: "lobby-tv".into(),
        token: DISPLAY_TOKEN.into(),
    };
    replies.push(Reply::Ack {
        id: "23".into(),
        result: Some(serde_json::to_value(created).unwrap()),
    });
    for count in [1, 0] {
        let displays = outbound::DisplayList {
            displays: (0..count)
                .map(|_| outbound::ListedDisplay {
                    name: "lobby-tv".into(),
                    created_by: "supervisor".into(),
                    created_at: outbound::time(at("2023-11-14T22:13:20.512Z")),
                })
                .collect(),
        };
        replies.push(Reply::Ack {
            id: "24".into(),
            result: Some(serde_json::to_value(displays).unwrap()),
        });
    }
    // `list_agents`: a page with more after it, and the last one.
    let listed = |id: &str, name: &str, state| outbound::ListedAgent {
        id: id.into(),
        name: name.into(),
        state,
    };
    for next in [Some("agent2".to_owned()), None] {
        let page = outbound::AgentPage {
            agents: vec![
                listed("agent1", "Alex Becker", "on_call"),
                listed("agent2", "Bianca Schulz", "ready"),
            ],
            next,
        };
        replies.push(Reply::Ack {
            id: "7".into(),
            result: Some(serde_json::to_value(page).unwrap()),
        });
    }
    // `my_day`: an agent's day before its first call, and after two (one with a disposition,
    // one without; one with a caller's number, one without), read from a real core.
    let (mut acd, start) = crate::support::acd(
        "queue support wrap_up 20s dispositions resolved,callback
         agent agent1 support 1",
    );
    let script = [
        (0, "login agent1"),
        (1, "ready agent1"),
        (2, "call c1 in support from +4930123"),
        (3, "accept agent1 c1"),
        (9, "hold agent1 c1"),
        (12, "resume agent1 c1"),
        (20, "dispose agent1 c1 callback Monday"),
        (21, "hangup agent1 c1"),
        (25, "end_wrap_up agent1"),
        (30, "call c2 in support"),
        (31, "accept agent1 c2"),
        (40, "hangup agent1 c2"),
        (70, "tick"),
    ];
    // Each read as both replies at once: a day borrows the core it is read from.
    let read = |acd: &Acd| {
        let view = acd.agent_day(&AgentId::new("agent1")).unwrap();
        (
            outbound::MyDay::new(&view),
            outbound::AgentToday::new("agent1", &view),
        )
    };
    let mut days = vec![read(&acd)];
    for (secs, command) in script {
        let now = start + jiff::SignedDuration::from_secs(secs);
        match command {
            "tick" => acd.handle_timeout(now),
            _ => acd
                .handle(crate::support::parse_command(command).unwrap(), now)
                .unwrap_or_else(|e| panic!("at {secs} s: {e}")),
        }
    }
    days.push(read(&acd));
    assert_eq!(days[1].0.handled, 2);
    for (day, _) in &days {
        replies.push(Reply::Ack {
            id: "17".into(),
            result: Some(serde_json::to_value(day).unwrap()),
        });
    }
    // `agents_today`: a page with more after it, and the last one.
    for next in [Some("agent1".to_owned()), None] {
        let page = outbound::AgentsTodayPage {
            agents: days.iter().map(|(_, today)| today.clone()).collect(),
            next,
        };
        replies.push(Reply::Ack {
            id: "22".into(),
            result: Some(serde_json::to_value(page).unwrap()),
        });
    }
    // `list_queues`, as the engine builds it, with a call waiting and without.
    for waiting in [None, Some(at("2023-11-14T22:14:02.250Z"))] {
        let list = outbound::QueueList {
            queues: vec![outbound::ListedQueue {
                id: "support".into(),
                name: "Customer Support".into(),
                channel: "voice".into(),
                waiting: waiting.map_or(0, |_| 1),
                oldest_waiting_since: waiting.map(outbound::time),
                agents_ready: 0,
                agents_logged_in: 1,
            }],
        };
        replies.push(Reply::Ack {
            id: "18".into(),
            result: Some(serde_json::to_value(list).unwrap()),
        });
    }
    // `what_if`: Erlang A, Erlang C, overloaded, nobody working, and nothing to go on, from
    // the window of protocol.md's example.
    let window = what_if_example().2.window;
    let nobody_left = staffing::Window {
        abandoned: 0,
        abandon_wait_secs: 0.0,
        ..window.clone()
    };
    let empty = staffing::Window::empty(window.start, window.secs);
    let supposing = |agents| staffing::Hypothesis {
        agents: Some(agents),
        ..staffing::Hypothesis::default()
    };
    for (window, hypothesis, model) in [
        (window, supposing(12), Some("erlang_a")),
        (nobody_left.clone(), supposing(14), Some("erlang_c")),
        (nobody_left, supposing(11), Some("erlang_c")),
        (empty.clone(), supposing(0), None),
        (empty, staffing::Hypothesis::default(), None),
    ] {
        let queue = staffing::Queue {
            id: "support".into(),
            window,
            agents_working: 11,
            service_level: acdhub::acd::config::QueueConfig::new("support").service_level,
        };
        let answer = staffing::answer(queue, at("2023-11-14T22:15:00Z"), hypothesis);
        assert_eq!(answer.model, model);
        replies.push(Reply::Ack {
            id: "12".into(),
            result: Some(serde_json::to_value(answer).unwrap()),
        });
    }
    for error in protocol_errors() {
        replies.push(Reply::Error {
            id: Some("7".into()),
            code: error.code(),
            message: error.to_string(),
        });
    }
    for error in acd_errors() {
        replies.push(Reply::Error {
            id: Some("7".into()),
            code: error.code(),
            message: error.to_string(),
        });
    }
    replies.push(Reply::Error {
        id: None,
        code: ProtocolError::BinaryFrame.code(),
        message: ProtocolError::BinaryFrame.to_string(),
    });
    replies
}

/// Every event in every form its fields take: each agent state, each reason, each transfer
/// target, each call status, with and without optional parts.
fn literal_events() -> Vec<Event> {
    let since = at("2023-11-14T22:13:26.512Z");
    let deadline = at("2023-11-14T22:13:46.512Z");
    let call = || CallId::new(CALL);
    let statuses = [
        AgentStatus::LoggedOut,
        AgentStatus::NotReady {
            reason: ReasonCode::new("break"),
        },
        AgentStatus::Ready,
        AgentStatus::Ringing { call: call() },
        AgentStatus::OnCall {
            call: call(),
            on_hold: false,
        },
        AgentStatus::OnCall {
            call: call(),
            on_hold: true,
        },
        AgentStatus::WrapUp {
            call: call(),
            deadline,
        },
    ];
    let mut events = Vec::new();
    // On a call the server always says its time on hold (the core's Holds).
    let with_holds = |mut state: AgentState, status: &AgentStatus| {
        if let AgentStatus::OnCall { on_hold, .. } = status {
            state.set_holds(Some(acdhub::acd::Holds {
                held_since: on_hold.then_some(since),
                held_ms: 0,
            }));
        }
        state
    };
    for status in &statuses {
        for previous in [None, Some("ready"), Some("on_call")] {
            let state = AgentState::new("agent1", status, since, previous);
            events.push(Event::AgentState(with_holds(state, status)));
        }
    }
    // What a supervisor's action caused, and a supervisor's snapshot.
    let mut forced = AgentState::new("agent1", &statuses[1], since, Some("ready"));
    forced.by = Some("supervisor".into());
    events.push(Event::AgentState(forced));
    let mut snapshot = AgentState::new("agent1", &statuses[3], since, None);
    snapshot.queues = Some(vec!["support".into(), "general".into()]);
    events.push(Event::AgentState(snapshot));
    // A phone's state, in a change of the phone alone and in a snapshot.
    for device in DeviceState::ALL {
        let mut changed = AgentState::new("agent1", &statuses[2], since, Some("ready"));
        changed.device = Some(device.name());
        events.push(Event::AgentState(changed));
        let mut snapshot = AgentState::snapshot(&acdhub::acd::AgentView {
            id: AgentId::new("agent1"),
            name: "Alex".into(),
            status: statuses[1].clone(),
            since,
            pending: None,
            skills: Vec::new(),
            ring_no_answer_streak: 0,
            blocked_until: None,
            device: Some(device),
            holds: None,
            monitors: Vec::new(),
        });
        snapshot.queues = Some(vec!["support".into()]);
        events.push(Event::AgentState(snapshot));
    }
    // On a call: its time on hold, while on hold and after.
    for held_since in [Some(since), None] {
        let on_call = AgentStatus::OnCall {
            call: CallId::new("pbx-1700000000.57"),
            on_hold: held_since.is_some(),
        };
        let mut held = AgentState::new("agent1", &on_call, since, Some("on_call"));
        held.set_holds(Some(acdhub::acd::Holds {
            held_since,
            held_ms: 12_345,
        }));
        events.push(Event::AgentState(held));
    }
    for pending in [
        None,
        Some(PendingState::LoggedOut),
        Some(PendingState::NotReady {
            reason: ReasonCode::new("lunch"),
        }),
    ] {
        for by in [None, Some("supervisor".to_owned())] {
            events.push(Event::PendingState {
                agent: "agent1".into(),
                pending: pending.as_ref().map(Pending::from),
                by,
            });
        }
    }
    for data in [call_data(), CallData::default()] {
        events.push(Event::Offer(Offer::new(
            CALL, "agent1", "support", 0, &data, deadline,
        )));
    }
    for reason in [
        OfferEndReason::Rejected,
        OfferEndReason::RingNoAnswer,
        OfferEndReason::CallerHungUp,
    ] {
        events.push(Event::OfferCancelled {
            call: CALL.into(),
            agent: "agent1".into(),
            reason: reason.name(),
        });
    }
    events.push(Event::CallConnected {
        call: CALL.into(),
        agent: "agent1".into(),
        queue: "support".into(),
        caller: None,
    });
    events.push(Event::CallConnected {
        call: CALL.into(),
        agent: "agent1".into(),
        queue: "support".into(),
        caller: Some(CallerDetails {
            caller: Some("+4930123456".into()),
            dialled: None,
            data: [("account".to_owned(), "C-10293".to_owned())].into(),
        }),
    });
    events.push(Event::CallHeld {
        call: CALL.into(),
        agent: "agent1".into(),
    });
    events.push(Event::CallResumed {
        call: CALL.into(),
        agent: "agent1".into(),
    });
    // A supervisor on the call in each mode, and leaving it both ways.
    let monitoring = |mode: Option<MonitorMode>, ended: Option<MonitorEnd>| Event::Monitoring {
        agent: "agent1".into(),
        call: CALL.into(),
        supervisor: "supervisor".into(),
        mode: mode.map(MonitorMode::name),
        ended: ended.map(MonitorEnd::name),
    };
    for mode in MonitorMode::ALL {
        events.push(monitoring(Some(mode), None));
    }
    for ended in [MonitorEnd::Ended, MonitorEnd::CallLeft] {
        events.push(monitoring(None, Some(ended)));
    }
    // A consultation in each state, with the caller's details as it rings, and each end.
    let consultation = |status: Option<ConsultStatus>, ended: Option<ConsultEnd>| {
        let ringing = matches!(status, Some(ConsultStatus::Ringing { .. }));
        Event::Consultation(Consultation::new(
            (CALL, "agent1", "agent2", "support"),
            status,
            ended,
            ringing.then(|| CallerDetails {
                caller: Some("+4930123456".into()),
                dialled: Some("800100".into()),
                data: [("account".to_owned(), "C-10293".to_owned())].into(),
            }),
        ))
    };
    for status in [
        ConsultStatus::Ringing {
            ring_deadline: deadline,
        },
        ConsultStatus::Talking,
        ConsultStatus::Conference,
    ] {
        events.push(consultation(Some(status), None));
    }
    for ended in [
        ConsultEnd::Cancelled,
        ConsultEnd::Rejected,
        ConsultEnd::RingNoAnswer,
        ConsultEnd::Left,
        ConsultEnd::Transferred,
        ConsultEnd::CallEnded,
    ] {
        events.push(consultation(None, Some(ended)));
    }
    // The wallboards' message, set and cleared.
    for text in [Some("Billing system down, tell callers we call back"), None] {
        events.push(Event::Ticker {
            text: text.map(str::to_owned),
            by: "supervisor".into(),
            at: outbound::time(since),
        });
    }
    for target in [
        TransferTarget::Queue(QueueId::new("sales")),
        TransferTarget::Agent(AgentId::new("agent2")),
    ] {
        let (to_queue, to_agent) = outbound::transfer_target(&target);
        events.push(Event::CallTransferred {
            call: CALL.into(),
            agent: "agent1".into(),
            to_queue,
            to_agent,
        });
    }
    for reason in [
        CallLeftReason::Completed,
        CallLeftReason::Abandoned,
        CallLeftReason::TimedOut,
        CallLeftReason::Refused,
    ] {
        events.push(Event::CallLeft {
            call: CALL.into(),
            queue: "support".into(),
            reason: reason.name(),
        });
    }
    let waiting = CallView {
        id: CallId::new(CALL2),
        queue: QueueId::new("general"),
        priority: 10,
        data: Arc::new(CallData::default()),
        arrived_at: at("2023-11-14T22:14:02.25Z"),
        entered_queue_at: at("2023-11-14T22:15:02.25Z"),
        status: CallStatus::Waiting { min_skill: 1 },
        consult: None,
    };
    for reason in [
        OverflowReason::MaxWait,
        OverflowReason::Escalation,
        OverflowReason::Moved,
    ] {
        let mut state = CallState::from(&waiting).changed_queue(&QueueId::new("support"), reason);
        if reason == OverflowReason::Moved {
            state.by = Some("supervisor".into());
        }
        events.push(Event::CallState(state));
    }
    let mut raised = CallState::from(&waiting);
    raised.by = Some("supervisor".into());
    events.push(Event::CallState(raised));
    for status in [
        CallStatus::Waiting { min_skill: 3 },
        CallStatus::Ringing {
            agent: AgentId::new("agent1"),
            direct: false,
            ring_deadline: deadline,
        },
        CallStatus::Connected {
            agent: AgentId::new("agent1"),
            on_hold: true,
        },
    ] {
        events.push(Event::CallState(CallState::from(&CallView {
            id: CallId::new(CALL2),
            queue: QueueId::new("support"),
            priority: 10,
            data: Arc::new(CallData {
                caller: Some("+4989555123".into()),
                dialled: None,
                attached: BTreeMap::new(),
            }),
            arrived_at: at("2023-11-14T22:14:02.25Z"),
            entered_queue_at: at("2023-11-14T22:14:02.25Z"),
            status,
            consult: None,
        })));
    }
    events.push(Event::QueueWaiting {
        queue: "support".into(),
        channel: "voice".into(),
        waiting: 0,
        oldest_waiting_since: None,
    });
    events.push(Event::QueueWaiting {
        queue: "support".into(),
        channel: "voice".into(),
        waiting: 2,
        oldest_waiting_since: Some(outbound::time(at("2023-11-14T22:14:02.25Z"))),
    });
    // Statistics before the first call: every derived figure is still null.
    let config = acdhub::demo::demo().tenants[0].acd.clone();
    let fresh = Acd::new(config, at("2023-11-14T22:01:00Z")).unwrap();
    for queue in fresh.queue_ids() {
        events.extend(queue_events(&fresh, queue));
    }
    events.push(tenant_event(&fresh, ServiceLevelVariant::Answered));
    events.extend(conversation_events());
    events
}

/// Every conversation event in every form: each status of `conversation_state` (with and
/// without transcript), each reason, each author, each transfer target.
fn conversation_events() -> Vec<Event> {
    let start = at("2023-11-14T22:13:08.120Z");
    let (mut acd, _) = crate::support::acd(
        "routing reject_delay 0s
         channel chat capacity 3
         queue chat channel chat wrap_up 60s
         queue billing channel chat
         queue full channel chat max_length 0
         queue slow channel chat max_wait 10s
         agent agent1 chat 1 billing 1
         agent agent2 chat 1",
    );
    let mut events = Vec::new();
    let mut states = Vec::new();
    let script = [
        (0, "chat k1 in chat says hello"),
        (1, "login agent1"),
        (1, "ready agent1"),
        (2, "writes k1 are_you_there?"),
        (3, "take agent1 k1"),
        (4, "reply agent1 k1 yes"),
        (5, "chat k2 in chat"),
        (6, "decline agent1 k2"),
        (7, "pass agent1 k1 to queue billing"),
        (8, "take agent1 k1"),
        (9, "login agent2"),
        (9, "ready agent2"),
        (10, "leaves k2"),
        (11, "pass agent1 k1 to agent agent2"),
        (12, "take agent2 k1"),
        (13, "close agent2 k1"),
        (14, "logout agent2"),
        (15, "chat k3 in chat"),
        (16, "take agent1 k3"),
        (17, "leaves k3"),
        (18, "done agent1 k3"),
        (19, "chat k5 in full"),
        (20, "chat k6 in slow"),
        (40, "chat k7 in chat"),
        (80, "tick"),
    ];
    for (secs, command) in script {
        let now = start + jiff::SignedDuration::from_secs(secs);
        match command {
            "tick" => acd.handle_timeout(now),
            _ => {
                let command = crate::support::parse_command(command).unwrap();
                acd.handle(command, now)
                    .unwrap_or_else(|e| panic!("at {secs} s: {e}"));
            }
        }
        while let Some(event) = acd.poll_event() {
            events.extend(messaging::wire_event(&event));
        }
        for view in acd.conversations() {
            for with in [true, false] {
                let state = ConversationState::new(&view, with);
                states.push(Event::ConversationState(Box::new(state)));
            }
        }
    }
    events.extend(states);
    events
}

fn queue_events(acd: &Acd, queue: &QueueId) -> Vec<Event> {
    let stats = acd.queue_stats(queue).unwrap();
    vec![
        Event::QueueWaiting {
            queue: queue.to_string(),
            channel: stats.channel_name().to_owned(),
            waiting: stats.waiting,
            oldest_waiting_since: stats.oldest_waiting_since.map(outbound::time),
        },
        Event::QueueStats(Box::new(QueueStatistics::new(&stats, acd.now()))),
    ]
}

fn tenant_event(acd: &Acd, variant: ServiceLevelVariant) -> Event {
    let totals = TenantStatistics::new(&acd.tenant_stats(), variant, acd.now());
    Event::TenantStats(Box::new(totals))
}

/// protocol.md's `what_if` example: the request, the answer, and the answer computed again
/// from the window, the agents working and the service level it shows.
fn what_if_example() -> (Value, Value, staffing::Staffing) {
    let doc = protocol_md();
    let section = &doc[doc.find("### `what_if`").unwrap()..];
    let mut blocks = section.split("```json\n").skip(1).map(|block| {
        let json = &block[..block.find("```").unwrap()];
        serde_json::from_str::<Value>(json).unwrap()
    });
    let (request, reply) = (blocks.next().unwrap(), blocks.next().unwrap());
    let shown = &reply["result"];
    let level = &shown["service_level"];
    let mut service_level = acdhub::acd::config::QueueConfig::new("q").service_level;
    service_level.threshold =
        std::time::Duration::from_secs(level["threshold_secs"].as_u64().unwrap());
    service_level.target_percent = level["target_percent"].as_f64().unwrap();
    service_level.variant =
        ServiceLevelVariant::from_name(level["variant"].as_str().unwrap()).unwrap();
    let queue = staffing::Queue {
        id: shown["queue"].as_str().unwrap().into(),
        window: serde_json::from_value(shown["window"].clone()).unwrap(),
        agents_working: shown["agents_working"].as_u64().unwrap() as u32,
        service_level,
    };
    let hypothesis = staffing::Hypothesis {
        agents: request["agents"].as_u64().map(|n| n as u32),
        ..staffing::Hypothesis::default()
    };
    let answer = staffing::answer(queue, at(shown["at"].as_str().unwrap()), hypothesis);
    (request, reply, answer)
}

/// The example in protocol.md is what the server answers to its request on its window.
#[test]
fn protocol_md_s_what_if_example_is_what_the_server_computes() {
    let (request, reply, answer) = what_if_example();
    check_client_message(&request);
    check_server_message(&reply.to_string());
    assert_eq!(reply["result"], serde_json::to_value(answer).unwrap());
}

fn examples(side: &str) -> BTreeMap<String, Value> {
    schema::json_files(&schema::protocol_dir().join("examples").join(side))
        .into_iter()
        .map(|(kind, path)| (kind, schema::read_json(&path)))
        .collect()
}

fn schema_files(side: &str) -> BTreeSet<String> {
    schema::json_files(&schema::protocol_dir().join("schemas").join(side))
        .into_keys()
        .collect()
}

fn protocol_md() -> String {
    std::fs::read_to_string(schema::protocol_dir().join("protocol.md")).unwrap()
}

/// Whether two messages have the same structure: the same fields at every level, each of the
/// same JSON kind where both are non-null. Maps whose keys are data (attached data, counts by
/// reason) only need to be maps.
fn same_shape(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter().all(|(key, a)| {
                    b.get(key).is_some_and(|b| match key.as_str() {
                        "data" | "not_ready_by_reason" => a.is_object() && b.is_object(),
                        // Its `today` is a map of codes, beside a `none_today` count.
                        "dispositions" if a.get("today").is_some_and(Value::is_object) => {
                            let keys = |v: &Value| v.as_object().map(|o| o.keys().len());
                            keys(a) == keys(b)
                                && b["today"].is_object()
                                && a["none_today"].is_u64()
                                && b["none_today"].is_u64()
                        }
                        _ => same_shape(a, b),
                    })
                })
        }
        (Value::Array(a), Value::Array(b)) => a
            .iter()
            .all(|a| b.is_empty() || b.iter().any(|b| same_shape(a, b))),
        (Value::Null, _) | (_, Value::Null) => true,
        (Value::String(_), Value::String(_))
        | (Value::Number(_), Value::Number(_))
        | (Value::Bool(_), Value::Bool(_)) => true,
        _ => false,
    }
}

fn serialized(event: &Event, seq: u64) -> String {
    outbound::with_seq(seq, &event.payload())
}

// ----------------------------------------------------------------------------------------------
// (a) The schemas are schemas, and the examples follow them.

#[test]
fn every_schema_file_is_a_valid_draft_2020_12_schema_that_compiles_offline() {
    let schemas = schemas();
    assert!(schemas.documents.len() > 30, "schemas were not found");
    for (name, document) in &schemas.documents {
        assert_eq!(
            document["$schema"], "https://json-schema.org/draft/2020-12/schema",
            "protocol/schemas/{name}: declare draft 2020-12"
        );
        if let Err(error) = jsonschema::meta::validate(document) {
            panic!("protocol/schemas/{name} is not a valid schema: {error}");
        }
    }
    // Compiling resolved every `$ref` from the registry: `schemas()` panics otherwise.
    assert_eq!(schemas.client.len(), client_types().len());
}

#[test]
fn every_example_is_valid_against_its_schema_and_names_its_type() {
    for (side, examples) in [
        ("client", examples("client")),
        ("server", examples("server")),
    ] {
        assert!(!examples.is_empty(), "no {side} examples");
        for (kind, example) in &examples {
            assert_eq!(
                example["type"], **kind,
                "protocol/examples/{side}/{kind}.json has another `type`"
            );
            if side == "client" {
                check_client_message(example);
            } else {
                check_server_message(&example.to_string());
            }
        }
    }
}

#[test]
fn the_schemas_refuse_what_the_server_never_sends() {
    let offer = examples("server")["offer"].clone();
    let broken = [
        ("a field the code does not have", {
            let mut v = offer.clone();
            v["agent_name"] = json!("Alex Becker");
            v
        }),
        ("no seq", {
            let mut v = offer.clone();
            v.as_object_mut().unwrap().remove("seq");
            v
        }),
        ("seq 0", {
            let mut v = offer.clone();
            v["seq"] = json!(0);
            v
        }),
        ("a timestamp without milliseconds", {
            let mut v = offer.clone();
            v["ring_deadline"] = json!("2023-11-14T22:13:40Z");
            v
        }),
        ("a local time", {
            let mut v = offer.clone();
            v["ring_deadline"] = json!("2023-11-14T23:13:40.000+01:00");
            v
        }),
        ("caller left out instead of null", {
            let mut v = offer.clone();
            v.as_object_mut().unwrap().remove("caller");
            v
        }),
    ];
    let validator = &schemas().server["offer"];
    for (what, value) in broken {
        assert!(
            !validator.is_valid(&value),
            "offer.json accepts {what}: {value}"
        );
    }
    let on_call_without_hold = json!({"seq": 1, "type": "agent_state", "agent": "agent1",
        "state": "on_call", "since": "2023-11-14T22:13:26.512Z", "call": CALL});
    assert!(!schemas().server["agent_state"].is_valid(&on_call_without_hold));
    let ready_with_call = json!({"seq": 1, "type": "agent_state", "agent": "agent1",
        "state": "ready", "since": "2023-11-14T22:13:26.512Z", "call": CALL});
    assert!(!schemas().server["agent_state"].is_valid(&ready_with_call));
}

// ----------------------------------------------------------------------------------------------
// (b) One schema and one example per message, and none for messages that do not exist.

#[test]
fn every_client_type_has_exactly_one_schema_and_one_example() {
    let types: BTreeSet<String> = client_types().into_iter().map(str::to_owned).collect();
    assert_eq!(
        types.len(),
        ClientMessage::types().len(),
        "a type is listed twice"
    );
    assert_eq!(
        schema_files("client"),
        types,
        "protocol/schemas/client/ must hold one file per client type, and only those"
    );
    let examples: BTreeSet<String> = examples("client").into_keys().collect();
    assert_eq!(
        examples, types,
        "protocol/examples/client/ must hold one file per client type, and only those"
    );
}

#[test]
fn every_server_message_has_exactly_one_schema_and_one_example() {
    let mut types: BTreeSet<String> = replies().iter().map(|r| reply_type(r).to_owned()).collect();
    let events = literal_events();
    types.extend(events.iter().map(|e| event_type(e).to_owned()));
    assert_eq!(
        types.len(),
        28,
        "hello, heartbeat, ack, error and twenty-four events"
    );
    assert_eq!(
        schema_files("server"),
        types,
        "protocol/schemas/server/ must hold one file per server message, and only those"
    );
    let examples: BTreeSet<String> = examples("server").into_keys().collect();
    assert_eq!(
        examples, types,
        "protocol/examples/server/ must hold one file per server message, and only those"
    );
}

// ----------------------------------------------------------------------------------------------
// (c) What the examples show, the server accepts.

#[test]
fn every_client_example_parses_as_its_type() {
    for (kind, example) in examples("client") {
        let envelope = inbound::parse(&example.to_string())
            .unwrap_or_else(|(_, error)| panic!("examples/client/{kind}.json is refused: {error}"));
        assert_eq!(envelope.message.type_name(), kind);
        assert_eq!(envelope.id, example["id"].as_str().unwrap());
    }
    // The attached data of the example arrives whole.
    let arrived = inbound::parse(&examples("client")["call_arrived"].to_string()).unwrap();
    match arrived.message {
        ClientMessage::CallArrived { data, caller, .. } => {
            assert_eq!(data["account"], "C-10293");
            assert_eq!(caller.as_deref(), Some("+4930123456"));
        }
        other => panic!("call_arrived parsed as {other:?}"),
    }
}

#[test]
fn the_schemas_and_the_parser_agree_on_missing_and_unknown_fields() {
    for (kind, example) in examples("client") {
        let validator = &schemas().client[&kind];
        let fields: Vec<String> = example
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| *k != "type")
            .cloned()
            .collect();
        for field in fields {
            let mut without = example.clone();
            without.as_object_mut().unwrap().remove(&field);
            let parsed = inbound::parse(&without.to_string());
            assert_eq!(
                validator.is_valid(&without),
                parsed.is_ok(),
                "{kind} without `{field}`: the schema says {}, the server says {:?}",
                validator.is_valid(&without),
                parsed.err().map(|(_, e)| e.to_string())
            );
        }
        let mut extra = example.clone();
        extra["colour"] = json!("blue");
        assert!(
            !validator.is_valid(&extra),
            "{kind}.json allows unknown fields"
        );
        let (id, error) = inbound::parse(&extra.to_string()).unwrap_err();
        assert_eq!(error.code(), "bad_message");
        assert_eq!(id.as_deref(), example["id"].as_str());

        let mut long_id = example.clone();
        long_id["id"] = json!("x".repeat(MAX_ID_LEN + 1));
        assert!(!validator.is_valid(&long_id));
        assert!(inbound::parse(&long_id.to_string()).is_err());
    }
    // Both sides of the exactly-one rules.
    let both =
        json!({"id": "1", "type": "transfer", "call": CALL, "queue": "sales", "agent": "agent2"});
    assert!(!schemas().client["transfer"].is_valid(&both));
    assert!(inbound::parse(&both.to_string()).is_err());
    let reason_with_ready = json!({"id": "1", "type": "force_state", "agent": "agent2", "state": "ready", "reason": "break"});
    assert!(!schemas().client["force_state"].is_valid(&reason_with_ready));
    assert!(inbound::parse(&reason_with_ready.to_string()).is_err());
    let token_and_password = json!({"id": "1", "type": "auth", "token": "t", "password": "demo"});
    assert!(!schemas().client["auth"].is_valid(&token_and_password));
    assert!(inbound::parse(&token_and_password.to_string()).is_err());
    let token = json!({"id": "1", "type": "auth", "token": "3f6c1e0a9b2d4c8e7f10a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f7"});
    check_client_message(&token);
    assert!(inbound::parse(&token.to_string()).is_ok());
}

// ----------------------------------------------------------------------------------------------
// (d) What the serializer writes follows the schemas, and the examples look like it.

#[test]
fn every_event_and_reply_the_serializer_builds_matches_its_schema() {
    let mut seen = BTreeSet::new();
    for reply in replies() {
        let value = check_server_message(&reply.to_json());
        assert!(value.get("seq").is_none(), "replies are not numbered");
        seen.insert(reply_type(&reply));
    }
    for (index, event) in literal_events().iter().enumerate() {
        let value = check_server_message(&serialized(event, index as u64 + 1));
        assert_eq!(value["seq"], index + 1);
        seen.insert(event_type(event));
    }
    assert_eq!(seen.len(), 28, "every server message was built: {seen:?}");
}

#[test]
fn server_examples_have_exactly_the_fields_the_serializer_writes() {
    // Everything the serializer was made to write above, by type: each example must have the
    // fields (and JSON kinds) of one of them, so an example cannot show a field the server does
    // not send, or miss one it does.
    let mut built: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for reply in replies() {
        built
            .entry(reply_type(&reply))
            .or_default()
            .push(serde_json::from_str(&reply.to_json()).unwrap());
    }
    for event in literal_events().iter() {
        built
            .entry(event_type(event))
            .or_default()
            .push(serde_json::from_str(&serialized(event, 1)).unwrap());
    }
    for (kind, example) in examples("server") {
        let candidates = &built[kind.as_str()];
        assert!(
            candidates.iter().any(|built| same_shape(&example, built)),
            "examples/server/{kind}.json has fields the server never writes together:\n  {example}\n\
             what the server writes, for instance:\n  {}",
            candidates[0]
        );
    }
}

#[test]
fn timestamps_are_utc_with_milliseconds_always() {
    let timestamp = schemas().documents["common.json"]["$defs"]["timestamp"].clone();
    let validator = jsonschema::validator_for(&timestamp).unwrap();
    for instant in [
        "2023-11-14T22:13:20Z",
        "2023-11-14T22:13:20.5Z",
        "2023-11-14T22:13:20.123456789Z",
        "1999-12-31T23:59:59.999Z",
    ] {
        let text = outbound::time(at(instant));
        assert!(
            validator.is_valid(&json!(text)),
            "{instant} goes out as {text}"
        );
        assert_eq!(text.len(), "2023-11-14T22:13:20.000Z".len(), "{text}");
    }
    assert_eq!(
        outbound::time(at("2023-11-14T22:13:20Z")),
        "2023-11-14T22:13:20.000Z"
    );
}

#[test]
fn seq_is_the_first_field_and_counts_from_one() {
    let event = Event::CallHeld {
        call: CALL.into(),
        agent: "agent1".into(),
    };
    for seq in [1, 2, 1_000_000] {
        let text = serialized(&event, seq);
        assert!(
            text.starts_with(&format!("{{\"seq\":{seq},\"type\":\"call_held\"")),
            "{text}"
        );
        check_server_message(&text);
    }
    let zero = serde_json::from_str::<Value>(&serialized(&event, 0)).unwrap();
    assert!(
        !schemas().server["call_held"].is_valid(&zero),
        "seq starts at 1"
    );
}

// ----------------------------------------------------------------------------------------------
// The schemas state the code's names, codes and limits.

fn enum_of(document: &Value, pointer: &str) -> BTreeSet<String> {
    document
        .pointer(pointer)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no enum at {pointer}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn owned(set: BTreeSet<&str>) -> BTreeSet<String> {
    set.into_iter().map(str::to_owned).collect()
}

#[test]
fn the_schemas_list_exactly_the_codes_states_and_reasons_of_the_code() {
    let docs = &schemas().documents;
    assert_eq!(
        enum_of(&docs["server/error.json"], "/properties/code/enum"),
        owned(error_codes()),
        "error.json's codes are those of ProtocolError::code and AcdError::code"
    );
    assert_eq!(
        enum_of(&docs["common.json"], "/$defs/agent_state_name/enum"),
        owned(state_names())
    );
    // The names the telephony side sends (serde) are the names the server shows (name()).
    for device in DeviceState::ALL {
        assert_eq!(
            serde_json::to_value(device).unwrap(),
            json!(device.name()),
            "{device:?}"
        );
    }
    assert_eq!(
        enum_of(&docs["common.json"], "/$defs/device_state/enum"),
        owned(
            DeviceState::ALL
                .map(DeviceState::name)
                .into_iter()
                .collect()
        )
    );
    assert_eq!(
        enum_of(
            &docs["server/offer_cancelled.json"],
            "/properties/reason/enum"
        ),
        owned(offer_end_reasons())
    );
    assert_eq!(
        enum_of(&docs["server/call_left.json"], "/properties/reason/enum"),
        owned(call_left_reasons())
    );
    assert_eq!(
        enum_of(
            &docs["server/conversation_left.json"],
            "/properties/reason/enum"
        ),
        owned(call_left_reasons())
    );
    let mut conversation_offer_ends = offer_end_reasons();
    conversation_offer_ends.remove(OfferEndReason::CallerHungUp.name());
    conversation_offer_ends.insert(OfferEndReason::CustomerLeft.name());
    assert_eq!(
        enum_of(
            &docs["server/conversation_offer_cancelled.json"],
            "/properties/reason/enum"
        ),
        owned(conversation_offer_ends)
    );
    assert_eq!(
        enum_of(&docs["server/call_state.json"], "/properties/reason/enum"),
        owned(overflow_reasons())
    );
    let variants: BTreeSet<&str> = ServiceLevelVariant::ALL.iter().map(|v| v.name()).collect();
    assert_eq!(
        enum_of(
            &docs["server/queue_stats.json"],
            "/properties/service_level/properties/variant/enum"
        ),
        owned(variants)
    );
    let roles: BTreeSet<&str> = ClientMessage::types()
        .iter()
        .flat_map(|(_, roles)| roles.iter().copied())
        .collect();
    assert_eq!(
        enum_of(
            &docs["server/ack.json"],
            "/$defs/auth_result/properties/role/enum"
        ),
        owned(roles)
    );
    assert_eq!(
        docs["server/hello.json"]["properties"]["protocol"]["const"],
        SUBPROTOCOL
    );
    assert_eq!(
        docs["common.json"]["$defs"]["command_id"]["maxLength"],
        MAX_ID_LEN
    );
    assert_eq!(
        docs["common.json"]["$defs"]["call_id"]["maxLength"],
        inbound::MAX_NAME_LEN
    );
}

// ----------------------------------------------------------------------------------------------
// (e) protocol.md names everything a client can meet.

/// The rows of the markdown table under `heading`, as cells.
fn table_under(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("protocol.md has no section {heading}"));
    let section = &doc[start + heading.len()..];
    let end = section.find("\n## ").unwrap_or(section.len());
    section[..end]
        .lines()
        .filter(|line| {
            line.starts_with('|') && !line.starts_with("| ---") && !line.starts_with("|---")
        })
        .skip(1)
        .map(|line| {
            line.trim_matches('|')
                .split('|')
                .map(|cell| cell.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn protocol_md_describes_every_message_type() {
    let doc = protocol_md();
    let server = schema_files("server");
    for kind in client_types().into_iter().map(str::to_owned).chain(server) {
        assert!(
            doc.contains(&format!("### `{kind}`")),
            "protocol.md has no section ### `{kind}`"
        );
        assert!(
            doc.contains(&format!("\"type\":\"{kind}\""))
                || doc.contains(&format!("\"type\": \"{kind}\"")),
            "protocol.md shows no `{kind}` message"
        );
    }
}

#[test]
fn protocol_md_lists_every_error_code_and_no_other() {
    let doc = protocol_md();
    let rows = table_under(&doc, "## Error codes");
    let listed: BTreeSet<String> = rows.iter().map(|row| row[0].clone()).collect();
    let mut expected = owned(error_codes());
    expected.insert("origin_not_allowed".into());
    assert_eq!(listed, expected, "the error-code table of protocol.md");
    for row in rows {
        assert!(
            row.len() >= 2 && row[1].len() > 10,
            "say when {} happens",
            row[0]
        );
    }
}

#[test]
fn protocol_md_lists_every_close_code_and_no_other() {
    let doc = protocol_md();
    let rows = table_under(&doc, "## Close codes");
    let listed: BTreeSet<String> = rows.iter().map(|row| row[0].clone()).collect();
    let expected: BTreeSet<String> = close_codes()
        .iter()
        .map(|(_, code)| code.to_string())
        .collect();
    assert_eq!(
        listed, expected,
        "the close-code table of protocol.md (protocol::close)"
    );
}

#[test]
fn protocol_md_states_the_default_limits() {
    let doc = protocol_md();
    let rows = table_under(&doc, "## Limits");
    let limits = Limits::default();
    let expected = [
        ("max_message_bytes", limits.max_message_bytes.to_string()),
        (
            "auth_timeout_secs",
            limits.auth_timeout.as_secs().to_string(),
        ),
        ("auth_attempts", limits.auth_attempts.to_string()),
        (
            "auth_failures_per_address",
            limits.auth_failures_per_address.to_string(),
        ),
        (
            "auth_failures_per_user",
            limits.auth_failures_per_user.to_string(),
        ),
        (
            "ping_interval_secs",
            limits.ping_interval.as_secs().to_string(),
        ),
        (
            "pong_timeout_secs",
            limits.pong_timeout.as_secs().to_string(),
        ),
        ("outbound_queue", limits.outbound_queue.to_string()),
        (
            "bad_messages_per_minute",
            limits.bad_messages_per_minute.to_string(),
        ),
        ("max_connections", limits.max_connections.to_string()),
        (
            "stats_updates_per_sec",
            limits.stats_updates_per_sec.to_string(),
        ),
        (
            "sse_keepalive_secs",
            limits.sse_keepalive.as_secs().to_string(),
        ),
        ("poll_wait_secs", limits.poll_wait.as_secs().to_string()),
        ("replay_events", limits.replay_events.to_string()),
        ("replay_bytes", limits.replay_bytes.to_string()),
        ("resume_secs", limits.resume.as_secs().to_string()),
        (
            "body_timeout_secs",
            limits.body_timeout.as_secs().to_string(),
        ),
        (
            "send_timeout_secs",
            limits.send_timeout.as_secs().to_string(),
        ),
        ("keepalive_requests", limits.keepalive_requests.to_string()),
        (
            "max_sessions_per_principal",
            limits.max_sessions_per_principal.to_string(),
        ),
        (
            "max_parked_sessions",
            limits.max_parked_sessions.to_string(),
        ),
        (
            "unauthenticated_per_address",
            limits.unauthenticated_per_address.to_string(),
        ),
        (
            "telephony_outbound_queue",
            limits.telephony_outbound_queue.to_string(),
        ),
    ];
    for (key, default) in expected {
        let row = rows
            .iter()
            .find(|row| row[0] == key)
            .unwrap_or_else(|| panic!("the limits table has no row `{key}`"));
        assert!(
            row[1].replace(',', "").contains(&default),
            "protocol.md gives `{key}` as {}, the code's default is {default}",
            row[1]
        );
    }
    assert_eq!(
        examples("server")["hello"]["auth_timeout_secs"],
        limits.auth_timeout.as_secs()
    );
    assert!(doc.contains(&format!("`{SUBPROTOCOL}`")));
}

/// Every JSON message shown in protocol.md, with whether it sits in the worked example's
/// transcript (`<` and `>` lines) or in a ```json block.
fn messages_in_protocol_md() -> Vec<(bool, Value)> {
    let doc = protocol_md();
    let mut messages = Vec::new();
    let mut block: Option<&str> = None;
    for line in doc.lines() {
        if let Some(language) = line.strip_prefix("```") {
            block = match block {
                None => Some(language),
                Some(_) => None,
            };
            continue;
        }
        let json = match block {
            Some("json") if !line.trim().is_empty() => Some((false, line)),
            Some("text") => line
                .strip_prefix("< ")
                .or_else(|| line.strip_prefix("> "))
                .map(|json| (true, json)),
            _ => None,
        };
        if let Some((transcript, json)) = json {
            let value = serde_json::from_str(json)
                .unwrap_or_else(|error| panic!("protocol.md shows invalid JSON ({error}): {json}"));
            messages.push((transcript, value));
        }
    }
    messages
}

#[test]
fn every_message_shown_in_protocol_md_is_valid() {
    let messages = messages_in_protocol_md();
    assert!(messages.len() > 60, "protocol.md shows too few messages");
    let clients = client_types();
    for (_, message) in &messages {
        match message["type"].as_str() {
            // HTTP bodies, not messages: a refusal, `/rt/endpoints`, a long-poll's answer.
            None if message.get("code").is_some() => {
                assert_eq!(message["code"], "origin_not_allowed", "{message}")
            }
            None if message.get("wss").is_some() => {
                for key in [
                    "wss",
                    "ws",
                    "sse",
                    "poll",
                    "send",
                    "heartbeat_secs",
                    "nodes",
                ] {
                    assert!(message.get(key).is_some(), "/rt/endpoints has {key}");
                }
            }
            None => {
                assert!(message["link"].is_string(), "a long-poll answer: {message}");
                assert!(message["next"].is_u64(), "{message}");
                for carried in message["messages"].as_array().unwrap() {
                    check_server_message(&carried.to_string());
                }
            }
            Some(kind) if clients.contains(kind) => {
                check_client_message(message);
                inbound::parse(&message.to_string())
                    .unwrap_or_else(|(_, error)| panic!("the server refuses {message}: {error}"));
            }
            Some(_) => {
                check_server_message(&message.to_string());
            }
        }
    }
}

#[test]
fn the_worked_example_numbers_its_events_and_answers_every_command() {
    let transcript: Vec<Value> = messages_in_protocol_md()
        .into_iter()
        .filter_map(|(transcript, message)| transcript.then_some(message))
        .collect();
    assert_eq!(transcript[0]["type"], "hello", "the server speaks first");
    let seqs: Vec<u64> = transcript
        .iter()
        .filter_map(|m| m["seq"].as_u64())
        .collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "seq starts at 1 and counts up by one"
    );
    let clients = client_types();
    let mut open: Vec<String> = Vec::new();
    for message in &transcript {
        let kind = message["type"].as_str().unwrap();
        if clients.contains(kind) {
            assert!(
                open.is_empty(),
                "{message} sent before {open:?} was answered"
            );
            open.push(message["id"].as_str().unwrap().to_owned());
        } else if kind == "ack" || kind == "error" {
            assert_eq!(
                open.pop().as_deref(),
                message["id"].as_str(),
                "a reply to a command that was not sent: {message}"
            );
        }
    }
    assert!(open.is_empty(), "commands without a reply: {open:?}");
}
