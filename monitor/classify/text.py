"""Normalise post text the same way for hashing, caching, n-grams and the encoder."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<!\w)@\w{1,30}")
_RT = re.compile(r"^\s*RT\s+@user:?\s*", re.IGNORECASE)
_SPACE = re.compile(r"\s+")
_ARABIC_FORMS = str.maketrans({
    "ي": "ی", "ك": "ک", "ى": "ی", "ة": "ه", "أ": "ا", "إ": "ا", "آ": "ا",
    "\u200c": " ", "\u200f": "", "\u200e": "", "\u200b": "",
})
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


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


def fold(text: str) -> str:
    """Lower-case and unify script variants (Arabic/Persian letters, digits) for n-grams."""
    return normalise(text).lower().translate(_ARABIC_FORMS).translate(_DIGITS)


def text_key(text: str) -> str:
    """Hash a normalised text: the key for caches of verdicts and embeddings."""
    return hashlib.blake2b(normalise(text).encode("utf-8"), digest_size=16).hexdigest()
