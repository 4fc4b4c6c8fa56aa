//! The connector over HTTPS: `tandem xdr --tls` and `tandem siem --tls`, each with its own data dir and
//! so its own local CA, and `tandem sync` with a config from `tandem sync config` whose client sections
//! trust each side's CA through the `ca_file` it carries over from that side's `TANDEM_CA_CERT`
//! (certificate checks stay on).
//!
//! After a multi-stage attack is posted to the XDR, every XDR incident must get exactly one twin in the
//! SIEM, and an assignment made on a twin must reach the XDR, each within [`DEADLINE`].

mod tls_support;

use std::future::Future;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tandem_client::{ApiClient, ApiRequest};
use tandem_model::Field;
use tandem_model::graph;
use tandem_model::sentinel::{self, IncidentOwner};
use tandem_sync::reconcile::PairKey;
use tandem_testkit::{ChildServer, Credentials};
use tls_support::{client, post_alerts, tandem};

/// Every awaited effect must show within this long.
const DEADLINE: Duration = Duration::from_secs(20);
/// The Sentinel API version the checks use.
const API_VERSION: &str = "api-version=2024-09-01";

/// A child process killed when dropped.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Polls `check` until it returns `Some`, failing after [`DEADLINE`] with `what`.
async fn wait_for<T, F: Future<Output = Option<T>>>(what: &str, mut check: impl FnMut() -> F) -> T {
    let started = Instant::now();
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "not within {DEADLINE:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The SIEM's Sentinel incidents collection.
fn twins_url(siem: &Credentials) -> String {
    let get = |key: &str| siem.get(key).expect("a SIEM key").to_owned();
    format!(
        "{}/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}/providers/Microsoft.SecurityInsights/incidents",
        get("TANDEM_SIEM_URL"),
        get("TANDEM_SUBSCRIPTION_ID"),
        get("TANDEM_RESOURCE_GROUP"),
        get("TANDEM_WORKSPACE_NAME"),
    )
}

async fn twins(arm: &ApiClient, url: &str) -> Vec<sentinel::Incident> {
    arm.get_all(&format!("{url}?{API_VERSION}"))
        .await
        .unwrap_or_default()
}

/// Assigns the twin as an analyst in the SIEM would: read, edit, PUT with `If-Match`, again on 412.
async fn assign_twin(arm: &ApiClient, twin_url: &str, owner: &str) {
    wait_for("an analyst's assignment of the twin", || async {
        let mut twin: sentinel::Incident = arm.get_json(twin_url).await.ok()?;
        let etag = twin.etag.get().cloned();
        twin.properties.owner = Field::Value(IncidentOwner {
            user_principal_name: Field::Value(owner.into()),
            email: Field::Value(owner.into()),
            ..IncidentOwner::default()
        });
        let mut request = ApiRequest::put(twin_url).json(&twin).ok()?;
        if let Some(etag) = etag {
            request = request.if_match(etag);
        }
        arm.send(request).await.ok()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_connector_syncs_both_ways_over_https_trusting_each_sides_ca() {
    let xdr = ChildServer::spawn(tandem(), &["xdr", "--tls"], "TANDEM_XDR_URL")
        .await
        .expect("tandem xdr --tls starts");
    let siem = ChildServer::spawn(tandem(), &["siem", "--tls"], "TANDEM_SIEM_URL")
        .await
        .expect("tandem siem --tls starts");
    let (xdr_ca, siem_ca) = (
        xdr.credentials().ca_cert().expect("the XDR's CA"),
        siem.credentials().ca_cert().expect("the SIEM's CA"),
    );
    assert_ne!(xdr_ca, siem_ca, "separate data dirs, separate CAs");
    let alerts = tandem_scenario::multi_stage(chrono::Utc::now());
    let incidents = post_alerts(xdr.credentials(), &alerts).await;

    let generated = Command::new(tandem())
        .args(["sync", "config", "--xdr"])
        .arg(xdr.data_dir())
        .arg("--siem")
        .arg(siem.data_dir())
        .output()
        .expect("run tandem sync config");
    assert!(generated.status.success(), "{generated:?}");
    let config = String::from_utf8(generated.stdout).expect("UTF-8 config");
    for ca in [xdr_ca, siem_ca] {
        let line = format!("ca_file = {:?}", ca.display().to_string());
        assert!(
            config.contains(&line),
            "the config trusts {ca:?}:\n{config}"
        );
    }
    let sync_dir = tempfile::tempdir().unwrap();
    let config_file = sync_dir.path().join("sync.toml");
    std::fs::write(&config_file, config).unwrap();
    let _sync = Process(
        Command::new(tandem())
            .args(["sync", "--listen", &format!("127.0.0.1:{}", free_port())])
            .arg("--config")
            .arg(&config_file)
            .arg("--data-dir")
            .arg(sync_dir.path().join("store"))
            .stdin(Stdio::null())
            .spawn()
            .expect("spawn tandem sync"),
    );

    let arm = client(
        siem.credentials(),
        "TANDEM_SIEM_URL",
        "https://management.azure.com/.default",
    );
    let collection = twins_url(siem.credentials());
    wait_for("one twin per XDR incident", || async {
        let listed = twins(&arm, &collection).await;
        let mirrored: Vec<String> = listed
            .iter()
            .filter_map(|t| t.properties.provider_incident_id.get().cloned())
            .collect();
        let each_once = incidents
            .iter()
            .all(|id| mirrored.iter().filter(|m| *m == id).count() == 1);
        each_once.then_some(())
    })
    .await;

    let graph_client = client(
        xdr.credentials(),
        "TANDEM_XDR_URL",
        "https://graph.microsoft.com/.default",
    );
    let tenant = xdr.credentials().tenant_id().unwrap().to_owned();
    let incidents_url = format!("{}/v1.0/security/incidents", xdr.url());
    let mut target = None;
    for id in &incidents {
        let incident: graph::Incident = graph_client
            .get_json(&format!("{incidents_url}/{id}"))
            .await
            .expect("read the XDR incident");
        if incident.status.get() != Some(&graph::IncidentStatus::Redirected) {
            target = Some(incident.id);
            break;
        }
    }
    let id = target.expect("an incident that was not merged");
    let name = PairKey::new(tenant, &id).siem_incident_name();
    let owner = "analyst@contoso.example";
    assign_twin(&arm, &format!("{collection}/{name}?{API_VERSION}"), owner).await;
    wait_for("the SIEM's assignment in the XDR", || async {
        let incident: graph::Incident = graph_client
            .get_json(&format!("{incidents_url}/{id}"))
            .await
            .ok()?;
        (incident.assigned_to.get().map(String::as_str) == Some(owner)).then_some(())
    })
    .await;
}
