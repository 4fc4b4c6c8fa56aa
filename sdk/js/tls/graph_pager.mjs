// Microsoft's JavaScript Graph client (@microsoft/microsoft-graph-client, unmodified) pages through every
// incident of `tandem xdr --tls` with its PageIterator. Node trusts Tandem's CA through
// NODE_EXTRA_CA_CERTS; nothing switches certificate checks off.
//
// The token comes the way any OAuth library gets one: the token endpoint is read from the tenant's
// OpenID metadata and the app authenticates with HTTP Basic (client_secret_basic).
//
// Prints {"count": @odata.count, "firstPage": size of the first page, "ids": [...]} as JSON; exits
// non-zero on a repeated id or a count mismatch. A failed connection prints its cause (for instance
// SELF_SIGNED_CERT_IN_CHAIN when the CA is not trusted).

import { Client, PageIterator } from "@microsoft/microsoft-graph-client";

const PAGE_SIZE = 3;
const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (source credentials.env)`);
  return value;
};

async function graphToken(base, tenant) {
  const metadataUrl = `${base}/${tenant}/v2.0/.well-known/openid-configuration`;
  const metadata = await (await fetch(metadataUrl)).json();
  const basic = Buffer.from(
    `${encodeURIComponent(env("TANDEM_READER_CLIENT_ID"))}:${encodeURIComponent(env("TANDEM_READER_CLIENT_SECRET"))}`,
  ).toString("base64");
  const response = await fetch(metadata.token_endpoint, {
    method: "POST",
    headers: { authorization: `Basic ${basic}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "client_credentials",
      scope: "https://graph.microsoft.com/.default",
    }),
  });
  const body = await response.json();
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function main() {
  const base = env("TANDEM_XDR_URL").replace(/\/+$/, "");
  const token = await graphToken(base, env("TANDEM_TENANT_ID"));
  const client = Client.init({
    authProvider: (done) => done(null, token),
    baseUrl: base,
    defaultVersion: "v1.0",
    customHosts: new Set([new URL(base).hostname]),
  });
  const first = await client.api("/security/incidents").top(PAGE_SIZE).count(true).get();
  const ids = [];
  const iterator = new PageIterator(client, first, (incident) => {
    ids.push(incident.id);
    return true;
  });
  await iterator.iterate();
  const count = first["@odata.count"];
  if (new Set(ids).size !== ids.length) throw new Error(`incidents repeated: ${ids}`);
  if (ids.length !== count) throw new Error(`@odata.count ${count} but ${ids.length} incidents paged`);
  console.log(JSON.stringify({ count, firstPage: first.value.length, ids }));
}

main().catch((error) => {
  const cause = error.cause ? ` (cause: ${error.cause.code}: ${error.cause.message})` : "";
  console.error(`FAILED: ${error.stack || error}${cause}`);
  process.exit(1);
});
