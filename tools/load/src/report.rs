//! What every run prints: one JSON object on one line on stdout (for machines: `> run.json`
//! keeps it and nothing else) and then a table for people on stderr, with progress lines.

use serde_json::{Map, Value, json};

use crate::clock;
use crate::usage::{Spent, Usage, round3};

/// One run's figures, in the order they are printed.
pub struct Report {
    mode: &'static str,
    parameters: Value,
    figures: Map<String, Value>,
    load_before: Value,
}

impl Report {
    /// Starts a report; the load average is read now and again when it is printed, since the
    /// machine is shared and every figure goes with the load it was measured under.
    pub fn new(mode: &'static str, parameters: Value) -> Report {
        Report {
            mode,
            parameters,
            figures: Map::new(),
            load_before: load_average(),
        }
    }

    pub fn figure(&mut self, name: &str, value: impl Into<Value>) {
        self.figures.insert(name.to_owned(), value.into());
    }

    /// The figures every fan-out run has: deliveries in the window and their rate, CPU per
    /// million on both sides, and the server's memory per subscriber (from `baseline`, before
    /// the first connection, to `connected`, with every subscriber connected).
    pub fn fan_out(
        &mut self,
        deliveries: u64,
        subscribers: usize,
        spent: &Spent,
        baseline: Usage,
        connected: Usage,
    ) {
        let per_second = deliveries as f64 / spent.seconds;
        self.figure("deliveries", deliveries);
        self.figure("deliveries_per_s", round3(per_second));
        self.figure(
            "deliveries_per_subscriber_per_s",
            round3(per_second / subscribers as f64),
        );
        self.figure(
            "server_cpu_s_per_1m_deliveries",
            spent.server_cpu_per(deliveries, 1e6),
        );
        self.figure(
            "client_cpu_s_per_1m_deliveries",
            (deliveries > 0).then(|| round3(spent.own_cpu_s / deliveries as f64 * 1e6)),
        );
        self.figure("server_rss_baseline_kb", baseline.rss_kb);
        self.figure("server_rss_connected_kb", connected.rss_kb);
        self.figure(
            "server_kib_per_subscriber",
            round3((connected.rss_kb as f64 - baseline.rss_kb as f64) / subscribers as f64),
        );
        self.figure("window", spent.json());
    }

    /// Prints the JSON line on stdout and the table on stderr.
    pub fn print(self) {
        let object = json!({
            "mode": self.mode,
            "date": clock::date(),
            "commit": git_commit(),
            "load_average_before": self.load_before,
            "load_average_after": load_average(),
            "parameters": self.parameters,
            "figures": self.figures,
        });
        println!("{object}");
        eprintln!("\n{}", table(&object));
    }
}

/// A two-column Markdown table of every leaf of `object`, nested names joined with dots.
fn table(object: &Value) -> String {
    let mut rows = Vec::new();
    flatten("", object, &mut rows);
    let mut text = String::from("| figure | value |\n|---|---:|\n");
    for (name, value) in rows {
        text.push_str(&format!("| {name} | {value} |\n"));
    }
    text
}

fn flatten(prefix: &str, value: &Value, rows: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let name = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&name, value, rows);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (index, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{index}]"), item, rows);
            }
        }
        Value::String(text) => rows.push((prefix.to_owned(), text.clone())),
        other => rows.push((prefix.to_owned(), other.to_string())),
    }
}

/// The 1, 5 and 15 minute load averages from /proc/loadavg.
fn load_average() -> Value {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let figures: Vec<f64> = text
        .split_whitespace()
        .take(3)
        .filter_map(|field| field.parse().ok())
        .collect();
    json!(figures)
}

/// The commit of the working directory's repository, if git can tell.
fn git_commit() -> Value {
    std::process::Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .output()
        .ok()
        .filter(|output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
        .map_or(Value::Null, Value::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_names_nested_figures() {
        let text =
            table(&json!({"mode": "idle", "figures": {"rss_kb": 10, "latency": {"p99_ms": 1.5}}}));
        assert!(text.contains("| mode | idle |"));
        assert!(text.contains("| figures.rss_kb | 10 |"));
        assert!(text.contains("| figures.latency.p99_ms | 1.5 |"));
    }
}
