//! The catalog: which Parquet files make up each table, and how far the write-ahead log has been
//! flushed into them. Committing to the catalog is what makes a flush or a compaction happen: a file
//! not in the catalog is not part of any table (and is deleted at open), and a segment of the log
//! at or below the flushed mark is never replayed. A file's entry and the flushed mark change in one
//! transaction, so a crash at any point neither loses nor duplicates a row.
//!
//! The catalog is a trait so it can live elsewhere (PostgreSQL beside object storage);
//! [`SqliteCatalog`] keeps it in a SQLite file beside the data.

use std::path::Path;
use std::sync::{Mutex, PoisonError};

use rusqlite::{Connection, params};

use crate::error::Result;
use crate::table::TableDef;

/// One Parquet file of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// The file's path in the object store.
    pub path: String,
    /// Its table.
    pub table: String,
    /// Its partition: the UTC day of its rows' time column (`2024-03-01`).
    pub partition: String,
    /// The earliest time in its rows' time column, in nanoseconds since the Unix epoch.
    pub min_time: i64,
    /// The latest time in its rows' time column, in nanoseconds since the Unix epoch.
    pub max_time: i64,
    /// How many rows it holds.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
}

/// What the catalog holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogState {
    /// Every live file.
    pub files: Vec<DataFile>,
    /// The last write-ahead log segment whose rows are all in `files`.
    pub flushed_through: u64,
    /// The tables defined beside the built-in ones.
    pub tables: Vec<TableDef>,
}

/// Where the file list and the flushed mark are committed.
pub trait Catalog: Send + Sync + std::fmt::Debug {
    /// Everything the catalog holds.
    fn load(&self) -> Result<CatalogState>;
    /// Adds `files` and moves the flushed mark to `flushed_through`, in one transaction.
    fn commit_flush(&self, files: &[DataFile], flushed_through: u64) -> Result<()>;
    /// Replaces `removed` (paths) by `added`, in one transaction.
    fn commit_compaction(&self, removed: &[String], added: &DataFile) -> Result<()>;
    /// Records (or replaces) a table's definition.
    fn define_table(&self, table: &TableDef) -> Result<()>;
}

/// The catalog in a SQLite file.
#[derive(Debug)]
pub struct SqliteCatalog {
    connection: Mutex<Connection>,
}

const SCHEMA: &str = "
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    CREATE TABLE IF NOT EXISTS files (
        path TEXT PRIMARY KEY,
        table_name TEXT NOT NULL,
        partition TEXT NOT NULL,
        min_time INTEGER NOT NULL,
        max_time INTEGER NOT NULL,
        rows INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS wal (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        flushed_through INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS tables (
        name TEXT PRIMARY KEY,
        time_column TEXT NOT NULL,
        columns TEXT NOT NULL
    );
";

impl SqliteCatalog {
    /// Opens (creating if needed) the catalog at `path`.
    pub fn open(path: &Path) -> Result<SqliteCatalog> {
        let connection = Connection::open(path)?;
        connection.execute_batch(SCHEMA)?;
        Ok(SqliteCatalog {
            connection: Mutex::new(connection),
        })
    }

    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

impl Catalog for SqliteCatalog {
    fn load(&self) -> Result<CatalogState> {
        let connection = self.connection();
        let mut statement = connection.prepare(
            "SELECT path, table_name, partition, min_time, max_time, rows, bytes FROM files ORDER BY path",
        )?;
        let files = statement
            .query_map([], |row| {
                Ok(DataFile {
                    path: row.get(0)?,
                    table: row.get(1)?,
                    partition: row.get(2)?,
                    min_time: row.get(3)?,
                    max_time: row.get(4)?,
                    rows: unsigned(row.get(5)?),
                    bytes: unsigned(row.get(6)?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let flushed_through = connection
            .query_row("SELECT flushed_through FROM wal WHERE id = 1", [], |row| {
                row.get(0)
            })
            .map(unsigned)
            .or_else(|error| match error {
                rusqlite::Error::QueryReturnedNoRows => Ok(0),
                other => Err(other),
            })?;
        let mut statement =
            connection.prepare("SELECT name, time_column, columns FROM tables ORDER BY name")?;
        let tables = statement
            .query_map([], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
            .into_iter()
            .map(|(name, time_column, columns)| table_from_row(name, time_column, &columns))
            .collect::<Result<Vec<_>>>()?;
        Ok(CatalogState {
            files,
            flushed_through,
            tables,
        })
    }

    fn commit_flush(&self, files: &[DataFile], flushed_through: u64) -> Result<()> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        for file in files {
            insert_file(&transaction, file)?;
        }
        transaction.execute(
            "INSERT INTO wal (id, flushed_through) VALUES (1, ?1)
             ON CONFLICT (id) DO UPDATE SET flushed_through = excluded.flushed_through",
            params![signed(flushed_through)],
        )?;
        transaction.commit()?;
        Ok(())
    }

    fn commit_compaction(&self, removed: &[String], added: &DataFile) -> Result<()> {
        let mut connection = self.connection();
        let transaction = connection.transaction()?;
        for path in removed {
            transaction.execute("DELETE FROM files WHERE path = ?1", params![path])?;
        }
        insert_file(&transaction, added)?;
        transaction.commit()?;
        Ok(())
    }

    fn define_table(&self, table: &TableDef) -> Result<()> {
        let columns: Vec<[&str; 2]> = table
            .columns
            .iter()
            .map(|(name, kind)| [name.as_str(), kind.name()])
            .collect();
        let columns = serde_json::to_string(&columns)
            .map_err(|e| crate::LogStoreError::Catalog(e.to_string()))?;
        self.connection().execute(
            "INSERT INTO tables (name, time_column, columns) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET time_column = excluded.time_column, columns = excluded.columns",
            params![table.name, table.time_column, columns],
        )?;
        Ok(())
    }
}

fn insert_file(transaction: &rusqlite::Transaction<'_>, file: &DataFile) -> Result<()> {
    transaction.execute(
        "INSERT INTO files (path, table_name, partition, min_time, max_time, rows, bytes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            file.path,
            file.table,
            file.partition,
            file.min_time,
            file.max_time,
            signed(file.rows),
            signed(file.bytes)
        ],
    )?;
    Ok(())
}

/// A table definition from its catalog row (columns as a JSON array of `[name, type]`).
fn table_from_row(name: String, time_column: String, columns: &str) -> Result<TableDef> {
    let corrupt = |why: String| crate::LogStoreError::Catalog(format!("table {name}: {why}"));
    let pairs: Vec<(String, String)> =
        serde_json::from_str(columns).map_err(|e| corrupt(e.to_string()))?;
    let columns = pairs
        .into_iter()
        .map(|(column, kind)| {
            Ok((
                column,
                kind.parse()
                    .map_err(|e: tandem_kql::types::UnknownType| corrupt(e.to_string()))?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(TableDef {
        name,
        time_column,
        columns,
    })
}

/// A count as SQLite stores it (a signed 64-bit integer).
fn signed(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// A count read back from SQLite.
fn unsigned(stored: i64) -> u64 {
    u64::try_from(stored).unwrap_or(0)
}
