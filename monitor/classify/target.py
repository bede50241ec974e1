"""Who is blamed: the brand-aware heads over a post with its brand marked.

The cascade (`cascade.py`) scores how much a post reads like a complaint in general.
These heads, trained on our own brand-mention corpus (`corpus/`), decide what the post
is *for the brand it was found for*: a complaint about it, a question, praise, news, a
complaint about a competitor, a namesake, or a problem the writer blames nobody for. They
read the post with the brand marked (`marking.py`), the marking's findings, the first
stage's complaint probability, and a sentence embedding of the marked post.

Two depths, like the cascade: the fast network reads the encoder's embedding layer alone
(a fraction of a millisecond); only where its complaint probability falls inside `band`
does the deep network read the encoder run to `layers`. Either network's complaint
probability is averaged with a hashed n-gram model of the marked post (`ngram_w`), which
catches the words that tell who is blamed ("switched to Brandco", "my own fault").
Category (one or two problems) averages a logistic regression per category over the
inputs the post was read with (fast or deep, plus its category cue words) with one over the
marked post's n-grams folded into `CAT_BUCKETS` buckets; severity the same way, a softmax
over the inputs the post was read with averaged with a softmax over its folded n-grams, the
likeliest level chosen after the rare "blame" is given `blame_boost` more log-odds.

Layout of `target.npz` (next to `heads.npz`): `fast_w1`, `fast_b1`, `fast_w2`, `fast_b2`
and `deep_*` (one-hidden-layer softmax networks over `CLASSES`), `ngram_w` (DIM,),
`ngram_b` (), `cat_w` (C×F), `cat_b` (C,) (one logistic regression per category),
`cat_deep_w`, `cat_deep_b` (the same over the deep inputs), `cat_ngram_w` (C×CAT_BUCKETS),
`cat_ngram_b` (C,) (the same over n-grams; heads without these three read `cat_w` alone),
`sev_w` (S×F), `sev_b` (S,) (softmax over the severities), `sev_deep_w`, `sev_deep_b`,
`sev_ngram_w` (S×CAT_BUCKETS), `sev_ngram_b` (the same over the deep inputs and the n-grams;
heads without them read `sev_w` alone). `target.json` holds the deep
network's encoder depth, the band, the n-gram share, thresholds per language, the
second-category threshold and the figures measured on brands left out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify import lexicon
from monitor.classify.features import featurize
from monitor.classify.fit import mlp_softmax, sigmoid, softmax
from monitor.classify.heads import HEADS_DIR, LANGS
from monitor.classify.text import fold
from monitor.domain import Category

CLASSES = ("complaint", "question", "praise", "news", "competitor", "namesake", "no_blame",
           "other")
CATEGORIES = tuple(c for c in Category)
SEVERITY_LEVELS = 4
CAT_BUCKETS = 1 << 16  # the category n-gram models fold the 2^18 buckets: 1 MB, not 4
NETS = ("fast", "deep")
ARRAYS = (*(f"{net}_{part}" for net in NETS for part in ("w1", "b1", "w2", "b2")),
          "ngram_w", "ngram_b", "cat_w", "cat_b", "sev_w", "sev_b")
CATEGORY_ARRAYS = ("cat_deep_w", "cat_deep_b", "cat_ngram_w", "cat_ngram_b")
SEVERITY_ARRAYS = ("sev_deep_w", "sev_deep_b", "sev_ngram_w", "sev_ngram_b")
OPTIONAL_ARRAYS = (*CATEGORY_ARRAYS, *SEVERITY_ARRAYS)
Ngrams = tuple[np.ndarray, np.ndarray]  # one post's bucket indices and values (featurize)
SoftmaxNet = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _onehot(lang: str) -> np.ndarray:
    out = np.zeros(len(LANGS), dtype=np.float32)
    if lang in LANGS:
        out[LANGS.index(lang)] = 1.0
    return out


def inputs(marking: np.ndarray, lang: str, score: float, question: bool, tone: np.ndarray,
           emb: np.ndarray) -> np.ndarray:
    """One post's inputs: marking findings, language, the first stage's complaint logit,
    whether it reads as a question, the tone, then the embedding of the marked post.
    Shared by training and inference, so the two cannot disagree."""
    p = float(np.clip(score, 1e-4, 1 - 1e-4))
    z = np.log(p / (1 - p)) / 4.0
    head = np.concatenate([marking, _onehot(lang), [z, float(question)], tone])
    return np.concatenate([head, emb]).astype(np.float32)


def ngrams(marked_text: str, lang: str) -> Ngrams:
    """The n-grams of a (normalised, marked) post, read by the blame and category models."""
    return featurize(marked_text, lang)


def ngram_probability(heads_w: np.ndarray, heads_b: float, grams: Ngrams) -> float:
    """The n-gram model's probability that a marked post blames the brand."""
    idx, vals = grams
    return float(sigmoid(np.array(float(vals @ heads_w[idx]) + heads_b)))


def top_categories(probs: np.ndarray, second: float,
                   prior: np.ndarray | None = None) -> tuple[int, ...]:
    """Indices into `CATEGORIES` of one post's likeliest category, and of the runner-up
    where its probability reaches `second`; with a `prior` (each category's weight, e.g. its
    share of the training complaints to a power), they are ranked by probability / prior, so
    a common category needs more evidence to be named first."""
    rank = probs / prior if prior is not None else probs
    order = np.argsort(-rank)
    return (int(order[0]), int(order[1])) if probs[order[1]] >= second else (int(order[0]),)


def category_inputs(features: np.ndarray, cue_counts: np.ndarray) -> np.ndarray:
    """The category head reads the same inputs plus how many cue words of each category."""
    return np.hstack([features, cue_counts]).astype(np.float32)


def category_cues(text: str, lang: str) -> np.ndarray:
    """How many cue words of each category the post holds, capped at two, scaled 0..1."""
    folded = fold(text)
    out = np.zeros(len(CATEGORIES), dtype=np.float32)
    for i, category in enumerate(CATEGORIES):
        table = lexicon.CATEGORY_CUES.get(category)
        if table:
            out[i] = min(len(lexicon.find(folded, lexicon.cues_for(lang, table), lang)), 2) / 2
    return out


@dataclass
class TargetHeads:
    """The brand-aware heads and their settings."""

    fast: SoftmaxNet
    deep: SoftmaxNet
    ngram_w: np.ndarray
    ngram_b: float
    cat_w: np.ndarray
    cat_b: np.ndarray
    sev_w: np.ndarray
    sev_b: np.ndarray
    meta: dict[str, Any] = field(default_factory=dict)
    cat_deep_w: np.ndarray | None = None
    cat_deep_b: np.ndarray | None = None
    cat_ngram_w: np.ndarray | None = None
    cat_ngram_b: np.ndarray | None = None
    sev_deep_w: np.ndarray | None = None
    sev_deep_b: np.ndarray | None = None
    sev_ngram_w: np.ndarray | None = None
    sev_ngram_b: np.ndarray | None = None

    @property
    def version(self) -> str:
        return str(self.meta.get("version", "untrained"))

    @property
    def layers(self) -> int:
        """The encoder depth the deep network reads."""
        return int(self.meta.get("layers", 8))

    @property
    def band(self) -> tuple[float, float]:
        """Fast complaint probabilities between which the deep network decides."""
        low, high = self.meta.get("band", (0.0, 1.0))
        return float(low), float(high)

    @property
    def ngram_share(self) -> float:
        """How much of the complaint probability the n-gram model gives."""
        return float(self.meta.get("ngram_share", 0.5))

    def threshold(self, lang: str) -> float:
        """The calibrated probability of "complaint about us" from which a post alerts."""
        table = self.meta.get("thresholds", {})
        return float(table.get(lang, table.get("other", 0.5)))

    def kinds(self, x: np.ndarray, ngram: np.ndarray, deep: bool = False) -> np.ndarray:
        """Probabilities over `CLASSES`, one row per post; the complaint column blends the
        network with the n-gram model's probability `ngram`, the rest keep their shares."""
        p = mlp_softmax(self.deep if deep else self.fast, x)
        share = self.ngram_share
        complaint = (1 - share) * p[:, 0] + share * ngram
        rest = p[:, 1:] * ((1 - complaint) / np.maximum(1 - p[:, 0], 1e-9))[:, None]
        return np.hstack([complaint[:, None], rest])

    def categories(self, x: np.ndarray, grams: list[Ngrams] | None = None,
                   deep: bool = False) -> np.ndarray:
        """Independent probabilities of each of `CATEGORIES`, one row per post: the model
        over `x` (category inputs at the depth the posts were read, `deep` or fast),
        averaged with the n-gram model over each post's `grams` where the heads have one."""
        w, b = ((self.cat_deep_w, self.cat_deep_b) if deep and self.cat_deep_w is not None
                else (self.cat_w, self.cat_b))
        p = sigmoid(x @ w.T + b)
        if grams is None or self.cat_ngram_w is None or self.cat_ngram_b is None:
            return p
        z = np.stack([self.cat_ngram_w[:, idx % CAT_BUCKETS] @ vals for idx, vals in grams])
        share = float(self.meta.get("cat_ngram_share", 0.5))
        return (1 - share) * p + share * sigmoid(z + self.cat_ngram_b)

    @property
    def category_prior(self) -> np.ndarray | None:
        """Each category's weight when the main one is chosen (None in older heads): its share
        of the training complaints to the power `cat_prior_power`."""
        base = self.meta.get("cat_base")
        if not base:
            return None
        power = float(self.meta.get("cat_prior_power", 0.0))
        return np.maximum(np.asarray(base, dtype=np.float64), 1e-3) ** power

    def severities(self, x: np.ndarray, grams: list[Ngrams] | None = None,
                   deep: bool = False) -> np.ndarray:
        """Probabilities of the four severities, one row per post: the softmax over `x` (the
        inputs at the depth the posts were read), averaged with the one over their `grams`
        where the heads have it."""
        w, b = ((self.sev_deep_w, self.sev_deep_b) if deep and self.sev_deep_w is not None
                else (self.sev_w, self.sev_b))
        p = softmax(x @ w.T + b)
        if grams is None or self.sev_ngram_w is None or self.sev_ngram_b is None:
            return p
        z = np.stack([self.sev_ngram_w[:, idx % CAT_BUCKETS] @ vals for idx, vals in grams])
        return (p + softmax(z + self.sev_ngram_b)) / 2

    def severity_level(self, probs: np.ndarray) -> int:
        """Index of the severity named for one post's probabilities: the likeliest once the
        last level ("blame") has `blame_boost` more log-odds (0 in older heads)."""
        odds = np.log(np.maximum(probs, 1e-9))
        odds[-1] += float(self.meta.get("blame_boost", 0.0))
        return int(np.argmax(odds))

    @property
    def second_category(self) -> float:
        """Probability from which a second category is named beside the first."""
        return float(self.meta.get("second_category", 0.5))

    def save(self, folder: Path) -> None:
        """Write target.npz (no pickles) and target.json into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {}
        for net in NETS:
            w1, b1, w2, b2 = getattr(self, net)
            arrays.update({f"{net}_w1": w1.astype(np.float16), f"{net}_b1": b1,
                           f"{net}_w2": w2, f"{net}_b2": b2})
        arrays.update(ngram_w=self.ngram_w.astype(np.float16),
                      ngram_b=np.array(self.ngram_b, dtype=np.float32),
                      cat_w=self.cat_w.astype(np.float16), cat_b=self.cat_b,
                      sev_w=self.sev_w.astype(np.float16), sev_b=self.sev_b)
        for name in OPTIONAL_ARRAYS:
            value = getattr(self, name)
            if value is not None:
                arrays[name] = value.astype(np.float16 if name.endswith("_w") else np.float32)
        np.savez_compressed(folder / "target.npz", **arrays)  # type: ignore[arg-type]
        (folder / "target.json").write_text(json.dumps(self.meta, indent=1, sort_keys=True)
                                            + "\n", encoding="utf-8")


def load_target(folder: Path = HEADS_DIR) -> TargetHeads | None:
    """Read the brand-aware heads from `folder`; None where there are none (older heads)."""
    if not (folder / "target.npz").is_file():
        return None
    with np.load(folder / "target.npz", allow_pickle=False) as data:
        a = {name: data[name].astype(np.float32) for name in ARRAYS}
        extra = {name: data[name].astype(np.float32) for name in OPTIONAL_ARRAYS
                 if name in data.files}
    meta = json.loads((folder / "target.json").read_text(encoding="utf-8"))

    def net(name: str) -> SoftmaxNet:
        return a[f"{name}_w1"], a[f"{name}_b1"], a[f"{name}_w2"], a[f"{name}_b2"]

    return TargetHeads(fast=net("fast"), deep=net("deep"), ngram_w=a["ngram_w"],
                       ngram_b=float(a["ngram_b"]), cat_w=a["cat_w"], cat_b=a["cat_b"],
                       sev_w=a["sev_w"], sev_b=a["sev_b"], meta=meta,
                       cat_deep_w=extra.get("cat_deep_w"), cat_deep_b=extra.get("cat_deep_b"),
                       cat_ngram_w=extra.get("cat_ngram_w"),
                       cat_ngram_b=extra.get("cat_ngram_b"),
                       sev_deep_w=extra.get("sev_deep_w"), sev_deep_b=extra.get("sev_deep_b"),
                       sev_ngram_w=extra.get("sev_ngram_w"), sev_ngram_b=extra.get("sev_ngram_b"))
