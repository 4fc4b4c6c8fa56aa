//! What can go wrong while syncing one item, sorted by what the engine does about it.

use tandem_client::ClientError;

use crate::sides::graph::mapping::GraphMappingError;
use crate::sides::sentinel::mapping::SentinelMappingError;
use crate::store::StoreError;

/// A failure while syncing.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A call to the XDR, the SIEM or the ingestion endpoint failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An XDR incident could not be read.
    #[error(transparent)]
    Graph(#[from] GraphMappingError),
    /// A SIEM incident could not be read.
    #[error(transparent)]
    Sentinel(#[from] SentinelMappingError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The XDR incident of a pair no longer exists.
    #[error("XDR incident {0} no longer exists")]
    Gone(String),
    /// A write that failed waits for its next attempt.
    #[error("a write for XDR incident {xdr_id} waits until {until} before its next attempt")]
    Backoff {
        /// The pair's XDR incident.
        xdr_id: String,
        /// When it may be tried again (the connector's clock).
        until: String,
    },
    /// A write failed on every attempt it had, or was refused for good, and was set aside.
    #[error("write set aside after {attempts} attempt(s): {error}")]
    GaveUp {
        /// Attempts made.
        attempts: u32,
        /// The latest failure.
        error: String,
    },
}

/// What to do about a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The target moved on under an `If-Match` (409/412): read again and reconcile again.
    Reread,
    /// Retrying will not help (bad data, a refused value): set the item aside and carry on.
    Poison,
    /// Worth retrying later (network, throttling, a server error, the store).
    Transient,
}

impl EngineError {
    /// How the engine handles this failure.
    pub fn disposition(&self) -> Disposition {
        match self {
            EngineError::Client(e) if e.is_conflict() || e.is_precondition_failed() => {
                Disposition::Reread
            }
            EngineError::Client(e) => match e.status().map(|s| s.as_u16()) {
                Some(400 | 404 | 405 | 413 | 415 | 422) => Disposition::Poison,
                _ if matches!(e, ClientError::Decode { .. } | ClientError::Encode(_)) => {
                    Disposition::Poison
                }
                _ => Disposition::Transient,
            },
            EngineError::Graph(_)
            | EngineError::Sentinel(_)
            | EngineError::Gone(_)
            | EngineError::GaveUp { .. } => Disposition::Poison,
            EngineError::Store(_) | EngineError::Backoff { .. } => Disposition::Transient,
        }
    }
}

#[cfg(test)]
mod tests {
    use reqwest::{Method, StatusCode};
    use tandem_client::StatusError;

    use super::*;

    fn status(code: u16) -> EngineError {
        EngineError::Client(ClientError::Status(Box::new(StatusError {
            method: Method::PUT,
            url: "http://siem.test/incidents/x".into(),
            status: StatusCode::from_u16(code).unwrap(),
            service_error: None,
            body: String::new(),
            retry_after: None,
            attempts: 1,
        })))
    }

    #[test]
    fn failures_are_sorted_by_what_helps() {
        assert_eq!(status(409).disposition(), Disposition::Reread);
        assert_eq!(status(412).disposition(), Disposition::Reread);
        assert_eq!(status(400).disposition(), Disposition::Poison);
        assert_eq!(status(404).disposition(), Disposition::Poison);
        assert_eq!(status(429).disposition(), Disposition::Transient);
        assert_eq!(status(503).disposition(), Disposition::Transient);
        assert_eq!(status(401).disposition(), Disposition::Transient);
        assert_eq!(
            EngineError::Gone("42".into()).disposition(),
            Disposition::Poison
        );
    }
}
