//! What every part of the SIEM shares: the [`Siem`] state (store, workspace, apps), the roles and
//! token audiences its APIs check, its server spec, and the offload of store work from the async
//! workers.
//!
//! The API ([`crate::api`]) and the console ([`crate::console`]) both build on this module and never
//! on each other; [`crate::routes`] opens it and mounts both.

use std::collections::HashMap;
use std::sync::OnceLock;

use axum::http::HeaderMap;
use tandem_server::canonical::{PathShape, Segment};
use tandem_server::throttle::Throttle;
use tandem_server::{
    ApiError, DataDir, DevRoles, ErrorStyle, ServiceSpec, ThrottleConfig, read_credentials,
};

use crate::store::{Store, StoreError};
use crate::workspace::Workspace;

/// Role for reading incidents and running queries.
pub const READER_ROLE: &str = "Sentinel.Reader";
/// Role for writing incidents, comments and relations (reads too).
pub const RESPONDER_ROLE: &str = "Sentinel.Responder";
/// Role for the Logs Ingestion API only.
pub const INGESTION_ROLE: &str = "Logs.Ingestion";

/// Token audience of the incidents API.
pub const ARM_AUDIENCE: &str = "https://management.azure.com";
/// Every audience an ARM client may ask for besides this server's own URL.
pub const ARM_AUDIENCES: [&str; 2] = [ARM_AUDIENCE, "https://management.core.windows.net/"];
/// Token audience of the Logs Ingestion API.
pub const MONITOR_AUDIENCE: &str = "https://monitor.azure.com";
/// Token audience of the query API.
pub const LOG_ANALYTICS_AUDIENCE: &str = "https://api.loganalytics.io";

/// The database file inside the data dir.
pub const DATABASE_FILE: &str = "siem.db";

/// Why the SIEM could not start.
#[derive(Debug, thiserror::Error)]
pub enum SiemError {
    /// The `[siem]` config section is invalid.
    #[error("config: {0}")]
    Config(#[from] tandem_server::ServerError),
    /// A value of the `[siem]` section is out of range.
    #[error("config: {0}")]
    Invalid(String),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The server spec of the SIEM: the shared SIEM spec with the SIEM's own development roles.
pub fn service_spec() -> ServiceSpec {
    ServiceSpec {
        dev_roles: DevRoles::new(&[RESPONDER_ROLE, INGESTION_ROLE], &[READER_ROLE]),
        audiences: [
            ARM_AUDIENCES.as_slice(),
            &[MONITOR_AUDIENCE, LOG_ANALYTICS_AUDIENCE],
        ]
        .concat()
        .into_iter()
        .map(str::to_owned)
        .collect(),
        path_shapes: ARM_PATHS,
        ..ServiceSpec::siem()
    }
}

/// The ARM paths the SIEM serves, whose fixed segments ARM matches ignoring case.
const ARM_PATHS: &[PathShape] = &[&[
    Segment::Fixed(&["subscriptions"]),
    Segment::Any,
    Segment::Fixed(&["resourceGroups"]),
    Segment::Any,
    Segment::Fixed(&["providers"]),
    Segment::Fixed(&["Microsoft.OperationalInsights"]),
    Segment::Fixed(&["workspaces"]),
    Segment::Any,
    Segment::Fixed(&["providers"]),
    Segment::Fixed(&["Microsoft.SecurityInsights"]),
    Segment::Fixed(&["incidents"]),
    Segment::Any,
    Segment::Fixed(&["comments", "relations", "alerts", "entities"]),
    Segment::Any,
]];

/// What every handler shares: the store, the workspace and the names of the registered apps.
#[derive(Debug)]
pub struct Siem {
    /// The database.
    pub store: Store,
    /// The workspace's identity.
    pub workspace: Workspace,
    /// Display name of each app, by client id (comment authors and `ModifiedBy`).
    pub app_names: HashMap<String, String>,
    /// The data dir, whose `credentials.env` holds the server's URL once it is bound.
    pub data_dir: DataDir,
    /// The server's URL, read once from `credentials.env`.
    siem_url: OnceLock<String>,
    /// The ingestion request budget of the data collection rule.
    pub(crate) rule_throttle: Throttle,
}

impl Siem {
    /// The SIEM over an opened store; the rule takes `rule_budget` ingestion requests per window.
    pub fn new(
        store: Store,
        workspace: Workspace,
        app_names: HashMap<String, String>,
        data_dir: DataDir,
        rule_budget: ThrottleConfig,
    ) -> Siem {
        Siem {
            store,
            workspace,
            app_names,
            data_dir,
            siem_url: OnceLock::new(),
            rule_throttle: Throttle::new(rule_budget),
        }
    }

    /// `TANDEM_SIEM_URL`, as the server wrote it to `credentials.env` when it bound its address (the
    /// base of incident links); the request's own address if the file does not have it.
    pub(crate) fn siem_url(&self, headers: &HeaderMap) -> String {
        self.known_url()
            .unwrap_or_else(|| tandem_server::request_base_url(headers))
    }

    /// `TANDEM_SIEM_URL` from `credentials.env`, once the server has written it.
    pub fn known_url(&self) -> Option<String> {
        if let Some(url) = self.siem_url.get() {
            return Some(url.clone());
        }
        let url_key = service_spec().url_key;
        let written = read_credentials(&self.data_dir)
            .ok()
            .and_then(|pairs| pairs.into_iter().find(|(k, _)| k == url_key))
            .map(|(_, url)| url)?;
        Some(self.siem_url.get_or_init(|| written).clone())
    }

    /// The display name of app `client_id`, or the id itself when the app has none.
    pub fn app_name(&self, client_id: &str) -> String {
        self.app_names
            .get(client_id)
            .filter(|name| !name.is_empty())
            .cloned()
            .unwrap_or_else(|| client_id.to_owned())
    }
}

/// Runs store work on a blocking thread.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ApiError::internal(ErrorStyle::Arm, format!("the request was interrupted: {e}"))
    })
}
