"""Meta's webhook wired in: served beside /slack/events, each change polls its source now."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from pydantic import SecretStr

from alerts.http_server import build_wsgi_app
from alerts.meta_webhook import signature
from alerts.service import meta_webhook
from monitor.settings import Environment
from tests.alerts.test_meta_webhook import PAGE_CHANGE, SECRET, VERIFY, call
from tests.factories import make_world, post


class Polls:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str | None]] = []

    def __call__(self, platform: str, account_id: str | None) -> int:
        self.asked.append((platform, account_id))
        return 1


def _runtime(polls: Polls, configured: bool = True) -> Any:
    env = Environment(meta_app_secret=SecretStr(SECRET) if configured else None,
                      meta_webhook_verify_token=SecretStr(VERIFY) if configured else None)
    return SimpleNamespace(env=env, poll_soon=polls)


def test_signed_page_change__polls_the_page_source_now() -> None:
    polls = Polls()
    app = build_wsgi_app(object(), "slack-secret", meta=meta_webhook(_runtime(polls)))  # type: ignore[arg-type]
    body = json.dumps(PAGE_CHANGE).encode()
    status, _ = call(app, "POST", body=body, headers={"X-Hub-Signature-256": signature(body, SECRET)})
    assert status.startswith("200")
    assert polls.asked == [("facebook", "104000000000001")]
    status, _ = call(app, "POST", body=body, headers={"X-Hub-Signature-256": "sha256=" + "0" * 64})
    assert status.startswith("401") and len(polls.asked) == 1


def test_not_configured__no_webhook_route() -> None:
    assert meta_webhook(_runtime(Polls(), configured=False)) is None
    app = build_wsgi_app(object(), "slack-secret", meta=None)  # type: ignore[arg-type]
    status, _ = call(app, "GET", query="hub.mode=subscribe&hub.verify_token=x&hub.challenge=1")
    assert status.startswith("404")


def test_poll_soon__polls_matching_sources_in_the_background(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.add_posts(post("1", "acme parcel is late"))
    assert world.runtime.poll_soon("facebook", "1") == 0, "no source of that platform"
    assert world.runtime.poll_soon("replay", None) == 1
    deadline = time.monotonic() + 10
    while not world.runtime.store.cases() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(world.runtime.store.cases()) == 1


def test_poll_soon__queues_the_poll_where_a_job_engine_runs_them(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    world.add_posts(post("1", "acme parcel is late"))
    queued: list[tuple[str, str]] = []
    world.runtime.queue_poll = lambda brand, source: queued.append((brand, source)) or True
    assert world.runtime.poll_soon("replay", None) == 1
    assert queued == [("acme", "posts")]
    time.sleep(0.3)
    assert world.runtime.store.cases() == []  # nothing polled in this process
