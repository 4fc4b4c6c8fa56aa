//! The alert resource (`/security/alerts_v2`) and the body that updates one.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::odata::ALERT_TYPE;
use super::{
    AlertClassification, AlertComment, AlertDetermination, AlertEvidence, AlertSeverity,
    AlertStatus, DetectionSource, ServiceSource,
};
use crate::{Field, Timestamp};

/// A potential security issue a detector found (`microsoft.graph.security.alert`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// The `@odata.type` annotation.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub odata_type: Field<String>,
    /// The alert's identifier.
    pub id: String,
    /// The alert's identifier in the product that raised it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_alert_id: Field<String>,
    /// The incident the alert belongs to.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub incident_id: Field<String>,
    /// The alert's state.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<AlertStatus>,
    /// How much harm the alert may do.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub severity: Field<AlertSeverity>,
    /// Whether the alert is a real threat.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification: Field<AlertClassification>,
    /// What the investigation found.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub determination: Field<AlertDetermination>,
    /// The product that created the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub service_source: Field<ServiceSource>,
    /// The detector or sensor that raised the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub detection_source: Field<DetectionSource>,
    /// The detection rule that fired.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub detector_id: Field<String>,
    /// The tenant the alert belongs to.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tenant_id: Field<String>,
    /// A short name for the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// What the alert is about.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// What to do about it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub recommended_actions: Field<String>,
    /// The MITRE ATT&CK kill-chain category.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub category: Field<String>,
    /// The owner, or `null` when unassigned.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub assigned_to: Field<String>,
    /// The alert's page in the portal.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_web_url: Field<String>,
    /// The incident's page in the portal.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub incident_web_url: Field<String>,
    /// The adversary or activity group behind the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub actor_display_name: Field<String>,
    /// The threat behind the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub threat_display_name: Field<String>,
    /// The threat's family.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub threat_family_name: Field<String>,
    /// MITRE ATT&CK technique identifiers.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub mitre_techniques: Field<Vec<String>>,
    /// When the alert was created.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created_date_time: Field<Timestamp>,
    /// When the alert last changed.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_update_date_time: Field<Timestamp>,
    /// When the alert was resolved.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub resolved_date_time: Field<Timestamp>,
    /// The earliest activity the alert covers.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub first_activity_date_time: Field<Timestamp>,
    /// The latest activity the alert covers.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_activity_date_time: Field<Timestamp>,
    /// Comments analysts left while working the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub comments: Field<Vec<AlertComment>>,
    /// The entities involved (devices, users, files, ...).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub evidence: Field<Vec<AlertEvidence>>,
    /// Tags the service sets.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_tags: Field<Vec<String>>,
    /// Members this version of Tandem does not name, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Alert {
    /// An alert with only an identifier and the documented `@odata.type`.
    pub fn new(id: impl Into<String>) -> Self {
        Alert {
            odata_type: Field::Value(ALERT_TYPE.to_owned()),
            id: id.into(),
            provider_alert_id: Field::Absent,
            incident_id: Field::Absent,
            status: Field::Absent,
            severity: Field::Absent,
            classification: Field::Absent,
            determination: Field::Absent,
            service_source: Field::Absent,
            detection_source: Field::Absent,
            detector_id: Field::Absent,
            tenant_id: Field::Absent,
            title: Field::Absent,
            description: Field::Absent,
            recommended_actions: Field::Absent,
            category: Field::Absent,
            assigned_to: Field::Absent,
            alert_web_url: Field::Absent,
            incident_web_url: Field::Absent,
            actor_display_name: Field::Absent,
            threat_display_name: Field::Absent,
            threat_family_name: Field::Absent,
            mitre_techniques: Field::Absent,
            created_date_time: Field::Absent,
            last_update_date_time: Field::Absent,
            resolved_date_time: Field::Absent,
            first_activity_date_time: Field::Absent,
            last_activity_date_time: Field::Absent,
            comments: Field::Absent,
            evidence: Field::Absent,
            system_tags: Field::Absent,
            extra: Map::new(),
        }
    }

    /// The evidence; empty when there is none.
    pub fn evidence(&self) -> &[AlertEvidence] {
        self.evidence.get().map_or(&[], Vec::as_slice)
    }

    /// The comments; empty when there are none.
    pub fn comments(&self) -> &[AlertComment] {
        self.comments.get().map_or(&[], Vec::as_slice)
    }
}

/// The body of `PATCH /security/alerts_v2/{id}`: the members a client may change, each absent (leave as
/// is), `null` (clear) or a value.
///
/// Any other member is rejected with an error naming it; `@odata.type`, which Graph SDKs send, is
/// accepted.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertUpdate {
    /// The `@odata.type` annotation.
    #[serde(
        rename = "@odata.type",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub odata_type: Field<String>,
    /// New state.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<AlertStatus>,
    /// New classification.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification: Field<AlertClassification>,
    /// New determination.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub determination: Field<AlertDetermination>,
    /// New owner, or `null` to unassign.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub assigned_to: Field<String>,
}
