//! KQL's scalar and aggregate functions, each compiled to a DataFusion expression over
//! [`TypedExpr`] arguments. The compiler resolves every call, and every string operator (`has`,
//! `contains`, `startswith`, ...), through [`scalar_call`] and [`aggregate_call`].
//!
//! Each family lives in its own module and answers for the names it knows; a function DataFusion
//! has with Kusto's semantics is used as is, any other is a kernel (see `kernel.rs`) or, for
//! aggregates, an accumulator of its own. Names are matched exactly, as Kusto does.
//!
//! Two conventions hold throughout. A `string` is never null in Kusto, so string functions read a
//! null as the empty string and never return null where Kusto returns `""`. A `dynamic` is JSON
//! text; [`member`] and [`element`] read into it, and a missing key or index is null.

mod aggregates;
mod args;
mod collect;
mod conditional;
mod conversion;
mod datetime;
mod dynamic;
mod encoding;
mod kernel;
mod math;
mod network;
mod percentile;
mod strings;
mod text_forms;

use datafusion::logical_expr::Expr;

pub use aggregates::{percentile_column_name, percentiles_split};
pub use dynamic::{element, member};

use crate::error::FunctionError;
use crate::types::KqlType;

/// A DataFusion expression with the KQL type of its value, which decides how functions treat it
/// (a `dynamic` value is JSON text; a `string` is plain text).
#[derive(Debug, Clone, PartialEq)]
pub struct TypedExpr {
    /// The expression.
    pub expr: Expr,
    /// Its KQL type.
    pub kind: KqlType,
}

impl TypedExpr {
    /// An expression of the given KQL type.
    pub fn new(expr: Expr, kind: KqlType) -> Self {
        Self { expr, kind }
    }
}

/// Compiles one call from its name and arguments.
type Builder = fn(&str, Vec<TypedExpr>) -> Result<TypedExpr, FunctionError>;

/// Compiles a call of the scalar function (or string operator) `name`.
///
/// The string operators are called by name with the left operand first: `has`, `has_cs`,
/// `hasprefix`, `hassuffix`, `contains`, `contains_cs`, `startswith`, `startswith_cs`,
/// `endswith`, `endswith_cs`, `has_any` and `has_all` (value, then the terms), `matches_regex`,
/// `in_ci` (`x in~ (a, b)`: the value, then the list) and `between` (value, low, high).
pub fn scalar_call(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let builder = strings::lookup(name)
        .or_else(|| conversion::lookup(name))
        .or_else(|| conditional::lookup(name))
        .or_else(|| dynamic::lookup(name))
        .or_else(|| datetime::lookup(name))
        .or_else(|| math::lookup(name))
        .or_else(|| encoding::lookup(name))
        .or_else(|| network::lookup(name))
        .ok_or_else(|| FunctionError::Unknown(name.to_owned()))?;
    builder(name, args)
}

/// Compiles a call of the aggregate function `name` as used in `summarize`.
///
/// The result is always a single DataFusion aggregate expression (a `*if` variant carries its
/// predicate as the aggregate's filter), so it can be handed to `DataFrame::aggregate` as is.
/// `percentiles` is the one aggregate Kusto spreads over several columns: see
/// [`percentiles_split`].
pub fn aggregate_call(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let builder =
        aggregates::lookup(name).ok_or_else(|| FunctionError::Unknown(name.to_owned()))?;
    builder(name, args)
}
