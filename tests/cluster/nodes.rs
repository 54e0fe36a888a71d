//! Three acdhub nodes on a three-server NATS cluster, as processes of their own: clients spread
//! over the nodes, nodes killed (SIGKILL), frozen (SIGSTOP) and started again, NATS servers
//! killed. What every client sees must be what one server would have shown it.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use acdhub::cluster::LogError;

use crate::binary::Acdhub;
use crate::nats::NatsCluster;
use crate::net::{self, Client, PATIENCE, Via};

/// A node is gone from the cluster's point of view after this long without a word.
const NODE_TIMEOUT_SECS: u64 = 3;

/// acdhub nodes of one cluster, each with its configuration file and data directory.
struct Nodes {
    dir: PathBuf,
    /// The configuration every node runs, but for its name (`NODE`): one file, as an operator
    /// would copy it, so the password hashes, and with them the tokens, are the same.
    text: String,
    nodes: Vec<Option<Acdhub>>,
}

impl Nodes {
    async fn start(test: &str, nats: &NatsCluster, count: usize) -> Nodes {
        Nodes::start_with(test, nats, count, "", "").await
    }

    /// Like `start`, with `server` in the `[server]` table and `more` at the end of the
    /// configuration.
    async fn start_with(
        test: &str,
        nats: &NatsCluster,
        count: usize,
        server: &str,
        more: &str,
    ) -> Nodes {
        let dir = net::fresh_dir(&format!("cluster-{test}"));
        let urls: Vec<String> = nats.urls().iter().map(|u| format!("\"{u}\"")).collect();
        let extra = format!(
            "[cluster]\nnats = [{}]\nnode = \"NODE\"\nnode_timeout_secs = {NODE_TIMEOUT_SECS}\n{more}",
            urls.join(", "),
        );
        let mut nodes = Nodes {
            dir,
            text: net::config_text(&extra).replacen(
                "drain_secs = 0\n",
                &format!("drain_secs = 0\n{server}"),
                1,
            ),
            nodes: (0..count).map(|_| None).collect(),
        };
        for i in 0..count {
            nodes.start_node(i).await;
        }
        nodes
    }

    fn config(&self, i: usize) -> PathBuf {
        self.dir.join(format!("node{}.toml", i + 1))
    }

    async fn start_node(&mut self, i: usize) {
        let path = self.config(i);
        let text = self.text.replace("\"NODE\"", &format!("\"node{}\"", i + 1));
        std::fs::write(&path, text).expect("the node's configuration");
        self.nodes[i] = Some(Acdhub::start(&path).await);
    }

    /// The last lines of every running node's log, for failure messages.
    fn logs(&self) -> String {
        let mut out = String::new();
        for (i, node) in self.nodes.iter().enumerate() {
            if let Some(node) = node {
                let log = node.log();
                let lines: Vec<&str> = log.lines().collect();
                let tail = lines[lines.len().saturating_sub(40)..].join("\n");
                out.push_str(&format!("--- node{}\n{tail}\n", i + 1));
            }
        }
        out
    }

    fn node(&self, i: usize) -> &Acdhub {
        self.nodes[i].as_ref().expect("the node runs")
    }

    fn node_mut(&mut self, i: usize) -> &mut Acdhub {
        self.nodes[i].as_mut().expect("the node runs")
    }

    fn ws(&self, i: usize) -> std::net::SocketAddr {
        self.node(i).ws
    }

    fn kill(&mut self, i: usize) {
        self.nodes[i].take().expect("the node runs").kill();
    }

    /// The tenant's figures as node `i`'s /metrics shows them: every `acdhub_queue_` and
    /// `acdhub_agents` series of tenant acme, sorted, but for those that grow with the clock
    /// (seconds of handling and of being ready, the oldest call's wait), which two reads a
    /// moment apart see differ.
    async fn figures(&self, i: usize) -> Vec<String> {
        acme_figures(&self.node(i).scrape().await)
    }

    /// Waits until every running node shows the same figures, and returns them.
    async fn same_figures(&self) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut all = Vec::new();
            for (i, node) in self.nodes.iter().enumerate() {
                if node.is_some() {
                    all.push(self.figures(i).await);
                }
            }
            if all.windows(2).all(|pair| pair[0] == pair[1]) {
                return all.remove(0);
            }
            assert!(
                Instant::now() < deadline,
                "the nodes show different figures:\n{}\n\nthe nodes' logs:\n{}",
                all.iter()
                    .map(|f| f.join("\n"))
                    .collect::<Vec<_>>()
                    .join("\n---\n"),
                self.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Tenant acme's figures in a scrape: every `acdhub_queue_` and `acdhub_agents` series, sorted,
/// but for those that grow with the clock (seconds of handling and of being ready, the oldest
/// call's wait), which two reads a moment apart see differ.
fn acme_figures(scrape: &str) -> Vec<String> {
    let mut lines: Vec<String> = scrape
        .lines()
        .filter(|line| !line.starts_with('#') && line.contains("tenant=\"acme\""))
        .filter(|line| line.starts_with("acdhub_queue_") || line.starts_with("acdhub_agents"))
        .filter(|line| !line.contains("_seconds_total") && !line.contains("oldest_wait"))
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

/// The figures whose values are counts, not durations (a histogram's buckets count calls; its
/// `_sum` adds up seconds, which differ from run to run).
fn counts(figures: &[String]) -> Vec<String> {
    figures
        .iter()
        .filter(|line| !line.contains("_sum{"))
        .cloned()
        .collect()
}

/// The support queue's answered calls in a node's figures.
fn answered_calls(figures: &[String]) -> f64 {
    let series = r#"acdhub_queue_calls_total{tenant="acme",queue="support",channel="voice",outcome="answered"}"#;
    net::sample(&figures.join("\n"), series)
}

/// a1, signed in again after a fault, is told of its call pbx-1 in its snapshot, and every node
/// shows the figures of `before`.
async fn back_on_the_call(agent: &mut Client, nodes: &Nodes, before: &[String], when: &str) {
    let connected = agent.expect("call_connected").await;
    assert_eq!(connected["call"], "pbx-1");
    assert_eq!(connected["caller"], "+49301234567");
    agent.expect_state("a1", "on_call").await;
    same_lines(&nodes.same_figures().await, before, when);
}

/// Asserts two sets of figures are equal, showing the lines that differ if not.
fn same_lines(now: &[String], before: &[String], when: &str) {
    let gone: Vec<&String> = before.iter().filter(|l| !now.contains(l)).collect();
    let new: Vec<&String> = now.iter().filter(|l| !before.contains(l)).collect();
    assert!(
        gone.is_empty() && new.is_empty(),
        "{when}, the figures changed:\nbefore: {gone:#?}\nnow: {new:#?}"
    );
}

/// Signs in with a token from an earlier sign-in (at any node).
async fn sign_in_with_token(address: std::net::SocketAddr, token: &str) -> (Client, Value) {
    let mut client = Client::connect_at(address, Via::Ws).await;
    let reply = client
        .request(json!({"type": "auth", "token": token}))
        .await;
    assert_eq!(reply["type"], "ack", "the token is good here too: {reply}");
    (client, reply["result"].clone())
}

/// a1 at `agent_at`, logged in and ready; the telephony connector at `pbx_at` with a call that
/// a1 has accepted.
async fn agent_on_a_call(
    agent_at: std::net::SocketAddr,
    pbx_at: std::net::SocketAddr,
) -> (Client, Value, Client) {
    let (mut agent, signed_in) = Client::login_at(agent_at, Via::Ws, "a1").await;
    agent.expect_state("a1", "logged_out").await;
    agent.ok(json!({"type": "login"})).await;
    agent.expect_state("a1", "not_ready").await;
    agent.ok(json!({"type": "ready"})).await;
    agent.expect_state("a1", "ready").await;
    let (mut pbx, _) = Client::login_at(pbx_at, Via::Ws, "pbx").await;
    pbx.ok(json!({
        "type": "call_arrived", "call": "pbx-1", "queue": "support", "caller": "+49301234567"
    }))
    .await;
    let offer = agent.expect("offer").await;
    assert_eq!(offer["call"], "pbx-1");
    assert_eq!(pbx.expect("offer").await["agent"], "a1");
    agent.ok(json!({"type": "accept", "call": "pbx-1"})).await;
    agent.expect("call_connected").await;
    agent.expect_state("a1", "on_call").await;
    assert_eq!(pbx.expect("call_connected").await["agent"], "a1");
    (agent, signed_in, pbx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_flows_whichever_node_each_client_is_on_and_every_node_shows_the_same_figures() {
    let nats = NatsCluster::start("nodes-flow", 3);
    let nodes = Nodes::start("nodes-flow", &nats, 3).await;
    let (mut wall, _) = Client::login_at(nodes.ws(2), Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"]}))
        .await;
    wall.expect("queue_stats").await;
    let (mut boss, _) = Client::login_at(nodes.ws(1), Via::Ws, "boss").await;

    let (mut agent, _, mut pbx) = agent_on_a_call(nodes.ws(0), nodes.ws(1)).await;
    let answered = wall
        .expect_where("queue_stats", |m| m["today"]["answered"] == 1)
        .await;
    assert_eq!(answered["agents"]["on_call"], 1);
    // The supervisor on another node sees the agent on the call, and acts on it there.
    let page = boss
        .request(json!({"type": "list_agents", "queue": "support"}))
        .await;
    assert_eq!(page["result"]["agents"][0]["state"], "on_call", "{page}");
    boss.ok(json!({"type": "set_pending", "agent": "a1", "state": "not_ready", "reason": "break"}))
        .await;
    let pending = agent
        .expect_where("pending_state", |m| !m["pending"].is_null())
        .await;
    assert_eq!(
        pending["by"], "boss",
        "the events say who did it, at every node: {pending}"
    );

    agent.ok(json!({"type": "hangup", "call": "pbx-1"})).await;
    assert_eq!(pbx.expect("call_left").await["reason"], "completed");
    agent.expect_state("a1", "wrap_up").await;
    agent.ok(json!({"type": "end_wrap_up"})).await;
    agent.expect_state("a1", "not_ready").await;
    // A command the core refuses is refused the same way through the log.
    let refused = agent
        .refused(json!({"type": "accept", "call": "pbx-1"}))
        .await;
    assert_eq!(refused, "unknown_call");

    assert_eq!(answered_calls(&nodes.same_figures().await), 1.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_call_loses_nothing_its_agent_goes_on_at_another_node() {
    let nats = NatsCluster::start("nodes-kill", 3);
    let mut nodes = Nodes::start("nodes-kill", &nats, 3).await;
    let (mut wall, _) = Client::login_at(nodes.ws(2), Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["support"]}))
        .await;
    wall.expect("queue_stats").await;
    let (mut agent, signed_in, mut pbx) = agent_on_a_call(nodes.ws(0), nodes.ws(1)).await;
    // A second tab of the same agent, at a node that stays: it hears what the first does.
    let (mut witness, _) = Client::login_at(nodes.ws(2), Via::Ws, "a1").await;
    witness.expect("call_connected").await;
    // And a second connection of the telephony connector, at the node to be killed.
    let (mut lines, lines_signed_in) = Client::login_at(nodes.ws(0), Via::Ws, "pbx").await;
    lines.expect("call_connected").await;
    // A session is known to the other nodes once its node's next record is in the log: a
    // command through node 0 (one the core refuses, which changes nothing) is answered after it.
    let refused = agent
        .request(json!({"type": "accept", "call": "no-such-call"}))
        .await;
    assert_eq!(refused["type"], "error", "{refused}");

    nodes.kill(0);
    let (last_seq, lines_last_seq) = (agent.last_seq, lines.last_seq);
    drop((agent, lines));
    // While they have no connection, a call comes to the agent's queue, waits, and its caller
    // hangs up.
    pbx.ok(json!({"type": "call_arrived", "call": "pbx-2", "queue": "support"}))
        .await;
    let queue_waiting =
        |waiting: u32| move |m: &Value| m["queue"] == "support" && m["waiting"] == waiting;
    let mut heard = vec![
        witness
            .expect_where("queue_waiting", queue_waiting(1))
            .await,
    ];
    pbx.ok(json!({"type": "caller_hung_up", "call": "pbx-2"}))
        .await;
    let left = pbx
        .expect_where("call_left", |m| m["call"] == "pbx-2")
        .await;
    heard.push(
        witness
            .expect_where("queue_waiting", queue_waiting(0))
            .await,
    );

    // The page resumes its session at another node with the token it had: every event it
    // missed comes numbered on from its last (its client checks each seq), then the ack.
    let token = signed_in["token"].as_str().expect("a token");
    let session = signed_in["session"].as_str().expect("a session");
    let (mut agent, again) =
        Client::resume_at(nodes.ws(2), Via::Ws, token, session, last_seq, true).await;
    assert_eq!(again["type"], "ack", "{again}");
    assert_eq!(again["result"]["resumed"], true, "{again}");
    assert_eq!(again["result"]["session"], session);
    let without_seq = |event: &Value| {
        let mut event = event.clone();
        event.as_object_mut().expect("an event").remove("seq");
        event
    };
    for (n, event) in heard.iter().enumerate() {
        let missed = agent.expect("queue_waiting").await;
        assert_eq!(missed["seq"], last_seq + 1 + n as u64);
        assert_eq!(without_seq(&missed), without_seq(event));
    }
    assert!(
        !agent.seen.contains("agent_state"),
        "a resume, not a snapshot: {:?}",
        agent.seen
    );
    // So does the connector's: the call that ended meanwhile, and no snapshot.
    let token = lines_signed_in["token"].as_str().expect("a token");
    let session = lines_signed_in["session"].as_str().expect("a session");
    let (mut lines, again) =
        Client::resume_at(nodes.ws(1), Via::Ws, token, session, lines_last_seq, true).await;
    assert_eq!(again["result"]["resumed"], true, "{again}");
    let missed = lines.expect("call_left").await;
    assert_eq!(without_seq(&missed), without_seq(&left));
    assert!(!lines.seen.contains("call_connected"), "{:?}", lines.seen);

    // The call goes on from the new node; the connector, on a node that never stopped, sees
    // every event once and in order (its client checks seq).
    agent.ok(json!({"type": "hold", "call": "pbx-1"})).await;
    pbx.expect("call_held").await;
    agent.ok(json!({"type": "resume", "call": "pbx-1"})).await;
    pbx.expect("call_resumed").await;
    // Past the dead node's timeout the agent is not taken for disconnected: it has a
    // connection at another node.
    tokio::time::sleep(Duration::from_secs(NODE_TIMEOUT_SECS + 1)).await;
    agent.ok(json!({"type": "hangup", "call": "pbx-1"})).await;
    assert_eq!(pbx.expect("call_left").await["reason"], "completed");
    let wrap_up = agent.expect_state("a1", "wrap_up").await;
    assert_eq!(wrap_up["state"], "wrap_up");
    wall.expect_where("queue_stats", |m| m["agents"]["wrap_up"] == 1)
        .await;
    // The counts are those of one server fed the same commands, with nothing killed.
    let single = net::start("").await;
    let at = net::addr(&single, Via::Ws);
    let (mut alone, _, mut alone_pbx) = agent_on_a_call(at, at).await;
    for message in [
        json!({"type": "call_arrived", "call": "pbx-2", "queue": "support"}),
        json!({"type": "caller_hung_up", "call": "pbx-2"}),
    ] {
        alone_pbx.ok(message).await;
    }
    for command in ["hold", "resume", "hangup"] {
        alone.ok(json!({"type": command, "call": "pbx-1"})).await;
    }
    alone.expect_state("a1", "wrap_up").await;
    alone_pbx.expect("call_left").await;
    let scrape = net::http_get(single.metrics_addr().expect("metrics"), "/metrics").await;
    same_lines(
        &counts(&nodes.same_figures().await),
        &counts(&acme_figures(&scrape.1)),
        "against one server fed the same commands",
    );

    // The node comes back: from the cluster's snapshot and log, to the same figures.
    nodes.start_node(0).await;
    let (mut boss, _) = Client::login_at(nodes.ws(0), Via::Ws, "boss").await;
    let page = boss
        .request(json!({"type": "list_agents", "queue": "support"}))
        .await;
    assert_eq!(page["result"]["agents"][0]["state"], "wrap_up", "{page}");
    nodes.same_figures().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_quorum_commands_are_refused_and_with_it_back_service_goes_on() {
    let mut nats = NatsCluster::start("nodes-quorum", 3);
    // A grace period shorter than the outage: the outage must not end it.
    let grace = "disconnect_grace_secs = 5\n";
    let nodes = Nodes::start_with("nodes-quorum", &nats, 2, grace, "").await;
    let (mut agent, _) = Client::login_at(nodes.ws(0), Via::Ws, "a1").await;
    agent.expect_state("a1", "logged_out").await;
    agent.ok(json!({"type": "login"})).await;
    agent.expect_state("a1", "not_ready").await;

    // One NATS server lost: nothing stops.
    nats.kill(0);
    agent.ok(json!({"type": "ready"})).await;
    agent.expect_state("a1", "ready").await;

    // Two lost: no quorum. A command is refused, and changes nothing. (The first may be on
    // its way as the quorum goes: its outcome is unknown; the next are refused at once.)
    nats.kill(1);
    let deadline = Instant::now() + PATIENCE * 2;
    let mut unknown = false;
    loop {
        let reply = agent
            .request(json!({"type": "not_ready", "reason": "break"}))
            .await;
        if reply["code"] == "storage_unavailable" {
            break;
        }
        if reply["type"] == "ack" {
            // Taken before the servers' loss was noticed: put it back and try again.
            agent.expect_state("a1", "not_ready").await;
            agent.ok(json!({"type": "ready"})).await;
            agent.expect_state("a1", "ready").await;
        } else {
            assert_eq!(reply["code"], "outcome_unknown", "{reply}");
            unknown = true;
        }
        assert!(
            Instant::now() < deadline,
            "a command is refused without a quorum"
        );
    }
    let refused_at_once = Instant::now();
    let reply = agent
        .request(json!({"type": "not_ready", "reason": "lunch"}))
        .await;
    assert_eq!(reply["code"], "storage_unavailable", "{reply}");
    assert!(
        refused_at_once.elapsed() < Duration::from_secs(1),
        "refused at once while the cluster has no quorum"
    );
    // Nothing refused changed anything (a command whose outcome is unknown may have). Asked
    // at the agent's node, which applied the agent's last command before it answered it (the
    // other node may not have read it before the quorum went).
    let page = agent.request(json!({"type": "list_agents"})).await;
    let state = &page["result"]["agents"][0]["state"];
    if unknown {
        assert!(state == "ready" || state == "not_ready", "{page}");
    } else {
        assert_eq!(state, "ready", "{page}");
    }

    // The servers come back: commands go through.
    nats.restart(&[0, 1]);
    let deadline = Instant::now() + PATIENCE * 2;
    loop {
        let reply = agent
            .request(json!({"type": "not_ready", "reason": "lunch"}))
            .await;
        if reply["type"] == "ack" {
            break;
        }
        assert_eq!(reply["code"], "storage_unavailable", "{reply}");
        assert!(
            Instant::now() < deadline,
            "service goes on with the quorum back"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // The outage was longer than the nodes' timeout and the grace period: the agent, connected
    // all along, was not taken for disconnected.
    assert!(
        !agent
            .backlog
            .iter()
            .any(|m| m["type"] == "agent_state" && m["reason"] == "disconnected"),
        "{:?}\n{}",
        agent.backlog,
        nodes.logs()
    );
    agent
        .expect_where("agent_state", |m| m["reason"] == "lunch")
        .await;
    nodes.same_figures().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_node_loses_its_clients_and_catches_up_when_it_wakes() {
    let nats = NatsCluster::start("nodes-freeze", 3);
    let mut nodes = Nodes::start("nodes-freeze", &nats, 2).await;
    let (mut agent, signed_in) = Client::login_at(nodes.ws(0), Via::Ws, "a1").await;
    agent.expect_state("a1", "logged_out").await;
    agent.ok(json!({"type": "login"})).await;
    agent.expect_state("a1", "not_ready").await;

    nodes.node(0).freeze();
    drop(agent);
    let token = signed_in["token"].as_str().expect("a token");
    let (mut agent, _) = sign_in_with_token(nodes.ws(1), token).await;
    agent.expect_state("a1", "not_ready").await;
    agent.ok(json!({"type": "ready"})).await;
    agent.expect_state("a1", "ready").await;
    let (mut pbx, _) = Client::login_at(nodes.ws(1), Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "c-1", "queue": "support"}))
        .await;
    agent.expect("offer").await;
    // Frozen past its timeout: the cluster takes it for gone.
    tokio::time::sleep(Duration::from_secs(NODE_TIMEOUT_SECS + 1)).await;
    agent.ok(json!({"type": "accept", "call": "c-1"})).await;
    agent.expect_state("a1", "on_call").await;

    nodes.node(0).thaw();
    nodes
        .node_mut(0)
        .wait_for("taken for gone by the cluster")
        .await;
    // It applies what happened while it was frozen, rather than acting on what it knew.
    assert_eq!(answered_calls(&nodes.same_figures().await), 1.0);
    let (mut boss, _) = Client::login_at(nodes.ws(0), Via::Ws, "boss").await;
    let page = boss.request(json!({"type": "list_agents"})).await;
    assert_eq!(page["result"]["agents"][0]["state"], "on_call", "{page}");
    // The agent stays on its call: it has a connection, at the other node.
    tokio::time::sleep(Duration::from_secs(NODE_TIMEOUT_SECS)).await;
    agent.ok(json!({"type": "hold", "call": "c-1"})).await;
    pbx.expect("call_held").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everything_restarted_loses_nothing() {
    let mut nats = NatsCluster::start("nodes-restart", 3);
    let mut nodes = Nodes::start("nodes-restart", &nats, 2).await;
    let (agent, _, pbx) = agent_on_a_call(nodes.ws(0), nodes.ws(1)).await;
    let before = nodes.same_figures().await;
    drop((agent, pbx));
    for i in 0..2 {
        nodes.nodes[i].take().expect("runs").stop();
    }
    for i in 0..3 {
        nats.kill(i);
    }
    nats.restart(&[0, 1, 2]);
    for i in 0..2 {
        nodes.start_node(i).await;
    }
    let (mut agent, _) = Client::login_at(nodes.ws(1), Via::Ws, "a1").await;
    back_on_the_call(&mut agent, &nodes, &before, "after every process restarted").await;
    agent.ok(json!({"type": "hangup", "call": "pbx-1"})).await;
    agent.expect_state("a1", "wrap_up").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_node_writes_each_snapshot_and_the_records_it_covers_leave_the_log() {
    let nats = NatsCluster::start("nodes-trim", 3);
    let snapshots = "[storage]\nsnapshot_interval_secs = 1\n";
    let mut nodes = Nodes::start_with("nodes-trim", &nats, 2, "", snapshots).await;
    let (mut agent, _) = Client::login_at(nodes.ws(0), Via::Ws, "a1").await;
    agent.expect_state("a1", "logged_out").await;
    agent.ok(json!({"type": "login"})).await;
    agent.expect_state("a1", "not_ready").await;
    // Commands over several snapshot intervals.
    for _ in 0..5 {
        agent.ok(json!({"type": "ready"})).await;
        agent.expect_state("a1", "ready").await;
        agent
            .ok(json!({"type": "not_ready", "reason": "break"}))
            .await;
        agent.expect_state("a1", "not_ready").await;
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    // The log's first records are gone: a snapshot covers them.
    let log = crate::log::acme_log(&nats, "probe").await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        match log.tail(1).await.unwrap().next().await {
            Err(LogError::Forgotten { wanted: 1, first }) => {
                assert!(first > 1);
                break;
            }
            Ok((seq, _)) => assert_eq!(seq, 1, "the log's first record, still there"),
            Err(other) => panic!("the log reads: {other}"),
        }
        assert!(
            Instant::now() < deadline,
            "records a snapshot covers leave the log"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    // A node that starts now starts from the snapshot and the records after it.
    nodes.nodes.push(None);
    nodes.start_node(2).await;
    let (mut boss, _) = Client::login_at(nodes.ws(2), Via::Ws, "boss").await;
    let page = boss.request(json!({"type": "list_agents"})).await;
    assert_eq!(page["result"]["agents"][0]["state"], "not_ready", "{page}");
    nodes.same_figures().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logout_at_one_node_ends_the_users_tokens_at_every_node() {
    let nats = NatsCluster::start("nodes-revoke", 3);
    let nodes = Nodes::start("nodes-revoke", &nats, 2).await;
    let (mut agent, signed_in) = Client::login_at(nodes.ws(0), Via::Ws, "a1").await;
    let token = signed_in["token"].as_str().expect("a token").to_owned();
    agent.expect_state("a1", "logged_out").await;
    agent.ok(json!({"type": "login"})).await;
    agent.expect_state("a1", "not_ready").await;
    // Good at the other node too, until the agent logs out here.
    sign_in_with_token(nodes.ws(1), &token).await;
    agent.ok(json!({"type": "logout"})).await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut client = Client::connect_at(nodes.ws(1), Via::Ws).await;
        let reply = client
            .request(json!({"type": "auth", "token": token}))
            .await;
        if reply["type"] == "error" {
            assert_eq!(reply["code"], "auth_failed", "{reply}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the other node refuses the token after the logout"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_record_a_node_cannot_read_stops_the_tenant_there_rather_than_being_skipped() {
    let nats = NatsCluster::start("nodes-unreadable", 3);
    let mut nodes = Nodes::start("nodes-unreadable", &nats, 1).await;
    // A record of some later version, say: skipping it would leave this replica apart from
    // those that can read it.
    let log = crate::log::acme_log(&nats, "probe").await;
    let record = bytes::Bytes::from_static(b"{\"from\": \"a later version\"}");
    log.append("from-a-later-version", record).await.unwrap();
    nodes.node_mut(0).wait_for("cannot be read").await;
    let deadline = Instant::now() + PATIENCE;
    loop {
        let (status, body) = net::http_get(nodes.ws(0), "/readyz").await;
        if status == 503 {
            assert!(
                body.contains("engine_stopped") && body.contains("acme"),
                "{body}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz says the tenant stopped: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_killed_mid_conversation_loses_no_message_its_agent_goes_on_at_another_node() {
    let nats = NatsCluster::start("nodes-chat", 3);
    let mut nodes = Nodes::start_with("nodes-chat", &nats, 3, "", &net::with_chat("")).await;
    let (mut agent, signed_in) = Client::login_at(nodes.ws(0), Via::Ws, "c1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut widget, _) = Client::login_at(nodes.ws(1), Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-1", "queue": "chat", "messages": ["Hello"]}))
        .await;
    agent.expect("conversation_offer").await;
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "chat-1"}))
        .await;
    let say =
        |text: &str| json!({"type": "customer_message", "conversation": "chat-1", "text": text});
    widget.ok(say("one")).await;
    assert_eq!(agent.expect("message").await["number"], 1);

    nodes.kill(0);
    let last_seq = agent.last_seq;
    drop(agent);
    // While the agent has no connection, the customer goes on writing at another node.
    widget.ok(say("two")).await;
    widget.ok(say("three")).await;

    let token = signed_in["token"].as_str().expect("a token");
    let session = signed_in["session"].as_str().expect("a session");
    let (mut agent, again) =
        Client::resume_at(nodes.ws(2), Via::Ws, token, session, last_seq, true).await;
    assert_eq!(again["result"]["resumed"], true, "{again}");
    // Each message it missed, once, in order (its client checks every seq), then on as before.
    let missed: Vec<Value> = [agent.expect("message").await, agent.expect("message").await]
        .into_iter()
        .map(|m| json!([m["number"], m["text"]]))
        .collect();
    assert_eq!(missed, [json!([2, "two"]), json!([3, "three"])]);
    agent
        .ok(json!({"type": "send_message", "conversation": "chat-1", "text": "Still here"}))
        .await;
    let delivered = widget
        .expect_where("message", |m| m["from"] == "agent")
        .await;
    assert_eq!(delivered["text"], "Still here");
    // Every node has the transcript: a new session of the agent at yet another node gets all
    // five messages.
    let (mut tab, _) = Client::login_at(nodes.ws(1), Via::Ws, "c1").await;
    let state = tab.expect("conversation_state").await;
    assert_eq!(state["transcript"].as_array().unwrap().len(), 5, "{state}");
}

/// The state of `agent` as a `list_agents` at `client`'s node reads it now.
async fn state_of(client: &mut Client, agent: &str) -> String {
    let page = client.request(json!({"type": "list_agents"})).await;
    let agents = page["result"]["agents"].as_array().expect("a page");
    let listed = agents.iter().find(|a| a["id"] == agent).expect("listed");
    listed["state"].as_str().unwrap().to_owned()
}

/// An agent whose connection is gone past the grace period while it holds a conversation
/// cannot be logged out, so it goes not ready; the logout is tried again, from the node it was
/// on, and goes through once the conversation is over, as every node sees.
#[tokio::test]
async fn on_a_cluster_an_agent_gone_with_a_conversation_is_logged_out_once_it_is_over() {
    let nats = NatsCluster::start("nodes-gone-chat", 3);
    // No wrap-up after a chat, so the only wait is the next try (30 s after the first).
    let chat = net::with_chat("").replacen("wrap_up_secs = 30", "wrap_up_secs = 0", 1);
    let nodes = Nodes::start_with(
        "nodes-gone-chat",
        &nats,
        3,
        "disconnect_grace_secs = 1\non_disconnect = \"logout\"\n",
        &chat,
    )
    .await;
    let (mut agent, _) = Client::login_at(nodes.ws(0), Via::Ws, "c1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut widget, _) = Client::login_at(nodes.ws(1), Via::Ws, "widget").await;
    widget
        .ok(json!({"type": "conversation_arrived", "conversation": "chat-1", "queue": "chat"}))
        .await;
    agent.expect("conversation_offer").await;
    agent
        .ok(json!({"type": "accept_conversation", "conversation": "chat-1"}))
        .await;
    let (mut boss, _) = Client::login_at(nodes.ws(2), Via::Ws, "boss").await;
    drop(agent);

    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut wait_for = async |state: &str| loop {
        let now = state_of(&mut boss, "c1").await;
        if now == state {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "c1 is {now}, not {state}:\n{}",
            nodes.logs()
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    wait_for("not_ready").await;
    // Its conversation waits for it; once the customer leaves, the next try logs it out.
    widget
        .ok(json!({"type": "customer_left", "conversation": "chat-1"}))
        .await;
    wait_for("logged_out").await;
}
