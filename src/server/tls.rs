//! HTTPS: the same router over TLS, with ALPN offering `h2` before `http/1.1`.
//!
//! Why: browsers speak HTTP/2 only over TLS (never h2c), and over HTTP/1.1 they
//! open at most about six connections to one origin, each notification stream
//! (Server-Sent Events) holding one for as long as it is open. Over HTTP/2 every
//! stream shares one connection. The plain listener's h2c (prior knowledge) serves
//! backends and proxies; this serves browsers directly.
//!
//! rustls with the `ring` provider: the NATS and Neo4j clients already build it, so
//! no second crypto library (`aws-lc-rs`, a large C build) joins them. `axum-server`
//! runs the accept loop: the TLS handshake (with a time limit), HTTP/1.1 or HTTP/2
//! by what ALPN chose, and graceful shutdown through its `Handle`.

use axum::Router;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::config::TlsFiles;

/// Why the certificate or key cannot be used; each names its file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// The file could not be read.
    #[error("{setting} {path}: cannot read: {source}")]
    Read {
        /// `tls.cert` or `tls.key`.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file is not PEM, or holds no block of the kind wanted.
    #[error("{setting} {path}: {message}")]
    Pem {
        /// `tls.cert` or `tls.key`.
        setting: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// rustls refused the pair: the key does not fit the certificate, or its kind is
    /// not supported.
    #[error("tls.key {key} with tls.cert {cert}: {source}")]
    Refused {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        source: rustls::Error,
    },
}

/// The protocols offered by ALPN, the preferred first.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads the certificate chain and key of `files` into a server configuration that
/// offers HTTP/2 and HTTP/1.1 by ALPN.
pub fn server_config(files: &TlsFiles) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let certs = certificates(&files.cert)?;
    let key = private_key(&files.key)?;
    let refused = |source| TlsError::Refused {
        cert: files.cert.clone(),
        key: files.key.clone(),
        source,
    };
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(refused)?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(refused)?;
    config.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(Arc::new(config))
}

/// A client configuration that trusts the certificates of `trusted` (the server's
/// own chain, or a CA's), for the CLI asking a listener that speaks TLS only. A
/// self-signed certificate is its own anchor; of a CA-issued chain, the intermediate
/// is.
pub fn client_config(trusted: &Path) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    let (added, _) = roots.add_parsable_certificates(certificates(trusted)?);
    if added == 0 {
        return Err(TlsError::Pem {
            setting: "tls.cert",
            path: trusted.to_owned(),
            message: "no certificate usable as a trust anchor".into(),
        });
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|source| TlsError::Refused {
        cert: trusted.to_owned(),
        key: PathBuf::new(),
        source,
    })?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}

fn read(setting: &'static str, path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|source| TlsError::Read {
        setting,
        path: path.to_owned(),
        source,
    })
}

fn not_pem(setting: &'static str, path: &Path, e: pem::Error) -> TlsError {
    TlsError::Pem {
        setting,
        path: path.to_owned(),
        message: match e {
            // These two would print the line as bytes.
            pem::Error::MissingSectionEnd { .. } => "not valid PEM: a block has no END line".into(),
            pem::Error::IllegalSectionStart { .. } => {
                "not valid PEM: a malformed BEGIN line".into()
            }
            e => format!("not valid PEM: {e}"),
        },
    }
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let setting = "tls.cert";
    let certs = CertificateDer::pem_slice_iter(&read(setting, path)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| not_pem(setting, path, e))?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            setting,
            path: path.to_owned(),
            message: "no CERTIFICATE block".into(),
        });
    }
    Ok(certs)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    let setting = "tls.key";
    PrivateKeyDer::from_pem_slice(&read(setting, path)?).map_err(|e| match e {
        pem::Error::NoItemsFound => TlsError::Pem {
            setting,
            path: path.to_owned(),
            message: "no PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block".into(),
        },
        e => not_pem(setting, path, e),
    })
}

/// Serves `app` over TLS on `listener` until `shutdown` completes, then stops
/// accepting and waits for the open connections to finish, as the plain listener
/// does.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    app: Router,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let handle = axum_server::Handle::new();
    let server = axum_server::tls_rustls::from_tcp_rustls(
        listener.into_std()?,
        axum_server::tls_rustls::RustlsConfig::from_config(config),
    )?
    .handle(handle.clone())
    .serve(app.into_make_service());
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result,
        () = shutdown => handle.graceful_shutdown(None),
    }
    server.await
}
