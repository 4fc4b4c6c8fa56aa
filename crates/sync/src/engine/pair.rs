//! One pair's cycle: reconcile both sides against the base, store the plan and the new base in one
//! transaction, perform each write, mark it done. A write refused because the SIEM twin moved on (409 or
//! 412) makes the pair read both sides and reconcile again.

use tandem_model::Timestamp;
use tandem_model::graph::Incident;

use super::Connector;
use super::crash::Step;
use super::error::{Disposition, EngineError};
use super::sides::Twin;
use crate::reconcile::{PairKey, PlannedWrite, ReconcileInput, Side, SyncedIncident};
use crate::sides::{graph, sentinel};
use crate::store::{Commit, PlanCommit, WriteOutcome, WriteState};

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

impl Connector {
    /// Syncs one pair from the states just read, reading again after a 409/412 from the SIEM.
    pub(crate) async fn sync_pair(
        &self,
        pair: &PairKey,
        mut xdr: Incident,
        mut twin: Option<Twin>,
    ) -> Result<PairOutcome, EngineError> {
        let mut attempt = 1;
        loop {
            match self.sync_pair_once(pair, &xdr, twin.as_ref()).await {
                Err(e) if e.disposition() == Disposition::Reread && attempt < MAX_REREADS => {
                    tracing::info!(xdr_id = %pair.xdr_id, error = %e, "the SIEM twin moved on; reading again");
                    attempt += 1;
                    xdr = self
                        .sides
                        .read_xdr(pair)
                        .await?
                        .ok_or_else(|| EngineError::Gone(pair.xdr_id.clone()))?;
                    twin = self.sides.read_twin(pair).await?;
                }
                other => return other,
            }
        }
    }

    async fn sync_pair_once(
        &self,
        pair: &PairKey,
        xdr: &Incident,
        twin: Option<&Twin>,
    ) -> Result<PairOutcome, EngineError> {
        let states = States::read(xdr, twin)?;
        self.passed(Step::Read);
        let record = self.with_store(|s| s.pair(pair))?;
        let base = record.as_ref().map(|r| &r.base);
        let xdr_marker = &states.xdr.version.marker;
        let xdr_fresh = record
            .as_ref()
            .is_none_or(|r| r.landed.as_ref() != Some(xdr_marker));
        let input = ReconcileInput {
            pair,
            base,
            xdr: &states.xdr,
            siem: states.siem.as_ref(),
        };
        let reconciliation = self.reconciler.reconcile(&input);
        let planned = reconciliation.planned_writes(&input);
        if self.dry_run {
            self.describe(&planned, twin.is_none());
            return Ok(PairOutcome {
                writes: 0,
                quiet: planned.is_empty(),
            });
        }
        let conflicts = reconciliation.conflicts.len();
        self.with_store(|s| {
            s.commit(&Commit {
                at: Some(Timestamp::now()),
                plans: vec![PlanCommit {
                    pair: pair.clone(),
                    base: reconciliation.base.clone(),
                    writes: planned.clone(),
                    conflicts: reconciliation.conflicts.clone(),
                }],
                poll: None,
            })
        })?;
        self.passed(Step::Commit);
        self.metrics.conflicts(conflicts);
        let mut outcome = PairOutcome {
            writes: 0,
            quiet: planned.is_empty(),
        };
        for write in &planned {
            let attempts = self.attempts_so_far(write)?;
            let source = states.source_time(write.side);
            outcome.writes += usize::from(self.perform(write, attempts, source).await?);
        }
        let attached = self.land_alerts(pair, xdr, xdr_fresh).await?;
        if xdr_fresh {
            self.with_store(|s| s.mark_landed(pair, xdr_marker))?;
        }
        outcome.writes += attached;
        outcome.quiet &= attached == 0;
        Ok(outcome)
    }

    /// Performs a write (which failed `attempts` times before) and marks it done; returns whether a
    /// request changed the target. A write that a 409/412 overtook is marked done (the pair is
    /// reconciled again from fresh reads); one the target refused for good is set aside; one that failed
    /// for a passing reason waits in the outbox for its backoff, and is set aside
    /// ([`EngineError::GaveUp`]) once out of attempts.
    pub(crate) async fn perform(
        &self,
        write: &PlannedWrite,
        attempts: u32,
        source: Option<&Timestamp>,
    ) -> Result<bool, EngineError> {
        match self.sides.perform(write).await {
            Ok(performed) => {
                if performed.written.is_some() {
                    self.passed(Step::Write);
                }
                self.metrics.conflicts(performed.outcome.conflicts.len());
                let outcome = WriteOutcome {
                    at: Some(Timestamp::now()),
                    ..performed.outcome
                };
                self.with_store(|s| s.complete_write(&write.key, &outcome))?;
                self.passed(Step::Done);
                if let Some(kind) = performed.written {
                    self.metrics.write(write.side, kind);
                    if let Some(source) = source {
                        let lag = (chrono::Utc::now() - source.instant())
                            .to_std()
                            .unwrap_or_default();
                        self.metrics.lag(lag);
                    }
                }
                Ok(performed.written.is_some())
            }
            Err(e) => Err(self.failed(write, attempts, e)?),
        }
    }

    /// How often a write planned again already failed; an error when it waits for its backoff or was
    /// set aside (the pair then waits, or is quarantined, instead of trying it again now).
    fn attempts_so_far(&self, write: &PlannedWrite) -> Result<u32, EngineError> {
        let Some(entry) = self.with_store(|s| s.outbox_entry(&write.key))? else {
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
                    xdr_id: write.pair.xdr_id.clone(),
                    until: entry.retry_at.map(|at| at.to_string()).unwrap_or_default(),
                })
            }
            WriteState::Planned | WriteState::Done => Ok(entry.attempts),
        }
    }

    /// Records a failed write as its failure says, and returns the error to report.
    fn failed(
        &self,
        write: &PlannedWrite,
        attempts: u32,
        error: EngineError,
    ) -> Result<EngineError, EngineError> {
        let text = error.to_string();
        match error.disposition() {
            Disposition::Reread => {
                self.with_store(|s| s.complete_write(&write.key, &WriteOutcome::default()))?;
                Ok(error)
            }
            Disposition::Poison => {
                self.with_store(|s| s.set_aside_write(&write.key, &text))?;
                Ok(error)
            }
            Disposition::Transient if attempts + 1 >= self.settings.max_write_attempts => {
                let attempts = self.with_store(|s| s.set_aside_write(&write.key, &text))?;
                tracing::warn!(xdr_id = %write.pair.xdr_id, attempts, error = %text, "write set aside");
                Ok(EngineError::GaveUp {
                    attempts,
                    error: text,
                })
            }
            Disposition::Transient => {
                let delay =
                    chrono::Duration::from_std(self.settings.write_retry_delay(attempts + 1))
                        .unwrap_or(chrono::Duration::zero());
                let retry_at = Timestamp::from_instant(chrono::Utc::now() + delay);
                self.with_store(|s| s.retry_write_later(&write.key, &text, &retry_at))?;
                Ok(error)
            }
        }
    }

    /// Lands a new XDR version as table rows and attaches the alerts the twin lacks.
    async fn land_alerts(
        &self,
        pair: &PairKey,
        xdr: &Incident,
        fresh: bool,
    ) -> Result<usize, EngineError> {
        let mut writes = 0;
        if fresh {
            self.sides.ingest_rows(pair, xdr).await?;
            self.passed(Step::Rows);
            self.metrics
                .write(Side::Siem, super::metrics::WriteKind::Rows);
            writes += 1;
        }
        let attached = self.sides.attach_alerts(pair, xdr).await?;
        for _ in 0..attached {
            self.metrics
                .write(Side::Siem, super::metrics::WriteKind::Relation);
        }
        Ok(writes + attached)
    }

    /// Prints what a dry run would write.
    fn describe(&self, planned: &[PlannedWrite], creates_twin: bool) {
        for write in planned {
            let what = serde_json::to_string(&write.write).unwrap_or_default();
            let verb = if creates_twin && write.side == Side::Siem {
                "would create/write"
            } else {
                "would write"
            };
            self.report_line(format!(
                "{verb} {} for XDR incident {}: {what}",
                write.side, write.pair.xdr_id
            ));
        }
    }
}
