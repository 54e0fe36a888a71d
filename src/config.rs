//! The TOML configuration file: read, checked, and turned into the core's types.
//!
//! The format is described in `docs/configuration.md`; `config/demo.toml` is a complete,
//! commented example. Every problem is reported as `file:line: field: problem`, whether the TOML
//! parser, the type checks here or the core's [`Config::validate`] found it, so an operator
//! can go straight to the line.
//!
//! - `raw`: the file's shape as serde reads it, each value checking its own range.
//! - `locate`: from a field path to a line and from a parser's byte span to a field path.
//! - `simulator`: the `[simulator]` section.
//! - `reload`: what a reload may change, comparing the running configuration with a new one.

mod cluster;
mod locate;
mod raw;
mod reload;
mod server;
mod simulator;
mod storage;

use std::path::Path;
use std::time::Duration;

use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::de::DeTable;

use crate::acd::config::{
    AgentAlerts, AgentConfig, ChannelConfig, Config, DispositionConfig, Escalation, EscalationStep,
    MaxWait, QueueConfig, ReasonConfig, RoutingConfig, Strategy, TelephonyFeatures, Thresholds,
};
use crate::acd::{AgentId, ChannelId, DispositionCode, QueueId, ReasonCode};

use locate::{Document, FieldPath, Found};
use raw::{RawFile, RawQueue, RawTenant};

pub use cluster::ClusterConfig;
pub use reload::{Refused, ReloadPlan, TenantChange, plan_reload};
pub use server::{
    Limits, ListenAddr, MetricsConfig, OnDisconnect, Principal, Role, ServerConfig, TlsFiles,
};
pub use simulator::{
    CallRate, DEFAULT_AHT, DEFAULT_ANSWER_DELAY, DEFAULT_SEED, Patience, PatienceDistribution,
    SimulatorConfig,
};
pub use storage::{FsyncPolicy, StorageConfig, default_data_dir};

/// Everything a configuration file sets up: the contact centers to run and, optionally, the
/// simulated traffic that makes a demo come alive.
#[derive(Debug, Clone)]
pub struct FileConfig {
    /// `[server]`: listeners, TLS and browser origins.
    pub server: ServerConfig,
    /// `[limits]`: what one client may cost.
    pub limits: Limits,
    /// `[metrics]`: the Prometheus listener.
    pub metrics: MetricsConfig,
    /// One entry per `[[tenants]]` table, in file order. Each tenant runs its own ACD.
    pub tenants: Vec<TenantConfig>,
    /// Who may log in, as what, where.
    pub principals: Vec<Principal>,
    /// The `[simulator]` section, if the file asks for simulated callers and agents.
    pub simulator: Option<SimulatorConfig>,
    /// `[storage]`: the journal that keeps every tenant's day across restarts.
    pub storage: StorageConfig,
    /// `[cluster]`: every tenant's log on a NATS JetStream cluster instead of the data
    /// directory's journal, so that any node serves any client and a lost node loses nothing.
    pub cluster: Option<ClusterConfig>,
}

/// One contact center hosted by the server.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// Unique across the file; clients name the tenant they connect to with it.
    pub id: String,
    /// The tenant's ACD, already checked with [`Config::validate`].
    pub acd: Config,
}

/// Why a configuration file cannot be used. Every variant names the file; a file that was read
/// also names the line and the field, so the operator can go straight to the mistake.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read (missing, unreadable, not UTF-8).
    #[error("{file}: cannot read the configuration file: {source}")]
    Unreadable {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// The file was read but is not valid TOML, or describes something acdhub cannot run.
    #[error("{file}:{line}: {field}: {problem}")]
    Invalid {
        file: String,
        /// 1-based.
        line: usize,
        /// The path of the offending key, such as `tenants[0].queues[1].ring_timeout_secs`.
        field: String,
        problem: String,
    },
}

impl ConfigFileError {
    /// The file the error is about.
    pub fn file(&self) -> &str {
        match self {
            ConfigFileError::Unreadable { file, .. } | ConfigFileError::Invalid { file, .. } => {
                file
            }
        }
    }

    /// The 1-based line of the mistake; `None` if the file could not be read.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigFileError::Unreadable { .. } => None,
            ConfigFileError::Invalid { line, .. } => Some(*line),
        }
    }

    /// The path of the offending key; `None` if the file could not be read.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigFileError::Unreadable { .. } => None,
            ConfigFileError::Invalid { field, .. } => Some(field),
        }
    }

    /// What is wrong, in words for the operator.
    pub fn problem(&self) -> String {
        match self {
            ConfigFileError::Unreadable { source, .. } => source.to_string(),
            ConfigFileError::Invalid { problem, .. } => problem.clone(),
        }
    }
}

/// Reads and checks a configuration file. Errors name the file as given in `path`.
pub fn load(path: &Path) -> Result<FileConfig, ConfigFileError> {
    let origin = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Unreadable {
        file: origin.clone(),
        source,
    })?;
    parse(&text, &origin)
}

/// Checks configuration text. `origin` names it in error messages (usually the file name).
pub fn parse(text: &str, origin: &str) -> Result<FileConfig, ConfigFileError> {
    let (root, syntax_errors) = DeTable::parse_recoverable(text);
    let document = Document::new(text, root);
    if let Some(error) = syntax_errors.first() {
        return Err(toml_error(&document, origin, error));
    }
    let raw = RawFile::deserialize(toml::de::Deserializer::from(document.table()))
        .map_err(|error| toml_error(&document, origin, &error))?;
    build(raw).map_err(|problem| ConfigFileError::Invalid {
        file: origin.to_owned(),
        line: document.line_of(&problem.field),
        field: problem.field.to_string(),
        problem: problem.problem,
    })
}

/// Places an error of the TOML parser or of serde: its byte span gives the line, and the key or
/// value holding that span gives the field.
fn toml_error(document: &Document<'_>, origin: &str, error: &toml::de::Error) -> ConfigFileError {
    let problem = error.message().to_owned();
    let Some(span) = error.span() else {
        return ConfigFileError::Invalid {
            file: origin.to_owned(),
            line: 1,
            field: locate::TOP_LEVEL.to_owned(),
            problem,
        };
    };
    let field = match document.field_at(&span) {
        Found::Field(field) => field,
        // A repeated key is not in the tree: name it from the text the parser pointed at.
        Found::Section(section) => match document.text(&span).trim() {
            key if problem.starts_with("duplicate key") && !key.is_empty() => section.key(key),
            _ => section,
        },
    };
    ConfigFileError::Invalid {
        file: origin.to_owned(),
        line: document.line_at(span.start),
        field: field.to_string(),
        problem,
    }
}

/// A problem found while building the core's types, before its line is looked up.
struct Problem {
    field: FieldPath,
    problem: String,
}

fn problem(field: FieldPath, problem: impl Into<String>) -> Problem {
    Problem {
        field,
        problem: problem.into(),
    }
}

fn build(raw: RawFile) -> Result<FileConfig, Problem> {
    let root = FieldPath::default();
    if raw.tenants.is_empty() {
        return Err(problem(
            root.key("tenants"),
            "at least one [[tenants]] table is needed",
        ));
    }
    let mut tenants: Vec<TenantConfig> = Vec::with_capacity(raw.tenants.len());
    for (index, tenant) in raw.tenants.into_iter().enumerate() {
        let at = root.key("tenants").index(index);
        if tenants.iter().any(|t| t.id == tenant.id.0) {
            return Err(problem(at.key("id"), "duplicate tenant id"));
        }
        if tenant.id.0 == "." || tenant.id.0 == ".." {
            return Err(problem(
                at.key("id"),
                "`.` and `..` cannot name a tenant (its folder in the data directory)",
            ));
        }
        tenants.push(build_tenant(&at, tenant)?);
    }
    let simulator = raw
        .simulator
        .map(|simulator| simulator::build(&root.key("simulator"), simulator, &tenants))
        .transpose()?;
    let server = server::build_server(&root.key("server"), raw.server)?;
    let limits = server::build_limits(&root.key("limits"), raw.limits)?;
    let metrics = server::build_metrics(raw.metrics);
    let storage = storage::build_storage(&root.key("storage"), raw.storage)?;
    let cluster = raw
        .cluster
        .map(|cluster| cluster::build_cluster(&root.key("cluster"), cluster))
        .transpose()?;
    let principals = server::build_principals(&root.key("principals"), raw.principals, &tenants)?;
    Ok(FileConfig {
        server,
        limits,
        metrics,
        tenants,
        principals,
        simulator,
        storage,
        cluster,
    })
}

fn build_tenant(at: &FieldPath, raw: RawTenant) -> Result<TenantConfig, Problem> {
    let time_zone = TimeZone::get(&raw.time_zone).map_err(|_| {
        problem(
            at.key("time_zone"),
            format!(
                "unknown time zone `{}`; use an IANA name such as Europe/Berlin or UTC",
                raw.time_zone
            ),
        )
    })?;
    let defaults = RoutingConfig::default();
    let routing = RoutingConfig {
        reject_delay: raw
            .routing
            .reject_delay_secs
            .map_or(defaults.reject_delay, |s| secs(s.0)),
        max_ring_no_answer: raw
            .routing
            .max_ring_no_answer
            .map_or(defaults.max_ring_no_answer, |c| c.0),
        max_wrap_up_extension: raw
            .routing
            .max_wrap_up_extension_secs
            .map_or(defaults.max_wrap_up_extension, |s| secs(s.0)),
        rolling_window: raw
            .routing
            .rolling_window_secs
            .map_or(defaults.rolling_window, |s| secs(s.0)),
        voice_exclusive: raw
            .routing
            .voice_exclusive
            .unwrap_or(defaults.voice_exclusive),
        max_conversations: raw
            .routing
            .max_conversations
            .map_or(defaults.max_conversations, |c| c.0),
    };
    let channels = raw
        .channels
        .into_iter()
        .map(|channel| {
            let mut config = ChannelConfig::new(channel.id.0.as_str());
            if let Some(name) = channel.name {
                config.name = name.0;
            }
            if let Some(capacity) = channel.capacity {
                config.capacity = capacity.0;
            }
            config.exclusive = channel.exclusive.unwrap_or(config.exclusive);
            config
        })
        .collect();
    // A queue of several channels is one entry of the file and one lane of the core each.
    let mut queues = Vec::new();
    let mut entry_of_lane = Vec::new();
    for (index, queue) in raw.queues.into_iter().enumerate() {
        let lanes = build_queue(&at.key("queues").index(index), queue)?;
        entry_of_lane.extend(std::iter::repeat_n(index, lanes.len()));
        queues.extend(lanes);
    }
    let agents = raw
        .agents
        .into_iter()
        .map(|agent| AgentConfig {
            name: agent.name.map_or_else(|| agent.id.0.clone(), |n| n.0),
            id: AgentId::from(agent.id.0),
            skills: agent
                .skills
                .0
                .into_iter()
                .map(|(queue, level)| (QueueId::from(queue), level.0))
                .collect(),
            capacity: agent
                .capacity
                .0
                .into_iter()
                .map(|(channel, capacity)| (ChannelId::from(channel), capacity.0))
                .collect(),
        })
        .collect();
    let not_ready_reasons = raw
        .not_ready_reasons
        .into_iter()
        .map(|reason| ReasonConfig {
            label: reason.label.map_or_else(|| reason.code.0.clone(), |l| l.0),
            code: ReasonCode::from(reason.code.0),
        })
        .collect();
    let acd = Config {
        name: raw.name.map_or_else(|| raw.id.0.clone(), |name| name.0),
        time_zone,
        queues,
        agents,
        not_ready_reasons,
        routing,
        channels,
        alerts: raw
            .alerts
            .map_or_else(AgentAlerts::default, |a| AgentAlerts {
                not_ready_secs: a
                    .not_ready_secs
                    .map(|s| u32::try_from(s.0).unwrap_or(u32::MAX)),
                wrap_up_secs: a
                    .wrap_up_secs
                    .map(|s| u32::try_from(s.0).unwrap_or(u32::MAX)),
                hold_secs: a.hold_secs.map(|s| u32::try_from(s.0).unwrap_or(u32::MAX)),
            }),
        data_labels: raw
            .data_labels
            .0
            .into_iter()
            .map(|(key, label)| (key, label.0))
            .collect(),
        telephony: raw
            .telephony
            .map_or_else(TelephonyFeatures::default, |t| TelephonyFeatures {
                consult: t.consult,
                conference: t.conference,
            }),
    };
    acd.validate().map_err(|error| {
        let what = entry_path(&error.what, &entry_of_lane);
        problem(at.join_core(&what), error.problem)
    })?;
    Ok(TenantConfig { id: raw.id.0, acd })
}

/// A core path such as `queues[3].min_skill` with the lane's index replaced by its entry's in
/// the file.
fn entry_path(what: &str, entry_of_lane: &[usize]) -> String {
    let lane = what
        .strip_prefix("queues[")
        .and_then(|rest| rest.split_once(']'))
        .and_then(|(lane, rest)| Some((lane.parse::<usize>().ok()?, rest)));
    match lane {
        Some((lane, rest)) if lane < entry_of_lane.len() => {
            format!("queues[{}]{rest}", entry_of_lane[lane])
        }
        _ => what.to_owned(),
    }
}

/// A queue's lanes: one for `channel` (voice if none), or one for each of `channels`.
fn build_queue(at: &FieldPath, raw: RawQueue) -> Result<Vec<QueueConfig>, Problem> {
    let channels: Vec<Option<ChannelId>> = match (&raw.channel, &raw.channels) {
        (Some(_), Some(_)) => {
            return Err(problem(
                at.key("channels"),
                "a queue names its channel (channel) or its channels (channels), not both",
            ));
        }
        (channel, None) => vec![channel.as_deref().map(ChannelId::from)],
        (None, Some(list)) => {
            if list.is_empty() {
                return Err(problem(
                    at.key("channels"),
                    "must name at least one channel (voice for calls)",
                ));
            }
            let mut lanes = Vec::with_capacity(list.len());
            for name in list {
                let lane =
                    (name != crate::acd::config::VOICE).then(|| ChannelId::from(name.as_str()));
                if lanes.contains(&lane) {
                    return Err(problem(
                        at.key("channels"),
                        format!("`{name}` listed twice"),
                    ));
                }
                lanes.push(lane);
            }
            lanes
        }
    };
    // A conversation's wrap-up takes no disposition (yet): codes on a queue of no calls would
    // be configured and never offered.
    if !channels.contains(&None) {
        if !raw.dispositions.is_empty() {
            return Err(problem(
                at.key("dispositions"),
                "disposition codes are for calls, and this queue routes none (a conversation's wrap-up takes no disposition)",
            ));
        }
        if raw.disposition_required == Some(true) {
            return Err(problem(
                at.key("disposition_required"),
                "disposition codes are for calls, and this queue routes none",
            ));
        }
    }
    let queue = build_lane(at, raw)?;
    Ok(channels
        .into_iter()
        .map(|channel| QueueConfig {
            channel,
            ..queue.clone()
        })
        .collect())
}

fn build_lane(at: &FieldPath, raw: RawQueue) -> Result<QueueConfig, Problem> {
    let mut queue = QueueConfig::new(raw.id.0.as_str());
    if let Some(name) = raw.name {
        queue.name = name.0;
    }
    queue.strategy = raw.strategy.map_or(Strategy::default(), |s| s.0);
    if let Some(sl) = raw.service_level {
        let level = &mut queue.service_level;
        if let Some(threshold) = sl.threshold_secs {
            level.threshold = secs(threshold.0);
        }
        if let Some(target) = sl.target_percent {
            level.target_percent = target.0;
        }
        if let Some(variant) = sl.variant {
            level.variant = variant.0;
        }
        level.short_abandon = sl.short_abandon_secs.map(|s| secs(s.0));
        level.first_response = sl.first_response_secs.map(|s| secs(s.0));
    }
    queue.max_wait = raw.max_wait.map(|max| MaxWait {
        after: secs(max.after_secs.0),
        overflow_to: max.overflow_to.map(QueueId::from),
    });
    queue.max_queue_length = raw.max_queue_length.map(|c| c.0);
    if let Some(ring) = raw.ring_timeout_secs {
        queue.ring_timeout = secs(ring.0);
    }
    if let Some(wrap_up) = raw.wrap_up_secs {
        queue.wrap_up = secs(wrap_up.0);
    }
    if let Some(weight) = raw.priority_weight {
        queue.priority_weight = weight.0;
    }
    if let Some(min_skill) = raw.min_skill {
        queue.min_skill = min_skill.0;
    }
    queue.dispositions = raw
        .dispositions
        .into_iter()
        .map(|d| DispositionConfig {
            label: d.label.map_or_else(|| d.code.0.clone(), |l| l.0),
            code: DispositionCode::from(d.code.0),
        })
        .collect();
    queue.disposition_required = raw.disposition_required.unwrap_or(false);
    if let Some(t) = raw.thresholds {
        queue.thresholds = Thresholds {
            waiting: t.waiting,
            oldest_wait_secs: t.oldest_wait_secs,
            abandonment_percent: t.abandonment_percent,
        };
    }
    for (index, step) in raw.escalation.into_iter().enumerate() {
        let action = match (step.min_skill, step.overflow_to) {
            (Some(level), None) => Escalation::Widen { min_skill: level.0 },
            (None, Some(to)) => Escalation::Overflow {
                to: QueueId::from(to),
            },
            (Some(_), Some(_)) => {
                return Err(problem(
                    at.key("escalation").index(index),
                    "a step either widens (min_skill) or overflows (overflow_to), not both",
                ));
            }
            (None, None) => {
                return Err(problem(
                    at.key("escalation").index(index),
                    "a step needs min_skill (to widen) or overflow_to (to move the call)",
                ));
            }
        };
        queue.escalation.push(EscalationStep {
            after: secs(step.after_secs.0),
            action,
        });
    }
    Ok(queue)
}

fn secs(seconds: u64) -> Duration {
    Duration::from_secs(seconds)
}
