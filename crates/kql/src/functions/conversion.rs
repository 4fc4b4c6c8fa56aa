//! KQL's conversions (`tostring`, `toint`, `tolong`, `todouble`/`toreal`, `tobool`,
//! `todatetime`, `totimespan`) and the two views every other family reads its arguments through:
//! [`to_text`] (a value as `tostring` gives it, never null) and [`to_json`] (a value as the JSON
//! text a `dynamic` holds).
//!
//! Kusto converts leniently: a value that does not convert is null (`toint("abc")`), never an
//! error. Text is read by the forms in [`super::text_forms`]; a `dynamic` is read through its
//! scalar (`todouble(dynamic("1.5"))` and `todouble(dynamic(1.5))` are both 1.5).

use std::sync::Arc;

use datafusion::arrow::array::Array;
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, DurationNanosecondArray, Float64Array, Int32Array, Int64Array,
    StringArray, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::functions::expr_fn::coalesce;
use datafusion::logical_expr::{Expr, cast, lit};

use super::args::exactly;
use super::kernel::{self, arg, call, done};
use super::text_forms::{
    NANOS_PER_TICK, format_instant, format_real, format_span, parse_instant, parse_span,
};
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// Ticks from 0001-01-01 to the Unix epoch, for `tolong(datetime)`.
const EPOCH_TICKS: i64 = 621_355_968_000_000_000;

/// The conversion functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "tostring" => |name, args| {
            let [value] = exactly(name, args)?;
            Ok(TypedExpr::new(to_text(value), KqlType::String))
        },
        "toint" => |name, args| convert(name, args, KqlType::Int),
        "tolong" => |name, args| convert(name, args, KqlType::Long),
        "todouble" | "toreal" => |name, args| convert(name, args, KqlType::Real),
        "tobool" | "toboolean" => |name, args| convert(name, args, KqlType::Bool),
        "todatetime" => |name, args| convert(name, args, KqlType::Datetime),
        "totimespan" => |name, args| convert(name, args, KqlType::Timespan),
        "toguid" => |name, args| convert(name, args, KqlType::Guid),
        _ => return None,
    };
    Some(builder)
}

fn convert(name: &str, args: Vec<TypedExpr>, target: KqlType) -> Result<TypedExpr, FunctionError> {
    let [value] = exactly(name, args)?;
    Ok(TypedExpr::new(convert_to(value, target), target))
}

/// A value converted to `target` as the `to<type>()` functions do.
pub(crate) fn convert_to(value: TypedExpr, target: KqlType) -> Expr {
    if value.kind == target {
        return value.expr;
    }
    let textual = matches!(
        value.kind,
        KqlType::String | KqlType::Guid | KqlType::Dynamic
    );
    match target {
        KqlType::String | KqlType::Guid => to_text(value),
        KqlType::Dynamic => to_json(value),
        _ if textual => parse_text(to_text(value), target),
        KqlType::Int | KqlType::Long | KqlType::Real => from_scalar(value, target),
        KqlType::Bool => match value.kind {
            KqlType::Int | KqlType::Long | KqlType::Real => value.expr.not_eq(lit(0)),
            _ => cast(value.expr, DataType::Boolean),
        },
        KqlType::Datetime | KqlType::Timespan => cast(value.expr, target.arrow_type()),
    }
}

/// A number from a non-text value: datetimes and timespans count 100-nanosecond ticks.
fn from_scalar(value: TypedExpr, target: KqlType) -> Expr {
    let arrow = target.arrow_type();
    let nanos = || cast(value.expr.clone(), DataType::Int64);
    match value.kind {
        KqlType::Timespan => cast(nanos() / lit(NANOS_PER_TICK), arrow),
        KqlType::Datetime => cast(nanos() / lit(NANOS_PER_TICK) + lit(EPOCH_TICKS), arrow),
        _ => cast(value.expr, arrow),
    }
}

/// Text read as `target`, null where it does not parse.
fn parse_text(text: Expr, target: KqlType) -> Expr {
    let (name, kernel): (&'static str, kernel::Kernel) = match target {
        KqlType::Int => ("toint", parse_int_kernel),
        KqlType::Long => ("tolong", parse_long_kernel),
        KqlType::Real => ("todouble", parse_real_kernel),
        KqlType::Bool => ("tobool", parse_bool_kernel),
        KqlType::Datetime => ("todatetime", parse_instant_kernel),
        KqlType::Timespan => ("totimespan", parse_span_kernel),
        KqlType::String | KqlType::Guid | KqlType::Dynamic => return text,
    };
    call(name, target.arrow_type(), kernel, vec![text])
}

/// A value as `tostring` gives it: never null (null is the empty string), a `dynamic` string
/// bare rather than quoted, any other `dynamic` as its JSON text.
pub(crate) fn to_text(value: TypedExpr) -> Expr {
    match value.kind {
        KqlType::String | KqlType::Guid => {
            cast(coalesce(vec![value.expr, lit("")]), DataType::Utf8)
        }
        KqlType::Dynamic => call(
            "tostring",
            DataType::Utf8,
            dynamic_text_kernel,
            vec![value.expr],
        ),
        _ => call(
            "tostring",
            DataType::Utf8,
            scalar_text_kernel,
            vec![value.expr],
        ),
    }
}

/// A value as the JSON text a `dynamic` holds: a string quoted (never null), a number bare, a
/// datetime or timespan as its quoted text; a null non-string stays null.
pub(crate) fn to_json(value: TypedExpr) -> Expr {
    match value.kind {
        KqlType::Dynamic => value.expr,
        KqlType::String | KqlType::Guid => {
            call("to_json", DataType::Utf8, quote_kernel, vec![value.expr])
        }
        _ => call(
            "to_json",
            DataType::Utf8,
            scalar_json_kernel,
            vec![value.expr],
        ),
    }
}

/// The bare text of a JSON value: a string unquoted, anything else as written; null is empty.
pub(crate) fn json_scalar_text(json: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(json) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(serde_json::Value::Null) => String::new(),
        _ => json.to_owned(),
    }
}

fn dynamic_text_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let json = kernel::texts(arg(args, 0)?)?;
    done(
        json.iter()
            .map(|value| Some(value.map(json_scalar_text).unwrap_or_default()))
            .collect::<StringArray>(),
    )
}

fn quote_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let text = kernel::texts(arg(args, 0)?)?;
    done(
        text.iter()
            .map(|value| Some(serde_json::Value::from(kernel::or_empty(value)).to_string()))
            .collect::<StringArray>(),
    )
}

/// Each value of a non-text array written by `write` (which sees it by row), null for null.
fn write_scalars(array: &ArrayRef, write: ScalarWriter) -> Result<StringArray> {
    let rows = array.len();
    let written: Vec<Option<String>> = match array.data_type() {
        DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => {
            let at: TimestampNanosecondArray = kernel::instants(array)?;
            (0..rows)
                .map(|row| at.is_valid(row).then(|| (write.instant)(at.value(row))))
                .collect()
        }
        DataType::Duration(_) => {
            let spans: DurationNanosecondArray = kernel::durations(array)?;
            (0..rows)
                .map(|row| spans.is_valid(row).then(|| (write.span)(spans.value(row))))
                .collect()
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
            let reals: Float64Array = kernel::reals(array)?;
            reals.iter().map(|value| value.map(write.real)).collect()
        }
        DataType::Boolean => {
            let flags: BooleanArray = kernel::bools(array)?;
            flags
                .iter()
                .map(|value| value.map(|flag| flag.to_string()))
                .collect()
        }
        DataType::Null => vec![None; rows],
        _ => kernel::texts(array)?
            .iter()
            .map(|value| value.map(str::to_owned))
            .collect(),
    };
    Ok(written.into_iter().collect())
}

/// How [`write_scalars`] writes each kind of value.
#[derive(Clone, Copy)]
struct ScalarWriter {
    instant: fn(i64) -> String,
    span: fn(i64) -> String,
    real: fn(f64) -> String,
}

fn scalar_text_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let writer = ScalarWriter {
        instant: format_instant,
        span: format_span,
        real: format_real,
    };
    let written = write_scalars(arg(args, 0)?, writer)?;
    done(
        written
            .iter()
            .map(|value| Some(value.unwrap_or_default()))
            .collect::<StringArray>(),
    )
}

fn scalar_json_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let writer = ScalarWriter {
        instant: |nanos| serde_json::Value::from(format_instant(nanos)).to_string(),
        span: |nanos| serde_json::Value::from(format_span(nanos)).to_string(),
        real: |value| {
            serde_json::Number::from_f64(value)
                .map_or_else(|| "null".to_owned(), |number| number.to_string())
        },
    };
    done(write_scalars(arg(args, 0)?, writer)?)
}

/// Reads a whole number from text: an integer, or a real truncated toward zero.
pub(crate) fn parse_long(text: &str) -> Option<i64> {
    let text = text.trim();
    text.parse::<i64>().ok().or_else(|| {
        let real = text.parse::<f64>().ok()?;
        (real.is_finite() && real.abs() < i64::MAX as f64).then_some(real.trunc() as i64)
    })
}

/// Reads a real from text.
pub(crate) fn parse_real(text: &str) -> Option<f64> {
    text.trim().parse::<f64>().ok()
}

/// Reads a boolean from text: `true`/`false` in any case, or a whole number (non-zero is true).
fn parse_bool(text: &str) -> Option<bool> {
    let text = text.trim();
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        text.parse::<i64>().ok().map(|number| number != 0)
    }
}

/// Parses each text with `parse`, an array of `A`.
fn parse_each<T, A>(args: &[ArrayRef], parse: fn(&str) -> Option<T>) -> Result<ArrayRef>
where
    A: FromIterator<Option<T>> + Array + 'static,
{
    let text = kernel::texts(arg(args, 0)?)?;
    let parsed: A = text.iter().map(|value| value.and_then(parse)).collect();
    Ok(Arc::new(parsed))
}

fn parse_int_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_each::<i32, Int32Array>(args, |text| {
        parse_long(text).and_then(|n| i32::try_from(n).ok())
    })
}

fn parse_long_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_each::<i64, Int64Array>(args, parse_long)
}

fn parse_real_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_each::<f64, Float64Array>(args, parse_real)
}

fn parse_bool_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_each::<bool, BooleanArray>(args, parse_bool)
}

fn parse_instant_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let text = kernel::texts(arg(args, 0)?)?;
    let parsed: TimestampNanosecondArray = text
        .iter()
        .map(|value| value.and_then(parse_instant))
        .collect();
    done(parsed.with_timezone("UTC"))
}

fn parse_span_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    parse_each::<i64, DurationNanosecondArray>(args, parse_span)
}
