//! The attacks themselves: realistic alerts, written as Defender's products would raise them.
//!
//! - [`multi_stage`]: one attack across all four products: a phishing mail (Office 365), the click and
//!   the malware it drops (Endpoint), a sign-in from the attacker's address (Identity) and a mass
//!   download from a cloud app (Cloud Apps). The alerts share the victim and correlate into one incident.
//! - [`load`]: many independent incidents of several endpoint alerts each, with distinct entities.
//!
//! Every run uses fresh entities, so runs do not correlate with each other.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};
use tandem_model::Timestamp;
use uuid::Uuid;

/// The entities one simulated attack revolves around.
#[derive(Debug, Clone)]
struct Victim {
    upn: String,
    user_id: String,
    user_sid: String,
    account: String,
    device_id: String,
    aad_device_id: String,
    device_name: String,
    attacker_ip: String,
    phishing_url: String,
    payload_sha256: String,
    payload_sha1: String,
}

impl Victim {
    /// Entities derived from `seed`, so every seed names different ones.
    fn new(seed: &str) -> Victim {
        let id =
            |label: &str| Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{seed}/{label}").as_bytes());
        let hex = |label: &str, len: usize| {
            let mut out = format!(
                "{}{}",
                id(label).simple(),
                id(&format!("{label}+")).simple()
            );
            out.truncate(len);
            out
        };
        let short = &hex("short", 6);
        let bytes = id("ip").into_bytes();
        Victim {
            upn: format!("kai.carter.{short}@contoso.com"),
            user_id: id("user").to_string(),
            user_sid: format!("S-1-5-21-{}-{}-{}-1104", bytes[0], bytes[1], bytes[2]),
            account: format!("kai.carter.{short}"),
            device_id: hex("device", 40),
            aad_device_id: id("aad-device").to_string(),
            device_name: format!("ws-{short}.contoso.com"),
            attacker_ip: format!(
                "45.{}.{}.{}",
                bytes[3] % 200 + 10,
                bytes[4],
                bytes[5] % 250 + 1
            ),
            phishing_url: format!("https://login-{short}.contoso-sso.example/owa/auth"),
            payload_sha256: hex("payload-sha256", 64),
            payload_sha1: hex("payload-sha1", 40),
        }
    }

    fn user_account(&self) -> Value {
        json!({
            "accountName": self.account,
            "azureAdUserId": self.user_id,
            "displayName": "Kai Carter",
            "domainName": "contoso.com",
            "userPrincipalName": self.upn,
            "userSid": self.user_sid,
        })
    }
}

/// The alerts of one attack that crosses Office 365, Endpoint, Identity and Cloud Apps, in the order
/// the products would raise them, ending `now`.
pub fn multi_stage(now: DateTime<Utc>) -> Vec<Value> {
    let run = Uuid::new_v4().simple().to_string();
    let victim = Victim::new(&run);
    let at = |minutes_ago: i64| time(now - TimeDelta::minutes(minutes_ago));
    vec![
        phishing_mail(&run, &victim, at(95), at(90)),
        malware_on_endpoint(&run, &victim, at(80), at(70)),
        suspicious_sign_in(&run, &victim, at(40), at(35)),
        mass_download(&run, &victim, at(20), at(5)),
    ]
}

/// `incidents` independent incidents of `alerts_per_incident` endpoint alerts each, with entities no
/// other incident shares.
pub fn load(now: DateTime<Utc>, incidents: usize, alerts_per_incident: usize) -> Vec<Value> {
    let run = Uuid::new_v4().simple().to_string();
    let mut alerts = Vec::with_capacity(incidents * alerts_per_incident);
    for i in 0..incidents {
        let victim = Victim::new(&format!("{run}/{i}"));
        for j in 0..alerts_per_incident {
            let category = LOAD_CATEGORIES[j % LOAD_CATEGORIES.len()];
            let first = time(now - TimeDelta::minutes((alerts_per_incident - j) as i64 * 3));
            alerts.push(endpoint_alert(
                &format!("{run}-{i}-{j}"),
                &victim,
                category,
                j,
                &first,
            ));
        }
    }
    alerts
}

const LOAD_CATEGORIES: [(&str, &str, &str); 4] = [
    (
        "Execution",
        "Suspicious PowerShell command line",
        "T1059.001",
    ),
    (
        "Persistence",
        "Anomalous scheduled task created",
        "T1053.005",
    ),
    (
        "CredentialAccess",
        "Possible credential dumping from LSASS",
        "T1003.001",
    ),
    (
        "CommandAndControl",
        "Connection to a known command-and-control server",
        "T1071.001",
    ),
];

fn endpoint_alert(
    id: &str,
    victim: &Victim,
    (category, title, technique): (&str, &str, &str),
    index: usize,
    first: &str,
) -> Value {
    let file = Victim::new(&format!("{id}/file"));
    json!({
        "id": format!("da{id}"),
        "title": title,
        "description": format!("{title} on {}.", victim.device_name),
        "severity": if index % 3 == 2 { "high" } else { "medium" },
        "category": category,
        "serviceSource": "microsoftDefenderForEndpoint",
        "detectionSource": "microsoftDefenderForEndpoint",
        "detectorId": Uuid::new_v5(&Uuid::NAMESPACE_OID, title.as_bytes()).to_string(),
        "mitreTechniques": [technique],
        "firstActivityDateTime": first,
        "lastActivityDateTime": first,
        "evidence": [
            device_evidence(victim),
            file_evidence(victim, &file.payload_sha256, &file.payload_sha1, "update.exe"),
        ],
    })
}

fn phishing_mail(run: &str, v: &Victim, first: String, last: String) -> Value {
    json!({
        "id": format!("fa{run}-mail"),
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
                "displayName": "Kai Carter", "primaryAddress": v.upn, "upn": v.upn,
                "userAccount": v.user_account(),
            },
            {
                "@odata.type": "#microsoft.graph.security.analyzedMessageEvidence",
                "createdDateTime": first, "verdict": "malicious", "remediationStatus": "remediated",
                "roles": [], "tags": [],
                "networkMessageId": Uuid::new_v5(&Uuid::NAMESPACE_OID, format!("{run}/msg").as_bytes()).to_string(),
                "internetMessageId": format!("<{run}@mail.contoso-sso.example>"),
                "subject": "Action required: your mailbox storage is full",
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
                "p1Sender": {"emailAddress": "it-support@contoso-sso.example", "displayName": "IT Support", "domainName": "contoso-sso.example"},
            },
            url_evidence(&first, &v.phishing_url),
        ],
    })
}

fn malware_on_endpoint(run: &str, v: &Victim, first: String, last: String) -> Value {
    json!({
        "id": format!("da{run}-malware"),
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
            file_evidence(v, &v.payload_sha256, &v.payload_sha1, "invoice_viewer.exe"),
            {
                "@odata.type": "#microsoft.graph.security.processEvidence",
                "createdDateTime": first, "verdict": "malicious", "remediationStatus": "prevented",
                "roles": [], "tags": [], "detectionStatus": "detected",
                "processId": 7412, "parentProcessId": 5120,
                "processCommandLine": "\"invoice_viewer.exe\" /silent",
                "processCreationDateTime": first,
                "mdeDeviceId": v.device_id,
                "imageFile": {"sha256": v.payload_sha256, "sha1": v.payload_sha1, "fileName": "invoice_viewer.exe", "filePath": format!("C:\\Users\\{}\\Downloads", v.account)},
                "userAccount": v.user_account(),
            },
        ],
    })
}

fn suspicious_sign_in(run: &str, v: &Victim, first: String, last: String) -> Value {
    json!({
        "id": format!("aa{run}-signin"),
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
            {
                "@odata.type": "#microsoft.graph.security.userEvidence",
                "createdDateTime": first, "verdict": "suspicious", "remediationStatus": "none",
                "roles": ["compromised"], "tags": [],
                "userAccount": v.user_account(),
            },
            ip_evidence(&first, &v.attacker_ip),
        ],
    })
}

fn mass_download(run: &str, v: &Victim, first: String, last: String) -> Value {
    json!({
        "id": format!("ca{run}-download"),
        "title": "Mass download by a single user",
        "description": format!("{} downloaded 1,432 files from OneDrive in 12 minutes.", v.upn),
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
                "appId": 15600, "displayName": "Microsoft OneDrive for Business",
                "instanceId": 0, "instanceName": "Microsoft OneDrive for Business", "saasAppId": 15600,
            },
            {
                "@odata.type": "#microsoft.graph.security.userEvidence",
                "createdDateTime": first, "verdict": "suspicious", "remediationStatus": "none",
                "roles": ["compromised"], "tags": [],
                "userAccount": v.user_account(),
            },
            ip_evidence(&first, &v.attacker_ip),
        ],
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
        "loggedOnUsers": [{"accountName": v.account, "domainName": "CONTOSO"}],
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
            "filePath": format!("C:\\Users\\{}\\Downloads", v.account), "fileSize": 482_304,
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

/// The Graph spelling of `instant`.
fn time(instant: DateTime<Utc>) -> String {
    Timestamp::from_instant(instant).as_str().to_owned()
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
    /// The scenario's alerts, with activity ending `now`.
    pub fn alerts(&self, now: DateTime<Utc>) -> Vec<Value> {
        match *self {
            Scenario::MultiStage => multi_stage(now),
            Scenario::Load {
                incidents,
                alerts_per_incident,
            } => load(now, incidents, alerts_per_incident),
        }
    }
}

#[cfg(test)]
mod tests {
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
