//! Alert intake: detectors post Graph-shaped alerts, each is checked, stored and correlated into an
//! incident.
//!
//! A batch is one transaction, and each alert runs in its own savepoint: a bad alert is answered with an
//! error naming the field and never blocks the good ones, and every accepted alert is committed before
//! the response is sent. Posting an alert id again answers with where it already is.

use serde_json::{Map, Value, json};
use tandem_model::graph::{
    ALERT_TYPE, Alert, AlertClassification, AlertDetermination, AlertSeverity, AlertStatus,
    INCIDENT_TYPE, Incident, IncidentStatus,
};
use tandem_model::wire::WireEnum;
use tandem_model::{Field, Timestamp, from_value};

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
        let mut alert = validate(doc)?;
        complete(change, &mut alert, self.tenant_id());
        let facts = alert_facts(&alert);
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
        alert.incident_id = Field::Value(incident_id.to_string());
        let seq = store::save_alert(change.conn, incident_id, &alert)?;
        store::save_entities(change.conn, seq, &facts.entities)?;
        let title = alert.title.get().map_or("", String::as_str);
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
        let created = Field::Value(clock::timestamp(change.tick()));
        let incident = Incident {
            odata_type: Field::Value(INCIDENT_TYPE.to_owned()),
            tenant_id: Field::Value(self.tenant_id().to_owned()),
            redirect_incident_id: Field::Null,
            display_name: Field::Value(String::new()),
            description: Field::Null,
            created_date_time: created.clone(),
            last_update_date_time: created,
            assigned_to: Field::Null,
            classification: Field::Value(AlertClassification::Unknown),
            determination: Field::Value(AlertDetermination::Unknown),
            status: Field::Value(IncidentStatus::Active),
            severity: Field::Value(AlertSeverity::Unknown),
            custom_tags: Field::Value(Vec::new()),
            system_tags: Field::Value(Vec::new()),
            comments: Field::Value(Vec::new()),
            ..Incident::new(id.to_string())
        };
        store::save_incident(change.conn, &IncidentRecord { id, incident })?;
        note(change, id, XDR_ACTOR, "Incident created by correlation")?;
        Ok(id)
    }
}

/// Moves every alert of `from` to `into` and marks `from` as redirected.
fn redirect(change: &mut Change<'_>, from: i64, into: i64) -> Result<(), XdrError> {
    for mut record in store::alerts_of_incidents(change.conn, &[from])? {
        record.alert.incident_id = Field::Value(into.to_string());
        touch(change, &mut record.alert);
        store::save_alert(change.conn, into, &record.alert)?;
    }
    let mut record = load_incident(change.conn, from)?;
    let incident = &mut record.incident;
    incident.status = Field::Value(IncidentStatus::Redirected);
    incident.redirect_incident_id = Field::Value(into.to_string());
    touch(change, incident);
    store::save_incident(change.conn, &record)?;
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
/// correlation relies on.
fn validate(doc: Map<String, Value>) -> Result<Alert, Invalid> {
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
    Ok(alert)
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
fn complete(change: &mut Change<'_>, alert: &mut Alert, tenant_id: &str) {
    let now = clock::timestamp(change.tick());
    alert.odata_type = Field::Value(ALERT_TYPE.to_owned());
    alert.tenant_id = Field::Value(tenant_id.to_owned());
    alert.created_date_time = Field::Value(now.clone());
    alert.last_update_date_time = Field::Value(now.clone());
    alert.alert_web_url = Field::Absent;
    alert.incident_web_url = Field::Absent;
    let first = alert.first_activity_date_time.get().cloned().unwrap_or(now);
    let last = alert
        .last_activity_date_time
        .get()
        .cloned()
        .unwrap_or_else(|| first.clone());
    default_to(&mut alert.provider_alert_id, Some(alert.id.clone()));
    default_to(&mut alert.status, Some(AlertStatus::New));
    default_to(
        &mut alert.classification,
        Some(AlertClassification::Unknown),
    );
    default_to(&mut alert.determination, Some(AlertDetermination::Unknown));
    default_to(&mut alert.assigned_to, None);
    default_to::<Timestamp>(&mut alert.resolved_date_time, None);
    default_to(&mut alert.first_activity_date_time, Some(first));
    default_to(&mut alert.last_activity_date_time, Some(last));
    default_to(&mut alert.mitre_techniques, Some(Vec::new()));
    default_to(&mut alert.comments, Some(Vec::new()));
    default_to(&mut alert.evidence, Some(Vec::new()));
    default_to(&mut alert.system_tags, Some(Vec::new()));
}

/// Gives a member that is absent or `null` its default (`None`: an explicit `null`).
fn default_to<T>(member: &mut Field<T>, default: Option<T>) {
    if member.get().is_none() {
        *member = Field::from(default);
    }
}
