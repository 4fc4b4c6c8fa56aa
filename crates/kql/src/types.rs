//! KQL's scalar types and how each is held in Arrow.
//!
//! A table's schema is an Arrow schema whose every field records its KQL type in the field metadata
//! under [`KQL_TYPE_KEY`]. Several KQL types share one Arrow type (`guid` and `dynamic` are both
//! UTF-8 text, `dynamic` holding JSON), so the metadata is what lets a query answer with the column
//! types Log Analytics returns, and lets the compiler know which text columns hold JSON.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use datafusion::arrow::datatypes::{DataType, Field, TimeUnit};

/// The field-metadata key that holds a column's KQL type name.
pub const KQL_TYPE_KEY: &str = "kql_type";

/// A KQL scalar type, as named in a Log Analytics response's `columns[].type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KqlType {
    /// UTF-8 text.
    String,
    /// 32-bit signed integer.
    Int,
    /// 64-bit signed integer.
    Long,
    /// 64-bit float.
    Real,
    /// Boolean.
    Bool,
    /// A UTC instant, held to the nanosecond.
    Datetime,
    /// A duration, held to the nanosecond.
    Timespan,
    /// A GUID, held as its text.
    Guid,
    /// A JSON value (object, array or scalar), held as its JSON text.
    Dynamic,
}

impl KqlType {
    /// Every type, in the order the Log Analytics documentation lists them.
    pub const ALL: [KqlType; 9] = [
        KqlType::Bool,
        KqlType::Datetime,
        KqlType::Dynamic,
        KqlType::Guid,
        KqlType::Int,
        KqlType::Long,
        KqlType::Real,
        KqlType::String,
        KqlType::Timespan,
    ];

    /// The type's name on the wire (`"datetime"`, `"dynamic"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            KqlType::String => "string",
            KqlType::Int => "int",
            KqlType::Long => "long",
            KqlType::Real => "real",
            KqlType::Bool => "bool",
            KqlType::Datetime => "datetime",
            KqlType::Timespan => "timespan",
            KqlType::Guid => "guid",
            KqlType::Dynamic => "dynamic",
        }
    }

    /// The Arrow type a column of this KQL type is stored as.
    pub fn arrow_type(self) -> DataType {
        match self {
            KqlType::String | KqlType::Guid | KqlType::Dynamic => DataType::Utf8,
            KqlType::Int => DataType::Int32,
            KqlType::Long => DataType::Int64,
            KqlType::Real => DataType::Float64,
            KqlType::Bool => DataType::Boolean,
            KqlType::Datetime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
            KqlType::Timespan => DataType::Duration(TimeUnit::Nanosecond),
        }
    }

    /// A nullable Arrow field of this type, its KQL type recorded in the metadata.
    pub fn field(self, name: &str) -> Field {
        Field::new(name, self.arrow_type(), true).with_metadata(HashMap::from([(
            KQL_TYPE_KEY.to_owned(),
            self.name().to_owned(),
        )]))
    }

    /// The KQL type of a field: its recorded metadata, or else the closest type for its Arrow type
    /// (a computed column carries no metadata).
    pub fn of_field(field: &Field) -> KqlType {
        field
            .metadata()
            .get(KQL_TYPE_KEY)
            .and_then(|name| name.parse().ok())
            .unwrap_or_else(|| KqlType::of_arrow(field.data_type()))
    }

    /// The closest KQL type for an Arrow type; anything nested or unknown is `dynamic`.
    pub fn of_arrow(data_type: &DataType) -> KqlType {
        match data_type {
            DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => KqlType::String,
            DataType::Int8 | DataType::Int16 | DataType::Int32 => KqlType::Int,
            DataType::UInt8 | DataType::UInt16 => KqlType::Int,
            DataType::Int64 | DataType::UInt32 | DataType::UInt64 => KqlType::Long,
            DataType::Float16 | DataType::Float32 | DataType::Float64 => KqlType::Real,
            DataType::Decimal128(..) | DataType::Decimal256(..) => KqlType::Real,
            DataType::Boolean => KqlType::Bool,
            DataType::Timestamp(..) | DataType::Date32 | DataType::Date64 => KqlType::Datetime,
            DataType::Duration(_) | DataType::Interval(_) => KqlType::Timespan,
            _ => KqlType::Dynamic,
        }
    }
}

impl fmt::Display for KqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A type name that KQL does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown KQL type '{0}'; the types are bool, datetime, dynamic, guid, int, long, real, string and timespan")]
pub struct UnknownType(pub String);

impl FromStr for KqlType {
    type Err = UnknownType;

    /// Parses a type name, with the aliases KQL accepts (`boolean`, `date`, `time`, `double`,
    /// `int32`, `int64`, `uniqueid`, `decimal` read as `real`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let kind = match text.to_ascii_lowercase().as_str() {
            "string" => KqlType::String,
            "int" | "int32" => KqlType::Int,
            "long" | "int64" => KqlType::Long,
            "real" | "double" | "decimal" => KqlType::Real,
            "bool" | "boolean" => KqlType::Bool,
            "datetime" | "date" => KqlType::Datetime,
            "timespan" | "time" => KqlType::Timespan,
            "guid" | "uniqueid" => KqlType::Guid,
            "dynamic" => KqlType::Dynamic,
            _ => return Err(UnknownType(text.to_owned())),
        };
        Ok(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips_through_its_name_and_its_field() {
        for kind in KqlType::ALL {
            assert_eq!(kind.name().parse::<KqlType>(), Ok(kind));
            assert_eq!(KqlType::of_field(&kind.field("c")), kind);
        }
    }

    #[test]
    fn a_field_without_metadata_takes_the_closest_type() {
        let plain = Field::new("n", DataType::Int64, true);
        assert_eq!(KqlType::of_field(&plain), KqlType::Long);
        let text = Field::new("s", DataType::Utf8, true);
        assert_eq!(KqlType::of_field(&text), KqlType::String);
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_list() {
        let error = "varchar".parse::<KqlType>().unwrap_err();
        assert!(error.to_string().contains("timespan"), "{error}");
    }
}
