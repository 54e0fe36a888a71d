//! What a reload may change: the running configuration against a file read again, as a pure
//! function. The server applies a [`ReloadPlan`] or, if any key needs a restart, nothing at all.
//!
//! May change while the server runs: the principals, each tenant's not-ready reasons, its
//! queues' parameters, new queues and agents, more skills or other skill levels for an agent,
//! the routing rules but the rolling window, and the TLS files (which are read again at every
//! reload, since a renewal rewrites the same files). Everything else sizes or binds something at
//! start and needs a restart: listeners, limits, the metrics listener, `[storage]`, the other
//! `[server]` keys (but `drain_secs`, read when a stop begins),
//! the `[simulator]` section, a tenant's time zone and rolling window, and removing or adding a
//! tenant, removing a queue or an agent (a changed id removes one), or taking a skill away.

use std::fmt;
use std::fmt::Debug;

use crate::acd::config::Config;

use super::{FileConfig, Limits, MetricsConfig, ServerConfig, TenantConfig, TlsFiles};

/// What a reload changes, when it may: the server applies all of it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReloadPlan {
    /// The tenants whose core configuration changed, in file order, with the new one.
    pub tenants: Vec<TenantChange>,
    /// The principals now configured.
    pub principals: usize,
    /// Whether they differ from the running ones (users, password hashes, roles, agents).
    pub principals_changed: bool,
    /// The certificate and key to read again, if the file names any (`None`: wss, if on, runs
    /// on the development certificate).
    pub tls: Option<TlsFiles>,
}

impl ReloadPlan {
    /// Queues whose parameters changed, over every tenant.
    pub fn queues_changed(&self) -> usize {
        self.tenants.iter().map(|t| t.queues_changed).sum()
    }

    pub fn queues_added(&self) -> usize {
        self.tenants.iter().map(|t| t.queues_added).sum()
    }

    pub fn agents_added(&self) -> usize {
        self.tenants.iter().map(|t| t.agents_added).sum()
    }
}

/// One tenant's new core configuration, and what in it changed.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantChange {
    pub tenant: String,
    /// What the tenant's engine runs on from now on.
    pub acd: Config,
    /// Existing queues with other parameters.
    pub queues_changed: usize,
    pub queues_added: usize,
    pub agents_added: usize,
    /// Existing agents with another name or other skills.
    pub agents_changed: usize,
    pub reasons_changed: bool,
    pub routing_changed: bool,
}

/// A key whose new value the running server cannot take: the whole reload is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The key, as written in the file; a tenant, queue or agent is named by its id in quotes
    /// (`tenants."acme".queues`).
    pub key: String,
    pub problem: String,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.problem)
    }
}

/// Compares the running configuration with a new one: the plan if every difference can be
/// applied while the server runs, or every key that needs a restart.
pub fn plan_reload(old: &FileConfig, new: &FileConfig) -> Result<ReloadPlan, Vec<Refused>> {
    let mut refused = Refusals::default();
    compare_server(&mut refused, &old.server, &new.server);
    compare_limits(&mut refused, &old.limits, &new.limits);
    let (MetricsConfig { listen: old_listen }, MetricsConfig { listen: new_listen }) =
        (&old.metrics, &new.metrics);
    refused.differ("metrics.listen", old_listen, new_listen);
    if old.storage != new.storage {
        refused.push(
            "storage",
            "the [storage] section changed; the journal is opened at start",
        );
    }
    if old.simulator != new.simulator {
        refused.push(
            "simulator",
            "the [simulator] section changed; the simulator's plan is made at start",
        );
    }
    for tenant in &old.tenants {
        if !new.tenants.iter().any(|t| t.id == tenant.id) {
            refused.push("tenants", format!("tenant \"{}\" was removed", tenant.id));
        }
    }
    let mut tenants = Vec::new();
    for tenant in &new.tenants {
        match old.tenants.iter().find(|t| t.id == tenant.id) {
            None => refused.push(
                "tenants",
                format!(
                    "tenant \"{}\" was added; a new tenant's engine starts with the server",
                    tenant.id
                ),
            ),
            Some(running) => {
                if let Some(change) = compare_tenant(&mut refused, running, tenant) {
                    tenants.push(change);
                }
            }
        }
    }
    if !refused.0.is_empty() {
        return Err(refused.0);
    }
    Ok(ReloadPlan {
        tenants,
        principals: new.principals.len(),
        principals_changed: old.principals != new.principals,
        tls: new.server.tls.clone(),
    })
}

#[derive(Default)]
struct Refusals(Vec<Refused>);

impl Refusals {
    fn push(&mut self, key: impl Into<String>, problem: impl Into<String>) {
        self.0.push(Refused {
            key: key.into(),
            problem: problem.into(),
        });
    }

    /// Refuses `key` if its value changed.
    fn differ<T: PartialEq + Debug>(&mut self, key: &str, old: &T, new: &T) {
        if old != new {
            self.push(
                key,
                format!("changed from {old:?} to {new:?}; a new value needs a restart"),
            );
        }
    }
}

fn compare_server(refused: &mut Refusals, old: &ServerConfig, new: &ServerConfig) {
    // Every field named, so that a new key must be placed on one side or the other here.
    let ServerConfig {
        ws,
        wss,
        tls: _,
        allowed_origins,
        public_hosts,
        audit_log,
        web_dir,
        demo,
        public_ws_port,
        public_wss_port,
        sse_padding_bytes,
        disconnect_grace,
        on_disconnect,
        // Read when a stop begins: a reload changes it.
        drain: _,
    } = old;
    refused.differ("server.ws", &ws.to_string(), &new.ws.to_string());
    refused.differ("server.wss", &wss.to_string(), &new.wss.to_string());
    refused.differ(
        "server.allowed_origins",
        allowed_origins,
        &new.allowed_origins,
    );
    refused.differ("server.public_hosts", public_hosts, &new.public_hosts);
    refused.differ("server.audit_log", audit_log, &new.audit_log);
    refused.differ("ACDHUB_WEB_DIR", web_dir, &new.web_dir);
    refused.differ("the built-in demo", demo, &new.demo);
    refused.differ("server.public_ws_port", public_ws_port, &new.public_ws_port);
    refused.differ(
        "server.public_wss_port",
        public_wss_port,
        &new.public_wss_port,
    );
    refused.differ(
        "server.sse_padding_bytes",
        sse_padding_bytes,
        &new.sse_padding_bytes,
    );
    refused.differ(
        "server.disconnect_grace_secs",
        &disconnect_grace.as_secs(),
        &new.disconnect_grace.as_secs(),
    );
    refused.differ("server.on_disconnect", on_disconnect, &new.on_disconnect);
}

fn compare_limits(refused: &mut Refusals, old: &Limits, new: &Limits) {
    let Limits {
        max_connections,
        max_message_bytes,
        auth_timeout,
        ping_interval,
        pong_timeout,
        outbound_queue,
        telephony_outbound_queue,
        bad_messages_per_minute,
        auth_attempts,
        auth_failures_per_address,
        auth_failures_per_user,
        shutdown_grace,
        stats_updates_per_sec,
        sse_keepalive,
        poll_wait,
        replay_events,
        replay_bytes,
        resume,
        body_timeout,
        send_timeout,
        keepalive_requests,
        max_sessions_per_principal,
        max_parked_sessions,
        unauthenticated_per_address,
        commands_per_sec,
        command_burst,
        telephony_commands_per_sec,
        telephony_command_burst,
    } = old;
    let counts = [
        ("max_connections", max_connections, &new.max_connections),
        (
            "max_message_bytes",
            max_message_bytes,
            &new.max_message_bytes,
        ),
        ("outbound_queue", outbound_queue, &new.outbound_queue),
        (
            "telephony_outbound_queue",
            telephony_outbound_queue,
            &new.telephony_outbound_queue,
        ),
        (
            "bad_messages_per_minute",
            bad_messages_per_minute,
            &new.bad_messages_per_minute,
        ),
        ("auth_attempts", auth_attempts, &new.auth_attempts),
        (
            "auth_failures_per_address",
            auth_failures_per_address,
            &new.auth_failures_per_address,
        ),
        (
            "auth_failures_per_user",
            auth_failures_per_user,
            &new.auth_failures_per_user,
        ),
        (
            "stats_updates_per_sec",
            stats_updates_per_sec,
            &new.stats_updates_per_sec,
        ),
        ("replay_events", replay_events, &new.replay_events),
        ("replay_bytes", replay_bytes, &new.replay_bytes),
        (
            "keepalive_requests",
            keepalive_requests,
            &new.keepalive_requests,
        ),
        (
            "max_sessions_per_principal",
            max_sessions_per_principal,
            &new.max_sessions_per_principal,
        ),
        (
            "max_parked_sessions",
            max_parked_sessions,
            &new.max_parked_sessions,
        ),
        (
            "unauthenticated_per_address",
            unauthenticated_per_address,
            &new.unauthenticated_per_address,
        ),
        ("commands_per_sec", commands_per_sec, &new.commands_per_sec),
        ("command_burst", command_burst, &new.command_burst),
        (
            "telephony_commands_per_sec",
            telephony_commands_per_sec,
            &new.telephony_commands_per_sec,
        ),
        (
            "telephony_command_burst",
            telephony_command_burst,
            &new.telephony_command_burst,
        ),
    ];
    for (key, old, new) in counts {
        refused.differ(&format!("limits.{key}"), old, new);
    }
    let seconds = [
        ("auth_timeout_secs", auth_timeout, &new.auth_timeout),
        ("ping_interval_secs", ping_interval, &new.ping_interval),
        ("pong_timeout_secs", pong_timeout, &new.pong_timeout),
        ("shutdown_grace_secs", shutdown_grace, &new.shutdown_grace),
        ("sse_keepalive_secs", sse_keepalive, &new.sse_keepalive),
        ("poll_wait_secs", poll_wait, &new.poll_wait),
        ("resume_secs", resume, &new.resume),
        ("body_timeout_secs", body_timeout, &new.body_timeout),
        ("send_timeout_secs", send_timeout, &new.send_timeout),
    ];
    for (key, old, new) in seconds {
        refused.differ(&format!("limits.{key}"), &old.as_secs(), &new.as_secs());
    }
}

/// One tenant's differences: `None` if its core configuration is the same.
fn compare_tenant(
    refused: &mut Refusals,
    old: &TenantConfig,
    new: &TenantConfig,
) -> Option<TenantChange> {
    let at = |key: &str| format!("tenants.\"{}\".{key}", old.id);
    let (running, acd) = (&old.acd, &new.acd);
    if running.time_zone != acd.time_zone {
        let name = |config: &Config| {
            config
                .time_zone
                .iana_name()
                .unwrap_or("a zone without a name")
                .to_owned()
        };
        refused.push(
            at("time_zone"),
            format!(
                "changed from {} to {}; today's statistics are counted in the running zone",
                name(running),
                name(acd)
            ),
        );
    }
    if running.routing.rolling_window != acd.routing.rolling_window {
        refused.push(
            at("routing.rolling_window_secs"),
            format!(
                "changed from {} to {}; the running window keeps its samples for its length",
                running.routing.rolling_window.as_secs(),
                acd.routing.rolling_window.as_secs()
            ),
        );
    }
    for queue in &running.queues {
        if !acd.queues.iter().any(|q| q.id == queue.id) {
            refused.push(
                at("queues"),
                format!(
                    "queue \"{}\" was removed (or its id changed); removing a queue needs a restart",
                    queue.id
                ),
            );
        }
    }
    for agent in &running.agents {
        let Some(configured) = acd.agents.iter().find(|a| a.id == agent.id) else {
            refused.push(
                at("agents"),
                format!(
                    "agent \"{}\" was removed (or its id changed); removing an agent needs a restart",
                    agent.id
                ),
            );
            continue;
        };
        for (queue, _) in &agent.skills {
            if !configured.skills.iter().any(|(q, _)| q == queue) {
                refused.push(
                    at(&format!("agents.\"{}\".skills", agent.id)),
                    format!(
                        "no longer lists queue \"{queue}\"; taking a skill away needs a restart"
                    ),
                );
            }
        }
    }
    if running == acd {
        return None;
    }
    let queues_changed = acd
        .queues
        .iter()
        .filter(|q| running.queues.iter().any(|r| r.id == q.id && r != *q))
        .count();
    let queues_added = acd
        .queues
        .iter()
        .filter(|q| !running.queues.iter().any(|r| r.id == q.id))
        .count();
    let agents_changed = acd
        .agents
        .iter()
        .filter(|a| running.agents.iter().any(|r| r.id == a.id && r != *a))
        .count();
    let agents_added = acd
        .agents
        .iter()
        .filter(|a| !running.agents.iter().any(|r| r.id == a.id))
        .count();
    Some(TenantChange {
        tenant: new.id.clone(),
        acd: acd.clone(),
        queues_changed,
        queues_added,
        agents_added,
        agents_changed,
        reasons_changed: running.not_ready_reasons != acd.not_ready_reasons,
        routing_changed: running.routing != acd.routing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse;

    const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

    /// Tenants `acme` (queues support and sales, agents a1 and a2) and `globex`, a simulator on
    /// acme, principals a1 and boss, and `edit` applied to the text (pairs of old and new).
    fn file(edits: &[(&str, &str)]) -> FileConfig {
        let mut text = format!(
            r#"
[server]
ws = "127.0.0.1:8080"
wss = "127.0.0.1:8443"
tls_certificate = "/etc/acdhub/cert.pem"
tls_private_key = "/etc/acdhub/key.pem"

[limits]
max_connections = 1000

[[tenants]]
id = "acme"
time_zone = "Europe/Berlin"

[[tenants.queues]]
id = "support"
ring_timeout_secs = 20

[[tenants.queues]]
id = "sales"

[[tenants.agents]]
id = "a1"
skills = {{ support = 3 }}

[[tenants.agents]]
id = "a2"
skills = {{ sales = 2 }}

[[tenants.not_ready_reasons]]
code = "break"

[[tenants]]
id = "globex"
time_zone = "America/New_York"

[[tenants.queues]]
id = "support"

[[principals]]
user = "a1"
role = "agent"
tenant = "acme"
password_hash = "{HASH}"

[[principals]]
user = "boss"
role = "supervisor"
tenant = "acme"
password_hash = "{HASH}"

[simulator]
tenant = "acme"
calls_per_hour = 60
virtual_agents = ["a2"]
"#
        );
        for (old, new) in edits {
            assert!(text.contains(old), "the test file has no `{old}`");
            text = text.replacen(old, new, 1);
        }
        parse(&text, "test.toml").unwrap_or_else(|e| panic!("{e}"))
    }

    fn plan(edits: &[(&str, &str)]) -> ReloadPlan {
        plan_reload(&file(&[]), &file(edits)).unwrap_or_else(|refused| panic!("{refused:?}"))
    }

    /// The refusals' text, one per line.
    fn refused(edits: &[(&str, &str)]) -> String {
        let refused = plan_reload(&file(&[]), &file(edits)).expect_err("refused");
        refused
            .iter()
            .map(Refused::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn the_same_file_again_changes_nothing_but_the_certificate_is_read_again() {
        let plan = plan(&[]);
        assert!(plan.tenants.is_empty());
        assert!(!plan.principals_changed);
        assert_eq!(plan.principals, 2);
        assert_eq!(
            plan.tls.map(|tls| tls.certificate),
            Some("/etc/acdhub/cert.pem".into())
        );
    }

    #[test]
    fn principals_may_change() {
        let plan = plan(&[(
            "user = \"boss\"\nrole = \"supervisor\"",
            "user = \"chief\"\nrole = \"wallboard\"",
        )]);
        assert!(plan.principals_changed);
        assert!(plan.tenants.is_empty());
    }

    #[test]
    fn a_password_hash_may_change() {
        let other = HASH.replace("aGFzaGhhc2hoYXNo", "b3RoZXJoYXNo");
        let plan = plan_reload(
            &file(&[]),
            &file(&[(
                &format!("tenant = \"acme\"\npassword_hash = \"{HASH}\""),
                &format!("tenant = \"acme\"\npassword_hash = \"{other}\""),
            )]),
        )
        .unwrap();
        assert!(plan.principals_changed);
    }

    #[test]
    fn not_ready_reasons_may_change() {
        let plan = plan(&[("code = \"break\"", "code = \"training\"")]);
        let acme = &plan.tenants[0];
        assert_eq!(acme.tenant, "acme");
        assert!(acme.reasons_changed);
        assert_eq!(
            acme.queues_changed + acme.queues_added + acme.agents_added,
            0
        );
    }

    #[test]
    fn queue_parameters_may_change() {
        let plan = plan(&[(
            "ring_timeout_secs = 20",
            "ring_timeout_secs = 40\nwrap_up_secs = 30\nstrategy = \"round_robin\"\n\
             service_level = { threshold_secs = 15, target_percent = 90 }\n\
             max_wait = { after_secs = 300, overflow_to = \"sales\" }",
        )]);
        assert_eq!(plan.tenants.len(), 1);
        assert_eq!(plan.queues_changed(), 1);
        let support = &plan.tenants[0].acd.queues[0];
        assert_eq!(support.ring_timeout.as_secs(), 40);
        assert_eq!(support.wrap_up.as_secs(), 30);
    }

    #[test]
    fn a_new_queue_and_a_new_agent_with_skills_in_it_may_be_added() {
        let plan = plan(&[(
            "[[tenants.not_ready_reasons]]",
            "[[tenants.queues]]\nid = \"billing\"\n\n\
             [[tenants.agents]]\nid = \"a3\"\nskills = { billing = 4 }\n\n\
             [[tenants.not_ready_reasons]]",
        )]);
        assert_eq!(plan.queues_added(), 1);
        assert_eq!(plan.agents_added(), 1);
        assert_eq!(plan.queues_changed(), 0);
    }

    #[test]
    fn an_agent_may_get_another_skill_and_another_level() {
        let plan = plan(&[(
            "skills = { support = 3 }",
            "skills = { support = 5, sales = 1 }",
        )]);
        assert_eq!(plan.tenants[0].agents_changed, 1);
    }

    #[test]
    fn routing_rules_but_the_rolling_window_may_change() {
        let plan = plan(&[(
            "time_zone = \"Europe/Berlin\"",
            "time_zone = \"Europe/Berlin\"\nrouting = { reject_delay_secs = 9, max_ring_no_answer = 5 }",
        )]);
        assert!(plan.tenants[0].routing_changed);
        let text = refused(&[(
            "time_zone = \"Europe/Berlin\"",
            "time_zone = \"Europe/Berlin\"\nrouting = { rolling_window_secs = 3600 }",
        )]);
        assert!(
            text.starts_with(
                "tenants.\"acme\".routing.rolling_window_secs: changed from 900 to 3600"
            ),
            "{text}"
        );
    }

    #[test]
    fn new_tls_paths_are_read() {
        let plan = plan(&[("/etc/acdhub/cert.pem", "/etc/acdhub/renewed.pem")]);
        assert_eq!(
            plan.tls.unwrap().certificate,
            std::path::PathBuf::from("/etc/acdhub/renewed.pem")
        );
    }

    #[test]
    fn a_removed_tenant_is_refused() {
        let text = refused(&[(
            "[[tenants]]\nid = \"globex\"\ntime_zone = \"America/New_York\"\n\n\
             [[tenants.queues]]\nid = \"support\"\n",
            "",
        )]);
        assert_eq!(text, "tenants: tenant \"globex\" was removed");
    }

    #[test]
    fn an_added_tenant_is_refused() {
        let text = refused(&[(
            "[[principals]]",
            "[[tenants]]\nid = \"initech\"\ntime_zone = \"UTC\"\n\n[[principals]]",
        )]);
        assert!(
            text.starts_with("tenants: tenant \"initech\" was added;"),
            "{text}"
        );
    }

    #[test]
    fn a_removed_queue_is_refused() {
        let text = refused(&[
            ("[[tenants.queues]]\nid = \"sales\"\n", ""),
            ("skills = { sales = 2 }", "skills = { support = 2 }"),
        ]);
        assert!(
            text.starts_with("tenants.\"acme\".queues: queue \"sales\" was removed"),
            "{text}"
        );
    }

    #[test]
    fn a_changed_queue_id_is_refused_as_a_removal() {
        let text = refused(&[
            ("id = \"sales\"", "id = \"sales-emea\""),
            ("skills = { sales = 2 }", "skills = { sales-emea = 2 }"),
        ]);
        assert!(
            text.contains("queue \"sales\" was removed (or its id changed)"),
            "{text}"
        );
        assert!(
            text.contains("agents.\"a2\".skills: no longer lists queue \"sales\""),
            "{text}"
        );
    }

    #[test]
    fn a_removed_or_renamed_agent_is_refused() {
        let text = refused(&[
            ("id = \"a2\"", "id = \"a9\""),
            ("virtual_agents = [\"a2\"]", "virtual_agents = [\"a9\"]"),
        ]);
        assert!(
            text.contains("tenants.\"acme\".agents: agent \"a2\" was removed (or its id changed)"),
            "{text}"
        );
        assert!(text.contains("simulator:"), "{text}");
    }

    #[test]
    fn a_skill_taken_away_is_refused() {
        let text = refused(&[("skills = { support = 3 }", "skills = { sales = 3 }")]);
        assert_eq!(
            text,
            "tenants.\"acme\".agents.\"a1\".skills: no longer lists queue \"support\"; \
             taking a skill away needs a restart"
        );
    }

    #[test]
    fn another_time_zone_is_refused() {
        let text = refused(&[(
            "time_zone = \"Europe/Berlin\"",
            "time_zone = \"Europe/Paris\"",
        )]);
        assert!(
            text.starts_with(
                "tenants.\"acme\".time_zone: changed from Europe/Berlin to Europe/Paris"
            ),
            "{text}"
        );
    }

    #[test]
    fn listeners_limits_and_the_simulator_are_refused_each_by_its_key() {
        let text = refused(&[
            ("ws = \"127.0.0.1:8080\"", "ws = \"127.0.0.1:8081\""),
            (
                "max_connections = 1000",
                "max_connections = 2000\nresume_secs = 60",
            ),
            ("calls_per_hour = 60", "calls_per_hour = 120"),
            ("[[tenants]]", "[metrics]\nlisten = \"off\"\n\n[[tenants]]"),
        ]);
        let keys: Vec<&str> = text
            .lines()
            .map(|line| line.split(": ").next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "server.ws",
                "limits.max_connections",
                "limits.resume_secs",
                "metrics.listen",
                "simulator"
            ],
            "{text}"
        );
        assert!(
            text.contains("server.ws: changed from \"127.0.0.1:8080\" to \"127.0.0.1:8081\""),
            "{text}"
        );
    }

    #[test]
    fn other_server_keys_need_a_restart() {
        let text = refused(&[(
            "tls_private_key = \"/etc/acdhub/key.pem\"",
            "tls_private_key = \"/etc/acdhub/key.pem\"\nallowed_origins = [\"https://acd.example.com\"]\n\
             on_disconnect = \"logout\"",
        )]);
        assert!(
            text.contains("server.allowed_origins: changed from []"),
            "{text}"
        );
        assert!(
            text.contains("server.on_disconnect: changed from NotReady to Logout"),
            "{text}"
        );
    }
}
