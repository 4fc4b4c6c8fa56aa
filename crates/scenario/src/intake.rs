//! Posting a scenario's alerts through the XDR's alert intake (`POST /api/v1/alerts`), with the
//! read-write development app a server writes to its `credentials.env`.

use chrono::Utc;
use serde_json::{Value, json};
use tandem_client::{ApiClient, ApiRequest, ClientConfig, ClientError, ConfigError};

use crate::Scenario;

/// The `credentials.env` key naming the local CA a server started with `--tls` signs with.
const CA_CERT_KEY: &str = "TANDEM_CA_CERT";

/// Why a scenario could not post its alerts.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The credentials lack a key, or do not make a client config.
    #[error("credentials: {0}")]
    Credentials(String),
    /// The client could not be configured.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A request failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The intake refused an alert.
    #[error("the intake refused alert {index}: {error}")]
    Refused {
        /// The alert's position in the scenario.
        index: usize,
        /// The intake's error for it.
        error: Value,
    },
}

/// A client for the XDR at `url` with the read-write app of `credentials`, the `KEY=VALUE` pairs of
/// the XDR's `credentials.env` (`TANDEM_TENANT_ID`, `TANDEM_CLIENT_ID`, `TANDEM_CLIENT_SECRET`, and
/// `TANDEM_CA_CERT` when it serves HTTPS with its local CA).
pub fn client(url: &str, credentials: &[(String, String)]) -> Result<ApiClient, ScenarioError> {
    let find = |key: &str| credentials.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    let get = |key: &str| {
        find(key).cloned().ok_or_else(|| {
            ScenarioError::Credentials(format!("{key} is missing from credentials.env"))
        })
    };
    let config: ClientConfig = serde_json::from_value(json!({
        "credential": {
            "tenant_id": get("TANDEM_TENANT_ID")?,
            "client_id": get("TANDEM_CLIENT_ID")?,
            "client_secret": get("TANDEM_CLIENT_SECRET")?,
            "token_url": format!("{}/{{tenant}}/oauth2/v2.0/token", url.trim_end_matches('/')),
        },
        "scope": "https://graph.microsoft.com/.default",
        "ca_file": find(CA_CERT_KEY),
    }))
    .map_err(|e| ScenarioError::Credentials(e.to_string()))?;
    Ok(ApiClient::new(&config)?)
}

/// Where each posted alert went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The alert id.
    pub id: String,
    /// The incident id.
    pub incident_id: String,
}

/// Posts `alerts` to the intake at `url` in batches of `batch`; fails on the first refused alert.
pub async fn post_alerts(
    client: &ApiClient,
    url: &str,
    alerts: &[Value],
    batch: usize,
) -> Result<Vec<Posted>, ScenarioError> {
    let endpoint = format!("{}/api/v1/alerts", url.trim_end_matches('/'));
    let mut posted = Vec::with_capacity(alerts.len());
    for chunk in alerts.chunks(batch.max(1)) {
        let request = ApiRequest::post(&endpoint)
            .json(&json!({ "value": chunk }))?
            .retry_safe();
        let answer: Value = client.send(request).await?.json()?;
        let items = answer
            .get("value")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for item in items {
            posted.push(placed(item, posted.len())?);
        }
    }
    Ok(posted)
}

/// Where the intake put the alert at `index`, or its error.
fn placed(item: Value, index: usize) -> Result<Posted, ScenarioError> {
    let text = |name: &str| item.get(name).and_then(Value::as_str).map(str::to_owned);
    match (text("id"), text("incidentId")) {
        (Some(id), Some(incident_id)) => Ok(Posted { id, incident_id }),
        _ => Err(ScenarioError::Refused {
            index,
            error: item.get("error").cloned().unwrap_or(item),
        }),
    }
}

/// Generates `scenario` now and posts it to the XDR at `url` with the read-write app of
/// `credentials` (see [`client`]), in batches of 100.
pub async fn run(
    url: &str,
    credentials: &[(String, String)],
    scenario: Scenario,
) -> Result<Vec<Posted>, ScenarioError> {
    let client = client(url, credentials)?;
    post_alerts(&client, url, &scenario.alerts(Utc::now()), 100).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_accepted_alert_names_its_incident() {
        let item = json!({ "id": "da1", "incidentId": "7" });
        let posted = placed(item, 0).unwrap();
        assert_eq!(
            posted,
            Posted {
                id: "da1".into(),
                incident_id: "7".into()
            }
        );
    }

    #[test]
    fn a_refused_alert_is_reported_with_its_position_and_error() {
        let item = json!({ "error": { "code": "badRequest" } });
        match placed(item, 3).unwrap_err() {
            ScenarioError::Refused { index, error } => {
                assert_eq!(index, 3);
                assert_eq!(error, json!({ "code": "badRequest" }));
            }
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_missing_credential_is_named() {
        let credentials = [("TANDEM_TENANT_ID".to_owned(), "t".to_owned())];
        let Err(error) = client("http://127.0.0.1:1", &credentials) else {
            panic!("a client without TANDEM_CLIENT_ID");
        };
        assert_eq!(
            error.to_string(),
            "credentials: TANDEM_CLIENT_ID is missing from credentials.env"
        );
    }
}
