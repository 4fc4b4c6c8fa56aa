//! The Sentinel incidents API against a real server: history rows, etags, api-versions, roles, paging
//! and alerts attached through relations.

use crate::common::{ARM_SCOPE, MONITOR_SCOPE, QUERY_SCOPE, Siem, assert_statuses, incident_body};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn history(siem: &Siem, name: &str) -> Vec<serde_json::Map<String, Value>> {
    siem.records(&format!(
        "SecurityIncident | where IncidentName == '{name}' | sort by LastModifiedTime asc"
    ))
    .await
}

#[tokio::test]
async fn every_change_appends_exactly_one_history_row() {
    let siem = Siem::start().await;
    let created = siem.put_incident("inc-1", &incident_body("First")).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.unwrap();
    assert_eq!(history(&siem, "inc-1").await.len(), 1);
    assert_eq!(created["properties"]["incidentNumber"], json!(1));
    assert!(
        created["properties"]["incidentUrl"]
            .as_str()
            .unwrap()
            .ends_with("/incidents/inc-1")
    );

    let mut update = incident_body("First, renamed");
    update["etag"] = created["etag"].clone();
    assert_eq!(
        siem.put_incident("inc-1", &update).await.status(),
        StatusCode::OK
    );
    assert_eq!(history(&siem, "inc-1").await.len(), 2);

    let comment = siem
        .put_child(
            "inc-1",
            "comments/c1",
            &json!({"properties": {"message": "looking"}}),
        )
        .await;
    assert_eq!(comment.status(), StatusCode::CREATED);
    let comment: Value = comment.json().await.unwrap();
    assert_eq!(
        comment["properties"]["author"]["name"],
        json!("SOC automation")
    );
    let rows = history(&siem, "inc-1").await;
    assert_eq!(rows[2]["ModifiedBy"], json!("SOC automation"));
    assert_eq!(rows.len(), 3);
    let data: Value = serde_json::from_str(rows[2]["AdditionalData"].as_str().unwrap()).unwrap();
    assert_eq!(data["commentsCount"], json!(1));
    assert_eq!(rows[2]["Title"], json!("First, renamed"));

    let deleted = siem
        .writer(
            siem.http
                .delete(siem.arm("incidents/inc-1/comments/c1?api-version=2024-09-01")),
        )
        .await;
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(history(&siem, "inc-1").await.len(), 4);

    assert_eq!(
        siem.put_incident("inc-2", &incident_body("Second"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        siem.get_incident("inc-2").await["properties"]["incidentNumber"],
        json!(2)
    );
    assert_eq!(history(&siem, "inc-1").await.len(), 4);
}

#[tokio::test]
async fn stale_etags_conflict_and_if_match_must_match() {
    let siem = Siem::start().await;
    let first: Value = siem
        .put_incident("inc", &incident_body("v1"))
        .await
        .json()
        .await
        .unwrap();
    let old_etag = first["etag"].clone();
    let mut update = incident_body("v2");
    update["etag"] = old_etag.clone();
    let second: Value = siem
        .put_incident("inc", &update)
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(second["etag"], old_etag);

    let mut stale = incident_body("v3");
    stale["etag"] = old_etag.clone();
    let response = siem.put_incident("inc", &stale).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("Conflict"));

    let url = siem.arm("incidents/inc?api-version=2024-09-01");
    let response = siem
        .writer(
            siem.http
                .put(&url)
                .header("If-Match", old_etag.as_str().unwrap())
                .json(&incident_body("v3")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::PRECONDITION_FAILED);
    let response = siem
        .writer(
            siem.http
                .put(&url)
                .header("If-Match", second["etag"].as_str().unwrap())
                .json(&incident_body("v3")),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        siem.get_incident("inc").await["properties"]["title"],
        json!("v3")
    );

    let comment: Value = siem
        .put_child(
            "inc",
            "comments/c",
            &json!({"properties": {"message": "a"}}),
        )
        .await
        .json()
        .await
        .unwrap();
    let stale_comment = json!({"etag": "not-the-etag", "properties": {"message": "b"}});
    let response = siem.put_child("inc", "comments/c", &stale_comment).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let fresh = json!({"etag": comment["etag"], "properties": {"message": "b"}});
    let response = siem.put_child("inc", "comments/c", &fresh).await;
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_ne!(updated["etag"], comment["etag"]);
}

#[tokio::test]
async fn api_versions_follow_arm() {
    let siem = Siem::start().await;
    for version in [
        "2019-01-01-preview",
        "2020-01-01",
        "2021-10-01",
        "2022-09-01-preview",
        "2022-11-01",
        "2023-02-01",
        "2023-11-01",
        "2024-03-01",
        "2024-09-01",
        "2025-10-01-preview",
    ] {
        let response = siem
            .writer(
                siem.http
                    .get(siem.arm(&format!("incidents?api-version={version}"))),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{version}");
    }
    let response = siem.writer(siem.http.get(siem.arm("incidents"))).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("MissingApiVersionParameter"));
    let response = siem
        .writer(siem.http.get(siem.arm("incidents?api-version=2020-02-02")))
        .await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], json!("InvalidApiVersionParameter"));
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2024-09-01")
    );
    // ARM matches fixed segments ignoring case.
    let lower = siem
        .arm("incidents?api-version=2024-09-01")
        .replace("resourceGroups", "resourcegroups")
        .replace(
            "Microsoft.OperationalInsights",
            "microsoft.operationalinsights",
        )
        .replace(
            "Microsoft.SecurityInsights/incidents",
            "MICROSOFT.SECURITYINSIGHTS/Incidents",
        );
    let response = siem.writer(siem.http.get(lower)).await;
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn roles_audiences_and_workspace_scope_are_enforced() {
    let siem = Siem::start().await;
    let url = siem.arm("incidents/x?api-version=2024-09-01");
    let list = siem.arm("incidents?api-version=2024-09-01");
    let other = url.replace(&siem.credential("TANDEM_WORKSPACE_NAME"), "someone-else");
    let reader = siem.token("reader-app", ARM_SCOPE).await;
    let ingestor = siem.token("ingest-app", ARM_SCOPE).await;
    let monitor = siem.token("writer-app", MONITOR_SCOPE).await;
    let writer = siem.token("writer-app", ARM_SCOPE).await;
    let ingest_query = siem.token("ingest-app", QUERY_SCOPE).await;
    assert_statuses(vec![
        (
            "a reader writes",
            siem.http.put(&url).json(&incident_body("t")),
            Some(&reader),
            StatusCode::FORBIDDEN,
        ),
        (
            "a reader lists",
            siem.http.get(&list),
            Some(&reader),
            StatusCode::OK,
        ),
        (
            "an ingestion-only app lists",
            siem.http.get(&list),
            Some(&ingestor),
            StatusCode::FORBIDDEN,
        ),
        (
            "no token",
            siem.http.get(&list),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "an Azure Monitor token",
            siem.http.get(&list),
            Some(&monitor),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "another workspace",
            siem.http.get(other),
            Some(&writer),
            StatusCode::NOT_FOUND,
        ),
        (
            "an incident that is not there",
            siem.http.get(&url),
            Some(&writer),
            StatusCode::NOT_FOUND,
        ),
        (
            "an ingestion-only app queries",
            siem.http
                .post(siem.query_url())
                .json(&json!({"query": "SecurityIncident"})),
            Some(&ingest_query),
            StatusCode::FORBIDDEN,
        ),
    ])
    .await;
}

#[tokio::test]
async fn listing_filters_orders_and_pages_by_next_link() {
    let siem = Siem::start().await;
    for i in 0..5 {
        let mut body = incident_body(&format!("t{i}"));
        body["properties"]["severity"] = json!(if i % 2 == 0 { "High" } else { "Low" });
        assert_eq!(
            siem.put_incident(&format!("i{i}"), &body).await.status(),
            StatusCode::CREATED
        );
    }
    let mut url =
        siem.arm("incidents?api-version=2024-09-01&$orderby=properties/createdTimeUtc asc&$top=2");
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let page: Value = siem.writer(siem.http.get(&url)).await.json().await.unwrap();
        pages += 1;
        seen.extend(
            page["value"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["name"].as_str().unwrap().to_owned()),
        );
        if pages == 1 {
            assert_eq!(
                siem.put_incident("late", &incident_body("late"))
                    .await
                    .status(),
                StatusCode::CREATED
            );
        }
        match page["nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(seen, ["i0", "i1", "i2", "i3", "i4", "late"]);
    let filtered: Value = siem.writer(siem.http.get(siem.arm("incidents?api-version=2024-09-01&$filter=properties/severity eq 'High' and properties/createdTimeUtc gt 2020-01-01T00:00:00Z"))).await.json().await.unwrap();
    assert_eq!(
        filtered["value"].as_array().unwrap().len(),
        4,
        "i0, i2, i4 and late are High"
    );
    let bad = siem
        .writer(
            siem.http
                .get(siem.arm("incidents?api-version=2024-09-01&$filter=properties/owner eq 'x'")),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn alerts_attach_through_relations() {
    let siem = Siem::start().await;
    let alert = json!([{
        "SystemAlertId": "alert-1", "DisplayName": "Suspicious logon", "AlertSeverity": "High", "ProductName": "Tandem XDR",
        "Tactics": "InitialAccess, Execution",
        "Entities": "[{\"$id\":\"2\",\"Type\":\"account\",\"Name\":\"alice\"},{\"$id\":\"3\",\"Type\":\"ip\",\"Address\":\"10.0.0.1\"}]"
    }]);
    assert_eq!(
        siem.ingest("Custom-SecurityAlert", &alert).await.status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        siem.put_incident("inc", &incident_body("with alert"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let related = format!(
        "{}/entities/alert-1",
        siem.arm("")
            .trim_end_matches('/')
            .split(siem.server.url())
            .nth(1)
            .unwrap()
    );
    let relation = siem
        .put_child(
            "inc",
            "relations/r1",
            &json!({"properties": {"relatedResourceId": related}}),
        )
        .await;
    assert_eq!(relation.status(), StatusCode::CREATED);
    let relation: Value = relation.json().await.unwrap();
    assert_eq!(
        relation["properties"]["relatedResourceKind"],
        json!("SecurityAlert")
    );

    let alerts: Value = siem.incident_list("inc", "alerts").await;
    assert_eq!(
        alerts["value"][0]["properties"]["systemAlertId"],
        json!("alert-1")
    );
    assert_eq!(alerts["value"][0]["kind"], json!("SecurityAlert"));
    let entities: Value = siem.incident_list("inc", "entities").await;
    let kinds: Vec<&str> = entities["entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["Account", "Ip"]);
    let incident = siem.get_incident("inc").await;
    assert_eq!(
        incident["properties"]["additionalData"]["alertsCount"],
        json!(1)
    );
    assert_eq!(
        incident["properties"]["additionalData"]["tactics"],
        json!(["InitialAccess", "Execution"])
    );
    let rows = siem.records("SecurityIncident | where IncidentName == 'inc' | sort by LastModifiedTime desc | take 1").await;
    assert_eq!(rows[0]["AlertIds"], json!("[\"alert-1\"]"));
}

#[tokio::test]
async fn incidents_and_comments_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let siem = Siem::start_in(dir.path()).await;
    assert_eq!(
        siem.put_incident("kept", &incident_body("kept"))
            .await
            .status(),
        StatusCode::CREATED
    );
    siem.server.stop().await.unwrap();
    let siem = Siem::start_in(dir.path()).await;
    assert_eq!(
        siem.get_incident("kept").await["properties"]["title"],
        json!("kept")
    );
    assert_eq!(
        siem.put_incident("next", &incident_body("next"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        siem.get_incident("next").await["properties"]["incidentNumber"],
        json!(2)
    );
}

#[tokio::test]
async fn comments_and_relations_are_read_back_and_missing_ones_are_404() {
    let siem = Siem::start().await;
    assert_eq!(
        siem.put_incident("inc", &incident_body("t")).await.status(),
        StatusCode::CREATED
    );
    let url = |rest: &str| siem.arm(&format!("incidents/{rest}?api-version=2024-09-01"));
    let put = siem
        .writer(
            siem.http
                .put(url("inc/comments/c1"))
                .json(&json!({"properties": {"message": "hello"}})),
        )
        .await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let got: Value = siem
        .writer(siem.http.get(url("inc/comments/c1")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["properties"]["message"], json!("hello"));
    let listed: Value = siem
        .writer(siem.http.get(url("inc/comments")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["value"].as_array().unwrap().len(), 1);
    let empty = siem
        .writer(
            siem.http
                .put(url("inc/comments/c2"))
                .json(&json!({"properties": {"message": ""}})),
        )
        .await;
    assert_eq!(empty.status(), StatusCode::BAD_REQUEST);

    let bookmark = siem
        .arm("bookmarks/b1")
        .split(siem.server.url())
        .nth(1)
        .unwrap()
        .to_owned();
    let put = siem
        .writer(
            siem.http
                .put(url("inc/relations/r1"))
                .json(&json!({"properties": {"relatedResourceId": bookmark}})),
        )
        .await;
    assert_eq!(put.status(), StatusCode::CREATED);
    let got: Value = siem
        .writer(siem.http.get(url("inc/relations/r1")))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        got["properties"]["relatedResourceType"],
        json!("Microsoft.SecurityInsights/bookmarks")
    );
    assert_eq!(
        siem.get_incident("inc").await["properties"]["additionalData"]["bookmarksCount"],
        json!(1)
    );

    for missing in [
        "inc/comments/nope",
        "inc/relations/nope",
        "nope/comments",
        "nope",
    ] {
        let response = siem.writer(siem.http.get(url(missing))).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{missing}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], json!("NotFound"), "{missing}");
    }
    let gone = siem.writer(siem.http.delete(url("inc"))).await;
    assert_eq!(gone.status(), StatusCode::OK);
    let again = siem.writer(siem.http.delete(url("inc"))).await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
    let response = siem.writer(siem.http.get(url("inc/comments/c1"))).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
