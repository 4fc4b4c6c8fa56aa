//! The tables Microsoft Sentinel itself writes, with the columns and types of their Log Analytics
//! reference pages: `SecurityIncident` (one row per incident change) and `SecurityAlert`. Their time
//! column is `TimeGenerated`.

use tandem_kql::KqlType::{self, Bool, Datetime, Dynamic, Int, Real, String};

use super::{TIME_GENERATED, TableDef};

/// Name of the incident history table.
pub const SECURITY_INCIDENT: &str = "SecurityIncident";

/// Name of the alert table.
pub const SECURITY_ALERT: &str = "SecurityAlert";

/// The `SecurityIncident` table.
pub fn security_incident() -> TableDef {
    TableDef::new(SECURITY_INCIDENT, TIME_GENERATED, SECURITY_INCIDENT_COLUMNS)
}

/// The `SecurityAlert` table.
pub fn security_alert() -> TableDef {
    TableDef::new(SECURITY_ALERT, TIME_GENERATED, SECURITY_ALERT_COLUMNS)
}

const SECURITY_INCIDENT_COLUMNS: &[(&str, KqlType)] = &[
    ("TenantId", String),
    ("TimeGenerated", Datetime),
    ("IncidentName", String),
    ("Title", String),
    ("Description", String),
    ("Severity", String),
    ("Status", String),
    ("Classification", String),
    ("ClassificationComment", String),
    ("ClassificationReason", String),
    ("Owner", Dynamic),
    ("ProviderName", String),
    ("ProviderIncidentId", String),
    ("FirstActivityTime", Datetime),
    ("LastActivityTime", Datetime),
    ("FirstModifiedTime", Datetime),
    ("LastModifiedTime", Datetime),
    ("CreatedTime", Datetime),
    ("ClosedTime", Datetime),
    ("IncidentNumber", Int),
    ("RelatedAnalyticRuleIds", Dynamic),
    ("AlertIds", Dynamic),
    ("BookmarkIds", Dynamic),
    ("Comments", Dynamic),
    ("Tasks", Dynamic),
    ("Labels", Dynamic),
    ("IncidentUrl", String),
    ("AdditionalData", Dynamic),
    ("ModifiedBy", String),
    ("SourceSystem", String),
    ("Type", String),
];

const SECURITY_ALERT_COLUMNS: &[(&str, KqlType)] = &[
    ("TenantId", String),
    ("TimeGenerated", Datetime),
    ("DisplayName", String),
    ("AlertName", String),
    ("AlertSeverity", String),
    ("Description", String),
    ("ProviderName", String),
    ("VendorName", String),
    ("VendorOriginalId", String),
    ("SystemAlertId", String),
    ("ResourceId", String),
    ("SourceComputerId", String),
    ("AlertType", String),
    ("ConfidenceLevel", String),
    ("ConfidenceScore", Real),
    ("IsIncident", Bool),
    ("StartTime", Datetime),
    ("EndTime", Datetime),
    ("ProcessingEndTime", Datetime),
    ("RemediationSteps", String),
    ("ExtendedProperties", String),
    ("Entities", String),
    ("SourceSystem", String),
    ("WorkspaceSubscriptionId", String),
    ("WorkspaceResourceGroup", String),
    ("ExtendedLinks", String),
    ("ProductName", String),
    ("ProductComponentName", String),
    ("AlertLink", String),
    ("Status", String),
    ("CompromisedEntity", String),
    ("Tactics", String),
    ("Techniques", String),
    ("Type", String),
];
