//! What one generated attack is made of, before it is written down: the entities it revolves around
//! and its timeline.
//!
//! The alerts (`alerts.rs`) and the hunting events behind them (`hunting/`) are both rendered from
//! the same plan, so the device, account, addresses, hashes and times an analyst finds in the raw
//! events are exactly those the alerts name.

use chrono::{DateTime, TimeDelta, Utc};
use tandem_model::Timestamp;
use uuid::Uuid;

use crate::Scenario;

/// The victim's display name.
pub(crate) const VICTIM_DISPLAY_NAME: &str = "Kai Carter";
/// The victim's domain, as Windows spells it in `DOMAIN\account`.
pub(crate) const VICTIM_NETBIOS_DOMAIN: &str = "CONTOSO";
/// The victim's DNS domain.
pub(crate) const VICTIM_DNS_DOMAIN: &str = "contoso.com";

/// The phishing mail's subject.
pub(crate) const PHISH_SUBJECT: &str = "Action required: your mailbox storage is full";
/// The phishing mail's sender address.
pub(crate) const PHISH_SENDER: &str = "it-support@contoso-sso.example";
/// The phishing mail's sender display name.
pub(crate) const PHISH_SENDER_NAME: &str = "IT Support";
/// The phishing mail sender's domain.
pub(crate) const PHISH_SENDER_DOMAIN: &str = "contoso-sso.example";

/// The file name of the malware the phishing link leads to.
pub(crate) const PAYLOAD_NAME: &str = "invoice_viewer.exe";
/// The malware's size in bytes.
pub(crate) const PAYLOAD_SIZE: u64 = 482_304;
/// The malware's process id on the victim's device.
pub(crate) const PAYLOAD_PID: u32 = 7412;
/// The process id of the PowerShell that launched the malware.
pub(crate) const PAYLOAD_PARENT_PID: u32 = 5120;
/// The malware's command line.
pub(crate) const PAYLOAD_COMMAND_LINE: &str = "\"invoice_viewer.exe\" /silent";

/// How many files the attacker downloads from OneDrive.
pub(crate) const MASS_DOWNLOAD_FILES: usize = 1432;
/// Defender for Cloud Apps' id of Microsoft OneDrive for Business.
pub(crate) const ONEDRIVE_APP_ID: u32 = 15600;
/// Defender for Cloud Apps' name of OneDrive for Business.
pub(crate) const ONEDRIVE_APP_NAME: &str = "Microsoft OneDrive for Business";

/// The entities one simulated attack revolves around.
#[derive(Debug, Clone)]
pub(crate) struct Victim {
    pub upn: String,
    pub user_id: String,
    pub user_sid: String,
    pub account: String,
    pub device_id: String,
    pub aad_device_id: String,
    pub device_name: String,
    /// The device's address on the corporate network.
    pub device_ip: String,
    pub attacker_ip: String,
    pub phishing_url: String,
    pub payload_sha256: String,
    pub payload_sha1: String,
    pub payload_md5: String,
}

impl Victim {
    /// Entities derived from `seed`, so every seed names different ones.
    pub fn new(seed: &str) -> Victim {
        let id = |label: &str| derived_uuid(&format!("{seed}/{label}"));
        let hex = |label: &str, len: usize| derived_hex(&format!("{seed}/{label}"), len);
        let short = &hex("short", 6);
        let bytes = id("ip").into_bytes();
        Victim {
            upn: format!("kai.carter.{short}@{VICTIM_DNS_DOMAIN}"),
            user_id: id("user").to_string(),
            user_sid: format!("S-1-5-21-{}-{}-{}-1104", bytes[0], bytes[1], bytes[2]),
            account: format!("kai.carter.{short}"),
            device_id: hex("device", 40),
            aad_device_id: id("aad-device").to_string(),
            device_name: format!("ws-{short}.{VICTIM_DNS_DOMAIN}"),
            device_ip: format!("10.20.{}.{}", bytes[6], bytes[7] % 250 + 2),
            attacker_ip: format!(
                "45.{}.{}.{}",
                bytes[3] % 200 + 10,
                bytes[4],
                bytes[5] % 250 + 1
            ),
            phishing_url: format!("https://login-{short}.contoso-sso.example/owa/auth"),
            payload_sha256: hex("payload-sha256", 64),
            payload_sha1: hex("payload-sha1", 40),
            payload_md5: hex("payload-md5", 32),
        }
    }

    /// The folder the victim's browser saves downloads in.
    pub fn downloads_folder(&self) -> String {
        format!("C:\\Users\\{}\\Downloads", self.account)
    }

    /// The host part of the phishing URL.
    pub fn phishing_host(&self) -> &str {
        url_host(&self.phishing_url)
    }
}

/// The host of `url` (`https://host/path` → `host`).
pub(crate) fn url_host(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// A UUID derived from `label`: the same label always names the same one.
pub(crate) fn derived_uuid(label: &str) -> Uuid {
    Uuid::new_v5(&Uuid::NAMESPACE_OID, label.as_bytes())
}

/// `len` (at most 64) hex digits derived from `label`, for hashes and device ids.
pub(crate) fn derived_hex(label: &str, len: usize) -> String {
    let mut out = format!(
        "{}{}",
        derived_uuid(label).simple(),
        derived_uuid(&format!("{label}+")).simple()
    );
    out.truncate(len);
    out
}

/// The ISO 8601 UTC spelling of `instant` that Graph and Log Analytics both write: seven fraction
/// digits and `Z`.
pub(crate) fn time(instant: DateTime<Utc>) -> String {
    Timestamp::from_instant(instant).as_str().to_owned()
}

/// The run label a seed names: every entity of the run derives from it.
pub(crate) fn run_label(seed: u64) -> String {
    derived_uuid(&format!("tandem-scenario/{seed}"))
        .simple()
        .to_string()
}

/// A seed no earlier run used, for runs that must not correlate with each other.
pub(crate) fn fresh_seed() -> u64 {
    Uuid::new_v4().as_u64_pair().0
}

/// When one stage of an attack was active.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
}

impl Span {
    /// From `first_minutes_ago` to `last_minutes_ago` before `now`.
    fn before(now: DateTime<Utc>, first_minutes_ago: i64, last_minutes_ago: i64) -> Span {
        Span {
            first: now - TimeDelta::minutes(first_minutes_ago),
            last: now - TimeDelta::minutes(last_minutes_ago),
        }
    }
}

/// The multi-stage attack: one victim, four stages, one per product.
#[derive(Debug, Clone)]
pub(crate) struct MultiStage {
    pub run: String,
    pub victim: Victim,
    /// The phishing mail arrives, and is purged later.
    pub mail: Span,
    /// The malware is launched and calls home.
    pub malware: Span,
    /// The attacker signs in with the victim's credentials.
    pub sign_in: Span,
    /// The attacker downloads the victim's files.
    pub download: Span,
}

impl MultiStage {
    /// The attack of run `run`, ending `now`.
    pub fn new(now: DateTime<Utc>, run: &str) -> MultiStage {
        MultiStage {
            run: run.to_owned(),
            victim: Victim::new(run),
            mail: Span::before(now, 95, 90),
            malware: Span::before(now, 80, 70),
            sign_in: Span::before(now, 40, 35),
            download: Span::before(now, 20, 5),
        }
    }

    /// The phishing mail's `NetworkMessageId`.
    pub fn network_message_id(&self) -> String {
        derived_uuid(&format!("{}/msg", self.run)).to_string()
    }

    /// The phishing mail's `Message-ID` header.
    pub fn internet_message_id(&self) -> String {
        format!("<{}@mail.{PHISH_SENDER_DOMAIN}>", self.run)
    }
}

/// An endpoint alert kind the load scenario raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EndpointCategory {
    pub category: &'static str,
    pub title: &'static str,
    pub technique: &'static str,
}

/// The endpoint alert kinds of the load scenario, in the order an incident raises them.
pub(crate) const LOAD_CATEGORIES: [EndpointCategory; 4] = [
    EndpointCategory {
        category: "Execution",
        title: "Suspicious PowerShell command line",
        technique: "T1059.001",
    },
    EndpointCategory {
        category: "Persistence",
        title: "Anomalous scheduled task created",
        technique: "T1053.005",
    },
    EndpointCategory {
        category: "CredentialAccess",
        title: "Possible credential dumping from LSASS",
        technique: "T1003.001",
    },
    EndpointCategory {
        category: "CommandAndControl",
        title: "Connection to a known command-and-control server",
        technique: "T1071.001",
    },
];

/// The file name of the tool each load alert finds on the device.
pub(crate) const LOAD_FILE_NAME: &str = "update.exe";

/// One alert of the load scenario.
#[derive(Debug, Clone)]
pub(crate) struct LoadAlert {
    /// The alert id, without its product prefix.
    pub id: String,
    /// The incident's victim, shared by its alerts.
    pub victim: Victim,
    /// The entities of the tool this alert found (its hashes).
    pub file: Victim,
    pub kind: EndpointCategory,
    /// The alert's position within its incident.
    pub index: usize,
    pub first: DateTime<Utc>,
}

/// The alerts of the load scenario of run `run`: `incidents` incidents of `alerts_per_incident` each.
pub(crate) fn load_plan(
    now: DateTime<Utc>,
    run: &str,
    incidents: usize,
    alerts_per_incident: usize,
) -> Vec<LoadAlert> {
    let mut alerts = Vec::with_capacity(incidents * alerts_per_incident);
    for i in 0..incidents {
        let victim = Victim::new(&format!("{run}/{i}"));
        for index in 0..alerts_per_incident {
            let id = format!("{run}-{i}-{index}");
            alerts.push(LoadAlert {
                file: Victim::new(&format!("{id}/file")),
                id,
                victim: victim.clone(),
                kind: LOAD_CATEGORIES[index % LOAD_CATEGORIES.len()],
                index,
                first: now - TimeDelta::minutes((alerts_per_incident - index) as i64 * 3),
            });
        }
    }
    alerts
}

/// A scenario's plan, from which both its alerts and its hunting events are rendered.
#[derive(Debug, Clone)]
pub(crate) enum Plan {
    MultiStage(Box<MultiStage>),
    Load(Vec<LoadAlert>),
}

impl Plan {
    /// The plan of `scenario` for the run `seed` names, ending `now`.
    pub fn new(scenario: &Scenario, now: DateTime<Utc>, seed: u64) -> Plan {
        let run = run_label(seed);
        match *scenario {
            Scenario::MultiStage => Plan::MultiStage(Box::new(MultiStage::new(now, &run))),
            Scenario::Load {
                incidents,
                alerts_per_incident,
            } => Plan::Load(load_plan(now, &run, incidents, alerts_per_incident)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_host_is_the_part_between_scheme_and_path() {
        assert_eq!(url_host("https://a.example/x?y"), "a.example");
        assert_eq!(url_host("a.example"), "a.example");
    }

    #[test]
    fn a_seed_always_names_the_same_run_and_different_seeds_different_runs() {
        assert_eq!(run_label(3), run_label(3));
        assert_ne!(run_label(3), run_label(4));
    }
}
