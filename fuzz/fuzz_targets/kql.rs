//! KQL as any reader may send it to the query API: parsing and running over a small table must
//! never panic, overflow the stack or hang, whatever the text.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use tandem_siem::kql::{self, Table};
use tandem_siem::schema::{Column, ColumnType, TableSchema};

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let schema = TableSchema {
            name: "T".into(),
            columns: vec![
                Column::new("A", ColumnType::Long),
                Column::new("B", ColumnType::String),
                Column::new("TimeGenerated", ColumnType::Datetime),
            ],
        };
        let rows: Vec<_> = (0..8)
            .filter_map(|i| {
                serde_json::json!({"A": i, "B": format!("v{i}"), "TimeGenerated": "2024-01-01T00:00:00Z"})
                    .as_object()
                    .cloned()
            })
            .collect();
        Table::from_stored(&schema, &rows)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(query) = kql::parse(text) {
        let _ = kql::execute(&query, table().clone(), chrono::Utc::now());
    }
});
