//! The staffing what-if over the wire (issue 20): a supervisor's `what_if` answered from the
//! queue's rolling window, checked against the figures this test computes from the counts the
//! answer carries (Erlang A through `acdhub::erlang`, which its own tests check against
//! published values; Erlang C by the textbook sum, written here), and against the queue's
//! `queue_stats` for the same window. Every answer is schema-checked by the client.

use std::time::Duration;

use acdhub::acd::config::ServiceLevelVariant;
use acdhub::erlang::ErlangA;
use serde_json::{Value, json};

use crate::net::{self, Client, Via};

/// A figure of an answer; the panic names the caller's line (`track_caller`), so a figure
/// that is null says which one it was.
#[track_caller]
fn number(value: &Value) -> f64 {
    match value.as_f64() {
        Some(number) => number,
        None => panic!("{value} is a number"),
    }
}

/// Two decimals, as the server writes every figure.
fn round(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

/// `got` is `want` as the server rounds it (a hundredth either way for a rounding that fell on
/// the other side of a half).
#[track_caller]
fn assert_figure(got: &Value, want: f64, what: &str) {
    let got = number(got);
    assert!(
        (got - round(want)).abs() <= 0.0101,
        "{what}: the server says {got}, the counts give {want}"
    );
}

async fn what_if(boss: &mut Client, ask: Value) -> Value {
    let mut command = ask.clone();
    command["type"] = json!("what_if");
    let reply = boss.request(command).await;
    assert_eq!(reply["type"], "ack", "{ask} -> {reply}");
    reply["result"].clone()
}

/// Erlang C by the textbook formula: C = (Aᴺ/N! · N/(N−A)) / (Σ_{k<N} Aᵏ/k! + Aᴺ/N! · N/(N−A)),
/// SL = 1 − C e^{−(N−A)T/AHT}, ASA = C · AHT / (N − A).
fn erlang_c(traffic: f64, agents: u32, aht: f64, threshold: f64) -> (f64, f64, f64) {
    let n = agents as f64;
    let (mut term, mut sum) = (1.0, 0.0);
    for k in 0..agents {
        sum += term;
        term *= traffic / (k + 1) as f64;
    }
    let top = term * n / (n - traffic);
    let waits = top / (sum + top);
    let level = 1.0 - waits * (-(n - traffic) * threshold / aht).exp();
    (waits, level, waits * aht / (n - traffic))
}

#[tokio::test]
async fn a_what_if_is_answered_from_the_window_s_counts_by_erlang_a_and_c() {
    let server = net::start(&net::with_chat("")).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    boss.ok(json!({"type": "subscribe", "queues": ["support"]}))
        .await;

    // Nothing counted yet: nothing to predict, and the answer says why.
    let empty = what_if(&mut boss, json!({"queue": "support"})).await;
    assert_eq!(empty["unavailable"], "no_calls", "{empty}");
    assert_eq!(
        (&empty["model"], &empty["agents_needed"], &empty["expected"]),
        (&Value::Null, &Value::Null, &Value::Null)
    );
    assert_eq!(
        (&empty["window"]["offered"], &empty["agents_working"]),
        (&json!(0), &json!(0))
    );

    // Three calls: one answered at once, one the caller gives up on, one answered after a wait.
    let (mut a1, _) = Client::login(&server, Via::Ws, "a1").await;
    a1.ok(json!({"type": "login"})).await;
    let (mut pbx, _) = Client::login(&server, Via::Ws, "pbx").await;
    let take = async |a1: &mut Client, pbx: &mut Client, call: &str| {
        a1.ok(json!({"type": "ready"})).await;
        assert_eq!(a1.expect("offer").await["call"], call);
        a1.ok(json!({"type": "accept", "call": call})).await;
        // A talk of some milliseconds: a handle time of 0 (the server's clock reads to the
        // millisecond) is no handle time at all, and the what-if would have none to use.
        tokio::time::sleep(Duration::from_millis(50)).await;
        a1.ok(json!({"type": "hangup", "call": call})).await;
        a1.expect_state("a1", "wrap_up").await;
        a1.ok(json!({"type": "end_wrap_up"})).await;
        a1.expect_state("a1", "ready").await;
        pbx.backlog.clear();
    };
    pbx.ok(json!({"type": "call_arrived", "call": "w1", "queue": "support"}))
        .await;
    take(&mut a1, &mut pbx, "w1").await;
    a1.ok(json!({"type": "not_ready", "reason": "break"})).await;
    pbx.ok(json!({"type": "call_arrived", "call": "w2", "queue": "support"}))
        .await;
    // The callers' waits are what the window measures: they must last some time.
    tokio::time::sleep(Duration::from_millis(200)).await;
    pbx.ok(json!({"type": "caller_hung_up", "call": "w2"}))
        .await;
    pbx.ok(json!({"type": "call_arrived", "call": "w3", "queue": "support"}))
        .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    take(&mut a1, &mut pbx, "w3").await;
    let stats = boss
        .expect_where("queue_stats", |m| {
            m["rolling"]["answered"] == 2
                && m["rolling"]["abandoned"] == 1
                && m["agents"]["ready"] == 1
        })
        .await;

    let now = what_if(&mut boss, json!({"queue": "support"})).await;
    let window = &now["window"];
    // The window is the one the wallboard shows.
    for count in ["offered", "answered", "abandoned", "short_abandoned"] {
        assert_eq!(window[count], stats["rolling"][count], "{count}: {now}");
    }
    assert_eq!(window["handled"], 2, "{now}");
    assert_figure(
        &stats["rolling"]["asa_secs"],
        number(&window["answer_wait_secs"]) / 2.0,
        "ASA",
    );
    assert_figure(
        &stats["rolling"]["aht_secs"],
        number(&window["handle_secs"]) / 2.0,
        "AHT",
    );
    assert!(number(&window["abandon_wait_secs"]) >= 0.2, "{now}");
    assert_eq!(now["agents_working"], 1, "a1 is ready: {now}");
    assert_eq!(now["service_level"]["threshold_secs"], 20);

    // The inputs, from the counts.
    let secs = number(&window["secs"]);
    let rate = 3.0 / secs * 3600.0;
    let aht = number(&window["handle_secs"]) / 2.0;
    let patience = number(&window["answer_wait_secs"]) + number(&window["abandon_wait_secs"]);
    assert!(rate < acdhub::staffing::MAX_CALLS_PER_HOUR, "{now}");
    let inputs = &now["inputs"];
    assert_figure(&inputs["calls_per_hour"], rate, "rate");
    assert_figure(&inputs["aht_secs"], aht, "AHT");
    assert_figure(&inputs["patience_secs"], patience, "patience");
    assert_eq!(inputs["agents"], 1);
    assert_eq!(now["model"], "erlang_a", "a caller hung up: {now}");
    assert_figure(&now["traffic_erlangs"], rate / 3600.0 * aht, "traffic");

    // Erlang A on them: the expected figures with the one agent, and the agents needed.
    let model = |agents| ErlangA::new(rate, aht, patience, agents, 20.0).unwrap();
    let check_expected = |answer: &Value, a: &ErlangA| {
        let expected = &answer["expected"];
        let level = a.service_level(ServiceLevelVariant::Answered);
        assert_figure(&expected["service_level_percent"], level * 100.0, "SL");
        assert_figure(&expected["asa_secs"], a.average_speed_of_answer, "ASA");
        assert_figure(
            &expected["wait_percent"],
            a.probability_of_waiting * 100.0,
            "P(wait)",
        );
        assert_figure(
            &expected["abandon_percent"],
            a.probability_of_abandoning * 100.0,
            "P(abandon)",
        );
        assert_figure(
            &expected["occupancy_percent"],
            a.occupancy * 100.0,
            "occupancy",
        );
    };
    check_expected(&now, &model(1));
    let level = |agents| model(agents).service_level(ServiceLevelVariant::Answered);
    let needed = now["agents_needed"].as_u64().unwrap() as u32;
    assert!(level(needed) >= 0.8, "{needed} agents reach 80 %: {now}");
    assert!(
        needed == 1 || level(needed - 1) < 0.8,
        "{needed} is the fewest"
    );

    // What if the queue got 240 calls an hour of three minutes, with four agents: the window's
    // patience stays.
    let supposed = json!({"queue": "support", "agents": 4, "calls_per_hour": 240, "aht_secs": 180});
    let busier = what_if(&mut boss, supposed).await;
    assert_eq!(
        busier["agents_working"], 1,
        "what is, beside what is supposed"
    );
    assert_eq!(
        (
            &busier["inputs"]["agents"],
            &busier["inputs"]["calls_per_hour"]
        ),
        (&json!(4), &json!(240.0))
    );
    assert_figure(&busier["inputs"]["patience_secs"], patience, "patience");
    check_expected(
        &busier,
        &ErlangA::new(240.0, 180.0, patience, 4, 20.0).unwrap(),
    );

    // Nobody hung up in sales: Erlang C, here by the textbook formula. 120 calls an hour of
    // four minutes are 8 Erlangs.
    let sales = json!({"queue": "sales", "calls_per_hour": 120, "aht_secs": 240, "agents": 10});
    let c = what_if(&mut boss, sales).await;
    assert_eq!(
        (
            &c["model"],
            &c["unavailable"],
            &c["inputs"]["patience_secs"]
        ),
        (&json!("erlang_c"), &Value::Null, &Value::Null),
        "{c}"
    );
    let threshold = number(&c["service_level"]["threshold_secs"]);
    let target = number(&c["service_level"]["target_percent"]) / 100.0;
    let (waits, level, asa) = erlang_c(8.0, 10, 240.0, threshold);
    assert_figure(&c["expected"]["wait_percent"], waits * 100.0, "C P(wait)");
    assert_figure(
        &c["expected"]["service_level_percent"],
        level * 100.0,
        "C SL",
    );
    assert_figure(&c["expected"]["asa_secs"], asa, "C ASA");
    assert_figure(&c["expected"]["occupancy_percent"], 80.0, "C occupancy");
    assert_eq!(c["expected"]["abandon_percent"], Value::Null);
    let fewest = (9..)
        .find(|&n| erlang_c(8.0, n, 240.0, threshold).1 >= target)
        .unwrap();
    assert_eq!(c["agents_needed"], fewest, "{c}");
    // As many agents as Erlangs: Erlang C has no steady state, and says so.
    let full = json!({"queue": "sales", "calls_per_hour": 120, "aht_secs": 240, "agents": 8});
    let overloaded = what_if(&mut boss, full).await;
    assert_eq!(
        (&overloaded["unavailable"], &overloaded["expected"]),
        (&json!("overloaded"), &Value::Null)
    );
    assert_eq!(overloaded["agents_needed"], fewest);
}

#[tokio::test]
async fn a_what_if_it_cannot_answer_is_refused_with_a_stable_code() {
    let server = net::start(&net::with_chat("")).await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    for (fields, code) in [
        (json!({"queue": "nope"}), "unknown_queue"),
        (json!({"queue": "chat"}), "wrong_channel"),
        (json!({}), "bad_message"),
        (json!({"queue": "support", "agents": 5001}), "bad_message"),
        (json!({"queue": "support", "agents": -1}), "bad_message"),
        (json!({"queue": "support", "agents": "3"}), "bad_message"),
        (
            json!({"queue": "support", "calls_per_hour": 0}),
            "bad_message",
        ),
        (
            json!({"queue": "support", "calls_per_hour": 100001}),
            "bad_message",
        ),
        (json!({"queue": "support", "aht_secs": -5}), "bad_message"),
        (
            json!({"queue": "support", "patience_secs": 3601}),
            "bad_message",
        ),
        (json!({"queue": "support", "agent": 3}), "bad_message"),
    ] {
        let mut command = fields.clone();
        command["type"] = json!("what_if");
        assert_eq!(boss.refused(command).await, code, "{fields}");
    }
    // The connection is still up, and a good one is answered.
    let answer = what_if(&mut boss, json!({"queue": "support", "agents": 0})).await;
    assert_eq!(answer["unavailable"], "no_calls");
    // A wallboard may ask (its optional staffing figure); an agent and telephony may not.
    let (mut wall, _) = Client::login(&server, Via::Ws, "wall").await;
    let answer = what_if(&mut wall, json!({"queue": "support"})).await;
    assert_eq!(answer["unavailable"], "no_calls");
    // The queue as it is only: what it supposes is a supervisor's question.
    let supposing = json!({"type": "what_if", "queue": "support", "agents": 5000});
    assert_eq!(wall.refused(supposing).await, "forbidden");
    for user in ["a1", "pbx"] {
        let (mut other, _) = Client::login(&server, Via::Ws, user).await;
        let code = other
            .refused(json!({"type": "what_if", "queue": "support"}))
            .await;
        assert_eq!(code, "forbidden", "{user}");
    }
}

/// A what-if is computed off the tenant's engine: a large one (a thousand Erlangs, callers who
/// wait half an hour) is still being computed when a `list_agents` sent after it, which the
/// engine answers, has been answered. The protocol says so: a what-if's `ack` may come after
/// the replies to later commands.
#[tokio::test]
async fn a_what_if_being_computed_holds_up_nothing_else() {
    let server = net::start("").await;
    let (mut boss, _) = Client::login(&server, Via::Ws, "boss").await;
    let large = json!({
        "type": "what_if", "queue": "support",
        "calls_per_hour": 100000, "aht_secs": 180, "patience_secs": 3600
    });
    let slow = boss.send(large).await.unwrap();
    let quick = boss.send(json!({"type": "list_agents"})).await.unwrap();
    let mut replies = Vec::new();
    while replies.len() < 2 {
        let message = boss.next().await;
        if matches!(message["type"].as_str(), Some("ack" | "error")) {
            replies.push(message);
        }
    }
    assert_eq!(
        (&replies[0]["id"], &replies[1]["id"]),
        (&json!(quick), &json!(slow)),
        "{replies:?}"
    );
    assert_eq!(replies[1]["type"], "ack", "{}", replies[1]);
    assert!(
        replies[1]["result"]["agents_needed"].is_u64(),
        "{}",
        replies[1]
    );
}
