//! Queues that serve several channels: one lane per channel, each with its own waiting work,
//! available agents and figures; calls to the voice lane, conversations to their channel's;
//! transfers, moves, overflows and escalations to the target's lane of the work's channel; what
//! names a channel the queue does not serve refused; lanes added by a reload and never removed.
//! The script language is documented in `tests/support/mod.rs`.

use std::time::Duration;

use acdhub::acd::config::QueueConfig;
use acdhub::acd::{Acd, AgentId, ChannelId, Command, QueueId, RequestedState};

use crate::support::{self, check};

/// `help` serves calls and chats; `front` too, overflowing to `help` after 30 s; `chats` only
/// chats; `sales` only calls. ann and bob serve `help`.
const LANES: &str = "
    channel chat capacity 2
    channel sms capacity 1
    queue help channels voice,chat wrap_up 10s
    queue front channels voice,chat max_wait 30s overflow_to help
    queue chats channel chat
    queue sales
    queue texts channels chat,sms
    agent ann help 1
    agent bob help 2 sales 1
";

#[test]
fn a_call_and_a_chat_of_one_queue_go_to_its_two_lanes_and_are_counted_apart() {
    check(
        LANES,
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in help says hello
        expect  chat_arrived k1 in help chat; chat_offered k1 to ann in help chat
        # A chat lets a call through (chat is not exclusive): ann is offered the call too.
        at 2s   call c1 in help
        expect  offered c1 to ann in help
                queue help/voice: waiting 0 ringing 1
                queue help/chat: waiting 0 ringing 1
                agents help/chat: places 1 places_taken 1 holding 1
        # Ringing with a call (voice_exclusive), ann is offered no other chat: it waits in the
        # chat lane only.
        at 3s   chat k2 in help
        expect  no chat_offered k2
                queue help/chat: waiting 1 ringing 1
                queue help/voice: waiting 0 ringing 1
        at 4s   accept ann c1; answered c1; take ann k1
        at 20s  hangup ann c1
        # The call's wrap-up (10 s) still keeps chats away; then k2 takes ann's free place.
        at 30s  expect chat_offered k2 to ann in help chat
                stats help/voice today: offered 1 answered 1 asa 2.000
                stats help/chat today: offered 2 answered 1 asa 3.000
                stats tenant today: offered 3 answered 2
        "#,
    );
}

#[test]
fn each_lane_orders_its_own_waiting_work_and_an_agent_takes_the_longest_wait_of_either() {
    check(
        LANES,
        r#"
        at 0s   call c1 in help; chat k1 in help
        at 5s   call c2 in help
                queue help/voice: waiting 2 ringing 0 oldest 0s
                queue help/chat: waiting 1 ringing 0 oldest 0s
        at 6s   login bob; ready bob
        # bob may take a call and, beside it, no chat (voice_exclusive): the call that waited
        # longest comes first; the chat waits for a place.
        expect  offered c1 to bob in help
        expect  no chat_offered k1
        at 7s   login ann; ready ann
        expect  chat_offered k1 to ann in help; offered c2 to ann in help
        "#,
    );
}

#[test]
fn work_overflows_to_the_lane_of_its_own_channel() {
    check(
        LANES,
        r#"
        at 0s   call c1 in front; chat k1 in front
        at 30s  expect overflowed c1 from front to help max_wait; chat_overflowed k1 from front to help max_wait
                queue help/voice: waiting 1
                queue help/chat: waiting 1
                queue front/voice: waiting 0
                queue front/chat: waiting 0
                stats front/voice today: offered 1 overflowed 1
                stats front/chat today: offered 1 overflowed 1
        # Equal waits: the call comes first, and while it rings the chat waits (voice_exclusive).
        at 31s  login ann; ready ann
        expect  offered c1 to ann in help; no chat_offered k1
        # The caller hangs up while it rings: ann is free, and the chat is hers.
        at 32s  ended c1
        expect  chat_offered k1 to ann in help chat
        "#,
    );
}

#[test]
fn transfers_and_moves_go_to_the_targets_lane_of_the_works_channel() {
    check(
        LANES,
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats
        at 2s   call c1 in sales
        at 3s   move k1 to help
        expect  chat_overflowed k1 from chats to help moved
        expect  chat_offered k1 to ann in help chat
                move c1 to help
        expect  overflowed c1 from sales to help moved
        expect  offered c1 to ann in help
        at 4s   take ann k1; accept ann c1; answered c1
        # A chat may go to a queue with a chat lane, never to a voice-only one; a call to a
        # queue with a voice lane, never to a chat-only one.
                pass ann k1 to queue sales => wrong_channel
                transfer ann c1 to queue chats => wrong_channel
                pass ann k1 to queue front
        expect  chat_transferred k1 from ann to queue front; chat_queued k1 in front
                transfer ann c1 to queue front
        expect  transferred c1 from ann to queue front
                queue front/voice: waiting 1
                queue front/chat: waiting 1
        "#,
    );
}

#[test]
fn what_names_a_channel_the_queue_does_not_serve_is_refused_and_changes_nothing() {
    check(
        LANES,
        r#"
        at 0s   call c1 in chats => wrong_channel
                call c1 in texts => wrong_channel
                chat k1 in sales => wrong_channel
                chat k1 in help via sms => wrong_channel
                chat k1 in help via voice => wrong_channel
                chat k1 in help via fax => wrong_channel
                chat k1 in nowhere via chat => unknown_queue
        # texts serves chat and SMS: a conversation must say which.
                chat k1 in texts => wrong_channel
                chat k1 in texts via sms
        expect  chat_arrived k1 in texts sms; chat_queued k1 in texts
                queue texts/sms: waiting 1
                queue texts/chat: waiting 0
                chat k2 in help
        expect  chat_arrived k2 in help chat
        "#,
    );
}

#[test]
fn an_agent_of_a_queue_is_in_every_lane_and_sees_one_skill_per_queue() {
    let run = check(
        LANES,
        r#"
        at 0s   login bob; ready bob
                agents help/voice: logged_in 1 ready 1
                agents help/chat: logged_in 1 ready 1 places 2
                agents sales: logged_in 1
        "#,
    );
    let bob = run.acd.agent(&AgentId::new("bob")).unwrap();
    assert_eq!(
        bob.skills,
        [(QueueId::new("help"), 2), (QueueId::new("sales"), 1)]
    );
    let ids: Vec<&str> = run.acd.queue_ids().map(QueueId::as_str).collect();
    assert_eq!(ids, ["help", "front", "chats", "sales", "texts"]);
    let lanes: Vec<(String, String)> = run
        .acd
        .lanes()
        .map(|lane| run.acd.lane_config(lane))
        .map(|q| (q.id.to_string(), q.channel_name().to_owned()))
        .collect();
    let lane = |q: &str, c: &str| (q.to_owned(), c.to_owned());
    assert_eq!(
        lanes,
        [
            lane("help", "voice"),
            lane("help", "chat"),
            lane("front", "voice"),
            lane("front", "chat"),
            lane("chats", "chat"),
            lane("sales", "voice"),
            lane("texts", "chat"),
            lane("texts", "sms"),
        ]
    );
    // A queue of several lanes has no single set of figures.
    assert!(run.acd.queue_stats(&QueueId::new("help")).is_none());
    assert!(run.acd.queue_stats(&QueueId::new("sales")).is_some());
}

/// The configurations the core refuses: lanes that differ in name, two lanes of one channel,
/// and an overflow to a queue without the lane of the work's channel.
#[test]
fn a_configuration_with_inconsistent_lanes_is_refused() {
    let (base, _) = support::setup(LANES);
    let refused = |change: &dyn Fn(&mut acdhub::acd::Config), what: &str, problem: &str| {
        let mut config = base.clone();
        change(&mut config);
        let error = config.validate().expect_err(what);
        assert_eq!(error.what, what, "{error}");
        assert!(error.problem.contains(problem), "{error}");
    };
    refused(
        &|c| c.queues[1].name = "Help desk".into(),
        "queues[1].name",
        "share its name",
    );
    refused(
        &|c| {
            let again = c.queues[1].clone();
            c.queues.push(again);
        },
        "queues[8].id",
        "duplicate queue id",
    );
    // `chats` has no voice lane for front's calls.
    refused(
        &|c| {
            for q in &mut c.queues[2..4] {
                q.max_wait.as_mut().unwrap().overflow_to = Some(QueueId::new("chats"));
            }
        },
        "queues[2].max_wait.overflow_to",
        "another channel",
    );
}

/// A reload may give a queue another channel (a new lane, its figures from zero, its agents
/// those of the queue) but not take one away.
#[test]
fn a_reload_adds_a_lane_to_a_running_queue_but_never_removes_one() {
    let (config, start) = support::setup(LANES);
    let mut acd = Acd::new(config.clone(), start).unwrap();
    let at = |secs: u64| start + Duration::from_secs(secs);
    for command in [
        Command::Login {
            agent: AgentId::new("bob"),
        },
        Command::SetState {
            agent: AgentId::new("bob"),
            state: RequestedState::Ready,
        },
    ] {
        acd.handle(command, at(1)).unwrap();
    }
    let sales_chat = QueueConfig {
        channel: Some(ChannelId::new("chat")),
        ..config.queues[5].clone()
    };
    let mut more = config.clone();
    more.queues.push(sales_chat);
    acd.reconfigure(more.clone(), at(2)).unwrap();
    acd.check_invariants().unwrap();
    let sales: Vec<String> = acd
        .lanes_of(&QueueId::new("sales"))
        .map(|lane| acd.lane_stats(lane))
        .map(|stats| {
            assert_eq!(stats.stats.today.figures.offered, 0);
            assert_eq!(
                stats.stats.agents.ready, 1,
                "bob serves the new lane at once"
            );
            stats.channel_name().to_owned()
        })
        .collect();
    assert_eq!(sales, ["voice", "chat"]);
    while acd.poll_event().is_some() {}
    acd.handle(chat("k1", "sales"), at(3)).unwrap();
    let offered = std::iter::from_fn(|| acd.poll_event()).any(|event| {
        matches!(event, acdhub::acd::Event::ConversationOffered { agent, .. } if agent.as_str() == "bob")
    });
    assert!(offered, "the new lane routes to the queue's agents");

    // New queues of two lanes, the first overflowing to the second, listed after it: each
    // lane's target is the other queue's lane of its channel.
    let mut newer = more.clone();
    for (id, to) in [("east", Some("west")), ("west", None)] {
        for channel in [None, Some(ChannelId::new("chat"))] {
            let mut lane = QueueConfig::new(id);
            lane.channel = channel;
            lane.max_wait = to.map(|to| acdhub::acd::config::MaxWait {
                after: Duration::from_secs(10),
                overflow_to: Some(QueueId::new(to)),
            });
            newer.queues.push(lane);
        }
    }
    acd.reconfigure(newer, at(3)).unwrap();
    acd.check_invariants().unwrap();
    while acd.poll_event().is_some() {}
    acd.handle(chat("k2", "east"), at(3)).unwrap();
    acd.handle_timeout(at(13));
    let west_chat = acd
        .lanes_of(&QueueId::new("west"))
        .map(|lane| acd.lane_stats(lane))
        .find(|stats| stats.channel_name() == "chat")
        .unwrap();
    assert_eq!(west_chat.waiting, 1, "k2 overflowed to west's chat lane");

    // The lane is gone from the next configuration: refused, nothing changes.
    let before = format!("{acd:?}");
    let error = acd.reconfigure(config, at(4)).unwrap_err();
    assert_eq!(error.what, "queues[5].channel", "{error}");
    assert!(
        error.problem.contains("cannot stop routing chat"),
        "{error}"
    );
    assert_eq!(format!("{acd:?}"), before);
}

/// A snapshot written before queues had lanes (no `lanes`, a `queue_by_id` instead) is read,
/// and the lanes are built from its queues as it is restored.
#[test]
fn a_core_restored_from_a_snapshot_without_lanes_builds_them() {
    let run = check(
        "queue support
         queue sales
         agent ann support 1 sales 1",
        "at 0s   login ann; ready ann",
    );
    let mut old = serde_json::to_value(&run.acd).unwrap();
    let map = old.as_object_mut().unwrap();
    assert!(map.remove("lanes").is_some(), "a snapshot names the lanes");
    map.insert(
        "queue_by_id".into(),
        serde_json::json!({"support": 0, "sales": 1}),
    );
    let mut acd: Acd = serde_json::from_value(old).unwrap();
    assert!(acd.check_invariants().is_err(), "no lanes yet");
    acd.restored();
    acd.check_invariants().unwrap();
    acd.handle(
        Command::CallArrived {
            arrived_at: None,
            call: "c1".into(),
            queue: QueueId::new("sales"),
            priority: 0,
            data: Default::default(),
        },
        run.start + Duration::from_secs(1),
    )
    .unwrap();
    let offered = std::iter::from_fn(|| acd.poll_event())
        .any(|event| matches!(event, acdhub::acd::Event::CallOffered { .. }));
    assert!(offered, "the restored core routes");
}

/// A conversation arriving in `queue`, naming no channel.
fn chat(conversation: &str, queue: &str) -> Command {
    Command::ConversationArrived {
        conversation: conversation.into(),
        queue: QueueId::new(queue),
        channel: None,
        priority: 0,
        data: Default::default(),
        messages: Vec::new(),
    }
}
