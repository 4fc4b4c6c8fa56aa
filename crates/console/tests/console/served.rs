//! A console served on a loopback port, and a client that keeps no cookies of its own and follows no redirects,
//! so every test sees exactly what the console answers.

use std::sync::Arc;

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode, redirect};

use crate::backend::{App, MemoryBackend};

/// A console served on a loopback port.
pub struct Served {
    pub base: String,
    pub backend: Arc<MemoryBackend>,
    client: reqwest::Client,
}

impl Served {
    pub async fn start(backend: MemoryBackend) -> Served {
        let backend = Arc::new(backend);
        let app = tandem_console::router(Arc::clone(&backend));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .unwrap();
        Served {
            base,
            backend,
            client,
        }
    }

    /// Signs in as an app and returns the `Cookie` header value that carries the session.
    pub async fn sign_in(&self, app: &App) -> String {
        let response = self
            .client
            .post(format!("{}/sign-in", self.base))
            .form(&[
                ("client_id", app.client_id),
                ("client_secret", app.secret),
                ("next", "/"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let set_cookie = response.headers()[SET_COOKIE].to_str().unwrap();
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        set_cookie.split(';').next().unwrap().to_owned()
    }

    pub async fn get(&self, cookie: Option<&str>, path: &str) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// GETs a page that must answer 200 and returns its HTML.
    pub async fn page(&self, cookie: &str, path: &str) -> String {
        let response = self.get(Some(cookie), path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.unwrap()
    }

    pub async fn post(&self, cookie: Option<&str>, path: &str, form: &[(&str, &str)]) -> Response {
        let mut request = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.unwrap()
    }

    /// Posts each `(action, field, value)` form to `{incident}/{action}` and checks each is answered with
    /// `expected`; a failure names the action.
    pub async fn post_actions(
        &self,
        cookie: &str,
        incident: &str,
        actions: &[(&str, &str, &str)],
        expected: StatusCode,
    ) {
        for (action, field, value) in actions {
            let response = self
                .post(
                    Some(cookie),
                    &format!("{incident}/{action}"),
                    &[(field, value)],
                )
                .await;
            assert_eq!(response.status(), expected, "{action}");
        }
    }
}
