//! Building blocks shared by every wire type: tri-state fields, lossless timestamps, tolerant enums and
//! parse errors that name the field and the value.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Timelike, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A JSON member that may be absent, explicitly `null`, or hold a value.
///
/// Graph and Sentinel payloads use both absent members and explicit `null`s, and a round trip must keep
/// the difference. Declare fields as
/// `#[serde(default, skip_serializing_if = "Field::is_absent")] pub name: Field<T>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Field<T> {
    /// The member is not in the payload.
    #[default]
    Absent,
    /// The member is present with the value `null`.
    Null,
    /// The member is present with a value.
    Value(T),
}

impl<T> Field<T> {
    /// True when the member is not in the payload (used by `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Field::Absent)
    }

    /// The value, if there is one.
    pub fn get(&self) -> Option<&T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }

    /// Takes the value out, if there is one.
    pub fn into_option(self) -> Option<T> {
        match self {
            Field::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<Option<T>> for Field<T> {
    /// `Some` becomes a value and `None` an explicit `null`.
    fn from(value: Option<T>) -> Self {
        value.map_or(Field::Null, Field::Value)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Field::Value(v) => v.serialize(serializer),
            Field::Absent | Field::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Field::from)
    }
}

/// A point in time as a service wrote it.
///
/// Graph writes seven fractional digits, Sentinel often fewer; re-formatting a parsed time would change
/// the text. A `Timestamp` keeps the text it was read from and compares by instant.
#[derive(Debug, Clone)]
pub struct Timestamp {
    text: String,
    instant: DateTime<Utc>,
}

impl Timestamp {
    /// A timestamp for an instant, written as Graph writes it (UTC, seven fractional digits).
    pub fn from_instant(instant: DateTime<Utc>) -> Self {
        // chrono has no seven-digit fraction; a leap second reports up to 1_999_999_999 ns.
        let ticks = (instant.timestamp_subsec_nanos() / 100).min(9_999_999);
        let text = format!("{}.{ticks:07}Z", instant.format("%Y-%m-%dT%H:%M:%S"));
        // The instant keeps exactly the precision the text carries.
        let instant = instant.with_nanosecond(ticks * 100).unwrap_or(instant);
        Timestamp { text, instant }
    }

    /// The current time.
    pub fn now() -> Self {
        Self::from_instant(Utc::now())
    }

    /// Parses RFC 3339 text, keeping the text. A missing zone (`2024-01-01T00:00:00`) is read as UTC.
    pub fn parse(text: &str) -> Result<Self, chrono::ParseError> {
        let instant = match DateTime::parse_from_rfc3339(text) {
            Ok(t) => t.with_timezone(&Utc),
            Err(e) => chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                .map_err(|_| e)?
                .and_utc(),
        };
        Ok(Timestamp {
            text: text.to_owned(),
            instant,
        })
    }

    /// The instant.
    pub fn instant(&self) -> DateTime<Utc> {
        self.instant
    }

    /// The text as read (or as written by [`Timestamp::from_instant`]).
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// RFC 3339 with millisecond precision, for places that want one uniform format.
    pub fn to_rfc3339_millis(&self) -> String {
        self.instant.to_rfc3339_opts(SecondsFormat::Millis, true)
    }
}

impl PartialEq for Timestamp {
    fn eq(&self, other: &Self) -> bool {
        self.instant == other.instant
    }
}

impl Eq for Timestamp {}

impl PartialOrd for Timestamp {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timestamp {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.instant.cmp(&other.instant)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(instant: DateTime<Utc>) -> Self {
        Self::from_instant(instant)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Timestamp::parse(&text).map_err(|e| {
            serde::de::Error::custom(format_args!("invalid timestamp \"{text}\": {e}"))
        })
    }
}

/// What every [`wire_enum!`] type offers, for code that validates any of them alike.
pub trait WireEnum {
    /// The documented wire spelling (or the verbatim text of an unknown value).
    fn wire_text(&self) -> &str;

    /// True for a documented value, false for one this version of Tandem does not know.
    fn is_known(&self) -> bool;

    /// The documented spellings, comma-separated, for error messages.
    fn known_list() -> String;

    /// Reads any spelling (case-insensitive); unknown text becomes the `Other` variant.
    fn from_text(text: &str) -> Self
    where
        Self: Sized;

    /// True for a documented member declared after `unknownFutureValue`: Graph serves such a value
    /// only to clients that send `Prefer: include-unknown-enum-members`, and `unknownFutureValue` to
    /// the others.
    fn is_future_member(&self) -> bool;
}

/// Defines a wire enum that reads every spelling case-insensitively, writes the documented spelling, and
/// keeps values it does not know in an `Other` variant so that they are written back unchanged.
///
/// ```
/// tandem_model::wire_enum! {
///     /// Example.
///     pub enum Colour { Red => "red", DarkBlue => "darkBlue" }
/// }
/// let c: Colour = serde_json::from_str("\"DarkBlue\"").unwrap();
/// assert_eq!(c, Colour::DarkBlue);
/// assert_eq!(serde_json::to_string(&c).unwrap(), "\"darkBlue\"");
/// let new: Colour = serde_json::from_str("\"mauve\"").unwrap();
/// assert_eq!(new, Colour::Other("mauve".into()));
/// assert_eq!(serde_json::to_string(&new).unwrap(), "\"mauve\"");
/// ```
#[macro_export]
macro_rules! wire_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
            /// A value this version of Tandem does not know; kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every known variant, in declaration order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The documented wire spelling (or the verbatim text of an unknown value).
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(s) => s.as_str(),
                }
            }

            /// Reads any spelling (case-insensitive); unknown text becomes `Other`.
            pub fn from_wire(text: &str) -> Self {
                $(if text.eq_ignore_ascii_case($wire) { return $name::$variant; })+
                $name::Other(text.to_owned())
            }
        }

        impl $crate::wire::WireEnum for $name {
            fn wire_text(&self) -> &str {
                self.as_str()
            }

            fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }

            fn known_list() -> String {
                [$($wire),+].join(", ")
            }

            fn from_text(text: &str) -> Self {
                $name::from_wire(text)
            }

            fn is_future_member(&self) -> bool {
                let position = |wire: &str| $name::KNOWN.iter().position(|v| v.as_str() == wire);
                match (position(self.as_str()), position("unknownFutureValue")) {
                    (Some(member), Some(sentinel)) => member > sentinel,
                    _ => false,
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::borrow::Cow<'de, str> as ::serde::Deserialize>::deserialize(d)?;
                Ok($name::from_wire(&text))
            }
        }
    };
}

/// Declares a wire type the way every Graph and Sentinel payload is shaped: members that may each be
/// absent, `null` or a value ([`Field`]), and an `extra` map that keeps the members the type does not
/// name, so that a payload written back is the payload read.
///
/// Each member is written `name: Type` and becomes `pub name: Field<Type>`, read with a default and
/// written only when present; a member written `required name: Type` is a plain value the payload
/// must carry. Attributes on the type and on its members (`#[derive(Default)]`,
/// `#[serde(rename_all = ...)]`, `#[serde(rename = ...)]`, `deserialize_with`, `remote`) are kept.
macro_rules! wire_struct {
    ($(#[$meta:meta])* pub struct $name:ident { $($members:tt)* }) => {
        $crate::wire::wire_struct!(@member [$(#[$meta])*] $name [] $($members)*);
    };
    (@member $meta:tt $name:ident [$($done:tt)*]
        $(#[$member_meta:meta])* required $member:ident : $ty:ty $(, $($rest:tt)*)?) => {
        $crate::wire::wire_struct!(@member $meta $name [
            $($done)*
            $(#[$member_meta])*
            pub $member: $ty,
        ] $($($rest)*)?);
    };
    (@member $meta:tt $name:ident [$($done:tt)*]
        $(#[$member_meta:meta])* $member:ident : $ty:ty $(, $($rest:tt)*)?) => {
        $crate::wire::wire_struct!(@member $meta $name [
            $($done)*
            $(#[$member_meta])*
            #[serde(default, skip_serializing_if = "crate::Field::is_absent")]
            pub $member: $crate::Field<$ty>,
        ] $($($rest)*)?);
    };
    (@member [$($meta:tt)*] $name:ident [$($done:tt)*]) => {
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize, ::serde::Deserialize)]
        $($meta)*
        pub struct $name {
            $($done)*
            /// Members this version of Tandem does not name, kept verbatim.
            #[serde(flatten)]
            pub extra: ::serde_json::Map<String, ::serde_json::Value>,
        }
    };
}

pub(crate) use wire_struct;

/// A payload that could not be read, with the path of the offending field.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not UTF-8.
    #[error("field `{path}`: invalid UTF-8 {bytes} at byte {offset}")]
    Utf8 {
        /// Path of the field holding the first invalid sequence (`.` for the whole payload).
        path: String,
        /// Byte offset of the first invalid sequence.
        offset: usize,
        /// The invalid sequence, as hex bytes such as `0xff`.
        bytes: String,
    },
    /// The JSON is malformed or a field has a bad value.
    #[error("field `{path}`: {message}")]
    Field {
        /// Path of the field, such as `alerts[0].evidence[1].@odata.type` (`.` for the whole payload).
        path: String,
        /// What was wrong, with the offending value.
        message: String,
    },
}

impl ParseError {
    /// The path of the offending field.
    pub fn path(&self) -> Option<&str> {
        match self {
            ParseError::Field { path, .. } | ParseError::Utf8 { path, .. } => Some(path),
        }
    }
}

/// Parses a wire payload, reporting the path of the field that failed.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| utf8_error::<T>(bytes, &e))?;
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| ParseError::Field {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

/// The error for `bytes` that are not UTF-8: the invalid sequence, and the field it sits in (found by
/// reading the bytes as a `T` up to the point where the JSON reader meets the sequence).
fn utf8_error<T: DeserializeOwned>(bytes: &[u8], error: &std::str::Utf8Error) -> ParseError {
    let offset = error.valid_up_to();
    let len = error.error_len().unwrap_or(bytes.len() - offset).min(4);
    let invalid = bytes[offset..offset + len]
        .iter()
        .map(|b| format!("0x{b:02x}"));
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let path = match serde_path_to_error::deserialize::<_, T>(de) {
        Err(e) => e.path().to_string(),
        Ok(_) => ".".to_owned(),
    };
    ParseError::Utf8 {
        path,
        offset,
        bytes: invalid.collect::<Vec<_>>().join(" "),
    }
}

/// Reads a typed value out of an already-parsed JSON value, reporting the path of the field that failed.
pub fn from_value<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| ParseError::Field {
        path: e.path().to_string(),
        message: e.inner().to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_instant_writes_seven_fraction_digits_and_reads_back() {
        let instant = DateTime::parse_from_rfc3339("2024-05-01T10:00:00.123456789Z")
            .unwrap()
            .with_timezone(&Utc);
        let ts = Timestamp::from_instant(instant);
        assert_eq!(ts.as_str(), "2024-05-01T10:00:00.1234567Z");
        assert_eq!(Timestamp::parse(ts.as_str()).unwrap(), ts);
    }

    #[test]
    fn parse_keeps_text_and_reads_zoneless_as_utc() {
        let ts = Timestamp::parse("2021-08-13T08:43:35.5533333").unwrap();
        assert_eq!(ts.as_str(), "2021-08-13T08:43:35.5533333");
        assert_eq!(
            ts,
            Timestamp::parse("2021-08-13T08:43:35.5533333Z").unwrap()
        );
    }
}
