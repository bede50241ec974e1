"""Print what the encoder's window changes on posts the model never saw, in one run.

Each corpus with enough long posts is left out of training in turn, as `brand-monitor train
--unseen` does, and its posts are scored twice: with the encoder reading the whole post
(before) and reading its first 60 and last 30 words (after: what the cascade's encoder reads,
`text.clip_words`). Training reads every post whole, as `brand-monitor train` does; the
n-gram stage reads the whole post both times. For each corpus left out it prints n,
macro-F1, ROC-AUC, precision and recall over its posts of more than 90 words (the only ones
the window changes) and over all its posts, then the posts/s of the cascade's encoder
(8 layers) on those long posts, whole and through the window.

The scores are the blend of both stages with the encoder on every post, the figure
`train --unseen` reports; the shipped cascade encodes only the posts its first stage is
unsure of, so the window changes its verdicts on fewer long posts than here. Thresholds
come from the other corpora of the post's language (0.5 where there are none).

Embedding every training corpus takes a while on two cores the first time; `--cache` keeps
the embeddings (whole posts and windows under different keys) for the next run. Progress
goes to stderr. No network. Usage:

    python benchmarks/window.py [--data DIR_OR_CSV ...] [--cache DIR] [--timed 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from threadpoolctl import ThreadpoolController

from monitor.classify.commands import _default_cache
from monitor.classify.data import Example, csv_files, read_csv
from monitor.classify.encoder import E5Encoder, Encoder
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress
from monitor.classify.retrain import LeftOut, left_out_windowed
from monitor.classify.text import DEEP_HEAD, DEEP_TAIL, clip_words, normalise
from monitor.classify.training import ENCODER_LAYERS

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev"
MIN_LONG = 20  # fewer long posts than this give no figure worth printing
BATCH = 64


def long_corpora(examples: Sequence[Example], least: int = MIN_LONG) -> tuple[list[str], dict[str, int]]:
    """The corpora with at least `least` posts the window shortens, both labels among
    them, and every corpus's count of such posts."""
    counts: dict[str, int] = {}
    labels: dict[str, set[int]] = {}
    for e in examples:
        if e.source == "team":
            continue
        counts.setdefault(e.source, 0)
        text = normalise(e.text)
        if clip_words(text) != text:
            counts[e.source] += 1
            labels.setdefault(e.source, set()).add(e.label)
    chosen = [s for s in sorted(counts) if counts[s] >= least and len(labels[s]) == 2]
    return chosen, counts


def _figures(label: str, rows: np.ndarray, part: LeftOut) -> list[str]:
    out = []
    for name, scores in (("before", part.whole), ("after", part.windowed)):
        r = binary_report(part.y[rows], scores[rows] >= part.thresholds[rows], scores[rows])
        out.append(f"  {label:<14} {name:<7} n={int(rows.sum()):<5} macro-F1 {r['macro_f1']:.3f}"
                   f"  AUC {r['auc']:.3f}  precision {r['precision']:.3f}"
                   f"  recall {r['recall']:.3f}")
    return out


def _rate(encoder: Encoder, texts: Sequence[str], progress: Progress) -> float:
    """Posts/s of `encoder` on `texts` in batches of `BATCH`, with numpy's BLAS held to one
    thread as the cascade holds it."""
    with ThreadpoolController().limit(limits=1, user_api="blas"):
        started = time.perf_counter()
        for at in range(0, len(texts), BATCH):
            encoder.encode(texts[at:at + BATCH])
            progress.advance(1)
        took = time.perf_counter() - started
    return len(texts) / max(took, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(DATA)], metavar="DIR_OR_CSV",
                        help="labelled CSVs or folders of them (default ../shared/data/dev)")
    parser.add_argument("--cache", type=Path, default=_default_cache(),
                        help="folder caching sentence embeddings between runs")
    parser.add_argument("--timed", type=int, default=200,
                        help="long posts per corpus to time the encoder on")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    examples = [e for path in csv_files(args.data) for e in read_csv(path)]
    if not examples:
        sys.exit(f"window: no labelled CSVs in {' '.join(args.data)}")
    sources, counts = long_corpora(examples)
    print(f"{len(examples)} labelled posts; left out of training one corpus at a time and "
          f"scored; the encoder reads each post whole (before) or its first {DEEP_HEAD} and "
          f"last {DEEP_TAIL} words (after)")
    for source in sorted(set(counts) - set(sources)):
        print(f"  ({source}: {counts[source]} posts over {DEEP_HEAD + DEEP_TAIL} words, "
              "too few or of one label: not left out)")
    if not sources:
        return
    encoder = E5Encoder(layers=ENCODER_LAYERS)
    parts = left_out_windowed(examples, sources, clip_words, f"window{DEEP_HEAD}+{DEEP_TAIL}",
                              seed=args.seed, folds=args.folds, cache=args.cache,
                              encoder=encoder)
    timed = {s: [normalise(e.text) for e, c in zip(p.examples, p.changed, strict=True) if c]
             [:args.timed] for s, p in parts.items()}
    encoder.encode(["warm up"])  # with every embedding cached, the model is not loaded yet
    progress = Progress(sum(2 * -(-len(t) // BATCH) for t in timed.values()), "timing")
    rates = {s: (_rate(encoder, t, progress), _rate(encoder, [clip_words(x) for x in t],
                                                     progress))
             for s, t in timed.items()}
    progress.close()
    for source, part in parts.items():
        print(f"\n{source}: {len(part.y)} posts, {int(part.changed.sum())} over "
              f"{DEEP_HEAD + DEEP_TAIL} words ({int(part.y[part.changed].sum())} labelled 1); "
              f"threshold {part.thresholds.mean():.2f}")
        print("\n".join(_figures(f"over {DEEP_HEAD + DEEP_TAIL} words", part.changed, part)))
        print("\n".join(_figures("all posts", np.ones(len(part.y), dtype=bool), part)))
        before, after = rates[source]
        print(f"  encoder ({ENCODER_LAYERS} layers) on {len(timed[source])} of the long posts: "
              f"before {before:.1f} posts/s, after {after:.1f} posts/s ({after / before:.1f}x)")


if __name__ == "__main__":
    main()
