//! Property tests: two in-memory sides and the connector's base, driven through random interleavings of
//! edits on both sides, stale and duplicate deliveries, and crashes at every point of a cycle.
//!
//! Verdicts go through the real adapters' mappings, so each side fills in detail the way its service
//! does: the XDR stores the Graph update body the connector sends (a verdict without a determination
//! becomes `other`), and the SIEM keeps classification, reason and classification comment and is read
//! back through the Sentinel mapping (which derives a determination from the reason).
//!
//! After the edits stop, a few quiet rounds must reach a fixed point where both sides hold the same
//! values (but for a field read-only on the XDR, whose SIEM edits stay in the SIEM) and the reconciler
//! plans nothing; every user edit that did not survive must be explained by a
//! reported conflict or by an edit on the other side that the connector saw in a later cycle.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use proptest::prelude::*;
use tandem_model::sentinel::{Incident, IncidentProperties};
use tandem_model::{Field, Timestamp};
use tandem_sync::reconcile::{
    Base, Change, Classification, Comment, CommentOrigin, Conflict, ConflictPolicy, FieldName,
    FieldPatch, IncidentReconciler, PairKey, PlannedWrite, ReconcileInput, Severity, Side,
    SideVersion, Status, SyncedFields, SyncedIncident, SyncedValue, Verdict, Write, parse_marker,
};
use tandem_sync::sides::graph::mapping::{incident_update, synced_incident as from_graph};
use tandem_sync::sides::sentinel::mapping::{apply_patch, synced_incident as from_sentinel};

const TAGS: [&str; 4] = ["a", "b", "c", "d"];
const OWNERS: [Option<&str>; 3] = [None, Some("ana@example.com"), Some("bo@example.com")];
const DETERMINATIONS: [Option<&str>; 5] = [
    None,
    Some("malware"),
    Some("phishing"),
    Some("other"),
    Some("notMalicious"),
];

/// A user's edit on one side.
#[derive(Debug, Clone)]
enum Edit {
    Status(Status),
    Severity(Severity),
    Owner(Option<&'static str>),
    Classification(Verdict, Option<&'static str>),
    AddTag(&'static str),
    RemoveTag(&'static str),
    Comment,
}

/// Where a cycle stops when the connector crashes.
#[derive(Debug, Clone, Copy)]
enum Crash {
    None,
    BeforeStore,
    AfterStore,
    AfterFirstWrite,
}

#[derive(Debug, Clone)]
enum Op {
    Edit {
        side: Side,
        edit: Edit,
        seconds: i64,
    },
    Redirect,
    Sync {
        xdr_lag: usize,
        siem_lag: usize,
        crash: Crash,
    },
}

fn edit() -> impl Strategy<Value = Edit> {
    let status = prop::sample::select(vec![Status::New, Status::Active, Status::Closed]);
    let severity = prop::sample::select(vec![
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
    ]);
    let verdict = prop::sample::select(vec![
        Verdict::Undetermined,
        Verdict::TruePositive,
        Verdict::BenignPositive,
        Verdict::FalsePositive,
    ]);
    prop_oneof![
        status.prop_map(Edit::Status),
        severity.prop_map(Edit::Severity),
        prop::sample::select(OWNERS.to_vec()).prop_map(Edit::Owner),
        (verdict, prop::sample::select(DETERMINATIONS.to_vec()))
            .prop_map(|(v, d)| Edit::Classification(v, d)),
        prop::sample::select(TAGS.to_vec()).prop_map(Edit::AddTag),
        prop::sample::select(TAGS.to_vec()).prop_map(Edit::RemoveTag),
        Just(Edit::Comment),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    let side = prop::sample::select(Side::BOTH.to_vec());
    let crash = prop::sample::select(vec![
        Crash::None,
        Crash::BeforeStore,
        Crash::AfterStore,
        Crash::AfterFirstWrite,
    ]);
    prop_oneof![
        6 => (side, edit(), 1i64..20).prop_map(|(side, edit, seconds)| Op::Edit { side, edit, seconds }),
        1 => Just(Op::Redirect),
        5 => (0usize..3, 0usize..3, crash).prop_map(|(xdr_lag, siem_lag, crash)| Op::Sync { xdr_lag, siem_lag, crash }),
    ]
}

fn policy() -> impl Strategy<Value = ConflictPolicy> {
    prop_oneof![
        (0u64..10).prop_map(|s| ConflictPolicy::LaterChangeWins {
            trust_window: Duration::from_secs(s)
        }),
        Just(ConflictPolicy::XdrWins),
        Just(ConflictPolicy::SiemWins),
    ]
}

fn at(seconds: i64) -> Timestamp {
    let instant = chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap();
    Timestamp::parse(&instant.to_rfc3339()).unwrap()
}

/// One service's copy of the incident, holding only what that service can hold.
#[derive(Debug, Clone)]
struct Service {
    side: Side,
    fields: SyncedFields,
    /// Comments as stored: (this side's id, text with any marker).
    comments: Vec<(String, String)>,
    version: u64,
    clock: i64,
    redirected_to: Option<String>,
    /// Every state this service has served, oldest first.
    history: Vec<SyncedIncident>,
    /// SIEM only: the incident properties that hold its verdict (classification, reason, comment).
    verdict_members: IncidentProperties,
}

impl Service {
    /// A service that has served nothing yet.
    fn empty(side: Side, clock: i64) -> Self {
        Service {
            side,
            fields: SyncedFields::default_for_test(),
            comments: Vec::new(),
            version: 0,
            clock,
            redirected_to: None,
            history: Vec::new(),
            verdict_members: IncidentProperties::default(),
        }
    }

    /// Stores `fields` as this service would (the SIEM writes a new verdict through the Sentinel mapping
    /// and shows `Redirected` as `Closed`), stamping a new version.
    fn store(&mut self, mut fields: SyncedFields, seconds: i64) {
        if self.side == Side::Siem {
            if fields.classification != self.fields.classification {
                fields.classification = self.siem_verdict(&fields.classification);
            }
            if fields.status == Status::Redirected {
                fields.status = Status::Closed;
            }
        }
        self.fields = fields;
        self.bump(seconds);
    }

    /// Writes `classification` into the SIEM's verdict members and reads them back.
    fn siem_verdict(&mut self, classification: &Classification) -> Classification {
        let members = std::mem::take(&mut self.verdict_members);
        self.verdict_members = apply_patch(members, &verdict_patch(classification));
        let mut incident = Incident::new(self.verdict_members.clone());
        incident.etag = Field::Value("\"e\"".into());
        incident.properties.created_time_utc = Field::Value(at(0));
        from_sentinel(&incident, &[])
            .expect("a readable SIEM incident")
            .fields
            .classification
    }

    /// Performs the connector's field write: the XDR stores the Graph update body the adapter makes.
    fn write(&mut self, patch: &FieldPatch) {
        let mut fields = patch.apply(&self.fields);
        if self.side == Side::Xdr && patch.classification.is_some() {
            fields.classification = xdr_stores(patch);
        }
        self.store(fields, 1);
    }

    fn bump(&mut self, seconds: i64) {
        self.version += 1;
        self.clock += seconds.max(1);
        let snapshot = self.snapshot();
        self.history.push(snapshot);
    }

    fn snapshot(&self) -> SyncedIncident {
        let comments = self
            .comments
            .iter()
            .map(|(id, body)| {
                let (text, origin) = parse_marker(body);
                let origin = origin.unwrap_or(CommentOrigin {
                    side: self.side,
                    id: id.clone(),
                });
                (
                    origin,
                    Comment {
                        text: text.to_owned(),
                        author: None,
                    },
                )
            })
            .collect();
        SyncedIncident {
            fields: self.fields.clone(),
            comments,
            version: SideVersion {
                marker: format!("{}-{}", self.side, self.version),
                changed_at: at(self.clock),
            },
            redirected_to: self.redirected_to.clone(),
        }
    }

    /// A state `lag` versions old, as a poll overlap re-delivers it. The connector reads a pair fresh,
    /// so an old state is one it has already consumed (`consumed`: the marker in its base): a newer
    /// one is delivered as the latest, unless `anything` goes.
    fn delivered(&self, lag: usize, consumed: Option<&str>, anything: bool) -> SyncedIncident {
        let latest = self.history.len() - 1;
        let index = latest.saturating_sub(lag);
        let known = consumed.and_then(|m| self.history.iter().position(|h| h.version.marker == m));
        let index = match known {
            _ if anything => index,
            Some(known) if index <= known => index,
            _ => latest,
        };
        self.history[index].clone()
    }

    fn origins(&self) -> Vec<CommentOrigin> {
        let snapshot = self.snapshot();
        let all: Vec<_> = self
            .comments
            .iter()
            .map(|(_, body)| parse_marker(body).1)
            .collect();
        let mut origins: Vec<_> = snapshot.comments.into_keys().collect();
        origins.sort();
        assert_eq!(all.len(), self.comments.len());
        origins
    }

    /// Performs a planned write the way the connector's adapters do: field changes rebased on the current
    /// state; a comment only when its origin is not there yet. Returns the conflicts of superseded changes
    /// and the fields written.
    fn perform(&mut self, write: &PlannedWrite) -> (Vec<Conflict>, Vec<FieldName>) {
        match &write.write {
            Write::Fields { patch } => {
                let rebased = patch.rebase(self.side, &self.fields);
                if !rebased.patch.is_empty() {
                    self.write(&rebased.patch);
                }
                let p = &rebased.patch;
                let written = [
                    (FieldName::Status, p.status.is_some()),
                    (FieldName::Severity, p.severity.is_some()),
                    (FieldName::Owner, p.owner.is_some()),
                    (FieldName::Classification, p.classification.is_some()),
                ];
                let written = written
                    .into_iter()
                    .filter(|(_, w)| *w)
                    .map(|(f, _)| f)
                    .collect();
                (rebased.conflicts(self.side), written)
            }
            Write::Comment(comment) => {
                if !self.snapshot().comments.contains_key(&comment.origin) {
                    let id = format!("mirror-{}", self.comments.len());
                    self.comments.push((id, comment.body()));
                    self.bump(1);
                }
                (Vec::new(), Vec::new())
            }
        }
    }
}

/// A patch that changes only the classification.
fn verdict_patch(classification: &Classification) -> FieldPatch {
    FieldPatch {
        classification: Some(Change {
            from: None,
            to: classification.clone(),
        }),
        ..FieldPatch::default()
    }
}

/// The classification the XDR holds after taking the Graph update body made for `patch`.
fn xdr_stores(patch: &FieldPatch) -> Classification {
    let update = incident_update(patch, &SyncedFields::default_for_test());
    let mut body = serde_json::to_value(&update).unwrap();
    body["id"] = "1".into();
    body["lastUpdateDateTime"] = at(0).as_str().into();
    let incident = serde_json::from_value(body).expect("a Graph incident");
    from_graph(&incident)
        .expect("a readable XDR incident")
        .fields
        .classification
}

trait TestDefault {
    fn default_for_test() -> Self;
}

impl TestDefault for SyncedFields {
    fn default_for_test() -> Self {
        SyncedFields {
            status: Status::New,
            severity: Severity::Medium,
            owner: None,
            classification: Classification::undetermined(),
            tags: BTreeSet::new(),
        }
    }
}

/// A user's last edit of one field on one side, and when the connector first consumed it.
#[derive(Debug, Clone)]
struct LastEdit {
    value: serde_json::Value,
    version: u64,
    at_step: usize,
    consumed_at_step: Option<usize>,
    /// When the connector's base first held the edit's value after it was made (the edit was honoured).
    agreed_at_step: Option<usize>,
}

struct World {
    pair: PairKey,
    reconciler: IncidentReconciler,
    xdr: Service,
    siem: Option<Service>,
    base: Option<Base>,
    outbox: Vec<PlannedWrite>,
    conflicts: Vec<Conflict>,
    /// Each side's edits of each field still visible to the connector, oldest first.
    last_edits: BTreeMap<(Side, FieldName), Vec<LastEdit>>,
    step: usize,
    siem_skew: i64,
}

impl World {
    /// A world whose connector uses `reconciler`.
    fn new(reconciler: IncidentReconciler, siem_skew: i64) -> Self {
        World {
            pair: PairKey::new("tenant", "1"),
            reconciler,
            xdr: {
                let mut xdr = Service::empty(Side::Xdr, 0);
                xdr.store(SyncedFields::default_for_test(), 0);
                xdr
            },
            siem: None,
            base: None,
            outbox: Vec::new(),
            conflicts: Vec::new(),
            last_edits: BTreeMap::new(),
            step: 0,
            siem_skew,
        }
    }

    fn redirected(&self) -> bool {
        self.xdr.fields.status == Status::Redirected
    }

    fn service(&mut self, side: Side) -> Option<&mut Service> {
        match side {
            Side::Xdr => Some(&mut self.xdr),
            Side::Siem => self.siem.as_mut(),
        }
    }

    fn apply(&mut self, op: &Op) {
        self.step += 1;
        match op {
            Op::Edit {
                side,
                edit,
                seconds,
            } => self.edit(*side, edit, *seconds),
            Op::Redirect => {
                if !self.redirected() {
                    self.xdr.redirected_to = Some("2".into());
                    let mut fields = self.xdr.fields.clone();
                    fields.status = Status::Redirected;
                    self.xdr.store(fields, 1);
                    self.record(Side::Xdr, FieldName::Status, &Status::Redirected);
                }
            }
            Op::Sync {
                xdr_lag,
                siem_lag,
                crash,
            } => {
                self.sync(*xdr_lag, *siem_lag, *crash);
            }
        }
    }

    fn edit(&mut self, side: Side, edit: &Edit, seconds: i64) {
        if side == Side::Xdr && self.redirected() {
            return; // The XDR refuses edits to a merged incident.
        }
        let Some(service) = self.service(side) else {
            return;
        };
        let before = service.fields.clone();
        let mut fields = service.fields.clone();
        let recorded = match edit {
            Edit::Status(v) => {
                fields.status = *v;
                Some((FieldName::Status, serde_json::to_value(v).unwrap()))
            }
            Edit::Severity(v) => {
                fields.severity = *v;
                Some((FieldName::Severity, serde_json::to_value(v).unwrap()))
            }
            Edit::Owner(v) => {
                fields.owner = v.map(String::from);
                Some((
                    FieldName::Owner,
                    serde_json::to_value(&fields.owner).unwrap(),
                ))
            }
            Edit::Classification(verdict, determination) => {
                let determination = determination
                    .filter(|_| side == Side::Xdr)
                    .map(String::from);
                fields.classification = Classification {
                    verdict: *verdict,
                    determination,
                };
                Some((
                    FieldName::Classification,
                    serde_json::to_value(&fields.classification).unwrap(),
                ))
            }
            Edit::AddTag(t) => {
                fields.tags.insert((*t).into());
                None
            }
            Edit::RemoveTag(t) => {
                fields.tags.remove(*t);
                None
            }
            Edit::Comment => {
                let id = format!("native-{}", service.comments.len());
                service
                    .comments
                    .push((id, format!("note {}", service.version)));
                None
            }
        };
        let unchanged = fields == before;
        service.store(fields, seconds);
        // Setting a field to the value it already holds changes nothing a user could lose.
        if let Some((field, value)) = recorded.filter(|_| !unchanged) {
            self.record_value(side, field, value);
        }
    }

    fn record(&mut self, side: Side, field: FieldName, value: &impl serde::Serialize) {
        self.record_value(side, field, serde_json::to_value(value).unwrap());
    }

    fn record_value(&mut self, side: Side, field: FieldName, value: serde_json::Value) {
        let version = match side {
            Side::Xdr => self.xdr.version,
            Side::Siem => self.siem.as_ref().map_or(0, |s| s.version),
        };
        // Going back to the value the connector agreed on (an A-B-A it never saw), or setting the value
        // it is about to write, is no change a three-way merge can see.
        let agreed = self.base.as_ref().map(|b| field_value(&b.fields, field));
        if agreed.is_some_and(|a| same_value(field, &a, &value)) {
            // It undoes the edits the connector has not read yet.
            if let Some(edits) = self.last_edits.get_mut(&(side, field)) {
                edits.retain(|e| e.consumed_at_step.is_some());
            }
            return;
        }
        let edit = LastEdit {
            value,
            version,
            at_step: self.step,
            consumed_at_step: None,
            agreed_at_step: None,
        };
        self.last_edits.entry((side, field)).or_default().push(edit);
    }

    fn perform(&mut self, write: &PlannedWrite) {
        if write.side == Side::Siem && self.siem.is_none() {
            let Write::Fields { patch } = &write.write else {
                panic!("the twin is created by its first field write, not {write:?}");
            };
            let mut twin = Service::empty(Side::Siem, self.xdr.clock + self.siem_skew);
            twin.store(patch.apply(&twin.fields), 1);
            self.siem = Some(twin);
            return;
        }
        let Some(service) = self.service(write.side) else {
            return;
        };
        let before = service.snapshot().version;
        let (superseded, written) = service.perform(write);
        let after = service.snapshot().version;
        self.conflicts.extend(superseded);
        if let Some(base) = self.base.as_mut().filter(|_| after != before) {
            base.advance_after_write(write.side, &before, after);
        }
        // A field written over still held the value the write was planned from: edits of it the
        // connector had not read came back to that value (an A-B-A) and were no change.
        for field in written {
            if let Some(edits) = self.last_edits.get_mut(&(write.side, field)) {
                edits.retain(|e| e.consumed_at_step.is_some());
            }
        }
    }

    /// One connector cycle: replay undone writes, read both sides, reconcile, store, write.
    fn sync(&mut self, xdr_lag: usize, siem_lag: usize, crash: Crash) -> bool {
        self.sync_reading(xdr_lag, siem_lag, crash, false)
    }

    fn sync_reading(
        &mut self,
        xdr_lag: usize,
        siem_lag: usize,
        crash: Crash,
        anything: bool,
    ) -> bool {
        for write in std::mem::take(&mut self.outbox) {
            self.perform(&write);
        }
        let consumed = |side: Side| {
            let version = self.base.as_ref().and_then(|b| b.version(side));
            version.map(|v| v.marker.clone())
        };
        let (xdr_seen, siem_seen) = (consumed(Side::Xdr), consumed(Side::Siem));
        let xdr = self.xdr.delivered(xdr_lag, xdr_seen.as_deref(), anything);
        let siem = self
            .siem
            .as_ref()
            .map(|s| s.delivered(siem_lag, siem_seen.as_deref(), anything));
        let input = ReconcileInput {
            pair: &self.pair,
            base: self.base.as_ref(),
            xdr: &xdr,
            siem: siem.as_ref(),
        };
        let plan = self.reconciler.reconcile(&input);
        let writes = plan.planned_writes(&input);
        if self
            .base
            .as_ref()
            .is_some_and(|b| b.fields.status == Status::Redirected)
        {
            assert!(
                plan.xdr.is_empty(),
                "a redirected incident is written to: {plan:?}"
            );
        }
        for field in &self.reconciler.xdr_read_only {
            let severity = plan.xdr.fields.severity.is_some();
            assert!(
                *field != FieldName::Severity || !severity,
                "a read-only field is written to the XDR"
            );
        }
        if let Crash::BeforeStore = crash {
            return !writes.is_empty();
        }
        self.consume(Side::Xdr, &xdr);
        if let Some(siem) = &siem {
            self.consume(Side::Siem, siem);
        }
        self.agree(&plan.base);
        self.base = Some(plan.base);
        self.conflicts.extend(plan.conflicts);
        self.outbox = writes.clone();
        let performed = match crash {
            Crash::AfterStore => 0,
            Crash::AfterFirstWrite => 1,
            _ => writes.len(),
        };
        for write in &writes[..performed.min(writes.len())] {
            self.perform(write);
            self.outbox.remove(0);
        }
        !writes.is_empty()
    }

    fn agree(&mut self, base: &Base) {
        let step = self.step;
        for ((_, field), edit) in self
            .last_edits
            .iter_mut()
            .flat_map(|(k, v)| v.iter_mut().map(move |e| (k, e)))
        {
            if edit.agreed_at_step.is_none()
                && same_value(*field, &field_value(&base.fields, *field), &edit.value)
            {
                edit.agreed_at_step = Some(step);
            }
        }
    }

    fn consume(&mut self, side: Side, state: &SyncedIncident) {
        let version: u64 = state
            .version
            .marker
            .rsplit('-')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let step = self.step;
        for ((edit_side, _), edit) in self
            .last_edits
            .iter_mut()
            .flat_map(|(k, v)| v.iter_mut().map(move |e| (k, e)))
        {
            if *edit_side == side && edit.version <= version && edit.consumed_at_step.is_none() {
                edit.consumed_at_step = Some(step);
            }
        }
    }

    /// Quiet rounds until nothing is planned; returns how many rounds planned writes.
    fn settle(&mut self) -> usize {
        let mut busy = 0;
        while self.sync(0, 0, Crash::None) {
            busy += 1;
            assert!(busy <= 2, "no fixed point after {busy} quiet rounds");
        }
        busy
    }
}

/// Whether two values of `field` are the same as both sides can see them: the determination is XDR-only
/// detail that a SIEM verdict change replaces, so classifications compare by verdict.
fn same_value(field: FieldName, a: &serde_json::Value, b: &serde_json::Value) -> bool {
    match field {
        FieldName::Classification => a["verdict"] == b["verdict"],
        _ => a == b,
    }
}

fn field_value(f: &SyncedFields, field: FieldName) -> serde_json::Value {
    match field {
        FieldName::Status => serde_json::to_value(f.status),
        FieldName::Severity => serde_json::to_value(f.severity),
        FieldName::Owner => serde_json::to_value(&f.owner),
        FieldName::Classification => serde_json::to_value(&f.classification),
    }
    .unwrap()
}

fn check_converged(world: &World) {
    let siem = world.siem.as_ref().expect("the twin exists");
    let (x, s) = (&world.xdr.fields, &siem.fields);
    let mut agreed = world.base.as_ref().unwrap().fields.clone();
    assert!(
        x.classification.shows(Side::Xdr, &agreed.classification),
        "the XDR's {:?} is not the agreed {:?}",
        x.classification,
        agreed.classification
    );
    agreed.classification = x.classification.clone();
    assert_eq!(&agreed, x, "the base holds the XDR's values");
    let expected_status = if x.status == Status::Redirected {
        Status::Closed
    } else {
        x.status
    };
    assert_eq!(s.status, expected_status);
    assert_eq!((&s.owner, &s.tags), (&x.owner, &x.tags));
    if world.reconciler.xdr_read_only.is_empty() {
        assert_eq!(s.severity, x.severity);
    }
    assert_eq!(s.classification.verdict, x.classification.verdict);

    let (xdr_origins, siem_origins) = (world.xdr.origins(), siem.origins());
    let unique = |o: &Vec<CommentOrigin>| o.iter().collect::<BTreeSet<_>>().len() == o.len();
    assert!(
        unique(&xdr_origins) && unique(&siem_origins),
        "a comment was mirrored twice"
    );
    assert_eq!(siem_origins.len(), siem.comments.len());
    for origin in &xdr_origins {
        assert!(
            siem_origins.contains(origin),
            "{origin:?} missing on the SIEM"
        );
    }
    if !world.redirected() {
        assert_eq!(xdr_origins, siem_origins);
    }
}

/// Every user edit (but the SIEM's of a field the XDR owns) that did not survive lost a reported conflict, or was overwritten by an edit on the
/// other side that the connector saw in a later cycle than it saw (or agreed on) this one, or that was
/// made after.
fn check_no_lost_update(world: &World) {
    let siem = world.siem.as_ref().unwrap();
    let last = |key: &(Side, FieldName)| world.last_edits.get(key).and_then(|edits| edits.last());
    for ((side, field), edit) in world
        .last_edits
        .iter()
        .filter_map(|(k, v)| Some((k, v.last()?)))
    {
        if *side == Side::Siem && world.reconciler.xdr_read_only.contains(field) {
            continue; // The XDR owns the field: a SIEM edit lasts until the XDR changes it.
        }
        let service = if *side == Side::Xdr { &world.xdr } else { siem };
        let survived = same_value(*field, &field_value(&service.fields, *field), &edit.value);
        if survived {
            continue;
        }
        let reported = world
            .conflicts
            .iter()
            .any(|c| c.field == *field && same_value(*field, c.loser_value(), &edit.value));
        let superseded = last(&(side.other(), *field)).is_some_and(|other| {
            let marks = [edit.consumed_at_step, edit.agreed_at_step];
            marks.into_iter().flatten().any(|seen| {
                other.at_step >= seen || other.consumed_at_step.is_some_and(|o| o > seen)
            })
        });
        assert!(
            reported || superseded,
            "{side} edit of {field:?} to {} was lost: {edit:?}",
            edit.value
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn both_sides_converge_without_losing_updates(
        policy in policy(),
        siem_skew in -30i64..30,
        severity_read_only in any::<bool>(),
        ops in prop::collection::vec(op(), 0..40),
    ) {
        let read_only = severity_read_only.then_some(FieldName::Severity);
        let reconciler = IncidentReconciler::new(policy).with_xdr_read_only(read_only);
        let mut world = World::new(reconciler, siem_skew);
        for op in &ops {
            world.apply(op);
        }
        world.step += 1;
        world.settle();
        check_converged(&world);
        check_no_lost_update(&world);
        prop_assert!(!world.sync(0, 0, Crash::None), "planned writes after the fixed point");
    }

    #[test]
    fn replaying_a_cycle_changes_nothing(
        policy in policy(),
        ops in prop::collection::vec(op(), 0..30),
    ) {
        let mut world = World::new(IncidentReconciler::new(policy), 0);
        for op in &ops {
            world.apply(op);
        }
        world.settle();
        // Deliver the same states again, and older ones, even from before the last writes: still
        // nothing to do.
        for lag in 0..4 {
            prop_assert!(!world.sync_reading(lag, lag, Crash::None, true));
        }
    }
}
