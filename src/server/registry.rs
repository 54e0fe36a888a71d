//! Every open session, by id: what the server knows about its clients at a glance.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use jiff::Timestamp;

use crate::config::Role;

use super::outbox::SessionHandle;

/// The listener a session came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    Ws,
    Wss,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Ws => "ws",
            Transport::Wss => "wss",
        }
    }

    /// The scheme of the pages that may use this listener as their own origin.
    pub fn page_scheme(self) -> &'static str {
        match self {
            Transport::Ws => "http",
            Transport::Wss => "https",
        }
    }
}

/// The rung of the fallback ladder a connection is on (protocol.md, The fallback ladder).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rung {
    Wss,
    Ws,
    Sse,
    Poll,
}

impl Rung {
    pub const ALL: [Rung; 4] = [Rung::Wss, Rung::Ws, Rung::Sse, Rung::Poll];

    pub fn name(self) -> &'static str {
        match self {
            Rung::Wss => "wss",
            Rung::Ws => "ws",
            Rung::Sse => "sse",
            Rung::Poll => "poll",
        }
    }

    /// The WebSocket rung of a listener.
    pub fn websocket(transport: Transport) -> Rung {
        match transport {
            Transport::Ws => Rung::Ws,
            Transport::Wss => Rung::Wss,
        }
    }
}

/// What the registry holds of one connection.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub handle: Arc<SessionHandle>,
    pub rung: Rung,
    pub remote: SocketAddr,
    pub connected_at: Timestamp,
    /// Set once the session authenticated.
    pub principal: Option<(String, Role, String)>,
}

/// Open sessions, shared by every listener and session task.
#[derive(Debug, Default)]
pub struct Registry {
    sessions: DashMap<u64, SessionInfo>,
    next_id: AtomicU64,
}

impl Registry {
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    pub fn insert(&self, info: SessionInfo) {
        self.sessions.insert(info.handle.id, info);
    }

    pub fn authenticated(&self, id: u64, user: &str, role: Role, tenant: &str) {
        if let Some(mut info) = self.sessions.get_mut(&id) {
            info.principal = Some((user.to_owned(), role, tenant.to_owned()));
        }
    }

    pub fn remove(&self, id: u64) {
        self.sessions.remove(&id);
    }

    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// A copy of every session's information, for diagnostics and tests.
    pub fn sessions(&self) -> Vec<SessionInfo> {
        self.sessions.iter().map(|s| s.value().clone()).collect()
    }
}
