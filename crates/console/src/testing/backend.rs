//! An in-memory console backend: a real implementation of the trait over vectors, standing in for the XDR's
//! and the SIEM's stores, with seeded incidents, two app registrations and a sample sync health report.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use crate::{
    Action, AlertView, Caller, ChangeView, Choice, CommentView, ConflictView, ConsoleBackend,
    ConsoleError, ConsoleProfile, ConsoleResult, Count, Counts, DirectionHealth, EntityKind,
    EntityView, IncidentDetail, IncidentPage, IncidentQuery, IncidentSummary, LagSample,
    OwnerFilter, QuarantineView, Session, Severity, SortOrder, SyncHealth, TwinLink, Vocabulary,
};
use chrono::{DateTime, Duration, TimeZone, Utc};

/// The status a closed incident gets.
pub const CLOSED: &str = "resolved";
/// The id of the seeded multi-stage incident.
pub const MULTI_STAGE: &str = "multi-1";

/// The four products the seeded alerts come from.
pub const PRODUCTS: [&str; 4] = [
    "Microsoft Defender for Endpoint",
    "Microsoft Defender for Identity",
    "Microsoft Defender for Office 365",
    "Microsoft Defender for Cloud Apps",
];
const OWNERS: [Option<&str>; 3] = [Some("alice@contoso.com"), Some("bob@contoso.com"), None];
const TOPICS: [&str; 4] = [
    "Suspicious sign-in",
    "Phishing email delivered",
    "Ransomware behaviour",
    "Mass download",
];

/// An app registration that may sign in.
pub struct App {
    /// The client id to sign in with.
    pub client_id: &'static str,
    /// Its secret.
    pub secret: &'static str,
    /// The name the console shows for it.
    pub display_name: &'static str,
    /// Whether it may change incidents.
    pub can_write: bool,
}

/// The app that may change incidents.
pub const RESPONDER: App = App {
    client_id: "responder-app",
    secret: "responder-secret",
    display_name: "SOC Responder",
    can_write: true,
};
/// The app that may only read.
pub const READER: App = App {
    client_id: "reader-app",
    secret: "reader-secret",
    display_name: "SOC Reader",
    can_write: false,
};

#[derive(Default)]
struct State {
    incidents: Vec<IncidentDetail>,
    sessions: HashMap<String, Caller>,
    issued: u64,
}

/// The backend: incidents and sessions in memory, behind one lock.
pub struct MemoryBackend {
    profile: ConsoleProfile,
    state: Mutex<State>,
    health: Option<SyncHealth>,
}

/// The statuses, classifications, determinations and products the backend offers.
pub fn vocabulary() -> Vocabulary {
    Vocabulary {
        statuses: vec![
            Choice::new("active", "Active"),
            Choice::new("inProgress", "In progress"),
            Choice::new(CLOSED, "Resolved"),
        ],
        classifications: vec![
            Choice::new("truePositive", "True positive"),
            Choice::new("falsePositive", "False positive"),
            Choice::new(
                "informationalExpectedActivity",
                "Informational, expected activity",
            ),
        ],
        determinations: vec![
            Choice::new("multiStagedAttack", "Multi-staged attack"),
            Choice::new("malware", "Malware"),
            Choice::new("phishing", "Phishing"),
            Choice::new("other", "Other"),
        ],
        providers: PRODUCTS.iter().map(|p| Choice::new(*p, *p)).collect(),
        close_verb: "Resolve".into(),
    }
}

/// The instant the seeded incidents' times count from.
pub fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 8, 0, 0)
        .single()
        .expect("a valid UTC instant")
}

impl MemoryBackend {
    /// A backend holding `incidents`, without sync health.
    pub fn new(incidents: Vec<IncidentDetail>) -> MemoryBackend {
        let profile = ConsoleProfile {
            product: "Tandem XDR".into(),
            slug: "xdr".into(),
            twin_product: "Tandem SIEM".into(),
            has_sync_health: false,
            vocabulary: vocabulary(),
        };
        MemoryBackend {
            profile,
            state: Mutex::new(State {
                incidents,
                ..State::default()
            }),
            health: None,
        }
    }

    /// The same backend, serving `health` as the connector's.
    pub fn with_sync_health(mut self, health: SyncHealth) -> MemoryBackend {
        self.profile.has_sync_health = true;
        self.health = Some(health);
        self
    }

    /// The backend's state, locked.
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().expect("the backend's lock")
    }

    /// A copy of one stored incident, to compare pages and changes against.
    pub fn stored(&self, id: &str) -> IncidentDetail {
        let state = self.state();
        state
            .incidents
            .iter()
            .find(|i| i.summary.id == id)
            .cloned()
            .expect("seeded incident")
    }

    /// Every stored incident summary.
    pub fn summaries(&self) -> Vec<IncidentSummary> {
        self.state()
            .incidents
            .iter()
            .map(|i| i.summary.clone())
            .collect()
    }
}

fn matches(query: &IncidentQuery, i: &IncidentSummary) -> bool {
    let contains = |hay: &str, needle: &str| hay.to_lowercase().contains(&needle.to_lowercase());
    query.status.as_ref().is_none_or(|s| &i.status == s)
        && query.severity.is_none_or(|s| i.severity == s)
        && query.owner.as_ref().is_none_or(|o| match o {
            OwnerFilter::Unassigned => i.owner.is_none(),
            OwnerFilter::Named(name) => i
                .owner
                .as_ref()
                .is_some_and(|x| x.eq_ignore_ascii_case(name)),
        })
        && query
            .provider
            .as_ref()
            .is_none_or(|p| i.providers.contains(p))
        && query.search.as_ref().is_none_or(|s| contains(&i.title, s))
}

impl ConsoleBackend for MemoryBackend {
    fn profile(&self) -> &ConsoleProfile {
        &self.profile
    }

    async fn sign_in(&self, client_id: &str, client_secret: &str) -> ConsoleResult<Session> {
        let app = [RESPONDER, READER]
            .into_iter()
            .find(|a| a.client_id == client_id && a.secret == client_secret)
            .ok_or(ConsoleError::BadCredentials)?;
        let caller = Caller {
            display_name: app.display_name.into(),
            can_write: app.can_write,
        };
        let mut state = self.state();
        state.issued += 1;
        let token = format!("session-{}-{}", state.issued, app.client_id);
        state.sessions.insert(token.clone(), caller.clone());
        Ok(Session {
            token,
            caller,
            expires: Some(Utc::now() + Duration::hours(1)),
        })
    }

    async fn verify_session(&self, token: &str) -> ConsoleResult<Option<Caller>> {
        Ok(self.state().sessions.get(token).cloned())
    }

    async fn sign_out(&self, token: &str) -> ConsoleResult<()> {
        self.state().sessions.remove(token);
        Ok(())
    }

    async fn list_incidents(&self, query: &IncidentQuery) -> ConsoleResult<IncidentPage> {
        let state = self.state();
        let mut found: Vec<&IncidentSummary> = state
            .incidents
            .iter()
            .map(|i| &i.summary)
            .filter(|i| matches(query, i))
            .collect();
        match query.sort {
            SortOrder::Newest => {
                found.sort_by(|a, b| b.updated.cmp(&a.updated).then(a.id.cmp(&b.id)))
            }
            SortOrder::Oldest => {
                found.sort_by(|a, b| a.updated.cmp(&b.updated).then(a.id.cmp(&b.id)))
            }
            SortOrder::Severity => found.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then(b.updated.cmp(&a.updated))
                    .then(a.id.cmp(&b.id))
            }),
        }
        let items = found
            .iter()
            .skip(query.offset)
            .take(query.page_size)
            .map(|i| (*i).clone())
            .collect();
        Ok(IncidentPage {
            items,
            total: found.len(),
        })
    }

    async fn counts(&self) -> ConsoleResult<Counts> {
        let state = self.state();
        let by_status = vocabulary()
            .statuses
            .into_iter()
            .map(|s| Count {
                count: state
                    .incidents
                    .iter()
                    .filter(|i| i.summary.status == s.value)
                    .count(),
                value: s.value,
            })
            .collect();
        let by_severity = Severity::ALL
            .into_iter()
            .map(|s| Count {
                value: s,
                count: state
                    .incidents
                    .iter()
                    .filter(|i| i.summary.severity == s)
                    .count(),
            })
            .collect();
        Ok(Counts {
            by_status,
            by_severity,
            total: state.incidents.len(),
        })
    }

    async fn incident(&self, id: &str) -> ConsoleResult<Option<IncidentDetail>> {
        Ok(self
            .state()
            .incidents
            .iter()
            .find(|i| i.summary.id == id)
            .cloned())
    }

    async fn apply(&self, caller: &Caller, id: &str, action: Action) -> ConsoleResult<()> {
        if !caller.can_write {
            return Err(ConsoleError::Forbidden(
                "readers cannot change incidents".into(),
            ));
        }
        let mut state = self.state();
        let incident = state
            .incidents
            .iter_mut()
            .find(|i| i.summary.id == id)
            .ok_or_else(|| ConsoleError::NotFound(id.to_owned()))?;
        let now = incident.summary.updated + Duration::minutes(1);
        let mut change = |description: String| {
            incident.history.push(ChangeView {
                at: now,
                actor: caller.display_name.clone(),
                description,
            });
        };
        let summary = &mut incident.summary;
        match action {
            Action::Assign { owner } => {
                change(format!(
                    "Owner: {}",
                    owner.as_deref().unwrap_or("unassigned")
                ));
                summary.owner = owner;
            }
            Action::SetStatus { status } => {
                change(format!("Status: {} → {status}", summary.status));
                summary.status = status;
            }
            Action::Close {
                classification,
                determination,
                comment,
            } => {
                change(format!("Status: {} → {CLOSED}", summary.status));
                summary.status = CLOSED.into();
                summary.classification = Some(classification);
                summary.determination = determination;
                if let Some(text) = comment {
                    incident.comments.push(CommentView {
                        at: now,
                        author: caller.display_name.clone(),
                        text,
                    });
                }
            }
            Action::AddTag { tag } => {
                change(format!("Tag added: {tag}"));
                summary.tags.push(tag);
            }
            Action::RemoveTag { tag } => {
                change(format!("Tag removed: {tag}"));
                summary.tags.retain(|t| *t != tag);
            }
            Action::Comment { text } => {
                incident.comments.push(CommentView {
                    at: now,
                    author: caller.display_name.clone(),
                    text,
                });
            }
        }
        incident.summary.updated = now;
        Ok(())
    }

    async fn sync_health(&self) -> ConsoleResult<Option<SyncHealth>> {
        Ok(self.health.clone())
    }
}

fn entity(kind: EntityKind, name: &str, details: &[(&str, &str)]) -> EntityView {
    EntityView {
        kind,
        name: name.into(),
        details: details
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    }
}

fn alert(
    id: &str,
    title: &str,
    severity: Severity,
    product: &str,
    techniques: &[&str],
    minute: i64,
) -> AlertView {
    let created = epoch() + Duration::minutes(minute);
    AlertView {
        id: id.into(),
        title: title.into(),
        severity,
        product: product.into(),
        mitre_techniques: techniques.iter().map(|t| (*t).to_owned()).collect(),
        first_activity: Some(created - Duration::minutes(3)),
        last_activity: Some(created),
        created,
    }
}

/// The multi-stage incident analysts open in the browser tests: a phish, a sign-in, a payload and an
/// exfiltration, raised by four products.
pub fn multi_stage() -> IncidentDetail {
    let alerts = vec![
        alert(
            "a-1",
            "Phishing email with malicious attachment delivered",
            Severity::Medium,
            PRODUCTS[2],
            &["T1566.001"],
            0,
        ),
        alert(
            "a-2",
            "Suspicious sign-in from an unfamiliar location",
            Severity::Medium,
            PRODUCTS[1],
            &["T1078"],
            12,
        ),
        alert(
            "a-3",
            "Ransomware payload executed",
            Severity::High,
            PRODUCTS[0],
            &["T1486", "T1059.001"],
            30,
        ),
        alert(
            "a-4",
            "Mass download by a single user",
            Severity::High,
            PRODUCTS[3],
            &["T1530"],
            45,
        ),
    ];
    let entities = vec![
        entity(
            EntityKind::Device,
            "ws-finance-07",
            &[("OS", "Windows 11"), ("Risk", "High")],
        ),
        entity(
            EntityKind::User,
            "megan.bowen@contoso.com",
            &[("Department", "Finance")],
        ),
        entity(EntityKind::Mailbox, "megan.bowen@contoso.com", &[]),
        entity(EntityKind::Ip, "203.0.113.45", &[("Country", "NL")]),
        entity(
            EntityKind::File,
            "invoice_2026.docm",
            &[("SHA-256", "9f86d081884c7d659a2feaa0c55ad015")],
        ),
        entity(
            EntityKind::Process,
            "powershell.exe -enc SQBFAFgA",
            &[("PID", "4242")],
        ),
        entity(
            EntityKind::Url,
            "https://contoso-payments.example/invoice",
            &[],
        ),
        entity(EntityKind::CloudApp, "SharePoint Online", &[]),
    ];
    let history = vec![
        ChangeView {
            at: epoch() + Duration::minutes(31),
            actor: "Tandem XDR".into(),
            description: "Severity: Medium → High".into(),
        },
        ChangeView {
            at: epoch() + Duration::minutes(50),
            actor: "alice@contoso.com".into(),
            description: "Status: active → inProgress".into(),
        },
    ];
    let summary = IncidentSummary {
        id: MULTI_STAGE.into(),
        title: "Multi-stage incident involving Initial access & Ransomware on one endpoint".into(),
        severity: Severity::High,
        status: "inProgress".into(),
        owner: Some("alice@contoso.com".into()),
        classification: None,
        determination: None,
        tags: vec!["finance".into()],
        providers: PRODUCTS.iter().map(|p| (*p).to_owned()).collect(),
        alert_count: alerts.len(),
        created: epoch(),
        updated: epoch() + Duration::minutes(50),
    };
    IncidentDetail {
        summary,
        description: Some("A phish led to a sign-in, a payload and data theft.".into()),
        alerts,
        entities,
        history,
        comments: vec![CommentView {
            at: epoch() + Duration::minutes(52),
            author: "alice@contoso.com".into(),
            text: "Isolating the device.".into(),
        }],
        twin: Some(TwinLink {
            id: "6f1c2d3e".into(),
            url: "http://127.0.0.1:9/incidents/6f1c2d3e".into(),
        }),
    }
}

/// The `n`th of many generated incidents, with severities, statuses, owners and products in rotation.
pub fn generated(n: usize) -> IncidentDetail {
    let severity = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ][n % 4];
    let status = ["active", "inProgress", CLOSED][n % 3];
    let product = PRODUCTS[n % PRODUCTS.len()];
    let created = epoch() - Duration::minutes(n as i64 * 7);
    let alert = alert(
        &format!("g-{n}"),
        TOPICS[n % TOPICS.len()],
        severity,
        product,
        &[],
        -(n as i64) * 7,
    );
    IncidentDetail {
        summary: IncidentSummary {
            id: format!("{n}"),
            title: format!("{} on host {n}", TOPICS[n % TOPICS.len()]),
            severity,
            status: status.into(),
            owner: OWNERS[n % OWNERS.len()].map(str::to_owned),
            classification: None,
            determination: None,
            tags: vec![],
            providers: vec![product.into()],
            alert_count: 1,
            created,
            updated: created + Duration::minutes((n % 5) as i64),
        },
        description: None,
        alerts: vec![alert],
        entities: vec![],
        history: vec![],
        comments: vec![],
        twin: None,
    }
}

/// The multi-stage incident and `count` generated ones.
pub fn seeded(count: usize) -> Vec<IncidentDetail> {
    std::iter::once(multi_stage())
        .chain((0..count).map(generated))
        .collect()
}

/// A connector status with two directions (one failing), a conflict, a quarantined item and 20 lag readings.
pub fn sample_health() -> SyncHealth {
    let directions = ["XDR → SIEM", "SIEM → XDR"];
    SyncHealth {
        directions: directions
            .iter()
            .enumerate()
            .map(|(i, name)| DirectionHealth {
                name: (*name).into(),
                lag_seconds: Some(12.0 * (i + 1) as f64),
                last_poll: Some(epoch()),
                last_success: Some(epoch()),
                pending_writes: i,
                last_error: (i == 1).then(|| "429 Too Many Requests".into()),
            })
            .collect(),
        conflicts: vec![ConflictView {
            at: epoch(),
            incident_id: "7".into(),
            field: "status".into(),
            winner: "XDR".into(),
            losing_value: "Closed".into(),
        }],
        quarantined: vec![QuarantineView {
            at: epoch(),
            item: "incident 9".into(),
            reason: "<b>bad</b> payload".into(),
        }],
        lag_history: (0..20)
            .flat_map(|m| {
                directions.iter().enumerate().map(move |(i, d)| LagSample {
                    at: epoch() + Duration::minutes(19 - m),
                    direction: (*d).into(),
                    lag_seconds: (m * 3 + (m % 4) * 5 * i as i64) as f64,
                })
            })
            .collect(),
        unreachable: None,
    }
}
