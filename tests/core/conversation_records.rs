//! Conversation records folded from a real core's events: one scenario per way a conversation
//! goes (accepted, answered, transferred and closed with a wrap-up; the customer leaving while
//! it waits or while it is open; refused; timed out), each field checked, and the records' sums
//! checked against the core's own figures.

use acdhub::acd::{CallData, Command, Figures};
use acdhub::records::{ConversationOutcome, ConversationRecord, ConversationRecords, Writer};
use jiff::Timestamp;

use crate::fold_day::Day as FoldDay;

type Day = FoldDay<ConversationRecords>;

impl Day {
    /// The finished record of a conversation.
    #[track_caller]
    fn record(&self, conversation: &str) -> &ConversationRecord {
        self.finished
            .iter()
            .find(|r| r.conversation.as_str() == conversation)
            .unwrap_or_else(|| panic!("no record of {conversation} in {:#?}", self.finished))
    }

    /// Every conversation is over: nothing is held for it, the records are numbered in
    /// finishing order, and their times add up to the core's.
    #[track_caller]
    fn assert_all_finished_and_agreeing(&self) {
        assert_eq!(self.records.in_progress(), 0, "{:#?}", self.records);
        let seqs: Vec<u64> = self.finished.iter().map(|r| r.seq).collect();
        let expected: Vec<u64> = (1..=self.finished.len() as u64).collect();
        assert_eq!(seqs, expected, "seq counts 1, 2, 3... in finishing order");
        let core: Figures = self.acd.tenant_stats().stats.lifetime;
        let sum = |f: fn(&ConversationRecord) -> u64| self.finished.iter().map(f).sum::<u64>();
        assert_eq!(sum(|r| r.open_ms), core.talk_ms, "open time is talk time");
        assert_eq!(sum(|r| r.wrap_up_ms), core.wrap_up_ms, "wrap-up");
        assert_eq!(
            sum(|r| r.first_response_ms.unwrap_or(0)),
            core.first_response_ms,
            "first responses"
        );
        let count = |outcome| {
            self.finished
                .iter()
                .filter(|r| r.outcome == outcome)
                .count()
        };
        assert_eq!(count(ConversationOutcome::Abandoned) as u64, core.abandoned);
        assert_eq!(count(ConversationOutcome::Refused) as u64, core.refused);
        assert_eq!(count(ConversationOutcome::TimedOut) as u64, core.timed_out);
    }
}

/// A chat channel of two at once and two chat queues with 30 s wrap-up.
const CHATS: &str = "
    channel chat capacity 2
    queue chats channel chat wrap_up 30s
    queue vip channel chat wrap_up 30s
    agent ann chats 1 vip 1
    agent bob chats 1
";

/// The connector's report of conversation `id` from Dana Weber, with what she wrote first.
fn dana(id: &str, queue: &str, messages: &[&str]) -> Command {
    let mut data = CallData {
        caller: Some("Dana Weber".to_owned()),
        ..CallData::default()
    };
    data.attached
        .insert("account".to_owned(), "C-10293".to_owned());
    Command::ConversationArrived {
        conversation: id.into(),
        queue: queue.into(),
        channel: None,
        priority: 4,
        data,
        messages: messages.iter().map(|m| (*m).to_owned()).collect(),
    }
}

#[test]
fn a_chat_declined_accepted_answered_transferred_and_closed_with_its_wrap_up() {
    let mut day = Day::new(CHATS);
    day.at("0s", "login ann; ready ann");
    day.run("2s", vec![dana("k1", "chats", &["Hello"])]);
    // Ann declines; she is held back, and the chat waits for bob.
    day.at("4s", "decline ann k1");
    day.at("6s", "login bob; ready bob");
    day.at("8s", "writes k1 anyone_there?");
    day.at("10s", "take bob k1");
    day.at("13s", "reply bob k1 hi_Dana");
    day.at("20s", "pass bob k1 to agent ann");
    day.at("22s", "take ann k1");
    day.at("25s", "writes k1 thanks");
    day.at("30s", "reply ann k1 bye");
    day.at("40s", "close ann k1");
    assert!(
        day.finished.is_empty(),
        "the wrap-up runs: not finished yet"
    );
    assert_eq!(day.records.in_progress(), 1);
    day.at("50s", "done ann k1");

    let r = day.record("k1");
    assert_eq!(r.seq, 1);
    assert_eq!(r.outcome, ConversationOutcome::ClosedByAgent);
    assert_eq!(r.channel, Some("chat".into()));
    assert_eq!(
        (r.first_queue.as_str(), r.last_queue.as_str()),
        ("chats", "chats")
    );
    assert_eq!(r.queues, ["chats".into()]);
    assert_eq!(
        r.agents,
        ["ann".into(), "bob".into()],
        "first offers' order"
    );
    assert_eq!(r.accepted_by, Some("bob".into()));
    assert_eq!(r.priority, 4);
    assert_eq!(r.customer.as_deref(), Some("Dana Weber"));
    assert_eq!(r.data["account"], "C-10293");
    assert_eq!(r.arrived_at, day.instant("2s"));
    assert_eq!(r.first_offered_at, day.when("2s"));
    assert_eq!(r.accepted_at, day.when("10s"));
    assert_eq!(r.first_response_at, day.when("13s"));
    assert_eq!(r.ended_at, day.instant("40s"));
    assert_eq!(r.wrap_up_ended_at, day.when("50s"));
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (8_000, 8_000));
    assert_eq!(r.first_response_ms, Some(11_000));
    // Open at bob 10s..20s, at ann 22s..40s.
    assert_eq!(r.open_ms, 28_000);
    assert_eq!(r.wrap_up_ms, 10_000);
    assert_eq!((r.offers, r.rejections, r.ring_no_answers), (3, 1, 0));
    assert_eq!(r.transfers, 1);
    assert_eq!(r.transfer_targets, ["agent:ann"]);
    assert_eq!(r.overflows, 0);
    assert_eq!((r.customer_messages, r.agent_messages), (3, 2));
    let transcript: Vec<(u32, Writer, Option<&str>, &str, Timestamp)> = r
        .transcript
        .iter()
        .map(|m| {
            (
                m.number,
                m.from,
                m.agent.as_ref().map(|a| a.as_str()),
                &*m.text,
                m.at,
            )
        })
        .collect();
    assert_eq!(
        transcript,
        [
            (0, Writer::Customer, None, "Hello", day.instant("2s")),
            (
                1,
                Writer::Customer,
                None,
                "anyone there?",
                day.instant("8s")
            ),
            (2, Writer::Agent, Some("bob"), "hi Dana", day.instant("13s")),
            (3, Writer::Customer, None, "thanks", day.instant("25s")),
            (4, Writer::Agent, Some("ann"), "bye", day.instant("30s")),
        ]
    );
    day.assert_all_finished_and_agreeing();

    // As its file has it: the agent named only on agents' messages.
    let line = serde_json::to_value(r).unwrap();
    assert_eq!(
        line["transcript"][0],
        serde_json::json!({"number": 0, "from": "customer", "at": "2026-03-10T08:00:02Z", "text": "Hello"})
    );
    assert_eq!(line["transcript"][2]["agent"], "bob");
    assert_eq!(line["outcome"], "closed_by_agent");
}

#[test]
fn a_customer_who_leaves_waiting_is_abandoned_with_everything_they_wrote() {
    let mut day = Day::new(CHATS);
    day.at("0s", "chat k2 in chats says hello");
    day.at("5s", "writes k2 is_anyone_there?");
    day.at("12s", "leaves k2");
    let r = day.record("k2");
    assert_eq!(r.outcome, ConversationOutcome::Abandoned);
    assert_eq!(r.channel, Some("chat".into()), "known without an offer");
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (12_000, 12_000));
    assert_eq!(r.ended_at, day.instant("12s"));
    assert_eq!(
        (r.first_offered_at, r.accepted_at, r.first_response_at),
        (None, None, None)
    );
    assert_eq!((r.wrap_up_ended_at, r.first_response_ms), (None, None));
    assert!(r.agents.is_empty() && r.accepted_by.is_none());
    assert_eq!((r.offers, r.open_ms, r.wrap_up_ms), (0, 0, 0));
    assert_eq!(r.customer, None);
    assert!(r.data.is_empty());
    let texts: Vec<&str> = r.transcript.iter().map(|m| &*m.text).collect();
    assert_eq!(texts, ["hello", "is anyone there?"]);
    assert_eq!((r.customer_messages, r.agent_messages), (2, 0));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn a_customer_who_leaves_an_open_chat_closes_it_after_a_transfer_to_a_queue() {
    let mut day = Day::new(CHATS);
    day.at("0s", "login bob; ready bob");
    day.at("1s", "chat k3 in chats says hi");
    day.at("3s", "take bob k3");
    // To the VIP queue, where only ann (logged out) serves: it waits there.
    day.at("5s", "pass bob k3 to queue vip");
    day.at("7s", "login ann; ready ann");
    day.at("9s", "take ann k3");
    day.at("15s", "leaves k3");
    assert!(day.finished.is_empty(), "ann wraps it up");
    day.at("20s", "done ann k3");
    let r = day.record("k3");
    assert_eq!(r.outcome, ConversationOutcome::CustomerLeft);
    assert_eq!(r.queues, ["chats".into(), "vip".into()]);
    assert_eq!(
        (r.first_queue.as_str(), r.last_queue.as_str()),
        ("chats", "vip")
    );
    assert_eq!(r.agents, ["bob".into(), "ann".into()]);
    assert_eq!(r.accepted_by, Some("bob".into()));
    assert_eq!(r.transfer_targets, ["queue:vip"]);
    // Waited 2 s for bob; in the VIP queue, 5s..9s.
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (2_000, 4_000));
    assert_eq!(r.ended_at, day.instant("15s"));
    assert_eq!(r.wrap_up_ended_at, day.when("20s"));
    // Open at bob 3s..5s, at ann 9s..15s.
    assert_eq!((r.open_ms, r.wrap_up_ms), (8_000, 5_000));
    assert_eq!((r.first_response_at, r.first_response_ms), (None, None));
    assert_eq!((r.customer_messages, r.agent_messages), (1, 0));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn refused_and_timed_out_conversations_have_records_numbered_as_they_finish() {
    let mut day = Day::new(
        "
        channel chat
        queue chats channel chat max_length 1 max_wait 1m
        ",
    );
    day.at("0s", "chat k4 in chats says first");
    day.run("1s", vec![dana("k5", "chats", &["me too"])]);
    let r = day.record("k5");
    assert_eq!(r.seq, 1);
    assert_eq!(r.outcome, ConversationOutcome::Refused);
    assert_eq!(r.channel, Some("chat".into()));
    assert_eq!(r.queues, ["chats".into()]);
    assert_eq!(
        (r.arrived_at, r.ended_at),
        (day.instant("1s"), day.instant("1s"))
    );
    assert_eq!(r.wait_ms, 0);
    assert_eq!(r.customer.as_deref(), Some("Dana Weber"));
    assert_eq!(r.priority, 4);
    assert_eq!(
        r.transcript.len(),
        1,
        "what a refused customer wrote is kept"
    );
    assert_eq!(&*r.transcript[0].text, "me too");

    day.at("70s", "");
    let r = day.record("k4");
    assert_eq!(r.seq, 2);
    assert_eq!(r.outcome, ConversationOutcome::TimedOut);
    assert_eq!(
        r.ended_at,
        day.instant("60s"),
        "at its deadline, not when seen"
    );
    assert_eq!((r.wait_ms, r.last_queue_wait_ms), (60_000, 60_000));
    day.assert_all_finished_and_agreeing();
}

#[test]
fn a_fold_that_starts_after_a_conversation_arrived_records_it_from_then() {
    // A snapshot from before conversations had records: the fold meets a conversation already
    // in the ACD. It records it from the next event on, the transcript from its next offer.
    let mut day = Day::new(CHATS);
    day.at("0s", "chat k6 in chats says hello; writes k6 still_there?");
    day.records = ConversationRecords::default();
    day.at("4s", "login bob; ready bob");
    day.at("6s", "take bob k6; close bob k6");
    day.at("40s", "");
    let r = day.record("k6");
    assert_eq!(r.outcome, ConversationOutcome::ClosedByAgent);
    assert_eq!(r.channel, Some("chat".into()), "learnt from the offer");
    assert_eq!(r.arrived_at, day.instant("4s"), "the fold saw it from then");
    assert_eq!(r.transcript.len(), 2, "the offer carried it all");
    assert_eq!(r.wrap_up_ended_at, day.when("36s"));
}

#[test]
fn a_record_is_written_with_the_csv_columns_in_order_and_its_transcript_last() {
    let mut day = Day::new(CHATS);
    day.at("0s", "chat k7 in chats says hi");
    day.at("1s", "leaves k7");
    let record = day.record("k7");
    let line = serde_json::to_string(record).unwrap();
    let mut columns = acdhub::records::csv::CONVERSATION_COLUMNS.to_vec();
    columns.push("transcript");
    let json: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        json.as_object().unwrap().len(),
        columns.len(),
        "every field but the transcript is a CSV column: {line}"
    );
    let mut from = 0;
    for column in columns {
        let at = line[from..]
            .find(&format!("\"{column}\":"))
            .unwrap_or_else(|| panic!("`{column}` not next in {line}"));
        from += at;
    }
    assert!(
        line.starts_with(r#"{"seq":1,"conversation":"k7","channel":"chat","outcome":"abandoned","#)
    );
    assert!(
        line.contains(r#""ended_at":"2026-03-10T08:00:01Z""#),
        "{line}"
    );
    let back: ConversationRecord = serde_json::from_str(&line).unwrap();
    assert_eq!(&back, record);
}
