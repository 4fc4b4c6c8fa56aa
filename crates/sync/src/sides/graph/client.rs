//! Calls to the Graph security API: changed incidents with their alerts, one incident, updates and
//! comments.

use reqwest::header::{HeaderName, HeaderValue};
use tandem_client::{ApiClient, ApiRequest, ClientError, Pager};
use tandem_model::Timestamp;
use tandem_model::graph::{AlertComment, Collection, Incident, IncidentUpdate, NewComment};

use super::config::GraphConfig;
use crate::config::SyncConfigError;

/// Graph's `Prefer` header asking for evolvable enumerations' newer members (incident status
/// `awaitingAction`) as they are, instead of `unknownFutureValue`.
fn prefer_unknown_members() -> (HeaderName, HeaderValue) {
    (
        HeaderName::from_static("prefer"),
        HeaderValue::from_static("include-unknown-enum-members"),
    )
}

/// A client for one tenant's `/security/incidents`.
#[derive(Debug, Clone)]
pub struct GraphClient {
    api: ApiClient,
    incidents_url: String,
}

impl GraphClient {
    /// A client for the API `config` describes (reads the secret and CA file now).
    pub fn new(config: &GraphConfig) -> Result<Self, SyncConfigError> {
        let api = ApiClient::new(&config.client).map_err(|source| SyncConfigError::Client {
            section: "xdr.client",
            source,
        })?;
        let root = crate::config::base_url("xdr.graph_url", &config.graph_url)?;
        Ok(GraphClient {
            api,
            incidents_url: format!("{root}/v1.0/security/incidents"),
        })
    }

    /// The underlying API client (for its counters).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// Pages of incidents, with their alerts, last updated at or after `since` (all when `None`).
    pub fn changed_since(
        &self,
        since: Option<&Timestamp>,
        page_size: u32,
    ) -> Result<Pager<Incident>, ClientError> {
        let mut url = self.parse(&self.incidents_url)?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("$expand", "alerts");
            query.append_pair("$top", &page_size.to_string());
            if let Some(since) = since {
                query.append_pair("$filter", &format!("lastUpdateDateTime ge {since}"));
            }
        }
        let (name, value) = prefer_unknown_members();
        Ok(self.api.pages(url.as_str())?.with_header(name, value))
    }

    /// One incident with its alerts; `None` when it does not exist.
    pub async fn incident(&self, id: &str) -> Result<Option<Incident>, ClientError> {
        let url = format!("{}?$expand=alerts", self.incident_url(id)?);
        let (name, value) = prefer_unknown_members();
        let request = ApiRequest::get(url).header(name, value);
        match self.api.send(request).await.and_then(|r| r.json()) {
            Ok(incident) => Ok(Some(incident)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Applies `update` (absolute values, so repeating it is harmless) and returns the incident.
    pub async fn update(&self, id: &str, update: &IncidentUpdate) -> Result<Incident, ClientError> {
        let (name, value) = prefer_unknown_members();
        let request = ApiRequest::patch(self.incident_url(id)?)
            .json(update)?
            .header(name, value)
            .retry_safe();
        self.api.send(request).await?.json()
    }

    /// Posts a comment; returns the incident's comments. Not idempotent: check the comments first.
    pub async fn add_comment(
        &self,
        id: &str,
        text: &str,
    ) -> Result<Vec<AlertComment>, ClientError> {
        let url = format!("{}/comments", self.incident_url(id)?);
        let list: Collection<AlertComment> =
            self.api.post_json(&url, &NewComment::new(text)).await?;
        Ok(list.value)
    }

    fn incident_url(&self, id: &str) -> Result<String, ClientError> {
        let mut url = self.parse(&self.incidents_url)?;
        url.path_segments_mut()
            .map_err(|()| ClientError::Url {
                url: self.incidents_url.clone(),
                reason: "cannot be a base URL".into(),
            })?
            .push(id);
        Ok(url.into())
    }

    fn parse(&self, text: &str) -> Result<reqwest::Url, ClientError> {
        reqwest::Url::parse(text).map_err(|e| ClientError::Url {
            url: text.to_owned(),
            reason: e.to_string(),
        })
    }
}
