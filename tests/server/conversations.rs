//! Conversations over the wire: the messaging connector and an agent on ws and wss, the refusals
//! a conversation command can get, and, on every rung (WebSocket, SSE, long-poll), every
//! customer message reaching the agent exactly once and in order through a cut and a resume.
//! Every server message is checked against its schema by the clients.

use serde_json::{Value, json};

use crate::net::http::{Poll, Sse, SseItem, resume_auth};
use crate::net::{self, Client, Via};

/// An agent (`c1` by default) logged in and ready.
async fn ready_agent(server: &acdhub::server::Server, user: &str, via: Via) -> (Client, Value) {
    let (mut agent, result) = Client::login(server, via, user).await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    agent.backlog.clear();
    (agent, result)
}

/// Agent `c1` logged in and ready, the messaging connector `widget`, and conversation `id`
/// arrived with "Hi" and accepted by c1: the agent's client, its token (to resume with after a
/// restart) and the connector's client.
pub(crate) async fn chat_open_at_c1(
    server: &acdhub::server::Server,
    id: &str,
) -> (Client, String, Client) {
    let (mut agent, result) = Client::login(server, Via::Ws, "c1").await;
    let token = result["token"].as_str().unwrap().to_owned();
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut widget, _) = Client::login(server, Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": id, "queue": "chat", "messages": ["Hi"]}))
        .await;
    agent.expect("conversation_offer").await;
    agent
        .ok(json!({"type": "accept_conversation", "conversation": id}))
        .await;
    (agent, token, widget)
}

async fn widget(server: &acdhub::server::Server, via: Via) -> Client {
    let (mut widget, result) = Client::login(server, via, "widget").await;
    assert_eq!(result["role"], "messaging", "{result}");
    assert_eq!(result["agents"], json!([]), "a connector is named no agent");
    widget.backlog.clear();
    widget
}

#[tokio::test]
async fn a_conversation_goes_from_the_connector_to_an_agent_and_back_on_ws_and_wss() {
    let server = net::start(&net::with_chat("")).await;
    let (mut agent, _) = ready_agent(&server, "c1", Via::Ws).await;
    let mut widget = widget(&server, Via::Wss).await;

    widget
        .ok(json!({
            "type": "conversation_arrived", "conversation": "chat-1", "queue": "chat",
            "customer": "Dana Weber", "data": {"account": "C-10293"},
            "messages": ["Hello", "My parcel has not arrived"],
        }))
        .await;
    let offer = agent.expect("conversation_offer").await;
    assert_eq!(offer["agent"], "c1", "{offer}");
    assert_eq!(offer["channel"], "chat");
    assert_eq!(offer["customer"], "Dana Weber");
    assert_eq!(offer["data"]["account"], "C-10293");
    let texts: Vec<&str> = offer["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Hello", "My parcel has not arrived"]);
    assert_eq!(
        widget.expect("conversation_offer").await["agent"],
        "c1",
        "the connector learns whom it is offered to"
    );
    // The agent's state does not change: it may take more chats, and calls.
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "chat-1"}))
        .await;
    agent.expect("conversation_accepted").await;
    widget.expect("conversation_accepted").await;

    widget
        .ok(json!({"type": "customer_message", "conversation": "chat-1", "text": "It was due Monday"}))
        .await;
    let message = agent.expect("message").await;
    assert_eq!(
        (&message["number"], &message["from"], &message["text"]),
        (&json!(2), &json!("customer"), &json!("It was due Monday")),
        "{message}"
    );
    agent
        .ok(json!({"type": "send_message", "conversation": "chat-1", "text": "Let me check."}))
        .await;
    let mine = agent.expect("message").await;
    assert_eq!((&mine["number"], &mine["agent"]), (&json!(3), &json!("c1")));
    let delivered = widget.expect("message").await;
    assert_eq!(
        (&delivered["from"], &delivered["text"]),
        (&json!("agent"), &json!("Let me check.")),
        "the connector gets what it must deliver"
    );

    agent
        .ok(json!({"type": "close_conversation", "conversation": "chat-1"}))
        .await;
    let closed = agent.expect("conversation_closed").await;
    assert_eq!(closed["by"], "agent");
    assert!(closed["wrap_up_deadline"].is_string(), "{closed}");
    widget.expect("conversation_closed").await;
    agent
        .ok(json!({"type": "end_conversation_wrap_up", "conversation": "chat-1"}))
        .await;
    assert_eq!(
        agent.expect("conversation_left").await["reason"],
        "completed"
    );
    assert_eq!(
        widget.expect("conversation_left").await["reason"],
        "completed"
    );
    // The customer's own messages never came back to the connector.
    assert!(
        !widget
            .backlog
            .iter()
            .any(|m| m["type"] == "message" && m["from"] == "customer"),
        "{:?}",
        widget.backlog
    );
}

#[tokio::test]
async fn conversation_commands_refuse_what_they_cannot_do_and_change_nothing() {
    let server = net::start(&net::with_chat("")).await;
    let (mut agent, _) = ready_agent(&server, "c1", Via::Ws).await;
    let (other, _) = ready_agent(&server, "c2", Via::Ws).await;
    let mut widget = widget(&server, Via::Ws).await;
    let (pbx, _) = Client::login(&server, Via::Ws, "pbx").await;

    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k1", "queue": "chat"}))
        .await;
    let offered_to = agent.expect("conversation_offer").await["agent"].clone();
    assert_eq!(offered_to, "c1", "c1 was ready first");
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "k1"}))
        .await;
    agent.backlog.clear();
    let last = agent.last_seq;

    const AGENT: usize = 0;
    const OTHER: usize = 1;
    const WIDGET: usize = 2;
    const PBX: usize = 3;
    let refusals = [
        (
            WIDGET,
            json!({"type": "conversation_arrived", "conversation": "k2", "queue": "support"}),
            "wrong_channel",
        ),
        (
            WIDGET,
            json!({"type": "conversation_arrived", "conversation": "k1", "queue": "chat"}),
            "duplicate_call",
        ),
        (
            WIDGET,
            json!({"type": "customer_message", "conversation": "k1", "text": "x".repeat(4097)}),
            "message_too_long",
        ),
        (
            WIDGET,
            json!({"type": "customer_message", "conversation": "k1", "text": "  \n "}),
            "empty_message",
        ),
        (
            WIDGET,
            json!({"type": "customer_message", "conversation": "nope", "text": "hi"}),
            "unknown_call",
        ),
        (WIDGET, json!({"type": "accept", "call": "k1"}), "forbidden"),
        (
            PBX,
            json!({"type": "call_ended", "call": "k1"}),
            "not_a_call",
        ),
        (
            PBX,
            json!({"type": "customer_left", "conversation": "k1"}),
            "forbidden",
        ),
        (
            PBX,
            json!({"type": "call_arrived", "call": "c9", "queue": "chat"}),
            "wrong_channel",
        ),
        (
            OTHER,
            json!({"type": "send_message", "conversation": "k1", "text": "hi"}),
            "not_in_conversation",
        ),
        (
            AGENT,
            json!({"type": "accept_conversation", "conversation": "k1"}),
            "not_offered",
        ),
        (
            AGENT,
            json!({"type": "end_conversation_wrap_up", "conversation": "k1"}),
            "conversation_open",
        ),
        (
            AGENT,
            json!({"type": "transfer_conversation", "conversation": "k1", "queue": "sales"}),
            "wrong_channel",
        ),
        (
            AGENT,
            json!({"type": "transfer_conversation", "conversation": "k1", "queue": "chat", "agent": "c2"}),
            "bad_message",
        ),
        (AGENT, json!({"type": "logout"}), "holds_conversations"),
        (AGENT, json!({"type": "hangup", "call": "k1"}), "not_a_call"),
    ];
    let mut clients = [agent, other, widget, pbx];
    for (who, command, code) in refusals {
        let error = clients[who].refused(command.clone()).await;
        assert_eq!(error, code, "{command}");
    }
    let [agent, _, widget, _] = &mut clients;
    // Nothing happened: no event reached the agent, and the conversation goes on.
    assert_eq!(agent.last_seq, last, "{:?}", agent.backlog);
    widget
        .ok(json!({"type": "customer_message", "conversation": "k1", "text": "still here"}))
        .await;
    assert_eq!(agent.expect("message").await["number"], 0);
}

/// One agent link on a rung, as far as this test needs: send, and the next message.
enum Link {
    Ws(Box<Client>),
    Sse(Box<Sse>),
    Poll(Box<Poll>),
}

#[derive(Debug, Clone, Copy)]
enum Rung {
    Ws,
    Sse,
    Poll,
}

impl Link {
    async fn open(server: &acdhub::server::Server, rung: Rung, last_seq: u64) -> Link {
        let addr = net::addr(server, Via::Ws);
        match rung {
            Rung::Ws => {
                let mut client = Client::connect_at(addr, Via::Ws).await;
                client.last_seq = last_seq;
                Link::Ws(Box::new(client))
            }
            Rung::Sse => Link::Sse(Box::new(Sse::open(addr).await)),
            Rung::Poll => {
                let mut poll = Poll::open(addr).await;
                let hello = poll.next_message().await;
                assert_eq!(hello["type"], "hello");
                Link::Poll(Box::new(poll))
            }
        }
    }

    async fn send(&mut self, message: &Value) {
        match self {
            Link::Ws(client) => client.send_text(message.to_string()).await,
            Link::Sse(sse) => sse.send(message).await,
            Link::Poll(poll) => poll.send(message).await,
        }
    }

    async fn next(&mut self) -> Value {
        match self {
            Link::Ws(client) => client.next().await,
            Link::Sse(sse) => loop {
                match sse.next_item().await.1 {
                    SseItem::Message { message, .. } => break message,
                    SseItem::Comment(_) | SseItem::Retry => {}
                    other => panic!("{other:?}"),
                }
            },
            Link::Poll(poll) => poll.next_message().await,
        }
    }

    /// Sends `command` and reads until its reply; the events on the way go to `events`.
    async fn request(&mut self, command: Value, events: &mut Vec<Value>) -> Value {
        let id = command["id"].clone();
        self.send(&command).await;
        loop {
            let message = self.next().await;
            if message.get("seq").is_some() {
                events.push(message);
            } else if message["id"] == id {
                return message;
            }
        }
    }

    /// Reads events until one satisfies `done`.
    async fn until(&mut self, events: &mut Vec<Value>, done: impl Fn(&Value) -> bool) {
        loop {
            let message = self.next().await;
            if message.get("seq").is_some() {
                let finished = done(&message);
                events.push(message);
                if finished {
                    return;
                }
            }
        }
    }
}

/// The numbers of the `message` events among `events`.
fn numbers(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| e["number"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn on_every_rung_each_customer_message_reaches_the_agent_once_in_order_through_a_cut() {
    let server = net::start(&net::with_chat("")).await;
    let mut widget = widget(&server, Via::Ws).await;
    for (round, rung) in [Rung::Ws, Rung::Sse, Rung::Poll].into_iter().enumerate() {
        let conversation = format!("chat-{rung:?}");
        let mut events = Vec::new();
        let mut link = Link::open(&server, rung, 0).await;
        let auth = json!({"id": "a", "type": "auth", "user": "c1", "password": net::PASSWORD});
        let reply = link.request(auth, &mut events).await;
        assert_eq!(reply["type"], "ack", "{reply}");
        let (token, session) = (
            reply["result"]["token"].as_str().unwrap().to_owned(),
            reply["result"]["session"].as_str().unwrap().to_owned(),
        );
        if round == 0 {
            link.request(json!({"id": "l", "type": "login"}), &mut events)
                .await;
            link.request(json!({"id": "r", "type": "ready"}), &mut events)
                .await;
        }
        widget
            .ok(json!({"type": "conversation_arrived", "conversation": conversation, "queue": "chat", "messages": ["first"]}))
            .await;
        link.until(&mut events, |e| e["type"] == "conversation_offer")
            .await;
        let accept =
            json!({"id": "x", "type": "accept_conversation", "conversation": conversation});
        assert_eq!(link.request(accept, &mut events).await["type"], "ack");
        let say = |number: u64| json!({"type": "customer_message", "conversation": conversation, "text": format!("message {number}")});
        for number in 1..=3 {
            widget.ok(say(number)).await;
        }
        link.until(&mut events, |e| e["type"] == "message" && e["number"] == 3)
            .await;

        // The link is cut mid-conversation; the customer goes on writing.
        let last_seq = events.last().unwrap()["seq"].as_u64().unwrap();
        drop(link);
        for number in 4..=7 {
            widget.ok(say(number)).await;
        }
        let mut back = Link::open(&server, rung, last_seq).await;
        let reply = back
            .request(resume_auth("b", &token, &session, last_seq), &mut events)
            .await;
        assert_eq!(reply["result"]["resumed"], true, "{rung:?}: {reply}");
        for number in 8..=9 {
            widget.ok(say(number)).await;
        }
        back.until(&mut events, |e| e["type"] == "message" && e["number"] == 9)
            .await;

        assert_eq!(
            numbers(&events),
            (1..=9).collect::<Vec<_>>(),
            "{rung:?}: every message once, in order"
        );
        let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
        assert!(
            seqs.windows(2).all(|w| w[1] == w[0] + 1),
            "{rung:?}: no event lost or repeated across the resume: {seqs:?}"
        );
        // Done with it: the next round's conversation comes to this agent again.
        back.request(
            json!({"id": "c", "type": "close_conversation", "conversation": conversation}),
            &mut events,
        )
        .await;
        back.request(
            json!({"id": "d", "type": "end_conversation_wrap_up", "conversation": conversation}),
            &mut events,
        )
        .await;
    }
}

#[tokio::test]
async fn a_supervisor_sees_every_conversation_move_without_its_messages() {
    let server = net::start(&net::with_chat("")).await;
    let (mut agent, _) = ready_agent(&server, "c1", Via::Ws).await;
    let mut widget = widget(&server, Via::Ws).await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k-0", "queue": "chat"}))
        .await;
    agent.expect("conversation_offer").await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let snapshot = boss
        .expect_where("conversation_state", |m| m["conversation"] == "k-0")
        .await;
    assert_eq!(snapshot["status"], "offered", "{snapshot}");
    assert!(snapshot.get("transcript").is_none(), "{snapshot}");

    agent
        .ok(json!({"type": "accept_conversation", "conversation": "k-0"}))
        .await;
    let open = boss
        .expect_where("conversation_state", |m| m["status"] == "open")
        .await;
    assert_eq!(open["agent"], "c1");
    widget
        .ok(json!({"type": "customer_message", "conversation": "k-0", "text": "private"}))
        .await;
    agent
        .ok(json!({"type": "close_conversation", "conversation": "k-0"}))
        .await;
    let closed = boss
        .expect_where("conversation_state", |m| m["status"] == "wrap_up")
        .await;
    assert!(closed["wrap_up_deadline"].is_string(), "{closed}");
    agent
        .ok(json!({"type": "end_conversation_wrap_up", "conversation": "k-0"}))
        .await;
    let left = boss.expect("conversation_left").await;
    assert_eq!(left["reason"], "completed");
    assert!(
        !boss.backlog.iter().any(|m| m["type"] == "message"),
        "a supervisor does not get the messages: {:?}",
        boss.backlog
    );
}

#[tokio::test]
async fn an_agent_gone_with_conversations_is_logged_out_only_once_they_are_over() {
    // The server logs out agents whose connections are gone past a second: one who holds a
    // conversation cannot be logged out, so it goes not ready instead, and is logged out when
    // the logout is tried again with its conversation over.
    let server = net::start_with_server_keys(
        "disconnect_grace_secs = 1\non_disconnect = \"logout\"\n",
        &net::with_chat(""),
    )
    .await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let (mut agent, _) = ready_agent(&server, "c1", Via::Ws).await;
    let mut widget = widget(&server, Via::Ws).await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k-1", "queue": "chat"}))
        .await;
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "k-1"}))
        .await;
    drop(agent);
    let gone = boss
        .expect_where("agent_state", |m| {
            m["agent"] == "c1" && m["reason"] == "disconnected"
        })
        .await;
    assert_eq!(gone["state"], "not_ready", "{gone}");
    // Still in its conversation, which waits for it; a new one goes to no one (c2 is not in).
    widget
        .ok(json!({"type": "customer_message", "conversation": "k-1", "text": "hello?"}))
        .await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k-2", "queue": "chat"}))
        .await;
    let waiting = boss
        .expect_where("conversation_state", |m| m["conversation"] == "k-2")
        .await;
    assert_eq!(waiting["status"], "waiting", "{waiting}");
    // Once its conversation is over, the logout it could not have is tried again: it goes.
    widget
        .ok(json!({"type": "customer_left", "conversation": "k-1"}))
        .await;
    // Its wrap-up (30 s) and the next try (30 s after the grace period) pass.
    server
        .advance_clock(std::time::Duration::from_secs(31))
        .await;
    boss.expect_where("conversation_left", |m| m["conversation"] == "k-1")
        .await;
    boss.expect_where("agent_state", |m| {
        m["agent"] == "c1" && m["state"] == "logged_out"
    })
    .await;
}

/// A wallboard on a chat queue sees the figures only conversations have, as protocol.md
/// defines them (and the schema checks every field): places while agents sign in and take
/// chats, and the first response once the agent replies.
#[tokio::test]
async fn a_wallboard_sees_a_chat_queues_places_and_first_response() {
    let server = net::start(&net::with_chat("")).await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["chat", "support"]}))
        .await;
    let voice = wall
        .expect_where("queue_stats", |m| m["queue"] == "support")
        .await;
    assert_eq!(voice["channel"], "voice");
    assert_eq!(voice["conversations"], Value::Null, "a call queue has none");
    let chat = wall
        .expect_where("queue_stats", |m| m["queue"] == "chat")
        .await;
    assert_eq!(chat["conversations"]["places"], 0, "{chat}");

    let (mut agent, _) = ready_agent(&server, "c1", Via::Ws).await;
    let staffed = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "chat" && m["conversations"]["places"].as_u64() > Some(0)
        })
        .await;
    let capacity = staffed["conversations"]["places"].clone();
    let mut widget = widget(&server, Via::Ws).await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-9", "queue": "chat", "messages": ["Hi"]}))
        .await;
    agent.expect("conversation_offer").await;
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "chat-9"}))
        .await;
    let taken = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "chat" && m["conversations"]["places_taken"] == 1
        })
        .await;
    assert_eq!(taken["conversations"]["agents_holding"], 1);
    assert_eq!(taken["conversations"]["places"], capacity);
    assert_eq!(taken["conversations"]["today"]["first_responses"], 0);
    assert_eq!(
        taken["conversations"]["today"]["average_first_response_secs"],
        Value::Null
    );
    agent
        .ok(json!({"type": "send_message", "conversation": "chat-9", "text": "Hello, how can I help?"}))
        .await;
    let replied = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "chat" && m["conversations"]["today"]["first_responses"] == 1
        })
        .await;
    let today = &replied["conversations"]["today"];
    assert_eq!(today["first_responses_within_threshold"], 1, "{replied}");
    assert_eq!(today["first_response_service_level_percent"], 100.0);
    assert!(today["average_first_response_secs"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        replied["conversations"]["rolling"]["first_responses"], 1,
        "in every window"
    );
}

/// A messaging connector that pushes past the tenant's `max_conversations` gets each one more
/// acked and then refused (`conversation_left`, `refused`), keeps its connection, and is
/// taken again once one has left.
#[tokio::test]
async fn a_connector_past_max_conversations_is_refused_and_goes_on() {
    let text = net::config_text(&net::with_chat("")).replace(
        "routing = { reject_delay_secs = 1, max_ring_no_answer = 2 }",
        "routing = { reject_delay_secs = 1, max_ring_no_answer = 2, max_conversations = 2 }",
    );
    assert!(text.contains("max_conversations = 2"), "the limit is set");
    let server = net::start_text(&text).await;
    let mut widget = widget(&server, Via::Ws).await;
    let arrive =
        |id: &str| json!({"type": "conversation_arrived", "conversation": id, "queue": "chat"});
    for id in ["m-1", "m-2"] {
        widget.ok(arrive(id)).await;
    }
    for id in ["m-3", "m-4"] {
        widget.ok(arrive(id)).await;
        let left = widget
            .expect_where("conversation_left", |m| m["conversation"] == id)
            .await;
        assert_eq!(left["reason"], "refused", "{left}");
    }
    // One leaves (abandoned while waiting): there is room for one more, on the same connection.
    widget
        .ok(json!({"type": "customer_left", "conversation": "m-1"}))
        .await;
    let left = widget
        .expect_where("conversation_left", |m| m["conversation"] == "m-1")
        .await;
    assert_eq!(left["reason"], "abandoned", "{left}");
    widget.ok(arrive("m-5")).await;
    widget.ok(arrive("m-6")).await;
    let left = widget
        .expect_where("conversation_left", |m| m["conversation"] == "m-6")
        .await;
    assert_eq!(left["reason"], "refused", "{left}");
    assert!(
        !widget
            .backlog
            .iter()
            .any(|m| m["type"] == "conversation_left" && m["conversation"] == "m-5"),
        "m-5 was taken: {:?}",
        widget.backlog
    );
}
