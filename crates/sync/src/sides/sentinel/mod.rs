//! The SIEM's incidents: a Microsoft Sentinel (`Microsoft.SecurityInsights`) ARM API, whether
//! Microsoft's or `tandem siem`.
//!
//! [`config`] says where the workspace is, [`client`] calls it, [`mapping`] turns its incidents into the
//! reconciler's neutral shape and applies the reconciler's patches to incident properties.

pub mod client;
pub mod config;
pub mod mapping;

pub use client::SentinelClient;
pub use config::SentinelConfig;
