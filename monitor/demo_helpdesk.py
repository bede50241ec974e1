"""The demo's helpdesk: a loopback receiver of the `webhook` hand-off, playing the other side.

It checks the signature of what brand-monitor sends, as a helpdesk would (the documented
scheme: hex HMAC-SHA256 of "<timestamp>.<body>"), prints what it received, answers with a
ticket id and link, and later posts a signed "solved" back to `/helpdesk/<brand id>`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from monitor.settings import BrandConfig, Config, Helpdesk

SECRET_ENV, INBOUND_ENV = "DEMO_HELPDESK_SECRET", "DEMO_HELPDESK_INBOUND_SECRET"


def _sign(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


class DemoHelpdesk:
    """`with DemoHelpdesk() as desk:`; `desk.url` takes the tickets, `desk.environ` the secrets."""

    def __init__(self) -> None:
        self.environ = {SECRET_ENV: secrets.token_hex(16), INBOUND_ENV: secrets.token_hex(16)}
        self.received: list[dict[str, Any]] = []
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stamp = self.headers.get("X-Brand-Monitor-Timestamp", "")
                signed = hmac.compare_digest(_sign(desk.environ[SECRET_ENV], stamp, body),
                                             self.headers.get("X-Brand-Monitor-Signature", ""))
                if not signed:
                    self.send_response(401)
                    self.end_headers()
                    return
                ticket_id = f"HD-{len(desk.received) + 1}"
                desk.received.append({"id": ticket_id, **json.loads(body)})
                data = json.dumps({"id": ticket_id, "status": "open",
                                   "url": f"{desk.url}/tickets/{ticket_id}"}).encode()
                self.send_response(201)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self.server.serve_forever, name="demo-helpdesk", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def start(self) -> DemoHelpdesk:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> DemoHelpdesk:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def configure(self, config: Config) -> Config:
        """The demo config with the first brand's `helpdesk: {type: webhook, ...}` pointing here."""
        brand: BrandConfig = config.brands[0]
        desk = Helpdesk(type="webhook", url=f"{self.url}/tickets", secret_env=SECRET_ENV,
                        inbound_secret_env=INBOUND_ENV)
        brands = [brand.model_copy(update={"helpdesk": desk}), *config.brands[1:]]
        return config.model_copy(update={"brands": brands})

    def solve(self, endpoint: str, ticket_id: str) -> int:
        """Post the signed `{"ticket_id": ..., "status": "solved"}` to `endpoint`; its status."""
        body = json.dumps({"ticket_id": ticket_id, "status": "solved"}).encode()
        stamp = str(int(time.time()))
        request = urllib.request.Request(endpoint, data=body, method="POST", headers={  # noqa: S310
            "Content-Type": "application/json", "X-Brand-Monitor-Timestamp": stamp,
            "X-Brand-Monitor-Signature": _sign(self.environ[INBOUND_ENV], stamp, body)})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            return int(response.status)
