//! `tandem siem`: the SIEM workspace.
//!
//! Takes rows in through a Logs Ingestion API compatible intake, keeps the `SecurityIncident`,
//! `SecurityAlert` and custom tables, serves incidents over a Microsoft Sentinel compatible ARM API, and
//! answers queries in a subset of KQL.
//!
//! - [`service`]: the state every part shares (store, workspace, apps), roles and audiences.
//! - [`api`]: the HTTP routes ([`routes`] opens the SIEM and mounts them, with the console, in a
//!   server opened with [`service_spec`]).
//! - [`ingest`]: streams to tables, body limits, typed all-or-nothing batches.
//! - [`console`]: the web console at the server's root (queue, incident page, actions, sync health).
//! - [`incidents`]: incident, comment and relation rules (etags, history rows, alerts via relations).
//! - [`kql`]: the query language subset (lexer, parser, planner, evaluator).
//! - [`store`]: the SQLite database (WAL) under the data dir; [`schema`] and [`tables`] describe the
//!   tables; [`workspace`] the workspace's ids and the `[siem]` config section.

pub mod api;
pub mod console;
pub mod incidents;
pub mod ingest;
pub mod kql;
pub mod schema;
pub mod service;
pub mod store;
pub mod tables;
pub mod workspace;

pub use service::{SiemError, service_spec};

use std::sync::Arc;

use tandem_server::{Prepared, Router};

use crate::console::{SiemConsole, SyncStatusSource};
use crate::service::{DATABASE_FILE, Siem};
use crate::store::Store;
use crate::workspace::{SiemConfig, Workspace};

/// Opens the SIEM inside a prepared server: the database under the data dir, the workspace from the
/// tenant and the `[siem]` config section, the workspace's keys added to `credentials.env`. Returns
/// the routes to mount: the APIs and, at the root, the web console ([`crate::console`]).
pub fn routes(prepared: &mut Prepared) -> Result<Router, SiemError> {
    let config: SiemConfig = prepared.config().section("siem")?.unwrap_or_default();
    let rule_budget = config.rule_budget().map_err(SiemError::Invalid)?;
    let sync_status = config
        .sync_status_url
        .as_deref()
        .map(SyncStatusSource::new)
        .transpose()
        .map_err(SiemError::Invalid)?;
    let workspace = Workspace::new(prepared.identity().tenant_id(), config);
    let store = Store::open(&prepared.data_dir().path(DATABASE_FILE))?;
    for table in crate::tables::builtin() {
        store.ensure_table(&table)?;
    }
    for (key, value) in workspace.credentials() {
        prepared.add_credential(key, value);
    }
    let app_names = prepared
        .identity()
        .apps()
        .iter()
        .map(|app| (app.client_id.clone(), app.display_name.clone()))
        .collect();
    let data_dir = prepared.data_dir().clone();
    let siem = Arc::new(Siem::new(
        store,
        workspace,
        app_names,
        data_dir,
        rule_budget,
    ));
    let console = SiemConsole::new(siem.clone(), prepared.identity().clone(), sync_status);
    Ok(api::router(siem).merge(tandem_console::router(Arc::new(console))))
}
