//! Prints how fast tokens are signed, verified and fetched over HTTP from a local server.
//!
//! Run with `cargo bench -p tandem-server --bench tokens`. Figures only; nothing is asserted.

use std::time::Instant;

use tandem_server::{ServerConfig, ServiceSpec, TokenVerifier};
use tandem_testkit::InProcessServer;

const SIGNS: u32 = 2_000;
const FETCHES: u32 = 500;
const SCOPE: &str = "https://graph.microsoft.com/.default";

fn per_second(count: u32, started: Instant) -> f64 {
    f64::from(count) / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let server = InProcessServer::start(ServiceSpec::xdr(), ServerConfig::default(), |_| {
        tandem_server::Router::new()
    })
    .await
    .expect("server starts");
    let credentials = server.credentials();

    let started = Instant::now();
    for _ in 0..FETCHES {
        credentials
            .writer_token(server.url(), SCOPE)
            .await
            .expect("token");
    }
    println!(
        "token endpoint over HTTP: {:.0} tokens/s",
        per_second(FETCHES, started)
    );

    let token = credentials
        .writer_token(server.url(), SCOPE)
        .await
        .expect("token");
    let dir = tandem_server::DataDir::open(server.data_dir()).expect("data dir");
    let identity =
        tandem_server::Identity::load_or_create(&dir, None, &ServiceSpec::xdr().dev_roles)
            .expect("identity");
    let key = identity.signing_key();
    let claims = key.verify_signature(&token).expect("valid token");

    let started = Instant::now();
    for _ in 0..SIGNS {
        key.sign(&claims).expect("signs");
    }
    println!("ES256 sign: {:.0} tokens/s", per_second(SIGNS, started));

    let verifier = TokenVerifier::new(
        key.clone(),
        identity.tenant_id(),
        &ServiceSpec::xdr().audiences,
    );
    let now = claims.iat;
    let started = Instant::now();
    for _ in 0..SIGNS {
        verifier.verify(&token, now).expect("verifies");
    }
    println!(
        "ES256 verify with claim checks: {:.0} tokens/s",
        per_second(SIGNS, started)
    );
}
