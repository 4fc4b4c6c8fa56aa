//! The incident rules of the Sentinel-compatible API, independent of HTTP.
//!
//! - **Create or update** is a PUT of the whole incident. The server owns the read-only members
//!   (`incidentNumber`, `incidentUrl`, `createdTimeUtc`, `lastModifiedTimeUtc`, `additionalData`) and a
//!   fresh `etag` on every write. A body `etag` that no longer matches answers 409 Conflict, an
//!   `If-Match` header that does not match 412 Precondition Failed.
//! - **History**: every change to an incident — create, update, a comment or relation added or
//!   removed — appends exactly one `SecurityIncident` row in the same transaction ([`history`]), so the
//!   table is the incident's history, as in Sentinel. Deleting an incident appends nothing.
//! - **Alerts** are attached through relations: a relation whose `relatedResourceId` is
//!   `…/providers/Microsoft.SecurityInsights/entities/{SystemAlertId}` links the `SecurityAlert` rows with
//!   that `SystemAlertId` (the latest row of each wins). `incidents/{id}/alerts` lists them,
//!   `incidents/{id}/entities` lists the entities in their `Entities` column, and the incident's
//!   `AlertIds` and `additionalData.alertsCount` follow the relations.
//! - **Lists** of incidents, comments and relations filter, order and page in SQL ([`listing`]).

pub mod history;
pub mod listing;

use chrono::Utc;
use rusqlite::{Connection, Transaction};
use serde_json::{Map, Value, json};
use tandem_console::IncidentQuery;
use tandem_model::sentinel::{
    ClientInfo, Incident, IncidentAdditionalData, IncidentClassification,
    IncidentClassificationReason, IncidentComment, IncidentRelation, IncidentSeverity,
    IncidentStatus, Resource,
};
use tandem_model::{Field, Timestamp, limits};

use crate::store::incidents::{self as rows, ChildKind};
use crate::store::queue::{self, QueueCounts};
use crate::store::{Store, StoreError};
use crate::workspace::Workspace;

/// Why an incident operation was refused.
#[derive(Debug, thiserror::Error)]
pub enum IncidentError {
    /// The incident or child resource does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The body's `etag` no longer matches (409).
    #[error("{0}")]
    Conflict(String),
    /// The `If-Match` header does not match (412).
    #[error("{0}")]
    PreconditionFailed(String),
    /// The body is invalid; the message names the member.
    #[error("{0}")]
    BadRequest(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who made a change, for comment authors and `ModifiedBy`.
#[derive(Debug, Clone)]
pub struct Actor {
    /// The app's client id.
    pub app_id: String,
    /// The app's display name (falls back to the client id).
    pub name: String,
}

/// The stored state of an incident: the served resource plus the history-only times.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct IncidentState {
    resource: Incident,
    #[serde(default)]
    first_modified: Option<String>,
    #[serde(default)]
    closed: Option<String>,
}

/// A successful write: the resource and whether it was created.
#[derive(Debug, Clone)]
pub struct Written<T> {
    /// The resource as stored.
    pub resource: T,
    /// True when the write created it (201), false when it replaced it (200).
    pub created: bool,
}

/// The incident API over one workspace's store.
#[derive(Debug, Clone, Copy)]
pub struct Incidents<'a> {
    store: &'a Store,
    workspace: &'a Workspace,
    siem_url: &'a str,
}

/// Compares etags as clients send them: with or without quotes, with or without a weak `W/` prefix.
pub fn etag_matches(stored: &str, given: &str) -> bool {
    let bare = |e: &str| {
        e.trim()
            .trim_start_matches("W/")
            .trim_matches('"')
            .to_owned()
    };
    given.trim() == "*" || bare(stored) == bare(given)
}

fn new_etag(quoted: bool) -> String {
    let id = uuid::Uuid::new_v4();
    if quoted {
        format!("\"{id}\"")
    } else {
        id.to_string()
    }
}

fn check_preconditions(
    current: Option<&str>,
    if_match: Option<&str>,
    body_etag: Option<&str>,
    what: &str,
) -> Result<(), IncidentError> {
    if let Some(wanted) = if_match
        && !current.is_some_and(|etag| etag_matches(etag, wanted))
    {
        return Err(IncidentError::PreconditionFailed(format!(
            "The If-Match header '{wanted}' does not match the current etag of {what}."
        )));
    }
    if let (Some(stored), Some(given)) = (current, body_etag)
        && !etag_matches(stored, given)
    {
        return Err(IncidentError::Conflict(format!(
            "The etag '{given}' of the request does not match the current etag '{stored}' of {what}: it was changed since it was read."
        )));
    }
    Ok(())
}

impl<'a> Incidents<'a> {
    /// The API over `store` for `workspace`, served at `siem_url` (for incident links).
    pub fn new(store: &'a Store, workspace: &'a Workspace, siem_url: &'a str) -> Self {
        Incidents {
            store,
            workspace,
            siem_url,
        }
    }

    fn not_found(name: &str) -> IncidentError {
        IncidentError::NotFound(format!("Incident '{name}' was not found."))
    }

    fn load(c: &Connection, name: &str) -> Result<IncidentState, IncidentError> {
        rows::incident::<IncidentState>(c, name)?.ok_or_else(|| Self::not_found(name))
    }

    /// The incident `name`.
    pub fn get(&self, name: &str) -> Result<Incident, IncidentError> {
        self.store
            .read_incidents(|c| rows::incident::<IncidentState>(c, name))?
            .map(|s| s.resource)
            .ok_or_else(|| Self::not_found(name))
    }

    /// One page of the console's queue, filtered, sorted and paged in SQL, and how many incidents match.
    pub fn queue_page(
        &self,
        query: &IncidentQuery,
    ) -> Result<(Vec<Incident>, usize), IncidentError> {
        let (states, total): (Vec<IncidentState>, usize) =
            self.store.read_incidents(|c| queue::page(c, query))?;
        Ok((states.into_iter().map(|s| s.resource).collect(), total))
    }

    /// Incident counts by status and severity, for the console's queue.
    pub fn queue_counts(&self) -> Result<QueueCounts, IncidentError> {
        Ok(self.store.read_incidents(queue::counts)?)
    }

    /// Creates or replaces incident `name` with the writable members of `body`.
    pub fn put(
        &self,
        name: &str,
        body: Incident,
        if_match: Option<&str>,
        actor: &Actor,
    ) -> Result<Written<Incident>, IncidentError> {
        validate_incident(&body)?;
        self.store.write(|tx| {
            let existing = rows::incident::<IncidentState>(tx, name)?;
            let current_etag = existing
                .as_ref()
                .and_then(|s| s.resource.etag.get().cloned());
            check_preconditions(
                current_etag.as_deref(),
                if_match,
                body.etag.get().map(String::as_str),
                &format!("incident '{name}'"),
            )?;
            let now = Timestamp::from_instant(Utc::now());
            let created = existing.is_none();
            let mut state = match existing {
                Some(mut state) => {
                    state.first_modified.get_or_insert_with(|| now.to_string());
                    state.resource.properties =
                        merge_writable(state.resource.properties, body.properties);
                    state
                }
                None => self.fresh(tx, name, body, &now)?,
            };
            self.record_change(tx, &mut state, &now, actor)?;
            Ok(Written {
                resource: state.resource,
                created,
            })
        })
    }

    fn fresh(
        &self,
        tx: &Transaction<'_>,
        name: &str,
        body: Incident,
        now: &Timestamp,
    ) -> Result<IncidentState, IncidentError> {
        let number = rows::next_incident_number(tx)?;
        let mut properties = body.properties;
        properties.incident_number = Field::Value(number);
        properties.created_time_utc = Field::Value(now.clone());
        properties.incident_url = Field::Value(Workspace::incident_url(self.siem_url, name));
        if properties.provider_name.get().is_none() {
            properties.provider_name = Field::Value(PROVIDER_NAME.to_owned());
        }
        if properties.provider_incident_id.get().is_none() {
            properties.provider_incident_id = Field::Value(number.to_string());
        }
        if properties.labels.is_absent() {
            properties.labels = Field::Value(Vec::new());
        }
        if properties.related_analytic_rule_ids.is_absent() {
            properties.related_analytic_rule_ids = Field::Value(Vec::new());
        }
        let mut resource = Incident::new(properties);
        resource.id = Field::Value(self.workspace.incident_id(name));
        resource.name = Field::Value(name.to_owned());
        resource.resource_type = Field::Value(INCIDENT_TYPE.to_owned());
        Ok(IncidentState {
            resource,
            first_modified: None,
            closed: None,
        })
    }

    /// Stamps a change on `state` (etag, times, additional data), stores it and appends its history row.
    fn record_change(
        &self,
        tx: &Transaction<'_>,
        state: &mut IncidentState,
        now: &Timestamp,
        actor: &Actor,
    ) -> Result<(), IncidentError> {
        let name = state.resource.name.get().cloned().unwrap_or_default();
        let comments: Vec<IncidentComment> = rows::children(tx, ChildKind::Comment, &name)?;
        let relations: Vec<IncidentRelation> = rows::children(tx, ChildKind::Relation, &name)?;
        let alert_ids = alert_ids(&relations);
        let alerts = history::latest_alerts(tx, &alert_ids)?;
        let properties = &mut state.resource.properties;
        let closed = matches!(properties.status.get(), Some(IncidentStatus::Closed));
        state.closed = if closed {
            state.closed.take().or_else(|| Some(now.to_string()))
        } else {
            None
        };
        properties.last_modified_time_utc = Field::Value(now.clone());
        properties.additional_data = Field::Value(additional_data(
            properties.additional_data.get(),
            comments.len(),
            &relations,
            &alerts,
        ));
        state.resource.etag = Field::Value(new_etag(true));
        rows::save_incident(tx, &name, &state.resource.properties, state)?;
        let row = history::incident_row(
            self.workspace,
            state,
            &history::Related {
                comments: &comments,
                relations: &relations,
                alert_ids: &alert_ids,
            },
            actor,
            now,
        );
        history::append(tx, row)?;
        Ok(())
    }

    /// Deletes incident `name` with its comments and relations; false if there was none.
    pub fn delete(&self, name: &str) -> Result<bool, IncidentError> {
        self.store.write(|tx| Ok(rows::delete_incident(tx, name)?))
    }

    /// The comments of incident `name`, oldest first.
    pub fn comments(&self, name: &str) -> Result<Vec<IncidentComment>, IncidentError> {
        self.children(name, ChildKind::Comment)
    }

    /// The relations of incident `name`.
    pub fn relations(&self, name: &str) -> Result<Vec<IncidentRelation>, IncidentError> {
        self.children(name, ChildKind::Relation)
    }

    /// The comments or relations of incident `name`, oldest first.
    pub fn children<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        kind: ChildKind,
    ) -> Result<Vec<T>, IncidentError> {
        let (exists, children) = self.store.read_incidents(|c| {
            Ok((
                rows::incident_exists(c, name)?,
                rows::children(c, kind, name)?,
            ))
        })?;
        if exists {
            Ok(children)
        } else {
            Err(Self::not_found(name))
        }
    }

    /// One comment or relation of incident `name`.
    pub fn child<T: serde::de::DeserializeOwned>(
        &self,
        name: &str,
        kind: ChildKind,
        child: &str,
    ) -> Result<T, IncidentError> {
        let (exists, found) = self.store.read_incidents(|c| {
            Ok((
                rows::incident_exists(c, name)?,
                rows::child(c, kind, name, child)?,
            ))
        })?;
        match (exists, found) {
            (false, _) => Err(Self::not_found(name)),
            (true, Some(resource)) => Ok(resource),
            (true, None) => Err(IncidentError::NotFound(format!(
                "{} '{child}' of incident '{name}' was not found.",
                kind_label(kind)
            ))),
        }
    }

    /// Creates or replaces comment `comment` of incident `name`.
    pub fn put_comment(
        &self,
        name: &str,
        comment: &str,
        body: IncidentComment,
        if_match: Option<&str>,
        actor: &Actor,
    ) -> Result<Written<IncidentComment>, IncidentError> {
        let message = required_text(
            &body.properties.message,
            "properties.message: a comment needs a non-empty message",
        )?;
        limits::check_comment(&message)
            .map_err(|m| IncidentError::BadRequest(format!("properties.message: {m}")))?;
        self.change_child(
            name,
            ChildKind::Comment,
            comment,
            body.etag.get().cloned(),
            if_match,
            actor,
            |existing: Option<IncidentComment>, now| {
                let mut resource = existing.unwrap_or_else(|| {
                    let mut fresh = IncidentComment::new(Default::default());
                    fresh.properties.created_time_utc = Field::Value(now.clone());
                    fresh.properties.author = Field::Value(ClientInfo {
                        name: Field::Value(actor.name.clone()),
                        object_id: Field::Value(actor.app_id.clone()),
                        ..Default::default()
                    });
                    fresh
                });
                resource.properties.message = Field::Value(message);
                resource.properties.last_modified_time_utc = Field::Value(now.clone());
                Ok(resource)
            },
        )
    }

    /// Creates or replaces relation `relation` of incident `name`.
    pub fn put_relation(
        &self,
        name: &str,
        relation: &str,
        body: IncidentRelation,
        if_match: Option<&str>,
        actor: &Actor,
    ) -> Result<Written<IncidentRelation>, IncidentError> {
        let target = required_text(
            &body.properties.related_resource_id,
            "properties.relatedResourceId: a relation needs the resource id it points at",
        )?;
        let (resource_type, resource_name) = related_resource(&target)
            .ok_or_else(|| IncidentError::BadRequest(format!("properties.relatedResourceId: '{target}' is not a Microsoft.SecurityInsights resource id")))?;
        self.change_child(
            name,
            ChildKind::Relation,
            relation,
            body.etag.get().cloned(),
            if_match,
            actor,
            |_existing: Option<IncidentRelation>, _now| {
                let mut resource = IncidentRelation::new(Default::default());
                let properties = &mut resource.properties;
                properties.related_resource_id = Field::Value(target.clone());
                properties.related_resource_name = Field::Value(resource_name.clone());
                properties.related_resource_type = Field::Value(resource_type.clone());
                if resource_type == ENTITIES_TYPE {
                    properties.related_resource_kind = Field::Value("SecurityAlert".to_owned());
                }
                Ok(resource)
            },
        )
    }

    /// The shared path of every child write: preconditions, build the child, give it its ARM id,
    /// name, type and a fresh etag, store it, record the incident change.
    #[allow(clippy::too_many_arguments)]
    fn change_child<P>(
        &self,
        name: &str,
        kind: ChildKind,
        child: &str,
        body_etag: Option<String>,
        if_match: Option<&str>,
        actor: &Actor,
        build: impl FnOnce(Option<Resource<P>>, &Timestamp) -> Result<Resource<P>, IncidentError>,
    ) -> Result<Written<Resource<P>>, IncidentError>
    where
        Resource<P>: serde::Serialize + serde::de::DeserializeOwned,
    {
        self.store.write(|tx| {
            let mut state = Self::load(tx, name)?;
            let existing: Option<Resource<P>> = rows::child(tx, kind, name, child)?;
            let what = format!("{} '{child}'", kind_label(kind).to_lowercase());
            check_preconditions(
                existing.as_ref().and_then(HasEtag::etag),
                if_match,
                body_etag.as_deref(),
                &what,
            )?;
            let created = existing.is_none();
            if created {
                check_child_cap(tx, kind, name)?;
            }
            let now = Timestamp::from_instant(Utc::now());
            let mut resource = build(existing, &now)?;
            let (segment, resource_type) = child_path(kind);
            resource.id = Field::Value(format!(
                "{}/{segment}/{child}",
                self.workspace.incident_id(name)
            ));
            resource.name = Field::Value(child.to_owned());
            resource.resource_type = Field::Value(resource_type.to_owned());
            resource.etag = Field::Value(new_etag(false));
            rows::save_child(tx, kind, name, child, &now.to_string(), &resource)?;
            state.first_modified.get_or_insert_with(|| now.to_string());
            self.record_change(tx, &mut state, &now, actor)?;
            Ok(Written { resource, created })
        })
    }

    /// Deletes a comment or relation; false if there was none. A deletion is an incident change.
    pub fn delete_child(
        &self,
        name: &str,
        kind: ChildKind,
        child: &str,
        actor: &Actor,
    ) -> Result<bool, IncidentError> {
        self.store.write(|tx| {
            let mut state = Self::load(tx, name)?;
            if !rows::delete_child(tx, kind, name, child)? {
                return Ok(false);
            }
            let now = Timestamp::from_instant(Utc::now());
            self.record_change(tx, &mut state, &now, actor)?;
            Ok(true)
        })
    }

    /// The `SecurityAlert` entities attached to incident `name`.
    pub fn alerts(&self, name: &str) -> Result<Vec<Value>, IncidentError> {
        let alerts = self.alert_rows(name)?;
        Ok(alerts
            .iter()
            .map(|row| history::alert_entity(self.workspace, row))
            .collect())
    }

    /// The `SecurityAlert` rows attached to incident `name` (the latest row of each alert), as stored.
    pub fn alert_rows(&self, name: &str) -> Result<Vec<Map<String, Value>>, IncidentError> {
        let ids = alert_ids(&self.relations(name)?);
        Ok(self
            .store
            .read_incidents(|c| history::latest_alerts(c, &ids))?)
    }

    /// The `SecurityIncident` rows of incident `name`, oldest first: one per change.
    pub fn history(&self, name: &str) -> Result<Vec<Map<String, Value>>, IncidentError> {
        Ok(self
            .store
            .read_incidents(|c| history::incident_rows(c, name))?)
    }

    /// The entities of the alerts attached to incident `name`, with a count per kind.
    pub fn entities(&self, name: &str) -> Result<Value, IncidentError> {
        let alerts = self.alert_rows(name)?;
        let entities: Vec<Value> = alerts
            .iter()
            .flat_map(|row| history::row_entities(self.workspace, row))
            .collect();
        let mut counts: Vec<(String, i64)> = Vec::new();
        for kind in entities.iter().filter_map(|e| e["kind"].as_str()) {
            match counts.iter_mut().find(|(k, _)| k == kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((kind.to_owned(), 1)),
            }
        }
        let meta: Vec<Value> = counts
            .into_iter()
            .map(|(kind, count)| json!({"entityKind": kind, "count": count}))
            .collect();
        Ok(json!({"entities": entities, "metaData": meta}))
    }
}

/// Implemented by child resources so the shared write path can read their etag.
pub trait HasEtag {
    /// The stored etag, if any.
    fn etag(&self) -> Option<&str>;
}

impl<P> HasEtag for tandem_model::sentinel::Resource<P> {
    fn etag(&self) -> Option<&str> {
        self.etag.get().map(String::as_str)
    }
}

/// The text of a required member, or a bad request saying `problem` when it is absent or empty.
fn required_text(field: &Field<String>, problem: &str) -> Result<String, IncidentError> {
    field
        .get()
        .filter(|text| !text.is_empty())
        .cloned()
        .ok_or_else(|| IncidentError::BadRequest(problem.to_owned()))
}

/// The path segment under an incident and the ARM type of a child kind.
fn child_path(kind: ChildKind) -> (&'static str, &'static str) {
    match kind {
        ChildKind::Comment => ("comments", COMMENT_TYPE),
        ChildKind::Relation => ("relations", RELATION_TYPE),
    }
}

fn kind_label(kind: ChildKind) -> &'static str {
    match kind {
        ChildKind::Comment => "Comment",
        ChildKind::Relation => "Relation",
    }
}

/// `providerName` of incidents created through the API.
pub const PROVIDER_NAME: &str = "Tandem SIEM";
/// ARM type of incidents.
pub const INCIDENT_TYPE: &str = "Microsoft.SecurityInsights/incidents";
const COMMENT_TYPE: &str = "Microsoft.SecurityInsights/incidents/comments";
const RELATION_TYPE: &str = "Microsoft.SecurityInsights/incidents/relations";
const ENTITIES_TYPE: &str = "Microsoft.SecurityInsights/entities";

/// `(Microsoft.SecurityInsights/{type}, {name})` of a related resource id.
fn related_resource(id: &str) -> Option<(String, String)> {
    let (_, tail) = id
        .rsplit_once("/providers/Microsoft.SecurityInsights/")
        .or_else(|| {
            let lower = id.to_ascii_lowercase();
            lower
                .rfind("/providers/microsoft.securityinsights/")
                .map(|i| (&id[..i], &id[i + 38..]))
        })?;
    let (kind, name) = tail.split_once('/')?;
    (!name.is_empty() && !name.contains('/')).then(|| {
        (
            format!("Microsoft.SecurityInsights/{kind}"),
            name.to_owned(),
        )
    })
}

/// The `Microsoft.SecurityInsights/{type}` a relation points at.
fn related_type(relation: &IncidentRelation) -> Option<&str> {
    relation
        .properties
        .related_resource_type
        .get()
        .map(String::as_str)
}

/// Whether a relation points at a bookmark.
fn is_bookmark(relation: &IncidentRelation) -> bool {
    related_type(relation).is_some_and(|t| t.ends_with("/bookmarks"))
}

/// The `SystemAlertId`s that relations attach (relations to `entities/{id}`).
fn alert_ids(relations: &[IncidentRelation]) -> Vec<String> {
    relations
        .iter()
        .filter(|r| related_type(r) == Some(ENTITIES_TYPE))
        .filter_map(|r| r.properties.related_resource_name.get().cloned())
        .collect()
}

fn validate_incident(body: &Incident) -> Result<(), IncidentError> {
    let p = &body.properties;
    let missing = [
        ("title", p.title.get().is_none()),
        ("severity", p.severity.get().is_none()),
        ("status", p.status.get().is_none()),
    ];
    if let Some((member, _)) = missing.iter().find(|(_, absent)| *absent) {
        return Err(IncidentError::BadRequest(format!(
            "properties.{member}: the member is required"
        )));
    }
    let unknown = [
        (
            "severity",
            p.severity
                .get()
                .map(|v| (v.as_str(), matches!(v, IncidentSeverity::Other(_)))),
        ),
        (
            "status",
            p.status
                .get()
                .map(|v| (v.as_str(), matches!(v, IncidentStatus::Other(_)))),
        ),
        (
            "classification",
            p.classification
                .get()
                .map(|v| (v.as_str(), matches!(v, IncidentClassification::Other(_)))),
        ),
        (
            "classificationReason",
            p.classification_reason.get().map(|v| {
                (
                    v.as_str(),
                    matches!(v, IncidentClassificationReason::Other(_)),
                )
            }),
        ),
    ];
    if let Some((member, Some((value, _)))) = unknown
        .iter()
        .find(|(_, v)| v.is_some_and(|(_, other)| other))
    {
        return Err(IncidentError::BadRequest(format!(
            "properties.{member}: '{value}' is not a valid value"
        )));
    }
    if let Some(labels) = p.labels.get() {
        limits::check_tags(labels.iter().map(|l| l.label_name.as_str())).map_err(|message| {
            IncidentError::BadRequest(format!("properties.labels: {message}"))
        })?;
    }
    if matches!(p.status.get(), Some(IncidentStatus::Closed)) && p.classification.get().is_none() {
        return Err(IncidentError::BadRequest("properties.classification: closing an incident (status 'Closed') requires a classification".into()));
    }
    Ok(())
}

/// Refuses a new comment or relation once the incident holds as many as Sentinel allows (100
/// comments, 150 related alerts).
fn check_child_cap(tx: &Connection, kind: ChildKind, name: &str) -> Result<(), IncidentError> {
    let cap = match kind {
        ChildKind::Comment => limits::MAX_COMMENTS_PER_INCIDENT,
        ChildKind::Relation => limits::MAX_ALERTS_PER_INCIDENT,
    };
    if rows::count_children(tx, kind, name)? >= cap {
        return Err(IncidentError::BadRequest(format!(
            "Incident '{name}' already has {cap} {}s, the most an incident may have.",
            kind_label(kind).to_lowercase()
        )));
    }
    Ok(())
}

/// The stored properties with the writable members of a PUT body; read-only members stay the server's.
fn merge_writable(
    stored: tandem_model::sentinel::IncidentProperties,
    body: tandem_model::sentinel::IncidentProperties,
) -> tandem_model::sentinel::IncidentProperties {
    tandem_model::sentinel::IncidentProperties {
        incident_number: stored.incident_number,
        incident_url: stored.incident_url,
        created_time_utc: stored.created_time_utc,
        last_modified_time_utc: stored.last_modified_time_utc,
        additional_data: stored.additional_data,
        provider_name: if body.provider_name.get().is_some() {
            body.provider_name
        } else {
            stored.provider_name
        },
        provider_incident_id: if body.provider_incident_id.get().is_some() {
            body.provider_incident_id
        } else {
            stored.provider_incident_id
        },
        labels: if body.labels.is_absent() {
            stored.labels
        } else {
            body.labels
        },
        related_analytic_rule_ids: stored.related_analytic_rule_ids,
        ..body
    }
}

fn additional_data(
    previous: Option<&IncidentAdditionalData>,
    comments: usize,
    relations: &[IncidentRelation],
    alerts: &[Map<String, Value>],
) -> IncidentAdditionalData {
    let mut data = previous.cloned().unwrap_or_default();
    let count = |n: usize| Field::Value(i64::try_from(n).unwrap_or(i64::MAX));
    data.comments_count = count(comments);
    data.alerts_count = count(alert_ids(relations).len());
    data.bookmarks_count = count(relations.iter().filter(|r| is_bookmark(r)).count());
    let mut products: Vec<String> = alerts
        .iter()
        .filter_map(|a| a.get("ProductName").and_then(Value::as_str))
        .map(str::to_owned)
        .collect();
    products.dedup();
    data.alert_product_names = Field::Value(products);
    let mut tactics: Vec<tandem_model::sentinel::AttackTactic> = Vec::new();
    for tactic in alerts
        .iter()
        .filter_map(|a| a.get("Tactics").and_then(Value::as_str))
        .flat_map(|t| t.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let tactic = tandem_model::sentinel::AttackTactic::from_wire(tactic);
        if !tactics.contains(&tactic) {
            tactics.push(tactic);
        }
    }
    data.tactics = Field::Value(tactics);
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(properties: serde_json::Value) -> Incident {
        serde_json::from_value(json!({ "properties": properties })).unwrap()
    }

    #[test]
    fn incident_bodies_are_validated() {
        let ok = json!({"title": "t", "severity": "high", "status": "New"});
        assert!(
            validate_incident(&body(ok)).is_ok(),
            "enum spellings are case-insensitive"
        );
        let cases = [
            (
                json!({"severity": "High", "status": "New"}),
                "properties.title",
            ),
            (
                json!({"title": "t", "severity": "Critical", "status": "New"}),
                "Critical",
            ),
            (
                json!({"title": "t", "severity": "Low", "status": "Done"}),
                "properties.status",
            ),
            (
                json!({"title": "t", "severity": "Low", "status": "Closed"}),
                "properties.classification",
            ),
        ];
        for (properties, needle) in cases {
            let err = validate_incident(&body(properties)).unwrap_err();
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn etags_compare_without_quotes_or_weak_prefix() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("abc", "W/\"abc\""));
        assert!(etag_matches("\"abc\"", "*"));
        assert!(!etag_matches("\"abc\"", "\"abd\""));
    }

    #[test]
    fn related_resources_are_read_from_their_id() {
        let id = "/subscriptions/s/resourceGroups/g/providers/Microsoft.OperationalInsights/workspaces/w/providers/Microsoft.SecurityInsights/entities/alert-1";
        assert_eq!(
            related_resource(id),
            Some((ENTITIES_TYPE.to_owned(), "alert-1".to_owned()))
        );
        assert_eq!(related_resource("/subscriptions/s/other"), None);
    }
}
