//! The optional `--config FILE` (TOML) shared by `tandem xdr` and `tandem siem`.
//!
//! ```toml
//! [identity]                       # instead of the generated development tenant
//! tenant_id = "8f7c..."
//! [[identity.apps]]
//! client_id = "..."
//! client_secret = "..."
//! roles = ["SecurityIncident.ReadWrite.All"]
//! purpose = "read-write"           # optional: written to credentials.env as TANDEM_CLIENT_ID
//!
//! [throttle]                       # optional per-app request budget
//! requests = 600
//! window_secs = 60
//!
//! [tls]                            # optional HTTPS (see `TlsConfig`); flags override it
//! enabled = true
//!
//! [xdr]                            # each service reads its own section
//! ```

use std::path::Path;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::ServerError;
use crate::identity::AppRegistration;
use crate::throttle::ThrottleConfig;
use crate::tls::TlsConfig;

/// A parsed config file. `Default` is what a server runs with when there is no file.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ServerConfig {
    /// The tenant and app registrations to use instead of the generated development ones.
    #[serde(default)]
    pub identity: Option<IdentityConfig>,
    /// The per-app request budget; unlimited when absent.
    #[serde(default)]
    pub throttle: Option<ThrottleConfig>,
    /// HTTPS settings; plain HTTP on loopback when absent.
    #[serde(default)]
    pub tls: TlsConfig,
    /// Every other table, for the services' own sections (`[xdr]`, `[siem]`).
    #[serde(flatten)]
    pub sections: toml::Table,
}

/// A configured tenant and its app registrations.
#[derive(Debug, Clone, Deserialize)]
pub struct IdentityConfig {
    /// The tenant id tokens are issued for.
    pub tenant_id: String,
    /// The app registrations that may fetch tokens.
    pub apps: Vec<AppRegistration>,
}

impl ServerConfig {
    /// Reads and checks a config file.
    pub fn load(path: &Path) -> Result<ServerConfig, ServerError> {
        let text = std::fs::read_to_string(path).map_err(|e| ServerError::io(path, e))?;
        ServerConfig::parse(&text).map_err(|e| match e {
            ServerError::Config { source, .. } => ServerError::Config {
                path: path.to_owned(),
                source,
            },
            other => other,
        })
    }

    /// Parses and checks config text.
    pub fn parse(text: &str) -> Result<ServerConfig, ServerError> {
        let config: ServerConfig = toml::from_str(text).map_err(|e| ServerError::Config {
            path: "<text>".into(),
            source: Box::new(e),
        })?;
        config.check()?;
        Ok(config)
    }

    /// A service's own section (`[xdr]`, `[siem]`), or `None` when the file has none.
    pub fn section<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, ServerError> {
        let Some(value) = self.sections.get(name) else {
            return Ok(None);
        };
        value
            .clone()
            .try_into()
            .map(Some)
            .map_err(|e: toml::de::Error| ServerError::Invalid(format!("config [{name}]: {e}")))
    }

    fn check(&self) -> Result<(), ServerError> {
        if let Some(identity) = &self.identity {
            identity.check()?;
        }
        if let Some(throttle) = &self.throttle {
            throttle.check()?;
        }
        self.tls.check()
    }
}

impl IdentityConfig {
    fn check(&self) -> Result<(), ServerError> {
        let invalid = |field: &str, value: &str| {
            ServerError::Invalid(format!("config {field}: {value:?} must not be empty"))
        };
        if self.tenant_id.trim().is_empty() {
            return Err(invalid("identity.tenant_id", &self.tenant_id));
        }
        for (index, app) in self.apps.iter().enumerate() {
            if app.client_id.trim().is_empty() {
                return Err(invalid(
                    &format!("identity.apps[{index}].client_id"),
                    &app.client_id,
                ));
            }
            if app.client_secret.is_empty() {
                return Err(invalid(
                    &format!("identity.apps[{index}].client_secret"),
                    "",
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_identity_throttle_and_service_sections() {
        let config = ServerConfig::parse(
            r#"
            [identity]
            tenant_id = "t1"
            [[identity.apps]]
            client_id = "c1"
            client_secret = "s1"
            roles = ["A.Read"]
            purpose = "read-only"
            [throttle]
            requests = 5
            window_secs = 2
            [tls]
            enabled = true
            names = ["tandem.example"]
            [xdr]
            seed = 7
            "#,
        )
        .unwrap();
        let identity = config.identity.as_ref().unwrap();
        assert_eq!(identity.apps[0].roles, vec!["A.Read".to_owned()]);
        assert_eq!(config.throttle.unwrap().requests, 5);
        assert!(config.tls.enabled);
        assert_eq!(config.tls.names, vec!["tandem.example".to_owned()]);
        #[derive(Deserialize)]
        struct Xdr {
            seed: u32,
        }
        assert_eq!(config.section::<Xdr>("xdr").unwrap().unwrap().seed, 7);
        assert!(config.section::<Xdr>("siem").unwrap().is_none());
    }

    #[test]
    fn empty_secret_is_an_error_naming_the_field() {
        let err = ServerConfig::parse(
            "[identity]\ntenant_id = \"t\"\n[[identity.apps]]\nclient_id = \"c\"\nclient_secret = \"\"\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("identity.apps[0].client_secret"), "{err}");
    }
}
