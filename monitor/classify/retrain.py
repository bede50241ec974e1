"""Rebuild the heads: measure old and new on a held-out split, then fit on everything."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from monitor.classify import scoring, training
from monitor.classify.build import build, leave_one_source_out
from monitor.classify.cascade import DefaultClassifier
from monitor.classify.data import Example
from monitor.classify.encoder import E5Encoder, Encoder
from monitor.classify.fit import fit_dense_logreg, mlp_logits, sigmoid
from monitor.classify.heads import Heads, load_heads
from monitor.classify.metrics import binary_report
from monitor.classify.progress import Progress, timings_file
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
               later: Sequence[tuple[str, int]], label: str, cache: Path | None) -> Progress:
    """Encode every text once, up front, and return the progress for the `later` phases.
    The shallow encoder goes first, untimed: it is over in seconds, and counting its quick
    chunks as steps would make the estimate of the time left far too short."""
    texts = [normalise(e.text) for e in examples]
    embeddings, shallow = caches
    shallow.embed(texts)
    progress = Progress(0, label, phases=[("encoder chunks", -(-embeddings.missing(texts) // CHUNK)),
                                          *later], timings=timings_file(cache))
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
                          [("model fits", 2 * (2 * folds + 1))], "train", cache)
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
                          [("model fits", 2 * folds + len(sources))], "unseen", cache)
    figures = leave_one_source_out([*examples, *seeds], embeddings, shallow_embeddings, seed,
                                   folds, progress.advance)
    progress.close()
    lines = ["left out of training, then measured on it: macro-F1 / ROC-AUC / precision / recall"]
    for source, f in figures.items():
        lines.append(f"  {source:<32} {f['macro_f1']:.3f} / {f['auc']:.3f} / "
                     f"{f['precision']:.3f} / {f['recall']:.3f}  (n={f['n']}, "
                     f"threshold {f['threshold']:.2f})")
    return "\n".join(lines)


@dataclass(frozen=True)
class Reading:
    """One way for the encoder to read a normalised post: `read(encoder, texts)` gives one
    vector per text, and `changes(text)` is true where that is not the vector of the whole
    text (elsewhere the whole text's cached vector is used). `tag` names it in the cache."""

    tag: str
    read: Callable[[Encoder, Sequence[str]], np.ndarray]
    changes: Callable[[str], bool]


def window_reading(window: Callable[[str], str], tag: str) -> Reading:
    """The encoder reading `window` of each text (`text.clip_words`, say)."""
    return Reading(tag, lambda encoder, texts: encoder.encode([window(t) for t in texts]),
                   lambda text: window(text) != text)


@dataclass
class LeftOutReads:
    """One corpus left out of training and scored on it, read whole and by each reading."""

    examples: list[Example]
    y: np.ndarray
    thresholds: np.ndarray  # each post's, from the other corpora of its language
    whole: np.ndarray  # the blend's probability, the encoder reading the whole post
    read: dict[str, np.ndarray]  # the same by reading (its tag), the encoder reading so
    changed: dict[str, np.ndarray]  # by reading, the posts it reads otherwise than whole


class _Read:
    """The encoder behind a reading; its cache folder is its own, keyed by the whole text,
    so the encoder sees each text exactly as the reading builds it."""

    def __init__(self, encoder: Encoder, reading: Reading) -> None:
        self.encoder = encoder
        self.reading = reading
        self.cache_tag = f"{getattr(encoder, 'cache_tag', 'encoder')}-{reading.tag}"

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        return self.reading.read(self.encoder, texts)


def left_out_reads(examples: Sequence[Example], sources: Sequence[str],
                   readings: Sequence[Reading], seed: int = 0, folds: int = 5,
                   cache: Path | None = None, encoder: Encoder | None = None,
                   shallow: Encoder | None = None) -> dict[str, LeftOutReads]:
    """Leave each of `sources` out of training as `unseen_domains` does and score its posts
    with the encoder reading each post whole (as training reads every post) and by each of
    `readings`. The n-gram stage reads the whole post every time; the stages and the blend
    are fitted once per corpus, so the readings differ in the encoder's vector alone. With
    the whole post, the scores are those `unseen_domains` reports."""
    embeddings, shallow_embeddings = _caches(cache, encoder, shallow)
    read = {r.tag: EmbeddingCache(_Read(embeddings.encoder, r), cache) for r in readings}
    everything = [*examples, *seed_examples()]
    known = {e.source for e in examples} - {"team"}
    if unknown := [s for s in sources if s not in known]:
        raise ValueError(f"no corpus to leave out named {', '.join(unknown)}")
    texts = [normalise(e.text) for e in everything]
    changed_texts = {r.tag: [t for e, t in zip(everything, texts, strict=True)
                             if e.source in sources and r.changes(t)] for r in readings}
    progress = _embed_all(everything, (embeddings, shallow_embeddings),
                          [("chunks read another way", sum(-(-read[tag].missing(t) // CHUNK)
                                                           for tag, t in changed_texts.items())),
                           ("model fits", 2 * folds + len(sources))], "readings", cache)
    for tag, changed_here in changed_texts.items():
        read[tag].embed(changed_here, progress.advance)
    data = training.prepare(everything, embeddings, shallow_embeddings, progress.advance)
    cv = training.cross_validate(data, folds, seed, progress.advance)
    blend_x = scoring.blend_features(cv["z1"], cv["z2"], data.langs, data.tones)
    out: dict[str, LeftOutReads] = {}
    for source in sources:
        held = data.sources == source
        train_rows, test_rows = np.flatnonzero(~held), np.flatnonzero(held)
        models = training.fit_stages(data, train_rows, seed, cv["targets"])
        w, b = fit_dense_logreg(blend_x[train_rows], data.y[train_rows],
                                data.weight[train_rows], l2=0.1)
        table = training.per_language_thresholds(data.langs, data.y, cv["blended"],
                                                 ~held & (data.sources != "seeds"))
        langs = [data.langs[i] for i in test_rows]
        z1, z2 = models.logits(data, test_rows)
        tones = data.tones[test_rows]
        part = LeftOutReads(
            examples=[data.examples[i] for i in test_rows], y=data.y[test_rows],
            thresholds=np.array([table.get(lang, table["other"]) for lang in langs]),
            whole=sigmoid(scoring.blend_features(z1, z2, langs, tones) @ w + b),
            read={}, changed={})
        for r in readings:
            changed = np.array([r.changes(texts[i]) for i in test_rows], dtype=bool)
            feats = data.feats[test_rows].copy()
            if changed.any():
                rows = test_rows[changed]
                feats[changed] = scoring.emb_features(read[r.tag].embed([texts[i] for i in rows]),
                                                      data.signals[rows],
                                                      [data.langs[i] for i in rows])
            part.read[r.tag] = sigmoid(scoring.blend_features(z1, mlp_logits(models.emb, feats),
                                                              langs, tones) @ w + b)
            part.changed[r.tag] = changed
        out[source] = part
        progress.advance(1)
    progress.close()
    return out


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
