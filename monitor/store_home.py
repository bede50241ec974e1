"""The Home tab's figures: each brand's queue and this week's response times, counted in SQL.

The queue's counts are one GROUP BY over the brands shown (open, overdue and assigned to the
reader, as `Store.count_cases` counts them); the cases listed come from `Store.cases`, a few
per list; the week's figures are the report's own queries (`monitor.store_reports`) over the
brand's week so far, so the Home tab and the weekly report never disagree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, func, select

from monitor.domain import CaseStatus
from monitor.models import CaseRow
from monitor.records import Case
from monitor.report_figures import local_midnight, reply_percentile
from monitor.report_model import Period
from monitor.store import Store, case_record
from monitor.store_reports import ReportQueries

OPEN_VALUES = [s.value for s in CaseStatus if s.is_open]


@dataclass(frozen=True)
class QueueCounts:
    open: int = 0
    overdue: int = 0
    mine: int = 0


@dataclass(frozen=True)
class WeekFigures:
    """Complaints opened since the brand's Monday midnight, those answered, and of the
    complaints due in the week how many were answered within their deadline."""

    start: datetime
    opened: int
    answered: int
    due: int
    within: int
    median_first_reply: timedelta | None

    @property
    def share_within(self) -> float | None:
        return self.within / self.due if self.due else None


def queue_counts(store: Store, brand_ids: Sequence[str], user: str,
                 now: datetime) -> dict[str, QueueCounts]:
    """Per brand: open cases, those overdue (case_engine.is_overdue, as `count_cases` has it),
    and those assigned to `user`; one aggregate query, brands without open cases absent."""
    if not brand_ids:
        return {}
    overdue = and_(CaseRow.replied_at.is_(None), CaseRow.deadline_at <= now)
    q = (select(CaseRow.brand_id, func.count(),
                func.sum(case((overdue, 1), else_=0)),
                func.sum(case((CaseRow.assignee == user, 1), else_=0)))
         .where(CaseRow.brand_id.in_(list(brand_ids)), CaseRow.status.in_(OPEN_VALUES))
         .group_by(CaseRow.brand_id))
    with store.session() as s:
        return {b: QueueCounts(int(n), int(o or 0), int(m or 0)) for b, n, o, m in s.execute(q)}


def next_due(store: Store, brand_id: str, now: datetime, limit: int) -> list[Case]:
    """The brand's open cases not overdue yet, nearest deadline first (the overdue ones have
    a list of their own): at most `limit`, along the (brand, deadline) index."""
    not_overdue = (CaseRow.replied_at.is_not(None)) | (CaseRow.deadline_at > now)
    q = (select(CaseRow).where(CaseRow.brand_id == brand_id, CaseRow.status.in_(OPEN_VALUES),
                               not_overdue)
         .order_by(CaseRow.deadline_at, CaseRow.id).limit(limit))
    with store.session() as s:
        return [case_record(r) for r in s.scalars(q)]


def week_start(now: datetime, zone: ZoneInfo) -> datetime:
    """The UTC moment this week began where the brand is: its last Monday midnight."""
    local = now.astimezone(zone).date()
    return local_midnight(local - timedelta(days=local.weekday()), zone)


def week_figures(store: Store, brand_id: str, zone: ZoneInfo, now: datetime) -> WeekFigures:
    """This week's figures for one brand, each counted by the database."""
    start = week_start(now, zone)
    end = now + timedelta(microseconds=1)  # the report's periods end before `end`: include now
    queries = ReportQueries(store, [brand_id])
    answered = queries.answered_count(start, end)
    rows = queries.compliance("platform", start, end)  # every case has one platform: sum them
    median = reply_percentile(queries, Period(start, end, str(zone)), answered, 0.5)
    return WeekFigures(start, queries.complaint_count(start, end), answered,
                       sum(r.due for r in rows), sum(r.within for r in rows), median)
