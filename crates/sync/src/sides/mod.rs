//! The adapters for the three APIs the connector talks to, one module per API: each says where its API
//! is ([`graph::config`], …), calls it ([`graph::client`], …) and maps between its payloads and the
//! reconciler's neutral shape ([`graph::mapping`], …).
//!
//! - [`graph`]: the XDR, a Microsoft Graph security API.
//! - [`sentinel`]: the SIEM's incidents, a Microsoft Sentinel ARM API.
//! - [`logs_ingestion`]: the SIEM's tables, a Logs Ingestion API.
//!
//! What the engine does with them (read a pair, perform a planned write) is in `engine::sides`.

pub mod graph;
pub mod logs_ingestion;
pub mod sentinel;
