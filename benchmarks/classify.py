"""Measure the default classifier: throughput, latency per text, load time, peak memory.

Run: python benchmarks/classify.py [--posts 2000] [--threads 2] [--csv FILE.csv ...]
The sample posts are generated from our own phrases, not taken from any data set; with
--csv the posts of your own CSV files (column `text`) are measured as well, in file order.
Every set is measured twice in the same run, side by side: read against the brand it was
found for (as the pipeline reads it: the brand-aware heads) and brand-blind (the cascade
alone, as before the brand was an input).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

_OPENERS = ["@shopco", "@shopco_help", "hey @shopco", "", "RT @someone:", "@airfast"]
_COMPLAINT = [
    "my order still hasn't arrived after {n} days", "charged me twice and no refund yet",
    "the app logs me out every time I pay", "your courier left the box in the rain",
    "waited {n} minutes on hold and then got cut off", "received the wrong size again",
    "paczka nie dotarła od {n} dni", "الطلب ما وصل من {n} ايام", "سفارشم {n} روزه نرسیده",
]
_OTHER = [
    "do you ship to Gdańsk?", "love the new autumn range", "what time do you open on sunday",
    "thanks for sorting my return so fast", "shopco opens {n} new stores this spring",
    "just picked up my order, looks great", "czy macie ten model w kolorze czarnym?",
    "شكرا على الخدمة السريعة", "ممنون، سفارش سالم رسید",
]
_REVIEW_TAIL = [
    " I have been a customer for {n} years and usually everything goes smoothly, but this"
    " time the whole experience from checkout to delivery was different.",
    " The packaging was fine, the instructions were clear, and the price was about what I"
    " expected for this kind of product in this range.",
    " I contacted support by email and by phone and I am still waiting for someone to"
    " tell me what happens next with my order number and my money.",
]


def sample(kind: str, count: int, seed: int = 0, repeats: float = 0.1) -> list[str]:
    """Synthetic posts: about one in four a complaint, `repeats` of them repeated (retweets)."""
    rng = random.Random(seed)
    out: list[str] = []
    for _ in range(count):
        if out and rng.random() < repeats:
            out.append(rng.choice(out))
            continue
        body = rng.choice(_COMPLAINT if rng.random() < 0.25 else _OTHER)
        text = f"{rng.choice(_OPENERS)} {body}".strip()
        if kind == "review":
            text += "".join(rng.sample(_REVIEW_TAIL, 2))
        out.append(text.format(n=rng.randint(2, 40)) + f" (order {rng.randint(1, 10**6)})")
    return out


def measure(classifier: Any, label: str, texts: list[str], brand: Any, batch_size: int) -> None:
    """Print throughput in batches and latency one post at a time."""
    latencies: list[float] = []
    t0 = time.perf_counter()
    for at in range(0, len(texts), batch_size):
        batch = texts[at:at + batch_size]
        b0 = time.perf_counter()
        classifier.classify(batch, brands=[brand] * len(batch))
        latencies += [(time.perf_counter() - b0) / len(batch)] * len(batch)
    elapsed = time.perf_counter() - t0
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p95 = latencies[int(len(latencies) * 0.95)] * 1000
    print(f"{label}: {len(texts)} posts, {len(texts) / elapsed:.0f} posts/s, "
          f"p50 {p50:.1f} ms, p95 {p95:.1f} ms per post (batches of {batch_size})")
    one = []
    for text in texts[: min(50, len(texts))]:
        s0 = time.perf_counter()
        classifier.classify([text + " (single)"], brands=[brand])
        one.append(time.perf_counter() - s0)
    one.sort()
    print(f"{'':>8}one at a time: p50 {one[len(one) // 2] * 1000:.1f} ms, "
          f"p95 {one[int(len(one) * 0.95)] * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--csv", nargs="*", default=[], type=Path, metavar="FILE.csv",
                        help="also measure the posts in these CSV files (column text)")
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    start = time.perf_counter()
    from monitor.classify import build_classifier
    from monitor.domain import BrandContext

    classifier = build_classifier()
    classifier.warm_up()
    shopco = BrandContext(id="shopco", name="ShopCo", names=("ShopCo", "shopco"),
                          handles=("shopco", "shopco_help"), competitors=("AirFast",),
                          not_us=("ShopCo FC",))
    classifier.classify(["warm up: does this ship to Gdańsk?"], brands=[shopco])
    load = time.perf_counter() - start
    print(f"load (import, heads, both encoder depths, first post): {load:.2f} s")

    runs: list[tuple[str, float, list[str]]] = [
        (kind, repeats, sample(kind, args.posts if kind == "tweet" else args.posts // 4,
                               seed=int(repeats * 10), repeats=repeats))
        for kind, repeats in [("tweet", 0.0), ("tweet", 0.1), ("review", 0.0)]]
    for path in args.csv:
        with path.open(encoding="utf-8", newline="") as handle:
            texts = [row["text"] for row in csv.DictReader(handle)][: args.posts]
        runs.append((path.stem, 0.0, texts))
    for kind, repeats, texts in runs:
        for mode, brand in (("brand-aware", shopco), ("brand-blind", None)):
            measure(classifier, f"{kind}s, {repeats:.0%} repeated, {mode}", texts, brand,
                    args.batch)
    stats = getattr(classifier, "stats", None)
    if stats:
        print(f"cascade: {stats}")
    blame = getattr(classifier, "blame", None)
    if blame is not None:
        print(f"brand-aware heads: {blame.stats}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MB")


if __name__ == "__main__":
    main()
