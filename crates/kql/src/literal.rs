//! KQL's text forms of instants and durations, read from literals (`datetime(2024-01-01)`,
//! `timespan(1.02:03:04)`) and written in answers the way Log Analytics writes them
//! (`2024-01-01T00:00:00.0000000Z`, `1.02:03:04`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

/// Nanoseconds in one second.
const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Reads the text of a `datetime(...)` literal as nanoseconds since the Unix epoch (UTC).
pub fn parse_datetime(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(instant) = DateTime::parse_from_rfc3339(text) {
        return instant.timestamp_nanos_opt();
    }
    let bare = text.strip_suffix('Z').unwrap_or(text);
    const FORMATS: [&str; 4] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ];
    let naive = FORMATS
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(bare, format).ok())
        .or_else(|| {
            ["%Y-%m-%d", "%Y/%m/%d", "%m/%d/%Y"]
                .iter()
                .find_map(|format| NaiveDate::parse_from_str(bare, format).ok())
                .and_then(|date| date.and_hms_opt(0, 0, 0))
        })?;
    naive.and_utc().timestamp_nanos_opt()
}

/// Reads the text of a `timespan(...)` literal: `[-][d.]hh:mm[:ss[.fffffff]]` or a number with a
/// unit (`1d`, `30m`), as nanoseconds.
pub fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let (sign, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, text),
    };
    if !unsigned.contains(':') {
        let split = unsigned.find(|c: char| c.is_ascii_alphabetic())?;
        let (number, unit) = unsigned.split_at(split);
        let nanos = crate::lexer::tokenize(&format!("{number}{unit}"))
            .ok()?
            .into_iter()
            .find_map(|token| match token.kind {
                crate::lexer::TokenKind::Timespan(nanos) => Some(nanos),
                _ => None,
            })?;
        return Some(sign * nanos);
    }
    let (days, clock) = match unsigned.split_once('.') {
        Some((days, clock)) if clock.contains(':') => (days.parse::<i64>().ok()?, clock),
        _ => (0, unsigned),
    };
    let mut parts = clock.split(':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds: f64 = parts.next().map_or(Ok(0.0), str::parse).ok()?;
    if parts.next().is_some() || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let whole = ((days * 24 + hours) * 60 + minutes) * 60;
    let nanos = whole
        .checked_mul(NANOS_PER_SECOND)?
        .checked_add((seconds * NANOS_PER_SECOND as f64).round() as i64)?;
    Some(sign * nanos)
}

/// Writes an instant as Log Analytics does: ISO 8601, seven fractional digits, `Z`.
pub fn format_datetime(nanos: i64) -> String {
    let instant = DateTime::<Utc>::from_timestamp_nanos(nanos);
    format!(
        "{}.{:07}Z",
        instant.format("%Y-%m-%dT%H:%M:%S"),
        instant.timestamp_subsec_nanos() / 100
    )
}

/// Writes a duration as Log Analytics does: `[-][d.]hh:mm:ss[.fffffff]`.
pub fn format_timespan(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let total = nanos.unsigned_abs();
    let seconds = total / NANOS_PER_SECOND as u64;
    let ticks = (total % NANOS_PER_SECOND as u64) / 100;
    let (days, hours) = (seconds / 86_400, seconds / 3600 % 24);
    let (minutes, seconds) = (seconds / 60 % 60, seconds % 60);
    let day_part = if days > 0 {
        format!("{days}.")
    } else {
        String::new()
    };
    let fraction = if ticks > 0 {
        format!(".{ticks:07}")
    } else {
        String::new()
    };
    format!("{sign}{day_part}{hours:02}:{minutes:02}:{seconds:02}{fraction}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_read_in_every_common_form_and_write_with_seven_digits() {
        let midnight = parse_datetime("2024-01-02").unwrap();
        assert_eq!(format_datetime(midnight), "2024-01-02T00:00:00.0000000Z");
        let precise = parse_datetime("2024-01-02T03:04:05.1234567Z").unwrap();
        assert_eq!(format_datetime(precise), "2024-01-02T03:04:05.1234567Z");
        assert_eq!(
            parse_datetime("2024-01-02 03:04:05"),
            parse_datetime("2024-01-02T03:04:05+00:00")
        );
        assert_eq!(parse_datetime("yesterday"), None);
    }

    #[test]
    fn timespans_read_both_forms_and_write_days_only_when_needed() {
        let long = parse_timespan("1.02:03:04.5").unwrap();
        assert_eq!(format_timespan(long), "1.02:03:04.5000000");
        assert_eq!(parse_timespan("30m"), Some(30 * 60 * NANOS_PER_SECOND));
        assert_eq!(format_timespan(-3600 * NANOS_PER_SECOND), "-01:00:00");
        assert_eq!(parse_timespan("00:01:30"), Some(90 * NANOS_PER_SECOND));
        assert_eq!(parse_timespan("soon"), None);
    }
}
