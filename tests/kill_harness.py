"""`kill -9` a real `brand-monitor run --once` again and again, then check what survived.

Used by tests/test_kill_nine.py (a few hundred posts, a few kills) and by
benchmarks/kill_nine.py (2,000 posts, 20 kills). The posts are ours, written here: a mix of
complaints, praise and questions about a fictional brand, some customers writing twice in
the same thread. The checks do not depend on what the model decides: every post it judged
a complaint has exactly one case (or joined its author's open case), every case exactly one
alert in the fake Slack, and no message was posted twice.
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from tests.fake_slack import FakeSlack

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
      - type: replay
        name: posts
        options: {{path: posts.jsonl, reply_log: replies.jsonl, batch: {batch}}}
"""

LEASE_SECONDS = 3

COMPLAINTS = [
    "@orbitamobile my bill is wrong again, you charged me twice this month. fix it",
    "Orbita Mobile cut my line for no reason and support hung up on me. disgraceful",
    "third day with no signal from orbita, I pay for this and get nothing",
    "orbita you promised a refund two weeks ago and nothing arrived. still waiting",
    "the orbita app logs me out every time I open it, useless since the update",
]
OTHERS = [
    "orbita's new plan is great value, happy I switched",
    "does orbita have an esim for the watch? thinking of getting one",
    "coverage with orbita in the mountains was perfect this weekend, thanks",
]


def write_posts(path: Path, count: int, seed: int = 7) -> None:
    """Write `count` replay posts: about half complaints, some follow-ups in a thread."""
    rng = random.Random(seed)
    start = datetime.now(UTC) - timedelta(minutes=30)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            complaint = rng.random() < 0.5
            base = rng.choice(COMPLAINTS if complaint else OTHERS)
            author = f"user{rng.randrange(count // 3 + 1)}"
            record = {"id": str(i), "text": f"{base} #{i}", "author": author, "platform": "x",
                      "lang": "en", "followers": rng.randrange(50, 5000),
                      "published_at": (start + timedelta(seconds=i)).isoformat()}
            if complaint and rng.random() < 0.2:
                record["conversation_id"] = f"thread-{author}"
            fh.write(json.dumps(record) + "\n")


@dataclass(frozen=True)
class Report:
    posts: int
    stored: int
    kills: int
    complaints: int
    cases: int
    without_case: int
    doubled_cases: int
    alerts_missing: int
    alerts_doubled: int
    messages_doubled: int
    seconds: float
    instances: int = 1

    def lines(self) -> list[str]:
        return [f"{self.posts} posts, {self.kills} kill -9 during the run ({self.instances} process(es) "
                f"side by side), {self.seconds:.0f} s in all",
                f"posts stored: {self.stored}; complaints judged: {self.complaints}; "
                f"cases: {self.cases}",
                f"complaints without a case: {self.without_case}",
                f"complaints with two cases: {self.doubled_cases}",
                f"cases without their alert: {self.alerts_missing}; alerts posted twice: "
                f"{self.alerts_doubled}; other messages posted twice: {self.messages_doubled}"]


def _run(workdir: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "monitor.cli", "run", "--once", "--config", str(workdir / "brands.yaml")],
        cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def kill_run(workdir: Path, posts: int, kills: int, database_url: str | None = None,
             seed: int = 11, batch: int = 100, window: tuple[float, float] = (0.5, 6.0),
             instances: int = 1) -> Report:
    """Run `brand-monitor run --once` on `posts` posts (`instances` processes side by side on
    the same database), `kill -9` them `kills` times at random moments, then let them finish;
    return what the database and the fake Slack hold."""
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "brands.yaml").write_text(BRANDS.format(batch=batch), encoding="utf-8")
    write_posts(workdir / "posts.jsonl", posts)
    url = database_url or f"sqlite:///{workdir / 'bm.db'}"
    started = time.monotonic()
    with FakeSlack(start_ts=time.time()) as slack:  # Slack stamps messages with its own clock
        # A short sender lease, so that the killed senders' claims lapse in seconds, not 90 s.
        env = {**os.environ, "DATABASE_URL": url, "SLACK_BOT_TOKEN": "xoxb-kill-test",
               "SLACK_API_URL": slack.url, "HF_HUB_OFFLINE": "1", "PYTHONPATH": os.getcwd(),
               "BRAND_MONITOR_SENDER_LEASE": str(LEASE_SECONDS),
               # The fake Slack has no posting limit: do not pace the alerts to Slack's.
               "BRAND_MONITOR_SLACK_RATE": "100000/1s"}
        env.pop("BRAND_MONITOR_CONFIG", None)
        for _ in range(kills):
            processes = [_run(workdir, env) for _ in range(instances)]
            time.sleep(rng.uniform(*window))
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signal.SIGKILL)
                process.wait()
        # Once the claims have lapsed, run to the end of the file (each `run --once` polls one
        # batch), then once more: that last run must find nothing left to do.
        time.sleep(LEASE_SECONDS + 0.5)
        for _ in range(posts // batch + 3):
            finishing = [_run(workdir, env) for _ in range(instances)]
            for finished in finishing:
                finished.wait(timeout=600)
            if _stored(url) >= posts:
                break
        last = _run(workdir, env)
        last.wait(timeout=600)
        report = _report(url, slack, posts, kills, time.monotonic() - started)
    return dataclasses.replace(report, instances=instances)


def _stored(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM mentions")).scalar() or 0)
    finally:
        engine.dispose()


def _report(url: str, slack: FakeSlack, posts: int, kills: int, seconds: float) -> Report:
    engine = create_engine(url)
    with engine.connect() as conn:
        complaints = conn.execute(text(
            "SELECT id FROM mentions WHERE is_complaint AND joined_case_id IS NULL")).scalars().all()
        per_mention = Counter(conn.execute(text("SELECT mention_id FROM cases")).scalars().all())
        case_ids = conn.execute(text("SELECT id FROM cases")).scalars().all()
    engine.dispose()
    keys = Counter(((m.get("metadata") or {}).get("event_payload") or {}).get("key")
                   for msgs in slack.messages.values() for m in msgs)
    alerts = [keys.get(f"alert:{c}", 0) for c in case_ids]
    return Report(
        posts=posts, stored=_stored(url), kills=kills, complaints=len(complaints), cases=len(case_ids),
        without_case=sum(1 for m in complaints if per_mention.get(m, 0) == 0),
        doubled_cases=sum(1 for n in per_mention.values() if n > 1),
        alerts_missing=sum(1 for n in alerts if n == 0), alerts_doubled=sum(1 for n in alerts if n > 1),
        messages_doubled=sum(1 for k, n in keys.items() if k and not k.startswith("alert:") and n > 1),
        seconds=seconds)
