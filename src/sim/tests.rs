//! The simulator's behaviours one at a time: answer delay, wrap-up habits, impatient callers,
//! constant talk times, and a coarse real-time style driver. The Erlang C comparison is in
//! `tests/core/erlang_c.rs`.

use std::time::Duration;

use jiff::Timestamp;

use super::*;
use crate::acd::{Acd, AgentStatusKind, Config, Figures};
use crate::config::Patience;

const START: Timestamp = ErlangScenario::START;

fn scenario(agents: u32, calls_per_hour: f64, aht_secs: u64) -> ErlangScenario {
    ErlangScenario {
        agents,
        calls_per_hour,
        average_handle_time: Duration::from_secs(aht_secs),
        threshold: Duration::from_secs(15),
        patience: None,
    }
}

/// Runs `hours` of simulated time and returns the core's lifetime figures.
fn run_for(
    config: Config,
    plan: SimulatorPlan,
    hours: u64,
) -> (Acd, Simulator, RunSummary, Figures) {
    plan.check_against(&config).unwrap();
    let mut acd = Acd::new(config, START).unwrap();
    let mut simulator = Simulator::new(7, plan, START).unwrap();
    let summary = run(
        &mut acd,
        &mut simulator,
        START + Duration::from_secs(hours * 3600),
    );
    let figures = acd.tenant_stats().stats.lifetime;
    (acd, simulator, summary, figures)
}

#[test]
fn answer_delay_counts_into_the_wait_but_not_as_waiting() {
    // Ten agents for a third of an Erlang: every call is offered on arrival.
    let s = scenario(10, 20.0, 60);
    let mut plan = s.plan();
    for agent in &mut plan.agents {
        agent.answer_delay = Duration::from_secs(3);
    }
    let (_, simulator, summary, figures) = run_for(s.config(), plan, 50);
    assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
    assert!(figures.answered > 500, "{figures:?}");
    assert_eq!(figures.answer_wait_ms, 3_000 * figures.answered);
    let tally = simulator.total_wait_tally();
    assert_eq!(tally.answered, figures.answered);
    assert_eq!(tally.answered_after_waiting, 0);
}

#[test]
fn virtual_agents_let_wrap_up_run_or_end_it_early() {
    let s = scenario(3, 20.0, 60);
    let mut config = s.config();
    config.queues[0].wrap_up = Duration::from_secs(60);

    let (_, _, summary, full) = run_for(config.clone(), s.plan(), 20);
    assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
    assert!(full.handled > 100, "{full:?}");
    assert_eq!(full.wrap_up_ms, 60_000 * full.handled);

    let mut plan = s.plan();
    for agent in &mut plan.agents {
        agent.wrap_up = WrapUpHabit::EndAfter(Duration::from_secs(10));
    }
    let (_, _, summary, early) = run_for(config, plan, 20);
    assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
    assert!(early.handled > 100, "{early:?}");
    assert_eq!(early.wrap_up_ms, 10_000 * early.handled);
}

#[test]
fn impatient_callers_abandon_and_every_call_is_accounted_for() {
    // One agent for two Erlangs: the queue would grow without bound if nobody hung up.
    let s = scenario(1, 30.0, 240);
    let mut plan = s.plan();
    plan.traffic[0].patience = Some(Patience::exponential(Duration::from_secs(60)));
    let (acd, simulator, summary, figures) = run_for(s.config(), plan, 100);
    assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
    assert!(figures.abandoned > 1000, "{figures:?}");
    assert!(figures.answered > 500, "{figures:?}");
    let tenant = acd.tenant_stats();
    let on_call = tenant.stats.agents.on_call as u64;
    assert_eq!(
        figures.offered,
        figures.answered + figures.abandoned + tenant.waiting as u64 + tenant.ringing as u64,
    );
    assert_eq!(figures.answered, figures.handled + on_call);
    assert_eq!(simulator.calls_placed(), figures.offered);
}

/// Fixed patience: a caller still unanswered when it runs out hangs up at that instant, and no
/// caller before, unlike exponential patience (of the same mean and seed: the same callers), with
/// which some leave within seconds.
#[test]
fn callers_with_fixed_patience_hang_up_exactly_when_it_runs_out() {
    use std::collections::HashMap;

    use crate::acd::{CallLeftReason, Event};
    // One agent for two Erlangs: most callers reach their patience.
    let s = scenario(1, 30.0, 240);
    let patience = Duration::from_secs(60);
    let run = |patience: Patience| {
        let mut plan = s.plan();
        plan.traffic[0].patience = Some(patience);
        let mut acd = Acd::new(s.config(), START).unwrap();
        let mut simulator = Simulator::new(7, plan, START).unwrap();
        let mut queued_at = HashMap::new();
        let (mut answered, mut abandoned) = (Vec::new(), Vec::new());
        let end = START + Duration::from_secs(100 * 3600);
        let summary = run_observed(&mut acd, &mut simulator, end, |event, now| match event {
            Event::CallQueued { call, .. } => {
                queued_at.entry(call.clone()).or_insert(now);
            }
            Event::CallConnected { call, .. } => {
                answered.push(now.duration_since(queued_at[call]));
            }
            Event::CallLeft {
                call,
                reason: CallLeftReason::Abandoned,
                ..
            } => abandoned.push(now.duration_since(queued_at[call])),
            _ => {}
        });
        assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
        (acd.tenant_stats().stats.lifetime, answered, abandoned)
    };

    let (figures, answered, abandoned) = run(Patience::fixed(patience));
    let patience = jiff::SignedDuration::try_from(patience).unwrap();
    assert!(abandoned.len() > 1000, "{figures:?}");
    assert!(
        abandoned.iter().all(|&wait| wait == patience),
        "every abandoned caller waited exactly the patience: {:?}",
        abandoned.iter().find(|&&wait| wait != patience)
    );
    assert!(answered.iter().all(|&wait| wait < patience));
    // Not vacuous: answered callers came close to hanging up.
    assert!(answered.iter().any(|&wait| wait > patience * 9 / 10));
    // The core counts the same: each abandon after 60 s, none within the 15 s threshold.
    assert_eq!(figures.abandoned, abandoned.len() as u64);
    assert_eq!(figures.abandon_wait_ms, 60_000 * figures.abandoned);
    assert_eq!(figures.abandoned_within_threshold, 0);

    let (exponential, _, early) = run(Patience::exponential(Duration::from_secs(60)));
    assert_eq!(exponential.offered, figures.offered, "the same callers");
    assert!(early.iter().any(|&wait| wait < patience / 10));
    assert!(
        exponential.abandoned_within_threshold > 100,
        "{exponential:?}"
    );
}

#[test]
fn constant_talk_times_are_exact() {
    let s = scenario(4, 30.0, 100);
    let mut plan = s.plan();
    plan.traffic[0].talk_time = TalkTime::Constant(Duration::from_secs(100));
    let (_, _, summary, figures) = run_for(s.config(), plan, 20);
    assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
    assert!(figures.handled > 400, "{figures:?}");
    assert_eq!(figures.talk_ms, 100_000 * figures.handled);
}

#[test]
fn a_real_time_style_driver_with_one_second_ticks_works_too() {
    // The server will own the core and feed it the simulator's commands each tick, at the tick's
    // instant; the simulator must cope with commands handled later than planned.
    let s = scenario(5, 120.0, 60);
    let mut plan = s.plan();
    for agent in &mut plan.agents {
        agent.answer_delay = Duration::from_secs(2);
    }
    let mut acd = Acd::new(s.config(), START).unwrap();
    let mut simulator = Simulator::new(3, plan, START).unwrap();
    let mut refused = 0;
    for tick in 1..=2 * 3600 {
        let now = START + Duration::from_secs(tick);
        for command in simulator.actions_due(now) {
            refused += acd.handle(command, now).is_err() as u32;
            while let Some(event) = acd.poll_event() {
                simulator.observe(&event, now);
            }
        }
        acd.handle_timeout(now);
        while let Some(event) = acd.poll_event() {
            simulator.observe(&event, now);
        }
    }
    let figures = acd.tenant_stats().stats.lifetime;
    assert_eq!(refused, 0);
    assert!(figures.answered > 150, "{figures:?}");
    // Offers ring two seconds, give or take the tick.
    let asa = figures.average_speed_of_answer().unwrap();
    assert!((2.0..3.5).contains(&asa), "ASA {asa}");
}

#[test]
fn plans_the_simulator_cannot_play_are_refused() {
    let s = scenario(2, 10.0, 60);
    let config = s.config();

    let mut plan = s.plan();
    plan.traffic[0].calls_per_hour = f64::NAN;
    assert!(matches!(plan.validate(), Err(SimError::BadRate { .. })));

    let mut plan = s.plan();
    plan.traffic[0].talk_time = TalkTime::Exponential {
        mean: Duration::ZERO,
    };
    assert!(matches!(plan.validate(), Err(SimError::ZeroMean { .. })));

    let mut plan = s.plan();
    plan.agents.push(plan.agents[0].clone());
    assert!(matches!(
        Simulator::new(1, plan, START),
        Err(SimError::DuplicateAgent(_))
    ));

    let mut plan = s.plan();
    plan.traffic[0].queue = "sales".into();
    assert_eq!(
        plan.check_against(&config),
        Err(SimError::UnknownQueue("sales".into()))
    );

    let mut plan = s.plan();
    plan.agents[0].answer_delay = config.queues[0].ring_timeout;
    assert!(matches!(
        plan.check_against(&config),
        Err(SimError::AnswersTooLate { .. })
    ));
}

#[test]
fn every_behaviour_at_once_runs_without_refused_commands() {
    // A demo-style contact center: ringing offers, impatient callers (some hang up while the
    // offer rings), wrap-up ended early by some agents and run out by others.
    let s = scenario(6, 120.0, 180);
    let mut config = s.config();
    config.queues[0].wrap_up = Duration::from_secs(30);
    let mut plan = s.plan();
    plan.traffic[0].patience = Some(Patience::exponential(Duration::from_secs(45)));
    for (i, agent) in plan.agents.iter_mut().enumerate() {
        agent.answer_delay = Duration::from_secs(4);
        if i % 2 == 0 {
            agent.wrap_up = WrapUpHabit::EndAfter(Duration::from_secs(10));
        }
    }
    let (acd, _, summary, figures) = run_for(config, plan, 50);
    assert_eq!(summary.refused, 0, "{:?}", summary.first_refusal);
    assert!(
        figures.abandoned > 100 && figures.answered > 1000,
        "{figures:?}"
    );
    let wrap_up = figures.wrap_up_ms as f64 / figures.handled as f64 / 1000.0;
    assert!((10.0..30.0).contains(&wrap_up), "mean wrap-up {wrap_up} s");
    // Nobody got stuck: every agent is still logged in and working or ready.
    assert!(
        acd.agents()
            .all(|a| a.status.kind() >= AgentStatusKind::Ready)
    );
}

#[test]
fn chat_customers_write_wait_for_replies_and_sometimes_leave_and_virtual_agents_hold_several() {
    let config = crate::demo::demo().tenants.remove(0).acd;
    let simulator_config = crate::demo::demo().simulator.expect("the demo simulates");
    let plan = SimulatorPlan::from_config(&simulator_config, &config);
    assert!(
        plan.traffic
            .iter()
            .any(|t| t.channel.is_some() && t.queue.as_str() == "chat"),
        "the demo's chat queue gets chat customers"
    );
    let mut acd = Acd::new(config, START).unwrap();
    let mut simulator = Simulator::new(7, plan, START).unwrap();
    let (mut messages, mut by_customer, mut left) = (0, 0, 0);
    // Who holds which conversation, and the most one agent held at once.
    let mut holder = std::collections::HashMap::new();
    let mut most_at_once = 0;
    let summary = run_observed(
        &mut acd,
        &mut simulator,
        START + Duration::from_secs(4 * 3600),
        |event, _| {
            use crate::acd::{Author, Event};
            match event {
                Event::MessageAdded { message, .. } => {
                    messages += 1;
                    by_customer += matches!(message.from, Author::Customer) as u32;
                }
                Event::ConversationClosed { by, .. } => {
                    left += matches!(by, Author::Customer) as u32;
                }
                Event::ConversationOffered {
                    conversation,
                    agent,
                    ..
                } => {
                    holder.insert(conversation.clone(), agent.clone());
                    let held = holder.values().filter(|a| *a == agent).count();
                    most_at_once = most_at_once.max(held);
                }
                Event::ConversationOfferEnded { conversation, .. }
                | Event::ConversationTransferred { conversation, .. }
                | Event::ConversationLeft { conversation, .. } => {
                    holder.remove(conversation);
                }
                _ => {}
            }
        },
    );
    assert_eq!(summary.refused, 0, "{summary:?}");
    let chat = acd
        .queue_stats(&crate::acd::QueueId::new("chat"))
        .unwrap()
        .stats
        .lifetime;
    assert!(
        simulator.chats_placed() > 50,
        "{}",
        simulator.chats_placed()
    );
    assert!(chat.answered > 40, "{chat:?}");
    assert!(chat.handled > 40, "closed and wrapped up: {chat:?}");
    assert!(chat.abandoned > 0, "some leave while waiting: {chat:?}");
    assert!(left > 0, "some leave in the middle");
    assert!(
        by_customer > 0 && messages > by_customer,
        "both sides write"
    );
    assert!(
        most_at_once >= 2,
        "a virtual agent holds several chats at once"
    );
}

/// A queue of calls and chats gets a traffic source per lane: the demo's `support` given a
/// chat lane takes simulated calls and chats, counted apart, and the report names each lane.
#[test]
fn a_queue_of_two_channels_gets_calls_and_chats_and_the_report_names_each_lane() {
    let mut config = crate::demo::demo().tenants.remove(0).acd;
    let support = config
        .queues
        .iter()
        .position(|q| q.id.as_str() == "support")
        .expect("the demo has a support queue");
    // Its overflow target has no chat lane: the chat lane waits without one.
    let chat_lane = crate::acd::config::QueueConfig {
        channel: Some(crate::acd::ChannelId::new("chat")),
        max_wait: None,
        escalation: Vec::new(),
        ..config.queues[support].clone()
    };
    config.queues.insert(support + 1, chat_lane);
    let simulator_config = crate::demo::demo().simulator.expect("the demo simulates");
    let plan = SimulatorPlan::from_config(&simulator_config, &config);
    let lanes: Vec<(&str, Option<&str>)> = plan
        .traffic
        .iter()
        .filter(|t| t.queue.as_str() == "support")
        .map(|t| (t.queue.as_str(), t.channel.as_ref().map(|c| c.as_str())))
        .collect();
    assert_eq!(lanes, [("support", None), ("support", Some("chat"))]);
    let mut acd = Acd::new(config, START).unwrap();
    let mut simulator = Simulator::new(7, plan, START).unwrap();
    let summary = run(
        &mut acd,
        &mut simulator,
        START + Duration::from_secs(2 * 3600),
    );
    assert_eq!(summary.refused, 0, "{summary:?}");
    let offered: Vec<(String, u64)> = acd
        .lanes_of(&crate::acd::QueueId::new("support"))
        .map(|lane| acd.lane_stats(lane))
        .map(|stats| {
            (
                stats.channel_name().to_owned(),
                stats.stats.lifetime.offered,
            )
        })
        .collect();
    assert_eq!(offered.len(), 2, "{offered:?}");
    for (channel, count) in &offered {
        assert!(
            *count > 20,
            "support/{channel} offered {count}: {offered:?}"
        );
    }
    let table = crate::sim::report::queue_table(&acd);
    for row in ["support/voice ", "support/chat "] {
        assert!(
            table.lines().any(|line| line.starts_with(row)),
            "{row} in\n{table}"
        );
    }
}
