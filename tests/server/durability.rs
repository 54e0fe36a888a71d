//! Nothing acknowledged is lost: the real binary, killed with SIGKILL again and again under
//! load, comes back with every acknowledged command in its journal, every agent where its
//! commands left it, and the same day whether it is recovered from its newest snapshot or
//! replayed from its first one; and a journal cut off at any byte recovers the state after its
//! last whole record (protocol.md, "What survives a restart"; docs/operations.md; the format in
//! src/journal/mod.rs).

pub(crate) mod load;
pub(crate) mod model;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use acdhub::acd::{
    AgentView, CallView, Command, QueueHistograms, QueueStats, RequestedState, TenantStats,
};
use acdhub::journal::Journal;
use acdhub::server::{Entry, Record, Recovered, hash_password, recover_journal};
use jiff::Timestamp;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::binary::Acdhub;
use crate::net::{self, Client, PASSWORD};
use load::{
    AGENTS, AgentRun, QUEUES, Reply, Rng, TelephonyCommand, TelephonyRun, drive_agent,
    drive_telephony, sign_in,
};
use model::{AgentCommand, Allowed, Seen};

/// How many times the first test kills the server.
const KILLS: usize = 20;

/// A contact center for the durability tests, with `storage` as its `[storage]` keys: tenant
/// `acme`, queues `support` and `sales`, agents `d1`..`d6` (each a login of the same name),
/// the PBX connector `pbx` and the supervisor `boss`. No deadline falls due while a test runs:
/// offers ring and wrap-ups last an hour, and an agent whose connection dropped keeps its
/// state for an hour.
pub(crate) fn contact_center(storage: &str) -> String {
    let hash = hash_password(PASSWORD);
    let mut text = format!(
        r#"
[server]
ws = "127.0.0.1:0"
wss = "127.0.0.1:0"
disconnect_grace_secs = 3600
drain_secs = 0

[metrics]
listen = "127.0.0.1:0"

[storage]
{storage}

[[tenants]]
id = "acme"
time_zone = "Europe/Berlin"

[[tenants.not_ready_reasons]]
code = "break"

[[tenants.not_ready_reasons]]
code = "lunch"
"#
    );
    for queue in QUEUES {
        text.push_str(&format!(
            "\n[[tenants.queues]]\nid = \"{queue}\"\nring_timeout_secs = 3600\nwrap_up_secs = 3600\n"
        ));
    }
    let skills = [
        "support = 3",
        "support = 3",
        "sales = 3",
        "sales = 3",
        "support = 2, sales = 2",
        "sales = 1, support = 1",
    ];
    for (agent, skills) in AGENTS.iter().zip(skills) {
        text.push_str(&format!(
            "\n[[tenants.agents]]\nid = \"{agent}\"\nskills = {{ {skills} }}\n"
        ));
    }
    let principals = AGENTS
        .iter()
        .map(|agent| (*agent, "agent"))
        .chain([("pbx", "telephony"), ("boss", "supervisor")]);
    for (user, role) in principals {
        text.push_str(&format!(
            "\n[[principals]]\nuser = \"{user}\"\nrole = \"{role}\"\ntenant = \"acme\"\npassword_hash = \"{hash}\"\n"
        ));
    }
    text
}

/// Where the tenant's journal is in a data directory.
pub(crate) fn journal_dir(data: &Path) -> PathBuf {
    data.join("tenants").join("acme").join("journal")
}

/// Everyone signed in to a freshly started server, with what their snapshots showed.
struct Signed {
    agents: Vec<(Client, Seen)>,
    telephony: Client,
    telephony_snapshot: Vec<Value>,
}

/// Signs every agent, the connector and the supervisor in (with their tokens after the first
/// start), and checks that the supervisor's snapshot shows each agent as its own session's does.
async fn sign_in_everyone(server: &Acdhub, tokens: &mut HashMap<String, String>) -> Signed {
    let mut agents = Vec::new();
    for agent in AGENTS {
        let (client, snapshot) = sign_in(server.ws, agent, tokens).await;
        let mut seen = Seen::unknown();
        for message in &snapshot {
            assert!(
                message["agent"] == agent || message["agent"].is_null(),
                "{message}"
            );
            seen.observe(message);
        }
        assert_ne!(seen.state, "unknown", "{agent}'s snapshot has its state");
        agents.push((client, seen));
    }
    let (telephony, telephony_snapshot) = sign_in(server.ws, "pbx", tokens).await;
    let (mut supervisor, _) = sign_in(server.ws, "boss", tokens).await;
    supervisor.ok(json!({"type": "subscribe"})).await;
    let mut watched: BTreeMap<String, Seen> = BTreeMap::new();
    for message in std::mem::take(&mut supervisor.backlog) {
        if let Some(agent) = message["agent"].as_str()
            && matches!(
                message["type"].as_str(),
                Some("agent_state" | "pending_state")
            )
        {
            watched
                .entry(agent.to_owned())
                .or_insert_with(Seen::unknown)
                .observe(&message);
        }
    }
    for (agent, (_, seen)) in AGENTS.iter().zip(&agents) {
        assert_eq!(
            watched.get(*agent),
            Some(seen),
            "the supervisor sees {agent} as its own session does"
        );
    }
    Signed {
        agents,
        telephony,
        telephony_snapshot,
    }
}

/// Copies the journal's segments (newer versions replace older ones) and its first snapshot
/// into `archive`: with every segment ever written and only the first snapshot, the archive
/// is the whole day, replayed from its start. Returns the snapshots the journal has now.
fn archive_journal(journal: &Path, archive: &Path) -> BTreeSet<String> {
    std::fs::create_dir_all(archive).unwrap();
    let mut snapshots = BTreeSet::new();
    for entry in std::fs::read_dir(journal).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.ends_with(".log") {
            std::fs::copy(entry.path(), archive.join(&name)).unwrap();
        } else if name.ends_with(".snap") {
            snapshots.insert(name);
        }
    }
    let archived = std::fs::read_dir(archive).unwrap().any(|entry| {
        entry
            .unwrap()
            .path()
            .extension()
            .is_some_and(|e| e == "snap")
    });
    if !archived {
        let first = snapshots.first().expect("a snapshot from the first start");
        assert_eq!(
            first, "snapshot-00000000000000000000.snap",
            "the day's first snapshot covers no record"
        );
        std::fs::copy(journal.join(first), archive.join(first)).unwrap();
    }
    snapshots
}

/// Every record of a journal directory, parsed, checking their positions run on from 1.
pub(crate) fn records(dir: &Path) -> Vec<Record> {
    let raw = Journal::read_from(dir, 0).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    raw.iter()
        .enumerate()
        .map(|(index, (position, bytes))| {
            assert_eq!(
                *position,
                index as u64 + 1,
                "positions run on without a gap"
            );
            serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("record {position} is not a Record: {e}"))
        })
        .collect()
}

/// What a tenant's day shows: every agent, every call, every queue's and the tenant's figures,
/// and the queues' histograms.
#[derive(Debug, PartialEq)]
struct Day {
    at: Timestamp,
    agents: Vec<AgentView>,
    calls: Vec<CallView>,
    queues: Vec<QueueStats>,
    histograms: Vec<QueueHistograms>,
    tenant: TenantStats,
}

/// The day `recovered` shows once its core has been brought to `at`.
fn day_at(recovered: &mut Recovered, at: Timestamp) -> Day {
    let acd = &mut recovered.acd;
    acd.handle_timeout(at);
    while acd.poll_event().is_some() {}
    let queues: Vec<_> = acd.queue_ids().cloned().collect();
    Day {
        at: acd.now(),
        agents: acd.agents().collect(),
        calls: acd.calls(),
        queues: queues.iter().map(|q| acd.queue_stats(q).unwrap()).collect(),
        histograms: queues
            .iter()
            .map(|q| acd.queue_histograms(q).unwrap().clone())
            .collect(),
        tenant: acd.tenant_stats(),
    }
}

/// Asserts that two recoveries are the same day, compared at the later of their instants.
fn assert_same_day(a: &mut Recovered, b: &mut Recovered, what: &str) {
    let at = a.acd.now().max(b.acd.now());
    let (a, b) = (day_at(a, at), day_at(b, at));
    assert_eq!(a.agents, b.agents, "{what}: the agents differ");
    assert_eq!(a.calls, b.calls, "{what}: the calls differ");
    assert_eq!(a.queues, b.queues, "{what}: the queue statistics differ");
    assert_eq!(a.histograms, b.histograms, "{what}: the histograms differ");
    assert_eq!(a.tenant, b.tenant, "{what}: the tenant statistics differ");
    assert_eq!(a, b, "{what}");
}

/// An agent's command as the journal holds it, or `None` for any other command.
pub(crate) fn agent_command(command: &Command) -> Option<(&str, AgentCommand)> {
    Some(match command {
        Command::Login { agent } => (agent.as_str(), AgentCommand::Login),
        Command::SetState { agent, state } => (
            agent.as_str(),
            match state {
                RequestedState::Ready => AgentCommand::Ready,
                RequestedState::NotReady { reason } => {
                    AgentCommand::NotReady(reason.as_str().to_owned())
                }
                RequestedState::LoggedOut => panic!("nobody logs {agent} out"),
            },
        ),
        Command::Accept { agent, call } => {
            (agent.as_str(), AgentCommand::Accept(call.as_str().into()))
        }
        Command::Hangup { agent, call } => {
            (agent.as_str(), AgentCommand::Hangup(call.as_str().into()))
        }
        Command::EndWrapUp { agent } => (agent.as_str(), AgentCommand::EndWrapUp),
        _ => return None,
    })
}

/// The commands each client had acknowledged, in order, across every run.
#[derive(Default)]
struct Acknowledged {
    agents: BTreeMap<String, Vec<AgentCommand>>,
    arrived: BTreeSet<String>,
    ended: BTreeSet<String>,
    /// Replies that were errors, by code, for the report.
    errors: BTreeMap<String, usize>,
}

impl Acknowledged {
    fn agent(&mut self, run: &AgentRun) {
        for (command, reply) in &run.replies {
            match reply {
                Reply::Ack => self
                    .agents
                    .entry(run.agent.clone())
                    .or_default()
                    .push(command.clone()),
                Reply::Error(code) => *self.errors.entry(code.clone()).or_default() += 1,
            }
        }
    }

    fn telephony(&mut self, run: &TelephonyRun) {
        for (command, reply) in &run.replies {
            match (command, reply) {
                (TelephonyCommand::Arrive { call, .. }, Reply::Ack) => {
                    assert!(self.arrived.insert(call.clone()), "call ids are unique");
                }
                (TelephonyCommand::End(call), Reply::Ack) => {
                    self.ended.insert(call.clone());
                }
                (_, Reply::Error(code)) => *self.errors.entry(code.clone()).or_default() += 1,
            }
        }
    }

    /// Asserts that the journal holds every acknowledged command: each agent's in order (among
    /// its other journaled commands), each arrived call exactly once, each ended call.
    fn assert_journaled(&self, records: &[Record]) {
        let mut journaled: BTreeMap<&str, Vec<AgentCommand>> = BTreeMap::new();
        let mut arrivals: BTreeMap<&str, usize> = BTreeMap::new();
        let mut ends = BTreeSet::new();
        for record in records {
            let Entry::Command(command) = &record.entry else {
                panic!("no reconfiguration happened: {record:?}");
            };
            if let Some((agent, command)) = agent_command(command) {
                journaled.entry(agent).or_default().push(command);
                continue;
            }
            match command {
                Command::CallArrived { call, .. } => {
                    *arrivals.entry(call.as_str()).or_default() += 1;
                }
                Command::CallEnded { call } => {
                    ends.insert(call.as_str());
                }
                other => panic!("a command nobody sent: {other:?}"),
            }
        }
        for (agent, acked) in &self.agents {
            let mut journal = journaled.get(agent.as_str()).into_iter().flatten();
            for (index, command) in acked.iter().enumerate() {
                assert!(
                    journal.any(|found| found == command),
                    "{agent}'s acknowledged command #{index} {command:?} is not in the journal \
                     (after the ones before it)"
                );
            }
        }
        for call in &self.arrived {
            assert_eq!(
                arrivals.get(call.as_str()),
                Some(&1),
                "acknowledged call {call} is in exactly one CallArrived record"
            );
        }
        let duplicated: Vec<_> = arrivals.iter().filter(|(_, n)| **n > 1).collect();
        assert!(duplicated.is_empty(), "calls arrived twice: {duplicated:?}");
        for call in &self.ended {
            assert!(
                ends.contains(call.as_str()),
                "acknowledged call_ended {call}"
            );
        }
    }
}

#[tokio::test]
async fn kill_9_twenty_times_under_load_loses_nothing_acknowledged() {
    let began = Instant::now();
    let dir = net::fresh_dir("kill-9");
    let config = dir.join("acdhub.toml");
    std::fs::write(
        &config,
        contact_center("snapshot_records = 1000\nsnapshot_interval_secs = 1"),
    )
    .unwrap();
    let data = dir.join("data");
    let journal = journal_dir(&data);
    let archive = dir.join("archive");
    // The clients' choices are the same every time; when the kills come is not.
    let timing_seed = std::time::SystemTime::UNIX_EPOCH
        .elapsed()
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill delays seeded with {timing_seed}");
    let mut timing = Rng::new(timing_seed);
    let mut choices = Rng::new(1);
    let mut tokens = HashMap::new();
    let mut acknowledged = Acknowledged::default();
    let mut expected: Option<Vec<Allowed>> = None;
    let mut snapshots_seen = BTreeSet::new();
    let mut calls_arrived = BTreeSet::new();
    // Agents found after a restart where only a command in flight at the kill could take them.
    let mut moved_unseen = 0;
    for run in 0..=KILLS {
        let server = Acdhub::start_with_data(&config, &data).await;
        snapshots_seen.extend(archive_journal(&journal, &archive));
        let signed = sign_in_everyone(&server, &mut tokens).await;
        // Where the agents are after the restart: where their acknowledged commands left
        // them, or one step on by what was in flight.
        if let Some(allowed) = expected.take() {
            for ((agent, allowed), (_, seen)) in AGENTS.iter().zip(&allowed).zip(&signed.agents) {
                moved_unseen += usize::from(allowed.check(agent, seen));
            }
        }
        let held = TelephonyRun::calls(&signed.telephony_snapshot);
        let unknown: Vec<_> = held.difference(&calls_arrived).collect();
        assert!(unknown.is_empty(), "calls nobody reported: {unknown:?}");
        if run == KILLS {
            drop(signed);
            server.stop();
            break;
        }

        let mut agents = Vec::new();
        for (agent, (client, seen)) in AGENTS.iter().zip(signed.agents) {
            let rng = Rng::new(choices.next_u64());
            agents.push(tokio::spawn(drive_agent(
                client,
                agent.to_string(),
                seen,
                rng,
            )));
        }
        let telephony = tokio::spawn(drive_telephony(
            signed.telephony,
            TelephonyRun::from_snapshot(&signed.telephony_snapshot),
            format!("k{run}"),
            Rng::new(choices.next_u64()),
        ));
        let delay = Duration::from_millis(50 + timing.below(751));
        tokio::time::sleep(delay).await;
        server.kill();
        let telephony = tokio::time::timeout(net::PATIENCE, telephony)
            .await
            .expect("the connector notices the kill")
            .unwrap();
        let mut allowed = Vec::new();
        for agent in agents {
            let agent = tokio::time::timeout(net::PATIENCE, agent)
                .await
                .expect("the agent notices the kill")
                .unwrap();
            acknowledged.agent(&agent);
            allowed.push(Allowed::new(
                &agent.last,
                telephony.unseen_by(&agent),
                telephony.waiting(),
            ));
        }
        acknowledged.telephony(&telephony);
        calls_arrived.extend(telephony.replies.iter().map(|(command, _)| match command {
            TelephonyCommand::Arrive { call, .. } | TelephonyCommand::End(call) => call.clone(),
        }));
        if let Some(TelephonyCommand::Arrive { call, .. }) = &telephony.in_flight {
            calls_arrived.insert(call.clone());
        }
        expected = Some(allowed);
        snapshots_seen.extend(archive_journal(&journal, &archive));
    }
    // The last versions of the segments, after the snapshot written at SIGTERM.
    let now_kept = archive_journal(&journal, &archive);
    snapshots_seen.extend(now_kept.iter().cloned());
    let acked: usize = acknowledged.agents.values().map(Vec::len).sum::<usize>()
        + acknowledged.arrived.len()
        + acknowledged.ended.len();
    eprintln!(
        "{KILLS} kills: {acked} commands acknowledged, errors {:?}, {moved_unseen} agents \
         moved on by a command in flight, {} snapshots seen",
        acknowledged.errors,
        snapshots_seen.len()
    );
    assert!(
        acknowledged.arrived.len() >= KILLS,
        "the load reached the server"
    );
    assert!(
        acknowledged.agents.values().any(|commands| commands
            .iter()
            .any(|c| matches!(c, AgentCommand::EndWrapUp))),
        "agents got through whole calls"
    );

    // The journal: every acknowledged command, no call twice.
    let records = records(&archive);
    acknowledged.assert_journaled(&records);

    // Snapshots were written and compacted while the test ran: the first one is gone.
    assert!(
        !now_kept.contains("snapshot-00000000000000000000.snap"),
        "compaction removed the first snapshot ({snapshots_seen:?} seen, {now_kept:?} kept)"
    );

    // The twin: the whole day replayed from the first snapshot is the day the newest snapshot
    // holds.
    let mut twin = recover_journal(&archive)
        .unwrap()
        .expect("the archive has a day");
    assert_eq!(
        twin.replayed,
        records.len(),
        "the twin replays every record"
    );
    let mut real = recover_journal(&journal)
        .unwrap()
        .expect("the data has a day");
    assert_eq!(
        real.replayed, 0,
        "the snapshot written at SIGTERM covers every record"
    );
    assert_same_day(
        &mut real,
        &mut twin,
        "newest snapshot vs. every record replayed",
    );
    eprintln!("took {:?}", began.elapsed());
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The byte offsets in a segment where a record ends (the first is the end of the header):
/// a 24-byte header, then frames of `len: u32 LE`, `crc: u32 LE` and `len` payload bytes.
fn record_boundaries(segment: &[u8]) -> Vec<u64> {
    const HEADER: usize = 24;
    assert_eq!(&segment[..8], b"ACDHJLOG", "a segment's magic");
    let mut boundaries = vec![HEADER as u64];
    let mut at = HEADER;
    while at < segment.len() {
        let len = u32::from_le_bytes(segment[at..at + 4].try_into().unwrap()) as usize;
        at += 8 + len;
        assert!(
            at <= segment.len(),
            "a whole segment ends in a whole record"
        );
        boundaries.push(at as u64);
    }
    boundaries
}

/// Copies a journal directory (not its lock) to `to`, with `segment` cut to `len` bytes.
fn copy_cut(from: &Path, to: &Path, segment: &str, len: u64) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name != "lock" {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(to.join(segment))
        .unwrap();
    file.set_len(len).unwrap();
}

#[tokio::test]
async fn a_journal_cut_at_any_byte_recovers_the_state_after_its_last_whole_record() {
    let dir = net::fresh_dir("journal-cut");
    let config = dir.join("acdhub.toml");
    // The defaults: no snapshot but the day's first, so every record is replayed.
    std::fs::write(&config, contact_center("")).unwrap();
    let data = dir.join("data");
    let server = Acdhub::start_with_data(&config, &data).await;
    let mut tokens = HashMap::new();
    let signed = sign_in_everyone(&server, &mut tokens).await;
    let mut choices = Rng::new(7);
    let mut drivers = Vec::new();
    for (agent, (client, seen)) in AGENTS.iter().zip(signed.agents) {
        let rng = Rng::new(choices.next_u64());
        drivers.push(tokio::spawn(async move {
            drive_agent(client, agent.to_string(), seen, rng).await;
        }));
    }
    drivers.push(tokio::spawn(async move {
        let run = TelephonyRun::from_snapshot(&signed.telephony_snapshot);
        drive_telephony(signed.telephony, run, "cut".into(), choices).await;
    }));
    // Killed once the journal holds a few hundred records (some 30 KiB).
    let journal = journal_dir(&data);
    let segment = "00000000000000000001.log";
    let deadline = Instant::now() + net::PATIENCE;
    while std::fs::metadata(journal.join(segment)).unwrap().len() < 30_000 {
        assert!(Instant::now() < deadline, "the load reaches the journal");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    server.kill();
    for driver in drivers {
        tokio::time::timeout(net::PATIENCE, driver)
            .await
            .unwrap()
            .unwrap();
    }

    let mut names: Vec<String> = std::fs::read_dir(&journal)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "00000000000000000001.log",
            "lock",
            "snapshot-00000000000000000000.snap"
        ]
    );
    let bytes = std::fs::read(journal.join(segment)).unwrap();
    let boundaries = record_boundaries(&bytes);
    let records = boundaries.len() - 1;
    assert!(records >= 20, "the load wrote {records} records");
    let end = bytes.len() as u64;

    // Every byte of the last three records and the whole header, and a sample across the file.
    let mut cuts: BTreeSet<u64> = (boundaries[records - 3]..=end).collect();
    cuts.extend(0..=boundaries[0] + 8);
    cuts.extend((0..end).step_by((end / 150).max(1) as usize));

    // On a memory file system when there is one: recovery syncs what it repairs.
    let scratch = if Path::new("/dev/shm").is_dir() {
        PathBuf::from(format!(
            "/dev/shm/acdhub-journal-cut-{}",
            std::process::id()
        ))
    } else {
        dir.join("scratch")
    };
    let (cut_dir, whole_dir) = (scratch.join("cut"), scratch.join("whole"));
    let mut whole_days: HashMap<u64, (usize, Day)> = HashMap::new();
    for &cut in &cuts {
        // The last record boundary at or before the cut (a cut inside the header: none).
        let whole = boundaries
            .iter()
            .rposition(|&b| b <= cut)
            .unwrap_or_default();
        let (replayed, expected) = whole_days.entry(whole as u64).or_insert_with(|| {
            copy_cut(&journal, &whole_dir, segment, boundaries[whole]);
            let mut recovered = recover_journal(&whole_dir).unwrap().unwrap();
            let at = recovered.acd.now();
            (recovered.replayed, day_at(&mut recovered, at))
        });
        assert_eq!(
            *replayed, whole,
            "the records before the boundary are replayed"
        );
        copy_cut(&journal, &cut_dir, segment, cut);
        let mut recovered = recover_journal(&cut_dir)
            .unwrap_or_else(|e| panic!("cut at byte {cut} of {end}: {e}"))
            .unwrap();
        assert_eq!(
            recovered.replayed, whole,
            "cut at byte {cut}: every whole record and nothing else"
        );
        let at = recovered.acd.now();
        assert_eq!(at, expected.at, "cut at byte {cut}: the same instant");
        let day = day_at(&mut recovered, at);
        assert!(
            day == *expected,
            "cut at byte {cut} of {end}: not the day after record {whole}:\n{day:#?}\nvs.\n{expected:#?}"
        );
        // What the next start appends to: the file is cut back to its whole records.
        let repaired = std::fs::metadata(cut_dir.join(segment)).unwrap().len();
        assert_eq!(
            repaired, boundaries[whole],
            "cut at byte {cut}: the torn tail is cut off"
        );
    }
    eprintln!(
        "{} cuts of a {end}-byte segment with {records} records",
        cuts.len()
    );
    std::fs::remove_dir_all(&scratch).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}
