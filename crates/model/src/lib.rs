//! The vocabulary both sides of Tandem speak.
//!
//! Tandem joins an XDR (incidents and alerts served over the Microsoft Graph security API) to a SIEM
//! (incidents served over the Microsoft Sentinel ARM API, plus the `SecurityIncident` and `SecurityAlert`
//! tables). Every other crate talks about incidents through the types defined here, so this crate is the
//! single place where the wire formats are written down.
//!
//! Three rules shape every type:
//! - **Lossless.** A payload that is parsed and written again comes out as the same JSON value: fields the
//!   model does not name are kept in an `extra` map, and `null` stays distinct from absent ([`Field`]).
//! - **Tolerant.** Enums accept values they do not know yet and write them back unchanged ([`wire_enum!`]).
//! - **Canonical.** Where real services spell a value several ways, every spelling is read and the one the
//!   resource page documents is written.
//!
//! [`wire`] holds these building blocks; [`graph`] and [`sentinel`] the two sides; [`tables`] the SIEM's
//! table rows; [`mapping`] the translation between the sides; [`sync_status`] the connector's status
//! report, which the SIEM reads.

pub mod graph;
pub mod limits;
pub mod mapping;
pub mod sentinel;
pub mod sync_status;
pub mod tables;
pub mod wire;

pub use wire::{Field, ParseError, Timestamp, from_value, parse_json};
