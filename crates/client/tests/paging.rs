//! Paging against a real server: every item exactly once across Graph and ARM next links, page-at-a-time
//! progress, and links that would leak the token or loop.

#![cfg(test)]

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use common::{ScriptedApi, Seen, TokenEndpoint, config, start};
use serde::Deserialize;
use serde_json::json;
use tandem_client::{ApiClient, ClientError};

const ITEMS: usize = 23;
const PAGE: usize = 5;

#[derive(Debug, Deserialize, PartialEq)]
struct Item {
    id: String,
}

/// Serves items `0..ITEMS` in pages of `PAGE`, the next page named by `?skip=`, under `link_name`.
fn pages(
    link_name: &'static str,
    base: Arc<std::sync::OnceLock<String>>,
) -> impl Fn(usize, &Seen) -> Response {
    move |_, seen| {
        let skip: usize = seen
            .uri
            .query()
            .and_then(|q| q.strip_prefix("skip="))
            .map_or(0, |s| s.parse().unwrap());
        let end = (skip + PAGE).min(ITEMS);
        let value: Vec<_> = (skip..end).map(|i| json!({"id": i.to_string()})).collect();
        let mut body = json!({"value": value});
        if end < ITEMS {
            let link = format!("{}{}?skip={end}", base.get().unwrap(), seen.uri.path());
            body[link_name] = json!(link);
        }
        axum::Json(body).into_response()
    }
}

async fn serve_pages(link_name: &'static str) -> (ApiClient, String, Arc<ScriptedApi>) {
    let base = Arc::new(std::sync::OnceLock::new());
    let api = ScriptedApi::new(pages(link_name, Arc::clone(&base)));
    let url = start(&TokenEndpoint::new(3600), &api).await;
    base.set(url.clone()).unwrap();
    (ApiClient::new(&config(&url)).unwrap(), url, api)
}

fn expected() -> Vec<Item> {
    (0..ITEMS).map(|i| Item { id: i.to_string() }).collect()
}

#[tokio::test]
async fn graph_next_links_collect_every_item_once() {
    let (client, base, api) = serve_pages("@odata.nextLink").await;
    let items: Vec<Item> = client
        .get_all(&format!("{base}/v1.0/security/incidents"))
        .await
        .unwrap();
    assert_eq!(items, expected());
    assert_eq!(api.seen().len(), ITEMS.div_ceil(PAGE));
}

#[tokio::test]
async fn arm_next_links_collect_every_item_once() {
    let (client, base, _) = serve_pages("nextLink").await;
    let items: Vec<Item> = client.get_all(&format!("{base}/incidents")).await.unwrap();
    assert_eq!(items, expected());
}

#[tokio::test]
async fn pages_arrive_one_at_a_time() {
    let (client, base, api) = serve_pages("@odata.nextLink").await;
    let mut pager = client.pages::<Item>(&format!("{base}/incidents")).unwrap();
    assert!(
        api.seen().is_empty(),
        "nothing is sent before the first page is asked for"
    );
    let mut sizes = Vec::new();
    while let Some(page) = pager.next_page().await.unwrap() {
        assert_eq!(
            page.next_link.is_some(),
            sizes.len() + 1 < ITEMS.div_ceil(PAGE)
        );
        sizes.push(page.items.len());
        assert_eq!(api.seen().len(), sizes.len());
    }
    assert_eq!(sizes, [5, 5, 5, 5, 3]);
    assert!(pager.next_page().await.unwrap().is_none());
}

async fn paging_error(body: serde_json::Value) -> (ClientError, usize) {
    let api = ScriptedApi::new(move |_, _| axum::Json(body.clone()).into_response());
    let base = start(&TokenEndpoint::new(3600), &api).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    let error = client
        .get_all::<Item>(&format!("{base}/incidents"))
        .await
        .unwrap_err();
    (error, api.seen().len())
}

#[tokio::test]
async fn next_links_to_another_host_are_refused() {
    let body = json!({"value": [], "@odata.nextLink": "https://elsewhere.example/steal"});
    let (error, requests) = paging_error(body).await;
    assert!(matches!(error, ClientError::Url { .. }), "{error}");
    assert!(error.to_string().contains("elsewhere.example"), "{error}");
    assert_eq!(requests, 1);
}

#[tokio::test]
async fn a_next_link_that_loops_is_refused() {
    let body = json!({"value": [{"id": "1"}], "nextLink": "/incidents?again=1"});
    let (error, requests) = paging_error(body).await;
    assert!(error.to_string().contains("already read"), "{error}");
    assert_eq!(requests, 2);
}

#[tokio::test]
async fn a_page_without_value_names_the_field() {
    let (error, _) = paging_error(json!({"items": []})).await;
    assert!(matches!(error, ClientError::Decode { .. }), "{error}");
    assert!(error.to_string().contains("value"), "{error}");
}

#[tokio::test]
async fn a_failing_page_ends_paging_with_its_error() {
    let api = ScriptedApi::new(|n, _| {
        if n == 0 {
            axum::Json(json!({"value": [{"id": "0"}], "nextLink": "/incidents?skip=1"}))
                .into_response()
        } else {
            (
                StatusCode::NOT_FOUND,
                axum::Json(json!({"error": {"code": "NotFound", "message": "gone"}})),
            )
                .into_response()
        }
    });
    let base = start(&TokenEndpoint::new(3600), &api).await;
    let client = ApiClient::new(&config(&base)).unwrap();
    let mut pager = client.pages::<Item>(&format!("{base}/incidents")).unwrap();
    assert_eq!(pager.next_page().await.unwrap().unwrap().items.len(), 1);
    assert!(pager.next_page().await.unwrap_err().is_not_found());
}

#[tokio::test]
async fn a_pagers_headers_go_with_every_page() {
    let (client, base, api) = serve_pages("@odata.nextLink").await;
    let pager = client
        .pages::<Item>(&format!("{base}/v1.0/security/incidents"))
        .unwrap()
        .with_header(
            reqwest::header::HeaderName::from_static("prefer"),
            reqwest::header::HeaderValue::from_static("include-unknown-enum-members"),
        );
    assert_eq!(pager.collect_all().await.unwrap(), expected());
    let seen = api.seen();
    assert_eq!(seen.len(), ITEMS.div_ceil(PAGE));
    for request in &seen {
        assert_eq!(
            request.header("prefer"),
            Some("include-unknown-enum-members")
        );
    }
}
