//! The console's incident queue as indexed SQL over the incidents table.
//!
//! The queue filters, sorts and pages incidents by members of the stored documents (status, severity,
//! owner, provider, title). Rather than reading every document on each request, the incidents table has
//! virtual columns computed from the document ([`QUEUE_COLUMNS`]) with indexes on them, so a page is one
//! query that reads only its own rows and a count is one `GROUP BY`. The columns are added when a database
//! opens, to new and existing databases alike; the documents themselves are untouched, so databases
//! written before the queue columns existed read as they did.
//!
//! The columns mirror how the console reads an incident: the severity's rank is
//! [`Severity::from_level`] of the stored level, the owner is the first non-blank of the owner's user
//! principal name, email and display name, and text compares ignoring ASCII case as the console does.
//! Title search ignores case in full Unicode through the connection's `fold_case` function.

use rusqlite::functions::FunctionFlags;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, params_from_iter};
use serde::de::DeserializeOwned;
use tandem_console::{IncidentQuery, OwnerFilter, Severity, SortOrder};

use super::{StoreError, add_missing_columns, document_text_column};

/// The queue's virtual columns: name, type and the member of the properties they are read from.
const QUEUE_COLUMNS: [(&str, &str); 7] = [
    ("q_status", "status"),
    ("q_severity", "severity"),
    ("q_title", "title"),
    ("q_provider", "providerName"),
    ("q_owner_upn", "owner.userPrincipalName"),
    ("q_owner_email", "owner.email"),
    ("q_owner_name", "owner.assignedTo"),
];

/// The indexes behind the queue's filters and sort orders; each ends in the newest-first order.
const QUEUE_INDEXES: &str = "
CREATE INDEX IF NOT EXISTS incidents_queue_updated ON incidents (last_modified, name);
CREATE INDEX IF NOT EXISTS incidents_queue_rank ON incidents (q_rank, last_modified, name);
CREATE INDEX IF NOT EXISTS incidents_queue_status ON incidents (q_status, last_modified, name);
CREATE INDEX IF NOT EXISTS incidents_queue_provider ON incidents (q_provider, last_modified, name);
CREATE INDEX IF NOT EXISTS incidents_queue_owner ON incidents (q_owner, last_modified, name);
CREATE INDEX IF NOT EXISTS incidents_queue_owner_upn ON incidents (q_owner_upn);
CREATE INDEX IF NOT EXISTS incidents_queue_owner_email ON incidents (q_owner_email);
CREATE INDEX IF NOT EXISTS incidents_queue_owner_name ON incidents (q_owner_name);
";

/// The virtual column definitions the queue needs, in the order they depend on each other.
fn column_definitions() -> Vec<(String, String)> {
    let mut columns: Vec<(String, String)> = QUEUE_COLUMNS
        .iter()
        .map(|(column, member)| ((*column).to_owned(), document_text_column(member)))
        .collect();
    let ranks: String = Severity::ALL
        .iter()
        .map(|s| format!(" WHEN '{}' THEN {}", s.as_str(), rank(*s)))
        .collect();
    columns.push((
        "q_rank".to_owned(),
        format!("INTEGER GENERATED ALWAYS AS (CASE lower(q_severity){ranks} ELSE 0 END) VIRTUAL"),
    ));
    let blank_to_null = |column: &str| format!("NULLIF(trim({column}), '')");
    columns.push((
        "q_owner".to_owned(),
        format!(
            "TEXT COLLATE NOCASE GENERATED ALWAYS AS (COALESCE({}, {}, {})) VIRTUAL",
            blank_to_null("q_owner_upn"),
            blank_to_null("q_owner_email"),
            blank_to_null("q_owner_name")
        ),
    ));
    columns
}

/// A severity's rank in the `q_rank` column: higher is more serious, unknown levels are 0.
fn rank(severity: Severity) -> i64 {
    severity as i64
}

/// Adds the queue's columns the incidents table lacks, the indexes on them, and the `fold_case` function.
pub(super) fn prepare(connection: &Connection) -> Result<(), StoreError> {
    add_missing_columns(connection, "incidents", &column_definitions())?;
    connection.execute_batch(QUEUE_INDEXES)?;
    connection.create_scalar_function(
        "fold_case",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |context| {
            Ok(match context.get_raw(0) {
                ValueRef::Text(text) => Some(String::from_utf8_lossy(text).to_lowercase()),
                _ => None,
            })
        },
    )?;
    Ok(())
}

/// The `WHERE` clause of a query and its values.
fn conditions(query: &IncidentQuery) -> (String, Vec<SqlValue>) {
    let text = |value: &str| SqlValue::Text(value.to_owned());
    let mut filters: Vec<(&str, Vec<SqlValue>)> = Vec::new();
    if let Some(status) = &query.status {
        filters.push(("q_status = ?", vec![text(status)]));
    }
    if let Some(severity) = query.severity {
        filters.push(("q_rank = ?", vec![SqlValue::Integer(rank(severity))]));
    }
    match &query.owner {
        Some(OwnerFilter::Unassigned) => filters.push(("q_owner IS NULL", Vec::new())),
        // A blank name is nobody's: the console never reads blank names as owners.
        Some(OwnerFilter::Named(name)) if name.trim().is_empty() => filters.push(("0", Vec::new())),
        Some(OwnerFilter::Named(name)) => filters.push((
            "(q_owner_upn = ? OR q_owner_email = ? OR q_owner_name = ?)",
            vec![text(name), text(name), text(name)],
        )),
        None => {}
    }
    if let Some(provider) = &query.provider {
        filters.push(("q_provider = ?", vec![text(provider)]));
    }
    if let Some(search) = &query.search {
        filters.push((
            "instr(fold_case(q_title), ?) > 0",
            vec![text(&search.to_lowercase())],
        ));
    }
    if filters.is_empty() {
        return (String::new(), Vec::new());
    }
    let clauses: Vec<&str> = filters.iter().map(|(clause, _)| *clause).collect();
    let condition = format!("WHERE {}", clauses.join(" AND "));
    (
        condition,
        filters.into_iter().flat_map(|(_, v)| v).collect(),
    )
}

/// The documents of one queue page, and how many incidents match in all.
pub fn page<T: DeserializeOwned>(
    connection: &Connection,
    query: &IncidentQuery,
) -> Result<(Vec<T>, usize), StoreError> {
    let (condition, mut values) = conditions(query);
    let total: i64 = connection.query_row(
        &format!("SELECT COUNT(*) FROM incidents {condition}"),
        params_from_iter(&values),
        |row| row.get(0),
    )?;
    let order = match query.sort {
        SortOrder::Newest => "last_modified DESC, name DESC",
        SortOrder::Oldest => "last_modified ASC, name ASC",
        SortOrder::Severity => "q_rank DESC, last_modified DESC, name DESC",
    };
    let limit_offset =
        [query.page_size, query.offset].map(|n| i64::try_from(n).unwrap_or(i64::MAX));
    values.extend(limit_offset.map(SqlValue::Integer));
    let mut statement = connection.prepare_cached(&format!(
        "SELECT resource FROM incidents {condition} ORDER BY {order} LIMIT ? OFFSET ?"
    ))?;
    let documents = statement
        .query_map(params_from_iter(values), |row| row.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    let items = documents
        .iter()
        .map(|d| serde_json::from_str(d))
        .collect::<Result<_, _>>()?;
    Ok((items, usize::try_from(total).unwrap_or_default()))
}

/// Incidents per stored status (`""` for none) and per severity, each with its count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueueCounts {
    /// Incidents per status, as stored.
    pub by_status: Vec<(String, usize)>,
    /// Incidents per severity level.
    pub by_severity: Vec<(Severity, usize)>,
}

/// Counts incidents by status and by severity, each one `GROUP BY` over an index.
pub fn counts(connection: &Connection) -> Result<QueueCounts, StoreError> {
    let by_status = grouped(connection, "q_status", |row| {
        Ok(row.get::<_, Option<String>>(0)?.unwrap_or_default())
    })?;
    let by_severity = grouped(connection, "q_rank", |row| {
        let rank: i64 = row.get(0)?;
        Ok(Severity::ALL
            .into_iter()
            .find(|s| self::rank(*s) == rank)
            .unwrap_or(Severity::Unknown))
    })?;
    Ok(QueueCounts {
        by_status,
        by_severity,
    })
}

/// `SELECT column, COUNT(*) … GROUP BY column`, each group's value read by `value`.
fn grouped<K>(
    connection: &Connection,
    column: &str,
    value: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<K>,
) -> Result<Vec<(K, usize)>, StoreError> {
    let mut statement = connection.prepare_cached(&format!(
        "SELECT {column}, COUNT(*) FROM incidents GROUP BY {column}"
    ))?;
    let rows = statement.query_map([], |row| {
        let count: i64 = row.get(1)?;
        Ok((value(row)?, usize::try_from(count).unwrap_or_default()))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use tandem_model::sentinel::Incident;

    use super::*;
    use crate::incidents::{Actor, Incidents};
    use crate::store::Store;
    use crate::workspace::{SiemConfig, Workspace};

    const INCIDENTS: usize = 10_000;
    const SEVERITIES: [&str; 4] = ["High", "Medium", "Low", "Informational"];
    const STATUSES: [&str; 3] = ["New", "Active", "Closed"];

    /// Incident `i` of the generated queue; each member cycles with its own period.
    fn properties(i: usize) -> Value {
        let topic = if i.is_multiple_of(7) {
            "Phishing wave"
        } else {
            "Sign-in burst"
        };
        let mut p = json!({
            "title": format!("Incident {i}: {topic}"),
            "severity": SEVERITIES[i % 4],
            "status": STATUSES[i % 3],
        });
        if STATUSES[i % 3] == "Closed" {
            p["classification"] = json!("Undetermined");
        }
        p["owner"] = match i % 5 {
            0 => Value::Null,
            1 => json!({"userPrincipalName": "ana@contoso.com", "assignedTo": "Ana"}),
            2 => json!({"email": "bob@contoso.com"}),
            3 => json!({"assignedTo": "Carol"}),
            _ => json!({"userPrincipalName": "  ", "assignedTo": ""}),
        };
        if i.is_multiple_of(2) {
            p["providerName"] = json!("Tandem XDR");
        }
        p
    }

    fn fill(store: &Store, count: usize) {
        // Each put is its own transaction; without waiting for the disk on each, filling takes seconds.
        store
            .read_incidents(|c| Ok(c.pragma_update(None, "synchronous", "OFF")?))
            .unwrap();
        let workspace = Workspace::new("tenant", SiemConfig::default());
        let api = Incidents::new(store, &workspace, "http://127.0.0.1:1");
        let actor = Actor {
            app_id: "app".into(),
            name: "Filler".into(),
        };
        for i in 0..count {
            let body: Incident =
                serde_json::from_value(json!({ "properties": properties(i) })).unwrap();
            api.put(&format!("inc-{i:05}"), body, None, &actor).unwrap();
        }
    }

    /// What the console would show for incident `i`, the reference the SQL is checked against.
    struct Expected {
        i: usize,
        severity: Severity,
        status: &'static str,
        owner: Option<&'static str>,
        names: Vec<&'static str>,
        tandem: bool,
        title: String,
    }

    fn expected(i: usize) -> Expected {
        let (owner, names) = match i % 5 {
            1 => (Some("ana@contoso.com"), vec!["ana@contoso.com", "Ana"]),
            2 => (Some("bob@contoso.com"), vec!["bob@contoso.com"]),
            3 => (Some("Carol"), vec!["Carol"]),
            _ => (None, Vec::new()),
        };
        Expected {
            i,
            severity: Severity::from_level(SEVERITIES[i % 4]),
            status: STATUSES[i % 3],
            owner,
            names,
            tandem: i.is_multiple_of(2),
            title: properties(i)["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        }
    }

    /// The page a query should give: the generated incidents filtered and sorted in Rust (incidents were
    /// written in order, so a higher `i` was updated later).
    fn reference(query: &IncidentQuery) -> (Vec<String>, usize) {
        let mut rows: Vec<Expected> = (0..INCIDENTS)
            .map(expected)
            .filter(|e| {
                query
                    .status
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case(e.status))
                    && query.severity.is_none_or(|s| s == e.severity)
                    && query.owner.as_ref().is_none_or(|o| match o {
                        OwnerFilter::Unassigned => e.owner.is_none(),
                        OwnerFilter::Named(n) => e.names.iter().any(|x| x.eq_ignore_ascii_case(n)),
                    })
                    && query.provider.as_deref().is_none_or(|p| {
                        p.eq_ignore_ascii_case(if e.tandem {
                            "Tandem XDR"
                        } else {
                            "Azure Sentinel"
                        })
                    })
                    && query
                        .search
                        .as_deref()
                        .is_none_or(|t| e.title.to_lowercase().contains(&t.to_lowercase()))
            })
            .collect();
        match query.sort {
            SortOrder::Newest => rows.sort_by_key(|e| std::cmp::Reverse(e.i)),
            SortOrder::Oldest => rows.sort_by_key(|e| e.i),
            SortOrder::Severity => rows.sort_by_key(|e| std::cmp::Reverse((e.severity, e.i))),
        }
        let total = rows.len();
        let names = rows
            .iter()
            .skip(query.offset)
            .take(query.page_size)
            .map(|e| format!("inc-{:05}", e.i))
            .collect();
        (names, total)
    }

    fn names(store: &Store, query: &IncidentQuery) -> (Vec<String>, usize) {
        let (incidents, total): (Vec<Value>, usize) =
            store.read_incidents(|c| page(c, query)).unwrap();
        let names = incidents
            .iter()
            .map(|d| {
                d["resource"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect();
        (names, total)
    }

    #[test]
    fn pages_of_ten_thousand_incidents_have_the_right_rows() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("siem.db")).unwrap();
        fill(&store, INCIDENTS);
        let first = IncidentQuery {
            page_size: 25,
            ..IncidentQuery::default()
        };
        let queries = [
            first.clone(),
            IncidentQuery {
                status: Some("active".into()),
                severity: Some(Severity::High),
                owner: Some(OwnerFilter::Named("ANA@contoso.com".into())),
                provider: Some("tandem xdr".into()),
                search: Some("PHISHING".into()),
                offset: 10,
                page_size: 10,
                ..IncidentQuery::default()
            },
            IncidentQuery {
                owner: Some(OwnerFilter::Unassigned),
                sort: SortOrder::Severity,
                offset: 400,
                ..first.clone()
            },
            IncidentQuery {
                owner: Some(OwnerFilter::Named("bob@CONTOSO.com".into())),
                sort: SortOrder::Oldest,
                offset: 1_990,
                ..first.clone()
            },
            IncidentQuery {
                offset: INCIDENTS - INCIDENTS % 30,
                page_size: 30,
                ..first.clone()
            },
        ];
        for query in &queries {
            let (wanted, total) = reference(query);
            assert!(!wanted.is_empty(), "the reference page is empty: {query:?}");
            assert_eq!(names(&store, query), (wanted, total), "{query:?}");
        }
        let counts = store.read_incidents(counts).unwrap();
        for (status, count) in &counts.by_status {
            let wanted = (0..INCIDENTS)
                .filter(|&i| STATUSES[i % 3] == status)
                .count();
            assert_eq!(*count, wanted, "status {status}");
        }
        for (severity, count) in &counts.by_severity {
            let wanted = (0..INCIDENTS)
                .filter(|&i| Severity::from_level(SEVERITIES[i % 4]) == *severity)
                .count();
            assert_eq!(*count, wanted, "severity {severity}");
        }
        assert_eq!(counts.by_status.len(), STATUSES.len());
        assert_eq!(counts.by_severity.len(), SEVERITIES.len());
    }

    #[test]
    fn databases_from_before_the_queue_columns_get_them_on_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("siem.db");
        fill(&Store::open(&path).unwrap(), 3);
        let connection = Connection::open(&path).unwrap();
        let indexes: Vec<String> = connection
            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'incidents_queue_%'")
            .unwrap()
            .query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        for index in indexes {
            connection
                .execute_batch(&format!("DROP INDEX {index}"))
                .unwrap();
        }
        for (column, _) in column_definitions().iter().rev() {
            connection
                .execute_batch(&format!("ALTER TABLE incidents DROP COLUMN {column}"))
                .unwrap();
        }
        drop(connection);
        let store = Store::open(&path).unwrap();
        let query = IncidentQuery {
            severity: Some(Severity::Medium),
            page_size: 10,
            ..IncidentQuery::default()
        };
        assert_eq!(names(&store, &query), (vec!["inc-00001".to_owned()], 1));
    }
}
