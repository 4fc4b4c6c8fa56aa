//! `[logs_ingestion]`: the endpoint, the data collection rule, its streams and the app registration.

use serde::Deserialize;
use tandem_client::ClientConfig;

use crate::config::{SyncConfigError, base_url, client, path_segment};

/// Where incident and alert rows are posted.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogsIngestionConfig {
    /// The data collection endpoint (or `tandem siem`'s URL).
    pub endpoint: String,
    /// The rule's immutable id (`dcr-…`).
    pub dcr_immutable_id: String,
    /// The stream that feeds incident rows (default `Custom-SecurityIncident`).
    #[serde(default = "default_incident_stream")]
    pub incident_stream: String,
    /// The stream that feeds alert rows (default `Custom-SecurityAlert`).
    #[serde(default = "default_alert_stream")]
    pub alert_stream: String,
    /// `api-version` of every call (default `2023-01-01`).
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Tokens (scope `https://monitor.azure.com/.default`), CA file, timeouts and retries.
    pub client: ClientConfig,
}

fn default_incident_stream() -> String {
    "Custom-SecurityIncident".to_owned()
}

fn default_alert_stream() -> String {
    "Custom-SecurityAlert".to_owned()
}

fn default_api_version() -> String {
    "2023-01-01".to_owned()
}

impl LogsIngestionConfig {
    pub(crate) fn validate(&self) -> Result<(), SyncConfigError> {
        base_url("logs_ingestion.endpoint", &self.endpoint)?;
        path_segment("logs_ingestion.dcr_immutable_id", &self.dcr_immutable_id)?;
        path_segment("logs_ingestion.incident_stream", &self.incident_stream)?;
        path_segment("logs_ingestion.alert_stream", &self.alert_stream)?;
        path_segment("logs_ingestion.api_version", &self.api_version)?;
        client("logs_ingestion.client", &self.client)
    }
}
