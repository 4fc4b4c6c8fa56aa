//! How the store's values travel as column text, shared by both backends: JSON for bases, writes and
//! conflicts; a side's name; timestamps as their services wrote them; and reading an outbox row or a
//! poll back, with an error naming the column and the value when the text cannot be read.

use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_model::Timestamp;
use uuid::Uuid;

use super::{OutboxEntry, PollRecord, StoreError, WriteState};
use crate::reconcile::{PairKey, PlannedWrite, Side};

/// The outbox's columns in the order [`OutboxRow`] is read from.
pub(super) const OUTBOX_COLUMNS: &str =
    "seq, key, tenant, xdr_id, side, write, state, attempts, retry_at, error";

/// A value as JSON text.
pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// A value read back from the JSON text in `column`.
pub(super) fn from_json<T: DeserializeOwned>(
    column: &'static str,
    text: String,
) -> Result<T, StoreError> {
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: text,
    })
}

/// The side named in `column`.
pub(super) fn side_of(column: &'static str, text: String) -> Result<Side, StoreError> {
    Side::from_name(&text).ok_or(StoreError::Corrupt {
        column,
        message: "not a side (xdr or siem)".into(),
        value: text,
    })
}

/// The timestamp in `column`.
pub(super) fn timestamp_of(column: &'static str, text: String) -> Result<Timestamp, StoreError> {
    Timestamp::parse(&text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: text,
    })
}

fn uuid_of(column: &'static str, text: String) -> Result<Uuid, StoreError> {
    Uuid::parse_str(&text).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: text,
    })
}

/// A count the database holds as a signed integer.
pub(super) fn count_of(column: &'static str, value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).map_err(|e| StoreError::Corrupt {
        column,
        message: e.to_string(),
        value: value.to_string(),
    })
}

/// A lag as whole milliseconds.
pub(super) fn lag_millis(lag: Duration) -> i64 {
    i64::try_from(lag.as_millis()).unwrap_or(i64::MAX)
}

/// A lag read back from whole milliseconds.
pub(super) fn lag_of(millis: i64) -> Duration {
    Duration::from_millis(millis.max(0).unsigned_abs())
}

/// The name a write state is stored under.
pub(super) fn state_name(state: WriteState) -> &'static str {
    match state {
        WriteState::Planned => "planned",
        WriteState::Done => "done",
        WriteState::SetAside => "set_aside",
    }
}

fn state_of(text: String) -> Result<WriteState, StoreError> {
    [WriteState::Planned, WriteState::Done, WriteState::SetAside]
        .into_iter()
        .find(|state| state_name(*state) == text)
        .ok_or(StoreError::Corrupt {
            column: "outbox.state",
            message: "not a write state (planned, done or set_aside)".into(),
            value: text,
        })
}

/// An outbox row as stored, selected as [`OUTBOX_COLUMNS`].
pub(super) struct OutboxRow {
    pub(super) seq: i64,
    pub(super) key: String,
    pub(super) tenant: String,
    pub(super) xdr_id: String,
    pub(super) side: String,
    pub(super) write: String,
    pub(super) state: String,
    pub(super) attempts: i64,
    pub(super) retry_at: Option<String>,
    pub(super) error: Option<String>,
}

impl OutboxRow {
    /// The entry the row holds.
    pub(super) fn decode(self) -> Result<OutboxEntry, StoreError> {
        Ok(OutboxEntry {
            seq: self.seq,
            write: PlannedWrite {
                key: uuid_of("outbox.key", self.key)?,
                pair: PairKey::new(self.tenant, self.xdr_id),
                side: side_of("outbox.side", self.side)?,
                write: from_json("outbox.write", self.write)?,
            },
            state: state_of(self.state)?,
            attempts: count_of("outbox.attempts", self.attempts)?,
            retry_at: self
                .retry_at
                .map(|t| timestamp_of("outbox.retry_at", t))
                .transpose()?,
            error: self.error,
        })
    }
}

/// A successful poll's row as stored.
pub(super) struct PollRow {
    pub(super) polled_at: String,
    pub(super) watermark: String,
    pub(super) items: i64,
    pub(super) lag_ms: Option<i64>,
}

impl PollRow {
    /// The poll of `side` the row records.
    pub(super) fn decode(self, side: Side) -> Result<PollRecord, StoreError> {
        Ok(PollRecord {
            side,
            watermark: timestamp_of("polls.watermark", self.watermark)?,
            polled_at: timestamp_of("polls.polled_at", self.polled_at)?,
            items: count_of("polls.items", self.items)?,
            lag: self.lag_ms.map(lag_of),
        })
    }
}
