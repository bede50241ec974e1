"""Fold text for name matching, keeping the way back to the offsets of what was written.

Folding is one character at a time, so every folded character knows the original one it came
from: compatibility forms (NFKC), case (casefold), accents, Arabic harakat and tatweel are
dropped or unified, and the letters Arabic and Persian write two ways become one. The folded
text is for comparing only; nobody reads it.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

ZWNJ = "\u200c"
_TATWEEL = "\u0640"
#: Letters people write interchangeably, after accents are gone (alef forms lose their hamza
#: and madda as accents do): Arabic and Persian yeh, kaf and heh, and a few Latin letters
#: without a decomposition.
_SAME_LETTER = str.maketrans({
    "ة": "ه", "ۀ": "ه", "ە": "ه", "ہ": "ه", "ھ": "ه",
    "ى": "ي", "ی": "ي", "ې": "ي",
    "ک": "ك", "ڪ": "ك",
    "ٱ": "ا",
    "ł": "l", "ı": "i", "ø": "o", "đ": "d", "ð": "d", "æ": "ae", "œ": "oe",
    "\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'",
})
_MARKS = ("Mn", "Me")


@lru_cache(maxsize=8192)
def fold_char(char: str) -> str:
    """Return what `char` counts as when matching names: often one character, maybe none."""
    if char == ZWNJ:  # Persian writes it inside words; it is a boundary there, not nothing
        return ZWNJ
    category = unicodedata.category(char)
    if category == "Cf" or char == _TATWEEL:  # joiners, direction marks, soft hyphens
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFKC", char).casefold())
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _MARKS)
    return kept.translate(_SAME_LETTER)


class _Table(dict[int, str]):
    """`fold_char` for `str.translate`, filled as characters are first seen."""

    def __init__(self) -> None:
        super().__init__()
        #: Characters that fold to none or to several: the offsets of a text holding one shift.
        self.uneven: set[str] = set()

    def __missing__(self, point: int) -> str:
        folded = self[point] = fold_char(chr(point))
        if len(folded) != 1:
            self.uneven.add(chr(point))
        return folded


_TABLE = _Table()


def fold(text: str) -> str:
    """Return `text` folded for comparison."""
    return text.lower() if text.isascii() else text.translate(_TABLE)


def plain_letters(text: str) -> str:
    """Return `text` with its accents removed, case kept (Nordvię -> Nordvie, Łódź -> Lodz)."""
    decomposed = unicodedata.normalize("NFD", text.replace("ł", "l").replace("Ł", "L"))
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if unicodedata.category(c) not in _MARKS))


class Folded:
    """A text folded for matching, with the offsets of the original behind each character."""

    __slots__ = ("_origin", "source", "text")

    def __init__(self, source: str) -> None:
        """Fold `source`; remember where each folded character came from when that differs."""
        self.source = source
        self._origin: list[int] | None = None
        if source.isascii():
            self.text = source.lower()
            return
        self.text = source.translate(_TABLE)
        if not _TABLE.uneven.isdisjoint(source):
            self._origin = [i for i, char in enumerate(source) for _ in _TABLE[ord(char)]]

    def original(self, start: int, end: int) -> tuple[int, int]:
        """Return the original offsets of the folded range [start, end), marks included."""
        if self._origin is None:
            return start, end
        first, last = self._origin[start], self._origin[end - 1] + 1
        while last < len(self.source) and unicodedata.category(self.source[last]) in _MARKS:
            last += 1
        return first, last

    def char(self, index: int) -> str:
        """Return the original character behind folded position `index`."""
        return self.source[index if self._origin is None else self._origin[index]]
