//! OData type names and the legacy spellings Graph still sends for them.

use serde::{Deserialize, Deserializer};

use crate::Field;

/// The namespace of every security type.
pub const SECURITY_NAMESPACE: &str = "microsoft.graph.security";

/// The incident's documented `@odata.type`.
pub const INCIDENT_TYPE: &str = "#microsoft.graph.security.incident";

/// The alert's documented `@odata.type`.
pub const ALERT_TYPE: &str = "#microsoft.graph.security.alert";

/// The comment's `@odata.type` as the post-comments pages send it (without `#`).
pub const ALERT_COMMENT_TYPE: &str = "microsoft.graph.security.alertComment";

/// The incident type name outside the security namespace, which some Graph pages and services send.
const LEGACY_INCIDENT_TYPE: &str = "#microsoft.graph.incident";

/// Reads an incident's `@odata.type`, rewriting the legacy name to the documented one.
pub fn incident_type<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Field<String>, D::Error> {
    Ok(match Field::<String>::deserialize(deserializer)? {
        Field::Value(name) if name.eq_ignore_ascii_case(LEGACY_INCIDENT_TYPE) => {
            Field::Value(INCIDENT_TYPE.to_owned())
        }
        other => other,
    })
}

/// The unqualified type name of an `@odata.type` value: `#microsoft.graph.security.ipEvidence` and
/// `microsoft.graph.security.ipEvidence` both give `ipEvidence`; a name in another namespace gives `None`.
pub fn security_type_name(odata_type: &str) -> Option<&str> {
    let name = odata_type.strip_prefix('#').unwrap_or(odata_type);
    let (namespace, local) = name.rsplit_once('.')?;
    namespace
        .eq_ignore_ascii_case(SECURITY_NAMESPACE)
        .then_some(local)
}
