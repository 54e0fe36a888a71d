//! Who a session is: its role, and for an agent session the agent it acts as. A role is a type
//! here, not a string, and an agent's identity is part of its role's variant, so nothing that
//! acts for an agent has to hope an `Option` is filled.

use std::fmt;

use crate::acd::AgentId;

/// What a principal may do. Each role sees and does a fixed set of things (protocol.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A person at the WebAgent: acts only on its own agent.
    Agent,
    /// A screen on the wall: reads queue statistics, changes nothing.
    Wallboard,
    /// Watches the tenant's agents, queues and calls and acts on them.
    Supervisor,
    /// The PBX connector: reports calls, receives offers to ring on agents' devices.
    Telephony,
    /// The messaging connector (chat widget, SMS gateway, WhatsApp): reports conversations
    /// and customers' messages, receives agents' messages to deliver.
    Messaging,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Agent,
        Role::Wallboard,
        Role::Supervisor,
        Role::Telephony,
        Role::Messaging,
    ];

    /// The role's name on the wire and in the configuration.
    pub fn name(self) -> &'static str {
        match self {
            Role::Agent => "agent",
            Role::Wallboard => "wallboard",
            Role::Supervisor => "supervisor",
            Role::Telephony => "telephony",
            Role::Messaging => "messaging",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A role together with what that role acts as: an agent session carries its agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Acting {
    /// An agent session, acting as this agent of its tenant and no other.
    Agent(AgentId),
    Wallboard,
    /// A kiosk wallboard signed in with a display token (`acd::Display`): a wallboard, named
    /// by its display, which a revocation ends.
    Display(String),
    Supervisor,
    Telephony,
    Messaging,
}

impl Acting {
    pub fn role(&self) -> Role {
        match self {
            Acting::Agent(_) => Role::Agent,
            Acting::Wallboard | Acting::Display(_) => Role::Wallboard,
            Acting::Supervisor => Role::Supervisor,
            Acting::Telephony => Role::Telephony,
            Acting::Messaging => Role::Messaging,
        }
    }

    /// The display a display's session acts as.
    pub fn display(&self) -> Option<&str> {
        match self {
            Acting::Display(name) => Some(name),
            _ => None,
        }
    }

    /// The agent an agent session acts as.
    pub fn agent(&self) -> Option<&AgentId> {
        match self {
            Acting::Agent(agent) => Some(agent),
            _ => None,
        }
    }
}

/// An authenticated principal, as its sessions and its tenant's engine know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The login name: in logs, the audit trail and `by` on what a supervisor caused.
    pub user: String,
    /// The tenant whose engine the session talks to.
    pub tenant: String,
    pub acting: Acting,
}

impl Identity {
    pub fn role(&self) -> Role {
        self.acting.role()
    }
}
