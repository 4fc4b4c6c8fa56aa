//! The connector's engine, run in the test against a real `tandem xdr` and `tandem siem` (each its own
//! process): a dry run writes nothing, a cycle creates every twin and the next one is quiet, undone
//! outbox writes are replayed after a crash without posting an XDR comment twice, a full reconciliation
//! repairs a deleted twin, and a backfill reports every page.

mod sync_support;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use sync_support::{Stack, TempDir};
use tandem_model::Timestamp;
use tandem_model::graph::NewComment;
use tandem_sync::config::SyncConfig;
use tandem_sync::engine::{Connector, PageProgress, status};
use tandem_sync::reconcile::{
    Comment, CommentOrigin, CommentWrite, IncidentReconciler, PlannedWrite, ReconcileInput, Side,
};
use tandem_sync::sides::graph::mapping::synced_incident;
use tandem_sync::store::{Commit, PlanCommit, SqliteStore, SyncStore};

fn connector(stack: &Stack, store_dir: &Path) -> Connector {
    connector_with(stack, store_dir, "")
}

/// A connector with extra `[sync]` settings.
fn connector_with(stack: &Stack, store_dir: &Path, settings: &str) -> Connector {
    let text = stack
        .sync_config()
        .replace("[sync]\n", &format!("[sync]\n{settings}\n"));
    let config = SyncConfig::parse(&text).expect("the generated config");
    let store = SqliteStore::open(store_dir).expect("open the store");
    Connector::new(&config, store).expect("the connector")
}

fn store(dir: &Path) -> SqliteStore {
    SqliteStore::open(dir).expect("open the store")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dry_run_plans_the_twins_and_writes_nothing() {
    let stack = Stack::start().await;
    let dir = TempDir::new("engine-dry-run");
    let report = connector(&stack, &dir.0)
        .dry_run(true)
        .run_once()
        .await
        .expect("a dry cycle");
    let incidents = stack.xdr_incidents().await;
    let creations = report
        .planned
        .iter()
        .filter(|line| line.starts_with("would create/write siem"))
        .count();
    assert_eq!(creations, incidents.len(), "{:#?}", report.planned);
    assert!(stack.twins().await.is_empty());
    assert_eq!(store(&dir.0).watermark(Side::Xdr).await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cycle_creates_every_twin_and_the_next_cycle_is_quiet() {
    let stack = Stack::start().await;
    let dir = TempDir::new("engine-cycle");
    let connector = connector(&stack, &dir.0);
    let first = connector.run_once().await.expect("first cycle");
    let incidents = stack.xdr_incidents().await;
    assert_eq!(first.xdr.items, incidents.len());
    assert!(first.xdr.writes >= incidents.len());
    for incident in &incidents {
        let twin = stack.twin(&incident.id).await.expect("a twin");
        assert_eq!(
            twin.properties.provider_incident_id.get(),
            Some(&incident.id)
        );
    }
    let second = connector.run_once().await.expect("second cycle");
    assert_eq!(second.xdr.writes + second.siem.writes, 0, "{second:?}");
    let status = status::read(&store(&dir.0)).await.unwrap();
    assert!(status.directions.iter().all(|d| d.last_success.is_some()));
    assert!(status.directions.iter().all(|d| d.pending_writes == 0));
    let metrics = connector.render_metrics();
    assert!(metrics.contains("tandem_sync_writes_total{side=\"siem\",kind=\"fields\"}"));
    assert!(!metrics.contains("tandem_sync_change_to_write_seconds_count 0"));
}

#[tokio::test(flavor = "multi_thread")]
async fn undone_writes_are_replayed_once_after_a_crash() {
    let stack = Stack::start().await;
    let dir = TempDir::new("engine-replay");
    let xdr = stack.xdr_incidents().await.remove(0);
    let pair = tandem_sync::reconcile::PairKey::new(stack.tenant.clone(), xdr.id.clone());
    let state = synced_incident(&xdr).expect("a readable incident");
    let input = ReconcileInput {
        pair: &pair,
        base: None,
        xdr: &state,
        siem: None,
    };
    let reconciliation = IncidentReconciler::default().reconcile(&input);
    let from_siem = CommentWrite {
        origin: CommentOrigin {
            side: Side::Siem,
            id: "analyst-note-1".into(),
        },
        comment: Comment {
            text: "Reset the user's password".into(),
            author: None,
        },
    };
    let mut writes = reconciliation.planned_writes(&input);
    writes.push(PlannedWrite::comment(&pair, Side::Xdr, from_siem.clone()));
    store(&dir.0)
        .commit(&Commit {
            at: None,
            plans: vec![PlanCommit {
                pair: pair.clone(),
                base: reconciliation.base.clone(),
                writes,
                conflicts: Vec::new(),
            }],
            poll: None,
        })
        .await
        .unwrap();
    // The connector had posted the XDR comment when it crashed, before marking the write done.
    let url = format!("{}/{}/comments", stack.incidents_url, xdr.id);
    let _: tandem_model::graph::Collection<tandem_model::graph::AlertComment> = stack
        .graph
        .post_json(&url, &NewComment::new(from_siem.body()))
        .await
        .expect("the comment posted before the crash");

    let replayed = connector(&stack, &dir.0).replay().await.expect("replay");
    assert!(replayed >= 2, "replayed {replayed}");
    assert!(store(&dir.0).pending_writes().await.unwrap().is_empty());
    assert!(stack.twin(&xdr.id).await.is_some());
    let posted = stack
        .xdr_incident(&xdr.id)
        .await
        .comments()
        .iter()
        .filter(|c| c.comment.get() == Some(&from_siem.body()))
        .count();
    assert_eq!(posted, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_reconciliation_repairs_a_deleted_twin() {
    let stack = Stack::start().await;
    let dir = TempDir::new("engine-repair");
    let connector = connector(&stack, &dir.0);
    connector.run_once().await.expect("first cycle");
    let incident = stack.xdr_incidents().await.remove(0);
    stack
        .arm
        .delete(&stack.twin_url(&incident.id, ""), None)
        .await
        .expect("delete the twin");
    assert!(stack.twin(&incident.id).await.is_none());
    let report = connector.full_reconciliation().await.expect("repair");
    assert!(report.repaired >= 1, "{report:?}");
    assert!(stack.twin(&incident.id).await.is_some());
    let mut expected: Vec<String> = incident.alerts().iter().map(|a| a.id.clone()).collect();
    expected.sort();
    assert_eq!(stack.twin_alert_ids(&incident.id).await, expected);
}

/// Counts the pages a backfill reports.
#[derive(Default)]
struct Pages {
    pages: AtomicUsize,
    items: AtomicUsize,
    finished: AtomicBool,
}

impl PageProgress for Pages {
    fn page(&self, items: usize) {
        self.pages.fetch_add(1, Ordering::Relaxed);
        self.items.fetch_add(items, Ordering::Relaxed);
    }

    fn finish(&self) {
        self.finished.store(true, Ordering::Relaxed);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backfill_reports_every_page_and_sets_the_watermark() {
    let stack = Stack::start().await;
    let dir = TempDir::new("engine-backfill");
    let connector = connector_with(&stack, &dir.0, "page_size = 1");
    let since = Timestamp::parse("2000-01-01T00:00:00Z").unwrap();
    let pages = Pages::default();
    let summary = connector.backfill(&since, &pages).await.expect("backfill");
    let incidents = stack.xdr_incidents().await;
    assert_eq!(summary.items, incidents.len());
    assert_eq!(pages.items.load(Ordering::Relaxed), incidents.len());
    assert!(pages.pages.load(Ordering::Relaxed) >= incidents.len());
    assert!(pages.finished.load(Ordering::Relaxed));
    let newest = incidents
        .iter()
        .filter_map(|i| i.last_update_date_time.get().cloned())
        .max();
    assert_eq!(store(&dir.0).watermark(Side::Xdr).await.unwrap(), newest);
    for incident in &incidents {
        assert!(stack.twin(&incident.id).await.is_some());
    }
}
