//! The translation between the XDR side (Graph incidents, alerts and evidence) and the SIEM side
//! (Sentinel incidents and comments, `SecurityIncident` and `SecurityAlert` rows).
//!
//! This is the only place the two vocabularies meet, so a value means the same thing wherever it is
//! translated. XDR → SIEM, whole things are translated: an incident ([`incident_to_siem`]), a comment
//! ([`comment_to_siem`]), the table rows ([`incident_row_from_xdr`], [`alert_row`]). SIEM → XDR, only
//! single values are ([`status_to_xdr`], [`verdict_to_xdr`], [`owner_to_xdr`], [`labels_to_xdr`]):
//! deciding which SIEM values to carry back is the connector's reconciliation (`tandem_sync`), which
//! compares both sides with the state they last agreed on, so that reading back its own coarse value
//! never overwrites a finer one. Where the sides cannot hold the same value (Graph has many
//! determinations, Sentinel four classification reasons; Graph has `inProgress` and `redirected`,
//! Sentinel only `Active` and `Closed`) the translation is coarse. `docs/mapping.md` lists every field,
//! both directions and what is lost.

mod comment;
mod entities;
mod enums;
mod incident;
mod names;
mod owner;
mod rows;

pub use comment::comment_to_siem;
pub use entities::{ENTITY_ID_MEMBER, evidence_entities};
pub use enums::{
    SiemVerdict, XdrVerdict, alert_status_to_siem, severity_to_siem, severity_to_xdr,
    status_to_siem, status_to_xdr, verdict_to_siem, verdict_to_xdr,
};
pub use incident::{closing_comment, determination_comment, incident_to_siem, product_name};
pub use names::{TANDEM_NAMESPACE, derived_name, siem_incident_name};
pub use owner::{labels_to_siem, labels_to_xdr, owner_to_siem, owner_to_xdr};
pub use rows::{alert_row, incident_row, incident_row_from_xdr};

/// The product that raised the incidents, as the SIEM names it in `providerName`, `ProviderName` and
/// `VendorName`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    /// `providerName` of incidents and `ProviderName` of rows, such as `Tandem XDR`.
    pub name: String,
    /// `VendorName` of alert rows, such as `Tandem`.
    pub vendor: String,
}

impl Provider {
    /// Tandem's own XDR (`tandem xdr`).
    pub fn tandem() -> Self {
        Provider {
            name: "Tandem XDR".into(),
            vendor: "Tandem".into(),
        }
    }

    /// Microsoft Defender XDR reached through Microsoft Graph, named as Microsoft's own connector names it.
    pub fn microsoft() -> Self {
        Provider {
            name: "Microsoft XDR".into(),
            vendor: "Microsoft".into(),
        }
    }
}

/// Carries a member across, mapping its value and keeping absent and `null` as they are.
fn map_field<T, U>(field: &crate::Field<T>, map: impl FnOnce(&T) -> U) -> crate::Field<U> {
    match field {
        crate::Field::Absent => crate::Field::Absent,
        crate::Field::Null => crate::Field::Null,
        crate::Field::Value(v) => crate::Field::Value(map(v)),
    }
}

/// A member's value as JSON, if it has one.
fn json<T: serde::Serialize>(field: &crate::Field<T>) -> Option<serde_json::Value> {
    field.get().map(to_json)
}

/// A value as JSON. The model's types hold only strings, numbers, booleans, timestamps and JSON, so
/// writing them cannot fail; `null` stands in should it ever.
fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).unwrap_or(serde_json::Value::Null)
}
