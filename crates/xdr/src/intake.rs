//! Alert intake: detectors post Graph-shaped alerts, each is checked, stored and correlated into an
//! incident.
//!
//! A batch is one transaction, and each alert runs in its own savepoint: a bad alert is answered with an
//! error naming the field and never blocks the good ones, and every accepted alert is committed before
//! the response is sent. Posting an alert id again answers with where it already is.

use serde_json::{Map, Value, json};
use tandem_model::from_value;
use tandem_model::graph::Alert;
use tandem_model::wire::WireEnum;

use crate::clock;
use crate::correlation::{self, Decision};
use crate::service::{
    Invalid, XDR_ACTOR, XdrError, alert_facts, load_incident, note, refresh_incident, touch,
};
use crate::store::{self, Change, IncidentRecord, StoreError};
use crate::{Xdr, clock::to_nanos};

/// Where an accepted alert went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The alert id (the one posted, or a generated one).
    pub id: String,
    /// The incident the alert belongs to.
    pub incident_id: i64,
}

/// The answer for one posted alert.
pub type ItemResult = Result<Accepted, Invalid>;

impl Xdr {
    /// Stores and correlates a batch of posted alerts, answering each one.
    pub fn ingest(&self, items: Vec<Value>) -> Result<Vec<ItemResult>, XdrError> {
        self.store().write(|change| {
            items
                .into_iter()
                .enumerate()
                .map(
                    |(i, item)| match change.isolated(|change| self.ingest_one(change, item)) {
                        Ok(accepted) => Ok(Ok(accepted)),
                        Err(XdrError::Invalid(invalid)) => Ok(Err(Invalid {
                            target: format!("value[{i}].{}", invalid.target)
                                .trim_end_matches('.')
                                .to_owned(),
                            message: invalid.message,
                        })),
                        Err(other) => Err(other),
                    },
                )
                .collect()
        })
    }

    fn ingest_one(&self, change: &mut Change<'_>, item: Value) -> Result<Accepted, XdrError> {
        let Value::Object(mut doc) = item else {
            return Err(
                Invalid::new(".", format!("an alert must be a JSON object, not {item}")).into(),
            );
        };
        let id = alert_id(&mut doc)?;
        if let Some(existing) = store::alert_by_id(change.conn, &id)? {
            return Ok(Accepted {
                id,
                incident_id: existing.incident_id,
            });
        }
        let mut doc = validate(doc)?;
        complete(change, &mut doc, self.tenant_id());
        let facts = alert_facts(&doc);
        let from = to_nanos(facts.first_activity - self.window()).unwrap_or(i64::MIN);
        let to = to_nanos(facts.last_activity + self.window()).unwrap_or(i64::MAX);
        let links = store::links_for(change.conn, &facts.entities, from, to)?;
        let incident_id = match correlation::decide(&facts, &links, self.window()) {
            Decision::Create => self.create_incident(change)?,
            Decision::Join(id) => id,
            Decision::Merge { survivor, absorbed } => {
                for id in absorbed {
                    redirect(change, id, survivor)?;
                }
                survivor
            }
        };
        doc.insert("incidentId".into(), json!(incident_id.to_string()));
        let seq = store::save_alert(change.conn, incident_id, &doc)?;
        store::save_entities(change.conn, seq, &facts.entities)?;
        let title = doc.get("title").and_then(Value::as_str).unwrap_or_default();
        note(
            change,
            incident_id,
            XDR_ACTOR,
            format!("Alert added: {title} ({})", facts.service_source),
        )?;
        refresh_incident(change, incident_id)?;
        Ok(Accepted { id, incident_id })
    }

    fn create_incident(&self, change: &mut Change<'_>) -> Result<i64, StoreError> {
        let id = store::next_incident_id(change.conn)?;
        let created = clock::wire_text(change.tick());
        let doc = json!({
            "@odata.type": "#microsoft.graph.security.incident",
            "id": id.to_string(),
            "tenantId": self.tenant_id(),
            "redirectIncidentId": null,
            "displayName": "",
            "description": null,
            "createdDateTime": created,
            "lastUpdateDateTime": created,
            "assignedTo": null,
            "classification": "unknown",
            "determination": "unknown",
            "status": "active",
            "severity": "unknown",
            "customTags": [],
            "systemTags": [],
            "comments": [],
        });
        let doc = crate::service::object(doc);
        store::save_incident(change.conn, &IncidentRecord { id, doc })?;
        note(change, id, XDR_ACTOR, "Incident created by correlation")?;
        Ok(id)
    }
}

/// Moves every alert of `from` to `into` and marks `from` as redirected.
fn redirect(change: &mut Change<'_>, from: i64, into: i64) -> Result<(), XdrError> {
    for mut alert in store::alerts_of_incidents(change.conn, &[from])? {
        alert
            .doc
            .insert("incidentId".into(), json!(into.to_string()));
        touch(change, &mut alert.doc);
        store::save_alert(change.conn, into, &alert.doc)?;
    }
    let mut incident = load_incident(change.conn, from)?;
    incident.doc.insert("status".into(), json!("redirected"));
    incident
        .doc
        .insert("redirectIncidentId".into(), json!(into.to_string()));
    touch(change, &mut incident.doc);
    store::save_incident(change.conn, &incident)?;
    note(
        change,
        from,
        XDR_ACTOR,
        format!("Merged into incident {into}"),
    )?;
    note(
        change,
        into,
        XDR_ACTOR,
        format!("Incident {from} merged into this one"),
    )?;
    Ok(())
}

/// The posted id, or a new one when none was given. Ids become URL path segments, so they are limited
/// to letters, digits, `-`, `_` and `.`.
fn alert_id(doc: &mut Map<String, Value>) -> Result<String, Invalid> {
    let id = match doc.get("id") {
        None | Some(Value::Null) => format!("da{}", uuid::Uuid::new_v4().simple()),
        Some(Value::String(s))
            if !s.is_empty()
                && s.len() <= 128
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) =>
        {
            s.clone()
        }
        Some(other) => {
            return Err(Invalid::new(
                "id",
                format!("id {other} is not usable: use 1 to 128 letters, digits, '-', '_' or '.'"),
            ));
        }
    };
    doc.insert("id".into(), json!(id));
    Ok(id)
}

/// Reads the alert through the Graph model (which names the bad field and value) and checks what
/// correlation relies on; returns the document in canonical spellings.
fn validate(doc: Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    let alert: Alert = from_value(Value::Object(doc))?;
    if alert.title.get().is_none_or(|t| t.trim().is_empty()) {
        return Err(Invalid::new(
            "title",
            "title is required and must not be empty",
        ));
    }
    required_member("serviceSource", alert.service_source.get())?;
    required_member("severity", alert.severity.get())?;
    optional_member("detectionSource", alert.detection_source.get())?;
    optional_member("status", alert.status.get())?;
    optional_member("classification", alert.classification.get())?;
    optional_member("determination", alert.determination.get())?;
    match serde_json::to_value(&alert) {
        Ok(Value::Object(doc)) => Ok(doc),
        _ => Err(Invalid::new(".", "the alert could not be written back")),
    }
}

/// Refuses a missing member, or one the intake does not know. Reads keep unknown members (Graph adds
/// values over time); the intake only takes what it can route and correlate.
fn required_member<E: WireEnum>(field: &str, value: Option<&E>) -> Result<(), Invalid> {
    match value {
        None => Err(Invalid::new(field, format!("{field} is required"))),
        Some(value) => optional_member(field, Some(value)),
    }
}

/// Refuses a member the intake does not know; absence is fine.
fn optional_member<E: WireEnum>(field: &str, value: Option<&E>) -> Result<(), Invalid> {
    match value {
        Some(value) if !value.is_known() => Err(Invalid::new(
            field,
            format!(
                "{field} '{}' is not one of {}",
                value.wire_text(),
                E::known_list()
            ),
        )),
        _ => Ok(()),
    }
}

/// Fills in what the XDR owns: tenant, times, workflow defaults. Portal URLs are added when served.
fn complete(change: &mut Change<'_>, doc: &mut Map<String, Value>, tenant_id: &str) {
    let now = clock::wire_text(change.tick());
    doc.insert(
        "@odata.type".into(),
        json!("#microsoft.graph.security.alert"),
    );
    doc.insert("tenantId".into(), json!(tenant_id));
    doc.insert("createdDateTime".into(), json!(now));
    doc.insert("lastUpdateDateTime".into(), json!(now));
    doc.remove("alertWebUrl");
    doc.remove("incidentWebUrl");
    let id = doc.get("id").cloned().unwrap_or(Value::Null);
    let first = doc
        .get("firstActivityDateTime")
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or_else(|| json!(now));
    let last = doc
        .get("lastActivityDateTime")
        .filter(|v| v.is_string())
        .cloned()
        .unwrap_or_else(|| first.clone());
    let defaults = [
        ("providerAlertId", id),
        ("status", json!("new")),
        ("classification", json!("unknown")),
        ("determination", json!("unknown")),
        ("assignedTo", Value::Null),
        ("resolvedDateTime", Value::Null),
        ("firstActivityDateTime", first),
        ("lastActivityDateTime", last),
        ("mitreTechniques", json!([])),
        ("comments", json!([])),
        ("evidence", json!([])),
        ("systemTags", json!([])),
    ];
    for (name, value) in defaults {
        match doc.get(name) {
            None | Some(Value::Null) => {
                doc.insert(name.into(), value);
            }
            Some(_) => {}
        }
    }
}
