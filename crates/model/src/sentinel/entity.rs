//! Sentinel entities: the things an incident is about (accounts, hosts, addresses, files, mail, …) and
//! the alerts and bookmarks Sentinel serves through the same polymorphic `Entity` shape, chosen by
//! `kind`. Kinds this version of Tandem does not know are kept verbatim.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::arm::List;
use super::comment::ClientInfo;
use super::incident::AttackTactic;
use crate::wire::wire_struct;
use crate::wire::{Field, ParseError, Timestamp, from_value};

crate::wire_enum! {
    /// The `kind` that selects an entity's property set.
    pub enum EntityKind {
        /// A user or service account.
        Account => "Account",
        /// A computer.
        Host => "Host",
        /// A file.
        File => "File",
        /// An Azure resource.
        AzureResource => "AzureResource",
        /// A cloud application.
        CloudApplication => "CloudApplication",
        /// A DNS resolution.
        DnsResolution => "DnsResolution",
        /// A file hash.
        FileHash => "FileHash",
        /// An IP address.
        Ip => "Ip",
        /// A malware family.
        Malware => "Malware",
        /// A process.
        Process => "Process",
        /// A registry key.
        RegistryKey => "RegistryKey",
        /// A registry value.
        RegistryValue => "RegistryValue",
        /// A security group.
        SecurityGroup => "SecurityGroup",
        /// A URL.
        Url => "Url",
        /// An IoT device.
        IoTDevice => "IoTDevice",
        /// A security alert.
        SecurityAlert => "SecurityAlert",
        /// A hunting bookmark.
        Bookmark => "Bookmark",
        /// A mailbox.
        Mailbox => "Mailbox",
        /// A cluster of similar mail messages.
        MailCluster => "MailCluster",
        /// A mail message.
        MailMessage => "MailMessage",
        /// A mail message submitted for analysis.
        SubmissionMail => "SubmissionMail",
    }
}

crate::wire_enum! {
    /// How severe an alert is.
    pub enum AlertSeverity {
        /// High severity.
        High => "High",
        /// Medium severity.
        Medium => "Medium",
        /// Low severity.
        Low => "Low",
        /// Informational.
        Informational => "Informational",
    }
}

/// Declares the property set of one entity kind: the listed members plus the members every entity has
/// (`friendlyName`, `additionalData`) and an `extra` map for members the model does not name.
macro_rules! entity_properties {
    ($(#[$meta:meta])* $name:ident { $($(#[$fmeta:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase")]
        pub struct $name {
            /// Display name (read-only).
            #[serde(default, skip_serializing_if = "Field::is_absent")]
            pub friendly_name: Field<String>,
            /// Provider-specific members (read-only).
            #[serde(default, skip_serializing_if = "Field::is_absent")]
            pub additional_data: Field<Map<String, Value>>,
            $(
                $(#[$fmeta])*
                #[serde(default, skip_serializing_if = "Field::is_absent")]
                pub $field: Field<$ty>,
            )*
            /// Members this model does not name.
            #[serde(flatten)]
            pub extra: Map<String, Value>,
        }
    };
}

entity_properties! {
    /// Members of an `Account` entity.
    AccountEntityProperties {
        /// Entra tenant id.
        aad_tenant_id: String,
        /// Entra object id.
        aad_user_id: String,
        /// Account name.
        account_name: String,
        /// Display name.
        display_name: String,
        /// Host entity the account is local to.
        host_entity_id: String,
        /// Whether the account is in a domain.
        is_domain_joined: bool,
        /// NetBIOS domain.
        nt_domain: String,
        /// Active Directory object GUID.
        object_guid: String,
        /// Passport user id.
        puid: String,
        /// Security identifier.
        sid: String,
        /// UPN suffix.
        upn_suffix: String,
        /// DNS domain.
        dns_domain: String,
    }
}

entity_properties! {
    /// Members of an `AzureResource` entity.
    AzureResourceEntityProperties {
        /// ARM resource id.
        resource_id: String,
        /// Subscription id.
        subscription_id: String,
    }
}

entity_properties! {
    /// Members of a `CloudApplication` entity.
    CloudApplicationEntityProperties {
        /// Technical id of the application.
        app_id: i64,
        /// Application name.
        app_name: String,
        /// Instance name.
        instance_name: String,
    }
}

entity_properties! {
    /// Members of a `DnsResolution` entity.
    DnsEntityProperties {
        /// IP entity of the DNS server.
        dns_server_ip_entity_id: String,
        /// Resolved name.
        domain_name: String,
        /// IP entity of the host that asked.
        host_ip_address_entity_id: String,
        /// IP entities of the answers.
        ip_address_entity_ids: Vec<String>,
    }
}

entity_properties! {
    /// Members of a `File` entity.
    FileEntityProperties {
        /// Folder path.
        directory: String,
        /// FileHash entities of the file.
        file_hash_entity_ids: Vec<String>,
        /// File name.
        file_name: String,
        /// Host entity the file is on.
        host_entity_id: String,
    }
}

entity_properties! {
    /// Members of a `FileHash` entity.
    FileHashEntityProperties {
        /// Hash algorithm, such as `SHA256`.
        algorithm: String,
        /// Hash value.
        hash_value: String,
    }
}

entity_properties! {
    /// Members of a `Host` entity.
    HostEntityProperties {
        /// Azure resource id of the machine.
        #[serde(rename = "azureID")]
        azure_id: String,
        /// DNS domain.
        dns_domain: String,
        /// Host name.
        host_name: String,
        /// Whether the host is in a domain.
        is_domain_joined: bool,
        /// NetBIOS name.
        net_bios_name: String,
        /// NetBIOS domain.
        nt_domain: String,
        /// Log Analytics agent id.
        #[serde(rename = "omsAgentID")]
        oms_agent_id: String,
        /// Operating system family.
        os_family: String,
        /// Operating system version.
        os_version: String,
    }
}

entity_properties! {
    /// Members of a `Bookmark` entity (a hunting bookmark).
    BookmarkEntityProperties {
        /// When the bookmark was created.
        created: Timestamp,
        /// Who created it.
        created_by: ClientInfo,
        /// Display name.
        display_name: String,
        /// Time of the bookmarked event.
        event_time: Timestamp,
        /// Labels.
        labels: Vec<String>,
        /// Notes.
        notes: String,
        /// The query that found the event.
        query: String,
        /// The query result, as JSON text.
        query_result: String,
        /// When the bookmark was changed last.
        updated: Timestamp,
        /// Who changed it last.
        updated_by: ClientInfo,
        /// The incident the bookmark belongs to.
        incident_info: Value,
    }
}

entity_properties! {
    /// Members of an `IoTDevice` entity.
    IoTDeviceEntityProperties {
        /// Device id.
        device_id: String,
        /// Device name.
        device_name: String,
        /// Source of the device record.
        source: String,
        /// IoT security agent id.
        iot_security_agent_id: String,
        /// Device type.
        device_type: String,
        /// Vendor.
        vendor: String,
        /// Edge id.
        edge_id: String,
        /// MAC address.
        mac_address: String,
        /// Model.
        model: String,
        /// Serial number.
        serial_number: String,
        /// Firmware version.
        firmware_version: String,
        /// Operating system.
        operating_system: String,
        /// IoT hub entity.
        iot_hub_entity_id: String,
        /// Host entity.
        host_entity_id: String,
        /// IP entity.
        ip_address_entity_id: String,
        /// Threat intelligence records.
        threat_intelligence: Vec<Value>,
        /// Protocols seen.
        protocols: Vec<String>,
    }
}

entity_properties! {
    /// Members of an `Ip` entity.
    IpEntityProperties {
        /// The address.
        address: String,
        /// Geographic location.
        location: Value,
        /// Threat intelligence records.
        threat_intelligence: Vec<Value>,
    }
}

entity_properties! {
    /// Members of a `Mailbox` entity.
    MailboxEntityProperties {
        /// Primary SMTP address.
        mailbox_primary_address: String,
        /// Display name.
        display_name: String,
        /// User principal name.
        upn: String,
        /// Entra object id.
        external_directory_object_id: String,
    }
}

entity_properties! {
    /// Members of a `MailCluster` entity.
    MailClusterEntityProperties {
        /// Network message ids of the messages.
        network_message_ids: Vec<String>,
        /// Message counts by delivery status.
        count_by_delivery_status: Value,
        /// Message counts by threat type.
        count_by_threat_type: Value,
        /// Message counts by protection status.
        count_by_protection_status: Value,
        /// Threats found.
        threats: Vec<String>,
        /// The query that built the cluster.
        query: String,
        /// When it ran.
        query_time: Timestamp,
        /// Number of messages.
        mail_count: i64,
        /// Whether the cluster is a volume anomaly.
        is_volume_anomaly: bool,
        /// Source of the cluster.
        source: String,
        /// Identifier of the cluster source.
        cluster_source_identifier: String,
        /// Type of the cluster source.
        cluster_source_type: String,
        /// Start of the query window.
        cluster_query_start_time: Timestamp,
        /// End of the query window.
        cluster_query_end_time: Timestamp,
        /// Cluster group.
        cluster_group: String,
    }
}

entity_properties! {
    /// Members of a `MailMessage` entity.
    MailMessageEntityProperties {
        /// File entities of the attachments.
        file_entity_ids: Vec<String>,
        /// Recipient address.
        recipient: String,
        /// URLs in the message.
        urls: Vec<String>,
        /// Threats found.
        threats: Vec<String>,
        /// Envelope sender.
        p1_sender: String,
        /// Envelope sender display name.
        p1_sender_display_name: String,
        /// Envelope sender domain.
        p1_sender_domain: String,
        /// Sender IP address.
        #[serde(rename = "senderIP")]
        sender_ip: String,
        /// Header sender.
        p2_sender: String,
        /// Header sender display name.
        p2_sender_display_name: String,
        /// Header sender domain.
        p2_sender_domain: String,
        /// When the message was received.
        receive_date: Timestamp,
        /// Network message id.
        network_message_id: String,
        /// Internet message id.
        internet_message_id: String,
        /// Subject.
        subject: String,
        /// Language.
        language: String,
        /// How the threats were detected.
        threat_detection_methods: Vec<String>,
        /// Body fingerprint, part 1.
        body_fingerprint_bin1: i64,
        /// Body fingerprint, part 2.
        body_fingerprint_bin2: i64,
        /// Body fingerprint, part 3.
        body_fingerprint_bin3: i64,
        /// Body fingerprint, part 4.
        body_fingerprint_bin4: i64,
        /// Body fingerprint, part 5.
        body_fingerprint_bin5: i64,
        /// Inbound, outbound or intra-org.
        antispam_direction: String,
        /// Delivery action.
        delivery_action: String,
        /// Delivery location.
        delivery_location: String,
    }
}

entity_properties! {
    /// Members of a `Malware` entity.
    MalwareEntityProperties {
        /// Malware category.
        category: String,
        /// File entities carrying the malware.
        file_entity_ids: Vec<String>,
        /// Malware name.
        malware_name: String,
        /// Process entities running the malware.
        process_entity_ids: Vec<String>,
    }
}

entity_properties! {
    /// Members of a `Process` entity.
    ProcessEntityProperties {
        /// Account entity that ran the process.
        account_entity_id: String,
        /// Command line.
        command_line: String,
        /// Start time.
        creation_time_utc: Timestamp,
        /// Elevation token.
        elevation_token: String,
        /// Host entity.
        host_entity_id: String,
        /// Logon session entity.
        host_logon_session_entity_id: String,
        /// File entity of the image.
        image_file_entity_id: String,
        /// Process entity of the parent.
        parent_process_entity_id: String,
        /// Process id.
        process_id: String,
    }
}

entity_properties! {
    /// Members of a `RegistryKey` entity.
    RegistryKeyEntityProperties {
        /// Hive, such as `HKEY_LOCAL_MACHINE`.
        hive: String,
        /// Key path.
        key: String,
    }
}

entity_properties! {
    /// Members of a `RegistryValue` entity.
    RegistryValueEntityProperties {
        /// RegistryKey entity the value is under.
        key_entity_id: String,
        /// Value data.
        value_data: String,
        /// Value name.
        value_name: String,
        /// Value type.
        value_type: String,
    }
}

entity_properties! {
    /// Members of a `SecurityAlert` entity, as served by `incidents/{id}/alerts`.
    SecurityAlertProperties {
        /// Display name.
        alert_display_name: String,
        /// Alert type.
        alert_type: String,
        /// Name of the most compromised entity.
        compromised_entity: String,
        /// Confidence level.
        confidence_level: String,
        /// Reasons for the confidence score.
        confidence_reasons: Vec<Value>,
        /// Confidence score.
        confidence_score: f64,
        /// Whether the score is final.
        confidence_score_status: String,
        /// Description.
        description: String,
        /// End of the alert's activity.
        end_time_utc: Timestamp,
        /// Kill-chain intent.
        intent: String,
        /// Alert id in the product that raised it.
        provider_alert_id: String,
        /// When the product finished producing the alert.
        processing_end_time: Timestamp,
        /// Product component.
        product_component_name: String,
        /// Product name.
        product_name: String,
        /// Product version.
        product_version: String,
        /// Remediation steps.
        remediation_steps: Vec<String>,
        /// Severity.
        severity: AlertSeverity,
        /// Start of the alert's activity.
        start_time_utc: Timestamp,
        /// Status.
        status: String,
        /// Sentinel's id of the alert.
        system_alert_id: String,
        /// ATT&CK tactics.
        tactics: Vec<AttackTactic>,
        /// When the alert was generated.
        time_generated: Timestamp,
        /// Vendor name.
        vendor_name: String,
        /// Link to the alert in its product.
        alert_link: String,
        /// Resources the alert belongs to.
        resource_identifiers: Vec<Value>,
    }
}

entity_properties! {
    /// Members of a `SecurityGroup` entity.
    SecurityGroupEntityProperties {
        /// Distinguished name.
        distinguished_name: String,
        /// Object GUID.
        object_guid: String,
        /// Security identifier.
        sid: String,
    }
}

entity_properties! {
    /// Members of a `SubmissionMail` entity.
    SubmissionMailEntityProperties {
        /// Network message id.
        network_message_id: String,
        /// Submission id.
        submission_id: String,
        /// Who submitted it.
        submitter: String,
        /// When it was submitted.
        submission_date: Timestamp,
        /// Time of the submission record.
        timestamp: Timestamp,
        /// Recipient.
        recipient: String,
        /// Sender.
        sender: String,
        /// Sender IP address.
        sender_ip: String,
        /// Subject.
        subject: String,
        /// Report type.
        report_type: String,
    }
}

entity_properties! {
    /// Members of a `Url` entity.
    UrlEntityProperties {
        /// The URL.
        url: String,
    }
}

/// An entity's members, typed by its kind.
#[derive(Debug, Clone, PartialEq)]
pub enum EntityProperties {
    /// `Account`.
    Account(AccountEntityProperties),
    /// `Host`.
    Host(HostEntityProperties),
    /// `File`.
    File(FileEntityProperties),
    /// `AzureResource`.
    AzureResource(AzureResourceEntityProperties),
    /// `CloudApplication`.
    CloudApplication(CloudApplicationEntityProperties),
    /// `DnsResolution`.
    DnsResolution(DnsEntityProperties),
    /// `FileHash`.
    FileHash(FileHashEntityProperties),
    /// `Ip`.
    Ip(IpEntityProperties),
    /// `Malware`.
    Malware(MalwareEntityProperties),
    /// `Process`.
    Process(ProcessEntityProperties),
    /// `RegistryKey`.
    RegistryKey(RegistryKeyEntityProperties),
    /// `RegistryValue`.
    RegistryValue(RegistryValueEntityProperties),
    /// `SecurityGroup`.
    SecurityGroup(SecurityGroupEntityProperties),
    /// `Url`.
    Url(UrlEntityProperties),
    /// `IoTDevice`.
    IoTDevice(IoTDeviceEntityProperties),
    /// `SecurityAlert`.
    SecurityAlert(SecurityAlertProperties),
    /// `Bookmark`.
    Bookmark(BookmarkEntityProperties),
    /// `Mailbox`.
    Mailbox(MailboxEntityProperties),
    /// `MailCluster`.
    MailCluster(MailClusterEntityProperties),
    /// `MailMessage`.
    MailMessage(MailMessageEntityProperties),
    /// `SubmissionMail`.
    SubmissionMail(SubmissionMailEntityProperties),
    /// A kind this version of Tandem does not know: its name and members, verbatim.
    Other(String, Value),
}

/// Applies one expression to the property struct of every typed variant.
macro_rules! each_kind {
    ($props:expr, $p:ident => $body:expr, $other_kind:ident, $other_value:ident => $other:expr) => {
        match $props {
            EntityProperties::Account($p) => $body,
            EntityProperties::Host($p) => $body,
            EntityProperties::File($p) => $body,
            EntityProperties::AzureResource($p) => $body,
            EntityProperties::CloudApplication($p) => $body,
            EntityProperties::DnsResolution($p) => $body,
            EntityProperties::FileHash($p) => $body,
            EntityProperties::Ip($p) => $body,
            EntityProperties::Malware($p) => $body,
            EntityProperties::Process($p) => $body,
            EntityProperties::RegistryKey($p) => $body,
            EntityProperties::RegistryValue($p) => $body,
            EntityProperties::SecurityGroup($p) => $body,
            EntityProperties::Url($p) => $body,
            EntityProperties::IoTDevice($p) => $body,
            EntityProperties::SecurityAlert($p) => $body,
            EntityProperties::Bookmark($p) => $body,
            EntityProperties::Mailbox($p) => $body,
            EntityProperties::MailCluster($p) => $body,
            EntityProperties::MailMessage($p) => $body,
            EntityProperties::SubmissionMail($p) => $body,
            EntityProperties::Other($other_kind, $other_value) => $other,
        }
    };
}

impl EntityProperties {
    /// Reads the members of an entity of `kind`.
    pub fn parse(kind: &EntityKind, value: Value) -> Result<Self, ParseError> {
        use EntityProperties as P;
        Ok(match kind {
            EntityKind::Account => P::Account(from_value(value)?),
            EntityKind::Host => P::Host(from_value(value)?),
            EntityKind::File => P::File(from_value(value)?),
            EntityKind::AzureResource => P::AzureResource(from_value(value)?),
            EntityKind::CloudApplication => P::CloudApplication(from_value(value)?),
            EntityKind::DnsResolution => P::DnsResolution(from_value(value)?),
            EntityKind::FileHash => P::FileHash(from_value(value)?),
            EntityKind::Ip => P::Ip(from_value(value)?),
            EntityKind::Malware => P::Malware(from_value(value)?),
            EntityKind::Process => P::Process(from_value(value)?),
            EntityKind::RegistryKey => P::RegistryKey(from_value(value)?),
            EntityKind::RegistryValue => P::RegistryValue(from_value(value)?),
            EntityKind::SecurityGroup => P::SecurityGroup(from_value(value)?),
            EntityKind::Url => P::Url(from_value(value)?),
            EntityKind::IoTDevice => P::IoTDevice(from_value(value)?),
            EntityKind::SecurityAlert => P::SecurityAlert(from_value(value)?),
            EntityKind::Bookmark => P::Bookmark(from_value(value)?),
            EntityKind::Mailbox => P::Mailbox(from_value(value)?),
            EntityKind::MailCluster => P::MailCluster(from_value(value)?),
            EntityKind::MailMessage => P::MailMessage(from_value(value)?),
            EntityKind::SubmissionMail => P::SubmissionMail(from_value(value)?),
            EntityKind::Other(name) => P::Other(name.clone(), value),
        })
    }

    /// The `kind` these members belong to.
    pub fn kind(&self) -> EntityKind {
        use EntityProperties as P;
        match self {
            P::Account(_) => EntityKind::Account,
            P::Host(_) => EntityKind::Host,
            P::File(_) => EntityKind::File,
            P::AzureResource(_) => EntityKind::AzureResource,
            P::CloudApplication(_) => EntityKind::CloudApplication,
            P::DnsResolution(_) => EntityKind::DnsResolution,
            P::FileHash(_) => EntityKind::FileHash,
            P::Ip(_) => EntityKind::Ip,
            P::Malware(_) => EntityKind::Malware,
            P::Process(_) => EntityKind::Process,
            P::RegistryKey(_) => EntityKind::RegistryKey,
            P::RegistryValue(_) => EntityKind::RegistryValue,
            P::SecurityGroup(_) => EntityKind::SecurityGroup,
            P::Url(_) => EntityKind::Url,
            P::IoTDevice(_) => EntityKind::IoTDevice,
            P::SecurityAlert(_) => EntityKind::SecurityAlert,
            P::Bookmark(_) => EntityKind::Bookmark,
            P::Mailbox(_) => EntityKind::Mailbox,
            P::MailCluster(_) => EntityKind::MailCluster,
            P::MailMessage(_) => EntityKind::MailMessage,
            P::SubmissionMail(_) => EntityKind::SubmissionMail,
            P::Other(name, _) => EntityKind::Other(name.clone()),
        }
    }

    /// The display name every kind carries, if set.
    pub fn friendly_name(&self) -> Option<&str> {
        each_kind!(self, p => p.friendly_name.get().map(String::as_str), _k, v => {
            v.get("friendlyName").and_then(Value::as_str)
        })
    }

    /// The members as JSON.
    pub fn to_value(&self) -> Value {
        let written = each_kind!(self, p => serde_json::to_value(p), _k, v => Ok(v.clone()));
        // Writing a struct of strings, numbers, timestamps and JSON values to a JSON value cannot fail.
        written.unwrap_or(Value::Null)
    }
}

/// A Sentinel entity: the ARM envelope, `kind`, and the members of that kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawEntity", into = "RawEntity")]
pub struct Entity {
    /// Full ARM resource id.
    pub id: Field<String>,
    /// The last segment of the id.
    pub name: Field<String>,
    /// Resource type, such as `Microsoft.SecurityInsights/Entities`.
    pub resource_type: Field<String>,
    /// The members, typed by kind.
    pub properties: EntityProperties,
    /// Envelope members this model does not name (`etag`, `systemData`, …).
    pub extra: Map<String, Value>,
}

impl Entity {
    /// The entity's kind.
    pub fn kind(&self) -> EntityKind {
        self.properties.kind()
    }
}

/// The wire shape of an [`Entity`] before its members are typed by kind.
#[derive(Serialize, Deserialize)]
struct RawEntity {
    kind: EntityKind,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    id: Field<String>,
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    name: Field<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Field::is_absent")]
    resource_type: Field<String>,
    #[serde(default)]
    properties: Value,
    #[serde(flatten)]
    extra: Map<String, Value>,
}

impl TryFrom<RawEntity> for Entity {
    type Error = String;

    fn try_from(raw: RawEntity) -> Result<Self, String> {
        let properties = EntityProperties::parse(&raw.kind, raw.properties)
            .map_err(|e| format!("{} entity properties: {e}", raw.kind))?;
        Ok(Entity {
            id: raw.id,
            name: raw.name,
            resource_type: raw.resource_type,
            properties,
            extra: raw.extra,
        })
    }
}

impl From<Entity> for RawEntity {
    fn from(entity: Entity) -> Self {
        RawEntity {
            kind: entity.kind(),
            id: entity.id,
            name: entity.name,
            resource_type: entity.resource_type,
            properties: entity.properties.to_value(),
            extra: entity.extra,
        }
    }
}

/// The response of `incidents/{id}/alerts` and `incidents/{id}/bookmarks`: entities of kind
/// `SecurityAlert` or `Bookmark`.
pub type IncidentAlertList = List<Entity>;

wire_struct! {
    /// The response of `incidents/{id}/entities`.
    #[serde(rename_all = "camelCase")]
    pub struct IncidentEntitiesResponse {
        /// The entities.
        required entities: Vec<Entity>,
        /// How many entities of each kind.
        #[serde(rename = "metaData")]
        meta_data: Vec<IncidentEntitiesMetadata>,
    }
}

wire_struct! {
    /// A per-kind count in [`IncidentEntitiesResponse`].
    #[serde(rename_all = "camelCase")]
    pub struct IncidentEntitiesMetadata {
        /// The kind counted.
        required entity_kind: EntityKind,
        /// How many entities of that kind.
        required count: i64,
    }
}
