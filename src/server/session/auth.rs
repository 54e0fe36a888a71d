//! Who may connect: password checks against the configured principals, and session tokens.
//!
//! Passwords are only ever compared with their argon2 hashes, on the blocking pool and a few at
//! a time (a check costs tens of milliseconds of CPU by design, so an unbounded number of them
//! would be a denial of service). An unknown user costs the same as a wrong password, so a
//! caller cannot tell which users exist. Neither a password nor a token is ever logged.
//!
//! A reload replaces the principals: sign-ins from then on check the new ones. Sessions already
//! signed in keep running; tokens of a user who was removed, or whose password, tenant or role
//! changed, are forgotten, so they sign that user in no more.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use jiff::Timestamp;
use tokio::sync::Semaphore;

use crate::config::Principal;
use crate::protocol::Identity;
use crate::protocol::inbound::Credentials;

use super::token::TokenKey;

/// How long a session token stays valid: a working day and a half.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(12 * 3600);

/// Password checks that may run at once. Each takes about 19 MiB and a few tens of milliseconds.
const CONCURRENT_CHECKS: usize = 4;

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

/// Checks credentials. Shared by every session.
pub struct Authenticator {
    /// Read at every password check, written by a reload.
    principals: RwLock<Principals>,
    /// Signs the tokens, which the server therefore need not remember (they outlive a restart
    /// when the key is kept in the data directory).
    tokens: TokenKey,
    checks: Semaphore,
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
        }
    }

    /// Checks sign-ins against `principals` from now on (a reload). A token stays valid only if
    /// its user is still configured with the same password hash and identity.
    pub fn replace_principals(&self, principals: &[Principal]) {
        *self
            .principals
            .write()
            .unwrap_or_else(PoisonError::into_inner) = principals_by_user(principals);
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

    /// Who the credentials belong to, and a token for next time; `None` if they are wrong.
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        now: Timestamp,
    ) -> Option<(Arc<Identity>, Token)> {
        match credentials {
            Credentials::Token(value) => {
                // One reading of the principal for the check and the identity, so a reload in
                // between cannot hand an old token the new identity.
                let mut configured = None;
                let (_, expires_at) = self.tokens.verify(&value, now, |user| {
                    let (hash, identity) = self.principal(user)?;
                    let bound = binding(&hash, &identity);
                    configured = Some(identity);
                    Some(bound)
                })?;
                Some((configured?, Token { value, expires_at }))
            }
            Credentials::Password { user, password } => {
                let (hash, identity) = match self.principal(&user) {
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
                let token = self.issue(&binding(&hash_checked?, &identity), &identity.user, now)?;
                Some((identity, token))
            }
        }
    }

    /// A token for `user` signed in as `binding`, expiring in [`TOKEN_LIFETIME`] (to the
    /// second).
    fn issue(&self, binding: &str, user: &str, now: Timestamp) -> Option<Token> {
        let expires_at = Timestamp::from_second((now + TOKEN_LIFETIME).as_second()).ok()?;
        let value = self.tokens.sign(user, binding, expires_at);
        Some(Token { value, expires_at })
    }
}

/// What a token is bound to: the password hash the user signed in against and who the user is.
fn binding(password_hash: &str, identity: &Identity) -> String {
    let agent = identity
        .acting
        .agent()
        .map(|a| a.to_string())
        .unwrap_or_default();
    format!(
        "{password_hash}\0{}\0{}\0{agent}",
        identity.tenant,
        identity.role().name()
    )
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
    super::token::hex(&bytes)
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
            let (_, token) = auth
                .authenticate(password(user, "demo"), now)
                .await
                .unwrap();
            tokens.insert(user, Credentials::Token(token.value));
        }

        // ann's password changed, bob was removed, cat stays, dan is a supervisor now, eve is new.
        auth.replace_principals(&[
            principal("ann", &other, Acting::Supervisor),
            principal("cat", &demo, Acting::Telephony),
            principal("dan", &demo, Acting::Supervisor),
            principal("eve", &demo, Acting::Wallboard),
        ]);
        assert!(
            auth.authenticate(password("ann", "demo"), now)
                .await
                .is_none()
        );
        assert!(
            auth.authenticate(password("ann", "other"), now)
                .await
                .is_some()
        );
        assert!(
            auth.authenticate(password("bob", "demo"), now)
                .await
                .is_none()
        );
        assert!(
            auth.authenticate(password("eve", "demo"), now)
                .await
                .is_some()
        );
        let (dan, _) = auth
            .authenticate(password("dan", "demo"), now)
            .await
            .unwrap();
        assert_eq!(dan.acting, Acting::Supervisor);
        for (user, still_good) in [
            ("ann", false),
            ("bob", false),
            ("cat", true),
            ("dan", false),
        ] {
            let token = tokens.remove(user).unwrap();
            let signed_in = auth.authenticate(token, now).await;
            assert_eq!(signed_in.is_some(), still_good, "{user}'s token");
        }
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
