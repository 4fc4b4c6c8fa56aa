//! Alert evidence: the devices, users, files, mailboxes, cloud resources and other entities an alert
//! involves, polymorphic on `@odata.type`.
//!
//! Each evidence type is a struct with the members every type inherits from `alertEvidence` plus its own.
//! [`AlertEvidence`] holds any of them; it reads the right one from `@odata.type` (with or without `#`,
//! any casing) and rejects a type it does not know with an error naming `@odata.type` and the value.

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::object::wire_object;
use super::odata::{SECURITY_NAMESPACE, security_type_name};
use super::{
    DefenderAvStatus, DetectionStatus, DeviceHealthStatus, DeviceRiskScore, Dictionary,
    EmailSender, EvidenceRemediationStatus, EvidenceRole, EvidenceVerdict, FileDetails, FileHash,
    GoogleCloudLocationType, KubernetesPlatform, KubernetesServiceType, LoggedOnUser,
    MailboxConfigurationType, OnboardingStatus, UserAccount, VmMetadata,
};
use crate::{Field, Timestamp};

/// The members every evidence type inherits from `alertEvidence`, borrowed from one evidence value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EvidenceCommon<'a> {
    /// The `@odata.type` annotation.
    pub odata_type: &'a Field<String>,
    /// When the evidence was added to the alert.
    pub created_date_time: &'a Field<Timestamp>,
    /// What automated investigation decided.
    pub verdict: &'a Field<EvidenceVerdict>,
    /// Where remediation stands.
    pub remediation_status: &'a Field<EvidenceRemediationStatus>,
    /// Details of the remediation.
    pub remediation_status_details: &'a Field<String>,
    /// The roles the entity plays in the alert.
    pub roles: &'a Field<Vec<EvidenceRole>>,
    /// Free-text roles, finer than `roles`.
    pub detailed_roles: &'a Field<Vec<String>>,
    /// Custom tags.
    pub tags: &'a Field<Vec<String>>,
}

/// Declares an evidence type: the inherited `alertEvidence` members followed by the type's own.
macro_rules! evidence_type {
    ($(#[$meta:meta])* pub struct $name:ident { $($body:tt)* }) => {
        wire_object! {
            $(#[$meta])*
            pub struct $name {
                /// When the evidence was added to the alert.
                created_date_time: Timestamp,
                /// What automated investigation decided.
                verdict: EvidenceVerdict,
                /// Where remediation stands.
                remediation_status: EvidenceRemediationStatus,
                /// Details of the remediation.
                remediation_status_details: String,
                /// The roles the entity plays in the alert.
                roles: Vec<EvidenceRole>,
                /// Free-text roles, finer than `roles` (sent on every evidence type, listed on some pages).
                detailed_roles: Vec<String>,
                /// Custom tags, for example marking high-value assets.
                tags: Vec<String>,
                $($body)*
            }
        }

        impl $name {
            /// The inherited `alertEvidence` members.
            pub fn common(&self) -> EvidenceCommon<'_> {
                EvidenceCommon {
                    odata_type: &self.odata_type,
                    created_date_time: &self.created_date_time,
                    verdict: &self.verdict,
                    remediation_status: &self.remediation_status,
                    remediation_status_details: &self.remediation_status_details,
                    roles: &self.roles,
                    detailed_roles: &self.detailed_roles,
                    tags: &self.tags,
                }
            }
        }
    };
}

/// Declares [`AlertEvidence`] and [`EvidenceKind`] from one table of evidence types and their names.
macro_rules! evidence_kinds {
    ($($(#[$vmeta:meta])* $variant:ident($ty:ident) => $type_name:literal),+ $(,)?) => {
        /// One piece of alert evidence, of any evidence type (`alertEvidence` and its subtypes).
        ///
        /// Each type is boxed: evidence types differ a lot in size.
        #[derive(Debug, Clone, PartialEq)]
        pub enum AlertEvidence {
            $($(#[$vmeta])* $variant(Box<$ty>),)+
        }

        /// The type of a piece of evidence, for matching without looking inside.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EvidenceKind {
            $($(#[$vmeta])* $variant,)+
        }

        impl EvidenceKind {
            /// Every evidence type, in declaration order.
            pub const ALL: &'static [EvidenceKind] = &[$(EvidenceKind::$variant),+];

            /// The documented type name, such as `deviceEvidence`.
            pub fn type_name(self) -> &'static str {
                match self {
                    $(EvidenceKind::$variant => $type_name,)+
                }
            }
        }

        impl AlertEvidence {
            /// The evidence type.
            pub fn kind(&self) -> EvidenceKind {
                match self {
                    $(AlertEvidence::$variant(_) => EvidenceKind::$variant,)+
                }
            }

            /// The inherited `alertEvidence` members.
            pub fn common(&self) -> EvidenceCommon<'_> {
                match self {
                    $(AlertEvidence::$variant(e) => e.common(),)+
                }
            }

            /// Members this version of Tandem does not name.
            pub fn extra(&self) -> &Map<String, Value> {
                match self {
                    $(AlertEvidence::$variant(e) => &e.extra,)+
                }
            }

            /// Reads the evidence type `kind` from a JSON object.
            fn read(kind: EvidenceKind, object: Value) -> Result<Self, serde_path_to_error::Error<serde_json::Error>> {
                match kind {
                    $(EvidenceKind::$variant => serde_path_to_error::deserialize(object).map(|e| AlertEvidence::$variant(Box::new(e))),)+
                }
            }
        }

        impl Serialize for AlertEvidence {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(AlertEvidence::$variant(e) => e.serialize(serializer),)+
                }
            }
        }

        $(
            impl From<$ty> for AlertEvidence {
                /// Wraps the evidence, giving it its documented `@odata.type` if it has none.
                fn from(mut evidence: $ty) -> Self {
                    if evidence.odata_type.is_absent() {
                        evidence.odata_type = Field::Value(EvidenceKind::$variant.odata_type());
                    }
                    AlertEvidence::$variant(Box::new(evidence))
                }
            }
        )+
    };
}

evidence_kinds! {
    /// Evidence of the base type only.
    Base(BaseEvidence) => "alertEvidence",
    /// An AWS resource.
    AmazonResource(AmazonResourceEvidence) => "amazonResourceEvidence",
    /// An email message that was analysed.
    AnalyzedMessage(AnalyzedMessageEvidence) => "analyzedMessageEvidence",
    /// An Azure resource.
    AzureResource(AzureResourceEvidence) => "azureResourceEvidence",
    /// An Azure storage blob container.
    BlobContainer(BlobContainerEvidence) => "blobContainerEvidence",
    /// An Azure storage blob.
    Blob(BlobEvidence) => "blobEvidence",
    /// A cloud application.
    CloudApplication(CloudApplicationEvidence) => "cloudApplicationEvidence",
    /// A sign-in session to a cloud service.
    CloudLogonSession(CloudLogonSessionEvidence) => "cloudLogonSessionEvidence",
    /// A container.
    Container(ContainerEvidence) => "containerEvidence",
    /// A container image.
    ContainerImage(ContainerImageEvidence) => "containerImageEvidence",
    /// A container registry.
    ContainerRegistry(ContainerRegistryEvidence) => "containerRegistryEvidence",
    /// A device.
    Device(DeviceEvidence) => "deviceEvidence",
    /// A file.
    File(FileEvidence) => "fileEvidence",
    /// A Google Cloud resource.
    GoogleCloudResource(GoogleCloudResourceEvidence) => "googleCloudResourceEvidence",
    /// An IP address.
    Ip(IpEvidence) => "ipEvidence",
    /// A Kubernetes cluster.
    KubernetesCluster(KubernetesClusterEvidence) => "kubernetesClusterEvidence",
    /// A Kubernetes controller.
    KubernetesController(KubernetesControllerEvidence) => "kubernetesControllerEvidence",
    /// A Kubernetes namespace.
    KubernetesNamespace(KubernetesNamespaceEvidence) => "kubernetesNamespaceEvidence",
    /// A Kubernetes pod.
    KubernetesPod(KubernetesPodEvidence) => "kubernetesPodEvidence",
    /// A Kubernetes secret.
    KubernetesSecret(KubernetesSecretEvidence) => "kubernetesSecretEvidence",
    /// A Kubernetes service account.
    KubernetesServiceAccount(KubernetesServiceAccountEvidence) => "kubernetesServiceAccountEvidence",
    /// A Kubernetes service.
    KubernetesService(KubernetesServiceEvidence) => "kubernetesServiceEvidence",
    /// A mailbox setting such as a forwarding rule.
    MailboxConfiguration(MailboxConfigurationEvidence) => "mailboxConfigurationEvidence",
    /// A mailbox.
    Mailbox(MailboxEvidence) => "mailboxEvidence",
    /// A cluster of similar email messages.
    MailCluster(MailClusterEvidence) => "mailClusterEvidence",
    /// An OAuth application.
    OauthApplication(OauthApplicationEvidence) => "oauthApplicationEvidence",
    /// A process.
    Process(ProcessEvidence) => "processEvidence",
    /// A registry key.
    RegistryKey(RegistryKeyEvidence) => "registryKeyEvidence",
    /// A registry value.
    RegistryValue(RegistryValueEvidence) => "registryValueEvidence",
    /// A security group.
    SecurityGroup(SecurityGroupEvidence) => "securityGroupEvidence",
    /// An email message a user submitted for analysis.
    SubmissionMail(SubmissionMailEvidence) => "submissionMailEvidence",
    /// A URL.
    Url(UrlEvidence) => "urlEvidence",
    /// A user.
    User(UserEvidence) => "userEvidence",
}

impl EvidenceKind {
    /// The documented `@odata.type`, such as `#microsoft.graph.security.deviceEvidence`.
    pub fn odata_type(self) -> String {
        format!("#{SECURITY_NAMESPACE}.{}", self.type_name())
    }

    /// The evidence type an `@odata.type` names (with or without `#`, any casing), if Tandem knows it.
    pub fn from_odata_type(odata_type: &str) -> Option<Self> {
        let name = security_type_name(odata_type)?;
        EvidenceKind::ALL
            .iter()
            .copied()
            .find(|kind| kind.type_name().eq_ignore_ascii_case(name))
    }
}

impl<'de> Deserialize<'de> for AlertEvidence {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let object = Map::<String, Value>::deserialize(deserializer)?;
        let kind = match object.get("@odata.type") {
            Some(Value::String(name)) => EvidenceKind::from_odata_type(name).ok_or_else(|| {
                D::Error::custom(format_args!(
                    "field `@odata.type`: unknown evidence type \"{name}\""
                ))
            })?,
            Some(other) => {
                return Err(D::Error::custom(format_args!(
                    "field `@odata.type`: expected an evidence type name, found {other}"
                )));
            }
            None => return Err(D::Error::missing_field("@odata.type")),
        };
        AlertEvidence::read(kind, Value::Object(object))
            .map_err(|e| D::Error::custom(format_args!("field `{}`: {}", e.path(), e.inner())))
    }
}

evidence_type! {
    /// Evidence of the base `alertEvidence` type, with no members of its own.
    pub struct BaseEvidence {}
}

evidence_type! {
    /// An AWS resource (`amazonResourceEvidence`).
    pub struct AmazonResourceEvidence {
        /// The AWS account.
        amazon_account_id: String,
        /// The resource's identifier in AWS.
        amazon_resource_id: String,
        /// The resource's identifier.
        resource_id: String,
        /// The resource's name.
        resource_name: String,
        /// The resource's type.
        resource_type: String,
    }
}

evidence_type! {
    /// An email message that was analysed (`analyzedMessageEvidence`).
    pub struct AnalyzedMessageEvidence {
        /// `inbound`, `outbound` or `intraorg`.
        anti_spam_direction: String,
        /// How many attachments the message has.
        attachments_count: i64,
        /// What was done with the message (`delivered`, `junked`, `blocked`, ...).
        delivery_action: String,
        /// Where the message ended up (`inbox`, `quarantine`, ...).
        delivery_location: String,
        /// The `Message-ID` header.
        internet_message_id: String,
        /// The message's language.
        language: String,
        /// The identifier Exchange Online gave the message.
        network_message_id: String,
        /// The envelope sender.
        p1_sender: EmailSender,
        /// The header sender.
        p2_sender: EmailSender,
        /// When the message was received.
        received_date_time: Timestamp,
        /// The recipient's address.
        recipient_email_address: String,
        /// The sending server's IP address.
        sender_ip: String,
        /// The subject.
        subject: String,
        /// How threats were detected.
        threat_detection_methods: Vec<String>,
        /// The threats found.
        threats: Vec<String>,
        /// How many URLs the message holds.
        url_count: i64,
        /// The URLs the message holds.
        urls: Vec<String>,
        /// The message's URN.
        urn: String,
    }
}

evidence_type! {
    /// An Azure resource (`azureResourceEvidence`).
    pub struct AzureResourceEvidence {
        /// The Azure resource identifier.
        resource_id: String,
        /// The resource's name.
        resource_name: String,
        /// The resource's type.
        resource_type: String,
    }
}

evidence_type! {
    /// An Azure storage blob container (`blobContainerEvidence`).
    pub struct BlobContainerEvidence {
        /// The container's name.
        name: String,
        /// The storage account holding it.
        storage_resource: Box<AzureResourceEvidence>,
        /// The container's URL.
        url: String,
    }
}

evidence_type! {
    /// An Azure storage blob (`blobEvidence`).
    pub struct BlobEvidence {
        /// The container holding the blob.
        blob_container: Box<BlobContainerEvidence>,
        /// The blob's entity tag.
        etag: String,
        /// Hashes of the blob's content.
        file_hashes: Vec<FileHash>,
        /// The blob's name.
        name: String,
        /// The blob's URL.
        url: String,
    }
}

evidence_type! {
    /// A cloud application (`cloudApplicationEvidence`).
    pub struct CloudApplicationEvidence {
        /// The application's identifier.
        app_id: i64,
        /// The application's name.
        display_name: String,
        /// The application instance's identifier.
        instance_id: i64,
        /// The application instance's name.
        instance_name: String,
        /// The application's identifier in Defender for Cloud Apps.
        saas_app_id: i64,
    }
}

evidence_type! {
    /// A sign-in session to a cloud service (`cloudLogonSessionEvidence`).
    pub struct CloudLogonSessionEvidence {
        /// The session's identifier.
        session_id: String,
        /// The account that signed in.
        account: Box<UserEvidence>,
        /// The sign-in protocol.
        protocol: String,
        /// The device used.
        device_name: String,
        /// The device's operating system.
        operating_system: String,
        /// The browser used.
        browser: String,
        /// The client's user agent.
        user_agent: String,
        /// When the session started.
        start_utc_date_time: Timestamp,
        /// When the account last signed in before this session.
        previous_logon_date_time: Timestamp,
    }
}

evidence_type! {
    /// A container (`containerEvidence`).
    pub struct ContainerEvidence {
        /// The entry point's arguments.
        args: Vec<String>,
        /// The entry point.
        command: Vec<String>,
        /// The container's identifier.
        container_id: String,
        /// The image it runs.
        image: Box<ContainerImageEvidence>,
        /// Whether it runs privileged.
        is_privileged: bool,
        /// The container's name.
        name: String,
        /// The pod it runs in.
        pod: Box<KubernetesPodEvidence>,
    }
}

evidence_type! {
    /// A container image (`containerImageEvidence`).
    pub struct ContainerImageEvidence {
        /// The image by digest.
        digest_image: Box<ContainerImageEvidence>,
        /// The image's identifier.
        image_id: String,
        /// The registry holding it.
        registry: Box<ContainerRegistryEvidence>,
    }
}

evidence_type! {
    /// A container registry (`containerRegistryEvidence`).
    pub struct ContainerRegistryEvidence {
        /// The registry's address.
        registry: String,
    }
}

evidence_type! {
    /// A device (`deviceEvidence`).
    pub struct DeviceEvidence {
        /// The Entra device identifier.
        azure_ad_device_id: String,
        /// The state of the device's antimalware engine.
        defender_av_status: DefenderAvStatus,
        /// The fully qualified domain name.
        device_dns_name: String,
        /// When the device was first seen.
        first_seen_date_time: Timestamp,
        /// How the device's sensor is reporting.
        health_status: DeviceHealthStatus,
        /// The device's IP addresses.
        ip_interfaces: Vec<String>,
        /// The users signed in when the alert was raised.
        logged_on_users: Vec<LoggedOnUser>,
        /// The Defender for Endpoint device identifier.
        mde_device_id: String,
        /// Whether the device is onboarded.
        onboarding_status: OnboardingStatus,
        /// The operating system build.
        os_build: i64,
        /// The operating system platform.
        os_platform: String,
        /// The device group's identifier.
        rbac_group_id: i32,
        /// The device group's name.
        rbac_group_name: String,
        /// The device's risk.
        risk_score: DeviceRiskScore,
        /// The operating system version.
        version: String,
        /// Where the device runs, if it is a virtual machine.
        vm_metadata: VmMetadata,
    }
}

evidence_type! {
    /// A file (`fileEvidence`).
    pub struct FileEvidence {
        /// Whether the threat was stopped.
        detection_status: DetectionStatus,
        /// The file.
        file_details: FileDetails,
        /// The Defender for Endpoint device the file is on.
        mde_device_id: String,
    }
}

evidence_type! {
    /// A Google Cloud resource (`googleCloudResourceEvidence`).
    pub struct GoogleCloudResourceEvidence {
        /// The zone or region.
        location: String,
        /// Whether `location` is a region, a zone or global.
        location_type: GoogleCloudLocationType,
        /// The project's identifier.
        project_id: String,
        /// The project's number.
        project_number: i64,
        /// The resource's identifier.
        resource_id: String,
        /// The resource's name.
        resource_name: String,
        /// The resource's type.
        resource_type: String,
    }
}

evidence_type! {
    /// An IP address (`ipEvidence`).
    pub struct IpEvidence {
        /// The ISO 3166 two-letter country code.
        country_letter_code: String,
        /// The IPv4 or IPv6 address.
        ip_address: String,
    }
}

evidence_type! {
    /// A Kubernetes cluster (`kubernetesClusterEvidence`).
    pub struct KubernetesClusterEvidence {
        /// The cloud resource behind the cluster (Amazon, Azure or Google resource evidence).
        cloud_resource: AlertEvidence,
        /// The distribution.
        distribution: String,
        /// The cluster's name.
        name: String,
        /// The platform it runs on.
        platform: KubernetesPlatform,
        /// The Kubernetes version.
        version: String,
    }
}

evidence_type! {
    /// A Kubernetes controller (`kubernetesControllerEvidence`).
    pub struct KubernetesControllerEvidence {
        /// The controller's labels.
        labels: Dictionary,
        /// The controller's name.
        name: String,
        /// Its namespace.
        namespace: Box<KubernetesNamespaceEvidence>,
        /// The controller's type.
        r#type: String,
    }
}

evidence_type! {
    /// A Kubernetes namespace (`kubernetesNamespaceEvidence`).
    pub struct KubernetesNamespaceEvidence {
        /// The cluster.
        cluster: Box<KubernetesClusterEvidence>,
        /// The namespace's labels.
        labels: Dictionary,
        /// The namespace's name.
        name: String,
    }
}

evidence_type! {
    /// A Kubernetes pod (`kubernetesPodEvidence`).
    pub struct KubernetesPodEvidence {
        /// The containers.
        containers: Vec<ContainerEvidence>,
        /// The controller managing the pod.
        controller: Box<KubernetesControllerEvidence>,
        /// The ephemeral containers.
        ephemeral_containers: Vec<ContainerEvidence>,
        /// The init containers.
        init_containers: Vec<ContainerEvidence>,
        /// The pod's labels.
        labels: Dictionary,
        /// The pod's name.
        name: String,
        /// Its namespace.
        namespace: Box<KubernetesNamespaceEvidence>,
        /// The pod's IP address.
        pod_ip: Box<IpEvidence>,
        /// The service account it runs as.
        service_account: Box<KubernetesServiceAccountEvidence>,
    }
}

evidence_type! {
    /// A Kubernetes secret (`kubernetesSecretEvidence`).
    pub struct KubernetesSecretEvidence {
        /// The secret's name.
        name: String,
        /// Its namespace.
        namespace: Box<KubernetesNamespaceEvidence>,
        /// The secret's type.
        secret_type: String,
    }
}

evidence_type! {
    /// A Kubernetes service account (`kubernetesServiceAccountEvidence`).
    pub struct KubernetesServiceAccountEvidence {
        /// The account's name.
        name: String,
        /// Its namespace.
        namespace: Box<KubernetesNamespaceEvidence>,
    }
}

evidence_type! {
    /// A Kubernetes service (`kubernetesServiceEvidence`).
    pub struct KubernetesServiceEvidence {
        /// The cluster IP address.
        #[serde(rename = "clusterIP")]
        cluster_ip: Box<IpEvidence>,
        /// The external IP addresses.
        #[serde(rename = "externalIPs")]
        external_ips: Vec<IpEvidence>,
        /// The service's labels.
        labels: Dictionary,
        /// The service's name.
        name: String,
        /// Its namespace.
        namespace: Box<KubernetesNamespaceEvidence>,
        /// The selector choosing its pods.
        selector: Dictionary,
        /// The ports (`kubernetesServicePort`, which has no resource page: kept as sent).
        service_ports: Vec<Value>,
        /// The service's type.
        service_type: KubernetesServiceType,
    }
}

evidence_type! {
    /// A mailbox setting such as a forwarding rule (`mailboxConfigurationEvidence`).
    pub struct MailboxConfigurationEvidence {
        /// The setting's identifier.
        configuration_id: String,
        /// The kind of setting.
        configuration_type: MailboxConfigurationType,
        /// The mailbox's display name.
        display_name: String,
        /// The mailbox owner's Entra object identifier.
        external_directory_object_id: String,
        /// The mailbox's primary address.
        mailbox_primary_address: String,
        /// The mailbox owner's user principal name.
        upn: String,
    }
}

evidence_type! {
    /// A mailbox (`mailboxEvidence`).
    pub struct MailboxEvidence {
        /// The mailbox's display name.
        display_name: String,
        /// The primary address.
        primary_address: String,
        /// The owner's user principal name.
        upn: String,
        /// The owner's account.
        user_account: UserAccount,
    }
}

evidence_type! {
    /// A cluster of similar email messages (`mailClusterEvidence`).
    pub struct MailClusterEvidence {
        /// The clustering criterion.
        cluster_by: String,
        /// The criterion's value.
        cluster_by_value: String,
        /// How many messages the cluster holds.
        email_count: i64,
        /// The messages' network message identifiers.
        network_message_ids: Vec<String>,
        /// The query that finds the messages.
        query: String,
        /// The cluster's URN.
        urn: String,
    }
}

evidence_type! {
    /// An OAuth application (`oauthApplicationEvidence`).
    pub struct OauthApplicationEvidence {
        /// The application identifier.
        app_id: String,
        /// The application's name.
        display_name: String,
        /// The application's object identifier.
        object_id: String,
        /// The publisher.
        publisher: String,
    }
}

evidence_type! {
    /// A process (`processEvidence`).
    pub struct ProcessEvidence {
        /// Whether the threat was stopped.
        detection_status: DetectionStatus,
        /// The executable.
        image_file: FileDetails,
        /// The Defender for Endpoint device it ran on.
        mde_device_id: String,
        /// When the parent process started.
        parent_process_creation_date_time: Timestamp,
        /// The parent's process identifier.
        parent_process_id: i64,
        /// The parent's executable.
        parent_process_image_file: FileDetails,
        /// The command line.
        process_command_line: String,
        /// When the process started.
        process_creation_date_time: Timestamp,
        /// The process identifier.
        process_id: i64,
        /// The account it ran as.
        user_account: UserAccount,
    }
}

evidence_type! {
    /// A registry key (`registryKeyEvidence`).
    pub struct RegistryKeyEvidence {
        /// The hive.
        registry_hive: String,
        /// The key.
        registry_key: String,
    }
}

evidence_type! {
    /// A registry value (`registryValueEvidence`).
    pub struct RegistryValueEvidence {
        /// The Defender for Endpoint device holding the value.
        mde_device_id: String,
        /// The hive.
        registry_hive: String,
        /// The key.
        registry_key: String,
        /// The data.
        registry_value: String,
        /// The value's name.
        registry_value_name: String,
        /// The data's type.
        registry_value_type: String,
    }
}

evidence_type! {
    /// A security group (`securityGroupEvidence`).
    pub struct SecurityGroupEvidence {
        /// The Active Directory object GUID.
        active_directory_object_guid: String,
        /// The group's name.
        display_name: String,
        /// The distinguished name.
        distinguished_name: String,
        /// The friendly name.
        friendly_name: String,
        /// The group's identifier.
        security_group_id: String,
        /// The security identifier.
        sid: String,
    }
}

evidence_type! {
    /// An email message a user submitted for analysis (`submissionMailEvidence`).
    pub struct SubmissionMailEvidence {
        /// The identifier Exchange Online gave the message.
        network_message_id: String,
        /// The recipient.
        recipient: String,
        /// The submission's category.
        report_type: String,
        /// The sender.
        sender: String,
        /// The sending server's IP address.
        sender_ip: String,
        /// The subject.
        subject: String,
        /// When the message was submitted.
        submission_date_time: Timestamp,
        /// The submission's identifier.
        submission_id: String,
        /// Who submitted it.
        submitter: String,
    }
}

evidence_type! {
    /// A URL (`urlEvidence`).
    pub struct UrlEvidence {
        /// The URL.
        url: String,
    }
}

evidence_type! {
    /// A user (`userEvidence`).
    pub struct UserEvidence {
        /// The user's account.
        user_account: UserAccount,
    }
}
