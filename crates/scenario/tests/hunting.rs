#![cfg(test)]
//! The hunting events behind the generated alerts: they name the alerts' entities, their process
//! trees chain, their mail joins its URLs, every alert has its alert rows, every column is one the
//! advanced hunting reference documents (with a value of its documented type), and the background
//! keeps its proportions.
//!
//! The documented columns are read from the reference specs (`TANDEM_SPECS_DIR/hunting/`, see
//! `tandem_testkit::specs_dir`), except `DeviceFileEvents`, which the specs lack
//! (`tests/schema/`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use serde_json::Value;
use tandem_model::Timestamp;
use tandem_scenario::hunting::{NOISE_SHARES, Row, Volume, table};
use tandem_scenario::{HuntingEvents, Scenario};

const SEED: u64 = 20_240_501;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap()
}

/// The multi-stage scenario's alerts and events, from one seed.
fn multi_stage() -> (Vec<Value>, HuntingEvents) {
    let scenario = Scenario::MultiStage;
    (
        scenario.alerts_seeded(now(), SEED),
        HuntingEvents::for_scenario(&scenario, now(), SEED),
    )
}

fn text<'a>(row: &'a Row, column: &str) -> &'a str {
    row.get(column).and_then(Value::as_str).unwrap_or_default()
}

fn instant(text: &str) -> DateTime<Utc> {
    Timestamp::parse(text).unwrap().instant()
}

/// The evidence of `alert` of Graph type `kind` (e.g. `processEvidence`).
fn evidence<'a>(alert: &'a Value, kind: &str) -> &'a Value {
    let kind = format!("#microsoft.graph.security.{kind}");
    alert["evidence"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["@odata.type"] == kind.as_str())
        .unwrap_or_else(|| panic!("no {kind} in {}", alert["id"]))
}

/// The alert whose id ends with `suffix`.
fn alert<'a>(alerts: &'a [Value], suffix: &str) -> &'a Value {
    alerts
        .iter()
        .find(|a| a["id"].as_str().unwrap().ends_with(suffix))
        .unwrap()
}

fn rows_where<'a>(
    events: &'a HuntingEvents,
    name: &str,
    keep: impl Fn(&Row) -> bool,
) -> Vec<&'a Row> {
    events.table(name).iter().filter(|r| keep(r)).collect()
}

/// The `ProcessCreated` row of the process `pid` started at `created` on `device`.
fn creation<'a>(
    events: &'a HuntingEvents,
    device: &str,
    pid: &Value,
    created: &str,
) -> Option<&'a Row> {
    events.table(table::DEVICE_PROCESS_EVENTS).iter().find(|r| {
        text(r, "DeviceId") == device
            && r["ProcessId"] == *pid
            && text(r, "ProcessCreationTime") == created
    })
}

#[test]
fn the_malware_s_process_tree_chains_from_the_payload_up_to_the_user_s_shell() {
    let (alerts, events) = multi_stage();
    let malware = alert(&alerts, "-malware");
    let process = evidence(malware, "processEvidence");
    let device = process["mdeDeviceId"].as_str().unwrap();
    let payload = creation(
        &events,
        device,
        &process["processId"],
        process["processCreationDateTime"].as_str().unwrap(),
    )
    .expect("the payload's ProcessCreated row");
    assert_eq!(payload["InitiatingProcessId"], process["parentProcessId"]);
    assert_eq!(payload["SHA256"], process["imageFile"]["sha256"]);
    assert_eq!(payload["FileName"], process["imageFile"]["fileName"]);
    assert_eq!(payload["ProcessCommandLine"], process["processCommandLine"]);
    assert_eq!(payload["AccountSid"], process["userAccount"]["userSid"]);

    let mut chain = vec![text(payload, "FileName").to_owned()];
    let mut row = payload;
    while let Some(parent) = creation(
        &events,
        device,
        &row["InitiatingProcessId"],
        text(row, "InitiatingProcessCreationTime"),
    ) {
        assert_eq!(parent["FileName"], row["InitiatingProcessFileName"]);
        assert_eq!(
            parent["ProcessCommandLine"],
            row["InitiatingProcessCommandLine"]
        );
        assert_eq!(
            parent["InitiatingProcessId"],
            row["InitiatingProcessParentId"]
        );
        assert_eq!(
            parent["InitiatingProcessFileName"],
            row["InitiatingProcessParentFileName"]
        );
        assert_eq!(
            parent["InitiatingProcessCreationTime"],
            row["InitiatingProcessParentCreationTime"]
        );
        assert!(text(parent, "Timestamp") <= text(row, "Timestamp"));
        chain.push(text(parent, "FileName").to_owned());
        row = parent;
    }
    assert_eq!(
        chain,
        [
            "invoice_viewer.exe",
            "powershell.exe",
            "WINWORD.EXE",
            "msedge.exe",
            "OUTLOOK.EXE",
            "explorer.exe"
        ]
    );
}

#[test]
fn the_endpoint_rows_are_on_the_alert_s_device_and_name_its_file_and_address() {
    let (alerts, events) = multi_stage();
    let malware = alert(&alerts, "-malware");
    let device = evidence(malware, "deviceEvidence");
    let file = &evidence(malware, "fileEvidence")["fileDetails"];
    let attacker = evidence(alert(&alerts, "-signin"), "ipEvidence")["ipAddress"]
        .as_str()
        .unwrap();
    for name in [
        table::DEVICE_PROCESS_EVENTS,
        table::DEVICE_FILE_EVENTS,
        table::DEVICE_NETWORK_EVENTS,
        table::DEVICE_LOGON_EVENTS,
    ] {
        assert!(!events.table(name).is_empty(), "{name}");
        for row in events.table(name) {
            assert_eq!(row["DeviceId"], device["mdeDeviceId"], "{name}");
            assert_eq!(row["DeviceName"], device["deviceDnsName"], "{name}");
        }
    }
    let written = rows_where(&events, table::DEVICE_FILE_EVENTS, |r| {
        r["SHA256"] == file["sha256"] && text(r, "ActionType") == "FileCreated"
    });
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["FileName"], file["fileName"]);
    assert_eq!(
        text(written[0], "FolderPath"),
        format!(
            "{}\\{}",
            file["filePath"].as_str().unwrap(),
            file["fileName"].as_str().unwrap()
        )
    );
    assert_eq!(
        written[0]["FileOriginUrl"],
        evidence(malware, "urlEvidence")["url"]
    );
    assert!(text(written[0], "Timestamp") < malware["firstActivityDateTime"].as_str().unwrap());

    let first = instant(malware["firstActivityDateTime"].as_str().unwrap());
    let last = instant(malware["lastActivityDateTime"].as_str().unwrap());
    let beacons = rows_where(&events, table::DEVICE_NETWORK_EVENTS, |r| {
        text(r, "InitiatingProcessFileName") == file["fileName"]
    });
    assert!(beacons.len() >= 3, "{}", beacons.len());
    for beacon in beacons {
        assert_eq!(text(beacon, "RemoteIP"), attacker);
        assert_eq!(text(beacon, "RemoteIPType"), "Public");
        let at = instant(text(beacon, "Timestamp"));
        assert!(first <= at && at <= last, "{at} outside {first}..{last}");
    }
}

#[test]
fn the_phishing_mail_joins_its_url_and_names_the_alert_s_sender_and_recipient() {
    let (alerts, events) = multi_stage();
    let mail_alert = alert(&alerts, "-mail");
    let message = evidence(mail_alert, "analyzedMessageEvidence");
    let mails = rows_where(&events, table::EMAIL_EVENTS, |r| {
        r["NetworkMessageId"] == message["networkMessageId"]
    });
    assert_eq!(mails.len(), 1);
    let mail = mails[0];
    assert_eq!(mail["InternetMessageId"], message["internetMessageId"]);
    assert_eq!(
        mail["SenderFromAddress"],
        message["p1Sender"]["emailAddress"]
    );
    assert_eq!(
        mail["RecipientEmailAddress"],
        message["recipientEmailAddress"]
    );
    assert_eq!(mail["SenderIPv4"], message["senderIp"]);
    assert_eq!(mail["Subject"], message["subject"]);
    assert_eq!(mail["EmailDirection"], "Inbound");
    assert_eq!(mail["DeliveryAction"], "Delivered");
    assert_eq!(mail["Timestamp"], mail_alert["firstActivityDateTime"]);

    let urls = rows_where(&events, table::EMAIL_URL_INFO, |r| {
        r["NetworkMessageId"] == message["networkMessageId"]
    });
    let listed: Vec<&Value> = urls.iter().map(|r| &r["Url"]).collect();
    assert_eq!(
        listed,
        message["urls"]
            .as_array()
            .unwrap()
            .iter()
            .collect::<Vec<_>>()
    );
    assert_eq!(mail["UrlCount"], urls.len());
    let url = text(urls[0], "Url");
    assert!(url.contains(text(urls[0], "UrlDomain")));
}

#[test]
fn the_sign_in_and_the_download_come_from_the_attacker_s_address_within_their_alerts() {
    let (alerts, events) = multi_stage();
    let sign_in = alert(&alerts, "-signin");
    let user = &evidence(sign_in, "userEvidence")["userAccount"];
    let attacker = evidence(sign_in, "ipEvidence")["ipAddress"]
        .as_str()
        .unwrap();
    let within = |alert: &Value, row: &Row| {
        let at = instant(text(row, "Timestamp"));
        instant(alert["firstActivityDateTime"].as_str().unwrap()) <= at
            && at <= instant(alert["lastActivityDateTime"].as_str().unwrap())
    };

    let logons = events.table(table::IDENTITY_LOGON_EVENTS);
    assert!(
        logons
            .iter()
            .any(|r| text(r, "ActionType") == "LogonFailed")
    );
    let success: Vec<&Row> = logons
        .iter()
        .filter(|r| text(r, "ActionType") == "LogonSuccess")
        .collect();
    assert_eq!(success.len(), 1);
    for row in logons {
        assert_eq!(text(row, "IPAddress"), attacker);
        assert_eq!(row["AccountUpn"], user["userPrincipalName"]);
        assert_eq!(row["AccountObjectId"], user["azureAdUserId"]);
        assert!(within(sign_in, row));
    }
    let remote = rows_where(&events, table::DEVICE_LOGON_EVENTS, |r| {
        text(r, "RemoteIP") == attacker
    });
    assert!(remote.iter().any(|r| {
        text(r, "LogonType") == "RemoteInteractive"
            && text(r, "ActionType") == "LogonSuccess"
            && text(r, "RemoteIPType") == "Public"
    }));
    assert!(
        remote
            .iter()
            .all(|r| r["AccountSid"] == user["userSid"] && within(sign_in, r))
    );

    let download = alert(&alerts, "-download");
    let app = evidence(download, "cloudApplicationEvidence");
    let downloads = events.table(table::CLOUD_APP_EVENTS);
    let described = download["description"].as_str().unwrap();
    let count = format!("{}", downloads.len());
    let with_comma = format!(
        "{},{}",
        &count[..count.len() - 3],
        &count[count.len() - 3..]
    );
    assert!(described.contains(&with_comma), "{described} vs {count}");
    for row in downloads {
        assert_eq!(text(row, "ActionType"), "FileDownloaded");
        assert_eq!(row["Application"], app["displayName"]);
        assert_eq!(row["ApplicationId"], app["appId"]);
        assert_eq!(text(row, "IPAddress"), attacker);
        assert_eq!(row["AccountObjectId"], user["azureAdUserId"]);
        assert_eq!(row["RawEventData"]["UserId"], user["userPrincipalName"]);
        assert_eq!(row["RawEventData"]["Operation"], "FileDownloaded");
        assert!(within(download, row));
    }
}

/// Every alert of `alerts` has one `AlertInfo` row and one `AlertEvidence` row per evidence, under
/// its id, title and severity.
fn assert_alert_rows(alerts: &[Value], events: &HuntingEvents) {
    assert_eq!(events.table(table::ALERT_INFO).len(), alerts.len());
    for alert in alerts {
        let id = alert["id"].as_str().unwrap();
        let info = rows_where(events, table::ALERT_INFO, |r| text(r, "AlertId") == id);
        assert_eq!(info.len(), 1, "{id}");
        assert_eq!(info[0]["Title"], alert["title"]);
        assert_eq!(info[0]["Category"], alert["category"]);
        assert_eq!(info[0]["Timestamp"], alert["lastActivityDateTime"]);
        assert!(text(info[0], "ServiceSource").starts_with("Microsoft Defender for"));
        let severity = text(info[0], "Severity");
        assert_eq!(severity.to_lowercase(), alert["severity"].as_str().unwrap());
        assert!(severity.starts_with(char::is_uppercase));
        let techniques: Vec<String> =
            serde_json::from_str(text(info[0], "AttackTechniques")).unwrap();
        for technique in alert["mitreTechniques"].as_array().unwrap() {
            let technique = technique.as_str().unwrap();
            assert!(
                techniques.iter().any(|t| t.contains(technique)),
                "{technique}"
            );
        }
        let rows = rows_where(events, table::ALERT_EVIDENCE, |r| text(r, "AlertId") == id);
        assert!(!rows.is_empty(), "{id}");
        assert_eq!(
            rows.len(),
            alert["evidence"].as_array().unwrap().len(),
            "{id}"
        );
        for row in rows {
            assert_eq!(row["Title"], alert["title"]);
            assert!(!text(row, "EntityType").is_empty());
            assert!(["Impacted", "Related"].contains(&text(row, "EvidenceRole")));
        }
    }
}

#[test]
fn every_alert_has_its_alert_info_and_evidence_rows() {
    let (alerts, events) = multi_stage();
    assert_alert_rows(&alerts, &events);
    let machine = rows_where(&events, table::ALERT_EVIDENCE, |r| {
        text(r, "EntityType") == "Machine"
    });
    let device = evidence(alert(&alerts, "-malware"), "deviceEvidence");
    assert_eq!(machine[0]["DeviceName"], device["deviceDnsName"]);

    let load = Scenario::Load {
        incidents: 3,
        alerts_per_incident: 5,
    };
    let alerts = load.alerts_seeded(now(), SEED);
    assert_alert_rows(&alerts, &HuntingEvents::for_scenario(&load, now(), SEED));
}

#[test]
fn each_load_alert_s_tool_is_written_and_started_on_its_incident_s_device() {
    let load = Scenario::Load {
        incidents: 2,
        alerts_per_incident: 4,
    };
    let alerts = load.alerts_seeded(now(), SEED);
    let events = HuntingEvents::for_scenario(&load, now(), SEED);
    for alert in &alerts {
        let device = evidence(alert, "deviceEvidence")["mdeDeviceId"]
            .as_str()
            .unwrap();
        let file = &evidence(alert, "fileEvidence")["fileDetails"];
        for name in [table::DEVICE_FILE_EVENTS, table::DEVICE_PROCESS_EVENTS] {
            let found = rows_where(&events, name, |r| {
                text(r, "DeviceId") == device && r["SHA256"] == file["sha256"]
            });
            assert_eq!(found.len(), 1, "{name} {}", alert["id"]);
            assert_eq!(found[0]["FileName"], file["fileName"]);
        }
    }
    let encoded = rows_where(&events, table::DEVICE_PROCESS_EVENTS, |r| {
        text(r, "FileName") == "powershell.exe"
            && text(r, "ProcessCommandLine").contains("-EncodedCommand")
    });
    assert_eq!(encoded.len(), 2, "one Execution alert per incident");
}

#[test]
fn a_seed_always_gives_the_same_rows_and_another_seed_other_rows() {
    let scenario = Scenario::MultiStage;
    let once = HuntingEvents::for_scenario(&scenario, now(), 7);
    assert_eq!(once, HuntingEvents::for_scenario(&scenario, now(), 7));
    assert_ne!(once, HuntingEvents::for_scenario(&scenario, now(), 8));
    assert_eq!(
        scenario.alerts_seeded(now(), 7),
        scenario.alerts_seeded(now(), 7)
    );
    let window = now() - TimeDelta::hours(1)..now();
    let noise = HuntingEvents::noise(3, Volume::Count(500), window.clone());
    assert_eq!(
        noise,
        HuntingEvents::noise(3, Volume::Count(500), window.clone())
    );
    assert_ne!(noise, HuntingEvents::noise(4, Volume::Count(500), window));
}

#[test]
fn the_background_keeps_its_proportions_and_its_window() {
    let window = now() - TimeDelta::hours(4)..now();
    let rows = 6_000;
    let noise = HuntingEvents::noise(11, Volume::Count(rows), window.clone());
    assert_eq!(noise.len(), rows);
    for (name, share) in NOISE_SHARES {
        let got = noise.table(name).len() as f64 * 100.0 / rows as f64;
        assert!(
            (got - share as f64).abs() <= 1.0,
            "{name}: {got:.1}% of the rows, {share}% expected"
        );
    }
    let device: usize = [
        table::DEVICE_PROCESS_EVENTS,
        table::DEVICE_FILE_EVENTS,
        table::DEVICE_NETWORK_EVENTS,
        table::DEVICE_LOGON_EVENTS,
    ]
    .iter()
    .map(|name| noise.table(name).len())
    .sum();
    assert!(device * 2 > rows, "the endpoint tables carry most rows");
    assert!(noise.table(table::ALERT_INFO).is_empty());
    for rows in noise.tables.values() {
        for row in rows {
            let at = instant(text(row, "Timestamp"));
            assert!(window.contains(&at), "{at}");
        }
        let stamps: Vec<&str> = rows.iter().map(|r| text(r, "Timestamp")).collect();
        assert!(stamps.is_sorted(), "each table is in time order");
    }
    let mails = noise.table(table::EMAIL_EVENTS);
    for url in noise.table(table::EMAIL_URL_INFO) {
        assert!(
            mails
                .iter()
                .any(|m| m["NetworkMessageId"] == url["NetworkMessageId"])
        );
    }
    let per_minute = HuntingEvents::noise(11, Volume::PerMinute(3), window);
    assert_eq!(per_minute.len(), 3 * 240);
}

#[test]
fn the_values_published_hunts_filter_on_occur() {
    let (_, mut events) = multi_stage();
    events.extend(HuntingEvents::noise(
        5,
        Volume::Count(3_000),
        now() - TimeDelta::hours(3)..now(),
    ));
    let expected: [(&str, &str, &str); 14] = [
        (
            table::DEVICE_PROCESS_EVENTS,
            "InitiatingProcessFileName",
            "powershell.exe",
        ),
        (table::DEVICE_PROCESS_EVENTS, "ActionType", "ProcessCreated"),
        (table::DEVICE_FILE_EVENTS, "ActionType", "FileCreated"),
        (
            table::DEVICE_NETWORK_EVENTS,
            "ActionType",
            "ConnectionSuccess",
        ),
        (
            table::DEVICE_NETWORK_EVENTS,
            "ActionType",
            "ConnectionFailed",
        ),
        (
            table::DEVICE_NETWORK_EVENTS,
            "ActionType",
            "InboundConnectionAccepted",
        ),
        (table::DEVICE_NETWORK_EVENTS, "LocalIPType", "Private"),
        (table::DEVICE_LOGON_EVENTS, "ActionType", "LogonFailed"),
        (table::DEVICE_LOGON_EVENTS, "LogonType", "Network"),
        (table::EMAIL_EVENTS, "DeliveryAction", "Junked"),
        (table::EMAIL_EVENTS, "EmailDirection", "Outbound"),
        (
            table::IDENTITY_LOGON_EVENTS,
            "LogonType",
            "Credentials validation",
        ),
        (table::IDENTITY_LOGON_EVENTS, "Protocol", "Ntlm"),
        (table::CLOUD_APP_EVENTS, "ActionType", "MailItemsAccessed"),
    ];
    for (name, column, value) in expected {
        assert!(
            events.table(name).iter().any(|r| text(r, column) == value),
            "{name}.{column} == {value:?}"
        );
    }
}

/// A table's documented columns and their types, from a reference page's column table.
fn documented_columns(page: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
    text.lines()
        .filter_map(|line| {
            let mut cells = line.split('|').map(str::trim).skip(1);
            let name = cells.next()?.trim_end_matches('*');
            let kind = cells.next()?;
            let unquote = |cell: &str| cell.strip_prefix('`')?.strip_suffix('`').map(str::to_owned);
            Some((unquote(name)?, unquote(kind)?))
        })
        .collect()
}

/// Where `table`'s reference page is.
fn reference_page(specs: &Path, name: &str) -> std::path::PathBuf {
    let file = format!("advanced-hunting-{}-table.md", name.to_lowercase());
    if name == table::DEVICE_FILE_EVENTS {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/schema")
            .join(file)
    } else {
        specs.join("hunting").join(file)
    }
}

/// Whether `value` is what the documented `kind` of a column holds.
fn has_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "datetime" => value
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && Timestamp::parse(t).is_ok()),
        "long" | "int" => value.is_i64() || value.is_u64(),
        "bool" | "boolean" => value.is_boolean(),
        "dynamic" => true,
        _ => false,
    }
}

#[test]
fn every_column_is_documented_for_its_table_with_a_value_of_its_type() {
    let Some(specs) = tandem_testkit::specs_dir() else {
        return;
    };
    let (_, mut events) = multi_stage();
    let load = Scenario::Load {
        incidents: 2,
        alerts_per_incident: 4,
    };
    events.extend(HuntingEvents::for_scenario(&load, now(), SEED));
    events.extend(HuntingEvents::noise(
        SEED,
        Volume::Count(2_000),
        now() - TimeDelta::hours(2)..now(),
    ));
    let tables: BTreeSet<&str> = events.tables.keys().copied().collect();
    assert_eq!(tables, table::ALL.into_iter().collect());
    for (name, rows) in &events.tables {
        let columns = documented_columns(&reference_page(&specs, name));
        assert!(
            columns.len() >= 6,
            "{name}: {} columns parsed",
            columns.len()
        );
        for row in rows {
            for (column, value) in row {
                if column == table::TIME_GENERATED {
                    assert_eq!(*value, row[table::TIMESTAMP]);
                    continue;
                }
                let kind = columns
                    .get(column)
                    .unwrap_or_else(|| panic!("{name}.{column} is not documented"));
                assert!(
                    has_type(value, kind),
                    "{name}.{column} = {value} is not a {kind}"
                );
            }
            assert!(row.contains_key(table::TIMESTAMP), "{name}");
            assert_eq!(
                row.contains_key("ReportId"),
                columns.contains_key("ReportId"),
                "{name}: ReportId"
            );
        }
    }
}
