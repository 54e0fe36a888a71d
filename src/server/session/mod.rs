//! One connection's task, from greeting to close, and the session it carries. The same function
//! serves every rung (wss, ws, SSE, long-poll): it sees a [`Socket`], not the transport under it.
//!
//! The task reads the client's messages, checks them (parse, authentication, role) and passes
//! commands to its tenant's engine; it writes what its outbound queue holds, numbering events
//! with its `seq`, keeping them for a resume, and flushing only when the queue is empty, so a
//! burst of events costs one write. It sends heartbeats, pings, enforces the limits, and closes
//! with the documented code.
//!
//! A session outlives its connection ([`resume`]): when the connection drops, the task parks
//! the session for a client to resume; an `auth` with `resume` on a new connection takes a
//! parked session over and replays the events its client missed.
//!
//! - `socket`: the [`Socket`] a session reads and writes, which `net` implements per rung.
//! - `sign_in`: `auth`: credentials, a new session or a resumed one, and attaching to the engine.
//! - `auth`: principals, password hashes and session tokens.
//! - `throttle`: failed password sign-ins per address and per user; log lines of floods.
//! - `resume` and `replay`: sessions kept for a resume (at most so many per principal and so
//!   many parked), and the events each keeps to replay.
//! - `budget`: how many messages a signed-in session and its principal may send.
//! - `unsigned`: clients not signed in yet, per address.
//! - `connections`: every open connection.

mod auth;
mod budget;
mod connections;
mod display;
mod replay;
mod resume;
mod sign_in;
mod socket;
mod throttle;
mod token;
mod unsigned;

use std::net::{IpAddr, SocketAddr};
use std::pin::{Pin, pin};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, MissedTickBehavior};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Limits;
use crate::protocol::inbound::{ClientMessage, Envelope, parse};
use crate::protocol::outbound::{self, Reply, time, with_seq};
use crate::protocol::{Command, Identity, ProtocolError, Refusal, Role, SUBPROTOCOL, close};
use crate::server::clock::{Clock, Timer};
use crate::server::ops::audit::{Action, Actor, AuditLog};
use crate::server::ops::counters::{ConnectionCounters, Counters};
use crate::server::outbox::{
    CloseReason, Outbox, Outgoing, SessionHandle, SessionNumber, SessionSecret,
};
use crate::server::tenant::{Request, Tenants};

pub use auth::{Authenticator, hash_password, random_token};
pub use connections::{ConnectionInfo, ConnectionNumber, Connections};
pub use resume::Resumable;
pub use socket::{Gone, Incoming, Socket};
pub use token::TokenKey;

use budget::{Bucket, Budget, PrincipalBuckets};
use replay::Replay;
use resume::{Evicted, Parked, Slot, TooManySessions};
pub use unsigned::SignInSlot;
use unsigned::Unsigned;

/// What every session task shares: the session layer's state. Its fields are the layer's own;
/// the network layer above sees only what it needs through the methods below (it cannot reach
/// an engine or a parked session).
pub struct Sessions {
    /// Every open connection, for counts.
    connections: Arc<Connections>,
    auth: Arc<Authenticator>,
    /// The tenants' engines, which sessions send their commands to.
    tenants: Arc<Tenants>,
    limits: Limits,
    /// Where supervisors' actions are recorded; sessions record those they refuse themselves.
    audit: AuditLog,
    /// Cancelled when the server shuts down: listeners stop, sessions close with 1012.
    shutdown: CancellationToken,
    /// Cancelled when a tenant's engine failed ([`Sessions::stopping`]).
    failed: CancellationToken,
    /// Every connection's task, so shutdown can wait for them.
    tasks: TaskTracker,
    /// Every authenticated session, attached or waiting to be resumed.
    resumable: Arc<Resumable>,
    counters: Arc<Counters>,
    clock: Arc<Clock>,
    /// What each principal's sessions may still send together.
    principal_buckets: PrincipalBuckets,
    /// Clients not signed in yet, per address.
    unsigned: Arc<Unsigned>,
}

/// What the session layer is made of; the server builds it once.
pub struct SessionParts {
    pub connections: Arc<Connections>,
    pub auth: Authenticator,
    pub tenants: Arc<Tenants>,
    pub limits: Limits,
    pub audit: AuditLog,
    pub shutdown: CancellationToken,
    /// Cancelled when a tenant's engine failed: the shutdown that follows closes with 1011.
    pub failed: CancellationToken,
    pub resumable: Arc<Resumable>,
    pub counters: Arc<Counters>,
    pub clock: Arc<Clock>,
}

impl Sessions {
    pub fn new(parts: SessionParts) -> Sessions {
        let SessionParts {
            connections,
            auth,
            tenants,
            limits,
            audit,
            shutdown,
            failed,
            resumable,
            counters,
            clock,
        } = parts;
        // Every SIGHUP reopens the audit log's file, as logrotate expects of a server it
        // rotates without `copytruncate`; the reload the signal also asks for is the binary's.
        audit.reopen_on_hangup(shutdown.clone());
        Sessions {
            connections,
            auth: Arc::new(auth),
            tenants,
            audit,
            shutdown,
            failed,
            tasks: TaskTracker::new(),
            resumable,
            counters,
            clock,
            principal_buckets: PrincipalBuckets::default(),
            unsigned: Unsigned::new(limits.unauthenticated_per_address),
            limits,
        }
    }

    /// A place for a new client from `remote` until it signs in, or `None` when that address
    /// has `unauthenticated_per_address` clients not signed in already (the caller answers 503
    /// `too_many_unauthenticated`).
    pub fn sign_in_slot(&self, remote: IpAddr) -> Option<SignInSlot> {
        self.unsigned.take(remote)
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Cancelled when the server shuts down.
    pub fn shutdown(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// How a shutdown closes each session: 1012 (the server restarts: reconnect shortly), or
    /// 1011 after a tenant's engine failed.
    pub fn stopping(&self) -> CloseReason {
        if self.failed.is_cancelled() {
            SERVER_FAILED
        } else {
            SHUTTING_DOWN
        }
    }

    /// Every connection's task: a connection's task is spawned on it, so shutdown waits for it.
    pub fn tasks(&self) -> &TaskTracker {
        &self.tasks
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    pub fn connections(&self) -> &Connections {
        &self.connections
    }

    /// The tenants whose engine has stopped, for `/readyz`.
    pub fn stopped_tenants(&self) -> Vec<&str> {
        self.tenants.stopped()
    }

    pub fn tenant_count(&self) -> usize {
        self.tenants.count()
    }

    /// A reload: sign-ins are checked against `principals` from now on. Sessions already
    /// signed in keep running.
    pub fn replace_principals(&self, principals: &[crate::config::Principal]) {
        self.auth.replace_principals(principals);
    }

    /// Another node of the cluster revoked `user`'s tokens up to `generation`: they end here.
    pub fn learn_revocation(&self, user: &str, generation: u64) {
        self.auth.learn_revocation(user, generation);
    }
}

/// How long the server waits for its close frame to be written to a client that has stopped
/// reading, before it drops the connection.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long the server goes on trying to write its close frame (4008) to a client dropped as too
/// slow, behind the messages that client has not read yet. Its session is parked meanwhile.
const SLOW_CLOSE_PATIENCE: Duration = Duration::from_secs(5);

/// The authenticated side of a session.
struct Authenticated {
    identity: Arc<Identity>,
    engine: mpsc::Sender<Request>,
    /// The secret a client resumes the session with.
    secret: SessionSecret,
    slot: Arc<Slot>,
}

/// Counts refused messages in a sliding minute.
struct BadInput {
    window_start: Instant,
    count: u32,
    limit: u32,
}

impl BadInput {
    /// Records one refused message; true when the client is over its limit.
    fn exceeded(&mut self) -> bool {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= Duration::from_secs(60) {
            self.window_start = now;
            self.count = 0;
        }
        self.count += 1;
        self.count > self.limit
    }
}

struct Session {
    sessions: Arc<Sessions>,
    /// The connection's own number. A resumed session keeps the number it
    /// started with (its handle's); the connection keeps this one.
    connection: ConnectionNumber,
    /// The session's outbound queue: the connection's own until it resumes another session.
    handle: Arc<SessionHandle>,
    outgoing: Outbox,
    /// Which connection of the session this is: replies of earlier ones are not written.
    epoch: u64,
    /// Where the client connects from, for the log (a failed login names it, for fail2ban).
    remote: SocketAddr,
    /// Held until the session signs in: see [`unsigned`].
    sign_in: Option<SignInSlot>,
    auth: Option<Authenticated>,
    failed_auths: u32,
    bad_input: BadInput,
    /// What this connection may still send once signed in (made at its first message after
    /// `auth`, from its role's budget).
    bucket: Option<Bucket>,
    /// The `seq` of the last event written.
    seq: u64,
    /// The events written lately, for a client that resumes.
    replay: Replay,
    /// Commands forwarded to the engine and not answered yet. While `max_in_flight` are, the
    /// session reads nothing more: a client that sends faster than its answers are written is
    /// slowed down by TCP instead of overflowing its own outbound queue with answers.
    in_flight: usize,
    max_in_flight: usize,
    counters: ConnectionCounters,
    /// The generation of the last subscription snapshot written: statistics of a newer
    /// subscription wait until its snapshot is out.
    snapshot_written: u64,
    /// Notified when another connection resumes this session: park it now.
    takeover: Arc<Notify>,
    /// An SSE link's `Last-Event-ID`: the `last_seq` of a `resume` that leaves it out.
    last_event_id: Option<u64>,
}

/// Serves one connection until it closes, on any rung.
///
/// `sign_in` is the client's place among its address's clients not signed in yet, given back
/// when it signs in; `slots`, what else the connection holds while it is served (its
/// descriptor and client slots), given back when it ends.
pub async fn serve<S: Socket, H: Send>(
    mut socket: S,
    sessions: Arc<Sessions>,
    remote: SocketAddr,
    sign_in: SignInSlot,
    slots: H,
) {
    let limits = &sessions.limits;
    let rung = socket.rung();
    let connection = sessions.connections.next_number();
    // A new connection starts a session of its own, numbered like it; a resume swaps it for
    // the session resumed.
    let (handle, outgoing) =
        SessionHandle::new(SessionNumber(connection.0), limits.outbound_queue as usize);
    sessions.connections.insert(ConnectionInfo {
        number: connection,
        rung,
        remote,
        connected_at: sessions.clock.now(),
        principal: None,
    });
    tracing::debug!(%connection, %remote, rung = rung.name(), "connected");
    let mut session = Session {
        sessions: sessions.clone(),
        connection,
        handle: handle.clone(),
        outgoing,
        epoch: 0,
        remote,
        sign_in: Some(sign_in),
        auth: None,
        failed_auths: 0,
        bad_input: BadInput {
            window_start: Instant::now(),
            count: 0,
            limit: limits.bad_messages_per_minute,
        },
        bucket: None,
        seq: 0,
        replay: Replay::new(
            limits.replay_events as usize,
            limits.replay_bytes as usize,
            limits.resume,
        ),
        in_flight: 0,
        max_in_flight: (limits.outbound_queue as usize / 4).max(1),
        counters: sessions.counters.connection(rung),
        snapshot_written: 0,
        takeover: Arc::new(Notify::new()),
        last_event_id: socket.last_event_id(),
    };
    let hello = Reply::Hello {
        protocol: SUBPROTOCOL,
        server: format!("acdhub/{}", env!("CARGO_PKG_VERSION")),
        auth_timeout_secs: limits.auth_timeout.as_secs(),
        heartbeat_secs: limits.ping_interval.as_secs(),
        link: socket.link_id(),
        time: time(sessions.clock.now()),
    }
    .to_json();
    handle.send_reply(hello);

    let closed = session.run(&mut socket).await;
    let number = session.handle.number;
    if let Some(reason) = closed {
        if reason.code == close::SLOW_CONSUMER {
            sessions.counters.slow_disconnect(session.counters.role);
        } else {
            // What the client was already sent (the error that caused the close, say) goes out
            // before the close frame; a client too slow to read gets the close frame alone.
            let written = Box::pin(session.write_batch(&mut socket));
            let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, written).await;
        }
    }
    // The session is parked (or ended) before the close frame is written: a client that
    // reconnects at once resumes it, however long this connection takes to close.
    Box::pin(session.finish(closed)).await;
    if let Some(reason) = closed {
        // A client dropped as too slow gets its close frame behind what it has not read yet,
        // if it reads again within `SLOW_CLOSE_PATIENCE`.
        let patience = if reason.code == close::SLOW_CONSUMER {
            SLOW_CLOSE_PATIENCE
        } else {
            CLOSE_WRITE_TIMEOUT
        };
        let close = Box::pin(socket.close(reason.code, reason.reason));
        let _ = tokio::time::timeout(patience, close).await;
        tracing::debug!(
            session = %number,
            code = reason.code,
            reason = reason.reason,
            "closed by the server"
        );
    } else {
        tracing::debug!(session = %number, "closed by the client");
    }
    drop(socket);
    sessions.connections.remove(connection);
    drop(slots);
}

impl Session {
    /// The session's loop. Returns the reason to close with, or `None` if the client closed
    /// or the connection dropped.
    async fn run<S: Socket>(&mut self, socket: &mut S) -> Option<CloseReason> {
        // The three limits it needs, not a copy of them all: this future is what an idle
        // connection costs.
        let limits = &self.sessions.limits;
        let (pong_timeout, ping_interval) = (limits.pong_timeout, limits.ping_interval);
        let auth_deadline = Instant::now() + limits.auth_timeout;
        let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // When the last unanswered ping went out.
        let mut awaiting_pong: Option<Instant> = None;
        let shutdown = self.sessions.shutdown.clone();
        let sessions = self.sessions.clone();
        let takeover = self.takeover.clone();
        let mut timer = Timer::default();
        loop {
            let handle = self.handle.clone();
            // A close asked for wins.
            if let Some(reason) = handle.close_reason() {
                return Some(reason);
            }
            // One timer for both deadlines: the sign-in's, until the client signs in, and the
            // pong's, while a ping is unanswered.
            let pong_deadline = awaiting_pong.map(|sent| sent + pong_timeout);
            let deadline = match (self.auth.is_none(), pong_deadline) {
                (true, Some(pong)) => Some(pong.min(auth_deadline)),
                (true, None) => Some(auth_deadline),
                (false, pong) => pong,
            };
            timer.set(deadline);
            // Biased, in this order: a shutdown or takeover; then writing what is queued (a
            // close asked for wakes this too, and is seen above); then reading (so a pong
            // already received is seen before its deadline is checked); statistics last. They
            // are posted again and again under load, and a client that reads slowly must still
            // have its pongs and commands read: each pass of the queue writes the statistics
            // too, so they wait only while nothing else is ready.
            tokio::select! {
                biased;
                () = shutdown.cancelled() => return Some(self.sessions.stopping()),
                () = takeover.notified(), if self.auth.is_some() => return Some(TAKEN_OVER),
                () = handle.queued() => {
                    if handle.close_reason().is_some() {
                        continue;
                    }
                    {
                        let write = pin!(self.write_batch(socket));
                        if let Err(reason) = guarded(&handle, &sessions, pong_timeout, write).await {
                            return reason;
                        }
                    }
                    // A pass writes at most a queue's worth: the rest goes in the next.
                    if !self.outgoing.is_empty() {
                        handle.pass_due();
                    }
                }
                message = socket.recv(), if self.in_flight < self.max_in_flight => match message {
                    None => return None,
                    Some(Err(error)) => {
                        tracing::debug!(session = %self.handle.number, %error, "read failed");
                        return None;
                    }
                    Some(Ok(Incoming::Text(text))) => {
                        self.counters.received();
                        // Boxed, as are the ends of `serve`: an idle connection's task holds
                        // only what waiting needs, not the largest thing it might do (signing
                        // in, a resume, a command), which is allocated while it is done.
                        if let Some(reason) = Box::pin(self.message(socket, &text)).await {
                            return Some(reason);
                        }
                    }
                    Some(Ok(Incoming::Binary)) => {
                        self.counters.received();
                        if let Some(reason) = self.refuse(None, ProtocolError::BinaryFrame) {
                            return Some(reason);
                        }
                    }
                    Some(Ok(Incoming::Pong)) => awaiting_pong = None,
                    Some(Ok(Incoming::Close)) => {
                        // The socket has queued the answering close frame; send it.
                        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, socket.flush()).await;
                        return None;
                    }
                    Some(Ok(Incoming::TooBig)) => {
                        tracing::debug!(session = %self.handle.number, "message over the size limit");
                        return Some(TOO_BIG);
                    }
                    Some(Ok(Incoming::Dead)) => return Some(NO_PONG),
                },
                _ = ping.tick() => {
                    // The heartbeat a browser can see; the ping (on WebSocket) finds a dead peer.
                    let beat = Reply::Heartbeat { time: time(self.sessions.clock.now()) };
                    self.handle.send_reply(beat.to_json());
                    if awaiting_pong.is_none() {
                        let ping = socket.ping();
                        match guarded(&handle, &sessions, pong_timeout, pin!(ping)).await {
                            Ok(true) => awaiting_pong = Some(Instant::now()),
                            Ok(false) => {}
                            Err(reason) => return reason,
                        }
                    }
                }
                () = timer.expired() => {
                    if self.auth.is_none() && Instant::now() >= auth_deadline {
                        return Some(CloseReason { code: close::AUTH_TIMEOUT, reason: "no auth in time" });
                    }
                    return Some(NO_PONG);
                }
                () = handle.stats_posted() => {
                    let write = pin!(self.write_batch(socket));
                    if let Err(reason) = guarded(&handle, &sessions, pong_timeout, write).await {
                        return reason;
                    }
                }
            }
        }
    }

    /// After the connection closed: parks the session for a resume if its client may come
    /// back, or ends it.
    async fn finish(mut self, closed: Option<CloseReason>) {
        let Some(auth) = self.auth.take() else {
            return;
        };
        let code = closed.map(|reason| reason.code);
        if code == Some(close::HEARTBEAT_TIMEOUT) {
            auth.slot
                .stats
                .heartbeat_misses
                .fetch_add(1, Ordering::Relaxed);
        }
        // A dropped connection, a dead one, a client too slow for a while, or another
        // connection taking over: the client may come back. A client at fault, a shutdown, or
        // a queue that overflowed (events are lost): the session is over.
        let resumable = matches!(
            code,
            None | Some(close::HEARTBEAT_TIMEOUT | close::SLOW_CONSUMER | close::TAKEN_OVER)
        ) && self.handle.close_reason().is_none()
            && !self.sessions.shutdown.is_cancelled();
        if resumable {
            let disconnected = Request::Disconnected {
                session: self.handle.number,
            };
            let _ = auth.engine.send(disconnected).await;
            let parked = Parked::new(
                self.handle,
                self.outgoing,
                self.seq,
                self.replay,
                self.snapshot_written,
                auth.engine,
            );
            let evicted = self.sessions.resumable.park(
                auth.secret,
                auth.slot,
                parked,
                self.sessions.limits.resume,
                self.sessions.limits.max_parked_sessions as usize,
                self.sessions.shutdown.clone(),
            );
            if evicted {
                let reason = Evicted::ParkedCap.name();
                self.sessions.counters.session_evicted(reason);
            }
        } else {
            self.sessions
                .resumable
                .end(&auth.secret, &auth.slot, &auth.engine)
                .await;
        }
    }

    /// One pass: writes what is queued (at most a queue's worth), then
    /// the newest statistics waiting in their latest-wins slots, and flushes once, so a burst
    /// costs one write. One pass is bounded whatever the engine does meanwhile: a wallboard that
    /// reads slowly but steadily finishes each pass, answers its pings in between, and only
    /// ever misses superseded statistics. Statistics of a subscription whose snapshot is not
    /// written yet stay in their slots for a later pass.
    async fn write_batch<S: Socket>(&mut self, socket: &mut S) -> Result<(), Gone> {
        // One level of awaits, each on the socket's `feed` itself: this future is part of what
        // an idle connection's task holds (BENCHMARKS.md, "Idle connections").
        let now = Instant::now();
        // Events past the resume window go now, not at the next event: an idle session's pass
        // (a heartbeat, at least) is what keeps its replay from holding them.
        self.replay.forget_old(now);
        let mut written = 0u64;
        for _ in 0..self.handle.limit() {
            let Some(item) = self.outgoing.try_recv() else {
                break;
            };
            let (payloads, generation) = match item {
                Outgoing::Event(payload) => {
                    let seq = self.number(std::slice::from_ref(&payload), now);
                    socket.feed(with_seq(seq, &payload), Some(seq)).await?;
                    written += 1;
                    continue;
                }
                Outgoing::Events(payloads) => (payloads, None),
                Outgoing::Snapshot { generation, events } => (events, Some(generation)),
                // A reply to a connection this session had before: its client gave it up.
                Outgoing::Reply { epoch, .. } | Outgoing::Answer { epoch, .. }
                    if epoch != self.epoch =>
                {
                    continue;
                }
                Outgoing::Reply { text, .. } => {
                    socket.feed(text, None).await?;
                    written += 1;
                    continue;
                }
                Outgoing::Answer { text, .. } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    socket.feed(text, None).await?;
                    written += 1;
                    continue;
                }
            };
            // All of an item is numbered and kept for a resume before any of it is written,
            // and a snapshot counts as written then: a write cut short (a client too slow)
            // loses nothing a resume cannot replay, and the subscription's statistics still
            // flow after it.
            let first = self.number(&payloads, now);
            if let Some(generation) = generation {
                self.snapshot_written = generation;
            }
            written += payloads.len() as u64;
            for (seq, payload) in (first..).zip(&payloads) {
                socket.feed(with_seq(seq, payload), Some(seq)).await?;
            }
        }
        let stats = self.handle.take_stats(self.snapshot_written);
        let first = self.number(&stats, now);
        written += stats.len() as u64;
        for (seq, payload) in (first..).zip(&stats) {
            socket.feed(with_seq(seq, payload), Some(seq)).await?;
        }
        self.counters.sent(written);
        if written == 0 {
            return Ok(());
        }
        if let Some(auth) = &self.auth {
            auth.slot.stats.last_seq.store(self.seq, Ordering::Relaxed);
        }
        socket.flush().await
    }

    /// `seen`: the client has every event up to `seq`, so the replay need not keep them. A
    /// client can only have seen what was written; a `seq` past that is refused, and nothing
    /// is forgotten.
    fn seen(&mut self, id: String, seq: u64) -> Option<CloseReason> {
        if seq > self.seq {
            let error = ProtocolError::BadMessage(format!(
                "seen: `seq` {seq} is past the session's last event, {}",
                self.seq
            ));
            return self.refuse(Some(id), error);
        }
        self.replay.forget_through(seq);
        self.handle
            .send_reply(Reply::Ack { id, result: None }.to_json());
        None
    }

    /// Numbers events in order and keeps them for a resume; returns the first one's `seq`.
    fn number(&mut self, payloads: &[Arc<str>], now: Instant) -> u64 {
        let first = self.seq + 1;
        for payload in payloads {
            self.seq += 1;
            self.replay.push(self.seq, payload.clone(), now);
        }
        first
    }

    /// Puts an attempt at a supervisor action that the session refused itself in the audit log,
    /// whatever refused it (malformed, over the rate budget, forbidden, a not-ready reason only
    /// the ACD records, the engine gone): every supervisor's; another role's when the role may
    /// not send the action at all, or when it is `forbidden` (an agent's `clear_pending` naming
    /// another agent). An agent's own `clear_pending` is its business, not an action on
    /// anyone. `code` is the refusal's, the record's result.
    fn audit_refusal(&self, identity: &Identity, action: Option<&Action>, code: &'static str) {
        let role = identity.role();
        if let Some(action) = action
            && (role == Role::Supervisor || code == "forbidden" || !action.may_be_sent_by(role))
        {
            let actor = Actor {
                tenant: &identity.tenant,
                user: &identity.user,
                role: identity.role(),
            };
            self.sessions
                .audit
                .record(self.sessions.clock.now(), &actor, action, code);
        }
    }

    /// Answers an error; returns the close reason if the client has now sent too many.
    fn refuse(&mut self, id: Option<String>, error: ProtocolError) -> Option<CloseReason> {
        self.reply_error(id, error);
        self.bad_input.exceeded().then_some(CloseReason {
            code: close::POLICY_VIOLATION,
            reason: "too many refused messages",
        })
    }

    fn reply_error(&self, id: Option<String>, error: impl Into<Refusal>) {
        let error: Refusal = error.into();
        self.sessions
            .counters
            .refused(self.counters.role, error.code());
        self.handle.send_reply(Reply::refused(id, &error).to_json());
    }

    /// Takes one message from this connection's budget and its principal's; `rate_limited` when
    /// either is spent.
    fn within_budget(&mut self, identity: &Identity) -> Result<(), ProtocolError> {
        let now = Instant::now();
        let budget = Budget::of(&self.sessions.limits, identity.role());
        let session = self.bucket.get_or_insert_with(|| Bucket::full(budget, now));
        if session.take(now) {
            if self.sessions.principal_buckets.take(identity, budget, now) {
                return Ok(());
            }
            session.give_back();
        }
        Err(ProtocolError::RateLimited {
            per_sec: budget.per_sec as u32,
        })
    }

    /// Registers a new session of `identity` (ending its principal's session parked longest
    /// ago if it has as many as it may); `None` when all of them are attached.
    fn new_session(&self, secret: SessionSecret, identity: Arc<Identity>) -> Option<Arc<Slot>> {
        let sessions = &self.sessions;
        let max = sessions.limits.max_sessions_per_principal;
        let inserted = sessions.resumable.insert(
            secret,
            self.handle.number,
            identity,
            sessions.clock.now(),
            self.takeover.clone(),
            max as usize,
        );
        match inserted {
            Ok((slot, evicted)) => {
                if evicted {
                    sessions
                        .counters
                        .session_evicted(Evicted::PrincipalCap.name());
                }
                Some(slot)
            }
            Err(TooManySessions) => None,
        }
    }

    async fn message<S: Socket>(&mut self, socket: &mut S, text: &str) -> Option<CloseReason> {
        let Envelope { id, message } = match parse(text) {
            Ok(envelope) => envelope,
            Err((id, error)) => {
                // A supervisor action refused as malformed is on record too, as far as it can
                // be read.
                if let Some(auth) = &self.auth {
                    let action = Action::of_unread(text);
                    self.audit_refusal(&auth.identity, action.as_ref(), error.code());
                }
                return self.refuse(id, error);
            }
        };
        if let Some(identity) = self.auth.as_ref().map(|auth| auth.identity.clone())
            && let Err(error) = self.within_budget(&identity)
        {
            let action = Action::attempted(&message, identity.role());
            self.audit_refusal(&identity, action.as_ref(), error.code());
            return self.refuse(Some(id), error);
        }
        let Some(auth) = &self.auth else {
            return match message {
                ClientMessage::Auth(credentials, resume) => {
                    self.authenticate(socket, id, credentials, resume).await
                }
                _ => self.refuse(Some(id), ProtocolError::NotAuthenticated),
            };
        };
        let identity = auth.identity.clone();
        // A supervisor action is on record whatever becomes of it (another role's attempt at
        // one only when refused).
        let action = Action::attempted(&message, identity.role());
        let command = match message.into_command(&identity.acting, &identity.user) {
            Ok(command) => command,
            Err(Refusal::Protocol(error)) => {
                self.audit_refusal(&identity, action.as_ref(), error.code());
                return self.refuse(Some(id), error);
            }
            // The core's own word (`unknown_reason` for a reason only the ACD records): a
            // refusal like the engine's, which does not count against the client.
            Err(Refusal::Acd(error)) => {
                self.audit_refusal(&identity, action.as_ref(), error.code());
                self.reply_error(Some(id), error);
                return None;
            }
        };
        let mut answer = None;
        let command = match command {
            Command::Ping => {
                self.handle
                    .send_reply(Reply::Ack { id, result: None }.to_json());
                return None;
            }
            Command::Seen { seq } => return self.seen(id, seq),
            // The token is drawn here, and goes back in the ack only: the core (and so the
            // journal and the cluster's log) gets its hash.
            Command::CreateDisplay { name, by } => {
                // A display signs in under its name: a configured user's would share that
                // user's sessions and budget.
                if self.sessions.auth.has_user(&name) {
                    let error = Command::display_name_taken(name);
                    self.audit_refusal(&identity, action.as_ref(), error.code());
                    self.reply_error(Some(id), error);
                    return None;
                }
                let (token, token_hash) = display::draw(&identity.tenant);
                let created = outbound::CreatedDisplay {
                    name: name.clone(),
                    token,
                };
                answer = Some(serde_json::to_value(created).expect("a display serializes"));
                Command::create_display(name, token_hash, by)
            }
            command => command,
        };
        let audited = action.filter(|_| identity.role() == Role::Supervisor);
        let on_logged_out = command.logs_out().map(|agent| {
            let (sessions, identity) = (self.sessions.clone(), identity.clone());
            let agent = agent.as_str().to_owned();
            Box::new(move || auth::revoke_on_logout(&sessions.auth, &identity, &agent))
                as Box<dyn FnOnce() + Send + Sync>
        });
        let request = Request::Command {
            handle: self.handle.clone(),
            epoch: self.epoch,
            identity: identity.clone(),
            id: id.clone(),
            command,
            audited,
            answer,
            on_logged_out,
        };
        match auth.engine.send(request).await {
            Ok(()) => self.in_flight += 1,
            Err(mpsc::error::SendError(request)) => {
                let error = ProtocolError::Unavailable;
                if let Request::Command { audited, .. } = &request {
                    self.audit_refusal(&identity, audited.as_ref(), error.code());
                }
                self.reply_error(Some(id), error);
            }
        }
        None
    }
}

const SERVER_FAILED: CloseReason = CloseReason {
    code: close::INTERNAL_ERROR,
    reason: "server failed",
};

const SHUTTING_DOWN: CloseReason = CloseReason {
    code: close::SERVICE_RESTART,
    reason: "server shutting down",
};

/// A sign-in refused with `too_many_sessions`: the client should not try again in a loop.
const TOO_MANY_SESSIONS: CloseReason = CloseReason {
    code: close::POLICY_VIOLATION,
    reason: "too many sessions for this user",
};

const TAKEN_OVER: CloseReason = CloseReason {
    code: close::TAKEN_OVER,
    reason: "the session was resumed on another connection",
};

const NO_PONG: CloseReason = CloseReason {
    code: close::HEARTBEAT_TIMEOUT,
    reason: "no pong in time",
};

const TOO_BIG: CloseReason = CloseReason {
    code: close::MESSAGE_TOO_BIG,
    reason: "message too big",
};

/// Runs a write to the client, but not for ever: a close asked for, shutdown, or a client that
/// has accepted nothing for `patience` (it stopped reading) ends it. `Err(None)` means the
/// connection failed; `Err(Some(reason))` says how to close.
///
/// The write is pinned by the caller and borrowed here, so the session's future holds it once
/// (a future taken by value would be kept twice, as the argument and as the thing awaited).
async fn guarded<T, W: Future<Output = Result<T, Gone>>>(
    handle: &SessionHandle,
    sessions: &Sessions,
    patience: Duration,
    mut write: Pin<&mut W>,
) -> Result<T, Option<CloseReason>> {
    // Most writes finish at once (the socket takes them): those need no timer and no waiter on
    // either token, which cost a timer-wheel entry and two registrations per write. A close or
    // shutdown asked for meanwhile is seen by the session's loop, first thing.
    let first = std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await;
    if let Poll::Ready(result) = first {
        return result.map_err(|_| None);
    }
    // The slow path is boxed: it is what an idle connection's future would otherwise hold.
    Box::pin(async move {
        tokio::select! {
            result = tokio::time::timeout(patience, write) => match result {
                Ok(Ok(value)) => Ok(value),
                Ok(Err(_)) => Err(None),
                Err(_) => Err(Some(CloseReason {
                    code: close::SLOW_CONSUMER,
                    reason: "too slow: the client stopped reading",
                })),
            },
            () = handle.closing() => Err(handle.close_reason()),
            () = sessions.shutdown.cancelled() => Err(Some(sessions.stopping())),
        }
    })
    .await
}
