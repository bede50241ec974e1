"""The app's Home tab: each of the reader's brands, its queue at a glance and this week's figures.

Pure: it takes what `alerts.home_tab` read and returns the view `views.publish` takes, within
Slack's limits (100 blocks a view, 3,000 characters a section, 150 a header) however many
brands and cases there are: lists are cut with "…and N more", brands that find no room are
named at the end. Brands with overdue cases come first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from alerts import messages as msg
from alerts.blocks_kit import Block, context, divider, fields, header, section
from alerts.text import SECTION_TEXT, slack_len
from monitor.records import Case
from monitor.store_home import QueueCounts, WeekFigures

MAX_BLOCKS = 100  # Slack's limit for a Home tab view
LISTED = 5  # cases per list


@dataclass(frozen=True)
class BrandHome:
    """One brand as the reader sees it: counts, the most urgent cases of each list, the week."""

    name: str
    counts: QueueCounts
    overdue: Sequence[Case]
    mine: Sequence[Case]
    next_due: Sequence[Case]
    week: WeekFigures


def alert_link(case: Case) -> str | None:
    """The alert's permalink, when its channel and ts are known (Slack redirects it into the
    workspace of whoever opens it)."""
    if not (case.slack_channel and case.slack_ts and case.slack_channel[:1] in "CGD"):
        return None
    return f"https://slack.com/archives/{case.slack_channel}/p{case.slack_ts.replace('.', '')}"


def _list(kind: str, cases: Sequence[Case], total: int, now: datetime) -> Block:
    lines = [msg.HOME_LISTS[kind]]
    if not cases:
        return section("\n".join([*lines, msg.home_nothing(kind)]))
    for shown, c in enumerate(cases):
        line = msg.home_case_line(c.reference, alert_link(c), c.mention.author_handle,
                                  c.mention.platform, c.deadline_at, now,
                                  c.replied_at is None and c.deadline_at <= now)
        if slack_len("\n".join([*lines, line, msg.home_more_cases(total - shown)])) > SECTION_TEXT:
            lines.append(msg.home_more_cases(total - shown))  # a line that could not fit
            break
        lines.append(line)
    else:
        if total > len(cases):
            lines.append(msg.home_more_cases(total - len(cases)))
    return section("\n".join(lines))


def brand_blocks(brand: BrandHome, now: datetime) -> list[Block]:
    c, w = brand.counts, brand.week
    next_total = max(c.open - c.overdue, 0)
    return [
        divider(),
        header(brand.name),
        fields([msg.home_count(label, n)
                for label, n in zip(msg.HOME_COUNTS, (c.open, c.overdue, c.mine), strict=True)]),
        _list("overdue", brand.overdue, c.overdue, now),
        _list("mine", brand.mine, c.mine, now),
        _list("next", brand.next_due, next_total, now),
        fields(msg.home_week(w.start, w.opened, w.answered, w.share_within, w.median_first_reply)),
    ]


def _urgency(brand: BrandHome) -> tuple[int, int]:
    return (-brand.counts.overdue, -brand.counts.open)


def build_home(brands: Sequence[BrandHome], now: datetime,
               more: Sequence[str] = ()) -> dict[str, Any]:
    """The Home view of a reader on the team of `brands`, most overdue first, then the names
    of the brands in `more` (no room for them); no brand at all: a stranger's explanation."""
    blocks: list[Block] = [header(msg.HOME_TITLE), context([msg.home_updated(now)])]
    if not brands and not more:
        blocks.append(section(msg.home_not_on_team()))
        return {"type": "home", "blocks": blocks}
    ordered = sorted(brands, key=_urgency)  # stable: the config's order among equals
    left = [b.name for b in ordered]
    for brand in ordered:
        shown = brand_blocks(brand, now)
        last = brand is ordered[-1] and not more
        if len(blocks) + len(shown) + (0 if last else 1) > MAX_BLOCKS:
            break
        blocks += shown
        left.pop(0)
    left += more
    if left:
        blocks.append(context([msg.home_more_brands(left)]))
    return {"type": "home", "blocks": blocks}
