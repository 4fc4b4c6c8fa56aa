//! TLS against a real HTTPS server whose certificate no public root vouches for: the `ca_file` option
//! makes the client trust it, and without that option the connection is refused (verification is on).

#![cfg(test)]

mod common;

use std::sync::Arc;

use common::{TokenEndpoint, config, serve};
use serde_json::Value;
use tandem_client::{ApiClient, ClientError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const BODY: &str = r#"{"served":"over tls"}"#;

/// Starts an HTTPS server for 127.0.0.1 with a fresh self-signed certificate; returns its base URL and
/// the certificate as PEM.
async fn https_server() -> (String, String) {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).unwrap();
    let chain = vec![CertificateDer::from(certified.cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        certified.signing_key.serialize_der(),
    ));
    let tls = ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(tls));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // A refused handshake is the client doing its job; nothing to answer then.
                if let Ok(stream) = acceptor.accept(tcp).await {
                    answer_one_request(stream).await;
                }
            });
        }
    });
    (format!("https://{addr}"), certified.cert.pem())
}

/// Reads one request's head and answers it with [`BODY`], closing the connection.
async fn answer_one_request(mut stream: impl AsyncReadExt + AsyncWriteExt + Unpin) {
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[tokio::test]
async fn a_ca_file_makes_a_private_certificate_trusted() {
    let (https, pem) = https_server().await;
    let token_base = serve(TokenEndpoint::new(3600).router()).await;
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("tandem-dev-ca.pem");
    std::fs::write(&ca_file, pem).unwrap();
    let mut config = config(&token_base);
    config.ca_file = Some(ca_file);
    let client = ApiClient::new(&config).unwrap();
    let body: Value = client
        .get_json(&format!("{https}/v1.0/security/incidents"))
        .await
        .unwrap();
    assert_eq!(body["served"], "over tls");
}

#[tokio::test]
async fn without_the_ca_file_the_certificate_is_refused() {
    let (https, _) = https_server().await;
    let token_base = serve(TokenEndpoint::new(3600).router()).await;
    let client = ApiClient::new(&config(&token_base)).unwrap();
    let error = client
        .get_json::<Value>(&format!("{https}/v1.0/security/incidents"))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Transport { .. }), "{error}");
    let mut causes = Vec::new();
    let mut cause: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = cause {
        causes.push(e.to_string());
        cause = e.source();
    }
    let chain = causes.join(": ").to_lowercase();
    assert!(chain.contains("certificate"), "{chain}");
}
