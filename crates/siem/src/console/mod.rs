//! The SIEM's web console: [`tandem_console`]'s pages over the SIEM's own store, so that an incident's
//! `incidentUrl` (`{TANDEM_SIEM_URL}/incidents/{name}`) opens a real incident page.
//!
//! Analysts sign in with an app registration's client id and secret, the same apps and roles as the
//! incidents API: [`RESPONDER_ROLE`] may act, [`READER_ROLE`] sees every page and changes nothing, any other
//! app is refused. Actions go through [`Incidents`], the code behind the ARM API, so each one appends exactly
//! one `SecurityIncident` history row and gives the incident a new etag.
//!
//! The console speaks Sentinel: statuses `New`, `Active`, `Closed`; classifications `TruePositive`,
//! `BenignPositive`, `FalsePositive`, `Undetermined`; classification reasons `SuspiciousActivity`,
//! `SuspiciousButExpected`, `IncorrectAlertLogic`, `InaccurateData` (the console's "determination"). A reason
//! must fit its classification as in Sentinel's portal ([`actions`]); `Undetermined` takes none.
//!
//! - [`views`]: incidents, alert rows, history rows and comments as the console's view types.
//! - [`actions`]: the console's actions as incident changes.
//! - [`sync_status`]: the connector's `/status`, read for the sync health page.

pub mod actions;
pub mod sync_status;
pub mod views;

use std::sync::Arc;

use tandem_console::{
    Action, Caller, Choice, ConsoleBackend, ConsoleError, ConsoleProfile, ConsoleResult, Counts,
    IncidentDetail, IncidentPage, IncidentQuery, Session, SessionTable, SyncHealth, Vocabulary,
};
use tandem_model::mapping::Provider;
use tandem_server::Identity;

use crate::incidents::{Actor, IncidentError, Incidents, PROVIDER_NAME};
use crate::service::{READER_ROLE, RESPONDER_ROLE, Siem};

pub use sync_status::SyncStatusSource;

/// The SIEM's [`ConsoleBackend`].
#[derive(Debug)]
pub struct SiemConsole {
    siem: Arc<Siem>,
    identity: Identity,
    profile: ConsoleProfile,
    sessions: SessionTable,
    sync_status: Option<SyncStatusSource>,
}

impl SiemConsole {
    /// A console over `siem`, signing in the apps of `identity`; with a sync health page when the
    /// connector's status endpoint is known.
    pub fn new(
        siem: Arc<Siem>,
        identity: Identity,
        sync_status: Option<SyncStatusSource>,
    ) -> SiemConsole {
        SiemConsole {
            siem,
            identity,
            profile: profile(sync_status.is_some()),
            sessions: SessionTable::shift(),
            sync_status,
        }
    }

    /// Runs incident work on a blocking thread, over the same [`Incidents`] as the ARM API.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Incidents<'_>) -> Result<T, IncidentError> + Send + 'static,
    ) -> ConsoleResult<T> {
        let siem = Arc::clone(&self.siem);
        tokio::task::spawn_blocking(move || {
            // The base of new incidents' links; the console only changes incidents, so it may be unknown.
            let url = siem.known_url().unwrap_or_default();
            work(&Incidents::new(&siem.store, &siem.workspace, &url))
        })
        .await
        .map_err(ConsoleError::store)?
        .map_err(console_error)
    }

    /// The app a signed-in caller stands for: the first whose display name is theirs.
    fn actor(&self, caller: &Caller) -> Actor {
        let app_id = self
            .identity
            .apps()
            .iter()
            .find(|app| self.siem.app_name(&app.client_id) == caller.display_name)
            .map_or_else(|| caller.display_name.clone(), |app| app.client_id.clone());
        Actor {
            app_id,
            name: caller.display_name.clone(),
        }
    }
}

/// The product sources the queue's source filter offers: the `providerName` of incidents the connector
/// brings from Tandem's XDR or from Microsoft Defender XDR, and of those created through the API.
fn providers() -> Vec<Choice> {
    [
        Provider::tandem().name,
        Provider::microsoft().name,
        PROVIDER_NAME.to_owned(),
    ]
    .into_iter()
    .map(|name| Choice::new(name.clone(), name))
    .collect()
}

fn profile(has_sync_health: bool) -> ConsoleProfile {
    let choices = |pairs: &[(&str, &str)]| pairs.iter().map(|(v, l)| Choice::new(*v, *l)).collect();
    ConsoleProfile {
        product: "Tandem SIEM".into(),
        slug: "siem".into(),
        twin_product: "Tandem XDR".into(),
        has_sync_health,
        vocabulary: Vocabulary {
            statuses: choices(&[("New", "New"), ("Active", "Active"), ("Closed", "Closed")]),
            classifications: choices(&[
                ("TruePositive", "True positive"),
                ("BenignPositive", "Benign positive"),
                ("FalsePositive", "False positive"),
                ("Undetermined", "Undetermined"),
            ]),
            determinations: choices(&[
                ("SuspiciousActivity", "Suspicious activity (true positive)"),
                (
                    "SuspiciousButExpected",
                    "Suspicious but expected (benign positive)",
                ),
                (
                    "IncorrectAlertLogic",
                    "Incorrect alert logic (false positive)",
                ),
                ("InaccurateData", "Inaccurate data (false positive)"),
            ]),
            providers: providers(),
            close_verb: "Close".into(),
        },
    }
}

impl ConsoleBackend for SiemConsole {
    fn profile(&self) -> &ConsoleProfile {
        &self.profile
    }

    async fn sign_in(&self, client_id: &str, client_secret: &str) -> ConsoleResult<Session> {
        let app = self
            .identity
            .authenticate(client_id, client_secret)
            .map_err(|failure| ConsoleError::sign_in_failed(failure.retry_after_secs()))?;
        let has = |role: &str| app.roles.iter().any(|r| r == role);
        if !has(READER_ROLE) && !has(RESPONDER_ROLE) {
            return Err(ConsoleError::Forbidden(format!(
                "the app {client_id} has neither the {READER_ROLE} nor the {RESPONDER_ROLE} role"
            )));
        }
        self.sessions.open(Caller {
            display_name: self.siem.app_name(client_id),
            can_write: has(RESPONDER_ROLE),
        })
    }

    async fn verify_session(&self, token: &str) -> ConsoleResult<Option<Caller>> {
        self.sessions.verify(token)
    }

    async fn sign_out(&self, token: &str) -> ConsoleResult<()> {
        self.sessions.close(token)
    }

    async fn list_incidents(&self, query: &IncidentQuery) -> ConsoleResult<IncidentPage> {
        let query = query.clone();
        let (incidents, total) = self.run(move |api| api.queue_page(&query)).await?;
        Ok(IncidentPage {
            items: incidents.iter().map(views::summary).collect(),
            total,
        })
    }

    async fn counts(&self) -> ConsoleResult<Counts> {
        let counts = self.run(|api| api.queue_counts()).await?;
        Ok(Counts::from_groups(
            &self.profile.vocabulary,
            counts.by_status,
            counts.by_severity,
        ))
    }

    async fn incident(&self, id: &str) -> ConsoleResult<Option<IncidentDetail>> {
        let name = id.to_owned();
        let siem = Arc::clone(&self.siem);
        let found = self
            .run(move |api| {
                let incident = api.get(&name)?;
                let alerts = api.alert_rows(&name)?;
                let history = api.history(&name)?;
                let comments = api.comments(&name)?;
                let own =
                    |writer: &str| siem.app_names.keys().any(|id| siem.app_name(id) == writer);
                Ok(views::detail(&incident, &alerts, &history, &comments, own))
            })
            .await;
        match found {
            Ok(detail) => Ok(Some(detail)),
            Err(ConsoleError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }

    async fn apply(&self, caller: &Caller, id: &str, action: Action) -> ConsoleResult<()> {
        caller.require_writer()?;
        let change = actions::IncidentChange::from_action(action)?;
        let (name, actor) = (id.to_owned(), self.actor(caller));
        self.run(move |api| change.apply(api, &name, &actor))
            .await
            .map_err(|error| match error {
                ConsoleError::NotFound(_) => ConsoleError::NotFound(id.to_owned()),
                other => other,
            })
    }

    fn determination_label(&self) -> &str {
        "Classification reason"
    }

    async fn sync_health(&self) -> ConsoleResult<Option<SyncHealth>> {
        match &self.sync_status {
            Some(source) => Ok(Some(source.read().await)),
            None => Ok(None),
        }
    }
}

fn console_error(error: IncidentError) -> ConsoleError {
    match error {
        IncidentError::NotFound(message) => ConsoleError::NotFound(message),
        IncidentError::Conflict(message) | IncidentError::PreconditionFailed(message) => {
            ConsoleError::Conflict(message)
        }
        IncidentError::BadRequest(message) => invalid_member(&message),
        IncidentError::Store(error) => ConsoleError::store(error),
    }
}

/// A refused change as a form error: the API's messages start with the member (`properties.status: …`).
fn invalid_member(message: &str) -> ConsoleError {
    let (member, reason) = message.split_once(": ").unwrap_or(("incident", message));
    let field = member.trim_start_matches("properties.");
    ConsoleError::invalid(field, "", reason)
}
