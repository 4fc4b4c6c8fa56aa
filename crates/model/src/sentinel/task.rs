//! Incident tasks: checklist items an analyst works through on an incident.

use super::arm::Resource;
use super::comment::ClientInfo;
use crate::wire::Timestamp;
use crate::wire::wire_struct;

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

wire_struct! {
    /// The members of an incident task.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct IncidentTaskProperties {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// Whether the task is done.
        status: IncidentTaskStatus,
        /// When the task was created (read-only).
        created_time_utc: Timestamp,
        /// When the task was changed last (read-only).
        last_modified_time_utc: Timestamp,
        /// Who created the task.
        created_by: ClientInfo,
        /// Who changed the task last.
        last_modified_by: ClientInfo,
    }
}
