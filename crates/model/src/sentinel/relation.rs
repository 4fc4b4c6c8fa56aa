//! Incident relations: links from an incident to a bookmark, alert or entity.

use super::arm::Resource;
use crate::wire::wire_struct;

/// An incident relation in its ARM envelope.
pub type IncidentRelation = Resource<RelationProperties>;

wire_struct! {
    /// The members of an incident relation.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct RelationProperties {
        /// ARM id of the related resource.
        related_resource_id: String,
        /// Name of the related resource (read-only).
        related_resource_name: String,
        /// ARM type of the related resource (read-only).
        related_resource_type: String,
        /// Entity kind of the related resource, such as `SecurityAlert` (read-only).
        related_resource_kind: String,
    }
}
