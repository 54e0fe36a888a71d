//! Conversations beside calls: capacity per channel, the cross-channel rules both ways, mixed
//! routing, transcripts through offers and transfers, close and each conversation's own wrap-up,
//! abandonment, and the figures of a conversation queue. The script language is documented in
//! `tests/support/mod.rs`.

use crate::support::check;

/// A chat channel of two at once, a voice queue and a chat queue with 30 s wrap-up.
const MIXED: &str = "
    channel chat capacity 2
    queue support
    queue chats channel chat wrap_up 30s
    agent ann support 1 chats 1
    agent bob chats 1
";

#[test]
fn a_conversation_from_arrival_through_messages_to_its_wrap_up() {
    check(
        MIXED,
        r#"
        at 0s   login bob; ready bob
        at 2s   chat k1 in chats says hello says anyone_there?
        expect  chat_arrived k1 in chats chat priority 0 messages 2
        expect  chat_queued k1 in chats
        expect  chat_offered k1 to bob in chats chat until 32s priority 0 messages 2
                chat k1 offered bob messages 2
                places bob chat 1
                state bob ready
        at 3s   writes k1 please
        expect  message k1 2 from customer to bob please
        at 5s   take bob k1
        expect  chat_accepted k1 by bob in chats
                chat k1 open bob
        at 9s   reply bob k1 hi_there
        expect  message k1 3 from bob to bob hi_there
        at 20s  close bob k1
        expect  chat_closed k1 at bob by bob wrap_up 50s
                chat k1 wrap_up bob messages 4
                places bob chat 1
        at 49.999s expect nothing
        at 50s  expect chat_left k1 from chats completed
                chat k1 gone
                places bob chat 0
                stats chats today: offered 1 answered 1 handled 1 asa 3.000 aht 45.000
        "#,
    );
}

#[test]
fn an_agent_holds_up_to_its_capacity_and_the_least_loaded_gets_the_next() {
    check(
        MIXED,
        r#"
        at 0s   login bob; ready bob
        at 1s   login ann; ready ann
        at 2s   chat k1 in chats
        expect  chat_offered k1 to bob
        at 3s   chat k2 in chats
        # ann holds none, bob one: ann first, whoever has been idle longer.
        expect  chat_offered k2 to ann
        at 4s   chat k3 in chats; chat k4 in chats; chat k5 in chats
        expect  chat_offered k3 to bob; chat_offered k4 to ann
        expect  no chat_offered k5
                chat k5 waiting
                places ann chat 2
                places bob chat 2
                queue chats: waiting 1 ringing 4
        # A place comes free (a declined offer): the older waiting conversation takes it, once
        # bob's reject delay (5 s) is over.
        at 5s   take ann k2; take ann k4; take bob k1; decline bob k3
        expect  chat_offer_ended k3 at bob rejected; chat_queued k3 in chats
        expect  no chat_offered
        at 10s  expect chat_offered k3 to bob
        expect  no chat_offered k5
        at 11s  take bob k3; close bob k1
        expect  chat_closed k1 at bob by bob wrap_up 41s
                places bob chat 2
        # The place is taken until the wrap-up ends.
        at 41s  expect chat_left k1 from chats completed; chat_offered k5 to bob
        "#,
    );
}

#[test]
fn an_agents_own_capacity_and_zero_keep_conversations_away() {
    check(
        "channel chat capacity 3
         queue chats channel chat
         agent ann chats 1 capacity chat 1
         agent bob chats 1 capacity chat 0",
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   chat k1 in chats; chat k2 in chats
        expect  chat_offered k1 to ann
        expect  no chat_offered k2
                places ann chat 1
                places bob chat 0
                chat k2 waiting
        "#,
    );
}

#[test]
fn by_default_a_call_keeps_conversations_away_and_a_conversation_lets_a_call_through() {
    check(
        MIXED,
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats
        expect  chat_offered k1 to ann
        # Chat is not exclusive: a call still reaches an agent holding a chat.
        at 2s   call c1 in support
        expect  offered c1 to ann; ringing ann c1 was ready
        # Voice is exclusive (the default): no second chat while the call rings.
        at 3s   chat k2 in chats
        expect  no chat_offered k2
        at 4s   accept ann c1
        at 10s  hangup ann c1
        expect  left c1 from support completed
        # No wrap-up on support: ready again, and the waiting chat comes at once.
        expect  ready ann was on_call; chat_offered k2 to ann
        "#,
    );
}

#[test]
fn with_voice_not_exclusive_an_agent_on_a_call_still_takes_chats() {
    check(
        "routing voice_exclusive false
         channel chat capacity 2
         queue support wrap_up 10s
         queue chats channel chat
         agent ann support 1 chats 1",
        r#"
        at 0s   login ann; ready ann
        at 1s   call c1 in support
        expect  offered c1 to ann
        at 2s   chat k1 in chats
        expect  chat_offered k1 to ann
        at 3s   accept ann c1; take ann k1
        at 4s   hangup ann c1
        expect  wrap_up ann c1 until 14s
        at 5s   chat k2 in chats
        expect  chat_offered k2 to ann
                places ann chat 2
        "#,
    );
}

#[test]
fn an_exclusive_channel_keeps_calls_and_other_channels_away_while_held() {
    check(
        "channel chat capacity 2 exclusive
         channel sms capacity 5
         queue support
         queue chats channel chat
         queue texts channel sms
         agent ann support 1 chats 1 texts 1",
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats
        expect  chat_offered k1 to ann
        at 2s   call c1 in support; chat s1 in texts
        expect  no offered c1
        expect  no chat_offered s1
        # The same channel still fills up to its capacity.
        at 3s   chat k2 in chats
        expect  chat_offered k2 to ann
        at 4s   decline ann k1; decline ann k2
        # Holding nothing, held back for the reject delay, then the oldest work comes first: k1
        # (1 s), and with it held, only its own channel again.
        at 9s   expect chat_offered k1 to ann; chat_offered k2 to ann
        expect  no offered c1
        expect  no chat_offered s1
        at 10s  take ann k1; close ann k1; take ann k2; close ann k2
        # Holding nothing: the call (2 s, before s1 at the same instant) rings, and the ringing
        # call keeps the SMS away (voice is exclusive by default).
        expect  chat_left k2 from chats completed; offered c1 to ann
        expect  no chat_offered s1
        "#,
    );
}

#[test]
fn an_agent_not_ready_keeps_its_conversations_and_gets_no_new_ones() {
    check(
        "reasons break
         channel chat capacity 3
         queue chats channel chat wrap_up 10s
         agent ann chats 1",
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats; take ann k1
        at 2s   not_ready ann break
        expect  not_ready ann break was ready
        at 3s   chat k2 in chats
        expect  no chat_offered k2
        at 4s   writes k1 still_there?
        expect  message k1 0 from customer to ann still_there?
                reply ann k1 yes
        # Logging out with a conversation open is refused; the agent closes it first.
                logout ann => holds_conversations
        at 5s   close ann k1
        at 6s   done ann k1
        expect  chat_left k1 from chats completed
        at 7s   logout ann
        expect  logged_out ann was not_ready
        "#,
    );
}

#[test]
fn each_conversations_wrap_up_is_its_own() {
    check(
        "channel chat capacity 3
         queue chats channel chat wrap_up 60s
         agent ann chats 1",
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats; chat k2 in chats; chat k3 in chats
                take ann k1; take ann k2; take ann k3
        at 10s  close ann k1
        expect  chat_closed k1 at ann by ann wrap_up 70s
        # The other two go on: the agent writes in them while k1 is wrapped up.
        at 11s  reply ann k2 one_moment; writes k3 thanks
                state ann ready
        at 12s  done ann k1
        expect  chat_left k1 from chats completed
                places ann chat 2
        at 13s  chat k4 in chats
        expect  chat_offered k4 to ann
        "#,
    );
}

#[test]
fn a_customer_who_leaves_abandons_a_waiting_or_offered_conversation_and_closes_an_open_one() {
    check(
        MIXED,
        r#"
        at 0s   chat k1 in chats
        at 5s   leaves k1
        expect  chat_left k1 from chats abandoned
        at 6s   login bob; ready bob; chat k2 in chats
        expect  chat_offered k2 to bob
        at 7s   leaves k2
        expect  chat_offer_ended k2 at bob customer_left; chat_left k2 from chats abandoned
                places bob chat 0
        at 8s   chat k3 in chats; take bob k3
        at 9s   leaves k3
        expect  chat_closed k3 at bob by customer wrap_up 39s
        # Leaving again changes nothing; writing to a closed conversation is refused.
                leaves k3
                writes k3 hello => conversation_closed
                stats chats today: offered 3 answered 1 abandoned 2
        "#,
    );
}

#[test]
fn a_transfer_carries_the_transcript_and_frees_the_agents_place_at_once() {
    check(
        "channel chat capacity 2
         queue chats channel chat wrap_up 30s
         queue billing channel chat
         agent ann chats 1
         agent bob billing 1
         agent cat chats 1",
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   chat k1 in chats says my_bill_is_wrong
        expect  chat_offered k1 to ann messages 1
        at 2s   take ann k1; reply ann k1 let_me_pass_you_on
        at 3s   pass ann k1 to queue billing
        expect  chat_transferred k1 from ann to queue billing
        expect  chat_queued k1 in billing
        expect  chat_offered k1 to bob in billing chat until 33s priority 0 messages 2
                places ann chat 0
        at 4s   take bob k1
        at 5s   login cat; ready cat
                pass bob k1 to agent cat
        expect  chat_transferred k1 from bob to agent cat
        expect  chat_offered k1 to cat in billing chat until 35s priority 0 messages 2
        # Not taken: a direct transfer goes back to its queue, where bob takes it again.
        at 35s  expect chat_offer_ended k1 at cat ring_no_answer
        expect  chat_queued k1 in billing
        "#,
    );
}

#[test]
fn a_waiting_conversation_escalates_overflows_and_times_out_like_a_call() {
    check(
        "channel chat capacity 2
         queue chats channel chat max_wait 2m overflow_to overflow escalate 30s widen 1 min_skill 3
         queue overflow channel chat max_wait 1m
         agent ann chats 1",
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats
        expect  no chat_offered k1
        at 31s  expect chat_offered k1 to ann
        at 32s  decline ann k1
        at 35s  logout ann
        at 2m1s expect chat_overflowed k1 from chats to overflow max_wait; chat_queued k1 in overflow
        at 3m1s expect chat_left k1 from overflow timed_out
        "#,
    );
}

#[test]
fn a_supervisor_moves_and_reprioritises_a_waiting_conversation_within_its_channel() {
    check(
        "channel chat capacity 2
         queue chats channel chat
         queue vip channel chat
         queue support
         agent ann vip 1",
        r#"
        at 0s   chat k1 in chats; chat k2 in chats
        at 1s   set_priority k2 5
        expect  chat_priority k2 5
        at 2s   move k1 to vip
        expect  chat_overflowed k1 from chats to vip moved; chat_queued k1 in vip
                move k2 to support => wrong_channel
        at 3s   login ann; ready ann
        expect  chat_offered k1 to ann in vip
        "#,
    );
}

#[test]
fn an_offer_nobody_takes_counts_towards_the_pause_like_a_calls() {
    check(
        "routing max_ring_no_answer 2
         channel chat capacity 1
         queue chats channel chat ring 10s
         agent ann chats 1",
        r#"
        at 0s   login ann; ready ann; chat k1 in chats
        expect  chat_offered k1 to ann until 10s
        at 10s  expect chat_offer_ended k1 at ann ring_no_answer
        at 15s  expect chat_offered k1 to ann until 25s
        at 25s  expect chat_offer_ended k1 at ann ring_no_answer; not_ready ann no_answer was ready
                chat k1 waiting
        "#,
    );
}

#[test]
fn a_declined_conversation_goes_to_another_agent_not_back_to_the_same() {
    check(
        "routing reject_delay 0s
         channel chat capacity 3
         queue chats channel chat
         agent ann chats 1
         agent bob chats 1",
        r#"
        at 0s   login ann; ready ann
        at 1s   login bob; ready bob
        at 2s   chat k1 in chats
        expect  chat_offered k1 to ann
        at 3s   decline ann k1
        expect  chat_offer_ended k1 at ann rejected; chat_queued k1 in chats; chat_offered k1 to bob
        # Declined again, it goes to the other agent again.
        at 4s   decline bob k1
        expect  chat_offer_ended k1 at bob rejected; chat_queued k1 in chats; chat_offered k1 to ann
        "#,
    );
}

#[test]
fn a_transferred_conversation_does_not_come_straight_back_to_its_sender() {
    check(
        "routing reject_delay 5s
         channel chat capacity 3
         queue chats channel chat
         agent ann chats 1
         agent bob chats 1",
        r#"
        at 0s   login ann; ready ann; chat k1 in chats
        expect  chat_offered k1 to ann
        at 1s   take ann k1
        # Back into its own queue: ann has free places, but it goes elsewhere or waits.
        at 2s   pass ann k1 to queue chats
        expect  chat_queued k1 in chats
        expect  no chat_offered k1
        # Past ann's reject delay it may come to her again.
        at 7s   expect chat_offered k1 to ann
        at 8s   take ann k1; login bob; ready bob
        # Straight to bob, who lets it go: back to the queue, not to ann until her delay ends.
        at 9s   pass ann k1 to agent bob
        expect  chat_offered k1 to bob
        at 10s  decline bob k1
        expect  chat_queued k1 in chats
        expect  no chat_offered k1
        at 14s  expect chat_offered k1 to ann
        "#,
    );
}

/// The figures only conversations have: first response time against its own threshold,
/// concurrency and occupancy by capacity used, integrated exactly over the agents' places, in
/// the whole day and in the rolling window after the first minutes have left it.
#[test]
fn first_response_concurrency_and_occupancy_by_capacity_are_exact() {
    check(
        "
        reasons break
        channel chat capacity 2
        queue chats channel chat wrap_up 30s first_response 30s
        agent bob chats 1
        ",
        r#"
        at 0s   login bob; ready bob
                agents chats: places 2 places_taken 0 holding 0
        at 10s  chat k1 in chats
        expect  chat_offered k1 to bob
                agents chats: places 2 places_taken 1 holding 1
        at 12s  take bob k1
        at 20s  chat k2 in chats
        expect  chat_offered k2 to bob
                agents chats: places 2 places_taken 2 holding 1
        # 15 s after k1 began: within 30 s. Later replies change nothing.
        at 25s  reply bob k1 hi; reply bob k1 more
        at 26s  take bob k2
                stats chats today: first_responses 1 first_responses_within_threshold 1 afrt 15.0
        # 50 s after k2 began: late.
        at 70s  reply bob k2 hello
        at 80s  close bob k1
        at 110s expect chat_left k1 from chats completed
                agents chats: places 2 places_taken 1 holding 1
        at 130s close bob k2
        # Not ready while holding one in wrap-up: it staffs only that one.
        at 131s not_ready bob break
                agents chats: places 1 places_taken 1 holding 1
        at 160s expect chat_left k2 from chats completed
                agents chats: places 0 places_taken 0 holding 0
        # Staffed: 2 places for 131 s, then 1 for 29 s. Taken: k1 10-110 s, k2 20-160 s.
        # Holding: 10-160 s.
        at 200s stats chats today: first_responses 2 first_responses_within_threshold 1 first_response_ms 65s sl_first_response 50 afrt 32.5 places_ms 291s places_taken_ms 240s holding_ms 150s concurrency 1.6 capacity_occupancy 82.47
                stats chats rolling: first_responses 2 places_ms 291s places_taken_ms 240s holding_ms 150s
        # 15 minutes on, the rolling window starts at 100 s: 31 s of 2 places and 29 of 1;
        # taken 10 s (k1) and 60 s (k2); holding 60 s. The first replies have left it.
        at 1000s stats chats rolling: first_responses 0 afrt - places_ms 91s places_taken_ms 70s holding_ms 60s concurrency 1.17
                stats chats today: first_responses 2 places_ms 291s
        "#,
    );
}

/// Logging out with chat offers still ringing declines them: each goes to another agent, and
/// the agent is out. Only a conversation it accepted holds it back. The same after a call: the
/// offers are declined when the logout is asked for, and the logout waits for the call.
#[test]
fn logging_out_declines_the_offers_still_ringing() {
    check(
        "
        channel chat capacity 2
        queue support
        queue chats channel chat
        routing voice_exclusive false
        agent ann support 1 chats 1
        agent bob chats 1
        ",
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats; chat k2 in chats
        expect  chat_offered k1 to ann; chat_offered k2 to ann
        at 2s   take ann k1
        # k1 is open: ann may not log out, and nothing changes.
                logout ann => holds_conversations
                places ann chat 2
        at 3s   close ann k1
        expect  chat_left k1 from chats completed
        at 5s   logout ann
        expect  chat_offer_ended k2 at ann rejected; chat_queued k2 in chats
        expect  logged_out ann was ready
                chat k2 waiting
                places ann chat 0
        at 6s   login bob; ready bob
        expect  chat_offered k2 to bob
        # On a call with an offer ringing: the logout declines it now and waits for the call.
        at 11s  login ann; ready ann
        at 12s  call c1 in support
        expect  offered c1 to ann
        at 13s  accept ann c1; chat k3 in chats
        expect  chat_offered k3 to ann
        at 14s  logout ann
        expect  chat_offer_ended k3 at ann rejected
                state ann on_call c1 pending logged_out
        "#,
    );
}

/// An agent's chat places count as staffed only while it may take new chats: on a call under
/// `voice_exclusive` only those it holds count, so occupancy by capacity is not diluted by
/// places nobody could offer to.
#[test]
fn places_a_call_closes_count_only_what_the_agent_holds() {
    check(
        "
        channel chat capacity 2
        queue support
        queue chats channel chat
        agent ann support 1 chats 1
        ",
        r#"
        at 0s   login ann; ready ann
                agents chats: places 2 places_taken 0 holding 0
        at 1s   chat k1 in chats
        expect  chat_offered k1 to ann
        at 2s   take ann k1
        at 3s   call c1 in support
        expect  offered c1 to ann
                agents chats: places 1 places_taken 1 holding 1
        at 4s   accept ann c1
        at 10s  hangup ann c1
        expect  ready ann was on_call
                agents chats: places 2 places_taken 1 holding 1
        # Staffed: 2 for 3 s, 1 for 7 s, 2 for 10 s; taken 1 from 1 s.
        at 20s  stats chats today: places_ms 33s places_taken_ms 19s holding_ms 19s capacity_occupancy 57.58
        "#,
    );
}

/// A tenant holds at most `max_conversations` conversations, whatever their state: one more is
/// refused like one at a full queue (counted, and it leaves at once), calls go on, and a place
/// comes free when one leaves.
#[test]
fn a_tenant_holds_at_most_max_conversations() {
    check(
        "
        routing max_conversations 2
        channel chat capacity 3
        queue support
        queue chats channel chat
        agent ann chats 1
        agent bob support 1
        ",
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   chat k1 in chats; chat k2 in chats
        expect  chat_offered k1 to ann; chat_offered k2 to ann
        at 2s   take ann k1
        at 3s   chat k3 in chats
        expect  chat_left k3 from chats refused
                chat k3 gone
                stats chats today: offered 2 refused 1
        at 4s   call c1 in support
        expect  offered c1 to bob
        at 5s   close ann k1
        expect  chat_left k1 from chats completed
        at 6s   chat k3 in chats
        expect  chat_offered k3 to ann
        "#,
    );
}

/// With no reject delay to hold the agent back, a logout's declined offers still go to
/// someone else (here nobody: they wait), never straight back to the agent logging out, now or
/// after its call.
#[test]
fn a_logout_with_no_reject_delay_does_not_take_its_declined_offers_back() {
    let setup = "
        channel chat capacity 2
        queue support
        queue chats channel chat
        routing reject_delay 0s voice_exclusive false
        agent ann support 1 chats 1
        ";
    check(
        setup,
        r#"
        at 0s   login ann; ready ann
        at 1s   chat k1 in chats
        expect  chat_offered k1 to ann
        at 5s   logout ann
        expect  chat_offer_ended k1 at ann rejected; chat_queued k1 in chats
        expect  logged_out ann was ready
        expect  no chat_offered k1
                chat k1 waiting
        "#,
    );
    check(
        setup,
        r#"
        at 0s   login ann; ready ann
        at 1s   call c1 in support
        at 2s   accept ann c1; chat k1 in chats
        expect  chat_offered k1 to ann
        at 3s   logout ann
        expect  chat_offer_ended k1 at ann rejected
        expect  no chat_offered k1
                state ann on_call c1 pending logged_out
        at 4s   hangup ann c1
        expect  logged_out ann was on_call
                chat k1 waiting
        "#,
    );
}

/// A core read from a snapshot of a version that kept no places (nor first responses) counts
/// them as it is restored: the invariants hold at once, and the places integrate from then.
#[test]
fn a_core_restored_from_an_older_snapshot_counts_its_places() {
    let run = check(
        "
        channel chat capacity 2
        queue chats channel chat
        agent ann chats 1
        agent bob chats 1
        ",
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   chat k1 in chats; take ann k1; reply ann k1 hello
        "#,
    );
    fn strip(value: &mut serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for key in [
                    "counted_places",
                    "places",
                    "places_ms",
                    "places_taken_ms",
                    "holding_ms",
                    "changes_base_places_ms",
                    "first_response_at",
                ] {
                    map.remove(key);
                }
                map.values_mut().for_each(strip);
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut old = serde_json::to_value(&run.acd).unwrap();
    strip(&mut old);
    let mut acd: acdhub::acd::Acd = serde_json::from_value(old).unwrap();
    assert!(
        acd.check_invariants().is_err(),
        "an old snapshot has no places"
    );
    acd.restored();
    acd.check_invariants().unwrap();
    let chats = acdhub::acd::QueueId::from("chats");
    let places = acd.queue_stats(&chats).unwrap().stats.places;
    assert_eq!((places.staffed, places.taken, places.holding), (4, 1, 1));
    // k1 was answered before: a reply now is no first response.
    acd.handle(
        acdhub::acd::Command::AgentWrote {
            agent: "ann".into(),
            conversation: "k1".into(),
            text: "still there?".into(),
        },
        run.start + jiff::SignedDuration::from_secs(60),
    )
    .unwrap();
    let today = acd.queue_stats(&chats).unwrap().stats.today.figures;
    assert_eq!(
        today.first_responses, 1,
        "the reply at 1 s, and not this one"
    );
    assert_eq!(
        today.places_ms,
        4 * 59_000,
        "4 places from the restore at 1 s to 60 s"
    );
}
