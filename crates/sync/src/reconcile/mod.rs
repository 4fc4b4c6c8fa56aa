//! The pure core of the connector: given the last agreed base and both sides' current state, decide what
//! to write where.
//!
//! Nothing here does I/O or reads a clock: time arrives as each side's change timestamp. The reconciler
//! merges field by field against the base (a field changed on one side goes to the other; changed on both,
//! the [`ConflictPolicy`] picks and the loser is reported as a [`Conflict`]); tags merge as sets and comments
//! as a set of origins. After a write the base holds the written value, so when the write comes back in
//! the other side's feed all three agree and nothing bounces.

mod identity;
mod marker;
mod merge;
mod model;
mod patch;
mod policy;

pub use identity::PairKey;
pub use marker::{parse_marker, render_marker};
pub use model::{
    Base, Classification, Comment, CommentOrigin, Severity, Side, SideVersion, Status,
    SyncedFields, SyncedIncident, Verdict,
};
pub use patch::{
    Change, CommentWrite, FieldPatch, PlannedWrite, Rebased, SideWrites, SyncedValue, TagChange,
    Write,
};
pub use policy::{Conflict, ConflictPolicy, ConflictReason, FieldName};
pub use tandem_model::mapping::TANDEM_NAMESPACE;

use std::collections::{BTreeMap, BTreeSet};

use merge::{Arbiter, CommentInputs, FieldInputs, TagInputs};

/// The input of one reconciliation: a pair, its base, and both sides' state.
#[derive(Debug, Clone, Copy)]
pub struct ReconcileInput<'a> {
    /// The pair.
    pub pair: &'a PairKey,
    /// What both sides last agreed on; `None` for a pair never reconciled.
    pub base: Option<&'a Base>,
    /// The XDR incident.
    pub xdr: &'a SyncedIncident,
    /// The SIEM twin; `None` when it does not exist yet (it is then created).
    pub siem: Option<&'a SyncedIncident>,
}

/// What to do for one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reconciliation {
    /// Writes for the XDR.
    pub xdr: SideWrites,
    /// Writes for the SIEM.
    pub siem: SideWrites,
    /// The new base, to store in the same transaction as the writes.
    pub base: Base,
    /// Values that lost to the policy, for the conflict log.
    pub conflicts: Vec<Conflict>,
}

impl Reconciliation {
    /// True when neither side needs a write.
    pub fn is_quiet(&self) -> bool {
        self.xdr.is_empty() && self.siem.is_empty()
    }

    /// The writes as outbox entries, with deterministic keys. Field writes come first on each side.
    pub fn planned_writes(&self, input: &ReconcileInput<'_>) -> Vec<PlannedWrite> {
        let marker = |side: Side| match side {
            Side::Xdr => Some(input.xdr.version.marker.as_str()),
            Side::Siem => input.siem.map(|s| s.version.marker.as_str()),
        };
        let mut planned = Vec::new();
        for (side, writes) in [(Side::Xdr, &self.xdr), (Side::Siem, &self.siem)] {
            if !writes.fields.is_empty() {
                planned.push(PlannedWrite::fields(
                    input.pair,
                    side,
                    marker(side),
                    writes.fields.clone(),
                ));
            }
            planned.extend(
                writes
                    .comments
                    .iter()
                    .map(|c| PlannedWrite::comment(input.pair, side, c.clone())),
            );
        }
        planned
    }
}

/// The reconciler, configured with a conflict policy and the fields the XDR cannot be written.
#[derive(Debug, Clone, Default)]
pub struct IncidentReconciler {
    /// How fields changed on both sides are settled.
    pub policy: ConflictPolicy,
    /// Fields the XDR accepts no writes for (Graph's incident `PATCH` has no `severity`). The XDR owns
    /// them: its changes reach the SIEM, a SIEM edit stays in the SIEM until the XDR changes the field
    /// again (which then overwrites it, reported as a conflict).
    pub xdr_read_only: BTreeSet<FieldName>,
}

impl IncidentReconciler {
    /// A reconciler with `policy`, where every synced field can be written on both sides.
    pub fn new(policy: ConflictPolicy) -> Self {
        IncidentReconciler {
            policy,
            xdr_read_only: BTreeSet::new(),
        }
    }

    /// The same reconciler with `fields` read-only on the XDR.
    pub fn with_xdr_read_only(mut self, fields: impl IntoIterator<Item = FieldName>) -> Self {
        self.xdr_read_only.extend(fields);
        self
    }

    /// Decides the writes for one pair, the new base and the conflicts.
    pub fn reconcile(&self, input: &ReconcileInput<'_>) -> Reconciliation {
        let base = input.base;
        let xdr = effective_fields(input.xdr, base, Side::Xdr);
        let siem = input.siem.map(|s| effective_fields(s, base, Side::Siem));
        let redirected = xdr.status == Status::Redirected;
        let arbiter = match (redirected, input.siem) {
            (true, _) => Arbiter::Redirected,
            (false, None) => Arbiter::Policy(Side::Xdr),
            (false, Some(s)) => Arbiter::Policy(
                self.policy
                    .winner(&input.xdr.version.changed_at, &s.version.changed_at),
            ),
        };
        let fields = FieldsInputs {
            xdr,
            siem,
            base: base.map(|b| &b.fields),
            siem_read: input.siem.map(|s| &s.fields),
            xdr_read_only: &self.xdr_read_only,
        };
        let mut out = fields.merge(arbiter);

        let xdr_comments = with_redirect_comment(input);
        let comments = CommentInputs {
            xdr: &xdr_comments,
            siem: input.siem.map(|s| &s.comments),
            base: base.map(|b| &b.comments),
        };
        let (to_xdr, to_siem, handled) = comments.merge(redirected);
        out.xdr.comments = to_xdr;
        out.siem.comments = to_siem;

        let consumed = |side: Side, state: &SyncedIncident| match base {
            Some(b) if !is_fresh(state, b.version(side)) => b.version(side).cloned(),
            _ => Some(state.version.clone()),
        };
        let siem_version = match input.siem {
            Some(s) => consumed(Side::Siem, s),
            None => base.and_then(|b| b.siem.clone()),
        };
        Reconciliation {
            xdr: out.xdr,
            siem: out.siem,
            base: Base {
                fields: out.fields,
                comments: handled,
                xdr: consumed(Side::Xdr, input.xdr).unwrap_or_else(|| input.xdr.version.clone()),
                siem: siem_version,
            },
            conflicts: out.conflicts,
        }
    }
}

/// The fields a side is taken to hold: its state when that is news, else the base (nothing new to say).
fn effective_fields<'a>(
    state: &'a SyncedIncident,
    base: Option<&'a Base>,
    side: Side,
) -> &'a SyncedFields {
    match base {
        Some(b) if !is_fresh(state, b.version(side)) => &b.fields,
        _ => &state.fields,
    }
}

/// The XDR's comments, plus, for a redirected incident, the comment that points the SIEM twin at the
/// survivor.
fn with_redirect_comment(input: &ReconcileInput<'_>) -> BTreeMap<CommentOrigin, Comment> {
    let mut comments = input.xdr.comments.clone();
    if let (Status::Redirected, Some(survivor)) =
        (input.xdr.fields.status, &input.xdr.redirected_to)
    {
        let twin = PairKey::new(input.pair.tenant.clone(), survivor.clone()).siem_incident_name();
        comments.insert(
            CommentOrigin {
                side: Side::Xdr,
                id: format!("redirect:{survivor}"),
            },
            Comment {
                text: format!("Merged into XDR incident {survivor} (SIEM incident {twin})."),
                author: None,
            },
        );
    }
    comments
}

/// Every synced field of both sides and the base.
struct FieldsInputs<'a> {
    xdr: &'a SyncedFields,
    siem: Option<&'a SyncedFields>,
    base: Option<&'a SyncedFields>,
    siem_read: Option<&'a SyncedFields>,
    xdr_read_only: &'a BTreeSet<FieldName>,
}

/// The merged fields with each side's patch and the conflicts.
struct MergedFields {
    fields: SyncedFields,
    xdr: SideWrites,
    siem: SideWrites,
    conflicts: Vec<Conflict>,
}

impl<'a> FieldsInputs<'a> {
    /// Merges one field; a field read-only on the XDR is owned by it unless a redirect decides already.
    fn field<T: SyncedValue + 'a>(
        &self,
        name: FieldName,
        get: impl Fn(&'a SyncedFields) -> &'a T,
        arbiter: Arbiter,
    ) -> merge::Merged<T> {
        let arbiter = match arbiter {
            Arbiter::Policy(_) if self.xdr_read_only.contains(&name) => Arbiter::XdrOwned,
            other => other,
        };
        let inputs = FieldInputs {
            name,
            xdr: get(self.xdr),
            siem: self.siem.map(&get),
            base: self.base.map(&get),
            siem_read: self.siem_read.map(&get),
        };
        inputs.merge(arbiter)
    }

    fn merge(&self, arbiter: Arbiter) -> MergedFields {
        let status = self.field(FieldName::Status, |f| &f.status, arbiter);
        let severity = self.field(FieldName::Severity, |f| &f.severity, arbiter);
        let owner = self.field(FieldName::Owner, |f| &f.owner, arbiter);
        let classification = self.field(FieldName::Classification, |f| &f.classification, arbiter);
        let tags = TagInputs {
            xdr: &self.xdr.tags,
            siem: self.siem.map(|s| &s.tags),
            base: self.base.map(|b| &b.tags),
        };
        let (tags, xdr_tags, siem_tags) = tags.merge(matches!(arbiter, Arbiter::Redirected));
        let patch = |side: Side, tags: Option<TagChange>| FieldPatch {
            status: status.change(side),
            severity: severity.change(side),
            owner: owner.change(side),
            classification: classification.change(side),
            tags,
        };
        let writes = |fields| SideWrites {
            fields,
            comments: Vec::new(),
        };
        MergedFields {
            xdr: writes(patch(Side::Xdr, xdr_tags)),
            siem: writes(patch(Side::Siem, siem_tags)),
            conflicts: [
                &status.conflict,
                &severity.conflict,
                &owner.conflict,
                &classification.conflict,
            ]
            .into_iter()
            .flatten()
            .cloned()
            .collect(),
            fields: SyncedFields {
                status: status.value,
                severity: severity.value,
                owner: owner.value,
                classification: classification.value,
                tags,
            },
        }
    }
}

/// True when `state` is news relative to the version last consumed: a different marker and not older.
/// A duplicate or a stale delivery is not news, and its side is then taken to still hold the base.
fn is_fresh(state: &SyncedIncident, consumed: Option<&SideVersion>) -> bool {
    consumed.is_none_or(|c| {
        c.marker != state.version.marker && state.version.changed_at >= c.changed_at
    })
}
