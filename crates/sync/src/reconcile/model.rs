//! The neutral shape of an incident as the connector syncs it.
//!
//! Graph and Sentinel describe incidents differently; each side's adapter maps its own payload into a
//! [`SyncedIncident`] so that the reconciler compares like with like. Only the fields the connector keeps in
//! sync appear here: status, severity, owner, classification, tags and comments.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::{Deserialize, Serialize};
use tandem_model::Timestamp;

/// One of the two services the connector joins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The XDR (Microsoft Graph security API).
    Xdr,
    /// The SIEM (Microsoft Sentinel incidents API).
    Siem,
}

impl Side {
    /// Both sides, XDR first.
    pub const BOTH: [Side; 2] = [Side::Xdr, Side::Siem];

    /// The lower-case name used in markers, keys and the store (`xdr`, `siem`).
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Xdr => "xdr",
            Side::Siem => "siem",
        }
    }

    /// Reads the lower-case name back.
    pub fn from_name(name: &str) -> Option<Side> {
        match name {
            "xdr" => Some(Side::Xdr),
            "siem" => Some(Side::Siem),
            _ => None,
        }
    }

    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Xdr => Side::Siem,
            Side::Siem => Side::Xdr,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Life-cycle status.
///
/// Graph's `active` maps to [`Status::New`], `inProgress` and `awaitingAction` to [`Status::Active`],
/// `resolved` to [`Status::Closed`]. [`Status::Redirected`] exists only on the XDR: the SIEM shows it as
/// `Closed`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Status {
    /// Nobody has looked at it yet.
    New,
    /// Being worked on.
    Active,
    /// Closed; the classification says why.
    Closed,
    /// Merged into another XDR incident. Terminal: sync never reopens it.
    Redirected,
}

/// Severity, on the scale both sides share (Graph's `unknown` maps to `Informational`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Severity {
    /// Informational.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

/// The coarse verdict both sides can hold (Sentinel `classification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Verdict {
    /// No verdict yet.
    Undetermined,
    /// Real malicious activity.
    TruePositive,
    /// Real activity that is expected or harmless.
    BenignPositive,
    /// Not what the detection claimed.
    FalsePositive,
}

/// A verdict plus the XDR's finer determination.
///
/// The SIEM has room only for the verdict, so its adapter reports `determination: None` unless it can
/// read the detail back (for example from a label). A `None` on the SIEM side means "cannot tell", never
/// "cleared": the reconciler then keeps the detail it already knows (see [`SyncedValue::shows`](super::SyncedValue::shows)).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Classification {
    /// The coarse verdict.
    pub verdict: Verdict,
    /// Graph `determination`, in its wire spelling (`malware`, `phishing`, ...); `None` when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub determination: Option<String>,
}

impl Classification {
    /// A classification with no verdict and no detail.
    pub fn undetermined() -> Self {
        Classification {
            verdict: Verdict::Undetermined,
            determination: None,
        }
    }
}

/// Where a comment was first written: a side and that side's id for it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct CommentOrigin {
    /// The side the comment was written on by a person or a detector.
    pub side: Side,
    /// The id that side gave it (Graph has none, so the XDR adapter uses the comment's creation time).
    pub id: String,
}

/// A comment's content, without any origin marker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The text as its author wrote it.
    pub text: String,
    /// Who wrote it, when the side says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

/// The fields the connector keeps equal on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedFields {
    /// Life-cycle status.
    pub status: Status,
    /// Severity.
    pub severity: Severity,
    /// Assignee, as a user principal name (adapters normalise case).
    pub owner: Option<String>,
    /// Verdict and determination.
    pub classification: Classification,
    /// Free-form tags (Graph `customTags`, Sentinel user labels).
    pub tags: BTreeSet<String>,
}

/// A side's version of an incident: its opaque change marker and its service's change time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SideVersion {
    /// Opaque change marker (Graph `lastUpdateDateTime` text, Sentinel `etag`).
    pub marker: String,
    /// When the side's service last changed the incident, by that service's own clock.
    pub changed_at: Timestamp,
}

/// One side's incident, mapped into the neutral shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncedIncident {
    /// The synced fields.
    pub fields: SyncedFields,
    /// Every comment on the incident, keyed by origin. A mirrored comment is keyed by the origin its
    /// marker names (see [`parse_marker`](crate::reconcile::parse_marker)), a native one by this side's id.
    pub comments: BTreeMap<CommentOrigin, Comment>,
    /// The version this state was read at.
    pub version: SideVersion,
    /// XDR only: the surviving incident's id when this one was merged (`redirectIncidentId`).
    pub redirected_to: Option<String>,
}

/// What both sides last agreed on for one pair, kept in the connector's store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Base {
    /// The agreed field values (with the XDR's full classification detail).
    pub fields: SyncedFields,
    /// Every comment origin known to be on both sides, or planned to be.
    pub comments: BTreeSet<CommentOrigin>,
    /// The XDR version last consumed.
    pub xdr: SideVersion,
    /// The SIEM version last consumed; `None` until the twin has been read once.
    pub siem: Option<SideVersion>,
}

impl Base {
    /// The version of `side` last consumed.
    pub fn version(&self, side: Side) -> Option<&SideVersion> {
        match side {
            Side::Xdr => Some(&self.xdr),
            Side::Siem => self.siem.as_ref(),
        }
    }

    /// Records the version a write to `side` produced, when the write was made on top of the version
    /// last consumed (`before`): the result then holds nothing the connector has not seen, and an older
    /// state delivered later (a poll overlap) is recognised as stale. Returns whether the base moved.
    ///
    /// When the side had changed in between, the base stays put so that the intervening edit is still
    /// read as news.
    pub fn advance_after_write(
        &mut self,
        side: Side,
        before: &SideVersion,
        after: SideVersion,
    ) -> bool {
        let slot = match side {
            Side::Xdr => &mut self.xdr,
            Side::Siem => match &mut self.siem {
                Some(version) => version,
                None => return false,
            },
        };
        let advances = slot == before && after.changed_at >= before.changed_at;
        if advances {
            *slot = after;
        }
        advances
    }
}
