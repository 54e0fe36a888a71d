//! The table `acdhub simulate` prints for a configured contact center: each queue's figures and
//! the tenant's total, read from the core's own statistics.

use std::fmt::Write;

use crate::acd::config::ServiceLevelVariant;
use crate::acd::{Acd, AgentCounts, Figures};

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
/// against its target, then the tenant's total and the agents by state.
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
    for id in acd.queue_ids() {
        let stats = acd.queue_stats(id).expect("listed queues exist");
        let sl = &stats.service_level;
        let figures = &stats.stats.lifetime;
        let service_level = format!(
            "{} ({:.0} % in {} s)",
            percent(figures.service_level(sl.variant)),
            sl.target_percent,
            sl.threshold.as_secs()
        );
        row(&mut out, id.as_str(), figures, service_level);
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
    out
}
