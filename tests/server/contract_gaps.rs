//! Where protocol.md and the server disagreed, for a client written from the document alone
//! (issue 19, "Integrator kit"), and what they agree on now, each over real sockets: what holds
//! a `max_connections` slot, what a resume replays, the audit record of every supervisor
//! action (a malformed one's too) and the audit file's rotation, which refusal wins and which
//! count towards 1008, which closes leave a session resumable, and what ASA and the abandonment
//! rate count.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use acdhub::server::Server;

use crate::binary::Acdhub;
use crate::net::http::Poll;
use crate::net::{self, Client, PATIENCE, Via, addr, start};

/// What a client that should get in at once may take (a sign-in hashes a password).
const BOUND: Duration = Duration::from_secs(5);

/// Polls `condition` every 20 ms until it holds; panics after `PATIENCE`.
async fn until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "{what}, within {PATIENCE:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Closes the connection of `user`'s client (a close frame) and waits until the server has let
/// it go, when `user` has no other: its session is parked (or ended) by then, and its slot
/// given back.
async fn drop_connection(server: &Server, user: &str, mut client: Client) {
    client.socket_mut().close(None).await.unwrap();
    drop(client);
    until("the server lets the connection go", || {
        !server.connections().connections().iter().any(|connection| {
            connection
                .principal
                .as_ref()
                .is_some_and(|(name, _, _)| name == user)
        })
    })
    .await;
}

/// Signs `user` in over ws at `address` in a task of its own, for a client that may have to
/// wait for a slot.
fn login_later(
    address: std::net::SocketAddr,
    user: &'static str,
) -> tokio::task::JoinHandle<Client> {
    tokio::spawn(async move { Client::login_at(address, Via::Ws, user).await.0 })
}

// ----------------------------------------------------------------------------------------------
// 1. max_connections: N slots serve N clients; what holds one, and until when.

/// `max_connections = 3` serves three signed-in WebSockets; a fourth waits for a slot and gets
/// the one a client leaves. A long-poll link holds a slot like a WebSocket while its session
/// runs: one nobody polls any more holds it until it is found dead, `poll_wait_secs` plus
/// `pong_timeout_secs` after its last poll (4002), and then gives it back.
#[tokio::test]
async fn max_connections_serves_that_many_clients_and_a_link_holds_one_until_it_ends() {
    let server =
        start("[limits]\nmax_connections = 3\npoll_wait_secs = 2\npong_timeout_secs = 2\n").await;
    let ws = addr(&server, Via::Ws);
    let mut clients = Vec::new();
    for user in ["a1", "a2", "boss"] {
        let (mut client, _) = tokio::time::timeout(BOUND, Client::login_at(ws, Via::Ws, user))
            .await
            .unwrap_or_else(|_| panic!("{user}, one of max_connections clients, signs in at once"));
        client.ok(json!({"type": "ping"})).await;
        clients.push(client);
    }
    let fourth = login_later(ws, "wall");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!fourth.is_finished(), "a fourth client waits for a slot");
    let a2 = clients.remove(1);
    drop_connection(&server, "a2", a2).await;
    let mut wall = tokio::time::timeout(BOUND, fourth)
        .await
        .expect("the fourth gets the slot a2 left")
        .unwrap();
    wall.ok(json!({"type": "ping"})).await;
    drop_connection(&server, "wall", wall).await;

    // a1 and boss on WebSockets, and a long-poll link signed in as a2 that is polled no more.
    let mut link = Poll::open(ws).await;
    link.send(&json!({"id": "1", "type": "auth", "user": "a2", "password": net::PASSWORD}))
        .await;
    loop {
        let message = link.next_message().await;
        if message["type"] == "ack" {
            break;
        }
        assert_ne!(message["type"], "error", "{message}");
    }
    let last_poll = Instant::now();
    let third = login_later(ws, "wall");
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        !third.is_finished(),
        "the link holds the third slot: another client waits"
    );
    let mut wall = tokio::time::timeout(Duration::from_secs(9), third)
        .await
        .expect("the link's slot comes back once it is found dead")
        .unwrap();
    let waited = last_poll.elapsed();
    assert!(
        waited >= Duration::from_secs(3),
        "the slot came back {waited:?} after the last poll, before the link was dead"
    );
    wall.ok(json!({"type": "ping"})).await;
    // The link was closed for want of polls, as a WebSocket without pongs is.
    let answer = link.poll().await;
    assert_eq!(answer.closed["code"], 4002, "{:?}", answer.closed);
    drop(clients);
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// 2. What a resume replays.

/// The supervisor toggles a1 between ready and not ready `times` times: one `agent_state` for
/// a1's session each.
async fn toggle(boss: &mut Client, ready: &mut bool, times: usize) {
    for _ in 0..times {
        *ready = !*ready;
        let command = if *ready {
            json!({"type": "force_state", "agent": "a1", "state": "ready"})
        } else {
            json!({"type": "force_state", "agent": "a1", "state": "not_ready", "reason": "break"})
        };
        boss.ok(command).await;
    }
}

/// Reads `count` events, each an `agent_state` of a1.
async fn read_states(agent: &mut Client, count: usize) {
    for _ in 0..count {
        let event = agent.next().await;
        assert_eq!(event["type"], "agent_state", "{event}");
    }
}

/// Resumes a1's `session` after `last_seq` with `token`; returns the client, whether it was
/// resumed, and the events before the ack (checked to continue after `last_seq` if resumed,
/// or to start again at 1).
async fn resume(
    server: &Server,
    token: &str,
    session: &str,
    last_seq: u64,
    resumed: bool,
) -> (Client, Vec<Value>) {
    let (mut client, reply) = Client::resume_at(
        addr(server, Via::Ws),
        Via::Ws,
        token,
        session,
        last_seq,
        resumed,
    )
    .await;
    assert_eq!(reply["type"], "ack", "{reply}");
    assert_eq!(reply["result"]["resumed"], resumed, "{reply}");
    let events = std::mem::take(&mut client.backlog);
    (client, events)
}

/// A session keeps the last `replay_events` events it wrote to its connection: a client that
/// missed 4 of them resumes, one that missed 5 resyncs. Events that come while no connection
/// carries the session wait in its outbound queue and are all replayed, more than
/// `replay_events` of them, as long as the queue does not overflow: 16 (`outbound_queue`) are,
/// a 17th ends the session and the client resyncs.
#[tokio::test]
async fn a_resume_replays_the_last_events_written_and_all_that_waited_in_the_queue() {
    let server = start("[limits]\nreplay_events = 4\noutbound_queue = 16\n").await;
    let (mut agent, auth) = Client::login(&server, Via::Ws, "a1").await;
    let token = auth["token"].as_str().unwrap().to_owned();
    let session = auth["session"].as_str().unwrap().to_owned();
    agent.ok(json!({"type": "login"})).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let mut ready = false;

    // Written to the connection before it dropped: the last 4 are kept.
    toggle(&mut boss, &mut ready, 6).await;
    read_states(&mut agent, 6).await;
    let seq = agent.last_seq;
    drop_connection(&server, "a1", agent).await;
    let (mut agent, replayed) = resume(&server, &token, &session, seq - 4, true).await;
    let seqs: Vec<u64> = replayed
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seqs,
        (seq - 3..=seq).collect::<Vec<_>>(),
        "exactly the 4 missed"
    );
    toggle(&mut boss, &mut ready, 6).await;
    read_states(&mut agent, 6).await;
    let seq = agent.last_seq;
    drop_connection(&server, "a1", agent).await;
    let (agent, snapshot) = resume(&server, &token, &session, seq - 5, false).await;
    assert_eq!(snapshot[0]["seq"], 1, "5 missed, 4 kept: a resync");
    drop_connection(&server, "a1", agent).await;
    let (mut agent, auth) = Client::login(&server, Via::Ws, "a1").await;
    let token = auth["token"].as_str().unwrap().to_owned();
    let session = auth["session"].as_str().unwrap().to_owned();
    agent.ok(json!({"type": "ping"})).await;

    // Sent while no connection carried the session: 16 wait in the queue, all replayed.
    let seq = agent.last_seq;
    drop_connection(&server, "a1", agent).await;
    toggle(&mut boss, &mut ready, 16).await;
    let (agent, replayed) = resume(&server, &token, &session, seq, true).await;
    assert_eq!(
        replayed.len(),
        16,
        "every event of the queue, past replay_events"
    );
    assert_eq!(replayed[15]["seq"], seq + 16);

    // A 17th overflows the queue: the session ends, and the client resyncs.
    let seq = agent.last_seq;
    drop_connection(&server, "a1", agent).await;
    toggle(&mut boss, &mut ready, 17).await;
    let (_, snapshot) = resume(&server, &token, &session, seq, false).await;
    assert_eq!(snapshot[0]["seq"], 1, "the queue overflowed: a resync");
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// 3. The audit log: every supervisor action, a malformed one too; rotation.

/// The audit file's records, one JSON object per line (none if there is no file).
fn records(path: &Path) -> Vec<Value> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Vec::new();
    };
    assert!(
        text.is_empty() || text.ends_with('\n'),
        "whole lines: {text}"
    );
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

/// (user, action, target, detail, result) of each record.
fn summary(records: &[Value]) -> Vec<(String, String, String, Value, String)> {
    records
        .iter()
        .map(|r| {
            let text = |field: &str| r[field].as_str().unwrap_or_default().to_owned();
            (
                text("user"),
                text("action"),
                text("target"),
                r["detail"].clone(),
                text("result"),
            )
        })
        .collect()
}

/// A supervisor action the server cannot even read as one (`bad_message`: a reason that does
/// not fit the state, a supervisor's `clear_pending` without `agent`, a priority out of range)
/// is in the audit file with its refusal, with what could be read of it; so is one over the
/// rate budget, and a malformed attempt from a role that may not send the action at all. An
/// agent's own `clear_pending` is not a supervisor action, malformed or not.
#[tokio::test]
async fn supervisor_actions_refused_as_malformed_or_over_budget_are_in_the_audit_file() {
    let dir = net::fresh_dir("contract-gaps-audit");
    let path = dir.join("audit.jsonl");
    let key = format!("audit_log = {:?}", path.display().to_string());
    let server = net::start_with_server_keys(&key, "").await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    let malformed = [
        json!({"type": "force_state", "agent": "a1", "state": "ready", "reason": "break"}),
        json!({"type": "force_state", "agent": "a1", "state": "not_ready"}),
        json!({"type": "set_pending", "agent": "a1", "state": "logged_out", "reason": "lunch"}),
        json!({"type": "clear_pending"}),
        json!({"type": "set_call_priority", "call": "w-1", "priority": 300}),
        json!({"type": "move_call", "call": "w-1", "queue": "no such queue"}),
    ];
    for command in &malformed {
        assert_eq!(
            boss.refused(command.clone()).await,
            "bad_message",
            "{command}"
        );
    }
    // Malformed from a wallboard, which may not move calls: on record. An agent's own
    // clear_pending with a field too many: not a supervisor action.
    let moved = json!({"type": "move_call", "call": "w-1", "queue": "sales", "why": "x"});
    assert_eq!(wall.refused(moved).await, "bad_message");
    let own = json!({"type": "clear_pending", "reason": "x"});
    assert_eq!(agent.refused(own).await, "bad_message");
    let expected = vec![
        (
            "boss",
            "force_state",
            "a1",
            json!({"state": "ready", "reason": "break"}),
        ),
        ("boss", "force_state", "a1", json!({"state": "not_ready"})),
        (
            "boss",
            "set_pending",
            "a1",
            json!({"state": "logged_out", "reason": "lunch"}),
        ),
        ("boss", "clear_pending", "", json!({})),
        ("boss", "set_call_priority", "w-1", json!({})),
        (
            "boss",
            "move_call",
            "w-1",
            json!({"queue": "no such queue"}),
        ),
        ("wall", "move_call", "w-1", json!({"queue": "sales"})),
    ];
    let expected: Vec<_> = expected
        .into_iter()
        .map(|(user, action, target, detail)| {
            let text = |s: &str| s.to_owned();
            (
                text(user),
                text(action),
                text(target),
                detail,
                text("bad_message"),
            )
        })
        .collect();
    // Every record is written before its reply: the file is complete now.
    assert_eq!(summary(&records(&path)), expected);
    server.shutdown().await;

    // Over the rate budget: refused with rate_limited, and on record.
    let path = dir.join("budget.jsonl");
    let key = format!("audit_log = {:?}", path.display().to_string());
    let server =
        net::start_with_server_keys(&key, "[limits]\ncommands_per_sec = 1\ncommand_burst = 1\n")
            .await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    // Pipelined: the ping spends the burst, the action comes at once after it.
    let ping = boss.send(json!({"type": "ping"})).await.unwrap();
    let over = json!({"type": "force_state", "agent": "a2", "state": "ready"});
    let over = boss.send(over).await.unwrap();
    assert_eq!(boss.reply_to(&ping).await["type"], "ack");
    assert_eq!(boss.reply_to(&over).await["code"], "rate_limited");
    let expected = vec![(
        "boss".to_owned(),
        "force_state".to_owned(),
        "a2".to_owned(),
        json!({"state": "ready"}),
        "rate_limited".to_owned(),
    )];
    assert_eq!(summary(&records(&path)), expected);
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The `acdhub` binary rotated as logrotate does without `copytruncate`: records go on in the
/// file moved away until a SIGHUP reopens the configured path, creating a new file there (no
/// record creates one: that could race logrotate's own `create`); a new file put at the path
/// (logrotate's `create`) is taken at the next record, SIGHUP or not.
#[tokio::test]
async fn the_audit_file_is_reopened_at_its_path_after_a_rotation() {
    let dir = net::fresh_dir("contract-gaps-rotation");
    let path = dir.join("audit.jsonl");
    let config = dir.join("acdhub.toml");
    let text = net::config_text("").replacen(
        "[server]\n",
        &format!("[server]\naudit_log = {:?}\n", path.display().to_string()),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let mut acdhub = Acdhub::start(&config).await;
    let (mut boss, _) = Client::login_at(acdhub.ws, Via::Ws, "boss").await;
    // Each action is refused (a2 is logged out) and recorded with its target: one per step.
    let mut act = async |target: &str| {
        let action = json!({"type": "force_state", "agent": target, "state": "ready"});
        boss.refused(action).await;
    };
    let targets = |path: &Path| -> Vec<String> {
        records(path)
            .iter()
            .map(|r| r["target"].as_str().unwrap().to_owned())
            .collect()
    };
    act("a1").await;
    let rotated = dir.join("audit.jsonl.1");
    std::fs::rename(&path, &rotated).unwrap();
    act("a2").await;
    assert!(!path.exists(), "a record does not create the file");
    assert_eq!(targets(&rotated), ["a1", "a2"], "the open file goes on");

    acdhub.hangup();
    acdhub.wait_for("audit log reopened").await;
    assert!(path.exists(), "SIGHUP created the file at its path");
    act("zed").await;
    assert_eq!(targets(&path), ["zed"]);
    assert_eq!(
        targets(&rotated),
        ["a1", "a2"],
        "nothing more in the old one"
    );

    // logrotate's `create`: the new file is there before any signal.
    let second = dir.join("audit.jsonl.2");
    std::fs::rename(&path, &second).unwrap();
    std::fs::File::create(&path).unwrap();
    act("a1").await;
    assert_eq!(targets(&path), ["a1"]);
    assert_eq!(targets(&second), ["zed"]);
    drop(boss);
    acdhub.stop();
    let _ = std::fs::remove_dir_all(dir);
}

// ----------------------------------------------------------------------------------------------
// 4. Which refusal wins, which count towards 1008, which closes leave a session resumable.

/// The server reads a message before it looks at who sent it: a malformed or unknown message
/// is `bad_message` or `unknown_type` before `not_authenticated` and before `forbidden`; the
/// session's own checks (`forbidden`, a reason only the ACD sets) come before the ACD's
/// (`unknown_agent`), and the ACD checks the agent before the reason.
#[tokio::test]
async fn refusals_come_in_the_order_the_server_checks() {
    let server = start("").await;
    let mut stranger = Client::connect(&server, Via::Ws).await;
    let unknown = json!({"type": "sing"});
    assert_eq!(stranger.refused(unknown).await, "unknown_type");
    let extra = json!({"type": "login", "now": true});
    assert_eq!(stranger.refused(extra).await, "bad_message");
    assert_eq!(
        stranger.refused(json!({"type": "login"})).await,
        "not_authenticated"
    );
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    let misfit = json!({"type": "force_state", "agent": "a1", "state": "ready", "reason": "break"});
    assert_eq!(wall.refused(misfit).await, "bad_message");
    let fit = json!({"type": "force_state", "agent": "zed", "state": "ready"});
    assert_eq!(wall.refused(fit).await, "forbidden");
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let system =
        json!({"type": "force_state", "agent": "zed", "state": "not_ready", "reason": "login"});
    assert_eq!(boss.refused(system).await, "unknown_reason");
    let both =
        json!({"type": "set_pending", "agent": "zed", "state": "not_ready", "reason": "nap"});
    assert_eq!(boss.refused(both).await, "unknown_agent");
    let logged_out =
        json!({"type": "set_pending", "agent": "a1", "state": "not_ready", "reason": "nap"});
    assert_eq!(boss.refused(logged_out).await, "unknown_reason");
    server.shutdown().await;
}

/// The ACD's refusals (and `auth_failed`) never close a connection; the protocol layer's
/// (malformed, unknown, forbidden, `not_authenticated`, `rate_limited`) count, and one more
/// than `bad_messages_per_minute` closes it with 1008.
#[tokio::test]
async fn only_the_protocol_layers_refusals_count_towards_1008() {
    let server = start("[limits]\nbad_messages_per_minute = 3\n").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    for _ in 0..6 {
        let unknown = json!({"type": "subscribe", "queues": ["nowhere"]});
        assert_eq!(wall.refused(unknown).await, "unknown_queue");
    }
    wall.ok(json!({"type": "ping"})).await;
    for _ in 0..3 {
        assert_eq!(wall.refused(json!({"type": "login"})).await, "forbidden");
    }
    wall.send(json!({"type": "login"})).await;
    assert_eq!(wall.expect_close().await, 1008);

    let mut stranger = Client::connect(&server, Via::Ws).await;
    for _ in 0..2 {
        let wrong = json!({"type": "auth", "user": "wall", "password": "wrong"});
        assert_eq!(stranger.refused(wrong).await, "auth_failed");
    }
    for _ in 0..3 {
        assert_eq!(
            stranger.refused(json!({"type": "ping"})).await,
            "not_authenticated"
        );
    }
    stranger.send(json!({"type": "ping"})).await;
    assert_eq!(
        stranger.expect_close().await,
        1008,
        "auth_failed did not count"
    );
    server.shutdown().await;
}

/// A connection the client drops leaves its session to be resumed; one the server closes
/// because the client is at fault (1009, 1008) ends it, and a resume is a resync.
#[tokio::test]
async fn a_dropped_connection_is_resumable_and_one_closed_for_a_fault_is_not() {
    let server = start("[limits]\nmax_message_bytes = 1024\nbad_messages_per_minute = 1\n").await;
    let (agent, auth) = Client::login(&server, Via::Ws, "a1").await;
    let token = auth["token"].as_str().unwrap().to_owned();
    let session = auth["session"].as_str().unwrap().to_owned();
    let seq = agent.last_seq;
    drop_connection(&server, "a1", agent).await;
    let (mut agent, _) = resume(&server, &token, &session, seq, true).await;

    agent.send_text("x".repeat(2048)).await;
    assert_eq!(agent.expect_close().await, 1009);
    let (mut agent, _) = resume(&server, &token, &session, seq, false).await;
    agent.ok(json!({"type": "ping"})).await;
    drop(agent);

    let (mut agent, auth) = Client::login(&server, Via::Ws, "a1").await;
    let session = auth["session"].as_str().unwrap().to_owned();
    let seq = agent.last_seq;
    for _ in 0..2 {
        agent.send(json!({"type": "sing"})).await;
    }
    assert_eq!(agent.expect_close().await, 1008);
    resume(&server, &token, &session, seq, false).await;
    server.shutdown().await;
}

// ----------------------------------------------------------------------------------------------
// 4. What the statistics count.

/// The wallboard's next `queue_stats` of `queue` whose `today` window satisfies `fits`.
async fn stats_where(wall: &mut Client, queue: &str, fits: impl Fn(&Value) -> bool) -> Value {
    wall.expect_where("queue_stats", |m| m["queue"] == queue && fits(&m["today"]))
        .await["today"]
        .clone()
}

/// ASA counts a call's wait from entering the queue to the answer: the time it rang at the
/// agent included. A short abandon is counted in `offered` and `short_abandoned`, not in
/// `abandoned`; the abandonment rate is abandoned / (offered − short abandoned).
#[tokio::test]
async fn asa_includes_ring_time_and_short_abandons_are_offered() {
    // Queue `rings` (a minute's ring timeout) with agent `r1`, and queue `brief` (5 s short
    // abandons) with nobody.
    let hash = acdhub::server::hash_password(net::PASSWORD);
    let server = start(&format!(
        "\n[[tenants.queues]]\nid = \"rings\"\nring_timeout_secs = 60\n\
         \n[[tenants.queues]]\nid = \"brief\"\n\
         service_level = {{ threshold_secs = 20, target_percent = 80, short_abandon_secs = 5 }}\n\
         \n[[tenants.agents]]\nid = \"r1\"\nskills = {{ rings = 1 }}\n\
         \n[[principals]]\nuser = \"r1\"\nrole = \"agent\"\ntenant = \"acme\"\n\
         password_hash = \"{hash}\"\n"
    ))
    .await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    wall.ok(json!({"type": "subscribe", "queues": ["rings", "brief"], "tenant_total": false}))
        .await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "r1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "c-1", "queue": "rings"}))
        .await;
    agent.expect("offer").await;
    // Offered at once, it rings for 5 s before the agent answers.
    server.advance_clock(Duration::from_secs(5)).await;
    agent.ok(json!({"type": "accept", "call": "c-1"})).await;
    let today = stats_where(&mut wall, "rings", |t| t["answered"] == 1).await;
    let asa = today["asa_secs"].as_f64().unwrap();
    assert!(
        (5.0..6.0).contains(&asa),
        "the ring time is in ASA: {today}"
    );

    // Hung up after 1 s, under the 5 s short-abandon threshold; then one after 10 s.
    pbx.ok(json!({"type": "call_arrived", "call": "s-1", "queue": "brief"}))
        .await;
    server.advance_clock(Duration::from_secs(1)).await;
    pbx.ok(json!({"type": "call_ended", "call": "s-1"})).await;
    let today = stats_where(&mut wall, "brief", |t| t["short_abandoned"] == 1).await;
    assert_eq!(
        (&today["offered"], &today["abandoned"]),
        (&json!(1), &json!(0)),
        "a short abandon is offered, not abandoned: {today}"
    );
    assert_eq!(
        today["abandonment_rate_percent"],
        Value::Null,
        "0 / (1 - 1)"
    );
    pbx.ok(json!({"type": "call_arrived", "call": "s-2", "queue": "brief"}))
        .await;
    server.advance_clock(Duration::from_secs(10)).await;
    pbx.ok(json!({"type": "call_ended", "call": "s-2"})).await;
    let today = stats_where(&mut wall, "brief", |t| t["abandoned"] == 1).await;
    assert_eq!(
        (&today["offered"], &today["short_abandoned"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(
        today["abandonment_rate_percent"], 100.0,
        "1 / (2 - 1): {today}"
    );
    server.shutdown().await;
}
