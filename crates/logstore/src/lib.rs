//! The SIEM's log tables, stored for analytics: an acknowledged row is durable before the intake
//! answers, then lands in Parquet files partitioned by its time column, compacted in the
//! background. Queries read the tables through DataFusion table providers that skip the
//! partitions outside a query's time range and add the rows not yet flushed.
//!
//! - [`table`]: the table definitions, built-in (Sentinel's and the hunting tables) or defined.
//! - [`decode`]: JSON rows to Arrow batches, refusing a wrong value with its row and column.
//! - [`wal`]: the write-ahead log with group commit, replayed at open.
//! - [`files`]: partitions by day, Parquet files in an object store.
//! - [`catalog`]: the committed list of files and the log's flushed mark (SQLite now).
//! - [`provider`]: the DataFusion table provider that prunes by time.
//! - [`LogStore`]: all of it together, with the query session and its limits.

pub mod catalog;
pub mod deadline;
pub mod decode;
mod error;
pub mod files;
pub mod provider;
mod query;
mod store;
pub mod table;
pub mod wal;

pub use catalog::{Catalog, CatalogState, DataFile, SqliteCatalog};
pub use decode::DecodeError;
pub use error::{LogStoreError, Result};
pub use store::{CompactionReport, FlushReport, LogStore, LogStoreOptions, Table};
pub use table::TableDef;
