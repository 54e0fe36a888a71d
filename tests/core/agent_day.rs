//! The agent's own day (`my_day`): its handled calls, time in each state and last calls, as the
//! core keeps them, exact to the millisecond, and how midnight starts them again.

use acdhub::acd::{AgentId, AgentStatusKind, CallId, KeptId, RECENT_CALLS};
use acdhub::records::CallRecords;

use crate::fold_day::Day as FoldDay;

type Day = FoldDay<CallRecords>;

#[test]
fn an_agents_day_counts_its_calls_and_its_time_in_each_state_exactly() {
    let mut day = Day::new(
        "
        reasons break
        queue support wrap_up 10s dispositions resolved
        agent ann support 1
        ",
    );
    let ann = AgentId::new("ann");
    day.at("0s", "login ann");
    day.at("30s", "ready ann");
    day.at("40s", "call c1 in support from +4930123");
    day.at("42s", "accept ann c1");
    day.at("50s", "hold ann c1");
    day.at("55s", "resume ann c1");
    day.at("1m22s", "dispose ann c1 resolved; hangup ann c1");
    // Wrap-up runs out at 1m32s; ready again until the break.
    day.at("2m", "not_ready ann break");
    day.at("3m", "");
    let read = day.acd.agent_day(&ann).unwrap();
    let secs = |kind| read.in_state(kind) as f64 / 1000.0;
    assert_eq!(
        secs(AgentStatusKind::NotReady),
        30.0 + 60.0,
        "login to ready, then the break so far"
    );
    assert_eq!(secs(AgentStatusKind::Ready), 10.0 + 28.0);
    assert_eq!(secs(AgentStatusKind::Ringing), 2.0);
    assert_eq!(secs(AgentStatusKind::OnCall), 40.0, "hold is on the call");
    assert_eq!(secs(AgentStatusKind::WrapUp), 10.0);
    assert_eq!(read.day.handled, 1);
    assert_eq!(
        (read.day.talk_ms, read.day.hold_ms, read.day.wrap_up_ms),
        (35_000, 5_000, 10_000)
    );
    assert_eq!(read.aht_ms(), Some(50_000.0));
    assert_eq!(read.occupancy(), Some(50.0 / (50.0 + 38.0)));
    let last = &read.day.recent[0];
    assert_eq!(
        (
            last.call.as_str(),
            last.queue.as_str(),
            last.caller.as_deref()
        ),
        ("c1", "support", Some("+4930123"))
    );
    assert_eq!(
        last.disposition.as_ref().map(|d| d.as_str()),
        Some("resolved")
    );
    // The core's own per-queue figures agree with the agent's.
    let queue = day
        .acd
        .queue_stats(&"support".into())
        .unwrap()
        .stats
        .lifetime;
    assert_eq!(queue.talk_ms + queue.hold_ms + queue.wrap_up_ms, 50_000);
}

#[test]
fn the_last_calls_keep_the_newest_and_midnight_starts_the_counts_again() {
    let mut day = Day::new(
        "
        reasons break lunch
        queue support
        agent ann support 1
        ",
    );
    let ann = AgentId::new("ann");
    day.at("0s", "login ann; ready ann");
    for n in 0..RECENT_CALLS + 2 {
        let at = format!("{}s", 10 + n * 10);
        day.at(&at, &format!("call c{n} in support; accept ann c{n}"));
        day.at(&format!("{}s", 15 + n * 10), &format!("hangup ann c{n}"));
    }
    let read = day.acd.agent_day(&ann).unwrap();
    assert_eq!(read.day.handled, RECENT_CALLS as u64 + 2);
    let calls: Vec<&str> = read.day.recent.iter().map(|c| c.call.as_str()).collect();
    let newest: Vec<String> = (2..RECENT_CALLS + 2)
        .rev()
        .map(|n| format!("c{n}"))
        .collect();
    assert_eq!(calls, newest, "the newest first, at most {RECENT_CALLS}");

    // Past midnight (the test tenant's is Berlin's, 23:00 UTC; the day started at 08:00 UTC):
    // the counts start again from midnight, the last calls stay.
    day.at("16h30m", "");
    let read = day.acd.agent_day(&ann).unwrap();
    assert_eq!(read.day.handled, 0);
    assert_eq!(read.today_start.to_string(), "2026-03-10T23:00:00Z");
    assert_eq!(
        read.in_state(AgentStatusKind::Ready),
        90 * 60 * 1000,
        "ready since midnight"
    );
    assert_eq!(read.day.recent.len(), RECENT_CALLS);

    // A change of state after midnight by an agent in its state since before it: only the time
    // since midnight is today's; a new not-ready reason adds to the same state.
    day.at("16h40m", "not_ready ann break");
    day.at("16h45m", "not_ready ann lunch");
    day.at("16h50m", "");
    let read = day.acd.agent_day(&ann).unwrap();
    assert_eq!(read.in_state(AgentStatusKind::Ready), 100 * 60 * 1000);
    assert_eq!(read.in_state(AgentStatusKind::NotReady), 10 * 60 * 1000);
    assert_eq!(read.in_state(AgentStatusKind::LoggedOut), 0);
}

#[test]
fn a_last_calls_id_is_kept_in_a_snapshot_as_its_text() {
    for id in [
        "c1",
        "0b5c3c8e-7f1a-4e2b-9a51-3d1f2c4b6a70",
        &"x".repeat(100),
    ] {
        let call = CallId::new(id);
        let kept = KeptId::from(&call);
        // As the CallId the snapshots before it kept: a snapshot written before reads on.
        let text = serde_json::to_string(&kept).unwrap();
        assert_eq!(text, serde_json::to_string(&call).unwrap());
        assert_eq!(serde_json::from_str::<KeptId>(&text).unwrap(), kept);
        assert_eq!(kept.as_str(), id);
    }
}
