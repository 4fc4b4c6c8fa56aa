//! Rows as the Logs Ingestion API delivers them (JSON objects, after the data collection rule's
//! transform) decoded to an Arrow batch of the table's schema.
//!
//! Each member goes to its column's builder, checked against the column's KQL type; a member the
//! table does not have, or a value of the wrong type, refuses the whole batch with the row, the
//! column, the value and the type expected. `TimeGenerated` defaults to the time of ingestion, a
//! table's other time column to the row's `TimeGenerated`, and `Type` is the table's name.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayBuilder, ArrayRef, BooleanBuilder, DurationNanosecondBuilder, Float64Builder,
    Int32Builder, Int64Builder, StringBuilder, TimestampNanosecondBuilder,
};
use datafusion::arrow::compute::kernels::cast_utils::string_to_timestamp_nanos;
use datafusion::arrow::record_batch::RecordBatch;
use serde_json::{Map, Value};
use tandem_kql::KqlType;

use crate::table::{TIME_GENERATED, TYPE, TableDef};

/// The longest a refused value is quoted in an error.
const QUOTED_VALUE_CHARS: usize = 100;

/// Why a batch of rows was refused. Nothing of a refused batch is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// A row is not a JSON object.
    #[error("row {index}: a row must be a JSON object, got {kind}")]
    NotAnObject {
        /// The row's index in the batch.
        index: usize,
        /// What it is instead (`an array`, `a number`, ...).
        kind: &'static str,
    },
    /// A row has a member the table has no column for.
    #[error("row {index}: table {table} has no column {column}")]
    UnknownColumn {
        /// The row's index in the batch.
        index: usize,
        /// The table.
        table: String,
        /// The member's name.
        column: String,
    },
    /// A value does not fit its column's type.
    #[error("row {index}, column {column}: {value} is not a valid {expected}")]
    WrongType {
        /// The row's index in the batch.
        index: usize,
        /// The column.
        column: String,
        /// The value, as JSON (cut to 100 characters).
        value: String,
        /// The column's type.
        expected: KqlType,
    },
}

impl DecodeError {
    /// Where in the request body the problem is: `body[3]` or `body[3].Column`.
    pub fn target(&self) -> String {
        match self {
            DecodeError::NotAnObject { index, .. } => format!("body[{index}]"),
            DecodeError::UnknownColumn { index, column, .. }
            | DecodeError::WrongType { index, column, .. } => format!("body[{index}].{column}"),
        }
    }
}

/// Decodes `rows` to one batch of `table`'s schema; `now` (nanoseconds since the Unix epoch, UTC)
/// is the time of ingestion.
pub fn decode_rows(table: &TableDef, rows: &[Value], now: i64) -> Result<RecordBatch, DecodeError> {
    let mut decoder = Decoder::new(table, rows.len());
    for (index, row) in rows.iter().enumerate() {
        let Value::Object(object) = row else {
            return Err(DecodeError::NotAnObject {
                index,
                kind: json_kind(row),
            });
        };
        decoder.push_row(index, object, now)?;
    }
    Ok(decoder.finish())
}

/// The column builders of one batch and where each column is.
struct Decoder<'a> {
    table: &'a TableDef,
    positions: HashMap<&'a str, usize>,
    builders: Vec<ColumnBuilder>,
    time_generated: Option<usize>,
    time_column: Option<usize>,
    type_column: Option<usize>,
}

impl<'a> Decoder<'a> {
    fn new(table: &'a TableDef, capacity: usize) -> Decoder<'a> {
        let positions: HashMap<&str, usize> = table
            .columns
            .iter()
            .enumerate()
            .map(|(position, (name, _))| (name.as_str(), position))
            .collect();
        let builders = table
            .columns
            .iter()
            .map(|(_, kind)| ColumnBuilder::new(*kind, capacity))
            .collect();
        Decoder {
            time_generated: positions.get(TIME_GENERATED).copied(),
            time_column: positions.get(table.time_column.as_str()).copied(),
            type_column: positions.get(TYPE).copied(),
            table,
            positions,
            builders,
        }
    }

    fn push_row(
        &mut self,
        index: usize,
        row: &Map<String, Value>,
        now: i64,
    ) -> Result<(), DecodeError> {
        let generated = match self.time_generated {
            Some(position) => self.push_time(index, row, position, now)?,
            None => now,
        };
        if let Some(position) = self.time_column.filter(|p| Some(*p) != self.time_generated) {
            self.push_time(index, row, position, generated)?;
        }
        if let Some(position) = self.type_column {
            self.builders[position].push_text(&self.table.name);
        }
        for (name, value) in row {
            let position =
                *self
                    .positions
                    .get(name.as_str())
                    .ok_or_else(|| DecodeError::UnknownColumn {
                        index,
                        table: self.table.name.clone(),
                        column: name.clone(),
                    })?;
            if self.builders[position].len() > index {
                continue; // a time column or Type, pushed above
            }
            self.builders[position]
                .push(value)
                .map_err(|()| self.wrong_type(index, position, value))?;
        }
        for builder in &mut self.builders {
            if builder.len() == index {
                builder.push_null();
            }
        }
        Ok(())
    }

    /// Pushes the row's time in the `datetime` column at `position`: its value when it has one,
    /// else `default`. Returns the time pushed.
    fn push_time(
        &mut self,
        index: usize,
        row: &Map<String, Value>,
        position: usize,
        default: i64,
    ) -> Result<i64, DecodeError> {
        let name = self.table.columns[position].0.as_str();
        let time = match row.get(name).filter(|value| !value.is_null()) {
            Some(value) => datetime(value).map_err(|()| self.wrong_type(index, position, value))?,
            None => default,
        };
        self.builders[position].push_time(time);
        Ok(time)
    }

    fn wrong_type(&self, index: usize, position: usize, value: &Value) -> DecodeError {
        let (column, kind) = &self.table.columns[position];
        DecodeError::WrongType {
            index,
            column: column.clone(),
            value: quote(value),
            expected: *kind,
        }
    }

    fn finish(self) -> RecordBatch {
        let columns: Vec<ArrayRef> = self
            .builders
            .into_iter()
            .map(ColumnBuilder::finish)
            .collect();
        RecordBatch::try_new(self.table.schema(), columns)
            .unwrap_or_else(|error| unreachable!("builders follow the schema: {error}"))
    }
}

/// One column's values, built in its Arrow type.
enum ColumnBuilder {
    Text(StringBuilder, TextKind),
    Int(Int32Builder),
    Long(Int64Builder),
    Real(Float64Builder),
    Bool(BooleanBuilder),
    Datetime(TimestampNanosecondBuilder),
    Timespan(DurationNanosecondBuilder),
}

/// Which text a text column holds.
#[derive(Clone, Copy)]
enum TextKind {
    Plain,
    Guid,
    Json,
}

impl ColumnBuilder {
    fn new(kind: KqlType, capacity: usize) -> ColumnBuilder {
        let text =
            |kind| ColumnBuilder::Text(StringBuilder::with_capacity(capacity, capacity * 16), kind);
        match kind {
            KqlType::String => text(TextKind::Plain),
            KqlType::Guid => text(TextKind::Guid),
            KqlType::Dynamic => text(TextKind::Json),
            KqlType::Int => ColumnBuilder::Int(Int32Builder::with_capacity(capacity)),
            KqlType::Long => ColumnBuilder::Long(Int64Builder::with_capacity(capacity)),
            KqlType::Real => ColumnBuilder::Real(Float64Builder::with_capacity(capacity)),
            KqlType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            KqlType::Datetime => ColumnBuilder::Datetime(
                TimestampNanosecondBuilder::with_capacity(capacity).with_timezone("UTC"),
            ),
            KqlType::Timespan => {
                ColumnBuilder::Timespan(DurationNanosecondBuilder::with_capacity(capacity))
            }
        }
    }

    fn len(&self) -> usize {
        match self {
            ColumnBuilder::Text(b, _) => b.len(),
            ColumnBuilder::Int(b) => b.len(),
            ColumnBuilder::Long(b) => b.len(),
            ColumnBuilder::Real(b) => b.len(),
            ColumnBuilder::Bool(b) => b.len(),
            ColumnBuilder::Datetime(b) => b.len(),
            ColumnBuilder::Timespan(b) => b.len(),
        }
    }

    fn push_null(&mut self) {
        match self {
            ColumnBuilder::Text(b, _) => b.append_null(),
            ColumnBuilder::Int(b) => b.append_null(),
            ColumnBuilder::Long(b) => b.append_null(),
            ColumnBuilder::Real(b) => b.append_null(),
            ColumnBuilder::Bool(b) => b.append_null(),
            ColumnBuilder::Datetime(b) => b.append_null(),
            ColumnBuilder::Timespan(b) => b.append_null(),
        }
    }

    fn push_text(&mut self, text: &str) {
        if let ColumnBuilder::Text(b, _) = self {
            b.append_value(text);
        }
    }

    fn push_time(&mut self, time: i64) {
        if let ColumnBuilder::Datetime(b) = self {
            b.append_value(time);
        }
    }

    /// Appends `value`, or fails when it does not fit the column's type. `null` fits every type.
    fn push(&mut self, value: &Value) -> Result<(), ()> {
        if value.is_null() {
            self.push_null();
            return Ok(());
        }
        match self {
            ColumnBuilder::Text(b, TextKind::Plain) => b.append_value(value.as_str().ok_or(())?),
            ColumnBuilder::Text(b, TextKind::Guid) => b.append_value(guid(value)?),
            ColumnBuilder::Text(b, TextKind::Json) => b.append_value(json_text(value)),
            ColumnBuilder::Int(b) => b.append_value(
                value
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or(())?,
            ),
            ColumnBuilder::Long(b) => b.append_value(value.as_i64().ok_or(())?),
            ColumnBuilder::Real(b) => b.append_value(value.as_f64().ok_or(())?),
            ColumnBuilder::Bool(b) => b.append_value(value.as_bool().ok_or(())?),
            ColumnBuilder::Datetime(b) => b.append_value(datetime(value)?),
            ColumnBuilder::Timespan(b) => b.append_value(timespan(value)?),
        }
        Ok(())
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(mut b, _) => Arc::new(b.finish()),
            ColumnBuilder::Int(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Long(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Real(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Datetime(mut b) => Arc::new(b.finish()),
            ColumnBuilder::Timespan(mut b) => Arc::new(b.finish()),
        }
    }
}

/// A `guid` in its canonical form: lower case, hyphenated.
fn guid(value: &Value) -> Result<String, ()> {
    let text = value.as_str().ok_or(())?;
    let parsed = uuid::Uuid::try_parse(text).map_err(|_| ())?;
    Ok(parsed.hyphenated().to_string())
}

/// A `dynamic` value's JSON text. Text that holds a JSON object or array (as senders often
/// serialise a bag) is that object or array; other text is a JSON string.
fn json_text(value: &Value) -> String {
    if let Value::String(text) = value {
        let trimmed = text.trim_start();
        if (trimmed.starts_with('{') || trimmed.starts_with('['))
            && let Ok(inner) = serde_json::from_str::<Value>(text)
        {
            return inner.to_string();
        }
    }
    value.to_string()
}

/// A `datetime` from RFC 3339 text (a missing zone is UTC; a space may separate date and time),
/// as nanoseconds since the Unix epoch.
fn datetime(value: &Value) -> Result<i64, ()> {
    string_to_timestamp_nanos(value.as_str().ok_or(())?).map_err(|_| ())
}

/// A `timespan` from its Log Analytics text, `[-][d.]hh:mm:ss[.fffffff]`, as nanoseconds.
fn timespan(value: &Value) -> Result<i64, ()> {
    let text = value.as_str().ok_or(())?;
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let parts: Vec<&str> = text.split(':').collect();
    let [days_hours, minutes, seconds_fraction] = parts.as_slice() else {
        return Err(());
    };
    let (days, hours) = days_hours.split_once('.').unwrap_or(("0", days_hours));
    let (seconds, fraction) = seconds_fraction
        .split_once('.')
        .unwrap_or((seconds_fraction, ""));
    let (minutes, seconds) = (number(minutes)?, number(seconds)?);
    if minutes > 59 || seconds > 59 || fraction.len() > 9 {
        return Err(());
    }
    let fraction_nanos = match fraction.len() {
        0 => 0,
        digits => number(fraction)? * 10_i64.pow(9 - u32::try_from(digits).map_err(|_| ())?),
    };
    let whole_seconds = ((number(days)? * 24 + number(hours)?) * 60 + minutes) * 60 + seconds;
    let nanos = whole_seconds
        .checked_mul(1_000_000_000)
        .and_then(|n| n.checked_add(fraction_nanos))
        .ok_or(())?;
    Ok(if negative { -nanos } else { nanos })
}

/// A run of one to nine ASCII digits as a number.
fn number(digits: &str) -> Result<i64, ()> {
    if digits.is_empty() || digits.len() > 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(());
    }
    digits.parse().map_err(|_| ())
}

/// A value's JSON text, cut for quoting in an error.
fn quote(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(QUOTED_VALUE_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// What a JSON value is, for an error.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::{
        DurationNanosecondType, Int32Type, TimestampNanosecondType,
    };
    use serde_json::json;

    fn table() -> TableDef {
        TableDef::log_analytics(
            "Events",
            "Timestamp",
            &[
                ("Timestamp", KqlType::Datetime),
                ("Name", KqlType::String),
                ("Port", KqlType::Int),
                ("Id", KqlType::Guid),
                ("Bag", KqlType::Dynamic),
                ("Took", KqlType::Timespan),
            ],
        )
    }

    fn column<'a>(batch: &'a RecordBatch, name: &str) -> &'a ArrayRef {
        batch.column_by_name(name).unwrap()
    }

    #[test]
    fn values_land_in_their_typed_columns_and_missing_members_are_null() {
        let rows = [
            json!({"Timestamp": "2024-03-01T10:00:00.1234567Z", "Name": "a", "Port": 443,
                   "Id": "6F9619FF-8B86-D011-B42D-00CF4FC964FF", "Bag": "{\"k\": [1, 2]}",
                   "Took": "1.02:03:04.5"}),
            json!({"Timestamp": "2024-03-01 11:00:00", "Bag": "plain", "Took": null}),
        ];
        let batch = decode_rows(&table(), &rows, 0).unwrap();
        assert_eq!(batch.num_rows(), 2);
        let times = column(&batch, "Timestamp").as_primitive::<TimestampNanosecondType>();
        assert_eq!(times.value(0), 1_709_287_200_123_456_700);
        assert_eq!(times.value(1), 1_709_290_800_000_000_000);
        assert_eq!(
            column(&batch, "Port").as_primitive::<Int32Type>().value(0),
            443
        );
        assert!(column(&batch, "Port").is_null(1));
        let ids = column(&batch, "Id").as_string::<i32>();
        assert_eq!(ids.value(0), "6f9619ff-8b86-d011-b42d-00cf4fc964ff");
        let bags = column(&batch, "Bag").as_string::<i32>();
        assert_eq!(bags.value(0), r#"{"k":[1,2]}"#);
        assert_eq!(bags.value(1), r#""plain""#);
        let took = column(&batch, "Took").as_primitive::<DurationNanosecondType>();
        assert_eq!(
            took.value(0),
            ((26 * 60 + 3) * 60 + 4) * 1_000_000_000 + 500_000_000
        );
        assert!(took.is_null(1));
        let types = column(&batch, "Type").as_string::<i32>();
        assert_eq!((types.value(0), types.value(1)), ("Events", "Events"));
    }

    #[test]
    fn time_generated_defaults_to_now_and_the_time_column_to_time_generated() {
        let rows = [
            json!({"Name": "no times"}),
            json!({"TimeGenerated": "2024-01-01T00:00:00Z", "Timestamp": null}),
        ];
        let batch = decode_rows(&table(), &rows, 42).unwrap();
        let generated = column(&batch, "TimeGenerated").as_primitive::<TimestampNanosecondType>();
        let stamps = column(&batch, "Timestamp").as_primitive::<TimestampNanosecondType>();
        assert_eq!((generated.value(0), stamps.value(0)), (42, 42));
        assert_eq!(generated.value(1), 1_704_067_200_000_000_000);
        assert_eq!(stamps.value(1), 1_704_067_200_000_000_000);
        assert_eq!(generated.null_count() + stamps.null_count(), 0);
    }

    #[test]
    fn a_wrong_value_names_its_row_column_value_and_type() {
        let rows = [json!({"Port": 1}), json!({"Port": "https"})];
        let error = decode_rows(&table(), &rows, 0).unwrap_err();
        assert_eq!(error.target(), "body[1].Port");
        assert_eq!(
            error.to_string(),
            r#"row 1, column Port: "https" is not a valid int"#
        );
        for (column, value) in [
            ("Port", json!(5_000_000_000_i64)),
            ("Timestamp", json!("yesterday")),
            ("Timestamp", json!(1_700_000_000)),
            ("Id", json!("not-a-guid")),
            ("Took", json!("25:61:00")),
            ("Name", json!(7)),
        ] {
            let error = decode_rows(&table(), &[json!({column: value})], 0).unwrap_err();
            assert_eq!(error.target(), format!("body[0].{column}"), "{value}");
        }
    }

    #[test]
    fn unknown_members_and_non_objects_are_refused() {
        let error =
            decode_rows(&table(), &[json!({"Name": "a"}), json!({"Nope": 1})], 0).unwrap_err();
        assert_eq!(error.to_string(), "row 1: table Events has no column Nope");
        let error = decode_rows(&table(), &[json!([1])], 0).unwrap_err();
        assert_eq!(error.target(), "body[0]");
        let long = "x".repeat(500);
        let error = decode_rows(&table(), &[json!({"Port": long})], 0).unwrap_err();
        assert!(error.to_string().len() < 200, "{error}");
    }
}
