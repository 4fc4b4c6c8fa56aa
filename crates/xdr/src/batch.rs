//! JSON batching, `POST /v1.0/$batch`, as Graph serves it
//! (<https://learn.microsoft.com/graph/json-batching>).
//!
//! A batch holds up to [`MAX_REQUESTS`] requests, each with an `id`, a `method`, a `url` relative to
//! `/v1.0`, optional `headers` and `body`, and optional `dependsOn` ids. Each request runs through the
//! same routes as a direct call, with the caller's `Authorization` header, so it is checked for the
//! same roles. Requests run one at a time, each after those it depends on; a request whose dependency
//! did not succeed is answered `424 Failed Dependency` without running.

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tandem_server::{ApiError, Caller, ErrorStyle};
use tower::ServiceExt;

/// The most requests one batch may hold.
pub const MAX_REQUESTS: usize = 20;

/// The largest response body a sub-request may give (a full page of alerts fits); a larger one is
/// answered 500 so that twenty requests cannot hold unbounded memory.
const MAX_RESPONSE_BODY: usize = 16 * 1024 * 1024;

/// The headers of the batch request that every sub-request carries.
const INHERITED: [HeaderName; 3] = [
    AUTHORIZATION,
    HOST,
    HeaderName::from_static("x-forwarded-proto"),
];

const STYLE: ErrorStyle = ErrorStyle::Graph;

/// Adds `POST /v1.0/$batch` to `routes`; its requests run through `routes` (so a batch cannot hold
/// another batch).
pub fn with_batch(routes: Router) -> Router {
    let inner = routes
        .clone()
        .fallback(|| async { ApiError::not_found(STYLE, "No route matches the request path.") });
    routes.route(
        "/v1.0/$batch",
        post(move |caller: Caller, request: Request| batch(inner.clone(), caller, request)),
    )
}

/// One request of the batch body. `headers` and `dependsOn` may be `null`; `depends_on` is read too,
/// as msgraph-core for Python writes it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    id: String,
    method: String,
    url: String,
    #[serde(default, deserialize_with = "null_as_default")]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default, alias = "depends_on", deserialize_with = "null_as_default")]
    depends_on: Vec<String>,
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[derive(Debug, Deserialize)]
struct BatchBody {
    requests: Vec<Item>,
}

async fn batch(routes: Router, _caller: Caller, request: Request) -> Result<Response, ApiError> {
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, tandem_server::serve::MAX_REQUEST_BODY)
        .await
        .map_err(|e| bad_request(format!("The batch body could not be read: {e}")))?;
    let items = parse(&bytes)?;
    let order = run_order(&items)?;
    let mut inherited = HeaderMap::new();
    for name in INHERITED {
        if let Some(value) = parts.headers.get(&name) {
            inherited.insert(name, value.clone());
        }
    }
    let context = SubContext {
        routes,
        headers: inherited,
        extensions: parts.extensions,
    };
    let mut succeeded: BTreeMap<&str, bool> = BTreeMap::new();
    let mut responses = Vec::with_capacity(items.len());
    for index in order {
        let item = &items[index];
        let failed = item.depends_on.iter().find(|d| !succeeded[d.as_str()]);
        let answer = match failed {
            Some(dependency) => failed_dependency(item, dependency),
            None => context.run(item).await,
        };
        let ok = answer["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s));
        succeeded.insert(item.id.as_str(), ok);
        responses.push(answer);
    }
    Ok(axum::Json(json!({ "responses": responses })).into_response())
}

/// Reads the batch body and checks its size and ids.
fn parse(bytes: &Bytes) -> Result<Vec<Item>, ApiError> {
    let body: BatchBody = tandem_model::parse_json(bytes)
        .map_err(|e| bad_request(format!("The batch body is not valid: {e}")))?;
    let items = body.requests;
    if items.is_empty() || items.len() > MAX_REQUESTS {
        return Err(bad_request(format!(
            "A batch holds from 1 to {MAX_REQUESTS} requests; this one holds {}.",
            items.len()
        )));
    }
    let mut ids = BTreeSet::new();
    for item in &items {
        if !ids.insert(item.id.as_str()) {
            return Err(bad_request(format!(
                "The request id '{}' appears more than once.",
                item.id
            )));
        }
    }
    for item in &items {
        if let Some(unknown) = item.depends_on.iter().find(|d| !ids.contains(d.as_str())) {
            return Err(bad_request(format!(
                "Request '{}' depends on '{unknown}', which is not in the batch.",
                item.id
            )));
        }
    }
    Ok(items)
}

/// The order to run the items in: each after the items it depends on, otherwise as listed.
fn run_order(items: &[Item]) -> Result<Vec<usize>, ApiError> {
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut order = Vec::with_capacity(items.len());
    while order.len() < items.len() {
        let ready = items.iter().enumerate().find(|(i, item)| {
            !order.contains(i) && item.depends_on.iter().all(|d| done.contains(d.as_str()))
        });
        let Some((index, item)) = ready else {
            return Err(bad_request(
                "The requests' dependsOn form a cycle.".to_owned(),
            ));
        };
        done.insert(item.id.as_str());
        order.push(index);
    }
    Ok(order)
}

/// What every sub-request takes from the batch request.
struct SubContext {
    routes: Router,
    headers: HeaderMap,
    extensions: axum::http::Extensions,
}

impl SubContext {
    /// Runs `item` through the routes and answers it as a batch response item.
    async fn run(&self, item: &Item) -> Value {
        let request = match self.request(item) {
            Ok(request) => request,
            Err(message) => {
                let body = error_body("BadRequest", &message);
                return answer(item, StatusCode::BAD_REQUEST, body);
            }
        };
        let Ok(response) = self.routes.clone().oneshot(request).await;
        let status = response.status();
        let headers = header_object(response.headers());
        let bytes = match axum::body::to_bytes(response.into_body(), MAX_RESPONSE_BODY).await {
            Ok(bytes) => bytes,
            Err(e) => {
                let message = format!("The response could not be read: {e}");
                let body = error_body("InternalServerError", &message);
                return answer(item, StatusCode::INTERNAL_SERVER_ERROR, body);
            }
        };
        let mut out = answer(item, status, body_value(&bytes));
        out["headers"] = headers;
        out
    }

    fn request(&self, item: &Item) -> Result<Request, String> {
        let method = Method::from_bytes(item.method.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("'{}' is not an HTTP method.", item.method))?;
        let path = format!("/v1.0/{}", relative_url(&item.url)?.trim_start_matches('/'));
        let mut request = Request::builder().method(method).uri(path.as_str());
        let headers = request.headers_mut().ok_or("invalid request")?;
        headers.extend(self.headers.clone());
        for (name, value) in &item.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| format!("'{name}' is not a header name."))?;
            let value = HeaderValue::from_str(value)
                .map_err(|_| format!("The value of header '{name}' is not valid."))?;
            headers.insert(name, value);
        }
        let body = match &item.body {
            None => Body::empty(),
            Some(body) => {
                headers
                    .entry(CONTENT_TYPE)
                    .or_insert(HeaderValue::from_static("application/json"));
                Body::from(body.to_string())
            }
        };
        let mut request = request
            .body(body)
            .map_err(|e| format!("The url '{}' is not valid: {e}", item.url))?;
        *request.extensions_mut() = self.extensions.clone();
        Ok(request)
    }
}

/// The url relative to `/v1.0`: as given, or the part after `/v1.0` of an absolute URL (some SDKs send
/// the full URL of the request they batch).
fn relative_url(url: &str) -> Result<&str, String> {
    let Some((_, rest)) = url.split_once("://") else {
        return Ok(url);
    };
    rest.find('/')
        .map(|at| &rest[at..])
        .and_then(|path| path.strip_prefix("/v1.0/"))
        .ok_or_else(|| {
            format!("The url '{url}' must be relative to /v1.0, such as /security/incidents.")
        })
}

fn answer(item: &Item, status: StatusCode, body: Value) -> Value {
    json!({"id": item.id, "status": status.as_u16(), "headers": {}, "body": body})
}

fn failed_dependency(item: &Item, dependency: &str) -> Value {
    let message = format!("Request '{dependency}', which this request depends on, failed.");
    let body = error_body("FailedDependency", &message);
    answer(item, StatusCode::FAILED_DEPENDENCY, body)
}

fn error_body(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message}})
}

/// The response body: JSON as JSON, other text as a string, nothing as `null`.
fn body_value(bytes: &Bytes) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    serde_json::from_slice(bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(bytes).into_owned()))
}

fn header_object(headers: &HeaderMap) -> Value {
    let members: Map<String, Value> = headers
        .iter()
        .filter(|(name, _)| *name != axum::http::header::CONTENT_LENGTH)
        .filter_map(|(name, value)| Some((name.to_string(), json!(value.to_str().ok()?))))
        .collect();
    Value::Object(members)
}

fn bad_request(message: String) -> ApiError {
    ApiError::bad_request(STYLE, message)
}
