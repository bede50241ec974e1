"""Socket Mode with several connections: the real slack_bolt handlers and slack_sdk clients, over
real WebSockets to a local fake of Slack's Socket Mode server.

The fake Web API answers `apps.connections.open` with a ws:// URL on loopback; the WebSocket
server there says hello, as Slack does, hands out envelopes the test sends, and records the
acknowledgements that come back on each connection.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve

from alerts import action_ids as ids
from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client, start_interactions
from alerts.socket_mode import CONNECTIONS_ENV, MAX_CONNECTIONS, connections_wanted
from monitor.domain import CaseStatus
from monitor.poller import poll_all
from monitor.settings import Environment
from tests.factories import World, make_world, post
from tests.fake_slack import FakeSlack
from tests.test_story import buttons

APP_TOKEN = "xapp-1-test"


@dataclass
class Ack:
    connection: int
    message: dict[str, Any]


class SocketSlack(FakeSlack):
    """The fake Web API, and a Socket Mode server its `apps.connections.open` points to."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.connections: list[ServerConnection] = []
        self.acks: list[Ack] = []
        self.closed = 0
        self.refuse_from: int | None = None  # the n-th apps.connections.open (1-based) fails
        self.state = threading.Condition()
        self.ws = serve(self._serve, "127.0.0.1", 0, compression=None)
        self.ws_port = self.ws.socket.getsockname()[1]
        self.ws_thread = threading.Thread(target=self.ws.serve_forever, daemon=True)

    def __enter__(self) -> SocketSlack:
        super().__enter__()
        self.ws_thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.ws.shutdown()
        super().__exit__(*exc)

    def _answer(self, method: str, params: dict[str, Any],
                headers: dict[str, str]) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, body, extra = super()._answer(method, params, headers)
        if method != "apps.connections.open" or not body.get("ok"):
            return status, body, extra
        opened = len(self.of(method))
        if self.refuse_from is not None and opened >= self.refuse_from:
            return 200, {"ok": False, "error": "too_many_websockets"}, {}
        return 200, {"ok": True, "url": f"ws://127.0.0.1:{self.ws_port}/link/?ticket={opened}"}, {}

    def _serve(self, ws: ServerConnection) -> None:
        with self.state:
            self.connections.append(ws)
            index = len(self.connections) - 1
            self.state.notify_all()
        ws.send(json.dumps({"type": "hello", "num_connections": index + 1,
                            "debug_info": {"host": "fake-socket-mode"},
                            "connection_info": {"app_id": "A0FAKE"}}))
        try:
            for raw in ws:
                with self.state:
                    self.acks.append(Ack(index, json.loads(raw)))
                    self.state.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self.state:
                self.closed += 1
                self.state.notify_all()

    def wait(self, condition: Any, timeout: float = 10.0) -> None:
        with self.state:
            assert self.state.wait_for(condition, timeout=timeout), "timed out"

    def envelope(self, connection: int, payload: dict[str, Any]) -> str:
        """Send an interactive envelope down one connection, as Slack does; its id."""
        envelope_id = uuid.uuid4().hex
        self.connections[connection].send(json.dumps({
            "envelope_id": envelope_id, "type": "interactive", "payload": payload,
            "accepts_response_payload": False, "retry_attempt": 0, "retry_reason": ""}))
        return envelope_id


def block_actions(user: str, action: dict[str, Any]) -> dict[str, Any]:
    return {"type": "block_actions", "api_app_id": "A0FAKE",
            "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
            "team": {"id": "T0FAKE", "domain": "fake"}, "trigger_id": f"1.2.{uuid.uuid4().hex}",
            "container": {"type": "message", "message_ts": "1700000001.000100", "channel_id": "C0ACME"},
            "channel": {"id": "C0ACME", "name": "complaints"},
            "message": {"ts": "1700000001.000100", "text": ""}, "actions": [action]}


@pytest.fixture
def slack() -> Iterator[SocketSlack]:
    with SocketSlack(usergroups={"S0TEAM": ["U0GROUPIE"]}) as fake:
        yield fake


@pytest.fixture
def world(tmp_path: Path, slack: SocketSlack) -> World:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_app_token=SecretStr(APP_TOKEN),
                      slack_api_url=slack.url, database_url=f"sqlite:///{tmp_path / 'bm.db'}")
    world = make_world(tmp_path, env=env)
    world.clock.now = datetime.now(UTC).replace(microsecond=0)
    return world


def test_three_connections__each_delivers_clicks_and_close_closes_them_all(world: World,
                                                                           slack: SocketSlack) -> None:
    world.add_posts(post("1", "acme parcel is late, refund please", minutes_ago=2))
    poll_all(world.runtime)
    flush(world.runtime, SlackDelivery(make_client(world.runtime.env)))
    [case] = world.runtime.store.cases()
    [alert] = slack.of("chat.postMessage")

    served = start_interactions(world.runtime, mode="socket", connections=3)
    try:
        slack.wait(lambda: len(slack.connections) == 3)
        opens = slack.of("apps.connections.open")
        assert len(opens) == 3
        assert all(c.headers.get("Authorization") == f"Bearer {APP_TOKEN}" for c in opens)

        assign = buttons(alert.params["blocks"], ids.ASSIGN_ME)[0]
        first = slack.envelope(1, block_actions("U0GROUPIE", assign))
        slack.wait(lambda: any(a.message.get("envelope_id") == first for a in slack.acks))
        slack.wait_for("chat.update", 1)
        resolve = buttons(alert.params["blocks"], ids.RESOLVE)[0]
        second = slack.envelope(2, block_actions("U0ALLOWED", resolve))
        slack.wait(lambda: any(a.message.get("envelope_id") == second for a in slack.acks))
        slack.wait_for("chat.update", 2)
        acks = {a.message["envelope_id"]: a.connection for a in slack.acks}
        assert acks == {first: 1, second: 2}, "each acknowledged on the connection it came by"
        done = world.runtime.store.case(case.id)
        assert done.assignee == "U0GROUPIE" and done.status == CaseStatus.RESOLVED.value
    finally:
        served.close()
    slack.wait(lambda: slack.closed == 3)
    time.sleep(0.5)
    assert len(slack.of("apps.connections.open")) == 3, "closed, not reconnected"


def test_connections_from_the_environment(world: World, slack: SocketSlack,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONNECTIONS_ENV, "2")
    served = start_interactions(world.runtime, mode="socket")
    try:
        slack.wait(lambda: len(slack.connections) == 2)
    finally:
        served.close()
    slack.wait(lambda: slack.closed == 2)
    monkeypatch.delenv(CONNECTIONS_ENV)
    served = start_interactions(world.runtime, mode="socket")
    try:
        slack.wait(lambda: len(slack.connections) == 3)
        time.sleep(0.3)
        assert len(slack.of("apps.connections.open")) == 3, "one more: the default is 1"
    finally:
        served.close()


@pytest.mark.parametrize("value", ["0", "11", "-1", "two", "2.5"])
def test_connections_out_of_range__clear_error_before_any_connection(world: World, slack: SocketSlack,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     value: str) -> None:
    monkeypatch.setenv(CONNECTIONS_ENV, value)
    with pytest.raises(SystemExit) as refused:
        start_interactions(world.runtime, mode="socket")
    message = str(refused.value)
    assert CONNECTIONS_ENV in message and repr(value) in message and "1 to 10" in message
    assert slack.of("apps.connections.open") == []


def test_connections_wanted__default_and_bounds() -> None:
    assert connections_wanted({}) == 1
    assert connections_wanted({CONNECTIONS_ENV: " "}) == 1
    assert connections_wanted({CONNECTIONS_ENV: "1"}) == 1
    assert connections_wanted({CONNECTIONS_ENV: str(MAX_CONNECTIONS)}) == MAX_CONNECTIONS
    with pytest.raises(SystemExit):
        connections_wanted({CONNECTIONS_ENV: str(MAX_CONNECTIONS + 1)})


def test_one_connection_refused__the_opened_ones_closed_and_the_error_raised(world: World,
                                                                             slack: SocketSlack) -> None:
    slack.refuse_from = 2
    with pytest.raises(SlackApiError, match="too_many_websockets"):
        start_interactions(world.runtime, mode="socket", connections=3)
    slack.wait(lambda: len(slack.connections) == 1 and slack.closed == 1)
    time.sleep(0.3)
    assert len(slack.of("apps.connections.open")) == 2, "no retry after the refusal"


def test_close__a_connection_that_never_stops_does_not_hang_the_others(
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """slack_sdk's client can restart its read loop while close() runs and then wait on it
    forever; closing gives up on that one after CLOSE_WAIT and still closes the rest."""
    from alerts import socket_mode

    release = threading.Event()

    class Handler:
        def __init__(self, how: str) -> None:
            self.how, self.closed = how, False

        def close(self) -> None:
            if self.how == "hangs":
                release.wait()
            if self.how == "fails":
                raise RuntimeError("socket already gone")
            self.closed = True

    monkeypatch.setattr(socket_mode, "CLOSE_WAIT", 0.3)
    connections = socket_mode.SocketConnections.__new__(socket_mode.SocketConnections)
    handlers = [Handler("hangs"), Handler("closes"), Handler("fails"), Handler("closes")]
    connections.handlers = handlers  # type: ignore[assignment]
    unstick = threading.Timer(6, release.set)  # so that a close() that waits ends, and fails
    unstick.start()
    started = time.monotonic()
    try:
        with caplog.at_level("WARNING", logger="alerts.socket_mode"):
            connections.close()
        took = time.monotonic() - started
    finally:
        release.set()
        unstick.cancel()
    assert took < 5, "close() gave up on the stuck connection instead of waiting on it"
    assert [h.closed for h in handlers] == [False, True, False, True]
    messages = [r.getMessage() for r in caplog.records]
    assert any("connection 1 of 4 did not stop" in m for m in messages)
    assert any("closing a Socket Mode connection failed: socket already gone" in m for m in messages)
