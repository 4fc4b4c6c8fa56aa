//! The command-line flags every Tandem server takes, defined once for `tandem xdr` and `tandem siem`.

use std::path::PathBuf;

use crate::config::ServerConfig;
use crate::error::ServerError;
use crate::serve::ServerOptions;

/// `--listen`, `--data-dir`, `--config` and the TLS flags.
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
    /// HTTPS and the loopback rule for plain HTTP.
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// `--tls`, `--tls-name`, `--tls-cert`, `--tls-key` and `--insecure-http`, shared by every command
/// that runs a server. They override the config file's `[tls]` section.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS. The first start makes a local certificate authority in the data dir (shared by the
    /// servers using that dir; its file is TANDEM_CA_CERT in credentials.env) and a server certificate
    /// for localhost, 127.0.0.1, ::1 and every --tls-name
    #[arg(long)]
    pub tls: bool,
    /// Another host name or address for the generated server certificate (repeatable)
    #[arg(long = "tls-name", value_name = "HOST")]
    pub tls_names: Vec<String>,
    /// Serve HTTPS with this certificate chain (PEM) instead of one from the local CA
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Serve plain HTTP even on an address other than loopback (tokens and secrets travel unencrypted)
    #[arg(long, conflicts_with_all = ["tls", "tls_cert"])]
    pub insecure_http: bool,
}

impl TlsArgs {
    /// Sets the flags given into `config` (over its `[tls]` section) and checks the result.
    pub fn apply_to(&self, config: &mut ServerConfig) -> Result<(), ServerError> {
        let tls = &mut config.tls;
        tls.enabled |= self.tls || !self.tls_names.is_empty();
        tls.names.extend(self.tls_names.iter().cloned());
        if self.tls_cert.is_some() {
            tls.cert.clone_from(&self.tls_cert);
            tls.key.clone_from(&self.tls_key);
        }
        tls.insecure_http |= self.insecure_http;
        tls.check()
    }
}

impl ServerArgs {
    /// The options these flags select, with the service's defaults for flags not given; reads the
    /// config file when there is one.
    pub fn into_options(
        self,
        default_listen: &str,
        default_data_dir: &str,
    ) -> Result<ServerOptions, ServerError> {
        let mut config = match &self.config {
            Some(path) => ServerConfig::load(path)?,
            None => ServerConfig::default(),
        };
        self.tls.apply_to(&mut config)?;
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

    #[test]
    fn tls_flags_override_the_config_file() {
        let temp = tempfile::tempdir().unwrap();
        let file = temp.path().join("tandem.toml");
        std::fs::write(&file, "[tls]\nnames = [\"from-file\"]\n").unwrap();
        let args = ServerArgs {
            config: Some(file),
            tls: TlsArgs {
                tls_names: vec!["from-flag".into()],
                ..TlsArgs::default()
            },
            ..ServerArgs::default()
        };
        let tls = args.into_options("a:1", "d").unwrap().config.tls;
        assert!(tls.serves_https());
        assert_eq!(tls.names, vec!["from-file".to_owned(), "from-flag".into()]);
    }

    #[test]
    fn tls_flags_parse_and_contradictions_are_refused() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            server: ServerArgs,
        }
        use clap::Parser as _;
        let cli =
            Cli::try_parse_from(["t", "--tls", "--tls-name", "a", "--tls-name", "b"]).unwrap();
        assert!(cli.server.tls.tls);
        assert_eq!(cli.server.tls.tls_names, vec!["a".to_owned(), "b".into()]);
        assert!(Cli::try_parse_from(["t", "--tls-cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["t", "--tls", "--insecure-http"]).is_err());
    }
}
