//! What can go wrong while syncing one item, sorted by what the engine does about it.

use tandem_client::ClientError;

use crate::graph::mapping::GraphMappingError;
use crate::sentinel::mapping::SentinelMappingError;
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
            EngineError::Graph(_) | EngineError::Sentinel(_) | EngineError::Gone(_) => {
                Disposition::Poison
            }
            EngineError::Store(_) => Disposition::Transient,
        }
    }
}
