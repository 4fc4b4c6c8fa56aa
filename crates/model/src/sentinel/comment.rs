//! Incident comments and the `ClientInfo` that names their author.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::arm::Resource;
use crate::wire::{Field, Timestamp};

/// An incident comment in its ARM envelope.
pub type IncidentComment = Resource<IncidentCommentProperties>;

/// The members of an incident comment.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentCommentProperties {
    /// The comment text.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub message: Field<String>,
    /// Who wrote it (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub author: Field<ClientInfo>,
    /// When it was written (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created_time_utc: Field<Timestamp>,
    /// When it was changed last (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_modified_time_utc: Field<Timestamp>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IncidentCommentProperties {
    /// A comment with only its text, as a client sends it.
    pub fn with_message(message: impl Into<String>) -> Self {
        IncidentCommentProperties {
            message: Field::Value(message.into()),
            ..Self::default()
        }
    }
}

/// A principal that acted on a resource.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientInfo {
    /// Email address.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub email: Field<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Directory object id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub object_id: Field<String>,
    /// User principal name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub user_principal_name: Field<String>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
