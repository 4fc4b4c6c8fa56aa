//! The web console at the SIEM's root: sign-in with the API's apps, the queue over incidents made through
//! the ARM API, the incident page with attached alerts and their entities, actions that land in the same
//! history and etags as the API's, readers who cannot change anything, and the sync health page.

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect};
use serde_json::{Value, json};

use crate::common::Siem;

/// A browser stand-in: keeps no cookies of its own and follows no redirects.
fn browser() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

/// Signs in to the console as `app` and returns the session's `Cookie` header value.
async fn sign_in(siem: &Siem, app: &str) -> String {
    let response = sign_in_response(
        siem,
        app,
        &format!("{}-secret", app.trim_end_matches("-app")),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "sign-in as {app}");
    let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
    cookie.split(';').next().unwrap().to_owned()
}

async fn sign_in_response(siem: &Siem, app: &str, secret: &str) -> Response {
    browser()
        .post(format!("{}/sign-in", siem.server.url()))
        .form(&[("client_id", app), ("client_secret", secret), ("next", "/")])
        .send()
        .await
        .unwrap()
}

async fn get(siem: &Siem, cookie: &str, path: &str) -> Response {
    browser()
        .get(format!("{}{path}", siem.server.url()))
        .header(COOKIE, cookie)
        .send()
        .await
        .unwrap()
}

/// GETs a console page that must answer 200 and returns its HTML.
async fn page(siem: &Siem, cookie: &str, path: &str) -> String {
    let response = get(siem, cookie, path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    response.text().await.unwrap()
}

async fn post(siem: &Siem, cookie: &str, path: &str, form: &[(&str, &str)]) -> Response {
    browser()
        .post(format!("{}{path}", siem.server.url()))
        .header(COOKIE, cookie)
        .form(form)
        .send()
        .await
        .unwrap()
}

fn count_testid(html: &str, testid: &str) -> usize {
    html.matches(&format!(r#"data-testid="{testid}""#)).count()
}

/// The incident names of the queue's rows, in order.
fn row_ids(html: &str) -> Vec<String> {
    html.split(r#"data-testid="incident-row""#)
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find(r#"data-incident-id=""#)? + r#"data-incident-id=""#.len();
            let end = rest[start..].find('"')?;
            Some(rest[start..start + end].to_owned())
        })
        .collect()
}

/// The counts the queue shows for one kind (`status` or `severity`), by value, in page order.
fn counts(html: &str, kind: &str) -> Vec<(String, usize)> {
    let marker = format!(r#"data-testid="count-{kind}" data-value=""#);
    html.split(&marker)
        .skip(1)
        .filter_map(|rest| {
            let value = &rest[..rest.find('"')?];
            let count = rest.split(r#"<span class="chip-count">"#).nth(1)?;
            let count = count[..count.find('<')?].parse().ok()?;
            Some((value.to_owned(), count))
        })
        .collect()
}

/// How many `SecurityIncident` history rows incident `name` has.
async fn history_rows(siem: &Siem, name: &str) -> usize {
    siem.records(&format!(
        "SecurityIncident | where IncidentName == \"{name}\""
    ))
    .await
    .len()
}

/// Creates incident `name` through the ARM API.
async fn create(siem: &Siem, name: &str, properties: Value) {
    let response = siem
        .put_incident(name, &json!({"properties": properties}))
        .await;
    assert_eq!(response.status(), StatusCode::CREATED, "create {name}");
}

#[tokio::test]
async fn the_queue_lists_api_incidents_with_filters_sorting_and_paging() {
    let siem = Siem::start().await;
    let severities = ["High", "Medium", "Low", "Informational"];
    for i in 0..30 {
        let title = if i == 7 {
            "Ransomware on FS01".to_owned()
        } else {
            format!("Incident {i}")
        };
        create(
            &siem,
            &format!("inc-{i:02}"),
            json!({"title": title, "severity": severities[i % 4], "status": "New"}),
        )
        .await;
    }
    create(
        &siem,
        "from-xdr",
        json!({"title": "Phishing wave", "severity": "Medium", "status": "Active",
               "providerName": "Tandem XDR", "providerIncidentId": "17",
               "owner": {"assignedTo": "ana@contoso.com", "userPrincipalName": "ana@contoso.com"}}),
    )
    .await;
    let cookie = sign_in(&siem, "writer-app").await;

    let first = page(&siem, &cookie, "/").await;
    assert_eq!(count_testid(&first, "incident-row"), 25);
    let pairs = |items: &[(&str, usize)]| -> Vec<(String, usize)> {
        items.iter().map(|(v, n)| ((*v).to_owned(), *n)).collect()
    };
    assert_eq!(
        counts(&first, "status"),
        pairs(&[("New", 30), ("Active", 1)])
    );
    assert_eq!(
        counts(&first, "severity"),
        pairs(&[("high", 8), ("medium", 9), ("low", 7), ("informational", 7)])
    );
    assert!(first.contains("31 in all"));
    assert!(first.contains(r#"id="queue-next""#));
    let second = page(&siem, &cookie, "/?offset=25").await;
    assert_eq!(count_testid(&second, "incident-row"), 6);
    let mut all = row_ids(&first);
    all.extend(row_ids(&second));
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 31, "pages do not overlap and miss nothing");
    assert_eq!(row_ids(&first)[0], "from-xdr", "newest change first");

    let search = page(&siem, &cookie, "/?q=ransomware").await;
    assert_eq!(row_ids(&search), vec!["inc-07"]);
    let low = page(&siem, &cookie, "/?severity=low").await;
    assert_eq!(row_ids(&low).len(), 7);
    let provider = page(&siem, &cookie, "/?provider=Tandem+XDR").await;
    assert_eq!(row_ids(&provider), vec!["from-xdr"]);
    let owner = page(&siem, &cookie, "/?owner=ANA%40contoso.com").await;
    assert_eq!(row_ids(&owner), vec!["from-xdr"]);
    let unassigned = page(&siem, &cookie, "/?unassigned=1&size=50").await;
    assert_eq!(row_ids(&unassigned).len(), 30);
    let active = page(&siem, &cookie, "/?status=Active").await;
    assert_eq!(row_ids(&active), vec!["from-xdr"]);
    let closed = page(&siem, &cookie, "/?status=Closed").await;
    assert_eq!(count_testid(&closed, "incident-row"), 0);

    let by_severity = row_ids(&page(&siem, &cookie, "/?sort=severity&size=50").await);
    let rank = |id: &String| {
        let n: usize = id.trim_start_matches("inc-").parse().unwrap_or(1);
        n % 4
    };
    assert!(
        by_severity.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{by_severity:?}"
    );

    let bad = get(&siem, &cookie, "/?status=Resolved").await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    let incident = siem.get_incident("inc-07").await;
    let url = incident["properties"]["incidentUrl"].as_str().unwrap();
    let linked = browser()
        .get(url)
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(linked.status(), StatusCode::OK, "incidentUrl opens {url}");
    assert!(linked.text().await.unwrap().contains("Ransomware on FS01"));
}

/// The ARM id of the alert `id`, as a relation's `relatedResourceId`.
fn alert_resource_id(siem: &Siem, id: &str) -> String {
    let path = siem.arm("").replacen(siem.server.url(), "", 1);
    format!("{}entities/{id}", path)
}

async fn attach(siem: &Siem, incident: &str, relation: &str, alert: &str) {
    let response = siem
        .writer(
            siem.http
                .put(siem.arm(&format!(
                    "incidents/{incident}/relations/{relation}?api-version=2024-09-01"
                )))
                .json(
                    &json!({"properties": {"relatedResourceId": alert_resource_id(siem, alert)}}),
                ),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_incident_page_shows_attached_alerts_entities_by_kind_and_the_xdr_link() {
    let siem = Siem::start().await;
    let entities = json!([
        {"$id": "1", "Type": "host", "HostName": "fs01", "FQDN": "fs01.contoso.com", "OSFamily": "Windows"},
        {"$id": "2", "Type": "account", "Name": "alice", "UPNSuffix": "contoso.com"},
        {"$id": "3", "Type": "mailbox", "MailboxPrimaryAddress": "alice@contoso.com"},
        {"$id": "4", "Type": "ip", "Address": "203.0.113.7"},
        {"$id": "5", "Type": "process", "CommandLine": "vssadmin delete shadows /all",
         "ImageFile": {"$id": "6", "Type": "file", "Name": "vssadmin.exe",
                       "FileHashes": [{"$id": "7", "Type": "filehash", "Algorithm": "SHA256", "Value": "5e2f"}]}},
        {"$id": "8", "Type": "url", "Url": "https://evil.example/payload"},
        {"$id": "9", "Type": "cloud-application", "Name": "Office 365", "AppId": 11161}
    ]);
    let alerts = json!([
        {"SystemAlertId": "alert-1", "DisplayName": "Shadow copies deleted", "AlertSeverity": "High",
         "ProductName": "Microsoft Defender for Endpoint", "ProviderName": "Tandem XDR",
         "Tactics": "Impact", "Techniques": "T1490", "StartTime": "2026-01-01T10:00:00Z",
         "Entities": entities.to_string()},
        {"SystemAlertId": "alert-2", "DisplayName": "Unrelated", "AlertSeverity": "Low",
         "ProductName": "Other", "Entities": "[{\"Type\":\"host\",\"HostName\":\"elsewhere\"}]"},
        {"SystemAlertId": "alert-3", "DisplayName": "Never attached", "AlertSeverity": "Low",
         "ProductName": "Other", "Entities": "[{\"Type\":\"host\",\"HostName\":\"nowhere\"}]"}
    ]);
    assert_eq!(
        siem.ingest("Custom-SecurityAlert", &alerts).await.status(),
        StatusCode::NO_CONTENT
    );
    create(
        &siem,
        "inc",
        json!({"title": "Ransomware on FS01", "severity": "High", "status": "New",
               "labels": [{"labelName": "ransomware", "labelType": "User"}],
               "providerName": "Tandem XDR", "providerIncidentId": "42",
               "additionalData": {"providerIncidentUrl": "http://xdr.example/incidents/42"}}),
    )
    .await;
    attach(&siem, "inc", "r1", "alert-1").await;
    let report = json!([{
        "TimeGenerated": "2026-01-01T10:05:00Z", "IncidentName": "inc", "Title": "Ransomware on FS01",
        "Severity": "High", "Status": "New", "ModifiedBy": "Tandem XDR",
        "AlertIds": ["alert-1", "alert-9"], "LastModifiedTime": "2026-01-01T10:05:00Z"
    }]);
    assert_eq!(
        siem.ingest("Custom-SecurityIncident", &report)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    attach(&siem, "inc", "r2", "alert-2").await;

    let cookie = sign_in(&siem, "reader-app").await;
    let html = page(&siem, &cookie, "/incidents/inc").await;
    assert_eq!(count_testid(&html, "alert-row"), 2, "the attached alerts");
    assert!(html.contains("Shadow copies deleted"));
    assert!(html.contains("Microsoft Defender for Endpoint (Tandem XDR)"));
    assert!(html.contains("T1490") && html.contains("Impact"));
    assert!(html.contains("elsewhere"));
    assert!(!html.contains("Never attached") && !html.contains("nowhere"));
    for (kind, name) in [
        ("device", "fs01.contoso.com"),
        ("user", "alice@contoso.com"),
        ("mailbox", "alice@contoso.com"),
        ("ip", "203.0.113.7"),
        ("process", "vssadmin delete shadows /all"),
        ("file", "vssadmin.exe"),
        ("url", "https://evil.example/payload"),
        ("cloud-app", "Office 365"),
    ] {
        assert!(
            html.contains(&format!(r#"data-testid="entity-group" data-kind="{kind}""#)),
            "group {kind}"
        );
        assert!(html.contains(name), "{kind} {name}");
    }
    assert!(html.contains("5e2f"), "file hashes are shown with the file");
    assert!(html.contains(r#"href="http://xdr.example/incidents/42""#));
    assert_eq!(count_testid(&html, "twin-link"), 1);
    assert!(html.contains("ransomware"));
    assert_eq!(
        count_testid(&html, "history-row"),
        4,
        "created, two alerts attached, one report from the XDR"
    );
    assert_eq!(html.matches("<td>Alert added</td>").count(), 2);
    assert!(html.contains("Reported: status New, severity High, 2 alerts"));
    assert!(
        !html.contains("Alert removed"),
        "the XDR's report is not compared with the SIEM's rows"
    );
    assert_eq!(
        count_testid(&html, "close-form"),
        0,
        "readers get no actions"
    );

    let missing = get(&siem, &cookie, "/incidents/nope").await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let writer = sign_in(&siem, "writer-app").await;
    let missing = post(&siem, &writer, "/incidents/nope/comment", &[("text", "hi")]).await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(
        missing
            .text()
            .await
            .unwrap()
            .contains(r#"&quot;nope&quot;"#)
    );
}

#[tokio::test]
async fn console_actions_append_one_history_row_each_and_change_the_etag() {
    let siem = Siem::start().await;
    create(
        &siem,
        "inc",
        json!({"title": "Suspicious sign-in", "severity": "Medium", "status": "New"}),
    )
    .await;
    let cookie = sign_in(&siem, "writer-app").await;

    let actions: [(&str, Vec<(&str, &str)>); 6] = [
        ("assign", vec![("owner", "ana@contoso.com")]),
        ("status", vec![("status", "Active")]),
        ("tag", vec![("tag", "phishing")]),
        ("comment", vec![("text", "Looking into it")]),
        ("untag", vec![("tag", "phishing")]),
        (
            "close",
            vec![
                ("classification", "TruePositive"),
                ("determination", "SuspiciousActivity"),
                ("comment", "Password reset, sessions revoked"),
            ],
        ),
    ];
    for (action, form) in &actions {
        let before_rows = history_rows(&siem, "inc").await;
        let before = siem.get_incident("inc").await;
        let response = post(&siem, &cookie, &format!("/incidents/inc/{action}"), form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{action}");
        assert_eq!(response.headers()[LOCATION], "/incidents/inc");
        let after = siem.get_incident("inc").await;
        assert_ne!(before["etag"], after["etag"], "{action} changes the etag");
        assert_eq!(
            history_rows(&siem, "inc").await,
            before_rows + 1,
            "{action} appends one history row"
        );
    }

    let incident = siem.get_incident("inc").await;
    let p = &incident["properties"];
    assert_eq!(p["status"], json!("Closed"));
    assert_eq!(p["classification"], json!("TruePositive"));
    assert_eq!(p["classificationReason"], json!("SuspiciousActivity"));
    assert_eq!(
        p["classificationComment"],
        json!("Password reset, sessions revoked")
    );
    assert_eq!(p["owner"]["assignedTo"], json!("ana@contoso.com"));
    assert_eq!(p["labels"], json!([]));
    assert_eq!(p["additionalData"]["commentsCount"], json!(1));

    let rows = siem
        .records("SecurityIncident | where IncidentName == \"inc\"")
        .await;
    let last = rows.last().unwrap();
    assert_eq!(last["Status"], json!("Closed"));
    assert_eq!(last["ModifiedBy"], json!("SOC automation"));

    let html = page(&siem, &cookie, "/incidents/inc").await;
    assert!(html.contains("Status: Active → Closed"));
    assert!(html.contains("Classification reason"), "Sentinel's words");
    assert!(html.contains("Suspicious activity (true positive)"));
    assert!(html.contains("Looking into it"));
    assert_eq!(count_testid(&html, "comment"), 1);

    let mismatched = post(
        &siem,
        &cookie,
        "/incidents/inc/close",
        &[
            ("classification", "FalsePositive"),
            ("determination", "SuspiciousActivity"),
        ],
    )
    .await;
    assert_eq!(mismatched.status(), StatusCode::BAD_REQUEST);
    let absent = post(
        &siem,
        &cookie,
        "/incidents/inc/untag",
        &[("tag", "never-there")],
    )
    .await;
    assert_eq!(absent.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        siem.get_incident("inc").await["etag"],
        incident["etag"],
        "refused actions change nothing"
    );
}

#[tokio::test]
async fn readers_see_every_page_but_their_posts_are_refused() {
    let siem = Siem::start().await;
    create(
        &siem,
        "inc",
        json!({"title": "Read only", "severity": "Low", "status": "New"}),
    )
    .await;
    let before = siem.get_incident("inc").await;
    let cookie = sign_in(&siem, "reader-app").await;
    assert_eq!(row_ids(&page(&siem, &cookie, "/").await), vec!["inc"]);
    let html = page(&siem, &cookie, "/incidents/inc").await;
    assert_eq!(count_testid(&html, "actions"), 0);
    for (action, form) in [
        (
            "close",
            [
                ("classification", "FalsePositive"),
                ("determination", "IncorrectAlertLogic"),
            ],
        ),
        ("status", [("status", "Active"), ("x", "")]),
        ("comment", [("text", "hello"), ("x", "")]),
    ] {
        let response = post(&siem, &cookie, &format!("/incidents/inc/{action}"), &form).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(siem.get_incident("inc").await["etag"], before["etag"]);
    assert_eq!(history_rows(&siem, "inc").await, 1);
}

#[tokio::test]
async fn sign_in_takes_only_the_api_apps_that_may_read_incidents() {
    let siem = Siem::start().await;
    let wrong = sign_in_response(&siem, "writer-app", "not-the-secret").await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let unknown = sign_in_response(&siem, "nobody", "x").await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let ingest_only = sign_in_response(&siem, "ingest-app", "ingest-secret").await;
    assert_eq!(ingest_only.status(), StatusCode::FORBIDDEN);

    let anonymous = browser()
        .get(format!("{}/", siem.server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(
        anonymous.headers()[LOCATION]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
    let token = siem.token("writer-app", crate::common::ARM_SCOPE).await;
    let api = siem
        .http
        .get(siem.arm("incidents?api-version=2024-09-01"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.status(),
        StatusCode::OK,
        "the API beside the console still answers"
    );
}

/// Serves `body` as the connector's `/status` on a loopback port; returns its URL.
async fn connector_status(body: Value) -> String {
    let app = axum::Router::new().route(
        "/status",
        axum::routing::get(move || {
            let body = body.clone();
            async move { axum::Json(body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/status", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test]
async fn the_sync_page_shows_the_connector_status_or_that_it_is_not_reachable() {
    let status = json!({
        "directions": [
            {"name": "XDR → SIEM", "lag_seconds": 3.5, "last_poll": "2026-01-01T10:00:00.000Z",
             "last_success": "2026-01-01T10:00:00.000Z", "pending_writes": 0, "last_error": null},
            {"name": "SIEM → XDR", "lag_seconds": null, "last_poll": "2026-01-01T10:00:05.000Z",
             "last_success": null, "pending_writes": 2, "last_error": "429 Too Many Requests"}
        ],
        "conflicts": [{"at": "2026-01-01T09:00:00.000Z", "incident_id": "inc-1", "field": "status",
                       "winner": "xdr", "losing_value": "\"Closed\""}],
        "quarantined": [{"at": "2026-01-01T09:30:00.000Z", "item": "xdr incident 9",
                         "reason": "bad payload (3 attempt(s))"}],
        "lag_history": [{"at": "2026-01-01T10:00:00.000Z", "direction": "XDR → SIEM", "lag_seconds": 3.5}]
    });
    let url = connector_status(status).await;
    let siem = Siem::start_with(&format!("[siem]\nsync_status_url = \"{url}\"")).await;
    let cookie = sign_in(&siem, "reader-app").await;
    let html = page(&siem, &cookie, "/sync").await;
    assert_eq!(count_testid(&html, "sync-direction"), 2);
    assert_eq!(count_testid(&html, "sync-error"), 1);
    assert!(html.contains("429 Too Many Requests"));
    assert_eq!(count_testid(&html, "conflict-row"), 1);
    assert_eq!(count_testid(&html, "quarantine-row"), 1);
    assert_eq!(count_testid(&html, "sync-unreachable"), 0);

    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let gone = format!("http://{}/status", closed.local_addr().unwrap());
    drop(closed);
    let siem = Siem::start_with(&format!("[siem]\nsync_status_url = \"{gone}\"")).await;
    let cookie = sign_in(&siem, "writer-app").await;
    let html = page(&siem, &cookie, "/sync").await;
    assert_eq!(count_testid(&html, "sync-unreachable"), 1);
    assert!(html.contains(&gone));
    assert_eq!(count_testid(&html, "sync-direction"), 0);

    let without = Siem::start().await;
    let cookie = sign_in(&without, "reader-app").await;
    assert_eq!(
        get(&without, &cookie, "/sync").await.status(),
        StatusCode::NOT_FOUND
    );
}
