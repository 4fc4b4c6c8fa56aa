//! The names of the hunting tables and of the columns every row shares, as Microsoft's advanced
//! hunting reference spells them.

/// Alerts from every Defender product.
pub const ALERT_INFO: &str = "AlertInfo";
/// The entities (devices, users, files, ...) each alert names.
pub const ALERT_EVIDENCE: &str = "AlertEvidence";
/// Mails, as Defender for Office 365 saw them arrive or leave.
pub const EMAIL_EVENTS: &str = "EmailEvents";
/// The URLs inside those mails.
pub const EMAIL_URL_INFO: &str = "EmailUrlInfo";
/// Process creations on devices.
pub const DEVICE_PROCESS_EVENTS: &str = "DeviceProcessEvents";
/// File creations, changes and deletions on devices.
pub const DEVICE_FILE_EVENTS: &str = "DeviceFileEvents";
/// Network connections of devices.
pub const DEVICE_NETWORK_EVENTS: &str = "DeviceNetworkEvents";
/// Logons on devices.
pub const DEVICE_LOGON_EVENTS: &str = "DeviceLogonEvents";
/// Authentications Defender for Identity saw: domain controllers and cloud sign-ins.
pub const IDENTITY_LOGON_EVENTS: &str = "IdentityLogonEvents";
/// Activity in cloud apps, as Defender for Cloud Apps recorded it.
pub const CLOUD_APP_EVENTS: &str = "CloudAppEvents";

/// Every table the generator writes.
pub const ALL: [&str; 10] = [
    ALERT_INFO,
    ALERT_EVIDENCE,
    EMAIL_EVENTS,
    EMAIL_URL_INFO,
    DEVICE_PROCESS_EVENTS,
    DEVICE_FILE_EVENTS,
    DEVICE_NETWORK_EVENTS,
    DEVICE_LOGON_EVENTS,
    IDENTITY_LOGON_EVENTS,
    CLOUD_APP_EVENTS,
];

/// When the event happened: every hunting table's first column.
pub const TIMESTAMP: &str = "Timestamp";
/// The Log Analytics column every workspace table has; the Defender tables streamed into a workspace
/// fill it with the event's time, and Sentinel queries filter on it.
pub const TIME_GENERATED: &str = "TimeGenerated";

/// How a table identifies its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReportId {
    /// A `long` from a repeating counter (the device tables).
    Counter,
    /// A `string` (the mail, identity and cloud-app tables).
    Text,
    /// No `ReportId` column (the alert tables).
    None,
}

/// How `table` identifies its events.
pub(crate) fn report_id(table: &str) -> ReportId {
    match table {
        DEVICE_PROCESS_EVENTS
        | DEVICE_FILE_EVENTS
        | DEVICE_NETWORK_EVENTS
        | DEVICE_LOGON_EVENTS => ReportId::Counter,
        EMAIL_EVENTS | EMAIL_URL_INFO | IDENTITY_LOGON_EVENTS | CLOUD_APP_EVENTS => ReportId::Text,
        _ => ReportId::None,
    }
}
