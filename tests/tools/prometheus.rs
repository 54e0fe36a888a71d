//! A real Prometheus (Debian's) scrapes acdhub while the simulator plays calls, with the rules of
//! dashboards/ loaded. Its series for waiting and answered calls must equal what a wallboard
//! subscription reported for the same moments, lane by lane; every rule evaluates, also over a
//! queue that serves calls and chat (two lanes), keeping the lanes apart; and every query of the
//! Grafana dashboard runs, filters by channel and instance and names each series apart, and the
//! panels the test's traffic feeds show it: agents on SSE and long-poll, a resume, answered
//! calls in the wait heatmap, today's and the last 15 minutes' service level.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::dashboards::expand;
use crate::net::http::{Poll, Sse};
use crate::net::{Client, PASSWORD, PATIENCE, Via, addr, http_get};
use acdhub::server::hash_password;

/// A time zone in which it is around noon now, so that no midnight falls in the test and the
/// wallboard's "today" holds everything since the server started, as Prometheus's counters do.
#[allow(clippy::disallowed_methods)] // The test needs today's wall clock, as the server reads it.
fn zone_near_noon() -> String {
    let hour = jiff::Timestamp::now().as_second().rem_euclid(86_400) / 3600;
    let mut offset = 12 - hour;
    if offset < -12 {
        offset += 24;
    }
    match offset {
        0 => "UTC".to_owned(),
        // POSIX-style names: Etc/GMT-2 is two hours ahead of UTC.
        n if n > 0 => format!("Etc/GMT-{n}"),
        n => format!("Etc/GMT+{}", -n),
    }
}

fn config() -> String {
    let hash = hash_password(PASSWORD);
    let zone = zone_near_noon();
    format!(
        r#"
[server]
ws = "127.0.0.1:0"
wss = "off"

[metrics]
listen = "127.0.0.1:0"

[[tenants]]
id = "acme"
time_zone = "{zone}"

[[tenants.queues]]
id = "support"
service_level = {{ threshold_secs = 20, target_percent = 80 }}
ring_timeout_secs = 5
wrap_up_secs = 1

[[tenants.queues]]
id = "sales"
service_level = {{ threshold_secs = 10, target_percent = 90 }}
ring_timeout_secs = 5
wrap_up_secs = 1

[[tenants.channels]]
id = "chat"

# Calls and chat: a lane each. Nobody has the skill, so its work waits.
[[tenants.queues]]
id = "help"
channels = ["voice", "chat"]
ring_timeout_secs = 5
wrap_up_secs = 1

[[tenants.agents]]
id = "v1"
skills = {{ support = 1, sales = 1 }}

[[tenants.agents]]
id = "v2"
skills = {{ support = 1 }}

# Agents who connect (on SSE, long-poll, WebSocket) and never log in to the ACD: they take no
# call, and the rung panels count their connections.
[[tenants.agents]]
id = "a1"
skills = {{ sales = 1 }}

[[tenants.agents]]
id = "a2"
skills = {{ sales = 1 }}

[[tenants.agents]]
id = "a3"
skills = {{ sales = 1 }}

[[principals]]
user = "a1"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "a2"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "a3"
role = "agent"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "wall"
role = "wallboard"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "pbx"
role = "telephony"
tenant = "acme"
password_hash = "{hash}"

[[principals]]
user = "widget"
role = "messaging"
tenant = "acme"
password_hash = "{hash}"

[simulator]
calls_per_hour = {{ support = 900, sales = 900 }}
aht_secs = 4
answer_delay_secs = 1
virtual_agents = ["v1", "v2"]
"#
    )
}

/// Reads messages until the reply to `auth`, which must be an ack.
async fn until_ack(mut next: impl AsyncFnMut() -> Value) {
    for _ in 0..200 {
        let message = next().await;
        if message["type"] == "ack" {
            return;
        }
        assert_ne!(message["type"], "error", "{message}");
    }
    panic!("no ack to auth");
}

/// A port nobody listens on now (Prometheus takes its address on the command line).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Prometheus {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_prometheus(dir: &std::path::Path, target: SocketAddr) -> Prometheus {
    let found = Command::new("prometheus").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "prometheus is not on PATH: ./test.sh installs Debian's `prometheus` package"
    );
    let rules = concat!(env!("CARGO_MANIFEST_DIR"), "/dashboards/acdhub.rules.yml");
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {rules}\n\
             scrape_configs:\n  - job_name: acdhub\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={addr}"))
        .arg("--log.level=warn")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    Prometheus { child, addr }
}

fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Prometheus {
    async fn query(&self, query: &str) -> Value {
        let (status, body) =
            http_get(self.addr, &format!("/api/v1/query?query={}", encode(query))).await;
        let answer: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(answer["status"], "success", "{query}: {body}");
        answer["data"]["result"].clone()
    }

    /// Every raw sample of a series selector over the last `range`, per lane (`queue` and
    /// `channel` labels).
    async fn samples(&self, selector: &str, range: &str) -> Vec<(Lane, Vec<(i64, f64)>)> {
        let result = self.query(&format!("{selector}[{range}]")).await;
        result
            .as_array()
            .unwrap()
            .iter()
            .map(|series| {
                let label = |name: &str| series["metric"][name].as_str().unwrap().to_owned();
                let queue = (label("queue"), label("channel"));
                let values = series["values"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|pair| {
                        let at = (pair[0].as_f64().unwrap() * 1000.0).round() as i64;
                        (at, pair[1].as_str().unwrap().parse().unwrap())
                    })
                    .collect();
                (queue, values)
            })
            .collect()
    }
}

/// What the wallboard reported for one lane of a queue: (instant in ms, waiting, answered today).
type History = Vec<(i64, f64, f64)>;

/// A lane: a queue and one channel it serves (`voice`, or a messaging channel).
type Lane = (String, String);

/// Renders a Grafana legend (`{{label}}` placeholders) for one series of a query's result.
fn legend(format: &str, metric: &Value) -> String {
    let mut text = format.to_owned();
    for (name, value) in metric.as_object().into_iter().flatten() {
        text = text.replace(
            &format!("{{{{{name}}}}}"),
            value.as_str().unwrap_or_default(),
        );
    }
    text
}

/// Compares Prometheus's samples of one figure with the wallboard's history. A sample is
/// compared exactly when the wallboard reported no change from its last update before the
/// sample until well after it (a change is reported within a quarter of a second, so two
/// seconds without an update mean none happened). Returns how many were compared so.
fn compare(
    figure: &str,
    samples: &[(i64, f64)],
    history: &History,
    end_ms: i64,
    pick: impl Fn(&(i64, f64, f64)) -> f64,
    monotonic: bool,
) -> Vec<f64> {
    let mut compared = Vec::new();
    for &(at, value) in samples {
        let Some(k) = history.iter().rposition(|h| h.0 <= at) else {
            continue;
        };
        let next_at = history.get(k + 1).map_or(end_ms, |h| h.0);
        if next_at - at > 2000 {
            assert_eq!(
                value,
                pick(&history[k]),
                "{figure} at {at}: Prometheus has {value}, the wallboard {:?}",
                history[k]
            );
            compared.push(value);
        }
        if monotonic {
            let later = history.get(k + 1).map_or(pick(&history[k]), &pick);
            assert!(
                pick(&history[k]) <= value && value <= later,
                "{figure} at {at}: {value} outside what the wallboard saw around it"
            );
        }
    }
    compared
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_scrapes_the_same_figures_a_wallboard_shows_and_runs_the_rules_and_dashboard() {
    let file = acdhub::config::parse(&config(), "prometheus-test.toml").unwrap();
    let server = acdhub::server::Server::start(file).await.unwrap();
    let dir = std::env::temp_dir().join(format!("acdhub-prometheus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The wallboard records every figure it is sent, from before Prometheus starts.
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "tenant_total": false}))
        .await;
    let history: Arc<Mutex<std::collections::BTreeMap<Lane, History>>> = Arc::default();
    let record = |history: &Mutex<std::collections::BTreeMap<Lane, History>>, m: &Value| {
        if m["type"] == "queue_stats" {
            let at: jiff::Timestamp = m["at"].as_str().unwrap().parse().unwrap();
            let lane = (
                m["queue"].as_str().unwrap().to_owned(),
                m["channel"].as_str().unwrap().to_owned(),
            );
            history.lock().unwrap().entry(lane).or_default().push((
                at.as_millisecond(),
                m["waiting"].as_f64().unwrap(),
                m["today"]["answered"].as_f64().unwrap(),
            ));
        }
    };
    for message in std::mem::take(&mut wall.backlog) {
        record(&history, &message);
    }
    let recorder = {
        let history = history.clone();
        tokio::spawn(async move {
            loop {
                let message = wall.next().await;
                record(&history, &message);
            }
        })
    };

    let prometheus = start_prometheus(&dir, server.metrics_addr().unwrap());
    let deadline = tokio::time::Instant::now() + PATIENCE * 3;
    loop {
        let ready = tokio::net::TcpStream::connect(prometheus.addr)
            .await
            .is_ok()
            && http_get(prometheus.addr, "/-/ready").await.0 == 200;
        if ready {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus never got ready"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Once Prometheus has scraped help's counters at 0, work arrives in both of its lanes: two
    // calls in the voice lane, a conversation in the chat lane. Nobody can take them.
    let deadline = tokio::time::Instant::now() + PATIENCE * 3;
    while prometheus
        .query(r#"acdhub_queue_calls_offered_total{queue="help"}"#)
        .await
        .as_array()
        .unwrap()
        .len()
        < 2
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Prometheus never scraped help's two lanes"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    for call in ["h1", "h2"] {
        pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "help"}))
            .await;
    }
    let (mut widget, _) = Client::login(&server, Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k1", "queue": "help", "messages": ["Hi"]}))
        .await;

    // Two agents behind something that refuses WebSocket: a1 on SSE, a2 on long-poll (kept
    // polling). a3 drops its WebSocket and comes back to resume its session.
    let ws = addr(&server, Via::Ws);
    let auth = |user: &str| json!({"id": "1", "type": "auth", "user": user, "password": PASSWORD});
    let mut sse = Sse::open(ws).await;
    sse.send(&auth("a1")).await;
    until_ack(async || sse.next_message().await).await;
    let mut poll = Poll::open(ws).await;
    poll.send(&auth("a2")).await;
    until_ack(async || poll.next_message().await).await;
    let poller = tokio::spawn(async move {
        loop {
            poll.poll().await;
        }
    });
    let (dropped, reply) = Client::login(&server, Via::Ws, "a3").await;
    let token = reply["token"].as_str().unwrap().to_owned();
    let session = reply["session"].as_str().unwrap().to_owned();
    drop(dropped);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (resumed, reply) = Client::resume_at(ws, Via::Ws, &token, &session, 0, true).await;
    assert_eq!(reply["type"], "ack", "{reply}");

    // Let it scrape for half a minute or so of simulated calls.
    let deadline = tokio::time::Instant::now() + PATIENCE * 6;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let scrapes = prometheus
            .query(r#"count_over_time(acdhub_queue_calls_waiting{queue="support"}[10m])"#)
            .await;
        let count = scrapes[0]["value"][1]
            .as_str()
            .map_or(0.0, |v| v.parse().unwrap());
        let answered = history
            .lock()
            .unwrap()
            .get(&("support".to_owned(), "voice".to_owned()))
            .and_then(|h| h.last().map(|l| l.2))
            .unwrap_or(0.0);
        if count >= 30.0 && answered >= 3.0 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "after {count} scrapes only {answered} calls answered"
        );
    }
    // The wallboard's history is complete up to now; Prometheus's samples end before it.
    let end_ms = server.now().as_millisecond();
    let waiting = prometheus
        .samples(r#"acdhub_queue_calls_waiting{tenant="acme"}"#, "10m")
        .await;
    let answered = prometheus
        .samples(
            r#"acdhub_queue_calls_total{tenant="acme",outcome="answered"}"#,
            "10m",
        )
        .await;
    recorder.abort();
    let history = history.lock().unwrap().clone();
    let lanes = |series: &[(Lane, Vec<(i64, f64)>)]| -> Vec<Lane> {
        let mut lanes: Vec<Lane> = series.iter().map(|(lane, _)| lane.clone()).collect();
        lanes.sort();
        lanes
    };
    let expected: Vec<Lane> = [
        ("help", "chat"),
        ("help", "voice"),
        ("sales", "voice"),
        ("support", "voice"),
    ]
    .map(|(queue, channel)| (queue.to_owned(), channel.to_owned()))
    .into();
    assert_eq!(lanes(&waiting), expected, "a series per lane");
    assert_eq!(lanes(&answered), expected, "a series per lane");
    let mut compared_waiting = Vec::new();
    let mut compared_answered = Vec::new();
    for ((queue, channel), samples) in &waiting {
        let compared = compare(
            &format!("{queue} {channel} waiting"),
            samples,
            &history[&(queue.clone(), channel.clone())],
            end_ms,
            |h| h.1,
            false,
        );
        // Help's lanes end with their own work waiting: two calls, one conversation.
        if queue == "help" {
            let own = if channel == "voice" { 2.0 } else { 1.0 };
            assert_eq!(
                compared.last(),
                Some(&own),
                "help {channel}: {samples:?} against the wallboard's {:?}",
                history[&(queue.clone(), channel.clone())]
            );
        }
        compared_waiting.extend(compared);
    }
    for ((queue, channel), samples) in &answered {
        compared_answered.extend(compare(
            &format!("{queue} {channel} answered"),
            samples,
            &history[&(queue.clone(), channel.clone())],
            end_ms,
            |h| h.2,
            true,
        ));
    }
    eprintln!(
        "compared with the wallboard: waiting {compared_waiting:?}, answered {compared_answered:?}"
    );
    assert!(
        compared_waiting.len() >= 10 && compared_answered.len() >= 10,
        "too few quiet moments to compare: {} waiting, {} answered",
        compared_waiting.len(),
        compared_answered.len()
    );
    assert!(
        compared_answered.iter().any(|&a| a > 0.0),
        "some compared moments had answered calls: {compared_answered:?}"
    );

    // Every rule evaluates without error, and the service level is recorded for a busy queue.
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (_, body) = http_get(prometheus.addr, "/api/v1/rules").await;
        let rules: Value = serde_json::from_str(&body).unwrap();
        let all: Vec<&Value> = rules["data"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|g| g["rules"].as_array().unwrap())
            .collect();
        assert!(all.len() >= 12, "the rules file is loaded: {body}");
        for rule in &all {
            assert_ne!(rule["health"], "err", "{rule}");
        }
        if all.iter().all(|r| r["health"] == "ok") {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "rules never evaluated: {body}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let level = prometheus
        .query(r#"acdhub:queue_service_level:ratio_15m{queue="support"}"#)
        .await;
    assert_eq!(
        level.as_array().unwrap().len(),
        1,
        "support has one lane: {level}"
    );
    assert_eq!(level[0]["metric"]["channel"], "voice");
    let level: f64 = level[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&level), "{level}");

    // Help's two lanes stay apart in the recorded series: each lane's abandonment (nothing
    // abandoned of what was offered in each) is its own series.
    let channels = |result: &Value| -> Vec<String> {
        let mut channels: Vec<String> = result
            .as_array()
            .unwrap()
            .iter()
            .map(|series| series["metric"]["channel"].as_str().unwrap().to_owned())
            .collect();
        channels.sort();
        channels
    };
    let both = vec!["chat".to_owned(), "voice".to_owned()];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let abandonment = loop {
        let result = prometheus
            .query(r#"acdhub:queue_abandonment:ratio_15m{queue="help"}"#)
            .await;
        if channels(&result) == both || tokio::time::Instant::now() > deadline {
            break result;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(channels(&abandonment), both, "{abandonment}");
    for lane in abandonment.as_array().unwrap() {
        assert_eq!(lane["value"][1], "0", "{lane}");
    }
    // Each channel of the tenant sums its own lanes: chat is help's chat lane alone, which had
    // its conversation; voice has the simulator's calls.
    let offered = prometheus
        .query(r#"acdhub:channel_calls_offered:rate_15m{tenant="acme"}"#)
        .await;
    assert_eq!(channels(&offered), both, "{offered}");
    for channel in offered.as_array().unwrap() {
        let rate: f64 = channel["value"][1].as_str().unwrap().parse().unwrap();
        assert!(rate > 0.0, "{channel}");
    }
    // Both of help's lanes have work and nobody to take it: the alert is raised per lane (it
    // fires after a minute; pending until then).
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let alerts = loop {
        let result = prometheus
            .query(r#"ALERTS{alertname="AcdhubCallsWaitingNoAgents",queue="help"}"#)
            .await;
        if channels(&result) == both || tokio::time::Instant::now() > deadline {
            break result;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(channels(&alerts), both, "{alerts}");

    // Every query of the dashboard runs (Grafana's "All" is `.*`).
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/dashboards/acdhub-supervisor.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut queries = 0;
    let mut chat_lanes = 0;
    // What each panel's queries returned, by title and refId.
    let mut shown: std::collections::BTreeMap<(String, String), Value> = Default::default();
    for panel in dashboard["panels"].as_array().unwrap() {
        let title = &panel["title"];
        for target in panel["targets"].as_array().into_iter().flatten() {
            let template = target["expr"].as_str().unwrap();
            let expr = expand(template);
            let result = prometheus.query(&expr).await;
            queries += 1;
            shown.insert(
                (
                    title.as_str().unwrap().to_owned(),
                    target["refId"].as_str().unwrap().to_owned(),
                ),
                result.clone(),
            );
            // Instance at another server: nothing of this one.
            let elsewhere = prometheus
                .query(&expand(&template.replace("$instance", "elsewhere:9464")))
                .await;
            assert_eq!(
                elsewhere.as_array().unwrap().len(),
                0,
                "panel {title} ignores the instance variable: {elsewhere}"
            );
            // Each series a query returns has a legend of its own: help's voice and chat lanes
            // are two lines, named apart.
            let format = target["legendFormat"].as_str().unwrap_or_default();
            let mut legends: Vec<String> = result
                .as_array()
                .unwrap()
                .iter()
                .map(|series| legend(format, &series["metric"]))
                .collect();
            let count = legends.len();
            legends.sort();
            legends.dedup();
            assert_eq!(
                legends.len(),
                count,
                "panel {title}: two series share a legend {format:?}: {result}"
            );
            // With Channel at chat, a per-queue panel shows chat lanes only.
            if template.contains(r#"channel=~"$channel""#) {
                let chat = prometheus
                    .query(&expr.replace(r#"channel=~".*""#, r#"channel=~"chat""#))
                    .await;
                // The heatmap sums the selected lanes: no chat conversation was answered, so
                // with Channel chat its buckets stay at 0 (the voice calls are not in them).
                if panel["type"] == "heatmap" {
                    let answered = |result: &Value| {
                        series(result)
                            .iter()
                            .find(|(m, _)| m["le"] == "+Inf")
                            .map(|(_, v)| *v)
                    };
                    assert_eq!(answered(&chat), Some(0.0), "panel {title}: {chat}");
                    assert!(answered(&result) > Some(0.0), "panel {title}: {result}");
                    continue;
                }
                for series in chat.as_array().unwrap() {
                    assert_eq!(
                        series["metric"]["channel"], "chat",
                        "panel {title} with Channel chat: {series}"
                    );
                    if series["metric"]["queue"] == "help" {
                        chat_lanes += 1;
                    }
                }
            }
        }
    }
    assert!(queries >= 10, "{queries} dashboard queries");
    check_new_panels(
        &prometheus,
        &dashboard,
        &shown,
        server.metrics_addr().unwrap(),
    )
    .await;
    poller.abort();
    drop((sse, resumed));
    assert!(
        chat_lanes >= 3,
        "help's chat lane shows in the per-queue panels with Channel chat ({chat_lanes} series)"
    );
    drop(prometheus);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// The series of a query's result, as (labels, value).
fn series(result: &Value) -> Vec<(Value, f64)> {
    result
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let value = s["value"][1].as_str().unwrap();
            (s["metric"].clone(), value.parse().unwrap())
        })
        .collect()
}

/// The tiles, the heatmap, the rung and resume panels and the restart annotation show what the
/// test's traffic made: queries that run but find nothing would pass the loop above.
async fn check_new_panels(
    prometheus: &Prometheus,
    dashboard: &Value,
    shown: &std::collections::BTreeMap<(String, String), Value>,
    metrics: SocketAddr,
) {
    let get = |title: &str, refid: &str| -> Vec<(Value, f64)> {
        series(
            shown
                .get(&(title.to_owned(), refid.to_owned()))
                .unwrap_or_else(|| panic!("no panel {title:?} {refid}")),
        )
    };
    let lane = |metric: &Value| {
        format!(
            "{}/{}",
            metric["queue"].as_str().unwrap_or_default(),
            metric["channel"].as_str().unwrap_or_default()
        )
    };
    // Waiting now: help's own work (two calls, one conversation) waits; nobody can take it.
    let waiting = get("Calls waiting now", "A");
    let mut help: Vec<(String, f64)> = waiting
        .iter()
        .filter(|(m, _)| m["queue"] == "help")
        .map(|(m, v)| (lane(m), *v))
        .collect();
    help.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        help,
        vec![
            ("help/chat".to_owned(), 1.0),
            ("help/voice".to_owned(), 2.0)
        ],
        "{waiting:?}"
    );
    assert_eq!(waiting.len(), 4, "a tile per lane: {waiting:?}");
    let oldest = get("Oldest wait now", "A");
    assert!(
        oldest
            .iter()
            .any(|(m, v)| m["queue"] == "help" && *v >= 1.0),
        "help's calls have waited: {oldest:?}"
    );
    // Service level over 15 minutes and today: the busy queues have a figure, a ratio.
    for title in ["Service level, last 15 min", "Service level today"] {
        let level = get(title, "A");
        let busy: Vec<&(Value, f64)> = level
            .iter()
            .filter(|(m, _)| m["queue"] == "support" || m["queue"] == "sales")
            .collect();
        assert!(!busy.is_empty(), "{title}: {level:?}");
        for (metric, value) in &level {
            assert!((0.0..=1.0).contains(value), "{title} {metric}: {value}");
        }
    }
    // Today's service level of support (formula `answered`, T = 20 s) is its share of calls
    // answered within 20 s since the start, as the counters give it directly: both at one
    // instant, in one query.
    let today = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["title"] == "Service level today")
        .unwrap();
    let difference = prometheus
        .query(&format!(
            r#"abs(({}) - on (job, instance, tenant, queue, channel) (sum without (le) (increase(acdhub_queue_answer_wait_seconds_bucket{{queue="support", le="20"}}[1d])) / increase(acdhub_queue_answer_wait_seconds_count{{queue="support"}}[1d])))"#,
            expand(today["targets"][0]["expr"].as_str().unwrap())
        ))
        .await;
    let difference = series(&difference);
    assert_eq!(difference.len(), 1, "support's lane: {difference:?}");
    assert!(difference[0].1 < 1e-9, "{difference:?}");
    // The heatmap: the standard bounds only, and calls answered in the last minute in them.
    let heat = get(
        "Answer wait distribution (answered calls per minute by wait)",
        "A",
    );
    assert_eq!(heat.len(), 14, "13 bounds and +Inf: {heat:?}");
    let all = heat
        .iter()
        .find(|(m, _)| m["le"] == "+Inf")
        .expect("the +Inf bucket");
    assert!(all.1 > 0.0, "answered calls in the last minute: {heat:?}");
    // Rungs: a1 on SSE, a2 on long-poll, a3 on WebSocket.
    let rungs: Vec<(String, f64)> = get("Agents connected by rung", "A")
        .into_iter()
        .map(|(m, v)| (m["transport"].as_str().unwrap().to_owned(), v))
        .collect();
    for (transport, count) in [("poll", 1.0), ("sse", 1.0), ("ws", 1.0)] {
        assert!(
            rungs.contains(&(transport.to_owned(), count)),
            "{transport}: {rungs:?}"
        );
    }
    let fallback = get("Agents on SSE or long-poll now", "A");
    assert_eq!(fallback.len(), 2, "{fallback:?}");
    let share = get("Agents on SSE or long-poll now", "B");
    assert_eq!(share.len(), 1, "{share:?}");
    assert!((share[0].1 - 2.0 / 3.0).abs() < 1e-9, "{share:?}");
    let opened: Vec<String> = get("Connections opened by rung (per 5 min)", "A")
        .into_iter()
        .filter(|(_, v)| *v > 0.0)
        .map(|(m, _)| m["transport"].as_str().unwrap().to_owned())
        .collect();
    for transport in ["poll", "sse", "ws"] {
        assert!(opened.iter().any(|t| t == transport), "{opened:?}");
    }
    let resumes = get("Resumes by result (per 5 min)", "A");
    assert!(
        resumes.iter().map(|(_, v)| v).sum::<f64>() > 0.0,
        "a3's resume: {resumes:?}"
    );
    // The instance variable lists this server, and the restart annotation reads a series it
    // serves and marks nothing: it did not restart.
    let variable = prometheus.query("acdhub_build_info").await;
    assert_eq!(
        variable[0]["metric"]["instance"],
        metrics.to_string(),
        "{variable}"
    );
    let annotation = dashboard["annotations"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a["expr"].as_str())
        .expect("the restart annotation");
    assert_eq!(
        series(&prometheus.query(&expand(annotation)).await).len(),
        0,
        "no restart"
    );
    let started = prometheus
        .query(&expand(annotation).replace("[2m]) > 0", "[2m]) >= 0"))
        .await;
    assert_eq!(
        series(&started).len(),
        1,
        "it reads process_start_time_seconds: {started}"
    );
}
