//! The Log Analytics query API against a real server: the KQL subset's operators over ingested rows,
//! and clear 400s for what the subset does not run.

use crate::common::Siem;
use reqwest::StatusCode;
use serde_json::json;

async fn seeded() -> Siem {
    let siem = Siem::start().await;
    let rows = json!([
        {"Host": "web-01.contoso.com", "Level": 3, "Kind": "logon"},
        {"Host": "db-01", "Level": 5, "Kind": "logon"},
        {"Host": "web-02", "Level": 1, "Kind": "process"},
        {"Host": "old", "Level": 9, "Kind": "process", "TimeGenerated": "2020-01-01T00:00:00Z"},
    ]);
    assert_eq!(
        siem.ingest("Custom-Ev_CL", &rows).await.status(),
        StatusCode::NO_CONTENT
    );
    siem
}

#[tokio::test]
async fn operators_of_the_subset() {
    let siem = seeded().await;
    let hosts = |records: Vec<serde_json::Map<String, serde_json::Value>>| {
        records
            .iter()
            .map(|r| r["Host"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(hosts(siem.records("Ev_CL | where TimeGenerated > ago(1d) and (Level >= 3 or Host has 'web') | order by Level asc | project Host").await), ["web-02", "web-01.contoso.com", "db-01"]);
    assert_eq!(
        hosts(
            siem.records("Ev_CL | where Host contains 'WEB' | sort by Host desc | take 1")
                .await
        ),
        ["web-02"]
    );
    assert_eq!(
        hosts(
            siem.records("Ev_CL | where Kind in ('logon') and Host != 'db-01'")
                .await
        ),
        ["web-01.contoso.com"]
    );
    let counts = siem
        .records("Ev_CL | summarize count() by Kind | sort by Kind asc")
        .await;
    assert_eq!(
        counts,
        vec![
            json!({"Kind": "logon", "count_": 2})
                .as_object()
                .cloned()
                .unwrap(),
            json!({"Kind": "process", "count_": 2})
                .as_object()
                .cloned()
                .unwrap(),
        ]
    );
    assert_eq!(siem.records("Ev_CL | limit 2").await.len(), 2);
    assert_eq!(
        siem.records("Ev_CL | where Level > 2 | count").await[0]["Count"],
        json!(3)
    );
}

#[tokio::test]
async fn timespan_narrows_the_rows() {
    let siem = seeded().await;
    let token = siem.token("reader-app", crate::common::QUERY_SCOPE).await;
    let response = siem
        .http
        .post(siem.query_url())
        .bearer_auth(token)
        .json(&json!({"query": "Ev_CL | summarize count()", "timespan": "P1D"}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["tables"][0]["rows"], json!([[3]]));
}

#[tokio::test]
async fn unsupported_kql_is_a_clear_400() {
    let siem = seeded().await;
    for (query, needle) in [
        ("Ev_CL | extend X = 1", "extend"),
        ("Ev_CL | where strlen(Host) > 1", "strlen"),
        ("Ev_CL | summarize max(Level)", "max"),
        ("Ev_CL | where Nope == 1", "Nope"),
        ("Nowhere_CL", "Nowhere_CL"),
        ("Ev_CL | where", "syntax"),
    ] {
        let (status, body) = siem.query(query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], json!("BadArgumentError"));
        let message = body["error"]["innererror"]["message"].as_str().unwrap();
        assert!(message.contains(needle), "{query}: {message}");
    }
}
