"""Fetches a token with sdk/python/static_credential.py, checks it with PyJWT against the server's JWKS, and
calls GET /probe with it. Prints the probe's status and the token's audience and app id as JSON."""

import json
import os
import urllib.request

import jwt

from static_credential import TandemCredential

base = os.environ["TANDEM_XDR_URL"]
tenant = os.environ["TANDEM_TENANT_ID"]
credential = TandemCredential.from_env("TANDEM_XDR_URL", reader=True)
token = credential.get_token("https://graph.microsoft.com/.default")
assert credential.get_token("https://graph.microsoft.com/.default").token == token.token, "cached"

metadata_url = f"{base}/{tenant}/v2.0/.well-known/openid-configuration"
with urllib.request.urlopen(metadata_url) as response:
    metadata = json.load(response)
signing_key = jwt.PyJWKClient(metadata["jwks_uri"]).get_signing_key_from_jwt(token.token)
claims = jwt.decode(
    token.token,
    signing_key.key,
    algorithms=["ES256"],
    audience="https://graph.microsoft.com",
    issuer=metadata["issuer"],
)

request = urllib.request.Request(f"{base}/probe", headers={"Authorization": f"Bearer {token.token}"})
with urllib.request.urlopen(request) as response:
    status = response.status
print(json.dumps({"status": status, "aud": claims["aud"], "appid": claims["appid"]}))
