//! Incident comments from the XDR to the SIEM: a Graph `alertComment` as a Sentinel incident comment.

use crate::Field;
use crate::graph::AlertComment;
use crate::sentinel::{ClientInfo, IncidentCommentProperties};

use super::map_field;

/// XDR comment to SIEM comment: the text, the author's name as `author.name`, the time as
/// `createdTimeUtc`.
pub fn comment_to_siem(comment: &AlertComment) -> IncidentCommentProperties {
    IncidentCommentProperties {
        message: comment.comment.clone(),
        author: map_field(&comment.created_by_display_name, |name| ClientInfo {
            name: Field::Value(name.clone()),
            ..ClientInfo::default()
        }),
        created_time_utc: comment.created_date_time.clone(),
        ..IncidentCommentProperties::default()
    }
}
