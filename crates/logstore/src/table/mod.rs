//! Table definitions: each table's name, ordered typed columns and the time column its files are
//! partitioned by, and the built-in tables (Sentinel's own and the Defender XDR hunting tables).
//!
//! A definition gives the Arrow schema every batch of the table is decoded to; each field records
//! its KQL type in the field metadata (see [`tandem_kql::KqlType::field`]).

pub mod hunting;
pub mod sentinel;

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::datatypes::{Schema, SchemaRef};
use tandem_kql::KqlType;

/// The column every Log Analytics table has: when the row was generated (or ingested).
pub const TIME_GENERATED: &str = "TimeGenerated";

/// The column holding the table's own name in every row.
pub const TYPE: &str = "Type";

/// The column Log Analytics adds with the workspace's tenant.
pub const TENANT_ID: &str = "TenantId";

/// A table: its name, its columns in display order, and its time column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableDef {
    /// The table's name (`SecurityIncident`, `DeviceProcessEvents`, `MyApp_CL`).
    pub name: String,
    /// The `datetime` column rows are partitioned and time ranges pruned by.
    pub time_column: String,
    /// The columns, in display order.
    pub columns: Vec<(String, KqlType)>,
}

impl TableDef {
    /// A table with exactly `columns`.
    pub fn new(name: &str, time_column: &str, columns: &[(&str, KqlType)]) -> TableDef {
        TableDef {
            name: name.to_owned(),
            time_column: time_column.to_owned(),
            columns: columns
                .iter()
                .map(|(column, kind)| ((*column).to_owned(), *kind))
                .collect(),
        }
    }

    /// A table with its `documented` columns followed by those Log Analytics adds to every table it
    /// keeps (`TimeGenerated`, `TenantId`, `Type`), each only when not documented already.
    pub fn log_analytics(
        name: &str,
        time_column: &str,
        documented: &[(&str, KqlType)],
    ) -> TableDef {
        let mut table = TableDef::new(name, time_column, documented);
        for (column, kind) in [
            (TIME_GENERATED, KqlType::Datetime),
            (TENANT_ID, KqlType::String),
            (TYPE, KqlType::String),
        ] {
            if table.column(column).is_none() {
                table.columns.push((column.to_owned(), kind));
            }
        }
        table
    }

    /// The type of the column named `name`, if the table has one.
    pub fn column(&self, name: &str) -> Option<KqlType> {
        self.columns
            .iter()
            .find(|(column, _)| column == name)
            .map(|(_, kind)| *kind)
    }

    /// The Arrow schema of the table's batches, each field carrying its KQL type.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<_> = self
            .columns
            .iter()
            .map(|(name, kind)| kind.field(name))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Why the definition cannot be stored, if it cannot: a time column that is missing or not a
    /// `datetime`, or a column named twice.
    pub fn check(&self) -> Result<(), String> {
        if self.column(&self.time_column) != Some(KqlType::Datetime) {
            return Err(format!(
                "table {} has no datetime column {}",
                self.name, self.time_column
            ));
        }
        let mut seen = HashMap::new();
        for (name, _) in &self.columns {
            if seen.insert(name.as_str(), ()).is_some() {
                return Err(format!("table {} names column {name} twice", self.name));
            }
        }
        Ok(())
    }
}

/// Every built-in table: Sentinel's own, then the hunting tables.
pub fn builtin() -> Vec<TableDef> {
    let mut tables = vec![sentinel::security_incident(), sentinel::security_alert()];
    tables.extend(hunting::tables());
    tables
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `(column, type)` rows of the first table on a reference page, with either the advanced
    /// hunting layout (`` | `Name` | `type` | ``) or the Log Analytics one (`| Name | type |`).
    fn documented_columns(page: &str) -> Vec<(String, KqlType)> {
        page.lines()
            .skip_while(|line| !line.starts_with('|'))
            .take_while(|line| line.starts_with('|'))
            .filter_map(|line| {
                let cells: Vec<&str> = line
                    .split('|')
                    .map(|c| c.trim().trim_matches('`'))
                    .collect();
                let kind = cells.get(2)?.parse().ok()?;
                Some((cells[1].to_owned(), kind))
            })
            .collect()
    }

    fn assert_documented(table: &TableDef, page: &std::path::Path) {
        let text = std::fs::read_to_string(page).unwrap();
        let documented = documented_columns(&text);
        assert!(documented.len() > 5, "{}", page.display());
        for (name, kind) in documented {
            assert_eq!(table.column(&name), Some(kind), "{}: {name}", table.name);
        }
    }

    #[test]
    fn every_builtin_table_is_well_formed() {
        let tables = builtin();
        assert_eq!(tables.len(), 12);
        for table in &tables {
            table.check().unwrap();
            assert_eq!(table.column(TIME_GENERATED), Some(KqlType::Datetime));
            assert_eq!(table.column(TYPE), Some(KqlType::String));
            let schema = table.schema();
            assert_eq!(schema.fields().len(), table.columns.len());
        }
    }

    #[test]
    fn hunting_tables_match_their_reference_pages() {
        let Some(specs) = tandem_testkit::specs_dir() else {
            return;
        };
        let hunting = specs.join("hunting");
        for table in hunting::tables() {
            let page = hunting.join(format!(
                "advanced-hunting-{}-table.md",
                table.name.to_ascii_lowercase()
            ));
            if table.name == "DeviceFileEvents" {
                assert!(!page.exists(), "a DeviceFileEvents page arrived: check it");
                continue;
            }
            assert_eq!(table.time_column, hunting::TIMESTAMP);
            assert_documented(&table, &page);
        }
    }

    #[test]
    fn sentinel_tables_match_their_reference_pages() {
        let Some(specs) = tandem_testkit::specs_dir() else {
            return;
        };
        for (page, table) in [
            ("securityincident.md", sentinel::security_incident()),
            ("securityalert.md", sentinel::security_alert()),
        ] {
            assert_documented(&table, &specs.join("sentinel-tables").join(page));
        }
    }

    #[test]
    fn a_definition_without_its_time_column_or_with_a_twice_named_column_is_refused() {
        let no_time = TableDef::new("T", "When", &[("When", KqlType::String)]);
        assert!(
            no_time
                .check()
                .unwrap_err()
                .contains("no datetime column When")
        );
        let twice = TableDef::new(
            "T",
            TIME_GENERATED,
            &[
                (TIME_GENERATED, KqlType::Datetime),
                ("A", KqlType::Int),
                ("A", KqlType::Long),
            ],
        );
        assert!(twice.check().unwrap_err().contains("column A twice"));
    }
}
