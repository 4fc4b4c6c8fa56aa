"""A stand-in for a Tandem server process, following the server contract's start-up part: takes
--listen and --data-dir, binds, writes its URL into DIR/credentials.env, answers GET /healthz, and
exits 0 on SIGTERM."""

import argparse
import http.server
import os
import signal
import sys


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        status = 200 if self.path == "/healthz" else 404
        body = b'{"status":"ok"}' if status == 200 else b"{}"
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


parser = argparse.ArgumentParser()
parser.add_argument("--listen", required=True)
parser.add_argument("--data-dir", required=True)
options = parser.parse_args()
host, port = options.listen.rsplit(":", 1)
server = http.server.HTTPServer((host, int(port)), Health)
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
bound_host, bound_port = server.server_address[:2]
with open(os.path.join(options.data_dir, "credentials.env"), "w") as file:
    file.write(f"TANDEM_TENANT_ID=fake-tenant\nTANDEM_FAKE_URL=http://{bound_host}:{bound_port}\n")
server.serve_forever()
