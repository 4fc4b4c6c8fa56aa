//! Alert evidence (Graph) as Sentinel entities: the JSON objects a `SecurityAlert` row's `Entities`
//! column holds, each with a `$id` and a `Type` such as `host`, `account`, `ip`, `file`, `process`,
//! `url`, `mailbox`, `mailMessage` or `cloud-application`.

use serde_json::{Map, Value};

use super::json;
use crate::Field;
use crate::graph::{
    AlertEvidence, AnalyzedMessageEvidence, DeviceEvidence, EmailSender, FileDetails,
    ProcessEvidence, UserAccount,
};

/// The member that numbers an entity inside one `Entities` list.
pub const ENTITY_ID_MEMBER: &str = "$id";

/// The Sentinel entities for a list of evidence, numbered from `"1"`; nested entities (a process's
/// image file and account, a file's hashes) are written inline with their own `$id`. Evidence types
/// Sentinel has no entity for are written with their Graph type name as `Type` and their Graph members.
pub fn evidence_entities(evidence: &[AlertEvidence]) -> Vec<Value> {
    let mut numbering = Numbering::default();
    evidence.iter().map(|e| numbering.evidence(e)).collect()
}

/// Hands out `$id`s in the order entities are started.
#[derive(Default)]
struct Numbering {
    issued: u32,
}

/// Members of one entity under construction; `None` values are left out.
type Members = Vec<(&'static str, Option<Value>)>;

impl Numbering {
    /// Starts an entity of `kind`, giving it the next `$id`.
    fn start(&mut self, kind: &str) -> Map<String, Value> {
        self.issued += 1;
        let mut entity = Map::new();
        entity.insert(
            ENTITY_ID_MEMBER.into(),
            Value::String(self.issued.to_string()),
        );
        entity.insert("Type".into(), Value::String(kind.into()));
        entity
    }

    /// An entity of `kind` with `members`.
    fn entity(&mut self, kind: &str, members: impl FnOnce(&mut Self) -> Members) -> Value {
        let mut entity = self.start(kind);
        for (name, value) in members(self) {
            if let Some(value) = value {
                entity.insert(name.into(), value);
            }
        }
        Value::Object(entity)
    }

    fn evidence(&mut self, evidence: &AlertEvidence) -> Value {
        match evidence {
            AlertEvidence::Device(d) => self.host(d),
            AlertEvidence::User(u) => self.account_of(&u.user_account),
            AlertEvidence::Ip(ip) => self.entity("ip", |_| {
                vec![
                    ("Address", json(&ip.ip_address)),
                    (
                        "Location",
                        json(&ip.country_letter_code)
                            .map(|c| Value::Object(Map::from_iter([("CountryCode".into(), c)]))),
                    ),
                ]
            }),
            AlertEvidence::File(f) => self.file_of(&f.file_details),
            AlertEvidence::Process(p) => self.process(p),
            AlertEvidence::Url(u) => self.entity("url", |_| vec![("Url", json(&u.url))]),
            AlertEvidence::Mailbox(m) => self.entity("mailbox", |_| {
                let account = m.user_account.get();
                vec![
                    ("MailboxPrimaryAddress", json(&m.primary_address)),
                    ("DisplayName", json(&m.display_name)),
                    ("Upn", json(&m.upn)),
                    ("AadId", account.and_then(|a| json(&a.azure_ad_user_id))),
                ]
            }),
            AlertEvidence::AnalyzedMessage(m) => self.mail_message(m),
            AlertEvidence::MailCluster(c) => self.entity("mailCluster", |_| {
                vec![
                    ("NetworkMessageIds", json(&c.network_message_ids)),
                    ("Query", json(&c.query)),
                    ("MailCount", json(&c.email_count)),
                    ("ClusterSourceType", json(&c.cluster_by)),
                    ("ClusterSourceIdentifier", json(&c.cluster_by_value)),
                    ("Urn", json(&c.urn)),
                ]
            }),
            AlertEvidence::CloudApplication(a) => self.entity("cloud-application", |_| {
                vec![
                    ("AppId", json(&a.app_id)),
                    ("Name", json(&a.display_name)),
                    ("InstanceId", json(&a.instance_id)),
                    ("InstanceName", json(&a.instance_name)),
                    ("SaasAppId", json(&a.saas_app_id)),
                ]
            }),
            AlertEvidence::RegistryKey(k) => self.entity("registry-key", |_| {
                vec![
                    ("Hive", json(&k.registry_hive)),
                    ("Key", json(&k.registry_key)),
                ]
            }),
            AlertEvidence::RegistryValue(v) => self.entity("registry-value", |_| {
                vec![
                    ("Hive", json(&v.registry_hive)),
                    ("Key", json(&v.registry_key)),
                    ("Name", json(&v.registry_value_name)),
                    ("Value", json(&v.registry_value)),
                    ("ValueType", json(&v.registry_value_type)),
                ]
            }),
            AlertEvidence::SecurityGroup(g) => self.entity("security-group", |_| {
                vec![
                    ("Name", json(&g.display_name)),
                    ("DistinguishedName", json(&g.distinguished_name)),
                    ("SID", json(&g.sid)),
                    ("ObjectGuid", json(&g.active_directory_object_guid)),
                ]
            }),
            AlertEvidence::AzureResource(r) => self.entity("azure-resource", |_| {
                vec![("ResourceId", json(&r.resource_id))]
            }),
            other => self.graph_shaped(other),
        }
    }

    /// Evidence with no Sentinel twin: its Graph members under its Graph type name.
    fn graph_shaped(&mut self, evidence: &AlertEvidence) -> Value {
        let mut entity = self.start(evidence.kind().type_name());
        if let Value::Object(members) = super::to_json(evidence) {
            entity.extend(members.into_iter().filter(|(k, _)| k != "@odata.type"));
        }
        Value::Object(entity)
    }

    fn host(&mut self, device: &DeviceEvidence) -> Value {
        let fqdn = device.device_dns_name.get();
        let (host, domain) = match fqdn.and_then(|n| n.split_once('.')) {
            Some((host, domain)) => (Some(host.to_owned()), Some(domain.to_owned())),
            None => (fqdn.cloned(), None),
        };
        self.entity("host", |_| {
            vec![
                ("HostName", host.map(Value::String)),
                ("DnsDomain", domain.map(Value::String)),
                ("FQDN", json(&device.device_dns_name)),
                ("OSFamily", json(&device.os_platform)),
                ("OSVersion", json(&device.version)),
                ("AadDeviceId", json(&device.azure_ad_device_id)),
                ("MdatpDeviceId", json(&device.mde_device_id)),
            ]
        })
    }

    fn account_of(&mut self, account: &Field<UserAccount>) -> Value {
        let a = account.get();
        let member = |f: fn(&UserAccount) -> &Field<String>| a.and_then(|a| json(f(a)));
        let upn_suffix = a
            .and_then(|a| a.user_principal_name.get())
            .and_then(|upn| upn.split_once('@'))
            .map(|(_, suffix)| Value::String(suffix.to_owned()));
        self.entity("account", |_| {
            vec![
                ("Name", member(|a| &a.account_name)),
                ("NTDomain", member(|a| &a.domain_name)),
                ("UPNSuffix", upn_suffix),
                ("AadUserId", member(|a| &a.azure_ad_user_id)),
                ("Sid", member(|a| &a.user_sid)),
                ("DisplayName", member(|a| &a.display_name)),
            ]
        })
    }

    fn file_of(&mut self, details: &Field<FileDetails>) -> Value {
        let d = details.get();
        self.entity("file", |ids| {
            let hashes: Vec<Value> = d
                .map(|d| {
                    [("MD5", &d.md5), ("SHA1", &d.sha1), ("SHA256", &d.sha256)]
                        .into_iter()
                        .filter_map(|(algorithm, value)| {
                            let value = json(value)?;
                            Some(ids.entity("filehash", |_| {
                                vec![
                                    ("Algorithm", Some(Value::String(algorithm.into()))),
                                    ("Value", Some(value)),
                                ]
                            }))
                        })
                        .collect()
                })
                .unwrap_or_default();
            vec![
                ("Name", d.and_then(|d| json(&d.file_name))),
                ("Directory", d.and_then(|d| json(&d.file_path))),
                (
                    "FileHashes",
                    (!hashes.is_empty()).then_some(Value::Array(hashes)),
                ),
            ]
        })
    }

    fn process(&mut self, p: &ProcessEvidence) -> Value {
        self.entity("process", |ids| {
            let parent = (p.parent_process_id.get().is_some()
                || p.parent_process_image_file.get().is_some())
            .then(|| {
                ids.entity("process", |ids| {
                    vec![
                        ("ProcessId", text_of(&p.parent_process_id)),
                        (
                            "CreationTimeUtc",
                            json(&p.parent_process_creation_date_time),
                        ),
                        (
                            "ImageFile",
                            nested(&p.parent_process_image_file, |d| ids.file_of(d)),
                        ),
                    ]
                })
            });
            vec![
                ("ProcessId", text_of(&p.process_id)),
                ("CommandLine", json(&p.process_command_line)),
                ("CreationTimeUtc", json(&p.process_creation_date_time)),
                ("ImageFile", nested(&p.image_file, |d| ids.file_of(d))),
                ("ParentProcess", parent),
                ("Account", nested(&p.user_account, |a| ids.account_of(a))),
            ]
        })
    }

    fn mail_message(&mut self, m: &AnalyzedMessageEvidence) -> Value {
        let sender = |s: &Field<EmailSender>, f: fn(&EmailSender) -> &Field<String>| {
            s.get().and_then(|s| json(f(s)))
        };
        self.entity("mailMessage", |_| {
            vec![
                ("Recipient", json(&m.recipient_email_address)),
                ("Urls", json(&m.urls)),
                ("Threats", json(&m.threats)),
                ("P1Sender", sender(&m.p1_sender, |s| &s.email_address)),
                (
                    "P1SenderDisplayName",
                    sender(&m.p1_sender, |s| &s.display_name),
                ),
                ("P1SenderDomain", sender(&m.p1_sender, |s| &s.domain_name)),
                ("P2Sender", sender(&m.p2_sender, |s| &s.email_address)),
                (
                    "P2SenderDisplayName",
                    sender(&m.p2_sender, |s| &s.display_name),
                ),
                ("P2SenderDomain", sender(&m.p2_sender, |s| &s.domain_name)),
                ("SenderIP", json(&m.sender_ip)),
                ("ReceiveDate", json(&m.received_date_time)),
                ("NetworkMessageId", json(&m.network_message_id)),
                ("InternetMessageId", json(&m.internet_message_id)),
                ("Subject", json(&m.subject)),
                ("Language", json(&m.language)),
                ("ThreatDetectionMethods", json(&m.threat_detection_methods)),
                ("DeliveryAction", json(&m.delivery_action)),
                ("DeliveryLocation", json(&m.delivery_location)),
                ("AntispamDirection", json(&m.anti_spam_direction)),
            ]
        })
    }
}

/// A number member written as text, as Sentinel writes process ids.
fn text_of(field: &Field<i64>) -> Option<Value> {
    field.get().map(|n| Value::String(n.to_string()))
}

/// A nested entity, built only when the member has a value.
fn nested<T>(field: &Field<T>, build: impl FnOnce(&Field<T>) -> Value) -> Option<Value> {
    field.get().is_some().then(|| build(field))
}
