//! The incident resource (`/security/incidents`) and the body that updates one.

use serde::{Deserialize, Serialize};
use serde_json::Map;

use super::legacy::{self, with_legacy_members};
use super::odata::{self, INCIDENT_TYPE};
use super::{
    Alert, AlertClassification, AlertComment, AlertDetermination, AlertSeverity, IncidentStatus,
};
use crate::wire::wire_struct;
use crate::{Field, Timestamp};

wire_struct! {
    /// A group of correlated alerts that tells the story of one attack (`microsoft.graph.security.incident`).
    ///
    /// `@odata.type` is read in its legacy spelling `#microsoft.graph.incident` too and written as
    /// `#microsoft.graph.security.incident`; `tags` is read as `customTags` (when both are sent, `tags` stays
    /// in `extra`).
    #[serde(remote = "Self", rename_all = "camelCase")]
    pub struct Incident {
        /// The `@odata.type` annotation.
        #[serde(rename = "@odata.type", deserialize_with = "odata::incident_type")]
        odata_type: String,
        /// The incident's identifier.
        required id: String,
        /// The incident's page in the portal.
        incident_web_url: String,
        /// The tenant the incident belongs to.
        tenant_id: String,
        /// The incident this one was merged into (set when `status` is `redirected`).
        redirect_incident_id: String,
        /// The incident's name.
        display_name: String,
        /// A rich-text description.
        description: String,
        /// When the incident was created.
        created_date_time: Timestamp,
        /// When the incident last changed.
        last_update_date_time: Timestamp,
        /// The owner (free text), or `null` when unassigned.
        assigned_to: String,
        /// Whether the incident is a real threat.
        classification: AlertClassification,
        /// What the investigation found.
        determination: AlertDetermination,
        /// The incident's state.
        status: IncidentStatus,
        /// How much harm the incident may do.
        severity: AlertSeverity,
        /// Tags analysts set (read from `tags` too).
        custom_tags: Vec<String>,
        /// Tags the service sets.
        system_tags: Vec<String>,
        /// Comments analysts left while working the incident.
        comments: Vec<AlertComment>,
        /// The incident's alerts, present when the request asked for `$expand=alerts`.
        alerts: Vec<Alert>,
    }
}

with_legacy_members!(Incident, |incident: &mut Incident| legacy::adopt(
    &mut incident.custom_tags,
    &mut incident.extra,
    "tags"
));

impl Incident {
    /// An incident with only an identifier and the documented `@odata.type`.
    pub fn new(id: impl Into<String>) -> Self {
        Incident {
            odata_type: Field::Value(INCIDENT_TYPE.to_owned()),
            id: id.into(),
            incident_web_url: Field::Absent,
            tenant_id: Field::Absent,
            redirect_incident_id: Field::Absent,
            display_name: Field::Absent,
            description: Field::Absent,
            created_date_time: Field::Absent,
            last_update_date_time: Field::Absent,
            assigned_to: Field::Absent,
            classification: Field::Absent,
            determination: Field::Absent,
            status: Field::Absent,
            severity: Field::Absent,
            custom_tags: Field::Absent,
            system_tags: Field::Absent,
            comments: Field::Absent,
            alerts: Field::Absent,
            extra: Map::new(),
        }
    }

    /// The expanded alerts (`$expand=alerts`); empty when they were not asked for.
    pub fn alerts(&self) -> &[Alert] {
        self.alerts.get().map_or(&[], Vec::as_slice)
    }

    /// The comments; empty when there are none.
    pub fn comments(&self) -> &[AlertComment] {
        self.comments.get().map_or(&[], Vec::as_slice)
    }
}

/// The body of `PATCH /security/incidents/{id}`: the members a client may change, each absent (leave
/// as is), `null` (clear) or a value.
///
/// Any other member is rejected with an error naming it; `@odata.type`, which Graph SDKs send, is
/// accepted. Tags are read from `customTags` and from the older `tags`; when a body sends both,
/// `customTags` wins, as it does for [`Incident`]. Only `customTags` is written.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", from = "IncidentUpdateBody")]
pub struct IncidentUpdate {
    /// The `@odata.type` annotation.
    #[serde(rename = "@odata.type", skip_serializing_if = "Field::is_absent")]
    pub odata_type: Field<String>,
    /// New owner, or `null` to unassign.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub assigned_to: Field<String>,
    /// New classification.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub classification: Field<AlertClassification>,
    /// New determination.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub determination: Field<AlertDetermination>,
    /// New state.
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub status: Field<IncidentStatus>,
    /// New analyst tags, replacing the old ones (read from `tags` too).
    #[serde(skip_serializing_if = "Field::is_absent")]
    pub custom_tags: Field<Vec<String>>,
}

/// [`IncidentUpdate`] as it arrives: the documented members and the legacy `tags`, nothing else.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IncidentUpdateBody {
    #[serde(
        rename = "@odata.type",
        default,
        deserialize_with = "odata::incident_type"
    )]
    odata_type: Field<String>,
    #[serde(default)]
    assigned_to: Field<String>,
    #[serde(default)]
    classification: Field<AlertClassification>,
    #[serde(default)]
    determination: Field<AlertDetermination>,
    #[serde(default)]
    status: Field<IncidentStatus>,
    #[serde(default)]
    custom_tags: Field<Vec<String>>,
    #[serde(default)]
    tags: Field<Vec<String>>,
}

impl From<IncidentUpdateBody> for IncidentUpdate {
    fn from(body: IncidentUpdateBody) -> Self {
        IncidentUpdate {
            odata_type: body.odata_type,
            assigned_to: body.assigned_to,
            classification: body.classification,
            determination: body.determination,
            status: body.status,
            custom_tags: if body.custom_tags.is_absent() {
                body.tags
            } else {
                body.custom_tags
            },
        }
    }
}
