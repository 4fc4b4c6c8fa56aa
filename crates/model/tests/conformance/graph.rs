//! Conformance of the Graph security API examples and of the real incident and alert captures.
//!
//! An example's file name says which operation it shows and whether it is the request or the response
//! (`security-incident-update-1-request.json`), and so which type its body is.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tandem_model::graph::{
    Alert, AlertComment, AlertUpdate, Collection, Incident, IncidentUpdate, NewComment,
};

use super::canonical::{self, Shape};
use super::diff::first_difference;

/// Checks one `graph/examples` file; returns the number of payloads checked (one).
pub fn check_example(path: &Path, example: Value) -> Result<usize, String> {
    let name = path
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or("file name is not UTF-8")?;
    let request = name.ends_with("-request");
    let operation = |op: &str| name.contains(op);
    match (request, operation("list-"), operation("post-comments")) {
        (false, true, _) if operation("incidents") => {
            round_trip_list::<Incident>(Shape::Incident, example)
        }
        (false, true, _) if operation("alerts") => round_trip_list::<Alert>(Shape::Alert, example),
        (true, _, true) => round_trip::<NewComment>(Shape::NewComment, example),
        (false, _, true) => round_trip_list::<AlertComment>(Shape::Comment, example),
        (true, _, _) if operation("incident-update") => {
            round_trip::<IncidentUpdate>(Shape::IncidentUpdate, example)
        }
        (true, _, _) if operation("alert-update") => {
            round_trip::<AlertUpdate>(Shape::AlertUpdate, example)
        }
        (false, _, _) if operation("-incident-") => {
            round_trip::<Incident>(Shape::Incident, example)
        }
        (false, _, _) if operation("-alert-") => round_trip::<Alert>(Shape::Alert, example),
        _ => Err(format!("no model for the example `{name}`")),
    }
}

/// Checks one `samples/graph-incidents` file (one incident).
pub fn check_incident_sample(_path: &Path, sample: Value) -> Result<usize, String> {
    round_trip::<Incident>(Shape::Incident, sample)
}

/// Checks one `samples/graph-alerts` file (one alert).
pub fn check_alert_sample(_path: &Path, sample: Value) -> Result<usize, String> {
    round_trip::<Alert>(Shape::Alert, sample)
}

/// Parses `payload` as a `T`, writes it back and compares with the canonical form of `payload`.
fn round_trip<T: DeserializeOwned + Serialize>(
    shape: Shape,
    payload: Value,
) -> Result<usize, String> {
    compare::<T>(&payload, canonical::graph(shape, payload.clone()))
}

/// Like [`round_trip`] for a list page of `T`.
fn round_trip_list<T: DeserializeOwned + Serialize>(
    item: Shape,
    page: Value,
) -> Result<usize, String> {
    compare::<Collection<T>>(&page, canonical::graph_list(item, page.clone()))
}

/// Parses `payload` through the byte-level entry point and checks it is written as `expected`.
fn compare<T: DeserializeOwned + Serialize>(
    payload: &Value,
    expected: Value,
) -> Result<usize, String> {
    let bytes = serde_json::to_vec(payload).map_err(|e| e.to_string())?;
    let parsed: T = tandem_model::parse_json(&bytes).map_err(|e| format!("does not parse: {e}"))?;
    let written = serde_json::to_value(&parsed).map_err(|e| format!("does not serialize: {e}"))?;
    match first_difference(&expected, &written, String::new()) {
        None => Ok(1),
        Some(difference) => Err(format!("round trip differs at {difference}")),
    }
}
