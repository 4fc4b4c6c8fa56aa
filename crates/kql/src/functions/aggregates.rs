//! KQL's aggregates for `summarize`: `count`, `countif`, `dcount`, `dcountif`, `sum`, `sumif`,
//! `avg`, `avgif`, `min`, `max`, `minif`, `maxif`, `stdev`, `variance`, `make_list`,
//! `make_set`, `make_bag` and their `_if` forms, `any`/`take_any`, `take_anyif`, `percentile`
//! and `percentiles`.
//!
//! DataFusion's own aggregates serve where their semantics are Kusto's (`dcount` is exact
//! `count(DISTINCT)`, `stdev` and `variance` are the sample forms); an `if` variant is the plain
//! aggregate with its predicate as the aggregate's filter, so rows where the predicate is false
//! or null are not counted.

use datafusion::arrow::datatypes::DataType;
use datafusion::functions_aggregate::expr_fn::{
    any_value, avg, count, count_distinct, max, min, stddev, sum, var_sample,
};
use datafusion::logical_expr::{Expr, ExprFunctionExt, cast, lit};

use super::args::{between, constant_count, constant_number, exactly, invalid};
use super::collect::{Collection, MAX_ITEMS, collect_call};
use super::conversion::{convert_to, to_json};
use super::dynamic::element;
use super::percentile::percentile_call;
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The aggregates by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "count" => |name, args| {
            let args = between(name, args, 0, 1)?;
            let counted = args
                .into_iter()
                .next()
                .map_or(lit(1_i64), |value| value.expr);
            Ok(long(count(counted)))
        },
        "countif" => |name, args| {
            let [predicate] = exactly(name, args)?;
            Ok(long(filtered(name, count(lit(1_i64)), predicate)?))
        },
        "dcount" => |name, args| {
            let args = between(name, args, 1, 2)?;
            let value = first(name, args)?;
            Ok(long(count_distinct(value.expr)))
        },
        "dcountif" => |name, args| {
            let args = between(name, args, 2, 3)?;
            let mut args = args.into_iter();
            let (value, predicate) = pair(name, args.next(), args.next())?;
            Ok(long(filtered(name, count_distinct(value.expr), predicate)?))
        },
        "sum" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(summed(value))
        },
        "sumif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            let summed = summed(value);
            Ok(TypedExpr::new(
                filtered(name, summed.expr, predicate)?,
                summed.kind,
            ))
        },
        "avg" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(averaged(value))
        },
        "avgif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            let averaged = averaged(value);
            Ok(TypedExpr::new(
                filtered(name, averaged.expr, predicate)?,
                averaged.kind,
            ))
        },
        "min" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(TypedExpr::new(min(value.expr), value.kind))
        },
        "max" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(TypedExpr::new(max(value.expr), value.kind))
        },
        "minif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            Ok(TypedExpr::new(
                filtered(name, min(value.expr), predicate)?,
                value.kind,
            ))
        },
        "maxif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            Ok(TypedExpr::new(
                filtered(name, max(value.expr), predicate)?,
                value.kind,
            ))
        },
        "stdev" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(real(stddev(as_real(value))))
        },
        "stdevif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            Ok(real(filtered(name, stddev(as_real(value)), predicate)?))
        },
        "variance" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(real(var_sample(as_real(value))))
        },
        "varianceif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            Ok(real(filtered(name, var_sample(as_real(value)), predicate)?))
        },
        "any" | "take_any" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(TypedExpr::new(any_value(value.expr), value.kind))
        },
        "take_anyif" | "anyif" => |name, args| {
            let [value, predicate] = exactly(name, args)?;
            Ok(TypedExpr::new(
                filtered(name, any_value(value.expr), predicate)?,
                value.kind,
            ))
        },
        "make_list" | "makelist" => |name, args| collection(name, args, Collection::List, false),
        "make_list_if" => |name, args| collection(name, args, Collection::List, true),
        "make_set" | "makeset" => |name, args| collection(name, args, Collection::Set, false),
        "make_set_if" => |name, args| collection(name, args, Collection::Set, true),
        "make_bag" => |name, args| collection(name, args, Collection::Bag, false),
        "make_bag_if" => |name, args| collection(name, args, Collection::Bag, true),
        "percentile" => percentile,
        "percentiles" => percentiles,
        _ => return None,
    };
    Some(builder)
}

fn long(expr: Expr) -> TypedExpr {
    TypedExpr::new(expr, KqlType::Long)
}

fn real(expr: Expr) -> TypedExpr {
    TypedExpr::new(expr, KqlType::Real)
}

fn as_real(value: TypedExpr) -> Expr {
    cast(value.expr, DataType::Float64)
}

fn first(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    args.into_iter().next().ok_or_else(|| FunctionError::Arity {
        name: name.to_owned(),
        expected: "1 or more".to_owned(),
        got: 0,
    })
}

fn pair(
    name: &str,
    value: Option<TypedExpr>,
    predicate: Option<TypedExpr>,
) -> Result<(TypedExpr, TypedExpr), FunctionError> {
    value.zip(predicate).ok_or_else(|| FunctionError::Arity {
        name: name.to_owned(),
        expected: "2 or more".to_owned(),
        got: 0,
    })
}

/// The aggregate counting only rows where `predicate` is true.
fn filtered(name: &str, aggregate: Expr, predicate: TypedExpr) -> Result<Expr, FunctionError> {
    aggregate
        .filter(predicate.expr)
        .build()
        .map_err(|error| invalid(name, error.to_string()))
}

/// `sum`: whole numbers sum to a long, reals to a real, timespans to a timespan.
fn summed(value: TypedExpr) -> TypedExpr {
    match value.kind {
        KqlType::Real => real(sum(value.expr)),
        KqlType::Timespan => TypedExpr::new(sum(value.expr), KqlType::Timespan),
        KqlType::Bool => long(sum(cast(value.expr, DataType::Int64))),
        _ => long(sum(cast(value.expr, DataType::Int64))),
    }
}

/// `avg`: a real, except that timespans average to a timespan.
fn averaged(value: TypedExpr) -> TypedExpr {
    match value.kind {
        KqlType::Timespan => TypedExpr::new(avg(value.expr), KqlType::Timespan),
        _ => real(avg(as_real(value))),
    }
}

/// `make_list`/`make_set`/`make_bag`, with `_if`'s predicate and the optional maximum size.
fn collection(
    name: &str,
    args: Vec<TypedExpr>,
    kind: Collection,
    conditional: bool,
) -> Result<TypedExpr, FunctionError> {
    let fixed = if conditional { 2 } else { 1 };
    let mut args = between(name, args, fixed, fixed + 1)?.into_iter();
    let value = first(name, args.next().into_iter().collect())?;
    let predicate = if conditional { args.next() } else { None };
    let max_items = args
        .next()
        .map(|size| constant_count(name, &size, "the maximum size", MAX_ITEMS))
        .transpose()?;
    let aggregate = collect_call(name, kind, max_items.unwrap_or(MAX_ITEMS), to_json(value));
    let aggregate = match predicate {
        Some(predicate) => filtered(name, aggregate, predicate)?,
        None => aggregate,
    };
    Ok(TypedExpr::new(aggregate, KqlType::Dynamic))
}

/// A percent argument: a constant from 0 to 100.
fn percent(name: &str, arg: &TypedExpr) -> Result<f64, FunctionError> {
    let percent = constant_number(name, arg, "the percentile")?;
    if (0.0..=100.0).contains(&percent) {
        Ok(percent)
    } else {
        Err(invalid(
            name,
            format!("the percentile is {percent}; it must be from 0 to 100"),
        ))
    }
}

/// The value a percentile is taken over, as reals, and the Arrow type the answer comes back as.
fn percentile_input(name: &str, value: TypedExpr) -> Result<(Expr, DataType), FunctionError> {
    match value.kind {
        KqlType::Int | KqlType::Long | KqlType::Real => {
            Ok((cast(value.expr, DataType::Float64), value.kind.arrow_type()))
        }
        KqlType::Datetime | KqlType::Timespan => Ok((
            cast(cast(value.expr, DataType::Int64), DataType::Float64),
            value.kind.arrow_type(),
        )),
        other => Err(invalid(
            name,
            format!("cannot take a percentile of a {other} value"),
        )),
    }
}

fn percentile(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let [value, percent_arg] = exactly(name, args)?;
    let percent = percent(name, &percent_arg)?;
    let kind = value.kind;
    let (values, value_type) = percentile_input(name, value)?;
    let expr = percentile_call("percentile", vec![percent], value_type, false, values);
    Ok(TypedExpr::new(expr, kind))
}

/// `percentiles(x, p1, p2, ...)`: one dynamic array holding the value at each percent, in order.
/// Kusto answers with one column per percent; [`percentiles_split`] turns the array into those
/// columns after the aggregation, named by [`percentile_column_name`].
fn percentiles(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 2, 101)?.into_iter();
    let value = first(name, args.next().into_iter().collect())?;
    let percents = args
        .map(|arg| percent(name, &arg))
        .collect::<Result<Vec<_>, _>>()?;
    let (values, value_type) = percentile_input(name, value)?;
    let expr = percentile_call("percentiles", percents, value_type, true, values);
    Ok(TypedExpr::new(expr, KqlType::Dynamic))
}

/// The columns Kusto gives for `percentiles(x, p1, ..., pn)`: given the aggregated array (a
/// column reference to the result of `aggregate_call("percentiles", ...)`), the kind of `x` and
/// the number of percents, the value at each percent as a value of `x`'s kind. Project each one
/// under [`percentile_column_name`].
pub fn percentiles_split(
    aggregated: TypedExpr,
    value_kind: KqlType,
    count: usize,
) -> Vec<TypedExpr> {
    (0..count)
        .map(|index| {
            let position = TypedExpr::new(lit(index as i64), KqlType::Long);
            let item = element(aggregated.clone(), position);
            TypedExpr::new(convert_to(item, value_kind), value_kind)
        })
        .collect()
}

/// Kusto's name for the column of percent `percent` of column `column`: `percentile_x_50`,
/// `percentile_x_99_5`.
pub fn percentile_column_name(column: &str, percent: f64) -> String {
    let percent = percent.to_string().replace('.', "_");
    format!("percentile_{column}_{percent}")
}
