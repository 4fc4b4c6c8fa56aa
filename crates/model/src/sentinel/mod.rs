//! Microsoft Sentinel (`Microsoft.SecurityInsights`) incident API wire types, version 2024-09-01.
//!
//! The SIEM serves these shapes and the connector sends them, so Microsoft's own SDKs and the real
//! Sentinel API both work against Tandem. Every resource travels in the ARM envelope [`Resource`]; lists
//! in [`List`]; failures in [`CloudError`].

mod arm;
mod comment;
mod entity;
mod incident;
mod relation;
mod task;

pub use arm::{CloudError, CloudErrorBody, CreatedByType, List, Resource, SystemData};
pub use comment::{ClientInfo, IncidentComment, IncidentCommentProperties};
pub use entity::{
    AccountEntityProperties, AlertSeverity, AzureResourceEntityProperties,
    BookmarkEntityProperties, CloudApplicationEntityProperties, DnsEntityProperties, Entity,
    EntityKind, EntityProperties, FileEntityProperties, FileHashEntityProperties,
    HostEntityProperties, IncidentAlertList, IncidentEntitiesMetadata, IncidentEntitiesResponse,
    IoTDeviceEntityProperties, IpEntityProperties, MailClusterEntityProperties,
    MailMessageEntityProperties, MailboxEntityProperties, MalwareEntityProperties,
    ProcessEntityProperties, RegistryKeyEntityProperties, RegistryValueEntityProperties,
    SecurityAlertProperties, SecurityGroupEntityProperties, SubmissionMailEntityProperties,
    UrlEntityProperties,
};
pub use incident::{
    AttackTactic, Incident, IncidentAdditionalData, IncidentClassification,
    IncidentClassificationReason, IncidentLabel, IncidentLabelType, IncidentOwner,
    IncidentProperties, IncidentSeverity, IncidentStatus, OwnerType, TeamInformation,
};
pub use relation::{IncidentRelation, RelationProperties};
pub use task::{IncidentTask, IncidentTaskProperties, IncidentTaskStatus};
