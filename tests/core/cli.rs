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
    let queues = ["support", "sales", "vip", "general"];
    let mut sum = [0u64; 5];
    for queue in queues {
        let row = counts(&table, queue);
        for (total, figure) in sum.iter_mut().zip(row) {
            *total += figure;
        }
    }
    assert!(sum[0] > 50, "two demo hours bring calls: {table}");
    assert_eq!(
        counts(&table, "total"),
        sum,
        "the total row is the sum of the queues"
    );
    assert!(
        table.contains("0 refused"),
        "the simulator sends only valid commands: {table}"
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
