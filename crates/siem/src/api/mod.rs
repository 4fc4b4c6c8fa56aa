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

use std::sync::Arc;

use tandem_server::auth::normalize_audience;
use tandem_server::{ApiError, Caller, ErrorStyle, Router};

use crate::service::{
    ARM_AUDIENCES, INGESTION_ROLE, LOG_ANALYTICS_AUDIENCE, MONITOR_AUDIENCE, READER_ROLE,
    RESPONDER_ROLE, Siem, blocking,
};

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

fn internal(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(ErrorStyle::Arm, error)
}
