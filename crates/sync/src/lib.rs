//! `tandem sync`: the connector between an XDR and a SIEM.
//!
//! Streams every XDR incident, with its alerts, entities and comments, into the SIEM, and keeps both sides'
//! incidents in sync. The core is a pure reconciler ([`reconcile`]); the connector's durable state (pairs,
//! bases, watermarks, the outbox of planned writes, conflicts, quarantine, poll history) sits behind the
//! [`store::SyncStore`] trait; the adapters for the XDR's and the SIEM's APIs are in [`sides`], and
//! [`engine`] runs the connector over them.

pub mod config;
pub mod engine;
pub mod reconcile;
pub mod sides;
pub mod store;
