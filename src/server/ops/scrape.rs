//! The scrape: a pure function from every tenant's figures ([`TenantFigures`]) to Prometheus
//! metric families. The ACD's figures are not kept twice: each scrape asks every engine for its
//! tenant at one instant, and this module only formats what they report.

use std::collections::BTreeMap;

use jiff::Timestamp;
use prometheus::proto::{
    Bucket, Counter, Gauge, Histogram, LabelPair, Metric, MetricFamily, MetricType,
};

use crate::acd::{AgentCounts, QueueHistograms, QueueStats};
use crate::server::tenant::TenantFigures;

/// The metric families of every tenant's ACD, one family per name.
pub fn acd_families(tenants: &[TenantFigures]) -> Vec<MetricFamily> {
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

/// The `disposition` label of handlings without one; no queue may configure it as a code.
const NO_DISPOSITION: &str = crate::acd::config::NO_DISPOSITION;

fn queue_series(
    out: &mut Families,
    tenant: &str,
    at: Timestamp,
    queue: &QueueStats,
    histograms: &QueueHistograms,
) {
    // Every queue series names its lane: a queue serving calls and chat has two of each.
    let labels = [
        ("tenant", tenant),
        ("queue", queue.id.as_str()),
        ("channel", queue.channel_name()),
    ];
    let figures = &queue.stats.lifetime;
    out.gauge(
        "acdhub_queue_info",
        "A lane of a queue (always 1): channel voice, or a messaging channel whose \
         conversations the lane's calls series then count. A queue has one per channel it serves.",
        &labels,
        1.0,
    );
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
            &[labels[0], labels[1], labels[2], ("state", state)],
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
            &[labels[0], labels[1], labels[2], ("outcome", outcome)],
            count as f64,
        );
    }
    let dispositions = &queue.stats.dispositions;
    let handled = dispositions
        .lifetime
        .iter()
        .map(|(code, count)| (code.as_str(), *count))
        .chain([(NO_DISPOSITION, dispositions.lifetime_none)]);
    for (code, count) in handled {
        out.counter(
            "acdhub_queue_calls_handled_by_disposition_total",
            "Agents' handlings of the queue's calls by the disposition given (`none`: none), \
             counted when the wrap-up ends; a transferred call counts once per agent.",
            &[labels[0], labels[1], labels[2], ("disposition", code)],
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
    if queue.channel.is_some() {
        conversation_series(out, &labels, queue);
    }
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
            labels[2],
            ("variant", service_level.variant.name()),
            ("threshold", &le),
        ],
        1.0,
    );
}

/// What only a lane of conversations has: places now, first responses, and place time for
/// concurrency and occupancy by capacity (ratios of rates).
fn conversation_series(out: &mut Families, labels: &[(&str, &str); 3], queue: &QueueStats) {
    let figures = &queue.stats.lifetime;
    let places = &queue.stats.places;
    for (name, help, value) in [
        (
            "acdhub_queue_places",
            "Places the queue's agents staff in its channel now: capacity while they may take \
             new conversations of it, only what they hold while they may not.",
            places.staffed,
        ),
        (
            "acdhub_queue_places_taken",
            "Conversations of the channel the queue's agents hold now: offered, open or in wrap-up.",
            places.taken,
        ),
        (
            "acdhub_queue_agents_holding",
            "Agents of the queue holding at least one conversation of its channel now.",
            places.holding,
        ),
    ] {
        out.gauge(name, help, labels, value as f64);
    }
    out.counter(
        "acdhub_queue_first_responses_total",
        "Conversations whose first agent reply came while in the queue.",
        labels,
        figures.first_responses as f64,
    );
    out.counter(
        "acdhub_queue_first_responses_within_threshold_total",
        "First agent replies within the queue's first-response threshold.",
        labels,
        figures.first_responses_within_threshold as f64,
    );
    out.counter(
        "acdhub_queue_first_response_seconds_total",
        "Total time from the start of each conversation to its first agent reply.",
        labels,
        figures.first_response_ms as f64 / 1000.0,
    );
    out.gauge(
        "acdhub_queue_first_response_threshold_seconds",
        "The queue's first-response threshold.",
        labels,
        queue.service_level.first_response_threshold().as_millis() as f64 / 1000.0,
    );
    for (name, help, ms) in [
        (
            "acdhub_queue_place_seconds_total",
            "Place-seconds staffed, for occupancy by capacity.",
            figures.places_ms,
        ),
        (
            "acdhub_queue_place_taken_seconds_total",
            "Place-seconds taken by conversations, for occupancy by capacity and concurrency.",
            figures.places_taken_ms,
        ),
        (
            "acdhub_queue_agent_holding_seconds_total",
            "Agent-seconds holding at least one conversation, for concurrency.",
            figures.holding_ms,
        ),
    ] {
        out.counter(name, help, labels, ms as f64 / 1000.0);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::{Acd, AgentId, CallData, Command, QueueId, RequestedState};

    fn family<'a>(families: &'a [MetricFamily], name: &str) -> &'a MetricFamily {
        families
            .iter()
            .find(|f| f.name() == name)
            .unwrap_or_else(|| panic!("no family {name}"))
    }

    fn label<'a>(metric: &'a Metric, name: &str) -> &'a str {
        metric
            .get_label()
            .iter()
            .find(|l| l.name() == name)
            .map_or("", |l| l.value())
    }

    /// The support queue's metric of `family` with the extra label `outcome` or `state`.
    fn support<'a>(families: &'a [MetricFamily], name: &str, extra: Option<&str>) -> &'a Metric {
        family(families, name)
            .get_metric()
            .iter()
            .find(|m| {
                label(m, "queue") == "support"
                    && extra.is_none_or(|value| {
                        label(m, "outcome") == value || label(m, "state") == value
                    })
            })
            .unwrap_or_else(|| panic!("no support series in {name}"))
    }

    #[test]
    fn the_families_carry_the_cores_exact_figures() {
        let config = crate::demo::demo().tenants.remove(0).acd;
        let start = jiff::Timestamp::from_second(1_736_150_400).unwrap();
        let mut acd = Acd::new(config, start).unwrap();
        let agent = AgentId::from("agent4");
        acd.handle(
            Command::Login {
                agent: agent.clone(),
            },
            start,
        )
        .unwrap();
        let ready = RequestedState::Ready;
        acd.handle(
            Command::SetState {
                agent,
                state: ready,
            },
            start,
        )
        .unwrap();
        for call in ["c1", "c2"] {
            let arrived = Command::CallArrived {
                arrived_at: None,
                call: call.into(),
                queue: QueueId::from("support"),
                priority: 0,
                data: CallData::default(),
            };
            acd.handle(arrived, start).unwrap();
        }
        let answered = Command::CallAnswered { call: "c1".into() };
        acd.handle(answered, start + std::time::Duration::from_secs(3))
            .unwrap();

        let families = acd_families(&[TenantFigures::of("demo", &acd)]);
        let names: Vec<&str> = families.iter().map(|f| f.name()).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(names.len(), sorted.len(), "one family per name: {names:?}");

        let waiting = support(&families, "acdhub_queue_calls_waiting", None);
        assert_eq!(waiting.get_gauge().get_value(), 1.0);
        let offered = support(&families, "acdhub_queue_calls_offered_total", None);
        assert_eq!(offered.get_counter().get_value(), 2.0);
        let answered = support(&families, "acdhub_queue_calls_total", Some("answered"));
        assert_eq!(answered.get_counter().get_value(), 1.0);
        let on_call = support(&families, "acdhub_queue_agents", Some("on_call"));
        assert_eq!(on_call.get_gauge().get_value(), 1.0);

        // The answer waited 3 s: inside the bucket at support's 20 s threshold, one sample.
        let waits = support(&families, "acdhub_queue_answer_wait_seconds", None);
        let histogram = waits.get_histogram();
        assert_eq!(histogram.get_sample_count(), 1);
        assert_eq!(histogram.get_sample_sum(), 3.0);
        let at_threshold = histogram
            .get_bucket()
            .iter()
            .find(|b| b.upper_bound() == 20.0)
            .expect("a bucket at the threshold");
        assert_eq!(at_threshold.cumulative_count(), 1);

        let tenant_on_call = family(&families, "acdhub_tenant_agents")
            .get_metric()
            .iter()
            .find(|m| label(m, "state") == "on_call")
            .unwrap();
        assert_eq!(tenant_on_call.get_gauge().get_value(), 1.0);
        let disconnected = family(&families, "acdhub_tenant_agents_not_ready")
            .get_metric()
            .iter()
            .find(|m| label(m, "reason") == "disconnected")
            .expect("system reasons are exported at 0 too");
        assert_eq!(disconnected.get_gauge().get_value(), 0.0);

        // Each queue says what it routes: the demo's four call queues and its chat queue.
        let channels: Vec<(&str, &str)> = family(&families, "acdhub_queue_info")
            .get_metric()
            .iter()
            .map(|m| (label(m, "queue"), label(m, "channel")))
            .collect();
        assert!(channels.contains(&("support", "voice")), "{channels:?}");
        assert!(channels.contains(&("chat", "chat")), "{channels:?}");
        assert_eq!(channels.len(), 5);
    }

    /// A chat queue's series carry its channel and the core's exact place time and first
    /// responses; a call queue has none of them.
    #[test]
    fn a_conversation_queue_exports_places_and_first_responses_by_channel() {
        let config = crate::demo::demo().tenants.remove(0).acd;
        let start = jiff::Timestamp::from_second(1_736_150_400).unwrap();
        let mut acd = Acd::new(config, start).unwrap();
        let agent = AgentId::from("agent3");
        let at = |secs: i64| start + jiff::SignedDuration::from_secs(secs);
        let commands = [
            (
                0,
                Command::Login {
                    agent: agent.clone(),
                },
            ),
            (
                0,
                Command::SetState {
                    agent: agent.clone(),
                    state: RequestedState::Ready,
                },
            ),
            (
                10,
                Command::ConversationArrived {
                    channel: None,
                    conversation: "k1".into(),
                    queue: QueueId::from("chat"),
                    priority: 0,
                    data: CallData::default(),
                    messages: vec!["Hi".into()],
                },
            ),
            (
                12,
                Command::AcceptConversation {
                    agent: agent.clone(),
                    conversation: "k1".into(),
                },
            ),
            (
                40,
                Command::AgentWrote {
                    agent: agent.clone(),
                    conversation: "k1".into(),
                    text: "Hello".into(),
                },
            ),
        ];
        for (secs, command) in commands {
            acd.handle(command, at(secs)).unwrap();
        }
        acd.handle_timeout(at(100));
        let figures = TenantFigures::of("demo", &acd);
        let families = acd_families(&[figures]);
        let value = |name: &str| {
            let metrics = family(&families, name).get_metric();
            assert_eq!(metrics.len(), 1, "{name}: the chat queue's only");
            let m = &metrics[0];
            assert_eq!((label(m, "queue"), label(m, "channel")), ("chat", "chat"));
            m.get_gauge().get_value() + m.get_counter().get_value()
        };
        let capacity = acd.agent_places(&agent).unwrap()[0].2 as f64;
        assert_eq!(value("acdhub_queue_places"), capacity);
        assert_eq!(value("acdhub_queue_places_taken"), 1.0);
        assert_eq!(value("acdhub_queue_agents_holding"), 1.0);
        assert_eq!(value("acdhub_queue_first_responses_total"), 1.0);
        assert_eq!(value("acdhub_queue_first_response_seconds_total"), 30.0);
        assert_eq!(value("acdhub_queue_place_seconds_total"), 100.0 * capacity);
        assert_eq!(value("acdhub_queue_place_taken_seconds_total"), 90.0);
        assert_eq!(value("acdhub_queue_agent_holding_seconds_total"), 90.0);
    }

    #[test]
    fn no_tenant_no_acd_families() {
        assert!(acd_families(&[]).is_empty());
    }
}
