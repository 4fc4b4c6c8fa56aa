//! `[siem]`: the ARM root, the workspace's coordinates, the API version and the app registration.

use serde::Deserialize;
use tandem_client::ClientConfig;

use crate::config::{SyncConfigError, base_url, client, path_segment};

/// The `Microsoft.SecurityInsights` API version used when the config names none.
pub const DEFAULT_API_VERSION: &str = "2024-09-01";

/// Where the SIEM workspace's incidents API is and how to call it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SentinelConfig {
    /// The ARM root, such as `https://management.azure.com`.
    pub arm_url: String,
    /// The subscription id.
    pub subscription_id: String,
    /// The resource group.
    pub resource_group: String,
    /// The Log Analytics workspace name.
    pub workspace_name: String,
    /// `api-version` of every call (default [`DEFAULT_API_VERSION`]).
    #[serde(default = "default_api_version")]
    pub api_version: String,
    /// Tokens (scope `https://management.azure.com/.default`), CA file, timeouts and retries.
    pub client: ClientConfig,
}

fn default_api_version() -> String {
    DEFAULT_API_VERSION.to_owned()
}

impl SentinelConfig {
    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.OperationalInsights/workspaces/{w}/providers/Microsoft.SecurityInsights`.
    pub fn workspace_path(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights",
            self.subscription_id, self.resource_group, self.workspace_name
        )
    }

    pub(crate) fn validate(&self) -> Result<(), SyncConfigError> {
        base_url("siem.arm_url", &self.arm_url)?;
        path_segment("siem.subscription_id", &self.subscription_id)?;
        path_segment("siem.resource_group", &self.resource_group)?;
        path_segment("siem.workspace_name", &self.workspace_name)?;
        path_segment("siem.api_version", &self.api_version)?;
        client("siem.client", &self.client)
    }
}
