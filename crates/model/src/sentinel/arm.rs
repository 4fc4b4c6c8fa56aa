//! The Azure Resource Manager envelope every Sentinel resource travels in, ARM list pages and ARM's
//! error body.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::wire_struct;
use crate::wire::{Field, Timestamp};

/// An ARM resource: identity and concurrency members around the resource's own `properties`.
///
/// The `etag` is kept as text, literal quotes included (`"\"0300bf09-…\""`): Sentinel compares it
/// verbatim in `If-Match`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Resource<P> {
    /// Full ARM resource id (`/subscriptions/…/incidents/{name}`).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub id: Field<String>,
    /// The last segment of the id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Resource type, such as `Microsoft.SecurityInsights/incidents`.
    #[serde(rename = "type", default, skip_serializing_if = "Field::is_absent")]
    pub resource_type: Field<String>,
    /// Concurrency token, as text.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub etag: Field<String>,
    /// Who created and last changed the resource, and when.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub system_data: Field<SystemData>,
    /// The resource's own members.
    pub properties: P,
    /// Members this model does not name, kept for a lossless round trip.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<P> Resource<P> {
    /// A resource with only `properties` set, as a client sends in a PUT body.
    pub fn new(properties: P) -> Self {
        Resource {
            id: Field::Absent,
            name: Field::Absent,
            resource_type: Field::Absent,
            etag: Field::Absent,
            system_data: Field::Absent,
            properties,
            extra: Map::new(),
        }
    }
}

/// One page of an ARM list; `nextLink` points at the next page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct List<T> {
    /// The items of this page.
    pub value: Vec<T>,
    /// Absolute URL of the next page, when there is one.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub next_link: Field<String>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> List<T> {
    /// A page holding `value`, with a link to the next page if there is one.
    pub fn new(value: Vec<T>, next_link: Option<String>) -> Self {
        List {
            value,
            next_link: next_link.map_or(Field::Absent, Field::Value),
            extra: Map::new(),
        }
    }
}

crate::wire_enum! {
    /// The kind of identity that created or changed a resource.
    pub enum CreatedByType {
        /// A user.
        User => "User",
        /// An application (service principal).
        Application => "Application",
        /// A managed identity.
        ManagedIdentity => "ManagedIdentity",
        /// A key.
        Key => "Key",
    }
}

wire_struct! {
    /// ARM's `systemData`: creation and last-change audit members.
    #[serde(rename_all = "camelCase")]
    pub struct SystemData {
        /// Identity that created the resource.
        created_by: String,
        /// Kind of that identity.
        created_by_type: CreatedByType,
        /// When the resource was created.
        created_at: Timestamp,
        /// Identity that changed the resource last.
        last_modified_by: String,
        /// Kind of that identity.
        last_modified_by_type: CreatedByType,
        /// When the resource was changed last.
        last_modified_at: Timestamp,
    }
}

wire_struct! {
    /// ARM's error response: `{"error": {"code", "message", "target", "details"}}`.
    pub struct CloudError {
        /// The error itself.
        required error: CloudErrorBody,
    }
}

impl CloudError {
    /// An error body with a machine-readable `code` (such as `BadRequest`, `NotFound`,
    /// `PreconditionFailed`) and a human-readable `message`.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CloudError {
            error: CloudErrorBody::new(code, message),
            extra: Map::new(),
        }
    }

    /// The same error, naming the member or resource it is about.
    pub fn with_target(mut self, target: impl Into<String>) -> Self {
        self.error.target = Field::Value(target.into());
        self
    }

    /// The same error, with one more detail (for example one per invalid member).
    pub fn with_detail(mut self, detail: CloudErrorBody) -> Self {
        let mut details = self.error.details.into_option().unwrap_or_default();
        details.push(detail);
        self.error.details = Field::Value(details);
        self
    }
}

wire_struct! {
    /// The body of an ARM error; `details` nests further bodies.
    #[serde(rename_all = "camelCase")]
    pub struct CloudErrorBody {
        /// Machine-readable error code.
        code: String,
        /// Human-readable description.
        message: String,
        /// The member or resource the error is about.
        target: String,
        /// Finer errors behind this one.
        details: Vec<CloudErrorBody>,
    }
}

impl CloudErrorBody {
    /// A body with a code and a message.
    pub fn new(code: impl Into<String>, message: impl Into<String>) -> Self {
        CloudErrorBody {
            code: Field::Value(code.into()),
            message: Field::Value(message.into()),
            target: Field::Absent,
            details: Field::Absent,
            extra: Map::new(),
        }
    }
}
