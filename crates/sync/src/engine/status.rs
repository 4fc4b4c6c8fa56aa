//! The connector's health as operators see it: lag and last poll per direction, pending writes,
//! recent conflicts, quarantined items and writes set aside. Read from the store, so `tandem sync status` shows the same
//! thing as the running connector's `/status` (whose JSON is the shape the SIEM console's sync health
//! page reads).

use std::fmt::Write as _;

use serde::Serialize;

use tandem_model::Timestamp;

use crate::reconcile::{Side, Write};
use crate::store::{StoreError, SyncStore};

/// How many conflicts the report lists.
const CONFLICTS_SHOWN: usize = 50;

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SyncStatus {
    /// XDR → SIEM, then SIEM → XDR.
    pub directions: Vec<DirectionStatus>,
    /// Recent conflicts, newest first.
    pub conflicts: Vec<ConflictStatus>,
    /// Items set aside.
    pub quarantined: Vec<QuarantineStatus>,
    /// Planned writes set aside: refused for good, or out of attempts.
    pub set_aside_writes: Vec<SetAsideWrite>,
    /// The latest lag reading of each direction.
    pub lag_history: Vec<LagSample>,
}

/// One direction, named after its source side's poll.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionStatus {
    /// `XDR → SIEM` or `SIEM → XDR`.
    pub name: String,
    /// How far the newest change trailed its poll, in seconds, at the latest successful poll.
    pub lag_seconds: Option<f64>,
    /// When the source was last polled (successfully or not), RFC 3339.
    pub last_poll: Option<String>,
    /// When a poll of the source last succeeded.
    pub last_success: Option<String>,
    /// Writes to the target planned but not yet done.
    pub pending_writes: usize,
    /// The latest poll error, if the latest poll failed.
    pub last_error: Option<String>,
}

/// A settled conflict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictStatus {
    /// When it was settled.
    pub at: String,
    /// The SIEM incident (the twin's name).
    pub incident_id: String,
    /// The field.
    pub field: String,
    /// The side whose value won.
    pub winner: String,
    /// The value that lost, as JSON.
    pub losing_value: String,
}

/// A quarantined item.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarantineStatus {
    /// When it last failed.
    pub at: String,
    /// `xdr incident 42` or `siem incident <name>`.
    pub item: String,
    /// The latest error, with the attempt count.
    pub reason: String,
}

/// A planned write the connector gave up on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetAsideWrite {
    /// The XDR incident of its pair.
    pub xdr_incident: String,
    /// The side it was to change.
    pub target: String,
    /// `fields` or `comment`.
    pub kind: String,
    /// Attempts made.
    pub attempts: u32,
    /// The latest failure.
    pub error: String,
}

/// A lag reading.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagSample {
    /// When it was read.
    pub at: String,
    /// The direction's name.
    pub direction: String,
    /// The lag, in seconds.
    pub lag_seconds: f64,
}

fn direction_name(source: Side) -> &'static str {
    match source {
        Side::Xdr => "XDR → SIEM",
        Side::Siem => "SIEM → XDR",
    }
}

impl SyncStatus {
    /// Reads the report from the store.
    pub fn read(store: &dyn SyncStore) -> Result<SyncStatus, StoreError> {
        let pending = store.pending_writes()?;
        let mut status = SyncStatus::default();
        for source in Side::BOTH {
            let polls = store.poll_status(source, 1)?;
            let success = polls.last_success.as_ref();
            let last_success = success.map(|p| p.polled_at.to_rfc3339_millis());
            let failure_at = polls.last_failure.as_ref().map(|(at, _)| at.clone());
            let failed_last = failure_at
                .as_deref()
                .and_then(|at| Timestamp::parse(at).ok())
                .is_some_and(|at| success.is_none_or(|ok| at > ok.polled_at));
            let lag = success.and_then(|p| p.lag).map(|l| l.as_secs_f64());
            if let (Some(at), Some(lag)) = (&last_success, lag) {
                status.lag_history.push(LagSample {
                    at: at.clone(),
                    direction: direction_name(source).to_owned(),
                    lag_seconds: lag,
                });
            }
            status.directions.push(DirectionStatus {
                name: direction_name(source).to_owned(),
                lag_seconds: lag,
                last_poll: if failed_last {
                    failure_at
                } else {
                    last_success.clone()
                },
                last_success,
                pending_writes: pending
                    .iter()
                    .filter(|e| e.write.side == source.other())
                    .count(),
                last_error: polls.last_failure.filter(|_| failed_last).map(|(_, e)| e),
            });
        }
        status.conflicts = store
            .conflicts(CONFLICTS_SHOWN)?
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
            .collect();
        status.quarantined = store
            .quarantined()?
            .into_iter()
            .map(|q| QuarantineStatus {
                at: q.last_seen,
                item: format!("{} incident {}", q.side, q.item),
                reason: format!("{} ({} attempt(s))", q.error, q.attempts),
            })
            .collect();
        status.set_aside_writes = store
            .set_aside_writes()?
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
            .collect();
        Ok(status)
    }

    /// The report as indented JSON, as `/status` serves it.
    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as text for a terminal.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let none = || "never".to_owned();
        for d in &self.directions {
            let lag = d
                .lag_seconds
                .map_or_else(|| "unknown".to_owned(), |l| format!("{l:.1} s"));
            let _ = writeln!(
                out,
                "{}: lag {lag}, last successful poll {}, {} pending write(s)",
                d.name,
                d.last_success.clone().unwrap_or_else(none),
                d.pending_writes
            );
            if let Some(error) = &d.last_error {
                let _ = writeln!(out, "  last poll failed: {error}");
            }
        }
        let _ = writeln!(out, "conflicts: {}", self.conflicts.len());
        for c in &self.conflicts {
            let _ = writeln!(
                out,
                "  {} incident {} {}: {} won, lost value {}",
                c.at, c.incident_id, c.field, c.winner, c.losing_value
            );
        }
        let _ = writeln!(out, "quarantined: {}", self.quarantined.len());
        for q in &self.quarantined {
            let _ = writeln!(out, "  {} {}: {}", q.at, q.item, q.reason);
        }
        let _ = writeln!(out, "writes set aside: {}", self.set_aside_writes.len());
        for w in &self.set_aside_writes {
            let _ = writeln!(
                out,
                "  {} write to {} for XDR incident {} after {} attempt(s): {}",
                w.kind, w.target, w.xdr_incident, w.attempts, w.error
            );
        }
        out
    }
}
