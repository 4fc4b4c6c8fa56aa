//! Checking a call's arguments before it is compiled: how many there are, and reading the ones KQL
//! requires to be constants (a period name, a regular expression, a percentile) at compile time.

use datafusion::common::ScalarValue;
use datafusion::logical_expr::Expr;

use super::TypedExpr;
use crate::error::FunctionError;

/// The arguments as exactly `N` values, or an arity error.
pub(crate) fn exactly<const N: usize>(
    name: &str,
    args: Vec<TypedExpr>,
) -> Result<[TypedExpr; N], FunctionError> {
    let got = args.len();
    args.try_into().map_err(|_| FunctionError::Arity {
        name: name.to_owned(),
        expected: N.to_string(),
        got,
    })
}

/// The arguments, checked to number between `min` and `max`.
pub(crate) fn between(
    name: &str,
    args: Vec<TypedExpr>,
    min: usize,
    max: usize,
) -> Result<Vec<TypedExpr>, FunctionError> {
    if (min..=max).contains(&args.len()) {
        return Ok(args);
    }
    let expected = match max {
        usize::MAX => format!("{min} or more"),
        _ if min == max => min.to_string(),
        _ if max == min + 1 => format!("{min} or {max}"),
        _ => format!("{min} to {max}"),
    };
    Err(FunctionError::Arity {
        name: name.to_owned(),
        expected,
        got: args.len(),
    })
}

/// An argument error for `name`.
pub(crate) fn invalid(name: &str, message: impl Into<String>) -> FunctionError {
    FunctionError::Argument {
        name: name.to_owned(),
        message: message.into(),
    }
}

/// The constant behind an expression, looking through casts and aliases.
fn constant(expr: &Expr) -> Option<&ScalarValue> {
    match expr {
        Expr::Literal(value, _) => Some(value),
        Expr::Cast(cast) => constant(&cast.expr),
        Expr::Alias(alias) => constant(&alias.expr),
        _ => None,
    }
}

/// A string argument that must be a constant (`what` names it in the error).
pub(crate) fn constant_text(
    name: &str,
    arg: &TypedExpr,
    what: &str,
) -> Result<String, FunctionError> {
    match constant(&arg.expr) {
        Some(ScalarValue::Utf8(Some(text)))
        | Some(ScalarValue::LargeUtf8(Some(text)))
        | Some(ScalarValue::Utf8View(Some(text))) => Ok(text.clone()),
        _ => Err(invalid(name, format!("{what} must be a constant string"))),
    }
}

/// A numeric argument that must be a constant (`what` names it in the error).
pub(crate) fn constant_number(
    name: &str,
    arg: &TypedExpr,
    what: &str,
) -> Result<f64, FunctionError> {
    let number = match constant(&arg.expr) {
        Some(ScalarValue::Int8(Some(n))) => Some(f64::from(*n)),
        Some(ScalarValue::Int16(Some(n))) => Some(f64::from(*n)),
        Some(ScalarValue::Int32(Some(n))) => Some(f64::from(*n)),
        Some(ScalarValue::Int64(Some(n))) => Some(*n as f64),
        Some(ScalarValue::UInt32(Some(n))) => Some(f64::from(*n)),
        Some(ScalarValue::UInt64(Some(n))) => Some(*n as f64),
        Some(ScalarValue::Float64(Some(n))) => Some(*n),
        Some(ScalarValue::Float32(Some(n))) => Some(f64::from(*n)),
        _ => None,
    };
    number.ok_or_else(|| invalid(name, format!("{what} must be a constant number")))
}

/// A count argument (a maximum size) that must be a positive constant no larger than `limit`.
pub(crate) fn constant_count(
    name: &str,
    arg: &TypedExpr,
    what: &str,
    limit: usize,
) -> Result<usize, FunctionError> {
    let number = constant_number(name, arg, what)?;
    if number >= 1.0 && number <= limit as f64 && number.fract() == 0.0 {
        Ok(number as usize)
    } else {
        Err(invalid(
            name,
            format!("{what} is {number}; it must be a whole number from 1 to {limit}"),
        ))
    }
}
