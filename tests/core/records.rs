//! Call detail records folded from a real core's events: one scenario per way a call goes, each
//! field checked, and the records' sums checked against the core's own figures.

use acdhub::acd::Figures;
use acdhub::records::{CallRecord, CallRecords, Outcome};

use crate::fold_day::Day as FoldDay;

type Day = FoldDay<CallRecords>;

impl Day {
    /// The finished record of a call.
    #[track_caller]
    fn record(&self, call: &str) -> &CallRecord {
        self.finished
            .iter()
            .find(|r| r.call.as_str() == call)
            .unwrap_or_else(|| panic!("no record of {call} in {:#?}", self.finished))
    }

    /// Every call is over: nothing is held for it, and the records' times add up to the core's.
    #[track_caller]
    fn assert_all_finished_and_agreeing(&self) {
        assert_eq!(self.records.in_progress(), 0, "{:#?}", self.records);
        let seqs: Vec<u64> = self.finished.iter().map(|r| r.seq).collect();
        let expected: Vec<u64> = (1..=self.finished.len() as u64).collect();
        assert_eq!(seqs, expected, "seq counts 1, 2, 3... in finishing order");
        let core: Figures = self.acd.tenant_stats().stats.lifetime;
        let sum = |f: fn(&CallRecord) -> u64| self.finished.iter().map(f).sum::<u64>();
        assert_eq!(sum(|r| r.talk_ms), core.talk_ms, "talk");
        assert_eq!(sum(|r| r.hold_ms), core.hold_ms, "hold");
        assert_eq!(sum(|r| r.wrap_up_ms), core.wrap_up_ms, "wrap-up");
    }
}

#[test]
fn an_answered_call_with_hold_and_a_wrap_up_extended_then_ended_early() {
    let mut day = Day::new(
        "
        reasons break
        queue support wrap_up 20s
        agent ann support 1
        ",
    );
    day.at("0s", "login ann; ready ann");
    day.at(
        "2s",
        "call c1 in support priority 3 from +4930123 dialled 800",
    );
    day.at("5s", "accept ann c1");
    day.at("20s", "hold ann c1");
    day.at("30s", "resume ann c1");
    day.at("40s", "hold ann c1");
    // Hung up while on hold: the hold runs to the hang-up.
    day.at("45s", "resume ann c1");
    day.at("60s", "hold ann c1");
    day.at("65s", "hangup ann c1");
    assert!(
        day.finished.is_empty(),
        "the wrap-up runs: not finished yet"
    );
    assert_eq!(day.records.in_progress(), 1);
    day.at("80s", "extend_wrap_up ann 10s");
    day.at("84s", "");
    assert!(day.finished.is_empty(), "the wrap-up was extended to 95s");
    day.at("90s", "end_wrap_up ann");
    let r = day.record("c1");
    assert_eq!(r.seq, 1);
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(
        (r.first_queue.as_str(), r.last_queue.as_str()),
        ("support", "support")
    );
    assert_eq!(r.queues, ["support".into()]);
    assert_eq!(r.agents, ["ann".into()]);
    assert_eq!(r.answered_by, Some("ann".into()));
    assert_eq!(r.priority, Some(3));
    assert_eq!(r.caller.as_deref(), Some("+4930123"));
    assert_eq!(r.dialled.as_deref(), Some("800"));
    assert_eq!(r.arrived_at, day.instant("2s"));
    assert_eq!(r.first_offered_at, day.when("2s"));
    assert_eq!(r.answered_at, day.when("5s"));
    assert_eq!(r.ended_at, day.instant("65s"));
    assert_eq!(r.wrap_up_ended_at, day.when("90s"));
    assert_eq!(r.wait_ms, 3_000);
    assert_eq!(r.last_queue_wait_ms, 3_000);
    // Connected 5s..65s = 60 s, of which on hold 20..30, 40..45 and 60..65.
    assert_eq!(r.hold_ms, 20_000);
    assert_eq!(r.talk_ms, 40_000);
    assert_eq!(r.holds, 3);
    assert_eq!(r.wrap_up_ms, 25_000);
    assert_eq!((r.offers, r.ring_no_answers, r.rejections), (1, 0, 0));
    assert_eq!((r.transfers, r.overflows), (0, 0));
    assert!(r.transfer_targets.is_empty());
    day.assert_all_finished_and_agreeing();
}

/// A call that waited in the PBX before it reached the ACD (`arrived_at`): its record arrived
/// then, and its waits count from then, as the queue's figures do.
#[test]
fn a_call_that_waited_before_it_arrived_is_recorded_from_when_it_began_to_wait() {
    let mut day = Day::new(
        "
        queue support wrap_up 0s
        agent ann support 1
        ",
    );
    day.at("0s", "login ann");
    day.at("30s", "call c1 in support waited 12s");
    day.at("31s", "ready ann");
    day.at("33s", "accept ann c1");
    day.at("40s", "hangup ann c1");
    let r = day.record("c1");
    assert_eq!(r.arrived_at, day.instant("18s"));
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (15_000, 15_000));
    let figures = day.acd.queue_stats(&"support".into()).unwrap().stats.today;
    assert_eq!(
        figures.figures.answer_wait_ms, 15_000,
        "the queue counts the same wait"
    );
}

#[test]
fn abandoned_calls_in_queue_and_while_ringing_finish_at_once() {
    let mut day = Day::new(
        "
        queue support wrap_up 20s short_abandon 5s
        agent ann support 1
        ",
    );
    day.at("0s", "call c1 in support priority 2 from +4930111");
    day.at("1s", "call c2 in support");
    day.at("3s", "set_priority c1 7");
    day.at("4s", "ended c2");
    // A short abandon to the queue's figures: the record says abandoned, with the wait.
    let r = day.record("c2");
    assert_eq!(r.outcome, Outcome::Abandoned);
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (3_000, 3_000));
    assert_eq!(r.priority, None, "never offered: the events did not say");
    assert_eq!(r.caller, None);
    day.at("12s", "ended c1");
    let r = day.record("c1");
    assert_eq!(r.seq, 2);
    assert_eq!(r.outcome, Outcome::Abandoned);
    assert_eq!(r.priority, Some(7), "from the supervisor's change");
    assert_eq!(r.arrived_at, day.instant("0s"));
    assert_eq!(r.ended_at, day.instant("12s"));
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (12_000, 12_000));
    assert_eq!(
        (r.first_offered_at, r.answered_at, r.wrap_up_ended_at),
        (None, None, None)
    );
    assert!(r.agents.is_empty() && r.answered_by.is_none());
    assert_eq!((r.offers, r.talk_ms, r.hold_ms, r.wrap_up_ms), (0, 0, 0, 0));

    day.at(
        "20s",
        "login ann; ready ann; call c3 in support from +4930333",
    );
    day.at("26s", "ended c3");
    let r = day.record("c3");
    assert_eq!(r.outcome, Outcome::Abandoned);
    assert_eq!(r.agents, ["ann".into()]);
    assert_eq!(r.first_offered_at, day.when("20s"));
    assert_eq!(r.caller.as_deref(), Some("+4930333"));
    assert_eq!((r.offers, r.ring_no_answers, r.wait_ms), (1, 0, 6_000));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn a_ring_no_answer_and_a_reject_then_the_call_is_answered() {
    let mut day = Day::new(
        "
        routing reject_delay 5s max_ring_no_answer 3
        queue support ring 10s wrap_up 0s
        agent ann support 1
        agent bob support 1
        ",
    );
    day.at("0s", "login ann; login bob; ready ann");
    day.at("0.5s", "ready bob");
    // Offered to ann (ready longest), rings out at 11s, goes to bob.
    day.at("1s", "call c1 in support from +4930123");
    day.at("13s", "reject bob c1");
    // ann is held back until 16s, bob until 18s: ann gets it again at 16s.
    day.at("20s", "accept ann c1");
    day.at("80s", "hangup ann c1");
    let r = day.record("c1");
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(r.agents, ["ann".into(), "bob".into()], "each agent once");
    assert_eq!((r.offers, r.ring_no_answers, r.rejections), (3, 1, 1));
    assert_eq!(r.answered_by, Some("ann".into()));
    assert_eq!(
        r.queues,
        ["support".into()],
        "back in the same queue: one entry"
    );
    assert_eq!(r.first_offered_at, day.when("1s"));
    assert_eq!(r.answered_at, day.when("20s"));
    assert_eq!(r.wait_ms, 19_000);
    assert_eq!(
        r.last_queue_wait_ms, 19_000,
        "a failed offer does not restart the wait"
    );
    assert_eq!(r.talk_ms, 60_000);
    // No wrap-up in this queue: finished at the hang-up.
    assert_eq!((r.wrap_up_ms, r.wrap_up_ended_at), (0, None));
    assert_eq!(r.ended_at, day.instant("80s"));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn a_call_transferred_to_another_queue_finishes_after_both_wrap_ups() {
    let mut day = Day::new(
        "
        queue support wrap_up 10s
        queue sales wrap_up 5s
        agent ann support 1
        agent bob sales 1
        ",
    );
    day.at("0s", "login ann; ready ann");
    day.at("1s", "call c1 in support priority 1");
    day.at("3s", "accept ann c1");
    day.at("33s", "transfer ann c1 to queue sales");
    // ann's wrap-up ends at 43s; bob comes along later.
    day.at("45s", "login bob; ready bob");
    day.at("47s", "accept bob c1");
    day.at("107s", "hangup bob c1");
    assert!(day.finished.is_empty(), "bob's wrap-up runs to 112s");
    day.at("112s", "");
    let r = day.record("c1");
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(r.queues, ["support".into(), "sales".into()]);
    assert_eq!(
        (r.first_queue.as_str(), r.last_queue.as_str()),
        ("support", "sales")
    );
    assert_eq!(r.agents, ["ann".into(), "bob".into()]);
    assert_eq!(r.answered_by, Some("ann".into()), "the first answer");
    assert_eq!(r.answered_at, day.when("3s"));
    assert_eq!(r.wait_ms, 2_000);
    assert_eq!(r.last_queue_wait_ms, 14_000, "sales: 33s to 47s");
    assert_eq!(r.talk_ms, 30_000 + 60_000);
    assert_eq!(r.wrap_up_ms, 10_000 + 5_000);
    assert_eq!(r.wrap_up_ended_at, day.when("112s"));
    assert_eq!(r.ended_at, day.instant("107s"));
    assert_eq!(r.transfers, 1);
    assert_eq!(r.transfer_targets, ["queue:sales"]);
    assert_eq!((r.offers, r.overflows), (2, 0));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn a_transfer_to_an_agent_who_lets_it_ring_out_waits_again_in_its_queue() {
    let mut day = Day::new(
        "
        routing reject_delay 5s
        queue support ring 10s wrap_up 20s
        agent ann support 1
        agent bob support 1
        ",
    );
    day.at("0s", "login ann; ready ann; login bob");
    day.at("1s", "call c1 in support");
    day.at("3s", "accept ann c1");
    day.at("30s", "ready bob");
    day.at("33s", "transfer ann c1 to agent bob");
    // bob's direct offer rings out at 43s: the call waits in support again, a new leg; bob is
    // held back until 48s and gets it then (ann wraps up until 53s).
    day.at("50s", "accept bob c1");
    day.at("80s", "hangup bob c1");
    day.at("100s", "");
    let r = day.record("c1");
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(r.transfer_targets, ["agent:bob"]);
    assert_eq!((r.offers, r.ring_no_answers), (3, 1));
    assert_eq!(r.agents, ["ann".into(), "bob".into()]);
    assert_eq!(r.queues, ["support".into()]);
    assert_eq!(r.wait_ms, 2_000);
    assert_eq!(r.last_queue_wait_ms, 7_000, "43s to 50s");
    assert_eq!(r.talk_ms, 30_000 + 30_000);
    assert_eq!(r.wrap_up_ms, 20_000 + 20_000);
    assert_eq!(r.wrap_up_ended_at, day.when("100s"));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn an_overflowed_call_a_timed_out_call_and_a_refused_call() {
    let mut day = Day::new(
        "
        queue support max_wait 30s overflow_to sales max_length 1
        queue sales wrap_up 0s
        queue night max_wait 20s
        agent bob sales 1
        ",
    );
    day.at("0s", "call c1 in support from +4930123");
    day.at("10s", "call c2 in night; call c3 in support");
    let r = day.record("c3");
    assert_eq!(
        r.outcome,
        Outcome::Refused,
        "support holds one waiting call"
    );
    assert_eq!(r.queues, ["support".into()]);
    assert_eq!(
        (r.arrived_at, r.ended_at),
        (day.instant("10s"), day.instant("10s"))
    );
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (0, 0));
    day.at("30s", "");
    let r = day.record("c2");
    assert_eq!(r.outcome, Outcome::TimedOut);
    assert_eq!(r.ended_at, day.instant("30s"));
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (20_000, 20_000));
    // c1 overflowed to sales at 30s.
    day.at("40s", "login bob; ready bob");
    day.at("42s", "accept bob c1");
    day.at("60s", "hangup bob c1");
    let r = day.record("c1");
    assert_eq!(r.outcome, Outcome::Answered);
    assert_eq!(r.queues, ["support".into(), "sales".into()]);
    assert_eq!(
        (r.first_queue.as_str(), r.last_queue.as_str()),
        ("support", "sales")
    );
    assert_eq!(r.overflows, 1);
    assert_eq!(r.wait_ms, 42_000, "the caller's whole wait");
    assert_eq!(r.last_queue_wait_ms, 12_000, "the wait sales measures");
    assert_eq!(r.answered_by, Some("bob".into()));
    assert_eq!(r.talk_ms, 18_000);
    assert_eq!(
        day.finished
            .iter()
            .map(|r| (r.seq, r.call.as_str()))
            .collect::<Vec<_>>(),
        [(1, "c3"), (2, "c2"), (3, "c1")]
    );
    day.assert_all_finished_and_agreeing();
}

#[test]
fn a_record_serializes_with_snake_case_fields_and_utc_times() {
    let mut day = Day::new("queue support\nagent ann support 1");
    day.at("0s", "call c1 in support");
    day.at("1s", "ended c1");
    let json = serde_json::to_value(day.record("c1")).unwrap();
    let object = json.as_object().unwrap();
    assert_eq!(json["outcome"], "abandoned");
    // 09:00:01 in Berlin (CET) is 08:00:01 UTC.
    assert_eq!(json["ended_at"], "2026-03-10T08:00:01Z");
    assert_eq!(json["answered_by"], serde_json::Value::Null);
    let mut fields: Vec<&str> = object.keys().map(String::as_str).collect();
    let mut columns = acdhub::records::csv::COLUMNS.to_vec();
    fields.sort_unstable();
    columns.sort_unstable();
    assert_eq!(fields, columns, "every field is a CSV column and back");
    let back: CallRecord = serde_json::from_value(json).unwrap();
    assert_eq!(&back, day.record("c1"));
}

#[test]
fn dispositions_and_notes_go_into_the_record_and_the_queues_counts() {
    let mut day = Day::new(
        "
        queue support wrap_up 20s dispositions resolved,callback disposition_required true
        queue sales wrap_up 10s dispositions sale,no_sale
        agent ann support 1
        agent bob sales 1
        ",
    );
    day.at("0s", "login ann; ready ann; login bob; ready bob");
    // Given on the call, kept through the wrap-up the agent then ends.
    day.at("1s", "call c1 in support; accept ann c1");
    day.at(
        "5s",
        "dispose ann c1 callback Monday_morning; hangup ann c1",
    );
    day.at("6s", "end_wrap_up ann");
    // Given, changed, then taken back in the wrap-up, which runs out to its deadline: none.
    day.at("10s", "call c2 in support; accept ann c2");
    day.at("15s", "hangup ann c2; dispose ann c2 resolved");
    day.at("16s", "dispose ann c2 callback; dispose ann c2 -");
    // Transferred: each agent gives its own; the record keeps the last one's.
    day.at("40s", "call c3 in support; accept ann c3");
    day.at(
        "45s",
        "dispose ann c3 resolved; transfer ann c3 to queue sales",
    );
    day.at("46s", "accept bob c3");
    day.at("50s", "hangup bob c3; dispose bob c3 sale x3");
    day.at("1m30s", "");
    day.assert_all_finished_and_agreeing();

    let c1 = day.record("c1");
    assert_eq!(
        c1.disposition.as_ref().map(|d| d.as_str()),
        Some("callback")
    );
    assert_eq!(c1.notes.as_deref(), Some("Monday morning"));
    let c2 = day.record("c2");
    assert_eq!((c2.disposition.as_ref(), c2.notes.as_ref()), (None, None));
    let c3 = day.record("c3");
    assert_eq!(c3.disposition.as_ref().map(|d| d.as_str()), Some("sale"));
    assert_eq!(c3.notes.as_deref(), Some("xxx"));

    let counts = |queue: &str| {
        let stats = day.acd.queue_stats(&queue.into()).unwrap().stats;
        let d = stats.dispositions;
        let today: Vec<(String, u64)> = d.today.iter().map(|(c, n)| (c.to_string(), *n)).collect();
        assert_eq!(d.lifetime, d.today, "one day: today is all there is");
        (today, d.today_none, stats.lifetime.handled)
    };
    // ann handled c1, c2 and her part of c3 in support; bob c3 in sales.
    assert_eq!(
        counts("support"),
        (vec![("callback".into(), 1), ("resolved".into(), 1)], 1, 3)
    );
    assert_eq!(counts("sales"), (vec![("sale".into(), 1)], 0, 1));
}
