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

/// `x.key` on a dynamic value. Placeholder (a null `dynamic`) until the dynamic family lands.
pub fn member(_base: TypedExpr, _key: &str) -> TypedExpr {
    null_dynamic()
}

/// `x[index]` on a dynamic value. Placeholder (a null `dynamic`) until the dynamic family lands.
pub fn element(_base: TypedExpr, _index: TypedExpr) -> TypedExpr {
    null_dynamic()
}

fn null_dynamic() -> TypedExpr {
    TypedExpr {
        expr: datafusion::logical_expr::lit(datafusion::common::ScalarValue::Utf8(None)),
        kind: KqlType::Dynamic,
    }
}
