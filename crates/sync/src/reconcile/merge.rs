//! The three-way merge of one field, of the tag set and of the comment set.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Comment, CommentOrigin, Side};
use super::patch::{Change, CommentWrite, SyncedValue, TagChange};
use super::policy::{Conflict, ConflictReason, FieldName};

/// The outcome of merging one field.
pub(crate) struct Merged<T> {
    /// The value both sides end with (the new base).
    pub value: T,
    /// The change for the XDR, if its value differs.
    pub xdr: Option<Change<T>>,
    /// The change for the SIEM, if its value differs.
    pub siem: Option<Change<T>>,
    /// The losing value, if both sides had changed it.
    pub conflict: Option<Conflict>,
}

impl<T: Clone> Merged<T> {
    /// The change planned for `side`, if any.
    pub fn change(&self, side: Side) -> Option<Change<T>> {
        match side {
            Side::Xdr => self.xdr.clone(),
            Side::Siem => self.siem.clone(),
        }
    }
}

/// One field's three values: XDR, SIEM (absent before the twin exists) and base (absent before the
/// first agreement).
pub(crate) struct FieldInputs<'a, T> {
    pub name: FieldName,
    pub xdr: &'a T,
    pub siem: Option<&'a T>,
    pub base: Option<&'a T>,
    /// The SIEM's value as read, even when the state was no news and `siem` is the base's value.
    pub siem_read: Option<&'a T>,
}

/// How a field changed on both sides is settled for this pair.
#[derive(Clone, Copy)]
pub(crate) enum Arbiter {
    /// The policy's winner for this pair's change times.
    Policy(Side),
    /// The XDR incident is redirected: the XDR's values stand and nothing is written back.
    Redirected,
    /// The XDR takes no writes of this field: its changes reach the SIEM, the SIEM's stay there.
    XdrOwned,
}

impl<T: SyncedValue> FieldInputs<'_, T> {
    /// Merges the field.
    pub fn merge(&self, arbiter: Arbiter) -> Merged<T> {
        let Some(siem) = self.siem else {
            return self.settle(Side::Xdr, None);
        };
        let agreed = siem.shows(Side::Siem, self.xdr);
        let xdr_changed = self.base.is_none_or(|b| self.xdr != b);
        let siem_changed = self.base.is_none_or(|b| !siem.shows(Side::Siem, b));
        match arbiter {
            _ if agreed => self.settle(Side::Xdr, None),
            Arbiter::Redirected => {
                // Closing the twin is the point of a redirect; any other value it replaces is reported,
                // since the XDR may never have taken it.
                let lost = siem_changed || self.name != FieldName::Status;
                self.settle(Side::Xdr, lost.then_some(ConflictReason::Redirected))
            }
            Arbiter::XdrOwned if !xdr_changed => self.keep_apart(),
            Arbiter::XdrOwned => self.overwrite_siem(siem_changed),
            Arbiter::Policy(_) if !xdr_changed => self.settle(Side::Siem, None),
            Arbiter::Policy(_) if !siem_changed => self.settle(Side::Xdr, None),
            Arbiter::Policy(winner) => self.settle(winner, Some(ConflictReason::BothChanged)),
        }
    }

    /// Leaves a SIEM edit the XDR cannot take where it is: the base keeps the XDR's value.
    fn keep_apart(&self) -> Merged<T> {
        Merged {
            value: self.xdr.clone(),
            xdr: None,
            siem: None,
            conflict: None,
        }
    }

    /// Sends the XDR's value of a field it owns to the SIEM. The SIEM's own value may be one kept apart
    /// earlier, which the base does not show, so the change is planned from the value as read.
    fn overwrite_siem(&self, siem_changed: bool) -> Merged<T> {
        let mut merged = self.settle(
            Side::Xdr,
            siem_changed.then_some(ConflictReason::BothChanged),
        );
        if let Some(change) = &mut merged.siem {
            change.from = self.siem_read.cloned();
        }
        merged
    }

    /// Keeps `winner`'s value, plans the write to the other side, and records the loser if `conflict`.
    fn settle(&self, winner: Side, conflict: Option<ConflictReason>) -> Merged<T> {
        let value = match winner {
            Side::Xdr => self.xdr.clone(),
            Side::Siem => self.siem.unwrap_or(self.xdr).clone(),
        };
        let change = |side: Side, current: Option<&T>| {
            let shown = current.is_some_and(|c| c.shows(side, &value));
            (!shown).then(|| Change {
                from: current.cloned(),
                to: value.clone(),
            })
        };
        Merged {
            xdr: change(Side::Xdr, Some(self.xdr)),
            siem: change(Side::Siem, self.siem),
            conflict: conflict.map(|reason| self.conflict(reason, winner)),
            value,
        }
    }

    fn conflict(&self, reason: ConflictReason, winner: Side) -> Conflict {
        let json = |v: &T| serde_json::to_value(v).unwrap_or_default();
        Conflict {
            field: self.name,
            reason,
            base: self.base.map(json),
            xdr: json(self.xdr),
            siem: self.siem.map(json).unwrap_or_default(),
            winner,
        }
    }
}

/// Tags merge as sets: every add and every remove made on either side since the base is kept.
pub(crate) struct TagInputs<'a> {
    pub xdr: &'a BTreeSet<String>,
    pub siem: Option<&'a BTreeSet<String>>,
    pub base: Option<&'a BTreeSet<String>>,
}

impl TagInputs<'_> {
    /// The merged set and the change for each side (`redirected`: the XDR's set stands).
    pub fn merge(
        &self,
        redirected: bool,
    ) -> (BTreeSet<String>, Option<TagChange>, Option<TagChange>) {
        let empty = BTreeSet::new();
        let siem = self.siem.unwrap_or(&empty);
        let value = match (self.base, redirected || self.siem.is_none()) {
            (_, true) => self.xdr.clone(),
            (None, false) => self.xdr.union(siem).cloned().collect(),
            (Some(base), false) => {
                let from_xdr = TagChange::between(base, self.xdr).unwrap_or_default();
                let from_siem = TagChange::between(base, siem).unwrap_or_default();
                from_siem.apply(&from_xdr.apply(base))
            }
        };
        let xdr = TagChange::between(self.xdr, &value);
        let siem = TagChange::between(siem, &value);
        (value, xdr, siem)
    }
}

/// Comments merge as a set of origins; each comment is mirrored once to the side it did not come from.
pub(crate) struct CommentInputs<'a> {
    pub xdr: &'a BTreeMap<CommentOrigin, Comment>,
    pub siem: Option<&'a BTreeMap<CommentOrigin, Comment>>,
    pub base: Option<&'a BTreeSet<CommentOrigin>>,
}

impl CommentInputs<'_> {
    /// The comments to mirror onto `target`, which already holds `present`, from `source`.
    fn to_mirror(
        &self,
        target: Side,
        present: Option<&BTreeMap<CommentOrigin, Comment>>,
        source: Option<&BTreeMap<CommentOrigin, Comment>>,
    ) -> Vec<CommentWrite> {
        let known = |o: &CommentOrigin| {
            present.is_some_and(|p| p.contains_key(o)) || self.base.is_some_and(|b| b.contains(o))
        };
        source
            .into_iter()
            .flatten()
            .filter(|(origin, _)| origin.side != target && !known(origin))
            .map(|(origin, comment)| CommentWrite {
                origin: origin.clone(),
                comment: comment.clone(),
            })
            .collect()
    }

    /// The writes for the XDR (none when `redirected`), for the SIEM, and the new set of handled origins.
    pub fn merge(
        &self,
        redirected: bool,
    ) -> (
        Vec<CommentWrite>,
        Vec<CommentWrite>,
        BTreeSet<CommentOrigin>,
    ) {
        let to_xdr = match redirected {
            true => Vec::new(),
            false => self.to_mirror(Side::Xdr, Some(self.xdr), self.siem),
        };
        let to_siem = self.to_mirror(Side::Siem, self.siem, Some(self.xdr));
        let handled = self
            .base
            .into_iter()
            .flatten()
            .chain(self.xdr.keys())
            .chain(self.siem.into_iter().flat_map(|s| s.keys()))
            .cloned()
            .collect();
        (to_xdr, to_siem, handled)
    }
}
