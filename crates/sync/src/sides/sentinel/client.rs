//! Calls to the Sentinel incidents API: changed incidents, one incident with its comments and
//! relations, and the idempotent PUTs that create or change them.

use tandem_client::{ApiClient, ClientError, Pager};
use tandem_model::Field;
use tandem_model::Timestamp;
use tandem_model::sentinel::{
    Incident, IncidentComment, IncidentCommentProperties, IncidentRelation, RelationProperties,
};

use super::config::SentinelConfig;
use crate::config::SyncConfigError;

/// A client for one workspace's incidents.
#[derive(Debug, Clone)]
pub struct SentinelClient {
    api: ApiClient,
    root: String,
    workspace_path: String,
    api_version: String,
}

impl SentinelClient {
    /// A client for the workspace `config` describes (reads the secret and CA file now).
    pub fn new(config: &SentinelConfig) -> Result<Self, SyncConfigError> {
        let api = ApiClient::new(&config.client).map_err(|source| SyncConfigError::Client {
            section: "siem.client",
            source,
        })?;
        Ok(SentinelClient {
            api,
            root: crate::config::base_url("siem.arm_url", &config.arm_url)?,
            workspace_path: config.workspace_path(),
            api_version: config.api_version.clone(),
        })
    }

    /// The underlying API client (for its counters).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// Pages of incidents changed at or after `since` (all when `None`), oldest change first: the order
    /// of a change feed, which the SIEM serves from an index on the change time.
    pub fn changed_since(
        &self,
        since: Option<&Timestamp>,
        page_size: u32,
    ) -> Result<Pager<Incident>, ClientError> {
        let mut url = self.url(&["incidents"])?;
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("$top", &page_size.to_string());
            query.append_pair("$orderby", "properties/lastModifiedTimeUtc asc");
            if let Some(since) = since {
                query.append_pair(
                    "$filter",
                    &format!(
                        "properties/lastModifiedTimeUtc ge {}",
                        since.to_rfc3339_millis()
                    ),
                );
            }
        }
        self.api.pages(url.as_str())
    }

    /// Incident `name`; `None` when it does not exist.
    pub async fn incident(&self, name: &str) -> Result<Option<Incident>, ClientError> {
        let url = self.url(&["incidents", name])?;
        match self.api.get_json(url.as_str()).await {
            Ok(incident) => Ok(Some(incident)),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Creates or replaces incident `name`; with `if_match`, only if its etag still matches.
    pub async fn put_incident(
        &self,
        name: &str,
        incident: &Incident,
        if_match: Option<&str>,
    ) -> Result<Incident, ClientError> {
        let url = self.url(&["incidents", name])?;
        self.api.put_json(url.as_str(), incident, if_match).await
    }

    /// The comments of incident `name`.
    pub async fn comments(&self, name: &str) -> Result<Vec<IncidentComment>, ClientError> {
        let url = self.url(&["incidents", name, "comments"])?;
        self.api.get_all(url.as_str()).await
    }

    /// Creates (or rewrites) comment `comment` of incident `name`.
    pub async fn put_comment(
        &self,
        name: &str,
        comment: &str,
        message: &str,
    ) -> Result<IncidentComment, ClientError> {
        let url = self.url(&["incidents", name, "comments", comment])?;
        let body = IncidentComment::new(IncidentCommentProperties::with_message(message));
        self.api.put_json(url.as_str(), &body, None).await
    }

    /// The relations of incident `name`.
    pub async fn relations(&self, name: &str) -> Result<Vec<IncidentRelation>, ClientError> {
        let url = self.url(&["incidents", name, "relations"])?;
        self.api.get_all(url.as_str()).await
    }

    /// Attaches the alert whose `SystemAlertId` is `alert_id` to incident `name` as relation
    /// `relation`.
    pub async fn relate_alert(
        &self,
        name: &str,
        relation: &str,
        alert_id: &str,
    ) -> Result<IncidentRelation, ClientError> {
        let url = self.url(&["incidents", name, "relations", relation])?;
        let body = IncidentRelation::new(RelationProperties {
            related_resource_id: Field::Value(format!(
                "{}/entities/{alert_id}",
                self.workspace_path
            )),
            ..RelationProperties::default()
        });
        self.api.put_json(url.as_str(), &body, None).await
    }

    /// `{root}{workspace}/{segments…}?api-version=…`, each segment escaped.
    fn url(&self, segments: &[&str]) -> Result<reqwest::Url, ClientError> {
        let text = format!("{}{}", self.root, self.workspace_path);
        let bad = |reason: String| ClientError::Url {
            url: text.clone(),
            reason,
        };
        let mut url = reqwest::Url::parse(&text).map_err(|e| bad(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|()| bad("cannot be a base URL".into()))?
            .extend(segments);
        url.query_pairs_mut()
            .append_pair("api-version", &self.api_version);
        Ok(url)
    }
}
