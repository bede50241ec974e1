"""Alerts for the terminal, when no Slack token is configured: the same facts, as plain text.

Texts come from `alerts.messages` and pass through `to_plain`, so a date shows in UTC and a
mention as @id. What a line says, and when it shows, is decided as for Slack's alert
(`alerts.blocks_case`, `alerts.blocks_approval`): the machine translations of the post and of
each reply, who drafted the replies, the helpdesk ticket, a proposal waiting for approval.
Post text is cleaned of control characters, so a post cannot move the cursor, clear the
screen or recolour the terminal.
"""

from __future__ import annotations

import re
import textwrap
from datetime import datetime

from alerts import messages as msg
from alerts.blocks_approval import waiting_line
from alerts.blocks_case import (
    GLOSS_LIMIT,
    HIGH_REACH,
    MAX_SUGGESTIONS,
    _model_failed,
    is_overdue,
    platform_title,
)
from alerts.blocks_kit import Block
from alerts.text import clean, date_token, single_line, to_plain, truncate
from monitor.domain import CaseView

WIDTH = 88
POST_LIMIT = 1500
BOLD, RED, DIM, RESET = "\033[1m", "\033[31m", "\033[2m", "\033[0m"
_BOLD_MARK = re.compile(r"\*([^*\n]+)\*")
_ITALIC_MARK = re.compile(r"(?<!\w)_([^_\n]+)_(?!\w)")


def _plain(mrkdwn: str) -> str:
    """Read our mrkdwn as terminal text: tokens to their fallback, no bold or italic markers."""
    return _ITALIC_MARK.sub(r"\1", _BOLD_MARK.sub(r"\1", to_plain(mrkdwn)))


def _context_texts(blocks: list[Block]) -> list[str]:
    """The texts of Slack context blocks, as terminal text."""
    return [_plain(str(element["text"])) for block in blocks
            for element in block.get("elements", ()) if "text" in element]


def _paint(text: str, code: str, color: bool) -> str:
    return f"{code}{text}{RESET}" if color else text


def _wrap(text: str, indent: str = "  ") -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        wrapped = textwrap.wrap(paragraph, WIDTH - len(indent)) or [""]
        lines += [indent + line for line in wrapped]
    return lines


def _field(label: str, mrkdwn: str) -> str:
    return f"{label + ':':<11}{_plain(mrkdwn)}"


def render_alert(view: CaseView, now: datetime, color: bool = False) -> str:
    """Render one alert as a block of terminal text: facts, the post, suggestions, history."""
    m, c = view.mention, view.classification
    overdue = is_overdue(view, now)
    title = msg.alert_header(c.severity, view.reference, view.brand_name,
                             platform_title(view), overdue, c.kind)
    rule = "─" * WIDTH
    lines = [rule, _paint(title, BOLD, color)]
    high = (m.author_followers or 0) >= HIGH_REACH
    lines.append(_field("Author", msg.author_line(m.author_name, m.author_handle,
                                                  m.author_followers, high)))
    lines.append(_field("Posted", date_token(m.published_at)))
    lines.append(_field("Link", single_line(m.url)))
    lines.append("Post:")
    if m.title.strip():
        lines += _wrap(single_line(m.title))
    lines += _wrap(truncate(clean(m.text).strip(), POST_LIMIT))
    if view.gloss:
        lines += _wrap(_plain(msg.gloss_line(view.gloss, view.gloss_lang, GLOSS_LIMIT)))
    lines.append(_field("Why", msg.why_line(c.why, c.score, c.cues, c.severity, c.all_categories)
                        .removeprefix("*Why:* ")))
    deadline = _field("Deadline", msg.deadline_line(view.deadline_at, now))
    lines.append(_paint(deadline, RED, color) if overdue else deadline)
    lines.append(_field("Status", f"{msg.status_line(view.status)} · assignee: "
                                  f"{msg.assignee_line(view.assignee)}"))
    lines.append(_field("History", msg.history_line(view.history)))
    if view.acknowledgement:
        lines += _wrap(_plain(msg.ack_notice(view.acknowledgement, None)), "")
    if view.replied_at is not None:
        target = view.deadline_at - m.published_at
        lines.append(_plain(msg.replied_line(view.replied_by, view.response_time,
                                               view.replied_at <= view.deadline_at, target,
                                               view.reply_url)))
    elif view.last_error and view.status.is_open:
        lines += _wrap(_plain(msg.reply_failed(platform_title(view), view.last_error)), "")
    if view.ticket is not None:
        lines += _wrap(_plain(msg.ticket_line(view.ticket)), "")
    for waiting in _context_texts(waiting_line(view)):  # a proposal waiting for approval
        lines += _wrap(waiting, "")
    if view.suggestions and view.status.is_open:
        lang = view.suggestions[0].lang
        lines.append(_plain(msg.suggestions_heading(lang, view.can_reply)))
        drafted = msg.drafts_line(view.drafts_origin, view.drafts_note, _model_failed(view))
        if drafted:
            lines += _wrap(_plain(drafted), "")
        for number, suggestion in enumerate(view.suggestions[:MAX_SUGGESTIONS], start=1):
            body = _wrap(clean(suggestion.text).strip(), "     ")
            lines.append(f"  {number}. {body[0].lstrip()}")
            lines += body[1:]
            if suggestion.gloss:
                lines += _wrap(_plain(msg.gloss_line(suggestion.gloss, view.gloss_lang,
                                                     GLOSS_LIMIT)), "     ")
        if not view.can_reply:
            lines += _wrap(_plain(msg.cannot_reply(platform_title(view))), "")
    for event in view.events[-6:]:
        lines.append(_paint("  · " + _plain(msg.event_line(event)), DIM, color))
    lines.append(rule)
    return "\n".join(lines)


def render_event(text: str, color: bool = False) -> str:
    """Render an update (a thread post, a notice) as one indented paragraph."""
    plain = _plain(clean(text)).strip()
    body = _wrap(plain, "  ")
    body[0] = "↳ " + body[0].lstrip()
    return _paint("\n".join(body), DIM, color)
