//! Background activity: what a tenant's hunting tables hold besides an attack.
//!
//! A small tenant (forty people, each with a workstation already logged on, a domain controller and
//! a file server) goes about its day: browsers, Teams and OneDrive talk to Microsoft and the web,
//! services start helpers, people open documents, save downloads, unlock their screens, get mail and
//! use SharePoint. The rows are spread over the tables in the proportions of [`SHARES`] (device
//! tables dominate, as they do in a real tenant) and at random instants of the window, drawn from the
//! seeded generator.

use std::ops::Range;

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::json;

use super::Recorder;
use super::attack::{onedrive_site, work_file_name};
use super::cloud_apps::{CloudActivity, CloudActor, CloudApp, CloudObject, apps};
use super::device::{
    Account, Binary, Connection, Desktop, Device, DeviceLogon, FileEvent, Image, Process, binaries,
};
use super::email::{AUTHENTICATED, Mail, Sender, Verdict};
use super::identity::{Destination, IdentityLogon, Origin};
use super::table::{
    CLOUD_APP_EVENTS, DEVICE_FILE_EVENTS, DEVICE_LOGON_EVENTS, DEVICE_NETWORK_EVENTS,
    DEVICE_PROCESS_EVENTS, EMAIL_EVENTS, EMAIL_URL_INFO, IDENTITY_LOGON_EVENTS,
};
use crate::plan::{derived_hex, derived_uuid};

/// How much background to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volume {
    /// This many rows in all.
    Count(usize),
    /// This many rows per minute of the window.
    PerMinute(u32),
}

impl Volume {
    /// How many rows this volume is over `window`.
    pub(crate) fn rows(&self, window: &Range<DateTime<Utc>>) -> usize {
        match *self {
            Volume::Count(rows) => rows,
            Volume::PerMinute(rate) => {
                let minutes = (window.end - window.start).num_minutes().max(0);
                usize::try_from(minutes).unwrap_or(0) * rate as usize
            }
        }
    }
}

/// Each table's share of the background rows, in percent: the endpoint tables carry most of a
/// tenant's events, then cloud-app activity, logons, mail and directory authentications.
pub const SHARES: [(&str, usize); 8] = [
    (DEVICE_NETWORK_EVENTS, 30),
    (DEVICE_PROCESS_EVENTS, 24),
    (DEVICE_FILE_EVENTS, 18),
    (CLOUD_APP_EVENTS, 10),
    (DEVICE_LOGON_EVENTS, 7),
    (EMAIL_EVENTS, 5),
    (IDENTITY_LOGON_EVENTS, 4),
    (EMAIL_URL_INFO, 2),
];

/// How many people the tenant has.
const PEOPLE: usize = 40;
const FIRST_NAMES: [&str; 10] = [
    "Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jordan", "Morgan", "Riley",
];
const LAST_NAMES: [&str; 10] = [
    "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
];
const DOMAIN: &str = "contoso.com";
const NETBIOS_DOMAIN: &str = "contoso";
/// The address the office reaches the internet from.
const EGRESS_IP: &str = "52.168.14.27";
const OFFICE_CITY: &str = "Seattle";
const OFFICE_ISP: &str = "Contoso Networks";
const BROWSER_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.0.0";
/// Where the tenant's programs connect to: host and address.
const DESTINATIONS: [(&str, &str); 10] = [
    ("www.bing.com", "13.107.21.200"),
    ("outlook.office365.com", "52.96.165.18"),
    ("teams.microsoft.com", "52.113.194.132"),
    ("contoso.sharepoint.com", "13.107.136.9"),
    ("login.microsoftonline.com", "20.190.151.68"),
    ("www.google.com", "142.250.185.100"),
    ("github.com", "140.82.121.4"),
    ("update.googleapis.com", "142.250.74.3"),
    ("ctldl.windowsupdate.com", "93.184.221.240"),
    ("settings-win.data.microsoft.com", "20.42.65.92"),
];
/// Who writes to the tenant from outside: address and display name.
const OUTSIDE_SENDERS: [(&str, &str); 5] = [
    ("newsletter@fabrikam.example", "Fabrikam News"),
    ("billing@northwind.example", "Northwind Billing"),
    ("noreply@tailspin.example", "Tailspin Toys"),
    ("events@adventure-works.example", "Adventure Works Events"),
    ("support@litware.example", "Litware Support"),
];
const SUBJECTS: [&str; 8] = [
    "Weekly update",
    "Invoice for May",
    "Re: project timeline",
    "Meeting notes",
    "Your order has shipped",
    "Quarterly planning",
    "Lunch on Friday?",
    "Updated contract draft",
];

/// Someone in the tenant, at their workstation.
struct Person {
    display_name: String,
    desktop: Desktop,
    browser: Process,
    teams: Process,
    onedrive: Process,
    outlook: Process,
}

impl Person {
    fn account(&self) -> &Account {
        &self.desktop.explorer.account
    }
}

/// The people and servers of the background.
struct Tenant {
    people: Vec<Person>,
    domain_controller: Device,
    file_server: Device,
}

impl Tenant {
    /// The tenant the generator's seed describes, everyone logged on before `start`.
    fn new(recorder: &mut Recorder, start: DateTime<Utc>) -> Tenant {
        let tenant = recorder.uuid();
        let people = (0..PEOPLE)
            .map(|index| person(recorder, &tenant, index, start))
            .collect();
        let server = |name: &str, ip: &str| Device {
            id: derived_hex(&format!("{tenant}/{name}"), 40),
            name: format!("{name}.{DOMAIN}"),
            ip: ip.into(),
        };
        Tenant {
            people,
            domain_controller: server("dc01", "10.30.255.10"),
            file_server: server("fs01", "10.30.255.20"),
        }
    }

    fn anyone(&self, recorder: &mut Recorder) -> &Person {
        &self.people[recorder.rng().usize(..self.people.len())]
    }
}

fn person(recorder: &mut Recorder, tenant: &str, index: usize, start: DateTime<Utc>) -> Person {
    let first = FIRST_NAMES[index % FIRST_NAMES.len()];
    let last = LAST_NAMES[(index / FIRST_NAMES.len() + index) % LAST_NAMES.len()];
    let name = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
    let account = Account {
        upn: format!("{name}@{DOMAIN}"),
        sid: format!("S-1-5-21-1004336348-1177238915-682003330-{}", 1200 + index),
        object_id: derived_uuid(&format!("{tenant}/user/{index}")).to_string(),
        name,
        domain: NETBIOS_DOMAIN.into(),
    };
    let device = Device {
        id: derived_hex(&format!("{tenant}/device/{index}"), 40),
        name: format!("ws-{:04}.{DOMAIN}", 100 + index),
        ip: format!("10.30.{}.{}", index / 200, index % 200 + 10),
    };
    let logged_on = start - TimeDelta::minutes(recorder.rng().i64(30..480));
    let desktop = recorder.desktop(device, account, logged_on);
    let mut app = |binary: &Binary, command_line: &str, minutes: i64| {
        let pid = recorder.pid();
        desktop.explorer.child(
            binary.image(),
            pid,
            command_line.into(),
            logged_on + TimeDelta::minutes(minutes),
        )
    };
    Person {
        display_name: format!("{first} {last}"),
        browser: app(&binaries::MSEDGE, "\"msedge.exe\"", 2),
        teams: app(&binaries::TEAMS, "\"ms-teams.exe\"", 1),
        onedrive: app(&binaries::ONEDRIVE, "\"OneDrive.exe\" /background", 1),
        outlook: app(&binaries::OUTLOOK, "\"OUTLOOK.EXE\" ", 3),
        desktop,
    }
}

/// Records `rows` background rows at random instants of `window`.
pub(crate) fn record(recorder: &mut Recorder, rows: usize, window: &Range<DateTime<Utc>>) {
    if rows == 0 {
        return;
    }
    let tenant = Tenant::new(recorder, window.start);
    let counts = allocate(rows);
    let count = |table: &str| {
        counts
            .iter()
            .find(|(name, _)| *name == table)
            .map_or(0, |(_, n)| *n)
    };
    let urls = count(EMAIL_URL_INFO);
    for (table, n) in &counts {
        for index in 0..*n {
            let at = instant(recorder, window);
            match *table {
                DEVICE_NETWORK_EVENTS => network(recorder, &tenant, at),
                DEVICE_PROCESS_EVENTS => process(recorder, &tenant, at),
                DEVICE_FILE_EVENTS => file(recorder, &tenant, at),
                CLOUD_APP_EVENTS => cloud(recorder, &tenant, at),
                DEVICE_LOGON_EVENTS => logon(recorder, &tenant, at),
                EMAIL_EVENTS => mail(recorder, &tenant, at, index < urls),
                IDENTITY_LOGON_EVENTS => identity(recorder, &tenant, at),
                _ => {}
            }
        }
    }
}

/// Each table's row count: its share of `rows`, the rounding left to the largest table. The
/// `EmailUrlInfo` rows come with as many of the mails.
fn allocate(rows: usize) -> Vec<(&'static str, usize)> {
    let mut counts: Vec<(&'static str, usize)> = SHARES
        .iter()
        .map(|(table, share)| (*table, rows * share / 100))
        .collect();
    let allotted: usize = counts.iter().map(|(_, n)| n).sum();
    if let Some((_, largest)) = counts.first_mut() {
        *largest += rows - allotted;
    }
    counts
}

/// A random instant of `window`, to the millisecond.
fn instant(recorder: &mut Recorder, window: &Range<DateTime<Utc>>) -> DateTime<Utc> {
    let span = (window.end - window.start).num_milliseconds();
    if span <= 0 {
        return window.start;
    }
    window.start + TimeDelta::milliseconds(recorder.rng().i64(0..span))
}

/// Picks the index of a weight, each index as likely as its weight.
fn weighted(recorder: &mut Recorder, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut roll = recorder.rng().u32(..total.max(1));
    for (index, weight) in weights.iter().enumerate() {
        if roll < *weight {
            return index;
        }
        roll -= weight;
    }
    weights.len() - 1
}

fn ephemeral_port(recorder: &mut Recorder) -> u16 {
    recorder.rng().u16(49_152..65_535)
}

fn network(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>) {
    let person = tenant.anyone(recorder);
    let local_port = ephemeral_port(recorder);
    let (process, connection) = match weighted(recorder, &[85, 8, 4, 3]) {
        kind @ (0 | 1) => {
            let process = [
                &person.browser,
                &person.teams,
                &person.onedrive,
                &person.outlook,
                &person.desktop.svchost,
            ][weighted(recorder, &[45, 20, 15, 10, 10])];
            let (host, ip) = DESTINATIONS[recorder.rng().usize(..DESTINATIONS.len())];
            let connection = Connection {
                action: if kind == 0 {
                    "ConnectionSuccess"
                } else {
                    "ConnectionFailed"
                },
                remote_ip: ip.into(),
                remote_port: if recorder.rng().u8(..10) == 0 {
                    80
                } else {
                    443
                },
                remote_url: host.into(),
                local_port,
            };
            (process, connection)
        }
        2 => {
            let peer = tenant.anyone(recorder);
            let connection = Connection {
                action: "InboundConnectionAccepted",
                remote_ip: peer.desktop.device.ip.clone(),
                remote_port: local_port,
                remote_url: String::new(),
                local_port: 445,
            };
            (&person.desktop.svchost, connection)
        }
        _ => {
            let connection = Connection {
                action: "ListeningConnectionCreated",
                remote_ip: String::new(),
                remote_port: 0,
                remote_url: String::new(),
                local_port,
            };
            (&person.teams, connection)
        }
    };
    recorder.connection(&person.desktop.device, process, &connection, at);
}

fn process(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>) {
    let person = tenant.anyone(recorder);
    let desktop = &person.desktop;
    let documents = format!("C:\\Users\\{}\\Documents", person.account().name);
    let (parent, binary, command_line) = match weighted(recorder, &[40, 30, 15, 15]) {
        0 => {
            let started: [(Binary, String); 4] = [
                (binaries::MSEDGE, "\"msedge.exe\"".into()),
                (binaries::NOTEPAD, format!("\"notepad.exe\" {documents}\\notes.txt")),
                (binaries::WINWORD, format!("\"WINWORD.EXE\" /n \"{documents}\\Report.docx\"")),
                (binaries::EXCEL, format!("\"EXCEL.EXE\" \"{documents}\\Budget.xlsx\"")),
            ];
            let (binary, command_line) = started[recorder.rng().usize(..started.len())].clone();
            (&desktop.explorer, binary, command_line)
        }
        1 => {
            let started: [(Binary, &str); 3] = [
                (binaries::TASKHOSTW, "taskhostw.exe"),
                (binaries::WMIPRVSE, "C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding"),
                (binaries::SEARCH_PROTOCOL_HOST, "\"SearchProtocolHost.exe\" Global\\UsGthrFltPipeMssGthrPipe1"),
            ];
            let (binary, command_line) = started[recorder.rng().usize(..started.len())];
            (&desktop.svchost, binary, command_line.to_owned())
        }
        2 => (
            &desktop.explorer,
            binaries::POWERSHELL,
            "powershell.exe -NoProfile -ExecutionPolicy Bypass -File \"C:\\ProgramData\\Contoso\\inventory.ps1\"".to_owned(),
        ),
        _ => {
            let command = if recorder.rng().bool() {
                format!(
                    "cmd.exe /c \"net use H: \\\\{}\\home\\{}\"",
                    tenant.file_server.name,
                    person.account().name
                )
            } else {
                "cmd.exe /c ipconfig /all".to_owned()
            };
            (&desktop.explorer, binaries::CMD, command)
        }
    };
    recorder.spawn(&desktop.device, parent, binary.image(), command_line, at);
}

fn file(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>) {
    let person = tenant.anyone(recorder);
    let user = person.account().name.clone();
    let label = recorder.uuid();
    let size = recorder.rng().u64(4_000..4_000_000);
    let number = document_number(recorder);
    let document = work_file_name(recorder, number);
    let (document_folder, document_name) = document.rsplit_once('/').unwrap_or(("", &document));
    let plain = |name: &str, folder: &str| Image::plain(name, folder, &label, size);
    let (process, event) = match weighted(recorder, &[40, 30, 20, 7, 3]) {
        0 => {
            let name = document_name.replace(['.'], "_") + ".pdf";
            let event = FileEvent {
                action: "FileCreated",
                origin_url: format!(
                    "https://contoso.sharepoint.com/sites/Intranet/Shared Documents/{name}"
                ),
                origin_ip: "13.107.136.9".into(),
                ..file_event(
                    "FileCreated",
                    plain(&name, &format!("C:\\Users\\{user}\\Downloads")),
                )
            };
            (&person.browser, event)
        }
        1 => {
            let folder = format!("C:\\Users\\{user}\\OneDrive - Contoso\\{document_folder}");
            (
                &person.onedrive,
                file_event("FileModified", plain(document_name, &folder)),
            )
        }
        2 => {
            let folder = format!(
                "C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Windows\\INetCache\\Content.Outlook\\{}",
                &label[..8].to_uppercase()
            );
            (
                &person.outlook,
                file_event("FileCreated", plain(document_name, &folder)),
            )
        }
        3 => {
            let name = format!("{}.tmp", &label[..8]);
            (
                &person.desktop.svchost,
                file_event("FileDeleted", plain(&name, "C:\\Windows\\Temp")),
            )
        }
        _ => {
            let folder = format!("C:\\Users\\{user}\\Documents");
            let event = FileEvent {
                previous_name: format!("Copy of {document_name}"),
                ..file_event("FileRenamed", plain(document_name, &folder))
            };
            (&person.desktop.explorer, event)
        }
    };
    recorder.file_event(&person.desktop.device, process, &event, at);
}

/// A number to name a background document with.
fn document_number(recorder: &mut Recorder) -> usize {
    recorder.rng().usize(..9_999)
}

fn file_event(action: &'static str, file: Image) -> FileEvent {
    FileEvent {
        action,
        file,
        origin_url: String::new(),
        origin_ip: String::new(),
        previous_name: String::new(),
    }
}

fn logon(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>) {
    let person = tenant.anyone(recorder);
    let desktop = &person.desktop;
    let succeeded = recorder.rng().u8(..100) < 92;
    let logon_id = if succeeded {
        recorder.rng().u64(0x10_0000..0xFFF_FFFF)
    } else {
        0
    };
    let local = DeviceLogon {
        action: if succeeded {
            "LogonSuccess"
        } else {
            "LogonFailed"
        },
        logon_type: "Interactive",
        account: person.account().clone(),
        protocol: "Negotiate",
        failure_reason: if succeeded {
            ""
        } else {
            "InvalidUserNameOrPassword"
        },
        is_local_admin: false,
        logon_id,
        remote_ip: "127.0.0.1".into(),
        remote_device_name: String::new(),
        remote_port: 0,
    };
    let peer = tenant.anyone(recorder);
    let remote_port = ephemeral_port(recorder);
    let from_peer = DeviceLogon {
        remote_ip: peer.desktop.device.ip.clone(),
        remote_device_name: peer.desktop.device.name.clone(),
        remote_port,
        account: peer.account().clone(),
        ..local.clone()
    };
    let system = DeviceLogon {
        account: Account::system(),
        ..local.clone()
    };
    let (by, logon) = match weighted(recorder, &[35, 35, 5, 10, 12, 3]) {
        0 => (&desktop.lsass, local),
        1 => (
            &desktop.lsass,
            DeviceLogon {
                logon_type: "Network",
                protocol: "Kerberos",
                ..from_peer
            },
        ),
        2 => (
            &desktop.lsass,
            DeviceLogon {
                logon_type: "CachedInteractive",
                ..local
            },
        ),
        3 => (
            &desktop.svchost,
            DeviceLogon {
                logon_type: "Batch",
                ..system
            },
        ),
        4 => (
            &desktop.services,
            DeviceLogon {
                logon_type: "Service",
                ..system
            },
        ),
        _ => (
            &desktop.lsass,
            DeviceLogon {
                logon_type: "RemoteInteractive",
                ..from_peer
            },
        ),
    };
    recorder.device_logon(&desktop.device, by, &logon, at);
}

fn identity(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>) {
    let person = tenant.anyone(recorder);
    let succeeded = recorder.rng().u8(..100) < 95;
    let port = ephemeral_port(recorder);
    let account = Account {
        domain: DOMAIN.into(),
        ..person.account().clone()
    };
    let workstation = Origin {
        device_name: person.desktop.device.name.clone(),
        device_type: "Workstation",
        os_platform: "Windows11",
        ip: person.desktop.device.ip.clone(),
        port,
        location: "",
        isp: "",
    };
    let dc = &tenant.domain_controller;
    let directory = |logon_type, protocol, destination_port, target: &Device| IdentityLogon {
        action: if succeeded {
            "LogonSuccess"
        } else {
            "LogonFailed"
        },
        application: "Active Directory",
        logon_type,
        protocol,
        failure_reason: if succeeded { "" } else { "WrongPassword" },
        account: account.clone(),
        display_name: person.display_name.clone(),
        origin: workstation.clone(),
        destination: Destination {
            device_name: dc.name.clone(),
            ip: dc.ip.clone(),
            port: destination_port,
            target_device_name: target.name.clone(),
        },
        additional: json!({}),
    };
    let logon = match weighted(recorder, &[50, 25, 5, 20]) {
        0 => directory("Resource access", "Kerberos", 88, &tenant.file_server),
        1 => directory("Credentials validation", "Ntlm", 445, dc),
        2 => directory("Interactive", "Kerberos", 88, &person.desktop.device),
        _ => IdentityLogon {
            application: "Office 365",
            logon_type: "Interactive",
            protocol: "",
            origin: Origin {
                device_name: String::new(),
                device_type: "",
                os_platform: "",
                ip: EGRESS_IP.into(),
                port,
                location: "US",
                isp: OFFICE_ISP,
            },
            destination: Destination::cloud(),
            additional: json!({ "ARG.CLOUD_SERVICE": "Office 365" }),
            ..directory("Interactive", "", 0, dc)
        },
    };
    recorder.identity_logon(&logon, at);
}

fn cloud(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>) {
    let person = tenant.anyone(recorder);
    let account = person.account();
    let actor = CloudActor {
        object_id: account.object_id.clone(),
        upn: account.upn.clone(),
        display_name: person.display_name.clone(),
        ip: EGRESS_IP.into(),
        country_code: "US",
        city: OFFICE_CITY,
        isp: OFFICE_ISP,
        user_agent: BROWSER_USER_AGENT,
    };
    const FILE_ACTIVITIES: [(&str, &str); 4] = [
        ("FileAccessed", "Access"),
        ("FileModified", "Edit"),
        ("FileDownloaded", "Download"),
        ("FileUploaded", "Upload"),
    ];
    let number = document_number(recorder);
    let (action, activity_type, app, object) = match weighted(recorder, &[30, 15, 15, 10, 20, 10]) {
        kind @ 0..=3 => {
            let (action, activity_type) = FILE_ACTIVITIES[kind];
            let app: CloudApp = if recorder.rng().bool() {
                apps::SHAREPOINT
            } else {
                apps::ONEDRIVE
            };
            let file_name = work_file_name(recorder, number);
            let site = if app == apps::ONEDRIVE {
                onedrive_site(&account.upn)
            } else {
                "https://contoso.sharepoint.com/sites/Team".to_owned()
            };
            let url = format!("{site}/Shared Documents/{file_name}");
            let object = CloudObject {
                name: url.clone(),
                id: url,
                kind: "File",
                file_name,
            };
            (action, activity_type, app, object)
        }
        4 => {
            let object = CloudObject {
                name: account.upn.clone(),
                id: account.upn.clone(),
                kind: "Mailbox",
                file_name: String::new(),
            };
            ("MailItemsAccessed", "Access", apps::EXCHANGE, object)
        }
        _ => {
            let chat = recorder.uuid();
            let object = CloudObject {
                name: format!("19:{chat}@thread.v2"),
                id: chat,
                kind: "Chat",
                file_name: String::new(),
            };
            ("MessageSent", "Send", apps::TEAMS, object)
        }
    };
    let activity = CloudActivity {
        action,
        activity_type,
        app,
        actor,
        object,
    };
    recorder.cloud_activity(&activity, at);
}

fn mail(recorder: &mut Recorder, tenant: &Tenant, at: DateTime<Utc>, with_url: bool) {
    let person = tenant.anyone(recorder);
    let colleague = tenant.anyone(recorder);
    let (address, display_name) = OUTSIDE_SENDERS[recorder.rng().usize(..OUTSIDE_SENDERS.len())];
    let outsider = Sender {
        address: address.into(),
        display_name: display_name.into(),
        object_id: String::new(),
        ip: format!("198.51.100.{}", recorder.rng().u8(1..255)),
    };
    let insider = |who: &Person| Sender {
        address: who.account().upn.clone(),
        display_name: who.display_name.clone(),
        object_id: who.account().object_id.clone(),
        ip: "10.30.255.25".into(),
    };
    let (direction, sender, recipient, recipient_object_id, verdict) =
        match weighted(recorder, &[60, 30, 10]) {
            0 => (
                "Inbound",
                outsider,
                person.account().upn.clone(),
                person.account().object_id.clone(),
                inbound_verdict(recorder),
            ),
            1 => (
                "Intra-org",
                insider(colleague),
                person.account().upn.clone(),
                person.account().object_id.clone(),
                Verdict::clean(),
            ),
            _ => (
                "Outbound",
                insider(person),
                outsider.address,
                String::new(),
                Verdict {
                    delivery_location: "On-premises/External",
                    latest_delivery_location: "On-premises/External",
                    ..Verdict::clean()
                },
            ),
        };
    let sender_domain = sender
        .address
        .rsplit_once('@')
        .map_or(DOMAIN, |(_, d)| d)
        .to_owned();
    let id = recorder.uuid();
    let urls = if with_url {
        vec![format!("https://www.{sender_domain}/news/{}", &id[..8])]
    } else {
        Vec::new()
    };
    let cluster_id = recorder.rng().u64(1 << 40..1 << 48);
    let subject = SUBJECTS[recorder.rng().usize(..SUBJECTS.len())];
    let attachment_count = u32::from(recorder.rng().u8(..10) == 0);
    recorder.mail(&Mail {
        internet_message_id: format!("<{}@{sender_domain}>", id.replace('-', "")),
        network_message_id: id,
        sender,
        recipient,
        recipient_object_id,
        subject: subject.into(),
        direction,
        verdict,
        urls,
        attachment_count,
        cluster_id,
        authentication: AUTHENTICATED,
        received: at,
    });
}

/// Most mail from outside is delivered; some is junked as spam, a little quarantined as phish.
fn inbound_verdict(recorder: &mut Recorder) -> Verdict {
    match weighted(recorder, &[90, 7, 3]) {
        0 => Verdict::clean(),
        1 => Verdict {
            delivery_action: "Junked",
            delivery_location: "Junk",
            threat_types: "Spam",
            detection_methods: json!({ "Spam": ["Mixed analysis detection"] }).to_string(),
            confidence_level: r#"{"Spam":"High"}"#,
            email_action: "Move message to junk mail folder",
            email_action_policy: "Antispam",
            latest_delivery_location: "Junk",
            latest_delivery_action: "Junked",
        },
        _ => Verdict {
            delivery_action: "Blocked",
            delivery_location: "Quarantine",
            threat_types: "Phish",
            detection_methods: json!({ "Phish": ["URL malicious reputation"] }).to_string(),
            confidence_level: r#"{"Phish":"High"}"#,
            email_action: "Send to quarantine",
            email_action_policy: "Antiphish",
            latest_delivery_location: "Quarantine",
            latest_delivery_action: "Blocked",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allocation_adds_up_to_the_requested_rows() {
        for rows in [0, 1, 7, 99, 1_000, 12_345] {
            let total: usize = allocate(rows).iter().map(|(_, n)| n).sum();
            assert_eq!(total, rows);
        }
    }

    #[test]
    fn a_rate_is_rows_per_minute_of_the_window() {
        let start = DateTime::<Utc>::UNIX_EPOCH;
        let window = start..start + TimeDelta::hours(2);
        assert_eq!(Volume::PerMinute(5).rows(&window), 600);
        assert_eq!(Volume::Count(17).rows(&window), 17);
        assert_eq!(Volume::PerMinute(5).rows(&(window.end..window.start)), 0);
    }
}
