//! The HTTP surface: the Graph security API v1.0 routes for incidents and alerts, and the alert intake.
//!
//! Handlers check the caller's role, hand the work to [`Xdr`] on a blocking thread (SQLite is
//! synchronous) and render documents as Graph does: `@odata.context`, portal URLs, `@odata.nextLink`
//! as an absolute URL built from the request's host, `$select` and evolvable enumerations shaped by
//! [`crate::shape`]. `POST /v1.0/$batch` ([`crate::batch`]) runs its requests through these same routes.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, RawQuery};
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Map, Value, json};
use tandem_model::graph::{Alert, Incident};
use tandem_model::{Field, parse_json};
use tandem_server::{ApiError, Caller, ErrorStyle};

use crate::queries::{ALERT_LIST, INCIDENT_LIST};
use crate::service::{AppState, Invalid, Xdr, XdrError, offload};
use crate::shape::{self, Selection};
use tandem_odata::ListQuery;
use tandem_odata::filter::Sqlite;

const STYLE: ErrorStyle = ErrorStyle::Graph;
const INCIDENT_READ: &[&str] = &[
    "SecurityIncident.Read.All",
    "SecurityIncident.ReadWrite.All",
];
const INCIDENT_WRITE: &[&str] = &["SecurityIncident.ReadWrite.All"];
const ALERT_READ: &[&str] = &["SecurityAlert.Read.All", "SecurityAlert.ReadWrite.All"];
const ALERT_WRITE: &[&str] = &["SecurityAlert.ReadWrite.All"];

type Shared = Arc<AppState>;

/// The XDR's routes, to be mounted by `tandem_server::serve` behind its token check.
pub fn router(state: Arc<AppState>) -> Router {
    crate::batch::with_batch(graph_routes(state))
}

/// The Graph routes and the intake, without `$batch` (a batch may not hold a batch).
fn graph_routes(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v1/alerts", post(ingest))
        .route("/v1.0/security/incidents", get(list_incidents))
        .route(
            "/v1.0/security/incidents/{id}",
            get(get_incident).patch(patch_incident),
        )
        .route(
            "/v1.0/security/incidents/{id}/comments",
            post(comment_incident),
        )
        .route(
            "/v1.0/security/incidents/{id}/alerts",
            get(list_incident_alerts),
        )
        .route("/v1.0/security/incidents/$count", get(count_incidents))
        .route("/v1.0/security/alerts_v2", get(list_alerts))
        .route("/v1.0/security/alerts_v2/$count", get(count_alerts))
        .route(
            "/v1.0/security/alerts_v2/{id}",
            get(get_alert).patch(patch_alert),
        )
        .route(
            "/v1.0/security/alerts_v2/{id}/comments",
            post(comment_alert),
        )
        .with_state(state)
}

/// Where the request came in, as `http://host:port` (`https` behind a proxy that says so), and the
/// console base URL portal links point into.
struct Origin {
    base: String,
    portal: String,
    /// The client sent `Prefer: include-unknown-enum-members`.
    include_unknown: bool,
}

impl Origin {
    fn of(headers: &HeaderMap, state: &AppState) -> Origin {
        let base = tandem_server::request_base_url(headers);
        let portal = state
            .public_url
            .clone()
            .unwrap_or_else(|| base.clone())
            .trim_end_matches('/')
            .to_owned();
        Origin {
            base,
            portal,
            include_unknown: shape::includes_unknown_members(headers),
        }
    }

    /// One incident as an `$entity` body.
    fn incident_entity(
        &self,
        incident: Incident,
        alerts: Option<Vec<Alert>>,
        selection: Selection<'_>,
    ) -> Json<Value> {
        Json(with_context(
            self,
            "security/incidents/$entity",
            self.incident(incident, alerts, selection),
        ))
    }

    /// One alert as an `$entity` body.
    fn alert_entity(&self, alert: Alert, select: Option<&[String]>) -> Json<Value> {
        Json(with_context(
            self,
            "security/alerts_v2/$entity",
            self.alert(alert, select),
        ))
    }

    /// The comments of the entity at `entity` (such as `security/incidents('7')`) as a collection body.
    fn comments(&self, entity: &str, comments: impl serde::Serialize) -> Json<Value> {
        let context = self.context(&format!("{entity}/comments"));
        Json(json!({"@odata.context": context, "value": comments}))
    }

    fn context(&self, fragment: &str) -> Value {
        json!(format!("{}/v1.0/$metadata#{fragment}", self.base))
    }

    /// An incident as the client asked for it: with its portal URL and its expanded alerts, shaped.
    fn incident(
        &self,
        mut incident: Incident,
        alerts: Option<Vec<Alert>>,
        selection: Selection<'_>,
    ) -> Value {
        let web_url = format!("{}/incidents/{}", self.portal, incident.id);
        incident.incident_web_url = Field::Value(web_url);
        let mut doc = shape::document(&incident);
        let expanded = alerts.is_some();
        if let Some(alerts) = alerts {
            let alerts: Vec<Value> = alerts
                .into_iter()
                .map(|a| self.alert(a, selection.alerts))
                .collect();
            doc.insert("alerts".into(), json!(alerts));
        }
        shape::hide_incident_future_members(&mut doc, self.include_unknown);
        let keep: &[&str] = if expanded { &["alerts"] } else { &[] };
        Value::Object(shape::project(doc, selection.own, keep))
    }

    /// An alert as the client asked for it: with its portal URLs, shaped.
    fn alert(&self, mut alert: Alert, select: Option<&[String]>) -> Value {
        let incident = alert.incident_id.get().map_or("", String::as_str);
        let incident_url = format!("{}/incidents/{incident}", self.portal);
        alert.incident_web_url = Field::Value(incident_url);
        alert.alert_web_url = Field::Value(format!("{}/alerts/{}", self.portal, alert.id));
        let mut doc = shape::document(&alert);
        shape::hide_alert_future_members(&mut doc, self.include_unknown);
        Value::Object(shape::project(doc, select, &[]))
    }
}

/// What every Graph handler starts from: the verified caller, the service and where the request came in.
struct GraphRequest {
    caller: Caller,
    state: Shared,
    origin: Origin,
}

impl FromRequestParts<Shared> for GraphRequest {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Shared) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(GraphRequest {
            caller,
            state: state.clone(),
            origin: Origin::of(&parts.headers, state),
        })
    }
}

impl GraphRequest {
    /// The caller as comments name their author: the app's display name.
    fn author(&self) -> String {
        self.state.identity.display_name(&self.caller.app_id)
    }

    /// Runs `work` on a blocking thread and turns its failure into a Graph error.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Xdr) -> Result<T, XdrError> + Send + 'static,
    ) -> Result<T, ApiError> {
        offload(&self.state, work).await.map_err(api_error)
    }
}

fn api_error(error: XdrError) -> ApiError {
    match error {
        XdrError::NotFound { .. } => ApiError::not_found(STYLE, error.to_string()),
        XdrError::Invalid(invalid) => ApiError::bad_request(STYLE, invalid_message(&invalid)),
        XdrError::Query(query) => ApiError::bad_request(STYLE, query.to_string()),
        XdrError::Store(_) | XdrError::Worker(_) => ApiError::internal(STYLE, error),
    }
}

fn invalid_message(invalid: &Invalid) -> String {
    if invalid.message.contains(&invalid.target) || invalid.target == "." {
        invalid.message.clone()
    } else {
        format!("{}: {}", invalid.target, invalid.message)
    }
}

fn body_json(body: &Bytes) -> Result<Value, ApiError> {
    parse_json(body).map_err(|e| {
        ApiError::bad_request(STYLE, format!("The request body is not valid JSON: {e}"))
    })
}

/// Parses the query string of a request on a resource listed by `spec`.
fn list_query(raw: Option<&str>, spec: &tandem_odata::ListSpec) -> Result<ListQuery, ApiError> {
    ListQuery::parse(raw, spec, &Sqlite).map_err(|e| api_error(e.into()))
}

fn incident_id(id: &str) -> Result<i64, ApiError> {
    id.parse()
        .map_err(|_| ApiError::not_found(STYLE, format!("incident '{id}' was not found.")))
}

async fn ingest(request: GraphRequest, body: Bytes) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(ALERT_WRITE)?;
    let items = match body_json(&body)? {
        Value::Object(mut envelope) => match envelope.remove("value") {
            Some(Value::Array(items)) => items,
            _ => {
                return Err(ApiError::bad_request(
                    STYLE,
                    "value: the body must be {\"value\": [alert, ...]}",
                ));
            }
        },
        _ => {
            return Err(ApiError::bad_request(
                STYLE,
                "The body must be {\"value\": [alert, ...]}",
            ));
        }
    };
    let results = request.run(move |xdr| xdr.ingest(items)).await?;
    let value: Vec<Value> = results
        .into_iter()
        .map(|item| match item {
            Ok(ok) => json!({"id": ok.id, "incidentId": ok.incident_id.to_string()}),
            Err(e) => {
                json!({"error": {"code": "BadRequest", "message": e.message, "target": e.target}})
            }
        })
        .collect();
    Ok(Json(json!({ "value": value })))
}

async fn list_incidents(
    request: GraphRequest,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(INCIDENT_READ)?;
    let query = list_query(raw.as_deref(), &INCIDENT_LIST)?;
    let origin = &request.origin;
    let query_for_work = query.clone();
    let mut result = request
        .run(move |xdr| xdr.list_incidents(&query_for_work))
        .await?;
    let expanded = query.expands("alerts");
    let items: Vec<Value> = std::mem::take(&mut result.page.items)
        .into_iter()
        .map(|(id, incident)| {
            let alerts = expanded.then(|| result.alerts.remove(&id).unwrap_or_default());
            origin.incident(incident, alerts, Selection::of(&query))
        })
        .collect();
    let fragment = if expanded {
        "security/incidents(alerts())"
    } else {
        "security/incidents"
    };
    Ok(Json(collection(
        origin,
        fragment,
        "/v1.0/security/incidents",
        &query,
        items,
        &result.page,
    )))
}

async fn list_alerts(
    request: GraphRequest,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(ALERT_READ)?;
    let query = list_query(raw.as_deref(), &ALERT_LIST)?;
    let query_for_work = query.clone();
    let page = request
        .run(move |xdr| xdr.list_alerts(&query_for_work))
        .await?;
    let path = "/v1.0/security/alerts_v2";
    Ok(alert_collection(
        &request.origin,
        "security/alerts_v2",
        path,
        &query,
        page,
    ))
}

/// `GET /security/incidents/{id}/alerts`: the incident's alerts, listed as `/alerts_v2` lists them.
async fn list_incident_alerts(
    request: GraphRequest,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(INCIDENT_READ)?;
    let query = list_query(raw.as_deref(), &ALERT_LIST)?;
    let id = incident_id(&id)?;
    let query_for_work = query.clone();
    let page = request
        .run(move |xdr| xdr.list_incident_alerts(id, &query_for_work))
        .await?;
    let fragment = format!("security/incidents('{id}')/alerts");
    let path = format!("/v1.0/security/incidents/{id}/alerts");
    Ok(alert_collection(
        &request.origin,
        &fragment,
        &path,
        &query,
        page,
    ))
}

/// A page of alerts as a Graph collection.
fn alert_collection(
    origin: &Origin,
    fragment: &str,
    path: &str,
    query: &ListQuery,
    mut page: crate::store::Page<Alert>,
) -> Json<Value> {
    let select = query.select.as_deref();
    let items: Vec<Value> = std::mem::take(&mut page.items)
        .into_iter()
        .map(|(_, alert)| origin.alert(alert, select))
        .collect();
    Json(collection(origin, fragment, path, query, items, &page))
}

/// `GET /security/incidents/$count`: the number of incidents `$filter` keeps, as plain text.
async fn count_incidents(
    request: GraphRequest,
    RawQuery(raw): RawQuery,
) -> Result<String, ApiError> {
    request.caller.require_any(INCIDENT_READ)?;
    let query = list_query(raw.as_deref(), &INCIDENT_LIST)?;
    let count = request.run(move |xdr| xdr.count_incidents(&query)).await?;
    Ok(count.to_string())
}

/// `GET /security/alerts_v2/$count`: the number of alerts `$filter` keeps, as plain text.
async fn count_alerts(request: GraphRequest, RawQuery(raw): RawQuery) -> Result<String, ApiError> {
    request.caller.require_any(ALERT_READ)?;
    let query = list_query(raw.as_deref(), &ALERT_LIST)?;
    let count = request.run(move |xdr| xdr.count_alerts(&query)).await?;
    Ok(count.to_string())
}

/// A Graph collection response: context, optional count, the page and the next link.
fn collection(
    origin: &Origin,
    fragment: &str,
    path: &str,
    query: &ListQuery,
    items: Vec<Value>,
    page: &crate::store::Page<impl Sized>,
) -> Value {
    let mut body = Map::new();
    body.insert("@odata.context".into(), origin.context(fragment));
    if let Some(count) = page.count {
        body.insert("@odata.count".into(), json!(count));
    }
    if let Some(cursor) = &page.next {
        let link = format!("{}{path}?{}", origin.base, query.next_query(cursor));
        body.insert("@odata.nextLink".into(), json!(link));
    }
    body.insert("value".into(), json!(items));
    Value::Object(body)
}

async fn get_incident(
    request: GraphRequest,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(INCIDENT_READ)?;
    let query = list_query(raw.as_deref(), &INCIDENT_LIST)?;
    let id = incident_id(&id)?;
    let expansion = query.expansion("alerts").cloned();
    let view = request
        .run(move |xdr| xdr.incident_expanded(id, expansion.as_ref()))
        .await?;
    let selection = Selection::of(&query);
    Ok(request
        .origin
        .incident_entity(view.incident, view.alerts, selection))
}

async fn patch_incident(
    request: GraphRequest,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(INCIDENT_WRITE)?;
    let id = incident_id(&id)?;
    let body = body_json(&body)?;
    let actor = request.caller.app_id.clone();
    let incident = request
        .run(move |xdr| xdr.update_incident(id, body, &actor))
        .await?;
    Ok(request
        .origin
        .incident_entity(incident, None, Selection::default()))
}

async fn comment_incident(
    request: GraphRequest,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(INCIDENT_WRITE)?;
    let id = incident_id(&id)?;
    let body = body_json(&body)?;
    let author = request.author();
    let comments = request
        .run(move |xdr| xdr.comment_incident(id, body, &author))
        .await?;
    let entity = format!("security/incidents('{id}')");
    Ok(request.origin.comments(&entity, comments))
}

async fn get_alert(
    request: GraphRequest,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(ALERT_READ)?;
    let query = list_query(raw.as_deref(), &ALERT_LIST)?;
    let alert = request.run(move |xdr| xdr.alert(&id)).await?;
    Ok(request.origin.alert_entity(alert, query.select.as_deref()))
}

async fn patch_alert(
    request: GraphRequest,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(ALERT_WRITE)?;
    let body = body_json(&body)?;
    let actor = request.caller.app_id.clone();
    let alert = request
        .run(move |xdr| xdr.update_alert(&id, body, &actor))
        .await?;
    Ok(request.origin.alert_entity(alert, None))
}

async fn comment_alert(
    request: GraphRequest,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    request.caller.require_any(ALERT_WRITE)?;
    let body = body_json(&body)?;
    let author = request.author();
    let entity = format!("security/alerts_v2('{id}')");
    let comments = request
        .run(move |xdr| xdr.comment_alert(&id, body, &author))
        .await?;
    Ok(request.origin.comments(&entity, comments))
}

/// Puts `@odata.context` first in an entity body.
fn with_context(origin: &Origin, fragment: &str, entity: Value) -> Value {
    let mut body = Map::new();
    body.insert("@odata.context".into(), origin.context(fragment));
    if let Value::Object(members) = entity {
        body.extend(members);
    }
    Value::Object(body)
}
