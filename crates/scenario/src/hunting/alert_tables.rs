//! The alert tables: `AlertInfo` (one row per alert) and `AlertEvidence` (one row per entity an
//! alert names), written from the alerts themselves as the XDR receives them.
//!
//! `AlertId` is the alert's `id`, which the XDR's intake keeps as given. Graph's camel-case enum
//! members become the advanced hunting spellings: `High`, `Microsoft Defender for Endpoint`, `EDR`;
//! the MITRE technique ids become `Name (T1234.001)` entries of a JSON array.

use std::collections::HashMap;

use serde_json::{Value, json};
use tandem_model::Timestamp;

use super::table::{ALERT_EVIDENCE, ALERT_INFO};
use super::{Recorder, merge};

impl Recorder {
    /// Records `alert` (a Graph alert as posted to the intake): its `AlertInfo` row and an
    /// `AlertEvidence` row per evidence, at the alert's last activity. An alert without a readable
    /// `lastActivityDateTime` is not one of ours and is left out.
    pub fn alert(&mut self, alert: &Value) {
        let Some(at) = text(alert, "lastActivityDateTime")
            .and_then(|t| Timestamp::parse(t).ok())
            .map(|t| t.instant())
        else {
            return;
        };
        let category = text(alert, "category").unwrap_or_default();
        let shared = json!({
            "AlertId": text(alert, "id").unwrap_or_default(),
            "Title": text(alert, "title").unwrap_or_default(),
            "Severity": capitalized(text(alert, "severity").unwrap_or_default()),
            "ServiceSource": service_source(text(alert, "serviceSource").unwrap_or_default()),
            "DetectionSource": detection_source(text(alert, "detectionSource").unwrap_or_default()),
            "AttackTechniques": attack_techniques(alert),
        });
        let mut info = shared.clone();
        merge(&mut info, json!({ "Category": category }));
        self.push(ALERT_INFO, at, info);
        let evidence = alert
            .get("evidence")
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice);
        let devices = device_names(evidence);
        for entity in evidence {
            let mut row = shared.clone();
            merge(
                &mut row,
                json!({ "Categories": json!([category]).to_string() }),
            );
            merge(&mut row, entity_columns(alert, entity, &devices));
            self.push(ALERT_EVIDENCE, at, row);
        }
    }
}

/// The `EntityType`, `EvidenceRole` and entity columns of one evidence.
fn entity_columns(alert: &Value, entity: &Value, devices: &HashMap<&str, &str>) -> Value {
    let kind = text(entity, "@odata.type")
        .unwrap_or_default()
        .trim_start_matches("#microsoft.graph.security.");
    let (entity_type, role) = match kind {
        "deviceEvidence" => ("Machine", "Impacted"),
        "userEvidence" => ("User", "Impacted"),
        "mailboxEvidence" => ("Mailbox", "Impacted"),
        "analyzedMessageEvidence" => ("MailMessage", "Related"),
        "urlEvidence" => ("Url", "Related"),
        "ipEvidence" => ("Ip", "Related"),
        "fileEvidence" => ("File", "Related"),
        "processEvidence" => ("Process", "Related"),
        "cloudApplicationEvidence" => ("CloudApplication", "Related"),
        _ => ("GenericEntity", "Related"),
    };
    let mut columns = json!({ "EntityType": entity_type, "EvidenceRole": role });
    let device_id = text(entity, "mdeDeviceId").unwrap_or_default();
    if !device_id.is_empty() {
        let name = devices.get(device_id).copied().unwrap_or_default();
        merge(
            &mut columns,
            json!({ "DeviceId": device_id, "DeviceName": name }),
        );
    }
    merge(&mut columns, account_columns(entity));
    merge(&mut columns, specific_columns(kind, alert, entity));
    columns
}

/// The columns only one kind of evidence fills.
fn specific_columns(kind: &str, alert: &Value, entity: &Value) -> Value {
    let get = |path: &[&str]| path_text(entity, path).unwrap_or_default().to_owned();
    match kind {
        "deviceEvidence" => json!({
            "AdditionalFields": json!({
                "OSPlatform": get(&["osPlatform"]),
                "AadDeviceId": get(&["azureAdDeviceId"]),
                "HealthStatus": get(&["healthStatus"]),
                "RiskScore": get(&["riskScore"]),
            }).to_string(),
        }),
        "mailboxEvidence" => json!({ "AccountUpn": get(&["primaryAddress"]) }),
        "analyzedMessageEvidence" => json!({
            "NetworkMessageId": get(&["networkMessageId"]),
            "EmailSubject": get(&["subject"]),
            "AdditionalFields": json!({
                "InternetMessageId": get(&["internetMessageId"]),
                "Sender": get(&["p1Sender", "emailAddress"]),
                "Recipient": get(&["recipientEmailAddress"]),
                "SenderIp": get(&["senderIp"]),
            }).to_string(),
        }),
        "urlEvidence" => json!({ "RemoteUrl": get(&["url"]) }),
        "ipEvidence" => json!({ "RemoteIP": get(&["ipAddress"]), "EvidenceDirection": "Source" }),
        "fileEvidence" => file_columns(alert, &entity["fileDetails"]),
        "processEvidence" => {
            let mut columns = file_columns(alert, &entity["imageFile"]);
            merge(
                &mut columns,
                json!({
                    "ProcessCommandLine": get(&["processCommandLine"]),
                    "AdditionalFields": json!({
                        "ProcessId": entity["processId"],
                        "ParentProcessId": entity["parentProcessId"],
                        "CreationTimeUtc": get(&["processCreationDateTime"]),
                    }).to_string(),
                }),
            );
            columns
        }
        "cloudApplicationEvidence" => json!({
            "Application": get(&["displayName"]),
            "ApplicationId": entity["appId"],
        }),
        _ => json!({ "AdditionalFields": entity.to_string() }),
    }
}

/// The file columns of a Graph `fileDetails` (or `imageFile`); `FileSize` where it is known.
fn file_columns(alert: &Value, file: &Value) -> Value {
    let mut columns = json!({
        "FileName": path_text(file, &["fileName"]).unwrap_or_default(),
        "FolderPath": path_text(file, &["filePath"]).unwrap_or_default(),
        "SHA1": path_text(file, &["sha1"]).unwrap_or_default(),
        "SHA256": path_text(file, &["sha256"]).unwrap_or_default(),
        "ThreatFamily": text(alert, "threatFamilyName").unwrap_or_default(),
    });
    if let Some(size) = file.get("fileSize").filter(|s| s.is_u64()) {
        merge(&mut columns, json!({ "FileSize": size }));
    }
    columns
}

/// The account columns of an evidence's `userAccount`, where it has one.
fn account_columns(entity: &Value) -> Value {
    let Some(account) = entity.get("userAccount").filter(|a| a.is_object()) else {
        return json!({});
    };
    let get = |key: &str| text(account, key).unwrap_or_default();
    json!({
        "AccountName": get("accountName"),
        "AccountDomain": get("domainName"),
        "AccountSid": get("userSid"),
        "AccountObjectId": get("azureAdUserId"),
        "AccountUpn": get("userPrincipalName"),
    })
}

/// The device names of an alert's device evidence, by Defender device id.
fn device_names(evidence: &[Value]) -> HashMap<&str, &str> {
    evidence
        .iter()
        .filter_map(|e| Some((text(e, "mdeDeviceId")?, text(e, "deviceDnsName")?)))
        .collect()
}

/// `AttackTechniques`: a JSON array of `Name (Id)`, in the alert's order.
fn attack_techniques(alert: &Value) -> String {
    let techniques: Vec<String> = alert
        .get("mitreTechniques")
        .and_then(Value::as_array)
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter_map(Value::as_str)
        .map(|id| match technique_name(id) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_owned(),
        })
        .collect();
    json!(techniques).to_string()
}

/// The MITRE ATT&CK name of the techniques the scenarios use.
fn technique_name(id: &str) -> Option<&'static str> {
    Some(match id {
        "T1566.002" => "Spearphishing Link",
        "T1204.001" => "Malicious Link",
        "T1204.002" => "Malicious File",
        "T1059.001" => "PowerShell",
        "T1078.004" => "Cloud Accounts",
        "T1110.003" => "Password Spraying",
        "T1530" => "Data from Cloud Storage",
        "T1053.005" => "Scheduled Task",
        "T1003.001" => "LSASS Memory",
        "T1071.001" => "Web Protocols",
        _ => return None,
    })
}

/// The advanced hunting name of a Graph `serviceSource`.
fn service_source(graph: &str) -> String {
    match graph {
        "microsoftDefenderForEndpoint" => "Microsoft Defender for Endpoint".into(),
        "microsoftDefenderForOffice365" => "Microsoft Defender for Office 365".into(),
        "microsoftDefenderForIdentity" => "Microsoft Defender for Identity".into(),
        "microsoftDefenderForCloudApps" => "Microsoft Defender for Cloud Apps".into(),
        "microsoft365Defender" => "Microsoft Defender XDR".into(),
        other => other.into(),
    }
}

/// The advanced hunting name of a Graph `detectionSource`.
fn detection_source(graph: &str) -> String {
    match graph {
        "microsoftDefenderForEndpoint" => "EDR".into(),
        "antivirus" => "Antivirus".into(),
        "smartScreen" => "SmartScreen".into(),
        "customDetection" => "Custom detection".into(),
        "automatedInvestigation" => "Automated investigation".into(),
        "cloudAppSecurity" | "microsoftDefenderForCloudApps" => {
            "Microsoft Defender for Cloud Apps".into()
        }
        other => service_source(other),
    }
}

/// `medium` → `Medium`.
fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value.get(key).and_then(Value::as_str)
}

fn path_text<'a>(value: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_spellings_become_hunting_spellings() {
        assert_eq!(capitalized("medium"), "Medium");
        assert_eq!(capitalized(""), "");
        assert_eq!(detection_source("antivirus"), "Antivirus");
        assert_eq!(
            detection_source("microsoftDefenderForIdentity"),
            "Microsoft Defender for Identity"
        );
        let alert = json!({ "mitreTechniques": ["T1059.001", "T9999"] });
        assert_eq!(
            attack_techniques(&alert),
            r#"["PowerShell (T1059.001)","T9999"]"#
        );
    }
}
