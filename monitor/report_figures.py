"""Build a `Report` from the database: the periods, the days, and each figure's query.

The days are the brand's own calendar days: their boundaries are the local midnights,
converted to UTC here with the zone's rules (so a day of a DST change lasts 23 or 25 hours),
and every count is made by the database against those boundaries (`monitor.store_reports`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.classify.encoder import Encoder
from monitor.report_causes import MAX_EMBEDDED, recurring_causes
from monitor.report_model import (
    Approvals,
    BacklogPoint,
    CategoryDay,
    Cause,
    ComplianceTable,
    DayCount,
    Feedback,
    Period,
    Report,
    ResponseTimes,
)
from monitor.settings import BrandConfig
from monitor.store import Store
from monitor.store_reports import ReportQueries

DIMENSIONS = ("platform", "language", "category", "severity", "responder")
MAX_DAYS = 400  # a report's days are its rows, and its day boundaries one query's terms


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment a local day starts (a midnight skipped by DST: the first moment after)."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def last_days(now: datetime, length: timedelta, zone: str) -> Period:
    """The period of `length` that ends now."""
    return Period(now - length, now, zone)


def calendar_period(first: date, last: date, zone: str) -> Period:
    """Local days `first` to `last`, both included."""
    tz = ZoneInfo(zone)
    return Period(local_midnight(first, tz), local_midnight(last + timedelta(days=1), tz), zone)


def day_bounds(period: Period) -> tuple[list[date], list[datetime]]:
    """The local days a period touches, and their boundaries in UTC: the period's start, each
    local midnight inside it, and its end (one more boundary than days)."""
    tz = ZoneInfo(period.zone)
    first = period.start.astimezone(tz).date()
    last = (period.end - timedelta(microseconds=1)).astimezone(tz).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    if len(days) > MAX_DAYS:
        raise ValueError(f"a report covers at most {MAX_DAYS} days")
    bounds = [period.start, *(local_midnight(d, tz) for d in days[1:]), period.end]
    return days, bounds


def reply_percentile(queries: ReportQueries, period: Period, answered: int, q: float) -> timedelta | None:
    """The q-th quantile of time to first reply, interpolated between the two replies around
    it (as `statistics.quantiles(method="inclusive")` and PostgreSQL's percentile_cont)."""
    if not answered:
        return None
    rank = (answered - 1) * q
    low = math.floor(rank)
    spans = [r - p for p, r in queries.reply_times_at(period.start, period.end, low, 2)]
    if not spans:
        return None
    high = spans[1] if len(spans) > 1 else spans[0]
    return spans[0] + (high - spans[0]) * (rank - low)


def approval_figures(queries: ReportQueries, period: Period) -> Approvals | None:
    """What became of the period's proposals, and the median time to a responder's decision;
    None when nothing was proposed (the report then says nothing of approval)."""
    counts = queries.proposals(period.start, period.end)
    if not counts.proposed:
        return None
    median = None
    if counts.decided:
        rank = (counts.decided - 1) / 2
        spans = [d - p for p, d in queries.decision_times_at(period.start, period.end,
                                                              math.floor(rank), 2)]
        if spans:
            median = spans[0] + ((spans[-1] - spans[0]) * (rank - math.floor(rank)))
    return Approvals(counts.proposed, counts.approved, counts.edited, counts.rejected,
                     counts.replaced, counts.pending, median)


def zone_of(brands: Sequence[BrandConfig]) -> str:
    """The timezone whose days a report of `brands` counts: theirs if they share one, else UTC."""
    zones = {b.timezone for b in brands}
    return zones.pop() if len(zones) == 1 else "UTC"


def build_report(store: Store, brands: Sequence[BrandConfig], period: Period, now: datetime,
                 encoder: Encoder | None, *, combined: bool = False) -> Report:
    """The report of `brands` (one brand, or every brand when `combined`) over `period`.

    Without an encoder the report has no recurring causes (and says it drew them from 0)."""
    queries = ReportQueries(store, [b.id for b in brands])
    days, bounds = day_bounds(period)
    per_day: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_category: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in queries.days(bounds):
        per_day[row.day][0] += row.mentions
        per_day[row.day][1] += row.complaints
        if row.complaints:
            per_category[row.day][row.category or "other"] += row.complaints
    day_counts = tuple(DayCount(d, *per_day[i]) for i, d in enumerate(days))

    cutoff = min(period.end, now)
    ends = [min(bounds[i + 1], cutoff) for i in range(len(days)) if bounds[i] < cutoff]
    backlog = tuple(BacklogPoint(days[b.day], b.open, b.overdue)
                    for b in queries.backlog(ends, period.start))

    answered = queries.answered_count(period.start, period.end)
    times = ResponseTimes(answered, reply_percentile(queries, period, answered, 0.5),
                          reply_percentile(queries, period, answered, 0.9))

    fb = queries.feedback(period.start, period.end)
    causes: tuple[Cause, ...] = ()
    drawn = 0
    if encoder is not None:
        current = queries.complaint_texts(period.start, period.end, MAX_EMBEDDED)
        before = queries.complaint_texts(period.start - period.length, period.start, MAX_EMBEDDED)
        names = [w for b in brands for w in (b.name, *b.keywords, *b.aliases,
                                             *(h for hs in b.handles.values() for h in hs))]
        causes, drawn = recurring_causes(current, before, encoder, exclude=names), len(current)

    ids = [b.id for b in brands]
    return Report(
        brand_id=None if combined else brands[0].id,
        brand_name=", ".join(b.name for b in brands),
        period=period,
        generated_at=now,
        mentions=sum(d.mentions for d in day_counts),
        complaints=sum(d.complaints for d in day_counts),
        open_now=store.count_cases(brand_ids=ids),
        overdue_now=store.count_cases(brand_ids=ids, overdue_at=now),
        days=day_counts,
        compliance=tuple(ComplianceTable(dim, tuple(queries.compliance(dim, period.start, period.end)))
                         for dim in DIMENSIONS),
        response_times=times,
        backlog=backlog,
        categories=tuple(CategoryDay(d, dict(sorted(per_category[i].items())))
                         for i, d in enumerate(days)),
        causes=causes,
        followups=queries.followups(period.start, period.end),
        feedback=Feedback(alerted=fb.opened - fb.flagged, not_complaint=fb.not_complaint,
                          flagged=fb.flagged),
        causes_from=drawn,
        approvals=approval_figures(queries, period),
    )


def report_for(store: Store, brands: Sequence[BrandConfig], period: Period | None, now: datetime,
               encoder: Encoder | None, *, length: timedelta = timedelta(days=7),
               combined: bool = False) -> Report:
    """`build_report` over `period`, or over the `length` that ends now in the brands' zone."""
    period = period or last_days(now, length, zone_of(brands))
    return build_report(store, brands, period, now, encoder, combined=combined)
