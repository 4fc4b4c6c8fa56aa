//! The XDR's web console: [`tandem_console`]'s pages over the XDR's store, so that `incidentWebUrl`
//! (`{TANDEM_XDR_URL}/incidents/{id}`) opens a real incident page.
//!
//! Analysts sign in with an app registration's client id and secret, the same credentials the token
//! endpoint takes; apps with the incident read-write role may act, the others only read. Actions go
//! through the same operations as the Graph API, so they land in the same history and change feed.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::json;
use tandem_console::{
    Action, AlertView, Caller, ChangeView, Choice, CommentView, ConsoleBackend, ConsoleError,
    ConsoleProfile, ConsoleResult, Counts, EntityKind, EntityView, IncidentDetail, IncidentPage,
    IncidentQuery, IncidentSummary, OwnerFilter, Session, SessionTable, Severity, SortOrder,
    TwinLink, Vocabulary,
};
use tandem_model::graph::{Alert, AlertComment, AlertEvidence, FileDetails, Incident, UserAccount};
use tandem_model::mapping::siem_incident_name;
use tandem_model::{Field, Timestamp};
use tandem_server::Identity;

use crate::clock;
use crate::queries::group_alerts;
use crate::service::{AppState, XdrError, offload, wire_text};
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
                let by_incident = group_alerts(store::alerts_of_incidents(conn, &ids)?);
                let items = incidents
                    .iter()
                    .map(|i| {
                        let alerts = by_incident.get(&i.id).map_or(&[][..], Vec::as_slice);
                        summary(&i.incident, alerts)
                    })
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
        let incident = &view.incident;
        Ok(Some(IncidentDetail {
            summary: summary(incident, &alerts),
            description: incident.description.get().cloned(),
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
            comments: comment_views(incident.comments()),
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

fn text(field: &Field<String>) -> Option<&str> {
    field.get().map(String::as_str)
}

fn instant(field: &Field<Timestamp>) -> Option<DateTime<Utc>> {
    field.get().map(Timestamp::instant)
}

fn strings(field: &Field<Vec<String>>) -> Vec<String> {
    field.get().cloned().unwrap_or_default()
}

/// A verdict value, or `None` while it is still `unknown`.
fn verdict<E: tandem_model::wire::WireEnum>(field: &Field<E>) -> Option<String> {
    wire_text(field)
        .filter(|v| !v.eq_ignore_ascii_case("unknown"))
        .map(str::to_owned)
}

fn summary(incident: &Incident, alerts: &[Alert]) -> IncidentSummary {
    let providers: BTreeSet<String> = alerts
        .iter()
        .filter_map(|a| wire_text(&a.service_source))
        .map(str::to_owned)
        .collect();
    IncidentSummary {
        id: incident.id.clone(),
        title: text(&incident.display_name).unwrap_or_default().to_owned(),
        severity: Severity::from_level(wire_text(&incident.severity).unwrap_or_default()),
        status: wire_text(&incident.status).unwrap_or_default().to_owned(),
        owner: incident.assigned_to.get().cloned(),
        classification: verdict(&incident.classification),
        determination: verdict(&incident.determination),
        tags: strings(&incident.custom_tags),
        providers: providers.into_iter().collect(),
        alert_count: alerts.len(),
        created: instant(&incident.created_date_time).unwrap_or_default(),
        updated: instant(&incident.last_update_date_time).unwrap_or_default(),
    }
}

fn alert_view(alert: &Alert) -> AlertView {
    AlertView {
        id: alert.id.clone(),
        title: text(&alert.title).unwrap_or_default().to_owned(),
        severity: Severity::from_level(wire_text(&alert.severity).unwrap_or_default()),
        product: product_label(wire_text(&alert.service_source).unwrap_or_default()),
        mitre_techniques: strings(&alert.mitre_techniques),
        first_activity: instant(&alert.first_activity_date_time),
        last_activity: instant(&alert.last_activity_date_time),
        created: instant(&alert.created_date_time).unwrap_or_default(),
    }
}

fn comment_views(comments: &[AlertComment]) -> Vec<CommentView> {
    comments
        .iter()
        .map(|c| CommentView {
            at: instant(&c.created_date_time).unwrap_or_default(),
            author: text(&c.created_by_display_name)
                .unwrap_or_default()
                .to_owned(),
            text: text(&c.comment).unwrap_or_default().to_owned(),
        })
        .collect()
}

/// The evidence of all alerts, one entry per entity.
fn entity_views(alerts: &[Alert]) -> Vec<EntityView> {
    let evidence = alerts.iter().flat_map(Alert::evidence);
    EntityView::distinct(evidence.map(entity_view))
}

/// Labelled facts about an entity, each present or not.
type Details<'a> = Vec<(&'a str, Option<String>)>;

fn entity_view(evidence: &AlertEvidence) -> EntityView {
    let kind_name = evidence
        .common()
        .odata_type
        .get()
        .and_then(|t| t.rsplit('.').next())
        .unwrap_or("evidence");
    let owned = |field: &Field<String>| field.get().cloned();
    let (kind, name, details): (EntityKind, Option<String>, Details<'_>) = match evidence {
        AlertEvidence::Device(device) => (
            EntityKind::Device,
            owned(&device.device_dns_name).or_else(|| owned(&device.mde_device_id)),
            vec![
                ("Device id", owned(&device.mde_device_id)),
                ("OS", owned(&device.os_platform)),
            ],
        ),
        AlertEvidence::User(user) => {
            let account =
                |member: fn(&UserAccount) -> &Field<String>| nested(&user.user_account, member);
            (
                EntityKind::User,
                account(|a| &a.user_principal_name).or_else(|| account(|a| &a.account_name)),
                vec![
                    ("Object id", account(|a| &a.azure_ad_user_id)),
                    ("SID", account(|a| &a.user_sid)),
                ],
            )
        }
        AlertEvidence::Mailbox(mailbox) => (
            EntityKind::Mailbox,
            owned(&mailbox.primary_address),
            vec![("Name", owned(&mailbox.display_name))],
        ),
        AlertEvidence::AnalyzedMessage(message) => (
            EntityKind::Other,
            owned(&message.subject).map(|s| format!("Email: {s}")),
            vec![
                ("Recipient", owned(&message.recipient_email_address)),
                ("Sender IP", owned(&message.sender_ip)),
            ],
        ),
        AlertEvidence::Ip(ip) => (
            EntityKind::Ip,
            owned(&ip.ip_address),
            vec![("Country", owned(&ip.country_letter_code))],
        ),
        AlertEvidence::File(file) => {
            let details =
                |member: fn(&FileDetails) -> &Field<String>| nested(&file.file_details, member);
            (
                EntityKind::File,
                details(|d| &d.file_name),
                vec![
                    ("SHA-256", details(|d| &d.sha256)),
                    ("Path", details(|d| &d.file_path)),
                ],
            )
        }
        AlertEvidence::Process(process) => (
            EntityKind::Process,
            owned(&process.process_command_line)
                .or_else(|| nested(&process.image_file, |d| &d.file_name)),
            vec![("Image SHA-256", nested(&process.image_file, |d| &d.sha256))],
        ),
        AlertEvidence::Url(url) => (EntityKind::Url, owned(&url.url), Vec::new()),
        AlertEvidence::CloudApplication(app) => (
            EntityKind::CloudApp,
            owned(&app.display_name),
            vec![("App id", app.app_id.get().map(i64::to_string))],
        ),
        _ => (EntityKind::Other, Some(kind_name.to_owned()), Vec::new()),
    };
    EntityView::new(kind, name, kind_name, details)
}

/// A text member of a complex member (`userAccount`, `fileDetails`), when both are there.
fn nested<T>(outer: &Field<T>, member: fn(&T) -> &Field<String>) -> Option<String> {
    outer.get().and_then(|o| member(o).get()).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    use serde_json::Value;

    #[test]
    fn evidence_becomes_named_entities() {
        let file = evidence(json!({
            "@odata.type": "#microsoft.graph.security.fileEvidence",
            "fileDetails": {"fileName": "a.exe", "sha256": "ab"}
        }));
        let view = entity_view(&file);
        assert_eq!((view.kind, view.name.as_str()), (EntityKind::File, "a.exe"));
        assert_eq!(view.details, vec![("SHA-256".to_owned(), "ab".to_owned())]);
        let unknown = entity_view(&evidence(
            json!({"@odata.type": "#microsoft.graph.security.blobEvidence"}),
        ));
        assert_eq!(
            (unknown.kind, unknown.name.as_str()),
            (EntityKind::Other, "blobEvidence")
        );
    }

    fn evidence(value: Value) -> AlertEvidence {
        tandem_model::from_value(value).unwrap()
    }
}
