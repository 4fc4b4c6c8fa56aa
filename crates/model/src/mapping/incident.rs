//! A whole incident across the sides: Graph incident to Sentinel incident properties, and the
//! determination and closing comment that travel in `classificationComment`.

use std::collections::BTreeSet;

use super::enums::{XdrVerdict, severity_to_siem, status_to_siem, verdict_to_siem};
use super::owner::{labels_to_siem, owner_to_siem};
use super::{Provider, map_field};
use crate::graph::{self, Alert, AlertDetermination, ServiceSource};
use crate::sentinel::{AttackTactic, IncidentAdditionalData, IncidentProperties};
use crate::{Field, Timestamp};

/// The prefix of the `classificationComment` that carries the XDR determination to the SIEM.
const DETERMINATION_PREFIX: &str = "Determination: ";

/// XDR incident to SIEM incident properties.
///
/// `title` is `displayName` (or `Incident {id}` when the incident has none, since Sentinel requires
/// one); `providerIncidentId` is the Graph id; `additionalData.providerIncidentUrl` is
/// `incidentWebUrl`. Activity times come from the expanded alerts, else from the incident's created and
/// last-update times. The determination, which Sentinel cannot hold, is written into
/// `classificationComment` ([`determination_comment`]).
pub fn incident_to_siem(incident: &graph::Incident, provider: &Provider) -> IncidentProperties {
    let verdict = verdict_to_siem(&xdr_verdict(incident));
    let alerts = incident.alerts();
    IncidentProperties {
        title: Field::Value(title(incident)),
        description: incident.description.clone(),
        severity: map_field(&incident.severity, severity_to_siem),
        status: map_field(&incident.status, status_to_siem),
        classification: verdict.classification.map_or(Field::Absent, Field::Value),
        classification_reason: verdict.reason.map_or(Field::Absent, Field::Value),
        classification_comment: incident
            .determination
            .get()
            .and_then(determination_comment)
            .map_or(Field::Absent, Field::Value),
        owner: owner_to_siem(&incident.assigned_to),
        labels: map_field(&incident.custom_tags, |tags| labels_to_siem(tags)),
        additional_data: Field::Value(additional_data(incident)),
        provider_name: Field::Value(provider.name.clone()),
        provider_incident_id: Field::Value(incident.id.clone()),
        first_activity_time_utc: earliest(alerts.iter().map(|a| &a.first_activity_date_time))
            .map_or_else(|| incident.created_date_time.clone(), Field::Value),
        last_activity_time_utc: latest(alerts.iter().map(|a| &a.last_activity_date_time))
            .map_or_else(|| incident.last_update_date_time.clone(), Field::Value),
        created_time_utc: incident.created_date_time.clone(),
        last_modified_time_utc: incident.last_update_date_time.clone(),
        ..IncidentProperties::default()
    }
}

/// The `classificationComment` that carries an XDR determination to the SIEM, such as
/// `Determination: malware`; `None` for `unknown`.
pub fn determination_comment(determination: &AlertDetermination) -> Option<String> {
    match determination {
        AlertDetermination::Unknown | AlertDetermination::UnknownFutureValue => None,
        known => Some(format!("{DETERMINATION_PREFIX}{known}")),
    }
}

/// The SIEM's closing comment, if an analyst wrote one: Graph incidents have no such member, so the
/// connector posts it as an incident comment. The comment Tandem itself wrote
/// ([`determination_comment`]) is not returned.
pub fn closing_comment(siem: &IncidentProperties) -> Option<&str> {
    siem.classification_comment
        .get()
        .map(|c| c.trim())
        .filter(|c| !c.is_empty() && !c.starts_with(DETERMINATION_PREFIX))
}

/// The product name Sentinel shows for a Graph service source, such as `Microsoft Defender for
/// Endpoint`; a source Tandem does not know is written as its wire text.
pub fn product_name(source: &ServiceSource) -> String {
    let name = match source {
        ServiceSource::MicrosoftDefenderForEndpoint => "Microsoft Defender for Endpoint",
        ServiceSource::MicrosoftDefenderForIdentity => "Microsoft Defender for Identity",
        ServiceSource::MicrosoftDefenderForCloudApps => "Microsoft Defender for Cloud Apps",
        ServiceSource::MicrosoftDefenderForOffice365 => "Microsoft Defender for Office 365",
        ServiceSource::Microsoft365Defender => "Microsoft 365 Defender",
        ServiceSource::AzureAdIdentityProtection => "Microsoft Entra ID Protection",
        ServiceSource::MicrosoftAppGovernance => "App Governance",
        ServiceSource::DataLossPrevention => "Microsoft Data Loss Prevention",
        ServiceSource::MicrosoftDefenderForCloud => "Microsoft Defender for Cloud",
        other => other.as_str(),
    };
    name.to_owned()
}

/// The incident's title, or `Incident {id}` when it has none.
fn title(incident: &graph::Incident) -> String {
    incident
        .display_name
        .get()
        .filter(|t| !t.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| format!("Incident {}", incident.id))
}

/// The XDR incident's verdict.
fn xdr_verdict(incident: &graph::Incident) -> XdrVerdict {
    XdrVerdict {
        classification: incident.classification.get().cloned(),
        determination: incident.determination.get().cloned(),
    }
}

/// Counts, products, tactics and techniques of the expanded alerts, and the provider link.
fn additional_data(incident: &graph::Incident) -> IncidentAdditionalData {
    let alerts = incident.alerts();
    let distinct = |values: Vec<String>| -> Vec<String> {
        let mut seen = BTreeSet::new();
        values
            .into_iter()
            .filter(|v| seen.insert(v.clone()))
            .collect()
    };
    let products = distinct(
        alerts
            .iter()
            .filter_map(|a| a.service_source.get().map(product_name))
            .collect(),
    );
    let tactics = distinct(
        alerts
            .iter()
            .filter_map(|a| a.category.get().cloned())
            .collect(),
    );
    let techniques = distinct(
        alerts
            .iter()
            .flat_map(|a| a.mitre_techniques.get().cloned().unwrap_or_default())
            .collect(),
    );
    IncidentAdditionalData {
        alerts_count: Field::Value(count(alerts)),
        comments_count: Field::Value(count(incident.comments())),
        alert_product_names: Field::Value(products),
        tactics: Field::Value(tactics.iter().map(|t| AttackTactic::from_wire(t)).collect()),
        techniques: Field::Value(techniques),
        provider_incident_url: incident.incident_web_url.clone(),
        ..IncidentAdditionalData::default()
    }
}

/// A slice length as the wire's integer type.
fn count<T>(items: &[T]) -> i64 {
    i64::try_from(items.len()).unwrap_or(i64::MAX)
}

/// The earliest of some optional times.
fn earliest<'a>(times: impl Iterator<Item = &'a Field<Timestamp>>) -> Option<Timestamp> {
    times.filter_map(Field::get).min().cloned()
}

/// The latest of some optional times.
fn latest<'a>(times: impl Iterator<Item = &'a Field<Timestamp>>) -> Option<Timestamp> {
    times.filter_map(Field::get).max().cloned()
}

/// The alerts' ids, which are their `SystemAlertId`s in the SIEM.
pub(super) fn alert_ids(alerts: &[Alert]) -> Vec<String> {
    alerts.iter().map(|a| a.id.clone()).collect()
}
