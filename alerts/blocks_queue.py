"""Private answers to /brand-monitor (open, overdue, mine, stats) and source health notices."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from alerts import action_ids as ids
from alerts import messages as msg
from alerts.blocks_case import is_overdue, platform_title
from alerts.blocks_kit import Block, Message, button, context, fields, header, message, section
from alerts.text import escape_mrkdwn, safe, safe_url, single_line
from monitor.domain import CaseView, DayStats

QueueKind = Literal["open", "overdue", "mine", "stats"]
MAX_LISTED = 20
EXCERPT = 160


# Today's figures, as monitor.reports computes them.
QueueStats = DayStats


def _stats_fields(stats: QueueStats) -> list[str]:
    share = (f"{100 * stats.replied_within_target // stats.replied}%"
             if stats.replied else "–")
    median = msg.duration(stats.median_response) if stats.median_response else "–"
    slowest = msg.duration(stats.slowest_response) if stats.slowest_response else "–"
    return [
        f"*Opened today*\n{stats.opened}",
        f"*Replied today*\n{stats.replied}",
        f"*Within target*\n{share}",
        f"*Median response*\n{median}",
        f"*Slowest response*\n{slowest}",
        f"*Open / overdue now*\n{stats.open_now} / {stats.overdue_now}",
    ]


def _entry(view: CaseView, now: datetime) -> Block:
    m = view.mention
    icon = "⏰" if is_overdue(view, now) else msg.SEVERITY_EMOJI[view.classification.severity]
    handle = safe("@" + single_line(m.author_handle).lstrip("@"), 200)
    owner = msg.assignee_line(view.assignee) if view.assignee else "unassigned"
    due = msg.due(view.deadline_at, now) if view.replied_at is None else "replied"
    line = (f"{icon} *{escape_mrkdwn(view.reference)}* · {escape_mrkdwn(view.brand_name)} · "
            f"{escape_mrkdwn(platform_title(view))} · {handle} · "
            f"{msg.status_line(view.status)} · {owner} · {due}\n"
            f"_{safe(single_line(m.text), EXCERPT)}_")
    target = safe_url(view.alert_url) or safe_url(m.url)
    label = "Open alert" if safe_url(view.alert_url) else msg.Label.open_on(platform_title(view))
    accessory = (button(label, ids.OPEN_POST, ids.encode(view.case_id), url=target)
                 if target else None)
    return section(line, accessory=accessory)


def build_queue(kind: QueueKind, views: Sequence[CaseView], stats: QueueStats | None,
                now: datetime, total: int | None = None) -> Message:
    """Answer /brand-monitor privately: the cases asked for, soonest deadline first; `total`
    is how many there are in all when `views` holds only the first of them."""
    return message(_queue_blocks(kind, views, stats, now, total))


def _queue_blocks(kind: str, views: Sequence[CaseView], stats: QueueStats | None,
                  now: datetime, total: int | None = None) -> list[Block]:
    if kind not in msg.QUEUE_TITLES:
        return [section(msg.slash_usage())]
    cases = sorted(views, key=lambda v: v.deadline_at)
    count = max(total or 0, len(cases))
    title = msg.QUEUE_TITLES[kind]
    blocks: list[Block] = [header(title if kind == "stats" else f"{title} ({count})")]
    if kind == "stats" or stats is not None:
        blocks.append(fields(_stats_fields(stats or QueueStats())))
    if kind == "stats":
        return blocks
    if not cases:
        blocks.append(section(msg.queue_empty(kind)))
        return blocks
    blocks += [_entry(v, now) for v in cases[:MAX_LISTED]]
    if count > MAX_LISTED:
        blocks.append(context([msg.queue_more(count - MAX_LISTED)]))
    return blocks


def build_source_notice(source_name: str, down_since: datetime, error: str,
                        recovered: bool) -> Message:
    """Tell the channel a source is failing, or is back."""
    if recovered:
        return message([section(msg.source_recovered(source_name, down_since))])
    return message([section(msg.source_down(source_name, down_since, error))])
