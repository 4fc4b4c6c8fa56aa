//! The bounds every OData option is held to.
//!
//! A list endpoint is open to every reader, so its parser must stay cheap and shallow whatever the
//! query string holds: parsing and SQL generation recurse over the expression, and SQLite refuses
//! expressions deeper than 1,000. Requests past a bound get a 400 that names the option and the
//! bound, before any recursion deeper than the bound can happen.

/// How deeply `$filter` may nest parentheses and `not`.
pub const MAX_FILTER_DEPTH: usize = 32;

/// How many comparisons one `$filter` may hold.
pub const MAX_FILTER_TERMS: usize = 100;

/// The largest `$skip` (and any other count) a list accepts: the largest offset SQL can bind exactly.
pub const MAX_COUNT: u64 = i32::MAX as u64;
