"""Waves: many similar complaints within minutes (an outage, a viral post) become one alert.

The channel sees one grouped alert with a live count and samples; each case still exists and
gets its own answerable alert in the grouped alert's thread.
"""

from __future__ import annotations

import re

_NOISE = re.compile(r"https?://\S+|[@#]\w+|\d+")
_WORD = re.compile(r"\w{3,}")


def tokens(text: str) -> frozenset[str]:
    """Content words of a post, ignoring links, handles, hashtags and numbers."""
    return frozenset(_WORD.findall(_NOISE.sub(" ", text.lower())))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard overlap of two token sets."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
