//! `[xdr]`: the Graph API's base URL, the app registration that calls it and the product name the SIEM
//! shows for its incidents.

use serde::Deserialize;
use tandem_client::ClientConfig;
use tandem_model::mapping::Provider;

use crate::config::{SyncConfigError, base_url, client};

/// Where the XDR's Graph API is and how to call it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphConfig {
    /// The Graph root, such as `https://graph.microsoft.com` (the connector appends `/v1.0/...`).
    pub graph_url: String,
    /// `providerName` of the SIEM twins and `ProviderName` of rows (default `Microsoft XDR`).
    #[serde(default)]
    pub provider_name: Option<String>,
    /// `VendorName` of alert rows (default `Microsoft`).
    #[serde(default)]
    pub vendor_name: Option<String>,
    /// Tokens (scope `https://graph.microsoft.com/.default`), CA file, timeouts and retries.
    pub client: ClientConfig,
}

impl GraphConfig {
    /// The tenant whose incidents are synced (the credential's tenant).
    pub fn tenant(&self) -> &str {
        &self.client.credential.tenant_id
    }

    /// The product the incidents come from, as the SIEM names it.
    pub fn provider(&self) -> Provider {
        let default = Provider::microsoft();
        Provider {
            name: self.provider_name.clone().unwrap_or(default.name),
            vendor: self.vendor_name.clone().unwrap_or(default.vendor),
        }
    }

    pub(crate) fn validate(&self) -> Result<(), SyncConfigError> {
        base_url("xdr.graph_url", &self.graph_url)?;
        client("xdr.client", &self.client)
    }
}
