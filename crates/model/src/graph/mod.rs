//! The Microsoft Graph security API v1.0 (`/security/incidents`, `/security/alerts_v2`) on the wire.
//!
//! `tandem xdr` serves these types and `tandem sync` reads them from either Tandem or Microsoft Graph, so
//! they follow the Graph resource pages member for member. Every spelling real services send is read
//! (`TruePositive` and `truePositive`, `tags` and `customTags`, `#microsoft.graph.incident` and
//! `#microsoft.graph.security.incident`, both comment shapes); the spelling the resource page documents
//! is written. Members the model does not name are kept in `extra`, so a payload written back is the
//! payload read, apart from those documented spellings.

mod alert;
mod collection;
mod comment;
mod complex;
mod enums;
mod error;
mod evidence;
mod incident;
mod legacy;
mod object;
mod odata;

pub use alert::{Alert, AlertUpdate};
pub use collection::Collection;
pub use comment::{AlertComment, NewComment};
pub use complex::*;
pub use enums::*;
pub use error::{ErrorBody, ErrorCode, ErrorResponse, InnerError};
pub use evidence::*;
pub use incident::{Incident, IncidentUpdate};
pub use odata::{ALERT_COMMENT_TYPE, ALERT_TYPE, INCIDENT_TYPE};
