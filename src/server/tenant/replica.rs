//! A tenant replicated over its log on the NATS cluster (`[cluster]`): what the log's records
//! say, and the part of the replicated state that is about nodes and connections.
//!
//! Every node is a full replica of each tenant: it reads the tenant's log in order and applies
//! each record to its own core, so every node holds the same state and emits the same events,
//! and fans them out to its own clients. A node never applies its own commands directly: it
//! appends them to the log as one record per group, and answers each command when its replica
//! applies that record, with the result every replica got.
//!
//! Time is in the log too. A record carries the instant it applies at, and a replica never lets
//! time go backwards (it applies a record at the later of its instant and the replica's time).
//! Between records a replica does not move: the core's deadlines, the simulator's actions and
//! the grace periods happen when a record's instant reaches them, each at its own instant, in
//! the same order on every replica. A node whose clock says a deadline is due appends a `Tick`
//! (at its clock's now, as every record); every node that sees it due appends the same tick
//! under the same id, which names the deadline, and the log stores one.
//!
//! Which agents have a connection is replicated state as well ([`Presence`]), since grace
//! periods must end the same way everywhere: a node appends `Present` when an agent gets its
//! first connection there and `Absent` when it loses its last, and `Alive` every third of
//! `node_timeout`. A node not heard from for `node_timeout` of log time is gone: its agents'
//! grace periods start then.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::acd::{self, Acd, AgentId, AgentStatus};
use crate::config::OnDisconnect;

use super::streams::Registered;

/// One record of a tenant's log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LogRecord {
    /// The node incarnation that appended it.
    pub from: String,
    /// Its group number at that incarnation (0 for ticks), for the answers.
    pub n: u64,
    /// The instant it applies at (later, if the replica's time is past it).
    pub at: Timestamp,
    pub entries: Vec<LogEntry>,
}

impl LogEntry {
    /// The entry's name, for the log.
    pub fn kind(&self) -> &'static str {
        match self {
            LogEntry::Genesis { .. } => "genesis",
            LogEntry::Tick => "tick",
            LogEntry::Command { .. } => "command",
            LogEntry::Reconfigure(_) => "reconfigure",
            LogEntry::Alive { .. } => "alive",
            LogEntry::Gone => "gone",
            LogEntry::Present { .. } => "present",
            LogEntry::Absent { .. } => "absent",
            LogEntry::Session { .. } => "session",
        }
    }
}

impl LogRecord {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("a log record serializes")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogEntry {
    /// The log's first record: the tenant's day starts at the record's instant, on this
    /// configuration (the first node's file; a node whose file differs then appends its own as
    /// a `Reconfigure`), with the simulator's warm-up if the tenant has one.
    Genesis { config: acd::Config },
    /// Time moves to the record's instant.
    Tick,
    /// A command from a session, as the session's node translated and checked it; `by` is the
    /// supervisor who sent it, for the events it causes.
    Command {
        command: acd::Command,
        by: Option<String>,
    },
    /// The tenant's configuration changed (a reload on one node).
    Reconfigure(acd::Config),
    /// The appending incarnation is alive; it is gone unless heard from again within
    /// `timeout_ms`. An agent it carried alone then has `grace_ms` before `then` applies.
    Alive {
        timeout_ms: u64,
        grace_ms: u64,
        logout: bool,
    },
    /// The appending incarnation stops (a clean shutdown): its agents' grace periods start.
    Gone,
    /// The agent has a connection at the appending incarnation.
    Present { agent: AgentId },
    /// The agent has none there any more.
    Absent { agent: AgentId },
    /// A session of an agent or the telephony role was made at the appending node: another
    /// node can resume it (`streams`). `key` is a digest of its secret.
    Session { key: String, session: Registered },
}

/// A node incarnation's settings, from its last `Alive`, and when it is gone.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Node {
    expires: Timestamp,
    timeout_ms: u64,
    grace_ms: u64,
    logout: bool,
}

/// Which agents have a connection somewhere, by log time: the same on every replica.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Presence {
    nodes: BTreeMap<String, Node>,
    /// Agents with a connection, by the incarnations carrying them.
    carried: BTreeMap<AgentId, BTreeSet<String>>,
    /// Agents with none, when their grace period ends and whether they are logged out then
    /// (else made not ready with reason `disconnected`).
    grace: BTreeMap<AgentId, (Timestamp, bool)>,
}

impl Presence {
    /// The next instant something happens here: a node's expiry or a grace period's end.
    pub fn next_due(&self) -> Option<Timestamp> {
        let expiry = self.nodes.values().map(|node| node.expires).min();
        let grace = self.grace.values().map(|(at, _)| *at).min();
        expiry.into_iter().chain(grace).min()
    }

    /// Applies one entry from incarnation `from` at `at`.
    pub fn apply(&mut self, from: &str, at: Timestamp, entry: &LogEntry, acd: &Acd) {
        match entry {
            LogEntry::Alive {
                timeout_ms,
                grace_ms,
                logout,
            } => {
                self.nodes.insert(
                    from.to_owned(),
                    Node {
                        expires: at + Duration::from_millis(*timeout_ms),
                        timeout_ms: *timeout_ms,
                        grace_ms: *grace_ms,
                        logout: *logout,
                    },
                );
            }
            LogEntry::Gone => self.node_gone(from, at, acd),
            LogEntry::Present { agent } => {
                self.grace.remove(agent);
                self.carried
                    .entry(agent.clone())
                    .or_default()
                    .insert(from.to_owned());
            }
            LogEntry::Absent { agent } => {
                if let Some(nodes) = self.carried.get_mut(agent) {
                    nodes.remove(from);
                    if nodes.is_empty() {
                        self.carried.remove(agent);
                        self.start_grace(agent, from, at, acd);
                    }
                }
            }
            LogEntry::Genesis { .. }
            | LogEntry::Tick
            | LogEntry::Command { .. }
            | LogEntry::Reconfigure(_)
            | LogEntry::Session { .. } => {}
        }
    }

    /// The log took nothing from `last` to `at`, the next record's instant. A node says it is
    /// alive three times per timeout, so a gap longer than a node's timeout means nobody could
    /// append (the NATS cluster had no quorum, or every node was stopped), not that the node
    /// went: its timeout runs again from `at`, a node that did go meanwhile is gone a timeout
    /// later, and the grace periods running then do not count the gap. (Otherwise every node
    /// would be taken for gone at the first record after an outage, and every agent's grace
    /// period would end with it.)
    pub fn bridge_gap(&mut self, last: Timestamp, at: Timestamp) {
        let gap = u64::try_from(at.as_millisecond() - last.as_millisecond()).unwrap_or(0);
        let mut outage = false;
        for node in self.nodes.values_mut() {
            if gap > node.timeout_ms {
                outage = true;
                node.expires = node
                    .expires
                    .max(at + Duration::from_millis(node.timeout_ms));
            }
        }
        // Nor does a grace period run in it: an agent who reconnected meanwhile could not say
        // so. Those still running go on from where they were.
        if outage {
            let gap = Duration::from_millis(gap);
            for (ends, _) in self.grace.values_mut() {
                if *ends > last {
                    *ends += gap;
                }
            }
        }
    }

    /// An agent the end of its grace period could not log out (it had a conversation open):
    /// at `at` it is logged out if it still has no connection (and, if it still holds one,
    /// tried again then). A connection meanwhile ends it as it ends a grace period.
    pub fn try_logout_again(&mut self, agent: AgentId, at: Timestamp) {
        self.grace.insert(agent, (at, true));
    }

    /// Whether an incarnation is alive in the log.
    pub fn knows(&self, node: &str) -> bool {
        self.nodes.contains_key(node)
    }

    /// What falls due at `at` (the instant [`Presence::next_due`] gave): nodes that expire, and
    /// the commands of grace periods that end, in agent order.
    pub fn due(&mut self, at: Timestamp, acd: &Acd) -> Vec<(AgentId, bool)> {
        let expired: Vec<String> = self
            .nodes
            .iter()
            .filter(|(_, node)| node.expires <= at)
            .map(|(name, _)| name.clone())
            .collect();
        for name in expired {
            self.node_gone(&name, at, acd);
        }
        let over: Vec<AgentId> = self
            .grace
            .iter()
            .filter(|(_, (ends, _))| *ends <= at)
            .map(|(agent, _)| agent.clone())
            .collect();
        over.into_iter()
            .filter_map(|agent| self.grace.remove(&agent).map(|(_, logout)| (agent, logout)))
            .collect()
    }

    fn node_gone(&mut self, name: &str, at: Timestamp, acd: &Acd) {
        let alone: Vec<AgentId> = self
            .carried
            .iter_mut()
            .filter_map(|(agent, nodes)| {
                (nodes.remove(name) && nodes.is_empty()).then(|| agent.clone())
            })
            .collect();
        for agent in alone {
            self.carried.remove(&agent);
            self.start_grace(&agent, name, at, acd);
        }
        self.nodes.remove(name);
    }

    /// A logged-in agent with no connection anywhere gets the grace period of the node it was
    /// last carried by.
    fn start_grace(&mut self, agent: &AgentId, node: &str, at: Timestamp, acd: &Acd) {
        let logged_in = acd
            .agent(agent)
            .is_some_and(|a| a.status != AgentStatus::LoggedOut);
        if !logged_in {
            return;
        }
        let (grace_ms, logout) = self
            .nodes
            .get(node)
            .map_or((0, false), |n| (n.grace_ms, n.logout));
        self.grace.insert(
            agent.clone(),
            (at + Duration::from_millis(grace_ms), logout),
        );
    }
}

/// What an `Alive` says for a node's settings.
pub fn alive(timeout: Duration, grace: Duration, on_disconnect: OnDisconnect) -> LogEntry {
    LogEntry::Alive {
        timeout_ms: timeout.as_millis() as u64,
        grace_ms: grace.as_millis() as u64,
        logout: on_disconnect == OnDisconnect::Logout,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A core with its first agent logged in, and nodes `a.1` and `b.1` alive (a 10 s timeout,
    /// a 30 s grace) with the agent present at `a.1`.
    fn two_nodes_one_agent(on_disconnect: OnDisconnect) -> (Timestamp, Acd, AgentId, Presence) {
        let start: Timestamp = "2026-12-04T10:00:00Z".parse().unwrap();
        let config = crate::demo::demo().tenants[0].acd.clone();
        let mut acd = Acd::new(config.clone(), start).expect("the demo configuration is valid");
        let agent = config.agents[0].id.clone();
        acd.handle(
            acd::Command::Login {
                agent: agent.clone(),
            },
            start,
        )
        .expect("a configured agent signs in");
        let mut presence = Presence::default();
        let alive = alive(
            Duration::from_secs(10),
            Duration::from_secs(30),
            on_disconnect,
        );
        presence.apply("a.1", start, &alive, &acd);
        presence.apply("b.1", start, &alive, &acd);
        let present = LogEntry::Present {
            agent: agent.clone(),
        };
        presence.apply("a.1", start, &present, &acd);
        (start, acd, agent, presence)
    }

    #[test]
    fn an_agent_carried_by_a_node_that_goes_silent_gets_its_grace_from_the_expiry() {
        let (start, acd, agent, mut presence) = two_nodes_one_agent(OnDisconnect::NotReady);
        let present = LogEntry::Present {
            agent: agent.clone(),
        };
        presence.apply("b.1", start, &present, &acd);
        // b drops it; a still carries it: nothing is due but the nodes' expiry.
        presence.apply(
            "b.1",
            start,
            &LogEntry::Absent {
                agent: agent.clone(),
            },
            &acd,
        );
        let expiry = start + Duration::from_secs(10);
        assert_eq!(presence.next_due(), Some(expiry));
        assert!(presence.due(expiry, &acd).is_empty());
        assert!(!presence.knows("a.1"));
        // a went silent: the agent's grace runs from a's expiry.
        let ends = expiry + Duration::from_secs(30);
        assert_eq!(presence.next_due(), Some(ends));
        assert_eq!(presence.due(ends, &acd), vec![(agent, false)]);
        assert_eq!(presence.next_due(), None);
    }

    #[test]
    fn a_gap_in_the_log_longer_than_a_timeout_is_an_outage_not_a_death() {
        let (start, acd, _, mut presence) = two_nodes_one_agent(OnDisconnect::NotReady);
        // Nothing for two minutes (no quorum), then a record: nobody is gone yet.
        let after = start + Duration::from_secs(120);
        presence.bridge_gap(start, after);
        assert!(presence.due(after, &acd).is_empty());
        assert!(presence.knows("a.1") && presence.knows("b.1"));
        // a says it is alive again; b never does, and is gone a timeout after the outage.
        let alive = alive(
            Duration::from_secs(10),
            Duration::from_secs(30),
            OnDisconnect::NotReady,
        );
        presence.apply("a.1", after + Duration::from_secs(5), &alive, &acd);
        assert_eq!(presence.next_due(), Some(after + Duration::from_secs(10)));
        assert!(
            presence
                .due(after + Duration::from_secs(10), &acd)
                .is_empty()
        );
        assert!(presence.knows("a.1") && !presence.knows("b.1"));
    }

    #[test]
    fn a_grace_period_does_not_run_in_an_outage() {
        let (start, acd, agent, mut presence) = two_nodes_one_agent(OnDisconnect::NotReady);
        let absent = LogEntry::Absent {
            agent: agent.clone(),
        };
        presence.apply("a.1", start, &absent, &acd);
        assert_eq!(presence.next_due(), Some(start + Duration::from_secs(10)));
        // Two minutes with nothing in the log: the 30 s of grace are still to run after it.
        let after = start + Duration::from_secs(120);
        presence.bridge_gap(start, after);
        assert!(
            presence
                .due(after + Duration::from_secs(29), &acd)
                .is_empty()
        );
        assert_eq!(
            presence.due(after + Duration::from_secs(30), &acd),
            vec![(agent, false)]
        );
    }

    #[test]
    fn a_connection_anywhere_before_the_grace_ends_cancels_it() {
        let (start, acd, agent, mut presence) = two_nodes_one_agent(OnDisconnect::Logout);
        let alive = alive(
            Duration::from_secs(10),
            Duration::from_secs(30),
            OnDisconnect::Logout,
        );
        let present = LogEntry::Present { agent };
        presence.apply("a.1", start, &LogEntry::Gone, &acd);
        assert_eq!(presence.next_due(), Some(start + Duration::from_secs(10)));
        presence.apply("b.1", start + Duration::from_secs(5), &present, &acd);
        presence.apply("b.1", start + Duration::from_secs(5), &alive, &acd);
        // Only b's own expiry is left to come.
        let b_expires = start + Duration::from_secs(15);
        assert_eq!(presence.next_due(), Some(b_expires));
        assert!(
            presence
                .due(b_expires - Duration::from_secs(1), &acd)
                .is_empty()
        );
    }
}
