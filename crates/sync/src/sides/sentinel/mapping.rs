//! Sentinel incidents in the reconciler's neutral shape, the reconciler's patches applied to incident
//! properties, and the body that creates an XDR incident's twin.
//!
//! Sentinel's `New`, `Active` and `Closed` are [`Status::New`], [`Status::Active`] and
//! [`Status::Closed`]. Sentinel cannot hold Graph's determination; the connector writes it into
//! `classificationComment` (`Determination: malware`) and reads it back from there, or from the two
//! classification reasons that name one. A comment carrying an origin marker is known by that origin, any
//! other by its resource name; an analyst's closing comment counts as one more comment.

use std::collections::{BTreeMap, BTreeSet};

use tandem_model::Field;
use tandem_model::graph::AlertDetermination;
use tandem_model::mapping::{
    Provider, SiemVerdict, closing_comment, determination_comment, incident_to_siem,
    labels_to_siem, labels_to_xdr, owner_to_siem, owner_to_xdr, verdict_to_siem, verdict_to_xdr,
};
use tandem_model::sentinel::{
    Incident, IncidentClassification, IncidentComment, IncidentLabelType, IncidentProperties,
    IncidentSeverity, IncidentStatus,
};

use crate::reconcile::{
    Classification, Comment, CommentOrigin, FieldPatch, Severity, Side, SideVersion, Status,
    SyncedFields, SyncedIncident, TANDEM_NAMESPACE, Verdict, parse_marker,
};
use crate::sides::graph::mapping::xdr_verdict;
use uuid::Uuid;

/// An incident the connector cannot read, naming the incident, the member and its value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("SIEM incident {incident}: {field} = {value}: {reason}")]
pub struct SentinelMappingError {
    /// The incident name.
    pub incident: String,
    /// The member.
    pub field: &'static str,
    /// Its value as sent (`absent` when missing).
    pub value: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// The incident and its comments in the neutral shape.
pub fn synced_incident(
    incident: &Incident,
    comments: &[IncidentComment],
) -> Result<SyncedIncident, SentinelMappingError> {
    let name = incident.name.get().cloned().unwrap_or_default();
    let error = |field, value: String, reason| SentinelMappingError {
        incident: name.clone(),
        field,
        value,
        reason,
    };
    let p = &incident.properties;
    let marker = incident
        .etag
        .get()
        .cloned()
        .ok_or_else(|| error("etag", "absent".into(), "the change marker is required"))?;
    let changed_at = p
        .last_modified_time_utc
        .get()
        .or(p.created_time_utc.get())
        .cloned()
        .ok_or_else(|| {
            error(
                "properties.lastModifiedTimeUtc",
                "absent".into(),
                "the change time is required",
            )
        })?;
    let status = match p.status.get() {
        Some(IncidentStatus::New) | None => Status::New,
        Some(IncidentStatus::Active) => Status::Active,
        Some(IncidentStatus::Closed) => Status::Closed,
        Some(other) => {
            return Err(error(
                "properties.status",
                other.as_str().to_owned(),
                "not a status Tandem syncs",
            ));
        }
    };
    Ok(SyncedIncident {
        fields: SyncedFields {
            status,
            severity: severity_of(p.severity.get()),
            owner: owner(p),
            classification: classification(p),
            tags: p
                .labels
                .get()
                .map(|l| labels_to_xdr(l))
                .into_iter()
                .flatten()
                .collect(),
        },
        comments: with_closing_comment(comment_map(comments), p),
        version: SideVersion { marker, changed_at },
        redirected_to: None,
    })
}

/// The neutral severity of a SIEM severity; an unknown or missing one is `Informational`.
pub(crate) fn severity_of(severity: Option<&IncidentSeverity>) -> Severity {
    match severity {
        Some(IncidentSeverity::High) => Severity::High,
        Some(IncidentSeverity::Medium) => Severity::Medium,
        Some(IncidentSeverity::Low) => Severity::Low,
        _ => Severity::Informational,
    }
}

fn siem_severity(severity: Severity) -> IncidentSeverity {
    match severity {
        Severity::High => IncidentSeverity::High,
        Severity::Medium => IncidentSeverity::Medium,
        Severity::Low => IncidentSeverity::Low,
        Severity::Informational => IncidentSeverity::Informational,
    }
}

/// The SIEM status of a neutral status; `Redirected` is `Closed`.
pub(crate) fn siem_status(status: Status) -> IncidentStatus {
    match status {
        Status::New => IncidentStatus::New,
        Status::Active => IncidentStatus::Active,
        Status::Closed | Status::Redirected => IncidentStatus::Closed,
    }
}

/// The owner's most specific name (as the model maps it to the XDR's `assignedTo`), lower-cased.
fn owner(p: &IncidentProperties) -> Option<String> {
    owner_to_xdr(&p.owner)
        .get()
        .map(|name| name.trim().to_lowercase())
}

/// The verdict, with the determination read back from the classification comment or reason.
fn classification(p: &IncidentProperties) -> Classification {
    let verdict = verdict_of(p.classification.get());
    let from_comment = p.classification_comment.get().and_then(|comment| {
        let word = comment.rsplit(' ').next()?;
        let determination = AlertDetermination::from_wire(word);
        (determination_comment(&determination).as_deref() == Some(comment.as_str()))
            .then(|| determination.as_str().to_owned())
    });
    let from_reason = || {
        let mapped = verdict_to_xdr(&SiemVerdict {
            classification: p.classification.get().cloned(),
            reason: p.classification_reason.get().cloned(),
        });
        mapped
            .determination
            .filter(|d| {
                !matches!(
                    d,
                    AlertDetermination::OtherOutcome | AlertDetermination::Unknown
                )
            })
            .map(|d| d.as_str().to_owned())
    };
    Classification {
        verdict,
        determination: match verdict {
            Verdict::Undetermined => None,
            _ => from_comment.or_else(from_reason),
        },
    }
}

fn comment_map(comments: &[IncidentComment]) -> BTreeMap<CommentOrigin, Comment> {
    comments
        .iter()
        .filter_map(|c| {
            let text = c.properties.message.get()?;
            let (body, origin) = parse_marker(text);
            let origin = origin.or_else(|| {
                c.name.get().map(|name| CommentOrigin {
                    side: Side::Siem,
                    id: name.clone(),
                })
            })?;
            let author = c.properties.author.get().and_then(|a| {
                [&a.name, &a.user_principal_name, &a.email]
                    .into_iter()
                    .find_map(|f| f.get().cloned())
            });
            Some((
                origin,
                Comment {
                    text: body.to_owned(),
                    author,
                },
            ))
        })
        .collect()
}

/// The comments, plus the analyst's closing comment (`classificationComment`, which Graph has no member
/// for) as one more comment, known by its text so that it is mirrored once.
fn with_closing_comment(
    mut comments: BTreeMap<CommentOrigin, Comment>,
    p: &IncidentProperties,
) -> BTreeMap<CommentOrigin, Comment> {
    if let Some(text) = closing_comment(p) {
        let id = Uuid::new_v5(&TANDEM_NAMESPACE, text.as_bytes());
        comments.insert(
            CommentOrigin {
                side: Side::Siem,
                id: format!("closing-{id}"),
            },
            Comment {
                text: format!("Closing comment: {text}"),
                author: None,
            },
        );
    }
    comments
}

/// The twin of an XDR incident as first written: every member the XDR incident maps to.
pub fn new_twin(incident: &tandem_model::graph::Incident, provider: &Provider) -> Incident {
    Incident::new(incident_to_siem(incident, provider))
}

/// `properties` with `patch` applied. System labels stay; user labels follow the tags. A status of
/// `Closed` always carries a classification, as Sentinel requires.
pub fn apply_patch(mut properties: IncidentProperties, patch: &FieldPatch) -> IncidentProperties {
    if let Some(change) = &patch.status {
        properties.status = Field::Value(siem_status(change.to));
    }
    if let Some(change) = &patch.severity {
        properties.severity = Field::Value(siem_severity(change.to));
    }
    if let Some(change) = &patch.owner {
        properties.owner = owner_to_siem(&change.to.clone().map_or(Field::Null, Field::Value));
    }
    if let Some(change) = &patch.classification {
        apply_classification(&mut properties, &change.to);
    }
    if let Some(tags) = &patch.tags {
        properties.labels =
            Field::Value(relabel(&properties, &tags.apply(&user_tags(&properties))));
    }
    if matches!(properties.status.get(), Some(IncidentStatus::Closed))
        && properties.classification.get().is_none()
    {
        properties.classification = Field::Value(IncidentClassification::Undetermined);
    }
    properties
}

fn user_tags(properties: &IncidentProperties) -> BTreeSet<String> {
    properties
        .labels
        .get()
        .map(|l| labels_to_xdr(l))
        .into_iter()
        .flatten()
        .collect()
}

/// The system labels of `properties` followed by a user label per tag.
fn relabel(
    properties: &IncidentProperties,
    tags: &BTreeSet<String>,
) -> Vec<tandem_model::sentinel::IncidentLabel> {
    let tags: Vec<String> = tags.iter().cloned().collect();
    properties
        .labels
        .get()
        .into_iter()
        .flatten()
        .filter(|l| matches!(l.label_type.get(), Some(IncidentLabelType::AutoAssigned)))
        .cloned()
        .chain(labels_to_siem(&tags))
        .collect()
}

/// The neutral verdict of a SIEM classification; an unknown or missing one is `Undetermined`.
pub(crate) fn verdict_of(classification: Option<&IncidentClassification>) -> Verdict {
    match classification {
        Some(IncidentClassification::TruePositive) => Verdict::TruePositive,
        Some(IncidentClassification::FalsePositive) => Verdict::FalsePositive,
        Some(IncidentClassification::BenignPositive) => Verdict::BenignPositive,
        _ => Verdict::Undetermined,
    }
}

/// The SIEM classification of a neutral verdict.
pub(crate) fn siem_classification(verdict: Verdict) -> IncidentClassification {
    match verdict {
        Verdict::Undetermined => IncidentClassification::Undetermined,
        Verdict::TruePositive => IncidentClassification::TruePositive,
        Verdict::FalsePositive => IncidentClassification::FalsePositive,
        Verdict::BenignPositive => IncidentClassification::BenignPositive,
    }
}

/// Sets the classification and the reason the XDR verdict maps to, and carries the determination in
/// `classificationComment`.
fn apply_classification(properties: &mut IncidentProperties, classification: &Classification) {
    let determination = classification
        .determination
        .as_deref()
        .map(AlertDetermination::from_wire);
    let mapped = verdict_to_siem(&xdr_verdict(classification));
    properties.classification = mapped.classification.map_or(Field::Null, Field::Value);
    properties.classification_reason = mapped.reason.map_or(Field::Null, Field::Value);
    if let Some(comment) = determination.as_ref().and_then(determination_comment) {
        properties.classification_comment = Field::Value(comment);
    }
}
