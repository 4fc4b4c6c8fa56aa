//! The connector's `/status` report: the JSON `tandem sync run` serves and the SIEM console's sync
//! health page reads.
//!
//! The two programs share no code but this, so the format is written down here once: the connector
//! serializes these types and the SIEM deserializes them. Reading is tolerant, since the SIEM may talk to
//! a connector of another version: every member may be missing and takes its default. Times are RFC 3339
//! text, as the connector's store keeps them.

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// The whole report.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DirectionStatus {
    /// `XDR → SIEM` or `SIEM → XDR`.
    pub name: String,
    /// How far the newest change trailed its poll, in seconds, at the latest successful poll.
    pub lag_seconds: Option<f64>,
    /// When the source was last polled (successfully or not).
    pub last_poll: Option<String>,
    /// When a poll of the source last succeeded.
    pub last_success: Option<String>,
    /// Writes to the target planned but not yet done.
    pub pending_writes: usize,
    /// The latest poll error, if the latest poll failed.
    pub last_error: Option<String>,
}

/// A settled conflict.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ConflictStatus {
    /// When it was settled (empty when not known).
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct QuarantineStatus {
    /// When it last failed.
    pub at: String,
    /// `xdr incident 42` or `siem incident <name>`.
    pub item: String,
    /// The latest error, with the attempt count.
    pub reason: String,
}

/// A planned write the connector gave up on.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
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
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct LagSample {
    /// When it was read.
    pub at: String,
    /// The direction's name.
    pub direction: String,
    /// The lag, in seconds.
    pub lag_seconds: f64,
}

impl SyncStatus {
    /// The report as indented JSON, as `/status` serves it.
    pub fn render_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as text for a terminal (`tandem sync status`).
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
