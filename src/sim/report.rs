//! What `acdhub simulate` prints: for a configured contact center each queue's figures and the
//! tenant's total, read from the core's own statistics; for one queue its measured figures
//! beside Erlang C's; and for both, how fast the run went.

use std::fmt::Write;
use std::time::Duration;

use super::scenario::Model;
use crate::acd::config::ServiceLevelVariant;
use crate::acd::{Acd, AgentCounts, Figures};

use super::{BatchedRun, Estimate, Measurement, RunSummary, Scale};

fn percent(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{:.1} %", v * 100.0))
}

fn seconds(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{v:.1} s"))
}

fn row(out: &mut String, name: &str, f: &Figures, service_level: String) {
    let _ = writeln!(
        out,
        "{name:<10} {:>7} {:>8} {:>9} {:>10} {:>9} {:>22} {:>8} {:>8} {:>9} {:>9}",
        f.offered,
        f.answered,
        f.abandoned,
        f.overflowed,
        f.timed_out,
        service_level,
        seconds(f.average_speed_of_answer()),
        seconds(f.average_handle_time()),
        percent(f.abandonment_rate()),
        percent(f.occupancy()),
    );
}

fn agents(counts: &AgentCounts) -> String {
    format!(
        "{} logged in: {} ready, {} ringing, {} on call, {} wrap-up, {} not ready",
        counts.logged_in,
        counts.ready,
        counts.ringing,
        counts.on_call,
        counts.wrap_up,
        counts.not_ready
    )
}

/// Every queue's figures since the core started, with its service level under its own formula
/// against its target; with more than one channel, each channel's total; then the tenant's
/// total and the agents by state; and for queues of conversations their own figures.
pub fn queue_table(acd: &Acd) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<10} {:>7} {:>8} {:>9} {:>10} {:>9} {:>22} {:>8} {:>8} {:>9} {:>9}",
        "queue",
        "offered",
        "answered",
        "abandoned",
        "overflowed",
        "timed out",
        "service level (target)",
        "ASA",
        "AHT",
        "abandon",
        "occupancy"
    );
    let queues: Vec<_> = acd.lanes().map(|lane| acd.lane_stats(lane)).collect();
    // Channels in the order their first queue comes.
    let mut channels: Vec<(String, Figures)> = Vec::new();
    for stats in &queues {
        let sl = &stats.service_level;
        let figures = &stats.stats.lifetime;
        let service_level = format!(
            "{} ({:.0} % in {} s)",
            percent(figures.service_level(sl.variant)),
            sl.target_percent,
            sl.threshold.as_secs()
        );
        // A lane of a queue of several channels is named by both: `support/chat`.
        let label = if acd.lanes_of(&stats.id).nth(1).is_some() {
            format!("{}/{}", stats.id, stats.channel_name())
        } else {
            stats.id.to_string()
        };
        row(&mut out, &label, figures, service_level);
        let name = stats.channel_name().to_owned();
        match channels.iter_mut().find(|(c, _)| *c == name) {
            Some((_, total)) => *total = total.plus(figures),
            None => channels.push((name, figures.clone())),
        }
    }
    if channels.len() > 1 {
        for (name, total) in &channels {
            let service_level = format!(
                "{} (answered)",
                percent(total.service_level(ServiceLevelVariant::Answered))
            );
            row(&mut out, &format!("all:{name}"), total, service_level);
        }
    }
    let tenant = acd.tenant_stats();
    let total = &tenant.stats.lifetime;
    let service_level = format!(
        "{} (answered)",
        percent(total.service_level(ServiceLevelVariant::Answered))
    );
    row(&mut out, "total", total, service_level);
    let _ = writeln!(
        out,
        "\nnow: {} waiting; agents {}",
        tenant.waiting,
        agents(&tenant.stats.agents)
    );
    let conversations: Vec<_> = queues.iter().filter(|q| q.channel.is_some()).collect();
    if !conversations.is_empty() {
        let _ = writeln!(
            out,
            "\n{:<10} {:<8} {:>16} {:>26} {:>11} {:>12} {:>20}",
            "queue",
            "channel",
            "first responses",
            "within threshold (target)",
            "average",
            "concurrency",
            "occupancy by places"
        );
        for stats in conversations {
            let f = &stats.stats.lifetime;
            let sl = &stats.service_level;
            let _ = writeln!(
                out,
                "{:<10} {:<8} {:>16} {:>26} {:>11} {:>12} {:>20}",
                stats.id.as_str(),
                stats.channel_name(),
                f.first_responses,
                format!(
                    "{} ({:.0} % in {} s)",
                    percent(f.first_response_service_level()),
                    sl.target_percent,
                    sl.first_response_threshold().as_secs()
                ),
                seconds(f.average_first_response()),
                f.concurrency().map_or("-".into(), |c| format!("{c:.2}")),
                percent(f.capacity_occupancy()),
            );
        }
    }
    out
}

/// How long the run took and what the core did, for both kinds of simulation.
pub fn write_run(
    out: &mut String,
    simulated_hours: f64,
    wall: Duration,
    summary: &RunSummary,
) -> std::fmt::Result {
    let secs = wall.as_secs_f64().max(1e-9);
    writeln!(
        out,
        "simulated {simulated_hours} h in {:.3} s wall time ({:.0}x real time)",
        wall.as_secs_f64(),
        simulated_hours * 3600.0 / secs
    )?;
    writeln!(
        out,
        "core: {} commands ({:.0}/s), {} timeouts, {} events; {} refused",
        summary.commands,
        summary.commands as f64 / secs,
        summary.timeouts,
        summary.events,
        summary.refused
    )?;
    if let Some(error) = &summary.first_refusal {
        writeln!(out, "first refusal: {error}")?;
    }
    Ok(())
}

/// How a figure is shown: fractions as percentages, times in seconds.
#[derive(Debug, Clone, Copy)]
enum Unit {
    Percent,
    Seconds,
}

impl Unit {
    fn number(self, value: f64) -> String {
        match self {
            Unit::Percent => format!("{:.2}", value * 100.0),
            Unit::Seconds => format!("{value:.2}"),
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::Seconds => "s",
        }
    }

    fn show(self, value: f64) -> String {
        format!("{} {}", self.number(value), self.symbol())
    }

    fn show_signed(self, value: f64) -> String {
        let sign = if value >= 0.0 { "+" } else { "" };
        format!("{sign}{}", self.show(value))
    }

    /// Times are measured with errors that grow with them (see [`Scale`]).
    fn scale(self) -> Scale {
        match self {
            Unit::Percent => Scale::Linear,
            Unit::Seconds => Scale::Log,
        }
    }

    /// The value and its 95 % interval: `± half` when even, `-down/+up` when not.
    fn show_interval(self, e: &Estimate) -> String {
        let (down, up) = (e.value - e.low_95, e.high_95 - e.value);
        match self.scale() {
            Scale::Linear => format!("{} ± {}", self.show(e.value), self.show(up)),
            Scale::Log => format!(
                "{} -{}/+{} {}",
                self.number(e.value),
                self.number(down),
                self.number(up),
                self.symbol()
            ),
        }
    }
}

/// One line of the comparison table.
struct Row {
    name: String,
    unit: Unit,
    measured: Option<Estimate>,
    predicted: Option<f64>,
}

/// The measured figures with their 95 % intervals beside the model's. With `predicts` the
/// difference is also given in standard errors, the measure of whether the two agree; without
/// (a reference such as Erlang A for fixed patience) only the difference, since disagreement
/// there is no error.
pub fn erlang_table(
    out: &mut String,
    run: &BatchedRun,
    model: Option<&Model>,
    predicts: bool,
    threshold_secs: f64,
) -> std::fmt::Result {
    let row = |name: String,
               unit: Unit,
               measure: fn(&Measurement) -> Option<f64>,
               predict: fn(&Model) -> f64| Row {
        name,
        unit,
        measured: run.estimate(unit.scale(), measure),
        predicted: model.map(predict),
    };
    let mut rows = vec![
        // Of the answered calls, those that waited at all (what the simulator counts).
        row(
            "P(wait)".into(),
            Unit::Percent,
            |m| m.probability_of_waiting(),
            |model| match model {
                Model::C(p) => p.probability_of_waiting,
                Model::A(a) => a.probability_answered_call_waited(),
            },
        ),
        row(
            "ASA".into(),
            Unit::Seconds,
            |m| m.figures.average_speed_of_answer(),
            |model| match model {
                Model::C(p) => p.average_speed_of_answer,
                Model::A(a) => a.average_speed_of_answer,
            },
        ),
        row(
            format!("SL({threshold_secs} s)"),
            Unit::Percent,
            |m| m.figures.service_level(ServiceLevelVariant::Answered),
            |model| match model {
                Model::C(p) => p.service_level,
                Model::A(a) => a.service_level(ServiceLevelVariant::Answered),
            },
        ),
        row(
            "occupancy".into(),
            Unit::Percent,
            |m| m.figures.occupancy(),
            |model| match model {
                Model::C(p) => p.occupancy,
                Model::A(a) => a.occupancy,
            },
        ),
        row(
            "AHT".into(),
            Unit::Seconds,
            |m| m.figures.average_handle_time(),
            |model| match model {
                Model::C(p) => p.average_handle_time,
                Model::A(a) => a.average_handle_time,
            },
        ),
    ];
    if let Some(Model::A(_)) = model {
        rows.insert(
            1,
            row(
                "abandoned".into(),
                Unit::Percent,
                |m| m.figures.abandonment_rate(),
                |model| match model {
                    Model::A(a) => a.probability_of_abandoning,
                    Model::C(_) => 0.0,
                },
            ),
        );
    }
    writeln!(
        out,
        "{:<13} {:>22} {:>10}  difference",
        "figure",
        "measured",
        model.map_or("Erlang C", Model::name)
    )?;
    for row in rows {
        let measured = row
            .measured
            .map_or("n/a".into(), |e| row.unit.show_interval(&e));
        let predicted = row.predicted.map_or("n/a".into(), |p| row.unit.show(p));
        let difference = match (row.measured, row.predicted) {
            (Some(e), Some(p)) if !predicts => row.unit.show_signed(e.value - p),
            (Some(e), Some(p)) if e.standard_error > 0.0 => format!(
                "{} ({:+.1} se)",
                row.unit.show_signed(e.value - p),
                (e.value - p) / e.standard_error
            ),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:<13} {measured:>22} {predicted:>10}  {difference}",
            row.name
        )?;
    }
    Ok(())
}
