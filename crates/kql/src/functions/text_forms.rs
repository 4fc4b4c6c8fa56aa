//! How KQL writes datetimes, timespans and reals as text, and reads them back: `tostring`,
//! `todatetime`, `totimespan`, JSON values and `format_datetime`/`format_timespan` all agree on
//! these forms, so they live in one place.
//!
//! Kusto keeps time in 100-nanosecond ticks, so fractions are written to 7 digits and only when
//! present: `2015-12-31T23:59:59Z`, `2015-12-31T23:59:59.1000000Z`, `1.02:03:04`,
//! `00:00:00.5000000`.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Timelike, Utc};

/// Nanoseconds in a tick, a second, a minute, an hour and a day.
pub(crate) const NANOS_PER_TICK: i64 = 100;
pub(crate) const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub(crate) const NANOS_PER_MINUTE: i64 = 60 * NANOS_PER_SECOND;
pub(crate) const NANOS_PER_HOUR: i64 = 60 * NANOS_PER_MINUTE;
pub(crate) const NANOS_PER_DAY: i64 = 24 * NANOS_PER_HOUR;

/// The instant `nanos` after the Unix epoch, as a UTC datetime.
pub(crate) fn instant(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// Nanoseconds since the Unix epoch of a UTC datetime, if representable.
pub(crate) fn nanos_of(instant: DateTime<Utc>) -> Option<i64> {
    instant.timestamp_nanos_opt()
}

/// A datetime as `tostring` writes it: ISO 8601 in UTC, with 7 fraction digits when not whole.
pub(crate) fn format_instant(nanos: i64) -> String {
    let at = instant(nanos);
    let whole = at.format("%Y-%m-%dT%H:%M:%S");
    let ticks = at.nanosecond() / 100;
    if ticks == 0 {
        format!("{whole}Z")
    } else {
        format!("{whole}.{ticks:07}Z")
    }
}

/// A timespan as `tostring` writes it: `[-][d.]hh:mm:ss[.fffffff]`.
pub(crate) fn format_span(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let magnitude = nanos.unsigned_abs();
    let day = NANOS_PER_DAY.unsigned_abs();
    let days = magnitude / day;
    let rest = magnitude % day;
    let hours = rest / NANOS_PER_HOUR.unsigned_abs();
    let minutes = rest % NANOS_PER_HOUR.unsigned_abs() / NANOS_PER_MINUTE.unsigned_abs();
    let seconds = rest % NANOS_PER_MINUTE.unsigned_abs() / NANOS_PER_SECOND.unsigned_abs();
    let ticks = rest % NANOS_PER_SECOND.unsigned_abs() / NANOS_PER_TICK.unsigned_abs();
    let days = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let fraction = if ticks > 0 {
        format!(".{ticks:07}")
    } else {
        String::new()
    };
    format!("{sign}{days}{hours:02}:{minutes:02}:{seconds:02}{fraction}")
}

/// A real as `tostring` writes it: shortest round-trip digits, `NaN`, `Infinity`, `-Infinity`.
pub(crate) fn format_real(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        value.to_string()
    }
}

/// The datetime forms `todatetime` reads without an offset (a trailing `Z` is allowed).
const NAIVE_DATETIME_FORMS: [&str; 8] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
    "%m/%d/%Y %H:%M:%S%.f",
    "%m/%d/%Y %I:%M:%S %p",
];

/// The date-only forms `todatetime` reads (midnight UTC).
const DATE_FORMS: [&str; 4] = ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y", "%Y%m%d"];

/// Reads a datetime as `todatetime` does: ISO 8601 (with or without `T`, `Z` or an offset),
/// RFC 822/1123 (`Sat, 8 Nov 2014 15:05:02 GMT`), `yyyy/MM/dd`, `MM/dd/yyyy` and `yyyyMMdd`.
pub(crate) fn parse_instant(text: &str) -> Option<i64> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return at.timestamp_nanos_opt();
    }
    if let Ok(at) = DateTime::parse_from_rfc2822(text) {
        return at.timestamp_nanos_opt();
    }
    for form in ["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(at) = DateTime::parse_from_str(text, form) {
            return at.timestamp_nanos_opt();
        }
    }
    let naive = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix('z'))
        .unwrap_or(text);
    NAIVE_DATETIME_FORMS
        .iter()
        .find_map(|form| NaiveDateTime::parse_from_str(naive, form).ok())
        .or_else(|| {
            DATE_FORMS
                .iter()
                .find_map(|form| NaiveDate::parse_from_str(naive, form).ok())
                .and_then(|date| date.and_hms_opt(0, 0, 0))
        })
        .and_then(|at| at.and_utc().timestamp_nanos_opt())
}

/// Reads a timespan as `totimespan` does: `[-][d.]hh:mm[:ss[.fffffff]]`, or a KQL timespan
/// literal such as `2d`, `1.5h`, `30m`, `10s`, `100ms`, `5microseconds`, `10tick`.
pub(crate) fn parse_span(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let nanos = if body.contains(':') {
        parse_clock_span(body)?
    } else {
        parse_literal_span(body)?
    };
    Some(if negative { -nanos } else { nanos })
}

/// `[d.]hh:mm[:ss[.fffffff]]`.
fn parse_clock_span(body: &str) -> Option<i64> {
    let parts: Vec<&str> = body.split(':').collect();
    let (first, minutes, seconds) = match parts.as_slice() {
        [first, minutes] => (*first, *minutes, "0"),
        [first, minutes, seconds] => (*first, *minutes, *seconds),
        _ => return None,
    };
    let (days, hours) = match first.split_once('.') {
        Some((days, hours)) => (whole(days)?, whole(hours)?),
        None => (0, whole(first)?),
    };
    let minutes = whole(minutes)?;
    let (seconds, fraction) = match seconds.split_once('.') {
        Some((seconds, fraction)) => (whole(seconds)?, fraction_nanos(fraction)?),
        None => (whole(seconds)?, 0),
    };
    if hours > 23 || minutes > 59 || seconds > 59 {
        return None;
    }
    days.checked_mul(NANOS_PER_DAY)?
        .checked_add(hours * NANOS_PER_HOUR + minutes * NANOS_PER_MINUTE)?
        .checked_add(seconds * NANOS_PER_SECOND + fraction)
}

/// A number followed by a unit, as in a timespan literal.
fn parse_literal_span(body: &str) -> Option<i64> {
    let split = body
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(body.len());
    let (number, unit) = body.split_at(split);
    let number: f64 = number.parse().ok()?;
    let unit_nanos = match unit.trim().to_ascii_lowercase().as_str() {
        "d" | "day" | "days" => NANOS_PER_DAY,
        "h" | "hr" | "hrs" | "hour" | "hours" => NANOS_PER_HOUR,
        "m" | "min" | "minute" | "minutes" => NANOS_PER_MINUTE,
        "s" | "sec" | "second" | "seconds" => NANOS_PER_SECOND,
        "ms" | "milli" | "millis" | "millisecond" | "milliseconds" => 1_000_000,
        "microsecond" | "microseconds" => 1_000,
        "tick" | "ticks" => NANOS_PER_TICK,
        _ => return None,
    };
    let nanos = (number * unit_nanos as f64).round();
    (nanos.abs() < i64::MAX as f64).then_some(nanos as i64)
}

fn whole(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `.fffffff` to nanoseconds (up to 9 digits are kept).
fn fraction_nanos(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let kept: String = digits.chars().take(9).collect();
    let scale = 10_i64.pow(9 - kept.len() as u32);
    Some(kept.parse::<i64>().ok()? * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_round_trip_through_their_text() {
        let span = NANOS_PER_DAY + 2 * NANOS_PER_HOUR + 3 * NANOS_PER_MINUTE + 4 * NANOS_PER_SECOND;
        assert_eq!(format_span(span), "1.02:03:04");
        assert_eq!(parse_span("1.02:03:04"), Some(span));
        assert_eq!(format_span(-NANOS_PER_SECOND / 2), "-00:00:00.5000000");
        assert_eq!(parse_span("00:00:00.5"), Some(NANOS_PER_SECOND / 2));
        assert_eq!(parse_span("1.5h"), Some(NANOS_PER_HOUR * 3 / 2));
        assert_eq!(parse_span("100ms"), Some(100_000_000));
        assert_eq!(parse_span("soon"), None);
        assert_eq!(parse_span("25:00:00"), None);
    }

    #[test]
    fn datetimes_read_the_common_forms() {
        let expected = Some(1_451_606_399_000_000_000);
        assert_eq!(parse_instant("2015-12-31T23:59:59Z"), expected);
        assert_eq!(parse_instant("2015-12-31 23:59:59"), expected);
        assert_eq!(parse_instant("2016-01-01T00:59:59+01:00"), expected);
        assert_eq!(parse_instant("Thu, 31 Dec 2015 23:59:59 GMT"), expected);
        assert_eq!(parse_instant("2015-12-31"), Some(1_451_520_000_000_000_000));
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(
            format_instant(1_451_606_399_000_000_000),
            "2015-12-31T23:59:59Z"
        );
        assert_eq!(
            format_instant(1_451_606_399_100_000_000),
            "2015-12-31T23:59:59.1000000Z"
        );
    }

    #[test]
    fn reals_print_as_kusto_does() {
        assert_eq!(format_real(1.0), "1");
        assert_eq!(format_real(0.25), "0.25");
        assert_eq!(format_real(f64::NAN), "NaN");
    }
}
