//! Table rows: SIEM incident properties and XDR incidents as `SecurityIncident` rows, XDR alerts with
//! their evidence as `SecurityAlert` rows.

use serde::Serialize;
use serde_json::{Map, Value};

use super::comment::comment_to_siem;
use super::entities::evidence_entities;
use super::enums::{alert_status_to_siem, severity_to_siem};
use super::incident::{alert_ids, incident_to_siem, product_name};
use super::{Provider, json, map_field, to_json};
use crate::Field;
use crate::graph::{self, Alert, AlertSeverity};
use crate::sentinel::{
    AlertSeverity as SiemAlertSeverity, IncidentProperties, IncidentSeverity, IncidentStatus,
};
use crate::tables::{SecurityAlertRow, SecurityIncidentRow};

/// The `SecurityIncident` row recording the current state of a SIEM incident named `incident_name`.
/// `TimeGenerated` is the change the row records (`lastModifiedTimeUtc`, else `createdTimeUtc`);
/// `ClosedTime` is that change when the incident is closed. `AlertIds`,
/// `Comments` and `ModifiedBy` are left for the caller, which knows them.
pub fn incident_row(incident_name: &str, props: &IncidentProperties) -> SecurityIncidentRow {
    let closed = matches!(props.status.get(), Some(IncidentStatus::Closed));
    SecurityIncidentRow {
        time_generated: if props.last_modified_time_utc.get().is_some() {
            props.last_modified_time_utc.clone()
        } else {
            props.created_time_utc.clone()
        },
        incident_name: Field::Value(incident_name.to_owned()),
        incident_number: props.incident_number.clone(),
        incident_url: props.incident_url.clone(),
        title: props.title.clone(),
        description: props.description.clone(),
        severity: props.severity.clone(),
        status: props.status.clone(),
        classification: props.classification.clone(),
        classification_reason: props.classification_reason.clone(),
        classification_comment: props.classification_comment.clone(),
        owner: dynamic(&props.owner),
        labels: dynamic(&props.labels),
        additional_data: dynamic(&props.additional_data),
        related_analytic_rule_ids: dynamic(&props.related_analytic_rule_ids),
        provider_name: props.provider_name.clone(),
        provider_incident_id: props.provider_incident_id.clone(),
        created_time: props.created_time_utc.clone(),
        first_modified_time: props.created_time_utc.clone(),
        last_modified_time: props.last_modified_time_utc.clone(),
        closed_time: if closed {
            props.last_modified_time_utc.clone()
        } else {
            Field::Absent
        },
        first_activity_time: props.first_activity_time_utc.clone(),
        last_activity_time: props.last_activity_time_utc.clone(),
        source_system: Field::Value("Azure".into()),
        table: Field::Value(SecurityIncidentRow::TABLE.into()),
        ..SecurityIncidentRow::default()
    }
}

/// The `SecurityIncident` row for an XDR incident that the SIEM holds as `incident_name`: the incident's
/// SIEM properties ([`incident_to_siem`]), its alert ids as `AlertIds`, its comments as `Comments`, the
/// provider as `ModifiedBy`.
pub fn incident_row_from_xdr(
    incident_name: &str,
    incident: &graph::Incident,
    provider: &Provider,
) -> SecurityIncidentRow {
    let comments: Vec<_> = incident.comments().iter().map(comment_to_siem).collect();
    SecurityIncidentRow {
        alert_ids: Field::Value(to_json(&alert_ids(incident.alerts()))),
        comments: Field::Value(to_json(&comments)),
        modified_by: Field::Value(provider.name.clone()),
        ..incident_row(incident_name, &incident_to_siem(incident, provider))
    }
}

/// The `SecurityAlert` row for an XDR alert: the Graph id is `SystemAlertId`, `providerAlertId` is
/// `VendorOriginalId`, the evidence is `Entities`, the category is `Tactics`, the MITRE techniques are
/// `Techniques`, and the members with no column (incident id, detection source, classification,
/// determination, assignee, threat and actor names) go into `ExtendedProperties`.
pub fn alert_row(alert: &Alert, provider: &Provider) -> SecurityAlertRow {
    let techniques = alert.mitre_techniques.get().map(|t| t.join(","));
    SecurityAlertRow {
        time_generated: alert.created_date_time.clone(),
        system_alert_id: Field::Value(alert.id.clone()),
        vendor_original_id: alert.provider_alert_id.clone(),
        alert_name: alert.title.clone(),
        display_name: alert.title.clone(),
        alert_type: alert.detector_id.clone(),
        alert_severity: map_field(&alert.severity, alert_severity),
        description: alert.description.clone(),
        status: map_field(&alert.status, alert_status_to_siem),
        alert_link: alert.alert_web_url.clone(),
        compromised_entity: compromised_entity(alert).map_or(Field::Absent, Field::Value),
        entities: Field::Value(to_json(&evidence_entities(alert_evidence(alert))).to_string()),
        extended_properties: Field::Value(Value::Object(extended_properties(alert)).to_string()),
        remediation_steps: map_field(&alert.recommended_actions, |a| to_json(&[a]).to_string()),
        tactics: alert.category.clone(),
        techniques: techniques.map_or(Field::Absent, Field::Value),
        provider_name: Field::Value(provider.name.clone()),
        product_name: map_field(&alert.service_source, product_name),
        vendor_name: Field::Value(provider.vendor.clone()),
        start_time: alert.first_activity_date_time.clone(),
        end_time: alert.last_activity_date_time.clone(),
        processing_end_time: alert.last_update_date_time.clone(),
        is_incident: Field::Value(false),
        source_system: Field::Value("Detection".into()),
        table: Field::Value(SecurityAlertRow::TABLE.into()),
        ..SecurityAlertRow::default()
    }
}

/// An alert's severity as the `AlertSeverity` column holds it.
fn alert_severity(severity: &AlertSeverity) -> SiemAlertSeverity {
    match severity_to_siem(severity) {
        IncidentSeverity::High => SiemAlertSeverity::High,
        IncidentSeverity::Medium => SiemAlertSeverity::Medium,
        IncidentSeverity::Low => SiemAlertSeverity::Low,
        IncidentSeverity::Informational | IncidentSeverity::Other(_) => {
            SiemAlertSeverity::Informational
        }
    }
}

/// The alert's evidence; empty when it has none.
fn alert_evidence(alert: &Alert) -> &[graph::AlertEvidence] {
    alert.evidence.get().map_or(&[], Vec::as_slice)
}

/// The name of the first device or user in the evidence.
fn compromised_entity(alert: &Alert) -> Option<String> {
    alert_evidence(alert).iter().find_map(|e| match e {
        graph::AlertEvidence::Device(d) => d.device_dns_name.get().cloned(),
        graph::AlertEvidence::User(u) => u.user_account.get().and_then(|a| {
            a.user_principal_name
                .get()
                .or(a.account_name.get())
                .cloned()
        }),
        _ => None,
    })
}

/// The alert members that have no column of their own, under PascalCase names.
fn extended_properties(alert: &Alert) -> Map<String, Value> {
    [
        ("IncidentId", json(&alert.incident_id)),
        ("Category", json(&alert.category)),
        ("DetectionSource", json(&alert.detection_source)),
        ("ServiceSource", json(&alert.service_source)),
        ("Classification", json(&alert.classification)),
        ("Determination", json(&alert.determination)),
        ("AssignedTo", json(&alert.assigned_to)),
        ("ThreatDisplayName", json(&alert.threat_display_name)),
        ("ThreatFamilyName", json(&alert.threat_family_name)),
        ("ActorDisplayName", json(&alert.actor_display_name)),
        ("IncidentWebUrl", json(&alert.incident_web_url)),
        ("ResolvedDateTime", json(&alert.resolved_date_time)),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name.to_owned(), v)))
    .collect()
}

/// A member as a `dynamic` cell: its JSON, `null` kept, absent kept.
fn dynamic<T: Serialize>(field: &Field<T>) -> Field<Value> {
    map_field(field, to_json)
}
