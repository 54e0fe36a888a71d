//! Who is named to whom (issue 16): the AuthResult names an agent to itself and no agent to
//! any other role, and `list_agents` pages through the tenant's agents with their states for an
//! agent's transfer targets and a supervisor's roster.

use serde_json::{Value, json};

use crate::net::{Client, Via, start};

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("a list")
        .iter()
        .map(|entry| entry["id"].as_str().expect("an id"))
        .collect()
}

#[tokio::test]
async fn each_role_is_told_the_agents_it_needs_at_sign_in() {
    let server = start("").await;
    let named = [
        ("a1", vec!["a1"]),
        ("boss", vec![]),
        ("wall", vec![]),
        ("pbx", vec![]),
    ];
    for (user, expected) in named {
        let (_, result) = Client::login(&server, Via::Ws, user).await;
        assert_eq!(ids(&result["agents"]), expected, "{user}: {result}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn list_agents_pages_through_the_tenants_agents_with_their_states() {
    let server = start("").await;
    let (mut agent, _) = Client::login(&server, Via::Ws, "a1").await;
    agent.ok(json!({"type": "login"})).await;
    agent.ok(json!({"type": "ready"})).await;

    let all = agent.request(json!({"type": "list_agents"})).await;
    assert_eq!(all["type"], "ack", "{all}");
    assert_eq!(
        all["result"],
        json!({"agents": [
            {"id": "a1", "name": "Ann One", "state": "ready"},
            {"id": "a2", "name": "a2", "state": "logged_out"},
        ]}),
        "the last page has no `next`"
    );

    // One at a time: `next` is the `after` of the following page.
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let first = boss
        .request(json!({"type": "list_agents", "limit": 1}))
        .await;
    assert_eq!(ids(&first["result"]["agents"]), ["a1"]);
    assert_eq!(first["result"]["next"], "a1");
    let second = boss
        .request(json!({"type": "list_agents", "limit": 1, "after": "a1"}))
        .await;
    assert_eq!(ids(&second["result"]["agents"]), ["a2"]);
    assert!(second["result"].get("next").is_none(), "{second}");

    // Only the agents with a skill in a queue: a2 serves sales only.
    let support = boss
        .request(json!({"type": "list_agents", "queue": "support"}))
        .await;
    assert_eq!(ids(&support["result"]["agents"]), ["a1"]);
    let sales = boss
        .request(json!({"type": "list_agents", "queue": "sales"}))
        .await;
    assert_eq!(ids(&sales["result"]["agents"]), ["a1", "a2"]);
    server.shutdown().await;
}

#[tokio::test]
async fn list_agents_refuses_what_it_cannot_answer_and_changes_nothing() {
    let server = start("").await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let refusals = [
        (
            json!({"type": "list_agents", "queue": "nowhere"}),
            "unknown_queue",
        ),
        (
            json!({"type": "list_agents", "after": "nobody"}),
            "unknown_agent",
        ),
        (json!({"type": "list_agents", "limit": 0}), "bad_message"),
        (json!({"type": "list_agents", "limit": 501}), "bad_message"),
        (json!({"type": "list_agents", "after": null}), "bad_message"),
        (json!({"type": "list_agents", "filter": "x"}), "bad_message"),
    ];
    for (command, code) in refusals {
        assert_eq!(boss.refused(command.clone()).await, code, "{command}");
    }
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    assert_eq!(
        wall.refused(json!({"type": "list_agents"})).await,
        "forbidden"
    );
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    assert_eq!(
        pbx.refused(json!({"type": "list_agents"})).await,
        "forbidden"
    );
    // The connection is still up and answers.
    boss.ok(json!({"type": "ping"})).await;
    server.shutdown().await;
}
