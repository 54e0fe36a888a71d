//! A tenant's log on a NATS JetStream cluster: appended records, read back in the stream's
//! order from any point, and the newest snapshot beside them.

use std::time::Duration;

use async_nats::jetstream::consumer::pull::MessagesErrorKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::context::{
    CreateStreamErrorKind, GetStreamErrorKind, PublishError, PublishErrorKind,
};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::message::StreamMessage;
use async_nats::jetstream::object_store::{self, DeleteErrorKind, GetErrorKind, ObjectStore};
use async_nats::jetstream::stream::{self, LastRawMessageErrorKind, StorageType};
use async_nats::jetstream::{self, Context};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::names::{snapshot_name, stream_name, subject};

/// The stream of the secrets every node shares, and its subjects' prefix.
const KEYS: &str = "ACDKEYS";
const KEYS_SUBJECT: &str = "acdkeys";

/// The object store every tenant's snapshots are kept in, each under a name of its own:
/// `<tenant>.<place of the last record it covers>.<random>`. Which of them is the newest, the
/// tenant's *head*, is the one record of subject `acdkeys.snapshot.<tenant>` in `ACDKEYS`: the
/// place it covers and the object's name. A snapshot becomes the newest only by moving the head on, compare-and-set
/// (the subject's last sequence expected), and only forward, so a writer that stalled (a frozen
/// VM) while others wrote newer snapshots cannot put its older one in their place.
const SNAPSHOTS: &str = "ACD_SNAPSHOTS";

/// How many times a reader looks again when the snapshot the head named was replaced (and
/// removed) while it read.
const SNAPSHOT_READS: usize = 5;

/// How long one attempt at creating a stream waits for an answer while the cluster may still be
/// electing its leader: JetStream leaves requests made before then unanswered, so a long
/// timeout would wait it out in full however soon the leader comes.
const READY_ATTEMPT: Duration = Duration::from_millis(250);

/// How long an append with an id the log took is recognised as the same record and not stored
/// again (JetStream's duplicate window): the time a caller has to repeat an append whose answer
/// was lost.
const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Why the log did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// The cluster cannot take or give records now: no NATS server reachable, no quorum for
    /// the tenant's stream, or its leader being elected. It passes; ask again. After an
    /// append, `outcome_unknown` says whether the record may have been stored all the same
    /// (its acknowledgement was lost): an append again with the same id stores it at most once.
    #[error("the NATS cluster is unavailable: {why}")]
    Unavailable { why: String, outcome_unknown: bool },
    /// What no retry mends: a record over the servers' size limit, a snapshot that is not one,
    /// a stream that cannot be made as asked, records to forget that the log does not have.
    #[error("{0}")]
    Refused(String),
    /// A reader's next record is gone: the log's records from `wanted` to `first` - 1 were
    /// removed (a snapshot covers them), and `first` is the next one it has. Start again from
    /// the snapshot.
    #[error("records {wanted} to {} are no longer in the log (a snapshot covers them)", first - 1)]
    Forgotten { wanted: u64, first: u64 },
}

impl LogError {
    fn unavailable(why: impl std::fmt::Display) -> LogError {
        LogError::Unavailable {
            why: why.to_string(),
            outcome_unknown: false,
        }
    }
}

/// Where the cluster is and how this node takes part in it.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// The NATS servers' URLs (`nats://host:port`); the client connects to any of them and
    /// moves to another when that one goes.
    pub urls: Vec<String>,
    /// This node's name, as the NATS servers see its connection.
    pub node: String,
    /// Servers each tenant's stream is kept on: 3 to outlive one server's loss, 1 for a single
    /// server. New streams get it; an existing stream keeps its own.
    pub replicas: usize,
    /// How long an append, a read or any other request to JetStream waits for its answer.
    pub request_timeout: Duration,
}

/// A connection to the NATS cluster.
pub struct Cluster {
    client: async_nats::Client,
    js: Context,
    options: ClusterOptions,
}

impl Cluster {
    /// Connects to one of the servers. `Unavailable` if none answers.
    pub async fn connect(options: ClusterOptions) -> Result<Cluster, LogError> {
        let client = async_nats::ConnectOptions::new()
            .name(&options.node)
            .connection_timeout(options.request_timeout)
            .connect(options.urls.as_slice())
            .await
            .map_err(|e| {
                LogError::unavailable(format!(
                    "no NATS server answered at {}: {e}",
                    options.urls.join(", ")
                ))
            })?;
        let js = jetstream::ContextBuilder::new()
            .timeout(options.request_timeout)
            .build(client.clone());
        Ok(Cluster {
            client,
            js,
            options,
        })
    }

    /// The log of `tenant`, its stream made if it has none. A cluster that has just started
    /// has no JetStream leader for a moment: this waits up to `ready_within` for one. (A stream
    /// that exists is taken as the answering server knows it: without a quorum that can be
    /// stale, and the first append says so.)
    pub async fn tenant_log(
        &self,
        tenant: &str,
        ready_within: Duration,
    ) -> Result<TenantLog, LogError> {
        let config = stream::Config {
            name: stream_name(tenant),
            subjects: vec![subject(tenant)],
            num_replicas: self.options.replicas,
            storage: StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            // Records leave only when a snapshot covers them (`forget_through`).
            deny_delete: true,
            ..Default::default()
        };
        let deadline = Instant::now() + ready_within;
        self.ensure_stream(&config, ready_within).await?;
        let log = TenantLog {
            js: self.js.clone(),
            stream: config.name,
            subject: subject(tenant),
            snapshot: snapshot_name(tenant),
            replicas: self.options.replicas,
            snapshots: tokio::sync::OnceCell::new(),
        };
        // The snapshots' stores are made now, while a cluster just started may still be electing
        // its leader, rather than by the first snapshot.
        self.ensure_stream(&keys_stream(self.options.replicas), ready_within)
            .await?;
        loop {
            match log.snapshots().await {
                Ok(_) => return Ok(log),
                Err(error) if Instant::now() >= deadline => return Err(error),
                Err(_) => tokio::time::sleep(READY_ATTEMPT).await,
            }
        }
    }
    /// Makes the stream as `config` says if there is none, and waits up to `ready_within` for
    /// it to have a leader.
    async fn ensure_stream(
        &self,
        config: &stream::Config,
        ready_within: Duration,
    ) -> Result<(), LogError> {
        let deadline = Instant::now() + ready_within;
        let attempt = jetstream::ContextBuilder::new()
            .timeout(READY_ATTEMPT)
            .build(self.client.clone());
        loop {
            let made = attempt.get_or_create_stream(config.clone()).await;
            let problem = match made {
                // A stream just made elects its own leader a moment later: until then it takes
                // no record.
                Ok(mut stream) => match stream.info().await {
                    Ok(info) if info.cluster.as_ref().is_none_or(|c| c.leader.is_some()) => {
                        return Ok(());
                    }
                    Ok(_) => {
                        LogError::unavailable(format!("stream {} has no leader yet", config.name))
                    }
                    Err(error) => LogError::unavailable(format!("stream {}: {error}", config.name)),
                },
                Err(error) => match error.kind() {
                    CreateStreamErrorKind::TimedOut
                    | CreateStreamErrorKind::JetStreamUnavailable => {
                        LogError::unavailable(format!("stream {}: {error}", config.name))
                    }
                    _ => {
                        return Err(LogError::Refused(format!(
                            "stream {} cannot be made: {error}",
                            config.name
                        )));
                    }
                },
            };
            if Instant::now() >= deadline {
                return Err(problem);
            }
            tokio::time::sleep(READY_ATTEMPT / 2).await;
        }
    }

    /// A secret every node of the cluster shares (the sign-in tokens' key), made by the first
    /// node that asks for it and read by every other: 32 random bytes, kept in the stream
    /// `ACDKEYS` (no tenant's stream is named so: theirs begin `ACD_`).
    pub async fn shared_secret(
        &self,
        name: &str,
        ready_within: Duration,
    ) -> Result<Vec<u8>, LogError> {
        let deadline = Instant::now() + ready_within;
        let config = keys_stream(self.options.replicas);
        self.ensure_stream(&config, ready_within).await?;
        let subject = format!("{KEYS_SUBJECT}.{name}");
        let mut fresh = [0u8; 32];
        getrandom::fill(&mut fresh).expect("the operating system's random source works");
        loop {
            // Only the first such publish is taken: every later one finds the subject's record.
            let message = PublishMessage::build()
                .payload(Bytes::copy_from_slice(&fresh))
                .expected_last_subject_sequence(0);
            let sent = self.js.send_publish(subject.clone(), message).await;
            let stored = match sent {
                Ok(ack) => ack.await.map(|_| ()),
                Err(error) => Err(error),
            };
            match stored {
                Ok(()) => return Ok(fresh.to_vec()),
                Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => break,
                // A stream made a moment ago (by another node starting too) is not yet known
                // to every server: ask again until it is.
                Err(error)
                    if error.kind() == PublishErrorKind::StreamNotFound
                        && Instant::now() < deadline =>
                {
                    tokio::time::sleep(READY_ATTEMPT / 2).await;
                }
                Err(error) => return Err(publish_error(&error)),
            }
        }
        let kept = last_shared(&self.js, &subject).await?;
        let kept = kept.ok_or_else(|| LogError::unavailable(format!("{subject}: no record")))?;
        Ok(kept.payload.to_vec())
    }
}

/// The last record of `subject` in `ACDKEYS`, if it has one.
async fn last_shared(js: &Context, subject: &str) -> Result<Option<StreamMessage>, LogError> {
    let stream = js
        .get_stream(KEYS)
        .await
        .map_err(|error| LogError::unavailable(format!("stream {KEYS}: {error}")))?;
    match stream.get_last_raw_message_by_subject(subject).await {
        Ok(message) => Ok(Some(message)),
        Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(error) => Err(LogError::unavailable(format!("{subject}: {error}"))),
    }
}

/// The stream of what every node shares: secrets (`acdkeys.<name>`, one record each),
/// revocations (`acdkeys.revoked.<user in hex>`, the last one a user's) and each tenant's
/// newest snapshot, the place it covers and its object (`acdkeys.snapshot.<tenant>`).
fn keys_stream(replicas: usize) -> stream::Config {
    stream::Config {
        name: KEYS.to_owned(),
        subjects: vec![format!("{KEYS_SUBJECT}.>")],
        num_replicas: replicas,
        storage: StorageType::File,
        max_messages_per_subject: 1,
        ..Default::default()
    }
}

/// The subject of `user`'s revocations.
fn revoked_subject(user: &str) -> String {
    format!(
        "{KEYS_SUBJECT}.revoked.{}",
        crate::hex::encode(user.as_bytes())
    )
}

impl Cluster {
    /// Tells every node that `user`'s tokens made before `generation` are revoked.
    pub async fn publish_revocation(&self, user: &str, generation: u64) -> Result<(), LogError> {
        let message = PublishMessage::build().payload(Bytes::from(generation.to_string()));
        let sent = self
            .js
            .send_publish(revoked_subject(user), message)
            .await
            .map_err(|e| publish_error(&e))?;
        sent.await.map_err(|e| publish_error(&e))?;
        Ok(())
    }

    /// Every user's last revocation, then each new one as it comes: `(user, generation)`. The
    /// stream ends when its consumer is lost; ask again (what comes twice is harmless).
    pub async fn revocations(
        &self,
    ) -> Result<impl futures_util::Stream<Item = (String, u64)> + use<>, LogError> {
        let messages = read(
            &self.js,
            KEYS,
            format!("{KEYS_SUBJECT}.revoked.>"),
            DeliverPolicy::LastPerSubject,
        )
        .await?;
        let prefix = format!("{KEYS_SUBJECT}.revoked.");
        Ok(messages
            .take_while(|message| std::future::ready(message.is_ok()))
            .filter_map(move |message| {
                let parsed = message.ok().and_then(|message| {
                    let hex = message.subject.as_str().strip_prefix(&prefix)?;
                    let user = String::from_utf8(crate::hex::decode(hex)?).ok()?;
                    let generation = std::str::from_utf8(&message.payload).ok()?.parse().ok()?;
                    Some((user, generation))
                });
                std::future::ready(parsed)
            }))
    }
}

/// A record the log took: its place in the tenant's log, and whether an earlier append with
/// the same id had already put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub duplicate: bool,
}

/// A tenant's newest snapshot as read at some moment (none: the tenant had no snapshot).
#[derive(Debug, Clone)]
pub struct SnapshotHead(Option<Head>);

/// What the tenant's head record says, and its sequence (what moving it on expects).
#[derive(Debug, Clone)]
struct Head {
    /// The place of the last record the snapshot covers.
    covers: u64,
    /// The object that holds it.
    object: String,
    sequence: u64,
}

/// One tenant's log.
pub struct TenantLog {
    js: Context,
    stream: String,
    subject: String,
    snapshot: String,
    replicas: usize,
    /// The snapshots' object store, once opened.
    snapshots: tokio::sync::OnceCell<ObjectStore>,
}

impl TenantLog {
    /// Appends a record and waits until the cluster has it (a quorum of the stream's servers).
    /// `id` names the record: an append with an id the log took within the last two minutes is
    /// not stored again, so after an `Unavailable` with `outcome_unknown` the same append can be
    /// made again safely, and answers with the record's one place.
    pub async fn append(&self, id: &str, record: Bytes) -> Result<Appended, LogError> {
        let message = PublishMessage::build().payload(record).message_id(id);
        let sent = self
            .js
            .send_publish(self.subject.clone(), message)
            .await
            .map_err(|e| publish_error(&e))?;
        let ack = sent.await.map_err(|e| publish_error(&e))?;
        Ok(Appended {
            seq: ack.sequence,
            duplicate: ack.duplicate,
        })
    }

    /// The place of the log's last record (0 when it has none yet). Without a quorum the
    /// server that answers may say what it holds, which can be behind the log.
    pub async fn last_seq(&self) -> Result<u64, LogError> {
        let stream = self.stream().await?;
        let info = stream.get_info().await.map_err(LogError::unavailable)?;
        Ok(info.state.last_sequence)
    }

    /// The records from place `from` on, in the log's order, each once; the reader waits for
    /// records appended later.
    pub async fn tail(&self, from: u64) -> Result<Tail, LogError> {
        let mut tail = Tail {
            js: self.js.clone(),
            stream: self.stream.clone(),
            subject: self.subject.clone(),
            next: from.max(1),
            messages: None,
        };
        tail.open().await?;
        Ok(tail)
    }

    /// Keeps `state` as the tenant's snapshot covering every record up to place `covers`, in
    /// place of the one before, unless the tenant has one covering as many already (written by
    /// another node, or by this one before it stalled): then nothing changes and the answer is
    /// `false`. The snapshot is written under a name of its own and made the newest by moving
    /// the tenant's head on, compare-and-set; the one it replaces is removed after.
    pub async fn write_snapshot(&self, covers: u64, state: &[u8]) -> Result<bool, LogError> {
        let head = self.snapshot_head().await?;
        self.write_snapshot_over(head, covers, state).await
    }

    /// Which snapshot is the tenant's newest now: what [`Self::write_snapshot_over`] expects to
    /// replace.
    pub async fn snapshot_head(&self) -> Result<SnapshotHead, LogError> {
        self.head().await.map(SnapshotHead)
    }

    /// [`Self::write_snapshot`] by a writer that read the head earlier, as one that stalled (a
    /// frozen VM) between reading it and writing has: its snapshot becomes the newest only if
    /// the head is still the one it read, or one covering fewer records.
    pub async fn write_snapshot_over(
        &self,
        SnapshotHead(mut head): SnapshotHead,
        covers: u64,
        state: &[u8],
    ) -> Result<bool, LogError> {
        if head.as_ref().is_some_and(|newest| newest.covers >= covers) {
            return Ok(false);
        }
        let store = self.snapshots().await?;
        // A name no other write uses, even one of the same place from another node.
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).expect("the operating system's random source works");
        let name = format!("{}.{covers}.{}", self.snapshot, crate::hex::encode(&nonce));
        let mut bytes = format!("covers {covers}\n").into_bytes();
        bytes.extend_from_slice(state);
        store
            .put(name.as_str(), &mut bytes.as_slice())
            .await
            .map_err(LogError::unavailable)?;
        loop {
            let message = PublishMessage::build()
                .payload(Bytes::from(format!("{covers} {name}")))
                .expected_last_subject_sequence(head.as_ref().map_or(0, |h| h.sequence));
            let moved = match self.js.send_publish(self.head_subject(), message).await {
                Ok(ack) => ack.await.map(|_| ()),
                Err(error) => Err(error),
            };
            match moved {
                Ok(()) => break,
                // Another writer moved the head first: ours is still the newest only if it
                // covers more than theirs.
                Err(error) if error.kind() == PublishErrorKind::WrongLastSequence => {
                    head = self.head().await?;
                    if head.as_ref().is_some_and(|newest| newest.covers >= covers) {
                        let _ = store.delete(name.as_str()).await;
                        return Ok(false);
                    }
                }
                // Perhaps moved all the same (an answer lost): the object stays, as the newest
                // or as one no head names.
                Err(error) => return Err(publish_error(&error)),
            }
        }
        if let Some(previous) = head {
            match store.delete(previous.object.as_str()).await {
                Ok(()) => {}
                Err(error) if error.kind() == DeleteErrorKind::NotFound => {}
                Err(error) => tracing::debug!(
                    "the snapshot {} was not removed after a newer one: {error}",
                    previous.object
                ),
            }
        }
        Ok(true)
    }

    /// The tenant's newest snapshot: the place of the last record it covers, and the state.
    /// `Refused` if what is kept does not begin as a snapshot does; a read that fails
    /// (a server gone, a chunk that does not match its digest) is `Unavailable`.
    pub async fn read_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, LogError> {
        let store = self.snapshots().await?;
        for _ in 0..SNAPSHOT_READS {
            let Some(Head {
                covers,
                object: name,
                sequence,
            }) = self.head().await?
            else {
                return Ok(None);
            };
            let mut object = match store.get(name.as_str()).await {
                Ok(object) => object,
                // Replaced by a newer one since the head was read: read the head again.
                Err(error) if error.kind() == GetErrorKind::NotFound => continue,
                Err(error) => return Err(LogError::unavailable(error)),
            };
            let mut bytes = Vec::new();
            if let Err(error) = object.read_to_end(&mut bytes).await {
                // Removed under the read by a newer one: read the head again.
                let moved = self
                    .head()
                    .await?
                    .is_none_or(|now| now.sequence != sequence);
                if moved {
                    continue;
                }
                return Err(LogError::unavailable(error));
            }
            let newline = bytes.iter().position(|b| *b == b'\n');
            let said = newline
                .and_then(|at| std::str::from_utf8(&bytes[..at]).ok())
                .and_then(|line| line.strip_prefix("covers "))
                .and_then(|number| number.parse::<u64>().ok());
            return match (said, newline) {
                (Some(said), Some(at)) if said == covers => {
                    Ok(Some((covers, bytes.split_off(at + 1))))
                }
                _ => Err(LogError::Refused(format!(
                    "the snapshot {name} in {SNAPSHOTS} does not begin with `covers {covers}`"
                ))),
            };
        }
        Err(LogError::unavailable(format!(
            "the newest snapshot was replaced {SNAPSHOT_READS} times while it was read"
        )))
    }

    /// What the tenant's head record says, if the tenant has a snapshot.
    async fn head(&self) -> Result<Option<Head>, LogError> {
        let subject = self.head_subject();
        let Some(message) = last_shared(&self.js, &subject).await? else {
            return Ok(None);
        };
        let said = std::str::from_utf8(&message.payload)
            .ok()
            .and_then(|text| text.split_once(' '))
            .and_then(|(covers, object)| Some((covers.parse().ok()?, object.to_owned())));
        let (covers, object) = said.ok_or_else(|| {
            LogError::Refused(format!("{subject} does not say `<place> <object>`"))
        })?;
        Ok(Some(Head {
            covers,
            object,
            sequence: message.sequence,
        }))
    }

    /// The subject of the tenant's snapshot head.
    fn head_subject(&self) -> String {
        format!("{KEYS_SUBJECT}.snapshot.{}", self.snapshot)
    }

    /// Removes the records up to place `seq` from the log: a snapshot covers them. Returns how
    /// many went.
    pub async fn forget_through(&self, seq: u64) -> Result<u64, LogError> {
        let last = self.last_seq().await?;
        if seq > last {
            // JetStream would move the log's numbering on past its end.
            return Err(LogError::Refused(format!(
                "records up to {seq} cannot be forgotten: the log ends at {last}"
            )));
        }
        let stream = self.stream().await?;
        let purged = stream
            .purge()
            .sequence(seq + 1)
            .await
            .map_err(LogError::unavailable)?;
        Ok(purged.purged)
    }

    async fn stream(&self) -> Result<stream::Stream, LogError> {
        self.js
            .get_stream(&self.stream)
            .await
            .map_err(|error| match error.kind() {
                GetStreamErrorKind::JetStream(_) => {
                    LogError::Refused(format!("stream {} cannot be read: {error}", self.stream))
                }
                _ => LogError::unavailable(format!("stream {}: {error}", self.stream)),
            })
    }

    /// The snapshots' object store, made if there is none (a store made already with the same
    /// settings is made again without harm; one with other settings is opened as it is), and
    /// kept once opened.
    async fn snapshots(&self) -> Result<&ObjectStore, LogError> {
        self.snapshots
            .get_or_try_init(|| async {
                let made = self
                    .js
                    .create_object_store(object_store::Config {
                        bucket: SNAPSHOTS.to_owned(),
                        num_replicas: self.replicas,
                        storage: StorageType::File,
                        ..Default::default()
                    })
                    .await;
                match made {
                    Ok(store) => Ok(store),
                    Err(_) => self
                        .js
                        .get_object_store(SNAPSHOTS)
                        .await
                        .map_err(LogError::unavailable),
                }
            })
            .await
    }
}

/// What an append's failure means for the caller. Only a publish that went out and got no
/// answer may have been stored; every other failure says it was not.
fn publish_error(error: &PublishError) -> LogError {
    let not_stored = |why: String| LogError::Unavailable {
        why,
        outcome_unknown: false,
    };
    match error.kind() {
        PublishErrorKind::TimedOut => LogError::Unavailable {
            why: error.to_string(),
            outcome_unknown: true,
        },
        // No server took it: the stream has no leader (an election, or no quorum).
        PublishErrorKind::StreamNotFound => {
            not_stored(format!("the log's stream has no leader now: {error}"))
        }
        PublishErrorKind::MaxPayloadExceeded
        | PublishErrorKind::WrongLastSequence
        | PublishErrorKind::WrongLastMessageId => LogError::Refused(error.to_string()),
        // JetStream's refusal (a limit, a stream not ready), or a publish that never left
        // (the connection's queue, too many in flight).
        _ => not_stored(error.to_string()),
    }
}

/// How often JetStream tells a waiting reader it is still there: a reader that hears nothing for
/// two of these (its consumer lost with a server) makes a new one from its place.
const READER_HEARTBEAT: Duration = Duration::from_secs(1);

/// How long one pull of a reader waits for records before it asks again.
const READER_PULL: Duration = Duration::from_secs(5);

/// How long JetStream keeps a reader's consumer once nobody pulls from it.
const READER_IDLE: Duration = Duration::from_secs(60);

/// The messages of `stream` on `subject` from `from` on, through an ephemeral pull consumer of
/// the reader's own: in memory, one replica, no acks, a heartbeat a second.
async fn read(
    js: &Context,
    stream: &str,
    subject: String,
    from: DeliverPolicy,
) -> Result<pull::Stream, LogError> {
    let stream = js
        .get_stream(stream)
        .await
        .map_err(|error| LogError::unavailable(format!("stream {stream}: {error}")))?;
    let consumer = stream
        .create_consumer(pull::Config {
            filter_subject: subject,
            deliver_policy: from,
            ack_policy: AckPolicy::None,
            inactive_threshold: READER_IDLE,
            num_replicas: 1,
            memory_storage: true,
            ..Default::default()
        })
        .await
        .map_err(LogError::unavailable)?;
    consumer
        .stream()
        .heartbeat(READER_HEARTBEAT)
        .expires(READER_PULL)
        .messages()
        .await
        .map_err(LogError::unavailable)
}

/// A reader of a tenant's log, from a place on.
///
/// It reads through an ephemeral pull consumer of its own (in memory, one replica, no acks),
/// from its next place. When that consumer is lost (the server that held it gone, or the
/// consumer deleted), the reader hears no heartbeat and makes a new one from its next place, in
/// about two heartbeats; nothing comes twice and nothing is skipped.
pub struct Tail {
    js: Context,
    stream: String,
    subject: String,
    /// The place of the record it gives next.
    next: u64,
    messages: Option<pull::Stream>,
}

impl Tail {
    /// A consumer from the next place, in place of the one before.
    async fn open(&mut self) -> Result<(), LogError> {
        self.messages = None;
        let from = DeliverPolicy::ByStartSequence {
            start_sequence: self.next,
        };
        let messages = read(&self.js, &self.stream, self.subject.clone(), from).await?;
        self.messages = Some(messages);
        Ok(())
    }

    /// The next record and its place, waiting for one if the reader is at the end. `Forgotten`
    /// if the records from the reader's place were removed meanwhile (a snapshot covers them);
    /// `Unavailable` while no consumer can be made (no quorum): ask again.
    pub async fn next(&mut self) -> Result<(u64, Bytes), LogError> {
        let (seq, record, _) = self.next_stored().await?;
        Ok((seq, record))
    }

    /// Like [`Tail::next`], with the instant the log stored the record (by the clock of the
    /// NATS server that led the stream then): the same for every reader.
    pub async fn next_stored(&mut self) -> Result<(u64, Bytes, jiff::Timestamp), LogError> {
        loop {
            if self.messages.is_none() {
                self.open().await?;
            }
            let messages = self.messages.as_mut().expect("opened");
            let message = match messages.next().await {
                Some(Ok(message)) => message,
                Some(Err(error)) => match error.kind() {
                    // The consumer is gone or silent: a new one from the next place.
                    MessagesErrorKind::MissingHeartbeat
                    | MessagesErrorKind::ConsumerDeleted
                    | MessagesErrorKind::NoResponders => {
                        self.messages = None;
                        continue;
                    }
                    _ => {
                        self.messages = None;
                        return Err(LogError::unavailable(error));
                    }
                },
                None => {
                    self.messages = None;
                    continue;
                }
            };
            let info = message.info().map_err(LogError::unavailable)?;
            let seq = info.stream_sequence;
            let stored = jiff::Timestamp::from_nanosecond(info.published.unix_timestamp_nanos())
                .map_err(|error| LogError::unavailable(format!("record {seq}'s time: {error}")))?;
            if seq < self.next {
                continue;
            }
            if seq > self.next {
                return Err(LogError::Forgotten {
                    wanted: self.next,
                    first: seq,
                });
            }
            self.next = seq + 1;
            return Ok((seq, message.payload.clone(), stored));
        }
    }
}
