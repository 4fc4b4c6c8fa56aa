//! `tandem xdr`: the XDR incident service.
//!
//! Takes alerts from endpoint, identity, email and cloud-app detectors, correlates them into incidents by
//! shared entities, and serves both over a Microsoft Graph security API compatible REST API.
