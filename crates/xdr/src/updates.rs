//! Analyst changes: PATCH of incidents and alerts, and comments on either.
//!
//! Bodies are read through the Graph model's update types, which reject members the update pages do
//! not list; values outside the documented enums are refused rather than stored.

use serde_json::{Map, Value, json};
use tandem_model::graph::{
    AlertClassification, AlertDetermination, AlertStatus, AlertUpdate, IncidentStatus,
    IncidentUpdate, NewComment,
};
use tandem_model::wire::Field;
use tandem_model::{from_value, limits};

use crate::clock;
use crate::service::{
    Invalid, Xdr, XdrError, describe_changes, load_incident, note, refresh_incident, touch,
};
use crate::store::{self, AlertRecord, Change};

/// Incident members the XDR lets analysts edit beyond the documented update body.
const INCIDENT_TEXT_FIELDS: [&str; 3] = ["description", "summary", "resolvingComment"];

/// Every incident member a PATCH may change, as the history names them.
const INCIDENT_EDITABLE: &[&str] = &[
    "status",
    "assignedTo",
    "classification",
    "determination",
    "customTags",
    "description",
    "summary",
    "resolvingComment",
];

/// Every alert member a PATCH may change.
const ALERT_EDITABLE: &[&str] = &["status", "assignedTo", "classification", "determination"];

impl Xdr {
    /// Applies a PATCH body to an incident on behalf of `actor` and returns the updated document.
    pub fn update_incident(
        &self,
        id: i64,
        body: Value,
        actor: &str,
    ) -> Result<Map<String, Value>, XdrError> {
        let Value::Object(mut body) = body else {
            return Err(Invalid::new(".", "the body must be a JSON object").into());
        };
        let texts = take_text_fields(&mut body)?;
        let update: IncidentUpdate = from_value(Value::Object(body)).map_err(Invalid::from)?;
        if let Field::Value(tags) = &update.custom_tags {
            limits::check_tags(tags.iter().map(String::as_str))
                .map_err(|message| Invalid::new("customTags", message))?;
        }
        self.edit_incident(id, actor, |change, doc| {
            if let Some(status) = update.status.get() {
                let status = settable_status(status)?;
                if status == IncidentStatus::Resolved.as_str() {
                    resolve_alerts(change, id)?;
                }
                doc.insert("status".into(), json!(status));
            }
            set_common(
                doc,
                &update.assigned_to,
                &update.classification,
                &update.determination,
            )?;
            if let Field::Value(tags) = &update.custom_tags {
                doc.insert("customTags".into(), json!(tags));
            }
            doc.extend(texts);
            Ok(())
        })
    }

    /// Adds `tag` to an incident's custom tags (`present`) or removes it, on behalf of `actor`.
    pub fn set_tag(
        &self,
        id: i64,
        tag: &str,
        present: bool,
        actor: &str,
    ) -> Result<Map<String, Value>, XdrError> {
        self.edit_incident(id, actor, |_, doc| {
            let mut tags: Vec<Value> = match doc.remove("customTags") {
                Some(Value::Array(tags)) => tags,
                _ => Vec::new(),
            };
            tags.retain(|t| t.as_str() != Some(tag));
            if present {
                tags.push(json!(tag));
                limits::check_tags(tags.iter().filter_map(Value::as_str))
                    .map_err(|message| Invalid::new("customTags", message))?;
            }
            doc.insert("customTags".into(), json!(tags));
            Ok(())
        })
    }

    /// Runs `edit` on an incident's document in one transaction, records what changed in its history
    /// and stamps it.
    fn edit_incident(
        &self,
        id: i64,
        actor: &str,
        edit: impl FnOnce(&mut Change<'_>, &mut Map<String, Value>) -> Result<(), XdrError>,
    ) -> Result<Map<String, Value>, XdrError> {
        self.store().write(|change| {
            let mut incident = load_incident(change.conn, id)?;
            let before = incident.doc.clone();
            edit(change, &mut incident.doc)?;
            if let Some(changes) = describe_changes(&before, &incident.doc, INCIDENT_EDITABLE) {
                note(change, id, actor, changes)?;
            }
            touch(change, &mut incident.doc);
            store::save_incident(change.conn, &incident)?;
            Ok(incident.doc)
        })
    }

    /// Applies a PATCH body to an alert on behalf of `actor` and returns the updated document.
    pub fn update_alert(
        &self,
        id: &str,
        body: Value,
        actor: &str,
    ) -> Result<Map<String, Value>, XdrError> {
        let update: AlertUpdate = from_value(body).map_err(Invalid::from)?;
        self.store().write(|change| {
            let mut alert = load_alert(change.conn, id)?;
            let before = alert.doc.clone();
            let doc = &mut alert.doc;
            if let Some(status) = update.status.get() {
                let status = known("status", status, AlertStatus::KNOWN, AlertStatus::as_str)?;
                set_alert_status(change, doc, &status);
            }
            set_common(
                doc,
                &update.assigned_to,
                &update.classification,
                &update.determination,
            )?;
            if let Some(changes) = describe_changes(&before, &alert.doc, ALERT_EDITABLE) {
                note(
                    change,
                    alert.incident_id,
                    actor,
                    format!("Alert {id}: {changes}"),
                )?;
            }
            save_alert_change(change, &mut alert)?;
            Ok(alert.doc)
        })
    }

    /// Adds the body's comments to an incident; returns all of its comments.
    pub fn comment_incident(
        &self,
        id: i64,
        body: Value,
        author: &str,
    ) -> Result<Vec<Value>, XdrError> {
        let texts = comment_texts(body)?;
        self.store().write(|change| {
            let mut incident = load_incident(change.conn, id)?;
            let comments = append_comments(change, &mut incident.doc, &texts, author);
            store::save_incident(change.conn, &incident)?;
            note(change, id, author, "Comment added")?;
            Ok(comments)
        })
    }

    /// Adds the body's comments to an alert; returns all of its comments.
    pub fn comment_alert(
        &self,
        id: &str,
        body: Value,
        author: &str,
    ) -> Result<Vec<Value>, XdrError> {
        let texts = comment_texts(body)?;
        self.store().write(|change| {
            let mut alert = load_alert(change.conn, id)?;
            let comments = append_comments(change, &mut alert.doc, &texts, author);
            note(
                change,
                alert.incident_id,
                author,
                format!("Comment added to alert {id}"),
            )?;
            save_alert_change(change, &mut alert)?;
            Ok(comments)
        })
    }
}

/// The alert with this id, or `NotFound`.
pub(crate) fn load_alert(conn: &rusqlite::Connection, id: &str) -> Result<AlertRecord, XdrError> {
    store::alert_by_id(conn, id)?.ok_or_else(|| XdrError::NotFound {
        kind: "alert",
        id: id.to_owned(),
    })
}

/// Resolving an incident resolves its alerts, as Defender does.
fn resolve_alerts(change: &mut Change<'_>, incident_id: i64) -> Result<(), XdrError> {
    let resolved = AlertStatus::Resolved.as_str();
    for mut alert in store::alerts_of_incidents(change.conn, &[incident_id])? {
        if alert.doc.get("status").and_then(Value::as_str) != Some(resolved) {
            set_alert_status(change, &mut alert.doc, resolved);
            touch(change, &mut alert.doc);
            store::save_alert(change.conn, incident_id, &alert.doc)?;
        }
    }
    Ok(())
}

/// Sets an alert's status; resolving stamps `resolvedDateTime`, any other status clears it.
fn set_alert_status(change: &mut Change<'_>, doc: &mut Map<String, Value>, status: &str) {
    let resolved = if status == AlertStatus::Resolved.as_str() {
        json!(clock::wire_text(change.tick()))
    } else {
        Value::Null
    };
    doc.insert("status".into(), json!(status));
    doc.insert("resolvedDateTime".into(), resolved);
}

/// Stamps and saves a changed alert; its incident changes with it.
fn save_alert_change(change: &mut Change<'_>, alert: &mut AlertRecord) -> Result<(), XdrError> {
    touch(change, &mut alert.doc);
    store::save_alert(change.conn, alert.incident_id, &alert.doc)?;
    refresh_incident(change, alert.incident_id)
}

fn set_common(
    doc: &mut Map<String, Value>,
    assigned_to: &Field<String>,
    classification: &Field<AlertClassification>,
    determination: &Field<AlertDetermination>,
) -> Result<(), Invalid> {
    match assigned_to {
        Field::Absent => {}
        Field::Null => {
            doc.insert("assignedTo".into(), Value::Null);
        }
        Field::Value(owner) => {
            doc.insert("assignedTo".into(), json!(owner));
        }
    }
    set_known(
        doc,
        "classification",
        classification,
        AlertClassification::KNOWN,
        AlertClassification::as_str,
    )?;
    set_known(
        doc,
        "determination",
        determination,
        AlertDetermination::KNOWN,
        AlertDetermination::as_str,
    )?;
    Ok(())
}

/// Writes member `name` when the update sets it to a known value (its documented spelling).
fn set_known<T: PartialEq>(
    doc: &mut Map<String, Value>,
    name: &str,
    value: &Field<T>,
    all: &[T],
    spell: fn(&T) -> &str,
) -> Result<(), Invalid> {
    if let Some(value) = value.get() {
        doc.insert(name.into(), json!(known(name, value, all, spell)?));
    }
    Ok(())
}

/// The documented spelling of a known enum value, or an error listing the known ones.
fn known<T: PartialEq>(
    name: &str,
    value: &T,
    all: &[T],
    spell: fn(&T) -> &str,
) -> Result<String, Invalid> {
    if all.contains(value) && spell(value) != "unknownFutureValue" {
        return Ok(spell(value).to_owned());
    }
    let listed: Vec<&str> = all
        .iter()
        .map(spell)
        .filter(|s| *s != "unknownFutureValue")
        .collect();
    Err(Invalid::new(
        name,
        format!(
            "{name} '{}' is not one of {}",
            spell(value),
            listed.join(", ")
        ),
    ))
}

/// Analysts may move an incident between active, in progress and resolved; redirection is the XDR's.
fn settable_status(status: &IncidentStatus) -> Result<String, Invalid> {
    let allowed = [
        IncidentStatus::Active,
        IncidentStatus::InProgress,
        IncidentStatus::Resolved,
    ];
    known("status", status, &allowed, IncidentStatus::as_str)
}

fn take_text_fields(body: &mut Map<String, Value>) -> Result<Map<String, Value>, Invalid> {
    let mut taken = Map::new();
    for name in INCIDENT_TEXT_FIELDS {
        match body.remove(name) {
            None => {}
            Some(value @ (Value::Null | Value::String(_))) => {
                taken.insert(name.into(), value);
            }
            Some(other) => {
                return Err(Invalid::new(
                    name,
                    format!("{name} must be a string or null, not {other}"),
                ));
            }
        }
    }
    Ok(taken)
}

/// The comments a body carries: one comment object as the Graph pages show it, or an array of them as
/// Microsoft's SDKs send it.
fn comment_texts(body: Value) -> Result<Vec<String>, Invalid> {
    let items = match body {
        Value::Array(items) if !items.is_empty() => items,
        Value::Array(_) => return Err(Invalid::new(".", "the comment list is empty")),
        single => vec![single],
    };
    items.into_iter().map(comment_text).collect()
}

fn comment_text(body: Value) -> Result<String, Invalid> {
    let comment: NewComment = from_value(body)?;
    if comment.comment.trim().is_empty() {
        return Err(Invalid::new("comment", "comment must not be empty"));
    }
    limits::check_comment(&comment.comment).map_err(|message| Invalid::new("comment", message))?;
    Ok(comment.comment)
}

/// Appends comments to a document's `comments`, stamps the document and returns every comment.
fn append_comments(
    change: &mut Change<'_>,
    doc: &mut Map<String, Value>,
    texts: &[String],
    author: &str,
) -> Vec<Value> {
    let now = touch(change, doc);
    let mut comments = match doc.remove("comments") {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    comments.extend(texts.iter().map(|text| {
        json!({
            "@odata.type": "#microsoft.graph.security.alertComment",
            "comment": text,
            "createdByDisplayName": author,
            "createdDateTime": clock::wire_text(now),
        })
    }));
    doc.insert("comments".into(), json!(comments));
    comments
}
