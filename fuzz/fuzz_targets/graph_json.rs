//! Graph request and resource bodies (alerts at the intake, incident and alert PATCHes, comments)
//! read from any bytes: never a panic, and what parses writes back.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tandem_model::graph::{Alert, AlertUpdate, Incident, IncidentUpdate, NewComment};
use tandem_model::parse_json;

fuzz_target!(|data: &[u8]| {
    if let Ok(alert) = parse_json::<Alert>(data) {
        let _ = serde_json::to_vec(&alert);
    }
    if let Ok(incident) = parse_json::<Incident>(data) {
        let _ = serde_json::to_vec(&incident);
    }
    let _ = parse_json::<IncidentUpdate>(data);
    let _ = parse_json::<AlertUpdate>(data);
    let _ = parse_json::<NewComment>(data);
});
