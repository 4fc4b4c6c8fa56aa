//! Analyst changes: PATCH of incidents and alerts, and comments on either.
//!
//! Bodies are read through the Graph model's update types, which reject members the update pages do
//! not list; values outside the documented enums are refused rather than stored.

use serde_json::{Map, Value};
use tandem_model::graph::{
    ALERT_COMMENT_TYPE, Alert, AlertClassification, AlertComment, AlertDetermination, AlertStatus,
    AlertUpdate, Incident, IncidentStatus, IncidentUpdate, NewComment,
};
use tandem_model::wire::{Field, WireEnum};
use tandem_model::{from_value, limits};

use crate::clock;
use crate::service::{
    Invalid, Shown, Worked, Xdr, XdrError, describe_changes, load_incident, note, refresh_incident,
    shown_list, shown_text, shown_wire, touch,
};
use crate::store::{self, AlertRecord, Change};

/// Incident members beyond Graph's documented ones that the XDR lets analysts edit; they are kept among
/// the incident's undocumented members.
const INCIDENT_EXTRA_TEXTS: [&str; 2] = ["summary", "resolvingComment"];

/// Every incident member a PATCH may change, as the history names and shows them.
fn incident_editable(incident: &Incident) -> Vec<(&'static str, Shown)> {
    let mut members = vec![
        ("status", shown_wire(&incident.status)),
        ("assignedTo", shown_text(&incident.assigned_to)),
        ("classification", shown_wire(&incident.classification)),
        ("determination", shown_wire(&incident.determination)),
        ("customTags", shown_list(&incident.custom_tags)),
        ("description", shown_text(&incident.description)),
    ];
    for name in INCIDENT_EXTRA_TEXTS {
        members.push((name, shown_text(&extra_text(&incident.extra, name))));
    }
    members
}

/// Every alert member a PATCH may change.
fn alert_editable(alert: &Alert) -> Vec<(&'static str, Shown)> {
    vec![
        ("status", shown_wire(&alert.status)),
        ("assignedTo", shown_text(&alert.assigned_to)),
        ("classification", shown_wire(&alert.classification)),
        ("determination", shown_wire(&alert.determination)),
    ]
}

/// An undocumented member as text: absent, `null`, or its text (other JSON as written).
fn extra_text(extra: &Map<String, Value>, name: &str) -> Field<String> {
    match extra.get(name) {
        None => Field::Absent,
        Some(Value::Null) => Field::Null,
        Some(Value::String(text)) => Field::Value(text.clone()),
        Some(other) => Field::Value(other.to_string()),
    }
}

impl Xdr {
    /// Applies a PATCH body to an incident on behalf of `actor` and returns the updated incident.
    pub fn update_incident(&self, id: i64, body: Value, actor: &str) -> Result<Incident, XdrError> {
        let Value::Object(mut body) = body else {
            return Err(Invalid::new(".", "the body must be a JSON object").into());
        };
        let texts = TextEdits::take(&mut body)?;
        let update: IncidentUpdate = from_value(Value::Object(body)).map_err(Invalid::from)?;
        if let Field::Value(tags) = &update.custom_tags {
            limits::check_tags(tags.iter().map(String::as_str))
                .map_err(|message| Invalid::new("customTags", message))?;
        }
        self.edit_incident(id, actor, |change, incident| {
            if let Some(status) = update.status.get() {
                let status = settable_status(status)?;
                if status == IncidentStatus::Resolved {
                    resolve_alerts(change, id)?;
                }
                incident.status = Field::Value(status);
            }
            let triage = Triage(
                &mut incident.assigned_to,
                &mut incident.classification,
                &mut incident.determination,
            );
            triage.apply(
                &update.assigned_to,
                &update.classification,
                &update.determination,
            )?;
            if let Field::Value(tags) = &update.custom_tags {
                incident.custom_tags = Field::Value(tags.clone());
            }
            texts.apply(incident);
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
    ) -> Result<Incident, XdrError> {
        self.edit_incident(id, actor, |_, incident| {
            let mut tags = incident.custom_tags.get().cloned().unwrap_or_default();
            tags.retain(|t| t != tag);
            if present {
                tags.push(tag.to_owned());
                limits::check_tags(tags.iter().map(String::as_str))
                    .map_err(|message| Invalid::new("customTags", message))?;
            }
            incident.custom_tags = Field::Value(tags);
            Ok(())
        })
    }

    /// Runs `edit` on an incident in one transaction, records what changed in its history and stamps
    /// it.
    fn edit_incident(
        &self,
        id: i64,
        actor: &str,
        edit: impl FnOnce(&mut Change<'_>, &mut Incident) -> Result<(), XdrError>,
    ) -> Result<Incident, XdrError> {
        self.store().write(|change| {
            let mut record = load_incident(change.conn, id)?;
            let before = record.incident.clone();
            edit(change, &mut record.incident)?;
            if let Some(changes) = describe_changes(&before, &record.incident, incident_editable) {
                note(change, id, actor, changes)?;
            }
            touch(change, &mut record.incident);
            store::save_incident(change.conn, &record)?;
            Ok(record.incident)
        })
    }

    /// Applies a PATCH body to an alert on behalf of `actor` and returns the updated alert.
    pub fn update_alert(&self, id: &str, body: Value, actor: &str) -> Result<Alert, XdrError> {
        let update: AlertUpdate = from_value(body).map_err(Invalid::from)?;
        self.store().write(|change| {
            let mut record = load_alert(change.conn, id)?;
            let before = record.alert.clone();
            let alert = &mut record.alert;
            if let Some(status) = update.status.get() {
                let status = known("status", status, AlertStatus::KNOWN)?;
                set_alert_status(change, alert, status);
            }
            let triage = Triage(
                &mut alert.assigned_to,
                &mut alert.classification,
                &mut alert.determination,
            );
            triage.apply(
                &update.assigned_to,
                &update.classification,
                &update.determination,
            )?;
            if let Some(changes) = describe_changes(&before, &record.alert, alert_editable) {
                note(
                    change,
                    record.incident_id,
                    actor,
                    format!("Alert {id}: {changes}"),
                )?;
            }
            save_alert_change(change, &mut record)?;
            Ok(record.alert)
        })
    }

    /// Adds the body's comments to an incident; returns all of its comments.
    pub fn comment_incident(
        &self,
        id: i64,
        body: Value,
        author: &str,
    ) -> Result<Vec<AlertComment>, XdrError> {
        let texts = comment_texts(body)?;
        self.store().write(|change| {
            let mut record = load_incident(change.conn, id)?;
            let comments = append_comments(change, &mut record.incident, &texts, author);
            store::save_incident(change.conn, &record)?;
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
    ) -> Result<Vec<AlertComment>, XdrError> {
        let texts = comment_texts(body)?;
        self.store().write(|change| {
            let mut record = load_alert(change.conn, id)?;
            let comments = append_comments(change, &mut record.alert, &texts, author);
            note(
                change,
                record.incident_id,
                author,
                format!("Comment added to alert {id}"),
            )?;
            save_alert_change(change, &mut record)?;
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
    for mut record in store::alerts_of_incidents(change.conn, &[incident_id])? {
        if record.alert.status.get() != Some(&AlertStatus::Resolved) {
            set_alert_status(change, &mut record.alert, AlertStatus::Resolved);
            touch(change, &mut record.alert);
            store::save_alert(change.conn, incident_id, &record.alert)?;
        }
    }
    Ok(())
}

/// Sets an alert's status; resolving stamps `resolvedDateTime`, any other status clears it.
fn set_alert_status(change: &mut Change<'_>, alert: &mut Alert, status: AlertStatus) {
    alert.resolved_date_time = if status == AlertStatus::Resolved {
        Field::Value(clock::timestamp(change.tick()))
    } else {
        Field::Null
    };
    alert.status = Field::Value(status);
}

/// Stamps and saves a changed alert; its incident changes with it.
fn save_alert_change(change: &mut Change<'_>, record: &mut AlertRecord) -> Result<(), XdrError> {
    touch(change, &mut record.alert);
    store::save_alert(change.conn, record.incident_id, &record.alert)?;
    refresh_incident(change, record.incident_id)
}

/// The members analysts triage alike on incidents and alerts: `assignedTo`, `classification` and
/// `determination`.
struct Triage<'a>(
    &'a mut Field<String>,
    &'a mut Field<AlertClassification>,
    &'a mut Field<AlertDetermination>,
);

impl Triage<'_> {
    /// Sets what an update body sets: the owner as given (`null` unassigns), a verdict only when it is
    /// a known value.
    fn apply(
        self,
        assigned_to: &Field<String>,
        classification: &Field<AlertClassification>,
        determination: &Field<AlertDetermination>,
    ) -> Result<(), Invalid> {
        let Triage(owner, verdict, finding) = self;
        if !assigned_to.is_absent() {
            *owner = assigned_to.clone();
        }
        set_known(
            verdict,
            "classification",
            classification,
            AlertClassification::KNOWN,
        )?;
        set_known(
            finding,
            "determination",
            determination,
            AlertDetermination::KNOWN,
        )
    }
}

/// Sets `member` when the update sets it to a known value.
fn set_known<T: WireEnum + PartialEq + Clone>(
    member: &mut Field<T>,
    name: &str,
    value: &Field<T>,
    all: &[T],
) -> Result<(), Invalid> {
    if let Some(value) = value.get() {
        *member = Field::Value(known(name, value, all)?);
    }
    Ok(())
}

/// The known enum value among `all`, or an error listing the known ones.
fn known<T: WireEnum + PartialEq + Clone>(name: &str, value: &T, all: &[T]) -> Result<T, Invalid> {
    const SENTINEL: &str = "unknownFutureValue";
    if all.contains(value) && value.wire_text() != SENTINEL {
        return Ok(value.clone());
    }
    let listed: Vec<&str> = all
        .iter()
        .map(WireEnum::wire_text)
        .filter(|s| *s != SENTINEL)
        .collect();
    Err(Invalid::new(
        name,
        format!(
            "{name} '{}' is not one of {}",
            value.wire_text(),
            listed.join(", ")
        ),
    ))
}

/// Analysts may move an incident between active, in progress and resolved; redirection is the XDR's.
fn settable_status(status: &IncidentStatus) -> Result<IncidentStatus, Invalid> {
    let allowed = [
        IncidentStatus::Active,
        IncidentStatus::InProgress,
        IncidentStatus::Resolved,
    ];
    known("status", status, &allowed)
}

/// The free-text incident members a PATCH body sets, taken out of it before the documented update
/// body is read: each absent, `null` or a text.
struct TextEdits {
    description: Field<String>,
    extra: Vec<(&'static str, Field<String>)>,
}

impl TextEdits {
    fn take(body: &mut Map<String, Value>) -> Result<Self, Invalid> {
        let description = take_text(body, "description")?;
        let extra = INCIDENT_EXTRA_TEXTS
            .iter()
            .map(|name| Ok((*name, take_text(body, name)?)))
            .collect::<Result<_, Invalid>>()?;
        Ok(TextEdits { description, extra })
    }

    fn apply(self, incident: &mut Incident) {
        if !self.description.is_absent() {
            incident.description = self.description;
        }
        for (name, text) in self.extra {
            let value = match text {
                Field::Absent => continue,
                Field::Null => Value::Null,
                Field::Value(text) => Value::String(text),
            };
            incident.extra.insert(name.into(), value);
        }
    }
}

fn take_text(body: &mut Map<String, Value>, name: &str) -> Result<Field<String>, Invalid> {
    match body.remove(name) {
        None => Ok(Field::Absent),
        Some(Value::Null) => Ok(Field::Null),
        Some(Value::String(text)) => Ok(Field::Value(text)),
        Some(other) => Err(Invalid::new(
            name,
            format!("{name} must be a string or null, not {other}"),
        )),
    }
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

/// Appends comments to an incident's or alert's `comments`, stamps it and returns every comment.
fn append_comments(
    change: &mut Change<'_>,
    item: &mut impl Worked,
    texts: &[String],
    author: &str,
) -> Vec<AlertComment> {
    let now = touch(change, item);
    let comments = item.comments();
    let mut all = comments.get().cloned().unwrap_or_default();
    all.extend(texts.iter().map(|text| AlertComment {
        odata_type: Field::Value(format!("#{ALERT_COMMENT_TYPE}")),
        comment: Field::Value(text.clone()),
        created_by_display_name: Field::Value(author.to_owned()),
        created_date_time: Field::Value(clock::timestamp(now)),
        ..AlertComment::default()
    }));
    *comments = Field::Value(all.clone());
    all
}
