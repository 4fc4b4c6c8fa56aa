//! Table schemas: the Log Analytics column types, a table's ordered columns, and the checks that keep
//! every stored value true to its column's type.
//!
//! Rows are stored as JSON objects. A value is stored in its column's canonical form (a `datetime` as
//! RFC 3339 UTC text with seven fractional digits, a `guid` in lower case), so that stored text sorts
//! the way the values do and the query engine can read it back without guessing.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A Log Analytics column type, spelled as the query API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Text.
    String,
    /// 32-bit integer.
    Int,
    /// 64-bit integer.
    Long,
    /// Double-precision number.
    Real,
    /// `true` / `false`.
    Bool,
    /// A point in time (UTC).
    Datetime,
    /// Any JSON value (arrays and objects included).
    Dynamic,
    /// A GUID.
    Guid,
    /// A duration (the query engine's `ago()` arithmetic uses it).
    Timespan,
}

impl ColumnType {
    /// The type's name on the wire (`string`, `datetime`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnType::String => "string",
            ColumnType::Int => "int",
            ColumnType::Long => "long",
            ColumnType::Real => "real",
            ColumnType::Bool => "bool",
            ColumnType::Datetime => "datetime",
            ColumnType::Dynamic => "dynamic",
            ColumnType::Guid => "guid",
            ColumnType::Timespan => "timespan",
        }
    }

    /// Reads a type name as written in a configuration file (`string`, `boolean`, `datetime`, ...).
    pub fn parse(name: &str) -> Option<ColumnType> {
        let kind = match name.to_ascii_lowercase().as_str() {
            "string" => ColumnType::String,
            "int" => ColumnType::Int,
            "long" => ColumnType::Long,
            "real" | "double" => ColumnType::Real,
            "bool" | "boolean" => ColumnType::Bool,
            "datetime" => ColumnType::Datetime,
            "dynamic" => ColumnType::Dynamic,
            "guid" => ColumnType::Guid,
            "timespan" => ColumnType::Timespan,
            _ => return None,
        };
        Some(kind)
    }

    /// The type a new column takes from the first value seen in it.
    ///
    /// Integers become `long`, other numbers `real`, text that reads as an RFC 3339 date and time
    /// `datetime`, other text `string`, arrays, objects and `null` `dynamic`.
    pub fn infer(value: &Value) -> ColumnType {
        match value {
            Value::Bool(_) => ColumnType::Bool,
            Value::Number(n) if n.is_i64() || n.is_u64() => ColumnType::Long,
            Value::Number(_) => ColumnType::Real,
            Value::String(s) if parse_datetime(s).is_some() => ColumnType::Datetime,
            Value::String(_) => ColumnType::String,
            Value::Null | Value::Array(_) | Value::Object(_) => ColumnType::Dynamic,
        }
    }

    /// Checks `value` against the type and returns its canonical stored form, or why it does not fit.
    pub fn coerce(self, value: &Value) -> Result<Value, String> {
        if value.is_null() {
            return Ok(Value::Null);
        }
        let fits = match self {
            ColumnType::String => value.as_str().map(|s| Value::String(s.to_owned())),
            ColumnType::Int => value
                .as_i64()
                .filter(|n| i32::try_from(*n).is_ok())
                .map(Value::from),
            ColumnType::Long => value.as_i64().map(Value::from),
            ColumnType::Real => value.as_f64().map(Value::from),
            ColumnType::Bool => value.as_bool().map(Value::Bool),
            ColumnType::Datetime => value
                .as_str()
                .and_then(parse_datetime)
                .map(|t| Value::String(format_datetime(t))),
            ColumnType::Guid => value
                .as_str()
                .and_then(|s| uuid::Uuid::parse_str(s).ok())
                .map(|u| Value::String(u.to_string())),
            ColumnType::Timespan => value.as_str().map(|s| Value::String(s.to_owned())),
            ColumnType::Dynamic => Some(value.clone()),
        };
        fits.ok_or_else(|| format!("expected a {} value, got {}", self.as_str(), value))
    }
}

/// Parses RFC 3339 text (a missing zone is read as UTC, a space may separate date and time).
pub fn parse_datetime(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"]
        .iter()
        .find_map(|format| chrono::NaiveDateTime::parse_from_str(text, format).ok())
        .map(|t| t.and_utc())
}

/// The canonical stored text of a point in time: UTC, seven fractional digits, `Z`.
pub fn format_datetime(instant: DateTime<Utc>) -> String {
    tandem_model::Timestamp::from_instant(instant).to_string()
}

/// One column of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Column {
    /// Column name, case-sensitive as in Log Analytics.
    pub name: String,
    /// Column type.
    #[serde(rename = "type")]
    pub kind: ColumnType,
}

impl Column {
    /// A column named `name` of type `kind`.
    pub fn new(name: impl Into<String>, kind: ColumnType) -> Self {
        Column {
            name: name.into(),
            kind,
        }
    }
}

/// A table's name and ordered columns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableSchema {
    /// Table name (`SecurityIncident`, `MyApp_CL`).
    pub name: String,
    /// Columns in display order.
    pub columns: Vec<Column>,
}

impl TableSchema {
    /// The column named `name`, if the table has one.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A row's values in their columns' canonical form. Fails on the first member that is not a column
/// of `schema` or does not fit its column, with the member's name and why.
pub fn coerce_row(
    schema: &TableSchema,
    row: &serde_json::Map<String, Value>,
) -> Result<serde_json::Map<String, Value>, (String, String)> {
    row.iter()
        .map(|(name, value)| {
            let column = schema.column(name).ok_or_else(|| {
                (
                    name.clone(),
                    format!("table {} has no column {name}", schema.name),
                )
            })?;
            let canonical = column
                .kind
                .coerce(value)
                .map_err(|why| (name.clone(), why))?;
            Ok((name.clone(), canonical))
        })
        .collect()
}

/// The name of the column every table has: when the row was generated (or ingested).
pub const TIME_GENERATED: &str = "TimeGenerated";

/// The most columns a table may have (Log Analytics' limit).
pub const MAX_COLUMNS: usize = 500;

/// The longest a string value may be; longer values are cut to this many bytes, as Log Analytics does.
pub const MAX_FIELD_BYTES: usize = 64 * 1024;

/// Whether `name` is a valid column name: a letter, then up to 44 letters, digits or underscores.
/// (`_ResourceId`-style names that start with `_` are Log Analytics' own and are refused.)
pub fn is_valid_column_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= 45
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn coerce_normalises_datetimes_and_refuses_wrong_types() {
        let t = ColumnType::Datetime
            .coerce(&json!("2024-01-02T03:04:05+01:00"))
            .unwrap();
        assert_eq!(t, json!("2024-01-02T02:04:05.0000000Z"));
        assert!(ColumnType::Long.coerce(&json!("12")).is_err());
        assert!(ColumnType::Int.coerce(&json!(5_000_000_000i64)).is_err());
        assert_eq!(ColumnType::Real.coerce(&json!(3)).unwrap(), json!(3.0));
        assert_eq!(ColumnType::Bool.coerce(&Value::Null).unwrap(), Value::Null);
    }

    #[test]
    fn infer_picks_the_type_of_the_first_value() {
        assert_eq!(ColumnType::infer(&json!(1)), ColumnType::Long);
        assert_eq!(ColumnType::infer(&json!(1.5)), ColumnType::Real);
        assert_eq!(
            ColumnType::infer(&json!("2024-01-01T00:00:00Z")),
            ColumnType::Datetime
        );
        assert_eq!(ColumnType::infer(&json!("host-1")), ColumnType::String);
        assert_eq!(ColumnType::infer(&json!({"a": 1})), ColumnType::Dynamic);
    }

    #[test]
    fn column_names_follow_log_analytics_rules() {
        assert!(is_valid_column_name("Computer_1"));
        assert!(!is_valid_column_name("_ResourceId"));
        assert!(!is_valid_column_name("1st"));
        assert!(!is_valid_column_name("has space"));
    }
}
