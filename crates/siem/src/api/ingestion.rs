//! `POST /dataCollectionRules/{ruleId}/streams/{stream}?api-version=2023-01-01`: the Logs Ingestion API.
//!
//! 204 once the batch is committed. Errors come in Azure Core's error shape
//! (`{"error":{"code","message","target"}}`, plus the `x-ms-error-code` header). Past the rule's budget
//! of requests per minute (`[siem] rule_requests_per_minute`, default 12,000 as in Log Analytics) the
//! answer is 429 with `Retry-After`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use tandem_model::sentinel::CloudError;
use tandem_server::{ApiError, Caller};

use super::{INGESTION_ROLE, MONITOR_AUDIENCE, Siem, blocking, require_audience};
use crate::ingest::{self, IngestError};

/// API versions of the Logs Ingestion API this intake accepts.
const API_VERSIONS: [&str; 2] = ["2023-01-01", "2021-11-01-preview"];

pub(super) fn routes() -> Router<Arc<Siem>> {
    Router::new().route("/dataCollectionRules/{rule}/streams/{stream}", post(upload))
}

fn error(status: StatusCode, code: &str, message: String, target: Option<String>) -> Response {
    let mut body = CloudError::new(code, message);
    if let Some(target) = target {
        body = body.with_target(target);
    }
    let mut response = (status, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(code) {
        response.headers_mut().insert("x-ms-error-code", value);
    }
    response
}

fn refuse(e: IngestError) -> Response {
    let target = e.target();
    let (status, code) = match &e {
        IngestError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "ContentLengthLimitExceeded"),
        IngestError::UnknownRule(_) => (StatusCode::NOT_FOUND, "NotFound"),
        IngestError::UnknownStream { .. } => (StatusCode::NOT_FOUND, "InvalidStream"),
        IngestError::BadBody(_) | IngestError::BadRow { .. } => {
            (StatusCode::BAD_REQUEST, "InvalidContent")
        }
        IngestError::Store(_) => (StatusCode::INTERNAL_SERVER_ERROR, "InternalServerError"),
    };
    error(status, code, e.to_string(), target)
}

async fn upload(
    State(siem): State<Arc<Siem>>,
    caller: Result<Caller, ApiError>,
    Path((rule, stream)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let caller = match caller {
        Ok(caller) => caller,
        Err(e) => return e.into_response(),
    };
    if let Err(e) =
        require_audience(&caller, MONITOR_AUDIENCE).and_then(|()| caller.require(INGESTION_ROLE))
    {
        return e.into_response();
    }
    match params.get("api-version").map(String::as_str) {
        Some(v) if API_VERSIONS.contains(&v) => {}
        Some(v) => {
            let message = format!(
                "The api-version '{v}' is not supported. Supported versions: {}.",
                API_VERSIONS.join(", ")
            );
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidApiVersionParameter",
                message,
                None,
            );
        }
        None => {
            let message =
                "The api-version query parameter (?api-version=) is required for all requests."
                    .to_owned();
            return error(
                StatusCode::BAD_REQUEST,
                "MissingApiVersionParameter",
                message,
                None,
            );
        }
    }
    if let Err(wait) = siem.rule_throttle.charge(&rule.to_ascii_lowercase()) {
        return ApiError::too_many_requests(tandem_server::ErrorStyle::Arm, wait).into_response();
    }
    let Ok(body) = axum::body::to_bytes(body, ingest::MAX_BODY_BYTES).await else {
        let declared = headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        return refuse(IngestError::TooLarge(
            declared.unwrap_or(ingest::MAX_BODY_BYTES + 1),
        ));
    };
    let gzip = headers
        .get(axum::http::header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
    let outcome = blocking(move || {
        let table = ingest::resolve_stream(&siem.workspace, &rule, &stream)?;
        let rows = ingest::decode_body(&body, gzip)?;
        ingest::ingest(&siem.store, &table, rows, chrono::Utc::now())
    })
    .await;
    match outcome {
        Ok(Ok(_)) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(e)) => refuse(e),
        Err(e) => e.into_response(),
    }
}
