//! Names of the things an ACD routes between: agents, queues, calls and conversations, messaging
//! channels and not-ready reasons.
//!
//! Each is a cheap-to-clone shared string, so an event can name its agent and call without copying
//! text on the hot path.

use std::borrow::Borrow;
use std::fmt;
use std::sync::Arc;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        pub struct $name(Arc<str>);

        impl PartialEq for $name {
            /// Ids handed around inside the core share one allocation: compare that first.
            fn eq(&self, other: &Self) -> bool {
                Arc::ptr_eq(&self.0, &other.0) || self.0 == other.0
            }
        }

        impl std::hash::Hash for $name {
            /// Hashes the text, as `Borrow<str>` requires for map look-ups by `&str`.
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.hash(state)
            }
        }

        impl $name {
            /// Makes an id from any string.
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(Arc::from(id.as_ref()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self::new(id)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(Arc::from(id))
            }
        }

        impl Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(&*self.0, f)
            }
        }
    };
}

id_type!(
    /// An agent's login id, unique within a tenant.
    AgentId
);
id_type!(
    /// A queue's id (also called a group or skill in some ACDs), unique within a tenant.
    QueueId
);
id_type!(
    /// A call's id as the telephony side knows it (for example Asterisk's uniqueid), unique while
    /// the call lives.
    CallId
);

/// A conversation's id as the messaging connector knows it. Calls and conversations are the two
/// kinds of work the ACD routes, kept in one table: an id names a call or a conversation, never
/// both at once.
pub type ConversationId = CallId;
id_type!(
    /// A messaging channel's id, configured per tenant (`chat`, `sms`, `messenger`, `email`).
    /// Voice is not one of them: it is the channel of every queue that names none.
    ChannelId
);
id_type!(
    /// A not-ready reason code such as `break` or `lunch`.
    ReasonCode
);
id_type!(
    /// A disposition (wrap-up) code an agent gives a call it handled, such as `resolved` or
    /// `callback`: configured per queue.
    DispositionCode
);

impl ReasonCode {
    /// Set by the ACD when an agent logs in: not ready until the agent says otherwise.
    pub const LOGIN: &'static str = "login";
    /// Set by the ACD after too many consecutive ring-no-answers.
    pub const NO_ANSWER: &'static str = "no_answer";
    /// Reserved for the server: set when an agent's last connection has been gone too long.
    pub const DISCONNECTED: &'static str = "disconnected";
    /// The reasons the ACD itself may set; configured reasons may not reuse these codes.
    pub const SYSTEM: [&'static str; 3] = [Self::LOGIN, Self::NO_ANSWER, Self::DISCONNECTED];
}
