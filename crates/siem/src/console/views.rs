//! The SIEM's records as the console's view types.
//!
//! An incident becomes a queue row and the header of its page; the `SecurityAlert` rows attached by
//! relations become its alerts, and the entities in their `Entities` column its evidence, grouped by kind;
//! its `SecurityIncident` rows (one per change) become its history, each described by what changed since the
//! row before; its comments stay comments. `additionalData.providerIncidentUrl`, set on incidents the
//! connector brings from the XDR, is the link to the same incident in the XDR console.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use tandem_console::{
    AlertView, ChangeView, CommentView, EntityKind, EntityView, IncidentDetail, IncidentSummary,
    Severity, TwinLink,
};
use tandem_model::mapping::owner_to_xdr;
use tandem_model::sentinel::{Incident, IncidentComment, IncidentOwner};
use tandem_model::{Field, Timestamp};

/// One row of the SIEM's tables, as stored.
type Row = Map<String, Value>;

fn instant(time: &Field<Timestamp>) -> Option<DateTime<Utc>> {
    time.get().map(Timestamp::instant)
}

/// The analyst an owner names (its UPN, else its email, else its display name).
fn owner_name(owner: &Field<IncidentOwner>) -> Option<String> {
    owner_to_xdr(owner).into_option()
}

/// An incident as a queue row.
pub fn summary(incident: &Incident) -> IncidentSummary {
    let p = &incident.properties;
    let data = p.additional_data.get();
    IncidentSummary {
        id: incident.name.get().cloned().unwrap_or_default(),
        title: p.title.get().cloned().unwrap_or_default(),
        severity: Severity::from_level(p.severity.get().map(|s| s.as_str()).unwrap_or_default()),
        status: p
            .status
            .get()
            .map(|s| s.as_str().to_owned())
            .unwrap_or_default(),
        owner: owner_name(&p.owner),
        classification: p.classification.get().map(|c| c.as_str().to_owned()),
        determination: p.classification_reason.get().map(|r| r.as_str().to_owned()),
        tags: p
            .labels
            .get()
            .map(|labels| labels.iter().map(|l| l.label_name.clone()).collect())
            .unwrap_or_default(),
        providers: data
            .and_then(|d| d.alert_product_names.get().cloned())
            .unwrap_or_default(),
        alert_count: data
            .and_then(|d| d.alerts_count.get())
            .and_then(|&n| usize::try_from(n).ok())
            .unwrap_or_default(),
        created: instant(&p.created_time_utc).unwrap_or_default(),
        updated: instant(&p.last_modified_time_utc).unwrap_or_default(),
    }
}

/// Everything the incident page shows.
pub fn detail(
    incident: &Incident,
    alerts: &[Row],
    history: &[Row],
    comments: &[IncidentComment],
    is_own: impl Fn(&str) -> bool,
) -> IncidentDetail {
    let p = &incident.properties;
    let data = p.additional_data.get();
    let twin = data
        .and_then(|d| d.provider_incident_url.get())
        .map(|url| TwinLink {
            id: p.provider_incident_id.get().cloned().unwrap_or_default(),
            url: url.clone(),
        });
    IncidentDetail {
        summary: summary(incident),
        description: p.description.get().cloned(),
        alerts: alerts.iter().map(alert_view).collect(),
        entities: entity_views(alerts),
        history: change_views(history, is_own),
        comments: comments.iter().map(comment_view).collect(),
        twin,
    }
}

fn text<'a>(row: &'a Row, column: &str) -> Option<&'a str> {
    row.get(column)
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
}

fn row_time(row: &Row, column: &str) -> Option<DateTime<Utc>> {
    text(row, column)
        .and_then(|t| Timestamp::parse(t).ok())
        .map(|t| t.instant())
}

/// A comma-separated column's items.
fn items(row: &Row, column: &str) -> Vec<String> {
    text(row, column)
        .map(|t| {
            t.split(',')
                .map(str::trim)
                .filter(|i| !i.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Where an alert comes from: its product, and the provider that brought it when that says more.
fn product_source(row: &Row) -> String {
    match (text(row, "ProductName"), text(row, "ProviderName")) {
        (Some(product), Some(provider)) if !product.eq_ignore_ascii_case(provider) => {
            format!("{product} ({provider})")
        }
        (Some(product), _) => product.to_owned(),
        (None, provider) => provider.unwrap_or_default().to_owned(),
    }
}

/// An attached `SecurityAlert` row as an alert; its MITRE ATT&CK tactics come before its techniques.
pub fn alert_view(row: &Row) -> AlertView {
    let mut mitre = items(row, "Tactics");
    mitre.extend(items(row, "Techniques"));
    AlertView {
        id: text(row, "SystemAlertId").unwrap_or_default().to_owned(),
        title: text(row, "DisplayName")
            .or_else(|| text(row, "AlertName"))
            .unwrap_or_default()
            .to_owned(),
        severity: Severity::from_level(text(row, "AlertSeverity").unwrap_or_default()),
        product: product_source(row),
        mitre_techniques: mitre,
        first_activity: row_time(row, "StartTime"),
        last_activity: row_time(row, "EndTime"),
        created: row_time(row, "TimeGenerated").unwrap_or_default(),
    }
}

fn comment_view(comment: &IncidentComment) -> CommentView {
    let p = &comment.properties;
    let author = p.author.get().and_then(|a| {
        [&a.name, &a.user_principal_name, &a.email]
            .into_iter()
            .find_map(|f| f.get().cloned())
    });
    CommentView {
        at: instant(&p.created_time_utc).unwrap_or_default(),
        author: author.unwrap_or_default(),
        text: p.message.get().cloned().unwrap_or_default(),
    }
}

/// The entities of all attached alerts, nested ones included, one entry per kind and name.
pub fn entity_views(alerts: &[Row]) -> Vec<EntityView> {
    let mut found = Vec::new();
    for row in alerts {
        let entities: Vec<Value> = text(row, "Entities")
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default();
        for entity in &entities {
            collect_entities(entity, &mut found);
        }
    }
    EntityView::distinct(found)
}

/// Adds `value` if it is an entity, then the entities nested in its members (a process's image file and
/// account, say). A file's hashes are facts about the file, not entities of their own.
fn collect_entities(value: &Value, found: &mut Vec<EntityView>) {
    match value {
        Value::Array(values) => values.iter().for_each(|v| collect_entities(v, found)),
        Value::Object(entity) => {
            let Some(kind) = entity.get("Type").and_then(Value::as_str) else {
                return;
            };
            found.push(entity_view(kind, entity));
            if !kind.eq_ignore_ascii_case("file") {
                entity.values().for_each(|v| collect_entities(v, found));
            }
        }
        _ => {}
    }
}

/// Labelled facts about an entity, each present or not.
type Facts = Vec<(&'static str, Option<String>)>;

fn member(entity: &Row, name: &str) -> Option<String> {
    match entity.get(name)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A file's hashes, as `SHA256: …` facts.
fn file_hashes(entity: &Row) -> Vec<(String, String)> {
    let hashes = entity.get("FileHashes").and_then(Value::as_array);
    hashes
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .filter_map(|h| Some((member(h, "Algorithm")?, member(h, "Value")?)))
        .collect()
}

fn entity_view(kind_name: &str, entity: &Row) -> EntityView {
    let get = |name: &str| member(entity, name);
    let (kind, name, facts): (EntityKind, Option<String>, Facts) =
        match kind_name.to_ascii_lowercase().as_str() {
            "host" => (
                EntityKind::Device,
                get("FQDN").or_else(|| get("HostName")),
                vec![
                    ("OS", get("OSFamily")),
                    ("Defender device id", get("MdatpDeviceId")),
                    ("Entra device id", get("AadDeviceId")),
                ],
            ),
            "account" => (
                EntityKind::User,
                match (get("Name"), get("UPNSuffix")) {
                    (Some(name), Some(suffix)) => Some(format!("{name}@{suffix}")),
                    (name, _) => name.or_else(|| get("DisplayName")),
                },
                vec![
                    ("Display name", get("DisplayName")),
                    ("Entra object id", get("AadUserId")),
                    ("SID", get("Sid")),
                ],
            ),
            "mailbox" => (
                EntityKind::Mailbox,
                get("MailboxPrimaryAddress").or_else(|| get("Upn")),
                vec![("Display name", get("DisplayName"))],
            ),
            "ip" => (
                EntityKind::Ip,
                get("Address"),
                vec![(
                    "Country",
                    entity
                        .get("Location")
                        .and_then(Value::as_object)
                        .and_then(|l| member(l, "CountryCode")),
                )],
            ),
            "file" => (
                EntityKind::File,
                get("Name"),
                vec![("Directory", get("Directory"))],
            ),
            "filehash" => (
                EntityKind::File,
                get("Value"),
                vec![("Algorithm", get("Algorithm"))],
            ),
            "process" => (
                EntityKind::Process,
                get("CommandLine").or_else(|| get("ProcessId")),
                vec![
                    ("Process id", get("ProcessId")),
                    ("Started", get("CreationTimeUtc")),
                ],
            ),
            "url" => (EntityKind::Url, get("Url"), Vec::new()),
            "cloud-application" => (
                EntityKind::CloudApp,
                get("Name"),
                vec![("App id", get("AppId"))],
            ),
            "mailmessage" => (
                EntityKind::Other,
                get("Subject").map(|s| format!("Email: {s}")),
                vec![
                    ("Recipient", get("Recipient")),
                    ("Sender IP", get("SenderIP")),
                ],
            ),
            _ => (EntityKind::Other, None, Vec::new()),
        };
    let mut view = EntityView::new(kind, name, kind_name, facts);
    view.details.extend(file_hashes(entity));
    view
}

/// The history rows as changes.
///
/// The rows the SIEM wrote itself (`ModifiedBy` one of its apps, `is_own`) form a chain: the first says
/// `Created`, each later one what changed since the one before. Rows other writers sent through Logs
/// Ingestion, such as the connector's copies of the XDR incident, describe the incident as its provider
/// saw it, in their own terms (the provider's alert ids, say); comparing them with the SIEM's rows would
/// report changes nobody made, so each stands alone as a report of the state it carries.
pub fn change_views(history: &[Row], is_own: impl Fn(&str) -> bool) -> Vec<ChangeView> {
    let mut previous: Option<&Row> = None;
    history
        .iter()
        .map(|row| {
            let actor = text(row, "ModifiedBy").unwrap_or("unknown");
            let description = if !is_own(actor) {
                describe_report(row)
            } else if let Some(before) = previous.replace(row) {
                describe_change(before, row)
            } else {
                "Created".to_owned()
            };
            ChangeView {
                at: row_time(row, "LastModifiedTime")
                    .or_else(|| row_time(row, "TimeGenerated"))
                    .unwrap_or_default(),
                actor: actor.to_owned(),
                description,
            }
        })
        .collect()
}

/// A row from another writer, in words: `Reported: status New, severity High, 4 alerts`.
fn describe_report(row: &Row) -> String {
    let mut facts: Vec<String> = [("Status", "status"), ("Severity", "severity")]
        .into_iter()
        .filter_map(|(column, label)| text(row, column).map(|v| format!("{label} {v}")))
        .collect();
    if let Some(owner) = owner_of(row) {
        facts.push(format!("assigned to {owner}"));
    }
    match length(row, "AlertIds") {
        0 => {}
        1 => facts.push("1 alert".to_owned()),
        n => facts.push(format!("{n} alerts")),
    }
    format!("Reported: {}", facts.join(", "))
}

/// A dynamic column's value, whether stored as JSON or as JSON text.
fn dynamic(row: &Row, column: &str) -> Value {
    match row.get(column) {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(value) => value.clone(),
        None => Value::Null,
    }
}

fn owner_of(row: &Row) -> Option<String> {
    let owner: Field<IncidentOwner> = match dynamic(row, "Owner") {
        Value::Null => Field::Null,
        value => serde_json::from_value(value).map_or(Field::Null, Field::Value),
    };
    owner_name(&owner)
}

fn label_names(row: &Row) -> BTreeSet<String> {
    let labels = dynamic(row, "Labels");
    labels
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|l| l.get("labelName").and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}

fn length(row: &Row, column: &str) -> usize {
    dynamic(row, column).as_array().map_or(0, Vec::len)
}

/// What changed between two history rows, in words, e.g. `Status: New → Active`.
fn describe_change(before: &Row, after: &Row) -> String {
    let mut parts = Vec::new();
    for (column, label) in [
        ("Title", "Title"),
        ("Severity", "Severity"),
        ("Status", "Status"),
        ("Classification", "Classification"),
        ("ClassificationReason", "Classification reason"),
    ] {
        let (old, new) = (text(before, column), text(after, column));
        if old != new {
            parts.push(format!(
                "{label}: {} → {}",
                old.unwrap_or("—"),
                new.unwrap_or("—")
            ));
        }
    }
    let (old_owner, new_owner) = (owner_of(before), owner_of(after));
    if old_owner != new_owner {
        parts.push(match new_owner {
            Some(owner) => format!("Assigned to {owner}"),
            None => "Unassigned".to_owned(),
        });
    }
    let (old_labels, new_labels) = (label_names(before), label_names(after));
    for added in new_labels.difference(&old_labels) {
        parts.push(format!("Tag {added} added"));
    }
    for removed in old_labels.difference(&new_labels) {
        parts.push(format!("Tag {removed} removed"));
    }
    for (column, noun) in [("Comments", "Comment"), ("AlertIds", "Alert")] {
        let (old, new) = (length(before, column), length(after, column));
        if new > old {
            parts.push(format!("{noun} added"));
        } else if new < old {
            parts.push(format!("{noun} removed"));
        }
    }
    if text(before, "ClassificationComment") != text(after, "ClassificationComment")
        && let Some(comment) = text(after, "ClassificationComment")
    {
        parts.push(format!("Closing comment: {comment}"));
    }
    if parts.is_empty() {
        "Updated".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(value: Value) -> Row {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn nested_entities_are_found_and_file_hashes_stay_facts() {
        let entities = json!([
            {"$id": "1", "Type": "process", "CommandLine": "evil.exe -x", "ProcessId": "42",
             "ImageFile": {"$id": "2", "Type": "file", "Name": "evil.exe",
                           "FileHashes": [{"$id": "3", "Type": "filehash", "Algorithm": "SHA256", "Value": "ab12"}]},
             "Account": {"$id": "4", "Type": "account", "Name": "alice", "UPNSuffix": "contoso.com"}},
            {"$id": "5", "Type": "host", "HostName": "pc1", "FQDN": "pc1.contoso.com"},
            {"$id": "6", "Type": "cloud-application", "Name": "Office 365", "AppId": 11161}
        ]);
        let alert = row(json!({"Entities": entities.to_string()}));
        let views = entity_views(&[alert.clone(), alert]);
        let mut names: Vec<(EntityKind, &str)> =
            views.iter().map(|e| (e.kind, e.name.as_str())).collect();
        names.sort();
        assert_eq!(
            names,
            vec![
                (EntityKind::Device, "pc1.contoso.com"),
                (EntityKind::User, "alice@contoso.com"),
                (EntityKind::File, "evil.exe"),
                (EntityKind::Process, "evil.exe -x"),
                (EntityKind::CloudApp, "Office 365"),
            ],
            "each entity once, nested ones included, hashes not on their own"
        );
        let details = |kind: EntityKind| {
            views
                .iter()
                .find(|e| e.kind == kind)
                .map(|e| e.details.clone())
                .unwrap_or_default()
        };
        assert!(details(EntityKind::File).contains(&("SHA256".to_owned(), "ab12".to_owned())));
        assert!(details(EntityKind::CloudApp).contains(&("App id".to_owned(), "11161".to_owned())));
    }

    #[test]
    fn history_rows_say_what_changed() {
        let first = row(
            json!({"Status": "New", "Severity": "High", "Owner": null, "Labels": [],
            "Comments": [], "ModifiedBy": "SOC automation", "LastModifiedTime": "2026-01-01T00:00:00Z"}),
        );
        let second = row(json!({"Status": "Closed", "Severity": "High",
            "Classification": "TruePositive", "ClassificationReason": "SuspiciousActivity",
            "Owner": {"assignedTo": "ana@contoso.com", "userPrincipalName": "ana@contoso.com"},
            "Labels": [{"labelName": "phish"}], "Comments": [{"message": "x"}],
            "ModifiedBy": "Analyst", "LastModifiedTime": "2026-01-01T01:00:00Z"}));
        let report = row(
            json!({"Status": "New", "Severity": "High", "AlertIds": "[\"a\",\"b\"]",
            "ModifiedBy": "Tandem XDR", "LastModifiedTime": "2026-01-01T00:30:00Z"}),
        );
        let own = |who: &str| who != "Tandem XDR";
        let mut changes = change_views(&[first.clone(), report, second, first], own);
        assert_eq!(
            changes[1].description,
            "Reported: status New, severity High, 2 alerts"
        );
        changes.remove(1);
        assert_eq!(changes[0].description, "Created");
        assert_eq!(changes[1].actor, "Analyst");
        for needle in [
            "Status: New → Closed",
            "Classification: — → TruePositive",
            "Classification reason: — → SuspiciousActivity",
            "Assigned to ana@contoso.com",
            "Tag phish added",
            "Comment added",
        ] {
            assert!(
                changes[1].description.contains(needle),
                "{needle}: {}",
                changes[1].description
            );
        }
        assert!(changes[2].description.contains("Unassigned"));
        assert!(changes[2].description.contains("Tag phish removed"));
    }

    #[test]
    fn alerts_name_their_product_and_provider_and_list_tactics_first() {
        let alert = alert_view(&row(json!({
            "SystemAlertId": "a1", "DisplayName": "Phish", "AlertSeverity": "Medium",
            "ProductName": "Microsoft Defender for Office 365", "ProviderName": "Tandem XDR",
            "Tactics": "InitialAccess", "Techniques": "T1566, T1566.001",
            "TimeGenerated": "2026-01-01T00:00:00Z"
        })));
        assert_eq!(alert.severity, Severity::Medium);
        assert_eq!(
            alert.product,
            "Microsoft Defender for Office 365 (Tandem XDR)"
        );
        assert_eq!(
            alert.mitre_techniques,
            vec!["InitialAccess", "T1566", "T1566.001"]
        );
    }
}
