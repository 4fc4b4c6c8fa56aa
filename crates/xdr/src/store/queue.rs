//! The console's incident queue: filters, sort orders and counts over the incidents table.
//!
//! Each filter has an index that ends in the queue's update order, so a filtered page reads only its own
//! rows; the provider filter follows the alerts' index by incident.

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};

use super::StoreError;
use super::rows::{IncidentRecord, parse_doc};

/// The indexes behind the queue's filters and its severity order; safe to run on every start.
pub(super) const INDEXES: &str = "
CREATE INDEX IF NOT EXISTS incidents_queue_rank ON incidents (severity_rank, last_update_ns, id);
CREATE INDEX IF NOT EXISTS incidents_queue_status
    ON incidents (status COLLATE NOCASE, last_update_ns, id);
CREATE INDEX IF NOT EXISTS incidents_queue_severity
    ON incidents (severity COLLATE NOCASE, last_update_ns, id);
CREATE INDEX IF NOT EXISTS incidents_queue_owner
    ON incidents (assigned_to COLLATE NOCASE, last_update_ns, id);
";

/// The queue's sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOrder {
    /// Most recently updated first.
    Newest,
    /// Least recently updated first.
    Oldest,
    /// Most severe first, then most recently updated.
    Severity,
}

/// Whose incidents the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerMatch<'a> {
    /// Only incidents nobody is assigned to.
    Unassigned,
    /// Only incidents assigned to this owner.
    Named(&'a str),
}

/// One page request of the queue; every filter is optional and compared case-insensitively.
#[derive(Debug, Clone, Copy)]
pub struct QueueQuery<'a> {
    /// Only this status.
    pub status: Option<&'a str>,
    /// Only this severity.
    pub severity: Option<&'a str>,
    /// Only incidents of this owner, or only unassigned ones.
    pub owner: Option<OwnerMatch<'a>>,
    /// Only incidents with an alert from this service source.
    pub provider: Option<&'a str>,
    /// Only incidents whose name contains this text.
    pub search: Option<&'a str>,
    /// The order.
    pub order: QueueOrder,
    /// Matching incidents to skip.
    pub offset: usize,
    /// Incidents to return at most.
    pub limit: usize,
}

/// One page of the queue and how many incidents match in all.
pub fn queue(
    conn: &Connection,
    query: &QueueQuery<'_>,
) -> Result<(Vec<IncidentRecord>, usize), StoreError> {
    let (condition, mut values) = conditions(query);
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM incidents {condition}"),
        params_from_iter(&values),
        |row| row.get(0),
    )?;
    let order = match query.order {
        QueueOrder::Newest => "last_update_ns DESC, id DESC",
        QueueOrder::Oldest => "last_update_ns ASC, id ASC",
        QueueOrder::Severity => "severity_rank DESC, last_update_ns DESC, id DESC",
    };
    values.push(SqlValue::Integer(query.limit as i64));
    values.push(SqlValue::Integer(query.offset as i64));
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, doc FROM incidents {condition} ORDER BY {order} LIMIT ? OFFSET ?"
    ))?;
    let rows = stmt.query_map(params_from_iter(values), |row| {
        Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
    })?;
    let mut items = Vec::new();
    for row in rows {
        let (id, doc) = row?;
        items.push(IncidentRecord {
            id,
            incident: parse_doc(&doc)?,
        });
    }
    Ok((items, usize::try_from(total).unwrap_or_default()))
}

fn conditions(query: &QueueQuery<'_>) -> (String, Vec<SqlValue>) {
    let mut clauses = Vec::new();
    let mut values = Vec::new();
    let equal = [
        ("status = ? COLLATE NOCASE", query.status),
        ("severity = ? COLLATE NOCASE", query.severity),
        (
            "assigned_to = ? COLLATE NOCASE",
            match query.owner {
                Some(OwnerMatch::Named(owner)) => Some(owner),
                _ => None,
            },
        ),
        (
            "EXISTS (SELECT 1 FROM alerts a WHERE a.incident_id = incidents.id \
             AND a.service_source = ? COLLATE NOCASE)",
            query.provider,
        ),
    ];
    for (clause, value) in equal {
        if let Some(value) = value {
            clauses.push(clause.to_owned());
            values.push(SqlValue::Text(value.to_owned()));
        }
    }
    if query.owner == Some(OwnerMatch::Unassigned) {
        clauses.push("(assigned_to IS NULL OR assigned_to = '')".to_owned());
    }
    if let Some(text) = query.search {
        clauses.push("json_extract(doc, '$.displayName') LIKE ? ESCAPE '\\'".to_owned());
        let escaped = text
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        values.push(SqlValue::Text(format!("%{escaped}%")));
    }
    let condition = if clauses.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", clauses.join(" AND "))
    };
    (condition, values)
}

/// Incident counts by status and by severity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueCounts {
    /// Incidents per status value.
    pub by_status: Vec<(String, usize)>,
    /// Incidents per severity value.
    pub by_severity: Vec<(String, usize)>,
    /// All incidents.
    pub total: usize,
}

/// Incident counts by status and by severity, and the total.
pub fn counts(conn: &Connection) -> Result<QueueCounts, StoreError> {
    let by = |column: &str| -> Result<Vec<(String, usize)>, StoreError> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {column}, COUNT(*) FROM incidents GROUP BY {column} ORDER BY {column}"
        ))?;
        let rows = stmt.query_map([], |row| {
            Ok((row.get::<_, String>(0)?, row.get::<_, i64>(1)?))
        })?;
        rows.map(|row| {
            let (value, count) = row?;
            Ok((value, usize::try_from(count).unwrap_or_default()))
        })
        .collect()
    };
    let by_status = by("status")?;
    let by_severity = by("severity")?;
    let total = by_status.iter().map(|(_, n)| n).sum();
    Ok(QueueCounts {
        by_status,
        by_severity,
        total,
    })
}
