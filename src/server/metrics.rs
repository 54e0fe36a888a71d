//! Prometheus metrics: the server's own counters (connections, messages, drops), the process,
//! and every tenant's ACD figures, served at `GET /metrics` on the metrics listener.
//!
//! The server's counters live in a [`prometheus::Registry`] and are counted as things happen.
//! The ACD figures are not kept twice: at each scrape every engine reports its tenant at one
//! instant ([`TenantMetrics`]), from the same exact counts its wallboards get, and
//! [`acd_families`] turns that into metric families. docs/metrics.md lists every series.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use jiff::Timestamp;
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};
use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::acd::{AgentCounts, QueueHistograms, QueueStats};
use crate::config::Role;

use super::Shared;
use super::engine::Request;
use super::registry::Rung;

/// The role label of a session that has not authenticated yet.
pub const UNAUTHENTICATED: &str = "unauthenticated";

fn role_labels() -> impl Iterator<Item = &'static str> {
    Role::ALL
        .into_iter()
        .map(Role::name)
        .chain([UNAUTHENTICATED])
}

/// The server's own metrics.
pub struct Metrics {
    registry: Registry,
    connections: IntGaugeVec,
    connections_opened: IntCounterVec,
    received: IntCounterVec,
    sent: IntCounterVec,
    refused: IntCounterVec,
    dropped: IntCounterVec,
    slow_disconnects: IntCounterVec,
    resumes: IntCounterVec,
}

impl Metrics {
    pub fn new() -> Metrics {
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
        let metrics = Metrics {
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
                metrics.connections.with_label_values(&[rung.name(), role]);
            }
            metrics.received.with_label_values(&[role]);
            metrics.sent.with_label_values(&[role]);
            metrics.dropped.with_label_values(&[role]);
            metrics.slow_disconnects.with_label_values(&[role]);
        }
        for rung in Rung::ALL {
            metrics.connections_opened.with_label_values(&[rung.name()]);
        }
        for result in ["resumed", "resync"] {
            metrics.resumes.with_label_values(&[result]);
        }
        metrics
    }

    /// A new connection: counted as unauthenticated until it authenticates.
    pub fn session(&self, rung: Rung) -> SessionMetrics {
        self.connections_opened
            .with_label_values(&[rung.name()])
            .inc();
        let session = SessionMetrics {
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

    fn gather(&self) -> Vec<MetricFamily> {
        self.registry.gather()
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

/// One session's counters, resolved once so that counting a message is one atomic add.
pub struct SessionMetrics {
    rung: Rung,
    pub role: &'static str,
    connection: IntGauge,
    received: IntCounter,
    sent: IntCounter,
}

impl SessionMetrics {
    /// The session authenticated as `role`: it counts under that role from now on.
    pub fn authenticated(&mut self, metrics: &Metrics, role: Role) {
        self.connection.dec();
        self.role = role.name();
        self.connection = metrics
            .connections
            .with_label_values(&[self.rung.name(), self.role]);
        self.connection.inc();
        self.received = metrics.received.with_label_values(&[self.role]);
        self.sent = metrics.sent.with_label_values(&[self.role]);
    }

    pub fn received(&self) {
        self.received.inc();
    }

    pub fn sent(&self, messages: u64) {
        self.sent.inc_by(messages);
    }
}

impl Drop for SessionMetrics {
    fn drop(&mut self) {
        self.connection.dec();
    }
}

/// One tenant's ACD at one instant, as an engine reports it for a scrape.
pub struct TenantMetrics {
    pub tenant: String,
    pub at: Timestamp,
    pub queues: Vec<(QueueStats, QueueHistograms)>,
    /// Agents of the tenant by state, each counted once.
    pub agents: AgentCounts,
    /// Not-ready agents by reason, for every reason there is (configured and system), 0 too.
    pub not_ready_by_reason: Vec<(String, u32)>,
}

/// Serves `GET /metrics` (and `GET /sessions`, the server's side of connection diagnostics)
/// until the server shuts down.
pub async fn serve(listener: TcpListener, shared: Arc<Shared>) {
    let app = Router::new()
        .route("/metrics", get(scrape))
        .route("/sessions", get(sessions))
        .with_state(shared.clone());
    let shutdown = shared.shutdown.clone();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { shutdown.cancelled().await })
        .await;
    if let Err(error) = served {
        tracing::warn!(%error, "the metrics listener stopped");
    }
}

/// `GET /sessions`: every session, the rung its connection is on (none while it waits to be
/// resumed), and how its connections have fared. For the administrator: it names users and
/// their addresses, so it is served on the metrics listener, which is local by default.
async fn sessions(State(shared): State<Arc<Shared>>) -> Response {
    use std::sync::atomic::Ordering::Relaxed;
    let mut slots = shared.sessions.slots();
    slots.sort_by_key(|slot| slot.number);
    let sessions: Vec<serde_json::Value> = slots
        .iter()
        .map(|slot| {
            let stats = &slot.stats;
            let (rung, remote) = match stats.rung() {
                Some((rung, remote)) => (Some(rung.name()), Some(remote.to_string())),
                None => (None, None),
            };
            serde_json::json!({
                "session": slot.number,
                "tenant": slot.identity.tenant,
                "user": slot.identity.user,
                "role": slot.identity.role.name(),
                "started_at": crate::protocol::outbound::time(slot.started_at),
                "connected": slot.is_attached(),
                "rung": rung,
                "remote": remote,
                "connections": stats.links.load(Relaxed),
                "resumes": stats.resumes.load(Relaxed),
                "resync": stats.resync.load(Relaxed),
                "heartbeat_misses": stats.heartbeat_misses.load(Relaxed),
                "last_seq": stats.last_seq.load(Relaxed),
            })
        })
        .collect();
    let body = serde_json::json!({
        "at": crate::protocol::outbound::time(shared.clock.now()),
        "connections": shared.registry.len(),
        "sessions": sessions,
    });
    axum::Json(body).into_response()
}

/// How long a scrape waits for a busy engine before it answers without that tenant.
const ENGINE_PATIENCE: Duration = Duration::from_secs(5);

async fn scrape(State(shared): State<Arc<Shared>>) -> Response {
    // Every engine is asked at once, under one deadline well inside Prometheus's default
    // 10 s scrape timeout: a busy tenant costs the scrape its own series, not everyone's.
    let asked = shared.engines.iter().map(|(tenant, engine)| async move {
        let (reply, answer) = oneshot::channel();
        let round_trip = async {
            engine.send(Request::Metrics { reply }).await.ok()?;
            answer.await.ok()
        };
        let answered = tokio::time::timeout(ENGINE_PATIENCE, round_trip).await;
        if !matches!(answered, Ok(Some(_))) {
            tracing::warn!(%tenant, "a scrape went without a tenant whose engine did not answer");
        }
        answered.ok().flatten()
    });
    let mut tenants: Vec<TenantMetrics> = futures_util::future::join_all(asked)
        .await
        .into_iter()
        .flatten()
        .collect();
    tenants.sort_by(|a, b| a.tenant.cmp(&b.tenant));
    let mut families = shared.metrics.gather();
    families.extend(acd_families(&tenants));
    families.sort_by(|a, b| a.name().cmp(b.name()));
    match TextEncoder::new().encode_to_string(&families) {
        Ok(text) => ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response(),
        Err(error) => {
            tracing::error!(%error, "metrics did not encode");
            (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    }
}

/// The metric families of every tenant's ACD, one family per name.
pub fn acd_families(tenants: &[TenantMetrics]) -> Vec<MetricFamily> {
    let mut out = Families::default();
    for tenant in tenants {
        for (queue, histograms) in &tenant.queues {
            queue_series(&mut out, &tenant.tenant, tenant.at, queue, histograms);
        }
        let labels = [("tenant", tenant.tenant.as_str())];
        for (state, count) in agent_states(&tenant.agents) {
            out.gauge(
                "acdhub_tenant_agents",
                "Agents of the tenant by state, each agent once; logged-out agents not counted.",
                &[labels[0], ("state", state)],
                count as f64,
            );
        }
        for (reason, count) in &tenant.not_ready_by_reason {
            out.gauge(
                "acdhub_tenant_agents_not_ready",
                "Not-ready agents of the tenant by reason code.",
                &[labels[0], ("reason", reason.as_str())],
                *count as f64,
            );
        }
    }
    out.into_families()
}

fn agent_states(agents: &AgentCounts) -> [(&'static str, u32); 5] {
    [
        ("ready", agents.ready),
        ("ringing", agents.ringing),
        ("on_call", agents.on_call),
        ("wrap_up", agents.wrap_up),
        ("not_ready", agents.not_ready),
    ]
}

fn queue_series(
    out: &mut Families,
    tenant: &str,
    at: Timestamp,
    queue: &QueueStats,
    histograms: &QueueHistograms,
) {
    let labels = [("tenant", tenant), ("queue", queue.id.as_str())];
    let figures = &queue.stats.lifetime;
    out.gauge(
        "acdhub_queue_calls_waiting",
        "Calls waiting in the queue now (ringing calls not included).",
        &labels,
        queue.waiting as f64,
    );
    out.gauge(
        "acdhub_queue_calls_ringing",
        "Calls of the queue ringing at an agent now.",
        &labels,
        queue.ringing as f64,
    );
    let oldest = queue.oldest_waiting_since.map_or(0.0, |since| {
        (at.as_millisecond() - since.as_millisecond()).max(0) as f64 / 1000.0
    });
    out.gauge(
        "acdhub_queue_oldest_wait_seconds",
        "How long the longest-waiting call of the queue has waited; 0 when none waits.",
        &labels,
        oldest,
    );
    for (state, count) in agent_states(&queue.stats.agents) {
        out.gauge(
            "acdhub_queue_agents",
            "Agents with a skill in the queue by state; an agent in several queues counts in each.",
            &[labels[0], labels[1], ("state", state)],
            count as f64,
        );
    }
    out.counter(
        "acdhub_queue_calls_offered_total",
        "Calls that entered the queue.",
        &labels,
        figures.offered as f64,
    );
    for (outcome, count) in [
        ("answered", figures.answered),
        ("abandoned", figures.abandoned),
        ("short_abandoned", figures.short_abandoned),
        ("overflowed", figures.overflowed),
        ("timed_out", figures.timed_out),
        ("refused", figures.refused),
    ] {
        out.counter(
            "acdhub_queue_calls_total",
            "Calls of the queue by outcome.",
            &[labels[0], labels[1], ("outcome", outcome)],
            count as f64,
        );
    }
    out.histogram(
        "acdhub_queue_answer_wait_seconds",
        "Waiting time of answered calls; one bucket is the queue's service-level threshold.",
        &labels,
        &histograms.answer_wait,
    );
    out.histogram(
        "acdhub_queue_abandon_wait_seconds",
        "Waiting time of abandoned calls (short abandons excluded); one bucket is the threshold.",
        &labels,
        &histograms.abandon_wait,
    );
    out.histogram(
        "acdhub_queue_handle_seconds",
        "Handle time (talk, hold and wrap-up) of each handled call.",
        &labels,
        &histograms.handle,
    );
    out.counter(
        "acdhub_queue_agent_ready_seconds_total",
        "Agent-seconds spent ready and idle, for occupancy.",
        &labels,
        figures.ready_idle_ms as f64 / 1000.0,
    );
    out.counter(
        "acdhub_queue_agent_handling_seconds_total",
        "Agent-seconds spent on calls and in wrap-up, for occupancy.",
        &labels,
        figures.handling_ms as f64 / 1000.0,
    );
    let service_level = &queue.service_level;
    let threshold = service_level.threshold.as_millis() as f64 / 1000.0;
    out.gauge(
        "acdhub_queue_service_level_threshold_seconds",
        "The queue's service-level threshold.",
        &labels,
        threshold,
    );
    out.gauge(
        "acdhub_queue_service_level_target_ratio",
        "The queue's service-level target, 0 to 1.",
        &labels,
        service_level.target_percent / 100.0,
    );
    // The threshold spelled as the histogram's `le` label is (the encoder writes bounds with
    // `{}`), so a rule can turn this label into `le` and pick the bucket at T. (Calling the
    // label `le` here would make it look like a histogram's to linters.)
    let le = threshold.to_string();
    out.gauge(
        "acdhub_queue_service_level_info",
        "The queue's service-level formula and, in threshold, T as the bucket's le label; always 1.",
        &[
            labels[0],
            labels[1],
            ("variant", service_level.variant.name()),
            ("threshold", &le),
        ],
        1.0,
    );
}

/// Metric families under construction, by name, in the order first used.
#[derive(Default)]
struct Families {
    by_name: BTreeMap<&'static str, MetricFamily>,
}

impl Families {
    fn family(
        &mut self,
        name: &'static str,
        help: &'static str,
        kind: MetricType,
    ) -> &mut MetricFamily {
        self.by_name.entry(name).or_insert_with(|| {
            let mut family = MetricFamily::default();
            family.set_name(name.to_owned());
            family.set_help(help.to_owned());
            family.set_field_type(kind);
            family
        })
    }

    fn push(&mut self, name: &'static str, help: &'static str, kind: MetricType, metric: Metric) {
        self.family(name, help, kind).mut_metric().push(metric);
    }

    fn gauge(&mut self, name: &'static str, help: &'static str, labels: &[(&str, &str)], v: f64) {
        let mut gauge = Gauge::default();
        gauge.set_value(v);
        let mut metric = labelled(labels);
        metric.set_gauge(gauge);
        self.push(name, help, MetricType::GAUGE, metric);
    }

    fn counter(&mut self, name: &'static str, help: &'static str, labels: &[(&str, &str)], v: f64) {
        let mut counter = Counter::default();
        counter.set_value(v);
        let mut metric = labelled(labels);
        metric.set_counter(counter);
        self.push(name, help, MetricType::COUNTER, metric);
    }

    fn histogram(
        &mut self,
        name: &'static str,
        help: &'static str,
        labels: &[(&str, &str)],
        from: &crate::acd::Histogram,
    ) {
        let mut histogram = Histogram::default();
        histogram.set_sample_count(from.count());
        histogram.set_sample_sum(from.sum_secs());
        histogram.set_bucket(
            from.buckets()
                .map(|(upper_bound, cumulative)| {
                    let mut bucket = Bucket::default();
                    bucket.set_upper_bound(upper_bound);
                    bucket.set_cumulative_count(cumulative);
                    bucket
                })
                .collect(),
        );
        let mut metric = labelled(labels);
        metric.set_histogram(histogram);
        self.push(name, help, MetricType::HISTOGRAM, metric);
    }

    fn into_families(self) -> Vec<MetricFamily> {
        self.by_name.into_values().collect()
    }
}

fn labelled(labels: &[(&str, &str)]) -> Metric {
    let mut metric = Metric::default();
    metric.set_label(
        labels
            .iter()
            .map(|(name, value)| {
                let mut pair = LabelPair::default();
                pair.set_name((*name).to_owned());
                pair.set_value((*value).to_owned());
                pair
            })
            .collect(),
    );
    metric
}
