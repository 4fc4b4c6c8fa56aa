//! The built-in tables Microsoft Sentinel keeps, `SecurityIncident` (one row per incident change)
//! and `SecurityAlert`, as the SIEM's row store sees them. Their typed definitions live with the
//! log store ([`tandem_logstore::table::sentinel`]); this module turns them into the row store's
//! schemas.

use tandem_kql::KqlType;
use tandem_logstore::TableDef;
use tandem_logstore::table::sentinel;

use crate::schema::{Column, ColumnType, TableSchema};

pub use sentinel::{SECURITY_ALERT, SECURITY_INCIDENT};

/// The `SecurityIncident` table.
pub fn security_incident() -> TableSchema {
    schema(&sentinel::security_incident())
}

/// The `SecurityAlert` table.
pub fn security_alert() -> TableSchema {
    schema(&sentinel::security_alert())
}

/// Every built-in table.
pub fn builtin() -> [TableSchema; 2] {
    [security_incident(), security_alert()]
}

/// Whether `name` is a built-in table (whose columns are fixed).
pub fn is_builtin(name: &str) -> bool {
    name == SECURITY_INCIDENT || name == SECURITY_ALERT
}

/// The row store's schema of a typed table definition.
fn schema(table: &TableDef) -> TableSchema {
    TableSchema {
        name: table.name.clone(),
        columns: table
            .columns
            .iter()
            .map(|(name, kind)| Column::new(name.as_str(), column_type(*kind)))
            .collect(),
    }
}

fn column_type(kind: KqlType) -> ColumnType {
    match kind {
        KqlType::String => ColumnType::String,
        KqlType::Int => ColumnType::Int,
        KqlType::Long => ColumnType::Long,
        KqlType::Real => ColumnType::Real,
        KqlType::Bool => ColumnType::Bool,
        KqlType::Datetime => ColumnType::Datetime,
        KqlType::Timespan => ColumnType::Timespan,
        KqlType::Guid => ColumnType::Guid,
        KqlType::Dynamic => ColumnType::Dynamic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every type keeps its name between the typed definitions and the row store's schemas.
    #[test]
    fn column_types_keep_their_names() {
        for kind in KqlType::ALL {
            assert_eq!(column_type(kind).as_str(), kind.name());
        }
        let incident = security_incident();
        assert_eq!(
            incident.column("IncidentNumber").unwrap().kind,
            ColumnType::Int
        );
        assert_eq!(incident.column("Owner").unwrap().kind, ColumnType::Dynamic);
        assert_eq!(
            security_alert().column("IsIncident").unwrap().kind,
            ColumnType::Bool
        );
    }
}
