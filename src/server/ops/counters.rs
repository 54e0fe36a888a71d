//! The server's own counters (connections, messages, refusals, replaced statistics), counted as
//! things happen by the sessions, the engines and the fan-out, in a [`prometheus::Registry`] with
//! the process collector. A leaf: it knows no layer. The ACD's figures are not counted here
//! ([`super::scrape`]); docs/metrics.md lists every series.
//!
//! Every series of a family whose labels take values from a closed set (roles, rungs, error
//! codes, results, kinds) exists from the start, at 0, so that `rate()` and `increase()` see the
//! first event: [`Counters::new`] makes each combination. Families labelled by something
//! configured (tenant, listener) make theirs when it starts.

use prometheus::proto::MetricFamily;
use std::sync::{Once, OnceLock};

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry};

use crate::protocol::Role;
use crate::server::rung::Rung;

/// The role label of a session that has not authenticated yet.
pub const UNAUTHENTICATED: &str = "unauthenticated";

fn role_labels() -> impl Iterator<Item = &'static str> {
    Role::ALL
        .into_iter()
        .map(Role::name)
        .chain([UNAUTHENTICATED])
}

/// This binary's version (Cargo.toml's): `acdhub_build_info`'s `version`, as [`REVISION`] and
/// [`RUSTC`] are its other two labels.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// The short hash of the git commit the binary was built from, or `unknown` when it was built
/// outside a git checkout (build.rs).
pub const REVISION: &str = env!("ACDHUB_REVISION");
/// `rustc --version` of the compiler that built the binary, or `unknown` (build.rs).
pub const RUSTC: &str = env!("ACDHUB_RUSTC");

/// Every code of `error.code` (protocol/schemas/server/error.json: `ProtocolError::code`, then
/// the core's `AcdError::code`): the `code` label of `acdhub_messages_refused_total`.
pub const REFUSAL_CODES: [&str; 62] = [
    "malformed_json",
    "bad_message",
    "unknown_type",
    "binary_frame",
    "not_authenticated",
    "already_authenticated",
    "auth_failed",
    "auth_throttled",
    "forbidden",
    "unavailable",
    "storage_unavailable",
    "outcome_unknown",
    "audit_unavailable",
    "rate_limited",
    "too_many_sessions",
    "display_revoked",
    "unknown_agent",
    "unknown_queue",
    "unknown_call",
    "unknown_reason",
    "duplicate_call",
    "already_logged_in",
    "not_logged_in",
    "not_offered",
    "not_on_call",
    "already_on_hold",
    "not_on_hold",
    "not_in_wrap_up",
    "agent_not_available",
    "transfer_to_self",
    "not_ringing",
    "not_waiting",
    "agent_not_busy",
    "no_pending_state",
    "bad_extension",
    "bad_arrival",
    "not_a_call",
    "not_a_conversation",
    "wrong_channel",
    "not_in_conversation",
    "conversation_closed",
    "conversation_open",
    "message_too_long",
    "empty_message",
    "transcript_full",
    "holds_conversations",
    "not_handling",
    "unknown_disposition",
    "notes_too_long",
    "disposition_required",
    "agent_not_on_call",
    "not_monitoring",
    "too_many_monitors",
    "not_supported",
    "consult_in_progress",
    "not_consulting",
    "consult_not_answered",
    "bad_ticker",
    "bad_display_name",
    "duplicate_display",
    "too_many_displays",
    "unknown_display",
];

/// The results of `acdhub_resumes_total`.
const RESUME_RESULTS: [&str; 2] = ["resumed", "resync"];
/// The results of `acdhub_config_reloads_total`.
const RELOAD_RESULTS: [&str; 2] = ["applied", "refused"];
/// The kinds of `acdhub_auth_failures_total`.
const AUTH_FAILURE_KINDS: [&str; 3] = ["password", "token", "throttled"];
/// The reasons of `acdhub_sessions_evicted_total`.
const EVICTION_REASONS: [&str; 2] = ["principal_cap", "parked_cap"];
/// The kinds of `acdhub_accept_errors_total`, for each listener.
const ACCEPT_ERROR_KINDS: [&str; 2] = ["descriptors", "other"];
/// The results of `acdhub_snapshots_total`, for each tenant with a journal.
const SNAPSHOT_RESULTS: [&str; 2] = ["ok", "failed"];

/// The codes of `acdhub_http_refused_total`: HTTP requests refused before any session.
pub const HTTP_REFUSALS: [&str; 5] = [
    "server_full",
    "too_many_links",
    "too_many_unauthenticated",
    "probes_busy",
    "body_timeout",
];

/// The server's own counters.
pub struct Counters {
    registry: Registry,
    connections: IntGaugeVec,
    connections_opened: IntCounterVec,
    received: IntCounterVec,
    sent: IntCounterVec,
    refused: IntCounterVec,
    replaced: IntCounterVec,
    slow_disconnects: IntCounterVec,
    sessions_evicted: IntCounterVec,
    resumes: IntCounterVec,
    reloads: IntCounterVec,
    journal_records: IntCounterVec,
    journal_groups: IntCounterVec,
    journal_writable: IntGaugeVec,
    snapshots: IntCounterVec,
    /// Registered at the first certificate it is given, so a server without wss (or with a
    /// certificate whose date cannot be read) serves no made-up expiry.
    certificate_not_after: IntGauge,
    certificate_registered: Once,
    accept_errors: IntCounterVec,
    http_refused: IntCounterVec,
    auth_failures: IntCounterVec,
    /// Brought up to [`LOG_LINES_DROPPED`]'s reading at each scrape.
    log_lines_dropped: IntCounter,
    audit: AuditCounters,
}

impl Counters {
    pub fn new() -> Counters {
        let registry = Registry::new();
        let register = |collector: Box<dyn prometheus::core::Collector>| {
            registry
                .register(collector)
                .expect("each metric is registered once, with a valid name");
        };
        let gauge_vec = |name: &str, help: &str, labels: &[&str]| {
            let vec = IntGaugeVec::new(Opts::new(name, help), labels).expect("valid metric");
            register(Box::new(vec.clone()));
            vec
        };
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let vec = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            register(Box::new(vec.clone()));
            vec
        };
        let counters = Counters {
            connections: gauge_vec(
                "acdhub_connections",
                "Open client connections by rung (wss, ws, sse, poll) and role (unauthenticated before auth).",
                &["transport", "role"],
            ),
            resumes: counter_vec(
                "acdhub_resumes_total",
                "Clients that asked to resume a session after a dropped connection: resumed, or given a new session (resync).",
                &["result"],
            ),
            connections_opened: counter_vec(
                "acdhub_connections_opened_total",
                "Connections opened: WebSocket upgrades and SSE and long-poll links, by rung.",
                &["transport"],
            ),
            received: counter_vec(
                "acdhub_messages_received_total",
                "Text messages received from clients.",
                &["role"],
            ),
            sent: counter_vec(
                "acdhub_messages_sent_total",
                "Text messages written to clients: events, replies and statistics.",
                &["role"],
            ),
            refused: counter_vec(
                "acdhub_messages_refused_total",
                "Client messages answered with an error, by error code.",
                &["role", "code"],
            ),
            replaced: counter_vec(
                "acdhub_stats_updates_replaced_total",
                "Statistics updates replaced by a newer one before they were written (latest wins; nothing is lost).",
                &["role"],
            ),
            slow_disconnects: counter_vec(
                "acdhub_slow_client_disconnects_total",
                "Sessions closed with 4008 because the client did not keep up.",
                &["role"],
            ),
            sessions_evicted: counter_vec(
                "acdhub_sessions_evicted_total",
                "Parked sessions ended before resume_secs to make room: the principal signed in once more than max_sessions_per_principal (principal_cap), or more sessions were parked than max_parked_sessions (parked_cap).",
                &["reason"],
            ),
            reloads: counter_vec(
                "acdhub_config_reloads_total",
                "Reloads asked for by SIGHUP: applied, or refused with the running configuration unchanged.",
                &["result"],
            ),
            journal_records: counter_vec(
                "acdhub_journal_records_total",
                "Commands written to a tenant's journal (durable before they were applied).",
                &["tenant"],
            ),
            journal_groups: counter_vec(
                "acdhub_journal_groups_total",
                "Groups of journal records written with one sync to disk (group commit).",
                &["tenant"],
            ),
            journal_writable: gauge_vec(
                "acdhub_journal_writable",
                "1 while the tenant's journal can be written; 0 while its disk is full or read-only and commands are refused.",
                &["tenant"],
            ),
            snapshots: counter_vec(
                "acdhub_snapshots_total",
                "Snapshots of a tenant's state written (ok) or that failed (failed; the journal still has every record).",
                &["tenant", "result"],
            ),
            certificate_not_after: IntGauge::new(
                "acdhub_tls_certificate_not_after_seconds",
                "When the certificate wss serves now expires (its notAfter), as Unix seconds.",
            )
            .expect("valid metric"),
            certificate_registered: Once::new(),
            accept_errors: counter_vec(
                "acdhub_accept_errors_total",
                "Failed accepts by listener (ws, wss, metrics) and kind (descriptors: out of file descriptors; other); each backs off.",
                &["listener", "kind"],
            ),
            http_refused: counter_vec(
                "acdhub_http_refused_total",
                "HTTP requests refused before any session, by code (server_full, too_many_links, too_many_unauthenticated, probes_busy, body_timeout).",
                &["code"],
            ),
            auth_failures: counter_vec(
                "acdhub_auth_failures_total",
                "Sign-ins refused: a wrong password (password), a wrong, expired or revoked token (token), or a password sign-in refused unchecked by the per-address or per-user throttle (throttled).",
                &["kind"],
            ),
            log_lines_dropped: {
                let counter = IntCounter::new(
                    "acdhub_log_lines_dropped_total",
                    "Log lines dropped because the log's reader (a pipe, journald, a terminal) did not keep up; the server never waits for it.",
                )
                .expect("valid metric");
                register(Box::new(counter.clone()));
                counter
            },
            audit: AuditCounters::new(&registry),
            registry: registry.clone(),
        };
        let build = IntGaugeVec::new(
            Opts::new(
                "acdhub_build_info",
                "The running binary: its version, the git commit it was built from (revision) and the compiler (rustc); always 1.",
            ),
            &["version", "revision", "rustc"],
        )
        .expect("valid metric");
        build.with_label_values(&[VERSION, REVISION, RUSTC]).set(1);
        register(Box::new(build));
        register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ));
        // Every series exists from the start, at 0, so rates and alerts see it before the first
        // event.
        for role in role_labels() {
            for rung in Rung::ALL {
                counters.connections.with_label_values(&[rung.name(), role]);
            }
            counters.received.with_label_values(&[role]);
            counters.sent.with_label_values(&[role]);
            counters.replaced.with_label_values(&[role]);
            counters.slow_disconnects.with_label_values(&[role]);
            for code in REFUSAL_CODES {
                counters.refused.with_label_values(&[role, code]);
            }
        }
        for rung in Rung::ALL {
            counters
                .connections_opened
                .with_label_values(&[rung.name()]);
        }
        for result in RESUME_RESULTS {
            counters.resumes.with_label_values(&[result]);
        }
        for result in RELOAD_RESULTS {
            counters.reloads.with_label_values(&[result]);
        }
        for code in HTTP_REFUSALS {
            counters.http_refused.with_label_values(&[code]);
        }
        for kind in AUTH_FAILURE_KINDS {
            counters.auth_failures.with_label_values(&[kind]);
        }
        for reason in EVICTION_REASONS {
            counters.sessions_evicted.with_label_values(&[reason]);
        }
        counters
    }

    /// A tenant journals its commands: its series exist from now on.
    pub fn journal_opened(&self, tenant: &str) {
        self.journal_records.with_label_values(&[tenant]);
        self.journal_groups.with_label_values(&[tenant]);
        self.journal_writable.with_label_values(&[tenant]).set(1);
        for result in SNAPSHOT_RESULTS {
            self.snapshots.with_label_values(&[tenant, result]);
        }
    }

    /// A group of `records` was written to the tenant's journal, or could not be.
    pub fn journaled(&self, tenant: &str, records: usize, written: bool) {
        if written {
            self.journal_records
                .with_label_values(&[tenant])
                .inc_by(records as u64);
            self.journal_groups.with_label_values(&[tenant]).inc();
        }
        self.journal_writable
            .with_label_values(&[tenant])
            .set(i64::from(written));
    }

    pub fn snapshot(&self, tenant: &str, written: bool) {
        let [ok, failed] = SNAPSHOT_RESULTS;
        let result = if written { ok } else { failed };
        self.snapshots.with_label_values(&[tenant, result]).inc();
    }

    /// A sign-in was refused; `kind` is `password`, `token` or `throttled`.
    pub fn auth_failure(&self, kind: &str) {
        debug_assert!(
            AUTH_FAILURE_KINDS.contains(&kind),
            "{kind} is in AUTH_FAILURE_KINDS"
        );
        self.auth_failures.with_label_values(&[kind]).inc();
    }

    /// A reload ended: applied, or refused (nothing changed).
    pub fn reload(&self, applied: bool) {
        let [on_apply, on_refuse] = RELOAD_RESULTS;
        let result = if applied { on_apply } else { on_refuse };
        self.reloads.with_label_values(&[result]).inc();
    }

    /// The certificate wss serves from now on expires at `unix_seconds`.
    pub fn certificate_not_after(&self, unix_seconds: i64) {
        self.certificate_registered.call_once(|| {
            self.registry
                .register(Box::new(self.certificate_not_after.clone()))
                .expect("the certificate's gauge is registered once");
        });
        self.certificate_not_after.set(unix_seconds);
    }

    /// A new connection: counted as unauthenticated until it authenticates.
    pub fn connection(&self, rung: Rung) -> ConnectionCounters {
        self.connections_opened
            .with_label_values(&[rung.name()])
            .inc();
        let session = ConnectionCounters {
            rung,
            role: UNAUTHENTICATED,
            connection: self
                .connections
                .with_label_values(&[rung.name(), UNAUTHENTICATED]),
            received: self.received.with_label_values(&[UNAUTHENTICATED]),
            sent: self.sent.with_label_values(&[UNAUTHENTICATED]),
        };
        session.connection.inc();
        session
    }

    /// A client asked to resume a session: `resumed`, or `resync` when it got a new one.
    pub fn resume(&self, resumed: bool) {
        let [on_resume, on_resync] = RESUME_RESULTS;
        let result = if resumed { on_resume } else { on_resync };
        self.resumes.with_label_values(&[result]).inc();
    }

    pub fn refused(&self, role: &str, code: &str) {
        self.refused.with_label_values(&[role, code]).inc();
    }

    /// `updates` statistics updates for a session of `role` were replaced by a newer one before
    /// they were written (`acdhub_stats_updates_replaced_total`): latest wins, nothing is lost.
    pub fn dropped(&self, role: Role, updates: u64) {
        if updates > 0 {
            self.replaced
                .with_label_values(&[role.name()])
                .inc_by(updates);
        }
    }

    pub fn slow_disconnect(&self, role: &str) {
        self.slow_disconnects.with_label_values(&[role]).inc();
    }

    /// A parked session was ended early to make room (`principal_cap` or `parked_cap`).
    pub fn session_evicted(&self, reason: &str) {
        debug_assert!(
            EVICTION_REASONS.contains(&reason),
            "{reason} is in EVICTION_REASONS"
        );
        self.sessions_evicted.with_label_values(&[reason]).inc();
    }

    pub fn gather(&self) -> Vec<MetricFamily> {
        if let Some(read) = LOG_LINES_DROPPED.get() {
            let dropped = read();
            let counted = self.log_lines_dropped.get();
            if dropped > counted {
                self.log_lines_dropped.inc_by(dropped - counted);
            }
        }
        self.registry.gather()
    }

    /// A listener's accept failed; `descriptors` when the process ran out of file descriptors.
    /// Each listener's series exist from its start, at 0.
    pub fn accept_error(&self, listener: &str, descriptors: bool) {
        let [out_of_descriptors, other] = ACCEPT_ERROR_KINDS;
        let kind = if descriptors {
            out_of_descriptors
        } else {
            other
        };
        self.accept_errors
            .with_label_values(&[listener, kind])
            .inc();
    }

    pub fn listening(&self, listener: &str) {
        for kind in ACCEPT_ERROR_KINDS {
            self.accept_errors.with_label_values(&[listener, kind]);
        }
    }

    /// An HTTP request refused before it reached a session, with the refusal's code.
    pub fn http_refused(&self, code: &str) {
        debug_assert!(HTTP_REFUSALS.contains(&code), "{code} is in HTTP_REFUSALS");
        self.http_refused.with_label_values(&[code]).inc();
    }
}

impl Default for Counters {
    fn default() -> Counters {
        Counters::new()
    }
}

/// One connection's counters, resolved once so that counting a message is one atomic add.
pub struct ConnectionCounters {
    rung: Rung,
    pub role: &'static str,
    connection: IntGauge,
    received: IntCounter,
    sent: IntCounter,
}

impl ConnectionCounters {
    /// The connection authenticated as `role`: it counts under that role from now on.
    pub fn authenticated(&mut self, counters: &Counters, role: Role) {
        self.connection.dec();
        self.role = role.name();
        self.connection = counters
            .connections
            .with_label_values(&[self.rung.name(), self.role]);
        self.connection.inc();
        self.received = counters.received.with_label_values(&[self.role]);
        self.sent = counters.sent.with_label_values(&[self.role]);
    }

    pub fn received(&self) {
        self.received.inc();
    }

    pub fn sent(&self, messages: u64) {
        self.sent.inc_by(messages);
    }
}

impl Drop for ConnectionCounters {
    fn drop(&mut self) {
        self.connection.dec();
    }
}

/// How many lines the process's log writer has dropped so far, for `acdhub_log_lines_dropped_total`:
/// set once by whoever sets up the log (the binary's `main`); a server without it counts none.
static LOG_LINES_DROPPED: OnceLock<Box<dyn Fn() -> u64 + Send + Sync>> = OnceLock::new();

/// Tells every server of this process how to read the log writer's count of dropped lines.
pub fn count_dropped_log_lines(read: impl Fn() -> u64 + Send + Sync + 'static) {
    let _ = LOG_LINES_DROPPED.set(Box::new(read));
}

/// The audit log's series: whether it can take a record now, and the supervisor actions it
/// made the server refuse.
struct AuditCounters {
    writable: IntGauge,
    refused: IntCounter,
}

impl AuditCounters {
    fn new(registry: &Registry) -> AuditCounters {
        let writable = IntGauge::new(
            "acdhub_audit_log_writable",
            "1 while the audit log file can take records (or there is none); 0 while supervisor actions are refused with audit_unavailable.",
        )
        .expect("valid metric");
        writable.set(1);
        let refused = IntCounter::new(
            "acdhub_audit_refused_total",
            "Supervisor actions refused with audit_unavailable because their audit record could not be written first.",
        )
        .expect("valid metric");
        for collector in [
            Box::new(writable.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(refused.clone()),
        ] {
            registry.register(collector).expect("registered once");
        }
        AuditCounters { writable, refused }
    }
}

impl Counters {
    /// The audit log can take records again (`true`), or cannot (`false`).
    pub fn audit_writable(&self, writable: bool) {
        self.audit.writable.set(i64::from(writable));
    }

    /// A supervisor action was refused because its audit record could not be written.
    pub fn audit_refused(&self) {
        self.audit.refused.inc();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use prometheus::proto::Metric;

    use super::*;

    /// The codes protocol/schemas/server/error.json lists for `error.code`: the contract, which
    /// tests/core/protocol_contract.rs holds to `ProtocolError::code` and `AcdError::code`.
    fn schema_codes() -> BTreeSet<String> {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/protocol/schemas/server/error.json"
        );
        let schema: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let codes: BTreeSet<String> = schema["properties"]["code"]["enum"]
            .as_array()
            .expect("error.json lists its codes")
            .iter()
            .map(|code| code.as_str().unwrap().to_owned())
            .collect();
        assert!(codes.len() > 30, "{codes:?}");
        codes
    }

    fn label<'a>(metric: &'a Metric, name: &str) -> &'a str {
        metric
            .get_label()
            .iter()
            .find(|l| l.name() == name)
            .map_or_else(|| panic!("no label {name}"), |l| l.value())
    }

    fn family(counters: &Counters, name: &str) -> Vec<Metric> {
        counters
            .gather()
            .into_iter()
            .find(|f| f.name() == name)
            .unwrap_or_else(|| panic!("no family {name}"))
            .take_metric()
            .into_iter()
            .collect()
    }

    #[test]
    fn the_refusal_codes_are_every_code_of_the_protocol_once() {
        let listed: BTreeSet<String> = REFUSAL_CODES.iter().map(|&c| c.to_owned()).collect();
        assert_eq!(listed.len(), REFUSAL_CODES.len(), "a code listed twice");
        assert_eq!(listed, schema_codes());
    }

    /// Each role (and `unauthenticated`) has a series of each code at 0 before any message, and
    /// a refusal moves its own series only.
    #[test]
    fn every_refusal_series_exists_at_zero_until_its_first_refusal() {
        let counters = Counters::new();
        let roles: BTreeSet<&str> = Role::ALL
            .into_iter()
            .map(Role::name)
            .chain([UNAUTHENTICATED])
            .collect();
        assert_eq!(roles.len(), Role::ALL.len() + 1, "{roles:?}");
        let expected: BTreeSet<(String, String)> = roles
            .iter()
            .flat_map(|role| {
                schema_codes()
                    .into_iter()
                    .map(move |code| ((*role).to_owned(), code))
            })
            .collect();
        let at_start = family(&counters, "acdhub_messages_refused_total");
        let served: BTreeSet<(String, String)> = at_start
            .iter()
            .map(|m| {
                assert_eq!(m.get_counter().get_value(), 0.0, "{m:?}");
                (label(m, "role").to_owned(), label(m, "code").to_owned())
            })
            .collect();
        assert_eq!(served.len(), at_start.len());
        assert_eq!(served, expected);

        counters.refused("telephony", "unknown_call");
        let after = family(&counters, "acdhub_messages_refused_total");
        assert_eq!(after.len(), at_start.len(), "no series added");
        for m in &after {
            let refused = (label(m, "role"), label(m, "code")) == ("telephony", "unknown_call");
            assert_eq!(
                m.get_counter().get_value(),
                if refused { 1.0 } else { 0.0 },
                "{m:?}"
            );
        }
    }

    #[test]
    fn build_info_names_the_version_the_commit_and_the_compiler() {
        let counters = Counters::new();
        let build = family(&counters, "acdhub_build_info");
        assert_eq!(build.len(), 1, "{build:?}");
        let info = &build[0];
        assert_eq!(info.get_gauge().get_value(), 1.0);
        assert_eq!(label(info, "version"), env!("CARGO_PKG_VERSION"));
        let revision = label(info, "revision");
        assert!(
            revision == "unknown"
                || (revision.len() >= 4 && revision.chars().all(|c| c.is_ascii_hexdigit())),
            "{revision}"
        );
        let rustc = label(info, "rustc");
        assert!(rustc.starts_with("rustc "), "{rustc}");
    }
}
