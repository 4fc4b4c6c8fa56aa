//! Deterministic names for everything the connector creates.
//!
//! The SIEM twin of an XDR incident, and each comment mirrored into the SIEM, are named by a UUIDv5 of
//! their origin in a fixed Tandem namespace. Creating them is therefore an idempotent PUT: a replay after a
//! crash finds the same resource instead of making a second one.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::model::CommentOrigin;

/// The namespace of every name Tandem derives. Never change it: existing twins would be orphaned.
pub const TANDEM_NAMESPACE: Uuid = Uuid::from_u128(0xf7dd6254_ffd9_4407_be15_0c9bd38c96fb);

/// The identity of a synced pair: a tenant and an XDR incident id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PairKey {
    /// The XDR tenant (Entra tenant id).
    pub tenant: String,
    /// The XDR incident id.
    pub xdr_id: String,
}

impl PairKey {
    /// A pair key.
    pub fn new(tenant: impl Into<String>, xdr_id: impl Into<String>) -> Self {
        PairKey {
            tenant: tenant.into(),
            xdr_id: xdr_id.into(),
        }
    }

    /// The SIEM incident name (the ARM resource name) of this pair's twin.
    pub fn siem_incident_name(&self) -> Uuid {
        tandem_model::mapping::siem_incident_name(&self.tenant, &self.xdr_id)
    }

    /// The SIEM comment name for a comment mirrored into this pair's twin.
    pub fn siem_comment_name(&self, origin: &CommentOrigin) -> Uuid {
        derive_name(&[
            "comment",
            &self.tenant,
            &self.xdr_id,
            origin.side.as_str(),
            &origin.id,
        ])
    }
}

/// A UUIDv5 of the parts, length-prefixed so that no two part lists share an encoding.
pub(crate) fn derive_name(parts: &[&str]) -> Uuid {
    let mut bytes = Vec::new();
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    Uuid::new_v5(&TANDEM_NAMESPACE, &bytes)
}
