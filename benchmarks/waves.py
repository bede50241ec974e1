"""Print how waves scale: posts/s through the pipeline with waves on and off, and wave alerts/s.

Feeds N dissimilar complaints (one brand, all within one wave window, the worst case) through
`monitor.pipeline.process` on a SQLite file, with the test KeywordClassifier so that only the
store, the case engine and waves are measured. "old" is the former algorithm (every recent
unwaved case loaded with its post and compared), run through the same pipeline for the
smaller N only: it grows as N^2. Then a wave of 200 similar complaints is sent to the local
FakeSlack and the alerts/s and statements per wave update printed. No network. Usage:

    python benchmarks/waves.py [--sizes 1000,5000,10000] [--old-sizes 1000,2000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# The fake Slack takes messages as fast as they come, and the clock stands still: without
# this the channel's pacing (10 in 10 s) would stop the wave after ten messages, and the
# figure would measure the pacing, not the sender.
os.environ.setdefault("BRAND_MONITOR_SLACK_RATE", "100000/1s")

from pydantic import SecretStr
from sqlalchemy import event

from alerts.delivery import SlackDelivery
from alerts.sender import flush
from alerts.service import make_client
from monitor import case_engine
from monitor.domain import Mention
from monitor.pipeline import process
from monitor.settings import BrandConfig, Environment
from monitor.store_tx import Tx
from monitor.waves import similarity, tokens
from tests.factories import T0, make_world
from tests.fake_slack import FakeSlack

BATCH = 100
VOCAB = [f"{a}{b}{c}" for a in "bcdfghklmnprstvz" for b in "aeiou" for c in ("x", "nd", "lt", "rk", "mp",
                                                                                "sh", "ng", "st")]


def _old_join_wave(tx: Tx, brand: BrandConfig, case_id: int, text: str, now: datetime) -> int | None:
    """The algorithm before wave_keys: compare with every recent unwaved case (quadratic)."""
    cfg = brand.waves
    if not cfg.enabled:
        return None
    words = tokens(text)
    since = now - cfg.window
    for wave in tx.recent_waves(brand.id, since):
        if similarity(words, tokens(wave.topic)) >= cfg.similarity:
            tx.put_in_wave(wave, [case_id], now, now)
            return wave.id
    similar = [c for c in tx.recent_unwaved_cases(brand.id, since, case_id)
               if similarity(words, tokens(c.mention.text)) >= cfg.similarity]
    if len(similar) + 1 < cfg.min_cases:
        return None
    wave = tx.add_wave(brand.id, min(c.opened_at for c in similar), now, text, brand.slack.channel)
    tx.put_in_wave(wave, [*(c.id for c in similar), case_id], now, now)
    return wave.id


def _mentions(n: int, rng: random.Random, similar: bool = False) -> list[Mention]:
    out = []
    for i in range(n):
        body = ("app is broken again, cannot log in since the update" if similar
                else " ".join(rng.sample(VOCAB, 8)) + " arrived broken")
        out.append(Mention(platform="x", id=f"p{i}", text=f"@acmecoffee {body} #{i}",
                           url=f"https://x.com/u{i}/status/{i}", author_id=f"u{i}",
                           author_handle=f"user{i}", published_at=T0, lang_hint="en"))
    return out


def _run(n: int, waves: bool, mode: str) -> tuple[float, int]:
    """Seconds to process n dissimilar complaints, and the waves formed."""
    with tempfile.TemporaryDirectory() as tmp:
        world = make_world(Path(tmp))
        brand = world.runtime.config.brands[0]
        brand = brand.model_copy(update={"waves": brand.waves.model_copy(update={"enabled": waves})})
        mentions = _mentions(n, random.Random(n))
        original = case_engine._join_wave
        if mode == "old":
            case_engine._join_wave = _old_join_wave  # type: ignore[assignment]
        try:
            started = time.perf_counter()
            for at in range(0, n, BATCH):
                now = T0 + timedelta(seconds=0.05 * at)  # 10,000 posts in 500 s: one window
                process(world.runtime, brand, "posts", mentions[at:at + BATCH], now)
            took = time.perf_counter() - started
        finally:
            case_engine._join_wave = original  # type: ignore[assignment]
        assert len(world.runtime.store.cases(limit=n + 1)) == n
        formed = len({i.payload["wave"] for i in world.runtime.outbox.due(T0 + timedelta(days=1), limit=n * 3)
                      if i.kind == "wave"})
        world.runtime.store.engine.dispose()
        return took, formed


def _wave_alerts(size: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, FakeSlack() as slack:
        env = Environment(slack_bot_token=SecretStr("xoxb-test"), slack_api_url=slack.url,
                          database_url=f"sqlite:///{Path(tmp) / 'bm.db'}")
        world = make_world(Path(tmp), env=env)
        brand = world.runtime.config.brands[0]
        process(world.runtime, brand, "posts", _mentions(size, random.Random(1), similar=True), T0)
        client = make_client(env)
        client.retry_handlers = []
        statements = [0]

        def count(*_: Any) -> None:
            statements[0] += 1

        engine = world.runtime.store.engine
        event.listen(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        sent = 0
        while True:
            batch = flush(world.runtime, SlackDelivery(client), batch=100, max_batches=100)
            sent += batch
            if not batch:
                break
        took = time.perf_counter() - started
        event.remove(engine, "before_cursor_execute", count)
        sql = statements[0]
        edits = len(slack.of("chat.update"))
        [wave_id] = {c.wave_id for c in world.runtime.store.cases(limit=size + 1)}
        assert wave_id is not None
        event.listen(engine, "before_cursor_execute", count)
        statements[0] = 0
        world.runtime.store.wave_count(wave_id)
        world.runtime.store.wave_samples(wave_id, 3)
        per_update = statements[0]
        event.remove(engine, "before_cursor_execute", count)
        started = time.perf_counter()
        for _ in range(50):
            world.runtime.store.wave_count(wave_id)
            world.runtime.store.wave_samples(wave_id, 3)
        new_ms = (time.perf_counter() - started) / 50 * 1000
        started = time.perf_counter()
        for _ in range(50):
            world.runtime.store.wave_cases(wave_id)
        old_ms = (time.perf_counter() - started) / 50 * 1000
        world.runtime.store.engine.dispose()
    print(f"\nwave of {size} similar complaints -> FakeSlack")
    print(f"  messages sent        {sent} ({edits} wave updates) in {took:.2f} s "
          f"= {sent / took:.0f} alerts/s,"
          f" {sql / sent:.1f} SQL statements each")
    print(f"  wave count+samples   {per_update} statements, {new_ms:.2f} ms"
          f"  (all {size} cases, as before: {old_ms:.2f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--old-sizes", default="1000,2000", help="'' to skip the old algorithm")
    parser.add_argument("--wave", type=int, default=200)
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    old_sizes = [int(x) for x in args.old_sizes.split(",") if x]
    print(f"{'posts':>7} {'waves':>5} {'seconds':>8} {'posts/s':>8} {'waves formed':>12}")
    rates: dict[tuple[str, int], float] = {}
    for n in sizes:
        for label, on, mode in (("off", False, "new"), ("on", True, "new")):
            took, formed = _run(n, on, mode)
            rates[label, n] = n / took
            print(f"{n:>7} {label:>5} {took:>8.2f} {n / took:>8.0f} {formed:>12}", flush=True)
    for n in old_sizes:
        took, formed = _run(n, True, "old")
        rates["old", n] = n / took
        print(f"{n:>7} {'old':>5} {took:>8.2f} {n / took:>8.0f} {formed:>12}", flush=True)
    for label in ("off", "on", "old"):
        ns = sorted(n for (lab, n) in rates if lab == label)
        if len(ns) > 1:
            print(f"waves {label:>3}: posts/s at N={ns[-1]} / posts/s at N={ns[0]} = "
                  f"{rates[label, ns[-1]] / rates[label, ns[0]]:.2f}  (1.00 = flat)")
    for n in sizes:
        print(f"N={n}: waves on costs {rates['off', n] / rates['on', n]:.2f}x waves off")
    _wave_alerts(args.wave)


if __name__ == "__main__":
    main()
