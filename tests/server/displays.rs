//! Displays over the wire: a supervisor makes a kiosk wallboard's token, the display signs in
//! with it as a wallboard and nothing more, the token outlives a restart, a revocation ends the
//! display's open session at once (close 4010) and refuses its token from then on
//! (`display_revoked`), and the bounds and the audit log hold. Every message is schema-checked
//! by the client.

use serde_json::{Value, json};

use crate::net::{self, Client, Via};
use crate::supervisor::audit_records;

/// The test tenant with its journal in `data` and its audit log at `audit`.
async fn start(data: &std::path::Path, audit: &std::path::Path) -> acdhub::server::Server {
    net::start_with_server_keys(
        &format!("audit_log = {:?}", audit.display().to_string()),
        &format!("\n[storage]\ndir = {:?}\n", data.display().to_string()),
    )
    .await
}

/// Signs in with `fields` (`display` or `token`); returns the client and the reply.
async fn sign_in(server: &acdhub::server::Server, fields: Value) -> (Client, Value) {
    let mut client = Client::connect(server, Via::Ws).await;
    let mut auth = fields;
    auth["type"] = json!("auth");
    let reply = client.request(auth).await;
    (client, reply)
}

#[tokio::test]
async fn a_display_signs_in_with_its_token_only_as_a_wallboard_until_it_is_revoked() {
    let dir = net::fresh_dir("displays");
    let (data, audit) = (dir.join("data"), dir.join("audit.jsonl"));
    let server = start(&data, &audit).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;

    // Made by a supervisor; the token comes back once, in the ack.
    let made = boss
        .request(json!({"type": "create_display", "name": "lobby-tv"}))
        .await;
    assert_eq!(made["type"], "ack", "{made}");
    assert_eq!(made["result"]["name"], "lobby-tv");
    let token = made["result"]["token"].as_str().unwrap().to_owned();
    // Refused, and nothing made: another role, a bad name, the same name again.
    let create = |name: &str| json!({"type": "create_display", "name": name});
    assert_eq!(wall.refused(create("mine")).await, "forbidden");
    assert_eq!(boss.refused(create("Lobby TV!")).await, "bad_display_name");
    assert_eq!(
        boss.refused(create(&"x".repeat(65))).await,
        "bad_display_name"
    );
    assert_eq!(boss.refused(create("lobby-tv")).await, "duplicate_display");
    // A configured user's name: the display would sign in as that user.
    assert_eq!(boss.refused(create("a1")).await, "duplicate_display");
    assert_eq!(
        wall.refused(json!({"type": "list_displays"})).await,
        "forbidden"
    );
    let listed = boss.request(json!({"type": "list_displays"})).await;
    let displays = listed["result"]["displays"].as_array().unwrap().clone();
    assert_eq!(displays.len(), 1, "{listed}");
    assert_eq!(
        (&displays[0]["name"], &displays[0]["created_by"]),
        (&json!("lobby-tv"), &json!("boss"))
    );
    assert!(
        !listed.to_string().contains(&token),
        "a list never shows a token"
    );

    // The display signs in: a wallboard named by its display, and nothing else.
    let (mut screen, signed_in) = sign_in(&server, json!({"display": token})).await;
    assert_eq!(signed_in["type"], "ack", "{signed_in}");
    let result = &signed_in["result"];
    assert_eq!(
        (&result["role"], &result["user"], &result["token"]),
        (&json!("wallboard"), &json!("lobby-tv"), &json!(token))
    );
    screen.ok(json!({"type": "subscribe"})).await;
    screen.expect("tenant_stats").await;
    for command in [
        json!({"type": "set_ticker", "text": "hello"}),
        json!({"type": "create_display", "name": "another"}),
        json!({"type": "force_state", "agent": "a1", "state": "ready"}),
    ] {
        assert_eq!(screen.refused(command).await, "forbidden");
    }
    // The AuthResult's token is the display's: it signs in again as `token` too.
    let (_again, again) = sign_in(&server, json!({"token": token})).await;
    assert_eq!(again["result"]["user"], "lobby-tv", "{again}");
    // A token of no display: a stable refusal, never another role.
    let unknown = format!("d1.61636d65.{}", "0".repeat(64));
    for fields in [json!({"display": unknown}), json!({"display": "d1.zz"})] {
        let (_, refused) = sign_in(&server, fields.clone()).await;
        assert_eq!(refused["code"], "display_revoked", "{fields}: {refused}");
    }

    // A restart: the display is kept (its hash was journaled), the token signs in.
    drop((screen, _again, boss, wall));
    server.shutdown().await;
    let server = start(&data, &audit).await;
    let (mut screen, signed_in) = sign_in(&server, json!({"display": token})).await;
    assert_eq!(signed_in["type"], "ack", "after a restart: {signed_in}");
    screen.ok(json!({"type": "subscribe"})).await;

    // Revoked: the open session ends at once with 4010, and the token signs in no more.
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "revoke_display", "name": "lobby-tv"}))
        .await;
    assert_eq!(screen.expect_close().await, 4010);
    let (_, refused) = sign_in(&server, json!({"display": token})).await;
    assert_eq!(refused["code"], "display_revoked", "{refused}");
    assert_eq!(
        boss.refused(json!({"type": "revoke_display", "name": "lobby-tv"}))
            .await,
        "unknown_display"
    );
    let listed = boss.request(json!({"type": "list_displays"})).await;
    assert_eq!(listed["result"]["displays"], json!([]));

    // At most 100 displays in a tenant.
    for i in 0..100 {
        boss.ok(create(&format!("screen-{i}"))).await;
    }
    assert_eq!(boss.refused(create("one-more")).await, "too_many_displays");
    server.shutdown().await;

    let records: Vec<(String, String, String)> = audit_records(&audit)
        .into_iter()
        .filter(|r| r["action"].as_str().unwrap().contains("display"))
        .map(|r| {
            let text = |field: &str| r[field].as_str().unwrap().to_owned();
            (text("action"), text("target"), text("result"))
        })
        .take(10)
        .collect();
    let record = |action: &str, target: &str, result: &str| {
        (action.to_owned(), target.to_owned(), result.to_owned())
    };
    assert_eq!(
        records,
        [
            record("create_display", "lobby-tv", "ok"),
            record("create_display", "mine", "forbidden"),
            record("create_display", "Lobby TV!", "bad_display_name"),
            record("create_display", &"x".repeat(65), "bad_display_name"),
            record("create_display", "lobby-tv", "duplicate_display"),
            record("create_display", "a1", "duplicate_display"),
            // The display's own attempt, on record as every refused supervisor action is.
            record("create_display", "another", "forbidden"),
            record("revoke_display", "lobby-tv", "ok"),
            record("revoke_display", "lobby-tv", "unknown_display"),
            record("create_display", "screen-0", "ok"),
        ]
    );
}
