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
//!
//! What it remembers instead is each user's *generation*, 0 until the user's tokens are first
//! revoked (a logout, or a reload that removes or changes the user): the binding carries it, so
//! a revocation, which counts the generation up, ends every token made before it and none made
//! after. The generations are kept in the data directory beside the key (`token.revoked`,
//! replaced whole by a rename, so a crash leaves the old file or the new one), so a revocation
//! outlives a restart as the tokens do.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use blake2::Blake2bMac512;
use blake2::digest::{KeyInit, Mac};
use jiff::Timestamp;

use crate::hex::{decode as unhex, encode as hex};

const KEY_FILE: &str = "token.key";
const REVOKED_FILE: &str = "token.revoked";
const KEY_BYTES: usize = 32;
const VERSION: &str = "v1";

/// The server's token signing key, and the generation of each user whose tokens were revoked.
pub struct TokenKey {
    key: [u8; KEY_BYTES],
    generations: Generations,
    /// Told of every revocation this process makes (a user and its new generation): on a
    /// cluster, it tells every other node.
    on_revoke: std::sync::OnceLock<RevokeHook>,
}

/// What [`TokenKey::on_revoke`] is given: called with a user and its new generation.
type RevokeHook = Box<dyn Fn(&str, u64) + Send + Sync>;

/// Each user's token generation (absent: 0), and the file that keeps them, if any.
struct Generations {
    by_user: Mutex<HashMap<String, u64>>,
    /// Users revoked by this process and given no token since: revoking them again would end
    /// nothing, so it writes nothing (a client that sends `logout` in a loop costs no disk).
    tokenless: Mutex<HashSet<String>>,
    file: Option<PathBuf>,
    /// Held while the file is written, and only then: a token check never waits for a disk.
    writing: Mutex<()>,
}

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
        TokenKey {
            key,
            generations: Generations {
                by_user: Mutex::default(),
                tokenless: Mutex::default(),
                file: None,
                writing: Mutex::default(),
            },
            on_revoke: std::sync::OnceLock::new(),
        }
    }

    /// Signs with `secret` (the cluster's shared key) instead of the key it was made with, so
    /// that a token from any node of the cluster is good at every node.
    pub fn share(&mut self, secret: &[u8]) {
        let mut key = [0u8; KEY_BYTES];
        let n = secret.len().min(KEY_BYTES);
        key[..n].copy_from_slice(&secret[..n]);
        self.key = key;
    }

    /// Tells `hook` of every revocation from now on, with the user's new generation.
    pub fn on_revoke(&self, hook: impl Fn(&str, u64) + Send + Sync + 'static) {
        let _ = self.on_revoke.set(Box::new(hook));
    }

    /// Another node revoked `user`'s tokens up to `generation`: they end here too (and are kept
    /// in the data directory, if any). Nothing happens if this node's generation is as high.
    pub fn learn(&self, user: &str, generation: u64) -> std::io::Result<bool> {
        {
            let mut by_user = self
                .generations
                .by_user
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let known = by_user.entry(user.to_owned()).or_insert(0);
            if *known >= generation {
                return Ok(false);
            }
            *known = generation;
        }
        self.persist().map(|()| true)
    }

    /// The key kept in `data_dir`, made on the first start, with the generations kept there.
    pub fn load_or_create(data_dir: &Path) -> std::io::Result<TokenKey> {
        let mut key = TokenKey::key_in(data_dir)?;
        let file = data_dir.join(REVOKED_FILE);
        let by_user = match std::fs::read_to_string(&file) {
            Ok(text) => parse_generations(&text).ok_or_else(|| {
                std::io::Error::other(format!(
                    "{}: not a list of revoked tokens (`generation user-in-hex` a line); delete it to forget every revocation",
                    file.display()
                ))
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => HashMap::new(),
            Err(error) => {
                return Err(std::io::Error::new(
                    error.kind(),
                    format!("{}: {error}", file.display()),
                ));
            }
        };
        key.generations = Generations {
            by_user: Mutex::new(by_user),
            tokenless: Mutex::default(),
            file: Some(file),
            writing: Mutex::default(),
        };
        Ok(key)
    }

    fn key_in(data_dir: &Path) -> std::io::Result<TokenKey> {
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
                let mut token_key = TokenKey::ephemeral();
                token_key.key = key;
                Ok(token_key)
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir)?;
                let key = TokenKey::ephemeral();
                let temporary = data_dir.join(format!("{KEY_FILE}.tmp"));
                let mut file = open_private(&temporary)?;
                file.write_all(&key.key)?;
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
    /// Its binding names the generation [`Self::generation_to_sign`] gave.
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
        let mut mac = <Blake2bMac512 as KeyInit>::new_from_slice(&self.key)
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

impl TokenKey {
    /// `user`'s token generation: what a token of the user must have been made at.
    pub fn generation(&self, user: &str) -> u64 {
        let by_user = self.generations.by_user.lock();
        let by_user = by_user.unwrap_or_else(PoisonError::into_inner);
        by_user.get(user).copied().unwrap_or(0)
    }

    /// The generation a token about to be signed for `user` binds. From now on the user holds
    /// a token again, so a revocation that comes before the token is signed counts the
    /// generation up and the token is born revoked (the two locks are taken as `revoke` takes
    /// them, so neither can come between the other's steps).
    pub fn generation_to_sign(&self, user: &str) -> u64 {
        let by_user = self
            .generations
            .by_user
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        self.generations
            .tokenless
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(user);
        by_user.get(user).copied().unwrap_or(0)
    }

    /// Ends every token `users` hold now: counts their generations up at once (a token check
    /// after this returns fails), then keeps them in the data directory before returning.
    /// Returns the users whose tokens it ended (not those it ended before and that were given
    /// none since). The revocation holds in this process even if the file cannot be written
    /// (the error says so, and the log gets it).
    pub fn revoke<'a>(
        &self,
        users: impl IntoIterator<Item = &'a str>,
    ) -> (Vec<&'a str>, std::io::Result<()>) {
        let revoked = self.count_up(users);
        let written = if revoked.is_empty() {
            Ok(())
        } else {
            self.persist()
        };
        (revoked, written)
    }

    /// The first half of [`Self::revoke`]: counts the generations of `users` that hold a token
    /// up, in this process, and returns them. [`Self::persist`] keeps them.
    pub fn count_up<'a>(&self, users: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
        {
            let mut by_user = self
                .generations
                .by_user
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let mut tokenless = self
                .generations
                .tokenless
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            // On a cluster another node may have signed a token since: every revocation counts.
            let shared = self.on_revoke.get().is_some();
            let revoked: Vec<&str> = users
                .into_iter()
                .filter(|user| tokenless.insert((*user).to_owned()) || shared)
                .collect();
            for user in &revoked {
                let generation = by_user.entry((*user).to_owned()).or_insert(0);
                *generation += 1;
                if let Some(hook) = self.on_revoke.get() {
                    hook(user, *generation);
                }
            }
            revoked
        }
    }

    /// The second half of [`Self::revoke`]: writes every generation to the data directory (if
    /// there is one) and syncs it.
    pub fn persist(&self) -> std::io::Result<()> {
        match &self.generations.file {
            Some(file) => {
                // One writer at a time, each writing the generations as they are when it
                // writes: the last write has every revocation made before it.
                let _writing = self
                    .generations
                    .writing
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let by_user = self
                    .generations
                    .by_user
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .clone();
                write_generations(file, &by_user)
            }
            None => Ok(()),
        }
    }
}

/// `generation user-in-hex` a line.
fn parse_generations(text: &str) -> Option<HashMap<String, u64>> {
    text.lines()
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (generation, user) = line.split_once(' ')?;
            let user = String::from_utf8(unhex(user)?).ok()?;
            Some((user, generation.parse().ok()?))
        })
        .collect()
}

/// Replaces the file whole: a temporary file, synced, renamed over it, and the directory synced.
fn write_generations(file: &Path, by_user: &HashMap<String, u64>) -> std::io::Result<()> {
    let mut text = String::new();
    for (user, generation) in by_user {
        text.push_str(&format!("{generation} {}\n", hex(user.as_bytes())));
    }
    let temporary = file.with_extension("revoked.tmp");
    let mut out = open_private(&temporary)?;
    out.write_all(text.as_bytes())?;
    out.sync_all()?;
    std::fs::rename(&temporary, file)?;
    if let Some(dir) = file.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
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

    #[test]
    fn revoked_generations_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("acdhub-token-revoked-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = TokenKey::load_or_create(&dir).unwrap();
        assert_eq!(first.generation("agent 7"), 0);
        first.revoke(["agent 7", "sup"]).1.unwrap();
        let (again, _) = first.revoke(["agent 7"]);
        assert!(
            again.is_empty(),
            "no token was made since: nothing to revoke"
        );
        let generation = first.generation_to_sign("agent 7");
        first.sign("agent 7", &format!("hash {generation}"), at(5_000));
        assert_eq!(first.revoke(["agent 7"]).0, ["agent 7"]);
        // A revocation between reading the generation and signing counts it up all the same,
        // so that token is born revoked.
        let read = first.generation_to_sign("sup");
        assert_eq!(first.revoke(["sup"]).0, ["sup"]);
        assert_ne!(first.generation("sup"), read);
        assert!(
            first.revoke(["sup"]).0.is_empty(),
            "nothing to revoke again"
        );
        let again = TokenKey::load_or_create(&dir).unwrap();
        assert_eq!(again.generation("agent 7"), 2);
        assert_eq!(again.generation("sup"), 2);
        assert_eq!(again.generation("other"), 0);
        std::fs::write(dir.join(REVOKED_FILE), "x y\n").unwrap();
        let error = TokenKey::load_or_create(&dir).unwrap_err();
        assert!(error.to_string().contains("token.revoked"), "{error}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
