//! The conversation messages: the messaging connector's and the agent's. A message's text is
//! only read as a string here; its length and emptiness are the core's to refuse
//! (`message_too_long`, `empty_message`), so a journal replay refuses the same.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{
    ClientMessage, MAX_DATA_VALUE_LEN, ProtocolError, TransferTo, attached_data, bad, fields,
    ident, name, present,
};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConversationField {
    conversation: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TextFields {
    conversation: String,
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArrivedFields {
    conversation: String,
    queue: String,
    #[serde(default, deserialize_with = "present")]
    channel: Option<String>,
    #[serde(default)]
    priority: u8,
    #[serde(default, deserialize_with = "present")]
    customer: Option<String>,
    #[serde(default)]
    data: BTreeMap<String, String>,
    #[serde(default)]
    messages: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TransferFields {
    conversation: String,
    #[serde(default, deserialize_with = "present")]
    queue: Option<String>,
    #[serde(default, deserialize_with = "present")]
    agent: Option<String>,
}

/// Reads a conversation message of type `kind`; `None` if `kind` is none of them.
pub(super) fn message(
    kind: &str,
    object: Map<String, Value>,
) -> Option<Result<ClientMessage, ProtocolError>> {
    let conversation = |object| -> Result<String, ProtocolError> {
        let f: ConversationField = fields(kind, object)?;
        name(kind, "conversation", f.conversation)
    };
    let text = |object| -> Result<(String, String), ProtocolError> {
        let f: TextFields = fields(kind, object)?;
        Ok((name(kind, "conversation", f.conversation)?, f.text))
    };
    let message = match kind {
        "conversation_arrived" => arrived(kind, object),
        "customer_message" => text(object)
            .map(|(conversation, text)| ClientMessage::CustomerMessage { conversation, text }),
        "customer_left" => {
            conversation(object).map(|conversation| ClientMessage::CustomerLeft { conversation })
        }
        "accept_conversation" => conversation(object)
            .map(|conversation| ClientMessage::AcceptConversation { conversation }),
        "reject_conversation" => conversation(object)
            .map(|conversation| ClientMessage::RejectConversation { conversation }),
        "send_message" => text(object)
            .map(|(conversation, text)| ClientMessage::SendMessage { conversation, text }),
        "transfer_conversation" => transfer(kind, object),
        "close_conversation" => conversation(object)
            .map(|conversation| ClientMessage::CloseConversation { conversation }),
        "end_conversation_wrap_up" => conversation(object)
            .map(|conversation| ClientMessage::EndConversationWrapUp { conversation }),
        _ => return None,
    };
    Some(message)
}

fn arrived(kind: &str, object: Map<String, Value>) -> Result<ClientMessage, ProtocolError> {
    let f: ArrivedFields = fields(kind, object)?;
    if f.customer
        .as_ref()
        .is_some_and(|c| c.is_empty() || c.chars().count() > MAX_DATA_VALUE_LEN)
    {
        return Err(bad(format!(
            "{kind}: `customer` must be 1 to {MAX_DATA_VALUE_LEN} characters"
        )));
    }
    attached_data(kind, &f.data)?;
    Ok(ClientMessage::ConversationArrived {
        conversation: name(kind, "conversation", f.conversation)?,
        queue: ident(kind, "queue", f.queue)?,
        channel: f.channel.map(|c| ident(kind, "channel", c)).transpose()?,
        priority: f.priority,
        customer: f.customer,
        data: f.data,
        messages: f.messages,
    })
}

fn transfer(kind: &str, object: Map<String, Value>) -> Result<ClientMessage, ProtocolError> {
    let f: TransferFields = fields(kind, object)?;
    let to = match (f.queue, f.agent) {
        (Some(queue), None) => TransferTo::Queue(ident(kind, "queue", queue)?),
        (None, Some(agent)) => TransferTo::Agent(ident(kind, "agent", agent)?),
        _ => {
            return Err(bad(format!(
                "{kind}: give exactly one of `queue` and `agent`"
            )));
        }
    };
    Ok(ClientMessage::TransferConversation {
        conversation: name(kind, "conversation", f.conversation)?,
        to,
    })
}
