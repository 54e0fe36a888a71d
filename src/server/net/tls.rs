//! TLS for the wss listener: the certificate from the configuration, or the development one,
//! behind a resolver that a reload swaps. A handshake asks the resolver for the certificate
//! current at that moment, so a renewed certificate is served to new connections while those
//! already open keep the session they negotiated.

use std::path::Path;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use rustls::ServerConfig;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// The development certificate and key from `certs/`, built in so that a fresh install serves
/// wss:// at once. Only clients that trust `certs/dev-ca.pem` accept it.
const DEV_CERTIFICATE: &str = include_str!("../../../certs/localhost.pem");
const DEV_PRIVATE_KEY: &str = include_str!("../../../certs/localhost-key.pem");
const DEV_CERTIFICATE_FILE: &str = "certs/localhost.pem";
const DEV_PRIVATE_KEY_FILE: &str = "certs/localhost-key.pem";

/// Why TLS could not be set up; names the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{file}: cannot read the certificate chain: {problem}")]
    Certificate { file: String, problem: String },
    #[error("{file}: cannot read the private key: {problem}")]
    PrivateKey { file: String, problem: String },
    #[error("{certificate} and {private_key} do not go together: {problem}")]
    Mismatch {
        certificate: String,
        private_key: String,
        problem: String,
    },
    #[error("TLS cannot be set up: {0}")]
    Setup(String),
}

/// Which certificate the server runs on.
pub enum Certificate<'a> {
    Development,
    Files(&'a TlsFiles),
}

/// Reads a certificate chain and its private key and checks that they go together: what the
/// resolver serves. Every error names the file and the problem.
pub fn load(certificate: Certificate<'_>) -> Result<Arc<CertifiedKey>, TlsError> {
    let (chain, key, files) = match certificate {
        Certificate::Development => (
            read_chain(DEV_CERTIFICATE.as_bytes(), DEV_CERTIFICATE_FILE)?,
            read_key(DEV_PRIVATE_KEY.as_bytes(), DEV_PRIVATE_KEY_FILE)?,
            (
                DEV_CERTIFICATE_FILE.to_owned(),
                DEV_PRIVATE_KEY_FILE.to_owned(),
            ),
        ),
        Certificate::Files(files) => (
            read_chain(&read(&files.certificate, true)?, &shown(&files.certificate))?,
            read_key(
                &read(&files.private_key, false)?,
                &shown(&files.private_key),
            )?,
            (shown(&files.certificate), shown(&files.private_key)),
        ),
    };
    let (certificate, private_key) = files;
    let signing_key = rustls::crypto::ring::default_provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| TlsError::PrivateKey {
            file: private_key.clone(),
            problem: e.to_string(),
        })?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        // A key whose public half rustls cannot tell is used as with_single_cert would.
        Ok(()) | Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => {
            Ok(Arc::new(certified))
        }
        Err(e) => Err(TlsError::Mismatch {
            certificate,
            private_key,
            problem: e.to_string(),
        }),
    }
}

/// When the certificate (the chain's first) expires, as Unix seconds; `None` if its DER cannot
/// be read that far.
pub fn not_after(certificate: &CertifiedKey) -> Option<i64> {
    super::expiry::not_after(certificate.cert.first()?)
}

/// Whether `certificate` is the built-in development certificate: browsers that do not trust
/// `certs/dev-ca.pem` refuse it, which a page cannot tell from a blocked port by itself
/// (`/rt/endpoints` says which certificate wss serves, for /diagnostics).
pub fn is_development(certificate: &CertifiedKey) -> bool {
    static DEVELOPMENT: LazyLock<Option<CertificateDer<'static>>> = LazyLock::new(|| {
        CertificateDer::pem_slice_iter(DEV_CERTIFICATE.as_bytes())
            .next()?
            .ok()
    });
    matches!((&*DEVELOPMENT, certificate.cert.first()), (Some(dev), Some(served)) if dev == served)
}

/// The certificate new handshakes get. A reload replaces it; a handshake under way, and every
/// connection already open, keeps the one it got. A read lock per handshake costs nothing
/// beside the handshake's own cryptography, so std's `RwLock` does, without an arc-swap crate.
#[derive(Debug)]
pub struct CertificateResolver {
    current: RwLock<Arc<CertifiedKey>>,
}

impl CertificateResolver {
    pub fn new(certificate: Arc<CertifiedKey>) -> CertificateResolver {
        CertificateResolver {
            current: RwLock::new(certificate),
        }
    }

    /// What a handshake starting now gets.
    pub fn current(&self) -> Arc<CertifiedKey> {
        // A writer only assigns, so a poisoned lock still holds a whole certificate.
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Serves `certificate` to new connections from now on. Returns whether its chain differs
    /// from the one it replaces (a reload reads the files again whether or not they changed).
    pub fn replace(&self, certificate: Arc<CertifiedKey>) -> bool {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        let changed = current.cert != certificate.cert;
        *current = certificate;
        changed
    }
}

impl ResolvesServerCert for CertificateResolver {
    fn resolve(&self, _client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

/// A rustls server configuration for wss, offering HTTP/1.1 (WebSocket upgrades need it), whose
/// certificate comes from `resolver` at each handshake.
pub fn server_config(resolver: Arc<CertificateResolver>) -> Result<Arc<ServerConfig>, TlsError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Setup(e.to_string()))?
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn shown(path: &Path) -> String {
    path.display().to_string()
}

fn read(path: &Path, certificate: bool) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| {
        let (file, problem) = (shown(path), e.to_string());
        if certificate {
            TlsError::Certificate { file, problem }
        } else {
            TlsError::PrivateKey { file, problem }
        }
    })
}

fn read_chain(pem: &[u8], file: &str) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Certificate {
            file: file.to_owned(),
            problem: e.to_string(),
        })?;
    if chain.is_empty() {
        return Err(TlsError::Certificate {
            file: file.to_owned(),
            problem: "no CERTIFICATE block in the file".to_owned(),
        });
    }
    Ok(chain)
}

fn read_key(pem: &[u8], file: &str) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| TlsError::PrivateKey {
        file: file.to_owned(),
        problem: format!("{e} (expected a PEM private key: PKCS#8, PKCS#1 or SEC1)"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A renewed certificate (same name, new key) and its key, in a fresh folder.
    fn renewed(test: &str) -> TlsFiles {
        let dir = std::env::temp_dir().join(format!("acdhub-tls-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let files = TlsFiles {
            certificate: dir.join("cert.pem"),
            private_key: dir.join("key.pem"),
        };
        std::fs::write(
            &files.certificate,
            include_str!("../../../tests/certs/renewed.pem"),
        )
        .unwrap();
        std::fs::write(
            &files.private_key,
            include_str!("../../../tests/certs/renewed-key.pem"),
        )
        .unwrap();
        files
    }

    fn der(pem: &str) -> Vec<u8> {
        CertificateDer::pem_slice_iter(pem.as_bytes())
            .next()
            .unwrap()
            .unwrap()
            .to_vec()
    }

    #[test]
    fn the_development_certificate_loads_and_makes_a_server_config() {
        let resolver = Arc::new(CertificateResolver::new(
            load(Certificate::Development).unwrap(),
        ));
        assert!(server_config(resolver).is_ok());
    }

    #[test]
    fn a_missing_file_is_named() {
        let files = TlsFiles {
            certificate: "/nonexistent/cert.pem".into(),
            private_key: "/nonexistent/key.pem".into(),
        };
        let error = load(Certificate::Files(&files)).err().unwrap().to_string();
        assert!(
            error.starts_with("/nonexistent/cert.pem: cannot read"),
            "{error}"
        );
    }

    #[test]
    fn the_resolver_serves_a_renewed_certificate_once_replaced() {
        let resolver = CertificateResolver::new(load(Certificate::Development).unwrap());
        let before = resolver.current();
        assert_eq!(before.cert[0].as_ref(), der(DEV_CERTIFICATE));

        let files = renewed("swap");
        assert!(resolver.replace(load(Certificate::Files(&files)).unwrap()));
        let renewed = include_str!("../../../tests/certs/renewed.pem");
        assert_eq!(resolver.current().cert[0].as_ref(), der(renewed));
        // What a handshake took before the swap is its own to keep.
        assert_eq!(before.cert[0].as_ref(), der(DEV_CERTIFICATE));
        // The same files read again are no change.
        assert!(!resolver.replace(load(Certificate::Files(&files)).unwrap()));
        std::fs::remove_dir_all(files.certificate.parent().unwrap()).unwrap();
    }

    #[test]
    fn a_key_of_another_certificate_is_refused_naming_both_files() {
        let mut files = renewed("mismatch");
        let dir = files.certificate.parent().unwrap().to_owned();
        files.certificate = dir.join("other.pem");
        std::fs::write(&files.certificate, DEV_CERTIFICATE).unwrap();
        let error = load(Certificate::Files(&files)).err().unwrap();
        assert!(matches!(error, TlsError::Mismatch { .. }), "{error}");
        let text = error.to_string();
        assert!(
            text.contains("other.pem and ") && text.contains("key.pem do not go together"),
            "{text}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_with_no_certificate_is_refused() {
        let files = renewed("garbage");
        std::fs::write(&files.certificate, "not a certificate\n").unwrap();
        let text = load(Certificate::Files(&files)).err().unwrap().to_string();
        assert!(
            text.ends_with(
                "cert.pem: cannot read the certificate chain: no CERTIFICATE block in the file"
            ),
            "{text}"
        );
        std::fs::remove_dir_all(files.certificate.parent().unwrap()).unwrap();
    }
}
