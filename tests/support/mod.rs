//! Scenario scripts for the ACD core: one `check(setup, script)` helper with a fake clock, in the
//! spirit of rust-analyzer's data-driven tests.
//!
//! # Setup
//!
//! One item per line; everything not given takes the core's defaults.
//!
//! ```text
//! zone Europe/Berlin                      # the default
//! start 2026-03-10T09:00:00+01:00         # the default: a Tuesday morning in Berlin
//! routing reject_delay 5s max_ring_no_answer 3 max_extension 10m rolling 15m max_conversations 100
//! reasons break lunch
//! queue support strategy skills_based ring 30s wrap_up 20s weight 1 min_skill 3
//!     sl 20s variant answered short_abandon 5s first_response 30s max_wait 2m overflow_to sales max_length 2
//!     escalate 30s widen 2 escalate 60s overflow sales      (all on one line)
//! agent ann support 3 sales 1
//! channel chat capacity 2 exclusive
//! queue chats channel chat                # a queue of one messaging channel
//! queue help channels voice,chat          # a queue of two lanes, calls and chats
//! agent bob help 1 capacity chat 3
//! ```
//!
//! # Script
//!
//! Time is written as an offset from `start` (`90s`, `1m30s`, `15h`, `500ms`, `-9h`), as `+5s`
//! from the current instant, or as an RFC 3339 instant. Every line is one of:
//!
//! - `at T [line]`: lets time pass to T (`handle_timeout(T)`, so due timers fire), starts a new
//!   event list, then runs the rest of the line, if any, at T.
//! - commands separated by `;`, run at the current instant: `login a`, `ready a`,
//!   `not_ready a break`, `logout a`, `clear_pending a`, `set_pending a not_ready break`,
//!   `set_pending a logged_out` (supervisor), `accept a c1`, `reject a c1`,
//!   `hold a c1`, `resume a c1`, `hangup a c1`, `end_wrap_up a`, `extend_wrap_up a 30s`,
//!   `transfer a c1 to queue sales`, `transfer a c1 to agent b`, `consult a c1 with b`,
//!   `complete_transfer a c1`, `conference a c1`, `cancel_consult a c1`,
//!   `call c1 in support [priority 5] [from +4930123] [dialled 800] [waited 40s] [key=value]`
//!   (`waited`: it began to wait that long before now, its `arrived_at`),
//!   `answered c1`, `ring_failed c1`, `ended c1`, `device ann in_use|available|unregistered` (telephony), `set_priority c1 5`, `move c1 to sales`,
//!   `ticker by sup Team_meeting_14:00` (`ticker by sup` clears it), `display lobby by sup
//!   [HASH]`, `revoke_display lobby by sup` (supervisor).
//!   A command followed by `=> code` must fail with that `AcdError::code()`, emit nothing and
//!   leave the whole state (its `Debug` form) unchanged.
//! - `expect P[; P...]`: each pattern matches an event since the last `at`, in order, each after
//!   the one matched before it (by this or an earlier `expect`); `;` may also join `no P`. A
//!   pattern matches an event when its first word equals the event's and its other words appear
//!   in the event in order; times compare by value (`85s` matches `1m25s`). See
//!   [`render_event`] for the event words.
//! - `expect no P`: no event since the last `at` matches P. `expect nothing`: none at all but
//!   `changed` (QueueChanged).
//! - `exactly P; P; ...`: the events since the last `at` are exactly these, `changed` included
//!   (those in any order: which queue's change comes first is not specified).
//! - `state a STATUS [since T] [pending STATE|-] [streak N] [blocked_until T|-] [device STATE|-]`: the agent view.
//! - `where c1 STATUS [queue q] [priority N] [min_skill N] [arrived T] [entered T] [until T]
//!   [direct yes|no]`: the call view; STATUS is `waiting`, `ringing a`, `connected a`, `held a`
//!   or `gone`.
//! - `queue q|q/CHANNEL|tenant: waiting N ringing N oldest T|-`: live figures (`q/chat`: the
//!   chat lane of a queue of several channels, also in `agents` and `stats`).
//! - `agents q|tenant: logged_in N ready N ringing N on_call N wrap_up N not_ready N
//!   not_ready.REASON N`, and for a queue of conversations `places N places_taken N holding N`
//!   (its agents' places staffed and taken, and agents holding any).
//! - `stats q|tenant WINDOW: key value ...` with WINDOW `today`, `interval`, `rolling` or
//!   `lifetime`, and keys: every `Figures` field (`*_ms` fields also take a time such as `80s`),
//!   `sl` (the queue's variant; the tenant's uses `answered`), `sl_answered`, `sl_offered`,
//!   `sl_short_abandon_excluded`, `abandon_rate` and `occupancy` in percent, `asa` and `aht` in seconds; for
//!   conversations `sl_first_response` and `capacity_occupancy` in percent, `afrt` (average
//!   first response) in seconds and `concurrency` (ratios are
//!   rounded to the digits written; `-` means no figure yet), and `from T` (the window start).
//! - `wallboards show TEXT by SUP at T` or `wallboards show nothing`: the message ticker (TEXT
//!   with `_` for spaces).
//! - `next_timeout T`: what `poll_timeout()` says.
//!
//! After every step (`handle_timeout` or `handle`) `check_invariants()` must hold. A failure
//! prints the script line, what was expected and the events since the last `at`.

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::Duration;

use acdhub::acd::config::{
    AgentConfig, ChannelConfig, DispositionConfig, Escalation, EscalationStep, MaxWait,
    QueueConfig, ReasonConfig, RoutingConfig, ServiceLevelVariant, Strategy,
};
use acdhub::acd::{
    Acd, AgentId, AgentStatus, Author, CallData, CallId, CallStatus, ChannelId, Command, Config,
    ConsultEnd, ConsultStatus, ConsultStep, ConversationStatus, DeviceState, DispositionCode,
    Event, Figures, MonitorEnd, MonitorMode, PendingState, QueueId, ReasonCode, RequestedState,
    TransferTarget,
};
use jiff::Timestamp;
use jiff::tz::TimeZone;

/// The default start: Tuesday 2026-03-10, 09:00 in Berlin (CET).
pub const DEFAULT_START: &str = "2026-03-10T09:00:00+01:00";

/// Builds a core configuration and start instant from the setup text described in the module
/// documentation.
pub fn setup(text: &str) -> (Config, Timestamp) {
    let mut config = Config {
        name: "test".into(),
        time_zone: TimeZone::get("Europe/Berlin").unwrap(),
        queues: Vec::new(),
        agents: Vec::new(),
        not_ready_reasons: Vec::new(),
        routing: RoutingConfig::default(),
        alerts: Default::default(),
        data_labels: Vec::new(),
        channels: Vec::new(),
        telephony: Default::default(),
    };
    let mut start = Timestamp::from_str(DEFAULT_START).unwrap();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let fail = |why: &str| -> ! { panic!("setup line `{line}`: {why}") };
        let mut next = |what: &str| {
            words
                .next()
                .unwrap_or_else(|| panic!("setup line `{line}`: missing {what}"))
        };
        match next("item") {
            "zone" => config.time_zone = TimeZone::get(next("zone")).unwrap(),
            "start" => start = Timestamp::from_str(next("instant")).unwrap(),
            // `telephony consult [conference]`: what the connector carries out.
            "telephony" => {
                for feature in words {
                    match feature {
                        "consult" => config.telephony.consult = true,
                        "conference" => config.telephony.conference = true,
                        _ => fail("telephony consult|conference"),
                    }
                }
            }
            "reasons" => {
                for code in words {
                    config.not_ready_reasons.push(ReasonConfig {
                        code: ReasonCode::new(code),
                        label: code.to_owned(),
                    });
                }
            }
            "routing" => {
                while let Some(key) = words.next() {
                    let value = words.next().unwrap_or_else(|| fail("missing value"));
                    let r = &mut config.routing;
                    match key {
                        "reject_delay" => r.reject_delay = duration(value),
                        "max_ring_no_answer" => r.max_ring_no_answer = value.parse().unwrap(),
                        "max_extension" => r.max_wrap_up_extension = duration(value),
                        "rolling" => r.rolling_window = duration(value),
                        "voice_exclusive" => r.voice_exclusive = value.parse().unwrap(),
                        "max_conversations" => r.max_conversations = value.parse().unwrap(),
                        _ => fail("unknown routing key"),
                    }
                }
            }
            "channel" => {
                let mut channel = ChannelConfig::new(next("channel id"));
                while let Some(key) = words.next() {
                    match key {
                        "capacity" => {
                            channel.capacity = words
                                .next()
                                .unwrap_or_else(|| fail("missing capacity"))
                                .parse()
                                .unwrap()
                        }
                        "exclusive" => channel.exclusive = true,
                        _ => fail(&format!("unknown channel key `{key}`")),
                    }
                }
                config.channels.push(channel);
            }
            "queue" => {
                let mut q = QueueConfig::new(next("queue id"));
                let mut lanes = Vec::new();
                while let Some(key) = words.next() {
                    let mut value = || words.next().unwrap_or_else(|| fail("missing value"));
                    match key {
                        "name" => q.name = value().to_owned(),
                        "strategy" => {
                            q.strategy = Strategy::from_name(value())
                                .unwrap_or_else(|| fail("unknown strategy"))
                        }
                        "ring" => q.ring_timeout = duration(value()),
                        "wrap_up" => q.wrap_up = duration(value()),
                        "weight" => q.priority_weight = value().parse().unwrap(),
                        "min_skill" => q.min_skill = value().parse().unwrap(),
                        "sl" => q.service_level.threshold = duration(value()),
                        "target" => q.service_level.target_percent = value().parse().unwrap(),
                        "variant" => {
                            q.service_level.variant = ServiceLevelVariant::from_name(value())
                                .unwrap_or_else(|| fail("unknown variant"))
                        }
                        "short_abandon" => q.service_level.short_abandon = Some(duration(value())),
                        "first_response" => {
                            q.service_level.first_response = Some(duration(value()))
                        }
                        "max_wait" => {
                            let after = duration(value());
                            let overflow_to = q.max_wait.take().and_then(|m| m.overflow_to);
                            q.max_wait = Some(MaxWait { after, overflow_to });
                        }
                        "overflow_to" => {
                            let to = Some(QueueId::new(value()));
                            match &mut q.max_wait {
                                Some(m) => m.overflow_to = to,
                                None => fail("overflow_to needs max_wait first"),
                            }
                        }
                        "max_length" => q.max_queue_length = Some(value().parse().unwrap()),
                        // `dispositions resolved,callback`: codes labelled as themselves.
                        "dispositions" => {
                            q.dispositions = value()
                                .split(',')
                                .map(|code| DispositionConfig {
                                    code: DispositionCode::new(code),
                                    label: code.to_owned(),
                                })
                                .collect()
                        }
                        "disposition_required" => q.disposition_required = value().parse().unwrap(),
                        "channel" => q.channel = Some(ChannelId::new(value())),
                        // `channels voice,chat`: one lane per channel.
                        "channels" => {
                            lanes = value()
                                .split(',')
                                .map(|c| (c != "voice").then(|| ChannelId::new(c)))
                                .collect()
                        }
                        "escalate" => {
                            let after = duration(value());
                            let action = match value() {
                                "widen" => Escalation::Widen {
                                    min_skill: value().parse().unwrap(),
                                },
                                "overflow" => Escalation::Overflow {
                                    to: QueueId::new(value()),
                                },
                                _ => fail("escalate AFTER widen LEVEL | overflow QUEUE"),
                            };
                            q.escalation.push(EscalationStep { after, action });
                        }
                        _ => fail(&format!("unknown queue key `{key}`")),
                    }
                }
                if lanes.is_empty() {
                    lanes.push(q.channel.clone());
                }
                for channel in lanes {
                    config.queues.push(QueueConfig {
                        channel,
                        ..q.clone()
                    });
                }
            }
            "agent" => {
                let id = next("agent id");
                let mut skills = Vec::new();
                let mut capacity = Vec::new();
                while let Some(queue) = words.next() {
                    if queue == "capacity" {
                        let channel = words.next().unwrap_or_else(|| fail("missing channel"));
                        let n = words.next().unwrap_or_else(|| fail("missing capacity"));
                        capacity.push((ChannelId::new(channel), n.parse().unwrap()));
                        continue;
                    }
                    let level = words.next().unwrap_or_else(|| fail("missing skill level"));
                    skills.push((QueueId::new(queue), level.parse().unwrap()));
                }
                config.agents.push(AgentConfig {
                    id: AgentId::new(id),
                    name: id.to_uppercase(),
                    skills,
                    capacity,
                });
            }
            _ => fail("unknown item"),
        }
    }
    (config, start)
}

/// A fresh core for the setup text, and its start instant.
pub fn acd(text: &str) -> (Acd, Timestamp) {
    let (config, start) = setup(text);
    (Acd::new(config, start).expect("valid setup"), start)
}

/// Runs a script against a fresh core (see the module documentation) and returns the run, for
/// any further look at the core.
#[track_caller]
pub fn check(setup_text: &str, script: &str) -> Run {
    let (acd, start) = acd(setup_text);
    let mut run = Run {
        acd,
        start,
        now: start,
        events: Vec::new(),
        cursor: 0,
        at_line: "(start)".to_owned(),
    };
    for (number, line) in script.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Err(why) = run.line(line) {
            panic!(
                "\nscript line {}: `{line}`\n{why}\nevents since `{}`:\n{}",
                number + 1,
                run.at_line,
                run.event_list()
            );
        }
    }
    run
}

/// A script being run: the core, the fake clock and the events since the last `at`.
pub struct Run {
    pub acd: Acd,
    pub start: Timestamp,
    pub now: Timestamp,
    pub events: Vec<String>,
    cursor: usize,
    at_line: String,
}

impl Run {
    fn event_list(&self) -> String {
        if self.events.is_empty() {
            return "  (none)\n".to_owned();
        }
        let mut out = String::new();
        for (i, event) in self.events.iter().enumerate() {
            let mark = if i < self.cursor { "  " } else { "> " };
            writeln!(out, "{mark}{event}").unwrap();
        }
        out
    }

    fn drain(&mut self) -> Result<(), String> {
        while let Some(event) = self.acd.poll_event() {
            self.events.push(render_event(&event, self.start));
        }
        self.acd
            .check_invariants()
            .map_err(|e| format!("invariant broken: {e}"))
    }

    fn line(&mut self, line: &str) -> Result<(), String> {
        let (first, rest) = split_first(line);
        match first {
            "at" => {
                let (time, rest) = split_first(rest);
                let at = self.instant(time)?;
                if at < self.now {
                    return Err(format!("time goes backwards: {time}"));
                }
                self.now = at;
                self.events.clear();
                self.cursor = 0;
                self.at_line = format!("at {time}");
                self.acd.handle_timeout(at);
                self.drain()?;
                if rest.is_empty() {
                    Ok(())
                } else {
                    self.line(rest)
                }
            }
            "expect" => self.expect(rest),
            "exactly" => {
                let patterns: Vec<&str> = rest
                    .split(';')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect();
                if self.exactly(&patterns) {
                    self.cursor = self.events.len();
                    Ok(())
                } else {
                    Err(format!("expected exactly:\n  {}", patterns.join("\n  ")))
                }
            }
            "state" => self.state(rest),
            "where" => self.where_call(rest),
            "chat" if rest.split_whitespace().nth(1) != Some("in") => self.where_chat(rest),
            "places" => self.places(rest),
            "wallboards" => self.wallboards(rest),
            "queue" | "agents" | "stats" => self.figures(first, rest),
            "next_timeout" => {
                let expected = self.instant(rest)?;
                let actual = self.acd.poll_timeout();
                if expected == actual {
                    Ok(())
                } else {
                    Err(format!(
                        "expected next timeout {}, actual {}",
                        rest,
                        time(actual, self.start)
                    ))
                }
            }
            _ => {
                for command in line.split(';').map(str::trim) {
                    self.command(command)?;
                }
                Ok(())
            }
        }
    }

    fn command(&mut self, text: &str) -> Result<(), String> {
        let (text, expected_error) = match text.split_once("=>") {
            Some((command, code)) => (command.trim(), Some(code.trim())),
            None => (text, None),
        };
        let command = parse_command_at(text, Some(self.now))?;
        let before = expected_error.map(|_| format!("{:?}", self.acd));
        let result = self.acd.handle(command, self.now);
        match (result, expected_error) {
            (Ok(()), None) => self.drain(),
            (Err(e), None) => Err(format!("`{text}` failed: {} ({e})", e.code())),
            (Ok(()), Some(code)) => {
                self.drain()?;
                Err(format!("`{text}` succeeded, expected error {code}"))
            }
            (Err(e), Some(code)) => {
                if e.code() != code {
                    return Err(format!("`{text}`: expected error {code}, got {}", e.code()));
                }
                if let Some(event) = self.acd.poll_event() {
                    let event = render_event(&event, self.start);
                    return Err(format!("`{text}` failed but emitted `{event}`"));
                }
                if before.as_deref() != Some(format!("{:?}", self.acd).as_str()) {
                    return Err(format!("`{text}` failed but changed the state"));
                }
                self.drain()
            }
        }
    }

    /// The events are the patterns: the `changed` ones in any order (which queue's change is
    /// told first is not specified), the others in order.
    fn exactly(&self, patterns: &[&str]) -> bool {
        let is_changed = |s: &&str| s.starts_with("changed ");
        let (changed, others): (Vec<&str>, Vec<&str>) =
            patterns.iter().copied().partition(is_changed);
        let (mut changed_events, other_events): (Vec<&str>, Vec<&str>) =
            self.events.iter().map(String::as_str).partition(is_changed);
        let mut sorted = changed.clone();
        sorted.sort_unstable();
        changed_events.sort_unstable();
        others.len() == other_events.len()
            && others.iter().zip(&other_events).all(|(p, e)| matches(p, e))
            && sorted == changed_events
    }

    fn expect(&mut self, rest: &str) -> Result<(), String> {
        for part in rest.split(';').map(str::trim) {
            self.expect_one(part.strip_prefix("expect ").unwrap_or(part))?;
        }
        Ok(())
    }

    fn expect_one(&mut self, rest: &str) -> Result<(), String> {
        if rest == "nothing" {
            return match self.events.iter().find(|e| !e.starts_with("changed ")) {
                None => Ok(()),
                Some(e) => Err(format!("expected no events, got `{e}`")),
            };
        }
        if let Some(pattern) = rest.strip_prefix("no ") {
            return match self.events.iter().find(|e| matches(pattern, e)) {
                None => Ok(()),
                Some(e) => Err(format!("expected no `{pattern}`, got `{e}`")),
            };
        }
        match (self.cursor..self.events.len()).find(|&i| matches(rest, &self.events[i])) {
            Some(i) => {
                self.cursor = i + 1;
                Ok(())
            }
            None => Err(format!("expected `{rest}` among the events marked `>`")),
        }
    }

    fn state(&self, rest: &str) -> Result<(), String> {
        let (agent, pattern) = split_first(rest);
        let view = self
            .acd
            .agent(&AgentId::new(agent))
            .ok_or_else(|| format!("no agent {agent}"))?;
        let status = match &view.status {
            AgentStatus::LoggedOut => "logged_out".to_owned(),
            AgentStatus::NotReady { reason } => format!("not_ready {reason}"),
            AgentStatus::Ready => "ready".to_owned(),
            AgentStatus::Ringing { call } => format!("ringing {call}"),
            AgentStatus::OnCall {
                call,
                on_hold: false,
            } => format!("on_call {call}"),
            AgentStatus::OnCall {
                call,
                on_hold: true,
            } => format!("on_hold {call}"),
            AgentStatus::WrapUp { call, deadline } => {
                format!("wrap_up {call} until {}", time(*deadline, self.start))
            }
            AgentStatus::Consulted {
                call,
                ringing: true,
            } => format!("consult_ringing {call}"),
            AgentStatus::Consulted {
                call,
                ringing: false,
            } => format!("consulted {call}"),
        };
        let pending = match &view.pending {
            None => "-".to_owned(),
            Some(p) => render_pending(p),
        };
        let fields = [
            ("since", time(view.since, self.start)),
            ("pending", pending),
            ("streak", view.ring_no_answer_streak.to_string()),
            (
                "blocked_until",
                view.blocked_until
                    .map_or("-".to_owned(), |t| time(t, self.start)),
            ),
            (
                "device",
                view.device.map_or("-", DeviceState::name).to_owned(),
            ),
        ];
        compare_view(&format!("agent {agent}"), &status, &fields, pattern)
    }

    fn where_call(&self, rest: &str) -> Result<(), String> {
        let (id, pattern) = split_first(rest);
        let Some(view) = self.acd.call(&CallId::new(id)) else {
            return if pattern == "gone" {
                Ok(())
            } else {
                Err(format!("call {id} is gone, expected `{pattern}`"))
            };
        };
        let mut fields = vec![
            ("queue", view.queue.to_string()),
            ("priority", view.priority.to_string()),
            ("arrived", time(view.arrived_at, self.start)),
            ("entered", time(view.entered_queue_at, self.start)),
        ];
        let status = match &view.status {
            CallStatus::Waiting { min_skill } => {
                fields.push(("min_skill", min_skill.to_string()));
                "waiting".to_owned()
            }
            CallStatus::Ringing {
                agent,
                direct,
                ring_deadline,
            } => {
                fields.push(("until", time(*ring_deadline, self.start)));
                fields.push(("direct", if *direct { "yes" } else { "no" }.to_owned()));
                format!("ringing {agent}")
            }
            CallStatus::Connected { agent, on_hold } => {
                if *on_hold {
                    format!("held {agent}")
                } else {
                    format!("connected {agent}")
                }
            }
        };
        compare_view(&format!("call {id}"), &status, &fields, pattern)
    }

    /// `chat k1 waiting|offered ann|open ann|wrap_up ann|gone [messages N]`.
    fn where_chat(&self, rest: &str) -> Result<(), String> {
        let (id, pattern) = split_first(rest);
        let Some(view) = self.acd.conversation_by_id(&CallId::new(id)) else {
            return if pattern == "gone" {
                Ok(())
            } else {
                Err(format!("conversation {id} is gone, expected `{pattern}`"))
            };
        };
        let fields = vec![
            ("queue", view.queue.to_string()),
            ("channel", view.channel.to_string()),
            ("priority", view.priority.to_string()),
            ("messages", view.transcript.len().to_string()),
        ];
        let status = match &view.status {
            ConversationStatus::Waiting { .. } => "waiting".to_owned(),
            ConversationStatus::Offered { agent, .. } => format!("offered {agent}"),
            ConversationStatus::Open { agent } => format!("open {agent}"),
            ConversationStatus::WrapUp { agent, .. } => format!("wrap_up {agent}"),
        };
        compare_view(&format!("conversation {id}"), &status, &fields, pattern)
    }

    /// `places ann chat 2`: how many conversations of a channel the agent holds.
    /// `wallboards show TEXT by SUP at T`, or `wallboards show nothing`: the ticker view.
    fn wallboards(&self, rest: &str) -> Result<(), String> {
        let actual = match self.acd.ticker() {
            Some(ticker) => format!(
                "show {} by {} at {}",
                ticker.text.replace(' ', "_"),
                ticker.by,
                time(ticker.at, self.start)
            ),
            None => "show nothing".to_owned(),
        };
        let pattern = rest.trim();
        let same_length = pattern.split_whitespace().count() == actual.split_whitespace().count();
        if same_length && matches(pattern, &actual) {
            Ok(())
        } else {
            Err(format!(
                "the wallboards: expected `{pattern}`\n  actual `{actual}`"
            ))
        }
    }

    fn places(&self, rest: &str) -> Result<(), String> {
        let words: Vec<&str> = rest.split_whitespace().collect();
        let [agent, channel, expected] = words[..] else {
            return Err("places AGENT CHANNEL COUNT".into());
        };
        let places = self
            .acd
            .agent_places(&AgentId::new(agent))
            .ok_or_else(|| format!("no agent {agent}"))?;
        let held = places
            .iter()
            .find(|(id, _, _)| id.as_str() == channel)
            .map(|(_, held, _)| held.to_string())
            .ok_or_else(|| format!("no channel {channel}"))?;
        if held == expected {
            Ok(())
        } else {
            Err(format!(
                "{agent} holds {held} of {channel}, expected {expected}"
            ))
        }
    }

    fn figures(&self, kind: &str, rest: &str) -> Result<(), String> {
        let (head, pairs) = rest
            .split_once(':')
            .ok_or_else(|| format!("`{kind}` needs a `:`"))?;
        let mut head = head.split_whitespace();
        let scope = head.next().ok_or("missing scope")?;
        let words: Vec<&str> = pairs.split_whitespace().collect();
        if !words.len().is_multiple_of(2) {
            return Err("expected `key value` pairs".to_owned());
        }
        let queue = match scope.split_once('/') {
            _ if scope == "tenant" => None,
            // `support/chat`: one lane of a queue of several channels.
            Some((queue, channel)) => Some(
                self.acd
                    .lanes_of(&QueueId::new(queue))
                    .map(|lane| self.acd.lane_stats(lane))
                    .find(|stats| stats.channel_name() == channel)
                    .ok_or_else(|| format!("no lane {scope}"))?,
            ),
            None => Some(
                self.acd
                    .queue_stats(&QueueId::new(scope))
                    .ok_or_else(|| format!("no queue {scope} of one lane"))?,
            ),
        };
        let tenant = self.acd.tenant_stats();
        let (waiting, ringing, oldest, stats) = match &queue {
            Some(q) => (q.waiting, q.ringing, q.oldest_waiting_since, &q.stats),
            None => (
                tenant.waiting,
                tenant.ringing,
                tenant.oldest_waiting_since,
                &tenant.stats,
            ),
        };
        let variant = queue
            .as_ref()
            .map_or(ServiceLevelVariant::Answered, |q| q.service_level.variant);
        let window = match (kind, head.next()) {
            ("stats", Some("today")) => Some((&stats.today.figures, Some(stats.today.start))),
            ("stats", Some("interval")) => {
                Some((&stats.interval.figures, Some(stats.interval.start)))
            }
            ("stats", Some("rolling")) => Some((&stats.rolling.figures, Some(stats.rolling.start))),
            ("stats", Some("lifetime")) => Some((&stats.lifetime, None)),
            ("stats", _) => return Err("window: today, interval, rolling or lifetime".into()),
            _ => None,
        };
        let mut failures = Vec::new();
        for pair in words.chunks(2) {
            let (key, expected) = (pair[0], pair[1]);
            let live = |actual: String| {
                (!same_word(expected, &actual))
                    .then(|| format!("expected {expected}, actual {actual}"))
            };
            let a = &stats.agents;
            let mismatch = match (kind, key, window) {
                ("queue", "waiting", _) => live(waiting.to_string()),
                ("queue", "ringing", _) => live(ringing.to_string()),
                ("queue", "oldest", _) => {
                    live(oldest.map_or("-".to_owned(), |t| time(t, self.start)))
                }
                ("agents", "logged_in", _) => live(a.logged_in.to_string()),
                ("agents", "ready", _) => live(a.ready.to_string()),
                ("agents", "ringing", _) => live(a.ringing.to_string()),
                ("agents", "on_call", _) => live(a.on_call.to_string()),
                ("agents", "wrap_up", _) => live(a.wrap_up.to_string()),
                ("agents", "not_ready", _) => live(a.not_ready.to_string()),
                ("agents", "places", _) => live(stats.places.staffed.to_string()),
                ("agents", "places_taken", _) => live(stats.places.taken.to_string()),
                ("agents", "holding", _) => live(stats.places.holding.to_string()),
                ("agents", _, _) if key.starts_with("not_ready.") => {
                    let reason = &key["not_ready.".len()..];
                    live(
                        a.not_ready_by_reason
                            .get(reason)
                            .copied()
                            .unwrap_or(0)
                            .to_string(),
                    )
                }
                ("stats", "from", Some((_, start))) => {
                    let start = start.ok_or("the lifetime window has no `from`")?;
                    let expected = self.instant(expected)?;
                    (start != expected).then(|| {
                        format!(
                            "expected {}, actual {}",
                            time(expected, self.start),
                            time(start, self.start)
                        )
                    })
                }
                ("stats", _, Some((figures, _))) => figure(figures, variant, key, expected)?,
                _ => return Err(format!("unknown key `{key}`")),
            };
            if let Some(mismatch) = mismatch {
                failures.push(format!("{key}: {mismatch}"));
            }
        }
        if failures.is_empty() {
            return Ok(());
        }
        let all = window.map_or(String::new(), |(f, _)| format!("\nall figures: {f:?}"));
        Err(format!("{kind} {rest}\n  {}{all}", failures.join("\n  ")))
    }

    fn instant(&self, text: &str) -> Result<Timestamp, String> {
        if let Some(relative) = text.strip_prefix('+') {
            return offset(self.now, parse_duration(relative)?);
        }
        if text.contains('T') && text.contains(':') {
            return Timestamp::from_str(text).map_err(|e| format!("bad instant `{text}`: {e}"));
        }
        offset(self.start, parse_duration(text)?)
    }
}

/// Compares an agent or call view with a pattern: the status words exactly, then each
/// `key value` given.
fn compare_view(
    what: &str,
    status: &str,
    fields: &[(&str, String)],
    pattern: &str,
) -> Result<(), String> {
    let actual = std::iter::once(status.to_owned())
        .chain(fields.iter().map(|(k, v)| format!("{k} {v}")))
        .collect::<Vec<_>>()
        .join(" ");
    let words: Vec<&str> = pattern.split_whitespace().collect();
    let is_key = |w: &str| fields.iter().any(|(k, _)| *k == w);
    let split = words.iter().position(|w| is_key(w)).unwrap_or(words.len());
    let status_words: Vec<&str> = status.split_whitespace().collect();
    let mut ok = status_words.len() == split
        && status_words
            .iter()
            .zip(&words[..split])
            .all(|(a, e)| same_word(e, a));
    let mut rest = &words[split..];
    while ok && !rest.is_empty() {
        let key = rest[0];
        let end = rest[1..]
            .iter()
            .position(|w| is_key(w))
            .map_or(rest.len(), |p| p + 1);
        let expected = &rest[1..end];
        let value = &fields.iter().find(|(k, _)| *k == key).unwrap().1;
        let value: Vec<&str> = value.split_whitespace().collect();
        ok = value.len() == expected.len()
            && value.iter().zip(expected).all(|(a, e)| same_word(e, a));
        rest = &rest[end..];
    }
    if ok {
        Ok(())
    } else {
        Err(format!("{what}: expected `{pattern}`\n  actual `{actual}`"))
    }
}

/// Checks one statistics figure; returns what is wrong, if anything.
fn figure(
    f: &Figures,
    variant: ServiceLevelVariant,
    key: &str,
    expected: &str,
) -> Result<Option<String>, String> {
    let count = |actual: u64| {
        let wanted = match key.ends_with("_ms") {
            true => parse_duration(expected).or_else(|_| expected.parse::<i64>()),
            false => expected.parse::<i64>(),
        };
        (wanted != Ok(actual as i64)).then(|| format!("expected {expected}, actual {actual}"))
    };
    let ratio = |actual: Option<f64>| match (expected, actual) {
        ("-", None) => None,
        ("-", Some(a)) => Some(format!("expected no figure, actual {a}")),
        (_, None) => Some(format!("expected {expected}, actual no figure")),
        (_, Some(a)) => {
            // rounded to the digits written, as a wallboard shows it
            let decimals = expected.split_once('.').map_or(0, |(_, d)| d.len()) as i32;
            let scale = 10f64.powi(decimals);
            let wanted: f64 = expected.parse().unwrap_or(f64::NAN);
            (((a * scale).round() - wanted * scale).abs() >= 1e-6)
                .then(|| format!("expected {expected}, actual {a}"))
        }
    };
    let percent = |r: Option<f64>| r.map(|r| r * 100.0);
    Ok(match key {
        "offered" => count(f.offered),
        "answered" => count(f.answered),
        "answered_within_threshold" => count(f.answered_within_threshold),
        "abandoned" => count(f.abandoned),
        "abandoned_within_threshold" => count(f.abandoned_within_threshold),
        "short_abandoned" => count(f.short_abandoned),
        "overflowed" => count(f.overflowed),
        "timed_out" => count(f.timed_out),
        "refused" => count(f.refused),
        "answer_wait_ms" => count(f.answer_wait_ms),
        "abandon_wait_ms" => count(f.abandon_wait_ms),
        "handled" => count(f.handled),
        "talk_ms" => count(f.talk_ms),
        "hold_ms" => count(f.hold_ms),
        "wrap_up_ms" => count(f.wrap_up_ms),
        "ready_idle_ms" => count(f.ready_idle_ms),
        "handling_ms" => count(f.handling_ms),
        "first_responses" => count(f.first_responses),
        "first_responses_within_threshold" => count(f.first_responses_within_threshold),
        "first_response_ms" => count(f.first_response_ms),
        "places_ms" => count(f.places_ms),
        "places_taken_ms" => count(f.places_taken_ms),
        "holding_ms" => count(f.holding_ms),
        "sl_first_response" => ratio(percent(f.first_response_service_level())),
        "afrt" => ratio(f.average_first_response()),
        "concurrency" => ratio(f.concurrency()),
        "capacity_occupancy" => ratio(percent(f.capacity_occupancy())),
        "sl" => ratio(percent(f.service_level(variant))),
        "sl_answered" => ratio(percent(f.service_level(ServiceLevelVariant::Answered))),
        "sl_offered" => ratio(percent(f.service_level(ServiceLevelVariant::Offered))),
        "sl_short_abandon_excluded" => ratio(percent(
            f.service_level(ServiceLevelVariant::ShortAbandonExcluded),
        )),
        "asa" => ratio(f.average_speed_of_answer()),
        "aht" => ratio(f.average_handle_time()),
        "abandon_rate" => ratio(percent(f.abandonment_rate())),
        "occupancy" => ratio(percent(f.occupancy())),
        _ => return Err(format!("unknown figure `{key}`")),
    })
}

/// Parses one command of the script language.
pub fn parse_command(text: &str) -> Result<Command, String> {
    parse_command_at(text, None)
}

/// Parses one command of the script language to run at `now`, which a call that `waited`
/// before it arrived needs.
pub fn parse_command_at(text: &str, now: Option<Timestamp>) -> Result<Command, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let word = |i: usize| -> Result<&str, String> {
        words
            .get(i)
            .copied()
            .ok_or_else(|| format!("`{text}`: missing word {}", i + 1))
    };
    let agent = || word(1).map(AgentId::new);
    let call2 = || word(2).map(CallId::new);
    let call1 = || word(1).map(CallId::new);
    let state = |state| -> Result<Command, String> {
        Ok(Command::SetState {
            agent: agent()?,
            state,
        })
    };
    Ok(match word(0)? {
        "login" => Command::Login { agent: agent()? },
        "ready" => state(RequestedState::Ready)?,
        "not_ready" => state(RequestedState::NotReady {
            reason: ReasonCode::new(word(2)?),
        })?,
        "logout" => state(RequestedState::LoggedOut)?,
        "clear_pending" => Command::ClearPending { agent: agent()? },
        "set_pending" => Command::SetPending {
            agent: agent()?,
            pending: match word(2)? {
                "logged_out" => PendingState::LoggedOut,
                "not_ready" => PendingState::NotReady {
                    reason: ReasonCode::new(word(3)?),
                },
                other => {
                    return Err(format!(
                        "`{text}`: set_pending A not_ready R|logged_out, not {other}"
                    ));
                }
            },
        },
        "accept" => Command::Accept {
            agent: agent()?,
            call: call2()?,
        },
        "reject" => Command::Reject {
            agent: agent()?,
            call: call2()?,
        },
        "hold" => Command::Hold {
            agent: agent()?,
            call: call2()?,
        },
        "resume" => Command::Resume {
            agent: agent()?,
            call: call2()?,
        },
        "hangup" => Command::Hangup {
            agent: agent()?,
            call: call2()?,
        },
        "end_wrap_up" => Command::EndWrapUp { agent: agent()? },
        // `consult A C with B`
        "consult" => Command::Consult {
            agent: agent()?,
            call: call2()?,
            to: match word(3)? {
                "with" => AgentId::new(word(4)?),
                _ => return Err(format!("`{text}`: consult A C with B")),
            },
        },
        "complete_transfer" | "conference" | "cancel_consult" => Command::ConsultStep {
            agent: agent()?,
            call: call2()?,
            step: match word(0)? {
                "complete_transfer" => ConsultStep::Transfer,
                "conference" => ConsultStep::Conference,
                _ => ConsultStep::Cancel,
            },
        },
        // `monitor A by SUPERVISOR listen|whisper|barge|off`
        "monitor" => Command::Monitor {
            agent: agent()?,
            supervisor: word(3)?.to_owned(),
            mode: match word(4)? {
                "off" => None,
                mode => Some(
                    MonitorMode::from_name(mode)
                        .ok_or_else(|| format!("`{text}`: listen|whisper|barge|off"))?,
                ),
            },
        },
        // `ticker by SUPERVISOR [TEXT]`: TEXT as a message (`_` a space, `x281`), with `\n`
        // and `\t` for a newline and a tab; none clears it.
        "ticker" => {
            if word(1)? != "by" {
                return Err(format!("`{text}`: ticker by SUPERVISOR [TEXT]"));
            }
            Command::SetTicker {
                by: word(2)?.to_owned(),
                text: words.get(3).map_or_else(String::new, |w| {
                    message_text(w).replace("\\n", "\n").replace("\\t", "\t")
                }),
            }
        }
        // `display NAME by SUPERVISOR [HASH]` (the hash `hash-NAME` unless given),
        // `revoke_display NAME by SUPERVISOR`
        "display" | "revoke_display" => {
            if word(2)? != "by" {
                return Err(format!("`{text}`: {} NAME by SUPERVISOR", word(0)?));
            }
            let (name, by) = (word(1)?.to_owned(), word(3)?.to_owned());
            if word(0)? == "display" {
                Command::CreateDisplay {
                    token_hash: words
                        .get(4)
                        .map_or_else(|| format!("hash-{name}"), |h| (*h).to_owned()),
                    name,
                    by,
                }
            } else {
                Command::RevokeDisplay { name, by }
            }
        }
        // `dispose A C [code|-] [notes_with_underscores]`
        "dispose" => Command::SetDisposition {
            agent: agent()?,
            call: call2()?,
            disposition: words
                .get(3)
                .filter(|w| **w != "-")
                .map(DispositionCode::new),
            notes: words.get(4).map_or_else(String::new, |w| message_text(w)),
        },
        "extend_wrap_up" => Command::ExtendWrapUp {
            agent: agent()?,
            by: Duration::from_millis(parse_duration(word(2)?)?.max(0) as u64),
        },
        "transfer" => {
            let target = match (word(3)?, word(4)?, word(5)?) {
                ("to", "queue", q) => TransferTarget::Queue(QueueId::new(q)),
                ("to", "agent", a) => TransferTarget::Agent(AgentId::new(a)),
                _ => return Err(format!("`{text}`: transfer A C to queue Q|agent B")),
            };
            Command::Transfer {
                agent: agent()?,
                call: call2()?,
                target,
            }
        }
        "call" => {
            if word(2)? != "in" {
                return Err(format!("`{text}`: call C in QUEUE ..."));
            }
            let mut priority = 0;
            let mut data = CallData::default();
            let mut arrived_at = None;
            let mut i = 4;
            while i < words.len() {
                match words[i] {
                    "waited" => {
                        let now = now.ok_or_else(|| format!("`{text}`: `waited` needs a time"))?;
                        let waited = parse_duration(word(i + 1)?)?;
                        arrived_at = Some(
                            Timestamp::from_millisecond(now.as_millisecond() - waited)
                                .map_err(|e| e.to_string())?,
                        );
                        i += 2;
                    }
                    "priority" => {
                        priority = word(i + 1)?.parse().map_err(|_| "bad priority")?;
                        i += 2;
                    }
                    "from" => {
                        data.caller = Some(word(i + 1)?.to_owned());
                        i += 2;
                    }
                    "dialled" => {
                        data.dialled = Some(word(i + 1)?.to_owned());
                        i += 2;
                    }
                    pair => {
                        let (k, v) = pair
                            .split_once('=')
                            .ok_or_else(|| format!("`{text}`: unknown `{pair}`"))?;
                        data.attached.insert(k.to_owned(), v.to_owned());
                        i += 1;
                    }
                }
            }
            Command::CallArrived {
                arrived_at,
                call: call1()?,
                queue: QueueId::new(word(3)?),
                priority,
                data,
            }
        }
        "answered" => Command::CallAnswered { call: call1()? },
        "ring_failed" => Command::RingFailed { call: call1()? },
        "device" => Command::SetDevice {
            agent: agent()?,
            device: match word(2)? {
                "available" => DeviceState::Available,
                "in_use" => DeviceState::InUse,
                "unregistered" => DeviceState::Unregistered,
                other => return Err(format!("`{text}`: unknown device state `{other}`")),
            },
        },
        "ended" => Command::CallEnded { call: call1()? },
        "set_priority" => Command::SetCallPriority {
            call: call1()?,
            priority: word(2)?.parse().map_err(|_| "bad priority")?,
        },
        "move" => {
            if word(2)? != "to" {
                return Err(format!("`{text}`: move C to QUEUE"));
            }
            Command::MoveCall {
                call: call1()?,
                queue: QueueId::new(word(3)?),
            }
        }
        "chat" => {
            if word(2)? != "in" {
                return Err(format!(
                    "`{text}`: chat K in QUEUE [via CHANNEL] [priority N] [says TEXT...]"
                ));
            }
            let mut priority = 0;
            let mut channel = None;
            let mut messages = Vec::new();
            let mut i = 4;
            while i < words.len() {
                match words[i] {
                    "priority" => {
                        priority = word(i + 1)?.parse().map_err(|_| "bad priority")?;
                        i += 2;
                    }
                    "via" => {
                        channel = Some(ChannelId::new(word(i + 1)?));
                        i += 2;
                    }
                    "says" => {
                        // `says hi*3`: three messages "hi".
                        let said = word(i + 1)?;
                        let (said, times) = match said.rsplit_once('*') {
                            Some((said, n)) => (said, n.parse().map_err(|_| "bad count")?),
                            None => (said, 1),
                        };
                        messages.extend(std::iter::repeat_n(message_text(said), times));
                        i += 2;
                    }
                    other => return Err(format!("`{text}`: unknown `{other}`")),
                }
            }
            Command::ConversationArrived {
                conversation: call1()?,
                queue: QueueId::new(word(3)?),
                channel,
                priority,
                data: CallData::default(),
                messages,
            }
        }
        "writes" => Command::CustomerWrote {
            conversation: call1()?,
            text: message_text(word(2)?),
        },
        "leaves" => Command::CustomerLeft {
            conversation: call1()?,
        },
        "take" => Command::AcceptConversation {
            agent: agent()?,
            conversation: call2()?,
        },
        "decline" => Command::RejectConversation {
            agent: agent()?,
            conversation: call2()?,
        },
        "reply" => Command::AgentWrote {
            agent: agent()?,
            conversation: call2()?,
            text: message_text(word(3)?),
        },
        "pass" => {
            let target = match (word(3)?, word(4)?, word(5)?) {
                ("to", "queue", q) => TransferTarget::Queue(QueueId::new(q)),
                ("to", "agent", a) => TransferTarget::Agent(AgentId::new(a)),
                _ => return Err(format!("`{text}`: pass A K to queue Q|agent B")),
            };
            Command::TransferConversation {
                agent: agent()?,
                conversation: call2()?,
                target,
            }
        }
        "close" => Command::CloseConversation {
            agent: agent()?,
            conversation: call2()?,
        },
        "done" => Command::EndConversationWrapUp {
            agent: agent()?,
            conversation: call2()?,
        },
        other => return Err(format!("unknown command or assertion `{other}`")),
    })
}

/// A message in a script is one word: `_` stands for a space, `x5000` for 5,000 x's.
fn message_text(word: &str) -> String {
    match word.strip_prefix('x').and_then(|n| n.parse::<usize>().ok()) {
        Some(n) => "x".repeat(n),
        None => word.replace('_', " "),
    }
}

/// One event as the words a script matches against:
///
/// | event | words |
/// | --- | --- |
/// | AgentStatusChanged | `ready a`, `not_ready a break`, `logged_out a`, `ringing a c1`, `on_call a c1`, `on_hold a c1`, `consult_ringing b c1`, `consulted b c1`, `wrap_up a c1 until 85s`, each followed by `was PREVIOUS` and, once the agent's phone was reported, `device available|in_use|unregistered` |
/// | PendingStateChanged | `pending a not_ready break`, `pending a logged_out`, `pending a cleared` |
/// | CallQueued | `queued c1 in support` |
/// | CallOffered | `offered c1 to a in support until 32s priority 0 [from N] [dialled N] [k=v]` |
/// | OfferEnded | `offer_ended c1 at a rejected|ring_no_answer|caller_hung_up` |
/// | CallConnected | `connected c1 to a in support` |
/// | CallHeld, CallResumed | `held c1 by a`, `resumed c1 by a` |
/// | CallTransferred | `transferred c1 from a to queue sales`, `... to agent b` |
/// | CallOverflowed | `overflowed c1 from support to sales max_wait|escalation|moved` |
/// | CallPriorityChanged | `priority c1 5` |
/// | CallLeft | `left c1 from support completed|abandoned|timed_out|refused` |
/// | ConsultChanged | `consult c1 of a with b ringing until 32s`, `consult c1 of a with b talking|conference`, `consult c1 of a with b ended cancelled|rejected|ring_no_answer|left|transferred|call_ended` |
/// | MonitorChanged | `monitor c1 of a by sup listen|whisper|barge`, `unmonitor c1 of a by sup ended|call_left` |
/// | CallHandled | `handled c1 by a [disposition resolved] [notes two_words]` |
/// | TickerChanged | `ticker set Two_words by sup at 5s`, `ticker cleared by sup at 9s` |
/// | DisplayCreated, DisplayRevoked | `display_created lobby by sup`, `display_revoked lobby by sup` |
/// | QueueChanged | `changed support` |
pub fn render_event(event: &Event, start: Timestamp) -> String {
    match event {
        Event::AgentStatusChanged {
            agent,
            status,
            previous,
            device,
            ..
        } => {
            let status = match status {
                AgentStatus::LoggedOut => format!("logged_out {agent}"),
                AgentStatus::NotReady { reason } => format!("not_ready {agent} {reason}"),
                AgentStatus::Ready => format!("ready {agent}"),
                AgentStatus::Ringing { call } => format!("ringing {agent} {call}"),
                AgentStatus::OnCall {
                    call,
                    on_hold: false,
                } => format!("on_call {agent} {call}"),
                AgentStatus::OnCall {
                    call,
                    on_hold: true,
                } => format!("on_hold {agent} {call}"),
                AgentStatus::WrapUp { call, deadline } => {
                    format!("wrap_up {agent} {call} until {}", time(*deadline, start))
                }
                AgentStatus::Consulted {
                    call,
                    ringing: true,
                } => format!("consult_ringing {agent} {call}"),
                AgentStatus::Consulted {
                    call,
                    ringing: false,
                } => format!("consulted {agent} {call}"),
            };
            match device {
                Some(device) => format!("{status} was {previous} device {}", device.name()),
                None => format!("{status} was {previous}"),
            }
        }
        Event::PendingStateChanged { agent, pending } => match pending {
            None => format!("pending {agent} cleared"),
            Some(p) => format!("pending {agent} {}", render_pending(p)),
        },
        Event::CallQueued { call, queue, .. } => format!("queued {call} in {queue}"),
        Event::CallOffered {
            call,
            agent,
            queue,
            ring_deadline,
            priority,
            data,
        } => {
            let mut s = format!(
                "offered {call} to {agent} in {queue} until {} priority {priority}",
                time(*ring_deadline, start)
            );
            if let Some(caller) = &data.caller {
                write!(s, " from {caller}").unwrap();
            }
            if let Some(dialled) = &data.dialled {
                write!(s, " dialled {dialled}").unwrap();
            }
            for (k, v) in &data.attached {
                write!(s, " {k}={v}").unwrap();
            }
            s
        }
        Event::OfferEnded {
            call,
            agent,
            reason,
        } => format!("offer_ended {call} at {agent} {}", reason.name()),
        Event::CallConnected { call, agent, queue } => {
            format!("connected {call} to {agent} in {queue}")
        }
        Event::CallHandled {
            agent,
            call,
            disposition,
            notes,
            ..
        } => {
            let mut words = format!("handled {call} by {agent}");
            if let Some(code) = disposition {
                words.push_str(&format!(" disposition {code}"));
            }
            if let Some(notes) = notes {
                words.push_str(&format!(" notes {}", notes.replace(' ', "_")));
            }
            words
        }
        Event::MonitorChanged {
            agent,
            call,
            supervisor,
            mode,
            ended,
        } => match (mode, ended) {
            (Some(mode), _) => format!("monitor {call} of {agent} by {supervisor} {}", mode.name()),
            (None, end) => format!(
                "unmonitor {call} of {agent} by {supervisor} {}",
                end.map_or("?", MonitorEnd::name)
            ),
        },
        Event::ConsultChanged {
            call,
            agent,
            with,
            status,
            ended,
            ..
        } => match (status, ended) {
            (Some(ConsultStatus::Ringing { ring_deadline }), _) => format!(
                "consult {call} of {agent} with {with} ringing until {}",
                time(*ring_deadline, start)
            ),
            (Some(status), _) => format!("consult {call} of {agent} with {with} {}", status.name()),
            (None, end) => format!(
                "consult {call} of {agent} with {with} ended {}",
                end.map_or("?", ConsultEnd::name)
            ),
        },
        Event::TickerChanged { text, by, at } => match text {
            Some(text) => format!(
                "ticker set {} by {by} at {}",
                text.replace(' ', "_"),
                time(*at, start)
            ),
            None => format!("ticker cleared by {by} at {}", time(*at, start)),
        },
        Event::DisplayCreated { name, by } => format!("display_created {name} by {by}"),
        Event::DisplayRevoked { name, by } => format!("display_revoked {name} by {by}"),
        Event::CallHeld { call, agent } => format!("held {call} by {agent}"),
        Event::CallResumed { call, agent } => format!("resumed {call} by {agent}"),
        Event::CallTransferred { call, from, to } => match to {
            TransferTarget::Queue(q) => format!("transferred {call} from {from} to queue {q}"),
            TransferTarget::Agent(a) => format!("transferred {call} from {from} to agent {a}"),
        },
        Event::CallOverflowed {
            call,
            from,
            to,
            reason,
        } => format!("overflowed {call} from {from} to {to} {}", reason.name()),
        Event::CallPriorityChanged { call, priority } => format!("priority {call} {priority}"),
        Event::CallLeft {
            call,
            queue,
            reason,
        } => format!("left {call} from {queue} {}", reason.name()),
        Event::QueueChanged { queue, .. } => format!("changed {queue}"),
        Event::ConversationArrived {
            conversation,
            queue,
            channel,
            priority,
            transcript,
            ..
        } => format!(
            "chat_arrived {conversation} in {queue} {channel} priority {priority} messages {}",
            transcript.len()
        ),
        Event::ConversationQueued {
            conversation,
            queue,
        } => format!("chat_queued {conversation} in {queue}"),
        Event::ConversationOffered {
            conversation,
            agent,
            queue,
            channel,
            offer_deadline,
            priority,
            transcript,
            ..
        } => format!(
            "chat_offered {conversation} to {agent} in {queue} {channel} until {} priority {priority} messages {}",
            time(*offer_deadline, start),
            transcript.len()
        ),
        Event::ConversationOfferEnded {
            conversation,
            agent,
            reason,
        } => format!(
            "chat_offer_ended {conversation} at {agent} {}",
            reason.name()
        ),
        Event::ConversationAccepted {
            conversation,
            agent,
            queue,
        } => format!("chat_accepted {conversation} by {agent} in {queue}"),
        Event::MessageAdded {
            conversation,
            agent,
            number,
            message,
        } => {
            let from = match &message.from {
                Author::Customer => "customer".to_owned(),
                Author::Agent(agent) => agent.to_string(),
            };
            let to = agent
                .as_ref()
                .map_or("nobody".to_owned(), |a| a.to_string());
            format!(
                "message {conversation} {number} from {from} to {to} {}",
                message.text.replace(' ', "_")
            )
        }
        Event::ConversationTransferred {
            conversation,
            from,
            to,
        } => match to {
            TransferTarget::Queue(q) => {
                format!("chat_transferred {conversation} from {from} to queue {q}")
            }
            TransferTarget::Agent(a) => {
                format!("chat_transferred {conversation} from {from} to agent {a}")
            }
        },
        Event::ConversationOverflowed {
            conversation,
            from,
            to,
            reason,
        } => format!(
            "chat_overflowed {conversation} from {from} to {to} {}",
            reason.name()
        ),
        Event::ConversationPriorityChanged {
            conversation,
            priority,
        } => format!("chat_priority {conversation} {priority}"),
        Event::ConversationClosed {
            conversation,
            agent,
            by,
            wrap_up_deadline,
        } => {
            let by = match by {
                Author::Customer => "customer".to_owned(),
                Author::Agent(agent) => agent.to_string(),
            };
            let wrap_up = wrap_up_deadline.map_or("none".to_owned(), |d| time(d, start));
            format!("chat_closed {conversation} at {agent} by {by} wrap_up {wrap_up}")
        }
        Event::ConversationLeft {
            conversation,
            queue,
            reason,
        } => format!("chat_left {conversation} from {queue} {}", reason.name()),
    }
}

fn render_pending(pending: &PendingState) -> String {
    match pending {
        PendingState::NotReady { reason } => format!("not_ready {reason}"),
        PendingState::LoggedOut => "logged_out".to_owned(),
    }
}

/// A pattern matches an event when the first words are equal and the pattern's other words
/// appear in the event in order.
fn matches(pattern: &str, event: &str) -> bool {
    let mut pattern = pattern.split_whitespace();
    let mut event = event.split_whitespace();
    if pattern.next() != event.next() {
        return false;
    }
    pattern.all(|p| event.any(|e| same_word(p, e)))
}

/// Words are equal, or both are times of the same length.
fn same_word(expected: &str, actual: &str) -> bool {
    expected == actual
        || matches!(
            (parse_duration(expected), parse_duration(actual)),
            (Ok(a), Ok(b)) if a == b
        )
}

fn split_first(line: &str) -> (&str, &str) {
    let line = line.trim();
    match line.split_once(char::is_whitespace) {
        Some((first, rest)) => (first, rest.trim()),
        None => (line, ""),
    }
}

fn offset(from: Timestamp, ms: i64) -> Result<Timestamp, String> {
    Timestamp::from_millisecond(from.as_millisecond() + ms).map_err(|e| e.to_string())
}

/// A setup duration such as `30s`.
pub fn duration(text: &str) -> Duration {
    let ms = parse_duration(text).unwrap_or_else(|e| panic!("{e}"));
    Duration::from_millis(u64::try_from(ms).expect("a positive duration"))
}

/// Milliseconds in `1h2m3.5s`, `500ms` or `-9h`; every part needs a unit.
pub fn parse_duration(text: &str) -> Result<i64, String> {
    let bad = || format!("bad time `{text}`");
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = 0f64;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .ok_or_else(bad)?;
        if digits == 0 {
            return Err(bad());
        }
        let number: f64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, len) = if rest.starts_with("ms") {
            (1.0, 2)
        } else if rest.starts_with('h') {
            (3_600_000.0, 1)
        } else if rest.starts_with('m') {
            (60_000.0, 1)
        } else if rest.starts_with('s') {
            (1000.0, 1)
        } else {
            return Err(bad());
        };
        total += number * unit;
        rest = &rest[len..];
    }
    let ms = total.round() as i64;
    Ok(if negative { -ms } else { ms })
}

/// An instant as an offset from the start: seconds below an hour (`85s`, `12.5s`), else
/// `1h2m3s`.
pub fn time(t: Timestamp, start: Timestamp) -> String {
    let ms = t.as_millisecond() - start.as_millisecond();
    let sign = if ms < 0 { "-" } else { "" };
    let ms = ms.unsigned_abs();
    let secs = |ms: u64| {
        if ms.is_multiple_of(1000) {
            format!("{}s", ms / 1000)
        } else {
            format!("{}.{:03}s", ms / 1000, ms % 1000)
        }
    };
    if ms < 3_600_000 {
        return format!("{sign}{}", secs(ms));
    }
    let (h, m, rest) = (ms / 3_600_000, ms / 60_000 % 60, ms % 60_000);
    let mut s = format!("{sign}{h}h");
    if m > 0 {
        write!(s, "{m}m").unwrap();
    }
    if rest > 0 {
        s.push_str(&secs(rest));
    }
    s
}
