//! The Prometheus rules and the Grafana dashboard in `dashboards/`, checked by Prometheus's own
//! `promtool` and against the metrics contract, docs/metrics.md: a dashboard or an alert that
//! names a series acdhub does not serve shows nothing and never fires, silently.
//!
//! `promtool` comes with Debian's `prometheus` package, which `./test.sh` installs; without it
//! these tests fail rather than skip.

use std::collections::BTreeSet;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

const RULES: &str = "dashboards/acdhub.rules.yml";
const RULES_TESTS: &str = "dashboards/acdhub.rules.test.yml";
const DASHBOARD: &str = "dashboards/acdhub-supervisor.json";
const CONTRACT: &str = "docs/metrics.md";
const PROVIDER: &str = "dashboards/provisioning/dashboards.yml";
const DATASOURCES: &str = "dashboards/provisioning/datasources.yml";
const README: &str = "dashboards/README.md";

/// The datasource every panel must use: the `DS_PROMETHEUS` input Grafana asks for on import.
const DATASOURCE: &str = "${DS_PROMETHEUS}";

fn path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

fn read(relative: &str) -> String {
    std::fs::read_to_string(path(relative))
        .unwrap_or_else(|e| panic!("cannot read {relative}: {e}"))
}

/// Runs promtool in the repository root; its exit status and stdout + stderr.
fn promtool(args: &[&str]) -> (bool, String) {
    let output = match Command::new("promtool")
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    {
        Ok(output) => output,
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "promtool is not on PATH. It comes with Debian's `prometheus` package: \
             ./test.sh installs it (or: sudo apt-get install prometheus)"
        ),
        Err(e) => panic!("promtool {args:?} did not run: {e}"),
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// A dashboard query as Grafana sends it with every variable at All (`.*`): `$__range`, the
/// panel's time range (the "today" tile's is `now/d`), becomes a day.
pub(crate) fn expand(expr: &str) -> String {
    expr.replace("$tenant", ".*")
        .replace("$queue", ".*")
        .replace("$channel", ".*")
        .replace("$instance", ".*")
        .replace("$__range", "1d")
}

fn dashboard() -> Value {
    serde_json::from_str(&read(DASHBOARD)).expect("the dashboard is valid JSON")
}

/// Every panel of the dashboard, including those nested in rows.
fn panels(dashboard: &Value) -> Vec<&Value> {
    fn collect<'a>(list: &'a Value, into: &mut Vec<&'a Value>) {
        for panel in list.as_array().into_iter().flatten() {
            into.push(panel);
            collect(&panel["panels"], into);
        }
    }
    let mut all = Vec::new();
    collect(&dashboard["panels"], &mut all);
    all
}

/// Every PromQL expression of the dashboard: panel targets and template-variable queries.
fn dashboard_expressions(dashboard: &Value) -> Vec<String> {
    let mut exprs: Vec<String> = panels(dashboard)
        .iter()
        .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
        .filter_map(|target| target["expr"].as_str().map(str::to_owned))
        .collect();
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let query = &variable["query"];
        if let Some(q) = query.as_str().or(query["query"].as_str()) {
            exprs.push(q.to_owned());
        }
    }
    exprs.extend(annotation_expressions(dashboard));
    exprs
}

/// The PromQL of the dashboard's Prometheus annotations (Grafana's built-in one has none).
fn annotation_expressions(dashboard: &Value) -> Vec<String> {
    dashboard["annotations"]["list"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|annotation| annotation["expr"].as_str().map(str::to_owned))
        .collect()
}

/// The metric names a text mentions: `acdhub_[a-z_]+` (served) and `acdhub:[a-z_:0-9]+`
/// (recorded by the rules).
fn metric_names(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(found) = text[at..].find("acdhub") {
        let start = at + found;
        let preceded = start > 0 && {
            let c = bytes[start - 1];
            c.is_ascii_alphanumeric() || c == b'_' || c == b':'
        };
        let mut end = start + "acdhub".len();
        let recorded = match bytes.get(end) {
            Some(b'_') => false,
            Some(b':') => true,
            _ => {
                at = end;
                continue;
            }
        };
        end += 1;
        while let Some(&c) = bytes.get(end) {
            let allowed = c.is_ascii_lowercase()
                || c == b'_'
                || (recorded && (c == b':' || c.is_ascii_digit()));
            if !allowed {
                break;
            }
            end += 1;
        }
        if !preceded && end > start + "acdhub_".len() {
            names.insert(text[start..end].to_owned());
        }
        at = end;
    }
    names
}

/// Every per-queue series a text selects, with its matchers: each `acdhub_queue_...` or
/// `acdhub:queue_...` name and the text between the braces that follow it (`None` without).
fn queue_selectors(expr: &str) -> Vec<(String, Option<String>)> {
    let names = metric_names(expr)
        .into_iter()
        .filter(|name| name.starts_with("acdhub_queue_") || name.starts_with("acdhub:queue_"));
    selectors(expr, names)
}

/// Every series a text selects, acdhub's (served or recorded) and the standard `process_`
/// ones, with its matchers.
fn all_selectors(expr: &str) -> Vec<(String, Option<String>)> {
    let mut names = metric_names(expr);
    let mut at = 0;
    while let Some(offset) = expr[at..].find("process_") {
        let start = at + offset;
        let end = start
            + expr[start..]
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(expr.len() - start);
        at = end;
        let preceded = expr[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
        if !preceded {
            names.insert(expr[start..end].to_owned());
        }
    }
    selectors(expr, names)
}

/// Each occurrence of each of `names` in `expr`, with the text between the braces after it.
fn selectors(expr: &str, names: impl IntoIterator<Item = String>) -> Vec<(String, Option<String>)> {
    let mut found = Vec::new();
    for name in names {
        let mut at = 0;
        while let Some(offset) = expr[at..].find(name.as_str()) {
            let start = at + offset;
            let end = start + name.len();
            at = end;
            // The whole name only, not a longer one it starts (acdhub_queue_calls_total in
            // acdhub_queue_calls_total_x) nor one it ends.
            let next = expr[end..].chars().next();
            if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                || expr[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            {
                continue;
            }
            let matchers = expr[end..]
                .strip_prefix('{')
                .and_then(|rest| rest.find('}').map(|close| rest[..close].to_owned()));
            found.push((name.clone(), matchers));
        }
    }
    found
}

/// The label lists of a PromQL text's `keyword (...)` clauses, e.g. every `on (...)`.
fn label_lists<'a>(text: &'a str, keyword: &str) -> Vec<Vec<&'a str>> {
    let opening = format!("{keyword} (");
    let mut lists = Vec::new();
    let mut at = 0;
    while let Some(offset) = text[at..].find(&opening) {
        let start = at + offset;
        at = start + opening.len();
        // A keyword, not the end of a longer word (`sum by (`, not `foo_by (`).
        if text[..start]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            continue;
        }
        let close = text[at..].find(')').expect("a closing parenthesis");
        lists.push(text[at..at + close].split(',').map(str::trim).collect());
    }
    lists
}

/// The series docs/metrics.md promises, from its tables: every backticked name in a row's first
/// cell, and for a histogram its `_bucket`, `_count` and `_sum` series.
fn contract_names() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in read(CONTRACT).lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if !line.starts_with('|') || cells.len() < 4 {
            continue;
        }
        let histogram = cells[2] == "histogram";
        for name in cells[1].split('`').skip(1).step_by(2) {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            {
                continue;
            }
            names.insert(name.to_owned());
            if histogram {
                for suffix in ["_bucket", "_count", "_sum"] {
                    names.insert(format!("{name}{suffix}"));
                }
            }
        }
    }
    names
}

/// The series the rules file records.
fn recorded_names() -> BTreeSet<String> {
    read(RULES)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- record:"))
        .map(|name| name.trim().to_owned())
        .collect()
}

fn alert_names() -> BTreeSet<String> {
    read(RULES)
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- alert:"))
        .map(|name| name.trim().to_owned())
        .collect()
}

#[test]
fn the_rules_file_passes_promtool_check_rules() {
    let (ok, output) = promtool(&["check", "rules", RULES]);
    assert!(ok, "promtool check rules {RULES} failed:\n{output}");
    let rules = recorded_names().len() + alert_names().len();
    let success = format!("SUCCESS: {rules} rules found");
    assert!(
        output.contains(&success),
        "expected `{success}` from promtool:\n{output}"
    );
    // promtool exits 0 even when it reports a lint problem (a duplicate rule): every line must
    // be one of the two a clean check prints.
    let unexpected: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && *line != success && *line != format!("Checking {RULES}"))
        .collect();
    assert!(
        unexpected.is_empty(),
        "promtool check rules warned:\n{}",
        unexpected.join("\n")
    );
}

#[test]
fn the_rules_unit_tests_pass_under_promtool_test_rules() {
    let (ok, output) = promtool(&["test", "rules", RULES_TESTS]);
    assert!(ok, "promtool test rules {RULES_TESTS} failed:\n{output}");
    assert!(output.contains("SUCCESS"), "{output}");
    // The unit tests cover every alert, and every recorded figure.
    let tests = read(RULES_TESTS);
    for alert in alert_names() {
        assert!(
            tests.contains(&format!("alertname: {alert}")),
            "{RULES_TESTS} never tests the alert {alert}"
        );
    }
    for record in recorded_names() {
        assert!(
            tests.contains(&format!("expr: {record}")),
            "{RULES_TESTS} never checks the value of {record}"
        );
    }
}

#[test]
fn the_rules_define_the_service_level_figures_and_the_six_alerts() {
    let recorded = recorded_names();
    for name in [
        "acdhub:queue_service_level:ratio_15m",
        "acdhub:queue_service_level_answered:ratio_15m",
        "acdhub:queue_service_level_offered:ratio_15m",
        "acdhub:queue_service_level_short_abandon_excluded:ratio_15m",
        "acdhub:queue_answer_wait_seconds:mean_15m",
        "acdhub:queue_handle_seconds:mean_15m",
        "acdhub:queue_abandonment:ratio_15m",
        "acdhub:queue_occupancy:ratio_15m",
        "acdhub:queue_first_response_service_level:ratio_15m",
        "acdhub:queue_first_response_seconds:mean_15m",
        "acdhub:queue_concurrency:mean_15m",
        "acdhub:queue_capacity_occupancy:ratio_15m",
        "acdhub:channel_first_response_service_level:ratio_15m",
        "acdhub:channel_capacity_occupancy:ratio_15m",
    ] {
        assert!(recorded.contains(name), "{RULES} does not record {name}");
    }
    let alerts = alert_names();
    let expected: BTreeSet<String> = [
        "AcdhubServiceLevelBelowTarget",
        "AcdhubOldestWaitHigh",
        "AcdhubCallsWaitingNoAgents",
        "AcdhubTargetDown",
        "AcdhubJournalNotWritable",
        "AcdhubFirstResponseBelowTarget",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(alerts, expected);
}

#[test]
fn the_metrics_contract_lists_the_series_the_checks_rely_on() {
    // Guards the other checks against a parser that finds nothing and so forbids nothing.
    let names = contract_names();
    for name in [
        "acdhub_queue_calls_waiting",
        "acdhub_queue_service_level_info",
        "acdhub_queue_answer_wait_seconds_bucket",
        "acdhub_queue_abandon_wait_seconds_count",
        "acdhub_queue_handle_seconds_sum",
        "acdhub_connections",
        "acdhub_build_info",
        "process_resident_memory_bytes",
    ] {
        assert!(names.contains(name), "{CONTRACT} parsed without {name}");
    }
    assert!(
        !names.contains("acdhub_queue_calls_waiting_bucket"),
        "only histograms have buckets"
    );
}

#[test]
fn every_acdhub_series_the_rules_read_is_in_the_metrics_contract() {
    let rules = read(RULES);
    let contract = contract_names();
    let recorded = recorded_names();
    let mentioned = metric_names(&rules);
    assert!(
        mentioned.contains("acdhub_queue_service_level_info"),
        "found {mentioned:?}"
    );
    let unknown: Vec<&String> = mentioned
        .iter()
        .filter(|name| !contract.contains(*name) && !recorded.contains(*name))
        .collect();
    assert!(
        unknown.is_empty(),
        "{RULES} uses series that are neither in {CONTRACT} nor recorded: {unknown:?}"
    );
}

#[test]
fn the_dashboard_declares_the_prometheus_datasource_input_for_import() {
    let dashboard = dashboard();
    let inputs = dashboard["__inputs"].as_array().expect("__inputs");
    assert!(
        inputs.iter().any(|input| input["name"] == "DS_PROMETHEUS"
            && input["type"] == "datasource"
            && input["pluginId"] == "prometheus"),
        "no DS_PROMETHEUS datasource input: {inputs:?}"
    );
    let requires = dashboard["__requires"].as_array().expect("__requires");
    for (kind, id) in [("grafana", "grafana"), ("datasource", "prometheus")] {
        assert!(
            requires.iter().any(|r| r["type"] == kind && r["id"] == id),
            "__requires lacks {kind} {id}"
        );
    }
    assert!(
        dashboard["schemaVersion"].as_u64().unwrap_or(0) >= 36,
        "schemaVersion {}",
        dashboard["schemaVersion"]
    );
    assert!(
        dashboard["id"].is_null(),
        "an importable dashboard has no id"
    );
    assert!(dashboard["uid"].as_str().is_some_and(|uid| !uid.is_empty()));
}

#[test]
fn every_dashboard_panel_queries_the_imported_prometheus_datasource() {
    let dashboard = dashboard();
    let panels = panels(&dashboard);
    assert!(panels.len() >= 10, "only {} panels", panels.len());
    for panel in panels {
        // A row only groups panels: it has no query of its own.
        if panel["type"] == "row" {
            continue;
        }
        let title = panel["title"].as_str().unwrap_or("(untitled)");
        assert_eq!(
            panel["datasource"]["uid"], DATASOURCE,
            "panel {title:?} datasource"
        );
        let targets = panel["targets"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        assert!(
            targets
                .iter()
                .any(|t| t["expr"].as_str().is_some_and(|e| !e.trim().is_empty())),
            "panel {title:?} has no query"
        );
        for target in targets {
            assert_eq!(
                target["datasource"]["uid"], DATASOURCE,
                "a query of panel {title:?}"
            );
            assert!(
                target["expr"]
                    .as_str()
                    .is_some_and(|e| !e.trim().is_empty()),
                "panel {title:?} has an empty query"
            );
        }
    }
    for variable in dashboard["templating"]["list"]
        .as_array()
        .into_iter()
        .flatten()
    {
        // The data-source variable is what `${DS_PROMETHEUS}` names when Grafana provisions
        // the file (no import to fill it in): it has no data source of its own.
        if variable["type"] == "datasource" {
            continue;
        }
        assert_eq!(
            variable["datasource"]["uid"], DATASOURCE,
            "variable {}",
            variable["name"]
        );
    }
    for annotation in dashboard["annotations"]["list"].as_array().unwrap() {
        if annotation["expr"].is_string() {
            assert_eq!(
                annotation["datasource"]["uid"], DATASOURCE,
                "annotation {}",
                annotation["name"]
            );
        }
    }
}

#[test]
fn a_provisioned_dashboard_resolves_its_datasource_through_a_variable() {
    // Imported, Grafana replaces `${DS_PROMETHEUS}` with the data source picked in the import
    // dialog (__inputs). Provisioned from a file there is no dialog: the name must then be a
    // data-source variable, which takes the default Prometheus (datasources.yml makes it so).
    let dashboard = dashboard();
    let variables = dashboard["templating"]["list"].as_array().unwrap();
    let variable = variables
        .iter()
        .find(|v| v["name"] == "DS_PROMETHEUS")
        .expect("a DS_PROMETHEUS variable");
    assert_eq!(variable["type"], "datasource", "{variable}");
    assert_eq!(variable["query"], "prometheus", "{variable}");
    // Defined before the variables whose queries run on it.
    assert_eq!(variables[0]["name"], "DS_PROMETHEUS");
}

#[test]
fn every_metric_the_dashboard_queries_is_served_by_acdhub_or_recorded_by_the_rules() {
    let dashboard = dashboard();
    let contract = contract_names();
    let recorded = recorded_names();
    let mut used = BTreeSet::new();
    for expr in dashboard_expressions(&dashboard) {
        used.extend(metric_names(&expr));
    }
    assert!(
        used.contains("acdhub:queue_service_level:ratio_15m"),
        "found {used:?}"
    );
    let unknown: Vec<&String> = used
        .iter()
        .filter(|name| !contract.contains(*name) && !recorded.contains(*name))
        .collect();
    assert!(
        unknown.is_empty(),
        "the dashboard queries series that are neither in {CONTRACT} nor recorded in {RULES}: \
         {unknown:?}"
    );
}

#[test]
fn every_dashboard_query_is_promql_that_prometheus_accepts() {
    // promtool parses each query as a recording rule, with the variables at All (`.*`), the
    // way Grafana sends them.
    let dashboard = dashboard();
    let mut rules = String::from("groups:\n  - name: dashboard-queries\n    rules:\n");
    let exprs: Vec<String> = panels(&dashboard)
        .iter()
        .flat_map(|panel| panel["targets"].as_array().into_iter().flatten())
        .filter_map(|target| target["expr"].as_str().map(str::to_owned))
        .chain(annotation_expressions(&dashboard))
        .map(|expr| expand(&expr))
        .collect();
    for (i, expr) in exprs.iter().enumerate() {
        // A JSON string is a YAML double-quoted scalar.
        rules.push_str(&format!(
            "      - record: dashboard:query_{i}:check\n        expr: {}\n",
            Value::String(expr.clone())
        ));
    }
    let file = std::env::temp_dir().join(format!(
        "acdhub-dashboard-queries-{}.rules.yml",
        std::process::id()
    ));
    std::fs::write(&file, rules).unwrap();
    let (ok, output) = promtool(&["check", "rules", file.to_str().unwrap()]);
    std::fs::remove_file(&file).ok();
    let numbered: Vec<String> = exprs
        .iter()
        .enumerate()
        .map(|(i, expr)| format!("query_{i}: {expr}"))
        .collect();
    assert!(
        ok,
        "a dashboard query is not valid PromQL (Grafana-only variables such as \
         $__rate_interval are not: use a fixed range):\n{output}\n{}",
        numbered.join("\n")
    );
    assert!(
        output.contains(&format!("SUCCESS: {} rules found", exprs.len())),
        "{output}"
    );
}

#[test]
fn the_dashboard_panel_ids_are_unique() {
    let dashboard = dashboard();
    let mut seen = BTreeSet::new();
    for panel in panels(&dashboard) {
        let id = panel["id"]
            .as_u64()
            .unwrap_or_else(|| panic!("panel {} has no id", panel["title"]));
        assert!(seen.insert(id), "two panels have the id {id}");
    }
}

#[test]
fn the_dashboard_filters_by_tenant_queue_and_channel_variables() {
    let dashboard = dashboard();
    let variables = dashboard["templating"]["list"]
        .as_array()
        .expect("templating");
    for name in ["instance", "tenant", "queue", "channel"] {
        let variable = variables
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no `{name}` variable"));
        assert_eq!(variable["type"], "query", "{name}");
        assert_eq!(variable["multi"], true, "{name} allows several values");
        assert_eq!(variable["includeAll"], true, "{name} has All");
        let query = variable["query"]["query"].as_str().unwrap_or_default();
        assert!(
            query.starts_with("label_values(") && query.ends_with(&format!(", {name})")),
            "{name}: {query}"
        );
    }
    // Every per-queue figure follows the selection, the channel included: each series it reads
    // is filtered by tenant, queue and channel directly (every queue series has `channel`, so no
    // join through acdhub_queue_info is needed), and its legend tells a queue's lanes apart.
    let mut per_queue = 0;
    for panel in panels(&dashboard) {
        let title = &panel["title"];
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default();
            let selectors = queue_selectors(expr);
            if selectors.is_empty() {
                continue;
            }
            per_queue += 1;
            // The answer-wait heatmap adds the selected lanes' buckets up: one distribution.
            if panel["type"] == "heatmap" {
                assert_eq!(label_lists(expr, "by"), vec![vec!["le"]], "{title}: {expr}");
                assert_eq!(target["format"], "heatmap", "{title}");
                assert_eq!(target["legendFormat"], "{{le}}", "{title}");
            }
            for (name, matchers) in &selectors {
                let matchers = matchers.as_deref().unwrap_or_default();
                for wanted in [
                    r#"tenant=~"$tenant""#,
                    r#"queue=~"$queue""#,
                    r#"channel=~"$channel""#,
                ] {
                    assert!(
                        matchers.contains(wanted),
                        "panel {title}: {name} is not filtered by {wanted}: {expr}"
                    );
                }
            }
            assert!(
                !expr.contains("acdhub_queue_info"),
                "panel {title} joins acdhub_queue_info for the channel its series carry: {expr}"
            );
            if panel["type"] == "heatmap" {
                continue;
            }
            let legend = target["legendFormat"].as_str().unwrap_or_default();
            assert!(
                ["{{tenant}}", "{{queue}}", "{{channel}}"]
                    .iter()
                    .all(|label| legend.contains(label)),
                "panel {title}: the legend {legend:?} does not tell a queue's lanes apart"
            );
            // Whatever the query keeps of the series, it keeps the channel.
            for by in label_lists(expr, "by") {
                assert!(
                    by.contains(&"channel"),
                    "panel {title}: `by ({})` sums a queue's lanes together: {expr}",
                    by.join(", ")
                );
            }
        }
    }
    assert!(per_queue >= 15, "only {per_queue} per-queue queries found");
}

#[test]
fn every_per_queue_rule_keeps_a_queues_lanes_apart() {
    // A queue serving several channels has one series per lane of every acdhub_queue_ series,
    // differing only in `channel`: a join on the queue without the channel would match a lane
    // with the other lane's series (a many-to-many error, or the other lane's bucket at T,
    // formula or target), and a sum without it would add the lanes together.
    // The rules without their comments (which quote joins and sums too).
    let rules: String = read(RULES)
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect();
    let joins: Vec<Vec<&str>> = label_lists(&rules, "on")
        .into_iter()
        .filter(|labels| labels.contains(&"queue"))
        .collect();
    assert!(
        joins.len() >= 10,
        "only {} joins on queue: {joins:?}",
        joins.len()
    );
    for labels in &joins {
        for wanted in ["channel", "tenant", "job", "instance"] {
            assert!(
                labels.contains(&wanted),
                "a join on ({}) lacks {wanted}",
                labels.join(", ")
            );
        }
    }
    let sums = label_lists(&rules, "by");
    assert!(sums.len() >= 15, "only {} `by` clauses", sums.len());
    for labels in &sums {
        assert!(
            labels.contains(&"channel") && !labels.contains(&"queue"),
            "the channel group sums by ({}), not by tenant and channel",
            labels.join(", ")
        );
    }
    for labels in label_lists(&rules, "without") {
        assert!(
            !labels.contains(&"channel") && !labels.contains(&"queue"),
            "without ({}) drops a lane's labels",
            labels.join(", ")
        );
    }
    // Every series carries its channel: no rule takes it from the info series any more.
    assert!(
        !rules.contains("group_left") && !metric_names(&rules).contains("acdhub_queue_info"),
        "{RULES} still joins acdhub_queue_info for the channel"
    );
}

#[test]
fn the_dashboard_shows_what_a_supervisor_watches_with_units() {
    let dashboard = dashboard();
    let panels = panels(&dashboard);
    // (a series the panel queries, the unit it must be shown in)
    let wanted = [
        ("acdhub:queue_service_level:ratio_15m", "percentunit"),
        ("acdhub_queue_calls_waiting", "short"),
        ("acdhub_queue_oldest_wait_seconds", "s"),
        ("acdhub_tenant_agents", "short"),
        ("acdhub:queue_answer_wait_seconds:mean_15m", "s"),
        ("acdhub:queue_abandonment:ratio_15m", "percentunit"),
        ("acdhub_connections", "short"),
        ("acdhub_messages_received_total", "short"),
        ("acdhub_messages_sent_total", "short"),
        ("acdhub_slow_client_disconnects_total", "short"),
        ("acdhub_stats_updates_replaced_total", "short"),
    ];
    for (series, unit) in wanted {
        let panel = panels
            .iter()
            .find(|p| {
                p["targets"].as_array().into_iter().flatten().any(|t| {
                    t["expr"]
                        .as_str()
                        .is_some_and(|e| metric_names(e).contains(series))
                })
            })
            .unwrap_or_else(|| panic!("no panel shows {series}"));
        assert_eq!(
            panel["fieldConfig"]["defaults"]["unit"], unit,
            "unit of {}",
            panel["title"]
        );
    }
    // The service level is drawn against the queue's target, in the same panel.
    let service_level = panels
        .iter()
        .find(|p| {
            p["title"]
                .as_str()
                .unwrap_or_default()
                .contains("Service level")
        })
        .expect("a service-level panel");
    let exprs: Vec<&str> = service_level["targets"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t["expr"].as_str())
        .collect();
    assert!(
        exprs
            .iter()
            .any(|e| e.contains("acdhub_queue_service_level_target_ratio")),
        "{exprs:?}"
    );
    // Agents by state are stacked.
    let agents = panels
        .iter()
        .find(|p| {
            p["targets"].as_array().into_iter().flatten().any(|t| {
                t["expr"]
                    .as_str()
                    .is_some_and(|e| e.contains("acdhub_tenant_agents{"))
            })
        })
        .expect("an agents panel");
    assert_eq!(
        agents["fieldConfig"]["defaults"]["custom"]["stacking"]["mode"],
        "normal"
    );
}

#[test]
fn the_selector_and_label_list_scanners_find_what_the_checks_rely_on() {
    let expr = r#"sum by (tenant, queue, channel) (increase(acdhub_queue_calls_total{tenant=~"$tenant", channel=~"$channel"}[15m])) and on (job, queue) acdhub_queue_calls_total_x and acdhub:queue_occupancy:ratio_15m"#;
    let selectors = queue_selectors(expr);
    assert_eq!(
        selectors,
        vec![
            ("acdhub:queue_occupancy:ratio_15m".to_owned(), None),
            (
                "acdhub_queue_calls_total".to_owned(),
                Some(r#"tenant=~"$tenant", channel=~"$channel""#.to_owned())
            ),
            ("acdhub_queue_calls_total_x".to_owned(), None),
        ]
    );
    assert_eq!(
        label_lists(expr, "by"),
        vec![vec!["tenant", "queue", "channel"]]
    );
    assert_eq!(label_lists(expr, "on"), vec![vec!["job", "queue"]]);
    assert!(label_lists("foo_by (x)", "by").is_empty());
}

#[test]
fn the_metric_name_scanner_finds_served_and_recorded_names() {
    let names = metric_names(
        r#"sum without (le) (acdhub_queue_answer_wait_seconds_bucket{le="20"}) / acdhub:queue_service_level:ratio_15m and up{job=~"acdhub.*"}"#,
    );
    let expected: BTreeSet<String> = [
        "acdhub_queue_answer_wait_seconds_bucket",
        "acdhub:queue_service_level:ratio_15m",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(names, expected);
}

#[test]
fn every_query_of_the_dashboard_filters_by_the_instance_variable() {
    // With several acdhub servers scraped by one Prometheus, Instance picks one (or several):
    // every series a panel, an annotation or another variable reads is filtered by it.
    let dashboard = dashboard();
    let mut queries: Vec<(String, String)> = Vec::new();
    for panel in panels(&dashboard) {
        for target in panel["targets"].as_array().into_iter().flatten() {
            let expr = target["expr"].as_str().unwrap_or_default().to_owned();
            queries.push((format!("panel {}", panel["title"]), expr));
        }
    }
    for expr in annotation_expressions(&dashboard) {
        queries.push(("an annotation".to_owned(), expr));
    }
    for variable in dashboard["templating"]["list"].as_array().unwrap() {
        let query = variable["query"]["query"].as_str().unwrap_or_default();
        // The instance variable lists the instances; it cannot filter by itself.
        if variable["name"] != "instance" && !query.is_empty() {
            queries.push((format!("variable {}", variable["name"]), query.to_owned()));
        }
    }
    let mut filtered = 0;
    for (what, expr) in &queries {
        let selectors = all_selectors(expr);
        assert!(!selectors.is_empty(), "{what} reads no series: {expr}");
        for (name, matchers) in selectors {
            assert!(
                matchers
                    .as_deref()
                    .is_some_and(|m| m.contains(r#"instance=~"$instance""#)),
                "{what}: {name} is not filtered by instance: {expr}"
            );
            filtered += 1;
        }
    }
    assert!(filtered >= 40, "only {filtered} selectors checked");
    let instance = dashboard["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "instance")
        .expect("an instance variable");
    // Every acdhub server has exactly one acdhub_build_info, whatever its tenants.
    assert_eq!(
        instance["query"]["query"],
        "label_values(acdhub_build_info, instance)"
    );
}

/// The panel with a query reading `series` (and of `kind`, if given).
fn panel_reading<'a>(panels: &[&'a Value], series: &str, kind: Option<&str>) -> &'a Value {
    panels
        .iter()
        .copied()
        .find(|p| {
            kind.is_none_or(|k| p["type"] == k)
                && p["targets"].as_array().into_iter().flatten().any(|t| {
                    t["expr"]
                        .as_str()
                        .is_some_and(|e| all_selectors(e).iter().any(|(n, _)| n == series))
                })
        })
        .unwrap_or_else(|| panic!("no {kind:?} panel reads {series}"))
}

#[test]
fn the_dashboard_has_tiles_for_now_today_and_15_minutes_a_wait_heatmap_and_rung_panels() {
    let dashboard = dashboard();
    let panels = panels(&dashboard);
    // Stat tiles of figures now: the last value of an instant query.
    for (series, unit) in [
        ("acdhub_queue_calls_waiting", "short"),
        ("acdhub_queue_oldest_wait_seconds", "s"),
        ("acdhub:queue_service_level:ratio_15m", "percentunit"),
    ] {
        let tile = panel_reading(&panels, series, Some("stat"));
        assert_eq!(tile["fieldConfig"]["defaults"]["unit"], unit, "{series}");
        assert_eq!(tile["targets"][0]["instant"], true, "{series}");
        assert!(
            tile["description"].as_str().is_some_and(|d| d.len() > 40),
            "the tile of {series} says what it shows"
        );
    }
    // Today's service level: the panel's range is today so far, and the query's windows are
    // that range, by the lane's own formula at its own threshold.
    let today = panels
        .iter()
        .find(|p| p["type"] == "stat" && p["timeFrom"] == "now/d")
        .expect("a tile over today (timeFrom now/d)");
    assert_eq!(today["fieldConfig"]["defaults"]["unit"], "percentunit");
    let expr = today["targets"][0]["expr"].as_str().unwrap();
    assert!(
        expr.contains("[$__range]") && !expr.contains("[15m]"),
        "{expr}"
    );
    for part in [
        "acdhub_queue_answer_wait_seconds_bucket",
        "acdhub_queue_abandon_wait_seconds_bucket",
        "acdhub:queue_service_level_bucket:info",
        r#"variant="answered""#,
        r#"variant="offered""#,
        r#"variant="short_abandon_excluded""#,
    ] {
        assert!(
            expr.contains(part),
            "today's service level lacks {part}: {expr}"
        );
    }
    for needle in ["today", "time zone"] {
        assert!(
            today["description"].as_str().unwrap().contains(needle),
            "{}",
            today["description"]
        );
    }
    // The answer-wait heatmap: buckets, not a calculated histogram.
    let heatmap = panel_reading(
        &panels,
        "acdhub_queue_answer_wait_seconds_bucket",
        Some("heatmap"),
    );
    assert_eq!(heatmap["options"]["calculate"], false);
    assert_eq!(heatmap["options"]["yAxis"]["unit"], "s");
    // The ladder's rungs and the resumes: a network problem made visible.
    let agents_by_rung = |kind: &str| -> &Value {
        panels
            .iter()
            .copied()
            .find(|p| {
                p["type"] == kind
                    && p["targets"][0]["expr"]
                        .as_str()
                        .is_some_and(|e| e.contains("acdhub_connections{") && e.contains("agent"))
            })
            .unwrap_or_else(|| panic!("no {kind} of agents' connections"))
    };
    let rungs = agents_by_rung("timeseries");
    let fallback = agents_by_rung("stat");
    for panel in [rungs, fallback] {
        let expr = panel["targets"][0]["expr"].as_str().unwrap();
        assert!(expr.contains(r#"role="agent""#), "{expr}");
        assert_eq!(label_lists(expr, "by"), vec![vec!["transport"]], "{expr}");
    }
    assert!(
        fallback["targets"][0]["expr"]
            .as_str()
            .unwrap()
            .contains(r#"transport=~"sse|poll""#)
    );
    let opened = panel_reading(&panels, "acdhub_connections_opened_total", None);
    let resumes = panel_reading(&panels, "acdhub_resumes_total", None);
    assert_eq!(
        label_lists(opened["targets"][0]["expr"].as_str().unwrap(), "by"),
        vec![vec!["transport"]]
    );
    assert_eq!(
        label_lists(resumes["targets"][0]["expr"].as_str().unwrap(), "by"),
        vec![vec!["result"]]
    );
}

#[test]
fn the_restart_annotation_marks_a_restart_of_an_acdhub_instance_and_nothing_else() {
    // promtool evaluates the annotation's query on series that play a restart: instance a
    // starts again at 6 min, b runs on, and a node exporter (not acdhub) restarts too.
    let dashboard = dashboard();
    let exprs = annotation_expressions(&dashboard);
    assert_eq!(exprs.len(), 1, "one restart annotation: {exprs:?}");
    let annotation = dashboard["annotations"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["expr"].is_string())
        .unwrap();
    assert_eq!(annotation["enable"], true);
    let dir =
        std::env::temp_dir().join(format!("acdhub-restart-annotation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let rules = dir.join("annotation.rules.yml");
    std::fs::write(
        &rules,
        format!(
            "groups:\n  - name: annotation\n    rules:\n      - record: dashboard:restart:check\n        expr: {}\n",
            Value::String(expand(&exprs[0]))
        ),
    )
    .unwrap();
    let test = dir.join("annotation.test.yml");
    let expect = |at: &str, samples: &str| {
        format!(
            "      - expr: dashboard:restart:check\n        eval_time: {at}\n        exp_samples:{samples}\n"
        )
    };
    let restarted = "\n          - labels: 'dashboard:restart:check{job=\"acdhub\", instance=\"a:9464\"}'\n            value: 1";
    std::fs::write(
        &test,
        format!(
            "rule_files:\n  - {}\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n\
             \x20     - series: 'process_start_time_seconds{{job=\"acdhub\", instance=\"a:9464\"}}'\n        values: '1000x5 2000x5'\n\
             \x20     - series: 'process_start_time_seconds{{job=\"acdhub\", instance=\"b:9464\"}}'\n        values: '1000x10'\n\
             \x20     - series: 'process_start_time_seconds{{job=\"node\", instance=\"c:9100\"}}'\n        values: '1000x5 3000x5'\n\
             \x20   promql_expr_test:\n{}{}{}",
            rules.display(),
            expect("4m", " []"),
            expect("7m", restarted),
            expect("10m", " []"),
        ),
    )
    .unwrap();
    let (ok, output) = promtool(&["test", "rules", test.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).ok();
    assert!(ok && output.contains("SUCCESS"), "{output}");
}

/// The subset of YAML the provisioning files use, read into JSON: block mappings and
/// sequences, plain, quoted, integer and boolean scalars, comments on their own lines. Anything
/// else (tabs, flow collections, anchors, a wrong indentation, a key twice) is an error, so a
/// file this reads is valid YAML meaning what the checks see.
fn read_yaml(text: &str) -> Result<Value, String> {
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.contains('\t') {
            return Err(format!("line {}: a tab", number + 1));
        }
        let content = line.trim_start();
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        lines.push((line.len() - content.len(), content.trim_end().to_owned()));
    }
    if lines.is_empty() {
        return Err("empty".to_owned());
    }
    let mut at = 0;
    let value = yaml_block(&mut lines, &mut at, 0)?;
    if at != lines.len() {
        return Err(format!("unexpected {:?}", lines[at].1));
    }
    Ok(value)
}

fn yaml_block(
    lines: &mut [(usize, String)],
    at: &mut usize,
    indent: usize,
) -> Result<Value, String> {
    let is_item = |text: &str| text == "-" || text.starts_with("- ");
    if is_item(&lines[*at].1) {
        let mut items = Vec::new();
        while *at < lines.len() && lines[*at].0 == indent && is_item(&lines[*at].1) {
            let text = lines[*at].1.clone();
            let rest = text[1..].trim_start();
            if rest.is_empty() {
                return Err("an empty sequence item".to_owned());
            }
            lines[*at] = (indent + text.len() - rest.len(), rest.to_owned());
            let inner = lines[*at].0;
            items.push(yaml_block(lines, at, inner)?);
        }
        if *at < lines.len() && lines[*at].0 >= indent {
            return Err(format!("misplaced {:?}", lines[*at].1));
        }
        return Ok(Value::Array(items));
    }
    let mut map = serde_json::Map::new();
    while *at < lines.len() && lines[*at].0 == indent && !is_item(&lines[*at].1) {
        let text = lines[*at].1.clone();
        let (key, value) = match text.split_once(": ") {
            Some((key, value)) => (key, value.trim()),
            None => (
                text.strip_suffix(':')
                    .ok_or_else(|| format!("not a key: {text:?}"))?,
                "",
            ),
        };
        if key.is_empty() || !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return Err(format!("unexpected key {key:?}"));
        }
        *at += 1;
        let value = if value.is_empty() {
            match lines.get(*at) {
                Some(&(inner, _)) if inner > indent => yaml_block(lines, at, inner)?,
                _ => Value::Null,
            }
        } else {
            yaml_scalar(value)?
        };
        if map.insert(key.to_owned(), value).is_some() {
            return Err(format!("{key} twice"));
        }
        if *at < lines.len() && lines[*at].0 > indent {
            return Err(format!("misindented {:?}", lines[*at].1));
        }
    }
    // A sequence item at a mapping's own indentation (`key:` then `- item` below it).
    if *at < lines.len() && lines[*at].0 == indent {
        return Err(format!("misplaced {:?}", lines[*at].1));
    }
    Ok(Value::Object(map))
}

fn yaml_scalar(text: &str) -> Result<Value, String> {
    if text.starts_with('"') {
        return serde_json::from_str(text).map_err(|e| format!("{text}: {e}"));
    }
    if let Some(inner) = text.strip_prefix('\'') {
        let inner = inner
            .strip_suffix('\'')
            .ok_or_else(|| format!("unterminated {text}"))?;
        return Ok(Value::String(inner.replace("''", "'")));
    }
    if text.starts_with(['{', '[', '&', '*', '!', '|', '>', '%', '@', '`'])
        || text.contains(" #")
        || text.contains(": ")
    {
        return Err(format!("unsupported scalar {text:?}"));
    }
    Ok(match text {
        "true" => Value::Bool(true),
        "false" => Value::Bool(false),
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.to_owned())),
    })
}

#[test]
fn the_yaml_reader_reads_the_subset_and_refuses_the_rest() {
    let value =
        read_yaml("a: 1\n# note\nb:\n  - name: x\n    on: true\n  - name: 'y'\nc:\n  d: \"e\"\n")
            .unwrap();
    assert_eq!(
        value,
        serde_json::json!({"a": 1, "b": [{"name": "x", "on": true}, {"name": "y"}], "c": {"d": "e"}})
    );
    for bad in [
        "a: 1\n\tb: 2\n",
        "a: 1\n  b: 2\n",
        "a: 1\na: 2\n",
        "a: {b: 1}\n",
        "a:\n  - b: 1\n   c: 2\n",
        "a:\n- b\n",
        "just text\n",
    ] {
        assert!(
            read_yaml(bad).is_err(),
            "{bad:?} read as {:?}",
            read_yaml(bad)
        );
    }
}

#[test]
fn the_provisioning_files_load_the_dashboard_into_its_folder_with_a_prometheus_datasource() {
    let provider = read_yaml(&read(PROVIDER)).unwrap_or_else(|e| panic!("{PROVIDER}: {e}"));
    assert_eq!(provider["apiVersion"], 1, "{PROVIDER}");
    let providers = provider["providers"].as_array().expect("providers");
    assert_eq!(providers.len(), 1, "{provider}");
    let acdhub = &providers[0];
    assert_eq!(acdhub["type"], "file");
    assert_eq!(acdhub["folder"], "acdhub");
    assert_eq!(acdhub["folderUid"], "acdhub");
    let folder = acdhub["options"]["path"].as_str().expect("options.path");
    assert!(folder.starts_with('/'), "an absolute path: {folder}");
    assert!(
        acdhub["updateIntervalSeconds"]
            .as_i64()
            .is_some_and(|s| s > 0)
    );

    let sources = read_yaml(&read(DATASOURCES)).unwrap_or_else(|e| panic!("{DATASOURCES}: {e}"));
    assert_eq!(sources["apiVersion"], 1, "{DATASOURCES}");
    let list = sources["datasources"].as_array().expect("datasources");
    let prometheus: Vec<&Value> = list.iter().filter(|d| d["type"] == "prometheus").collect();
    assert_eq!(prometheus.len(), 1, "{sources}");
    // The default data source: the dashboard's DS_PROMETHEUS variable takes it with no click.
    assert_eq!(prometheus[0]["isDefault"], true);
    assert_eq!(prometheus[0]["access"], "proxy");
    assert!(
        prometheus[0]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http"))
    );

    // The dashboard keeps its uid (links and provisioning updates find it by it), and the
    // README says where each file goes: the JSON into the provider's path.
    assert_eq!(dashboard()["uid"], "acdhub-supervisor");
    let readme = read(README);
    for needle in [
        "provisioning/dashboards.yml",
        "provisioning/datasources.yml",
        "/etc/grafana/provisioning/dashboards/",
        "/etc/grafana/provisioning/datasources/",
        &format!("{folder}/"),
        "acdhub-supervisor.json",
    ] {
        assert!(
            readme.contains(needle),
            "{README} does not mention {needle}"
        );
    }
}
