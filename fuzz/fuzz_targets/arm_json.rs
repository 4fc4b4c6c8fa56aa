//! Sentinel ARM bodies (incident, comment and relation PUTs) read from any bytes: never a panic, and
//! what parses writes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_model::parse_json;
use tandem_model::sentinel::{Incident, IncidentComment, IncidentRelation};

fuzz_target!(|data: &[u8]| {
    if let Ok(incident) = parse_json::<Incident>(data) {
        let _ = serde_json::to_vec(&incident);
    }
    if let Ok(comment) = parse_json::<IncidentComment>(data) {
        let _ = serde_json::to_vec(&comment);
    }
    if let Ok(relation) = parse_json::<IncidentRelation>(data) {
        let _ = serde_json::to_vec(&relation);
    }
});
