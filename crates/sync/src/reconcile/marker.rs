//! The origin marker carried by every mirrored comment.
//!
//! A comment copied from one side to the other ends with a last line such as `[tandem:xdr:2024-05-01T10:00:00Z]`
//! naming the side it came from and that side's id for it. When the copy comes back in the other side's
//! feed, the marker tells the connector where it came from, so it is never mirrored back (no echo), and
//! an XDR comment post after a crash can first check whether the marker is already there.

use super::model::{CommentOrigin, Side};

const PREFIX: &str = "[tandem:";

/// Appends the marker for `origin` to `text`, on its own line.
pub fn render_marker(text: &str, origin: &CommentOrigin) -> String {
    format!("{text}\n\n{PREFIX}{}:{}]", origin.side, origin.id)
}

/// Splits a comment into its text and the origin its marker names, if its last line is a marker.
///
/// Text without a well-formed marker (unknown side, empty id, or a `]` inside the id) is returned whole
/// with `None`: it is a native comment of the side it was read from.
pub fn parse_marker(comment: &str) -> (&str, Option<CommentOrigin>) {
    let trimmed = comment.trim_end();
    let Some(start) = trimmed.rfind(PREFIX) else {
        return (comment, None);
    };
    let line_start = trimmed[..start].ends_with('\n') || start == 0;
    let origin = trimmed[start + PREFIX.len()..]
        .strip_suffix(']')
        .and_then(|inner| inner.split_once(':'))
        .and_then(|(side, id)| {
            let valid = !id.is_empty() && !id.contains(']') && !id.contains('\n');
            Side::from_name(side)
                .filter(|_| valid && line_start)
                .map(|side| CommentOrigin {
                    side,
                    id: id.to_owned(),
                })
        });
    match origin {
        Some(origin) => (trimmed[..start].trim_end(), Some(origin)),
        None => (comment, None),
    }
}
