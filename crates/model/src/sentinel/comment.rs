//! Incident comments and the `ClientInfo` that names their author.

use super::arm::Resource;
use crate::wire::wire_struct;
use crate::wire::{Field, Timestamp};

/// An incident comment in its ARM envelope.
pub type IncidentComment = Resource<IncidentCommentProperties>;

wire_struct! {
    /// The members of an incident comment.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct IncidentCommentProperties {
        /// The comment text.
        message: String,
        /// Who wrote it (read-only).
        author: ClientInfo,
        /// When it was written (read-only).
        created_time_utc: Timestamp,
        /// When it was changed last (read-only).
        last_modified_time_utc: Timestamp,
    }
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

wire_struct! {
    /// A principal that acted on a resource.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct ClientInfo {
        /// Email address.
        email: String,
        /// Display name.
        name: String,
        /// Directory object id.
        object_id: String,
        /// User principal name.
        user_principal_name: String,
    }
}
