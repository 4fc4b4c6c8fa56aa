//! The retry policy against real servers: `Retry-After` honoured, backoff on server errors, typed errors
//! when retries run out, POST only repeated when that is safe, one token refresh on 401, and the counters.

#![cfg(test)]

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::{ScriptedApi, TokenEndpoint, client_for, config, get_error, start};
use serde_json::{Value, json};
use tandem_client::{ApiClient, ApiRequest, ClientError, CounterSnapshot};

fn ok() -> Response {
    axum::Json(json!({"ok": true})).into_response()
}

fn graph_error(status: StatusCode, code: &str) -> Response {
    let body = json!({"error": {"code": code, "message": format!("{code} from the test server")}});
    (status, axum::Json(body)).into_response()
}

fn throttled(retry_after: &str) -> Response {
    let mut response = graph_error(StatusCode::TOO_MANY_REQUESTS, "activityLimitReached");
    response
        .headers_mut()
        .insert("retry-after", retry_after.parse().unwrap());
    response
}

#[tokio::test]
async fn waits_as_long_as_retry_after_asks() {
    let api = ScriptedApi::new(|n, _| if n == 0 { throttled("1") } else { ok() });
    let (client, base) = client_for(&api).await;
    let body: Value = client
        .get_json(&format!("{base}/v1.0/security/incidents"))
        .await
        .unwrap();
    assert_eq!(body, json!({"ok": true}));
    let seen = api.seen();
    assert_eq!(seen.len(), 2);
    let gap = seen[1].at - seen[0].at;
    assert!(
        gap >= Duration::from_secs(1),
        "retried after {gap:?}, asked for 1 s"
    );
    let counters = client.counters().snapshot();
    assert_eq!(
        (counters.requests, counters.retries, counters.throttles),
        (2, 1, 1)
    );
}

#[tokio::test]
async fn a_retry_after_beyond_the_wait_budget_ends_with_the_throttle() {
    let api = ScriptedApi::new(|_, _| throttled("3600"));
    let (client, base) = client_for(&api).await;
    let error = get_error(&client, &base).await;
    assert!(error.is_throttled(), "{error}");
    let ClientError::Status(status) = &error else {
        panic!("expected a status error, got {error}")
    };
    assert_eq!(status.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!(
        status.service_error.as_ref().unwrap().code,
        "activityLimitReached"
    );
    assert_eq!(api.seen().len(), 1);
}

#[tokio::test]
async fn an_absurd_retry_after_ends_the_request_without_overflowing() {
    let api = ScriptedApi::new(|_, _| throttled(&u64::MAX.to_string()));
    let (client, base) = client_for(&api).await;
    let error = get_error(&client, &base).await;
    assert!(error.is_throttled(), "{error}");
    assert_eq!(api.seen().len(), 1);
}

#[tokio::test]
async fn server_errors_are_retried_until_success() {
    let api = ScriptedApi::new(|n, _| {
        if n < 2 {
            graph_error(StatusCode::INTERNAL_SERVER_ERROR, "generalException")
        } else {
            ok()
        }
    });
    let (client, base) = client_for(&api).await;
    let body: Value = client.get_json(&format!("{base}/x")).await.unwrap();
    assert_eq!(body["ok"], true);
    assert_eq!(api.seen().len(), 3);
    assert_eq!(client.counters().snapshot().retries, 2);
}

#[tokio::test]
async fn persistent_server_errors_give_up_with_a_typed_error() {
    let api = ScriptedApi::new(|_, _| graph_error(StatusCode::BAD_GATEWAY, "serviceNotAvailable"));
    let (client, base) = client_for(&api).await;
    let error = get_error(&client, &base).await;
    let ClientError::Status(status) = &error else {
        panic!("expected a status error, got {error}")
    };
    assert_eq!(status.status, StatusCode::BAD_GATEWAY);
    assert_eq!(status.attempts, 4);
    assert_eq!(
        status.service_error.as_ref().unwrap().code,
        "serviceNotAvailable"
    );
    assert!(error.to_string().contains("serviceNotAvailable"), "{error}");
    assert_eq!(api.seen().len(), 4);
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    let api = ScriptedApi::new(|_, _| graph_error(StatusCode::NOT_FOUND, "itemNotFound"));
    let (client, base) = client_for(&api).await;
    let error = get_error(&client, &base).await;
    assert!(error.is_not_found(), "{error}");
    assert_eq!(api.seen().len(), 1);
}

#[tokio::test]
async fn post_is_not_repeated_after_a_server_error() {
    let api =
        ScriptedApi::new(|_, _| graph_error(StatusCode::INTERNAL_SERVER_ERROR, "generalException"));
    let (client, base) = client_for(&api).await;
    let error = client
        .post_json::<_, Value>(&format!("{base}/x"), &json!({"a": 1}))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(StatusCode::INTERNAL_SERVER_ERROR));
    assert_eq!(api.seen().len(), 1);
}

#[tokio::test]
async fn post_marked_safe_is_repeated_after_a_server_error() {
    let api = ScriptedApi::new(|n, _| {
        if n == 0 {
            graph_error(StatusCode::SERVICE_UNAVAILABLE, "serviceNotAvailable")
        } else {
            ok()
        }
    });
    let (client, base) = client_for(&api).await;
    let request = ApiRequest::post(format!("{base}/x"))
        .json(&json!({"a": 1}))
        .unwrap()
        .retry_safe();
    client.send(request).await.unwrap();
    let seen = api.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].body, seen[1].body);
}

#[tokio::test]
async fn post_is_repeated_after_a_throttle() {
    let api = ScriptedApi::new(|n, _| if n == 0 { throttled("0") } else { ok() });
    let (client, base) = client_for(&api).await;
    client
        .post_json::<_, Value>(&format!("{base}/x"), &json!({"a": 1}))
        .await
        .unwrap();
    assert_eq!(api.seen().len(), 2);
}

#[tokio::test]
async fn post_is_repeated_when_the_connection_cannot_be_opened() {
    let tokens = TokenEndpoint::new(3600);
    let base = common::serve(tokens.router()).await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let client = ApiClient::new(&config(&base)).unwrap();
    let error = client
        .post_json::<_, Value>(&format!("http://{closed_addr}/x"), &json!({}))
        .await
        .unwrap_err();
    let ClientError::Transport { attempts, .. } = error else {
        panic!("expected a transport error, got {error}")
    };
    assert_eq!(attempts, 4);
    assert_eq!(client.counters().snapshot().requests, 4);
}

#[tokio::test]
async fn timeouts_repeat_idempotent_requests_only() {
    let slow = axum::Router::new().fallback(|| async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        "late"
    });
    let token_base = common::serve(TokenEndpoint::new(3600).router()).await;
    let slow_base = common::serve(slow).await;
    let mut config = config(&token_base);
    config.timeouts.request_ms = 100;
    let client = ApiClient::new(&config).unwrap();

    let get = client
        .get_json::<Value>(&format!("{slow_base}/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(get, ClientError::Transport { attempts: 4, .. }),
        "{get}"
    );
    let before = client.counters().snapshot().requests;
    let post = client
        .post_json::<_, Value>(&format!("{slow_base}/x"), &json!({}))
        .await
        .unwrap_err();
    assert!(
        matches!(post, ClientError::Transport { attempts: 1, .. }),
        "{post}"
    );
    assert_eq!(client.counters().snapshot().requests - before, 1);
}

#[tokio::test]
async fn unauthorized_refreshes_the_token_once() {
    let api = ScriptedApi::new(|_, seen| {
        if seen.bearer() == Some("token-2") {
            ok()
        } else {
            graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken")
        }
    });
    let tokens = TokenEndpoint::new(3600);
    let base = start(&tokens, &api).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    client
        .post_json::<_, Value>(&format!("{base}/x"), &json!({}))
        .await
        .unwrap();
    let bearers: Vec<_> = api
        .seen()
        .iter()
        .map(|s| s.bearer().unwrap().to_owned())
        .collect();
    assert_eq!(bearers, ["token-1", "token-2"]);
    assert_eq!(tokens.issued(), 2);
}

#[tokio::test]
async fn a_second_unauthorized_is_returned() {
    let api = ScriptedApi::new(|_, _| {
        graph_error(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken")
    });
    let tokens = TokenEndpoint::new(3600);
    let base = start(&tokens, &api).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    let error = get_error(&client, &base).await;
    assert_eq!(error.status(), Some(StatusCode::UNAUTHORIZED));
    assert_eq!(api.seen().len(), 2);
    assert_eq!(tokens.issued(), 2);
    let counters = client.counters().snapshot();
    assert_eq!(
        counters,
        CounterSnapshot {
            requests: 2,
            retries: 1,
            throttles: 0,
            token_requests: 2
        }
    );
}

#[tokio::test]
async fn the_token_endpoint_is_retried_on_server_errors() {
    let flaky = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let calls = flaky.clone();
    let router = axum::Router::new().route(
        "/{tenant}/oauth2/v2.0/token",
        axum::routing::post(move || {
            let calls = calls.clone();
            async move {
                if calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 {
                    (StatusCode::SERVICE_UNAVAILABLE, "busy").into_response()
                } else {
                    axum::Json(json!({"access_token": "t", "expires_in": 3600})).into_response()
                }
            }
        }),
    );
    let base = common::serve(router).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    client.tokens().token().await.unwrap();
    assert_eq!(flaky.load(std::sync::atomic::Ordering::SeqCst), 2);
    let counters = client.counters().snapshot();
    assert_eq!((counters.token_requests, counters.throttles), (2, 1));
}

#[tokio::test]
async fn a_retry_after_holds_back_the_clients_other_requests() {
    // The first request is throttled for 1 s; a second request started meanwhile must not reach the
    // server before that second is over.
    let api = ScriptedApi::new(|n, _| if n == 0 { throttled("1") } else { ok() });
    let (client, base) = client_for(&api).await;
    let url = format!("{base}/v1.0/security/incidents");
    let first = tokio::spawn({
        let (client, url) = (client.clone(), url.clone());
        async move { client.get_json::<Value>(&url).await }
    });
    while api.seen().is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    client.get_json::<Value>(&url).await.unwrap();
    first.await.unwrap().unwrap();
    let seen = api.seen();
    assert_eq!(seen.len(), 3);
    for later in &seen[1..] {
        let gap = later.at - seen[0].at;
        assert!(
            gap >= Duration::from_secs(1),
            "a request went out {gap:?} after a 1 s Retry-After"
        );
    }
}
