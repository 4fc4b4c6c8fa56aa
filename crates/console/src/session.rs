//! Sessions: sign-in with an app registration's client id and secret, the session cookie, sign-out, and the
//! [`Signed`] extractor that sends callers without a valid session to the sign-in page.
//!
//! The backend issues and verifies the session tokens, so the consoles share the identities and roles of the
//! APIs. The cookie is `HttpOnly` and `SameSite=Lax`, and its name carries the console's slug: cookies ignore
//! ports, so two consoles on one host would otherwise overwrite each other's session.

use axum::Form;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use serde::Deserialize;

use crate::Console;
use crate::backend::{ConsoleBackend, ConsoleError};
use crate::render::{chrome, error_page, page};
use crate::view::{Caller, ConsoleProfile, Session};

/// The caller of a request that carries a valid session.
pub(crate) struct Signed {
    /// Who it is and whether they may write.
    pub(crate) caller: Caller,
}

impl<B: ConsoleBackend> FromRequestParts<Console<B>> for Signed {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        console: &Console<B>,
    ) -> Result<Signed, Response> {
        let profile = console.backend.profile();
        // After signing in, a GET comes back to where it was going; anything else starts at the queue.
        let next = match parts.method {
            Method::GET => parts.uri.path_and_query().map_or("/", |pq| pq.as_str()),
            _ => "/",
        };
        let Some(token) = session_token(&parts.headers, profile) else {
            return Err(to_sign_in(next, None));
        };
        match console.backend.verify_session(token).await {
            Ok(Some(caller)) => Ok(Signed { caller }),
            Ok(None) => Err(to_sign_in(next, Some(expired_cookie(profile)))),
            Err(error) => Err(error_page(profile, None, &error)),
        }
    }
}

/// The session cookie's name for a console.
fn cookie_name(profile: &ConsoleProfile) -> String {
    format!("tandem_{}_session", profile.slug)
}

/// The session token from the request's cookies, if any.
fn session_token<'h>(headers: &'h HeaderMap, profile: &ConsoleProfile) -> Option<&'h str> {
    let name = cookie_name(profile);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` value that removes the session cookie.
fn expired_cookie(profile: &ConsoleProfile) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0",
        cookie_name(profile)
    )
}

/// Whether the browser reached the console over HTTPS through a proxy that says so; the session cookie is then
/// marked `Secure`.
fn behind_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|p| p.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// A `Set-Cookie` value that keeps a new session.
fn session_cookie(
    profile: &ConsoleProfile,
    session: &Session,
    secure: bool,
) -> Result<HeaderValue, ConsoleError> {
    let cookie_safe = |c: char| c.is_ascii_graphic() && !matches!(c, '"' | ',' | ';' | '\\');
    if session.token.is_empty() || !session.token.chars().all(cookie_safe) {
        return Err(ConsoleError::store(
            "the backend issued a session token that cannot be kept in a cookie",
        ));
    }
    let mut cookie = format!(
        "{}={}; Path=/; HttpOnly; SameSite=Lax",
        cookie_name(profile),
        session.token
    );
    if secure {
        cookie.push_str("; Secure");
    }
    if let Some(expires) = session.expires {
        cookie.push_str(&format!(
            "; Expires={}",
            expires.format("%a, %d %b %Y %H:%M:%S GMT")
        ));
    }
    HeaderValue::from_str(&cookie).map_err(ConsoleError::store)
}

/// A 303 redirect, optionally setting a cookie.
pub(crate) fn see_other(location: &str, cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, location.to_owned())]).into_response();
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// Redirects to the sign-in page, which sends the caller on to `next` afterwards.
fn to_sign_in(next: &str, cookie: Option<String>) -> Response {
    let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
    see_other(&format!("/sign-in?{query}"), cookie)
}

/// `next` if it is a path on this console, else the queue: sign-in never redirects off-site.
fn local_path(next: &str) -> &str {
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if local { next } else { "/" }
}

/// Whether a state-changing request came from a page of another origin (a cross-site request forgery).
/// Browsers send `Origin` with every `POST`; requests without one come from other clients, not a page.
pub(crate) fn cross_origin(headers: &HeaderMap, uri: &Uri) -> bool {
    let Some(origin) = headers.get(ORIGIN) else {
        return false;
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    origin_host.is_none() || origin_host != host
}

/// The answer to a cross-origin `POST`.
pub(crate) fn refuse_cross_origin(profile: &ConsoleProfile, caller: Option<&Caller>) -> Response {
    let error = ConsoleError::Forbidden("the request came from a page of another site".into());
    error_page(profile, caller, &error)
}

/// The query of `GET /sign-in`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SignInQuery {
    next: String,
}

/// The form of `POST /sign-in`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct SignInForm {
    client_id: String,
    client_secret: String,
    next: String,
}

/// Renders the sign-in form, with an error message after a failed attempt.
fn sign_in_form(
    profile: &ConsoleProfile,
    status: StatusCode,
    client_id: &str,
    next: &str,
    error: Option<String>,
) -> Response {
    let context = context! {
        client_id,
        next => local_path(next),
        error,
        ..chrome(profile, None),
    };
    page(status, "sign_in.html", context)
}

/// `GET /sign-in`.
pub(crate) async fn sign_in_page<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    Query(query): Query<SignInQuery>,
) -> Response {
    sign_in_form(
        console.backend.profile(),
        StatusCode::OK,
        "",
        &query.next,
        None,
    )
}

/// `POST /sign-in`: exchanges the client id and secret for a session cookie.
pub(crate) async fn sign_in<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    headers: HeaderMap,
    uri: Uri,
    Form(form): Form<SignInForm>,
) -> Response {
    let profile = console.backend.profile();
    if cross_origin(&headers, &uri) {
        return refuse_cross_origin(profile, None);
    }
    let client_id = form.client_id.trim();
    if client_id.is_empty() || form.client_secret.is_empty() {
        let message =
            "Enter the client id and the client secret of an app registration.".to_owned();
        return sign_in_form(
            profile,
            StatusCode::BAD_REQUEST,
            client_id,
            &form.next,
            Some(message),
        );
    }
    let signed = match console
        .backend
        .sign_in(client_id, &form.client_secret)
        .await
    {
        Ok(session) => session_cookie(profile, &session, behind_https(&headers)),
        Err(ConsoleError::BadCredentials) => {
            let message = "The client id or the client secret is not correct.".to_owned();
            return sign_in_form(
                profile,
                StatusCode::UNAUTHORIZED,
                client_id,
                &form.next,
                Some(message),
            );
        }
        Err(ConsoleError::Throttled(secs)) => {
            let mut response = sign_in_form(
                profile,
                StatusCode::TOO_MANY_REQUESTS,
                client_id,
                &form.next,
                Some(ConsoleError::Throttled(secs).to_string()),
            );
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
            return response;
        }
        Err(error) => Err(error),
    };
    match signed {
        Ok(cookie) => {
            let mut response = see_other(local_path(&form.next), None);
            response.headers_mut().insert(SET_COOKIE, cookie);
            response
        }
        Err(error) => error_page(profile, None, &error),
    }
}

/// `POST /sign-out`: ends the session and removes the cookie.
pub(crate) async fn sign_out<B: ConsoleBackend>(
    State(console): State<Console<B>>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let profile = console.backend.profile();
    if cross_origin(&headers, &uri) {
        return refuse_cross_origin(profile, None);
    }
    if let Some(token) = session_token(&headers, profile)
        && let Err(error) = console.backend.sign_out(token).await
    {
        return error_page(profile, None, &error);
    }
    see_other("/sign-in", Some(expired_cookie(profile)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(local_path("/incidents/42?x=1"), "/incidents/42?x=1");
        for outside in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
            "",
            "incidents",
            "/a\nb",
        ] {
            assert_eq!(local_path(outside), "/", "{outside:?}");
        }
    }

    #[test]
    fn cross_origin_compares_the_origin_with_the_host() {
        let uri: Uri = "/sign-out".parse().unwrap();
        let headers = |origin: Option<&str>| {
            let mut h = HeaderMap::new();
            h.insert(HOST, HeaderValue::from_static("127.0.0.1:8443"));
            if let Some(o) = origin {
                h.insert(ORIGIN, HeaderValue::from_str(o).unwrap());
            }
            h
        };
        assert!(!cross_origin(&headers(None), &uri));
        assert!(!cross_origin(&headers(Some("http://127.0.0.1:8443")), &uri));
        assert!(cross_origin(&headers(Some("http://127.0.0.1:9443")), &uri));
        assert!(cross_origin(&headers(Some("null")), &uri));
    }
}
