//! The Sentinel lists over HTTP: incidents filtered with `or`, `not` and `in`, keyset pages that
//! neither repeat nor skip an incident while others change, comments and relations paged by
//! `nextLink`, and the 400 a bad option gets.

use std::collections::BTreeSet;

use crate::common::{Siem, incident_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One generated incident: its name and the members the filters look at.
struct Fixture {
    name: String,
    severity: &'static str,
    status: &'static str,
    owner_email: Option<&'static str>,
}

fn fixtures() -> Vec<Fixture> {
    let severities = ["High", "Medium", "Low", "Informational"];
    let statuses = ["New", "Active", "Closed"];
    let owners = [Some("ana@contoso.com"), None, Some("bob@contoso.com")];
    (0..9)
        .map(|i| Fixture {
            name: format!("f{i}"),
            severity: severities[i % 4],
            status: statuses[i % 3],
            owner_email: owners[i % 3],
        })
        .collect()
}

async fn store(siem: &Siem, fixture: &Fixture) -> Value {
    let mut body = incident_body(&fixture.name);
    body["properties"]["severity"] = json!(fixture.severity);
    body["properties"]["status"] = json!(fixture.status);
    if fixture.status == "Closed" {
        body["properties"]["classification"] = json!("Undetermined");
    }
    if let Some(email) = fixture.owner_email {
        body["properties"]["owner"] = json!({ "email": email });
    }
    let response = siem.put_incident(&fixture.name, &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    response.json().await.unwrap()
}

/// GETs a list URL as the writer; returns the status and body.
async fn get(siem: &Siem, url: &str) -> (StatusCode, Value) {
    let response = siem.writer(siem.http.get(url)).await;
    (response.status(), response.json().await.unwrap())
}

fn incidents_url(siem: &Siem, options: &str) -> String {
    siem.arm(&format!("incidents?api-version=2024-09-01&{options}"))
}

fn names_of(page: &Value) -> Vec<String> {
    page["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["name"].as_str().unwrap().to_owned())
        .collect()
}

/// Every name the list at `url` serves, following `nextLink`; `between` runs after each page.
async fn walk(siem: &Siem, url: String, mut between: impl AsyncFnMut(usize)) -> Vec<String> {
    let mut url = url;
    let mut seen = Vec::new();
    for page_number in 1.. {
        let (status, page) = get(siem, &url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(names_of(&page));
        between(page_number).await;
        match page["nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    seen
}

#[tokio::test]
async fn filters_combine_or_not_and_in() {
    let siem = Siem::start().await;
    let fixtures = fixtures();
    for fixture in &fixtures {
        store(&siem, fixture).await;
    }
    type Keep = fn(&Fixture) -> bool;
    let cases: [(&str, Keep); 5] = [
        (
            "properties/severity eq 'High' or properties/status eq 'closed'",
            |f| f.severity == "High" || f.status == "Closed",
        ),
        ("not (properties/severity in ('High', 'low'))", |f| {
            !["High", "Low"].contains(&f.severity)
        }),
        (
            "properties/owner/email in ('BOB@contoso.com') and not (properties/status eq 'New')",
            |f| f.owner_email == Some("bob@contoso.com") && f.status != "New",
        ),
        (
            "(name eq 'f1' or name eq 'f2') or properties/owner/email eq null",
            |f| f.name == "f1" || f.name == "f2" || f.owner_email.is_none(),
        ),
        (
            "properties/incidentNumber in (1, 4) or properties/incidentNumber gt 8",
            |f| ["f0", "f3", "f8"].contains(&f.name.as_str()),
        ),
    ];
    for (filter, keep) in cases {
        let url = incidents_url(&siem, &format!("$filter={filter}"));
        let (status, page) = get(&siem, &url).await;
        assert_eq!(status, StatusCode::OK, "{filter}: {page}");
        let served: BTreeSet<String> = names_of(&page).into_iter().collect();
        let wanted: BTreeSet<String> = fixtures
            .iter()
            .filter(|f| keep(f))
            .map(|f| f.name.clone())
            .collect();
        assert!(!wanted.is_empty(), "{filter} keeps something");
        assert_eq!(served, wanted, "{filter}");
    }
}

#[tokio::test]
async fn pages_in_creation_order_neither_repeat_nor_skip_while_incidents_change() {
    let siem = Siem::start().await;
    let fixtures = fixtures();
    for fixture in &fixtures {
        store(&siem, fixture).await;
    }
    let url = incidents_url(&siem, "$orderby=properties/createdTimeUtc asc&$top=2");
    let seen = walk(&siem, url, async |page| {
        // An incident already served and one still ahead change; a new one arrives at the end.
        let changed = [format!("f{}", page - 1), format!("f{}", page + 3)];
        for name in changed {
            let response = siem.put_incident(&name, &incident_body("changed")).await;
            assert_eq!(response.status(), StatusCode::OK);
        }
        if page == 1 {
            let response = siem.put_incident("late", &incident_body("late")).await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    })
    .await;
    let mut wanted: Vec<String> = fixtures.iter().map(|f| f.name.clone()).collect();
    wanted.push("late".to_owned());
    assert_eq!(seen, wanted);
}

#[tokio::test]
async fn a_watermark_walk_serves_each_change_once_in_the_order_made() {
    let siem = Siem::start().await;
    let fixtures = fixtures();
    let mut watermark = String::new();
    for (i, fixture) in fixtures.iter().enumerate() {
        let stored = store(&siem, fixture).await;
        if i == 2 {
            watermark = stored["properties"]["lastModifiedTimeUtc"]
                .as_str()
                .unwrap()
                .to_owned();
        }
    }
    let options = format!(
        "$filter=properties/lastModifiedTimeUtc gt {watermark}&$orderby=properties/lastModifiedTimeUtc&$top=2"
    );
    let mut changes = Vec::new();
    let seen = walk(&siem, incidents_url(&siem, &options), async |page| {
        if page == 1 {
            // f3 was served, f6 is ahead: both change, so both come again after the rest.
            for name in ["f3", "f6"] {
                let response = siem.put_incident(name, &incident_body("changed")).await;
                assert_eq!(response.status(), StatusCode::OK);
                changes.push(name.to_owned());
            }
        }
    })
    .await;
    let unchanged_after_watermark: Vec<String> = fixtures[3..]
        .iter()
        .map(|f| f.name.clone())
        .filter(|name| name != "f6")
        .collect();
    let mut wanted = unchanged_after_watermark;
    wanted.extend(changes);
    assert_eq!(seen, wanted);
}

#[tokio::test]
async fn comments_and_relations_page_by_next_link() {
    let siem = Siem::start().await;
    assert_eq!(
        siem.put_incident("inc", &incident_body("t")).await.status(),
        StatusCode::CREATED
    );
    let written: Vec<String> = (0..5).map(|i| format!("c{}", 5 - i)).collect();
    for name in &written {
        let body = json!({"properties": {"message": format!("note {name}")}});
        let response = siem
            .put_child("inc", &format!("comments/{name}"), &body)
            .await;
        assert_eq!(response.status(), StatusCode::CREATED);
    }
    let comments = |options: &str| {
        siem.arm(&format!(
            "incidents/inc/comments?api-version=2024-09-01&{options}"
        ))
    };
    let seen = walk(&siem, comments("$top=2"), async |page| {
        if page == 1 {
            let body = json!({"properties": {"message": "late"}});
            let response = siem.put_child("inc", "comments/late", &body).await;
            assert_eq!(response.status(), StatusCode::CREATED);
        }
    })
    .await;
    let mut wanted = written.clone();
    wanted.push("late".to_owned());
    assert_eq!(seen, wanted, "oldest first, each once");
    let (_, newest) = get(
        &siem,
        &comments("$orderby=properties/createdTimeUtc desc&$top=1"),
    )
    .await;
    assert_eq!(names_of(&newest), ["late"]);
    assert!(newest["nextLink"].as_str().unwrap().contains("api-version"));
    let (_, one) = get(
        &siem,
        &comments(&format!("$filter=name eq '{}'", written[2])),
    )
    .await;
    assert_eq!(names_of(&one), [written[2].clone()]);

    let bookmark = siem
        .arm("bookmarks/b1")
        .split(siem.server.url())
        .nth(1)
        .unwrap()
        .to_owned();
    let body = json!({"properties": {"relatedResourceId": bookmark}});
    let response = siem.put_child("inc", "relations/r1", &body).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let relations = |filter: &str| {
        siem.arm(&format!(
            "incidents/inc/relations?api-version=2024-09-01&$filter={filter}"
        ))
    };
    let (_, bookmarks) = get(
        &siem,
        &relations("properties/relatedResourceType eq 'Microsoft.SecurityInsights/bookmarks'"),
    )
    .await;
    assert_eq!(names_of(&bookmarks), ["r1"]);
    let (_, none) = get(&siem, &relations("properties/relatedResourceName eq 'b2'")).await;
    assert_eq!(names_of(&none), Vec::<String>::new());
    let (status, _) = get(
        &siem,
        &siem.arm("incidents/nope/comments?api-version=2024-09-01&$top=1"),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_bad_option_is_a_400_in_arm_shape_naming_it() {
    let siem = Siem::start().await;
    store(&siem, &fixtures()[0]).await;
    let cases = [
        (
            "$filter=properties/owner eq 'x'",
            "$filter",
            "properties/owner",
        ),
        (
            "$filter=properties/severity eq",
            "$filter",
            "properties/severity",
        ),
        (
            "$filter=properties/title gt 'x'",
            "$filter",
            "only eq and ne",
        ),
        (
            "$filter=properties/incidentNumber eq 'one'",
            "$filter",
            "'one'",
        ),
        (
            "$filter=properties/createdTimeUtc gt yesterday",
            "$filter",
            "yesterday",
        ),
        (
            "$orderby=properties/description",
            "$orderby",
            "properties/description",
        ),
        (
            "$orderby=properties/createdTimeUtc sideways",
            "$orderby",
            "sideways",
        ),
        ("$top=ten", "$top", "ten"),
        ("$skipToken=garbage", "$skiptoken", "garbage"),
        ("$count=true", "$count", "$count"),
    ];
    for (options, option, offending) in cases {
        let (status, body) = get(&siem, &incidents_url(&siem, options)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{options}: {body}");
        assert_eq!(body["error"]["code"], json!("BadRequest"), "{options}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(option), "{options}: {message}");
        assert!(message.contains(offending), "{options}: {message}");
    }
    let comments =
        siem.arm("incidents/f0/comments?api-version=2024-09-01&$filter=properties/message eq 'x'");
    let (status, body) = get(&siem, &comments).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("properties/message")
    );
}
