//! Incident relations: links from an incident to a bookmark, alert or entity.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::arm::Resource;
use crate::wire::Field;

/// An incident relation in its ARM envelope.
pub type IncidentRelation = Resource<RelationProperties>;

/// The members of an incident relation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelationProperties {
    /// ARM id of the related resource.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub related_resource_id: Field<String>,
    /// Name of the related resource (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub related_resource_name: Field<String>,
    /// ARM type of the related resource (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub related_resource_type: Field<String>,
    /// Entity kind of the related resource, such as `SecurityAlert` (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub related_resource_kind: Field<String>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
