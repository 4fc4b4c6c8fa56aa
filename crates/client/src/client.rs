//! [`ApiClient`]: authenticated JSON calls to a Graph-, ARM- or Logs-Ingestion-shaped API with retries.
//!
//! Every request carries a bearer token from the client's [`TokenSource`]. Failures are retried within
//! the client's [`RetryPolicy`]:
//!
//! - `429` and `503` wait for `Retry-After` when the server sends it, and back off otherwise;
//! - other `5xx`, `408`, timeouts and broken connections back off exponentially with full jitter;
//! - `401` drops the token, fetches a new one and repeats the request once, without waiting.
//!
//! A `Retry-After` holds back the whole client, not just the request that got it: every request sent
//! through the same [`ApiClient`] (and its clones) waits until the time the server named, so a caller
//! with several requests in flight does not keep hitting a server that asked it to pause.
//!
//! Repeating a request that the server may already have acted on is only safe when acting twice is the
//! same as acting once. GET, HEAD, PUT, DELETE and OPTIONS are idempotent and are retried on every
//! failure above. POST and PATCH are retried only where the server provably did not act on the first
//! attempt: a connection that could not be opened, a `401` (refused before any work) and a `429`
//! (refused as throttled); a caller that knows a POST or PATCH is safe to repeat (an ingestion batch
//! the receiver deduplicates, a PATCH that sets absolute values) marks it with
//! [`ApiRequest::retry_safe`] to get the full policy.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::SystemTime;

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_model::parse_json;

use crate::config::{ClientConfig, ConfigError};
use crate::counters::ClientCounters;
use crate::error::{ClientError, ServiceError, StatusError, truncated_text};
use crate::retry::{Attempt, Exchange, RetryPolicy, Wait, exchange, is_throttle, retry_after};
use crate::token::{AccessToken, TokenSource};

/// A client for one API: its tokens, its retry policy and its counters. Cheap to clone; clones share all
/// three.
#[derive(Debug, Clone)]
pub struct ApiClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    tokens: TokenSource,
    retry: RetryPolicy,
    counters: Arc<ClientCounters>,
    /// No request goes out before this instant: the latest `Retry-After` the server sent.
    paused_until: std::sync::Mutex<Option<tokio::time::Instant>>,
}

/// Headers the client sets from the token and the request's settings; [`ApiRequest::header`] cannot
/// override them.
pub const CLIENT_HEADERS: [HeaderName; 5] = [
    header::AUTHORIZATION,
    header::ACCEPT,
    header::CONTENT_TYPE,
    header::CONTENT_ENCODING,
    header::IF_MATCH,
];

/// One request to send through [`ApiClient::send`].
#[derive(Debug, Clone)]
pub struct ApiRequest {
    method: Method,
    url: String,
    body: Option<Bytes>,
    gzip: bool,
    if_match: Option<String>,
    headers: HeaderMap,
    retry_safe: bool,
}

/// A successful (2xx) response, read in full.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    method: Method,
    url: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl ApiClient {
    /// A client for the API `config` describes. Reads the client secret and the CA file now, so that a
    /// bad config fails at startup rather than on the first request. No request is sent yet.
    pub fn new(config: &ClientConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        let http = config.http_client()?;
        let counters = Arc::new(ClientCounters::default());
        let tokens = TokenSource::new(config, http.clone(), Arc::clone(&counters))?;
        Ok(ApiClient {
            inner: Arc::new(Inner {
                http,
                tokens,
                retry: config.retry,
                counters,
                paused_until: std::sync::Mutex::new(None),
            }),
        })
    }

    /// The token source (for callers that need a bearer token outside [`ApiClient::send`]).
    pub fn tokens(&self) -> &TokenSource {
        &self.inner.tokens
    }

    /// Requests, retries, throttles and token requests so far.
    pub fn counters(&self) -> &ClientCounters {
        &self.inner.counters
    }

    /// Sends `request` with a bearer token, retrying as the module documentation describes.
    pub async fn send(&self, request: ApiRequest) -> Result<ApiResponse, ClientError> {
        let url = Url::parse(&request.url).map_err(|e| ClientError::Url {
            url: request.url.clone(),
            reason: e.to_string(),
        })?;
        let body = request.encoded_body()?;
        let refreshed = AtomicBool::new(false);
        self.inner
            .retry
            .run(&self.inner.counters, |number| {
                self.attempt(&request, &url, body.clone(), number, &refreshed)
            })
            .await
    }

    /// GETs `url` and reads the JSON response as `T`.
    pub async fn get_json<T: DeserializeOwned>(&self, url: &str) -> Result<T, ClientError> {
        self.send(ApiRequest::get(url)).await?.json()
    }

    /// PUTs `body` as JSON, with `If-Match: if_match` when given, and reads the response as `T`.
    pub async fn put_json<B, T>(
        &self,
        url: &str,
        body: &B,
        if_match: Option<&str>,
    ) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.send_json(ApiRequest::put(url), body, if_match).await
    }

    /// PATCHes `body` as JSON, with `If-Match: if_match` when given, and reads the response as `T` (use
    /// `()` or `Option<_>` for services that answer `204 No Content`).
    pub async fn patch_json<B, T>(
        &self,
        url: &str,
        body: &B,
        if_match: Option<&str>,
    ) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.send_json(ApiRequest::patch(url), body, if_match).await
    }

    /// POSTs `body` as JSON and reads the response as `T`. Not repeated after the server may have acted;
    /// build an [`ApiRequest`] with [`ApiRequest::retry_safe`] (and [`ApiRequest::gzip`]) for more.
    pub async fn post_json<B, T>(&self, url: &str, body: &B) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.send_json(ApiRequest::post(url), body, None).await
    }

    /// Sends `request` with `body` as JSON (and `If-Match: if_match` when given) and reads the response as `T`.
    async fn send_json<B, T>(
        &self,
        request: ApiRequest,
        body: &B,
        if_match: Option<&str>,
    ) -> Result<T, ClientError>
    where
        B: Serialize + ?Sized,
        T: DeserializeOwned,
    {
        self.send(request.json(body)?.with_if_match(if_match))
            .await?
            .json()
    }

    /// DELETEs `url`, with `If-Match: if_match` when given.
    pub async fn delete(&self, url: &str, if_match: Option<&str>) -> Result<(), ClientError> {
        self.send(ApiRequest::delete(url).with_if_match(if_match))
            .await
            .map(drop)
    }

    async fn attempt(
        &self,
        request: &ApiRequest,
        url: &Url,
        body: Option<Bytes>,
        number: u32,
        refreshed: &AtomicBool,
    ) -> Attempt<ApiResponse, ClientError> {
        let token = match self.inner.tokens.token().await {
            Ok(token) => token,
            Err(e) => return Attempt::Finished(Err(e.into())),
        };
        self.wait_for_pause().await;
        self.inner.counters.count_request();
        let exchange = match exchange(self.build(request, url, &token, body)).await {
            Ok(exchange) => exchange,
            Err(source) => {
                return Attempt::after_transport_failure(source, request.may_repeat(), |source| {
                    ClientError::Transport {
                        method: request.method.clone(),
                        url: request.url.clone(),
                        source,
                        attempts: number,
                    }
                });
            }
        };
        if exchange.status.is_success() {
            return Attempt::Finished(Ok(ApiResponse {
                method: request.method.clone(),
                url: request.url.clone(),
                status: exchange.status,
                headers: exchange.headers,
                body: exchange.body,
            }));
        }
        let error = status_error(request, &exchange, number);
        if is_throttle(exchange.status) {
            self.pause_for(&exchange.headers);
        }
        if exchange.status == StatusCode::UNAUTHORIZED && !refreshed.swap(true, Ordering::Relaxed) {
            // The server refused the request before acting on it, so even a POST may go again.
            self.inner.tokens.invalidate(&token).await;
            return Attempt::Retry {
                error,
                wait: Wait::Immediately,
            };
        }
        // A 429 is a refusal too: the server did not act on the request.
        let refused = exchange.status == StatusCode::TOO_MANY_REQUESTS;
        let may_repeat = refused || request.may_repeat();
        Attempt::after_error_status(error, &exchange, may_repeat, &self.inner.counters)
    }

    /// Waits until the pause the server last asked for is over.
    async fn wait_for_pause(&self) {
        let until = *self.lock_pause();
        if let Some(until) = until {
            tokio::time::sleep_until(until).await;
        }
    }

    /// Holds back every request of this client for the `Retry-After` in `headers`, if any.
    fn pause_for(&self, headers: &HeaderMap) {
        let Some(delay) = retry_after(headers, SystemTime::now()) else {
            return;
        };
        // A pause longer than the retry budget ends the request that got it; later requests wait at
        // most the budget, then ask the server again.
        let delay = delay.min(std::time::Duration::from_millis(
            self.inner.retry.max_total_wait_ms,
        ));
        let Some(until) = tokio::time::Instant::now().checked_add(delay) else {
            return;
        };
        let mut paused = self.lock_pause();
        *paused = Some(paused.map_or(until, |current| current.max(until)));
    }

    fn lock_pause(&self) -> std::sync::MutexGuard<'_, Option<tokio::time::Instant>> {
        // The value is a plain instant: a panic elsewhere cannot leave it half-written.
        self.inner
            .paused_until
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn build(
        &self,
        request: &ApiRequest,
        url: &Url,
        token: &AccessToken,
        body: Option<Bytes>,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .inner
            .http
            .request(request.method.clone(), url.clone())
            .headers(request.extra_headers())
            .bearer_auth(token.secret().expose())
            .header(header::ACCEPT, "application/json");
        if let Some(etag) = &request.if_match {
            builder = builder.header(header::IF_MATCH, etag);
        }
        if let Some(body) = body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body);
            if request.gzip {
                builder =
                    builder.header(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            }
        }
        builder
    }
}

/// The typed error for an error response.
fn status_error(request: &ApiRequest, exchange: &Exchange, attempts: u32) -> ClientError {
    let service_error = ServiceError::from_body(&exchange.body);
    ClientError::Status(Box::new(StatusError {
        method: request.method.clone(),
        url: request.url.clone(),
        status: exchange.status,
        body: if service_error.is_some() {
            String::new()
        } else {
            truncated_text(&exchange.body)
        },
        service_error,
        retry_after: retry_after(&exchange.headers, SystemTime::now()),
        attempts,
    }))
}

impl ApiRequest {
    /// A request without a body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        ApiRequest {
            method,
            url: url.into(),
            body: None,
            gzip: false,
            if_match: None,
            headers: HeaderMap::new(),
            retry_safe: false,
        }
    }

    /// A GET request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new(Method::GET, url)
    }

    /// A PUT request.
    pub fn put(url: impl Into<String>) -> Self {
        Self::new(Method::PUT, url)
    }

    /// A PATCH request.
    pub fn patch(url: impl Into<String>) -> Self {
        Self::new(Method::PATCH, url)
    }

    /// A POST request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new(Method::POST, url)
    }

    /// A DELETE request.
    pub fn delete(url: impl Into<String>) -> Self {
        Self::new(Method::DELETE, url)
    }

    /// Sets a JSON body (`Content-Type: application/json`).
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, ClientError> {
        let bytes = serde_json::to_vec(body).map_err(|e| ClientError::Encode(e.into()))?;
        self.body = Some(Bytes::from(bytes));
        Ok(self)
    }

    /// Sends the body gzip-compressed with `Content-Encoding: gzip` (the Logs Ingestion API accepts it).
    pub fn gzip(mut self) -> Self {
        self.gzip = true;
        self
    }

    /// Sends `If-Match` with `etag` exactly as given (Sentinel etags include their quotes).
    pub fn if_match(mut self, etag: impl Into<String>) -> Self {
        self.if_match = Some(etag.into());
        self
    }

    /// Adds a header, such as `Prefer` or `x-ms-client-request-id`. The headers the client sets itself
    /// ([`CLIENT_HEADERS`]) cannot be given here: such a header is dropped.
    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Declares that repeating this request is harmless, so that a POST or PATCH gets the same retries as
    /// an idempotent method.
    pub fn retry_safe(mut self) -> Self {
        self.retry_safe = true;
        self
    }

    fn with_if_match(self, etag: Option<&str>) -> Self {
        match etag {
            Some(etag) => self.if_match(etag),
            None => self,
        }
    }

    /// The caller's headers, less those the client sets itself.
    fn extra_headers(&self) -> HeaderMap {
        let mut headers = self.headers.clone();
        for name in CLIENT_HEADERS {
            headers.remove(name);
        }
        headers
    }

    /// True when sending this request twice has the same effect as sending it once.
    fn may_repeat(&self) -> bool {
        self.retry_safe || self.method.is_idempotent()
    }

    /// The body as sent: compressed once here, not on every attempt.
    fn encoded_body(&self) -> Result<Option<Bytes>, ClientError> {
        match (&self.body, self.gzip) {
            (Some(body), true) => gzip(body).map(Some).map_err(ClientError::Encode),
            (body, _) => Ok(body.clone()),
        }
    }
}

fn gzip(body: &[u8]) -> std::io::Result<Bytes> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body)?;
    encoder.finish().map(Bytes::from)
}

impl ApiResponse {
    /// The status (always 2xx).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `ETag` header, verbatim.
    pub fn etag(&self) -> Option<&str> {
        self.headers.get(header::ETAG)?.to_str().ok()
    }

    /// The body (already decompressed).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Reads the body as JSON; an empty body reads as `null`, so `()` and `Option<_>` accept a
    /// `204 No Content`.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ClientError> {
        let body: &[u8] = if self.body.trim_ascii().is_empty() {
            b"null"
        } else {
            &self.body
        };
        parse_json(body).map_err(|source| ClientError::Decode {
            method: self.method.clone(),
            url: self.url.clone(),
            source,
        })
    }
}
