//! The configuration file loader: the demo loads and runs, every key reaches the core, and every
//! mistake an operator can make is reported with the right file, line and field.

use std::time::Duration;

use acdhub::acd::config::{Escalation, ServiceLevelVariant, Strategy};
use acdhub::acd::{Acd, AgentId, QueueId};
use acdhub::config::{self, CallRate, ConfigFileError, FileConfig, Patience};
use acdhub::demo;
use jiff::Timestamp;

const FILE: &str = "acdhub.toml";

/// The 1-based line of the `occurrence`-th (1-based) line containing `needle`, so expected
/// lines follow the test's TOML text instead of drifting from it.
fn line_of_nth(text: &str, needle: &str, occurrence: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains(needle))
        .nth(occurrence - 1)
        .map(|(index, _)| index + 1)
        .unwrap_or_else(|| panic!("test text has no occurrence {occurrence} of {needle:?}"))
}

/// The line containing `needle`, which must occur exactly once.
fn line_of(text: &str, needle: &str) -> usize {
    let count = text.lines().filter(|line| line.contains(needle)).count();
    assert_eq!(count, 1, "{needle:?} must occur once in the test text");
    line_of_nth(text, needle, 1)
}

fn parse(text: &str) -> Result<FileConfig, ConfigFileError> {
    config::parse(text, FILE)
}

/// Asserts that `text` is refused at exactly `line` and `field`, with a problem mentioning
/// `problem`.
#[track_caller]
fn assert_refused(text: &str, line: usize, field: &str, problem: &str) {
    let error = match parse(text) {
        Ok(_) => panic!("accepted, expected an error at line {line} field {field}"),
        Err(error) => error,
    };
    assert_eq!(error.file(), FILE, "{error}");
    assert_eq!(error.line(), Some(line), "{error}");
    assert_eq!(error.field(), Some(field), "{error}");
    assert!(
        error.problem().contains(problem),
        "problem {:?} should mention {problem:?}",
        error.problem()
    );
    assert_eq!(
        error.to_string(),
        format!("{FILE}:{line}: {field}: {}", error.problem())
    );
}

/// A small valid tenant that the error cases below break in one place each.
const BASE: &str = r#"
[[tenants]]
id = "acme"
time_zone = "Europe/Berlin"

[[tenants.queues]]
id = "support"
min_skill = 3

[[tenants.queues]]
id = "sales"

[[tenants.agents]]
id = "alice"
skills = { support = 5, sales = 3 }

[[tenants.not_ready_reasons]]
code = "break"
"#;

/// BASE with `line` inserted right after the line containing `after`.
fn base_with(after: &str, line: &str) -> String {
    let position = BASE.find(after).expect("anchor in BASE") + after.len();
    let mut text = BASE.to_owned();
    text.insert_str(position, &format!("\n{line}"));
    text
}

#[test]
fn base_is_valid() {
    let file = parse(BASE).expect("BASE parses");
    assert_eq!(file.tenants.len(), 1);
    assert!(file.simulator.is_none());
    let tenant = &file.tenants[0];
    assert_eq!(tenant.acd.name, tenant.id, "no name: the id");
}

#[test]
fn a_tenant_s_name_is_what_people_read() {
    let file = demo::demo();
    assert_eq!(file.tenants[0].acd.name, "Demo Contact Center");
    let empty = BASE.replacen("[[tenants]]\n", "[[tenants]]\nname = \"\"\n", 1);
    assert!(parse(&empty).is_err(), "an empty name is refused");
}

#[test]
fn demo_loads_and_runs_an_acd() {
    let file = demo::demo();
    assert_eq!(file.tenants.len(), 1);
    let tenant = file.tenants[0].clone();
    assert_eq!(tenant.id, "demo");
    assert_eq!(tenant.acd.time_zone.iana_name(), Some("Europe/Berlin"));
    let queues: Vec<&str> = tenant.acd.queues.iter().map(|q| q.id.as_str()).collect();
    assert_eq!(queues, ["support", "sales", "vip", "general", "chat"]);
    assert_eq!(tenant.acd.agents.len(), 12);
    let chat = &tenant.acd.channels[0];
    assert_eq!((chat.id.as_str(), chat.capacity), ("chat", 3));
    let reasons: Vec<&str> = tenant
        .acd
        .not_ready_reasons
        .iter()
        .map(|r| r.code.as_str())
        .collect();
    assert_eq!(
        reasons,
        ["break", "lunch", "training", "meeting", "coaching"]
    );

    let queue_ids: Vec<QueueId> = tenant.acd.queues.iter().map(|q| q.id.clone()).collect();
    let simulator = file.simulator.expect("the demo simulates traffic");
    assert_eq!(simulator.tenant, "demo");
    let people = ["agent1", "agent2", "agent3"];
    assert_eq!(simulator.virtual_agents.len(), 9);
    for person in people {
        assert!(!simulator.virtual_agents.contains(&AgentId::from(person)));
    }
    let per_hour: f64 = simulator
        .calls_per_hour
        .per_queue(&queue_ids)
        .iter()
        .map(|(_, rate)| rate)
        .sum();
    assert!(
        (60.0..=300.0).contains(&per_hour),
        "a few calls a minute, not {per_hour}/h"
    );

    let now: Timestamp = "2025-03-03T08:00:00Z".parse().expect("timestamp");
    let acd = Acd::new(tenant.acd, now);
    assert!(acd.is_ok(), "{:?}", acd.err());
}

#[test]
fn demo_file_is_the_embedded_text() {
    let on_disk = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/demo.toml"))
        .expect("config/demo.toml");
    assert_eq!(on_disk, demo::DEMO_TOML);
    let loaded = config::load(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/demo.toml"
    )))
    .expect("loads from disk");
    assert_eq!(loaded.tenants[0].acd.queues.len(), 5);
}

const FULL: &str = r#"
[[tenants]]
id = "acme-eu"
time_zone = "America/New_York"

[tenants.routing]
reject_delay_secs = 7
max_ring_no_answer = 0
max_wrap_up_extension_secs = 120
rolling_window_secs = 1800

[[tenants.queues]]
id = "support"
name = "Customer Support"
strategy = "skills_based"
service_level = { threshold_secs = 15, target_percent = 85.5, variant = "short_abandon_excluded", short_abandon_secs = 4 }
max_wait = { after_secs = 240, overflow_to = "general" }
max_queue_length = 25
ring_timeout_secs = 18
wrap_up_secs = 45
priority_weight = 2
min_skill = 4
escalation = [
  { after_secs = 30, min_skill = 2 },
  { after_secs = 90, overflow_to = "general" },
]

[[tenants.queues]]
id = "general"

[[tenants.agents]]
id = "alice"
name = "Alice Example"
skills = { support = 5, general = 1 }

[[tenants.agents]]
id = "bob.b"
skills = { general = 2, support = 3 }

[[tenants.not_ready_reasons]]
code = "lunch"
label = "Lunch break"

[[tenants.not_ready_reasons]]
code = "training"

[simulator]
tenant = "acme-eu"
seed = 99
calls_per_hour = 40.5
aht_secs = 200
answer_delay_secs = 1
virtual_agents = ["bob.b"]
"#;

#[test]
fn full_example_sets_every_field() {
    let file = parse(FULL).expect("FULL parses");
    let tenant = &file.tenants[0];
    assert_eq!(tenant.id, "acme-eu");
    let acd = &tenant.acd;
    assert_eq!(acd.time_zone.iana_name(), Some("America/New_York"));
    assert_eq!(acd.routing.reject_delay, Duration::from_secs(7));
    assert_eq!(acd.routing.max_ring_no_answer, 0);
    assert_eq!(acd.routing.max_wrap_up_extension, Duration::from_secs(120));
    assert_eq!(acd.routing.rolling_window, Duration::from_secs(1800));

    let support = &acd.queues[0];
    assert_eq!(support.id, QueueId::from("support"));
    assert_eq!(support.name, "Customer Support");
    assert_eq!(support.strategy, Strategy::SkillsBased);
    let sl = &support.service_level;
    assert_eq!(sl.threshold, Duration::from_secs(15));
    assert_eq!(sl.target_percent, 85.5);
    assert_eq!(sl.variant, ServiceLevelVariant::ShortAbandonExcluded);
    assert_eq!(sl.short_abandon, Some(Duration::from_secs(4)));
    let max_wait = support.max_wait.as_ref().expect("max wait");
    assert_eq!(max_wait.after, Duration::from_secs(240));
    assert_eq!(max_wait.overflow_to, Some(QueueId::from("general")));
    assert_eq!(support.max_queue_length, Some(25));
    assert_eq!(support.ring_timeout, Duration::from_secs(18));
    assert_eq!(support.wrap_up, Duration::from_secs(45));
    assert_eq!(support.priority_weight, 2);
    assert_eq!(support.min_skill, 4);
    assert_eq!(support.escalation.len(), 2);
    assert_eq!(support.escalation[0].after, Duration::from_secs(30));
    assert_eq!(
        support.escalation[0].action,
        Escalation::Widen { min_skill: 2 }
    );
    assert_eq!(support.escalation[1].after, Duration::from_secs(90));
    assert_eq!(
        support.escalation[1].action,
        Escalation::Overflow {
            to: QueueId::from("general")
        }
    );

    // Keys left out take the documented defaults.
    let general = &acd.queues[1];
    assert_eq!(general.name, "general");
    assert_eq!(general.strategy, Strategy::LongestIdle);
    assert_eq!(general.service_level.threshold, Duration::from_secs(20));
    assert_eq!(general.service_level.target_percent, 80.0);
    assert_eq!(general.service_level.variant, ServiceLevelVariant::Answered);
    assert_eq!(general.service_level.short_abandon, None);
    assert!(general.max_wait.is_none());
    assert_eq!(general.max_queue_length, None);
    assert_eq!(general.ring_timeout, Duration::from_secs(30));
    assert_eq!(general.wrap_up, Duration::ZERO);
    assert_eq!(general.priority_weight, 1);
    assert_eq!(general.min_skill, 1);
    assert!(general.escalation.is_empty());

    assert_eq!(acd.agents[0].id, AgentId::from("alice"));
    assert_eq!(acd.agents[0].name, "Alice Example");
    assert_eq!(
        acd.agents[0].skills,
        [(QueueId::from("support"), 5), (QueueId::from("general"), 1)]
    );
    // Skills keep file order (round-robin depends on it), not alphabetical order.
    assert_eq!(acd.agents[1].name, "bob.b");
    assert_eq!(
        acd.agents[1].skills,
        [(QueueId::from("general"), 2), (QueueId::from("support"), 3)]
    );

    assert_eq!(acd.not_ready_reasons[0].code.as_str(), "lunch");
    assert_eq!(acd.not_ready_reasons[0].label, "Lunch break");
    assert_eq!(acd.not_ready_reasons[1].label, "training");

    let simulator = file.simulator.as_ref().expect("simulator");
    assert_eq!(simulator.tenant, "acme-eu");
    assert_eq!(simulator.seed, 99);
    assert_eq!(simulator.calls_per_hour, CallRate::Total(40.5));
    assert_eq!(simulator.aht, Duration::from_secs(200));
    assert_eq!(simulator.answer_delay, Duration::from_secs(1));
    assert_eq!(simulator.virtual_agents, [AgentId::from("bob.b")]);
    assert_eq!(
        simulator
            .calls_per_hour
            .per_queue(&[QueueId::from("support"), QueueId::from("general")]),
        [
            (QueueId::from("support"), 20.25),
            (QueueId::from("general"), 20.25)
        ]
    );
}

#[test]
fn routing_and_simulator_defaults() {
    let text = format!("{BASE}\n[simulator]\ncalls_per_hour = {{ sales = 10 }}\n");
    let file = parse(&text).expect("parses");
    let routing = &file.tenants[0].acd.routing;
    assert_eq!(routing.reject_delay, Duration::from_secs(5));
    assert_eq!(routing.max_ring_no_answer, 3);
    assert_eq!(routing.max_wrap_up_extension, Duration::from_secs(600));
    assert_eq!(routing.rolling_window, Duration::from_secs(900));
    let simulator = file.simulator.expect("simulator");
    assert_eq!(simulator.tenant, "acme");
    assert_eq!(simulator.seed, config::DEFAULT_SEED);
    assert_eq!(simulator.aht, config::DEFAULT_AHT);
    assert_eq!(simulator.answer_delay, config::DEFAULT_ANSWER_DELAY);
    assert!(simulator.virtual_agents.is_empty());
    assert_eq!(
        simulator.calls_per_hour,
        CallRate::PerQueue(vec![(QueueId::from("sales"), 10.0)])
    );
}

#[test]
fn syntax_error_names_the_key_being_written() {
    let text = base_with(r#"id = "sales""#, "ring_timeout_secs = ");
    let line = line_of(&text, "ring_timeout_secs =");
    assert_refused(&text, line, "tenants[0].queues[1].ring_timeout_secs", "");
}

#[test]
fn unterminated_string_names_its_key() {
    let text = base_with(r#"id = "sales""#, r#"name = "Sales"#);
    let line = line_of(&text, "name = ");
    assert_refused(&text, line, "tenants[0].queues[1].name", "string");
}

#[test]
fn syntax_error_without_a_key_names_the_section() {
    let text = base_with(r#"id = "sales""#, "this is not toml");
    let line = line_of(&text, "this is not toml");
    assert_refused(&text, line, "tenants[0].queues[1]", "expected `=`");
}

#[test]
fn duplicate_key_is_a_syntax_error_at_the_second_key() {
    let text = base_with(r#"id = "sales""#, r#"id = "sales2""#);
    let line = line_of(&text, r#"id = "sales2""#);
    assert_refused(&text, line, "tenants[0].queues[1].id", "duplicate key");
}

#[test]
fn unknown_key_is_refused() {
    let text = base_with(r#"id = "sales""#, "ring_timout_secs = 20");
    let line = line_of(&text, "ring_timout_secs");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].ring_timout_secs",
        "unknown field `ring_timout_secs`",
    );
}

#[test]
fn unknown_section_is_refused() {
    let text = format!("{BASE}\n[simulater]\nseed = 1\n");
    let line = line_of(&text, "[simulater]");
    assert_refused(&text, line, "simulater", "unknown field `simulater`");
}

#[test]
fn unknown_key_in_inline_table_is_refused() {
    let text = base_with(
        r#"id = "sales""#,
        "service_level = { threshold_secs = 20, target = 80 }",
    );
    let line = line_of(&text, "service_level");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].service_level.target",
        "unknown field `target`",
    );
}

#[test]
fn wrong_type_is_refused() {
    let text = base_with(r#"id = "sales""#, r#"wrap_up_secs = "20""#);
    let line = line_of(&text, "wrap_up_secs");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].wrap_up_secs",
        "expected a whole number of seconds",
    );
}

#[test]
fn negative_duration_is_refused() {
    let text = base_with(r#"id = "sales""#, "wrap_up_secs = -5");
    let line = line_of(&text, "wrap_up_secs");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].wrap_up_secs",
        "invalid value: integer `-5`",
    );
}

#[test]
fn unknown_strategy_lists_the_known_ones() {
    let text = base_with(r#"id = "sales""#, r#"strategy = "random""#);
    let line = line_of(&text, "strategy");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].strategy",
        "longest_idle, round_robin, fewest_calls, least_talk_time, skills_based",
    );
}

#[test]
fn unknown_time_zone_is_refused() {
    let text = BASE.replace("Europe/Berlin", "Europe/Berln");
    let line = line_of(&text, "Europe/Berln");
    assert_refused(
        &text,
        line,
        "tenants[0].time_zone",
        "unknown time zone `Europe/Berln`",
    );
}

#[test]
fn missing_time_zone_is_reported_at_the_tenant() {
    let text = BASE.replace("time_zone = \"Europe/Berlin\"\n", "");
    let line = line_of(&text, "[[tenants]]");
    assert_refused(&text, line, "tenants[0]", "missing field `time_zone`");
}

#[test]
fn unknown_queue_in_skills_is_refused() {
    let text = BASE.replace("sales = 3 }", "salse = 3 }");
    let line = line_of(&text, "salse");
    assert_refused(
        &text,
        line,
        "tenants[0].agents[0].skills.salse",
        "names no configured queue",
    );
}

#[test]
fn duplicate_queue_id_is_refused_at_the_second() {
    let text = BASE.replace(r#"id = "sales""#, r#"id = "support""#);
    let line = line_of_nth(&text, r#"id = "support""#, 2);
    assert_refused(&text, line, "tenants[0].queues[1].id", "duplicate queue id");
}

#[test]
fn duplicate_agent_id_is_refused_at_the_second() {
    let text = format!("{BASE}\n[[tenants.agents]]\nid = \"alice\"\n");
    let line = line_of_nth(&text, r#"id = "alice""#, 2);
    assert_refused(&text, line, "tenants[0].agents[1].id", "duplicate agent id");
}

#[test]
fn escalation_steps_must_increase_in_time() {
    let text = base_with(
        "min_skill = 3",
        "escalation = [\n  { after_secs = 60, min_skill = 2 },\n  { after_secs = 30, overflow_to = \"sales\" },\n]",
    );
    let line = line_of(&text, "after_secs = 30");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].escalation[1].after_secs",
        "increasing order",
    );
}

#[test]
fn escalation_must_widen_to_a_lower_skill() {
    let text = base_with(
        "min_skill = 3",
        "escalation = [\n  { after_secs = 30, min_skill = 2 },\n  { after_secs = 60, min_skill = 2 },\n]",
    );
    let line = line_of(&text, "after_secs = 60");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].escalation[1].min_skill",
        "lower than the level before it",
    );
}

#[test]
fn escalation_step_needs_exactly_one_action() {
    let text = base_with(
        "min_skill = 3",
        "escalation = [\n  { after_secs = 30, min_skill = 2, overflow_to = \"sales\" },\n]",
    );
    let line = line_of(&text, "after_secs = 30");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].escalation[0]",
        "not both",
    );
    let text = base_with("min_skill = 3", "escalation = [\n  { after_secs = 30 },\n]");
    let line = line_of(&text, "after_secs = 30");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].escalation[0]",
        "needs min_skill",
    );
}

#[test]
fn max_wait_cannot_overflow_to_itself() {
    let text = base_with(
        "min_skill = 3",
        r#"max_wait = { after_secs = 300, overflow_to = "support" }"#,
    );
    let line = line_of(&text, "max_wait");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].max_wait.overflow_to",
        "a queue cannot overflow to itself",
    );
}

#[test]
fn escalation_cannot_overflow_to_itself_or_nowhere() {
    let text = base_with(
        r#"id = "sales""#,
        "escalation = [\n  { after_secs = 10, overflow_to = \"general\" },\n]",
    );
    let line = line_of(&text, "general");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].escalation[0].overflow_to",
        "names no configured queue",
    );
    let text = base_with(
        r#"id = "sales""#,
        "escalation = [\n  { after_secs = 10, overflow_to = \"sales\" },\n]",
    );
    let line = line_of(&text, "after_secs = 10");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].escalation[0].overflow_to",
        "a queue cannot overflow to itself",
    );
}

#[test]
fn zero_durations_the_core_cannot_run_with_are_refused() {
    let cases = [
        (
            r#"id = "sales""#,
            "ring_timeout_secs = 0",
            "tenants[0].queues[1].ring_timeout_secs",
        ),
        (
            r#"id = "sales""#,
            "max_wait = { after_secs = 0 }",
            "tenants[0].queues[1].max_wait.after_secs",
        ),
        (
            "min_skill = 3",
            "escalation = [{ after_secs = 0, min_skill = 1 }]",
            "tenants[0].queues[0].escalation[0].after_secs",
        ),
        (
            r#"time_zone = "Europe/Berlin""#,
            "routing = { rolling_window_secs = 0 }",
            "tenants[0].routing.rolling_window_secs",
        ),
    ];
    for (after, line_text, field) in cases {
        let text = base_with(after, line_text);
        let line = line_of(&text, line_text);
        assert_refused(&text, line, field, "must be more than 0 seconds");
    }
}

#[test]
fn ring_timeout_error_reads_like_the_operator_expects() {
    let text = base_with(r#"id = "sales""#, "ring_timeout_secs = 0");
    let line = line_of(&text, "ring_timeout_secs");
    let error = parse(&text).expect_err("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "acdhub.toml:{line}: tenants[0].queues[1].ring_timeout_secs: must be more than 0 seconds"
        )
    );
}

#[test]
fn priority_weight_zero_is_refused() {
    let text = base_with(r#"id = "sales""#, "priority_weight = 0");
    let line = line_of(&text, "priority_weight");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].priority_weight",
        "at least 1",
    );
}

#[test]
fn target_percent_above_100_is_refused() {
    let text = base_with(
        r#"id = "sales""#,
        "service_level = { threshold_secs = 20, target_percent = 120 }",
    );
    let line = line_of(&text, "target_percent");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[1].service_level.target_percent",
        "a percentage from 0 to 100",
    );
}

#[test]
fn skill_zero_and_300_are_refused() {
    for level in ["0", "300"] {
        let text = BASE.replace("support = 5", &format!("support = {level}"));
        let line = line_of(&text, "skills =");
        assert_refused(
            &text,
            line,
            "tenants[0].agents[0].skills.support",
            "expected a skill level from 1 to 5",
        );
    }
}

#[test]
fn queue_min_skill_out_of_range_is_refused() {
    let text = BASE.replace("min_skill = 3", "min_skill = 6");
    let line = line_of(&text, "min_skill");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].min_skill",
        "expected a skill level from 1 to 5",
    );
}

#[test]
fn reserved_reason_code_is_refused() {
    let text = format!("{BASE}\n[[tenants.not_ready_reasons]]\ncode = \"login\"\n");
    let line = line_of(&text, r#"code = "login""#);
    assert_refused(
        &text,
        line,
        "tenants[0].not_ready_reasons[1].code",
        "is reserved for the system",
    );
}

#[test]
fn duplicate_reason_code_is_refused() {
    let text =
        format!("{BASE}\n[[tenants.not_ready_reasons]]\ncode = \"break\"\nlabel = \"Pause\"\n");
    let line = line_of_nth(&text, r#"code = "break""#, 2);
    assert_refused(
        &text,
        line,
        "tenants[0].not_ready_reasons[1].code",
        "duplicate reason code",
    );
}

#[test]
fn bad_ids_are_refused() {
    let text = BASE.replace(r#"id = "alice""#, r#"id = "alice smith""#);
    let line = line_of(&text, "alice smith");
    assert_refused(&text, line, "tenants[0].agents[0].id", "letters, digits");
    let text = BASE.replace(r#"id = "acme""#, r#"id = """#);
    let line = line_of(&text, r#"id = """#);
    assert_refused(&text, line, "tenants[0].id", "an id of 1 to 64");
}

#[test]
fn duplicate_tenant_is_refused() {
    let text = format!("{BASE}{BASE}");
    let line = line_of_nth(&text, r#"id = "acme""#, 2);
    assert_refused(&text, line, "tenants[1].id", "duplicate tenant id");
}

#[test]
fn core_errors_in_a_later_tenant_point_into_that_tenant() {
    let second = BASE
        .replace(r#"id = "acme""#, r#"id = "globex""#)
        .replace("sales = 3 }", "salse = 3 }");
    let text = format!("{BASE}{second}");
    let line = line_of(&text, "salse");
    assert_refused(
        &text,
        line,
        "tenants[1].agents[0].skills.salse",
        "names no configured queue",
    );
}

#[test]
fn a_file_without_tenants_is_refused() {
    assert_refused("# nothing yet\n", 1, "tenants", "at least one [[tenants]]");
}

#[test]
fn simulator_must_name_configured_agents_and_queues() {
    let text = format!(
        "{BASE}\n[simulator]\ncalls_per_hour = 60\nvirtual_agents = [\"alice\", \"bob\"]\n"
    );
    let line = line_of(&text, "virtual_agents");
    assert_refused(
        &text,
        line,
        "simulator.virtual_agents[1]",
        "names no configured agent",
    );
    let text = format!("{BASE}\n[simulator]\ncalls_per_hour = {{ support = 60, billing = 5 }}\n");
    let line = line_of(&text, "billing");
    assert_refused(
        &text,
        line,
        "simulator.calls_per_hour.billing",
        "names no configured queue",
    );
    let text = format!("{BASE}\n[simulator]\ntenant = \"globex\"\ncalls_per_hour = 60\n");
    let line = line_of(&text, "globex");
    assert_refused(
        &text,
        line,
        "simulator.tenant",
        "names no configured tenant",
    );
}

#[test]
fn simulator_rate_must_not_be_negative() {
    let text = format!("{BASE}\n[simulator]\ncalls_per_hour = -3\n");
    let line = line_of(&text, "calls_per_hour");
    assert_refused(
        &text,
        line,
        "simulator.calls_per_hour",
        "calls per hour from 0",
    );
}

/// Callers' patience: a mean in seconds, kept for the call queues' traffic only (chat customers
/// have their own); 0 is refused at its line, left out callers never hang up.
#[test]
fn simulator_patience_is_more_than_zero_and_for_calls_only() {
    let text = format!("{BASE}\n[simulator]\ncalls_per_hour = 60\npatience_secs = 0\n");
    let line = line_of(&text, "patience_secs");
    assert_refused(
        &text,
        line,
        "simulator.patience_secs",
        "must be more than 0 seconds",
    );
    let text = format!(
        "{BASE}\n[[tenants.channels]]\nid = \"chat\"\n\n[[tenants.queues]]\nid = \"chats\"\nchannel = \"chat\"\n\n[simulator]\ncalls_per_hour = 60\npatience_secs = 75\n"
    );
    let file = parse(&text).unwrap();
    let simulator = file.simulator.as_ref().unwrap();
    let exponential = Patience::exponential(Duration::from_secs(75));
    assert_eq!(simulator.patience, Some(exponential));
    let plan = acdhub::sim::SimulatorPlan::from_config(simulator, &file.tenants[0].acd);
    for traffic in &plan.traffic {
        let expected = traffic.channel.is_none().then_some(exponential);
        assert_eq!(traffic.patience, expected, "{traffic:?}");
    }
    assert!(plan.traffic.iter().any(|t| t.channel.is_some()));
    let text = format!("{BASE}\n[simulator]\ncalls_per_hour = 60\n");
    assert_eq!(parse(&text).unwrap().simulator.unwrap().patience, None);
}

/// `patience_distribution`: exponential unless the file says fixed, given by name (a name it
/// does not know is refused at its line with the known ones), and only beside the mean it
/// spreads around: alone it is refused at its line rather than leave callers who never hang up.
#[test]
fn simulator_patience_distribution_is_exponential_or_fixed_and_needs_patience() {
    let with = |lines: &str| format!("{BASE}\n[simulator]\ncalls_per_hour = 60\n{lines}\n");
    let patience = |text: &str| parse(text).unwrap().simulator.unwrap().patience;
    let mean = Duration::from_secs(90);
    assert_eq!(
        patience(&with("patience_secs = 90")),
        Some(Patience::exponential(mean))
    );
    assert_eq!(
        patience(&with(
            "patience_secs = 90\npatience_distribution = \"exponential\""
        )),
        Some(Patience::exponential(mean))
    );
    let fixed = with("patience_distribution = \"fixed\"\npatience_secs = 90");
    assert_eq!(patience(&fixed), Some(Patience::fixed(mean)));
    let file = parse(&fixed).unwrap();
    let plan = acdhub::sim::SimulatorPlan::from_config(
        file.simulator.as_ref().unwrap(),
        &file.tenants[0].acd,
    );
    assert!(
        plan.traffic
            .iter()
            .all(|t| t.patience == Some(Patience::fixed(mean))),
        "{plan:?}"
    );

    let text = with("patience_secs = 90\npatience_distribution = \"normal\"");
    assert_refused(
        &text,
        line_of(&text, "normal"),
        "simulator.patience_distribution",
        "one of exponential, fixed",
    );
    let text = with("patience_distribution = \"fixed\"");
    assert_refused(
        &text,
        line_of(&text, "fixed"),
        "simulator.patience_distribution",
        "needs patience_secs",
    );
}

#[test]
fn unreadable_file_names_the_file() {
    let path = std::path::Path::new("/nonexistent/acdhub.toml");
    let error = config::load(path).expect_err("missing file");
    assert_eq!(error.file(), "/nonexistent/acdhub.toml");
    assert_eq!(error.line(), None);
    assert_eq!(error.field(), None);
    assert!(error.to_string().starts_with("/nonexistent/acdhub.toml: "));
}

proptest::proptest! {
    /// Whatever an editor does to a file, the loader answers with a configuration or an error
    /// that points into the file; it never panics.
    #[test]
    fn damaged_files_give_errors_not_panics(
        position in 0usize..demo::DEMO_TOML.len(),
        removed in 0usize..40,
        inserted in "[ -~\n]{0,12}",
    ) {
        let text = demo::DEMO_TOML;
        let start = (0..=position).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
        let end = (start + removed..=text.len())
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(text.len());
        let damaged = format!("{}{}{}", &text[..start], inserted, &text[end..]);
        if let Err(error) = parse(&damaged) {
            let lines = damaged.lines().count() + 1;
            let line = error.line().unwrap_or(0);
            proptest::prop_assert!((1..=lines).contains(&line), "{error}");
            proptest::prop_assert!(!error.field().unwrap_or("").is_empty(), "{error}");
        }
    }
}

#[test]
fn repeated_table_is_named_after_the_first() {
    let text = format!(
        "{BASE}\n[[tenants]]\nid = \"globex\"\ntime_zone = \"UTC\"\n[tenants.routing]\nreject_delay_secs = 1\n[tenants.routing]\nmax_ring_no_answer = 1\n"
    );
    let line = line_of_nth(&text, "[tenants.routing]", 2);
    assert_refused(&text, line, "tenants[1].routing", "duplicate key");
}

#[test]
fn documented_example_loads() {
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/configuration.md"
    ))
    .expect("docs/configuration.md");
    let start = reference
        .rfind("```toml\n")
        .expect("a toml example in the reference")
        + "```toml\n".len();
    let length = reference[start..].find("```").expect("closed code block");
    let example = &reference[start..start + length];
    let file = config::parse(example, "docs/configuration.md").expect("the example is valid");
    let now: Timestamp = "2025-03-03T08:00:00Z".parse().expect("timestamp");
    let tenant = file.tenants.into_iter().next().expect("one tenant");
    assert!(Acd::new(tenant.acd, now).is_ok());
}

/// A valid argon2 hash for the principal cases (its password does not matter here).
const HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3H2sTnPfTlgRhxpM3ucrprHxFx/9WXB/mJmAfxcwf0k";

fn principal(fields: &str) -> String {
    format!("{BASE}\n[[principals]]\n{fields}\n")
}

#[test]
fn principals_are_checked_against_tenants_and_roles() {
    let ok = principal(&format!(
        "user = \"boss\"\nrole = \"supervisor\"\ntenant = \"acme\"\npassword_hash = \"{HASH}\""
    ));
    let file = parse(&ok).expect("a supervisor principal");
    assert_eq!(file.principals[0].role(), config::Role::Supervisor);

    let text = principal(&format!(
        "user = \"boss\"\nrole = \"admin\"\ntenant = \"acme\"\npassword_hash = \"{HASH}\""
    ));
    assert_refused(
        &text,
        line_of(&text, "role = "),
        "principals[0].role",
        "unknown role `admin`",
    );

    let text = principal(&format!(
        "user = \"boss\"\nrole = \"supervisor\"\ntenant = \"initech\"\npassword_hash = \"{HASH}\""
    ));
    assert_refused(
        &text,
        line_of(&text, "tenant = \"initech\""),
        "principals[0].tenant",
        "no configured tenant",
    );

    let text = principal(
        "user = \"boss\"\nrole = \"supervisor\"\ntenant = \"acme\"\npassword_hash = \"hunter2\"",
    );
    assert_refused(
        &text,
        line_of(&text, "password_hash"),
        "principals[0].password_hash",
        "acdhub hash-password",
    );

    let text = principal(&format!(
        "user = \"ghost\"\nrole = \"agent\"\ntenant = \"acme\"\npassword_hash = \"{HASH}\""
    ));
    assert_refused(
        &text,
        line_of(&text, "[[principals]]"),
        "principals[0].agent",
        "no agent `ghost`",
    );

    let text = principal(&format!(
        "user = \"wall\"\nrole = \"wallboard\"\ntenant = \"acme\"\nagent = \"x\"\npassword_hash = \"{HASH}\""
    ));
    assert_refused(
        &text,
        line_of(&text, "agent = \"x\""),
        "principals[0].agent",
        "only a principal with role agent",
    );
}

#[test]
fn server_and_limits_are_checked() {
    let text = format!("[server]\nws = \"eighty\"\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "ws = "),
        "server.ws",
        "is not an address",
    );

    let text = format!("[server]\nwss = \"8443\"\ntls_certificate = \"c.pem\"\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "[server]"),
        "server.tls_private_key",
        "private key",
    );

    let text = format!(
        "[server]\nallowed_origins = [\"https://ok.example\", \"https://x.example/app\"]\n{BASE}"
    );
    assert_refused(
        &text,
        line_of(&text, "allowed_origins"),
        "server.allowed_origins[1]",
        "no path",
    );

    let text = format!(
        "[server]\npublic_hosts = [\"acd.example.com\", \"https://acd.example.com\"]\n{BASE}"
    );
    assert_refused(
        &text,
        line_of(&text, "public_hosts"),
        "server.public_hosts[1]",
        "without scheme or port",
    );

    let text = format!("[server]\naudit_log = \"\"\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "audit_log"),
        "server.audit_log",
        "names no file",
    );
    let text = format!("[server]\naudit_log = \"/var/log/acdhub/\"\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "audit_log"),
        "server.audit_log",
        "names a directory",
    );
    let text = format!("[server]\naudit_log = \"/var/log/acdhub/audit.jsonl\"\n{BASE}");
    let file = parse(&text).expect("valid");
    assert_eq!(
        file.server.audit_log.as_deref(),
        Some(std::path::Path::new("/var/log/acdhub/audit.jsonl"))
    );

    let text = format!("[limits]\nmax_message_bytes = 10\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "max_message_bytes"),
        "limits.max_message_bytes",
        "at least 1024",
    );

    let text = format!("[limits]\noutbound_queue = 0\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "outbound_queue"),
        "limits.outbound_queue",
        "at least 1",
    );

    for (rate, problem) in [("0", "at least 1"), ("51", "at most 50")] {
        let text = format!("[limits]\nstats_updates_per_sec = {rate}\n{BASE}");
        assert_refused(
            &text,
            line_of(&text, "stats_updates_per_sec"),
            "limits.stats_updates_per_sec",
            problem,
        );
    }

    let text = format!("[metrics]\nlisten = \"everywhere\"\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "listen"),
        "metrics.listen",
        "is not an address",
    );
    let text = format!("[metrics]\nlisten = \"off\"\n{BASE}");
    assert_eq!(
        parse(&text).expect("valid").metrics.listen,
        config::ListenAddr::Off
    );
    let text = format!("[metrics]\nscrape_port = 9464\n{BASE}");
    assert_refused(
        &text,
        line_of(&text, "scrape_port"),
        "metrics.scrape_port",
        "unknown field",
    );

    let text = format!(
        "[server]\nws = \"off\"\nwss = \"127.0.0.1:9443\"\n[limits]\nauth_timeout_secs = 3\n{BASE}"
    );
    let file = parse(&text).expect("valid");
    assert_eq!(file.server.ws, config::ListenAddr::Off);
    assert_eq!(
        file.server.audit_log, None,
        "no audit file unless one is named"
    );
    assert_eq!(file.limits.auth_timeout, Duration::from_secs(3));
    assert_eq!(
        file.limits.ping_interval,
        Duration::from_secs(25),
        "defaults fill the rest"
    );
    assert_eq!(file.limits.stats_updates_per_sec, 4);
    assert_eq!(
        file.metrics.listen,
        "127.0.0.1:9464".parse().unwrap(),
        "metrics stay on the host unless configured"
    );
}

#[test]
fn the_keys_of_the_fallback_ladder_and_the_grace_period_are_read_and_checked() {
    for (section, line, field, problem) in [
        (
            "server",
            "public_ws_port = 70000",
            "server.public_ws_port",
            "a port from 0",
        ),
        (
            "server",
            "public_wss_port = -1",
            "server.public_wss_port",
            "a port from 0",
        ),
        (
            "server",
            "sse_padding_bytes = 70000",
            "server.sse_padding_bytes",
            "at most 65536",
        ),
        (
            "server",
            "on_disconnect = \"pause\"",
            "server.on_disconnect",
            "not_ready or logout",
        ),
        (
            "limits",
            "poll_wait_secs = 60",
            "limits.poll_wait_secs",
            "at most 55",
        ),
        (
            "limits",
            "poll_wait_secs = 0",
            "limits.poll_wait_secs",
            "at least 1",
        ),
        (
            "limits",
            "replay_events = 0",
            "limits.replay_events",
            "at least 1",
        ),
        (
            "limits",
            "resume_secs = 0",
            "limits.resume_secs",
            "at least 1",
        ),
        (
            "limits",
            "sse_keepalive_secs = 0",
            "limits.sse_keepalive_secs",
            "at least 1",
        ),
    ] {
        let text = format!("[{section}]\n{line}\n{BASE}");
        let key = line.split(' ').next().unwrap();
        assert_refused(&text, line_of(&text, key), field, problem);
    }

    let text = format!(
        "[server]\npublic_ws_port = 0\npublic_wss_port = 443\nsse_padding_bytes = 2048\n\
         disconnect_grace_secs = 30\non_disconnect = \"logout\"\n\
         [limits]\nsse_keepalive_secs = 5\npoll_wait_secs = 20\nreplay_events = 64\nresume_secs = 300\n{BASE}"
    );
    let file = parse(&text).expect("valid");
    assert_eq!(file.server.public_ws_port, Some(0));
    assert_eq!(file.server.public_wss_port, Some(443));
    assert_eq!(file.server.sse_padding_bytes, 2048);
    assert_eq!(file.server.disconnect_grace, Duration::from_secs(30));
    assert_eq!(file.server.on_disconnect, config::OnDisconnect::Logout);
    assert_eq!(file.limits.sse_keepalive, Duration::from_secs(5));
    assert_eq!(file.limits.poll_wait, Duration::from_secs(20));
    assert_eq!(file.limits.replay_events, 64);
    assert_eq!(file.limits.resume, Duration::from_secs(300));

    let defaults = parse(BASE).expect("valid");
    assert_eq!(
        defaults.server.public_ws_port, None,
        "the listener's own port"
    );
    assert_eq!(defaults.server.disconnect_grace, Duration::from_secs(60));
    assert_eq!(
        defaults.server.on_disconnect,
        config::OnDisconnect::NotReady
    );
    assert_eq!(defaults.limits.resume, Duration::from_secs(120));
}

#[test]
fn a_cluster_section_is_read_and_each_bad_key_is_named_at_its_line() {
    let good = format!(
        "{BASE}\n[cluster]\nnats = [\"nats://10.0.0.1:4222\", \"tls://10.0.0.2:4222\"]\nnode = \"acd-1\"\nnode_urls = [\"wss://acd1.example.com/ws\"]\n"
    );
    let cluster = parse(&good)
        .expect("a good [cluster]")
        .cluster
        .expect("read");
    assert_eq!(cluster.node, "acd-1");
    assert_eq!(cluster.replicas, 3);
    assert_eq!(cluster.request_timeout, std::time::Duration::from_secs(2));
    assert_eq!(cluster.node_timeout, std::time::Duration::from_secs(10));
    assert_eq!(cluster.node_urls, ["wss://acd1.example.com/ws"]);
    assert!(
        parse(BASE).unwrap().cluster.is_none(),
        "no section, one machine"
    );

    let with = |lines: &str| format!("{BASE}\n[cluster]\n{lines}\n");
    let nats = "nats = [\"nats://10.0.0.1:4222\"]";
    let cases = [
        (
            "nats = []".to_owned(),
            "nats = []",
            "cluster.nats",
            "at least one",
        ),
        (
            "nats = [\"http://10.0.0.1:4222\"]\nnode = \"a\"".to_owned(),
            "nats = [\"http",
            "cluster.nats[0]",
            "not a NATS URL",
        ),
        (
            format!("{nats}\nnode = \"a.b\""),
            "node = ",
            "cluster.node",
            "letters, digits",
        ),
        (
            format!("{nats}\nnode = \"a\"\nreplicas = 7"),
            "replicas",
            "cluster.replicas",
            "from 1 to 5",
        ),
        (
            format!("{nats}\nnode = \"a\"\nrequest_timeout_ms = 10"),
            "request_timeout_ms",
            "cluster.request_timeout_ms",
            "at least 100",
        ),
        (
            format!("{nats}\nnode = \"a\"\nnode_timeout_secs = 1"),
            "node_timeout_secs",
            "cluster.node_timeout_secs",
            "at least 3",
        ),
        (
            format!("{nats}\nnode = \"a\"\nnode_urls = [\"https://acd1/ws\"]"),
            "node_urls",
            "cluster.node_urls[0]",
            "not a WebSocket URL",
        ),
        (
            format!("{nats}\nnode = \"a\"\nleader = \"a\""),
            "leader",
            "cluster.leader",
            "",
        ),
    ];
    for (lines, needle, field, problem) in cases {
        let text = with(&lines);
        assert_refused(&text, line_of(&text, needle), field, problem);
    }
}

/// BASE with a chat channel, a chat queue and an agent's capacity for it.
fn with_chat(channel: &str, queue: &str, agent: &str) -> String {
    format!(
        "{BASE}\n[[tenants.channels]]\nid = \"chat\"\n{channel}\n\n[[tenants.queues]]\nid = \"chats\"\nchannel = \"chat\"\n{queue}\n\n[[tenants.agents]]\nid = \"carl\"\nskills = {{ chats = 2 }}\n{agent}\n"
    )
}

#[test]
fn channels_capacities_and_conversation_queues_load() {
    let text = with_chat(
        "name = \"Web chat\"\ncapacity = 5\nexclusive = true",
        "wrap_up_secs = 20",
        "capacity = { chat = 2 }",
    );
    let text = text.replace(
        "time_zone = \"Europe/Berlin\"",
        "time_zone = \"Europe/Berlin\"\nrouting = { voice_exclusive = false }",
    );
    let file = parse(&text).expect("parses");
    let acd = &file.tenants[0].acd;
    assert!(!acd.routing.voice_exclusive);
    let chat = &acd.channels[0];
    assert_eq!(
        (
            chat.id.as_str(),
            chat.name.as_str(),
            chat.capacity,
            chat.exclusive
        ),
        ("chat", "Web chat", 5, true)
    );
    let queue = acd
        .queues
        .iter()
        .find(|q| q.id.as_str() == "chats")
        .unwrap();
    assert_eq!(queue.channel.as_ref().map(|c| c.as_str()), Some("chat"));
    assert_eq!(acd.queues[0].channel, None, "a queue naming none is voice");
    let carl = acd.agents.iter().find(|a| a.id.as_str() == "carl").unwrap();
    assert_eq!(carl.capacity, vec![("chat".into(), 2)]);
    // The defaults: three at once, not exclusive, and calls keep conversations away.
    let file = parse(&with_chat("", "", "")).expect("parses");
    let acd = &file.tenants[0].acd;
    assert!(acd.routing.voice_exclusive);
    assert_eq!(
        (acd.channels[0].capacity, acd.channels[0].exclusive),
        (3, false)
    );
    assert!(Acd::new(acd.clone(), Timestamp::UNIX_EPOCH).is_ok());
}

#[test]
fn a_bad_channel_capacity_or_conversation_queue_is_refused_at_its_key() {
    let text = with_chat("capacity = 11", "", "");
    let line = line_of(&text, "capacity = 11");
    assert_refused(&text, line, "tenants[0].channels[0].capacity", "0 to 10");
    let text = with_chat("capacity = 0", "", "");
    let line = line_of(&text, "capacity = 0");
    assert_refused(
        &text,
        line,
        "tenants[0].channels[0].capacity",
        "between 1 and 10",
    );
    let text = with_chat("", "", "").replace("id = \"chat\"", "id = \"voice\"");
    let line = line_of(&text, "id = \"voice\"");
    assert_refused(&text, line, "tenants[0].channels[0].id", "another id");
    let text = with_chat("", "", "").replace("channel = \"chat\"", "channel = \"sms\"");
    let line = line_of(&text, "channel = \"sms\"");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[2].channel",
        "names no configured channel",
    );
    let text = with_chat(
        "",
        "max_wait = { after_secs = 60, overflow_to = \"sales\" }",
        "",
    );
    let line = line_of(&text, "overflow_to = \"sales\"");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[2].max_wait.overflow_to",
        "another channel",
    );
    let text = with_chat("", "", "capacity = { sms = 1 }");
    let line = line_of(&text, "capacity = { sms = 1 }");
    assert_refused(
        &text,
        line,
        "tenants[0].agents[1].capacity.sms",
        "names no configured channel",
    );
    let text = with_chat("", "", "capacity = { chat = 12 }");
    let line = line_of(&text, "capacity = { chat = 12 }");
    assert_refused(&text, line, "tenants[0].agents[1].capacity.chat", "0 to 10");
}

/// `channels` makes one lane per channel, with the queue's settings; what is wrong with a lane
/// is reported at the queue's own entry of the file.
#[test]
fn a_queue_of_several_channels_loads_as_one_lane_each_and_errors_point_at_its_entry() {
    let two = |text: String| {
        text.replacen(
            "id = \"support\"\nmin_skill = 3",
            "id = \"support\"\nmin_skill = 3\nchannels = [\"voice\", \"chat\"]",
            1,
        )
    };
    let file = parse(&two(with_chat("", "", ""))).expect("parses");
    let acd = &file.tenants[0].acd;
    let lanes: Vec<(&str, Option<&str>, u8)> = acd
        .queues
        .iter()
        .map(|q| {
            (
                q.id.as_str(),
                q.channel.as_ref().map(|c| c.as_str()),
                q.min_skill,
            )
        })
        .collect();
    assert_eq!(
        lanes,
        [
            ("support", None, 3),
            ("support", Some("chat"), 3),
            ("sales", None, 1),
            ("chats", Some("chat"), 1)
        ]
    );
    let core = Acd::new(acd.clone(), Timestamp::UNIX_EPOCH).expect("runs");
    assert_eq!(core.lanes_of(&"support".into()).count(), 2);

    // `chats` is the file's third queue and the core's fourth lane: the error names the file's.
    let text = two(with_chat("", "", "")).replace("channel = \"chat\"", "channel = \"sms\"");
    let line = line_of(&text, "channel = \"sms\"");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[2].channel",
        "names no configured channel",
    );
    // An overflow from a two-lane queue needs both lanes at the target.
    let text = two(with_chat("", "", "")).replacen(
        "min_skill = 3",
        "min_skill = 3\nmax_wait = { after_secs = 60, overflow_to = \"sales\" }",
        1,
    );
    let line = line_of(&text, "overflow_to = \"sales\"");
    assert_refused(
        &text,
        line,
        "tenants[0].queues[0].max_wait.overflow_to",
        "another channel",
    );
    // Disposition codes are for calls: a queue of conversations alone may not have them.
    for (key, value) in [
        ("dispositions", "[{ code = \"resolved\" }]"),
        ("disposition_required", "true"),
    ] {
        let lines = format!("channel = \"chat\"\n{key} = {value}");
        let text = with_chat_channel(&base_with("id = \"sales\"", &lines));
        let line = line_of(&text, &format!("{key} = "));
        assert_refused(
            &text,
            line,
            &format!("tenants[0].queues[1].{key}"),
            "disposition codes are for calls",
        );
    }
    for (channels, problem) in [
        ("channels = []", "at least one channel"),
        ("channels = [\"chat\", \"chat\"]", "`chat` listed twice"),
        ("channels = [\"chat\"]\nchannel = \"chat\"", "not both"),
    ] {
        let text = base_with("id = \"sales\"", channels);
        let text = with_chat_channel(&text);
        let line = line_of(&text, channels.lines().next().unwrap());
        assert_refused(&text, line, "tenants[0].queues[1].channels", problem);
    }
}

/// `text` with a chat channel defined.
fn with_chat_channel(text: &str) -> String {
    format!("{text}\n[[tenants.channels]]\nid = \"chat\"\n")
}

#[test]
fn transcript_retention_is_kept_for_ever_unless_set_and_never_zero_days() {
    let file = parse(BASE).unwrap();
    assert_eq!(file.storage.transcript_retention_days, None);
    let text = format!("[storage]\ntranscript_retention_days = 90\n{BASE}");
    let file = parse(&text).unwrap();
    assert_eq!(file.storage.transcript_retention_days, Some(90));
    let text = format!("[storage]\ntranscript_retention_days = 0\n{BASE}");
    assert_refused(
        &text,
        2,
        "storage.transcript_retention_days",
        "must be at least 1 day; leave the key out to keep conversation records for ever",
    );
}
