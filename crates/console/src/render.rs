//! Turns templates and view values into responses.
//!
//! The templates live in `templates/` and are compiled into the binary with `include_str!`; they are parsed
//! once, on first use. Every template ends in `.html`, so minijinja escapes every value it prints unless the
//! value was marked safe (only the server-drawn SVG charts are).

use std::collections::BTreeMap;
use std::sync::LazyLock;

use axum::http::StatusCode;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::response::{Html, IntoResponse, Response};
use chrono::DateTime;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, Output, State, Value, context, escape_formatter};

use crate::backend::ConsoleError;
use crate::text::{escape_xml, short_duration, short_time};
use crate::view::{Caller, Choice, ConsoleProfile, Vocabulary};

/// Every template, by name.
const TEMPLATES: [(&str, &str); 8] = [
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("queue.html", include_str!("../templates/queue.html")),
    (
        "queue_results.html",
        include_str!("../templates/queue_results.html"),
    ),
    ("incident.html", include_str!("../templates/incident.html")),
    ("sync.html", include_str!("../templates/sync.html")),
    ("sign_in.html", include_str!("../templates/sign_in.html")),
    ("error.html", include_str!("../templates/error.html")),
];

static ENVIRONMENT: LazyLock<Environment<'static>> = LazyLock::new(environment);

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(error) = env.add_template(name, source) {
            // The templates are part of the binary; the template unit test catches this before it ships.
            tracing::error!(template = name, %error, "embedded console template does not parse");
        }
    }
    env.set_formatter(escape_html);
    env.add_filter("when", when);
    env.add_filter("duration", short_duration);
    env.add_function("incident_path", |id: String| crate::incident_path(&id));
    env
}

/// Prints a value into a page. Text is escaped with [`escape_xml`], which leaves `/` alone (minijinja's own
/// escaping writes it as `&#x2f;`), so URLs and paths stay readable in the HTML; everything else, and text
/// marked safe, is printed the default way.
fn escape_html(out: &mut Output, state: &mut State, value: &Value) -> Result<(), minijinja::Error> {
    match (state.auto_escape(), value.as_str()) {
        (AutoEscape::Html, Some(text)) if !value.is_safe() => out
            .write_str(&escape_xml(text))
            .map_err(minijinja::Error::from),
        _ => escape_formatter(out, state, value),
    }
}

/// Template filter: an RFC 3339 time as [`short_time`]; other text passes through.
fn when(value: String) -> String {
    DateTime::parse_from_rfc3339(&value).map_or(value, |t| short_time(t.to_utc()))
}

/// Wraps a serializable value for a template context.
pub(crate) fn serde<T: serde::Serialize>(value: T) -> Value {
    Value::from(Serde(value))
}

/// The values every page's layout needs: the console's profile and the caller, if signed in.
pub(crate) fn chrome(profile: &ConsoleProfile, caller: Option<&Caller>) -> Value {
    context! {
        console => serde(profile),
        caller => serde(caller),
        labels => labels(&profile.vocabulary),
    }
}

/// Label lookups for option values: `labels.status[value]`, `labels.classification[value]`, ….
fn labels(vocabulary: &Vocabulary) -> Value {
    let map = |choices: &[Choice]| -> BTreeMap<String, String> {
        choices
            .iter()
            .map(|c| (c.value.clone(), c.label.clone()))
            .collect()
    };
    context! {
        status => map(&vocabulary.statuses),
        classification => map(&vocabulary.classifications),
        determination => map(&vocabulary.determinations),
        provider => map(&vocabulary.providers),
    }
}

/// The content security policy of every page: scripts, styles and forms from the console itself only, and no
/// framing by other sites (which could trick an analyst into pressing an action button).
const PAGE_POLICY: &str = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Renders a template into a response with the given status. Pages are never cached: they show live state.
pub(crate) fn page(status: StatusCode, template: &str, context: Value) -> Response {
    match ENVIRONMENT
        .get_template(template)
        .and_then(|t| t.render(context))
    {
        Ok(html) => {
            let headers = [
                (CACHE_CONTROL, "no-store"),
                (CONTENT_SECURITY_POLICY, PAGE_POLICY),
                (X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (REFERRER_POLICY, "same-origin"),
            ];
            (status, headers, Html(html)).into_response()
        }
        Err(error) => {
            tracing::error!(template, error = %error, "console page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The console could not draw this page; the error was logged.",
            )
                .into_response()
        }
    }
}

/// The HTTP status that stands for a console error.
fn status_of(error: &ConsoleError) -> StatusCode {
    match error {
        ConsoleError::Invalid { .. } => StatusCode::BAD_REQUEST,
        ConsoleError::NotFound(_) => StatusCode::NOT_FOUND,
        ConsoleError::BadCredentials => StatusCode::UNAUTHORIZED,
        ConsoleError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        ConsoleError::Forbidden(_) => StatusCode::FORBIDDEN,
        ConsoleError::Conflict(_) => StatusCode::CONFLICT,
        ConsoleError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

/// A page explaining an error, with the layout of the console around it. Store failures are logged and shown
/// without their details.
pub(crate) fn error_page(
    profile: &ConsoleProfile,
    caller: Option<&Caller>,
    error: &ConsoleError,
) -> Response {
    let status = status_of(error);
    let message = match error {
        ConsoleError::Store(_) => {
            tracing::error!(error = %error, "console backend failed");
            "The store behind this console failed; the error was logged.".to_owned()
        }
        other => other.to_string(),
    };
    let context = context! {
        status => status.as_u16(),
        reason => status.canonical_reason(),
        message,
        ..chrome(profile, caller),
    };
    page(status, "error.html", context)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        }
    }

    #[test]
    fn when_formats_rfc3339_and_passes_other_text_through() {
        assert_eq!(
            when("2026-11-24T06:40:12Z".into()),
            "2026-11-24 06:40:12 UTC"
        );
        assert_eq!(when("yesterday".into()), "yesterday");
    }
}
