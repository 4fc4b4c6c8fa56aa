//! The store's one error type: what failed, with the table, file or value involved.

use datafusion::arrow::error::ArrowError;
use datafusion::error::DataFusionError;
use datafusion::parquet::errors::ParquetError;

use crate::decode::DecodeError;

/// What went wrong in the log store.
#[derive(Debug, thiserror::Error)]
pub enum LogStoreError {
    /// No table has this name.
    #[error("table {0} does not exist")]
    UnknownTable(String),
    /// A table definition cannot be stored.
    #[error("invalid table definition: {0}")]
    InvalidTable(String),
    /// A batch of rows was refused; nothing of it was stored.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// A file operation failed.
    #[error("{action}: {source}")]
    Io {
        /// What was being done, with the path.
        action: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// An earlier write to the write-ahead log failed, so no later append can be acknowledged.
    #[error("the write-ahead log failed ({0}); the store must be reopened")]
    WalFailed(String),
    /// A record of the write-ahead log passed its checksum but could not be read back.
    #[error("write-ahead log segment {segment}: {reason}")]
    CorruptWal {
        /// The segment's file.
        segment: String,
        /// What is wrong.
        reason: String,
    },
    /// The catalog of files failed.
    #[error("catalog: {0}")]
    Catalog(String),
    /// A query exceeded its time limit.
    #[error("the query exceeded its time limit of {0:?}")]
    TimeLimit(std::time::Duration),
    /// Arrow failed (encoding or decoding a batch).
    #[error(transparent)]
    Arrow(#[from] ArrowError),
    /// Parquet failed (writing or reading a file).
    #[error(transparent)]
    Parquet(#[from] ParquetError),
    /// The object store failed.
    #[error(transparent)]
    ObjectStore(#[from] datafusion::object_store::Error),
    /// DataFusion failed (planning or running a query).
    #[error(transparent)]
    DataFusion(#[from] DataFusionError),
}

impl From<rusqlite::Error> for LogStoreError {
    fn from(error: rusqlite::Error) -> Self {
        LogStoreError::Catalog(error.to_string())
    }
}

/// The store's result type.
pub type Result<T, E = LogStoreError> = std::result::Result<T, E>;

/// A closure turning an I/O error into [`LogStoreError::Io`] with what was being done.
pub(crate) fn io_error(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> LogStoreError {
    let action = action.into();
    move |source| LogStoreError::Io { action, source }
}
