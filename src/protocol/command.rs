//! From a client's message to what it asks of the server: the one place the wire's vocabulary
//! is translated into the core's (mini-redis's `Command::from_frame`). Who may ask what is
//! decided here too, by the sender's [`Acting`]: an agent's commands are built from the agent
//! the session acts as, so no agent id is ever taken on trust from a message.

use std::time::Duration;

use crate::acd::{
    self, AcdError, AgentId, CallData, CallId, ConsultStep, PendingState, QueueId, ReasonCode,
    RequestedState, TransferTarget,
};

use super::ProtocolError;
use super::identity::Acting;
use super::inbound::{ClientMessage, PendingName, StateName, TransferTo};

/// What an authenticated client's message asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// A command for the tenant's core.
    Acd(acd::Command),
    /// Start (or replace) the session's statistics subscription: `None` is every queue.
    Subscribe {
        queues: Option<Vec<QueueId>>,
        tenant_total: bool,
    },
    /// A page of the tenant's agents (`list_agents`): read, never journaled.
    ListAgents {
        queue: Option<QueueId>,
        after: Option<AgentId>,
        limit: usize,
    },
    /// The agent's own day (`my_day`): read, never journaled.
    MyDay { agent: AgentId },
    /// Every lane's waiting work and agents now (`list_queues`): read, never journaled.
    ListQueues,
    /// A page of agents with their day so far (`agents_today`): read, never journaled.
    AgentsToday {
        after: Option<AgentId>,
        limit: usize,
    },
    /// The staffing what-if for a queue's calls (`what_if`): read, never journaled, and
    /// computed off the engine's thread.
    WhatIf {
        queue: QueueId,
        hypothesis: crate::staffing::Hypothesis,
    },
    /// The application-level liveness check: the session answers it at once.
    Ping,
    /// The client has every event up to `seq` (`seen`): the session answers it at once.
    Seen { seq: u64 },
    /// A supervisor (`by`) makes display `name`: the session draws its token and sends the
    /// core its hash (`acd::Command::CreateDisplay`), the token going back in the ack only.
    CreateDisplay { name: String, by: String },
    /// The tenant's displays (`list_displays`): read, never journaled.
    ListDisplays,
}

impl Command {
    /// The core's command for display `name`, whose token the session drew: only the token's
    /// hash goes on to the core (and so to the journal).
    pub fn create_display(name: String, token_hash: String, by: String) -> Command {
        Command::Acd(acd::Command::CreateDisplay {
            name,
            token_hash,
            by,
        })
    }

    /// Why a display may not be named `name`: a configured user signs in with it
    /// (`duplicate_display`, as for a display's name).
    pub fn display_name_taken(name: String) -> Refusal {
        Refusal::Acd(AcdError::DuplicateDisplay(name))
    }

    /// The agent this command logs out at once, if it does (an agent's `logout`, a supervisor's
    /// `force_state` to `logged_out`): the session layer revokes the tokens of its principals.
    pub fn logs_out(&self) -> Option<&AgentId> {
        match self {
            Command::Acd(acd::Command::SetState {
                agent,
                state: RequestedState::LoggedOut,
            }) => Some(agent),
            _ => None,
        }
    }
}

/// Why a message asks for nothing the server will do: the protocol's refusal, or the core's
/// own word for it (`unknown_reason` for the reasons only the ACD may record).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    #[error(transparent)]
    Acd(#[from] AcdError),
}

impl Refusal {
    /// The stable code sent in `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::Protocol(error) => error.code(),
            Refusal::Acd(error) => error.code(),
        }
    }
}

impl ClientMessage {
    /// What this message asks for, sent by a session acting as `acting`. Refused: a message its
    /// role may not send (`forbidden`), an agent naming another agent (`forbidden`), a
    /// supervisor's `clear_pending` naming nobody (`bad_message`), `auth` again
    /// (`already_authenticated`), and a not-ready reason only the ACD records
    /// (`unknown_reason`: `login`, `no_answer` and `disconnected` are facts, not choices).
    /// `user` is who sent it: a supervisor's `monitor` names it as the supervisor on the call,
    /// its `set_ticker` as who set the wallboards' message.
    pub fn into_command(self, acting: &Acting, user: &str) -> Result<Command, Refusal> {
        if !self.allowed_for(acting.role()) {
            return Err(forbidden(&self, acting).into());
        }
        if let ClientMessage::NotReady { reason }
        | ClientMessage::ForceState {
            reason: Some(reason),
            ..
        }
        | ClientMessage::SetPending {
            reason: Some(reason),
            ..
        } = &self
            && ReasonCode::SYSTEM.contains(&reason.as_str())
        {
            let reason = ReasonCode::from(reason.as_str());
            return Err(AcdError::UnknownReason(reason).into());
        }
        let call = CallId::from;
        let set_state = |agent: &AgentId, state| acd::Command::SetState {
            agent: agent.clone(),
            state,
        };
        let command = match (self, acting) {
            (ClientMessage::Auth(..), _) => return Err(ProtocolError::AlreadyAuthenticated.into()),
            (ClientMessage::Ping, _) => return Ok(Command::Ping),
            (ClientMessage::Seen { seq }, _) => return Ok(Command::Seen { seq }),

            // An agent, on its own agent.
            (ClientMessage::Login, Acting::Agent(me)) => acd::Command::Login { agent: me.clone() },
            (ClientMessage::Ready, Acting::Agent(me)) => set_state(me, RequestedState::Ready),
            (ClientMessage::NotReady { reason }, Acting::Agent(me)) => set_state(
                me,
                RequestedState::NotReady {
                    reason: ReasonCode::from(reason),
                },
            ),
            (ClientMessage::Logout, Acting::Agent(me)) => set_state(me, RequestedState::LoggedOut),
            (ClientMessage::ClearPending { agent }, Acting::Agent(me)) => match agent {
                Some(named) if named != me.as_str() => {
                    return Err(ProtocolError::NotOwnAgent { agent: named }.into());
                }
                _ => acd::Command::ClearPending { agent: me.clone() },
            },
            (ClientMessage::Accept { call: c }, Acting::Agent(me)) => acd::Command::Accept {
                agent: me.clone(),
                call: call(c),
            },
            (ClientMessage::Reject { call: c }, Acting::Agent(me)) => acd::Command::Reject {
                agent: me.clone(),
                call: call(c),
            },
            (ClientMessage::Hold { call: c }, Acting::Agent(me)) => acd::Command::Hold {
                agent: me.clone(),
                call: call(c),
            },
            (ClientMessage::Resume { call: c }, Acting::Agent(me)) => acd::Command::Resume {
                agent: me.clone(),
                call: call(c),
            },
            (ClientMessage::Hangup { call: c }, Acting::Agent(me)) => acd::Command::Hangup {
                agent: me.clone(),
                call: call(c),
            },
            (ClientMessage::Consult { call: c, agent }, Acting::Agent(me)) => {
                acd::Command::Consult {
                    agent: me.clone(),
                    call: call(c),
                    to: AgentId::from(agent),
                }
            }
            (ClientMessage::CompleteTransfer { call: c }, Acting::Agent(me)) => {
                consult_step(me, c, ConsultStep::Transfer)
            }
            (ClientMessage::Conference { call: c }, Acting::Agent(me)) => {
                consult_step(me, c, ConsultStep::Conference)
            }
            (ClientMessage::CancelConsult { call: c }, Acting::Agent(me)) => {
                consult_step(me, c, ConsultStep::Cancel)
            }
            (ClientMessage::Transfer { call: c, to }, Acting::Agent(me)) => {
                acd::Command::Transfer {
                    agent: me.clone(),
                    call: call(c),
                    target: transfer_target(to),
                }
            }
            (ClientMessage::EndWrapUp, Acting::Agent(me)) => {
                acd::Command::EndWrapUp { agent: me.clone() }
            }
            (ClientMessage::ExtendWrapUp { secs }, Acting::Agent(me)) => {
                acd::Command::ExtendWrapUp {
                    agent: me.clone(),
                    by: Duration::from_secs(secs),
                }
            }
            (
                ClientMessage::SetDisposition {
                    call: c,
                    disposition,
                    notes,
                },
                Acting::Agent(me),
            ) => acd::Command::SetDisposition {
                agent: me.clone(),
                call: call(c),
                disposition: disposition.map(acd::DispositionCode::from),
                notes,
            },

            (ClientMessage::MyDay, Acting::Agent(me)) => {
                return Ok(Command::MyDay { agent: me.clone() });
            }

            (ClientMessage::AgentsToday { after, limit }, Acting::Supervisor) => {
                return Ok(Command::AgentsToday {
                    after: after.map(AgentId::from),
                    limit: limit as usize,
                });
            }
            (ClientMessage::Monitor { agent, mode }, Acting::Supervisor) => acd::Command::Monitor {
                agent: AgentId::from(agent),
                supervisor: user.to_owned(),
                mode: Some(mode),
            },
            (ClientMessage::EndMonitor { agent }, Acting::Supervisor) => acd::Command::Monitor {
                agent: AgentId::from(agent),
                supervisor: user.to_owned(),
                mode: None,
            },
            (ClientMessage::SetTicker { text }, Acting::Supervisor) => acd::Command::SetTicker {
                text,
                by: user.to_owned(),
            },
            (ClientMessage::CreateDisplay { name }, Acting::Supervisor) => {
                return Ok(Command::CreateDisplay {
                    name,
                    by: user.to_owned(),
                });
            }
            (ClientMessage::ListDisplays, Acting::Supervisor) => return Ok(Command::ListDisplays),
            (ClientMessage::RevokeDisplay { name }, Acting::Supervisor) => {
                acd::Command::RevokeDisplay {
                    name,
                    by: user.to_owned(),
                }
            }

            // Agents and supervisors.
            (ClientMessage::ListQueues, Acting::Agent(_) | Acting::Supervisor) => {
                return Ok(Command::ListQueues);
            }
            (
                ClientMessage::ListAgents {
                    queue,
                    after,
                    limit,
                },
                Acting::Agent(_) | Acting::Supervisor,
            ) => {
                return Ok(Command::ListAgents {
                    queue: queue.map(QueueId::from),
                    after: after.map(AgentId::from),
                    limit: limit as usize,
                });
            }

            // Wallboards and supervisors.
            (
                ClientMessage::Subscribe {
                    queues,
                    tenant_total,
                },
                Acting::Wallboard | Acting::Display(_) | Acting::Supervisor,
            ) => {
                return Ok(Command::Subscribe {
                    queues: queues.map(|names| names.into_iter().map(QueueId::from).collect()),
                    tenant_total,
                });
            }

            // Supervisors, on any agent or call of the tenant.
            (ClientMessage::ClearPending { agent }, Acting::Supervisor) => match agent {
                Some(named) => acd::Command::ClearPending {
                    agent: AgentId::from(named),
                },
                None => {
                    let error = ProtocolError::BadMessage(
                        "clear_pending: a supervisor names the `agent` whose pending state to clear"
                            .into(),
                    );
                    return Err(error.into());
                }
            },
            (
                ClientMessage::ForceState {
                    agent,
                    state,
                    reason,
                },
                Acting::Supervisor,
            ) => set_state(
                &AgentId::from(agent),
                match (state, reason) {
                    (StateName::Ready, _) => RequestedState::Ready,
                    (StateName::LoggedOut, _) => RequestedState::LoggedOut,
                    (StateName::NotReady, reason) => RequestedState::NotReady {
                        reason: ReasonCode::from(reason.unwrap_or_default()),
                    },
                },
            ),
            (
                ClientMessage::SetPending {
                    agent,
                    state,
                    reason,
                },
                Acting::Supervisor,
            ) => acd::Command::SetPending {
                agent: AgentId::from(agent),
                pending: match state {
                    PendingName::LoggedOut => PendingState::LoggedOut,
                    PendingName::NotReady => PendingState::NotReady {
                        reason: ReasonCode::from(reason.unwrap_or_default()),
                    },
                },
            },
            (ClientMessage::SetCallPriority { call: c, priority }, Acting::Supervisor) => {
                acd::Command::SetCallPriority {
                    call: call(c),
                    priority,
                }
            }
            // A wallboard asks a queue's staffing as it is, for its figure: what it may not
            // suppose, it may not make the server compute (one what-if at a time server-wide).
            (ClientMessage::WhatIf { hypothesis, .. }, Acting::Wallboard | Acting::Display(_))
                if hypothesis != crate::staffing::Hypothesis::default() =>
            {
                return Err(ProtocolError::Forbidden {
                    role: "wallboard",
                    message: "what_if with agents, calls_per_hour, aht_secs or patience_secs"
                        .into(),
                }
                .into());
            }
            (
                ClientMessage::WhatIf { queue, hypothesis },
                Acting::Supervisor | Acting::Wallboard | Acting::Display(_),
            ) => {
                return Ok(Command::WhatIf {
                    queue: QueueId::from(queue),
                    hypothesis,
                });
            }
            (ClientMessage::MoveCall { call: c, queue }, Acting::Supervisor) => {
                acd::Command::MoveCall {
                    call: call(c),
                    queue: QueueId::from(queue),
                }
            }

            // The telephony side.
            (
                ClientMessage::CallArrived {
                    call: c,
                    queue,
                    priority,
                    caller,
                    dialled,
                    data,
                    arrived_at,
                },
                Acting::Telephony,
            ) => acd::Command::CallArrived {
                call: call(c),
                queue: QueueId::from(queue),
                priority,
                arrived_at,
                data: CallData {
                    caller,
                    dialled,
                    attached: data,
                },
            },
            (ClientMessage::CallAnswered { call: c }, Acting::Telephony) => {
                acd::Command::CallAnswered { call: call(c) }
            }
            (ClientMessage::DeviceState { agent, device }, Acting::Telephony) => {
                acd::Command::SetDevice {
                    agent: AgentId::from(agent),
                    device,
                }
            }
            (ClientMessage::RingFailed { call: c, reason }, Acting::Telephony) => {
                // The core needs no more than that the ring failed; the reason is the log's.
                tracing::info!(call = %c, reason = reason.name(), "the PBX could not ring the agent's device");
                acd::Command::RingFailed { call: call(c) }
            }
            (
                ClientMessage::CallEnded { call: c } | ClientMessage::CallerHungUp { call: c },
                Acting::Telephony,
            ) => acd::Command::CallEnded { call: call(c) },

            // The messaging side.
            (
                ClientMessage::ConversationArrived {
                    conversation,
                    queue,
                    channel,
                    priority,
                    customer,
                    data,
                    messages,
                },
                Acting::Messaging,
            ) => acd::Command::ConversationArrived {
                conversation: call(conversation),
                queue: QueueId::from(queue),
                channel: channel.map(acd::ChannelId::from),
                priority,
                data: CallData {
                    caller: customer,
                    dialled: None,
                    attached: data,
                },
                messages,
            },
            (ClientMessage::CustomerMessage { conversation, text }, Acting::Messaging) => {
                acd::Command::CustomerWrote {
                    conversation: call(conversation),
                    text,
                }
            }
            (ClientMessage::CustomerLeft { conversation }, Acting::Messaging) => {
                acd::Command::CustomerLeft {
                    conversation: call(conversation),
                }
            }

            // An agent, on its own conversations.
            (ClientMessage::AcceptConversation { conversation }, Acting::Agent(me)) => {
                acd::Command::AcceptConversation {
                    agent: me.clone(),
                    conversation: call(conversation),
                }
            }
            (ClientMessage::RejectConversation { conversation }, Acting::Agent(me)) => {
                acd::Command::RejectConversation {
                    agent: me.clone(),
                    conversation: call(conversation),
                }
            }
            (ClientMessage::SendMessage { conversation, text }, Acting::Agent(me)) => {
                acd::Command::AgentWrote {
                    agent: me.clone(),
                    conversation: call(conversation),
                    text,
                }
            }
            (ClientMessage::TransferConversation { conversation, to }, Acting::Agent(me)) => {
                acd::Command::TransferConversation {
                    agent: me.clone(),
                    conversation: call(conversation),
                    target: transfer_target(to),
                }
            }
            (ClientMessage::CloseConversation { conversation }, Acting::Agent(me)) => {
                acd::Command::CloseConversation {
                    agent: me.clone(),
                    conversation: call(conversation),
                }
            }
            (ClientMessage::EndConversationWrapUp { conversation }, Acting::Agent(me)) => {
                acd::Command::EndConversationWrapUp {
                    agent: me.clone(),
                    conversation: call(conversation),
                }
            }

            // `allowed_for` let it through, but no arm takes it: the table and the arms disagree.
            (message, _) => return Err(forbidden(&message, acting).into()),
        };
        Ok(Command::Acd(command))
    }
}

fn consult_step(me: &AgentId, c: String, step: ConsultStep) -> acd::Command {
    acd::Command::ConsultStep {
        agent: me.clone(),
        call: CallId::from(c),
        step,
    }
}

fn transfer_target(to: TransferTo) -> TransferTarget {
    match to {
        TransferTo::Queue(queue) => TransferTarget::Queue(QueueId::from(queue)),
        TransferTo::Agent(agent) => TransferTarget::Agent(AgentId::from(agent)),
    }
}

fn forbidden(message: &ClientMessage, acting: &Acting) -> ProtocolError {
    ProtocolError::Forbidden {
        role: acting.role().name(),
        message: message.type_name().to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Role;
    use crate::protocol::inbound::parse;

    fn acting(role: Role) -> Acting {
        match role {
            Role::Agent => Acting::Agent(AgentId::from("agent1")),
            Role::Wallboard => Acting::Wallboard,
            Role::Supervisor => Acting::Supervisor,
            Role::Telephony => Acting::Telephony,
            Role::Messaging => Acting::Messaging,
        }
    }

    /// One well-formed message of each type.
    const EXAMPLES: &[&str] = &[
        r#"{"id":"1","type":"ping"}"#,
        r#"{"id":"1","type":"seen","seq":3}"#,
        r#"{"id":"1","type":"login"}"#,
        r#"{"id":"1","type":"ready"}"#,
        r#"{"id":"1","type":"not_ready","reason":"lunch"}"#,
        r#"{"id":"1","type":"logout"}"#,
        r#"{"id":"1","type":"clear_pending","agent":"agent1"}"#,
        r#"{"id":"1","type":"accept","call":"c1"}"#,
        r#"{"id":"1","type":"reject","call":"c1"}"#,
        r#"{"id":"1","type":"hold","call":"c1"}"#,
        r#"{"id":"1","type":"resume","call":"c1"}"#,
        r#"{"id":"1","type":"transfer","call":"c1","queue":"sales"}"#,
        r#"{"id":"1","type":"consult","call":"c1","agent":"agent2"}"#,
        r#"{"id":"1","type":"complete_transfer","call":"c1"}"#,
        r#"{"id":"1","type":"conference","call":"c1"}"#,
        r#"{"id":"1","type":"cancel_consult","call":"c1"}"#,
        r#"{"id":"1","type":"hangup","call":"c1"}"#,
        r#"{"id":"1","type":"end_wrap_up"}"#,
        r#"{"id":"1","type":"extend_wrap_up","secs":30}"#,
        r#"{"id":"1","type":"list_agents","limit":10}"#,
        r#"{"id":"1","type":"subscribe"}"#,
        r#"{"id":"1","type":"force_state","agent":"agent2","state":"ready"}"#,
        r#"{"id":"1","type":"set_pending","agent":"agent2","state":"logged_out"}"#,
        r#"{"id":"1","type":"set_call_priority","call":"c1","priority":5}"#,
        r#"{"id":"1","type":"move_call","call":"c1","queue":"sales"}"#,
        r#"{"id":"1","type":"what_if","queue":"sales"}"#,
        r#"{"id":"1","type":"call_arrived","call":"c1","queue":"support"}"#,
        r#"{"id":"1","type":"call_answered","call":"c1"}"#,
        r#"{"id":"1","type":"ring_failed","call":"c1","reason":"unregistered"}"#,
        r#"{"id":"1","type":"call_ended","call":"c1"}"#,
        r#"{"id":"1","type":"device_state","agent":"agent1","device":"in_use"}"#,
        r#"{"id":"1","type":"caller_hung_up","call":"c1"}"#,
        r#"{"id":"1","type":"conversation_arrived","conversation":"k1","queue":"chat"}"#,
        r#"{"id":"1","type":"customer_message","conversation":"k1","text":"hi"}"#,
        r#"{"id":"1","type":"customer_left","conversation":"k1"}"#,
        r#"{"id":"1","type":"accept_conversation","conversation":"k1"}"#,
        r#"{"id":"1","type":"reject_conversation","conversation":"k1"}"#,
        r#"{"id":"1","type":"send_message","conversation":"k1","text":"hello"}"#,
        r#"{"id":"1","type":"transfer_conversation","conversation":"k1","agent":"agent2"}"#,
        r#"{"id":"1","type":"close_conversation","conversation":"k1"}"#,
        r#"{"id":"1","type":"end_conversation_wrap_up","conversation":"k1"}"#,
        r#"{"id":"1","type":"set_disposition","call":"c1","disposition":"resolved"}"#,
        r#"{"id":"1","type":"my_day"}"#,
        r#"{"id":"1","type":"list_queues"}"#,
        r#"{"id":"1","type":"monitor","agent":"agent1","mode":"listen"}"#,
        r#"{"id":"1","type":"end_monitor","agent":"agent1"}"#,
        r#"{"id":"1","type":"agents_today","limit":10}"#,
        r#"{"id":"1","type":"set_ticker","text":"Team meeting 14:00"}"#,
        r#"{"id":"1","type":"create_display","name":"lobby"}"#,
        r#"{"id":"1","type":"list_displays"}"#,
        r#"{"id":"1","type":"revoke_display","name":"lobby"}"#,
    ];

    /// A wallboard asks a queue's staffing as it is: a supposed figure is a supervisor's.
    #[test]
    fn a_wallboard_s_what_if_supposes_nothing() {
        let supposing = parse(r#"{"id":"1","type":"what_if","queue":"sales","agents":4}"#)
            .unwrap()
            .message;
        for (role, forbidden) in [(Role::Supervisor, false), (Role::Wallboard, true)] {
            let result = supposing.clone().into_command(&acting(role), "someone");
            let refused = matches!(
                result,
                Err(Refusal::Protocol(ProtocolError::Forbidden { .. }))
            );
            assert_eq!(refused, forbidden, "{role}: {result:?}");
        }
    }

    #[test]
    fn every_role_may_send_exactly_what_the_table_says() {
        let mut checked = 0;
        for text in EXAMPLES {
            let message = parse(text).unwrap().message;
            for role in Role::ALL {
                let result = message.clone().into_command(&acting(role), "someone");
                let refused_by_role = matches!(
                    result,
                    Err(Refusal::Protocol(ProtocolError::Forbidden { .. }))
                );
                assert_eq!(
                    refused_by_role,
                    !message.allowed_for(role),
                    "{text} from {role}: {result:?}"
                );
                checked += 1;
            }
        }
        // Every type but `auth` (whose credentials are no command at all).
        assert_eq!(
            checked,
            (ClientMessage::types().len() - 1) * Role::ALL.len()
        );
    }

    #[test]
    fn an_agent_acts_on_its_own_agent_only() {
        let me = acting(Role::Agent);
        let accept = parse(r#"{"id":"1","type":"accept","call":"c1"}"#).unwrap();
        assert_eq!(
            accept.message.into_command(&me, "agent1"),
            Ok(Command::Acd(acd::Command::Accept {
                agent: AgentId::from("agent1"),
                call: CallId::from("c1"),
            }))
        );
        let other = parse(r#"{"id":"1","type":"clear_pending","agent":"agent2"}"#).unwrap();
        assert_eq!(
            other
                .message
                .into_command(&me, "agent1")
                .unwrap_err()
                .code(),
            "forbidden"
        );
        let own = parse(r#"{"id":"1","type":"clear_pending"}"#).unwrap();
        assert_eq!(
            own.message.into_command(&me, "agent1"),
            Ok(Command::Acd(acd::Command::ClearPending {
                agent: AgentId::from("agent1")
            }))
        );
    }

    #[test]
    fn reasons_only_the_acd_records_are_refused_as_unknown() {
        for text in [
            r#"{"id":"1","type":"not_ready","reason":"no_answer"}"#,
            r#"{"id":"1","type":"not_ready","reason":"login"}"#,
        ] {
            let message = parse(text).unwrap().message;
            assert_eq!(
                message
                    .into_command(&acting(Role::Agent), "agent1")
                    .unwrap_err()
                    .code(),
                "unknown_reason"
            );
        }
        let forced =
            parse(r#"{"id":"1","type":"force_state","agent":"a","state":"not_ready","reason":"disconnected"}"#)
                .unwrap();
        assert_eq!(
            forced
                .message
                .into_command(&acting(Role::Supervisor), "supervisor")
                .unwrap_err()
                .code(),
            "unknown_reason"
        );
    }

    #[test]
    fn a_supervisor_names_the_agent_to_clear() {
        let nobody = parse(r#"{"id":"1","type":"clear_pending"}"#).unwrap();
        assert_eq!(
            nobody
                .message
                .into_command(&acting(Role::Supervisor), "supervisor")
                .unwrap_err()
                .code(),
            "bad_message"
        );
    }
}
