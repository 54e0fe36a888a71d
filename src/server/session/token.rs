//! Sign-in tokens that outlive the process: signed, not remembered.
//!
//! A token names its user and when it expires, with a keyed BLAKE2b MAC over both. The key is
//! kept in the data directory (`token.key`, readable by the server's user only), so a tab that
//! signed in before a restart signs in again after it without the password. A server without a
//! data directory makes a key at start: its tokens end with the process, as before.
//!
//! The MAC also covers what the user was configured as when the token was made (its password
//! hash, tenant, role and agent: the *binding*): a token is good while it has not expired and
//! its user is configured exactly so, so a reload that changes a user's password or role, or
//! removes the user, ends its tokens. The server remembers no token.

use std::io::Write as _;
use std::path::Path;

use blake2::Blake2bMac512;
use blake2::digest::{KeyInit, Mac};
use jiff::Timestamp;

const KEY_FILE: &str = "token.key";
const KEY_BYTES: usize = 32;
const VERSION: &str = "v1";

/// The server's token signing key.
pub struct TokenKey([u8; KEY_BYTES]);

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenKey(<hidden>)")
    }
}

impl TokenKey {
    /// A key for this process only.
    pub fn ephemeral() -> TokenKey {
        let mut key = [0u8; KEY_BYTES];
        getrandom::fill(&mut key).expect("the operating system's random source works");
        TokenKey(key)
    }

    /// The key kept in `data_dir`, made on the first start.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<TokenKey> {
        let path = data_dir.join(KEY_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => {
                warn_if_readable_by_others(&path);
                let key: [u8; KEY_BYTES] = bytes.try_into().map_err(|_| {
                    std::io::Error::other(format!(
                        "{}: not a token key ({KEY_BYTES} bytes expected); delete it to make a new one (every signed-in tab then signs in again with its password)",
                        path.display()
                    ))
                })?;
                Ok(TokenKey(key))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir)?;
                let key = TokenKey::ephemeral();
                let temporary = data_dir.join(format!("{KEY_FILE}.tmp"));
                let mut file = open_private(&temporary)?;
                file.write_all(&key.0)?;
                file.sync_all()?;
                std::fs::rename(&temporary, &path)?;
                Ok(key)
            }
            Err(error) => Err(std::io::Error::new(
                error.kind(),
                format!("{}: {error}", path.display()),
            )),
        }
    }

    /// A token for `user`, configured as `binding`, good until `expires_at` (whole seconds).
    pub fn sign(&self, user: &str, binding: &str, expires_at: Timestamp) -> String {
        let expires = expires_at.as_second();
        let tag = hex(&self.mac(user, binding, expires).finalize().into_bytes());
        format!("{VERSION}.{}.{expires}.{tag}", hex(user.as_bytes()))
    }

    /// The user a token names and when it expires, if this key signed it for the user as
    /// configured now (`binding_of` the user; `None` if there is no such user) and it has not
    /// expired by `now`.
    pub fn verify(
        &self,
        token: &str,
        now: Timestamp,
        binding_of: impl FnOnce(&str) -> Option<String>,
    ) -> Option<(String, Timestamp)> {
        let mut parts = token.split('.');
        let (version, user, expires, tag) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if version != VERSION || parts.next().is_some() {
            return None;
        }
        let user = String::from_utf8(unhex(user)?).ok()?;
        let expires: i64 = expires.parse().ok()?;
        let expires_at = Timestamp::from_second(expires).ok()?;
        if expires_at <= now {
            return None;
        }
        let binding = binding_of(&user)?;
        self.mac(&user, &binding, expires)
            .verify_slice(&unhex(tag)?)
            .ok()?;
        Some((user, expires_at))
    }

    fn mac(&self, user: &str, binding: &str, expires: i64) -> Blake2bMac512 {
        let mut mac = <Blake2bMac512 as KeyInit>::new_from_slice(&self.0)
            .expect("a 32-byte key fits BLAKE2b");
        mac.update(b"acdhub token v1\0");
        for part in [user, binding] {
            mac.update(&(part.len() as u64).to_le_bytes());
            mac.update(part.as_bytes());
        }
        mac.update(&expires.to_le_bytes());
        mac
    }
}

/// Anyone who can read the key can sign in as anyone whose password hash they also know.
#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(file = %path.display(), "the token key is readable by other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

#[cfg(unix)]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_private(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::create(path)
}

/// Lower-case hex, two digits a byte (tokens, session secrets).
pub(super) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    fn configured(binding: &'static str) -> impl FnOnce(&str) -> Option<String> {
        move |_| Some(binding.to_owned())
    }

    #[test]
    fn a_token_verifies_until_it_expires_and_only_with_its_key() {
        let key = TokenKey::ephemeral();
        let token = key.sign("agent7", "hash", at(2_000));
        let verified = key.verify(&token, at(1_000), configured("hash"));
        assert_eq!(verified, Some(("agent7".to_owned(), at(2_000))));
        assert_eq!(
            key.verify(&token, at(2_000), configured("hash")),
            None,
            "expired"
        );
        let other_key = TokenKey::ephemeral();
        assert_eq!(
            other_key.verify(&token, at(1_000), configured("hash")),
            None
        );
    }

    #[test]
    fn a_changed_user_expiry_or_configuration_does_not_verify() {
        let key = TokenKey::ephemeral();
        let token = key.sign("agent7", "hash", at(2_000));
        let other_user = token.replacen(&hex(b"agent7"), &hex(b"agent8"), 1);
        assert_eq!(key.verify(&other_user, at(1_000), configured("hash")), None);
        let later = token.replacen(".2000.", ".9000.", 1);
        assert_eq!(key.verify(&later, at(1_000), configured("hash")), None);
        assert_eq!(key.verify(&token, at(1_000), configured("new hash")), None);
        assert_eq!(
            key.verify(&token, at(1_000), |_| None),
            None,
            "user removed"
        );
        assert_eq!(key.verify("v1.zz.1.00", at(0), configured("hash")), None);
        assert_eq!(key.verify("", at(0), configured("hash")), None);
    }

    #[test]
    fn the_key_in_the_data_directory_survives_a_restart() {
        let dir = std::env::temp_dir().join(format!("acdhub-token-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = TokenKey::load_or_create(&dir).unwrap();
        let token = first.sign("sup", "hash", at(5_000));
        let again = TokenKey::load_or_create(&dir).unwrap();
        assert!(again.verify(&token, at(1), configured("hash")).is_some());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(dir.join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "only the server's user may read the key");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
