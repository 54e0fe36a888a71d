//! Random days of random commands, valid and invalid, against a small contact center with every
//! strategy, escalation, overflow, timeouts and a full queue. After every step the core's
//! invariants hold, the figures add up, no agent holds two calls, and a refused command changed
//! nothing.

use crate::support;
use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use acdhub::acd::config::ServiceLevelVariant;
use acdhub::acd::{
    Acd, AgentStatus, AgentStatusKind, CallStatus, Command, ConsultStep, DeviceState,
    DispositionCode, Figures, MonitorMode, PendingState, QueueId, ReasonCode, RequestedState,
    TransferTarget,
};
use acdhub::records::{CallRecord, CallRecords, Outcome};
use jiff::Timestamp;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

/// Five queues, one per strategy, chained by escalation and overflow; five agents with mixed
/// skills. The day starts three minutes before midnight so that some runs cross it.
const SETUP: &str = "
    start 2026-03-28T23:57:00+01:00
    routing reject_delay 5s max_ring_no_answer 2 max_extension 60s
    telephony consult conference
    reasons break lunch
    queue q0 wrap_up 10s dispositions resolved,callback disposition_required true ring 20s short_abandon 3s min_skill 2 escalate 15s widen 1 max_wait 90s overflow_to q1
    queue q1 strategy round_robin ring 15s max_length 2 max_wait 60s variant offered
    queue q2 strategy fewest_calls weight 2 wrap_up 5s dispositions resolved escalate 30s overflow q3
    queue q3 strategy least_talk_time weight 3 variant short_abandon_excluded short_abandon 2s
    queue q4 strategy skills_based min_skill 3 ring 10s escalate 10s widen 2 escalate 20s overflow q0
    agent a0 q0 3 q1 1 q4 5
    agent a1 q0 1 q2 2 q3 1
    agent a2 q1 2 q2 1 q4 3
    agent a3 q3 4 q4 2
    agent a4 q0 5 q1 5 q2 5 q3 5 q4 5
";

const AGENTS: [&str; 6] = ["a0", "a1", "a2", "a3", "a4", "nobody"];
const CALLS: [&str; 9] = ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7", "ghost"];
const QUEUES: [&str; 6] = ["q0", "q1", "q2", "q3", "q4", "nowhere"];
const REASONS: [&str; 4] = ["break", "lunch", "no_answer", "coffee"];

/// A step: how long to wait, then what to do.
#[derive(Debug, Clone)]
struct Step {
    wait_ms: u64,
    action: Action,
}

#[derive(Debug, Clone)]
enum Action {
    /// Only let time pass.
    Tick,
    /// Any command with random (often unknown or wrong) ids.
    Raw(Raw),
    /// A command likely to be valid, picked from what the core shows now.
    Guided { kind: u8, pick: usize, arg: usize },
}

#[derive(Debug, Clone)]
enum Raw {
    Login(usize),
    SetState(usize, usize),
    ClearPending(usize),
    SetPending(usize, usize),
    Accept(usize, usize),
    Reject(usize, usize),
    Hold(usize, usize),
    Resume(usize, usize),
    Transfer(usize, usize, usize, bool),
    Hangup(usize, usize),
    EndWrapUp(usize),
    Extend(usize, u64),
    Arrive(usize, usize, u8),
    Answered(usize),
    Ended(usize),
    SetPriority(usize, u8),
    Move(usize, usize),
    Device(usize, usize),
    /// A supervisor (of five) on an agent's call: listen, whisper, barge, or off.
    Monitor(usize, usize, usize),
    /// A disposition (of three, one the queues do not have) and notes or none.
    Dispose(usize, usize, usize),
    /// An agent on a call consults another.
    Consult(usize, usize, usize),
    /// Complete the transfer, make it a conference, or cancel.
    ConsultStep(usize, usize, usize),
    /// The wallboards' message from a supervisor (of two): one of [`TICKERS`].
    Ticker(usize, usize),
}

/// What a supervisor puts on the wallboards: a message, another, a clear, and two refused (too
/// long, two lines).
const TICKERS: [&str; 5] = [
    "Team meeting 14:00",
    "Billing system down",
    "  ",
    "a message of more than two hundred and eighty characters, longer than a ticker holds: \
     a message of more than two hundred and eighty characters, longer than a ticker holds: \
     a message of more than two hundred and eighty characters, longer than a ticker holds: \
     and then some more, past the bound",
    "two\nlines",
];

fn raw() -> impl Strategy<Value = Raw> {
    let a = 0..AGENTS.len();
    let a_device = a.clone();
    let c = 0..CALLS.len();
    let q = 0..QUEUES.len();
    prop_oneof![
        a.clone().prop_map(Raw::Login),
        (a.clone(), 0..REASONS.len() + 2).prop_map(|(a, s)| Raw::SetState(a, s)),
        a.clone().prop_map(Raw::ClearPending),
        (a.clone(), c.clone()).prop_map(|(a, c)| Raw::Accept(a, c)),
        (a.clone(), c.clone()).prop_map(|(a, c)| Raw::Reject(a, c)),
        (a.clone(), c.clone()).prop_map(|(a, c)| Raw::Hold(a, c)),
        (a.clone(), c.clone()).prop_map(|(a, c)| Raw::Resume(a, c)),
        (a.clone(), c.clone(), q.clone(), any::<bool>())
            .prop_map(|(a, c, t, to_queue)| Raw::Transfer(a, c, t, to_queue)),
        (a.clone(), c.clone()).prop_map(|(a, c)| Raw::Hangup(a, c)),
        a.clone().prop_map(Raw::EndWrapUp),
        (a.clone(), 0..70u64).prop_map(|(a, s)| Raw::Extend(a, s)),
        (c.clone(), q.clone(), 0..3u8).prop_map(|(c, q, p)| Raw::Arrive(c, q, p)),
        c.clone().prop_map(Raw::Answered),
        c.clone().prop_map(Raw::Ended),
        (c.clone(), 0..3u8).prop_map(|(c, p)| Raw::SetPriority(c, p)),
        (c.clone(), q).prop_map(|(c, q)| Raw::Move(c, q)),
        (a.clone(), 0..5usize, 0..4usize).prop_map(|(a, s, m)| Raw::Monitor(a, s, m)),
        (a.clone(), c.clone(), 0..3usize).prop_map(|(a, c, d)| Raw::Dispose(a, c, d)),
        (a.clone(), c.clone(), a.clone()).prop_map(|(a, c, b)| Raw::Consult(a, c, b)),
        (a.clone(), c, 0..3usize).prop_map(|(a, c, s)| Raw::ConsultStep(a, c, s)),
        (0..2usize, 0..TICKERS.len()).prop_map(|(s, t)| Raw::Ticker(s, t)),
        // Mostly back to available, so phones do not keep most agents from calls.
        (
            a_device,
            prop_oneof![3 => Just(0usize), 1 => Just(1), 1 => Just(2)]
        )
            .prop_map(|(a, d)| Raw::Device(a, d)),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    // Mostly short steps, so that offers get answered and calls get held and transferred; now
    // and then a long one, so that windows roll over and samples leave the rolling window.
    let wait_ms = prop_oneof![
        10 => Just(0u64),
        12 => 0..3_000u64,
        4 => 0..40_000u64,
        1 => 0..1_200_000u64,
    ];
    let action = prop_oneof![
        1 => Just(Action::Tick),
        3 => raw().prop_map(Action::Raw),
        8 => (guided_kind(), any::<usize>(), any::<usize>())
            .prop_map(|(kind, pick, arg)| Action::Guided { kind, pick, arg }),
    ];
    (wait_ms, action).prop_map(|(wait_ms, action)| Step { wait_ms, action })
}

/// Which guided command (see [`guided`]); answering offers is the most common thing agents do.
fn guided_kind() -> impl Strategy<Value = u8> {
    prop_oneof![
        5 => Just(0u8),
        1 => Just(1),
        2 => Just(2),
        2 => Just(3),
        2 => Just(4),
        2 => Just(5),
        1 => Just(6),
        1 => Just(7),
        3 => Just(8),
        3 => Just(9),
        1 => Just(10),
        1 => Just(11),
    ]
}

fn set_state(agent: usize, state: usize) -> Command {
    let state = match state {
        0 => RequestedState::Ready,
        1 => RequestedState::LoggedOut,
        r => RequestedState::NotReady {
            reason: ReasonCode::new(REASONS[r - 2]),
        },
    };
    Command::SetState {
        agent: AGENTS[agent].into(),
        state,
    }
}

fn raw_command(raw: &Raw) -> Command {
    let a = |i: usize| AGENTS[i].into();
    let c = |i: usize| CALLS[i].into();
    let q = |i: usize| QUEUES[i].into();
    match *raw {
        Raw::Login(x) => Command::Login { agent: a(x) },
        Raw::SetState(x, s) => set_state(x, s),
        Raw::ClearPending(x) => Command::ClearPending { agent: a(x) },
        Raw::SetPending(x, s) => Command::SetPending {
            agent: a(x),
            pending: match s {
                0 => PendingState::LoggedOut,
                r => PendingState::NotReady {
                    reason: ReasonCode::new(REASONS[r - 1]),
                },
            },
        },
        Raw::Accept(x, y) => Command::Accept {
            agent: a(x),
            call: c(y),
        },
        Raw::Reject(x, y) => Command::Reject {
            agent: a(x),
            call: c(y),
        },
        Raw::Hold(x, y) => Command::Hold {
            agent: a(x),
            call: c(y),
        },
        Raw::Resume(x, y) => Command::Resume {
            agent: a(x),
            call: c(y),
        },
        Raw::Transfer(x, y, t, to_queue) => Command::Transfer {
            agent: a(x),
            call: c(y),
            target: if to_queue {
                TransferTarget::Queue(q(t))
            } else {
                TransferTarget::Agent(a(t))
            },
        },
        Raw::Hangup(x, y) => Command::Hangup {
            agent: a(x),
            call: c(y),
        },
        Raw::EndWrapUp(x) => Command::EndWrapUp { agent: a(x) },
        Raw::Extend(x, s) => Command::ExtendWrapUp {
            agent: a(x),
            by: Duration::from_secs(s),
        },
        Raw::Arrive(y, x, p) => Command::CallArrived {
            arrived_at: None,
            call: c(y),
            queue: q(x),
            priority: p,
            data: Default::default(),
        },
        Raw::Answered(y) => Command::CallAnswered { call: c(y) },
        Raw::Ended(y) => Command::CallEnded { call: c(y) },
        Raw::SetPriority(y, p) => Command::SetCallPriority {
            call: c(y),
            priority: p,
        },
        Raw::Monitor(x, sup, mode) => Command::Monitor {
            agent: a(x),
            supervisor: format!("sup{sup}"),
            mode: MonitorMode::ALL.get(mode).copied(),
        },
        Raw::Dispose(x, y, d) => Command::SetDisposition {
            agent: a(x),
            call: c(y),
            disposition: ["resolved", "no_such"].get(d).map(DispositionCode::new),
            notes: if d == 0 {
                "notes".into()
            } else {
                String::new()
            },
        },
        Raw::Consult(x, y, b) => Command::Consult {
            agent: a(x),
            call: c(y),
            to: a(b),
        },
        Raw::ConsultStep(x, y, step) => Command::ConsultStep {
            agent: a(x),
            call: c(y),
            step: [
                ConsultStep::Transfer,
                ConsultStep::Conference,
                ConsultStep::Cancel,
            ][step],
        },
        Raw::Ticker(sup, t) => Command::SetTicker {
            text: TICKERS[t].to_owned(),
            by: format!("sup{sup}"),
        },
        Raw::Move(y, x) => Command::MoveCall {
            call: c(y),
            queue: q(x),
        },
        Raw::Device(x, d) => Command::SetDevice {
            agent: a(x),
            device: DeviceState::ALL[d],
        },
    }
}

/// A command that fits what the core shows now, or `None` when nothing fits.
fn guided(acd: &Acd, kind: u8, pick: usize, arg: usize) -> Option<Command> {
    let calls = acd.calls();
    let agents: Vec<_> = acd.agents().collect();
    let choose = |n: usize| (n > 0).then(|| pick % n);
    let ringing: Vec<_> = calls
        .iter()
        .filter_map(|c| match &c.status {
            CallStatus::Ringing { agent, .. } => Some((agent.clone(), c.id.clone())),
            _ => None,
        })
        .collect();
    let connected: Vec<_> = calls
        .iter()
        .filter_map(|c| match &c.status {
            CallStatus::Connected { agent, on_hold } => {
                Some((agent.clone(), c.id.clone(), *on_hold))
            }
            _ => None,
        })
        .collect();
    let waiting: Vec<_> = calls
        .iter()
        .filter(|c| matches!(c.status, CallStatus::Waiting { .. }))
        .map(|c| c.id.clone())
        .collect();
    Some(match kind {
        0 => {
            let (agent, call) = ringing[choose(ringing.len())?].clone();
            Command::Accept { agent, call }
        }
        1 => {
            let (agent, call) = ringing[choose(ringing.len())?].clone();
            // The agent declines, or its device cannot ring (the PBX says so).
            if arg.is_multiple_of(2) {
                Command::Reject { agent, call }
            } else {
                Command::RingFailed { call }
            }
        }
        2 => Command::CallAnswered {
            call: ringing[choose(ringing.len())?].1.clone(),
        },
        3 => {
            let (agent, call, on_hold) = connected[choose(connected.len())?].clone();
            if on_hold {
                Command::Resume { agent, call }
            } else {
                Command::Hold { agent, call }
            }
        }
        4 => {
            let (agent, call, _) = connected[choose(connected.len())?].clone();
            Command::Hangup { agent, call }
        }
        5 => {
            let (agent, call, _) = connected[choose(connected.len())?].clone();
            let target = if arg.is_multiple_of(2) {
                TransferTarget::Queue(QUEUES[arg / 2 % 5].into())
            } else {
                TransferTarget::Agent(AGENTS[arg / 2 % 5].into())
            };
            Command::Transfer {
                agent,
                call,
                target,
            }
        }
        6 => Command::CallEnded {
            call: calls[choose(calls.len())?].id.clone(),
        },
        7 => Command::CallEnded {
            call: waiting[choose(waiting.len())?].clone(),
        },
        8 => {
            // a new call under a free id
            let id = CALLS[..8]
                .iter()
                .find(|id| acd.call(&(**id).into()).is_none())?;
            // Now and then one that waited before it reached the ACD: up to 40 s (ahead of
            // calls already waiting, with escalation steps already due), or a day and more
            // (refused, changing nothing).
            let before_ms = match arg % 16 {
                12..=14 => Some(((arg / 16) % 40_000) as i64),
                15 => Some(25 * 3_600_000),
                _ => None,
            };
            Command::CallArrived {
                arrived_at: before_ms.map(|ms| {
                    Timestamp::from_millisecond(acd.now().as_millisecond() - ms).unwrap()
                }),
                call: (*id).into(),
                queue: QUEUES[pick % 5].into(),
                priority: (arg % 3) as u8,
                data: Default::default(),
            }
        }
        9 => {
            let agent = &agents[pick % agents.len()];
            match agent.status {
                AgentStatus::LoggedOut => Command::Login {
                    agent: agent.id.clone(),
                },
                // ready half of the time, else logged out or not ready
                _ => set_state(pick % agents.len(), (arg % 6).saturating_sub(2)),
            }
        }
        10 => {
            let wrapping: Vec<_> = agents
                .iter()
                .filter(|a| matches!(a.status, AgentStatus::WrapUp { .. }))
                .collect();
            let agent = wrapping[choose(wrapping.len())?];
            match arg % 4 {
                0 | 2 => Command::EndWrapUp {
                    agent: agent.id.clone(),
                },
                1 => Command::ExtendWrapUp {
                    agent: agent.id.clone(),
                    by: Duration::from_secs(arg as u64 % 61),
                },
                // a supervisor's "after this call", valid or not (any agent, any reason)
                _ => raw_command(&Raw::SetPending(
                    pick % AGENTS.len(),
                    arg / 4 % (REASONS.len() + 1),
                )),
            }
        }
        _ => Command::MoveCall {
            call: waiting[choose(waiting.len())?].clone(),
            queue: QUEUES[arg % 5].into(),
        },
    })
}

/// The counted outcomes of the lifetime window.
fn outcomes(f: &Figures) -> u64 {
    f.answered + f.abandoned + f.short_abandoned + f.overflowed + f.timed_out
}

/// Checks, through the public views only, what must hold between any two steps.
fn check_views(acd: &Acd, now: Timestamp) -> Result<(), TestCaseError> {
    acd.check_invariants().map_err(TestCaseError::fail)?;
    prop_assert!(
        acd.poll_timeout() > now,
        "a deadline at or before now is left"
    );
    // No agent holds two offers or two calls, and every held call names its agent.
    let mut held: HashMap<String, u32> = HashMap::new();
    for call in acd.calls() {
        let (agent, ringing) = match &call.status {
            CallStatus::Waiting { .. } => continue,
            CallStatus::Ringing { agent, .. } => (agent, true),
            CallStatus::Connected { agent, .. } => (agent, false),
        };
        *held.entry(agent.to_string()).or_default() += 1;
        let status = acd.agent(agent).unwrap().status;
        let ok = match &status {
            AgentStatus::Ringing { call: c } => ringing && *c == call.id,
            AgentStatus::OnCall { call: c, .. } => !ringing && *c == call.id,
            _ => false,
        };
        prop_assert!(ok, "call {} at {agent} who is {status:?}", call.id);
    }
    prop_assert!(held.values().all(|&n| n == 1), "{held:?}");
    // Nothing is overdue: offers, wrap-ups and reject delays end in the future, and a pending
    // state exists only while the agent is busy.
    for agent in acd.agents() {
        if let AgentStatus::WrapUp { deadline, .. } = agent.status {
            prop_assert!(deadline > now, "{} wraps up past its deadline", agent.id);
        }
        if let Some(until) = agent.blocked_until {
            prop_assert!(until > now, "{} blocked past {until}", agent.id);
        }
        prop_assert!(
            agent.pending.is_none() || agent.status.is_busy(),
            "{} has a pending state while {:?}",
            agent.id,
            agent.status
        );
    }
    // Waiting calls respect their queue's maximum wait and escalation steps (see SETUP).
    let mut oldest: HashMap<String, Timestamp> = HashMap::new();
    for call in acd.calls() {
        let waited_ms = now.as_millisecond() - call.entered_queue_at.as_millisecond();
        match call.status {
            CallStatus::Waiting { min_skill } => {
                let (expected_skill, longest_ms) = match call.queue.as_str() {
                    "q0" => (if waited_ms >= 15_000 { 1 } else { 2 }, 90_000),
                    "q1" => (1, 60_000),
                    "q2" => (1, 30_000),
                    "q3" => (1, i64::MAX),
                    _ => (if waited_ms >= 10_000 { 2 } else { 3 }, 20_000),
                };
                prop_assert_eq!(min_skill, expected_skill, "{:?}", call);
                prop_assert!(waited_ms < longest_ms, "{:?} waited too long", call);
                let first = oldest
                    .entry(call.queue.to_string())
                    .or_insert(call.entered_queue_at);
                *first = (*first).min(call.entered_queue_at);
            }
            CallStatus::Ringing { ring_deadline, .. } => {
                prop_assert!(ring_deadline > now, "{:?} rings past its deadline", call);
            }
            CallStatus::Connected { .. } => {}
        }
    }
    // offered = answered + abandoned + short + overflowed + timed out + waiting + ringing
    let queues: Vec<QueueId> = acd.queue_ids().cloned().collect();
    let mut sum = Figures::default();
    for id in &queues {
        let q = acd.queue_stats(id).unwrap();
        let f = &q.stats.lifetime;
        prop_assert_eq!(
            f.offered,
            outcomes(f) + q.waiting as u64 + q.ringing as u64,
            "queue {}: {:?}",
            id,
            f
        );
        let (today, interval) = (&q.stats.today.figures, &q.stats.interval.figures);
        prop_assert!(interval.offered <= today.offered && today.offered <= f.offered);
        prop_assert!(interval.answered <= today.answered && today.answered <= f.answered);
        prop_assert!(q.stats.rolling.figures.offered <= f.offered);
        prop_assert_eq!(q.oldest_waiting_since, oldest.get(id.as_str()).copied());
        let a = &q.stats.agents;
        prop_assert_eq!(
            a.logged_in,
            a.ready + a.ringing + a.on_call + a.wrap_up + a.not_ready
        );
        let members: Vec<AgentStatusKind> = acd
            .agents()
            .filter(|agent| agent.skills.iter().any(|(queue, _)| queue == id))
            .map(|agent| agent.status.kind())
            .collect();
        let count = |kind| members.iter().filter(|k| **k == kind).count() as u32;
        prop_assert_eq!(
            (a.ready, a.ringing, a.on_call, a.wrap_up, a.not_ready),
            (
                count(AgentStatusKind::Ready),
                count(AgentStatusKind::Ringing),
                count(AgentStatusKind::OnCall),
                count(AgentStatusKind::WrapUp),
                count(AgentStatusKind::NotReady)
            ),
            "queue {}",
            id
        );
        // Windows: today from local midnight, the interval from a local quarter hour, the
        // rolling window the last 15 minutes.
        let zone = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        let today = q.stats.today.start.to_zoned(zone.clone());
        prop_assert!((today.hour(), today.minute(), today.second()) == (0, 0, 0));
        prop_assert!(now.duration_since(q.stats.today.start).as_secs() < 25 * 3600);
        let interval = q.stats.interval.start.to_zoned(zone);
        prop_assert!(interval.minute() % 15 == 0 && interval.second() == 0);
        prop_assert!(now.duration_since(q.stats.interval.start).as_secs() < 15 * 60);
        prop_assert!(q.stats.interval.start >= q.stats.today.start);
        prop_assert_eq!(
            now.as_millisecond() - q.stats.rolling.start.as_millisecond(),
            15 * 60 * 1000
        );
        prop_assert_eq!(a.not_ready, a.not_ready_by_reason.values().sum::<u32>());
        sum.offered += f.offered;
        sum.answered += f.answered;
        sum.abandoned += f.abandoned;
        sum.overflowed += f.overflowed;
        sum.refused += f.refused;
        sum.handled += f.handled;
        sum.talk_ms += f.talk_ms;
        sum.wrap_up_ms += f.wrap_up_ms;
    }
    // Every derived figure of every window can be read, and fractions stay fractions.
    let mut scopes: Vec<_> = queues
        .iter()
        .map(|id| acd.queue_stats(id).unwrap().stats)
        .collect();
    scopes.push(acd.tenant_stats().stats);
    for stats in &scopes {
        for f in [
            &stats.lifetime,
            &stats.today.figures,
            &stats.interval.figures,
            &stats.rolling.figures,
        ] {
            let mut fractions = vec![f.occupancy(), f.abandonment_rate()];
            fractions.extend(ServiceLevelVariant::ALL.map(|v| f.service_level(v)));
            for fraction in fractions.into_iter().flatten() {
                prop_assert!((0.0..=1.0).contains(&fraction), "{fraction} from {f:?}");
            }
            for figure in [f.average_speed_of_answer(), f.average_handle_time()] {
                prop_assert!(figure.is_none_or(|x| x.is_finite() && x >= 0.0), "{f:?}");
            }
        }
    }
    // The tenant's call figures are the sums of its queues'.
    let t = acd.tenant_stats().stats.lifetime;
    prop_assert_eq!(
        (t.offered, t.answered, t.abandoned, t.overflowed, t.refused),
        (
            sum.offered,
            sum.answered,
            sum.abandoned,
            sum.overflowed,
            sum.refused
        )
    );
    prop_assert_eq!(
        (t.handled, t.talk_ms, t.wrap_up_ms),
        (sum.handled, sum.talk_ms, sum.wrap_up_ms)
    );
    Ok(())
}

/// What a run went through, to show the generator reaches every corner.
#[derive(Debug, Default)]
struct Coverage {
    accepted: u32,
    refused: BTreeSet<&'static str>,
    agent_states: BTreeSet<AgentStatusKind>,
    events: BTreeSet<String>,
}

fn run(steps: &[Step], coverage: &mut Coverage) -> Result<(), TestCaseError> {
    let (mut acd, mut now) = support::acd(SETUP);
    let start = now;
    let drain = |acd: &mut Acd, coverage: &mut Coverage| {
        while let Some(event) = acd.poll_event() {
            let words = support::render_event(&event, start);
            let mut words = words.split_whitespace();
            let kind = words.next().unwrap_or_default();
            // the reason is the last word of `left` and `overflowed` events
            let detail = match kind {
                "left" | "overflowed" | "offer_ended" => words.last().unwrap_or_default(),
                _ => "",
            };
            coverage
                .events
                .insert(format!("{kind} {detail}").trim().to_owned());
        }
        for agent in acd.agents() {
            coverage.agent_states.insert(agent.status.kind());
        }
    };
    for step in steps {
        now = Timestamp::from_millisecond(now.as_millisecond() + step.wait_ms as i64).unwrap();
        acd.handle_timeout(now);
        drain(&mut acd, coverage);
        check_views(&acd, now)?;
        let command = match &step.action {
            Action::Tick => continue,
            Action::Raw(raw) => raw_command(raw),
            Action::Guided { kind, pick, arg } => match guided(&acd, *kind, *pick, *arg) {
                Some(command) => command,
                None => continue,
            },
        };
        let before = format!("{acd:?}");
        match acd.handle(command.clone(), now) {
            Ok(()) => coverage.accepted += 1,
            Err(error) => {
                coverage.refused.insert(error.code());
                prop_assert!(
                    acd.poll_event().is_none(),
                    "{:?} was refused ({}) but emitted an event",
                    command,
                    error
                );
                prop_assert!(
                    format!("{acd:?}") == before,
                    "{:?} was refused ({}) but changed the state",
                    command,
                    error
                );
            }
        }
        drain(&mut acd, coverage);
        check_views(&acd, now)?;
    }
    Ok(())
}

fn day() -> impl Strategy<Value = Vec<Step>> {
    prop::collection::vec(step(), 1..120)
}

proptest! {
    #[test]
    fn random_days_keep_every_invariant(steps in day()) {
        run(&steps, &mut Coverage::default())?;
    }
}

/// Everything a user can see, and the events other than `QueueChanged` (whose coalescing
/// depends on how often the driver polls).
fn observable(acd: &mut Acd, start: Timestamp, events: &mut Vec<String>) -> String {
    while let Some(event) = acd.poll_event() {
        let event = support::render_event(&event, start);
        if !event.starts_with("changed ") {
            events.push(event);
        }
    }
    let queues: Vec<QueueId> = acd.queue_ids().cloned().collect();
    let stats: Vec<_> = queues.iter().map(|id| acd.queue_stats(id)).collect();
    format!(
        "{:?}\n{:?}\n{stats:?}\n{:?}\n{:?}\n{:?}",
        acd.agents().collect::<Vec<_>>(),
        acd.calls(),
        acd.tenant_stats(),
        acd.poll_timeout(),
        acd.ticker()
    )
}

/// Plays the day, optionally also calling `handle_timeout` at every deadline the core asks for,
/// and optionally restoring the core from a snapshot of itself (JSON, as the journal writes it)
/// before step `restore_at`.
fn replay(
    steps: &[Step],
    tick_at_every_deadline: bool,
    restore_at: Option<usize>,
) -> (String, Vec<String>) {
    let (mut acd, start) = support::acd(SETUP);
    let mut now = start;
    let mut events = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        if restore_at == Some(index) {
            let snapshot = serde_json::to_vec(&acd).expect("the core serializes");
            acd = serde_json::from_slice(&snapshot).expect("the core deserializes");
        }
        let next = Timestamp::from_millisecond(now.as_millisecond() + step.wait_ms as i64).unwrap();
        while tick_at_every_deadline && acd.poll_timeout() <= next {
            let deadline = acd.poll_timeout();
            acd.handle_timeout(deadline);
            observable(&mut acd, start, &mut events);
        }
        now = next;
        acd.handle_timeout(now);
        let command = match &step.action {
            Action::Tick => None,
            Action::Raw(raw) => Some(raw_command(raw)),
            Action::Guided { kind, pick, arg } => guided(&acd, *kind, *pick, *arg),
        };
        if let Some(command) = command {
            let _ = acd.handle(command, now);
        }
        observable(&mut acd, start, &mut events);
    }
    (observable(&mut acd, start, &mut events), events)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Deadlines take effect at their own instant: a driver that ticks at every deadline the
    /// core announces sees exactly what a driver that only ticks with commands sees.
    #[test]
    fn how_often_the_driver_ticks_changes_nothing(steps in day()) {
        let (state, events) = replay(&steps, false, None);
        let (ticked_state, ticked_events) = replay(&steps, true, None);
        prop_assert_eq!(events, ticked_events);
        prop_assert_eq!(state, ticked_state);
    }

    /// A snapshot is the whole state: a core restored from one, at any step of a random day,
    /// goes on exactly as the core it was taken from (what recovery relies on).
    #[test]
    fn a_core_restored_from_its_snapshot_goes_on_exactly_as_the_original(
        steps in day(),
        at in 0usize..1000,
    ) {
        let restore_at = at % steps.len().max(1);
        let (state, events) = replay(&steps, false, None);
        let (restored_state, restored_events) = replay(&steps, false, Some(restore_at));
        prop_assert_eq!(events, restored_events);
        prop_assert_eq!(state, restored_state);
    }
}

/// Plays the day with the call-record fold watching every event (each deadline at its own
/// instant, as the engine runs them), then hangs up every call and ends every wrap-up. Returns
/// the core, the fold and every record it finished, in order, and the calls that arrived.
fn play_with_records(
    steps: &[Step],
) -> Result<(Acd, CallRecords, Vec<CallRecord>, u64), TestCaseError> {
    let (mut acd, start) = support::acd(SETUP);
    let mut now = start;
    let mut records = CallRecords::default();
    let mut finished = Vec::new();
    let mut arrived = 0;
    let mut feed = |acd: &mut Acd, records: &mut CallRecords, now: Timestamp| {
        while let Some(event) = acd.poll_event() {
            records.observe(&event, now);
        }
        finished.extend(records.take_finished());
    };
    for step in steps {
        let next = Timestamp::from_millisecond(now.as_millisecond() + step.wait_ms as i64).unwrap();
        while acd.poll_timeout() <= next {
            let deadline = acd.poll_timeout();
            acd.handle_timeout(deadline);
            feed(&mut acd, &mut records, deadline);
        }
        now = next;
        acd.handle_timeout(now);
        feed(&mut acd, &mut records, now);
        let command = match &step.action {
            Action::Tick => None,
            Action::Raw(raw) => Some(raw_command(raw)),
            Action::Guided { kind, pick, arg } => guided(&acd, *kind, *pick, *arg),
        };
        if let Some(command) = command {
            let arrival = matches!(command, Command::CallArrived { .. });
            if acd.handle(command, now).is_ok() && arrival {
                arrived += 1;
            }
        }
        feed(&mut acd, &mut records, now);
        // Memory follows the calls in progress: one record per call in the ACD, and at most
        // one per agent for a call gone whose wrap-up runs.
        prop_assert!(records.in_progress() <= acd.calls().len() + acd.agents().count());
    }
    for call in acd.calls() {
        acd.handle(Command::CallEnded { call: call.id }, now)
            .unwrap();
        feed(&mut acd, &mut records, now);
    }
    let wrapping_up: Vec<_> = acd
        .agents()
        .filter_map(|agent| match agent.status {
            AgentStatus::WrapUp { call, .. } => Some((agent.id, call)),
            _ => None,
        })
        .collect();
    for (agent, call) in wrapping_up {
        // q0 requires a disposition before the wrap-up can end; a queue without codes refuses
        // this one, which changes nothing.
        let disposition = Command::SetDisposition {
            agent: agent.clone(),
            call,
            disposition: Some(DispositionCode::new("resolved")),
            notes: String::new(),
        };
        let _ = acd.handle(disposition, now);
        acd.handle(Command::EndWrapUp { agent }, now).unwrap();
        feed(&mut acd, &mut records, now);
    }
    Ok((acd, records, finished, arrived))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Once every call and wrap-up of a random day is over, there is one record per call that
    /// arrived, numbered 1, 2, 3..., the fold holds nothing more, and the records add up to the
    /// core's own figures: what a spreadsheet sums matches the wallboard.
    #[test]
    fn call_records_of_a_random_day_add_up_to_the_cores_figures(steps in day()) {
        let (acd, records, finished, arrived) = play_with_records(&steps)?;
        prop_assert_eq!(records.in_progress(), 0);
        prop_assert_eq!(finished.len() as u64, arrived);
        let seqs: Vec<u64> = finished.iter().map(|r| r.seq).collect();
        prop_assert_eq!(seqs, (1..=arrived).collect::<Vec<u64>>());
        let core = acd.tenant_stats().stats.lifetime;
        let sum = |f: fn(&CallRecord) -> u64| finished.iter().map(f).sum::<u64>();
        prop_assert_eq!(sum(|r| r.talk_ms), core.talk_ms);
        prop_assert_eq!(sum(|r| r.hold_ms), core.hold_ms);
        prop_assert_eq!(sum(|r| r.wrap_up_ms), core.wrap_up_ms);
        let count = |outcome: Outcome| finished.iter().filter(|r| r.outcome == outcome).count() as u64;
        prop_assert_eq!(count(Outcome::Abandoned), core.abandoned + core.short_abandoned);
        prop_assert_eq!(count(Outcome::TimedOut), core.timed_out);
        prop_assert_eq!(count(Outcome::Refused), core.refused);
        for r in &finished {
            prop_assert_eq!(Some(&r.first_queue), r.queues.first(), "{:?}", r);
            prop_assert_eq!(Some(&r.last_queue), r.queues.last(), "{:?}", r);
            prop_assert_eq!(r.answered_by.is_some(), r.answered_at.is_some(), "{:?}", r);
            prop_assert!(r.answered_by.iter().all(|a| r.agents.contains(a)), "{:?}", r);
            if r.outcome == Outcome::Answered {
                prop_assert!(r.answered_at.is_some(), "{:?}", r);
            }
            let ms = |t: Timestamp| t.as_millisecond() as u64;
            let waited_until = r.answered_at.unwrap_or(r.ended_at);
            prop_assert_eq!(r.wait_ms, ms(waited_until) - ms(r.arrived_at), "{:?}", r);
            prop_assert!(r.last_queue_wait_ms <= ms(r.ended_at) - ms(r.arrived_at), "{:?}", r);
            if let Some(answered_at) = r.answered_at {
                let connected = ms(r.ended_at) - ms(answered_at);
                prop_assert!(r.talk_ms + r.hold_ms <= connected, "{:?}", r);
            }
            prop_assert_eq!(r.transfers as usize, r.transfer_targets.len());
            prop_assert!(r.offers >= r.ring_no_answers + r.rejections, "{:?}", r);
        }
    }
}

/// The random days are not idle: over a fixed set of them, agents pass through every state,
/// calls end every way, and most kinds of refusal happen (a full queue's refusal is the rarest:
/// 200 days reach it).
#[test]
fn the_random_days_reach_every_state_and_outcome() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let mut coverage = Coverage::default();
    for _ in 0..200 {
        let steps = day().new_tree(&mut runner).unwrap().current();
        run(&steps, &mut coverage).unwrap();
    }
    assert_eq!(
        coverage.agent_states.len(),
        AgentStatusKind::ALL.len(),
        "{coverage:?}"
    );
    for event in [
        "left completed",
        "left abandoned",
        "left timed_out",
        "left refused",
        "overflowed max_wait",
        "overflowed escalation",
        "overflowed moved",
        "offer_ended rejected",
        "offer_ended ring_no_answer",
        "offer_ended caller_hung_up",
        "transferred",
        "held",
        "resumed",
        "pending",
        "priority",
    ] {
        assert!(
            coverage.events.contains(event),
            "never `{event}`: {coverage:?}"
        );
    }
    assert!(coverage.accepted > 1000, "{coverage:?}");
    assert!(coverage.refused.len() >= 15, "{coverage:?}");
}
