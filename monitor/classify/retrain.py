"""Rebuild the heads: measure old and new on a held-out split, then fit on everything."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from monitor.classify.build import build, leave_one_source_out
from monitor.classify.cascade import DefaultClassifier
from monitor.classify.data import Example
from monitor.classify.encoder import E5Encoder, Encoder
from monitor.classify.heads import Heads, load_heads
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress
from monitor.classify.seeds import seed_examples
from monitor.classify.text import normalise
from monitor.classify.training import CHUNK, ENCODER_LAYERS, EmbeddingCache, stratified_folds

HELD_OUT_SHARE = 5  # one fifth


class _CachedEncoder:
    """Encode through the embedding cache, so measuring costs no second encoder pass."""

    def __init__(self, cache: EmbeddingCache) -> None:
        self.cache = cache

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(texts)


def _measure(heads: Heads, encoder: Encoder, shallow: Encoder, rows: Sequence[Example]
             ) -> dict[str, dict]:
    classifier = DefaultClassifier(heads, encoder, shallow=shallow)
    out = {}
    for source in sorted({e.source for e in rows}):
        part = [e for e in rows if e.source == source]
        verdicts = classifier.classify([e.text for e in part], [e.lang for e in part])
        out[source] = binary_report(np.array([e.label for e in part]),
                                    np.array([v.is_complaint for v in verdicts]),
                                    np.array([v.score for v in verdicts]))
        out[source]["n"] = len(part)
    return out


def _caches(cache: Path | None, encoder: Encoder | None, shallow: Encoder | None
            ) -> tuple[EmbeddingCache, EmbeddingCache]:
    """The embedding caches of the second stage's encoder and of the shallow one."""
    return (EmbeddingCache(encoder or E5Encoder(layers=ENCODER_LAYERS), cache),
            EmbeddingCache(shallow or E5Encoder(layers=0), cache))


def _embed_all(examples: Sequence[Example], caches: tuple[EmbeddingCache, EmbeddingCache],
               later_steps: int, label: str) -> Progress:
    """Encode every text once, up front, and return the progress for the steps after it.
    The shallow encoder goes first, untimed: it is over in seconds, and counting its quick
    chunks as steps would make the estimate of the time left far too short."""
    texts = [normalise(e.text) for e in examples]
    embeddings, shallow = caches
    shallow.embed(texts)
    progress = Progress(-(-embeddings.missing(texts) // CHUNK) + later_steps, label)
    embeddings.embed(texts, progress.advance)
    return progress


def retrain(examples: Sequence[Example], out: Path, seed: int = 0, folds: int = 5,
            cache: Path | None = None, encoder: Encoder | None = None,
            shallow: Encoder | None = None) -> str:
    """Write new heads to `out` and return a before/after report as text."""
    embeddings, shallow_embeddings = _caches(cache, encoder, shallow)
    split = stratified_folds([f"{e.source}:{e.label}" for e in examples], HELD_OUT_SHARE, seed)
    train = [e for e, f in zip(examples, split, strict=True) if f != 0]
    held = [e for e, f in zip(examples, split, strict=True) if f == 0]
    seeds = seed_examples()
    progress = _embed_all([*examples, *seeds], (embeddings, shallow_embeddings),
                          2 * (2 * folds + 1), "train")
    measuring = (_CachedEncoder(embeddings), _CachedEncoder(shallow_embeddings))
    before = None
    if (out / "heads.npz").is_file():
        before = _measure(load_heads(out), *measuring, held)
    candidate, _ = build([*train, *seeds], embeddings, shallow_embeddings, seed, folds,
                         progress.advance)
    after = _measure(candidate, *measuring, held)
    heads, cv = build([*examples, *seeds], embeddings, shallow_embeddings, seed, folds,
                      progress.advance)
    heads.save(out)
    progress.close()
    return _format(before, after, cv, out, len(held))


def unseen_domains(examples: Sequence[Example], seed: int = 0, folds: int = 5,
                   cache: Path | None = None, encoder: Encoder | None = None,
                   shallow: Encoder | None = None) -> str:
    """Leave one corpus out at a time: how the model does on a domain it never saw."""
    embeddings, shallow_embeddings = _caches(cache, encoder, shallow)
    seeds = seed_examples()
    sources = {e.source for e in examples} - {"team"}
    progress = _embed_all([*examples, *seeds], (embeddings, shallow_embeddings),
                          2 * folds + len(sources), "unseen")
    figures = leave_one_source_out([*examples, *seeds], embeddings, shallow_embeddings, seed,
                                   folds, progress.advance)
    progress.close()
    lines = ["left out of training, then measured on it: macro-F1 / ROC-AUC / precision / recall"]
    for source, f in figures.items():
        lines.append(f"  {source:<32} {f['macro_f1']:.3f} / {f['auc']:.3f} / "
                     f"{f['precision']:.3f} / {f['recall']:.3f}  (n={f['n']}, "
                     f"threshold {f['threshold']:.2f})")
    return "\n".join(lines)


def _format(before: dict | None, after: dict, cv: dict, out: Path, n_held: int) -> str:
    lines = [f"held-out split: {n_held} posts (one fifth, stratified); macro-F1 / ROC-AUC / recall"]
    for source, new in after.items():
        old = before.get(source) if before else None
        was = (f"{old['macro_f1']:.3f} / {old['auc']:.3f} / {old['recall']:.3f}"
               if old else "(no earlier heads)")
        lines.append(f"  {source:<32} before {was}   after {new['macro_f1']:.3f} / "
                     f"{new['auc']:.3f} / {new['recall']:.3f}  (n={new['n']})")
    if before:
        lines.append("  (before: the heads that were in the folder; if they were trained on these "
                     "posts, their figures flatter them)")
    lines.append("cross-validated on everything (cascade):")
    for name, figs in cv.items():
        if "encoded_share" in figs:
            c = figs["cascade"]
            lines.append(f"  {name:<32} macro-F1 {c['macro_f1']:.3f}  AUC {c['auc']:.3f}  "
                         f"recall {c['recall']:.3f}  (n={c['n']})")
        else:
            lines.append(f"  {name:<32} {figs['cascade']:.3f}")
    lines.append(f"heads written to {out}")
    return "\n".join(lines)
