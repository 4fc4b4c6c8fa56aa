//! KQL (Kusto Query Language) for both servers: parsed once, with limits, and compiled to Apache
//! DataFusion logical plans rather than interpreted row by row, so a query streams through
//! DataFusion's vectorised operators under its memory pool.
//!
//! The crate knows nothing of where tables live: a caller registers tables in a DataFusion
//! `SessionContext` (the SIEM's log store, the XDR's hunting events) and hands it the query text:
//! [`compile`] returns the DataFrame, [`run`] its rows as Log Analytics answers them.

pub mod ast;
pub mod compile;
pub mod error;
pub mod functions;
pub mod lexer;
pub mod literal;
pub mod parser;
pub mod result;
pub mod types;

/// The DataFusion the plans are built with, for callers registering tables.
pub use datafusion;

pub use compile::{QueryOptions, compile};
pub use error::{FunctionError, KqlError};
pub use functions::TypedExpr;
pub use parser::parse;
pub use result::{KqlResult, run};
pub use types::{KQL_TYPE_KEY, KqlType};
