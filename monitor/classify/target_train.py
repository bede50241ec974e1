"""Fit and measure the brand-aware heads (`target.py`) on our own corpus.

Every figure is measured on posts whose brands the heads never saw: the folds leave out
one industry pair at a time (a brand and its competitor together, so no post's mirror row
is on the other side); `by="writer"` leaves out one corpus file, i.e. one writer and
writing style, at a time, and `by="variety"` one dialect or spelling. The band, the
thresholds and the figures all come from those out-of-fold scores.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from monitor.classify import scoring, target
from monitor.classify.corpus import UNLISTED, BrandExample
from monitor.classify.features import Sparse
from monitor.classify.fit import (
    fit_dense_logreg,
    fit_mlp_softmax,
    fit_softmax,
    fit_sparse_logreg,
    sigmoid,
)
from monitor.classify.marking import reader_for
from monitor.classify.metrics import best_threshold, binary_report
from monitor.classify.target import CATEGORIES, CLASSES, SoftmaxNet, TargetHeads
from monitor.classify.text import normalise

Embed = Callable[[list[str]], np.ndarray]
Score = Callable[[list[str], list[str]], np.ndarray]
Tick = Callable[[int], None]
HIDDEN = 128
EPOCHS = 40
NGRAM_SHARE = 0.5  # measured on left-out brands: 0.3 → 0.5 gains a point of macro-F1
CAT_L2 = 0.1
# Category on brands left out (main category one of the labelled ones, all complaints):
# fast inputs and cues 0.62, + the n-gram model averaged in 0.67; deep inputs 0.67, + n-grams
# 0.72; the n-grams folded into 2^16 buckets lose 0.005 of that.
CAT_NGRAM_L2 = 1e-5
MIN_SECOND = 0.5
# Main category of every labelled complaint, brands left out (inputs at full depth / fast):
# the n-gram model's share 0.5 -> 0.6 and the main category ranked by probability / share^0.5
# 0.717 -> 0.726 / 0.669 -> 0.686 (share 0.7: 0.718 / 0.685; power 1: 0.691 / 0.655).
CAT_NGRAM_SHARE = 0.6
CAT_PRIOR_POWER = 0.5
# Fast-network bands tried, narrowest first; the first whose decisions differ from the
# deep network's alone on at most MAX_FLIPS of the posts is kept.
# Measured on brands left out: 0.4-0.6 sends 18% of posts to the deep network and changes
# 2.2% of its decisions for 0.003 of macro-F1; 0.35-0.65 sends 29% and changes 1.0%.
BANDS = ((0.45, 0.55), (0.4, 0.6), (0.35, 0.65), (0.3, 0.7), (0.25, 0.75), (0.2, 0.8),
         (0.15, 0.85), (0.1, 0.9), (0.0, 1.0))
MAX_FLIPS = 0.025
# Severity levels weigh 1/sqrt(count): within one step for 92% and 42% of blames found on
# brands left out (unweighted: 93% and 21%; 1/count: 88% and 68%), fast inputs alone.
SEVERITY_BALANCE = 0.5
# Severity over every graded complaint of brands left out, exact / within one / blames found:
# fast inputs 0.62 / 0.92 / 0.43; inputs at the post's depth averaged with a softmax over its
# n-grams 0.69-0.70 / 0.95 / 0.34-0.37; with blame given 1.0 more log-odds 0.69-0.71 / 0.95 /
# 0.68-0.71 (0.6: 0.54-0.55 of the blames; 1.0 on the fast inputs alone: 0.84 within one).
BLAME_BOOST = 1.0


@dataclass
class TargetData:
    """The corpus turned into the heads' inputs, at both depths."""

    examples: list[BrandExample]
    fast: np.ndarray
    deep: np.ndarray
    sparse: Sparse
    cues: np.ndarray  # category cue counts
    cls: np.ndarray
    langs: np.ndarray

    @property
    def y(self) -> np.ndarray:
        return (self.cls == 0).astype(np.float64)


def prepare(examples: Sequence[BrandExample], score: Score, embed_fast: Embed,
            embed_deep: Embed) -> TargetData:
    """Mark each post's brand, score it with the first stage, embed the marked text."""
    marks = [reader_for(e.brand).mark(e.text) for e in examples]
    marked = [normalise(m.text) for m in marks]
    findings = [m.features() for m in marks]
    langs = [e.lang for e in examples]
    scores = score([e.text for e in examples], langs)
    heads = []
    for emb in (embed_fast(marked), embed_deep(marked)):
        heads.append(np.stack([
            target.inputs(f, e.lang, float(s), bool(scoring.QUESTION.search(normalise(e.text))),
                          scoring.tone(normalise(e.text), e.lang), v)
            for e, f, s, v in zip(examples, findings, scores, emb, strict=True)]))
    return TargetData(
        examples=list(examples), fast=heads[0], deep=heads[1],
        sparse=Sparse([target.ngrams(t, lang) for t, lang in zip(marked, langs, strict=True)]),
        cues=np.stack([target.category_cues(e.text, e.lang) for e in examples]),
        cls=np.array([CLASSES.index(e.target) for e in examples]), langs=np.array(langs))


def _net(x: np.ndarray, cls: np.ndarray, weight: np.ndarray, seed: int) -> SoftmaxNet:
    return fit_mlp_softmax(x, cls, len(CLASSES), weight=weight, hidden=HIDDEN, epochs=EPOCHS,
                           seed=seed)


def fit(data: TargetData, rows: np.ndarray, seed: int = 0) -> TargetHeads:
    """Fit every head on `rows` (band and thresholds are set later, out of fold)."""
    weight = _balance(data, rows)
    cls = data.cls[rows]
    ngram_w, ngram_b = fit_sparse_logreg(data.sparse.take(np.flatnonzero(rows)), data.y[rows],
                                         weight, l2=1e-5)
    complaints = rows & (data.cls == 0)
    xc = target.category_inputs(data.fast[complaints], data.cues[complaints])
    labelled = [e.categories for e, keep in zip(data.examples, complaints, strict=True) if keep]
    xd = target.category_inputs(data.deep[complaints], data.cues[complaints])
    grams = _folded(data.sparse.take(np.flatnonzero(complaints)))
    cat_w, cat_deep_w = (np.zeros((len(CATEGORIES), x.shape[1]), dtype=np.float32)
                         for x in (xc, xd))
    cat_ngram_w = np.zeros((len(CATEGORIES), target.CAT_BUCKETS), dtype=np.float32)
    cat_b, cat_deep_b, cat_ngram_b = (np.full(len(CATEGORIES), -6.0, dtype=np.float32)
                                      for _ in range(3))
    for i, category in enumerate(CATEGORIES):
        yc = np.array([category in cats for cats in labelled], dtype=np.float64)
        if 0 < yc.sum() < len(yc):
            cat_w[i], cat_b[i] = fit_dense_logreg(xc, yc, l2=CAT_L2)
            cat_deep_w[i], cat_deep_b[i] = fit_dense_logreg(xd, yc, l2=CAT_L2)
            w, cat_ngram_b[i] = fit_sparse_logreg(grams, yc, np.ones(len(yc)), l2=CAT_NGRAM_L2)
            cat_ngram_w[i] = w[:target.CAT_BUCKETS]
    sev = np.array([e.severity for e in data.examples])
    graded = complaints & (sev > 0)
    levels = sev[graded] - 1
    # rarer severities weigh more, so that the rare blame is still learned
    counts = np.bincount(levels, minlength=target.SEVERITY_LEVELS).astype(np.float64)
    sev_weight = np.maximum(counts[levels], 1.0) ** -SEVERITY_BALANCE
    sev_w, sev_b = fit_softmax(data.fast[graded], levels, target.SEVERITY_LEVELS,
                               weight=sev_weight, l2=1e-3, iters=300)
    sev_deep_w, sev_deep_b = fit_softmax(data.deep[graded], levels, target.SEVERITY_LEVELS,
                                         weight=sev_weight, l2=1e-3, iters=300)
    sev_ngram_w, sev_ngram_b = _severity_ngrams(data, graded, levels, sev_weight)
    return TargetHeads(fast=_net(data.fast[rows], cls, weight, seed),
                       deep=_net(data.deep[rows], cls, weight, seed), ngram_w=ngram_w,
                       ngram_b=ngram_b, cat_w=cat_w, cat_b=cat_b, sev_w=sev_w, sev_b=sev_b,
                       meta={"ngram_share": NGRAM_SHARE, "blame_boost": BLAME_BOOST,
                             "cat_ngram_share": CAT_NGRAM_SHARE,
                             "cat_prior_power": CAT_PRIOR_POWER,
                             "cat_base": _category_shares(labelled)},
                       cat_deep_w=cat_deep_w, cat_deep_b=cat_deep_b, cat_ngram_w=cat_ngram_w,
                       cat_ngram_b=cat_ngram_b, sev_deep_w=sev_deep_w, sev_deep_b=sev_deep_b,
                       sev_ngram_w=sev_ngram_w, sev_ngram_b=sev_ngram_b)


def _category_shares(labelled: Sequence[Sequence[Any]]) -> list[float]:
    """How often each of `CATEGORIES` is among a training complaint's categories."""
    if not labelled:
        return [1.0] * len(CATEGORIES)
    return [round(float(np.mean([c in cats for cats in labelled])), 4) for c in CATEGORIES]


def _severity_ngrams(data: TargetData, graded: np.ndarray, levels: np.ndarray,
                     weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per severity level over the graded complaints' folded
    n-grams; their logits, softmaxed, are the n-gram severity model."""
    grams = _folded(data.sparse.take(np.flatnonzero(graded)))
    w = np.zeros((target.SEVERITY_LEVELS, target.CAT_BUCKETS), dtype=np.float32)
    b = np.full(target.SEVERITY_LEVELS, -6.0, dtype=np.float32)
    for k in range(target.SEVERITY_LEVELS):
        yk = (levels == k).astype(np.float64)
        if 0 < yk.sum() < len(yk):
            wk, b[k] = fit_sparse_logreg(grams, yk, weight, l2=CAT_NGRAM_L2)
            w[k] = wk[:target.CAT_BUCKETS]
    return w, b


def _folded(sparse: Sparse) -> Sparse:
    """The same rows with their buckets folded into the category models' `CAT_BUCKETS`."""
    out = copy.copy(sparse)
    out.indices = sparse.indices % target.CAT_BUCKETS
    return out


def _grams(data: TargetData, rows: np.ndarray) -> list[target.Ngrams]:
    sp, at = data.sparse, data.sparse.indptr
    return [(sp.indices[at[r]:at[r + 1]], sp.values[at[r]:at[r + 1]])
            for r in np.flatnonzero(rows)]


def _balance(data: TargetData, rows: np.ndarray) -> np.ndarray:
    """Weigh each language equally, whatever its number of posts."""
    langs = data.langs[rows]
    counts = {lang: int((langs == lang).sum()) for lang in set(langs.tolist())}
    return np.array([len(langs) / (len(counts) * counts[lang]) for lang in langs])


def folds_by(data: TargetData, by: str) -> np.ndarray:
    """Fold number per row: one per industry pair (`group`), writer or variety."""
    keys = [getattr(e, by) for e in data.examples]
    order = sorted(set(keys))
    return np.array([order.index(k) for k in keys])


def _ngram(heads: TargetHeads, data: TargetData, rows: np.ndarray) -> np.ndarray:
    return sigmoid(data.sparse.take(np.flatnonzero(rows)).dot(heads.ngram_w) + heads.ngram_b)


def out_of_fold(data: TargetData, folds: np.ndarray, seed: int = 0,
                tick: Tick | None = None) -> dict[str, np.ndarray]:
    """Class probabilities at both depths, category and severity probabilities of every
    row, from heads that never saw its fold."""
    n = len(data.cls)
    out = {"fast": np.zeros((n, len(CLASSES))), "deep": np.zeros((n, len(CLASSES))),
           "cats": np.zeros((n, len(CATEGORIES))), "cats_deep": np.zeros((n, len(CATEGORIES))),
           "sevs": np.zeros((n, target.SEVERITY_LEVELS)),
           "sevs_deep": np.zeros((n, target.SEVERITY_LEVELS))}
    for f in np.unique(folds):
        test = folds == f
        heads = fit(data, ~test, seed)
        ngram = _ngram(heads, data, test)
        out["fast"][test] = heads.kinds(data.fast[test], ngram)
        out["deep"][test] = heads.kinds(data.deep[test], ngram, deep=True)
        grams = _grams(data, test)
        out["cats"][test] = heads.categories(
            target.category_inputs(data.fast[test], data.cues[test]), grams)
        out["cats_deep"][test] = heads.categories(
            target.category_inputs(data.deep[test], data.cues[test]), grams, deep=True)
        out["sevs"][test] = heads.severities(data.fast[test], grams)
        out["sevs_deep"][test] = heads.severities(data.deep[test], grams, deep=True)
        if tick:
            tick(1)
    return out


def choose_band(data: TargetData, oof: dict[str, np.ndarray]) -> tuple[float, float]:
    """The narrowest band of the fast network that changes at most MAX_FLIPS of the deep
    network's decisions (at the deep network's own thresholds)."""
    deep = oof["deep"][:, 0]
    limits = _limits(data, thresholds(data, deep))
    for low, high in BANDS:
        gated = gate(oof, (low, high))[:, 0]
        if np.mean((gated >= limits) != (deep >= limits)) <= MAX_FLIPS:
            return low, high
    return BANDS[-1]


def gate(oof: dict[str, np.ndarray], band: tuple[float, float]) -> np.ndarray:
    """The class probabilities the classifier would give: fast, or deep inside the band."""
    fast = oof["fast"]
    inside = (fast[:, 0] >= band[0]) & (fast[:, 0] <= band[1])
    return np.where(inside[:, None], oof["deep"], fast)


def thresholds(data: TargetData, p: np.ndarray) -> dict[str, float]:
    """Per language, the threshold on P(complaint about us) with the best macro-F1."""
    out = {lang: round(best_threshold(data.y[data.langs == lang], p[data.langs == lang]), 2)
           for lang in sorted(set(data.langs.tolist()))}
    out["other"] = round(best_threshold(data.y, p), 2)
    return out


def _limits(data: TargetData, table: dict[str, float]) -> np.ndarray:
    return np.array([table.get(lang, table["other"]) for lang in data.langs])


def report(data: TargetData, kinds: np.ndarray, oof: dict[str, np.ndarray],
           limits: dict[str, float]) -> dict[str, Any]:
    """Figures of out-of-fold predictions: per language, false alerts by kind, recall by
    style, category and severity of the complaints caught."""
    p = kinds[:, 0]
    flag = p >= _limits(data, limits)
    styles = np.array([e.style for e in data.examples])
    out: dict[str, Any] = {"all": {**binary_report(data.y, flag, p), "n": len(p)}}
    for lang in sorted(set(data.langs.tolist())):
        rows = data.langs == lang
        out[lang] = {**binary_report(data.y[rows], flag[rows], p[rows]), "n": int(rows.sum())}
    out["alerted_share"] = {c: round(float(flag[data.cls == CLASSES.index(c)].mean()), 3)
                            for c in CLASSES[1:] if (data.cls == CLASSES.index(c)).any()}
    for listed, rows in (("namesake_listed", styles == "namesake"),
                         ("namesake_unlisted", styles == UNLISTED)):
        if rows.any():
            out["alerted_share"][listed] = round(float(flag[rows].mean()), 3)
    out["recall_by_style"] = {s: round(float(flag[(styles == s) & (data.cls == 0)].mean()), 3)
                              for s in sorted(set(styles.tolist()))
                              if ((styles == s) & (data.cls == 0)).any()}
    caught = flag & (data.cls == 0)
    gold = [e.categories for e in data.examples]
    shares = _category_shares([g for g, c in zip(gold, data.cls == 0, strict=True) if c])
    prior = np.maximum(np.asarray(shares), 1e-3) ** CAT_PRIOR_POWER
    picked = [target.top_categories(row, MIN_SECOND, prior) for row in oof["cats"]]
    hits = [CATEGORIES[picked[i][0]] in gold[i] for i in np.flatnonzero(caught) if gold[i]]
    out["category_right"] = round(float(np.mean(hits)), 3) if hits else float("nan")
    sev = np.array([e.severity for e in data.examples])
    graded = caught & (sev > 0)
    odds = np.log(np.maximum(oof["sevs"][graded], 1e-9))
    odds[:, -1] += BLAME_BOOST
    guess = odds.argmax(axis=1) + 1
    out["severity_exact"] = round(float(np.mean(guess == sev[graded])), 3)
    out["severity_within_one"] = round(float(np.mean(np.abs(guess - sev[graded]) <= 1)), 3)
    out["blame_found"] = round(float(np.mean(guess[sev[graded] == 4] == 4)), 3)
    kappa = _kappa(sev[graded] - 1, guess - 1, target.SEVERITY_LEVELS)
    out["severity_kappa"] = round(kappa, 3)
    return out


def _kappa(a: np.ndarray, b: np.ndarray, k: int) -> float:
    """Cohen's kappa of two labelings with `k` classes."""
    if not len(a):
        return float("nan")
    table = np.zeros((k, k))
    np.add.at(table, (a, b), 1)
    table /= table.sum()
    agree = float(np.trace(table))
    chance = float(table.sum(axis=1) @ table.sum(axis=0))
    return (agree - chance) / (1 - chance) if chance < 1 else float("nan")


def measure(data: TargetData, by: str, seed: int = 0, tick: Tick | None = None
            ) -> tuple[dict[str, Any], tuple[float, float], dict[str, float]]:
    """Out-of-fold figures with folds by `by`, and the band and thresholds they choose."""
    oof = out_of_fold(data, folds_by(data, by), seed, tick)
    band = choose_band(data, oof)
    kinds = gate(oof, band)
    inside = (oof["fast"][:, 0] >= band[0]) & (oof["fast"][:, 0] <= band[1])
    # each post's categories at the depth it was read with
    oof["cats"] = np.where(inside[:, None], oof["cats_deep"], oof["cats"])
    oof["sevs"] = np.where(inside[:, None], oof["sevs_deep"], oof["sevs"])
    limits = thresholds(data, kinds[:, 0])
    figures = report(data, kinds, oof, limits)
    figures["deep_share"] = round(float(inside.mean()), 3)
    figures["fast_only"] = report(data, oof["fast"], oof, thresholds(data, oof["fast"][:, 0]))["all"]
    figures["deep_only"] = report(data, oof["deep"], oof, thresholds(data, oof["deep"][:, 0]))["all"]
    return figures, band, limits


def build(data: TargetData, layers: int, seed: int = 0, tick: Tick | None = None
          ) -> tuple[TargetHeads, dict[str, Any]]:
    """Heads fitted on every row; band, thresholds and figures from brands left out (and
    figures with writers and varieties left out)."""
    figures, band, limits = measure(data, "group", seed, tick)
    by_writer, _, _ = measure(data, "writer", seed, tick)
    by_variety, _, _ = measure(data, "variety", seed, tick)
    heads = fit(data, np.ones(len(data.cls), dtype=bool), seed)
    heads.meta.update({
        "layers": layers, "band": list(band), "thresholds": limits,
        "second_category": MIN_SECOND, "classes": list(CLASSES),
        "categories": [c.value for c in CATEGORIES], "n": len(data.cls), "seed": seed,
        "figures": {"brands_left_out": figures, "writers_left_out": by_writer,
                    "varieties_left_out": by_variety}})
    return heads, figures
