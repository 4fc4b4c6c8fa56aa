//! Assignment (Graph `assignedTo` text, Sentinel `owner` object) and tags (Graph `customTags`, Sentinel
//! `labels`).

use crate::Field;
use crate::sentinel::{IncidentLabel, IncidentLabelType, IncidentOwner};

/// XDR `assignedTo` to SIEM `owner`. An address (text with `@`) fills `userPrincipalName` and `email`
/// as well as `assignedTo`; other text fills `assignedTo` only. `null` (unassigned) is an owner whose
/// members are all `null`, as Sentinel writes an unassigned incident.
pub fn owner_to_siem(assigned_to: &Field<String>) -> Field<IncidentOwner> {
    match assigned_to {
        Field::Absent => Field::Absent,
        Field::Null => Field::Value(IncidentOwner {
            object_id: Field::Null,
            email: Field::Null,
            assigned_to: Field::Null,
            user_principal_name: Field::Null,
            ..IncidentOwner::default()
        }),
        Field::Value(name) => {
            let address = || {
                if name.contains('@') {
                    Field::Value(name.clone())
                } else {
                    Field::Absent
                }
            };
            Field::Value(IncidentOwner {
                assigned_to: Field::Value(name.clone()),
                email: address(),
                user_principal_name: address(),
                ..IncidentOwner::default()
            })
        }
    }
}

/// SIEM `owner` to XDR `assignedTo`: the user principal name, else the email, else the display name;
/// an owner with none of them (or a `null` owner) is `null` (unassigned).
pub fn owner_to_xdr(owner: &Field<IncidentOwner>) -> Field<String> {
    match owner {
        Field::Absent => Field::Absent,
        Field::Null => Field::Null,
        Field::Value(owner) => owner_names(owner)
            .into_iter()
            .next()
            .map_or(Field::Null, |name| Field::Value(name.to_owned())),
    }
}

/// The non-empty names an owner carries, most specific first.
fn owner_names(owner: &IncidentOwner) -> Vec<&str> {
    [&owner.user_principal_name, &owner.email, &owner.assigned_to]
        .into_iter()
        .filter_map(|f| f.get().map(String::as_str))
        .filter(|name| !name.trim().is_empty())
        .collect()
}

/// XDR `customTags` to SIEM `labels`, each a `User` label.
pub fn labels_to_siem(tags: &[String]) -> Vec<IncidentLabel> {
    tags.iter().map(IncidentLabel::user).collect()
}

/// SIEM `labels` to XDR `customTags`: the `User` labels (and labels with no type); `AutoAssigned`
/// labels are the SIEM's own and stay there.
pub fn labels_to_xdr(labels: &[IncidentLabel]) -> Vec<String> {
    labels
        .iter()
        .filter(|l| !matches!(l.label_type.get(), Some(IncidentLabelType::AutoAssigned)))
        .map(|l| l.label_name.clone())
        .collect()
}
