//! What an agent's state may be after a `kill -9`: the state its sessions last saw, moved on by
//! any of the commands whose outcome no client learned (in flight at the kill) and by the
//! changes telephony saw happen to it that its own session had not heard of yet (each session
//! writes its own socket, so one may be a step ahead of another when the process dies).
//!
//! A small abstraction of the core's agent rules, enough for the commands the load sends:
//! every such command or change is applied at most once, in any order, or not at all, and
//! the states this reaches are the ones the restarted server may show.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

/// An agent as a session sees it: its `agent_state` and `pending_state`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub state: String,
    pub call: Option<String>,
    pub reason: Option<String>,
    /// The pending state: the reason of a pending not-ready, or `logged_out`.
    pub pending: Option<String>,
    pub since: String,
}

impl Seen {
    /// Nothing seen yet: the snapshot's events fill it in.
    pub fn unknown() -> Seen {
        Seen {
            state: "unknown".into(),
            call: None,
            reason: None,
            pending: None,
            since: String::new(),
        }
    }

    /// Folds an `agent_state` or `pending_state` event in; other messages change nothing.
    pub fn observe(&mut self, message: &Value) {
        match message["type"].as_str() {
            Some("agent_state") => {
                self.state = text(&message["state"]).expect("a state");
                self.call = text(&message["call"]);
                self.reason = text(&message["reason"]);
                self.since = text(&message["since"]).expect("since");
            }
            Some("pending_state") => {
                self.pending = match &message["pending"] {
                    Value::Null => None,
                    pending if pending["state"] == "logged_out" => Some("logged_out".into()),
                    pending => text(&pending["reason"]),
                }
            }
            _ => {}
        }
    }

    fn abstracted(&self) -> Abstract {
        Abstract {
            state: self.state.clone(),
            call: self.call.clone(),
            reason: self.reason.clone(),
            pending: self.pending.clone(),
        }
    }
}

fn text(value: &Value) -> Option<String> {
    value.as_str().map(str::to_owned)
}

/// A command an agent's session sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AgentCommand {
    Login,
    Ready,
    NotReady(String),
    Accept(String),
    Hangup(String),
    EndWrapUp,
}

impl AgentCommand {
    pub fn to_json(&self) -> Value {
        use serde_json::json;
        match self {
            AgentCommand::Login => json!({"type": "login"}),
            AgentCommand::Ready => json!({"type": "ready"}),
            AgentCommand::NotReady(reason) => json!({"type": "not_ready", "reason": reason}),
            AgentCommand::Accept(call) => json!({"type": "accept", "call": call}),
            AgentCommand::Hangup(call) => json!({"type": "hangup", "call": call}),
            AgentCommand::EndWrapUp => json!({"type": "end_wrap_up"}),
        }
    }
}

/// Something that may have happened to an agent without its session hearing of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Change {
    /// The agent's own command, in flight at the kill.
    Own(AgentCommand),
    /// A call was offered to the agent (telephony's `call_arrived`).
    Offer(String),
    /// An offer to the agent ended unanswered (telephony's `call_ended` of a ringing call).
    Cancel(String),
    /// A call the agent was connected to ended (telephony's `call_ended` of a connected call).
    End(String),
}

/// The agent's state with only what the check compares; a ringing `call` of `None` stands for
/// any call (an offer of whichever call waited).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Abstract {
    state: String,
    call: Option<String>,
    reason: Option<String>,
    pending: Option<String>,
}

impl Abstract {
    fn of(state: &str, call: Option<&str>, reason: Option<&str>, pending: Option<&str>) -> Self {
        Abstract {
            state: state.into(),
            call: call.map(Into::into),
            reason: reason.map(Into::into),
            pending: pending.map(Into::into),
        }
    }

    fn busy(&self) -> bool {
        matches!(self.state.as_str(), "ringing" | "on_call" | "wrap_up")
    }

    fn rings_with(&self, call: &str) -> bool {
        self.state == "ringing" && self.call.as_deref().is_none_or(|c| c == call)
    }

    /// Free again: the pending state if there is one, else ready (and perhaps offered a call
    /// that waits at once).
    fn freed(&self) -> Vec<Abstract> {
        match self.pending.as_deref() {
            Some("logged_out") => vec![Abstract::of("logged_out", None, None, None)],
            Some(reason) => vec![Abstract::of("not_ready", None, Some(reason), None)],
            None => vec![
                Abstract::of("ready", None, None, None),
                Abstract::of("ringing", None, None, None),
            ],
        }
    }

    /// The states `change` can make of this one (this one itself when it does not apply).
    fn after(&self, change: &Change) -> Vec<Abstract> {
        let pending = self.pending.as_deref();
        let unchanged = vec![self.clone()];
        match change {
            Change::Own(AgentCommand::Login) if self.state == "logged_out" => {
                vec![Abstract::of("not_ready", None, Some("login"), None)]
            }
            Change::Own(AgentCommand::Ready) if self.busy() => vec![Abstract {
                pending: None,
                ..self.clone()
            }],
            Change::Own(AgentCommand::Ready) if self.state == "not_ready" => vec![
                Abstract::of("ready", None, None, None),
                Abstract::of("ringing", None, None, None),
            ],
            Change::Own(AgentCommand::NotReady(reason)) if self.busy() => vec![Abstract {
                pending: Some(reason.clone()),
                ..self.clone()
            }],
            Change::Own(AgentCommand::NotReady(reason))
                if matches!(self.state.as_str(), "ready" | "not_ready") =>
            {
                vec![Abstract::of("not_ready", None, Some(reason), pending)]
            }
            Change::Own(AgentCommand::Accept(call)) if self.rings_with(call) => {
                vec![Abstract::of("on_call", Some(call), None, pending)]
            }
            Change::Own(AgentCommand::Hangup(call)) | Change::End(call)
                if self.state == "on_call" && self.call.as_deref() == Some(call) =>
            {
                vec![Abstract::of("wrap_up", Some(call), None, pending)]
            }
            Change::Own(AgentCommand::EndWrapUp) if self.state == "wrap_up" => self.freed(),
            Change::Offer(call) if self.state == "ready" => {
                vec![Abstract::of("ringing", Some(call), None, pending)]
            }
            Change::Cancel(call) if self.rings_with(call) => self.freed(),
            _ => unchanged,
        }
    }
}

/// What the restarted server may show of an agent whose sessions last saw `last`, given the
/// changes that may have happened unseen.
pub struct Allowed {
    /// The states reachable by applying at least one change that moved the agent.
    moved: BTreeSet<Abstract>,
    last: Seen,
    changes: Vec<Change>,
    /// Calls waiting as far as the connector knew. A deadline (a reject's hold-back ending, an
    /// escalation step) offers one to a ready agent with no command at all, and the kill may
    /// come before any client read that offer.
    waiting: BTreeSet<String>,
}

impl Allowed {
    pub fn new(last: &Seen, changes: Vec<Change>, waiting: &BTreeSet<String>) -> Allowed {
        assert!(changes.len() < 16, "too many unseen changes: {changes:?}");
        let start = last.abstracted();
        let mut moved = BTreeSet::new();
        let mut visited = HashSet::new();
        let mut todo = vec![(start.clone(), 0u16)];
        while let Some((state, used)) = todo.pop() {
            if !visited.insert((state.clone(), used)) {
                continue;
            }
            for (index, change) in changes.iter().enumerate() {
                if used & (1 << index) != 0 {
                    continue;
                }
                for next in state.after(change) {
                    if next != state {
                        moved.insert(next.clone());
                    }
                    todo.push((next, used | (1 << index)));
                }
            }
        }
        Allowed {
            moved,
            last: last.clone(),
            changes,
            waiting: waiting.clone(),
        }
    }

    /// Panics unless `now` (the restarted server's snapshot of `agent`) is the last state seen,
    /// with the same `since`, or one the unseen changes can make. Returns whether it is one
    /// only the unseen changes make (the agent moved on without any session seeing it).
    pub fn check(&self, agent: &str, now: &Seen) -> bool {
        let observed = now.abstracted();
        let matches = |allowed: &Abstract| {
            allowed.state == observed.state
                && allowed.reason == observed.reason
                && allowed.pending == observed.pending
                && (allowed.call == observed.call
                    || (allowed.state == "ringing" && allowed.call.is_none()))
        };
        let stayed = matches(&self.last.abstracted());
        let offered_by_a_deadline = self.last.abstracted().state == "ready"
            && observed.state == "ringing"
            && observed
                .call
                .as_ref()
                .is_some_and(|call| self.waiting.contains(call));
        let moved = self.moved.iter().any(matches) || offered_by_a_deadline;
        assert!(
            stayed || moved,
            "agent {agent} after the restart is {now:?}, but its sessions last saw {:?} and the \
             changes no client saw the outcome of ({:?}) can only make {:?}",
            self.last,
            self.changes,
            self.moved
        );
        if !moved {
            assert_eq!(
                now.since, self.last.since,
                "agent {agent} kept its state over the restart, and so its `since`"
            );
        }
        moved && !stayed
    }
}
