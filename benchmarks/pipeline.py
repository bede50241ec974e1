"""Print how fast a post becomes a queued Slack alert, end to end on this machine.

Runs the real pipeline (SQLite file, the shipped classifier, the replay connector) over
synthetic posts and prints throughput and latency; no network. Usage:

    python benchmarks/pipeline.py [--posts 400]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import tempfile
import time
from pathlib import Path

from alerts.delivery import ConsoleDelivery
from alerts.sender import flush
from monitor.config_loader import load_config
from monitor.poller import poll_source
from monitor.settings import Environment
from monitor.wiring import build_runtime

OPENERS = ["@acmecoffee", "Acme Coffee", "acme", "Hey @acmecoffee"]
COMPLAINTS = ["my order is ten days late and nobody answers", "the grinder arrived broken, I want a refund",
              "you charged me twice for one subscription", "the app crashes at checkout every time"]
NEUTRAL = ["what time do you open on Sunday?", "the new oat latte is lovely", "opening a new shop in Leeds"]
BRANDS = """\
brands:
  - id: acme
    name: Acme Coffee
    keywords: [acme]
    slack: {channel: C0ACME}
    responders: [U0ONE]
    waves: {enabled: false}
    sources:
      - type: replay
        name: bench
        options: {path: posts.jsonl, batch: 10000}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=400)
    args = parser.parse_args()
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "brands.yaml").write_text(BRANDS)
        with (folder / "posts.jsonl").open("w") as fh:
            for i in range(args.posts):
                body = rng.choice(COMPLAINTS if i % 2 else NEUTRAL)
                fh.write(json.dumps({"id": str(i), "author": f"user{i}", "minutes_ago": 1, "lang": "en",
                                     "text": f"{rng.choice(OPENERS)} {body} #{i}"}) + "\n")
        started = time.perf_counter()
        runtime = build_runtime(load_config(folder / "brands.yaml", env={}), folder / "brands.yaml",
                                env=Environment(database_url=f"sqlite:///{folder / 'bench.db'}"), environ={})
        runtime.classifier.classify(["warm up"])
        load = time.perf_counter() - started
        started = time.perf_counter()
        result = poll_source(runtime, "acme", "bench")
        polled = time.perf_counter() - started
        started = time.perf_counter()
        sent = flush(runtime, ConsoleDelivery(io.StringIO()))
        flushed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"posts                      {args.posts}")
    print(f"start-up (db + classifier) {load:.2f} s")
    print(f"fetch+store+classify+case  {polled:.2f} s  ({args.posts / polled:.0f} posts/s)")
    print(f"cases opened               {result.outcome.complaints}")
    print(f"alerts rendered and sent   {sent} in {flushed:.2f} s ({sent / max(flushed, 1e-9):.0f}/s)")
    print(f"post to queued alert       {1000 * (polled + flushed) / args.posts:.1f} ms per post, amortised")
    print(f"peak resident memory       {peak:.0f} MB")


if __name__ == "__main__":
    main()
