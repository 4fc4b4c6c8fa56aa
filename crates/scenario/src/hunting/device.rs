//! The Defender for Endpoint tables: `DeviceProcessEvents`, `DeviceFileEvents`,
//! `DeviceNetworkEvents` and `DeviceLogonEvents`.
//!
//! They share a device (`DeviceId`, `DeviceName`) and an initiating process (the 25
//! `InitiatingProcess*` columns: image, hashes, version information, ids, command line, creation
//! times, parent, account, integrity), so a hunt can follow a process tree across them. A [`Process`]
//! knows its parent's id, name and creation time, and [`Recorder::spawn`] writes the
//! `ProcessCreated` row of a child with its parent as the initiating process, so the ids chain.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::{Value, json};

use super::table::{
    DEVICE_FILE_EVENTS, DEVICE_LOGON_EVENTS, DEVICE_NETWORK_EVENTS, DEVICE_PROCESS_EVENTS,
};
use super::{Recorder, merge};
use crate::plan::{derived_hex, derived_uuid, time};

/// A device Defender for Endpoint watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Device {
    /// `DeviceId`.
    pub id: String,
    /// `DeviceName`, the FQDN.
    pub name: String,
    /// The device's address on its network.
    pub ip: String,
}

/// A Windows account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Account {
    pub name: String,
    pub domain: String,
    pub sid: String,
    /// Empty for local and built-in accounts.
    pub upn: String,
    /// The Entra ID object id; empty for local and built-in accounts.
    pub object_id: String,
}

impl Account {
    /// The built-in `SYSTEM` account services run as.
    pub fn system() -> Account {
        Account {
            name: "system".into(),
            domain: "nt authority".into(),
            sid: "S-1-5-18".into(),
            upn: String::new(),
            object_id: String::new(),
        }
    }
}

/// A file on disk: an executable image or a file a process writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    pub name: String,
    /// The folder holding the file, without the file name.
    pub folder: String,
    pub sha1: String,
    pub sha256: String,
    pub md5: String,
    pub size: u64,
    /// The version resource, empty where the file has none.
    pub version: VersionInfo,
}

impl Image {
    /// A file without version information, hashed from `label`.
    pub fn plain(name: &str, folder: &str, label: &str, size: u64) -> Image {
        Image {
            name: name.into(),
            folder: folder.into(),
            sha1: derived_hex(&format!("{label}/sha1"), 40),
            sha256: derived_hex(&format!("{label}/sha256"), 64),
            md5: derived_hex(&format!("{label}/md5"), 32),
            size,
            version: VersionInfo::NONE,
        }
    }

    /// The full path, as the device tables' `FolderPath` columns give it.
    pub fn path(&self) -> String {
        format!("{}\\{}", self.folder, self.name)
    }
}

/// An image's version resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct VersionInfo {
    pub company: &'static str,
    pub product: &'static str,
    pub version: &'static str,
    pub description: &'static str,
}

impl VersionInfo {
    /// No version resource.
    pub const NONE: VersionInfo = VersionInfo {
        company: "",
        product: "",
        version: "",
        description: "",
    };
}

/// A well-known program: its file name, folder and version resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Binary {
    pub name: &'static str,
    pub folder: &'static str,
    pub version: VersionInfo,
}

impl Binary {
    /// The program's image, with hashes and size derived from its name (the same on every device).
    pub fn image(&self) -> Image {
        let label = format!("binary/{}", self.name);
        let size = derived_uuid(&label).as_u64_pair().0 % 4_000_000 + 60_000;
        Image {
            version: self.version,
            ..Image::plain(self.name, self.folder, &label, size)
        }
    }
}

/// The programs the stories run.
pub(crate) mod binaries {
    use super::{Binary, VersionInfo};

    const SYSTEM32: &str = "C:\\Windows\\System32";
    const WINDOWS: VersionInfo = VersionInfo {
        company: "Microsoft Corporation",
        product: "Microsoft® Windows® Operating System",
        version: "10.0.22621.3527",
        description: "",
    };
    const OFFICE: VersionInfo = VersionInfo {
        company: "Microsoft Corporation",
        product: "Microsoft Office",
        version: "16.0.17328.20184",
        description: "",
    };
    const OFFICE_FOLDER: &str = "C:\\Program Files\\Microsoft Office\\root\\Office16";

    const fn windows(name: &'static str, description: &'static str) -> Binary {
        Binary {
            name,
            folder: SYSTEM32,
            version: VersionInfo {
                description,
                ..WINDOWS
            },
        }
    }

    const fn office(name: &'static str, description: &'static str) -> Binary {
        Binary {
            name,
            folder: OFFICE_FOLDER,
            version: VersionInfo {
                description,
                ..OFFICE
            },
        }
    }

    pub const WINLOGON: Binary = windows("winlogon.exe", "Windows Logon Application");
    pub const USERINIT: Binary = windows("userinit.exe", "Userinit Logon Application");
    pub const LSASS: Binary = windows("lsass.exe", "Local Security Authority Process");
    pub const SERVICES: Binary = windows("services.exe", "Services and Controller app");
    pub const SVCHOST: Binary = windows("svchost.exe", "Host Process for Windows Services");
    pub const CMD: Binary = windows("cmd.exe", "Windows Command Processor");
    pub const SCHTASKS: Binary = windows("schtasks.exe", "Task Scheduler Configuration Tool");
    pub const RUNDLL32: Binary = windows("rundll32.exe", "Windows host process (Rundll32)");
    pub const TASKHOSTW: Binary = windows("taskhostw.exe", "Host Process for Windows Tasks");
    pub const WMIPRVSE: Binary = windows("WmiPrvSE.exe", "WMI Provider Host");
    pub const NOTEPAD: Binary = windows("notepad.exe", "Notepad");
    pub const SEARCH_PROTOCOL_HOST: Binary = windows(
        "SearchProtocolHost.exe",
        "Microsoft Windows Search Protocol Host",
    );
    pub const EXPLORER: Binary = Binary {
        folder: "C:\\Windows",
        ..windows("explorer.exe", "Windows Explorer")
    };
    pub const POWERSHELL: Binary = Binary {
        folder: "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
        ..windows("powershell.exe", "Windows PowerShell")
    };
    pub const OUTLOOK: Binary = office("OUTLOOK.EXE", "Microsoft Outlook");
    pub const WINWORD: Binary = office("WINWORD.EXE", "Microsoft Word");
    pub const EXCEL: Binary = office("EXCEL.EXE", "Microsoft Excel");
    pub const MSEDGE: Binary = Binary {
        name: "msedge.exe",
        folder: "C:\\Program Files (x86)\\Microsoft\\Edge\\Application",
        version: VersionInfo {
            company: "Microsoft Corporation",
            product: "Microsoft Edge",
            version: "124.0.2478.80",
            description: "Microsoft Edge",
        },
    };
    pub const TEAMS: Binary = Binary {
        name: "ms-teams.exe",
        folder: "C:\\Program Files\\WindowsApps\\MSTeams_24124.2315.2911.3357_x64__8wekyb3d8bbwe",
        version: VersionInfo {
            company: "Microsoft Corporation",
            product: "Microsoft Teams",
            version: "24124.2315.2911.3357",
            description: "Microsoft Teams",
        },
    };
    pub const ONEDRIVE: Binary = Binary {
        name: "OneDrive.exe",
        folder: "C:\\Program Files\\Microsoft OneDrive",
        version: VersionInfo {
            company: "Microsoft Corporation",
            product: "Microsoft OneDrive",
            version: "24.081.0421.0003",
            description: "Microsoft OneDrive",
        },
    };
}

/// The integrity level and token elevation a process runs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub integrity: &'static str,
    pub elevation: &'static str,
}

impl Token {
    /// A standard user's process.
    pub const USER: Token = Token {
        integrity: "Medium",
        elevation: "TokenElevationTypeLimited",
    };
    /// A service's process.
    pub const SYSTEM: Token = Token {
        integrity: "System",
        elevation: "TokenElevationTypeDefault",
    };
}

/// The parent a process was started by, as far as its rows tell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parent {
    pub pid: u32,
    pub name: String,
    pub created: DateTime<Utc>,
}

/// A running process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Process {
    pub image: Image,
    pub pid: u32,
    pub command_line: String,
    pub created: DateTime<Utc>,
    pub account: Account,
    /// The logon session it runs in.
    pub logon_id: u64,
    pub token: Token,
    pub parent: Parent,
}

impl Process {
    /// A child `self` started at `at`: it runs as `self` does, in the same logon session.
    pub fn child(
        &self,
        image: Image,
        pid: u32,
        command_line: String,
        at: DateTime<Utc>,
    ) -> Process {
        Process {
            image,
            pid,
            command_line,
            created: at,
            account: self.account.clone(),
            logon_id: self.logon_id,
            token: self.token,
            parent: self.as_parent(),
        }
    }

    /// What this process's children name as their parent.
    fn as_parent(&self) -> Parent {
        Parent {
            pid: self.pid,
            name: self.image.name.clone(),
            created: self.created,
        }
    }
}

/// The logon session id of `SYSTEM` (`0x3e7`).
const SYSTEM_LOGON_ID: u64 = 999;

/// A user's desktop on a device: the long-running processes the stories start from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Desktop {
    pub device: Device,
    /// Authenticates logons.
    pub lsass: Process,
    /// Starts services.
    pub services: Process,
    /// A service host running as `SYSTEM`.
    pub svchost: Process,
    /// Started `explorer.exe` at logon, then exited.
    pub userinit: Process,
    /// The user's shell: what the user starts, it starts.
    pub explorer: Process,
}

impl Recorder {
    /// The desktop of `user` on `device`, who logged on at `logged_on`; nothing is recorded.
    pub fn desktop(&mut self, device: Device, user: Account, logged_on: DateTime<Utc>) -> Desktop {
        let boot = logged_on - TimeDelta::hours(3);
        let smss = Parent {
            pid: self.pid(),
            name: "smss.exe".into(),
            created: boot,
        };
        let wininit = Parent {
            pid: self.pid(),
            name: "wininit.exe".into(),
            created: boot + TimeDelta::seconds(2),
        };
        let system = |image: Image, pid: u32, command_line: &str, parent: Parent| Process {
            image,
            pid,
            command_line: command_line.into(),
            created: parent.created + TimeDelta::seconds(1),
            account: Account::system(),
            logon_id: SYSTEM_LOGON_ID,
            token: Token::SYSTEM,
            parent,
        };
        let lsass = system(
            binaries::LSASS.image(),
            self.pid(),
            "lsass.exe",
            wininit.clone(),
        );
        let services = system(
            binaries::SERVICES.image(),
            self.pid(),
            "services.exe",
            wininit,
        );
        let svchost = services.child(
            binaries::SVCHOST.image(),
            self.pid(),
            "svchost.exe -k netsvcs -p".into(),
            boot + TimeDelta::seconds(9),
        );
        let winlogon = system(binaries::WINLOGON.image(), self.pid(), "winlogon.exe", smss);
        let userinit = Process {
            account: user,
            logon_id: self.rng().u64(0x10_0000..0xFFF_FFFF),
            token: Token::USER,
            ..winlogon.child(
                binaries::USERINIT.image(),
                self.pid(),
                "C:\\Windows\\system32\\userinit.exe".into(),
                logged_on + TimeDelta::seconds(4),
            )
        };
        let explorer = userinit.child(
            binaries::EXPLORER.image(),
            self.pid(),
            "C:\\Windows\\Explorer.EXE".into(),
            logged_on + TimeDelta::seconds(6),
        );
        Desktop {
            device,
            lsass,
            services,
            svchost,
            userinit,
            explorer,
        }
    }

    /// `user` logs on to `device` at the keyboard at `at`: the `LogonSuccess` row, and the
    /// `ProcessCreated` row of the `explorer.exe` the logon starts.
    pub fn log_on(&mut self, device: Device, user: Account, at: DateTime<Utc>) -> Desktop {
        let desktop = self.desktop(device, user, at);
        let logon = DeviceLogon {
            action: "LogonSuccess",
            logon_type: "Interactive",
            account: desktop.explorer.account.clone(),
            protocol: "Negotiate",
            failure_reason: "",
            is_local_admin: false,
            logon_id: desktop.explorer.logon_id,
            remote_ip: "127.0.0.1".into(),
            remote_device_name: String::new(),
            remote_port: 0,
        };
        self.device_logon(&desktop.device, &desktop.lsass, &logon, at);
        let explorer = &desktop.explorer;
        self.spawn_with_pid(
            &desktop.device,
            &desktop.userinit,
            explorer.image.clone(),
            explorer.pid,
            explorer.command_line.clone(),
            explorer.created,
        );
        desktop
    }
}

/// A file a process creates, changes or deletes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileEvent {
    /// `FileCreated`, `FileModified`, `FileDeleted` or `FileRenamed`.
    pub action: &'static str,
    pub file: Image,
    /// Where a downloaded file came from (`FileOriginUrl`), or empty.
    pub origin_url: String,
    /// The address it came from (`FileOriginIP`), or empty.
    pub origin_ip: String,
    /// The name before a rename, or empty.
    pub previous_name: String,
}

/// A network event of a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Connection {
    /// `ConnectionSuccess`, `ConnectionFailed`, `InboundConnectionAccepted`,
    /// `ListeningConnectionCreated`, ...
    pub action: &'static str,
    pub remote_ip: String,
    pub remote_port: u16,
    /// The host name connected to, or empty.
    pub remote_url: String,
    pub local_port: u16,
}

/// A logon on a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceLogon {
    /// `LogonSuccess` or `LogonFailed`.
    pub action: &'static str,
    /// `Interactive`, `RemoteInteractive`, `Network`, `Batch`, `Service`, ...
    pub logon_type: &'static str,
    pub account: Account,
    /// `Negotiate`, `Kerberos`, `NTLM`.
    pub protocol: &'static str,
    /// Why it failed, or empty.
    pub failure_reason: &'static str,
    pub is_local_admin: bool,
    pub logon_id: u64,
    /// Where the logon came from: `127.0.0.1` for a local one.
    pub remote_ip: String,
    pub remote_device_name: String,
    pub remote_port: u16,
}

impl Recorder {
    /// `parent` starts `image` with `command_line` at `at`: writes the `ProcessCreated` row and
    /// returns the child, with a fresh process id.
    pub fn spawn(
        &mut self,
        device: &Device,
        parent: &Process,
        image: Image,
        command_line: String,
        at: DateTime<Utc>,
    ) -> Process {
        let pid = self.pid();
        self.spawn_with_pid(device, parent, image, pid, command_line, at)
    }

    /// [`spawn`](Self::spawn) with a given process id.
    pub fn spawn_with_pid(
        &mut self,
        device: &Device,
        parent: &Process,
        image: Image,
        pid: u32,
        command_line: String,
        at: DateTime<Utc>,
    ) -> Process {
        let child = parent.child(image, pid, command_line, at);
        let mut columns = device_columns(device, "ProcessCreated");
        merge(&mut columns, created_process_columns(&child));
        merge(&mut columns, initiating_columns(parent));
        merge(
            &mut columns,
            json!({ "InitiatingProcessLogonId": parent.logon_id, "AppGuardContainerId": "" }),
        );
        self.push(DEVICE_PROCESS_EVENTS, at, columns);
        child
    }

    /// `by` creates, changes or deletes a file at `at`.
    pub fn file_event(
        &mut self,
        device: &Device,
        by: &Process,
        event: &FileEvent,
        at: DateTime<Utc>,
    ) {
        let file = &event.file;
        let previous_folder = if event.previous_name.is_empty() {
            String::new()
        } else {
            file.path()
        };
        let mut columns = device_columns(device, event.action);
        merge(
            &mut columns,
            json!({
                "FileName": file.name,
                "FolderPath": file.path(),
                "SHA1": file.sha1,
                "SHA256": file.sha256,
                "MD5": file.md5,
                "FileSize": file.size,
                "FileOriginUrl": event.origin_url,
                "FileOriginReferrerUrl": "",
                "FileOriginIP": event.origin_ip,
                "PreviousFileName": event.previous_name,
                "PreviousFolderPath": previous_folder,
                "RequestProtocol": "Local",
                "SensitivityLabel": "",
                "IsAzureInfoProtectionApplied": false,
                "AppGuardContainerId": "",
            }),
        );
        merge(&mut columns, initiating_columns(by));
        self.push(DEVICE_FILE_EVENTS, at, columns);
    }

    /// `by` opens, accepts or fails a connection at `at`.
    pub fn connection(
        &mut self,
        device: &Device,
        by: &Process,
        connection: &Connection,
        at: DateTime<Utc>,
    ) {
        let mut columns = device_columns(device, connection.action);
        merge(
            &mut columns,
            json!({
                "RemoteIP": connection.remote_ip,
                "RemotePort": connection.remote_port,
                "RemoteUrl": connection.remote_url,
                "RemoteIPType": ip_type(&connection.remote_ip),
                "LocalIP": device.ip,
                "LocalPort": connection.local_port,
                "LocalIPType": ip_type(&device.ip),
                "Protocol": "Tcp",
                "AppGuardContainerId": "",
            }),
        );
        merge(&mut columns, initiating_columns(by));
        self.push(DEVICE_NETWORK_EVENTS, at, columns);
    }

    /// A logon on `device` at `at`, handled by `by` (`lsass.exe`, `svchost.exe`, ...).
    pub fn device_logon(
        &mut self,
        device: &Device,
        by: &Process,
        logon: &DeviceLogon,
        at: DateTime<Utc>,
    ) {
        let local = ip_type(&logon.remote_ip) == "Loopback";
        let mut columns = device_columns(device, logon.action);
        merge(
            &mut columns,
            json!({
                "LogonType": logon.logon_type,
                "AccountDomain": logon.account.domain,
                "AccountName": logon.account.name,
                "AccountSid": logon.account.sid,
                "Protocol": logon.protocol,
                "FailureReason": logon.failure_reason,
                "IsLocalAdmin": logon.is_local_admin,
                "LogonId": logon.logon_id,
                "RemoteDeviceName": logon.remote_device_name,
                "RemoteIP": logon.remote_ip,
                "RemoteIPType": ip_type(&logon.remote_ip),
                "RemotePort": logon.remote_port,
                "AdditionalFields": json!({ "IsLocalLogon": local }).to_string(),
                "AppGuardContainerId": "",
            }),
        );
        merge(&mut columns, initiating_columns(by));
        self.push(DEVICE_LOGON_EVENTS, at, columns);
    }
}

/// `Private`, `Loopback` or `Public`, as the `*IPType` columns classify an IPv4 address; empty for
/// no address.
pub(crate) fn ip_type(ip: &str) -> &'static str {
    let octets: Vec<u8> = ip.split('.').filter_map(|o| o.parse().ok()).collect();
    match octets.as_slice() {
        [] => "",
        [127, ..] => "Loopback",
        [10, ..] | [192, 168, ..] => "Private",
        [172, second, ..] if (16..32).contains(second) => "Private",
        _ => "Public",
    }
}

fn device_columns(device: &Device, action: &str) -> Value {
    json!({ "DeviceId": device.id, "DeviceName": device.name, "ActionType": action })
}

/// The columns of the process a `ProcessCreated` row records.
fn created_process_columns(process: &Process) -> Value {
    let image = &process.image;
    let version = &image.version;
    json!({
        "FileName": image.name,
        "FolderPath": image.path(),
        "SHA1": image.sha1,
        "SHA256": image.sha256,
        "MD5": image.md5,
        "FileSize": image.size,
        "ProcessVersionInfoCompanyName": version.company,
        "ProcessVersionInfoProductName": version.product,
        "ProcessVersionInfoProductVersion": version.version,
        "ProcessVersionInfoInternalFileName": version_name(image),
        "ProcessVersionInfoOriginalFileName": version_name(image),
        "ProcessVersionInfoFileDescription": version.description,
        "ProcessId": process.pid,
        "ProcessCommandLine": process.command_line,
        "ProcessIntegrityLevel": process.token.integrity,
        "ProcessTokenElevation": process.token.elevation,
        "ProcessCreationTime": time(process.created),
        "AccountDomain": process.account.domain,
        "AccountName": process.account.name,
        "AccountSid": process.account.sid,
        "AccountUpn": process.account.upn,
        "AccountObjectId": process.account.object_id,
        "LogonId": process.logon_id,
    })
}

/// The columns of the process that caused an event, which all four device tables share.
fn initiating_columns(process: &Process) -> Value {
    let image = &process.image;
    let version = &image.version;
    json!({
        "InitiatingProcessAccountDomain": process.account.domain,
        "InitiatingProcessAccountName": process.account.name,
        "InitiatingProcessAccountSid": process.account.sid,
        "InitiatingProcessAccountUpn": process.account.upn,
        "InitiatingProcessAccountObjectId": process.account.object_id,
        "InitiatingProcessIntegrityLevel": process.token.integrity,
        "InitiatingProcessTokenElevation": process.token.elevation,
        "InitiatingProcessSHA1": image.sha1,
        "InitiatingProcessSHA256": image.sha256,
        "InitiatingProcessMD5": image.md5,
        "InitiatingProcessFileName": image.name,
        "InitiatingProcessFileSize": image.size,
        "InitiatingProcessFolderPath": image.path(),
        "InitiatingProcessVersionInfoCompanyName": version.company,
        "InitiatingProcessVersionInfoProductName": version.product,
        "InitiatingProcessVersionInfoProductVersion": version.version,
        "InitiatingProcessVersionInfoInternalFileName": version_name(image),
        "InitiatingProcessVersionInfoOriginalFileName": version_name(image),
        "InitiatingProcessVersionInfoFileDescription": version.description,
        "InitiatingProcessId": process.pid,
        "InitiatingProcessCommandLine": process.command_line,
        "InitiatingProcessCreationTime": time(process.created),
        "InitiatingProcessParentId": process.parent.pid,
        "InitiatingProcessParentFileName": process.parent.name,
        "InitiatingProcessParentCreationTime": time(process.parent.created),
    })
}

/// The internal and original file name of the version resource: the file name, where there is one.
fn version_name(image: &Image) -> &str {
    if image.version.company.is_empty() {
        ""
    } else {
        &image.name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_classified_as_the_ip_type_columns_do() {
        assert_eq!(ip_type("10.1.2.3"), "Private");
        assert_eq!(ip_type("172.20.0.1"), "Private");
        assert_eq!(ip_type("172.32.0.1"), "Public");
        assert_eq!(ip_type("192.168.1.1"), "Private");
        assert_eq!(ip_type("127.0.0.1"), "Loopback");
        assert_eq!(ip_type("45.12.3.4"), "Public");
        assert_eq!(ip_type(""), "");
    }

    #[test]
    fn a_binary_has_the_same_hashes_everywhere() {
        assert_eq!(binaries::POWERSHELL.image(), binaries::POWERSHELL.image());
        assert_ne!(
            binaries::POWERSHELL.image().sha256,
            binaries::CMD.image().sha256
        );
        assert!(
            binaries::POWERSHELL
                .image()
                .path()
                .ends_with("\\v1.0\\powershell.exe")
        );
    }
}
