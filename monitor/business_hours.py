"""Opening hours and holidays in the brand's timezone.

The customer's hour does not stop at night, so deadlines never pause; opening hours only decide
whether an out-of-hours acknowledgement is due and when the team is next in.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from monitor.settings import BusinessHours

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _span(hours: BusinessHours, day: datetime) -> tuple[time, time] | None:
    if day.date() in hours.holidays:
        return None
    span = hours.opening.get(_DAYS[day.weekday()])
    if not span:
        return None
    start, end = span.split("-")
    close = time.max if end == "24:00" else time.fromisoformat(end)
    return time.fromisoformat(start), close


def is_open(hours: BusinessHours, zone: ZoneInfo, at: datetime) -> bool:
    """True when `at` falls inside the opening hours of a working day."""
    local = at.astimezone(zone)
    span = _span(hours, local)
    return span is not None and span[0] <= local.time() < span[1]


def next_opening(hours: BusinessHours, zone: ZoneInfo, at: datetime) -> datetime | None:
    """Return when the team is next in (UTC), or None if no day in the next 60 opens."""
    local = at.astimezone(zone)
    for offset in range(60):
        day = local + timedelta(days=offset)
        span = _span(hours, day)
        if span is None:
            continue
        if offset == 0 and is_open(hours, zone, at):
            return at.astimezone(UTC)
        opening = datetime.combine(day.date(), span[0], tzinfo=zone)
        if opening > local:
            return opening.astimezone(UTC)
    return None
