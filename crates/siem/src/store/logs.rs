//! Log tables: each table's schema and its append-only rows.
//!
//! A row is stored as one JSON object (values in their column's canonical form, see
//! [`crate::schema`]) beside its table name and `TimeGenerated`, which is indexed so that queries
//! bounded in time read only the rows they need. Rows are never updated or deleted.
//!
//! Some tables hold many rows about the same thing over time: every re-ingest of an alert adds a
//! `SecurityAlert` row, every incident change a `SecurityIncident` row. Their identifying column
//! ([`ROW_KEYS`]) is exposed as the virtual column `row_key`, computed from the row's JSON and indexed,
//! so finding one alert's or incident's rows is an index lookup however many rows the table holds. The
//! column is added when a database opens, to new and existing databases alike (building the index over
//! the rows already there); the stored rows themselves are untouched.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde_json::{Map, Value};

use super::{Store, StoreError};
use crate::schema::{TIME_GENERATED, TableSchema, format_datetime};
use crate::tables::{SECURITY_ALERT, SECURITY_INCIDENT};

/// A stored row: column name to canonical value.
pub type Row = Map<String, Value>;

/// The tables whose rows are looked up by key, each with the column that holds the key.
const ROW_KEYS: [(&str, &str); 2] = [
    (SECURITY_ALERT, "SystemAlertId"),
    (SECURITY_INCIDENT, "IncidentName"),
];

/// The index behind keyed lookups; rows of tables without a key (`row_key` null) stay out of it.
const ROW_KEY_INDEX: &str = "CREATE INDEX IF NOT EXISTS log_rows_by_key
    ON log_rows (table_name, row_key, seq) WHERE row_key IS NOT NULL";

/// The definition of the `row_key` virtual column: the key column of the row's table, per [`ROW_KEYS`].
fn row_key_definition() -> String {
    let cases: String = ROW_KEYS
        .iter()
        .map(|(table, column)| format!(" WHEN '{table}' THEN json_extract(data, '$.{column}')"))
        .collect();
    format!("TEXT GENERATED ALWAYS AS (CASE table_name{cases} END) VIRTUAL")
}

/// Adds the `row_key` column to the rows table if it lacks it, and the index on it.
pub(super) fn prepare(connection: &Connection) -> Result<(), StoreError> {
    let has_key: bool = connection.query_row(
        "SELECT EXISTS (SELECT 1 FROM pragma_table_xinfo('log_rows') WHERE name = 'row_key')",
        [],
        |r| r.get(0),
    )?;
    if !has_key {
        connection.execute_batch(&format!(
            "ALTER TABLE log_rows ADD COLUMN row_key {}",
            row_key_definition()
        ))?;
    }
    connection.execute_batch(ROW_KEY_INDEX)?;
    Ok(())
}

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

/// The query behind [`latest_by_key`].
const LATEST_BY_KEY: &str =
    "SELECT data FROM log_rows WHERE table_name = ?1 AND row_key = ?2 ORDER BY seq DESC LIMIT 1";

/// The most recent row of `table` whose key column (see [`ROW_KEYS`]) holds `key`.
pub(crate) fn latest_by_key(
    c: &Connection,
    table: &str,
    key: &str,
) -> Result<Option<Row>, StoreError> {
    let text: Option<String> = c
        .prepare_cached(LATEST_BY_KEY)?
        .query_row(params![table, key], |r| r.get(0))
        .optional()?;
    Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
}

/// Every row of `table` whose key column (see [`ROW_KEYS`]) holds `key`, oldest first.
pub(crate) fn all_by_key(c: &Connection, table: &str, key: &str) -> Result<Vec<Row>, StoreError> {
    let mut statement = c.prepare_cached(
        "SELECT data FROM log_rows WHERE table_name = ?1 AND row_key = ?2 ORDER BY seq",
    )?;
    let texts = statement
        .query_map(params![table, key], |r| r.get::<_, String>(0))?
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

#[cfg(test)]
mod keyed_tests {
    use super::*;
    use crate::tables::security_alert;
    use serde_json::json;

    fn alert(id: &str, round: usize) -> Row {
        json!({
            TIME_GENERATED: format!("2024-01-01T00:00:{round:02}.0000000Z"),
            "SystemAlertId": id,
            "Status": format!("round {round}"),
        })
        .as_object()
        .cloned()
        .unwrap()
    }

    fn ingest(store: &Store, rows: Vec<Row>) {
        store
            .append::<StoreError>(SECURITY_ALERT, |_| Ok((security_alert(), rows)))
            .unwrap();
    }

    /// Alerts `a`, `b` and `c` re-ingested in interleaved rounds, one request per round.
    fn reingested(store: &Store) -> Vec<Row> {
        let mut all = Vec::new();
        for round in 0..5 {
            let rows: Vec<Row> = ["a", "b", "c"]
                .iter()
                .skip(round % 2)
                .map(|id| alert(id, round))
                .collect();
            all.extend(rows.clone());
            ingest(store, rows);
        }
        all
    }

    fn with_id<'a>(rows: &'a [Row], id: &str) -> Vec<&'a Row> {
        rows.iter()
            .filter(|r| r["SystemAlertId"] == json!(id))
            .collect()
    }

    #[test]
    fn keyed_lookups_find_each_alerts_latest_row_and_its_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        let ingested = reingested(&store);
        for id in ["a", "b", "c"] {
            let expected = with_id(&ingested, id);
            let latest = store
                .read(|c| latest_by_key(c, SECURITY_ALERT, id))
                .unwrap();
            assert_eq!(
                latest.as_ref(),
                expected.last().copied(),
                "latest row of {id}"
            );
            let history = store.read(|c| all_by_key(c, SECURITY_ALERT, id)).unwrap();
            assert_eq!(history.iter().collect::<Vec<_>>(), expected, "rows of {id}");
        }
        let missing = store
            .read(|c| latest_by_key(c, SECURITY_ALERT, "d"))
            .unwrap();
        assert_eq!(missing, None);
        let other_table = store
            .read(|c| latest_by_key(c, SECURITY_INCIDENT, "a"))
            .unwrap();
        assert_eq!(other_table, None);
    }

    #[test]
    fn keyed_lookups_use_the_key_index() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        let plan = store
            .read(|c| {
                let mut statement = c.prepare(&format!("EXPLAIN QUERY PLAN {LATEST_BY_KEY}"))?;
                let details = statement
                    .query_map(params![SECURITY_ALERT, "a"], |r| r.get::<_, String>(3))?
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(details.join("\n"))
            })
            .unwrap();
        assert!(plan.contains("USING INDEX log_rows_by_key"), "{plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{plan}");
    }

    #[test]
    fn a_database_written_before_row_keys_gets_them_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("siem.db");
        let rows: Vec<Row> = (0..3).map(|round| alert("a", round)).collect();
        {
            let old = Connection::open(&path).unwrap();
            old.execute_batch(
                "CREATE TABLE log_rows (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    table_name TEXT NOT NULL,
                    time_generated TEXT NOT NULL,
                    data TEXT NOT NULL
                )",
            )
            .unwrap();
            for row in &rows {
                old.execute(
                    "INSERT INTO log_rows (table_name, time_generated, data) VALUES (?1, ?2, ?3)",
                    params![
                        SECURITY_ALERT,
                        row[TIME_GENERATED].as_str(),
                        serde_json::to_string(row).unwrap()
                    ],
                )
                .unwrap();
            }
        }
        let store = Store::open(&path).unwrap();
        let latest = store
            .read(|c| latest_by_key(c, SECURITY_ALERT, "a"))
            .unwrap();
        assert_eq!(latest.as_ref(), rows.last());
        ingest(&store, vec![alert("a", 9)]);
        let latest = store
            .read(|c| latest_by_key(c, SECURITY_ALERT, "a"))
            .unwrap();
        assert_eq!(latest, Some(alert("a", 9)));
        drop(store);
        let reopened = Store::open(&path).unwrap();
        assert_eq!(
            reopened
                .read(|c| all_by_key(c, SECURITY_ALERT, "a"))
                .unwrap()
                .len(),
            4
        );
    }
}
