//! Shaping an incident or alert for the client that asked, as Graph does: `$select` keeps only the named
//! properties, and evolvable enumerations hide the members documented after `unknownFutureValue`
//! unless the client sent `Prefer: include-unknown-enum-members`.
//!
//! Graph adds members to an enumeration after its `unknownFutureValue` sentinel, and serves them only
//! to clients that say they can read them; the others read `unknownFutureValue`
//! (<https://learn.microsoft.com/graph/best-practices-concept#handling-future-members-in-evolvable-enumerations>).

use axum::http::HeaderMap;
use serde_json::{Map, Value};
use tandem_model::graph::{
    DetectionSource, EvidenceRemediationStatus, IncidentStatus, ServiceSource,
};
use tandem_model::wire::WireEnum;
use tandem_odata::ListQuery;

/// The preference that asks for future members as stored.
pub const INCLUDE_UNKNOWN_ENUM_MEMBERS: &str = "include-unknown-enum-members";

/// The sentinel served in place of a future member.
const SENTINEL: &str = "unknownFutureValue";

/// An enum-valued property and how to tell a future member of its type.
struct Evolvable {
    property: &'static str,
    is_future: fn(&str) -> bool,
}

const fn evolvable<E: WireEnum>(property: &'static str) -> Evolvable {
    Evolvable {
        property,
        is_future: is_future::<E>,
    }
}

fn is_future<E: WireEnum>(text: &str) -> bool {
    E::from_text(text).is_future_member()
}

/// The alert's evolvable properties.
const ALERT_ENUMS: &[Evolvable] = &[
    evolvable::<ServiceSource>("serviceSource"),
    evolvable::<DetectionSource>("detectionSource"),
];

/// The incident's evolvable properties.
const INCIDENT_ENUMS: &[Evolvable] = &[evolvable::<IncidentStatus>("status")];

/// The evolvable properties of each item of an alert's `evidence`.
const EVIDENCE_ENUMS: &[Evolvable] = &[evolvable::<EvidenceRemediationStatus>("remediationStatus")];

/// An incident or alert as the JSON object the shaping below works on. The Graph wire types always
/// serialize to an object; anything else would give an empty one.
pub fn document(item: &impl serde::Serialize) -> Map<String, Value> {
    match serde_json::to_value(item) {
        Ok(Value::Object(members)) => members,
        _ => Map::new(),
    }
}

/// True when the request's `Prefer` headers hold `include-unknown-enum-members`.
pub fn includes_unknown_members(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|preference| {
            preference
                .trim()
                .eq_ignore_ascii_case(INCLUDE_UNKNOWN_ENUM_MEMBERS)
        })
}

/// The `$select` lists of one request: the resource's own and that of its expanded alerts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection<'q> {
    /// The properties of the resource itself (`None`: all).
    pub own: Option<&'q [String]>,
    /// The properties of each expanded alert (`None`: all).
    pub alerts: Option<&'q [String]>,
}

impl<'q> Selection<'q> {
    /// The selection `query` asks for.
    pub fn of(query: &'q ListQuery) -> Self {
        Selection {
            own: query.select.as_deref(),
            alerts: query.expansion("alerts").and_then(|e| e.select.as_deref()),
        }
    }
}

/// Hides the future members of an alert's evolvable properties, its evidence's included, unless
/// `include_unknown`.
pub fn hide_alert_future_members(doc: &mut Map<String, Value>, include_unknown: bool) {
    if include_unknown {
        return;
    }
    hide_future_members(doc, ALERT_ENUMS);
    if let Some(Value::Array(evidence)) = doc.get_mut("evidence") {
        for item in evidence.iter_mut().filter_map(Value::as_object_mut) {
            hide_future_members(item, EVIDENCE_ENUMS);
        }
    }
}

/// Hides the future members of an incident's evolvable properties (`status` `awaitingAction`) unless
/// `include_unknown`; its expanded alerts are shaped by [`hide_alert_future_members`].
pub fn hide_incident_future_members(doc: &mut Map<String, Value>, include_unknown: bool) {
    if !include_unknown {
        hide_future_members(doc, INCIDENT_ENUMS);
    }
}

fn hide_future_members(doc: &mut Map<String, Value>, fields: &[Evolvable]) {
    for field in fields {
        if let Some(value) = doc.get_mut(field.property)
            && value.as_str().is_some_and(field.is_future)
        {
            *value = Value::String(SENTINEL.to_owned());
        }
    }
}

/// Keeps the properties `select` names (all when `None`), the `id`, the `@odata.` annotations and the
/// navigation properties in `expanded`.
pub fn project(
    doc: Map<String, Value>,
    select: Option<&[String]>,
    expanded: &[&str],
) -> Map<String, Value> {
    let Some(select) = select else {
        return doc;
    };
    doc.into_iter()
        .filter(|(name, _)| {
            name == "id"
                || name.starts_with("@odata.")
                || expanded.contains(&name.as_str())
                || select.iter().any(|s| s == name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn future_members_become_the_sentinel_unless_asked_for() {
        let stored = object(json!({
            "serviceSource": "microsoftDefenderForCloud",
            "detectionSource": "antivirus",
            "evidence": [{"remediationStatus": "pendingApproval"}, {"remediationStatus": "blocked"}],
        }));
        let mut hidden = stored.clone();
        hide_alert_future_members(&mut hidden, false);
        assert_eq!(hidden["serviceSource"], "unknownFutureValue");
        assert_eq!(hidden["detectionSource"], "antivirus");
        assert_eq!(
            hidden["evidence"][0]["remediationStatus"],
            "unknownFutureValue"
        );
        assert_eq!(hidden["evidence"][1]["remediationStatus"], "blocked");
        let mut kept = stored.clone();
        hide_alert_future_members(&mut kept, true);
        assert_eq!(kept, stored);
    }

    #[test]
    fn awaiting_action_is_a_future_incident_status() {
        let stored = object(json!({"status": "awaitingAction"}));
        let mut hidden = stored.clone();
        hide_incident_future_members(&mut hidden, false);
        assert_eq!(hidden["status"], "unknownFutureValue");
        let mut kept = stored.clone();
        hide_incident_future_members(&mut kept, true);
        assert_eq!(kept, stored);
        let mut active = object(json!({"status": "active"}));
        hide_incident_future_members(&mut active, false);
        assert_eq!(active["status"], "active");
    }

    #[test]
    fn the_preference_is_found_among_others() {
        let mut headers = HeaderMap::new();
        assert!(!includes_unknown_members(&headers));
        headers.append("prefer", HeaderValue::from_static("odata.maxpagesize=5"));
        assert!(!includes_unknown_members(&headers));
        headers.append(
            "prefer",
            HeaderValue::from_static("return=minimal, Include-Unknown-Enum-Members"),
        );
        assert!(includes_unknown_members(&headers));
    }

    #[test]
    fn projection_keeps_id_annotations_and_expansions() {
        let doc = object(json!({
            "@odata.type": "#t", "id": "1", "title": "x", "status": "new", "alerts": []
        }));
        let select = ["title".to_owned()];
        let kept = project(doc.clone(), Some(&select), &["alerts"]);
        let mut names: Vec<&str> = kept.keys().map(String::as_str).collect();
        names.sort_unstable();
        assert_eq!(names, vec!["@odata.type", "alerts", "id", "title"]);
        assert_eq!(project(doc.clone(), None, &[]), doc);
    }
}
