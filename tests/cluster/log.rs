//! Each tenant's log on a real three-server NATS JetStream cluster: records come back in the
//! order the log gave them, each once, from any place; an append repeated with its id is
//! stored once; losing the stream's leader loses nothing it took; without a quorum an append
//! is refused as `Unavailable` and goes through once the servers are back; a snapshot and the
//! records after it are what a fresh connection reads, also after every server restarted; a
//! snapshot of an earlier place written late never replaces a newer one; nodes asking for a
//! shared secret at once all get the same one; a reader whose consumer JetStream lost never
//! goes back; records forgotten under a reader, or past the log's end, are said so.

use std::time::Duration;

use acdhub::cluster::{Appended, Cluster, ClusterOptions, LogError, TenantLog, stream_name};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::time::{Instant, timeout};

use crate::nats::{NatsCluster, PATIENCE};

fn options(nats: &NatsCluster, node: &str) -> ClusterOptions {
    ClusterOptions {
        urls: nats.urls(),
        node: node.to_owned(),
        replicas: 3,
        request_timeout: Duration::from_secs(2),
    }
}

fn record(n: u64) -> Bytes {
    Bytes::from(format!(
        r#"{{"n":{n},"entry":"a record of about the size of a command"}}"#
    ))
}

/// Appends record `n` with id `r<n>`, again and again while the cluster is unavailable, until
/// the log takes it; returns its place.
async fn append_until_taken(log: &TenantLog, n: u64) -> u64 {
    let deadline = Instant::now() + PATIENCE * 2;
    loop {
        match log.append(&format!("r{n}"), record(n)).await {
            Ok(appended) => return appended.seq,
            Err(LogError::Unavailable { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("record {n} was not taken: {error}"),
        }
    }
}

/// Tenant `acme`'s log, reached through a connection of node `node`.
pub(crate) async fn acme_log(nats: &NatsCluster, node: &str) -> TenantLog {
    let cluster = Cluster::connect(options(nats, node)).await.unwrap();
    cluster.tenant_log("acme", PATIENCE).await.unwrap()
}

/// Appends records `first` to `last` (ids `r<n>`), each until the log takes it.
async fn append_all(log: &TenantLog, first: u64, last: u64) {
    for n in first..=last {
        append_until_taken(log, n).await;
    }
}

/// Every record of the log from place 1 to `last`, read back.
async fn read_all(log: &TenantLog, last: u64) -> Vec<(u64, Bytes)> {
    let mut tail = log.tail(1).await.expect("a reader");
    let mut records = Vec::new();
    while records.len() < last as usize {
        let next = timeout(PATIENCE, tail.next())
            .await
            .expect("the reader answers in time");
        records.push(next.expect("a record"));
    }
    records
}

/// The name of the server that leads the tenant's stream.
async fn leader(nats: &NatsCluster, tenant: &str) -> String {
    let client = async_nats::connect(nats.urls().as_slice()).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let mut stream = js.get_stream(stream_name(tenant)).await.unwrap();
    let info = stream.info().await.unwrap();
    info.cluster
        .as_ref()
        .and_then(|cluster| cluster.leader.clone())
        .expect("the stream has a leader")
}

#[tokio::test]
async fn a_tenants_records_come_back_in_order_each_once_from_any_place() {
    let nats = NatsCluster::start("order", 3);
    let cluster = Cluster::connect(options(&nats, "node-a")).await.unwrap();
    let log = cluster.tenant_log("acme", PATIENCE).await.unwrap();
    // A tenant whose id has a `.` gets a stream of its own.
    let other = cluster.tenant_log("acme.eu", PATIENCE).await.unwrap();
    for n in 1..=40 {
        let appended = log.append(&format!("r{n}"), record(n)).await.unwrap();
        assert_eq!(
            appended,
            Appended {
                seq: n,
                duplicate: false
            }
        );
        if n % 10 == 0 {
            other
                .append(&format!("o{n}"), record(1000 + n))
                .await
                .unwrap();
        }
    }
    // The same id again: the record's one place, not a second copy.
    let again = log.append("r40", record(40)).await.unwrap();
    assert_eq!(
        again,
        Appended {
            seq: 40,
            duplicate: true
        }
    );
    assert_eq!(log.last_seq().await.unwrap(), 40);
    assert_eq!(other.last_seq().await.unwrap(), 4);

    for from in [1, 37] {
        let mut tail = log.tail(from).await.unwrap();
        for n in from..=40 {
            let (seq, bytes) = timeout(PATIENCE, tail.next()).await.unwrap().unwrap();
            assert_eq!((seq, bytes), (n, record(n)), "from {from}");
        }
    }
    // At the end, a reader waits for the next record.
    let mut tail = log.tail(41).await.unwrap();
    let waiting = tokio::spawn(async move { tail.next().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "nothing to read yet");
    log.append("r41", record(41)).await.unwrap();
    let next = timeout(PATIENCE, waiting).await.unwrap().unwrap().unwrap();
    assert_eq!(next, (41, record(41)));

    let others = read_all(&other, 4).await;
    assert_eq!(
        others,
        (1..=4)
            .map(|n| (n, record(1000 + n * 10)))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn with_its_leader_killed_the_log_goes_on_and_loses_nothing_it_took() {
    let mut nats = NatsCluster::start("leader", 3);
    let log = acme_log(&nats, "node-a").await;
    append_all(&log, 1, 20).await;
    // A reader waiting at the end while the leader goes: whichever server held its consumer,
    // it reads on.
    let mut tail = log.tail(21).await.unwrap();
    let lost = nats.index_of(&leader(&nats, "acme").await);
    nats.kill(lost);
    // The two left elect a leader and take records again; an append whose answer was lost
    // on the way is made again with its id and stored once.
    let killed_at = Instant::now();
    for n in 21..=40 {
        assert_eq!(
            append_until_taken(&log, n).await,
            n,
            "each record once, in order"
        );
    }
    let back_after = killed_at.elapsed();
    let deadline = Instant::now() + PATIENCE;
    for n in 21..=40 {
        let next = loop {
            match timeout(PATIENCE, tail.next()).await.unwrap() {
                Err(LogError::Unavailable { .. }) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                other => break other.unwrap(),
            }
        };
        assert_eq!(next, (n, record(n)));
    }
    nats.restart(&[lost]);
    assert_eq!(
        read_all(&log, 40).await,
        (1..=40).map(|n| (n, record(n))).collect::<Vec<_>>()
    );
    assert!(
        back_after < PATIENCE,
        "the log took records again {back_after:?} after its leader was lost"
    );
}

#[tokio::test]
async fn without_a_quorum_an_append_is_unavailable_and_goes_through_once_they_are_back() {
    let mut nats = NatsCluster::start("quorum", 3);
    let log = acme_log(&nats, "node-a").await;
    append_all(&log, 1, 10).await;
    // Two of three gone, the stream's leader among them: no server can take a record.
    let leader = nats.index_of(&leader(&nats, "acme").await);
    let follower = (leader + 1) % 3;
    nats.kill(leader);
    nats.kill(follower);
    for _ in 0..2 {
        let started = Instant::now();
        match log.append("r11", record(11)).await {
            Err(LogError::Unavailable { .. }) => {}
            other => panic!("an append without a quorum: {other:?}"),
        }
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "refused within the request timeout: {:?}",
            started.elapsed()
        );
    }
    nats.restart(&[leader, follower]);
    assert_eq!(append_until_taken(&log, 11).await, 11);
    assert_eq!(
        read_all(&log, 11).await,
        (1..=11).map(|n| (n, record(n))).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_snapshot_and_the_records_after_it_are_what_a_new_connection_reads_after_a_full_restart()
{
    let mut nats = NatsCluster::start("snapshot", 3);
    let log = acme_log(&nats, "node-a").await;
    assert_eq!(log.read_snapshot().await.unwrap(), None, "none yet");
    append_all(&log, 1, 30).await;
    assert!(
        log.write_snapshot(20, b"the state after record 20")
            .await
            .unwrap()
    );
    assert_eq!(log.forget_through(20).await.unwrap(), 20);
    drop(log);

    // Every server stops and starts again: what they took is on their disks.
    for i in 0..3 {
        nats.kill(i);
    }
    nats.restart(&[0, 1, 2]);
    let log = acme_log(&nats, "node-b").await;
    let (covers, state) = loop {
        match log.read_snapshot().await {
            Ok(snapshot) => break snapshot.expect("the snapshot is kept"),
            Err(LogError::Unavailable { .. }) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("{error}"),
        }
    };
    assert_eq!(
        (covers, state.as_slice()),
        (20, &b"the state after record 20"[..])
    );
    let mut tail = log.tail(covers + 1).await.unwrap();
    for n in 21..=30 {
        let next = timeout(PATIENCE, tail.next()).await.unwrap().unwrap();
        assert_eq!(next, (n, record(n)));
    }
    assert_eq!(log.last_seq().await.unwrap(), 30);
    // A newer snapshot takes the old one's place.
    assert!(
        log.write_snapshot(30, b"the state after record 30")
            .await
            .unwrap()
    );
    let (covers, state) = log.read_snapshot().await.unwrap().unwrap();
    assert_eq!(
        (covers, state.as_slice()),
        (30, &b"the state after record 30"[..])
    );
}

#[tokio::test]
async fn a_snapshot_written_late_for_an_earlier_place_never_replaces_a_newer_one() {
    let nats = NatsCluster::start("late-snapshot", 3);
    let a = acme_log(&nats, "node-a").await;
    let b = acme_log(&nats, "node-b").await;
    append_all(&a, 1, 40).await;
    assert!(a.write_snapshot(10, b"after 10 from a").await.unwrap());
    // Node b has a snapshot of an earlier place, or of the same one, to write: nothing changes.
    assert!(!b.write_snapshot(5, b"after 5 from b").await.unwrap());
    assert!(!b.write_snapshot(10, b"after 10 from b").await.unwrap());

    // Node b reads the head and stalls (a frozen VM) before it writes; meanwhile node a writes
    // two newer snapshots. Node b wakes and writes its own, newer than the head it read but
    // older than the tenant's newest: that one stays.
    let stalled = b.snapshot_head().await.unwrap();
    assert!(a.write_snapshot(20, b"after 20 from a").await.unwrap());
    assert!(a.write_snapshot(30, b"after 30 from a").await.unwrap());
    assert!(
        !b.write_snapshot_over(stalled, 25, b"after 25 from b")
            .await
            .unwrap()
    );
    assert_eq!(
        b.read_snapshot().await.unwrap(),
        Some((30, b"after 30 from a".to_vec()))
    );
    // One that covers more than the newest goes in.
    let read_earlier = b.snapshot_head().await.unwrap();
    assert!(
        b.write_snapshot_over(read_earlier, 35, b"after 35 from b")
            .await
            .unwrap()
    );
    assert_eq!(
        a.read_snapshot().await.unwrap(),
        Some((35, b"after 35 from b".to_vec()))
    );

    // Two nodes with a snapshot of the same place, both over the head they read: one is kept,
    // whole, and the other removes only its own.
    let (read_by_a, read_by_b) = (
        a.snapshot_head().await.unwrap(),
        b.snapshot_head().await.unwrap(),
    );
    assert!(
        a.write_snapshot_over(read_by_a, 40, b"after 40 from a")
            .await
            .unwrap()
    );
    assert!(
        !b.write_snapshot_over(read_by_b, 40, b"after 40 from b")
            .await
            .unwrap()
    );
    assert_eq!(
        b.read_snapshot().await.unwrap(),
        Some((40, b"after 40 from a".to_vec()))
    );

    // Every snapshot but the newest was removed, whoever wrote it.
    let client = async_nats::connect(nats.urls()[0].as_str()).await.unwrap();
    let store = async_nats::jetstream::new(client)
        .get_object_store("ACD_SNAPSHOTS")
        .await
        .unwrap();
    let names: Vec<String> = store
        .list()
        .await
        .unwrap()
        .map(|info| info.expect("an object's name").name)
        .collect()
        .await;
    assert_eq!(
        names.len(),
        1,
        "only the newest snapshot is kept: {names:?}"
    );
    assert!(names[0].starts_with("acme.40."), "{names:?}");
}

#[tokio::test]
async fn a_reader_whose_consumer_is_lost_goes_on_from_its_place_and_never_back() {
    let nats = NatsCluster::start("reader", 3);
    let log = acme_log(&nats, "node-a").await;
    append_all(&log, 1, 10).await;
    let mut tail = log.tail(11).await.unwrap();
    // JetStream loses the reader's consumer (as when the server holding it goes).
    let client = async_nats::connect(nats.urls().as_slice()).await.unwrap();
    let stream = async_nats::jetstream::new(client)
        .get_stream(stream_name("acme"))
        .await
        .unwrap();
    let names: Vec<String> = stream
        .consumer_names()
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(names.len(), 1, "the reader's consumer: {names:?}");
    stream.delete_consumer(&names[0]).await.unwrap();
    let lost_at = Instant::now();
    append_until_taken(&log, 11).await;
    let next = timeout(PATIENCE, tail.next()).await.unwrap().unwrap();
    assert_eq!(
        next,
        (11, record(11)),
        "the record after the reader's place, not the log's first"
    );
    assert!(
        lost_at.elapsed() < Duration::from_secs(10),
        "a new consumer within a few heartbeats: {:?}",
        lost_at.elapsed()
    );
    // And it reads on.
    append_until_taken(&log, 12).await;
    assert_eq!(
        timeout(PATIENCE, tail.next()).await.unwrap().unwrap(),
        (12, record(12))
    );
}

#[tokio::test]
async fn records_forgotten_under_a_reader_or_past_the_end_are_said_so() {
    let nats = NatsCluster::start("forget", 3);
    let log = acme_log(&nats, "node-a").await;
    append_all(&log, 1, 10).await;
    // Past the end: refused, and the numbering goes on where it was.
    assert!(matches!(
        log.forget_through(50).await,
        Err(LogError::Refused(_))
    ));
    assert_eq!(append_until_taken(&log, 11).await, 11);
    // A reader from 3 when 1 to 5 are gone: told where the log now begins.
    assert_eq!(log.forget_through(5).await.unwrap(), 5);
    let mut tail = log.tail(3).await.unwrap();
    let next = timeout(PATIENCE, tail.next()).await.unwrap();
    assert_eq!(
        next,
        Err(LogError::Forgotten {
            wanted: 3,
            first: 6
        })
    );
    // From the first record kept, all is there.
    let mut tail = log.tail(6).await.unwrap();
    for n in 6..=11 {
        assert_eq!(
            timeout(PATIENCE, tail.next()).await.unwrap().unwrap(),
            (n, record(n))
        );
    }
}

#[tokio::test]
async fn nodes_starting_at_once_all_get_the_one_shared_secret() {
    let nats = NatsCluster::start("shared-secret", 3);
    let mut clusters = Vec::new();
    for i in 0..8 {
        clusters.push(
            Cluster::connect(options(&nats, &format!("node-{i}")))
                .await
                .unwrap(),
        );
    }
    for round in 0..5 {
        let name = format!("secret{round}");
        let asked = clusters
            .iter()
            .map(|cluster| cluster.shared_secret(&name, PATIENCE));
        let secrets: Vec<Vec<u8>> = futures_util::future::join_all(asked)
            .await
            .into_iter()
            .map(|secret| secret.expect("the shared secret"))
            .collect();
        assert!(
            secrets.iter().all(|secret| *secret == secrets[0]),
            "round {round}: {} different secrets",
            secrets
                .iter()
                .collect::<std::collections::HashSet<_>>()
                .len()
        );
    }
}
