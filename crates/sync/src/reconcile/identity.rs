//! Deterministic names for everything the connector creates.
//!
//! The SIEM twin of an XDR incident, and each comment mirrored into the SIEM, are named by a UUIDv5 of
//! their origin in the fixed Tandem namespace ([`tandem_model::mapping::TANDEM_NAMESPACE`]). Creating them
//! is therefore an idempotent PUT: a replay after a crash finds the same resource instead of making a
//! second one. The twin's name comes from the model crate, so the XDR links to the same twin.

use serde::{Deserialize, Serialize};
use tandem_model::mapping::{derived_name, siem_incident_name};
use uuid::Uuid;

use super::model::CommentOrigin;

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
        siem_incident_name(&self.tenant, &self.xdr_id)
    }

    /// The SIEM comment name for a comment mirrored into this pair's twin.
    pub fn siem_comment_name(&self, origin: &CommentOrigin) -> Uuid {
        derived_name(&[
            "comment",
            &self.tenant,
            &self.xdr_id,
            origin.side.as_str(),
            &origin.id,
        ])
    }
}
