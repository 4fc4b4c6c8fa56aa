//! The changes the latency scenario makes, and how each is recognised on the other side.
//!
//! Every change sets a value the target does not hold yet (owners are unique, status and verdict move
//! on, comments carry a unique token), so seeing the value on the other side means the change arrived.

use serde::Serialize;
use serde_json::{Value, json};
use tandem_model::Timestamp;

use crate::api::{SiemApi, XdrApi};
use crate::error::BenchError;

/// Which way a change travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Direction {
    /// Made in the XDR, expected in the SIEM.
    XdrToSiem,
    /// Made in the SIEM, expected in the XDR.
    SiemToXdr,
}

impl Direction {
    /// `xdr → siem` or `siem → xdr`.
    pub fn label(self) -> &'static str {
        match self {
            Direction::XdrToSiem => "xdr → siem",
            Direction::SiemToXdr => "siem → xdr",
        }
    }
}

/// What kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A new incident (XDR only: the SIEM's own incidents are not streamed to the XDR).
    NewIncident,
    /// Status between new and in progress.
    Status,
    /// A new owner.
    Owner,
    /// A new verdict.
    Classification,
    /// A comment.
    Comment,
}

impl Kind {
    /// The kind as a table cell.
    pub fn label(self) -> &'static str {
        match self {
            Kind::NewIncident => "new incident",
            Kind::Status => "status",
            Kind::Owner => "owner",
            Kind::Classification => "classification",
            Kind::Comment => "comment",
        }
    }
}

/// The stream cycles through these, one change per tick.
pub const MIX: [(Direction, Kind); 9] = [
    (Direction::XdrToSiem, Kind::NewIncident),
    (Direction::XdrToSiem, Kind::Status),
    (Direction::SiemToXdr, Kind::Status),
    (Direction::XdrToSiem, Kind::Owner),
    (Direction::SiemToXdr, Kind::Owner),
    (Direction::XdrToSiem, Kind::Classification),
    (Direction::SiemToXdr, Kind::Classification),
    (Direction::XdrToSiem, Kind::Comment),
    (Direction::SiemToXdr, Kind::Comment),
];

/// Verdicts the stream rotates through: Graph's classification, Sentinel's, and a Sentinel reason
/// that fits it.
const VERDICTS: [(&str, &str, &str); 3] = [
    ("truePositive", "TruePositive", "SuspiciousActivity"),
    ("falsePositive", "FalsePositive", "IncorrectAlertLogic"),
    (
        "informationalExpectedActivity",
        "BenignPositive",
        "SuspiciousButExpected",
    ),
];

/// The value a change set, as it should show on the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// The incident's twin exists.
    Twin,
    /// In progress (`true`) or new.
    Status(bool),
    /// This owner (a lower-case user principal name).
    Owner(String),
    /// The verdict at this index of the rotation.
    Classification(usize),
    /// A comment holding this token.
    Comment(String),
}

impl Expect {
    /// The next value of `kind` for an incident whose status is `in_progress` and verdict `verdict`;
    /// `token` makes owners and comments unique.
    pub fn next(kind: Kind, in_progress: bool, verdict: Option<usize>, token: &str) -> Expect {
        match kind {
            Kind::NewIncident => Expect::Twin,
            Kind::Status => Expect::Status(!in_progress),
            Kind::Owner => Expect::Owner(format!("{token}@contoso.com")),
            Kind::Classification => {
                Expect::Classification(verdict.map_or(0, |v| (v + 1) % VERDICTS.len()))
            }
            // The full stop keeps `…-44.` from matching inside `…-440.`.
            Kind::Comment => Expect::Comment(format!("Checked by {token}.")),
        }
    }

    /// True when the XDR incident shows the value.
    pub fn seen_on_xdr(&self, incident: &Value) -> bool {
        let text = |name: &str| incident[name].as_str().unwrap_or_default();
        match self {
            Expect::Twin => true,
            Expect::Status(in_progress) => text("status") == xdr_status(*in_progress),
            Expect::Owner(owner) => text("assignedTo").eq_ignore_ascii_case(owner),
            Expect::Classification(v) => text("classification") == VERDICTS[*v].0,
            Expect::Comment(token) => count_xdr_comments(incident, token) > 0,
        }
    }

    /// True when the SIEM incident (with its comments' messages, when they were read) shows the value.
    pub fn seen_on_siem(&self, incident: &Value, comments: &[String]) -> bool {
        let p = &incident["properties"];
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        match self {
            Expect::Twin => true,
            Expect::Status(in_progress) => text(&p["status"]) == siem_status(*in_progress),
            Expect::Owner(owner) => ["userPrincipalName", "email"]
                .iter()
                .any(|k| text(&p["owner"][k]).eq_ignore_ascii_case(owner)),
            Expect::Classification(v) => text(&p["classification"]) == VERDICTS[*v].1,
            Expect::Comment(token) => comments.iter().any(|c| c.contains(token.as_str())),
        }
    }
}

fn xdr_status(in_progress: bool) -> &'static str {
    if in_progress { "inProgress" } else { "active" }
}

fn siem_status(in_progress: bool) -> &'static str {
    if in_progress { "Active" } else { "New" }
}

/// How many of an XDR incident's comments hold `token`.
pub fn count_xdr_comments(incident: &Value, token: &str) -> usize {
    incident["comments"].as_array().map_or(0, |comments| {
        comments
            .iter()
            .filter(|c| c["comment"].as_str().is_some_and(|t| t.contains(token)))
            .count()
    })
}

/// Makes the change `expect` on the XDR incident `id`; returns the incident's change time after it.
pub async fn make_on_xdr(xdr: &XdrApi, id: &str, expect: &Expect) -> Result<Timestamp, BenchError> {
    let body = match expect {
        Expect::Twin => return Err(BenchError::Unexpected("a twin is not an edit".into())),
        Expect::Status(in_progress) => json!({ "status": xdr_status(*in_progress) }),
        Expect::Owner(owner) => json!({ "assignedTo": owner }),
        Expect::Classification(v) => json!({ "classification": VERDICTS[*v].0 }),
        Expect::Comment(text) => {
            xdr.comment(id, text).await?;
            return xdr_changed_at(&xdr.incident(id).await?);
        }
    };
    xdr_changed_at(&xdr.update(id, &body).await?)
}

/// Makes the change `expect` on the SIEM incident `name`; returns the incident's change time after it.
/// A write that loses a race with the connector (409 or 412) is read again and retried.
pub async fn make_on_siem(
    siem: &SiemApi,
    name: &str,
    expect: &Expect,
    token: &str,
) -> Result<Timestamp, BenchError> {
    if let Expect::Comment(text) = expect {
        siem.comment(name, token, text).await?;
        return siem_changed_at(&current(siem, name).await?);
    }
    let mut attempts = 0;
    loop {
        let mut incident = current(siem, name).await?;
        set_siem_field(&mut incident["properties"], expect);
        match siem.put(name, &incident).await {
            Ok(stored) => return siem_changed_at(&stored),
            Err(BenchError::Client(e))
                if attempts < 3 && (e.is_conflict() || e.is_precondition_failed()) =>
            {
                attempts += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn current(siem: &SiemApi, name: &str) -> Result<Value, BenchError> {
    siem.incident(name)
        .await?
        .ok_or_else(|| BenchError::Unexpected(format!("the SIEM has no incident {name}")))
}

fn set_siem_field(p: &mut Value, expect: &Expect) {
    match expect {
        Expect::Status(in_progress) => p["status"] = json!(siem_status(*in_progress)),
        Expect::Owner(owner) => {
            p["owner"] = json!({ "userPrincipalName": owner, "email": owner, "assignedTo": owner });
        }
        Expect::Classification(v) => {
            p["classification"] = json!(VERDICTS[*v].1);
            p["classificationReason"] = json!(VERDICTS[*v].2);
        }
        Expect::Twin | Expect::Comment(_) => {}
    }
}

/// An XDR incident's change time (`lastUpdateDateTime`).
pub fn xdr_changed_at(incident: &Value) -> Result<Timestamp, BenchError> {
    changed_at(incident, "/lastUpdateDateTime")
}

/// A SIEM incident's change time (`properties.lastModifiedTimeUtc`).
pub fn siem_changed_at(incident: &Value) -> Result<Timestamp, BenchError> {
    changed_at(incident, "/properties/lastModifiedTimeUtc")
}

fn changed_at(incident: &Value, pointer: &str) -> Result<Timestamp, BenchError> {
    let text = incident
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default();
    Timestamp::parse(text).map_err(|e| BenchError::Unexpected(format!("{pointer} = {text:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_values_always_differ_from_the_current_ones() {
        assert_eq!(
            Expect::next(Kind::Status, false, None, "t"),
            Expect::Status(true)
        );
        assert_eq!(
            Expect::next(Kind::Classification, true, Some(2), "t"),
            Expect::Classification(0)
        );
        assert_eq!(
            Expect::next(Kind::Classification, true, None, "t"),
            Expect::Classification(0)
        );
        assert_eq!(
            Expect::next(Kind::Owner, true, None, "b-7"),
            Expect::Owner("b-7@contoso.com".into())
        );
        let Expect::Comment(token) = Expect::next(Kind::Comment, true, None, "b-4") else {
            panic!("a comment change expects a comment");
        };
        assert!(!"Checked by b-40.".contains(token.as_str()));
        assert!("Checked by b-4.\n\n[tandem:xdr:x]".contains(token.as_str()));
    }

    #[test]
    fn recognises_values_on_each_side() {
        let xdr = json!({"status": "inProgress", "assignedTo": "A@contoso.com", "classification": "falsePositive",
            "comments": [{"comment": "Checked by b-1\n\n[tandem:siem:x]"}]});
        assert!(Expect::Status(true).seen_on_xdr(&xdr));
        assert!(!Expect::Status(false).seen_on_xdr(&xdr));
        assert!(Expect::Owner("a@contoso.com".into()).seen_on_xdr(&xdr));
        assert!(Expect::Classification(1).seen_on_xdr(&xdr));
        assert!(Expect::Comment("Checked by b-1".into()).seen_on_xdr(&xdr));
        assert!(!Expect::Comment("Checked by b-2".into()).seen_on_xdr(&xdr));
        let siem = json!({"properties": {"status": "New", "owner": {"email": "a@contoso.com"}, "classification": "BenignPositive"}});
        assert!(Expect::Status(false).seen_on_siem(&siem, &[]));
        assert!(Expect::Owner("a@contoso.com".into()).seen_on_siem(&siem, &[]));
        assert!(Expect::Classification(2).seen_on_siem(&siem, &[]));
        assert!(Expect::Comment("b-3".into()).seen_on_siem(&siem, &["Checked by b-3".into()]));
        assert!(!Expect::Comment("b-3".into()).seen_on_siem(&siem, &[]));
    }

    #[test]
    fn sets_siem_fields_with_a_fitting_reason() {
        let mut p = json!({});
        set_siem_field(&mut p, &Expect::Classification(1));
        assert_eq!(p["classification"], "FalsePositive");
        assert_eq!(p["classificationReason"], "IncorrectAlertLogic");
        set_siem_field(&mut p, &Expect::Status(true));
        assert_eq!(p["status"], "Active");
    }
}
