"""Make untrusted text safe and short for Slack: escape, truncate, quote, link, mention.

Every length here is counted in UTF-16 code units (`slack_len`), which is never less than
the count in code points: whichever of the two Slack applies, a text cut to a limit here is
accepted. Cuts fall between grapheme clusters (`regex`'s `\\X`), so an emoji ZWJ sequence,
a flag, a letter with its combining marks or an Arabic letter with its harakat stays whole.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import quote as percent_quote

import regex

ELLIPSIS = "…"

# Slack's documented limits, in characters.
SECTION_TEXT = 3000
FIELD_TEXT = 2000
MAX_FIELDS = 10
HEADER_TEXT = 150
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
BUTTON_URL = 3000
CONTEXT_ELEMENTS = 10
CONTEXT_TEXT = 3000
ACTIONS_ELEMENTS = 25
MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
MODAL_TITLE = 24
MODAL_BUTTON = 24
INPUT_MAX_LENGTH = 3000
INPUT_LABEL = 2000
INPUT_HINT = 2000
PLACEHOLDER = 150
PRIVATE_METADATA = 3000
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
ID_LENGTH = 255
# chat.postMessage `text`: Slack cuts at 40,000 and advises staying under 4,000.
FALLBACK_TEXT = 4000

RLI, PDI = "\u2067", "\u2069"
WORD_JOINER = "\u2060"

# Embeddings, overrides and isolates from a post could reorder our own text after them
# ("Trojan Source"); marks (LRM, RLM, ALM) only nudge neutrals and are kept.
_BIDI_CONTROLS = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))}
_BROADCAST = re.compile(r"@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_GRAPHEME = regex.compile(r"\X")
_SLACK_ID = re.compile(r"^[UWSCG][A-Z0-9]{2,}$")
_BLANK_RUN = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_NOT_PROSE = re.compile(r"[@#]\w+|https?://\S+|&\w+;")


def slack_len(text: str) -> int:
    """Count `text` in UTF-16 code units, the stricter reading of Slack's "characters"."""
    return len(text.encode("utf-16-le")) // 2


def graphemes(text: str) -> list[str]:
    """Split `text` into user-perceived characters."""
    return _GRAPHEME.findall(text)


def clean(text: str) -> str:
    """Drop control characters and bidi overrides; keep newlines, tabs become spaces."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = text.replace("\u2029", "\n").replace("\t", " ")
    return "".join(
        ch
        for ch in text
        if ch == "\n" or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )


def escape_mrkdwn(text: str) -> str:
    """Escape untrusted text for mrkdwn so it can never ping, link or inject a token.

    Slack reads `<...>` as a mention, a channel, a date or a link only when `<` and `>`
    arrive raw; escaped as entities they print as typed. `@channel`, `@here` and
    `@everyone` get a word joiner after the `@` as well, so even a sender that turns on
    name linking cannot turn them into broadcasts.
    """
    text = clean(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@" + WORD_JOINER, text)


def truncate(
    text: str,
    limit: int,
    *,
    ellipsis: str = ELLIPSIS,
    measure: Callable[[str], int] = slack_len,
) -> str:
    """Cut `text` to `limit` (as `measure` counts) between graphemes and end it with `ellipsis`.

    A cut prefers the last space when one is near the end, so a word is seldom split.
    """
    if measure(text) <= limit:
        return text
    budget = limit - measure(ellipsis)
    if budget <= 0:
        return ""
    kept: list[str] = []
    used = 0
    for cluster in graphemes(text):
        width = measure(cluster)
        if used + width > budget:
            break
        kept.append(cluster)
        used += width
    spaces = [i for i, g in enumerate(kept) if g.isspace()]
    if spaces and spaces[-1] >= len(kept) - 20 and spaces[-1] > len(kept) // 2:
        kept = kept[: spaces[-1]]
    return "".join(kept).rstrip() + ellipsis


def fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """Return `render(t)` for the longest truncation `t` of `text` whose rendering fits."""
    whole = render(text)
    if slack_len(whole) <= limit:
        return whole
    # Rendering only grows text, so the raw cut is at most `limit` units: search below it.
    head = text[: limit + 64]
    best, low, high = "", 0, limit
    while low <= high:
        budget = (low + high) // 2
        out = render(truncate(head, budget))
        if slack_len(out) <= limit:
            best, low = out, budget + 1
        else:
            high = budget - 1
    return best


def safe(text: str, limit: int = SECTION_TEXT) -> str:
    """Escape untrusted `text` for mrkdwn and cut it so the escaped form fits `limit`."""
    return fit(clean(text), limit, escape_mrkdwn)


def single_line(text: str) -> str:
    """Fold whitespace, newlines included, into single spaces."""
    return " ".join(clean(text).split())


def is_rtl(line: str) -> bool:
    """Tell whether most letters of `line` are right-to-left, @handles and links aside."""
    rtl = ltr = 0
    for ch in _NOT_PROSE.sub("", line):
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            rtl += 1
        elif kind == "L":
            ltr += 1
    return rtl > ltr


def isolate(line: str) -> str:
    """Wrap a mostly right-to-left `line` in RLI…PDI so it reads right in a left-to-right view.

    Slack lays messages out left to right: without the isolate, an Arabic or Persian line
    that starts with an @handle or ends in `!` or `؟` shows its punctuation on the wrong
    side. The isolate closes on the same line, so it cannot leak into what follows.
    """
    return f"{RLI}{line}{PDI}" if is_rtl(line) else line


def _quote_lines(raw: str) -> str:
    lines = escape_mrkdwn(raw).split("\n")
    return "\n".join(f"> {isolate(line)}" if line.strip() else ">" for line in lines)


def quote(text: str, limit: int = SECTION_TEXT) -> str:
    """Quote untrusted `text` in mrkdwn, `> ` on each line, escaped, isolated, cut to `limit`."""
    raw = _BLANK_RUN.sub("\n\n", clean(text)).strip()
    if not raw:
        return ">"
    return fit(raw, limit, _quote_lines)


def mention(slack_id: str) -> str:
    """Format a Slack user, user-group or channel id as a mention; anything else as text."""
    if not _SLACK_ID.match(slack_id):
        return escape_mrkdwn(slack_id)
    if slack_id[0] in "UW":
        return f"<@{slack_id}>"
    if slack_id[0] == "S":
        return f"<!subteam^{slack_id}>"
    return f"<#{slack_id}>"


def safe_url(url: str | None) -> str | None:
    """Return `url` if it is http(s) and short enough for a button or link, else None."""
    if not url:
        return None
    url = url.strip()
    if not re.match(r"^https?://[^\s/?#]+", url, re.IGNORECASE) or len(url) > BUTTON_URL:
        return None
    if any(unicodedata.category(ch) == "Cc" for ch in url):
        return None
    return url


def link(url: str | None, label: str) -> str:
    """Make a mrkdwn link from an untrusted `url`; plain escaped `label` if the url is unsafe."""
    target = safe_url(url)
    text = escape_mrkdwn(label)
    if target is None:
        return text
    # `|` ends the url part and `<`/`>` end the token: keep them out of the url.
    target = percent_quote(target, safe=":/?#[]@!$&'()*+,;=%~-._").replace("&", "&amp;")
    return f"<{target}|{text}>"


def date_token(at: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """Render `at` as Slack's date token, shown in each reader's timezone, UTC as fallback."""
    at = at.astimezone(UTC)
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{fmt}|{fallback}>"


_TOKEN = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def to_plain(mrkdwn: str) -> str:
    """Turn our mrkdwn back into terminal text: tokens to their fallback, entities decoded."""

    def token(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target.startswith("!date^"):
            return label or ""
        if target.startswith("!subteam^"):
            return "@" + target.split("^", 1)[1]
        if target.startswith(("@", "#")):
            return target
        if label and label != target:
            return f"{label} ({target})"
        return target

    text = _TOKEN.sub(token, mrkdwn)
    text = text.replace(RLI, "").replace(PDI, "").replace(WORD_JOINER, "")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
