//! The `acdhub` binary as a process of its own, for the tests that need one: a signal (SIGHUP,
//! SIGTERM, SIGKILL), a restart on the same data directory, a data directory on a file system
//! the test controls.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::net::{PATIENCE, http_get};

/// The `acdhub` binary serving a configuration file, its log read as it comes.
pub struct Acdhub {
    child: Child,
    log: Arc<Mutex<String>>,
    /// How far `wait_for` has read the log.
    read_to: usize,
    pub ws: SocketAddr,
    pub wss: SocketAddr,
    pub metrics: SocketAddr,
}

/// The address the binary logged after `prefix`.
pub(crate) fn address_after(log: &str, prefix: &str) -> Option<SocketAddr> {
    let at = log.find(prefix)? + prefix.len();
    log[at..]
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()?
        .parse()
        .ok()
}

impl Acdhub {
    /// Starts the binary on `config`, its data directory beside it (`acdhub.data` for
    /// `acdhub.toml`), and waits until it says where it listens.
    pub async fn start(config: &Path) -> Acdhub {
        Acdhub::start_with_data(config, &config.with_extension("data")).await
    }

    /// Starts the binary on `config` with `--data data`, and waits until it says where it
    /// listens (by then every tenant has recovered its journal). Panics with the log if it
    /// stops instead.
    pub async fn start_with_data(config: &Path, data: &Path) -> Acdhub {
        Acdhub::start_command(Command::new(env!("CARGO_BIN_EXE_acdhub")), config, data).await
    }

    /// Like `start`, with these environment variables set for the process.
    #[allow(dead_code)]
    pub async fn start_with_env(config: &Path, env: &[(&str, &str)]) -> Acdhub {
        let mut command = Command::new(env!("CARGO_BIN_EXE_acdhub"));
        command.envs(env.iter().copied());
        Acdhub::start_command(command, config, &config.with_extension("data")).await
    }

    /// Like `start`, with the process allowed `nofile` open file descriptors (`prlimit`).
    pub async fn start_limited(config: &Path, nofile: u32) -> Acdhub {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={nofile}:{nofile}"))
            .arg(env!("CARGO_BIN_EXE_acdhub"));
        Acdhub::start_command(command, config, &config.with_extension("data")).await
    }

    async fn start_command(mut command: Command, config: &Path, data: &Path) -> Acdhub {
        let mut child = command
            .arg("--config")
            .arg(config)
            .arg("--data")
            .arg(data)
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read on a thread from the start, so the server never blocks on a full pipe.
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let writer = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let mut log = writer.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut acdhub = Acdhub {
            child,
            log,
            read_to: 0,
            ws: "0.0.0.0:0".parse().unwrap(),
            wss: "0.0.0.0:0".parse().unwrap(),
            metrics: "0.0.0.0:0".parse().unwrap(),
        };
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = acdhub.log();
            let addresses = (
                address_after(&log, "listening for ws on "),
                address_after(&log, "listening for wss on "),
                address_after(&log, "serving Prometheus metrics on http://"),
            );
            if let (Some(ws), Some(wss), Some(metrics)) = addresses {
                (acdhub.ws, acdhub.wss, acdhub.metrics) = (ws, wss, metrics);
                break;
            }
            if let Some(status) = acdhub.child.try_wait().unwrap() {
                panic!("the server stopped ({status}) before it listened:\n{log}");
            }
            assert!(
                Instant::now() < deadline,
                "the server says where it listens:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        acdhub
    }

    /// The log so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGHUP: reload.
    pub fn hangup(&self) {
        self.signal("-HUP");
    }

    /// Waits for the next log line (after those already waited for) that contains `needle`,
    /// and returns it.
    pub async fn wait_for(&mut self, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let log = self.log();
            if let Some(found) = log[self.read_to..].find(needle) {
                let at = self.read_to + found;
                let start = log[..at].rfind('\n').map_or(0, |n| n + 1);
                let end = log[at..].find('\n').map_or(log.len(), |n| at + n);
                self.read_to = end;
                return log[start..end].to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no `{needle}` in the log:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    // Used by tests/cluster, which includes this file too.
    #[allow(dead_code)]
    /// SIGSTOP: the process freezes where it is (a frozen VM), its sockets open.
    pub fn freeze(&self) {
        self.signal("-STOP");
    }

    #[allow(dead_code)]
    /// SIGCONT: a frozen process goes on.
    pub fn thaw(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    pub async fn scrape(&self) -> String {
        let (status, body) = http_get(self.metrics, "/metrics").await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits for the process to end by itself; returns its exit status and its log.
    #[allow(dead_code)]
    pub async fn exited(mut self) -> (std::process::ExitStatus, String) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return (status, self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGTERM; the process must end cleanly. Returns its log.
    pub fn stop(mut self) -> String {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "exit status {status}:\n{}", self.log());
        self.log()
    }

    /// SIGKILL (`kill -9`): the process ends wherever it is, with no chance to clean up.
    /// Returns once it is gone, with its log.
    pub fn kill(mut self) -> String {
        let sent = Command::new("kill")
            .args(["-KILL", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9), "killed by SIGKILL: {status}");
        self.log()
    }
}

impl Drop for Acdhub {
    fn drop(&mut self) {
        // A failed test must not leave its server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
