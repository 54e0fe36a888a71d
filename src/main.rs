//! The `acdhub` command line: `acdhub` serves, `acdhub simulate` plays a day in simulated time,
//! `acdhub hash-password` makes a password hash for the configuration.

use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};

use acdhub::acd::Acd;
use acdhub::acd::config::ServiceLevelVariant;
use acdhub::config::ListenAddr;
use acdhub::erlang::Prediction;
use acdhub::server::{Server, hash_password};
use acdhub::sim::report::queue_table;
use acdhub::sim::{BatchedRun, ErlangScenario, Estimate, Measurement, Simulator};
use acdhub::sim::{RunSummary, SimulatorPlan, run};
use acdhub::{config, demo};

/// A contact-center ACD server. With no command it serves: WebSocket on port 80 (ws) and 443
/// (wss), on the built-in demo contact center unless --config names a file.
#[derive(Debug, Parser)]
#[command(name = "acdhub", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The configuration file (default: the built-in demo, with simulated traffic).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Where to serve ws:// and http://: host:port, a port, or off [default: [server] ws, else 0.0.0.0:80].
    #[arg(long, value_name = "ADDR")]
    ws: Option<ListenAddr>,
    /// Where to serve wss:// and https://: host:port, a port, or off [default: [server] wss, else 0.0.0.0:443].
    #[arg(long, value_name = "ADDR")]
    wss: Option<ListenAddr>,
    /// Where to serve Prometheus /metrics: host:port, a port, or off [default: [metrics] listen, else 127.0.0.1:9464].
    #[arg(long, value_name = "ADDR")]
    metrics: Option<ListenAddr>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print an argon2 hash of a password read from standard input, for a [[principals]] entry.
    HashPassword,
    /// Run the ACD in simulated time as fast as the CPU allows. With no sizing flags it plays the
    /// configured contact center (the built-in demo unless --config is given) and prints every
    /// queue's figures; with --agents, --calls-per-hour, --aht or --threshold it simulates one
    /// queue and compares the ACD's statistics with Erlang C.
    Simulate(SimulateArgs),
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The configuration file whose [simulator] section to play (default: the built-in demo).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["agents", "calls_per_hour", "aht", "threshold"])]
    config: Option<PathBuf>,
    /// One queue: agents logged in and answering at once [default: 55].
    #[arg(long)]
    agents: Option<u32>,
    /// One queue: mean Poisson arrival rate [default: 720].
    #[arg(long)]
    calls_per_hour: Option<f64>,
    /// One queue: average handle time in seconds (exponential talk times, no wrap-up) [default: 240].
    #[arg(long)]
    aht: Option<f64>,
    /// One queue: service-level threshold T in seconds [default: 15].
    #[arg(long)]
    threshold: Option<f64>,
    /// Simulated hours measured (after the warm-up, for one queue).
    #[arg(long, default_value_t = 8.0)]
    hours: f64,
    /// Seed of the random streams: the same seed gives the same run [default: 1 for one queue,
    /// the configuration's seed otherwise].
    #[arg(long)]
    seed: Option<u64>,
    /// One queue: simulated hours run first and left out of the figures, so the queue starts in
    /// its steady state rather than empty.
    #[arg(long, default_value_t = 1.0)]
    warmup_hours: f64,
}

impl SimulateArgs {
    fn sizes_one_queue(&self) -> bool {
        self.agents.is_some()
            || self.calls_per_hour.is_some()
            || self.aht.is_some()
            || self.threshold.is_some()
    }
}

/// The measured period is cut into this many batches for the error bars.
const BATCHES: usize = 10;

/// Runs `work` and says how long it took in wall time: the one clock read of the command line.
#[allow(clippy::disallowed_methods)]
fn timed<T>(work: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let result = work();
    (result, started.elapsed())
}

fn seconds(what: &str, value: f64) -> Result<Duration, Box<dyn Error>> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{what} must be 0 or more, not {value}").into())
}

/// Plays the configuration's [simulator] section for `--hours` from 08:00 local time on a fixed
/// Monday, so the same seed prints the same table on every machine.
fn simulate_configured(args: &SimulateArgs) -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    let (file, origin) = match &args.config {
        Some(path) => (config::load(path)?, path.display().to_string()),
        None => (demo::demo(), "the built-in demo".to_owned()),
    };
    let simulator = file
        .simulator
        .ok_or_else(|| format!("{origin} has no [simulator] section"))?;
    let tenant = file
        .tenants
        .into_iter()
        .find(|t| t.id == simulator.tenant)
        .ok_or_else(|| {
            format!(
                "{origin}: the simulator's tenant `{}` is not configured",
                simulator.tenant
            )
        })?;
    let plan = SimulatorPlan::from_config(&simulator, &tenant.acd);
    plan.check_against(&tenant.acd)?;
    let seed = args.seed.unwrap_or(simulator.seed);
    let start = jiff::civil::date(2026, 1, 5)
        .at(8, 0, 0, 0)
        .to_zoned(tenant.acd.time_zone.clone())?;
    let end = start.timestamp() + seconds("--hours", args.hours * 3600.0)?;
    let mut acd = Acd::new(tenant.acd, start.timestamp())?;
    let mut sim = Simulator::new(seed, plan, start.timestamp())?;

    let (summary, wall) = timed(|| run(&mut acd, &mut sim, end));

    writeln!(
        out,
        "acdhub simulate: tenant `{}` from {origin}, {} h from {}, seed {seed}\n",
        tenant.id,
        args.hours,
        start.strftime("%A %Y-%m-%d %H:%M %Z")
    )?;
    write!(out, "{}", queue_table(&acd))?;
    writeln!(out)?;
    write_run(&mut out, args.hours, wall, &summary)?;
    Ok(out)
}

fn simulate(args: &SimulateArgs) -> Result<String, Box<dyn Error>> {
    let mut out = String::new();
    if args.hours <= 0.0 {
        return Err(format!("--hours must be more than 0, not {}", args.hours).into());
    }
    if !args.sizes_one_queue() {
        return simulate_configured(args);
    }
    let defaults = ErlangScenario::worked_example();
    let agents = args.agents.unwrap_or(defaults.agents);
    let calls_per_hour = args.calls_per_hour.unwrap_or(defaults.calls_per_hour);
    let aht = args
        .aht
        .unwrap_or(defaults.average_handle_time.as_secs_f64());
    let threshold = args.threshold.unwrap_or(defaults.threshold.as_secs_f64());
    let seed = args.seed.unwrap_or(1);
    let scenario = ErlangScenario {
        agents,
        calls_per_hour,
        average_handle_time: seconds("--aht", aht)?,
        threshold: seconds("--threshold", threshold)?,
    };
    let warm_up = seconds("--warmup-hours", args.warmup_hours * 3600.0)?;
    let batch_length = seconds("--hours", args.hours * 3600.0 / BATCHES as f64)?;
    let config = scenario.config();
    let plan = scenario.plan();
    plan.check_against(&config)?;
    let start = ErlangScenario::START;
    let mut acd = Acd::new(config, start)?;
    let mut simulator = Simulator::new(seed, plan, start)?;

    let (run, wall) = timed(|| {
        BatchedRun::run(
            &mut acd,
            &mut simulator,
            start + warm_up,
            batch_length,
            BATCHES,
        )
    });

    let prediction = scenario.prediction();
    writeln!(
        out,
        "acdhub simulate: 1 queue, {} agents, {} calls/h, AHT {} s, T = {} s, seed {}",
        agents, calls_per_hour, aht, threshold, seed
    )?;
    writeln!(
        out,
        "measured {} h after a {} h warm-up; ± is one standard error from {BATCHES} batch means",
        args.hours, args.warmup_hours
    )?;
    match &prediction {
        Ok(p) => writeln!(out, "traffic A = {:.2} Erlangs\n", p.traffic),
        Err(e) => writeln!(out, "Erlang C: {e}\n"),
    }?;
    print_table(&mut out, &run, prediction.ok().as_ref(), threshold)?;

    let total = &run.whole.total.figures;
    let expected = calls_per_hour * args.hours;
    writeln!(out)?;
    writeln!(
        out,
        "calls offered {} (Poisson expectation {expected:.0} ± {:.0}), answered {}, \
         in progress at the end {}",
        total.offered,
        expected.sqrt(),
        total.answered,
        simulator.calls_in_progress()
    )?;
    write_run(&mut out, args.warmup_hours + args.hours, wall, &run.summary)?;
    Ok(out)
}

/// How long the run took and what the core did, for both kinds of simulation.
fn write_run(
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
    fn show(self, value: f64) -> String {
        match self {
            Unit::Percent => format!("{:.2} %", value * 100.0),
            Unit::Seconds => format!("{value:.2} s"),
        }
    }

    fn show_signed(self, value: f64) -> String {
        let sign = if value >= 0.0 { "+" } else { "" };
        format!("{sign}{}", self.show(value))
    }
}

/// One line of the comparison table.
struct Row {
    name: String,
    unit: Unit,
    measured: Option<Estimate>,
    predicted: Option<f64>,
}

fn print_table(
    out: &mut String,
    run: &BatchedRun,
    prediction: Option<&Prediction>,
    threshold_secs: f64,
) -> std::fmt::Result {
    let row = |name: String,
               unit: Unit,
               measure: fn(&Measurement) -> Option<f64>,
               predict: fn(&Prediction) -> f64| Row {
        name,
        unit,
        measured: run.estimate(measure),
        predicted: prediction.map(predict),
    };
    let rows = [
        row(
            "P(wait)".into(),
            Unit::Percent,
            |m| m.probability_of_waiting(),
            |p| p.probability_of_waiting,
        ),
        row(
            "ASA".into(),
            Unit::Seconds,
            |m| m.figures.average_speed_of_answer(),
            |p| p.average_speed_of_answer,
        ),
        row(
            format!("SL({threshold_secs} s)"),
            Unit::Percent,
            |m| m.figures.service_level(ServiceLevelVariant::Answered),
            |p| p.service_level,
        ),
        row(
            "occupancy".into(),
            Unit::Percent,
            |m| m.figures.occupancy(),
            |p| p.occupancy,
        ),
        row(
            "AHT".into(),
            Unit::Seconds,
            |m| m.figures.average_handle_time(),
            |p| p.average_handle_time,
        ),
    ];
    writeln!(
        out,
        "{:<13} {:>20} {:>10}  difference",
        "figure", "measured", "Erlang C"
    )?;
    for row in rows {
        let measured = row.measured.map_or("n/a".into(), |e| {
            format!(
                "{} ± {}",
                row.unit.show(e.value),
                row.unit.show(e.standard_error)
            )
        });
        let predicted = row.predicted.map_or("n/a".into(), |p| row.unit.show(p));
        let difference = match (row.measured, row.predicted) {
            (Some(e), Some(p)) if e.standard_error > 0.0 => format!(
                "{} ({:+.1} se)",
                row.unit.show_signed(e.value - p),
                (e.value - p) / e.standard_error
            ),
            _ => String::new(),
        };
        writeln!(
            out,
            "{:<13} {measured:>20} {predicted:>10}  {difference}",
            row.name
        )?;
    }
    Ok(())
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully.
fn serve(args: &ServeArgs) -> Result<String, Box<dyn Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let mut file = match &args.config {
        Some(path) => config::load(path)?,
        None => {
            tracing::info!(
                "no --config: serving the built-in demo contact center (config/demo.toml)"
            );
            demo::demo()
        }
    };
    if let Some(ws) = args.ws {
        file.server.ws = ws;
    }
    if let Some(wss) = args.wss {
        file.server.wss = wss;
    }
    if let Some(metrics) = args.metrics {
        file.metrics.listen = metrics;
    }
    if let Some(dir) = std::env::var_os("ACDHUB_WEB_DIR") {
        tracing::warn!(dir = %dir.to_string_lossy(), "ACDHUB_WEB_DIR: pages are read from this folder, not from the binary");
        file.server.web_dir = Some(dir.into());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let server = Server::start(file).await?;
        tracing::info!(version = env!("CARGO_PKG_VERSION"), "acdhub is up");
        for (scheme, addr) in [("http", server.ws_addr()), ("https", server.wss_addr())] {
            if let Some(addr) = addr {
                tracing::info!(
                    "pages (WebAgent, wallboard, supervisor) at {}",
                    page_url(scheme, addr)
                );
            }
        }
        stop_signal().await?;
        server.shutdown().await;
        Ok(String::new())
    })
}

/// The address a person types into a browser for a listener: `localhost` for a listener on
/// every interface.
fn page_url(scheme: &str, addr: std::net::SocketAddr) -> String {
    let port = addr.port();
    let default = matches!((scheme, port), ("http", 80) | ("https", 443));
    let host = if addr.ip().is_unspecified() {
        "localhost".to_owned()
    } else if addr.is_ipv6() {
        format!("[{}]", addr.ip())
    } else {
        addr.ip().to_string()
    };
    if default {
        format!("{scheme}://{host}/")
    } else {
        format!("{scheme}://{host}:{port}/")
    }
}

/// Resolves on the first SIGINT (Ctrl-C) or SIGTERM.
async fn stop_signal() -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    tracing::info!("stop signal received");
    Ok(())
}

fn hash_password_from_stdin() -> Result<String, Box<dyn Error>> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err(
            "no password on standard input (try: printf %s 'secret' | acdhub hash-password)".into(),
        );
    }
    Ok(format!("{}\n", hash_password(password)))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        None => serve(&cli.serve),
        Some(Command::HashPassword) => hash_password_from_stdin(),
        Some(Command::Simulate(args)) => simulate(args),
    };
    match result {
        Ok(report) => match std::io::stdout().write_all(report.as_bytes()) {
            // A reader that closed the pipe early (`| head`) wanted no more: not an error.
            Ok(()) => ExitCode::SUCCESS,
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("error: cannot write the report: {error}");
                ExitCode::FAILURE
            }
        },
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
