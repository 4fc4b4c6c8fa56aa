"""What every TLS acceptance script shares: the azure-identity credential a SOC engineer would build.

Against Microsoft's cloud the engineer writes ``ClientSecretCredential(tenant, client_id, secret)``;
against Tandem the same credential gets the server as its ``authority`` (with instance discovery off,
as for any sovereign or private cloud) and the CA file to trust. Nothing else changes: MSAL inside
azure-identity reads the server's OpenID metadata to find the token endpoint itself.
"""

import os

from azure.identity import ClientSecretCredential


def credential(url_variable, reader=False, **kwargs):
    """A ``ClientSecretCredential`` for the app in ``credentials.env`` (the reader app if asked),
    whose authority is the server in ``url_variable``. ``kwargs`` go to azure-identity (for instance
    ``connection_verify``)."""
    prefix = "TANDEM_READER_CLIENT" if reader else "TANDEM_CLIENT"
    return ClientSecretCredential(
        os.environ["TANDEM_TENANT_ID"],
        os.environ[f"{prefix}_ID"],
        os.environ[f"{prefix}_SECRET"],
        authority=os.environ[url_variable],
        disable_instance_discovery=True,
        **kwargs,
    )
