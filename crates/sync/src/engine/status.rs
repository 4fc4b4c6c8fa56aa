//! The connector's health as operators see it: lag and last poll per direction, pending writes,
//! recent conflicts, quarantined items and writes set aside. Read from the store, so `tandem sync status`
//! shows the same thing as the running connector's `/status`. The report's types are
//! [`tandem_model::sync_status`], which the SIEM console's sync health page reads too.

use tandem_model::Timestamp;
use tandem_model::sync_status::{
    ConflictStatus, DirectionStatus, LagSample, QuarantineStatus, SetAsideWrite, SyncStatus,
};

use crate::reconcile::{Side, Write};
use crate::store::{ConflictRecord, OutboxEntry, QuarantinedItem, StoreError, SyncStore};

/// How many conflicts the report lists.
const CONFLICTS_SHOWN: usize = 50;

fn direction_name(source: Side) -> &'static str {
    match source {
        Side::Xdr => "XDR → SIEM",
        Side::Siem => "SIEM → XDR",
    }
}

/// Reads the report from the store.
pub async fn read(store: &impl SyncStore) -> Result<SyncStatus, StoreError> {
    let mut status = SyncStatus::default();
    let pending = store.pending_writes().await?;
    for source in Side::BOTH {
        let pending_writes = pending
            .iter()
            .filter(|e| e.write.side == source.other())
            .count();
        let (direction, lag) = direction(store, source, pending_writes).await?;
        status.directions.push(direction);
        status.lag_history.extend(lag);
    }
    status.conflicts = conflicts(store.conflicts(CONFLICTS_SHOWN).await?);
    status.quarantined = quarantined(store.quarantined().await?);
    status.set_aside_writes = set_aside_writes(store.set_aside_writes().await?);
    Ok(status)
}

/// The direction whose source is `source`, and its latest lag reading.
async fn direction(
    store: &impl SyncStore,
    source: Side,
    pending_writes: usize,
) -> Result<(DirectionStatus, Option<LagSample>), StoreError> {
    let polls = store.poll_status(source, 1).await?;
    let success = polls.last_success.as_ref();
    let last_success = success.map(|p| p.polled_at.to_rfc3339_millis());
    let failure_at = polls.last_failure.as_ref().map(|(at, _)| at.clone());
    let failed_last = failure_at
        .as_deref()
        .and_then(|at| Timestamp::parse(at).ok())
        .is_some_and(|at| success.is_none_or(|ok| at > ok.polled_at));
    let lag = success.and_then(|p| p.lag).map(|l| l.as_secs_f64());
    let sample = last_success
        .clone()
        .zip(lag)
        .map(|(at, lag_seconds)| LagSample {
            at,
            direction: direction_name(source).to_owned(),
            lag_seconds,
        });
    let direction = DirectionStatus {
        name: direction_name(source).to_owned(),
        lag_seconds: lag,
        last_poll: if failed_last {
            failure_at
        } else {
            last_success.clone()
        },
        last_success,
        pending_writes,
        last_error: polls.last_failure.filter(|_| failed_last).map(|(_, e)| e),
    };
    Ok((direction, sample))
}

/// The latest conflicts.
fn conflicts(records: Vec<ConflictRecord>) -> Vec<ConflictStatus> {
    records
        .into_iter()
        .map(|record| ConflictStatus {
            at: record.at.unwrap_or_default(),
            incident_id: record.pair.siem_incident_name().to_string(),
            field: serde_json::to_value(record.conflict.field)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            winner: record.conflict.winner.to_string(),
            losing_value: record.conflict.loser_value().to_string(),
        })
        .collect()
}

/// The items set aside.
fn quarantined(items: Vec<QuarantinedItem>) -> Vec<QuarantineStatus> {
    items
        .into_iter()
        .map(|q| QuarantineStatus {
            at: q.last_seen,
            item: format!("{} incident {}", q.side, q.item),
            reason: format!("{} ({} attempt(s))", q.error, q.attempts),
        })
        .collect()
}

/// The planned writes set aside.
fn set_aside_writes(entries: Vec<OutboxEntry>) -> Vec<SetAsideWrite> {
    entries
        .into_iter()
        .map(|entry| SetAsideWrite {
            xdr_incident: entry.write.pair.xdr_id.clone(),
            target: entry.write.side.to_string(),
            kind: match entry.write.write {
                Write::Fields { .. } => "fields",
                Write::Comment(_) => "comment",
            }
            .to_owned(),
            attempts: entry.attempts,
            error: entry.error.unwrap_or_default(),
        })
        .collect()
}
