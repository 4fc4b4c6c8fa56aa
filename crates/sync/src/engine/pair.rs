//! One pair's sync ([`PairSync`]): reconcile both sides against the base, store the plan and the new
//! base in one transaction, perform each write, mark it done. A write refused because the SIEM twin moved
//! on (409 or 412) makes the pair read both sides and reconcile again.

use tandem_model::Timestamp;
use tandem_model::graph::Incident;

use super::Connector;
use super::crash::Step;
use super::error::{Disposition, EngineError};
use super::metrics::WriteKind;
use super::sides::{Basis, Twin};
use crate::reconcile::{Base, PairKey, PlannedWrite, ReconcileInput, Side, SyncedIncident};
use crate::sides::{graph, sentinel};
use crate::store::{
    Commit, OutboxEntry, PairRecord, PlanCommit, SyncStore, WriteOutcome, WriteState,
};

/// How often one pair is read again after its twin moved on under a write.
const MAX_REREADS: usize = 3;

/// What syncing one pair did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PairOutcome {
    /// Writes performed (fields, comments, relations, row batches).
    pub writes: usize,
    /// True when the reconciliation planned nothing and no alert was missing.
    pub quiet: bool,
}

/// Both sides' states, with each side's change time for the lag histogram.
struct States {
    xdr: SyncedIncident,
    siem: Option<SyncedIncident>,
}

impl States {
    fn read(xdr: &Incident, twin: Option<&Twin>) -> Result<States, EngineError> {
        Ok(States {
            xdr: graph::mapping::synced_incident(xdr)?,
            siem: twin
                .map(|t| sentinel::mapping::synced_incident(&t.incident, &t.comments))
                .transpose()?,
        })
    }

    /// The change time of the side whose change a write to `target` carries.
    fn source_time(&self, target: Side) -> Option<&Timestamp> {
        match target {
            Side::Siem => Some(&self.xdr.version.changed_at),
            Side::Xdr => self.siem.as_ref().map(|s| &s.version.changed_at),
        }
    }
}

/// The work on one pair: syncing it, performing its planned writes, and recording how they went.
pub(crate) struct PairSync<'a> {
    connector: &'a Connector,
    pair: &'a PairKey,
}

impl<'a> PairSync<'a> {
    /// The work on `pair`.
    pub(crate) fn new(connector: &'a Connector, pair: &'a PairKey) -> Self {
        PairSync { connector, pair }
    }

    /// Syncs the pair from the states just read, reading again after a 409/412 from the SIEM.
    pub(crate) async fn sync(
        &self,
        mut xdr: Incident,
        mut twin: Option<Twin>,
    ) -> Result<PairOutcome, EngineError> {
        let mut attempt = 1;
        loop {
            match self.sync_once(&xdr, twin.as_ref()).await {
                Err(e) if e.disposition() == Disposition::Reread && attempt < MAX_REREADS => {
                    tracing::info!(xdr_id = %self.pair.xdr_id, error = %e, "the SIEM twin moved on; reading again");
                    attempt += 1;
                    let sides = &self.connector.sides;
                    xdr = sides.read_xdr(self.pair).await?;
                    twin = sides.read_twin(self.pair).await?;
                }
                other => return other,
            }
        }
    }

    /// Performs the pair's undone `entries` in order, each on what its target holds now, stopping at
    /// one that waits or fails for a passing reason; returns how many were performed. A write refused
    /// for good, or out of attempts, is set aside and the pair quarantined.
    pub(crate) async fn replay(
        &self,
        entries: &[OutboxEntry],
        now: &Timestamp,
    ) -> Result<usize, EngineError> {
        let mut replayed = 0;
        for entry in entries {
            if entry.retry_at.as_ref().is_some_and(|at| at > now) {
                break;
            }
            match self
                .perform(&entry.write, entry.attempts, None, Basis::Replay)
                .await
            {
                Ok(_) => replayed += 1,
                Err(e) if e.disposition() == Disposition::Transient => {
                    tracing::warn!(xdr_id = %self.pair.xdr_id, error = %e, "write stays in the outbox");
                    break;
                }
                Err(e) => self.quarantine(&e).await?,
            }
        }
        Ok(replayed)
    }

    /// Sets the pair aside: the item quarantined is its XDR incident, whichever side refused.
    async fn quarantine(&self, error: &EngineError) -> Result<(), EngineError> {
        self.connector
            .store
            .quarantine(
                Side::Xdr,
                &self.pair.xdr_id,
                &error.to_string(),
                &Timestamp::now(),
            )
            .await?;
        self.connector.metrics.quarantined();
        Ok(())
    }

    /// The pair's stored record: its base, and the XDR version whose rows and alerts landed.
    async fn record(&self) -> Result<Option<PairRecord>, EngineError> {
        Ok(self.connector.store.pair(self.pair).await?)
    }

    /// Whether the pair's base already consumed `marker` from `side` (for the XDR: and that version's
    /// rows and alerts landed).
    pub(crate) async fn consumed(
        &self,
        side: Side,
        marker: Option<&str>,
    ) -> Result<bool, EngineError> {
        let Some(record) = self.record().await? else {
            return Ok(false);
        };
        let in_base = record
            .base
            .version(side)
            .is_some_and(|v| Some(v.marker.as_str()) == marker);
        let landed = side == Side::Siem || record.landed.as_deref() == marker;
        Ok(in_base && landed)
    }

    /// Reconciles the states read, stores the plan, performs it on what was read and lands the XDR
    /// version's rows and alerts.
    async fn sync_once(
        &self,
        xdr: &Incident,
        twin: Option<&Twin>,
    ) -> Result<PairOutcome, EngineError> {
        let states = States::read(xdr, twin)?;
        self.connector.passed(Step::Read);
        let record = self.record().await?;
        let xdr_marker = &states.xdr.version.marker;
        let xdr_fresh = record
            .as_ref()
            .is_none_or(|r| r.landed.as_ref() != Some(xdr_marker));
        let planned = self.plan(&states, record.as_ref().map(|r| &r.base)).await?;
        if self.connector.dry_run {
            self.describe(&planned, twin.is_none());
            return Ok(PairOutcome {
                writes: 0,
                quiet: planned.is_empty(),
            });
        }
        let mut outcome = PairOutcome {
            writes: 0,
            quiet: planned.is_empty(),
        };
        let basis = Basis::Read { xdr, twin };
        for write in &planned {
            let attempts = self.attempts_so_far(write).await?;
            let source = states.source_time(write.side);
            outcome.writes += usize::from(self.perform(write, attempts, source, basis).await?);
        }
        let attached = self.land_alerts(xdr, xdr_fresh).await?;
        if xdr_fresh {
            self.connector
                .store
                .mark_landed(self.pair, xdr_marker)
                .await?;
        }
        outcome.writes += attached;
        outcome.quiet &= attached == 0;
        Ok(outcome)
    }

    /// Reconciles `states` against `base` and, unless in a dry run, stores the plan, the new base and
    /// the conflicts in one transaction; returns the planned writes.
    async fn plan(
        &self,
        states: &States,
        base: Option<&Base>,
    ) -> Result<Vec<PlannedWrite>, EngineError> {
        let connector = self.connector;
        let input = ReconcileInput {
            pair: self.pair,
            base,
            xdr: &states.xdr,
            siem: states.siem.as_ref(),
        };
        let reconciliation = connector.reconciler.reconcile(&input);
        let planned = reconciliation.planned_writes(&input);
        if connector.dry_run {
            return Ok(planned);
        }
        let conflicts = reconciliation.conflicts.len();
        let commit = Commit {
            at: Some(Timestamp::now()),
            plans: vec![PlanCommit {
                pair: self.pair.clone(),
                base: reconciliation.base,
                writes: planned.clone(),
                conflicts: reconciliation.conflicts,
            }],
            poll: None,
        };
        connector.store.commit(&commit).await?;
        connector.passed(Step::Commit);
        connector.metrics.conflicts(conflicts);
        Ok(planned)
    }

    /// Performs a write (which failed `attempts` times before) on `basis` and marks it done; returns
    /// whether a request changed the target. A write that a 409/412 overtook is marked done (the pair is
    /// reconciled again from fresh reads); one the target refused for good is set aside; one that failed
    /// for a passing reason waits in the outbox for its backoff, and is set aside
    /// ([`EngineError::GaveUp`]) once out of attempts.
    pub(crate) async fn perform(
        &self,
        write: &PlannedWrite,
        attempts: u32,
        source: Option<&Timestamp>,
        basis: Basis<'_>,
    ) -> Result<bool, EngineError> {
        let connector = self.connector;
        let performed = match connector.sides.perform(write, basis).await {
            Ok(performed) => performed,
            Err(e) => return Err(self.failed(write, attempts, e).await?),
        };
        if performed.written.is_some() {
            connector.passed(Step::Write);
        }
        connector
            .metrics
            .conflicts(performed.outcome.conflicts.len());
        let outcome = WriteOutcome {
            at: Some(Timestamp::now()),
            ..performed.outcome
        };
        connector.store.complete_write(&write.key, &outcome).await?;
        connector.passed(Step::Done);
        if let Some(kind) = performed.written {
            connector.metrics.write(write.side, kind);
            if let Some(source) = source {
                let lag = (chrono::Utc::now() - source.instant())
                    .to_std()
                    .unwrap_or_default();
                connector.metrics.lag(lag);
            }
        }
        Ok(performed.written.is_some())
    }

    /// How often a write planned again already failed; an error when it waits for its backoff or was
    /// set aside (the pair then waits, or is quarantined, instead of trying it again now).
    async fn attempts_so_far(&self, write: &PlannedWrite) -> Result<u32, EngineError> {
        let Some(entry) = self.connector.store.outbox_entry(&write.key).await? else {
            return Ok(0);
        };
        match entry.state {
            WriteState::SetAside => Err(EngineError::GaveUp {
                attempts: entry.attempts,
                error: entry.error.unwrap_or_default(),
            }),
            WriteState::Planned
                if entry
                    .retry_at
                    .as_ref()
                    .is_some_and(|at| *at > Timestamp::now()) =>
            {
                Err(EngineError::Backoff {
                    xdr_id: self.pair.xdr_id.clone(),
                    until: entry.retry_at.map(|at| at.to_string()).unwrap_or_default(),
                })
            }
            WriteState::Planned | WriteState::Done => Ok(entry.attempts),
        }
    }

    /// Records a failed write as its failure says, and returns the error to report.
    async fn failed(
        &self,
        write: &PlannedWrite,
        attempts: u32,
        error: EngineError,
    ) -> Result<EngineError, EngineError> {
        let connector = self.connector;
        let (key, text) = (write.key, error.to_string());
        match error.disposition() {
            Disposition::Reread => {
                connector
                    .store
                    .complete_write(&key, &WriteOutcome::default())
                    .await?;
                Ok(error)
            }
            Disposition::Poison => {
                connector.store.set_aside_write(&key, &text).await?;
                Ok(error)
            }
            Disposition::Transient if attempts + 1 >= connector.settings.max_write_attempts => {
                let attempts = connector.store.set_aside_write(&key, &text).await?;
                tracing::warn!(xdr_id = %self.pair.xdr_id, attempts, error = %text, "write set aside");
                Ok(EngineError::GaveUp {
                    attempts,
                    error: text,
                })
            }
            Disposition::Transient => {
                let delay =
                    chrono::Duration::from_std(connector.settings.write_retry_delay(attempts + 1))
                        .unwrap_or(chrono::Duration::zero());
                let retry_at = Timestamp::from_instant(chrono::Utc::now() + delay);
                connector
                    .store
                    .retry_write_later(&key, &text, &retry_at)
                    .await?;
                Ok(error)
            }
        }
    }

    /// Lands a new XDR version as table rows and attaches the alerts the twin lacks.
    async fn land_alerts(&self, xdr: &Incident, fresh: bool) -> Result<usize, EngineError> {
        let connector = self.connector;
        let mut writes = 0;
        if fresh {
            connector.sides.ingest_rows(self.pair, xdr).await?;
            connector.passed(Step::Rows);
            connector.metrics.write(Side::Siem, WriteKind::Rows);
            writes += 1;
        }
        let attached = connector.sides.attach_alerts(self.pair, xdr).await?;
        for _ in 0..attached {
            connector.metrics.write(Side::Siem, WriteKind::Relation);
        }
        Ok(writes + attached)
    }

    /// Reports what a dry run would write.
    fn describe(&self, planned: &[PlannedWrite], creates_twin: bool) {
        for write in planned {
            let what = serde_json::to_string(&write.write).unwrap_or_default();
            let verb = if creates_twin && write.side == Side::Siem {
                "would create/write"
            } else {
                "would write"
            };
            self.connector.report_line(format!(
                "{verb} {} for XDR incident {}: {what}",
                write.side, write.pair.xdr_id
            ));
        }
    }
}
