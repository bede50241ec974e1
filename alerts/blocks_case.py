"""The alert for one case, and what is posted in its thread: pure functions of a CaseView."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerts import action_ids as ids
from alerts import messages as msg
from alerts.blocks_approval import waiting_line
from alerts.blocks_kit import (
    Block,
    Message,
    actions,
    button,
    context,
    divider,
    fields,
    header,
    message,
    section,
    users_select,
)
from alerts.messages import Label
from alerts.text import date_token, escape_mrkdwn, link, quote, safe, safe_url, single_line
from monitor import case_engine
from monitor.domain import CaseEvent, CaseStatus, CaseView

HIGH_REACH = 10_000
MAX_SUGGESTIONS = 3
# Budgets that keep a whole alert far below Slack's total for one message (~12,000).
POST_LIMIT = 1800
SUGGESTION_LIMIT = 700
EVENTS_SHOWN = 6
EVENTS_LIMIT = 1200
SAMPLE_LIMIT = 300
GLOSS_LIMIT = 600
CLOSED = (CaseStatus.RESOLVED, CaseStatus.NOT_A_COMPLAINT)


def platform_title(view: CaseView) -> str:
    return view.platform_title or view.mention.platform.replace("_", " ").title()


def is_overdue(view: CaseView, now: datetime) -> bool:
    return case_engine.is_overdue(view.status, view.replied_at, view.deadline_at, now)


def _last_event(view: CaseView, *kinds: str) -> CaseEvent | None:
    return next((e for e in reversed(view.events) if e.kind in kinds), None)


def _author(view: CaseView) -> Block:
    m = view.mention
    high = (m.author_followers or 0) >= HIGH_REACH
    return section(msg.author_line(m.author_name, m.author_handle, m.author_followers, high))


def _post(view: CaseView) -> list[Block]:
    m = view.mention
    title = f"*{safe(single_line(m.title), 300)}*\n" if m.title.strip() else ""
    where = [link(m.url, Label.open_on(platform_title(view))),
             f"posted {date_token(m.published_at)}"]
    if m.rating is not None:
        where.append(f"rated {m.rating}/5")
    blocks = [section(title + quote(m.text, POST_LIMIT))]
    if view.gloss:
        blocks.append(context([msg.gloss_line(view.gloss, view.gloss_lang, GLOSS_LIMIT)]))
    return [*blocks, context([" · ".join(where)])]


def _facts(view: CaseView, now: datetime) -> Block:
    deadline = msg.deadline_line(view.deadline_at, now)
    if not view.status.is_open:
        deadline = date_token(view.deadline_at)
    return fields([
        f"*Reference*\n{escape_mrkdwn(view.reference)}",
        f"*Deadline*\n{deadline}",
        f"*Status*\n{msg.status_line(view.status)}",
        f"*Assignee*\n{msg.assignee_line(view.assignee)}",
    ])


def _events(view: CaseView) -> list[Block]:
    """Show the newest events that fit, and how many older ones the thread holds."""
    lines: list[str] = []
    size = 0
    for event in reversed(view.events[-EVENTS_SHOWN:]):
        line = msg.event_line(event)
        if size + len(line) + 1 > EVENTS_LIMIT:
            break
        lines.insert(0, line)
        size += len(line) + 1
    if not lines:
        return []
    hidden = len(view.events) - len(lines)
    if hidden:
        lines.insert(0, msg.events_hidden(hidden))
    return [context(["\n".join(lines)])]


def _state(view: CaseView) -> list[Block]:
    blocks: list[Block] = []
    if view.replied_at is not None:
        target = view.deadline_at - view.mention.published_at
        blocks.append(section(msg.replied_line(
            view.replied_by, view.response_time, view.replied_at <= view.deadline_at,
            target, view.reply_url,
        )))
    elif view.last_error and view.status.is_open:
        blocks.append(section(msg.reply_failed(platform_title(view), view.last_error)))
    if view.status in CLOSED:
        last = _last_event(view, view.status.value)
        blocks.append(section(msg.final_state(
            view.status, last.actor if last else None, last.at if last else None,
        )))
    return blocks


def _model_failed(view: CaseView) -> bool:
    """Whether the model itself failed (timed out, errored), rather than its drafts the checks."""
    last = _last_event(view, msg.EventKind.MODEL_FAILED, msg.EventKind.MODEL_DRAFTS_REFUSED,
                       msg.EventKind.MODEL_DRAFTED)
    return last is not None and last.kind == msg.EventKind.MODEL_FAILED


def _suggestions(view: CaseView, responders: Sequence[str]) -> list[Block]:
    # Open means unanswered: new, acknowledged, or reopened after an earlier reply.
    if not view.status.is_open:
        return []
    lang = view.suggestions[0].lang if view.suggestions else view.classification.lang
    blocks: list[Block] = [divider(), *waiting_line(view)]  # a proposal waiting for approval
    if view.suggestions:
        blocks.append(section(msg.suggestions_heading(lang, view.can_reply)))
        drafted = msg.drafts_line(view.drafts_origin, view.drafts_note, _model_failed(view))
        if drafted:
            blocks.append(context([drafted]))
    for number, suggestion in enumerate(view.suggestions[:MAX_SUGGESTIONS], start=1):
        blocks.append(section(msg.suggestion_text(number, suggestion.text, SUGGESTION_LIMIT)))
        if suggestion.gloss:
            blocks.append(context([msg.gloss_line(suggestion.gloss, view.gloss_lang, GLOSS_LIMIT)]))
        if view.can_reply:
            value = ids.encode(view.case_id, suggestion.id)
            blocks.append(actions(
                [
                    button(Label.send_reply(number), ids.PUBLISH, value, style="primary"),
                    button(Label.EDIT, ids.EDIT, value),
                ],
                block_id=ids.case_block_id(view.case_id, f"reply_{number}"),
            ))
    if not view.can_reply:
        blocks.append(context([msg.cannot_reply(platform_title(view))]))
    elif responders:
        blocks.append(context([msg.who_can_reply(responders)]))
    return blocks


def can_create_ticket(view: CaseView) -> bool:
    """The brand has a helpdesk, and the case no ticket yet, nor one being opened."""
    ticket = view.ticket
    return bool(view.helpdesk_title) and (
        ticket is None or (ticket.external_id is None and ticket.status != "creating"))


def _controls(view: CaseView) -> Block:
    case = ids.encode(view.case_id)
    block_id = ids.case_block_id(view.case_id, "controls")
    if view.status in CLOSED:
        return actions([button(Label.REOPEN, ids.REOPEN, case)], block_id=block_id)
    elements: list[Block] = []
    if view.status.is_open:
        if not view.can_reply:
            elements.append(button(
                Label.open_on(platform_title(view)), ids.OPEN_THREAD, case,
                url=view.mention.url, style="primary",
            ))
        elif not view.suggestions:
            elements.append(button(Label.WRITE, ids.EDIT, case, style="primary"))
    if view.status is CaseStatus.NEW:
        elements.append(button(Label.ACKNOWLEDGE, ids.ACKNOWLEDGE, case))
    elements.append(button(Label.ASSIGN_ME, ids.ASSIGN_ME, case))
    elements.append(users_select(ids.ASSIGN_TO, Label.ASSIGN_TO, view.assignee))
    if view.status.is_open:
        elements.append(button(Label.NOT_A_COMPLAINT, ids.NOT_COMPLAINT, case))
    if can_create_ticket(view):
        elements.append(button(Label.CREATE_TICKET, ids.CREATE_TICKET, case))
    elements.append(button(Label.RESOLVE, ids.RESOLVE, case))
    return actions(elements, block_id=block_id)


def build_alert(view: CaseView, now: datetime, responders: Sequence[str]) -> list[Block]:
    """Build the alert for `view` as it stands at `now`: facts, suggestions and buttons."""
    c = view.classification
    blocks: list[Block] = [
        header(msg.alert_header(c.severity, view.reference, view.brand_name,
                                platform_title(view), is_overdue(view, now), c.kind)),
        _author(view),
        *_post(view),
        context([msg.why_line(c.why, c.score, c.cues, c.severity, c.all_categories)]),
        _facts(view, now),
        context([msg.history_line(view.history)]),
    ]
    if view.acknowledgement:
        ack = _last_event(view, msg.EventKind.ACKNOWLEDGED_OUT_OF_HOURS)
        blocks.append(build_ack_notice(view.acknowledgement, ack.at if ack else None))
    blocks += _events(view)
    blocks += _state(view)
    if view.ticket is not None:
        blocks.append(context([msg.ticket_line(view.ticket)]))
    blocks += _suggestions(view, responders)
    blocks.append(_controls(view))
    return blocks


def alert_fallback_text(view: CaseView) -> str:
    """Write the `text` of the alert's chat.postMessage: escaped, short, pinging nobody."""
    m = view.mention
    return msg.fallback(view.brand_name, platform_title(view), view.reference,
                        m.author_handle, m.text)


def build_ack_notice(text: str, at: datetime | None) -> Block:
    """Show the out-of-hours acknowledgement that was posted publicly on the customer's post."""
    return context([msg.ack_notice(text, at)])


def build_reminder(view: CaseView, minutes_left: int, mention_ids: Sequence[str]) -> Message:
    """Nudge the assignee or responders in the alert's thread before the deadline."""
    text = msg.reminder(view.reference, mention_ids, minutes_left, view.deadline_at)
    return message([section(text)])


def build_escalation(view: CaseView, level: int, group_or_channel: str) -> Message:
    """Escalate an unanswered case to a user group (mentioned) or a channel (posted there)."""
    target = group_or_channel if group_or_channel[:1] in ("S", "U", "W") else ""
    blocks = [section(msg.escalation(view.reference, view.brand_name, level, target,
                                     view.deadline_at))]
    blocks.append(section(quote(view.mention.text, SAMPLE_LIMIT)))
    where = [link(view.mention.url, Label.open_on(platform_title(view)))]
    if view.alert_url:
        where.append(link(view.alert_url, "open the alert"))
    blocks.append(context([" · ".join(where)]))
    return message(blocks)


def build_thread_event(event: CaseEvent) -> Message:
    """Record one change of the case in the alert's thread."""
    return message([context([msg.event_line(event)])])


def build_followup(view: CaseView) -> Message:
    """Ask, after resolution, whether the customer is satisfied; record it with two buttons."""
    m = view.mention
    name = m.author_name or (f"@{m.author_handle.lstrip('@')}" if m.author_handle else "")
    question = msg.followup_question(view.reference, name,
                                     link(m.url, Label.open_on(platform_title(view))))
    case = ids.encode(view.case_id)
    return message([
        section(question),
        actions(
            [
                button(Label.SATISFIED, ids.FOLLOWUP_SATISFIED, case, style="primary"),
                button(Label.NOT_SATISFIED, ids.FOLLOWUP_NOT_SATISFIED, case, style="danger"),
            ],
            block_id=ids.case_block_id(view.case_id, "followup"),
        ),
    ])


def build_wave_alert(brand_name: str, count: int, sample_views: Sequence[CaseView],
                     now: datetime) -> Message:
    """Group a wave of similar complaints into one alert with a live count and 3 samples."""
    samples = list(sample_views)[:3]
    first = min((v.mention.published_at for v in samples), default=None)
    blocks: list[Block] = [
        header(msg.wave_header(brand_name, count)),
        section(msg.wave_summary(count, first, now)),
    ]
    for view in samples:
        m = view.mention
        who = safe("@" + single_line(m.author_handle).lstrip("@"), 200)
        line = (f"*{escape_mrkdwn(view.reference)}* · {who} · "
                f"{msg.due(view.deadline_at, now)}\n{quote(m.text, SAMPLE_LIMIT)}")
        accessory = None
        if safe_url(m.url):
            accessory = button(Label.open_on(platform_title(view)), ids.OPEN_POST,
                               ids.encode(view.case_id), url=m.url)
        blocks.append(section(line, accessory=accessory))
    if count > len(samples):
        blocks.append(context([msg.wave_more(count - len(samples))]))
    return message(blocks)

