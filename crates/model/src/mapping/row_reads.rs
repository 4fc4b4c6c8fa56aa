//! Table rows read back as Sentinel resources: a `SecurityIncident` row as incident properties and a
//! `SecurityAlert` row as the `SecurityAlert` entity that `incidents/{id}/alerts` serves. The SIEM keeps
//! its incidents and alerts as rows and answers its ARM API from them.

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::sentinel::{
    AttackTactic, Entity, EntityProperties, IncidentProperties, SecurityAlertProperties,
};
use crate::tables::{SecurityAlertRow, SecurityIncidentRow, cell};
use crate::{Field, ParseError};

/// The ARM type of the entities Sentinel serves.
const ENTITY_TYPE: &str = "Microsoft.SecurityInsights/Entities";

/// A `SecurityIncident` row as Sentinel incident properties; `dynamic` columns are decoded and an
/// error names the column that does not decode.
pub fn incident_from_row(row: &SecurityIncidentRow) -> Result<IncidentProperties, ParseError> {
    Ok(IncidentProperties {
        title: row.title.clone(),
        description: row.description.clone(),
        severity: row.severity.clone(),
        status: row.status.clone(),
        classification: row.classification.clone(),
        classification_reason: row.classification_reason.clone(),
        classification_comment: row.classification_comment.clone(),
        owner: dynamic("Owner", &row.owner)?,
        labels: dynamic("Labels", &row.labels)?,
        additional_data: dynamic("AdditionalData", &row.additional_data)?,
        related_analytic_rule_ids: dynamic(
            "RelatedAnalyticRuleIds",
            &row.related_analytic_rule_ids,
        )?,
        provider_name: row.provider_name.clone(),
        provider_incident_id: row.provider_incident_id.clone(),
        incident_number: row.incident_number.clone(),
        incident_url: row.incident_url.clone(),
        first_activity_time_utc: row.first_activity_time.clone(),
        last_activity_time_utc: row.last_activity_time.clone(),
        created_time_utc: row.created_time.clone(),
        last_modified_time_utc: row.last_modified_time.clone(),
        ..IncidentProperties::default()
    })
}

/// A `SecurityAlert` row as a `SecurityAlert` entity named by its `SystemAlertId`. The entity's ARM
/// `id` needs the workspace path, so the caller sets it.
pub fn alert_entity_from_row(row: &SecurityAlertRow) -> Result<Entity, ParseError> {
    let remediation_steps = match row.remediation_steps.get() {
        Some(text) => {
            cell::decode_json_text("RemediationSteps", text)?.map_or(Field::Absent, Field::Value)
        }
        None => Field::Absent,
    };
    let tactics = row.tactics();
    let properties = SecurityAlertProperties {
        friendly_name: row.alert_name.clone(),
        alert_display_name: row.alert_name.clone(),
        alert_type: row.alert_type.clone(),
        compromised_entity: row.compromised_entity.clone(),
        confidence_level: row.confidence_level.clone(),
        confidence_score: row.confidence_score.clone(),
        description: row.description.clone(),
        end_time_utc: row.end_time.clone(),
        provider_alert_id: row.vendor_original_id.clone(),
        processing_end_time: row.processing_end_time.clone(),
        product_component_name: row.product_component_name.clone(),
        product_name: row.product_name.clone(),
        remediation_steps,
        severity: row.alert_severity.clone(),
        start_time_utc: row.start_time.clone(),
        status: row.status.clone(),
        system_alert_id: row.system_alert_id.clone(),
        tactics: if tactics.is_empty() {
            Field::Absent
        } else {
            Field::Value(tactics.iter().map(|t| AttackTactic::from_wire(t)).collect())
        },
        time_generated: row.time_generated.clone(),
        vendor_name: row.vendor_name.clone(),
        alert_link: row.alert_link.clone(),
        ..SecurityAlertProperties::default()
    };
    Ok(Entity {
        id: Field::Absent,
        name: row.system_alert_id.clone(),
        resource_type: Field::Value(ENTITY_TYPE.into()),
        properties: EntityProperties::SecurityAlert(properties),
        extra: Default::default(),
    })
}

/// A `dynamic` cell decoded, keeping absent and `null` as they are.
fn dynamic<T: DeserializeOwned>(column: &str, cell: &Field<Value>) -> Result<Field<T>, ParseError> {
    match cell {
        Field::Absent => Ok(Field::Absent),
        Field::Null => Ok(Field::Null),
        Field::Value(_) => {
            Ok(cell::decode_dynamic(column, cell)?.map_or(Field::Null, Field::Value))
        }
    }
}
