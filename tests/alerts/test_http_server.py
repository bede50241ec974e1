"""The HTTP endpoint under load and attack: real TCP to waitress on 127.0.0.1, the real Bolt app.

Clicks are signed as Slack signs them (tests.test_story.click); the action here is a counting
one registered on the app built by alerts.slack_app.build_app, so "handled" can be counted.
"""

from __future__ import annotations

import contextlib
import http.client
import inspect
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from pydantic import SecretStr
from slack_sdk.signature import SignatureVerifier

from alerts.http_server import EVENTS_PATH, HttpServer, Limits, serve_slack
from alerts.replay_guard import SIGNATURE_WINDOW_SECONDS, InMemorySeenRequests, request_key
from alerts.service import make_client, start_interactions
from alerts.slack_app import build_app
from monitor.settings import Environment
from tests.factories import make_world
from tests.fake_slack import FakeSlack
from tests.test_story import SECRET, click

COUNT = "test_count"
MARKER = "body-marker-7f3a"


class RecordingSeen(InMemorySeenRequests):
    """The in-memory store, recording every key it is asked about."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: list[str] = []

    def first_time(self, key: str, now: float) -> bool:
        self.asked.append(key)
        return super().first_time(key, now)


@dataclass
class Endpoint:
    server: HttpServer
    seen: RecordingSeen
    ran: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        return self.server.port

    def click(self, value: str) -> int:
        action = {"action_id": COUNT, "block_id": "b1", "type": "button", "value": value, "action_ts": value}
        return click(self.port, "U0ALLOWED", action, "C0ACME", "1700000001.000100")


def _endpoint(tmp_path: Path, slack: FakeSlack, limits: Limits | None = None) -> Endpoint:
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      slack_signing_secret=SecretStr(SECRET), database_url=f"sqlite:///{tmp_path / 'bm.db'}")
    world = make_world(tmp_path, env=env)
    app = build_app(world.runtime, make_client(env), SECRET)
    seen = RecordingSeen()
    ran: list[str] = []
    lock = threading.Lock()

    @app.action(COUNT)
    def _count(ack: Any, body: dict[str, Any]) -> None:
        with lock:
            ran.append(body["actions"][0]["value"])
        ack()

    return Endpoint(serve_slack(app, SECRET, "127.0.0.1", 0, seen=seen, limits=limits), seen, ran)


@pytest.fixture(scope="module")
def slack() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def endpoint(tmp_path: Path, slack: FakeSlack) -> Iterator[Endpoint]:
    served = _endpoint(tmp_path, slack)
    try:
        yield served
    finally:
        served.server.close()


def _signed_body(value: str) -> str:
    payload = {"type": "block_actions", "user": {"id": "U0ALLOWED", "team_id": "T0FAKE"},
               "team": {"id": "T0FAKE"}, "api_app_id": "A0FAKE", "trigger_id": "1.2.abc",
               "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0ACME"},
               "channel": {"id": "C0ACME"}, "actions": [{"action_id": COUNT, "block_id": "b1",
                                                         "type": "button", "value": value}]}
    return urlencode({"payload": json.dumps(payload)})


def _headers(body: str, timestamp: str, secret: str = SECRET) -> dict[str, str]:
    signature = SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body) or ""
    return {"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": signature}


def _request(port: int, method: str, path: str, body: str = "",
             headers: dict[str, str] | None = None) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body.encode() or None, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _still_open(sock: socket.socket) -> bool:
    """True while the server has neither answered nor closed `sock`."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)  # data: it was answered; b"": it was closed
        return False
    except BlockingIOError:
        return True
    except OSError:
        return False
    finally:
        sock.setblocking(True)


def test_fifty_simultaneous_clicks__all_answered_and_handled(endpoint: Endpoint) -> None:
    start = threading.Barrier(50)

    def one(i: int) -> int | str:
        start.wait()
        try:
            return endpoint.click(f"v{i}")
        except OSError as exc:  # a reset or a refused connection
            return repr(exc)

    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(one, range(50)))
    assert answers == [200] * 50
    assert sorted(endpoint.ran) == sorted(f"v{i}" for i in range(50))


def test_idle_and_half_sent_connections__do_not_delay_a_click(endpoint: Endpoint) -> None:
    idle = socket.create_connection(("127.0.0.1", endpoint.port))
    loris = socket.create_connection(("127.0.0.1", endpoint.port))
    try:
        loris.sendall(f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appli".encode())
        time.sleep(0.2)  # both are accepted and waiting before the click
        started = time.monotonic()
        assert endpoint.click("prompt") == 200
        elapsed = time.monotonic() - started
        assert elapsed < 3.0, f"answered after {elapsed:.1f} s; Slack gives up after 3 s"
        assert _still_open(idle) and _still_open(loris), "answered only because they were dropped"
        assert endpoint.ran == ["prompt"]
    finally:
        idle.close()
        loris.close()


def test_idle_and_half_sent_connections__are_closed_after_the_timeout(tmp_path: Path,
                                                                      slack: FakeSlack) -> None:
    served = _endpoint(tmp_path, slack, Limits(channel_timeout=1))
    idle = socket.create_connection(("127.0.0.1", served.port))
    loris = socket.create_connection(("127.0.0.1", served.port))
    try:
        loris.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        for sock in (idle, loris):
            sock.settimeout(5)
            with contextlib.suppress(ConnectionResetError):
                assert sock.recv(1024) == b""
        assert time.monotonic() - started < 4
    finally:
        idle.close()
        loris.close()
        served.server.close()


def test_same_signed_request_twice__second_refused_action_runs_once(endpoint: Endpoint) -> None:
    body = _signed_body("once")
    headers = _headers(body, str(int(time.time())))
    assert _request(endpoint.port, "POST", EVENTS_PATH, body, headers)[0] == 200
    status, text = _request(endpoint.port, "POST", EVENTS_PATH, body, headers)
    assert status == 409 and "already handled" in text
    assert endpoint.ran == ["once"]


def test_same_signed_request_at_once__only_one_gets_through(endpoint: Endpoint) -> None:
    body = _signed_body("race")
    headers = _headers(body, str(int(time.time())))
    start = threading.Barrier(10)

    def one(_: int) -> int:
        start.wait()
        return _request(endpoint.port, "POST", EVENTS_PATH, body, headers)[0]

    with ThreadPoolExecutor(10) as pool:
        answers = sorted(pool.map(one, range(10)))
    assert answers == [200] + [409] * 9
    assert endpoint.ran == ["race"]


def test_seen_requests__forgotten_after_the_window_and_bounded() -> None:
    seen = InMemorySeenRequests()
    assert seen.first_time("a", 1000.0) and not seen.first_time("a", 1001.0)
    # A timestamp 5 minutes ahead still verifies 10 minutes after it was first accepted.
    assert not seen.first_time("a", 1000.0 + 2 * SIGNATURE_WINDOW_SECONDS - 1)
    assert seen.first_time("b", 1000.0 + 2 * SIGNATURE_WINDOW_SECONDS + 1) and len(seen) == 1
    small = InMemorySeenRequests(max_keys=3)
    assert all(small.first_time(str(i), 1.0) for i in range(5)) and len(small) == 3


def test_unsigned_or_forged__refused_and_nothing_marked_seen(endpoint: Endpoint) -> None:
    body = _signed_body("genuine")
    timestamp = str(int(time.time()))
    forged = _headers(body, timestamp, secret="not-the-secret")
    unsigned = {"Content-Type": "application/x-www-form-urlencoded"}
    bad_timestamp = dict(_headers(body, timestamp), **{"X-Slack-Request-Timestamp": "soon"})
    stale = _headers(body, str(int(time.time()) - 400))
    for headers in (forged, unsigned, bad_timestamp, stale):
        assert _request(endpoint.port, "POST", EVENTS_PATH, body, headers)[0] == 401
    assert endpoint.seen.asked == [] and len(endpoint.seen) == 0
    assert endpoint.ran == []

    genuine = _headers(body, timestamp)  # same body, same timestamp, right signature
    assert _request(endpoint.port, "POST", EVENTS_PATH, body, genuine)[0] == 200
    assert endpoint.ran == ["genuine"]
    assert endpoint.seen.asked == [request_key(timestamp, genuine["X-Slack-Signature"])]


def test_body_over_one_mib__413_before_it_is_all_sent(endpoint: Endpoint) -> None:
    with socket.create_connection(("127.0.0.1", endpoint.port), timeout=5) as sock:
        head = (f"POST {EVENTS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {2 * 1024 * 1024}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n\r\n")
        sock.sendall(head.encode() + b"x" * 65536)
        answer = sock.recv(4096)  # the other 1.9 MiB are never sent
    assert answer.startswith(b"HTTP/1.1 413 ")


def test_body_of_exactly_one_mib__not_refused_for_its_size(endpoint: Endpoint) -> None:
    body = "x" * (1024 * 1024)
    status, _ = _request(endpoint.port, "POST", EVENTS_PATH, body, _headers(body, "1", secret="wrong"))
    assert status == 401


def test_health_and_unknown_paths(endpoint: Endpoint) -> None:
    assert _request(endpoint.port, "GET", "/healthz") == (200, "ok")
    status, text = _request(endpoint.port, "GET", "/")
    assert status == 404 and "POST /slack/events" in text and text.count("\n") == 1
    assert _request(endpoint.port, "GET", EVENTS_PATH)[0] == 404
    assert _request(endpoint.port, "POST", "/slack/other", "x=1")[0] == 404


def test_logs_never_hold_a_body_or_a_signature(tmp_path: Path, slack: FakeSlack,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    endpoint = _endpoint(tmp_path, slack)  # built after: Bolt's loggers copy the root level then
    body = _signed_body(MARKER)
    timestamp = str(int(time.time()))
    genuine, forged = _headers(body, timestamp), _headers(body, timestamp, secret="not-the-secret")
    try:
        assert _request(endpoint.port, "POST", EVENTS_PATH, body, genuine)[0] == 200
        assert _request(endpoint.port, "POST", EVENTS_PATH, body, genuine)[0] == 409
        assert _request(endpoint.port, "POST", EVENTS_PATH, body, forged)[0] == 401
        assert _request(endpoint.port, "POST", "/nowhere", body, forged)[0] == 404
    finally:
        endpoint.server.close()
    assert endpoint.ran == [MARKER]
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records)
    assert "slack_bolt" in logged and "alerts.replay_guard" in logged and "alerts.http_server" in logged
    for secret in (MARKER, "payload", genuine["X-Slack-Signature"], forged["X-Slack-Signature"],
                   genuine["X-Slack-Signature"][3:15], forged["X-Slack-Signature"][3:15]):
        assert secret not in logged


def test_close__stops_serving_and_can_be_called_twice(tmp_path: Path, slack: FakeSlack) -> None:
    served = _endpoint(tmp_path, slack)
    port = served.port
    assert _request(port, "GET", "/healthz")[0] == 200
    served.server.close()
    served.server.close()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not any(t.name == "slack-http" and t.is_alive() for t in threading.enumerate())


def test_start_interactions__http_mode_on_loopback_by_default(tmp_path: Path, slack: FakeSlack) -> None:
    assert inspect.signature(start_interactions).parameters["host"].default == "127.0.0.1"
    env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                      slack_signing_secret=SecretStr(SECRET), database_url=f"sqlite:///{tmp_path / 'bm.db'}")
    served = start_interactions(make_world(tmp_path, env=env).runtime, mode="http", port=0)
    try:
        assert _request(served.port or 0, "GET", "/healthz")[0] == 200
    finally:
        served.close()


def test_cli_host__defaults_to_loopback_and_reaches_the_server(monkeypatch: pytest.MonkeyPatch,
                                                               tmp_path: Path) -> None:
    from monitor import runner
    from monitor.cli import build_parser

    monkeypatch.delenv("BRAND_MONITOR_HOST", raising=False)
    assert build_parser().parse_args(["run"]).host == "127.0.0.1"
    assert build_parser().parse_args(["run", "--host", "0.0.0.0"]).host == "0.0.0.0"
    monkeypatch.setenv("BRAND_MONITOR_HOST", "10.0.0.5")
    assert build_parser().parse_args(["run"]).host == "10.0.0.5"

    hosts: list[str] = []

    class Service:
        def flush(self, *args: Any) -> int:
            return 0

        def start_interactions(self, runtime: Any, mode: str, port: int, host: str) -> Any:
            hosts.append(host)
            return None

    env = Environment(slack_bot_token=SecretStr("xoxb-test"), database_url=f"sqlite:///{tmp_path / 'bm.db'}")
    monkeypatch.setattr(runner, "slack_entry", Service)
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_forever, args=(make_world(tmp_path, env=env).runtime, None,
                                                               "http", 0, stop, stop.set, "10.1.2.3"))
    thread.start()
    thread.join(10)
    assert hosts == ["10.1.2.3"]


def test_close__the_wake_up_pipe_already_closed_still_stops_the_server() -> None:
    def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hi"]

    server = HttpServer(hello, "127.0.0.1", 0, Limits()).start()
    os.close(server._wake.trigger)  # what a stray close elsewhere in the process does to it
    started = time.monotonic()
    server.close(grace=0)  # no EBADF: the loop sees the stop within its timeout
    assert not server._thread.is_alive() and time.monotonic() - started < 5
    with pytest.raises(ConnectionRefusedError):  # nothing listens there any more
        socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
