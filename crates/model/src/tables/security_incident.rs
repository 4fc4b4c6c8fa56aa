//! A row of the `SecurityIncident` table: one row per incident change.

use serde_json::Value;

use super::cell;
use crate::sentinel::{
    IncidentAdditionalData, IncidentClassification, IncidentClassificationReason, IncidentLabel,
    IncidentOwner, IncidentSeverity, IncidentStatus,
};
use crate::wire::wire_struct;
use crate::wire::{ParseError, Timestamp};

wire_struct! {
    /// One `SecurityIncident` row. Column names are the table's (PascalCase); `dynamic` columns are kept as
    /// JSON and decoded by the accessors.
    #[derive(Default)]
    #[serde(rename_all = "PascalCase")]
    pub struct SecurityIncidentRow {
        /// When this row was written (the change it records).
        #[serde(deserialize_with = "cell::time")]
        time_generated: Timestamp,
        /// Tenant (workspace) id.
        tenant_id: String,
        /// The incident's resource name (a GUID).
        incident_name: String,
        /// Sequential number in the workspace.
        #[serde(deserialize_with = "cell::int")]
        incident_number: i64,
        /// Portal link.
        incident_url: String,
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// Severity.
        severity: IncidentSeverity,
        /// Status.
        status: IncidentStatus,
        /// Closing classification.
        classification: IncidentClassification,
        /// Closing classification reason.
        classification_reason: IncidentClassificationReason,
        /// Closing comment.
        classification_comment: String,
        /// Owner (`dynamic`: the incident's owner object).
        owner: Value,
        /// Labels (`dynamic`: array of label objects).
        labels: Value,
        /// Counts, product names and tactics (`dynamic`).
        additional_data: Value,
        /// `SystemAlertId`s of the incident's alerts (`dynamic`: array of strings).
        alert_ids: Value,
        /// Bookmark ids (`dynamic`).
        bookmark_ids: Value,
        /// Comments (`dynamic`).
        comments: Value,
        /// Tasks (`dynamic`).
        tasks: Value,
        /// Analytics rule ids (`dynamic`).
        related_analytic_rule_ids: Value,
        /// Product that created the incident.
        provider_name: String,
        /// The incident's id in that product.
        provider_incident_id: String,
        /// Who or what made the change this row records.
        modified_by: String,
        /// When the incident was created.
        #[serde(deserialize_with = "cell::time")]
        created_time: Timestamp,
        /// When the incident was first changed.
        #[serde(deserialize_with = "cell::time")]
        first_modified_time: Timestamp,
        /// When the incident was changed (this row's change).
        #[serde(deserialize_with = "cell::time")]
        last_modified_time: Timestamp,
        /// When the incident was last closed.
        #[serde(deserialize_with = "cell::time")]
        closed_time: Timestamp,
        /// Time of the first activity.
        #[serde(deserialize_with = "cell::time")]
        first_activity_time: Timestamp,
        /// Time of the last activity.
        #[serde(deserialize_with = "cell::time")]
        last_activity_time: Timestamp,
        /// Constant `Azure`.
        source_system: String,
        /// Constant `SecurityIncident`.
        #[serde(rename = "Type")]
        table: String,
    }
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
