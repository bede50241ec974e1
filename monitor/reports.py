"""Today's response-time figures for the team, in the brand's own day."""

from __future__ import annotations

import statistics
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.domain import DayStats
from monitor.ports import Ingest as Runtime


def day_stats(runtime: Runtime, now: datetime, brand_id: str | None = None) -> DayStats:
    """Count today's cases (midnight in the first brand's timezone) and their response times."""
    zone = runtime.brand(brand_id).zone if brand_id else (
        runtime.config.brands[0].zone if runtime.config.brands else ZoneInfo("UTC"))
    midnight = datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone)
    today = runtime.store.opened_since(brand_id, midnight)
    responses = [replied - posted for posted, replied, _ in today if replied]
    within = sum(1 for _, replied, deadline in today if replied and replied <= deadline)
    open_now = runtime.store.count_cases(brand_id=brand_id)
    overdue_now = runtime.store.count_cases(brand_id=brand_id, overdue_at=now)
    return DayStats(
        opened=len(today), replied=len(responses), replied_within_target=within,
        open_now=open_now, overdue_now=overdue_now,
        median_response=timedelta(seconds=statistics.median(r.total_seconds() for r in responses))
        if responses else None,
        slowest_response=max(responses) if responses else None,
    )
