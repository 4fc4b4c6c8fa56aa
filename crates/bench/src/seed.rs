//! Filling the XDR before a scenario: generated incidents posted through its alert intake, as a
//! detector would post them (see `tandem_scenario::load`).

use std::time::Instant;

use chrono::Utc;
use tandem_scenario::Posted;

use crate::error::BenchError;
use crate::stack::Service;

/// Incidents generated and posted per round (bounds the memory the generated alerts take).
const ROUND: usize = 500;
/// Alerts per intake request.
const BATCH: usize = 100;

/// What seeding did.
#[derive(Debug, Clone)]
pub struct Seeded {
    /// The incident ids, in creation order.
    pub incidents: Vec<String>,
    /// Seconds it took.
    pub seconds: f64,
}

/// Posts `incidents` independent incidents of `alerts_per_incident` alerts each to the XDR, two
/// intake requests at a time.
pub async fn seed_incidents(
    xdr: &Service,
    incidents: usize,
    alerts_per_incident: usize,
) -> Result<Seeded, BenchError> {
    let started = Instant::now();
    let client = tandem_scenario::client(xdr.url(), xdr.credentials())?;
    let mut ids = Vec::with_capacity(incidents);
    let mut left = incidents;
    while left > 0 {
        let round = left.min(ROUND);
        let per = alerts_per_incident.max(1);
        let alerts = tandem_scenario::load(Utc::now(), round, per);
        // Split between incidents, so that no incident's alerts race each other.
        let (first, second) = alerts.split_at(round / 2 * per);
        let (a, b) = tokio::join!(
            tandem_scenario::post_alerts(&client, xdr.url(), first, BATCH),
            tandem_scenario::post_alerts(&client, xdr.url(), second, BATCH),
        );
        for posted in [a?, b?] {
            push_new(&mut ids, &posted);
        }
        left -= round;
    }
    Ok(Seeded {
        incidents: ids,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Appends the incident ids of `posted` not already last in `ids` (alerts of one incident are
/// consecutive).
fn push_new(ids: &mut Vec<String>, posted: &[Posted]) {
    for p in posted {
        if ids.last() != Some(&p.incident_id) {
            ids.push(p.incident_id.clone());
        }
    }
}
