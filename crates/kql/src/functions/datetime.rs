//! KQL's datetime and timespan functions: `now`, `ago`, `startofday`/`week`/`month`/`year`
//! and their `endof` twins, `dayofweek`, `hourofday`, `getmonth`, `getyear`, `dayofmonth`,
//! `dayofyear`, `datetime_diff`, `datetime_add`, `format_datetime`, `format_timespan`,
//! `make_datetime`, `unixtime_seconds_todatetime`, `unixtime_milliseconds_todatetime`.
//!
//! Calendar arithmetic is UTC, weeks start on Sunday, and an `endof` is the last tick (100 ns)
//! of its period, as in Kusto. `datetime_diff` counts the period boundaries crossed, so
//! `datetime_diff('year', 2017-01-01, 2016-12-31)` is 1.

use chrono::{DateTime, Datelike, Months, Timelike, Utc};
use datafusion::arrow::array::Array;
use datafusion::arrow::array::{
    ArrayRef, DurationNanosecondArray, Int32Array, Int64Array, StringArray,
    TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::DataType;
use datafusion::common::Result;
use datafusion::functions::expr_fn::now;
use datafusion::logical_expr::{Expr, cast, lit};

use super::args::{between, constant_text, exactly, invalid};
use super::conversion::to_text;
use super::kernel::{self, arg, call, done, or_empty};
use super::text_forms::{
    NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MINUTE, NANOS_PER_SECOND, NANOS_PER_TICK, instant,
    nanos_of,
};
use super::{Builder, TypedExpr};
use crate::error::FunctionError;
use crate::types::KqlType;

/// The datetime functions by name.
pub(crate) fn lookup(name: &str) -> Option<Builder> {
    let builder: Builder = match name {
        "now" => |name, args| {
            let args = between(name, args, 0, 1)?;
            let current = cast(now(), KqlType::Datetime.arrow_type());
            let expr = match args.into_iter().next() {
                Some(offset) => shift(current, offset.expr),
                None => current,
            };
            Ok(TypedExpr::new(expr, KqlType::Datetime))
        },
        "ago" => |name, args| {
            let [span] = exactly(name, args)?;
            let current = cast(now(), KqlType::Datetime.arrow_type());
            let back = lit(0_i64) - cast(span.expr, DataType::Int64);
            Ok(TypedExpr::new(shift(current, back), KqlType::Datetime))
        },
        "startofday" => |name, args| boundary(name, args, start_of_day_kernel),
        "startofweek" => |name, args| boundary(name, args, start_of_week_kernel),
        "startofmonth" => |name, args| boundary(name, args, start_of_month_kernel),
        "startofyear" => |name, args| boundary(name, args, start_of_year_kernel),
        "endofday" => |name, args| boundary(name, args, end_of_day_kernel),
        "endofweek" => |name, args| boundary(name, args, end_of_week_kernel),
        "endofmonth" => |name, args| boundary(name, args, end_of_month_kernel),
        "endofyear" => |name, args| boundary(name, args, end_of_year_kernel),
        "dayofweek" => |name, args| {
            let [at] = exactly(name, args)?;
            let expr = call(
                "dayofweek",
                KqlType::Timespan.arrow_type(),
                day_of_week_kernel,
                vec![at.expr],
            );
            Ok(TypedExpr::new(expr, KqlType::Timespan))
        },
        "hourofday" => |name, args| part(name, args, hour_kernel),
        "getmonth" | "monthofyear" => |name, args| part(name, args, month_kernel),
        "getyear" => |name, args| part(name, args, year_kernel),
        "dayofmonth" => |name, args| part(name, args, day_of_month_kernel),
        "dayofyear" => |name, args| part(name, args, day_of_year_kernel),
        "datetime_diff" => |name, args| {
            let [period, later, earlier] = exactly(name, args)?;
            let period = period_arg(name, &period)?;
            let expr = call(
                "datetime_diff",
                DataType::Int64,
                datetime_diff_kernel,
                vec![lit(period), later.expr, earlier.expr],
            );
            Ok(TypedExpr::new(expr, KqlType::Long))
        },
        "datetime_add" => |name, args| {
            let [period, amount, at] = exactly(name, args)?;
            let period = period_arg(name, &period)?;
            let args = vec![lit(period), cast(amount.expr, DataType::Int64), at.expr];
            let expr = call(
                "datetime_add",
                KqlType::Datetime.arrow_type(),
                datetime_add_kernel,
                args,
            );
            Ok(TypedExpr::new(expr, KqlType::Datetime))
        },
        "format_datetime" => |name, args| {
            let [at, format] = exactly(name, args)?;
            let expr = call(
                "format_datetime",
                DataType::Utf8,
                format_datetime_kernel,
                vec![at.expr, to_text(format)],
            );
            Ok(TypedExpr::new(expr, KqlType::String))
        },
        "format_timespan" => |name, args| {
            let [span, format] = exactly(name, args)?;
            let expr = call(
                "format_timespan",
                DataType::Utf8,
                format_timespan_kernel,
                vec![span.expr, to_text(format)],
            );
            Ok(TypedExpr::new(expr, KqlType::String))
        },
        "make_datetime" => |name, args| {
            let args = between(name, args, 3, 6)?;
            let exprs = args
                .into_iter()
                .map(|part| cast(part.expr, DataType::Float64))
                .collect();
            let expr = call(
                name,
                KqlType::Datetime.arrow_type(),
                make_datetime_kernel,
                exprs,
            );
            Ok(TypedExpr::new(expr, KqlType::Datetime))
        },
        "unixtime_seconds_todatetime" => |name, args| from_unix(name, args, NANOS_PER_SECOND),
        "unixtime_milliseconds_todatetime" => |name, args| from_unix(name, args, 1_000_000),
        _ => return None,
    };
    Some(builder)
}

/// An instant moved by a span (both as nanoseconds), as a datetime.
pub(crate) fn shift(at: Expr, span: Expr) -> Expr {
    let nanos = cast(at, DataType::Int64) + cast(span, DataType::Int64);
    cast(nanos, KqlType::Datetime.arrow_type())
}

/// A count of `unit_nanos` units since the Unix epoch as a datetime; a whole count is scaled
/// exactly, a real one through floating point.
fn from_unix(
    name: &str,
    args: Vec<TypedExpr>,
    unit_nanos: i64,
) -> Result<TypedExpr, FunctionError> {
    let [count] = exactly(name, args)?;
    let nanos = match count.kind {
        KqlType::Real => cast(
            cast(count.expr, DataType::Float64) * lit(unit_nanos as f64),
            DataType::Int64,
        ),
        _ => cast(count.expr, DataType::Int64) * lit(unit_nanos),
    };
    Ok(TypedExpr::new(
        cast(nanos, KqlType::Datetime.arrow_type()),
        KqlType::Datetime,
    ))
}

/// The periods `datetime_diff` and `datetime_add` take.
const PERIODS: [&str; 11] = [
    "year",
    "quarter",
    "month",
    "week",
    "day",
    "hour",
    "minute",
    "second",
    "millisecond",
    "microsecond",
    "nanosecond",
];

fn period_arg(name: &str, period: &TypedExpr) -> Result<String, FunctionError> {
    let text = constant_text(name, period, "the period")?.to_ascii_lowercase();
    if PERIODS.contains(&text.as_str()) {
        Ok(text)
    } else {
        Err(invalid(
            name,
            format!(
                "period is '{text}'; it must be one of {}",
                PERIODS.join(", ")
            ),
        ))
    }
}

fn boundary(
    name: &str,
    args: Vec<TypedExpr>,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let mut args = between(name, args, 1, 2)?.into_iter();
    let mut exprs = Vec::with_capacity(2);
    exprs.extend(args.next().map(|at| at.expr));
    exprs.extend(args.next().map(|offset| cast(offset.expr, DataType::Int64)));
    let expr = call(name, KqlType::Datetime.arrow_type(), kernel, exprs);
    Ok(TypedExpr::new(expr, KqlType::Datetime))
}

fn part(
    name: &str,
    args: Vec<TypedExpr>,
    kernel: kernel::Kernel,
) -> Result<TypedExpr, FunctionError> {
    let [at] = exactly(name, args)?;
    Ok(TypedExpr::new(
        call("datetime_part", DataType::Int32, kernel, vec![at.expr]),
        KqlType::Int,
    ))
}

/// A calendar period.
#[derive(Clone, Copy)]
enum Period {
    Day,
    Week,
    Month,
    Year,
}

/// The start of the period holding `at`, moved by `offset` periods.
fn period_start(at: DateTime<Utc>, period: Period, offset: i64) -> Option<DateTime<Utc>> {
    let midnight = at.date_naive().and_hms_opt(0, 0, 0)?.and_utc();
    let days = |count: i64| chrono::Duration::try_days(count);
    let months = |start: DateTime<Utc>, count: i64| {
        let magnitude = Months::new(u32::try_from(count.unsigned_abs()).ok()?);
        if count < 0 {
            start.checked_sub_months(magnitude)
        } else {
            start.checked_add_months(magnitude)
        }
    };
    match period {
        Period::Day => midnight.checked_add_signed(days(offset)?),
        Period::Week => {
            let back = i64::from(at.weekday().num_days_from_sunday());
            midnight.checked_add_signed(days(offset.checked_mul(7)?.checked_sub(back)?)?)
        }
        Period::Month => months(midnight.with_day(1)?, offset),
        Period::Year => months(
            midnight.with_day(1)?.with_month(1)?,
            offset.checked_mul(12)?,
        ),
    }
}

/// `startof*` (or, with `end`, `endof*`) of each row's instant and optional offset.
fn boundary_kernel(args: &[ArrayRef], period: Period, end: bool) -> Result<ArrayRef> {
    let instants = kernel::instants(arg(args, 0)?)?;
    let offsets = args.get(1).map(kernel::longs).transpose()?;
    let bounds: TimestampNanosecondArray = (0..instants.len())
        .map(|row| {
            let at = instant(instants.is_valid(row).then(|| instants.value(row))?);
            let offset = match &offsets {
                Some(offsets) => offsets.is_valid(row).then(|| offsets.value(row))?,
                None => 0,
            };
            if end {
                let next = period_start(at, period, offset.checked_add(1)?)?;
                nanos_of(next)?.checked_sub(NANOS_PER_TICK)
            } else {
                nanos_of(period_start(at, period, offset)?)
            }
        })
        .collect();
    done(bounds.with_timezone("UTC"))
}

fn start_of_day_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Day, false)
}

fn start_of_week_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Week, false)
}

fn start_of_month_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Month, false)
}

fn start_of_year_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Year, false)
}

fn end_of_day_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Day, true)
}

fn end_of_week_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Week, true)
}

fn end_of_month_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Month, true)
}

fn end_of_year_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    boundary_kernel(args, Period::Year, true)
}

/// Each row's instant mapped through `each`.
fn map_instants<T, A>(
    args: &[ArrayRef],
    each: impl Fn(DateTime<Utc>) -> Option<T>,
) -> Result<ArrayRef>
where
    A: FromIterator<Option<T>> + datafusion::arrow::array::Array + 'static,
{
    let instants = kernel::instants(arg(args, 0)?)?;
    let mapped: A = instants
        .iter()
        .map(|value| value.and_then(|nanos| each(instant(nanos))))
        .collect();
    done(mapped)
}

fn day_of_week_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_instants::<i64, DurationNanosecondArray>(args, |at| {
        Some(i64::from(at.weekday().num_days_from_sunday()) * NANOS_PER_DAY)
    })
}

fn hour_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_instants::<i32, Int32Array>(args, |at| i32::try_from(at.hour()).ok())
}

fn month_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_instants::<i32, Int32Array>(args, |at| i32::try_from(at.month()).ok())
}

fn year_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_instants::<i32, Int32Array>(args, |at| Some(at.year()))
}

fn day_of_month_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_instants::<i32, Int32Array>(args, |at| i32::try_from(at.day()).ok())
}

fn day_of_year_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    map_instants::<i32, Int32Array>(args, |at| i32::try_from(at.ordinal()).ok())
}

/// The fixed length of a period in nanoseconds (none for calendar periods).
fn fixed_length(period: &str) -> Option<i64> {
    match period {
        "week" => Some(7 * NANOS_PER_DAY),
        "day" => Some(NANOS_PER_DAY),
        "hour" => Some(NANOS_PER_HOUR),
        "minute" => Some(NANOS_PER_MINUTE),
        "second" => Some(NANOS_PER_SECOND),
        "millisecond" => Some(1_000_000),
        "microsecond" => Some(1_000),
        "nanosecond" => Some(1),
        _ => None,
    }
}

/// Period boundaries crossed from `earlier` to `later`.
fn boundaries_crossed(period: &str, later: i64, earlier: i64) -> Option<i64> {
    let (a, b) = (instant(later), instant(earlier));
    let months = |at: DateTime<Utc>| i64::from(at.year()) * 12 + i64::from(at.month0());
    match period {
        "year" => Some(i64::from(a.year()) - i64::from(b.year())),
        "quarter" => Some(months(a).div_euclid(3) - months(b).div_euclid(3)),
        "month" => Some(months(a) - months(b)),
        // 1970-01-01 was a Thursday: shifting by four days puts each Sunday on a week boundary.
        "week" => Some(
            (later + 4 * NANOS_PER_DAY).div_euclid(7 * NANOS_PER_DAY)
                - (earlier + 4 * NANOS_PER_DAY).div_euclid(7 * NANOS_PER_DAY),
        ),
        _ => {
            let unit = fixed_length(period)?;
            Some(later.div_euclid(unit) - earlier.div_euclid(unit))
        }
    }
}

fn datetime_diff_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let periods = kernel::texts(arg(args, 0)?)?;
    let later = kernel::instants(arg(args, 1)?)?;
    let earlier = kernel::instants(arg(args, 2)?)?;
    let diffs: Int64Array = (0..later.len())
        .map(|row| {
            let (a, b) = (
                later.is_valid(row).then(|| later.value(row))?,
                earlier.is_valid(row).then(|| earlier.value(row))?,
            );
            boundaries_crossed(periods.value(row), a, b)
        })
        .collect();
    done(diffs)
}

fn datetime_add_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let periods = kernel::texts(arg(args, 0)?)?;
    let amounts = kernel::longs(arg(args, 1)?)?;
    let instants = kernel::instants(arg(args, 2)?)?;
    let moved: TimestampNanosecondArray = (0..instants.len())
        .map(|row| {
            let amount = amounts.is_valid(row).then(|| amounts.value(row))?;
            let at = instants.is_valid(row).then(|| instants.value(row))?;
            let months = match periods.value(row) {
                "year" => amount.checked_mul(12)?,
                "quarter" => amount.checked_mul(3)?,
                "month" => amount,
                period => return at.checked_add(amount.checked_mul(fixed_length(period)?)?),
            };
            let magnitude = Months::new(u32::try_from(months.unsigned_abs()).ok()?);
            let start = instant(at);
            let moved = if months < 0 {
                start.checked_sub_months(magnitude)
            } else {
                start.checked_add_months(magnitude)
            };
            nanos_of(moved?)
        })
        .collect();
    done(moved.with_timezone("UTC"))
}

/// `make_datetime(year, month, day[, hour, minute, second])`, the second possibly fractional;
/// null when the parts name no instant.
fn make_datetime_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let parts = args.iter().map(kernel::reals).collect::<Result<Vec<_>>>()?;
    let rows = args.first().map_or(0, |first| first.len());
    let made: TimestampNanosecondArray = (0..rows)
        .map(|row| {
            let values = parts
                .iter()
                .map(|part| part.is_valid(row).then(|| part.value(row)))
                .collect::<Option<Vec<f64>>>()?;
            let whole = |index: usize| {
                values
                    .get(index)
                    .map_or(Some(0), |value| u32::try_from(value.trunc() as i64).ok())
            };
            let year = i32::try_from(values.first()?.trunc() as i64).ok()?;
            let date = chrono::NaiveDate::from_ymd_opt(year, whole(1)?, whole(2)?)?;
            let time = date.and_hms_opt(whole(3)?, whole(4)?, whole(5)?)?;
            let fraction = values
                .get(5)
                .map_or(0, |second| (second.fract() * 1e9).round() as i64);
            nanos_of(time.and_utc())?.checked_add(fraction)
        })
        .collect();
    done(made.with_timezone("UTC"))
}

/// Splits a format into runs of one repeated letter (a specifier) and literal text.
fn format_tokens(format: &str) -> Vec<(char, usize)> {
    let mut tokens: Vec<(char, usize)> = Vec::new();
    for c in format.chars() {
        match tokens.last_mut() {
            Some((last, count)) if *last == c && c.is_ascii_alphabetic() => *count += 1,
            _ => tokens.push((c, 1)),
        }
    }
    tokens
}

/// A fraction of a second to `digits` digits; `trim` drops trailing zeros (the `F` form).
fn fraction(nanos: u32, digits: usize, trim: bool) -> String {
    let digits = digits.min(9);
    let text = format!("{nanos:09}")[..digits].to_owned();
    if trim {
        text.trim_end_matches('0').to_owned()
    } else {
        text
    }
}

fn padded(value: impl std::fmt::Display, width: usize) -> String {
    format!("{value:0>width$}")
}

/// A datetime written with Kusto's format specifiers (`yyyy-MM-dd HH:mm:ss.fff`, `tt`, ...).
fn format_datetime(at: DateTime<Utc>, format: &str) -> String {
    format_tokens(format)
        .into_iter()
        .map(|(c, count)| match c {
            'y' if count <= 2 => padded(at.year() % 100, count),
            'y' => padded(at.year(), count),
            'M' => padded(at.month(), count.min(2)),
            'd' => padded(at.day(), count.min(2)),
            'H' => padded(at.hour(), count.min(2)),
            'h' => padded(at.hour12().1, count.min(2)),
            'm' => padded(at.minute(), count.min(2)),
            's' => padded(at.second(), count.min(2)),
            'f' => fraction(at.nanosecond(), count, false),
            'F' => fraction(at.nanosecond(), count, true),
            't' => if at.hour12().0 { "PM" } else { "AM" }
                .chars()
                .take(count)
                .collect(),
            other => other.to_string().repeat(count),
        })
        .collect()
}

/// A timespan written with Kusto's format specifiers (`d.hh:mm:ss`, `fff`, ...).
fn format_timespan(nanos: i64, format: &str) -> String {
    let magnitude = nanos.unsigned_abs();
    let unit = |length: i64| length.unsigned_abs();
    let days = magnitude / unit(NANOS_PER_DAY);
    let hours = magnitude % unit(NANOS_PER_DAY) / unit(NANOS_PER_HOUR);
    let minutes = magnitude % unit(NANOS_PER_HOUR) / unit(NANOS_PER_MINUTE);
    let seconds = magnitude % unit(NANOS_PER_MINUTE) / unit(NANOS_PER_SECOND);
    let subsecond = u32::try_from(magnitude % unit(NANOS_PER_SECOND)).unwrap_or_default();
    let sign = if nanos < 0 { "-" } else { "" };
    let body: String = format_tokens(format)
        .into_iter()
        .map(|(c, count)| match c {
            'd' => padded(days, count),
            'h' | 'H' => padded(hours, count.min(2)),
            'm' => padded(minutes, count.min(2)),
            's' => padded(seconds, count.min(2)),
            'f' => fraction(subsecond, count, false),
            'F' => fraction(subsecond, count, true),
            other => other.to_string().repeat(count),
        })
        .collect();
    format!("{sign}{body}")
}

fn format_datetime_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let instants = kernel::instants(arg(args, 0)?)?;
    let formats = kernel::texts(arg(args, 1)?)?;
    let written: StringArray = (0..instants.len())
        .map(|row| {
            let at = instants.is_valid(row).then(|| instants.value(row));
            let format = or_empty(formats.is_valid(row).then(|| formats.value(row)));
            Some(
                at.map(|nanos| format_datetime(instant(nanos), format))
                    .unwrap_or_default(),
            )
        })
        .collect();
    done(written)
}

fn format_timespan_kernel(args: &[ArrayRef]) -> Result<ArrayRef> {
    let spans = kernel::durations(arg(args, 0)?)?;
    let formats = kernel::texts(arg(args, 1)?)?;
    let written: StringArray = (0..spans.len())
        .map(|row| {
            let span = spans.is_valid(row).then(|| spans.value(row));
            let format = or_empty(formats.is_valid(row).then(|| formats.value(row)));
            Some(
                span.map(|nanos| format_timespan(nanos, format))
                    .unwrap_or_default(),
            )
        })
        .collect();
    done(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::functions::text_forms::parse_instant;

    fn at(text: &str) -> i64 {
        parse_instant(text).unwrap_or_default()
    }

    #[test]
    fn diffs_count_boundaries_crossed() {
        assert_eq!(
            boundaries_crossed("year", at("2017-01-01"), at("2000-12-31")),
            Some(17)
        );
        assert_eq!(
            boundaries_crossed("quarter", at("2017-07-01"), at("2017-03-30")),
            Some(2)
        );
        assert_eq!(
            boundaries_crossed("month", at("2017-01-01"), at("2015-12-30")),
            Some(13)
        );
        assert_eq!(
            boundaries_crossed("week", at("2017-10-29 00:00"), at("2017-09-30 23:59")),
            Some(5)
        );
        assert_eq!(
            boundaries_crossed("day", at("2017-10-29 00:00"), at("2017-09-30 23:59")),
            Some(29)
        );
        assert_eq!(
            boundaries_crossed("hour", at("2017-10-31 01:00"), at("2017-10-30 23:59")),
            Some(2)
        );
        assert_eq!(
            boundaries_crossed(
                "minute",
                at("2017-10-30 23:05:01"),
                at("2017-10-30 23:00:59")
            ),
            Some(5)
        );
    }

    #[test]
    fn formats_follow_kusto_specifiers() {
        let moment = instant(at("2015-12-14 02:03:04.12345"));
        assert_eq!(
            format_datetime(moment, "yy-MM-dd [HH:mm:ss]"),
            "15-12-14 [02:03:04]"
        );
        assert_eq!(
            format_datetime(moment, "yyyy-M-d [H:m:s]"),
            "2015-12-14 [2:3:4]"
        );
        assert_eq!(
            format_datetime(moment, "yy-MM-dd [hh:mm:ss tt]"),
            "15-12-14 [02:03:04 AM]"
        );
        assert_eq!(
            format_datetime(moment, "yyyy-MM-dd HH:mm:ss.fff"),
            "2015-12-14 02:03:04.123"
        );
        let span = 29 * NANOS_PER_HOUR + 6 * NANOS_PER_MINUTE + 5 * NANOS_PER_SECOND + 500_000_000;
        assert_eq!(format_timespan(span, "d:hh:mm:ss"), "1:05:06:05");
        assert_eq!(format_timespan(span, "dd.hh:mm:ss.FF"), "01.05:06:05.5");
    }
}
