"""Two replicas of the HTTP endpoint on one database, as behind a load balancer (with none here).

Each replica is a Runtime of its own (its own store, engine and connection pool) served by
alerts.service.start_interactions on its own port, as `brand-monitor run --mode http` serves
it. Clicks are signed once, as Slack signs them, then sent to one replica or the other; on a
SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import http.client
import io
import json
import shutil
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from alerts import action_ids as ids
from alerts.delivery import SlackDelivery
from alerts.http_server import EVENTS_PATH, build_wsgi_app
from alerts.replay_guard import REMEMBER_SECONDS, SIGNATURE_WINDOW_SECONDS
from alerts.replay_store import CLOCK_MARGIN_SECONDS, DatabaseSeenRequests
from alerts.sender import flush
from alerts.service import Interactions, make_client, start_interactions
from alerts.slack_app import build_app
from monitor.config_loader import load_config
from monitor.domain import CaseStatus
from monitor.models import SeenRequestRow
from monitor.poller import poll_all
from monitor.settings import Environment
from monitor.store import Store
from monitor.store_requests import keys_store
from monitor.wiring import Runtime, build_runtime
from tests.factories import World, make_world, post
from tests.fake_slack import FakeSlack
from tests.test_story import SECRET, buttons

CHANNEL, MESSAGE_TS = "C0ACME", "1700000001.000100"


@dataclass(frozen=True)
class Signed:
    """One request as Slack sent it: the body and its signed headers, to send anywhere."""

    body: bytes
    headers: dict[str, str]


def signed(user: str, action: dict[str, Any], timestamp: int | None = None) -> Signed:
    payload = {
        "type": "block_actions", "api_app_id": "A0FAKE", "token": "unused",
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T0FAKE"},
        "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": f"1.2.{uuid.uuid4().hex}",
        "container": {"type": "message", "message_ts": MESSAGE_TS, "channel_id": CHANNEL},
        "channel": {"id": CHANNEL, "name": "complaints"}, "message": {"ts": MESSAGE_TS, "text": ""},
        "actions": [action],
    }
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(timestamp if timestamp is not None else int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body) or ""
    return Signed(body.encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                  "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})


def send(port: int, request: Signed) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("POST", EVENTS_PATH, body=request.body, headers=request.headers)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@dataclass
class Replicas:
    world: World
    slack: FakeSlack
    other: Runtime
    a: Interactions
    b: Interactions

    @property
    def store(self) -> Store:
        return self.world.runtime.store

    def complaint(self) -> int:
        """A complaint polled and alerted (by replica A's runtime); its case id."""
        self.world.add_posts(post("1", "acme parcel is late, refund please", minutes_ago=2))
        poll_all(self.world.runtime)
        flush(self.world.runtime, SlackDelivery(make_client(self.world.runtime.env)))
        [case] = self.store.cases()
        return case.id

    def button(self, action_id: str, index: int = 0) -> dict[str, Any]:
        [alert] = [c for c in self.slack.of("chat.postMessage") if "blocks" in c.params]
        return buttons(alert.params["blocks"], action_id)[index]

    def event_kinds(self, case_id: int) -> list[str]:
        return [e.kind for e in self.other.store.events(case_id)]

    def settled(self, quiet: float = 0.5, limit: float = 10.0) -> int:
        """Wait until Slack has had no call for `quiet` seconds (the clicks' work is done);
        return how many calls it had."""
        deadline = time.monotonic() + limit
        count = len(self.slack.calls)
        while time.monotonic() < deadline:
            time.sleep(quiet)
            if len(self.slack.calls) == count:
                return count
            count = len(self.slack.calls)
        raise AssertionError("Slack kept being called")


@pytest.fixture
def replicas(tmp_path: Path, database_url: str) -> Iterator[Replicas]:
    with FakeSlack(usergroups={"S0TEAM": ["U0GROUPIE"]}) as slack:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          slack_signing_secret=SecretStr(SECRET), database_url=database_url)
        world = make_world(tmp_path, env=env)
        world.clock.now = datetime.now(UTC).replace(microsecond=0)
        other = build_runtime(load_config(world.config_path, env={}), world.config_path, env=env,
                              environ={}, clock=world.clock,
                              store=Store.from_url(database_url, migrate_schema=False))
        a = start_interactions(world.runtime, mode="http", port=0, host="127.0.0.1")
        b = start_interactions(other, mode="http", port=0, host="127.0.0.1")
        try:
            assert a.port != b.port
            yield Replicas(world, slack, other, a, b)
        finally:
            a.close()
            b.close()
            other.store.engine.dispose()
            world.runtime.store.engine.dispose()


def test_click_on_a__replayed_to_b_refused_and_changes_nothing__next_click_on_b_works(
        replicas: Replicas) -> None:
    case_id = replicas.complaint()
    assign = signed("U0GROUPIE", replicas.button(ids.ASSIGN_ME))
    assert send(replicas.a.port or 0, assign)[0] == 200
    replicas.slack.wait_for("chat.update", 1)
    calls = replicas.settled()
    assert replicas.store.case(case_id).assignee == "U0GROUPIE"
    events = replicas.event_kinds(case_id)

    status, text = send(replicas.b.port or 0, assign)
    assert (status, text) == (409, "brand-monitor: this request was already handled\n")
    assert send(replicas.a.port or 0, assign)[0] == 409
    assert replicas.settled() == calls, "no update, no private note, nothing"
    assert replicas.event_kinds(case_id) == events

    resolve = signed("U0ALLOWED", replicas.button(ids.RESOLVE))
    assert send(replicas.b.port or 0, resolve)[0] == 200
    replicas.slack.wait_for("chat.update", 2)
    case = replicas.store.case(case_id)
    assert case.status == CaseStatus.RESOLVED.value and case.assignee == "U0GROUPIE"
    kinds = replicas.event_kinds(case_id)
    assert kinds.count("assigned") == 1 and kinds.count("resolved") == 1
    keys = keys_store(replicas.store)
    try:
        assert keys.count(SeenRequestRow) == 2, "both accepted requests remembered, no more"
    finally:
        keys.engine.dispose()


def test_same_request_to_both_replicas_at_once__one_handles_it(replicas: Replicas) -> None:
    case_id = replicas.complaint()
    assign = signed("U0GROUPIE", replicas.button(ids.ASSIGN_ME))
    ports = [replicas.a.port or 0, replicas.b.port or 0]
    start = threading.Barrier(10)

    def one(i: int) -> int:
        start.wait()
        return send(ports[i % 2], assign)[0]

    with ThreadPoolExecutor(10) as pool:
        answers = sorted(pool.map(one, range(10)))
    assert answers == [200] + [409] * 9
    replicas.slack.wait_for("chat.update", 1)
    replicas.settled()
    assert replicas.event_kinds(case_id).count("assigned") == 1
    assert len(replicas.slack.of("chat.update")) == 1
    assert replicas.slack.of("chat.postEphemeral") == []


def test_two_publish_clicks_on_two_replicas_at_once__one_reply_published(replicas: Replicas) -> None:
    case_id = replicas.complaint()
    clicks = [(replicas.a.port or 0, signed("U0ALLOWED", replicas.button(ids.PUBLISH, 0))),
              (replicas.b.port or 0, signed("U0GROUPIE", replicas.button(ids.PUBLISH, 1)))]
    start = threading.Barrier(2)

    def one(click: tuple[int, Signed]) -> int:
        start.wait()
        return send(*click)[0]

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(one, clicks)) == [200, 200]
    [note] = replicas.slack.wait_for("chat.postEphemeral")
    replicas.slack.wait_for("chat.update")
    replicas.settled()
    assert len(replicas.world.reply_lines()) == 1
    assert replicas.event_kinds(case_id).count("replied") == 1
    winner = replicas.store.case(case_id).replied_by
    assert winner in ("U0ALLOWED", "U0GROUPIE") and note.params["user"] != winner
    assert "nothing was sent" in note.params["text"] and f"<@{winner}>" in note.params["text"]


@dataclass
class Direct:
    """A replica's WSGI app called in-process, with a clock the test sets."""

    app: Callable[..., Any]

    def __call__(self, request: Signed) -> str:
        environ: dict[str, Any] = {
            "REQUEST_METHOD": "POST", "PATH_INFO": EVENTS_PATH, "QUERY_STRING": "",
            "CONTENT_TYPE": request.headers["Content-Type"], "CONTENT_LENGTH": str(len(request.body)),
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80", "SERVER_PROTOCOL": "HTTP/1.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(request.body)}
        for name, value in request.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        status: list[str] = []
        b"".join(self.app(environ, lambda s, h, exc=None: status.append(s)))
        return status[0].split(" ", 1)[0]


@pytest.fixture(scope="module")
def quiet_slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


def _world(tmp_path: Path, slack: FakeSlack, database_url: str | None = None) -> World:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      slack_signing_secret=SecretStr(SECRET),
                      database_url=database_url or f"sqlite:///{tmp_path / 'bm.db'}")
    return make_world(tmp_path, env=env)


def test_replay_at_the_windows_far_edge__still_refused_by_the_other_replica(
        tmp_path: Path, database_url: str, quiet_slack: FakeSlack) -> None:
    """Accepted when its timestamp was 5 minutes ahead, replayed 10 minutes later when it is 5
    minutes behind: the signature still verifies, and the key is still remembered."""
    world = _world(tmp_path, quiet_slack, database_url)
    second = Store.from_url(database_url, migrate_schema=False)
    seen = [DatabaseSeenRequests(world.runtime.store), DatabaseSeenRequests(second)]
    now = [0.0]
    try:
        # The guard checks the signature against the test's clock; Bolt's own check would
        # use the real time.
        bolt = build_app(world.runtime, make_client(world.runtime.env), None,
                         request_verification_enabled=False)
        a, b = (Direct(build_wsgi_app(bolt, SECRET, each, clock=lambda: now[0])) for each in seen)
        stamp = 1_800_000_000
        request = signed("U0ALLOWED", {"action_id": ids.OPEN_POST, "block_id": "b", "type": "button",
                                       "action_ts": "1"}, timestamp=stamp)
        now[0] = stamp - SIGNATURE_WINDOW_SECONDS
        assert a(request) == "200"
        now[0] = stamp + SIGNATURE_WINDOW_SECONDS
        assert b(request) == "409"
        now[0] = stamp + SIGNATURE_WINDOW_SECONDS + 1
        assert b(request) == "401", "past the window the signature itself is refused"
        later = signed("U0ALLOWED", {"action_id": ids.OPEN_POST, "block_id": "b", "type": "button",
                                     "action_ts": "2"}, timestamp=stamp + 1000)
        now[0] = stamp + 1000
        assert b(later) == "200" and a(later) == "409"
    finally:
        for each in seen:
            each.close()
        second.engine.dispose()
        world.runtime.store.engine.dispose()


def test_database_seen_requests__a_key_is_new_again_after_the_window(database_url: str) -> None:
    first, second = Store.from_url(database_url), Store.from_url(database_url, migrate_schema=False)
    a, b = DatabaseSeenRequests(first), DatabaseSeenRequests(second)
    kept = REMEMBER_SECONDS + CLOCK_MARGIN_SECONDS  # 10 minutes, and a minute for clock skew
    try:
        assert a.first_time("1800000000:v0=aa", 1000.0)
        assert not b.first_time("1800000000:v0=aa", 1000.0 + REMEMBER_SECONDS + 1)
        assert not a.first_time("1800000000:v0=aa", 1000.0 + kept)
        assert b.first_time("1800000000:v0=aa", 1000.5 + kept), "then forgotten: new again"
        assert not a.first_time("1800000000:v0=aa", 1001.0 + kept)
        short = DatabaseSeenRequests(first, remember_seconds=5)
        assert short.first_time("other", 1000.0) and not short.first_time("other", 1005.0)
        assert short.first_time("other", 1005.5)
        short.close()
    finally:
        a.close()
        b.close()
        first.engine.dispose()
        second.engine.dispose()


def test_database_unreachable__503_and_the_click_reaches_nothing(tmp_path: Path,
                                                                 quiet_slack: FakeSlack) -> None:
    world = _world(tmp_path, quiet_slack)
    ran: list[str] = []
    bolt = build_app(world.runtime, make_client(world.runtime.env), SECRET)

    @bolt.action("test_count")
    def _count(ack: Any) -> None:
        ran.append("ran")
        ack()

    (tmp_path / "gone").mkdir()
    seen = DatabaseSeenRequests(Store.from_url(f"sqlite:///{tmp_path / 'gone' / 'x.db'}"))
    seen.close()
    shutil.rmtree(tmp_path / "gone")  # the database's directory is gone: no connection opens
    app = Direct(build_wsgi_app(bolt, SECRET, seen))
    assert app(signed("U0ALLOWED", {"action_id": "test_count", "block_id": "b", "type": "button",
                                    "action_ts": "1"})) == "503"
    assert ran == []
