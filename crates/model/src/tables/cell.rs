//! Reading Log Analytics cells that arrive in more than one spelling: numbers and booleans as JSON
//! numbers or as strings, `dynamic` values as JSON or as JSON text.

use serde::de::{DeserializeOwned, Error};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::wire::{Field, ParseError, Timestamp, from_value};

/// Reads an `int` or `long` cell written as a number or as a string.
pub fn int<'de, D: Deserializer<'de>>(d: D) -> Result<Field<i64>, D::Error> {
    read_scalar(d, "an integer", |v| match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Reads a `real` cell written as a number or as a string.
pub fn real<'de, D: Deserializer<'de>>(d: D) -> Result<Field<f64>, D::Error> {
    read_scalar(d, "a number", |v| match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// Reads a `bool` cell written as a boolean, as `"true"`/`"false"` or as `0`/`1`.
pub fn boolean<'de, D: Deserializer<'de>>(d: D) -> Result<Field<bool>, D::Error> {
    read_scalar(d, "a boolean", |v| match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) => s.trim().to_ascii_lowercase().parse().ok(),
        Value::Number(n) => n.as_u64().filter(|n| *n <= 1).map(|n| n == 1),
        _ => None,
    })
}

/// Reads a `datetime` cell; empty text (how some answers write a missing time) reads as `null`.
pub fn time<'de, D: Deserializer<'de>>(d: D) -> Result<Field<Timestamp>, D::Error> {
    read_scalar(d, "a timestamp", |v| match v {
        Value::String(s) if s.is_empty() => Some(None),
        Value::String(s) => Timestamp::parse(s).ok().map(Some),
        _ => None,
    })
    .map(|f| match f {
        Field::Value(Some(t)) => Field::Value(t),
        Field::Value(None) | Field::Null => Field::Null,
        Field::Absent => Field::Absent,
    })
}

/// Reads a `string` cell that holds JSON text (such as `SecurityAlert.Entities`); a row that carries
/// the JSON itself instead of its text is read as its compact text.
pub fn json_text<'de, D: Deserializer<'de>>(d: D) -> Result<Field<String>, D::Error> {
    read_scalar(d, "JSON text", |v| match v {
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    })
}

/// Reads one cell as JSON, maps `null` to [`Field::Null`] and anything else through `convert`.
fn read_scalar<'de, D: Deserializer<'de>, T>(
    d: D,
    expected: &str,
    convert: impl Fn(&Value) -> Option<T>,
) -> Result<Field<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(Field::Null),
        v => convert(&v)
            .map(Field::Value)
            .ok_or_else(|| D::Error::custom(format_args!("expected {expected}, found {v}"))),
    }
}

/// Decodes a `dynamic` cell: JSON text (as the query API writes it) is parsed, any other JSON value is
/// read as it is. An absent or `null` cell, or empty text, gives `None`. `column` names the cell in
/// errors.
pub fn decode_dynamic<T: DeserializeOwned>(
    column: &str,
    cell: &Field<Value>,
) -> Result<Option<T>, ParseError> {
    match cell.get() {
        None => Ok(None),
        Some(Value::String(text)) => decode_json_text(column, text),
        Some(other) => from_value(other.clone())
            .map(Some)
            .map_err(|e| in_column(column, e)),
    }
}

/// Decodes a cell holding JSON text; empty text gives `None`. `column` names the cell in errors.
pub fn decode_json_text<T: DeserializeOwned>(
    column: &str,
    text: &str,
) -> Result<Option<T>, ParseError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let value: Value = serde_json::from_str(text).map_err(|e| ParseError::Field {
        path: column.to_owned(),
        message: format!("not JSON ({e}): {text}"),
    })?;
    from_value(value)
        .map(Some)
        .map_err(|e| in_column(column, e))
}

/// Prefixes the path of a parse error with the column it came from.
fn in_column(column: &str, error: ParseError) -> ParseError {
    match error {
        ParseError::Field { path, message } if path == "." => ParseError::Field {
            path: column.to_owned(),
            message,
        },
        ParseError::Field { path, message } => ParseError::Field {
            path: format!("{column}.{path}"),
            message,
        },
        other => other,
    }
}

/// Splits a comma-separated list cell (such as `Tactics`) into its trimmed, non-empty items.
pub fn split_list(cell: &Field<String>) -> Vec<String> {
    cell.get()
        .map(|text| {
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}
