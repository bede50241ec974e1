"""Train, cross-validate and report: what `brand-monitor train` and the model card run."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from monitor.classify import scoring, training
from monitor.classify.data import Example
from monitor.classify.fit import fit_dense_logreg, sigmoid
from monitor.classify.heads import Heads
from monitor.classify.metrics import binary_report
from monitor.classify.training import Prepared, Tick

VERSION_PREFIX = "heads"


def _report_rows(data: Prepared, rows: np.ndarray, scores: np.ndarray,
                 limits: np.ndarray) -> dict[str, float]:
    out = binary_report(data.y[rows], scores[rows] >= limits[rows], scores[rows])
    out["n"] = int(rows.sum())
    return out


def limits(data: Prepared, meta: dict[str, Any], severe: np.ndarray | None) -> np.ndarray:
    """Each row's threshold: its language's, lowered by the severity rule where `severe`
    (the probability of accusation or blame, NaN where unknown) is high enough."""
    table = meta["thresholds"]
    out = np.array([table.get(lang, table["other"]) for lang in data.langs], dtype=np.float64)
    if severe is None:
        return out
    for lang, rule in meta.get("severe", {}).items():
        rows = np.array(data.langs) == lang
        out[rows] = scoring.effective_threshold(out[rows], severe[rows], rule)
    return out


def stage1_scores(data: Prepared, z1: np.ndarray, z0: np.ndarray, stage1: dict[str, Any]
                  ) -> np.ndarray:
    """First-stage probabilities of every row under a calibration."""
    return sigmoid(training.stage1_inputs(data, z1, z0) @ np.array(stage1["w"]) + stage1["b"])


def figures(data: Prepared, cv: dict[str, np.ndarray], meta: dict[str, Any],
            p1: np.ndarray) -> dict[str, Any]:
    """Out-of-fold figures per source and per language, for every stage and the cascade."""
    cascade, encoded = training.cascade_scores(meta, data, p1, cv["blended"])
    severe = cv["severe"]
    stages = {"ngram": (p1, limits(data, meta, None)),
              "encoder": (sigmoid(cv["z2"]), limits(data, meta, None)),
              "blend": (cv["blended"], limits(data, meta, severe)),
              "cascade": (cascade, limits(data, meta, np.where(encoded, severe, np.nan)))}
    groups: dict[str, np.ndarray] = {}
    for source in sorted(set(data.sources.tolist()) - {"seeds"}):
        groups[source] = data.sources == source
    langs = np.array(data.langs)
    for lang in sorted(set(data.langs)):
        rows = (langs == lang) & (data.sources != "seeds")
        if rows.sum() >= 50 and len(set(data.sources[rows].tolist())) > 1:
            groups[f"lang:{lang}"] = rows
    brand = np.array([e.extra.get("brand_tweet") == "True" for e in data.examples])
    if brand.any():
        groups["en_twitter_complaints:brand_tweet"] = brand
    out: dict[str, Any] = {}
    for name, rows in groups.items():
        out[name] = {stage: _report_rows(data, rows, s, lim) for stage, (s, lim) in stages.items()}
        out[name]["encoded_share"] = round(float(encoded[rows].mean()), 3)
    sev = data.severities
    for level in ("accusation", "blame"):
        rows = sev == level
        if rows.any():
            out[f"recall:{level}"] = {
                stage: round(float(np.mean(s[rows] >= lim[rows])), 4)
                for stage, (s, lim) in stages.items()}
    return out


def build(examples: Sequence[Example], embeddings: training.EmbeddingCache,
          shallow: training.EmbeddingCache, seed: int = 0, folds: int = 5,
          tick: Tick | None = None, version: str = "") -> tuple[Heads, dict]:
    """Fit the heads on `examples` and return them with their cross-validated figures;
    `shallow` embeds with the encoder's embedding layer alone."""
    data = training.prepare(examples, embeddings, shallow, tick)
    cv = training.cross_validate(data, folds, seed, tick)
    stage1 = training.calibrate_stage1(data, cv["z1"], cv["z0"])
    p1 = stage1_scores(data, cv["z1"], cv["z0"], stage1)
    use = data.sources != "seeds"
    thresholds = training.per_language_thresholds(data.langs, data.y, cv["blended"], use)
    thresholds, severe = training.severe_rules(data, cv["blended"], cv["severe"], thresholds,
                                               use)
    meta: dict[str, Any] = {
        "version": version or f"{VERSION_PREFIX}-seed{seed}-n{len(examples)}",
        "encoder_layers": training.ENCODER_LAYERS,
        "stage1": stage1,
        "thresholds": thresholds,
        "severe": severe,
        "severities": list(training.SEVERITIES),
        "seed": seed,
        "folds": folds,
    }
    bands = training.cascade_bands(data, p1, cv["blended"], thresholds,
                                   limits(data, meta, cv["severe"]))
    meta["bands"] = {k: list(v) for k, v in bands.items()}
    blend = fit_dense_logreg(training.scoring.blend_features(cv["z1"], cv["z2"], data.langs,
                                                             data.tones),
                             data.y, data.weight, l2=0.1)
    meta["cv"] = figures(data, cv, meta, p1)
    heads = training.fit_all(data, meta, blend, seed, cv["targets"])
    if tick:
        tick(1)
    return heads, meta["cv"]


def leave_one_source_out(examples: Sequence[Example], embeddings: training.EmbeddingCache,
                         shallow: training.EmbeddingCache, seed: int = 0, folds: int = 5,
                         tick: Tick | None = None) -> dict[str, dict[str, float]]:
    """Train without one source at a time and measure on it: domains never seen.

    The blend and the thresholds come from the other sources only, so a language whose
    only corpus is held out is judged with the all-language defaults. The n-gram stage
    learns from the same distilled targets as in `build`; those were computed with every
    source in, a small leak towards the held-out one.
    """
    data = training.prepare(examples, embeddings, shallow, tick)
    cv = training.cross_validate(data, folds, seed, tick)
    blend_x = training.scoring.blend_features(cv["z1"], cv["z2"], data.langs, data.tones)
    out: dict[str, dict[str, float]] = {}
    for source in sorted(set(data.sources.tolist()) - {"seeds", "team"}):
        held = data.sources == source
        train_rows, test_rows = np.flatnonzero(~held), np.flatnonzero(held)
        models = training.fit_stages(data, train_rows, seed, cv["targets"])
        z1, z2 = models.logits(data, test_rows)
        w, b = fit_dense_logreg(blend_x[train_rows], data.y[train_rows],
                                data.weight[train_rows], l2=0.1)
        langs = [data.langs[i] for i in test_rows]
        scores = sigmoid(training.scoring.blend_features(z1, z2, langs, data.tones[test_rows])
                         @ w + b)
        table = training.per_language_thresholds(data.langs, data.y, cv["blended"],
                                                 ~held & (data.sources != "seeds"))
        th = np.array([table.get(lang, table["other"]) for lang in langs])
        report = binary_report(data.y[test_rows], scores >= th, scores)
        report["n"] = len(test_rows)
        report["threshold"] = float(th.mean())
        out[source] = report
        if tick:
            tick(1)
    return out
