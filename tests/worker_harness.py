"""Run real `brand-monitor worker` processes on one PostgreSQL database, and check the result.

Used by tests/test_workers.py (three workers, one killed with SIGKILL mid-batch) and by
benchmarks/scale.py (throughput for 1, 2 and 3 workers). The posts are the kill harness's own
(tests/kill_harness.py); the sources are replay files, one per source.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.fake_slack import FakeSlack
from tests.kill_harness import write_posts

HEARTBEAT_SECONDS = 1.0
SOURCE = """\
      - type: replay
        name: {name}
        poll_interval: {interval}s
        options: {{path: {name}.jsonl, reply_log: replies-{name}.jsonl, batch: {batch}}}
"""
BRANDS = """\
version: 1
brands:
  - id: orbita
    name: Orbita Mobile
    keywords: [orbita, "Orbita Mobile"]
    handles: {{replay: orbitamobile}}
    languages: [en]
    response_time: 1h
    slack: {{channel: C0ORBITA}}
    responders: [U0TEAM01]
    waves: {{enabled: false}}
    sources:
{sources}"""


@dataclass(frozen=True)
class World:
    workdir: Path
    database_url: str
    sources: tuple[str, ...]
    posts_per_source: int

    @property
    def config(self) -> Path:
        return self.workdir / "brands.yaml"

    @property
    def posts(self) -> int:
        return len(self.sources) * self.posts_per_source


def make_world(workdir: Path, database_url: str, *, sources: int = 3, posts_per_source: int = 200,
               interval: int = 5, batch: int = 100) -> World:
    """A brand with `sources` replay sources, each with its own posts (ids unique across them)."""
    workdir.mkdir(parents=True, exist_ok=True)
    names = tuple(f"feed{i}" for i in range(sources))
    for index, name in enumerate(names):
        path = workdir / f"{name}.jsonl"
        write_posts(path, posts_per_source, seed=7 + index)
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for record in lines:  # one platform for every source: keep the post ids apart
            record["id"] = f"{name}-{record['id']}"
            record["author"] = f"{name}-{record['author']}"
        path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    body = "".join(SOURCE.format(name=n, interval=interval, batch=batch) for n in names)
    (workdir / "brands.yaml").write_text(BRANDS.format(sources=body), encoding="utf-8")
    return World(workdir, database_url, names, posts_per_source)


def worker_env(world: World, slack: FakeSlack) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": world.database_url, "SLACK_BOT_TOKEN": "xoxb-worker-test",
           "SLACK_API_URL": slack.url, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.getcwd(),
           "BRAND_MONITOR_WORKER_HEARTBEAT": str(HEARTBEAT_SECONDS),
           "BRAND_MONITOR_SENDER_LEASE": "3",
           # The fake Slack has no posting limit: do not pace the alerts to Slack's.
           "BRAND_MONITOR_SLACK_RATE": "100000/1s"}
    env.pop("BRAND_MONITOR_CONFIG", None)
    return env


def start_worker(world: World, env: dict[str, str], log_name: str,
                 concurrency: int = 2) -> subprocess.Popen[bytes]:
    log = (world.workdir / log_name).open("wb")
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "worker", "--config", str(world.config),
         "--concurrency", str(concurrency)],
        cwd=world.workdir, env=env, stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def workers(world: World, slack: FakeSlack, count: int,
            concurrency: int = 2) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` worker processes; stopped (SIGTERM, then SIGKILL) when the block ends."""
    env = worker_env(world, slack)
    processes = [start_worker(world, env, f"worker{i}.log", concurrency) for i in range(count)]
    try:
        yield processes
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def scalar(url: str, sql: str) -> int:
    rows = query(url, sql)
    return int(rows[0][0] or 0) if rows else 0


def wait_for(condition: Callable[[], bool], timeout: float, every: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return condition()


def all_done(world: World, slack: FakeSlack) -> bool:
    """Every post stored, every batch job finished, every case's alert in the fake Slack."""
    url = world.database_url
    if scalar(url, "SELECT count(*) FROM mentions") < world.posts:
        return False
    if scalar(url, "SELECT count(*) FROM procrastinate_jobs WHERE task_name = 'brand_monitor.handle' "
                   "AND status IN ('todo', 'doing')"):
        return False
    return alerts_posted(slack) >= scalar(url, "SELECT count(*) FROM cases")


def alerts_posted(slack: FakeSlack) -> int:
    keys = (((m.get("metadata") or {}).get("event_payload") or {}).get("key", "")
            for msgs in slack.messages.values() for m in msgs)
    return sum(1 for key in keys if str(key).startswith("alert:"))


def polls_per_source(url: str) -> dict[str, int]:
    return {str(source): int(polls or 0)  # type: ignore[call-overload]
            for source, polls in query(url, "SELECT source, polls_total FROM source_state")}
