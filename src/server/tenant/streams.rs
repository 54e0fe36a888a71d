//! On a node of a cluster, what each agent's sessions and the tenant's telephony sessions are
//! sent, kept whatever node they are on, so that a session made at another node can be resumed
//! here when its node is lost, with every event its client missed, each once.
//!
//! Every replica routes the same events to the same listeners (an agent, or the telephony
//! role), whether a session of theirs is on this node or not: so the number of events a listener
//! has been sent, its *count*, is the same on every replica, and is replicated state (in the
//! replica's snapshot). A session's `seq` is a function of it: a session whose snapshot of `k`
//! events was taken when its listener's count was `c` numbers the listener's event number `n`
//! as `k + (n - c)`, on whatever node writes it. The node that makes a session says so in the
//! log ([`Registered`]); another node resumes it from the events it kept: those of the last
//! `resume_secs` of log time, at most [`MAX_EVENTS`] and [`MAX_BYTES`] a stream (an agent's
//! own events, the telephony role's, or a queue's waiting counts, kept once for its agents).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use blake2::{Blake2b512, Digest};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::acd::{AgentId, QueueId};
use crate::protocol::Acting;
use crate::server::outbox::SessionSecret;

/// The events kept of each stream, at most: as many as a session keeps for a resume
/// (`[server] replay_events` and `replay_bytes` by default).
pub const MAX_EVENTS: usize = 1024;
pub const MAX_BYTES: usize = 65_536;

/// The sessions the log knows of, at most, per listener: the oldest is forgotten first.
pub const SESSIONS_PER_LISTENER: usize = 16;

/// Who a session listens as: its agent, the telephony role (every call of the tenant) or the
/// messaging role (every conversation). Written as `agent:<id>`, `telephony` or `messaging`, so
/// that it can key a JSON object.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(into = "String", try_from = "String")]
pub enum Listener {
    Agent(AgentId),
    Telephony,
    Messaging,
}

impl Listener {
    /// Whom a session of `acting` listens as, if it can be resumed at another node (an agent's
    /// or a connector's; a wallboard's or supervisor's cannot).
    pub fn of(acting: &Acting) -> Option<Listener> {
        match acting {
            Acting::Agent(agent) => Some(Listener::Agent(agent.clone())),
            Acting::Telephony => Some(Listener::Telephony),
            Acting::Messaging => Some(Listener::Messaging),
            Acting::Supervisor | Acting::Wallboard | Acting::Display(_) => None,
        }
    }
}

impl From<Listener> for String {
    fn from(listener: Listener) -> String {
        match listener {
            Listener::Agent(agent) => format!("agent:{agent}"),
            Listener::Telephony => "telephony".to_owned(),
            Listener::Messaging => "messaging".to_owned(),
        }
    }
}

impl TryFrom<String> for Listener {
    type Error = String;

    fn try_from(text: String) -> Result<Listener, String> {
        match text.strip_prefix("agent:") {
            Some(agent) => Ok(Listener::Agent(AgentId::new(agent))),
            None if text == "telephony" => Ok(Listener::Telephony),
            None if text == "messaging" => Ok(Listener::Messaging),
            None => Err(format!("not a listener: {text}")),
        }
    }
}

/// A session as the log knows it, from the node that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    /// The user it signed in as.
    pub user: String,
    pub listener: Listener,
    /// The events its snapshot had (`seq` 1 to `snapshot`).
    pub snapshot: u64,
    /// Its listener's count when the snapshot was taken.
    pub count: u64,
}

impl Registered {
    /// The listener count of the event a session numbers `seq`, or `None` for one of its
    /// snapshot (which nobody but its node had).
    fn count_at(&self, seq: u64) -> Option<u64> {
        self.count.checked_add(seq.checked_sub(self.snapshot)?)
    }
}

/// What names a session in the log: a digest of its secret (the secret itself never leaves
/// the node that made it, and a digest of 128 random bits cannot be turned back into them).
pub fn session_key(secret: &SessionSecret) -> String {
    crate::hex::encode(&Blake2b512::digest(secret.0.as_bytes())[..16])
}

/// The sessions the log knows of, by [`session_key`]: replicated state.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Registry {
    sessions: BTreeMap<String, Registered>,
    /// Each listener's sessions, oldest first.
    by_listener: BTreeMap<Listener, VecDeque<String>>,
}

impl Registry {
    pub fn insert(&mut self, key: String, session: Registered) {
        let of_listener = self
            .by_listener
            .entry(session.listener.clone())
            .or_default();
        if self.sessions.insert(key.clone(), session).is_none() {
            of_listener.push_back(key);
        }
        while of_listener.len() > SESSIONS_PER_LISTENER {
            if let Some(oldest) = of_listener.pop_front() {
                self.sessions.remove(&oldest);
            }
        }
    }

    pub fn get(&self, key: &str) -> Option<&Registered> {
        self.sessions.get(key)
    }
}

/// Each listener's count, and the events of the last `resume_secs`, on one node. An agent's
/// own events (its state, its offers and calls) are kept per agent, the telephony role's per
/// role, and the waiting counts of each queue once per queue, shared by every agent who hears
/// them: what an agent missed is its own events and its queues' merged in the order they
/// happened ([`Streams::after`]), so what the streams hold grows with the tenant's traffic and
/// queues, not with its agents times their queues.
#[derive(Debug)]
pub struct Streams {
    /// How many events each listener was sent: replicated state.
    counts: HashMap<Listener, u64>,
    own: HashMap<Listener, Kept>,
    queues: HashMap<QueueId, Kept>,
    /// The order of the events kept, over all of them.
    next: u64,
    max_age: Duration,
    /// The log time of the events being routed now.
    now: Timestamp,
    /// Events kept since every stream was last rid of its events past `max_age`.
    since_sweep: usize,
}

/// Every this many events kept, each stream's events past `max_age` go, also those of
/// listeners that get no more (an agent gone home): what the streams hold follows the traffic of
/// the last `resume_secs`, not of the day.
const SWEEP_EVERY: usize = 4096;

/// The events kept of one stream, oldest first: their order, the payload, the log time they
/// were sent at.
#[derive(Debug, Default)]
struct Kept {
    entries: VecDeque<(u64, Arc<str>, Timestamp)>,
    bytes: usize,
    /// The order of the last event gone from the front (every one after it is here).
    lost: u64,
}

impl Kept {
    fn push(&mut self, order: u64, payload: &Arc<str>, now: Timestamp, oldest: Timestamp) {
        self.bytes += payload.len();
        self.entries.push_back((order, payload.clone(), now));
        while self.entries.len() > MAX_EVENTS || self.bytes > MAX_BYTES {
            self.pop();
        }
        self.forget_before(oldest);
    }

    fn pop(&mut self) {
        if let Some((order, payload, _)) = self.entries.pop_front() {
            self.bytes -= payload.len();
            self.lost = self.lost.max(order);
        }
    }

    fn forget_before(&mut self, oldest: Timestamp) {
        while self.entries.front().is_some_and(|(_, _, at)| *at < oldest) {
            self.pop();
        }
    }

    /// Forgets everything up to `order`.
    fn forget_through(&mut self, order: u64) {
        self.entries = VecDeque::new();
        self.bytes = 0;
        self.lost = self.lost.max(order);
    }
}

impl Streams {
    /// Streams that go on from `counts` (a replica's snapshot), keeping `max_age` of events.
    pub fn new(counts: BTreeMap<Listener, u64>, max_age: Duration, now: Timestamp) -> Streams {
        Streams {
            counts: counts.into_iter().collect(),
            own: HashMap::new(),
            queues: HashMap::new(),
            next: 0,
            max_age,
            now,
            since_sweep: 0,
        }
    }

    /// The agents' skills changed (a reload): a resume that needs an event from before it would
    /// merge the wrong queues' counts, so it is a resync; what is kept from now on is merged
    /// right.
    pub fn skills_changed(&mut self) {
        let through = self.next;
        for kept in self.own.values_mut().chain(self.queues.values_mut()) {
            kept.forget_through(through);
        }
    }

    /// The log time of what is routed from now on.
    pub fn set_now(&mut self, now: Timestamp) {
        self.now = now;
    }

    /// Every listener's count, for the replica's snapshot.
    pub fn counts(&self) -> BTreeMap<Listener, u64> {
        self.counts
            .iter()
            .map(|(listener, count)| (listener.clone(), *count))
            .collect()
    }

    pub fn count(&self, listener: &Listener) -> u64 {
        self.counts.get(listener).copied().unwrap_or(0)
    }

    /// An event of `listener`'s own: an agent's state, offers and calls, or the telephony
    /// role's.
    pub fn push(&mut self, listener: &Listener, payload: &Arc<str>) {
        *self.counts.entry(listener.clone()).or_default() += 1;
        let (order, now, oldest) = self.next_order();
        self.own
            .entry(listener.clone())
            .or_default()
            .push(order, payload, now, oldest);
        self.kept_one(oldest);
    }

    /// A queue's waiting count, sent to `agents`: counted for each, kept once.
    pub fn push_queue(&mut self, queue: &QueueId, agents: &[AgentId], payload: &Arc<str>) {
        for agent in agents {
            *self
                .counts
                .entry(Listener::Agent(agent.clone()))
                .or_default() += 1;
        }
        let (order, now, oldest) = self.next_order();
        self.queues
            .entry(queue.clone())
            .or_default()
            .push(order, payload, now, oldest);
        self.kept_one(oldest);
    }

    fn next_order(&mut self) -> (u64, Timestamp, Timestamp) {
        self.next += 1;
        (self.next, self.now, self.now - self.max_age)
    }

    fn kept_one(&mut self, oldest: Timestamp) {
        self.since_sweep += 1;
        if self.since_sweep < SWEEP_EVERY {
            return;
        }
        self.since_sweep = 0;
        for kept in self.own.values_mut().chain(self.queues.values_mut()) {
            kept.forget_before(oldest);
            let (len, capacity) = (kept.entries.len(), kept.entries.capacity());
            if capacity > 16 && len < capacity / 4 {
                kept.entries.shrink_to(len * 2);
            }
        }
    }

    /// What `session` was sent after its event `last_seq`, if this node kept every one of them:
    /// its listener's own events and, for an agent, those of `queues`, the queues whose waiting
    /// counts it hears. `None` if some are gone, or `last_seq` is in the snapshot (which only its
    /// node had) or past the session's last event.
    pub fn after(
        &self,
        session: &Registered,
        last_seq: u64,
        queues: &[QueueId],
    ) -> Option<Vec<Arc<str>>> {
        let from = session.count_at(last_seq)?;
        let count = self.count(&session.listener);
        let missed = usize::try_from(count.checked_sub(from)?).ok()?;
        if missed == 0 {
            return Some(Vec::new());
        }
        let sources: Vec<&Kept> = self
            .own
            .get(&session.listener)
            .into_iter()
            .chain(queues.iter().filter_map(|queue| self.queues.get(queue)))
            .collect();
        // Every event after the last one any of them lost is here, in each of them.
        let whole_after = sources.iter().map(|kept| kept.lost).max().unwrap_or(0);
        let mut events: Vec<&(u64, Arc<str>, Timestamp)> = sources
            .iter()
            .flat_map(|kept| kept.entries.iter())
            .filter(|(order, _, _)| *order > whole_after)
            .collect();
        if events.len() < missed {
            return None;
        }
        events.sort_unstable_by_key(|(order, _, _)| *order);
        Some(
            events[events.len() - missed..]
                .iter()
                .map(|(_, payload, _)| payload.clone())
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: &str) -> Listener {
        Listener::Agent(AgentId::new(id))
    }

    fn payload(n: u64) -> Arc<str> {
        Arc::from(format!(r#"{{"type":"agent_state","n":{n}}}"#))
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_736_150_400 + second).unwrap()
    }

    fn session(listener: &Listener, snapshot: u64, count: u64) -> Registered {
        Registered {
            user: "a1".into(),
            listener: listener.clone(),
            snapshot,
            count,
        }
    }

    fn streams() -> Streams {
        Streams::new(BTreeMap::new(), Duration::from_secs(120), at(0))
    }

    #[test]
    fn a_session_gets_the_events_after_its_last_numbered_from_its_snapshot() {
        let mut streams = streams();
        let a1 = agent("a1");
        for n in 1..=3 {
            streams.push(&a1, &payload(n));
        }
        // A session whose snapshot of 4 events was taken at count 3: its seq 5 is count 4.
        let session = session(&a1, 4, 3);
        for n in 4..=6 {
            streams.push(&a1, &payload(n));
        }
        streams.push(&agent("a2"), &payload(99));
        assert_eq!(
            streams.after(&session, 5, &[]),
            Some(vec![payload(5), payload(6)])
        );
        assert_eq!(streams.after(&session, 7, &[]), Some(Vec::new()));
        assert_eq!(
            streams.after(&session, 4, &[]),
            Some(vec![payload(4), payload(5), payload(6)])
        );
        assert_eq!(streams.after(&session, 3, &[]), None, "a snapshot event");
        assert_eq!(streams.after(&session, 8, &[]), None, "past the last event");
        let far = Registered {
            count: u64::MAX,
            ..session
        };
        assert_eq!(streams.after(&far, 5, &[]), None, "no overflow");
    }

    #[test]
    fn an_agent_gets_its_own_events_and_its_queues_counts_in_the_order_they_happened() {
        let mut streams = streams();
        let (a1, a2) = (AgentId::new("a1"), AgentId::new("a2"));
        let (support, sales) = (QueueId::from("support"), QueueId::from("sales"));
        let queue_agents = HashMap::from([
            (support.clone(), vec![a1.clone(), a2.clone()]),
            (sales.clone(), vec![a2.clone()]),
        ]);
        let listener = Listener::Agent(a1.clone());
        let of_a1 = [support.clone()];
        let session = session(&listener, 0, 0);
        streams.push(&listener, &payload(1));
        streams.push_queue(&support, &queue_agents[&support], &payload(2));
        streams.push_queue(&sales, &queue_agents[&sales], &payload(3));
        streams.push(&agent("a2"), &payload(4));
        streams.push(&listener, &payload(5));
        streams.push_queue(&support, &queue_agents[&support], &payload(6));
        assert_eq!(streams.count(&listener), 4);
        assert_eq!(streams.count(&agent("a2")), 4, "two queues and its own");
        assert_eq!(
            streams.after(&session, 0, &of_a1),
            Some(vec![payload(1), payload(2), payload(5), payload(6)])
        );
        assert_eq!(
            streams.after(&session, 2, &of_a1),
            Some(vec![payload(5), payload(6)])
        );
        // A reload changes who hears what: a resume that needs an event from before it is a
        // resync; one that needs only events after it goes on.
        streams.skills_changed();
        streams.push_queue(&support, &queue_agents[&support], &payload(7));
        assert_eq!(streams.after(&session, 3, &of_a1), None);
        assert_eq!(streams.after(&session, 4, &of_a1), Some(vec![payload(7)]));
        assert_eq!(streams.after(&session, 5, &of_a1), Some(Vec::new()));
    }

    #[test]
    fn events_older_than_the_resume_window_or_past_the_bounds_are_not_replayed() {
        let mut streams = streams();
        let a1 = agent("a1");
        let session = session(&a1, 2, 0);
        streams.push(&a1, &payload(1));
        streams.set_now(at(121));
        streams.push(&a1, &payload(2));
        assert_eq!(streams.after(&session, 2, &[]), None, "event 1 is too old");
        assert_eq!(streams.after(&session, 3, &[]), Some(vec![payload(2)]));
        for n in 3..=(MAX_EVENTS as u64 + 10) {
            streams.push(&a1, &payload(n));
        }
        assert!(streams.own[&a1].entries.len() <= MAX_EVENTS);
        assert!(streams.own[&a1].bytes <= MAX_BYTES);
        assert_eq!(streams.count(&a1), MAX_EVENTS as u64 + 10);

        // A listener that gets nothing more is rid of its events all the same, once they are
        // past the window and enough others were kept since.
        let quiet = agent("quiet");
        streams.push(&quiet, &payload(1));
        streams.set_now(at(300));
        for n in 0..SWEEP_EVERY as u64 {
            streams.push(&a1, &payload(n));
        }
        assert!(streams.own[&quiet].entries.is_empty());
        assert_eq!(streams.count(&quiet), 1);
    }

    #[test]
    fn counts_go_on_from_a_snapshot_and_the_registry_keeps_the_newest_sessions() {
        let a1 = agent("a1");
        let streams = Streams::new(
            BTreeMap::from([(a1.clone(), 41)]),
            Duration::from_secs(120),
            at(0),
        );
        assert_eq!(streams.count(&a1), 41);
        assert_eq!(streams.counts(), BTreeMap::from([(a1.clone(), 41)]));
        let mut registry = Registry::default();
        for n in 0..=SESSIONS_PER_LISTENER {
            registry.insert(format!("s{n}"), session(&a1, 1, n as u64));
        }
        assert!(registry.get("s0").is_none(), "the oldest is forgotten");
        assert!(registry.get(&format!("s{SESSIONS_PER_LISTENER}")).is_some());
        let json = serde_json::to_string(&registry).unwrap();
        let back: Registry = serde_json::from_str(&json).unwrap();
        assert_eq!(back.get("s1"), registry.get("s1"));
        let counts = serde_json::to_string(&streams.counts()).unwrap();
        assert_eq!(counts, r#"{"agent:a1":41}"#);
        let secret = SessionSecret("9d2a4b7c1e3f5a6b8c0d2e4f6a8b0c1d".into());
        assert_eq!(session_key(&secret).len(), 32);
        assert_ne!(session_key(&secret), secret.0);
    }
}
