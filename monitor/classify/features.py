"""Hashed character and word n-grams: the cheap first stage's view of a post.

Stable across processes (no Python `hash()`), vectorised with numpy, and small: a post
becomes a sorted array of bucket indices into a weight vector of `DIM` floats.
"""

from __future__ import annotations

import re
import zlib
from itertools import pairwise

import numpy as np

from monitor.classify.text import fold

BITS = 18
DIM = 1 << BITS
CHAR_NS = (2, 3, 4, 5)
_WORD = re.compile(r"[^\W_]+|[!?]+|[\U0001F300-\U0001FAFF\u2600-\u27BF]", re.UNICODE)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_BASE = np.uint64(1_000_003)
_SHIFT = np.uint64(64 - BITS)


def _char_ngrams(text: str) -> np.ndarray:
    cps = np.frombuffer(f" {text} ".encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    out = []
    with np.errstate(over="ignore"):
        h = np.zeros(len(cps), dtype=np.uint64)
        for n in range(1, max(CHAR_NS) + 1):
            # h[i] holds the polynomial hash of cps[i : i + n]
            h = h[: len(cps) - n + 1] * _BASE + cps[n - 1 :]
            if n in CHAR_NS:
                out.append(((h + np.uint64(n)) * _MIX) >> _SHIFT)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.uint64)


def _word_ngrams(words: list[str]) -> np.ndarray:
    hashes = [zlib.crc32(w.encode("utf-8")) for w in words]
    grams = [h ^ 0x5BD1E995 for h in hashes]
    grams += [(a * 31 + b) & 0xFFFFFFFF ^ 0x27D4EB2F for a, b in pairwise(hashes)]
    arr = np.asarray(grams, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return (arr * _MIX) >> _SHIFT


def words_of(text: str) -> list[str]:
    """Split a folded text into the words the n-gram model scores."""
    return _WORD.findall(fold(text))


def featurize(text: str, lang: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Return (bucket indices, values) for one post; values are L2-normalised counts."""
    folded = fold(text)
    words = _WORD.findall(folded)
    parts = [_char_ngrams(folded), _word_ngrams(words)]
    if lang:
        parts.append(_word_ngrams([f"__lang_{lang}"])[:1])
    idx, counts = np.unique(np.concatenate(parts).astype(np.int64), return_counts=True)
    vals = np.sqrt(counts.astype(np.float32))
    vals /= max(float(np.linalg.norm(vals)), 1e-6)
    return idx, vals


def word_bucket(word: str) -> int:
    """Bucket of one folded word's unigram, to explain which words weighed most."""
    return int(_word_ngrams([word])[0])


class Sparse:
    """A batch of featurised posts in CSR form, enough for training and scoring."""

    def __init__(self, rows: list[tuple[np.ndarray, np.ndarray]]) -> None:
        lengths = np.array([len(i) for i, _ in rows], dtype=np.int64)
        self.indptr = np.concatenate([[0], np.cumsum(lengths)])
        self.indices = np.concatenate([i for i, _ in rows]) if rows else np.zeros(0, np.int64)
        self.values = np.concatenate([v for _, v in rows]) if rows else np.zeros(0, np.float32)
        self.row_of = np.repeat(np.arange(len(rows)), lengths)
        self.n = len(rows)

    def take(self, rows: np.ndarray) -> Sparse:
        """Select rows by position."""
        return Sparse([(self.indices[self.indptr[r]:self.indptr[r + 1]],
                        self.values[self.indptr[r]:self.indptr[r + 1]]) for r in rows])

    def dot(self, weights: np.ndarray) -> np.ndarray:
        """Multiply by a dense weight vector: one score per row."""
        return np.bincount(self.row_of, weights=self.values * weights[self.indices],
                           minlength=self.n)

    def tdot(self, residual: np.ndarray) -> np.ndarray:
        """Transpose-multiply: the gradient of a linear model's weights."""
        return np.bincount(self.indices, weights=self.values * residual[self.row_of],
                           minlength=DIM)
