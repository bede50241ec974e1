"""Three `brand-monitor worker` processes on the real PostgreSQL, one killed mid-batch.

Each source must be polled once per interval (not once per worker), and what the killed worker
had in hand must be finished by the others: every complaint one case, every case one alert in
the fake Slack, every post stored, nothing posted twice.
"""

from __future__ import annotations

import itertools
import json
import re
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests import worker_harness as wh
from tests.fake_slack import FakeSlack
from tests.kill_harness import _report

pytestmark = [pytest.mark.postgres, pytest.mark.slow,
              pytest.mark.parametrize("database_url", ["postgres"], indirect=True)]
INTERVAL = 5
POLLED = re.compile(r"^(\S+ \S+) INFO monitor\.jobs: orbita/(\w+) polled: (\d+) fetched")
STARTED = re.compile(r"batch job (\d+) started")
ENDED = re.compile(r"batch job (\d+) done")


def _logs(world: wh.World) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(world.workdir.glob("worker*.log"))}


def _in_hand(log: str) -> set[str]:
    """Batch jobs this worker started and never finished."""
    return set(STARTED.findall(log)) - set(ENDED.findall(log))


def _poll_times(logs: dict[str, str]) -> dict[str, list[datetime]]:
    times: dict[str, list[datetime]] = {}
    for text in logs.values():
        for line in text.splitlines():
            found = POLLED.match(line)
            if found:
                at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f")
                times.setdefault(found.group(2), []).append(at)
    return {source: sorted(at) for source, at in times.items()}


def test_three_workers_share_the_sources_and_finish_a_killed_workers_batch(
        pg_url: str, tmp_path: Path) -> None:
    world = wh.make_world(tmp_path / "world", pg_url, sources=3, posts_per_source=300,
                          interval=INTERVAL, batch=100)
    with FakeSlack(start_ts=time.time()) as slack, wh.workers(world, slack, 3) as processes:
        victim = processes[0]
        log_path = world.workdir / "worker0.log"
        assert wh.wait_for(lambda: bool(_in_hand(log_path.read_text(errors="replace"))), 90, 0.02), \
            "worker 0 never started a batch"
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        in_hand = _in_hand(log_path.read_text(errors="replace"))
        assert in_hand, "the kill came after worker 0's batch ended; nothing was in hand"
        assert wh.wait_for(lambda: wh.all_done(world, slack), 180), _logs(world)["worker1.log"][-3000:]
        time.sleep(2 * INTERVAL)  # polls go on at their pace once everything is fetched
        logs = _logs(world)
        report = _report(pg_url, slack, world.posts, 1, 0.0)

    assert report.stored == world.posts
    assert report.complaints > 0
    assert report.without_case == 0
    assert report.doubled_cases == 0
    assert report.alerts_missing == 0
    assert report.alerts_doubled == 0
    assert report.messages_doubled == 0
    # The killed worker's batch went back to the queue and another worker finished it.
    survivors = logs["worker1.log"] + logs["worker2.log"]
    assert "of a worker that stopped is tried again" in survivors
    for job_id in in_hand:
        assert f"batch job {job_id} done" in survivors
    # The engine logs each job with its arguments: a batch's posts must not reach the logs.
    texts = [json.loads(line)["text"] for line in (world.workdir / "feed0.jsonl").open(encoding="utf-8")]
    everything = "".join(logs.values())
    assert "brand_monitor.handle[" in everything
    assert not [t for t in texts if t in everything]
    # One poll per source per interval, whichever worker ran it: never two polls closer than the
    # interval (less the second a poll may start early), and each source was polled.
    times = _poll_times(logs)
    assert set(times) == set(world.sources)
    for source, at in times.items():
        gaps = [b - a for a, b in itertools.pairwise(at)]
        assert len(at) >= 3, (source, at)  # 300 posts, 100 a poll
        assert min(gaps) >= timedelta(seconds=INTERVAL - 1.5), (source, gaps)
    counted = wh.polls_per_source(pg_url)
    assert counted == {source: len(at) for source, at in times.items()}

