//! Incident comments across the sides: Graph `alertComment` and Sentinel incident comments.

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

/// SIEM comment to XDR comment: the text, the author's name (else user principal name, else email) as
/// `createdByDisplayName`, `createdTimeUtc` as `createdDateTime`.
pub fn comment_to_xdr(comment: &IncidentCommentProperties) -> AlertComment {
    let author = comment.author.get().and_then(|a| {
        [&a.name, &a.user_principal_name, &a.email]
            .into_iter()
            .find_map(|f| f.get().cloned())
    });
    AlertComment {
        comment: comment.message.clone(),
        created_by_display_name: author.map_or(Field::Absent, Field::Value),
        created_date_time: comment.created_time_utc.clone(),
        ..AlertComment::default()
    }
}

/// Whether two comments carry the same text (ignoring surrounding white space): how the connector
/// recognises a comment it already copied.
pub fn same_comment(siem: &IncidentCommentProperties, xdr: &AlertComment) -> bool {
    match (siem.message.get(), xdr.comment.get()) {
        (Some(a), Some(b)) => a.trim() == b.trim(),
        _ => false,
    }
}
