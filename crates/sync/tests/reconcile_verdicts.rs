//! Verdict moves between a side that fills in detail and a base that has none.
//!
//! Each side reads a detail-less verdict back with detail of its own: the XDR stores a verdict written
//! without a determination as determination `other`, and the SIEM derives a determination from the
//! classification reason (`IncorrectAlertLogic` reads as `notMalicious`). The base keeps the verdict as it
//! was agreed, without that detail. These tests read every state through the real adapters' mappings
//! and check that the next verdict change crosses, and that nothing is written back to its origin.

use std::collections::BTreeSet;

use serde_json::json;
use tandem_sync::reconcile::{
    Base, Classification, Comment, CommentOrigin, ConflictPolicy, FieldPatch, IncidentReconciler,
    PairKey, ReconcileInput, Reconciliation, Side, SyncedIncident, Verdict,
};
use tandem_sync::sides::graph::mapping::synced_incident as from_graph;
use tandem_sync::sides::sentinel::mapping::synced_incident as from_sentinel;

/// The XDR incident with this verdict, read at `changed` (seconds past the minute).
fn xdr(classification: &str, determination: &str, changed: u32) -> SyncedIncident {
    let incident = serde_json::from_value(json!({
        "id": "42",
        "status": "inProgress",
        "severity": "medium",
        "classification": classification,
        "determination": determination,
        "createdDateTime": "2026-01-01T00:00:00Z",
        "lastUpdateDateTime": format!("2026-01-01T00:05:{changed:02}Z"),
    }))
    .expect("a Graph incident");
    from_graph(&incident).expect("a readable Graph incident")
}

/// The SIEM twin with this verdict, read at `changed` (seconds past the minute).
fn siem(classification: &str, reason: &str, changed: u32) -> SyncedIncident {
    let incident = serde_json::from_value(json!({
        "name": "twin-42",
        "etag": format!("\"e{changed}\""),
        "properties": {
            "title": "Incident 42",
            "status": "Active",
            "severity": "Medium",
            "classification": classification,
            "classificationReason": reason,
            "createdTimeUtc": "2026-01-01T00:00:00Z",
            "lastModifiedTimeUtc": format!("2026-01-01T00:05:{changed:02}Z"),
        },
    }))
    .expect("a Sentinel incident");
    from_sentinel(&incident, &[]).expect("a readable Sentinel incident")
}

/// The base after both sides agreed on `agreed`, having consumed `x` and `s`.
fn base(agreed: Classification, x: &SyncedIncident, s: &SyncedIncident) -> Base {
    let mut fields = x.fields.clone();
    fields.classification = agreed;
    Base {
        fields,
        comments: BTreeSet::new(),
        xdr: x.version.clone(),
        siem: Some(s.version.clone()),
    }
}

fn reconcile(base: &Base, x: &SyncedIncident, s: &SyncedIncident) -> Reconciliation {
    let pair = PairKey::new("tenant-a", "42");
    IncidentReconciler::new(ConflictPolicy::default()).reconcile(&ReconcileInput {
        pair: &pair,
        base: Some(base),
        xdr: x,
        siem: Some(s),
    })
}

/// The verdict `patch` writes once rebased on `current` of `side`, which no one touched since planning.
fn written(patch: &FieldPatch, side: Side, current: &SyncedIncident) -> Option<Verdict> {
    let rebased = patch.rebase(side, &current.fields);
    assert_eq!(
        rebased.superseded,
        FieldPatch::default(),
        "nothing was edited"
    );
    rebased.patch.classification.map(|c| c.to.verdict)
}

#[test]
fn a_siem_verdict_change_crosses_after_an_earlier_siem_verdict() {
    // The SIEM said TruePositive / SuspiciousActivity; the XDR took it as truePositive / other.
    let earlier = siem("TruePositive", "SuspiciousActivity", 10);
    let x = xdr("truePositive", "other", 11);
    let b = base(earlier.fields.classification.clone(), &x, &earlier);
    let s = siem("FalsePositive", "IncorrectAlertLogic", 20);

    let r = reconcile(&b, &x, &s);

    assert_eq!(
        written(&r.xdr.fields, Side::Xdr, &x),
        Some(Verdict::FalsePositive)
    );
    assert!(r.siem.is_empty(), "{:?}", r.siem);
}

#[test]
fn an_xdr_verdict_change_crosses_after_an_earlier_xdr_verdict_without_detail() {
    // The XDR said falsePositive / unknown; the SIEM shows FalsePositive / IncorrectAlertLogic.
    let earlier = xdr("falsePositive", "unknown", 10);
    let s = siem("FalsePositive", "IncorrectAlertLogic", 11);
    let b = base(earlier.fields.classification.clone(), &earlier, &s);
    let x = xdr("informationalExpectedActivity", "unknown", 20);

    let r = reconcile(&b, &x, &s);

    assert_eq!(
        written(&r.siem.fields, Side::Siem, &s),
        Some(Verdict::BenignPositive)
    );
    assert!(r.xdr.is_empty(), "{:?}", r.xdr);
}

#[test]
fn a_comment_from_the_xdr_reaching_the_siem_writes_nothing_back_to_the_xdr() {
    // The XDR's falsePositive / unknown reached the SIEM as FalsePositive / IncorrectAlertLogic.
    let x = xdr("falsePositive", "unknown", 10);
    let before = siem("FalsePositive", "IncorrectAlertLogic", 11);
    let b = base(x.fields.classification.clone(), &x, &before);
    // A comment made in the XDR is mirrored: both sides are news now, and the SIEM reads its verdict
    // back as FalsePositive / notMalicious.
    let origin = CommentOrigin {
        side: Side::Xdr,
        id: "2026-01-01T00:05:20Z".into(),
    };
    let comment = Comment {
        text: "Looked at it".into(),
        author: None,
    };
    let mut x = xdr("falsePositive", "unknown", 20);
    x.comments.insert(origin.clone(), comment.clone());
    let mut s = siem("FalsePositive", "IncorrectAlertLogic", 21);
    s.comments.insert(origin.clone(), comment);
    let mut b = b;
    b.comments.insert(origin);

    let r = reconcile(&b, &x, &s);

    assert!(r.is_quiet(), "xdr {:?}, siem {:?}", r.xdr, r.siem);
    assert!(r.conflicts.is_empty(), "{:?}", r.conflicts);
}

#[test]
fn an_xdr_reading_back_its_filled_in_detail_writes_nothing_to_the_siem() {
    // The SIEM's TruePositive reached the XDR as truePositive / other; both sides are read again.
    let s = siem("TruePositive", "SuspiciousActivity", 10);
    let before = xdr("truePositive", "other", 11);
    let b = base(s.fields.classification.clone(), &before, &s);
    let x = xdr("truePositive", "other", 20);
    let s = siem("TruePositive", "SuspiciousActivity", 21);

    let r = reconcile(&b, &x, &s);

    assert!(r.is_quiet(), "xdr {:?}, siem {:?}", r.xdr, r.siem);
}
