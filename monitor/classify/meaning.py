"""Meaning vectors: what a complaint is about, comparable across languages (for waves).

The multilingual encoder puts translations of one post near each other, but two posts in
one language nearer still: its vectors carry the language as much as the meaning. Taking
away each language's average vector (its centre, measured on our corpus's complaints)
removes most of that, so what is left compares meaning. `benchmarks/waves_languages.py`
measures it on 12 events we wrote in English, Arabic, Persian and Polish, and on complaints
of brands whose posts were not used for the centres. At the encoder's full depth, with the
centres taken away, a post's nearest other post is the same event in another language for
100% of posts (12% without the centres; 83% at the 8th layer), and at cosine 0.45, 93% of
same-event pairs across languages are alike against 0.58% of unrelated complaints of one
category (`monitor.waves` compares only within a category). The 8th layer, which the
brand-aware heads read, gave 90% against 1.8%, so the meaning reads the full depth.

A post is read with its brand marked, normalised, a long post's head and tail.
`centres.npz` (next to `target.npz`: one array per language and the depth they were
measured at) is written by `brand-monitor train`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.heads import HEADS_DIR
from monitor.classify.marking import reader_for
from monitor.classify.text import clip_words, normalise
from monitor.domain import BrandContext
from monitor.sanitize import clip_for_classifier

log = logging.getLogger(__name__)
CENTRES_FILE = "centres.npz"
LAYERS = 12
"""The encoder depth meaning vectors are read at (the full model)."""


def reading(text: str, brand: BrandContext) -> str:
    """The text the deep encoder reads for a post found for `brand`."""
    return clip_words(normalise(reader_for(brand).mark(clip_for_classifier(text)).text))


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


class MeaningReader:
    """Meaning vectors of posts, with the deep encoder and the centres of each language."""

    def __init__(self, encoder: Callable[[Sequence[str]], np.ndarray],
                 centres: dict[str, np.ndarray]) -> None:
        self.encode = encoder
        self.centres = centres

    def warm_up(self) -> None:
        self.encode(["warm up"])

    def vectors(self, texts: Sequence[str], langs: Sequence[str],
                brands: Sequence[BrandContext]) -> list[np.ndarray | None]:
        """One unit vector per post; None for a language with no centre, or an empty post."""
        rows = [i for i, lang in enumerate(langs) if lang in self.centres]
        out: list[np.ndarray | None] = [None] * len(texts)
        if not rows:
            return out
        encoded = _unit(np.asarray(self.encode([reading(texts[i], brands[i]) for i in rows]),
                                   dtype=np.float32))
        for i, vector in zip(rows, encoded, strict=True):
            if vector.any():
                out[i] = _unit(vector - self.centres[langs[i]])
        return out


def fit_centres(texts: Sequence[str], langs: Sequence[str], brands: Sequence[BrandContext],
                embed: Callable[[Sequence[str]], np.ndarray]) -> dict[str, np.ndarray]:
    """Each language's centre: the mean unit vector of its posts (complaints, in `train`)."""
    vectors = _unit(np.asarray(embed([reading(t, b) for t, b in zip(texts, brands, strict=True)]),
                               dtype=np.float32))
    langs_array = np.asarray(langs)
    return {lang: vectors[langs_array == lang].mean(axis=0) for lang in sorted(set(langs))}


def save_centres(folder: Path, centres: dict[str, np.ndarray]) -> None:
    arrays: dict[str, Any] = {lang: c.astype(np.float32) for lang, c in centres.items()}
    np.savez(folder / CENTRES_FILE, layers=np.array(LAYERS), **arrays)


def load_centres(folder: Path = HEADS_DIR) -> dict[str, np.ndarray]:
    """The shipped centres; none (no meaning vectors: waves group by words alone) without
    the file, or with centres measured at another depth than `LAYERS`."""
    path = folder / CENTRES_FILE
    if not path.is_file():
        return {}
    with np.load(path, allow_pickle=False) as data:
        if "layers" not in data.files or int(data["layers"]) != LAYERS:
            log.warning("%s was measured at another encoder depth; run brand-monitor train", path)
            return {}
        return {lang: data[lang].astype(np.float32) for lang in data.files if lang != "layers"}
