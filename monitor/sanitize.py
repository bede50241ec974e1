"""The one owner of cleaning text at the edge: what a platform sends becomes storable text.

PostgreSQL refuses NUL characters and values longer than their column, and no UTF-8
encoder takes a lone surrogate; one such post used to stop the whole source. Everything a
connector hands on, and everything the store writes, goes through `clean_mention`:

- NUL and the other C0/C1 control characters are removed, except tab and newline;
  the line breaks among them (CR, CR LF, VT, FF, FS, GS, RS, NEL) become a newline;
- lone surrogates are removed (a surrogate pair held as two code points is joined);
- the text is normalised to NFC;
- each field is cut to its column's size in `monitor.models.MentionRow`, between grapheme
  clusters, and the names of the fields that were cut are listed in `extra["truncated"]`
  so that the alert can say the post is longer than what it shows.

`MAX_CLASSIFIED_CHARS` bounds what the classifier reads of one post. Pure functions; no I/O.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Final

import regex

from monitor.domain import Mention

# What the classifier reads of one post: VADER and the n-gram stage are linear (and VADER
# runs under the classifier's process-wide lock), so a 1 MB post would hold every source's
# batch for minutes. The heads were trained on posts far shorter than this.
MAX_CLASSIFIED_CHARS: Final = 5_000

# Column sizes of monitor.models.MentionRow (String(n)); the Text columns get a bound here.
FIELD_LIMITS: Final[Mapping[str, int]] = {
    "platform": 40,
    "id": 200,  # external_id
    "text": 40_000,
    "url": 2_000,
    "author_id": 200,
    "author_handle": 200,
    "author_name": 200,
    "lang_hint": 10,
    "kind": 40,
    "title": 1_000,
    "conversation_id": 200,
    "in_reply_to_id": 200,
}
EXTRA_MAX_DEPTH: Final = 5  # `extra` itself is level 1; containers below level 5 are dropped
EXTRA_MAX_BYTES: Final = 64 * 1024  # serialised as JSON; entries past it are dropped
EXTRA_STR_LIMIT: Final = 8_000  # each string inside `extra`
TRUNCATED: Final = "truncated"  # the `extra` key listing the fields that were cut
INT4_MAX: Final = 2**31 - 1  # PostgreSQL's Integer column

_SURROGATE = re.compile("[\ud800-\udfff]")
_LINE_BREAK = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85]")
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # category Cc but tab and newline
_GRAPHEME = regex.compile(r"\X")
_CUT_WINDOW = 64  # how far back from the limit a cut looks for a grapheme boundary


def _without_surrogates(text: str) -> str:
    if not _SURROGATE.search(text):
        return text
    # a valid high+low pair becomes its one character; lone halves are dropped
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "ignore")


def cut(text: str, limit: int) -> tuple[str, bool]:
    """`text` cut to at most `limit` characters, between grapheme clusters (an emoji ZWJ
    sequence, a flag, a letter with its marks stays whole) unless one cluster spans more
    than the last 64 characters before the limit; True when something was cut."""
    if len(text) <= limit:
        return text, False
    if limit <= 0:
        return "", True
    start = max(0, limit - _CUT_WINDOW)
    # segment a little past the limit, so that the cluster crossing it is seen whole
    ends = [m.end() for m in _GRAPHEME.finditer(text, start, limit + _CUT_WINDOW)]
    fitting = [end for end in ends if end <= limit]
    return text[:fitting[-1] if fitting else limit], True


def clean_text(value: str, limit: int) -> tuple[str, bool]:
    """`value` without control characters (but tab and newline) or lone surrogates, in NFC,
    cut to at most `limit` characters; True when it had to be cut."""
    text = _without_surrogates(value)
    text = _LINE_BREAK.sub("\n", text)
    text = _CONTROL.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    return cut(text, limit)


def clip_for_classifier(text: str) -> str:
    """The part of a post the classifier reads: its first `MAX_CLASSIFIED_CHARS` characters."""
    return cut(text, MAX_CLASSIFIED_CHARS)[0]


_DROP: Final = object()


def _clean_json(value: Any, level: int) -> tuple[Any, bool]:
    """A value inside `extra` cleaned; `_DROP` when it lies too deep; True when lossy."""
    if isinstance(value, str):
        return clean_text(value, EXTRA_STR_LIMIT)
    if value is None or isinstance(value, bool | int):
        return value, False
    if isinstance(value, float):
        return (value, False) if math.isfinite(value) else (None, True)
    if isinstance(value, Mapping | list | tuple):
        if level > EXTRA_MAX_DEPTH:
            return _DROP, True
        lossy = False
        if isinstance(value, Mapping):
            out: dict[str, Any] = {}
            for key, item in value.items():
                name, cut_key = clean_text(str(key), EXTRA_STR_LIMIT)
                cleaned, cut_item = _clean_json(item, level + 1)
                lossy = lossy or cut_key or cut_item
                if cleaned is not _DROP:
                    out[name] = cleaned
            return out, lossy
        items = []
        for item in value:
            cleaned, cut_item = _clean_json(item, level + 1)
            lossy = lossy or cut_item
            if cleaned is not _DROP:
                items.append(cleaned)
        return items, lossy
    return value, False  # other objects are the store's to serialise, as before


def clean_extra(extra: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """`extra` with its strings cleaned, containers deeper than `EXTRA_MAX_DEPTH` levels
    dropped and entries dropped once it would pass `EXTRA_MAX_BYTES` as JSON; True when
    anything was cut or dropped."""
    cleaned, lossy = _clean_json(extra, 1)
    out: dict[str, Any] = {}
    size = 2  # the braces
    for key, value in cleaned.items():
        entry = len(json.dumps({key: value}, ensure_ascii=False, default=str).encode("utf-8"))
        if size + entry > EXTRA_MAX_BYTES:
            lossy = True
            continue
        out[key] = value
        size += entry
    return out, lossy


def _bounded_int(value: int | None, low: int) -> int | None:
    return value if value is None or low <= value <= INT4_MAX else None


def clean_mention(mention: Mention) -> Mention:
    """`mention` with every text field cleaned and cut to its column's size; the fields
    that were cut are listed in `extra["truncated"]` (after any listed there already).
    Cleaning a cleaned mention changes nothing."""
    changes: dict[str, Any] = {}
    cut_fields: list[str] = []
    for name, limit in FIELD_LIMITS.items():
        value = getattr(mention, name)
        if value is None:
            continue
        text, was_cut = clean_text(value, limit)
        if was_cut:
            cut_fields.append(name)
        if text != value:
            changes[name] = text
    extra, extra_cut = clean_extra(mention.extra)
    if extra_cut:
        cut_fields.append("extra")
    if cut_fields:
        before = extra.get(TRUNCATED)
        listed = [f for f in before if isinstance(f, str)] if isinstance(before, list) else []
        extra[TRUNCATED] = list(dict.fromkeys([*listed, *cut_fields]))
    if extra != mention.extra:
        changes["extra"] = extra
    followers = _bounded_int(mention.author_followers, 0)
    if followers != mention.author_followers:
        changes["author_followers"] = followers
    rating = _bounded_int(mention.rating, -INT4_MAX - 1)
    if rating != mention.rating:
        changes["rating"] = rating
    return dataclasses.replace(mention, **changes) if changes else mention


__all__ = [
    "EXTRA_MAX_BYTES",
    "EXTRA_MAX_DEPTH",
    "FIELD_LIMITS",
    "MAX_CLASSIFIED_CHARS",
    "TRUNCATED",
    "clean_extra",
    "clean_mention",
    "clean_text",
    "clip_for_classifier",
    "cut",
]
