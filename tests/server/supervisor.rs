//! The supervisor's view and actions through the real server: the snapshot of every agent with
//! its queues, forcing states, setting and clearing pending states, reprioritizing and moving
//! waiting calls, each event the action causes saying `by` whom, every role and tenant check,
//! and the audit log that records it all.

use crate::net;
use serde_json::{Value, json};

use crate::net::{Client, PASSWORD, Via};
use acdhub::server::hash_password;

/// Logs `user` in as a supervisor and subscribes; the snapshot is left in the backlog.
async fn supervisor(server: &acdhub::server::Server, user: &str) -> Client {
    let (mut boss, _) = Client::login(server, Via::Ws, user).await;
    boss.ok(json!({"type": "subscribe"})).await;
    boss
}

/// Like `supervisor`, without queue statistics: agents and calls only, so that a test can tell
/// exactly which event comes next.
async fn supervisor_without_statistics(server: &acdhub::server::Server, user: &str) -> Client {
    let (mut boss, _) = Client::login(server, Via::Ws, user).await;
    boss.ok(json!({"type": "subscribe", "queues": [], "tenant_total": false}))
        .await;
    boss
}

/// `a1` logged in, ready, and connected to a new call `call` of `support`.
pub(crate) async fn agent_on_a_call(
    server: &acdhub::server::Server,
    call: &str,
) -> (Client, Client) {
    let (mut agent, _) = Client::login(server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "support"}))
        .await;
    assert_eq!(agent.expect("offer").await["call"], call);
    agent.ok(json!({"type": "accept", "call": call})).await;
    agent.expect_state("a1", "on_call").await;
    (agent, pbx)
}

#[tokio::test]
async fn the_snapshot_has_every_agent_with_its_queues_in_the_tenants_queue_order() {
    // a3's skills are written sales first; its queues still come in the tenant's order.
    let server =
        net::start("\n[[tenants.agents]]\nid = \"a3\"\nskills = { sales = 1, support = 2 }\n")
            .await;
    let mut boss = supervisor(&server, "boss").await;
    for (agent, queues) in [
        ("a1", json!(["support", "sales"])),
        ("a2", json!(["sales"])),
        ("a3", json!(["support", "sales"])),
    ] {
        let state = boss
            .expect_where("agent_state", |m| m["agent"] == agent)
            .await;
        assert_eq!(state["queues"], queues, "{state}");
        assert_eq!(state["state"], "logged_out");
        assert!(state.get("previous").is_none(), "a snapshot: {state}");
        assert!(state.get("by").is_none());
        let pending = boss
            .expect_where("pending_state", |m| m["agent"] == agent)
            .await;
        assert_eq!(pending["pending"], Value::Null);
    }
    // Live updates do not repeat the queues, and what the agent does itself has no `by`.
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    let live = boss.expect_state("a1", "not_ready").await;
    assert!(live.get("queues").is_none(), "{live}");
    assert!(live.get("by").is_none(), "{live}");
    let own = agent.expect_state("a1", "not_ready").await;
    assert!(own.get("by").is_none(), "{own}");
    // An agent's own snapshot has no queues either.
    let (mut tab, _) = Client::login(&server, Via::Ws, "a1").await;
    let snapshot = tab.expect("agent_state").await;
    assert!(snapshot.get("queues").is_none(), "{snapshot}");
    server.shutdown().await;
}

#[tokio::test]
async fn forced_states_reach_the_agent_saying_by_whom() {
    let server = net::start("").await;
    let mut boss = supervisor(&server, "boss").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;

    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "not_ready", "reason": "lunch"}))
        .await;
    let forced = agent
        .expect_where("agent_state", |m| m["reason"] == "lunch")
        .await;
    assert_eq!(forced["by"], "boss", "{forced}");
    assert_eq!(forced["previous"], "not_ready");
    let seen = boss
        .expect_where("agent_state", |m| m["reason"] == "lunch")
        .await;
    assert_eq!(seen["by"], "boss", "supervisors see who did it: {seen}");

    // Made ready with a call waiting: the ready is the supervisor's, the offer the ACD's.
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "w-1", "queue": "sales"}))
        .await;
    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "ready"}))
        .await;
    assert_eq!(agent.expect_state("a1", "ready").await["by"], "boss");
    assert_eq!(agent.expect("offer").await["call"], "w-1");
    let ringing = agent.expect_state("a1", "ringing").await;
    assert!(ringing.get("by").is_none(), "{ringing}");
    agent.ok(json!({"type": "reject", "call": "w-1"})).await;
    pbx.ok(json!({"type": "call_ended", "call": "w-1"})).await;

    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "logged_out"}))
        .await;
    let out = agent.expect_state("a1", "logged_out").await;
    assert_eq!(out["by"], "boss", "{out}");
    assert_eq!(boss.expect_state("a1", "logged_out").await["by"], "boss");

    // The agent's own next step carries no `by`.
    agent.ok(json!({"type": "login"})).await;
    let back = agent.expect_state("a1", "not_ready").await;
    assert!(back.get("by").is_none(), "{back}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_pending_state_set_by_the_supervisor_waits_for_the_call_and_wrap_up() {
    let server = net::start("").await;
    let mut boss = supervisor(&server, "boss").await;
    let (mut agent, _pbx) = agent_on_a_call(&server, "c-1").await;

    boss.ok(json!({"type": "set_pending", "agent": "a1", "state": "not_ready", "reason": "break"}))
        .await;
    let pending = agent
        .expect_where("pending_state", |m| !m["pending"].is_null())
        .await;
    assert_eq!(
        pending["pending"],
        json!({"state": "not_ready", "reason": "break"})
    );
    assert_eq!(pending["by"], "boss");
    let seen = boss
        .expect_where("pending_state", |m| {
            m["agent"] == "a1" && !m["pending"].is_null()
        })
        .await;
    assert_eq!(seen["by"], "boss", "supervisors see who did it: {seen}");

    // The call goes on; after it and its wrap-up the agent takes the pending state.
    agent.ok(json!({"type": "hangup", "call": "c-1"})).await;
    agent.expect_state("a1", "wrap_up").await;
    agent.ok(json!({"type": "end_wrap_up"})).await;
    let applied = agent.expect("pending_state").await;
    assert_eq!(applied["pending"], Value::Null);
    assert!(applied.get("by").is_none(), "applied by the ACD: {applied}");
    let state = agent.expect_state("a1", "not_ready").await;
    assert_eq!(state["reason"], "break");
    assert_eq!(state["previous"], "wrap_up");
    assert!(state.get("by").is_none(), "{state}");
    server.shutdown().await;
}

#[tokio::test]
async fn the_supervisor_clears_a_pending_state_and_agents_clear_only_their_own() {
    let server = net::start("").await;
    let mut boss = supervisor(&server, "boss").await;
    let (mut agent, _pbx) = agent_on_a_call(&server, "c-2").await;
    boss.ok(json!({"type": "set_pending", "agent": "a1", "state": "logged_out"}))
        .await;
    let set = agent
        .expect_where("pending_state", |m| !m["pending"].is_null())
        .await;
    assert_eq!(set["pending"], json!({"state": "logged_out"}));

    boss.ok(json!({"type": "clear_pending", "agent": "a1"}))
        .await;
    let cleared = agent.expect("pending_state").await;
    assert_eq!(cleared["pending"], Value::Null);
    assert_eq!(cleared["by"], "boss", "{cleared}");
    assert_eq!(
        boss.refused(json!({"type": "clear_pending", "agent": "a1"}))
            .await,
        "no_pending_state"
    );
    assert_eq!(
        boss.refused(json!({"type": "clear_pending"})).await,
        "bad_message",
        "a supervisor names the agent"
    );

    // Another agent may not clear a1's pending state; a1 may, naming itself or not.
    boss.ok(json!({"type": "set_pending", "agent": "a1", "state": "logged_out"}))
        .await;
    let (mut other, _) = Client::login(&server, Via::Ws, "a2").await;
    assert_eq!(
        other
            .refused(json!({"type": "clear_pending", "agent": "a1"}))
            .await,
        "forbidden"
    );
    agent
        .ok(json!({"type": "clear_pending", "agent": "a1"}))
        .await;
    let own = agent
        .expect_where("pending_state", |m| m["pending"].is_null())
        .await;
    assert!(own.get("by").is_none(), "the agent's own doing: {own}");

    // Nothing pending any more: after the call and wrap-up the agent is ready.
    agent.ok(json!({"type": "hangup", "call": "c-2"})).await;
    agent.ok(json!({"type": "end_wrap_up"})).await;
    agent.expect_state("a1", "ready").await;
    server.shutdown().await;
}

#[tokio::test]
async fn bad_supervisor_actions_get_their_code_and_change_nothing() {
    let server = net::start("").await;
    let mut boss = supervisor_without_statistics(&server, "boss").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    boss.expect_state("a1", "ready").await;
    agent.backlog.clear();
    boss.backlog.clear();

    for (command, code) in [
        (
            json!({"type": "set_pending", "agent": "a1", "state": "logged_out"}),
            "agent_not_busy",
        ),
        (
            json!({"type": "set_pending", "agent": "a2", "state": "logged_out"}),
            "not_logged_in",
        ),
        (
            json!({"type": "set_pending", "agent": "a1", "state": "not_ready", "reason": "nap"}),
            "unknown_reason",
        ),
        (
            json!({"type": "set_pending", "agent": "a1", "state": "not_ready", "reason": "no_answer"}),
            "unknown_reason",
        ),
        (
            json!({"type": "set_pending", "agent": "zed", "state": "logged_out"}),
            "unknown_agent",
        ),
        (
            json!({"type": "set_pending", "agent": "a1", "state": "ready"}),
            "bad_message",
        ),
        (
            json!({"type": "set_pending", "agent": "a1", "state": "logged_out", "reason": "break"}),
            "bad_message",
        ),
        (
            json!({"type": "set_pending", "agent": "a1", "state": "not_ready"}),
            "bad_message",
        ),
        (
            json!({"type": "clear_pending", "agent": "a1"}),
            "no_pending_state",
        ),
        (
            json!({"type": "clear_pending", "agent": "zed"}),
            "unknown_agent",
        ),
        (
            json!({"type": "set_call_priority", "call": "nope", "priority": 3}),
            "unknown_call",
        ),
        (
            json!({"type": "move_call", "call": "nope", "queue": "sales"}),
            "unknown_call",
        ),
    ] {
        let what = command.to_string();
        assert_eq!(boss.refused(command).await, code, "{what}");
    }
    // Nothing happened: the next thing either hears is the agent's own next step.
    agent
        .ok(json!({"type": "not_ready", "reason": "break"}))
        .await;
    let state = boss.next_event_is("agent_state").await;
    assert_eq!(state["previous"], "ready", "{state}");
    let states: Vec<&Value> = agent
        .backlog
        .iter()
        .filter(|m| m["type"] == "agent_state" || m["type"] == "pending_state")
        .collect();
    assert_eq!(states.len(), 1, "{states:?}");
    assert_eq!(states[0]["previous"], "ready");
    boss.ok(json!({"type": "ping"})).await;
    server.shutdown().await;
}

#[tokio::test]
async fn call_actions_say_by_whom_and_a_move_says_from_where() {
    let second_supervisor = format!(
        "\n[[principals]]\nuser = \"boss2\"\nrole = \"supervisor\"\ntenant = \"acme\"\npassword_hash = \"{}\"\n",
        hash_password(PASSWORD)
    );
    let server = net::start(&second_supervisor).await;
    let mut boss = supervisor(&server, "boss").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "w-1", "queue": "support"}))
        .await;
    let arrived = boss
        .expect_where("call_state", |m| m["call"] == "w-1")
        .await;
    for field in ["by", "reason", "from_queue"] {
        assert!(arrived.get(field).is_none(), "{field}: {arrived}");
    }

    boss.ok(json!({"type": "set_call_priority", "call": "w-1", "priority": 9}))
        .await;
    let raised = boss
        .expect_where("call_state", |m| m["call"] == "w-1")
        .await;
    assert_eq!(raised["priority"], 9);
    assert_eq!(raised["by"], "boss");
    assert!(
        raised.get("reason").is_none(),
        "it stayed in its queue: {raised}"
    );

    boss.ok(json!({"type": "move_call", "call": "w-1", "queue": "sales"}))
        .await;
    let moved = boss
        .expect_where("call_state", |m| m["call"] == "w-1")
        .await;
    assert_eq!(moved["queue"], "sales");
    assert_eq!(moved["reason"], "moved");
    assert_eq!(moved["from_queue"], "support");
    assert_eq!(moved["by"], "boss");
    assert_eq!(moved["priority"], 9, "the priority goes with the call");

    // Another supervisor sees the same, and the next change of the call is nobody's action.
    let (mut second, _) = Client::login(&server, Via::Ws, "boss2").await;
    second.ok(json!({"type": "subscribe", "queues": []})).await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a2").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let offered = boss
        .expect_where("call_state", |m| {
            m["call"] == "w-1" && m["status"] == "ringing"
        })
        .await;
    for field in ["by", "reason", "from_queue"] {
        assert!(offered.get(field).is_none(), "{field}: {offered}");
    }
    let also = second
        .expect_where("call_state", |m| {
            m["call"] == "w-1" && m["status"] == "ringing"
        })
        .await;
    assert_eq!(also["agent"], "a2");
    server.shutdown().await;
}

#[tokio::test]
async fn a_call_that_waited_too_long_says_so_without_a_by() {
    let hash = hash_password(PASSWORD);
    let server = net::start(&format!(
        r#"
[[tenants]]
id = "initech"
time_zone = "UTC"

[[tenants.queues]]
id = "front"
max_wait = {{ after_secs = 1, overflow_to = "back" }}

[[tenants.queues]]
id = "back"

[[principals]]
user = "iboss"
role = "supervisor"
tenant = "initech"
password_hash = "{hash}"

[[principals]]
user = "ipbx"
role = "telephony"
tenant = "initech"
password_hash = "{hash}"
"#
    ))
    .await;
    let mut boss = supervisor(&server, "iboss").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "ipbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "slow-1", "queue": "front"}))
        .await;
    let overflowed = boss
        .expect_where("call_state", |m| {
            m["call"] == "slow-1" && m["queue"] == "back"
        })
        .await;
    assert_eq!(overflowed["reason"], "max_wait");
    assert_eq!(overflowed["from_queue"], "front");
    assert!(overflowed.get("by").is_none(), "{overflowed}");
    server.shutdown().await;
}

/// Every supervisor action, as each role other than supervisor would send it.
fn supervisor_actions() -> Vec<Value> {
    vec![
        json!({"type": "force_state", "agent": "a2", "state": "logged_out"}),
        json!({"type": "set_pending", "agent": "a2", "state": "logged_out"}),
        json!({"type": "clear_pending", "agent": "a2"}),
        json!({"type": "set_call_priority", "call": "w-1", "priority": 1}),
        json!({"type": "move_call", "call": "w-1", "queue": "sales"}),
    ]
}

#[tokio::test]
async fn agents_wallboards_and_telephony_may_not_act_as_supervisors() {
    let server = net::start("").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "w-1", "queue": "support"}))
        .await;
    let (mut other, _) = Client::login(&server, Via::Ws, "a2").await;
    other.ok(json!({"type": "login"})).await;
    let mut boss = supervisor_without_statistics(&server, "boss").await;
    boss.backlog.clear();
    for user in ["a1", "wall", "pbx"] {
        let (mut client, _) = Client::login(&server, Via::Ws, user).await;
        for command in supervisor_actions() {
            let what = command.to_string();
            assert_eq!(client.refused(command).await, "forbidden", "{user}: {what}");
        }
        client.ok(json!({"type": "ping"})).await;
    }
    // Nothing changed: the supervisor's next event is a2's own next step.
    other.ok(json!({"type": "ready"})).await;
    let state = boss.next_event_is("agent_state").await;
    assert_eq!(
        (state["agent"].clone(), state["previous"].clone()),
        (json!("a2"), json!("not_ready"))
    );
    assert!(state.get("by").is_none());
    server.shutdown().await;
}

#[tokio::test]
async fn an_agent_of_another_tenant_is_unknown_and_that_tenant_hears_nothing() {
    let server = net::start(&net::second_tenant()).await;
    // A call waits; the agent logs in after it, so its ack comes after every event so far.
    let (mut g_agent, _) = Client::login(&server, Via::Ws, "g1").await;
    let (mut g_pbx, _) = Client::login(&server, Via::Ws, "gpbx").await;
    g_pbx
        .ok(json!({"type": "call_arrived", "call": "g-call", "queue": "support"}))
        .await;
    g_agent.ok(json!({"type": "login"})).await;
    let mut g_boss = supervisor_without_statistics(&server, "gboss").await;
    g_boss
        .expect_where("call_state", |m| m["call"] == "g-call")
        .await;
    g_agent.backlog.clear();
    g_boss.backlog.clear();

    let mut boss = supervisor(&server, "boss").await;
    for (command, code) in [
        (
            json!({"type": "force_state", "agent": "g1", "state": "logged_out"}),
            "unknown_agent",
        ),
        (
            json!({"type": "set_pending", "agent": "g1", "state": "logged_out"}),
            "unknown_agent",
        ),
        (
            json!({"type": "clear_pending", "agent": "g1"}),
            "unknown_agent",
        ),
        (
            json!({"type": "set_call_priority", "call": "g-call", "priority": 7}),
            "unknown_call",
        ),
        (
            json!({"type": "move_call", "call": "g-call", "queue": "support"}),
            "unknown_call",
        ),
    ] {
        let what = command.to_string();
        assert_eq!(boss.refused(command).await, code, "{what}");
    }

    // The other tenant's next events are its own agent's doing, and the call is untouched.
    g_agent.ok(json!({"type": "ready"})).await;
    let first = &g_agent.backlog[0];
    assert_eq!(first["type"], "agent_state", "{first}");
    assert_eq!(first["previous"], "not_ready");
    let state = g_boss.next_event_is("agent_state").await;
    assert_eq!(state["state"], "ready");
    assert!(state.get("by").is_none());
    let call = g_boss
        .expect_where("call_state", |m| m["call"] == "g-call")
        .await;
    assert_eq!(call["priority"], 0);
    assert_eq!(call["status"], "ringing");
    server.shutdown().await;
}

/// The wall clock, to hold the audit records' `at` against.
#[allow(clippy::disallowed_methods)] // The test compares the server's clock with the real one.
fn wall_clock() -> jiff::Timestamp {
    jiff::Timestamp::now()
}

/// The audit file's records, one JSON object per line.
pub(crate) fn audit_records(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).expect("the audit log exists");
    assert!(text.ends_with('\n'), "every record is a whole line");
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[tokio::test]
async fn the_audit_log_has_one_line_per_supervisor_action_done_or_refused() {
    let dir = net::fresh_dir("audit");
    let path = dir.join("audit.jsonl");
    let server =
        net::start_with_server_keys(&format!("audit_log = {:?}", path.display().to_string()), "")
            .await;
    let started = wall_clock();
    let (mut boss, auth) = Client::login(&server, Via::Ws, "boss").await;
    let token = auth["token"].as_str().unwrap().to_owned();
    let (mut agent, _) = agent_on_a_call(&server, "c-1").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "w-1", "queue": "support"}))
        .await;

    let ok = "ok";
    let steps: Vec<(Value, &str)> = vec![
        (
            json!({"type": "set_pending", "agent": "a1", "state": "not_ready", "reason": "break"}),
            ok,
        ),
        (json!({"type": "clear_pending", "agent": "a1"}), ok),
        (
            json!({"type": "clear_pending", "agent": "a1"}),
            "no_pending_state",
        ),
        (
            json!({"type": "set_pending", "agent": "a2", "state": "logged_out"}),
            "not_logged_in",
        ),
        (
            json!({"type": "force_state", "agent": "a1", "state": "logged_out"}),
            ok,
        ),
        (
            json!({"type": "force_state", "agent": "zed", "state": "ready"}),
            "unknown_agent",
        ),
        (
            json!({"type": "set_call_priority", "call": "w-1", "priority": 4}),
            ok,
        ),
        (
            json!({"type": "move_call", "call": "w-1", "queue": "sales"}),
            ok,
        ),
        (
            json!({"type": "move_call", "call": "c-1", "queue": "sales"}),
            "not_waiting",
        ),
    ];
    for (command, result) in &steps {
        let reply = boss.request(command.clone()).await;
        let got = reply["code"].as_str().unwrap_or(ok);
        assert_eq!(got, *result, "{command} -> {reply}");
    }
    // Refused before the engine: a wallboard and an agent trying supervisor actions.
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    let move_it = json!({"type": "move_call", "call": "w-1", "queue": "support"});
    assert_eq!(wall.refused(move_it).await, "forbidden");
    let clear_other = json!({"type": "clear_pending", "agent": "a2"});
    assert_eq!(agent.refused(clear_other).await, "forbidden");
    // Not supervisor actions, so not audited: subscribing, an agent clearing its own pending
    // state (the one the forced logout left).
    boss.ok(json!({"type": "subscribe"})).await;
    agent.ok(json!({"type": "clear_pending"})).await;

    // Every record is written before its reply: the file is complete now.
    let records = audit_records(&path);
    let expected: Vec<(&str, &str, &str, &str, Value, &str)> = vec![
        (
            "boss",
            "supervisor",
            "set_pending",
            "a1",
            json!({"state": "not_ready", "reason": "break"}),
            ok,
        ),
        ("boss", "supervisor", "clear_pending", "a1", json!({}), ok),
        (
            "boss",
            "supervisor",
            "clear_pending",
            "a1",
            json!({}),
            "no_pending_state",
        ),
        (
            "boss",
            "supervisor",
            "set_pending",
            "a2",
            json!({"state": "logged_out"}),
            "not_logged_in",
        ),
        (
            "boss",
            "supervisor",
            "force_state",
            "a1",
            json!({"state": "logged_out"}),
            ok,
        ),
        (
            "boss",
            "supervisor",
            "force_state",
            "zed",
            json!({"state": "ready"}),
            "unknown_agent",
        ),
        (
            "boss",
            "supervisor",
            "set_call_priority",
            "w-1",
            json!({"priority": 4}),
            ok,
        ),
        (
            "boss",
            "supervisor",
            "move_call",
            "w-1",
            json!({"queue": "sales"}),
            ok,
        ),
        (
            "boss",
            "supervisor",
            "move_call",
            "c-1",
            json!({"queue": "sales"}),
            "not_waiting",
        ),
        (
            "wall",
            "wallboard",
            "move_call",
            "w-1",
            json!({"queue": "support"}),
            "forbidden",
        ),
        ("a1", "agent", "clear_pending", "a2", json!({}), "forbidden"),
    ];
    assert_eq!(records.len(), expected.len(), "{records:#?}");
    let finished = wall_clock();
    let mut last = started;
    for (record, (user, role, action, target, detail, result)) in records.iter().zip(expected) {
        let mut fields: Vec<&str> = record
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "action", "at", "detail", "result", "role", "target", "tenant", "user"
            ],
            "who, what, on whom, when, with what result, and nothing else: {record}"
        );
        assert_eq!(record["tenant"], "acme");
        assert_eq!(record["user"], user, "{record}");
        assert_eq!(record["role"], role, "{record}");
        assert_eq!(record["action"], action, "{record}");
        assert_eq!(record["target"], target, "{record}");
        assert_eq!(record["detail"], detail, "{record}");
        assert_eq!(record["result"], result, "{record}");
        let text = record["at"].as_str().unwrap();
        assert_eq!(
            text.len(),
            "2023-11-14T22:13:20.000Z".len(),
            "RFC 3339 with ms: {text}"
        );
        let at: jiff::Timestamp = text.parse().unwrap();
        // The server's clock runs on the monotonic clock from its first reading; allow a second.
        let slack = jiff::SignedDuration::from_secs(1);
        assert!(at >= last - slack && at <= finished + slack, "{text}");
        last = at;
    }
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(!text.contains(PASSWORD), "no password in the audit log");
    assert!(!text.contains(&token), "no token in the audit log");
    server.shutdown().await;

    // A restarted server appends to the same file.
    let server =
        net::start_with_server_keys(&format!("audit_log = {:?}", path.display().to_string()), "")
            .await;
    let mut boss = supervisor(&server, "boss").await;
    boss.refused(json!({"type": "force_state", "agent": "a2", "state": "ready"}))
        .await;
    let records = audit_records(&path);
    assert_eq!(records.len(), 12, "appended, not truncated");
    assert_eq!(records[11]["result"], "not_logged_in");
    server.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn an_audit_log_that_cannot_be_opened_stops_the_start_naming_the_file() {
    let dir = net::fresh_dir("audit-missing");
    let path = dir.join("no-such-dir").join("audit.jsonl");
    let text = net::config_text("").replacen(
        "[server]\n",
        &format!("[server]\naudit_log = {:?}\n", path.display().to_string()),
        1,
    );
    let file = acdhub::config::parse(&text, "test.toml").unwrap();
    let error = match acdhub::server::Server::start(file).await {
        Ok(_) => panic!("the server started without its audit log"),
        Err(error) => error.to_string(),
    };
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert!(error.contains("audit log"), "{error}");
    let _ = std::fs::remove_dir_all(dir);
}
