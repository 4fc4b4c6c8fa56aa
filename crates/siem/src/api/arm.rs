//! The Microsoft Sentinel incidents API under
//! `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.OperationalInsights/workspaces/{w}/providers/Microsoft.SecurityInsights/`.
//!
//! Every request goes through [`ArmRequest`]: a valid ARM-audience token, a supported `api-version`
//! (ARM's `MissingApiVersionParameter` / `InvalidApiVersionParameter` otherwise), and the workspace's
//! own subscription, resource group and workspace name (404 otherwise). Paths follow the 2024-09-01
//! swagger: `alerts` and `entities` are POST, `relations` GET/PUT/DELETE.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use tandem_model::sentinel::{Incident, IncidentComment, IncidentRelation, List};
use tandem_odata::filter::Sqlite;
use tandem_odata::{Direction, ListQuery, ListSpec, QueryError};
use tandem_server::{ApiError, Caller, ErrorStyle};

use super::{READER_ROLE, RESPONDER_ROLE, Siem, arm_audience_check, blocking};
use crate::incidents::listing::{COMMENT_LIST, INCIDENT_LIST, RELATION_LIST};
use crate::incidents::{Actor, HasEtag, IncidentError, Incidents, Written};
use crate::store::incidents::ChildKind;
use crate::store::list::Page;

/// Every published `Microsoft.SecurityInsights` API version that has the incidents API, previews
/// included, oldest first (azure-rest-api-specs, `securityinsights/resource-manager`). The incident
/// resources Tandem serves have kept one shape across them.
pub const API_VERSIONS: [&str; 43] = [
    "2019-01-01-preview",
    "2020-01-01",
    "2021-03-01-preview",
    "2021-04-01",
    "2021-09-01-preview",
    "2021-10-01",
    "2021-10-01-preview",
    "2022-01-01-preview",
    "2022-04-01-preview",
    "2022-05-01-preview",
    "2022-06-01-preview",
    "2022-07-01-preview",
    "2022-08-01",
    "2022-08-01-preview",
    "2022-09-01-preview",
    "2022-10-01-preview",
    "2022-11-01",
    "2022-11-01-preview",
    "2022-12-01-preview",
    "2023-02-01",
    "2023-02-01-preview",
    "2023-03-01-preview",
    "2023-04-01-preview",
    "2023-05-01-preview",
    "2023-06-01-preview",
    "2023-07-01-preview",
    "2023-08-01-preview",
    "2023-09-01-preview",
    "2023-10-01-preview",
    "2023-11-01",
    "2023-12-01-preview",
    "2024-01-01-preview",
    "2024-03-01",
    "2024-04-01-preview",
    "2024-09-01",
    "2024-10-01-preview",
    "2025-01-01-preview",
    "2025-03-01",
    "2025-04-01-preview",
    "2025-06-01",
    "2025-07-01-preview",
    "2025-09-01",
    "2025-10-01-preview",
];

const PREFIX: &str = "/subscriptions/{subscription}/resourceGroups/{group}/providers/Microsoft.OperationalInsights/workspaces/{workspace}/providers/Microsoft.SecurityInsights/incidents";

pub(super) fn routes() -> Router<Arc<Siem>> {
    let router = Router::new()
        .route(PREFIX, get(list_incidents))
        .route(
            &format!("{PREFIX}/{{incident}}"),
            get(get_incident).put(put_incident).delete(delete_incident),
        )
        .route(&format!("{PREFIX}/{{incident}}/alerts"), post(list_alerts))
        .route(
            &format!("{PREFIX}/{{incident}}/entities"),
            post(list_entities),
        );
    let router = child_routes::<IncidentComment>(router, "comments");
    child_routes::<IncidentRelation>(router, "relations")
}

fn arm_error(status: StatusCode, code: &str, message: impl Into<String>) -> ApiError {
    ApiError::new(ErrorStyle::Arm, status, code, message)
}

/// ARM's answer to a request without `?api-version=`.
pub(super) fn missing_api_version() -> ApiError {
    arm_error(
        StatusCode::BAD_REQUEST,
        "MissingApiVersionParameter",
        "The api-version query parameter (?api-version=) is required for all requests.",
    )
}

/// An authenticated request to the workspace's incidents API.
struct ArmRequest {
    caller: Caller,
    params: HashMap<String, String>,
    raw_query: Option<String>,
    headers: HeaderMap,
    path: String,
}

impl<S> FromRequestParts<S> for ArmRequest
where
    S: Send + Sync,
    Arc<Siem>: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state).await?;
        let siem = Arc::<Siem>::from_ref(state);
        arm_audience_check(&siem, &caller)?;
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(ErrorStyle::Arm, e.body_text()))?;
        let raw_query = parts.uri.query().map(str::to_owned);
        let api_version =
            form_urlencoded::parse(raw_query.as_deref().unwrap_or_default().as_bytes())
                .find(|(key, _)| key == "api-version")
                .map(|(_, value)| value.into_owned());
        check_api_version(api_version.as_deref())?;
        for key in ["incident", "child"] {
            if let Some(name) = params.get(key) {
                check_resource_name(name)?;
            }
        }
        Ok(ArmRequest {
            caller,
            params,
            raw_query,
            headers: parts.headers.clone(),
            path: parts.uri.path().to_owned(),
        })
    }
}

/// The longest resource name taken in a path.
const MAX_RESOURCE_NAME: usize = 256;

/// ARM's rules for the name of a resource it creates: 1 to [`MAX_RESOURCE_NAME`] characters, no
/// control characters, none of `< > * % & : \ ? / + #`, and not ending in a period or a space.
fn check_resource_name(name: &str) -> Result<(), ApiError> {
    let length = name.chars().count();
    let problem = if length == 0 || length > MAX_RESOURCE_NAME {
        Some(format!(
            "holds {length} characters; a name holds 1 to {MAX_RESOURCE_NAME}"
        ))
    } else if let Some(c) = name
        .chars()
        .find(|c| c.is_control() || "<>*%&:\\?/+#".contains(*c))
    {
        Some(format!(
            "contains the character {c:?}, which names may not hold"
        ))
    } else if name.ends_with('.') || name.ends_with(' ') {
        Some("ends with a period or a space".to_owned())
    } else {
        None
    };
    match problem {
        None => Ok(()),
        Some(problem) => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidResourceName",
            format!(
                "The resource name '{}' is invalid: it {problem}.",
                name.escape_debug()
            ),
        )),
    }
}

fn check_api_version(version: Option<&str>) -> Result<(), ApiError> {
    match version {
        Some(v) if API_VERSIONS.contains(&v) => Ok(()),
        Some(v) => Err(arm_error(
            StatusCode::BAD_REQUEST,
            "InvalidApiVersionParameter",
            format!(
                "The api-version '{v}' is invalid. The supported versions are '{}'.",
                API_VERSIONS.join(",")
            ),
        )),
        None => Err(missing_api_version()),
    }
}

impl ArmRequest {
    /// Checks the path's subscription, resource group and workspace, and the caller's role.
    fn authorize(&self, siem: &Siem, write: bool) -> Result<(), ApiError> {
        let ws = &siem.workspace;
        let param = |k: &str| self.params.get(k).map(String::as_str).unwrap_or_default();
        if !param("subscription").eq_ignore_ascii_case(&ws.subscription_id) {
            return Err(arm_error(
                StatusCode::NOT_FOUND,
                "SubscriptionNotFound",
                format!(
                    "The subscription '{}' could not be found.",
                    param("subscription")
                ),
            ));
        }
        if !param("group").eq_ignore_ascii_case(&ws.resource_group)
            || !param("workspace").eq_ignore_ascii_case(&ws.workspace_name)
        {
            return Err(arm_error(
                StatusCode::NOT_FOUND,
                "ResourceNotFound",
                format!(
                    "The Resource 'Microsoft.OperationalInsights/workspaces/{}' under resource group '{}' was not found.",
                    param("workspace"),
                    param("group")
                ),
            ));
        }
        if write {
            self.caller.require(RESPONDER_ROLE)
        } else {
            self.caller.require_any(&[READER_ROLE, RESPONDER_ROLE])
        }
    }

    fn incident(&self) -> String {
        self.params.get("incident").cloned().unwrap_or_default()
    }

    fn child(&self) -> String {
        self.params.get("child").cloned().unwrap_or_default()
    }

    fn if_match(&self) -> Option<String> {
        self.headers
            .get(axum::http::header::IF_MATCH)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    fn actor(&self, siem: &Siem) -> Actor {
        Actor {
            app_id: self.caller.app_id.clone(),
            name: siem.app_name(&self.caller.app_id),
        }
    }

    /// The list options of this request under `spec`, in `default_direction` without `$orderby`; a
    /// 400 naming the option and its offending text otherwise.
    fn list_query(
        &self,
        spec: &ListSpec,
        default_direction: Direction,
    ) -> Result<ListQuery, ApiError> {
        ListQuery::parse_in_order(self.raw_query.as_deref(), spec, &Sqlite, default_direction)
            .and_then(refuse_count)
            .map_err(|e| arm_error(StatusCode::BAD_REQUEST, "BadRequest", e.to_string()))
    }

    /// The list `page` in ARM's shape: the items and, when more follow, the `nextLink` that continues
    /// after them with this request's options.
    fn list_response<T: Serialize>(&self, query: &ListQuery, page: Page<T>) -> Response {
        let next_link = page.next.map(|cursor| {
            format!(
                "{}{}?{}",
                tandem_server::request_base_url(&self.headers),
                self.path,
                query.next_query(&cursor)
            )
        });
        Json(List::new(page.items, next_link)).into_response()
    }
}

/// Sentinel's lists answer pages, never counts: `$count=true` is refused rather than ignored.
fn refuse_count(query: ListQuery) -> Result<ListQuery, QueryError> {
    if query.count {
        Err(QueryError::new(
            "$count",
            "'$count=true' is not supported by Sentinel lists",
        ))
    } else {
        Ok(query)
    }
}

fn incident_error(e: IncidentError) -> ApiError {
    match e {
        IncidentError::NotFound(m) => arm_error(StatusCode::NOT_FOUND, "NotFound", m),
        IncidentError::Conflict(m) => arm_error(StatusCode::CONFLICT, "Conflict", m),
        IncidentError::PreconditionFailed(m) => {
            arm_error(StatusCode::PRECONDITION_FAILED, "PreconditionFailed", m)
        }
        IncidentError::BadRequest(m) => arm_error(StatusCode::BAD_REQUEST, "BadRequest", m),
        IncidentError::Store(e) => super::internal(e),
    }
}

/// Runs incident work on a blocking thread and renders the outcome.
async fn run<T: Send + 'static>(
    siem: Arc<Siem>,
    request: &ArmRequest,
    work: impl FnOnce(&Incidents<'_>) -> Result<T, IncidentError> + Send + 'static,
) -> Result<T, ApiError> {
    let base = siem.siem_url(&request.headers);
    blocking(move || work(&Incidents::new(&siem.store, &siem.workspace, &base)))
        .await?
        .map_err(incident_error)
}

fn parse_body<T: DeserializeOwned>(body: &Bytes) -> Result<T, ApiError> {
    tandem_model::parse_json(body).map_err(|e| {
        arm_error(
            StatusCode::BAD_REQUEST,
            "BadRequest",
            format!("The request body is invalid: {e}"),
        )
    })
}

fn written<T: Serialize + HasEtag>(w: Written<T>) -> Response {
    let status = if w.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let etag = w
        .resource
        .etag()
        .and_then(|e| HeaderValue::from_str(e).ok());
    let mut response = (status, Json(&w.resource)).into_response();
    if let Some(etag) = etag {
        response
            .headers_mut()
            .insert(axum::http::header::ETAG, etag);
    }
    response
}

fn deleted(existed: bool) -> Response {
    if existed {
        StatusCode::OK.into_response()
    } else {
        StatusCode::NO_CONTENT.into_response()
    }
}

async fn list_incidents(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    request.authorize(&siem, false)?;
    let query = request.list_query(&INCIDENT_LIST, Direction::Desc)?;
    let listed = query.clone();
    let page = run(siem, &request, move |api| api.list(&listed)).await?;
    Ok(request.list_response(&query, page))
}

/// Answers a read of incident `{incident}`: the caller may read, `work` gets the incident's name.
async fn read<T: Serialize + Send + 'static>(
    siem: Arc<Siem>,
    request: ArmRequest,
    work: impl FnOnce(&Incidents<'_>, &str) -> Result<T, IncidentError> + Send + 'static,
) -> Result<Response, ApiError> {
    request.authorize(&siem, false)?;
    let name = request.incident();
    let value = run(siem, &request, move |api| work(api, &name)).await?;
    Ok(Json(value).into_response())
}

async fn get_incident(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    read(siem, request, |api, name| api.get(name)).await
}

async fn put_incident(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
    body: Bytes,
) -> Result<Response, ApiError> {
    request.authorize(&siem, true)?;
    let body: Incident = parse_body(&body)?;
    let (name, if_match, actor) = (request.incident(), request.if_match(), request.actor(&siem));
    let outcome = run(siem, &request, move |api| {
        api.put(&name, body, if_match.as_deref(), &actor)
    })
    .await?;
    Ok(written(outcome))
}

async fn delete_incident(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    request.authorize(&siem, true)?;
    let name = request.incident();
    Ok(deleted(
        run(siem, &request, move |api| api.delete(&name)).await?,
    ))
}

async fn list_alerts(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    read(siem, request, |api, name| {
        Ok(json!({"value": api.alerts(name)?}))
    })
    .await
}

async fn list_entities(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    read(siem, request, |api, name| api.entities(name)).await
}

/// Creates or replaces child `child` of incident `name` under one kind's rules.
type PutChild<T> =
    fn(&Incidents<'_>, &str, &str, T, Option<&str>, &Actor) -> Result<Written<T>, IncidentError>;

/// A resource kept under an incident at `{segment}/{child}`: comments and relations share
/// their list, get, put and delete handlers and differ only in their store kind and write rules.
trait Child: Serialize + DeserializeOwned + HasEtag + Send + 'static {
    /// Where the store keeps this kind.
    const KIND: ChildKind;
    /// What this kind's list supports.
    const LIST: ListSpec;
    /// This kind's write.
    const PUT: PutChild<Self>;
}

impl Child for IncidentComment {
    const KIND: ChildKind = ChildKind::Comment;
    const LIST: ListSpec = COMMENT_LIST;
    const PUT: PutChild<Self> = |api, name, child, body, if_match, actor| {
        api.put_comment(name, child, body, if_match, actor)
    };
}

impl Child for IncidentRelation {
    const KIND: ChildKind = ChildKind::Relation;
    const LIST: ListSpec = RELATION_LIST;
    const PUT: PutChild<Self> = |api, name, child, body, if_match, actor| {
        api.put_relation(name, child, body, if_match, actor)
    };
}

/// The list, get, put and delete routes of one child kind under `{incident}/{segment}`.
fn child_routes<T: Child>(router: Router<Arc<Siem>>, segment: &str) -> Router<Arc<Siem>> {
    router
        .route(
            &format!("{PREFIX}/{{incident}}/{segment}"),
            get(list_children::<T>),
        )
        .route(
            &format!("{PREFIX}/{{incident}}/{segment}/{{child}}"),
            get(get_child::<T>)
                .put(put_child::<T>)
                .delete(delete_child::<T>),
        )
}

async fn list_children<T: Child>(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    request.authorize(&siem, false)?;
    let query = request.list_query(&T::LIST, Direction::Asc)?;
    let (name, listed) = (request.incident(), query.clone());
    let page = run(siem, &request, move |api| {
        api.list_children::<T>(&name, T::KIND, &listed)
    })
    .await?;
    Ok(request.list_response(&query, page))
}

async fn get_child<T: Child>(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    let child = request.child();
    read(siem, request, move |api, name| {
        api.child::<T>(name, T::KIND, &child)
    })
    .await
}

async fn put_child<T: Child>(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
    body: Bytes,
) -> Result<Response, ApiError> {
    request.authorize(&siem, true)?;
    let body: T = parse_body(&body)?;
    let (name, child, if_match, actor) = (
        request.incident(),
        request.child(),
        request.if_match(),
        request.actor(&siem),
    );
    let outcome = run(siem, &request, move |api| {
        (T::PUT)(api, &name, &child, body, if_match.as_deref(), &actor)
    })
    .await?;
    Ok(written(outcome))
}

async fn delete_child<T: Child>(
    State(siem): State<Arc<Siem>>,
    request: ArmRequest,
) -> Result<Response, ApiError> {
    request.authorize(&siem, true)?;
    let (name, child, actor) = (request.incident(), request.child(), request.actor(&siem));
    Ok(deleted(
        run(siem, &request, move |api| {
            api.delete_child(&name, T::KIND, &child, &actor)
        })
        .await?,
    ))
}
