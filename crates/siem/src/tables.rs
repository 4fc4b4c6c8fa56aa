//! The built-in tables Microsoft Sentinel keeps, with the columns and types of their Log Analytics
//! reference pages: `SecurityIncident` (one row per incident change) and `SecurityAlert`.

use crate::schema::{Column, ColumnType, TableSchema};

/// Name of the incident history table.
pub const SECURITY_INCIDENT: &str = "SecurityIncident";

/// Name of the alert table.
pub const SECURITY_ALERT: &str = "SecurityAlert";

/// The `SecurityIncident` table.
pub fn security_incident() -> TableSchema {
    use ColumnType::{Datetime, Dynamic, Int, String};
    schema(
        SECURITY_INCIDENT,
        &[
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
        ],
    )
}

/// The `SecurityAlert` table.
pub fn security_alert() -> TableSchema {
    use ColumnType::{Bool, Datetime, Real, String};
    schema(
        SECURITY_ALERT,
        &[
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
        ],
    )
}

/// Every built-in table.
pub fn builtin() -> [TableSchema; 2] {
    [security_incident(), security_alert()]
}

/// Whether `name` is a built-in table (whose columns are fixed).
pub fn is_builtin(name: &str) -> bool {
    name == SECURITY_INCIDENT || name == SECURITY_ALERT
}

fn schema(name: &str, columns: &[(&str, ColumnType)]) -> TableSchema {
    TableSchema {
        name: name.to_owned(),
        columns: columns
            .iter()
            .map(|(column, kind)| Column::new(*column, *kind))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The columns match the Log Analytics reference pages in the specs directory.
    #[test]
    fn columns_match_the_reference_pages() {
        let Some(specs) = tandem_testkit::specs_dir() else {
            return;
        };
        for (page, table) in [
            ("securityincident.md", security_incident()),
            ("securityalert.md", security_alert()),
        ] {
            let text = std::fs::read_to_string(specs.join("sentinel-tables").join(page)).unwrap();
            let documented: Vec<(String, String)> = text
                .lines()
                .filter_map(|line| {
                    let cells: Vec<&str> = line.split('|').map(str::trim).collect();
                    (cells.len() > 3
                        && !cells[1].is_empty()
                        && cells[1] != "Column"
                        && !cells[1].starts_with("---"))
                    .then(|| (cells[1].to_owned(), cells[2].to_owned()))
                })
                .collect();
            assert!(documented.len() > 25, "{page}");
            for (name, kind) in documented {
                let column = table
                    .column(&name)
                    .unwrap_or_else(|| panic!("{page}: missing {name}"));
                assert_eq!(
                    column.kind,
                    ColumnType::parse(&kind).unwrap(),
                    "{page}: {name}"
                );
            }
        }
    }
}
