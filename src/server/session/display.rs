//! Display tokens: what a kiosk wallboard signs in with instead of a wallboard user's password.
//!
//! A supervisor's `create_display` draws 32 random bytes here; the token is
//! `d1.<tenant in hex>.<secret in hex>`, shown to the supervisor once. Only its hash reaches the
//! tenant's core (`acd::Command::CreateDisplay`), which journals, replays and replicates it like
//! any command: so a display outlives a restart, is known to every node of a cluster, and ends
//! everywhere when it is revoked. The tokens of `token.rs` are the other kind: signed for a
//! configured user and checked without the server remembering them; a display is no configured
//! user and must be revocable one by one, which a signature alone cannot be.
//!
//! A sign-in with a display token (`auth`'s `display`, or its `token`, which is what the
//! AuthResult hands back) names its tenant; that tenant's engine looks the hash up
//! (`Request::Display`).

use blake2::{Blake2b512, Digest};

use crate::hex::{decode as unhex, encode as hex};

const PREFIX: &str = "d1";
const SECRET_BYTES: usize = 32;

/// A new display token of `tenant`, and its hash for the core.
pub fn draw(tenant: &str) -> (String, String) {
    let mut secret = [0u8; SECRET_BYTES];
    getrandom::fill(&mut secret).expect("the operating system's random source works");
    let token = format!("{PREFIX}.{}.{}", hex(tenant.as_bytes()), hex(&secret));
    let hash = hash(&token);
    (token, hash)
}

/// What the core keeps of `token`.
pub fn hash(token: &str) -> String {
    hex(&Blake2b512::digest(token.as_bytes())[..32])
}

/// Whether `token` is a display token (not a user's token of `token.rs`).
pub fn is_display_token(token: &str) -> bool {
    token.starts_with("d1.")
}

/// The tenant a display token names, if it is shaped as one.
pub fn tenant_of(token: &str) -> Option<String> {
    let mut parts = token.split('.');
    let (prefix, tenant, secret) = (parts.next()?, parts.next()?, parts.next()?);
    if prefix != PREFIX || parts.next().is_some() || secret.len() != 2 * SECRET_BYTES {
        return None;
    }
    unhex(secret)?;
    String::from_utf8(unhex(tenant)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_tenant_and_only_its_hash_is_kept() {
        let (token, kept) = draw("acme");
        assert!(is_display_token(&token));
        assert_eq!(tenant_of(&token).as_deref(), Some("acme"));
        assert_eq!(hash(&token), kept);
        assert!(!kept.contains(token.rsplit('.').next().unwrap()));
        let (other, other_kept) = draw("acme");
        assert_ne!((other, other_kept), (token.clone(), kept));
        for bad in [
            "d1.61636d65",
            "d1.zz.00",
            "v1.61636d65.00",
            &format!("{token}.x"),
        ] {
            assert_eq!(tenant_of(bad), None, "{bad}");
        }
    }
}
