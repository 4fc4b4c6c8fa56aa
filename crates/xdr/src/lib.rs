//! `tandem xdr`: the XDR incident service.
//!
//! Takes alerts from endpoint, identity, email and cloud-app detectors, correlates them into incidents by
//! shared entities, and serves both over a Microsoft Graph security API compatible REST API.

pub mod clock;
pub mod correlation;
pub mod entities;
pub mod odata;
pub mod store;
