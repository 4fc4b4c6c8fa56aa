//! The attacks themselves: realistic alerts, written as Defender's products would raise them.
//!
//! - [`multi_stage`]: one attack across all four products: a phishing mail (Office 365), the click and
//!   the malware it drops (Endpoint), a sign-in from the attacker's address (Identity) and a mass
//!   download from a cloud app (Cloud Apps). The alerts share the victim and correlate into one incident.
//! - [`load`]: many independent incidents of several endpoint alerts each, with distinct entities.
//!
//! Every run uses fresh entities, so runs do not correlate with each other; a seeded run
//! ([`Scenario::alerts_seeded`]) names the same entities every time. Both render a plan (`plan.rs`),
//! which the hunting events (`hunting/`) are rendered from too.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::plan::{
    self, EndpointCategory, LoadAlert, MASS_DOWNLOAD_FILES, MultiStage, ONEDRIVE_APP_ID,
    ONEDRIVE_APP_NAME, PAYLOAD_COMMAND_LINE, PAYLOAD_NAME, PAYLOAD_PARENT_PID, PAYLOAD_PID,
    PAYLOAD_SIZE, PHISH_SENDER, PHISH_SENDER_DOMAIN, PHISH_SENDER_NAME, PHISH_SUBJECT, Plan,
    VICTIM_DISPLAY_NAME, VICTIM_DNS_DOMAIN, VICTIM_NETBIOS_DOMAIN, Victim, time,
};

impl Victim {
    fn user_account(&self) -> Value {
        json!({
            "accountName": self.account,
            "azureAdUserId": self.user_id,
            "displayName": VICTIM_DISPLAY_NAME,
            "domainName": VICTIM_DNS_DOMAIN,
            "userPrincipalName": self.upn,
            "userSid": self.user_sid,
        })
    }
}

/// The alerts of one attack that crosses Office 365, Endpoint, Identity and Cloud Apps, in the order
/// the products would raise them, ending `now`.
pub fn multi_stage(now: DateTime<Utc>) -> Vec<Value> {
    Scenario::MultiStage.alerts(now)
}

/// `incidents` independent incidents of `alerts_per_incident` endpoint alerts each, with entities no
/// other incident shares.
pub fn load(now: DateTime<Utc>, incidents: usize, alerts_per_incident: usize) -> Vec<Value> {
    Scenario::Load {
        incidents,
        alerts_per_incident,
    }
    .alerts(now)
}

/// The alerts `plan` raises.
pub(crate) fn plan_alerts(plan: &Plan) -> Vec<Value> {
    match plan {
        Plan::MultiStage(attack) => multi_stage_alerts(attack),
        Plan::Load(alerts) => load_alerts(alerts),
    }
}

/// The alerts of the multi-stage attack `attack`.
fn multi_stage_alerts(attack: &MultiStage) -> Vec<Value> {
    vec![
        phishing_mail(attack),
        malware_on_endpoint(attack),
        suspicious_sign_in(attack),
        mass_download(attack),
    ]
}

/// The alerts of the load scenario `plan`.
fn load_alerts(plan: &[LoadAlert]) -> Vec<Value> {
    plan.iter().map(endpoint_alert).collect()
}

fn endpoint_alert(alert: &LoadAlert) -> Value {
    let EndpointCategory {
        category,
        title,
        technique,
    } = alert.kind;
    let victim = &alert.victim;
    let first = time(alert.first);
    json!({
        "id": format!("da{}", alert.id),
        "title": title,
        "description": format!("{title} on {}.", victim.device_name),
        "severity": if alert.index % 3 == 2 { "high" } else { "medium" },
        "category": category,
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": "microsoftDefenderForEndpoint",
        "detectorId": plan::derived_uuid(title).to_string(),
        "mitreTechniques": [technique],
        "firstActivityDateTime": first,
        "lastActivityDateTime": first,
        "evidence": [
            device_evidence(victim),
            file_evidence(victim, &alert.file.payload_sha256, &alert.file.payload_sha1, plan::LOAD_FILE_NAME),
        ],
    })
}

fn phishing_mail(attack: &MultiStage) -> Value {
    let v = &attack.victim;
    let (first, last) = (time(attack.mail.first), time(attack.mail.last));
    json!({
        "id": format!("fa{}-mail", attack.run),
        "title": "Email messages containing malicious URL removed after delivery",
        "description": "Emails with a malicious URL were delivered and later removed by zero-hour auto purge.",
        "severity": "medium",
        "category": "InitialAccess",
        "serviceSource": "microsoftDefenderForOffice365",
        "detectionSource": "microsoftDefenderForOffice365",
        "mitreTechniques": ["T1566.002"],
        "firstActivityDateTime": first,
        "lastActivityDateTime": last,
        "evidence": [
            {
                "@odata.type": "#microsoft.graph.security.mailboxEvidence",
                "createdDateTime": first, "verdict": "suspicious", "remediationStatus": "none",
                "roles": ["destination"], "tags": [],
                "displayName": VICTIM_DISPLAY_NAME, "primaryAddress": v.upn, "upn": v.upn,
                "userAccount": v.user_account(),
            },
            {
                "@odata.type": "#microsoft.graph.security.analyzedMessageEvidence",
                "createdDateTime": first, "verdict": "malicious", "remediationStatus": "remediated",
                "roles": [], "tags": [],
                "networkMessageId": attack.network_message_id(),
                "internetMessageId": attack.internet_message_id(),
                "subject": PHISH_SUBJECT,
                "language": "en",
                "senderIp": v.attacker_ip,
                "recipientEmailAddress": v.upn,
                "antiSpamDirection": "Inbound",
                "deliveryAction": "Delivered",
                "deliveryLocation": "Inbox",
                "threats": ["Phish"],
                "threatDetectionMethods": ["URL detonation reputation"],
                "urls": [v.phishing_url],
                "urlCount": 1,
                "attachmentsCount": 0,
                "receivedDateTime": first,
                "p1Sender": {"emailAddress": PHISH_SENDER, "displayName": PHISH_SENDER_NAME, "domainName": PHISH_SENDER_DOMAIN},
            },
            url_evidence(&first, &v.phishing_url),
        ],
    })
}

fn malware_on_endpoint(attack: &MultiStage) -> Value {
    let v = &attack.victim;
    let (first, last) = (time(attack.malware.first), time(attack.malware.last));
    json!({
        "id": format!("da{}-malware", attack.run),
        "title": "Malicious file downloaded from a phishing link was executed",
        "description": format!("A file downloaded from {} was launched on {}.", v.phishing_url, v.device_name),
        "severity": "high",
        "category": "Execution",
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": "antivirus",
        "threatFamilyName": "Qakbot",
        "threatDisplayName": "Trojan:Win32/Qakbot",
        "mitreTechniques": ["T1204.001", "T1204.002", "T1059.001"],
        "firstActivityDateTime": first,
        "lastActivityDateTime": last,
        "evidence": [
            device_evidence(v),
            url_evidence(&first, &v.phishing_url),
            file_evidence(v, &v.payload_sha256, &v.payload_sha1, PAYLOAD_NAME),
            {
                "@odata.type": "#microsoft.graph.security.processEvidence",
                "createdDateTime": first, "verdict": "malicious", "remediationStatus": "prevented",
                "roles": [], "tags": [], "detectionStatus": "detected",
                "processId": PAYLOAD_PID, "parentProcessId": PAYLOAD_PARENT_PID,
                "processCommandLine": PAYLOAD_COMMAND_LINE,
                "processCreationDateTime": first,
                "mdeDeviceId": v.device_id,
                "imageFile": {"sha256": v.payload_sha256, "sha1": v.payload_sha1, "fileName": PAYLOAD_NAME, "filePath": v.downloads_folder()},
                "userAccount": v.user_account(),
            },
        ],
    })
}

fn suspicious_sign_in(attack: &MultiStage) -> Value {
    let v = &attack.victim;
    let (first, last) = (time(attack.sign_in.first), time(attack.sign_in.last));
    json!({
        "id": format!("aa{}-signin", attack.run),
        "title": "Suspicious sign-in with the user's credentials from an unfamiliar address",
        "description": format!("{} signed in from {}, an address not seen for this user before.", v.upn, v.attacker_ip),
        "severity": "medium",
        "category": "CredentialAccess",
        "serviceSource": "microsoftDefenderForIdentity",
        "detectionSource": "microsoftDefenderForIdentity",
        "mitreTechniques": ["T1078.004", "T1110.003"],
        "firstActivityDateTime": first,
        "lastActivityDateTime": last,
        "evidence": [
            user_evidence(&first, v),
            ip_evidence(&first, &v.attacker_ip),
        ],
    })
}

fn mass_download(attack: &MultiStage) -> Value {
    let v = &attack.victim;
    let (first, last) = (time(attack.download.first), time(attack.download.last));
    let minutes = (attack.download.last - attack.download.first).num_minutes();
    json!({
        "id": format!("ca{}-download", attack.run),
        "title": "Mass download by a single user",
        "description": format!("{} downloaded {} files from OneDrive in {minutes} minutes.", v.upn, thousands(MASS_DOWNLOAD_FILES)),
        "severity": "high",
        "category": "Exfiltration",
        "serviceSource": "microsoftDefenderForCloudApps",
        "detectionSource": "cloudAppSecurity",
        "mitreTechniques": ["T1530"],
        "firstActivityDateTime": first,
        "lastActivityDateTime": last,
        "evidence": [
            {
                "@odata.type": "#microsoft.graph.security.cloudApplicationEvidence",
                "createdDateTime": first, "verdict": "unknown", "remediationStatus": "none",
                "roles": ["contextual"], "tags": [],
                "appId": ONEDRIVE_APP_ID, "displayName": ONEDRIVE_APP_NAME,
                "instanceId": 0, "instanceName": ONEDRIVE_APP_NAME, "saasAppId": ONEDRIVE_APP_ID,
            },
            user_evidence(&first, v),
            ip_evidence(&first, &v.attacker_ip),
        ],
    })
}

/// `n` with a comma between thousands, as the products write counts in descriptions.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn user_evidence(created: &str, v: &Victim) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.security.userEvidence",
        "createdDateTime": created, "verdict": "suspicious", "remediationStatus": "none",
        "roles": ["compromised"], "tags": [],
        "userAccount": v.user_account(),
    })
}

fn device_evidence(v: &Victim) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.security.deviceEvidence",
        "verdict": "suspicious", "remediationStatus": "none", "roles": ["compromised"], "tags": [],
        "mdeDeviceId": v.device_id,
        "azureAdDeviceId": v.aad_device_id,
        "deviceDnsName": v.device_name,
        "osPlatform": "Windows11", "osBuild": 22631, "healthStatus": "active", "riskScore": "high",
        "onboardingStatus": "onboarded", "defenderAvStatus": "updated",
        "loggedOnUsers": [{"accountName": v.account, "domainName": VICTIM_NETBIOS_DOMAIN}],
    })
}

fn file_evidence(v: &Victim, sha256: &str, sha1: &str, name: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.security.fileEvidence",
        "verdict": "malicious", "remediationStatus": "prevented", "roles": [], "tags": [],
        "detectionStatus": "detected",
        "mdeDeviceId": v.device_id,
        "fileDetails": {
            "sha256": sha256, "sha1": sha1, "fileName": name,
            "filePath": v.downloads_folder(), "fileSize": PAYLOAD_SIZE,
        },
    })
}

fn url_evidence(created: &str, url: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.security.urlEvidence",
        "createdDateTime": created, "verdict": "malicious", "remediationStatus": "none",
        "roles": [], "tags": [], "url": url,
    })
}

fn ip_evidence(created: &str, ip: &str) -> Value {
    json!({
        "@odata.type": "#microsoft.graph.security.ipEvidence",
        "createdDateTime": created, "verdict": "suspicious", "remediationStatus": "none",
        "roles": ["attacker"], "tags": [], "ipAddress": ip, "countryLetterCode": "NL",
    })
}

/// A scenario to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// See [`multi_stage`].
    MultiStage,
    /// See [`load`].
    Load {
        /// How many independent incidents.
        incidents: usize,
        /// How many alerts each incident gets.
        alerts_per_incident: usize,
    },
}

impl Scenario {
    /// The scenario's alerts, with activity ending `now`, naming entities no other run names.
    pub fn alerts(&self, now: DateTime<Utc>) -> Vec<Value> {
        self.alerts_seeded(now, plan::fresh_seed())
    }

    /// The scenario's alerts, with activity ending `now`, naming the entities `seed` derives: the
    /// same seed always gives the same alerts, and
    /// [`HuntingEvents::for_scenario`](crate::HuntingEvents::for_scenario) with that seed gives the
    /// raw events behind them.
    pub fn alerts_seeded(&self, now: DateTime<Utc>, seed: u64) -> Vec<Value> {
        plan_alerts(&Plan::new(self, now, seed))
    }
}

#[cfg(test)]
mod tests {
    use tandem_model::Timestamp;

    use super::*;

    fn text(alert: &Value, key: &str) -> String {
        alert[key].as_str().unwrap().to_owned()
    }

    #[test]
    fn the_multi_stage_attack_crosses_four_products_around_one_victim() {
        let now = Utc::now();
        let alerts = multi_stage(now);
        let products: Vec<String> = alerts.iter().map(|a| text(a, "serviceSource")).collect();
        assert_eq!(
            products,
            [
                "microsoftDefenderForOffice365",
                "microsoftDefenderForEndpoint",
                "microsoftDefenderForIdentity",
                "microsoftDefenderForCloudApps",
            ]
        );
        let upn = alerts[2]["evidence"][0]["userAccount"]["userPrincipalName"]
            .as_str()
            .unwrap();
        assert!(alerts.iter().all(|a| a.to_string().contains(upn)), "{upn}");
        let last = Timestamp::parse(&text(&alerts[3], "lastActivityDateTime")).unwrap();
        assert!(last.instant() <= now);
    }

    #[test]
    fn every_run_names_fresh_entities() {
        let now = Utc::now();
        let upn = |alerts: Vec<Value>| alerts[2]["evidence"][0]["userAccount"].to_string();
        assert_ne!(upn(multi_stage(now)), upn(multi_stage(now)));
    }

    #[test]
    fn load_makes_independent_incidents_of_endpoint_alerts() {
        let alerts = Scenario::Load {
            incidents: 3,
            alerts_per_incident: 2,
        }
        .alerts(Utc::now());
        assert_eq!(alerts.len(), 6);
        let device = |a: &Value| a["evidence"][0]["mdeDeviceId"].as_str().unwrap().to_owned();
        let devices: Vec<String> = alerts.iter().map(device).collect();
        assert_eq!(devices[0], devices[1]);
        assert_ne!(devices[1], devices[2]);
        assert_ne!(devices[2], devices[4]);
        let mut ids: Vec<String> = alerts.iter().map(|a| text(a, "id")).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 6);
    }
}
