//! The OData collection envelope every Graph list response uses.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::Field;

/// One page of a Graph list: `{"@odata.context", "@odata.count", "@odata.nextLink", "value": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection<T> {
    /// The metadata URL describing the items.
    #[serde(
        rename = "@odata.context",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub context: Field<String>,
    /// The total number of items across all pages (sent when `$count=true` was asked for).
    #[serde(
        rename = "@odata.count",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub count: Field<u64>,
    /// The URL of the next page; absent on the last page.
    #[serde(
        rename = "@odata.nextLink",
        default,
        skip_serializing_if = "Field::is_absent"
    )]
    pub next_link: Field<String>,
    /// The items on this page.
    pub value: Vec<T>,
    /// Members this version of Tandem does not name, kept verbatim.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<T> Collection<T> {
    /// A page holding `value`, with no annotations.
    pub fn new(value: Vec<T>) -> Self {
        Collection {
            context: Field::Absent,
            count: Field::Absent,
            next_link: Field::Absent,
            value,
            extra: Map::new(),
        }
    }

    /// The URL of the next page, if there is one.
    pub fn next_link(&self) -> Option<&str> {
        self.next_link.get().map(String::as_str)
    }
}
