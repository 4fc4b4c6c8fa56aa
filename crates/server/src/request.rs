//! Per-request bookkeeping: request ids, the tracing log line, and the figures `/metrics` reports.
//!
//! Graph answers every request with `request-id` and `client-request-id` headers and repeats them in
//! error bodies, so support can match a failure to a log line. The ids live in a task-local for the
//! duration of the request, which lets [`crate::ApiError`] read them without being handed the request.
//! The client's address lives beside them ([`current_peer`]), for the failed-authentication throttle.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::IncomingStream;

use crate::metrics::Metrics;

/// The ids of the request being answered.
#[derive(Debug, Clone, Default)]
pub struct RequestIds {
    /// The id Tandem gave the request (a UUID).
    pub request_id: String,
    /// The id the client sent in `client-request-id`, or the request id when it sent none.
    pub client_request_id: String,
}

tokio::task_local! {
    static CURRENT: RequestIds;
    static PEER: Option<IpAddr>;
}

/// The address of a connection's client, as both of Tandem's listeners (plain TCP and TLS) report it.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub SocketAddr);

impl Connected<IncomingStream<'_, tokio::net::TcpListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

impl Connected<IncomingStream<'_, crate::tls::TlsListener>> for PeerAddr {
    fn connect_info(stream: IncomingStream<'_, crate::tls::TlsListener>) -> Self {
        PeerAddr(*stream.remote_addr())
    }
}

/// The address of the client whose request this task is answering (`None` outside a request, or
/// when the server was not told the peer's address).
pub fn current_peer() -> Option<IpAddr> {
    PEER.try_with(|peer| *peer).ok().flatten()
}

impl RequestIds {
    /// The ids of the request this task is answering; fresh ids outside a request.
    pub fn current() -> RequestIds {
        CURRENT
            .try_with(Clone::clone)
            .unwrap_or_else(|_| RequestIds::for_client(None))
    }

    fn for_client(client_request_id: Option<&str>) -> RequestIds {
        let request_id = uuid::Uuid::new_v4().to_string();
        let client_request_id = client_request_id.map_or_else(|| request_id.clone(), str::to_owned);
        RequestIds {
            request_id,
            client_request_id,
        }
    }
}

/// Middleware: gives the request its ids, logs it (health and metrics polls at debug level only), and
/// records it in `metrics`.
pub async fn observe(
    State(metrics): State<Arc<Metrics>>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let client_id = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok());
    let ids = RequestIds::for_client(client_id);
    let peer = request
        .extensions()
        .get::<ConnectInfo<PeerAddr>>()
        .map(|info| info.0.0.ip());
    let mut response = CURRENT
        .scope(ids.clone(), PEER.scope(peer, next.run(request)))
        .await;
    let elapsed = started.elapsed();
    let status = response.status();
    metrics.record(method.as_str(), &route, status.as_u16(), elapsed);
    let elapsed_ms = elapsed.as_secs_f64() * 1000.0;
    let status_code = status.as_u16();
    if matches!(route.as_str(), "/healthz" | "/metrics") {
        tracing::debug!(%method, %path, status = status_code, elapsed_ms, "request");
    } else {
        let request_id = ids.request_id.as_str();
        tracing::info!(%method, %path, status = status_code, elapsed_ms, request_id, "request");
    }
    let headers = response.headers_mut();
    for (name, value) in [
        ("request-id", ids.request_id),
        ("client-request-id", ids.client_request_id),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}

/// The base URL a client used to reach this server, as `scheme://host[:port]`, for the absolute links
/// the APIs return (`@odata.nextLink`, `nextLink`, `@odata.context`).
///
/// The scheme is `https` when the request says so in `X-Forwarded-Proto` (set by Tandem's own TLS
/// listener, or by a TLS-terminating proxy in front of it), else `http`.
pub fn request_base_url(headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let https = headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"));
    format!("{}://{host}", if https { "https" } else { "http" })
}

#[cfg(test)]
mod base_url_tests {
    use axum::http::{HeaderMap, HeaderValue, header::HOST};

    use super::request_base_url;

    #[test]
    fn base_url_follows_host_and_forwarded_scheme() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static("127.0.0.1:8720"));
        assert_eq!(request_base_url(&headers), "http://127.0.0.1:8720");
        headers.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        assert_eq!(request_base_url(&headers), "https://127.0.0.1:8720");
    }
}
