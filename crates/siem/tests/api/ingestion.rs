//! The Logs Ingestion API against a real server: accepted batches come back through queries, and every
//! refused batch leaves nothing behind.

use crate::common::{ARM_SCOPE, MONITOR_SCOPE, Siem, assert_statuses};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn count(siem: &Siem, table: &str) -> usize {
    siem.records(&format!("{table} | summarize count()")).await[0]["count_"]
        .as_u64()
        .unwrap() as usize
}

#[tokio::test]
async fn accepted_rows_are_queryable_with_types_and_time_generated() {
    let siem = Siem::start().await;
    let rows = json!([{"Computer": "web-01", "Level": 3, "Seen": "2024-05-01T10:00:00Z"}, {"Computer": "db-01", "Level": 5}]);
    assert_eq!(
        siem.ingest("Custom-App_CL", &rows).await.status(),
        StatusCode::NO_CONTENT
    );
    let (_, body) = siem.query("App_CL | sort by Level asc").await;
    let columns: Vec<(String, String)> = body["tables"][0]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().into(),
                c["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(columns.contains(&("Level".into(), "long".into())));
    assert!(columns.contains(&("Seen".into(), "datetime".into())));
    let records = siem.records("App_CL | sort by Level asc").await;
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["Computer"], json!("web-01"));
    assert!(
        records[1]["TimeGenerated"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
}

#[tokio::test]
async fn the_config_maps_streams_to_tables() {
    let siem = Siem::start_with(
        "[siem]\n[[siem.streams]]\nstream = \"Custom-Firewall\"\ntable = \"Firewall_CL\"\n",
    )
    .await;
    assert_eq!(
        siem.ingest("Custom-Firewall", &json!([{"Action": "deny"}]))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        siem.records("Firewall_CL").await[0]["Action"],
        json!("deny")
    );
}

#[tokio::test]
async fn the_rule_budget_answers_429_with_retry_after() {
    let siem = Siem::start_with("[siem]\nrule_requests_per_minute = 2\n").await;
    for _ in 0..2 {
        assert_eq!(
            siem.ingest("Custom-App_CL", &json!([{"N": 1}]))
                .await
                .status(),
            StatusCode::NO_CONTENT
        );
    }
    let response = siem.ingest("Custom-App_CL", &json!([{"N": 1}])).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
    assert_eq!(count(&siem, "App_CL").await, 2);
}

#[tokio::test]
async fn gzip_bodies_are_accepted() {
    let siem = Siem::start().await;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, br#"[{"Msg":"zipped"}]"#).unwrap();
    let token = siem.token("writer-app", MONITOR_SCOPE).await;
    let response = siem
        .http
        .post(siem.ingest_url("Custom-Zip_CL"))
        .bearer_auth(token)
        .header("Content-Encoding", "gzip")
        .header("Content-Type", "application/json")
        .body(gz.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(count(&siem, "Zip_CL").await, 1);
}

async fn refused(siem: &Siem, stream: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let token = siem.token("writer-app", MONITOR_SCOPE).await;
    let response = siem
        .http
        .post(siem.ingest_url(stream))
        .bearer_auth(token)
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    assert!(response.headers().contains_key("x-ms-error-code"));
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn every_refused_batch_writes_nothing() {
    let siem = Siem::start().await;
    assert_eq!(
        siem.ingest("Custom-App_CL", &json!([{"Level": 1}]))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    let (status, body) = refused(
        &siem,
        "Custom-App_CL",
        br#"[{"Level": 2}, {"Level": "high"}]"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["target"], json!("body[1].Level"), "{body}");

    let (status, body) = refused(&siem, "Custom-App_CL", br#"[{"Level": 2}, 7]"#.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["target"], json!("body[1]"));

    let (status, _) = refused(&siem, "Custom-App_CL", br#"[{"Level": 2},"#.to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let big = format!(
        "[{{\"Level\": 2, \"Pad\": \"{}\"}}]",
        "x".repeat(1024 * 1024)
    );
    let (status, body) = refused(&siem, "Custom-App_CL", big.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(body["error"]["code"], json!("ContentLengthLimitExceeded"));
    let huge = format!("[{{\"Pad\": \"{}\"}}]", "x".repeat(9 * 1024 * 1024));
    let (status, body) = refused(&siem, "Custom-App_CL", huge.into_bytes()).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    let (status, _) = refused(
        &siem,
        "Custom-SecurityAlert",
        br#"[{"SystemAlertId": "a"}, {"NotAColumn": 1}]"#.to_vec(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    assert_eq!(count(&siem, "App_CL").await, 1);
    assert_eq!(count(&siem, "SecurityAlert").await, 0);
    let records = siem.records("App_CL").await;
    assert!(
        !records[0].contains_key("Pad"),
        "a refused batch must not add columns"
    );
}

#[tokio::test]
async fn unknown_rules_streams_and_bad_tokens_are_refused() {
    let siem = Siem::start().await;
    let token = siem.token("writer-app", MONITOR_SCOPE).await;
    let arm_token = siem.token("writer-app", ARM_SCOPE).await;
    let reader = siem.token("reader-app", MONITOR_SCOPE).await;
    let unknown_rule = format!(
        "{}/dataCollectionRules/dcr-00000000000000000000000000000000/streams/Custom-App_CL?api-version=2023-01-01",
        siem.server.url()
    );
    let stream = siem.ingest_url("Custom-App_CL");
    let old_version = stream.replace("2023-01-01", "1999-01-01");
    let post = |url: &str| siem.http.post(url).json(&json!([]));
    assert_statuses(vec![
        (
            "an unknown rule",
            post(&unknown_rule),
            Some(&token),
            StatusCode::NOT_FOUND,
        ),
        (
            "a stream without the _CL suffix",
            post(&siem.ingest_url("Custom-NoSuffix")),
            Some(&token),
            StatusCode::NOT_FOUND,
        ),
        (
            "not a token",
            post(&stream),
            Some("not-a-token"),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "wrong audience",
            post(&stream),
            Some(&arm_token),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "a reader",
            post(&stream),
            Some(&reader),
            StatusCode::FORBIDDEN,
        ),
        (
            "an unsupported api-version",
            post(&old_version),
            Some(&token),
            StatusCode::BAD_REQUEST,
        ),
    ])
    .await;
}

#[tokio::test]
async fn rows_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let siem = Siem::start_in(dir.path()).await;
    assert_eq!(
        siem.ingest("Custom-App_CL", &json!([{"Msg": "kept"}]))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    siem.server.stop().await.unwrap();
    let siem = Siem::start_in(dir.path()).await;
    assert_eq!(siem.records("App_CL").await[0]["Msg"], json!("kept"));
}
