//! OData query options, parsed once for every list endpoint Tandem serves.
//!
//! Both servers page their lists the OData way: Graph's `/security/incidents` and `/security/alerts_v2`
//! in the XDR, and Sentinel's incident lists in the SIEM. This crate owns the grammar and the paging
//! rules so that the two cannot drift apart:
//!
//! - [`filter`]: the `$filter` tokenizer, its AST and its translation to an SQL condition with bound
//!   parameters, under [`limits`] that keep a hostile expression from exhausting the stack or the
//!   database's expression depth;
//! - [`list`]: `$top`, `$skip`, `$orderby`, `$count`, `$select`, `$expand` (with nested `$select` and
//!   `$filter`) and the keyset `$skiptoken`.
//!
//! Each service supplies what differs: the table of fields a list may filter and sort on, and the
//! [`filter::Dialect`] of its store.

pub mod filter;
pub mod limits;
pub mod list;

pub use list::{Cursor, Direction, Expandable, Expansion, ListQuery, ListSpec, Order, OrderField};

/// A query option that could not be used; answered with 400 naming the option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid {option}: {message}")]
pub struct QueryError {
    /// The query option, such as `$filter`.
    pub option: String,
    /// What was wrong, with the offending value.
    pub message: String,
}

impl QueryError {
    /// An error about `option`.
    pub fn new(option: &str, message: impl Into<String>) -> Self {
        QueryError {
            option: option.to_owned(),
            message: message.into(),
        }
    }
}
