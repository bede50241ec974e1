"""Print how fast button clicks are answered over HTTP, in bursts, with and without a stalled client.

Starts the HTTP endpoint (alerts.service.start_interactions, mode "http") with the real Bolt
app on a SQLite file and a fake Slack Web API on loopback (tests/fake_slack.py), posts one alert
per case, then fires bursts of simultaneous signed clicks (the "Assign to" picker, another team
member each time, so every click changes a case: its alert is updated and its thread told).
Latency is until the HTTP answer (Slack's 3-second acknowledgement), measured in a separate
client process; after each burst it waits until the clicks' work is done (no Slack call for two
seconds). Then the same with one idle connection and one half-sent request held open.
Usage, from the repository root:

    python benchmarks/http_clicks.py [--clicks 50] [--bursts 5] [--slack-latency 0.2]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from threading import Barrier
from typing import Any
from urllib.parse import urlencode

SECRET = "bench-signing-secret"
SLACK_DEADLINE = 3.0


def _signed_click(port: int, case_id: int, user: str, picked: str) -> float:
    """POST one signed `Assign to` selection as Slack does; the seconds until the answer."""
    from slack_sdk.signature import SignatureVerifier

    from alerts import action_ids as ids

    action = {"action_id": ids.ASSIGN_TO, "block_id": f"{ids.ASSIGN_TO}:{case_id}", "type": "users_select",
              "selected_user": picked, "action_ts": f"{time.time():.6f}"}
    payload = {"type": "block_actions", "api_app_id": "A0FAKE", "trigger_id": uuid.uuid4().hex,
               "user": {"id": user, "username": user.lower(), "team_id": "T0FAKE"},
               "team": {"id": "T0FAKE", "domain": "fake"},
               "container": {"type": "message", "message_ts": "1.1", "channel_id": "C0ACME"},
               "channel": {"id": "C0ACME", "name": "complaints"}, "actions": [action]}
    body = urlencode({"payload": json.dumps(payload)})
    timestamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=timestamp, body=body) or ""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Slack-Request-Timestamp": timestamp,
                 "X-Slack-Signature": signature})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            ok = response.status == 200
    except (urllib.error.URLError, OSError):
        ok = False
    elapsed = time.perf_counter() - started
    return elapsed if ok else float("inf")


def _picked(round_no: int, case_no: int) -> str:
    """Whom a click assigns case `case_no` to: another member of the team each round."""
    return f"U0PICK{'AB'[round_no % 2]}{case_no}"


def _burst(port: int, cases: list[int], round_no: int) -> list[float]:
    start = Barrier(len(cases))

    def one(i: int) -> float:
        start.wait()
        return _signed_click(port, cases[i], "U0ALLOWED", _picked(round_no, i))

    with ThreadPoolExecutor(len(cases)) as pool:
        return list(pool.map(one, range(len(cases))))


@contextmanager
def _stalled_clients(port: int) -> Iterator[None]:
    idle = socket.create_connection(("127.0.0.1", port))
    loris = socket.create_connection(("127.0.0.1", port))
    loris.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty")
    try:
        yield
    finally:
        idle.close()
        loris.close()


def _report(label: str, latencies: list[float]) -> None:
    answered = sorted(x for x in latencies if x != float("inf"))
    failed = len(latencies) - len(answered)
    within = sum(1 for x in answered if x <= SLACK_DEADLINE)
    if not answered:
        print(f"{label}: none of {len(latencies)} clicks answered")
        return
    p95 = answered[min(len(answered) - 1, round(0.95 * (len(answered) - 1)))]
    print(f"{label}: {len(latencies)} clicks, p50 {statistics.median(answered) * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms, max {answered[-1] * 1000:.0f} ms, "
          f"{within}/{len(latencies)} answered within {SLACK_DEADLINE:.0f} s, {failed} failed")


def _quiet(slack: Any, since: float, quiet: float = 2.0, limit: float = 600.0) -> float:
    """Wait until the fake Slack got no call for `quiet` s; the seconds from `since` to its last call."""
    last_count, last_change = -1, time.perf_counter()
    while time.perf_counter() - last_change < quiet and time.perf_counter() - since < limit:
        count = len(slack.calls)
        if count != last_count:
            last_count, last_change = count, time.perf_counter()
        time.sleep(0.05)
    return last_change - since


def _slow_slack(slack: Any, seconds: float) -> None:
    """Make every fake Web API call take `seconds`, as calls to slack.com do."""
    answer: Callable[..., Any] = slack._answer

    def slow(*args: Any) -> Any:
        time.sleep(seconds)
        return answer(*args)

    slack._answer = slow


def _open_cases(tmp: Path, slack: Any, count: int) -> Any:
    """A runtime on SQLite with `count` complaints alerted in Slack, each one case."""
    from pydantic import SecretStr

    from alerts.delivery import SlackDelivery
    from alerts.sender import flush
    from alerts.service import make_client
    from monitor.poller import poll_all
    from monitor.settings import Environment
    from tests.factories import make_world, post

    env = Environment(slack_bot_token=SecretStr("xoxb-bench"), slack_api_url=slack.url,
                      slack_signing_secret=SecretStr(SECRET), database_url=f"sqlite:///{tmp / 'bm.db'}")
    world = make_world(tmp, env=env)
    world.clock.now = datetime.now(UTC).replace(microsecond=0)
    world.add_posts(*(post(str(i), f"acme parcel {i} is late, refund please", author=f"user{i}",
                           minutes_ago=2) for i in range(count)))
    poll_all(world.runtime)
    flush(world.runtime, SlackDelivery(make_client(env)))
    if len(world.runtime.store.cases()) < count:
        raise SystemExit(f"only {len(world.runtime.store.cases())} cases were opened; expected {count}")
    return world.runtime


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clicks", type=int, default=50, help="simultaneous clicks per burst")
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--slack-latency", type=float, default=0.0,
                        help="seconds each fake Slack Web API call takes (slack.com: about 0.1-0.3)")
    args = parser.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/ holds the fake Slack
    from alerts.service import start_interactions
    from tests.fake_slack import FakeSlack

    team = [_picked(r, i) for r in (0, 1) for i in range(args.clicks)]  # S0TEAM, the brand's group
    with tempfile.TemporaryDirectory() as tmp, FakeSlack(usergroups={"S0TEAM": team}) as slack:
        runtime = _open_cases(Path(tmp), slack, args.clicks)
        cases = [c.id for c in runtime.store.cases()][: args.clicks]
        _slow_slack(slack, args.slack_latency)
        server = start_interactions(runtime, mode="http", port=0, host="127.0.0.1")
        print(f"{args.bursts} bursts of {args.clicks} simultaneous clicks; fake Slack answers in "
              f"{args.slack_latency * 1000:.0f} ms")
        drained: list[float] = []
        # The clicks come from another process, as Slack's do: its threads do not take this one's GIL.
        clients = get_context("spawn").Pool(1)

        def burst(round_no: int, clicks: list[int]) -> list[float]:
            """Fire one burst, then wait until the clicks' work is done (Slack hears nothing for 2 s)."""
            started = time.perf_counter()
            latencies: list[float] = clients.apply(_burst, (server.port, clicks, round_no))
            drained.append(_quiet(slack, since=started))
            return latencies

        try:
            burst(0, cases[:5])  # warm up: Bolt's auth.test, SQLite, imports
            drained.clear()
            _report("bursts", [x for r in range(1, args.bursts + 1) for x in burst(r, cases)])
            with _stalled_clients(server.port or 0):
                stalled = [x for r in range(args.bursts + 1, 2 * args.bursts + 1) for x in burst(r, cases)]
            _report("bursts, one idle and one half-sent connection held open", stalled)
        finally:
            clients.terminate()
            server.close()
        calls = Counter(c.method for c in slack.calls)
        print(f"the Slack calls of a burst all made after: p50 {statistics.median(drained):.1f} s, "
              f"max {max(drained):.1f} s ({', '.join(f'{n} {m}' for m, n in calls.most_common())})")


if __name__ == "__main__":
    main()
