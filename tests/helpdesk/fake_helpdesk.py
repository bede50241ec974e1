"""A loopback fake of a helpdesk's HTTP API that records each request and answers from a
recorded response (tests/fixtures/helpdesk/), or from failures queued by the test."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "helpdesk"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return data


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class FakeHelpdesk:
    """`with FakeHelpdesk(201, fixture(...)) as desk:`; `desk.url` is its base URL."""

    def __init__(self, status: int = 201, answer: dict[str, Any] | None = None) -> None:
        self.status = status
        self.answer = answer or {}
        self.requests: list[Request] = []
        self.failures: list[tuple[int, dict[str, Any]]] = []
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with fake._lock:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    fake.requests.append(Request("POST", self.path, headers, body))
                    status, answer = fake.failures.pop(0) if fake.failures else (fake.status, fake.answer)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}"

    def fail_next(self, status: int, answer: dict[str, Any] | None = None) -> None:
        self.failures.append((status, answer or {"error": "InternalError"}))

    def __enter__(self) -> FakeHelpdesk:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def sample_ticket(**changes: Any) -> Any:
    """A ticket request as monitor.tickets builds one, for one delivery complaint."""
    from dataclasses import replace
    from datetime import UTC, datetime

    from monitor.domain import Category, CustomerHistory
    from monitor.helpdesk_types import TicketRequest

    ticket = TicketRequest(
        reference="ACME-1", brand_name="Acme Coffee",
        subject="[Acme Coffee] ACME-1: delivery complaint from @jan on X",
        body="X post by Jan (@jan):\n> my parcel is two weeks late\nSlack alert: https://fake.slack.com/archives/C0ACME/p1",
        post_text="my parcel is two weeks late", author_name="Jan", author_handle="jan", platform="X",
        post_url="https://x.com/jan/status/1", published_at=datetime(2026, 11, 2, 9, 58, tzinfo=UTC),
        customer_key="x:jan",
        history=CustomerHistory(earlier_cases=2, last_category=Category.REFUND, last_reference="ACME-0"),
        category="delivery", categories=("delivery", "service"), severity="accusation", priority="high",
        deadline_at=datetime(2026, 11, 2, 10, 58, tzinfo=UTC),
        alert_link="https://fake.slack.com/archives/C0ACME/p1", idempotency_key="brand-monitor-ACME-1-1",
        tags=("brand-monitor", "acme-1", "delivery"),
    )
    return replace(ticket, **changes)
