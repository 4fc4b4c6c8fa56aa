//! The XDR's web console over its real store: sign-in with app credentials, the queue, the incident page
//! that `incidentWebUrl` points to, and actions that land in the Graph API's view of the incident.

#![cfg(test)]

mod common;

use common::Xdr;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::Value;
use tandem_model::mapping::siem_incident_name;

/// A browser-like client without redirects, carrying one session cookie.
struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Browser {
    async fn sign_in(xdr: &Xdr, id_key: &str, secret_key: &str) -> Browser {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let credentials = xdr.server.credentials();
        let form = [
            ("client_id", credentials.get(id_key).unwrap()),
            ("client_secret", credentials.get(secret_key).unwrap()),
            ("next", "/"),
        ];
        let response = http
            .post(xdr.url("/sign-in"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        Browser {
            http,
            base: xdr.server.url().to_owned(),
            cookie,
        }
    }

    async fn page(&self, url: &str) -> (StatusCode, String) {
        let response = self
            .http
            .get(url)
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (response.status(), response.text().await.unwrap())
    }

    /// The console page of incident `id`.
    async fn incident(&self, id: &str) -> (StatusCode, String) {
        self.page(&format!("{}/incidents/{id}", self.base)).await
    }

    async fn act(&self, id: &str, action: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}/incidents/{id}/{action}", self.base))
            .header(COOKIE, &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }
}

/// Ingests the simulated multi-stage attack; returns its incident ids.
async fn multi_stage(xdr: &Xdr) -> Vec<String> {
    xdr.ingest_ok(tandem_scenario::multi_stage(chrono::Utc::now()))
        .await
}

#[tokio::test]
async fn the_incident_web_url_opens_the_incident_page() {
    let xdr = Xdr::start("").await;
    let ids = multi_stage(&xdr).await;
    let incident = xdr
        .get(&format!("/v1.0/security/incidents/{}", ids[0]))
        .await;
    let browser = Browser::sign_in(
        &xdr,
        "TANDEM_READER_CLIENT_ID",
        "TANDEM_READER_CLIENT_SECRET",
    )
    .await;

    let (status, html) = browser
        .page(incident["incidentWebUrl"].as_str().unwrap())
        .await;
    assert_eq!(status, StatusCode::OK);
    let name = incident["displayName"]
        .as_str()
        .unwrap()
        .replace('&', "&amp;");
    assert!(html.contains(&name), "the page names the incident");
    assert_eq!(html.matches("data-testid=\"alert-row\"").count(), 4);
    for product in [
        "Microsoft Defender for Endpoint",
        "Microsoft Defender for Cloud Apps",
    ] {
        assert!(html.contains(product), "{product}");
    }
    assert!(
        html.contains("Incident created by correlation"),
        "history is shown"
    );

    let (status, queue) = browser.page(&format!("{}/", browser.base)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(queue.contains(&format!("/incidents/{}", ids[0])));

    let response = browser
        .act(&ids[0], "comment", &[("text", "not allowed")])
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "readers may not act"
    );
}

#[tokio::test]
async fn console_actions_change_the_incident_the_api_serves() {
    let xdr = Xdr::start("").await;
    let ids = multi_stage(&xdr).await;
    let id = &ids[0];
    let browser = Browser::sign_in(&xdr, "TANDEM_CLIENT_ID", "TANDEM_CLIENT_SECRET").await;

    for (action, form) in [
        ("assign", vec![("owner", "kai@contoso.com")]),
        ("tag", vec![("tag", "Demo")]),
        ("comment", vec![("text", "Isolating the device")]),
        (
            "close",
            vec![
                ("classification", "truePositive"),
                ("determination", "multiStagedAttack"),
                ("comment", "Contained"),
            ],
        ),
    ] {
        let response = browser.act(id, action, &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
        assert!(
            response.headers()[LOCATION]
                .to_str()
                .unwrap()
                .ends_with(&format!("/incidents/{id}"))
        );
    }
    let incident = xdr.get(&format!("/v1.0/security/incidents/{id}")).await;
    assert_eq!(incident["assignedTo"], "kai@contoso.com");
    assert_eq!(incident["customTags"], serde_json::json!(["Demo"]));
    assert_eq!(incident["status"], "resolved");
    assert_eq!(incident["classification"], "truePositive");
    assert_eq!(incident["determination"], "multiStagedAttack");
    let comments: Vec<&str> = incident["comments"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["comment"].as_str())
        .collect();
    assert_eq!(comments, vec!["Isolating the device", "Contained"]);

    let (_, html) = browser
        .page(&format!("{}/incidents/{id}", browser.base))
        .await;
    assert!(
        html.contains("status: active → resolved"),
        "the change is in the history"
    );
    let signed_in_as = incident["comments"][0]["createdByDisplayName"].clone();
    assert_ne!(signed_in_as, Value::Null);
}

#[tokio::test]
async fn the_incident_page_links_to_the_siem_twin_when_the_siem_console_is_configured() {
    let xdr = Xdr::start("[xdr]\nsiem_console_url = \"http://siem.test:8720/\"\n").await;
    let ids = multi_stage(&xdr).await;
    let browser = Browser::sign_in(&xdr, "TANDEM_CLIENT_ID", "TANDEM_CLIENT_SECRET").await;
    let (status, html) = browser.incident(&ids[0]).await;
    assert_eq!(status, StatusCode::OK);
    let tenant = xdr.server.credentials().tenant_id().unwrap();
    let name = siem_incident_name(tenant, &ids[0]);
    let href = format!("href=\"http://siem.test:8720/incidents/{name}\"");
    assert!(html.contains(&href), "no {href} in the page");
    assert!(html.contains("data-testid=\"twin-link\""));

    let unlinked = Xdr::start("").await;
    let ids = multi_stage(&unlinked).await;
    let browser = Browser::sign_in(&unlinked, "TANDEM_CLIENT_ID", "TANDEM_CLIENT_SECRET").await;
    let (_, html) = browser.incident(&ids[0]).await;
    assert!(!html.contains("data-testid=\"twin-link\""));
    assert!(html.contains("data-testid=\"twin-missing\""));
}

#[tokio::test]
async fn wrong_secrets_do_not_sign_in() {
    let xdr = Xdr::start("").await;
    let client_id = xdr
        .server
        .credentials()
        .get("TANDEM_CLIENT_ID")
        .unwrap()
        .to_owned();
    let response = reqwest::Client::new()
        .post(xdr.url("/sign-in"))
        .form(&[
            ("client_id", client_id.as_str()),
            ("client_secret", "guess"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
}
