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
use serde_json::Value;
use tandem_model::graph::{Alert, AlertComment, AlertSeverity, Incident};
use tandem_model::wire::WireEnum;
use tandem_model::{Field, ParseError, Timestamp};

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

/// What incidents and alerts share for the XDR's writes: a `lastUpdateDateTime` every change moves,
/// and the analysts' comments.
pub(crate) trait Worked {
    /// `lastUpdateDateTime`.
    fn last_update(&mut self) -> &mut Field<Timestamp>;
    /// `comments`.
    fn comments(&mut self) -> &mut Field<Vec<AlertComment>>;
}

impl Worked for Incident {
    fn last_update(&mut self) -> &mut Field<Timestamp> {
        &mut self.last_update_date_time
    }

    fn comments(&mut self) -> &mut Field<Vec<AlertComment>> {
        &mut self.comments
    }
}

impl Worked for Alert {
    fn last_update(&mut self) -> &mut Field<Timestamp> {
        &mut self.last_update_date_time
    }

    fn comments(&mut self) -> &mut Field<Vec<AlertComment>> {
        &mut self.comments
    }
}

/// Stamps an alert or incident with a new `lastUpdateDateTime`; returns the instant in nanoseconds.
pub(crate) fn touch(change: &mut Change<'_>, item: &mut impl Worked) -> i64 {
    let now = change.tick();
    *item.last_update() = Field::Value(clock::timestamp(now));
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

/// A member's value as the history compares and shows it: absent, `null`, or its texts (one for a
/// single value, one per item for a list).
pub(crate) type Shown = Field<Vec<String>>;

/// A text member as the history shows it.
pub(crate) fn shown_text(field: &Field<String>) -> Shown {
    shown(field, |text| vec![text.clone()])
}

/// An enum-valued member as the history shows it: its wire spelling.
pub(crate) fn shown_wire<E: WireEnum>(field: &Field<E>) -> Shown {
    shown(field, |value| vec![value.wire_text().to_owned()])
}

/// A list member as the history shows it.
pub(crate) fn shown_list(field: &Field<Vec<String>>) -> Shown {
    shown(field, Clone::clone)
}

fn shown<T>(field: &Field<T>, texts: impl FnOnce(&T) -> Vec<String>) -> Shown {
    match field {
        Field::Absent => Field::Absent,
        Field::Null => Field::Null,
        Field::Value(value) => Field::Value(texts(value)),
    }
}

/// Describes what changed between two versions of an incident or alert in the named members that
/// `members` shows, such as `status: active → resolved; assignedTo: (none) → kai@contoso.com`; `None`
/// when nothing did.
pub(crate) fn describe_changes<T>(
    before: &T,
    after: &T,
    members: fn(&T) -> Vec<(&'static str, Shown)>,
) -> Option<String> {
    let text = |value: &Shown| match value.get() {
        Some(texts) if !texts.is_empty() => texts.join(", "),
        _ => "(none)".to_owned(),
    };
    let changes: Vec<String> = members(before)
        .into_iter()
        .zip(members(after))
        .filter(|((_, old), (_, new))| old != new)
        .map(|((name, old), (_, new))| format!("{name}: {} → {}", text(&old), text(&new)))
        .collect();
    (!changes.is_empty()).then(|| changes.join("; "))
}

/// Recomputes the fields of an incident that follow from its alerts and stamps it.
///
/// The activity span is a Tandem member beside Graph's documented ones (Defender's own API serves it),
/// so it is kept among the incident's undocumented members.
pub(crate) fn refresh_incident(change: &mut Change<'_>, incident_id: i64) -> Result<(), XdrError> {
    let mut record = load_incident(change.conn, incident_id)?;
    let alerts = store::alerts_of_incidents(change.conn, &[incident_id])?;
    let facts: Vec<AlertFacts> = alerts.iter().map(|a| alert_facts(&a.alert)).collect();
    let incident = &mut record.incident;
    if let Some(summary) = correlation::summarize(&facts) {
        incident.severity = Field::Value(AlertSeverity::from_wire(&summary.severity));
        incident.display_name = Field::Value(summary.display_name);
        for (name, instant) in [
            ("firstActivityDateTime", summary.first_activity),
            ("lastActivityDateTime", summary.last_activity),
        ] {
            let nanos = clock::to_nanos(instant).unwrap_or_default();
            let text = Value::String(clock::wire_text(nanos));
            incident.extra.insert(name.into(), text);
        }
    }
    touch(change, incident);
    store::save_incident(change.conn, &record)?;
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

/// What correlation needs from a stored alert.
pub(crate) fn alert_facts(alert: &Alert) -> AlertFacts {
    let instant = |field: &Field<Timestamp>| field.get().map(Timestamp::instant);
    let created = instant(&alert.created_date_time).unwrap_or_default();
    let first = instant(&alert.first_activity_date_time).unwrap_or(created);
    AlertFacts {
        severity: wire_text(&alert.severity).unwrap_or("unknown").to_owned(),
        category: alert.category.get().cloned(),
        service_source: wire_text(&alert.service_source)
            .unwrap_or("unknown")
            .to_owned(),
        first_activity: first,
        last_activity: instant(&alert.last_activity_date_time).unwrap_or(first),
        entities: alert_entities(alert),
    }
}

/// The wire spelling of an enum-valued member, when it has a value.
pub(crate) fn wire_text<E: WireEnum>(field: &Field<E>) -> Option<&str> {
    field.get().map(WireEnum::wire_text)
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
    use serde_json::json;
    use tandem_model::from_value;

    fn incident(value: Value) -> Incident {
        from_value(value).unwrap()
    }

    fn triage(incident: &Incident) -> Vec<(&'static str, Shown)> {
        vec![
            ("status", shown_wire(&incident.status)),
            ("assignedTo", shown_text(&incident.assigned_to)),
            ("customTags", shown_list(&incident.custom_tags)),
        ]
    }

    #[test]
    fn describe_changes_names_each_changed_member() {
        let before = incident(
            json!({"id": "1", "status": "active", "assignedTo": null, "customTags": [], "displayName": "a"}),
        );
        let after = incident(
            json!({"id": "1", "status": "resolved", "assignedTo": "kai", "customTags": ["x", "y"], "displayName": "b"}),
        );
        let described = describe_changes(&before, &after, triage);
        assert_eq!(
            described.as_deref(),
            Some("status: active → resolved; assignedTo: (none) → kai; customTags: (none) → x, y")
        );
        assert_eq!(describe_changes(&before, &before, triage), None);
    }

    #[test]
    fn alert_facts_default_activity_to_creation() {
        let alert: Alert = from_value(json!({
            "id": "a1",
            "severity": "high", "serviceSource": "microsoftDefenderForEndpoint",
            "createdDateTime": "2024-01-01T00:00:00Z",
            "evidence": [{"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "https://x.example"}]
        }))
        .unwrap();
        let facts = alert_facts(&alert);
        assert_eq!(
            facts.first_activity,
            clock::parse_instant("2024-01-01T00:00:00Z").unwrap()
        );
        assert_eq!(facts.last_activity, facts.first_activity);
        assert_eq!(facts.category, None);
        assert_eq!(facts.entities.len(), 1);
    }
}
