//! The ARM resources around the workspace (cloud metadata, tenants, subscriptions, the resource
//! group and the workspace), the audiences ARM clients ask tokens for, and the query API's batch.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{QUERY_SCOPE, Siem};

const API: &str = "api-version=2022-12-01";

async fn get_json(siem: &Siem, path: &str, token: Option<&str>) -> (StatusCode, Value) {
    let mut request = siem.http.get(format!("{}{path}", siem.server.url()));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn arm_clients_find_the_workspace_through_its_resources() {
    let siem = Siem::start().await;
    let (status, metadata) =
        get_json(&siem, "/metadata/endpoints?api-version=2022-09-01", None).await;
    assert_eq!(status, StatusCode::OK);
    let base = format!("{}/", siem.server.url());
    assert_eq!(metadata["resourceManager"], json!(base));
    assert_eq!(
        metadata["authentication"]["loginEndpoint"],
        json!(siem.server.url())
    );
    assert!(metadata["suffixes"].is_object());

    // The Azure CLI asks for the classic management audience.
    let token = siem
        .token(
            "reader-app",
            "https://management.core.windows.net//.default",
        )
        .await;
    let subscription = siem.credential("TANDEM_SUBSCRIPTION_ID");
    let (status, list) = get_json(&siem, &format!("/subscriptions?{API}"), Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["value"][0]["subscriptionId"], json!(subscription));
    let (_, tenants) = get_json(&siem, &format!("/tenants?{API}"), Some(&token)).await;
    assert_eq!(
        tenants["value"][0]["tenantId"],
        json!(siem.credential("TANDEM_TENANT_ID"))
    );
    let group = siem.credential("TANDEM_RESOURCE_GROUP");
    let workspace = siem.credential("TANDEM_WORKSPACE_NAME");
    let path = format!(
        "/subscriptions/{subscription}/resourcegroups/{group}/providers/microsoft.operationalinsights/workspaces/{workspace}?{API}"
    );
    let (status, resource) = get_json(&siem, &path, Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{resource}");
    assert_eq!(
        resource["properties"]["customerId"],
        json!(siem.credential("TANDEM_WORKSPACE_ID"))
    );
    let (status, _) = get_json(&siem, &format!("/subscriptions/other?{API}"), Some(&token)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = get_json(&siem, "/subscriptions", Some(&token)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "api-version is required");
}

#[tokio::test]
async fn a_token_for_the_servers_own_url_reaches_the_incidents_api() {
    let siem = Siem::start().await;
    let token = siem
        .token("writer-app", &format!("{}/.default", siem.server.url()))
        .await;
    let response = siem
        .http
        .get(siem.arm("incidents?api-version=2022-09-01-preview"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_batch_answers_each_query_as_it_would_be_answered_alone() {
    let siem = Siem::start().await;
    let rows = json!([{"TimeGenerated": chrono::Utc::now().to_rfc3339(), "Host": "h1"}]);
    assert!(
        siem.ingest("Custom-Batch_CL", &rows)
            .await
            .status()
            .is_success()
    );
    let workspace = siem.credential("TANDEM_WORKSPACE_ID");
    let token = siem.token("reader-app", QUERY_SCOPE).await;
    let body = json!({"requests": [
        {"id": "a", "body": {"query": "Batch_CL | count"}, "workspace": workspace, "method": "POST", "path": "/query"},
        {"id": "b", "body": {"query": "Batch_CL | where ("}, "workspace": workspace},
        {"id": "c", "body": {"query": "Batch_CL"}, "workspace": "elsewhere"},
    ]});
    let response = siem
        .http
        .post(format!("{}/v1/$batch", siem.server.url()))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    let responses = answer["responses"].as_array().unwrap();
    assert_eq!(responses.len(), 3);
    assert_eq!(responses[0]["id"], "a");
    assert_eq!(responses[0]["status"], 200);
    assert_eq!(responses[0]["body"]["tables"][0]["rows"], json!([[1]]));
    assert_eq!(responses[1]["status"], 400);
    assert_eq!(responses[1]["body"]["error"]["code"], "BadArgumentError");
    assert_eq!(responses[2]["status"], 404);
    let too_many: Vec<Value> = (0..11)
        .map(
            |n| json!({"id": n.to_string(), "body": {"query": "Batch_CL"}, "workspace": workspace}),
        )
        .collect();
    let response = siem
        .http
        .post(format!("{}/v1/$batch", siem.server.url()))
        .bearer_auth(&token)
        .json(&json!({"requests": too_many}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}
