//! The bundled SQLite store, on real files in a temporary data directory: plans and bases committed
//! atomically with the poll watermark, the outbox replayed after a restart, and the logs operators read.

#![cfg(test)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tandem_model::Timestamp;
use tandem_sync::reconcile::{
    Base, Classification, Comment, CommentOrigin, Conflict, ConflictReason, FieldName,
    IncidentReconciler, PairKey, ReconcileInput, Severity, Side, SideVersion, Status, SyncedFields,
    SyncedIncident,
};
use tandem_sync::store::{
    Commit, FILE_NAME, PlanCommit, PollRecord, SqliteStore, StoreError, SyncStore, WriteOutcome,
    WriteState,
};

fn at(seconds: i64) -> Timestamp {
    let instant = chrono::DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap();
    Timestamp::parse(&instant.to_rfc3339()).unwrap()
}

fn incident(marker: &str, seconds: i64) -> SyncedIncident {
    let mut comments = BTreeMap::new();
    comments.insert(
        CommentOrigin {
            side: Side::Xdr,
            id: "c1".into(),
        },
        Comment {
            text: "first look".into(),
            author: Some("ana@example.com".into()),
        },
    );
    SyncedIncident {
        fields: SyncedFields {
            status: Status::Active,
            severity: Severity::High,
            owner: Some("ana@example.com".into()),
            classification: Classification::undetermined(),
            tags: BTreeSet::from(["phish".to_owned()]),
        },
        comments,
        version: SideVersion {
            marker: marker.into(),
            changed_at: at(seconds),
        },
        redirected_to: None,
    }
}

/// A real plan for a new pair: create the twin and mirror one comment.
fn new_pair_plan(xdr_id: &str) -> PlanCommit {
    let pair = PairKey::new("tenant-a", xdr_id);
    let xdr = incident("x1", 0);
    let input = ReconcileInput {
        pair: &pair,
        base: None,
        xdr: &xdr,
        siem: None,
    };
    let plan = IncidentReconciler::default().reconcile(&input);
    PlanCommit {
        writes: plan.planned_writes(&input),
        pair,
        base: plan.base,
        conflicts: plan.conflicts,
    }
}

/// Commits `plan` alone, as a poll that planned one pair does.
fn commit_plan(store: &mut SqliteStore, plan: &PlanCommit) {
    let commit = Commit {
        plans: vec![plan.clone()],
        ..Commit::default()
    };
    store.commit(&commit).unwrap();
}

/// A real plan for an existing pair whose SIEM twin changed severity: one write, to the XDR.
fn siem_change_plan() -> PlanCommit {
    let created = new_pair_plan("1");
    let xdr = incident("x1", 0);
    let mut siem = incident("s2", 4);
    siem.fields.severity = Severity::Low;
    let base = Base {
        siem: Some(SideVersion {
            marker: "s1".into(),
            changed_at: at(1),
        }),
        ..created.base
    };
    let input = ReconcileInput {
        pair: &created.pair,
        base: Some(&base),
        xdr: &xdr,
        siem: Some(&siem),
    };
    let plan = IncidentReconciler::default().reconcile(&input);
    PlanCommit {
        writes: plan.planned_writes(&input),
        pair: created.pair,
        base: plan.base,
        conflicts: plan.conflicts,
    }
}

fn poll(side: Side, watermark: i64, lag_ms: u64) -> PollRecord {
    PollRecord {
        side,
        watermark: at(watermark),
        polled_at: at(watermark + 60),
        items: 2,
        lag: Some(Duration::from_millis(lag_ms)),
    }
}

fn a_conflict() -> Conflict {
    Conflict {
        field: FieldName::Severity,
        reason: ConflictReason::BothChanged,
        base: Some(serde_json::json!("medium")),
        xdr: serde_json::json!("high"),
        siem: serde_json::json!("low"),
        winner: Side::Xdr,
    }
}

#[test]
fn plans_survive_a_restart_and_replay_until_done() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_pair_plan("1");
    let keys: Vec<_> = plan.writes.iter().map(|w| w.key).collect();
    assert_eq!(keys.len(), 2);
    {
        let mut store = SqliteStore::open(dir.path()).unwrap();
        commit_plan(&mut store, &plan);
        store
            .complete_write(&keys[0], &WriteOutcome::default())
            .unwrap();
    }
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let record = store.pair(&plan.pair).unwrap().expect("the pair is stored");
    assert_eq!(record.base, plan.base);
    assert_eq!(record.siem_name, plan.pair.siem_incident_name());
    assert_eq!(
        store.pair_by_siem_name(&record.siem_name).unwrap(),
        Some(plan.pair.clone())
    );
    let pending = store.pending_writes().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].write, plan.writes[1]);
    store
        .complete_write(&keys[1], &WriteOutcome::default())
        .unwrap();
    drop(store);
    assert!(
        SqliteStore::open(dir.path())
            .unwrap()
            .pending_writes()
            .unwrap()
            .is_empty()
    );
}

#[test]
fn replanning_the_same_writes_adds_no_second_entry() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let plan = new_pair_plan("1");
    let commit = Commit {
        plans: vec![plan.clone()],
        ..Commit::default()
    };
    store.commit(&commit).unwrap();
    store.commit(&commit).unwrap();
    assert_eq!(store.pending_writes().unwrap().len(), plan.writes.len());
    // A write already done stays done when the same plan is stored again after a crash.
    store
        .complete_write(&plan.writes[0].key, &WriteOutcome::default())
        .unwrap();
    store.commit(&commit).unwrap();
    assert_eq!(store.pending_writes().unwrap().len(), plan.writes.len() - 1);
}

#[test]
fn pending_writes_come_back_in_planning_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let (first, second) = (new_pair_plan("2"), new_pair_plan("1"));
    commit_plan(&mut store, &first);
    commit_plan(&mut store, &second);
    let order: Vec<_> = store
        .pending_writes()
        .unwrap()
        .into_iter()
        .map(|e| e.write.key)
        .collect();
    let expected: Vec<_> = first
        .writes
        .iter()
        .chain(&second.writes)
        .map(|w| w.key)
        .collect();
    assert_eq!(order, expected);
}

#[test]
fn completing_a_write_advances_the_base_and_logs_superseded_changes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let plan = siem_change_plan();
    assert_eq!(plan.writes.len(), 1);
    assert_eq!(plan.writes[0].side, Side::Xdr);
    commit_plan(&mut store, &plan);
    let before = plan.base.xdr.clone();
    let after = SideVersion {
        marker: "x2".into(),
        changed_at: at(5),
    };
    let outcome = WriteOutcome {
        versions: Some((before, after.clone())),
        conflicts: vec![a_conflict()],
        at: Some(at(6)),
    };
    store.complete_write(&plan.writes[0].key, &outcome).unwrap();
    let base = store.pair(&plan.pair).unwrap().unwrap().base;
    assert_eq!(base.xdr, after);
    assert_eq!(base.fields.severity, Severity::Low);
    let logged = store.conflicts(10).unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(
        (&logged[0].conflict, &logged[0].pair),
        (&a_conflict(), &plan.pair)
    );
    assert_eq!(logged[0].at.as_deref(), Some(at(6).as_str()));

    let unknown = uuid::Uuid::nil();
    assert!(matches!(
        store.complete_write(&unknown, &WriteOutcome::default()),
        Err(StoreError::UnknownWrite(key)) if key == unknown
    ));
}

#[test]
fn a_base_that_moved_on_is_not_advanced() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let plan = siem_change_plan();
    commit_plan(&mut store, &plan);
    let elsewhere = SideVersion {
        marker: "x7".into(),
        changed_at: at(3),
    };
    let after = SideVersion {
        marker: "x8".into(),
        changed_at: at(5),
    };
    let outcome = WriteOutcome {
        versions: Some((elsewhere, after)),
        ..WriteOutcome::default()
    };
    store.complete_write(&plan.writes[0].key, &outcome).unwrap();
    assert_eq!(store.pair(&plan.pair).unwrap().unwrap().base, plan.base);
}

#[test]
fn the_watermark_moves_only_with_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.watermark(Side::Xdr).unwrap(), None);
    let commit = Commit {
        at: Some(at(100)),
        plans: vec![new_pair_plan("1")],
        poll: Some(poll(Side::Xdr, 10, 1500)),
    };
    store.commit(&commit).unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Xdr, 20, 700)),
            ..Commit::default()
        })
        .unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    assert_eq!(store.watermark(Side::Xdr).unwrap(), Some(at(20)));
    assert_eq!(store.watermark(Side::Siem).unwrap(), None);
}

/// A failure anywhere in a commit leaves nothing of it: no base, no outbox entry, no watermark.
#[test]
fn a_failed_commit_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let raw = rusqlite::Connection::open(store.path()).unwrap();
    raw.execute_batch(
        "CREATE TRIGGER refuse_watermarks BEFORE INSERT ON watermarks
         BEGIN SELECT RAISE(ABORT, 'disk says no'); END;",
    )
    .unwrap();
    let plan = new_pair_plan("1");
    let commit = Commit {
        plans: vec![plan.clone()],
        poll: Some(poll(Side::Siem, 10, 0)),
        ..Commit::default()
    };
    let error = store.commit(&commit).unwrap_err();
    assert!(error.to_string().contains("disk says no"), "{error}");
    assert_eq!(store.pair(&plan.pair).unwrap(), None);
    assert!(store.pending_writes().unwrap().is_empty());
    assert_eq!(store.watermark(Side::Siem).unwrap(), None);
}

#[test]
fn poll_status_reports_the_last_success_failure_and_lags() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Siem, 10, 1500)),
            ..Commit::default()
        })
        .unwrap();
    store
        .record_poll_failure(Side::Siem, &at(80), "503 from the SIEM")
        .unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Siem, 20, 700)),
            ..Commit::default()
        })
        .unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Xdr, 30, 9)),
            ..Commit::default()
        })
        .unwrap();
    let status = store.poll_status(Side::Siem, 5).unwrap();
    assert_eq!(status.watermark, Some(at(20)));
    assert_eq!(status.last_success, Some(poll(Side::Siem, 20, 700)));
    assert_eq!(
        status.last_failure,
        Some((at(80).as_str().to_owned(), "503 from the SIEM".to_owned()))
    );
    assert_eq!(
        status.recent_lags,
        [Duration::from_millis(700), Duration::from_millis(1500)]
    );
    assert_eq!(
        store.poll_status(Side::Siem, 1).unwrap().recent_lags.len(),
        1
    );
}

#[test]
fn quarantine_counts_attempts_and_releases() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    store
        .quarantine(
            Side::Xdr,
            "inc-9",
            "field `severity`: unknown value",
            &at(1),
        )
        .unwrap();
    store
        .quarantine(Side::Xdr, "inc-9", "field `status`: unknown value", &at(2))
        .unwrap();
    store
        .quarantine(Side::Siem, "inc-9", "etag mismatch", &at(3))
        .unwrap();
    let items = store.quarantined().unwrap();
    assert_eq!(items.len(), 2);
    let xdr = &items[0];
    assert_eq!(
        (xdr.side, xdr.attempts, xdr.error.as_str()),
        (Side::Xdr, 2, "field `status`: unknown value")
    );
    assert_eq!(
        (xdr.first_seen.as_str(), xdr.last_seen.as_str()),
        (at(1).as_str(), at(2).as_str())
    );
    assert!(store.release(Side::Xdr, "inc-9").unwrap());
    assert!(!store.release(Side::Xdr, "inc-9").unwrap());
    assert_eq!(store.quarantined().unwrap().len(), 1);
}

#[test]
fn conflicts_are_listed_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let mut plans = Vec::new();
    for id in ["1", "2", "3"] {
        let mut plan = new_pair_plan(id);
        plan.conflicts.push(a_conflict());
        plans.push(plan);
    }
    store
        .commit(&Commit {
            at: Some(at(9)),
            plans,
            poll: None,
        })
        .unwrap();
    let listed = store.conflicts(2).unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.pair.xdr_id.as_str()).collect();
    assert_eq!(ids, ["3", "2"]);
    assert!(listed[0].id > listed[1].id);
}

#[test]
fn an_unreadable_row_is_an_error_naming_the_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    commit_plan(&mut store, &new_pair_plan("1"));
    let raw = rusqlite::Connection::open(store.path()).unwrap();
    raw.execute("UPDATE outbox SET side = 'mainframe'", [])
        .unwrap();
    let error = store.pending_writes().unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { column: "outbox.side", value, .. } if value == "mainframe"),
        "{error}"
    );
}

#[test]
fn the_store_is_a_wal_file_in_the_data_dir() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("data").join("sync");
    let store = SqliteStore::open(&nested).unwrap();
    assert_eq!(store.path(), nested.join(FILE_NAME));
    assert!(store.path().exists());
    let raw = rusqlite::Connection::open(store.path()).unwrap();
    let mode: String = raw
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_base_round_trips_with_every_detail() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let mut plan = new_pair_plan("1");
    plan.base = Base {
        siem: Some(SideVersion {
            marker: "W/\"etag-1\"".into(),
            changed_at: Timestamp::parse("2024-05-01T10:00:00.1234567Z").unwrap(),
        }),
        ..plan.base
    };
    plan.base.fields.classification.determination = Some("malware".into());
    commit_plan(&mut store, &plan);
    let stored = store.pair(&plan.pair).unwrap().unwrap().base;
    assert_eq!(stored, plan.base);
    assert_eq!(
        stored.siem.unwrap().changed_at.as_str(),
        "2024-05-01T10:00:00.1234567Z"
    );
}

#[test]
fn failed_writes_count_attempts_wait_and_can_be_set_aside() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let plan = new_pair_plan("1");
    commit_plan(&mut store, &plan);
    let (first, second) = (plan.writes[0].key, plan.writes[1].key);
    assert_eq!(
        store
            .retry_write_later(&first, "HTTP 503", &at(10))
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .retry_write_later(&first, "HTTP 502", &at(20))
            .unwrap(),
        2
    );
    let waiting = store.outbox_entry(&first).unwrap().expect("the entry");
    assert_eq!(waiting.state, WriteState::Planned);
    assert_eq!(waiting.attempts, 2);
    assert_eq!(waiting.retry_at, Some(at(20)));
    assert_eq!(waiting.error.as_deref(), Some("HTTP 502"));
    assert_eq!(store.pending_writes().unwrap().len(), 2);

    assert_eq!(store.set_aside_write(&first, "HTTP 503").unwrap(), 3);
    drop(store);
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let pending = store.pending_writes().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].write.key, second);
    let set_aside = store.set_aside_writes().unwrap();
    assert_eq!(set_aside.len(), 1);
    assert_eq!(set_aside[0].write, plan.writes[0]);
    assert_eq!(set_aside[0].state, WriteState::SetAside);
    assert_eq!(set_aside[0].attempts, 3);
    // Planning the same write again does not bring it back.
    commit_plan(&mut store, &plan);
    assert_eq!(store.set_aside_writes().unwrap().len(), 1);
    let unknown = uuid::Uuid::from_u128(7);
    assert!(matches!(
        store.set_aside_write(&unknown, "x"),
        Err(StoreError::UnknownWrite(key)) if key == unknown
    ));
    assert_eq!(store.outbox_entry(&unknown).unwrap(), None);
}

#[test]
fn a_pair_remembers_which_xdr_version_landed() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let plan = new_pair_plan("1");
    commit_plan(&mut store, &plan);
    assert_eq!(store.pair(&plan.pair).unwrap().unwrap().landed, None);
    store.mark_landed(&plan.pair, "x1").unwrap();
    drop(store);
    let store = SqliteStore::open(dir.path()).unwrap();
    let record = store.pair(&plan.pair).unwrap().unwrap();
    assert_eq!(record.landed.as_deref(), Some("x1"));
    assert_eq!(record.base, plan.base);
}

#[test]
fn a_version_1_store_is_brought_up_to_date_keeping_its_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let plan = new_pair_plan("1");
    {
        let raw = rusqlite::Connection::open(dir.path().join(FILE_NAME)).unwrap();
        raw.execute_batch(
            "CREATE TABLE pairs (tenant TEXT NOT NULL, xdr_id TEXT NOT NULL,
                siem_name TEXT NOT NULL UNIQUE, base TEXT NOT NULL, PRIMARY KEY (tenant, xdr_id));
             CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE,
                tenant TEXT NOT NULL, xdr_id TEXT NOT NULL, side TEXT NOT NULL, write TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('planned', 'done')));
             CREATE INDEX outbox_planned ON outbox (state, seq);
             PRAGMA user_version = 1;",
        )
        .unwrap();
        let write = &plan.writes[0];
        raw.execute(
            "INSERT INTO outbox (key, tenant, xdr_id, side, write, state) VALUES (?1, ?2, ?3, ?4, ?5, 'planned')",
            rusqlite::params![
                write.key.to_string(),
                write.pair.tenant,
                write.pair.xdr_id,
                write.side.as_str(),
                serde_json::to_string(&write.write).unwrap()
            ],
        )
        .unwrap();
    }
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let pending = store.pending_writes().unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].write, plan.writes[0]);
    assert_eq!(pending[0].attempts, 0);
    assert_eq!(
        store
            .set_aside_write(&plan.writes[0].key, "HTTP 400")
            .unwrap(),
        1
    );
    commit_plan(&mut store, &plan);
    store.mark_landed(&plan.pair, "x1").unwrap();
    assert_eq!(store.pending_writes().unwrap().len(), 1);
}
