// The credential every script here uses: the app of credentials.env, with Tandem's server as the
// authority. Instance discovery asks Microsoft's public cloud to vouch for the authority, so it is
// off, as for any private cloud.
import { ClientSecretCredential } from "@azure/identity";

export function tandemCredential(authority) {
  const env = process.env;
  return new ClientSecretCredential(
    env.TANDEM_TENANT_ID,
    env.TANDEM_CLIENT_ID,
    env.TANDEM_CLIENT_SECRET,
    { authorityHost: authority, disableInstanceDiscovery: true },
  );
}
