"""Namesakes as people write them: "Hotel Kestrel", "فندق كيسترل", "klub Kredo".

A `not_us` entry is the brand's name and words that say what the other thing is: "Kestrel
Hotel" is the name and "hotel". `NameMatcher` finds the entry written as configured; people
also put the word first, decline it (w hotelu Kestrel), or write it in their own language
(فندق كيسترل, هتل کسترل). A `NamesakeFinder` finds the brand's name with one of the entry's
words, or another word of the same kind in any of our languages (`names_kinds`), at most
`NEAR` words before or after it, in the same sentence.

An entry with no word besides the name ("lumens" for Lumen) is found only as written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from monitor.names import ARABIC_PARTICLES, NameMatcher, Span
from monitor.names_fold import ZWNJ, fold
from monitor.names_kinds import KINDS

NEAR = 2
"""How many words before the name, and after it, are read for a word of its kind."""
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u064b-\u065f\u0670\u200c])*")
_SENTENCE_END = re.compile(r"[.!?؟\n;|]")
_NOT_KIND = frozenset(("the", "a", "an", "of", "and", "for", "new", "my", "our", "ال", "de", "el"))


@dataclass(frozen=True)
class _Entry:
    """A `not_us` entry's words (folded: its own and those of their kinds), indexed."""

    name: str  # as configured
    short: frozenset[str] = frozenset()  # words of up to three letters, and with -s
    by_head: dict[str, tuple[str, ...]] = field(default_factory=dict)  # longer, by 4 letters

    @classmethod
    def of(cls, name: str, words: set[str]) -> _Entry:
        short = {w for w in words if len(w) <= 3}
        heads: dict[str, list[str]] = {}
        for w in words - short:
            heads.setdefault(w[:4], []).append(w)
        return cls(name, frozenset(short | {w + "s" for w in short}),
                   {head: tuple(ws) for head, ws in heads.items()})

    def has(self, word: str) -> bool:
        """Whether a written word (folded) is one of this entry's kind."""
        return any(form in self.short or any(_alike(form, k) for k in self.by_head.get(form[:4], ()))
                   for form in _forms(word))


class NamesakeFinder:
    """Built once per brand from its names and `not_us` entries; thread-safe."""

    def __init__(self, names: NameMatcher, not_us: Sequence[str]) -> None:
        self._names = names
        self._entries = [e for e in (_entry(names, n) for n in not_us) if e.short or e.by_head]

    def spans(self, text: str, ours: Sequence[Span] | None = None) -> list[Span]:
        """Where `text` names a namesake by the brand's name and a word of its kind: each span
        covers the name and that word, and is named by its `not_us` entry. `ours` are the
        brand's name spans where the caller has them."""
        if not self._entries:
            return []
        names = list(ours) if ours is not None else self._names.spans(text)
        if not names:
            return []
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        found: list[Span] = []
        for span in names:
            before = [w for w in words if w[1] <= span.start][-NEAR:]
            after = [w for w in words if w[0] >= span.end][:NEAR]
            for start, end in (*reversed(before), *after):
                lo, hi = min(start, span.start), max(end, span.end)
                if _SENTENCE_END.search(text, lo, hi) or _inside(start, end, names):
                    continue
                word = fold(text[start:end])
                entry = next((e for e in self._entries if e.has(word)), None)
                if entry is not None:
                    found.append(Span(lo, hi, entry.name))
                    break
        return found


def _entry(names: NameMatcher, configured: str) -> _Entry:
    spans = names.spans(configured)
    if not spans:
        return _Entry.of(configured, set())
    own = {fold(m.group()).replace(ZWNJ, "") for m in _WORD.finditer(configured)
           if not _inside(m.start(), m.end(), spans)}
    own = {w for w in own if w not in _NOT_KIND and len(w) >= 2}
    words = set(own)
    for kind in KINDS.values():
        folded = [fold(w).replace(ZWNJ, "") for w in kind]
        if any(_alike(w, k) or _alike(k, w) for w in own for k in folded):
            words.update(folded)
    return _Entry.of(configured, words)


def _inside(start: int, end: int, spans: Sequence[Span]) -> bool:
    return any(s.start < end and start < s.end for s in spans)


def _forms(word: str) -> set[str]:
    """A written word as it may stand in the lexicon: whole, before a non-joiner, without a
    joined Arabic particle."""
    if word.isascii():
        return {word}
    forms = {word, word.split(ZWNJ, maxsplit=1)[0], word.replace(ZWNJ, "")}
    forms |= {f[len(p):] for f in list(forms) for p in ARABIC_PARTICLES
              if f.startswith(p) and len(f) - len(p) >= 2}
    return forms


def _alike(word: str, kind: str) -> bool:
    """`word` is `kind` with an ending: short words exactly (or with -s), longer ones sharing
    all but their last two letters, with at most four letters more."""
    if len(kind) <= 3:
        return word in (kind, kind + "s")
    if len(word) > len(kind) + 4:
        return False
    shared = 0
    for a, b in zip(word, kind, strict=False):
        if a != b:
            break
        shared += 1
    return shared >= max(4, len(kind) - 2)
