//! A running XDR for integration tests: the real server on 127.0.0.1:0 with a real SQLite database,
//! and a small Graph client that carries a token from the server's own token endpoint.

#![allow(dead_code)]

use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tandem_server::{ServerConfig, ServiceSpec};
use tandem_testkit::InProcessServer;

/// The scope every XDR token is requested for.
pub const SCOPE: &str = "https://graph.microsoft.com/.default";

/// A started XDR and a client with the read-write app's token.
pub struct Xdr {
    pub server: InProcessServer,
    pub token: String,
    http: reqwest::Client,
}

impl Xdr {
    /// Starts an XDR in a fresh data dir with `config` (TOML).
    pub async fn start(config: &str) -> Xdr {
        let config = ServerConfig::parse(config).expect("test config");
        let server = InProcessServer::start(ServiceSpec::xdr(), config, build)
            .await
            .expect("start the XDR");
        Xdr::connect(server).await
    }

    /// Starts an XDR in `dir` (kept across restarts).
    pub async fn start_in(dir: &Path) -> Xdr {
        let server =
            InProcessServer::start_in(dir, ServiceSpec::xdr(), ServerConfig::default(), build)
                .await
                .expect("start the XDR");
        Xdr::connect(server).await
    }

    async fn connect(server: InProcessServer) -> Xdr {
        let token = server
            .credentials()
            .writer_token(server.url(), SCOPE)
            .await
            .expect("writer token");
        Xdr {
            server,
            token,
            http: reqwest::Client::new(),
        }
    }

    /// A token of the read-only app.
    pub async fn reader_token(&self) -> String {
        self.server
            .credentials()
            .reader_token(self.server.url(), SCOPE)
            .await
            .expect("reader token")
    }

    /// `path` (or an absolute URL) under the server.
    pub fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.server.url())
        }
    }

    /// Sends a request with `token` (none when `None`); returns status and JSON body (`null` if empty).
    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        let text = response.text().await.expect("body");
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"))
        };
        (status, body)
    }

    /// GETs `path` with the read-write token and one extra header; returns status and JSON body.
    pub async fn call_with_header(
        &self,
        path: &str,
        (name, value): (&str, &str),
    ) -> (StatusCode, Value) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .header(name, value)
            .send()
            .await
            .expect("request");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }

    /// Sends a request with the read-write token and expects 200.
    pub async fn ok(&self, method: Method, path: &str, body: Option<&Value>) -> Value {
        let (status, answer) = self
            .call_as(Some(&self.token), method.clone(), path, body)
            .await;
        assert_eq!(status, StatusCode::OK, "{method} {path}: {answer}");
        answer
    }

    /// GET with the read-write token, expecting 200.
    pub async fn get(&self, path: &str) -> Value {
        self.ok(Method::GET, path, None).await
    }

    /// Posts alerts to the intake and returns the per-item answers.
    pub async fn ingest(&self, alerts: Vec<Value>) -> Vec<Value> {
        let answer = self
            .ok(
                Method::POST,
                "/api/v1/alerts",
                Some(&json!({ "value": alerts })),
            )
            .await;
        answer["value"].as_array().expect("value").clone()
    }

    /// Posts `count` alerts titled `title`, each on its own device `{device_prefix}{i}` (so each opens its
    /// own incident); returns their incident ids.
    pub async fn ingest_apart(
        &self,
        count: usize,
        title: &str,
        device_prefix: &str,
    ) -> Vec<String> {
        self.ingest_ok(
            (0..count)
                .map(|i| alert(title, Some(&format!("{device_prefix}{i}")), None))
                .collect(),
        )
        .await
    }

    /// Posts alerts that must all be accepted; returns their incident ids.
    pub async fn ingest_ok(&self, alerts: Vec<Value>) -> Vec<String> {
        self.ingest(alerts)
            .await
            .iter()
            .map(|item| {
                item["incidentId"]
                    .as_str()
                    .unwrap_or_else(|| panic!("refused: {item}"))
                    .to_owned()
            })
            .collect()
    }

    /// Follows `@odata.nextLink` from `path`, returning every item.
    pub async fn all(&self, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut next = Some(self.url(path));
        while let Some(url) = next {
            let page = self.get(&url).await;
            items.extend(page["value"].as_array().expect("value").iter().cloned());
            next = page["@odata.nextLink"].as_str().map(str::to_owned);
        }
        items
    }
}

impl Xdr {
    /// Runs the Python SDK script `script` (under `sdk/`) against this server with its credentials;
    /// asserts that it succeeded and returns its standard output.
    pub async fn run_sdk_script(&self, script: &str) -> String {
        let path = tandem_testkit::sdk_script(script);
        let pairs = self.server.credentials().pairs().to_vec();
        // The script blocks its thread; the server keeps answering on the runtime's others.
        let output = tokio::task::spawn_blocking(move || {
            let env: Vec<(&str, &str)> = pairs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            tandem_testkit::run_python(&path, &[], &env)
        })
        .await
        .expect("the script's thread")
        .unwrap_or_else(|e| panic!("run {script}: {e}"));
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "{script} failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        stdout
    }
}

fn build(server: &mut tandem_server::Prepared) -> tandem_server::Router {
    tandem_xdr::routes(server).expect("XDR routes")
}

pub use tandem_testkit::endpoint_alert as alert;

/// The ids of a list of incidents or alerts.
pub fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["id"].as_str().expect("id").to_owned())
        .collect()
}
