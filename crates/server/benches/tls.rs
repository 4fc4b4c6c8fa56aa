//! Prints what HTTPS costs: `/healthz` requests per second over plain HTTP and over TLS, on one kept-alive
//! connection and with a new connection (so a handshake, resumed where the client can) per request.
//!
//! Run with `cargo bench -p tandem-server --bench tls`. Figures only; nothing is asserted.

use std::time::Instant;

use tandem_server::{Router, ServerConfig, ServiceSpec, TlsConfig};
use tandem_testkit::InProcessServer;

const KEPT_ALIVE: u32 = 2_000;
const NEW_CONNECTIONS: u32 = 300;

async fn start(tls: TlsConfig) -> InProcessServer {
    let config = ServerConfig {
        tls,
        ..ServerConfig::default()
    };
    InProcessServer::start(ServiceSpec::xdr(), config, |_| Router::new())
        .await
        .expect("server starts")
}

/// A client trusting the server's CA; with `reuse` false it keeps no idle connection, so every request
/// connects anew.
fn client(server: &InProcessServer, reuse: bool) -> reqwest::Client {
    let mut builder = reqwest::Client::builder();
    if let Some(ca) = server.credentials().ca_cert() {
        let pem = std::fs::read(ca).expect("CA file");
        builder = builder.add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("PEM"));
    }
    if !reuse {
        builder = builder.pool_max_idle_per_host(0);
    }
    builder.build().expect("client")
}

/// Requests per second for `count` health checks through `client`.
async fn rate(server: &InProcessServer, count: u32, client: reqwest::Client) -> f64 {
    let url = format!("{}/healthz", server.url());
    let started = Instant::now();
    for _ in 0..count {
        let response = client.get(&url).send().await.expect("answered");
        assert!(response.status().is_success());
    }
    f64::from(count) / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let plain = start(TlsConfig::default()).await;
    let tls = start(TlsConfig {
        enabled: true,
        ..TlsConfig::default()
    })
    .await;
    for (name, server) in [("HTTP ", &plain), ("HTTPS", &tls)] {
        let kept = rate(server, KEPT_ALIVE, client(server, true)).await;
        let fresh = rate(server, NEW_CONNECTIONS, client(server, false)).await;
        println!(
            "{name} /healthz: {kept:.0} requests/s kept alive, {fresh:.0} requests/s with a new connection each"
        );
    }
}
