//! The enumerations of the Graph security resources, as the resource pages list them.
//!
//! Each is an evolvable enumeration: `unknownFutureValue` is a member, values added later are kept in
//! `Other`, and every casing is read (`TruePositive`, `truePositive`).

use crate::wire_enum;

wire_enum! {
    /// The state of an incident (`incidentStatus`).
    pub enum IncidentStatus {
        /// Open.
        Active => "active",
        /// Closed.
        Resolved => "resolved",
        /// Being mitigated.
        InProgress => "inProgress",
        /// Merged into the incident named by `redirectIncidentId`.
        Redirected => "redirected",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
        /// Waiting for the customer to act on an expert's request.
        AwaitingAction => "awaitingAction",
    }
}

wire_enum! {
    /// The state of an alert (`alertStatus`).
    pub enum AlertStatus {
        /// Not known.
        Unknown => "unknown",
        /// Not yet looked at.
        New => "new",
        /// Being mitigated.
        InProgress => "inProgress",
        /// Closed.
        Resolved => "resolved",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// How much harm an incident or alert may do (`alertSeverity`).
    pub enum AlertSeverity {
        /// Not known.
        Unknown => "unknown",
        /// Worth knowing, probably not actionable.
        Informational => "informational",
        /// Low.
        Low => "low",
        /// Medium.
        Medium => "medium",
        /// High.
        High => "high",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// Whether an incident or alert is a real threat (`alertClassification`).
    pub enum AlertClassification {
        /// Not classified yet.
        Unknown => "unknown",
        /// No malicious activity.
        FalsePositive => "falsePositive",
        /// Malicious activity.
        TruePositive => "truePositive",
        /// Benign positive: expected activity such as a security test.
        InformationalExpectedActivity => "informationalExpectedActivity",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// What an investigation found (`alertDetermination`).
    ///
    /// The incident and alert pages list different names for some outcomes (`compromisedUser` and
    /// `compromisedAccount`, `clean` and `notMalicious`, ...); both are members and each is written as read.
    pub enum AlertDetermination {
        /// Not determined yet.
        Unknown => "unknown",
        /// Advanced persistent threat.
        Apt => "apt",
        /// Malicious software.
        Malware => "malware",
        /// Activity by the customer's security staff.
        SecurityPersonnel => "securityPersonnel",
        /// A known security test.
        SecurityTesting => "securityTesting",
        /// Unwanted software.
        UnwantedSoftware => "unwantedSoftware",
        /// Some other outcome.
        OtherOutcome => "other",
        /// An attack spanning several kill-chain stages.
        MultiStagedAttack => "multiStagedAttack",
        /// A user's credentials were compromised (incident page spelling).
        CompromisedUser => "compromisedUser",
        /// A user's credentials were compromised (alert page spelling).
        CompromisedAccount => "compromisedAccount",
        /// Phishing email.
        Phishing => "phishing",
        /// A signed-in user acted maliciously.
        MaliciousUserActivity => "maliciousUserActivity",
        /// Not malicious (incident page spelling).
        Clean => "clean",
        /// Not malicious (alert and incident update page spelling).
        NotMalicious => "notMalicious",
        /// Too little data to tell (incident page spelling).
        InsufficientData => "insufficientData",
        /// Too little data to tell (alert and incident update page spelling).
        NotEnoughDataToValidate => "notEnoughDataToValidate",
        /// Known, accepted user activity.
        ConfirmedUserActivity => "confirmedUserActivity",
        /// Known, accepted activity (alert page spelling).
        ConfirmedActivity => "confirmedActivity",
        /// A known internal application.
        LineOfBusinessApplication => "lineOfBusinessApplication",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The product that created an alert (`serviceSource`).
    pub enum ServiceSource {
        /// Not known.
        Unknown => "unknown",
        /// Defender for Endpoint.
        MicrosoftDefenderForEndpoint => "microsoftDefenderForEndpoint",
        /// Defender for Identity.
        MicrosoftDefenderForIdentity => "microsoftDefenderForIdentity",
        /// Defender for Cloud Apps.
        MicrosoftDefenderForCloudApps => "microsoftDefenderForCloudApps",
        /// Defender for Office 365.
        MicrosoftDefenderForOffice365 => "microsoftDefenderForOffice365",
        /// Microsoft 365 Defender.
        Microsoft365Defender => "microsoft365Defender",
        /// Entra ID Protection.
        AzureAdIdentityProtection => "azureAdIdentityProtection",
        /// App governance.
        MicrosoftAppGovernance => "microsoftAppGovernance",
        /// Purview Data Loss Prevention.
        DataLossPrevention => "dataLossPrevention",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
        /// Defender for Cloud.
        MicrosoftDefenderForCloud => "microsoftDefenderForCloud",
    }
}

wire_enum! {
    /// The detector or sensor that raised an alert (`detectionSource`).
    pub enum DetectionSource {
        /// Not known.
        Unknown => "unknown",
        /// Defender for Endpoint.
        MicrosoftDefenderForEndpoint => "microsoftDefenderForEndpoint",
        /// Antivirus.
        Antivirus => "antivirus",
        /// SmartScreen.
        SmartScreen => "smartScreen",
        /// Custom threat intelligence.
        CustomTi => "customTi",
        /// Defender for Office 365.
        MicrosoftDefenderForOffice365 => "microsoftDefenderForOffice365",
        /// Automated investigation.
        AutomatedInvestigation => "automatedInvestigation",
        /// Threat Experts.
        MicrosoftThreatExperts => "microsoftThreatExperts",
        /// A custom detection rule.
        CustomDetection => "customDetection",
        /// Defender for Identity.
        MicrosoftDefenderForIdentity => "microsoftDefenderForIdentity",
        /// Cloud app security.
        CloudAppSecurity => "cloudAppSecurity",
        /// Microsoft 365 Defender.
        Microsoft365Defender => "microsoft365Defender",
        /// Entra ID Protection.
        AzureAdIdentityProtection => "azureAdIdentityProtection",
        /// Raised by hand.
        Manual => "manual",
        /// Purview Data Loss Prevention.
        MicrosoftDataLossPrevention => "microsoftDataLossPrevention",
        /// An app governance policy.
        AppGovernancePolicy => "appGovernancePolicy",
        /// An app governance detection.
        AppGovernanceDetection => "appGovernanceDetection",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
        /// Defender for Cloud.
        MicrosoftDefenderForCloud => "microsoftDefenderForCloud",
        /// Defender for IoT.
        MicrosoftDefenderForIoT => "microsoftDefenderForIoT",
        /// Defender for Servers.
        MicrosoftDefenderForServers => "microsoftDefenderForServers",
        /// Defender for Storage.
        MicrosoftDefenderForStorage => "microsoftDefenderForStorage",
        /// Defender for DNS.
        MicrosoftDefenderForDns => "microsoftDefenderForDNS",
        /// Defender for Databases.
        MicrosoftDefenderForDatabases => "microsoftDefenderForDatabases",
        /// Defender for Containers.
        MicrosoftDefenderForContainers => "microsoftDefenderForContainers",
        /// Defender for Network.
        MicrosoftDefenderForNetwork => "microsoftDefenderForNetwork",
        /// Defender for App Service.
        MicrosoftDefenderForAppService => "microsoftDefenderForAppService",
        /// Defender for Key Vault.
        MicrosoftDefenderForKeyVault => "microsoftDefenderForKeyVault",
        /// Defender for Resource Manager.
        MicrosoftDefenderForResourceManager => "microsoftDefenderForResourceManager",
        /// Defender for API Management.
        MicrosoftDefenderForApiManagement => "microsoftDefenderForApiManagement",
    }
}

wire_enum! {
    /// The role an evidence entity plays in an alert (`evidenceRole`).
    pub enum EvidenceRole {
        /// Not known.
        Unknown => "unknown",
        /// Probably benign, reported as a side effect of the attack.
        Contextual => "contextual",
        /// Target of scanning or reconnaissance.
        Scanned => "scanned",
        /// Where the activity came from.
        Source => "source",
        /// Where the activity went.
        Destination => "destination",
        /// Created by the attacker.
        Created => "created",
        /// Added by the attacker (for example to a group).
        Added => "added",
        /// Under the attacker's control.
        Compromised => "compromised",
        /// Changed by the attacker.
        Edited => "edited",
        /// Attacked.
        Attacked => "attacked",
        /// The attacker.
        Attacker => "attacker",
        /// Used for command and control.
        CommandAndControl => "commandAndControl",
        /// Loaded by an attacker-controlled process.
        Loaded => "loaded",
        /// Suspected but not incriminated.
        Suspicious => "suspicious",
        /// Broke a customer-defined policy.
        PolicyViolator => "policyViolator",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// What automated investigation decided about an evidence entity (`evidenceVerdict`).
    pub enum EvidenceVerdict {
        /// No verdict.
        Unknown => "unknown",
        /// Suspicious; remediation awaits approval.
        Suspicious => "suspicious",
        /// Malicious.
        Malicious => "malicious",
        /// Benign.
        NoThreatsFound => "noThreatsFound",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// Where remediation of an evidence entity stands (`evidenceRemediationStatus`), with the members
    /// every evidence page lists.
    pub enum EvidenceRemediationStatus {
        /// No threat found.
        None => "none",
        /// Remediated.
        Remediated => "remediated",
        /// Prevented from running.
        Prevented => "prevented",
        /// Blocked while running.
        Blocked => "blocked",
        /// The entity was not found.
        NotFound => "notFound",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
        /// Still active.
        Active => "active",
        /// Remediation awaits approval.
        PendingApproval => "pendingApproval",
        /// Remediation was declined.
        Declined => "declined",
        /// Not remediated (mailbox configuration page spelling).
        NotRemediated => "notRemediated",
        /// Not remediated (security group and submission mail page spelling).
        Unremediated => "unremediated",
        /// Remediation is running.
        Running => "running",
        /// Partly remediated.
        PartiallyRemediated => "partiallyRemediated",
    }
}

wire_enum! {
    /// Whether a file or process threat was stopped (`detectionStatus`).
    pub enum DetectionStatus {
        /// Detected.
        Detected => "detected",
        /// Remediated at run time.
        Blocked => "blocked",
        /// Prevented from occurring.
        Prevented => "prevented",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// How a device's sensor is reporting (`deviceHealthStatus`).
    pub enum DeviceHealthStatus {
        /// Reporting on every channel.
        Active => "active",
        /// Not reporting.
        Inactive => "inactive",
        /// Not connected to the service.
        ImpairedCommunication => "impairedCommunication",
        /// Not sending telemetry.
        NoSensorData => "noSensorData",
        /// Neither connected nor sending telemetry.
        NoSensorDataImpairedCommunication => "noSensorDataImpairedCommunication",
        /// Not known.
        Unknown => "unknown",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// A device's risk, from the severity of its alerts (`deviceRiskScore`).
    pub enum DeviceRiskScore {
        /// No alerts.
        None => "none",
        /// Informational alerts only.
        Informational => "informational",
        /// Low alerts at most.
        Low => "low",
        /// Medium alerts at most.
        Medium => "medium",
        /// High alerts.
        High => "high",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// Whether a device is onboarded to the endpoint service (`onboardingStatus`).
    pub enum OnboardingStatus {
        /// Not known.
        Unknown => "unknown",
        /// Cannot be determined.
        InsufficientInfo => "insufficientInfo",
        /// Onboarded.
        Onboarded => "onboarded",
        /// Eligible to be onboarded.
        CanBeOnboarded => "canBeOnboarded",
        /// Not supported.
        Unsupported => "unsupported",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The state of a device's antimalware engine (`defenderAvStatus`).
    pub enum DefenderAvStatus {
        /// Not reporting.
        NotReporting => "notReporting",
        /// Disabled.
        Disabled => "disabled",
        /// Out of date.
        NotUpdated => "notUpdated",
        /// Up to date.
        Updated => "updated",
        /// Not known.
        Unknown => "unknown",
        /// Not supported on the platform.
        NotSupported => "notSupported",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The cloud hosting a virtual machine (`vmCloudProvider`).
    pub enum VmCloudProvider {
        /// Not known.
        Unknown => "unknown",
        /// Microsoft Azure.
        Azure => "azure",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The algorithm of a file hash (`fileHashAlgorithm`).
    pub enum FileHashAlgorithm {
        /// Not known.
        Unknown => "unknown",
        /// MD5.
        Md5 => "md5",
        /// SHA-1.
        Sha1 => "sha1",
        /// SHA-256.
        Sha256 => "sha256",
        /// SHA-256 Authenticode.
        Sha256Ac => "sha256ac",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The platform a Kubernetes cluster runs on (`kubernetesPlatform`).
    pub enum KubernetesPlatform {
        /// Not known.
        Unknown => "unknown",
        /// Azure Kubernetes Service.
        Aks => "aks",
        /// Amazon Elastic Kubernetes Service.
        Eks => "eks",
        /// Google Kubernetes Engine.
        Gke => "gke",
        /// Azure Arc.
        Arc => "arc",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The type of a Kubernetes service (`kubernetesServiceType`).
    pub enum KubernetesServiceType {
        /// Not known.
        Unknown => "unknown",
        /// Cluster IP.
        ClusterIp => "clusterIP",
        /// External name.
        ExternalName => "externalName",
        /// Node port.
        NodePort => "nodePort",
        /// Load balancer.
        LoadBalancer => "loadBalancer",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The kind of mailbox setting an evidence entity describes (`mailboxConfigurationType`).
    pub enum MailboxConfigurationType {
        /// A mail forwarding rule.
        MailForwardingRule => "mailForwardingRule",
        /// Outlook on the web settings.
        OwaSettings => "owaSettings",
        /// Exchange Web Services settings.
        EwsSettings => "ewsSettings",
        /// Mail delegation.
        MailDelegation => "mailDelegation",
        /// A user inbox rule.
        UserInboxRule => "userInboxRule",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

wire_enum! {
    /// The scope of a Google Cloud location (`googleCloudLocationType`).
    pub enum GoogleCloudLocationType {
        /// Not known.
        Unknown => "unknown",
        /// A region.
        Regional => "regional",
        /// A zone.
        Zonal => "zonal",
        /// Global.
        Global => "global",
        /// Sentinel member of the evolvable enumeration.
        UnknownFutureValue => "unknownFutureValue",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::WireEnum;

    #[test]
    fn members_after_the_sentinel_are_future_members() {
        assert!(ServiceSource::MicrosoftDefenderForCloud.is_future_member());
        assert!(!ServiceSource::MicrosoftDefenderForEndpoint.is_future_member());
        assert!(!ServiceSource::UnknownFutureValue.is_future_member());
        assert!(DetectionSource::MicrosoftDefenderForDns.is_future_member());
        assert!(!DetectionSource::Manual.is_future_member());
        assert!(IncidentStatus::AwaitingAction.is_future_member());
        assert!(!AlertSeverity::High.is_future_member());
        assert!(!ServiceSource::from_text("notYetDocumented").is_future_member());
        assert!(ServiceSource::from_text("MICROSOFTDEFENDERFORCLOUD").is_future_member());
    }
}
