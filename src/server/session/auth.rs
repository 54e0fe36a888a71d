//! Who may connect: password checks against the configured principals, and session tokens.
//!
//! Passwords are only ever compared with their argon2 hashes, on the blocking pool and a few at
//! a time (a check costs tens of milliseconds of CPU by design, so an unbounded number of them
//! would be a denial of service). An unknown user costs the same as a wrong password, so a
//! caller cannot tell which users exist. Neither a password nor a token is ever logged.
//!
//! Password attempts are throttled per client address and per user ([`throttle`]) before the
//! hash is checked: an attempt over the limit is refused with `auth_throttled` at the cost of a
//! map lookup, so guessers never take the checks real users need. A token costs a MAC.
//!
//! A reload replaces the principals: sign-ins from then on check the new ones. Sessions already
//! signed in keep running; tokens of a user who was removed, or whose password, tenant or role
//! changed, are revoked, so they sign that user in no more (nor if the user comes back). A
//! logout revokes the tokens of the agent's principals too ([`revoke_on_logout`]).
//!
//! [`throttle`]: super::throttle

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, LazyLock, Mutex, PoisonError, RwLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::Timestamp;
use tokio::sync::{Notify, Semaphore};
use tokio::time::Instant;

use crate::config::{Limits, Principal};
use crate::protocol::inbound::Credentials;
use crate::protocol::{Identity, ProtocolError};

use super::throttle::{NotYet, PerMinute, Summary, Throttle};
use super::token::TokenKey;

/// How long a session token stays valid: a working day and a half.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Password checks that may run at once. Each takes about 19 MiB and a few tens of milliseconds.
const CONCURRENT_CHECKS: usize = 4;

/// How long a password attempt over its limit waits for attempts already being checked (a
/// right one gives its attempt back) before it is refused with `auth_throttled`; never more
/// than half of `auth_timeout_secs`.
const PENDING_PATIENCE: Duration = Duration::from_secs(10);

/// A hash of a random password nobody knows, checked when the user is unknown so that it takes
/// as long as a wrong password. Made at the first unknown user, on the blocking pool: made at
/// start, its 19 MiB of argon2 memory would stay resident (BENCHMARKS.md).
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| hash_password(&random_token()));

/// A token handed out on login, to authenticate later connections without the password.
#[derive(Clone)]
pub struct Token {
    pub value: String,
    pub expires_at: Timestamp,
}

/// Each user's password hash and who they are.
type Principals = HashMap<String, (String, Arc<Identity>)>;

/// Why a sign-in was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// An unknown user or a wrong password (which, deliberately, is not said).
    Password,
    /// A token that is malformed, forged, expired or revoked, or whose user is gone.
    Token,
    /// Too many failed password attempts lately from the address or at the user: the password
    /// was not checked.
    Throttled { retry_after: Duration },
    /// A display token that names no display of its tenant: never made, or revoked.
    Display,
    /// The tenant's engine could not be asked (it is stopping or starting): no verdict on the
    /// credentials, which the client tries again (`unavailable`).
    Unavailable,
}

impl Refused {
    /// The `kind` label of `acdhub_auth_failures_total`.
    pub fn kind(self) -> &'static str {
        match self {
            Refused::Password => "password",
            Refused::Token | Refused::Display | Refused::Unavailable => "token",
            Refused::Throttled { .. } => "throttled",
        }
    }

    /// What the client is told.
    pub fn error(self) -> ProtocolError {
        match self {
            Refused::Password | Refused::Token => ProtocolError::AuthFailed,
            Refused::Display => ProtocolError::DisplayRevoked,
            Refused::Unavailable => ProtocolError::Unavailable,
            Refused::Throttled { retry_after } => ProtocolError::AuthThrottled {
                retry_after_secs: retry_after.as_secs_f64().ceil() as u64,
            },
        }
    }
}

/// Checks credentials. Shared by every session.
pub struct Authenticator {
    /// Read at every password check, written by a reload.
    principals: RwLock<Principals>,
    /// Signs the tokens, which the server therefore need not remember (they outlive a restart
    /// when the key is kept in the data directory).
    tokens: TokenKey,
    checks: Semaphore,
    /// Password attempts by address and by user.
    throttle: Mutex<Throttle>,
    /// Told whenever an attempt in flight settles, for the attempts waiting on it.
    settled: Notify,
    /// Log lines of token failures and throttled attempts, which come in floods.
    token_lines: Mutex<Summary>,
    throttled_lines: Mutex<Summary>,
}

/// `agent` of `sender`'s tenant was logged out (its own `logout`, or a supervisor's
/// `force_state` to `logged_out`, once the engine has done it): the tokens of every principal
/// acting as that agent, issued before now, end at once, so a tab that comes back with its token
/// must sign in with the password again. The engine calls this before the command's ack; the
/// revocation is written to the data directory on the blocking pool, so the engine never waits
/// for a disk.
pub fn revoke_on_logout(authenticator: &Arc<Authenticator>, sender: &Identity, agent: &str) {
    let users: Vec<String> = authenticator
        .principals
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|(_, (_, identity))| {
            identity.tenant == sender.tenant
                && identity.acting.agent().map(|a| a.as_str()) == Some(agent)
        })
        .map(|(user, _)| user.clone())
        .collect();
    let revoked: Vec<String> = authenticator
        .tokens
        .count_up(users.iter().map(String::as_str))
        .into_iter()
        .map(str::to_owned)
        .collect();
    if revoked.is_empty() {
        return;
    }
    let authenticator = authenticator.clone();
    tokio::task::spawn_blocking(move || {
        let written = authenticator.tokens.persist();
        log_revocation(&revoked, written);
    });
}

/// The log line of a revocation: `written`, whether the data directory has it.
fn log_revocation(revoked: &[impl std::fmt::Debug], written: std::io::Result<()>) {
    match written {
        Ok(()) => tracing::info!(users = ?revoked, "tokens revoked"),
        Err(error) => tracing::error!(
            users = ?revoked,
            %error,
            "tokens revoked until the server stops: the revocation could not be written to the data directory"
        ),
    }
}

/// A password attempt the throttle admitted: settled when dropped, as a failure unless `right`
/// (a client that leaves during the check has its attempt counted).
struct Attempt<'a> {
    authenticator: &'a Authenticator,
    from: IpAddr,
    user: String,
    per_minute: PerMinute,
    right: bool,
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        let authenticator = self.authenticator;
        authenticator
            .throttle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .settled(
                self.from,
                &self.user,
                self.right,
                Instant::now(),
                self.per_minute,
            );
        authenticator.settled.notify_waiters();
    }
}

fn principals_by_user(principals: &[Principal]) -> Principals {
    principals
        .iter()
        .map(|p| {
            let identity = Identity {
                user: p.user.clone(),
                tenant: p.tenant.clone(),
                acting: p.acting.clone(),
            };
            (
                p.user.clone(),
                (p.password_hash.clone(), Arc::new(identity)),
            )
        })
        .collect()
}

impl Authenticator {
    pub fn new(principals: &[Principal], tokens: TokenKey) -> Authenticator {
        Authenticator {
            principals: RwLock::new(principals_by_user(principals)),
            tokens,
            checks: Semaphore::new(CONCURRENT_CHECKS),
            throttle: Mutex::new(Throttle::new()),
            settled: Notify::new(),
            token_lines: Mutex::default(),
            throttled_lines: Mutex::default(),
        }
    }

    /// Checks sign-ins against `principals` from now on (a reload). The tokens of a user who
    /// was removed, or whose password hash or identity changed, are revoked.
    pub fn replace_principals(&self, principals: &[Principal]) {
        let new = principals_by_user(principals);
        let mut current = self
            .principals
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let changed: Vec<&str> = current
            .iter()
            .filter(|(user, (hash, identity))| {
                new.get(*user).is_none_or(|(new_hash, new_identity)| {
                    binding(hash, identity, 0) != binding(new_hash, new_identity, 0)
                })
            })
            .map(|(user, _)| user.as_str())
            .collect();
        self.revoke(changed);
        *current = new;
    }

    /// Ends the tokens `users` hold now; the log says if the revocation could not be kept in
    /// the data directory (it holds until the process ends all the same).
    /// Another node of the cluster revoked `user`'s tokens up to `generation`.
    pub fn learn_revocation(&self, user: &str, generation: u64) {
        match self.tokens.learn(user, generation) {
            Ok(true) => tracing::info!(%user, "tokens revoked at another node of the cluster"),
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%user, "tokens revoked at another node, until the server stops: the revocation could not be written to the data directory: {error}")
            }
        }
    }

    fn revoke<'a>(&self, users: impl IntoIterator<Item = &'a str>) {
        let (revoked, written) = self.tokens.revoke(users);
        if !revoked.is_empty() {
            log_revocation(&revoked, written);
        }
    }

    /// Whether a refusal gets a log line now: every wrong password does (with the address, for
    /// fail2ban; the throttle bounds them), while token failures and throttled attempts, which
    /// cost next to nothing and so come in floods, get one line per interval: `Some(n)`, the
    /// refusals of that kind it covers.
    pub fn log_line_due(&self, refused: Refused, now: Instant) -> Option<u64> {
        let summary = match refused {
            Refused::Password => return Some(1),
            Refused::Token | Refused::Display | Refused::Unavailable => &self.token_lines,
            Refused::Throttled { .. } => &self.throttled_lines,
        };
        summary
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .record(now)
    }

    /// Whether `user` is a configured principal's name now.
    pub fn has_user(&self, user: &str) -> bool {
        (self.principals.read())
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(user)
    }

    /// A user's password hash and identity, as configured now.
    fn principal(&self, user: &str) -> Option<(String, Arc<Identity>)> {
        // A writer only assigns a whole map, so a poisoned lock still holds a whole one.
        self.principals
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(user)
            .cloned()
    }

    /// Who the credentials belong to, and a token for next time. A password attempt from
    /// `from` is throttled by `limits`' `auth_failures_per_address` and `_per_user`.
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        now: Timestamp,
        from: IpAddr,
        limits: &Limits,
    ) -> Result<(Arc<Identity>, Token), Refused> {
        match credentials {
            // A display is its tenant's engine's to find (`Session::display`).
            Credentials::Display(_) => Err(Refused::Display),
            Credentials::Token(value) => {
                // One reading of the principal for the check and the identity, so a reload in
                // between cannot hand an old token the new identity.
                let mut configured = None;
                let verified = self.tokens.verify(&value, now, |user| {
                    let (hash, identity) = self.principal(user)?;
                    let bound = binding(&hash, &identity, self.tokens.generation(user));
                    configured = Some(identity);
                    Some(bound)
                });
                match (verified, configured) {
                    (Some((_, expires_at)), Some(identity)) => {
                        Ok((identity, Token { value, expires_at }))
                    }
                    _ => Err(Refused::Token),
                }
            }
            Credentials::Password { user, password } => {
                let per_minute = PerMinute {
                    address: limits.auth_failures_per_address,
                    user: limits.auth_failures_per_user,
                };
                // Half the time a client has to sign in at most, so that a refusal leaves it the
                // rest to try again on the same connection.
                let patience = PENDING_PATIENCE.min(limits.auth_timeout / 2);
                let mut attempt = self.admit(from, user, per_minute, patience).await?;
                let signed_in = self.check_password(&attempt.user, password, now).await;
                attempt.right = signed_in.is_some();
                signed_in.ok_or(Refused::Password)
            }
        }
    }

    /// A password attempt past the throttle, once attempts in flight have made room for it or
    /// `patience` has passed.
    async fn admit(
        &self,
        from: IpAddr,
        user: String,
        per_minute: PerMinute,
        patience: Duration,
    ) -> Result<Attempt<'_>, Refused> {
        let deadline = Instant::now() + patience;
        loop {
            // Made before asking, so a settle between the answer and the wait is not missed.
            let settled = self.settled.notified();
            let admitted = self
                .throttle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .admit(from, &user, Instant::now(), per_minute);
            match admitted {
                Ok(()) => {
                    return Ok(Attempt {
                        authenticator: self,
                        from,
                        user,
                        per_minute,
                        right: false,
                    });
                }
                Err(NotYet::Throttled(retry_after)) => {
                    return Err(Refused::Throttled { retry_after });
                }
                Err(NotYet::Pending(retry_after)) => {
                    if tokio::time::timeout_at(deadline, settled).await.is_err() {
                        return Err(Refused::Throttled { retry_after });
                    }
                }
            }
        }
    }

    /// Checks `password` against `user`'s hash, a few at a time, on the blocking pool.
    async fn check_password(
        &self,
        user: &str,
        password: String,
        now: Timestamp,
    ) -> Option<(Arc<Identity>, Token)> {
        let (hash, identity) = match self.principal(user) {
            Some((hash, identity)) => (Some(hash), Some(identity)),
            None => (None, None),
        };
        let _permit = self.checks.acquire().await.ok()?;
        let hash_checked = hash.clone();
        let matches = tokio::task::spawn_blocking(move || match hash {
            Some(hash) => verify(&password, &hash),
            None => {
                // As long as a wrong password, and never a match.
                let _ = verify(&password, &DECOY_HASH);
                false
            }
        })
        .await
        .unwrap_or(false);
        let identity = identity.filter(|_| matches)?;
        let generation = self.tokens.generation_to_sign(&identity.user);
        let bound = binding(&hash_checked?, &identity, generation);
        let token = self.issue(&bound, &identity.user, now)?;
        Some((identity, token))
    }

    /// A token for `user` signed in as `binding`, expiring in [`TOKEN_LIFETIME`] (to the
    /// second).
    fn issue(&self, binding: &str, user: &str, now: Timestamp) -> Option<Token> {
        let expires_at = Timestamp::from_second((now + TOKEN_LIFETIME).as_second()).ok()?;
        let value = self.tokens.sign(user, binding, expires_at);
        Some(Token { value, expires_at })
    }
}

/// What a token is bound to: the password hash the user signed in against, who the user is,
/// and the user's token generation (left out while 0, so tokens made before generations
/// existed stay good).
fn binding(password_hash: &str, identity: &Identity, generation: u64) -> String {
    let agent = identity
        .acting
        .agent()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let mut bound = format!(
        "{password_hash}\0{}\0{}\0{agent}",
        identity.tenant,
        identity.role().name()
    );
    if generation > 0 {
        bound.push_str(&format!("\0{generation}"));
    }
    bound
}

fn verify(password: &str, hash: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), hash)
        .is_ok()
}

/// 256 random bits as hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    crate::hex::encode(&bytes)
}

/// An argon2id hash of `password` in PHC form, with a fresh random salt, for `[[principals]]`.
pub fn hash_password(password: &str) -> String {
    Argon2::default()
        .hash_password(password.as_bytes())
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Acting;

    fn principal(user: &str, hash: &str, acting: Acting) -> Principal {
        Principal {
            user: user.to_owned(),
            password_hash: hash.to_owned(),
            acting,
            tenant: "acme".to_owned(),
        }
    }

    const HOME: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    impl Authenticator {
        async fn check(
            &self,
            credentials: Credentials,
            now: Timestamp,
        ) -> Option<(Arc<Identity>, Token)> {
            self.authenticate(credentials, now, HOME, &Limits::default())
                .await
                .ok()
        }
    }

    fn password(user: &str, password: &str) -> Credentials {
        Credentials::Password {
            user: user.to_owned(),
            password: password.to_owned(),
        }
    }

    #[tokio::test]
    async fn after_a_reload_sign_ins_and_tokens_answer_to_the_new_principals() {
        let (demo, other) = (hash_password("demo"), hash_password("other"));
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let auth = Authenticator::new(
            &[
                principal("ann", &demo, Acting::Supervisor),
                principal("bob", &demo, Acting::Wallboard),
                principal("cat", &demo, Acting::Telephony),
                principal("dan", &demo, Acting::Wallboard),
            ],
            TokenKey::ephemeral(),
        );
        let mut tokens = HashMap::new();
        for user in ["ann", "bob", "cat", "dan"] {
            let (_, token) = auth.check(password(user, "demo"), now).await.unwrap();
            tokens.insert(user, Credentials::Token(token.value));
        }

        // ann's password changed, bob was removed, cat stays, dan is a supervisor now, eve is new.
        auth.replace_principals(&[
            principal("ann", &other, Acting::Supervisor),
            principal("cat", &demo, Acting::Telephony),
            principal("dan", &demo, Acting::Supervisor),
            principal("eve", &demo, Acting::Wallboard),
        ]);
        assert!(auth.check(password("ann", "demo"), now).await.is_none());
        assert!(auth.check(password("ann", "other"), now).await.is_some());
        assert!(auth.check(password("bob", "demo"), now).await.is_none());
        assert!(auth.check(password("eve", "demo"), now).await.is_some());
        let (dan, _) = auth.check(password("dan", "demo"), now).await.unwrap();
        assert_eq!(dan.acting, Acting::Supervisor);
        for (user, still_good) in [
            ("ann", false),
            ("bob", false),
            ("cat", true),
            ("dan", false),
        ] {
            let token = tokens.remove(user).unwrap();
            let signed_in = auth.check(token, now).await;
            assert_eq!(signed_in.is_some(), still_good, "{user}'s token");
        }
    }

    #[tokio::test]
    async fn a_logout_revokes_the_agents_earlier_tokens_only() {
        let demo = hash_password("demo");
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let a1 = Acting::Agent("a1".into());
        let shared = Arc::new(Authenticator::new(
            &[
                principal("ann", &demo, a1.clone()),
                principal("bob", &demo, Acting::Agent("a2".into())),
                principal("sup", &demo, Acting::Supervisor),
            ],
            TokenKey::ephemeral(),
        ));
        let auth = &*shared;
        let token = |user| async move {
            let (_, token) = auth.check(password(user, "demo"), now).await.unwrap();
            Credentials::Token(token.value)
        };
        let (ann, bob) = (token("ann").await, token("bob").await);
        let (sup, _) = auth.check(password("sup", "demo"), now).await.unwrap();
        let force = |state: &str| {
            let text =
                format!(r#"{{"id":"1","type":"force_state","agent":"a1","state":"{state}"}}"#);
            let envelope = crate::protocol::inbound::parse(&text).unwrap();
            envelope
                .message
                .into_command(&sup.acting, &sup.user)
                .unwrap()
        };
        assert_eq!(force("ready").logs_out(), None, "ready is no logout");
        let logged_out = force("logged_out").logs_out().cloned().unwrap();
        revoke_on_logout(&shared, &sup, logged_out.as_str());
        assert!(
            auth.check(ann, now).await.is_none(),
            "ann's token after a1's logout"
        );
        assert!(
            auth.check(bob, now).await.is_some(),
            "bob acts as another agent"
        );
        let again = token("ann").await;
        assert!(
            auth.check(again, now).await.is_some(),
            "a token made after the logout"
        );
    }

    #[tokio::test]
    async fn an_attempt_over_the_limit_is_refused_unchecked_and_a_right_one_does_not_count() {
        let auth = Authenticator::new(
            &[principal("ann", &hash_password("demo"), Acting::Supervisor)],
            TokenKey::ephemeral(),
        );
        let now = Timestamp::from_second(1_800_000_000).unwrap();
        let limits = Limits {
            auth_failures_per_user: 2,
            ..Limits::default()
        };
        let attempt = |secret| auth.authenticate(password("ann", secret), now, HOME, &limits);
        for _ in 0..5 {
            assert!(attempt("demo").await.is_ok());
        }
        assert_eq!(attempt("x").await.err(), Some(Refused::Password));
        assert_eq!(attempt("y").await.err(), Some(Refused::Password));
        let started = Instant::now();
        let Err(Refused::Throttled { retry_after }) = attempt("demo").await else {
            panic!("the third failure in a burst of two is throttled");
        };
        assert!(
            started.elapsed() < Duration::from_millis(5),
            "no hash was computed"
        );
        assert!(retry_after <= Duration::from_secs(30), "{retry_after:?}");
        assert_eq!(
            Refused::Throttled { retry_after }.error().code(),
            "auth_throttled"
        );
    }

    #[test]
    fn a_hash_verifies_its_password_only_and_the_decoy_verifies_nothing_likely() {
        let hash = hash_password("demo");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify("demo", &hash));
        assert!(!verify("Demo", &hash));
        assert!(!verify("demo", &DECOY_HASH));
        assert!(DECOY_HASH.starts_with("$argon2id$"));
    }
}
