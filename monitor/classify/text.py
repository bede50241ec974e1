"""Normalise post text the same way for hashing, caching, n-grams and the encoder."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w{1,30}")
_RT = re.compile(r"^\s*RT\s+@user:?\s*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_ARABIC_FORMS = str.maketrans({
    "ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
    "\u200c": " ", "\u200f": "", "\u200e": "", "\u200b": "",
})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
# A window on a long post, its first and last words, for the encoder's readings that only
# compare posts (meaning vectors, the report's causes): its cost per token grows with the
# length. The classifier reads a long post in pieces instead (`encoder.encode_long`): its
# heads learned from whole posts, and this window lost long complaints they would have caught.
DEEP_HEAD, DEEP_TAIL = 60, 30
# One read of a post asks for its normalised and folded forms a dozen times (cascade, brand
# marking, features, cues, the "why"); the forms of the last few batches are kept.
_RECENT = 4096


@lru_cache(maxsize=_RECENT)
def normalise(text: str) -> str:
    """Replace links and handles with placeholders and tidy whitespace.

    Retweets and copy-paste waves differ only in these parts, so the cache and the
    encoder see one text for all of them.
    """
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    text = _URL.sub("http", text)
    text = _MENTION.sub("@user", text)
    text = _RT.sub("", text)
    return _SPACE.sub(" ", text).strip()


@lru_cache(maxsize=_RECENT)
def fold(text: str) -> str:
    """Lower-case and unify script variants (Arabic/Persian letters, digits) for n-grams."""
    return normalise(text).lower().translate(_ARABIC_FORMS).translate(_DIGITS)


def text_key(text: str) -> str:
    """Hash a normalised text: the key for caches of verdicts and embeddings."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).hexdigest()


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    piece = unicodedata.normalize("NFKC", ch).lower().translate(_ARABIC_FORMS)
    return piece.translate(_DIGITS)


@lru_cache(maxsize=256)
def _folded_chars(text: str) -> tuple[str, tuple[int, ...]]:
    """Fold `text` character by character, with the original index of every folded one;
    whitespace runs become one space, as `normalise` does."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            space = c.isspace()
            if space and out and out[-1] == " ":
                continue
            out.append(" " if space else c)
            where.append(i)
    return "".join(out), tuple(where)


def original_phrase(text: str, folded_phrase: str) -> str:
    """The words of `text` exactly as written that fold to `folded_phrase` (a cue found in
    `fold(text)`); the folded phrase itself where it cannot be found again."""
    folded, where = _folded_chars(text)
    at = folded.find(folded_phrase)
    if at < 0 or not folded_phrase:
        return folded_phrase
    return text[where[at]:where[at + len(folded_phrase) - 1] + 1]


def clip_words(text: str, head: int = DEEP_HEAD, tail: int = DEEP_TAIL) -> str:
    """Keep a long post's first `head` and last `tail` words for the encoder run to its
    deeper layers (see DEEP_HEAD)."""
    words = text.split(" ")
    if len(words) <= head + tail:
        return text
    return " ".join([*words[:head], "…", *words[-tail:]])
