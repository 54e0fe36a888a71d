//! A supervisor on an agent's call: silent monitoring, whisper (the agent hears the supervisor,
//! the caller does not) and barge-in (both hear). The ACD decides and records who is on which
//! call and how; the telephony connector bridges the supervisor's phone in. A supervisor is on
//! an agent's call until it ends it, or until the call leaves the agent (hung up, transferred,
//! or, for an agent consulted on the call, the consultation's end).

use super::Acd;
use super::agent::AgentStatus;
use super::error::AcdError;
use super::event::Event;
use super::ids::AgentId;

/// How a supervisor is on an agent's call.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum MonitorMode {
    /// Hears agent and caller; neither hears the supervisor.
    Listen,
    /// Hears both; only the agent hears the supervisor (coaching).
    Whisper,
    /// Hears both and both hear the supervisor: a three-way call.
    Barge,
}

impl MonitorMode {
    pub const ALL: [MonitorMode; 3] = [
        MonitorMode::Listen,
        MonitorMode::Whisper,
        MonitorMode::Barge,
    ];

    /// The name used on the wire and in the audit log.
    pub fn name(self) -> &'static str {
        match self {
            MonitorMode::Listen => "listen",
            MonitorMode::Whisper => "whisper",
            MonitorMode::Barge => "barge",
        }
    }

    pub fn from_name(name: &str) -> Option<MonitorMode> {
        MonitorMode::ALL
            .into_iter()
            .find(|mode| mode.name() == name)
    }
}

/// One supervisor on an agent's call.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Monitor {
    /// The supervisor's user name, as it signed in.
    pub supervisor: String,
    pub mode: MonitorMode,
}

/// The most supervisors on one call at once.
pub const MAX_MONITORS: usize = 4;

/// Why a supervisor left an agent's call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorEnd {
    /// The supervisor ended it.
    Ended,
    /// The call left the agent: hung up or transferred.
    CallLeft,
}

impl MonitorEnd {
    pub fn name(self) -> &'static str {
        match self {
            MonitorEnd::Ended => "ended",
            MonitorEnd::CallLeft => "call_left",
        }
    }
}

/// The call an agent talks on, where a supervisor may join it: its own call, or one it was
/// consulted on and answered (the consultation's leg: a supervisor coaching the colleague).
fn talking_on(status: &AgentStatus) -> Option<&super::ids::CallId> {
    match status {
        AgentStatus::OnCall { call, .. }
        | AgentStatus::Consulted {
            call,
            ringing: false,
        } => Some(call),
        _ => None,
    }
}

impl Acd {
    /// `supervisor` joins `agent`'s call in `mode`, or changes its mode; `None` leaves it.
    pub(crate) fn monitor(
        &mut self,
        agent_id: &AgentId,
        supervisor: &str,
        mode: Option<MonitorMode>,
    ) -> Result<(), AcdError> {
        let index = self.agent_index(agent_id)?;
        let agent = &self.agents[index];
        let Some(call) = talking_on(agent.status()) else {
            return Err(AcdError::AgentNotOnCall {
                agent: agent_id.clone(),
                state: agent.status().kind(),
            });
        };
        let call = call.clone();
        let at = agent
            .monitors
            .iter()
            .position(|m| m.supervisor == supervisor);
        match (mode, at) {
            (None, None) => {
                return Err(AcdError::NotMonitoring {
                    agent: agent_id.clone(),
                });
            }
            (None, Some(at)) => {
                self.agents[index].monitors.remove(at);
            }
            (Some(mode), Some(at)) => {
                if self.agents[index].monitors[at].mode == mode {
                    return Ok(());
                }
                self.agents[index].monitors[at].mode = mode;
            }
            (Some(mode), None) => {
                if agent.monitors.len() >= MAX_MONITORS {
                    return Err(AcdError::TooManyMonitors { max: MAX_MONITORS });
                }
                self.agents[index].monitors.push(Monitor {
                    supervisor: supervisor.to_owned(),
                    mode,
                });
            }
        }
        self.events.push_back(Event::MonitorChanged {
            agent: agent_id.clone(),
            call,
            supervisor: supervisor.to_owned(),
            mode,
            ended: mode.is_none().then_some(MonitorEnd::Ended),
        });
        Ok(())
    }

    /// The call leaves the agent: every supervisor on it leaves with it.
    pub(crate) fn monitors_leave(&mut self, index: usize) {
        if self.agents[index].monitors.is_empty() {
            return;
        }
        let Some(call) = talking_on(self.agents[index].status()).cloned() else {
            return;
        };
        for monitor in std::mem::take(&mut self.agents[index].monitors) {
            self.events.push_back(Event::MonitorChanged {
                agent: self.agents[index].id.clone(),
                call: call.clone(),
                supervisor: monitor.supervisor,
                mode: None,
                ended: Some(MonitorEnd::CallLeft),
            });
        }
    }
}
