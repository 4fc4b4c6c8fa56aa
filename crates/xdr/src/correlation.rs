//! Correlation: which incident a new alert belongs to, and what an incident looks like given its alerts.
//!
//! Pure functions, no I/O: the store finds the open incidents that share a strong entity with the new
//! alert ([`Link`]s) and applies the [`Decision`]; everything that decides lives here so it can be tested
//! on its own.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, TimeDelta, Utc};

use crate::entities::{EntityKey, EntityKind};

/// What correlation needs to know about one alert.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertFacts {
    /// Graph severity (`informational`, `low`, `medium`, `high`, ...).
    pub severity: String,
    /// The MITRE ATT&CK kill-chain category (`InitialAccess`, `Execution`, ...), if any.
    pub category: Option<String>,
    /// The product that raised the alert (`microsoftDefenderForEndpoint`, ...).
    pub service_source: String,
    /// The earliest activity of the alert.
    pub first_activity: DateTime<Utc>,
    /// The latest activity of the alert.
    pub last_activity: DateTime<Utc>,
    /// The strong entities in its evidence.
    pub entities: BTreeSet<EntityKey>,
}

/// An existing alert of an open incident that shares an entity with the new alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    /// The incident the existing alert belongs to.
    pub incident_id: i64,
    /// When that incident was created; the oldest incident survives a merge.
    pub incident_created: DateTime<Utc>,
    /// The existing alert's earliest activity.
    pub first_activity: DateTime<Utc>,
    /// The existing alert's latest activity.
    pub last_activity: DateTime<Utc>,
}

/// Where a new alert goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No open incident is linked: start a new one.
    Create,
    /// Exactly one open incident is linked: the alert joins it.
    Join(i64),
    /// Several open incidents are linked: the oldest survives and takes every alert; the others are
    /// redirected to it.
    Merge {
        /// The incident that keeps every alert.
        survivor: i64,
        /// The incidents that become `redirected`, oldest first.
        absorbed: Vec<i64>,
    },
}

/// Decides where a new alert goes, given the links the store found and the correlation window.
///
/// A link counts when the existing alert's activity lies within `window` of the new alert's activity.
pub fn decide(alert: &AlertFacts, links: &[Link], window: TimeDelta) -> Decision {
    let mut incidents: BTreeMap<i64, DateTime<Utc>> = BTreeMap::new();
    for link in links.iter().filter(|l| within_window(alert, l, window)) {
        incidents.insert(link.incident_id, link.incident_created);
    }
    let mut ordered: Vec<(DateTime<Utc>, i64)> = incidents
        .into_iter()
        .map(|(id, created)| (created, id))
        .collect();
    ordered.sort();
    match ordered.as_slice() {
        [] => Decision::Create,
        [(_, only)] => Decision::Join(*only),
        [(_, survivor), rest @ ..] => Decision::Merge {
            survivor: *survivor,
            absorbed: rest.iter().map(|(_, id)| *id).collect(),
        },
    }
}

fn within_window(alert: &AlertFacts, link: &Link, window: TimeDelta) -> bool {
    link.last_activity >= alert.first_activity - window
        && link.first_activity <= alert.last_activity + window
}

/// Severities in increasing order of impact; unknown spellings rank lowest.
const SEVERITY_ORDER: [&str; 5] = ["unknown", "informational", "low", "medium", "high"];

/// The rank of a Graph severity (0 for `unknown` or an unrecognised value, 4 for `high`).
pub fn severity_rank(severity: &str) -> i64 {
    SEVERITY_ORDER
        .iter()
        .position(|s| s.eq_ignore_ascii_case(severity))
        .unwrap_or(0) as i64
}

/// The fields of an incident that follow from its alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentSummary {
    /// The highest severity among the alerts.
    pub severity: String,
    /// A name describing the attack, as Defender names incidents.
    pub display_name: String,
    /// The earliest activity of any alert.
    pub first_activity: DateTime<Utc>,
    /// The latest activity of any alert.
    pub last_activity: DateTime<Utc>,
}

/// Summarises an incident's alerts; `None` for an incident without alerts.
pub fn summarize(alerts: &[AlertFacts]) -> Option<IncidentSummary> {
    let first = alerts.first()?;
    let severity = alerts
        .iter()
        .map(|a| a.severity.as_str())
        .max_by_key(|s| severity_rank(s))
        .unwrap_or(&first.severity);
    Some(IncidentSummary {
        severity: canonical_severity(severity),
        display_name: display_name(alerts),
        first_activity: alerts.iter().map(|a| a.first_activity).min()?,
        last_activity: alerts.iter().map(|a| a.last_activity).max()?,
    })
}

fn canonical_severity(severity: &str) -> String {
    SEVERITY_ORDER
        .iter()
        .find(|s| s.eq_ignore_ascii_case(severity))
        .map_or_else(|| severity.to_owned(), |s| (*s).to_owned())
}

/// MITRE ATT&CK tactics in kill-chain order; categories outside it sort after, alphabetically.
const KILL_CHAIN: [&str; 14] = [
    "Reconnaissance",
    "ResourceDevelopment",
    "InitialAccess",
    "Execution",
    "Persistence",
    "PrivilegeEscalation",
    "DefenseEvasion",
    "CredentialAccess",
    "Discovery",
    "LateralMovement",
    "Collection",
    "CommandAndControl",
    "Exfiltration",
    "Impact",
];

/// Builds a Defender-style incident name from the alerts' categories, entities and sources, such as
/// "Multi-stage incident involving Initial access & Exfiltration on one endpoint reported by multiple
/// sources".
pub fn display_name(alerts: &[AlertFacts]) -> String {
    let categories = kill_chain_categories(alerts);
    let lead = match categories.as_slice() {
        [] => "Incident".to_owned(),
        [only] => format!("{} incident", sentence_case(only)),
        [first, .., last] => format!(
            "Multi-stage incident involving {} & {}",
            sentence_case(first),
            sentence_case(last)
        ),
    };
    let mut name = lead;
    if let Some(scope) = scope(alerts) {
        name.push(' ');
        name.push_str(&scope);
    }
    let sources: BTreeSet<&str> = alerts.iter().map(|a| a.service_source.as_str()).collect();
    if sources.len() > 1 {
        name.push_str(" reported by multiple sources");
    }
    name
}

fn kill_chain_categories(alerts: &[AlertFacts]) -> Vec<String> {
    let mut categories: Vec<String> = alerts
        .iter()
        .filter_map(|a| a.category.clone())
        .filter(|c| !c.trim().is_empty())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    categories.sort_by_key(|c| {
        let position = KILL_CHAIN
            .iter()
            .position(|k| k.eq_ignore_ascii_case(c))
            .unwrap_or(KILL_CHAIN.len());
        (position, c.clone())
    });
    categories
}

/// `CommandAndControl` becomes "Command and control".
fn sentence_case(category: &str) -> String {
    let mut out = String::new();
    for (i, ch) in category.chars().enumerate() {
        if i == 0 {
            out.extend(ch.to_uppercase());
        } else if ch.is_uppercase() {
            out.push(' ');
            out.extend(ch.to_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

/// "on one endpoint", "on multiple endpoints", "for one user", ...: the widest kind of asset involved.
fn scope(alerts: &[AlertFacts]) -> Option<String> {
    let scopes = [
        (EntityKind::Device, "on", "endpoint"),
        (EntityKind::User, "for", "user"),
        (EntityKind::Mailbox, "for", "mailbox"),
        (EntityKind::CloudApp, "in", "cloud app"),
    ];
    scopes.iter().find_map(
        |(kind, preposition, noun)| match count_entities(alerts, *kind) {
            0 => None,
            1 => Some(format!("{preposition} one {noun}")),
            _ => Some(format!("{preposition} multiple {noun}s")),
        },
    )
}

/// Counts distinct entities of one kind, using the most common identifier flavour so that one device
/// named by two ids counts once.
fn count_entities(alerts: &[AlertFacts], kind: EntityKind) -> usize {
    let mut by_flavour: BTreeMap<Option<&str>, BTreeSet<&str>> = BTreeMap::new();
    for key in alerts
        .iter()
        .flat_map(|a| a.entities.iter())
        .filter(|k| k.kind == kind)
    {
        by_flavour.entry(key.flavour()).or_default().insert(&key.id);
    }
    by_flavour.values().map(BTreeSet::len).max().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entities::alert_entities;
    use serde_json::json;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000, 0).unwrap() + TimeDelta::minutes(minutes)
    }

    fn alert(
        category: &str,
        source: &str,
        severity: &str,
        evidence: serde_json::Value,
    ) -> AlertFacts {
        AlertFacts {
            severity: severity.into(),
            category: Some(category.into()),
            service_source: source.into(),
            first_activity: at(0),
            last_activity: at(5),
            entities: alert_entities(
                &tandem_model::from_value(json!({ "id": "a1", "evidence": evidence })).unwrap(),
            ),
        }
    }

    fn link(incident_id: i64, created_minutes: i64, activity_minutes: i64) -> Link {
        Link {
            incident_id,
            incident_created: at(created_minutes),
            first_activity: at(activity_minutes),
            last_activity: at(activity_minutes),
        }
    }

    fn device(id: &str) -> serde_json::Value {
        json!([{ "@odata.type": "#microsoft.graph.security.deviceEvidence", "mdeDeviceId": id }])
    }

    #[test]
    fn no_links_creates_an_incident() {
        let new = alert(
            "Execution",
            "microsoftDefenderForEndpoint",
            "low",
            device("d"),
        );
        assert_eq!(decide(&new, &[], TimeDelta::hours(24)), Decision::Create);
    }

    #[test]
    fn one_linked_incident_is_joined() {
        let new = alert(
            "Execution",
            "microsoftDefenderForEndpoint",
            "low",
            device("d"),
        );
        let links = [link(7, -60, -30), link(7, -60, -10)];
        assert_eq!(
            decide(&new, &links, TimeDelta::hours(24)),
            Decision::Join(7)
        );
    }

    #[test]
    fn links_outside_the_window_are_ignored() {
        let new = alert(
            "Execution",
            "microsoftDefenderForEndpoint",
            "low",
            device("d"),
        );
        let links = [link(7, -3000, -2000), link(9, 10, 2000)];
        assert_eq!(decide(&new, &links, TimeDelta::hours(24)), Decision::Create);
        assert_eq!(
            decide(&new, &links, TimeDelta::hours(48)),
            Decision::Merge {
                survivor: 7,
                absorbed: vec![9]
            }
        );
    }

    #[test]
    fn the_oldest_incident_survives_a_merge() {
        let new = alert(
            "Execution",
            "microsoftDefenderForEndpoint",
            "low",
            device("d"),
        );
        let links = [link(12, -10, -1), link(3, -50, -2), link(8, -30, -3)];
        assert_eq!(
            decide(&new, &links, TimeDelta::hours(24)),
            Decision::Merge {
                survivor: 3,
                absorbed: vec![8, 12]
            }
        );
    }

    #[test]
    fn summary_takes_highest_severity_and_activity_span() {
        let mut early = alert(
            "InitialAccess",
            "microsoftDefenderForOffice365",
            "Medium",
            json!([]),
        );
        early.first_activity = at(-100);
        let mut late = alert(
            "Execution",
            "microsoftDefenderForEndpoint",
            "high",
            device("d"),
        );
        late.last_activity = at(100);
        let low = alert(
            "Discovery",
            "microsoftDefenderForEndpoint",
            "low",
            device("d"),
        );
        let summary = summarize(&[early, late, low]).unwrap();
        assert_eq!(summary.severity, "high");
        assert_eq!(summary.first_activity, at(-100));
        assert_eq!(summary.last_activity, at(100));
        assert!(summarize(&[]).is_none());
    }

    #[test]
    fn multi_stage_names_follow_the_kill_chain() {
        let alerts = [
            alert(
                "Execution",
                "microsoftDefenderForEndpoint",
                "high",
                device("d1"),
            ),
            alert(
                "InitialAccess",
                "microsoftDefenderForOffice365",
                "medium",
                json!([]),
            ),
        ];
        assert_eq!(
            display_name(&alerts),
            "Multi-stage incident involving Initial access & Execution on one endpoint reported by multiple sources"
        );
    }

    #[test]
    fn single_category_names_count_assets() {
        let alerts = [
            alert(
                "CommandAndControl",
                "microsoftDefenderForEndpoint",
                "high",
                device("d1"),
            ),
            alert(
                "CommandAndControl",
                "microsoftDefenderForEndpoint",
                "high",
                device("d2"),
            ),
        ];
        assert_eq!(
            display_name(&alerts),
            "Command and control incident on multiple endpoints"
        );
        let user = json!([{ "@odata.type": "#microsoft.graph.security.userEvidence",
            "userAccount": { "azureAdUserId": "u1", "userPrincipalName": "kai@contoso.com" } }]);
        let alerts = [alert(
            "CredentialAccess",
            "microsoftDefenderForIdentity",
            "high",
            user,
        )];
        assert_eq!(
            display_name(&alerts),
            "Credential access incident for one user"
        );
    }

    #[test]
    fn severity_rank_orders_known_values() {
        assert!(severity_rank("HIGH") > severity_rank("medium"));
        assert!(severity_rank("low") > severity_rank("informational"));
        assert_eq!(severity_rank("bogus"), 0);
    }
}
