//! What the TLS tests share: the `tandem` binary, tandem-client clients that trust a server's CA
//! through `ca_file`, and seeding the XDR through its intake API over HTTPS.

use std::collections::BTreeSet;
use std::path::Path;

use tandem_client::{ApiClient, ClientConfig, CredentialConfig, Secret};
use tandem_testkit::Credentials;

/// The binary under test.
pub fn tandem() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tandem"))
}

/// An API client of the read-write development app in `credentials` for the server in `url_key`,
/// requesting `scope` and trusting `TANDEM_CA_CERT` through tandem-client's `ca_file`.
pub fn client(credentials: &Credentials, url_key: &str, scope: &str) -> ApiClient {
    let url = credentials.get(url_key).expect("the server's URL");
    let credential = CredentialConfig::with_secret(
        credentials.tenant_id().expect("TANDEM_TENANT_ID"),
        credentials
            .get("TANDEM_CLIENT_ID")
            .expect("TANDEM_CLIENT_ID"),
        Secret::new(
            credentials
                .get("TANDEM_CLIENT_SECRET")
                .expect("TANDEM_CLIENT_SECRET")
                .to_owned(),
        ),
    )
    .with_token_url(format!("{url}/{{tenant}}/oauth2/v2.0/token"));
    let mut config = ClientConfig::new(credential, scope);
    config.ca_file = credentials.ca_cert().map(Path::to_owned);
    ApiClient::new(&config).expect("an API client")
}

/// Posts `alerts` through the XDR's intake; returns the ids of the incidents they landed in.
pub async fn post_alerts(
    credentials: &Credentials,
    alerts: &[serde_json::Value],
) -> BTreeSet<String> {
    let url = credentials.get("TANDEM_XDR_URL").expect("TANDEM_XDR_URL");
    let graph = client(
        credentials,
        "TANDEM_XDR_URL",
        "https://graph.microsoft.com/.default",
    );
    tandem_scenario::post_alerts(&graph, url, alerts, 100)
        .await
        .expect("alerts are posted over TLS")
        .into_iter()
        .map(|posted| posted.incident_id)
        .collect()
}
