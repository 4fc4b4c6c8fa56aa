//! Reading and writing incident and alert rows: the JSON document and the columns derived from it.

use std::collections::BTreeSet;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};
use serde::de::DeserializeOwned;
use tandem_model::graph::{Alert, Incident};
use tandem_model::wire::WireEnum;
use tandem_model::{Field, Timestamp};

use super::StoreError;
use crate::clock;
use crate::correlation::{Link, severity_rank};
use crate::entities::EntityKey;
use tandem_odata::filter::SqlFilter;

/// The tables and indexes; safe to run on every start.
pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS incidents (
    id INTEGER PRIMARY KEY,
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    classification TEXT,
    determination TEXT,
    assigned_to TEXT,
    created_ns INTEGER NOT NULL,
    last_update_ns INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_created ON incidents (created_ns, id);
CREATE INDEX IF NOT EXISTS incidents_last_update ON incidents (last_update_ns, id);
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    status TEXT NOT NULL,
    severity TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    classification TEXT,
    determination TEXT,
    assigned_to TEXT,
    service_source TEXT,
    created_ns INTEGER NOT NULL,
    last_update_ns INTEGER NOT NULL,
    first_activity_ns INTEGER NOT NULL,
    last_activity_ns INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_incident ON alerts (incident_id, seq);
CREATE INDEX IF NOT EXISTS alerts_created ON alerts (created_ns, seq);
CREATE INDEX IF NOT EXISTS alerts_last_update ON alerts (last_update_ns, seq);
CREATE TABLE IF NOT EXISTS incident_history (
    incident_id INTEGER NOT NULL REFERENCES incidents (id),
    at_ns INTEGER NOT NULL,
    actor TEXT NOT NULL,
    description TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incident_history_incident ON incident_history (incident_id, at_ns);
CREATE TABLE IF NOT EXISTS alert_entities (
    entity TEXT NOT NULL,
    alert_seq INTEGER NOT NULL REFERENCES alerts (seq),
    PRIMARY KEY (entity, alert_seq)
) WITHOUT ROWID;
";

/// An incident row: its id and its Graph incident.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentRecord {
    /// The incident id (also its row sequence).
    pub id: i64,
    /// The incident.
    pub incident: Incident,
}

/// An alert row: its row sequence, its incident and its Graph alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRecord {
    /// The row sequence (insertion order).
    pub seq: i64,
    /// The incident the alert belongs to.
    pub incident_id: i64,
    /// The alert.
    pub alert: Alert,
}

/// One recorded change of an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// When it happened, in nanoseconds.
    pub at_ns: i64,
    /// Who made it: an app id, or the XDR itself.
    pub actor: String,
    /// What changed, in words.
    pub description: String,
}

/// Records a change of an incident.
pub fn add_history(
    conn: &Connection,
    incident_id: i64,
    entry: &HistoryEntry,
) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO incident_history (incident_id, at_ns, actor, description) VALUES (?, ?, ?, ?)",
    )?
    .execute(params![
        incident_id,
        entry.at_ns,
        entry.actor,
        entry.description
    ])?;
    Ok(())
}

/// The recorded changes of an incident, oldest first.
pub fn history_of(conn: &Connection, incident_id: i64) -> Result<Vec<HistoryEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ns, actor, description FROM incident_history WHERE incident_id = ? ORDER BY at_ns",
    )?;
    let rows = stmt.query_map([incident_id], |row| {
        Ok(HistoryEntry {
            at_ns: row.get(0)?,
            actor: row.get(1)?,
            description: row.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The latest `lastUpdateDateTime` stored, in nanoseconds (0 for an empty database).
pub(super) fn last_update(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT MAX(COALESCE((SELECT MAX(last_update_ns) FROM incidents), 0),
                    COALESCE((SELECT MAX(last_update_ns) FROM alerts), 0))",
        [],
        |row| row.get(0),
    )?)
}

/// The id the next new incident gets.
pub fn next_incident_id(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row(
        "SELECT COALESCE(MAX(id), 0) + 1 FROM incidents",
        [],
        |row| row.get(0),
    )?)
}

/// The incident with this id.
pub fn incident_by_id(conn: &Connection, id: i64) -> Result<Option<IncidentRecord>, StoreError> {
    let doc: Option<String> = conn
        .query_row("SELECT doc FROM incidents WHERE id = ?", [id], |row| {
            row.get(0)
        })
        .optional()?;
    doc.map(|doc| {
        Ok(IncidentRecord {
            id,
            incident: parse_doc(&doc)?,
        })
    })
    .transpose()
}

/// Inserts or replaces an incident, deriving its columns from it; the incident itself is kept as its
/// Graph JSON.
pub fn save_incident(conn: &Connection, record: &IncidentRecord) -> Result<(), StoreError> {
    let incident = &record.incident;
    let severity = text(&incident.severity).unwrap_or("unknown");
    conn.execute(
        "INSERT INTO incidents (id, status, severity, severity_rank, classification, determination,
                                assigned_to, created_ns, last_update_ns, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (id) DO UPDATE SET status = ?2, severity = ?3, severity_rank = ?4,
             classification = ?5, determination = ?6, assigned_to = ?7, created_ns = ?8,
             last_update_ns = ?9, doc = ?10",
        params![
            record.id,
            text(&incident.status).unwrap_or("active"),
            severity,
            severity_rank(severity),
            text(&incident.classification),
            text(&incident.determination),
            incident.assigned_to.get(),
            instant_ns(&incident.created_date_time).unwrap_or(0),
            instant_ns(&incident.last_update_date_time).unwrap_or(0),
            serde_json::to_string(incident)?,
        ],
    )?;
    Ok(())
}

/// The alert with this id.
pub fn alert_by_id(conn: &Connection, id: &str) -> Result<Option<AlertRecord>, StoreError> {
    let row: Option<(i64, i64, String)> = conn
        .query_row(
            "SELECT seq, incident_id, doc FROM alerts WHERE id = ?",
            [id],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    row.map(|(seq, incident_id, doc)| {
        Ok(AlertRecord {
            seq,
            incident_id,
            alert: parse_doc(&doc)?,
        })
    })
    .transpose()
}

/// Inserts or replaces an alert (matched by its `id`), deriving its columns from it; returns the row
/// sequence. The alert itself is kept as its Graph JSON.
pub fn save_alert(conn: &Connection, incident_id: i64, alert: &Alert) -> Result<i64, StoreError> {
    let severity = text(&alert.severity).unwrap_or("unknown");
    let created = instant_ns(&alert.created_date_time).unwrap_or(0);
    let first = instant_ns(&alert.first_activity_date_time).unwrap_or(created);
    Ok(conn.query_row(
        "INSERT INTO alerts (id, incident_id, status, severity, severity_rank, classification,
                             determination, assigned_to, service_source, created_ns, last_update_ns,
                             first_activity_ns, last_activity_ns, doc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
         ON CONFLICT (id) DO UPDATE SET incident_id = ?2, status = ?3, severity = ?4,
             severity_rank = ?5, classification = ?6, determination = ?7, assigned_to = ?8,
             service_source = ?9, created_ns = ?10, last_update_ns = ?11, first_activity_ns = ?12,
             last_activity_ns = ?13, doc = ?14
         RETURNING seq",
        params![
            alert.id,
            incident_id,
            text(&alert.status).unwrap_or("new"),
            severity,
            severity_rank(severity),
            text(&alert.classification),
            text(&alert.determination),
            alert.assigned_to.get(),
            text(&alert.service_source),
            created,
            instant_ns(&alert.last_update_date_time).unwrap_or(0),
            first,
            instant_ns(&alert.last_activity_date_time).unwrap_or(first),
            serde_json::to_string(alert)?,
        ],
        |row| row.get(0),
    )?)
}

/// The alerts of the given incidents, in arrival order.
pub fn alerts_of_incidents(
    conn: &Connection,
    incident_ids: &[i64],
) -> Result<Vec<AlertRecord>, StoreError> {
    filtered_alerts_of_incidents(conn, incident_ids, None)
}

/// The alerts of the given incidents that meet `filter` (a `$filter` nested in `$expand`), in
/// arrival order.
pub fn filtered_alerts_of_incidents(
    conn: &Connection,
    incident_ids: &[i64],
    filter: Option<&SqlFilter>,
) -> Result<Vec<AlertRecord>, StoreError> {
    if incident_ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<SqlValue> = incident_ids
        .iter()
        .map(|id| SqlValue::Integer(*id))
        .collect();
    let condition = match filter {
        Some(filter) => {
            values.extend(filter.params.iter().map(super::list::sql_value));
            format!(" AND {}", filter.sql)
        }
        None => String::new(),
    };
    let sql = format!(
        "SELECT seq, incident_id, doc FROM alerts WHERE incident_id IN ({}){condition} ORDER BY seq",
        placeholders(incident_ids.len())
    );
    doc_rows(conn, &sql, values)?
        .into_iter()
        .map(|(seq, incident_id, doc)| {
            Ok(AlertRecord {
                seq,
                incident_id,
                alert: parse_doc(&doc)?,
            })
        })
        .collect()
}

/// The rows `sql` selects as two integers and a stored document, in order.
pub(super) fn doc_rows(
    conn: &Connection,
    sql: &str,
    values: Vec<SqlValue>,
) -> Result<Vec<(i64, i64, String)>, StoreError> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(params_from_iter(values), |row| {
        Ok((row.get(0)?, row.get(1)?, row.get(2)?))
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Records the strong entities of an alert.
pub fn save_entities(
    conn: &Connection,
    alert_seq: i64,
    entities: &BTreeSet<EntityKey>,
) -> Result<(), StoreError> {
    let mut stmt = conn
        .prepare_cached("INSERT OR IGNORE INTO alert_entities (entity, alert_seq) VALUES (?, ?)")?;
    for entity in entities {
        stmt.execute(params![entity.to_string(), alert_seq])?;
    }
    Ok(())
}

/// The alerts of open incidents that share one of `entities` and whose activity overlaps
/// `[from_ns, to_ns]`.
pub fn links_for(
    conn: &Connection,
    entities: &BTreeSet<EntityKey>,
    from_ns: i64,
    to_ns: i64,
) -> Result<Vec<Link>, StoreError> {
    if entities.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT DISTINCT a.incident_id, i.created_ns, a.first_activity_ns, a.last_activity_ns
         FROM alert_entities e
         JOIN alerts a ON a.seq = e.alert_seq
         JOIN incidents i ON i.id = a.incident_id
         WHERE e.entity IN ({})
           AND i.status COLLATE NOCASE IN ('active', 'inProgress', 'awaitingAction')
           AND a.last_activity_ns >= ? AND a.first_activity_ns <= ?",
        placeholders(entities.len())
    );
    let mut values: Vec<SqlValue> = entities
        .iter()
        .map(|e| SqlValue::Text(e.to_string()))
        .collect();
    values.push(SqlValue::Integer(from_ns));
    values.push(SqlValue::Integer(to_ns));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(values), |row| {
        Ok(Link {
            incident_id: row.get(0)?,
            incident_created: clock::from_nanos(row.get(1)?),
            first_activity: clock::from_nanos(row.get(2)?),
            last_activity: clock::from_nanos(row.get(3)?),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Reads a stored Graph document.
pub(super) fn parse_doc<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}

pub(super) fn placeholders(n: usize) -> String {
    vec!["?"; n].join(", ")
}

/// The wire spelling of an enum-valued member, when it has a value.
fn text<E: WireEnum>(field: &Field<E>) -> Option<&str> {
    field.get().map(WireEnum::wire_text)
}

fn instant_ns(field: &Field<Timestamp>) -> Option<i64> {
    field.get().and_then(|t| clock::to_nanos(t.instant()))
}
