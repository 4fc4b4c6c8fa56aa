//! The token source against a real token endpoint: the form it sends, caching, refresh before expiry,
//! one refresh for many concurrent callers, and typed identity-platform errors.

#![cfg(test)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use common::{SECRET, TokenEndpoint, config, serve};
use serde_json::json;
use tandem_client::{ApiClient, TokenError};

async fn client_for(endpoint: &Arc<TokenEndpoint>) -> ApiClient {
    let base = serve(endpoint.router()).await;
    ApiClient::new(&config(&base)).unwrap()
}

#[tokio::test]
async fn sends_the_client_credentials_grant() {
    let endpoint = TokenEndpoint::new(3600);
    let client = client_for(&endpoint).await;
    let token = client.tokens().token().await.unwrap();
    assert_eq!(token.secret().expose(), "token-1");
    let forms = endpoint.forms.lock().unwrap().clone();
    assert_eq!(forms.len(), 1);
    let form = &forms[0];
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["client_id"], "app-under-test");
    assert_eq!(form["client_secret"], SECRET);
    assert_eq!(form["scope"], "api://tandem-tests/.default");
}

#[tokio::test]
async fn caches_a_token_while_it_is_fresh() {
    let endpoint = TokenEndpoint::new(3600);
    let client = client_for(&endpoint).await;
    for _ in 0..5 {
        assert_eq!(
            client.tokens().token().await.unwrap().secret().expose(),
            "token-1"
        );
    }
    assert_eq!(endpoint.issued(), 1);
    assert_eq!(client.counters().snapshot().token_requests, 1);
}

#[tokio::test]
async fn refreshes_a_token_once_most_of_its_lifetime_has_passed() {
    let endpoint = TokenEndpoint::new(1);
    let client = client_for(&endpoint).await;
    let first = client.tokens().token().await.unwrap();
    assert!(first.is_fresh());
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert!(!first.is_fresh(), "80% of a one-second lifetime has passed");
    let second = client.tokens().token().await.unwrap();
    assert_eq!(second.secret().expose(), "token-2");
    assert_eq!(endpoint.issued(), 2);
}

#[tokio::test]
async fn concurrent_callers_share_one_token_request() {
    let endpoint = Arc::new(TokenEndpoint {
        expires_in: 3600,
        delay: Duration::from_millis(100),
        ..TokenEndpoint::default()
    });
    let client = client_for(&endpoint).await;
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.tokens().token().await.unwrap() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().secret().expose(), "token-1");
    }
    assert_eq!(endpoint.issued(), 1);
}

#[tokio::test]
async fn invalidating_a_replaced_token_keeps_the_new_one() {
    let endpoint = TokenEndpoint::new(3600);
    let client = client_for(&endpoint).await;
    let first = client.tokens().token().await.unwrap();
    client.tokens().invalidate(&first).await;
    let second = client.tokens().token().await.unwrap();
    client.tokens().invalidate(&first).await;
    assert_eq!(
        client.tokens().token().await.unwrap().secret(),
        second.secret()
    );
    assert_eq!(endpoint.issued(), 2);
}

async fn token_error(status: StatusCode, body: &'static str) -> TokenError {
    let router = Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        post(move || async move { (status, body).into_response() }),
    );
    let base = serve(router).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    client.tokens().token().await.unwrap_err()
}

#[tokio::test]
async fn identity_platform_errors_are_typed() {
    let body = json!({
        "error": "invalid_client",
        "error_description": "AADSTS7000215: Invalid client secret provided.",
        "error_codes": [7000215],
        "trace_id": "0000",
    })
    .to_string()
    .leak();
    match token_error(StatusCode::UNAUTHORIZED, body).await {
        TokenError::Rejected {
            status,
            error,
            description,
            error_codes,
            ..
        } => {
            assert_eq!(status, StatusCode::UNAUTHORIZED);
            assert_eq!(error, "invalid_client");
            assert!(description.starts_with("AADSTS7000215"));
            assert_eq!(error_codes, [7000215]);
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn other_error_bodies_keep_the_status_and_text() {
    match token_error(StatusCode::NOT_FOUND, "no such tenant").await {
        TokenError::Status { status, body, .. } => {
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(body, "no such tenant");
        }
        other => panic!("expected a status error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreadable_token_response_names_the_field() {
    let router = Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        post(|| async { axum::Json(json!({"access_token": "t", "expires_in": "soon"})) }),
    );
    let base = serve(router).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    let error = client.tokens().token().await.unwrap_err();
    let message = error.to_string();
    assert!(matches!(error, TokenError::BadResponse { .. }), "{message}");
    assert!(
        message.contains("expires_in") && message.contains("soon"),
        "{message}"
    );
}

async fn token_with_lifetime(expires_in: serde_json::Value) -> tandem_client::AccessToken {
    let router = Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        post(move || {
            let body = json!({"access_token": "t", "expires_in": expires_in});
            async move { axum::Json(body) }
        }),
    );
    let base = serve(router).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    client.tokens().token().await.unwrap()
}

#[tokio::test]
async fn expires_in_may_be_written_as_text() {
    assert!(token_with_lifetime(json!("3599")).await.is_fresh());
    assert!(!token_with_lifetime(json!("0")).await.is_fresh());
}

#[tokio::test]
async fn an_absurd_lifetime_is_capped_instead_of_overflowing() {
    assert!(token_with_lifetime(json!(u64::MAX)).await.is_fresh());
}
