//! The neutral vocabulary of the consoles.
//!
//! The XDR and the SIEM keep incidents in different stores and label them differently, yet an analyst should
//! meet the same pages in both. Each side fills these view types from its own store; the console renders them.
//! Nothing here names either side: where the sides disagree on words (the XDR "resolves" an incident, the SIEM
//! "closes" it), the backend supplies the words through [`Vocabulary`].

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ConsoleError;

/// How serious an incident or alert is. Both sides use the same four levels. Levels order from the least
/// serious (`Unknown`) to the most (`High`), which is the order of the queue's severity sort, reversed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Not yet rated, or rated with a level the console does not know.
    Unknown,
    /// For information only.
    Informational,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
}

impl Severity {
    /// Every level, most serious first: the order of the queue's counts and filter.
    pub const ALL: [Severity; 5] = [
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
        Severity::Unknown,
    ];

    /// The value used in URLs and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Unknown => "unknown",
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
        }
    }

    /// The label shown to analysts.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Unknown => "Unknown",
            Severity::Informational => "Informational",
            Severity::Low => "Low",
            Severity::Medium => "Medium",
            Severity::High => "High",
        }
    }

    /// Reads a stored or wire level such as `High` (any case); a level the console does not know is
    /// [`Severity::Unknown`].
    pub fn from_level(value: &str) -> Severity {
        Severity::parse("severity", value).unwrap_or(Severity::Unknown)
    }

    /// Reads a URL value such as `high` (any case).
    pub fn parse(field: &str, value: &str) -> Result<Severity, ConsoleError> {
        Severity::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                ConsoleError::invalid(
                    field,
                    value,
                    "expected high, medium, low, informational or unknown",
                )
            })
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One value a form may send, with the words the analyst reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    /// The value sent back to the backend, e.g. `resolved`.
    pub value: String,
    /// The label shown, e.g. `Resolved`.
    pub label: String,
}

impl Choice {
    /// A choice whose value and label differ.
    pub fn new(value: impl Into<String>, label: impl Into<String>) -> Choice {
        Choice {
            value: value.into(),
            label: label.into(),
        }
    }
}

/// The option lists and words of one side, so each console speaks its own dialect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vocabulary {
    /// Every status an incident can be set to, in the order the filter and status form list them.
    pub statuses: Vec<Choice>,
    /// The classifications offered when closing.
    pub classifications: Vec<Choice>,
    /// The determinations offered when closing; empty when the side has none.
    pub determinations: Vec<Choice>,
    /// The product sources (detection providers) the provider filter offers.
    pub providers: Vec<Choice>,
    /// The verb on the close button and form heading, e.g. `Resolve` or `Close`.
    pub close_verb: String,
}

impl Vocabulary {
    /// The label of a status value, or the value itself when the vocabulary does not list it.
    pub fn status_label<'a>(&'a self, value: &'a str) -> &'a str {
        label_of(&self.statuses, value)
    }

    /// The label of a classification value, or the value itself.
    pub fn classification_label<'a>(&'a self, value: &'a str) -> &'a str {
        label_of(&self.classifications, value)
    }

    /// The label of a determination value, or the value itself.
    pub fn determination_label<'a>(&'a self, value: &'a str) -> &'a str {
        label_of(&self.determinations, value)
    }
}

fn label_of<'a>(choices: &'a [Choice], value: &'a str) -> &'a str {
    choices
        .iter()
        .find(|c| c.value == value)
        .map_or(value, |c| c.label.as_str())
}

/// Who the console is: its name, its twin's name, and which pages it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConsoleProfile {
    /// The product name in the header and page titles, e.g. `Tandem XDR`.
    pub product: String,
    /// A short lowercase word naming the console, e.g. `xdr`. It keys the session cookie, so two consoles on one
    /// host (cookies ignore ports) keep separate sessions.
    pub slug: String,
    /// The name of the other console, used on twin links, e.g. `Tandem SIEM`.
    pub twin_product: String,
    /// Whether this console has a sync health page (see [`crate::ConsoleBackend::sync_health`]).
    pub has_sync_health: bool,
    /// The words and option lists of this side.
    pub vocabulary: Vocabulary,
}

/// The queue's sort orders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    /// Most recently updated first.
    #[default]
    Newest,
    /// Least recently updated first.
    Oldest,
    /// Most severe first, then most recently updated.
    Severity,
}

impl SortOrder {
    /// Every order, as the sort control lists them.
    pub const ALL: [SortOrder; 3] = [SortOrder::Newest, SortOrder::Oldest, SortOrder::Severity];

    /// The value used in URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Newest => "newest",
            SortOrder::Oldest => "oldest",
            SortOrder::Severity => "severity",
        }
    }

    /// The label of the sort control.
    pub fn label(self) -> &'static str {
        match self {
            SortOrder::Newest => "Last updated, newest first",
            SortOrder::Oldest => "Last updated, oldest first",
            SortOrder::Severity => "Severity, highest first",
        }
    }

    /// Reads a URL value such as `severity`.
    pub fn parse(field: &str, value: &str) -> Result<SortOrder, ConsoleError> {
        SortOrder::ALL
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value))
            .ok_or_else(|| {
                ConsoleError::invalid(field, value, "expected newest, oldest or severity")
            })
    }
}

/// One page request of the incident queue. The backend filters, sorts and pages in its store, so the queue stays
/// fast however many incidents there are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct IncidentQuery {
    /// Only incidents with this status value.
    pub status: Option<String>,
    /// Only incidents with this severity.
    pub severity: Option<Severity>,
    /// Only incidents of one owner, or only unassigned ones.
    pub owner: Option<OwnerFilter>,
    /// Only incidents with an alert from this product source.
    pub provider: Option<String>,
    /// Only incidents whose title contains this text (case-insensitive).
    pub search: Option<String>,
    /// The order of the page.
    pub sort: SortOrder,
    /// How many matching incidents to skip.
    pub offset: usize,
    /// How many incidents to return at most.
    pub page_size: usize,
}

/// Whose incidents the queue shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerFilter {
    /// Only incidents nobody is assigned to.
    Unassigned,
    /// Only incidents assigned to this owner (exact, case-insensitive).
    Named(String),
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IncidentPage {
    /// The incidents on this page, in the requested order.
    pub items: Vec<IncidentSummary>,
    /// How many incidents match the filters in all.
    pub total: usize,
}

/// A count of incidents sharing one value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count<T> {
    /// The shared value.
    pub value: T,
    /// How many incidents have it.
    pub count: usize,
}

/// The counts at the top of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    /// Incidents per status value.
    pub by_status: Vec<Count<String>>,
    /// Incidents per severity.
    pub by_severity: Vec<Count<Severity>>,
    /// All incidents.
    pub total: usize,
}

impl Counts {
    /// The counts from a store's groups (a `GROUP BY` status and one by severity): statuses in the
    /// vocabulary's order, then any other value; severities most serious first. Groups with the same value
    /// are added up; the total is the sum of the status groups.
    pub fn from_groups(
        vocabulary: &Vocabulary,
        by_status: impl IntoIterator<Item = (String, usize)>,
        by_severity: impl IntoIterator<Item = (Severity, usize)>,
    ) -> Counts {
        let mut statuses: BTreeMap<String, usize> = BTreeMap::new();
        for (status, count) in by_status {
            *statuses.entry(status).or_default() += count;
        }
        let mut severities: BTreeMap<Severity, usize> = BTreeMap::new();
        for (severity, count) in by_severity {
            *severities.entry(severity).or_default() += count;
        }
        let total = statuses.values().sum();
        let known = vocabulary.statuses.iter().map(|c| c.value.clone());
        let mut by_status: Vec<Count<String>> = known
            .filter_map(|value| {
                let count = statuses.remove(&value)?;
                Some(Count { value, count })
            })
            .collect();
        by_status.extend(
            statuses
                .into_iter()
                .map(|(value, count)| Count { value, count }),
        );
        Counts {
            by_status,
            by_severity: Severity::ALL
                .into_iter()
                .filter_map(|value| severities.get(&value).map(|&count| Count { value, count }))
                .collect(),
            total,
        }
    }
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentSummary {
    /// The incident's id in this console's store.
    pub id: String,
    /// The display name.
    pub title: String,
    /// How serious it is.
    pub severity: Severity,
    /// The status value (labelled through [`Vocabulary::statuses`]).
    pub status: String,
    /// The analyst it is assigned to.
    pub owner: Option<String>,
    /// The classification value once closed (labelled through [`Vocabulary::classifications`]).
    pub classification: Option<String>,
    /// The determination value once closed.
    pub determination: Option<String>,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// The product sources of its alerts.
    pub providers: Vec<String>,
    /// How many alerts it has.
    pub alert_count: usize,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub updated: DateTime<Utc>,
}

/// One alert of an incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlertView {
    /// The alert's id.
    pub id: String,
    /// What was detected.
    pub title: String,
    /// How serious it is.
    pub severity: Severity,
    /// The product that raised it, e.g. `Microsoft Defender for Endpoint`.
    pub product: String,
    /// MITRE ATT&CK technique ids, e.g. `T1566.001`.
    pub mitre_techniques: Vec<String>,
    /// When the activity began, if known.
    pub first_activity: Option<DateTime<Utc>>,
    /// When the activity was last seen, if known.
    pub last_activity: Option<DateTime<Utc>>,
    /// When the alert was raised: its place on the timeline.
    pub created: DateTime<Utc>,
}

/// The kinds of evidence an incident can involve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EntityKind {
    /// A device (host).
    Device,
    /// A user account.
    User,
    /// A mailbox.
    Mailbox,
    /// An IP address.
    Ip,
    /// A file.
    File,
    /// A process.
    Process,
    /// A URL.
    Url,
    /// A cloud application.
    CloudApp,
    /// Evidence of a kind the console does not group.
    Other,
}

impl EntityKind {
    /// Every kind, in the order the incident page groups them.
    pub const ALL: [EntityKind; 9] = [
        EntityKind::Device,
        EntityKind::User,
        EntityKind::Mailbox,
        EntityKind::Ip,
        EntityKind::File,
        EntityKind::Process,
        EntityKind::Url,
        EntityKind::CloudApp,
        EntityKind::Other,
    ];

    /// The value used in `data-kind` attributes.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Device => "device",
            EntityKind::User => "user",
            EntityKind::Mailbox => "mailbox",
            EntityKind::Ip => "ip",
            EntityKind::File => "file",
            EntityKind::Process => "process",
            EntityKind::Url => "url",
            EntityKind::CloudApp => "cloud-app",
            EntityKind::Other => "other",
        }
    }

    /// The heading of the kind's group.
    pub fn plural_label(self) -> &'static str {
        match self {
            EntityKind::Device => "Devices",
            EntityKind::User => "Users",
            EntityKind::Mailbox => "Mailboxes",
            EntityKind::Ip => "IP addresses",
            EntityKind::File => "Files",
            EntityKind::Process => "Processes",
            EntityKind::Url => "URLs",
            EntityKind::CloudApp => "Cloud apps",
            EntityKind::Other => "Other evidence",
        }
    }
}

/// One piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntityView {
    /// What it is.
    pub kind: EntityKind,
    /// How it is named: host name, UPN, address, file name, command line, URL or app name.
    pub name: String,
    /// Further facts as (label, value) pairs, e.g. `("SHA-256", "…")`.
    pub details: Vec<(String, String)>,
}

impl EntityView {
    /// An entity named `name`, or `fallback` (what the source calls its kind) when it has no name, with
    /// the facts that are present.
    pub fn new<'a>(
        kind: EntityKind,
        name: Option<String>,
        fallback: &str,
        facts: impl IntoIterator<Item = (&'a str, Option<String>)>,
    ) -> EntityView {
        EntityView {
            kind,
            name: name.unwrap_or_else(|| fallback.to_owned()),
            details: facts
                .into_iter()
                .filter_map(|(label, value)| Some((label.to_owned(), value?)))
                .collect(),
        }
    }

    /// The entities with each kind and name once, the first of each kept, in their order: alerts of one
    /// incident often share evidence.
    pub fn distinct(entities: impl IntoIterator<Item = EntityView>) -> Vec<EntityView> {
        let mut seen = BTreeSet::new();
        entities
            .into_iter()
            .filter(|e| seen.insert((e.kind, e.name.clone())))
            .collect()
    }
}

/// One change to an incident, for the timeline and history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeView {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Who made it (an analyst, or a connector's app name).
    pub actor: String,
    /// What changed, in words, e.g. `Status: Active → Resolved`.
    pub description: String,
}

/// One comment on an incident.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommentView {
    /// When it was written.
    pub at: DateTime<Utc>,
    /// Who wrote it.
    pub author: String,
    /// The text, shown as plain text.
    pub text: String,
}

/// A link to the same incident in the other console.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TwinLink {
    /// The incident's id over there.
    pub id: String,
    /// The absolute URL of its page, built with [`crate::incident_path`] on the other console's base URL.
    pub url: String,
}

/// Everything the incident page shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IncidentDetail {
    /// The header fields shared with the queue row.
    pub summary: IncidentSummary,
    /// A longer description, if the side keeps one.
    pub description: Option<String>,
    /// Its alerts.
    pub alerts: Vec<AlertView>,
    /// Its evidence.
    pub entities: Vec<EntityView>,
    /// Its changes, in any order.
    pub history: Vec<ChangeView>,
    /// Its comments, in any order.
    pub comments: Vec<CommentView>,
    /// The same incident in the other console, once synced.
    pub twin: Option<TwinLink>,
}

/// What a timeline mark stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TimelineKind {
    /// An alert was raised.
    Alert,
    /// The incident changed.
    Change,
}

/// One mark on the incident timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEvent {
    /// When it happened.
    pub at: DateTime<Utc>,
    /// Alert or change.
    pub kind: TimelineKind,
    /// The severity of an alert; `None` for a change.
    pub severity: Option<Severity>,
    /// What the mark's tooltip says.
    pub label: String,
}

impl IncidentDetail {
    /// The incident's alerts and changes as timeline events, oldest first.
    pub fn timeline(&self) -> Vec<TimelineEvent> {
        let alerts = self.alerts.iter().map(|a| TimelineEvent {
            at: a.created,
            kind: TimelineKind::Alert,
            severity: Some(a.severity),
            label: format!("Alert: {} ({})", a.title, a.product),
        });
        let changes = self.history.iter().map(|c| TimelineEvent {
            at: c.at,
            kind: TimelineKind::Change,
            severity: None,
            label: format!("{} by {}", c.description, c.actor),
        });
        let mut events: Vec<TimelineEvent> = alerts.chain(changes).collect();
        events.sort_by_key(|e| e.at);
        events
    }
}

/// A change an analyst asks for on the incident page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Assign to an owner, or unassign with `None`.
    Assign {
        /// The new owner.
        owner: Option<String>,
    },
    /// Set the status to one of [`Vocabulary::statuses`].
    SetStatus {
        /// The new status value.
        status: String,
    },
    /// Close the incident with a verdict.
    Close {
        /// One of [`Vocabulary::classifications`].
        classification: String,
        /// One of [`Vocabulary::determinations`], when the side has them.
        determination: Option<String>,
        /// A closing comment.
        comment: Option<String>,
    },
    /// Add a tag.
    AddTag {
        /// The tag.
        tag: String,
    },
    /// Remove a tag.
    RemoveTag {
        /// The tag.
        tag: String,
    },
    /// Add a comment.
    Comment {
        /// The text.
        text: String,
    },
}

/// Who is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The name shown in the header, e.g. the app registration's display name.
    pub display_name: String,
    /// Whether the caller's roles allow changes. Readers see every page but no action forms.
    pub can_write: bool,
}

impl Caller {
    /// Refuses readers: [`ConsoleError::Forbidden`] naming the caller unless they may write.
    pub fn require_writer(&self) -> Result<(), ConsoleError> {
        if self.can_write {
            return Ok(());
        }
        Err(ConsoleError::Forbidden(format!(
            "{} may read incidents but not change them",
            self.display_name
        )))
    }
}

/// A session issued at sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The opaque value the browser keeps in the session cookie and presents on every request.
    pub token: String,
    /// Who it belongs to.
    pub caller: Caller,
    /// When it stops being valid; the cookie expires then too.
    pub expires: Option<DateTime<Utc>>,
}

/// The state of one sync direction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DirectionHealth {
    /// Its name, e.g. `XDR → SIEM`.
    pub name: String,
    /// How far behind the source this direction is, in seconds, if known.
    pub lag_seconds: Option<f64>,
    /// When the source was last polled.
    pub last_poll: Option<DateTime<Utc>>,
    /// When a poll last succeeded.
    pub last_success: Option<DateTime<Utc>>,
    /// Writes planned but not yet done.
    pub pending_writes: usize,
    /// The last error, if the last poll failed.
    pub last_error: Option<String>,
}

/// A field both sides changed, and how the connector settled it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConflictView {
    /// When it was settled.
    pub at: DateTime<Utc>,
    /// The incident in this console.
    pub incident_id: String,
    /// The field, e.g. `status`.
    pub field: String,
    /// The side whose value won.
    pub winner: String,
    /// The value that lost, kept for an operator to review.
    pub losing_value: String,
}

/// An item the connector set aside because it could not be handled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuarantineView {
    /// When it was set aside.
    pub at: DateTime<Utc>,
    /// What it is, e.g. `incident 42` or `comment 42/7`.
    pub item: String,
    /// Why.
    pub reason: String,
}

/// One reading of a direction's lag, for the chart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LagSample {
    /// When it was read.
    pub at: DateTime<Utc>,
    /// The direction's name, as in [`DirectionHealth::name`].
    pub direction: String,
    /// The lag then, in seconds.
    pub lag_seconds: f64,
}

/// What the sync health page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct SyncHealth {
    /// Each direction's state.
    pub directions: Vec<DirectionHealth>,
    /// Recent conflicts, newest first.
    pub conflicts: Vec<ConflictView>,
    /// Items set aside.
    pub quarantined: Vec<QuarantineView>,
    /// Lag readings over time, any order.
    pub lag_history: Vec<LagSample>,
    /// Why the connector's status could not be read this time, when it could not (it is down, or its
    /// address is wrong). The page then says the connector is not reachable; the other members hold what
    /// the backend still knows, such as lag readings taken earlier.
    pub unreachable: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_levels_read_in_any_case_and_unknown_ones_are_unknown() {
        assert_eq!(Severity::from_level("High"), Severity::High);
        assert_eq!(
            Severity::from_level("INFORMATIONAL"),
            Severity::Informational
        );
        assert_eq!(Severity::from_level("critical"), Severity::Unknown);
        assert_eq!(Severity::from_level(""), Severity::Unknown);
    }

    #[test]
    fn counts_follow_the_vocabulary_then_other_values_and_add_up_groups() {
        let vocabulary = Vocabulary {
            statuses: vec![Choice::new("New", "New"), Choice::new("Closed", "Closed")],
            classifications: Vec::new(),
            determinations: Vec::new(),
            providers: Vec::new(),
            close_verb: "Close".into(),
        };
        let counts = Counts::from_groups(
            &vocabulary,
            [("Closed", 2), ("Odd", 1), ("New", 3), ("Closed", 4)].map(|(s, n)| (s.to_owned(), n)),
            [(Severity::Low, 5), (Severity::High, 1), (Severity::Low, 4)],
        );
        let statuses: Vec<(&str, usize)> = counts
            .by_status
            .iter()
            .map(|c| (c.value.as_str(), c.count))
            .collect();
        assert_eq!(statuses, [("New", 3), ("Closed", 6), ("Odd", 1)]);
        let severities: Vec<(Severity, usize)> = counts
            .by_severity
            .iter()
            .map(|c| (c.value, c.count))
            .collect();
        assert_eq!(severities, [(Severity::High, 1), (Severity::Low, 9)]);
        assert_eq!(counts.total, 10);
    }

    #[test]
    fn entities_keep_present_facts_and_appear_once() {
        let device = |name: Option<&str>| {
            EntityView::new(
                EntityKind::Device,
                name.map(str::to_owned),
                "deviceEvidence",
                [("OS", Some("Windows".to_owned())), ("Id", None)],
            )
        };
        let named = device(Some("pc1"));
        assert_eq!(named.details, [("OS".to_owned(), "Windows".to_owned())]);
        assert_eq!(device(None).name, "deviceEvidence");
        let distinct = EntityView::distinct([named.clone(), device(None), named]);
        let names: Vec<&str> = distinct.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["pc1", "deviceEvidence"]);
    }

    #[test]
    fn only_writers_may_change_incidents() {
        let caller = |can_write| Caller {
            display_name: "Reader".into(),
            can_write,
        };
        assert!(caller(true).require_writer().is_ok());
        let refused = caller(false).require_writer().unwrap_err();
        assert!(
            matches!(refused, ConsoleError::Forbidden(ref m) if m.contains("Reader")),
            "{refused}"
        );
    }
}
