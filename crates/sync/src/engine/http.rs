//! The connector's own HTTP endpoint: `/healthz`, `/metrics` (Prometheus text) and `/status` (JSON, the
//! shape of the SIEM console's sync health page).

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::TcpListener;

use super::{Connector, status as report};

/// The Prometheus text format's content type.
const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The routes over a running connector.
pub fn router(connector: Arc<Connector>) -> Router {
    Router::new()
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/metrics", get(metrics))
        .route("/status", get(status))
        .with_state(connector)
}

/// Serves the routes on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    connector: Arc<Connector>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(connector))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn metrics(State(connector): State<Arc<Connector>>) -> Response {
    (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        connector.render_metrics(),
    )
        .into_response()
}

async fn status(State(connector): State<Arc<Connector>>) -> Response {
    match report::read(connector.store()).await {
        Ok(status) => axum::Json(status).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
