//! The Azure CLI, installed from PyPI, against `tandem siem --tls` as a user points it at a private
//! cloud, with configuration only: `az cloud register` given just `--endpoint-resource-manager`,
//! `az login --service-principal`, then `az rest` on the Sentinel incidents API.
//!
//! The one setting beyond the endpoint is `core.instance_discovery=false`, the CLI's documented
//! switch for authorities outside Microsoft's public clouds (Azure Stack, ADFS, sovereign clouds): it
//! stops MSAL from asking login.microsoftonline.com to vouch for the authority.

#![cfg(test)]

use std::path::Path;
use std::process::Command;

use serde_json::Value;
use tandem_testkit::{ChildServer, azure_cli};

fn tandem() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_tandem"))
}

/// `az` with its own config dir and the server's CA trusted, and nothing else of the machine's.
struct Az {
    config: tempfile::TempDir,
    ca: std::path::PathBuf,
}

impl Az {
    /// Runs `az args... -o json`; the parsed output, or a panic with what it said.
    fn run(&self, args: &[&str]) -> Value {
        let output = Command::new(azure_cli().expect("the Azure CLI"))
            .args(args)
            .args(["--only-show-errors", "-o", "json"])
            .env("AZURE_CONFIG_DIR", self.config.path())
            .env("REQUESTS_CA_BUNDLE", &self.ca)
            .env("AZURE_CORE_COLLECT_TELEMETRY", "false")
            .output()
            .expect("az runs");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            output.status.success(),
            "az {args:?}: {}\n{stdout}\n{stderr}",
            output.status
        );
        if stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("az {args:?}: {e}: {stdout}"))
        }
    }
}

#[tokio::test]
async fn the_azure_cli_registers_the_cloud_logs_in_and_calls_the_incidents_api() {
    let siem = ChildServer::spawn(tandem(), &["siem", "--tls"], "TANDEM_SIEM_URL")
        .await
        .expect("tandem siem --tls starts");
    let c = siem.credentials().clone();
    let az = Az {
        config: tempfile::tempdir().unwrap(),
        ca: c.ca_cert().expect("TANDEM_CA_CERT").to_owned(),
    };
    let get = move |key: &str| c.get(key).unwrap().to_owned();
    let url = siem.url().to_owned();
    tokio::task::spawn_blocking(move || {
        az.run(&["config", "set", "core.instance_discovery=false"]);
        az.run(&[
            "cloud",
            "register",
            "--name",
            "Tandem",
            "--endpoint-resource-manager",
            &url,
        ]);
        az.run(&["cloud", "set", "--name", "Tandem"]);
        let accounts = az.run(&[
            "login",
            "--service-principal",
            "--username",
            &get("TANDEM_CLIENT_ID"),
            "--password",
            &get("TANDEM_CLIENT_SECRET"),
            "--tenant",
            &get("TANDEM_TENANT_ID"),
        ]);
        assert_eq!(accounts[0]["id"], get("TANDEM_SUBSCRIPTION_ID"), "{accounts}");
        assert_eq!(accounts[0]["tenantId"], get("TANDEM_TENANT_ID"));
        let incidents = format!(
            "{url}/subscriptions/{}/resourcegroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents",
            get("TANDEM_SUBSCRIPTION_ID"),
            get("TANDEM_RESOURCE_GROUP"),
            get("TANDEM_WORKSPACE_NAME"),
        );
        let created = az.run(&[
            "rest",
            "--method",
            "put",
            "--url",
            &format!("{incidents}/from-az?api-version=2024-09-01"),
            "--body",
            r#"{"properties":{"title":"From the Azure CLI","severity":"Low","status":"New"}}"#,
        ]);
        assert_eq!(created["properties"]["title"], "From the Azure CLI");
        let list = az.run(&[
            "rest",
            "--method",
            "get",
            "--url",
            &format!("{incidents}?api-version=2024-09-01"),
        ]);
        assert_eq!(list["value"][0]["name"], "from-az", "{list}");
    })
    .await
    .unwrap();
}
