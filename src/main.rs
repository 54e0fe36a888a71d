//! The `acdhub` command line: `acdhub` serves (and reloads its configuration on SIGHUP),
//! `acdhub simulate` plays a day in simulated time, `acdhub hash-password` makes a password hash
//! for the configuration, `acdhub check-config` checks a file as a start would, `acdhub export`
//! writes a day's call detail records or conversation records as CSV or JSON lines.

use std::error::Error;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, Parser, Subcommand, ValueEnum};
use jiff::civil::Date;

use acdhub::config::{ConfigFileError, FileConfig, ListenAddr, PatienceDistribution};
use acdhub::records::export::{DayRecords, ExportError, Format};
use acdhub::records::file::Kind;
use acdhub::server::{Server, check_config, count_dropped_log_lines, hash_password};
use acdhub::sim::play::{OneQueue, Simulation};
use acdhub::{config, demo};

/// The allocator: jemalloc gives the 19 MiB that each password check's argon2 hash takes back to
/// the operating system once it is freed; glibc's malloc kept it in the thread's arena for
/// good (ARCHITECTURE.md, "Memory").
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

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

/// What an operator overrides per host: each from its flag, else its environment variable, else
/// the configuration file, else the default (docs/configuration.md, "Overrides").
#[derive(Debug, Args)]
struct ServeArgs {
    /// The configuration file (default: the built-in demo, with simulated traffic).
    #[arg(long, value_name = "FILE", env = "ACDHUB_CONFIG")]
    config: Option<PathBuf>,
    /// Where to serve ws:// and http://: host:port, a port, or off [default: [server] ws, else 0.0.0.0:80; the demo: 127.0.0.1, and a bare port on 127.0.0.1].
    #[arg(long, value_name = "ADDR", env = "ACDHUB_WS")]
    ws: Option<CliAddr>,
    /// Where to serve wss:// and https://: host:port, a port, or off [default: [server] wss, else 0.0.0.0:443; the demo: 127.0.0.1, and a bare port on 127.0.0.1].
    #[arg(long, value_name = "ADDR", env = "ACDHUB_WSS")]
    wss: Option<CliAddr>,
    /// Where to serve Prometheus /metrics: host:port, a port, or off [default: [metrics] listen, else 127.0.0.1:9464].
    #[arg(long, value_name = "ADDR", env = "ACDHUB_METRICS")]
    metrics: Option<ListenAddr>,
    /// The data directory: every tenant's journal, the token key, the audit log [default: [storage] dir, else $STATE_DIRECTORY, $XDG_STATE_HOME/acdhub or ~/.local/state/acdhub].
    #[arg(long, value_name = "DIR", env = "ACDHUB_DATA")]
    data: Option<PathBuf>,
    /// How the log on standard error is written: text (a line a human reads) or json (one JSON
    /// object a line: timestamp, level, target, message and the event's fields).
    #[arg(long, value_name = "FORMAT", env = "ACDHUB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// A listen address as the command line gives it: a bare port is kept apart, because the demo
/// serves it on loopback and a configuration file on every interface.
#[derive(Debug, Clone, Copy)]
enum CliAddr {
    Port(u16),
    Addr(ListenAddr),
}

impl std::str::FromStr for CliAddr {
    type Err = String;

    fn from_str(text: &str) -> Result<CliAddr, String> {
        match text.trim().parse::<u16>() {
            Ok(port) => Ok(CliAddr::Port(port)),
            Err(_) => text.parse().map(CliAddr::Addr),
        }
    }
}

impl CliAddr {
    /// Where to listen: a bare port on every interface, or on loopback for the demo.
    fn listen(self, demo: bool) -> ListenAddr {
        let host = if demo {
            std::net::Ipv4Addr::LOCALHOST
        } else {
            std::net::Ipv4Addr::UNSPECIFIED
        };
        match self {
            CliAddr::Port(port) => ListenAddr::At((host, port).into()),
            CliAddr::Addr(addr) => addr,
        }
    }
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
    /// Write one tenant's call detail records of one day (the calls that ended that day, in the
    /// tenant's time zone), read from DIR/records/TENANT/YYYY-MM-DD.jsonl, or with
    /// `--records conversations` its conversation records, read from
    /// DIR/records/TENANT/conversations-YYYY-MM-DD.jsonl: CSV with a header row (a
    /// conversation's without its transcript), or the JSON lines as they are (transcripts
    /// included). docs/records.md describes every field.
    Export(ExportArgs),
    /// Check a configuration file as a start would (the TLS files and every tenant's ACD
    /// included), without binding a port: prints `FILE: ok` and a summary, or the error and
    /// exits with 1.
    CheckConfig {
        /// The configuration file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Look at a tenant's journal (DATA/tenants/TENANT/journal) without a server.
    #[command(subcommand)]
    Journal(JournalCommand),
}

#[derive(Debug, Subcommand)]
enum JournalCommand {
    /// Read every segment and snapshot of one journal directory and say what is there and what
    /// is wrong (a torn last record, damage with its file and byte offset). Writes nothing; it
    /// may run while the server runs.
    Verify {
        /// The journal directory, e.g. ~/.local/state/acdhub/tenants/demo/journal.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

fn journal(command: &JournalCommand) -> Result<String, Box<dyn Error>> {
    match command {
        JournalCommand::Verify { dir } => {
            let report = acdhub::journal::verify(dir)?;
            if report.segments == 0 && report.snapshots.is_empty() {
                // A server's journal always has a segment; an empty folder is a wrong path.
                return Err(format!(
                    "{} holds no journal (no segment `*.log`, no snapshot `snapshot-*.snap`); a \
                     tenant's journal is <data directory>/tenants/<tenant>/journal",
                    dir.display()
                )
                .into());
            }
            Ok(format!("{report}\n"))
        }
    }
}

#[derive(Debug, Args)]
struct ExportArgs {
    /// The server's data directory (the one that holds `records/`) [default: as the server's:
    /// $STATE_DIRECTORY, $XDG_STATE_HOME/acdhub or ~/.local/state/acdhub].
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// The tenant's id.
    #[arg(long)]
    tenant: String,
    /// The local day the calls or conversations ended on.
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_day)]
    day: Date,
    /// Which records: the calls' or the conversations'.
    #[arg(long, value_enum, default_value_t = ExportRecords::Calls)]
    records: ExportRecords,
    /// What to write.
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    format: ExportFormat,
    /// Write to this file instead of standard output (created or replaced).
    #[arg(long, value_name = "FILE")]
    to: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportFormat {
    /// Comma-separated values (RFC 4180), one column per field, lists joined with `;`; a
    /// conversation's row leaves its transcript out.
    Csv,
    /// One JSON object per line, as the server writes them (a conversation's with its
    /// transcript).
    Jsonl,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum ExportRecords {
    /// Call detail records: one per finished call.
    Calls,
    /// Conversation records: one per finished conversation, with its transcript.
    Conversations,
}

/// `--patience-distribution` by the names `[simulator] patience_distribution` takes.
fn parse_patience_distribution(text: &str) -> Result<PatienceDistribution, String> {
    PatienceDistribution::from_name(text).ok_or_else(|| {
        let names: Vec<_> = PatienceDistribution::ALL.iter().map(|d| d.name()).collect();
        format!("not one of {}", names.join(", "))
    })
}

/// A day written exactly as the record files name theirs.
fn parse_day(text: &str) -> Result<Date, String> {
    let valid = text.len() == 10 && text.as_bytes()[4] == b'-' && text.as_bytes()[7] == b'-';
    match text.parse::<Date>() {
        Ok(day) if valid => Ok(day),
        _ => Err(format!("`{text}` is not a day written YYYY-MM-DD")),
    }
}

/// Writes the day's records to `--to` or standard output. The output file is created only once
/// the day's records are found.
fn export(args: &ExportArgs) -> Result<String, Box<dyn Error>> {
    let data = match &args.data {
        Some(dir) => dir.clone(),
        None => config::default_data_dir()
            .ok_or("no --data, and neither $STATE_DIRECTORY, $XDG_STATE_HOME nor $HOME is set")?,
    };
    let kind = match args.records {
        ExportRecords::Calls => Kind::Calls,
        ExportRecords::Conversations => Kind::Conversations,
    };
    let records = DayRecords::open(&data, &args.tenant, kind, args.day)?;
    let format = match args.format {
        ExportFormat::Csv => Format::Csv,
        ExportFormat::Jsonl => Format::Jsonl,
    };
    let written = match &args.to {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|error| format!("cannot create {}: {error}", path.display()))?;
            records.export(format, &mut std::io::BufWriter::new(file))
        }
        None => records.export(
            format,
            &mut std::io::BufWriter::new(std::io::stdout().lock()),
        ),
    };
    match written {
        // A reader that closed the pipe early (`| head`) wanted no more: not an error.
        Err(ExportError::Write(error)) if error.kind() == std::io::ErrorKind::BrokenPipe => {
            Ok(String::new())
        }
        Err(error) => Err(error.into()),
        Ok(()) => Ok(String::new()),
    }
}

#[derive(Debug, Args)]
struct SimulateArgs {
    /// The configuration file whose [simulator] section to play (default: the built-in demo).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["agents", "calls_per_hour", "aht", "threshold", "patience", "patience_distribution"])]
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
    /// One queue: the callers' mean patience in seconds (exponential, unless
    /// --patience-distribution says otherwise): a caller unanswered for its patience hangs up,
    /// and Erlang A is the prediction [default: callers never hang up: Erlang C].
    #[arg(long, value_name = "SECS")]
    patience: Option<f64>,
    /// One queue: how the patience spreads around --patience. Erlang A assumes exponential; with
    /// fixed every caller waits exactly --patience, and Erlang A is printed as a reference of
    /// the same mean [default: exponential].
    #[arg(long, value_name = "exponential|fixed", value_parser = parse_patience_distribution, requires = "patience")]
    patience_distribution: Option<PatienceDistribution>,
    /// Simulated hours measured (after the warm-up, for one queue).
    #[arg(long, default_value_t = 8.0)]
    hours: f64,
    /// Seed of the random streams: the same seed gives the same run [default: 1 for one queue,
    /// the configuration's seed otherwise]. Runs of other parameters with the same seed draw
    /// the same random streams (common random numbers): their differences are less noisy than
    /// each run, but their errors are correlated, so do not treat them as independent; give each
    /// a seed of its own for that.
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
            || self.patience.is_some()
    }

    /// What the arguments ask to simulate.
    fn simulation(&self) -> Result<Simulation, Box<dyn Error>> {
        if !self.sizes_one_queue() {
            let (file, origin) = match &self.config {
                Some(path) => (config::load(path)?, path.display().to_string()),
                None => (demo::demo(), "the built-in demo".to_owned()),
            };
            return Ok(Simulation::Configured {
                file: Box::new(file),
                origin,
                hours: self.hours,
                seed: self.seed,
            });
        }
        let defaults = OneQueue::worked_example();
        Ok(Simulation::OneQueue {
            scenario: OneQueue {
                agents: self.agents.unwrap_or(defaults.agents),
                calls_per_hour: self.calls_per_hour.unwrap_or(defaults.calls_per_hour),
                aht_secs: self.aht.unwrap_or(defaults.aht_secs),
                threshold_secs: self.threshold.unwrap_or(defaults.threshold_secs),
                patience_secs: self.patience,
                patience_distribution: self.patience_distribution.unwrap_or_default(),
            },
            hours: self.hours,
            warmup_hours: self.warmup_hours,
            seed: self.seed.unwrap_or(1),
        })
    }
}

/// The wall clock, read around a simulated run to say how fast it went: the command line's one
/// clock read.
#[allow(clippy::disallowed_methods)]
fn wall_clock() -> Instant {
    Instant::now()
}

fn simulate(args: &SimulateArgs) -> Result<String, Box<dyn Error>> {
    Ok(args.simulation()?.play(wall_clock)?)
}

/// `acdhub check-config FILE`: the file as a start would take it, without binding or serving.
fn check_config_file(file: &std::path::Path) -> Result<String, Box<dyn Error>> {
    let config = config::load(file)?;
    check_config(&config)?;
    let queues: usize = config.tenants.iter().map(|t| t.acd.queues.len()).sum();
    let agents: usize = config.tenants.iter().map(|t| t.acd.agents.len()).sum();
    Ok(format!(
        "{}: ok\n{} tenants, {queues} queues, {agents} agents, {} principals\n",
        file.display(),
        config.tenants.len(),
        config.principals.len(),
    ))
}

impl ServeArgs {
    /// The configuration to serve, read (again, on SIGHUP) from `--config` or the built-in
    /// demo, with the command line's overrides applied the same way each time.
    fn configuration(&self) -> Result<FileConfig, ConfigFileError> {
        let mut file = match &self.config {
            Some(path) => config::load(path)?,
            None => demo::demo(),
        };
        let demo = self.config.is_none();
        if demo {
            // The demo's passwords are in the repository: it serves this machine only unless
            // an address says otherwise.
            file.server.ws = CliAddr::Port(80).listen(true);
            file.server.wss = CliAddr::Port(443).listen(true);
        }
        if let Some(ws) = self.ws {
            file.server.ws = ws.listen(demo);
        }
        if let Some(wss) = self.wss {
            file.server.wss = wss.listen(demo);
        }
        if let Some(metrics) = self.metrics {
            file.metrics.listen = metrics;
        }
        if let Some(dir) = std::env::var_os("ACDHUB_WEB_DIR") {
            file.server.web_dir = Some(dir.into());
        }
        if let Some(dir) = &self.data {
            file.storage.dir = Some(dir.clone());
        }
        if file.storage.dir.is_none() {
            file.storage.dir = config::default_data_dir();
        }
        Ok(file)
    }
}

/// Serves until SIGINT or SIGTERM, then shuts down gracefully. SIGHUP reloads the configuration
/// (as many times as it comes) and never stops the server.
fn serve(args: &ServeArgs) -> Result<String, Box<dyn Error>> {
    // Held until `serve` returns: dropping it writes out the lines still queued (waiting at most
    // a second for a reader that has stopped reading).
    let _log_flushed_at_exit = start_logging(args.log_format);
    if args.config.is_none() {
        tracing::info!("no --config: serving the built-in demo contact center (config/demo.toml)");
        tracing::info!(
            "the demo listens on 127.0.0.1 only (its passwords are public): give an address, \
             --ws 0.0.0.0:8080, to serve other machines"
        );
    }
    let file = args.configuration()?;
    if let Some(dir) = &file.server.web_dir {
        tracing::warn!(dir = %dir.display(), "ACDHUB_WEB_DIR: pages are read from this folder, not from the binary");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        // Before the server starts: from here on a signal is caught, never the default action
        // (which for SIGHUP is to end the process).
        let mut signals = Signals::new()?;
        let server = Server::start(file).await?;
        tracing::info!(
            version = env!("CARGO_PKG_VERSION"),
            revision = env!("ACDHUB_REVISION"),
            rustc = env!("ACDHUB_RUSTC"),
            "acdhub is up"
        );
        // Every listener is bound and every tenant recovered: systemd's Type=notify start is
        // over (dist/acdhub.service).
        notify_systemd("READY=1");
        for (scheme, addr) in [("http", server.ws_addr()), ("https", server.wss_addr())] {
            if let Some(addr) = addr {
                tracing::info!(
                    "pages (WebAgent, wallboard, supervisor) at {}",
                    page_url(scheme, addr)
                );
            }
        }
        let failed = loop {
            let signal = tokio::select! {
                signal = signals.next() => signal,
                () = server.failed() => break true,
            };
            match signal {
                Signal::Stop => break false,
                Signal::Terminate => {
                    notify_systemd("STOPPING=1");
                    drain(&server, &mut signals, args).await;
                    break false;
                }
                Signal::Reload => reload(&server, args).await,
            }
        };
        notify_systemd("STOPPING=1");
        server.shutdown().await;
        if failed {
            // A non-zero status: systemd's Restart=on-failure (dist/acdhub.service) starts the
            // server again, which recovers every tenant from its journal.
            return Err(
                "a tenant's engine failed (the log above says which and why): \
                        stopped so that a restart recovers it from its journal"
                    .into(),
            );
        }
        Ok(String::new())
    })
}

/// Lines the log may hold in memory while its reader (a terminal, journald, a pipe) is slower
/// than the server: about 2 MB of typical lines. Past it, lines are dropped and counted
/// (`acdhub_log_lines_dropped_total`), never waited for.
const LOG_BUFFERED_LINES: usize = 8192;

/// The log on standard error, written by a thread of its own: a reader that stops reading (a
/// full pipe) costs lines, counted in /metrics, and never stalls a thread that serves clients.
fn start_logging(format: LogFormat) -> tracing_appender::non_blocking::WorkerGuard {
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(LOG_BUFFERED_LINES)
        .thread_name("acdhub-log")
        .finish(std::io::stderr());
    let dropped = writer.error_counter();
    count_dropped_log_lines(move || dropped.dropped_lines() as u64);
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let log = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer);
    match format {
        LogFormat::Text => log
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init(),
        // One object a line, the event's fields beside timestamp, level and target.
        LogFormat::Json => log.json().flatten_event(true).init(),
    }
    guard
}

/// The drain before a stop ([`Server::drain`]); a SIGHUP meanwhile still reloads, and a second
/// SIGTERM or SIGINT cuts the drain short.
async fn drain(server: &Server, signals: &mut Signals, args: &ServeArgs) {
    let drained = server.drain();
    tokio::pin!(drained);
    loop {
        tokio::select! {
            () = &mut drained => return,
            signal = signals.next() => match signal {
                Signal::Reload => reload(server, args).await,
                Signal::Stop | Signal::Terminate => return,
            },
        }
    }
}

/// SIGHUP: the configuration file read again and handed to the server, which applies it or
/// refuses it whole (and logs which). A file that cannot be read or parsed is refused too.
async fn reload(server: &Server, args: &ServeArgs) {
    match &args.config {
        Some(path) => {
            tracing::info!(file = %path.display(), "reload: reading the configuration again")
        }
        None => tracing::info!(
            "reload: no --config; the built-in demo has nothing to read again but its TLS files, if any"
        ),
    }
    match args.configuration() {
        Ok(file) => {
            server.reload(file).await;
        }
        Err(error) => {
            server.refuse_reload(error);
        }
    }
}

/// Tells the service manager `state` (sd_notify(3)) when it started the server with
/// `NOTIFY_SOCKET` set (systemd's Type=notify); does nothing otherwise. A path, or an abstract
/// socket written `@name`; a failure is logged and changes nothing.
fn notify_systemd(state: &str) {
    use std::os::linux::net::SocketAddrExt as _;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let Some(socket) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sent = (|| {
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(socket.as_os_str());
        let address = match bytes.strip_prefix(b"@") {
            Some(name) => SocketAddr::from_abstract_name(name)?,
            None => SocketAddr::from_pathname(&socket)?,
        };
        UnixDatagram::unbound()?.send_to_addr(state.as_bytes(), &address)
    })();
    if let Err(error) = sent {
        tracing::warn!(%error, state, "could not tell the service manager (NOTIFY_SOCKET)");
    }
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

/// What a signal asks of the server.
enum Signal {
    /// SIGINT (Ctrl-C): shut down gracefully, now.
    Stop,
    /// SIGTERM (an orchestrator, `systemctl stop`): drain (`[server] drain_secs`, `/readyz`
    /// answering 503), then shut down gracefully.
    Terminate,
    /// SIGHUP (`systemctl reload`): read the configuration again.
    Reload,
}

/// The signals the server answers, caught from when this is made until the process ends.
struct Signals {
    interrupt: tokio::signal::unix::Signal,
    terminate: tokio::signal::unix::Signal,
    hangup: tokio::signal::unix::Signal,
}

impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
        })
    }

    /// The next signal.
    async fn next(&mut self) -> Signal {
        let signal = tokio::select! {
            _ = self.interrupt.recv() => Signal::Stop,
            _ = self.terminate.recv() => Signal::Terminate,
            _ = self.hangup.recv() => Signal::Reload,
        };
        match signal {
            Signal::Stop | Signal::Terminate => tracing::info!("stop signal received"),
            Signal::Reload => tracing::info!("SIGHUP received: reloading"),
        }
        signal
    }
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
        Some(Command::Export(args)) => export(args),
        Some(Command::CheckConfig { file }) => check_config_file(file),
        Some(Command::Journal(command)) => journal(command),
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
