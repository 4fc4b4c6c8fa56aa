//! Graph incidents in the reconciler's neutral shape, and the reconciler's patches as Graph update
//! bodies.
//!
//! Graph's `active` is [`Status::New`], `inProgress` and `awaitingAction` are [`Status::Active`],
//! `resolved` is [`Status::Closed`]. The classification keeps Graph's determination in its wire spelling.
//! Comments have no id in Graph, so a native comment is known by its creation time; a comment carrying an
//! origin marker is known by the origin the marker names.
//!
//! The neutral severity, status and verdict are the SIEM's (plus `redirected`), so Graph values are read
//! and written through the model's mapping (`severity_to_siem`, `verdict_to_siem`, `status_to_xdr`,
//! `verdict_to_xdr`), and the connector and the model never disagree on what a value is on the other
//! side.

use std::collections::BTreeMap;

use tandem_model::Field;
use tandem_model::graph::{
    AlertComment, AlertDetermination, AlertSeverity, Incident, IncidentStatus, IncidentUpdate,
};
use tandem_model::mapping::{
    SiemVerdict, XdrVerdict, severity_to_siem, status_to_xdr, verdict_to_siem, verdict_to_xdr,
};

use crate::reconcile::{
    Classification, Comment, CommentOrigin, FieldPatch, Severity, Side, SideVersion, Status,
    SyncedFields, SyncedIncident, Verdict, parse_marker,
};
use crate::sides::sentinel::mapping::{severity_of, siem_classification, siem_status, verdict_of};

/// An incident the connector cannot read, naming the incident, the member and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("XDR incident {incident}: {field} = {value}: {reason}")]
pub struct GraphMappingError {
    /// The incident id.
    pub incident: String,
    /// The member.
    pub field: &'static str,
    /// Its value as sent (`absent` when missing).
    pub value: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// The incident in the neutral shape.
pub fn synced_incident(incident: &Incident) -> Result<SyncedIncident, GraphMappingError> {
    let error = |field, value: String, reason| GraphMappingError {
        incident: incident.id.clone(),
        field,
        value,
        reason,
    };
    let changed_at = incident
        .last_update_date_time
        .get()
        .cloned()
        .ok_or_else(|| {
            error(
                "lastUpdateDateTime",
                "absent".into(),
                "the change marker is required",
            )
        })?;
    let status = match incident.status.get() {
        None | Some(IncidentStatus::Active) => Status::New,
        Some(IncidentStatus::Resolved) => Status::Closed,
        Some(IncidentStatus::Redirected) => Status::Redirected,
        Some(IncidentStatus::InProgress | IncidentStatus::AwaitingAction) => Status::Active,
        Some(other) => {
            return Err(error(
                "status",
                other.as_str().to_owned(),
                "not a status Tandem syncs",
            ));
        }
    };
    Ok(SyncedIncident {
        fields: SyncedFields {
            status,
            severity: severity(incident.severity.get()),
            owner: incident
                .assigned_to
                .get()
                .map(|o| o.trim().to_lowercase())
                .filter(|o| !o.is_empty()),
            classification: classification(incident),
            tags: incident
                .custom_tags
                .get()
                .into_iter()
                .flatten()
                .cloned()
                .collect(),
        },
        comments: comments(incident.comments()),
        version: SideVersion {
            marker: changed_at.as_str().to_owned(),
            changed_at,
        },
        redirected_to: incident.redirect_incident_id.get().cloned(),
    })
}

/// The neutral severity: the SIEM's, as the model maps the XDR's to it.
fn severity(severity: Option<&AlertSeverity>) -> Severity {
    severity_of(severity.map(severity_to_siem).as_ref())
}

/// The neutral classification: the verdict of the SIEM classification the model maps the XDR's to,
/// with the XDR's determination (none when undetermined).
fn classification(incident: &Incident) -> Classification {
    let siem = verdict_to_siem(&XdrVerdict {
        classification: incident.classification.get().cloned(),
        determination: None,
    });
    let verdict = verdict_of(siem.classification.as_ref());
    let determination = incident
        .determination
        .get()
        .filter(|d| !matches!(d, AlertDetermination::Unknown))
        .map(|d| d.as_str().to_owned());
    Classification {
        verdict,
        determination: determination.filter(|_| verdict != Verdict::Undetermined),
    }
}

/// The comments keyed by origin: a marker's origin, else the XDR and the creation time.
fn comments(comments: &[AlertComment]) -> BTreeMap<CommentOrigin, Comment> {
    comments
        .iter()
        .filter_map(|c| {
            let text = c.comment.get()?;
            let (body, origin) = parse_marker(text);
            let origin = origin.or_else(|| {
                c.created_date_time.get().map(|t| CommentOrigin {
                    side: Side::Xdr,
                    id: t.as_str().to_owned(),
                })
            })?;
            let comment = Comment {
                text: body.to_owned(),
                author: c.created_by_display_name.get().cloned(),
            };
            Some((origin, comment))
        })
        .collect()
}

/// Whether the incident already holds a comment mirrored from `origin`.
pub fn has_comment_from(incident: &Incident, origin: &CommentOrigin) -> bool {
    incident
        .comments()
        .iter()
        .filter_map(|c| c.comment.get())
        .any(|text| parse_marker(text).1.as_ref() == Some(origin))
}

/// The Graph update body for `patch`, tags applied to the incident's current `tags`. Graph's incident
/// update has no severity member, so a severity change is not written: the XDR's severity stands.
pub fn incident_update(patch: &FieldPatch, current: &SyncedFields) -> IncidentUpdate {
    let mut update = IncidentUpdate::default();
    if let Some(change) = &patch.status {
        update.status = Field::Value(status(change.to));
    }
    if let Some(change) = &patch.owner {
        update.assigned_to = change.to.clone().map_or(Field::Null, Field::Value);
    }
    if let Some(change) = &patch.classification {
        let verdict = xdr_verdict(&change.to);
        update.classification = verdict.classification.map_or(Field::Absent, Field::Value);
        update.determination = verdict.determination.map_or(Field::Absent, Field::Value);
    }
    if let Some(tags) = &patch.tags {
        update.custom_tags = Field::Value(tags.apply(&current.tags).into_iter().collect());
    }
    update
}

/// The XDR status of a neutral status: the SIEM's, as the model maps it to Graph; `redirected`, which
/// the SIEM cannot hold, stays `redirected`.
fn status(status: Status) -> IncidentStatus {
    match status {
        Status::Redirected => IncidentStatus::Redirected,
        other => status_to_xdr(&siem_status(other)),
    }
}

/// The XDR verdict of a neutral classification: the SIEM's classification as the model maps it to
/// Graph, with the determination the classification names, else the one the model gives a
/// classification without a reason (`other`, or `unknown` when undetermined).
pub(crate) fn xdr_verdict(classification: &Classification) -> XdrVerdict {
    let mapped = verdict_to_xdr(&SiemVerdict {
        classification: Some(siem_classification(classification.verdict)),
        reason: None,
    });
    XdrVerdict {
        classification: mapped.classification,
        determination: classification
            .determination
            .as_deref()
            .map(AlertDetermination::from_wire)
            .or(mapped.determination),
    }
}
