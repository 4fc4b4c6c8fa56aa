//! Real HTTP servers on 127.0.0.1 for the client's tests: a token endpoint that counts what it issues and
//! a scripted API that records every request it receives (with the instant it arrived).

#![allow(dead_code)] // each test file uses part of the harness

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Form, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;
use tandem_client::{ApiClient, ClientConfig, ClientError};
use tokio::time::Instant;

/// The client secret every test config carries.
pub const SECRET: &str = "s3cret-value-only-in-tests";

/// Serves `router` on an ephemeral port and returns its base URL.
pub async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}")
}

/// A client config pointing at `base`'s token endpoint, with short backoffs.
pub fn config(base: &str) -> ClientConfig {
    let text = format!(
        r#"
        scope = "api://tandem-tests/.default"
        [credential]
        tenant_id = "contoso.example"
        client_id = "app-under-test"
        client_secret = "{SECRET}"
        token_url = "{base}/{{tenant}}/oauth2/v2.0/token"
        [retry]
        max_attempts = 4
        initial_backoff_ms = 5
        max_backoff_ms = 40
        max_total_wait_ms = 10000
        "#
    );
    toml::from_str(&text).unwrap()
}

/// A token endpoint that issues `token-1`, `token-2`, … and remembers each form it was sent.
#[derive(Default)]
pub struct TokenEndpoint {
    pub issued: AtomicUsize,
    pub expires_in: u64,
    pub delay: Duration,
    pub forms: Mutex<Vec<HashMap<String, String>>>,
}

impl TokenEndpoint {
    /// An endpoint issuing tokens valid for `expires_in` seconds.
    pub fn new(expires_in: u64) -> Arc<Self> {
        Arc::new(TokenEndpoint {
            expires_in,
            ..TokenEndpoint::default()
        })
    }

    /// Tokens issued so far.
    pub fn issued(&self) -> usize {
        self.issued.load(Ordering::SeqCst)
    }

    /// The routes, at `/{tenant}/oauth2/v2.0/token`.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/{tenant}/oauth2/v2.0/token", post(issue_token))
            .with_state(Arc::clone(self))
    }
}

async fn issue_token(
    State(endpoint): State<Arc<TokenEndpoint>>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    tokio::time::sleep(endpoint.delay).await;
    endpoint.forms.lock().unwrap().push(form);
    let n = endpoint.issued.fetch_add(1, Ordering::SeqCst) + 1;
    axum::Json(json!({
        "token_type": "Bearer",
        "expires_in": endpoint.expires_in,
        "ext_expires_in": endpoint.expires_in,
        "access_token": format!("token-{n}"),
    }))
    .into_response()
}

/// One request the scripted API received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Seen {
    /// The bearer token the request carried.
    pub fn bearer(&self) -> Option<&str> {
        self.headers
            .get("authorization")?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")
    }

    /// A request header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }
}

type Respond = dyn Fn(usize, &Seen) -> Response + Send + Sync;

/// An API that answers every path with `respond(n, request)` (n counts from 0) and records the requests.
pub struct ScriptedApi {
    seen: Mutex<Vec<Seen>>,
    respond: Box<Respond>,
}

impl ScriptedApi {
    /// An API answering with `respond`.
    pub fn new(respond: impl Fn(usize, &Seen) -> Response + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(ScriptedApi {
            seen: Mutex::new(Vec::new()),
            respond: Box::new(respond),
        })
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }

    /// The routes: everything the token endpoint does not take.
    pub fn router(self: &Arc<Self>) -> Router {
        Router::new().fallback(answer).with_state(Arc::clone(self))
    }
}

async fn answer(
    State(api): State<Arc<ScriptedApi>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let seen = Seen {
        at: Instant::now(),
        method,
        uri,
        headers,
        body,
    };
    let n = {
        let mut all = api.seen.lock().unwrap();
        all.push(seen.clone());
        all.len() - 1
    };
    (api.respond)(n, &seen)
}

/// Starts a token endpoint and a scripted API on one server; returns its base URL.
pub async fn start(tokens: &Arc<TokenEndpoint>, api: &Arc<ScriptedApi>) -> String {
    serve(tokens.router().merge(api.router())).await
}

/// A client of `api` behind a fresh token endpoint, and the base URL they share.
pub async fn client_for(api: &Arc<ScriptedApi>) -> (ApiClient, String) {
    let base = start(&TokenEndpoint::new(3600), api).await;
    (ApiClient::new(&config(&base)).unwrap(), base)
}

/// The error a GET of `{base}/x` ends with (the test's API is scripted to fail it).
pub async fn get_error(client: &ApiClient, base: &str) -> ClientError {
    client
        .get_json::<serde_json::Value>(&format!("{base}/x"))
        .await
        .unwrap_err()
}
