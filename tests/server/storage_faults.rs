//! A disk that cannot be written: the real binary with its data directory on a small tmpfs,
//! filled up or remounted read-only under it. Every command that would change something is
//! refused with `storage_unavailable` and changes nothing, reads go on, and once the disk can
//! be written again the next command is taken, with nothing acknowledged lost over a `kill -9`
//! (docs/operations.md, "Faults"). Mounting needs root; CI runs as root.

use std::collections::HashMap;
use std::fs::File;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use acdhub::acd::Command as AcdCommand;
use acdhub::server::Entry;
use serde_json::{Value, json};

use crate::binary::Acdhub;
use crate::durability::load::sign_in;
use crate::durability::model::AgentCommand;
use crate::durability::{agent_command, contact_center, journal_dir, records};
use crate::net::{self, Client};

/// Panics with a clear message unless the test runs as root.
fn require_root() {
    let id = Command::new("id").arg("-u").output().expect("`id -u` runs");
    let uid = String::from_utf8_lossy(&id.stdout).trim().to_owned();
    assert_eq!(
        uid, "0",
        "this test mounts a tmpfs (`mount -t tmpfs`) for the server's data directory and needs \
         root; run it as root (CI does)"
    );
}

/// Runs `mount` with `args`, panicking with its output if it fails.
fn mount(args: &[&str], target: &Path) {
    let output = Command::new("mount")
        .args(args)
        .arg(target)
        .output()
        .expect("`mount` runs");
    assert!(
        output.status.success(),
        "mount {} {}: {}",
        args.join(" "),
        target.display(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
}

/// A tmpfs mounted for one test, unmounted when the test ends, failed or not.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    fn mount(dir: PathBuf, size: &str) -> Tmpfs {
        require_root();
        std::fs::create_dir_all(&dir).unwrap();
        mount(
            &["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"],
            &dir,
        );
        Tmpfs { dir }
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let unmounted = Command::new("umount").arg(&self.dir).status();
        if !unmounted.is_ok_and(|status| status.success()) {
            // Still busy (a server a failed test left behind): detach it now, gone when free.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

/// A way the data directory stops being writable, and comes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// A file fills the tmpfs to the last byte; deleting it frees the space.
    Full,
    /// `mount -o remount,ro`, then `remount,rw`.
    ReadOnly,
}

/// Fills the file system `path` is on: writes until not even one more byte fits.
fn fill(path: &Path) -> File {
    let mut file = File::create(path).unwrap();
    for chunk in [1 << 16, 4096, 1] {
        let bytes = vec![0x5a_u8; chunk];
        loop {
            match file.write(&bytes) {
                Ok(0) => break,
                Ok(_) => {}
                Err(error) if error.kind() == ErrorKind::StorageFull => break,
                Err(error) => panic!("filling {}: {error}", path.display()),
            }
        }
    }
    assert_eq!(
        file.write(&[0]).map_err(|e| e.kind()).err(),
        Some(ErrorKind::StorageFull),
        "the disk is full"
    );
    file
}

/// The sum of `acdhub_messages_refused_total` with `code="storage_unavailable"`.
async fn storage_refusals(server: &Acdhub) -> f64 {
    server
        .scrape()
        .await
        .lines()
        .filter(|line| {
            line.starts_with("acdhub_messages_refused_total{")
                && line.contains("code=\"storage_unavailable\"")
        })
        .map(|line| line.rsplit(' ').next().unwrap().parse::<f64>().unwrap())
        .sum()
}

/// The agent's state in a snapshot: `(state, reason, since)`.
fn state_in(snapshot: &[Value], agent: &str) -> (String, Option<String>, String) {
    let state = snapshot
        .iter()
        .find(|m| m["type"] == "agent_state" && m["agent"] == agent)
        .unwrap_or_else(|| panic!("no agent_state of {agent} in {snapshot:?}"));
    let text = |field: &str| state[field].as_str().map(str::to_owned);
    (
        text("state").unwrap(),
        text("reason"),
        text("since").unwrap(),
    )
}

/// Sends `command` and returns the reply, which must be `ack` or a `storage_unavailable`
/// error (schema-checked, as everything a `Client` receives).
async fn acked_or_refused(client: &mut Client, command: Value) -> bool {
    let reply = client.request(command.clone()).await;
    match reply["type"].as_str() {
        Some("ack") => true,
        _ => {
            assert_eq!(reply["code"], "storage_unavailable", "{command} -> {reply}");
            assert!(
                reply["message"].as_str().is_some_and(|m| !m.is_empty()),
                "{reply}"
            );
            false
        }
    }
}

async fn refuses_then_recovers(fault: Fault, name: &str) {
    require_root();
    let dir = net::fresh_dir(name);
    let config = dir.join("acdhub.toml");
    std::fs::write(&config, contact_center("")).unwrap();
    let disk = Tmpfs::mount(dir.join("data"), "2m");
    let data = disk.dir.clone();
    let mut server = Acdhub::start_with_data(&config, &data).await;
    let mut tokens = HashMap::new();
    let (mut agent, _) = sign_in(server.ws, "d1", &mut tokens).await;
    let (mut pbx, _) = sign_in(server.ws, "pbx", &mut tokens).await;
    agent.ok(json!({"type": "login"})).await;
    let mut acked = vec![AgentCommand::Login];

    let filler = data.join("filler");
    let full = match fault {
        Fault::Full => Some(fill(&filler)),
        Fault::ReadOnly => {
            mount(&["-o", "remount,ro"], &data);
            None
        }
    };
    // The segment's last page may still hold a few records; then the disk refuses.
    let mut reason = "login";
    let mut refused = false;
    for attempt in 0..200 {
        let wanted = ["break", "lunch"][attempt % 2];
        if !acked_or_refused(&mut agent, json!({"type": "not_ready", "reason": wanted})).await {
            refused = true;
            break;
        }
        reason = wanted;
        acked.push(AgentCommand::NotReady(wanted.into()));
    }
    assert!(refused, "a {fault:?} disk refuses commands");
    assert!(
        !acked_or_refused(
            &mut pbx,
            json!({"type": "call_arrived", "call": "refused-while-the-disk-could-not-be-written", "queue": "support"}),
        )
        .await,
        "a call cannot arrive on a {fault:?} disk"
    );
    server
        .wait_for("journal cannot be written, refusing commands until it can")
        .await;
    assert!(storage_refusals(&server).await >= 2.0);

    // Nothing changed, and reads go on: a fresh sign-in and a supervisor see the agent where
    // its last acknowledged command left it.
    agent.ok(json!({"type": "ping"})).await;
    let (_, snapshot) = sign_in(server.ws, "d1", &mut HashMap::new()).await;
    let (state, shown_reason, since) = state_in(&snapshot, "d1");
    assert_eq!(
        (state.as_str(), shown_reason.as_deref()),
        ("not_ready", Some(reason))
    );
    let (mut boss, _) = sign_in(server.ws, "boss", &mut tokens).await;
    boss.ok(json!({"type": "subscribe"})).await;
    let watched = std::mem::take(&mut boss.backlog);
    assert_eq!(state_in(&watched, "d1"), (state, shown_reason, since));
    assert!(
        !watched.iter().any(|m| m["type"] == "call_state"),
        "no call arrived: {watched:?}"
    );

    // Writable again: the next command is taken.
    match fault {
        Fault::Full => {
            drop(full);
            std::fs::remove_file(&filler).unwrap();
        }
        Fault::ReadOnly => mount(&["-o", "remount,rw"], &data),
    }
    agent.ok(json!({"type": "ready"})).await;
    acked.push(AgentCommand::Ready);
    agent.expect_state("d1", "ready").await;
    server.wait_for("journal writable again").await;
    let call = "arrived-once-the-disk-could-be-written";
    pbx.ok(json!({"type": "call_arrived", "call": call, "queue": "support"}))
        .await;
    let ringing = agent.expect_state("d1", "ringing").await;
    assert_eq!(ringing["call"], call);

    // Over a kill -9, everything acknowledged is there.
    server.kill();
    let server = Acdhub::start_with_data(&config, &data).await;
    let (_, snapshot) = sign_in(server.ws, "d1", &mut tokens).await;
    let ringing_again = snapshot
        .iter()
        .find(|m| m["type"] == "agent_state")
        .unwrap();
    assert_eq!(ringing_again["state"], "ringing", "{snapshot:?}");
    assert_eq!(ringing_again["call"], call);
    assert_eq!(ringing_again["since"], ringing["since"]);
    let (_, calls) = sign_in(server.ws, "pbx", &mut tokens).await;
    let held: Vec<&Value> = calls.iter().filter_map(|m| m.get("call")).collect();
    assert_eq!(held, [&json!(call)], "the connector's snapshot: {calls:?}");
    server.stop();

    let mut journaled = Vec::new();
    let mut arrived = Vec::new();
    for record in records(&journal_dir(&data)) {
        let Entry::Command(command) = &record.entry else {
            panic!("no reconfiguration happened: {record:?}");
        };
        match (agent_command(command), command) {
            (Some((_, command)), _) => journaled.push(command),
            (None, AcdCommand::CallArrived { call, .. }) => arrived.push(call.to_string()),
            (None, other) => panic!("a command nobody sent: {other:?}"),
        }
    }
    assert_eq!(
        journaled, acked,
        "the journal holds the acknowledged commands and nothing refused"
    );
    assert_eq!(arrived, [call]);
    drop(disk);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_full_disk_refuses_commands_with_storage_unavailable_then_recovers() {
    refuses_then_recovers(Fault::Full, "storage-full").await;
}

/// Cannot run as written: Linux refuses `mount -o remount,ro` with EBUSY ("mount point is
/// busy") while any process has a file on the file system open for writing, and a running
/// acdhub always has (its journal segment O_RDWR, the journal's `lock`, `audit.jsonl`). The
/// same holds for a read-only bind mount (the writers are counted per mount). A disk the
/// kernel turns read-only by itself (ext4 `errors=remount-ro`) cannot be made writable again
/// without unmounting it. Run it with `--ignored` to see the refusal.
#[tokio::test]
#[ignore = "Linux refuses `mount -o remount,ro` (EBUSY) while acdhub holds its journal open for writing"]
async fn a_read_only_data_directory_refuses_commands_then_recovers() {
    refuses_then_recovers(Fault::ReadOnly, "storage-read-only").await;
}
