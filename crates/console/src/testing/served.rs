//! A console served on a loopback port, and a client that keeps no cookies of its own and follows no redirects,
//! so every test sees exactly what the console answers.

use std::sync::Arc;

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::{Response, StatusCode, redirect};

use super::backend::{App, MemoryBackend};

/// A console served on a loopback port.
pub struct Served {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The backend the console serves, to inspect after requests.
    pub backend: Arc<MemoryBackend>,
    client: reqwest::Client,
}

impl Served {
    /// Serves the console over `backend` on a free loopback port, until the runtime ends.
    pub async fn start(backend: MemoryBackend) -> Served {
        let backend = Arc::new(backend);
        let app = crate::router(Arc::clone(&backend));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a loopback port");
        let base = format!(
            "http://{}",
            listener.local_addr().expect("the bound address")
        );
        tokio::spawn(async move { axum::serve(listener, app).await.expect("serve the console") });
        let client = reqwest::Client::builder()
            .redirect(redirect::Policy::none())
            .build()
            .expect("an HTTP client");
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
            .expect("sign in");
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        let set_cookie = response.headers()[SET_COOKIE]
            .to_str()
            .expect("a text cookie");
        assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
        set_cookie.split(';').next().unwrap_or_default().to_owned()
    }

    /// GETs `path`, with the session `cookie` when given.
    pub async fn get(&self, cookie: Option<&str>, path: &str) -> Response {
        let mut request = self.client.get(format!("{}{path}", self.base));
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.expect("GET")
    }

    /// GETs a page that must answer 200 and returns its HTML.
    pub async fn page(&self, cookie: &str, path: &str) -> String {
        let response = self.get(Some(cookie), path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        response.text().await.expect("the page's HTML")
    }

    /// POSTs `form` to `path`, with the session `cookie` when given.
    pub async fn post(&self, cookie: Option<&str>, path: &str, form: &[(&str, &str)]) -> Response {
        let mut request = self.client.post(format!("{}{path}", self.base)).form(form);
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        request.send().await.expect("POST")
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
