//! The strong entities an alert's evidence names, normalised so that two alerts about the same device,
//! user, mailbox, file, URL, public IP or cloud app produce equal keys.
//!
//! Correlation links alerts only through these keys: weak evidence (registry keys, process ids, private
//! addresses) is shared by unrelated attacks and would glue them together.

use std::collections::BTreeSet;
use std::fmt;
use std::net::IpAddr;

use serde_json::{Map, Value};
use tandem_model::Field;
use tandem_model::graph::{
    Alert, AlertEvidence, CloudApplicationEvidence, FileDetails, UserAccount,
};

/// The kind of a strong entity; also the prefix of its stored key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    /// A device, by Defender for Endpoint id or Azure AD device id.
    Device,
    /// A user, by Azure AD object id, user principal name or SID.
    User,
    /// A mailbox, by primary SMTP address.
    Mailbox,
    /// A file, by SHA-256.
    File,
    /// A URL.
    Url,
    /// A public IP address.
    Ip,
    /// A cloud application, by app id (or name when no id is given).
    CloudApp,
}

impl EntityKind {
    /// The prefix used in stored keys.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Device => "device",
            EntityKind::User => "user",
            EntityKind::Mailbox => "mailbox",
            EntityKind::File => "file",
            EntityKind::Url => "url",
            EntityKind::Ip => "ip",
            EntityKind::CloudApp => "cloudapp",
        }
    }
}

/// One strong entity: a kind and a normalised identifier.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityKey {
    /// What the entity is.
    pub kind: EntityKind,
    /// The normalised identifier (lower-case where the identifier is case-insensitive), prefixed by the
    /// identifier's flavour where one entity kind has several (`mde:`, `aad:`, `upn:`, `sid:`).
    pub id: String,
}

impl EntityKey {
    /// The identifier's flavour (`mde`, `aad`, `upn`, `sid`, `name`), if the kind has several.
    pub fn flavour(&self) -> Option<&str> {
        match self.kind {
            EntityKind::Device | EntityKind::User | EntityKind::CloudApp => {
                self.id.split_once(':').map(|(flavour, _)| flavour)
            }
            _ => None,
        }
    }

    fn new(kind: EntityKind, id: impl Into<String>) -> Self {
        EntityKey {
            kind,
            id: id.into(),
        }
    }
}

impl fmt::Display for EntityKey {
    /// The stored form, such as `device:mde:73e7e2de…` or `user:upn:kai@contoso.com`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind.as_str(), self.id)
    }
}

/// Every strong entity named by an alert's evidence, without duplicates, in a stable order.
pub fn alert_entities(alert: &Alert) -> BTreeSet<EntityKey> {
    let mut keys = BTreeSet::new();
    for item in alert.evidence() {
        evidence_entities(item, &mut keys);
    }
    keys
}

/// Adds the strong entities of one evidence item to `keys`.
fn evidence_entities(item: &AlertEvidence, keys: &mut BTreeSet<EntityKey>) {
    match item {
        AlertEvidence::Device(device) => {
            device_id(&device.mde_device_id, "mde", keys);
            device_id(&device.azure_ad_device_id, "aad", keys);
            for user in device.logged_on_users.get().into_iter().flatten() {
                logged_on_sid(&user.extra, keys);
            }
        }
        AlertEvidence::File(file) => {
            device_id(&file.mde_device_id, "mde", keys);
            file_hash(&file.file_details, keys);
        }
        AlertEvidence::Process(process) => {
            device_id(&process.mde_device_id, "mde", keys);
            user_account(&process.user_account, keys);
            file_hash(&process.image_file, keys);
            file_hash(&process.parent_process_image_file, keys);
        }
        AlertEvidence::RegistryValue(registry) => device_id(&registry.mde_device_id, "mde", keys),
        AlertEvidence::User(user) => user_account(&user.user_account, keys),
        AlertEvidence::Mailbox(mailbox) => {
            user_account(&mailbox.user_account, keys);
            mailbox_address(text(&mailbox.primary_address), keys);
            upn(text(&mailbox.upn), keys);
        }
        AlertEvidence::AnalyzedMessage(message) => {
            mailbox_address(text(&message.recipient_email_address), keys);
            for u in message.urls.get().into_iter().flatten() {
                url(u, keys);
            }
        }
        AlertEvidence::Url(evidence) => {
            if let Some(u) = text(&evidence.url) {
                url(u, keys);
            }
        }
        AlertEvidence::Ip(ip) => public_ip(text(&ip.ip_address), keys),
        AlertEvidence::CloudApplication(app) => cloud_app(app, keys),
        _ => {}
    }
}

/// A text member's value, trimmed, when it is not empty.
fn text(field: &Field<String>) -> Option<&str> {
    field.get().map(|s| s.trim()).filter(|s| !s.is_empty())
}

fn device_id(id: &Field<String>, flavour: &str, keys: &mut BTreeSet<EntityKey>) {
    if let Some(id) = text(id) {
        keys.insert(EntityKey::new(
            EntityKind::Device,
            format!("{flavour}:{}", id.to_ascii_lowercase()),
        ));
    }
}

fn user_account(account: &Field<UserAccount>, keys: &mut BTreeSet<EntityKey>) {
    let Some(account) = account.get() else { return };
    if let Some(id) = text(&account.azure_ad_user_id) {
        keys.insert(EntityKey::new(
            EntityKind::User,
            format!("aad:{}", id.to_ascii_lowercase()),
        ));
    }
    upn(text(&account.user_principal_name), keys);
    let sid_member = text(&account.user_sid).or_else(|| extra_text(&account.extra, "accountSid"));
    sid(sid_member, keys);
}

/// Logged-on users carry no SID in Graph's documented shape; sensors that add one (`userSid` or
/// `accountSid`) have it kept among the user's undocumented members.
fn logged_on_sid(extra: &Map<String, Value>, keys: &mut BTreeSet<EntityKey>) {
    let member = extra_text(extra, "userSid").or_else(|| extra_text(extra, "accountSid"));
    sid(member, keys);
}

/// An undocumented text member, trimmed, when it is not empty.
fn extra_text<'a>(extra: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    extra
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn sid(value: Option<&str>, keys: &mut BTreeSet<EntityKey>) {
    if let Some(sid) = value {
        keys.insert(EntityKey::new(
            EntityKind::User,
            format!("sid:{}", sid.to_ascii_uppercase()),
        ));
    }
}

fn upn(value: Option<&str>, keys: &mut BTreeSet<EntityKey>) {
    if let Some(upn) = value {
        keys.insert(EntityKey::new(
            EntityKind::User,
            format!("upn:{}", upn.to_lowercase()),
        ));
    }
}

fn mailbox_address(value: Option<&str>, keys: &mut BTreeSet<EntityKey>) {
    if let Some(address) = value {
        keys.insert(EntityKey::new(EntityKind::Mailbox, address.to_lowercase()));
    }
}

fn file_hash(details: &Field<FileDetails>, keys: &mut BTreeSet<EntityKey>) {
    if let Some(sha256) = details.get().and_then(|d| text(&d.sha256)) {
        keys.insert(EntityKey::new(
            EntityKind::File,
            sha256.to_ascii_lowercase(),
        ));
    }
}

/// URLs compare with the scheme and host lower-cased and a trailing slash removed.
fn url(value: &str, keys: &mut BTreeSet<EntityKey>) {
    let value = value.trim().trim_end_matches('/');
    if value.is_empty() {
        return;
    }
    let normalised = match value.split_once("://") {
        Some((scheme, rest)) => {
            let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            format!(
                "{}://{}{}",
                scheme.to_ascii_lowercase(),
                host.to_ascii_lowercase(),
                path
            )
        }
        None => value.to_owned(),
    };
    keys.insert(EntityKey::new(EntityKind::Url, normalised));
}

/// Only public addresses identify an attacker; private, loopback and link-local ones repeat across networks.
fn public_ip(value: Option<&str>, keys: &mut BTreeSet<EntityKey>) {
    let Some(ip) = value.and_then(|v| v.parse::<IpAddr>().ok()) else {
        return;
    };
    if is_public(&ip) {
        keys.insert(EntityKey::new(EntityKind::Ip, ip.to_string()));
    }
}

fn is_public(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

fn cloud_app(app: &CloudApplicationEvidence, keys: &mut BTreeSet<EntityKey>) {
    let id = match app.app_id.get() {
        Some(id) => Some(id.to_string()),
        None => text(&app.display_name).map(|name| format!("name:{}", name.to_lowercase())),
    };
    if let Some(id) = id {
        keys.insert(EntityKey::new(EntityKind::CloudApp, id));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alert(evidence: Value) -> Alert {
        tandem_model::from_value(json!({ "id": "a1", "evidence": evidence })).unwrap()
    }

    fn keys(evidence: Value) -> Vec<String> {
        alert_entities(&alert(json!([evidence])))
            .into_iter()
            .map(|k| k.to_string())
            .collect()
    }

    #[test]
    fn device_ids_are_lower_cased() {
        let found = keys(json!({
            "@odata.type": "#microsoft.graph.security.deviceEvidence",
            "mdeDeviceId": "ABC123", "azureAdDeviceId": null
        }));
        assert_eq!(found, vec!["device:mde:abc123"]);
    }

    #[test]
    fn user_accounts_yield_every_identifier() {
        let found = keys(json!({
            "@odata.type": "#microsoft.graph.security.userEvidence",
            "userAccount": {
                "azureAdUserId": "AAA-1", "userPrincipalName": "Kai@Contoso.com", "userSid": "s-1-5-21-9"
            }
        }));
        assert_eq!(
            found,
            vec![
                "user:aad:aaa-1",
                "user:sid:S-1-5-21-9",
                "user:upn:kai@contoso.com"
            ]
        );
    }

    #[test]
    fn process_evidence_links_device_and_image_hash() {
        let found = keys(json!({
            "@odata.type": "#microsoft.graph.security.processEvidence",
            "mdeDeviceId": "d1",
            "imageFile": { "sha256": "AB" }
        }));
        assert_eq!(found, vec!["device:mde:d1", "file:ab"]);
    }

    #[test]
    fn private_addresses_are_not_strong() {
        for ip in [
            "10.1.2.3",
            "192.168.0.1",
            "127.0.0.1",
            "fe80::1",
            "100.64.0.1",
        ] {
            let found = keys(
                json!({"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": ip}),
            );
            assert!(found.is_empty(), "{ip} was taken as public");
        }
        let found = keys(
            json!({"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": "20.1.2.3"}),
        );
        assert_eq!(found, vec!["ip:20.1.2.3"]);
    }

    #[test]
    fn urls_from_messages_and_url_evidence_compare_equal() {
        let message = keys(json!({
            "@odata.type": "#microsoft.graph.security.analyzedMessageEvidence",
            "recipientEmailAddress": "Kai@contoso.com",
            "urls": ["HTTPS://Evil.example/login/"]
        }));
        let url = keys(
            json!({"@odata.type": "#microsoft.graph.security.urlEvidence", "url": "https://evil.example/login"}),
        );
        assert_eq!(
            message,
            vec!["mailbox:kai@contoso.com", "url:https://evil.example/login"]
        );
        assert_eq!(url, vec!["url:https://evil.example/login"]);
    }

    #[test]
    fn cloud_apps_by_id_or_name() {
        let by_id = keys(
            json!({"@odata.type": "#microsoft.graph.security.cloudApplicationEvidence", "appId": 15600, "displayName": "OneDrive"}),
        );
        let by_name = keys(
            json!({"@odata.type": "#microsoft.graph.security.cloudApplicationEvidence", "displayName": "OneDrive"}),
        );
        assert_eq!(by_id, vec!["cloudapp:15600"]);
        assert_eq!(by_name, vec!["cloudapp:name:onedrive"]);
    }

    #[test]
    fn evidence_without_strong_entities_yields_nothing() {
        let found = keys(
            json!({"@odata.type": "#microsoft.graph.security.registryKeyEvidence", "registryKey": "HKLM"}),
        );
        assert!(found.is_empty());
        assert!(alert_entities(&alert(json!([]))).is_empty());
    }
}
