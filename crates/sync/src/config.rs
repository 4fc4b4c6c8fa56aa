//! The connector's TOML config: where the XDR and the SIEM are, how to get tokens for them, and how often
//! to look for changes.
//!
//! The same file format points at Microsoft Graph, Microsoft Sentinel and a data collection endpoint or
//! at `tandem xdr` and `tandem siem`; only the URLs and credentials differ. Secrets are read from an
//! environment variable, a file or (for generated development configs) inline, and never logged: they
//! travel as [`tandem_client::Secret`]s.
//!
//! ```toml
//! [xdr]
//! graph_url = "https://graph.microsoft.com"
//! [xdr.client]
//! scope = "https://graph.microsoft.com/.default"
//! [xdr.client.credential]
//! tenant_id = "…"
//! client_id = "…"
//! client_secret_env = "TANDEM_XDR_SECRET"
//!
//! [siem]
//! arm_url = "https://management.azure.com"
//! subscription_id = "…"
//! resource_group = "soc"
//! workspace_name = "soc-workspace"
//! [siem.client]   # scope https://management.azure.com/.default
//!
//! [logs_ingestion]
//! endpoint = "https://my-dce.westeurope-1.ingest.monitor.azure.com"
//! dcr_immutable_id = "dcr-…"
//! [logs_ingestion.client]   # scope https://monitor.azure.com/.default
//!
//! [store]                       # where the connector keeps its state (default: sqlite in --data-dir)
//! url = "postgres://tandem@db.internal/tandem?options=-c%20search_path%3Dsync"
//!
//! [sync]
//! poll_interval_ms = 5000
//! concurrency = 8               # pairs synced at once
//! max_write_attempts = 8        # then the write is set aside
//! write_retry_initial_ms = 5000 # doubling up to write_retry_max_ms
//! ```

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use tandem_client::{ClientConfig, ConfigError};

use crate::reconcile::ConflictPolicy;
use crate::sides::graph::GraphConfig;
use crate::sides::logs_ingestion::LogsIngestionConfig;
use crate::sides::sentinel::SentinelConfig;
use crate::store::{StoreError, StoreUrl, redact};

/// The token scope of Microsoft Graph.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
/// The token scope of Azure Resource Manager (the Sentinel incidents API).
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// The token scope of Azure Monitor (the Logs Ingestion API).
pub const MONITOR_SCOPE: &str = "https://monitor.azure.com/.default";

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// The XDR: a Microsoft Graph security API.
    pub xdr: GraphConfig,
    /// The SIEM's incidents: a Microsoft Sentinel ARM API.
    pub siem: SentinelConfig,
    /// The SIEM's tables: a Logs Ingestion endpoint.
    pub logs_ingestion: LogsIngestionConfig,
    /// Timing and conflict settings.
    #[serde(default)]
    pub sync: SyncSettings,
    /// Where the connector keeps its state.
    #[serde(default)]
    pub store: StoreSettings,
}

/// `[store]`: the database that holds the connector's state.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite://PATH` or `postgres://…` ([`StoreUrl`]); unset, the embedded store in the data dir.
    pub url: Option<String>,
}

impl StoreSettings {
    /// The store the config names, if it names one.
    pub fn store_url(&self) -> Result<Option<StoreUrl>, SyncConfigError> {
        self.url
            .as_deref()
            .map(|text| {
                StoreUrl::parse(text).map_err(|e| {
                    let reason = match e {
                        StoreError::BadUrl { reason, .. } => reason,
                        other => other.to_string(),
                    };
                    SyncConfigError::invalid("store.url", &redact(text), &reason)
                })
            })
            .transpose()
    }
}

/// `[sync]`: how often to poll and how conflicts are settled.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SyncSettings {
    /// Milliseconds between polls of each side.
    pub poll_interval_ms: u64,
    /// Milliseconds each poll reaches back before the watermark, so that a change stamped late by its
    /// service is not missed.
    pub overlap_ms: u64,
    /// Seconds between full reconciliations, which read every pair and repair drift.
    pub full_reconciliation_interval_secs: u64,
    /// How a field changed on both sides is settled.
    pub conflict_policy: PolicyName,
    /// `later-change-wins`: milliseconds two change times must be apart before their order is trusted.
    pub trust_window_ms: u64,
    /// Items asked for per page (`$top`).
    pub page_size: u32,
    /// Pairs synced at once (each pair's own steps stay in order; no two run on one pair). Above 1 the
    /// pairs' requests overlap, so a `Retry-After` holds back only the request it answered, not the
    /// others in flight to the same API; 1 keeps every throttled API quiet for the whole wait.
    pub concurrency: u32,
    /// Attempts a planned write gets (across cycles and restarts) before it is set aside.
    pub max_write_attempts: u32,
    /// Milliseconds a failed write waits before its next attempt; each later wait is twice as long.
    pub write_retry_initial_ms: u64,
    /// Milliseconds a failed write waits at most before its next attempt.
    pub write_retry_max_ms: u64,
}

impl Default for SyncSettings {
    fn default() -> Self {
        SyncSettings {
            poll_interval_ms: 5_000,
            overlap_ms: 30_000,
            full_reconciliation_interval_secs: 3_600,
            conflict_policy: PolicyName::LaterChangeWins,
            trust_window_ms: 5_000,
            page_size: 50,
            concurrency: 8,
            max_write_attempts: 8,
            write_retry_initial_ms: 5_000,
            write_retry_max_ms: 600_000,
        }
    }
}

/// The conflict policies by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PolicyName {
    /// The side whose service stamped its change later wins; close calls go to the XDR.
    LaterChangeWins,
    /// The XDR always wins.
    XdrWins,
    /// The SIEM always wins.
    SiemWins,
}

impl SyncSettings {
    /// The time between polls.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    /// How far each poll reaches back before the watermark.
    pub fn overlap(&self) -> Duration {
        Duration::from_millis(self.overlap_ms)
    }

    /// How many pairs are synced at once.
    pub fn concurrency(&self) -> usize {
        usize::try_from(self.concurrency).unwrap_or(usize::MAX)
    }

    /// The time between full reconciliations.
    pub fn full_reconciliation_interval(&self) -> Duration {
        Duration::from_secs(self.full_reconciliation_interval_secs)
    }

    /// How long a write that failed `attempts` times waits before its next attempt.
    pub fn write_retry_delay(&self, attempts: u32) -> Duration {
        let doublings = attempts.saturating_sub(1).min(32);
        let delay = self
            .write_retry_initial_ms
            .saturating_mul(1_u64 << doublings)
            .min(self.write_retry_max_ms);
        Duration::from_millis(delay)
    }

    /// The reconciler's policy.
    pub fn policy(&self) -> ConflictPolicy {
        match self.conflict_policy {
            PolicyName::LaterChangeWins => ConflictPolicy::LaterChangeWins {
                trust_window: Duration::from_millis(self.trust_window_ms),
            },
            PolicyName::XdrWins => ConflictPolicy::XdrWins,
            PolicyName::SiemWins => ConflictPolicy::SiemWins,
        }
    }

    fn validate(&self) -> Result<(), SyncConfigError> {
        let positive = [
            ("sync.poll_interval_ms", self.poll_interval_ms),
            (
                "sync.full_reconciliation_interval_secs",
                self.full_reconciliation_interval_secs,
            ),
            ("sync.page_size", u64::from(self.page_size)),
            ("sync.concurrency", u64::from(self.concurrency)),
            (
                "sync.max_write_attempts",
                u64::from(self.max_write_attempts),
            ),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(SyncConfigError::invalid(field, "0", "must be at least 1"));
            }
        }
        Ok(())
    }
}

impl SyncConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<SyncConfig, SyncConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| SyncConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        SyncConfig::parse(&text)
    }

    /// Parses and checks config text.
    pub fn parse(text: &str) -> Result<SyncConfig, SyncConfigError> {
        let config: SyncConfig = toml::from_str(text).map_err(|e| SyncConfigError::Toml {
            message: e.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value serde alone cannot (URLs, secrets' sources, intervals).
    pub fn validate(&self) -> Result<(), SyncConfigError> {
        self.xdr.validate()?;
        self.siem.validate()?;
        self.logs_ingestion.validate()?;
        self.store.store_url()?;
        self.sync.validate()
    }
}

/// Checks that `text` is an absolute http(s) URL with a host; returns it without a trailing `/`.
pub(crate) fn base_url(field: &'static str, text: &str) -> Result<String, SyncConfigError> {
    let url = reqwest::Url::parse(text)
        .map_err(|e| SyncConfigError::invalid(field, text, &format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(SyncConfigError::invalid(
            field,
            text,
            "expected an http or https URL with a host",
        ));
    }
    Ok(text.trim_end_matches('/').to_owned())
}

/// Checks that a value used in URL paths is non-empty and has no characters that would change the path.
pub(crate) fn path_segment(field: &'static str, text: &str) -> Result<(), SyncConfigError> {
    let valid = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '(' | ')'));
    if valid {
        Ok(())
    } else {
        Err(SyncConfigError::invalid(
            field,
            text,
            "expected letters, digits, '-', '_', '.', '(' or ')'",
        ))
    }
}

/// Checks a client config, naming the section it sits in.
pub(crate) fn client(section: &'static str, config: &ClientConfig) -> Result<(), SyncConfigError> {
    config
        .validate()
        .and_then(|()| config.credential.resolve_secret().map(drop))
        .map_err(|source| SyncConfigError::Client { section, source })
}

/// A config that cannot be used; names the field and the offending value (never a secret).
#[derive(Debug, thiserror::Error)]
pub enum SyncConfigError {
    /// The file could not be read.
    #[error("cannot read {path:?}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not valid TOML for this config.
    #[error("invalid config: {message}")]
    Toml {
        /// The parser's message, with the line and the key.
        message: String,
    },
    /// A value is not allowed.
    #[error("{field} = {value:?}: {reason}")]
    Invalid {
        /// The field, as written in the file.
        field: &'static str,
        /// The offending value.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A `client` section is unusable.
    #[error("{section}: {source}")]
    Client {
        /// The section, such as `xdr.client`.
        section: &'static str,
        /// What is wrong in it.
        source: ConfigError,
    },
    /// A `credentials.env` lacks a key a generated config needs.
    #[error("{file}: no {key}")]
    MissingCredential {
        /// Which file (`xdr` or `siem` credentials).
        file: &'static str,
        /// The missing key.
        key: &'static str,
    },
}

impl SyncConfigError {
    pub(crate) fn invalid(field: &'static str, value: &str, reason: &str) -> Self {
        SyncConfigError::Invalid {
            field,
            value: value.to_owned(),
            reason: reason.to_owned(),
        }
    }
}

/// The two servers' `credentials.env` contents, from which [`render_config`] writes a ready config.
#[derive(Debug, Clone, Copy)]
pub struct ServerCredentials<'a> {
    /// `tandem xdr`'s `credentials.env` pairs.
    pub xdr: &'a [(String, String)],
    /// `tandem siem`'s `credentials.env` pairs.
    pub siem: &'a [(String, String)],
}

impl<'a> ServerCredentials<'a> {
    fn get(
        pairs: &'a [(String, String)],
        file: &'static str,
        keys: &[&'static str],
    ) -> Result<&'a str, SyncConfigError> {
        keys.iter()
            .find_map(|key| pairs.iter().find(|(k, _)| k == key))
            .map(|(_, v)| v.as_str())
            .ok_or(SyncConfigError::MissingCredential { file, key: keys[0] })
    }

    /// A key that may be absent.
    fn optional(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    fn xdr(&self, key: &'static str) -> Result<&'a str, SyncConfigError> {
        Self::get(self.xdr, "xdr credentials.env", &[key])
    }

    /// A SIEM key; the workspace keys are also read in their older spelling with a `SIEM_` infix.
    fn siem(&self, keys: &[&'static str]) -> Result<&'a str, SyncConfigError> {
        Self::get(self.siem, "siem credentials.env", keys)
    }
}

/// A ready config for a `tandem xdr` and a `tandem siem`, from their `credentials.env` files. The
/// development apps' secrets are written inline, so the output is as secret as those files. A server
/// that serves HTTPS with its own local CA (`TANDEM_CA_CERT`) is trusted through `ca_file` in its client
/// sections.
pub fn render_config(credentials: ServerCredentials<'_>) -> Result<String, SyncConfigError> {
    let c = credentials;
    let xdr_url = c.xdr("TANDEM_XDR_URL")?;
    let siem_url = c.siem(&["TANDEM_SIEM_URL"])?;
    let xdr_tenant = c.xdr("TANDEM_TENANT_ID")?;
    let siem_tenant = c.siem(&["TANDEM_TENANT_ID"])?;
    let xdr_app = App {
        url: xdr_url,
        tenant: xdr_tenant,
        client_id: c.xdr("TANDEM_CLIENT_ID")?,
        secret: c.xdr("TANDEM_CLIENT_SECRET")?,
        ca_file: ServerCredentials::optional(c.xdr, "TANDEM_CA_CERT"),
    };
    let xdr_client = xdr_app.client_section(GRAPH_SCOPE);
    let siem_app = App {
        url: siem_url,
        tenant: siem_tenant,
        client_id: c.siem(&["TANDEM_CLIENT_ID"])?,
        secret: c.siem(&["TANDEM_CLIENT_SECRET"])?,
        ca_file: ServerCredentials::optional(c.siem, "TANDEM_CA_CERT"),
    };
    let siem_client = |scope| siem_app.client_section(scope);
    let q = quote;
    Ok(format!(
        "# Generated by `tandem sync config` for tandem xdr at {xdr_url} and tandem siem at {siem_url}.\n\
         # It holds client secrets: keep it private.\n\n\
         [xdr]\ngraph_url = {}\nprovider_name = \"Tandem XDR\"\nvendor_name = \"Tandem\"\n\n[xdr.client]\n{xdr_client}\n\
         [siem]\narm_url = {}\nsubscription_id = {}\nresource_group = {}\nworkspace_name = {}\n\n[siem.client]\n{}\n\
         [logs_ingestion]\nendpoint = {}\ndcr_immutable_id = {}\n\n[logs_ingestion.client]\n{}\n\
         [sync]\npoll_interval_ms = 5000\n",
        q(xdr_url),
        q(siem_url),
        q(c.siem(&["TANDEM_SUBSCRIPTION_ID", "TANDEM_SIEM_SUBSCRIPTION_ID"])?),
        q(c.siem(&["TANDEM_RESOURCE_GROUP", "TANDEM_SIEM_RESOURCE_GROUP"])?),
        q(c.siem(&["TANDEM_WORKSPACE_NAME", "TANDEM_SIEM_WORKSPACE_NAME"])?),
        siem_client(ARM_SCOPE),
        q(siem_url),
        q(c.siem(&["TANDEM_DCR_IMMUTABLE_ID"])?),
        siem_client(MONITOR_SCOPE),
    ))
}

/// One server's development app, as its `credentials.env` describes it.
struct App<'a> {
    url: &'a str,
    tenant: &'a str,
    client_id: &'a str,
    secret: &'a str,
    /// The server's local CA (`TANDEM_CA_CERT`, written when it serves HTTPS).
    ca_file: Option<&'a str>,
}

impl App<'_> {
    /// A `[… .client]` section body with its `[… .credential]` written as an inline table, and
    /// `ca_file` when the server has a local CA.
    fn client_section(&self, scope: &str) -> String {
        let token_url = format!(
            "{}/{{tenant}}/oauth2/v2.0/token",
            self.url.trim_end_matches('/')
        );
        let ca_file = self
            .ca_file
            .map(|path| format!("ca_file = {}\n", quote(path)))
            .unwrap_or_default();
        format!(
            "scope = {}\n{ca_file}credential = {{ tenant_id = {}, client_id = {}, client_secret = {}, token_url = {} }}\n",
            quote(scope),
            quote(self.tenant),
            quote(self.client_id),
            quote(self.secret),
            quote(&token_url),
        )
    }
}

/// A TOML basic string.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}
