from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from monitor.business_hours import is_open, next_opening
from monitor.settings import BusinessHours

WARSAW = ZoneInfo("Europe/Warsaw")
HOURS = BusinessHours(opening={"mon": "08:00-18:00", "tue": "08:00-18:00", "sat": "10:00-14:00"},
                      holidays=[date(2026, 11, 10)])


@pytest.mark.parametrize(("utc", "expected"), [
    (datetime(2026, 11, 2, 7, 30, tzinfo=UTC), True),    # Mon 08:30 in Warsaw
    (datetime(2026, 11, 2, 6, 30, tzinfo=UTC), False),   # Mon 07:30
    (datetime(2026, 11, 2, 17, 0, tzinfo=UTC), False),   # Mon 18:00: closed
    (datetime(2026, 11, 4, 10, 0, tzinfo=UTC), False),   # Wednesday: not listed
    (datetime(2026, 11, 10, 10, 0, tzinfo=UTC), False),  # Tuesday, a holiday
])
def test_is_open(utc: datetime, expected: bool) -> None:
    assert is_open(HOURS, WARSAW, utc) is expected


def test_next_opening__skips_closed_days_and_holidays() -> None:
    # Monday 9 Nov 20:00 Warsaw -> Tuesday is a holiday, Wednesday-Friday closed -> Sat 10:00.
    at = datetime(2026, 11, 9, 19, 0, tzinfo=UTC)
    assert next_opening(HOURS, WARSAW, at) == datetime(2026, 11, 14, 9, 0, tzinfo=UTC)


def test_next_opening__later_the_same_morning() -> None:
    at = datetime(2026, 11, 2, 5, 0, tzinfo=UTC)  # Mon 06:00 Warsaw
    assert next_opening(HOURS, WARSAW, at) == datetime(2026, 11, 2, 7, 0, tzinfo=UTC)


def test_opening_hours__bad_span_is_refused() -> None:
    with pytest.raises(ValueError, match="write it as 08:30-17:00"):
        BusinessHours(opening={"mon": "18:00-08:00"})
    with pytest.raises(ValueError, match="is not a day"):
        BusinessHours(opening={"monday": "08:00-18:00"})
