"""Throughput of 1, 2 and 3 `brand-monitor worker` processes on one PostgreSQL; and after a kill.

    python benchmarks/scale.py [--posts 600] [--sources 3] [--workers 1,2,3] [--database-url URL]

Each run gets an empty schema of its own in the database (dropped afterwards), `--sources`
replay sources of `--posts` posts each (the kill harness's own posts, about half complaints),
and a fake Slack on loopback. Every source is fetched whole by its first poll, so the workers
face a backlog, as on a viral day. Figures per run:

- posts/s stored (each classified first), cases/s opened and messages/s queued, from the first
  post stored to the last;
- p50 and p95 of fetch -> alert: from the end of the poll that fetched a post to its alert
  reaching the fake Slack (complaints only), i.e. queueing, classification, the case and the
  send;
- the ratio of posts/s to one worker's.

The last run starts as many workers as the largest count, kills one with SIGKILL when a third of
the posts are stored, and checks that every complaint still has one case and one alert.
"""

from __future__ import annotations

import argparse
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.store import Store
from tests import worker_harness as wh
from tests.fake_slack import FakeSlack
from tests.kill_harness import _report

POLLED = re.compile(r"^(\S+ \S+) INFO monitor\.jobs: orbita/(\w+) polled: ([1-9]\d*) fetched")
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Figures:
    label: str
    workers: int
    posts: int
    posts_per_s: float
    cases_per_s: float
    queued_per_s: float
    p50: float
    p95: float
    lost_or_doubled: int


def _schema(base: str) -> tuple[str, str]:
    import psycopg

    name = f"scale_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    sep = "&" if "?" in base else "?"
    return name, f"{base}{sep}options=-csearch_path%3D{name}"


def _drop(base: str, name: str) -> None:
    import psycopg

    with psycopg.connect(base.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def _rate(url: str, table: str, column: str) -> float:
    rows = wh.query(url, f"SELECT count(*), min({column}), max({column}) FROM {table}")
    count, first, last = rows[0]
    if not count or first is None or last is None or first == last:
        return 0.0
    return float(count) / (last - first).total_seconds()  # type: ignore[operator]


def _latencies(world: wh.World, slack: FakeSlack) -> list[float]:
    polled: dict[str, float] = {}
    for log in world.workdir.glob("worker*.log"):
        for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
            found = POLLED.match(line)
            if found:
                at = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S,%f").timestamp()
                polled[found.group(2)] = min(at, polled.get(found.group(2), at))
    sources = dict(wh.query(world.database_url, "SELECT c.id, m.source FROM cases c "
                                                "JOIN mentions m ON m.id = c.mention_id"))
    out = []
    for call in slack.calls:
        key = str(((call.params.get("metadata") or {}).get("event_payload") or {}).get("key", ""))
        if call.method == "chat.postMessage" and key.startswith("alert:"):
            source = sources.get(int(key.split(":")[1]))
            if source in polled:
                out.append(call.at - polled[str(source)])
    return out


def run(base: str, workers: int, sources: int, posts: int, concurrency: int,
        kill: bool = False) -> Figures:
    name, url = _schema(base)
    try:
        Store.from_url(url)
        with tempfile.TemporaryDirectory() as tmp:
            world = wh.make_world(Path(tmp), url, sources=sources, posts_per_source=posts,
                                  interval=5, batch=posts)
            with (FakeSlack(start_ts=time.time()) as slack,
                  wh.workers(world, slack, workers, concurrency) as procs):
                if kill:
                    wh.wait_for(lambda: wh.scalar(url, "SELECT count(*) FROM mentions") >= world.posts // 3,
                                600, 0.05)
                    procs[0].send_signal(signal.SIGKILL)
                    procs[0].wait()
                if not wh.wait_for(lambda: wh.all_done(world, slack), 900, 0.5):
                    raise SystemExit(f"{workers} worker(s): not done after 15 minutes")
                latencies = sorted(_latencies(world, slack))
                report = _report(url, slack, world.posts, 1 if kill else 0, 0.0)
            bad = (report.posts - report.stored + report.without_case + report.doubled_cases
                   + report.alerts_missing + report.alerts_doubled + report.messages_doubled)
            if bad:
                print(f"{workers} worker(s): " + "; ".join(report.lines()[1:]), file=sys.stderr)
            p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
            return Figures(f"{workers} worker(s)" + (", one killed" if kill else ""), workers,
                           world.posts, _rate(url, "mentions", "fetched_at"),
                           _rate(url, "cases", "opened_at"), _rate(url, "outbox", "created_at"),
                           statistics.median(latencies) if latencies else float("nan"), p95, bad)
    finally:
        _drop(base, name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=600, help="posts per source")
    parser.add_argument("--sources", type=int, default=3)
    parser.add_argument("--workers", default="1,2,3", help="worker counts to compare")
    parser.add_argument("--concurrency", type=int, default=2,
                        help="jobs each worker runs at a time (`worker --concurrency`)")
    parser.add_argument("--database-url", default=DEFAULT_PG,
                        help="a PostgreSQL database; each run uses a schema of its own in it")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]
    results = [run(args.database_url, n, args.sources, args.posts, args.concurrency) for n in counts]
    if max(counts) > 1:  # one worker killed must leave another to finish
        results.append(run(args.database_url, max(counts), args.sources, args.posts, args.concurrency,
                           kill=True))
    one = next((r.posts_per_s for r in results if r.workers == 1 and "killed" not in r.label), 0.0)
    print(f"{args.sources} sources x {args.posts} posts, fetched at once (a backlog); "
          f"{args.concurrency} job(s) at a time in each worker; this machine")
    print(f"{'':24} {'posts/s':>8} {'ratio':>6} {'cases/s':>8} {'queued/s':>9} "
          f"{'p50 s':>6} {'p95 s':>6} {'lost/doubled':>13}")
    for r in results:
        ratio = f"{r.posts_per_s / one:.2f}" if one else "-"
        print(f"{r.label:24} {r.posts_per_s:8.1f} {ratio:>6} {r.cases_per_s:8.1f} {r.queued_per_s:9.1f} "
              f"{r.p50:6.1f} {r.p95:6.1f} {r.lost_or_doubled:13d}")
    return 1 if any(r.lost_or_doubled for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
