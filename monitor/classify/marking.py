"""Mark the brand in a post: our names become one marker word, competitors' another.

The heads then read "Rivalco lost my parcel, switched to Brandco" the same way whatever
the brands are called, so what they learn about blame carries over to brands they never
saw. Namesakes (`not_us`: "Orbita FC", also as "klub Orbita" or "نادي أوربيتا":
`names_namesake`) are matched first and left as written, so the brand's name inside them is
not marked as ours.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from monitor.domain import BrandContext
from monitor.names import NameMatcher, Span
from monitor.names_namesake import NamesakeFinder

US = "Brandco"
RIVAL = "Rivalco"
# brand given, ours found, how often (capped), a competitor found, how many, a namesake
# found, a competitor named before us, ours found only as an @handle or #hashtag
FEATURES = 8


@dataclass(frozen=True)
class Marked:
    """A post with the brand marked, and what was found."""

    text: str
    ours: int
    rivals: tuple[str, ...]
    namesakes: tuple[str, ...]
    rival_first: bool
    tag_only: bool

    def features(self) -> np.ndarray:
        """The marking's numeric inputs for the heads (see FEATURES)."""
        return np.array([1.0, float(self.ours > 0), min(self.ours, 3) / 3.0,
                         float(bool(self.rivals)), min(len(self.rivals), 3) / 3.0,
                         float(bool(self.namesakes)), float(self.rival_first),
                         float(self.tag_only)], dtype=np.float32)


def unmarked_features() -> np.ndarray:
    """The marking's inputs for a post classified without a brand."""
    return np.zeros(FEATURES, dtype=np.float32)


class BrandReader:
    """The compiled name matchers of one brand; build once, use from any thread."""

    def __init__(self, brand: BrandContext) -> None:
        self.brand = brand
        self._ours = NameMatcher(brand.names, brand.handles)
        self._rivals = NameMatcher(brand.competitors) if brand.competitors else None
        self._namesakes = NameMatcher(brand.not_us) if brand.not_us else None
        self._namesakes_near = NamesakeFinder(self._ours, brand.not_us) if brand.not_us else None

    def mark(self, text: str) -> Marked:
        """Replace our names by `US` and competitors' by `RIVAL`, namesakes kept as written."""
        named = self._ours.spans(text)
        namesakes = self._namesakes.spans(text) if self._namesakes else []
        if self._namesakes_near:
            namesakes += [s for s in self._namesakes_near.spans(text, named)
                          if not _overlaps(s, [(n.start, n.end) for n in namesakes])]
        taken = [(s.start, s.end) for s in namesakes]
        rivals = [s for s in (self._rivals.spans(text) if self._rivals else [])
                  if not _overlaps(s, taken)]
        taken += [(s.start, s.end) for s in rivals]
        ours = [s for s in named if not _overlaps(s, taken)]
        edits = sorted([(s, US) for s in ours] + [(s, RIVAL) for s in rivals],
                       key=lambda e: e[0].start)
        out, at = [], 0
        for span, marker in edits:
            out += [text[at:span.start], marker]
            at = span.end
        out.append(text[at:])
        tag_only = bool(ours) and all(text[s.start:s.start + 1] in "@#" for s in ours)
        return Marked(
            text="".join(out), ours=len(ours),
            rivals=tuple(dict.fromkeys(s.name for s in rivals)),
            namesakes=tuple(dict.fromkeys(s.name for s in namesakes)),
            rival_first=bool(rivals) and (not ours or rivals[0].start < ours[0].start),
            tag_only=tag_only)


def _overlaps(span: Span, taken: list[tuple[int, int]]) -> bool:
    return any(span.start < end and start < span.end for start, end in taken)


_READERS: dict[BrandContext, BrandReader] = {}
_READERS_LOCK = threading.Lock()


def reader_for(brand: BrandContext) -> BrandReader:
    """The reader of a brand, compiled once per process."""
    with _READERS_LOCK:
        reader = _READERS.get(brand)
        if reader is None:
            reader = _READERS[brand] = BrandReader(brand)
        return reader
