//! Graph query behaviours beyond the basics, against the real server: `$select` (also nested in
//! `$expand`), the `/incidents/{id}/alerts` navigation, JSON batching, evolvable enumerations under
//! `Prefer: include-unknown-enum-members`, `$count` (and `/$count`) with `ConsistencyLevel`, and
//! `$filter`'s `in`.

mod common;

use std::collections::BTreeSet;

use common::{Xdr, alert, ids};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The member names of a JSON object.
fn names(item: &Value) -> BTreeSet<&str> {
    item.as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect()
}

fn set<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    names.iter().copied().collect()
}

/// What `$select` of `names` leaves in an item: those, its `id` and its `@odata.type`.
fn selected<'a>(names: &[&'a str]) -> BTreeSet<&'a str> {
    let mut kept = set(names);
    kept.extend(["id", "@odata.type"]);
    kept
}

/// One incident holding three alerts (one from Defender for Cloud), and a second with one alert.
async fn seeded() -> (Xdr, String, String) {
    let xdr = Xdr::start("").await;
    let mut cloud = alert("Cloud", Some("shared"), None);
    cloud["serviceSource"] = json!("microsoftDefenderForCloud");
    cloud["detectionSource"] = json!("microsoftDefenderForServers");
    let mut high = alert("High", Some("shared"), None);
    high["severity"] = json!("high");
    let first = xdr
        .ingest_ok(vec![alert("First", Some("shared"), None), cloud, high])
        .await;
    assert_eq!(first.iter().collect::<BTreeSet<_>>().len(), 1, "{first:?}");
    let second = xdr
        .ingest_ok(vec![alert("Alone", Some("elsewhere"), None)])
        .await;
    (xdr, first[0].clone(), second[0].clone())
}

#[tokio::test]
async fn select_keeps_only_the_named_properties() {
    let (xdr, incident, _) = seeded().await;
    let list = xdr
        .get("/v1.0/security/incidents?$select=displayName,status")
        .await;
    for item in list["value"].as_array().unwrap() {
        assert_eq!(names(item), selected(&["displayName", "status"]), "{item}");
    }
    let one = xdr
        .get(&format!(
            "/v1.0/security/incidents/{incident}?$select=severity"
        ))
        .await;
    assert_eq!(
        names(&one),
        selected(&["@odata.context", "severity"]),
        "{one}"
    );
    let alerts = xdr
        .get("/v1.0/security/alerts_v2?$select=title,incidentId")
        .await;
    let alerts = alerts["value"].as_array().unwrap();
    assert_eq!(alerts.len(), 4);
    for item in alerts {
        assert_eq!(names(item), selected(&["title", "incidentId"]), "{item}");
    }
    let alert_id = alerts[0]["id"].as_str().unwrap();
    let alert = xdr
        .get(&format!(
            "/v1.0/security/alerts_v2/{alert_id}?$select=status"
        ))
        .await;
    assert_eq!(names(&alert), selected(&["@odata.context", "status"]));
    let all = xdr.get("/v1.0/security/alerts_v2?$select=*").await;
    assert!(all["value"][0].get("evidence").is_some());
}

#[tokio::test]
async fn select_of_an_unknown_property_is_refused_by_name() {
    let (xdr, incident, _) = seeded().await;
    for path in [
        "/v1.0/security/incidents?$select=id,flavour".to_owned(),
        format!("/v1.0/security/incidents/{incident}?$select=flavour"),
        "/v1.0/security/alerts_v2?$select=flavour".to_owned(),
        format!("/v1.0/security/incidents/{incident}/alerts?$select=flavour"),
        "/v1.0/security/incidents?$expand=alerts($select=flavour)".to_owned(),
    ] {
        let (status, body) = xdr
            .call_as(Some(&xdr.token), Method::GET, &path, None)
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("'flavour'"), "{path}: {message}");
    }
}

#[tokio::test]
async fn expand_takes_nested_select_and_filter() {
    let (xdr, incident, other) = seeded().await;
    let path = format!(
        "/v1.0/security/incidents/{incident}?$select=displayName&$expand=alerts($select=id,title;$filter=severity in ('high','low'))"
    );
    let one = xdr.get(&path).await;
    assert_eq!(
        names(&one),
        selected(&["@odata.context", "displayName", "alerts"])
    );
    let alerts = one["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 1, "{one}");
    assert_eq!(alerts[0]["title"], "High");
    assert_eq!(names(&alerts[0]), selected(&["title"]));

    let list = xdr
        .get("/v1.0/security/incidents?$expand=alerts($select=title,severity)")
        .await;
    let by_id = |id: &str| {
        list["value"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .cloned()
            .unwrap()
    };
    let shared = by_id(&incident);
    assert_eq!(shared["alerts"].as_array().unwrap().len(), 3);
    assert!(
        shared.get("status").is_some(),
        "no $select keeps every property"
    );
    for alert in shared["alerts"].as_array().unwrap() {
        assert_eq!(names(alert), selected(&["title", "severity"]));
    }
    assert_eq!(by_id(&other)["alerts"].as_array().unwrap().len(), 1);

    let (status, body) = xdr
        .call_as(
            Some(&xdr.token),
            Method::GET,
            "/v1.0/security/incidents?$expand=alerts($filter=title eq 'x')",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(tandem_testkit::error_message(&body).contains("'title'"));
}

#[tokio::test]
async fn an_incidents_alerts_are_a_paged_navigation() {
    let (xdr, incident, other) = seeded().await;
    let path = format!("/v1.0/security/incidents/{incident}/alerts?$top=2&$select=title");
    let first = xdr.get(&path).await;
    assert_eq!(first["value"].as_array().unwrap().len(), 2);
    let context = first["@odata.context"].as_str().unwrap();
    assert!(
        context.ends_with(&format!("security/incidents('{incident}')/alerts")),
        "{context}"
    );
    let next = first["@odata.nextLink"].as_str().expect("a next page");
    assert!(
        next.contains(&format!("/incidents/{incident}/alerts?")),
        "{next}"
    );
    let all = xdr.all(&path).await;
    let titles: BTreeSet<&str> = all.iter().map(|a| a["title"].as_str().unwrap()).collect();
    assert_eq!(titles, set(&["First", "Cloud", "High"]));
    for item in &all {
        assert_eq!(names(item), selected(&["title"]));
    }
    let alone = xdr
        .get(&format!("/v1.0/security/incidents/{other}/alerts"))
        .await;
    assert_eq!(alone["value"].as_array().unwrap().len(), 1);
    assert!(alone.get("@odata.nextLink").is_none());
    let (status, _) = xdr
        .call_as(
            Some(&xdr.token),
            Method::GET,
            "/v1.0/security/incidents/999999/alerts",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn future_enum_members_need_the_prefer_header() {
    let (xdr, incident, _) = seeded().await;
    let cloud = |alerts: &Value| {
        alerts
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["title"] == "Cloud")
            .cloned()
            .unwrap()
    };
    let plain = xdr.get("/v1.0/security/alerts_v2").await;
    let hidden = cloud(&plain["value"]);
    assert_eq!(hidden["serviceSource"], "unknownFutureValue");
    assert_eq!(hidden["detectionSource"], "unknownFutureValue");
    let path = format!("/v1.0/security/incidents/{incident}?$expand=alerts");
    let expanded = xdr.get(&path).await;
    assert_eq!(
        cloud(&expanded["alerts"])["serviceSource"],
        "unknownFutureValue"
    );
    // Members listed before the sentinel are served as stored.
    let first = expanded["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["title"] == "First")
        .cloned()
        .unwrap();
    assert_eq!(first["serviceSource"], "microsoftDefenderForEndpoint");

    let prefer = ("Prefer", "include-unknown-enum-members");
    let (status, asked) = xdr
        .call_with_header("/v1.0/security/alerts_v2", prefer)
        .await;
    assert_eq!(status, StatusCode::OK);
    let shown = cloud(&asked["value"]);
    assert_eq!(shown["serviceSource"], "microsoftDefenderForCloud");
    assert_eq!(shown["detectionSource"], "microsoftDefenderForServers");
    let (_, nav) = xdr
        .call_with_header(
            &format!("/v1.0/security/incidents/{incident}/alerts"),
            prefer,
        )
        .await;
    assert_eq!(
        cloud(&nav["value"])["serviceSource"],
        "microsoftDefenderForCloud"
    );
}

#[tokio::test]
async fn count_is_served_with_or_without_consistency_level() {
    let (xdr, _, _) = seeded().await;
    let plain = xdr.get("/v1.0/security/incidents?$count=true&$top=1").await;
    assert_eq!(plain["@odata.count"], 2);
    let (status, eventual) = xdr
        .call_with_header(
            "/v1.0/security/alerts_v2?$count=true&$top=1",
            ("ConsistencyLevel", "eventual"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{eventual}");
    assert_eq!(eventual["@odata.count"], 4);
    assert_eq!(eventual["value"].as_array().unwrap().len(), 1);

    // The /$count segment answers the bare number, narrowed by $filter.
    let count = |path: &'static str| {
        let xdr = &xdr;
        async move {
            let (status, body) = xdr.call_as(Some(&xdr.token), Method::GET, path, None).await;
            assert_eq!(status, StatusCode::OK, "{path}: {body}");
            body
        }
    };
    assert_eq!(count("/v1.0/security/incidents/$count").await, json!(2));
    assert_eq!(count("/v1.0/security/alerts_v2/$count").await, json!(4));
    let high = count("/v1.0/security/alerts_v2/$count?$filter=severity eq 'high'").await;
    assert_eq!(high, json!(1));
    let (status, _) = xdr
        .call_with_header(
            "/v1.0/security/incidents/$count",
            ("ConsistencyLevel", "eventual"),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn filter_in_matches_any_listed_value_case_insensitively() {
    let (xdr, incident, other) = seeded().await;
    xdr.ok(
        Method::PATCH,
        &format!("/v1.0/security/incidents/{incident}"),
        Some(&json!({"status": "inProgress"})),
    )
    .await;
    let listed = |path: &str| {
        let path = path.to_owned();
        let xdr = &xdr;
        async move { ids(&xdr.all(&path).await) }
    };
    let working =
        listed("/v1.0/security/incidents?$filter=status in ('active','INPROGRESS')").await;
    assert_eq!(working.len(), 2, "{working:?}");
    let in_progress = listed("/v1.0/security/incidents?$filter=status in ('inProgress')").await;
    assert_eq!(in_progress, vec![incident.clone()]);
    let high = listed("/v1.0/security/incidents?$filter=severity in ('high', 'low')").await;
    assert_eq!(high, vec![incident.clone()]);
    let medium = listed("/v1.0/security/alerts_v2?$filter=severity in ('Medium')").await;
    assert_eq!(medium.len(), 3);
    let neither = listed("/v1.0/security/incidents?$filter=not (status in ('inProgress'))").await;
    assert_eq!(neither, vec![other]);
}

/// Posts a batch with the read-write token.
async fn batch(xdr: &Xdr, token: &str, requests: Value) -> (StatusCode, Value) {
    xdr.call_as(
        Some(token),
        Method::POST,
        "/v1.0/$batch",
        Some(&json!({ "requests": requests })),
    )
    .await
}

/// The response of request `id` in a batch answer.
fn response<'a>(answer: &'a Value, id: &str) -> &'a Value {
    answer["responses"]
        .as_array()
        .expect("responses")
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no response {id} in {answer}"))
}

#[tokio::test]
async fn batch_runs_requests_through_the_same_routes() {
    let (xdr, incident, _) = seeded().await;
    let (status, answer) = batch(
        &xdr,
        &xdr.token,
        json!([
            {"id": "list", "method": "GET", "url": "/security/incidents?$top=1&$select=status"},
            {"id": "patch", "method": "PATCH", "url": format!("/security/incidents/{incident}"),
             "headers": {"Content-Type": "application/json"}, "body": {"assignedTo": "batch@contoso.com"}},
            {"id": "read", "method": "GET", "url": format!("security/incidents/{incident}"),
             "depends_on": ["patch"]},
            {"id": "nav", "method": "GET", "url": format!("/security/incidents/{incident}/alerts"),
             "headers": {"Prefer": "include-unknown-enum-members"}},
            {"id": "missing", "method": "GET", "url": "/security/incidents/424242"},
            {"id": "after-missing", "method": "GET", "url": "/security/alerts_v2", "dependsOn": ["missing"]},
            {"id": "nowhere", "method": "GET", "url": "/security/nothing-here"},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["responses"].as_array().unwrap().len(), 7);
    let list = response(&answer, "list");
    assert_eq!(list["status"], 200);
    assert_eq!(names(&list["body"]["value"][0]), selected(&["status"]));
    assert!(
        list["headers"]["content-type"]
            .as_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(response(&answer, "patch")["status"], 200);
    let read = response(&answer, "read");
    assert_eq!(read["body"]["assignedTo"], "batch@contoso.com", "{read}");
    let nav = &response(&answer, "nav")["body"]["value"];
    let sources: BTreeSet<&str> = nav
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["serviceSource"].as_str().unwrap())
        .collect();
    assert!(sources.contains("microsoftDefenderForCloud"), "{sources:?}");
    assert_eq!(response(&answer, "missing")["status"], 404);
    let skipped = response(&answer, "after-missing");
    assert_eq!(skipped["status"], 424, "{skipped}");
    assert_eq!(skipped["body"]["error"]["code"], "FailedDependency");
    assert_eq!(response(&answer, "nowhere")["status"], 404);
    let stored = xdr
        .get(&format!("/v1.0/security/incidents/{incident}"))
        .await;
    assert_eq!(stored["assignedTo"], "batch@contoso.com");
}

#[tokio::test]
async fn batch_requests_keep_the_callers_roles() {
    let (xdr, incident, _) = seeded().await;
    let reader = xdr.reader_token().await;
    let (status, answer) = batch(
        &xdr,
        &reader,
        json!([
            {"id": "1", "method": "GET", "url": "/security/incidents"},
            {"id": "2", "method": "PATCH", "url": format!("/security/incidents/{incident}"),
             "body": {"status": "resolved"}},
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(response(&answer, "1")["status"], 200);
    assert_eq!(response(&answer, "2")["status"], 403);
    let (status, _) = xdr
        .call_as(
            None,
            Method::POST,
            "/v1.0/$batch",
            Some(
                &json!({"requests": [{"id": "1", "method": "GET", "url": "/security/incidents"}]}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn malformed_batches_are_refused_whole() {
    let xdr = Xdr::start("").await;
    let get =
        |id: usize| json!({"id": id.to_string(), "method": "GET", "url": "/security/incidents"});
    let twenty: Vec<Value> = (0..20).map(get).collect();
    let (status, answer) = batch(&xdr, &xdr.token, json!(twenty)).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["responses"].as_array().unwrap().len(), 20);
    let cases = [
        (json!((0..21).map(get).collect::<Vec<_>>()), "from 1 to 20"),
        (json!([]), "from 1 to 20"),
        (json!([get(1), get(1)]), "more than once"),
        (
            json!([{"id": "a", "method": "GET", "url": "/security/incidents", "dependsOn": ["b"]}]),
            "not in the batch",
        ),
        (
            json!([
                {"id": "a", "method": "GET", "url": "/security/incidents", "dependsOn": ["b"]},
                {"id": "b", "method": "GET", "url": "/security/incidents", "dependsOn": ["a"]},
            ]),
            "cycle",
        ),
        (json!([{"id": "a", "url": "/security/incidents"}]), "method"),
    ];
    for (requests, expected) in cases {
        let (status, body) = batch(&xdr, &xdr.token, requests).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{message}");
    }
    let (_, foreign) = batch(
        &xdr,
        &xdr.token,
        json!([
            {"id": "beta", "method": "GET", "url": "https://graph.microsoft.com/beta/security/incidents"},
            {"id": "full", "method": "GET", "url": xdr.url("/v1.0/security/incidents?$top=1"),
             "headers": null, "depends_on": null},
            {"id": "after-beta", "method": "GET", "url": "/security/incidents", "depends_on": ["beta"]},
        ]),
    )
    .await;
    assert_eq!(response(&foreign, "beta")["status"], 400, "{foreign}");
    assert_eq!(response(&foreign, "after-beta")["status"], 424, "{foreign}");
    assert_eq!(response(&foreign, "full")["status"], 200, "{foreign}");
    let (_, nested) = batch(
        &xdr,
        &xdr.token,
        json!([{"id": "1", "method": "POST", "url": "/$batch", "body": {"requests": []}}]),
    )
    .await;
    assert_eq!(response(&nested, "1")["status"], 404, "{nested}");
}
