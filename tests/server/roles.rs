//! What each role sees and may do through the wire: ring-no-answer and reject, one agent on two
//! sessions, a supervisor's actions, the demo simulator in real time, and tenants that never see
//! each other.

use crate::net;
use serde_json::json;

use crate::net::{Client, Via};
use acdhub::server::hash_password;

#[tokio::test]
async fn reject_and_ring_no_answer_put_the_call_back_and_two_misses_make_the_agent_not_ready() {
    let server = net::start("").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    agent.expect_state("a1", "ready").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "c-7", "queue": "support"}))
        .await;

    agent.expect("offer").await;
    agent.ok(json!({"type": "reject", "call": "c-7"})).await;
    let cancelled = agent.expect("offer_cancelled").await;
    assert_eq!(cancelled["reason"], "rejected");
    assert_eq!(pbx.expect("offer_cancelled").await["reason"], "rejected");
    let waiting = agent
        .expect_where("queue_waiting", |m| {
            m["queue"] == "support" && m["waiting"] == 1
        })
        .await;
    assert!(
        waiting["oldest_waiting_since"].is_string(),
        "the call waits again"
    );

    // After the reject delay the call comes back to the only agent, who lets it ring out.
    let again = agent.expect("offer").await;
    assert_eq!(again["call"], "c-7");
    let missed = agent.expect("offer_cancelled").await;
    assert_eq!(missed["reason"], "ring_no_answer");
    assert_eq!(
        pbx.expect("offer_cancelled").await["reason"],
        "ring_no_answer"
    );
    let state = agent.expect_state("a1", "not_ready").await;
    assert_eq!(
        state["reason"], "no_answer",
        "two misses in a row (max_ring_no_answer = 2)"
    );
    server.shutdown().await;
}

#[tokio::test]
async fn two_sessions_of_one_agent_both_receive_its_events() {
    let server = net::start("").await;
    let (mut tab1, _) = Client::login(&server, Via::Ws, "a1").await;
    let (mut tab2, _) = Client::login(&server, Via::Wss, "a1").await;
    tab1.ok(json!({"type": "login"})).await;
    tab2.expect_state("a1", "not_ready").await;
    tab2.ok(json!({"type": "ready"})).await;
    tab1.expect_state("a1", "ready").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "c-1", "queue": "sales"}))
        .await;
    assert_eq!(tab1.expect("offer").await["call"], "c-1");
    assert_eq!(tab2.expect("offer").await["call"], "c-1");
    tab2.ok(json!({"type": "accept", "call": "c-1"})).await;
    tab1.expect("call_connected").await;
    tab2.expect("call_connected").await;
    // A third session opened mid-call learns the call at once.
    let (mut tab3, _) = Client::login(&server, Via::Ws, "a1").await;
    let connected = tab3.expect("call_connected").await;
    assert_eq!(connected["call"], "c-1");
    server.shutdown().await;
}

#[tokio::test]
async fn a_supervisor_sees_the_tenant_and_acts_on_agents_and_waiting_calls() {
    let server = net::start("").await;
    let (mut boss, result) = Client::login(&server, Via::Ws, "boss").await;
    assert_eq!(
        result["agents"],
        json!([]),
        "the roster comes from list_agents"
    );
    let roster = boss.request(json!({"type": "list_agents"})).await;
    assert_eq!(
        roster["result"]["agents"].as_array().unwrap().len(),
        2,
        "{roster}"
    );
    boss.ok(json!({"type": "subscribe"})).await;
    for agent in ["a1", "a2"] {
        boss.expect_where("agent_state", |m| m["agent"] == agent)
            .await;
    }
    boss.expect_where("queue_stats", |m| m["queue"] == "support")
        .await;
    boss.expect_where("queue_stats", |m| m["queue"] == "sales")
        .await;

    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "ready"}))
        .await;
    agent.expect_state("a1", "ready").await;
    boss.expect_state("a1", "ready").await;
    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "not_ready", "reason": "lunch"}))
        .await;
    let forced = agent.expect_state("a1", "not_ready").await;
    assert_eq!(forced["reason"], "lunch");

    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "w-1", "queue": "support", "caller": "+4940"}))
        .await;
    let waiting = boss
        .expect_where("call_state", |m| m["call"] == "w-1")
        .await;
    assert_eq!(waiting["status"], "waiting");
    assert_eq!(waiting["priority"], 0);
    boss.ok(json!({"type": "set_call_priority", "call": "w-1", "priority": 9}))
        .await;
    let raised = boss
        .expect_where("call_state", |m| m["call"] == "w-1")
        .await;
    assert_eq!(raised["priority"], 9);
    boss.ok(json!({"type": "move_call", "call": "w-1", "queue": "sales"}))
        .await;
    let moved = boss
        .expect_where("call_state", |m| m["call"] == "w-1")
        .await;
    assert_eq!(moved["queue"], "sales");
    assert_eq!(
        boss.refused(json!({"type": "move_call", "call": "w-1", "queue": "nowhere"}))
            .await,
        "unknown_queue"
    );

    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "logged_out"}))
        .await;
    agent.expect_state("a1", "logged_out").await;
    pbx.ok(json!({"type": "caller_hung_up", "call": "w-1"}))
        .await;
    let left = boss.expect("call_left").await;
    assert_eq!(left["reason"], "abandoned");
    server.shutdown().await;
}

#[tokio::test]
async fn the_simulator_plays_telephony_in_real_time() {
    // One queue, one agent for a person, callers every few seconds on average.
    let server = net::start(
        "[simulator]\ntenant = \"acme\"\nseed = 3\ncalls_per_hour = { support = 3600 }\n",
    )
    .await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let offer = agent.expect("offer").await;
    let call = offer["call"].as_str().unwrap().to_owned();
    agent.ok(json!({"type": "accept", "call": call})).await;
    agent.expect("call_connected").await;
    agent.ok(json!({"type": "hangup", "call": call})).await;
    assert_eq!(agent.expect("call_left").await["reason"], "completed");
    agent.expect_state("a1", "wrap_up").await;
    server.shutdown().await;
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let hash = hash_password(net::PASSWORD);
    let mut other = String::from(
        r#"
[[tenants]]
id = "globex"
time_zone = "America/New_York"

[[tenants.queues]]
id = "support"

[[tenants.agents]]
id = "g1"
skills = { support = 3 }
"#,
    );
    for (user, role) in [
        ("g1", "agent"),
        ("gwall", "wallboard"),
        ("gboss", "supervisor"),
        ("gpbx", "telephony"),
    ] {
        other.push_str(&format!(
            "\n[[principals]]\nuser = \"{user}\"\nrole = \"{role}\"\ntenant = \"globex\"\npassword_hash = \"{hash}\"\n"
        ));
    }
    let server = net::start(&other).await;

    // The second tenant's agent, wallboard and supervisor, all listening.
    let (mut g_agent, _) = Client::login(&server, Via::Ws, "g1").await;
    g_agent.expect_where("queue_waiting", |_| true).await;
    let (mut g_wall, _) = Client::login(&server, Via::Ws, "gwall").await;
    g_wall.ok(json!({"type": "subscribe"})).await;
    g_wall.expect("queue_stats").await;
    let (mut g_boss, result) = Client::login(&server, Via::Ws, "gboss").await;
    assert_eq!(result["tenant"], "globex");
    let roster = g_boss.request(json!({"type": "list_agents"})).await;
    assert_eq!(
        roster["result"]["agents"],
        json!([{"id": "g1", "name": "g1", "state": "logged_out"}]),
        "only its own tenant's agents"
    );
    g_boss.ok(json!({"type": "subscribe"})).await;
    g_boss.expect("queue_stats").await;
    g_agent.backlog.clear();
    g_wall.backlog.clear();
    g_boss.backlog.clear();

    // The first tenant takes a call from start to end.
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    pbx.ok(json!({"type": "call_arrived", "call": "x-1", "queue": "support"}))
        .await;
    agent.expect("offer").await;
    agent.ok(json!({"type": "accept", "call": "x-1"})).await;
    agent.ok(json!({"type": "hangup", "call": "x-1"})).await;

    // The second tenant cannot reach into the first.
    assert_eq!(
        g_boss
            .refused(json!({"type": "force_state", "agent": "a1", "state": "logged_out"}))
            .await,
        "unknown_agent"
    );
    let (mut g_pbx, _) = Client::login(&server, Via::Ws, "gpbx").await;
    assert_eq!(
        g_pbx
            .refused(json!({"type": "call_ended", "call": "x-1"}))
            .await,
        "unknown_call"
    );
    assert_eq!(
        g_boss
            .refused(json!({"type": "subscribe", "queues": ["sales"]}))
            .await,
        "unknown_queue"
    );

    // Now something happens in the second tenant. Everything the first tenant did was done
    // (acknowledged) before, so anything of it that leaked would have been queued first.
    g_agent.ok(json!({"type": "login"})).await;
    let first = &g_agent.backlog[0];
    assert_eq!(first["type"], "agent_state", "{first}");
    assert_eq!(first["agent"], "g1");
    assert_eq!(first["reason"], "login");
    let state = g_boss.next_event_is("agent_state").await;
    assert_eq!(state["agent"], "g1");
    let stats = g_wall.next_event_is("queue_stats").await;
    assert_eq!(
        stats["today"]["offered"], 0,
        "the other tenant's call is not counted"
    );
    assert_eq!(stats["agents"]["logged_in"], 1);
    server.shutdown().await;
}

#[tokio::test]
async fn a_snapshot_larger_than_the_outbound_queue_does_not_count_as_falling_behind() {
    // Two agents (state and pending each), two queues and the totals make seven snapshot events.
    let server = net::start("[limits]\noutbound_queue = 4\n").await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    assert_eq!(boss.backlog.len(), 7, "{:?}", boss.backlog);
    let (mut agent, _) = Client::login(&server, Via::Ws, "a2").await;
    agent.ok(json!({"type": "login"})).await;
    boss.expect_state("a2", "not_ready").await;
    boss.ok(json!({"type": "ping"})).await;
    server.shutdown().await;
}

#[tokio::test]
async fn the_demo_serves_its_documented_logins_and_opens_on_an_hour_of_traffic() {
    let mut file = acdhub::demo::demo();
    file.server.ws = "127.0.0.1:0".parse().unwrap();
    file.server.wss = "127.0.0.1:0".parse().unwrap();
    file.metrics.listen = "127.0.0.1:0".parse().unwrap();
    let server = acdhub::server::Server::start(file).await.unwrap();
    let ws = server.ws_addr().unwrap();
    for (user, role) in [
        ("agent1", "agent"),
        ("agent2", "agent"),
        ("agent3", "agent"),
        ("supervisor", "supervisor"),
        ("wallboard", "wallboard"),
        ("pbx", "telephony"),
    ] {
        let mut client = Client::connect_at(ws, Via::Ws).await;
        let reply = client
            .request(json!({"type": "auth", "user": user, "password": "demo"}))
            .await;
        assert_eq!(reply["type"], "ack", "{user}: {reply}");
        assert_eq!(reply["result"]["role"], role);
        assert_eq!(reply["result"]["tenant"], "demo");
        if role == "wallboard" {
            client.ok(json!({"type": "subscribe"})).await;
            let support = client
                .expect_where("queue_stats", |m| m["queue"] == "support")
                .await;
            // The rolling 15 minutes, not today: "today" may have begun a minute ago. About 12
            // support calls arrive in 15 minutes; none at all has a chance of about 1e-5.
            let offered = support["rolling"]["offered"].as_u64().unwrap();
            assert!(offered > 0, "the warm-up hour brought calls: {support}");
            assert!(support["agents"]["logged_in"].as_u64().unwrap() > 0);
        }
    }
    server.shutdown().await;
}
