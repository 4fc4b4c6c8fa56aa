//! Status, severity and verdict (classification with determination or reason) across the two sides.

use crate::graph::{
    AlertClassification, AlertDetermination, AlertSeverity, AlertStatus, IncidentStatus,
};
use crate::sentinel::{
    IncidentClassification, IncidentClassificationReason, IncidentSeverity,
    IncidentStatus as SiemStatus,
};

/// XDR incident status to SIEM status: `active` is `New`, `inProgress` and `awaitingAction` are
/// `Active`, `resolved` and `redirected` are `Closed`; values Tandem does not know are `Active`.
pub fn status_to_siem(status: &IncidentStatus) -> SiemStatus {
    match status {
        IncidentStatus::Active => SiemStatus::New,
        IncidentStatus::Resolved | IncidentStatus::Redirected => SiemStatus::Closed,
        IncidentStatus::InProgress
        | IncidentStatus::AwaitingAction
        | IncidentStatus::UnknownFutureValue
        | IncidentStatus::Other(_) => SiemStatus::Active,
    }
}

/// SIEM status to XDR status: `New` is `active`, `Active` is `inProgress`, `Closed` is `resolved`;
/// values Tandem does not know are `active`.
pub fn status_to_xdr(status: &SiemStatus) -> IncidentStatus {
    match status {
        SiemStatus::New | SiemStatus::Other(_) => IncidentStatus::Active,
        SiemStatus::Active => IncidentStatus::InProgress,
        SiemStatus::Closed => IncidentStatus::Resolved,
    }
}

/// XDR severity to SIEM severity; `unknown` and values Tandem does not know become `Informational`.
pub fn severity_to_siem(severity: &AlertSeverity) -> IncidentSeverity {
    match severity {
        AlertSeverity::High => IncidentSeverity::High,
        AlertSeverity::Medium => IncidentSeverity::Medium,
        AlertSeverity::Low => IncidentSeverity::Low,
        AlertSeverity::Informational
        | AlertSeverity::Unknown
        | AlertSeverity::UnknownFutureValue
        | AlertSeverity::Other(_) => IncidentSeverity::Informational,
    }
}

/// SIEM severity to XDR severity; values Tandem does not know become `unknown`.
pub fn severity_to_xdr(severity: &IncidentSeverity) -> AlertSeverity {
    match severity {
        IncidentSeverity::High => AlertSeverity::High,
        IncidentSeverity::Medium => AlertSeverity::Medium,
        IncidentSeverity::Low => AlertSeverity::Low,
        IncidentSeverity::Informational => AlertSeverity::Informational,
        IncidentSeverity::Other(_) => AlertSeverity::Unknown,
    }
}

/// The `Status` an XDR alert status is written as in a `SecurityAlert` row.
pub fn alert_status_to_siem(status: &AlertStatus) -> String {
    match status {
        AlertStatus::New => "New".into(),
        AlertStatus::InProgress => "InProgress".into(),
        AlertStatus::Resolved => "Resolved".into(),
        AlertStatus::Unknown | AlertStatus::UnknownFutureValue => "Unknown".into(),
        AlertStatus::Other(text) => text.clone(),
    }
}

/// The XDR verdict on an incident: classification and determination (`None` where not set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XdrVerdict {
    /// Whether the incident is a real threat.
    pub classification: Option<AlertClassification>,
    /// What the investigation found.
    pub determination: Option<AlertDetermination>,
}

/// The SIEM verdict on an incident: classification and classification reason (`None` where not set).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SiemVerdict {
    /// Whether the incident is a real threat.
    pub classification: Option<IncidentClassification>,
    /// Why.
    pub reason: Option<IncidentClassificationReason>,
}

/// XDR verdict to SIEM verdict. The classification maps one to one (`informationalExpectedActivity`
/// is `BenignPositive`, `unknown` is `Undetermined`); the reason follows from the classification, except
/// that a false positive whose determination says the data was too thin is `InaccurateData`.
pub fn verdict_to_siem(verdict: &XdrVerdict) -> SiemVerdict {
    use IncidentClassification as C;
    use IncidentClassificationReason as R;
    let classification = verdict.classification.as_ref().and_then(|c| match c {
        AlertClassification::TruePositive => Some(C::TruePositive),
        AlertClassification::FalsePositive => Some(C::FalsePositive),
        AlertClassification::InformationalExpectedActivity => Some(C::BenignPositive),
        AlertClassification::Unknown => Some(C::Undetermined),
        AlertClassification::UnknownFutureValue | AlertClassification::Other(_) => None,
    });
    let thin_data = matches!(
        verdict.determination,
        Some(AlertDetermination::NotEnoughDataToValidate | AlertDetermination::InsufficientData)
    );
    let reason = match classification {
        Some(C::TruePositive) => Some(R::SuspiciousActivity),
        Some(C::BenignPositive) => Some(R::SuspiciousButExpected),
        Some(C::FalsePositive) if thin_data => Some(R::InaccurateData),
        Some(C::FalsePositive) => Some(R::IncorrectAlertLogic),
        _ => None,
    };
    SiemVerdict {
        classification,
        reason,
    }
}

/// SIEM verdict to XDR verdict. `InaccurateData` is `notEnoughDataToValidate`, `IncorrectAlertLogic`
/// is `notMalicious`; the other reasons say nothing finer than the classification, so they become
/// `other`. `Undetermined` is `unknown` / `unknown`.
pub fn verdict_to_xdr(verdict: &SiemVerdict) -> XdrVerdict {
    use IncidentClassification as C;
    use IncidentClassificationReason as R;
    let classification = verdict.classification.as_ref().and_then(|c| match c {
        C::TruePositive => Some(AlertClassification::TruePositive),
        C::FalsePositive => Some(AlertClassification::FalsePositive),
        C::BenignPositive => Some(AlertClassification::InformationalExpectedActivity),
        C::Undetermined => Some(AlertClassification::Unknown),
        C::Other(_) => None,
    });
    let determination = match (&classification, &verdict.reason) {
        (None, _) => None,
        (Some(AlertClassification::Unknown), _) => Some(AlertDetermination::Unknown),
        (_, Some(R::InaccurateData)) => Some(AlertDetermination::NotEnoughDataToValidate),
        (_, Some(R::IncorrectAlertLogic)) => Some(AlertDetermination::NotMalicious),
        _ => Some(AlertDetermination::OtherOutcome),
    };
    XdrVerdict {
        classification,
        determination,
    }
}
