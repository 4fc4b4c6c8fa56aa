//! The XDR's web console: [`tandem_console`]'s pages over the XDR's store, so that `incidentWebUrl`
//! (`{TANDEM_XDR_URL}/incidents/{id}`) opens a real incident page.
//!
//! Analysts sign in with an app registration's client id and secret, the same credentials the token
//! endpoint takes; apps with the incident read-write role may act, the others only read. Actions go
//! through the same operations as the Graph API, so they land in the same history and change feed.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use tandem_console::{
    Action, AlertView, Caller, ChangeView, Choice, CommentView, ConsoleBackend, ConsoleError,
    ConsoleProfile, ConsoleResult, Counts, EntityKind, EntityView, IncidentDetail, IncidentPage,
    IncidentQuery, IncidentSummary, OwnerFilter, Session, SessionTable, Severity, SortOrder,
    TwinLink, Vocabulary,
};
use tandem_model::mapping::siem_incident_name;
use tandem_server::Identity;

use crate::clock;
use crate::service::XdrError;
use crate::service::{AppState, offload};
use crate::store::{self, OwnerMatch, QueueOrder, QueueQuery};

/// The incident role that lets a console session act.
const WRITE_ROLE: &str = "SecurityIncident.ReadWrite.All";

/// The XDR's [`ConsoleBackend`].
#[derive(Debug)]
pub struct XdrConsole {
    state: Arc<AppState>,
    identity: Identity,
    profile: ConsoleProfile,
    sessions: SessionTable,
    siem_console_url: Option<String>,
}

impl XdrConsole {
    /// A console over the XDR in `state`, signing in the apps of `identity`. With `siem_console_url`
    /// (the SIEM console's base URL) each incident page links to the incident's SIEM twin.
    pub fn new(state: Arc<AppState>, identity: Identity, siem_console_url: Option<String>) -> Self {
        XdrConsole {
            state,
            identity,
            profile: profile(),
            sessions: SessionTable::shift(),
            siem_console_url,
        }
    }

    /// The link to incident `number`'s SIEM twin, named as the connector names it, when the SIEM
    /// console's URL is configured. The page it opens exists once the connector has synced the incident.
    fn twin_link(&self, number: i64) -> Option<TwinLink> {
        let base = self.siem_console_url.as_deref()?;
        let name = siem_incident_name(self.state.xdr.tenant_id(), &number.to_string()).to_string();
        Some(TwinLink {
            url: format!(
                "{}{}",
                base.trim_end_matches('/'),
                tandem_console::incident_path(&name)
            ),
            id: name,
        })
    }
}

fn profile() -> ConsoleProfile {
    let choices = |pairs: &[(&str, &str)]| pairs.iter().map(|(v, l)| Choice::new(*v, *l)).collect();
    ConsoleProfile {
        product: "Tandem XDR".into(),
        slug: "xdr".into(),
        twin_product: "Tandem SIEM".into(),
        has_sync_health: false,
        vocabulary: Vocabulary {
            statuses: choices(&[
                ("active", "Active"),
                ("inProgress", "In progress"),
                ("resolved", "Resolved"),
            ]),
            classifications: choices(&[
                ("truePositive", "True positive"),
                (
                    "informationalExpectedActivity",
                    "Informational, expected activity",
                ),
                ("falsePositive", "False positive"),
            ]),
            determinations: choices(&[
                ("multiStagedAttack", "Multi-staged attack"),
                ("malware", "Malware"),
                ("phishing", "Phishing"),
                ("compromisedAccount", "Compromised account"),
                ("maliciousUserActivity", "Malicious user activity"),
                ("unwantedSoftware", "Unwanted software"),
                ("securityTesting", "Security testing"),
                ("lineOfBusinessApplication", "Line-of-business application"),
                ("confirmedActivity", "Confirmed activity"),
                ("notMalicious", "Not malicious"),
                ("notEnoughDataToValidate", "Not enough data to validate"),
                ("other", "Other"),
            ]),
            providers: PRODUCTS.iter().map(|(v, l)| Choice::new(*v, *l)).collect(),
            close_verb: "Resolve".into(),
        },
    }
}

/// Service sources and the product names analysts know them by.
const PRODUCTS: [(&str, &str); 6] = [
    (
        "microsoftDefenderForEndpoint",
        "Microsoft Defender for Endpoint",
    ),
    (
        "microsoftDefenderForIdentity",
        "Microsoft Defender for Identity",
    ),
    (
        "microsoftDefenderForOffice365",
        "Microsoft Defender for Office 365",
    ),
    (
        "microsoftDefenderForCloudApps",
        "Microsoft Defender for Cloud Apps",
    ),
    ("azureAdIdentityProtection", "Microsoft Entra ID Protection"),
    ("microsoft365Defender", "Microsoft Defender XDR"),
];

fn product_label(source: &str) -> String {
    PRODUCTS
        .iter()
        .find(|(value, _)| value.eq_ignore_ascii_case(source))
        .map_or_else(|| source.to_owned(), |(_, label)| (*label).to_owned())
}

impl ConsoleBackend for XdrConsole {
    fn profile(&self) -> &ConsoleProfile {
        &self.profile
    }

    async fn sign_in(&self, client_id: &str, client_secret: &str) -> ConsoleResult<Session> {
        let app = self
            .identity
            .authenticate(client_id, client_secret)
            .map_err(|failure| ConsoleError::sign_in_failed(failure.retry_after_secs()))?;
        self.sessions.open(Caller {
            display_name: app.display_name.clone(),
            can_write: app.roles.iter().any(|r| r == WRITE_ROLE),
        })
    }

    async fn verify_session(&self, token: &str) -> ConsoleResult<Option<Caller>> {
        self.sessions.verify(token)
    }

    async fn sign_out(&self, token: &str) -> ConsoleResult<()> {
        self.sessions.close(token)
    }

    async fn list_incidents(&self, query: &IncidentQuery) -> ConsoleResult<IncidentPage> {
        let query = query.clone();
        let (items, total) = offload(&self.state, move |xdr| {
            xdr.store().read(|conn| {
                let (incidents, total) = store::queue(conn, &queue_query(&query))?;
                let ids: Vec<i64> = incidents.iter().map(|i| i.id).collect();
                let alerts = store::alerts_of_incidents(conn, &ids)?;
                let mut by_incident: BTreeMap<i64, Vec<Map<String, Value>>> = BTreeMap::new();
                for alert in alerts {
                    by_incident
                        .entry(alert.incident_id)
                        .or_default()
                        .push(alert.doc);
                }
                let items = incidents
                    .iter()
                    .map(|i| summary(&i.doc, by_incident.get(&i.id).map_or(&[], Vec::as_slice)))
                    .collect();
                Ok::<_, XdrError>((items, total))
            })
        })
        .await
        .map_err(console_error)?;
        Ok(IncidentPage { items, total })
    }

    async fn counts(&self) -> ConsoleResult<Counts> {
        let counts = offload(&self.state, |xdr| Ok(xdr.store().read(store::counts)?))
            .await
            .map_err(console_error)?;
        let by_severity = counts
            .by_severity
            .into_iter()
            .map(|(level, count)| (Severity::from_level(&level), count));
        Ok(Counts::from_groups(
            &self.profile.vocabulary,
            counts.by_status,
            by_severity,
        ))
    }

    async fn incident(&self, id: &str) -> ConsoleResult<Option<IncidentDetail>> {
        let Ok(number) = id.parse::<i64>() else {
            return Ok(None);
        };
        let found = offload(&self.state, move |xdr| {
            let view = xdr.incident(number, true)?;
            let history = xdr.store().read(|conn| store::history_of(conn, number))?;
            Ok((view, history))
        })
        .await;
        let (view, history) = match found {
            Ok(found) => found,
            Err(XdrError::NotFound { .. }) => return Ok(None),
            Err(other) => return Err(console_error(other)),
        };
        let alerts = view.alerts.unwrap_or_default();
        let doc = &view.incident;
        Ok(Some(IncidentDetail {
            summary: summary(doc, &alerts),
            description: doc
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
            alerts: alerts.iter().map(alert_view).collect(),
            entities: entity_views(&alerts),
            history: history
                .into_iter()
                .map(|h| ChangeView {
                    at: clock::from_nanos(h.at_ns),
                    actor: h.actor,
                    description: h.description,
                })
                .collect(),
            comments: comment_views(doc),
            twin: self.twin_link(number),
        }))
    }

    async fn apply(&self, caller: &Caller, id: &str, action: Action) -> ConsoleResult<()> {
        caller.require_writer()?;
        let number = id
            .parse::<i64>()
            .map_err(|_| ConsoleError::NotFound(id.to_owned()))?;
        let actor = caller.display_name.clone();
        offload(&self.state, move |xdr| {
            match action {
                Action::Assign { owner } => {
                    xdr.update_incident(number, json!({ "assignedTo": owner }), &actor)?;
                }
                Action::SetStatus { status } => {
                    xdr.update_incident(number, json!({ "status": status }), &actor)?;
                }
                Action::Close {
                    classification,
                    determination,
                    comment,
                } => {
                    let mut update =
                        json!({ "status": "resolved", "classification": classification });
                    if let Some(determination) = determination {
                        update["determination"] = json!(determination);
                    }
                    if let Some(comment) = &comment {
                        update["resolvingComment"] = json!(comment);
                    }
                    xdr.update_incident(number, update, &actor)?;
                    if let Some(comment) = comment {
                        xdr.comment_incident(number, json!({ "comment": comment }), &actor)?;
                    }
                }
                Action::AddTag { tag } => {
                    xdr.set_tag(number, &tag, true, &actor)?;
                }
                Action::RemoveTag { tag } => {
                    xdr.set_tag(number, &tag, false, &actor)?;
                }
                Action::Comment { text } => {
                    xdr.comment_incident(number, json!({ "comment": text }), &actor)?;
                }
            }
            Ok(())
        })
        .await
        .map_err(console_error)
    }
}

fn queue_query(query: &IncidentQuery) -> QueueQuery<'_> {
    QueueQuery {
        status: query.status.as_deref(),
        severity: query.severity.map(Severity::as_str),
        owner: query.owner.as_ref().map(|owner| match owner {
            OwnerFilter::Unassigned => OwnerMatch::Unassigned,
            OwnerFilter::Named(name) => OwnerMatch::Named(name),
        }),
        provider: query.provider.as_deref(),
        search: query.search.as_deref(),
        order: match query.sort {
            SortOrder::Newest => QueueOrder::Newest,
            SortOrder::Oldest => QueueOrder::Oldest,
            SortOrder::Severity => QueueOrder::Severity,
        },
        offset: query.offset,
        limit: query.page_size,
    }
}

fn console_error(error: XdrError) -> ConsoleError {
    match error {
        XdrError::NotFound { id, .. } => ConsoleError::NotFound(id),
        XdrError::Invalid(invalid) => ConsoleError::invalid(&invalid.target, "", &invalid.message),
        XdrError::Query(query) => ConsoleError::invalid(&query.option, "", &query.message),
        other => ConsoleError::store(other),
    }
}

fn text<'a>(doc: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    doc.get(name).and_then(Value::as_str)
}

fn instant(doc: &Map<String, Value>, name: &str) -> Option<DateTime<Utc>> {
    text(doc, name).and_then(clock::parse_instant)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// A verdict value, or `None` while it is still `unknown`.
fn verdict(doc: &Map<String, Value>, name: &str) -> Option<String> {
    text(doc, name)
        .filter(|v| !v.eq_ignore_ascii_case("unknown"))
        .map(str::to_owned)
}

fn summary(doc: &Map<String, Value>, alerts: &[Map<String, Value>]) -> IncidentSummary {
    let providers: BTreeSet<String> = alerts
        .iter()
        .filter_map(|a| text(a, "serviceSource"))
        .map(str::to_owned)
        .collect();
    IncidentSummary {
        id: text(doc, "id").unwrap_or_default().to_owned(),
        title: text(doc, "displayName").unwrap_or_default().to_owned(),
        severity: Severity::from_level(text(doc, "severity").unwrap_or_default()),
        status: text(doc, "status").unwrap_or_default().to_owned(),
        owner: text(doc, "assignedTo").map(str::to_owned),
        classification: verdict(doc, "classification"),
        determination: verdict(doc, "determination"),
        tags: strings(doc.get("customTags")),
        providers: providers.into_iter().collect(),
        alert_count: alerts.len(),
        created: instant(doc, "createdDateTime").unwrap_or_default(),
        updated: instant(doc, "lastUpdateDateTime").unwrap_or_default(),
    }
}

fn alert_view(alert: &Map<String, Value>) -> AlertView {
    AlertView {
        id: text(alert, "id").unwrap_or_default().to_owned(),
        title: text(alert, "title").unwrap_or_default().to_owned(),
        severity: Severity::from_level(text(alert, "severity").unwrap_or_default()),
        product: product_label(text(alert, "serviceSource").unwrap_or_default()),
        mitre_techniques: strings(alert.get("mitreTechniques")),
        first_activity: instant(alert, "firstActivityDateTime"),
        last_activity: instant(alert, "lastActivityDateTime"),
        created: instant(alert, "createdDateTime").unwrap_or_default(),
    }
}

fn comment_views(doc: &Map<String, Value>) -> Vec<CommentView> {
    let comments = doc.get("comments").and_then(Value::as_array);
    comments
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
        .map(|c| CommentView {
            at: instant(c, "createdDateTime").unwrap_or_default(),
            author: text(c, "createdByDisplayName")
                .unwrap_or_default()
                .to_owned(),
            text: text(c, "comment").unwrap_or_default().to_owned(),
        })
        .collect()
}

/// The evidence of all alerts, one entry per entity.
fn entity_views(alerts: &[Map<String, Value>]) -> Vec<EntityView> {
    let evidence = alerts
        .iter()
        .filter_map(|a| a.get("evidence").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object);
    EntityView::distinct(evidence.map(entity_view))
}

/// Labelled facts about an entity, each present or not.
type Details<'a> = Vec<(&'a str, Option<String>)>;

fn entity_view(evidence: &Map<String, Value>) -> EntityView {
    let kind_name = text(evidence, "@odata.type")
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("evidence");
    let nested = |outer: &str, inner: &str| {
        evidence
            .get(outer)
            .and_then(Value::as_object)
            .and_then(|o| text(o, inner))
            .map(str::to_owned)
    };
    let field = |name: &str| text(evidence, name).map(str::to_owned);
    let (kind, name, details): (EntityKind, Option<String>, Details<'_>) = match kind_name {
        "deviceEvidence" => (
            EntityKind::Device,
            field("deviceDnsName").or_else(|| field("mdeDeviceId")),
            vec![
                ("Device id", field("mdeDeviceId")),
                ("OS", field("osPlatform")),
            ],
        ),
        "userEvidence" => (
            EntityKind::User,
            nested("userAccount", "userPrincipalName")
                .or_else(|| nested("userAccount", "accountName")),
            vec![
                ("Object id", nested("userAccount", "azureAdUserId")),
                ("SID", nested("userAccount", "userSid")),
            ],
        ),
        "mailboxEvidence" => (
            EntityKind::Mailbox,
            field("primaryAddress"),
            vec![("Name", field("displayName"))],
        ),
        "analyzedMessageEvidence" => (
            EntityKind::Other,
            field("subject").map(|s| format!("Email: {s}")),
            vec![
                ("Recipient", field("recipientEmailAddress")),
                ("Sender IP", field("senderIp")),
            ],
        ),
        "ipEvidence" => (
            EntityKind::Ip,
            field("ipAddress"),
            vec![("Country", field("countryLetterCode"))],
        ),
        "fileEvidence" => (
            EntityKind::File,
            nested("fileDetails", "fileName"),
            vec![
                ("SHA-256", nested("fileDetails", "sha256")),
                ("Path", nested("fileDetails", "filePath")),
            ],
        ),
        "processEvidence" => (
            EntityKind::Process,
            field("processCommandLine").or_else(|| nested("imageFile", "fileName")),
            vec![("Image SHA-256", nested("imageFile", "sha256"))],
        ),
        "urlEvidence" => (EntityKind::Url, field("url"), Vec::new()),
        "cloudApplicationEvidence" => (
            EntityKind::CloudApp,
            field("displayName"),
            vec![("App id", evidence.get("appId").map(|v| v.to_string()))],
        ),
        other => (EntityKind::Other, Some(other.to_owned()), Vec::new()),
    };
    EntityView::new(kind, name, kind_name, details)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_becomes_named_entities() {
        let file = object(json!({
            "@odata.type": "#microsoft.graph.security.fileEvidence",
            "fileDetails": {"fileName": "a.exe", "sha256": "ab"}
        }));
        let view = entity_view(&file);
        assert_eq!((view.kind, view.name.as_str()), (EntityKind::File, "a.exe"));
        assert_eq!(view.details, vec![("SHA-256".to_owned(), "ab".to_owned())]);
        let unknown = entity_view(&object(
            json!({"@odata.type": "#microsoft.graph.security.blobEvidence"}),
        ));
        assert_eq!(
            (unknown.kind, unknown.name.as_str()),
            (EntityKind::Other, "blobEvidence")
        );
    }

    fn object(value: Value) -> Map<String, Value> {
        crate::service::object(value)
    }
}
