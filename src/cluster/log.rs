//! A tenant's log on a NATS JetStream cluster: appended records, read back in the stream's
//! order from any point, and the newest snapshot beside them.

use std::time::Duration;

use async_nats::jetstream::consumer::pull::MessagesErrorKind;
use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::context::{
    CreateStreamErrorKind, GetStreamErrorKind, PublishError, PublishErrorKind,
};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::object_store::{self, GetErrorKind, ObjectMetadata, ObjectStore};
use async_nats::jetstream::stream::{self, StorageType};
use async_nats::jetstream::{self, Context};
use bytes::Bytes;
use futures_util::StreamExt;
use tokio::io::AsyncReadExt;
use tokio::time::Instant;

use super::names::{snapshot_name, stream_name, subject};

/// The object store every tenant's snapshot is kept in, one object a tenant.
const SNAPSHOTS: &str = "ACD_SNAPSHOTS";

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
        let attempt = jetstream::ContextBuilder::new()
            .timeout(READY_ATTEMPT)
            .build(self.client.clone());
        loop {
            let made = attempt.get_or_create_stream(config.clone()).await;
            let problem = match made {
                // A stream just made elects its own leader a moment later: until then it takes
                // no record.
                Ok(mut stream) => match stream.info().await {
                    Ok(info) if info.cluster.as_ref().is_none_or(|c| c.leader.is_some()) => break,
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
        Ok(TenantLog {
            js: self.js.clone(),
            stream: config.name,
            subject: subject(tenant),
            snapshot: snapshot_name(tenant),
            replicas: self.options.replicas,
            snapshots: tokio::sync::OnceCell::new(),
        })
    }
}

/// A record the log took: its place in the tenant's log, and whether an earlier append with
/// the same id had already put it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    pub duplicate: bool,
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

    /// Keeps `state` as the tenant's snapshot covering every record up to place `covers`,
    /// in place of the one before.
    pub async fn write_snapshot(&self, covers: u64, state: &[u8]) -> Result<(), LogError> {
        let store = self.snapshots().await?;
        let mut bytes = format!("covers {covers}\n").into_bytes();
        bytes.extend_from_slice(state);
        let meta = ObjectMetadata {
            name: self.snapshot.clone(),
            ..Default::default()
        };
        store
            .put(meta, &mut bytes.as_slice())
            .await
            .map_err(LogError::unavailable)?;
        Ok(())
    }

    /// The tenant's newest snapshot: the place of the last record it covers, and the state.
    /// `Refused` if what is kept does not begin as a snapshot does; a read that fails
    /// (a server gone, a chunk that does not match its digest) is `Unavailable`.
    pub async fn read_snapshot(&self) -> Result<Option<(u64, Vec<u8>)>, LogError> {
        let store = self.snapshots().await?;
        let mut object = match store.get(&self.snapshot).await {
            Ok(object) => object,
            Err(error) if error.kind() == GetErrorKind::NotFound => return Ok(None),
            Err(error) => return Err(LogError::unavailable(error)),
        };
        let mut bytes = Vec::new();
        object
            .read_to_end(&mut bytes)
            .await
            .map_err(LogError::unavailable)?;
        let newline = bytes.iter().position(|b| *b == b'\n');
        let covers = newline
            .and_then(|at| std::str::from_utf8(&bytes[..at]).ok())
            .and_then(|line| line.strip_prefix("covers "))
            .and_then(|number| number.parse::<u64>().ok());
        match (covers, newline) {
            (Some(covers), Some(at)) => Ok(Some((covers, bytes.split_off(at + 1)))),
            _ => Err(LogError::Refused(format!(
                "the snapshot {} in {SNAPSHOTS} does not begin with `covers <place>`",
                self.snapshot
            ))),
        }
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
        let stream =
            self.js.get_stream(&self.stream).await.map_err(|error| {
                LogError::unavailable(format!("stream {}: {error}", self.stream))
            })?;
        let consumer = stream
            .create_consumer(pull::Config {
                filter_subject: self.subject.clone(),
                deliver_policy: DeliverPolicy::ByStartSequence {
                    start_sequence: self.next,
                },
                ack_policy: AckPolicy::None,
                inactive_threshold: READER_IDLE,
                num_replicas: 1,
                memory_storage: true,
                ..Default::default()
            })
            .await
            .map_err(LogError::unavailable)?;
        let messages = consumer
            .stream()
            .heartbeat(READER_HEARTBEAT)
            .expires(READER_PULL)
            .messages()
            .await
            .map_err(LogError::unavailable)?;
        self.messages = Some(messages);
        Ok(())
    }

    /// The next record and its place, waiting for one if the reader is at the end. `Forgotten`
    /// if the records from the reader's place were removed meanwhile (a snapshot covers them);
    /// `Unavailable` while no consumer can be made (no quorum): ask again.
    pub async fn next(&mut self) -> Result<(u64, Bytes), LogError> {
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
            let seq = message
                .info()
                .map_err(LogError::unavailable)?
                .stream_sequence;
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
            return Ok((seq, message.payload.clone()));
        }
    }
}
