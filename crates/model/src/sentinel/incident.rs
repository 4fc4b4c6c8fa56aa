//! The Sentinel incident: its properties, their enums, owner, labels and the read-only additional data.

use serde_json::Map;

use super::arm::Resource;
use crate::wire::wire_struct;
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

wire_struct! {
    /// The members of a Sentinel incident.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct IncidentProperties {
        /// Title.
        title: String,
        /// Description.
        description: String,
        /// Severity.
        severity: IncidentSeverity,
        /// Life-cycle status.
        status: IncidentStatus,
        /// Verdict, set when closing.
        classification: IncidentClassification,
        /// Reason for the verdict.
        classification_reason: IncidentClassificationReason,
        /// Free-text note on the verdict.
        classification_comment: String,
        /// Who the incident is assigned to.
        owner: IncidentOwner,
        /// Labels (tags).
        labels: Vec<IncidentLabel>,
        /// Counts and product details (read-only).
        additional_data: IncidentAdditionalData,
        /// The product that created the incident, such as `Azure Sentinel` (read-only).
        provider_name: String,
        /// The incident's id in that product (read-only).
        provider_incident_id: String,
        /// Sequential number in the workspace (read-only).
        incident_number: i64,
        /// Portal link (read-only).
        incident_url: String,
        /// Time of the first activity in the incident.
        first_activity_time_utc: Timestamp,
        /// Time of the last activity in the incident.
        last_activity_time_utc: Timestamp,
        /// When the incident was created (read-only).
        created_time_utc: Timestamp,
        /// When the incident was changed last (read-only).
        last_modified_time_utc: Timestamp,
        /// Analytics rules whose alerts are in the incident (read-only).
        related_analytic_rule_ids: Vec<String>,
        /// The Microsoft Teams team working the incident.
        team_information: TeamInformation,
    }
}

wire_struct! {
    /// Who an incident is assigned to.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct IncidentOwner {
        /// Directory object id of the owner.
        object_id: String,
        /// Email address.
        email: String,
        /// Display name the incident is assigned to.
        assigned_to: String,
        /// User principal name.
        user_principal_name: String,
        /// User or group.
        owner_type: OwnerType,
    }
}

wire_struct! {
    /// A label on an incident.
    #[serde(rename_all = "camelCase")]
    pub struct IncidentLabel {
        /// The label text.
        required label_name: String,
        /// Who attached it.
        label_type: IncidentLabelType,
    }
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

wire_struct! {
    /// Read-only counts and product details of an incident.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct IncidentAdditionalData {
        /// Number of alerts.
        alerts_count: i64,
        /// Number of bookmarks.
        bookmarks_count: i64,
        /// Number of comments.
        comments_count: i64,
        /// Names of the products that raised the alerts.
        alert_product_names: Vec<String>,
        /// ATT&CK tactics of the alerts.
        tactics: Vec<AttackTactic>,
        /// ATT&CK technique ids of the alerts, such as `T1059`.
        techniques: Vec<String>,
        /// Link to the incident in the product that created it.
        provider_incident_url: String,
    }
}

wire_struct! {
    /// The Microsoft Teams team created for an incident.
    #[derive(Default)]
    #[serde(rename_all = "camelCase")]
    pub struct TeamInformation {
        /// Team id.
        team_id: String,
        /// Link to the team's primary channel.
        primary_channel_url: String,
        /// When the team was created.
        team_creation_time_utc: Timestamp,
        /// Team name.
        name: String,
        /// Team description.
        description: String,
    }
}
