//! `tandem siem`: the SIEM workspace.
//!
//! Takes rows in through a Logs Ingestion API compatible intake, keeps the `SecurityIncident`,
//! `SecurityAlert` and custom tables, serves incidents over a Microsoft Sentinel compatible ARM API, and
//! answers queries in a subset of KQL.

pub mod api;
pub mod incidents;
pub mod ingest;
pub mod kql;
pub mod schema;
pub mod store;
pub mod tables;
pub mod workspace;

pub use api::{routes, service_spec};
