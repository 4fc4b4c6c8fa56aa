//! `tandem xdr`: the XDR incident service.
//!
//! Takes alerts from endpoint, identity, email and cloud-app detectors, correlates them into incidents by
//! shared entities, and serves both over a Microsoft Graph security API compatible REST API.
//!
//! [`routes`] builds the service's router from a [`tandem_server::Prepared`] server (its data dir,
//! tenant and config); `tandem_server` adds the token endpoint, token checks, throttling and health.

pub mod api;
pub mod batch;
pub mod clock;
pub mod console;
pub mod correlation;
pub mod entities;
pub mod intake;
pub mod queries;
pub mod service;
pub mod shape;
pub mod store;
pub mod updates;

use std::sync::Arc;

use tandem_server::{Prepared, Router, ServerError};

pub use service::{Invalid, Xdr, XdrConfig, XdrError};
pub use store::{Store, StoreError};

/// The database file under the data dir.
pub const DATABASE_FILE: &str = "xdr.sqlite";

/// Why the XDR could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The `[xdr]` config section is invalid.
    #[error(transparent)]
    Config(#[from] ServerError),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens the XDR's database under the server's data dir and builds its routes: the Graph API, the
/// alert intake and the web console.
pub fn routes(server: &Prepared) -> Result<Router, StartError> {
    let config: XdrConfig = server.config().section("xdr")?.unwrap_or_default();
    let store = Store::open(&server.data_dir().path(DATABASE_FILE))?;
    let xdr = Xdr::new(store, server.identity().tenant_id(), &config);
    let state = Arc::new(service::AppState {
        xdr,
        public_url: config.public_url,
        identity: server.identity().clone(),
    });
    let console = console::XdrConsole::new(
        state.clone(),
        server.identity().clone(),
        config.siem_console_url,
    );
    Ok(api::router(state).merge(tandem_console::router(Arc::new(console))))
}
