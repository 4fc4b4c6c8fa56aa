//! The two sides as the benchmark sees them: thin calls to the XDR's Graph API and the SIEM's Sentinel
//! API through `tandem-client`'s [`ApiClient`], with the development read-write app of each server.
//!
//! The benchmark acts as the analysts on both sides (it makes the changes) and as the observer that
//! watches for them on the other side, so it needs only a few calls: list what changed since a time,
//! read and write one incident, and add or list comments.

use serde_json::{Value, json};
use tandem_client::{ApiClient, ApiRequest, ClientConfig, CredentialConfig, Secret};
use tandem_sync::config::{ARM_SCOPE, GRAPH_SCOPE};

use crate::error::BenchError;
use crate::stack::Service;

/// The Sentinel API version the benchmark speaks.
const API_VERSION: &str = "2024-09-01";

/// An [`ApiClient`] for `service` with its read-write app and `scope`.
pub fn client_for(service: &Service, scope: &str) -> Result<ApiClient, BenchError> {
    let token_url = format!("{}/{{tenant}}/oauth2/v2.0/token", service.url());
    let credential = CredentialConfig::with_secret(
        service.credential("TANDEM_TENANT_ID")?,
        service.credential("TANDEM_CLIENT_ID")?,
        Secret::new(service.credential("TANDEM_CLIENT_SECRET")?),
    )
    .with_token_url(token_url);
    Ok(ApiClient::new(&ClientConfig::new(credential, scope))?)
}

/// The XDR's Graph security API.
#[derive(Debug, Clone)]
pub struct XdrApi {
    client: ApiClient,
    incidents: String,
    tenant: String,
}

impl XdrApi {
    /// The API of a running `tandem xdr`.
    pub fn new(xdr: &Service) -> Result<XdrApi, BenchError> {
        Ok(XdrApi {
            client: client_for(xdr, GRAPH_SCOPE)?,
            incidents: format!("{}/v1.0/security/incidents", xdr.url()),
            tenant: xdr.credential("TANDEM_TENANT_ID")?.to_owned(),
        })
    }

    /// The tenant the XDR serves (the connector pairs its incidents under it).
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The client (its counters tell how many requests the benchmark made).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    /// The first page's URL of every incident with its alerts, in pages of 50.
    pub fn all_with_alerts_url(&self) -> String {
        format!("{}?$expand=alerts&$top=50", self.incidents)
    }

    /// Every incident changed at or after `since` (Graph wire time), oldest change first.
    pub async fn changed_since(&self, since: &str) -> Result<Vec<Value>, BenchError> {
        let url = format!(
            "{}?$filter=lastUpdateDateTime ge {since}&$orderby=lastUpdateDateTime asc&$top=50",
            self.incidents
        );
        Ok(self.client.get_all(&url).await?)
    }

    /// One incident.
    pub async fn incident(&self, id: &str) -> Result<Value, BenchError> {
        Ok(self
            .client
            .get_json(&format!("{}/{id}", self.incidents))
            .await?)
    }

    /// PATCHes an incident's workflow fields; returns the updated incident.
    pub async fn update(&self, id: &str, body: &Value) -> Result<Value, BenchError> {
        let url = format!("{}/{id}", self.incidents);
        Ok(self.client.patch_json(&url, body, None).await?)
    }

    /// Adds a comment to an incident.
    pub async fn comment(&self, id: &str, text: &str) -> Result<(), BenchError> {
        let url = format!("{}/{id}/comments", self.incidents);
        let request = ApiRequest::post(url).json(&json!({ "comment": text }))?;
        self.client.send(request).await?;
        Ok(())
    }
}

/// The SIEM's Sentinel incidents API.
#[derive(Debug, Clone)]
pub struct SiemApi {
    client: ApiClient,
    incidents: String,
}

impl SiemApi {
    /// The API of a running `tandem siem`.
    pub fn new(siem: &Service) -> Result<SiemApi, BenchError> {
        let incidents = format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents",
            siem.url(),
            siem.credential("TANDEM_SUBSCRIPTION_ID")?,
            siem.credential("TANDEM_RESOURCE_GROUP")?,
            siem.credential("TANDEM_WORKSPACE_NAME")?,
        );
        Ok(SiemApi {
            client: client_for(siem, ARM_SCOPE)?,
            incidents,
        })
    }

    /// The client (its counters tell how many requests the benchmark made).
    pub fn client(&self) -> &ApiClient {
        &self.client
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}?api-version={API_VERSION}", self.incidents)
    }

    /// Every incident changed at or after `since` (ISO 8601), oldest change first.
    pub async fn changed_since(&self, since: &str) -> Result<Vec<Value>, BenchError> {
        let url = format!(
            "{}&$filter=properties/lastModifiedTimeUtc ge {since}&$orderby=properties/lastModifiedTimeUtc asc&$top=1000",
            self.url("")
        );
        Ok(self.client.get_all(&url).await?)
    }

    /// One incident, or `None` when there is none by that name.
    pub async fn incident(&self, name: &str) -> Result<Option<Value>, BenchError> {
        match self.client.get_json(&self.url(&format!("/{name}"))).await {
            Ok(incident) => Ok(Some(incident)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// PUTs a whole incident, conditional on the etag it carries; returns the stored incident.
    pub async fn put(&self, name: &str, incident: &Value) -> Result<Value, BenchError> {
        let url = self.url(&format!("/{name}"));
        let etag = incident.get("etag").and_then(Value::as_str);
        Ok(self.client.put_json(&url, incident, etag).await?)
    }

    /// Creates or replaces the comment `comment` of an incident.
    pub async fn comment(&self, name: &str, comment: &str, text: &str) -> Result<(), BenchError> {
        let url = self.url(&format!("/{name}/comments/{comment}"));
        let body = json!({ "properties": { "message": text } });
        let _: Value = self.client.put_json(&url, &body, None).await?;
        Ok(())
    }

    /// Every comment's message on an incident.
    pub async fn comments(&self, name: &str) -> Result<Vec<String>, BenchError> {
        let url = self.url(&format!("/{name}/comments"));
        let comments: Vec<Value> = self.client.get_all(&url).await?;
        Ok(comments
            .iter()
            .filter_map(|c| c.pointer("/properties/message").and_then(Value::as_str))
            .map(str::to_owned)
            .collect())
    }
}
