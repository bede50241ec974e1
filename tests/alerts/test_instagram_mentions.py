"""Instagram @mentions by webhook: the change is fetched with the Mentions API and handled."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
from pydantic import SecretStr

from alerts.http_server import build_wsgi_app
from alerts.meta_webhook import signature
from alerts.service import meta_webhook
from connectors.instagram import InstagramConnector
from monitor.config_loader import load_config
from monitor.settings import Environment
from monitor.store import Store
from monitor.wiring import Runtime, build_runtime
from tests.alerts.test_meta_webhook import SECRET, VERIFY, call
from tests.connectors._support import Recorded, mock_client
from tests.factories import Clock, KeywordClassifier, write_brands

IG = "17841400000000001"
TOKEN_VAR = "ACME_INSTAGRAM_ACCESS_TOKEN"
COMMENT_MENTION = {"comment_id": "17960000000000021", "media_id": "17920000000000020"}
RECORDED = Recorded("instagram")
INSTAGRAM_SOURCE = f"""\
      - type: instagram
        name: ig
        credentials:
          access_token: {TOKEN_VAR}
        options:
          ig_user_id: "{IG}"
"""


def notification(field: str, value: dict[str, str]) -> bytes:
    return json.dumps({"object": "instagram", "entry": [
        {"id": IG, "time": 1795300000, "changes": [{"field": field, "value": value}]}]}).encode()


class FakeRuntime:
    """What meta_webhook asks of the runtime, recording the calls."""

    def __init__(self) -> None:
        self.env = Environment(meta_app_secret=SecretStr(SECRET),
                               meta_webhook_verify_token=SecretStr(VERIFY))
        self.pushed: list[tuple[str, str | None, dict[str, Any]]] = []
        self.polled: list[tuple[str, str | None]] = []

    def take_pushed(self, platform: str, account_id: str | None, change: dict[str, Any]) -> int:
        self.pushed.append((platform, account_id, change))
        return 1

    def poll_soon(self, platform: str, account_id: str | None) -> int:
        self.polled.append((platform, account_id))
        return 1


def post_signed(app: Any, body: bytes) -> str:
    status, _ = call(app, "POST", body=body, headers={"X-Hub-Signature-256": signature(body, SECRET)})
    return status


def test_signed_mentions_change__reaches_take_pushed_with_the_change() -> None:
    runtime = FakeRuntime()
    app = build_wsgi_app(object(), "slack-secret", meta=meta_webhook(runtime))  # type: ignore[arg-type]

    assert post_signed(app, notification("mentions", COMMENT_MENTION)).startswith("200")

    assert runtime.pushed == [("instagram", IG, {"field": "mentions", "value": COMMENT_MENTION,
                                                 "entry_id": IG})]
    assert runtime.polled == []


def test_other_instagram_changes__still_poll() -> None:
    runtime = FakeRuntime()
    app = build_wsgi_app(object(), "slack-secret", meta=meta_webhook(runtime))  # type: ignore[arg-type]

    post_signed(app, notification("comments", {"id": "17950000000000003", "text": "hi"}))

    assert runtime.polled == [("instagram", IG)] and runtime.pushed == []


def _runtime(tmp_path: Path, seen: list[httpx.Request]) -> Runtime:
    """A runtime with an Instagram source whose Graph API answers the recorded mention."""
    path = write_brands(tmp_path, INSTAGRAM_SOURCE)
    environ = {TOKEN_VAR: "PLACEHOLDER_IG_TOKEN"}
    config = load_config(path, env=environ)
    env = Environment(database_url=f"sqlite:///{tmp_path / 'test.db'}")
    runtime = build_runtime(config, path, env=env, environ=environ,
                            clock=Clock(datetime(2026, 11, 21, 10, 30, tzinfo=UTC)),
                            store=Store.from_url(env.database_url))
    runtime._classifier = KeywordClassifier()
    body = RECORDED.json("mentioned_comment.json")
    body["mentioned_comment"]["text"] = "acme my grinder arrived broken, two weeks and no answer"

    def graph(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=body)

    brand = runtime.brand("acme")
    spec = runtime.spec(brand, runtime.source_config("acme", "ig"), "ig")
    runtime.connector_overrides[("acme", "ig")] = InstagramConnector(spec, mock_client(graph))
    return runtime


def test_take_pushed__opens_a_case_for_a_complaining_mention(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    runtime = _runtime(tmp_path, seen)
    change = {"field": "mentions", "value": COMMENT_MENTION, "entry_id": IG}

    assert runtime.take_pushed("instagram", "17841499999999999", change) == 0, "another account"
    assert runtime.take_pushed("facebook", IG, change) == 0, "no source of that platform"
    assert runtime.take_pushed("instagram", IG, change) == 1

    deadline = time.monotonic() + 10
    while not runtime.store.cases() and time.monotonic() < deadline:
        time.sleep(0.05)
    [case] = runtime.store.cases()
    assert case.mention.source == "ig" and case.mention.external_id == "17960000000000021"
    assert case.mention.kind == "comment" and case.mention.extra["mention"] is True
    assert case.mention.url == "https://www.instagram.com/p/DKasia020/"
    assert seen[0].headers["Authorization"] == "Bearer PLACEHOLDER_IG_TOKEN"
    assert seen[0].url.params["fields"].startswith("mentioned_comment.comment_id(17960000000000021)")


def test_take_pushed__the_real_webhook_route_gets_there(tmp_path: Path) -> None:
    seen: list[httpx.Request] = []
    runtime = _runtime(tmp_path, seen)
    wired = SimpleNamespace(env=Environment(meta_app_secret=SecretStr(SECRET),
                                            meta_webhook_verify_token=SecretStr(VERIFY)),
                            take_pushed=runtime.take_pushed, poll_soon=runtime.poll_soon)
    app = build_wsgi_app(object(), "slack-secret", meta=meta_webhook(wired))  # type: ignore[arg-type]

    assert post_signed(app, notification("mentions", COMMENT_MENTION)).startswith("200")

    deadline = time.monotonic() + 10
    while not runtime.store.cases() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(runtime.store.cases()) == 1
