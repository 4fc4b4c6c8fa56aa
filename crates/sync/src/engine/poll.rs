//! Change detection: each side is polled for items changed since its watermark minus the overlap, page
//! by page; items already consumed (same change marker as the base) are skipped, the rest are synced
//! pair by pair, up to `sync.concurrency` pairs of a page at once (never two items of one pair at once).
//! The watermark advances only after every item of the batch is durably handled: its plan stored, or
//! the item quarantined.

use std::collections::BTreeMap;
use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use tandem_client::Pager;
use tandem_model::{Field, Timestamp};
use tandem_model::{graph, sentinel};
use uuid::Uuid;

use super::error::{Disposition, EngineError};
use super::pair::{PairOutcome, PairSync};
use super::sides::Twin;
use super::{Connector, PageProgress};
use crate::reconcile::{PairKey, Side};
use crate::store::{Commit, PollRecord, SyncStore};

/// What one poll of one side found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PollSummary {
    /// Items the side returned.
    pub items: usize,
    /// Items synced (not skipped as already consumed).
    pub synced: usize,
    /// Pairs that needed a write.
    pub changed: usize,
    /// Writes performed.
    pub writes: usize,
    /// Items that failed for a passing reason (the watermark then stays).
    pub deferred: usize,
    /// Items set aside.
    pub quarantined: usize,
}

/// Whether an item needs syncing, and how it ended.
pub(crate) enum Handled {
    Skipped,
    Synced(PairOutcome),
}

/// How a poll reads its side.
#[derive(Clone, Copy)]
pub(crate) enum Scope<'a> {
    /// Since the watermark minus the overlap; consumed items are skipped.
    Changes,
    /// Since the given time (a backfill); consumed items are skipped.
    Since(&'a Timestamp),
    /// Everything, nothing skipped (a full reconciliation); the watermark stays.
    Everything,
}

impl Connector {
    /// Polls the XDR and syncs what changed.
    pub(crate) async fn poll_xdr(
        &self,
        scope: Scope<'_>,
        progress: Option<&dyn PageProgress>,
    ) -> Result<PollSummary, EngineError> {
        let since = self.since(Side::Xdr, scope).await?;
        let pager = self
            .sides
            .graph
            .changed_since(since.as_ref(), self.settings.page_size)?;
        self.poll(
            Side::Xdr,
            scope,
            pager,
            progress,
            |incident: &graph::Incident| incident.last_update_date_time.get().cloned(),
        )
        .await
    }

    /// Polls the SIEM and syncs what changed in twins.
    pub(crate) async fn poll_siem(&self, scope: Scope<'_>) -> Result<PollSummary, EngineError> {
        let since = self.since(Side::Siem, scope).await?;
        let pager = self
            .sides
            .sentinel
            .changed_since(since.as_ref(), self.settings.page_size)?;
        self.poll(
            Side::Siem,
            scope,
            pager,
            None,
            |incident: &sentinel::Incident| {
                incident.properties.last_modified_time_utc.get().cloned()
            },
        )
        .await
    }

    /// The lower bound of a poll: the watermark less the overlap, or the backfill's date.
    async fn since(&self, side: Side, scope: Scope<'_>) -> Result<Option<Timestamp>, EngineError> {
        Ok(match scope {
            Scope::Everything => None,
            Scope::Since(date) => Some(date.clone()),
            Scope::Changes => self.store.watermark(side).await?.map(|w| {
                let overlap = chrono::Duration::from_std(self.settings.overlap())
                    .unwrap_or(chrono::Duration::zero());
                Timestamp::from_instant(w.instant() - overlap)
            }),
        })
    }

    /// Walks the pages, syncs each item, and advances the watermark if the whole batch was handled.
    async fn poll<T>(
        &self,
        side: Side,
        scope: Scope<'_>,
        mut pager: Pager<T>,
        progress: Option<&dyn PageProgress>,
        changed_at: impl Fn(&T) -> Option<Timestamp>,
    ) -> Result<PollSummary, EngineError>
    where
        T: serde::de::DeserializeOwned + PollItem,
    {
        let polled_at = Timestamp::now();
        let mut summary = PollSummary::default();
        let mut newest: Option<Timestamp> = None;
        let skip_consumed = !matches!(scope, Scope::Everything);
        while let Some(page) = pager.next_page().await? {
            let count = page.items.len();
            summary.items += count;
            newest = page
                .items
                .iter()
                .filter_map(&changed_at)
                .fold(newest, |n, at| n.max(Some(at)));
            for wave in waves(page.items, PollItem::id) {
                let mut handled = stream::iter(wave.into_iter().map(|item| async move {
                    let id = item.id();
                    (id, item.handle(self, skip_consumed).await)
                }))
                .buffer_unordered(self.settings.concurrency());
                while let Some((id, result)) = handled.next().await {
                    match result {
                        Ok(Handled::Skipped) => {}
                        Ok(Handled::Synced(outcome)) => {
                            summary.synced += 1;
                            summary.writes += outcome.writes;
                            summary.changed += usize::from(!outcome.quiet);
                            self.store.release(side, &id).await?;
                        }
                        Err(e) => self.set_aside(side, &id, &e, &mut summary).await?,
                    }
                }
            }
            if let Some(progress) = progress {
                progress.page(count);
            }
        }
        if skip_consumed && summary.deferred == 0 && !self.dry_run {
            self.advance(side, polled_at, newest, summary.items).await?;
        }
        Ok(summary)
    }

    /// Quarantines an item that cannot be handled, or counts it as deferred.
    async fn set_aside(
        &self,
        side: Side,
        id: &str,
        error: &EngineError,
        summary: &mut PollSummary,
    ) -> Result<(), EngineError> {
        match error.disposition() {
            Disposition::Poison => {
                tracing::warn!(%side, id, %error, "quarantined");
                self.store
                    .quarantine(side, id, &error.to_string(), &Timestamp::now())
                    .await?;
                self.metrics.quarantined();
                summary.quarantined += 1;
            }
            Disposition::Reread | Disposition::Transient => {
                tracing::warn!(%side, id, %error, "deferred to the next poll");
                summary.deferred += 1;
            }
        }
        Ok(())
    }

    /// Stores the new watermark with the poll's record.
    async fn advance(
        &self,
        side: Side,
        polled_at: Timestamp,
        newest: Option<Timestamp>,
        items: usize,
    ) -> Result<(), EngineError> {
        let watermark = match newest {
            Some(newest) => Some(newest),
            None => self.store.watermark(side).await?,
        };
        let Some(watermark) = watermark else {
            return Ok(());
        };
        let lag = (polled_at.instant() - watermark.instant())
            .to_std()
            .unwrap_or(Duration::ZERO);
        let poll = PollRecord {
            side,
            watermark,
            polled_at,
            items: u32::try_from(items).unwrap_or(u32::MAX),
            lag: (items > 0).then_some(lag),
        };
        let commit = Commit {
            at: None,
            plans: Vec::new(),
            poll: Some(poll),
        };
        self.store.commit(&commit).await?;
        self.passed(super::Step::Watermark);
        Ok(())
    }

    /// The pair a SIEM incident is the twin of; `None` for incidents the connector did not create.
    async fn twin_pair(&self, name: &Field<String>) -> Result<Option<PairKey>, EngineError> {
        let Some(uuid) = name.get().and_then(|n| Uuid::parse_str(n).ok()) else {
            return Ok(None);
        };
        Ok(self.store.pair_by_siem_name(&uuid).await?)
    }
}

/// Splits `items` into waves that each hold one item per key, keeping the order of a key's items, so
/// that the items of one wave can be handled at once without two of them working on the same pair.
pub(crate) fn waves<T, K: Ord>(items: Vec<T>, key: impl Fn(&T) -> K) -> Vec<Vec<T>> {
    let mut seen: BTreeMap<K, usize> = BTreeMap::new();
    let mut waves: Vec<Vec<T>> = Vec::new();
    for item in items {
        let count = seen.entry(key(&item)).or_default();
        if waves.len() <= *count {
            waves.push(Vec::new());
        }
        waves[*count].push(item);
        *count += 1;
    }
    waves
}

/// An item one side's poll returns.
pub(crate) trait PollItem {
    /// Its id on its side, for quarantine.
    fn id(&self) -> String;

    /// Syncs its pair, unless `skip_consumed` and the base already consumed this version.
    async fn handle(
        self,
        connector: &Connector,
        skip_consumed: bool,
    ) -> Result<Handled, EngineError>;
}

impl PollItem for graph::Incident {
    fn id(&self) -> String {
        self.id.clone()
    }

    async fn handle(
        self,
        connector: &Connector,
        skip_consumed: bool,
    ) -> Result<Handled, EngineError> {
        let pair = connector.sides.pair(&self.id);
        let sync = PairSync::new(connector, &pair);
        let marker = self.last_update_date_time.get().map(Timestamp::as_str);
        if skip_consumed && sync.consumed(Side::Xdr, marker).await? {
            return Ok(Handled::Skipped);
        }
        let twin = connector.sides.read_twin(&pair).await?;
        Ok(Handled::Synced(sync.sync(self, twin).await?))
    }
}

impl PollItem for sentinel::Incident {
    fn id(&self) -> String {
        self.name.get().cloned().unwrap_or_default()
    }

    async fn handle(
        self,
        connector: &Connector,
        skip_consumed: bool,
    ) -> Result<Handled, EngineError> {
        let Some(pair) = connector.twin_pair(&self.name).await? else {
            return Ok(Handled::Skipped);
        };
        let sync = PairSync::new(connector, &pair);
        let marker = self.etag.get().map(String::as_str);
        if skip_consumed && sync.consumed(Side::Siem, marker).await? {
            return Ok(Handled::Skipped);
        }
        let xdr = connector.sides.read_xdr(&pair).await?;
        let name = pair.siem_incident_name().to_string();
        let comments = connector.sides.sentinel.comments(&name).await?;
        let twin = Twin {
            incident: self,
            comments,
        };
        Ok(Handled::Synced(sync.sync(xdr, Some(twin)).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::waves;

    #[test]
    fn waves_hold_one_item_per_key_in_order() {
        let items = vec![("a", 1), ("b", 1), ("a", 2), ("c", 1), ("a", 3), ("b", 2)];
        let split = waves(items, |item| item.0);
        assert_eq!(
            split,
            vec![
                vec![("a", 1), ("b", 1), ("c", 1)],
                vec![("a", 2), ("b", 2)],
                vec![("a", 3)],
            ]
        );
    }
}
