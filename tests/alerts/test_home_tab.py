"""The Home tab: a signed app_home_opened through the real HTTP endpoint publishes the member's
queue (and nothing of any brand to a stranger); case changes refresh it, debounced per user."""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from alerts.delivery import SlackDelivery
from alerts.home_tab import REFRESH_EVERY
from alerts.http_server import EVENTS_PATH, HttpServer, serve_slack
from alerts.sender import flush
from alerts.service import make_client
from alerts.slack_app import build_app
from monitor import casework
from monitor.poller import poll_all
from monitor.settings import Environment
from tests.factories import T0, World, make_world, post
from tests.fake_slack import Failure, FakeSlack
from tests.test_story import SECRET

MEMBER, GROUPIE, HELPER, STRANGER = "U0ALLOWED", "U0GROUPIE", "U0HELPER", "U0STRANGER"
EXTRA = f"""\
    team: [{HELPER}]
    waves:
      enabled: false
"""


@dataclass
class Home:
    world: World
    slack: FakeSlack
    client: WebClient
    server: HttpServer

    def open_tab(self, user: str) -> int:
        body = json.dumps({
            "token": "unused", "team_id": "T0FAKE", "api_app_id": "A0FAKE", "type": "event_callback",
            "event_id": f"Ev{time.time_ns()}", "event_time": int(time.time()),
            "event": {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home",
                      "event_ts": f"{time.time():.6f}"}})
        stamp = str(int(time.time()))
        signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or ""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            conn.request("POST", EVENTS_PATH, body=body.encode(), headers={
                "Content-Type": "application/json", "X-Slack-Request-Timestamp": stamp,
                "X-Slack-Signature": signature})
            return conn.getresponse().status
        finally:
            conn.close()

    def publishes(self, user: str | None = None) -> list[dict[str, Any]]:
        return [c.params for c in self.slack.of("views.publish")
                if user is None or c.params.get("user_id") == user]

    def flush(self) -> int:
        return flush(self.world.runtime, SlackDelivery(self.client))


def _text(view: dict[str, Any]) -> str:
    """Every text of a view, fields included, one after the other."""
    parts: list[str] = []
    for block in view["blocks"]:
        for piece in [block.get("text") or {}, *(block.get("fields") or []), *(block.get("elements") or [])]:
            if isinstance(piece, dict) and "text" in piece:
                parts.append(str(piece["text"]))
    return "\n".join(parts)


def _view(params: dict[str, Any]) -> dict[str, Any]:
    view = params["view"]
    return json.loads(view) if isinstance(view, str) else view


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Home]:
    with FakeSlack(usergroups={"S0TEAM": [GROUPIE]}) as slack:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          slack_signing_secret=SecretStr(SECRET),
                          database_url=f"sqlite:///{tmp_path / 'bm.db'}")
        world = make_world(tmp_path, env=env, extra=EXTRA)
        client = make_client(env)
        server = serve_slack(build_app(world.runtime, client, SECRET), SECRET, "127.0.0.1", 0)
        try:
            yield Home(world, slack, client, server)
        finally:
            server.close()


def _complaints(home: Home, *ids: str, late: bool = False) -> None:
    at = T0 - timedelta(hours=2) if late else T0
    home.world.add_posts(*[post(i, f"acme order {i} is late, refund please", author=f"c{i}",
                                published_at=at) for i in ids])
    poll_all(home.world.runtime)


def test_home_opened__member_sees_counts_and_alert_links(home: Home) -> None:
    _complaints(home, "1", "2", late=True)
    _complaints(home, "3")
    home.flush()
    before = len(home.publishes(MEMBER))
    assert home.open_tab(MEMBER) == 200
    home.slack.wait_for("views.publish", len(home.publishes()) + 1)
    [*_, params] = home.publishes(MEMBER)
    assert len(home.publishes(MEMBER)) == before + 1
    view = _view(params)
    text = _text(view)
    assert view["type"] == "home"
    assert "Acme Coffee" in text
    assert "*Open*\n3" in text and "*Overdue*\n2" in text and "*Yours*\n0" in text
    assert "https://slack.com/archives/C0ACME/p" in text  # each listed case links to its alert
    assert "*Complaints this week*\n3" in text


def test_home_opened__stranger_sees_no_brand(home: Home) -> None:
    _complaints(home, "1")
    home.flush()
    assert home.open_tab(STRANGER) == 200
    [params] = home.slack.wait_for("views.publish", len(home.publishes()) + 1)[-1:]
    assert params.params["user_id"] == STRANGER
    text = _text(_view(params.params))
    assert "Acme" not in text and "ACME-" not in text
    assert "not on any brand's team" in text


def test_case_change__refreshes_members_once_per_window(home: Home) -> None:
    _complaints(home, "1", "2")
    home.flush()
    first = {p["user_id"] for p in home.publishes()}
    assert first == {MEMBER, GROUPIE, HELPER}  # listed users, a user group's members, the team
    case_id = home.world.runtime.store.cases(brand_id="acme")[0].id
    casework.assign(home.world.runtime, case_id, MEMBER, MEMBER)
    home.flush()
    assert len(home.publishes(MEMBER)) == 1, "inside the window the change waits"
    home.world.clock.advance(seconds=REFRESH_EVERY.total_seconds())
    home.flush()  # nothing new was sent: the stale views go out now
    assert len(home.publishes(MEMBER)) == 2
    assert "*Yours*\n1" in _text(_view(home.publishes(MEMBER)[-1]))
    assert "*Yours*\n0" in _text(_view(home.publishes(HELPER)[-1]))


def test_wave_of_cases__one_publish_per_member(home: Home) -> None:
    _complaints(home, *[f"w{i}" for i in range(40)])
    home.flush()
    assert sorted(p["user_id"] for p in home.publishes()) == sorted([MEMBER, GROUPIE, HELPER])
    assert "*Open*\n40" in _text(_view(home.publishes(MEMBER)[-1]))


def test_publish_failure__alerts_still_sent(home: Home) -> None:
    for _ in range(3):
        home.slack.fail_next("views.publish", Failure(body={"ok": False, "error": "internal_error"}))
    _complaints(home, "1")
    assert home.flush() == 1
    assert len(home.slack.of("chat.postMessage")) == 1
