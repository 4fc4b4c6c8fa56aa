//! The rows incidents leave in the tables: the `SecurityIncident` history row written on every change,
//! and the reading of attached `SecurityAlert` rows into Sentinel's alert and entity shapes.

use rusqlite::{Connection, Transaction};
use serde_json::{Map, Value, json};
use tandem_model::sentinel::{IncidentComment, IncidentRelation};
use tandem_model::tables::SecurityIncidentRow;
use tandem_model::{Field, Timestamp};

use super::{Actor, IncidentState, is_bookmark};
use crate::schema::coerce_row;
use crate::store::StoreError;
use crate::store::logs::{all_by_key, insert_rows, latest_by_key};
use crate::tables::{SECURITY_ALERT, SECURITY_INCIDENT, security_incident};
use crate::workspace::Workspace;

/// What else the history row records about an incident.
pub(crate) struct Related<'a> {
    /// Its comments.
    pub comments: &'a [IncidentComment],
    /// Its relations.
    pub relations: &'a [IncidentRelation],
    /// The `SystemAlertId`s attached to it.
    pub alert_ids: &'a [String],
}

fn dynamic<T: serde::Serialize>(value: &T) -> Field<Value> {
    serde_json::to_value(value).map_or(Field::Null, Field::Value)
}

fn time(text: Option<&String>) -> Field<Timestamp> {
    text.and_then(|t| Timestamp::parse(t).ok())
        .map_or(Field::Null, Field::Value)
}

/// The `SecurityIncident` row describing `state` as of `now`.
pub(crate) fn incident_row(
    workspace: &Workspace,
    state: &IncidentState,
    related: &Related<'_>,
    actor: &Actor,
    now: &Timestamp,
) -> SecurityIncidentRow {
    let p = &state.resource.properties;
    let comments: Vec<Value> = related
        .comments
        .iter()
        .map(|c| json!({"message": c.properties.message, "createdTimeUtc": c.properties.created_time_utc, "author": c.properties.author}))
        .collect();
    let bookmarks: Vec<&String> = related
        .relations
        .iter()
        .filter(|r| is_bookmark(r))
        .filter_map(|r| r.properties.related_resource_name.get())
        .collect();
    SecurityIncidentRow {
        time_generated: Field::Value(now.clone()),
        tenant_id: Field::Value(workspace.workspace_id.clone()),
        incident_name: state.resource.name.clone(),
        incident_number: p.incident_number.clone(),
        incident_url: p.incident_url.clone(),
        title: p.title.clone(),
        description: p.description.clone(),
        severity: p.severity.clone(),
        status: p.status.clone(),
        classification: p.classification.clone(),
        classification_reason: p.classification_reason.clone(),
        classification_comment: p.classification_comment.clone(),
        owner: p.owner.get().map_or(Field::Null, dynamic),
        labels: p.labels.get().map_or(Field::Value(json!([])), dynamic),
        additional_data: p.additional_data.get().map_or(Field::Null, dynamic),
        alert_ids: dynamic(&related.alert_ids),
        bookmark_ids: dynamic(&bookmarks),
        comments: Field::Value(Value::Array(comments)),
        tasks: Field::Value(json!([])),
        related_analytic_rule_ids: p
            .related_analytic_rule_ids
            .get()
            .map_or(Field::Value(json!([])), dynamic),
        provider_name: p.provider_name.clone(),
        provider_incident_id: p.provider_incident_id.clone(),
        modified_by: Field::Value(actor.name.clone()),
        created_time: p.created_time_utc.clone(),
        first_modified_time: time(state.first_modified.as_ref()),
        last_modified_time: Field::Value(now.clone()),
        closed_time: time(state.closed.as_ref()),
        first_activity_time: p.first_activity_time_utc.clone(),
        last_activity_time: p.last_activity_time_utc.clone(),
        source_system: Field::Value("Azure".to_owned()),
        table: Field::Value(SECURITY_INCIDENT.to_owned()),
        extra: Map::new(),
    }
}

/// Appends a `SecurityIncident` row inside `tx`.
pub(crate) fn append(tx: &Transaction<'_>, row: SecurityIncidentRow) -> Result<(), StoreError> {
    let value = serde_json::to_value(row)?;
    let object = value.as_object().cloned().unwrap_or_default();
    let row = coerce_row(&security_incident(), &object).map_err(|(column, message)| {
        StoreError::RowMismatch {
            table: SECURITY_INCIDENT.to_owned(),
            column,
            message,
        }
    })?;
    insert_rows(tx, SECURITY_INCIDENT, &[row])
}

/// The `SecurityIncident` rows of incident `name`, oldest first: its history.
pub(crate) fn incident_rows(
    c: &Connection,
    name: &str,
) -> Result<Vec<Map<String, Value>>, StoreError> {
    all_by_key(c, SECURITY_INCIDENT, name)
}

/// The latest `SecurityAlert` row of each id in `ids`, in the order of `ids` (ids without a row are
/// skipped).
pub(crate) fn latest_alerts(
    c: &Connection,
    ids: &[String],
) -> Result<Vec<Map<String, Value>>, StoreError> {
    let mut rows = Vec::new();
    for id in ids {
        if let Some(row) = latest_by_key(c, SECURITY_ALERT, id)? {
            rows.push(row);
        }
    }
    Ok(rows)
}

fn text(row: &Map<String, Value>, column: &str) -> Value {
    row.get(column).cloned().unwrap_or(Value::Null)
}

fn list(row: &Map<String, Value>, column: &str) -> Value {
    let items: Vec<&str> = row
        .get(column)
        .and_then(Value::as_str)
        .map(|s| {
            s.split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect()
        })
        .unwrap_or_default();
    json!(items)
}

/// A `SecurityAlert` row as Sentinel's `SecurityAlert` entity (what `incidents/{id}/alerts` lists).
pub(crate) fn alert_entity(workspace: &Workspace, row: &Map<String, Value>) -> Value {
    let id = row
        .get("SystemAlertId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let extended = row
        .get("ExtendedProperties")
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .unwrap_or(json!({}));
    json!({
        "id": format!("{}/entities/{id}", workspace.arm_prefix()),
        "name": id,
        "type": "Microsoft.SecurityInsights/Entities",
        "kind": "SecurityAlert",
        "properties": {
            "systemAlertId": id,
            "alertDisplayName": text(row, "DisplayName"),
            "friendlyName": text(row, "DisplayName"),
            "alertType": text(row, "AlertType"),
            "severity": text(row, "AlertSeverity"),
            "description": text(row, "Description"),
            "status": text(row, "Status"),
            "vendorName": text(row, "VendorName"),
            "productName": text(row, "ProductName"),
            "productComponentName": text(row, "ProductComponentName"),
            "providerAlertId": text(row, "VendorOriginalId"),
            "confidenceLevel": text(row, "ConfidenceLevel"),
            "compromisedEntity": text(row, "CompromisedEntity"),
            "alertLink": text(row, "AlertLink"),
            "startTimeUtc": text(row, "StartTime"),
            "endTimeUtc": text(row, "EndTime"),
            "timeGenerated": text(row, "TimeGenerated"),
            "processingEndTime": text(row, "ProcessingEndTime"),
            "tactics": list(row, "Tactics"),
            "techniques": list(row, "Techniques"),
            "additionalData": extended,
        }
    })
}

/// The entities in a `SecurityAlert` row's `Entities` column (JSON text of objects with a `Type`), in
/// Sentinel's entity shape.
pub(crate) fn row_entities(workspace: &Workspace, row: &Map<String, Value>) -> Vec<Value> {
    let alert = row
        .get("SystemAlertId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let parsed: Vec<Value> = row
        .get("Entities")
        .and_then(Value::as_str)
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_default();
    parsed
        .into_iter()
        .enumerate()
        .filter_map(|(i, entity)| {
            let object = entity.as_object()?;
            let kind = entity_kind(object.get("Type")?.as_str()?);
            let mut properties: Map<String, Value> = object
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "Type" | "$id" | "$ref"))
                .map(|(k, v)| (lower_first(k), v.clone()))
                .collect();
            let friendly = [
                "Name",
                "HostName",
                "Address",
                "Url",
                "FileName",
                "CommandLine",
                "DisplayName",
            ]
            .iter()
            .find_map(|k| object.get(*k).and_then(Value::as_str));
            if let Some(friendly) = friendly {
                properties.insert("friendlyName".into(), json!(friendly));
            }
            let name = uuid::Uuid::new_v5(
                &uuid::Uuid::NAMESPACE_URL,
                format!("{alert}/{i}").as_bytes(),
            )
            .to_string();
            Some(json!({
                "id": format!("{}/entities/{name}", workspace.arm_prefix()),
                "name": name,
                "type": "Microsoft.SecurityInsights/Entities",
                "kind": kind,
                "properties": properties,
            }))
        })
        .collect()
}

fn lower_first(key: &str) -> String {
    let mut chars = key.chars();
    chars
        .next()
        .map(|c| c.to_lowercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Sentinel's entity kind for an alert entity's `Type` (`account` → `Account`, `ip` → `Ip`,
/// `registry-key` → `RegistryKey`).
fn entity_kind(entity_type: &str) -> String {
    match entity_type.to_ascii_lowercase().as_str() {
        "dns" => "DnsResolution".into(),
        "iotdevice" => "IoTDevice".into(),
        "filehash" => "FileHash".into(),
        "mailmessage" => "MailMessage".into(),
        other => other
            .split(['-', '_'])
            .map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                    .unwrap_or_default()
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_kinds_follow_sentinel_spelling() {
        assert_eq!(entity_kind("account"), "Account");
        assert_eq!(entity_kind("ip"), "Ip");
        assert_eq!(entity_kind("registry-key"), "RegistryKey");
        assert_eq!(entity_kind("cloud-application"), "CloudApplication");
        assert_eq!(entity_kind("filehash"), "FileHash");
    }
}
