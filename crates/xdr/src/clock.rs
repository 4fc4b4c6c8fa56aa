//! Time as the XDR stores it: instants as integer nanoseconds (so SQLite compares and sorts them
//! exactly), written on the wire as Graph writes them, and an update clock that never repeats itself.
//!
//! Change feeds poll with `$filter=lastUpdateDateTime gt <last seen>`; that only works when no two
//! changes share a `lastUpdateDateTime` and none goes back in time, so every change takes the next tick
//! of one [`UpdateClock`].

use chrono::{DateTime, Utc};
use tandem_model::Timestamp;

/// The resolution of Graph timestamps (seven fractional digits).
const TICK_NANOS: i64 = 100;

/// Parses RFC 3339 text (a missing zone is UTC).
pub fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    Timestamp::parse(text).ok().map(|t| t.instant())
}

/// Nanoseconds since the Unix epoch, or `None` outside the years 1677–2262.
pub fn to_nanos(instant: DateTime<Utc>) -> Option<i64> {
    instant.timestamp_nanos_opt()
}

/// The instant `nanos` after the Unix epoch.
pub fn from_nanos(nanos: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_nanos(nanos)
}

/// The Graph timestamp of an instant stored as nanoseconds.
pub fn timestamp(nanos: i64) -> Timestamp {
    Timestamp::from_instant(from_nanos(nanos))
}

/// The Graph spelling of an instant stored as nanoseconds.
pub fn wire_text(nanos: i64) -> String {
    timestamp(nanos).as_str().to_owned()
}

/// Issues strictly increasing instants, at Graph's 100 ns resolution.
#[derive(Debug, Clone)]
pub struct UpdateClock {
    last: i64,
}

impl UpdateClock {
    /// A clock whose next tick is later than `last` (nanoseconds, as stored).
    pub fn starting_after(last: i64) -> Self {
        UpdateClock { last }
    }

    /// The next instant: `now` rounded down to the resolution, or one tick after the previous instant
    /// when `now` is not later.
    pub fn tick(&mut self, now: DateTime<Utc>) -> i64 {
        let now = to_nanos(now).unwrap_or(i64::MAX);
        let now = now - now.rem_euclid(TICK_NANOS);
        self.last = now.max(self.last + TICK_NANOS);
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_strictly_increase_even_when_time_stands_still_or_goes_back() {
        let t = parse_instant("2024-05-01T10:00:00Z").unwrap();
        let mut clock = UpdateClock::starting_after(0);
        let a = clock.tick(t);
        let b = clock.tick(t);
        let c = clock.tick(t - chrono::TimeDelta::seconds(5));
        assert!(a < b && b < c, "{a} {b} {c}");
        assert_eq!(b - a, TICK_NANOS);
    }

    #[test]
    fn a_restarted_clock_continues_after_the_stored_instant() {
        let t = parse_instant("2024-05-01T10:00:00Z").unwrap();
        let stored = to_nanos(t).unwrap() + 1_000_000_000;
        let mut clock = UpdateClock::starting_after(stored);
        assert!(clock.tick(t) > stored);
    }

    #[test]
    fn wire_text_has_seven_fractional_digits() {
        let t = parse_instant("2024-05-01T10:00:00.1234567Z").unwrap();
        assert_eq!(
            wire_text(to_nanos(t).unwrap()),
            "2024-05-01T10:00:00.1234567Z"
        );
    }
}
