//! A fault-injecting HTTP proxy in front of a real `tandem xdr` or `tandem siem`: it forwards every
//! request, but answers some with `429 Too Many Requests` and `Retry-After: 1`, some with `503` (not
//! forwarded), and loses the answer of some others (forwarded, then answered `500`, as when a
//! response is lost after the server acted). It can also refuse every write to paths containing a given
//! text. Every request is recorded with its instant, its client (its bearer token) and the answer.
//! Token requests are forwarded untouched: the identity platform is another service.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Which requests fail, by their number among the proxied (non-token) requests, counting from 1.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every n-th request gets `429` with `Retry-After: 1`.
    pub throttle_every: Option<usize>,
    /// Every n-th request gets `503` without being forwarded.
    pub unavailable_every: Option<usize>,
    /// Every n-th request is forwarded, and its answer replaced by `500`.
    pub lose_answer_every: Option<usize>,
    /// Every PUT, PATCH or POST whose path contains this text gets `503`.
    pub refuse_writes_to: Option<String>,
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// When it arrived.
    pub at: Instant,
    /// Its bearer token, or `token` for token requests.
    pub client: String,
    /// `METHOD path`.
    pub request: String,
    /// The status the proxy answered.
    pub status: u16,
    /// The `Retry-After` the proxy sent, if any.
    pub retry_after: Option<Duration>,
}

struct Inner {
    upstream: String,
    faults: Faults,
    http: reqwest::Client,
    seen: Mutex<Vec<Seen>>,
}

/// A running proxy.
#[derive(Clone)]
pub struct FaultProxy {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    inner: Arc<Inner>,
}

/// What one request's fault is, if any.
enum Fault {
    Throttle,
    Unavailable,
    LoseAnswer,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (a base URL) on a free loopback port.
    pub async fn start(upstream: &str, faults: Faults) -> FaultProxy {
        let inner = Arc::new(Inner {
            upstream: upstream.trim_end_matches('/').to_owned(),
            faults,
            http: reqwest::Client::new(),
            seen: Mutex::new(Vec::new()),
        });
        let router = axum::Router::new()
            .fallback(handle)
            .with_state(Arc::clone(&inner));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        tokio::spawn(async move { axum::serve(listener, router).await });
        FaultProxy { url, inner }
    }

    /// Every request so far, in arrival order.
    pub fn seen(&self) -> Vec<Seen> {
        self.inner.seen.lock().expect("the log").clone()
    }
}

async fn handle(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let arrived = Instant::now();
    let (parts, body) = request.into_parts();
    let path = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path().to_owned(), |p| p.as_str().to_owned());
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let is_token = parts.uri.path().ends_with("/oauth2/v2.0/token");
    let client = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map_or_else(|| "token".to_owned(), str::to_owned);
    let fault = if is_token {
        None
    } else {
        inner.fault(&parts.method, &path)
    };
    let record = |status: u16, retry_after: Option<Duration>| {
        inner.seen.lock().expect("the log").push(Seen {
            at: arrived,
            client: client.clone(),
            request: format!("{} {path}", parts.method),
            status,
            retry_after,
        });
    };
    match fault {
        Some(Fault::Throttle) => {
            record(429, Some(Duration::from_secs(1)));
            let mut response = StatusCode::TOO_MANY_REQUESTS.into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            response
        }
        Some(Fault::Unavailable) => {
            record(503, None);
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
        Some(Fault::LoseAnswer) => {
            let _ = inner
                .forward(&parts.method, &path, &parts.headers, body)
                .await;
            record(500, None);
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        None => {
            let response = inner
                .forward(&parts.method, &path, &parts.headers, body)
                .await;
            record(response.status().as_u16(), None);
            response
        }
    }
}

impl Inner {
    /// The fault for the next proxied request, counting it.
    fn fault(&self, method: &Method, path: &str) -> Option<Fault> {
        let number = self
            .seen
            .lock()
            .expect("the log")
            .iter()
            .filter(|s| s.client != "token")
            .count()
            + 1;
        let every = |n: Option<usize>| n.is_some_and(|n| number % n == 0);
        let write = matches!(*method, Method::PUT | Method::PATCH | Method::POST);
        let refused = self
            .faults
            .refuse_writes_to
            .as_deref()
            .is_some_and(|text| write && path.contains(text));
        if every(self.faults.throttle_every) {
            Some(Fault::Throttle)
        } else if refused || every(self.faults.unavailable_every) {
            Some(Fault::Unavailable)
        } else if every(self.faults.lose_answer_every) {
            Some(Fault::LoseAnswer)
        } else {
            None
        }
    }

    /// Sends the request upstream and relays the answer.
    async fn forward(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Response {
        let mut request = self
            .http
            .request(method.clone(), format!("{}{path}", self.upstream))
            .body(body);
        for (name, value) in headers {
            if name != header::CONTENT_LENGTH && name != header::CONNECTION {
                request = request.header(name, value);
            }
        }
        let Ok(answer) = request.send().await else {
            return StatusCode::BAD_GATEWAY.into_response();
        };
        let status = answer.status();
        let headers = answer.headers().clone();
        let body = answer.bytes().await.unwrap_or_default();
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = status;
        for (name, value) in &headers {
            if name != header::CONTENT_LENGTH
                && name != header::TRANSFER_ENCODING
                && name != header::CONNECTION
            {
                response.headers_mut().append(name, value.clone());
            }
        }
        response
    }
}
