//! The console's actions as incident changes, made through [`Incidents`] like the ARM API's.
//!
//! A change to the incident itself reads the incident, changes its properties and writes it back with the
//! etag it read (`If-Match`), exactly as an API client's read-modify-PUT; someone else's change in between
//! answers a conflict instead of being overwritten. A comment is a new comment resource. Either way the
//! write appends one `SecurityIncident` history row and gives the incident a new etag.
//!
//! Closing takes a classification and, as in Sentinel's portal, the reason that fits it: `TruePositive`
//! with `SuspiciousActivity`, `BenignPositive` with `SuspiciousButExpected`, `FalsePositive` with
//! `IncorrectAlertLogic` or `InaccurateData`. `Undetermined` has no reason, so one sent with it is not
//! kept. The closing comment becomes the incident's `classificationComment`.

use tandem_console::{Action, ConsoleError, ConsoleResult};
use tandem_model::Field;
use tandem_model::mapping::owner_to_siem;
use tandem_model::sentinel::{
    IncidentClassification as Classification, IncidentClassificationReason as Reason,
    IncidentComment, IncidentCommentProperties, IncidentLabel, IncidentProperties, IncidentStatus,
};

use crate::incidents::{Actor, IncidentError, Incidents};

/// A checked change to one incident.
#[derive(Debug, Clone, PartialEq)]
pub enum IncidentChange {
    /// Assign to an analyst, or unassign with `None`.
    Assign(Option<String>),
    /// Set the status.
    Status(IncidentStatus),
    /// Close with a verdict.
    Close {
        /// The classification.
        classification: Classification,
        /// The reason, when the classification has one.
        reason: Option<Reason>,
        /// The closing comment.
        comment: Option<String>,
    },
    /// Add (`true`) or remove (`false`) a label.
    Label(String, bool),
    /// Add a comment.
    Comment(String),
}

/// A Sentinel enum value from a form, refused when Sentinel does not define it.
fn known<T>(
    field: &str,
    value: &str,
    read: fn(&str) -> T,
    is_other: fn(&T) -> bool,
) -> ConsoleResult<T> {
    let parsed = read(value);
    if is_other(&parsed) {
        return Err(ConsoleError::invalid(
            field,
            value,
            "Sentinel does not define this value",
        ));
    }
    Ok(parsed)
}

/// Whether a reason fits a classification (see the module doc).
fn fits(classification: &Classification, reason: &Reason) -> bool {
    matches!(
        (classification, reason),
        (Classification::TruePositive, Reason::SuspiciousActivity)
            | (
                Classification::BenignPositive,
                Reason::SuspiciousButExpected
            )
            | (
                Classification::FalsePositive,
                Reason::IncorrectAlertLogic | Reason::InaccurateData
            )
    )
}

/// The verdict of a close form, with the reason checked against the classification.
fn verdict(
    classification: &str,
    reason: Option<&str>,
) -> ConsoleResult<(Classification, Option<Reason>)> {
    let classification = known(
        "classification",
        classification,
        Classification::from_wire,
        |c| matches!(c, Classification::Other(_)),
    )?;
    if classification == Classification::Undetermined {
        return Ok((classification, None));
    }
    let Some(reason) = reason else {
        return Err(ConsoleError::invalid(
            "determination",
            "",
            &format!(
                "closing as {} needs a classification reason",
                classification.as_str()
            ),
        ));
    };
    let reason = known("determination", reason, Reason::from_wire, |r| {
        matches!(r, Reason::Other(_))
    })?;
    if !fits(&classification, &reason) {
        return Err(ConsoleError::invalid(
            "determination",
            reason.as_str(),
            &format!("is not a reason for {}", classification.as_str()),
        ));
    }
    Ok((classification, Some(reason)))
}

impl IncidentChange {
    /// The change an action asks for, with Sentinel's values checked.
    pub fn from_action(action: Action) -> ConsoleResult<IncidentChange> {
        Ok(match action {
            Action::Assign { owner } => IncidentChange::Assign(owner),
            Action::SetStatus { status } => {
                IncidentChange::Status(known("status", &status, IncidentStatus::from_wire, |s| {
                    matches!(s, IncidentStatus::Other(_))
                })?)
            }
            Action::Close {
                classification,
                determination,
                comment,
            } => {
                let (classification, reason) = verdict(&classification, determination.as_deref())?;
                IncidentChange::Close {
                    classification,
                    reason,
                    comment,
                }
            }
            Action::AddTag { tag } => IncidentChange::Label(tag, true),
            Action::RemoveTag { tag } => IncidentChange::Label(tag, false),
            Action::Comment { text } => IncidentChange::Comment(text),
        })
    }

    /// Makes the change to incident `name` on behalf of `actor`.
    pub fn apply(
        self,
        api: &Incidents<'_>,
        name: &str,
        actor: &Actor,
    ) -> Result<(), IncidentError> {
        if let IncidentChange::Comment(message) = self {
            let comment = IncidentComment::new(IncidentCommentProperties {
                message: Field::Value(message),
                ..Default::default()
            });
            let id = uuid::Uuid::new_v4().to_string();
            return api.put_comment(name, &id, comment, None, actor).map(drop);
        }
        let mut incident = api.get(name)?;
        let etag = incident.etag.get().cloned();
        self.change(&mut incident.properties)?;
        api.put(name, incident, etag.as_deref(), actor).map(drop)
    }

    /// Changes the properties as asked.
    fn change(self, p: &mut IncidentProperties) -> Result<(), IncidentError> {
        match self {
            IncidentChange::Assign(owner) => {
                p.owner = owner_to_siem(&owner.map_or(Field::Null, Field::Value));
            }
            IncidentChange::Status(status) => p.status = Field::Value(status),
            IncidentChange::Close {
                classification,
                reason,
                comment,
            } => {
                p.status = Field::Value(IncidentStatus::Closed);
                p.classification = Field::Value(classification);
                p.classification_reason = reason.map_or(Field::Null, Field::Value);
                p.classification_comment = comment.map_or(Field::Null, Field::Value);
            }
            IncidentChange::Label(label, add) => change_label(p, label, add)?,
            IncidentChange::Comment(_) => {}
        }
        Ok(())
    }
}

/// Adds or removes a label; adding one the incident has, or removing one it lacks, is refused.
fn change_label(p: &mut IncidentProperties, label: String, add: bool) -> Result<(), IncidentError> {
    let labels = p.labels.get().cloned().unwrap_or_default();
    let has = labels.iter().any(|l| l.label_name == label);
    let labels = match (add, has) {
        (true, false) => labels
            .into_iter()
            .chain([IncidentLabel::user(label)])
            .collect(),
        (false, true) => labels
            .into_iter()
            .filter(|l| l.label_name != label)
            .collect(),
        (true, true) => {
            return Err(IncidentError::BadRequest(format!(
                "properties.labels: the incident already has the label '{label}'"
            )));
        }
        (false, false) => {
            return Err(IncidentError::BadRequest(format!(
                "properties.labels: the incident has no label '{label}'"
            )));
        }
    };
    p.labels = Field::Value(labels);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(classification: &str, reason: Option<&str>) -> ConsoleResult<IncidentChange> {
        IncidentChange::from_action(Action::Close {
            classification: classification.into(),
            determination: reason.map(str::to_owned),
            comment: None,
        })
    }

    #[test]
    fn a_reason_must_fit_its_classification() {
        assert!(close("TruePositive", Some("SuspiciousActivity")).is_ok());
        assert!(close("FalsePositive", Some("InaccurateData")).is_ok());
        let error = close("TruePositive", Some("IncorrectAlertLogic")).unwrap_err();
        assert!(
            matches!(error, ConsoleError::Invalid { ref field, ref value, .. } if field == "determination" && value == "IncorrectAlertLogic"),
            "{error}"
        );
        assert!(close("BenignPositive", None).is_err());
        assert!(close("Maybe", Some("SuspiciousActivity")).is_err());
    }

    #[test]
    fn undetermined_keeps_no_reason() {
        let change = close("Undetermined", Some("SuspiciousActivity")).unwrap();
        assert!(matches!(change, IncidentChange::Close { reason: None, .. }));
    }

    #[test]
    fn labels_are_added_once_and_removed_when_present() {
        let mut p = IncidentProperties::default();
        change_label(&mut p, "phish".into(), true).unwrap();
        assert!(change_label(&mut p, "phish".into(), true).is_err());
        change_label(&mut p, "phish".into(), false).unwrap();
        assert_eq!(p.labels.get().map(Vec::len), Some(0));
        assert!(change_label(&mut p, "phish".into(), false).is_err());
    }
}
