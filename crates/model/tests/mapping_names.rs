//! The names Tandem derives for the SIEM twins of XDR incidents.

#![cfg(test)]

use tandem_model::mapping::{TANDEM_NAMESPACE, derived_name, siem_incident_name};
use uuid::{Uuid, Version};

/// The name as the documented encoding gives it, built byte by byte: each part's length as eight
/// big-endian bytes, then its text, hashed into Tandem's namespace.
fn by_hand(parts: &[&[u8]]) -> Uuid {
    let mut bytes = Vec::new();
    for part in parts {
        bytes.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, u8::try_from(part.len()).unwrap()]);
        bytes.extend_from_slice(part);
    }
    Uuid::new_v5(&TANDEM_NAMESPACE, &bytes)
}

#[test]
fn the_siem_twin_name_is_a_uuid_v5_of_tenant_and_xdr_id() {
    let tenant = "8f3c2a10-5b7e-4d21-9a44-0c6f1e2d3b4a";
    let name = siem_incident_name(tenant, "42");
    assert_eq!(name.get_version(), Some(Version::Sha1));
    assert_eq!(name, by_hand(&[b"incident", tenant.as_bytes(), b"42"]));
    assert_eq!(
        name,
        siem_incident_name(tenant, "42"),
        "stable across calls"
    );
}

#[test]
fn different_origins_get_different_names() {
    let names = [
        siem_incident_name("t1", "42"),
        siem_incident_name("t2", "42"),
        siem_incident_name("t1", "43"),
        siem_incident_name("t14", "2"),
    ];
    for (i, a) in names.iter().enumerate() {
        for b in &names[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_ne!(derived_name(&["ab", "c"]), derived_name(&["a", "bc"]));
}
