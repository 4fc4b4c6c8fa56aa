//! Incidents and their child resources (comments, relations), stored as the JSON documents the API
//! serves.
//!
//! The store keeps documents and hands out incident numbers; the rules (etags, read-only members, the
//! history row every change appends) live in [`crate::incidents`], which calls these functions inside
//! one transaction per request.

use rusqlite::{Connection, OptionalExtension, Transaction, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
    fn key(self) -> &'static str {
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

/// Every incident document, by name.
pub fn all_incidents<T: DeserializeOwned>(c: &Connection) -> Result<Vec<T>, StoreError> {
    let mut statement = c.prepare_cached("SELECT resource FROM incidents ORDER BY name")?;
    let texts = statement
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<Vec<String>, _>>()?;
    texts.iter().map(|t| parse(t)).collect()
}

/// Writes the incident document `name` (number and times are kept beside it for ordering).
pub fn save_incident<T: Serialize>(
    tx: &Transaction<'_>,
    name: &str,
    number: i64,
    created: &str,
    last_modified: &str,
    resource: &T,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO incidents (name, number, created, last_modified, resource) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (name) DO UPDATE SET last_modified = excluded.last_modified, resource = excluded.resource",
        params![name, number, created, last_modified, serde_json::to_string(resource)?],
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
    tx.execute(
        "INSERT INTO counters (name, value) VALUES ('incident_number', 1)
         ON CONFLICT (name) DO UPDATE SET value = value + 1",
        [],
    )?;
    Ok(tx.query_row(
        "SELECT value FROM counters WHERE name = 'incident_number'",
        [],
        |r| r.get(0),
    )?)
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

/// Every child resource of `kind` under `incident`, oldest first.
pub fn children<T: DeserializeOwned>(
    c: &Connection,
    kind: ChildKind,
    incident: &str,
) -> Result<Vec<T>, StoreError> {
    let mut statement = c.prepare_cached(
        "SELECT resource FROM incident_children WHERE kind = ?1 AND incident = ?2 ORDER BY created, name",
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

/// Writes a child resource.
pub fn save_child<T: Serialize>(
    tx: &Transaction<'_>,
    kind: ChildKind,
    incident: &str,
    name: &str,
    created: &str,
    resource: &T,
) -> Result<(), StoreError> {
    tx.execute(
        "INSERT INTO incident_children (kind, incident, name, created, resource) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (kind, incident, name) DO UPDATE SET resource = excluded.resource",
        params![kind.key(), incident, name, created, serde_json::to_string(resource)?],
    )?;
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
