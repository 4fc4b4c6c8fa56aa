//! What the Sentinel lists accept, and the lists themselves: `GET …/incidents` and an incident's
//! `comments` and `relations`, each with `$filter`, `$orderby`, `$top` and `$skipToken`.
//!
//! The grammar and the paging rules are `tandem-odata`'s, shared with the XDR's Graph lists: `$filter`
//! combines comparisons with `and`, `or`, `not`, parentheses and `in`, and a `$skipToken` holds the sort
//! key and tie-breaker of the last item served, so the next page starts strictly after it and items
//! written between two requests never make an unchanged one repeat or vanish. This module holds what
//! is the SIEM's own: the properties each list may filter and order on and the columns behind them
//! ([`crate::store::list`]), and the default and largest pages (50 and 1,000, as Sentinel's).

use tandem_model::sentinel::Incident;
use tandem_odata::filter::{FieldKind, FilterField, Param, SqlFilter};
use tandem_odata::{ListQuery, ListSpec, OrderField};

use super::{IncidentError, IncidentState, Incidents};
use crate::store::incidents::{self as rows, ChildKind};
use crate::store::list::{self, CHILDREN, INCIDENTS, Page};

/// The default page of every list.
const DEFAULT_TOP: usize = 50;
/// The largest page of every list; a larger `$top` is capped.
const MAX_TOP: usize = 1000;

/// What `GET …/incidents` supports. Without `$orderby`, the newest incident comes first.
pub const INCIDENT_LIST: ListSpec = ListSpec {
    filter_fields: &[
        text("name", "name"),
        text("properties/title", "q_title"),
        text("properties/status", "q_status"),
        text("properties/severity", "q_severity"),
        text("properties/classification", "l_classification"),
        text("properties/providerName", "q_provider"),
        text("properties/providerIncidentId", "l_provider_incident_id"),
        text("properties/owner/assignedTo", "q_owner_name"),
        text("properties/owner/email", "q_owner_email"),
        text("properties/owner/objectId", "l_owner_object_id"),
        text("properties/owner/userPrincipalName", "q_owner_upn"),
        FilterField {
            property: "properties/incidentNumber",
            column: "number",
            kind: FieldKind::Integer,
        },
        time("properties/createdTimeUtc", "created_ns"),
        time("properties/lastModifiedTimeUtc", "last_modified_ns"),
        time("properties/firstActivityTimeUtc", "first_activity_ns"),
        time("properties/lastActivityTimeUtc", "last_activity_ns"),
    ],
    order_fields: &[
        order("properties/createdTimeUtc", "created_ns"),
        order("properties/lastModifiedTimeUtc", "last_modified_ns"),
        // An incident without activity times sorts first, as OData orders null.
        order(
            "properties/firstActivityTimeUtc",
            "IFNULL(first_activity_ns, -9223372036854775808)",
        ),
        order(
            "properties/lastActivityTimeUtc",
            "IFNULL(last_activity_ns, -9223372036854775808)",
        ),
        order("properties/incidentNumber", "number"),
        order("properties/severity", "q_rank"),
    ],
    default_top: DEFAULT_TOP,
    max_top: MAX_TOP,
    selectable: &[],
    expandable: &[],
};

/// What `GET …/incidents/{id}/comments` supports. Without `$orderby`, the oldest comment comes first.
pub const COMMENT_LIST: ListSpec = ListSpec {
    filter_fields: &[text("name", "name")],
    ..CHILD_LIST
};

/// What `GET …/incidents/{id}/relations` supports. Without `$orderby`, the oldest relation comes first.
pub const RELATION_LIST: ListSpec = ListSpec {
    filter_fields: &[
        text("name", "name"),
        text(
            "properties/relatedResourceName",
            "json_extract(resource, '$.properties.relatedResourceName')",
        ),
        text(
            "properties/relatedResourceType",
            "json_extract(resource, '$.properties.relatedResourceType')",
        ),
        text(
            "properties/relatedResourceKind",
            "json_extract(resource, '$.properties.relatedResourceKind')",
        ),
    ],
    ..CHILD_LIST
};

/// What the lists under an incident share: they order by creation (the sequence a child takes when it
/// is created) and page like the incidents.
const CHILD_LIST: ListSpec = ListSpec {
    filter_fields: &[],
    order_fields: &[order("properties/createdTimeUtc", "seq")],
    default_top: DEFAULT_TOP,
    max_top: MAX_TOP,
    selectable: &[],
    expandable: &[],
};

const fn text(property: &'static str, column: &'static str) -> FilterField {
    FilterField {
        property,
        column,
        kind: FieldKind::Text,
    }
}

const fn time(property: &'static str, column: &'static str) -> FilterField {
    FilterField {
        property,
        column,
        kind: FieldKind::Timestamp,
    }
}

const fn order(property: &'static str, column: &'static str) -> OrderField {
    OrderField { property, column }
}

impl Incidents<'_> {
    /// One page of incidents, as `query` asks.
    pub fn list(&self, query: &ListQuery) -> Result<Page<Incident>, IncidentError> {
        let page: Page<IncidentState> = self
            .store
            .read_incidents(|c| list::page(c, &INCIDENTS, query))?;
        Ok(page.map(|state| state.resource))
    }

    /// One page of the comments or relations of incident `name`, as `query` asks.
    pub fn list_children<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        kind: ChildKind,
        query: &ListQuery,
    ) -> Result<Page<T>, IncidentError> {
        let mut query = query.clone();
        query.and_filter(SqlFilter {
            sql: "(kind = ? AND incident = ?)".to_owned(),
            params: vec![
                Param::Text(kind.key().to_owned()),
                Param::Text(name.to_owned()),
            ],
        });
        let (exists, page) = self.store.read_incidents(|c| {
            Ok((
                rows::incident_exists(c, name)?,
                list::page(c, &CHILDREN, &query)?,
            ))
        })?;
        if exists {
            Ok(page)
        } else {
            Err(Self::not_found(name))
        }
    }
}
