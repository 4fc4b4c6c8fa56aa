//! Who wins when both sides changed the same field, and the record of the value that lost.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use tandem_model::Timestamp;

use super::model::Side;

/// How a field changed on both sides since the base is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictPolicy {
    /// The side whose service stamped its change later wins. The two services' clocks are compared
    /// directly, so changes closer together than `trust_window` (or equal) go to the XDR.
    LaterChangeWins {
        /// How far apart two timestamps must be before their order is trusted.
        trust_window: Duration,
    },
    /// The XDR always wins.
    XdrWins,
    /// The SIEM always wins.
    SiemWins,
}

impl Default for ConflictPolicy {
    /// Later change wins, with a five-second trust window.
    fn default() -> Self {
        ConflictPolicy::LaterChangeWins {
            trust_window: Duration::from_secs(5),
        }
    }
}

impl ConflictPolicy {
    /// The winning side, given each side's change time.
    pub fn winner(&self, xdr_changed_at: &Timestamp, siem_changed_at: &Timestamp) -> Side {
        match self {
            ConflictPolicy::XdrWins => Side::Xdr,
            ConflictPolicy::SiemWins => Side::Siem,
            ConflictPolicy::LaterChangeWins { trust_window } => {
                let gap = siem_changed_at.instant() - xdr_changed_at.instant();
                let window =
                    chrono::Duration::from_std(*trust_window).unwrap_or(chrono::Duration::MAX);
                if gap > window { Side::Siem } else { Side::Xdr }
            }
        }
    }
}

/// A synced field, as named in conflicts and patches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FieldName {
    /// [`SyncedFields::status`](super::SyncedFields::status).
    Status,
    /// [`SyncedFields::severity`](super::SyncedFields::severity).
    Severity,
    /// [`SyncedFields::owner`](super::SyncedFields::owner).
    Owner,
    /// [`SyncedFields::classification`](super::SyncedFields::classification).
    Classification,
}

/// Why a side's value lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConflictReason {
    /// Both sides changed the field since the base; the policy chose.
    BothChanged,
    /// The XDR incident was merged into another; its twin follows the XDR and nothing is written back.
    Redirected,
    /// A person edited the field on the side being written after the write was planned (found when the
    /// write was performed or replayed); that later edit stands.
    Superseded,
}

/// A value that lost, kept so that an operator can see and restore it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Conflict {
    /// The field.
    pub field: FieldName,
    /// Why there was a conflict.
    pub reason: ConflictReason,
    /// The agreed value before both changes (`None` when the pair had no base).
    pub base: Option<serde_json::Value>,
    /// The XDR's value.
    pub xdr: serde_json::Value,
    /// The SIEM's value.
    pub siem: serde_json::Value,
    /// The side whose value was kept.
    pub winner: Side,
}

impl Conflict {
    /// The value that was overwritten.
    pub fn loser_value(&self) -> &serde_json::Value {
        match self.winner {
            Side::Xdr => &self.siem,
            Side::Siem => &self.xdr,
        }
    }
}
