//! Sessions that outlive their connection: resume with exactly the missed events, resync when
//! that is not possible, takeover of a connection the client thinks dead (4009), and the grace
//! period of an agent whose connection dropped. Real clients over loopback.

use crate::{net, schema};
use std::time::Duration;

use serde_json::{Value, json};

use crate::net::{Client, Via};

/// Logs `user` in over ws; returns the client, its token and its session id.
async fn session(server: &acdhub::server::Server, user: &str) -> (Client, String, String) {
    let (client, result) = Client::login(server, Via::Ws, user).await;
    assert_eq!(
        result["resumed"], false,
        "a password login starts a session"
    );
    let token = result["token"].as_str().unwrap().to_owned();
    let session = result["session"].as_str().unwrap().to_owned();
    assert_ne!(token, session, "the session id is not the token");
    (client, token, session)
}

/// A supervisor, subscribed, its snapshot read.
async fn supervisor(server: &acdhub::server::Server) -> Client {
    let (mut boss, _) = Client::login(server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe"})).await;
    boss.backlog.clear();
    boss
}

/// The events of `client`'s backlog, by seq.
fn seqs(events: &[Value]) -> Vec<u64> {
    events.iter().filter_map(|e| e["seq"].as_u64()).collect()
}

#[tokio::test]
async fn a_resume_replays_exactly_the_missed_events_then_what_happened_meanwhile() {
    let server = net::start("").await;
    let (mut agent, token, id) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let received = agent.last_seq;
    assert!(received >= 5, "a snapshot and a login: {received} events");
    // The connection drops without a close frame.
    drop(agent);

    // While no connection carries the session, a supervisor changes the agent's state.
    let mut boss = supervisor(&server).await;
    boss.ok(json!({"type": "force_state", "agent": "a1", "state": "not_ready", "reason": "break"}))
        .await;

    // The client says it kept only the events up to two before the last it was sent.
    let lost = 2;
    let addr = net::addr(&server, Via::Ws);
    let (mut back, reply) =
        Client::resume_at(addr, Via::Ws, &token, &id, received - lost, true).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    assert_eq!(reply["result"]["resumed"], true, "{reply}");
    assert_eq!(reply["result"]["session"], id.as_str());
    // Before the ack: the two lost events again, then the supervisor's change, numbered on.
    let before = back.backlog.clone();
    let numbers = seqs(&before);
    assert_eq!(numbers[0], received - lost + 1, "{before:?}");
    assert_eq!(
        numbers,
        (received - lost + 1..=numbers[numbers.len() - 1]).collect::<Vec<_>>(),
        "each event once, in order: {before:?}"
    );
    let forced = before
        .iter()
        .find(|e| e["type"] == "agent_state" && e["reason"] == "break")
        .unwrap_or_else(|| panic!("the change made meanwhile is delivered: {before:?}"));
    assert_eq!(forced["by"], "boss");
    assert!(forced["seq"].as_u64().unwrap() > received);
    assert!(
        !before
            .iter()
            .any(|e| e["type"] == "agent_state" && e.get("previous").is_none()),
        "no snapshot: the session goes on: {before:?}"
    );

    // The session carries on: a command and its event on the new connection.
    back.backlog.clear();
    back.ok(json!({"type": "ready"})).await;
    back.expect_state("a1", "ready").await;
}

#[tokio::test]
async fn a_session_that_lost_events_beyond_its_buffer_resyncs_with_a_fresh_snapshot() {
    // Three events kept: fewer than a login and a few changes produce.
    let server = net::start("[limits]\nreplay_events = 3\n").await;
    let (mut agent, token, id) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    agent
        .ok(json!({"type": "not_ready", "reason": "break"}))
        .await;
    let received = agent.last_seq;
    drop(agent);

    let addr = net::addr(&server, Via::Ws);
    // The client has the first event only: the second is no longer kept.
    let (back, reply) = Client::resume_at(addr, Via::Ws, &token, &id, 1, false).await;
    assert_eq!(reply["type"], "ack", "{reply}");
    assert_eq!(reply["result"]["resumed"], false, "{reply}");
    let new_id = reply["result"]["session"].as_str().unwrap();
    assert_ne!(new_id, id, "a new session");
    // Its snapshot, from seq 1: the agent as it is now.
    let snapshot = &back.backlog;
    assert_eq!(snapshot[0]["seq"], 1, "{snapshot:?}");
    let state = snapshot
        .iter()
        .find(|e| e["type"] == "agent_state")
        .unwrap();
    assert_eq!(state["state"], "not_ready");
    assert_eq!(state["reason"], "break");
    assert!(state.get("previous").is_none(), "a snapshot: {state}");
    assert!(received > 3);

    // The old session is gone: naming it again gets yet another new session.
    let (_, again) = Client::resume_at(addr, Via::Ws, &token, &id, received, false).await;
    assert_eq!(again["result"]["resumed"], false, "{again}");
}

/// `seen` lets the session forget what its client has: a resume from there replays only what
/// came after, one from before it is a resync; a `seen` past the session's last event is refused
/// and forgets nothing.
#[tokio::test]
async fn seen_forgets_what_the_client_has_and_a_resume_from_there_still_replays_the_rest() {
    let server = net::start("").await;
    let (mut agent, token, id) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let received = agent.last_seq;
    assert!(received >= 4, "a snapshot and a login: {received} events");

    // Past the last event: refused, the connection stays up, nothing is forgotten.
    let refused = agent
        .request(json!({"type": "seen", "seq": received + 1}))
        .await;
    assert_eq!(refused["code"], "bad_message", "{refused}");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("past the session's last event"),
        "{refused}"
    );
    for bad in [json!(-1), json!("3"), json!(null)] {
        assert_eq!(
            agent.refused(json!({"type": "seen", "seq": bad})).await,
            "bad_message",
            "{bad}"
        );
    }
    assert_eq!(agent.refused(json!({"type": "seen"})).await, "bad_message");

    // The client has everything up to two before its last.
    let seen = received - 2;
    agent.ok(json!({"type": "seen", "seq": seen})).await;
    // An older one changes nothing.
    agent.ok(json!({"type": "seen", "seq": 1})).await;
    drop(agent);

    let addr = net::addr(&server, Via::Ws);
    // From exactly what it said it has: the two after it, each once.
    let (back, reply) = Client::resume_at(addr, Via::Ws, &token, &id, seen, true).await;
    assert_eq!(reply["result"]["resumed"], true, "{reply}");
    assert_eq!(
        seqs(&back.backlog),
        [seen + 1, seen + 2],
        "{:?}",
        back.backlog
    );
    drop(back);

    // From before what it said it has: those events are gone, so a fresh session.
    let (fresh, reply) = Client::resume_at(addr, Via::Ws, &token, &id, seen - 1, false).await;
    assert_eq!(reply["result"]["resumed"], false, "{reply}");
    assert_ne!(reply["result"]["session"], id.as_str());
    assert_eq!(fresh.backlog[0]["seq"], 1, "{:?}", fresh.backlog);
    let state = fresh
        .backlog
        .iter()
        .find(|e| e["type"] == "agent_state")
        .unwrap();
    assert_eq!(
        state["state"], "ready",
        "the snapshot is the agent as it is"
    );
}

#[tokio::test]
async fn a_resume_takes_the_session_from_a_connection_still_open_which_closes_with_4009() {
    let server = net::start("").await;
    let (mut first, token, id) = session(&server, "a1").await;
    first.ok(json!({"type": "login"})).await;
    let received = first.last_seq;

    let addr = net::addr(&server, Via::Ws);
    let (mut second, reply) = Client::resume_at(addr, Via::Ws, &token, &id, received, true).await;
    assert_eq!(reply["result"]["resumed"], true, "{reply}");
    assert!(
        second.backlog.is_empty(),
        "nothing was missed: {:?}",
        second.backlog
    );
    assert_eq!(first.expect_close().await, 4009);
    second.ok(json!({"type": "ready"})).await;
    let ready = second.expect_state("a1", "ready").await;
    assert_eq!(ready["seq"].as_u64(), Some(received + 1));
}

#[tokio::test]
async fn resume_refuses_another_users_session_and_bad_input_changes_nothing() {
    let server = net::start("").await;
    let (mut agent, _, id) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    let received = agent.last_seq;
    let addr = net::addr(&server, Via::Ws);

    // a2's credentials with a1's session: a new session of a2's own, a1's untouched.
    let mut other = Client::connect_at(addr, Via::Ws).await;
    let reply = other
        .request(json!({
            "type": "auth", "user": "a2", "password": net::PASSWORD,
            "resume": {"session": id, "last_seq": received},
        }))
        .await;
    assert_eq!(reply["result"]["resumed"], false, "{reply}");
    assert_eq!(reply["result"]["agent"], "a2");

    // Ill-formed resumes are refused with bad_message and the connection stays up.
    for resume in [
        json!({"session": "", "last_seq": 1}),
        json!({"session": "x", "last_seq": -1}),
        json!({"session": "x", "last_seq": 1, "extra": true}),
        json!({"session": "x"}),
        json!("x"),
    ] {
        let mut client = Client::connect_at(addr, Via::Ws).await;
        let code = client
            .refused(
                json!({"type": "auth", "user": "a1", "password": net::PASSWORD, "resume": resume}),
            )
            .await;
        assert_eq!(code, "bad_message", "{resume}");
        client
            .ok(json!({"type": "auth", "user": "wall", "password": net::PASSWORD}))
            .await;
    }
    // a1's session still goes on where it was.
    agent.ok(json!({"type": "ready"})).await;
    let ready = agent.expect_state("a1", "ready").await;
    assert_eq!(ready["seq"].as_u64(), Some(received + 1));
}

#[tokio::test]
async fn heartbeats_reach_every_connection_and_hello_says_how_often() {
    let server = net::start("[limits]\nping_interval_secs = 1\n").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    // Nothing else happens: the next messages are heartbeats, each within PATIENCE.
    agent.expect_heartbeats(2).await;
    let mut raw = net::open(&server, Via::Ws, None).await.unwrap();
    let hello = next_text(&mut raw).await;
    assert_eq!(hello["heartbeat_secs"], 1, "{hello}");
    assert!(hello.get("link").is_none(), "a WebSocket has no link id");
    // A connection that has not authenticated (yet) gets them too.
    let beat = next_text(&mut raw).await;
    assert_eq!(beat["type"], "heartbeat", "{beat}");
    assert!(beat.get("seq").is_none());
}

async fn next_text(socket: &mut net::Socket) -> Value {
    use futures_util::StreamExt;
    loop {
        let frame = tokio::time::timeout(net::PATIENCE, socket.next())
            .await
            .expect("a message in time")
            .unwrap()
            .unwrap();
        if let tokio_tungstenite::tungstenite::Message::Text(text) = frame {
            return schema::check_server_message(text.as_str());
        }
    }
}

/// `[server]` keys for a short grace period.
fn grace(secs: u64, action: &str) -> String {
    format!("disconnect_grace_secs = {secs}\non_disconnect = \"{action}\"\n")
}

#[tokio::test]
async fn an_agent_gone_past_the_grace_period_goes_not_ready_disconnected() {
    let server = net::start_with_server_keys(&grace(1, "not_ready"), "").await;
    let mut boss = supervisor(&server).await;
    let (mut agent, _, _) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    boss.expect_state("a1", "ready").await;
    drop(agent);
    let gone = boss.expect_state("a1", "not_ready").await;
    assert_eq!(gone["reason"], "disconnected", "{gone}");
    assert!(gone.get("by").is_none(), "the ACD's doing: {gone}");
}

#[tokio::test]
async fn with_on_disconnect_logout_an_agent_gone_past_the_grace_period_is_logged_out() {
    let server = net::start_with_server_keys(&grace(1, "logout"), "").await;
    let mut boss = supervisor(&server).await;
    let (mut agent, _, _) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    boss.expect_state("a1", "not_ready").await;
    drop(agent);
    boss.expect_state("a1", "logged_out").await;
}

#[tokio::test]
async fn an_agent_back_within_the_grace_period_keeps_its_state() {
    let server = net::start_with_server_keys(&grace(30, "not_ready"), "").await;
    let mut boss = supervisor(&server).await;
    let (mut agent, token, id) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    boss.expect_state("a1", "ready").await;
    let received = agent.last_seq;
    drop(agent);

    let addr = net::addr(&server, Via::Ws);
    let (_back, reply) = Client::resume_at(addr, Via::Ws, &token, &id, received, true).await;
    assert_eq!(reply["result"]["resumed"], true);
    // Past the grace period, by the server's clock.
    server.advance_clock(Duration::from_secs(60)).await;
    // The next event the supervisor sees is a2 logging in now, not a1 going not ready.
    let (mut a2, _) = Client::login(&server, Via::Ws, "a2").await;
    a2.ok(json!({"type": "login"})).await;
    let next = boss.expect("agent_state").await;
    assert_eq!(next["agent"], "a2", "a1 kept its state: {next}");
}

#[tokio::test]
async fn an_agent_on_a_call_that_loses_its_connection_gets_disconnected_as_its_pending_state() {
    let server = net::start_with_server_keys(&grace(1, "not_ready"), "").await;
    let mut boss = supervisor(&server).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let (mut agent, _, _) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    pbx.ok(json!({"type": "call_arrived", "call": "c1", "queue": "support"}))
        .await;
    agent.expect("offer").await;
    agent.ok(json!({"type": "accept", "call": "c1"})).await;
    boss.expect_state("a1", "on_call").await;
    drop(agent);
    let pending = boss
        .expect_where("pending_state", |m| {
            m["agent"] == "a1" && !m["pending"].is_null()
        })
        .await;
    assert_eq!(pending["pending"]["state"], "not_ready", "{pending}");
    assert_eq!(pending["pending"]["reason"], "disconnected", "{pending}");
    // The call goes on: the PBX ends it, and the agent goes not ready after its wrap-up.
    pbx.ok(json!({"type": "call_ended", "call": "c1"})).await;
    boss.expect_state("a1", "wrap_up").await;
}

#[tokio::test]
async fn an_offer_that_rings_while_the_agent_is_away_follows_the_ring_no_answer_rule() {
    // The queues ring for 2 s; the grace period is far longer.
    let server = net::start_with_server_keys(&grace(60, "not_ready"), "").await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let (mut agent, token, id) = session(&server, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;
    let received = agent.last_seq;
    drop(agent);
    pbx.ok(json!({"type": "call_arrived", "call": "away1", "queue": "support"}))
        .await;
    pbx.expect_where("offer", |m| m["call"] == "away1").await;
    let cancelled = pbx
        .expect_where("offer_cancelled", |m| m["call"] == "away1")
        .await;
    assert_eq!(cancelled["reason"], "ring_no_answer", "{cancelled}");
    // Back within the grace period: the offer and its end are among the events replayed.
    let addr = net::addr(&server, Via::Ws);
    let (back, reply) = Client::resume_at(addr, Via::Ws, &token, &id, received, true).await;
    assert_eq!(reply["result"]["resumed"], true);
    let kinds: Vec<&str> = back
        .backlog
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    let offer = kinds.iter().position(|k| *k == "offer").expect("the offer");
    let ended = kinds
        .iter()
        .position(|k| *k == "offer_cancelled")
        .expect("its end");
    assert!(offer < ended, "{kinds:?}");
}
