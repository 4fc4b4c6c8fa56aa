//! One test per reconciliation rule: one-sided changes, conflicts under each policy, echoes, stale and
//! duplicate deliveries, lossy classification, tags, comments, redirects, and replaying planned writes.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tandem_model::Timestamp;
use tandem_sync::reconcile::{
    Base, Classification, Comment, CommentOrigin, ConflictPolicy, ConflictReason, FieldName,
    IncidentReconciler, PairKey, ReconcileInput, Reconciliation, Severity, Side, SideVersion,
    Status, SyncedFields, SyncedIncident, Verdict, Write, parse_marker, render_marker,
};

fn at(seconds: i64) -> Timestamp {
    let instant = chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap();
    Timestamp::parse(&instant.to_rfc3339()).unwrap()
}

fn fields() -> SyncedFields {
    SyncedFields {
        status: Status::New,
        severity: Severity::Medium,
        owner: None,
        classification: Classification::undetermined(),
        tags: BTreeSet::new(),
    }
}

fn state(fields: SyncedFields, marker: &str, seconds: i64) -> SyncedIncident {
    SyncedIncident {
        fields,
        comments: BTreeMap::new(),
        version: SideVersion {
            marker: marker.into(),
            changed_at: at(seconds),
        },
        redirected_to: None,
    }
}

fn pair() -> PairKey {
    PairKey::new("tenant-a", "42")
}

fn base_of(x: &SyncedIncident, s: &SyncedIncident) -> Base {
    Base {
        fields: x.fields.clone(),
        comments: x
            .comments
            .keys()
            .chain(s.comments.keys())
            .cloned()
            .collect(),
        xdr: x.version.clone(),
        siem: Some(s.version.clone()),
    }
}

fn run(
    policy: ConflictPolicy,
    base: Option<&Base>,
    x: &SyncedIncident,
    s: Option<&SyncedIncident>,
) -> Reconciliation {
    let pair = pair();
    IncidentReconciler::new(policy).reconcile(&ReconcileInput {
        pair: &pair,
        base,
        xdr: x,
        siem: s,
    })
}

fn synced() -> (SyncedIncident, SyncedIncident, Base) {
    let x = state(fields(), "x1", 0);
    let s = state(fields(), "s1", 0);
    let b = base_of(&x, &s);
    (x, s, b)
}

#[test]
fn a_change_on_one_side_goes_to_the_other() {
    let (mut x, mut s, b) = synced();
    x.fields.severity = Severity::High;
    x.version.marker = "x2".into();
    s.fields.owner = Some("ana@example.com".into());
    s.version.marker = "s2".into();
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    assert_eq!(r.siem.fields.severity.unwrap().to, Severity::High);
    assert_eq!(
        r.xdr.fields.owner.unwrap().to,
        Some("ana@example.com".into())
    );
    assert!(r.xdr.fields.severity.is_none() && r.siem.fields.owner.is_none());
    assert!(r.conflicts.is_empty());
    assert_eq!(r.base.fields.severity, Severity::High);
    assert_eq!(r.base.fields.owner.as_deref(), Some("ana@example.com"));
    assert_eq!(r.base.xdr.marker, "x2");
}

#[test]
fn the_written_value_coming_back_is_quiet() {
    let (mut x, s, b) = synced();
    x.fields.status = Status::Active;
    x.version = SideVersion {
        marker: "x2".into(),
        changed_at: at(10),
    };
    let first = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    let mut echoed = s.clone();
    echoed.fields = first.siem.fields.apply(&s.fields);
    echoed.version = SideVersion {
        marker: "s2".into(),
        changed_at: at(11),
    };
    let second = run(
        ConflictPolicy::default(),
        Some(&first.base),
        &x,
        Some(&echoed),
    );
    assert!(second.is_quiet(), "{second:?}");
    assert_eq!(second.base.siem.unwrap().marker, "s2");
}

fn conflicting(xdr_at: i64, siem_at: i64) -> (SyncedIncident, SyncedIncident, Base) {
    let (mut x, mut s, b) = synced();
    x.fields.severity = Severity::High;
    x.version = SideVersion {
        marker: "x2".into(),
        changed_at: at(xdr_at),
    };
    s.fields.severity = Severity::Low;
    s.version = SideVersion {
        marker: "s2".into(),
        changed_at: at(siem_at),
    };
    (x, s, b)
}

#[test]
fn a_conflict_goes_to_the_later_change_and_reports_the_loser() {
    let (x, s, b) = conflicting(100, 200);
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    assert_eq!(r.base.fields.severity, Severity::Low);
    assert_eq!(r.xdr.fields.severity.unwrap().to, Severity::Low);
    assert_eq!(r.conflicts.len(), 1);
    let c = &r.conflicts[0];
    assert_eq!(
        (c.field, c.winner, c.reason),
        (FieldName::Severity, Side::Siem, ConflictReason::BothChanged)
    );
    assert_eq!(c.loser_value(), &serde_json::json!("high"));
}

#[test]
fn a_conflict_within_the_trust_window_goes_to_the_xdr() {
    let (x, s, b) = conflicting(100, 103);
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    assert_eq!(r.base.fields.severity, Severity::High);
    assert_eq!(r.conflicts[0].winner, Side::Xdr);
    let wide = ConflictPolicy::LaterChangeWins {
        trust_window: Duration::ZERO,
    };
    assert_eq!(
        run(wide, Some(&b), &x, Some(&s)).conflicts[0].winner,
        Side::Siem
    );
}

#[test]
fn fixed_policies_ignore_the_clocks() {
    let (x, s, b) = conflicting(200, 100);
    assert_eq!(
        run(ConflictPolicy::SiemWins, Some(&b), &x, Some(&s))
            .base
            .fields
            .severity,
        Severity::Low
    );
    let (x, s, b) = conflicting(100, 200);
    assert_eq!(
        run(ConflictPolicy::XdrWins, Some(&b), &x, Some(&s))
            .base
            .fields
            .severity,
        Severity::High
    );
}

#[test]
fn a_stale_or_duplicate_delivery_is_not_news() {
    let (mut x, s, b) = synced();
    x.fields.severity = Severity::High;
    x.version = SideVersion {
        marker: "x2".into(),
        changed_at: at(10),
    };
    let first = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    // The SIEM's old state, delivered again (same marker), must not undo the change.
    let again = run(ConflictPolicy::default(), Some(&first.base), &x, Some(&s));
    assert!(again.is_quiet(), "{again:?}");
    // An older XDR state (an overlap re-read) is ignored the same way.
    let mut old = state(fields(), "x0", -5);
    old.fields.severity = Severity::Low;
    let stale = run(ConflictPolicy::default(), Some(&first.base), &old, Some(&s));
    assert!(stale.siem.fields.severity.is_none());
    assert_eq!(stale.base.xdr.marker, "x2");
}

#[test]
fn the_siem_keeps_the_xdr_determination_it_cannot_hold() {
    let (mut x, mut s, mut b) = synced();
    let malware = Classification {
        verdict: Verdict::TruePositive,
        determination: Some("malware".into()),
    };
    x.fields.classification = malware.clone();
    b.fields.classification = malware.clone();
    s.fields.classification = Classification {
        verdict: Verdict::TruePositive,
        determination: None,
    };
    s.version.marker = "s2".into();
    let quiet = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    assert!(quiet.is_quiet(), "{quiet:?}");
    assert_eq!(quiet.base.fields.classification, malware);

    s.fields.classification.verdict = Verdict::FalsePositive;
    let changed = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    let to = changed.xdr.fields.classification.unwrap().to;
    assert_eq!(
        to,
        Classification {
            verdict: Verdict::FalsePositive,
            determination: None
        }
    );
}

#[test]
fn tags_merge_adds_and_removes_from_both_sides() {
    let (mut x, mut s, mut b) = synced();
    b.fields.tags = ["keep", "drop-x", "drop-s"].map(String::from).into();
    x.fields.tags = ["keep", "drop-s", "add-x"].map(String::from).into();
    s.fields.tags = ["keep", "drop-x", "add-s"].map(String::from).into();
    x.version.marker = "x2".into();
    s.version.marker = "s2".into();
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    let expected: BTreeSet<String> = ["keep", "add-x", "add-s"].map(String::from).into();
    assert_eq!(r.base.fields.tags, expected);
    assert_eq!(r.xdr.fields.apply(&x.fields).tags, expected);
    assert_eq!(r.siem.fields.apply(&s.fields).tags, expected);
    assert!(r.conflicts.is_empty());
}

fn origin(side: Side, id: &str) -> CommentOrigin {
    CommentOrigin {
        side,
        id: id.into(),
    }
}

fn comment(text: &str) -> Comment {
    Comment {
        text: text.into(),
        author: None,
    }
}

#[test]
fn comments_are_mirrored_once_and_never_echoed() {
    let (mut x, mut s, b) = synced();
    x.comments
        .insert(origin(Side::Xdr, "c1"), comment("from the xdr"));
    s.comments
        .insert(origin(Side::Siem, "c2"), comment("from the siem"));
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    assert_eq!(r.siem.comments.len(), 1);
    assert_eq!(r.siem.comments[0].origin, origin(Side::Xdr, "c1"));
    assert_eq!(
        r.xdr.comments[0].body(),
        "from the siem\n\n[tandem:siem:c2]"
    );
    // Once both copies exist (each keyed by its origin), nothing is written again.
    x.comments
        .insert(origin(Side::Siem, "c2"), comment("from the siem"));
    s.comments
        .insert(origin(Side::Xdr, "c1"), comment("from the xdr"));
    let again = run(ConflictPolicy::default(), Some(&r.base), &x, Some(&s));
    assert!(again.is_quiet(), "{again:?}");
    // A planned comment not yet visible on its target is not planned a second time.
    x.comments.remove(&origin(Side::Siem, "c2"));
    assert!(
        run(ConflictPolicy::default(), Some(&r.base), &x, Some(&s))
            .xdr
            .comments
            .is_empty()
    );
}

#[test]
fn markers_round_trip_and_reject_lookalikes() {
    let o = origin(Side::Xdr, "2024-05-01T10:00:00Z");
    let body = render_marker("line one\nline two", &o);
    assert_eq!(parse_marker(&body), ("line one\nline two", Some(o)));
    assert_eq!(
        parse_marker("[tandem:siem:abc]"),
        ("", Some(origin(Side::Siem, "abc")))
    );
    for native in [
        "plain",
        "see [tandem:other:1]",
        "x [tandem:xdr:1]",
        "\n[tandem:xdr:]",
        "[tandem:xdr:a]b]",
    ] {
        assert_eq!(parse_marker(native), (native, None), "{native}");
    }
}

#[test]
fn a_new_pair_creates_the_twin_with_every_field_and_comment() {
    let mut x = state(fields(), "x1", 0);
    x.comments.insert(origin(Side::Xdr, "c1"), comment("first"));
    let r = run(ConflictPolicy::default(), None, &x, None);
    let create = &r.siem.fields;
    assert!(create.status.as_ref().unwrap().from.is_none());
    assert_eq!(create.apply(&fields()), x.fields);
    assert_eq!(r.siem.comments.len(), 1);
    assert!(r.xdr.is_empty());
    assert!(r.base.siem.is_none());
    let writes = r.planned_writes(&ReconcileInput {
        pair: &pair(),
        base: None,
        xdr: &x,
        siem: None,
    });
    assert_eq!(writes.len(), 2);
    let again = run(ConflictPolicy::default(), None, &x, None);
    let replanned = again.planned_writes(&ReconcileInput {
        pair: &pair(),
        base: None,
        xdr: &x,
        siem: None,
    });
    assert_eq!(
        writes, replanned,
        "planning twice yields the same idempotency keys"
    );
}

#[test]
fn a_redirected_incident_closes_its_twin_and_is_never_reopened() {
    let (mut x, mut s, b) = synced();
    x.fields.status = Status::Redirected;
    x.redirected_to = Some("77".into());
    x.version.marker = "x2".into();
    let r = run(ConflictPolicy::SiemWins, Some(&b), &x, Some(&s));
    assert_eq!(
        r.siem.fields.status.as_ref().unwrap().to,
        Status::Redirected
    );
    let survivor = PairKey::new("tenant-a", "77")
        .siem_incident_name()
        .to_string();
    assert!(r.siem.comments[0].comment.text.contains(&survivor));
    // The SIEM shows `Redirected` as `Closed`; a reopen there is undone and reported, never sent back.
    s.fields.status = Status::Closed;
    s.version.marker = "s2".into();
    s.comments.insert(
        r.siem.comments[0].origin.clone(),
        r.siem.comments[0].comment.clone(),
    );
    assert!(run(ConflictPolicy::SiemWins, Some(&r.base), &x, Some(&s)).is_quiet());
    s.fields.status = Status::Active;
    s.fields.severity = Severity::High;
    s.comments
        .insert(origin(Side::Siem, "late"), comment("reopened"));
    s.version.marker = "s3".into();
    let reopened = run(ConflictPolicy::SiemWins, Some(&r.base), &x, Some(&s));
    assert!(reopened.xdr.is_empty(), "{reopened:?}");
    assert_eq!(
        reopened.siem.fields.status.as_ref().unwrap().to,
        Status::Redirected
    );
    assert_eq!(reopened.conflicts.len(), 2);
    assert!(
        reopened
            .conflicts
            .iter()
            .all(|c| c.reason == ConflictReason::Redirected && c.winner == Side::Xdr)
    );
}

#[test]
fn a_late_write_never_overwrites_a_newer_edit() {
    let (mut x, s, b) = synced();
    x.fields.severity = Severity::High;
    x.fields.tags.insert("from-xdr".into());
    x.version.marker = "x2".into();
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    let mut now = s.fields.clone();
    now.severity = Severity::Low;
    now.tags.insert("from-siem".into());
    let rebased = r.siem.fields.rebase(Side::Siem, &now);
    assert!(
        rebased.patch.severity.is_none(),
        "the SIEM's newer severity stands"
    );
    let conflicts = rebased.conflicts(Side::Siem);
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    assert_eq!(
        (conflicts[0].field, conflicts[0].winner, conflicts[0].reason),
        (FieldName::Severity, Side::Siem, ConflictReason::Superseded)
    );
    assert_eq!(conflicts[0].loser_value(), &serde_json::json!("high"));
    let tags = rebased.patch.apply(&now).tags;
    assert!(tags.contains("from-xdr") && tags.contains("from-siem"));
    let landed = r.siem.fields.apply(&s.fields);
    assert!(
        r.siem.fields.rebase(Side::Siem, &landed) == Default::default(),
        "a write that landed is not repeated"
    );
}

#[test]
fn a_redirected_xdr_incident_takes_no_writes() {
    let (x, mut s, b) = synced();
    s.fields.severity = Severity::High;
    s.version.marker = "s2".into();
    let r = run(ConflictPolicy::default(), Some(&b), &x, Some(&s));
    let mut merged = x.fields.clone();
    merged.status = Status::Redirected;
    let rebased = r.xdr.fields.rebase(Side::Xdr, &merged);
    assert!(rebased.patch.is_empty());
    assert_eq!(
        rebased.conflicts(Side::Xdr)[0].loser_value(),
        &serde_json::json!("high")
    );
}

#[test]
fn a_write_on_top_of_the_consumed_version_advances_the_base() {
    let (_, _, mut b) = synced();
    let after = SideVersion {
        marker: "s9".into(),
        changed_at: at(50),
    };
    let elsewhere = SideVersion {
        marker: "s5".into(),
        changed_at: at(40),
    };
    assert!(
        !b.advance_after_write(Side::Siem, &elsewhere, after.clone()),
        "an edit came in between"
    );
    assert_eq!(b.siem.as_ref().unwrap().marker, "s1");
    let before = b.siem.clone().unwrap();
    assert!(b.advance_after_write(Side::Siem, &before, after.clone()));
    assert_eq!(b.siem, Some(after));
}

#[test]
fn comment_keys_name_the_origin_and_field_keys_the_plan() {
    let (mut x, s, b) = synced();
    x.comments.insert(origin(Side::Xdr, "c1"), comment("note"));
    x.fields.severity = Severity::High;
    x.version.marker = "x2".into();
    let input = ReconcileInput {
        pair: &pair(),
        base: Some(&b),
        xdr: &x,
        siem: Some(&s),
    };
    let writes = IncidentReconciler::default()
        .reconcile(&input)
        .planned_writes(&input);
    assert!(matches!(writes[0].write, Write::Fields { .. }));
    assert!(matches!(writes[1].write, Write::Comment(_)));
    assert_ne!(writes[0].key, writes[1].key);
    assert_eq!(
        pair().siem_incident_name(),
        tandem_model::mapping::siem_incident_name("tenant-a", "42"),
        "the XDR links to the twin the connector creates"
    );
    let other = PairKey::new("tenant-b", "42");
    assert_ne!(pair().siem_incident_name(), other.siem_incident_name());
    assert_ne!(
        pair().siem_comment_name(&origin(Side::Xdr, "c1")),
        pair().siem_comment_name(&origin(Side::Siem, "c1"))
    );
}

#[test]
fn a_field_the_xdr_cannot_take_stays_apart_until_the_xdr_changes_it() {
    let reconciler = IncidentReconciler::default().with_xdr_read_only([FieldName::Severity]);
    let (mut x, mut s, b) = synced();
    s.fields.severity = Severity::Low;
    s.fields.owner = Some("ana@example.com".into());
    s.version.marker = "s2".into();
    let pair = pair();
    let input = ReconcileInput {
        pair: &pair,
        base: Some(&b),
        xdr: &x,
        siem: Some(&s),
    };
    let apart = reconciler.reconcile(&input);
    assert!(apart.xdr.fields.severity.is_none() && apart.siem.fields.severity.is_none());
    assert!(
        apart.xdr.fields.owner.is_some(),
        "other fields still flow to the XDR"
    );
    assert_eq!(apart.base.fields.severity, Severity::Medium);
    assert!(apart.conflicts.is_empty());

    // The XDR changes it: the SIEM's value is overwritten even when the SIEM has nothing new to say
    // (the change is planned from the value read, not the base's), and reported when it is news.
    x.fields.severity = Severity::High;
    x.version.marker = "x2".into();
    let input = ReconcileInput {
        pair: &pair,
        base: Some(&apart.base),
        xdr: &x,
        siem: Some(&s),
    };
    let quiet_siem = reconciler.reconcile(&input);
    let change = quiet_siem.siem.fields.severity.clone().unwrap();
    assert_eq!(
        (change.from, change.to),
        (Some(Severity::Low), Severity::High)
    );
    let rebased = quiet_siem.siem.fields.rebase(Side::Siem, &s.fields);
    assert_eq!(rebased.patch.apply(&s.fields).severity, Severity::High);
    s.version.marker = "s3".into();
    let input = ReconcileInput {
        pair: &pair,
        base: Some(&apart.base),
        xdr: &x,
        siem: Some(&s),
    };
    let fresh_siem = reconciler.reconcile(&input);
    assert_eq!(
        fresh_siem.conflicts[0].loser_value(),
        &serde_json::json!("low")
    );
}
