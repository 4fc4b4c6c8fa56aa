//! Incidents, comments and relations listed the OData way, in SQL.
//!
//! `GET …/incidents` and an incident's `comments` and `relations` filter, order and page in one query:
//! `tandem-odata` renders `$filter`, `$orderby` and the keyset `$skipToken` as SQL over columns kept
//! beside each stored document, and indexes on those columns serve the connector's poll
//! (`properties/lastModifiedTimeUtc gt X`, in that order) and the default newest-first order. A page
//! reads its own rows and one more (to know whether another page follows), so neither its time nor its
//! memory grows with the store.
//!
//! The columns:
//! - times in nanoseconds since the Unix epoch (`created_ns`, `last_modified_ns`, `first_activity_ns`,
//!   `last_activity_ns`), written with each document ([`IncidentColumns`]): a document holds its
//!   times as RFC 3339 text in any offset and precision, which SQL cannot compare;
//! - members compared as text, virtual columns computed from the document ([`TEXT_COLUMNS`], beside
//!   the console queue's);
//! - the incident number, unique, the tie-breaker of every incident order; a comment's or relation's
//!   `seq`, its place in the order of creation.
//!
//! Databases written before these columns existed gain them when they open: in one transaction the
//! columns are added and filled from the stored documents, a batch at a time.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Transaction, TransactionBehavior, params, params_from_iter};
use serde::de::DeserializeOwned;
use tandem_model::sentinel::Incident;
use tandem_odata::filter::{Param, Sqlite};
use tandem_odata::{Cursor, ListQuery};

use super::incidents::{CHILD_SEQUENCE, IncidentColumns};
use super::{StoreError, add_missing_columns, document_text_column};

/// A table listed in pages: its name and its row sequence, the unique tie-breaker of every order.
#[derive(Debug, Clone, Copy)]
pub struct Listed {
    /// The SQL table.
    pub table: &'static str,
    /// Its integer row-sequence column.
    pub seq: &'static str,
}

/// Incidents, ordered last by their number.
pub const INCIDENTS: Listed = Listed {
    table: "incidents",
    seq: "number",
};

/// Comments and relations, ordered last by their place in the order of creation.
pub const CHILDREN: Listed = Listed {
    table: "incident_children",
    seq: "seq",
};

/// One page of a listing.
#[derive(Debug, Clone)]
pub struct Page<T> {
    /// The documents on this page, in order.
    pub items: Vec<T>,
    /// Where the next page starts, if there is one.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// The page with each item turned into another.
    pub fn map<U>(self, convert: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(convert).collect(),
            next: self.next,
        }
    }
}

/// The virtual text columns the lists filter on beyond the console queue's: name and member of the
/// incident's properties.
const TEXT_COLUMNS: [(&str, &str); 3] = [
    ("l_classification", "classification"),
    ("l_owner_object_id", "owner.objectId"),
    ("l_provider_incident_id", "providerIncidentId"),
];

/// The time columns written with each incident.
const TIME_COLUMNS: [&str; 4] = [
    "created_ns",
    "last_modified_ns",
    "first_activity_ns",
    "last_activity_ns",
];

/// The indexes behind the lists' usual orders: each starts with the order's key and tie-breaker, so a
/// keyset page is one range of one index. The newest-first index also holds the change time, so a
/// change filter in that order (a client that polls without `$orderby`) is tested in the index without
/// reading each document. The rarer orders (severity, activity times) sort the matching rows, keeping
/// only a page of them.
const LIST_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS incidents_list_created ON incidents (created_ns, number, last_modified_ns);
CREATE INDEX IF NOT EXISTS incidents_list_modified ON incidents (last_modified_ns, number);
CREATE INDEX IF NOT EXISTS incident_children_list ON incident_children (kind, incident, seq);
";

/// Documents read per batch while filling the columns of an older database.
const FILL_BATCH: i64 = 500;

/// Adds the lists' columns the tables lack, fills them for the rows already stored, and indexes them.
/// Runs after the console queue's columns exist.
pub(super) fn prepare(connection: &Connection) -> Result<(), StoreError> {
    let tx = Transaction::new_unchecked(connection, TransactionBehavior::Immediate)?;
    let mut incident_columns: Vec<(String, String)> = TIME_COLUMNS
        .iter()
        .map(|column| ((*column).to_owned(), "INTEGER".to_owned()))
        .collect();
    incident_columns.extend(
        TEXT_COLUMNS
            .iter()
            .map(|(column, member)| ((*column).to_owned(), document_text_column(member))),
    );
    let added = add_missing_columns(&tx, "incidents", &incident_columns)?;
    if added
        .iter()
        .any(|column| TIME_COLUMNS.contains(&column.as_str()))
    {
        fill_incident_columns(&tx)?;
    }
    let sequence = [("seq".to_owned(), "INTEGER".to_owned())];
    if !add_missing_columns(&tx, "incident_children", &sequence)?.is_empty() {
        fill_child_sequence(&tx)?;
    }
    tx.execute_batch(LIST_INDEXES)?;
    tx.commit()?;
    Ok(())
}

/// The part of a stored incident document the columns are read from.
#[derive(serde::Deserialize)]
struct StoredIncident {
    resource: Incident,
}

/// Writes the time columns of every stored incident, reading the documents a batch at a time.
fn fill_incident_columns(tx: &Transaction<'_>) -> Result<(), StoreError> {
    let mut after = String::new();
    loop {
        let batch: Vec<(String, String)> = tx
            .prepare("SELECT name, resource FROM incidents WHERE name > ?1 ORDER BY name LIMIT ?2")?
            .query_map(params![after, FILL_BATCH], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        let Some((last, _)) = batch.last() else {
            return Ok(());
        };
        after = last.clone();
        for (name, document) in &batch {
            let stored: StoredIncident = serde_json::from_str(document)?;
            let columns = IncidentColumns::of(&stored.resource.properties);
            tx.execute(
                "UPDATE incidents SET created_ns = ?1, last_modified_ns = ?2, first_activity_ns = ?3,
                     last_activity_ns = ?4 WHERE name = ?5",
                params![
                    columns.created_ns,
                    columns.last_modified_ns,
                    columns.first_activity_ns,
                    columns.last_activity_ns,
                    name
                ],
            )?;
        }
    }
}

/// Numbers the comments and relations already stored in the order they were inserted, and starts the
/// sequence after them.
fn fill_child_sequence(tx: &Transaction<'_>) -> Result<(), StoreError> {
    tx.execute("UPDATE incident_children SET seq = rowid", [])?;
    tx.execute(
        "INSERT INTO counters (name, value) SELECT ?1, COALESCE(MAX(seq), 0) FROM incident_children
         WHERE true ON CONFLICT (name) DO UPDATE SET value = MAX(value, excluded.value)",
        [CHILD_SEQUENCE],
    )?;
    Ok(())
}

/// One page of `listed` as `query` asks: its `$filter` (and any condition the caller added), the rows
/// after its `$skipToken`, in its order, at most `$top` of them.
pub fn page<T: DeserializeOwned>(
    connection: &Connection,
    listed: &Listed,
    query: &ListQuery,
) -> Result<Page<T>, StoreError> {
    let (sql, values) = select(listed, query);
    let mut statement = connection.prepare_cached(&sql)?;
    let mut rows = statement.query(params_from_iter(values))?;
    let mut items = Vec::new();
    let mut last = None;
    while let Some(row) = rows.next()? {
        if items.len() == query.top {
            return Ok(Page { items, next: last });
        }
        last = Some(Cursor {
            seq: row.get(0)?,
            key: row.get(1)?,
        });
        items.push(serde_json::from_str(&row.get::<_, String>(2)?)?);
    }
    Ok(Page { items, next: None })
}

/// The query of one page and its values: the row sequence, the sort key and the document of at most
/// one row more than the page holds.
fn select(listed: &Listed, query: &ListQuery) -> (String, Vec<SqlValue>) {
    let mut conditions = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    if let Some(filter) = &query.filter {
        conditions.push(filter.sql.clone());
        values.extend(filter.params.iter().map(sql_value));
    }
    if let Some(after) = query.after_cursor(listed.seq, &Sqlite, values.len()) {
        conditions.push(after.sql);
        values.extend(after.params.iter().map(sql_value));
    }
    let condition = if conditions.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conditions.join(" AND "))
    };
    let sql = format!(
        "SELECT {seq}, {key}, resource FROM {table} {condition} ORDER BY {order} LIMIT ? OFFSET ?",
        seq = listed.seq,
        key = query.order.field.column,
        table = listed.table,
        order = query.order_by(listed.seq),
    );
    let count = |n: usize| SqlValue::Integer(i64::try_from(n).unwrap_or(i64::MAX));
    values.extend([count(query.top.saturating_add(1)), count(query.skip)]);
    (sql, values)
}

/// The SQLite value a rendered parameter binds as.
fn sql_value(param: &Param) -> SqlValue {
    match param {
        Param::Integer(n) => SqlValue::Integer(*n),
        Param::Text(s) => SqlValue::Text(s.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use tandem_model::sentinel::IncidentComment;
    use tandem_odata::Direction;

    use super::*;
    use crate::incidents::listing::{COMMENT_LIST, INCIDENT_LIST};
    use crate::incidents::{Actor, Incidents};
    use crate::store::Store;
    use crate::workspace::{SiemConfig, Workspace};

    fn actor() -> Actor {
        Actor {
            app_id: "app".into(),
            name: "Tester".into(),
        }
    }

    /// Stores `count` incidents named `inc-0`, `inc-1`, … (incident `i` is last active `i` hours after
    /// 2024-01-01, and odd ones have no activity times), each with two comments.
    fn fill(store: &Store, count: usize) {
        let workspace = Workspace::new("tenant", SiemConfig::default());
        let api = Incidents::new(store, &workspace, "http://127.0.0.1:1");
        for i in 0..count {
            let mut properties =
                json!({"title": format!("t{i}"), "severity": "Low", "status": "New"});
            if i % 2 == 0 {
                properties["lastActivityTimeUtc"] =
                    json!(format!("2024-01-01T{:02}:00:00+00:00", i % 24));
            }
            let body: Incident =
                serde_json::from_value(json!({ "properties": properties })).unwrap();
            let name = format!("inc-{i}");
            api.put(&name, body, None, &actor()).unwrap();
            for c in ["a", "b"] {
                let comment: IncidentComment =
                    serde_json::from_value(json!({"properties": {"message": c}})).unwrap();
                api.put_comment(&name, c, comment, None, &actor()).unwrap();
            }
        }
    }

    fn query(raw: &str) -> ListQuery {
        ListQuery::parse(Some(raw), &INCIDENT_LIST, &Sqlite).unwrap()
    }

    /// The steps of SQLite's plan for the page `query` asks for.
    fn plan(store: &Store, query: &ListQuery) -> Vec<String> {
        let (sql, values) = select(&INCIDENTS, query);
        store
            .read_incidents(|c| {
                let mut statement = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
                let steps = statement
                    .query_map(params_from_iter(values), |row| row.get::<_, String>(3))?
                    .collect::<Result<Vec<String>, _>>()?;
                Ok(steps)
            })
            .unwrap()
    }

    fn names(store: &Store, query: &ListQuery) -> (Vec<String>, Option<Cursor>) {
        let page: Page<Value> = store
            .read_incidents(|c| page(c, &INCIDENTS, query))
            .unwrap();
        let names = page
            .items
            .iter()
            .map(|d| d["resource"]["name"].as_str().unwrap().to_owned())
            .collect();
        (names, page.next)
    }

    #[test]
    fn the_poll_and_the_default_order_read_an_index_without_sorting() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        fill(&store, 20);
        let poll = "$filter=properties/lastModifiedTimeUtc gt 2024-01-01T00:00:00Z\
                    &$orderby=properties/lastModifiedTimeUtc&$top=1000";
        // As `tandem sync` polls (`ge`, its page size, oldest change first).
        let connector = "$top=50&$orderby=properties/lastModifiedTimeUtc asc\
                         &$filter=properties/lastModifiedTimeUtc ge 2024-01-01T00:00:00Z";
        let cases = [
            (query(poll), "incidents_list_modified"),
            (query(connector), "incidents_list_modified"),
            (query("$top=5"), "incidents_list_created"),
            (
                query("$top=5&$skiptoken=properties/createdTimeUtc.5.5"),
                "incidents_list_created",
            ),
        ];
        for (query, index) in &cases {
            let steps = plan(&store, query);
            assert!(
                steps.iter().any(|s| s.contains(index)),
                "{index}: {steps:?}"
            );
            assert!(
                !steps.iter().any(|s| s.contains("TEMP B-TREE")),
                "a sort: {steps:?}"
            );
            assert!(
                !steps
                    .iter()
                    .any(|s| s.starts_with("SCAN") && !s.contains("USING INDEX")),
                "a full scan: {steps:?}"
            );
        }
        let (all, _) = names(&store, &query(poll));
        assert_eq!(
            all.len(),
            20,
            "the poll finds every incident changed after its watermark"
        );
    }

    #[test]
    fn pages_follow_their_order_and_tie_breaker() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        fill(&store, 7);
        let mut order = query("$orderby=properties/lastActivityTimeUtc desc&$top=3");
        let mut walked = Vec::new();
        loop {
            let (page, next) = names(&store, &order);
            assert!(page.len() <= 3);
            walked.extend(page);
            match next {
                Some(cursor) => order = query(&order.next_query(&cursor)),
                None => break,
            }
        }
        // Latest activity first; the incidents without activity times last, newest number first.
        let wanted = [
            "inc-6", "inc-4", "inc-2", "inc-0", "inc-5", "inc-3", "inc-1",
        ];
        assert_eq!(walked, wanted);
    }

    #[test]
    fn comments_page_in_the_order_they_were_written() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        fill(&store, 2);
        let workspace = Workspace::new("tenant", SiemConfig::default());
        let api = Incidents::new(&store, &workspace, "http://127.0.0.1:1");
        let first =
            ListQuery::parse_in_order(Some("$top=1"), &COMMENT_LIST, &Sqlite, Direction::Asc)
                .unwrap();
        let page: Page<IncidentComment> = api
            .list_children("inc-1", crate::store::incidents::ChildKind::Comment, &first)
            .unwrap();
        let cursor = page.next.unwrap();
        let next = ListQuery::parse_in_order(
            Some(&first.next_query(&cursor)),
            &COMMENT_LIST,
            &Sqlite,
            Direction::Asc,
        )
        .unwrap();
        let rest: Page<IncidentComment> = api
            .list_children("inc-1", crate::store::incidents::ChildKind::Comment, &next)
            .unwrap();
        let name = |c: &IncidentComment| c.name.get().cloned().unwrap();
        assert_eq!(page.items.iter().map(name).collect::<Vec<_>>(), ["a"]);
        assert_eq!(rest.items.iter().map(name).collect::<Vec<_>>(), ["b"]);
        assert!(rest.next.is_none());
    }

    #[test]
    fn databases_from_before_the_list_columns_get_them_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("siem.db");
        fill(&Store::open(&path).unwrap(), 4);
        let connection = Connection::open(&path).unwrap();
        connection
            .execute_batch(
                "DROP INDEX incidents_list_created; DROP INDEX incidents_list_modified;
                 DROP INDEX incident_children_list; DELETE FROM counters WHERE name = 'child_seq';",
            )
            .unwrap();
        for column in TIME_COLUMNS
            .iter()
            .chain(TEXT_COLUMNS.iter().map(|(c, _)| c))
        {
            connection
                .execute_batch(&format!("ALTER TABLE incidents DROP COLUMN {column}"))
                .unwrap();
        }
        connection
            .execute_batch("ALTER TABLE incident_children DROP COLUMN seq")
            .unwrap();
        drop(connection);
        let store = Store::open(&path).unwrap();
        let newest = query("$orderby=properties/lastModifiedTimeUtc desc&$top=2");
        assert_eq!(names(&store, &newest).0, ["inc-3", "inc-2"]);
        let active = query("$filter=properties/lastActivityTimeUtc ge 2024-01-01T02:00:00Z");
        assert_eq!(names(&store, &active).0, ["inc-2"]);
        let workspace = Workspace::new("tenant", SiemConfig::default());
        let api = Incidents::new(&store, &workspace, "http://127.0.0.1:1");
        let comment: IncidentComment =
            serde_json::from_value(json!({"properties": {"message": "later"}})).unwrap();
        api.put_comment("inc-0", "c", comment, None, &actor())
            .unwrap();
        let thread: Vec<IncidentComment> = api.comments("inc-0").unwrap();
        let messages: Vec<String> = thread
            .iter()
            .map(|c| c.properties.message.get().cloned().unwrap())
            .collect();
        assert_eq!(messages, ["a", "b", "later"]);
    }
}
