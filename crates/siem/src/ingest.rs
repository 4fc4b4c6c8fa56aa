//! The Logs Ingestion intake: which table a stream feeds, and turning a posted batch into rows.
//!
//! **Streams.** The workspace has one data collection rule (immutable id `TANDEM_DCR_IMMUTABLE_ID`).
//! Explicit `[[siem.streams]]` mappings come first; otherwise `Custom-<Name>_CL` feeds table
//! `<Name>_CL`, and `Custom-SecurityIncident` / `Microsoft-SecurityIncident` and
//! `Custom-SecurityAlert` / `Microsoft-SecurityAlert` feed the built-in tables.
//!
//! **Rows.** A batch is all-or-nothing: every row is checked before anything is written, and the batch
//! is written in one transaction. A custom table is created by its first batch, with the columns and
//! types of those rows (`TimeGenerated` first, `Type` last); later batches may add columns but never
//! change a type. The built-in tables keep their documented columns and refuse others. Rows without
//! `TimeGenerated` get the time of ingestion; strings longer than 64 KB are cut, as Log Analytics does.

use std::io::Read as _;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::schema::{
    Column, ColumnType, MAX_COLUMNS, MAX_FIELD_BYTES, TIME_GENERATED, TableSchema, format_datetime,
    is_valid_column_name,
};
use crate::store::logs::Row;
use crate::store::{Store, StoreError};
use crate::tables;
use crate::workspace::Workspace;

/// The largest request body, compressed or not (1 MB).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Column names Log Analytics reserves in custom tables.
const RESERVED: [&str; 7] = [
    "_ResourceId",
    "id",
    "_SubscriptionId",
    "TenantId",
    "Type",
    "UniqueId",
    "Title",
];

/// Why a batch was refused. Nothing of a refused batch is written.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The body (compressed or uncompressed) is over [`MAX_BODY_BYTES`].
    #[error(
        "Maximum allowed content length: {MAX_BODY_BYTES} bytes (1 MB). Provided content length: {0} bytes."
    )]
    TooLarge(usize),
    /// The rule id is not the workspace's.
    #[error("Data collection rule with immutable Id '{0}' not found.")]
    UnknownRule(String),
    /// The rule has no such stream.
    #[error("Stream '{stream}' is not declared in data collection rule '{rule}'.")]
    UnknownStream {
        /// The stream posted to.
        stream: String,
        /// The rule.
        rule: String,
    },
    /// The body is not a gzip stream though it says it is, or not JSON, or not an array.
    #[error("{0}")]
    BadBody(String),
    /// One row is wrong.
    #[error("Row {index}{}: {message}", field.as_ref().map(|f| format!(", field '{f}'")).unwrap_or_default())]
    BadRow {
        /// The row's index in the array.
        index: usize,
        /// The offending member, when the problem is one member.
        field: Option<String>,
        /// What is wrong, with the value.
        message: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IngestError {
    /// `body[index].field` for a row error.
    pub fn target(&self) -> Option<String> {
        match self {
            IngestError::BadRow { index, field, .. } => Some(
                field
                    .as_ref()
                    .map_or(format!("body[{index}]"), |f| format!("body[{index}].{f}")),
            ),
            _ => None,
        }
    }
}

/// The table a stream of `rule` feeds.
pub fn resolve_stream(
    workspace: &Workspace,
    rule: &str,
    stream: &str,
) -> Result<String, IngestError> {
    if !rule.eq_ignore_ascii_case(&workspace.dcr_immutable_id) {
        return Err(IngestError::UnknownRule(rule.to_owned()));
    }
    if let Some(mapping) = workspace.streams.iter().find(|m| m.stream == stream) {
        return Ok(mapping.table.clone());
    }
    let builtin = ["Custom-", "Microsoft-"]
        .iter()
        .filter_map(|prefix| stream.strip_prefix(prefix))
        .find(|name| tables::is_builtin(name));
    if let Some(table) = builtin {
        return Ok(table.to_owned());
    }
    stream
        .strip_prefix("Custom-")
        .filter(|name| name.ends_with("_CL") && is_valid_column_name(name))
        .map(str::to_owned)
        .ok_or_else(|| IngestError::UnknownStream {
            stream: stream.to_owned(),
            rule: rule.to_owned(),
        })
}

/// The JSON body, decompressed when `gzip` is set, within the size limit.
pub fn decode_body(body: &[u8], gzip: bool) -> Result<Vec<Value>, IngestError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(IngestError::TooLarge(body.len()));
    }
    let inflated;
    let bytes = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| IngestError::BadBody(format!("The body is not valid gzip data: {e}.")))?;
        if out.len() > MAX_BODY_BYTES {
            return Err(IngestError::TooLarge(out.len()));
        }
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| IngestError::BadBody(format!("The body is not valid JSON: {e}.")))?;
    match value {
        Value::Array(rows) => Ok(rows),
        other => Err(IngestError::BadBody(format!(
            "The body must be a JSON array of objects, got {}.",
            kind_of(&other)
        ))),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Appends a batch to `table`, all or nothing. Returns the number of rows written. An empty batch
/// writes nothing (and creates no table).
pub fn ingest(
    store: &Store,
    table: &str,
    rows: Vec<Value>,
    now: DateTime<Utc>,
) -> Result<usize, IngestError> {
    if rows.is_empty() {
        return Ok(0);
    }
    store.append(table, |current| prepare(table, current, rows, now))
}

/// Checks every row against the table (creating or extending a custom table's schema) and returns the
/// schema to keep with the rows in canonical form.
fn prepare(
    table: &str,
    current: Option<TableSchema>,
    rows: Vec<Value>,
    now: DateTime<Utc>,
) -> Result<(TableSchema, Vec<Row>), IngestError> {
    let builtin = tables::is_builtin(table);
    let mut schema = current.unwrap_or_else(|| {
        if builtin {
            tables::builtin()
                .into_iter()
                .find(|t| t.name == table)
                .unwrap_or_else(|| new_table(table))
        } else {
            new_table(table)
        }
    });
    let mut prepared = Vec::with_capacity(rows.len());
    for (index, row) in rows.into_iter().enumerate() {
        let Value::Object(object) = row else {
            return Err(IngestError::BadRow {
                index,
                field: None,
                message: format!("a row must be a JSON object, got {}", kind_of(&row)),
            });
        };
        prepared.push(prepare_row(&mut schema, builtin, index, object, now)?);
    }
    Ok((schema, prepared))
}

fn new_table(name: &str) -> TableSchema {
    TableSchema {
        name: name.to_owned(),
        columns: vec![
            Column::new(TIME_GENERATED, ColumnType::Datetime),
            Column::new("Type", ColumnType::String),
        ],
    }
}

fn prepare_row(
    schema: &mut TableSchema,
    builtin: bool,
    index: usize,
    object: Map<String, Value>,
    now: DateTime<Utc>,
) -> Result<Row, IngestError> {
    let bad = |field: &str, message: String| IngestError::BadRow {
        index,
        field: Some(field.to_owned()),
        message,
    };
    let mut row = Row::new();
    for (name, value) in object {
        if schema.column(&name).is_none() {
            add_column(schema, builtin, &name, &value).map_err(|m| bad(&name, m))?;
        } else if !builtin && name != TIME_GENERATED && RESERVED.contains(&name.as_str()) {
            return Err(bad(&name, format!("'{name}' is a reserved column name")));
        }
        let kind = schema.column(&name).map_or(ColumnType::Dynamic, |c| c.kind);
        let canonical = kind.coerce(&truncate(value)).map_err(|m| bad(&name, m))?;
        row.insert(name, canonical);
    }
    if row.get(TIME_GENERATED).is_none_or(Value::is_null) {
        row.insert(
            TIME_GENERATED.to_owned(),
            Value::String(format_datetime(now)),
        );
    }
    row.insert("Type".to_owned(), Value::String(schema.name.clone()));
    Ok(row)
}

fn add_column(
    schema: &mut TableSchema,
    builtin: bool,
    name: &str,
    value: &Value,
) -> Result<(), String> {
    if builtin {
        return Err(format!("table {} has no column {name}", schema.name));
    }
    if RESERVED.contains(&name) {
        return Err(format!("'{name}' is a reserved column name"));
    }
    if !is_valid_column_name(name) {
        return Err(format!(
            "'{name}' is not a valid column name (a letter, then up to 44 letters, digits or underscores)"
        ));
    }
    if schema.columns.len() >= MAX_COLUMNS {
        return Err(format!(
            "table {} already has the maximum of {MAX_COLUMNS} columns",
            schema.name
        ));
    }
    let type_position = schema
        .columns
        .iter()
        .position(|c| c.name == "Type")
        .unwrap_or(schema.columns.len());
    schema
        .columns
        .insert(type_position, Column::new(name, ColumnType::infer(value)));
    Ok(())
}

/// Cuts strings longer than [`MAX_FIELD_BYTES`] at a character boundary.
fn truncate(value: Value) -> Value {
    match value {
        Value::String(mut s) if s.len() > MAX_FIELD_BYTES => {
            let mut end = MAX_FIELD_BYTES;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
            Value::String(s)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workspace::{SiemConfig, StreamMapping};
    use serde_json::json;

    fn workspace() -> Workspace {
        let config = SiemConfig {
            streams: vec![StreamMapping {
                stream: "Custom-Raw".into(),
                table: "Raw_CL".into(),
            }],
            ..SiemConfig::default()
        };
        Workspace::new("tenant", config)
    }

    #[test]
    fn streams_resolve_to_tables() {
        let ws = workspace();
        let rule = ws.dcr_immutable_id.clone();
        assert_eq!(
            resolve_stream(&ws, &rule, "Custom-App_CL").unwrap(),
            "App_CL"
        );
        assert_eq!(resolve_stream(&ws, &rule, "Custom-Raw").unwrap(), "Raw_CL");
        assert_eq!(
            resolve_stream(&ws, &rule, "Microsoft-SecurityAlert").unwrap(),
            "SecurityAlert"
        );
        assert_eq!(
            resolve_stream(&ws, &rule, "Custom-SecurityIncident").unwrap(),
            "SecurityIncident"
        );
        assert!(matches!(
            resolve_stream(&ws, &rule, "Custom-App"),
            Err(IngestError::UnknownStream { .. })
        ));
        assert!(matches!(
            resolve_stream(&ws, "dcr-00", "Custom-App_CL"),
            Err(IngestError::UnknownRule(_))
        ));
    }

    #[test]
    fn a_new_table_takes_the_types_of_its_first_rows() {
        let now = Utc::now();
        let (schema, rows) = prepare("App_CL", None, vec![json!({"Computer": "h1", "Level": 3, "When": "2024-01-01T00:00:00Z", "Bag": {"a": 1}})], now).unwrap();
        let kinds: Vec<(&str, ColumnType)> = schema
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("TimeGenerated", ColumnType::Datetime),
                ("Bag", ColumnType::Dynamic),
                ("Computer", ColumnType::String),
                ("Level", ColumnType::Long),
                ("When", ColumnType::Datetime),
                ("Type", ColumnType::String),
            ]
        );
        assert_eq!(rows[0]["TimeGenerated"], json!(format_datetime(now)));
        assert_eq!(rows[0]["Type"], json!("App_CL"));
        let err = prepare(
            "App_CL",
            Some(schema),
            vec![json!({"Level": 1}), json!({"Level": "high"})],
            now,
        )
        .unwrap_err();
        assert_eq!(err.target().as_deref(), Some("body[1].Level"));
    }

    #[test]
    fn builtin_tables_refuse_unknown_columns_and_bad_rows_name_their_index() {
        let now = Utc::now();
        let err = prepare(
            "SecurityAlert",
            None,
            vec![json!({"SystemAlertId": "a"}), json!({"Nope": 1})],
            now,
        )
        .unwrap_err();
        assert_eq!(err.target().as_deref(), Some("body[1].Nope"));
        let err = prepare("App_CL", None, vec![json!(1)], now).unwrap_err();
        assert_eq!(err.target().as_deref(), Some("body[0]"));
        let err = prepare("App_CL", None, vec![json!({"Title": "x"})], now).unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
    }

    #[test]
    fn bodies_are_checked_for_size_gzip_and_shape() {
        assert!(matches!(
            decode_body(&vec![b' '; MAX_BODY_BYTES + 1], false),
            Err(IngestError::TooLarge(_))
        ));
        assert!(matches!(
            decode_body(b"[1,", false),
            Err(IngestError::BadBody(_))
        ));
        assert!(matches!(
            decode_body(b"{}", false),
            Err(IngestError::BadBody(_))
        ));
        assert!(matches!(
            decode_body(b"[]", true),
            Err(IngestError::BadBody(_))
        ));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, br#"[{"a":1}]"#).unwrap();
        assert_eq!(
            decode_body(&gz.finish().unwrap(), true).unwrap(),
            vec![json!({"a": 1})]
        );
    }

    #[test]
    fn long_strings_are_cut_at_64_kb() {
        let (_, rows) = prepare(
            "App_CL",
            None,
            vec![json!({"Msg": "é".repeat(MAX_FIELD_BYTES)})],
            Utc::now(),
        )
        .unwrap();
        assert!(rows[0]["Msg"].as_str().unwrap().len() <= MAX_FIELD_BYTES);
    }
}
