//! The SIEM's HTTP surface, mounted by the shared server plumbing.
//!
//! Three APIs, each checking the token audience its Azure original uses and an app role:
//!
//! | API | paths | audience | roles |
//! |---|---|---|---|
//! | Logs Ingestion | `POST /dataCollectionRules/{ruleId}/streams/{stream}` | `https://monitor.azure.com` | [`INGESTION_ROLE`] |
//! | Sentinel incidents (ARM) | `…/providers/Microsoft.SecurityInsights/incidents…` | `https://management.azure.com` | reads: [`READER_ROLE`] or [`RESPONDER_ROLE`]; writes: [`RESPONDER_ROLE`] |
//! | Log Analytics query | `POST /v1/workspaces/{workspaceId}/query` | `https://api.loganalytics.io` | [`READER_ROLE`] or [`RESPONDER_ROLE`] |
//!
//! The development read-write app gets the responder and ingestion roles, the reader app the reader
//! role ([`service_spec`]). The web console ([`crate::console`]) is merged at the root beside these APIs and
//! signs in the same apps.

mod arm;
mod ingestion;
mod query;
mod resources;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::http::HeaderMap;
use tandem_server::auth::normalize_audience;
use tandem_server::canonical::{PathShape, Segment};
use tandem_server::throttle::Throttle;
use tandem_server::{
    ApiError, Caller, DataDir, DevRoles, ErrorStyle, Prepared, Router, ServiceSpec, ThrottleConfig,
    read_credentials,
};

use crate::console::{SiemConsole, SyncStatusSource};
use crate::store::{Store, StoreError};
use crate::workspace::{SiemConfig, Workspace};

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
    rule_throttle: Throttle,
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
    fn siem_url(&self, headers: &HeaderMap) -> String {
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

/// Opens the SIEM inside a prepared server: the database under the data dir, the workspace from the
/// tenant and the `[siem]` config section, the workspace's keys added to `credentials.env`. Returns
/// the routes to mount: the APIs and, at the root, the web console ([`crate::console`]).
pub fn routes(prepared: &mut Prepared) -> Result<Router, SiemError> {
    let config: SiemConfig = prepared.config().section("siem")?.unwrap_or_default();
    let rule_budget = config.rule_budget().map_err(SiemError::Invalid)?;
    let sync_status = config
        .sync_status_url
        .as_deref()
        .map(SyncStatusSource::new)
        .transpose()
        .map_err(SiemError::Invalid)?;
    let workspace = Workspace::new(prepared.identity().tenant_id(), config);
    let store = Store::open(&prepared.data_dir().path(DATABASE_FILE))?;
    for table in crate::tables::builtin() {
        store.ensure_table(&table)?;
    }
    for (key, value) in workspace.credentials() {
        prepared.add_credential(key, value);
    }
    let app_names = prepared
        .identity()
        .apps()
        .iter()
        .map(|app| (app.client_id.clone(), app.display_name.clone()))
        .collect();
    let data_dir = prepared.data_dir().clone();
    let siem = Arc::new(Siem::new(
        store,
        workspace,
        app_names,
        data_dir,
        rule_budget,
    ));
    let console = SiemConsole::new(siem.clone(), prepared.identity().clone(), sync_status);
    Ok(router(siem).merge(tandem_console::router(Arc::new(console))))
}

/// The routes over an opened SIEM.
pub fn router(siem: Arc<Siem>) -> Router {
    Router::new()
        .merge(ingestion::routes())
        .merge(query::routes())
        .merge(arm::routes())
        .merge(resources::routes())
        .with_state(siem)
}

/// 401 unless the token was issued for `audience`.
fn require_audience(caller: &Caller, audience: &str) -> Result<(), ApiError> {
    require_any_audience(caller, &[audience])
}

/// 401 unless the token was issued for an ARM audience: `https://management.azure.com`, the older
/// `https://management.core.windows.net/` the Azure CLI asks for, or this server's own URL (the
/// Azure SDKs ask for `{endpoint}/.default` when their endpoint is set).
fn arm_audience_check(siem: &Siem, caller: &Caller) -> Result<(), ApiError> {
    let own = siem.known_url().unwrap_or_default();
    let mut accepted = ARM_AUDIENCES.to_vec();
    if !own.is_empty() {
        accepted.push(&own);
    }
    require_any_audience(caller, &accepted)
}

/// 401 unless the token was issued for one of `audiences`.
fn require_any_audience(caller: &Caller, audiences: &[&str]) -> Result<(), ApiError> {
    let aud = normalize_audience(&caller.claims.aud);
    if audiences.iter().any(|a| normalize_audience(a) == aud) {
        return Ok(());
    }
    let audience = audiences.join("', '");
    Err(ApiError::new(
        ErrorStyle::Arm,
        axum::http::StatusCode::UNAUTHORIZED,
        "InvalidAuthenticationTokenAudience",
        format!(
            "The access token has been obtained for the wrong audience or resource '{}'. It should exactly match one of the allowed audiences '{audience}'.",
            caller.claims.aud
        ),
    )
    .with_header(
        axum::http::header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    ))
}

/// Runs store work on a blocking thread.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        ApiError::internal(ErrorStyle::Arm, format!("the request was interrupted: {e}"))
    })
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(ErrorStyle::Arm, error)
}
