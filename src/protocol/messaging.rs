//! What the server says about conversations: the payloads of the `conversation_*` and `message`
//! events (protocol.md, "Conversations"), built from the core's events and views.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::acd::{
    self, Author, CallData, ConversationStatus, ConversationView, Message, TransferTarget,
};

use super::outbound::{Event, time, transfer_target};

/// One message of a transcript, or a `message` event's body.
#[derive(Debug, Clone, Serialize)]
pub struct TranscriptItem {
    /// Its place in the conversation's transcript, from 0: a client shows each number once.
    pub number: u32,
    /// `customer` or `agent`.
    pub from: &'static str,
    /// The agent who wrote it, when `from` is `agent`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub at: String,
    pub text: String,
}

impl TranscriptItem {
    pub fn new(number: u32, message: &Message) -> TranscriptItem {
        let (from, agent) = match &message.from {
            Author::Customer => ("customer", None),
            Author::Agent(agent) => ("agent", Some(agent.to_string())),
        };
        TranscriptItem {
            number,
            from,
            agent,
            at: time(message.at),
            text: message.text.to_string(),
        }
    }
}

/// The whole transcript, numbered.
pub fn transcript(messages: &[Message]) -> Vec<TranscriptItem> {
    (0u32..)
        .zip(messages)
        .map(|(number, message)| TranscriptItem::new(number, message))
        .collect()
}

/// `conversation_offer`: to the agent (show it, with everything written so far) and to the
/// messaging connector (it is offered to this agent).
#[derive(Debug, Clone, Serialize)]
pub struct ConversationOffer {
    pub conversation: String,
    pub agent: String,
    pub queue: String,
    pub channel: String,
    pub priority: u8,
    /// Who writes, as the connector named them (a name, a number, a handle), if it did.
    pub customer: Option<String>,
    pub data: BTreeMap<String, String>,
    /// When the offer ends unanswered (`conversation_offer_cancelled`, `ring_no_answer`).
    pub offer_deadline: String,
    pub transcript: Vec<TranscriptItem>,
}

/// What the core's offer event carries, for [`ConversationOffer::new`].
pub struct Offered<'a> {
    pub conversation: &'a str,
    pub agent: &'a str,
    pub queue: &'a str,
    pub channel: &'a str,
    pub priority: u8,
    pub data: &'a CallData,
    pub offer_deadline: Timestamp,
    pub transcript: &'a [Message],
}

impl ConversationOffer {
    pub fn new(offered: Offered<'_>) -> ConversationOffer {
        ConversationOffer {
            conversation: offered.conversation.to_owned(),
            agent: offered.agent.to_owned(),
            queue: offered.queue.to_owned(),
            channel: offered.channel.to_owned(),
            priority: offered.priority,
            customer: offered.data.caller.clone(),
            data: offered.data.attached.clone(),
            offer_deadline: time(offered.offer_deadline),
            transcript: transcript(offered.transcript),
        }
    }
}

/// `conversation_state`: where a conversation is, in a snapshot.
#[derive(Debug, Clone, Serialize)]
pub struct ConversationState {
    pub conversation: String,
    pub queue: String,
    pub channel: String,
    /// `waiting`, `offered`, `open` or `wrap_up`.
    pub status: &'static str,
    /// Whom it is offered to, open at or wrapped up by; absent while it waits.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
    pub priority: u8,
    pub customer: Option<String>,
    pub data: BTreeMap<String, String>,
    pub arrived_at: String,
    pub entered_queue_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offer_deadline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wrap_up_deadline: Option<String>,
    /// In an agent's snapshot: everything written so far. The messaging connector has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transcript: Option<Vec<TranscriptItem>>,
}

impl ConversationState {
    /// The state of `view`, with its transcript when `with_transcript`.
    pub fn new(view: &ConversationView, with_transcript: bool) -> ConversationState {
        let (status, agent, offer_deadline, wrap_up_deadline) = match &view.status {
            ConversationStatus::Waiting { .. } => ("waiting", None, None, None),
            ConversationStatus::Offered {
                agent,
                offer_deadline,
                ..
            } => ("offered", Some(agent), Some(time(*offer_deadline)), None),
            ConversationStatus::Open { agent } => ("open", Some(agent), None, None),
            ConversationStatus::WrapUp { agent, deadline } => {
                ("wrap_up", Some(agent), None, Some(time(*deadline)))
            }
        };
        ConversationState {
            conversation: view.id.to_string(),
            queue: view.queue.to_string(),
            channel: view.channel.to_string(),
            status,
            agent: agent.map(|a| a.to_string()),
            priority: view.priority,
            customer: view.data.caller.clone(),
            data: view.data.attached.clone(),
            arrived_at: time(view.arrived_at),
            entered_queue_at: time(view.entered_queue_at),
            offer_deadline,
            wrap_up_deadline,
            transcript: with_transcript.then(|| transcript(&view.transcript)),
        }
    }
}

fn transferred(conversation: &str, agent: &str, to: &TransferTarget) -> Event {
    let (to_queue, to_agent) = transfer_target(to);
    Event::ConversationTransferred {
        conversation: conversation.to_owned(),
        agent: agent.to_owned(),
        to_queue,
        to_agent,
    }
}

/// The wire event of a conversation event of the core; `None` for the core's events no client
/// hears as such (a conversation queued, overflowed or given another priority) and for every
/// event that is not a conversation's.
pub fn wire_event(event: &acd::Event) -> Option<Event> {
    use acd::Event as Core;
    Some(match event {
        Core::ConversationOffered {
            conversation,
            agent,
            queue,
            channel,
            offer_deadline,
            priority,
            data,
            transcript,
        } => Event::ConversationOffer(Box::new(ConversationOffer::new(Offered {
            conversation: conversation.as_str(),
            agent: agent.as_str(),
            queue: queue.as_str(),
            channel: channel.as_str(),
            priority: *priority,
            data,
            offer_deadline: *offer_deadline,
            transcript,
        }))),
        Core::ConversationOfferEnded {
            conversation,
            agent,
            reason,
        } => Event::ConversationOfferCancelled {
            conversation: conversation.to_string(),
            agent: agent.to_string(),
            reason: reason.name(),
        },
        Core::ConversationAccepted {
            conversation,
            agent,
            queue,
        } => Event::ConversationAccepted {
            conversation: conversation.to_string(),
            agent: agent.to_string(),
            queue: queue.to_string(),
        },
        Core::MessageAdded {
            conversation,
            number,
            message,
            ..
        } => Event::Message {
            conversation: conversation.to_string(),
            message: TranscriptItem::new(*number, message),
        },
        Core::ConversationTransferred {
            conversation,
            from,
            to,
        } => transferred(conversation.as_str(), from.as_str(), to),
        Core::ConversationClosed {
            conversation,
            agent,
            by,
            wrap_up_deadline,
        } => Event::ConversationClosed {
            conversation: conversation.to_string(),
            agent: agent.to_string(),
            by: match by {
                Author::Customer => "customer",
                Author::Agent(_) => "agent",
            },
            wrap_up_deadline: wrap_up_deadline.map(time),
        },
        Core::ConversationLeft {
            conversation,
            queue,
            reason,
        } => Event::ConversationLeft {
            conversation: conversation.to_string(),
            queue: queue.to_string(),
            reason: reason.name(),
        },
        _ => return None,
    })
}
