//! One client session, from greeting to close. The same function serves ws and wss: it sees a
//! WebSocket, not the transport under it.
//!
//! The session reads the client's messages, checks them (parse, authentication, role) and passes
//! commands to its tenant's engine; it writes what its outbound queue holds, numbering events
//! with its `seq` and flushing only when the queue is empty, so a burst of events costs one
//! write. It pings an idle client, enforces the limits, and closes with the documented code.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio::time::{Instant, MissedTickBehavior};

use crate::config::Role;
use crate::protocol::inbound::{ClientMessage, Credentials, Envelope, parse};
use crate::protocol::outbound::{Reply, with_seq};
use crate::protocol::{ProtocolError, SUBPROTOCOL, close};

use super::Shared;
use super::audit::{Action, Actor};
use super::auth::Identity;
use super::engine::Request;
use super::metrics::SessionMetrics;
use super::outbox::{CloseReason, Outgoing, SessionHandle};
use super::registry::{SessionInfo, Transport};

/// How long the server waits for its close frame to be written to a client that has stopped
/// reading, before it drops the connection.
const CLOSE_WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The authenticated side of a session.
struct Authenticated {
    identity: Arc<Identity>,
    engine: mpsc::Sender<Request>,
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
    handle: Arc<SessionHandle>,
    /// Where the client connects from, for the log (a failed login names it, for fail2ban).
    remote: std::net::SocketAddr,
    auth: Option<Authenticated>,
    failed_auths: u32,
    bad_input: BadInput,
    /// The `seq` of the last event written.
    seq: u64,
    /// Commands forwarded to the engine and not answered yet. While `max_in_flight` are, the
    /// session reads nothing more: a client that sends faster than its answers are written is
    /// slowed down by TCP instead of overflowing its own outbound queue with answers.
    in_flight: usize,
    max_in_flight: usize,
    metrics: SessionMetrics,
    /// The generation of the last subscription snapshot written: statistics of a newer
    /// subscription wait until its snapshot is out.
    snapshot_written: u64,
}

/// Serves one upgraded connection until it closes.
pub async fn serve(
    mut socket: WebSocket,
    shared: Arc<Shared>,
    transport: Transport,
    remote: std::net::SocketAddr,
) {
    let limits = &shared.limits;
    let (handle, mut outgoing) =
        SessionHandle::new(shared.registry.next_id(), limits.outbound_queue as usize);
    shared.registry.insert(SessionInfo {
        handle: handle.clone(),
        transport,
        remote,
        connected_at: shared.clock.now(),
        principal: None,
    });
    tracing::debug!(session = handle.id, %remote, transport = transport.name(), "connected");
    let mut session = Session {
        shared: shared.clone(),
        handle: handle.clone(),
        remote,
        auth: None,
        failed_auths: 0,
        bad_input: BadInput {
            window_start: Instant::now(),
            count: 0,
            limit: limits.bad_messages_per_minute,
        },
        seq: 0,
        in_flight: 0,
        max_in_flight: (limits.outbound_queue as usize / 4).max(1),
        metrics: shared.metrics.session(transport),
        snapshot_written: 0,
    };
    let hello = Reply::Hello {
        protocol: SUBPROTOCOL,
        server: format!("acdhub/{}", env!("CARGO_PKG_VERSION")),
        auth_timeout_secs: limits.auth_timeout.as_secs(),
        time: crate::protocol::outbound::time(shared.clock.now()),
    };
    handle.send_reply(hello.to_json());

    let closed = session.run(&mut socket, &mut outgoing).await;
    if let Some(reason) = closed {
        if reason.code == close::SLOW_CONSUMER {
            shared.metrics.slow_disconnect(session.metrics.role);
        }
        // What the client was already sent (the error that caused the close, say) goes out
        // before the close frame; a client too slow to read gets the close frame alone.
        if reason.code != close::SLOW_CONSUMER {
            let written = session.write_batch(&mut socket, &mut outgoing, None);
            let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, written).await;
        }
        let frame = CloseFrame {
            code: reason.code,
            reason: reason.reason.into(),
        };
        let _ = tokio::time::timeout(
            CLOSE_WRITE_TIMEOUT,
            socket.send(Message::Close(Some(frame))),
        )
        .await;
        tracing::debug!(
            session = handle.id,
            code = reason.code,
            reason = reason.reason,
            "closed by the server"
        );
    } else {
        tracing::debug!(session = handle.id, "closed by the client");
    }
    shared.registry.remove(handle.id);
    if let Some(auth) = session.auth {
        let _ = auth
            .engine
            .send(Request::Detach { session: handle.id })
            .await;
    }
}

impl Session {
    /// The session's loop. Returns the reason to close with, or `None` if the client closed.
    async fn run(
        &mut self,
        socket: &mut WebSocket,
        outgoing: &mut mpsc::Receiver<Outgoing>,
    ) -> Option<CloseReason> {
        let limits = self.shared.limits.clone();
        let auth_deadline = Instant::now() + limits.auth_timeout;
        let mut ping =
            tokio::time::interval_at(Instant::now() + limits.ping_interval, limits.ping_interval);
        ping.set_missed_tick_behavior(MissedTickBehavior::Delay);
        // When the last unanswered ping went out.
        let mut awaiting_pong: Option<Instant> = None;
        let shutdown = self.shared.shutdown.clone();
        let handle = self.handle.clone();
        loop {
            let pong_deadline = awaiting_pong.map(|sent| sent + limits.pong_timeout);
            // Biased, in this order: a close asked for wins; then writing what is queued;
            // then reading (so a pong already received is seen before its deadline is checked);
            // statistics last. They are posted again and again under load, and a client that
            // reads slowly must still have its pongs and commands read: each pass of the queue
            // writes the statistics too, so they wait only while nothing else is ready.
            tokio::select! {
                biased;
                () = self.handle.closing() => return self.handle.close_reason(),
                () = shutdown.cancelled() => return Some(SHUTTING_DOWN),
                item = outgoing.recv() => {
                    let item = item?;
                    let write = self.write_batch(socket, outgoing, Some(item));
                    if let Err(reason) = guarded(&handle, &shutdown, limits.pong_timeout, write).await {
                        return reason;
                    }
                }
                message = socket.recv(), if self.in_flight < self.max_in_flight => match message {
                    None => return None,
                    Some(Err(error)) => return self.read_failed(error),
                    Some(Ok(Message::Text(text))) => {
                        self.metrics.received();
                        if let Some(reason) = self.message(text.as_str()).await {
                            return Some(reason);
                        }
                    }
                    Some(Ok(Message::Binary(_))) => {
                        self.metrics.received();
                        if let Some(reason) = self.refuse(None, ProtocolError::BinaryFrame) {
                            return Some(reason);
                        }
                    }
                    Some(Ok(Message::Pong(_))) => awaiting_pong = None,
                    // tungstenite answers pings by itself.
                    Some(Ok(Message::Ping(_))) => {}
                    Some(Ok(Message::Close(_))) => {
                        // tungstenite has queued the answering close frame; send it.
                        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, socket.flush()).await;
                        return None;
                    }
                },
                _ = ping.tick() => {
                    if awaiting_pong.is_none() {
                        awaiting_pong = Some(Instant::now());
                        let ping = socket.send(Message::Ping(Default::default()));
                        if let Err(reason) = guarded(&handle, &shutdown, limits.pong_timeout, ping).await {
                            return reason;
                        }
                    }
                }
                () = tokio::time::sleep_until(auth_deadline), if self.auth.is_none() => {
                    return Some(CloseReason { code: close::AUTH_TIMEOUT, reason: "no auth in time" });
                }
                () = sleep_until_option(pong_deadline) => {
                    return Some(CloseReason { code: close::HEARTBEAT_TIMEOUT, reason: "no pong in time" });
                }
                () = handle.stats_posted() => {
                    let write = self.write_batch(socket, outgoing, None);
                    if let Err(reason) = guarded(&handle, &shutdown, limits.pong_timeout, write).await {
                        return reason;
                    }
                }
            }
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
        socket: &mut WebSocket,
        outgoing: &mut mpsc::Receiver<Outgoing>,
        first: Option<Outgoing>,
    ) -> Result<(), axum::Error> {
        let mut written = 0u64;
        let mut budget = self.shared.limits.outbound_queue;
        let mut next = first.or_else(|| outgoing.try_recv().ok());
        while let Some(item) = next {
            match item {
                Outgoing::Event(payload) => {
                    self.feed_event(socket, &payload).await?;
                    written += 1;
                }
                Outgoing::Events(payloads) => {
                    written += self.feed_events(socket, &payloads).await?
                }
                Outgoing::Snapshot { generation, events } => {
                    written += self.feed_events(socket, &events).await?;
                    self.snapshot_written = generation;
                }
                Outgoing::Reply(text) => {
                    socket.feed(Message::Text(text.into())).await?;
                    written += 1;
                }
                Outgoing::Answer(text) => {
                    self.in_flight = self.in_flight.saturating_sub(1);
                    socket.feed(Message::Text(text.into())).await?;
                    written += 1;
                }
            }
            budget = budget.saturating_sub(1);
            next = if budget > 0 {
                outgoing.try_recv().ok()
            } else {
                None
            };
        }
        let stats = self.handle.take_stats(self.snapshot_written);
        written += self.feed_events(socket, &stats).await?;
        self.metrics.sent(written);
        if written == 0 {
            return Ok(());
        }
        socket.flush().await
    }

    /// Numbers an event with the session's next `seq` and hands it to the socket unflushed.
    async fn feed_event(
        &mut self,
        socket: &mut WebSocket,
        payload: &str,
    ) -> Result<(), axum::Error> {
        self.seq += 1;
        socket
            .feed(Message::Text(with_seq(self.seq, payload).into()))
            .await
    }

    /// Feeds shared event payloads in order; returns how many.
    async fn feed_events(
        &mut self,
        socket: &mut WebSocket,
        payloads: &[Arc<str>],
    ) -> Result<u64, axum::Error> {
        for payload in payloads {
            self.feed_event(socket, payload).await?;
        }
        Ok(payloads.len() as u64)
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

    async fn message(&mut self, text: &str) -> Option<CloseReason> {
        let Envelope { id, message } = match parse(text) {
            Ok(envelope) => envelope,
            Err((id, error)) => return self.refuse(id, error),
        };
        let Some(auth) = &self.auth else {
            return match message {
                ClientMessage::Auth(credentials) => self.authenticate(id, credentials).await,
                _ => self.refuse(Some(id), ProtocolError::NotAuthenticated),
            };
        };
        let identity = auth.identity.clone();
        let role = identity.role.name();
        match message {
            ClientMessage::Auth(_) => self.refuse(Some(id), ProtocolError::AlreadyAuthenticated),
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

    async fn authenticate(&mut self, id: String, credentials: Credentials) -> Option<CloseReason> {
        let shared = self.shared.clone();
        let user = match &credentials {
            Credentials::Password { user, .. } => Some(user.clone()),
            Credentials::Token(_) => None,
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
        shared.registry.authenticated(
            self.handle.id,
            &identity.user,
            identity.role,
            &identity.tenant,
        );
        let request = Request::Attach {
            handle: self.handle.clone(),
            identity: identity.clone(),
            id: id.clone(),
            token,
        };
        if engine.send(request).await.is_ok() {
            self.in_flight += 1;
        } else {
            self.reply_error(Some(id), &ProtocolError::Unavailable);
            return None;
        }
        self.auth = Some(Authenticated { identity, engine });
        None
    }
}

const SHUTTING_DOWN: CloseReason = CloseReason {
    code: close::SERVICE_RESTART,
    reason: "server shutting down",
};

/// Runs a write to the client, but not for ever: a close asked for, shutdown, or a client that
/// has accepted nothing for `patience` (it stopped reading) ends it. `Err(None)` means the
/// connection failed; `Err(Some(reason))` says how to close.
async fn guarded(
    handle: &SessionHandle,
    shutdown: &tokio_util::sync::CancellationToken,
    patience: Duration,
    write: impl Future<Output = Result<(), axum::Error>>,
) -> Result<(), Option<CloseReason>> {
    tokio::select! {
        result = tokio::time::timeout(patience, write) => match result {
            Ok(Ok(())) => Ok(()),
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
