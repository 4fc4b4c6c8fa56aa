//! Reads: incidents and alerts by id and as filtered, ordered, paged listings.

use std::collections::BTreeMap;

use tandem_model::graph::{Alert, Incident};

use crate::service::{Xdr, XdrError, load_incident};
use crate::store::{self, Page, Table};
use crate::updates::load_alert;
use tandem_odata::filter::{FieldKind, FilterField, SqlFilter};
use tandem_odata::{Expandable, Expansion, ListQuery, ListSpec, OrderField};

/// What `GET /security/incidents` supports. Graph serves at most 50 incidents a page.
pub const INCIDENT_LIST: ListSpec = ListSpec {
    filter_fields: &[
        text_field("assignedTo", "assigned_to"),
        text_field("classification", "classification"),
        time_field("createdDateTime", "created_ns"),
        text_field("determination", "determination"),
        time_field("lastUpdateDateTime", "last_update_ns"),
        text_field("severity", "severity"),
        text_field("status", "status"),
    ],
    order_fields: &[
        order_field("createdDateTime", "id"),
        order_field("lastUpdateDateTime", "last_update_ns"),
        order_field("severity", "severity_rank"),
        order_field("id", "id"),
    ],
    default_top: 50,
    max_top: 50,
    selectable: &[
        "assignedTo",
        "classification",
        "comments",
        "createdDateTime",
        "customTags",
        "description",
        "determination",
        "displayName",
        "id",
        "incidentWebUrl",
        "lastUpdateDateTime",
        "redirectIncidentId",
        "severity",
        "status",
        "systemTags",
        "tenantId",
    ],
    expandable: &[Expandable {
        name: "alerts",
        spec: &ALERT_LIST,
    }],
};

/// What `GET /security/alerts_v2` supports.
pub const ALERT_LIST: ListSpec = ListSpec {
    filter_fields: &[
        text_field("assignedTo", "assigned_to"),
        text_field("classification", "classification"),
        text_field("determination", "determination"),
        time_field("createdDateTime", "created_ns"),
        time_field("lastUpdateDateTime", "last_update_ns"),
        text_field("severity", "severity"),
        text_field("serviceSource", "service_source"),
        text_field("status", "status"),
        text_field("incidentId", "CAST(incident_id AS TEXT)"),
    ],
    order_fields: &[
        order_field("createdDateTime", "seq"),
        order_field("lastUpdateDateTime", "last_update_ns"),
        order_field("severity", "severity_rank"),
    ],
    default_top: 100,
    max_top: 2000,
    selectable: &[
        "actorDisplayName",
        "alertWebUrl",
        "assignedTo",
        "category",
        "classification",
        "comments",
        "createdDateTime",
        "description",
        "detectionSource",
        "detectorId",
        "determination",
        "evidence",
        "firstActivityDateTime",
        "id",
        "incidentId",
        "incidentWebUrl",
        "lastActivityDateTime",
        "lastUpdateDateTime",
        "mitreTechniques",
        "providerAlertId",
        "recommendedActions",
        "resolvedDateTime",
        "serviceSource",
        "severity",
        "status",
        "systemTags",
        "tenantId",
        "threatDisplayName",
        "threatFamilyName",
        "title",
    ],
    expandable: &[],
};

const INCIDENTS: Table = Table {
    name: "incidents",
    seq: "id",
};
const ALERTS: Table = Table {
    name: "alerts",
    seq: "seq",
};

const fn order_field(property: &'static str, column: &'static str) -> OrderField {
    OrderField { property, column }
}

const fn text_field(property: &'static str, column: &'static str) -> FilterField {
    FilterField {
        property,
        column,
        kind: FieldKind::Text,
    }
}

const fn time_field(property: &'static str, column: &'static str) -> FilterField {
    FilterField {
        property,
        column,
        kind: FieldKind::Timestamp,
    }
}

/// A page of incidents, each with its alerts when `$expand=alerts` asked for them.
#[derive(Debug, Clone)]
pub struct IncidentPage {
    /// The page.
    pub page: Page<Incident>,
    /// Alerts by incident id (empty unless expanded).
    pub alerts: BTreeMap<i64, Vec<Alert>>,
}

/// One incident and, when expanded, its alerts.
#[derive(Debug, Clone)]
pub struct IncidentView {
    /// The incident.
    pub incident: Incident,
    /// Its alerts, when `$expand=alerts` asked for them.
    pub alerts: Option<Vec<Alert>>,
}

impl Xdr {
    /// Lists incidents.
    pub fn list_incidents(&self, query: &ListQuery) -> Result<IncidentPage, XdrError> {
        self.store().read(|conn| {
            let page = store::list(conn, &INCIDENTS, query)?;
            let alerts = match query.expansion("alerts") {
                Some(expansion) => {
                    let ids: Vec<i64> = page.items.iter().map(|(id, _)| *id).collect();
                    let filter = expansion.filter.as_ref();
                    group_alerts(store::filtered_alerts_of_incidents(conn, &ids, filter)?)
                }
                None => BTreeMap::new(),
            };
            Ok(IncidentPage { page, alerts })
        })
    }

    /// One incident, with its alerts when `expand` is set.
    pub fn incident(&self, id: i64, expand: bool) -> Result<IncidentView, XdrError> {
        let expansion = expand.then(|| Expansion {
            name: "alerts".to_owned(),
            select: None,
            filter: None,
        });
        self.incident_expanded(id, expansion.as_ref())
    }

    /// One incident, with the alerts `expansion`'s filter keeps when `$expand=alerts` was asked for.
    pub fn incident_expanded(
        &self,
        id: i64,
        expansion: Option<&Expansion>,
    ) -> Result<IncidentView, XdrError> {
        self.store().read(|conn| {
            let incident = load_incident(conn, id)?;
            let alerts = match expansion {
                Some(expansion) => {
                    let filter = expansion.filter.as_ref();
                    let alerts = store::filtered_alerts_of_incidents(conn, &[id], filter)?;
                    Some(alerts.into_iter().map(|a| a.alert).collect())
                }
                None => None,
            };
            Ok(IncidentView {
                incident: incident.incident,
                alerts,
            })
        })
    }

    /// Lists alerts.
    pub fn list_alerts(&self, query: &ListQuery) -> Result<Page<Alert>, XdrError> {
        self.store()
            .read(|conn| Ok(store::list(conn, &ALERTS, query)?))
    }

    /// Lists the alerts of incident `id` (`/security/incidents/{id}/alerts`); not found when the
    /// incident does not exist.
    pub fn list_incident_alerts(
        &self,
        id: i64,
        query: &ListQuery,
    ) -> Result<Page<Alert>, XdrError> {
        let mut query = query.clone();
        query.and_filter(SqlFilter {
            sql: "incident_id = ?".to_owned(),
            params: vec![tandem_odata::filter::Param::Integer(id)],
        });
        self.store().read(|conn| {
            load_incident(conn, id)?;
            Ok(store::list(conn, &ALERTS, &query)?)
        })
    }

    /// How many incidents `query`'s `$filter` keeps (`/security/incidents/$count`).
    pub fn count_incidents(&self, query: &ListQuery) -> Result<i64, XdrError> {
        self.store()
            .read(|conn| Ok(store::count_matching(conn, &INCIDENTS, query)?))
    }

    /// How many alerts `query`'s `$filter` keeps (`/security/alerts_v2/$count`).
    pub fn count_alerts(&self, query: &ListQuery) -> Result<i64, XdrError> {
        self.store()
            .read(|conn| Ok(store::count_matching(conn, &ALERTS, query)?))
    }

    /// One alert.
    pub fn alert(&self, id: &str) -> Result<Alert, XdrError> {
        self.store().read(|conn| Ok(load_alert(conn, id)?.alert))
    }
}

/// Alerts by the incident they belong to, each incident's in arrival order.
pub(crate) fn group_alerts(alerts: Vec<store::AlertRecord>) -> BTreeMap<i64, Vec<Alert>> {
    let mut grouped: BTreeMap<i64, Vec<Alert>> = BTreeMap::new();
    for record in alerts {
        grouped
            .entry(record.incident_id)
            .or_default()
            .push(record.alert);
    }
    grouped
}
