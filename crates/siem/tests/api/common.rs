//! A SIEM started in-process for a test, with tokens for each app and URL builders for each API.

use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use tandem_server::{Prepared, Router, ServerConfig};
use tandem_testkit::{ClientApp, InProcessServer, fetch_token};

/// Token scope of the incidents API.
pub const ARM_SCOPE: &str = "https://management.azure.com/.default";
/// Token scope of the Logs Ingestion API.
pub const MONITOR_SCOPE: &str = "https://monitor.azure.com/.default";
/// Token scope of the query API.
pub const QUERY_SCOPE: &str = "https://api.loganalytics.io/.default";

/// Three apps: a responder that may also ingest, a reader, and an ingestion-only app.
const CONFIG: &str = r#"
[identity]
tenant_id = "6f1a8b53-7a3c-4c0e-9a55-1d3e9c1f0b21"
[[identity.apps]]
client_id = "writer-app"
client_secret = "writer-secret"
display_name = "SOC automation"
roles = ["Sentinel.Responder", "Logs.Ingestion"]
purpose = "read-write"
[[identity.apps]]
client_id = "reader-app"
client_secret = "reader-secret"
roles = ["Sentinel.Reader"]
purpose = "read-only"
[[identity.apps]]
client_id = "ingest-app"
client_secret = "ingest-secret"
roles = ["Logs.Ingestion"]
"#;

/// A running SIEM and an HTTP client.
pub struct Siem {
    /// The server.
    pub server: InProcessServer,
    /// A plain HTTP client.
    pub http: Client,
}

impl Siem {
    /// Starts a SIEM in a fresh temp data dir.
    pub async fn start() -> Siem {
        Siem::start_with("").await
    }

    /// Starts a SIEM whose config file has `extra` after the identity (such as a `[siem]` section).
    pub async fn start_with(extra: &str) -> Siem {
        let config = ServerConfig::parse(&format!("{CONFIG}\n{extra}")).unwrap();
        let server = InProcessServer::start(tandem_siem::service_spec(), config, routes).await;
        Siem::serving(server.unwrap())
    }

    /// Starts a SIEM in `dir` (to restart it on the same data).
    pub async fn start_in(dir: &std::path::Path) -> Siem {
        let config = ServerConfig::parse(CONFIG).unwrap();
        let server =
            InProcessServer::start_in(dir, tandem_siem::service_spec(), config, routes).await;
        Siem::serving(server.unwrap())
    }

    fn serving(server: InProcessServer) -> Siem {
        Siem {
            server,
            http: Client::new(),
        }
    }

    /// A `credentials.env` value.
    pub fn credential(&self, key: &str) -> String {
        self.server.credentials().get(key).unwrap().to_owned()
    }

    /// A token for one of the configured apps (`writer-app`, `reader-app`, `ingest-app`).
    pub async fn token(&self, app: &str, scope: &str) -> String {
        let secret = format!("{}-secret", app.trim_end_matches("-app"));
        let tenant = self.credential("TANDEM_TENANT_ID");
        let app = ClientApp {
            tenant_id: &tenant,
            client_id: app,
            client_secret: &secret,
        };
        fetch_token(self.server.url(), &app, scope).await.unwrap()
    }

    /// The URL of `rest` under the workspace's `Microsoft.SecurityInsights` provider.
    pub fn arm(&self, rest: &str) -> String {
        format!(
            "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/{rest}",
            self.server.url(),
            self.credential("TANDEM_SUBSCRIPTION_ID"),
            self.credential("TANDEM_RESOURCE_GROUP"),
            self.credential("TANDEM_WORKSPACE_NAME"),
        )
    }

    /// The ingestion URL of `stream` on the default data collection rule.
    pub fn ingest_url(&self, stream: &str) -> String {
        format!(
            "{}/dataCollectionRules/{}/streams/{stream}?api-version=2023-01-01",
            self.server.url(),
            self.credential("TANDEM_DCR_IMMUTABLE_ID")
        )
    }

    /// The query URL of the workspace.
    pub fn query_url(&self) -> String {
        format!(
            "{}/v1/workspaces/{}/query",
            self.server.url(),
            self.credential("TANDEM_WORKSPACE_ID")
        )
    }

    /// Posts `rows` to `stream` as the writer.
    pub async fn ingest(&self, stream: &str, rows: &Value) -> Response {
        let token = self.token("writer-app", MONITOR_SCOPE).await;
        self.http
            .post(self.ingest_url(stream))
            .bearer_auth(token)
            .json(rows)
            .send()
            .await
            .unwrap()
    }

    /// Runs a query as the reader; returns the status and body.
    pub async fn query(&self, kql: &str) -> (StatusCode, Value) {
        let token = self.token("reader-app", QUERY_SCOPE).await;
        let response = self
            .http
            .post(self.query_url())
            .bearer_auth(token)
            .json(&serde_json::json!({"query": kql}))
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.json().await.unwrap())
    }

    /// The rows of a successful query as JSON objects.
    pub async fn records(&self, kql: &str) -> Vec<serde_json::Map<String, Value>> {
        let (status, body) = self.query(kql).await;
        assert_eq!(status, StatusCode::OK, "{kql}: {body}");
        let table: tandem_model::tables::QueryTable =
            serde_json::from_value(body["tables"][0].clone()).unwrap();
        table.records()
    }

    /// Sends a request with the writer's ARM token.
    pub async fn writer(&self, builder: RequestBuilder) -> Response {
        let token = self.token("writer-app", ARM_SCOPE).await;
        builder.bearer_auth(token).send().await.unwrap()
    }

    /// PUTs incident `name` as the writer.
    pub async fn put_incident(&self, name: &str, body: &Value) -> Response {
        self.put_incidents(name, body).await
    }

    /// PUTs comment or relation `child` (such as `comments/c1`) of incident `name` as the writer.
    pub async fn put_child(&self, name: &str, child: &str, body: &Value) -> Response {
        self.put_incidents(&format!("{name}/{child}"), body).await
    }

    /// PUTs `incidents/{path}` as the writer.
    async fn put_incidents(&self, path: &str, body: &Value) -> Response {
        self.writer(
            self.http
                .put(self.arm(&format!("incidents/{path}?api-version=2024-09-01")))
                .json(body),
        )
        .await
    }

    /// POSTs `incidents/{name}/{list}` (`alerts` or `entities`) as the writer and reads the answer.
    pub async fn incident_list(&self, name: &str, list: &str) -> Value {
        let url = self.arm(&format!("incidents/{name}/{list}?api-version=2024-09-01"));
        self.writer(self.http.post(url)).await.json().await.unwrap()
    }

    /// GETs incident `name` (must exist).
    pub async fn get_incident(&self, name: &str) -> Value {
        let response = self
            .writer(
                self.http
                    .get(self.arm(&format!("incidents/{name}?api-version=2024-09-01"))),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }
}

fn routes(prepared: &mut Prepared) -> Router {
    tandem_siem::routes(prepared).unwrap()
}

/// Sends each request, with its bearer token when it has one, and checks the status it is answered with;
/// a failure names the case.
pub async fn assert_statuses(cases: Vec<(&str, RequestBuilder, Option<&str>, StatusCode)>) {
    for (case, request, token, expected) in cases {
        let request = match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        assert_eq!(request.send().await.unwrap().status(), expected, "{case}");
    }
}

/// A minimal valid incident body.
pub fn incident_body(title: &str) -> Value {
    serde_json::json!({"properties": {"title": title, "severity": "High", "status": "New"}})
}
