//! A row of the `SecurityAlert` table: one row per alert (and per alert update).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::cell;
use crate::sentinel::AlertSeverity;
use crate::wire::{Field, ParseError, Timestamp};

/// One `SecurityAlert` row. Column names are the table's (PascalCase). `Entities`,
/// `ExtendedProperties` and `ExtendedLinks` hold JSON text, as Sentinel stores them; `Tactics` and
/// `Techniques` hold comma-separated lists.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityAlertRow {
    /// When the alert was generated.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub time_generated: Field<Timestamp>,
    /// Tenant (workspace) id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tenant_id: Field<String>,
    /// Sentinel's id of the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_alert_id: Field<String>,
    /// The alert's id in the product that raised it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub vendor_original_id: Field<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_name: Field<String>,
    /// Display name (synonym of `AlertName`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub display_name: Field<String>,
    /// Alert type.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_type: Field<String>,
    /// Severity.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_severity: Field<AlertSeverity>,
    /// Description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Life-cycle status: New, InProgress, Resolved, Dismissed, Unknown.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<String>,
    /// Link to the alert in its product.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_link: Field<String>,
    /// Display name of the main entity.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub compromised_entity: Field<String>,
    /// Confidence level.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub confidence_level: Field<String>,
    /// Confidence score, 0.0–1.0.
    #[serde(
        default,
        deserialize_with = "cell::real",
        skip_serializing_if = "Field::is_absent"
    )]
    pub confidence_score: Field<f64>,
    /// Entities (JSON text: an array of Sentinel entity objects).
    #[serde(
        default,
        deserialize_with = "cell::json_text",
        skip_serializing_if = "Field::is_absent"
    )]
    pub entities: Field<String>,
    /// Other properties (JSON text: an object).
    #[serde(
        default,
        deserialize_with = "cell::json_text",
        skip_serializing_if = "Field::is_absent"
    )]
    pub extended_properties: Field<String>,
    /// Related links (JSON text).
    #[serde(
        default,
        deserialize_with = "cell::json_text",
        skip_serializing_if = "Field::is_absent"
    )]
    pub extended_links: Field<String>,
    /// Remediation steps (JSON text: an array of strings).
    #[serde(
        default,
        deserialize_with = "cell::json_text",
        skip_serializing_if = "Field::is_absent"
    )]
    pub remediation_steps: Field<String>,
    /// ATT&CK tactics, comma-separated.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tactics: Field<String>,
    /// ATT&CK techniques, comma-separated.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub techniques: Field<String>,
    /// Service within the product that raised the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_name: Field<String>,
    /// Product that raised the alert.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub product_name: Field<String>,
    /// Product component.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub product_component_name: Field<String>,
    /// Vendor.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub vendor_name: Field<String>,
    /// Resource the alert is about.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub resource_id: Field<String>,
    /// Start of the alert's activity.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub start_time: Field<Timestamp>,
    /// End of the alert's activity.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub end_time: Field<Timestamp>,
    /// When the product finished producing the alert.
    #[serde(
        default,
        deserialize_with = "cell::time",
        skip_serializing_if = "Field::is_absent"
    )]
    pub processing_end_time: Field<Timestamp>,
    /// Deprecated; always false.
    #[serde(
        default,
        deserialize_with = "cell::boolean",
        skip_serializing_if = "Field::is_absent"
    )]
    pub is_incident: Field<bool>,
    /// Deprecated agent id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub source_computer_id: Field<String>,
    /// Constant `Detection`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub source_system: Field<String>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub workspace_resource_group: Field<String>,
    /// Deprecated.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub workspace_subscription_id: Field<String>,
    /// Constant `SecurityAlert`.
    #[serde(rename = "Type", default, skip_serializing_if = "Field::is_absent")]
    pub table: Field<String>,
    /// Columns this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SecurityAlertRow {
    /// The table's name, written in the `Type` column.
    pub const TABLE: &'static str = "SecurityAlert";

    /// The `Entities` column, decoded into Sentinel entity objects.
    pub fn entities(&self) -> Result<Vec<Value>, ParseError> {
        json_column("Entities", &self.entities).map(Option::unwrap_or_default)
    }

    /// The `ExtendedProperties` column, decoded.
    pub fn extended_properties(&self) -> Result<Map<String, Value>, ParseError> {
        json_column("ExtendedProperties", &self.extended_properties).map(Option::unwrap_or_default)
    }

    /// The `Tactics` column, split.
    pub fn tactics(&self) -> Vec<String> {
        cell::split_list(&self.tactics)
    }

    /// The `Techniques` column, split.
    pub fn techniques(&self) -> Vec<String> {
        cell::split_list(&self.techniques)
    }
}

/// Decodes a column holding JSON text; an absent or `null` cell gives `None`.
fn json_column<T: serde::de::DeserializeOwned>(
    column: &str,
    cell: &Field<String>,
) -> Result<Option<T>, ParseError> {
    match cell.get() {
        Some(text) => cell::decode_json_text(column, text),
        None => Ok(None),
    }
}
