//! The documented bounds of the wire formats, enforced alike by both servers' APIs and consoles.
//!
//! Sentinel documents its own (`sentinel-service-limits.md`): 30,000 characters a comment, 100
//! comments and 150 alerts an incident. Graph documents none for comments and tags, but comments
//! and tags cross to the SIEM, so the XDR holds them to the same bounds rather than accept what its
//! twin would refuse. Tag bounds are Tandem's own: generous for any analyst, small enough that a
//! hostile PATCH cannot bloat an incident.

/// The longest comment, in characters (Sentinel's limit).
pub const MAX_COMMENT_CHARS: usize = 30_000;

/// The most comments on one Sentinel incident.
pub const MAX_COMMENTS_PER_INCIDENT: usize = 100;

/// The most alerts related to one Sentinel incident.
pub const MAX_ALERTS_PER_INCIDENT: usize = 150;

/// The most tags (Graph `customTags`, Sentinel `labels`) on one incident.
pub const MAX_TAGS: usize = 100;

/// The longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 256;

/// Checks a comment's length; the error names the limit and the length found.
pub fn check_comment(text: &str) -> Result<(), String> {
    let length = text.chars().count();
    if length > MAX_COMMENT_CHARS {
        return Err(format!(
            "a comment may hold at most {MAX_COMMENT_CHARS} characters; this one holds {length}"
        ));
    }
    Ok(())
}

/// Checks a list of tags: how many, and how long each is.
pub fn check_tags<'a>(tags: impl IntoIterator<Item = &'a str>) -> Result<(), String> {
    let mut count = 0;
    for tag in tags {
        count += 1;
        let length = tag.chars().count();
        if length > MAX_TAG_CHARS {
            let start: String = tag.chars().take(40).collect();
            return Err(format!(
                "a tag may hold at most {MAX_TAG_CHARS} characters; '{start}…' holds {length}"
            ));
        }
    }
    if count > MAX_TAGS {
        return Err(format!(
            "an incident may carry at most {MAX_TAGS} tags; {count} were given"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_counted_in_characters() {
        assert!(check_comment(&"é".repeat(MAX_COMMENT_CHARS)).is_ok());
        let err = check_comment(&"x".repeat(MAX_COMMENT_CHARS + 1)).unwrap_err();
        assert!(err.contains("30000") && err.contains("30001"), "{err}");
    }

    #[test]
    fn tags_are_bounded_in_number_and_length() {
        let many: Vec<String> = (0..=MAX_TAGS).map(|n| n.to_string()).collect();
        assert!(check_tags(many.iter().take(MAX_TAGS).map(String::as_str)).is_ok());
        assert!(check_tags(many.iter().map(String::as_str)).is_err());
        let long = "t".repeat(MAX_TAG_CHARS + 1);
        assert!(check_tags([long.as_str()]).unwrap_err().contains("256"));
    }
}
