//! What can go wrong calling an API, typed so that callers can act on it: a missing resource (404), an
//! etag conflict (409 or 412) and throttling each look different, and the service's own error code and
//! message (`{"error": {"code", "message"}}`, the shape Graph, ARM and Logs Ingestion share) come along.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::Deserialize;
use tandem_model::{ParseError, parse_json};

use crate::token::TokenError;

/// How much of an unreadable error body is kept for the message.
const BODY_EXCERPT_CHARS: usize = 2_048;

/// The `error` object of a Graph, ARM or Logs Ingestion error response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServiceError {
    /// The machine-readable code, such as `itemNotFound`, `ResourceNotFound` or `PreconditionFailed`.
    pub code: String,
    /// The developer-facing message.
    #[serde(default)]
    pub message: String,
}

/// The two shapes error bodies come in: wrapped in `error` (Graph, ARM, Logs Ingestion) or bare (some
/// ARM gateways).
#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorBody {
    Wrapped { error: ServiceError },
    Bare(ServiceError),
}

impl ServiceError {
    /// Reads `{"error": {"code": …, "message": …}}` or a bare `{"code": …, "message": …}`; `None` for any
    /// other body.
    pub fn from_body(body: &[u8]) -> Option<ServiceError> {
        match parse_json::<ErrorBody>(body).ok()? {
            ErrorBody::Wrapped { error } | ErrorBody::Bare(error) => Some(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_errors_are_read_wrapped_or_bare() {
        let graph =
            br#"{"error":{"code":"itemNotFound","message":"gone","innerError":{"date":"x"}}}"#;
        let bare = br#"{"code":"ResourceNotFound","message":"missing"}"#;
        let read = |body: &[u8]| ServiceError::from_body(body).map(|e| (e.code, e.message));
        assert_eq!(read(graph), Some(("itemNotFound".into(), "gone".into())));
        assert_eq!(
            read(bare),
            Some(("ResourceNotFound".into(), "missing".into()))
        );
        assert_eq!(read(br#"{"error":"invalid_grant"}"#), None);
        assert_eq!(read(b"<html>busy</html>"), None);
    }
}

/// A failed API call.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an error status (after any retries the policy allowed).
    #[error(transparent)]
    Status(Box<StatusError>),
    /// The request could not be sent or its response not read (connection, TLS, timeout).
    #[error("{method} {url}: {source} after {attempts} attempt(s)")]
    Transport {
        /// The request method.
        method: Method,
        /// The request URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
        /// Attempts made.
        attempts: u32,
    },
    /// No token could be had.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The response body is not what the caller expected.
    #[error("{method} {url}: unreadable response: {source}")]
    Decode {
        /// The request method.
        method: Method,
        /// The request URL.
        url: String,
        /// The offending field.
        source: ParseError,
    },
    /// The request body could not be written as JSON.
    #[error("cannot encode the request body: {0}")]
    Encode(#[source] std::io::Error),
    /// A URL (given, or a next link) is not usable.
    #[error("bad URL {url:?}: {reason}")]
    Url {
        /// The offending URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// An error response: the request, the status and what the body said.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{method} {url}: HTTP {status}{} after {attempts} attempt(s)", describe(.service_error, .body))]
pub struct StatusError {
    /// The request method.
    pub method: Method,
    /// The request URL.
    pub url: String,
    /// The status of the last response.
    pub status: StatusCode,
    /// The service's error code and message, when the body had them.
    pub service_error: Option<ServiceError>,
    /// The start of the body, kept when it was not a service error.
    pub body: String,
    /// What `Retry-After` asked for, if the server sent it.
    pub retry_after: Option<Duration>,
    /// Attempts made.
    pub attempts: u32,
}

fn describe(service_error: &Option<ServiceError>, body: &str) -> String {
    match service_error {
        Some(e) => format!(" ({}: {})", e.code, e.message),
        None if body.is_empty() => String::new(),
        None => format!(" ({body})"),
    }
}

impl ClientError {
    /// The HTTP status, for errors that have one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Status(e) => Some(e.status),
            ClientError::Token(
                TokenError::Rejected { status, .. } | TokenError::Status { status, .. },
            ) => Some(*status),
            _ => None,
        }
    }

    /// The service's error code and message, for error responses that had them.
    pub fn service_error(&self) -> Option<&ServiceError> {
        match self {
            ClientError::Status(e) => e.service_error.as_ref(),
            _ => None,
        }
    }

    /// True for 404 Not Found from the API.
    pub fn is_not_found(&self) -> bool {
        self.api_status() == Some(StatusCode::NOT_FOUND)
    }

    /// True for 409 Conflict from the API (ARM answers a stale etag with 409 as well as 412).
    pub fn is_conflict(&self) -> bool {
        self.api_status() == Some(StatusCode::CONFLICT)
    }

    /// True for 412 Precondition Failed from the API (an `If-Match` etag that no longer matches).
    pub fn is_precondition_failed(&self) -> bool {
        self.api_status() == Some(StatusCode::PRECONDITION_FAILED)
    }

    /// True when the last response was throttling (429, or 503).
    pub fn is_throttled(&self) -> bool {
        self.api_status().is_some_and(crate::retry::is_throttle)
    }

    fn api_status(&self) -> Option<StatusCode> {
        match self {
            ClientError::Status(e) => Some(e.status),
            _ => None,
        }
    }
}

/// The start of a body as text, for error messages.
pub(crate) fn truncated_text(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(BODY_EXCERPT_CHARS)
        .collect()
}
