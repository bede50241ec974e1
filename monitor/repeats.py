"""Whether a complaint says the problem happened before ("again", "znowu", "مرة أخرى",
"دوباره"): a reply to a repeat says sorry that it happened again.

Cues are matched as whole words on the post folded as the classifier folds it (lower case,
Arabic and Persian letter variants unified), so "Again!" and "مره اخري" are found too.
"""

from __future__ import annotations

import re
from functools import lru_cache

from monitor.classify.text import fold

_CUES = {
    "en": ("again", "once more", "second time", "third time", "2nd time", "3rd time",
           "every time", "every single time", "as usual", "keeps happening", "happened before"),
    "pl": ("znowu", "znów", "ponownie", "kolejny raz", "drugi raz", "trzeci raz", "po raz drugi",
           "po raz kolejny", "jak zwykle", "za każdym razem"),
    "ar": ("مرة أخرى", "مرة اخرى", "مره اخرى", "مرة ثانية", "مره ثانيه", "تاني مرة", "مجددا",
           "مجدداً", "من جديد", "كالعادة", "كل مرة", "كل مره"),
    "fa": ("دوباره", "باز هم", "بازم", "مجددا", "بار دوم", "برای دومین بار", "بار سوم",
           "مثل همیشه", "هر بار", "هربار"),
}


@lru_cache(maxsize=1)
def _pattern() -> re.Pattern[str]:
    cues = sorted({fold(c) for words in _CUES.values() for c in words}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(re.escape(c) for c in cues) + r")(?!\w)")


def says_repeat(text: str) -> bool:
    """Whether the post says its problem happened before, in any of the four languages (a
    post's language may be misread, and customers mix them)."""
    return bool(_pattern().search(fold(text)))
