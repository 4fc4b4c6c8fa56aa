//! The Log Analytics query API: the request body and the `tables` / `columns` / `rows` answer.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::wire::wire_struct;
use crate::wire::{Field, ParseError, from_value};

wire_struct! {
    /// The body of `POST /v1/workspaces/{id}/query`.
    #[serde(rename_all = "camelCase")]
    pub struct QueryBody {
        /// The KQL query.
        required query: String,
        /// ISO 8601 duration or interval the query covers, such as `PT24H`.
        timespan: String,
        /// Further workspaces to query.
        workspaces: Vec<String>,
    }
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

wire_struct! {
    /// A query answer: one or more result tables.
    #[serde(rename_all = "camelCase")]
    pub struct QueryResponse {
        /// Result tables; the first is `PrimaryResult`.
        required tables: Vec<QueryTable>,
    }
}

wire_struct! {
    /// One result table.
    pub struct QueryTable {
        /// Table name, such as `PrimaryResult`.
        required name: String,
        /// Column names and types, in row order.
        required columns: Vec<QueryColumn>,
        /// Rows: one cell per column.
        required rows: Vec<Vec<Value>>,
    }
}

wire_struct! {
    /// A result column.
    pub struct QueryColumn {
        /// Column name.
        required name: String,
        /// Kusto type: `string`, `datetime`, `long`, `int`, `real`, `bool`, `dynamic`, `guid`, `timespan`.
        #[serde(rename = "type")]
        column_type: String,
    }
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
