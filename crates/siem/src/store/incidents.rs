//! Incidents and their child resources (comments, relations), stored as the JSON documents the API
//! serves.
//!
//! The store keeps documents and hands out incident numbers; the rules (etags, read-only members, the
//! history row every change appends) live in [`crate::incidents`], which calls these functions inside
//! one transaction per request.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tandem_model::Timestamp;
use tandem_model::sentinel::IncidentProperties;

use super::{Store, StoreError};

/// The kinds of resources that live under an incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChildKind {
    /// `incidents/{id}/comments/{name}`.
    Comment,
    /// `incidents/{id}/relations/{name}`.
    Relation,
}

impl ChildKind {
    /// The value of the `kind` column.
    pub(crate) fn key(self) -> &'static str {
        match self {
            ChildKind::Comment => "comment",
            ChildKind::Relation => "relation",
        }
    }
}

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    Ok(serde_json::from_str(text)?)
}

/// The incident document named `name`.
pub fn incident<T: DeserializeOwned>(c: &Connection, name: &str) -> Result<Option<T>, StoreError> {
    let text: Option<String> = c
        .query_row(
            "SELECT resource FROM incidents WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .optional()?;
    text.as_deref().map(parse).transpose()
}

/// Whether incident `name` exists.
pub fn incident_exists(c: &Connection, name: &str) -> Result<bool, StoreError> {
    Ok(c.query_row(
        "SELECT EXISTS (SELECT 1 FROM incidents WHERE name = ?1)",
        [name],
        |r| r.get(0),
    )?)
}

/// The columns kept beside an incident's document, read from its properties: the number and times that
/// the console's queue and the API's lists filter and order on ([`super::list`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentColumns {
    /// `incidentNumber`.
    pub number: i64,
    /// `createdTimeUtc` as stored.
    pub created: String,
    /// `lastModifiedTimeUtc` as stored.
    pub last_modified: String,
    /// `createdTimeUtc` in nanoseconds since the Unix epoch.
    pub created_ns: Option<i64>,
    /// `lastModifiedTimeUtc` in nanoseconds.
    pub last_modified_ns: Option<i64>,
    /// `firstActivityTimeUtc` in nanoseconds.
    pub first_activity_ns: Option<i64>,
    /// `lastActivityTimeUtc` in nanoseconds.
    pub last_activity_ns: Option<i64>,
}

impl IncidentColumns {
    /// The columns of an incident with `properties`.
    pub fn of(properties: &IncidentProperties) -> Self {
        let text = |t: Option<&Timestamp>| t.map(ToString::to_string).unwrap_or_default();
        IncidentColumns {
            number: properties
                .incident_number
                .get()
                .copied()
                .unwrap_or_default(),
            created: text(properties.created_time_utc.get()),
            last_modified: text(properties.last_modified_time_utc.get()),
            created_ns: properties.created_time_utc.get().map(nanos),
            last_modified_ns: properties.last_modified_time_utc.get().map(nanos),
            first_activity_ns: properties.first_activity_time_utc.get().map(nanos),
            last_activity_ns: properties.last_activity_time_utc.get().map(nanos),
        }
    }
}

/// Nanoseconds since the Unix epoch, as `$filter` binds a time; instants past what 64 bits hold
/// (before 1677, after 2262) sort at the matching end.
fn nanos(time: &Timestamp) -> i64 {
    let instant = time.instant();
    instant
        .timestamp_nanos_opt()
        .unwrap_or(if instant.timestamp() < 0 {
            i64::MIN
        } else {
            i64::MAX
        })
}

/// Writes the incident document `name` with the columns read from its `properties`.
pub fn save_incident<T: Serialize>(
    tx: &Transaction<'_>,
    name: &str,
    properties: &IncidentProperties,
    resource: &T,
) -> Result<(), StoreError> {
    let columns = IncidentColumns::of(properties);
    tx.execute(
        "INSERT INTO incidents (name, number, created, last_modified, created_ns, last_modified_ns,
                                first_activity_ns, last_activity_ns, resource)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (name) DO UPDATE SET last_modified = excluded.last_modified,
             last_modified_ns = excluded.last_modified_ns, first_activity_ns = excluded.first_activity_ns,
             last_activity_ns = excluded.last_activity_ns, resource = excluded.resource",
        params![
            name,
            columns.number,
            columns.created,
            columns.last_modified,
            columns.created_ns,
            columns.last_modified_ns,
            columns.first_activity_ns,
            columns.last_activity_ns,
            serde_json::to_string(resource)?
        ],
    )?;
    Ok(())
}

/// Removes incident `name` and everything under it; false if there was none.
pub fn delete_incident(tx: &Transaction<'_>, name: &str) -> Result<bool, StoreError> {
    tx.execute("DELETE FROM incident_children WHERE incident = ?1", [name])?;
    Ok(tx.execute("DELETE FROM incidents WHERE name = ?1", [name])? > 0)
}

/// The next incident number of the workspace (1, 2, ...), never reused.
pub fn next_incident_number(tx: &Transaction<'_>) -> Result<i64, StoreError> {
    next_in_sequence(tx, "incident_number")
}

/// The name of the counter that orders comments and relations by creation.
pub(super) const CHILD_SEQUENCE: &str = "child_seq";

/// The next value (1, 2, ...) of the counter `name`, never reused.
fn next_in_sequence(tx: &Transaction<'_>, name: &str) -> Result<i64, StoreError> {
    tx.execute(
        "INSERT INTO counters (name, value) VALUES (?1, 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1",
        [name],
    )?;
    Ok(
        tx.query_row("SELECT value FROM counters WHERE name = ?1", [name], |r| {
            r.get(0)
        })?,
    )
}

/// The child resource `name` of `kind` under `incident`.
pub fn child<T: DeserializeOwned>(
    c: &Connection,
    kind: ChildKind,
    incident: &str,
    name: &str,
) -> Result<Option<T>, StoreError> {
    let text: Option<String> = c
        .query_row(
            "SELECT resource FROM incident_children WHERE kind = ?1 AND incident = ?2 AND name = ?3",
            params![kind.key(), incident, name],
            |r| r.get(0),
        )
        .optional()?;
    text.as_deref().map(parse).transpose()
}

/// Every child resource of `kind` under `incident`, oldest first (at most the caps of
/// [`tandem_model::limits`]).
pub fn children<T: DeserializeOwned>(
    c: &Connection,
    kind: ChildKind,
    incident: &str,
) -> Result<Vec<T>, StoreError> {
    let mut statement = c.prepare_cached(
        "SELECT resource FROM incident_children WHERE kind = ?1 AND incident = ?2 ORDER BY seq",
    )?;
    let texts = statement
        .query_map(params![kind.key(), incident], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    texts.iter().map(|t| parse(t)).collect()
}

/// How many children of `kind` `incident` has.
pub fn count_children(
    c: &Connection,
    kind: ChildKind,
    incident: &str,
) -> Result<usize, StoreError> {
    let count: i64 = c.query_row(
        "SELECT COUNT(*) FROM incident_children WHERE kind = ?1 AND incident = ?2",
        params![kind.key(), incident],
        |r| r.get(0),
    )?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Writes a child resource; a new one takes the next place in the order of creation.
pub fn save_child<T: Serialize>(
    tx: &Transaction<'_>,
    kind: ChildKind,
    incident: &str,
    name: &str,
    created: &str,
    resource: &T,
) -> Result<(), StoreError> {
    let resource = serde_json::to_string(resource)?;
    let replaced = tx.execute(
        "UPDATE incident_children SET resource = ?4 WHERE kind = ?1 AND incident = ?2 AND name = ?3",
        params![kind.key(), incident, name, resource],
    )?;
    if replaced == 0 {
        tx.execute(
            "INSERT INTO incident_children (kind, incident, name, created, seq, resource)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                kind.key(),
                incident,
                name,
                created,
                next_in_sequence(tx, CHILD_SEQUENCE)?,
                resource
            ],
        )?;
    }
    Ok(())
}

/// Removes a child resource; false if there was none.
pub fn delete_child(
    tx: &Transaction<'_>,
    kind: ChildKind,
    incident: &str,
    name: &str,
) -> Result<bool, StoreError> {
    let removed = tx.execute(
        "DELETE FROM incident_children WHERE kind = ?1 AND incident = ?2 AND name = ?3",
        params![kind.key(), incident, name],
    )?;
    Ok(removed > 0)
}

impl Store {
    /// Runs a read against the incident tables.
    pub fn read_incidents<T>(
        &self,
        work: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.read(work)
    }
}
