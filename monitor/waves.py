"""Waves: many similar complaints within minutes (an outage, a viral post) become one alert.

The channel sees one grouped alert with a live count and samples; each case still exists and
gets its own answerable alert in the grouped alert's thread.

Finding similar posts must not cost more as volume grows, so a post is never compared with
every recent one. Its content words get a MinHash signature, cut into bands (locality-
sensitive hashing): two posts whose word sets overlap by Jaccard J share at least one band
with probability 1 - (1 - J**rows)**BANDS. The band hashes are stored in the database
(`wave_keys`), so every process sees the same ones; a new post looks up only the few cases
and waves that share a band with it, and the exact Jaccard of `similarity` decides.

Words do not cross languages, so a post the classifier gave a sentence vector (its meaning,
`monitor.classify.meaning`: the multilingual encoder's vector with its language's own average
taken away) also gets band keys of that vector: random-hyperplane signs (SimHash), whose
bits two vectors at angle θ share with probability 1 - θ/π. Those candidates are checked by
the exact cosine of the stored vectors, and only within one main category. An outage reported
in English, Arabic, Persian and Polish then forms one wave.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import timedelta

import numpy as np

_NOISE = re.compile(r"https?://\S+|[@#]\w+|\d+")
_WORD = re.compile(r"\w{3,}")

BANDS = 24
"""Band hashes stored per case (and per wave topic)."""
MAX_CANDIDATES = 200
"""At most this many recent cases (and waves) sharing a band are checked exactly per new case."""
PER_BUCKET = 50
"""Of each bucket only the newest this many rows are read: common words make crowded buckets."""
REDATE_PARTS = 10
"""A wave's keys carry the time it was last joined to within a tenth of the window: they are
re-dated when that much has passed, not on every join, since every re-dating leaves a dead
row version behind in PostgreSQL for each key, and scans walk those until a vacuum."""
_PRIME = (1 << 61) - 1  # Mersenne prime: universal hashes (a*x + b) mod p, 0 < a, b < p, x < 2**32


def _seeded(i: int, what: bytes) -> int:
    digest = hashlib.blake2b(what + i.to_bytes(2, "big"), digest_size=8, person=b"bm-waves").digest()
    return int.from_bytes(digest, "big") % (_PRIME - 1) + 1


_MAX_ROWS = 4
# Fixed, derived from constant seeds (not Python's per-process `hash`): every process and
# every release computes the same signature for the same words.
_A = tuple(_seeded(i, b"a") for i in range(BANDS * _MAX_ROWS))
_B = tuple(_seeded(i, b"b") for i in range(BANDS * _MAX_ROWS))


def key_lag(window: timedelta) -> timedelta:
    """How far a wave's keys may lag behind its last join (see `REDATE_PARTS`)."""
    return window / REDATE_PARTS


def tokens(text: str) -> frozenset[str]:
    """Content words of a post, ignoring links, handles, hashtags and numbers."""
    return frozenset(_WORD.findall(_NOISE.sub(" ", text.lower())))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two token sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def rows_per_band(threshold: float) -> int:
    """Rows per band so that a pair at the similarity threshold shares a band 90%+ of the time.

    More rows mean fewer false candidates; fewer rows mean better recall at low thresholds.
    """
    if threshold >= 0.7:
        return 4  # P(share a band | J=0.7) = 0.9986
    if threshold >= 0.5:
        return 3  # J=0.5: 0.959; J=0.2: 0.18; J=0.1: 0.024
    if threshold >= 0.3:
        return 2  # J=0.3: 0.90
    return 1


def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")


def signature(words: Iterable[str], size: int = BANDS * _MAX_ROWS) -> tuple[int, ...]:
    """MinHash signature of a word set: per hash function, the least hash of any word."""
    hashes = [_word_hash(w) for w in words]
    if not hashes:
        return ()
    return tuple(min((a * x + b) % _PRIME for x in hashes) for a, b in zip(_A[:size], _B[:size],
                                                                           strict=True))


def band_keys(words: frozenset[str], threshold: float) -> list[tuple[int, int]]:
    """(band, bucket) pairs of a word set: similar sets share buckets, dissimilar ones rarely.

    A bucket is a signed 64-bit hash of the band's number, its shape and its MinHash values,
    so buckets of different bands (or of another threshold's shape) never collide by design.
    """
    rows = rows_per_band(threshold)
    sig = signature(words, BANDS * rows)
    if not sig:
        return []
    keys = []
    for band in range(BANDS):
        part = sig[band * rows:(band + 1) * rows]
        raw = f"{rows}:{band}:" + ",".join(map(str, part))
        bucket = int.from_bytes(hashlib.blake2b(raw.encode(), digest_size=8).digest(), "big",
                                signed=True)
        keys.append((band, bucket))
    return keys


# -- meaning: the same, for sentence vectors ---------------------------------------------------

MEANING_BANDS = 20
MEANING_ROWS = 5
"""Sign bits per band: at cosine 0.45 (the default threshold) two vectors share a band with
probability 1 - (1 - (1 - acos(0.45)/pi)**5)**20 = 0.91, at cosine 0.7 0.99; the crowded
buckets this leaves (at cosine 0, 0.47) are cut at `PER_BUCKET` and `MAX_CANDIDATES` like the
word buckets."""
MEANING_BAND_BASE = 100
"""Meaning bands are stored as bands 100-119 of `wave_keys`, apart from the word bands."""
MEANING_DIM = 384


def _planes() -> np.ndarray:
    """Fixed ±1 hyperplanes from constant seeds: the same in every process and release."""
    size = MEANING_BANDS * MEANING_ROWS * MEANING_DIM
    raw = b"".join(hashlib.blake2b(i.to_bytes(4, "big"), digest_size=64, person=b"bm-planes").digest()
                   for i in range(-(-size // 512)))
    bits = np.unpackbits(np.frombuffer(raw, dtype=np.uint8))[:size]
    return (bits.astype(np.float32) * 2 - 1).reshape(MEANING_BANDS * MEANING_ROWS, MEANING_DIM)


_PLANES = _planes()


def pack(vector: np.ndarray) -> bytes:
    """A meaning vector as stored: float16, 768 bytes."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def unpack(stored: bytes | None) -> np.ndarray | None:
    if not stored:
        return None
    return np.frombuffer(stored, dtype=np.float16).astype(np.float32)


def cosine(a: np.ndarray, b: np.ndarray) -> float:
    norms = float(np.linalg.norm(a) * np.linalg.norm(b))
    return float(a @ b) / norms if norms else 0.0


def meaning_keys(vector: np.ndarray) -> list[tuple[int, int]]:
    """(band, bucket) pairs of a meaning vector: close vectors share buckets."""
    bits = (_PLANES @ np.asarray(vector, dtype=np.float32)) > 0
    keys = []
    for band in range(MEANING_BANDS):
        part = bits[band * MEANING_ROWS:(band + 1) * MEANING_ROWS]
        raw = f"m{MEANING_ROWS}:{band}:" + "".join("1" if b else "0" for b in part)
        bucket = int.from_bytes(hashlib.blake2b(raw.encode(), digest_size=8).digest(), "big",
                                signed=True)
        keys.append((MEANING_BAND_BASE + band, bucket))
    return keys
