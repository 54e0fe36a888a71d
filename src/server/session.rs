//! One connection's task, from greeting to close, and the session it carries. The same function
//! serves every rung (wss, ws, SSE, long-poll): it sees a [`Socket`], not the transport under it.
//!
//! The task reads the client's messages, checks them (parse, authentication, role) and passes
//! commands to its tenant's engine; it writes what its outbound queue holds, numbering events
//! with its `seq`, keeping them for a resume, and flushing only when the queue is empty, so a
//! burst of events costs one write. It sends heartbeats, pings, enforces the limits, and closes
//! with the documented code.
//!
//! A session outlives its connection ([`super::resume`]): when the connection drops, the task
//! parks the session for a client to resume; an `auth` with `resume` on a new connection takes
//! a parked session over and replays the events its client missed.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::Role;
use crate::protocol::inbound::{ClientMessage, Credentials, Envelope, Resume, parse};
use crate::protocol::outbound::{Reply, time, with_seq};
use crate::protocol::{ProtocolError, SUBPROTOCOL, close};

use super::Shared;
use super::audit::{Action, Actor};
use super::auth::{Identity, random_token};
use super::engine::{Attach, Request};
use super::link::{HttpLink, Incoming, Socket};
use super::metrics::SessionMetrics;
use super::outbox::{CloseReason, Outgoing, SessionHandle};
use super::registry::SessionInfo;
use super::resume::{NotResumed, Parked, Replay, Slot};

/// How long the server waits for its close frame to be written to a client that has stopped
/// reading, before it drops the connection.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// How long a resume waits for the connection that still carries the session to let go.
const TAKEOVER_PATIENCE: Duration = Duration::from_secs(5);

/// The authenticated side of a session.
struct Authenticated {
    identity: Arc<Identity>,
    engine: mpsc::Sender<Request>,
    /// The session's secret id, which a client resumes it with.
    id: String,
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
    shared: Arc<Shared>,
    /// The connection's own number in the registry. A resumed session keeps the number it
    /// started with (its handle's id); the connection keeps this one.
    link: u64,
    /// The session's outbound queue: the connection's own until it resumes another session.
    handle: Arc<SessionHandle>,
    outgoing: mpsc::Receiver<Outgoing>,
    /// Which connection of the session this is: replies of earlier ones are not written.
    epoch: u64,
    /// Where the client connects from, for the log (a failed login names it, for fail2ban).
    remote: SocketAddr,
    auth: Option<Authenticated>,
    failed_auths: u32,
    bad_input: BadInput,
    /// The `seq` of the last event written.
    seq: u64,
    /// The events written lately, for a client that resumes.
    replay: Replay,
    /// Commands forwarded to the engine and not answered yet. While `max_in_flight` are, the
    /// session reads nothing more: a client that sends faster than its answers are written is
    /// slowed down by TCP instead of overflowing its own outbound queue with answers.
    in_flight: usize,
    max_in_flight: usize,
    metrics: SessionMetrics,
    /// The generation of the last subscription snapshot written: statistics of a newer
    /// subscription wait until its snapshot is out.
    snapshot_written: u64,
    /// Notified when another connection resumes this session: park it now.
    takeover: Arc<Notify>,
    /// An SSE link's `Last-Event-ID`: the `last_seq` of a `resume` that leaves it out.
    last_event_id: Option<u64>,
}

/// Serves one connection until it closes: a WebSocket, or an HTTP link (`link`).
pub async fn serve(
    mut socket: Socket,
    shared: Arc<Shared>,
    remote: SocketAddr,
    link: Option<Arc<HttpLink>>,
) {
    let limits = &shared.limits;
    let rung = socket.rung();
    let number = shared.registry.next_id();
    let (handle, outgoing) = SessionHandle::new(number, limits.outbound_queue as usize);
    shared.registry.insert(SessionInfo {
        handle: handle.clone(),
        rung,
        remote,
        connected_at: shared.clock.now(),
        principal: None,
    });
    tracing::debug!(session = number, %remote, rung = rung.name(), "connected");
    let mut session = Session {
        shared: shared.clone(),
        link: number,
        handle: handle.clone(),
        outgoing,
        epoch: 0,
        remote,
        auth: None,
        failed_auths: 0,
        bad_input: BadInput {
            window_start: Instant::now(),
            count: 0,
            limit: limits.bad_messages_per_minute,
        },
        seq: 0,
        replay: Replay::new(limits.replay_events as usize, limits.resume),
        in_flight: 0,
        max_in_flight: (limits.outbound_queue as usize / 4).max(1),
        metrics: shared.metrics.session(rung),
        snapshot_written: 0,
        takeover: Arc::new(Notify::new()),
        last_event_id: link.as_ref().and_then(|l| l.last_event_id),
    };
    let hello = Reply::Hello {
        protocol: SUBPROTOCOL,
        server: format!("acdhub/{}", env!("CARGO_PKG_VERSION")),
        auth_timeout_secs: limits.auth_timeout.as_secs(),
        heartbeat_secs: limits.ping_interval.as_secs(),
        link: link.as_ref().map(|l| l.id.clone()),
        time: time(shared.clock.now()),
    };
    handle.send_reply(hello.to_json());

    let closed = session.run(&mut socket).await;
    if let Some(reason) = closed {
        if reason.code == close::SLOW_CONSUMER {
            shared.metrics.slow_disconnect(session.metrics.role);
        }
        // What the client was already sent (the error that caused the close, say) goes out
        // before the close frame; a client too slow to read gets the close frame alone.
        if reason.code != close::SLOW_CONSUMER {
            let written = session.write_batch(&mut socket, None);
            let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, written).await;
        }
        let _ = tokio::time::timeout(
            CLOSE_WRITE_TIMEOUT,
            socket.close(reason.code, reason.reason),
        )
        .await;
        tracing::debug!(
            session = session.handle.id,
            code = reason.code,
            reason = reason.reason,
            "closed by the server"
        );
    } else {
        tracing::debug!(session = session.handle.id, "closed by the client");
    }
    drop(socket);
    shared.registry.remove(number);
    session.finish(closed).await;
}

impl Session {
    /// The session's loop. Returns the reason to close with, or `None` if the client closed
    /// or the connection dropped.
    async fn run(&mut self, socket: &mut Socket) -> Option<CloseReason> {
        let limits = self.shared.limits.clone();
        let auth_deadline = Instant::now() + limits.auth_timeout;
        let mut ping =
            tokio::time::interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // When the last unanswered ping went out.
        let mut awaiting_pong: Option<Instant> = None;
        let shutdown = self.shared.shutdown.clone();
        let takeover = self.takeover.clone();
        loop {
            let handle = self.handle.clone();
            let pong_deadline = awaiting_pong.map(|sent| sent + limits.pong_timeout);
            // Biased, in this order: a close asked for wins; then writing what is queued;
            // then reading (so a pong already received is seen before its deadline is checked);
            // statistics last. They are posted again and again under load, and a client that
            // reads slowly must still have its pongs and commands read: each pass of the queue
            // writes the statistics too, so they wait only while nothing else is ready.
            tokio::select! {
                biased;
                () = handle.closing() => return handle.close_reason(),
                () = shutdown.cancelled() => return Some(SHUTTING_DOWN),
                () = takeover.notified(), if self.auth.is_some() => return Some(TAKEN_OVER),
                item = self.outgoing.recv() => {
                    let item = item?;
                    let write = self.write_batch(socket, Some(item));
                    if let Err(reason) = guarded(&handle, &shutdown, limits.pong_timeout, write).await {
                        return reason;
                    }
                }
                message = socket.recv(), if self.in_flight < self.max_in_flight => match message {
                    None => return None,
                    Some(Err(error)) => return self.read_failed(error),
                    Some(Ok(Incoming::Text(text))) => {
                        self.metrics.received();
                        if let Some(reason) = self.message(socket, &text).await {
                            return Some(reason);
                        }
                    }
                    Some(Ok(Incoming::Binary)) => {
                        self.metrics.received();
                        if let Some(reason) = self.refuse(None, ProtocolError::BinaryFrame) {
                            return Some(reason);
                        }
                    }
                    Some(Ok(Incoming::Pong)) => awaiting_pong = None,
                    Some(Ok(Incoming::Close)) => {
                        // tungstenite has queued the answering close frame; send it.
                        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, socket.flush()).await;
                        return None;
                    }
                    Some(Ok(Incoming::TooBig)) => return Some(TOO_BIG),
                    Some(Ok(Incoming::Dead)) => return Some(NO_PONG),
                },
                _ = ping.tick() => {
                    // The heartbeat a browser can see; the ping (on WebSocket) finds a dead peer.
                    let beat = Reply::Heartbeat { time: time(self.shared.clock.now()) };
                    self.handle.send_reply(beat.to_json());
                    if awaiting_pong.is_none() {
                        let ping = socket.ping();
                        match guarded(&handle, &shutdown, limits.pong_timeout, ping).await {
                            Ok(true) => awaiting_pong = Some(Instant::now()),
                            Ok(false) => {}
                            Err(reason) => return reason,
                        }
                    }
                }
                () = tokio::time::sleep_until(auth_deadline), if self.auth.is_none() => {
                    return Some(CloseReason { code: close::AUTH_TIMEOUT, reason: "no auth in time" });
                }
                () = sleep_until_option(pong_deadline) => return Some(NO_PONG),
                () = handle.stats_posted() => {
                    let write = self.write_batch(socket, None);
                    if let Err(reason) = guarded(&handle, &shutdown, limits.pong_timeout, write).await {
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
            && !self.shared.shutdown.is_cancelled();
        if resumable {
            let unlinked = Request::Unlinked {
                session: self.handle.id,
            };
            let _ = auth.engine.send(unlinked).await;
            let parked = Parked::new(
                self.handle,
                self.outgoing,
                self.seq,
                self.replay,
                self.snapshot_written,
                auth.engine,
            );
            self.shared.sessions.park(
                auth.id,
                auth.slot,
                parked,
                self.shared.limits.resume,
                self.shared.shutdown.clone(),
            );
        } else {
            self.shared
                .sessions
                .end(&auth.id, &auth.slot, &auth.engine)
                .await;
        }
    }

    /// One pass: writes `first` and what is queued behind it (at most a queue's worth), then
    /// the newest statistics waiting in their latest-wins slots, and flushes once, so a burst
    /// costs one write. One pass is bounded whatever the engine does meanwhile: a wallboard that
    /// reads slowly but steadily finishes each pass, answers its pings in between, and only
    /// ever misses superseded statistics. Statistics of a subscription whose snapshot is not
    /// written yet stay in their slots for a later pass.
    async fn write_batch(
        &mut self,
        socket: &mut Socket,
        first: Option<Outgoing>,
    ) -> Result<(), axum::Error> {
        let now = Instant::now();
        let mut written = 0u64;
        let mut budget = self.shared.limits.outbound_queue;
        let mut next = first.or_else(|| self.outgoing.try_recv().ok());
        while let Some(item) = next {
            match item {
                Outgoing::Event(payload) => {
                    self.feed_event(socket, payload, now).await?;
                    written += 1;
                }
                Outgoing::Events(payloads) => {
                    written += self.feed_events(socket, payloads, now).await?
                }
                Outgoing::Snapshot { generation, events } => {
                    written += self.feed_events(socket, events, now).await?;
                    self.snapshot_written = generation;
                }
                // A reply to a connection this session had before: its client gave it up.
                Outgoing::Reply { epoch, .. } | Outgoing::Answer { epoch, .. }
                    if epoch != self.epoch => {}
                Outgoing::Reply { text, .. } => {
                    socket.feed(text, None).await?;
                    written += 1;
                }
                Outgoing::Answer { text, .. } => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    socket.feed(text, None).await?;
                    written += 1;
                }
            }
            budget = budget.saturating_sub(1);
            next = if budget > 0 {
                self.outgoing.try_recv().ok()
            } else {
                None
            };
        }
        let stats = self.handle.take_stats(self.snapshot_written);
        written += self.feed_events(socket, stats, now).await?;
        self.metrics.sent(written);
        if written == 0 {
            return Ok(());
        }
        if let Some(auth) = &self.auth {
            auth.slot.stats.last_seq.store(self.seq, Ordering::Relaxed);
        }
        socket.flush().await
    }

    /// Numbers an event with the session's next `seq`, keeps it for a resume, and hands it to
    /// the socket unflushed.
    async fn feed_event(
        &mut self,
        socket: &mut Socket,
        payload: Arc<str>,
        now: Instant,
    ) -> Result<(), axum::Error> {
        self.seq += 1;
        let text = with_seq(self.seq, &payload);
        self.replay.push(self.seq, payload, now);
        socket.feed(text, Some(self.seq)).await
    }

    /// Feeds shared event payloads in order; returns how many.
    async fn feed_events(
        &mut self,
        socket: &mut Socket,
        payloads: Vec<Arc<str>>,
        now: Instant,
    ) -> Result<u64, axum::Error> {
        let count = payloads.len() as u64;
        for payload in payloads {
            self.feed_event(socket, payload, now).await?;
        }
        Ok(count)
    }

    fn read_failed(&self, error: axum::Error) -> Option<CloseReason> {
        let text = error.to_string();
        // tungstenite reports an oversized message as a capacity error.
        if text.contains("Space limit exceeded")
            || text.contains("too long")
            || text.contains("Capacity")
        {
            tracing::debug!(session = self.handle.id, "message over the size limit");
            return Some(CloseReason {
                code: close::MESSAGE_TOO_BIG,
                reason: "message too big",
            });
        }
        tracing::debug!(session = self.handle.id, %error, "read failed");
        None
    }

    /// Answers an error; returns the close reason if the client has now sent too many.
    fn refuse(&mut self, id: Option<String>, error: ProtocolError) -> Option<CloseReason> {
        self.reply_error(id, &error);
        self.bad_input.exceeded().then_some(CloseReason {
            code: close::POLICY_VIOLATION,
            reason: "too many refused messages",
        })
    }

    fn reply_error(&self, id: Option<String>, error: &ProtocolError) {
        let (code, message) = (error.code(), error.to_string());
        self.shared.metrics.refused(self.metrics.role, code);
        self.handle
            .send_reply(Reply::Error { id, code, message }.to_json());
    }

    async fn message(&mut self, socket: &mut Socket, text: &str) -> Option<CloseReason> {
        let Envelope { id, message } = match parse(text) {
            Ok(envelope) => envelope,
            Err((id, error)) => return self.refuse(id, error),
        };
        let Some(auth) = &self.auth else {
            return match message {
                ClientMessage::Auth(credentials, resume) => {
                    self.authenticate(socket, id, credentials, resume).await
                }
                _ => self.refuse(Some(id), ProtocolError::NotAuthenticated),
            };
        };
        let identity = auth.identity.clone();
        let role = identity.role.name();
        match message {
            ClientMessage::Auth(..) => self.refuse(Some(id), ProtocolError::AlreadyAuthenticated),
            ClientMessage::Ping => {
                self.handle
                    .send_reply(Reply::Ack { id, result: None }.to_json());
                None
            }
            message if !message.allowed_for(role) => {
                let error = ProtocolError::Forbidden {
                    role,
                    message: message.type_name().to_owned(),
                };
                self.audit_refusal(&identity, &message, &error);
                self.refuse(Some(id), error)
            }
            ClientMessage::ClearPending { agent: Some(named) }
                if identity.role == Role::Agent
                    && identity
                        .agent
                        .as_ref()
                        .is_none_or(|own| own.as_str() != named) =>
            {
                let error = ProtocolError::NotOwnAgent {
                    agent: named.clone(),
                };
                let message = ClientMessage::ClearPending { agent: Some(named) };
                self.audit_refusal(&identity, &message, &error);
                self.refuse(Some(id), error)
            }
            ClientMessage::ClearPending { agent: None } if identity.role == Role::Supervisor => {
                let error = ProtocolError::BadMessage(
                    "clear_pending: a supervisor names the `agent` whose pending state to clear"
                        .into(),
                );
                self.refuse(Some(id), error)
            }
            message => {
                let request = Request::Command {
                    handle: self.handle.clone(),
                    epoch: self.epoch,
                    identity: auth.identity.clone(),
                    id: id.clone(),
                    message,
                };
                match auth.engine.send(request).await {
                    Ok(()) => self.in_flight += 1,
                    Err(mpsc::error::SendError(request)) => {
                        let error = ProtocolError::Unavailable;
                        if let Request::Command { message, .. } = &request {
                            if identity.role == Role::Supervisor {
                                self.audit_refusal(&identity, message, &error);
                            }
                        }
                        self.reply_error(Some(id), &error);
                    }
                }
                None
            }
        }
    }

    /// Puts an attempt at a supervisor action that the session refused itself (the role may not
    /// send it, an agent named another agent, or the engine is gone) in the audit log.
    fn audit_refusal(&self, identity: &Identity, message: &ClientMessage, error: &ProtocolError) {
        if let Some(action) = Action::of(message) {
            let actor = Actor {
                tenant: &identity.tenant,
                user: &identity.user,
                role: identity.role,
            };
            self.shared
                .audit
                .record(self.shared.clock.now(), &actor, &action, error.code());
        }
    }

    async fn authenticate(
        &mut self,
        socket: &mut Socket,
        id: String,
        credentials: Credentials,
        resume: Option<Resume>,
    ) -> Option<CloseReason> {
        let shared = self.shared.clone();
        let user = match &credentials {
            Credentials::Password { user, .. } => Some(user.clone()),
            Credentials::Token(_) => None,
        };
        // Checked before the credentials: a refusal that changes nothing, not a failed login.
        let last_seq = match &resume {
            Some(resume) => match resume.last_seq.or(self.last_event_id) {
                Some(last_seq) => Some(last_seq),
                None => {
                    let error = ProtocolError::BadMessage(
                        "auth: `resume.last_seq` is needed (only an SSE link opened with Last-Event-ID may leave it out)".into(),
                    );
                    return self.refuse(Some(id), error);
                }
            },
            None => None,
        };
        let found = shared
            .auth
            .authenticate(credentials, shared.clock.now())
            .await;
        let engine = found
            .as_ref()
            .and_then(|(identity, _)| shared.engines.get(&identity.tenant).cloned());
        let (Some((identity, token)), Some(engine)) = (found, engine) else {
            self.failed_auths += 1;
            tracing::warn!(
                session = self.handle.id,
                remote = %self.remote,
                user = user.as_deref().unwrap_or("(token)"),
                attempt = self.failed_auths,
                "authentication failed"
            );
            self.reply_error(Some(id), &ProtocolError::AuthFailed);
            return (self.failed_auths >= shared.limits.auth_attempts).then_some(CloseReason {
                code: close::AUTH_FAILED,
                reason: "authentication failed",
            });
        };
        tracing::info!(session = self.handle.id, user = %identity.user, role = %identity.role, tenant = %identity.tenant, "authenticated");
        self.metrics.authenticated(&shared.metrics, identity.role);
        shared
            .registry
            .authenticated(self.link, &identity.user, identity.role, &identity.tenant);
        let rung = socket.rung();
        // A session taken over, or a new one: a resync if the client asked to resume.
        let mut taken = None;
        let mut resync = false;
        if let (Some(resume), Some(last_seq)) = (resume, last_seq) {
            match self
                .resume(socket, &identity, &resume.session, last_seq)
                .await
            {
                Ok(slot) => {
                    slot.stats.resumes.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(session = self.handle.id, last_seq, "resumed");
                    taken = Some((resume.session, slot));
                }
                Err(why) => {
                    tracing::info!(
                        session = self.handle.id,
                        ?why,
                        "could not resume: new session"
                    );
                    resync = true;
                }
            }
            shared.metrics.resume(taken.is_some());
        }
        let resumed = taken.is_some();
        let (session, slot) = taken.unwrap_or_else(|| {
            let session = random_token();
            let slot = shared.sessions.insert(
                session.clone(),
                self.handle.id,
                identity.clone(),
                shared.clock.now(),
                self.takeover.clone(),
            );
            slot.stats.resync.store(resync, Ordering::Relaxed);
            (session, slot)
        });
        slot.stats.linked(rung, self.remote);
        let attach = Attach {
            handle: self.handle.clone(),
            epoch: self.epoch,
            identity: identity.clone(),
            id: id.clone(),
            token,
            session: session.clone(),
            resumed,
        };
        self.auth = Some(Authenticated {
            identity,
            engine,
            id: session,
            slot,
        });
        self.attach(attach, id).await
    }

    /// Asks the engine to attach the session; its answer is the `auth`'s `ack`.
    async fn attach(&mut self, attach: Attach, id: String) -> Option<CloseReason> {
        let Some(auth) = &self.auth else {
            return None;
        };
        if auth.engine.send(Request::Attach(attach)).await.is_ok() {
            self.in_flight += 1;
        } else if let Some(auth) = self.auth.take() {
            // The engine is gone (the server is stopping): there is no session to carry.
            self.shared
                .sessions
                .end(&auth.id, &auth.slot, &auth.engine)
                .await;
            self.reply_error(Some(id), &ProtocolError::Unavailable);
        }
        None
    }

    /// Takes over the session `session` of `identity`, if it can give the client every event
    /// after `last_seq`: writes those events, and carries the session from now on. Otherwise
    /// the session (if there is one) is ended, and the client gets a new one.
    async fn resume(
        &mut self,
        socket: &mut Socket,
        identity: &Identity,
        session: &str,
        last_seq: u64,
    ) -> Result<Arc<Slot>, NotResumed> {
        let shared = self.shared.clone();
        let (slot, mut parked) = shared
            .sessions
            .take(session, identity, self.takeover.clone(), TAKEOVER_PATIENCE)
            .await?;
        let now = Instant::now();
        let missed = match parked.handle.close_reason() {
            Some(_) => None,
            None => parked.replay.after(last_seq, parked.seq, now),
        };
        let Some(missed) = missed else {
            shared.sessions.end(session, &slot, &parked.engine).await;
            return Err(NotResumed::EventsLost);
        };
        // This connection's own queue holds its greeting at most: out with it first.
        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, self.write_batch(socket, None)).await;
        let parked = *parked;
        self.handle = parked.handle;
        self.outgoing = parked.outgoing;
        self.seq = parked.seq;
        self.replay = parked.replay;
        self.snapshot_written = parked.snapshot_written;
        self.epoch = self.handle.next_epoch();
        self.in_flight = 0;
        // A connection that fails here is found by the loop's next read or write, and parks the
        // session again.
        let replay = async {
            for (seq, payload) in &missed {
                socket.feed(with_seq(*seq, payload), Some(*seq)).await?;
            }
            socket.flush().await
        };
        let _ = tokio::time::timeout(self.shared.limits.pong_timeout, replay).await;
        self.metrics.sent(missed.len() as u64);
        Ok(slot)
    }
}

const SHUTTING_DOWN: CloseReason = CloseReason {
    code: close::SERVICE_RESTART,
    reason: "server shutting down",
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
async fn guarded<T>(
    handle: &SessionHandle,
    shutdown: &tokio_util::sync::CancellationToken,
    patience: Duration,
    write: impl Future<Output = Result<T, axum::Error>>,
) -> Result<T, Option<CloseReason>> {
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
        () = shutdown.cancelled() => Err(Some(SHUTTING_DOWN)),
    }
}

async fn sleep_until_option(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
