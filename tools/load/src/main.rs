//! `acdhub-load`: measures an acdhub server (or the node peer it is compared with) running in
//! another process, so that the server's memory and CPU, read from /proc/PID, are its own.
//!
//! Layout: `main.rs` the command line; one file per mode (`idle`, `agents`, `chats`,
//! `commands`, `failover`, `wallboards`, `broadcast`, `config`); `client` opens WebSockets (ws,
//! wss with the development CA) and signs in; `sse` is an agent's client of the SSE rung, over
//! `http`, a small HTTP/1.1 client; `usage` reads /proc (VmRSS, utime + stime) and raises the
//! open-files limit; `histogram` holds latencies in fixed buckets; `report` prints a run's
//! figures.
//!
//! Output: every measuring mode prints one JSON object on one line on **stdout** (mode,
//! parameters, figures, date, git commit, load average before and after) and then a table
//! for people on **stderr**, where progress lines go too; `> run.json` keeps only the JSON.

mod agents;
mod broadcast;
mod chats;
mod client;
mod clock;
mod commands;
mod config;
mod failover;
mod histogram;
mod http;
mod idle;
mod report;
mod sse;
mod usage;
mod wallboards;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "acdhub-load",
    about = "Load runs against a running acdhub (tools/load/README.md)"
)]
struct Cli {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(Debug, Subcommand)]
enum Mode {
    /// Print an acdhub configuration (TOML) for the other modes.
    Config(config::ConfigArgs),
    /// Server memory per idle signed-in connection (ws or wss).
    Idle(idle::IdleArgs),
    /// Offer latency with N agents and a PBX at a fixed call rate.
    Agents(agents::AgentsArgs),
    /// Message latency, customer to agent: N agents (ws or SSE) holding chats, a messaging
    /// connector writing.
    Chats(chats::ChatsArgs),
    /// Commands per second of one tenant: agents sending not_ready / ready as fast as answered.
    Commands(commands::CommandsArgs),
    /// A cluster node killed: time until its agents are signed in again at another node.
    Failover(failover::FailoverArgs),
    /// Statistics fan-out to N wallboards: deliveries, latency, server CPU per 1M.
    Wallboards(wallboards::WallboardsArgs),
    /// Fan-out from the node peer (plain WebSocket), or acdhub at full speed.
    Broadcast(broadcast::BroadcastArgs),
    /// A child process of `idle --processes` (internal).
    #[command(hide = true)]
    IdleWorker(idle::WorkerArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.mode {
        Mode::Config(args) => config::run(&args),
        mode => runtime().block_on(measure(mode)),
    };
    if let Err(failure) = result {
        eprintln!("acdhub-load: {failure}");
        std::process::exit(1);
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

async fn measure(mode: Mode) -> Result<(), String> {
    match mode {
        Mode::Config(args) => config::run(&args),
        Mode::Idle(args) => idle::run(args).await,
        Mode::Agents(args) => agents::run(args).await,
        Mode::Chats(args) => chats::run(args).await,
        Mode::Commands(args) => commands::run(args).await,
        Mode::Failover(args) => failover::run(args).await,
        Mode::Wallboards(args) => wallboards::run(args, "wallboards").await,
        Mode::Broadcast(args) => broadcast::run(args).await,
        Mode::IdleWorker(args) => idle::worker(args).await,
    }
}
