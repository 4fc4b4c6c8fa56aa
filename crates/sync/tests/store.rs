//! The store's promises, proven once and run on both backends: the embedded SQLite file in a temporary
//! data directory, and PostgreSQL in a schema of the test's own (`tandem_testkit::postgres`). Plans and
//! bases are committed atomically with the poll watermark, the outbox is replayed after a restart, the
//! logs operators read come back in order, an unreadable row names its column, and a schema newer than
//! the build is refused. The SQLite file's own matters (WAL mode, stores of older layouts) follow.

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
    Commit, FILE_NAME, PgStore, PlanCommit, PollRecord, SqliteStore, StoreError, StoreUrl,
    SyncStore, WriteOutcome, WriteState,
};
use tandem_testkit::postgres::TestSchema;

/// A database a store under test lives in, and what a test does to it behind the store's back.
trait Backend {
    /// The store on this backend.
    type Store: SyncStore;
    /// A new, empty database.
    async fn new() -> Self;
    /// The store's URL.
    fn url(&self) -> String;
    /// Opens the store (again, after a drop: a restart).
    async fn open(&self) -> Self::Store;
    /// Runs SQL on the database directly.
    async fn execute(&self, sql: &str);
    /// Makes every insert into `table` fail with `message`.
    async fn refuse_inserts(&self, table: &str, message: &str);
}

/// The embedded store in a temporary data directory.
struct Sqlite(tempfile::TempDir);

impl Backend for Sqlite {
    type Store = SqliteStore;

    async fn new() -> Self {
        Sqlite(tempfile::tempdir().unwrap())
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.path().join(FILE_NAME).display())
    }

    async fn open(&self) -> SqliteStore {
        SqliteStore::open(self.0.path()).unwrap()
    }

    async fn execute(&self, sql: &str) {
        let raw = rusqlite::Connection::open(self.0.path().join(FILE_NAME)).unwrap();
        raw.execute_batch(sql).unwrap();
    }

    async fn refuse_inserts(&self, table: &str, message: &str) {
        self.execute(&format!(
            "CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
             BEGIN SELECT RAISE(ABORT, '{message}'); END;"
        ))
        .await;
    }
}

/// PostgreSQL, in a schema of the test's own.
struct Postgres(TestSchema);

impl Backend for Postgres {
    type Store = PgStore;

    async fn new() -> Self {
        Postgres(TestSchema::create().await.unwrap())
    }

    fn url(&self) -> String {
        self.0.url().to_owned()
    }

    async fn open(&self) -> PgStore {
        PgStore::connect(self.0.url()).await.unwrap()
    }

    async fn execute(&self, sql: &str) {
        self.0.execute(sql).await.unwrap();
    }

    async fn refuse_inserts(&self, table: &str, message: &str) {
        self.execute(&format!(
            "CREATE FUNCTION refuse_{table}() RETURNS trigger LANGUAGE plpgsql
                AS $$ BEGIN RAISE EXCEPTION '{message}'; END $$;
             CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table}
                FOR EACH ROW EXECUTE FUNCTION refuse_{table}();"
        ))
        .await;
    }
}

/// Runs each test on a fresh database of each backend.
macro_rules! on_both_backends {
    ($($test:ident),+ $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $test() {
                super::$test(<super::Sqlite as super::Backend>::new().await).await;
            })+
        }
        mod postgres {
            $(#[tokio::test]
            async fn $test() {
                super::$test(<super::Postgres as super::Backend>::new().await).await;
            })+
        }
    };
}

on_both_backends!(
    plans_survive_a_restart_and_replay_until_done,
    replanning_the_same_writes_adds_no_second_entry,
    pending_writes_come_back_in_planning_order,
    completing_a_write_advances_the_base_and_logs_superseded_changes,
    a_base_that_moved_on_is_not_advanced,
    the_watermark_moves_only_with_its_batch,
    a_failed_commit_stores_nothing,
    poll_status_reports_the_last_success_failure_and_lags,
    quarantine_counts_attempts_and_releases,
    conflicts_are_listed_newest_first,
    an_unreadable_row_is_an_error_naming_the_column_and_value,
    a_base_round_trips_with_every_detail,
    failed_writes_count_attempts_wait_and_can_be_set_aside,
    a_pair_remembers_which_xdr_version_landed,
    commits_made_at_once_all_land,
    the_url_opens_the_same_store,
    a_schema_newer_than_the_build_is_refused,
);

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

async fn plans_survive_a_restart_and_replay_until_done(db: impl Backend) {
    let plan = new_pair_plan("1");
    let keys: Vec<_> = plan.writes.iter().map(|w| w.key).collect();
    assert_eq!(keys.len(), 2);
    {
        let store = db.open().await;
        store
            .commit(&Commit {
                plans: vec![plan.clone()],
                ..Commit::default()
            })
            .await
            .unwrap();
        store
            .complete_write(&keys[0], &WriteOutcome::default())
            .await
            .unwrap();
    }
    let store = db.open().await;
    let record = store
        .pair(&plan.pair)
        .await
        .unwrap()
        .expect("the pair is stored");
    assert_eq!(record.base, plan.base);
    assert_eq!(record.siem_name, plan.pair.siem_incident_name());
    assert_eq!(
        store.pair_by_siem_name(&record.siem_name).await.unwrap(),
        Some(plan.pair.clone())
    );
    let pending = store.pending_writes().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].write, plan.writes[1]);
    store
        .complete_write(&keys[1], &WriteOutcome::default())
        .await
        .unwrap();
    drop(store);
    assert!(db.open().await.pending_writes().await.unwrap().is_empty());
}

async fn replanning_the_same_writes_adds_no_second_entry(db: impl Backend) {
    let store = db.open().await;
    let plan = new_pair_plan("1");
    let commit = Commit {
        plans: vec![plan.clone()],
        ..Commit::default()
    };
    store.commit(&commit).await.unwrap();
    store.commit(&commit).await.unwrap();
    assert_eq!(
        store.pending_writes().await.unwrap().len(),
        plan.writes.len()
    );
    // A write already done stays done when the same plan is stored again after a crash.
    store
        .complete_write(&plan.writes[0].key, &WriteOutcome::default())
        .await
        .unwrap();
    store.commit(&commit).await.unwrap();
    assert_eq!(
        store.pending_writes().await.unwrap().len(),
        plan.writes.len() - 1
    );
}

async fn pending_writes_come_back_in_planning_order(db: impl Backend) {
    let store = db.open().await;
    let (first, second) = (new_pair_plan("2"), new_pair_plan("1"));
    store
        .commit(&Commit {
            plans: vec![first.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    store
        .commit(&Commit {
            plans: vec![second.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    let order: Vec<_> = store
        .pending_writes()
        .await
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

async fn completing_a_write_advances_the_base_and_logs_superseded_changes(db: impl Backend) {
    let store = db.open().await;
    let plan = siem_change_plan();
    assert_eq!(plan.writes.len(), 1);
    assert_eq!(plan.writes[0].side, Side::Xdr);
    store
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
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
    store
        .complete_write(&plan.writes[0].key, &outcome)
        .await
        .unwrap();
    let base = store.pair(&plan.pair).await.unwrap().unwrap().base;
    assert_eq!(base.xdr, after);
    assert_eq!(base.fields.severity, Severity::Low);
    let logged = store.conflicts(10).await.unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(
        (&logged[0].conflict, &logged[0].pair),
        (&a_conflict(), &plan.pair)
    );
    assert_eq!(logged[0].at.as_deref(), Some(at(6).as_str()));

    let unknown = uuid::Uuid::nil();
    assert!(matches!(
        store.complete_write(&unknown, &WriteOutcome::default()).await,
        Err(StoreError::UnknownWrite(key)) if key == unknown
    ));
}

async fn a_base_that_moved_on_is_not_advanced(db: impl Backend) {
    let store = db.open().await;
    let plan = siem_change_plan();
    store
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
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
    store
        .complete_write(&plan.writes[0].key, &outcome)
        .await
        .unwrap();
    assert_eq!(
        store.pair(&plan.pair).await.unwrap().unwrap().base,
        plan.base
    );
}

async fn the_watermark_moves_only_with_its_batch(db: impl Backend) {
    let store = db.open().await;
    assert_eq!(store.watermark(Side::Xdr).await.unwrap(), None);
    let commit = Commit {
        at: Some(at(100)),
        plans: vec![new_pair_plan("1")],
        poll: Some(poll(Side::Xdr, 10, 1500)),
    };
    store.commit(&commit).await.unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Xdr, 20, 700)),
            ..Commit::default()
        })
        .await
        .unwrap();
    drop(store);
    let store = db.open().await;
    assert_eq!(store.watermark(Side::Xdr).await.unwrap(), Some(at(20)));
    assert_eq!(store.watermark(Side::Siem).await.unwrap(), None);
}

/// A failure anywhere in a commit leaves nothing of it: no base, no outbox entry, no watermark.
async fn a_failed_commit_stores_nothing(db: impl Backend) {
    let store = db.open().await;
    db.refuse_inserts("watermarks", "disk says no").await;
    let plan = new_pair_plan("1");
    let commit = Commit {
        plans: vec![plan.clone()],
        poll: Some(poll(Side::Siem, 10, 0)),
        ..Commit::default()
    };
    let error = store.commit(&commit).await.unwrap_err();
    assert!(error.to_string().contains("disk says no"), "{error}");
    assert_eq!(store.pair(&plan.pair).await.unwrap(), None);
    assert!(store.pending_writes().await.unwrap().is_empty());
    assert_eq!(store.watermark(Side::Siem).await.unwrap(), None);
}

async fn poll_status_reports_the_last_success_failure_and_lags(db: impl Backend) {
    let store = db.open().await;
    store
        .commit(&Commit {
            poll: Some(poll(Side::Siem, 10, 1500)),
            ..Commit::default()
        })
        .await
        .unwrap();
    store
        .record_poll_failure(Side::Siem, &at(80), "503 from the SIEM")
        .await
        .unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Siem, 20, 700)),
            ..Commit::default()
        })
        .await
        .unwrap();
    store
        .commit(&Commit {
            poll: Some(poll(Side::Xdr, 30, 9)),
            ..Commit::default()
        })
        .await
        .unwrap();
    let status = store.poll_status(Side::Siem, 5).await.unwrap();
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
        store
            .poll_status(Side::Siem, 1)
            .await
            .unwrap()
            .recent_lags
            .len(),
        1
    );
}

async fn quarantine_counts_attempts_and_releases(db: impl Backend) {
    let store = db.open().await;
    store
        .quarantine(
            Side::Xdr,
            "inc-9",
            "field `severity`: unknown value",
            &at(1),
        )
        .await
        .unwrap();
    store
        .quarantine(Side::Xdr, "inc-9", "field `status`: unknown value", &at(2))
        .await
        .unwrap();
    store
        .quarantine(Side::Siem, "inc-9", "etag mismatch", &at(3))
        .await
        .unwrap();
    let items = store.quarantined().await.unwrap();
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
    assert!(store.release(Side::Xdr, "inc-9").await.unwrap());
    assert!(!store.release(Side::Xdr, "inc-9").await.unwrap());
    assert_eq!(store.quarantined().await.unwrap().len(), 1);
}

async fn conflicts_are_listed_newest_first(db: impl Backend) {
    let store = db.open().await;
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
        .await
        .unwrap();
    let listed = store.conflicts(2).await.unwrap();
    let ids: Vec<_> = listed.iter().map(|c| c.pair.xdr_id.as_str()).collect();
    assert_eq!(ids, ["3", "2"]);
    assert!(listed[0].id > listed[1].id);
}

async fn an_unreadable_row_is_an_error_naming_the_column_and_value(db: impl Backend) {
    let store = db.open().await;
    store
        .commit(&Commit {
            plans: vec![new_pair_plan("1")],
            ..Commit::default()
        })
        .await
        .unwrap();
    db.execute("UPDATE outbox SET side = 'mainframe'").await;
    let error = store.pending_writes().await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { column: "outbox.side", value, .. } if value == "mainframe"),
        "{error}"
    );
}

#[test]
fn the_sqlite_store_is_a_wal_file_in_the_data_dir() {
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

async fn a_base_round_trips_with_every_detail(db: impl Backend) {
    let store = db.open().await;
    let mut plan = new_pair_plan("1");
    plan.base = Base {
        siem: Some(SideVersion {
            marker: "W/\"etag-1\"".into(),
            changed_at: Timestamp::parse("2024-05-01T10:00:00.1234567Z").unwrap(),
        }),
        ..plan.base
    };
    plan.base.fields.classification.determination = Some("malware".into());
    store
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    let stored = store.pair(&plan.pair).await.unwrap().unwrap().base;
    assert_eq!(stored, plan.base);
    assert_eq!(
        stored.siem.unwrap().changed_at.as_str(),
        "2024-05-01T10:00:00.1234567Z"
    );
}

async fn failed_writes_count_attempts_wait_and_can_be_set_aside(db: impl Backend) {
    let store = db.open().await;
    let plan = new_pair_plan("1");
    store
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    let (first, second) = (plan.writes[0].key, plan.writes[1].key);
    assert_eq!(
        store
            .retry_write_later(&first, "HTTP 503", &at(10))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .retry_write_later(&first, "HTTP 502", &at(20))
            .await
            .unwrap(),
        2
    );
    let waiting = store
        .outbox_entry(&first)
        .await
        .unwrap()
        .expect("the entry");
    assert_eq!(waiting.state, WriteState::Planned);
    assert_eq!(waiting.attempts, 2);
    assert_eq!(waiting.retry_at, Some(at(20)));
    assert_eq!(waiting.error.as_deref(), Some("HTTP 502"));
    assert_eq!(store.pending_writes().await.unwrap().len(), 2);

    assert_eq!(store.set_aside_write(&first, "HTTP 503").await.unwrap(), 3);
    drop(store);
    let store = db.open().await;
    let pending = store.pending_writes().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].write.key, second);
    let set_aside = store.set_aside_writes().await.unwrap();
    assert_eq!(set_aside.len(), 1);
    assert_eq!(set_aside[0].write, plan.writes[0]);
    assert_eq!(set_aside[0].state, WriteState::SetAside);
    assert_eq!(set_aside[0].attempts, 3);
    // Planning the same write again does not bring it back.
    store
        .commit(&Commit {
            plans: vec![plan],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.set_aside_writes().await.unwrap().len(), 1);
    let unknown = uuid::Uuid::from_u128(7);
    assert!(matches!(
        store.set_aside_write(&unknown, "x").await,
        Err(StoreError::UnknownWrite(key)) if key == unknown
    ));
    assert_eq!(store.outbox_entry(&unknown).await.unwrap(), None);
}

async fn a_pair_remembers_which_xdr_version_landed(db: impl Backend) {
    let store = db.open().await;
    let plan = new_pair_plan("1");
    store
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    assert_eq!(store.pair(&plan.pair).await.unwrap().unwrap().landed, None);
    store.mark_landed(&plan.pair, "x1").await.unwrap();
    drop(store);
    let store = db.open().await;
    let record = store.pair(&plan.pair).await.unwrap().unwrap();
    assert_eq!(record.landed.as_deref(), Some("x1"));
    assert_eq!(record.base, plan.base);
}

/// A store of the oldest layout, before versions were recorded (`PRAGMA user_version` 1).
#[tokio::test]
async fn an_sqlite_store_of_the_oldest_layout_is_brought_up_to_date_keeping_its_outbox() {
    let db = Sqlite::new().await;
    let plan = new_pair_plan("1");
    {
        let raw = rusqlite::Connection::open(db.0.path().join(FILE_NAME)).unwrap();
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
    let store = db.open().await;
    let pending = store.pending_writes().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].write, plan.writes[0]);
    assert_eq!(pending[0].attempts, 0);
    assert_eq!(
        store
            .set_aside_write(&plan.writes[0].key, "HTTP 400")
            .await
            .unwrap(),
        1
    );
    store
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    store.mark_landed(&plan.pair, "x1").await.unwrap();
    assert_eq!(store.pending_writes().await.unwrap().len(), 1);
}

/// Pairs synced at once commit at once: every plan lands, none is lost or doubled.
async fn commits_made_at_once_all_land(db: impl Backend) {
    let store = db.open().await;
    let plans: Vec<_> = (0..16).map(|i| new_pair_plan(&i.to_string())).collect();
    let commits = plans.iter().map(|plan| {
        let store = &store;
        async move {
            store
                .commit(&Commit {
                    plans: vec![plan.clone()],
                    ..Commit::default()
                })
                .await
        }
    });
    for result in futures_util::future::join_all(commits).await {
        result.unwrap();
    }
    let pending = store.pending_writes().await.unwrap();
    let expected: usize = plans.iter().map(|p| p.writes.len()).sum();
    assert_eq!(pending.len(), expected);
    for plan in &plans {
        assert_eq!(
            store.pair(&plan.pair).await.unwrap().unwrap().base,
            plan.base
        );
    }
}

/// The store a URL opens is the one the backend's tests use, whichever backend.
async fn the_url_opens_the_same_store(db: impl Backend) {
    let plan = new_pair_plan("1");
    db.open()
        .await
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    let store = StoreUrl::parse(&db.url()).unwrap().open().await.unwrap();
    let record = store.pair(&plan.pair).await.unwrap().expect("the pair");
    assert_eq!(record.base, plan.base);
    assert_eq!(
        store.pending_writes().await.unwrap().len(),
        plan.writes.len()
    );
}

/// A database migrated by a newer build is refused, naming both versions, rather than misread.
async fn a_schema_newer_than_the_build_is_refused(db: impl Backend) {
    drop(db.open().await);
    db.execute("INSERT INTO schema_version (version, applied_at) VALUES (99, 'later')")
        .await;
    let error = StoreUrl::parse(&db.url())
        .unwrap()
        .open()
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            StoreError::SchemaTooNew {
                found: 99,
                known: 1
            }
        ),
        "{error}"
    );
}

/// An SQLite store laid out before versions were recorded (`PRAGMA user_version` 2, the layout of
/// version 1) is adopted as version 1 with its data, and recorded so once.
#[tokio::test]
async fn an_unversioned_sqlite_store_is_adopted_as_version_1() {
    let db = Sqlite::new().await;
    let plan = new_pair_plan("1");
    db.open()
        .await
        .commit(&Commit {
            plans: vec![plan.clone()],
            ..Commit::default()
        })
        .await
        .unwrap();
    db.execute("DROP TABLE schema_version; PRAGMA user_version = 2;")
        .await;
    let store = db.open().await;
    assert_eq!(
        store.pair(&plan.pair).await.unwrap().unwrap().base,
        plan.base
    );
    drop(store);
    drop(db.open().await);
    let raw = rusqlite::Connection::open(db.0.path().join(FILE_NAME)).unwrap();
    let versions: Vec<i64> = raw
        .prepare("SELECT version FROM schema_version")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, [1]);
}

/// An unreachable database is an error at open naming the URL, with its password hidden.
#[tokio::test]
async fn an_unreachable_postgres_is_named_without_its_password() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://tandem:hunter2@127.0.0.1:{port}/sync");
    let error = PgStore::connect(&url).await.unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(&error, StoreError::Unreachable { url, .. } if *url == format!("postgres://tandem:***@127.0.0.1:{port}/sync")),
        "{message}"
    );
    assert!(!message.contains("hunter2"), "{message}");
    assert!(message.contains("refused"), "{message}");
}
