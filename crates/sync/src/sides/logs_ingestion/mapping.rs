//! An XDR incident as table rows: one `SecurityIncident` row for the version read, one `SecurityAlert`
//! row per alert (its evidence in `Entities`).

use tandem_model::graph::Incident;
use tandem_model::mapping::{Provider, alert_row, incident_row_from_xdr};
use tandem_model::tables::{SecurityAlertRow, SecurityIncidentRow};

/// The rows recording one version of an XDR incident whose SIEM twin is `twin`.
#[derive(Debug, Clone)]
pub struct IncidentRows {
    /// The incident row.
    pub incident: SecurityIncidentRow,
    /// One row per alert.
    pub alerts: Vec<SecurityAlertRow>,
}

/// The rows for `incident`, whose twin is named `twin`.
pub fn incident_rows(incident: &Incident, twin: &str, provider: &Provider) -> IncidentRows {
    IncidentRows {
        incident: incident_row_from_xdr(twin, incident, provider),
        alerts: incident
            .alerts()
            .iter()
            .map(|alert| alert_row(alert, provider))
            .collect(),
    }
}
