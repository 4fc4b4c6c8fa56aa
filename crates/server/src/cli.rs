//! The command-line flags every Tandem server takes, defined once for `tandem xdr` and `tandem siem`.

use std::path::PathBuf;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::serve::ServerOptions;

/// `--listen`, `--data-dir` and `--config`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServerArgs {
    /// Address to listen on, HOST:PORT (port 0 picks a free port) [default: 127.0.0.1:8710 for xdr,
    /// 127.0.0.1:8720 for siem]
    #[arg(long, value_name = "HOST:PORT")]
    pub listen: Option<String>,
    /// Directory for the identity, credentials.env and the store [default: ./tandem-data/xdr or
    /// ./tandem-data/siem]
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// TOML file with the tenant and app registrations, throttling and service settings
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

impl ServerArgs {
    /// The options these flags select, with the service's defaults for flags not given; reads the
    /// config file when there is one.
    pub fn into_options(
        self,
        default_listen: &str,
        default_data_dir: &str,
    ) -> Result<ServerOptions, ServerError> {
        let config = match &self.config {
            Some(path) => ServerConfig::load(path)?,
            None => ServerConfig::default(),
        };
        Ok(ServerOptions {
            listen: self.listen.unwrap_or_else(|| default_listen.to_owned()),
            data_dir: self
                .data_dir
                .unwrap_or_else(|| PathBuf::from(default_data_dir)),
            config,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_apply_to_flags_not_given() {
        let options = ServerArgs::default()
            .into_options("127.0.0.1:8710", "./tandem-data/xdr")
            .unwrap();
        assert_eq!(options.listen, "127.0.0.1:8710");
        assert_eq!(options.data_dir, PathBuf::from("./tandem-data/xdr"));
        assert!(options.config.identity.is_none());
    }

    #[test]
    fn missing_config_file_is_an_error_naming_it() {
        let args = ServerArgs {
            config: Some(PathBuf::from("/no/such/tandem.toml")),
            ..ServerArgs::default()
        };
        let err = args.into_options("a:1", "d").unwrap_err().to_string();
        assert!(err.contains("/no/such/tandem.toml"), "{err}");
    }
}
