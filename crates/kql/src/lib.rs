//! KQL (Kusto Query Language) for both servers: parsed once, with limits, and compiled to Apache
//! DataFusion logical plans rather than interpreted row by row, so a query streams through
//! DataFusion's vectorised operators under its memory pool.
//!
//! The crate knows nothing of where tables live: a caller registers tables in a DataFusion
//! `SessionContext` (the SIEM's log store, the XDR's hunting events) and hands it the query text.

pub mod error;
pub mod functions;
pub mod types;

pub use error::{FunctionError, KqlError};
pub use functions::TypedExpr;
pub use types::{KQL_TYPE_KEY, KqlType};
