"""Print how long one Home tab view takes on a large database, in one run on this machine.

12 brands, 50,000 mentions and 20,000 cases (a third of them open, spread over the past four
weeks, a fifth of the open ones assigned to the reader), filled with bulk inserts; then the
median of 5 builds of the Home view of a member of every brand (`alerts.home_tab.home_view`:
the counts, the lists, this week's figures), and of a refresh of a team of 10 (shared parts
built once). SQLite, and PostgreSQL when `--database-url` is given. No network, no assertion.

    python benchmarks/home_tab.py [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert

from alerts.home_tab import Shared, home_view
from monitor.models import CaseRow, MentionRow
from tests.factories import T0, empty_database, make_world

BRANDS, MENTIONS, CASES = 12, 50_000, 20_000
USER = "U0ALLOWED"


def _extra() -> str:
    return "".join(f"""\
  - id: b{i:02d}
    name: Brand {i}
    keywords: [b{i:02d}]
    slack:
      channel: C0B{i:02d}
    responders: [{USER}]
    sources:
      - type: replay
        name: posts
        options:
          path: posts.jsonl
""" for i in range(BRANDS))


def _fill(store: Any) -> None:
    mentions, cases = [], []
    for n in range(1, MENTIONS + 1):
        brand = f"b{n % BRANDS:02d}"
        at = T0 - timedelta(minutes=(n * 7) % (28 * 24 * 60))
        complaint = n <= CASES
        mentions.append({"id": n, "brand_id": brand, "source": "posts", "platform": "x",
                         "external_id": str(n), "text": "late parcel", "url": f"https://x.com/{n}",
                         "author_id": f"a{n}", "author_handle": f"h{n}", "author_name": "",
                         "published_at": at, "fetched_at": at, "kind": "post", "title": "",
                         "extra": {}, "is_complaint": complaint, "why": "", "cues": {}, "model": ""})
        if complaint:
            open_ = n % 3 == 0
            replied = None if open_ or n % 4 == 0 else at + timedelta(minutes=n % 90)
            cases.append({"id": n, "reference": f"{brand.upper()}-{n:05d}", "brand_id": brand,
                          "mention_id": n, "customer_key": f"x:{n}",
                          "status": "new" if open_ else "resolved" if replied is None else "replied",
                          "priority": 0, "opened_at": at, "deadline_at": at + timedelta(hours=1),
                          "replied_at": replied, "replied_by": USER if replied else None,
                          "assignee": USER if open_ and n % 5 == 0 else None,
                          "slack_channel": f"C0{brand.upper()}", "slack_ts": f"{1_700_000_000 + n}.000100"})
    with store.session() as s:
        for at in range(0, MENTIONS, 5000):
            s.execute(insert(MentionRow), mentions[at:at + 5000])
        for at in range(0, CASES, 5000):
            s.execute(insert(CaseRow), cases[at:at + 5000])


def _median_ms(call: Callable[[], object], times: int = 5) -> float:
    spans = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        spans.append((time.perf_counter() - started) * 1000)
    return statistics.median(spans)


def run(url: str | None, label: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        if url:
            empty_database(url, migrate_schema=True)
        world = make_world(Path(tmp), url, extra=_extra())
        _fill(world.runtime.store)
        now = world.clock()

        def one() -> object:
            return home_view(world.runtime, USER, lambda b: True, now)

        def team() -> object:
            shared: dict[str, Shared] = {}
            return [home_view(world.runtime, f"U{i:08d}", lambda b: True, now, shared)
                    for i in range(10)]

        print(f"{label}: one Home view {_median_ms(one):.0f} ms; "
              f"a refresh of 10 members {_median_ms(team):.0f} ms "
              f"({BRANDS} brands, {MENTIONS:,} mentions, {CASES:,} cases)")
        if url:
            empty_database(url)
        world.runtime.store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    args = parser.parse_args()
    run(None, "SQLite")
    if args.database_url:
        run(args.database_url, "PostgreSQL")


if __name__ == "__main__":
    main()
