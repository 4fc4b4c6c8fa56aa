//! The Defender for Office 365 tables: `EmailEvents` (one row per mail and recipient) and
//! `EmailUrlInfo` (one row per URL in a mail), joined by `NetworkMessageId`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::Recorder;
use super::table::{EMAIL_EVENTS, EMAIL_URL_INFO};
use crate::plan::url_host;

/// Who sent a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sender {
    pub address: String,
    pub display_name: String,
    /// The sender's Entra ID object id, empty for an outside sender.
    pub object_id: String,
    /// The last mail server that relayed the mail.
    pub ip: String,
}

/// How the filtering stack judged a mail and where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Verdict {
    /// `Delivered`, `Junked`, `Blocked` or `Replaced`.
    pub delivery_action: &'static str,
    /// `Inbox/Folder`, `Junk`, `Quarantine`, `On-premises/External`, ...
    pub delivery_location: &'static str,
    /// `Phish`, `Malware`, `Spam`, or empty.
    pub threat_types: &'static str,
    /// JSON text: the methods per threat, or empty.
    pub detection_methods: String,
    /// JSON text: the confidence per verdict.
    pub confidence_level: &'static str,
    /// `No action taken`, `Move message to junk mail folder`, `Send to quarantine`, ...
    pub email_action: &'static str,
    /// The policy behind the action, or empty.
    pub email_action_policy: &'static str,
    /// Where the mail is now, after any later remediation.
    pub latest_delivery_location: &'static str,
    /// The last action on the mail.
    pub latest_delivery_action: &'static str,
}

impl Verdict {
    /// A clean mail, delivered to the inbox.
    pub fn clean() -> Verdict {
        Verdict {
            delivery_action: "Delivered",
            delivery_location: "Inbox/Folder",
            threat_types: "",
            detection_methods: String::new(),
            confidence_level: r#"{"Spam":"Neutral"}"#,
            email_action: "No action taken",
            email_action_policy: "",
            latest_delivery_location: "Inbox/Folder",
            latest_delivery_action: "Delivered",
        }
    }
}

/// One mail to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mail {
    pub network_message_id: String,
    pub internet_message_id: String,
    pub sender: Sender,
    pub recipient: String,
    pub recipient_object_id: String,
    pub subject: String,
    /// `Inbound`, `Outbound` or `Intra-org`.
    pub direction: &'static str,
    pub verdict: Verdict,
    /// The URLs in the body.
    pub urls: Vec<String>,
    pub attachment_count: u32,
    /// The cluster of similar mails this one belongs to.
    pub cluster_id: u64,
    /// JSON text: the SPF, DKIM, DMARC and CompAuth verdicts.
    pub authentication: &'static str,
    pub received: DateTime<Utc>,
}

/// The authentication verdicts of a mail from a domain that signs and publishes its policy.
pub(crate) const AUTHENTICATED: &str =
    r#"{"SPF":"pass","DKIM":"pass","DMARC":"pass","CompAuth":"pass"}"#;

impl Recorder {
    /// Records `mail`: its `EmailEvents` row and one `EmailUrlInfo` row per URL.
    pub fn mail(&mut self, mail: &Mail) {
        let verdict = &mail.verdict;
        let sender_domain = domain(&mail.sender.address);
        self.push(
            EMAIL_EVENTS,
            mail.received,
            json!({
                "NetworkMessageId": mail.network_message_id,
                "InternetMessageId": mail.internet_message_id,
                "SenderMailFromAddress": mail.sender.address,
                "SenderFromAddress": mail.sender.address,
                "SenderDisplayName": mail.sender.display_name,
                "SenderObjectId": mail.sender.object_id,
                "SenderMailFromDomain": sender_domain,
                "SenderFromDomain": sender_domain,
                "SenderIPv4": mail.sender.ip,
                "SenderIPv6": "",
                "RecipientEmailAddress": mail.recipient,
                "RecipientObjectId": mail.recipient_object_id,
                "Subject": mail.subject,
                "EmailClusterId": mail.cluster_id,
                "EmailDirection": mail.direction,
                "DeliveryAction": verdict.delivery_action,
                "DeliveryLocation": verdict.delivery_location,
                "ThreatTypes": verdict.threat_types,
                "ThreatNames": "",
                "DetectionMethods": verdict.detection_methods,
                "ConfidenceLevel": verdict.confidence_level,
                "BulkComplaintLevel": 0,
                "EmailAction": verdict.email_action,
                "EmailActionPolicy": verdict.email_action_policy,
                "AuthenticationDetails": mail.authentication,
                "AttachmentCount": mail.attachment_count,
                "UrlCount": mail.urls.len(),
                "EmailLanguage": "en",
                "Connectors": "",
                "OrgLevelAction": "",
                "OrgLevelPolicy": "",
                "UserLevelAction": "",
                "UserLevelPolicy": "",
                "LatestDeliveryLocation": verdict.latest_delivery_location,
                "LatestDeliveryAction": verdict.latest_delivery_action,
            }),
        );
        for url in &mail.urls {
            self.push(
                EMAIL_URL_INFO,
                mail.received,
                json!({
                    "NetworkMessageId": mail.network_message_id,
                    "Url": url,
                    "UrlDomain": url_host(url),
                    "UrlLocation": "Body",
                }),
            );
        }
    }
}

/// The domain of a mail address.
fn domain(address: &str) -> &str {
    address.rsplit_once('@').map_or("", |(_, domain)| domain)
}
