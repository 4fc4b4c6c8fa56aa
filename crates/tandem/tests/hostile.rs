//! The hostile suite: `tandem xdr` and `tandem siem`, run as the real binary, attacked the way a
//! holder of the read-only app (or of nothing at all) would.
//!
//! Each case checks what the server answers (a 4xx in the service's own error shape, naming the
//! parameter and the limit; never a 500, never store internals) and that the process is still up
//! afterwards. The cases that always held (forged and foreign tokens, reader writes, CSRF, XSS,
//! etag races, gzip bombs) are here too, so a regression in any of them fails CI.
#![cfg(test)]

use std::io::Write as _;
use std::net::IpAddr;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use tandem_testkit::{ChildServer, ClientApp, healthy};

const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";
const ARM_SCOPE: &str = "https://management.azure.com/.default";
const LOGS_SCOPE: &str = "https://api.loganalytics.io/.default";
const MONITOR_SCOPE: &str = "https://monitor.azure.com/.default";
const ARM_API: &str = "api-version=2024-09-01";

fn tandem() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tandem"))
}

async fn xdr() -> ChildServer {
    ChildServer::spawn(tandem(), &["xdr"], "TANDEM_XDR_URL")
        .await
        .expect("tandem xdr starts")
}

async fn siem() -> ChildServer {
    ChildServer::spawn(tandem(), &["siem"], "TANDEM_SIEM_URL")
        .await
        .expect("tandem siem starts")
}

/// A client whose connections come from `source` (any 127.0.0.0/8 address reaches the server).
fn client_from(source: [u8; 4]) -> Client {
    Client::builder()
        .local_address(IpAddr::from(source))
        .build()
        .expect("client")
}

async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{status}: the body is not JSON: {text:.300}"));
    (status, body)
}

/// The server answered and is still serving.
async fn still_up(server: &ChildServer) {
    assert!(healthy(server.url()).await, "{} went down", server.url());
}

/// A 400 whose body (in any of the services' shapes) mentions every one of `words`.
fn assert_refused(status: StatusCode, body: &Value, words: &[&str]) {
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let text = body.to_string();
    for word in words {
        assert!(text.contains(word), "'{word}' missing from {text}");
    }
    for leak in ["SQLite", "sqlite", "Expression tree", "Recursion limit"] {
        assert!(!text.contains(leak), "store internals leaked: {text}");
    }
}

async fn reader_token(server: &ChildServer, scope: &str) -> String {
    server
        .credentials()
        .reader_token(server.url(), scope)
        .await
        .expect("reader token")
}

async fn writer_token(server: &ChildServer, scope: &str) -> String {
    server
        .credentials()
        .writer_token(server.url(), scope)
        .await
        .expect("writer token")
}

async fn list_incidents(xdr: &ChildServer, token: &str, query: &str) -> (StatusCode, Value) {
    let url = format!("{}/v1.0/security/incidents?{query}", xdr.url());
    json_of(
        Client::new()
            .get(url)
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Percent-encodes everything but the unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn odata_filters_past_their_bounds_are_refused_and_the_xdr_stays_up() {
    let xdr = xdr().await;
    let token = reader_token(&xdr, GRAPH_SCOPE).await;
    let clause = "status eq 'active'";
    let cases = [
        format!("{}{clause}{}", "(".repeat(3_000), ")".repeat(3_000)),
        format!("{}{clause}", "not ".repeat(5_000)),
        format!("{}{clause}", "not ".repeat(1_000)),
        vec![clause; 1_000].join(" or "),
    ];
    for filter in cases {
        let (status, body) =
            list_incidents(&xdr, &token, &format!("$filter={}", encode(&filter))).await;
        assert_refused(status, &body, &["$filter"]);
        let text = body.to_string();
        assert!(
            text.contains("32 deep") || text.contains("100 comparisons"),
            "the limit is named: {text}"
        );
        assert!(body["error"]["innerError"]["request-id"].is_string());
        still_up(&xdr).await;
    }
    for skip in ["18446744073709551615", "2147483648", "-1"] {
        let (status, body) = list_incidents(&xdr, &token, &format!("$skip={skip}")).await;
        assert_refused(status, &body, &["$skip", skip]);
    }
    let (status, _) = list_incidents(&xdr, &token, "$skip=2147483647").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_xdr_refuses_what_graph_documents_as_out_of_bounds() {
    let xdr = xdr().await;
    let writer = writer_token(&xdr, GRAPH_SCOPE).await;
    let client = Client::new();
    let mut alert = tandem_testkit::endpoint_alert("Hostile intake", Some("host-1"), None);
    let post = |body: Value| {
        client
            .post(format!("{}/api/v1/alerts", xdr.url()))
            .bearer_auth(&writer)
            .json(&body)
            .send()
    };
    alert["serviceSource"] = json!("evilSource");
    let (_, body) = json_of(post(json!({"value": [alert.clone()]})).await.unwrap()).await;
    let error = &body["value"][0]["error"];
    assert_eq!(error["target"], "value[0].serviceSource", "{body}");
    assert!(error["message"].as_str().unwrap().contains("evilSource"));
    alert["serviceSource"] = json!("microsoftDefenderForEndpoint");
    alert["detectionSource"] = json!("evilDetector");
    let (_, body) = json_of(post(json!({"value": [alert.clone()]})).await.unwrap()).await;
    assert_eq!(
        body["value"][0]["error"]["target"],
        "value[0].detectionSource"
    );
    alert["detectionSource"] = json!("antivirus");
    let (status, body) = json_of(post(json!({"value": [alert]})).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    let incident = body["value"][0]["incidentId"].as_str().expect("accepted");
    let incident_url = format!("{}/v1.0/security/incidents/{incident}", xdr.url());

    let tags: Vec<String> = (0..100_000).map(|n| format!("tag{n}")).collect();
    let patch = client
        .patch(&incident_url)
        .bearer_auth(&writer)
        .json(&json!({"customTags": tags}))
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(patch).await;
    assert_refused(status, &body, &["customTags", "100 tags"]);

    let comment = |text: String| {
        client
            .post(format!("{incident_url}/comments"))
            .bearer_auth(&writer)
            .json(&json!({"@odata.type": "microsoft.graph.security.alertComment", "comment": text}))
            .send()
    };
    let (status, body) = json_of(comment("x".repeat(1_900_000)).await.unwrap()).await;
    assert_refused(status, &body, &["comment", "30000"]);
    let (status, _) = json_of(comment("x".repeat(30_000)).await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);

    let (status, body) = send_oversized("POST", &format!("{incident_url}/comments"), &writer).await;
    assert_eq!(status, 413);
    assert!(body["error"]["message"].is_string(), "{body}");
    still_up(&xdr).await;
}

/// Sends a 50 MB JSON body to `method url`; the status and JSON body of the answer. (A client
/// library that must finish writing the body before it reads may see the server's early answer
/// as a broken pipe, so the request is written by hand and the answer read while the body streams.)
async fn send_oversized(method: &str, url: &str, token: &str) -> (u16, Value) {
    use tokio::io::AsyncWriteExt as _;
    let rest = url.strip_prefix("http://").expect("plain http");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
    let head = format!(
        "{method} /{path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        50 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    // The body streams on while the answer is awaited; the server may stop reading at its limit.
    let body = tokio::spawn(async move {
        let chunk = vec![b' '; 1024 * 1024];
        for _ in 0..50 {
            if writer.write_all(&chunk).await.is_err() {
                break;
            }
        }
    });
    let answer = tokio::time::timeout(std::time::Duration::from_secs(30), read_answer(&mut reader))
        .await
        .expect("the server answers within 30 s");
    body.abort();
    let text = String::from_utf8_lossy(&answer);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let (_, body) = text.split_once("\r\n\r\n").expect("a body");
    let body = serde_json::from_str(body.trim())
        .unwrap_or_else(|_| panic!("{status}: the body is not JSON: {body:.300}"));
    (status, body)
}

/// Reads an HTTP answer's head and its `Content-Length` bytes of body.
async fn read_answer(stream: &mut tokio::net::tcp::OwnedReadHalf) -> Vec<u8> {
    use tokio::io::AsyncReadExt as _;
    let mut answer = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        let text = String::from_utf8_lossy(&answer).to_ascii_lowercase();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return answer;
            }
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return answer,
            Ok(n) => answer.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Header and claims, base64url-encoded and joined as a JWT without its signature.
fn unsigned(header: &Value, claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}", part(header), part(claims))
}

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

#[tokio::test]
async fn forged_tampered_and_foreign_tokens_are_refused() {
    let xdr = xdr().await;
    let other = xdr_beside().await;
    let real = writer_token(&xdr, GRAPH_SCOPE).await;
    let mut claims = claims_of(&real);
    claims["roles"] = json!([
        "SecurityIncident.ReadWrite.All",
        "SecurityAlert.ReadWrite.All"
    ]);
    let none = format!(
        "{}.",
        unsigned(&json!({"alg": "none", "typ": "JWT"}), &claims)
    );
    let jwks: Value = tandem_testkit::send_json(Client::new().get(format!(
        "{}/{}/discovery/v2.0/keys",
        xdr.url(),
        xdr.credentials().tenant_id().unwrap()
    )))
    .await
    .unwrap();
    let public_key = jwks["keys"][0].to_string();
    let hs_input = unsigned(&json!({"alg": "HS256", "typ": "JWT"}), &claims);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, public_key.as_bytes());
    let tag = ring::hmac::sign(&key, hs_input.as_bytes());
    let confused = format!("{hs_input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()));
    let mut parts: Vec<&str> = real.split('.').collect();
    let tampered_claims = URL_SAFE_NO_PAD.encode(claims.to_string());
    parts[1] = &tampered_claims;
    let tampered = parts.join(".");
    let foreign = writer_token(&other, GRAPH_SCOPE).await;
    for (name, token) in [
        ("alg=none", none),
        ("HS256 with the public key", confused),
        ("tampered claims", tampered),
        ("another tenant's token", foreign),
        ("garbage", "a.b.c".to_owned()),
    ] {
        let (status, body) = list_incidents(&xdr, &token, "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
    }
    still_up(&xdr).await;
}

/// A second XDR with its own tenant and keys.
async fn xdr_beside() -> ChildServer {
    xdr().await
}

#[tokio::test]
async fn readers_cannot_write() {
    let xdr = xdr().await;
    let reader = reader_token(&xdr, GRAPH_SCOPE).await;
    let response = Client::new()
        .post(format!("{}/api/v1/alerts", xdr.url()))
        .bearer_auth(&reader)
        .json(&json!({"value": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let siem = siem().await;
    let reader = reader_token(&siem, ARM_SCOPE).await;
    let response = Client::new()
        .put(format!("{}?{ARM_API}", incident_url(&siem, "reader-write")))
        .bearer_auth(&reader)
        .json(&new_incident())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// Guesses `count` secrets for the read-write app from `source`; the statuses seen.
async fn guess_secrets(server: &ChildServer, source: [u8; 4], count: usize) -> Vec<StatusCode> {
    let client = client_from(source);
    let tenant = server.credentials().tenant_id().unwrap().to_owned();
    let client_id = server
        .credentials()
        .get("TANDEM_CLIENT_ID")
        .unwrap()
        .to_owned();
    let mut statuses = Vec::new();
    for n in 0..count {
        let form = [
            ("client_id", client_id.as_str()),
            ("client_secret", &format!("guess-{n}")),
            ("scope", GRAPH_SCOPE),
            ("grant_type", "client_credentials"),
        ];
        let response = client
            .post(format!("{}/{tenant}/oauth2/v2.0/token", server.url()))
            .form(&form)
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            assert!(response.headers().contains_key("retry-after"));
        }
        statuses.push(response.status());
    }
    statuses
}

async fn token_from(server: &ChildServer, source: [u8; 4]) -> StatusCode {
    let credentials = server.credentials();
    let app = ClientApp {
        tenant_id: credentials.tenant_id().unwrap(),
        client_id: credentials.get("TANDEM_CLIENT_ID").unwrap(),
        client_secret: credentials.get("TANDEM_CLIENT_SECRET").unwrap(),
    };
    match tandem_testkit::fetch_token_with(&client_from(source), server.url(), &app, GRAPH_SCOPE)
        .await
    {
        Ok(_) => StatusCode::OK,
        Err(tandem_testkit::TestkitError::TokenRefused { status, .. }) => {
            StatusCode::from_u16(status).unwrap()
        }
        Err(other) => panic!("{other}"),
    }
}

#[tokio::test]
async fn guessing_secrets_is_throttled_while_the_app_keeps_working() {
    let xdr = xdr().await;
    assert_eq!(token_from(&xdr, [127, 0, 0, 1]).await, StatusCode::OK);
    let statuses = guess_secrets(&xdr, [127, 0, 0, 2], 40).await;
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let throttled = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        refused <= 10,
        "{refused} guesses were checked: {statuses:?}"
    );
    assert!(throttled >= 30, "{statuses:?}");
    // The attacker's address is locked even for the right secret; the app's own host is not.
    assert_eq!(
        token_from(&xdr, [127, 0, 0, 2]).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(token_from(&xdr, [127, 0, 0, 1]).await, StatusCode::OK);

    // The console's sign-in counts against the same address.
    let client = client_from([127, 0, 0, 2]);
    let client_id = xdr.credentials().get("TANDEM_CLIENT_ID").unwrap();
    let response = client
        .post(format!("{}/sign-in", xdr.url()))
        .form(&[("client_id", client_id), ("client_secret", "guess")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let client = client_from([127, 0, 0, 3]);
    let mut statuses = Vec::new();
    for n in 0..12 {
        let response = client
            .post(format!("{}/sign-in", xdr.url()))
            .form(&[
                ("client_id", client_id),
                ("client_secret", &format!("g{n}")),
            ])
            .send()
            .await
            .unwrap();
        statuses.push(response.status());
    }
    assert_eq!(statuses[0], StatusCode::UNAUTHORIZED, "{statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    still_up(&xdr).await;
}

fn incident_url(siem: &ChildServer, name: &str) -> String {
    let c = siem.credentials();
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents/{name}",
        siem.url(),
        c.get("TANDEM_SUBSCRIPTION_ID").unwrap(),
        c.get("TANDEM_RESOURCE_GROUP").unwrap(),
        c.get("TANDEM_WORKSPACE_NAME").unwrap(),
    )
}

fn new_incident() -> Value {
    json!({"properties": {"title": "Hostile", "severity": "High", "status": "New"}})
}

async fn put(url: &str, token: &str, body: &Value) -> (StatusCode, Value) {
    let response = Client::new()
        .put(format!("{url}?{ARM_API}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    json_of(response).await
}

#[tokio::test]
async fn the_siem_refuses_bad_names_oversized_comments_and_too_many_children() {
    let siem = siem().await;
    let writer = writer_token(&siem, ARM_SCOPE).await;
    for name in ["bad%00name", "..%2F..%2Fx", &"n".repeat(300), "trailing."] {
        let (status, body) = put(&incident_url(&siem, name), &writer, &new_incident()).await;
        assert_refused(status, &body, &["InvalidResourceName"]);
    }
    let url = incident_url(&siem, "limits");
    let (status, _) = put(&url, &writer, &new_incident()).await;
    assert_eq!(status, StatusCode::CREATED);
    let labels: Vec<Value> = (0..101)
        .map(|n| json!({"labelName": format!("l{n}")}))
        .collect();
    let mut labelled = new_incident();
    labelled["properties"]["labels"] = json!(labels);
    let (status, body) = put(&url, &writer, &labelled).await;
    assert_refused(status, &body, &["properties.labels", "100 tags"]);

    let comment = |text: String| json!({"properties": {"message": text}});
    let (status, body) = put(
        &format!("{url}/comments/long"),
        &writer,
        &comment("x".repeat(30_001)),
    )
    .await;
    assert_refused(status, &body, &["properties.message", "30000"]);
    for n in 0..100 {
        let (status, body) = put(
            &format!("{url}/comments/c{n}"),
            &writer,
            &comment(format!("note {n}")),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{n}: {body}");
    }
    let (status, body) = put(
        &format!("{url}/comments/c100"),
        &writer,
        &comment("one too many".into()),
    )
    .await;
    assert_refused(status, &body, &["100 comments"]);

    let (status, body) = send_oversized("PUT", &format!("{url}?{ARM_API}"), &writer).await;
    assert_eq!(status, 413);
    assert_eq!(body["error"]["code"], "RequestEntityTooLarge", "{body}");
    still_up(&siem).await;
}

#[tokio::test]
async fn stale_etags_lose_races_and_wrong_audiences_are_told_how_to_authenticate() {
    let siem = siem().await;
    let writer = writer_token(&siem, ARM_SCOPE).await;
    let url = incident_url(&siem, "race");
    let (_, created) = put(&url, &writer, &new_incident()).await;
    let etag = created["etag"].as_str().unwrap().to_owned();
    let racers = (0..8).map(|n| {
        let mut body = new_incident();
        body["etag"] = json!(etag);
        body["properties"]["title"] = json!(format!("racer {n}"));
        let (url, writer) = (url.clone(), writer.clone());
        tokio::spawn(async move { put(&url, &writer, &body).await.0 })
    });
    let mut statuses = Vec::new();
    for racer in racers {
        statuses.push(racer.await.unwrap());
    }
    let won = statuses.iter().filter(|s| s.is_success()).count();
    assert_eq!(won, 1, "{statuses:?}");
    // A stale etag in the body is a 409 Conflict, as ARM answers it.
    assert!(
        statuses
            .iter()
            .all(|s| s.is_success() || *s == StatusCode::CONFLICT),
        "{statuses:?}"
    );

    let graph_token = reader_token(&siem, MONITOR_SCOPE).await;
    let response = Client::new()
        .get(format!("{url}?{ARM_API}"))
        .bearer_auth(&graph_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
}

async fn query(siem: &ChildServer, token: &str, text: &str) -> (StatusCode, Value) {
    let url = format!(
        "{}/v1/workspaces/{}/query",
        siem.url(),
        siem.credentials().get("TANDEM_WORKSPACE_ID").unwrap()
    );
    let response = Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&json!({"query": text}))
        .send()
        .await
        .unwrap();
    json_of(response).await
}

/// Posts rows to `Custom-<table>` through the Logs Ingestion API, gzip-compressed when `gzip`.
async fn ingest(siem: &ChildServer, table: &str, body: Vec<u8>, gzip: bool) -> StatusCode {
    let c = siem.credentials();
    let token = writer_token(siem, MONITOR_SCOPE).await;
    let url = format!(
        "{}/dataCollectionRules/{}/streams/Custom-{table}?api-version=2023-01-01",
        siem.url(),
        c.get("TANDEM_DCR_IMMUTABLE_ID").unwrap()
    );
    let mut request = Client::new()
        .post(url)
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body);
    if gzip {
        request = request.header("content-encoding", "gzip");
    }
    request.send().await.unwrap().status()
}

#[tokio::test]
async fn hostile_kql_and_gzip_bombs_get_clear_errors_and_the_siem_stays_up() {
    let siem = siem().await;
    let row = json!([{"TimeGenerated": chrono::Utc::now().to_rfc3339(), "Host": "h1"}]);
    assert_eq!(
        ingest(&siem, "Hostile_CL", row.to_string().into_bytes(), false).await,
        StatusCode::NO_CONTENT
    );
    let reader = reader_token(&siem, LOGS_SCOPE).await;
    let nested = format!(
        "Hostile_CL | where {}Host == 'h1'{}",
        "(".repeat(2_000),
        ")".repeat(2_000)
    );
    let (status, body) = query(&siem, &reader, &nested).await;
    assert_refused(status, &body, &["64 deep"]);
    let chain = vec!["Host == 'h1'"; 10_000].join(" or ");
    let (status, body) = query(&siem, &reader, &format!("Hostile_CL | where {chain}")).await;
    assert_refused(status, &body, &["1000 terms"]);
    let (status, body) = query(&siem, &reader, "Hostile_CL | where Host == 'h1'").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    still_up(&siem).await;

    // 64 MiB of zeros, about 64 KiB on the wire.
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![b'0'; 1024 * 1024];
    for _ in 0..64 {
        encoder.write_all(&zeros).unwrap();
    }
    let bomb = encoder.finish().unwrap();
    assert_eq!(
        ingest(&siem, "Hostile_CL", bomb, true).await,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    still_up(&siem).await;
}

#[tokio::test]
async fn consoles_refuse_cross_site_posts_and_escape_what_they_show() {
    let siem = siem().await;
    let writer = writer_token(&siem, ARM_SCOPE).await;
    let mut body = new_incident();
    body["properties"]["title"] = json!("<script>alert('x')</script>");
    let (status, _) = put(&incident_url(&siem, "xss"), &writer, &body).await;
    assert_eq!(status, StatusCode::CREATED);
    let browser = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let c = siem.credentials();
    let response = browser
        .post(format!("{}/sign-in", siem.url()))
        .form(&[
            ("client_id", c.get("TANDEM_CLIENT_ID").unwrap()),
            ("client_secret", c.get("TANDEM_CLIENT_SECRET").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let page = browser
        .get(format!("{}/incidents/xss", siem.url()))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>alert"), "unescaped title");
    assert!(
        page.contains("&lt;script&gt;"),
        "the title is shown escaped"
    );
    let response = browser
        .post(format!("{}/incidents/xss/comment", siem.url()))
        .header("cookie", &cookie)
        .header("origin", "http://evil.example")
        .form(&[("comment", "from another site")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[test]
fn short_configured_secrets_are_refused_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("tandem.toml");
    std::fs::write(
        &config,
        "[identity]\ntenant_id = \"contoso\"\n[[identity.apps]]\nclient_id = \"soc-app\"\nclient_secret = \"change-me\"\nroles = [\"SecurityIncident.Read.All\"]\n",
    )
    .unwrap();
    let output = std::process::Command::new(tandem())
        .args(["xdr", "--tls", "--listen", "0.0.0.0:0", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert!(!output.status.success(), "a 9-character secret was served");
    let stderr = String::from_utf8_lossy(&output.stderr);
    for needle in ["soc-app", "9 characters", "16"] {
        assert!(stderr.contains(needle), "{needle} missing from: {stderr}");
    }
}
