//! A real Prometheus (Debian's) scrapes acdhub while the simulator plays calls, with the rules of
//! dashboards/ loaded. Its series for waiting and answered calls must equal what a wallboard
//! subscription reported for the same moments; every rule evaluates, and every query of the
//! Grafana dashboard runs.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use crate::net::{Client, PASSWORD, PATIENCE, Via, http_get};
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

[[tenants.agents]]
id = "v1"
skills = {{ support = 1, sales = 1 }}

[[tenants.agents]]
id = "v2"
skills = {{ support = 1 }}

[[principals]]
user = "wall"
role = "wallboard"
tenant = "acme"
password_hash = "{hash}"

[simulator]
calls_per_hour = 1800
aht_secs = 4
answer_delay_secs = 1
virtual_agents = ["v1", "v2"]
"#
    )
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

    /// Every raw sample of a series selector over the last `range`, per `queue` label.
    async fn samples(&self, selector: &str, range: &str) -> Vec<(String, Vec<(i64, f64)>)> {
        let result = self.query(&format!("{selector}[{range}]")).await;
        result
            .as_array()
            .unwrap()
            .iter()
            .map(|series| {
                let queue = series["metric"]["queue"].as_str().unwrap().to_owned();
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

/// What the wallboard reported for one queue: (instant in ms, waiting, answered today).
type History = Vec<(i64, f64, f64)>;

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
    let history: Arc<Mutex<std::collections::BTreeMap<String, History>>> = Arc::default();
    let record = |history: &Mutex<std::collections::BTreeMap<String, History>>, m: &Value| {
        if m["type"] == "queue_stats" {
            let at: jiff::Timestamp = m["at"].as_str().unwrap().parse().unwrap();
            history
                .lock()
                .unwrap()
                .entry(m["queue"].as_str().unwrap().to_owned())
                .or_default()
                .push((
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
            .get("support")
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
    assert_eq!(waiting.len(), 2, "a series per queue");
    let mut compared_waiting = Vec::new();
    let mut compared_answered = Vec::new();
    for (queue, samples) in &waiting {
        compared_waiting.extend(compare(
            &format!("{queue} waiting"),
            samples,
            &history[queue],
            end_ms,
            |h| h.1,
            false,
        ));
    }
    for (queue, samples) in &answered {
        compared_answered.extend(compare(
            &format!("{queue} answered"),
            samples,
            &history[queue],
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
    let level: f64 = level[0]["value"][1].as_str().unwrap().parse().unwrap();
    assert!((0.0..=1.0).contains(&level), "{level}");

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
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"]
                .as_str()
                .unwrap()
                .replace("$tenant", ".*")
                .replace("$queue", ".*")
                .replace("$channel", ".*");
            prometheus.query(&expr).await;
            queries += 1;
        }
    }
    assert!(queries >= 10, "{queries} dashboard queries");
    drop(prometheus);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
}
