"""PyJWT verifies a Tandem token against the JWKS the server publishes, found through its OpenID
metadata over HTTPS (the CA trusted through ``SSL_CERT_FILE``), and rejects the same token once a
claim is changed. Prints a JSON summary; exits non-zero on a mismatch.
"""

import base64
import json
import os
import sys
import urllib.request

import jwt

from tandem_tls import credential

SCOPE = "https://graph.microsoft.com/.default"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def with_changed_roles(token):
    """The token with one more role in its payload and the original signature."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["roles"] = claims["roles"] + ["Directory.ReadWrite.All"]
    return ".".join([header, b64(json.dumps(claims).encode()), signature])


def main():
    url = os.environ["TANDEM_XDR_URL"].rstrip("/")
    tenant = os.environ["TANDEM_TENANT_ID"]
    token = credential("TANDEM_XDR_URL", reader=True).get_token(SCOPE).token
    with urllib.request.urlopen(f"{url}/{tenant}/v2.0/.well-known/openid-configuration") as response:
        metadata = json.load(response)
    jwks = jwt.PyJWKClient(metadata["jwks_uri"])
    key = jwks.get_signing_key_from_jwt(token).key
    options = {"algorithms": ["ES256"], "audience": "https://graph.microsoft.com", "issuer": metadata["issuer"]}
    claims = jwt.decode(token, key, **options)
    if claims["appid"] != os.environ["TANDEM_READER_CLIENT_ID"]:
        sys.exit(f"MISMATCH: appid {claims['appid']}")
    try:
        jwt.decode(with_changed_roles(token), key, **options)
        sys.exit("MISMATCH: a token with a changed claim was accepted")
    except jwt.InvalidSignatureError:
        pass
    print(json.dumps({"verified": claims["aud"], "kid": jwt.get_unverified_header(token)["kid"]}))


if __name__ == "__main__":
    main()
