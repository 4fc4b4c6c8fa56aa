//! The XDR side: a Microsoft Graph security API (`/v1.0/security/incidents`), whether Microsoft's or
//! `tandem xdr`.
//!
//! [`config`] says where it is, [`client`] calls it, [`mapping`] turns its incidents into the
//! reconciler's neutral shape and the reconciler's patches into Graph update bodies.

pub mod client;
pub mod config;
pub mod mapping;

pub use client::GraphClient;
pub use config::GraphConfig;
