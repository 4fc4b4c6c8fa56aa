//! The console's pages: the incident queue, the incident page and the sync health page.

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use minijinja::{Value, context};
use serde::{Deserialize, Serialize};

use crate::backend::{ConsoleBackend, ConsoleError};
use crate::render::{chrome, error_page, page, serde};
use crate::session::Signed;
use crate::svg::{lag_chart_svg, timeline_svg};
use crate::view::{
    Choice, ConsoleProfile, EntityKind, EntityView, IncidentDetail, IncidentQuery, OwnerFilter,
    Severity, SortOrder, Vocabulary,
};
use crate::{Console, incident_path};

/// The page sizes the queue offers; the first is the default.
const PAGE_SIZES: [usize; 4] = [25, 50, 100, 200];

/// The request header with which `console.js` asks for only the queue's results instead of the whole page.
const TARGET_HEADER: &str = "x-console-target";

/// The queue's URL parameters as sent, so links can repeat them. Empty values mean "no filter".
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
struct QueueParams {
    #[serde(skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    severity: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    owner: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    unassigned: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    provider: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    sort: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    size: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    offset: String,
}

/// A trimmed value, or `None` when empty.
fn non_empty(value: &str) -> Option<String> {
    Some(value.trim())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

impl QueueParams {
    fn parse(raw: Option<&str>) -> Result<QueueParams, ConsoleError> {
        let raw = raw.unwrap_or_default();
        serde_urlencoded::from_str(raw)
            .map_err(|e| ConsoleError::invalid("query", raw, &e.to_string()))
    }

    /// The backend query these parameters ask for, checking each value.
    fn to_query(&self, vocabulary: &Vocabulary) -> Result<IncidentQuery, ConsoleError> {
        let status = non_empty(&self.status);
        if let Some(status) = &status {
            require_choice("status", status, &vocabulary.statuses)?;
        }
        Ok(IncidentQuery {
            status,
            severity: non_empty(&self.severity)
                .map(|s| Severity::parse("severity", &s))
                .transpose()?,
            owner: self.owner_filter()?,
            provider: non_empty(&self.provider),
            search: non_empty(&self.q),
            sort: non_empty(&self.sort)
                .map(|s| SortOrder::parse("sort", &s))
                .transpose()?
                .unwrap_or_default(),
            offset: parse_number("offset", &self.offset, 0)?,
            page_size: self.page_size()?,
        })
    }

    fn owner_filter(&self) -> Result<Option<OwnerFilter>, ConsoleError> {
        let unassigned = match self.unassigned.trim() {
            "" => false,
            "1" | "on" | "true" => true,
            other => {
                return Err(ConsoleError::invalid(
                    "unassigned",
                    other,
                    "expected 1 or nothing",
                ));
            }
        };
        match (non_empty(&self.owner), unassigned) {
            (None, false) => Ok(None),
            (None, true) => Ok(Some(OwnerFilter::Unassigned)),
            (Some(owner), false) => Ok(Some(OwnerFilter::Named(owner))),
            (Some(owner), true) => Err(ConsoleError::invalid(
                "owner",
                &owner,
                "cannot be combined with unassigned",
            )),
        }
    }

    fn page_size(&self) -> Result<usize, ConsoleError> {
        let size = parse_number("size", &self.size, PAGE_SIZES[0])?;
        if PAGE_SIZES.contains(&size) {
            Ok(size)
        } else {
            Err(ConsoleError::invalid(
                "size",
                &self.size,
                "expected 25, 50, 100 or 200",
            ))
        }
    }

    /// The queue's URL with these parameters changed by `change`; every change starts again at the first page
    /// unless it sets the offset itself.
    fn href(&self, change: impl FnOnce(&mut QueueParams)) -> String {
        let mut params = QueueParams {
            offset: String::new(),
            ..self.clone()
        };
        change(&mut params);
        match serde_urlencoded::to_string(&params) {
            Ok(query) if !query.is_empty() => format!("/?{query}"),
            _ => "/".to_owned(),
        }
    }
}

/// A whole number from the URL, or `default` when empty.
fn parse_number(field: &str, value: &str, default: usize) -> Result<usize, ConsoleError> {
    match value.trim() {
        "" => Ok(default),
        v => v
            .parse()
            .map_err(|_| ConsoleError::invalid(field, value, "expected a whole number")),
    }
}

/// Checks that a submitted value is one of the backend's options.
pub(crate) fn require_choice(
    field: &str,
    value: &str,
    choices: &[Choice],
) -> Result<(), ConsoleError> {
    if choices.iter().any(|c| c.value == value) {
        return Ok(());
    }
    let expected: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
    Err(ConsoleError::invalid(
        field,
        value,
        &format!("expected one of {}", expected.join(", ")),
    ))
}

/// `GET /`: the incident queue.
pub(crate) async fn queue<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    signed: Signed,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Response {
    let profile = console.backend.profile();
    let results_only = headers
        .get(TARGET_HEADER)
        .is_some_and(|v| v == "queue-results");
    match queue_context(&console, profile, raw.as_deref()).await {
        Ok(context) => {
            let template = if results_only {
                "queue_results.html"
            } else {
                "queue.html"
            };
            page(
                StatusCode::OK,
                template,
                context! { ..context, ..chrome(profile, Some(&signed.caller)) },
            )
        }
        Err(error) => error_page(profile, Some(&signed.caller), &error),
    }
}

async fn queue_context<B: ConsoleBackend>(
    console: &Console<B>,
    profile: &ConsoleProfile,
    raw: Option<&str>,
) -> Result<Value, ConsoleError> {
    let params = QueueParams::parse(raw)?;
    let query = params.to_query(&profile.vocabulary)?;
    let counts = console.backend.counts().await?;
    let results = console.backend.list_incidents(&query).await?;
    let end = query.offset + results.items.len();
    let pager = context! {
        first => if results.items.is_empty() { query.offset } else { query.offset + 1 },
        last => end,
        total => results.total,
        prev => (query.offset > 0).then(|| {
            params.href(|p| p.offset = query.offset.saturating_sub(query.page_size).to_string())
        }),
        next => (end < results.total).then(|| params.href(|p| p.offset = end.to_string())),
    };
    let status_counts: Vec<Value> = counts
        .by_status
        .iter()
        .map(|c| context! { value => &c.value, count => c.count, href => params.href(|p| p.status = c.value.clone()) })
        .collect();
    let severity_counts: Vec<Value> = counts
        .by_severity
        .iter()
        .map(|c| {
            let severity = c.value.as_str();
            context! { value => severity, count => c.count, href => params.href(|p| p.severity = severity.into()) }
        })
        .collect();
    let incidents: Vec<Value> = results
        .items
        .iter()
        .map(|i| context! { href => incident_path(&i.id), ..serde(i) })
        .collect();
    Ok(context! {
        section => "queue",
        params => serde(&params),
        total => counts.total,
        status_counts,
        severity_counts,
        incidents,
        pager,
        clear_href => "/",
        severities => serde(Severity::ALL.map(|s| Choice::new(s.as_str(), s.label()))),
        sorts => serde(SortOrder::ALL.map(|s| Choice::new(s.as_str(), s.label()))),
        page_sizes => serde(PAGE_SIZES),
        page_size => query.page_size,
    })
}

/// Entities of one kind, for the incident page's groups.
#[derive(Serialize)]
struct EntityGroup<'a> {
    kind: &'static str,
    label: &'static str,
    entities: Vec<&'a EntityView>,
}

fn entity_groups(entities: &[EntityView]) -> Vec<EntityGroup<'_>> {
    EntityKind::ALL
        .into_iter()
        .map(|kind| EntityGroup {
            kind: kind.as_str(),
            label: kind.plural_label(),
            entities: entities.iter().filter(|e| e.kind == kind).collect(),
        })
        .filter(|g| !g.entities.is_empty())
        .collect()
}

/// `GET /incidents/{id}`: one incident.
pub(crate) async fn incident<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    signed: Signed,
    Path(id): Path<String>,
) -> Response {
    let profile = console.backend.profile();
    let detail = match console.backend.incident(&id).await {
        Ok(Some(detail)) => detail,
        Ok(None) => return error_page(profile, Some(&signed.caller), &ConsoleError::NotFound(id)),
        Err(error) => return error_page(profile, Some(&signed.caller), &error),
    };
    page(
        StatusCode::OK,
        "incident.html",
        context! {
            ..incident_context(detail),
            ..context! { determination_label => console.backend.determination_label() },
            ..chrome(profile, Some(&signed.caller))
        },
    )
}

fn incident_context(mut detail: IncidentDetail) -> Value {
    let timeline = Value::from_safe_string(timeline_svg(&detail.timeline()));
    detail.alerts.sort_by_key(|a| a.created);
    detail.comments.sort_by_key(|c| c.at);
    detail.history.sort_by_key(|c| std::cmp::Reverse(c.at));
    context! {
        section => "queue",
        incident => serde(&detail.summary),
        href => incident_path(&detail.summary.id),
        description => detail.description,
        alerts => serde(&detail.alerts),
        entity_count => detail.entities.len(),
        entity_groups => serde(entity_groups(&detail.entities)),
        comments => serde(&detail.comments),
        history => serde(&detail.history),
        twin => serde(&detail.twin),
        timeline,
    }
}

/// `GET /sync`: the connector's health.
pub(crate) async fn sync_health<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    signed: Signed,
) -> Response {
    let profile = console.backend.profile();
    let health = match console.backend.sync_health().await {
        Ok(health) => health,
        Err(error) => return error_page(profile, Some(&signed.caller), &error),
    };
    let lag_chart = health
        .as_ref()
        .map(|h| Value::from_safe_string(lag_chart_svg(&h.lag_history)));
    let context = context! {
        section => "sync",
        health => serde(&health),
        lag_chart,
        ..chrome(profile, Some(&signed.caller)),
    };
    let status = if health.is_some() {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    page(status, "sync.html", context)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            statuses: vec![
                Choice::new("active", "Active"),
                Choice::new("resolved", "Resolved"),
            ],
            classifications: vec![],
            determinations: vec![],
            providers: vec![],
            close_verb: "Resolve".into(),
        }
    }

    #[test]
    fn queue_parameters_become_a_checked_query() {
        let params = QueueParams::parse(Some(
            "status=active&severity=HIGH&q=+ransom+&sort=severity&size=50&offset=100",
        ))
        .unwrap();
        let query = params.to_query(&vocabulary()).unwrap();
        assert_eq!(query.status.as_deref(), Some("active"));
        assert_eq!(query.severity, Some(Severity::High));
        assert_eq!(query.search.as_deref(), Some("ransom"));
        assert_eq!(
            (query.sort, query.page_size, query.offset),
            (SortOrder::Severity, 50, 100)
        );
    }

    #[test]
    fn bad_queue_parameters_name_the_field_and_value() {
        for (raw, field, value) in [
            ("status=bogus", "status", "bogus"),
            ("severity=extreme", "severity", "extreme"),
            ("sort=random", "sort", "random"),
            ("size=7", "size", "7"),
            ("offset=-1", "offset", "-1"),
            ("unassigned=maybe", "unassigned", "maybe"),
            ("unassigned=1&owner=bob", "owner", "bob"),
        ] {
            let error = QueueParams::parse(Some(raw))
                .unwrap()
                .to_query(&vocabulary())
                .unwrap_err();
            let ConsoleError::Invalid {
                field: f, value: v, ..
            } = error
            else {
                panic!("{raw}: {error}")
            };
            assert_eq!((f.as_str(), v.as_str()), (field, value));
        }
    }

    #[test]
    fn links_keep_the_filters_and_restart_paging() {
        let params = QueueParams::parse(Some("q=a%26b&offset=50")).unwrap();
        assert_eq!(
            params.href(|p| p.status = "active".into()),
            "/?q=a%26b&status=active"
        );
        assert_eq!(
            params.href(|p| p.offset = "75".into()),
            "/?q=a%26b&offset=75"
        );
    }
}
