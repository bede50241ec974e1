"""What the connector tests share: recorded responses under tests/fixtures, and mock HTTP."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

FIXTURES = Path(__file__).parents[1] / "fixtures"

Handler = Callable[[httpx.Request], httpx.Response]


class Recorded:
    """One platform's recorded responses: tests/fixtures/<platform>/<name><suffix>."""

    def __init__(self, platform: str, suffix: str = "") -> None:
        self.folder = FIXTURES / platform
        self.suffix = suffix

    def text(self, name: str) -> str:
        """Return the recorded body as text."""
        return (self.folder / f"{name}{self.suffix}").read_text(encoding="utf-8")

    def json(self, name: str) -> Any:
        """Return the recorded body, parsed."""
        return json.loads(self.text(name))

    def ok(self, name: str, status: int = 200) -> httpx.Response:
        """Answer an httpx request with the recorded body."""
        return httpx.Response(status, json=self.json(name))

    def google_ok(self, name: str) -> tuple[dict[str, str], str]:
        """Answer a googleapiclient request (an HttpMockSequence entry) with the recorded body."""
        return {"status": "200", "content-type": "application/json"}, self.text(name)


def recorder(seen: list[httpx.Request], *responses: httpx.Response) -> Handler:
    """Answer with `responses` in order, keeping every request in `seen`."""
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)
    return handler


def mock_client(handler: Handler) -> httpx.Client:
    """Return an httpx client whose requests `handler` answers."""
    return httpx.Client(transport=httpx.MockTransport(handler))
