//! TLS for the wss listener: the certificate from the configuration, or the development one.

use std::path::Path;
use std::sync::Arc;

use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::TlsFiles;

/// The development certificate and key from `certs/`, built in so that a fresh install serves
/// wss:// at once. Only clients that trust `certs/dev-ca.pem` accept it.
const DEV_CERTIFICATE: &str = include_str!("../../../certs/localhost.pem");
const DEV_PRIVATE_KEY: &str = include_str!("../../../certs/localhost-key.pem");

/// Why TLS could not be set up; names the file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{file}: cannot read the certificate chain: {problem}")]
    Certificate { file: String, problem: String },
    #[error("{file}: cannot read the private key: {problem}")]
    PrivateKey { file: String, problem: String },
    #[error("the certificate and the private key do not go together: {0}")]
    Mismatch(String),
}

/// Which certificate the server runs on.
pub enum Certificate<'a> {
    Development,
    Files(&'a TlsFiles),
}

/// A rustls server configuration for wss, offering HTTP/1.1 (WebSocket upgrades need it).
pub fn server_config(certificate: Certificate<'_>) -> Result<Arc<ServerConfig>, TlsError> {
    let (chain, key) = match certificate {
        Certificate::Development => (
            read_chain(DEV_CERTIFICATE.as_bytes(), "certs/localhost.pem")?,
            read_key(DEV_PRIVATE_KEY.as_bytes(), "certs/localhost-key.pem")?,
        ),
        Certificate::Files(files) => (
            read_chain(&read(&files.certificate, true)?, &shown(&files.certificate))?,
            read_key(
                &read(&files.private_key, false)?,
                &shown(&files.private_key),
            )?,
        ),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Mismatch(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| TlsError::Mismatch(e.to_string()))?;
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

    #[test]
    fn the_development_certificate_loads() {
        assert!(server_config(Certificate::Development).is_ok());
    }

    #[test]
    fn a_missing_file_is_named() {
        let files = TlsFiles {
            certificate: "/nonexistent/cert.pem".into(),
            private_key: "/nonexistent/key.pem".into(),
        };
        let error = server_config(Certificate::Files(&files))
            .err()
            .unwrap()
            .to_string();
        assert!(
            error.starts_with("/nonexistent/cert.pem: cannot read"),
            "{error}"
        );
    }
}
