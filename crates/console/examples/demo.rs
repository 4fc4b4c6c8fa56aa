//! A console to look at and click through without an XDR or a SIEM: the in-memory backend of `tandem_console::testing` with
//! 2,000 incidents, the multi-stage incident and a sync health report.
//!
//! `cargo run -p tandem-console --example demo -- 127.0.0.1:8080`, then sign in as `responder-app` /
//! `responder-secret` (may write) or `reader-app` / `reader-secret` (may only read).

use std::sync::Arc;

use tandem_console::testing::MemoryBackend;
use tandem_console::testing::backend::{READER, RESPONDER, sample_health, seeded};

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:8080".into());
    let backend = MemoryBackend::new(seeded(2_000)).with_sync_health(sample_health());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("console on http://{}", listener.local_addr()?);
    for app in [RESPONDER, READER] {
        println!(
            "  sign in as {} / {} ({})",
            app.client_id, app.secret, app.display_name
        );
    }
    axum::serve(listener, tandem_console::router(Arc::new(backend))).await
}
