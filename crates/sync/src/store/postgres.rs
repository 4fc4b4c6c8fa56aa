//! [`SyncStore`] on PostgreSQL, through a pool of connections, so that the connector's state can live
//! outside its host and several connectors can share one database. Each operation keeps the SQLite
//! store's transactional promise: a commit stores plans, bases and the watermark in one transaction, and
//! completing a write is atomic (it locks the outbox entry and the pair's row while it advances the base).
//! Values are stored as the same text as in SQLite (`codec.rs`), so markers and timestamps come back
//! exactly as their services wrote them.

use std::time::Duration;

use deadpool_postgres::{
    GenericClient, Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime,
};
use tandem_model::Timestamp;
use tokio_postgres::types::ToSql;
use tokio_postgres::{NoTls, Row};
use uuid::Uuid;

use super::codec::{
    self, OUTBOX_COLUMNS, OutboxRow, PollRow, from_json, side_of, state_name, timestamp_of, to_json,
};
use super::migrate::{self, Migration};
use super::{
    Commit, ConflictRecord, OutboxEntry, PairRecord, PlanCommit, PollRecord, PollStatus,
    QuarantinedItem, StoreError, SyncStore, WriteOutcome, WriteState, error_chain, redact,
};
use crate::reconcile::{Base, Conflict, PairKey, Side};

/// Connections the pool opens at most: more than the pairs a connector syncs at once by default.
const POOL_SIZE: usize = 16;
/// How long opening a connection may take, unless the URL says (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a call waits for a free connection before it fails.
const WAIT_TIMEOUT: Duration = Duration::from_secs(30);

/// The schema's steps, in the same layout as the SQLite store's.
static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sql: "
CREATE TABLE pairs (
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    siem_name TEXT NOT NULL UNIQUE,
    base TEXT NOT NULL,
    landed TEXT,
    PRIMARY KEY (tenant, xdr_id)
);
CREATE TABLE outbox (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    side TEXT NOT NULL,
    write TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned', 'done', 'set_aside')),
    attempts BIGINT NOT NULL DEFAULT 0,
    retry_at TEXT,
    error TEXT
);
CREATE INDEX outbox_planned ON outbox (state, seq);
CREATE TABLE watermarks (
    side TEXT PRIMARY KEY,
    watermark TEXT NOT NULL
);
CREATE TABLE conflicts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    at TEXT,
    conflict TEXT NOT NULL
);
CREATE TABLE quarantine (
    side TEXT NOT NULL,
    item TEXT NOT NULL,
    error TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    PRIMARY KEY (side, item)
);
CREATE TABLE polls (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    side TEXT NOT NULL,
    polled_at TEXT NOT NULL,
    ok BOOLEAN NOT NULL,
    watermark TEXT,
    items BIGINT,
    lag_ms BIGINT,
    error TEXT
);
CREATE INDEX polls_side ON polls (side, id);
",
}];

/// Serialises migrations of one schema across connectors starting at once.
const MIGRATION_LOCK: &str = "SELECT pg_advisory_xact_lock(hashtext('tandem-sync schema ' || COALESCE(current_schema(), '')))";

/// A statement's parameters.
type Params<'a> = [&'a (dyn ToSql + Sync)];

/// The store on PostgreSQL: a pool of connections to the database a `postgres://` URL names. Tables go
/// in the connection's `search_path` (the URL's `options=-c search_path=…` picks a schema).
pub struct PgStore {
    pool: Pool,
    /// The URL with its password hidden, for errors.
    url: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").field("url", &self.url).finish()
    }
}

impl PgStore {
    /// Connects to the database at `url`, then creates or migrates the schema. A URL that cannot be
    /// parsed, or a database that cannot be reached, is an error naming the URL (password hidden).
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact(url);
        let bad = |reason: String| StoreError::BadUrl {
            url: shown.clone(),
            reason,
        };
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e| bad(format!("not a PostgreSQL URL: {e}")))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("tandem-sync");
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT_TIMEOUT))
            .create_timeout(Some(CONNECT_TIMEOUT))
            .build()
            .map_err(|e| bad(e.to_string()))?;
        let store = PgStore { pool, url: shown };
        let mut client = store.client().await?;
        migrate_schema(&mut client).await?;
        Ok(store)
    }

    /// A connection from the pool.
    async fn client(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| StoreError::Unreachable {
            url: self.url.clone(),
            reason: match &e {
                PoolError::Backend(source) => error_chain(source),
                other => other.to_string(),
            },
        })
    }
}

/// Applies the migrations the schema lacks, under a lock so that connectors starting at once do not
/// both apply them.
async fn migrate_schema(client: &mut Object) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute(MIGRATION_LOCK, &[]).await?;
    tx.batch_execute(migrate::VERSION_TABLE).await?;
    let current: i64 = tx
        .query_one(migrate::CURRENT_VERSION, &[])
        .await?
        .try_get(0)?;
    for migration in migrate::pending(&MIGRATIONS, current)? {
        tx.batch_execute(migration.sql).await?;
        let now = Timestamp::now();
        tx.execute(
            migrate::RECORD_VERSION,
            &[&migration.version, &now.as_str()],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Runs a query through the connection's statement cache.
async fn query(
    client: &impl GenericClient,
    sql: &str,
    params: &Params<'_>,
) -> Result<Vec<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query(&statement, params).await?)
}

/// Runs a query that returns at most one row.
async fn query_opt(
    client: &impl GenericClient,
    sql: &str,
    params: &Params<'_>,
) -> Result<Option<Row>, StoreError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.query_opt(&statement, params).await?)
}

/// Runs a statement; returns the rows it changed.
async fn execute(
    client: &impl GenericClient,
    sql: &str,
    params: &Params<'_>,
) -> Result<u64, StoreError> {
    let statement = client.prepare_cached(sql).await?;
    Ok(client.execute(&statement, params).await?)
}

/// The pair's base; `lock` holds its row until the transaction ends.
async fn load_base(
    client: &impl GenericClient,
    pair: &PairKey,
    lock: bool,
) -> Result<Option<Base>, StoreError> {
    let sql = if lock {
        "SELECT base FROM pairs WHERE tenant = $1 AND xdr_id = $2 FOR UPDATE"
    } else {
        "SELECT base FROM pairs WHERE tenant = $1 AND xdr_id = $2"
    };
    let row = query_opt(client, sql, &[&pair.tenant, &pair.xdr_id]).await?;
    row.map(|row| from_json("pairs.base", row.try_get(0)?))
        .transpose()
}

async fn store_base(
    client: &impl GenericClient,
    pair: &PairKey,
    base: &Base,
) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO pairs (tenant, xdr_id, siem_name, base) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant, xdr_id) DO UPDATE SET base = excluded.base",
        &[
            &pair.tenant,
            &pair.xdr_id,
            &pair.siem_incident_name().to_string(),
            &to_json(base),
        ],
    )
    .await?;
    Ok(())
}

async fn log_conflicts(
    client: &impl GenericClient,
    pair: &PairKey,
    at: Option<&Timestamp>,
    conflicts: &[Conflict],
) -> Result<(), StoreError> {
    for conflict in conflicts {
        execute(
            client,
            "INSERT INTO conflicts (tenant, xdr_id, at, conflict) VALUES ($1, $2, $3, $4)",
            &[
                &pair.tenant,
                &pair.xdr_id,
                &at.map(Timestamp::as_str),
                &to_json(conflict),
            ],
        )
        .await?;
    }
    Ok(())
}

async fn store_plan(
    client: &impl GenericClient,
    plan: &PlanCommit,
    at: Option<&Timestamp>,
) -> Result<(), StoreError> {
    store_base(client, &plan.pair, &plan.base).await?;
    for write in &plan.writes {
        execute(
            client,
            "INSERT INTO outbox (key, tenant, xdr_id, side, write, state)
             VALUES ($1, $2, $3, $4, $5, 'planned') ON CONFLICT (key) DO NOTHING",
            &[
                &write.key.to_string(),
                &write.pair.tenant,
                &write.pair.xdr_id,
                &write.side.as_str(),
                &to_json(&write.write),
            ],
        )
        .await?;
    }
    log_conflicts(client, &plan.pair, at, &plan.conflicts).await
}

async fn store_poll(client: &impl GenericClient, poll: &PollRecord) -> Result<(), StoreError> {
    execute(
        client,
        "INSERT INTO watermarks (side, watermark) VALUES ($1, $2)
         ON CONFLICT (side) DO UPDATE SET watermark = excluded.watermark",
        &[&poll.side.as_str(), &poll.watermark.as_str()],
    )
    .await?;
    execute(
        client,
        "INSERT INTO polls (side, polled_at, ok, watermark, items, lag_ms)
         VALUES ($1, $2, TRUE, $3, $4, $5)",
        &[
            &poll.side.as_str(),
            &poll.polled_at.as_str(),
            &poll.watermark.as_str(),
            &i64::from(poll.items),
            &poll.lag.map(codec::lag_millis),
        ],
    )
    .await?;
    Ok(())
}

/// Reads an outbox row selected as [`OUTBOX_COLUMNS`].
fn outbox_row(row: &Row) -> Result<OutboxRow, StoreError> {
    Ok(OutboxRow {
        seq: row.try_get(0)?,
        key: row.try_get(1)?,
        tenant: row.try_get(2)?,
        xdr_id: row.try_get(3)?,
        side: row.try_get(4)?,
        write: row.try_get(5)?,
        state: row.try_get(6)?,
        attempts: row.try_get(7)?,
        retry_at: row.try_get(8)?,
        error: row.try_get(9)?,
    })
}

/// The outbox entry with `key`; `lock` holds its row until the transaction ends.
async fn outbox_entry(
    client: &impl GenericClient,
    key: &Uuid,
    lock: bool,
) -> Result<Option<OutboxEntry>, StoreError> {
    let sql = format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = $1{}",
        if lock { " FOR UPDATE" } else { "" }
    );
    query_opt(client, &sql, &[&key.to_string()])
        .await?
        .map(|row| outbox_row(&row)?.decode())
        .transpose()
}

/// The outbox entries in `state`, in planning order.
async fn outbox_in_state(
    client: &impl GenericClient,
    state: WriteState,
) -> Result<Vec<OutboxEntry>, StoreError> {
    let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = $1 ORDER BY seq");
    query(client, &sql, &[&state_name(state)])
        .await?
        .iter()
        .map(|row| outbox_row(row)?.decode())
        .collect()
}

/// Counts a failed attempt of a write, with its error; `state` is where it goes next.
async fn count_failure(
    client: &impl GenericClient,
    key: &Uuid,
    state: WriteState,
    error: &str,
    retry_at: Option<&Timestamp>,
) -> Result<u32, StoreError> {
    let row = query_opt(
        client,
        "UPDATE outbox SET state = $2, attempts = attempts + 1, error = $3, retry_at = $4
         WHERE key = $1 RETURNING attempts",
        &[
            &key.to_string(),
            &state_name(state),
            &error,
            &retry_at.map(Timestamp::as_str),
        ],
    )
    .await?
    .ok_or(StoreError::UnknownWrite(*key))?;
    codec::count_of("outbox.attempts", row.try_get(0)?)
}

async fn watermark(
    client: &impl GenericClient,
    side: Side,
) -> Result<Option<Timestamp>, StoreError> {
    let row = query_opt(
        client,
        "SELECT watermark FROM watermarks WHERE side = $1",
        &[&side.as_str()],
    )
    .await?;
    row.map(|row| timestamp_of("watermarks.watermark", row.try_get(0)?))
        .transpose()
}

async fn last_success(
    client: &impl GenericClient,
    side: Side,
) -> Result<Option<PollRecord>, StoreError> {
    let row = query_opt(
        client,
        "SELECT polled_at, watermark, items, lag_ms FROM polls
         WHERE side = $1 AND ok ORDER BY id DESC LIMIT 1",
        &[&side.as_str()],
    )
    .await?;
    row.map(|row| {
        PollRow {
            polled_at: row.try_get(0)?,
            watermark: row.try_get(1)?,
            items: row.try_get(2)?,
            lag_ms: row.try_get(3)?,
        }
        .decode(side)
    })
    .transpose()
}

fn limit_of(count: usize) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

impl SyncStore for PgStore {
    async fn pair(&self, key: &PairKey) -> Result<Option<PairRecord>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT base, landed FROM pairs WHERE tenant = $1 AND xdr_id = $2",
            &[&key.tenant, &key.xdr_id],
        )
        .await?;
        row.map(|row| {
            Ok(PairRecord {
                key: key.clone(),
                siem_name: key.siem_incident_name(),
                base: from_json("pairs.base", row.try_get(0)?)?,
                landed: row.try_get(1)?,
            })
        })
        .transpose()
    }

    async fn pair_by_siem_name(&self, siem_name: &Uuid) -> Result<Option<PairKey>, StoreError> {
        let client = self.client().await?;
        let row = query_opt(
            &client,
            "SELECT tenant, xdr_id FROM pairs WHERE siem_name = $1",
            &[&siem_name.to_string()],
        )
        .await?;
        row.map(|row| {
            Ok(PairKey::new(
                row.try_get::<_, String>(0)?,
                row.try_get::<_, String>(1)?,
            ))
        })
        .transpose()
    }

    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        for plan in &commit.plans {
            store_plan(&tx, plan, commit.at.as_ref()).await?;
        }
        if let Some(poll) = &commit.poll {
            store_poll(&tx, poll).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn pending_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox_in_state(&self.client().await?, WriteState::Planned).await
    }

    async fn outbox_entry(&self, key: &Uuid) -> Result<Option<OutboxEntry>, StoreError> {
        outbox_entry(&self.client().await?, key, false).await
    }

    async fn set_aside_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox_in_state(&self.client().await?, WriteState::SetAside).await
    }

    async fn retry_write_later(
        &self,
        key: &Uuid,
        error: &str,
        retry_at: &Timestamp,
    ) -> Result<u32, StoreError> {
        let client = self.client().await?;
        count_failure(&client, key, WriteState::Planned, error, Some(retry_at)).await
    }

    async fn set_aside_write(&self, key: &Uuid, error: &str) -> Result<u32, StoreError> {
        let client = self.client().await?;
        count_failure(&client, key, WriteState::SetAside, error, None).await
    }

    async fn mark_landed(&self, pair: &PairKey, marker: &str) -> Result<(), StoreError> {
        execute(
            &self.client().await?,
            "UPDATE pairs SET landed = $3 WHERE tenant = $1 AND xdr_id = $2",
            &[&pair.tenant, &pair.xdr_id, &marker],
        )
        .await?;
        Ok(())
    }

    async fn complete_write(&self, key: &Uuid, outcome: &WriteOutcome) -> Result<(), StoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await?;
        let entry = outbox_entry(&tx, key, true)
            .await?
            .ok_or(StoreError::UnknownWrite(*key))?;
        let pair = &entry.write.pair;
        execute(
            &tx,
            "UPDATE outbox SET state = 'done' WHERE key = $1",
            &[&key.to_string()],
        )
        .await?;
        if let Some((before, after)) = &outcome.versions
            && let Some(mut base) = load_base(&tx, pair, true).await?
            && base.advance_after_write(entry.write.side, before, after.clone())
        {
            store_base(&tx, pair, &base).await?;
        }
        log_conflicts(&tx, pair, outcome.at.as_ref(), &outcome.conflicts).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn watermark(&self, side: Side) -> Result<Option<Timestamp>, StoreError> {
        watermark(&self.client().await?, side).await
    }

    async fn record_poll_failure(
        &self,
        side: Side,
        at: &Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        execute(
            &self.client().await?,
            "INSERT INTO polls (side, polled_at, ok, error) VALUES ($1, $2, FALSE, $3)",
            &[&side.as_str(), &at.as_str(), &error],
        )
        .await?;
        Ok(())
    }

    async fn poll_status(&self, side: Side, lags: usize) -> Result<PollStatus, StoreError> {
        let client = self.client().await?;
        let last_failure = query_opt(
            &client,
            "SELECT polled_at, error FROM polls WHERE side = $1 AND NOT ok ORDER BY id DESC LIMIT 1",
            &[&side.as_str()],
        )
        .await?
        .map(|row| Ok::<_, StoreError>((row.try_get(0)?, row.try_get(1)?)))
        .transpose()?;
        let recent_lags = query(
            &client,
            "SELECT lag_ms FROM polls WHERE side = $1 AND ok AND lag_ms IS NOT NULL
             ORDER BY id DESC LIMIT $2",
            &[&side.as_str(), &limit_of(lags)],
        )
        .await?
        .iter()
        .map(|row| Ok(codec::lag_of(row.try_get(0)?)))
        .collect::<Result<_, StoreError>>()?;
        Ok(PollStatus {
            watermark: watermark(&client, side).await?,
            last_success: last_success(&client, side).await?,
            last_failure,
            recent_lags,
        })
    }

    async fn conflicts(&self, limit: usize) -> Result<Vec<ConflictRecord>, StoreError> {
        query(
            &self.client().await?,
            "SELECT id, tenant, xdr_id, at, conflict FROM conflicts ORDER BY id DESC LIMIT $1",
            &[&limit_of(limit)],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(ConflictRecord {
                id: row.try_get(0)?,
                pair: PairKey::new(row.try_get::<_, String>(1)?, row.try_get::<_, String>(2)?),
                at: row.try_get(3)?,
                conflict: from_json("conflicts.conflict", row.try_get(4)?)?,
            })
        })
        .collect()
    }

    async fn quarantine(
        &self,
        side: Side,
        item: &str,
        error: &str,
        at: &Timestamp,
    ) -> Result<(), StoreError> {
        execute(
            &self.client().await?,
            "INSERT INTO quarantine (side, item, error, first_seen, last_seen, attempts)
             VALUES ($1, $2, $3, $4, $4, 1)
             ON CONFLICT (side, item) DO UPDATE SET
                error = excluded.error, last_seen = excluded.last_seen,
                attempts = quarantine.attempts + 1",
            &[&side.as_str(), &item, &error, &at.as_str()],
        )
        .await?;
        Ok(())
    }

    async fn release(&self, side: Side, item: &str) -> Result<bool, StoreError> {
        let removed = execute(
            &self.client().await?,
            "DELETE FROM quarantine WHERE side = $1 AND item = $2",
            &[&side.as_str(), &item],
        )
        .await?;
        Ok(removed > 0)
    }

    async fn quarantined(&self) -> Result<Vec<QuarantinedItem>, StoreError> {
        // Byte order, as SQLite sorts, whatever the database's collation.
        query(
            &self.client().await?,
            "SELECT side, item, error, first_seen, last_seen, attempts FROM quarantine
             ORDER BY first_seen COLLATE \"C\", side COLLATE \"C\", item COLLATE \"C\"",
            &[],
        )
        .await?
        .iter()
        .map(|row| {
            Ok(QuarantinedItem {
                side: side_of("quarantine.side", row.try_get(0)?)?,
                item: row.try_get(1)?,
                error: row.try_get(2)?,
                first_seen: row.try_get(3)?,
                last_seen: row.try_get(4)?,
                attempts: codec::count_of("quarantine.attempts", row.try_get(5)?)?,
            })
        })
        .collect()
    }
}
