//! HTTPS for Tandem's servers, and the rule that plain HTTP stays on loopback.
//!
//! Microsoft's SDKs insist on https (azure-identity refuses an http authority; the Azure SDKs refuse to
//! send a token over http), so a server that clients reach without switching their security off must
//! speak TLS. With `--tls` a server serves HTTPS (rustls, `ring` provider) with a certificate from the
//! data dir's local CA ([`crate::ca`]), or with the operator's own (`--tls-cert`, `--tls-key`). Without
//! TLS it listens on loopback only, unless `--insecure-http` says otherwise: tokens and client secrets
//! must not cross a network in the clear by accident.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig as RustlsConfig;
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::server::TlsStream;

use crate::ca;
use crate::datadir::DataDir;
use crate::error::ServerError;

/// The `credentials.env` key holding the path of the CA certificate clients should trust.
pub const CA_CERT_KEY: &str = "TANDEM_CA_CERT";

/// How long a client gets to finish the TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for the server to take them.
const ACCEPT_QUEUE: usize = 64;

/// How a server secures its connections: the `[tls]` section of the config file, which the
/// command-line flags (`--tls`, `--tls-name`, `--tls-cert`, `--tls-key`, `--insecure-http`) override.
///
/// ```toml
/// [tls]
/// enabled = true                  # serve HTTPS with a certificate from the data dir's CA
/// names = ["tandem.example.net"]  # more names for that certificate (loopback names are always in)
/// cert = "/etc/tandem/server.pem" # or: the operator's certificate chain and key (PEM)
/// key = "/etc/tandem/server-key.pem"
/// insecure_http = false           # allow plain HTTP on a non-loopback address
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Serve HTTPS.
    #[serde(default)]
    pub enabled: bool,
    /// Host names and addresses the generated certificate names besides `localhost`, `127.0.0.1`
    /// and `::1`.
    #[serde(default)]
    pub names: Vec<String>,
    /// The operator's certificate chain (PEM), used instead of the local CA; implies `enabled`.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// The private key (PEM) of `cert`.
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// Serve plain HTTP even on an address other than loopback.
    #[serde(default)]
    pub insecure_http: bool,
}

impl TlsConfig {
    /// True when the server serves HTTPS.
    pub fn serves_https(&self) -> bool {
        self.enabled || self.cert.is_some()
    }

    /// Checks that the settings agree with each other; errors name the flags.
    pub fn check(&self) -> Result<(), ServerError> {
        let invalid = |text: &str| Err(ServerError::Invalid(text.to_owned()));
        match (&self.cert, &self.key) {
            (Some(_), None) => {
                return invalid("--tls-cert needs --tls-key (the certificate's key)");
            }
            (None, Some(_)) => return invalid("--tls-key needs --tls-cert (the certificate)"),
            (Some(_), Some(_)) if !self.names.is_empty() => {
                return invalid(
                    "--tls-name applies to the generated certificate; with --tls-cert the certificate names its own hosts",
                );
            }
            _ => {}
        }
        if self.insecure_http && self.serves_https() {
            return invalid("--insecure-http and --tls exclude each other");
        }
        Ok(())
    }

    /// Refuses plain HTTP on `addr` unless it is loopback or `insecure_http` allows it.
    pub fn check_listen(&self, listen: &str, addr: SocketAddr) -> Result<(), ServerError> {
        if self.serves_https() || self.insecure_http || addr.ip().is_loopback() {
            return Ok(());
        }
        Err(ServerError::PlainHttpOffLoopback {
            listen: listen.to_owned(),
        })
    }
}

/// A server's TLS setup: the rustls config, and the CA file clients should trust when the
/// certificate came from the local CA.
#[derive(Clone)]
pub struct ServerTls {
    acceptor: TlsAcceptor,
    ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("ca_file", &self.ca_file)
            .finish_non_exhaustive()
    }
}

impl ServerTls {
    /// The TLS setup `config` asks for (`None` for plain HTTP). `service` names the generated server
    /// certificate's files; `listen_host` (the host part of `--listen`) is added to its names when it is
    /// a specific address.
    pub fn prepare(
        dir: &DataDir,
        service: &str,
        config: &TlsConfig,
        listen_host: Option<&str>,
    ) -> Result<Option<ServerTls>, ServerError> {
        config.check()?;
        if let (Some(cert), Some(key)) = (&config.cert, &config.key) {
            let chain = read_chain(cert)?;
            let key = read_key(key)?;
            return Ok(Some(ServerTls::new(chain, key, cert, None)?));
        }
        if !config.enabled {
            return Ok(None);
        }
        let mut names = config.names.clone();
        names.extend(
            listen_host
                .filter(|h| is_specific_host(h))
                .map(str::to_owned),
        );
        let issued = ca::server_certificate(dir, service, &names)?;
        let origin = dir.path(&format!("tls-{service}.pem"));
        let chain = parse_chain(issued.chain_pem.as_bytes(), &origin)?;
        let key = parse_key(issued.key_pem.as_bytes(), &origin)?;
        Ok(Some(ServerTls::new(
            chain,
            key,
            &origin,
            Some(issued.ca_file),
        )?))
    }

    fn new(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        origin: &Path,
        ca_file: Option<PathBuf>,
    ) -> Result<ServerTls, ServerError> {
        let invalid = |e: &dyn std::fmt::Display| {
            ServerError::Invalid(format!("TLS: {}: {e}", origin.display()))
        };
        let mut config = RustlsConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| invalid(&e))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| invalid(&e))?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(ServerTls {
            acceptor: TlsAcceptor::from(Arc::new(config)),
            ca_file,
        })
    }

    /// The local CA's certificate file, when the server certificate came from it.
    pub fn ca_file(&self) -> Option<&Path> {
        self.ca_file.as_deref()
    }

    /// Starts accepting TLS connections on `listener`; handshakes run concurrently, each with a
    /// deadline, and only finished ones reach the HTTP server.
    pub fn listen(&self, listener: TcpListener) -> Result<TlsListener, ServerError> {
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        let (ready, incoming) = mpsc::channel(ACCEPT_QUEUE);
        let accepting = tokio::spawn(accept_loop(listener, self.acceptor.clone(), ready));
        Ok(TlsListener {
            incoming,
            addr,
            accepting,
        })
    }
}

/// A `HOST` from `--listen HOST:PORT` that names one address or host (not `0.0.0.0`, `::` or empty).
fn is_specific_host(host: &str) -> bool {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => !ip.is_unspecified(),
        Err(_) => !host.is_empty(),
    }
}

/// The host part of `HOST:PORT` (`[::1]:8710` gives `::1`).
pub fn listen_host(listen: &str) -> Option<&str> {
    let (host, _port) = listen.rsplit_once(':')?;
    Some(host.trim_start_matches('[').trim_end_matches(']'))
}

async fn accept_loop(
    listener: TcpListener,
    acceptor: TlsAcceptor,
    ready: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!(%error, "accepting a connection failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        // Handshake flights and small responses go out at once instead of waiting for an ACK.
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        let ready = ready.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => {
                    let _ = ready.send((stream, peer)).await;
                }
                Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
            }
        });
    }
}

/// Accepted TLS connections, for `axum::serve`. Dropping it stops accepting and frees the port.
#[derive(Debug)]
pub struct TlsListener {
    incoming: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    addr: SocketAddr,
    accepting: JoinHandle<()>,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.incoming.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when aborted, which happens when this listener drops.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.addr)
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

fn read_file(path: &Path) -> Result<Vec<u8>, ServerError> {
    std::fs::read(path).map_err(|e| ServerError::io(path, e))
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    parse_chain(&read_file(path)?, path)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, ServerError> {
    parse_key(&read_file(path)?, path)
}

fn parse_chain(pem: &[u8], origin: &Path) -> Result<Vec<CertificateDer<'static>>, ServerError> {
    let chain = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| pem_error(origin, "certificates", &e))?;
    if chain.is_empty() {
        return Err(pem_error(origin, "certificates", &"no CERTIFICATE block"));
    }
    Ok(chain)
}

fn parse_key(pem: &[u8], origin: &Path) -> Result<PrivateKeyDer<'static>, ServerError> {
    PrivateKeyDer::from_pem_slice(pem).map_err(|e| pem_error(origin, "a private key", &e))
}

fn pem_error(path: &Path, what: &str, error: &dyn std::fmt::Display) -> ServerError {
    ServerError::Invalid(format!(
        "TLS: {} does not hold {what} in PEM: {error}",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn plain_http_is_refused_off_loopback_unless_allowed() {
        let plain = TlsConfig::default();
        assert!(
            plain
                .check_listen("127.0.0.1:1", addr("127.0.0.1:1"))
                .is_ok()
        );
        assert!(plain.check_listen("[::1]:1", addr("[::1]:1")).is_ok());
        let err = plain
            .check_listen("0.0.0.0:8710", addr("0.0.0.0:8710"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("0.0.0.0:8710") && err.contains("--tls"),
            "{err}"
        );
        assert!(err.contains("--insecure-http"), "{err}");
        let allowed = TlsConfig {
            insecure_http: true,
            ..TlsConfig::default()
        };
        assert!(allowed.check_listen("0.0.0.0:1", addr("0.0.0.0:1")).is_ok());
        let tls = TlsConfig {
            enabled: true,
            ..TlsConfig::default()
        };
        assert!(tls.check_listen("10.0.0.1:1", addr("10.0.0.1:1")).is_ok());
    }

    #[test]
    fn contradicting_settings_are_errors_naming_the_flags() {
        let cases = [
            (
                TlsConfig {
                    cert: Some("c.pem".into()),
                    ..TlsConfig::default()
                },
                "--tls-key",
            ),
            (
                TlsConfig {
                    cert: Some("c.pem".into()),
                    key: Some("k.pem".into()),
                    names: vec!["x".into()],
                    ..TlsConfig::default()
                },
                "--tls-name",
            ),
            (
                TlsConfig {
                    enabled: true,
                    insecure_http: true,
                    ..TlsConfig::default()
                },
                "--insecure-http",
            ),
        ];
        for (config, flag) in cases {
            let err = config.check().unwrap_err().to_string();
            assert!(err.contains(flag), "{err}");
        }
    }

    #[test]
    fn listen_host_is_added_only_when_it_names_one_address() {
        assert_eq!(listen_host("10.1.2.3:8710"), Some("10.1.2.3"));
        assert_eq!(listen_host("[::1]:8710"), Some("::1"));
        assert!(is_specific_host("tandem.example"));
        assert!(!is_specific_host("0.0.0.0"));
        assert!(!is_specific_host("::"));
    }

    #[test]
    fn operator_files_that_are_not_pem_are_errors_naming_the_file() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let cert = temp.path().join("server.pem");
        std::fs::write(&cert, "not a certificate").unwrap();
        let config = TlsConfig {
            cert: Some(cert.clone()),
            key: Some(cert.clone()),
            ..TlsConfig::default()
        };
        let err = ServerTls::prepare(&dir, "xdr", &config, None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.pem"), "{err}");
    }
}
