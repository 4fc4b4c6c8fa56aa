//! The Azure Resource Manager resources around the workspace, so ARM clients can find it.
//!
//! The Azure CLI and the Azure SDKs discover where they are before they touch Sentinel: `az cloud
//! register --endpoint-resource-manager URL` reads the cloud's metadata, `az login` lists the
//! tenants and subscriptions the principal sees, and resource tools read the resource group and the
//! workspace (whose `customerId` is the Log Analytics workspace id). Each answers as ARM does, for the
//! one subscription, resource group and workspace this SIEM serves.
//!
//! `GET /metadata/endpoints` is unauthenticated, as ARM's is; the rest take an ARM token.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use tandem_server::{ApiError, Caller, ErrorStyle, Router, request_base_url};

use super::{READER_ROLE, RESPONDER_ROLE, Siem, arm_audience_check};

/// Where the workspace lives, as its resources report it.
const LOCATION: &str = "local";

/// The query of every ARM request: the api-version, required.
#[derive(Debug, Deserialize)]
struct ApiVersion {
    #[serde(rename = "api-version")]
    api_version: Option<String>,
}

pub(super) fn routes() -> Router<Arc<Siem>> {
    Router::new()
        .route("/metadata/endpoints", get(cloud_metadata))
        .route("/tenants", get(tenants))
        .route("/subscriptions", get(subscriptions))
        .route("/subscriptions/{subscription}", get(subscription))
        .route(
            "/subscriptions/{subscription}/resourceGroups/{group}",
            get(resource_group),
        )
        .route(
            "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{workspace}",
            get(workspace),
        )
}

/// 400 unless the request names an api-version (`YYYY-MM-DD`, optionally `-preview`).
fn require_api_version(query: &ApiVersion) -> Result<(), ApiError> {
    let Some(version) = query.api_version.as_deref() else {
        return Err(super::arm::missing_api_version());
    };
    let date = version.strip_suffix("-preview").unwrap_or(version);
    if chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok() {
        return Ok(());
    }
    Err(ApiError::new(
        ErrorStyle::Arm,
        StatusCode::BAD_REQUEST,
        "InvalidApiVersionParameter",
        format!("The api-version '{version}' is invalid."),
    ))
}

/// An ARM read: the api-version, an ARM token and a role that may read.
fn authorize_read(
    siem: &Siem,
    query: &ApiVersion,
    caller: Result<Caller, ApiError>,
) -> Result<(), ApiError> {
    require_api_version(query)?;
    let caller = caller?;
    arm_audience_check(siem, &caller)?;
    caller.require_any(&[READER_ROLE, RESPONDER_ROLE])
}

/// `GET /metadata/endpoints`: the cloud's endpoints, all of them this server.
async fn cloud_metadata(
    State(siem): State<Arc<Siem>>,
    Query(query): Query<ApiVersion>,
    headers: HeaderMap,
) -> Response {
    if let Err(e) = require_api_version(&query) {
        return e.into_response();
    }
    let base = request_base_url(&headers);
    let tenant = siem.workspace.tenant_id.clone();
    Json(json!({
        "name": "Tandem",
        "resourceManager": format!("{base}/"),
        "portal": format!("{base}/"),
        "graph": format!("{base}/"),
        "graphAudience": format!("{base}/"),
        "microsoftGraphResourceId": format!("{base}/"),
        "logAnalyticsResourceId": "https://api.loganalytics.io",
        "authentication": {
            "loginEndpoint": base,
            "audiences": ["https://management.core.windows.net/", "https://management.azure.com/"],
            "tenant": tenant,
            "identityProvider": "AAD",
        },
        "suffixes": {},
    }))
    .into_response()
}

fn subscription_body(siem: &Siem) -> Value {
    let ws = &siem.workspace;
    json!({
        "id": format!("/subscriptions/{}", ws.subscription_id),
        "authorizationSource": "RoleBased",
        "subscriptionId": ws.subscription_id,
        "tenantId": ws.tenant_id,
        "displayName": "Tandem",
        "state": "Enabled",
        "subscriptionPolicies": {
            "locationPlacementId": "Public_2014-09-01",
            "quotaId": "Internal_2014-09-01",
            "spendingLimit": "Off",
        },
    })
}

/// `GET /tenants`: the one tenant this server's apps belong to.
async fn tenants(
    State(siem): State<Arc<Siem>>,
    Query(query): Query<ApiVersion>,
    caller: Result<Caller, ApiError>,
) -> Result<Json<Value>, ApiError> {
    authorize_read(&siem, &query, caller)?;
    let tenant = &siem.workspace.tenant_id;
    Ok(Json(json!({"value": [{
        "id": format!("/tenants/{tenant}"),
        "tenantId": tenant,
        "tenantCategory": "Home",
        "displayName": "Tandem",
        "domains": [],
    }]})))
}

/// `GET /subscriptions`: the one subscription holding the workspace.
async fn subscriptions(
    State(siem): State<Arc<Siem>>,
    Query(query): Query<ApiVersion>,
    caller: Result<Caller, ApiError>,
) -> Result<Json<Value>, ApiError> {
    authorize_read(&siem, &query, caller)?;
    Ok(Json(json!({"value": [subscription_body(&siem)]})))
}

/// `GET /subscriptions/{id}`.
async fn subscription(
    State(siem): State<Arc<Siem>>,
    Path(id): Path<String>,
    Query(query): Query<ApiVersion>,
    caller: Result<Caller, ApiError>,
) -> Result<Json<Value>, ApiError> {
    authorize_read(&siem, &query, caller)?;
    if !id.eq_ignore_ascii_case(&siem.workspace.subscription_id) {
        return Err(subscription_not_found(&id));
    }
    Ok(Json(subscription_body(&siem)))
}

fn subscription_not_found(id: &str) -> ApiError {
    ApiError::new(
        ErrorStyle::Arm,
        StatusCode::NOT_FOUND,
        "SubscriptionNotFound",
        format!("The subscription '{id}' could not be found."),
    )
}

fn group_not_found(group: &str) -> ApiError {
    ApiError::new(
        ErrorStyle::Arm,
        StatusCode::NOT_FOUND,
        "ResourceGroupNotFound",
        format!("Resource group '{group}' could not be found."),
    )
}

/// An authorized read of a resource in the workspace's subscription and resource group.
fn authorize_in_group(
    siem: &Siem,
    query: &ApiVersion,
    caller: Result<Caller, ApiError>,
    subscription: &str,
    group: &str,
) -> Result<(), ApiError> {
    authorize_read(siem, query, caller)?;
    let ws = &siem.workspace;
    if !subscription.eq_ignore_ascii_case(&ws.subscription_id) {
        return Err(subscription_not_found(subscription));
    }
    if !group.eq_ignore_ascii_case(&ws.resource_group) {
        return Err(group_not_found(group));
    }
    Ok(())
}

/// `GET /subscriptions/{id}/resourceGroups/{name}`.
async fn resource_group(
    State(siem): State<Arc<Siem>>,
    Path((subscription, group)): Path<(String, String)>,
    Query(query): Query<ApiVersion>,
    caller: Result<Caller, ApiError>,
) -> Result<Json<Value>, ApiError> {
    authorize_in_group(&siem, &query, caller, &subscription, &group)?;
    let ws = &siem.workspace;
    Ok(Json(json!({
        "id": format!("/subscriptions/{}/resourceGroups/{}", ws.subscription_id, ws.resource_group),
        "name": ws.resource_group,
        "type": "Microsoft.Resources/resourceGroups",
        "location": LOCATION,
        "properties": {"provisioningState": "Succeeded"},
    })))
}

/// `GET …/Microsoft.OperationalInsights/workspaces/{name}`: `customerId` is the workspace id the
/// query API takes.
async fn workspace(
    State(siem): State<Arc<Siem>>,
    Path((subscription, group, name)): Path<(String, String, String)>,
    Query(query): Query<ApiVersion>,
    caller: Result<Caller, ApiError>,
) -> Result<Json<Value>, ApiError> {
    authorize_in_group(&siem, &query, caller, &subscription, &group)?;
    let ws = &siem.workspace;
    if !name.eq_ignore_ascii_case(&ws.workspace_name) {
        return Err(ApiError::new(
            ErrorStyle::Arm,
            StatusCode::NOT_FOUND,
            "ResourceNotFound",
            format!(
                "The Resource 'Microsoft.OperationalInsights/workspaces/{name}' under resource group '{group}' was not found."
            ),
        ));
    }
    Ok(Json(json!({
        "id": ws.workspace_resource_id(),
        "name": ws.workspace_name,
        "type": "Microsoft.OperationalInsights/workspaces",
        "location": LOCATION,
        "properties": {
            "customerId": ws.workspace_id,
            "provisioningState": "Succeeded",
            "sku": {"name": "PerGB2018"},
            "retentionInDays": 90,
            "publicNetworkAccessForIngestion": "Enabled",
            "publicNetworkAccessForQuery": "Enabled",
        },
    })))
}
