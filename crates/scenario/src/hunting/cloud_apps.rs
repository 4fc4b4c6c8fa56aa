//! The Defender for Cloud Apps table: `CloudAppEvents`, one row per activity in a connected app
//! (OneDrive, SharePoint, Exchange Online, Teams), with the app's own audit record in
//! `RawEventData`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Recorder;
use super::table::CLOUD_APP_EVENTS;
use crate::plan::time;

/// A connected cloud app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CloudApp {
    /// `Application`.
    pub name: &'static str,
    /// `ApplicationId`, Defender for Cloud Apps' id of the app.
    pub id: u32,
    /// The Microsoft 365 audit workload (`RawEventData.Workload`).
    pub workload: &'static str,
}

/// The apps the stories use.
pub(crate) mod apps {
    use super::CloudApp;
    use crate::plan::{ONEDRIVE_APP_ID, ONEDRIVE_APP_NAME};

    pub const ONEDRIVE: CloudApp = CloudApp {
        name: ONEDRIVE_APP_NAME,
        id: ONEDRIVE_APP_ID,
        workload: "OneDrive",
    };
    pub const SHAREPOINT: CloudApp = CloudApp {
        name: "Microsoft SharePoint Online",
        id: 20892,
        workload: "SharePoint",
    };
    pub const EXCHANGE: CloudApp = CloudApp {
        name: "Microsoft Exchange Online",
        id: 20893,
        workload: "Exchange",
    };
    pub const TEAMS: CloudApp = CloudApp {
        name: "Microsoft Teams",
        id: 11394,
        workload: "MicrosoftTeams",
    };
}

/// Who acted, and from where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloudActor {
    pub object_id: String,
    pub upn: String,
    pub display_name: String,
    pub ip: String,
    pub country_code: &'static str,
    pub city: &'static str,
    pub isp: &'static str,
    pub user_agent: &'static str,
}

/// What an activity was applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloudObject {
    /// `ObjectName`: for a file, its URL.
    pub name: String,
    /// `ObjectId`.
    pub id: String,
    /// `File`, `Folder`, `Mailbox`, ...
    pub kind: &'static str,
    /// The file name, for file activities.
    pub file_name: String,
}

/// One activity in a cloud app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CloudActivity {
    /// `ActionType`: the app's operation, e.g. `FileDownloaded`, `MailItemsAccessed`.
    pub action: &'static str,
    /// `ActivityType`: Defender for Cloud Apps' kind of activity, e.g. `Download`.
    pub activity_type: &'static str,
    pub app: CloudApp,
    pub actor: CloudActor,
    pub object: CloudObject,
}

impl Recorder {
    /// Records `activity` at `at`.
    pub fn cloud_activity(&mut self, activity: &CloudActivity, at: DateTime<Utc>) {
        let (actor, object) = (&activity.actor, &activity.object);
        let raw = raw_event(activity, &self.uuid(), at);
        self.push(
            CLOUD_APP_EVENTS,
            at,
            json!({
                "ActionType": activity.action,
                "Application": activity.app.name,
                "ApplicationId": activity.app.id,
                "AppInstanceId": 0,
                "AccountObjectId": actor.object_id,
                "AccountId": actor.object_id,
                "AccountDisplayName": actor.display_name,
                "AccountType": "Regular",
                "IsAdminOperation": false,
                "IsExternalUser": false,
                "IsImpersonated": false,
                "DeviceType": "Desktop",
                "OSPlatform": "Windows",
                "IPAddress": actor.ip,
                "IsAnonymousProxy": false,
                "CountryCode": actor.country_code,
                "City": actor.city,
                "Isp": actor.isp,
                "UserAgent": actor.user_agent,
                "ActivityType": activity.activity_type,
                "ActivityObjects": [
                    { "Type": object.kind, "Role": "Target object", "Name": object.name, "Id": object.id },
                ],
                "ObjectName": object.name,
                "ObjectType": object.kind,
                "ObjectId": object.id,
                "IPTags": [],
                "IPCategory": "",
                "UserAgentTags": [],
                "RawEventData": raw,
                "AdditionalFields": {},
                "AuditSource": "Defender for Cloud Apps app connector",
                "OAuthAppId": "",
            }),
        );
    }
}

/// The app's own audit record of `activity`, as the Microsoft 365 audit log writes it.
fn raw_event(activity: &CloudActivity, id: &str, at: DateTime<Utc>) -> Value {
    let (actor, object) = (&activity.actor, &activity.object);
    json!({
        "CreationTime": time(at),
        "Id": id,
        "Operation": activity.action,
        "Workload": activity.app.workload,
        "UserId": actor.upn,
        "UserKey": actor.object_id,
        "UserType": 0,
        "ClientIP": actor.ip,
        "UserAgent": actor.user_agent,
        "ObjectId": object.id,
        "SourceFileName": object.file_name,
    })
}
