//! The workspace's durable state: one SQLite database (WAL mode, bundled SQLite) under the data dir.
//!
//! Everything the SIEM knows lives here, so a restart keeps it all: the log tables and their rows
//! ([`logs`]), and the incidents with their comments and relations ([`incidents`]), indexed for the
//! console's queue ([`queue`]) and for the API's OData lists ([`list`]). Every write is one
//! transaction, so a request either lands whole or not at all.

pub mod incidents;
pub mod list;
pub mod logs;
pub mod queue;

use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, Transaction};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite refused the operation.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A stored document no longer parses (the database was edited by hand or is corrupt).
    #[error("stored data is unreadable: {0}")]
    Corrupt(#[from] serde_json::Error),
    /// A row the server built itself does not fit its table.
    #[error("row for table {table} does not fit column {column}: {message}")]
    RowMismatch {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// Why.
        message: String,
    },
}

/// The SQLite database behind the workspace.
///
/// One connection behind a mutex: SQLite serialises writers anyway, and a single connection makes every
/// read see every committed write. Calls block; async callers run them on a blocking thread.
#[derive(Debug)]
pub struct Store {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log_tables (
    name TEXT PRIMARY KEY,
    schema TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS log_rows (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    time_generated TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS log_rows_by_time ON log_rows (table_name, time_generated);
CREATE TABLE IF NOT EXISTS incidents (
    name TEXT PRIMARY KEY,
    number INTEGER NOT NULL UNIQUE,
    created TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    resource TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS incident_children (
    kind TEXT NOT NULL,
    incident TEXT NOT NULL,
    name TEXT NOT NULL,
    created TEXT NOT NULL,
    resource TEXT NOT NULL,
    PRIMARY KEY (kind, incident, name)
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
";

impl Store {
    /// Opens (creating if needed) the database at `path`, in WAL mode with full syncs.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let connection = Connection::open(path)?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(None, "synchronous", "FULL")?;
        connection.pragma_update(None, "busy_timeout", 5000)?;
        connection.execute_batch(SCHEMA)?;
        logs::prepare(&connection)?;
        queue::prepare(&connection)?;
        list::prepare(&connection)?;
        Ok(Store {
            connection: Mutex::new(connection),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave a half-done transaction: rusqlite rolls back a
        // dropped transaction. So a poisoned lock is safe to keep using.
        self.connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Runs `work` in one transaction, committing only if it returns `Ok`.
    pub(crate) fn write<T, E>(
        &self,
        work: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut connection = self.lock();
        let tx = connection.transaction().map_err(StoreError::from)?;
        let value = work(&tx)?;
        tx.commit().map_err(StoreError::from)?;
        Ok(value)
    }

    /// Runs `work` against the connection for reading.
    pub(crate) fn read<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        work(&self.lock())
    }
}

/// The path of an incident's properties inside its stored document.
const PROPERTIES: &str = "$.resource.properties";

/// The definition of a virtual text column holding `member` (a dotted path under the incident's
/// properties), compared ignoring ASCII case.
fn document_text_column(member: &str) -> String {
    format!(
        "TEXT COLLATE NOCASE GENERATED ALWAYS AS (json_extract(resource, '{PROPERTIES}.{member}')) VIRTUAL"
    )
}

/// Adds to `table` each of `columns` (name and definition, in order) it lacks; returns the names added.
/// Databases written by an older Tandem gain new columns this way when they open.
fn add_missing_columns(
    connection: &Connection,
    table: &str,
    columns: &[(String, String)],
) -> Result<Vec<String>, StoreError> {
    let existing: Vec<String> = connection
        .prepare(&format!("SELECT name FROM pragma_table_xinfo('{table}')"))?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut added = Vec::new();
    for (column, definition) in columns {
        if !existing.contains(column) {
            connection.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {column} {definition}"
            ))?;
            added.push(column.clone());
        }
    }
    Ok(added)
}
