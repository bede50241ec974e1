"""Rebuild the heads from labelled examples, reproducibly, and measure them by cross-validation.

Five stratified folds give out-of-fold scores for both stages; the blend, the
first-stage calibration, the per-language thresholds and the cascade bands are all fitted
on those out-of-fold scores, so nothing is tuned on posts the stage saw in training.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify import scoring
from monitor.classify.data import Example
from monitor.classify.encoder import DIM, Encoder
from monitor.classify.features import Sparse, featurize
from monitor.classify.fit import (
    fit_dense_logreg,
    fit_mlp,
    fit_softmax,
    fit_sparse_logreg,
    mlp_logits,
    sigmoid,
)
from monitor.classify.heads import LANGS, SEVERITIES, Heads, Network
from monitor.classify.metrics import best_threshold, binary_report
from monitor.classify.text import normalise, text_key
from monitor.classify.vader_signal import SIGNALS, Vader

Tick = Callable[[int], None]
SEEDS_WEIGHT = 3.0
# The complaint-labelled corpus is the task itself; the airline corpus labels negative
# sentiment, which overlaps but is not the same, so it counts for less (chosen by
# cross-validation, see MODEL_CARD.md).
CORPUS_WEIGHT = {"en_twitter_complaints": 2.5, "en_airline_tweets": 0.6}
MIN_HIGH = 0.7
CHUNK = 64  # texts per encoder call while building the cache
SEVERE_RECALL = 0.90  # share of accusations and blames the English threshold must find
# The second stage reads the mean of the encoder's 8th layer: on our data it classifies
# better than the last layer (see MODEL_CARD.md) and costs two thirds of the time.
ENCODER_LAYERS = 8
# The n-gram stage learns a fifth from the labels, four fifths from the full model's
# out-of-fold probabilities: it then agrees with the full model on more posts and leaves
# the encoder about a third fewer of them, at no cost in macro-F1 (see MODEL_CARD.md).
DISTIL = 0.8


@dataclass
class Prepared:
    """Examples turned into both stages' inputs."""

    examples: list[Example]
    sparse: Sparse
    feats: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    langs: list[str]
    sources: np.ndarray
    tones: np.ndarray
    signals: np.ndarray
    cues: np.ndarray
    shallow: np.ndarray  # the shallow network's inputs, like `feats` from the embedding layer

    @cached_property
    def severities(self) -> np.ndarray:
        """Each example's severity label ("" where it has none)."""
        return np.array([e.extra.get("severity", "") for e in self.examples])


class EmbeddingCache:
    """Embeddings by text hash, in .npz files of a folder (keys, vecs); misses are computed.

    Each encoder (its `cache_tag`) has a subfolder of its own, and new vectors are written
    every `SAVE_EVERY` chunks, so an interrupted run resumes where it stopped.
    """

    SAVE_EVERY = 16

    def __init__(self, encoder: Encoder, folder: Path | None) -> None:
        self.encoder = encoder
        tag = getattr(encoder, "cache_tag", "")
        self.folder = folder / tag if folder is not None and tag else folder
        self._known: dict[str, np.ndarray] = {}
        if self.folder is not None and self.folder.is_dir():
            for path in sorted(self.folder.glob("emb_*.npz")):
                with np.load(path, allow_pickle=False) as data:
                    self._known.update(zip(data["keys"].tolist(), data["vecs"], strict=True))

    def missing(self, texts: Sequence[str]) -> int:
        """How many distinct texts still need the encoder."""
        return len({k for k in map(text_key, texts) if k not in self._known})

    def embed(self, texts: Sequence[str], tick: Tick | None = None) -> np.ndarray:
        """Return one row per text, computing only the ones not cached yet; `tick(1)` per
        chunk of `CHUNK` texts encoded."""
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self._known))
        by_key = {text_key(t): normalise(t) for t in texts}
        new_keys: list[str] = []
        new_vecs: list[np.ndarray] = []
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start:start + CHUNK]
            vecs = self.encoder.encode([by_key[k] for k in chunk])
            self._known.update(zip(chunk, vecs, strict=True))
            new_keys += chunk
            new_vecs.append(vecs)
            if len(new_vecs) >= self.SAVE_EVERY:
                self._save(new_keys, new_vecs)
                new_keys, new_vecs = [], []
            if tick:
                tick(1)
        self._save(new_keys, new_vecs)
        if not keys:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._known[k] for k in keys]).astype(np.float32)

    def _save(self, keys: list[str], vecs: list[np.ndarray]) -> None:
        if not keys or self.folder is None:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d%H%M%S%f")
        np.savez(self.folder / f"emb_new_{stamp}.npz", keys=np.array(keys), vecs=np.vstack(vecs))


def source_weights(examples: Sequence[Example]) -> np.ndarray:
    """Weigh sources so that no single large corpus drowns the others."""
    sources = [e.source for e in examples]
    counts = {s: sources.count(s) for s in set(sources)}
    out = np.array([float(np.clip(2000.0 / counts[s], 0.5, 2.0)) * CORPUS_WEIGHT.get(s, 1.0)
                    for s in sources])
    out[np.array([s in ("seeds", "team") for s in sources])] = SEEDS_WEIGHT
    return out


def prepare(examples: Sequence[Example], embeddings: EmbeddingCache,
            shallow: EmbeddingCache, tick: Tick | None = None) -> Prepared:
    """Featurise every example for both stages; `shallow` embeds with no encoder layers."""
    vader = Vader()
    texts = [normalise(e.text) for e in examples]
    langs = [e.lang for e in examples]
    sparse = Sparse([featurize(t, lang) for t, lang in zip(texts, langs, strict=True)])
    emb = embeddings.embed(texts, tick)
    signals = (np.stack([vader.signals(t, lang) for t, lang in zip(texts, langs, strict=True)])
               if texts else np.zeros((0, SIGNALS), dtype=np.float32))
    return Prepared(
        examples=list(examples), sparse=sparse,
        feats=scoring.emb_features(emb, signals, langs),
        y=np.array([e.label for e in examples], dtype=np.float64),
        weight=source_weights(examples), langs=langs,
        sources=np.array([e.source for e in examples]),
        tones=(np.stack([scoring.tone(t, lang) for t, lang in zip(texts, langs, strict=True)])
               if texts else np.zeros((0, 2))),
        signals=signals,
        cues=(np.stack([scoring.cues(t, lang) for t, lang in zip(texts, langs, strict=True)])
              if texts else np.zeros((0, 2))),
        shallow=scoring.emb_features(shallow.embed(texts), signals, langs),
    )


def stratified_folds(strata: Sequence[str], k: int, seed: int) -> np.ndarray:
    """Assign each row a fold 0..k-1, balanced within every stratum."""
    rng = np.random.default_rng(seed)
    folds = np.zeros(len(strata), dtype=np.int64)
    groups: dict[str, list[int]] = {}
    for i, s in enumerate(strata):
        groups.setdefault(s, []).append(i)
    for name in sorted(groups):
        idx = np.array(groups[name])
        rng.shuffle(idx)
        folds[idx] = (np.arange(len(idx)) + rng.integers(k)) % k
    return folds


@dataclass
class StageModels:
    """Both stages fitted on one set of rows."""

    ngram: tuple[np.ndarray, float]
    emb: tuple[np.ndarray, np.ndarray, np.ndarray, float]

    def logits(self, data: Prepared, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z1 = data.sparse.take(rows).dot(self.ngram[0]) + self.ngram[1]
        return z1, mlp_logits(self.emb, data.feats[rows])


def fit_stages(data: Prepared, rows: np.ndarray, seed: int = 0,
               ngram_targets: np.ndarray | None = None) -> StageModels:
    """Fit the n-gram and the embedding stage on `rows` (the n-gram stage on
    `ngram_targets` when given, else on the labels)."""
    targets = data.y if ngram_targets is None else ngram_targets
    ngram = fit_sparse_logreg(data.sparse.take(rows), targets[rows], data.weight[rows])
    emb = fit_mlp(data.feats[rows], data.y[rows], data.weight[rows], seed=seed)
    return StageModels(ngram, emb)


def _blend_inputs(data: Prepared, z1: np.ndarray, z2: np.ndarray) -> np.ndarray:
    return scoring.blend_features(z1, z2, data.langs, data.tones)


def cross_validate(data: Prepared, k: int, seed: int, tick: Tick | None = None
                   ) -> dict[str, np.ndarray]:
    """Out-of-fold logits of both stages and of the shallow network, blended probabilities
    and the severity head's probability of accusation or blame.

    Two passes over the folds: the first gives the full model's out-of-fold probabilities;
    the n-gram stage is then refitted to a target that is part label, part those
    probabilities (`DISTIL`), so that it agrees with the full model more often and the
    cascade needs the encoder for fewer posts. `targets` is what the final n-gram stage
    learns from.
    """
    folds = stratified_folds([f"{e.source}:{e.label}" for e in data.examples], k, seed)
    z1 = np.zeros(len(data.y))
    z2 = np.zeros(len(data.y))
    z0 = np.zeros(len(data.y))
    severe = np.zeros(len(data.y))
    for f in range(k):
        train, test = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        models = fit_stages(data, train, seed)
        z1[test], z2[test] = models.logits(data, test)
        z0[test] = mlp_logits(fit_shallow(data, train, seed), data.shallow[test])
        sev_w, sev_b = fit_severity(data, train)
        severe[test] = scoring.severe_share(
            scoring.severity_probabilities_of(data.feats[test], sev_w, sev_b))
        if tick:
            tick(1)
    targets = (1.0 - DISTIL) * data.y + DISTIL * _blend_out_of_fold(data, folds, z1, z2)
    for f in range(k):
        train, test = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        w, b = fit_sparse_logreg(data.sparse.take(train), targets[train], data.weight[train])
        z1[test] = data.sparse.take(test).dot(w) + b
        if tick:
            tick(1)
    return {"z1": z1, "z2": z2, "z0": z0, "blended": _blend_out_of_fold(data, folds, z1, z2),
            "folds": folds, "severe": severe, "targets": targets}


def _blend_out_of_fold(data: Prepared, folds: np.ndarray, z1: np.ndarray, z2: np.ndarray
                       ) -> np.ndarray:
    blend_x = _blend_inputs(data, z1, z2)
    blended = np.zeros(len(data.y))
    for f in np.unique(folds):
        train, test = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        w, b = fit_dense_logreg(blend_x[train], data.y[train], data.weight[train], l2=0.1)
        blended[test] = sigmoid(blend_x[test] @ w + b)
    return blended


def fit_shallow(data: Prepared, rows: np.ndarray, seed: int = 0) -> Network:
    """The shallow network: the first stage's view of the encoder's embedding layer."""
    return fit_mlp(data.shallow[rows], data.y[rows], data.weight[rows], seed=seed)


def stage1_inputs(data: Prepared, z1: np.ndarray, z0: np.ndarray) -> np.ndarray:
    """What the first stage's calibration reads for every row."""
    return scoring.stage1_features(z1, data.signals, data.langs, data.tones, data.cues, z0)


def calibrate_stage1(data: Prepared, z1: np.ndarray, z0: np.ndarray) -> dict[str, Any]:
    """Calibrate the first stage on out-of-fold logits: a logistic regression over the
    n-gram and shallow logits (each also scaled per language), VADER's signals, the tone
    and the cues."""
    w, b = fit_dense_logreg(stage1_inputs(data, z1, z0), data.y, data.weight, l2=0.1)
    return {"w": [round(float(x), 6) for x in w], "b": round(b, 6)}


def per_language_thresholds(langs: Sequence[str], y: np.ndarray, scores: np.ndarray,
                            use: np.ndarray) -> dict[str, float]:
    """Each language's threshold: best macro-F1 over the language's posts, out-of-fold.

    Every post counts the same, so the language's larger corpora weigh more (Persian:
    the delivery comments, closest to complaints to a brand, over review sentences).
    English is refined by `severe_rules`.
    """
    lang_arr = np.array(langs)
    out = {"other": 0.5}
    for lang in LANGS:
        rows = (lang_arr == lang) & use
        if rows.sum() >= 50 and 0 < y[rows].mean() < 1:
            out[lang] = best_threshold(y[rows], scores[rows])
    return out


def cascade_bands(data: Prepared, p1: np.ndarray, blended: np.ndarray,
                  thresholds: dict[str, float], limits: np.ndarray | None = None,
                  max_changed: float = 0.01) -> dict[str, tuple[float, float]]:
    """First-stage probabilities outside which the first stage decides alone, per language.

    The band is chosen so that, in every corpus of the language, at most `max_changed` of
    the posts the full model flags lose their flag by it, and at most that share of the
    others gain one; it then reaches low enough to keep the accusations and blames found.
    The upper bound is never below `MIN_HIGH`: the n-gram stage is overconfident on posts
    unlike its training data (brand news, say), and a false alarm costs the team's trust.
    `limits` holds each row's threshold for the full model (lower for posts that read as
    severe); by default the language's threshold.
    """
    langs = np.array(data.langs)
    if limits is None:
        limits = np.array([thresholds.get(lang, 0.5) for lang in data.langs])
    out: dict[str, tuple[float, float]] = {"other": (0.0, 1.0)}
    grid = np.round(np.arange(0.0, 1.0001, 0.01), 2)
    for lang in LANGS:
        t = thresholds.get(lang, 0.5)
        corpora = [(langs == lang) & (data.sources == s)
                   for s in sorted(set(data.sources[langs == lang].tolist()))]
        corpora = [rows for rows in corpora if rows.sum() >= 50]
        if not corpora:
            continue
        low, high = t, max(t, MIN_HIGH)
        for rows in corpora:
            flagged = blended[rows] >= limits[rows]
            pos, neg = max(int(flagged.sum()), 1), max(int((~flagged).sum()), 1)
            lows = [g for g in grid if g <= t and
                    np.sum(flagged & (p1[rows] < g)) <= max_changed * pos]
            highs = [g for g in grid if g >= t and
                     np.sum(~flagged & (p1[rows] > g)) <= max_changed * neg]
            low = min(low, float(max(lows, default=0.0)))
            high = max(high, float(min(highs, default=1.0)))
        out[lang] = (_keep_severe(data, langs == lang, p1, blended, limits, t, (low, high)),
                     high)
    return out


def _keep_severe(data: Prepared, rows: np.ndarray, p1: np.ndarray, blended: np.ndarray,
                 limits: np.ndarray, threshold: float, band: tuple[float, float]) -> float:
    """Lower the band's lower bound until the cascade finds `SEVERE_RECALL` of the
    language's accusations and of its blames (or as many as the full model does): the
    first stage alone must not let the worst complaints through."""
    low, high = band
    worst = [rows & (data.severities == level) for level in SEVERITIES[2:]]
    if min(int(w.sum()) for w in worst) < 20:
        return low
    full = blended >= limits
    goal = [min(SEVERE_RECALL, float(full[w].mean())) for w in worst]
    while low > 0.0:
        flagged = np.where((p1 >= low) & (p1 <= high), full, p1 >= threshold)
        if all(float(flagged[w].mean()) >= g for w, g in zip(worst, goal, strict=True)):
            break
        low = round(low - 0.01, 2)
    return low


def cascade_scores(heads_meta: dict[str, Any], data: Prepared, p1: np.ndarray,
                   blended: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the cascade outputs on out-of-fold scores, and which rows it encoded."""
    bands = heads_meta["bands"]
    low = np.array([bands.get(lang, bands["other"])[0] for lang in data.langs])
    high = np.array([bands.get(lang, bands["other"])[1] for lang in data.langs])
    encoded = (p1 >= low) & (p1 <= high)
    return np.where(encoded, blended, p1), encoded


def fit_severity(data: Prepared, rows: np.ndarray | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Severity head over the embedding features of complaints labelled with a severity."""
    sev = data.severities
    pool = range(len(sev)) if rows is None else rows.tolist()
    labelled = np.array([i for i in pool if sev[i] in SEVERITIES], dtype=np.int64)
    if len(labelled) < 20:
        return np.zeros((len(SEVERITIES), data.feats.shape[1]), np.float32), np.zeros(
            len(SEVERITIES), np.float32)
    y = np.array([SEVERITIES.index(sev[i]) for i in labelled])
    return fit_softmax(data.feats[labelled], y, len(SEVERITIES), l2=1e-3)


def severe_rules(data: Prepared, scores: np.ndarray, severe: np.ndarray,
                 thresholds: dict[str, float], use: np.ndarray
                 ) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """For each language with severity labels: the threshold and severity discount that
    give the best mean macro-F1 over its corpora while finding at least `SEVERE_RECALL`
    of the accusations and of the blames (or, failing that, as many as possible).

    Returns the updated thresholds and the rules (`discount`, `min_severe`) by language.
    """
    labels = data.severities
    langs = np.array(data.langs)
    out_thresholds, rules = dict(thresholds), {}
    for lang in LANGS:
        rows = (langs == lang) & use
        worst = [rows & (labels == level) for level in SEVERITIES[2:]]
        if min(int(w.sum()) for w in worst) < 20:
            continue
        corpora = [rows & (data.sources == c) for c in sorted(set(data.sources[rows].tolist()))]
        best: tuple[float, ...] = ()
        for t in np.arange(0.10, 0.91, 0.01):
            for discount in (0.0, 0.05, 0.10, 0.15, 0.20):
                for floor in (0.3, 0.4, 0.5, 0.6):
                    rule = {"discount": discount, "min_severe": floor}
                    flagged = scores >= scoring.effective_threshold(float(t), severe, rule)
                    recall = min(float(flagged[w].mean()) for w in worst)
                    f1 = float(np.mean([binary_report(data.y[c], flagged[c], scores[c], with_auc=False)
                                         ["macro_f1"] for c in corpora]))
                    key = (min(recall, SEVERE_RECALL), f1, -discount)
                    if not best or key > best[:3]:
                        best = (*key, round(float(t), 2), discount, floor)
        out_thresholds[lang] = best[3]
        if best[4] > 0:
            rules[lang] = {"discount": best[4], "min_severe": best[5]}
    return out_thresholds, rules


def fit_all(data: Prepared, meta: dict[str, Any], blend: tuple[np.ndarray, float],
            seed: int = 0, ngram_targets: np.ndarray | None = None) -> Heads:
    """Fit the final heads on every row, with settings found by cross-validation."""
    every = np.arange(len(data.y))
    models = fit_stages(data, every, seed, ngram_targets)
    sev_w, sev_b = fit_severity(data)
    w1, b1, w2, b2 = models.emb
    return Heads(ngram_w=models.ngram[0], ngram_b=models.ngram[1], emb_w1=w1, emb_b1=b1,
                 emb_w2=w2, emb_b2=b2, blend_w=blend[0], blend_b=blend[1],
                 sev_w=sev_w, sev_b=sev_b, meta=meta, shallow=fit_shallow(data, every, seed))
