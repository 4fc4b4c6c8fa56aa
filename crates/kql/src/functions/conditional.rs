//! KQL's conditional and null-testing functions: `iff`/`iif`, `case`, `coalesce`, `isempty`,
//! `isnotempty`, `isnull`, `isnotnull`, and the `between` operator.
//!
//! Kusto's rules: a `string` is never null (`isnull("")` is false, `isempty` is how one tests a
//! string), `coalesce` skips empty strings as well as nulls, and a null condition picks the
//! `else` branch.

use datafusion::functions::expr_fn::{coalesce, nullif};
use datafusion::logical_expr::{Expr, cast, lit, when};

use super::args::{between, exactly};
use super::conversion::convert_to;
use super::datetime::shift;
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The conditional functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "iff" | "iif" => |name, args| {
            let [condition, then, otherwise] = exactly(name, args)?;
            branches(vec![(condition.expr, then)], otherwise)
        },
        "case" => case,
        "coalesce" => coalesce_call,
        "isempty" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(boolean(is_empty(value)))
        },
        "isnotempty" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(boolean(!is_empty(value)))
        },
        "isnull" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(boolean(match value.kind {
                KqlType::String => lit(false),
                _ => value.expr.is_null(),
            }))
        },
        "isnotnull" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(boolean(match value.kind {
                KqlType::String => lit(true),
                _ => value.expr.is_not_null(),
            }))
        },
        "between" => between_call,
        _ => return None,
    };
    Some(builder)
}

fn boolean(expr: Expr) -> TypedExpr {
    TypedExpr::new(expr, KqlType::Bool)
}

/// The type several branches share: the widest number if all are numbers, else the first
/// branch's type.
pub(crate) fn common_kind(kinds: impl IntoIterator<Item = KqlType>) -> Option<KqlType> {
    let kinds: Vec<KqlType> = kinds.into_iter().collect();
    let numeric = |kind: &KqlType| matches!(kind, KqlType::Int | KqlType::Long | KqlType::Real);
    if !kinds.is_empty() && kinds.iter().all(numeric) {
        [KqlType::Real, KqlType::Long, KqlType::Int]
            .into_iter()
            .find(|widest| kinds.contains(widest))
    } else {
        kinds.first().copied()
    }
}

/// `CASE WHEN c1 THEN v1 ... ELSE otherwise END`, every branch converted to their common type.
fn branches(
    arms: Vec<(Expr, TypedExpr)>,
    otherwise: TypedExpr,
) -> Result<TypedExpr, FunctionError> {
    let kinds = arms
        .iter()
        .map(|(_, value)| value.kind)
        .chain([otherwise.kind]);
    let kind = common_kind(kinds).unwrap_or(otherwise.kind);
    let typed = |value: TypedExpr| cast(convert_to(value, kind), kind.arrow_type());
    let mut arms = arms.into_iter();
    let Some((condition, value)) = arms.next() else {
        return Ok(otherwise);
    };
    let mut case = when(condition, typed(value));
    for (condition, value) in arms {
        case = case.when(condition, typed(value));
    }
    let expr = case
        .otherwise(typed(otherwise))
        .map_err(|error| FunctionError::Argument {
            name: "case".to_owned(),
            message: error.to_string(),
        })?;
    Ok(TypedExpr::new(expr, kind))
}

fn case(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let args = between(name, args, 3, usize::MAX)?;
    if args.len().is_multiple_of(2) {
        return Err(FunctionError::Arity {
            name: name.to_owned(),
            expected: "an odd number of (condition, value pairs and an else)".to_owned(),
            got: args.len(),
        });
    }
    let mut args = args;
    let otherwise = args.pop().ok_or_else(|| FunctionError::Arity {
        name: name.to_owned(),
        expected: "3 or more".to_owned(),
        got: 0,
    })?;
    let mut args = args.into_iter();
    let mut arms = Vec::new();
    while let (Some(condition), Some(value)) = (args.next(), args.next()) {
        arms.push((condition.expr, value));
    }
    branches(arms, otherwise)
}

fn coalesce_call(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let args = between(name, args, 1, 64)?;
    let kind = common_kind(args.iter().map(|arg| arg.kind)).unwrap_or(KqlType::String);
    let textual = matches!(kind, KqlType::String | KqlType::Guid);
    let mut values: Vec<Expr> = args
        .into_iter()
        .map(|arg| {
            let value = cast(convert_to(arg, kind), kind.arrow_type());
            if textual {
                nullif(value, lit(""))
            } else {
                value
            }
        })
        .collect();
    if kind == KqlType::String {
        values.push(lit(""));
    }
    Ok(TypedExpr::new(coalesce(values), kind))
}

/// `isempty`: null, or (for text) the empty string; a dynamic empty string counts too.
fn is_empty(value: TypedExpr) -> Expr {
    match value.kind {
        KqlType::String | KqlType::Guid => value.expr.clone().is_null().or(value.expr.eq(lit(""))),
        KqlType::Dynamic => value
            .expr
            .clone()
            .is_null()
            .or(value.expr.clone().eq(lit("")))
            .or(value.expr.eq(lit("\"\""))),
        _ => value.expr.is_null(),
    }
}

/// `value between (low .. high)`, both ends included; for a datetime a timespan `high` counts
/// from `low`.
fn between_call(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let [value, low, high] = exactly(name, args)?;
    let high = if value.kind == KqlType::Datetime && high.kind == KqlType::Timespan {
        shift(low.expr.clone(), high.expr)
    } else {
        high.expr
    };
    let inside = value
        .expr
        .clone()
        .gt_eq(low.expr)
        .and(value.expr.lt_eq(high));
    Ok(boolean(inside))
}
