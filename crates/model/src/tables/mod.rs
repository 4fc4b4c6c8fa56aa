//! Rows of the SIEM's Log Analytics tables and the Log Analytics query API's answer.
//!
//! The SIEM stores one `SecurityIncident` row per incident change and one `SecurityAlert` row per alert;
//! the connector writes them through the Logs Ingestion API and reads them back through the query API.
//! Log Analytics writes `int`, `long`, `real` and `bool` cells as strings in some answers and `dynamic`
//! cells as JSON text, so every row reads both spellings ([`cell`]).

pub mod cell;
mod query;
mod security_alert;
mod security_incident;

pub use query::{
    BatchQueryRequest, BatchQueryResponse, BatchRequest, BatchResponse, QueryBody, QueryColumn,
    QueryResponse, QueryTable,
};
pub use security_alert::SecurityAlertRow;
pub use security_incident::SecurityIncidentRow;
