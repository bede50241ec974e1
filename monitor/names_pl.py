"""Polish declension of brand names: the forms a name takes after verbs and prepositions.

A small rule table, not a dictionary: what the last letters of the name's last word are
decides the endings (Orbita -> Orbity, Orbicie; SkyLark -> SkyLarka, SkyLarkiem; Nordvia ->
Nordvii; Yumbox -> Yumboksa). It errs towards too many forms: a form nobody writes costs a
rare false match, a missing one costs a missed complaint.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

#: Appends an ending to a stem in the stem's case (IKEA -> IKEI).
Ending = Callable[[str, str], str]

_VOWELS = frozenset("aeiouyąęó")
#: -a stems: the consonants before the -a and what dative and locative write instead (-cie).
_A_DATIVE = (
    ("st", "ście"), ("zd", "ździe"), ("sł", "śle"), ("ch", "sze"), ("cz", "czy"), ("sz", "szy"),
    ("rz", "rzy"), ("dz", "dzy"), ("ż", "ży"), ("c", "cy"), ("t", "cie"), ("d", "dzie"),
    ("k", "ce"), ("g", "dze"), ("r", "rze"), ("ł", "le"), ("s", "sie"), ("z", "zie"),
    ("n", "nie"), ("m", "mie"), ("p", "pie"), ("b", "bie"), ("w", "wie"), ("f", "fie"),
    ("l", "li"), ("j", "i"),
)
#: Consonant stems: the final consonants and what the locative writes instead; others take -u.
_LOCATIVE = (
    ("st", "ście"), ("ch", "chu"), ("k", "ku"), ("g", "gu"), ("t", "cie"), ("d", "dzie"),
    ("r", "rze"), ("ł", "le"), ("s", "sie"), ("z", "zie"), ("n", "nie"), ("m", "mie"),
    ("p", "pie"), ("b", "bie"), ("w", "wie"), ("f", "fie"), ("x", "xie"),
)
#: Soft consonants written with an accent at the end of a word and before a vowel.
_SOFT = {"ń": "ni", "ś": "si", "ć": "ci", "ź": "zi"}


def declensions(name: str) -> list[str]:
    """Return the declined forms of `name`'s last word, most used first; none when it has none.

    An abbreviation at the end (FC, SA, TV: up to four capitals) does not decline; the word
    before it does ("Nordvia FC" -> "Nordvii FC", "Kredo SA" -> "Kredo SA")."""
    lead, space, last = name.rpartition(" ")
    tail = ""
    if lead and _ABBREVIATION.fullmatch(last):
        tail = " " + last
        lead, space, last = lead.rpartition(" ")
    if len(last) < 2 or not all(c.isalpha() and _is_latin(c) for c in last):
        return []
    forms = [lead + space + form + tail for form in _word_forms(last)]
    return [form for i, form in enumerate(forms) if form != name and form not in forms[:i]]


_ABBREVIATION = re.compile(r"[A-Z]{1,4}")


def _is_latin(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN")


def _word_forms(word: str) -> list[str]:
    low = word.lower()
    upper = word.isupper()

    def ending(stem: str, end: str) -> str:
        return stem + (end.upper() if upper else end)

    if low.endswith(("ia", "ja")):
        return _ia_forms(word, low, ending)
    if low.endswith("a"):
        stem, bare = word[:-1], low[:-1]
        if bare[-1] in _VOWELS:  # Ikea -> Ikei
            gen = dat = ending(stem, "i")
        else:
            gen = ending(stem, "i" if bare.endswith(("k", "g", "l", "j")) else "y")
            dat = _replace_end(stem, bare, _A_DATIVE, "ie", ending)
        return [gen, dat, ending(stem, "ę"), ending(stem, "ą"), ending(stem, "o")]
    if low[-1] in "yi" and low[-2] not in _VOWELS:  # Ridezy'ego, Rossiego: adjective-like
        marks = ("'ego", "'emu", "'m", "m") if low[-1] == "y" else ("ego", "emu", "m")
        return [ending(word, mark) for mark in marks]
    if low[-1] in _VOWELS and low[-1] != "y":  # -o, -e, -u: left as written (Markato)
        return []
    stems = [ending(word[:-1], "ks"), word] if low[-1] == "x" else [word]
    if low.endswith("ek") and low[-3] not in _VOWELS:  # Kubek -> Kubka: the e drops out
        stems.insert(0, word[:-2] + word[-1])
    per_stem = [_consonant_forms(stem, ending) for stem in stems]
    return [form for group in zip(*per_stem, strict=True) for form in group]


def _ia_forms(word: str, low: str, ending: Ending) -> list[str]:
    stem = word[:-1]
    soft_before = low[-3:-2] in ("c", "s", "z", "n")
    if low.endswith("ja") and len(low) > 2 and low[-3] in _VOWELS:  # Maja -> Mai
        gen = word[:-2] + ("I" if word.isupper() else "i")
    elif low.endswith("ia") and soft_before:  # Kasia -> Kasi
        gen = stem
    else:  # Nordvia -> Nordvii, Fundacja -> Fundacji
        gen = stem + ("I" if word.isupper() else "i")
    return [gen, ending(stem, "ę"), ending(stem, "ą"), ending(stem, "o")]


def _consonant_forms(stem: str, ending: Ending) -> list[str]:
    low = stem.lower()
    base = stem[:-1] + _SOFT[low[-1]] if low[-1] in _SOFT else stem
    velar = low.endswith(("k", "g"))
    locative = (_replace_end(stem, low, _LOCATIVE, "u", ending) if base == stem
                else ending(base, "u"))
    return [ending(base, "a"), ending(base, "u"), ending(base, "owi"),
            ending(base, "iem" if velar else "em"), locative]


def _replace_end(stem: str, low: str, table: tuple[tuple[str, str], ...], default: str,
                 ending: Ending) -> str:
    for end, instead in table:
        if low.endswith(end):
            return ending(stem[:-len(end)], instead)
    return ending(stem, default)
