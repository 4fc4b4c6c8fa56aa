// Microsoft's @azure/arm-securityinsight against `tandem siem --tls`, as documented, with only the
// endpoint, the authority and the CA (NODE_EXTRA_CA_CERTS) changed, and the SDK's default
// api-version. Creates an incident, reads it, updates it with its etag, fails with a stale etag,
// comments, and lists incidents, alerts and entities. Prints what it saw as one JSON line.
import { tandemCredential } from "./credential.mjs";
import { SecurityInsights } from "@azure/arm-securityinsight";

const env = process.env;
const credential = tandemCredential(env.TANDEM_SIEM_URL);
const client = new SecurityInsights(credential, env.TANDEM_SUBSCRIPTION_ID, {
  endpoint: env.TANDEM_SIEM_URL,
});
const group = env.TANDEM_RESOURCE_GROUP;
const workspace = env.TANDEM_WORKSPACE_NAME;
const name = "js-sdk-incident";

const created = await client.incidents.createOrUpdate(group, workspace, name, {
  title: "From the JavaScript SDK",
  severity: "High",
  status: "New",
});
const read = await client.incidents.get(group, workspace, name);
const updated = await client.incidents.createOrUpdate(group, workspace, name, {
  ...read,
  status: "Active",
});
let staleStatus = null;
try {
  await client.incidents.createOrUpdate(group, workspace, name, {
    etag: created.etag,
    title: "Stale",
    severity: "High",
    status: "Active",
  });
} catch (error) {
  staleStatus = error.statusCode;
}
const comment = await client.incidentComments.createOrUpdate(group, workspace, name, "js-comment", {
  message: "Looked at it from the JavaScript SDK",
});
const names = [];
for await (const incident of client.incidents.list(group, workspace)) {
  names.push(incident.name);
}
const alerts = await client.incidents.listAlerts(group, workspace, name);
const entities = await client.incidents.listEntities(group, workspace, name);
console.log(
  JSON.stringify({
    apiVersion: client.apiVersion,
    names,
    status: updated.status,
    staleStatus,
    comment: comment.message,
    author: comment.author?.name ?? null,
    alerts: alerts.value.length,
    entities: entities.entities.length,
  }),
);
