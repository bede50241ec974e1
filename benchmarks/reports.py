"""Print how long a report takes on a database of 50,000 mentions and 20,000 cases.

The database is filled directly (`tests/report_fill.py`): 90 days of mentions, 40% of them
complaints with a case each, replied, resolved, reopened, left open or closed as not a
complaint, with their status events. Then, for a 7-day and a 30-day report of one brand, the
median of 3 runs of the figures (every query of `monitor.report_figures`, no causes), and one
run of the recurring causes (embedding the period's 500 most recent complaints and the 500
before, then clustering). Figures only; nothing is asserted.

    python benchmarks/reports.py [--mentions 50000] [--database-url URL]

SQLite always (a temporary file); PostgreSQL too when --database-url or $DATABASE_URL names
one (its brand-monitor tables are emptied first: give it a database of its own).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from monitor.config_loader import load_config
from monitor.report_causes import default_encoder
from monitor.report_figures import build_report, last_days
from monitor.store import Store
from tests.factories import empty_database, write_brands
from tests.report_fill import Complaint, Post, fill

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WORDS = ("parcel late courier", "refund missing returned", "app crashes checkout",
         "rude support agent", "broken cup arrived", "charged twice payment")
CHUNK = 2000


def _fill(store: Store, mentions: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    cases = 0
    for start in range(0, mentions, CHUNK):
        posts, complaints = [], []
        for _ in range(min(CHUNK, mentions - start)):
            at = NOW - timedelta(minutes=rng.uniform(0, 90 * 24 * 60))
            lang = rng.choice(("en", "en", "pl", "ar", "fa"))
            if rng.random() >= 0.4:
                posts.append(Post(at, is_complaint=False, lang=lang, text="nice coffee"))
                continue
            text = f"{rng.choice(WORDS)} order {rng.randrange(10_000)}"
            post = Post(at, platform=rng.choice(("x", "reddit", "facebook")), lang=lang,
                        category=rng.choice(("delivery", "refund", "app", "service")),
                        severity=rng.randint(1, 4), text=text)
            deadline = at + timedelta(hours=1)
            fate = rng.random()
            reply = at + timedelta(minutes=rng.expovariate(1 / 50))
            if fate < 0.1:
                complaints.append(Complaint(post, deadline))
            elif fate < 0.15:
                complaints.append(Complaint(post, deadline, status="not_a_complaint",
                                            closed_at=at + timedelta(minutes=5),
                                            events=[("not_a_complaint", at + timedelta(minutes=5))]))
            elif fate < 0.2:
                again = reply + timedelta(hours=3)
                complaints.append(Complaint(post, deadline, status="reopened", replied_at=reply,
                                            replied_by="U1",
                                            events=[("replied", reply), ("reopened", again)]))
            else:
                done = reply + timedelta(hours=2)
                complaints.append(Complaint(post, deadline, status="resolved", replied_at=reply,
                                            replied_by=rng.choice(("U1", "U2", "U3")), closed_at=done,
                                            followup_sent_at=done + timedelta(hours=24),
                                            followup_outcome=rng.choice(("satisfied", None)),
                                            events=[("replied", reply), ("resolved", done)]))
        fill(store, posts, complaints, start=start)
        cases += len(complaints)
    return cases


def _run(url: str, mentions: int, config_dir: Path) -> None:
    store = Store.from_url(url)
    brand = load_config(write_brands(config_dir), env={}).brands[0]
    t0 = time.perf_counter()
    cases = _fill(store, mentions)
    print(f"{url.rsplit('@', 1)[-1].split('?', 1)[0]}: {mentions} mentions, {cases} cases filled in "
          f"{time.perf_counter() - t0:.1f} s")
    for days in (7, 30):
        period = last_days(NOW, timedelta(days=days), brand.timezone)
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            build_report(store, [brand], period, NOW, None)
            runs.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        report = build_report(store, [brand], period, NOW, default_encoder())
        with_causes = time.perf_counter() - t0
        print(f"  {days}-day report: figures {statistics.median(runs) * 1000:.0f} ms (median of 3); "
              f"with causes {with_causes:.1f} s ({report.causes_from} complaints embedded of "
              f"{report.complaints}, {len(report.causes)} causes)")
    store.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mentions", type=int, default=50_000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _run(f"sqlite:///{Path(tmp) / 'reports.db'}", args.mentions, Path(tmp))
        if args.database_url and args.database_url.startswith("postgresql"):
            empty_database(args.database_url, migrate_schema=True)
            _run(args.database_url, args.mentions, Path(tmp))


if __name__ == "__main__":
    main()
