//! Starting a Tandem server: open the data dir, load the identity and the TLS setup, mount the shared
//! routes next to the service's own, bind, write `credentials.env`, and run until shutdown.
//!
//! [`serve`] does it all for the CLI. Tests and `tandem demo` use the steps: [`Prepared::open`], then
//! [`Prepared::bind`] (port 0 works; the bound address comes back), then [`BoundServer::spawn`] or
//! [`BoundServer::run_until`] with their own shutdown future.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::auth::{AuthState, TokenVerifier};
use crate::canonical::{PathShape, canonicalize};
use crate::config::ServerConfig;
use crate::credentials::{CREDENTIALS_FILE, update_credentials};
use crate::datadir::DataDir;
use crate::error::{ApiError, ErrorStyle, ServerError};
use crate::identity::{AppPurpose, DevRoles, Identity};
use crate::metrics::{METRICS_CONTENT_TYPE, Metrics};
use crate::request::PeerAddr;
use crate::throttle::Throttle;
use crate::tls::{CA_CERT_KEY, ServerTls, TlsListener, listen_host};
use crate::token::TokenService;

/// What makes one service different from the other: its name, its URL key in `credentials.env`, its
/// error style, the token audiences it accepts and the roles of its development apps.
#[derive(Debug, Clone)]
pub struct ServiceSpec {
    /// Short name for logs: `xdr`, `siem`.
    pub name: &'static str,
    /// The `credentials.env` key that receives the server's URL.
    pub url_key: &'static str,
    /// The shape of error bodies.
    pub error_style: ErrorStyle,
    /// Token audiences the service accepts (and issues tokens for).
    pub audiences: Vec<String>,
    /// Roles of the two development apps.
    pub dev_roles: DevRoles,
    /// Path families whose fixed segments match ignoring case, as the real service's do.
    pub path_shapes: &'static [PathShape],
}

impl ServiceSpec {
    /// The XDR: Graph errors, `https://graph.microsoft.com` tokens, the security API's app roles.
    pub fn xdr() -> ServiceSpec {
        ServiceSpec {
            name: "xdr",
            url_key: "TANDEM_XDR_URL",
            error_style: ErrorStyle::Graph,
            audiences: vec!["https://graph.microsoft.com".into()],
            dev_roles: DevRoles::new(
                &[
                    "SecurityIncident.ReadWrite.All",
                    "SecurityAlert.ReadWrite.All",
                ],
                &["SecurityIncident.Read.All", "SecurityAlert.Read.All"],
            ),
            path_shapes: &[],
        }
    }

    /// The SIEM: ARM errors and tokens for ARM, Azure Monitor ingestion and Log Analytics queries. The
    /// development roles are placeholders the SIEM replaces with its own.
    pub fn siem() -> ServiceSpec {
        ServiceSpec {
            name: "siem",
            url_key: "TANDEM_SIEM_URL",
            error_style: ErrorStyle::Arm,
            audiences: vec![
                "https://management.azure.com".into(),
                "https://monitor.azure.com".into(),
                "https://api.loganalytics.io".into(),
            ],
            dev_roles: DevRoles::new(&["Siem.ReadWrite"], &["Siem.Read"]),
            path_shapes: &[],
        }
    }
}

/// The flags every server takes.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// `HOST:PORT` to listen on; port 0 picks a free port.
    pub listen: String,
    /// The data dir (created when missing).
    pub data_dir: PathBuf,
    /// The parsed `--config` file, or the default, with the TLS flags applied to its `tls` settings.
    pub config: ServerConfig,
}

/// A server whose data dir and identity are open, not yet listening. The service builds its router
/// from here (its store lives in [`Prepared::data_dir`]) and may add `credentials.env` keys.
#[derive(Debug)]
pub struct Prepared {
    options: ServerOptions,
    spec: ServiceSpec,
    data_dir: DataDir,
    identity: Identity,
    tls: Option<ServerTls>,
    extra_credentials: Vec<(String, String)>,
}

impl Prepared {
    /// Opens the data dir, loads (or creates) the identity and, with TLS on, the certificate (making
    /// the data dir's local CA on first use).
    pub fn open(options: ServerOptions, spec: ServiceSpec) -> Result<Prepared, ServerError> {
        let data_dir = DataDir::open(&options.data_dir)?;
        let identity =
            Identity::load_or_create(&data_dir, options.config.identity.as_ref(), &spec.dev_roles)?;
        let tls = ServerTls::prepare(
            &data_dir,
            spec.name,
            &options.config.tls,
            listen_host(&options.listen),
        )?;
        Ok(Prepared {
            options,
            spec,
            data_dir,
            identity,
            tls,
            extra_credentials: Vec::new(),
        })
    }

    /// The data dir.
    pub fn data_dir(&self) -> &DataDir {
        &self.data_dir
    }

    /// The tenant, apps and signing key.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The config file's contents (the default when there is none).
    pub fn config(&self) -> &ServerConfig {
        &self.options.config
    }

    /// The service's spec.
    pub fn spec(&self) -> &ServiceSpec {
        &self.spec
    }

    /// Adds a key to what this server writes into `credentials.env` (e.g. the SIEM's workspace id).
    pub fn add_credential(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.extra_credentials.push((key.into(), value.into()));
    }

    /// Binds the listen address (refusing plain HTTP off loopback unless allowed), mounts the shared
    /// routes beside `routes`, and writes `credentials.env` with the bound URL (and, with a certificate
    /// from the local CA, `TANDEM_CA_CERT`).
    pub async fn bind(self, routes: Router) -> Result<BoundServer, ServerError> {
        let listen = &self.options.listen;
        let listener = TcpListener::bind(listen)
            .await
            .map_err(|source| ServerError::Bind {
                listen: listen.clone(),
                source,
            })?;
        let addr = listener.local_addr().map_err(ServerError::Serve)?;
        self.options.config.tls.check_listen(listen, addr)?;
        self.check_configured_secrets(addr)?;
        let url = url_for(addr, self.tls.is_some());
        self.write_credentials(&url)?;
        let app = self.app(routes, &url);
        let listener = match &self.tls {
            Some(tls) => Transport::Tls(tls.listen(listener)?),
            None => Transport::Plain(listener),
        };
        tracing::info!(service = self.spec.name, %url, data_dir = %self.data_dir.root().display(), "listening");
        Ok(BoundServer {
            listener,
            app,
            shapes: self.spec.path_shapes,
            at: Listening {
                addr,
                url,
                credentials_file: self.data_dir.path(CREDENTIALS_FILE),
            },
        })
    }

    /// Writes this server's keys into `credentials.env`. `TANDEM_CA_CERT` names the local CA when it
    /// issued the certificate, and is removed when the operator brought the certificate.
    fn write_credentials(&self, url: &str) -> Result<(), ServerError> {
        let mut pairs = self.credentials(url);
        let mut remove = Vec::new();
        if let Some(tls) = &self.tls {
            match tls.ca_file() {
                Some(ca) => pairs.push((CA_CERT_KEY.to_owned(), ca.display().to_string())),
                None => remove.push(CA_CERT_KEY),
            }
        }
        update_credentials(&self.data_dir, &pairs, &remove)
    }

    /// Refuses configured client secrets shorter than [`MIN_SECRET_CHARS`] on an address other than
    /// loopback, and warns about them on loopback: a short secret can be guessed despite the
    /// failed-authentication throttle. Generated secrets are long and never trip this.
    fn check_configured_secrets(&self, addr: SocketAddr) -> Result<(), ServerError> {
        let Some(config) = &self.options.config.identity else {
            return Ok(());
        };
        for app in &config.apps {
            let length = app.client_secret.chars().count();
            if length >= MIN_SECRET_CHARS {
                continue;
            }
            if !addr.ip().is_loopback() {
                return Err(ServerError::Invalid(format!(
                    "config identity.apps client_secret of app '{}' holds {length} characters; off loopback a secret needs at least {MIN_SECRET_CHARS}",
                    app.client_id
                )));
            }
            tracing::warn!(
                client_id = app.client_id,
                length,
                "a configured client secret is shorter than {MIN_SECRET_CHARS} characters; use a longer one before serving beyond loopback"
            );
        }
        Ok(())
    }

    fn credentials(&self, url: &str) -> Vec<(String, String)> {
        let mut pairs = vec![
            (
                "TANDEM_TENANT_ID".to_owned(),
                self.identity.tenant_id().to_owned(),
            ),
            (self.spec.url_key.to_owned(), url.to_owned()),
        ];
        let apps = [
            (
                AppPurpose::ReadWrite,
                "TANDEM_CLIENT_ID",
                "TANDEM_CLIENT_SECRET",
            ),
            (
                AppPurpose::ReadOnly,
                "TANDEM_READER_CLIENT_ID",
                "TANDEM_READER_CLIENT_SECRET",
            ),
        ];
        for (purpose, id_key, secret_key) in apps {
            if let Some(app) = self.identity.app_for(purpose) {
                pairs.push((id_key.to_owned(), app.client_id.clone()));
                pairs.push((secret_key.to_owned(), app.client_secret.clone()));
            }
        }
        pairs.extend(self.extra_credentials.iter().cloned());
        pairs
    }

    fn app(&self, routes: Router, url: &str) -> Router {
        let style = self.spec.error_style;
        // Clients whose endpoint is set to this server ask for `{url}/.default`.
        let mut audiences = self.spec.audiences.clone();
        audiences.push(url.to_owned());
        let auth = Arc::new(AuthState {
            verifier: TokenVerifier::new(
                self.identity.signing_key().clone(),
                self.identity.tenant_id(),
                &audiences,
            ),
            throttle: self.options.config.throttle.map(Throttle::new),
            style,
        });
        let metrics = Arc::new(Metrics::default());
        let token = TokenService::new(self.identity.clone(), url, &audiences);
        let metrics_for_route = metrics.clone();
        let app = Router::new()
            .route("/healthz", get(|| async { Json(json!({"status": "ok"})) }))
            .route(
                "/metrics",
                get(move || async move {
                    (
                        [(CONTENT_TYPE, METRICS_CONTENT_TYPE)],
                        metrics_for_route.render(),
                    )
                }),
            )
            .merge(token.router())
            .merge(routes)
            .fallback(move || async move {
                ApiError::not_found(style, "No route matches the request path.")
            })
            .layer(Extension(auth))
            .layer(DefaultBodyLimit::max(MAX_REQUEST_BODY))
            .layer(axum::middleware::from_fn(move |request, next| {
                plain_errors_as_json(style, request, next)
            }))
            .layer(axum::middleware::from_fn_with_state(
                metrics,
                crate::request::observe,
            ));
        match self.tls {
            Some(_) => app.layer(axum::middleware::map_request(mark_https)),
            None => app,
        }
    }
}

/// The shortest configured client secret served beyond loopback.
pub const MIN_SECRET_CHARS: usize = 16;

/// The largest request body any route buffers, in bytes.
pub const MAX_REQUEST_BODY: usize = 2 * 1024 * 1024;

/// Middleware: an error that a layer below the services answered in plain text (axum's rejections:
/// a body over [`MAX_REQUEST_BODY`], a wrong content type, a wrong method) is rewritten in the
/// service's own JSON error shape, so clients parse every error alike.
async fn plain_errors_as_json(
    style: ErrorStyle,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !plain || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let message = if status == StatusCode::PAYLOAD_TOO_LARGE {
        format!("The request body is larger than the {MAX_REQUEST_BODY} bytes a request may carry.")
    } else {
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        String::from_utf8_lossy(&body).into_owned()
    };
    let code = match (style, status) {
        (ErrorStyle::Graph, s) if s.is_server_error() => "generalException",
        (ErrorStyle::Graph, _) => "invalidRequest",
        (ErrorStyle::Arm, StatusCode::PAYLOAD_TOO_LARGE) => "RequestEntityTooLarge",
        (ErrorStyle::Arm, StatusCode::UNSUPPORTED_MEDIA_TYPE) => "UnsupportedMediaType",
        (ErrorStyle::Arm, StatusCode::METHOD_NOT_ALLOWED) => "MethodNotAllowed",
        (ErrorStyle::Arm, s) if s.is_server_error() => "InternalServerError",
        (ErrorStyle::Arm, _) => "BadRequest",
    };
    ApiError::new(style, status, code, message).into_response()
}

/// Tells the services' link builders, which read `X-Forwarded-Proto` as they do behind a
/// TLS-terminating proxy, that this request arrived over HTTPS.
async fn mark_https(mut request: axum::extract::Request) -> axum::extract::Request {
    request
        .headers_mut()
        .insert("x-forwarded-proto", HeaderValue::from_static("https"));
    request
}

/// `http://HOST:PORT` (or `https://`) for a bound address; an unspecified host (`0.0.0.0`) becomes
/// loopback.
fn url_for(addr: SocketAddr, https: bool) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{addr}")
}

/// The bound socket: plain TCP, or TLS on top of it.
#[derive(Debug)]
enum Transport {
    Plain(TcpListener),
    Tls(TlsListener),
}

/// Where a server listens, from binding until it stops.
#[derive(Debug)]
struct Listening {
    addr: SocketAddr,
    url: String,
    credentials_file: PathBuf,
}

/// The accessors of [`Listening`] on a server type that keeps it in `at`.
macro_rules! listening_accessors {
    ($server:ty) => {
        impl $server {
            /// The bound address.
            pub fn local_addr(&self) -> SocketAddr {
                self.at.addr
            }

            /// `http://HOST:PORT`, or `https://HOST:PORT` with TLS.
            pub fn url(&self) -> &str {
                &self.at.url
            }

            /// The `credentials.env` written for this server.
            pub fn credentials_file(&self) -> &Path {
                &self.at.credentials_file
            }
        }
    };
}

listening_accessors!(BoundServer);
listening_accessors!(RunningServer);

/// A server that is listening but not yet answering.
#[derive(Debug)]
pub struct BoundServer {
    listener: Transport,
    app: Router,
    shapes: &'static [PathShape],
    at: Listening,
}

impl BoundServer {
    /// Answers requests until `shutdown` completes, then finishes in-flight requests and returns.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        Self::answer(self.listener, self.app, self.shapes, shutdown).await
    }

    /// Serves `app`, rewriting each path to its canonical spelling under `shapes` before routing.
    async fn answer(
        listener: Transport,
        app: Router,
        shapes: &'static [PathShape],
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let app = tower::ServiceExt::map_request(app, move |request| canonicalize(request, shapes));
        let service =
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
                PeerAddr,
            >(app);
        let served = match listener {
            Transport::Plain(listener) => {
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
            Transport::Tls(listener) => {
                axum::serve(listener, service)
                    .with_graceful_shutdown(shutdown)
                    .await
            }
        };
        served.map_err(ServerError::Serve)
    }

    /// Answers requests on a background task until the returned handle is stopped or dropped.
    pub fn spawn(self) -> RunningServer {
        let (stop, stopped) = oneshot::channel::<()>();
        let BoundServer {
            listener,
            app,
            shapes,
            at,
        } = self;
        let task = tokio::spawn(Self::answer(listener, app, shapes, async move {
            let _ = stopped.await;
        }));
        RunningServer {
            at,
            stop: Some(stop),
            task,
        }
    }
}

/// A server answering on a background task. Dropping it asks it to stop.
#[derive(Debug)]
pub struct RunningServer {
    at: Listening,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), ServerError>>,
}

impl RunningServer {
    /// Stops the server and waits for it to finish.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match (&mut self.task).await {
            Ok(result) => result,
            Err(join) => Err(ServerError::Serve(std::io::Error::other(join))),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Runs a service the way the CLI does: open, bind, answer until Ctrl-C or SIGTERM.
pub async fn serve(
    options: ServerOptions,
    spec: ServiceSpec,
    routes: Router,
) -> Result<(), ServerError> {
    Prepared::open(options, spec)?
        .bind(routes)
        .await?
        .run_until(shutdown_signal())
        .await
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
