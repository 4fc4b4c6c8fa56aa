//! The tenant, its app registrations and the token signing key, kept in `DIR/identity.json`.
//!
//! Without a config file, a server's first start creates a development tenant with two apps, one
//! read-write and one read-only, whose roles the service chooses ([`DevRoles`]). Later starts reuse the
//! file; when another service shares the data dir, its roles are added to the same two apps, so one set
//! of credentials works against every server in the dir.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SecureRandom as _;
use serde::{Deserialize, Serialize};

use crate::config::IdentityConfig;
use crate::datadir::DataDir;
use crate::error::ServerError;
use crate::jwt::SigningKey;
use crate::lockout::CredentialThrottle;
use crate::request::current_peer;

/// The file name inside the data dir.
pub const IDENTITY_FILE: &str = "identity.json";

/// What a development app is for; decides which `credentials.env` keys it is written under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AppPurpose {
    /// `TANDEM_CLIENT_ID` / `TANDEM_CLIENT_SECRET`.
    ReadWrite,
    /// `TANDEM_READER_CLIENT_ID` / `TANDEM_READER_CLIENT_SECRET`.
    ReadOnly,
}

impl AppRegistration {
    /// Whether `given` is this app's client secret, compared in time independent of where they differ.
    pub fn has_secret(&self, given: &str) -> bool {
        let (given, expected) = (given.as_bytes(), self.client_secret.as_bytes());
        given.len() == expected.len()
            && given
                .iter()
                .zip(expected)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }
}

/// An app registration: a client that may fetch tokens, with the app roles its tokens carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppRegistration {
    /// The application (client) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: String,
    /// A name for logs and listings.
    #[serde(default)]
    pub display_name: String,
    /// App roles, e.g. `SecurityIncident.ReadWrite.All`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Which `credentials.env` keys the app is written under, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purpose: Option<AppPurpose>,
}

/// The roles a service grants its two development apps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevRoles {
    /// Roles of the read-write app.
    pub read_write: Vec<String>,
    /// Roles of the read-only app.
    pub read_only: Vec<String>,
}

impl DevRoles {
    /// Roles from string slices.
    pub fn new(read_write: &[&str], read_only: &[&str]) -> DevRoles {
        let owned = |roles: &[&str]| roles.iter().map(|r| (*r).to_owned()).collect();
        DevRoles {
            read_write: owned(read_write),
            read_only: owned(read_only),
        }
    }

    fn for_purpose(&self, purpose: AppPurpose) -> &[String] {
        match purpose {
            AppPurpose::ReadWrite => &self.read_write,
            AppPurpose::ReadOnly => &self.read_only,
        }
    }
}

/// A tenant, its apps and the key its tokens are signed with.
#[derive(Debug, Clone)]
pub struct Identity {
    tenant_id: String,
    apps: Vec<AppRegistration>,
    key: Arc<SigningKey>,
    throttle: Arc<CredentialThrottle>,
}

/// Why a client id and secret did not authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No app has this client id.
    UnknownClient,
    /// The app exists and the secret is not its secret.
    BadSecret,
    /// Too many failures from this address (or against this app): try again after this many whole
    /// seconds (at least one).
    Throttled(u64),
}

impl AuthFailure {
    /// Whole seconds to wait before trying again, when the caller is locked out.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AuthFailure::Throttled(secs) => Some(*secs),
            AuthFailure::UnknownClient | AuthFailure::BadSecret => None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct IdentityFile {
    tenant_id: String,
    /// PKCS#8, standard base64.
    signing_key: String,
    apps: Vec<AppRegistration>,
}

impl Identity {
    /// Loads `identity.json` (creating it on first start). A configured identity replaces the tenant and
    /// apps; otherwise the development apps are created or given any of `dev_roles` they lack.
    pub fn load_or_create(
        dir: &DataDir,
        configured: Option<&IdentityConfig>,
        dev_roles: &DevRoles,
    ) -> Result<Identity, ServerError> {
        let _guard = dir.lock()?;
        let mut identity = match Identity::read(dir)? {
            Some(identity) => identity,
            None => Identity::development(SigningKey::generate()?)?,
        };
        match configured {
            Some(config) => {
                identity.tenant_id.clone_from(&config.tenant_id);
                identity.apps.clone_from(&config.apps);
            }
            None => identity.grant_dev_roles(dev_roles)?,
        }
        identity.write(dir)?;
        Ok(identity)
    }

    /// The tenant id.
    pub fn tenant_id(&self) -> &str {
        &self.tenant_id
    }

    /// Every app registration.
    pub fn apps(&self) -> &[AppRegistration] {
        &self.apps
    }

    /// The app with this client id.
    pub fn app(&self, client_id: &str) -> Option<&AppRegistration> {
        self.apps.iter().find(|a| a.client_id == client_id)
    }

    /// The app with this client id if `client_secret` is its secret: how the token endpoint and the
    /// consoles sign an app in. Failures count against the caller's address and the app in the
    /// [`CredentialThrottle`]; a locked caller is refused before the secret is compared.
    pub fn authenticate(
        &self,
        client_id: &str,
        client_secret: &str,
    ) -> Result<&AppRegistration, AuthFailure> {
        let peer = current_peer();
        if let Some(wait) = self.throttle.locked_for(client_id, peer) {
            return Err(AuthFailure::Throttled(
                wait.as_secs_f64().ceil().max(1.0) as u64
            ));
        }
        let app = self.app(client_id);
        match app.filter(|app| app.has_secret(client_secret)) {
            Some(app) => {
                self.throttle.record_success(client_id, peer);
                Ok(app)
            }
            None => {
                self.throttle.record_failure(client_id, app.is_some(), peer);
                Err(if app.is_some() {
                    AuthFailure::BadSecret
                } else {
                    AuthFailure::UnknownClient
                })
            }
        }
    }

    /// The display name of app `client_id` (comment authors, change history), or the id itself when
    /// the app is unknown or unnamed.
    pub fn display_name(&self, client_id: &str) -> String {
        self.app(client_id)
            .map(|app| app.display_name.as_str())
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(client_id)
            .to_owned()
    }

    /// The first app with this purpose.
    pub fn app_for(&self, purpose: AppPurpose) -> Option<&AppRegistration> {
        self.apps.iter().find(|a| a.purpose == Some(purpose))
    }

    /// The token signing key.
    pub fn signing_key(&self) -> &Arc<SigningKey> {
        &self.key
    }

    fn development(key: SigningKey) -> Result<Identity, ServerError> {
        let app = |name: &str, purpose| -> Result<AppRegistration, ServerError> {
            Ok(AppRegistration {
                client_id: uuid::Uuid::new_v4().to_string(),
                client_secret: random_secret()?,
                display_name: name.to_owned(),
                roles: Vec::new(),
                purpose: Some(purpose),
            })
        };
        Ok(Identity {
            tenant_id: uuid::Uuid::new_v4().to_string(),
            apps: vec![
                app("Tandem development app (read-write)", AppPurpose::ReadWrite)?,
                app("Tandem development app (read-only)", AppPurpose::ReadOnly)?,
            ],
            key: Arc::new(key),
            throttle: Arc::default(),
        })
    }

    fn grant_dev_roles(&mut self, dev_roles: &DevRoles) -> Result<(), ServerError> {
        for purpose in [AppPurpose::ReadWrite, AppPurpose::ReadOnly] {
            let Some(app) = self.apps.iter_mut().find(|a| a.purpose == Some(purpose)) else {
                return Err(ServerError::Invalid(format!(
                    "{IDENTITY_FILE}: no app with purpose {purpose:?}; remove the file to start over"
                )));
            };
            for role in dev_roles.for_purpose(purpose) {
                if !app.roles.contains(role) {
                    app.roles.push(role.clone());
                }
            }
        }
        Ok(())
    }

    fn read(dir: &DataDir) -> Result<Option<Identity>, ServerError> {
        let Some(text) = dir.read(IDENTITY_FILE)? else {
            return Ok(None);
        };
        let path = dir.path(IDENTITY_FILE);
        let file: IdentityFile =
            serde_json::from_str(&text).map_err(|source| ServerError::Json { path, source })?;
        let pkcs8 = STANDARD.decode(&file.signing_key).map_err(|e| {
            ServerError::Key(format!("{IDENTITY_FILE} signing_key is not base64: {e}"))
        })?;
        Ok(Some(Identity {
            tenant_id: file.tenant_id,
            apps: file.apps,
            key: Arc::new(SigningKey::from_pkcs8(&pkcs8)?),
            throttle: Arc::default(),
        }))
    }

    fn write(&self, dir: &DataDir) -> Result<(), ServerError> {
        let file = IdentityFile {
            tenant_id: self.tenant_id.clone(),
            signing_key: STANDARD.encode(self.key.pkcs8()),
            apps: self.apps.clone(),
        };
        let path = dir.path(IDENTITY_FILE);
        let text = serde_json::to_vec_pretty(&file)
            .map_err(|source| ServerError::Json { path, source })?;
        dir.write_atomic(IDENTITY_FILE, &text)
    }
}

/// A 40-character client secret (30 random bytes, base64url).
fn random_secret() -> Result<String, ServerError> {
    let mut bytes = [0u8; 30];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| ServerError::Key("no system randomness".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_load_reuses_and_a_second_service_adds_its_roles() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let xdr = DevRoles::new(&["X.ReadWrite"], &["X.Read"]);
        let first = Identity::load_or_create(&dir, None, &xdr).unwrap();
        let again = Identity::load_or_create(&dir, None, &xdr).unwrap();
        assert_eq!(first.tenant_id(), again.tenant_id());
        assert_eq!(first.apps(), again.apps());
        assert_eq!(first.signing_key().kid(), again.signing_key().kid());

        let siem = DevRoles::new(&["S.Write"], &["S.Read"]);
        let shared = Identity::load_or_create(&dir, None, &siem).unwrap();
        let writer = shared.app_for(AppPurpose::ReadWrite).unwrap();
        assert_eq!(
            writer.roles,
            vec!["X.ReadWrite".to_owned(), "S.Write".to_owned()]
        );
        assert_eq!(
            writer.client_id,
            first.app_for(AppPurpose::ReadWrite).unwrap().client_id
        );
    }

    #[test]
    fn configured_identity_replaces_tenant_and_apps() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let config = IdentityConfig {
            tenant_id: "tenant-from-config".into(),
            apps: vec![AppRegistration {
                client_id: "c".into(),
                client_secret: "s".into(),
                display_name: String::new(),
                roles: vec!["R".into()],
                purpose: None,
            }],
        };
        let identity = Identity::load_or_create(&dir, Some(&config), &DevRoles::default()).unwrap();
        assert_eq!(identity.tenant_id(), "tenant-from-config");
        assert_eq!(identity.app("c").unwrap().roles, vec!["R".to_owned()]);
        assert!(identity.app_for(AppPurpose::ReadWrite).is_none());
    }

    #[test]
    fn secrets_must_match_exactly() {
        let app = |secret: &str| AppRegistration {
            client_id: "c".into(),
            client_secret: secret.into(),
            display_name: String::new(),
            roles: Vec::new(),
            purpose: None,
        };
        assert!(app("s3cret").has_secret("s3cret"));
        assert!(!app("s3cret").has_secret("s3creT"));
        assert!(!app("s3cret").has_secret("s3cret!"));
        assert!(!app("s3cret").has_secret(""));
    }

    #[test]
    fn authenticate_needs_the_app_and_its_secret() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        let identity = Identity::load_or_create(&dir, None, &DevRoles::default()).unwrap();
        let app = &identity.apps()[0];
        let found = identity.authenticate(&app.client_id, &app.client_secret);
        assert_eq!(found.map(|a| &a.client_id), Ok(&app.client_id));
        assert_eq!(
            identity.authenticate(&app.client_id, "wrong").err(),
            Some(AuthFailure::BadSecret)
        );
        assert_eq!(
            identity
                .authenticate("no-such-app", &app.client_secret)
                .err(),
            Some(AuthFailure::UnknownClient)
        );
    }

    #[test]
    fn corrupt_file_is_an_error_naming_the_file() {
        let temp = tempfile::tempdir().unwrap();
        let dir = DataDir::open(temp.path()).unwrap();
        dir.write_atomic(IDENTITY_FILE, b"{not json").unwrap();
        let err = Identity::load_or_create(&dir, None, &DevRoles::default()).unwrap_err();
        assert!(err.to_string().contains(IDENTITY_FILE), "{err}");
    }
}
