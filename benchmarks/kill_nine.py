"""`kill -9` brand-monitor again and again during a 2,000-post run; print what survived.

    python benchmarks/kill_nine.py [--posts 2000] [--kills 20] [--database-url URL]

Each kill lands at a random moment of a real `brand-monitor run --once` (the shipped model,
SQLite by default, a fake Slack on loopback); after the last one the run goes to the end.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.kill_harness import kill_run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--database-url")
    parser.add_argument("--instances", type=int, default=1,
                        help="processes side by side on the same database (use PostgreSQL)")
    args = parser.parse_args()
    if args.database_url and _holds_mentions(args.database_url):
        print(f"{args.database_url} already holds mentions: the figures would count them. Give "
              "an empty database (or schema, ?options=-csearch_path%3D…).", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        report = kill_run(Path(tmp), args.posts, args.kills, args.database_url, window=(0.5, 8.0),
                          instances=args.instances)
    print("\n".join(report.lines()))
    bad = (report.posts - report.stored + report.without_case + report.doubled_cases
           + report.alerts_missing + report.alerts_doubled)
    return 1 if bad or report.messages_doubled else 0


def _holds_mentions(url: str) -> bool:
    from sqlalchemy import inspect, text

    from monitor.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return inspect(conn).has_table("mentions") and bool(
                conn.execute(text("SELECT 1 FROM mentions LIMIT 1")).first())
    finally:
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
