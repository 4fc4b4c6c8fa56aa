//! `POST /v1/workspaces/{workspaceId}/query` (and `GET` with `?query=`), and `POST /v1/$batch`
//! (up to ten queries, each answered as it would be alone): the Log Analytics query API.
//!
//! Answers `{"tables":[{"name":"PrimaryResult","columns":[…],"rows":[…]}]}`. A query the KQL subset
//! cannot run is a 400 `BadArgumentError` whose inner error says what is unsupported.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Map, Value, json};
use tandem_model::tables::{
    BatchQueryResponse, BatchRequest, BatchResponse, QueryBody, QueryColumn, QueryResponse,
    QueryTable,
};
use tandem_server::{ApiError, Caller};

use super::{
    LOG_ANALYTICS_AUDIENCE, READER_ROLE, RESPONDER_ROLE, Siem, blocking, require_audience,
};
use crate::kql::{self, KqlError, ScanBounds};
use crate::schema::{TIME_GENERATED, parse_datetime};

pub(super) fn routes() -> Router<Arc<Siem>> {
    Router::new()
        .route(
            "/v1/workspaces/{workspace}/query",
            get(query_get).post(query_post),
        )
        .route("/v1/$batch", post(batch))
}

/// An answer of the query API: a status and a JSON body (tables or an error).
type Outcome = (StatusCode, Value);

fn respond((status, body): Outcome) -> Response {
    (status, Json(body)).into_response()
}

fn bad_argument(inner_code: &str, message: String) -> Outcome {
    let body = json!({"error": {
        "code": "BadArgumentError",
        "message": "The request had some invalid properties",
        "innererror": {"code": inner_code, "message": message},
    }});
    (StatusCode::BAD_REQUEST, body)
}

async fn query_get(
    State(siem): State<Arc<Siem>>,
    caller: Result<Caller, ApiError>,
    Path(workspace): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = authorize(caller) {
        return e.into_response();
    }
    let Some(query) = params.get("query").cloned() else {
        return respond(bad_argument(
            "MissingQuery",
            "The query parameter 'query' is required.".into(),
        ));
    };
    let timespan = params.get("timespan").cloned();
    respond(answer(siem, workspace, query, timespan).await)
}

async fn query_post(
    State(siem): State<Arc<Siem>>,
    caller: Result<Caller, ApiError>,
    Path(workspace): Path<String>,
    body: Bytes,
) -> Response {
    if let Err(e) = authorize(caller) {
        return e.into_response();
    }
    respond(match tandem_model::parse_json::<QueryBody>(&body) {
        Ok(body) => answer(siem, workspace, body.query, body.timespan.into_option()).await,
        Err(e) => bad_argument(
            "InvalidBody",
            format!("The body is not a query request: {e}"),
        ),
    })
}

/// The most queries one batch may hold.
const MAX_BATCH: usize = 10;

/// `POST /v1/$batch`: each query answered as it would be alone, under its id, in the order asked.
async fn batch(
    State(siem): State<Arc<Siem>>,
    caller: Result<Caller, ApiError>,
    body: Bytes,
) -> Response {
    if let Err(e) = authorize(caller) {
        return e.into_response();
    }
    let batch = match tandem_model::parse_json::<BatchRequest>(&body) {
        Ok(batch) if batch.requests.len() <= MAX_BATCH => batch,
        Ok(batch) => {
            return respond(bad_argument(
                "TooManyRequestsInBatch",
                format!(
                    "requests: a batch holds at most {MAX_BATCH} queries; this one holds {}",
                    batch.requests.len()
                ),
            ));
        }
        Err(e) => {
            return respond(bad_argument(
                "InvalidBody",
                format!("The body is not a batch request: {e}"),
            ));
        }
    };
    let mut responses = Vec::with_capacity(batch.requests.len());
    for request in batch.requests {
        let (status, body) = answer(
            siem.clone(),
            request.workspace,
            request.body.query,
            request.body.timespan.into_option(),
        )
        .await;
        responses.push(BatchQueryResponse {
            id: request.id,
            status: status.as_u16(),
            body,
        });
    }
    Json(BatchResponse { responses }).into_response()
}

/// The caller holds a Log Analytics token and a role that may query.
fn authorize(caller: Result<Caller, ApiError>) -> Result<(), ApiError> {
    caller.and_then(|c| {
        require_audience(&c, LOG_ANALYTICS_AUDIENCE)?;
        c.require_any(&[READER_ROLE, RESPONDER_ROLE])
    })
}

/// Runs one query of an authorized caller in `workspace`.
async fn answer(
    siem: Arc<Siem>,
    workspace: String,
    text: String,
    timespan: Option<String>,
) -> Outcome {
    if !workspace.eq_ignore_ascii_case(&siem.workspace.workspace_id) {
        let body = json!({"error": {"code": "WorkspaceNotFoundError", "message": format!("Workspace '{workspace}' could not be found.")}});
        return (StatusCode::NOT_FOUND, body);
    }
    let now = Utc::now();
    let window = match timespan
        .as_deref()
        .map(|t| parse_timespan(t, now))
        .transpose()
    {
        Ok(window) => window,
        Err(message) => return bad_argument("InvalidTimespan", message),
    };
    match blocking(move || run(&siem, &text, window, now)).await {
        Ok(Ok(table)) => (
            StatusCode::OK,
            serde_json::to_value(table).unwrap_or_default(),
        ),
        Ok(Err(e)) => kql_error(e),
        Err(e) => (e.status(), e.body()),
    }
}

fn kql_error(e: RunError) -> Outcome {
    match e {
        RunError::Kql(e @ KqlError::Syntax { .. }) => bad_argument("SyntaxError", e.to_string()),
        RunError::Kql(e) => bad_argument("SemanticError", e.to_string()),
        RunError::Store(e) => {
            let error = super::internal(e);
            (error.status(), error.body())
        }
    }
}

enum RunError {
    Kql(KqlError),
    Store(crate::store::StoreError),
}

fn run(
    siem: &Siem,
    text: &str,
    window: Option<(DateTime<Utc>, DateTime<Utc>)>,
    now: DateTime<Utc>,
) -> Result<QueryResponse, RunError> {
    let query = kql::parse(text).map_err(RunError::Kql)?;
    let schema = siem
        .store
        .table_schema(&query.table)
        .map_err(RunError::Store)?
        .ok_or_else(|| RunError::Kql(KqlError::UnknownTable(query.table.clone())))?;
    let bounds = ScanBounds::of(&query, now).and_since(window.map(|(start, _)| start));
    let mut rows = siem
        .store
        .scan(&query.table, bounds.since)
        .map_err(RunError::Store)?;
    if let Some((_, end)) = window {
        rows.retain(|row| {
            row.get(TIME_GENERATED)
                .and_then(|t| t.as_str())
                .and_then(parse_datetime)
                .is_none_or(|t| t <= end)
        });
    }
    let result = kql::execute(&query, kql::Table::from_stored(&schema, &rows), now)
        .map_err(RunError::Kql)?;
    Ok(QueryResponse {
        tables: vec![QueryTable {
            name: "PrimaryResult".into(),
            columns: result
                .columns
                .iter()
                .map(|c| QueryColumn::new(c.name.clone(), c.kind.as_str()))
                .collect(),
            rows: result
                .rows
                .iter()
                .map(|r| r.iter().map(kql::Scalar::to_json).collect())
                .collect(),
            extra: Map::new(),
        }],
        extra: Map::new(),
    })
}

/// Reads an ISO 8601 `timespan`: a duration ending now (`PT12H`, `P1D`), `start/end` or
/// `start/duration`.
fn parse_timespan(
    text: &str,
    now: DateTime<Utc>,
) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let bad = || format!("timespan: '{text}' is not an ISO 8601 duration or interval");
    match text.split_once('/') {
        None => Ok((now - parse_duration(text).ok_or_else(bad)?, now)),
        Some((start, end)) => {
            let start = parse_datetime(start).ok_or_else(bad)?;
            let end = parse_datetime(end)
                .or_else(|| parse_duration(end).map(|d| start + d))
                .ok_or_else(bad)?;
            Ok((start, end))
        }
    }
}

/// `P[nD][T[nH][nM][nS]]` (weeks as `nW`).
fn parse_duration(text: &str) -> Option<TimeDelta> {
    let rest = text.strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut seconds = 0.0;
    for (part, units) in [
        (date, &[('W', 604_800.0), ('D', 86_400.0)][..]),
        (time, &[('H', 3600.0), ('M', 60.0), ('S', 1.0)][..]),
    ] {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let scale = units.iter().find(|(u, _)| *u == c)?.1;
            seconds += number.parse::<f64>().ok()? * scale;
            number.clear();
        }
        if !number.is_empty() {
            return None;
        }
    }
    (rest != "T" && !rest.is_empty()).then(|| TimeDelta::milliseconds((seconds * 1000.0) as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timespans_read_as_iso_8601() {
        let now = parse_datetime("2024-05-02T00:00:00Z").unwrap();
        assert_eq!(
            parse_timespan("PT12H", now).unwrap().0,
            parse_datetime("2024-05-01T12:00:00Z").unwrap()
        );
        assert_eq!(
            parse_timespan("P1DT1H", now).unwrap().0,
            parse_datetime("2024-04-30T23:00:00Z").unwrap()
        );
        let (start, end) = parse_timespan("2024-01-01T00:00:00Z/PT1H", now).unwrap();
        assert_eq!(end - start, TimeDelta::hours(1));
        assert!(parse_timespan("12 hours", now).is_err());
        assert!(parse_timespan("P", now).is_err());
    }
}
