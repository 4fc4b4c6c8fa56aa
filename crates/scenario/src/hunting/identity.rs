//! The Defender for Identity table: `IdentityLogonEvents`, the authentications a domain controller
//! handled (`Application` `Active Directory`) and the cloud sign-ins (`Office 365`).

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Recorder;
use super::device::Account;
use super::table::IDENTITY_LOGON_EVENTS;

/// Where an authentication came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Origin {
    /// The device's name, or empty when unknown (a sign-in from the internet).
    pub device_name: String,
    /// `Workstation`, `Server`, or empty.
    pub device_type: &'static str,
    /// `Windows11`, `Windows10`, ..., or empty.
    pub os_platform: &'static str,
    pub ip: String,
    pub port: u16,
    /// The country or city the address is placed in.
    pub location: &'static str,
    pub isp: &'static str,
}

/// What served an authentication: a domain controller's service, or nothing for a cloud sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Destination {
    pub device_name: String,
    pub ip: String,
    pub port: u16,
    /// The device the account authenticated to, or empty.
    pub target_device_name: String,
}

impl Destination {
    /// A cloud sign-in: no device served it.
    pub fn cloud() -> Destination {
        Destination {
            device_name: String::new(),
            ip: String::new(),
            port: 0,
            target_device_name: String::new(),
        }
    }
}

/// One authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IdentityLogon {
    /// `LogonSuccess` or `LogonFailed`.
    pub action: &'static str,
    /// `Active Directory` or `Office 365`.
    pub application: &'static str,
    /// `Credentials validation`, `Resource access`, `Interactive`, ...
    pub logon_type: &'static str,
    /// `Kerberos`, `Ntlm`, or empty for a cloud sign-in.
    pub protocol: &'static str,
    /// Why it failed, or empty.
    pub failure_reason: &'static str,
    pub account: Account,
    pub display_name: String,
    pub origin: Origin,
    pub destination: Destination,
    /// The `AdditionalFields` object.
    pub additional: Value,
}

impl Recorder {
    /// Records `logon` at `at`.
    pub fn identity_logon(&mut self, logon: &IdentityLogon, at: DateTime<Utc>) {
        let (origin, destination) = (&logon.origin, &logon.destination);
        self.push(
            IDENTITY_LOGON_EVENTS,
            at,
            json!({
                "ActionType": logon.action,
                "Application": logon.application,
                "LogonType": logon.logon_type,
                "Protocol": logon.protocol,
                "FailureReason": logon.failure_reason,
                "AccountName": logon.account.name,
                "AccountDomain": logon.account.domain,
                "AccountUpn": logon.account.upn,
                "AccountSid": logon.account.sid,
                "AccountObjectId": logon.account.object_id,
                "AccountDisplayName": logon.display_name,
                "DeviceName": origin.device_name,
                "DeviceType": origin.device_type,
                "OSPlatform": origin.os_platform,
                "IPAddress": origin.ip,
                "Port": origin.port,
                "DestinationDeviceName": destination.device_name,
                "DestinationIPAddress": destination.ip,
                "DestinationPort": destination.port,
                "TargetDeviceName": destination.target_device_name,
                "TargetAccountDisplayName": "",
                "Location": origin.location,
                "Isp": origin.isp,
                "AdditionalFields": logon.additional,
            }),
        );
    }
}
