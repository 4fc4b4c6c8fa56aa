//! The running connector: polls both sides, drives the reconciler through the outbox, and reports what
//! it does.
//!
//! One cycle replays the outbox's undone writes, then polls the XDR and the SIEM ([`poll`]) and syncs
//! every changed pair, several pairs at once (`sync.concurrency`). Each pair's work is a `PairSync`
//! (`pair.rs`): read both sides, reconcile, store the plan and the new base in one transaction, perform
//! each write idempotently on the states just read ([`sides`]), mark it done. The store's calls are
//! async ([`SyncStore`]), whichever backend holds the state. Every so often a full reconciliation
//! reads every XDR incident and its twin, repairs drift (missing twins, fields, comments or alerts) and reports how
//! many pairs it repaired. A write that fails for a passing reason waits in the outbox with a growing
//! backoff and is set aside after `sync.max_write_attempts`, so one broken write never holds back the
//! rest. [`metrics`] counts, [`status`] reports from the store, [`http`] serves both, [`progress`]
//! draws the backfill's progress bar, and [`crash`] lets tests stop the process right after any step.

pub mod crash;
pub mod error;
pub mod http;
pub mod metrics;
mod pair;
pub mod poll;
pub mod progress;
pub mod sides;
pub mod status;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::stream::{self, StreamExt};
use tandem_model::Timestamp;

pub use crash::{CRASH_AT_ENV, CrashPoint, Step};
pub use error::{Disposition, EngineError};
pub use metrics::{ApiCounters, Metrics, WriteKind};
pub use pair::PairOutcome;
use pair::PairSync;
pub use poll::PollSummary;
pub use progress::{BackfillBar, PageProgress};
pub use sides::{Sides, Twin};

use crate::config::{SyncConfig, SyncConfigError, SyncSettings};
use crate::reconcile::{IncidentReconciler, PairKey, Side};
use crate::store::{OutboxEntry, Store, SyncStore};
use poll::Scope;

/// What one cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CycleReport {
    /// Outbox writes replayed.
    pub replayed: usize,
    /// The XDR poll.
    pub xdr: PollSummary,
    /// The SIEM poll.
    pub siem: PollSummary,
    /// A dry run's planned writes, one line each.
    pub planned: Vec<String>,
}

/// What a full reconciliation found.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RepairReport {
    /// XDR incidents read.
    pub pairs: usize,
    /// Pairs that needed a write: drift repaired.
    pub repaired: usize,
    /// Writes performed.
    pub writes: usize,
    /// Pairs set aside or deferred.
    pub failed: usize,
}

/// The connector.
pub struct Connector {
    sides: Sides,
    /// Shared by the pairs synced at once and the status endpoint.
    store: Store,
    reconciler: IncidentReconciler,
    settings: SyncSettings,
    metrics: Arc<Metrics>,
    dry_run: bool,
    planned: Mutex<Vec<String>>,
    crash: Option<CrashPoint>,
}

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connector")
            .field("tenant", &self.sides.tenant)
            .field("dry_run", &self.dry_run)
            .finish_non_exhaustive()
    }
}

impl Connector {
    /// A connector for `config` over `store`. Reads secrets and CA files now; sends nothing yet.
    pub fn new(config: &SyncConfig, store: impl Into<Store>) -> Result<Self, SyncConfigError> {
        Ok(Connector {
            sides: Sides::new(config)?,
            store: store.into(),
            reconciler: IncidentReconciler::new(config.sync.policy()),
            settings: config.sync.clone(),
            metrics: Arc::new(Metrics::default()),
            dry_run: false,
            planned: Mutex::new(Vec::new()),
            crash: None,
        })
    }

    /// In a dry run the connector reads both sides and reports the writes it would make
    /// ([`CycleReport::planned`]), but writes nothing, not even to its store.
    pub fn dry_run(mut self, dry_run: bool) -> Self {
        self.dry_run = dry_run;
        self
    }

    /// A test aid: abort the process right after the given step ([`crash`]).
    pub fn crash_at(mut self, point: Option<CrashPoint>) -> Self {
        self.crash = point;
        self
    }

    /// Passes a step of the cycle (the crash point may end the process here).
    pub(crate) fn passed(&self, step: Step) {
        if let Some(point) = &self.crash {
            point.pass(step);
        }
    }

    /// The metrics (for the metrics endpoint).
    pub fn metrics(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// The three API clients' counters now.
    pub fn api_counters(&self) -> ApiCounters {
        self.sides.counters()
    }

    /// The metrics as Prometheus text, client counters included.
    pub fn render_metrics(&self) -> String {
        self.metrics.render(&self.api_counters())
    }

    /// Starts a cycle every poll interval, and a full reconciliation every full-reconciliation interval,
    /// until `shutdown` completes. The interval runs from the start of one cycle to the start of the
    /// next, so a cycle's own duration does not widen the gap; a cycle that overruns skips the starts it
    /// missed instead of running them back to back. A failed cycle is logged and the next one runs as
    /// usual.
    pub async fn run(&self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut cadence = tokio::time::interval(self.settings.poll_interval());
        cadence.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut next_full = Instant::now() + self.settings.full_reconciliation_interval();
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                _ = cadence.tick() => {}
            }
            match self.run_once().await {
                Ok(report) => tracing::debug!(?report, "cycle"),
                Err(error) => tracing::warn!(%error, "cycle failed"),
            }
            if Instant::now() >= next_full {
                match self.full_reconciliation().await {
                    Ok(report) => tracing::info!(?report, "full reconciliation"),
                    Err(error) => tracing::warn!(%error, "full reconciliation failed"),
                }
                next_full = Instant::now() + self.settings.full_reconciliation_interval();
            }
        }
    }

    /// One cycle: replay the outbox, poll the XDR, poll the SIEM.
    pub async fn run_once(&self) -> Result<CycleReport, EngineError> {
        let replayed = self.replay().await?;
        let xdr = self
            .polled(Side::Xdr, self.poll_xdr(Scope::Changes, None).await)
            .await?;
        let siem = self
            .polled(Side::Siem, self.poll_siem(Scope::Changes).await)
            .await?;
        Ok(CycleReport {
            replayed,
            xdr,
            siem,
            planned: self.take_planned(),
        })
    }

    /// Syncs every XDR incident changed since `since`, reporting each page to `progress`; the XDR
    /// watermark then stands at the newest of them.
    pub async fn backfill(
        &self,
        since: &Timestamp,
        progress: &dyn PageProgress,
    ) -> Result<PollSummary, EngineError> {
        let summary = self.poll_xdr(Scope::Since(since), Some(progress)).await;
        progress.finish();
        self.polled(Side::Xdr, summary).await
    }

    /// Reads every XDR incident and its twin and syncs each pair whatever the markers say; a pair that
    /// needed a write had drifted and is counted as repaired.
    pub async fn full_reconciliation(&self) -> Result<RepairReport, EngineError> {
        self.replay().await?;
        let summary = self.poll_xdr(Scope::Everything, None).await?;
        self.metrics.full_reconciliation(summary.changed);
        Ok(RepairReport {
            pairs: summary.items,
            repaired: summary.changed,
            writes: summary.writes,
            failed: summary.deferred + summary.quarantined,
        })
    }

    /// Performs the outbox's undone writes in planning order, up to `sync.concurrency` pairs at once. A
    /// write that failed for a passing reason waits for its backoff; until then, and while it keeps
    /// failing, the later writes of its pair wait too (they may need it done first); the other pairs'
    /// writes go on. A write refused for good, or out of attempts, is set aside and its pair
    /// quarantined.
    pub async fn replay(&self) -> Result<usize, EngineError> {
        if self.dry_run {
            return Ok(0);
        }
        let pending = self.store.pending_writes().await?;
        // One group per pair, in the order of each pair's first planned write.
        let mut group_of: BTreeMap<PairKey, usize> = BTreeMap::new();
        let mut by_pair: Vec<Vec<OutboxEntry>> = Vec::new();
        for entry in pending {
            let next = by_pair.len();
            let group = *group_of.entry(entry.write.pair.clone()).or_insert(next);
            if group == next {
                by_pair.push(Vec::new());
            }
            by_pair[group].push(entry);
        }
        let now = Timestamp::now();
        let now = &now;
        let mut replays = stream::iter(by_pair.into_iter().map(|entries| async move {
            let pair = &entries[0].write.pair;
            PairSync::new(self, pair).replay(&entries, now).await
        }))
        .buffer_unordered(self.settings.concurrency());
        let mut replayed = 0;
        while let Some(count) = replays.next().await {
            replayed += count?;
        }
        Ok(replayed)
    }

    /// Records a poll's outcome in the metrics and, when it failed, in the store.
    async fn polled(
        &self,
        side: Side,
        result: Result<PollSummary, EngineError>,
    ) -> Result<PollSummary, EngineError> {
        self.metrics.poll(side, result.is_ok());
        if let Err(error) = &result
            && !self.dry_run
        {
            self.store
                .record_poll_failure(side, &Timestamp::now(), &error.to_string())
                .await?;
        }
        result
    }

    /// The store (for the status endpoint).
    pub fn store(&self) -> &Store {
        &self.store
    }

    fn report_line(&self, line: String) {
        if let Ok(mut planned) = self.planned.lock() {
            planned.push(line);
        }
    }

    fn take_planned(&self) -> Vec<String> {
        self.planned
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }
}
