//! What the reconciler asks each side to change, in a form the outbox can store and replay.
//!
//! A field change carries the value the target side showed when it was planned (`from`) as well as the
//! new value (`to`). Before a write is performed, or replayed after a crash, [`FieldPatch::rebase`] drops
//! every change whose target has since moved on, so a late write never overwrites an edit made after it
//! was planned.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use tandem_model::graph::AlertDetermination;
use tandem_model::mapping::derived_name;

use super::identity::PairKey;
use super::marker::render_marker;
use super::model::{Classification, Comment, CommentOrigin, Severity, Side, Status, SyncedFields};
use super::policy::{Conflict, ConflictReason, FieldName};

/// Equality as a side can show it: the SIEM cannot hold a determination or the `Redirected` status.
pub trait SyncedValue: Clone + PartialEq + Serialize {
    /// Whether this value, read from `side`, shows `wanted` as well as that side can.
    fn shows(&self, side: Side, wanted: &Self) -> bool {
        let _ = side;
        self == wanted
    }
}

impl SyncedValue for Severity {}
impl SyncedValue for Option<String> {}

impl SyncedValue for Status {
    fn shows(&self, side: Side, wanted: &Self) -> bool {
        self == wanted
            || (side == Side::Siem && *wanted == Status::Redirected && *self == Status::Closed)
    }
}

impl SyncedValue for Classification {
    /// Besides equality: a SIEM value without a determination cannot tell, so its verdict decides; and a
    /// wanted value without a determination is shown by the detail a side fills in when it is written
    /// one, so that reading it back is no change. The SIEM derives its determination from the reason
    /// its verdict was written with (`IncorrectAlertLogic` reads as `notMalicious`), so there the verdict
    /// decides; the XDR stores `other`.
    fn shows(&self, side: Side, wanted: &Self) -> bool {
        if self.verdict != wanted.verdict {
            return false;
        }
        match (side, self.determination.as_deref(), &wanted.determination) {
            (Side::Siem, None, _) | (Side::Siem, _, None) => true,
            (Side::Xdr, Some(filled), None) => filled == AlertDetermination::OtherOutcome.as_str(),
            _ => self == wanted,
        }
    }
}

/// One field's planned change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change<T> {
    /// The target's value when the change was planned; `None` when the target did not exist yet.
    pub from: Option<T>,
    /// The value to write.
    pub to: T,
}

/// What became of one planned change when checked against the target's current value.
enum Outcome<T> {
    /// The target already shows the new value.
    Landed,
    /// The target still holds the value it had when the change was planned: write it.
    Pending(Change<T>),
    /// The target's field was edited after the change was planned: do not write.
    Superseded(Change<T>),
}

impl<T: SyncedValue> Change<T> {
    /// Checks the change against `current`; a `frozen` target takes no writes.
    fn rebase(&self, side: Side, current: &T, frozen: bool) -> Outcome<T> {
        let untouched = self
            .from
            .as_ref()
            .is_none_or(|from| current.shows(side, from));
        if current.shows(side, &self.to) {
            Outcome::Landed
        } else if untouched && !frozen {
            Outcome::Pending(Change {
                from: Some(current.clone()),
                to: self.to.clone(),
            })
        } else {
            Outcome::Superseded(Change {
                from: Some(current.clone()),
                to: self.to.clone(),
            })
        }
    }
}

/// Splits a change into the part to write and the part superseded.
fn split<T: SyncedValue>(
    change: &Option<Change<T>>,
    side: Side,
    current: &T,
    frozen: bool,
) -> (Option<Change<T>>, Option<Change<T>>) {
    match change.as_ref().map(|c| c.rebase(side, current, frozen)) {
        Some(Outcome::Pending(c)) => (Some(c), None),
        Some(Outcome::Superseded(c)) => (None, Some(c)),
        Some(Outcome::Landed) | None => (None, None),
    }
}

/// A field patch checked against the target's current state.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rebased {
    /// The changes still to write.
    pub patch: FieldPatch,
    /// The changes whose field the target edited after they were planned, with `from` set to the
    /// target's current value. They are not written: the person's later edit stands, reaches the other
    /// side in the next reconciliation, and the planned value is reported ([`Rebased::conflicts`]).
    pub superseded: FieldPatch,
}

impl Rebased {
    /// The superseded changes as conflicts won by `target`, the side that was being written.
    pub fn conflicts(&self, target: Side) -> Vec<Conflict> {
        let s = &self.superseded;
        [
            lost(FieldName::Status, target, &s.status),
            lost(FieldName::Severity, target, &s.severity),
            lost(FieldName::Owner, target, &s.owner),
            lost(FieldName::Classification, target, &s.classification),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

/// A superseded change as a conflict won by `target`.
fn lost<T: Serialize>(
    field: FieldName,
    target: Side,
    change: &Option<Change<T>>,
) -> Option<Conflict> {
    let change = change.as_ref()?;
    let json = |v: &T| serde_json::to_value(v).unwrap_or_default();
    let (kept, planned) = (
        change.from.as_ref().map(json).unwrap_or_default(),
        json(&change.to),
    );
    let (xdr, siem) = match target {
        Side::Xdr => (kept, planned),
        Side::Siem => (planned, kept),
    };
    Some(Conflict {
        field,
        reason: ConflictReason::Superseded,
        base: None,
        xdr,
        siem,
        winner: target,
    })
}

/// A set of tags to add and remove; applied to whatever set the target holds, so it never undoes an edit.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct TagChange {
    /// Tags to add.
    pub add: BTreeSet<String>,
    /// Tags to remove.
    pub remove: BTreeSet<String>,
}

impl TagChange {
    /// The change that turns `from` into `to`, or `None` when they are equal.
    pub fn between(from: &BTreeSet<String>, to: &BTreeSet<String>) -> Option<TagChange> {
        let change = TagChange {
            add: to.difference(from).cloned().collect(),
            remove: from.difference(to).cloned().collect(),
        };
        (!change.add.is_empty() || !change.remove.is_empty()).then_some(change)
    }

    /// `tags` with this change applied.
    pub fn apply(&self, tags: &BTreeSet<String>) -> BTreeSet<String> {
        tags.union(&self.add)
            .filter(|t| !self.remove.contains(*t))
            .cloned()
            .collect()
    }
}

/// The fields to change on one side; absent members are left alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FieldPatch {
    /// New status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Change<Status>>,
    /// New severity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Change<Severity>>,
    /// New owner (`to: None` unassigns).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<Change<Option<String>>>,
    /// New classification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classification: Option<Change<Classification>>,
    /// Tags to add and remove.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagChange>,
}

impl FieldPatch {
    /// True when nothing is to change.
    pub fn is_empty(&self) -> bool {
        self == &FieldPatch::default()
    }

    /// `fields` with this patch applied.
    pub fn apply(&self, fields: &SyncedFields) -> SyncedFields {
        SyncedFields {
            status: self.status.as_ref().map_or(fields.status, |c| c.to),
            severity: self.severity.as_ref().map_or(fields.severity, |c| c.to),
            owner: self
                .owner
                .as_ref()
                .map_or_else(|| fields.owner.clone(), |c| c.to.clone()),
            classification: self
                .classification
                .as_ref()
                .map_or_else(|| fields.classification.clone(), |c| c.to.clone()),
            tags: self
                .tags
                .as_ref()
                .map_or_else(|| fields.tags.clone(), |c| c.apply(&fields.tags)),
        }
    }

    /// Checks the patch against `side`'s current fields: a change already visible is dropped, a change
    /// whose field was edited on `side` after it was planned is superseded, and the rest is still to
    /// write. Nothing is ever written to a redirected XDR incident: there every change is superseded.
    pub fn rebase(&self, side: Side, current: &SyncedFields) -> Rebased {
        let frozen = side == Side::Xdr && current.status == Status::Redirected;
        let (status, status_lost) = split(&self.status, side, &current.status, frozen);
        let (severity, severity_lost) = split(&self.severity, side, &current.severity, frozen);
        let (owner, owner_lost) = split(&self.owner, side, &current.owner, frozen);
        let (classification, classification_lost) =
            split(&self.classification, side, &current.classification, frozen);
        let tags = self
            .tags
            .as_ref()
            .filter(|_| !frozen)
            .and_then(|c| TagChange::between(&current.tags, &c.apply(&current.tags)));
        Rebased {
            patch: FieldPatch {
                status,
                severity,
                owner,
                classification,
                tags,
            },
            superseded: FieldPatch {
                status: status_lost,
                severity: severity_lost,
                owner: owner_lost,
                classification: classification_lost,
                tags: None,
            },
        }
    }
}

/// A comment to mirror to the other side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentWrite {
    /// Where the comment was first written.
    pub origin: CommentOrigin,
    /// Its content on the origin side.
    pub comment: Comment,
}

impl CommentWrite {
    /// The text to post: the original text followed by the origin marker.
    pub fn body(&self) -> String {
        render_marker(&self.comment.text, &self.origin)
    }
}

/// Everything the reconciler wants written to one side of a pair.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SideWrites {
    /// Field changes. When the SIEM twin does not exist yet, every field is present with `from: None`
    /// and the adapter creates the twin.
    pub fields: FieldPatch,
    /// Comments to mirror onto this side.
    pub comments: Vec<CommentWrite>,
}

impl SideWrites {
    /// True when nothing is to be written.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.comments.is_empty()
    }
}

/// One write, as kept in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Write {
    /// Change fields of the incident (or create the SIEM twin).
    Fields {
        /// The changes.
        patch: FieldPatch,
    },
    /// Mirror a comment.
    Comment(CommentWrite),
}

/// A write planned for one side of one pair, with its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedWrite {
    /// Deterministic: planning the same write from the same state again yields the same key, so a
    /// replayed plan does not add a second outbox entry.
    pub key: Uuid,
    /// The pair.
    pub pair: PairKey,
    /// The side to write to.
    pub side: Side,
    /// The write.
    pub write: Write,
}

impl PlannedWrite {
    /// A field write planned against the target version `target_marker` (`None`: the twin is new).
    pub fn fields(
        pair: &PairKey,
        side: Side,
        target_marker: Option<&str>,
        patch: FieldPatch,
    ) -> Self {
        let content = serde_json::to_string(&patch).unwrap_or_default();
        let key = derived_name(&[
            "fields",
            &pair.tenant,
            &pair.xdr_id,
            side.as_str(),
            target_marker.unwrap_or(""),
            &content,
        ]);
        PlannedWrite {
            key,
            pair: pair.clone(),
            side,
            write: Write::Fields { patch },
        }
    }

    /// A comment write; a given comment is mirrored to a given side once, so its key is its origin.
    pub fn comment(pair: &PairKey, side: Side, write: CommentWrite) -> Self {
        let key = derived_name(&[
            "comment",
            &pair.tenant,
            &pair.xdr_id,
            side.as_str(),
            write.origin.side.as_str(),
            &write.origin.id,
        ]);
        PlannedWrite {
            key,
            pair: pair.clone(),
            side,
            write: Write::Comment(write),
        }
    }
}
