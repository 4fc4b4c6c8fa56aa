//! Case-insensitive fixed path segments, as Azure Resource Manager and Graph match them.
//!
//! ARM matches `resourceGroups`, `providers`, provider namespaces and resource types without regard
//! to case, and clients build paths in whatever case they like (`resourcegroups`,
//! `microsoft.operationalinsights`). Tandem's routers match exactly, so before routing every path
//! is compared with the service's [`PathShape`]s: the first shape whose fixed segments all match,
//! ignoring case, rewrites them to their canonical spelling. Variable segments (names and ids) are
//! left as they are.

use axum::extract::Request;
use axum::http::Uri;
use axum::http::uri::PathAndQuery;

/// One segment of a [`PathShape`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// Any value (a name or an id), kept as sent.
    Any,
    /// One of these spellings, matched ignoring case and rewritten to the matching one.
    Fixed(&'static [&'static str]),
}

/// The shape of a family of paths: its segments, in order. A path may be shorter than its shape
/// (a collection under a longer resource path); every segment it has must fit.
pub type PathShape = &'static [Segment];

/// The path of `uri` with its fixed segments spelled as the first fitting shape spells them, or
/// `None` when no shape fits or nothing needs to change.
pub fn canonical_path(path: &str, shapes: &[PathShape]) -> Option<String> {
    let segments: Vec<&str> = path.strip_prefix('/')?.split('/').collect();
    shapes.iter().find_map(|shape| rewrite(&segments, shape))
}

fn rewrite(segments: &[&str], shape: PathShape) -> Option<String> {
    if segments.len() > shape.len() {
        return None;
    }
    let mut changed = false;
    let mut out = String::new();
    for (segment, expected) in segments.iter().zip(shape.iter()) {
        out.push('/');
        match expected {
            Segment::Any => out.push_str(segment),
            Segment::Fixed(spellings) => {
                let canonical = spellings.iter().find(|s| s.eq_ignore_ascii_case(segment))?;
                changed |= canonical != segment;
                out.push_str(canonical);
            }
        }
    }
    changed.then_some(out)
}

/// Rewrites the request's path to its canonical spelling under `shapes`, keeping the query.
pub fn canonicalize(mut request: Request, shapes: &[PathShape]) -> Request {
    let Some(path) = canonical_path(request.uri().path(), shapes) else {
        return request;
    };
    let path_and_query = match request.uri().query() {
        Some(query) => format!("{path}?{query}"),
        None => path,
    };
    let mut parts = request.uri().clone().into_parts();
    if let Ok(value) = path_and_query.parse::<PathAndQuery>() {
        parts.path_and_query = Some(value);
        if let Ok(uri) = Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    request
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHAPE: PathShape = &[
        Segment::Fixed(&["v1.0"]),
        Segment::Fixed(&["security"]),
        Segment::Fixed(&["incidents", "alerts_v2"]),
        Segment::Any,
        Segment::Fixed(&["comments"]),
    ];

    #[test]
    fn fixed_segments_take_their_canonical_spelling_and_names_stay() {
        assert_eq!(
            canonical_path("/V1.0/Security/Alerts_V2/Id-1/COMMENTS", &[SHAPE]).as_deref(),
            Some("/v1.0/security/alerts_v2/Id-1/comments")
        );
    }

    #[test]
    fn paths_that_already_fit_or_do_not_fit_are_left_alone() {
        assert_eq!(canonical_path("/v1.0/security/incidents/7", &[SHAPE]), None);
        assert_eq!(canonical_path("/v1/workspaces/w/query", &[SHAPE]), None);
        let longer = "/v1.0/security/incidents/7/comments/c/x";
        assert_eq!(canonical_path(longer, &[SHAPE]), None);
    }
}
