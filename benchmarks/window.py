"""Print what reading a long post otherwise changes on posts the model never saw, in one run.

Each corpus with enough long posts is left out of training in turn, as `brand-monitor train
--unseen` does, and its posts are scored with the encoder reading the whole post (before)
and reading it as the cascade does (after: `encoder.encode_long`, the mean of at most 4
pieces of at most 90 words). `--readings` sets other ways side by side, each against the
whole post: `window` (the first 60 and last 30 words, `text.clip_words`, which the cascade
read before), `wide` (the first 120 and last 60 words) and `chunks3` (at most 3 pieces).
Training reads every post whole, as `brand-monitor train` does; the n-gram stage reads the
whole post every time. For each corpus left out it prints n, macro-F1, ROC-AUC, precision
and recall over its posts of more than 90 words (the only ones the readings change) and
over all its posts, then the posts/s of the cascade's encoder
(8 layers) on those long posts, whole and by each reading: the median of `--repeats`
timings of the same posts, the readings timed in turn within each round so that a busy
moment on the shared cores costs them alike.

The scores are the blend of both stages with the encoder on every post, the figure
`train --unseen` reports; the shipped cascade encodes only the posts its first stage is
unsure of, so a reading changes its verdicts on fewer long posts than here. Thresholds
come from the other corpora of the post's language (0.5 where there are none).

Embedding every training corpus takes a while on two cores the first time; `--cache` keeps
the embeddings (whole posts and each reading under different keys) for the next run.
Progress goes to stderr. No network. Usage:

    python benchmarks/window.py [--data DIR_OR_CSV ...] [--cache DIR] [--timed 200]
                                [--repeats 3] [--readings chunks,window,wide,chunks3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Sequence
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "2")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np
from threadpoolctl import ThreadpoolController

from monitor.classify.commands import _default_cache
from monitor.classify.data import Example, csv_files, read_csv
from monitor.classify.encoder import E5Encoder, Encoder, encode_long
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress
from monitor.classify.retrain import LeftOutReads, Reading, left_out_reads, window_reading
from monitor.classify.text import DEEP_HEAD, DEEP_TAIL, clip_words, normalise
from monitor.classify.training import ENCODER_LAYERS

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "dev"
MIN_LONG = 20  # fewer long posts than this give no figure worth printing
BATCH = 64
LONG = DEEP_HEAD + DEEP_TAIL  # the words the window keeps; longer posts are the long ones


def _chunks(chunks: int, words: int = LONG) -> Reading:
    """`encode_long` as a reading: the mean of up to `chunks` pieces of at most `words`."""
    return Reading(f"chunks{words}x{chunks}", partial(encode_long, words=words, chunks=chunks),
                   lambda text: len(text.split(" ")) > words)


# Each reading by name, with the words that describe it in the first line printed.
READINGS: dict[str, tuple[str, Reading]] = {
    "window": (f"its first {DEEP_HEAD} and last {DEEP_TAIL} words",
               window_reading(clip_words, f"window{DEEP_HEAD}+{DEEP_TAIL}")),
    "wide": (f"its first {2 * DEEP_HEAD} and last {2 * DEEP_TAIL} words",
             window_reading(partial(clip_words, head=2 * DEEP_HEAD, tail=2 * DEEP_TAIL),
                            f"window{2 * DEEP_HEAD}+{2 * DEEP_TAIL}")),
    "chunks": (f"the mean of at most 4 pieces of at most {LONG} words", _chunks(4)),
    "chunks3": (f"the mean of at most 3 pieces of at most {LONG} words", _chunks(3)),
}


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


def _figures(label: str, rows: np.ndarray, part: LeftOutReads, names: dict[str, str]
             ) -> list[str]:
    """One line per reading (`names`: printed name by tag), the whole post first."""
    out = []
    for name, scores in (("before", part.whole),
                         *((names[tag], part.read[tag]) for tag in names)):
        r = binary_report(part.y[rows], scores[rows] >= part.thresholds[rows], scores[rows])
        out.append(f"  {label:<14} {name:<7} n={int(rows.sum()):<5} macro-F1 {r['macro_f1']:.3f}"
                   f"  AUC {r['auc']:.3f}  precision {r['precision']:.3f}"
                   f"  recall {r['recall']:.3f}")
    return out


def _rate(encoder: Encoder, texts: Sequence[str], read: Reading | None,
          progress: Progress) -> float:
    """Posts/s of `encoder` reading `texts` whole (`read` None) or by `read`, in batches of
    `BATCH`, with numpy's BLAS held to one thread as the cascade holds it."""
    with ThreadpoolController().limit(limits=1, user_api="blas"):
        started = time.perf_counter()
        for at in range(0, len(texts), BATCH):
            batch = texts[at:at + BATCH]
            if read is None:
                encoder.encode(batch)
            else:
                read.read(encoder, batch)
            progress.advance(1)
        took = time.perf_counter() - started
    return len(texts) / max(took, 1e-9)


def _rates(encoder: Encoder, texts: Sequence[str], readings: Sequence[Reading], repeats: int,
           progress: Progress) -> list[float]:
    """The median posts/s over `repeats` rounds, the whole post first and then each reading;
    every round times them all in turn, so a busy spell of the shared cores falls on all."""
    rounds = [[_rate(encoder, texts, read, progress) for read in (None, *readings)]
              for _ in range(repeats)]
    return [statistics.median(column) for column in zip(*rounds, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", nargs="+", default=[str(DATA)], metavar="DIR_OR_CSV",
                        help="labelled CSVs or folders of them (default ../shared/data/dev)")
    parser.add_argument("--cache", type=Path, default=_default_cache(),
                        help="folder caching sentence embeddings between runs")
    parser.add_argument("--timed", type=int, default=200,
                        help="long posts per corpus to time the encoder on")
    parser.add_argument("--repeats", type=int, default=3,
                        help="timings of those posts per reading; the median is printed")
    parser.add_argument("--readings", default="chunks",
                        help=f"comma-separated, of {', '.join(READINGS)} (default chunks, "
                             "what the cascade reads)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()
    chosen = list(dict.fromkeys(n.strip() for n in args.readings.split(",") if n.strip()))
    if not chosen or any(n not in READINGS for n in chosen):
        sys.exit(f"window: --readings takes {', '.join(READINGS)}, not {args.readings!r}")
    readings = [READINGS[n][1] for n in chosen]
    # with one reading alone, its lines read before/after
    names = ({readings[0].tag: "after"} if len(readings) == 1
             else {r.tag: n for n, r in zip(chosen, readings, strict=True)})
    examples = [e for path in csv_files(args.data) for e in read_csv(path)]
    if not examples:
        sys.exit(f"window: no labelled CSVs in {' '.join(args.data)}")
    sources, counts = long_corpora(examples)
    ways = "; or ".join(f"{READINGS[n][0]} ({names[READINGS[n][1].tag]})" for n in chosen)
    print(f"{len(examples)} labelled posts; left out of training one corpus at a time and "
          f"scored; the encoder reads each post whole (before) or {ways}")
    for source in sorted(set(counts) - set(sources)):
        print(f"  ({source}: {counts[source]} posts over {LONG} words, "
              "too few or of one label: not left out)")
    if not sources:
        return
    encoder = E5Encoder(layers=ENCODER_LAYERS)
    parts = left_out_reads(examples, sources, readings, seed=args.seed, folds=args.folds,
                           cache=args.cache, encoder=encoder)
    long = {s: np.array([clip_words(t) != t for t in map(normalise, (e.text for e in p.examples))],
                        dtype=bool) for s, p in parts.items()}
    timed = {s: [normalise(e.text) for e, c in zip(p.examples, long[s], strict=True) if c]
             [:args.timed] for s, p in parts.items()}
    encoder.encode(["warm up"])  # with every embedding cached, the model is not loaded yet
    progress = Progress(sum(args.repeats * (1 + len(readings)) * -(-len(t) // BATCH)
                            for t in timed.values()), "timing")
    rates = {s: _rates(encoder, t, readings, args.repeats, progress) for s, t in timed.items()}
    progress.close()
    for source, part in parts.items():
        rows = long[source]
        print(f"\n{source}: {len(part.y)} posts, {int(rows.sum())} over "
              f"{LONG} words ({int(part.y[rows].sum())} labelled 1); "
              f"threshold {part.thresholds.mean():.2f}")
        if len(readings) > 1:
            print("  read otherwise than whole: " + ", ".join(
                f"{names[tag]} {int(changed.sum())}" for tag, changed in part.changed.items()))
        print("\n".join(_figures(f"over {LONG} words", rows, part, names)))
        print("\n".join(_figures("all posts", np.ones(len(part.y), dtype=bool), part, names)))
        before, *after = rates[source]
        each = ", ".join(f"{names[r.tag]} {rate:.1f} posts/s ({rate / before:.1f}x)"
                         for r, rate in zip(readings, after, strict=True))
        print(f"  encoder ({ENCODER_LAYERS} layers) on {len(timed[source])} of the long posts: "
              f"before {before:.1f} posts/s, {each}")


if __name__ == "__main__":
    main()
