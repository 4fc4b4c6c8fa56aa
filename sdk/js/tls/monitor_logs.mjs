// Microsoft's @azure/monitor-ingestion and @azure/monitor-query against `tandem siem --tls`, with
// only the endpoints, the authority and the CA changed: uploads rows to a custom table, then asks
// two queries in one `queryBatch`. Prints the batch's answers as one JSON line.
import { tandemCredential } from "./credential.mjs";
import { LogsIngestionClient } from "@azure/monitor-ingestion";
import { LogsQueryClient } from "@azure/monitor-query";

const env = process.env;
const credential = tandemCredential(env.TANDEM_SIEM_URL);
const ingestion = new LogsIngestionClient(env.TANDEM_SIEM_URL, credential);
const now = new Date().toISOString();
await ingestion.upload(env.TANDEM_DCR_IMMUTABLE_ID, "Custom-JsSdk_CL", [
  { TimeGenerated: now, Host: "js-1", Count: 1 },
  { TimeGenerated: now, Host: "js-2", Count: 2 },
]);
const query = new LogsQueryClient(credential, { endpoint: `${env.TANDEM_SIEM_URL}/v1` });
const results = await query.queryBatch([
  { workspaceId: env.TANDEM_WORKSPACE_ID, query: "JsSdk_CL | count", timespan: { duration: "PT1H" } },
  { workspaceId: env.TANDEM_WORKSPACE_ID, query: "JsSdk_CL | where Host == 'js-2' | project Host", timespan: { duration: "PT1H" } },
]);
console.log(
  JSON.stringify(
    results.map((result) => ({
      status: result.status,
      rows: result.tables?.[0]?.rows ?? null,
    })),
  ),
);
