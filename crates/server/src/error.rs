//! Error bodies in the shape of the service that answers.
//!
//! Tandem's XDR speaks Microsoft Graph, whose errors look like
//! `{"error":{"code","message","innerError":{"date","request-id","client-request-id"}}}`, and its SIEM
//! speaks Azure Resource Manager, whose errors look like `{"error":{"code","message"}}`. Clients (and
//! Microsoft's SDKs) parse these bodies, so every error the shared layers produce (401, 403, 404, 429 ...)
//! is rendered in the style of the service it belongs to.

use axum::Json;
use axum::http::StatusCode;
use axum::http::header::{HeaderName, HeaderValue, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tandem_model::graph;
use tandem_model::sentinel::CloudError;

use crate::request::RequestIds;

/// Which wire family an error body follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorStyle {
    /// Microsoft Graph: `code`, `message` and an `innerError` with date and request ids.
    Graph,
    /// Azure Resource Manager: `code` and `message`.
    Arm,
}

/// An HTTP error answer: status, code and message, rendered in an [`ErrorStyle`].
#[derive(Debug, Clone, thiserror::Error)]
#[error("{status} {code}: {message}")]
pub struct ApiError {
    style: ErrorStyle,
    status: StatusCode,
    code: String,
    message: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with any status, code and message.
    pub fn new(
        style: ErrorStyle,
        status: StatusCode,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ApiError {
            style,
            status,
            code: code.into(),
            message: message.into(),
            headers: Vec::new(),
        }
    }

    /// 400: the request is malformed; `message` names the field and the offending value.
    pub fn bad_request(style: ErrorStyle, message: impl Into<String>) -> Self {
        Self::new(style, StatusCode::BAD_REQUEST, "BadRequest", message)
    }

    /// 401: the bearer token is missing or not valid here. Carries `WWW-Authenticate: Bearer`.
    pub fn unauthorized(style: ErrorStyle, message: impl Into<String>) -> Self {
        Self::new(
            style,
            StatusCode::UNAUTHORIZED,
            "InvalidAuthenticationToken",
            message,
        )
        .with_header(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"))
    }

    /// 403: the caller is known but lacks the role the operation needs.
    pub fn forbidden(style: ErrorStyle, message: impl Into<String>) -> Self {
        let code = match style {
            ErrorStyle::Graph => "Forbidden",
            ErrorStyle::Arm => "AuthorizationFailed",
        };
        Self::new(style, StatusCode::FORBIDDEN, code, message)
    }

    /// 404: no such resource (or no such route).
    pub fn not_found(style: ErrorStyle, message: impl Into<String>) -> Self {
        let code = match style {
            ErrorStyle::Graph => "itemNotFound",
            ErrorStyle::Arm => "NotFound",
        };
        Self::new(style, StatusCode::NOT_FOUND, code, message)
    }

    /// 429: the caller spent its request budget; `retry_after_secs` goes into `Retry-After`.
    pub fn too_many_requests(style: ErrorStyle, retry_after_secs: u64) -> Self {
        let message = format!(
            "Too many requests; the request budget is spent. Retry after {retry_after_secs} seconds."
        );
        Self::new(
            style,
            StatusCode::TOO_MANY_REQUESTS,
            "TooManyRequests",
            message,
        )
        .with_header(RETRY_AFTER, HeaderValue::from(retry_after_secs))
    }

    /// 500: something on the server side failed. The `cause` goes to the log beside the request id;
    /// the body carries only that id, so a client never learns the store's internals.
    pub fn internal(style: ErrorStyle, cause: impl std::fmt::Display) -> Self {
        let code = match style {
            ErrorStyle::Graph => "generalException",
            ErrorStyle::Arm => "InternalServerError",
        };
        let request_id = RequestIds::current().request_id;
        tracing::error!(%cause, %request_id, "internal error");
        let message = format!(
            "An internal server error occurred. Quote request id {request_id} to the operator."
        );
        Self::new(style, StatusCode::INTERNAL_SERVER_ERROR, code, message)
    }

    /// Adds a response header (for example `Retry-After` or `ETag`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.push((name, value));
        self
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code written into the body.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The message written into the body.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The style the body is rendered in.
    pub fn style(&self) -> ErrorStyle {
        self.style
    }

    /// The JSON body, with the request ids of the request being answered (when there is one).
    pub fn body(&self) -> Value {
        let body = match self.style {
            ErrorStyle::Arm => serde_json::to_value(CloudError::new(&self.code, &self.message)),
            ErrorStyle::Graph => {
                let ids = RequestIds::current();
                let code = graph::ErrorCode::from_wire(&self.code);
                let response = graph::ErrorResponse::new(code, &self.message, ids.request_id)
                    .with_client_request_id(ids.client_request_id);
                serde_json::to_value(response)
            }
        };
        body.unwrap_or_else(|_| json!({"error": {"code": self.code, "message": self.message}}))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        let headers = response.headers_mut();
        for (name, value) in self.headers {
            headers.append(name, value);
        }
        response
    }
}

/// Why a server could not start or keep running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Reading or writing a file in the data dir (or the config file) failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: std::path::PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A JSON file in the data dir does not parse.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: std::path::PathBuf,
        /// The parse error (it names the line and column).
        source: serde_json::Error,
    },
    /// The config file does not parse.
    #[error("config file {path}: {source}")]
    Config {
        /// The config file.
        path: std::path::PathBuf,
        /// The parse error.
        source: Box<toml::de::Error>,
    },
    /// A value is not acceptable; the message names the field and the value.
    #[error("{0}")]
    Invalid(String),
    /// The signing key could not be generated, read or used.
    #[error("signing key: {0}")]
    Key(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {listen}: {source}")]
    Bind {
        /// The address given.
        listen: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Plain HTTP was asked for on an address other than loopback.
    #[error(
        "refusing to serve plain HTTP on {listen}: it is not a loopback address, so tokens and client secrets would cross the network unencrypted. Add --tls (HTTPS with a certificate from a local CA kept in the data dir; --tls-name HOST adds the name clients use), or --tls-cert FILE --tls-key FILE to use your own certificate, or --insecure-http to serve plain HTTP anyway"
    )]
    PlainHttpOffLoopback {
        /// The `--listen` value.
        listen: String,
    },
    /// The HTTP server stopped with an error.
    #[error("server: {0}")]
    Serve(std::io::Error),
}

impl ServerError {
    /// An I/O error on `path`.
    pub fn io(path: &std::path::Path, source: std::io::Error) -> Self {
        ServerError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arm_body_has_code_and_message_only() {
        let error = ApiError::forbidden(ErrorStyle::Arm, "no");
        assert_eq!(
            error.body(),
            json!({"error": {"code": "AuthorizationFailed", "message": "no"}})
        );
    }

    #[test]
    fn graph_body_carries_request_ids_and_date() {
        let body = ApiError::not_found(ErrorStyle::Graph, "gone").body();
        assert_eq!(body["error"]["code"], "itemNotFound");
        assert_eq!(body["error"]["message"], "gone");
        let inner = &body["error"]["innerError"];
        for key in ["request-id", "client-request-id", "date"] {
            assert!(
                inner[key].as_str().is_some_and(|v| !v.is_empty()),
                "{key}: {body}"
            );
        }
    }

    #[test]
    fn internal_errors_name_the_request_and_nothing_else() {
        let error = ApiError::internal(ErrorStyle::Arm, "SQLite: Expression tree is too large");
        assert_eq!(error.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!error.message().contains("SQLite"), "{}", error.message());
        assert!(
            error.message().contains("request id"),
            "{}",
            error.message()
        );
    }

    #[test]
    fn throttled_response_carries_retry_after() {
        let response = ApiError::too_many_requests(ErrorStyle::Graph, 7).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "7");
    }
}
