//! Every open connection, by number: what the server knows about its clients at a glance.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use jiff::Timestamp;

use crate::protocol::Role;
use crate::server::rung::Rung;

/// A connection's number, unique for the server's lifetime. A connection carries one session
/// (its own, or one it resumed), whose [`SessionNumber`](crate::server::outbox::SessionNumber)
/// is another thing: a resumed session keeps the number it started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionNumber(pub u64);

impl fmt::Display for ConnectionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What is known of one open connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub number: ConnectionNumber,
    pub rung: Rung,
    pub remote: SocketAddr,
    pub connected_at: Timestamp,
    /// Set once the connection authenticated: user, role, tenant.
    pub principal: Option<(String, Role, String)>,
}

/// Open connections, shared by every listener and session task.
#[derive(Debug, Default)]
pub struct Connections {
    open: DashMap<ConnectionNumber, ConnectionInfo>,
    last_number: AtomicU64,
}

impl Connections {
    pub fn next_number(&self) -> ConnectionNumber {
        ConnectionNumber(self.last_number.fetch_add(1, Ordering::Relaxed) + 1)
    }

    pub fn insert(&self, info: ConnectionInfo) {
        self.open.insert(info.number, info);
    }

    pub fn authenticated(&self, number: ConnectionNumber, user: &str, role: Role, tenant: &str) {
        if let Some(mut info) = self.open.get_mut(&number) {
            info.principal = Some((user.to_owned(), role, tenant.to_owned()));
        }
    }

    pub fn remove(&self, number: ConnectionNumber) {
        self.open.remove(&number);
    }

    pub fn len(&self) -> usize {
        self.open.len()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// A copy of every connection's information, for diagnostics and tests.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        self.open.iter().map(|c| c.value().clone()).collect()
    }
}
