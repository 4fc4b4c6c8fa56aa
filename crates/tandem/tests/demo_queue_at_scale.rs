//! The SIEM console's queue stays usable when the workspace holds 10,000 incidents, as a long-running
//! demo's does: the SIEM is filled through its Sentinel incidents API, an analyst signs in to the
//! console, and the queue shows one bounded page with a link to the next, which shows the next rows.

#![cfg(test)]

use std::collections::BTreeSet;
use std::sync::Arc;

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::redirect::Policy;
use serde_json::json;
use tandem_server::ServerConfig;
use tandem_testkit::InProcessServer;

/// How many incidents the workspace holds.
const INCIDENTS: usize = 10_000;
/// Concurrent PUTs while filling it.
const WRITERS: usize = 16;
/// The most rows a page of the queue may show.
const MAX_ROWS: usize = 200;

#[tokio::test(flavor = "multi_thread")]
async fn queue_of_ten_thousand_incidents_is_paged() {
    let siem = InProcessServer::start(
        tandem_siem::service_spec(),
        ServerConfig::default(),
        |prepared| tandem_siem::routes(prepared).expect("SIEM routes"),
    )
    .await
    .unwrap();
    fill(&siem).await;

    let http = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let cookie = sign_in(&http, &siem).await;
    let first = queue_page(&http, &format!("{}/", siem.url()), &cookie).await;
    assert!(
        first.html.contains("10000") || first.html.contains("10,000"),
        "the queue should say how many incidents match"
    );
    let next = first.next.clone().expect("a link to the next page");
    let second = queue_page(&http, &format!("{}{}", siem.url(), next), &cookie).await;
    assert!(
        first.ids.is_disjoint(&second.ids),
        "the next page shows other incidents"
    );
}

/// Puts `INCIDENTS` incidents through the Sentinel API, `WRITERS` at a time.
async fn fill(siem: &InProcessServer) {
    let token = siem
        .credentials()
        .writer_token(siem.url(), "https://management.azure.com/.default")
        .await
        .unwrap();
    let credentials = siem.credentials();
    let base = Arc::new(format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents",
        siem.url(),
        credentials.get("TANDEM_SUBSCRIPTION_ID").unwrap(),
        credentials.get("TANDEM_RESOURCE_GROUP").unwrap(),
        credentials.get("TANDEM_WORKSPACE_NAME").unwrap(),
    ));
    let http = reqwest::Client::new();
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..WRITERS {
        let (http, token, base) = (http.clone(), token.clone(), Arc::clone(&base));
        writers.spawn(async move {
            for n in (writer..INCIDENTS).step_by(WRITERS) {
                let severity = ["Low", "Medium", "High"][n % 3];
                let body = json!({"properties": {
                    "title": format!("Scale incident {n}"),
                    "severity": severity,
                    "status": "New",
                }});
                let response = http
                    .put(format!("{base}/scale-{n:05}?api-version=2024-03-01"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(
                    response.status().is_success(),
                    "PUT incident {n}: {}",
                    response.status()
                );
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
}

/// Signs in to the console with the read-write app; returns the session cookie.
async fn sign_in(http: &reqwest::Client, siem: &InProcessServer) -> String {
    let credentials = siem.credentials();
    let form = [
        ("client_id", credentials.get("TANDEM_CLIENT_ID").unwrap()),
        (
            "client_secret",
            credentials.get("TANDEM_CLIENT_SECRET").unwrap(),
        ),
        ("next", "/"),
    ];
    let response = http
        .post(format!("{}/sign-in", siem.url()))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303, "sign-in answers with a redirect");
    assert_eq!(response.headers()[LOCATION], "/");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

/// What a queue page shows.
#[derive(Debug, Clone)]
struct QueuePage {
    html: String,
    ids: BTreeSet<String>,
    next: Option<String>,
}

/// Fetches a queue page and checks that it shows a bounded number of rows.
async fn queue_page(http: &reqwest::Client, url: &str, cookie: &str) -> QueuePage {
    let response = http.get(url).header(COOKIE, cookie).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    let html = response.text().await.unwrap();
    let ids: BTreeSet<String> = attribute_values(&html, "data-incident-id=\"").collect();
    assert!(
        (1..=MAX_ROWS).contains(&ids.len()),
        "{url} shows {} rows; a page should show between 1 and {MAX_ROWS}",
        ids.len()
    );
    let next = link_href(&html, "id=\"queue-next\"");
    QueuePage { html, ids, next }
}

/// The values of every `prefix…"` in `html`, in order.
fn attribute_values<'a>(html: &'a str, prefix: &'a str) -> impl Iterator<Item = String> + 'a {
    html.split(prefix)
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(str::to_owned)
}

/// The `href` of the link whose tag holds `marker`, with `&amp;` undone.
fn link_href(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)?;
    let tag_start = html[..at].rfind("<a ")?;
    let tag_end = at + html[at..].find('>')?;
    attribute_values(&html[tag_start..tag_end], "href=\"")
        .next()
        .map(|href| href.replace("&amp;", "&"))
}
