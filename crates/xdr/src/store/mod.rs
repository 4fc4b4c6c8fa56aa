//! Persistence: one SQLite database (WAL) under the data dir.
//!
//! Each incident and alert is kept as its Graph JSON document (written from and read into the model's
//! typed [`Incident`](tandem_model::graph::Incident) and [`Alert`](tandem_model::graph::Alert)) plus
//! the columns that `$filter`, `$orderby` and correlation use, derived on every write so the two never
//! disagree.
//! Writes run in one transaction at a time and take their `lastUpdateDateTime` from a single
//! [`UpdateClock`], so change feeds see strictly increasing times.

mod list;
mod queue;
mod rows;

use std::path::Path;
use std::sync::Mutex;

use chrono::Utc;
use rusqlite::Connection;

use crate::clock::UpdateClock;

pub use list::{Page, Table, count_matching, list};
pub use queue::{OwnerMatch, QueueCounts, QueueOrder, QueueQuery, counts, queue};
pub use rows::{
    AlertRecord, HistoryEntry, IncidentRecord, add_history, alert_by_id, alerts_of_incidents,
    filtered_alerts_of_incidents, history_of, incident_by_id, links_for, next_incident_id,
    save_alert, save_entities, save_incident,
};

/// A failure of the database itself (not of the request).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite reported an error.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored document is not valid JSON, or not a Graph incident or alert.
    #[error("stored document is corrupt: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// The database lock was poisoned by a panic in another request.
    #[error("database lock poisoned")]
    Poisoned,
}

/// The XDR database.
#[derive(Debug)]
pub struct Store {
    db: Mutex<Db>,
}

#[derive(Debug)]
struct Db {
    conn: Connection,
    clock: UpdateClock,
}

/// A write in progress: the open transaction and the update clock.
pub struct Change<'a> {
    /// The connection, inside the write transaction.
    pub conn: &'a Connection,
    clock: &'a mut UpdateClock,
}

impl Change<'_> {
    /// The next `lastUpdateDateTime`, in nanoseconds; strictly later than every earlier one.
    pub fn tick(&mut self) -> i64 {
        self.clock.tick(Utc::now())
    }

    /// Runs `f` inside a savepoint: its writes are kept when it returns `Ok` and undone when it returns
    /// `Err`, without touching the rest of the transaction.
    pub fn isolated<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&mut Change<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        self.conn
            .execute_batch("SAVEPOINT item")
            .map_err(StoreError::from)?;
        let result = f(self);
        let end = if result.is_ok() {
            "RELEASE item"
        } else {
            "ROLLBACK TO item; RELEASE item"
        };
        self.conn.execute_batch(end).map_err(StoreError::from)?;
        result
    }
}

impl Store {
    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(rows::SCHEMA)?;
        conn.execute_batch(queue::INDEXES)?;
        let last = rows::last_update(&conn)?;
        Ok(Store {
            db: Mutex::new(Db {
                conn,
                clock: UpdateClock::starting_after(last),
            }),
        })
    }

    /// Runs `f` in a write transaction, committing when it returns `Ok`.
    pub fn write<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&mut Change<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let mut db = self.db.lock().map_err(|_| StoreError::Poisoned)?;
        let Db { conn, clock } = &mut *db;
        let tx = conn.transaction().map_err(StoreError::from)?;
        let value = f(&mut Change { conn: &tx, clock })?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `f` with read access.
    pub fn read<T, E: From<StoreError>>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, E>,
    ) -> Result<T, E> {
        let db = self.db.lock().map_err(|_| StoreError::Poisoned)?;
        f(&db.conn)
    }
}
