//! The XDR's operations on incidents and alerts, independent of HTTP: what intake, PATCH and comments
//! do to the store.
//!
//! Every operation runs in one write transaction and stamps what it changes with the next tick of the
//! update clock, so `lastUpdateDateTime` moves on every change.
//!
//! [`AppState`] is what the API ([`crate::api`]) and the console ([`crate::console`]) share, and
//! [`offload`] runs store work off the async workers for both; neither imports the other.

use chrono::TimeDelta;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tandem_model::ParseError;

use crate::clock;
use crate::correlation::{self, AlertFacts};
use crate::entities::alert_entities;
use crate::store::{self, Change, IncidentRecord, Store, StoreError};
use tandem_odata::QueryError;
use tandem_server::Identity;

/// Settings of the XDR service, from the `[xdr]` section of the config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct XdrConfig {
    /// How far apart (in minutes) two alerts' activity may be and still correlate. Default 24 hours.
    #[serde(default = "default_window_minutes")]
    pub correlation_window_minutes: u32,
    /// The base URL of the console that `incidentWebUrl` and `alertWebUrl` point into. Default: the
    /// scheme and host the request came in on.
    #[serde(default)]
    pub public_url: Option<String>,
    /// The base URL of the SIEM console (`tandem siem`). When set, each incident page links to the
    /// incident's SIEM twin at `{siem_console_url}/incidents/{name}`, `name` being
    /// [`tandem_model::mapping::siem_incident_name`] of the tenant and the incident id. Default: no link.
    #[serde(default)]
    pub siem_console_url: Option<String>,
}

fn default_window_minutes() -> u32 {
    24 * 60
}

impl Default for XdrConfig {
    fn default() -> Self {
        XdrConfig {
            correlation_window_minutes: default_window_minutes(),
            public_url: None,
            siem_console_url: None,
        }
    }
}

/// Why an operation failed.
#[derive(Debug, thiserror::Error)]
pub enum XdrError {
    /// No incident or alert has this id.
    #[error("{kind} '{id}' was not found.")]
    NotFound {
        /// `incident` or `alert`.
        kind: &'static str,
        /// The id asked for.
        id: String,
    },
    /// The request body is not acceptable.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// A query option is not acceptable.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The worker thread running the request failed.
    #[error("request worker failed: {0}")]
    Worker(#[from] tokio::task::JoinError),
}

/// A rejected field: its path in the body and what was wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// The path of the offending field (`.` for the whole body).
    pub target: String,
    /// What was wrong, with the offending value.
    pub message: String,
}

impl Invalid {
    /// A rejection of `target`.
    pub fn new(target: impl Into<String>, message: impl Into<String>) -> Self {
        Invalid {
            target: target.into(),
            message: message.into(),
        }
    }
}

impl From<ParseError> for Invalid {
    fn from(e: ParseError) -> Self {
        Invalid::new(e.path().unwrap_or("."), e.to_string())
    }
}

/// The XDR: its store and settings.
#[derive(Debug)]
pub struct Xdr {
    store: Store,
    tenant_id: String,
    window: TimeDelta,
}

impl Xdr {
    /// An XDR over `store` for `tenant_id`.
    pub fn new(store: Store, tenant_id: impl Into<String>, config: &XdrConfig) -> Self {
        Xdr {
            store,
            tenant_id: tenant_id.into(),
            window: TimeDelta::minutes(i64::from(config.correlation_window_minutes)),
        }
    }

    /// The store, for reads.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The tenant every incident and alert belongs to.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// The correlation window.
    pub fn window(&self) -> TimeDelta {
        self.window
    }
}

/// Stamps an alert or incident document with a new `lastUpdateDateTime`.
pub(crate) fn touch(change: &mut Change<'_>, doc: &mut Map<String, Value>) -> i64 {
    let now = change.tick();
    doc.insert("lastUpdateDateTime".into(), json!(clock::wire_text(now)));
    now
}

/// The actor named in the history for what the XDR does by itself.
pub const XDR_ACTOR: &str = "Tandem XDR";

/// Records a change of an incident in its history.
pub(crate) fn note(
    change: &mut Change<'_>,
    incident_id: i64,
    actor: &str,
    description: impl Into<String>,
) -> Result<(), StoreError> {
    let entry = store::HistoryEntry {
        at_ns: change.tick(),
        actor: actor.to_owned(),
        description: description.into(),
    };
    store::add_history(change.conn, incident_id, &entry)
}

/// Describes what changed between two versions of a document in the given members, such as
/// `status: active → resolved; assignedTo: (none) → kai@contoso.com`; `None` when nothing did.
pub(crate) fn describe_changes(
    before: &Map<String, Value>,
    after: &Map<String, Value>,
    members: &[&str],
) -> Option<String> {
    let shown = |doc: &Map<String, Value>, name: &str| match doc.get(name) {
        None | Some(Value::Null) => "(none)".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.is_empty() => "(none)".to_owned(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    };
    let changes: Vec<String> = members
        .iter()
        .filter(|name| before.get(**name) != after.get(**name))
        .map(|name| format!("{name}: {} → {}", shown(before, name), shown(after, name)))
        .collect();
    (!changes.is_empty()).then(|| changes.join("; "))
}

/// Recomputes the fields of an incident that follow from its alerts and stamps it.
pub(crate) fn refresh_incident(change: &mut Change<'_>, incident_id: i64) -> Result<(), XdrError> {
    let mut incident = load_incident(change.conn, incident_id)?;
    let alerts = store::alerts_of_incidents(change.conn, &[incident_id])?;
    let facts: Vec<AlertFacts> = alerts.iter().map(|a| alert_facts(&a.doc)).collect();
    if let Some(summary) = correlation::summarize(&facts) {
        let doc = &mut incident.doc;
        doc.insert("severity".into(), json!(summary.severity));
        doc.insert("displayName".into(), json!(summary.display_name));
        for (name, instant) in [
            ("firstActivityDateTime", summary.first_activity),
            ("lastActivityDateTime", summary.last_activity),
        ] {
            let nanos = clock::to_nanos(instant).unwrap_or_default();
            doc.insert(name.into(), json!(clock::wire_text(nanos)));
        }
    }
    touch(change, &mut incident.doc);
    store::save_incident(change.conn, &incident)?;
    Ok(())
}

/// The incident with this id, or `NotFound`.
pub(crate) fn load_incident(
    conn: &rusqlite::Connection,
    id: i64,
) -> Result<IncidentRecord, XdrError> {
    store::incident_by_id(conn, id)?.ok_or_else(|| XdrError::NotFound {
        kind: "incident",
        id: id.to_string(),
    })
}

/// What correlation needs from a stored alert document.
pub(crate) fn alert_facts(doc: &Map<String, Value>) -> AlertFacts {
    let text = |name: &str| doc.get(name).and_then(Value::as_str);
    let instant = |name: &str| text(name).and_then(clock::parse_instant);
    let created = instant("createdDateTime").unwrap_or_default();
    let first = instant("firstActivityDateTime").unwrap_or(created);
    AlertFacts {
        severity: text("severity").unwrap_or("unknown").to_owned(),
        category: text("category").map(str::to_owned),
        service_source: text("serviceSource").unwrap_or("unknown").to_owned(),
        first_activity: first,
        last_activity: instant("lastActivityDateTime").unwrap_or(first),
        entities: alert_entities(doc),
    }
}

/// The members of a JSON object (empty for anything else).
pub(crate) fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// What every handler of the API and the console shares.
#[derive(Debug)]
pub struct AppState {
    /// The XDR.
    pub xdr: Xdr,
    /// The console base URL for portal links; the request's own host when unset.
    pub public_url: Option<String>,
    /// The tenant's apps, whose display names sign comments.
    pub identity: Identity,
}

/// Runs `work` on a blocking thread (SQLite is synchronous).
pub(crate) async fn offload<T: Send + 'static>(
    state: &std::sync::Arc<AppState>,
    work: impl FnOnce(&Xdr) -> Result<T, XdrError> + Send + 'static,
) -> Result<T, XdrError> {
    let state = state.clone();
    tokio::task::spawn_blocking(move || work(&state.xdr)).await?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_changes_names_each_changed_member() {
        let before =
            object(json!({"status": "active", "assignedTo": null, "customTags": [], "title": "a"}));
        let after = object(
            json!({"status": "resolved", "assignedTo": "kai", "customTags": ["x", "y"], "title": "b"}),
        );
        let described = describe_changes(&before, &after, &["status", "assignedTo", "customTags"]);
        assert_eq!(
            described.as_deref(),
            Some("status: active → resolved; assignedTo: (none) → kai; customTags: (none) → x, y")
        );
        assert_eq!(describe_changes(&before, &before, &["status"]), None);
    }

    #[test]
    fn alert_facts_default_activity_to_creation() {
        let doc = object(json!({
            "severity": "high", "serviceSource": "microsoftDefenderForEndpoint",
            "createdDateTime": "2024-01-01T00:00:00Z",
            "evidence": [{"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "https://x.example"}]
        }));
        let facts = alert_facts(&doc);
        assert_eq!(
            facts.first_activity,
            clock::parse_instant("2024-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(facts.last_activity, facts.first_activity);
        assert_eq!(facts.category, None);
        assert_eq!(facts.entities.len(), 1);
    }
}
