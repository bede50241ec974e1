"""Today's response-time figures for the team, in the brand's own day."""

from __future__ import annotations

import statistics
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor import case_engine
from monitor.domain import DayStats
from monitor.ports import Ingest as Runtime


def day_stats(runtime: Runtime, now: datetime, brand_id: str | None = None) -> DayStats:
    """Count today's cases (midnight in the first brand's timezone) and their response times."""
    zone = runtime.brand(brand_id).zone if brand_id else (
        runtime.config.brands[0].zone if runtime.config.brands else ZoneInfo("UTC"))
    midnight = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)
    today = runtime.store.cases(brand_id=brand_id, open_only=False, since=midnight, limit=100_000)
    open_now = runtime.store.cases(brand_id=brand_id, open_only=True, limit=100_000)
    responses = [c.replied_at - c.mention.published_at for c in today if c.replied_at]
    within = sum(1 for c in today if c.replied_at and c.replied_at <= c.deadline_at)
    return DayStats(
        opened=len(today), replied=len(responses), replied_within_target=within,
        open_now=len(open_now),
        overdue_now=sum(1 for c in open_now
                        if case_engine.is_overdue(c.status, c.replied_at, c.deadline_at, now)),
        median_response=timedelta(seconds=statistics.median(r.total_seconds() for r in responses))
        if responses else None,
        slowest_response=max(responses) if responses else None,
    )
