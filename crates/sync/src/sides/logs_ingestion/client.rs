//! Posting rows to a stream: gzip batches under the API's 1 MB limit, repeated safely on failure (a
//! repeated batch lands the same rows again, which the tables tolerate as history).

use serde::Serialize;
use tandem_client::{ApiClient, ApiRequest, ClientError};

use super::config::LogsIngestionConfig;
use crate::config::SyncConfigError;

/// The most JSON bytes put in one batch, well under the API's 1 MB limit.
const MAX_BATCH_BYTES: usize = 512 * 1024;

/// A client for one data collection rule.
#[derive(Debug, Clone)]
pub struct LogsIngestionClient {
    api: ApiClient,
    rule_url: String,
    api_version: String,
}

impl LogsIngestionClient {
    /// A client for the rule `config` describes (reads the secret and CA file now).
    pub fn new(config: &LogsIngestionConfig) -> Result<Self, SyncConfigError> {
        let api = ApiClient::new(&config.client).map_err(|source| SyncConfigError::Client {
            section: "logs_ingestion.client",
            source,
        })?;
        let endpoint = crate::config::base_url("logs_ingestion.endpoint", &config.endpoint)?;
        Ok(LogsIngestionClient {
            api,
            rule_url: format!("{endpoint}/dataCollectionRules/{}", config.dcr_immutable_id),
            api_version: config.api_version.clone(),
        })
    }

    /// The underlying API client (for its counters).
    pub fn api(&self) -> &ApiClient {
        &self.api
    }

    /// Posts `rows` to `stream`, in as many batches as their size needs.
    pub async fn upload<R: Serialize>(&self, stream: &str, rows: &[R]) -> Result<(), ClientError> {
        let url = format!(
            "{}/streams/{stream}?api-version={}",
            self.rule_url, self.api_version
        );
        for batch in batches(rows)? {
            let request = ApiRequest::post(&url).json(&batch)?.gzip().retry_safe();
            self.api.send(request).await?;
        }
        Ok(())
    }
}

/// The rows as JSON values, grouped so that each group's JSON stays under [`MAX_BATCH_BYTES`].
fn batches<R: Serialize>(rows: &[R]) -> Result<Vec<Vec<serde_json::Value>>, ClientError> {
    let mut groups: Vec<Vec<serde_json::Value>> = Vec::new();
    let mut size = 0;
    for row in rows {
        let value = serde_json::to_value(row).map_err(|e| ClientError::Encode(e.into()))?;
        let bytes = value.to_string().len() + 1;
        if groups.is_empty() || size + bytes > MAX_BATCH_BYTES {
            groups.push(Vec::new());
            size = 0;
        }
        size += bytes;
        if let Some(group) = groups.last_mut() {
            group.push(value);
        }
    }
    Ok(groups)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_split_under_the_batch_limit() {
        let row = "x".repeat(200 * 1024);
        let groups = batches(&[&row, &row, &row, &row]).unwrap();
        assert_eq!(groups.len(), 2);
        assert!(groups.iter().all(|g| g.len() == 2));
        assert!(batches::<String>(&[]).unwrap().is_empty());
    }
}
