//! The incident queue: counts, filters, search, sort and paging.

use std::collections::HashSet;

use reqwest::StatusCode;
use tandem_console::{IncidentSummary, Severity};

use crate::backend::{MemoryBackend, RESPONDER, seeded};
use crate::{Served, attribute_values, count_testid};

async fn served(count: usize) -> (Served, String) {
    let served = Served::start(MemoryBackend::new(seeded(count))).await;
    let cookie = served.sign_in(&RESPONDER).await;
    (served, cookie)
}

/// The incident ids of a queue page, in row order.
fn row_ids(html: &str) -> Vec<String> {
    attribute_values(html, "data-incident-id")
}

/// The href of the pager's "Next" link.
fn next_link(html: &str) -> String {
    let at = html.find(r#"id="queue-next""#).expect("next link");
    let href = attribute_values(&html[..at], "href").pop().unwrap();
    href.replace("&amp;", "&")
}

#[tokio::test]
async fn counts_by_status_and_severity_match_the_store() {
    let (served, cookie) = served(300).await;
    let html = served.page(&cookie, "/").await;
    let summaries = served.backend.summaries();
    let values = attribute_values(&html, "data-value");
    for severity in Severity::ALL {
        let expected = summaries.iter().filter(|s| s.severity == severity).count();
        let chip = format!("data-value=\"{}\"", severity.as_str());
        let at = html.find(&chip).expect("severity chip");
        let count = &html[at..][html[at..].find("chip-count\">").unwrap() + 12..];
        assert_eq!(
            count[..count.find('<').unwrap()].parse::<usize>().unwrap(),
            expected,
            "{severity}"
        );
    }
    assert!(values.contains(&"inProgress".to_owned()));
    assert!(html.contains(&format!("{} in all", summaries.len())));
}

#[tokio::test]
async fn filters_return_only_matching_incidents() {
    let (served, cookie) = served(400).await;
    let html = served
        .page(&cookie, "/?status=active&severity=high&size=200")
        .await;
    let expected: HashSet<String> = served
        .backend
        .summaries()
        .into_iter()
        .filter(|s| s.status == "active" && s.severity == Severity::High)
        .map(|s| s.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(row_ids(&html).into_iter().collect::<HashSet<_>>(), expected);
}

#[tokio::test]
async fn owner_provider_and_search_filters_combine() {
    let (served, cookie) = served(400).await;
    let path =
        "/?owner=BOB%40contoso.com&provider=Microsoft+Defender+for+Endpoint&q=SIGN-IN&size=200";
    let html = served.page(&cookie, path).await;
    let matches = |s: &IncidentSummary| {
        s.owner.as_deref() == Some("bob@contoso.com")
            && s.providers
                .iter()
                .any(|p| p == "Microsoft Defender for Endpoint")
            && s.title.to_lowercase().contains("sign-in")
    };
    let expected: HashSet<String> = served
        .backend
        .summaries()
        .into_iter()
        .filter(matches)
        .map(|s| s.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(row_ids(&html).into_iter().collect::<HashSet<_>>(), expected);
    assert!(
        html.contains(r#"value="SIGN-IN""#),
        "the search box keeps the query"
    );
}

#[tokio::test]
async fn the_unassigned_filter_shows_only_incidents_without_an_owner() {
    let (served, cookie) = served(90).await;
    let html = served.page(&cookie, "/?unassigned=1&size=200").await;
    let expected: HashSet<String> = served
        .backend
        .summaries()
        .into_iter()
        .filter(|s| s.owner.is_none())
        .map(|s| s.id)
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(row_ids(&html).into_iter().collect::<HashSet<_>>(), expected);
    assert!(html.contains(r#"name="unassigned" value="1" checked"#));

    let both = served
        .get(Some(&cookie), "/?unassigned=1&owner=bob%40contoso.com")
        .await;
    assert_eq!(both.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn severity_sort_puts_the_most_severe_first() {
    let (served, cookie) = served(120).await;
    let html = served.page(&cookie, "/?sort=severity&size=100").await;
    let by_id: std::collections::HashMap<String, Severity> = served
        .backend
        .summaries()
        .into_iter()
        .map(|s| (s.id, s.severity))
        .collect();
    let severities: Vec<Severity> = row_ids(&html).iter().map(|id| by_id[id]).collect();
    assert_eq!(severities.len(), 100);
    assert!(
        severities.windows(2).all(|w| w[0] >= w[1]),
        "{severities:?}"
    );
}

#[tokio::test]
async fn paging_walks_ten_thousand_incidents_without_overlap() {
    let (served, cookie) = served(10_000).await;
    let first = served.page(&cookie, "/?q=host&sort=oldest").await;
    assert_eq!(
        count_testid(&first, "incident-row"),
        25,
        "one page, never the whole store"
    );
    assert!(first.contains("1–25 of 10000"));
    assert!(!first.contains(r#"id="queue-prev""#));

    let mut seen: HashSet<String> = row_ids(&first).into_iter().collect();
    let mut html = first;
    for _ in 0..3 {
        html = served.page(&cookie, &next_link(&html)).await;
        let ids = row_ids(&html);
        assert_eq!(ids.len(), 25);
        assert!(
            ids.iter().all(|id| seen.insert(id.clone())),
            "pages overlap"
        );
    }

    let last = served
        .page(&cookie, "/?q=host&sort=oldest&offset=9990")
        .await;
    assert_eq!(count_testid(&last, "incident-row"), 10);
    assert!(last.contains("9991–10000 of 10000"));
    assert!(!last.contains(r#"id="queue-next""#));
    assert!(last.contains(r#"id="queue-prev""#));
}

#[tokio::test]
async fn the_results_fragment_comes_alone_when_asked_for() {
    let (served, cookie) = served(30).await;
    let response = reqwest::Client::new()
        .get(format!("{}/?size=25", served.base))
        .header("cookie", &cookie)
        .header("x-console-target", "queue-results")
        .send()
        .await
        .unwrap();
    let html = response.text().await.unwrap();
    assert!(
        html.trim_start()
            .starts_with("<section id=\"queue-results\""),
        "{}",
        &html[..80]
    );
    assert!(!html.contains("<html"));
    assert_eq!(count_testid(&html, "incident-row"), 25);
}

#[tokio::test]
async fn bad_filter_values_are_named_in_a_400_page() {
    let (served, cookie) = served(5).await;
    for (query, field, value) in [
        ("severity=extreme", "severity", "extreme"),
        ("size=5000", "size", "5000"),
    ] {
        let response = served.get(Some(&cookie), &format!("/?{query}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let html = response.text().await.unwrap();
        assert!(html.contains(field) && html.contains(value), "{html}");
    }
}
