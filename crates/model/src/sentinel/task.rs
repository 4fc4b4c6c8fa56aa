//! Incident tasks: checklist items an analyst works through on an incident.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::arm::Resource;
use super::comment::ClientInfo;
use crate::wire::{Field, Timestamp};

/// An incident task in its ARM envelope.
pub type IncidentTask = Resource<IncidentTaskProperties>;

crate::wire_enum! {
    /// Whether a task is done.
    pub enum IncidentTaskStatus {
        /// Not done yet.
        New => "New",
        /// Done.
        Completed => "Completed",
    }
}

/// The members of an incident task.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentTaskProperties {
    /// Title.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Whether the task is done.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<IncidentTaskStatus>,
    /// When the task was created (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created_time_utc: Field<Timestamp>,
    /// When the task was changed last (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_modified_time_utc: Field<Timestamp>,
    /// Who created the task.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created_by: Field<ClientInfo>,
    /// Who changed the task last.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_modified_by: Field<ClientInfo>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
