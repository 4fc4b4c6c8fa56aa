//! Graph's error body: `{"error": {"code", "message", "innerError": {"request-id", "date", ...}}}`.

use serde::{Deserialize, Serialize};
use serde_json::Map;

use crate::wire::wire_struct;
use crate::{Field, Timestamp, wire_enum};

wire_enum! {
    /// The top-level error codes Graph documents; a client must handle every one of them.
    pub enum ErrorCode {
        /// The caller may not perform the action.
        AccessDenied => "accessDenied",
        /// The app or user was throttled.
        ActivityLimitReached => "activityLimitReached",
        /// The request could not be forwarded (for example an on-premises mailbox).
        ExtensionError => "extensionError",
        /// An unspecified error.
        GeneralException => "generalException",
        /// The byte range is invalid or unavailable.
        InvalidRange => "invalidRange",
        /// The request is malformed or incorrect.
        InvalidRequest => "invalidRequest",
        /// The resource does not exist.
        ItemNotFound => "itemNotFound",
        /// The resource holds malware.
        MalwareDetected => "malwareDetected",
        /// The name is taken.
        NameAlreadyExists => "nameAlreadyExists",
        /// The system does not allow the action.
        NotAllowed => "notAllowed",
        /// The system does not support the request.
        NotSupported => "notSupported",
        /// The resource changed since the caller read it.
        ResourceModified => "resourceModified",
        /// The delta token is no longer valid.
        ResyncRequired => "resyncRequired",
        /// The service is unavailable; retry after a delay.
        ServiceNotAvailable => "serviceNotAvailable",
        /// The sync state was not found.
        SyncStateNotFound => "syncStateNotFound",
        /// A quota was reached.
        QuotaLimitReached => "quotaLimitReached",
        /// The caller is not authenticated.
        Unauthenticated => "unauthenticated",
    }
}

/// A Graph error response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorResponse {
    /// The error.
    pub error: ErrorBody,
}

impl ErrorResponse {
    /// An error body dated now, for the request `request_id`.
    pub fn new(code: ErrorCode, message: impl Into<String>, request_id: impl Into<String>) -> Self {
        let inner = InnerError {
            request_id: Field::Value(request_id.into()),
            date: Field::Value(Timestamp::now()),
            ..InnerError::default()
        };
        ErrorResponse {
            error: ErrorBody {
                code,
                message: message.into(),
                inner_error: Field::Value(inner),
                extra: Map::new(),
            },
        }
    }

    /// Echoes the caller's `client-request-id` header in the body, as Graph does.
    pub fn with_client_request_id(mut self, client_request_id: impl Into<String>) -> Self {
        let mut inner = self.error.inner_error.into_option().unwrap_or_default();
        inner.client_request_id = Field::Value(client_request_id.into());
        self.error.inner_error = Field::Value(inner);
        self
    }
}

wire_struct! {
    /// The `error` member of a Graph error response.
    pub struct ErrorBody {
        /// What went wrong, for programs to branch on.
        required code: ErrorCode,
        /// What went wrong, for developers to read.
        required message: String,
        /// Request details and more specific codes (read from `innererror` too).
        #[serde(rename = "innerError", alias = "innererror")]
        inner_error: InnerError,
    }
}

wire_struct! {
    /// The `innerError` member: the request's identifiers, its time, and possibly a more specific error.
    #[derive(Default)]
    pub struct InnerError {
        /// A more specific error code.
        code: String,
        /// The identifier the service gave the request.
        #[serde(rename = "request-id")]
        request_id: String,
        /// The identifier the client gave the request.
        #[serde(rename = "client-request-id")]
        client_request_id: String,
        /// When the error happened.
        date: Timestamp,
        /// A still more specific error.
        #[serde(rename = "innerError", alias = "innererror")]
        inner_error: Box<InnerError>,
    }
}
