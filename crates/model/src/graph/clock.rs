//! The current time as Graph writes it: UTC with seven fractional digits (`2024-05-01T10:00:00.1234567Z`).

use chrono::Utc;

use crate::Timestamp;

/// The current time in Graph's format.
pub fn now() -> Timestamp {
    let instant = Utc::now();
    // A leap second reports up to 1_999_999_999 nanoseconds; keep seven digits.
    let ticks = (instant.timestamp_subsec_nanos() / 100).min(9_999_999);
    let text = format!("{}.{ticks:07}Z", instant.format("%Y-%m-%dT%H:%M:%S"));
    Timestamp::parse(&text).expect("an RFC 3339 time written here parses")
}
