"""Namesakes as people write them: "Hotel Kestrel", "فندق كيسترل", "klub Kredo".

A `not_us` entry is the brand's name and words that say what the other thing is: "Kestrel
Hotel" is the name and "hotel". `NameMatcher` finds the entry written as configured; people
also put the word first, decline it (w hotelu Kestrel), or write it in their own language
(فندق كيسترل, هتل کسترل). A `NamesakeFinder` finds the brand's name with one of the entry's
words, or another word of the same kind in any of our languages (`names_kinds`), at most
`NEAR` words before or after it, in the same sentence. A post with no such word is still
about the namesake when it uses `TOPIC_WORDS` different words of the namesake's topic
(players and a referee, a room and the reception: `names_topics`) and none of a customer's
dealings with a brand (an order, a card, a flight), which keep it the brand's.

An entry with no word besides the name ("lumens" for Lumen) is found only as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from monitor.names import ARABIC_PARTICLES, NameMatcher, Span
from monitor.names_fold import ZWNJ, fold
from monitor.names_kinds import KINDS
from monitor.names_topics import SERVICE, TOPICS

NEAR = 2
"""How many words before the name, and after it, are read for a word of its kind."""
TOPIC_WORDS = 2
"""How many different words of a namesake's topic (by their first four letters) make a post
about it."""
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|[\u064b-\u065f\u0670\u200c])*")
_SENTENCE_END = re.compile(r"[.!?؟\n;|]")
_CHANGING_ENDS = frozenset("aeiouysةهىياوی")
_NOT_KIND = frozenset(("the", "a", "an", "of", "and", "for", "new", "my", "our", "ال", "de", "el"))


@dataclass(frozen=True)
class _Words:
    """Folded words, indexed: those of up to three letters by themselves and with -s, longer
    ones by their first four letters."""

    short: dict[str, str] = field(default_factory=dict)
    by_head: dict[str, tuple[str, ...]] = field(default_factory=dict)
    whole: bool = False  # a written word must begin with the whole word (`_begins`)

    @classmethod
    def of(cls, words: set[str], *, whole: bool = False) -> _Words:
        short = {w for w in words if len(w) <= 3}
        heads: dict[str, list[str]] = {}
        for w in words - short:
            heads.setdefault(w[:4], []).append(w)
        return cls({**{w + "s": w for w in short}, **{w: w for w in short}},
                   {head: tuple(ws) for head, ws in heads.items()}, whole)

    def __bool__(self) -> bool:
        return bool(self.short or self.by_head)

    def has(self, word: str) -> bool:
        """Whether a written word (folded) is one of these, allowing for its ending."""
        return self.match(word) is not None

    def match(self, word: str) -> str | None:
        """Which of these a written word (folded) is, allowing for its ending."""
        for form in _forms(word):
            if form in self.short:
                return self.short[form]
            alike = _begins if self.whole else _alike
            for known in self.by_head.get(form[:4], ()):
                if alike(form, known):
                    return known
        return None


@dataclass(frozen=True)
class _Entry:
    """A `not_us` entry: its name as configured, the words of its kind (its own and those of
    the kinds they belong to), and the words of those kinds' topics."""

    name: str
    kind: _Words
    topic: _Words


class NamesakeFinder:
    """Built once per brand from its names and `not_us` entries; thread-safe."""

    def __init__(self, names: NameMatcher, not_us: Sequence[str]) -> None:
        self._names = names
        self._entries = [e for e in (_entry(names, n) for n in not_us) if e.kind]
        self._service = _Words.of(_folded(SERVICE))

    def spans(self, text: str, ours: Sequence[Span] | None = None) -> list[Span]:
        """Where `text` names a namesake: the brand's name with a word of the namesake's kind
        beside it, or else, in a post that says nothing of a customer's dealings, the
        brand's name in a post about the namesake's topic. Each span covers the name (and
        that word), and is named by its `not_us` entry. `ours` are the brand's name spans
        where the caller has them."""
        if not self._entries:
            return []
        names = list(ours) if ours is not None else self._names.spans(text)
        if not names:
            return []
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        found = self._beside(text, names, words)
        if found:
            return found
        entry = self._topic_of(text, names, words)
        return [Span(s.start, s.end, entry.name) for s in names] if entry is not None else []

    def _beside(self, text: str, names: list[Span], words: list[tuple[int, int]]) -> list[Span]:
        found: list[Span] = []
        for span in names:
            before = [w for w in words if w[1] <= span.start][-NEAR:]
            after = [w for w in words if w[0] >= span.end][:NEAR]
            for start, end in (*reversed(before), *after):
                lo, hi = min(start, span.start), max(end, span.end)
                if _SENTENCE_END.search(text, lo, hi) or _inside(start, end, names):
                    continue
                word = fold(text[start:end])
                entry = next((e for e in self._entries if e.kind.has(word)), None)
                if entry is not None:
                    found.append(Span(lo, hi, entry.name))
                    break
        return found

    def _topic_of(self, text: str, names: list[Span],
                  words: list[tuple[int, int]]) -> _Entry | None:
        """The entry whose topic the post is about: `TOPIC_WORDS` different words of it, and
        no word of a customer's dealings (`SERVICE`)."""
        written = {fold(text[start:end]) for start, end in words if not _inside(start, end, names)}
        if any(self._service.has(w) for w in written):
            return None
        for entry in self._entries:
            # words of one head (recepcja, recepcji) count once
            known = {m[:4] for m in (entry.topic.match(w) for w in written) if m is not None}
            if len(known) >= TOPIC_WORDS:
                return entry
        return None


def _entry(names: NameMatcher, configured: str) -> _Entry:
    spans = names.spans(configured)
    if not spans:
        return _Entry(configured, _Words(), _Words())
    own = {fold(m.group()).replace(ZWNJ, "") for m in _WORD.finditer(configured)
           if not _inside(m.start(), m.end(), spans)}
    own = {w for w in own if w not in _NOT_KIND and len(w) >= 2}
    kind, topic = set(own), set()
    for name, words in KINDS.items():
        folded = _folded(words)
        if any(_alike(w, k) or _alike(k, w) for w in own for k in folded):
            kind |= folded
            topic |= _folded(TOPICS.get(name, ()))
    return _Entry(configured, _Words.of(kind), _Words.of(topic, whole=True))


def _folded(words: Iterable[str]) -> set[str]:
    return {fold(w).replace(ZWNJ, "") for w in words}


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


def _begins(word: str, known: str) -> bool:
    """`word` is `known` with an ending of up to four letters; from six letters on, a last
    vowel or -s of `known` may change or go, with at most one letter more (bramka → bramki,
    players → player, مباراة → مباريات). Stricter than `_alike`: the topic words are many, and
    a looser match reaches common words (exams → example, waiter → waited)."""
    if len(word) > len(known) + 4:
        return False
    if word.startswith(known):
        return True
    return (len(known) >= 6 and known[-1] in _CHANGING_ENDS and len(word) <= len(known) + 1
            and word.startswith(known[:-1]))


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
