"""An azure-core credential that fetches client-credentials tokens from a Tandem token endpoint.

Microsoft's Python SDKs authenticate through an azure-core ``TokenCredential``. azure-identity's
credentials insist on an https authority, while a development Tandem server speaks plain http on
127.0.0.1, so this credential posts the client-credentials form itself and caches each scope's token
until shortly before it expires. Pair it with ``enforce_https=False`` on SDK clients that check the
scheme.

    from static_credential import TandemCredential
    credential = TandemCredential.from_env("TANDEM_XDR_URL")           # read-write app
    reader = TandemCredential.from_env("TANDEM_SIEM_URL", reader=True)  # read-only app
"""

import json
import os
import time
import urllib.error
import urllib.parse
import urllib.request

from azure.core.credentials import AccessToken, AccessTokenInfo
from azure.core.exceptions import ClientAuthenticationError

# Refresh a cached token this many seconds before it expires.
REFRESH_MARGIN_SECONDS = 300


class TandemCredential:
    """A ``TokenCredential`` (and ``SupportsTokenInfo``) for one app of one Tandem tenant."""

    def __init__(self, base_url, tenant_id, client_id, client_secret):
        self.token_url = f"{base_url.rstrip('/')}/{tenant_id}/oauth2/v2.0/token"
        self.client_id = client_id
        self._client_secret = client_secret
        self._cache = {}

    @classmethod
    def from_env(cls, url_variable="TANDEM_XDR_URL", reader=False, environ=None):
        """Builds the credential from ``credentials.env`` variables in the environment."""
        env = os.environ if environ is None else environ
        prefix = "TANDEM_READER_CLIENT" if reader else "TANDEM_CLIENT"
        return cls(
            env[url_variable],
            env["TANDEM_TENANT_ID"],
            env[f"{prefix}_ID"],
            env[f"{prefix}_SECRET"],
        )

    def get_token(self, *scopes, claims=None, tenant_id=None, enable_cae=False, **kwargs):
        """Returns an ``AccessToken`` for the scopes (one ``<resource>/.default`` scope)."""
        info = self.get_token_info(*scopes)
        return AccessToken(info.token, info.expires_on)

    def get_token_info(self, *scopes, options=None):
        """Returns an ``AccessTokenInfo`` for the scopes, from the cache while it is fresh."""
        scope = " ".join(scopes)
        cached = self._cache.get(scope)
        if cached is not None and cached.expires_on - REFRESH_MARGIN_SECONDS > time.time():
            return cached
        info = self._fetch(scope)
        self._cache[scope] = info
        return info

    def _fetch(self, scope):
        form = urllib.parse.urlencode(
            {
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "scope": scope,
                "grant_type": "client_credentials",
            }
        ).encode()
        request = urllib.request.Request(self.token_url, data=form, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                body = json.load(response)
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise ClientAuthenticationError(
                message=f"token endpoint {self.token_url} answered {error.code}: {detail}"
            ) from error
        expires_on = int(time.time()) + int(body["expires_in"])
        return AccessTokenInfo(body["access_token"], expires_on, token_type=body["token_type"])

    def close(self):
        """Nothing to release; present because SDK clients call it."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
