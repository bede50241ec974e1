"""Print how brand-monitor holds up on a viral day, in one run on this machine.

1. Posts/s through store + classify + case + queue (`monitor.pipeline.process`, batches of
   100) for each N, waves off and on, on SQLite and on PostgreSQL (`--database-url`, default
   the local test database when it answers), and the ratio of the largest N to the smallest
   (1.00 = flat). Posts are our own synthetic phrases, 40% of them complaints; the feed's
   clock moves 20 posts a second, and `monitor.upkeep` runs once a clock minute, as the
   scheduler runs it. Each line also gives the posts read for a meaning vector (waves on)
   and a post's milliseconds in the classifier and in the rest (database, case engine,
   queue), to say which part grows.
2. On the largest database (of the first `--waves` setting): `status`, the slash command's
   open / overdue / stats answers and the outbox counts, each the median of 5 (so at
   N = 50,000: 50,000 mentions, 20,000 cases).
3. The deadline sweep there with every open case due for its reminder, checked: every one
   reminded.
4. Messages/s to a local fake Slack with a wave of 200 cases (`benchmarks/waves.py`).
5. Review-length posts (700 characters) per second with the encoder reading a long post
   whole (before), through the earlier 60+30-word window, and as the mean of at most four
   pieces of at most 90 words (after: `encoder.encode_long`, what the cascade reads); then
   the macro-F1 of the Polish reviews over 90 words of ../shared/data/dev, where present,
   with their corpus left out of training (`benchmarks/window.py` does the same for every
   corpus with long posts; `--cache` keeps the embeddings between runs).

No network. Usage:

    python benchmarks/volume.py [--sizes 1000,10000,50000] [--database-url URL] [--keyword]
                                [--databases sqlite,postgres] [--waves off,on] [--cache DIR]
                                [--no-reviews]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("BRAND_MONITOR_SLACK_RATE", "100000/1s")  # see benchmarks/waves.py

import numpy as np
from sqlalchemy import func, select, text

from alerts.handlers_command import queue_message
from monitor import deadlines
from monitor.classify.commands import _default_cache
from monitor.classify.data import csv_files, read_csv
from monitor.classify.text import normalise
from monitor.domain import Mention
from monitor.models import Base, CaseRow
from monitor.outbox import Outbox
from monitor.pipeline import process
from monitor.status_report import render_status
from monitor.store import Store
from monitor.upkeep import run_upkeep
from tests.factories import T0, World, make_world

BATCH = 100
UPKEEP_EVERY = 1200
"""Posts between two runs of `monitor.upkeep`: the scheduler runs it every minute, and the
feed's clock moves 20 posts a second."""
REVIEWS_CORPUS = "pl_polemo_reviews"  # the corpus with most long posts (520 of 723)
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WORDS = [f"{a}{b}{c}" for a in "bcdfghklmnprstvz" for b in "aeiou" for c in ("x", "nd", "lt", "rk")]
COMPLAINTS = ["my order is {n} days late and never arrived", "charged me twice and no refund yet",
              "the app is broken, it logs me out every time I pay",
              "your courier is late again and left the box in the rain",
              "waited {n} minutes on hold, worst service, then got cut off",
              "received a broken lamp, the wrong size again"]
OTHERS = ["do you ship to Gdansk?", "love the new autumn range", "what time do you open on sunday",
          "thanks for sorting my return so fast", "acme opens {n} new stores this spring"]
REVIEW = (" I have been a customer for {n} years and usually everything goes smoothly, but this"
          " time the whole experience from checkout to delivery was different. The packaging was"
          " fine and the price was what I expected, yet I contacted support by email and by phone"
          " and I am still waiting for someone to tell me what happens next with my order and my"
          " money. I will wait one more week and then I will ask my bank to take it back. My"
          " neighbour ordered the same thing on the same day and got it within three days, so"
          " I do not understand what went wrong with mine or why nobody can explain it to me."
          " Please look into it and answer me this week.")


def _posts(n: int, seed: int) -> list[Mention]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        phrase = rng.choice(COMPLAINTS if i % 5 < 2 else OTHERS).format(n=rng.randint(2, 40))
        noise = " ".join(rng.sample(WORDS, 4))
        out.append(Mention(platform="x", id=f"p{i}", text=f"@acmecoffee {phrase} {noise} #{i}",
                           url=f"https://x.com/u{i}/status/{i}", author_id=f"u{i}",
                           author_handle=f"user{i}", published_at=T0, lang_hint="en"))
    return out


def _world(tmp: Path, url: str | None, classifier: Any) -> World:
    """A new database for each run. On PostgreSQL the tables are truncated, not emptied row
    by row: rows deleted leave dead versions that a later run would walk (this machine's
    PostgreSQL runs without autovacuum)."""
    if url:
        engine = Store.from_url(url).engine  # migrated first where need be
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(t.name for t in Base.metadata.sorted_tables)))
        engine.dispose()
    return make_world(tmp, url, classifier=classifier)


@dataclass
class Fed:
    """One run of the pipeline: posts/s, the posts read for a meaning vector, and the
    milliseconds a post spent in the classifier (classify and meanings) and elsewhere
    (the database, the case engine, the queue)."""

    rate: float
    meaning_reads: int
    classifier_ms: float
    rest_ms: float


def _feed(world: World, n: int, waves: bool) -> Fed:
    """n posts through the pipeline, 100 at a time, 20 posts a second of clock. With waves
    on, every complaint is read for a meaning vector; the wave window (10 minutes: 12,000
    posts) fills up to N = 12,000, and then recent cases leave it as fast as new ones come."""
    brand = world.runtime.config.brands[0]
    brand = brand.model_copy(update={"waves": brand.waves.model_copy(update={"enabled": waves})})
    mentions = _posts(n, n)
    classifier: Any = world.runtime.classifier
    methods = {name: getattr(classifier, name) for name in ("classify", "meanings")}
    read, inside = 0, 0.0

    def timed(name: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            nonlocal read, inside
            started = time.perf_counter()
            out = methods[name](*args, **kwargs)
            inside += time.perf_counter() - started
            if name == "meanings":
                read += sum(v is not None for v in out)
            return out
        return call

    for name in methods:
        setattr(classifier, name, timed(name))
    try:
        started = time.perf_counter()
        for at in range(0, n, BATCH):
            world.clock.now = T0 + timedelta(seconds=0.05 * at)
            process(world.runtime, brand, "posts", mentions[at:at + BATCH], world.clock())
            if at % UPKEEP_EVERY == 0:  # what the scheduler runs once a minute
                run_upkeep(world.runtime)
        took = time.perf_counter() - started
    finally:
        for name in methods:
            delattr(classifier, name)  # the methods again
    return Fed(n / took, read, 1000 * inside / n, 1000 * (took - inside) / n)


def _median_ms(call: Callable[[], object], times: int = 5) -> float:
    took = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    return statistics.median(took)


def _queries(world: World) -> None:
    runtime = world.runtime
    with runtime.store.session() as s:
        cases = s.scalar(select(func.count()).select_from(CaseRow)) or 0
        mentions = s.scalar(text("SELECT count(*) FROM mentions")) or 0
    print(f"\nqueries at {mentions} mentions and {cases} cases (median of 5)")
    for label, call in (
            ("status", lambda: render_status(runtime)),
            ("/brand-monitor open", lambda: queue_message(runtime, ["acme"], "open", "U0ALLOWED")),
            ("/brand-monitor overdue", lambda: queue_message(runtime, ["acme"], "overdue",
                                                             "U0ALLOWED")),
            ("/brand-monitor stats", lambda: queue_message(runtime, ["acme"], "stats", "U0ALLOWED")),
            ("outbox counts", lambda: Outbox(runtime.store).counts())):
        print(f"  {label:<24} {_median_ms(call):8.1f} ms")


def _sweep(world: World) -> None:
    runtime = world.runtime
    open_cases = runtime.store.count_cases(brand_id="acme")
    world.clock.now = T0 + timedelta(minutes=50)  # every post is from T0: 10 minutes left
    started = time.perf_counter()
    reminded, escalated = deadlines.sweep(runtime)
    took = time.perf_counter() - started
    with runtime.store.session() as s:
        missed = s.scalar(select(func.count()).select_from(CaseRow).where(
            CaseRow.reminded_at.is_(None), CaseRow.closed_at.is_(None))) or 0
    print(f"\ndeadline sweep with {open_cases} open cases, all due for their reminder")
    print(f"  {took:.2f} s, {reminded} reminded ({reminded / max(took, 1e-9):.0f}/s), "
          f"{escalated} escalated, {missed} due and not reminded")


def _reviews(classifier: Any, cache: Path) -> None:
    """Review-length posts/s with the encoder reading a long post whole (before), through
    the earlier 60+30-word window, and as the mean of its pieces (after: what the cascade
    reads); then the macro-F1 of the Polish reviews with their corpus left out of training
    (`benchmarks/window.py`, which prints the other corpora and readings too)."""
    import window as window_bench

    from monitor.classify import blame, cascade
    from monitor.classify.encoder import E5Encoder, encode_long
    from monitor.classify.retrain import left_out_reads
    from monitor.classify.text import clip_words
    from monitor.classify.training import ENCODER_LAYERS
    from monitor.domain import BrandContext

    rng = random.Random(5)
    reviews = [f"Acme: {rng.choice(COMPLAINTS).format(n=rng.randint(2, 40))}."
               + REVIEW.format(n=rng.randint(2, 9)) + f" #{i}" for i in range(200)]
    acme = BrandContext(id="acme", name="Acme Coffee", names=("Acme", "Acme Coffee"),
                        handles=("acmecoffee",))
    print(f"\nreview-length posts ({statistics.mean(len(r) for r in reviews):.0f} characters, "
          f"{statistics.mean(len(r.split()) for r in reviews):.0f} words), batches of 64")
    ways: tuple[tuple[str, Callable[..., np.ndarray]], ...] = (
        ("whole post (before)", lambda encoder, texts: encoder.encode(texts)),
        ("60+30 window", window_bench.READINGS["window"][1].read),
        ("pieces (after)", window_bench.READINGS["chunks"][1].read))
    try:
        for label, read in ways:
            cascade.encode_long = blame.encode_long = read
            classifier._cache.clear()
            for mode, brand in (("brand-aware", acme), ("brand-blind", None)):
                started = time.perf_counter()
                for at in range(0, len(reviews), 64):
                    chunk = reviews[at:at + 64]
                    classifier.classify(chunk, brands=[brand] * len(chunk))
                rate = len(reviews) / (time.perf_counter() - started)
                print(f"  {label:<20} {mode:<12} {rate:6.1f} posts/s")
    finally:
        cascade.encode_long = blame.encode_long = encode_long
    if not window_bench.DATA.is_dir():
        print("  (no ../shared/data: left-out macro-F1 not measured)")
        return
    examples = [e for path in csv_files([str(window_bench.DATA)]) for e in read_csv(path)]
    chosen = ("window", "chunks")
    readings = [window_bench.READINGS[name][1] for name in chosen]
    [part] = left_out_reads(examples, [REVIEWS_CORPUS], readings, cache=cache,
                            encoder=E5Encoder(layers=ENCODER_LAYERS)).values()
    long = np.array([clip_words(normalise(e.text)) != normalise(e.text) for e in part.examples])
    names = {readings[0].tag: "window", readings[1].tag: "after"}
    print(f"\n{REVIEWS_CORPUS} left out of training (the cascade's encoder on every post; "
          "before: whole, after: the mean of its pieces)")
    print("\n".join(window_bench._figures("over 90 words", long, part, names)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--database-url", default=None,
                        help=f"PostgreSQL to measure besides SQLite (default {PG_DEFAULT} when "
                             "it answers; 'none' to skip)")
    parser.add_argument("--databases", default="sqlite,postgres",
                        help="which of sqlite and postgres to measure (default both)")
    parser.add_argument("--waves", default="off,on",
                        help="measure with waves off, on or both (default off,on)")
    parser.add_argument("--cache", type=Path, default=_default_cache(),
                        help="folder caching sentence embeddings for the left-out reviews")
    parser.add_argument("--no-reviews", action="store_true",
                        help="leave out part 5 (its left-out macro-F1 first embeds every corpus)")
    parser.add_argument("--keyword", action="store_true",
                        help="the tests' keyword classifier instead of the shipped one: the "
                             "database and the case engine alone")
    args = parser.parse_args()
    sizes = sorted(int(x) for x in args.sizes.split(",") if x)
    if args.keyword:
        from tests.factories import KeywordClassifier

        classifier: Any = KeywordClassifier()
    else:
        from monitor.classify import build_classifier

        classifier = build_classifier()
        classifier.warm_up()
    wanted = set(args.databases.split(","))
    modes = [w == "on" for w in ("off", "on") if w in args.waves.split(",")]
    if not modes or not set(args.waves.split(",")) <= {"off", "on"}:
        sys.exit(f"volume: --waves takes off, on or off,on, not {args.waves!r}")
    databases: list[tuple[str, str | None]] = [("sqlite", None)] if "sqlite" in wanted else []
    pg = args.database_url or PG_DEFAULT
    if "postgres" in wanted and args.database_url != "none" and _answers(pg):
        databases.append(("postgres", pg))
    print(f"classifier: {getattr(classifier, 'name', classifier)}")
    print(f"{'database':<9} {'waves':>5} {'posts':>7} {'posts/s':>8} {'meaning reads':>14} "
          f"{'classifier ms/post':>19} {'rest ms/post':>13}")
    for name, url in databases:
        for waves in modes:
            rates = {}
            for n in sizes:
                with tempfile.TemporaryDirectory() as tmp:
                    world = _world(Path(tmp), url, classifier)
                    fed = _feed(world, n, waves)
                    rates[n] = fed.rate
                    print(f"{name:<9} {'on' if waves else 'off':>5} {n:>7} {fed.rate:>8.0f} "
                          f"{fed.meaning_reads:>14} {fed.classifier_ms:>19.2f} "
                          f"{fed.rest_ms:>13.2f}", flush=True)
                    if n == sizes[-1] and waves == modes[0]:
                        _queries(world)
                        _sweep(world)
                    world.runtime.store.engine.dispose()
            print(f"{name:<9} {'on' if waves else 'off':>5} ratio N={sizes[-1]} / N={sizes[0]}: "
                  f"{rates[sizes[-1]] / rates[sizes[0]]:.2f}\n", flush=True)
    import waves as wave_bench

    wave_bench._wave_alerts(200)
    if not (args.keyword or args.no_reviews):
        _reviews(classifier, args.cache)


def _answers(url: str) -> bool:
    try:
        store = Store.from_url(url)
        store.engine.dispose()
        return True
    except Exception:
        return False


if __name__ == "__main__":
    main()
