//! Log tables: each table's schema and its append-only rows.
//!
//! A row is stored as one JSON object (values in their column's canonical form, see
//! [`crate::schema`]) beside its table name and `TimeGenerated`, which is indexed so that queries
//! bounded in time read only the rows they need. Rows are never updated or deleted.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::{Map, Value};

use super::{Store, StoreError};
use crate::schema::{TIME_GENERATED, TableSchema, format_datetime};

/// A stored row: column name to canonical value.
pub type Row = Map<String, Value>;

impl Store {
    /// Registers `schema` unless a table of that name exists already (used for the built-in tables).
    pub fn ensure_table(&self, schema: &TableSchema) -> Result<(), StoreError> {
        self.write(|tx| {
            if schema_in(tx, &schema.name)?.is_none() {
                save_schema(tx, schema)?;
            }
            Ok(())
        })
    }

    /// The schema of table `name`, if the workspace has it.
    pub fn table_schema(&self, name: &str) -> Result<Option<TableSchema>, StoreError> {
        self.read(|c| schema_in(c, name))
    }

    /// Every table, by name.
    pub fn tables(&self) -> Result<Vec<TableSchema>, StoreError> {
        self.read(|c| {
            let mut statement = c.prepare("SELECT schema FROM log_tables ORDER BY name")?;
            let texts = statement
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            texts.iter().map(|t| Ok(serde_json::from_str(t)?)).collect()
        })
    }

    /// Appends rows to `table` in one transaction.
    ///
    /// `prepare` gets the table's current schema (`None` for a new table) and returns the schema to
    /// keep and the rows to add, or an error that leaves the store untouched. Running it under the
    /// write lock makes "read the schema, check the rows, extend the schema, write" atomic.
    pub fn append<E>(
        &self,
        table: &str,
        prepare: impl FnOnce(Option<TableSchema>) -> Result<(TableSchema, Vec<Row>), E>,
    ) -> Result<usize, E>
    where
        E: From<StoreError>,
    {
        self.write(|tx| {
            let current = schema_in(tx, table)?;
            let (schema, rows) = prepare(current.clone())?;
            if current.as_ref() != Some(&schema) {
                save_schema(tx, &schema)?;
            }
            insert_rows(tx, table, &rows)?;
            Ok(rows.len())
        })
    }

    /// The rows of `table` generated at or after `since` (all rows without it), oldest first by
    /// arrival.
    pub fn scan(&self, table: &str, since: Option<DateTime<Utc>>) -> Result<Vec<Row>, StoreError> {
        let since = since.map(format_datetime).unwrap_or_default();
        self.read(|c| {
            let mut statement = c.prepare_cached(
                "SELECT data FROM log_rows WHERE table_name = ?1 AND time_generated >= ?2 ORDER BY seq",
            )?;
            let texts = statement
                .query_map(params![table, since], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            texts
                .iter()
                .map(|t| Ok(serde_json::from_str(t)?))
                .collect()
        })
    }
}

fn schema_in(connection: &Connection, name: &str) -> Result<Option<TableSchema>, StoreError> {
    let text: Option<String> = connection
        .query_row(
            "SELECT schema FROM log_tables WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
}

fn save_schema(tx: &Transaction<'_>, schema: &TableSchema) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO log_tables (name, schema) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET schema = excluded.schema",
        params![schema.name, serde_json::to_string(schema)?],
    )?;
    Ok(())
}

/// Adds rows to `table` inside `tx`. Each row's `TimeGenerated` must already be in canonical form.
pub(crate) fn insert_rows(
    tx: &Transaction<'_>,
    table: &str,
    rows: &[Row],
) -> Result<(), StoreError> {
    let mut statement = tx.prepare_cached(
        "INSERT INTO log_rows (table_name, time_generated, data) VALUES (?1, ?2, ?3)",
    )?;
    for row in rows {
        let time = row
            .get(TIME_GENERATED)
            .and_then(Value::as_str)
            .unwrap_or_default();
        statement.execute(params![table, time, serde_json::to_string(row)?])?;
    }
    Ok(())
}

/// The most recent row of `table` whose `column` holds the text `value`.
pub(crate) fn latest_where(
    c: &Connection,
    table: &str,
    column: &str,
    value: &str,
) -> Result<Option<Row>, StoreError> {
    let text: Option<String> = c
        .prepare_cached(
            "SELECT data FROM log_rows WHERE table_name = ?1 AND json_extract(data, '$.' || ?2) = ?3 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row(params![table, column, value], |r| r.get(0))
        .optional()?;
    Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
}

/// Every row of `table` whose `column` holds the text `value`, oldest first.
pub(crate) fn all_where(
    c: &Connection,
    table: &str,
    column: &str,
    value: &str,
) -> Result<Vec<Row>, StoreError> {
    let mut statement = c.prepare_cached(
        "SELECT data FROM log_rows WHERE table_name = ?1 AND json_extract(data, '$.' || ?2) = ?3 ORDER BY seq",
    )?;
    let texts = statement
        .query_map(params![table, column, value], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    texts.iter().map(|t| Ok(serde_json::from_str(t)?)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{Column, ColumnType};
    use serde_json::json;

    fn schema() -> TableSchema {
        TableSchema {
            name: "App_CL".into(),
            columns: vec![
                Column::new(TIME_GENERATED, ColumnType::Datetime),
                Column::new("Msg", ColumnType::String),
            ],
        }
    }

    fn row(time: &str, msg: &str) -> Row {
        json!({TIME_GENERATED: time, "Msg": msg})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[test]
    fn rows_survive_a_reopen_and_scans_bound_by_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("siem.db");
        {
            let store = Store::open(&path).unwrap();
            store
                .append::<StoreError>("App_CL", |current| {
                    assert!(current.is_none());
                    Ok((
                        schema(),
                        vec![
                            row("2024-01-01T00:00:00.0000000Z", "old"),
                            row("2024-03-01T00:00:00.0000000Z", "new"),
                        ],
                    ))
                })
                .unwrap();
        }
        let store = Store::open(&path).unwrap();
        assert_eq!(store.table_schema("App_CL").unwrap(), Some(schema()));
        assert_eq!(store.scan("App_CL", None).unwrap().len(), 2);
        let since = crate::schema::parse_datetime("2024-02-01T00:00:00Z");
        let recent = store.scan("App_CL", since).unwrap();
        assert_eq!(recent, vec![row("2024-03-01T00:00:00.0000000Z", "new")]);
    }

    #[test]
    fn a_refused_append_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        #[derive(Debug)]
        struct Refused;
        impl From<StoreError> for Refused {
            fn from(_: StoreError) -> Self {
                Refused
            }
        }
        let result = store.append("App_CL", |_| Err::<(TableSchema, Vec<Row>), _>(Refused));
        assert!(result.is_err());
        assert!(store.table_schema("App_CL").unwrap().is_none());
        assert!(store.scan("App_CL", None).unwrap().is_empty());
    }
}
