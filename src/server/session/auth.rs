//! Who may connect: password checks against the configured principals, and session tokens.
//!
//! Passwords are only ever compared with their argon2 hashes, on the blocking pool and a few at
//! a time (a check costs tens of milliseconds of CPU by design, so an unbounded number of them
//! would be a denial of service). An unknown user costs the same as a wrong password, so a
//! caller cannot tell which users exist. Neither a password nor a token is ever logged.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use dashmap::DashMap;
use jiff::Timestamp;
use tokio::sync::Semaphore;

use crate::config::Principal;
use crate::protocol::Identity;
use crate::protocol::inbound::Credentials;

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

struct Issued {
    identity: Arc<Identity>,
    expires_at: Timestamp,
}

/// Checks credentials. Shared by every session.
pub struct Authenticator {
    principals: HashMap<String, (String, Arc<Identity>)>,
    tokens: DashMap<String, Issued>,
    checks: Semaphore,
}

impl Authenticator {
    pub fn new(principals: &[Principal]) -> Authenticator {
        let principals = principals
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
            .collect();
        Authenticator {
            principals,
            tokens: DashMap::new(),
            checks: Semaphore::new(CONCURRENT_CHECKS),
        }
    }

    /// Who the credentials belong to, and a token for next time; `None` if they are wrong.
    pub async fn authenticate(
        &self,
        credentials: Credentials,
        now: Timestamp,
    ) -> Option<(Arc<Identity>, Token)> {
        match credentials {
            Credentials::Token(value) => {
                let issued = self.tokens.get(&value)?;
                if issued.expires_at <= now {
                    drop(issued);
                    self.tokens.remove(&value);
                    return None;
                }
                let token = Token {
                    value: value.clone(),
                    expires_at: issued.expires_at,
                };
                Some((issued.identity.clone(), token))
            }
            Credentials::Password { user, password } => {
                let (hash, identity) = match self.principals.get(&user) {
                    Some((hash, identity)) => (Some(hash.clone()), Some(identity.clone())),
                    None => (None, None),
                };
                let _permit = self.checks.acquire().await.ok()?;
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
                Some((identity.clone(), self.issue(identity, now)))
            }
        }
    }

    fn issue(&self, identity: Arc<Identity>, now: Timestamp) -> Token {
        if self.tokens.len() > 1024 {
            self.tokens.retain(|_, issued| issued.expires_at > now);
        }
        let value = random_token();
        let expires_at = now + TOKEN_LIFETIME;
        self.tokens.insert(
            value.clone(),
            Issued {
                identity,
                expires_at,
            },
        );
        Token { value, expires_at }
    }
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
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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
