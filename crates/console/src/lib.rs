//! The web consoles of Tandem: where SOC analysts triage, investigate and close incidents.
//!
//! `tandem xdr` and `tandem siem` each serve a console beside their API. Both consoles are this crate: a server
//! implements [`ConsoleBackend`] over its own store and identities, builds a [`router`] from it, and merges that
//! router at the root of its server. The pages are:
//!
//! | route | page |
//! | --- | --- |
//! | `GET /` | the incident queue: counts by status and severity, filters, search, sort and paging |
//! | `GET /incidents/{id}` | one incident: header, actions, timeline, alerts, entities, comments, history |
//! | `POST /incidents/{id}/{action}` | `assign`, `status`, `close`, `tag`, `untag` or `comment` (writers only) |
//! | `GET /sync` | the connector's health, where the backend has it |
//! | `GET /sign-in`, `POST /sign-in`, `POST /sign-out` | sessions from an app registration's client id and secret |
//! | `GET /assets/console.css`, `GET /assets/console.js` | the stylesheet and script, embedded in the binary |
//!
//! Pages are rendered on the server with [minijinja] from templates compiled into the binary, and work without
//! any script. `console.js` is a small script of Tandem's own that adds partial page updates the way htmx does
//! (forms and links marked with `data-target` fetch their page and swap one element in place). It stands in for
//! htmx because no crate ships htmx's script as bytes without a whole web framework around it, and a console
//! that runs offline cannot download it at build time; the few behaviours the consoles use fit in a page of
//! plain JavaScript.
//!
//! Backends keep their sessions in a [`SessionTable`] and check secrets against their own identity. They count
//! incidents with a `GROUP BY` in their store and hand the groups to [`Counts::from_groups`], build evidence with
//! [`EntityView::new`] and [`EntityView::distinct`], and refuse readers' changes with [`Caller::require_writer`].
//!
//! A server mounts the console with `api_router.merge(tandem_console::router(backend))` once its API router
//! has its state; the console claims only the paths above and sets no fallback. An incident's page in the other
//! console is that console's base URL followed by [`incident_path`]; backends put it in [`TwinLink::url`].
//!
//! Browser tests find their way by stable hooks: on the sign-in page `#client-id`, `#client-secret` and
//! `#sign-in-submit`; on the queue `#filter-q`, `#filter-status`, `#filter-severity`, `#filter-owner`,
//! `#filter-unassigned`, `#filter-provider`, `#filter-sort`, `#filter-apply`, rows
//! `[data-testid=incident-row]` with `data-incident-id`, their `[data-testid=incident-link]`, and
//! `#queue-next` / `#queue-prev`; on the incident page `#incident-title`, `[data-testid=incident-status]`,
//! `[data-testid=alert-row]`, `[data-testid=entity]` with `data-kind`, `[data-testid=comment]`,
//! `[data-testid=twin-link]`, the timeline's `[data-testid=timeline-mark]`, and the close form's
//! `#close-classification`, `#close-determination`, `#close-comment` and `#close-submit`; on the sync health
//! page `[data-testid=sync-direction]`, `[data-testid=conflict-row]`, `[data-testid=quarantine-row]` and, when
//! the connector cannot be read, `[data-testid=sync-unreachable]`.
//!
//! Pages carry a strict content security policy (scripts only from the console, no `eval`, no framing), so a
//! browser test waits with locators rather than with script strings evaluated in the page.
//!
//! Every page requires a session. A session's caller either may write (action forms shown, `POST`s accepted) or
//! only read (no action forms, `POST`s answered with 403). `POST`s whose `Origin` is another host are refused.

mod actions;
mod assets;
mod backend;
mod pages;
mod render;
mod session;
mod sessions;
mod svg;
mod text;
mod view;

#[cfg(feature = "testing")]
pub mod testing;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

pub use backend::{ConsoleBackend, ConsoleError, ConsoleResult};
pub use sessions::SessionTable;
pub use view::{
    Action, AlertView, Caller, ChangeView, Choice, CommentView, ConflictView, ConsoleProfile,
    Count, Counts, DirectionHealth, EntityKind, EntityView, IncidentDetail, IncidentPage,
    IncidentQuery, IncidentSummary, LagSample, OwnerFilter, QuarantineView, Session, Severity,
    SortOrder, SyncHealth, TimelineEvent, TimelineKind, TwinLink, Vocabulary,
};

/// The state every console handler shares: the backend.
struct Console<B> {
    backend: Arc<B>,
}

impl<B> Clone for Console<B> {
    fn clone(&self) -> Self {
        Console {
            backend: Arc::clone(&self.backend),
        }
    }
}

/// Builds the console's router over a backend. Merge it at the root of the server, beside the API routes.
pub fn router<B: ConsoleBackend>(backend: Arc<B>) -> Router {
    Router::new()
        .route("/", get(pages::queue::<B>))
        .route("/incidents/{id}", get(pages::incident::<B>))
        .route("/incidents/{id}/{action}", post(actions::apply::<B>))
        .route("/sync", get(pages::sync_health::<B>))
        .route(
            "/sign-in",
            get(session::sign_in_page::<B>).post(session::sign_in::<B>),
        )
        .route("/sign-out", post(session::sign_out::<B>))
        .route("/assets/console.css", get(assets::stylesheet))
        .route("/assets/console.js", get(assets::script))
        .with_state(Console { backend })
}

/// Characters kept as they are in a path segment; everything else is percent-encoded.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The path of an incident's page, relative to the console's root: `/incidents/{id}`, with the id
/// percent-encoded. The other side uses it to build [`TwinLink::url`].
pub fn incident_path(id: &str) -> String {
    format!("/incidents/{}", utf8_percent_encode(id, SEGMENT))
}
