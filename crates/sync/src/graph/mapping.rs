//! Graph incidents in the reconciler's neutral shape, and the reconciler's patches as Graph update
//! bodies.
//!
//! Graph's `active` is [`Status::New`], `inProgress` and `awaitingAction` are [`Status::Active`],
//! `resolved` is [`Status::Closed`]. The classification keeps Graph's determination in its wire spelling.
//! Comments have no id in Graph, so a native comment is known by its creation time; a comment carrying an
//! origin marker is known by the origin the marker names.

use std::collections::BTreeMap;

use tandem_model::Field;
use tandem_model::graph::{
    AlertClassification, AlertComment, AlertDetermination, AlertSeverity, Incident, IncidentStatus,
    IncidentUpdate,
};

use crate::reconcile::{
    Classification, Comment, CommentOrigin, FieldPatch, Severity, Side, SideVersion, Status,
    SyncedFields, SyncedIncident, Verdict, parse_marker,
};

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

fn severity(severity: Option<&AlertSeverity>) -> Severity {
    match severity {
        Some(AlertSeverity::High) => Severity::High,
        Some(AlertSeverity::Medium) => Severity::Medium,
        Some(AlertSeverity::Low) => Severity::Low,
        _ => Severity::Informational,
    }
}

fn classification(incident: &Incident) -> Classification {
    let verdict = match incident.classification.get() {
        Some(AlertClassification::TruePositive) => Verdict::TruePositive,
        Some(AlertClassification::FalsePositive) => Verdict::FalsePositive,
        Some(AlertClassification::InformationalExpectedActivity) => Verdict::BenignPositive,
        _ => Verdict::Undetermined,
    };
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
        let (classification, determination) = verdict(&change.to);
        update.classification = Field::Value(classification);
        update.determination = Field::Value(determination);
    }
    if let Some(tags) = &patch.tags {
        update.custom_tags = Field::Value(tags.apply(&current.tags).into_iter().collect());
    }
    update
}

fn status(status: Status) -> IncidentStatus {
    match status {
        Status::New => IncidentStatus::Active,
        Status::Active => IncidentStatus::InProgress,
        Status::Closed => IncidentStatus::Resolved,
        Status::Redirected => IncidentStatus::Redirected,
    }
}

/// Graph classification and determination; a verdict without detail gets `other` (or `unknown`).
fn verdict(classification: &Classification) -> (AlertClassification, AlertDetermination) {
    let (graph, fallback) = match classification.verdict {
        Verdict::Undetermined => (AlertClassification::Unknown, AlertDetermination::Unknown),
        Verdict::TruePositive => (
            AlertClassification::TruePositive,
            AlertDetermination::OtherOutcome,
        ),
        Verdict::BenignPositive => (
            AlertClassification::InformationalExpectedActivity,
            AlertDetermination::OtherOutcome,
        ),
        Verdict::FalsePositive => (
            AlertClassification::FalsePositive,
            AlertDetermination::OtherOutcome,
        ),
    };
    let determination = classification
        .determination
        .as_deref()
        .map_or(fallback, AlertDetermination::from_wire);
    (graph, determination)
}
