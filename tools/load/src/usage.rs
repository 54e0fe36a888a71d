//! What a process costs, read from /proc: resident memory (VmRSS) and CPU time (utime + stime).
//! The server runs in another process so that these figures are its own; the tool reads its
//! own too, so a reader sees the client side's share of the machine.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::clock;

/// One reading of a process.
#[derive(Debug, Clone, Copy)]
pub struct Usage {
    /// VmRSS, KiB.
    pub rss_kb: u64,
    /// utime + stime, in clock ticks.
    pub cpu_ticks: u64,
}

impl Usage {
    /// Reads process `pid`: an error if it is gone (a server that died is a finding).
    pub fn of(pid: u32) -> Result<Usage, String> {
        read(&format!("/proc/{pid}"))
    }

    /// Reads every process of `pids` and sums them (a cluster's nodes, and the NATS servers
    /// under them, as one server).
    pub fn of_all(pids: &[u32]) -> Result<Usage, String> {
        let mut sum = Usage {
            rss_kb: 0,
            cpu_ticks: 0,
        };
        for &pid in pids {
            let one = Usage::of(pid)?;
            sum.rss_kb += one.rss_kb;
            sum.cpu_ticks += one.cpu_ticks;
        }
        Ok(sum)
    }

    /// Reads this process.
    pub fn own() -> Usage {
        read("/proc/self").unwrap_or(Usage {
            rss_kb: 0,
            cpu_ticks: 0,
        })
    }
}

fn read(dir: &str) -> Result<Usage, String> {
    let status = std::fs::read_to_string(format!("{dir}/status"))
        .map_err(|e| format!("cannot read {dir}/status (is the process running?): {e}"))?;
    let rss_kb = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no VmRSS in {dir}/status"))?;
    let stat = std::fs::read_to_string(format!("{dir}/stat"))
        .map_err(|e| format!("cannot read {dir}/stat: {e}"))?;
    let cpu_ticks = cpu_ticks(&stat).ok_or_else(|| format!("{dir}/stat is not as expected"))?;
    Ok(Usage { rss_kb, cpu_ticks })
}

/// utime + stime from the text of /proc/PID/stat (fields 14 and 15; the command name, field 2,
/// is in parentheses and may hold spaces, so fields are counted after its closing one).
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

fn seconds(ticks: u64) -> f64 {
    ticks as f64 / rustix::param::clock_ticks_per_second() as f64
}

/// A measured window: the server's and this process's usage at its start. The server may be
/// several processes (`--server-pid` given more than once): their figures are summed, and
/// each one's CPU is reported apart too.
pub struct Window {
    pids: Vec<u32>,
    started: Instant,
    server: Vec<Usage>,
    own: Usage,
}

/// What a window cost.
#[derive(Debug, Clone)]
pub struct Spent {
    pub seconds: f64,
    pub server_cpu_s: f64,
    pub own_cpu_s: f64,
    pub server_rss_before_kb: u64,
    pub server_rss_after_kb: u64,
    /// With more than one server process: each one's pid, CPU seconds and RSS at the end.
    pub by_pid: Vec<(u32, f64, u64)>,
}

impl Window {
    pub fn start(pids: &[u32]) -> Result<Window, String> {
        Ok(Window {
            pids: pids.to_vec(),
            started: clock::monotonic(),
            server: pids
                .iter()
                .map(|&pid| Usage::of(pid))
                .collect::<Result<_, _>>()?,
            own: Usage::own(),
        })
    }

    /// Waits `warmup` seconds, then measures `seconds` with `measuring` set meanwhile (the
    /// clients count only what arrives while it is set).
    pub async fn after_warmup(
        pids: &[u32],
        warmup: u64,
        seconds: u64,
        measuring: &AtomicBool,
    ) -> Result<Spent, String> {
        tokio::time::sleep(Duration::from_secs(warmup)).await;
        let window = Window::start(pids)?;
        measuring.store(true, Ordering::Release);
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        measuring.store(false, Ordering::Release);
        window.finish()
    }

    pub fn finish(&self) -> Result<Spent, String> {
        let server: Vec<Usage> = self
            .pids
            .iter()
            .map(|&pid| Usage::of(pid))
            .collect::<Result<_, _>>()?;
        let own = Usage::own();
        let by_pid: Vec<(u32, f64, u64)> = self
            .pids
            .iter()
            .zip(&self.server)
            .zip(&server)
            .map(|((&pid, before), after)| {
                let cpu = seconds(after.cpu_ticks - before.cpu_ticks);
                (pid, cpu, after.rss_kb)
            })
            .collect();
        Ok(Spent {
            seconds: self.started.elapsed().as_secs_f64(),
            server_cpu_s: by_pid.iter().map(|(_, cpu, _)| cpu).sum(),
            own_cpu_s: seconds(own.cpu_ticks - self.own.cpu_ticks),
            server_rss_before_kb: self.server.iter().map(|usage| usage.rss_kb).sum(),
            server_rss_after_kb: server.iter().map(|usage| usage.rss_kb).sum(),
            by_pid: if self.pids.len() > 1 {
                by_pid
            } else {
                Vec::new()
            },
        })
    }
}

impl Spent {
    /// The server's CPU seconds per `per` units of work done in the window.
    pub fn server_cpu_per(&self, units: u64, per: f64) -> Option<f64> {
        (units > 0).then(|| round3(self.server_cpu_s / units as f64 * per))
    }

    pub fn json(&self) -> Value {
        let mut object = json!({
            "window_s": round3(self.seconds),
            "server_cpu_s": round3(self.server_cpu_s),
            "server_cpu_share_of_one_core": round3(self.server_cpu_s / self.seconds),
            "own_cpu_s": round3(self.own_cpu_s),
            "own_cpu_share_of_one_core": round3(self.own_cpu_s / self.seconds),
            "server_rss_before_kb": self.server_rss_before_kb,
            "server_rss_after_kb": self.server_rss_after_kb,
        });
        if !self.by_pid.is_empty() {
            let by_pid: serde_json::Map<String, Value> = self
                .by_pid
                .iter()
                .map(|(pid, cpu, rss)| {
                    let share = round3(cpu / self.seconds);
                    let figures = json!({"cpu_s": round3(*cpu), "cpu_share_of_one_core": share, "rss_kb": rss});
                    (pid.to_string(), figures)
                })
                .collect();
            object["server_by_pid"] = Value::Object(by_pid);
        }
        object
    }
}

pub fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

/// Raises this process's soft limit on open files to its hard limit (as the server does), since
/// every connection takes a descriptor. Returns the limit now in force and says so on stderr
/// when it is short of `needed`.
pub fn raise_open_files(needed: u64) -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let limit = getrlimit(Resource::Nofile);
    let raised = Rlimit {
        current: limit.maximum,
        maximum: limit.maximum,
    };
    let current = if limit.current != limit.maximum && setrlimit(Resource::Nofile, raised).is_ok() {
        limit.maximum
    } else {
        limit.current
    };
    let current = current.unwrap_or(u64::MAX);
    if current < needed {
        eprintln!(
            "acdhub-load: this process may open {current} files (its hard limit) and needs about \
             {needed}: split the connections with --processes, or raise the hard limit"
        );
    }
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cpu_time_after_a_name_with_spaces() {
        let stat = "42 (tokio runtime) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3 0";
        assert_eq!(cpu_ticks(stat), Some(325));
    }

    #[test]
    fn reads_this_process() {
        assert!(Usage::own().rss_kb > 0);
    }
}
