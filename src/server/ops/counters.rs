//! The server's own counters (connections, messages, refusals, drops), counted as things
//! happen by the sessions, the engines and the fan-out, in a [`prometheus::Registry`] with the
//! process collector. A leaf: it knows no layer. The ACD's figures are not counted here
//! ([`super::scrape`]); docs/metrics.md lists every series.

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
    dropped: IntCounterVec,
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
            dropped: counter_vec(
                "acdhub_outbound_dropped_total",
                "Statistics updates replaced by a newer one before they were written (latest wins).",
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
            Opts::new("acdhub_build_info", "The running version; always 1."),
            &["version"],
        )
        .expect("valid metric");
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
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
            counters.dropped.with_label_values(&[role]);
            counters.slow_disconnects.with_label_values(&[role]);
        }
        for rung in Rung::ALL {
            counters
                .connections_opened
                .with_label_values(&[rung.name()]);
        }
        for result in ["resumed", "resync"] {
            counters.resumes.with_label_values(&[result]);
        }
        for result in ["applied", "refused"] {
            counters.reloads.with_label_values(&[result]);
        }
        for code in HTTP_REFUSALS {
            counters.http_refused.with_label_values(&[code]);
        }
        for kind in ["password", "token", "throttled"] {
            counters.auth_failures.with_label_values(&[kind]);
        }
        for reason in ["principal_cap", "parked_cap"] {
            counters.sessions_evicted.with_label_values(&[reason]);
        }
        counters
    }

    /// A tenant journals its commands: its series exist from now on.
    pub fn journal_opened(&self, tenant: &str) {
        self.journal_records.with_label_values(&[tenant]);
        self.journal_groups.with_label_values(&[tenant]);
        self.journal_writable.with_label_values(&[tenant]).set(1);
        for result in ["ok", "failed"] {
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
        let result = if written { "ok" } else { "failed" };
        self.snapshots.with_label_values(&[tenant, result]).inc();
    }

    /// A sign-in was refused; `kind` is `password`, `token` or `throttled`.
    pub fn auth_failure(&self, kind: &str) {
        self.auth_failures.with_label_values(&[kind]).inc();
    }

    /// A reload ended: applied, or refused (nothing changed).
    pub fn reload(&self, applied: bool) {
        let result = if applied { "applied" } else { "refused" };
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
        let result = if resumed { "resumed" } else { "resync" };
        self.resumes.with_label_values(&[result]).inc();
    }

    pub fn refused(&self, role: &str, code: &str) {
        self.refused.with_label_values(&[role, code]).inc();
    }

    pub fn dropped(&self, role: Role, updates: u64) {
        if updates > 0 {
            self.dropped
                .with_label_values(&[role.name()])
                .inc_by(updates);
        }
    }

    pub fn slow_disconnect(&self, role: &str) {
        self.slow_disconnects.with_label_values(&[role]).inc();
    }

    /// A parked session was ended early to make room (`principal_cap` or `parked_cap`).
    pub fn session_evicted(&self, reason: &str) {
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
        let kind = if descriptors { "descriptors" } else { "other" };
        self.accept_errors
            .with_label_values(&[listener, kind])
            .inc();
    }

    pub fn listening(&self, listener: &str) {
        for kind in ["descriptors", "other"] {
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
