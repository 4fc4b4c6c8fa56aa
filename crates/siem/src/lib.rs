//! `tandem siem`: the SIEM workspace.
//!
//! Takes rows in through a Logs Ingestion API compatible intake, keeps the `SecurityIncident`,
//! `SecurityAlert` and custom tables, serves incidents over a Microsoft Sentinel compatible ARM API, and
//! answers queries in a subset of KQL.
//!
//! - [`api`]: the HTTP routes ([`routes`] mounts them in a server opened with [`service_spec`]).
//! - [`ingest`]: streams to tables, body limits, typed all-or-nothing batches.
//! - [`console`]: the web console at the server's root (queue, incident page, actions, sync health).
//! - [`incidents`]: incident, comment and relation rules (etags, history rows, alerts via relations).
//! - [`kql`]: the query language subset (lexer, parser, planner, evaluator).
//! - [`store`]: the SQLite database (WAL) under the data dir; [`schema`] and [`tables`] describe the
//!   tables; [`workspace`] the workspace's ids and the `[siem]` config section.

pub mod api;
pub mod console;
pub mod incidents;
pub mod ingest;
pub mod kql;
pub mod schema;
pub mod store;
pub mod tables;
pub mod workspace;

pub use api::{routes, service_spec};
