//! The alert resource (`/security/alerts_v2`) and the body that updates one.

use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::odata::ALERT_TYPE;
use super::{
    AlertClassification, AlertComment, AlertDetermination, AlertEvidence, AlertSeverity,
    AlertStatus, DetectionSource, ServiceSource,
};
use crate::wire::wire_struct;
use crate::{Field, Timestamp};

wire_struct! {
    /// A potential security issue a detector found (`microsoft.graph.security.alert`).
    #[serde(rename_all = "camelCase")]
    pub struct Alert {
        /// The `@odata.type` annotation.
        #[serde(rename = "@odata.type")]
        odata_type: String,
        /// The alert's identifier.
        required id: String,
        /// The alert's identifier in the product that raised it.
        provider_alert_id: String,
        /// The incident the alert belongs to.
        incident_id: String,
        /// The alert's state.
        status: AlertStatus,
        /// How much harm the alert may do.
        severity: AlertSeverity,
        /// Whether the alert is a real threat.
        classification: AlertClassification,
        /// What the investigation found.
        determination: AlertDetermination,
        /// The product that created the alert.
        service_source: ServiceSource,
        /// The detector or sensor that raised the alert.
        detection_source: DetectionSource,
        /// The detection rule that fired.
        detector_id: String,
        /// The tenant the alert belongs to.
        tenant_id: String,
        /// A short name for the alert.
        title: String,
        /// What the alert is about.
        description: String,
        /// What to do about it.
        recommended_actions: String,
        /// The MITRE ATT&CK kill-chain category.
        category: String,
        /// The owner, or `null` when unassigned.
        assigned_to: String,
        /// The alert's page in the portal.
        alert_web_url: String,
        /// The incident's page in the portal.
        incident_web_url: String,
        /// The adversary or activity group behind the alert.
        actor_display_name: String,
        /// The threat behind the alert.
        threat_display_name: String,
        /// The threat's family.
        threat_family_name: String,
        /// MITRE ATT&CK technique identifiers.
        mitre_techniques: Vec<String>,
        /// When the alert was created.
        created_date_time: Timestamp,
        /// When the alert last changed.
        last_update_date_time: Timestamp,
        /// When the alert was resolved.
        resolved_date_time: Timestamp,
        /// The earliest activity the alert covers.
        first_activity_date_time: Timestamp,
        /// The latest activity the alert covers.
        last_activity_date_time: Timestamp,
        /// Comments analysts left while working the alert.
        comments: Vec<AlertComment>,
        /// The entities involved (devices, users, files, ...).
        evidence: Vec<AlertEvidence>,
        /// Tags the service sets.
        system_tags: Vec<String>,
    }
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
