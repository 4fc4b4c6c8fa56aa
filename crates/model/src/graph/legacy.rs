//! Members some Graph services send under an older name (`tags` for `customTags`, `createdBy` for
//! `createdByDisplayName`, ...).
//!
//! A type with such a member is read in two steps: the derived reader fills the documented member and
//! leaves the legacy one in `extra`; [`adopt`] then moves the legacy value into the documented member when
//! that is absent. When both are present the documented one wins and the legacy one stays in `extra`, so
//! nothing is lost and nothing is rejected.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::Field;

/// Moves `extra[legacy]` into `documented` if `documented` is absent; the error names the legacy member.
pub fn adopt<T: DeserializeOwned, E: serde::de::Error>(
    documented: &mut Field<T>,
    extra: &mut Map<String, Value>,
    legacy: &str,
) -> Result<(), E> {
    if !documented.is_absent() {
        return Ok(());
    }
    if let Some(value) = extra.remove(legacy) {
        *documented = serde_json::from_value(value)
            .map_err(|e| E::custom(format_args!("field `{legacy}`: {e}")))?;
    }
    Ok(())
}

/// Implements `Serialize` and `Deserialize` for a type whose derives carry `#[serde(remote = "Self")]`,
/// reading with the derived reader and then calling `$fixup(&mut value)` to adopt legacy members.
macro_rules! with_legacy_members {
    ($name:ident, $fixup:expr) => {
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                $name::serialize(self, serializer)
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Self, D::Error> {
                let mut value = $name::deserialize(deserializer)?;
                $fixup(&mut value)?;
                Ok(value)
            }
        }
    };
}

pub(crate) use with_legacy_members;
