//! Property tests of the wire parsers (Graph, Sentinel and the SIEM's table rows and query API): no input
//! makes them panic, whatever they accept they write back in a form they read as the same value, and Graph
//! enum values they do not know survive a round trip unchanged.

mod support;

use support::specs_dir;

use std::fmt::Debug;
use std::path::Path;

use std::sync::OnceLock;

use proptest::prelude::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use tandem_model::graph::{
    Alert, AlertClassification, AlertComment, AlertDetermination, AlertEvidence, AlertSeverity,
    AlertStatus, AlertUpdate, Collection, DetectionSource, ErrorResponse, EvidenceKind,
    EvidenceRole, EvidenceVerdict, Incident, IncidentStatus, IncidentUpdate, NewComment,
    ServiceSource,
};
use tandem_model::parse_json;
use tandem_model::sentinel::{
    CloudError, Entity, IncidentComment, IncidentEntitiesResponse, IncidentRelation, IncidentTask,
    List,
};
use tandem_model::tables::{QueryBody, QueryResponse, SecurityAlertRow, SecurityIncidentRow};

/// One parser: `Err` only when it accepted the input but did not read back what it wrote.
type Parser = fn(&[u8]) -> Result<(), String>;

/// Every wire parser.
const PARSERS: &[Parser] = &[
    stable::<Incident>,
    stable::<Alert>,
    stable::<AlertComment>,
    stable::<AlertEvidence>,
    stable::<NewComment>,
    stable::<IncidentUpdate>,
    stable::<AlertUpdate>,
    stable::<Collection<Incident>>,
    stable::<Collection<Alert>>,
    stable::<Collection<AlertComment>>,
    stable::<ErrorResponse>,
    stable::<tandem_model::sentinel::Incident>,
    stable::<List<tandem_model::sentinel::Incident>>,
    stable::<IncidentComment>,
    stable::<IncidentRelation>,
    stable::<IncidentTask>,
    stable::<Entity>,
    stable::<List<Entity>>,
    stable::<IncidentEntitiesResponse>,
    stable::<CloudError>,
    stable::<SecurityIncidentRow>,
    stable::<SecurityAlertRow>,
    stable::<QueryBody>,
    stable::<QueryResponse>,
];

/// Parses `bytes` as a `T`; if that works, checks the written form parses as the same value.
fn stable<T: DeserializeOwned + Serialize + PartialEq + Debug>(bytes: &[u8]) -> Result<(), String> {
    let Ok(first) = parse_json::<T>(bytes) else {
        return Ok(());
    };
    let written = serde_json::to_vec(&first).map_err(|e| format!("cannot write {first:?}: {e}"))?;
    let second = parse_json::<T>(&written).map_err(|e| {
        format!(
            "written form {} does not parse: {e}",
            String::from_utf8_lossy(&written)
        )
    })?;
    if first == second {
        Ok(())
    } else {
        Err(format!("{first:?} was read back as {second:?}"))
    }
}

/// Runs every parser on `bytes`.
fn all_parsers_hold(bytes: &[u8]) -> Result<(), TestCaseError> {
    for parse in PARSERS {
        parse(bytes).map_err(TestCaseError::fail)?;
    }
    Ok(())
}

/// The real Graph payloads and Sentinel example bodies in the specs folder, plus an incident holding one
/// evidence of every type.
fn payloads() -> &'static [Value] {
    static PAYLOADS: OnceLock<Vec<Value>> = OnceLock::new();
    PAYLOADS.get_or_init(|| {
        let mut found = vec![incident_with_every_evidence_kind()];
        let Some(specs) = specs_dir() else {
            return found;
        };
        for folder in [
            "graph/examples",
            "samples/graph-incidents",
            "samples/graph-alerts",
        ] {
            found.extend(json_in(&specs.join(folder)));
        }
        for folder in [
            "sentinel/examples/incidents",
            "sentinel/examples/incidents/comments",
        ] {
            found.extend(json_in(&specs.join(folder)).iter().flat_map(example_bodies));
        }
        found
    })
}

/// The JSON files directly in `folder`.
fn json_in(folder: &Path) -> Vec<Value> {
    let files = std::fs::read_dir(folder).into_iter().flatten().flatten();
    let texts = files.filter_map(|entry| std::fs::read_to_string(entry.path()).ok());
    texts
        .filter_map(|text| serde_json::from_str(&text).ok())
        .collect()
}

/// The request and response bodies of an ARM example (`parameters.*` objects, `responses.*.body`).
fn example_bodies(example: &Value) -> Vec<Value> {
    let requests = example["parameters"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values());
    let responses = example["responses"]
        .as_object()
        .into_iter()
        .flat_map(|r| r.values())
        .filter_map(|r| r.get("body"));
    requests
        .chain(responses)
        .filter(|v| v.is_object())
        .cloned()
        .collect()
}

/// An incident whose alert carries one piece of evidence of each type Tandem knows.
fn incident_with_every_evidence_kind() -> Value {
    let evidence: Vec<Value> = EvidenceKind::ALL
        .iter()
        .map(|kind| json!({"@odata.type": kind.odata_type(), "roles": ["attacker"], "verdict": "malicious"}))
        .collect();
    json!({
        "@odata.type": "#microsoft.graph.security.incident",
        "id": "1",
        "status": "active",
        "createdDateTime": "2024-05-01T10:00:00.1234567Z",
        "comments": [{"comment": "c", "createdBy": "a", "createdTime": "2024-05-01T10:00:00Z"}],
        "alerts": [{"id": "a1", "severity": "high", "evidence": evidence}]
    })
}

/// Member names worth inserting: the ones the parsers treat specially.
const INTERESTING_KEYS: &[&str] = &[
    "id",
    "@odata.type",
    "tags",
    "customTags",
    "createdBy",
    "createdByDisplayName",
    "createdTime",
    "evidence",
    "alerts",
    "comments",
    "value",
    "status",
    "severity",
    "createdDateTime",
    "roles",
    "osBuild",
    "fileDetails",
    "cloudResource",
    "error",
    "innerError",
    "comment",
];

/// Strings worth inserting: type names, timestamps, enum spellings.
fn interesting_string() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("#microsoft.graph.incident".to_owned()),
        Just("#microsoft.graph.security.deviceEvidence".to_owned()),
        Just("microsoft.graph.security.kubernetesClusterEvidence".to_owned()),
        Just("#microsoft.graph.security.nopeEvidence".to_owned()),
        Just("2024-05-01T10:00:00.1234567Z".to_owned()),
        Just("2024-05-01T10:00:00".to_owned()),
        Just("TruePositive".to_owned()),
        ".{0,12}",
    ]
}

/// Any JSON value, small.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        interesting_string().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((prop::sample::select(INTERESTING_KEYS), inner), 0..4).prop_map(
                |members| Value::Object(
                    members
                        .into_iter()
                        .map(|(k, v)| (k.to_owned(), v))
                        .collect()
                )
            ),
        ]
    })
}

/// One change to a payload, at the node with the given index (modulo the node count).
#[derive(Debug, Clone)]
enum Mutation {
    /// Replace the node.
    Replace(usize, Value),
    /// Remove the node from its parent.
    Remove(usize),
    /// Add a member to the node, if it is an object.
    Insert(usize, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let key = prop_oneof![
        prop::sample::select(INTERESTING_KEYS).prop_map(str::to_owned),
        "[a-zA-Z@.]{1,10}"
    ];
    prop_oneof![
        (any::<usize>(), json_value()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), key, json_value()).prop_map(|(at, k, v)| Mutation::Insert(at, k, v)),
    ]
}

/// The JSON pointers of every node of `value`, root first.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(member, format!("{at}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointers(item, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Applies `change` to `payload`.
fn apply(payload: &mut Value, change: Mutation) {
    let mut all = Vec::new();
    pointers(payload, String::new(), &mut all);
    let pick = |at: usize| all[at % all.len()].clone();
    match change {
        Mutation::Replace(at, new) => {
            if let Some(node) = payload.pointer_mut(&pick(at)) {
                *node = new;
            }
        }
        Mutation::Insert(at, key, new) => {
            if let Some(Value::Object(members)) = payload.pointer_mut(&pick(at)) {
                members.insert(key, new);
            }
        }
        Mutation::Remove(at) => {
            let target = pick(at);
            let Some((parent, last)) = target.rsplit_once('/') else {
                return;
            };
            match payload.pointer_mut(parent) {
                Some(Value::Object(members)) => {
                    members.remove(&last.replace("~1", "/").replace("~0", "~"));
                }
                Some(Value::Array(items)) => {
                    if let Ok(i) = last.parse::<usize>() {
                        items.remove(i);
                    }
                }
                _ => {}
            }
        }
    }
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        all_parsers_hold(&bytes)?;
    }

    #[test]
    fn mutated_real_payloads_never_panic(
        which in any::<prop::sample::Index>(),
        changes in prop::collection::vec(mutation(), 1..5),
    ) {
        let mut payload = which.get(payloads()).clone();
        for change in changes {
            apply(&mut payload, change);
        }
        all_parsers_hold(&serde_json::to_vec(&payload).expect("JSON value serializes"))?;
    }

    #[test]
    fn unknown_enum_values_round_trip_unchanged(text in ".{0,24}") {
        unknown_round_trips(&text, IncidentStatus::KNOWN, IncidentStatus::as_str)?;
        unknown_round_trips(&text, AlertStatus::KNOWN, AlertStatus::as_str)?;
        unknown_round_trips(&text, AlertSeverity::KNOWN, AlertSeverity::as_str)?;
        unknown_round_trips(&text, AlertClassification::KNOWN, AlertClassification::as_str)?;
        unknown_round_trips(&text, AlertDetermination::KNOWN, AlertDetermination::as_str)?;
        unknown_round_trips(&text, ServiceSource::KNOWN, ServiceSource::as_str)?;
        unknown_round_trips(&text, DetectionSource::KNOWN, DetectionSource::as_str)?;
        unknown_round_trips(&text, EvidenceRole::KNOWN, EvidenceRole::as_str)?;
        unknown_round_trips(&text, EvidenceVerdict::KNOWN, EvidenceVerdict::as_str)?;
    }

    #[test]
    fn unknown_enum_values_in_payloads_round_trip_unchanged(text in ".{0,24}") {
        prop_assume!(IncidentStatus::from_wire(&text) == IncidentStatus::Other(text.clone()));
        let incident = json!({"id": "1", "status": text});
        let parsed: Incident = parse_json(incident.to_string().as_bytes()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(serde_json::to_value(&parsed).expect("incident serializes"), incident);
    }

    #[test]
    fn known_enum_values_in_any_casing_are_written_as_documented(
        which in any::<prop::sample::Index>(),
        upper in prop::collection::vec(any::<bool>(), 64),
    ) {
        let documented = which.get(DetectionSource::KNOWN).as_str();
        let cased: String = documented
            .chars()
            .zip(upper.iter().cycle())
            .map(|(c, &up)| if up { c.to_ascii_uppercase() } else { c.to_ascii_lowercase() })
            .collect();
        let parsed: DetectionSource = serde_json::from_value(Value::from(cased)).expect("any string reads");
        prop_assert_eq!(parsed.as_str(), documented);
    }
}

/// Checks that `text`, unless it is a known member in some casing, is read and written back unchanged.
fn unknown_round_trips<E: Serialize + DeserializeOwned>(
    text: &str,
    known: &[E],
    as_str: fn(&E) -> &str,
) -> Result<(), TestCaseError> {
    if known
        .iter()
        .any(|member| as_str(member).eq_ignore_ascii_case(text))
    {
        return Ok(());
    }
    let parsed: E = serde_json::from_value(Value::from(text))
        .map_err(|e| TestCaseError::fail(e.to_string()))?;
    prop_assert_eq!(as_str(&parsed), text);
    prop_assert_eq!(
        serde_json::to_value(&parsed).expect("enum serializes"),
        Value::from(text)
    );
    Ok(())
}
