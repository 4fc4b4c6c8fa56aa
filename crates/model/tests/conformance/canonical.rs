//! The documented spellings Tandem writes where Graph payloads vary, applied to an expected payload.
//!
//! Tandem reads every spelling a Graph service sends and writes the one the resource page documents. A
//! payload therefore comes back from a round trip as itself after exactly these rewrites, and as itself
//! when it has none of these quirks:
//!
//! 1. An incident's `@odata.type` `#microsoft.graph.incident` becomes `#microsoft.graph.security.incident`.
//! 2. An incident's `tags` becomes `customTags` when `customTags` is not also present. Beside
//!    `customTags`, an incident keeps `tags` as an unnamed member; an update, which has no room for
//!    unnamed members, drops it (`customTags` wins).
//! 3. A comment's `createdBy` becomes `createdByDisplayName` and `createdTime` becomes `createdDateTime`
//!    (when the documented member is not also present).
//! 4. An enum member in another casing (`TruePositive`, `MultiStagedAttack`, `ACTIVE`) is written in the
//!    spelling the model documents for that member's enum (`truePositive`, ...); a value the enum does not
//!    know is written as sent.
//!
//! Rule 2 applies to incidents only, which is why the rewrite takes the payload's [`Shape`]: evidence has a
//! documented `tags` member of its own.

use serde_json::{Map, Value};
use tandem_model::graph::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, DefenderAvStatus,
    DetectionSource, DetectionStatus, DeviceHealthStatus, DeviceRiskScore,
    EvidenceRemediationStatus, EvidenceRole, EvidenceVerdict, IncidentStatus, OnboardingStatus,
    ServiceSource,
};

/// What a payload holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// An incident.
    Incident,
    /// An alert.
    Alert,
    /// An incident PATCH body.
    IncidentUpdate,
    /// An alert PATCH body.
    AlertUpdate,
    /// A post-comments request body.
    NewComment,
    /// A comment.
    Comment,
}

/// The documented incident type name, and its legacy spelling (rule 1).
const INCIDENT_TYPE: &str = "#microsoft.graph.security.incident";
const LEGACY_INCIDENT_TYPE: &str = "#microsoft.graph.incident";

/// An enum-valued member and how the model spells a value of it: read as the model reads it, written as
/// the model writes it (rule 4).
type EnumMember = (&'static str, fn(&str) -> String);

/// Enum-valued members of incidents and their PATCH bodies.
const INCIDENT_ENUMS: &[EnumMember] = &[
    ("status", |t| IncidentStatus::from_wire(t).to_string()),
    ("severity", |t| AlertSeverity::from_wire(t).to_string()),
    ("classification", |t| {
        AlertClassification::from_wire(t).to_string()
    }),
    ("determination", |t| {
        AlertDetermination::from_wire(t).to_string()
    }),
];

/// Enum-valued members of alerts and their PATCH bodies.
const ALERT_ENUMS: &[EnumMember] = &[
    ("status", |t| AlertStatus::from_wire(t).to_string()),
    ("severity", |t| AlertSeverity::from_wire(t).to_string()),
    ("classification", |t| {
        AlertClassification::from_wire(t).to_string()
    }),
    ("determination", |t| {
        AlertDetermination::from_wire(t).to_string()
    }),
    ("serviceSource", |t| ServiceSource::from_wire(t).to_string()),
    ("detectionSource", |t| {
        DetectionSource::from_wire(t).to_string()
    }),
];

/// Enum-valued members of evidence.
const EVIDENCE_ENUMS: &[EnumMember] = &[
    ("verdict", |t| EvidenceVerdict::from_wire(t).to_string()),
    ("remediationStatus", |t| {
        EvidenceRemediationStatus::from_wire(t).to_string()
    }),
    ("roles", |t| EvidenceRole::from_wire(t).to_string()),
    ("detectionStatus", |t| {
        DetectionStatus::from_wire(t).to_string()
    }),
    ("healthStatus", |t| {
        DeviceHealthStatus::from_wire(t).to_string()
    }),
    ("onboardingStatus", |t| {
        OnboardingStatus::from_wire(t).to_string()
    }),
    ("riskScore", |t| DeviceRiskScore::from_wire(t).to_string()),
    ("defenderAvStatus", |t| {
        DefenderAvStatus::from_wire(t).to_string()
    }),
];

/// The payload as Tandem writes it back: `value` after the documented rewrites for a `shape`.
pub fn graph(shape: Shape, value: Value) -> Value {
    let Value::Object(mut object) = value else {
        return value;
    };
    match shape {
        Shape::Incident => incident(&mut object),
        Shape::IncidentUpdate => {
            if object.contains_key("customTags") {
                object.remove("tags");
            }
            incident(&mut object);
        }
        Shape::Alert | Shape::AlertUpdate => alert(&mut object),
        Shape::Comment => comment(&mut object),
        Shape::NewComment => {}
    }
    Value::Object(object)
}

/// A list page: the rewrites for `item` applied to every member of `value`.
pub fn graph_list(item: Shape, mut page: Value) -> Value {
    if let Some(Value::Array(items)) = page.get_mut("value") {
        for entry in items.iter_mut() {
            *entry = graph(item, entry.take());
        }
    }
    page
}

/// Rules 1, 2 and 4 on an incident, and the alert and comment rules on its members.
fn incident(object: &mut Map<String, Value>) {
    if object.get("@odata.type").and_then(Value::as_str) == Some(LEGACY_INCIDENT_TYPE) {
        object.insert("@odata.type".into(), INCIDENT_TYPE.into());
    }
    rename(object, "tags", "customTags");
    documented_spellings(object, INCIDENT_ENUMS);
    each_object(object, "comments", comment);
    each_object(object, "alerts", alert);
}

/// Rule 4 on an alert, and the comment and evidence rules on its members.
fn alert(object: &mut Map<String, Value>) {
    documented_spellings(object, ALERT_ENUMS);
    each_object(object, "comments", comment);
    each_object(object, "evidence", |evidence| {
        documented_spellings(evidence, EVIDENCE_ENUMS)
    });
}

/// Rule 3.
fn comment(object: &mut Map<String, Value>) {
    rename(object, "createdBy", "createdByDisplayName");
    rename(object, "createdTime", "createdDateTime");
}

/// Moves member `from` to `to` unless `to` is already there.
fn rename(object: &mut Map<String, Value>, from: &str, to: &str) {
    if !object.contains_key(to)
        && let Some(value) = object.remove(from)
    {
        object.insert(to.into(), value);
    }
}

/// Applies `rewrite` to every object in the array member `name`.
fn each_object(
    object: &mut Map<String, Value>,
    name: &str,
    rewrite: impl Fn(&mut Map<String, Value>),
) {
    if let Some(Value::Array(items)) = object.get_mut(name) {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            rewrite(item);
        }
    }
}

/// Rule 4 on the named members (strings, or arrays of strings).
fn documented_spellings(object: &mut Map<String, Value>, members: &[EnumMember]) {
    for (name, spelling) in members {
        let texts: Vec<&mut String> = match object.get_mut(*name) {
            Some(Value::String(text)) => vec![text],
            Some(Value::Array(items)) => items
                .iter_mut()
                .filter_map(|item| match item {
                    Value::String(text) => Some(text),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        for text in texts {
            *text = spelling(text);
        }
    }
}

#[test]
fn canonical_is_the_identity_on_a_quirk_free_payload() {
    let incident = serde_json::json!({
        "@odata.type": "#microsoft.graph.security.incident",
        "id": "7",
        "status": "active",
        "classification": "truePositive",
        "customTags": ["Demo"],
        "comments": [{"comment": "c", "createdByDisplayName": "a", "createdDateTime": "2024-01-01T00:00:00Z"}],
        "alerts": [{
            "@odata.type": "#microsoft.graph.security.alert",
            "id": "a1",
            "serviceSource": "microsoftDefenderForEndpoint",
            "evidence": [{"@odata.type": "#microsoft.graph.security.ipEvidence", "tags": ["x"], "roles": ["attacker"], "verdict": "malicious"}]
        }]
    });
    assert_eq!(graph(Shape::Incident, incident.clone()), incident);
    let page = serde_json::json!({"value": [incident.clone()], "@odata.nextLink": "https://next"});
    assert_eq!(graph_list(Shape::Incident, page.clone()), page);
}

#[test]
fn an_update_with_both_tag_members_keeps_only_custom_tags() {
    let both = serde_json::json!({"tags": ["old"], "customTags": ["new"], "status": "Active"});
    assert_eq!(
        graph(Shape::IncidentUpdate, both.clone()),
        serde_json::json!({"customTags": ["new"], "status": "active"})
    );
    assert_eq!(
        graph(Shape::Incident, both),
        serde_json::json!({"tags": ["old"], "customTags": ["new"], "status": "active"})
    );
}

#[test]
fn canonical_applies_each_documented_rewrite() {
    let quirky = serde_json::json!({
        "@odata.type": "#microsoft.graph.incident",
        "id": "7",
        "status": "ACTIVE",
        "determination": "MultiStagedAttack",
        "tags": ["Demo"],
        "comments": [{"comment": "c", "createdBy": "a", "createdTime": "2024-01-01T00:00:00Z"}],
        "alerts": [{"id": "a1", "tags": ["kept"], "status": "InProgress",
            "serviceSource": "MICROSOFTDEFENDERFORENDPOINT",
            "evidence": [{"tags": ["kept"], "roles": ["Attacker", "NotYetKnown"], "verdict": "Malicious"}]}]
    });
    let documented = serde_json::json!({
        "@odata.type": "#microsoft.graph.security.incident",
        "id": "7",
        "status": "active",
        "determination": "multiStagedAttack",
        "customTags": ["Demo"],
        "comments": [{"comment": "c", "createdByDisplayName": "a", "createdDateTime": "2024-01-01T00:00:00Z"}],
        "alerts": [{"id": "a1", "tags": ["kept"], "status": "inProgress",
            "serviceSource": "microsoftDefenderForEndpoint",
            "evidence": [{"tags": ["kept"], "roles": ["attacker", "NotYetKnown"], "verdict": "malicious"}]}]
    });
    assert_eq!(graph(Shape::Incident, quirky), documented);
}
