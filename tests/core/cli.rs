//! The `acdhub` binary as a user runs it.

use std::process::{Command, Output};

fn acdhub(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("utf-8 output")
}

/// The figures of one row of the queue table: name, offered, answered, abandoned, overflowed,
/// timed out.
fn counts(table: &str, row: &str) -> [u64; 5] {
    let line = table
        .lines()
        .find(|l| l.split_whitespace().next() == Some(row))
        .unwrap_or_else(|| panic!("no row {row} in\n{table}"));
    let numbers: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .take(5)
        .map(|n| n.parse().unwrap())
        .collect();
    numbers.try_into().unwrap()
}

#[test]
fn simulate_runs_the_demo_contact_center_and_its_total_adds_up() {
    let output = acdhub(&["simulate", "--hours", "2"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let table = stdout(&output);
    assert!(
        table.contains("tenant `demo` from the built-in demo"),
        "{table}"
    );
    let queues = ["support", "sales", "vip", "general", "chat"];
    let mut sum = [0u64; 5];
    for queue in queues {
        let row = counts(&table, queue);
        for (total, figure) in sum.iter_mut().zip(row) {
            *total += figure;
        }
    }
    assert!(sum[0] > 50, "two demo hours bring calls: {table}");
    assert!(
        counts(&table, "chat")[1] > 10,
        "and chats, taken by the virtual agents: {table}"
    );
    assert_eq!(
        counts(&table, "total"),
        sum,
        "the total row is the sum of the queues"
    );
    assert!(
        table.contains("0 refused"),
        "the simulator sends only valid commands: {table}"
    );
    // Per channel: each channel's total row, and the conversation figures of the chat queue.
    let mut voice = [0u64; 5];
    for queue in ["support", "sales", "vip", "general"] {
        for (total, figure) in voice.iter_mut().zip(counts(&table, queue)) {
            *total += figure;
        }
    }
    assert_eq!(counts(&table, "all:voice"), voice, "{table}");
    assert_eq!(
        counts(&table, "all:chat"),
        counts(&table, "chat"),
        "{table}"
    );
    let conversations = table
        .lines()
        .find(|l| l.split_whitespace().take(2).eq(["chat", "chat"]))
        .unwrap_or_else(|| panic!("no conversation row for the chat queue in\n{table}"));
    let first_responses: u64 = conversations
        .split_whitespace()
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    let answered = counts(&table, "chat")[1];
    assert!(
        first_responses > 0 && first_responses <= answered,
        "virtual agents reply to the chats they take: {table}"
    );
}

#[test]
fn simulate_is_repeatable_for_a_seed() {
    let first = stdout(&acdhub(&["simulate", "--hours", "1", "--seed", "7"]));
    let second = stdout(&acdhub(&["simulate", "--hours", "1", "--seed", "7"]));
    let figures = |out: &str| {
        out.lines()
            .take_while(|l| !l.starts_with("now:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(figures(&first), figures(&second));
}

#[test]
fn simulate_one_queue_prints_erlang_c_beside_the_measurement() {
    let output = acdhub(&[
        "simulate",
        "--agents",
        "55",
        "--calls-per-hour",
        "720",
        "--aht",
        "240",
        "--hours",
        "2",
    ]);
    assert!(output.status.success());
    let table = stdout(&output);
    assert!(table.contains("traffic A = 48.00 Erlangs"), "{table}");
    for figure in ["P(wait)", "ASA", "SL(15 s)", "occupancy", "AHT"] {
        assert!(
            table.lines().any(|l| l.starts_with(figure)),
            "no {figure} row in\n{table}"
        );
    }
    assert!(
        table.contains("23.87 %"),
        "Erlang C's P(wait) for the worked example: {table}"
    );
}

/// With fixed patience the one-queue mode prints Erlang A only as a labelled reference, with
/// no standard errors that would claim the two agree (with exponential patience it does claim
/// it); --patience-distribution needs --patience and one of its names.
#[test]
fn simulate_with_fixed_patience_prints_erlang_a_as_a_reference() {
    let run = |distribution: &str| {
        let output = acdhub(&[
            "simulate",
            "--agents",
            "45",
            "--patience",
            "60",
            "--patience-distribution",
            distribution,
            "--hours",
            "2",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout(&output)
    };
    let reference = "Erlang A assumes exponential patience";
    let fixed = run("fixed");
    assert!(fixed.contains("patience 60 s (fixed)"), "{fixed}");
    assert!(fixed.contains(reference), "{fixed}");
    assert!(fixed.lines().any(|l| l.starts_with("abandoned")), "{fixed}");
    assert!(!fixed.contains(" se)"), "no agreement claimed: {fixed}");
    let exponential = run("exponential");
    assert!(
        exponential.contains("mean patience 60 s (exponential)"),
        "{exponential}"
    );
    assert!(!exponential.contains(reference), "{exponential}");
    assert!(exponential.contains(" se)"), "{exponential}");

    let alone = acdhub(&[
        "simulate",
        "--agents",
        "45",
        "--patience-distribution",
        "fixed",
    ]);
    assert_eq!(alone.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&alone.stderr);
    assert!(stderr.contains("--patience <SECS>"), "{stderr}");
    let unknown = acdhub(&[
        "simulate",
        "--patience",
        "60",
        "--patience-distribution",
        "normal",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert!(stderr.contains("not one of exponential, fixed"), "{stderr}");
}

#[test]
fn a_broken_configuration_is_reported_with_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("acdhub-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("broken.toml");
    let text =
        acdhub::demo::DEMO_TOML.replacen("ring_timeout_secs = 20", "ring_timeout_secs = 0", 1);
    std::fs::write(&file, &text).unwrap();
    let line = text
        .lines()
        .position(|l| l.trim() == "ring_timeout_secs = 0")
        .unwrap()
        + 1;
    let output = acdhub(&["simulate", "--config", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let expected = format!(
        "{}:{line}: tenants[0].queues[0].ring_timeout_secs:",
        file.display()
    );
    assert!(
        stderr.contains(&expected),
        "expected {expected} in {stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn help_names_the_listeners_and_the_commands() {
    let output = acdhub(&["--help"]);
    assert!(output.status.success());
    let help = stdout(&output);
    for word in [
        "--ws",
        "--wss",
        "--metrics",
        "--config",
        "simulate",
        "hash-password",
    ] {
        assert!(help.contains(word), "no {word} in\n{help}");
    }
}

#[test]
fn a_listen_address_that_is_not_one_is_refused_before_anything_starts() {
    let output = acdhub(&["--ws", "eighty"]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`eighty` is not an address"), "{stderr}");
}

#[test]
fn hash_password_prints_an_argon2_hash_the_configuration_accepts() {
    use std::io::Write as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .arg("hash-password")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    let hash = stdout(&output).trim().to_owned();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains("s3cret"));
}

/// Runs the binary as an unprivileged user: itself if it is not root, else `nobody` by setpriv.
fn unprivileged(args: &[&str]) -> Output {
    let binary = env!("CARGO_BIN_EXE_acdhub");
    let root = Command::new("id").arg("-u").output().unwrap().stdout == b"0\n";
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", binary]);
        c
    } else {
        Command::new(binary)
    };
    command.args(args).output().expect("the binary runs")
}

#[test]
fn a_privileged_port_without_permission_fails_with_advice() {
    // Ports below this need privilege; on a machine where it is 0 there is nothing to refuse.
    let start: u16 = std::fs::read_to_string("/proc/sys/net/ipv4/ip_unprivileged_port_start")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        start > 80,
        "this machine lets anyone bind port 80 (net.ipv4.ip_unprivileged_port_start = {start})"
    );
    let output = unprivileged(&["--ws", "127.0.0.1:80", "--wss", "off"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("cannot listen for ws on 127.0.0.1:80: permission denied"),
        "{stderr}"
    );
    assert!(stderr.contains("setcap cap_net_bind_service"), "{stderr}");
    assert!(stderr.contains("--ws 8080"), "{stderr}");
}

/// Two records as the server writes them, and the start of a third it was writing when the
/// export ran.
const RECORDS: &str = concat!(
    r#"{"seq":1,"call":"c1","outcome":"answered","first_queue":"support","last_queue":"sales","queues":["support","sales"],"agents":["ann","bob"],"answered_by":"ann","priority":3,"caller":"+4930123","dialled":"800","arrived_at":"2026-03-10T08:00:02Z","first_offered_at":"2026-03-10T08:00:02Z","answered_at":"2026-03-10T08:00:05Z","ended_at":"2026-03-10T08:01:05Z","wrap_up_ended_at":"2026-03-10T08:01:25Z","wait_ms":3000,"last_queue_wait_ms":1500,"talk_ms":45000,"hold_ms":15000,"holds":2,"wrap_up_ms":20000,"offers":2,"ring_no_answers":0,"rejections":0,"transfers":1,"transfer_targets":["queue:sales"],"overflows":0,"disposition":"callback","notes":"Monday, \"after 10\"\nre: invoice"}"#,
    "\n",
    r#"{"seq":2,"call":"c2","outcome":"abandoned","first_queue":"support","last_queue":"support","queues":["support"],"agents":[],"answered_by":null,"priority":null,"caller":"Smith, \"Ann\"","dialled":null,"arrived_at":"2026-03-10T08:02:00Z","first_offered_at":null,"answered_at":null,"ended_at":"2026-03-10T08:02:12Z","wrap_up_ended_at":null,"wait_ms":12000,"last_queue_wait_ms":12000,"talk_ms":0,"hold_ms":0,"holds":0,"wrap_up_ms":0,"offers":0,"ring_no_answers":0,"rejections":0,"transfers":0,"transfer_targets":[],"overflows":0}"#,
    "\n",
    r#"{"seq":3,"call":"c3","outc"#,
);

#[test]
fn export_writes_a_days_records_as_csv_or_as_json_lines() {
    let data = tempfile::tempdir().unwrap();
    let tenant = data.path().join("records/acme");
    std::fs::create_dir_all(&tenant).unwrap();
    std::fs::write(tenant.join("2026-03-10.jsonl"), RECORDS).unwrap();
    let data_dir = data.path().to_str().unwrap();
    let common = ["export", "--data", data_dir, "--tenant", "acme"];

    let output = acdhub(&[&common[..], &["--day", "2026-03-10"]].concat());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = stdout(&output);
    let rows: Vec<&str> = csv.split_inclusive("\r\n").collect();
    assert_eq!(rows.len(), 3, "a header and two whole records: {csv}");
    assert_eq!(
        rows[0],
        "seq,call,outcome,first_queue,last_queue,queues,agents,answered_by,priority,caller,\
         dialled,arrived_at,first_offered_at,answered_at,ended_at,wrap_up_ended_at,wait_ms,\
         last_queue_wait_ms,talk_ms,hold_ms,holds,wrap_up_ms,offers,ring_no_answers,rejections,\
         transfers,transfer_targets,overflows,disposition,notes\r\n"
    );
    assert_eq!(
        rows[1],
        "1,c1,answered,support,sales,support;sales,ann;bob,ann,3,+4930123,800,\
         2026-03-10T08:00:02Z,2026-03-10T08:00:02Z,2026-03-10T08:00:05Z,2026-03-10T08:01:05Z,\
         2026-03-10T08:01:25Z,3000,1500,45000,15000,2,20000,2,0,0,1,queue:sales,0,callback,\
         \"Monday, \"\"after 10\"\"\nre: invoice\"\r\n"
    );
    assert_eq!(
        rows[2],
        "2,c2,abandoned,support,support,support,,,,\"Smith, \"\"Ann\"\"\",,2026-03-10T08:02:00Z,\
         ,,2026-03-10T08:02:12Z,,12000,12000,0,0,0,0,0,0,0,0,,0,,\r\n"
    );

    let out = data.path().join("out.jsonl");
    let output = acdhub(
        &[
            &common[..],
            &["--day", "2026-03-10", "--format", "jsonl", "--to"],
            &[out.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(output.status.success());
    assert!(output.stdout.is_empty());
    let whole_lines = &RECORDS[..RECORDS.rfind('\n').unwrap() + 1];
    assert_eq!(std::fs::read_to_string(&out).unwrap(), whole_lines);
}

#[test]
fn export_of_a_day_or_tenant_without_records_names_the_file_it_looked_for() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let out = data.path().join("out.csv");
    let output = acdhub(&[
        "export",
        "--data",
        data_dir,
        "--tenant",
        "nobody",
        "--day",
        "2026-03-10",
        "--to",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let path = data.path().join("records/nobody/2026-03-10.jsonl");
    assert!(
        stderr.contains(&format!(
            "no call records for tenant `nobody` on 2026-03-10: {} does not exist",
            path.display()
        )),
        "{stderr}"
    );
    assert!(!out.exists(), "no output file for a failed export");

    let output = acdhub(&[
        "export",
        "--data",
        data_dir,
        "--tenant",
        "acme",
        "--day",
        "10.03.2026",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("not a day written YYYY-MM-DD"), "{stderr}");
}

/// A conversation record as the server writes it, beside a call record of the same day.
const CONVERSATIONS: &str = concat!(
    r#"{"seq":1,"conversation":"chat-8812","channel":"chat","outcome":"closed_by_agent","first_queue":"chat","last_queue":"chat","queues":["chat"],"agents":["ann"],"accepted_by":"ann","priority":0,"customer":"Dana Weber","data":{"account":"C-10293"},"arrived_at":"2026-03-10T08:00:02Z","first_offered_at":"2026-03-10T08:00:02Z","accepted_at":"2026-03-10T08:00:05Z","first_response_at":"2026-03-10T08:00:09Z","ended_at":"2026-03-10T08:03:00Z","wrap_up_ended_at":"2026-03-10T08:03:20Z","wait_ms":3000,"last_queue_wait_ms":3000,"first_response_ms":7000,"open_ms":175000,"wrap_up_ms":20000,"offers":1,"rejections":0,"ring_no_answers":0,"transfers":0,"transfer_targets":[],"overflows":0,"customer_messages":1,"agent_messages":1,"transcript":[{"number":0,"from":"customer","at":"2026-03-10T08:00:02Z","text":"Hello, my parcel has not arrived"},{"number":1,"from":"agent","agent":"ann","at":"2026-03-10T08:00:09Z","text":"Let me look"}]}"#,
    "\n",
);

#[test]
fn export_writes_a_days_conversations_as_csv_without_transcripts_or_as_json_lines_with_them() {
    let data = tempfile::tempdir().unwrap();
    let tenant = data.path().join("records/acme");
    std::fs::create_dir_all(&tenant).unwrap();
    std::fs::write(tenant.join("2026-03-10.jsonl"), RECORDS).unwrap();
    std::fs::write(tenant.join("conversations-2026-03-10.jsonl"), CONVERSATIONS).unwrap();
    let data_dir = data.path().to_str().unwrap();
    let common = [
        "export",
        "--data",
        data_dir,
        "--tenant",
        "acme",
        "--day",
        "2026-03-10",
        "--records",
        "conversations",
    ];

    let output = acdhub(&common);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let csv = stdout(&output);
    let rows: Vec<&str> = csv.split_inclusive("\r\n").collect();
    assert_eq!(rows.len(), 2, "a header and one conversation: {csv}");
    assert_eq!(
        rows[0],
        "seq,conversation,channel,outcome,first_queue,last_queue,queues,agents,accepted_by,\
         priority,customer,data,arrived_at,first_offered_at,accepted_at,first_response_at,\
         ended_at,wrap_up_ended_at,wait_ms,last_queue_wait_ms,first_response_ms,open_ms,\
         wrap_up_ms,offers,rejections,ring_no_answers,transfers,transfer_targets,overflows,\
         customer_messages,agent_messages\r\n"
    );
    assert_eq!(
        rows[1],
        "1,chat-8812,chat,closed_by_agent,chat,chat,chat,ann,ann,0,Dana Weber,\
         \"{\"\"account\"\":\"\"C-10293\"\"}\",2026-03-10T08:00:02Z,2026-03-10T08:00:02Z,\
         2026-03-10T08:00:05Z,2026-03-10T08:00:09Z,2026-03-10T08:03:00Z,2026-03-10T08:03:20Z,\
         3000,3000,7000,175000,20000,1,0,0,0,,0,1,1\r\n"
    );
    assert!(!csv.contains("parcel"), "no transcript in a row: {csv}");

    let output = acdhub(&[&common[..], &["--format", "jsonl"]].concat());
    assert!(output.status.success());
    assert_eq!(stdout(&output), CONVERSATIONS, "the lines as they are");

    // The calls of the same day are exported as before.
    let output = acdhub(&common[..7]);
    assert!(output.status.success());
    assert!(stdout(&output).starts_with("seq,call,outcome,"));

    let output = acdhub(&[
        "export",
        "--data",
        data_dir,
        "--tenant",
        "acme",
        "--day",
        "2026-03-11",
        "--records",
        "conversations",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let path = tenant.join("conversations-2026-03-11.jsonl");
    assert!(
        stderr.contains(&format!(
            "no conversation records for tenant `acme` on 2026-03-11: {} does not exist",
            path.display()
        )),
        "{stderr}"
    );
}

/// A small configuration with `server` as its `[server]` section's keys: tenant `acme` with
/// queues support and sales, agents a1 and a2, one principal. The hash is never checked.
fn small_config(server: &str, ring_timeout_secs: u32) -> String {
    format!(
        r#"
[server]
{server}

[[tenants]]
id = "acme"
time_zone = "Europe/Berlin"

[[tenants.queues]]
id = "support"

[[tenants.queues]]
id = "sales"
ring_timeout_secs = {ring_timeout_secs}

[[tenants.agents]]
id = "a1"
skills = {{ support = 3 }}

[[tenants.agents]]
id = "a2"
skills = {{ sales = 2 }}

[[principals]]
user = "a1"
role = "agent"
tenant = "acme"
password_hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
"#
    )
}

/// A fresh folder for one test's files.
fn fresh_dir(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("acdhub-cli-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn check_config_accepts_a_good_file_without_binding_its_ports() {
    // Both ports are taken: a start would fail to bind, a check does not try.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let dir = fresh_dir("check-good");
    let file = dir.join("good.toml");
    let server = format!("ws = \"127.0.0.1:{port}\"\nwss = \"127.0.0.1:{port}\"");
    std::fs::write(&file, small_config(&server, 30)).unwrap();
    let output = acdhub(&["check-config", file.to_str().unwrap()]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout(&output),
        format!(
            "{}: ok\n1 tenants, 2 queues, 2 agents, 1 principals\n",
            file.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_config_names_the_key_of_a_bad_value() {
    let dir = fresh_dir("check-bad");
    let file = dir.join("bad.toml");
    std::fs::write(&file, small_config("ws = \"off\"", 0)).unwrap();
    let output = acdhub(&["check-config", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:14: tenants[0].queues[1].ring_timeout_secs: must be more than 0 seconds",
            file.display()
        )),
        "{stderr}"
    );
    assert_eq!(stdout(&output), "", "no `ok` for a bad file");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn check_config_reads_the_tls_files_as_a_start_would() {
    let dir = fresh_dir("check-tls");
    let file = dir.join("tls.toml");
    let missing = dir.join("missing.pem");
    let server = format!(
        "wss = \"127.0.0.1:0\"\ntls_certificate = {:?}\ntls_private_key = {:?}",
        missing.display().to_string(),
        missing.display().to_string()
    );
    std::fs::write(&file, small_config(&server, 30)).unwrap();
    let output = acdhub(&["check-config", file.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: cannot read the certificate chain",
            missing.display()
        )),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn journal_verify_of_a_folder_that_holds_no_journal_says_so_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let output = acdhub(&["journal", "verify", dir.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("holds no journal"), "{stderr}");
    assert!(stderr.contains("tenants/<tenant>/journal"), "{stderr}");
}

#[test]
fn journal_verify_reports_a_whole_journal_and_names_the_file_and_offset_of_damage() {
    use acdhub::journal::{Journal, JournalOptions};
    let dir = tempfile::tempdir().unwrap();
    let journal_dir = dir.path().join("journal");
    {
        let (mut journal, _) = Journal::open(&journal_dir, JournalOptions::default()).unwrap();
        journal.write_snapshot(0, b"{}").unwrap();
        let records: Vec<Vec<u8>> = (0..5).map(|n| format!("record {n}").into_bytes()).collect();
        journal.append_batch(&records).unwrap();
        journal.append_batch(&records).unwrap();
    }
    let path = journal_dir.to_str().unwrap();
    let output = acdhub(&["journal", "verify", path]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let said = stdout(&output);
    assert!(
        said.contains("1 segments, 10 records (positions 1 to 10)"),
        "{said}"
    );
    assert!(said.contains("1 valid snapshots"), "{said}");

    // A byte flipped in the middle of the segment: damage, named with the file and offset,
    // and the file is left as it was (verify writes nothing).
    let segment = std::fs::read_dir(&journal_dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_some_and(|e| e == "log"))
        .unwrap();
    let mut bytes = std::fs::read(&segment).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&segment, &bytes).unwrap();
    let output = acdhub(&["journal", "verify", path]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    let name = segment.file_name().unwrap().to_str().unwrap();
    assert!(stderr.contains(name), "names the segment: {stderr}");
    assert!(
        stderr.contains("offset") || stderr.contains("byte"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&segment).unwrap(),
        bytes,
        "verify wrote nothing"
    );
}

/// The server started with `args` and `env`, its log on standard error read line by line until
/// `until` says it has what it needs; then it is stopped. Returns the lines read.
fn log_of_a_start(
    args: &[&str],
    env: &[(&str, &str)],
    until: impl Fn(&str) -> bool,
) -> Vec<String> {
    use std::io::BufRead as _;
    use std::sync::atomic::{AtomicU32, Ordering};
    static STARTS: AtomicU32 = AtomicU32::new(0);
    let data = std::env::temp_dir().join(format!(
        "acdhub-cli-{}-{}",
        std::process::id(),
        STARTS.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&data);
    let mut command = Command::new(env!("CARGO_BIN_EXE_acdhub"));
    command
        .args(args)
        .env("ACDHUB_DATA", &data)
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the binary runs");
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut lines = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        let done = until(&line) || line.contains("error");
        lines.push(line);
        if done {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&data);
    lines
}

/// Each override from its flag, else its environment variable, else the file: the demo started
/// on environment variables alone, with a JSON log whose every line is one object.
#[test]
fn the_environment_sets_what_a_flag_does_and_the_log_can_be_json() {
    let lines = log_of_a_start(
        &[],
        &[
            ("ACDHUB_WS", "127.0.0.1:0"),
            ("ACDHUB_WSS", "off"),
            ("ACDHUB_METRICS", "off"),
            ("ACDHUB_LOG_FORMAT", "json"),
        ],
        |line| line.contains("pages (WebAgent"),
    );
    for line in &lines {
        let object: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        for key in ["timestamp", "level", "target", "message"] {
            assert!(object.get(key).is_some(), "no {key} in {line}");
        }
    }
    let up = lines
        .iter()
        .find(|l| l.contains("acdhub is up"))
        .expect("up");
    let up: serde_json::Value = serde_json::from_str(up).unwrap();
    assert_eq!(
        up["version"],
        env!("CARGO_PKG_VERSION"),
        "fields beside the message"
    );
    let pages = lines.last().unwrap();
    assert!(pages.contains("http://127.0.0.1:"), "{pages}");
    assert!(!lines.iter().any(|l| l.contains("https://")), "wss off");

    // A flag wins over its variable.
    let lines = log_of_a_start(
        &["--ws", "127.0.0.1:0", "--wss", "off", "--metrics", "off"],
        &[("ACDHUB_WS", "eighty"), ("ACDHUB_LOG_FORMAT", "text")],
        |line| line.contains("pages (WebAgent"),
    );
    assert!(
        lines.last().unwrap().contains("http://127.0.0.1:"),
        "{lines:?}"
    );
}

#[test]
fn a_bad_environment_value_is_refused_like_its_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .env("ACDHUB_WS", "eighty")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("`eighty` is not an address"), "{stderr}");
    let output = Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .env("ACDHUB_LOG_FORMAT", "xml")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("xml") && stderr.contains("json"),
        "{stderr}"
    );
}

/// The demo's passwords are public: a bare port serves loopback only, and the log says how to
/// serve other machines; a configuration file's bare port serves every interface.
#[test]
fn the_demo_serves_loopback_unless_given_an_address() {
    let lines = log_of_a_start(
        &["--ws", "0", "--wss", "off", "--metrics", "off"],
        &[],
        |line| line.contains("pages (WebAgent"),
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("127.0.0.1 only") && l.contains("--ws 0.0.0.0:8080")),
        "{lines:?}"
    );
    assert!(
        lines.last().unwrap().contains("http://127.0.0.1:"),
        "{lines:?}"
    );

    let dir = std::env::temp_dir().join(format!("acdhub-cli-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("acdhub.toml");
    std::fs::write(&file, include_str!("../../config/demo.toml")).unwrap();
    let lines = log_of_a_start(
        &[
            "--config",
            file.to_str().unwrap(),
            "--ws",
            "0",
            "--wss",
            "off",
            "--metrics",
            "off",
        ],
        &[],
        |line| line.contains("pages (WebAgent"),
    );
    assert!(
        lines.last().unwrap().contains("http://localhost:"),
        "every interface: {lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("127.0.0.1 only")),
        "{lines:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// systemd's Type=notify (dist/acdhub.service): with `NOTIFY_SOCKET` set, the server says
/// `READY=1` once its listeners take connections, and `STOPPING=1` when told to stop.
#[test]
fn the_server_tells_systemd_when_it_is_ready_and_when_it_stops() {
    use std::io::BufRead as _;
    use std::os::unix::net::UnixDatagram;
    let dir = std::env::temp_dir().join(format!("acdhub-notify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let socket_path = dir.join("notify.sock");
    let socket = UnixDatagram::bind(&socket_path).unwrap();
    socket
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_acdhub"))
        .args(["--ws", "127.0.0.1:0", "--wss", "off", "--metrics", "off"])
        .env("ACDHUB_DATA", dir.join("data"))
        .env("NOTIFY_SOCKET", &socket_path)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut buffer = [0u8; 256];
    let n = socket.recv(&mut buffer).expect("a notification");
    assert_eq!(&buffer[..n], b"READY=1");
    // Ready means serving: the address it logged takes a connection now.
    let mut log = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let pages = log
        .by_ref()
        .map(Result::unwrap)
        .find(|line| line.contains("pages (WebAgent"))
        .expect("the pages' address");
    let address = pages
        .rsplit("http://")
        .next()
        .unwrap()
        .trim_end_matches('/')
        .to_owned();
    std::net::TcpStream::connect(&address).expect("the listener takes connections");
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let n = socket.recv(&mut buffer).expect("a notification");
    assert_eq!(&buffer[..n], b"STOPPING=1");
    // The log is read to its end, so the server never blocks on a full pipe while it stops.
    log.for_each(drop);
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}
