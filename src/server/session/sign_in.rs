//! Signing in: `auth` with a password or a token, as a new session or one resumed, and the
//! session's attachment to its tenant's engine, whose answer is the `auth`'s `ack`.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::protocol::inbound::{Credentials, Resume};
use crate::protocol::outbound::with_seq;
use crate::protocol::{Acting, Identity, ProtocolError, Role, close};
use crate::server::outbox::{CloseReason, SessionSecret};
use crate::server::tenant::{Adopt, Attach, Request};

use super::auth::{Refused, Token, random_token};
use super::display;
use super::resume::{NotResumed, Slot};
use super::throttle::SUMMARY_INTERVAL;
use super::{Authenticated, CLOSE_WRITE_TIMEOUT, Session, Socket, TOO_MANY_SESSIONS};

/// What became of a resume of a session this node does not have.
enum Adopted {
    /// Resumed here: the engine queued the events the client missed.
    Yes(Arc<Slot>),
    /// Not known to the log, another user's, or events missed that this node did not keep.
    No,
    /// Resumed, but every session the principal may have is attached.
    TooManySessions,
}

/// How long a resume waits for the connection that still carries the session to let go.
const TAKEOVER_PATIENCE: Duration = Duration::from_secs(5);

impl Session {
    pub(super) async fn authenticate<S: Socket>(
        &mut self,
        socket: &mut S,
        id: String,
        credentials: Credentials,
        resume: Option<Resume>,
    ) -> Option<CloseReason> {
        let sessions = self.sessions.clone();
        let user = match &credentials {
            Credentials::Password { user, .. } => Some(user.clone()),
            Credentials::Token(_) | Credentials::Display(_) => None,
        };
        // A display's token, in `display` or (handed back by its AuthResult) in `token`.
        let display_token = match &credentials {
            Credentials::Display(token) => Some(token.clone()),
            Credentials::Token(token) if display::is_display_token(token) => Some(token.clone()),
            _ => None,
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
        let found = match display_token {
            Some(token) => self.display(token).await,
            None => {
                sessions
                    .auth
                    .authenticate(
                        credentials,
                        sessions.clock.now(),
                        self.remote.ip(),
                        &sessions.limits,
                    )
                    .await
            }
        };
        // A tenant whose engine is gone: as if the credentials were wrong.
        let no_engine = match &user {
            Some(_) => Refused::Password,
            None => Refused::Token,
        };
        let signed_in = found.and_then(|(identity, token)| {
            let engine = sessions.tenants.engine(&identity.tenant).cloned();
            engine
                .map(|engine| (identity, token, engine))
                .ok_or(no_engine)
        });
        let (identity, token, engine) = match signed_in {
            Ok(signed_in) => signed_in,
            Err(refused) => return self.refused_sign_in(id, refused, user.as_deref()),
        };
        let role = identity.role();
        tracing::info!(session = %self.handle.number, user = %identity.user, %role, tenant = %identity.tenant, "authenticated");
        self.counters.authenticated(&sessions.counters, role);
        sessions
            .connections
            .authenticated(self.connection, &identity.user, role, &identity.tenant);
        let rung = socket.rung();
        // A session taken over, or a new one: a resync if the client asked to resume.
        let mut taken = None;
        let mut resync = false;
        if let (Some(resume), Some(last_seq)) = (resume, last_seq) {
            let secret = SessionSecret(resume.session);
            let resumed = match self.resume(socket, &identity, &secret, last_seq).await {
                // Unknown here, or behind the client: made at another node of a cluster, or
                // resumed there since, perhaps.
                Err(why @ (NotResumed::Unknown | NotResumed::EventsLost)) => {
                    match self.adopt(&engine, &identity, &secret, last_seq).await {
                        Adopted::Yes(slot) => Ok(slot),
                        Adopted::No => Err(why),
                        Adopted::TooManySessions => {
                            let max = sessions.limits.max_sessions_per_principal;
                            self.reply_error(Some(id), ProtocolError::TooManySessions { max });
                            return Some(TOO_MANY_SESSIONS);
                        }
                    }
                }
                resumed => resumed,
            };
            match resumed {
                Ok(slot) => {
                    slot.stats.resumes.fetch_add(1, Ordering::Relaxed);
                    tracing::info!(session = %self.handle.number, last_seq, "resumed");
                    taken = Some((secret, slot));
                }
                Err(why) => {
                    tracing::info!(
                        session = %self.handle.number,
                        ?why,
                        "could not resume: new session"
                    );
                    resync = true;
                }
            }
            sessions.counters.resume(taken.is_some());
        }
        let resumed = taken.is_some();
        let (secret, slot) = match taken {
            Some(taken) => taken,
            None => {
                let secret = SessionSecret(random_token());
                let Some(slot) = self.new_session(secret.clone(), identity.clone()) else {
                    let max = sessions.limits.max_sessions_per_principal;
                    self.reply_error(Some(id), ProtocolError::TooManySessions { max });
                    return Some(TOO_MANY_SESSIONS);
                };
                slot.stats.resync.store(resync, Ordering::Relaxed);
                (secret, slot)
            }
        };
        slot.stats.connected(rung, self.remote);
        // Telephony carries every call of the tenant on one connection: its own, larger limit.
        if identity.role() == Role::Telephony {
            self.handle
                .set_limit(sessions.limits.telephony_outbound_queue as usize);
        }
        let attach = Attach {
            handle: self.handle.clone(),
            epoch: self.epoch,
            identity: identity.clone(),
            id: id.clone(),
            token: token.value,
            token_expires_at: token.expires_at,
            secret: secret.clone(),
            resumed,
        };
        self.auth = Some(Authenticated {
            identity,
            engine,
            secret,
            slot,
        });
        self.sign_in = None;
        self.attach(attach, id).await
    }

    /// Who a display token signs in as: the display of its tenant whose token it is, as a
    /// wallboard named by the display, with the display's token as its token for next time
    /// (it does not expire: a revocation ends it). Its tenant's engine looks the hash up.
    async fn display(&self, token: String) -> Result<(Arc<Identity>, Token), Refused> {
        let tenant = display::tenant_of(&token).ok_or(Refused::Display)?;
        let engine = self
            .sessions
            .tenants
            .engine(&tenant)
            .ok_or(Refused::Display)?;
        let (reply, answer) = oneshot::channel();
        let token_hash = display::hash(&token);
        // An engine that cannot answer says nothing of the token: the screen must not forget
        // it for that (it does at `display_revoked`).
        engine
            .send(Request::Display { token_hash, reply })
            .await
            .map_err(|_| Refused::Unavailable)?;
        let found = answer.await.map_err(|_| Refused::Unavailable)?;
        let name = found.ok_or(Refused::Display)?;
        let identity = Identity {
            user: name.clone(),
            tenant,
            acting: Acting::Display(name),
        };
        let token = Token {
            value: token,
            expires_at: jiff::Timestamp::MAX,
        };
        Ok((Arc::new(identity), token))
    }

    /// Answers a refused `auth`, logs it (floods of cheap refusals in aggregate) and counts it;
    /// closes the connection after `auth_attempts` refusals.
    fn refused_sign_in(
        &mut self,
        id: String,
        refused: Refused,
        user: Option<&str>,
    ) -> Option<CloseReason> {
        let sessions = self.sessions.clone();
        self.failed_auths += 1;
        sessions.counters.auth_failure(refused.kind());
        if let Some(count) = sessions.auth.log_line_due(refused, Instant::now()) {
            let user = user.unwrap_or("(token)");
            match refused {
                Refused::Password => tracing::warn!(
                    session = %self.handle.number,
                    remote = %self.remote,
                    user,
                    attempt = self.failed_auths,
                    "authentication failed"
                ),
                Refused::Token
                | Refused::Display
                | Refused::Unavailable
                | Refused::Throttled { .. } => tracing::warn!(
                    remote = %self.remote,
                    user,
                    kind = refused.kind(),
                    count,
                    "authentication failed: {count} sign-ins of this kind refused since the last such line (one line per {} s at most; acdhub_auth_failures_total counts them all)",
                    SUMMARY_INTERVAL.as_secs()
                ),
            }
        }
        self.reply_error(Some(id), refused.error());
        (self.failed_auths >= sessions.limits.auth_attempts).then_some(CloseReason {
            code: close::AUTH_FAILED,
            reason: "authentication failed",
        })
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
            self.sessions
                .resumable
                .end(&auth.secret, &auth.slot, &auth.engine)
                .await;
            self.reply_error(Some(id), ProtocolError::Unavailable);
        }
        None
    }

    /// Resumes a session this node does not have, made at another node of a cluster, if the
    /// tenant's engine can give the client every event after `last_seq` (`Request::Adopt`): the
    /// session goes on here under its secret, and the engine has queued those events.
    async fn adopt(
        &mut self,
        engine: &tokio::sync::mpsc::Sender<Request>,
        identity: &Arc<Identity>,
        secret: &SessionSecret,
        last_seq: u64,
    ) -> Adopted {
        if !matches!(identity.role(), Role::Agent | Role::Telephony) {
            return Adopted::No;
        }
        let (reply, adopted) = tokio::sync::oneshot::channel();
        let adopt = Adopt {
            handle: self.handle.clone(),
            identity: identity.clone(),
            secret: secret.clone(),
            last_seq,
            reply,
        };
        if engine.send(Request::Adopt(adopt)).await.is_err() {
            return Adopted::No;
        }
        // No time limit: the engine answers each request in turn, this one among them, and
        // an answer given up on would leave the events it queued in this session's handle.
        if adopted.await != Ok(true) {
            return Adopted::No;
        }
        // The events the engine queued are numbered on from the client's last.
        self.seq = last_seq;
        match self.new_session(secret.clone(), identity.clone()) {
            Some(slot) => Adopted::Yes(slot),
            None => {
                // Every session the principal may have is attached: this one ends here.
                let session = self.handle.number;
                let _ = engine.send(Request::Detach { session }).await;
                Adopted::TooManySessions
            }
        }
    }

    /// Takes over the session `session` of `identity`, if it can give the client every event
    /// after `last_seq`: writes those events, and carries the session from now on. Otherwise
    /// the session (if there is one) is ended, and the client gets a new one.
    async fn resume<S: Socket>(
        &mut self,
        socket: &mut S,
        identity: &Identity,
        secret: &SessionSecret,
        last_seq: u64,
    ) -> Result<Arc<Slot>, NotResumed> {
        let sessions = self.sessions.clone();
        let (slot, mut parked) = sessions
            .resumable
            .take(secret, identity, self.takeover.clone(), TAKEOVER_PATIENCE)
            .await?;
        let now = Instant::now();
        let missed = match parked.handle.close_reason() {
            Some(_) => None,
            None => parked.replay.after(last_seq, parked.seq, now),
        };
        let Some(missed) = missed else {
            sessions.resumable.end(secret, &slot, &parked.engine).await;
            return Err(NotResumed::EventsLost);
        };
        // This connection's own queue holds its greeting at most: out with it first.
        let _ = tokio::time::timeout(CLOSE_WRITE_TIMEOUT, self.write_batch(socket)).await;
        let parked = *parked;
        self.handle = parked.handle;
        self.outgoing = parked.outgoing;
        self.seq = parked.seq;
        self.replay = parked.replay;
        self.snapshot_written = parked.snapshot_written;
        self.epoch = self.handle.next_epoch();
        self.in_flight = 0;
        // What the session was sent while it was parked goes out at the loop's next turn.
        self.handle.pass_due();
        // A connection that fails here is found by the loop's next read or write, and parks the
        // session again.
        let replay = async {
            for (seq, payload) in &missed {
                socket.feed(with_seq(*seq, payload), Some(*seq)).await?;
            }
            socket.flush().await
        };
        let _ = tokio::time::timeout(self.sessions.limits.pong_timeout, replay).await;
        self.counters.sent(missed.len() as u64);
        Ok(slot)
    }
}
