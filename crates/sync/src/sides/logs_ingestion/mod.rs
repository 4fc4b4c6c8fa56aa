//! The SIEM's tables: a Logs Ingestion API (`/dataCollectionRules/{id}/streams/{stream}`), whether a
//! data collection endpoint in Azure Monitor or `tandem siem`.
//!
//! [`config`] names the endpoint, rule and streams, [`client`] posts batches, [`mapping`] turns an XDR
//! incident and its alerts into `SecurityIncident` and `SecurityAlert` rows.

pub mod client;
pub mod config;
pub mod mapping;

pub use client::LogsIngestionClient;
pub use config::LogsIngestionConfig;
