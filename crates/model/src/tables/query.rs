//! The Log Analytics query API: the request body and the `tables` / `columns` / `rows` answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::{Field, ParseError, from_value};

/// The body of `POST /v1/workspaces/{id}/query`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryBody {
    /// The KQL query.
    pub query: String,
    /// ISO 8601 duration or interval the query covers, such as `PT24H`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub timespan: Field<String>,
    /// Further workspaces to query.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub workspaces: Field<Vec<String>>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The body of `POST /v1/$batch`: several queries, each with its own id and workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchRequest {
    /// The queries.
    pub requests: Vec<BatchQueryRequest>,
}

/// One query of a batch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchQueryRequest {
    /// The id its response carries.
    pub id: String,
    /// Headers of the single request (`prefer`, ...).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub headers: Field<Map<String, Value>>,
    /// The query.
    pub body: QueryBody,
    /// Always `/query`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub path: Field<String>,
    /// Always `POST`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub method: Field<String>,
    /// The workspace id the query runs in.
    pub workspace: String,
}

/// The answer to `POST /v1/$batch`: one response per query, in the order asked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchResponse {
    /// The responses.
    pub responses: Vec<BatchQueryResponse>,
}

/// The answer to one query of a batch: its status and the body a single query would have had.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BatchQueryResponse {
    /// The request's id.
    pub id: String,
    /// The HTTP status the single query would have had.
    pub status: u16,
    /// The tables, or `{"error": ...}`.
    pub body: Value,
}

/// A query answer: one or more result tables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryResponse {
    /// Result tables; the first is `PrimaryResult`.
    pub tables: Vec<QueryTable>,
    /// Members this model does not name (`statistics`, `render`, `error`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One result table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryTable {
    /// Table name, such as `PrimaryResult`.
    pub name: String,
    /// Column names and types, in row order.
    pub columns: Vec<QueryColumn>,
    /// Rows: one cell per column.
    pub rows: Vec<Vec<Value>>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A result column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueryColumn {
    /// Column name.
    pub name: String,
    /// Kusto type: `string`, `datetime`, `long`, `int`, `real`, `bool`, `dynamic`, `guid`, `timespan`.
    #[serde(rename = "type", default, skip_serializing_if = "Field::is_absent")]
    pub column_type: Field<String>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl QueryColumn {
    /// A column with a name and a Kusto type.
    pub fn new(name: impl Into<String>, column_type: impl Into<String>) -> Self {
        QueryColumn {
            name: name.into(),
            column_type: Field::Value(column_type.into()),
            extra: Map::new(),
        }
    }
}

impl QueryTable {
    /// Each row as an object keyed by column name (cells past the last column are dropped).
    pub fn records(&self) -> Vec<Map<String, Value>> {
        self.rows
            .iter()
            .map(|row| {
                self.columns
                    .iter()
                    .zip(row)
                    .map(|(column, cell)| (column.name.clone(), cell.clone()))
                    .collect()
            })
            .collect()
    }

    /// Each row read as a typed record, such as [`super::SecurityIncidentRow`]. The error names the
    /// row and the column.
    pub fn typed_records<T: serde::de::DeserializeOwned>(&self) -> Result<Vec<T>, ParseError> {
        self.records()
            .into_iter()
            .enumerate()
            .map(|(i, record)| {
                from_value(Value::Object(record)).map_err(|e| match e {
                    ParseError::Field { path, message } => ParseError::Field {
                        path: format!("rows[{i}].{path}"),
                        message,
                    },
                    other => other,
                })
            })
            .collect()
    }
}
