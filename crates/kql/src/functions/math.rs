//! KQL's numeric functions: `bin`/`floor` (over numbers, datetimes and timespans), `round`,
//! `abs`, `log`, `log10`, `log2`, `exp`, `sqrt`, `pow`.
//!
//! `bin` rounds down to a multiple of its size: a datetime bin counts from 0001-01-01 (Kusto's
//! epoch), which matters for sizes that do not divide a day, so `bin(t, 7d)` starts weeks on a
//! Monday as Kusto does. A size of zero or less gives null; so does `sqrt` or `log` of a
//! negative number.

use datafusion::arrow::array::Array;
use datafusion::arrow::array::{
    ArrayRef, DurationNanosecondArray, Float64Array, Int64Array, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::functions::expr_fn::abs;
use datafusion::logical_expr::{Expr, cast};

use super::args::{between, exactly};
use super::kernel::{self, arg, call, done};
use super::text_forms::NANOS_PER_TICK;
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// Nanoseconds from 0001-01-01 to the Unix epoch.
const EPOCH_OFFSET_NANOS: i128 = 621_355_968_000_000_000 * NANOS_PER_TICK as i128;

/// The numeric functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "bin" | "floor" => bin,
        "round" => round,
        "abs" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(TypedExpr::new(abs(value.expr), value.kind))
        },
        "log" => |name, args| real_function(name, args, log_kernel),
        "log10" => |name, args| real_function(name, args, log10_kernel),
        "log2" => |name, args| real_function(name, args, log2_kernel),
        "exp" => |name, args| real_function(name, args, exp_kernel),
        "sqrt" => |name, args| real_function(name, args, sqrt_kernel),
        "pow" => |name, args| {
            let [base, exponent] = exactly(name, args)?;
            let args = vec![real(base), real(exponent)];
            Ok(TypedExpr::new(
                call("pow", DataType::Float64, pow_kernel, args),
                KqlType::Real,
            ))
        },
        _ => return None,
    };
    Some(builder)
}

fn real(value: TypedExpr) -> Expr {
    cast(value.expr, DataType::Float64)
}

fn bin(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let [value, size] = exactly(name, args)?;
    let (kind, kernel, size): (KqlType, kernel::Kernel, Expr) = match (value.kind, size.kind) {
        (KqlType::Datetime, _) => (
            KqlType::Datetime,
            bin_instant_kernel,
            cast(size.expr, DataType::Int64),
        ),
        (KqlType::Timespan, _) => (
            KqlType::Timespan,
            bin_span_kernel,
            cast(size.expr, DataType::Int64),
        ),
        (KqlType::Real, _) | (_, KqlType::Real) => (KqlType::Real, bin_real_kernel, real(size)),
        (kind, _) => (
            if kind == KqlType::Int {
                KqlType::Int
            } else {
                KqlType::Long
            },
            bin_long_kernel,
            cast(size.expr, DataType::Int64),
        ),
    };
    let value = match kind {
        KqlType::Real => real(value),
        KqlType::Datetime | KqlType::Timespan => value.expr,
        _ => cast(value.expr, DataType::Int64),
    };
    Ok(TypedExpr::new(
        call("bin", kind.arrow_type(), kernel, vec![value, size]),
        kind,
    ))
}

/// `value` rounded down to a multiple of `size` counted from `origin`, all in nanoseconds or
/// units; none when `size` is not positive.
fn floor_to(value: i64, size: i64, origin: i128) -> Option<i64> {
    if size <= 0 {
        return None;
    }
    let shifted = i128::from(value) + origin;
    let floored = shifted - shifted.rem_euclid(i128::from(size)) - origin;
    i64::try_from(floored).ok()
}

/// Each row's whole value and size, binned from `origin`.
fn bin_wholes(
    args: &[ArrayRef],
    values: Vec<Option<i64>>,
    origin: i128,
) -> Result<Vec<Option<i64>>> {
    let sizes = kernel::longs(arg(args, 1)?)?;
    Ok(values
        .into_iter()
        .zip(sizes.iter())
        .map(|(value, size)| floor_to(value?, size?, origin))
        .collect())
}

fn bin_instant_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let values = kernel::instants(arg(args, 0)?)?.iter().collect();
    let binned: TimestampNanosecondArray = bin_wholes(args, values, EPOCH_OFFSET_NANOS)?
        .into_iter()
        .collect();
    done(binned.with_timezone("UTC"))
}

fn bin_span_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let values = kernel::durations(arg(args, 0)?)?.iter().collect();
    done(
        bin_wholes(args, values, 0)?
            .into_iter()
            .collect::<DurationNanosecondArray>(),
    )
}

fn bin_long_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let values = kernel::longs(arg(args, 0)?)?.iter().collect();
    done(
        bin_wholes(args, values, 0)?
            .into_iter()
            .collect::<Int64Array>(),
    )
}

fn bin_real_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let values = kernel::reals(arg(args, 0)?)?;
    let sizes = kernel::reals(arg(args, 1)?)?;
    let binned: Float64Array = values
        .iter()
        .zip(sizes.iter())
        .map(|(value, size)| {
            let (value, size) = (value?, size?);
            (size > 0.0).then(|| (value / size).floor() * size)
        })
        .collect();
    done(binned)
}

fn round(name: &str, args: Vec<TypedExpr>) -> Result<TypedExpr, FunctionError> {
    let args = between(name, args, 1, 2)?;
    let kind = args.first().map_or(KqlType::Real, |value| value.kind);
    let kind = if matches!(kind, KqlType::Int | KqlType::Long) {
        kind
    } else {
        KqlType::Real
    };
    let exprs = args.into_iter().map(real).collect();
    Ok(TypedExpr::new(
        call("round", kind.arrow_type(), round_kernel, exprs),
        kind,
    ))
}

/// Rounds half away from zero to `precision` decimal places (negative rounds to tens, ...).
fn round_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let values = kernel::reals(arg(args, 0)?)?;
    let precisions = args.get(1).map(kernel::reals).transpose()?;
    let rounded: Float64Array = (0..values.len())
        .map(|row| {
            let value = values.is_valid(row).then(|| values.value(row))?;
            let precision = match &precisions {
                Some(precisions) => precisions.is_valid(row).then(|| precisions.value(row))?,
                None => 0.0,
            };
            let scale = 10_f64.powi(precision.clamp(-300.0, 300.0) as i32);
            Some((value * scale).round() / scale)
        })
        .collect();
    done(rounded)
}

fn real_function(
    name: &str,
    args: Vec<TypedExpr>,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let [value] = exactly(name, args)?;
    Ok(TypedExpr::new(
        call("math", DataType::Float64, kernel, vec![real(value)]),
        KqlType::Real,
    ))
}

/// Each real through `each`; a NaN result of a real input is null, as Kusto gives.
fn map_reals(args: &[ArrayRef], each: fn(f64) -> f64) -> Result<ArrayRef> {
    let values = kernel::reals(arg(args, 0)?)?;
    let mapped: Float64Array = values
        .iter()
        .map(|value| value.map(each).filter(|result| !result.is_nan()))
        .collect();
    done(mapped)
}

fn log_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_reals(args, f64::ln)
}

fn log10_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_reals(args, f64::log10)
}

fn log2_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_reals(args, f64::log2)
}

fn exp_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_reals(args, f64::exp)
}

fn sqrt_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_reals(args, f64::sqrt)
}

fn pow_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let bases = kernel::reals(arg(args, 0)?)?;
    let exponents = kernel::reals(arg(args, 1)?)?;
    let powers: Float64Array = bases
        .iter()
        .zip(exponents.iter())
        .map(|(base, exponent)| Some(base?.powf(exponent?)).filter(|result| !result.is_nan()))
        .collect();
    done(powers)
}
