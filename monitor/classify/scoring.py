"""The arithmetic both training and inference share, so the two can never disagree."""

from __future__ import annotations

import numpy as np

from monitor.classify.features import featurize
from monitor.classify.fit import sigmoid
from monitor.classify.heads import LANGS, Heads
from monitor.classify.severity import anger_cues
from monitor.classify.text import fold


def lang_onehot(lang: str) -> np.ndarray:
    """One-hot of our four languages; any other language is all zeros."""
    out = np.zeros(len(LANGS), dtype=np.float32)
    if lang in LANGS:
        out[LANGS.index(lang)] = 1.0
    return out


def ngram_logit(weights: np.ndarray, bias: float, text: str, lang: str) -> float:
    """First-stage logit of one post."""
    idx, vals = featurize(text, lang)
    return float(vals @ weights[idx]) + bias


def emb_features(emb: np.ndarray, vader: np.ndarray, langs: list[str]) -> np.ndarray:
    """Second-stage features: embedding, VADER signals and language one-hot, row per post."""
    onehots = np.stack([lang_onehot(lang) for lang in langs]) if langs else np.zeros((0, 4))
    return np.hstack([emb, vader, onehots]).astype(np.float32)


def tone(text: str, lang: str) -> np.ndarray:
    """Anger cue words and exclamation marks, each capped at three, scaled to 0..1."""
    cues = len(anger_cues(fold(text), lang))
    return np.array([min(cues, 3) / 3.0, min(text.count("!"), 3) / 3.0], dtype=np.float32)


def blend_features(z1: np.ndarray, z2: np.ndarray, langs: list[str],
                   tones: np.ndarray) -> np.ndarray:
    """Inputs of the blend: both stages' logits, the tone and a per-language bias."""
    onehots = np.stack([lang_onehot(lang) for lang in langs]) if langs else np.zeros((0, 4))
    return np.hstack([z1[:, None], z2[:, None], tones.reshape(-1, 2), onehots]).astype(np.float32)


def stage1_probability(heads: Heads, z1: float) -> float:
    """Calibrated probability from the first stage alone."""
    a, b = heads.meta.get("ngram_platt", (1.0, 0.0))
    return float(sigmoid(np.array(a * z1 + b)))


def severity_probabilities(heads: Heads, features: np.ndarray) -> np.ndarray:
    """Softmax over the complaint severities (no explicit reproach … blame)."""
    z = features @ heads.sev_w.T + heads.sev_b
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)
