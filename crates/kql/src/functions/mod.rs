//! KQL's scalar and aggregate functions, each compiled to a DataFusion expression over
//! [`TypedExpr`] arguments. The compiler resolves every call, and every string operator (`has`,
//! `contains`, `startswith`, ...), through [`scalar_call`] and [`aggregate_call`].

use datafusion::logical_expr::Expr;

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

/// Compiles a call of the scalar function (or string operator) `name`.
pub fn scalar_call(name: &str, _args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    Err(FunctionError::Unknown(name.to_owned()))
}

/// Compiles a call of the aggregate function `name` as used in `summarize`.
pub fn aggregate_call(name: &str, _args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    Err(FunctionError::Unknown(name.to_owned()))
}
