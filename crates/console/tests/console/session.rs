//! Sign-in, sign-out, readers and unsigned requests.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, ORIGIN, SET_COOKIE};
use tandem_console::incident_path;

use crate::backend::{MULTI_STAGE, MemoryBackend, READER, RESPONDER, seeded};
use crate::{Served, count_testid, location};

async fn served() -> Served {
    Served::start(MemoryBackend::new(seeded(10))).await
}

#[tokio::test]
async fn unsigned_requests_are_sent_to_sign_in() {
    let served = served().await;
    let page = incident_path(MULTI_STAGE);
    for path in ["/", page.as_str(), "/sync"] {
        let response = served.get(None, path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let expected = format!("/sign-in?next={}", path.replace('/', "%2F"));
        assert_eq!(location(&response), expected);
    }
    let response = served
        .post(
            None,
            &format!("{page}/close"),
            &[("classification", "truePositive")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/sign-in"));
    assert_eq!(
        served.backend.stored(MULTI_STAGE).summary.status,
        "inProgress"
    );
}

#[tokio::test]
async fn an_unknown_session_cookie_is_not_accepted() {
    let served = served().await;
    let response = served.get(Some("tandem_xdr_session=forged"), "/").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cleared = response.headers()[SET_COOKIE].to_str().unwrap();
    assert!(
        cleared.starts_with("tandem_xdr_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );
}

#[tokio::test]
async fn sign_in_page_has_labelled_fields_and_rejects_wrong_secrets() {
    let served = served().await;
    let form = served
        .get(None, "/sign-in?next=%2Fsync")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains(r#"<label for="client-id">"#)
            && form.contains(r#"<label for="client-secret">"#)
    );
    assert!(form.contains(r#"name="next" value="/sync""#));

    let response = served
        .post(
            None,
            "/sign-in",
            &[
                ("client_id", RESPONDER.client_id),
                ("client_secret", "wrong"),
                ("next", "/"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().get(SET_COOKIE).is_none());
    assert_eq!(
        count_testid(&response.text().await.unwrap(), "sign-in-error"),
        1
    );
}

#[tokio::test]
async fn sign_in_returns_to_local_pages_only() {
    let served = served().await;
    for (next, expected) in [
        ("/sync", "/sync"),
        ("https://evil.example/", "/"),
        ("//evil.example", "/"),
    ] {
        let form = [
            ("client_id", RESPONDER.client_id),
            ("client_secret", RESPONDER.secret),
            ("next", next),
        ];
        let response = served.post(None, "/sign-in", &form).await;
        assert_eq!(location(&response), expected, "{next}");
    }
}

#[tokio::test]
async fn a_reader_sees_every_page_but_no_forms_and_cannot_post() {
    let served = served().await;
    let cookie = served.sign_in(&READER).await;
    let path = incident_path(MULTI_STAGE);
    let html = served.page(&cookie, &path).await;
    assert!(html.contains("Reader"));
    assert_eq!(
        count_testid(&html, "alert-row"),
        served.backend.stored(MULTI_STAGE).alerts.len()
    );
    for form in [
        "close-form",
        "assign-form",
        "status-form",
        "tag-form",
        "comment-form",
        "actions",
    ] {
        assert!(
            !html.contains(&format!(r#"id="{form}""#)),
            "{form} is hidden from readers"
        );
    }
    assert!(!html.contains("/untag"));
    served.page(&cookie, "/").await;

    served
        .post_actions(
            &cookie,
            &path,
            &[
                ("close", "classification", "truePositive"),
                ("comment", "text", "hi"),
                ("assign", "owner", ""),
            ],
            StatusCode::FORBIDDEN,
        )
        .await;
    let stored = served.backend.stored(MULTI_STAGE);
    assert_eq!(
        (stored.summary.status.as_str(), stored.comments.len()),
        ("inProgress", 1)
    );
}

#[tokio::test]
async fn a_responder_sees_the_action_forms() {
    let served = served().await;
    let cookie = served.sign_in(&RESPONDER).await;
    let html = served.page(&cookie, &incident_path(MULTI_STAGE)).await;
    for id in [
        "close-form",
        "close-classification",
        "close-determination",
        "close-comment",
        "close-submit",
        "comment-form",
    ] {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    for id in [
        "close-classification",
        "close-determination",
        "close-comment",
    ] {
        assert!(
            html.contains(&format!(r#"<label for="{id}">"#)),
            "{id} is labelled"
        );
    }
}

#[tokio::test]
async fn posts_from_another_origin_are_refused() {
    let served = served().await;
    let cookie = served.sign_in(&RESPONDER).await;
    let response = reqwest::Client::new()
        .post(format!(
            "{}{}/comment",
            served.base,
            incident_path(MULTI_STAGE)
        ))
        .header("cookie", &cookie)
        .header(ORIGIN, "http://evil.example")
        .form(&[("text", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(served.backend.stored(MULTI_STAGE).comments.len(), 1);
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let served = served().await;
    let cookie = served.sign_in(&RESPONDER).await;
    served.page(&cookie, "/").await;
    let response = served.post(Some(&cookie), "/sign-out", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/sign-in");
    assert_eq!(
        served.get(Some(&cookie), "/").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn assets_are_served_without_a_session() {
    let served = served().await;
    for (path, kind) in [
        ("/assets/console.css", "text/css"),
        ("/assets/console.js", "text/javascript"),
    ] {
        let response = served.get(None, path).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()[CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with(kind)
        );
        assert!(!response.text().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_session_cookie_is_secure_behind_an_https_proxy() {
    let served = served().await;
    for (proto, secure) in [("https", true), ("http", false)] {
        let response = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/sign-in", served.base))
            .header("x-forwarded-proto", proto)
            .form(&[
                ("client_id", READER.client_id),
                ("client_secret", READER.secret),
            ])
            .send()
            .await
            .unwrap();
        let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
        assert_eq!(cookie.contains("; Secure"), secure, "{proto}: {cookie}");
    }
}

#[tokio::test]
async fn pages_forbid_framing_and_foreign_scripts() {
    let served = served().await;
    let cookie = served.sign_in(&RESPONDER).await;
    for path in [
        "/sign-in".to_owned(),
        "/".to_owned(),
        incident_path(MULTI_STAGE),
    ] {
        let response = served.get(Some(&cookie), &path).await;
        let policy = response.headers()["content-security-policy"]
            .to_str()
            .unwrap();
        assert!(
            policy.contains("frame-ancestors 'none'"),
            "{path}: {policy}"
        );
        assert!(policy.contains("default-src 'self'"), "{path}: {policy}");
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}
