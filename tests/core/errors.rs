//! Every refusal of the core: each `AcdError` variant comes from some bad command, carries its
//! stable code, and leaves the whole state as it was, with no event.

use std::collections::BTreeSet;

use crate::support::{check, parse_command, parse_command_at};
use acdhub::acd::{Acd, AcdError, AgentStatusKind};
use jiff::Timestamp;

/// A busy moment: calls waiting, ringing, connected and on hold, agents in every state, a pending
/// state, blocked agents, wrap-up and wait timers running, statistics in every window; and
/// conversations waiting, offered, open and in wrap-up, with agents at their capacity.
fn busy() -> (Acd, Timestamp) {
    let run = check(
        "routing reject_delay 10s max_extension 60s
         telephony consult
         reasons break lunch
         channel chat capacity 2
         queue chats channel chat wrap_up 30s
         agent hal chats 1
         agent ivy chats 1 capacity chat 1
         queue support wrap_up 30s max_wait 5m overflow_to sales escalate 1m widen 1 min_skill 2 dispositions resolved,callback disposition_required true
         queue sales wrap_up 20s max_length 5
         agent ann support 2 sales 1
         agent bob support 2
         agent cat sales 3
         agent dan support 1 sales 1
         agent eve sales 1
         agent fay support 3
         agent gus sales 1
         agent joe sales 1
         agent kim sales 1",
        r#"
        at 0s   login ann; login bob; login cat; login dan; login fay
                ready ann; ready bob; ready cat; ready fay; not_ready dan lunch
                login hal; ready hal
        at 1s   call c1 in support; call c2 in support; call c3 in sales
                expect offered c1 to ann; offered c2 to bob; offered c3 to cat
                chat k1 in chats says hello
                expect chat_offered k1 to hal
        at 2s   accept ann c1; accept bob c2; call c4 in support from +4930123
                expect offered c4 to fay
                take hal k1; login ivy; ready ivy; chat k2 in chats; chat k3 in chats
                expect chat_offered k2 to ivy; chat_offered k3 to hal
        at 3s   reject fay c4
                take ivy k2; close ivy k2; chat k4 in chats
        at 4s   hold bob c2; logout ann; call c5 in support priority 3
                monitor bob by s1 listen; monitor bob by s2 listen; monitor bob by s3 whisper
                monitor bob by s4 barge
        at 5s   hangup ann c1; login gus; ready gus; call c6 in sales; accept gus c6
                login joe; ready joe; call c7 in sales; accept joe c7
                login kim; ready kim; consult joe c7 with kim
                state gus on_call c6
                state joe on_hold c7
                state kim consult_ringing c7
                state ann wrap_up c1 until 35s pending logged_out
                state bob on_hold c2
                state cat ringing c3
                state dan not_ready lunch
                state eve logged_out
                state fay ready blocked_until 13s
                where c4 waiting
                where c5 waiting
                chat k1 open hal
                chat k2 wrap_up ivy
                chat k3 offered hal
                chat k4 waiting
                places hal chat 2
                places ivy chat 1
        "#,
    );
    let now = run.now;
    let mut acd = run.acd;
    // A tenant with all the displays it may have.
    for i in 0..acdhub::acd::MAX_DISPLAYS {
        let display = acdhub::acd::Command::CreateDisplay {
            name: format!("d{i}"),
            token_hash: format!("hash{i}"),
            by: "sup".into(),
        };
        acd.handle(display, now).unwrap();
    }
    while acd.poll_event().is_some() {}
    (acd, now)
}

/// Runs `command` at `now`, which must be refused with `code`, and checks nothing changed.
#[track_caller]
fn refused(acd: &mut Acd, now: Timestamp, command: &str, code: &str) -> AcdError {
    // Whatever is due at `now` happens first, so it does not count as a change.
    acd.handle_timeout(now);
    while acd.poll_event().is_some() {}
    let before = format!("{acd:?}");
    let command = parse_command_at(command, Some(now)).unwrap();
    let error = match acd.handle(command.clone(), now) {
        Ok(()) => panic!("{command:?} was accepted, expected {code}"),
        Err(error) => error,
    };
    assert_eq!(error.code(), code, "{command:?}: {error}");
    assert_eq!(format!("{acd:?}"), before, "{command:?} changed the state");
    assert_eq!(acd.poll_event(), None, "{command:?} emitted an event");
    acd.check_invariants().unwrap();
    error
}

/// Every variant, by construction: a variant added to `AcdError` fails to compile here until a
/// case for it is added to `every_error_comes_from_a_bad_command_and_changes_nothing`.
fn code_of_every_variant(error: &AcdError) -> &'static str {
    match error {
        AcdError::UnknownAgent(_) => "unknown_agent",
        AcdError::UnknownQueue(_) => "unknown_queue",
        AcdError::UnknownCall(_) => "unknown_call",
        AcdError::UnknownReason(_) => "unknown_reason",
        AcdError::DuplicateCall(_) => "duplicate_call",
        AcdError::AlreadyLoggedIn(_) => "already_logged_in",
        AcdError::NotLoggedIn(_) => "not_logged_in",
        AcdError::NotOffered { .. } => "not_offered",
        AcdError::NotOnCall { .. } => "not_on_call",
        AcdError::AlreadyOnHold(_) => "already_on_hold",
        AcdError::NotOnHold(_) => "not_on_hold",
        AcdError::NotInWrapUp { .. } => "not_in_wrap_up",
        AcdError::AgentNotAvailable { .. } => "agent_not_available",
        AcdError::TransferToSelf(_) => "transfer_to_self",
        AcdError::NotRinging(_) => "not_ringing",
        AcdError::NotWaiting(_) => "not_waiting",
        AcdError::AgentNotBusy { .. } => "agent_not_busy",
        AcdError::NoPendingState(_) => "no_pending_state",
        AcdError::BadExtension { .. } => "bad_extension",
        AcdError::BadArrival { .. } => "bad_arrival",
        AcdError::NotACall(_) => "not_a_call",
        AcdError::NotAConversation(_) => "not_a_conversation",
        AcdError::WrongChannel { .. } => "wrong_channel",
        AcdError::NotInConversation { .. } => "not_in_conversation",
        AcdError::ConversationClosed(_) => "conversation_closed",
        AcdError::ConversationOpen(_) => "conversation_open",
        AcdError::MessageTooLong { .. } => "message_too_long",
        AcdError::EmptyMessage => "empty_message",
        AcdError::TranscriptFull { .. } => "transcript_full",
        AcdError::HoldsConversations { .. } => "holds_conversations",
        AcdError::NotHandling { .. } => "not_handling",
        AcdError::UnknownDisposition { .. } => "unknown_disposition",
        AcdError::NotesTooLong { .. } => "notes_too_long",
        AcdError::DispositionRequired { .. } => "disposition_required",
        AcdError::AgentNotOnCall { .. } => "agent_not_on_call",
        AcdError::NotMonitoring { .. } => "not_monitoring",
        AcdError::TooManyMonitors { .. } => "too_many_monitors",
        AcdError::NotSupported { .. } => "not_supported",
        AcdError::ConsultInProgress(_) => "consult_in_progress",
        AcdError::NotConsulting(_) => "not_consulting",
        AcdError::ConsultNotAnswered(_) => "consult_not_answered",
        AcdError::BadTicker(_) => "bad_ticker",
        AcdError::BadDisplayName { .. } => "bad_display_name",
        AcdError::DuplicateDisplay(_) => "duplicate_display",
        AcdError::TooManyDisplays { .. } => "too_many_displays",
        AcdError::UnknownDisplay(_) => "unknown_display",
    }
}

const VARIANTS: usize = 46;

#[test]
fn every_error_comes_from_a_bad_command_and_changes_nothing() {
    // (command, code, words the message must contain)
    let cases: &[(&str, &str, &[&str])] = &[
        ("login zed", "unknown_agent", &["zed"]),
        ("ready zed", "unknown_agent", &["zed"]),
        ("accept zed c3", "unknown_agent", &["zed"]),
        ("transfer bob c2 to agent zed", "unknown_agent", &["zed"]),
        ("call c9 in nowhere", "unknown_queue", &["nowhere"]),
        ("move c4 to nowhere", "unknown_queue", &["nowhere"]),
        (
            "transfer bob c2 to queue nowhere",
            "unknown_queue",
            &["nowhere"],
        ),
        ("accept cat c9", "unknown_call", &["c9"]),
        ("ended c9", "unknown_call", &["c9"]),
        ("answered c9", "unknown_call", &["c9"]),
        ("set_priority c9 1", "unknown_call", &["c9"]),
        ("not_ready fay coffee", "unknown_reason", &["coffee"]),
        ("not_ready bob coffee", "unknown_reason", &["coffee"]),
        (
            "set_pending bob not_ready coffee",
            "unknown_reason",
            &["coffee"],
        ),
        ("set_pending zed logged_out", "unknown_agent", &["zed"]),
        ("call c4 in sales", "duplicate_call", &["c4"]),
        ("call c2 in support", "duplicate_call", &["c2"]),
        ("call c3 in sales", "duplicate_call", &["c3"]),
        ("login ann", "already_logged_in", &["ann"]),
        ("login dan", "already_logged_in", &["dan"]),
        ("ready eve", "not_logged_in", &["eve"]),
        ("logout eve", "not_logged_in", &["eve"]),
        ("set_pending eve logged_out", "not_logged_in", &["eve"]),
        // accepting a call that was never offered, or offered to someone else
        ("accept fay c4", "not_offered", &["fay", "c4"]),
        ("accept ann c3", "not_offered", &["ann", "c3"]),
        ("reject bob c2", "not_offered", &["bob", "c2"]),
        ("accept eve c3", "not_offered", &["eve"]),
        ("hangup cat c3", "not_on_call", &["cat", "c3"]),
        ("hold ann c2", "not_on_call", &["ann", "c2"]),
        (
            "transfer fay c2 to queue sales",
            "not_on_call",
            &["fay", "c2"],
        ),
        ("hold bob c2", "already_on_hold", &["c2"]),
        ("resume gus c6", "not_on_hold", &["c6"]),
        ("end_wrap_up bob", "not_in_wrap_up", &["bob", "on_call"]),
        (
            "extend_wrap_up dan 10s",
            "not_in_wrap_up",
            &["dan", "not_ready"],
        ),
        (
            "transfer bob c2 to agent dan",
            "agent_not_available",
            &["dan", "not_ready"],
        ),
        (
            "transfer bob c2 to agent fay",
            "agent_not_available",
            &["fay", "ready"],
        ),
        (
            "transfer bob c2 to agent cat",
            "agent_not_available",
            &["cat", "ringing"],
        ),
        ("transfer bob c2 to agent bob", "transfer_to_self", &["bob"]),
        ("answered c4", "not_ringing", &["c4"]),
        ("set_priority c3 9", "not_waiting", &["c3"]),
        ("set_priority c2 9", "not_waiting", &["c2"]),
        ("move c3 to support", "not_waiting", &["c3"]),
        (
            "set_pending fay logged_out",
            "agent_not_busy",
            &["fay", "ready"],
        ),
        (
            "set_pending dan not_ready break",
            "agent_not_busy",
            &["dan", "not_ready"],
        ),
        ("clear_pending bob", "no_pending_state", &["bob"]),
        ("clear_pending eve", "no_pending_state", &["eve"]),
        ("extend_wrap_up ann 61s", "bad_extension", &["60"]),
        ("extend_wrap_up ann 0s", "bad_extension", &[]),
        ("extend_wrap_up ann 999ms", "bad_extension", &[]),
        (
            "call c9 in support waited 24h1s",
            "bad_arrival",
            &["c9", "24 h"],
        ),
        (
            "call c9 in support waited -5s1ms",
            "bad_arrival",
            &["c9", "5 s"],
        ),
        // named before its arrival time: an unknown queue, a duplicate
        (
            "call c9 in nowhere waited 25h",
            "unknown_queue",
            &["nowhere"],
        ),
        ("call c2 in support waited 25h", "duplicate_call", &["c2"]),
        // conversations
        ("accept hal k1", "not_a_call", &["k1"]),
        ("accept hal k3", "not_a_call", &["k3"]),
        ("answered k3", "not_a_call", &["k3"]),
        ("ended k1", "not_a_call", &["k1"]),
        ("hangup hal k1", "not_a_call", &["k1"]),
        ("take ann c2", "not_a_conversation", &["c2"]),
        ("writes c4 hello", "not_a_conversation", &["c4"]),
        ("leaves c2", "not_a_conversation", &["c2"]),
        ("take hal k9", "unknown_call", &["k9"]),
        ("writes k9 hello", "unknown_call", &["k9"]),
        ("chat k9 in nowhere", "unknown_queue", &["nowhere"]),
        ("take zed k1", "unknown_agent", &["zed"]),
        ("chat k9 in support", "wrong_channel", &["support", "voice"]),
        (
            "call c9 in chats",
            "wrong_channel",
            &["chats", "chat", "voice"],
        ),
        ("chat k1 in chats", "duplicate_call", &["k1"]),
        ("chat c2 in chats", "duplicate_call", &["c2"]),
        ("move k4 to support", "wrong_channel", &["support", "chat"]),
        ("move c4 to chats", "wrong_channel", &["chats", "voice"]),
        (
            "transfer bob c2 to queue chats",
            "wrong_channel",
            &["chats", "voice"],
        ),
        ("pass hal k1 to queue sales", "wrong_channel", &["sales"]),
        ("pass hal k1 to agent ivy", "agent_not_available", &["ivy"]),
        ("pass hal k1 to agent hal", "transfer_to_self", &["hal"]),
        ("take ivy k1", "not_in_conversation", &["ivy", "k1"]),
        ("reply ivy k1 hi", "not_in_conversation", &["ivy", "k1"]),
        ("reply hal k3 hi", "not_in_conversation", &["hal", "k3"]),
        ("close hal k3", "not_in_conversation", &["hal", "k3"]),
        ("take hal k1", "not_offered", &["hal", "k1"]),
        ("decline hal k1", "not_offered", &["hal", "k1"]),
        ("writes k2 hi", "conversation_closed", &["k2"]),
        ("reply ivy k2 hi", "conversation_closed", &["k2"]),
        ("close ivy k2", "conversation_closed", &["k2"]),
        ("pass ivy k2 to queue chats", "conversation_closed", &["k2"]),
        ("done hal k1", "conversation_open", &["k1"]),
        ("done hal k3", "conversation_open", &["k3"]),
        ("reply hal k1 x4097", "message_too_long", &["4096"]),
        ("writes k4 x4097", "message_too_long", &["4096"]),
        ("chat k9 in chats says x4097", "message_too_long", &["4096"]),
        ("writes k1 _", "empty_message", &[]),
        ("reply hal k1 __", "empty_message", &[]),
        (
            "chat k9 in chats says hi*1001",
            "transcript_full",
            &["1000"],
        ),
        // 33 messages of 4,000 characters: 132,000 bytes, past 128 KiB of text.
        (
            "chat k9 in chats says x4000*33",
            "transcript_full",
            &["131072"],
        ),
        // dispositions: ann wraps up c1 (support requires one), bob is on c2, gus on c6 (sales
        // has none)
        ("end_wrap_up ann", "disposition_required", &["support"]),
        ("dispose ann c2 resolved", "not_handling", &["ann", "c2"]),
        ("dispose cat c3 resolved", "not_handling", &["cat", "c3"]),
        ("dispose ann c9 resolved", "unknown_call", &["c9"]),
        ("dispose zed c1 resolved", "unknown_agent", &["zed"]),
        (
            "dispose ann c1 sold",
            "unknown_disposition",
            &["support", "sold"],
        ),
        ("dispose gus c6 resolved", "unknown_disposition", &["sales"]),
        ("dispose bob c2 resolved x2001", "notes_too_long", &["2000"]),
        // monitoring: bob is on c2 (held), ann wraps up, eve is logged out
        (
            "monitor ann by sup listen",
            "agent_not_on_call",
            &["ann", "wrap_up"],
        ),
        (
            "monitor eve by sup listen",
            "agent_not_on_call",
            &["eve", "logged_out"],
        ),
        ("monitor zed by sup listen", "unknown_agent", &["zed"]),
        ("monitor bob by sup off", "not_monitoring", &["bob"]),
        ("monitor bob by s5 listen", "too_many_monitors", &["4"]),
        // consultation: joe consults kim on c7 (ringing); the tenant has no conference
        ("conference joe c7", "not_supported", &["conference"]),
        ("complete_transfer joe c7", "consult_not_answered", &["c7"]),
        ("hold joe c7", "consult_in_progress", &["c7"]),
        (
            "transfer joe c7 to queue support",
            "consult_in_progress",
            &["c7"],
        ),
        ("consult joe c7 with fay", "consult_in_progress", &["c7"]),
        ("hold kim c7", "consult_in_progress", &["c7"]),
        ("hangup kim c7", "consult_in_progress", &["c7"]),
        ("cancel_consult bob c2", "not_consulting", &["c2"]),
        (
            "consult bob c2 with cat",
            "agent_not_available",
            &["cat", "ringing"],
        ),
        ("consult bob c2 with bob", "transfer_to_self", &["bob"]),
        ("cancel_consult kim c7", "consult_in_progress", &["c7"]),
        // the wallboards' message: too long, or more than one line
        ("ticker by sup x281", "bad_ticker", &["280"]),
        // displays: d0 to d99 exist, the most a tenant has
        ("display lobby_tv! by sup", "bad_display_name", &["64"]),
        (
            "display dxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx by sup",
            "bad_display_name",
            &["64"],
        ),
        ("display d7 by sup", "duplicate_display", &["d7"]),
        ("display d100 by sup", "too_many_displays", &["100"]),
        ("revoke_display lobby by sup", "unknown_display", &["lobby"]),
        (
            "ticker by sup Billing_down\\nCall_back",
            "bad_ticker",
            &["newlines"],
        ),
        // hal holds k1 open and k3 offered: only the open one holds it back.
        ("logout hal", "holds_conversations", &["hal", "1"]),
        ("logout ivy", "holds_conversations", &["ivy", "1"]),
    ];
    let (mut acd, now) = busy();
    let mut seen = BTreeSet::new();
    for (command, code, words) in cases {
        let error = refused(&mut acd, now, command, code);
        let message = error.to_string();
        for word in *words {
            assert!(message.contains(word), "`{message}` should name {word}");
        }
        assert_eq!(code_of_every_variant(&error), *code);
        seen.insert(*code);
    }
    assert_eq!(
        seen.len(),
        VARIANTS,
        "a variant is never produced: {seen:?}"
    );
}

/// What a user can see of the core: every view, the figures and the next deadline. (Two cores
/// cannot be compared by `Debug`: their hash maps iterate in different orders.)
fn observable(acd: &mut Acd) -> String {
    let events: Vec<_> = std::iter::from_fn(|| acd.poll_event()).collect();
    let agents: Vec<_> = acd.agents().collect();
    let queues: Vec<_> = acd
        .queue_ids()
        .cloned()
        .collect::<Vec<_>>()
        .iter()
        .map(|id| acd.queue_stats(id))
        .collect();
    format!(
        "{events:?}\n{agents:?}\n{:?}\n{queues:?}\n{:?}\n{:?}",
        acd.calls(),
        acd.tenant_stats(),
        acd.poll_timeout()
    )
}

#[test]
fn a_refused_command_changes_nothing_later_either() {
    // The refusals leave no trace: the same day with and without them goes on identically.
    let (mut clean, now) = busy();
    let (mut tried, _) = busy();
    for (command, code) in [
        ("accept fay c4", "not_offered"),
        ("extend_wrap_up ann 61s", "bad_extension"),
        ("transfer bob c2 to agent dan", "agent_not_available"),
        ("call c2 in support", "duplicate_call"),
        ("set_priority c3 9", "not_waiting"),
        ("call c9 in support waited 25h", "bad_arrival"),
    ] {
        refused(&mut tried, now, command, code);
    }
    clean.handle_timeout(now);
    assert_eq!(observable(&mut clean), observable(&mut tried));
    let mut at = now;
    for step in ["ready dan", "resume bob c2", "hangup bob c2", "login eve"] {
        at += std::time::Duration::from_secs(7);
        for acd in [&mut clean, &mut tried] {
            acd.handle(parse_command(step).unwrap(), at).unwrap();
        }
        assert_eq!(
            observable(&mut clean),
            observable(&mut tried),
            "after {step}"
        );
    }
    let later = at + std::time::Duration::from_secs(600);
    clean.handle_timeout(later);
    tried.handle_timeout(later);
    assert_eq!(observable(&mut clean), observable(&mut tried));
}

#[test]
fn an_earlier_instant_counts_as_the_latest_seen() {
    // The core never goes back in time: a refused command with an old timestamp changes nothing,
    // and an accepted one happens at the latest instant seen.
    let (mut acd, now) = busy();
    let earlier = now - std::time::Duration::from_secs(3);
    let before = format!("{acd:?}");
    let error = acd
        .handle(parse_command("login zed").unwrap(), earlier)
        .unwrap_err();
    assert_eq!(error.code(), "unknown_agent");
    assert_eq!(format!("{acd:?}"), before);
    acd.handle(parse_command("ready dan").unwrap(), earlier)
        .unwrap();
    let dan = acd.agent(&"dan".into()).unwrap();
    assert_eq!(dan.since, now);
    assert_eq!(acd.now(), now);
    assert_eq!(dan.status.kind(), AgentStatusKind::Ready);
}
