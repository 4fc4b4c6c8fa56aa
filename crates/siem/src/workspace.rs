//! Who the workspace is: its ARM coordinates (subscription, resource group, workspace name), its
//! Log Analytics workspace id, its default data collection rule and the console URL.
//!
//! The ids are derived from the tenant (UUIDv5), so they stay the same across restarts without being
//! stored; the `[siem]` section of the config file may set any of them.

use serde::Deserialize;
use tandem_server::ThrottleConfig;
use uuid::Uuid;

/// The `[siem]` section of the config file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiemConfig {
    /// ARM subscription id.
    pub subscription_id: Option<String>,
    /// ARM resource group.
    pub resource_group: Option<String>,
    /// Workspace name in ARM paths.
    pub workspace_name: Option<String>,
    /// Log Analytics workspace id (a GUID) for the query API.
    pub workspace_id: Option<String>,
    /// Immutable id of the default data collection rule.
    pub dcr_immutable_id: Option<String>,
    /// Explicit stream-to-table mappings of the default rule.
    #[serde(default)]
    pub streams: Vec<StreamMapping>,
    /// Ingestion requests the rule takes per minute before answering 429 (Log Analytics: 12,000).
    pub rule_requests_per_minute: Option<u32>,
    /// The connector's status endpoint (`http://{listen}/status` of `tandem sync run`), read by the
    /// console's sync health page. Without it the console has no sync health page.
    pub sync_status_url: Option<String>,
}

/// Log Analytics' limit of ingestion requests per minute and data collection rule.
pub const RULE_REQUESTS_PER_MINUTE: u32 = 12_000;

impl SiemConfig {
    /// The request budget of the data collection rule; fails on a budget of zero.
    pub fn rule_budget(&self) -> Result<ThrottleConfig, String> {
        match self
            .rule_requests_per_minute
            .unwrap_or(RULE_REQUESTS_PER_MINUTE)
        {
            0 => Err(
                "siem.rule_requests_per_minute: 0 would refuse every upload; use at least 1".into(),
            ),
            requests => Ok(ThrottleConfig {
                requests,
                window_secs: 60,
            }),
        }
    }
}

/// `[[siem.streams]]`: one stream of the default data collection rule and the table it feeds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamMapping {
    /// The stream name clients post to (`Custom-MyEvents`).
    pub stream: String,
    /// The table it lands in (`MyEvents_CL`, `SecurityAlert`).
    pub table: String,
}

/// The workspace's identity and addresses.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// The directory tenant the workspace's subscription belongs to.
    pub tenant_id: String,
    /// ARM subscription id.
    pub subscription_id: String,
    /// ARM resource group.
    pub resource_group: String,
    /// Workspace name.
    pub workspace_name: String,
    /// Log Analytics workspace id.
    pub workspace_id: String,
    /// Immutable id of the default data collection rule (`dcr-` and 32 hex digits).
    pub dcr_immutable_id: String,
    /// Explicit stream mappings.
    pub streams: Vec<StreamMapping>,
}

impl Workspace {
    /// The workspace of `tenant_id`, with the config's overrides.
    pub fn new(tenant_id: &str, config: SiemConfig) -> Workspace {
        let namespace = Uuid::new_v5(
            &Uuid::NAMESPACE_URL,
            format!("tandem-siem:{tenant_id}").as_bytes(),
        );
        let derived = |what: &str| Uuid::new_v5(&namespace, what.as_bytes());
        Workspace {
            tenant_id: tenant_id.to_owned(),
            subscription_id: config
                .subscription_id
                .unwrap_or_else(|| derived("subscription").to_string()),
            resource_group: config.resource_group.unwrap_or_else(|| "tandem".into()),
            workspace_name: config
                .workspace_name
                .unwrap_or_else(|| "tandem-siem".into()),
            workspace_id: config
                .workspace_id
                .unwrap_or_else(|| derived("workspace").to_string()),
            dcr_immutable_id: config
                .dcr_immutable_id
                .unwrap_or_else(|| format!("dcr-{}", derived("dcr").simple())),
            streams: config.streams,
        }
    }

    /// `/subscriptions/{s}/resourceGroups/{g}/providers/Microsoft.OperationalInsights/workspaces/{w}`.
    pub fn workspace_resource_id(&self) -> String {
        format!(
            "/subscriptions/{}/resourceGroups/{}/providers/Microsoft.OperationalInsights/workspaces/{}",
            self.subscription_id, self.resource_group, self.workspace_name
        )
    }

    /// The workspace's resource id followed by `/providers/Microsoft.SecurityInsights`.
    pub fn arm_prefix(&self) -> String {
        format!(
            "{}/providers/Microsoft.SecurityInsights",
            self.workspace_resource_id()
        )
    }

    /// The ARM id of incident `name`.
    pub fn incident_id(&self, name: &str) -> String {
        format!("{}/incidents/{name}", self.arm_prefix())
    }

    /// The console link of incident `name` on the server at `siem_url` (`TANDEM_SIEM_URL`).
    pub fn incident_url(siem_url: &str, name: &str) -> String {
        format!("{}/incidents/{name}", siem_url.trim_end_matches('/'))
    }

    /// The `credentials.env` keys that tell clients where the workspace is.
    pub fn credentials(&self) -> Vec<(String, String)> {
        [
            ("TANDEM_SUBSCRIPTION_ID", &self.subscription_id),
            ("TANDEM_RESOURCE_GROUP", &self.resource_group),
            ("TANDEM_WORKSPACE_NAME", &self.workspace_name),
            ("TANDEM_WORKSPACE_ID", &self.workspace_id),
            ("TANDEM_DCR_IMMUTABLE_ID", &self.dcr_immutable_id),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.clone()))
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_per_tenant_and_overridable() {
        let a = Workspace::new("t1", SiemConfig::default());
        let b = Workspace::new("t1", SiemConfig::default());
        assert_eq!(a.subscription_id, b.subscription_id);
        assert_eq!(a.dcr_immutable_id.len(), 36);
        assert!(a.dcr_immutable_id.starts_with("dcr-"));
        assert_ne!(
            a.workspace_id,
            Workspace::new("t2", SiemConfig::default()).workspace_id
        );
        let named = SiemConfig {
            workspace_name: Some("soc".into()),
            ..SiemConfig::default()
        };
        let c = Workspace::new("t1", named);
        assert!(
            c.arm_prefix()
                .ends_with("/workspaces/soc/providers/Microsoft.SecurityInsights")
        );
        assert_eq!(
            Workspace::incident_url("http://x/", "i1"),
            "http://x/incidents/i1"
        );
    }
}
