//! [`SyncStore`] on a bundled SQLite file (by default in the data directory), in WAL mode. SQLite's calls
//! block, so each runs on a blocking thread, one at a time on the store's one connection.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};
use tandem_model::Timestamp;
use uuid::Uuid;

use super::codec::{
    self, OUTBOX_COLUMNS, OutboxRow, PollRow, from_json, side_of, state_name, timestamp_of, to_json,
};
use super::migrate::{self, Migration};
use super::{
    Commit, ConflictRecord, OutboxEntry, PairRecord, PlanCommit, PollRecord, PollStatus,
    QuarantinedItem, StoreError, SyncStore, WriteOutcome, WriteState,
};
use crate::reconcile::{Base, Conflict, PairKey, Side};

/// The file name of the store inside the data directory.
pub const FILE_NAME: &str = "sync.sqlite3";

/// The schema's steps. Version 1 is the layout stores had before versions were recorded (their
/// `PRAGMA user_version` 2), so its statements skip what exists: such a store is adopted as it is.
static MIGRATIONS: [Migration; 1] = [Migration {
    version: 1,
    sql: "
CREATE TABLE IF NOT EXISTS pairs (
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    siem_name TEXT NOT NULL UNIQUE,
    base TEXT NOT NULL,
    landed TEXT,
    PRIMARY KEY (tenant, xdr_id)
);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    side TEXT NOT NULL,
    write TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned', 'done', 'set_aside')),
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,
    error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_planned ON outbox (state, seq);
CREATE TABLE IF NOT EXISTS watermarks (
    side TEXT PRIMARY KEY,
    watermark TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS conflicts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    at TEXT,
    conflict TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS quarantine (
    side TEXT NOT NULL,
    item TEXT NOT NULL,
    error TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    PRIMARY KEY (side, item)
);
CREATE TABLE IF NOT EXISTS polls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    side TEXT NOT NULL,
    polled_at TEXT NOT NULL,
    ok INTEGER NOT NULL,
    watermark TEXT,
    items INTEGER,
    lag_ms INTEGER,
    error TEXT
);
CREATE INDEX IF NOT EXISTS polls_side ON polls (side, id);
",
}];

/// Brings a store of the oldest layout (`PRAGMA user_version` 1, before versions were recorded) to the
/// layout version 1 adopts: pairs remember the XDR version whose rows and alerts landed, and outbox
/// entries count failed attempts and can be set aside.
const FROM_USER_VERSION_1: &str = "
ALTER TABLE pairs ADD COLUMN landed TEXT;
DROP INDEX IF EXISTS outbox_planned;
ALTER TABLE outbox RENAME TO outbox_v1;
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL UNIQUE,
    tenant TEXT NOT NULL,
    xdr_id TEXT NOT NULL,
    side TEXT NOT NULL,
    write TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('planned', 'done', 'set_aside')),
    attempts INTEGER NOT NULL DEFAULT 0,
    retry_at TEXT,
    error TEXT
);
INSERT INTO outbox (seq, key, tenant, xdr_id, side, write, state)
    SELECT seq, key, tenant, xdr_id, side, write, state FROM outbox_v1;
DROP TABLE outbox_v1;
";

/// The embedded store: one SQLite file, written in WAL mode with full syncs.
pub struct SqliteStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the store [`FILE_NAME`] in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open_file(&data_dir.join(FILE_NAME))
    }

    /// Opens (creating it and its directory if needed) the store in the database file `path`, and
    /// migrates its schema. Blocks briefly: call it once, at start.
    pub fn open_file(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                source,
            })?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        migrate_schema(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
            path: path.to_owned(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `work` on the connection on a blocking thread, off the async workers. A panic in `work`
    /// goes on in the caller.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let conn = Arc::clone(&self.conn);
        let task = tokio::task::spawn_blocking(move || {
            // A panic elsewhere cannot leave the store half-written (its writes are transactions), so
            // a poisoned lock is taken over.
            let mut conn = conn.lock().unwrap_or_else(PoisonError::into_inner);
            work(&mut conn)
        });
        match task.await {
            Ok(result) => result,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(StoreError::Stopped(e.to_string())),
        }
    }
}

/// Applies the migrations the file lacks, adopting a store laid out before versions were recorded.
fn migrate_schema(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute_batch(migrate::VERSION_TABLE)?;
    let current: i64 = tx.query_row(migrate::CURRENT_VERSION, [], |row| row.get(0))?;
    let legacy: i64 = tx.pragma_query_value(None, "user_version", |row| row.get(0))?;
    if current == 0 && legacy == 1 {
        tx.execute_batch(FROM_USER_VERSION_1)?;
    }
    for migration in migrate::pending(&MIGRATIONS, current)? {
        tx.execute_batch(migration.sql)?;
        tx.execute(
            migrate::RECORD_VERSION,
            params![migration.version, Timestamp::now().as_str()],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn load_base(conn: &Connection, pair: &PairKey) -> Result<Option<Base>, StoreError> {
    let text: Option<String> = conn
        .query_row(
            "SELECT base FROM pairs WHERE tenant = ?1 AND xdr_id = ?2",
            params![pair.tenant, pair.xdr_id],
            |row| row.get(0),
        )
        .optional()?;
    text.map(|t| from_json("pairs.base", t)).transpose()
}

fn store_base(conn: &Connection, pair: &PairKey, base: &Base) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO pairs (tenant, xdr_id, siem_name, base) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant, xdr_id) DO UPDATE SET base = excluded.base",
        params![
            pair.tenant,
            pair.xdr_id,
            pair.siem_incident_name().to_string(),
            to_json(base)
        ],
    )?;
    Ok(())
}

fn log_conflicts(
    conn: &Connection,
    pair: &PairKey,
    at: Option<&Timestamp>,
    conflicts: &[Conflict],
) -> Result<(), StoreError> {
    for conflict in conflicts {
        conn.execute(
            "INSERT INTO conflicts (tenant, xdr_id, at, conflict) VALUES (?1, ?2, ?3, ?4)",
            params![
                pair.tenant,
                pair.xdr_id,
                at.map(Timestamp::as_str),
                to_json(conflict)
            ],
        )?;
    }
    Ok(())
}

fn store_plan(
    conn: &Connection,
    plan: &PlanCommit,
    at: Option<&Timestamp>,
) -> Result<(), StoreError> {
    store_base(conn, &plan.pair, &plan.base)?;
    for write in &plan.writes {
        conn.execute(
            "INSERT OR IGNORE INTO outbox (key, tenant, xdr_id, side, write, state)
             VALUES (?1, ?2, ?3, ?4, ?5, 'planned')",
            params![
                write.key.to_string(),
                write.pair.tenant,
                write.pair.xdr_id,
                write.side.as_str(),
                to_json(&write.write)
            ],
        )?;
    }
    log_conflicts(conn, &plan.pair, at, &plan.conflicts)
}

fn store_poll(conn: &Connection, poll: &PollRecord) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO watermarks (side, watermark) VALUES (?1, ?2)
         ON CONFLICT (side) DO UPDATE SET watermark = excluded.watermark",
        params![poll.side.as_str(), poll.watermark.as_str()],
    )?;
    conn.execute(
        "INSERT INTO polls (side, polled_at, ok, watermark, items, lag_ms) VALUES (?1, ?2, 1, ?3, ?4, ?5)",
        params![
            poll.side.as_str(),
            poll.polled_at.as_str(),
            poll.watermark.as_str(),
            poll.items,
            poll.lag.map(codec::lag_millis)
        ],
    )?;
    Ok(())
}

fn store_commit(conn: &mut Connection, commit: &Commit) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    for plan in &commit.plans {
        store_plan(&tx, plan, commit.at.as_ref())?;
    }
    if let Some(poll) = &commit.poll {
        store_poll(&tx, poll)?;
    }
    tx.commit()?;
    Ok(())
}

/// Reads an outbox row selected as [`OUTBOX_COLUMNS`].
fn outbox_row(row: &Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        seq: row.get(0)?,
        key: row.get(1)?,
        tenant: row.get(2)?,
        xdr_id: row.get(3)?,
        side: row.get(4)?,
        write: row.get(5)?,
        state: row.get(6)?,
        attempts: row.get(7)?,
        retry_at: row.get(8)?,
        error: row.get(9)?,
    })
}

fn outbox_entry(conn: &Connection, key: &Uuid) -> Result<Option<OutboxEntry>, StoreError> {
    conn.query_row(
        &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?1"),
        params![key.to_string()],
        outbox_row,
    )
    .optional()?
    .map(OutboxRow::decode)
    .transpose()
}

/// The outbox entries in `state`, in planning order.
fn outbox_in_state(conn: &Connection, state: WriteState) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = ?1 ORDER BY seq"
    ))?;
    let rows = stmt
        .query_map(params![state_name(state)], outbox_row)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(OutboxRow::decode).collect()
}

/// Counts a failed attempt of a write, with its error; `state` is where it goes next.
fn count_failure(
    conn: &Connection,
    key: &Uuid,
    state: WriteState,
    error: &str,
    retry_at: Option<&Timestamp>,
) -> Result<u32, StoreError> {
    let attempts: i64 = conn
        .query_row(
            "UPDATE outbox SET state = ?2, attempts = attempts + 1, error = ?3, retry_at = ?4
             WHERE key = ?1 RETURNING attempts",
            params![
                key.to_string(),
                state_name(state),
                error,
                retry_at.map(Timestamp::as_str)
            ],
            |row| row.get(0),
        )
        .optional()?
        .ok_or(StoreError::UnknownWrite(*key))?;
    codec::count_of("outbox.attempts", attempts)
}

fn complete_write(
    conn: &mut Connection,
    key: &Uuid,
    outcome: &WriteOutcome,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    let entry = outbox_entry(&tx, key)?.ok_or(StoreError::UnknownWrite(*key))?;
    let pair = &entry.write.pair;
    tx.execute(
        "UPDATE outbox SET state = 'done' WHERE key = ?1",
        params![key.to_string()],
    )?;
    if let (Some((before, after)), Some(mut base)) = (&outcome.versions, load_base(&tx, pair)?)
        && base.advance_after_write(entry.write.side, before, after.clone())
    {
        store_base(&tx, pair, &base)?;
    }
    log_conflicts(&tx, pair, outcome.at.as_ref(), &outcome.conflicts)?;
    tx.commit()?;
    Ok(())
}

fn pair(conn: &Connection, key: &PairKey) -> Result<Option<PairRecord>, StoreError> {
    let landed: Option<String> = conn
        .query_row(
            "SELECT landed FROM pairs WHERE tenant = ?1 AND xdr_id = ?2",
            params![key.tenant, key.xdr_id],
            |row| row.get(0),
        )
        .optional()?
        .flatten();
    Ok(load_base(conn, key)?.map(|base| PairRecord {
        key: key.clone(),
        siem_name: key.siem_incident_name(),
        base,
        landed,
    }))
}

fn watermark(conn: &Connection, side: Side) -> Result<Option<Timestamp>, StoreError> {
    let text: Option<String> = conn
        .query_row(
            "SELECT watermark FROM watermarks WHERE side = ?1",
            params![side.as_str()],
            |row| row.get(0),
        )
        .optional()?;
    text.map(|t| timestamp_of("watermarks.watermark", t))
        .transpose()
}

fn poll_status(conn: &Connection, side: Side, lags: usize) -> Result<PollStatus, StoreError> {
    let last_success = conn
        .query_row(
            "SELECT polled_at, watermark, items, lag_ms FROM polls
             WHERE side = ?1 AND ok = 1 ORDER BY id DESC LIMIT 1",
            params![side.as_str()],
            |row| {
                Ok(PollRow {
                    polled_at: row.get(0)?,
                    watermark: row.get(1)?,
                    items: row.get(2)?,
                    lag_ms: row.get(3)?,
                })
            },
        )
        .optional()?
        .map(|row| row.decode(side))
        .transpose()?;
    let last_failure = conn
        .query_row(
            "SELECT polled_at, error FROM polls WHERE side = ?1 AND ok = 0 ORDER BY id DESC LIMIT 1",
            params![side.as_str()],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
        .optional()?;
    let mut stmt = conn.prepare(
        "SELECT lag_ms FROM polls WHERE side = ?1 AND ok = 1 AND lag_ms IS NOT NULL ORDER BY id DESC LIMIT ?2",
    )?;
    let limit = i64::try_from(lags).unwrap_or(i64::MAX);
    let recent_lags = stmt
        .query_map(params![side.as_str(), limit], |row| row.get::<_, i64>(0))?
        .map(|ms| ms.map(codec::lag_of))
        .collect::<Result<_, _>>()?;
    Ok(PollStatus {
        watermark: watermark(conn, side)?,
        last_success,
        last_failure,
        recent_lags,
    })
}

fn conflicts(conn: &Connection, limit: usize) -> Result<Vec<ConflictRecord>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT id, tenant, xdr_id, at, conflict FROM conflicts ORDER BY id DESC LIMIT ?1",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let rows = stmt
        .query_map(params![limit], |row| {
            Ok((
                row.get::<_, i64>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, Option<String>>(3)?,
                row.get::<_, String>(4)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, tenant, xdr_id, at, conflict)| {
            Ok(ConflictRecord {
                id,
                pair: PairKey::new(tenant, xdr_id),
                at,
                conflict: from_json("conflicts.conflict", conflict)?,
            })
        })
        .collect()
}

fn quarantined(conn: &Connection) -> Result<Vec<QuarantinedItem>, StoreError> {
    let mut stmt = conn.prepare(
        "SELECT side, item, error, first_seen, last_seen, attempts FROM quarantine ORDER BY first_seen, side, item",
    )?;
    let rows = stmt
        .query_map([], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
                row.get::<_, String>(3)?,
                row.get::<_, String>(4)?,
                row.get::<_, i64>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(side, item, error, first_seen, last_seen, attempts)| {
            Ok(QuarantinedItem {
                side: side_of("quarantine.side", side)?,
                item,
                error,
                first_seen,
                last_seen,
                attempts: codec::count_of("quarantine.attempts", attempts)?,
            })
        })
        .collect()
}

impl SyncStore for SqliteStore {
    async fn pair(&self, key: &PairKey) -> Result<Option<PairRecord>, StoreError> {
        let key = key.clone();
        self.run(move |c| pair(c, &key)).await
    }

    async fn pair_by_siem_name(&self, siem_name: &Uuid) -> Result<Option<PairKey>, StoreError> {
        let name = siem_name.to_string();
        self.run(move |c| {
            Ok(c.query_row(
                "SELECT tenant, xdr_id FROM pairs WHERE siem_name = ?1",
                params![name],
                |row| {
                    Ok(PairKey::new(
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                    ))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn commit(&self, commit: &Commit) -> Result<(), StoreError> {
        let commit = commit.clone();
        self.run(move |c| store_commit(c, &commit)).await
    }

    async fn pending_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.run(|c| outbox_in_state(c, WriteState::Planned)).await
    }

    async fn outbox_entry(&self, key: &Uuid) -> Result<Option<OutboxEntry>, StoreError> {
        let key = *key;
        self.run(move |c| outbox_entry(c, &key)).await
    }

    async fn set_aside_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        self.run(|c| outbox_in_state(c, WriteState::SetAside)).await
    }

    async fn retry_write_later(
        &self,
        key: &Uuid,
        error: &str,
        retry_at: &Timestamp,
    ) -> Result<u32, StoreError> {
        let (key, error, retry_at) = (*key, error.to_owned(), retry_at.clone());
        self.run(move |c| count_failure(c, &key, WriteState::Planned, &error, Some(&retry_at)))
            .await
    }

    async fn set_aside_write(&self, key: &Uuid, error: &str) -> Result<u32, StoreError> {
        let (key, error) = (*key, error.to_owned());
        self.run(move |c| count_failure(c, &key, WriteState::SetAside, &error, None))
            .await
    }

    async fn mark_landed(&self, pair: &PairKey, marker: &str) -> Result<(), StoreError> {
        let (pair, marker) = (pair.clone(), marker.to_owned());
        self.run(move |c| {
            c.execute(
                "UPDATE pairs SET landed = ?3 WHERE tenant = ?1 AND xdr_id = ?2",
                params![pair.tenant, pair.xdr_id, marker],
            )?;
            Ok(())
        })
        .await
    }

    async fn complete_write(&self, key: &Uuid, outcome: &WriteOutcome) -> Result<(), StoreError> {
        let (key, outcome) = (*key, outcome.clone());
        self.run(move |c| complete_write(c, &key, &outcome)).await
    }

    async fn watermark(&self, side: Side) -> Result<Option<Timestamp>, StoreError> {
        self.run(move |c| watermark(c, side)).await
    }

    async fn record_poll_failure(
        &self,
        side: Side,
        at: &Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        let (at, error) = (at.clone(), error.to_owned());
        self.run(move |c| {
            c.execute(
                "INSERT INTO polls (side, polled_at, ok, error) VALUES (?1, ?2, 0, ?3)",
                params![side.as_str(), at.as_str(), error],
            )?;
            Ok(())
        })
        .await
    }

    async fn poll_status(&self, side: Side, lags: usize) -> Result<PollStatus, StoreError> {
        self.run(move |c| poll_status(c, side, lags)).await
    }

    async fn conflicts(&self, limit: usize) -> Result<Vec<ConflictRecord>, StoreError> {
        self.run(move |c| conflicts(c, limit)).await
    }

    async fn quarantine(
        &self,
        side: Side,
        item: &str,
        error: &str,
        at: &Timestamp,
    ) -> Result<(), StoreError> {
        let (item, error, at) = (item.to_owned(), error.to_owned(), at.clone());
        self.run(move |c| {
            c.execute(
                "INSERT INTO quarantine (side, item, error, first_seen, last_seen, attempts)
                 VALUES (?1, ?2, ?3, ?4, ?4, 1)
                 ON CONFLICT (side, item) DO UPDATE SET
                    error = excluded.error, last_seen = excluded.last_seen,
                    attempts = quarantine.attempts + 1",
                params![side.as_str(), item, error, at.as_str()],
            )?;
            Ok(())
        })
        .await
    }

    async fn release(&self, side: Side, item: &str) -> Result<bool, StoreError> {
        let item = item.to_owned();
        self.run(move |c| {
            let removed = c.execute(
                "DELETE FROM quarantine WHERE side = ?1 AND item = ?2",
                params![side.as_str(), item],
            )?;
            Ok(removed > 0)
        })
        .await
    }

    async fn quarantined(&self) -> Result<Vec<QuarantinedItem>, StoreError> {
        self.run(|c| quarantined(c)).await
    }
}
