//! Simulated chat customers, and how virtual agents handle their conversations.
//!
//! A customer arrives with an opening message and waits; unanswered for their patience
//! (exponential, mean [`CHAT_PATIENCE_SECS`]) they leave. Once a conversation is open, each
//! agent message gets an answer after a while (exponential, mean [`CUSTOMER_PAUSE_SECS`]) until
//! the customer has written one to three more messages; now and then (one time in eight) they
//! leave instead. A virtual agent accepts after its answer delay, replies to what the customer
//! wrote after typing for a while (exponential, mean [`TYPING_SECS`]), and closes the
//! conversation a few seconds after its answer to the customer's last message; its wrap-up
//! follows its habit, as after a call. A person's conversation whose customer has nothing more to
//! say ends with the customer leaving after [`SILENT_CUSTOMER_SECS`].
//!
//! Like the rest of the simulator this only learns from the core's events, so a person can
//! take a simulated customer's chat (the demo's agent1 to agent3) and the customer answers them
//! just the same.

use std::time::Duration;

use jiff::Timestamp;

use crate::acd::{AgentId, Author, CallData, CallId, Command, Event};

use super::simulator::{Action, Simulator};

/// The mean time a waiting chat customer stays before leaving.
pub const CHAT_PATIENCE_SECS: f64 = 240.0;
/// The mean time a customer takes to answer an agent's message.
pub const CUSTOMER_PAUSE_SECS: f64 = 20.0;
/// The mean time a virtual agent takes to write a reply.
pub const TYPING_SECS: f64 = 12.0;
/// How long after its answer to the last message a virtual agent closes the conversation.
const CLOSE_AFTER_SECS: u64 = 5;
/// How long a customer with nothing more to say stays with a person's conversation.
pub const SILENT_CUSTOMER_SECS: u64 = 60;

const OPENINGS: [&str; 6] = [
    "Hello, my parcel has not arrived yet",
    "Hi, I was charged twice this month",
    "Good morning, how do I change my address?",
    "Hello? Is anyone there? My order shows as cancelled",
    "Hi, I cannot log in to my account",
    "I'd like to upgrade my plan",
];
const FOLLOW_UPS: [&str; 5] = [
    "The order number is 4471-2208",
    "Yes, that is right",
    "I tried that already, it did not help",
    "OK, and how long will that take?",
    "Thanks, that's all I needed",
];
const REPLIES: [&str; 4] = [
    "Thank you for waiting, let me look into that for you.",
    "I have found your account, one moment please.",
    "That is done now; you will get a confirmation by email.",
    "You're welcome. Is there anything else I can do for you?",
];
const NAMES: [&str; 6] = [
    "Dana Weber",
    "Murat Kaya",
    "Lena Fischer",
    "Tom Richter",
    "Eva Novak",
    "Sam Okafor",
];

/// Where a simulated conversation is, as far as the core's events have told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum ChatPlace {
    Waiting,
    Offered { agent: usize, offer: u32 },
    Open { agent: AgentPlayed },
    Closed,
}

/// Who a conversation is open at: a virtual agent (by index) or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) enum AgentPlayed {
    Virtual(usize),
    Person,
}

/// A simulated customer's conversation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct SimulatedChat {
    source: usize,
    place: ChatPlace,
    offers: u32,
    /// Messages the customer will still write after the agent's next answers.
    turns_left: u32,
    /// A reply or the customer's next move is planned: one at a time.
    agent_busy: bool,
    customer_busy: bool,
    /// Replies the agent has written, for which phrase comes next.
    replies: u32,
}

fn secs(at: Timestamp, secs: f64) -> Timestamp {
    at + Duration::from_secs_f64(secs)
}

impl Simulator {
    /// A chat customer of traffic source `source` arrives at `at`.
    pub(super) fn place_chat(&mut self, source: usize, at: Timestamp, commands: &mut Vec<Command>) {
        let source_ref = &mut self.sources[source];
        let draw = source_ref.callers.next_u64();
        let queue = source_ref.queue.clone();
        let channel = source_ref.channel.clone();
        let patience = source_ref.patiences.exponential(CHAT_PATIENCE_SECS);
        let turns_left = 1 + (source_ref.patiences.next_u64() % 3) as u32;
        let data = CallData {
            caller: Some(NAMES[(draw % NAMES.len() as u64) as usize].to_owned()),
            dialled: None,
            attached: [(
                "customer".to_owned(),
                format!("C-{:05}", (draw >> 24) % 100_000),
            )]
            .into(),
        };
        let opening = OPENINGS[((draw >> 40) % OPENINGS.len() as u64) as usize];
        self.chats_placed += 1;
        let conversation = CallId::new(format!("chat-{}", self.chats_placed));
        self.chats.insert(
            conversation.clone(),
            SimulatedChat {
                source,
                place: ChatPlace::Waiting,
                offers: 0,
                turns_left,
                agent_busy: false,
                customer_busy: false,
                replies: 0,
            },
        );
        self.plan(
            secs(at, patience),
            Action::CustomerLeaves {
                conversation: conversation.clone(),
                unless_open: true,
            },
        );
        commands.push(Command::ConversationArrived {
            conversation,
            queue,
            channel,
            priority: 0,
            data,
            messages: vec![opening.to_owned()],
        });
    }

    /// Learns from a conversation event; `false` if `event` is none.
    pub(super) fn observe_chat(&mut self, event: &Event, now: Timestamp) -> bool {
        match event {
            Event::ConversationQueued { conversation, .. }
            | Event::ConversationOfferEnded { conversation, .. } => {
                if let Some(chat) = self.chats.get_mut(conversation) {
                    chat.place = ChatPlace::Waiting;
                }
            }
            Event::ConversationOffered {
                conversation,
                agent,
                ..
            } => {
                let Some(&index) = self.agent_index.get(agent) else {
                    return true;
                };
                let Some(chat) = self.chats.get_mut(conversation) else {
                    return true;
                };
                chat.offers += 1;
                let offer = chat.offers;
                chat.place = ChatPlace::Offered {
                    agent: index,
                    offer,
                };
                let at = now + self.agents[index].answer_delay;
                let conversation = conversation.clone();
                self.plan(
                    at,
                    Action::ChatAnswer {
                        agent: index,
                        conversation,
                        offer,
                    },
                );
            }
            Event::ConversationAccepted {
                conversation,
                agent,
                ..
            } => {
                let played = match self.agent_index.get(agent) {
                    Some(&index) => AgentPlayed::Virtual(index),
                    None => AgentPlayed::Person,
                };
                if let Some(chat) = self.chats.get_mut(conversation) {
                    chat.place = ChatPlace::Open { agent: played };
                    self.agent_answers(conversation, now);
                }
            }
            Event::MessageAdded {
                conversation,
                message,
                ..
            } => match message.from {
                Author::Customer => self.agent_answers(conversation, now),
                Author::Agent(_) => self.customer_answers(conversation, now),
            },
            Event::ConversationClosed {
                conversation,
                agent,
                ..
            } => {
                if let Some(chat) = self.chats.get_mut(conversation) {
                    chat.place = ChatPlace::Closed;
                }
                if let Some(&index) = self.agent_index.get(agent)
                    && let super::plan::WrapUpHabit::EndAfter(after) = self.agents[index].wrap_up
                {
                    let conversation = conversation.clone();
                    self.plan(
                        now + after,
                        Action::ChatWrapUpEnd {
                            agent: index,
                            conversation,
                        },
                    );
                }
            }
            Event::ConversationLeft { conversation, .. } => {
                self.chats.remove(conversation);
            }
            Event::ConversationTransferred { .. }
            | Event::ConversationOverflowed { .. }
            | Event::ConversationPriorityChanged { .. } => {}
            _ => return false,
        }
        true
    }

    /// A virtual agent holding the open conversation writes back after typing for a while.
    fn agent_answers(&mut self, conversation: &CallId, now: Timestamp) {
        let Some(chat) = self.chats.get_mut(conversation) else {
            return;
        };
        let ChatPlace::Open {
            agent: AgentPlayed::Virtual(agent),
        } = chat.place
        else {
            return;
        };
        if chat.agent_busy {
            return;
        }
        chat.agent_busy = true;
        let typing = self.sources[chat.source]
            .talk_times
            .exponential(TYPING_SECS)
            .max(2.0);
        let conversation = conversation.clone();
        self.plan(
            secs(now, typing),
            Action::AgentReplies {
                agent,
                conversation,
            },
        );
    }

    /// The customer reads the agent's message and writes again, or leaves, or (with nothing
    /// more to say) waits for the agent to close.
    fn customer_answers(&mut self, conversation: &CallId, now: Timestamp) {
        let Some(chat) = self.chats.get_mut(conversation) else {
            return;
        };
        let ChatPlace::Open { agent } = chat.place else {
            return;
        };
        if chat.customer_busy {
            return;
        }
        let source = &mut self.sources[chat.source];
        let conversation = conversation.clone();
        if chat.turns_left == 0 {
            match agent {
                AgentPlayed::Virtual(agent) => {
                    let at = now + Duration::from_secs(CLOSE_AFTER_SECS);
                    self.plan(
                        at,
                        Action::AgentCloses {
                            agent,
                            conversation,
                        },
                    );
                }
                AgentPlayed::Person => {
                    chat.customer_busy = true;
                    let at = now + Duration::from_secs(SILENT_CUSTOMER_SECS);
                    let leaves = Action::CustomerLeaves {
                        conversation,
                        unless_open: false,
                    };
                    self.plan(at, leaves);
                }
            }
            return;
        }
        chat.customer_busy = true;
        let pause = source.talk_times.exponential(CUSTOMER_PAUSE_SECS).max(3.0);
        let leaves = source.patiences.next_u64().is_multiple_of(8);
        let action = if leaves {
            Action::CustomerLeaves {
                conversation,
                unless_open: false,
            }
        } else {
            Action::CustomerWrites { conversation }
        };
        self.plan(secs(now, pause), action);
    }

    /// The command for a conversation action due now, if it still fits.
    pub(super) fn act_chat(&mut self, action: Action, commands: &mut Vec<Command>) {
        match action {
            Action::ChatAnswer {
                agent,
                conversation,
                offer,
            } if self.chat_place(&conversation) == Some(ChatPlace::Offered { agent, offer }) => {
                commands.push(Command::AcceptConversation {
                    agent: self.agent_id(agent),
                    conversation,
                });
            }
            Action::AgentReplies {
                agent,
                conversation,
            } => {
                let open_here = Some(ChatPlace::Open {
                    agent: AgentPlayed::Virtual(agent),
                });
                let Some(chat) = self.chats.get_mut(&conversation) else {
                    return;
                };
                chat.agent_busy = false;
                if Some(chat.place) == open_here {
                    let text = REPLIES[chat.replies as usize % REPLIES.len()];
                    chat.replies += 1;
                    commands.push(Command::AgentWrote {
                        agent: self.agent_id(agent),
                        conversation,
                        text: text.to_owned(),
                    });
                }
            }
            Action::CustomerWrites { conversation } => {
                let Some(chat) = self.chats.get_mut(&conversation) else {
                    return;
                };
                chat.customer_busy = false;
                if matches!(chat.place, ChatPlace::Open { .. }) && chat.turns_left > 0 {
                    chat.turns_left -= 1;
                    let draw = self.sources[chat.source].callers.next_u64();
                    let text = FOLLOW_UPS[(draw % FOLLOW_UPS.len() as u64) as usize];
                    commands.push(Command::CustomerWrote {
                        conversation,
                        text: text.to_owned(),
                    });
                }
            }
            Action::CustomerLeaves {
                conversation,
                unless_open,
            } => {
                let place = self.chat_place(&conversation);
                let leaves = match place {
                    Some(ChatPlace::Waiting | ChatPlace::Offered { .. }) => true,
                    Some(ChatPlace::Open { .. }) => !unless_open,
                    Some(ChatPlace::Closed) | None => false,
                };
                if leaves {
                    commands.push(Command::CustomerLeft { conversation });
                }
            }
            Action::AgentCloses {
                agent,
                conversation,
            } => {
                let open_here = Some(ChatPlace::Open {
                    agent: AgentPlayed::Virtual(agent),
                });
                if self.chat_place(&conversation) == open_here {
                    commands.push(Command::CloseConversation {
                        agent: self.agent_id(agent),
                        conversation,
                    });
                }
            }
            Action::ChatWrapUpEnd {
                agent,
                conversation,
            } if self.chat_place(&conversation) == Some(ChatPlace::Closed) => {
                commands.push(Command::EndConversationWrapUp {
                    agent: self.agent_id(agent),
                    conversation,
                });
            }
            _ => {}
        }
    }

    fn chat_place(&self, conversation: &CallId) -> Option<ChatPlace> {
        self.chats.get(conversation).map(|chat| chat.place)
    }

    fn agent_id(&self, agent: usize) -> AgentId {
        self.agents[agent].id.clone()
    }

    /// Conversations placed so far.
    pub fn chats_placed(&self) -> u64 {
        self.chats_placed
    }
}
