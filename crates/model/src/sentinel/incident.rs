//! The Sentinel incident: its properties, their enums, owner, labels and the read-only additional data.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::arm::Resource;
use crate::wire::{Field, Timestamp};

/// A Sentinel incident in its ARM envelope.
pub type Incident = Resource<IncidentProperties>;

crate::wire_enum! {
    /// How severe an incident is.
    pub enum IncidentSeverity {
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

crate::wire_enum! {
    /// Where an incident is in its life cycle.
    pub enum IncidentStatus {
        /// Not looked at yet.
        New => "New",
        /// Being worked on.
        Active => "Active",
        /// Closed; `classification` says why.
        Closed => "Closed",
    }
}

crate::wire_enum! {
    /// The verdict given when an incident is closed.
    pub enum IncidentClassification {
        /// No verdict.
        Undetermined => "Undetermined",
        /// Real malicious activity.
        TruePositive => "TruePositive",
        /// Real activity that is expected or harmless.
        BenignPositive => "BenignPositive",
        /// Not what the detection claimed.
        FalsePositive => "FalsePositive",
    }
}

crate::wire_enum! {
    /// Why an incident got its classification.
    pub enum IncidentClassificationReason {
        /// True positive: the activity is suspicious.
        SuspiciousActivity => "SuspiciousActivity",
        /// Benign positive: suspicious but expected.
        SuspiciousButExpected => "SuspiciousButExpected",
        /// False positive: the detection logic is wrong.
        IncorrectAlertLogic => "IncorrectAlertLogic",
        /// False positive: the data the detection read is wrong.
        InaccurateData => "InaccurateData",
    }
}

crate::wire_enum! {
    /// What kind of principal owns an incident.
    pub enum OwnerType {
        /// Not known.
        Unknown => "Unknown",
        /// A user.
        User => "User",
        /// A group.
        Group => "Group",
    }
}

crate::wire_enum! {
    /// Who attached a label.
    pub enum IncidentLabelType {
        /// A person.
        User => "User",
        /// The system.
        AutoAssigned => "AutoAssigned",
    }
}

crate::wire_enum! {
    /// A MITRE ATT&CK tactic.
    pub enum AttackTactic {
        /// Reconnaissance.
        Reconnaissance => "Reconnaissance",
        /// Resource development.
        ResourceDevelopment => "ResourceDevelopment",
        /// Initial access.
        InitialAccess => "InitialAccess",
        /// Execution.
        Execution => "Execution",
        /// Persistence.
        Persistence => "Persistence",
        /// Privilege escalation.
        PrivilegeEscalation => "PrivilegeEscalation",
        /// Defense evasion.
        DefenseEvasion => "DefenseEvasion",
        /// Credential access.
        CredentialAccess => "CredentialAccess",
        /// Discovery.
        Discovery => "Discovery",
        /// Lateral movement.
        LateralMovement => "LateralMovement",
        /// Collection.
        Collection => "Collection",
        /// Exfiltration.
        Exfiltration => "Exfiltration",
        /// Command and control.
        CommandAndControl => "CommandAndControl",
        /// Impact.
        Impact => "Impact",
        /// Pre-attack.
        PreAttack => "PreAttack",
        /// Impair process control (ICS).
        ImpairProcessControl => "ImpairProcessControl",
        /// Inhibit response function (ICS).
        InhibitResponseFunction => "InhibitResponseFunction",
    }
}

/// The members of a Sentinel incident.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentProperties {
    /// Title.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub title: Field<String>,
    /// Description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Severity.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub severity: Field<IncidentSeverity>,
    /// Life-cycle status.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub status: Field<IncidentStatus>,
    /// Verdict, set when closing.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification: Field<IncidentClassification>,
    /// Reason for the verdict.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification_reason: Field<IncidentClassificationReason>,
    /// Free-text note on the verdict.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub classification_comment: Field<String>,
    /// Who the incident is assigned to.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub owner: Field<IncidentOwner>,
    /// Labels (tags).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub labels: Field<Vec<IncidentLabel>>,
    /// Counts and product details (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub additional_data: Field<IncidentAdditionalData>,
    /// The product that created the incident, such as `Azure Sentinel` (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_name: Field<String>,
    /// The incident's id in that product (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_incident_id: Field<String>,
    /// Sequential number in the workspace (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub incident_number: Field<i64>,
    /// Portal link (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub incident_url: Field<String>,
    /// Time of the first activity in the incident.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub first_activity_time_utc: Field<Timestamp>,
    /// Time of the last activity in the incident.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_activity_time_utc: Field<Timestamp>,
    /// When the incident was created (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub created_time_utc: Field<Timestamp>,
    /// When the incident was changed last (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub last_modified_time_utc: Field<Timestamp>,
    /// Analytics rules whose alerts are in the incident (read-only).
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub related_analytic_rule_ids: Field<Vec<String>>,
    /// The Microsoft Teams team working the incident.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub team_information: Field<TeamInformation>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who an incident is assigned to.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentOwner {
    /// Directory object id of the owner.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub object_id: Field<String>,
    /// Email address.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub email: Field<String>,
    /// Display name the incident is assigned to.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub assigned_to: Field<String>,
    /// User principal name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub user_principal_name: Field<String>,
    /// User or group.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub owner_type: Field<OwnerType>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A label on an incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentLabel {
    /// The label text.
    pub label_name: String,
    /// Who attached it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub label_type: Field<IncidentLabelType>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl IncidentLabel {
    /// A label attached by a person.
    pub fn user(name: impl Into<String>) -> Self {
        IncidentLabel {
            label_name: name.into(),
            label_type: Field::Value(IncidentLabelType::User),
            extra: Map::new(),
        }
    }
}

/// Read-only counts and product details of an incident.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IncidentAdditionalData {
    /// Number of alerts.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alerts_count: Field<i64>,
    /// Number of bookmarks.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub bookmarks_count: Field<i64>,
    /// Number of comments.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub comments_count: Field<i64>,
    /// Names of the products that raised the alerts.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub alert_product_names: Field<Vec<String>>,
    /// ATT&CK tactics of the alerts.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub tactics: Field<Vec<AttackTactic>>,
    /// ATT&CK technique ids of the alerts, such as `T1059`.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub techniques: Field<Vec<String>>,
    /// Link to the incident in the product that created it.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub provider_incident_url: Field<String>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The Microsoft Teams team created for an incident.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamInformation {
    /// Team id.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub team_id: Field<String>,
    /// Link to the team's primary channel.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub primary_channel_url: Field<String>,
    /// When the team was created.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub team_creation_time_utc: Field<Timestamp>,
    /// Team name.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub name: Field<String>,
    /// Team description.
    #[serde(default, skip_serializing_if = "Field::is_absent")]
    pub description: Field<String>,
    /// Members this model does not name.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
