//! What a tenant's ACD is configured with. Plain data: the TOML loader in `acdhub::config` builds it
//! and checks everything [`Config::validate`] does not.

use std::time::Duration;

use jiff::tz::TimeZone;

use super::ids::{AgentId, ChannelId, DispositionCode, QueueId, ReasonCode};

/// The most conversations of one channel an agent may hold at once (Amazon Connect's limit).
pub const MAX_CAPACITY: u8 = 10;

/// The highest skill level. Levels run from 1 (can take the call) to 5 (expert), as Amazon
/// Connect's proficiencies do; skills-based routing prefers the highest.
pub const MAX_SKILL: u8 = 5;

/// Everything one tenant's ACD needs to route and count.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Config {
    /// The tenant's name as people read it (a wallboard's title); its id when the file gives
    /// none.
    #[serde(default)]
    pub name: String,
    /// Where "today" starts: statistics roll over at local midnight in this zone.
    #[serde(with = "jiff::fmt::serde::tz::required")]
    pub time_zone: TimeZone,
    pub queues: Vec<QueueConfig>,
    pub agents: Vec<AgentConfig>,
    /// Reasons an agent may give for not being ready (break, lunch...). The system reasons in
    /// [`ReasonCode::SYSTEM`] are always known and may not be configured again.
    pub not_ready_reasons: Vec<ReasonConfig>,
    pub routing: RoutingConfig,
    /// The messaging channels the tenant routes beside voice; empty for a voice-only tenant.
    #[serde(default)]
    pub channels: Vec<ChannelConfig>,
    /// When the supervisor's console highlights an agent: too long in a state.
    #[serde(default)]
    pub alerts: AgentAlerts,
    /// What the pages call the keys of a call's attached data (`customer` -> "Customer no."),
    /// in the order they list them; a key not named here shows as itself.
    #[serde(default)]
    pub data_labels: Vec<(String, String)>,
    /// What the tenant's telephony connector can carry out beyond blind transfer.
    #[serde(default)]
    pub telephony: TelephonyFeatures,
}

/// Call features a telephony connector may or may not carry out: the ACD offers them (and the
/// WebAgent shows their controls) only where the tenant's configuration says it does. Blind
/// transfer needs nothing and is always there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TelephonyFeatures {
    /// Consultation (warm) transfer: the connector places a consultation call from the agent
    /// to another agent while the caller is on hold, and hands the caller over.
    pub consult: bool,
    /// Conference: the connector bridges caller and both agents. Needs `consult`.
    pub conference: bool,
}

/// How long an agent may be in a state before the console highlights it; `None`: never.
/// Shown, never routed by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AgentAlerts {
    pub not_ready_secs: Option<u32>,
    pub wrap_up_secs: Option<u32>,
    pub hold_secs: Option<u32>,
}

/// A messaging channel: chat, SMS, messenger, email. Its conversations wait in the queues that
/// name it and go to agents with a free place for it, several at once (Twilio TaskRouter's
/// channel capacity, Amazon Connect's routing profile).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelConfig {
    pub id: ChannelId,
    /// What the agent's page and the wallboards show.
    pub name: String,
    /// How many of its conversations an agent holds at once (offered, open or in wrap-up),
    /// unless the agent's own configuration says otherwise. 1 to [`MAX_CAPACITY`].
    pub capacity: u8,
    /// While an agent holds a conversation of this channel it is offered no work of another
    /// channel, voice included (Amazon Connect's "don't offer other channels"). Whether it may
    /// be offered one of this channel's conversations while on a call is the other direction,
    /// [`RoutingConfig::voice_exclusive`].
    pub exclusive: bool,
}

impl ChannelConfig {
    /// A channel of up to three conversations at once that lets calls through.
    pub fn new(id: impl Into<ChannelId>) -> ChannelConfig {
        let id = id.into();
        ChannelConfig {
            name: id.to_string(),
            id,
            capacity: 3,
            exclusive: false,
        }
    }
}

/// Tenant-wide routing rules that belong to agents rather than to a queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RoutingConfig {
    /// How long an agent who rejected an offer, let it ring out, or transferred a call to a
    /// queue, gets no new offer, so the same call does not bounce straight back to the same agent
    /// (FreeSWITCH's reject delay).
    pub reject_delay: Duration,
    /// After this many ring-no-answers in a row an agent is made not ready with reason
    /// `no_answer` (Asterisk's autopause, FreeSWITCH's max-no-answer). 0 turns it off.
    pub max_ring_no_answer: u32,
    /// The longest an agent may extend a wrap-up by in one request.
    pub max_wrap_up_extension: Duration,
    /// The length of the rolling statistics window.
    pub rolling_window: Duration,
    /// While an agent is ringing, on a call or in its wrap-up, it is offered no conversation.
    /// Off, a ready agent on a call still takes chats up to its capacity.
    #[serde(default = "yes")]
    pub voice_exclusive: bool,
    /// Conversations in the tenant's ACD at most (waiting, offered, open or in wrap-up), each
    /// with its transcript of up to 128 KiB: one more is refused like one at a full queue.
    #[serde(default = "default_max_conversations")]
    pub max_conversations: u32,
}

fn yes() -> bool {
    true
}

/// [`RoutingConfig::max_conversations`] unless set: at 1,000 agents holding three chats each a
/// third of it, and at most 1.25 GiB of transcripts should every one reach its limit.
pub const DEFAULT_MAX_CONVERSATIONS: u32 = 10_000;

fn default_max_conversations() -> u32 {
    DEFAULT_MAX_CONVERSATIONS
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            reject_delay: Duration::from_secs(5),
            max_ring_no_answer: 3,
            max_wrap_up_extension: Duration::from_secs(600),
            rolling_window: Duration::from_secs(15 * 60),
            voice_exclusive: true,
            max_conversations: DEFAULT_MAX_CONVERSATIONS,
        }
    }
}

/// A not-ready reason an agent can pick.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ReasonConfig {
    pub code: ReasonCode,
    /// What the agent's reason picker shows.
    pub label: String,
}

/// How a queue picks among the agents free to take its call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Strategy {
    /// The agent who has been ready the longest (FreeSWITCH's default, fairest for agents).
    #[default]
    LongestIdle,
    /// The next agent after the last one offered, in the queue's member order (Asterisk rrmemory).
    RoundRobin,
    /// The agent who answered the fewest of this queue's calls today, then the longest idle.
    FewestCalls,
    /// The agent with the least talk time on this queue's calls today, then the longest idle.
    LeastTalkTime,
    /// The agent with the highest skill level for the queue, then the longest idle.
    SkillsBased,
}

impl Strategy {
    pub const ALL: [Strategy; 5] = [
        Strategy::LongestIdle,
        Strategy::RoundRobin,
        Strategy::FewestCalls,
        Strategy::LeastTalkTime,
        Strategy::SkillsBased,
    ];

    /// The name used in configuration and on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::LongestIdle => "longest_idle",
            Strategy::RoundRobin => "round_robin",
            Strategy::FewestCalls => "fewest_calls",
            Strategy::LeastTalkTime => "least_talk_time",
            Strategy::SkillsBased => "skills_based",
        }
    }

    pub fn from_name(name: &str) -> Option<Strategy> {
        Strategy::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Which service-level formula a queue reports. The name goes on the wire and in config so that
/// everyone reading a percentage knows what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum ServiceLevelVariant {
    /// Answered within T / answered (Asterisk ServicelevelPerf).
    #[default]
    Answered,
    /// (Answered within T + abandoned within T) / (answered + abandoned) (Asterisk ServicelevelPerf2).
    Offered,
    /// Answered within T / (answered + abandoned after T).
    ShortAbandonExcluded,
}

impl ServiceLevelVariant {
    pub const ALL: [ServiceLevelVariant; 3] = [
        ServiceLevelVariant::Answered,
        ServiceLevelVariant::Offered,
        ServiceLevelVariant::ShortAbandonExcluded,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ServiceLevelVariant::Answered => "answered",
            ServiceLevelVariant::Offered => "offered",
            ServiceLevelVariant::ShortAbandonExcluded => "short_abandon_excluded",
        }
    }

    pub fn from_name(name: &str) -> Option<ServiceLevelVariant> {
        ServiceLevelVariant::ALL
            .into_iter()
            .find(|v| v.name() == name)
    }
}

/// A queue's service-level objective: `target_percent` of calls answered within `threshold`.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ServiceLevelConfig {
    /// T: a call answered within this wait counts as answered in service level.
    pub threshold: Duration,
    /// The percentage the contact center aims for, shown beside the figure (e.g. 80.0).
    pub target_percent: f64,
    pub variant: ServiceLevelVariant,
    /// Callers who hang up faster than this count nowhere: not in service level, not in the
    /// abandonment rate (they are counted as `short_abandoned`).
    pub short_abandon: Option<Duration>,
    /// A queue of conversations: a first reply within this time after the conversation began
    /// counts in the first-response service level; `None` uses `threshold`.
    #[serde(default)]
    pub first_response: Option<Duration>,
}

impl ServiceLevelConfig {
    /// The first-response threshold: its own, or the queue's service-level threshold.
    pub fn first_response_threshold(&self) -> Duration {
        self.first_response.unwrap_or(self.threshold)
    }
}

/// What happens to a call that has waited a queue's maximum time.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MaxWait {
    pub after: Duration,
    /// Where the call goes; with no target the call leaves as timed out (the PBX plays its
    /// announcement or voicemail).
    pub overflow_to: Option<QueueId>,
}

/// A step of time-based escalation: after a call has waited `after` in the queue, the queue takes
/// agents of lower skill for it, or sends it on to another queue. The caller keeps their place.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct EscalationStep {
    pub after: Duration,
    pub action: Escalation,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Escalation {
    /// From now on agents with at least this skill level may take the call.
    Widen { min_skill: u8 },
    /// Move the call to another queue, ahead of callers who arrived after it.
    Overflow { to: QueueId },
}

/// One queue (group) and its rules.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct QueueConfig {
    pub id: QueueId,
    /// The name wallboards show.
    pub name: String,
    pub strategy: Strategy,
    pub service_level: ServiceLevelConfig,
    pub max_wait: Option<MaxWait>,
    /// Calls beyond this many waiting are refused (the PBX plays its busy treatment).
    pub max_queue_length: Option<u32>,
    /// How long an offer rings before it counts as ring-no-answer and goes back to the queue.
    pub ring_timeout: Duration,
    /// How long an agent stays in wrap-up after a call of this queue.
    pub wrap_up: Duration,
    /// When an agent serves several queues, a call's wait is multiplied by its queue's weight
    /// before the longest is picked (Asterisk's queue weight). At least 1.
    pub priority_weight: u32,
    /// The lowest skill level an agent needs to be offered a new call of this queue.
    pub min_skill: u8,
    /// Steps in increasing order of `after`.
    pub escalation: Vec<EscalationStep>,
    /// The messaging channel whose conversations this entry routes; `None` for calls. A queue
    /// that serves several channels is configured as one entry per channel (a lane), sharing
    /// the id and the name: each lane has its own waiting work, available agents and figures,
    /// and an agent with a skill in the queue is a member of every lane. Every queue a lane
    /// overflows or escalates to must have a lane of the same channel.
    #[serde(default)]
    pub channel: Option<ChannelId>,
    /// The codes an agent may give a call of this queue it handled (resolved, callback...),
    /// in the order the wrap-up panel lists them; empty: the queue asks for none.
    #[serde(default)]
    pub dispositions: Vec<DispositionConfig>,
    /// A wrap-up of this queue's call cannot be ended by the agent before a disposition is
    /// given (its deadline still ends it: the call is then counted without one).
    #[serde(default)]
    pub disposition_required: bool,
    /// Where the wallboards and the console colour this queue's figures: shown, not routed by.
    #[serde(default)]
    pub thresholds: Thresholds,
}

/// A queue's alert levels for the displays, each `[warning, alarm]`; `None` where the queue
/// sets none (the oldest wait then uses the service level's threshold and twice it).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Thresholds {
    /// Calls waiting now.
    pub waiting: Option<[u32; 2]>,
    /// The longest wait now, in seconds.
    pub oldest_wait_secs: Option<[u32; 2]>,
    /// Today's abandonment rate, in percent.
    pub abandonment_percent: Option<[f64; 2]>,
}

/// A disposition (wrap-up) code of a queue.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct DispositionConfig {
    pub code: DispositionCode,
    /// What the wrap-up panel shows.
    pub label: String,
}

/// What reports call a handling without a disposition (the `disposition` label of the
/// metrics): no queue may have a code of this name.
pub const NO_DISPOSITION: &str = "none";

/// The most attached-data keys `data_labels` may name.
pub const MAX_DATA_LABELS: usize = 100;

/// The most disposition codes one queue may have.
pub const MAX_DISPOSITIONS: usize = 100;
/// The most characters an agent's notes on one call may hold.
pub const MAX_NOTES_CHARS: usize = 2000;

/// The name of the channel of calls, for a queue that names no messaging channel: on the wire,
/// in metrics and in reports.
pub const VOICE: &str = "voice";

impl QueueConfig {
    /// What the queue routes, by name: its messaging channel's id, or [`VOICE`].
    pub fn channel_name(&self) -> &str {
        self.channel.as_ref().map_or(VOICE, ChannelId::as_str)
    }

    /// A queue with common defaults: longest idle, 80 % in 20 s, 30 s ring, no wrap-up.
    pub fn new(id: impl Into<QueueId>) -> QueueConfig {
        let id = id.into();
        QueueConfig {
            name: id.to_string(),
            id,
            strategy: Strategy::LongestIdle,
            service_level: ServiceLevelConfig {
                threshold: Duration::from_secs(20),
                target_percent: 80.0,
                variant: ServiceLevelVariant::Answered,
                short_abandon: None,
                first_response: None,
            },
            max_wait: None,
            max_queue_length: None,
            ring_timeout: Duration::from_secs(30),
            wrap_up: Duration::ZERO,
            priority_weight: 1,
            min_skill: 1,
            escalation: Vec::new(),
            channel: None,
            dispositions: Vec::new(),
            disposition_required: false,
            thresholds: Thresholds::default(),
        }
    }
}

/// An agent and the queues it serves.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct AgentConfig {
    pub id: AgentId,
    pub name: String,
    /// The queues this agent takes calls from, each with the agent's skill level (1 to 5) there.
    /// The order matters to round-robin queues only.
    pub skills: Vec<(QueueId, u8)>,
    /// The agent's own capacity for a channel, in place of the channel's: 0 to
    /// [`MAX_CAPACITY`], where 0 keeps its conversations away from this agent.
    #[serde(default)]
    pub capacity: Vec<(ChannelId, u8)>,
}

/// A configuration the core cannot run with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{what}: {problem}")]
pub struct ConfigError {
    /// Where the problem is, e.g. `queues[2].escalation[0].overflow_to` or `agents[7].skills.sales`.
    pub what: String,
    pub problem: String,
}

impl Config {
    /// Checks the rules the core relies on. The TOML loader calls this and maps `what` back to a
    /// line of the file.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let err = |what: String, problem: &str| ConfigError {
            what,
            problem: problem.to_owned(),
        };
        if self.telephony.conference && !self.telephony.consult {
            return Err(err(
                "telephony.conference".to_owned(),
                "a conference starts from a consultation: needs `consult = true`",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        for (i, c) in self.channels.iter().enumerate() {
            let at = |field: &str| format!("channels[{i}].{field}");
            if !seen.insert(c.id.to_string()) {
                return Err(err(at("id"), "duplicate channel id"));
            }
            if c.id.as_str() == VOICE {
                return Err(err(
                    at("id"),
                    "`voice` is the channel of queues that name none; a messaging channel needs another id",
                ));
            }
            if !(1..=MAX_CAPACITY).contains(&c.capacity) {
                return Err(err(at("capacity"), "must be between 1 and 10"));
            }
        }
        // A queue that serves several channels is listed once per channel (a lane): the
        // entries share the id and the name and differ in the channel.
        let mut lanes = std::collections::HashSet::new();
        let mut name_of = std::collections::HashMap::new();
        for (i, q) in self.queues.iter().enumerate() {
            if !lanes.insert((&q.id, &q.channel)) {
                return Err(err(format!("queues[{i}].id"), "duplicate queue id"));
            }
            if *name_of.entry(&q.id).or_insert(&q.name) != &q.name {
                return Err(err(
                    format!("queues[{i}].name"),
                    "the lanes of a queue (its entries for each channel) share its name",
                ));
            }
        }
        let queue_ids: std::collections::HashSet<&QueueId> =
            self.queues.iter().map(|q| &q.id).collect();
        let known = |id: &QueueId| queue_ids.contains(id);
        for (i, q) in self.queues.iter().enumerate() {
            let at = |field: &str| format!("queues[{i}].{field}");
            if q.priority_weight == 0 {
                return Err(err(at("priority_weight"), "must be at least 1"));
            }
            if let Some(channel) = &q.channel {
                if !self.channels.iter().any(|c| &c.id == channel) {
                    return Err(err(at("channel"), "names no configured channel"));
                }
            }
            // Work overflows to the lane of its own channel, which the target must serve.
            let same_channel = |to: &QueueId| !known(to) || lanes.contains(&(to, &q.channel));
            if !(1..=MAX_SKILL).contains(&q.min_skill) {
                return Err(err(at("min_skill"), "must be between 1 and 5"));
            }
            if q.ring_timeout.is_zero() {
                return Err(err(at("ring_timeout"), "must be more than 0 seconds"));
            }
            let sl = &q.service_level;
            if !(0.0..=100.0).contains(&sl.target_percent) {
                return Err(err(
                    at("service_level.target_percent"),
                    "must be between 0 and 100",
                ));
            }
            if let Some(max) = &q.max_wait {
                if max.after.is_zero() {
                    return Err(err(at("max_wait.after"), "must be more than 0 seconds"));
                }
                match &max.overflow_to {
                    Some(to) if !known(to) => {
                        return Err(err(at("max_wait.overflow_to"), "names no configured queue"));
                    }
                    Some(to) if to == &q.id => {
                        return Err(err(
                            at("max_wait.overflow_to"),
                            "a queue cannot overflow to itself",
                        ));
                    }
                    Some(to) if !same_channel(to) => {
                        return Err(err(
                            at("max_wait.overflow_to"),
                            "names a queue of another channel",
                        ));
                    }
                    _ => {}
                }
            }
            let ordered = |pair: Option<[f64; 2]>| pair.is_none_or(|[warn, alarm]| warn <= alarm);
            let t = &q.thresholds;
            if !ordered(t.waiting.map(|[w, a]| [w as f64, a as f64])) {
                return Err(err(
                    at("thresholds.waiting"),
                    "the warning must not be above the alarm",
                ));
            }
            if !ordered(t.oldest_wait_secs.map(|[w, a]| [w as f64, a as f64])) {
                return Err(err(
                    at("thresholds.oldest_wait_secs"),
                    "the warning must not be above the alarm",
                ));
            }
            if let Some(pair) = t.abandonment_percent
                && (!ordered(Some(pair)) || pair.iter().any(|p| !(0.0..=100.0).contains(p)))
            {
                return Err(err(
                    at("thresholds.abandonment_percent"),
                    "two percentages from 0 to 100, the warning not above the alarm",
                ));
            }
            if q.dispositions.len() > MAX_DISPOSITIONS {
                return Err(err(at("dispositions"), "may hold at most 100 codes"));
            }
            let mut codes = std::collections::HashSet::new();
            for (j, d) in q.dispositions.iter().enumerate() {
                if d.code.as_str() == NO_DISPOSITION {
                    return Err(err(
                        format!("queues[{i}].dispositions[{j}].code"),
                        "`none` is what reports call a call without a disposition",
                    ));
                }
                if !codes.insert(&d.code) {
                    return Err(err(
                        format!("queues[{i}].dispositions[{j}].code"),
                        "duplicate disposition code",
                    ));
                }
            }
            if q.disposition_required && q.dispositions.is_empty() {
                return Err(err(
                    at("disposition_required"),
                    "needs the queue's dispositions to choose from",
                ));
            }
            if q.disposition_required && q.wrap_up.is_zero() {
                return Err(err(
                    at("disposition_required"),
                    "needs a wrap-up (wrap_up_secs) to give the disposition in",
                ));
            }
            let mut last_after = None;
            let mut skill = q.min_skill;
            for (j, step) in q.escalation.iter().enumerate() {
                let at = |field: &str| format!("queues[{i}].escalation[{j}].{field}");
                if step.after.is_zero() {
                    return Err(err(at("after"), "must be more than 0 seconds"));
                }
                if q.max_wait
                    .as_ref()
                    .is_some_and(|max| step.after >= max.after)
                {
                    return Err(err(
                        at("after"),
                        "comes at or after the maximum wait, so it would never run",
                    ));
                }
                if last_after.is_some_and(|last| step.after <= last) {
                    return Err(err(
                        at("after"),
                        "steps must be in increasing order of time",
                    ));
                }
                last_after = Some(step.after);
                match &step.action {
                    Escalation::Widen { min_skill } => {
                        if *min_skill == 0 || *min_skill >= skill {
                            return Err(err(
                                at("min_skill"),
                                "must be lower than the level before it and at least 1",
                            ));
                        }
                        skill = *min_skill;
                    }
                    Escalation::Overflow { to } => {
                        if !known(to) {
                            return Err(err(at("overflow_to"), "names no configured queue"));
                        }
                        if to == &q.id {
                            return Err(err(
                                at("overflow_to"),
                                "a queue cannot overflow to itself",
                            ));
                        }
                        if !same_channel(to) {
                            return Err(err(at("overflow_to"), "names a queue of another channel"));
                        }
                    }
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.agents.iter().enumerate() {
            if !seen.insert(a.id.clone()) {
                return Err(err(format!("agents[{i}].id"), "duplicate agent id"));
            }
            let mut queues = std::collections::HashSet::new();
            for (queue, level) in &a.skills {
                let at = format!("agents[{i}].skills.{queue}");
                if !known(queue) {
                    return Err(err(at, "names no configured queue"));
                }
                if !(1..=MAX_SKILL).contains(level) {
                    return Err(err(at, "skill level must be between 1 and 5"));
                }
                if !queues.insert(queue.clone()) {
                    return Err(err(at, "queue listed twice"));
                }
            }
            let mut channels = std::collections::HashSet::new();
            for (channel, capacity) in &a.capacity {
                let at = format!("agents[{i}].capacity.{channel}");
                if !self.channels.iter().any(|c| &c.id == channel) {
                    return Err(err(at, "names no configured channel"));
                }
                if *capacity > MAX_CAPACITY {
                    return Err(err(at, "must be between 0 and 10"));
                }
                if !channels.insert(channel.clone()) {
                    return Err(err(at, "channel listed twice"));
                }
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, r) in self.not_ready_reasons.iter().enumerate() {
            if ReasonCode::SYSTEM.contains(&r.code.as_str()) {
                return Err(err(
                    format!("not_ready_reasons[{i}].code"),
                    "is reserved for the system",
                ));
            }
            if !seen.insert(r.code.clone()) {
                return Err(err(
                    format!("not_ready_reasons[{i}].code"),
                    "duplicate reason code",
                ));
            }
        }
        if self.routing.max_wrap_up_extension < Duration::from_secs(1) {
            return Err(err(
                "routing.max_wrap_up_extension".into(),
                "must be at least 1 second",
            ));
        }
        if self.routing.rolling_window.is_zero() {
            return Err(err(
                "routing.rolling_window".into(),
                "must be more than 0 seconds",
            ));
        }
        if self.data_labels.len() > MAX_DATA_LABELS {
            return Err(err("data_labels".into(), "may name at most 100 keys"));
        }
        if self.routing.max_conversations == 0 {
            return Err(err(
                "routing.max_conversations".into(),
                "must be at least 1",
            ));
        }
        Ok(())
    }
}
