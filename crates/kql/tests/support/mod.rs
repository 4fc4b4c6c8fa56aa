//! Small typed tables in a DataFusion session, and a runner that answers rows as Log Analytics
//! would, for the golden tests.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Int64Array, StringArray, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::Schema;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::TableReference;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;
use serde_json::Value;
use tandem_kql::{KqlError, KqlResult, KqlType, QueryOptions};

/// One column of a test table.
pub enum Column {
    /// Text (string, guid or dynamic JSON text).
    Text(KqlType, Vec<Option<&'static str>>),
    /// Whole numbers.
    Long(Vec<Option<i64>>),
    /// Instants, written as ISO 8601.
    Time(Vec<Option<&'static str>>),
    /// Booleans.
    Bool(Vec<Option<bool>>),
}

fn nanos(text: &str) -> i64 {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .timestamp_nanos_opt()
        .unwrap()
}

/// Registers a table of `columns` under `name`.
pub fn register(ctx: &SessionContext, name: &str, columns: Vec<(&str, Column)>) {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (column, values) in columns {
        let (kind, array): (KqlType, ArrayRef) = match values {
            Column::Text(kind, v) => (kind, Arc::new(StringArray::from(v))),
            Column::Long(v) => (KqlType::Long, Arc::new(Int64Array::from(v))),
            Column::Bool(v) => (KqlType::Bool, Arc::new(BooleanArray::from(v))),
            Column::Time(v) => (
                KqlType::Datetime,
                Arc::new(
                    TimestampNanosecondArray::from(
                        v.into_iter().map(|t| t.map(nanos)).collect::<Vec<_>>(),
                    )
                    .with_timezone("UTC"),
                ),
            ),
        };
        fields.push(kind.field(column));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).unwrap();
    let table = MemTable::try_new(schema, vec![vec![batch]]).unwrap();
    ctx.register_table(TableReference::bare(name), Arc::new(table))
        .unwrap();
}

/// A session holding a `SecurityIncident`-like history (three incidents, six versions) and a
/// `SecurityAlert` table (four alerts).
pub fn incidents() -> SessionContext {
    let ctx = SessionContext::new();
    register(
        &ctx,
        "SecurityIncident",
        vec![
            (
                "TimeGenerated",
                Column::Time(vec![
                    Some("2024-01-01T00:00:00Z"),
                    Some("2024-01-01T01:00:00Z"),
                    Some("2024-01-01T02:00:00Z"),
                    Some("2024-01-01T00:30:00Z"),
                    Some("2024-01-01T03:00:00Z"),
                    Some("2024-01-02T00:00:00Z"),
                ]),
            ),
            (
                "IncidentNumber",
                Column::Long(vec![Some(1), Some(1), Some(1), Some(2), Some(2), Some(3)]),
            ),
            (
                "Title",
                Column::Text(
                    KqlType::String,
                    vec![
                        Some("Phish"),
                        Some("Phish"),
                        Some("Phish"),
                        Some("Malware"),
                        Some("Malware"),
                        Some("Recon"),
                    ],
                ),
            ),
            (
                "Status",
                Column::Text(
                    KqlType::String,
                    vec![
                        Some("New"),
                        Some("Active"),
                        Some("Closed"),
                        Some("New"),
                        Some("Active"),
                        Some("New"),
                    ],
                ),
            ),
            (
                "Severity",
                Column::Text(
                    KqlType::String,
                    vec![
                        Some("High"),
                        Some("High"),
                        Some("High"),
                        Some("Medium"),
                        Some("Low"),
                        Some("Low"),
                    ],
                ),
            ),
            (
                "AlertIds",
                Column::Text(
                    KqlType::Dynamic,
                    vec![
                        Some(r#"["a1"]"#),
                        Some(r#"["a1","a2"]"#),
                        Some(r#"["a1","a2"]"#),
                        Some(r#"["a3"]"#),
                        Some(r#"["a3"]"#),
                        Some("[]"),
                    ],
                ),
            ),
        ],
    );
    register(
        &ctx,
        "SecurityAlert",
        vec![
            (
                "TimeGenerated",
                Column::Time(vec![
                    Some("2024-01-01T00:00:00Z"),
                    Some("2024-01-01T00:50:00Z"),
                    Some("2024-01-01T00:20:00Z"),
                    Some("2024-01-01T05:00:00Z"),
                ]),
            ),
            (
                "SystemAlertId",
                Column::Text(
                    KqlType::String,
                    vec![Some("a1"), Some("a2"), Some("a3"), Some("a4")],
                ),
            ),
            (
                "AlertName",
                Column::Text(
                    KqlType::String,
                    vec![
                        Some("Suspicious login"),
                        Some("Mail forward"),
                        Some("Malware found"),
                        None,
                    ],
                ),
            ),
            (
                "IsIncident",
                Column::Bool(vec![Some(true), Some(true), Some(true), Some(false)]),
            ),
        ],
    );
    ctx
}

/// The options every golden test runs with: `now()` is 2024-01-02T00:00:00Z, no time window.
pub fn options() -> QueryOptions {
    QueryOptions {
        now: "2024-01-02T00:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        time_window: None,
    }
}

/// Runs `query` with [`options`].
pub async fn run(ctx: &SessionContext, query: &str) -> Result<KqlResult, KqlError> {
    tandem_kql::run(query, ctx, &options()).await
}

/// The rows of `query`, which must succeed.
pub async fn rows(ctx: &SessionContext, query: &str) -> Vec<Vec<Value>> {
    match run(ctx, query).await {
        Ok(result) => result.rows,
        Err(e) => panic!("{query}\n→ {e}"),
    }
}

/// The rows of `query` in a stable order, for operators whose output order KQL leaves open.
pub async fn sorted_rows(ctx: &SessionContext, query: &str) -> Vec<Vec<Value>> {
    let mut rows = rows(ctx, query).await;
    rows.sort_by_key(|row| Value::Array(row.clone()).to_string());
    rows
}

/// The column names and types of `query`.
pub async fn columns(ctx: &SessionContext, query: &str) -> Vec<(String, KqlType)> {
    run(ctx, query).await.unwrap().columns
}
