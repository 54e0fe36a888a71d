//! The ACD core against the specification, one scenario script per behaviour. The script
//! language is documented in `tests/support/mod.rs`.

use crate::support;
use crate::support::check;

/// One queue, two agents, 20 s wrap-up.
const SUPPORT: &str = "
    reasons break lunch
    queue support wrap_up 20s
    agent ann support 1
    agent bob support 1
";

#[test]
fn one_call_from_arrival_to_wrap_up() {
    check(
        SUPPORT,
        r#"
        at 0s   login ann; ready ann
        expect  not_ready ann login was logged_out; ready ann was not_ready
        at 2s   call c1 in support priority 0 from +4930123 customer=42
        expect  queued c1 in support
        expect  offered c1 to ann in support until 32s priority 0 from +4930123 customer=42
        expect  ringing ann c1 was ready
        where   c1 ringing ann until 32s direct no queue support arrived 2s
        at 5s   accept ann c1
        expect  connected c1 to ann in support; on_call ann c1 was ringing
        at 65s  hangup ann c1
        expect  left c1 from support completed; wrap_up ann c1 until 85s was on_call
        where   c1 gone
        at 84.999s expect nothing
        at 85s  expect ready ann was wrap_up
        stats support today: offered 1 answered 1 handled 1 asa 3.000 aht 80.000 talk_ms 60s wrap_up_ms 20s
        stats tenant today: offered 1 answered 1 handled 1 asa 3.000 aht 80.000
        "#,
    );
}

#[test]
fn every_agent_state_is_shown_and_counted() {
    check(
        SUPPORT,
        r#"
        at 0s   state ann logged_out
                agents support: logged_in 0 ready 0 not_ready 0
                login ann; login bob
                state ann not_ready login since 0s pending -
                agents support: logged_in 2 not_ready 2 not_ready.login 2
        at 1s   not_ready ann break
                expect not_ready ann break was not_ready
                agents support: logged_in 2 not_ready 2 not_ready.login 1 not_ready.break 1
        at 2s   ready ann
        at 3s   ready bob
                agents support: logged_in 2 ready 2 not_ready 0 not_ready.break 0
        at 4s   call c1 in support
                expect offered c1 to ann
                state ann ringing c1 since 4s
                agents support: ready 1 ringing 1
        at 5s   accept ann c1
                state ann on_call c1 since 5s
                agents support: ready 1 ringing 0 on_call 1
        at 6s   hold ann c1
                expect held c1 by ann; on_hold ann c1 was on_call
                state ann on_hold c1 since 5s
                where c1 held ann
                agents support: on_call 1
        at 7s   resume ann c1
                expect resumed c1 by ann; on_call ann c1 was on_call
                where c1 connected ann
        at 8s   hangup ann c1
                state ann wrap_up c1 until 28s since 8s
                agents support: wrap_up 1 ready 1 on_call 0
                agents tenant: logged_in 2 wrap_up 1 ready 1
        at 28s  state ann ready since 28s
        at 29s  logout ann
                expect logged_out ann was ready
                state ann logged_out
                agents support: logged_in 1 ready 1
                agents tenant: logged_in 1 ready 1
        "#,
    );
}

/// Five agents whose histories make each strategy pick someone else for the same call:
/// `b` has been ready longest, `c` answered fewest calls, `a` talked least, `d` has the best
/// skill and `e` follows `d`, who was offered the last call, in member order.
#[test]
fn each_strategy_picks_a_different_agent_from_the_same_agents() {
    let history = r#"
        at 0s   login a; login b; login c; login d; login e
        # a: two calls, 5 s talk each
        at 10s  ready a; call x1 in q; accept a x1
        at 15s  hangup a x1
        at 20s  call x2 in q; accept a x2; not_ready a break
        at 25s  hangup a x2
        # b: two calls, 30 s each
        at 30s  ready b; call x3 in q; accept b x3
        at 60s  hangup b x3
        at 70s  call x4 in q; accept b x4; not_ready b break
        at 100s hangup b x4
        # c: one call, 100 s
        at 110s ready c; call x5 in q; accept c x5; not_ready c break
        at 210s hangup c x5
        # e: two calls, 20 s each
        at 220s ready e; call x6 in q; accept e x6
        at 240s hangup e x6
        at 250s call x7 in q; accept e x7; not_ready e break
        at 270s hangup e x7
        # d: two calls, 25 s each; the last offer of the queue
        at 280s ready d; call x8 in q; accept d x8
        at 305s hangup d x8
        at 310s call x9 in q; accept d x9; not_ready d break
        at 335s hangup d x9
        at 400s ready b
        at 410s ready a
        at 420s ready c
        at 430s ready e
        at 440s ready d
        state d ready since 440s
        at 500s call z in q
    "#;
    let picks = [
        ("longest_idle", "b"),
        ("fewest_calls", "c"),
        ("least_talk_time", "a"),
        ("skills_based", "d"),
        ("round_robin", "e"),
    ];
    for (strategy, agent) in picks {
        let setup = format!(
            "reasons break
             queue q strategy {strategy}
             agent a q 1
             agent b q 2
             agent c q 3
             agent d q 5
             agent e q 4"
        );
        check(
            &setup,
            &format!("{history}\n expect offered z to {agent}\n state {agent} ringing z"),
        );
    }
}

#[test]
fn skills_based_takes_the_best_level_then_the_longest_idle() {
    check(
        "queue q strategy skills_based
         agent a q 3
         agent b q 5
         agent c q 5",
        r#"
        at 0s   login a; login b; login c; ready a
        at 1s   ready c
        at 2s   ready b
        at 3s   call c1 in q
                expect offered c1 to c
        at 4s   call c2 in q
                expect offered c2 to b
        at 5s   call c3 in q
                expect offered c3 to a
        "#,
    );
}

#[test]
fn round_robin_goes_on_from_the_last_offer_in_member_order() {
    check(
        "queue q strategy round_robin
         agent a q 1
         agent b q 1
         agent c q 1",
        r#"
        # ready in reverse order: round robin follows the member order, not idle time
        at 0s   login a; login b; login c; ready c; ready b; ready a
        at 1s   call c1 in q
                expect offered c1 to a
        at 2s   call c2 in q
                expect offered c2 to b
        at 3s   accept a c1; hangup a c1
        at 4s   call c3 in q
                expect offered c3 to c
        at 5s   call c4 in q
                expect offered c4 to a
        "#,
    );
}

#[test]
fn longest_idle_is_the_default_and_counts_from_the_last_call() {
    check(
        SUPPORT,
        r#"
        at 0s   login ann; login bob; ready ann
        at 1s   ready bob
        at 2s   call c1 in support
                expect offered c1 to ann
        at 3s   accept ann c1; end_wrap_up ann => not_in_wrap_up
        at 4s   hangup ann c1; end_wrap_up ann
                expect ready ann
        at 5s   call c2 in support
                expect offered c2 to bob
        "#,
    );
}

#[test]
fn escalation_widens_to_lower_skill_levels_after_a_wait() {
    check(
        "queue support min_skill 5 escalate 30s widen 2
         agent expert support 5
         agent junior support 2
         agent novice support 1",
        r#"
        at 0s   login expert; login junior; login novice; ready junior; ready novice
        at 1s   call c1 in support
                expect queued c1 in support; expect no offered c1
                where c1 waiting min_skill 5
        at 10s  call c2 in support
                expect no offered c2
        at 30.999s expect nothing
        at 31s  expect offered c1 to junior
        at 40s  expect no offered
                where c2 waiting min_skill 2
                state novice ready
        # an expert may always take it
        at 41s  ready expert
                expect offered c2 to expert
        "#,
    );
}

#[test]
fn escalation_overflow_keeps_the_callers_place_in_the_target_queue() {
    check(
        "queue support escalate 60s overflow sales
         queue sales
         agent sal sales 1",
        r#"
        at 0s   login sal; call c1 in support
        at 10s  call c2 in sales
        at 20s  call c3 in support
        at 59.999s expect nothing
        at 60s  expect overflowed c1 from support to sales escalation; queued c1 in sales
                where c1 waiting queue sales arrived 0s entered 60s
                queue sales: waiting 2 oldest 10s
                queue support: waiting 1 oldest 20s
        at 80s  expect overflowed c3 from support to sales escalation
                queue support: waiting 0 oldest -
                stats support today: offered 2 overflowed 2
                stats sales today: offered 3
                stats tenant today: offered 5 overflowed 2
        # c1 arrived before c2, c3 after: the order in sales is c1, c2, c3
        at 90s  ready sal
                expect offered c1 to sal in sales
                accept sal c1; hangup sal c1
                expect offered c2 to sal
                accept sal c2; hangup sal c2
                expect offered c3 to sal
        "#,
    );
}

#[test]
fn max_wait_overflows_to_its_target_or_times_out_without_one() {
    check(
        "queue support max_wait 2m overflow_to sales
         queue sales
         queue vip max_wait 1m",
        r#"
        at 0s   call c1 in support; call c2 in vip
        at 59.999s expect nothing
        at 60s  expect left c2 from vip timed_out
                where c2 gone
        at 120s expect overflowed c1 from support to sales max_wait; queued c1 in sales
                where c1 waiting queue sales
                stats support today: offered 1 overflowed 1 timed_out 0
                stats vip today: offered 1 timed_out 1 overflowed 0
                stats sales today: offered 1
                stats tenant today: offered 3 overflowed 1 timed_out 1
        "#,
    );
}

/// A call that waited before it reached the ACD (in the PBX's queue while acdhub could not be
/// reached, or across a restart) keeps its true wait and place: it goes ahead of calls that
/// arrived after it began to wait, and its wait, escalation and service level count from then.
#[test]
fn a_call_that_waited_before_it_arrived_keeps_its_place_and_its_wait() {
    check(
        "queue support escalate 60s overflow sales sl 20s
         queue sales
         agent ann support 1
         agent sal sales 1",
        r#"
        at 0s   login ann; login sal
        at 10s  call c1 in support
        # c2 began to wait at 5s: ahead of c1, which arrived at 10s
        at 12s  call c2 in support waited 7s
                where c2 waiting queue support arrived 5s entered 5s
                queue support: waiting 2 oldest 5s
        # c3 began to wait 61 s ago: the escalation step was due at once
        at 13s  call c3 in support waited 61s
                expect queued c3 in support; overflowed c3 from support to sales escalation
                where c3 waiting queue sales arrived -48s
        at 20s  ready ann
                expect offered c2 to ann
                accept ann c2
        # answered 15 s after it began to wait: its speed of answer counts from then
                stats support today: offered 3 answered 1 asa 15.000
        # a PBX clock up to 5 s ahead of the server's is taken as now
        at 25s  call c4 in sales waited -4.9s
                where c4 waiting queue sales arrived 25s entered 25s
        # c3 (arrived -48s) before c4
                ready sal
                expect offered c3 to sal in sales
        "#,
    );
}

#[test]
fn a_full_queue_refuses_calls() {
    check(
        "queue support max_length 2
         agent ann support 1",
        r#"
        at 0s   call c1 in support; call c2 in support; call c3 in support
                expect queued c1; queued c2; left c3 from support refused
                expect no queued c3
                where c3 gone
                queue support: waiting 2
                stats support today: offered 2 refused 1
        # a call ringing at an agent no longer takes a place
        at 5s   login ann; ready ann
                expect offered c1 to ann
                call c4 in support
                expect queued c4
                queue support: waiting 2 ringing 1
                call c5 in support
                expect left c5 from support refused
                stats support today: offered 3 refused 2
        "#,
    );
}

/// A 20 s ring, a 10 s reject delay, a pause after two misses in a row; two agents.
const RINGS: &str = "routing reject_delay 10s max_ring_no_answer 2
     queue support ring 20s
     agent ann support 1
     agent bob support 1";

/// The PBX says the agent's device cannot ring (busy, unregistered): the offer ends at once as
/// a ring-no-answer, not at its timeout; two in a row pause the agent like two missed rings.
#[test]
fn a_ring_the_pbx_reports_failed_ends_the_offer_at_once_as_a_ring_no_answer() {
    check(
        RINGS,
        r#"
        at 0s   login ann; login bob; ready ann
        at 5s   call c1 in support
                expect offered c1 to ann until 25s
        at 6s   ring_failed c1
                expect offer_ended c1 at ann ring_no_answer; queued c1 in support; ready ann was ringing
                state ann ready streak 1 blocked_until 16s
                where c1 waiting entered 5s
        # Not ringing any more: refused, nothing changes.
                ring_failed c1 => not_ringing
                ring_failed nope => unknown_call
        at 16s  expect offered c1 to ann until 36s
        at 17s  ring_failed c1
                expect offer_ended c1 at ann ring_no_answer; not_ready ann no_answer was ringing
                state ann not_ready no_answer streak 0
        at 18s  ready bob
                expect offered c1 to bob
                answered c1
                ring_failed c1 => not_ringing
        "#,
    );
}

/// The PBX reports the agents' phones: a ready agent whose phone is in use (a private call) or
/// not registered is offered no calls and stays ready; reported available, it is offered the
/// waiting call at once. Conversations need no phone. A phone never reported is available.
#[test]
fn a_phone_in_use_or_unregistered_takes_no_calls_until_it_is_available() {
    check(
        "channel chat capacity 1
         queue support
         queue chats channel chat
         agent ann support 1 chats 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann
                state ann ready device -
        at 1s   device ann in_use
                exactly ready ann was ready device in_use
                state ann ready since 0s device in_use
        # the same state again: nothing
        at 1.5s device ann in_use
                expect nothing
        at 2s   call c1 in support
                expect queued c1; no offered
                where c1 waiting
        # a chat needs no phone
                chat k1 in chats
                expect chat_offered k1 to ann
        at 3s   device bob unregistered
                ready bob
                expect ready bob was not_ready device unregistered; no offered
        at 4s   device ann available
                expect ready ann was ready device available; offered c1 to ann
                state ann ringing c1 device available
        # ringing, the phone is naturally in use: nothing changes for the call
        at 5s   device ann in_use
                expect ringing ann c1 was ringing device in_use
                accept ann c1
                state ann on_call c1 device in_use
        # a logged-out agent's phone is kept too
        at 6s   device eve in_use => unknown_agent
                logout bob
                device bob available
                state bob logged_out device available
        "#,
    );
}

#[test]
fn ring_no_answer_requeues_at_the_head_and_pauses_after_misses_in_a_row() {
    check(
        RINGS,
        r#"
        at 0s   login ann; login bob; ready ann
        at 5s   call c1 in support
                expect offered c1 to ann until 25s
        at 10s  call c2 in support
                expect no offered c2
        at 24.999s expect nothing
        at 25s  expect offer_ended c1 at ann ring_no_answer; queued c1 in support; ready ann was ringing
                state ann ready streak 1 blocked_until 35s
                where c1 waiting entered 5s
                queue support: waiting 2 ringing 0 oldest 5s
        # the call went back to the head: the next agent gets c1, not c2
        at 30s  ready bob
                expect offered c1 to bob
        at 31s  accept bob c1
        # ann is held back for the reject delay
        at 34.999s expect nothing
        at 35s  expect offered c2 to ann until 55s
        at 55s  expect offer_ended c2 at ann ring_no_answer; queued c2; not_ready ann no_answer was ringing
                expect no ready ann
                state ann not_ready no_answer streak 0
                agents support: not_ready.no_answer 1
        # back from the pause, the agent starts a fresh count: one more miss does not pause it
        at 60s  ready ann
                expect offered c2 to ann until 80s
        at 80s  expect offer_ended c2 at ann ring_no_answer; queued c2; ready ann was ringing
                expect no not_ready ann
                state ann ready streak 1 blocked_until 90s
        at 90s  expect offered c2 to ann
                accept ann c2
                state ann on_call c2 streak 0
        "#,
    );
}

#[test]
fn a_rejected_offer_goes_to_the_next_agent() {
    check(
        "routing reject_delay 10s max_ring_no_answer 1
         queue support
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann
        at 1s   ready bob
        at 2s   call c1 in support
                expect offered c1 to ann
        at 3s   reject ann c1
                expect offer_ended c1 at ann rejected; queued c1 in support; offered c1 to bob; ringing bob c1; ready ann was ringing
                state ann ready streak 0 blocked_until 13s
                reject ann c1 => not_offered
                accept ann c1 => not_offered
        at 5s   call c2 in support
                expect no offered c2
        at 13s  expect offered c2 to ann
                stats support today: offered 2 answered 0 abandoned 0
        "#,
    );
}

#[test]
fn wrap_up_ends_at_its_deadline_early_or_extended() {
    check(
        "routing max_extension 60s
         queue support wrap_up 20s
         agent ann support 1",
        r#"
        at 0s   login ann; ready ann; call c1 in support; accept ann c1
        at 10s  hangup ann c1
                expect wrap_up ann c1 until 30s
                next_timeout 30s
        at 15s  extend_wrap_up ann 30s
                exactly wrap_up ann c1 until 60s was wrap_up; changed support
                state ann wrap_up c1 until 60s since 10s
                next_timeout 60s
                extend_wrap_up ann 61s => bad_extension
                extend_wrap_up ann 0s => bad_extension
        # asking for ready does not cut the wrap-up short
        at 20s  ready ann
                expect nothing
                state ann wrap_up c1 until 60s
        at 30s  expect nothing
        at 60s  expect ready ann was wrap_up
                stats support today: handled 1 talk_ms 10s wrap_up_ms 50s
        at 70s  call c2 in support; accept ann c2
        at 80s  hangup ann c2
        at 85s  end_wrap_up ann
                expect ready ann was wrap_up
                end_wrap_up ann => not_in_wrap_up
                extend_wrap_up ann 10s => not_in_wrap_up
        at 100s expect nothing
                stats support today: handled 2 talk_ms 20s wrap_up_ms 55s aht 37.500
        "#,
    );
}

#[test]
fn a_transfer_does_not_reset_or_end_the_first_agents_wrap_up() {
    check(
        "queue support wrap_up 20s
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support; accept ann c1
        at 5s   ready bob
        at 10s  transfer ann c1 to agent bob
                expect transferred c1 from ann to agent bob; offered c1 to bob; ringing bob c1; wrap_up ann c1 until 30s
        at 12s  accept bob c1
                expect connected c1 to bob
                expect no wrap_up ann
        at 15s  hangup bob c1
                expect wrap_up bob c1 until 35s
                expect no ready ann; expect no wrap_up ann
                state ann wrap_up c1 until 30s since 10s
        at 30s  expect ready ann; expect no ready bob
        at 35s  expect ready bob
                stats support today: offered 1 answered 1 handled 2 talk_ms 13s wrap_up_ms 40s
        "#,
    );
}

#[test]
fn a_pending_state_waits_for_the_call_and_wrap_up_and_can_be_cleared() {
    check(
        SUPPORT,
        r#"
        # set while ringing, applied after wrap-up
        at 0s   login ann; ready ann; call c1 in support
                not_ready ann break
                expect pending ann not_ready break
                state ann ringing c1 pending not_ready break
        at 2s   accept ann c1
                state ann on_call c1 pending not_ready break
        at 10s  hangup ann c1
                expect wrap_up ann
                expect no not_ready ann
        at 30s  expect pending ann cleared; not_ready ann break was wrap_up
                state ann not_ready break pending -
        # set on call, replaced, cleared by asking for ready
        at 40s  ready ann; call c2 in support; accept ann c2
        at 45s  logout ann
                expect pending ann logged_out
        at 46s  not_ready ann lunch
                expect pending ann not_ready lunch
        at 47s  ready ann
                exactly pending ann cleared
                clear_pending ann => no_pending_state
        # set during wrap-up, cleared
        at 50s  hangup ann c2
        at 55s  not_ready ann break
                expect pending ann not_ready break
        at 56s  clear_pending ann
                exactly pending ann cleared
        at 70s  expect ready ann was wrap_up
                expect no pending
        # logout while on call
        at 71s  call c3 in support; accept ann c3; logout ann
                expect pending ann logged_out
        at 80s  hangup ann c3
                state ann wrap_up c3 until 100s pending logged_out
        at 100s expect pending ann cleared; logged_out ann was wrap_up
                agents support: logged_in 0
        # set while ringing, the offer rejected: applied at once
        at 110s login ann; ready ann; call c4 in support
        at 111s not_ready ann lunch
        at 112s reject ann c4
                expect offer_ended c4 at ann rejected; pending ann cleared; not_ready ann lunch was ringing
                state ann not_ready lunch blocked_until -
        "#,
    );
}

#[test]
fn a_supervisor_sets_and_clears_the_pending_state_of_a_busy_agent() {
    check(
        SUPPORT,
        r#"
        # ringing: the pending state waits for the offer's end
        at 0s   login ann; ready ann; call c1 in support
        at 1s   set_pending ann not_ready break
                exactly pending ann not_ready break
                state ann ringing c1 pending not_ready break
        # on a call: replaced, then the same again changes nothing
        at 2s   accept ann c1; set_pending ann logged_out
                expect pending ann logged_out
                state ann on_call c1 pending logged_out
        at 3s   set_pending ann logged_out
                expect nothing
        # in wrap-up: cleared by the supervisor, set again, applied when the wrap-up ends
        at 10s  hangup ann c1
                clear_pending ann
                expect pending ann cleared
                set_pending ann not_ready lunch
                expect pending ann not_ready lunch
                state ann wrap_up c1 until 30s pending not_ready lunch
        at 30s  expect pending ann cleared; not_ready ann lunch was wrap_up
                state ann not_ready lunch pending -
        # not busy: refused, whatever the state
                set_pending ann logged_out => agent_not_busy
        at 31s  ready ann
                set_pending ann not_ready break => agent_not_busy
        at 32s  logout ann
                set_pending ann logged_out => not_logged_in
        # the core knows the system reasons too (the protocol refuses them from clients)
        at 40s  login ann; ready ann; call c2 in support
                set_pending ann not_ready coffee => unknown_reason
                set_pending ann not_ready no_answer
                expect pending ann not_ready no_answer
        "#,
    );
}

#[test]
fn hold_time_counts_in_handle_time() {
    check(
        SUPPORT,
        r#"
        at 0s   login ann; ready ann; call c1 in support
        at 5s   accept ann c1
                resume ann c1 => not_on_hold
        at 10s  hold ann c1
                expect held c1 by ann; on_hold ann c1
                hold ann c1 => already_on_hold
        at 40s  resume ann c1
                expect resumed c1 by ann; on_call ann c1
        # hung up while on hold: the hold runs to the hang-up
        at 50s  hold ann c1
        at 65s  hangup ann c1
        at 85s  expect ready ann
                stats support today: handled 1 hold_ms 45s talk_ms 15s wrap_up_ms 20s aht 80.000
        "#,
    );
}

#[test]
fn a_transfer_to_a_queue_is_a_new_leg_there_and_the_first_agent_wraps_up() {
    check(
        "queue support wrap_up 20s
         queue sales wrap_up 10s
         agent ann support 1
         agent bob sales 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support
        at 5s   accept ann c1
        at 30s  transfer ann c1 to queue nowhere => unknown_queue
                transfer ann c1 to queue sales
                expect transferred c1 from ann to queue sales; queued c1 in sales; wrap_up ann c1 until 50s
                where c1 waiting queue sales arrived 0s entered 30s
                stats sales today: offered 1
        at 40s  ready bob
                expect offered c1 to bob in sales
        at 42s  accept bob c1
                expect connected c1 to bob in sales
        at 50s  expect ready ann
                stats support today: offered 1 answered 1 handled 1 asa 5.000 talk_ms 25s wrap_up_ms 20s
        at 60s  hangup bob c1
                expect wrap_up bob c1 until 70s
        at 70s  stats sales today: offered 1 answered 1 handled 1 asa 12.000 talk_ms 18s wrap_up_ms 10s
                stats tenant today: offered 2 answered 2 handled 2
        "#,
    );
}

#[test]
fn a_transfer_to_an_agent_rings_directly_and_on_no_answer_waits_in_its_queue() {
    check(
        "routing reject_delay 10s
         queue support ring 15s wrap_up 20s
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support
        at 5s   accept ann c1
                transfer ann c1 to agent bob => agent_not_available
                transfer ann c1 to agent ann => transfer_to_self
                transfer ann c1 to agent zed => unknown_agent
        at 10s  ready bob
        at 20s  transfer ann c1 to agent bob
                expect transferred c1 from ann to agent bob; offered c1 to bob in support until 35s; ringing bob c1; wrap_up ann c1 until 40s
                where c1 ringing bob direct yes
                queue support: waiting 0 ringing 0
        at 35s  expect offer_ended c1 at bob ring_no_answer; queued c1 in support; ready bob was ringing
                where c1 waiting queue support entered 35s
                state bob ready streak 1 blocked_until 45s
                stats support today: offered 2 answered 1
        # ann's wrap-up ends and the call, at the head of its queue, goes to her
        at 40s  expect ready ann; offered c1 to ann
        "#,
    );
}

#[test]
fn callers_abandon_while_waiting_and_while_ringing() {
    check(
        "queue support sl 20s
         agent ann support 1",
        r#"
        at 0s   login ann; call c1 in support
        at 12s  ended c1
                exactly left c1 from support abandoned; changed support
                where c1 gone
                queue support: waiting 0 oldest -
        at 20s  ready ann; call c2 in support
                expect ringing ann c2
        at 26s  ended c2
                expect offer_ended c2 at ann caller_hung_up; left c2 from support abandoned; ready ann was ringing
                state ann ready blocked_until - streak 0
                queue support: ringing 0
                stats support today: offered 2 abandoned 2 abandoned_within_threshold 2 abandon_wait_ms 18s abandon_rate 100.0
                ended c2 => unknown_call
        "#,
    );
}

#[test]
fn short_abandons_count_nowhere_else() {
    check(
        "queue support sl 20s short_abandon 5s",
        r#"
        at 0s   call c1 in support
        at 4.999s ended c1
                expect left c1 from support abandoned
        at 10s  call c2 in support
        # exactly the short-abandon threshold is no longer short
        at 15s  ended c2
        at 20s  call c3 in support
                stats support today: offered 3 short_abandoned 1 abandoned 1 abandon_wait_ms 5s abandon_rate 50.0
                stats support today: sl - sl_offered 100.0 sl_short_abandon_excluded -
        "#,
    );
}

#[test]
fn a_short_abandon_of_a_call_offered_in_the_previous_interval() {
    // Regression: the abandonment rate subtracted short abandons from offered calls of the same
    // window and overflowed when the call had been offered in the window before.
    check(
        "queue support short_abandon 5s",
        r#"
        at 14m58s call c1 in support
        at 15m1s ended c1
                stats support interval: offered 0 short_abandoned 1 abandoned 0 abandon_rate -
                stats tenant interval: offered 0 short_abandoned 1 abandon_rate -
                stats support today: offered 1 short_abandoned 1 abandon_rate -
        "#,
    );
}

/// Five answered calls (waits 5, 10, 20, 30 and 50 s) and three abandoned ones (3 s, short;
/// 20 s, within the threshold; 40 s), with T = 20 s:
/// - answered: 3 / 5 = 60 %
/// - offered: (3 + 1) / (5 + 2) = 57.14 %
/// - short_abandon_excluded: 3 / (5 + 1) = 50 %
#[test]
fn each_service_level_variant_from_a_known_mix_of_calls() {
    let script = r#"
        at 0s   login a1; login a2; login a3; login a4; login a5; call c1 in q
        at 5s   ready a1; accept a1 c1
        at 100s call c2 in q
        at 110s ready a2; accept a2 c2
        at 200s call c3 in q
        at 220s ready a3; accept a3 c3
        at 300s call c4 in q
        at 330s ready a4; accept a4 c4
        at 400s call c5 in q
        at 450s ready a5; accept a5 c5
        at 500s call b1 in q
        at 503s ended b1
        at 600s call b2 in q
        at 620s ended b2
        at 700s call b3 in q
        at 740s ended b3
        stats q interval: offered 8 answered 5 answered_within_threshold 3 abandoned 2 abandoned_within_threshold 1 short_abandoned 1
        stats q interval: asa 23.000 abandon_rate 28.57 sl_answered 60.00 sl_offered 57.14 sl_short_abandon_excluded 50.00
    "#;
    for (variant, percent) in [
        ("answered", "60.00"),
        ("offered", "57.14"),
        ("short_abandon_excluded", "50.00"),
    ] {
        let setup = format!(
            "queue q sl 20s variant {variant} short_abandon 5s
             agent a1 q 1
             agent a2 q 1
             agent a3 q 1
             agent a4 q 1
             agent a5 q 1"
        );
        let run = check(&setup, &format!("{script}\n stats q today: sl {percent}"));
        let stats = run.acd.queue_stats(&"q".into()).unwrap();
        assert_eq!(stats.service_level.variant.name(), variant);
    }
}

#[test]
fn higher_priority_first_then_longest_waiting() {
    check(
        "queue support
         agent ann support 1",
        r#"
        at 0s   login ann; call c1 in support priority 0
        at 1s   call c2 in support priority 5
        at 2s   call c3 in support priority 5
        at 3s   call c4 in support priority 0
        at 4s   call c5 in support priority 9
        at 10s  ready ann
                expect offered c5 to ann priority 9
                accept ann c5; hangup ann c5
                expect offered c2 to ann priority 5
                accept ann c2; hangup ann c2
                expect offered c3 to ann
                accept ann c3; hangup ann c3
                expect offered c1 to ann priority 0
                accept ann c1; hangup ann c1
                expect offered c4 to ann
        "#,
    );
}

#[test]
fn an_agent_in_several_queues_takes_the_longest_weighted_wait() {
    let setup = |weight: u32| {
        format!(
            "queue low weight 1
             queue high weight {weight}
             agent ann low 1 high 1"
        )
    };
    let script = |expected: &str| {
        format!(
            "at 0s  login ann; call c1 in low
             at 15s call c2 in high
             at 30s ready ann
                    expect offered {expected}"
        )
    };
    // c1 waited 30 s x 1, c2 15 s x 3 = 45 s
    check(&setup(3), &script("c2 to ann in high"));
    // unweighted, the longer wait wins
    check(&setup(1), &script("c1 to ann in low"));
    // a tie of weighted waits (30 s x 1 against 15 s x 2) goes to the earlier caller
    check(&setup(2), &script("c1 to ann in low"));
    // caller priority comes before weighted wait
    check(
        &setup(3),
        "at 0s  login ann; call c1 in low
         at 15s call c2 in high
         at 29s call c3 in low priority 1
         at 30s ready ann
                expect offered c3 to ann in low",
    );
}

#[test]
fn telephony_reports_answer_and_end() {
    check(
        "queue support wrap_up 10s
         agent ann support 1",
        r#"
        at 0s   login ann; ready ann; call c1 in support
        at 3s   answered c1
                expect connected c1 to ann in support; on_call ann c1 was ringing
        # a second answer of a connected call is harmless
        at 4s   answered c1
                expect nothing
                answered c9 => unknown_call
        at 5s   call c2 in support
                answered c2 => not_ringing
        at 30s  ended c1
                expect left c1 from support completed; wrap_up ann c1 until 40s
                stats support today: answered 1 asa 3.000 abandoned 0
        at 40s  expect ready ann; offered c2 to ann
        "#,
    );
}

#[test]
fn a_supervisor_changes_a_waiting_calls_priority() {
    check(
        "queue support
         agent ann support 1",
        r#"
        at 0s   login ann; call c1 in support; call c2 in support
        at 1s   set_priority c2 7
                exactly priority c2 7; changed support
                where c2 waiting priority 7
        at 2s   ready ann
                expect offered c2 to ann priority 7
                set_priority c2 1 => not_waiting
                set_priority c9 1 => unknown_call
        "#,
    );
}

#[test]
fn a_supervisor_moves_a_waiting_call_and_it_keeps_its_place() {
    check(
        "queue support
         queue sales
         agent bob sales 1",
        r#"
        at 0s   login bob; call c1 in support
        at 5s   call c2 in sales
        at 10s  move c1 to sales
                expect overflowed c1 from support to sales moved; queued c1 in sales
                move c1 to nowhere => unknown_queue
                move c9 to sales => unknown_call
                stats support today: offered 1 overflowed 1
                stats sales today: offered 2
        at 11s  move c1 to sales
                expect nothing
        at 20s  ready bob
                expect offered c1 to bob in sales
                move c1 to support => not_waiting
        "#,
    );
}

#[test]
fn the_interval_resets_exactly_at_the_quarter_hour() {
    check(
        "queue support wrap_up 20s
         agent ann support 1",
        r#"
        at 0s   login ann; ready ann
                next_timeout 15m
        at 14m50s call c1 in support
        at 14m59.999s accept ann c1
                stats support interval: from 0s offered 1 answered 1
        at 15m  expect changed support
                stats support interval: from 15m offered 0 answered 0 asa -
                stats tenant interval: from 15m offered 0
                stats support today: from -9h offered 1 answered 1
        # a call at the boundary counts in the new interval
                call c2 in support
                stats support interval: offered 1
        # a wrap-up deadline exactly at the next boundary counts in the interval it opens
        at 29m40s hangup ann c1
                expect wrap_up ann c1 until 30m
        at 29m59.999s stats support interval: from 15m offered 1 handled 0
        at 30m  stats support interval: from 30m offered 0 answered 0 handled 1 wrap_up_ms 20s
                stats support lifetime: offered 2 answered 1 handled 1
        "#,
    );
}

#[test]
fn today_resets_at_local_midnight_with_the_daily_routing_counts() {
    check(
        "queue support strategy fewest_calls
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support; accept ann c1; hangup ann c1
        at 1h   ready bob
                stats support today: from -9h offered 1 answered 1 handled 1
        # 15 h after 09:00 is midnight in Berlin
        at 14h59m59.999s stats support today: from -9h offered 1
        at 15h  stats support today: from 15h offered 0 answered 0 handled 0 ready_idle_ms 0
                stats tenant today: from 2026-03-11T00:00:00+01:00 offered 0
                stats support lifetime: offered 1 answered 1
        # ann answered yesterday's call; today both start from zero and ann has been idle longer
                call c2 in support
                expect offered c2 to ann
        "#,
    );
}

#[test]
fn the_fewest_calls_count_decides_before_midnight() {
    // The counterpart of the midnight test: the same calls on the same day go to bob.
    check(
        "queue support strategy fewest_calls
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support; accept ann c1; hangup ann c1
        at 1h   ready bob
        at 14h59m call c2 in support
                expect offered c2 to bob
        "#,
    );
}

#[test]
fn a_23_hour_day_when_clocks_go_forward() {
    check(
        "start 2026-03-28T23:00:00+01:00
         queue support",
        r#"
        at 0s   stats support today: from 2026-03-28T00:00:00+01:00
        at 1h   stats support today: from 2026-03-29T00:00:00+01:00
                stats support interval: from 1h
        at 2h45m stats support interval: from 2026-03-29T01:45:00+01:00
        at 2h59m59.999s call c1 in support
                stats support interval: offered 1
        # 02:00 CET is 03:00 CEST: the next interval starts on the local quarter hour
        at 3h   stats support interval: from 2026-03-29T03:00:00+02:00 offered 0
                stats support today: offered 1
        at 3h15m stats support interval: from 2026-03-29T03:15:00+02:00
        at 23h59m59.999s stats support today: from 1h offered 1
        at 24h  stats support today: from 2026-03-30T00:00:00+02:00 offered 0
                stats support interval: from 24h
        "#,
    );
}

#[test]
fn a_25_hour_day_when_clocks_go_back() {
    check(
        "start 2026-10-24T23:00:00+02:00
         queue support",
        r#"
        at 1h   stats support today: from 2026-10-25T00:00:00+02:00
        at 3h45m stats support interval: from 2026-10-25T02:45:00+02:00
        # 03:00 CEST is 02:00 CET: the hour from 02:00 runs twice, in quarter hours both times
        at 4h   stats support interval: from 2026-10-25T02:00:00+01:00
        at 4h15m stats support interval: from 2026-10-25T02:15:00+01:00
        at 5h   stats support interval: from 2026-10-25T03:00:00+01:00
        # 23:30 CET on the 25th, 24.5 hours after its midnight: still today
        at 25h30m call c1 in support
        at 25h59m59.999s stats support today: from 1h offered 1
        at 26h  stats support today: from 2026-10-26T00:00:00+01:00 offered 0
        "#,
    );
}

#[test]
fn the_rolling_window_drops_each_sample_exactly_15_minutes_later() {
    check(
        "queue support
         agent ann support 1",
        r#"
        at 0s   login ann; ready ann
        at 100s call c1 in support
                stats support rolling: from -800s offered 1
        at 110s accept ann c1
        at 120s hangup ann c1
        at 999.999s stats support rolling: offered 1 answered 1 handled 1
        at 1000s expect changed support
                stats support rolling: from 100s offered 0 answered 1 handled 1
                stats tenant rolling: offered 0 answered 1
        at 1010s stats support rolling: answered 0 handled 1
        at 1020s stats support rolling: handled 0 asa - aht -
                stats support today: offered 1 answered 1 handled 1
        "#,
    );
}

#[test]
fn occupancy_is_handling_time_over_handling_and_ready_idle_time() {
    check(
        "queue support wrap_up 20s
         agent ann support 1
         agent bob support 1",
        r#"
        # bob is logged in but not ready: his time counts nowhere
        at 0s   login ann; login bob; ready ann
        at 60s  call c1 in support
        # ringing time counts nowhere either
        at 65s  accept ann c1
        at 125s hangup ann c1
        at 145s expect ready ann
        # idle 0-60 s and 145-200 s, handling 65-145 s
        at 200s stats support today: ready_idle_ms 115s handling_ms 80s occupancy 41.03
                stats tenant today: ready_idle_ms 115s handling_ms 80s
                stats support rolling: ready_idle_ms 115s handling_ms 80s
        # the last 15 minutes from 100 s: handling 100-145 s, idle 145-1000 s
        at 1000s stats support rolling: from 100s ready_idle_ms 855s handling_ms 45s occupancy 5.00
                stats support interval: from 900s ready_idle_ms 100s handling_ms 0 occupancy 0.0
                stats support today: ready_idle_ms 915s handling_ms 80s
                stats support lifetime: ready_idle_ms 915s handling_ms 80s
        "#,
    );
}

#[test]
fn queue_changed_is_emitted_once_per_queue_per_step() {
    check(
        "queue support
         queue sales
         agent ann support 1 sales 1",
        r#"
        at 0s   login ann
                exactly not_ready ann login was logged_out; changed support; changed sales
        at 1s   call c1 in support
                exactly queued c1 in support; changed support
        # the agent's status changes twice and the offer changes support again
        at 2s   ready ann
                exactly ready ann was not_ready; offered c1 to ann; ringing ann c1 was ready; changed support; changed sales
        # nothing changes, nothing is said
        at 3s   expect nothing
                exactly
        "#,
    );
}

#[test]
fn queue_changed_coalesces_over_commands_until_polled() {
    use acdhub::acd::{Command, Event, RequestedState};
    let (mut acd, start) = support::acd(
        "queue support
         queue sales
         agent ann support 1 sales 1",
    );
    for command in [
        Command::Login {
            agent: "ann".into(),
        },
        Command::SetState {
            agent: "ann".into(),
            state: RequestedState::Ready,
        },
        Command::CallArrived {
            arrived_at: None,
            call: "c1".into(),
            queue: "support".into(),
            priority: 0,
            data: Default::default(),
        },
    ] {
        acd.handle(command, start).unwrap();
    }
    let events: Vec<Event> = std::iter::from_fn(|| acd.poll_event()).collect();
    let changed: Vec<String> = events
        .iter()
        .filter_map(|e| match e {
            Event::QueueChanged { queue, .. } => Some(queue.to_string()),
            _ => None,
        })
        .collect();
    let first_changed = events
        .iter()
        .position(|e| matches!(e, Event::QueueChanged { .. }))
        .unwrap();
    assert!(changed.len() == 2 && changed.contains(&"support".to_owned()));
    assert!(changed.contains(&"sales".to_owned()));
    assert_eq!(first_changed, events.len() - 2, "QueueChanged comes last");
}

#[test]
fn a_call_transferred_to_a_queue_does_not_ring_straight_back() {
    // Regression: with no wrap-up, the agent was ready at once and was offered the call it had
    // just transferred away.
    check(
        "routing reject_delay 5s
         queue support
         queue sales
         agent ann support 1 sales 1
         agent bob sales 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support; accept ann c1
        at 10s  transfer ann c1 to queue sales
                expect transferred c1 from ann to queue sales; queued c1 in sales; ready ann was on_call
                expect no offered c1 to ann
                state ann ready blocked_until 15s
        at 12s  ready bob
                expect offered c1 to bob in sales
        at 15s  call c2 in support
                expect offered c2 to ann
        "#,
    );
}

#[test]
fn a_ring_no_answer_goes_straight_to_the_next_free_agent() {
    check(
        "routing reject_delay 10s
         queue support ring 20s
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann
        at 1s   ready bob
        at 2s   call c1 in support
                expect offered c1 to ann until 22s
        at 22s  exactly offer_ended c1 at ann ring_no_answer; queued c1 in support; offered c1 to bob in support until 42s; ringing bob c1 was ready; ready ann was ringing; changed support
                state ann ready streak 1 blocked_until 32s
                stats support today: offered 1 answered 0
        "#,
    );
}

#[test]
fn today_follows_the_configured_time_zone() {
    // 09:00 in Berlin is 04:00 in New York: a New York day ends 20 hours later, not 15.
    check(
        "zone America/New_York
         queue support",
        r#"
        at 0s   call c1 in support
                stats support today: from 2026-03-10T00:00:00-04:00 offered 1
                stats support today: from -4h
        at 15h  stats support today: from -4h offered 1
        at 19h59m59.999s stats support today: offered 1
        at 20h  stats support today: from 20h offered 0
                stats support today: from 2026-03-11T00:00:00-04:00
        "#,
    );
}

#[test]
fn a_caller_who_hangs_up_during_a_transfer_to_an_agent_is_not_an_abandon() {
    check(
        "queue support wrap_up 20s
         agent ann support 1
         agent bob support 1",
        r#"
        at 0s   login ann; login bob; ready ann; call c1 in support
        at 5s   accept ann c1; ready bob
        at 20s  transfer ann c1 to agent bob
        at 25s  ended c1
                expect offer_ended c1 at bob caller_hung_up; left c1 from support completed; ready bob was ringing
                expect no wrap_up bob
                state ann wrap_up c1 until 40s
                stats support today: offered 1 answered 1 abandoned 0
        "#,
    );
}

#[test]
fn a_supervisor_sets_replaces_and_clears_the_wallboards_message_and_bad_ones_change_nothing() {
    let run = check(
        SUPPORT,
        r#"
        at 0s   wallboards show nothing
        at 1s   ticker by sue __Team_meeting_14:00_
        exactly ticker set Team_meeting_14:00 by sue at 1s
        wallboards show Team_meeting_14:00 by sue at 1s
        # The same text again changes nothing, not even who set it.
        at 2s   ticker by tom Team_meeting_14:00
        exactly
        wallboards show Team_meeting_14:00 by sue at 1s
        # Refused, and the message stays: too long, a newline, a tab.
        at 3s   ticker by tom x281 => bad_ticker
        ticker by tom Billing_down\nCall_back => bad_ticker
        ticker by tom Billing\tdown => bad_ticker
        exactly
        wallboards show Team_meeting_14:00 by sue at 1s
        at 5s   ticker by tom Billing_system_down,_tell_callers_we_call_back
        exactly ticker set Billing_system_down,_tell_callers_we_call_back by tom at 5s
        # Blank clears it, once: clearing nothing changes nothing.
        at 6s   ticker by sue ___
        exactly ticker cleared by sue at 6s
        wallboards show nothing
        at 7s   ticker by sue
        exactly
        at 8s   ticker by sue Back_to_normal
        "#,
    );
    // Refused with the rule it broke.
    let mut acd = run.acd;
    for (text, words) in [
        ("y".repeat(281), "at most 280 characters"),
        ("one\ntwo".to_owned(), "no newlines"),
        ("one\u{2028}two".to_owned(), "no newlines"),
    ] {
        let command = acdhub::acd::Command::SetTicker {
            text,
            by: "sue".into(),
        };
        let error = acd.handle(command, run.now).unwrap_err();
        assert_eq!(error.code(), "bad_ticker");
        assert!(error.to_string().contains(words), "{error}");
    }
    // 280 characters, not bytes: umlauts take two bytes each. Blanks around it are not kept.
    let umlauts = "ä".repeat(280);
    let command = acdhub::acd::Command::SetTicker {
        text: format!("  {umlauts}\t"),
        by: "sue".into(),
    };
    acd.handle(command, run.now).unwrap();
    assert_eq!(acd.ticker().unwrap().text, umlauts);
}

/// The message is the core's state: a snapshot keeps it, a reload keeps it, and a snapshot
/// from before there were tickers has none.
#[test]
fn the_wallboards_message_survives_a_snapshot_and_a_reload() {
    let run = check(
        SUPPORT,
        "at 1s   ticker by sue Billing_system_down
         at 2s   login ann",
    );
    let snapshot = serde_json::to_value(&run.acd).unwrap();
    let mut restored: acdhub::acd::Acd = serde_json::from_value(snapshot.clone()).unwrap();
    restored.restored();
    restored.check_invariants().unwrap();
    let shown = restored.ticker().cloned().unwrap();
    assert_eq!(
        (shown.text.as_str(), shown.by.as_str(), shown.at),
        (
            "Billing system down",
            "sue",
            run.start + jiff::SignedDuration::from_secs(1)
        )
    );
    assert_eq!(Some(&shown), run.acd.ticker());

    let (config, _) = support::setup(SUPPORT);
    let later = run.now + jiff::SignedDuration::from_secs(5);
    restored.reconfigure(config, later).unwrap();
    assert_eq!(
        restored.ticker(),
        Some(&shown),
        "a reload keeps the message"
    );

    let mut old = snapshot;
    assert!(old.as_object_mut().unwrap().remove("ticker").is_some());
    let old: acdhub::acd::Acd = serde_json::from_value(old).unwrap();
    assert_eq!(old.ticker(), None);
}

#[test]
fn a_supervisor_makes_and_revokes_displays_and_a_snapshot_keeps_them() {
    let run = check(
        SUPPORT,
        r#"
        at 1s   display lobby by sue h1
        exactly display_created lobby by sue
        at 2s   display floor-2 by tom h2
        display lobby by tom h3 => duplicate_display
        display Lobby_TV! by tom => bad_display_name
        at 3s   revoke_display lobby by tom
        exactly display_revoked lobby by tom
        revoke_display lobby by tom => unknown_display
        # Its name is free again, with a new token.
        at 4s   display lobby by sue h4
        "#,
    );
    let names = |acd: &acdhub::acd::Acd| {
        acd.displays()
            .iter()
            .map(|d| (d.name.clone(), d.token_hash.clone(), d.created_by.clone()))
            .collect::<Vec<_>>()
    };
    let own = |n: &str, h: &str, by: &str| (n.to_owned(), h.to_owned(), by.to_owned());
    assert_eq!(
        names(&run.acd),
        [own("floor-2", "h2", "tom"), own("lobby", "h4", "sue")]
    );
    // The revoked token finds nothing; the new one finds its display.
    assert_eq!(run.acd.display_with_hash("h1"), None);
    assert_eq!(run.acd.display_with_hash("h4").unwrap().name, "lobby");
    assert_eq!(
        run.acd.display_with_hash("h4").unwrap().created_at,
        run.start + jiff::SignedDuration::from_secs(4)
    );
    let snapshot = serde_json::to_value(&run.acd).unwrap();
    let restored: acdhub::acd::Acd = serde_json::from_value(snapshot.clone()).unwrap();
    restored.check_invariants().unwrap();
    assert_eq!(names(&restored), names(&run.acd));
    let mut old = snapshot;
    assert!(old.as_object_mut().unwrap().remove("displays").is_some());
    let old: acdhub::acd::Acd = serde_json::from_value(old).unwrap();
    assert!(
        old.displays().is_empty(),
        "a snapshot from before displays has none"
    );
}

#[test]
fn supervisors_on_a_call_change_mode_leave_and_go_with_the_call() {
    check(
        SUPPORT,
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        expect  offered c1 to ann
        at 2s   accept ann c1
        at 3s   monitor ann by sue listen
        exactly monitor c1 of ann by sue listen
        at 4s   monitor ann by sue listen
        exactly
        at 5s   monitor ann by sue whisper; monitor ann by tom barge
        exactly monitor c1 of ann by sue whisper; monitor c1 of ann by tom barge
        at 6s   monitor ann by tom off
        exactly unmonitor c1 of ann by tom ended
        # The call goes to bob: sue leaves with it, and nobody is on bob's call.
        at 7s   transfer ann c1 to agent bob
        expect  unmonitor c1 of ann by sue call_left
        at 8s   accept bob c1
        at 9s   monitor bob by sue barge
        expect  monitor c1 of bob by sue barge
        # Hung up: gone with the call.
        at 10s  hangup bob c1
        expect  left c1 from support completed; unmonitor c1 of bob by sue call_left
        "#,
    );
}

/// SUPPORT with a connector that carries out consultations and conferences.
const CONSULTING: &str = "
    telephony consult conference
    reasons break lunch
    queue support wrap_up 20s
    agent ann support 1
    agent bob support 1
";

#[test]
fn a_warm_transfer_rings_talks_and_hands_the_caller_over() {
    check(
        CONSULTING,
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        expect  offered c1 to ann
        at 2s   accept ann c1
        # The caller goes on hold as the consultation rings at bob, for the ring timeout.
        at 10s  consult ann c1 with bob
        exactly held c1 by ann; on_hold ann c1 was on_call; consult c1 of ann with bob ringing until 40s; consult_ringing bob c1 was ready; changed support
        where   c1 held ann
        at 12s  accept bob c1
        exactly consult c1 of ann with bob talking; consulted bob c1 was ringing; changed support
        state   bob consulted c1 since 12s
        # The transfer completes: the call is bob's, ann wraps up as after any transfer.
        at 20s  complete_transfer ann c1
        exactly consult c1 of ann with bob ended transferred; transferred c1 from ann to agent bob; connected c1 to bob in support; on_call bob c1 was on_call; wrap_up ann c1 until 40s was on_call; changed support
        where   c1 connected bob
        at 30s  hangup bob c1
        expect  left c1 from support completed; wrap_up bob c1 until 50s was on_call
        at 40s  expect ready ann was wrap_up
        at 50s  expect ready bob was wrap_up
        # One call answered once; each agent's handling counts, ann's 8 s on hold with it.
        stats support today: offered 1 answered 1 handled 2
        "#,
    );
}

#[test]
fn a_conference_brings_the_caller_in_and_the_first_agent_can_leave_it() {
    check(
        CONSULTING,
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        at 2s   accept ann c1
        at 10s  consult ann c1 with bob
        at 12s  answered c1
        expect  consult c1 of ann with bob talking; consulted bob c1 was ringing
        at 15s  conference ann c1
        exactly resumed c1 by ann; on_call ann c1 was on_call; consult c1 of ann with bob conference; changed support
        at 16s  conference ann c1
        exactly
        # Nobody may hold or transfer the caller while three are on the line.
        at 17s  hold ann c1 => consult_in_progress
        # ann hangs up: bob keeps the caller, as PBXs complete an attended transfer.
        at 20s  hangup ann c1
        exactly consult c1 of ann with bob ended transferred; transferred c1 from ann to agent bob; connected c1 to bob in support; on_call bob c1 was on_call; wrap_up ann c1 until 40s was on_call; changed support
        "#,
    );
}

#[test]
fn a_consultation_that_ends_gives_the_caller_back_off_hold() {
    check(
        CONSULTING,
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        at 2s   accept ann c1
        # Cancelled while it rings.
        at 10s  consult ann c1 with bob
        at 11s  cancel_consult ann c1
        exactly consult c1 of ann with bob ended cancelled; ready bob was ringing; resumed c1 by ann; on_call ann c1 was on_call; changed support
        # Rejected by bob.
        at 12s  consult ann c1 with bob
        at 13s  reject bob c1
        exactly consult c1 of ann with bob ended rejected; ready bob was ringing; resumed c1 by ann; on_call ann c1 was on_call; changed support
        state   bob ready blocked_until -
        # Not answered in the ring timeout.
        at 14s  consult ann c1 with bob
        at 44s  expect consult c1 of ann with bob ended ring_no_answer; ready bob was ringing; resumed c1 by ann
        # The PBX could not ring bob's phone.
        at 50s  consult ann c1 with bob
        at 51s  ring_failed c1
        expect  consult c1 of ann with bob ended ring_no_answer; ready bob was ringing; resumed c1 by ann
        # Answered, then bob hangs up: he is ready at once, with no wrap-up.
        at 60s  consult ann c1 with bob
        # A supervisor may coach the consulted agent on its leg, and leaves with it.
        at 61s  monitor bob by sue listen => agent_not_on_call
                accept bob c1
        at 62s  monitor bob by sue listen
        exactly monitor c1 of bob by sue listen
        at 70s  hangup bob c1
        exactly consult c1 of ann with bob ended left; unmonitor c1 of bob by sue call_left; ready bob was on_call; resumed c1 by ann; on_call ann c1 was on_call; changed support
        where   c1 connected ann
        stats support today: offered 1 answered 1
        "#,
    );
}

#[test]
fn the_caller_hanging_up_ends_the_consultation_with_the_call() {
    check(
        CONSULTING,
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        at 2s   accept ann c1
        at 10s  consult ann c1 with bob
        at 11s  ended c1
        exactly consult c1 of ann with bob ended call_ended; ready bob was ringing; left c1 from support completed; wrap_up ann c1 until 31s was on_call; changed support
        # A consulted agent asked for a state goes to it after the call, when the call is its.
        at 40s  call c2 in support
        expect  offered c2 to bob
        at 41s  accept bob c2
        at 42s  consult bob c2 with ann
        at 43s  accept ann c2; not_ready ann break
        expect  pending ann not_ready break
        at 44s  hangup bob c2
        expect  transferred c2 from bob to agent ann; on_call ann c2 was on_call
        state   ann on_call c2 pending not_ready break
        "#,
    );
}

#[test]
fn consultations_and_conferences_need_a_connector_that_carries_them_out() {
    check(
        "
        telephony consult
        queue support wrap_up 20s
        agent ann support 1
        agent bob support 1
        ",
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        at 2s   accept ann c1
        at 3s   consult ann c1 with bob
        at 4s   accept bob c1
        at 5s   conference ann c1 => not_supported
        "#,
    );
    check(
        SUPPORT,
        r#"
        at 0s   login ann; ready ann; login bob; ready bob
        at 1s   call c1 in support
        at 2s   accept ann c1
        at 3s   consult ann c1 with bob => not_supported
        state   ann on_call c1
        "#,
    );
}
