//! The XDR end to end: intake, correlation, the Graph API, auth, throttling and persistence, against the
//! real server on 127.0.0.1 with a real SQLite database.

#![cfg(test)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Xdr, alert, ids};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn intake_answers_every_item_and_keeps_the_good_ones() {
    let xdr = Xdr::start("").await;
    let mut no_title = alert("x", Some("d1"), None);
    no_title.as_object_mut().unwrap().remove("title");
    let answers = xdr
        .ingest(vec![
            alert("Good one", Some("d1"), None),
            json!({"title": "bad severity", "severity": "extreme", "serviceSource": "microsoftDefenderForEndpoint"}),
            no_title,
            json!({"title": "bad time", "severity": "low", "serviceSource": "microsoftDefenderForIdentity", "firstActivityDateTime": "yesterday"}),
            json!("not an object"),
            json!({"title": "bad evidence", "severity": "low", "serviceSource": "microsoftDefenderForOffice365",
                   "evidence": [{"@odata.type": "#microsoft.graph.security.ipEvidence", "ipAddress": 5}]}),
            alert("Another good one", Some("d2"), None),
        ])
        .await;
    assert_eq!(answers.len(), 7);
    let targets: Vec<&str> = answers
        .iter()
        .map(|a| a["error"]["target"].as_str().unwrap_or("accepted"))
        .collect();
    assert_eq!(
        targets,
        vec![
            "accepted",
            "value[1].severity",
            "value[2].title",
            "value[3].firstActivityDateTime",
            "value[4]",
            "value[5].evidence[0]",
            "accepted"
        ]
    );
    assert!(tandem_testkit::error_message(&answers[1]).contains("extreme"));
    assert!(tandem_testkit::error_message(&answers[3]).contains("yesterday"));
    assert!(tandem_testkit::error_message(&answers[5]).contains("ipAddress"));
    for good in [&answers[0], &answers[6]] {
        let id = good["id"].as_str().unwrap();
        let stored = xdr.get(&format!("/v1.0/security/alerts_v2/{id}")).await;
        assert_eq!(stored["incidentId"], good["incidentId"]);
        assert_eq!(stored["status"], "new");
    }
    let alerts = xdr.all("/v1.0/security/alerts_v2").await;
    assert_eq!(alerts.len(), 2, "only the good alerts are stored");
}

#[tokio::test]
async fn reposting_an_alert_id_is_idempotent() {
    let xdr = Xdr::start("").await;
    let mut posted = alert("Once", Some("d1"), None);
    posted["id"] = json!("da-fixed-1");
    let first = xdr.ingest_ok(vec![posted.clone()]).await;
    let again = xdr.ingest_ok(vec![posted]).await;
    assert_eq!(first, again);
    assert_eq!(xdr.all("/v1.0/security/alerts_v2").await.len(), 1);
}

#[tokio::test]
async fn multi_stage_attack_becomes_one_incident_from_all_four_products() {
    let xdr = Xdr::start("").await;
    let client =
        tandem_scenario::client(xdr.server.url(), xdr.server.credentials().pairs()).unwrap();
    let alerts = tandem_scenario::multi_stage(chrono_now());
    let posted = tandem_scenario::post_alerts(&client, xdr.server.url(), &alerts, 2)
        .await
        .unwrap();
    let incident_ids: BTreeSet<&str> = posted.iter().map(|p| p.incident_id.as_str()).collect();
    assert_eq!(incident_ids.len(), 1, "{posted:?}");
    let id = incident_ids.first().unwrap();
    let incident = xdr
        .get(&format!("/v1.0/security/incidents/{id}?$expand=alerts"))
        .await;
    let sources: BTreeSet<&str> = incident["alerts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["serviceSource"].as_str().unwrap())
        .collect();
    assert_eq!(
        sources,
        BTreeSet::from([
            "microsoftDefenderForCloudApps",
            "microsoftDefenderForEndpoint",
            "microsoftDefenderForIdentity",
            "microsoftDefenderForOffice365"
        ])
    );
    assert_eq!(incident["severity"], "high");
    assert_eq!(incident["status"], "active");
    let name = incident["displayName"].as_str().unwrap();
    assert!(
        name.starts_with("Multi-stage incident involving Initial access"),
        "{name}"
    );
    assert!(name.ends_with("reported by multiple sources"), "{name}");
    assert_eq!(
        incident["incidentWebUrl"],
        json!(format!("{}/incidents/{id}", xdr.server.url()))
    );
    assert_eq!(
        incident["tenantId"],
        xdr.server.credentials().tenant_id().unwrap()
    );
    let listed = xdr.all("/v1.0/security/incidents").await;
    assert_eq!(ids(&listed), vec![id.to_string()]);
}

#[tokio::test]
async fn a_linking_alert_merges_two_incidents_into_the_oldest() {
    let xdr = Xdr::start("").await;
    let older = xdr
        .ingest_ok(vec![alert("On the device", Some("dev-1"), None)])
        .await[0]
        .clone();
    let newer = xdr
        .ingest_ok(vec![alert("For the user", None, Some("user-1"))])
        .await[0]
        .clone();
    assert_ne!(older, newer);
    let link = xdr
        .ingest_ok(vec![alert(
            "User on the device",
            Some("dev-1"),
            Some("user-1"),
        )])
        .await;
    assert_eq!(link, vec![older.clone()]);

    let redirected = xdr.get(&format!("/v1.0/security/incidents/{newer}")).await;
    assert_eq!(redirected["status"], "redirected");
    assert_eq!(redirected["redirectIncidentId"], json!(older));
    let survivor = xdr
        .get(&format!("/v1.0/security/incidents/{older}?$expand=alerts"))
        .await;
    let alerts = survivor["alerts"].as_array().unwrap();
    assert_eq!(alerts.len(), 3);
    assert!(alerts.iter().all(|a| a["incidentId"] == json!(older)));
    let redirected_list = xdr
        .all("/v1.0/security/incidents?$filter=status eq 'redirected'")
        .await;
    assert_eq!(ids(&redirected_list), vec![newer.clone()]);

    // A redirected incident takes no new alerts: the user's next alert joins the survivor.
    let next = xdr
        .ingest_ok(vec![alert("User again", None, Some("user-1"))])
        .await;
    assert_eq!(next, vec![older]);
}

#[tokio::test]
async fn alerts_outside_the_configured_window_do_not_correlate() {
    let xdr = Xdr::start("[xdr]\ncorrelation_window_minutes = 60\n").await;
    let mut early = alert("Early", Some("dev-w"), None);
    early["firstActivityDateTime"] = json!("2026-01-01T00:00:00Z");
    early["lastActivityDateTime"] = json!("2026-01-01T00:10:00Z");
    let mut near = alert("Near", Some("dev-w"), None);
    near["firstActivityDateTime"] = json!("2026-01-01T01:00:00Z");
    let mut late = alert("Late", Some("dev-w"), None);
    late["firstActivityDateTime"] = json!("2026-01-01T05:00:00Z");
    let placed = xdr.ingest_ok(vec![early, near, late]).await;
    assert_eq!(placed[0], placed[1]);
    assert_ne!(placed[0], placed[2]);
}

#[tokio::test]
async fn last_update_filter_returns_exactly_the_changed_incidents() {
    let xdr = Xdr::start("").await;
    let incidents = xdr.ingest_apart(5, "Load", "dev-f").await;
    let before = xdr.all("/v1.0/security/incidents").await;
    let latest = before
        .iter()
        .map(|i| i["lastUpdateDateTime"].as_str().unwrap().to_owned())
        .max()
        .unwrap();
    let unchanged = xdr
        .all(&format!(
            "/v1.0/security/incidents?$filter=lastUpdateDateTime gt {latest}"
        ))
        .await;
    assert!(unchanged.is_empty(), "{unchanged:?}");

    xdr.ok(
        Method::PATCH,
        &format!("/v1.0/security/incidents/{}", incidents[1]),
        Some(&json!({"status": "inProgress"})),
    )
    .await;
    xdr.ok(
        Method::POST,
        &format!("/v1.0/security/incidents/{}/comments", incidents[3]),
        Some(&json!({"comment": "looking"})),
    )
    .await;
    // A new alert on an incident's device joins it, which changes the incident too.
    let joined = xdr
        .ingest_ok(vec![alert("Load again", Some("dev-f4"), None)])
        .await;
    assert_eq!(joined, vec![incidents[4].clone()]);
    let changed = xdr
        .all(&format!(
            "/v1.0/security/incidents?$filter=lastUpdateDateTime gt {latest} and status eq 'active'"
        ))
        .await;
    let active = sorted(vec![incidents[3].clone(), incidents[4].clone()]);
    assert_eq!(sorted(ids(&changed)), active);
    let changed = xdr
        .all(&format!(
            "/v1.0/security/incidents?$filter=lastUpdateDateTime gt {latest}"
        ))
        .await;
    let expected = sorted(vec![
        incidents[1].clone(),
        incidents[3].clone(),
        incidents[4].clone(),
    ]);
    assert_eq!(sorted(ids(&changed)), expected);
    let first_change = changed_times(&xdr, &incidents[1]).await;
    let since = xdr
        .all(&format!(
            "/v1.0/security/incidents?$filter=lastUpdateDateTime ge {first_change}"
        ))
        .await;
    assert_eq!(sorted(ids(&since)), expected);
    let after_first = xdr
        .all(&format!(
            "/v1.0/security/incidents?$filter=lastUpdateDateTime gt {first_change}"
        ))
        .await;
    assert_eq!(
        sorted(ids(&after_first)),
        active,
        "the comment and the alert came after the PATCH"
    );
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort();
    ids
}

async fn changed_times(xdr: &Xdr, id: &str) -> String {
    xdr.get(&format!("/v1.0/security/incidents/{id}")).await["lastUpdateDateTime"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn next_links_neither_skip_nor_repeat_while_others_write() {
    let xdr = Arc::new(Xdr::start("").await);
    let existing = xdr.ingest_apart(60, "Paged", "dev-p").await;
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (xdr, stop, existing) = (xdr.clone(), stop.clone(), existing.clone());
        tokio::spawn(async move {
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                xdr.ingest_ok(vec![alert(
                    "New during paging",
                    Some(&format!("dev-n{round}")),
                    None,
                )])
                .await;
                let target = &existing[round % existing.len()];
                xdr.ok(
                    Method::PATCH,
                    &format!("/v1.0/security/incidents/{target}"),
                    Some(&json!({"assignedTo": format!("analyst{round}")})),
                )
                .await;
                round += 1;
            }
            round
        })
    };
    let mut seen = Vec::new();
    let mut next = Some(xdr.url("/v1.0/security/incidents?$top=7&$expand=alerts"));
    while let Some(url) = next {
        let page = xdr.get(&url).await;
        seen.extend(ids(page["value"].as_array().unwrap()));
        next = page["@odata.nextLink"].as_str().map(str::to_owned);
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::Relaxed);
    let rounds = writer.await.unwrap();
    assert!(rounds > 0, "the writer never ran");
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for id in &seen {
        *counts.entry(id.as_str()).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "repeated: {repeated:?}");
    let missing: Vec<_> = existing
        .iter()
        .filter(|id| !counts.contains_key(id.as_str()))
        .collect();
    assert!(missing.is_empty(), "skipped: {missing:?}");
}

#[tokio::test]
async fn skip_top_count_and_orderby() {
    let xdr = Xdr::start("").await;
    let created = xdr.ingest_apart(5, "Ordered", "dev-o").await;
    let page = xdr
        .get("/v1.0/security/incidents?$top=2&$skip=1&$count=true")
        .await;
    assert_eq!(page["@odata.count"], 5);
    assert_eq!(
        ids(page["value"].as_array().unwrap()),
        vec![created[3].clone(), created[2].clone()]
    );
    assert!(
        page["@odata.nextLink"]
            .as_str()
            .unwrap()
            .starts_with(xdr.server.url())
    );
    let (_, proxied) = xdr
        .call_with_header(
            "/v1.0/security/incidents?$top=1",
            ("x-forwarded-proto", "https"),
        )
        .await;
    let link = proxied["@odata.nextLink"].as_str().unwrap();
    assert!(link.starts_with("https://127.0.0.1:"), "{link}");
    let ascending = xdr
        .all("/v1.0/security/incidents?$orderby=createdDateTime asc&$top=2")
        .await;
    assert_eq!(ids(&ascending), created);
    let alerts = xdr.get("/v1.0/security/alerts_v2?$top=3&$count=true").await;
    assert_eq!(alerts["@odata.count"], 5);
    assert_eq!(alerts["value"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn bad_query_options_get_400_naming_the_option() {
    let xdr = Xdr::start("").await;
    for (query, option) in [
        ("$filter=title eq 'x'", "$filter"),
        ("$filter=status eq", "$filter"),
        ("$top=many", "$top"),
        ("$orderby=title", "$orderby"),
        ("$expand=evidence", "$expand"),
        ("$skiptoken=forged", "$skiptoken"),
    ] {
        let (status, body) = xdr
            .call_as(
                Some(&xdr.token),
                Method::GET,
                &format!("/v1.0/security/incidents?{query}"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], "BadRequest");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(option), "{query}: {message}");
    }
}

#[tokio::test]
async fn patch_and_comments_on_incidents_and_alerts() {
    let xdr = Xdr::start("").await;
    let answer = xdr
        .ingest(vec![alert("Patch me", Some("dev-x"), None)])
        .await;
    let (alert_id, incident_id) = (
        answer[0]["id"].as_str().unwrap().to_owned(),
        answer[0]["incidentId"].as_str().unwrap().to_owned(),
    );
    let incident_path = format!("/v1.0/security/incidents/{incident_id}");
    let before = xdr.get(&incident_path).await;
    let patched = xdr
        .ok(
            Method::PATCH,
            &incident_path,
            Some(&json!({
                "status": "Resolved", "assignedTo": "kai@contoso.com", "classification": "TruePositive",
                "determination": "malware", "customTags": ["Demo"], "description": "Qakbot via phishing"
            })),
        )
        .await;
    assert_eq!(patched["status"], "resolved");
    assert_eq!(patched["classification"], "truePositive");
    assert_eq!(patched["determination"], "malware");
    assert_eq!(patched["assignedTo"], "kai@contoso.com");
    assert_eq!(patched["customTags"], json!(["Demo"]));
    assert_eq!(patched["description"], "Qakbot via phishing");
    assert!(
        patched["lastUpdateDateTime"].as_str().unwrap()
            > before["lastUpdateDateTime"].as_str().unwrap()
    );
    assert_eq!(xdr.get(&incident_path).await["status"], "resolved");
    let resolved_alert = xdr
        .get(&format!("/v1.0/security/alerts_v2/{alert_id}"))
        .await;
    assert_eq!(
        resolved_alert["status"], "resolved",
        "resolving an incident resolves its alerts"
    );
    assert!(resolved_alert["resolvedDateTime"].is_string());

    let comments = xdr
        .ok(
            Method::POST,
            &format!("{incident_path}/comments"),
            Some(&json!({
                "@odata.type": "microsoft.graph.security.alertComment", "comment": "Contained"
            })),
        )
        .await;
    assert_eq!(comments["value"][0]["comment"], "Contained");
    // The author is the app's display name, as Graph shows the caller.
    assert_eq!(
        comments["value"][0]["createdByDisplayName"],
        "Tandem development app (read-write)"
    );
    assert_eq!(
        xdr.get(&incident_path).await["comments"][0]["comment"],
        "Contained"
    );

    let alert_path = format!("/v1.0/security/alerts_v2/{alert_id}");
    let patched = xdr
        .ok(
            Method::PATCH,
            &alert_path,
            Some(&json!({"status": "resolved", "assignedTo": null})),
        )
        .await;
    assert_eq!(patched["status"], "resolved");
    assert!(patched["resolvedDateTime"].is_string());
    let comments = xdr
        .ok(
            Method::POST,
            &format!("{alert_path}/comments"),
            Some(&json!({"comment": "Checked"})),
        )
        .await;
    assert_eq!(comments["value"].as_array().unwrap().len(), 1);
    assert_eq!(
        xdr.get(&alert_path).await["comments"][0]["comment"],
        "Checked"
    );

    for (path, body, named) in [
        (&incident_path, json!({"status": "redirected"}), "status"),
        (
            &incident_path,
            json!({"classification": "maybe"}),
            "classification",
        ),
        (&incident_path, json!({"severity": "high"}), "severity"),
        (&incident_path, json!({"customTags": "Demo"}), "customTags"),
        (
            &alert_path,
            json!({"determination": "sunspots"}),
            "determination",
        ),
    ] {
        let (status, answer) = xdr
            .call_as(Some(&xdr.token), Method::PATCH, path, Some(&body))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{body}: {message}");
    }
    for path in [
        "/v1.0/security/incidents/999",
        "/v1.0/security/incidents/abc",
        "/v1.0/security/alerts_v2/nope",
    ] {
        let (status, answer) = xdr.call_as(Some(&xdr.token), Method::GET, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer["error"]["code"], "itemNotFound");
    }
    let (status, _) = xdr
        .call_as(
            Some(&xdr.token),
            Method::PATCH,
            "/v1.0/security/incidents/999",
            Some(&json!({"status": "active"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_bodies_get_400_naming_the_field_and_the_value() {
    let xdr = Xdr::start("").await;
    let incident = xdr
        .ingest_ok(vec![alert("Bodies", Some("dev-b"), None)])
        .await[0]
        .clone();
    let path = format!("/v1.0/security/incidents/{incident}");
    let bodies: [(&[u8], &[&str]); 3] = [
        (b"{\"assignedTo\": \"kai\xff\"}", &["assignedTo", "0xff"]),
        (b"{\"status\": 5}", &["status", "5"]),
        (b"{\"status\": \"active\"", &["EOF"]),
    ];
    for (body, named) in bodies {
        let response = reqwest::Client::new()
            .patch(xdr.url(&path))
            .bearer_auth(&xdr.token)
            .header("content-type", "application/json")
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        let shown = String::from_utf8_lossy(body).into_owned();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{shown}");
        let answer: Value = response.json().await.unwrap();
        let message = answer["error"]["message"].as_str().unwrap();
        for word in named {
            assert!(message.contains(word), "{shown}: {message}");
        }
    }
}

#[tokio::test]
async fn tokens_are_checked_and_roles_enforced() {
    let xdr = Xdr::start("").await;
    let incident = xdr
        .ingest_ok(vec![alert("Auth", Some("dev-a"), None)])
        .await[0]
        .clone();
    let path = format!("/v1.0/security/incidents/{incident}");

    let (status, body) = xdr.call_as(None, Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");

    let reader = xdr.reader_token().await;
    let (status, _) = xdr.call_as(Some(&reader), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = xdr
        .call_as(
            Some(&reader),
            Method::PATCH,
            &path,
            Some(&json!({"status": "active"})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["error"]["code"], "Forbidden");
    let (status, _) = xdr
        .call_as(
            Some(&reader),
            Method::POST,
            "/api/v1/alerts",
            Some(&json!({"value": []})),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    let expired = resign(&xdr, |claims| {
        claims.exp = claims.iat - 60;
        claims.nbf = claims.iat - 3600;
    });
    let (status, body) = xdr.call_as(Some(&expired), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        tandem_testkit::error_message(&body).contains("expired"),
        "{body}"
    );

    let other = Xdr::start("").await;
    let (status, body) = xdr
        .call_as(Some(&other.token), Method::GET, &path, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another server's token");
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");

    // Signed with this server's own key, so only the tenant is wrong.
    let other_tenant = other.server.credentials().tenant_id().unwrap().to_owned();
    let foreign = resign(&xdr, |claims| {
        claims.iss = claims.iss.replace(&claims.tid, &other_tenant);
        claims.tid = other_tenant.clone();
    });
    let (status, body) = xdr.call_as(Some(&foreign), Method::GET, &path, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another tenant's token");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&other_tenant), "{body}");
}

/// Re-signs the writer's token after `change` with the server's own key.
fn resign(xdr: &Xdr, change: impl FnOnce(&mut tandem_server::Claims)) -> String {
    let dir = tandem_server::DataDir::open(xdr.server.data_dir()).unwrap();
    let roles = tandem_server::ServiceSpec::xdr().dev_roles;
    let identity = tandem_server::Identity::load_or_create(&dir, None, &roles).unwrap();
    let mut claims = identity.signing_key().verify_signature(&xdr.token).unwrap();
    change(&mut claims);
    identity.signing_key().sign(&claims).unwrap()
}

#[tokio::test]
async fn a_small_budget_answers_429_with_retry_after() {
    let xdr = Xdr::start("[throttle]\nrequests = 3\nwindow_secs = 60\n").await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..4 {
        let response = reqwest::Client::new()
            .get(xdr.url("/v1.0/security/incidents"))
            .bearer_auth(&xdr.token)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if let Some(value) = response.headers().get("retry-after") {
            retry_after = Some(value.to_str().unwrap().parse::<u64>().unwrap());
        }
    }
    assert_eq!(statuses, vec![200, 200, 200, 429]);
    assert!(
        retry_after.is_some_and(|s| (1..=60).contains(&s)),
        "{retry_after:?}"
    );
}

#[tokio::test]
async fn a_restart_keeps_everything() {
    let dir = tempfile_dir();
    let (before, alerts_before, last) = {
        let xdr = Xdr::start_in(dir.path()).await;
        let client =
            tandem_scenario::client(xdr.server.url(), xdr.server.credentials().pairs()).unwrap();
        tandem_scenario::post_alerts(
            &client,
            xdr.server.url(),
            &tandem_scenario::multi_stage(chrono_now()),
            10,
        )
        .await
        .unwrap();
        let id = xdr.all("/v1.0/security/incidents").await[0]["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let path = format!("/v1.0/security/incidents/{id}");
        xdr.ok(
            Method::PATCH,
            &path,
            Some(&json!({"assignedTo": "kai@contoso.com"})),
        )
        .await;
        xdr.ok(
            Method::POST,
            &format!("{path}/comments"),
            Some(&json!({"comment": "kept"})),
        )
        .await;
        let incidents = without_links(xdr.all("/v1.0/security/incidents?$expand=alerts").await);
        let alerts = without_links(xdr.all("/v1.0/security/alerts_v2").await);
        let last = incidents[0]["lastUpdateDateTime"]
            .as_str()
            .unwrap()
            .to_owned();
        xdr.server.stop().await.unwrap();
        (incidents, alerts, last)
    };
    let xdr = Xdr::start_in(dir.path()).await;
    assert_eq!(
        without_links(xdr.all("/v1.0/security/incidents?$expand=alerts").await),
        before
    );
    assert_eq!(
        without_links(xdr.all("/v1.0/security/alerts_v2").await),
        alerts_before
    );
    let id = before[0]["id"].as_str().unwrap();
    let patched = xdr
        .ok(
            Method::PATCH,
            &format!("/v1.0/security/incidents/{id}"),
            Some(&json!({"status": "inProgress"})),
        )
        .await;
    assert!(patched["lastUpdateDateTime"].as_str().unwrap() > last.as_str());
}

/// Drops the members that carry the server's address, which changes across restarts.
fn without_links(items: Vec<Value>) -> Vec<Value> {
    fn strip(value: &mut Value) {
        if let Value::Object(map) = value {
            map.remove("incidentWebUrl");
            map.remove("alertWebUrl");
            if let Some(Value::Array(alerts)) = map.get_mut("alerts") {
                alerts.iter_mut().for_each(strip);
            }
        }
    }
    items
        .into_iter()
        .map(|mut item| {
            strip(&mut item);
            item
        })
        .collect()
}

fn tempfile_dir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

fn chrono_now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}
