"""Recurring causes: a period's complaints grouped by what they are about.

The complaints are embedded with the sentence encoder (`monitor.classify.encoder`, the same
multilingual model the classifier reads, so an Arabic and an English post about a late
parcel land close together), then grouped by average-linkage agglomerative clustering with a
cosine-similarity threshold: no number of clusters to guess, and a group only forms where
its posts are alike on average. Posts of different main categories never share a group: the
encoder finds two complaints in one language alike more readily than two about one thing.
Each group is named by its most telling words (class-based
TF-IDF: frequent in the group, rare in the others, stop words of its language left out) and
counted in the period before, by giving each of that period's complaints to the group whose
centre it is close enough to.

The encoder reads about 40 posts a second on two cores, so only the `MAX_EMBEDDED` most
recent complaints of each period are embedded; the report says how many it drew from.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from monitor.classify.encoder import Encoder
from monitor.classify.text import clip_words, fold, normalise
from monitor.report_model import Cause, Sample
from monitor.stopwords import is_stop_word
from monitor.store_reports import ComplaintText

MAX_EMBEDDED = 500
"""Complaints embedded per period (the current one and the one before): 1,000 at most."""
SIMILARITY = 0.87
"""Average cosine similarity within a group of posts about one thing (multilingual-e5-small,
`query:` prefix; tests/monitor/test_report_causes.py holds a late-parcel and a refund group
apart with it)."""
MIN_COUNT = 2
MAX_CAUSES = 8
WORDS = 4
_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True)
class _Group:
    members: tuple[int, ...]
    centre: np.ndarray
    category: str


def embed(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """L2-normalised vectors of the posts as the encoder reads them (links and handles
    replaced, long posts clipped)."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    vectors = np.asarray(encoder.encode([clip_words(normalise(t)) for t in texts]), dtype=np.float64)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def cluster(vectors: np.ndarray, threshold: float,
            labels: Sequence[str] | None = None) -> list[list[int]]:
    """Average-linkage agglomerative clustering: merge the two most similar groups until no
    two are, on average, at least `threshold` alike; posts of different `labels` (their main
    category) never share a group. O(n²) memory, n merges of O(n²) each: about a second for
    1,000 posts."""
    n = len(vectors)
    if n == 0:
        return []
    sim = vectors @ vectors.T
    if labels is not None:
        tags = np.asarray(labels, dtype=object)
        sim[tags[:, None] != tags[None, :]] = -np.inf
    np.fill_diagonal(sim, -np.inf)
    sizes = np.ones(n)
    members: list[list[int]] = [[i] for i in range(n)]
    while n > 1:
        a, b = divmod(int(np.argmax(sim)), n)
        if sim[a, b] < threshold:
            break
        row = (sizes[a] * sim[a] + sizes[b] * sim[b]) / (sizes[a] + sizes[b])
        sim[a, :] = row
        sim[:, a] = row
        sim[a, a] = -np.inf
        sim[b, :] = -np.inf
        sim[:, b] = -np.inf
        sizes[a] += sizes[b]
        members[a] += members[b]
        members[b] = []
    return [sorted(m) for m in members if m]


def words_of(text: str, lang: str, exclude: frozenset[str]) -> list[str]:
    """The content words of a post, folded: no stop words, numbers or brand names."""
    return [w for w in _WORD.findall(fold(text))
            if not is_stop_word(w, lang) and w not in exclude and (len(w) > 2 or lang in ("ar", "fa"))]


def telling_words(groups: Sequence[Sequence[Sequence[str]]], top: int = WORDS) -> list[tuple[str, ...]]:
    """Class-based TF-IDF: for each group (a list of posts' words), the words frequent in
    it and rare in the others; a word must recur in a group of several posts."""
    counts = [Counter(w for post in g for w in post) for g in groups]
    total: Counter[str] = Counter()
    for c in counts:
        total.update(c)
    sizes = [sum(c.values()) for c in counts]
    average = sum(sizes) / len(sizes) if sizes else 0.0
    named = []
    for group, c, size in zip(groups, counts, sizes, strict=True):
        # A word must recur in a group of several posts, unless none does (a group of posts
        # in several languages): then its single words, the rarest elsewhere first.
        need = 2 if len(group) > 1 and max(c.values(), default=0) >= 2 else 1
        scored = sorted(((n / size) * math.log(1 + average / total[w]), w)
                        for w, n in c.items() if n >= need) if size else []
        named.append(tuple(w for _, w in sorted(scored, key=lambda x: (-x[0], x[1]))[:top]))
    return named


def _groups(vectors: np.ndarray, threshold: float, labels: Sequence[str]) -> list[_Group]:
    out = []
    for members in cluster(vectors, threshold, labels):
        centre = vectors[members].mean(axis=0)
        norm = np.linalg.norm(centre)
        out.append(_Group(tuple(members), centre / norm if norm else centre, labels[members[0]]))
    return out


def _previous_counts(groups: Sequence[_Group], previous: np.ndarray, labels: Sequence[str],
                     threshold: float) -> list[int]:
    """How many of the period before's complaints, of the group's category, are close enough
    to each group's centre."""
    counts = [0] * len(groups)
    if not groups or not len(previous):
        return counts
    sims = previous @ np.stack([g.centre for g in groups]).T
    apart = np.asarray(labels, dtype=object)[:, None] != np.asarray([g.category for g in groups],
                                                                     dtype=object)[None, :]
    sims[apart] = -np.inf
    best = np.argmax(sims, axis=1)
    for i, g in enumerate(best):
        if sims[i, g] >= threshold:
            counts[int(g)] += 1
    return counts


def _samples(group: _Group, vectors: np.ndarray, posts: Sequence[ComplaintText]) -> tuple[Sample, ...]:
    """The two posts nearest the group's centre, in their own words."""
    nearest = sorted(group.members, key=lambda i: (-float(vectors[i] @ group.centre), i))[:2]
    return tuple(Sample(posts[i].reference, posts[i].text, posts[i].lang, posts[i].url) for i in nearest)


def recurring_causes(current: Sequence[ComplaintText], previous: Sequence[ComplaintText],
                     encoder: Encoder, exclude: Iterable[str] = (),
                     threshold: float = SIMILARITY) -> tuple[Cause, ...]:
    """Group `current` by what the posts are about, largest group first; `previous` (the
    period of equal length before) gives each group's trend. `exclude`: the brand's own
    names, which would otherwise name every group."""
    if not current:
        return ()
    vectors = embed(encoder, [p.text for p in current])
    before = embed(encoder, [p.text for p in previous])
    every = sorted(_groups(vectors, threshold, [p.category for p in current]),
                   key=lambda g: (-len(g.members), g.members[0]))
    kept = [i for i, g in enumerate(every) if len(g.members) >= MIN_COUNT][:MAX_CAUSES]
    if not kept:
        return ()
    banned = frozenset(w for name in exclude for w in _WORD.findall(fold(name)))
    # Named against every other group, the single posts included: "the others" are all of them.
    every_name = telling_words([[words_of(current[i].text, current[i].lang, banned)
                                 for i in g.members] for g in every])
    groups, names = [every[i] for i in kept], [every_name[i] for i in kept]
    counts = _previous_counts(groups, before, [p.category for p in previous], threshold)
    causes = []
    for group, words, was in zip(groups, names, counts, strict=True):
        causes.append(Cause(words=words, count=len(group.members), previous=was,
                            category=group.category, samples=_samples(group, vectors, current)))
    return tuple(causes)


_DEFAULT: list[Encoder] = []


def default_encoder() -> Encoder:
    """The encoder the report groups complaints with, built once per process."""
    if not _DEFAULT:
        from monitor.classify.encoder import E5Encoder

        # `query:` groups posts about one thing closer than the classifier's `passage:`:
        # with `passage:` the real-encoder test could not tell late parcels from refunds.
        _DEFAULT.append(E5Encoder(prefix="query"))
    return _DEFAULT[0]
