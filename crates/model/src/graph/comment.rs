//! Comments on incidents and alerts, as read and as posted.

use serde_json::Map;

use super::legacy::{self, with_legacy_members};
use super::odata::ALERT_COMMENT_TYPE;
use crate::wire::wire_struct;
use crate::{Field, Timestamp};

wire_struct! {
    /// A comment left on an incident or alert (`alertComment`).
    ///
    /// Graph sends two shapes: the documented `{comment, createdByDisplayName, createdDateTime}` and the
    /// older `{comment, createdBy, createdTime}` still seen in incident examples. Both are read; the
    /// documented one is written (an older member sent beside its documented one stays in `extra`).
    #[derive(Default)]
    #[serde(remote = "Self", rename_all = "camelCase")]
    pub struct AlertComment {
        /// The `@odata.type` annotation, as sent.
        #[serde(rename = "@odata.type")]
        odata_type: String,
        /// The text.
        comment: String,
        /// Who wrote it (a person's or an app's name).
        created_by_display_name: String,
        /// When it was written.
        created_date_time: Timestamp,
    }
}

with_legacy_members!(AlertComment, |comment: &mut AlertComment| {
    legacy::adopt(
        &mut comment.created_by_display_name,
        &mut comment.extra,
        "createdBy",
    )?;
    legacy::adopt(
        &mut comment.created_date_time,
        &mut comment.extra,
        "createdTime",
    )
});

impl AlertComment {
    /// A comment written now by `author`.
    pub fn new(comment: impl Into<String>, author: impl Into<String>) -> Self {
        AlertComment {
            comment: Field::Value(comment.into()),
            created_by_display_name: Field::Value(author.into()),
            created_date_time: Field::Value(Timestamp::now()),
            ..AlertComment::default()
        }
    }
}

wire_struct! {
    /// The body of `POST /security/incidents/{id}/comments` and `POST /security/alerts_v2/{id}/comments`.
    ///
    /// The response is the resource's whole comment list, a [`Collection`](super::Collection) of
    /// [`AlertComment`].
    pub struct NewComment {
        /// The `@odata.type` annotation (`microsoft.graph.security.alertComment` in the docs).
        #[serde(rename = "@odata.type")]
        odata_type: String,
        /// The text to add.
        required comment: String,
    }
}

impl NewComment {
    /// The body the docs show for adding `comment`.
    pub fn new(comment: impl Into<String>) -> Self {
        NewComment {
            odata_type: Field::Value(ALERT_COMMENT_TYPE.to_owned()),
            comment: comment.into(),
            extra: Map::new(),
        }
    }
}
