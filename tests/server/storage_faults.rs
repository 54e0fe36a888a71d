//! A disk that cannot be written: the real binary with its data directory on a small tmpfs
//! that fills up, or on an ext4 file system (a loop device) that the kernel turns read-only as
//! it does after an I/O error. Every command that would change something is refused with
//! `storage_unavailable` and changes nothing, and reads go on. A full disk is taken again by
//! the running server once space returns; a disk the kernel made read-only stays so until it
//! is unmounted and checked, so that server is stopped, the disk repaired, and a new server
//! finds everything acknowledged. Either way nothing acknowledged is lost over a `kill -9`
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
        "this test mounts a file system (a tmpfs, or ext4 on a loop device) for the server's \
         data directory and needs root; run it as root (CI does)"
    );
}

/// Runs `program` with `args`, panicking with its output unless it exits with one of `ok`.
fn run(program: &str, args: &[&str], ok: &[i32]) -> String {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("`{program}` runs: {e}"));
    assert!(
        output.status.code().is_some_and(|code| ok.contains(&code)),
        "{program} {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout).trim(),
        String::from_utf8_lossy(&output.stderr).trim()
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// Runs `mount` with `args`, panicking with its output if it fails.
fn mount(args: &[&str], target: &Path) {
    let mut args = args.to_vec();
    let target = target.to_str().unwrap();
    args.push(target);
    run("mount", &args, &[0]);
}

/// Unmounts `dir`; if it is still busy (a server a failed test left behind), detaches it now,
/// gone when free.
fn unmount(dir: &Path) {
    let unmounted = Command::new("umount").arg(dir).status();
    if !unmounted.is_ok_and(|status| status.success()) {
        let _ = Command::new("umount").arg("-l").arg(dir).status();
    }
}

/// A tmpfs mounted for one test, unmounted when the test ends, failed or not.
pub(crate) struct Tmpfs {
    pub(crate) dir: PathBuf,
}

impl Tmpfs {
    pub(crate) fn mount(dir: PathBuf, size: &str) -> Tmpfs {
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
        unmount(&self.dir);
    }
}

/// An ext4 file system in an image file, mounted through a loop device with
/// `errors=remount-ro` (Debian's default for its root file system): on an error the kernel
/// makes it read-only, and it stays so until unmounted and checked.
struct LoopExt4 {
    image: PathBuf,
    dir: PathBuf,
}

impl LoopExt4 {
    fn mount(image: PathBuf, dir: PathBuf) -> LoopExt4 {
        require_root();
        File::create(&image).unwrap().set_len(16 << 20).unwrap();
        run("mkfs.ext4", &["-q", "-F", image.to_str().unwrap()], &[0]);
        std::fs::create_dir_all(&dir).unwrap();
        let disk = LoopExt4 { image, dir };
        disk.attach();
        disk
    }

    fn attach(&self) {
        mount(
            &["-o", "loop,errors=remount-ro", self.image.to_str().unwrap()],
            &self.dir,
        );
    }

    /// What the kernel does when the disk under ext4 fails a write: it reports a file-system
    /// error (here through ext4's own `trigger_fs_error` switch in sysfs) and, as told by
    /// `errors=remount-ro`, turns the file system read-only under the running server.
    fn fail(&self) {
        let source = run(
            "findmnt",
            &["-n", "-o", "SOURCE", self.dir.to_str().unwrap()],
            &[0],
        );
        let device = Path::new(&source).file_name().unwrap().to_str().unwrap();
        std::fs::write(format!("/sys/fs/ext4/{device}/trigger_fs_error"), "1").unwrap();
        let options = run(
            "findmnt",
            &["-n", "-o", "OPTIONS", self.dir.to_str().unwrap()],
            &[0],
        );
        assert!(
            options.contains("emergency_ro") || options.split(',').any(|o| o == "ro"),
            "the kernel made the file system read-only: {options}"
        );
    }

    /// What an operator does once the server is stopped: unmount, check, mount again.
    fn repair(&self) {
        run("umount", &[self.dir.to_str().unwrap()], &[0]);
        // 0: clean; 1: errors corrected (the error the kernel recorded).
        run(
            "e2fsck",
            &["-f", "-y", self.image.to_str().unwrap()],
            &[0, 1],
        );
        self.attach();
    }
}

impl Drop for LoopExt4 {
    fn drop(&mut self) {
        unmount(&self.dir);
        let _ = std::fs::remove_file(&self.image);
    }
}

/// How the data directory stops being writable, and the file system that does it.
enum Disk {
    /// A file fills a tmpfs to the last byte; deleting it frees the space.
    Full(Tmpfs),
    /// The kernel turns the file system read-only under the server ([`LoopExt4::fail`]); the
    /// server is stopped and the disk repaired ([`LoopExt4::repair`]).
    ReadOnly(LoopExt4),
}

impl Disk {
    fn full(dir: &Path) -> Disk {
        Disk::Full(Tmpfs::mount(dir.join("data"), "2m"))
    }

    fn read_only(dir: &Path) -> Disk {
        Disk::ReadOnly(LoopExt4::mount(dir.join("disk.img"), dir.join("data")))
    }

    fn dir(&self) -> PathBuf {
        match self {
            Disk::Full(disk) => disk.dir.clone(),
            Disk::ReadOnly(disk) => disk.dir.clone(),
        }
    }

    /// For messages.
    fn kind(&self) -> &'static str {
        match self {
            Disk::Full(_) => "full",
            Disk::ReadOnly(_) => "read-only",
        }
    }
}

/// Fills the file system `path` is on: writes until not even one more byte fits.
pub(crate) fn fill(path: &Path) -> File {
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

async fn refuses_then_recovers(name: &str, disk: fn(&Path) -> Disk) {
    require_root();
    let dir = net::fresh_dir(name);
    let config = dir.join("acdhub.toml");
    std::fs::write(&config, contact_center("")).unwrap();
    let disk = disk(&dir);
    let data = disk.dir();
    let mut server = Acdhub::start_with_data(&config, &data).await;
    let mut tokens = HashMap::new();
    let (mut agent, _) = sign_in(server.ws, "d1", &mut tokens).await;
    let (mut pbx, _) = sign_in(server.ws, "pbx", &mut tokens).await;
    agent.ok(json!({"type": "login"})).await;
    let mut acked = vec![AgentCommand::Login];

    let filler = data.join("filler");
    let full = match &disk {
        Disk::Full(_) => Some(fill(&filler)),
        Disk::ReadOnly(ext4) => {
            ext4.fail();
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
    assert!(refused, "a {} disk refuses commands", disk.kind());
    assert!(
        !acked_or_refused(
            &mut pbx,
            json!({"type": "call_arrived", "call": "refused-while-the-disk-could-not-be-written", "queue": "support"}),
        )
        .await,
        "a call cannot arrive on a {} disk",
        disk.kind()
    );
    server
        .wait_for("journal cannot be written, refusing commands until it can")
        .await;
    assert!(storage_refusals(&server).await >= 2.0);

    // Nothing changed, and reads go on: a fresh sign-in and a supervisor see the agent where
    // its last acknowledged command left it.
    agent.ok(json!({"type": "ping"})).await;
    let (_, snapshot) = sign_in(server.ws, "d1", &mut HashMap::new()).await;
    let before = state_in(&snapshot, "d1");
    let (state, shown_reason, _) = &before;
    assert_eq!(
        (state.as_str(), shown_reason.as_deref()),
        ("not_ready", Some(reason))
    );
    let (mut boss, _) = sign_in(server.ws, "boss", &mut tokens).await;
    boss.ok(json!({"type": "subscribe"})).await;
    let watched = std::mem::take(&mut boss.backlog);
    assert_eq!(state_in(&watched, "d1"), before);
    assert!(
        !watched.iter().any(|m| m["type"] == "call_state"),
        "no call arrived: {watched:?}"
    );

    // Writable again: the next command is taken.
    match &disk {
        Disk::Full(_) => {
            drop(full);
            std::fs::remove_file(&filler).unwrap();
        }
        Disk::ReadOnly(ext4) => {
            // The shutdown snapshot cannot be written; the server says so and exits cleanly.
            let log = server.stop();
            assert!(log.contains("snapshot not written"), "{log}");
            ext4.repair();
            server = Acdhub::start_with_data(&config, &data).await;
            let snapshot;
            (agent, snapshot) = sign_in(server.ws, "d1", &mut tokens).await;
            (pbx, _) = sign_in(server.ws, "pbx", &mut tokens).await;
            assert_eq!(
                state_in(&snapshot, "d1"),
                before,
                "the new server has the agent where the last acknowledged command left it"
            );
        }
    }
    agent.ok(json!({"type": "ready"})).await;
    acked.push(AgentCommand::Ready);
    agent.expect_state("d1", "ready").await;
    if matches!(disk, Disk::Full(_)) {
        server.wait_for("journal writable again").await;
    }
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
    refuses_then_recovers("storage-full", Disk::full).await;
}

/// A disk goes read-only the way disks do in production: ext4 meets an error and the kernel
/// remounts it read-only (`mount -o remount,ro` by hand is refused with EBUSY while acdhub
/// holds its journal open for writing, and a file system the kernel made read-only cannot be
/// made writable again without unmounting it).
#[tokio::test]
async fn a_read_only_data_directory_refuses_commands_then_recovers() {
    refuses_then_recovers("storage-read-only", Disk::read_only).await;
}
