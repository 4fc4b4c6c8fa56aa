"""A client that does not trust Tandem's CA must fail with a certificate error, not fall back to
anything weaker. Run without ``SSL_CERT_FILE`` / ``REQUESTS_CA_BUNDLE``: azure-identity then trusts only
the public roots. Prints the error it got; exits non-zero if the token was issued anyway or the
failure was not about the certificate.
"""

import sys

from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

from tandem_tls import credential

try:
    credential("TANDEM_XDR_URL").get_token("https://graph.microsoft.com/.default")
    sys.exit("MISMATCH: a token came back over a connection to an untrusted certificate")
except (ClientAuthenticationError, ServiceRequestError, ValueError) as error:
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" not in text and "certificate verify failed" not in text:
        sys.exit(f"MISMATCH: failed, but not with a certificate error: {text}")
    print(f"refused: {type(error).__name__}: certificate verify failed")
