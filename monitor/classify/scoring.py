"""The arithmetic both training and inference share, so the two can never disagree."""

from __future__ import annotations

import re

import numpy as np

from monitor.classify import lexicon
from monitor.classify.features import featurize
from monitor.classify.fit import sigmoid
from monitor.classify.heads import LANGS, Heads
from monitor.classify.severity import anger_cues
from monitor.classify.text import fold

# A post that asks rather than reproaches: "does this ship to Gdańsk?"
QUESTION = re.compile(
    r"\?\s*$|^(does|do|is|are|can|could|will|would|when|where|how|what|which|who)\b"
    r"|^(czy|kiedy|gdzie|jak)\b|^(هل|متى|وين|كيف)|(آیا|کی |کجا|چطور)",
    re.IGNORECASE,
)


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


def cues(text: str, lang: str) -> np.ndarray:
    """Whether the (normalised) post reads as a question, and its complaint cue phrases
    (capped at three, scaled to 0..1): what the first stage reads besides its n-grams."""
    found = lexicon.find(fold(text), lexicon.cues_for(lang, lexicon.COMPLAINT_CUES), lang)
    return np.array([1.0 if QUESTION.search(text) else 0.0, min(len(found), 3) / 3.0],
                    dtype=np.float32)


def blend_features(z1: np.ndarray, z2: np.ndarray, langs: list[str],
                   tones: np.ndarray) -> np.ndarray:
    """Inputs of the blend: both stages' logits, the tone and a per-language bias."""
    onehots = np.stack([lang_onehot(lang) for lang in langs]) if langs else np.zeros((0, 4))
    return np.hstack([z1[:, None], z2[:, None], tones.reshape(-1, 2), onehots]).astype(np.float32)


def stage1_features(z1: np.ndarray, signals: np.ndarray, langs: list[str],
                    tones: np.ndarray, cue_rows: np.ndarray, z0: np.ndarray) -> np.ndarray:
    """Inputs of the first stage's calibration: the n-gram logit and the shallow network's
    logit `z0`, each also scaled per language, plus VADER's signals, the tone and the
    `cues`; none needs the encoder's transformer layers. New inputs go at the end (see
    `stage1_probabilities`)."""
    onehots = np.stack([lang_onehot(lang) for lang in langs]) if langs else np.zeros((0, 4))
    z = z1.reshape(-1, 1)
    s = z0.reshape(-1, 1)
    return np.hstack([z, z * onehots, onehots, signals.reshape(-1, signals.shape[-1]),
                      tones.reshape(-1, 2), cue_rows.reshape(-1, 2), s, s * onehots]
                     ).astype(np.float32)


def stage1_probabilities(heads: Heads, features: np.ndarray) -> np.ndarray:
    """Calibrated complaint probabilities from the first stage alone."""
    table = heads.meta.get("stage1")
    if not table:  # heads without a calibration: the raw n-gram logit
        return sigmoid(features[:, 0])
    # New inputs are only ever appended, so heads calibrated before they existed read the
    # leading columns they know.
    w = np.asarray(table["w"], dtype=np.float32)
    return sigmoid(features[:, :len(w)] @ w + float(table["b"]))


def severe_share(severity_probs: np.ndarray) -> np.ndarray:
    """Probability that a complaint is an accusation or blame (the two worst severities)."""
    return severity_probs[..., 2:].sum(axis=-1)


def effective_threshold(threshold: np.ndarray | float, severe: np.ndarray | float | None,
                        rule: dict[str, float] | None) -> np.ndarray | float:
    """Lower the threshold by the language's severity discount for posts that read as an
    accusation or blame; `severe` is None (or NaN) where the encoder did not run."""
    if not rule or severe is None:
        return threshold
    hit = np.nan_to_num(np.asarray(severe, dtype=np.float64), nan=0.0) >= rule["min_severe"]
    out = np.asarray(threshold, dtype=np.float64) - rule["discount"] * hit
    return float(out) if out.ndim == 0 else out


def severity_probabilities(heads: Heads, features: np.ndarray) -> np.ndarray:
    """Softmax over the complaint severities (no explicit reproach … blame)."""
    return severity_probabilities_of(features, heads.sev_w, heads.sev_b)


def severity_probabilities_of(features: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Softmax of a severity head (`w` classes×features, `b`) over rows of features."""
    z = features @ w.T + b
    z -= z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)
