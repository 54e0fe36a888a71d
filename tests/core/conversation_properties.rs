//! Random days of mixed voice, chat and SMS traffic against agents of different capacities, with
//! an exclusive channel, both ways of `voice_exclusive`, and commands valid and invalid. After
//! every step the core's invariants hold; and over every event: an offer never takes an agent
//! past its capacity, never crosses a cross-channel rule, and the messages of a conversation are
//! numbered one after the other, none skipped. The conversation records folded from the events
//! are the same when the fold and the core are restored from snapshots mid-day.

use crate::support;
use std::collections::{BTreeMap, HashMap};

use acdhub::acd::{
    Acd, AgentId, AgentStatus, CallData, CallId, ChannelId, Command, ConversationStatus, Event,
    QueueId, ReasonCode, RequestedState, TransferTarget,
};
use jiff::Timestamp;
use proptest::prelude::*;

/// Voice, chat (three at once, not exclusive) and SMS (two at once, exclusive); queues of each
/// with wrap-ups, ring timeouts, an overflow between chat queues and a short chat queue.
fn setup(voice_exclusive: bool) -> String {
    format!(
        "start 2026-03-28T23:57:00+01:00
         routing reject_delay 3s max_ring_no_answer 2 voice_exclusive {voice_exclusive}
         reasons break
         channel chat capacity 3
         channel sms capacity 2 exclusive
         queue voice wrap_up 5s ring 10s
         queue help channels voice,chat wrap_up 4s ring 10s
         queue chats channel chat wrap_up 5s ring 10s max_wait 60s overflow_to chats2
         queue chats2 channel chat strategy round_robin max_length 3
         queue texts channel sms ring 15s wrap_up 3s
         agent a0 voice 1 chats 2 texts 1 help 1
         agent a1 chats 1 chats2 1 capacity chat 1
         agent a2 voice 2 texts 1 chats2 2 help 3
         agent a3 voice 1 chats 1 chats2 1 texts 1 capacity sms 0"
    )
}

const AGENTS: [&str; 4] = ["a0", "a1", "a2", "a3"];
/// `help` serves calls and chats: a lane of each.
const CONVERSATION_QUEUES: [&str; 4] = ["chats", "chats2", "texts", "help"];
const CAPACITY: [[(&str, usize); 2]; 4] = [
    [("chat", 3), ("sms", 2)],
    [("chat", 1), ("sms", 2)],
    [("chat", 3), ("sms", 2)],
    [("chat", 3), ("sms", 0)],
];

/// A step: how long to wait, then what to do (picked from what the core shows then).
#[derive(Debug, Clone)]
struct Step {
    wait_ms: u64,
    kind: u8,
    pick: usize,
    arg: usize,
}

fn step() -> impl Strategy<Value = Step> {
    let wait_ms = prop_oneof![6 => 0..2_000u64, 2 => 0..20_000u64, 1 => 0..120_000u64];
    (wait_ms, 0..16u8, any::<usize>(), any::<usize>()).prop_map(|(wait_ms, kind, pick, arg)| Step {
        wait_ms,
        kind,
        pick,
        arg,
    })
}

/// The command a step stands for, given what the core holds now; `None` when there is nothing
/// to pick from.
fn command(acd: &Acd, step: &Step, serial: usize) -> Option<Command> {
    let agent = AgentId::new(AGENTS[step.pick % AGENTS.len()]);
    let conversations = acd.conversations();
    let some = |pick: usize| {
        (!conversations.is_empty()).then(|| &conversations[pick % conversations.len()])
    };
    let held_by = |view: &acdhub::acd::ConversationView| match &view.status {
        ConversationStatus::Offered { agent, .. }
        | ConversationStatus::Open { agent }
        | ConversationStatus::WrapUp { agent, .. } => Some(agent.clone()),
        ConversationStatus::Waiting { .. } => None,
    };
    let id = |view: &acdhub::acd::ConversationView| view.id.clone();
    Some(match step.kind {
        0 => Command::CallArrived {
            arrived_at: None,
            call: CallId::new(format!("c{serial}")),
            queue: QueueId::new(["voice", "help"][step.pick % 2]),
            priority: (step.arg % 2) as u8,
            data: CallData::default(),
        },
        1 | 2 => Command::ConversationArrived {
            conversation: CallId::new(format!("k{serial}")),
            queue: QueueId::new(CONVERSATION_QUEUES[step.arg % CONVERSATION_QUEUES.len()]),
            // Named or not: `help` has one messaging lane.
            channel: step.pick.is_multiple_of(2).then(|| ChannelId::new("chat")),
            priority: (step.arg % 3) as u8,
            data: CallData::default(),
            messages: vec!["hello".to_owned(); step.arg % 3],
        },
        3 => Command::CustomerWrote {
            conversation: id(some(step.pick)?),
            text: format!("message {serial}"),
        },
        4 => Command::CustomerLeft {
            conversation: id(some(step.pick)?),
        },
        5 | 6 => {
            let view = some(step.pick)?;
            let holder = held_by(view).unwrap_or(agent);
            match (&view.status, step.arg % 4) {
                (ConversationStatus::Offered { .. }, 0) => Command::RejectConversation {
                    agent: holder,
                    conversation: id(view),
                },
                (ConversationStatus::Offered { .. }, _) => Command::AcceptConversation {
                    agent: holder,
                    conversation: id(view),
                },
                (ConversationStatus::Open { .. }, 0) => Command::CloseConversation {
                    agent: holder,
                    conversation: id(view),
                },
                (ConversationStatus::Open { .. }, 1) => Command::TransferConversation {
                    agent: holder,
                    conversation: id(view),
                    target: if step.arg % 8 < 4 {
                        TransferTarget::Queue(QueueId::new(
                            CONVERSATION_QUEUES[step.arg % CONVERSATION_QUEUES.len()],
                        ))
                    } else {
                        TransferTarget::Agent(AgentId::new(AGENTS[step.arg % AGENTS.len()]))
                    },
                },
                (ConversationStatus::Open { .. }, _) => Command::AgentWrote {
                    agent: holder,
                    conversation: id(view),
                    text: format!("reply {serial}"),
                },
                (ConversationStatus::WrapUp { .. }, _) => Command::EndConversationWrapUp {
                    agent: holder,
                    conversation: id(view),
                },
                (ConversationStatus::Waiting { .. }, _) => Command::MoveCall {
                    call: id(view),
                    queue: QueueId::new(CONVERSATION_QUEUES[step.arg % CONVERSATION_QUEUES.len()]),
                },
            }
        }
        7 | 8 => {
            // Voice: answer, hang up, end wrap-up, whatever the agent is at.
            let view = acd.agent(&agent)?;
            match view.status {
                AgentStatus::Ringing { call } if step.arg.is_multiple_of(4) => {
                    Command::Reject { agent, call }
                }
                AgentStatus::Ringing { call } => Command::Accept { agent, call },
                AgentStatus::OnCall { call, .. } => Command::Hangup { agent, call },
                AgentStatus::WrapUp { .. } => Command::EndWrapUp { agent },
                _ => Command::SetState {
                    agent,
                    state: RequestedState::Ready,
                },
            }
        }
        9 => Command::Login { agent },
        10 | 11 => Command::SetState {
            agent,
            state: RequestedState::Ready,
        },
        12 => Command::SetState {
            agent,
            state: RequestedState::NotReady {
                reason: ReasonCode::new("break"),
            },
        },
        13 => Command::SetState {
            agent,
            state: RequestedState::LoggedOut,
        },
        14 => {
            // A call ends on the phone, or a wrong id: refused, changing nothing.
            let calls = acd.calls();
            match calls.get(step.arg % (calls.len() + 1)) {
                Some(call) => Command::CallEnded {
                    call: call.id.clone(),
                },
                None => Command::CallEnded {
                    call: id(some(step.pick)?),
                },
            }
        }
        _ => return None,
    })
}

/// What the test knows from the events alone: each agent's status, pending state and the
/// conversations it holds, and each conversation's next message number.
#[derive(Default)]
struct Model {
    status: HashMap<AgentId, AgentStatus>,
    pending: HashMap<AgentId, bool>,
    held: HashMap<AgentId, BTreeMap<ChannelId, Vec<CallId>>>,
    channel_of: HashMap<CallId, ChannelId>,
    holder: HashMap<CallId, AgentId>,
    next_number: HashMap<CallId, u32>,
}

impl Model {
    fn release(&mut self, conversation: &CallId) {
        if let Some(agent) = self.holder.remove(conversation) {
            let channel = &self.channel_of[conversation];
            let held = self.held.entry(agent).or_default();
            held.entry(channel.clone())
                .or_default()
                .retain(|c| c != conversation);
        }
    }

    /// Checks the event against what held before it, then takes it in.
    fn observe(&mut self, event: &Event, voice_exclusive: bool) -> Result<(), String> {
        let exclusive = |channel: &str| channel == "sms";
        match event {
            Event::AgentStatusChanged { agent, status, .. } => {
                self.status.insert(agent.clone(), status.clone());
            }
            Event::PendingStateChanged { agent, pending } => {
                self.pending.insert(agent.clone(), pending.is_some());
            }
            Event::CallOffered { agent, call, .. } => {
                let held = self.held.entry(agent.clone()).or_default();
                if let Some((channel, _)) = held
                    .iter()
                    .find(|(channel, ids)| !ids.is_empty() && exclusive(channel.as_str()))
                {
                    return Err(format!("call {call} offered to {agent} holding {channel}"));
                }
                if self.status.get(agent) != Some(&AgentStatus::Ready) {
                    return Err(format!("call {call} offered to {agent} who is not ready"));
                }
            }
            Event::ConversationOffered {
                conversation,
                agent,
                channel,
                transcript,
                ..
            } => {
                let index = AGENTS.iter().position(|a| *a == agent.as_str()).unwrap();
                let capacity = CAPACITY[index]
                    .iter()
                    .find(|(c, _)| *c == channel.as_str())
                    .unwrap()
                    .1;
                let held = self.held.entry(agent.clone()).or_default();
                let count = held.get(channel).map_or(0, Vec::len);
                if count >= capacity {
                    return Err(format!(
                        "{conversation} offered to {agent} holding {count} of {channel} (capacity {capacity})"
                    ));
                }
                if let Some((other, _)) = held.iter().find(|(other, ids)| {
                    *other != channel && !ids.is_empty() && exclusive(other.as_str())
                }) {
                    return Err(format!(
                        "{conversation} ({channel}) offered to {agent} holding exclusive {other}"
                    ));
                }
                let status = self.status.get(agent).cloned();
                let busy = status.as_ref().is_some_and(AgentStatus::is_busy);
                let pending = self.pending.get(agent).copied().unwrap_or(false);
                let allowed =
                    status == Some(AgentStatus::Ready) || (busy && !voice_exclusive && !pending);
                if !allowed {
                    return Err(format!(
                        "{conversation} offered to {agent} who is {status:?} (pending {pending})"
                    ));
                }
                held.entry(channel.clone())
                    .or_default()
                    .push(conversation.clone());
                self.channel_of
                    .insert(conversation.clone(), channel.clone());
                self.holder.insert(conversation.clone(), agent.clone());
                let next = transcript.len() as u32;
                let expected = self.next_number.get(conversation).copied();
                if expected != Some(next) {
                    return Err(format!(
                        "{conversation} offered with {next} messages, {expected:?} were written"
                    ));
                }
            }
            Event::MessageAdded {
                conversation,
                number,
                ..
            } => {
                let Some(next) = self.next_number.get_mut(conversation) else {
                    return Err(format!("a message of {conversation}, which never arrived"));
                };
                if *number != *next {
                    return Err(format!(
                        "{conversation}: message {number} after {} was written",
                        *next as i64 - 1
                    ));
                }
                *next += 1;
            }
            Event::ConversationOfferEnded { conversation, .. }
            | Event::ConversationTransferred { conversation, .. } => self.release(conversation),
            Event::ConversationLeft { conversation, .. } => {
                self.release(conversation);
                self.next_number.remove(conversation);
            }
            _ => {}
        }
        Ok(())
    }
}

/// What the runs went through: the first words of every event and the most conversations of
/// one channel an agent held at once.
#[derive(Debug, Default)]
struct Coverage {
    events: std::collections::BTreeSet<String>,
    most_held: usize,
    mixed: bool,
}

fn run(
    steps: &[Step],
    voice_exclusive: bool,
    coverage: &mut Coverage,
) -> Result<(), TestCaseError> {
    let (mut acd, mut now) = support::acd(&setup(voice_exclusive));
    let start = now;
    let mut model = Model::default();
    let mut drain = |acd: &mut Acd, model: &mut Model| -> Result<(), TestCaseError> {
        while let Some(event) = acd.poll_event() {
            model
                .observe(&event, voice_exclusive)
                .map_err(TestCaseError::fail)?;
            let words = support::render_event(&event, start);
            let mut words = words.split_whitespace();
            let kind = words.next().unwrap_or_default().to_owned();
            let rendered: Vec<&str> = words.collect();
            let detail = match kind.as_str() {
                "chat_left" | "chat_offer_ended" | "left" => {
                    rendered.last().copied().unwrap_or_default()
                }
                // Work of either lane of `help` routed.
                "offered" | "chat_offered" if rendered.contains(&"help") => "help",
                _ => "",
            };
            coverage
                .events
                .insert(format!("{kind} {detail}").trim().to_owned());
        }
        for agent in acd.agents() {
            let places = acd.agent_places(&agent.id).unwrap();
            let most = places.iter().map(|(_, held, _)| *held as usize).max();
            coverage.most_held = coverage.most_held.max(most.unwrap_or(0));
            if agent.status.is_busy() && places.iter().any(|(_, held, _)| *held > 0) {
                coverage.mixed = true;
            }
        }
        acd.check_invariants().map_err(TestCaseError::fail)?;
        for (index, agent) in AGENTS.iter().enumerate() {
            for (channel, held, capacity) in acd.agent_places(&AgentId::new(*agent)).unwrap() {
                let known = CAPACITY[index]
                    .iter()
                    .find(|(c, _)| *c == channel.as_str())
                    .unwrap()
                    .1;
                prop_assert_eq!(capacity as usize, known);
                prop_assert!(
                    held <= capacity,
                    "{} holds {} of {}, capacity {}",
                    agent,
                    held,
                    channel,
                    capacity
                );
                let modelled = model
                    .held
                    .get(&AgentId::new(*agent))
                    .and_then(|h| h.get(&channel))
                    .map_or(0, Vec::len);
                prop_assert_eq!(held as usize, modelled, "{} {}", agent, channel);
            }
        }
        Ok(())
    };
    for (serial, step) in steps.iter().enumerate() {
        now = Timestamp::from_millisecond(now.as_millisecond() + step.wait_ms as i64).unwrap();
        acd.handle_timeout(now);
        drain(&mut acd, &mut model)?;
        let Some(command) = command(&acd, step, serial) else {
            continue;
        };
        let before = format!("{acd:?}");
        if let Command::ConversationArrived {
            conversation,
            messages,
            ..
        } = &command
            && acd.conversation_by_id(conversation).is_none()
        {
            // Its first messages come with it; each one after is an event (a refused arrival
            // is forgotten again at its `ConversationLeft`, or changes nothing).
            model
                .next_number
                .insert(conversation.clone(), messages.len() as u32);
        }
        if let Err(error) = acd.handle(command.clone(), now) {
            prop_assert!(acd.poll_event().is_none(), "{:?}: {}", command, error);
            prop_assert!(
                format!("{acd:?}") == before,
                "{:?} was refused ({}) but changed the state",
                command,
                error
            );
        }
        drain(&mut acd, &mut model)?;
    }
    Ok(())
}

proptest! {
    #[test]
    fn mixed_days_never_pass_a_capacity_or_cross_a_channel_rule(
        steps in prop::collection::vec(step(), 1..150),
        voice_exclusive in any::<bool>(),
    ) {
        run(&steps, voice_exclusive, &mut Coverage::default())?;
    }
}

#[test]
fn the_mixed_days_reach_every_part_of_the_conversation_model() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut coverage = Coverage::default();
    for day in 0..64 {
        let steps = prop::collection::vec(step(), 100..150)
            .new_tree(&mut runner)
            .unwrap()
            .current();
        run(&steps, day % 2 == 0, &mut coverage).unwrap();
    }
    for event in [
        "chat_offered",
        "chat_accepted",
        "message",
        "chat_closed",
        "chat_transferred",
        "chat_overflowed",
        "chat_left completed",
        "chat_left abandoned",
        "chat_left refused",
        "chat_offer_ended rejected",
        "chat_offer_ended ring_no_answer",
        "chat_offer_ended customer_left",
        "offered",
        "left completed",
        "offered help",
        "chat_offered help",
    ] {
        assert!(
            coverage.events.contains(event),
            "never `{event}`: {coverage:?}"
        );
    }
    assert!(
        coverage.most_held >= 3,
        "an agent at its capacity: {coverage:?}"
    );
    assert!(
        coverage.mixed,
        "an agent with a call and chats at once: {coverage:?}"
    );
}

/// Plays a mixed day, optionally ticking at every deadline the core announces and optionally
/// restoring the core from a snapshot of itself before step `restore_at`; returns every event but
/// `QueueChanged`, and every conversation and call as they ended, in words.
fn replay(
    steps: &[Step],
    voice_exclusive: bool,
    tick_at_every_deadline: bool,
    restore_at: Option<usize>,
) -> (Vec<String>, String) {
    let (mut acd, start) = support::acd(&setup(voice_exclusive));
    let mut now = start;
    let mut events = Vec::new();
    // `QueueChanged` says a step changed a queue: how steps fall differs, what happened not.
    let mut drain = |acd: &mut Acd| {
        while let Some(event) = acd.poll_event() {
            if !matches!(event, Event::QueueChanged { .. }) {
                events.push(support::render_event(&event, start));
            }
        }
    };
    for (serial, step) in steps.iter().enumerate() {
        if restore_at == Some(serial) {
            let snapshot = serde_json::to_vec(&acd).expect("the core serializes");
            acd = serde_json::from_slice(&snapshot).expect("the core deserializes");
        }
        let next = Timestamp::from_millisecond(now.as_millisecond() + step.wait_ms as i64).unwrap();
        while tick_at_every_deadline && acd.poll_timeout() <= next {
            acd.handle_timeout(acd.poll_timeout());
            drain(&mut acd);
        }
        now = next;
        acd.handle_timeout(now);
        drain(&mut acd);
        if let Some(command) = command(&acd, step, serial) {
            let _ = acd.handle(command, now);
        }
        drain(&mut acd);
    }
    let end = format!("{:?}\n{:?}", acd.conversations(), acd.calls());
    (events, end)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// Conversations' deadlines (offers, wrap-ups, waits) take effect at their own instant, and
    /// a snapshot holds every conversation and its transcript: a core restored from one goes on
    /// exactly as the original.
    #[test]
    fn mixed_days_go_on_alike_however_ticked_and_from_a_snapshot(
        steps in prop::collection::vec(step(), 1..120),
        voice_exclusive in any::<bool>(),
        at in 0usize..1000,
    ) {
        let original = replay(&steps, voice_exclusive, false, None);
        prop_assert_eq!(&original, &replay(&steps, voice_exclusive, true, None));
        let restored = replay(&steps, voice_exclusive, false, Some(at % steps.len()));
        prop_assert_eq!(original, restored);
    }
}

/// Plays a mixed day as the engine does (every deadline at its own instant) with the
/// conversation records folded beside the core, optionally restoring both from snapshots of
/// themselves before step `restore_at`; returns every record finished, as its file's line.
fn conversation_records(
    steps: &[Step],
    voice_exclusive: bool,
    restore_at: Option<usize>,
) -> Vec<String> {
    use acdhub::records::ConversationRecords;

    let (mut acd, mut now) = support::acd(&setup(voice_exclusive));
    let mut records = ConversationRecords::default();
    let mut lines = Vec::new();
    let mut drain = |acd: &mut Acd, records: &mut ConversationRecords, at: Timestamp| {
        while let Some(event) = acd.poll_event() {
            records.observe(&event, at);
        }
        for record in records.take_finished() {
            lines.push(serde_json::to_string(&record).unwrap());
        }
    };
    for (serial, step) in steps.iter().enumerate() {
        if restore_at == Some(serial) {
            acd = serde_json::from_slice(&serde_json::to_vec(&acd).unwrap()).unwrap();
            records = serde_json::from_slice(&serde_json::to_vec(&records).unwrap()).unwrap();
        }
        now = Timestamp::from_millisecond(now.as_millisecond() + step.wait_ms as i64).unwrap();
        while acd.poll_timeout() <= now {
            let deadline = acd.poll_timeout();
            acd.handle_timeout(deadline);
            drain(&mut acd, &mut records, deadline);
        }
        acd.handle_timeout(now);
        drain(&mut acd, &mut records, now);
        if let Some(command) = command(&acd, step, serial) {
            let _ = acd.handle(command, now);
        }
        drain(&mut acd, &mut records, now);
    }
    lines
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    /// The conversation records are a function of the events: a fold restored from its
    /// snapshot beside its core writes the same records, numbered 1, 2, 3... as they finish.
    #[test]
    fn conversation_records_go_on_alike_from_a_snapshot(
        steps in prop::collection::vec(step(), 1..120),
        voice_exclusive in any::<bool>(),
        at in 0usize..1000,
    ) {
        let original = conversation_records(&steps, voice_exclusive, None);
        for (index, line) in original.iter().enumerate() {
            let record: serde_json::Value = serde_json::from_str(line).unwrap();
            prop_assert_eq!(record["seq"].as_u64(), Some(index as u64 + 1));
        }
        let restored =
            conversation_records(&steps, voice_exclusive, Some(at % steps.len()));
        prop_assert_eq!(original, restored);
    }
}
