//! Real NATS servers for the tests: a JetStream cluster of `size` nodes (`n1`, `n2`, ...) on
//! loopback ports found free just before they start, each with its store in one fresh directory.
//! A node can be killed (SIGKILL: a machine lost) and started again on its ports and store.
//!
//! Each nats-server runs under a small shell that ends it when the shell's standard input, a
//! pipe from the test, closes: when the handle drops, and also when the test process dies
//! without dropping anything, so no server outlives its test. The shell says the server's pid
//! first, so a test can kill the server itself.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tokio::time::Instant;

/// How long a cluster, or a node started again, may take to be ready.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Runs `"$@"` (nats-server and its arguments), prints its pid, and stops it (SIGTERM) when
/// standard input reaches its end; exits when nats-server does. A background job's standard
/// input is /dev/null unless redirected, hence the copy of it in fd 3.
const WATCHDOG: &str = r#"exec 3<&0
"$@" </dev/null >/dev/null 2>&1 &
server=$!
echo "$server"
(read -r _ <&3; kill "$server" 2>/dev/null) &
exec 3<&-
wait "$server""#;

/// How many times `start` picks new ports when a server finds its port taken.
const PORT_ATTEMPTS: usize = 5;

/// One node: its ports, its files, and the running server, if it runs.
struct Node {
    name: String,
    client: u16,
    route: u16,
    http: u16,
    running: Option<Running>,
}

struct Running {
    watchdog: Child,
    pid: i32,
}

/// A running cluster.
pub struct NatsCluster {
    dir: PathBuf,
    nodes: Vec<Node>,
}

fn executable() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .map(|dir| dir.join("nats-server"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nats-server is not installed, and the cluster tests need a real one: run \
                 ./test.sh, which installs it, or `apt-get install nats-server`"
            )
        })
}

/// `count` loopback ports free a moment ago, all different: bound to port 0 together, read
/// back and released.
fn free_ports(count: usize) -> Vec<u16> {
    let listeners: Vec<TcpListener> = (0..count)
        .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free loopback port"))
        .collect();
    listeners
        .iter()
        .map(|l| l.local_addr().expect("its address").port())
        .collect()
}

impl NatsCluster {
    /// Starts `size` nodes of one JetStream cluster and waits until it has a JetStream leader.
    /// `test` names the directory its files go to.
    pub fn start(test: &str, size: usize) -> NatsCluster {
        let dir = std::env::temp_dir().join(format!("acdhub-nats-{test}-{}", std::process::id()));
        for _ in 0..PORT_ATTEMPTS {
            // Afresh at each attempt: a cluster given up on removes its directory as it drops,
            // and its stores name routes the next attempt does not use.
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).expect("the cluster's directory");
            let ports = free_ports(size * 3);
            let nodes = (0..size)
                .map(|i| Node {
                    name: format!("n{}", i + 1),
                    client: ports[i * 3],
                    route: ports[i * 3 + 1],
                    http: ports[i * 3 + 2],
                    running: None,
                })
                .collect();
            let mut cluster = NatsCluster {
                dir: dir.clone(),
                nodes,
            };
            for i in 0..size {
                cluster.write_config(i);
                cluster.spawn(i);
            }
            if cluster.wait_ready((0..size).collect()) {
                return cluster;
            }
            let logs = cluster.logs();
            cluster.stop_all();
            if !logs.contains("address already in use") {
                panic!("the NATS cluster did not start; its logs:\n{logs}");
            }
        }
        panic!("the NATS cluster found its ports taken {PORT_ATTEMPTS} times");
    }

    /// The servers' URLs, for clients.
    pub fn urls(&self) -> Vec<String> {
        self.nodes
            .iter()
            .map(|node| format!("nats://127.0.0.1:{}", node.client))
            .collect()
    }

    /// The index of the node named `name` (`n1` is 0).
    pub fn index_of(&self, name: &str) -> usize {
        self.nodes
            .iter()
            .position(|node| node.name == name)
            .unwrap_or_else(|| panic!("no node {name}"))
    }

    /// Kills node `i` with SIGKILL, as a machine lost, and waits until it is gone.
    pub fn kill(&mut self, i: usize) {
        let mut running = self.nodes[i].running.take().expect("the node runs");
        let pid = rustix::process::Pid::from_raw(running.pid).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::KILL)
            .expect("the server is killed");
        drop(running.watchdog.stdin.take());
        let _ = running.watchdog.wait();
    }

    /// Starts `nodes` again on their ports and stores, and waits until they answer as ready
    /// (all three after a full stop: one alone has no leader to be in touch with).
    pub fn restart(&mut self, nodes: &[usize]) {
        for &i in nodes {
            self.spawn(i);
        }
        assert!(
            self.wait_ready(nodes.to_vec()),
            "{nodes:?} did not come back; the logs:\n{}",
            self.logs()
        );
    }

    fn config_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{}.conf", self.nodes[i].name))
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.dir.join(format!("{}.log", self.nodes[i].name))
    }

    fn write_config(&self, i: usize) {
        let node = &self.nodes[i];
        let routes: Vec<String> = self
            .nodes
            .iter()
            .map(|other| format!("    nats-route://127.0.0.1:{}", other.route))
            .collect();
        let text = config(
            node,
            &self.dir.join(&node.name),
            &self.log_path(i),
            &routes.join("\n"),
        );
        std::fs::write(self.config_path(i), text).expect("the node's configuration");
    }

    fn spawn(&mut self, i: usize) {
        let mut watchdog = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(executable())
            .arg("-c")
            .arg(self.config_path(i))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sh runs nats-server");
        let mut line = String::new();
        BufReader::new(watchdog.stdout.take().expect("its output"))
            .read_line(&mut line)
            .expect("the watchdog says the server's pid");
        let pid = line.trim().parse().expect("a pid");
        self.nodes[i].running = Some(Running { watchdog, pid });
    }

    /// Waits until each of `nodes` says it is healthy: `/healthz` answers 200 once the server
    /// is in touch with a JetStream leader. False if one of them exited first.
    fn wait_ready(&mut self, nodes: Vec<usize>) -> bool {
        let deadline = Instant::now() + PATIENCE;
        let mut waiting = nodes;
        while !waiting.is_empty() {
            for &i in &waiting {
                let running = self.nodes[i].running.as_mut().expect("started");
                if running.watchdog.try_wait().expect("its status").is_some() {
                    return false;
                }
            }
            waiting.retain(|&i| !healthy(self.nodes[i].http));
            assert!(
                Instant::now() < deadline,
                "the NATS cluster was not ready within {PATIENCE:?}; the logs:\n{}",
                self.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// Every node's log, for failure messages.
    pub fn logs(&self) -> String {
        (0..self.nodes.len())
            .map(|i| {
                let log = std::fs::read_to_string(self.log_path(i)).unwrap_or_default();
                let tail: Vec<&str> = log.lines().rev().take(30).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                format!("--- {}\n{}", self.nodes[i].name, tail.join("\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn stop_all(&mut self) {
        for node in &mut self.nodes {
            if let Some(mut running) = node.running.take() {
                drop(running.watchdog.stdin.take());
                let _ = running.watchdog.wait();
            }
        }
    }
}

impl Drop for NatsCluster {
    /// Stops every server, and removes the directory unless the test failed (the logs tell why).
    fn drop(&mut self) {
        self.stop_all();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Whether the server with monitoring port `http` answers `/healthz` with 200.
fn healthy(http: u16) -> bool {
    let addr = SocketAddr::from(([127, 0, 0, 1], http));
    let answer = (|| {
        let mut tcp = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
        tcp.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        tcp.write_all(b"GET /healthz HTTP/1.0\r\n\r\n").ok()?;
        let mut answer = String::new();
        tcp.read_to_string(&mut answer).ok()?;
        Some(answer)
    })();
    answer.is_some_and(|answer| {
        answer.starts_with("HTTP/1.1 200") || answer.starts_with("HTTP/1.0 200")
    })
}

/// One node's configuration: its client, route and monitoring ports, every node's route (its
/// own is passed over by the server), its store under `store`.
fn config(node: &Node, store: &Path, log: &Path, routes: &str) -> String {
    format!(
        r#"server_name: {name}
listen: 127.0.0.1:{client}
http: 127.0.0.1:{http}
log_file: "{log}"
jetstream {{
  store_dir: "{store}"
  max_file_store: 1G
  max_memory_store: 64M
}}
cluster {{
  name: acdhub-test
  listen: 127.0.0.1:{route}
  routes: [
{routes}
  ]
}}
"#,
        name = node.name,
        client = node.client,
        http = node.http,
        route = node.route,
        log = log.display(),
        store = store.display(),
    )
}
