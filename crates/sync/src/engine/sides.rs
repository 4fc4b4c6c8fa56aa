//! The engine's hands: reading a pair's two incidents, and performing one planned write on its target
//! side idempotently.
//!
//! Every write rebases the planned change on what its target holds ([`Basis`]): the states the cycle
//! just read and planned from, which are not fetched again, or, for a write replayed from the outbox
//! after a crash or a failure, what the target holds now, read first. So a replayed write never undoes
//! an edit made since it was planned. SIEM field writes carry the etag they were based on in `If-Match`
//! (a twin that moved on since is read again by the pair); SIEM comments and relations have derived
//! names and are PUTs; an XDR comment is a POST, so the incident's comments are searched for the origin
//! marker first.

use std::borrow::Cow;
use std::collections::BTreeSet;

use tandem_model::graph::{Incident, IncidentUpdate};
use tandem_model::mapping::Provider;
use tandem_model::sentinel::IncidentComment;
use uuid::Uuid;

use super::error::EngineError;
use super::metrics::WriteKind;
use crate::config::SyncConfig;
use crate::reconcile::{
    CommentWrite, FieldPatch, PairKey, PlannedWrite, Side, TANDEM_NAMESPACE, Write,
};
use crate::sides::graph::{self, GraphClient};
use crate::sides::logs_ingestion::LogsIngestionClient;
use crate::sides::logs_ingestion::mapping::incident_rows;
use crate::sides::sentinel::{self, SentinelClient};
use crate::store::WriteOutcome;

/// A SIEM incident with its comments.
#[derive(Debug, Clone)]
pub struct Twin {
    /// The incident.
    pub incident: tandem_model::sentinel::Incident,
    /// Its comments.
    pub comments: Vec<IncidentComment>,
}

/// What performing a write did.
#[derive(Debug, Clone, Default)]
pub struct Performed {
    /// For the store: versions before and after, superseded changes.
    pub outcome: WriteOutcome,
    /// The kind of request made, or `None` when the target already showed the change.
    pub written: Option<WriteKind>,
}

/// What a write is based on: the state of its target that its change is rebased on.
#[derive(Debug, Clone, Copy)]
pub enum Basis<'a> {
    /// The pair's two incidents as the cycle just read them, and planned the write from.
    Read {
        /// The XDR incident.
        xdr: &'a Incident,
        /// Its twin with its comments; `None` before it is created.
        twin: Option<&'a Twin>,
    },
    /// Nothing read: a write replayed from the outbox reads its target first.
    Replay,
}

/// The three APIs and what the connector says about itself on them.
#[derive(Debug, Clone)]
pub struct Sides {
    /// The XDR.
    pub graph: GraphClient,
    /// The SIEM's incidents.
    pub sentinel: SentinelClient,
    /// The SIEM's tables.
    pub logs: LogsIngestionClient,
    /// The XDR tenant.
    pub tenant: String,
    /// The product name on twins and rows.
    pub provider: Provider,
    incident_stream: String,
    alert_stream: String,
}

impl Sides {
    /// Clients for every API `config` names (secrets and CA files are read now).
    pub fn new(config: &SyncConfig) -> Result<Sides, crate::config::SyncConfigError> {
        Ok(Sides {
            graph: GraphClient::new(&config.xdr)?,
            sentinel: SentinelClient::new(&config.siem)?,
            logs: LogsIngestionClient::new(&config.logs_ingestion)?,
            tenant: config.xdr.tenant().to_owned(),
            provider: config.xdr.provider(),
            incident_stream: config.logs_ingestion.incident_stream.clone(),
            alert_stream: config.logs_ingestion.alert_stream.clone(),
        })
    }

    /// The three clients' counters now.
    pub fn counters(&self) -> super::ApiCounters {
        super::ApiCounters {
            graph: self.graph.api().counters().snapshot(),
            arm: self.sentinel.api().counters().snapshot(),
            ingestion: self.logs.api().counters().snapshot(),
        }
    }

    /// The pair of an XDR incident.
    pub fn pair(&self, xdr_id: &str) -> PairKey {
        PairKey::new(self.tenant.clone(), xdr_id)
    }

    /// The XDR incident of a pair, with alerts; [`EngineError::Gone`] when it no longer exists.
    pub async fn read_xdr(&self, pair: &PairKey) -> Result<Incident, EngineError> {
        self.graph
            .incident(&pair.xdr_id)
            .await?
            .ok_or_else(|| EngineError::Gone(pair.xdr_id.clone()))
    }

    /// The SIEM twin of a pair with its comments; `None` before it is created.
    pub async fn read_twin(&self, pair: &PairKey) -> Result<Option<Twin>, EngineError> {
        let name = pair.siem_incident_name().to_string();
        let Some(incident) = self.sentinel.incident(&name).await? else {
            return Ok(None);
        };
        let comments = self.sentinel.comments(&name).await?;
        Ok(Some(Twin { incident, comments }))
    }

    /// Performs one planned write on what `basis` says the target holds.
    pub async fn perform(
        &self,
        write: &PlannedWrite,
        basis: Basis<'_>,
    ) -> Result<Performed, EngineError> {
        let pair = &write.pair;
        match (&write.side, &write.write) {
            (Side::Siem, Write::Fields { patch }) => self.siem_fields(pair, patch, basis).await,
            (Side::Xdr, Write::Fields { patch }) => self.xdr_fields(pair, patch, basis).await,
            (Side::Siem, Write::Comment(comment)) => self.siem_comment(pair, comment).await,
            (Side::Xdr, Write::Comment(comment)) => self.xdr_comment(pair, comment, basis).await,
        }
    }

    /// Creates the twin, or changes its fields under `If-Match`.
    async fn siem_fields(
        &self,
        pair: &PairKey,
        patch: &FieldPatch,
        basis: Basis<'_>,
    ) -> Result<Performed, EngineError> {
        let name = pair.siem_incident_name().to_string();
        let Some(current) = self.twin_of(pair, basis).await? else {
            return self.create_twin(pair, &name, patch, basis).await;
        };
        let before = sentinel::mapping::synced_incident(&current, &[])?;
        let rebased = patch.rebase(Side::Siem, &before.fields);
        let mut performed = Performed {
            outcome: WriteOutcome {
                conflicts: rebased.conflicts(Side::Siem),
                ..WriteOutcome::default()
            },
            written: None,
        };
        if rebased.patch.is_empty() {
            return Ok(performed);
        }
        let etag = current.etag.get().cloned();
        let mut body = current.into_owned();
        body.properties = sentinel::mapping::apply_patch(body.properties, &rebased.patch);
        let after = self
            .sentinel
            .put_incident(&name, &body, etag.as_deref())
            .await?;
        let after = sentinel::mapping::synced_incident(&after, &[])?;
        performed.outcome.versions = Some((before.version, after.version));
        performed.written = Some(WriteKind::Fields);
        Ok(performed)
    }

    /// Creates the twin `name` from the XDR incident, with `patch` applied.
    async fn create_twin(
        &self,
        pair: &PairKey,
        name: &str,
        patch: &FieldPatch,
        basis: Basis<'_>,
    ) -> Result<Performed, EngineError> {
        let xdr = self.xdr_of(pair, basis).await?;
        let mut twin = sentinel::mapping::new_twin(&xdr, &self.provider);
        twin.properties = sentinel::mapping::apply_patch(twin.properties, patch);
        self.sentinel.put_incident(name, &twin, None).await?;
        Ok(Performed {
            outcome: WriteOutcome::default(),
            written: Some(WriteKind::Fields),
        })
    }

    /// Changes the XDR incident's fields (absolute values: repeating the PATCH is harmless).
    async fn xdr_fields(
        &self,
        pair: &PairKey,
        patch: &FieldPatch,
        basis: Basis<'_>,
    ) -> Result<Performed, EngineError> {
        let current = self.xdr_of(pair, basis).await?;
        let before = graph::mapping::synced_incident(&current)?;
        let rebased = patch.rebase(Side::Xdr, &before.fields);
        let mut performed = Performed {
            outcome: WriteOutcome {
                conflicts: rebased.conflicts(Side::Xdr),
                ..WriteOutcome::default()
            },
            written: None,
        };
        let update = graph::mapping::incident_update(&rebased.patch, &before.fields);
        if update == IncidentUpdate::default() {
            return Ok(performed);
        }
        let after = self.graph.update(&pair.xdr_id, &update).await?;
        let after_version = graph::mapping::synced_incident(&after)
            .ok()
            .map(|s| s.version);
        performed.outcome.versions = after_version.map(|after| (before.version, after));
        performed.written = Some(WriteKind::Fields);
        Ok(performed)
    }

    /// Mirrors a comment into the twin under its derived name.
    async fn siem_comment(
        &self,
        pair: &PairKey,
        comment: &CommentWrite,
    ) -> Result<Performed, EngineError> {
        let name = pair.siem_incident_name().to_string();
        let comment_name = pair.siem_comment_name(&comment.origin).to_string();
        self.sentinel
            .put_comment(&name, &comment_name, &comment.body())
            .await?;
        Ok(Performed {
            outcome: WriteOutcome::default(),
            written: Some(WriteKind::Comment),
        })
    }

    /// Posts a comment to the XDR incident unless one carrying its origin marker is already there.
    async fn xdr_comment(
        &self,
        pair: &PairKey,
        comment: &CommentWrite,
        basis: Basis<'_>,
    ) -> Result<Performed, EngineError> {
        let current = self.xdr_of(pair, basis).await?;
        if graph::mapping::has_comment_from(&current, &comment.origin) {
            return Ok(Performed::default());
        }
        self.graph
            .add_comment(&pair.xdr_id, &comment.body())
            .await?;
        Ok(Performed {
            outcome: WriteOutcome::default(),
            written: Some(WriteKind::Comment),
        })
    }

    /// Lands this version of the incident and its alerts as table rows.
    pub async fn ingest_rows(&self, pair: &PairKey, xdr: &Incident) -> Result<(), EngineError> {
        let rows = incident_rows(xdr, &pair.siem_incident_name().to_string(), &self.provider);
        self.logs
            .upload(&self.incident_stream, &[rows.incident])
            .await?;
        if !rows.alerts.is_empty() {
            self.logs.upload(&self.alert_stream, &rows.alerts).await?;
        }
        Ok(())
    }

    /// Attaches every alert of the XDR incident that the twin lacks; returns how many were attached.
    pub async fn attach_alerts(
        &self,
        pair: &PairKey,
        xdr: &Incident,
    ) -> Result<usize, EngineError> {
        let name = pair.siem_incident_name().to_string();
        let attached: BTreeSet<String> = self
            .sentinel
            .relations(&name)
            .await?
            .into_iter()
            .filter_map(|r| r.properties.related_resource_name.get().cloned())
            .collect();
        let missing: Vec<&str> = xdr
            .alerts()
            .iter()
            .map(|a| a.id.as_str())
            .filter(|id| !attached.contains(*id))
            .collect();
        for alert in &missing {
            let relation = relation_name(pair, alert).to_string();
            self.sentinel.relate_alert(&name, &relation, alert).await?;
        }
        Ok(missing.len())
    }

    /// The XDR incident a write is based on: the one read, else the one the XDR holds now.
    async fn xdr_of<'a>(
        &self,
        pair: &PairKey,
        basis: Basis<'a>,
    ) -> Result<Cow<'a, Incident>, EngineError> {
        match basis {
            Basis::Read { xdr, .. } => Ok(Cow::Borrowed(xdr)),
            Basis::Replay => Ok(Cow::Owned(self.read_xdr(pair).await?)),
        }
    }

    /// The twin (without its comments) a write is based on: the one read, else the one the SIEM holds
    /// now; `None` before it is created.
    async fn twin_of<'a>(
        &self,
        pair: &PairKey,
        basis: Basis<'a>,
    ) -> Result<Option<Cow<'a, tandem_model::sentinel::Incident>>, EngineError> {
        match basis {
            Basis::Read { twin, .. } => Ok(twin.map(|t| Cow::Borrowed(&t.incident))),
            Basis::Replay => {
                let name = pair.siem_incident_name().to_string();
                Ok(self.sentinel.incident(&name).await?.map(Cow::Owned))
            }
        }
    }
}

/// The relation that attaches `alert` to a pair's twin: derived, so attaching twice is one relation.
fn relation_name(pair: &PairKey, alert: &str) -> Uuid {
    let text = format!("relation\n{}\n{}\n{alert}", pair.tenant, pair.xdr_id);
    Uuid::new_v5(&TANDEM_NAMESPACE, text.as_bytes())
}
