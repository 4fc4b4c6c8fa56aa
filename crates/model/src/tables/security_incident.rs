//! A row of the `SecurityIncident` table: one row per incident change.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::cell;
use crate::sentinel::{
    IncidentAdditionalData, IncidentClassification, IncidentClassificationReason, IncidentLabel,
    IncidentOwner, IncidentSeverity, IncidentStatus,
};
use crate::wire::{Field, ParseError, Timestamp};

/// One `SecurityIncident` row. Column names are the table's (PascalCase); `dynamic` columns are kept as
/// JSON and decoded by the accessors.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityIncidentRow {
    /// When this row was written (the change it records).
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub time_generated: Field<Timestamp>,
    /// Tenant (workspace) id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tenant_id: Field<String>,
    /// The incident's resource name (a GUID).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub incident_name: Field<String>,
    /// Sequential number in the workspace.
    #[serde(
        default,
        deserialize_with = "cell::int",
        skip_serializing_if = "Field::is_absent"
    )]
    pub incident_number: Field<i64>,
    /// Portal link.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub incident_url: Field<String>,
    /// Title.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Severity.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub severity: Field<IncidentSeverity>,
    /// Status.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<IncidentStatus>,
    /// Closing classification.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification: Field<IncidentClassification>,
    /// Closing classification reason.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification_reason: Field<IncidentClassificationReason>,
    /// Closing comment.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification_comment: Field<String>,
    /// Owner (`dynamic`: the incident's owner object).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub owner: Field<Value>,
    /// Labels (`dynamic`: array of label objects).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub labels: Field<Value>,
    /// Counts, product names and tactics (`dynamic`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub additional_data: Field<Value>,
    /// `SystemAlertId`s of the incident's alerts (`dynamic`: array of strings).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_ids: Field<Value>,
    /// Bookmark ids (`dynamic`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub bookmark_ids: Field<Value>,
    /// Comments (`dynamic`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub comments: Field<Value>,
    /// Tasks (`dynamic`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tasks: Field<Value>,
    /// Analytics rule ids (`dynamic`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub related_analytic_rule_ids: Field<Value>,
    /// Product that created the incident.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_name: Field<String>,
    /// The incident's id in that product.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_incident_id: Field<String>,
    /// Who or what made the change this row records.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub modified_by: Field<String>,
    /// When the incident was created.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub created_time: Field<Timestamp>,
    /// When the incident was first changed.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub first_modified_time: Field<Timestamp>,
    /// When the incident was changed (this row's change).
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub last_modified_time: Field<Timestamp>,
    /// When the incident was last closed.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub closed_time: Field<Timestamp>,
    /// Time of the first activity.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub first_activity_time: Field<Timestamp>,
    /// Time of the last activity.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub last_activity_time: Field<Timestamp>,
    /// Constant `Azure`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub source_system: Field<String>,
    /// Constant `SecurityIncident`.
    #[serde(rename = "Type", default, skip_serializing_if = "Field::is_absent")]
    pub table: Field<String>,
    /// Columns this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SecurityIncidentRow {
    /// The table's name, written in the `Type` column.
    pub const TABLE: &'static str = "SecurityIncident";

    /// The `Owner` column, decoded.
    pub fn owner(&self) -> Result<Option<IncidentOwner>, ParseError> {
        cell::decode_dynamic("Owner", &self.owner)
    }

    /// The `Labels` column, decoded.
    pub fn labels(&self) -> Result<Vec<IncidentLabel>, ParseError> {
        cell::decode_dynamic("Labels", &self.labels).map(Option::unwrap_or_default)
    }

    /// The `AdditionalData` column, decoded.
    pub fn additional_data(&self) -> Result<Option<IncidentAdditionalData>, ParseError> {
        cell::decode_dynamic("AdditionalData", &self.additional_data)
    }

    /// The `AlertIds` column, decoded.
    pub fn alert_ids(&self) -> Result<Vec<String>, ParseError> {
        cell::decode_dynamic("AlertIds", &self.alert_ids).map(Option::unwrap_or_default)
    }
}
