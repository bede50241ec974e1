"""Block Kit's pieces, each cut to Slack's limits; texts given here are already safe mrkdwn.

Every mrkdwn object is `verbatim`, so Slack does no auto-linking or name parsing of its own:
only the tokens we wrote (mentions of responders, date tokens, links) are live.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from alerts.text import (
    BUTTON_TEXT,
    BUTTON_VALUE,
    CONTEXT_ELEMENTS,
    CONTEXT_TEXT,
    ELLIPSIS,
    FALLBACK_TEXT,
    FIELD_TEXT,
    HEADER_TEXT,
    ID_LENGTH,
    MAX_FIELDS,
    PLACEHOLDER,
    SECTION_TEXT,
    escape_mrkdwn,
    safe_url,
    single_line,
    slack_len,
    truncate,
)

Block = dict[str, Any]
# A whole message: {"text": notification text, "blocks": [...]}, as chat.postMessage takes it.
Message = dict[str, Any]


def cap_lines(text: str, limit: int) -> str:
    """Cut mrkdwn to `limit` by dropping whole lines from the end, so no token is split."""
    if slack_len(text) <= limit:
        return text
    lines = text.split("\n")
    while len(lines) > 1 and slack_len("\n".join([*lines, ELLIPSIS])) > limit:
        lines.pop()
    capped = "\n".join([*lines, ELLIPSIS])
    if slack_len(capped) <= limit:
        return capped
    # One line longer than the limit: the builders never make one, so this only guards.
    return truncate(lines[0], limit)


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object on one line, cut to `limit`."""
    return {"type": "plain_text", "text": truncate(single_line(text), limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = SECTION_TEXT) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": cap_lines(text, limit) or " ", "verbatim": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT)}


def section(text: str, accessory: Block | None = None, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if accessory is not None:
        block["accessory"] = accessory
    if block_id is not None:
        block["block_id"] = block_id[:ID_LENGTH]
    return block


def fields(texts: Sequence[str]) -> Block:
    return {"type": "section", "fields": [mrkdwn(t, FIELD_TEXT) for t in texts[:MAX_FIELDS]]}


def context(texts: Sequence[str]) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(t, CONTEXT_TEXT) for t in texts[:CONTEXT_ELEMENTS]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(
    text: str,
    action_id: str,
    value: str | None = None,
    *,
    url: str | None = None,
    style: str | None = None,
) -> Block:
    """A button carrying ids in its value, or opening `url` (dropped if it is not http(s))."""
    element: Block = {"type": "button", "text": plain(text, BUTTON_TEXT), "action_id": action_id}
    if value is not None:
        if len(value) > BUTTON_VALUE:
            raise ValueError("a button value carries ids only; this one is too long")
        element["value"] = value
    target = safe_url(url)
    if target is not None:
        element["url"] = target
    if style is not None:
        element["style"] = style
    return element


def users_select(action_id: str, placeholder: str, initial_user: str | None = None) -> Block:
    element: Block = {
        "type": "users_select",
        "action_id": action_id,
        "placeholder": plain(placeholder, PLACEHOLDER),
    }
    if initial_user and initial_user[:1] in ("U", "W"):
        element["initial_user"] = initial_user
    return element


def actions(elements: Sequence[Block], block_id: str | None = None) -> Block:
    block: Block = {"type": "actions", "elements": list(elements)}
    if block_id is not None:
        block["block_id"] = block_id[:ID_LENGTH]
    return block


def fallback_text(blocks: Sequence[Block], limit: int = FALLBACK_TEXT) -> str:
    """Write a message's notification text from its header, sections and contexts."""
    parts: list[str] = []
    for block in blocks:
        if block["type"] == "header":
            parts.append(escape_mrkdwn(block["text"]["text"]))
        elif block["type"] == "section" and "text" in block:
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.extend(e["text"] for e in block["elements"] if "text" in e)
    return cap_lines("\n".join(parts), limit)


def message(blocks: list[Block]) -> Message:
    """Pair blocks with the notification text made from them."""
    return {"text": fallback_text(blocks), "blocks": blocks}
