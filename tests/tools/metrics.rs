//! `/metrics` as Prometheus sees it: on its own listener, linted by the real `promtool`, with
//! every documented series, and showing exactly what a wallboard shows for the same moment,
//! lane by lane for a queue that serves calls and chat.

use crate::net;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

use crate::net::{Client, Via, http_get, sample};

fn promtool() -> Command {
    let found = Command::new("promtool").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "promtool is not on PATH. It comes with Debian's `prometheus` package: ./test.sh installs it"
    );
    Command::new("promtool")
}

async fn scrape(server: &acdhub::server::Server) -> String {
    let (status, body) = http_get(server.metrics_addr().unwrap(), "/metrics").await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Every series name docs/metrics.md lists, from the first cell of its tables.
fn documented_series() -> Vec<String> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let mut names = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap();
        for name in cell.split('`').skip(1).step_by(2) {
            names.push(name.to_owned());
        }
    }
    assert!(names.len() > 20, "{names:?}");
    names
}

const SIMULATED: &str = r#"
[simulator]
calls_per_hour = 600
warm_up_secs = 900
virtual_agents = ["a2"]
answer_delay_secs = 1
"#;

#[tokio::test]
async fn a_live_scrape_passes_promtool_and_has_every_documented_series() {
    // With a data directory, so that the journal's series are served too.
    let data = tempfile::tempdir().unwrap();
    let storage = format!("[storage]\ndir = {:?}\n", data.path());
    // With a chat queue, so that the conversation series are served too.
    let server = net::start(&net::with_chat(&format!("{SIMULATED}{storage}"))).await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    let (_agent, _) = Client::login(&server, Via::Wss, "a1").await;
    let (mut rude, _) = Client::login(&server, Via::Ws, "pbx").await;
    assert_eq!(
        rude.refused(json!({"type": "call_ended", "call": "nope"}))
            .await,
        "unknown_call"
    );
    let exposition = scrape(&server).await;

    let mut lint = promtool()
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    lint.stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let linted = lint.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&linted.stdout),
        String::from_utf8_lossy(&linted.stderr)
    );
    assert!(linted.status.success(), "promtool check metrics: {said}");
    assert_eq!(said.trim(), "", "promtool check metrics has nothing to say");

    for name in documented_series() {
        assert!(
            exposition.contains(&format!("\n# TYPE {name} ")),
            "{name} is documented but not served"
        );
    }
    assert_eq!(
        sample(
            &exposition,
            "acdhub_connections{role=\"agent\",transport=\"wss\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &exposition,
            "acdhub_connections{role=\"wallboard\",transport=\"ws\"}"
        ),
        1.0
    );
    assert_eq!(
        sample(
            &exposition,
            "acdhub_messages_refused_total{code=\"unknown_call\",role=\"telephony\"}"
        ),
        1.0
    );
    assert!(
        sample(
            &exposition,
            "acdhub_messages_sent_total{role=\"wallboard\"}"
        ) >= 4.0,
        "hello, the snapshot and the ack"
    );
    assert!(sample(&exposition, "process_resident_memory_bytes") > 0.0);
    assert_eq!(
        sample(&exposition, "acdhub_journal_writable{tenant=\"acme\"}"),
        1.0
    );
    assert!(
        sample(&exposition, "acdhub_journal_records_total{tenant=\"acme\"}") > 0.0,
        "the refused call_ended was journaled before the core refused it (write-ahead)"
    );
    assert_eq!(
        sample(
            &exposition,
            "acdhub_snapshots_total{result=\"ok\",tenant=\"acme\"}"
        ),
        1.0,
        "the tenant's first snapshot"
    );
    assert!(
        sample(
            &exposition,
            "acdhub_queue_calls_offered_total{tenant=\"acme\",queue=\"sales\",channel=\"voice\"}"
        ) > 0.0,
        "the simulator's warm-up shows"
    );
    server.shutdown().await;
}

/// The series of `family` in an exposition: each one's labels and value.
fn series_of(exposition: &str, family: &str) -> Vec<(BTreeMap<String, String>, f64)> {
    let mut found = Vec::new();
    for line in exposition.lines() {
        let Some(rest) = line.strip_prefix(family) else {
            continue;
        };
        let (labels, value) = if let Some(rest) = rest.strip_prefix('{') {
            parse_labels(rest).unwrap_or_else(|| panic!("unreadable labels: {line}"))
        } else if rest.starts_with(' ') {
            (BTreeMap::new(), rest)
        } else {
            continue; // a longer name
        };
        let value = value
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("{line}: {e}"));
        found.push((labels, value));
    }
    found
}

/// `name="value",...}` and what follows the closing brace; values may hold any character,
/// `\"`, `\\` and `\n` escaped.
fn parse_labels(text: &str) -> Option<(BTreeMap<String, String>, &str)> {
    let mut labels = BTreeMap::new();
    let mut rest = text;
    loop {
        if let Some(after) = rest.strip_prefix('}') {
            return Some((labels, after));
        }
        let (name, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    c => value.push(c),
                },
                (_, c) => value.push(c),
            }
        };
        labels.insert(name.to_owned(), value);
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// `git <args>` in the repository: its output, or `None` when git is missing or fails (a copy
/// of the sources that is no git checkout).
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !text.is_empty()).then_some(text)
}

/// The commit the sources are checked out at, `git rev-parse --short HEAD`, when they are a git
/// checkout of their own; `unknown` otherwise, as build.rs says.
fn checked_out_revision() -> String {
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let own_checkout = git(&["rev-parse", "--show-toplevel"]).is_some_and(|top| {
        std::path::Path::new(&top).canonicalize().ok() == manifest.canonicalize().ok()
    });
    own_checkout
        .then(|| git(&["rev-parse", "--short", "HEAD"]))
        .flatten()
        .unwrap_or_else(|| "unknown".to_owned())
}

#[tokio::test]
async fn a_fresh_server_serves_its_version_revision_and_compiler_in_build_info() {
    let server = net::start("").await;
    // No client yet: the first scrape of a server that just started.
    let exposition = scrape(&server).await;
    let build = series_of(&exposition, "acdhub_build_info");
    assert_eq!(build.len(), 1, "one series: {build:?}");
    let (labels, value) = &build[0];
    assert_eq!(*value, 1.0);
    let names: Vec<&str> = labels.keys().map(String::as_str).collect();
    assert_eq!(names, ["revision", "rustc", "version"]);
    let version = &labels["version"];
    assert!(!version.is_empty());
    assert_eq!(version, env!("CARGO_PKG_VERSION"));
    assert_eq!(labels["revision"], checked_out_revision());
    // The compiler that built this test built the server (one crate): the one cargo runs here.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let rustc = Command::new(rustc).arg("--version").output().unwrap();
    assert!(rustc.status.success());
    assert_eq!(
        labels["rustc"],
        String::from_utf8(rustc.stdout).unwrap().trim()
    );
    server.shutdown().await;
}

/// The table of docs/metrics.md's "Series at 0 from the start": each family and the series it
/// has, every combination of the values its row lists (the error codes from the protocol's
/// schema, which the row names instead of listing).
fn documented_zero_series() -> Vec<(String, BTreeSet<BTreeMap<String, String>>)> {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let section = doc
        .split("\n## Series at 0 from the start\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/metrics.md has a section \"Series at 0 from the start\"");
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/protocol/schemas/server/error.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let error_codes: Vec<String> = schema["properties"]["code"]["enum"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    let mut rows = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let family = cells[1].trim_matches('`').to_owned();
        let mut combinations = BTreeSet::from([BTreeMap::new()]);
        for part in cells[2].split(" × ") {
            let (label, values) = part
                .split_once(':')
                .unwrap_or_else(|| panic!("{family}: `label: values` in {part:?}"));
            let values: Vec<String> = if values.contains("every error code") {
                error_codes.clone()
            } else {
                values
                    .split('`')
                    .skip(1)
                    .step_by(2)
                    .map(str::to_owned)
                    .collect()
            };
            assert!(!values.is_empty(), "{family}: no values for {label}");
            combinations = combinations
                .into_iter()
                .flat_map(|labels| {
                    values.iter().map(move |value| {
                        let mut labels = labels.clone();
                        labels.insert(label.trim().to_owned(), value.clone());
                        labels
                    })
                })
                .collect();
        }
        rows.push((family, combinations));
    }
    rows
}

#[tokio::test]
async fn a_fresh_server_has_every_series_of_a_closed_label_set_at_zero() {
    let documented = documented_zero_series();
    let families: BTreeSet<&str> = documented.iter().map(|(f, _)| f.as_str()).collect();
    for family in [
        "acdhub_connections",
        "acdhub_messages_refused_total",
        "acdhub_http_refused_total",
        "acdhub_resumes_total",
        "acdhub_stats_updates_replaced_total",
    ] {
        assert!(families.contains(family), "the table lacks {family}");
    }
    let refused = &documented
        .iter()
        .find(|(f, _)| f == "acdhub_messages_refused_total")
        .unwrap()
        .1;
    assert!(
        refused.len() >= 6 * 40,
        "every role by every code: {refused:?}"
    );

    let server = net::start("").await;
    // Before any client: nothing has happened, and every one of these series is there.
    let exposition = scrape(&server).await;
    for (family, expected) in &documented {
        let served = series_of(&exposition, family);
        for (labels, value) in &served {
            assert_eq!(*value, 0.0, "{family}{labels:?} before any client");
        }
        let served: BTreeSet<BTreeMap<String, String>> =
            served.into_iter().map(|(labels, _)| labels).collect();
        let missing: Vec<_> = expected.difference(&served).collect();
        assert!(missing.is_empty(), "{family}: not served at 0: {missing:?}");
        let undocumented: Vec<_> = served.difference(expected).collect();
        assert!(
            undocumented.is_empty(),
            "{family}: served but not in docs/metrics.md's table: {undocumented:?}"
        );
    }
    // The unlabelled counters and the gauges of the same section.
    for (name, value) in [
        ("acdhub_log_lines_dropped_total", 0.0),
        ("acdhub_audit_refused_total", 0.0),
        ("acdhub_audit_log_writable", 1.0),
    ] {
        assert_eq!(sample(&exposition, name), value, "{name}");
    }

    // The first event moves its own series from 0, not one that appears at 1.
    let (mut rude, _) = Client::login(&server, Via::Ws, "pbx").await;
    assert_eq!(
        rude.refused(json!({"type": "call_ended", "call": "nope"}))
            .await,
        "unknown_call"
    );
    let after = scrape(&server).await;
    let refused_after = series_of(&after, "acdhub_messages_refused_total");
    assert_eq!(refused_after.len(), refused.len(), "no series added");
    for (labels, value) in refused_after {
        let this_one = labels["role"] == "telephony" && labels["code"] == "unknown_call";
        assert_eq!(value, if this_one { 1.0 } else { 0.0 }, "{labels:?}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn metrics_have_a_listener_of_their_own_and_can_be_switched_off() {
    let server = net::start("").await;
    let (status, _) = http_get(net::addr(&server, Via::Ws), "/metrics").await;
    assert_eq!(status, 404, "the public port does not serve metrics");
    let (status, _) = http_get(server.metrics_addr().unwrap(), "/ws").await;
    assert_eq!(status, 404, "the metrics port serves nothing else");
    server.shutdown().await;

    let text = net::config_text("").replace(
        "[metrics]\nlisten = \"127.0.0.1:0\"",
        "[metrics]\nlisten = \"off\"",
    );
    let file = acdhub::config::parse(&text, "test.toml").unwrap();
    let server = acdhub::server::Server::start(file).await.unwrap();
    assert_eq!(server.metrics_addr(), None);
    server.shutdown().await;
}

/// A series of one lane of queue `queue` of tenant acme: every queue series names its channel.
fn series(name: &str, queue: &str, channel: &str) -> String {
    format!("{name}{{tenant=\"acme\",queue=\"{queue}\",channel=\"{channel}\"}}")
}

fn labelled(name: &str, queue: &str, channel: &str, label: &str, value: &str) -> String {
    format!("{name}{{tenant=\"acme\",queue=\"{queue}\",channel=\"{channel}\",{label}=\"{value}\"}}")
}

/// The scrape agrees with a wallboard's latest `queue_stats` for one lane of a queue (its
/// `queue` and `channel`), figure by figure.
fn assert_same_figures(exposition: &str, stats: &Value) {
    let queue = stats["queue"].as_str().unwrap();
    let channel = stats["channel"].as_str().unwrap();
    let series = |name: &str, queue: &str| series(name, queue, channel);
    let labelled = |name: &str, queue: &str, label: &str, value: &str| {
        labelled(name, queue, channel, label, value)
    };
    let today = &stats["today"];
    let same = |name: String, wallboard: &Value| {
        assert_eq!(
            sample(exposition, &name),
            wallboard.as_f64().unwrap(),
            "{name} against the wallboard's {wallboard}"
        );
    };
    same(
        series("acdhub_queue_calls_waiting", queue),
        &stats["waiting"],
    );
    same(
        series("acdhub_queue_calls_ringing", queue),
        &stats["ringing"],
    );
    same(
        series("acdhub_queue_calls_offered_total", queue),
        &today["offered"],
    );
    for outcome in [
        "answered",
        "abandoned",
        "short_abandoned",
        "overflowed",
        "timed_out",
        "refused",
    ] {
        same(
            labelled("acdhub_queue_calls_total", queue, "outcome", outcome),
            &today[outcome],
        );
    }
    same(
        series("acdhub_queue_answer_wait_seconds_count", queue),
        &today["answered"],
    );
    let threshold = stats["service_level"]["threshold_secs"].to_string();
    same(
        labelled(
            "acdhub_queue_answer_wait_seconds_bucket",
            queue,
            "le",
            &threshold,
        ),
        &today["answered_within_threshold"],
    );
    for state in ["ready", "ringing", "on_call", "wrap_up", "not_ready"] {
        same(
            labelled("acdhub_queue_agents", queue, "state", state),
            &stats["agents"][state],
        );
    }
    same(
        series("acdhub_queue_service_level_threshold_seconds", queue),
        &stats["service_level"]["threshold_secs"],
    );
}

#[tokio::test]
async fn a_scrape_a_wallboard_and_a_supervisor_show_the_same_figures_for_the_same_moment() {
    let server = net::start("").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    let (mut boss, _) = Client::login(&server, Via::Wss, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    for call in ["m1", "m2", "m3"] {
        pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "support"}))
            .await;
    }
    pbx.ok(json!({"type": "caller_hung_up", "call": "m3"}))
        .await;
    agent.ok(json!({"type": "ready"})).await;
    let offer = agent.expect("offer").await;
    agent
        .ok(json!({"type": "accept", "call": offer["call"]}))
        .await;
    agent.expect_state("a1", "on_call").await;

    // The wallboard's figures once everything above shows in them.
    let support = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "support" && m["today"]["answered"] == 1 && m["agents"]["on_call"] == 1
        })
        .await;
    let totals = wall
        .expect_where("tenant_stats", |m| m["agents"]["on_call"] == 1)
        .await;
    // Nothing happens now, so a scrape describes the same moment.
    let exposition = scrape(&server).await;
    // The supervisor was sent the very same statistics.
    let without_seq = |m: &Value| {
        let mut m = m.clone();
        m.as_object_mut().unwrap().remove("seq");
        m
    };
    let seen_by_boss = boss
        .expect_where("queue_stats", |m| without_seq(m) == without_seq(&support))
        .await;
    assert_eq!(seen_by_boss["today"], support["today"]);
    boss.expect_where("tenant_stats", |m| without_seq(m) == without_seq(&totals))
        .await;
    assert_eq!(support["waiting"], 1);
    assert_eq!(support["today"]["offered"], 3);
    assert_same_figures(&exposition, &support);
    let sales = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "sales" && m["agents"]["on_call"] == 1
        })
        .await;
    assert_same_figures(&exposition, &sales);
    for state in ["ready", "ringing", "on_call", "wrap_up", "not_ready"] {
        assert_eq!(
            sample(
                &exposition,
                &format!("acdhub_tenant_agents{{tenant=\"acme\",state=\"{state}\"}}")
            ),
            totals["agents"][state].as_f64().unwrap(),
            "{state}"
        );
    }
    assert!(
        sample(
            &exposition,
            &series("acdhub_queue_oldest_wait_seconds", "support", "voice")
        ) >= 0.0
    );
    assert_eq!(
        sample(
            &exposition,
            "acdhub_queue_service_level_info{tenant=\"acme\",queue=\"support\",channel=\"voice\",variant=\"answered\",threshold=\"20\"}"
        ),
        1.0
    );
    server.shutdown().await;
}

/// Queue `help` serves calls and chat (a lane each, to go with [`net::with_chat`]'s channel);
/// nobody has a skill in it, so whatever arrives waits.
const TWO_LANES: &str = r#"
[[tenants.queues]]
id = "help"
channels = ["voice", "chat"]
ring_timeout_secs = 2
wrap_up_secs = 60
"#;

/// The series of one sample line: its name and its labels but tenant, queue and channel,
/// and the lane it belongs to (queue, channel).
fn lane_of(line: &str) -> Option<((String, String), (String, String))> {
    let (name, rest) = line.split_once('{')?;
    let (labels, _) = rest.split_once('}')?;
    let mut lane = (String::new(), String::new());
    let mut others = Vec::new();
    for pair in labels.split(',') {
        let (label, value) = pair.split_once('=')?;
        let value = value.trim_matches('"').to_owned();
        match label {
            "tenant" => {}
            "queue" => lane.0 = value,
            "channel" => lane.1 = value,
            _ => others.push(pair),
        }
    }
    Some((lane, (name.to_owned(), others.join(","))))
}

/// The label names docs/metrics.md gives each `acdhub_queue_` series, from its tables.
fn documented_queue_labels(doc: &str) -> Vec<(String, Vec<String>, bool)> {
    let mut rows = Vec::new();
    for line in doc.lines().filter(|l| l.starts_with("| `acdhub_queue_")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let name = cells[1].trim_matches('`').to_owned();
        let labels = cells[3].split(',').map(|l| l.trim().to_owned()).collect();
        rows.push((name, labels, cells[2] == "histogram"));
    }
    rows
}

#[tokio::test]
async fn a_queue_of_two_channels_has_every_queue_series_once_per_lane_with_its_own_figures() {
    let server = net::start(&net::with_chat(TWO_LANES)).await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe"})).await;
    // Two calls in help's voice lane, then one conversation in its chat lane.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    for call in ["h1", "h2"] {
        pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "help"}))
            .await;
    }
    let voice = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "help" && m["channel"] == "voice" && m["waiting"] == 2
        })
        .await;
    let (mut widget, _) = Client::login(&server, Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "k1", "queue": "help", "messages": ["Hi"]}))
        .await;
    let chat = wall
        .expect_where("queue_stats", |m| {
            m["queue"] == "help" && m["channel"] == "chat" && m["waiting"] == 1
        })
        .await;
    assert_eq!(voice["today"]["offered"], 2);
    assert_eq!(chat["today"]["offered"], 1);
    let exposition = scrape(&server).await;

    // Each lane's series are its own figures, as the wallboard has them for that lane.
    assert_same_figures(&exposition, &voice);
    assert_same_figures(&exposition, &chat);
    for channel in ["voice", "chat"] {
        assert_eq!(
            sample(&exposition, &series("acdhub_queue_info", "help", channel)),
            1.0,
            "help's {channel} lane"
        );
    }

    // Every queue series names its channel, and help has each of them once per lane: the chat
    // lane has the voice lane's series, and besides them exactly the conversation series.
    let mut per_lane: std::collections::BTreeMap<
        (String, String),
        std::collections::BTreeSet<(String, String)>,
    > = Default::default();
    let mut queue_lines = 0;
    for line in exposition
        .lines()
        .filter(|l| l.starts_with("acdhub_queue_"))
    {
        queue_lines += 1;
        let (lane, series) = lane_of(line).unwrap_or_else(|| panic!("no labels: {line}"));
        assert!(
            !lane.1.is_empty(),
            "a queue series without its channel: {line}"
        );
        per_lane.entry(lane).or_default().insert(series);
    }
    assert!(queue_lines > 100, "only {queue_lines} queue series");
    let help = |channel: &str| &per_lane[&("help".to_owned(), channel.to_owned())];
    let voice_series = help("voice");
    let chat_series = help("chat");
    assert!(
        voice_series.is_subset(chat_series),
        "series of help's voice lane that its chat lane lacks: {:?}",
        voice_series.difference(chat_series).collect::<Vec<_>>()
    );
    let only_chat: std::collections::BTreeSet<&str> = chat_series
        .difference(voice_series)
        .map(|(name, _)| name.as_str())
        .collect();
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/metrics.md")).unwrap();
    let conversation_section = doc
        .split("## Conversation series")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("docs/metrics.md has a section on conversation series");
    let conversation_series: std::collections::BTreeSet<&str> = conversation_section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split('`').next())
        .collect();
    assert!(conversation_series.len() >= 10, "{conversation_series:?}");
    assert_eq!(only_chat, conversation_series);
    // One series of each conversation family in the chat lane, none in the voice lane.
    assert_eq!(
        voice_series.len() + conversation_series.len(),
        chat_series.len()
    );

    // docs/metrics.md lists exactly the labels each queue series is served with, `channel`
    // among them.
    let documented = documented_queue_labels(&doc);
    assert!(documented.len() >= 25, "{documented:?}");
    for (name, labels, histogram) in documented {
        assert!(labels.contains(&"channel".to_owned()), "{name}: {labels:?}");
        let served_name = if histogram {
            format!("{name}_count")
        } else {
            name.clone()
        };
        let served: std::collections::BTreeSet<String> = exposition
            .lines()
            .filter_map(|l| l.strip_prefix(&format!("{served_name}{{")))
            .flat_map(|rest| {
                let labels = rest.split_once('}').map_or("", |(labels, _)| labels);
                labels
                    .split(',')
                    .filter_map(|pair| pair.split_once('=').map(|(label, _)| label.to_owned()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let labels: std::collections::BTreeSet<String> = labels.into_iter().collect();
        assert_eq!(
            served, labels,
            "the labels of {name}, served and documented"
        );
    }
    server.shutdown().await;
}
