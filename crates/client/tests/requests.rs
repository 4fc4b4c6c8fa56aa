//! The JSON helpers against a real server: methods, `If-Match`, gzip bodies, empty responses, etags and
//! typed ARM error bodies.

#![cfg(test)]

mod common;

use std::io::Read;

use axum::http::StatusCode;
use axum::http::header::{self, HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use common::{ScriptedApi, Seen, client_for, get_error};
use serde::Deserialize;
use serde_json::{Value, json};
use tandem_client::{ApiRequest, ClientError};

/// Answers with what the server saw, so tests check both directions at once.
fn echo(_: usize, seen: &Seen) -> Response {
    let body = json!({
        "method": seen.method.as_str(),
        "path": seen.uri.path(),
        "ifMatch": seen.header("if-match"),
        "contentType": seen.header("content-type"),
        "contentEncoding": seen.header("content-encoding"),
    });
    ([("etag", "W/\"7\"")], axum::Json(body)).into_response()
}

#[tokio::test]
async fn helpers_send_their_method_body_and_if_match() {
    let api = ScriptedApi::new(echo);
    let (client, base) = client_for(&api).await;
    let url = format!("{base}/incidents/7");
    let etag = "\"0300bf09-0000-0000-0000-5c37296e0000\"";

    let put: Value = client
        .put_json(&url, &json!({"a": 1}), Some(etag))
        .await
        .unwrap();
    assert_eq!(put["method"], "PUT");
    assert_eq!(put["ifMatch"], etag);
    assert_eq!(put["contentType"], "application/json");
    let patch: Value = client
        .patch_json(&url, &json!({"a": 2}), None)
        .await
        .unwrap();
    assert_eq!(patch["method"], "PATCH");
    assert_eq!(patch["ifMatch"], Value::Null);
    let post: Value = client.post_json(&url, &json!([1, 2])).await.unwrap();
    assert_eq!(post["method"], "POST");
    client.delete(&url, Some(etag)).await.unwrap();

    let seen = api.seen();
    let bodies: Vec<Value> = seen
        .iter()
        .take(3)
        .map(|s| serde_json::from_slice(&s.body).unwrap())
        .collect();
    assert_eq!(bodies, [json!({"a": 1}), json!({"a": 2}), json!([1, 2])]);
    assert_eq!(seen[3].method, "DELETE");
    assert_eq!(seen[3].header("if-match"), Some(etag));
    assert!(seen.iter().all(|s| s.bearer() == Some("token-1")));
}

#[tokio::test]
async fn extra_headers_are_sent_but_cannot_replace_the_token() {
    let api = ScriptedApi::new(echo);
    let (client, base) = client_for(&api).await;
    let request = ApiRequest::get(format!("{base}/x"))
        .header(
            HeaderName::from_static("prefer"),
            HeaderValue::from_static("return=representation"),
        )
        .header(
            header::AUTHORIZATION,
            HeaderValue::from_static("Bearer forged"),
        );
    client.send(request).await.unwrap();
    let seen = &api.seen()[0];
    assert_eq!(seen.header("prefer"), Some("return=representation"));
    assert_eq!(seen.bearer(), Some("token-1"));
    assert_eq!(seen.headers.get_all("authorization").iter().count(), 1);
}

#[tokio::test]
async fn gzip_bodies_arrive_compressed_and_intact() {
    let api = ScriptedApi::new(echo);
    let (client, base) = client_for(&api).await;
    let rows: Vec<Value> = (0..200)
        .map(|i| json!({"TimeGenerated": "2026-01-01T00:00:00Z", "Row": i}))
        .collect();
    let request = ApiRequest::post(format!(
        "{base}/dataCollectionRules/dcr-1/streams/Custom-Rows"
    ))
    .json(&rows)
    .unwrap()
    .gzip();
    let response = client.send(request).await.unwrap();
    assert_eq!(response.json::<Value>().unwrap()["contentEncoding"], "gzip");
    let sent = &api.seen()[0].body;
    let mut text = String::new();
    flate2::read::GzDecoder::new(&sent[..])
        .read_to_string(&mut text)
        .unwrap();
    assert!(sent.len() < text.len());
    assert_eq!(serde_json::from_str::<Vec<Value>>(&text).unwrap(), rows);
}

#[tokio::test]
async fn responses_expose_status_etag_and_typed_bodies() {
    #[derive(Deserialize)]
    struct Echo {
        method: String,
        path: String,
    }
    let api = ScriptedApi::new(echo);
    let (client, base) = client_for(&api).await;
    let response = client
        .send(ApiRequest::get(format!("{base}/a/b")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.etag(), Some("W/\"7\""));
    let echo: Echo = response.json().unwrap();
    assert_eq!((echo.method.as_str(), echo.path.as_str()), ("GET", "/a/b"));
}

#[tokio::test]
async fn empty_responses_read_as_unit() {
    let api = ScriptedApi::new(|_, _| StatusCode::NO_CONTENT.into_response());
    let (client, base) = client_for(&api).await;
    let url = format!("{base}/x");
    client
        .patch_json::<_, ()>(&url, &json!({}), None)
        .await
        .unwrap();
    let nothing: Option<Value> = client.get_json(&url).await.unwrap();
    assert_eq!(nothing, None);
}

#[tokio::test]
async fn unreadable_bodies_name_the_field() {
    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Incident {
        id: String,
    }
    let api = ScriptedApi::new(|_, _| axum::Json(json!({"id": 42})).into_response());
    let (client, base) = client_for(&api).await;
    let error = client
        .get_json::<Incident>(&format!("{base}/x"))
        .await
        .unwrap_err();
    assert!(matches!(error, ClientError::Decode { .. }), "{error}");
    assert!(error.to_string().contains("`id`"), "{error}");
}

#[tokio::test]
async fn etag_conflicts_are_typed_with_the_arm_error() {
    let api = ScriptedApi::new(|n, _| {
        let (status, code) = if n == 0 {
            (StatusCode::PRECONDITION_FAILED, "PreconditionFailed")
        } else {
            (StatusCode::CONFLICT, "Conflict")
        };
        let body = json!({"error": {"code": code, "message": "The etag does not match."}});
        (status, axum::Json(body)).into_response()
    });
    let (client, base) = client_for(&api).await;
    let url = format!("{base}/providers/Microsoft.SecurityInsights/incidents/1");
    let stale = client
        .put_json::<_, Value>(&url, &json!({}), Some("\"old\""))
        .await
        .unwrap_err();
    assert!(
        stale.is_precondition_failed() && !stale.is_conflict(),
        "{stale}"
    );
    assert_eq!(stale.service_error().unwrap().code, "PreconditionFailed");
    assert_eq!(
        stale.service_error().unwrap().message,
        "The etag does not match."
    );
    let conflict = client
        .put_json::<_, Value>(&url, &json!({}), Some("\"old\""))
        .await
        .unwrap_err();
    assert!(
        conflict.is_conflict() && !conflict.is_not_found(),
        "{conflict}"
    );
}

#[tokio::test]
async fn error_bodies_that_are_not_json_are_kept_as_text() {
    let api = ScriptedApi::new(|_, _| (StatusCode::FORBIDDEN, "no access for you").into_response());
    let (client, base) = client_for(&api).await;
    let error = get_error(&client, &base).await;
    let ClientError::Status(status) = &error else {
        panic!("expected a status error, got {error}")
    };
    assert_eq!(status.service_error, None);
    assert_eq!(status.body, "no access for you");
    assert!(error.to_string().contains("403"), "{error}");
}

#[tokio::test]
async fn bad_urls_are_refused_before_sending() {
    let api = ScriptedApi::new(echo);
    let (client, _) = client_for(&api).await;
    let error = client.get_json::<Value>("not a url").await.unwrap_err();
    assert!(matches!(error, ClientError::Url { .. }), "{error}");
    assert!(api.seen().is_empty());
}
