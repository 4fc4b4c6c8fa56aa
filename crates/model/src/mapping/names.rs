//! Names derived from an XDR incident for what Tandem creates on the SIEM side.
//!
//! The SIEM twin of an XDR incident is named by a UUIDv5 of its origin (tenant and XDR incident id) in a
//! fixed Tandem namespace. The connector creates the twin under that name with an idempotent PUT, and the
//! XDR console links to it without asking the SIEM, because both compute the same name here.

use uuid::Uuid;

/// The namespace of every name Tandem derives. Never change it: existing twins would be orphaned.
pub const TANDEM_NAMESPACE: Uuid = Uuid::from_u128(0xf7dd6254_ffd9_4407_be15_0c9bd38c96fb);

/// The SIEM incident name (the Sentinel ARM resource name) of the twin of XDR incident `xdr_id` in
/// `tenant`.
pub fn siem_incident_name(tenant: &str, xdr_id: &str) -> Uuid {
    derived_name(&["incident", tenant, xdr_id])
}

/// A UUIDv5 in [`TANDEM_NAMESPACE`] of `parts`, each length-prefixed (eight bytes, big-endian) so that no
/// two part lists share an encoding: `["ab", "c"]` and `["a", "bc"]` get different names.
pub fn derived_name(parts: &[&str]) -> Uuid {
    let mut bytes = Vec::new();
    for part in parts {
        bytes.extend_from_slice(&(part.len() as u64).to_be_bytes());
        bytes.extend_from_slice(part.as_bytes());
    }
    Uuid::new_v5(&TANDEM_NAMESPACE, &bytes)
}
