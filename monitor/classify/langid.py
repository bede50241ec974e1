"""Tell the language of a post: script and stop-word rules first, py3langid for the rest.

py3langid's model takes about a second to unpack, so it loads only when the cheap rules
cannot decide (a Latin-script post that is neither clearly English nor clearly Polish).
"""

from __future__ import annotations

import re
import threading
from typing import Any

_ARABIC_SCRIPT = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")
_PERSIAN_ONLY = re.compile(r"[پچژگ]|\u06cc|\u06a9")  # پ چ ژ گ, Persian yeh and keheh
_ARABIC_ONLY = re.compile(r"[ةيكىؤإأ]")
_PERSIAN_WORDS = frozenset((
    "است", "نیست", "میشه", "خیلی", "بود", "این", "که", "را", "با", "برای", "از", "هم", "رو",
    "ولی", "اصلا",
))
_LATIN = re.compile(r"[A-Za-zÀ-ɏ]")
_POLISH_LETTERS = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_EN = frozenset((
    "the", "and", "is", "are", "was", "my", "to", "of", "for", "it", "this", "that", "you",
    "your", "not", "with", "have", "has", "on", "in", "no", "why", "i", "me", "we", "our",
    "can", "do", "does", "did", "what", "when", "will", "just", "been", "be", "at", "from",
    "they", "their",
))
_PL = frozenset((
    "nie", "jest", "i", "w", "na", "się", "że", "z", "do", "to", "jak", "ale", "co", "czy",
    "mam", "już", "za", "po", "tak", "bo", "od", "mnie", "jestem", "bardzo", "był", "była",
    "było", "które", "który", "tylko", "przez", "dla",
))

_model: Any = None
_lock = threading.Lock()


def _load() -> Any:
    global _model  # noqa: PLW0603 - one lazily loaded model per process
    with _lock:
        if _model is None:
            from py3langid.langid import MODEL_FILE, LanguageIdentifier

            _model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    return _model


def preload() -> None:
    """Unpack py3langid's model in a background thread, so no post waits for it."""
    threading.Thread(target=_load, name="langid-preload", daemon=True).start()


def _py3langid(text: str) -> str:
    lang, _ = _load().classify(text)
    return str(lang)


def detect(text: str, hint: str | None = None) -> str:
    """Return the ISO 639-1 code of `text`; a platform's hint wins when it names one."""
    if hint and hint.lower() not in ("und", "zxx", "qme", "qht", "art"):
        return hint.lower().split("-")[0][:2]
    arabic = len(_ARABIC_SCRIPT.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic > latin:
        persian = len(_PERSIAN_ONLY.findall(text))
        persian += 2 * len(set(_WORD.findall(text)) & _PERSIAN_WORDS)
        return "fa" if persian > len(_ARABIC_ONLY.findall(text)) else "ar"
    if latin == 0:
        return _py3langid(text) if text.strip() else "und"
    words = [w.lower() for w in _WORD.findall(text)]
    en = sum(w in _EN for w in words)
    pl = sum(w in _PL for w in words) + 2 * len(_POLISH_LETTERS.findall(text))
    if en >= 2 and en > 2 * pl:
        return "en"
    if pl >= 2 and pl > 2 * en:
        return "pl"
    return _py3langid(text)
