//! A row of the `SecurityAlert` table: one row per alert (and per alert update).

use serde_json::{Map, Value};

use super::cell;
use crate::sentinel::AlertSeverity;
use crate::wire::wire_struct;
use crate::wire::{Field, ParseError, Timestamp};

wire_struct! {
    /// One `SecurityAlert` row. Column names are the table's (PascalCase). `Entities`,
    /// `ExtendedProperties` and `ExtendedLinks` hold JSON text, as Sentinel stores them; `Tactics` and
    /// `Techniques` hold comma-separated lists.
    #[derive(Default)]
    #[serde(rename_all = "PascalCase")]
    pub struct SecurityAlertRow {
        /// When the alert was generated.
        #[serde(deserialize_with = "cell::time")]
        time_generated: Timestamp,
        /// Tenant (workspace) id.
        tenant_id: String,
        /// Sentinel's id of the alert.
        system_alert_id: String,
        /// The alert's id in the product that raised it.
        vendor_original_id: String,
        /// Display name.
        alert_name: String,
        /// Display name (synonym of `AlertName`).
        display_name: String,
        /// Alert type.
        alert_type: String,
        /// Severity.
        alert_severity: AlertSeverity,
        /// Description.
        description: String,
        /// Life-cycle status: New, InProgress, Resolved, Dismissed, Unknown.
        status: String,
        /// Link to the alert in its product.
        alert_link: String,
        /// Display name of the main entity.
        compromised_entity: String,
        /// Confidence level.
        confidence_level: String,
        /// Confidence score, 0.0–1.0.
        #[serde(deserialize_with = "cell::real")]
        confidence_score: f64,
        /// Entities (JSON text: an array of Sentinel entity objects).
        #[serde(deserialize_with = "cell::json_text")]
        entities: String,
        /// Other properties (JSON text: an object).
        #[serde(deserialize_with = "cell::json_text")]
        extended_properties: String,
        /// Related links (JSON text).
        #[serde(deserialize_with = "cell::json_text")]
        extended_links: String,
        /// Remediation steps (JSON text: an array of strings).
        #[serde(deserialize_with = "cell::json_text")]
        remediation_steps: String,
        /// ATT&CK tactics, comma-separated.
        tactics: String,
        /// ATT&CK techniques, comma-separated.
        techniques: String,
        /// Service within the product that raised the alert.
        provider_name: String,
        /// Product that raised the alert.
        product_name: String,
        /// Product component.
        product_component_name: String,
        /// Vendor.
        vendor_name: String,
        /// Resource the alert is about.
        resource_id: String,
        /// Start of the alert's activity.
        #[serde(deserialize_with = "cell::time")]
        start_time: Timestamp,
        /// End of the alert's activity.
        #[serde(deserialize_with = "cell::time")]
        end_time: Timestamp,
        /// When the product finished producing the alert.
        #[serde(deserialize_with = "cell::time")]
        processing_end_time: Timestamp,
        /// Deprecated; always false.
        #[serde(deserialize_with = "cell::boolean")]
        is_incident: bool,
        /// Deprecated agent id.
        source_computer_id: String,
        /// Constant `Detection`.
        source_system: String,
        /// Deprecated.
        workspace_resource_group: String,
        /// Deprecated.
        workspace_subscription_id: String,
        /// Constant `SecurityAlert`.
        #[serde(rename = "Type")]
        table: String,
    }
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
