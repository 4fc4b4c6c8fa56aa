//! [`SyncStore`] on a bundled SQLite file in the data directory, in WAL mode.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_model::Timestamp;
use uuid::Uuid;

use super::{
    Commit, ConflictRecord, OutboxEntry, PairRecord, PlanCommit, PollRecord, PollStatus,
    QuarantinedItem, StoreError, SyncStore, WriteOutcome, WriteState,
};
use crate::reconcile::{Base, Conflict, PairKey, PlannedWrite, Side};

/// The file name of the store inside the data directory.
pub const FILE_NAME: &str = "sync.sqlite3";

const SCHEMA: &str = "
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
PRAGMA user_version = 2;
";

/// Brings a version 1 store to version 2: pairs remember the XDR version whose rows and alerts landed,
/// and outbox entries count failed attempts and can be set aside.
const MIGRATE_1_TO_2: &str = "
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

/// The columns an outbox row is read with ([`outbox_entry`]).
const OUTBOX_COLUMNS: &str =
    "seq, key, tenant, xdr_id, side, write, state, attempts, retry_at, error";

/// The bundled store: one SQLite file, written in WAL mode with full syncs.
pub struct SqliteStore {
    conn: Connection,
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
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::Io {
            path: data_dir.display().to_string(),
            source,
        })?;
        let path = data_dir.join(FILE_NAME);
        let conn = Connection::open(&path)?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |row| row.get(0))?;
        if version == 1 {
            conn.execute_batch(&format!("BEGIN; {MIGRATE_1_TO_2} COMMIT;"))?;
        }
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteStore { conn, path })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn from_json<T: DeserializeOwned>(column: &'static str, text: String) -> Result<T, StoreError> {
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: text,
    })
}

fn side_of(column: &'static str, text: String) -> Result<Side, StoreError> {
    Side::from_name(&text).ok_or(StoreError::Corrupt {
        column,
        message: "not a side (xdr or siem)".into(),
        value: text,
    })
}

fn timestamp_of(column: &'static str, text: String) -> Result<Timestamp, StoreError> {
    Timestamp::parse(&text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: text,
    })
}

fn uuid_of(column: &'static str, text: String) -> Result<Uuid, StoreError> {
    Uuid::parse_str(&text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: text,
    })
}

fn load_base(tx: &Connection, pair: &PairKey) -> Result<Option<Base>, StoreError> {
    let text: Option<String> = tx
        .query_row(
            "SELECT base FROM pairs WHERE tenant = ?1 AND xdr_id = ?2",
            params![pair.tenant, pair.xdr_id],
            |row| row.get(0),
        )
        .optional()?;
    text.map(|t| from_json("pairs.base", t)).transpose()
}

fn store_base(tx: &Transaction<'_>, pair: &PairKey, base: &Base) -> Result<(), StoreError> {
    tx.execute(
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
    tx: &Transaction<'_>,
    pair: &PairKey,
    at: Option<&Timestamp>,
    conflicts: &[Conflict],
) -> Result<(), StoreError> {
    for conflict in conflicts {
        tx.execute(
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
    tx: &Transaction<'_>,
    plan: &PlanCommit,
    at: Option<&Timestamp>,
) -> Result<(), StoreError> {
    store_base(tx, &plan.pair, &plan.base)?;
    for write in &plan.writes {
        tx.execute(
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
    log_conflicts(tx, &plan.pair, at, &plan.conflicts)
}

fn store_poll(tx: &Transaction<'_>, poll: &PollRecord) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO watermarks (side, watermark) VALUES (?1, ?2)
         ON CONFLICT (side) DO UPDATE SET watermark = excluded.watermark",
        params![poll.side.as_str(), poll.watermark.as_str()],
    )?;
    tx.execute(
        "INSERT INTO polls (side, polled_at, ok, watermark, items, lag_ms) VALUES (?1, ?2, 1, ?3, ?4, ?5)",
        params![
            poll.side.as_str(),
            poll.polled_at.as_str(),
            poll.watermark.as_str(),
            poll.items,
            poll.lag.map(|l| i64::try_from(l.as_millis()).unwrap_or(i64::MAX))
        ],
    )?;
    Ok(())
}

/// An outbox row as stored.
struct OutboxRow {
    seq: i64,
    key: String,
    tenant: String,
    xdr_id: String,
    side: String,
    write: String,
    state: String,
    attempts: u32,
    retry_at: Option<String>,
    error: Option<String>,
}

/// Reads an outbox row selected as [`OUTBOX_COLUMNS`].
fn outbox_entry(row: &Row<'_>) -> rusqlite::Result<OutboxRow> {
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

fn decode_outbox(row: OutboxRow) -> Result<OutboxEntry, StoreError> {
    let state = match row.state.as_str() {
        "planned" => WriteState::Planned,
        "done" => WriteState::Done,
        "set_aside" => WriteState::SetAside,
        _ => {
            return Err(StoreError::Corrupt {
                column: "outbox.state",
                message: "not a write state (planned, done or set_aside)".into(),
                value: row.state,
            });
        }
    };
    Ok(OutboxEntry {
        seq: row.seq,
        write: PlannedWrite {
            key: uuid_of("outbox.key", row.key)?,
            pair: PairKey::new(row.tenant, row.xdr_id),
            side: side_of("outbox.side", row.side)?,
            write: from_json("outbox.write", row.write)?,
        },
        state,
        attempts: row.attempts,
        retry_at: row
            .retry_at
            .map(|t| timestamp_of("outbox.retry_at", t))
            .transpose()?,
        error: row.error,
    })
}

/// The outbox entries in `state`, in planning order.
fn outbox_in_state(conn: &Connection, state: &str) -> Result<Vec<OutboxEntry>, StoreError> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {OUTBOX_COLUMNS} FROM outbox WHERE state = ?1 ORDER BY seq"
    ))?;
    let rows = stmt
        .query_map(params![state], outbox_entry)?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter().map(decode_outbox).collect()
}

/// Counts a failed attempt of a write, with its error; `state` is where it goes next.
fn count_failure(
    conn: &Connection,
    key: &Uuid,
    state: &str,
    error: &str,
    retry_at: Option<&Timestamp>,
) -> Result<u32, StoreError> {
    conn.query_row(
        "UPDATE outbox SET state = ?2, attempts = attempts + 1, error = ?3, retry_at = ?4
         WHERE key = ?1 RETURNING attempts",
        params![
            key.to_string(),
            state,
            error,
            retry_at.map(Timestamp::as_str)
        ],
        |row| row.get(0),
    )
    .optional()?
    .ok_or(StoreError::UnknownWrite(*key))
}

fn decode_poll(
    side: Side,
    (polled_at, watermark, items, lag_ms): (String, String, u32, Option<i64>),
) -> Result<PollRecord, StoreError> {
    Ok(PollRecord {
        side,
        watermark: timestamp_of("polls.watermark", watermark)?,
        polled_at: timestamp_of("polls.polled_at", polled_at)?,
        items,
        lag: lag_ms.map(|ms| Duration::from_millis(ms.max(0).unsigned_abs())),
    })
}

impl SyncStore for SqliteStore {
    fn pair(&self, key: &PairKey) -> Result<Option<PairRecord>, StoreError> {
        let landed: Option<String> = self
            .conn
            .query_row(
                "SELECT landed FROM pairs WHERE tenant = ?1 AND xdr_id = ?2",
                params![key.tenant, key.xdr_id],
                |row| row.get(0),
            )
            .optional()?
            .flatten();
        Ok(load_base(&self.conn, key)?.map(|base| PairRecord {
            key: key.clone(),
            siem_name: key.siem_incident_name(),
            base,
            landed,
        }))
    }

    fn pair_by_siem_name(&self, siem_name: &Uuid) -> Result<Option<PairKey>, StoreError> {
        let found = self
            .conn
            .query_row(
                "SELECT tenant, xdr_id FROM pairs WHERE siem_name = ?1",
                params![siem_name.to_string()],
                |row| {
                    Ok(PairKey::new(
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                    ))
                },
            )
            .optional()?;
        Ok(found)
    }

    fn commit(&mut self, commit: &Commit) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        for plan in &commit.plans {
            store_plan(&tx, plan, commit.at.as_ref())?;
        }
        if let Some(poll) = &commit.poll {
            store_poll(&tx, poll)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn pending_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox_in_state(&self.conn, "planned")
    }

    fn outbox_entry(&self, key: &Uuid) -> Result<Option<OutboxEntry>, StoreError> {
        self.conn
            .query_row(
                &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?1"),
                params![key.to_string()],
                outbox_entry,
            )
            .optional()?
            .map(decode_outbox)
            .transpose()
    }

    fn set_aside_writes(&self) -> Result<Vec<OutboxEntry>, StoreError> {
        outbox_in_state(&self.conn, "set_aside")
    }

    fn retry_write_later(
        &mut self,
        key: &Uuid,
        error: &str,
        retry_at: &Timestamp,
    ) -> Result<u32, StoreError> {
        count_failure(&self.conn, key, "planned", error, Some(retry_at))
    }

    fn set_aside_write(&mut self, key: &Uuid, error: &str) -> Result<u32, StoreError> {
        count_failure(&self.conn, key, "set_aside", error, None)
    }

    fn mark_landed(&mut self, pair: &PairKey, marker: &str) -> Result<(), StoreError> {
        self.conn.execute(
            "UPDATE pairs SET landed = ?3 WHERE tenant = ?1 AND xdr_id = ?2",
            params![pair.tenant, pair.xdr_id, marker],
        )?;
        Ok(())
    }

    fn complete_write(&mut self, key: &Uuid, outcome: &WriteOutcome) -> Result<(), StoreError> {
        let tx = self.conn.transaction()?;
        let row = tx
            .query_row(
                &format!("SELECT {OUTBOX_COLUMNS} FROM outbox WHERE key = ?1"),
                params![key.to_string()],
                outbox_entry,
            )
            .optional()?
            .ok_or(StoreError::UnknownWrite(*key))?;
        let entry = decode_outbox(row)?;
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

    fn watermark(&self, side: Side) -> Result<Option<Timestamp>, StoreError> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT watermark FROM watermarks WHERE side = ?1",
                params![side.as_str()],
                |row| row.get(0),
            )
            .optional()?;
        text.map(|t| timestamp_of("watermarks.watermark", t))
            .transpose()
    }

    fn record_poll_failure(
        &mut self,
        side: Side,
        at: &Timestamp,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO polls (side, polled_at, ok, error) VALUES (?1, ?2, 0, ?3)",
            params![side.as_str(), at.as_str(), error],
        )?;
        Ok(())
    }

    fn poll_status(&self, side: Side, lags: usize) -> Result<PollStatus, StoreError> {
        let last_success = self
            .conn
            .query_row(
                "SELECT polled_at, watermark, items, lag_ms FROM polls
                 WHERE side = ?1 AND ok = 1 ORDER BY id DESC LIMIT 1",
                params![side.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
            )
            .optional()?
            .map(|row| decode_poll(side, row))
            .transpose()?;
        let last_failure = self
            .conn
            .query_row(
                "SELECT polled_at, error FROM polls WHERE side = ?1 AND ok = 0 ORDER BY id DESC LIMIT 1",
                params![side.as_str()],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .optional()?;
        let mut stmt = self.conn.prepare(
            "SELECT lag_ms FROM polls WHERE side = ?1 AND ok = 1 AND lag_ms IS NOT NULL ORDER BY id DESC LIMIT ?2",
        )?;
        let limit = i64::try_from(lags).unwrap_or(i64::MAX);
        let recent_lags = stmt
            .query_map(params![side.as_str(), limit], |row| row.get::<_, i64>(0))?
            .map(|ms| ms.map(|ms| Duration::from_millis(ms.max(0).unsigned_abs())))
            .collect::<Result<_, _>>()?;
        Ok(PollStatus {
            watermark: self.watermark(side)?,
            last_success,
            last_failure,
            recent_lags,
        })
    }

    fn conflicts(&self, limit: usize) -> Result<Vec<ConflictRecord>, StoreError> {
        let mut stmt = self.conn.prepare(
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

    fn quarantine(
        &mut self,
        side: Side,
        item: &str,
        error: &str,
        at: &Timestamp,
    ) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO quarantine (side, item, error, first_seen, last_seen, attempts)
             VALUES (?1, ?2, ?3, ?4, ?4, 1)
             ON CONFLICT (side, item) DO UPDATE SET
                error = excluded.error, last_seen = excluded.last_seen, attempts = attempts + 1",
            params![side.as_str(), item, error, at.as_str()],
        )?;
        Ok(())
    }

    fn release(&mut self, side: Side, item: &str) -> Result<bool, StoreError> {
        let removed = self.conn.execute(
            "DELETE FROM quarantine WHERE side = ?1 AND item = ?2",
            params![side.as_str(), item],
        )?;
        Ok(removed > 0)
    }

    fn quarantined(&self) -> Result<Vec<QuarantinedItem>, StoreError> {
        let mut stmt = self.conn.prepare(
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
                    row.get::<_, u32>(5)?,
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
                    attempts,
                })
            })
            .collect()
    }
}
